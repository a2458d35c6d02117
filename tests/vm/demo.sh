#!/bin/bash
# One-command demo of vfio-bind on a real kernel: boots the Debian 12 guest (initramfs-tools,
# bochs and snd_hda_intel in the initramfs, so a host driver would take the "GPU" at once) with
# the product's Debian package and a configuration that names the GPU and its HDMI audio, then
# prints what a user would look at: `journalctl -b -u vfio-bind` and `vfio-bind status`.
#
# Usage: demo.sh [--flavour initramfs-tools|dracut] [--deb FILE] [--config FILE]
# Needs root; the first run builds the guest (~2 minutes), then about a minute.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

flavour=initramfs-tools deb='' config=''
while (($#)); do
    case $1 in
    --flavour) flavour=$2; shift ;;
    --deb) deb=$2; shift ;;
    --config) config=$2; shift ;;
    -h | --help) sed -n '2,8p' "$0"; exit 0 ;;
    *) vm_die "demo.sh: unknown argument '$1'" ;;
    esac
    shift
done
vm_check_flavour "$flavour"
vm_require_root

work=$(mktemp -d /tmp/vfio-bind-vm-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
[[ -n $deb ]] || deb=$("$VM_LIB_DIR/build-deb.sh" "$work/deb")
if [[ -z $config ]]; then
    config=$work/vfio-bind.conf
    cat >"$config" <<'CONF'
# The GPU at 01:00.0 and every other function of its slot (its HDMI audio, 01:00.1)
[gpu]
address = 0000:01:00.0
functions = all
CONF
fi
cat >"$work/probe.sh" <<'PROBE'
#!/bin/bash
echo "# cat /etc/vfio-bind.conf"
grep -v '^#' /etc/vfio-bind.conf
echo
echo "# journalctl -b -u vfio-bind"
journalctl -b -u vfio-bind --no-pager
echo
echo "# vfio-bind status"
vfio-bind status
echo
echo "# lspci -nnk -s 01:00"
lspci -nnk -s 01:00
PROBE
chmod +x "$work/probe.sh"

vm_log "booting the $flavour guest with $(basename "$deb") (about a minute)"
"$VM_LIB_DIR/run-scenario.sh" --flavour "$flavour" --deb "$deb" --config "$config" --force-drivers \
    --probe "$work/probe.sh" --out "$work/out" 2>"$work/err" || {
    cat "$work/err" >&2
    vm_die "the demo boot failed"
}
cat "$work/out"
