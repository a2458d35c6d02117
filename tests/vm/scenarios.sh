#!/bin/bash
# Product scenarios on the real kernel, for each guest flavour (initramfs-tools, dracut), with
# bochs and snd_hda_intel forced into the initramfs (so udev there would bind the "GPU" pair).
# The product is installed from its Debian package (build-deb.sh), as an administrator would.
#
# Boots per flavour (independent scenarios share a boot):
#   A   [gpu] 01:00.0 functions=all: both functions claimed in the initramfs before udev, no
#       host driver ever bound them, /dev/vfio/GROUP, the journal report (also via -u); then at
#       run time release (back to bochs-drm / snd_hda_intel) and apply (back to vfio-pci), with
#       status --json agreeing with sysfs after each step; list and list --json: the groups, the
#       GPU pair's verdict, the root disk's filesystems, the e1000e as a network function; the VM
#       stack (probes/vmstack.sh): the VM starters ordered after vfio-bind.service, the metrics, the
#       Proxmox and libvirt guards letting the VM start, and a nested QEMU realizing both functions
#       as vfio-pci devices
#   BE  [gpu] 01:00.0 only: 01:00.1 stays on snd_hda_intel and the report names it (group not
#       viable); and /etc/vfio-bind.conf edited after the initramfs was built (a [global] timeout
#       removed): the report says the initramfs is stale, with the flavour's rebuild command
#   C   [gpu] 01:00.0 expect=10de:2684 and [disk] 00:05.0 (the root disk's controller): both
#       left alone, error entries id-mismatch / holds-filesystem, boot completes; [nic] 00:03.0,
#       the e1000e that carries the guest's default route (systemd-networkd, QEMU user network):
#       never claimed (the initramfs leaves it to the root stage: its network record was made on
#       the build machine; the root stage runs before the network is up and does not guess), and
#       once the network is up check and apply refuse it as the management NIC; while [usb]
#       00:04.0 is claimed
#   D   config A with vfio_bind=0: nothing claimed, host drivers bound in the initramfs, one
#       "disabled" entry; also the lab's own topology checks (groups, boot VGA); the VM stack:
#       both guards refuse with vfio-bind's message, the nested QEMU fails with its own error
#   D2  config A with rd.vfio_bind=0: claimed in the root stage, the report says why
#   F   OVMF, [vga] 00:01.0 (the boot VGA, efifb on it): what happens, and what the report says
#   F2  F with video=efifb:off, the fix the report gives: no efifb, the VGA claimed, no framebuffer
#       warning
#   S   an emulated NVMe controller with SR-IOV behind its own root port, vfs = 2: the VFs are
#       created at boot, both on vfio-pci, no other driver's probe ran on them, the journal reports
#       them under the PF's label; no snapshot yet, so this boot takes one
#   S2  S's snapshot in the root (and in the initramfs), the controller moved to another root
#       port (the same bus number): the report names the path drift, drift = refuse leaves the
#       VFs unclaimed (runs after S, in the same flavour)
#   F2, S and S2 boot on initramfs-tools only, unless --only names them (they test the kernel and the
#   root stage; see the loop below)
#
# Usage: scenarios.sh [--only A,BE,C,D,D2,F,F2,S,S2] [--deb FILE] [--recheck DIR] [FLAVOUR...]
#   --recheck DIR   no boots: run the checks again on the outputs a previous run left in DIR
# Ends with "N passed, N failed"; exit status 0 when nothing failed.
# Environment: VFIO_BIND_VM_RESULTS=DIR keeps the outputs and serial logs there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

only='' deb='' recheck=''
flavours=()
while (($#)); do
    case $1 in
    --only) only=,$2,; shift ;;
    --deb) deb=$2; shift ;;
    --recheck) recheck=$2; shift ;;
    -h | --help) sed -n '2,44p' "$0"; exit 0 ;;
    *) vm_check_flavour "$1"; flavours+=("$1") ;;
    esac
    shift
done
((${#flavours[@]})) || flavours=("${VM_FLAVOURS[@]}")
vm_require_root

t_suite=$(vm_now)
out_dir=${recheck:-${VFIO_BIND_VM_RESULTS:-$(mktemp -d /tmp/vfio-bind-vm-scenarios.XXXXXX)}}
mkdir -p "$out_dir"
vm_log "results in $out_dir"

"$VM_LIB_DIR/build-guest.sh" "${flavours[@]}" >/dev/null
if [[ -n $recheck ]]; then
    deb=none
elif [[ -z $deb ]]; then
    t0=$(vm_now)
    deb=$("$VM_LIB_DIR/build-deb.sh" "$out_dir/deb")
    vm_log "package built in $(vm_elapsed "$t0") s: $deb"
fi

GPU=0000:01:00.0
AUDIO=0000:01:00.1
# S, S2: QEMU's NVMe controller (PF) behind root port 00:06.0 (S) or 00:07.0 (S2), bus 02 either way;
# QEMU places its VFs at PF + 1.
NVME_PF=0000:02:00.0
NVME_VFS="0000:02:00.1 0000:02:00.2"
VGA=0000:00:01.0
DISK=0000:00:05.0
NIC=0000:00:03.0
USB=0000:00:04.0

# Configurations and guest-side probes.
cfg=$out_dir/config
mkdir -p "$cfg"
cat >"$cfg/a.conf" <<'CONF'
# GPU and its HDMI audio, by address
[gpu]
address = 0000:01:00.0
functions = all
CONF
{
    printf '# and the metrics for node_exporter, written by the boot unit\n[global]\nmetrics_dir = /var/lib/prometheus/node-exporter\n\n'
    cat "$cfg/a.conf"
} >"$cfg/a-metrics.conf"
cat >"$cfg/b.conf" <<'CONF'
# only the GPU function: its HDMI audio stays with the host
[gpu]
address = 0000:01:00.0
CONF
{
    printf '[global]\ntimeout = 9\n\n'
    cat "$cfg/b.conf"
} >"$cfg/e-initramfs.conf"
cat >"$cfg/c.conf" <<'CONF'
# the slot holds another card than expected, and the root disk's controller
[gpu]
address = 0000:01:00.0
expect = 10de:2684

[disk]
address = 0000:00:05.0

[nic]
address = 0000:00:03.0

[usb]
address = 0000:00:04.0
CONF
# The guest's network: a static address and default route on the e1000e (QEMU's user network).
cat >"$cfg/setup-network.sh" <<'SETUP'
#!/bin/sh
mkdir -p "$1/etc/systemd/network"
printf '[Match]\nDriver=e1000e\n\n[Network]\nAddress=10.0.2.15/24\nGateway=10.0.2.2\n' \
    >"$1/etc/systemd/network/50-lab.network"
systemctl --root="$1" enable systemd-networkd.service >/dev/null 2>&1
SETUP
chmod +x "$cfg/setup-network.sh"
cat >"$cfg/f.conf" <<'CONF'
# the firmware's boot display
[vga]
address = 0000:00:01.0
CONF
cat >"$cfg/s.conf" <<'CONF'
# two virtual functions of the NVMe controller for VMs; the PF stays with the host's nvme driver
[global]
drift = refuse

[nvmevf]
address = 0000:02:00.0
vfs = 2
CONF
# The NVMe controller with SR-IOV (QEMU 7.2: a subsystem, flexible queue and interrupt resources
# for the VFs, and enough left for the PF itself).
nvme_args() {
    local nvme=bus=rpn,serial=vfb0001,subsys=nvsub0,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2
    nvme+=,max_ioqpairs=6,msix_qsize=3
    echo "-device pcie-root-port,id=rpn,chassis=$2,slot=$2,bus=pcie.0,addr=$1" \
        "-device nvme-subsys,id=nvsub0 -device nvme,$nvme"
}
cat >"$cfg/probe-sriov.sh" <<'PROBE'
#!/bin/bash
/usr/lib/vfio-bind-vm/probes/inventory.sh
/usr/lib/vfio-bind-vm/probes/report.sh
pf=/sys/bus/pci/devices/0000:02:00.0
echo "#### sriov"
echo "pf numvfs=$(cat $pf/sriov_numvfs 2>&1) total=$(cat $pf/sriov_totalvfs 2>&1) autoprobe=$(cat $pf/sriov_drivers_autoprobe 2>&1) driver=$(basename "$(readlink $pf/driver)")"
for l in $pf/virtfn*; do
    vf=$(basename "$(readlink "$l")")
    d=$(readlink "/sys/bus/pci/devices/$vf/driver")
    echo "vf ${l##*/} $vf ${d##*/} group=$(basename "$(readlink "/sys/bus/pci/devices/$vf/iommu_group")") override=$(cat "/sys/bus/pci/devices/$vf/driver_override")"
done
echo "#### vf-kernel"
dmesg | grep -E '0000:02:00\.[12]'
echo "#### snapshot"
cat /var/lib/vfio-bind/snapshot 2>&1
echo "#### initrd-snapshot"
img=/boot/initrd.img-$(uname -r)
{ lsinitramfs "$img" 2>/dev/null || lsinitrd "$img" 2>/dev/null; } | grep -c 'var/lib/vfio-bind/snapshot' || true
echo "#### snapshot-unit"
systemctl show -p ActiveState -p Result vfio-bind-snapshot.service
journalctl -b -u vfio-bind-snapshot -o cat --no-pager
exit 0
PROBE
chmod +x "$cfg/probe-sriov.sh"
# S2: the snapshot S took, on the root's disk before its initramfs is made (so the image carries it).
cat >"$cfg/setup-s2.sh" <<SETUP
#!/bin/bash
set -euo pipefail
source "$VM_LIB_DIR/lib.sh"
install -d -m 0755 "\$1/var/lib/vfio-bind"
vm_section "\$S2_SNAPSHOT_FROM" snapshot >"\$1/var/lib/vfio-bind/snapshot"
grep -q '^function ' "\$1/var/lib/vfio-bind/snapshot"
SETUP
chmod +x "$cfg/setup-s2.sh"
cat >"$cfg/post-b.sh" <<POST
#!/bin/sh
# The administrator edits the configuration and reboots without rebuilding the initramfs.
install -m 0644 "$cfg/b.conf" "\$1/etc/vfio-bind.conf"
POST
chmod +x "$cfg/post-b.sh"
for kind in plain vmstack; do
    args='' vmstack=:
    # Only A (probe-a.sh, below) and D (vmstack) have the VM stack set up; its nested QEMU costs time.
    [[ $kind == plain ]] || vmstack=/usr/lib/vfio-bind-vm/probes/vmstack.sh
    cat >"$cfg/probe-$kind.sh" <<PROBE
#!/bin/bash
/usr/lib/vfio-bind-vm/probes/inventory.sh
$vmstack
/usr/lib/vfio-bind-vm/probes/report.sh $args
PROBE
    chmod +x "$cfg/probe-$kind.sh"
done
# The VM stack of A and D (probes/vmstack.sh): stub units named as Proxmox's and libvirt's VM
# starters, without default dependencies so that only vfio-bind's drop-ins order them; a Proxmox VM
# and a libvirt domain passing the GPU pair, in their own formats.
cat >"$cfg/setup-vmstack.sh" <<'SETUP'
#!/bin/bash
set -e
root=$1
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
for u in pve-guests.service libvirt-guests.service libvirtd.service virtqemud.service; do
    printf '[Unit]\nDescription=stub %s\nDefaultDependencies=no\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n' \
        "$u" >"$root/etc/systemd/system/$u"
    ln -sf "../$u" "$root/etc/systemd/system/multi-user.target.wants/$u"
done
mkdir -p "$root/etc/pve/qemu-server" "$root/etc/libvirt/qemu" "$root/var/lib/prometheus/node-exporter"
printf 'boot: order=scsi0\ncores: 2\nhostpci0: 0000:01:00,pcie=1\nmachine: q35\nmemory: 2048\nname: passthrough\nonboot: 1\n' \
    >"$root/etc/pve/qemu-server/100.conf"
cat >"$root/etc/libvirt/qemu/passthrough.xml" <<'XML'
<domain type='kvm'>
  <name>passthrough</name>
  <memory unit='KiB'>2097152</memory>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <hostdev mode='subsystem' type='pci' managed='no'>
      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>
    </hostdev>
    <hostdev mode='subsystem' type='pci' managed='no'>
      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x1'/></source>
    </hostdev>
  </devices>
</domain>
XML
SETUP
chmod +x "$cfg/setup-vmstack.sh"
# A: what list shows of the guest.
cat >"$cfg/probe-a.sh" <<'PROBE'
#!/bin/bash
/usr/lib/vfio-bind-vm/probes/inventory.sh
/usr/lib/vfio-bind-vm/probes/vmstack.sh
/usr/lib/vfio-bind-vm/probes/report.sh --verbose-journal --runtime
echo "#### list"
vfio-bind list; echo "rc=$?"
echo "#### list-all"
vfio-bind list --all; echo "rc=$?"
echo "#### list-json"
vfio-bind list --json --all; echo "rc=$?"
echo "#### suggest"
vfio-bind suggest 0000:00:04.0; echo "rc=$?"
PROBE
chmod +x "$cfg/probe-a.sh"
# C: once the network is up, what check, apply and list say of the e1000e.
cat >"$cfg/probe-c.sh" <<'PROBE'
#!/bin/bash
/usr/lib/vfio-bind-vm/probes/inventory.sh
/usr/lib/vfio-bind-vm/probes/report.sh
export NO_COLOR=1
# The probe runs at multi-user.target, which does not wait for the network.
/lib/systemd/systemd-networkd-wait-online --any --timeout=0 >/dev/null 2>&1
echo "#### route"
cat /proc/net/route
echo "#### network-check"
vfio-bind check; echo "rc=$?"
echo "#### network-apply"
vfio-bind apply --json; rc=$?
echo
echo "rc=$rc"
echo "#### nic-driver"
basename "$(readlink /sys/bus/pci/devices/0000:00:03.0/driver)"
echo "#### network-list"
vfio-bind list --all; echo "rc=$?"
PROBE
chmod +x "$cfg/probe-c.sh"

rebuild_command() {
    case $1 in
    initramfs-tools) echo 'update-initramfs -u -k all' ;;
    dracut) echo 'dracut -f --regenerate-all' ;;
    esac
}

results=()
timings=()
# boot TAG FLAVOUR [run-scenario options]: one boot; on failure the serial log's relevant part.
boot() {
    local tag=$1 flavour=$2 rc=0 t
    shift 2
    local o=$out_dir/$tag.out log=$out_dir/$tag.log
    t=$(vm_now)
    echo
    echo "=== $tag"
    "$VM_LIB_DIR/run-scenario.sh" --flavour "$flavour" --deb "$deb" --force-drivers \
        --out "$o" --log "$log" "$@" 2>"$out_dir/$tag.err" || rc=$?
    grep -E '^TIMING' "$out_dir/$tag.err" >&2 || true
    vm_check "$tag: the guest reached multi-user.target and the probe ran" test "$rc" = 0
    if ((rc != 0)); then
        show_log "$tag" >&2
        echo "----- $tag: last lines of the serial log -----" >&2
        tail -n 30 "$log" >&2
        echo "----- end of $tag -----" >&2
        timings+=("$tag: $(vm_elapsed "$t") s (no probe output)")
        return 1
    fi
    timings+=("$tag: $(vm_elapsed "$t") s ($(grep '^TIMING' "$out_dir/$tag.err" | cut -d' ' -f3-5))")
}

# The serial log lines that matter when an assertion failed: the product's lines, binds of the
# devices under test, and the boot's milestones.
show_log() {
    local tag=$1
    echo "----- $tag: serial log (vfio-bind, binds of the devices under test, milestones) -----"
    awk '/^==== VFIO-BIND-VM BEGIN/ { skip = 1 } !skip { print } /^==== VFIO-BIND-VM END/ { skip = 0 }' \
        "$out_dir/$tag.log" |
        grep -aE 'vfio|0000:01:00\.[01]|0000:00:0[15]\.0|Run /init|running in system mode|efifb|vgaarb|Reached target|Failed|error' |
        tail -n 60 || true
    if [[ -s $out_dir/$tag.out ]]; then
        echo "----- $tag: the report -----"
        vm_jprint "$out_dir/$tag.out"
    fi
    echo "----- end of $tag -----"
}

# run_checks TAG FUNCTION: run FUNCTION's checks; print the log excerpt when one failed.
run_checks() {
    local tag=$1 fn=$2 before=$VM_FAILED t
    t=$(vm_now)
    "$fn" "$out_dir/$tag.out" "$tag" "${@:3}"
    if ((VM_FAILED > before)); then
        show_log "$tag"
        results+=("$tag: FAILED ($((VM_FAILED - before)) checks)")
    else
        results+=("$tag: ok")
    fi
}

drv() { vm_inv_dev "$1" "$2" driver; }
# The drivers the driver core bound to BDF (dyndbg lines of the probe's binds section).
bound_drivers() {
    vm_section "$1" binds | grep -F "$2" | grep -E 'driver_bound|bound device' |
        sed -nE "s/.*driver: '([^']+)': driver_bound.*/\1/p; s/.*bound device [^ ]+ to driver ([^ ]+).*/\1/p" |
        sort -u | tr '\n' ' ' | sed 's/ $//'
}
# Whether a driver was ever offered the device (really_probe's "probing driver X with device BDF").
probed_by() {
    vm_section "$1" binds | grep -F "$2" | grep -qE "probing driver $3 with device"
}
jf() { vm_jfield "$1" "VFIO_BIND_DEVICE=$2" "$3"; }
# status_agrees OUT SECTION-LINE-PREFIX: status --json's driver equals sysfs for both functions.
json_driver() { jq -r --arg a "$2" '.devices[] | select(.address == $a) | .driver // "none"' <<<"$1"; }
json_field() { jq -r --arg a "$2" --arg f "$3" '.devices[] | select(.address == $a) | .[$f] | tostring' <<<"$1"; }

# ---------------------------------------------------------------------------------------------
checks_a() {
    local o=$1 tag=$2 flavour=$3 g init root json step
    for b in $GPU $AUDIO; do
        vm_check "$tag: $b on vfio-pci after boot" test "$(drv "$o" $b)" = vfio-pci
        vm_check "$tag: the driver core bound $b to vfio-pci only (bound: $(bound_drivers "$o" $b))" \
            test "$(bound_drivers "$o" $b)" = vfio-pci
        vm_check "$tag: $b was bound in the initramfs (before the real root's systemd)" \
            vm_lt "$(vm_inv_time "$o" bind:$b)" "$(vm_inv_time "$o" root)"
        vm_check "$tag: $b: report says claimed" test "$(jf "$o" $b VFIO_BIND_RESULT)" = claimed
        vm_check "$tag: $b: report says stage initramfs" test "$(jf "$o" $b VFIO_BIND_STAGE)" = initramfs
        vm_check "$tag: $b: report's previous driver is none" test "$(jf "$o" $b VFIO_BIND_PREVIOUS_DRIVER)" = none
        vm_check "$tag: $b: report: driver vfio-pci, group viable, priority info" \
            test "$(jf "$o" $b VFIO_BIND_DRIVER) $(jf "$o" $b VFIO_BIND_GROUP_VIABLE) $(jf "$o" $b PRIORITY)" = "vfio-pci yes 6"
        vm_check "$tag: $b: entry carries OBJECT_SYSTEMD_UNIT=vfio-bind.service" \
            test "$(jf "$o" $b OBJECT_SYSTEMD_UNIT)" = vfio-bind.service
        vm_check "$tag: $b: message says claimed in the initramfs before udev" \
            vm_contains "$(jf "$o" $b MESSAGE)" "claimed in the initramfs before udev (previous driver: none)"
        vm_check "$tag: journalctl -b -u vfio-bind (plain) shows $b" \
            grep -qF "$b" <<<"$(vm_section "$o" journal-plain)"
        vm_check "$tag: the initramfs state records $b none -> vfio-pci" \
            grep -qP "^device\t$b\t(none|-)\tvfio-pci\tclaimed\t" <<<"$(vm_section "$o" state)"
    done
    vm_check "$tag: bochs-drm was never offered $GPU" eval '! probed_by "$o" $GPU bochs-drm'
    vm_check "$tag: snd_hda_intel was never offered $AUDIO" eval '! probed_by "$o" $AUDIO snd_hda_intel'
    g=$(jf "$o" $GPU VFIO_BIND_IOMMU_GROUP)
    vm_check "$tag: report's group ($g) is the sysfs group" test "$g" = "$(vm_inv_dev "$o" $GPU group)"
    vm_check "$tag: /dev/vfio/$g exists" grep -qx "$g" <<<"$(vm_section "$o" dev-vfio)"
    vm_check "$tag: summary: 2 of 2 functions on vfio-pci, claimed in the initramfs before udev" \
        test "$(vm_jfield "$o" VFIO_BIND_KIND=summary MESSAGE)" = "2 of 2 functions on vfio-pci, claimed in the initramfs before udev"
    vm_check "$tag: journalctl -u finds every entry of vfio-bind ($(vm_section "$o" journal-ident | tr '\n' ' '))" \
        eval '[[ $(vm_section "$o" journal-ident | tr "\n" " ") =~ ^entries=([1-9][0-9]*)\ unit_entries=([0-9]+)\  && ${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}" ]]'
    vm_check "$tag: the initramfs stage's summary reached journalctl -b through the kernel log" \
        grep -qx "2 of 2 functions on vfio-pci, claimed in the initramfs before udev" <<<"$(vm_section "$o" journal-kernel)"
    vm_check "$tag: no host note (stale, missing initramfs, iommu)" test "$(vm_jcount "$o" VFIO_BIND_KIND=initramfs-stale)$(vm_jcount "$o" VFIO_BIND_KIND=initramfs-missing)$(vm_jcount "$o" VFIO_BIND_KIND=iommu-off)" = 000
    vm_check "$tag: vfio-bind.service succeeded" grep -qx 'Result=success' <<<"$(vm_section "$o" unit)"
    checks_vmstack "$o" "$tag" 1

    json=$(vm_section "$o" status-json | head -n1)
    for b in $GPU $AUDIO; do
        vm_check "$tag: boot: status --json for $b: driver vfio-pci, verdict ok, ok true" \
            test "$(json_driver "$json" $b) $(json_field "$json" $b verdict) $(json_field "$json" $b ok)" = "vfio-pci ok true"
    done
    vm_check "$tag: boot: status exits 0" grep -qx 'rc=0' <<<"$(vm_section "$o" status-json)"

    # list: every function by group, as the admin's first look.
    local list all lj gg
    list=$(vm_section "$o" list) all=$(vm_section "$o" list-all) lj=$(vm_section "$o" list-json | head -n1)
    vm_check "$tag: list exits 0" grep -qx 'rc=0' <<<"$list"
    vm_check "$tag: list: group $g, a VM needs all its functions" grep -qx "IOMMU group $g: a VM needs all its functions (bridges excepted)" <<<"$list"
    vm_check "$tag: list: $GPU on vfio-pci (its override too), configured [gpu]" \
        grep -qE "^  $GPU +1234:1111 .* vfio-pci \(override vfio-pci\) +configured \[gpu\]$" <<<"$list"
    vm_check "$tag: list: the root disk's controller is hidden by default" eval '! grep -q "^  $DISK" <<<"$list"'
    vm_check "$tag: list --all: $DISK holds filesystems /" grep -qE "^  $DISK .* holds filesystems /(,|$| )" <<<"$all"
    vm_check "$tag: list --all: $DISK's group is host-critical" \
        grep -qxE "IOMMU group $(vm_inv_dev "$o" $DISK group): (the host needs it|shares with a device the host needs): not for a VM" <<<"$all"
    vm_check "$tag: list --all: $VGA is the boot display" grep -qE "^  $VGA .* boot display" <<<"$all"
    vm_check "$tag: list --json: $GPU in group $g, verdict needs-all-functions, driver vfio-pci" \
        test "$(jq -r --arg a $GPU '.groups[] | select(any(.functions[]; .address == $a)) | "\(.group) \(.verdict) \(.functions[] | select(.address == $a) | .driver)"' <<<"$lj")" = "$g needs-all-functions vfio-pci"
    gg=$(jq -r --arg a $AUDIO '.groups[] | select(any(.functions[]; .address == $a)) | .group' <<<"$lj")
    vm_check "$tag: list --json: $AUDIO in the same group" test "$gg" = "$g"
    local wrong=''
    while read -r a n; do
        [[ $(vm_inv_dev "$o" "$a" group) == "$n" ]] || wrong+=" $a"
    done < <(jq -r '.groups[] | .group as $g | .functions[] | "\(.address) \($g)"' <<<"$lj")
    vm_check "$tag: list --json: every function of the guest, each in its sysfs group (wrong:${wrong:- none})" \
        test -z "$wrong" -a "$(jq '[.groups[].functions[]] | length' <<<"$lj")" = "$(grep -c '^dev ' "$o")"
    vm_check "$tag: list --json: $DISK holds / and is host-critical" \
        test "$(jq -r --arg a $DISK '.groups[].functions[] | select(.address == $a) | "\(.filesystems | index("/") != null) \(.host_critical)"' <<<"$lj")" = "true true"
    vm_check "$tag: list --json: $NIC is an Ethernet controller on e1000e with an interface" \
        test "$(jq -r --arg a $NIC '.groups[].functions[] | select(.address == $a) | "\(.class_name)|\(.driver)|\(.network_interfaces | length)"' <<<"$lj")" = "Ethernet controller|e1000e|1"
    vm_check "$tag: suggest $USB: a [usb] section with its ids" \
        grep -qzP "\\[usb\\]\naddress = $USB\nexpect = [0-9a-f]{4}:[0-9a-f]{4}\n" <<<"$(vm_section "$o" suggest)"
    echo "$tag: list as the guest shows it:"
    sed "s/^/$tag: | /" <<<"$list"

    # Run time: release, then apply.
    local -A want=([release:$GPU]=bochs-drm [release:$AUDIO]=snd_hda_intel [apply:$GPU]=vfio-pci [apply:$AUDIO]=vfio-pci)
    for step in release apply; do
        local sec
        sec=$(vm_section "$o" "runtime-$step")
        vm_check "$tag: vfio-bind $step exits 0" grep -qx "rc $step 0" <<<"$sec"
        json=$(sed -n "s/^json $step //p" <<<"$sec")
        for b in $GPU $AUDIO; do
            local s
            s=$(awk -v s="$step" -v b="$b" '$1 == "sysfs" && $2 == s && $3 == b { print $4 }' <<<"$sec")
            vm_check "$tag: after $step: $b on ${want[$step:$b]} (sysfs: $s)" test "$s" = "${want[$step:$b]}"
            vm_check "$tag: after $step: status --json says $b is on $s" test "$(json_driver "$json" $b)" = "$s"
        done
        # What the command itself printed (table: LABEL ADDRESS ID CLASS BEFORE DRIVER ...).
        local printed
        printed=$(awk -v s="$step" '$1 == "out" && $2 == s && $4 ~ /^0000:/ && $5 ~ /^[0-9a-f]+:[0-9a-f]+$/ { printf "%s=%s ", $4, $(NF - 3) }' <<<"$sec")
        echo "$tag: vfio-bind $step printed DRIVER: $printed"
        if [[ $step == release ]]; then
            vm_check "$tag: after release: no driver_override left" \
                test "$(json_field "$json" $GPU driver_override)$(json_field "$json" $AUDIO driver_override)" = nullnull
            vm_check "$tag: after release: verdict host-driver" \
                test "$(json_field "$json" $GPU verdict) $(json_field "$json" $GPU ok)" = "host-driver false"
        else
            vm_check "$tag: after apply: verdict ok" \
                test "$(json_field "$json" $GPU verdict)$(json_field "$json" $AUDIO verdict)" = okok
        fi
    done
}

# The VM stack (probes/vmstack.sh), after a boot that claimed the pair (CLAIMED=1) or not (0).
checks_vmstack() {
    local o=$1 tag=$2 claimed=$3 line u after dropins active start bind_active sec pci b
    sec=$(vm_section "$o" ordering)
    bind_active=$(awk '$1 == "vfio-bind.service" { for (i = 2; i <= NF; i++) if ($i ~ /^active=/) print substr($i, 8) }' <<<"$sec")
    vm_check "$tag: vfio-bind.service became active (at $bind_active us)" eval '[[ $bind_active =~ ^[1-9][0-9]*$ ]]'
    for u in pve-guests.service libvirt-guests.service libvirtd.service virtqemud.service; do
        line=$(grep "^$u " <<<"$sec")
        after=$(sed -n 's/.* After=\([^ ]*\).*/\1/p' <<<"$line")
        dropins=$(sed -n 's/.* DropIns=\([^ ]*\).*/\1/p' <<<"$line")
        start=$(sed -n 's/.* start=\([0-9]*\).*/\1/p' <<<"$line")
        vm_check "$tag: $u: After= has vfio-bind.service" vm_contains ",$after," ",vfio-bind.service,"
        vm_check "$tag: $u: through the drop-in 50-vfio-bind.conf" vm_contains "$dropins" "$u.d/50-vfio-bind.conf"
        vm_check "$tag: $u started ($start us) after vfio-bind.service was active ($bind_active us)" \
            eval '[[ $start =~ ^[1-9][0-9]*$ ]] && ((start >= bind_active))'
    done

    sec=$(vm_section "$o" metrics-file)
    vm_check "$tag: the boot unit wrote the metrics file, mode 644" grep -qx 'mode=644' <<<"$sec"
    vm_check "$tag: ... with $GPU's state ($claimed)" \
        grep -q "^vfio_bind_device_on_vfio{address=\"$GPU\",label=\"gpu\",driver=\"[^\"]*\"} $claimed\$" <<<"$sec"
    vm_check "$tag: ... and the boot report's time" grep -q '^vfio_bind_boot_report_timestamp_seconds [1-9]' <<<"$sec"
    sec=$(vm_section "$o" metrics)
    for b in $GPU $AUDIO; do
        vm_check "$tag: metrics: $b on_vfio $claimed" \
            grep -q "^vfio_bind_device_on_vfio{address=\"$b\",label=\"gpu\",driver=\"[^\"]*\"} $claimed\$" <<<"$sec"
    done
    if ((claimed)); then
        vm_check "$tag: metrics: $GPU claimed by the initramfs stage" \
            grep -q "^vfio_bind_device_claimed_stage{address=\"$GPU\",label=\"gpu\",stage=\"initramfs\"} 1\$" <<<"$sec"
        vm_check "$tag: metrics: the boot report's time" grep -q '^vfio_bind_boot_report_timestamp_seconds [1-9]' <<<"$sec"
        vm_check "$tag: Proxmox hookscript lets VM 100 start" grep -qx 'rc=0' <<<"$(vm_section "$o" guard-proxmox)"
        vm_check "$tag: libvirt hook lets the domain start" grep -qx 'rc=0' <<<"$(vm_section "$o" guard-libvirt)"
        sec=$(vm_section "$o" qemu)
        pci=$(sed -n 's/^query-pci //p' <<<"$sec")
        vm_check "$tag: nested QEMU with both functions as vfio-pci exits 0 after quit" grep -qx 'rc=0' <<<"$sec"
        vm_check "$tag: QMP query-pci lists hostdev0 as 1234:1111 (the GPU function)" \
            test "$(jq -r '[.return[].devices[] | select(.qdev_id == "hostdev0") | "\(.id.vendor):\(.id.device)"] | join(" ")' <<<"$pci" 2>/dev/null)" = 4660:4369
        vm_check "$tag: QMP query-pci lists hostdev1 as 8086:2668 (the audio function, intel-hda)" \
            test "$(jq -r '[.return[].devices[] | select(.qdev_id == "hostdev1") | "\(.id.vendor):\(.id.device)"] | join(" ")' <<<"$pci" 2>/dev/null)" = 32902:9832
    else
        sec=$(vm_section "$o" guard-proxmox)
        echo "$tag: the Proxmox hookscript said:"
        sed "s/^/$tag:   /" <<<"$sec"
        vm_check "$tag: Proxmox hookscript refuses VM 100 (exit 1)" grep -qx 'rc=1' <<<"$sec"
        vm_check "$tag: ... naming $GPU on bochs-drm" \
            grep -qF "vfio-bind: refusing to start Proxmox VM 100: $GPU (hostpci0) is on bochs-drm, not on a VFIO driver" <<<"$sec"
        vm_check "$tag: ... and $AUDIO on snd_hda_intel" \
            grep -qF "vfio-bind: refusing to start Proxmox VM 100: $AUDIO (hostpci0) is on snd_hda_intel" <<<"$sec"
        vm_check "$tag: ... with the fix" grep -qF "vfio-bind:   fix: run 'vfio-bind status'" <<<"$sec"
        sec=$(vm_section "$o" guard-libvirt)
        vm_check "$tag: libvirt hook refuses the domain (exit 1)" grep -qx 'rc=1' <<<"$sec"
        vm_check "$tag: ... naming $GPU" \
            grep -qF "vfio-bind: refusing to start libvirt domain passthrough: $GPU (hostdev) is on bochs-drm" <<<"$sec"
        sec=$(vm_section "$o" qemu)
        echo "$tag: QEMU said: $(grep '^stderr ' <<<"$sec" | head -n 3 | tr '\n' ' ')"
        vm_check "$tag: nested QEMU fails on its own (exit status not 0)" eval '! grep -qx "rc=0" <<<"$sec"'
        vm_check "$tag: ... with its own error about vfio and $GPU" grep -q "^stderr .*vfio.*$GPU" <<<"$sec"
        vm_check "$tag: ... and never answered query-pci" eval '! grep -q "^query-pci {" <<<"$sec"'
    fi
}

checks_be() {
    local o=$1 tag=$2 flavour=$3 m
    vm_check "$tag: $GPU on vfio-pci" test "$(drv "$o" $GPU)" = vfio-pci
    vm_check "$tag: $AUDIO stays on snd_hda_intel" test "$(drv "$o" $AUDIO)" = snd_hda_intel
    vm_check "$tag: $GPU claimed in the initramfs (previous driver none)" \
        test "$(jf "$o" $GPU VFIO_BIND_STAGE) $(jf "$o" $GPU VFIO_BIND_PREVIOUS_DRIVER)" = "initramfs none"
    vm_check "$tag: $GPU: VFIO_BIND_GROUP_VIABLE=no" test "$(jf "$o" $GPU VFIO_BIND_GROUP_VIABLE)" = no
    vm_check "$tag: $GPU: warning priority" test "$(jf "$o" $GPU PRIORITY)" = 4
    m=$(jf "$o" $GPU MESSAGE)
    vm_check "$tag: the message names $AUDIO on snd_hda_intel as what keeps the group unusable" \
        vm_contains "$m" "is not usable by a VM: $AUDIO (snd_hda_intel)"
    vm_check "$tag: no entry claims $AUDIO" test "$(vm_jcount "$o" VFIO_BIND_DEVICE=$AUDIO)" = 0
    m=$(vm_jfield "$o" VFIO_BIND_KIND=initramfs-stale MESSAGE)
    vm_check "$tag: the report says the initramfs is stale" test -n "$m"
    vm_check "$tag: ... with the $flavour command '$(rebuild_command "$flavour")'" \
        vm_contains "$m" "'$(rebuild_command "$flavour")'"
    vm_check "$tag: status --json: group_viable false" \
        test "$(json_field "$(vm_section "$o" status-json | head -n1)" $GPU group_viable)" = false
}

checks_c() {
    local o=$1 tag=$2 flavour=$3
    vm_check "$tag: $GPU left on bochs-drm" test "$(drv "$o" $GPU)" = bochs-drm
    vm_check "$tag: $DISK left on virtio-pci" test "$(drv "$o" $DISK)" = virtio-pci
    vm_check "$tag: vfio-pci never bound $DISK" eval '[[ $(bound_drivers "$o" $DISK) != *vfio* ]]'
    vm_check "$tag: $GPU: error, reason id-mismatch" \
        test "$(jf "$o" $GPU PRIORITY) $(jf "$o" $GPU VFIO_BIND_REASON)" = "3 id-mismatch"
    vm_check "$tag: $DISK: error, reason holds-filesystem" \
        test "$(jf "$o" $DISK PRIORITY) $(jf "$o" $DISK VFIO_BIND_REASON)" = "3 holds-filesystem"
    vm_check "$tag: both entries have a fix" test -n "$(jf "$o" $GPU VFIO_BIND_FIX)" -a -n "$(jf "$o" $DISK VFIO_BIND_FIX)"
    vm_check "$tag: the gpu entry names the ids found" vm_contains "$(jf "$o" $GPU MESSAGE)" "1234:1111"
    vm_check "$tag: multi-user.target reached" test -n "$(vm_inv_time "$o" multi_user | tr -d -)"
    vm_check "$tag: the initramfs stage left $DISK alone" \
        eval '! grep -qP "^device\t$DISK\t[^\t]*\tvfio-pci\t" <<<"$(vm_section "$o" state)"'

    # The management NIC: never claimed; the other configured device is.
    local chk app m
    vm_check "$tag: $NIC left on e1000e" test "$(drv "$o" $NIC)" = e1000e
    vm_check "$tag: vfio-pci never bound $NIC" eval '[[ $(bound_drivers "$o" $NIC) != *vfio* ]]'
    vm_check "$tag: $USB claimed (on vfio-pci, result claimed)" \
        test "$(drv "$o" $USB) $(jf "$o" $USB VFIO_BIND_RESULT)" = "vfio-pci claimed"
    vm_check "$tag: the initramfs left $NIC to the root stage (its record is of the build machine)" \
        test "$(jf "$o" $NIC VFIO_BIND_INITRAMFS_REASON)" = network-deferred
    vm_check "$tag: $NIC: error entry, reason network-unknown (the root stage runs before the network is up)" \
        test "$(jf "$o" $NIC PRIORITY) $(jf "$o" $NIC VFIO_BIND_REASON)" = "3 network-unknown"
    m=$(jf "$o" $NIC MESSAGE)
    vm_check "$tag: the journal says why: the network is not configured yet, no record of this machine" \
        vm_contains "$m" "the host's network is not configured yet and no record of this machine says which function carries it"
    vm_check "$tag: ... and how to fix it" vm_contains "$(jf "$o" $NIC VFIO_BIND_FIX)" "set force = yes in [nic]"
    vm_check "$tag: the guest's default route is up once the network is" \
        grep -qP '^\S+\t00000000\t0202000A\t' <<<"$(vm_section "$o" route)"
    # The probe's output is a terminal (the serial port): drop colours, if any.
    chk=$(vm_section "$o" network-check | sed 's/\x1b\[[0-9;]*m//g')
    vm_check "$tag: check (network up) refuses $NIC as the management NIC" \
        grep -qE "^nic +$NIC .* management-nic$" <<<"$chk"
    vm_check "$tag: check names the default route on the e1000e's interface" \
        grep -qE "error: $NIC carries the host's own network \(the default route on [a-z0-9]+\); passing it to a VM would cut the host off" <<<"$chk"
    app=$(vm_section "$o" network-apply | head -n1)
    vm_check "$tag: apply (network up) leaves $NIC: verdict management-nic" \
        test "$(json_field "$app" $NIC verdict) $(json_field "$app" $NIC driver)" = "management-nic e1000e"
    vm_check "$tag: apply: $USB stays claimed" test "$(json_field "$app" $USB driver)" = vfio-pci
    vm_check "$tag: after apply $NIC is still on e1000e" test "$(vm_section "$o" nic-driver)" = e1000e
    vm_check "$tag: list --all shows the host network on $NIC" \
        grep -qE "^  $NIC .* host network: the default route on [a-z0-9]+(;|$)" <<<"$(vm_section "$o" network-list)"
    echo "$tag: check with the network up:"
    sed "s/^/$tag: | /" <<<"$chk"
}

checks_d() {
    local o=$1 tag=$2 flavour=$3 g init root
    vm_check "$tag: $GPU on bochs-drm" test "$(drv "$o" $GPU)" = bochs-drm
    vm_check "$tag: $AUDIO on snd_hda_intel" test "$(drv "$o" $AUDIO)" = snd_hda_intel
    vm_check "$tag: exactly one entry of vfio-bind" test "$(vm_jcount "$o" -)" = 1
    vm_check "$tag: it is the kill switch's" \
        test "$(vm_jfield "$o" VFIO_BIND_KIND=disabled MESSAGE)" = "vfio-bind is disabled by vfio_bind=0 on the kernel command line: nothing was claimed"
    vm_check "$tag: no driver_override was written" \
        eval '[[ $(vm_section "$o" status-json | head -n1 | jq -r "[.devices[].driver_override] | map(select(. != null)) | length") == 0 ]]'
    # The lab itself (what smoke.sh checks): topology, and host drivers bind in the initramfs.
    g=$(vm_inv_dev "$o" $GPU group)
    vm_check "$tag: lab: group $g is exactly {$GPU $AUDIO}" test "$(vm_inv_group "$o" "$g")" = "$GPU $AUDIO"
    vm_check "$tag: lab: $VGA is the boot VGA, in another group" \
        test "$(vm_inv_dev "$o" $VGA boot_vga)" = 1 -a "$(vm_inv_dev "$o" $VGA group)" != "$g"
    init=$(vm_inv_time "$o" init) root=$(vm_inv_time "$o" root)
    for b in $GPU $AUDIO; do
        vm_check "$tag: lab: the host driver bound $b in the initramfs ($init < $(vm_inv_time "$o" bind:$b) < $root)" \
            eval 'vm_lt "$init" "$(vm_inv_time "$o" bind:$b)" && vm_lt "$(vm_inv_time "$o" bind:$b)" "$root"'
    done
    checks_vmstack "$o" "$tag" 0
}

checks_d2() {
    local o=$1 tag=$2 flavour=$3
    for b in $GPU $AUDIO; do
        vm_check "$tag: $b on vfio-pci" test "$(drv "$o" $b)" = vfio-pci
        vm_check "$tag: $b: stage root" test "$(jf "$o" $b VFIO_BIND_STAGE)" = root
    done
    vm_check "$tag: $GPU: previous driver bochs-drm (it bound in the initramfs; got: $(jf "$o" $GPU VFIO_BIND_PREVIOUS_DRIVER))" \
        test "$(jf "$o" $GPU VFIO_BIND_PREVIOUS_DRIVER)" = bochs-drm
    vm_check "$tag: the report says the initramfs stage was disabled by rd.vfio_bind=0" \
        vm_contains "$(vm_jfield "$o" VFIO_BIND_KIND=initramfs-disabled MESSAGE)" "disabled by rd.vfio_bind=0"
    vm_check "$tag: summary: claimed in the root stage" \
        test "$(vm_jfield "$o" VFIO_BIND_KIND=summary MESSAGE)" = "2 of 2 functions on vfio-pci, claimed in the root stage"
}

checks_f() {
    local o=$1 tag=$2 flavour=$3 m
    echo "$tag: observed: $VGA on $(drv "$o" $VGA); $(vm_section "$o" display | head -n1)"
    vm_section "$o" display | grep -iE 'vgaarb|efifb|vfio|remov|conflict' | sed "s/^/$tag: dmesg: /" | head -n 12
    vm_jprint "$o" | sed "s/^/$tag: report:/"
    vm_check "$tag: $VGA is the boot VGA" test "$(vm_inv_dev "$o" $VGA boot_vga)" = 1
    vm_check "$tag: efifb was set up by the firmware" grep -qi 'efifb' <<<"$(vm_section "$o" display)"
    vm_check "$tag: $VGA on vfio-pci" test "$(drv "$o" $VGA)" = vfio-pci
    m=$(jf "$o" $VGA MESSAGE)
    vm_check "$tag: the report warns that $VGA is the firmware's boot display" \
        vm_contains "$m" "is the firmware's boot display"
    vm_check "$tag: $VGA: warning priority" test "$(jf "$o" $VGA PRIORITY)" = 4
    vm_check "$tag: efifb is gone from /proc/fb" eval '! grep -qi efi <<<"$(vm_section "$o" display | head -n1)"'
    vm_check "$tag: the initramfs stage (kernel log) said efifb lives in a BAR of $VGA" \
        grep -q "vfio-bind: .*firmware framebuffer 'efifb' lives in a BAR of $VGA" <<<"$(vm_section "$o" kmsg)"
    # The boot's report (journalctl -u) is made after efifb is gone: the initramfs stage's warning must
    # still reach it, with the kernel option that avoids it.
    vm_check "$tag: the journal report says efifb sat in a BAR of $VGA" \
        vm_contains "$m" "firmware framebuffer 'efifb' lives in a BAR of $VGA"
    vm_check "$tag: the journal report gives the fix video=efifb:off" vm_contains "$m" "video=efifb:off"
}

# F with the option the report gives: the kernel really keeps efifb off, the boot VGA is claimed, and the
# report has no framebuffer to warn about (but still says the host loses its boot display).
checks_f2() {
    local o=$1 tag=$2 m disp
    # The kernel's command line (which holds the option) is not a sign of efifb.
    disp=$(vm_section "$o" display | grep -vi 'command line')
    echo "$tag: observed: $VGA on $(drv "$o" $VGA); $(head -n1 <<<"$disp")"
    vm_check "$tag: $VGA is the boot VGA" test "$(vm_inv_dev "$o" $VGA boot_vga)" = 1
    # Only the driver's own lines ("efifb: probing for efifb", "efifb: framebuffer at ..."): 6.1 also says
    # "BAR 0: assigned to efifb" of the firmware's reservation, which the option does not undo.
    vm_check "$tag: video=efifb:off kept efifb off: the efifb driver printed nothing" \
        eval '! grep -q "efifb: " <<<"$disp"'
    vm_check "$tag: no EFI framebuffer in /proc/fb" eval '! grep -qi efi <<<"$(head -n1 <<<"$disp")"'
    vm_check "$tag: $VGA on vfio-pci" test "$(drv "$o" $VGA)" = vfio-pci
    m=$(jf "$o" $VGA MESSAGE)
    vm_check "$tag: the report still says $VGA is the firmware's boot display" \
        vm_contains "$m" "is the firmware's boot display"
    vm_check "$tag: the report warns of no framebuffer: none was there" eval '! vm_contains "$m" "firmware framebuffer"'
}

vf_line() { vm_section "$1" sriov | awk -v v="$2" '$1 == "vf" && $3 == v'; }

checks_s() {
    local o=$1 tag=$2 flavour=$3 pf vf m
    pf=$(vm_section "$o" sriov | grep '^pf ')
    echo "$tag: $pf"
    vm_section "$o" sriov | grep '^vf ' | sed "s/^/$tag: /"
    vm_check "$tag: the PF has the 2 VFs vfs = 2 asked for" vm_contains "$pf" "numvfs=2 "
    vm_check "$tag: sriov_drivers_autoprobe was turned off" vm_contains "$pf" "autoprobe=0"
    vm_check "$tag: the PF stays on nvme" vm_contains "$pf" "driver=nvme"
    vm_check "$tag: two virtfn links" test "$(vm_section "$o" sriov | grep -c '^vf ')" = 2
    for vf in $NVME_VFS; do
        vm_check "$tag: $vf on vfio-pci ($(vf_line "$o" $vf))" test "$(vf_line "$o" $vf | awk '{ print $4 }')" = vfio-pci
        vm_check "$tag: the driver core bound $vf to vfio-pci only (bound: $(bound_drivers "$o" $vf))" \
            test "$(bound_drivers "$o" $vf)" = vfio-pci
        # With sriov_drivers_autoprobe 0 the driver core still offers a new VF to the drivers that match its
        # ids (dd.c: "probing driver nvme with device ..."), and the PCI core turns the offer down before the
        # driver's probe runs (pci_device_can_probe), which dd.c logs as "rejects match -19": Linux 6.1 as
        # "nvme: probe of 0000:02:00.1 rejects match -19", 6.12 as "nvme 0000:02:00.1: probe with driver nvme
        # rejects match -19".
        local other
        other=$(vm_section "$o" vf-kernel | grep -F "probing driver" | grep -F "$vf" | grep -v "probing driver vfio-pci" |
            sed -nE 's/.*probing driver ([^ ]+) with device.*/\1/p' | sort -u | tr '\n' ' ')
        echo "$tag: drivers the driver core offered $vf besides vfio-pci: ${other:-none}"
        for d in $other; do
            vm_check "$tag: $d's probe never ran for $vf: the PCI core rejected the match (autoprobe off)" \
                grep -qE "$d: probe of $vf rejects match -19|$d $vf: probe with driver $d rejects match -19" \
                <<<"$(vm_section "$o" vf-kernel)"
        done
        vm_check "$tag: nvme never bound $vf and printed nothing about it" \
            eval '! grep -qE "nvme nvme[0-9]+: .*$vf|driver: .nvme.: driver_bound: bound to device .$vf" <<<"$(vm_section "$o" vf-kernel)"'
        vm_check "$tag: $vf reported under the PF's label nvmevf" test "$(jf "$o" $vf VFIO_BIND_LABEL)" = nvmevf
        vm_check "$tag: $vf: report says claimed, stage root, driver vfio-pci" \
            test "$(jf "$o" $vf VFIO_BIND_RESULT) $(jf "$o" $vf VFIO_BIND_STAGE) $(jf "$o" $vf VFIO_BIND_DRIVER)" = "claimed root vfio-pci"
        echo "$tag: journal: [$(jf "$o" $vf PRIORITY)] $(jf "$o" $vf MESSAGE)"
    done
    vm_check "$tag: no entry for the PF $NVME_PF" test "$(vm_jcount "$o" VFIO_BIND_DEVICE=$NVME_PF)" = 0
    m=$(vm_jfield "$o" VFIO_BIND_KIND=sriov MESSAGE)
    echo "$tag: journal: $m"
    vm_check "$tag: the report says the VFs were created and the PF stays on nvme" \
        vm_contains "$m" "[nvmevf]: $NVME_PF has 2 virtual functions, created now; 2 of them configured to be claimed; the PF stays on nvme"
    vm_check "$tag: summary: 2 of 2 functions on vfio-pci, claimed in the root stage" \
        test "$(vm_jfield "$o" VFIO_BIND_KIND=summary MESSAGE)" = "2 of 2 functions on vfio-pci, claimed in the root stage"
    m=$(vm_jfield "$o" VFIO_BIND_KIND=snapshot MESSAGE)
    echo "$tag: journal: $m"
    vm_check "$tag: the first boot took the snapshot and said so" vm_contains "$m" "no snapshot existed: took one of 2 functions"
    vm_section "$o" snapshot-unit | sed "s/^/$tag: vfio-bind-snapshot.service: /"
    vm_check "$tag: vfio-bind-snapshot.service stored it in /var/lib/vfio-bind" \
        grep -q "^Stored the snapshot of 2 functions that this boot took in /var/lib/vfio-bind/snapshot" <<<"$(vm_section "$o" snapshot-unit)"
    vm_check "$tag: the snapshot records the VFs with their device path" \
        grep -q "^function label=nvmevf address=0000:02:00.1 id=1b36:0010 .* path=0000:00:06.0/00.1 " <<<"$(vm_section "$o" snapshot)"
}

checks_s2() {
    local o=$1 tag=$2 flavour=$3 vf m
    vm_check "$tag: the initramfs image carries the snapshot" test "$(vm_section "$o" initrd-snapshot)" -ge 1
    vm_check "$tag: the VFs were created again" vm_contains "$(vm_section "$o" sriov | grep '^pf ')" "numvfs=2 "
    for vf in $NVME_VFS; do
        m=$(jf "$o" $vf MESSAGE)
        echo "$tag: journal: [$(jf "$o" $vf PRIORITY)] $m"
        vm_check "$tag: $vf: error, reason drift" test "$(jf "$o" $vf PRIORITY) $(jf "$o" $vf VFIO_BIND_REASON)" = "3 drift"
        vm_check "$tag: $vf: the report names the moved path, old and new" \
            vm_contains "$m" "path was 0000:00:06.0/00.${vf##*.}, now 0000:00:07.0/00.${vf##*.}"
        vm_check "$tag: $vf: the fix says to take a new snapshot" vm_contains "$(jf "$o" $vf VFIO_BIND_FIX)" "vfio-bind snapshot"
        vm_check "$tag: $vf left unclaimed (drift = refuse)" \
            eval '[[ $(vf_line "$o" $vf | awk "{ print \$4 }") != vfio-pci && $(bound_drivers "$o" $vf) != *vfio* ]]'
        vm_check "$tag: $vf: no driver_override written" vm_contains "$(vf_line "$o" $vf)" "override=(null)"
    done
}

declare -A sc_checks=([A]=checks_a [BE]=checks_be [C]=checks_c [D]=checks_d [D2]=checks_d2 [F]=checks_f
    [F2]=checks_f2 [S]=checks_s [S2]=checks_s2)
declare -A sc_args=(
    [A]="--config $cfg/a-metrics.conf --setup $cfg/setup-vmstack.sh --probe $cfg/probe-a.sh"
    [BE]="--config $cfg/e-initramfs.conf --post-setup $cfg/post-b.sh --probe $cfg/probe-plain.sh"
    # When the root disk goes missing, dracut gives up on the device after rd.timeout (20 s here)
    # and then sits in systemd's emergency shell (rd.emergency=poweroff does not apply to it) until
    # the boot's time limit; initramfs-tools panics after its rootdelay (panic=-1 reboots, QEMU
    # exits). The limit stays the default one: a slow machine must never fail a good boot.
    [C]="--config $cfg/c.conf --setup $cfg/setup-network.sh --probe $cfg/probe-c.sh --append rd.timeout=20"
    [D]="--config $cfg/a-metrics.conf --setup $cfg/setup-vmstack.sh --probe $cfg/probe-vmstack.sh --append vfio_bind=0"
    [D2]="--config $cfg/a.conf --probe $cfg/probe-plain.sh --append rd.vfio_bind=0"
    [F]="--config $cfg/f.conf --probe $cfg/probe-plain.sh --ovmf"
    [F2]="--config $cfg/f.conf --probe $cfg/probe-plain.sh --ovmf --append video=efifb:off"
    [S]="--config $cfg/s.conf --probe $cfg/probe-sriov.sh"
    [S2]="--config $cfg/s.conf --probe $cfg/probe-sriov.sh --setup $cfg/setup-s2.sh"
)
# The NVMe controller's root port: 00:06.0 in S, 00:07.0 in S2 (then the only other root port, so the
# controller keeps bus 02 and its address: only the path tells).
declare -A sc_qemu=([S]="$(nvme_args 0x6 2)" [S2]="$(nvme_args 0x7 3)")
for flavour in "${flavours[@]}"; do
    for sc in A BE C D D2 F F2 S S2; do
        [[ -z $only || $only == *",$sc,"* ]] || continue
        # F2 checks what the kernel does with its command line, which no initramfs flavour changes; S and
        # S2 work in the root stage but for the snapshot's copy in the image, which '--only S,S2 dracut'
        # checks for dracut. One flavour is enough for these by default (a boot costs CI over a minute).
        case $sc in
        F2 | S | S2) [[ $flavour == initramfs-tools || $only == *",$sc,"* ]] || continue ;;
        esac
        tag=$sc-$flavour
        if [[ -n $recheck ]]; then
            [[ -s $out_dir/$tag.out ]] || continue
            run_checks "$tag" "${sc_checks[$sc]}" "$flavour"
            continue
        fi
        qemu_args=()
        [[ -z ${sc_qemu[$sc]:-} ]] || qemu_args=(--qemu-args "${sc_qemu[$sc]}")
        export S2_SNAPSHOT_FROM=$out_dir/S-$flavour.out
        if [[ $sc == S2 && ! -s $S2_SNAPSHOT_FROM ]]; then
            vm_check "$tag: S ran before it in this flavour and left its snapshot" false
            results+=("$tag: FAILED (no S output)")
            continue
        fi
        # shellcheck disable=SC2086 # the arguments above are word lists
        if boot "$tag" "$flavour" ${sc_args[$sc]} "${qemu_args[@]}"; then
            run_checks "$tag" "${sc_checks[$sc]}" "$flavour"
        else
            results+=("$tag: FAILED (no probe output)")
        fi
    done
done

echo
echo "results:"
printf '  %s\n' "${results[@]}"
echo "wall times:"
printf '  %s\n' "${timings[@]}"
# One row per boot: the wall time of the boot (QEMU start to exit), and on the guest's kernel clock
# when multi-user.target was reached and when the last function that ended on a VFIO driver was bound to it
# (what a VM waits for). "-" where no function ended on a VFIO driver (kill switch, refusals).
echo "boots ($VM_SUITE guest; seconds; kernel clock from kernel start):"
printf '  %-22s %8s %12s %16s  %s\n' scenario boot multi-user "on VFIO driver" "functions on a VFIO driver"
for o in "$out_dir"/*.out; do
    [[ -s $o ]] || continue
    tag=$(basename "$o" .out)
    # QEMU's own run time: the boot's TIMING also counts the wait for the machine-wide QEMU lock.
    wall=$(sed -n 's/.*QEMU exited with [0-9]* after \([0-9.]*\) s.*/\1/p' "$out_dir/$tag.err" 2>/dev/null | tail -n1)
    awk -v tag="$tag" -v wall="${wall:--}" '
        $1 == "dev" { for (i = 3; i <= NF; i++) if ($i ~ /^driver=/ && $i ~ /vfio/) vfio[$2] = 1 }
        $1 == "time" && $2 == "multi_user" { mu = $3 }
        $1 == "time" && $2 ~ /^bind:/ { b = substr($2, 6); bound[b] = $3 }
        END {
            last = ""; n = 0; names = ""
            for (d in vfio) { n++; names = names " " d; if (bound[d] != "-" && (last == "" || bound[d] + 0 > last + 0)) last = bound[d] }
            printf "  %-22s %8s %12s %16s %s\n", tag, wall, mu == "" ? "-" : mu, last == "" ? "-" : last, n ? names : " -"
        }' "$o"
done
echo "suite: $(vm_elapsed "$t_suite") s"
vm_summary
