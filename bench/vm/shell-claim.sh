#!/bin/sh
# The usual hand-written early-boot claim: override, unbind, load vfio-pci, probe.
for dev in 0000:01:00.0 0000:01:00.1; do
    echo vfio-pci > /sys/bus/pci/devices/$dev/driver_override
    [ -e /sys/bus/pci/devices/$dev/driver ] && echo $dev > /sys/bus/pci/devices/$dev/driver/unbind
done
modprobe vfio-pci
for dev in 0000:01:00.0 0000:01:00.1; do
    echo $dev > /sys/bus/pci/drivers_probe
done
