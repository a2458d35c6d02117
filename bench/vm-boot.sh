#!/bin/bash
# Boot benchmark in the real-kernel lab: how long after kernel start the GPU pair (01:00.0 bochs-display +
# 01:00.1 HDA) is on vfio-pci, whether a host driver binds it first, and what the early units cost, for
#   vfio-bind (initramfs stage + root unit), a shell-script unit in the real root, and Debian's driverctl,
# with bochs and snd_hda_intel inside the initramfs (the hard case), for both initramfs flavours.
# Bind times come from the driver core's own log (dyndbg on drivers/base/dd.c), unit times from systemd.
#
# Usage: bench/vm-boot.sh [--reps N] [--out FILE] [FLAVOUR...]     (root; minutes: every sample is a boot)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
vm=$here/../tests/vm
source "$vm/lib.sh"

reps=2 out=$here/vm-boot.md
flavours=()
while (($#)); do
    case $1 in
    --reps) reps=$2; shift ;;
    --out) out=$2; shift ;;
    *) flavours+=("$1") ;;
    esac
    shift
done
((${#flavours[@]})) || flavours=(initramfs-tools dracut)
vm_require_root

work=$(mktemp -d /tmp/vfio-bind-vmbench.XXXXXX)
trap 'rm -rf "$work"' EXIT
printf '[gpu]\naddress = 0000:01:00.0\nfunctions = all\n' >"$work/gpu.conf"
build=$("$vm/build-product.sh" "$work/build")

samples=$work/samples
: >"$samples"
contenders=(vfio-bind shell driverctl)
for flavour in "${flavours[@]}"; do
    for ((rep = 0; rep < reps; rep++)); do
        # Alternate the order so that a slow phase of the machine does not always hit the same contender.
        order=("${contenders[@]}")
        ((rep % 2)) && order=(driverctl shell vfio-bind)
        for c in "${order[@]}"; do
            args=(--flavour "$flavour" --force-drivers --probe "$here/vm/probe.sh" --out "$work/out")
            case $c in
            vfio-bind) args+=(--build "$build" --config "$work/gpu.conf") ;;
            shell) args+=(--setup "$here/vm/setup-shell.sh") ;;
            driverctl) args+=(--setup "$here/vm/setup-driverctl.sh") ;;
            esac
            vm_log "boot: $flavour $c (repetition $((rep + 1)) of $reps)"
            "$vm/run-scenario.sh" "${args[@]}" 2>"$work/err" || { cat "$work/err" >&2; vm_die "$c boot failed"; }
            awk -v f="$flavour" -v c="$c" '
                $1 == "bind" && $2 == "vfio-pci" { if ($4 > vfio) vfio = $4; nv++ }
                $1 == "bind" && $2 != "vfio-pci" { host[$3] = $2; if (first == "" || $4 < first) first = $4 }
                $1 == "final" && $3 != "vfio-pci" { bad++ }
                $1 == "unit" { unit += ($4 - $3) / 1e6 }
                $1 == "initramfs_stage_usec" { stage = $2 / 1e6 }
                END {
                    hf = "no"
                    for (d in host) hf = "yes (" host[d] ")"
                    printf "%s %s %s %s %.3f %.3f %s\n", f, c, (nv == 2 && !bad) ? vfio : "-", hf == "no" ? "no" : "yes", unit, stage, bad + 0
                }' "$work/out" >>"$samples"
        done
    done
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
{
    echo "## Boot: time until the GPU pair is on vfio-pci (real kernel, QEMU TCG)"
    echo
    echo "Written by \`bench/vm-boot.sh --reps $reps\` on $(date +%F). Guest: Debian 12, kernel $(vm_root_kver "$(vm_guest_root initramfs-tools)"),"
    echo "q35 + intel-iommu under software emulation on $(nproc) CPUs ($(sed -n 's/^model name\t*: //p' /proc/cpuinfo | sed -n 1p))."
    echo "bochs and snd_hda_intel are inside the initramfs, so udev there binds the pair unless something"
    echo "claims it first. \"claimed at\" is the kernel time (s since boot) of the later of the two vfio-pci binds,"
    echo "median of $reps boots; \"host driver first\" says whether bochs-drm or snd_hda_intel bound either"
    echo "function in any boot; \"unit time\" is the early unit's own run time (systemd's ExecMain timestamps);"
    echo "\"initramfs stage\" is vfio-bind's own time inside the initramfs."
    echo
    echo "| initramfs | contender | claimed at (s) | host driver first | unit time (s) | initramfs stage (s) |"
    echo "| --- | --- | ---: | --- | ---: | ---: |"
    for flavour in "${flavours[@]}"; do
        for c in "${contenders[@]}"; do
            rows=$(awk -v f="$flavour" -v c="$c" '$1 == f && $2 == c' "$samples")
            claimed=$(awk '$3 != "-" { print $3 }' <<<"$rows" | median)
            hostfirst=$(awk '$4 == "yes" { y = 1 } END { print y ? "yes" : "no" }' <<<"$rows")
            unit=$(awk '{ print $5 }' <<<"$rows" | median)
            stage=$(awk '{ print $6 }' <<<"$rows" | median)
            [[ $c == vfio-bind ]] || stage=-
            echo "| $flavour | $c | $claimed | $hostfirst | $unit | $stage |"
        done
    done
    echo
    echo "Target: claimed at most half as long after kernel start as with driverctl."
    echo
    for flavour in "${flavours[@]}"; do
        v=$(awk -v f="$flavour" '$1 == f && $2 == "vfio-bind" && $3 != "-" { print $3 }' "$samples" | median)
        d=$(awk -v f="$flavour" '$1 == f && $2 == "driverctl" && $3 != "-" { print $3 }' "$samples" | median)
        awk -v f="$flavour" -v v="$v" -v d="$d" 'BEGIN {
            if (v == "-" || d == "-") { printf "- %s: not measured\n", f; exit }
            printf "- %s: %.2fx driverctl'"'"'s time: %s\n", f, v / d, (v / d <= 0.5) ? "met" : "**not met**" }'
    done
    echo
    echo "Raw samples (flavour contender claimed-at host-first unit-s initramfs-stage-s functions-not-on-vfio):"
    echo
    sed 's/^/    /' "$samples"
} >"$out"
cat "$out"
