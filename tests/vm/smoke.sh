#!/bin/bash
# Smoke test of the real-kernel lab, no product needed. For each flavour (initramfs-tools,
# dracut) it boots the guest with bochs and snd_hda_intel forced into the initramfs and checks,
# from inside the guest: the driver of each device, the IOMMU groups, that bochs-drm and
# snd_hda_intel bound 01:00.0/01:00.1 inside the initramfs (before the real root's systemd),
# and that journalctl -b works. With --full it also boots without forcing the drivers and
# reports when they bind then.
#
# Usage: smoke.sh [--full] [FLAVOUR...]
# Ends with "N passed, N failed"; exit status 0 when nothing failed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

full=0
flavours=()
while (($#)); do
    case $1 in
    --full) full=1 ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) vm_check_flavour "$1"; flavours+=("$1") ;;
    esac
    shift
done
((${#flavours[@]})) || flavours=("${VM_FLAVOURS[@]}")

out_dir=$(mktemp -d /tmp/vfio-bind-vm-smoke.XXXXXX)
vm_log "results in $out_dir"

t0=$(vm_now)
"$VM_LIB_DIR/build-guest.sh" "${flavours[@]}" >/dev/null
vm_log "guest roots ready after $(vm_elapsed "$t0") s"

GPU=0000:01:00.0
AUDIO=0000:01:00.1
VGA=0000:00:01.0

# Facts that hold in every boot of the lab's topology.
check_topology() {
    local o=$1 tag=$2 g
    g=$(vm_inv_dev "$o" $GPU group)
    vm_check "$tag: $GPU has an IOMMU group" test -n "$g" -a "$g" != none
    vm_check "$tag: $GPU and $AUDIO share group $g" test "$(vm_inv_dev "$o" $AUDIO group)" = "$g"
    vm_check "$tag: group $g is exactly {$GPU $AUDIO}" test "$(vm_inv_group "$o" "$g")" = "$GPU $AUDIO"
    vm_check "$tag: $VGA is the boot VGA" test "$(vm_inv_dev "$o" $VGA boot_vga)" = 1
    vm_check "$tag: $VGA is in another group" test "$(vm_inv_dev "$o" $VGA group)" != "$g"
    vm_check "$tag: $GPU is bound to bochs-drm" test "$(vm_inv_dev "$o" $GPU driver)" = bochs-drm
    vm_check "$tag: $AUDIO is bound to snd_hda_intel" test "$(vm_inv_dev "$o" $AUDIO driver)" = snd_hda_intel
    vm_check "$tag: e1000e, xhci_hcd and virtio-pci are bound" \
        test "$(grep -c -E '^dev .* driver=(e1000e|xhci_hcd|virtio-pci) ' "$o")" = 3
    vm_check "$tag: journalctl -b has entries" grep -qE '^journal lines=[1-9][0-9]* kernel=[1-9]' "$o"
    vm_check "$tag: the bind of $GPU has a time" test -n "$(vm_inv_time "$o" bind:$GPU | tr -d -)"
}

report_times() {
    local o=$1 tag=$2 n
    printf '%s: kernel-time milestones:' "$tag"
    for n in init root udev multi_user bind:$GPU bind:$AUDIO; do
        printf ' %s=%s' "$n" "$(vm_inv_time "$o" "$n")"
    done
    echo
}

timings=()
boot() {
    local flavour=$1 tag=$2 o=$out_dir/$2.out rc=0 t
    shift 2
    t=$(vm_now)
    "$VM_LIB_DIR/run-scenario.sh" --flavour "$flavour" --probe "$VM_LIB_DIR/probes/inventory.sh" \
        --out "$o" --log "$out_dir/$tag.log" "$@" 2>"$out_dir/$tag.err" || rc=$?
    grep -E '^\[vm|^TIMING' "$out_dir/$tag.err" | grep -vE 'keeping|^\[vm [0-9:]+\] booting' >&2 || true
    timings+=("$tag: $(grep '^TIMING' "$out_dir/$tag.err" | cut -d' ' -f3-) total=$(vm_elapsed "$t")s")
    vm_check "$tag: the guest booted and the probe ran" test "$rc" = 0
    if ((rc != 0)); then
        cat "$out_dir/$tag.err" >&2
        return 1
    fi
}

for flavour in "${flavours[@]}"; do
    tag=$flavour-forced
    if boot "$flavour" "$tag" --force-drivers; then
        o=$out_dir/$tag.out
        check_topology "$o" "$tag"
        init=$(vm_inv_time "$o" init) root=$(vm_inv_time "$o" root)
        for bdf in $GPU $AUDIO; do
            bind=$(vm_inv_time "$o" "bind:$bdf")
            vm_check "$tag: $bdf bound in the initramfs ($init < $bind < $root)" \
                eval 'vm_lt "$init" "$bind" && vm_lt "$bind" "$root"'
        done
        report_times "$o" "$tag"
    fi

    ((full)) || continue
    tag=$flavour-plain
    if boot "$flavour" "$tag"; then
        o=$out_dir/$tag.out
        check_topology "$o" "$tag"
        report_times "$o" "$tag"
    fi
done

echo "timings (wall):"
printf '  %s\n' "${timings[@]}"
vm_summary
