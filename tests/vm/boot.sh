#!/bin/bash
# Boot a guest root under QEMU with a passthrough-host topology and collect a probe's output.
#
# Usage: boot.sh --root DIR [options]
#   --root DIR       guest root (modified: the probe is installed into it)
#   --probe SCRIPT   guest-side script; its output is framed on the second serial port (ttyS1)
#                    (default: print the kernel version)
#   --append ARGS    extra kernel command line arguments (may be repeated)
#   --initrd FILE    initramfs to boot (default: DIR/boot/initrd.img-KVER)
#   --timeout SEC    kill QEMU after SEC seconds (default $VFIO_BIND_VM_TIMEOUT or 400)
#   --log FILE       where to keep the serial log, CR stripped (default: WORKDIR/serial.log)
#   --out FILE       where to write the probe's output (default: stdout)
#   --workdir DIR    where the image goes (default: a temporary directory)
#   --ovmf           boot with OVMF (UEFI) instead of SeaBIOS
#   --qemu-args ARGS extra QEMU arguments, split at blanks, after the machine's own devices
#                    (may be repeated): a scenario's extra hardware
#
# Exit status: 0 the probe ran and exited 0; 1 the probe failed; 2 no complete probe output
# (timeout, panic, boot failure). The tail of the serial log is printed on 1 and 2.
#
# Guest topology (q35, intel-iommu with interrupt remapping and caching-mode=on, which lets the
# guest's own VFIO map DMA for a nested VM):
#   00:01.0  std VGA (boot VGA)
#   01:00.0  bochs-display  \ behind pcie-root-port rp1, one IOMMU group,
#   01:00.1  intel-hda      / like a GPU and its HDMI audio
#   e1000e NIC, qemu-xhci USB controller, virtio-blk root disk
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

root='' probe='' initrd='' log='' out='' workdir=''
append=()
extra_qemu=()
timeout=${VFIO_BIND_VM_TIMEOUT:-400}
ovmf=${VFIO_BIND_VM_OVMF:-0}
while (($#)); do
    case $1 in
    --root) root=$2; shift ;;
    --probe) probe=$2; shift ;;
    --append) append+=("$2"); shift ;;
    --initrd) initrd=$2; shift ;;
    --timeout) timeout=$2; shift ;;
    --log) log=$2; shift ;;
    --out) out=$2; shift ;;
    --workdir) workdir=$2; shift ;;
    --ovmf) ovmf=1 ;;
    --qemu-args) read -r -a words <<<"$2"; extra_qemu+=("${words[@]}"); shift ;;
    -h | --help) sed -n '2,23p' "$0"; exit 0 ;;
    *) vm_die "boot.sh: unknown argument '$1'" ;;
    esac
    shift
done
[[ -n $root && -d $root ]] || vm_die "boot.sh: --root DIR is required"
vm_require_root
vm_host_deps

cleanup_workdir=
if [[ -z $workdir ]]; then
    workdir=$(mktemp -d /tmp/vfio-bind-vm.XXXXXX)
    [[ ${VFIO_BIND_VM_KEEP:-0} == 1 ]] || cleanup_workdir=$workdir
fi
mkdir -p "$workdir"
trap '[[ -z $cleanup_workdir ]] || rm -rf "$cleanup_workdir"' EXIT
log=${log:-$workdir/serial.log}

kver=$(vm_root_kver "$root")
kernel=$root/boot/vmlinuz-$kver
initrd=${initrd:-$root/boot/initrd.img-$kver}
[[ -r $kernel ]] || vm_die "no kernel $kernel"
[[ -r $initrd ]] || vm_die "no initramfs $initrd"

if [[ -z $probe ]]; then
    probe=$workdir/default-probe
    printf '#!/bin/sh\nuname -r\n' >"$probe"
fi
token=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
vm_install_probe "$root" "$probe" "$token"

t0=$(vm_now)
img=$workdir/root.img
vm_make_image "$root" "$img"
vm_log "image $img built in $(vm_elapsed "$t0") s"

# dyndbg: the driver core logs every bind, with its time, to the kernel log.
# no_timer_check: under software emulation on a loaded machine the kernel's IO-APIC timer check can miss
# its window and panic ("timer doesn't work through Interrupt-remapped IO-APIC"); the timer is fine.
cmdline="console=ttyS0 root=/dev/vda rootfstype=ext4 rw intel_iommu=on iommu=pt panic=-1 no_timer_check"
cmdline+=" dyndbg=\"file drivers/base/dd.c +p\""
cmdline+=" systemd.unit=$VM_TEST_TARGET ${append[*]}"

# No PS/2 controller (i8042=off): psmouse's protocol probing is slow under emulation and
# nothing here needs a keyboard or mouse.
# shellcheck disable=SC2054 # QEMU options are comma-separated
qemu=(qemu-system-x86_64
    -accel tcg,thread=multi -cpu max
    -machine q35,kernel-irqchip=split,i8042=off -device intel-iommu,intremap=on,caching-mode=on
    -m "${VFIO_BIND_VM_MEM:-1024}" -smp "${VFIO_BIND_VM_SMP:-2}"
    -display none -monitor none -parallel none -no-reboot
    -chardev "file,id=ser0,path=$workdir/serial.raw" -serial chardev:ser0
    -chardev "file,id=ser1,path=$workdir/probe.raw" -serial chardev:ser1
    -vga std -audiodev none,id=snd0
    -device pcie-root-port,id=rp1,chassis=1,slot=1
    -device bochs-display,bus=rp1,addr=00.0,multifunction=on
    -device intel-hda,bus=rp1,addr=00.1,id=hda2 -device hda-duplex,bus=hda2.0,audiodev=snd0
    -nic none -device e1000e,netdev=n0,romfile= -netdev user,id=n0,restrict=on
    -device qemu-xhci
    -drive "file=$img,if=virtio,format=raw"
    -kernel "$kernel" -initrd "$initrd" -append "$cmdline"
    "${extra_qemu[@]}")
if [[ $ovmf == 1 ]]; then
    cp "$VM_OVMF_VARS" "$workdir/ovmf-vars.fd"
    qemu+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$VM_OVMF_CODE"
        -drive "if=pflash,format=raw,unit=1,file=$workdir/ovmf-vars.fd")
fi

# One QEMU at a time on this machine (whatever the cache directory): the cores are shared.
exec 8>"$VM_QEMU_LOCK"
flock 8

vm_log "booting $kver ($(vm_root_flavour "$root"), timeout ${timeout}s): $cmdline"
t0=$(vm_now)
qemu_rc=0
timeout -k 5 "$timeout" "${qemu[@]}" </dev/null >"$workdir/qemu.out" 2>&1 || qemu_rc=$?
exec 8>&-
boot_time=$(vm_elapsed "$t0")
tr -d '\r' <"$workdir/serial.raw" >"$log"
probe_log=$workdir/probe.log
tr -d '\r' <"$workdir/probe.raw" >"$probe_log" 2>/dev/null || : >"$probe_log"
vm_log "QEMU exited with $qemu_rc after $boot_time s (serial log: $log)"
[[ ${VFIO_BIND_VM_VERBOSE:-0} == 1 ]] && cat "$log" >&2
((qemu_rc == 124)) && vm_log "timed out after $timeout s"
[[ -s $workdir/qemu.out ]] && sed 's/^/[qemu] /' "$workdir/qemu.out" >&2

read -r probe_start probe_end < <(vm_probe_times "$probe_log" "$token"; echo "- -") || true
power_down=$(sed -n 's/^\[ *\([0-9.]*\)\] reboot: Power down$/\1/p' "$log" | tail -n1)
vm_log "guest uptime: probe started ${probe_start:--} s, ended ${probe_end:--} s, power down ${power_down:--} s"

section=$workdir/probe.out
if ! vm_extract "$probe_log" "$token" >"$section"; then
    vm_log "no complete probe output on the probe's serial port"
    vm_log_tail "$log" 80
    exit 2
fi
if [[ -n $out ]]; then cp "$section" "$out"; else cat "$section"; fi
rc=$(vm_probe_status "$probe_log" "$token")
if [[ $rc != 0 ]]; then
    vm_log "the probe exited with $rc"
    vm_log_tail "$log" 80
    exit 1
fi
exit 0
