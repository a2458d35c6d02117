#!/bin/bash
# Run one real-kernel scenario: guest root (cached) -> copy -> install product + config ->
# rebuild initramfs (cached per configuration) -> boot -> probe output. The caller asserts.
#
# Usage: run-scenario.sh --flavour initramfs-tools|dracut --probe SCRIPT [options]
#   --build DIR        product build directory (see build-product.sh); "none" (default) installs
#                      no product
#   --deb FILE         install the product's Debian package instead (see build-deb.sh)
#   --config FILE      /etc/vfio-bind.conf of the guest
#   --force-drivers    put bochs and snd_hda_intel into the initramfs
#   --drivers "A B"    force these drivers instead
#   --setup SCRIPT     run SCRIPT ROOTDIR on the host before the initramfs is rebuilt
#                      (to change the guest's configuration)
#   --post-setup SCRIPT  run SCRIPT ROOTDIR on the host after the initramfs was rebuilt, before
#                      the boot (e.g. edit /etc/vfio-bind.conf so that the initramfs is stale)
#   --append ARGS      extra kernel command line arguments (may be repeated)
#   --out FILE         probe output (default: stdout)
#   --log FILE         serial log (default: WORKDIR/serial.log)
#   --timeout SEC      boot timeout
#   --ovmf             boot with UEFI firmware
#   --qemu-args ARGS   extra QEMU arguments for boot.sh (may be repeated)
# Exit status: that of boot.sh (0 ok, 1 the probe failed, 2 no probe output).
# Prints "TIMING flavour=... copy=... install=... boot=..." on stderr.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

flavour='' build=none probe='' config='' setup='' post_setup=''
install_args=()
boot_args=()
while (($#)); do
    case $1 in
    --flavour) flavour=$2; shift ;;
    --build) build=$2; shift ;;
    --config) config=$2; shift ;;
    --force-drivers) install_args+=(--force-drivers) ;;
    --drivers) install_args+=(--drivers "$2"); shift ;;
    --setup) setup=$2; shift ;;
    --post-setup) post_setup=$2; shift ;;
    --deb) install_args+=(--deb "$2"); shift ;;
    --probe) probe=$2; shift ;;
    --append | --out | --log | --timeout | --qemu-args) boot_args+=("$1" "$2"); shift ;;
    --ovmf) boot_args+=(--ovmf) ;;
    -h | --help) sed -n '2,26p' "$0"; exit 0 ;;
    *) vm_die "run-scenario.sh: unknown argument '$1'" ;;
    esac
    shift
done
vm_check_flavour "$flavour"
[[ -n $probe ]] || vm_die "run-scenario.sh: --probe SCRIPT is required"
[[ -z $config ]] || install_args+=(--config "$config")

"$VM_LIB_DIR/build-guest.sh" "$flavour" >/dev/null

workdir=$(mktemp -d /tmp/vfio-bind-vm-run.XXXXXX)
if [[ ${VFIO_BIND_VM_KEEP:-0} == 1 ]]; then
    vm_log "keeping $workdir"
else
    trap 'rm -rf "$workdir"' EXIT
fi

t0=$(vm_now)
vm_copy_root "$(vm_guest_root "$flavour")" "$workdir/root"
t_copy=$(vm_elapsed "$t0")

t0=$(vm_now)
[[ -z $setup ]] || "$setup" "$workdir/root"
"$VM_LIB_DIR/install-product.sh" "$workdir/root" "$build" "${install_args[@]}"
[[ -z $post_setup ]] || "$post_setup" "$workdir/root"
t_install=$(vm_elapsed "$t0")

t0=$(vm_now)
rc=0
"$VM_LIB_DIR/boot.sh" --root "$workdir/root" --workdir "$workdir" --probe "$probe" "${boot_args[@]}" || rc=$?
t_boot=$(vm_elapsed "$t0")
echo "TIMING flavour=$flavour copy=${t_copy}s install=${t_install}s boot=${t_boot}s rc=$rc" >&2
exit "$rc"
