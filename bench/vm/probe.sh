#!/bin/bash
# Guest side of the boot benchmark: when each driver bound the GPU pair (kernel clock), what the early
# units cost, and where the functions ended.
set -u
ts() { sed -n 's/^\[ *\([0-9]*\.[0-9]*\)\].*/\1/p'; }
dmesg | grep -E "bound to device '0000:01:00\.[01]'" | while read -r line; do
    t=$(ts <<<"$line")
    drv=$(sed -n "s/.*driver: '\([^']*\)'.*/\1/p" <<<"$line")
    dev=$(sed -n "s/.*bound to device '\([^']*\)'.*/\1/p" <<<"$line")
    echo "bind $drv $dev $t"
done
for bdf in 0000:01:00.0 0000:01:00.1; do
    d=/sys/bus/pci/devices/$bdf
    drv=none
    [[ -e $d/driver ]] && drv=$(basename "$(readlink "$d/driver")")
    echo "final $bdf $drv"
done
for u in vfio-bind.service vfio-shell.service 'driverctl@pci-0000:01:00.0.service' 'driverctl@pci-0000:01:00.1.service'; do
    s=$(systemctl show -P ExecMainStartTimestampMonotonic "$u" 2>/dev/null)
    e=$(systemctl show -P ExecMainExitTimestampMonotonic "$u" 2>/dev/null)
    [[ -n $s && $s != 0 ]] && echo "unit $u $s ${e:-0}"
done
if [[ -r /run/vfio-bind/initramfs.state ]]; then
    echo "initramfs_stage_usec $(sed -n 's/^duration_usec=//p' /run/vfio-bind/initramfs.state)"
fi
exit 0
