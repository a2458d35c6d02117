#!/bin/sh
# wiki-bind.sh ROOT ADDRESS...
#
# The binding loop of the common passthrough wiki scripts, for comparison with
# 'vfio-bind apply': for each device, set driver_override, unbind it from its
# current driver, and ask the PCI core to probe it again. ROOT is the tree
# that stands for / (a simulated host); the writes are plain shell echo
# redirections, one store each.
set -u
root=$1
shift
for dev in "$@"; do
	d="$root/sys/bus/pci/devices/$dev"
	echo vfio-pci > "$d/driver_override"
	if [ -e "$d/driver" ]; then
		echo "$dev" > "$d/driver/unbind"
	fi
	echo "$dev" > "$root/sys/bus/pci/drivers_probe"
done
