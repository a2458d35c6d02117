#!/bin/bash
# Guest side: what the kernel did with the PCI functions, and when. Output lines:
#   dev BDF driver=NAME group=N class=0x... boot_vga=0|1|-
#   group N BDF...
#   time NAME SECONDS       (kernel clock: init, root, udev, bind:BDF, multi_user)
#   journal lines=N kernel=N
# followed by free-form sections (## lspci -nnk, ## dmesg binds, ## udevd starts).
set -u
shopt -s nullglob

for d in /sys/bus/pci/devices/*; do
    bdf=${d##*/}
    drv=none group=none vga=-
    [[ -e $d/driver ]] && drv=$(basename "$(readlink "$d/driver")")
    [[ -e $d/iommu_group ]] && group=$(basename "$(readlink "$d/iommu_group")")
    [[ -e $d/boot_vga ]] && vga=$(cat "$d/boot_vga")
    echo "dev $bdf driver=$drv group=$group class=$(cat "$d/class") boot_vga=$vga"
done
for g in /sys/kernel/iommu_groups/*; do
    members=("$g"/devices/*)
    echo "group ${g##*/} ${members[*]##*/}"
done

# Kernel timestamps (seconds since boot) of the milestones.
ts() { sed -n 's/^\[ *\([0-9]*\.[0-9]*\)\].*/\1/p'; }
dm=$(dmesg)
echo "time init $(grep -m1 'Run /init as init process' <<<"$dm" | ts)"
echo "time root $(grep 'systemd\[1\]: systemd .* running in system mode' <<<"$dm" | tail -n1 | ts)"
usec=$(systemctl show -P ExecMainStartTimestampMonotonic systemd-udevd.service)
echo "time udev $(awk -v u="$usec" 'BEGIN { printf "%.6f", u / 1e6 }')"
usec=$(systemctl show -P ActiveEnterTimestampMonotonic multi-user.target)
echo "time multi_user $(awk -v u="$usec" 'BEGIN { printf "%.6f", u / 1e6 }')"
# Binds, from the driver core's debug messages (dyndbg="file drivers/base/dd.c +p"). Linux 6.1 names
# the device in the message ("driver_bound: bound to device '0000:01:00.0'"); 6.12 puts it in the
# prefix only ("vfio-pci 0000:01:00.0: driver: 'vfio-pci': driver_bound: bound to device").
for d in /sys/bus/pci/devices/*; do
    bdf=${d##*/}
    t=$(grep -E "driver_bound: .*$bdf|\] [^ ]+ $bdf: .*driver_bound: bound to device|bound device $bdf" <<<"$dm" |
        head -n1 | ts)
    echo "time bind:$bdf ${t:--}"
done

echo "journal lines=$(journalctl -b --no-pager -q | wc -l) kernel=$(journalctl -b -k --no-pager -q | wc -l)"

echo "## lspci -nnk"
lspci -nnk
echo "## dmesg binds"
grep -E 'driver_bound|bound device' <<<"$dm"
echo "## udevd starts (journal, monotonic)"
journalctl -b -o short-monotonic --no-pager -q _PID=1 | grep -E 'Start(ing|ed) systemd-udevd' || true
echo "## initramfs"
ls /run/initramfs 2>/dev/null
