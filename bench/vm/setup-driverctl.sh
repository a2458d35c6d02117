#!/bin/bash
# Guest setup: Debian's driverctl with persistent overrides for the GPU pair.
set -eu
root=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../tests/vm/lib.sh"
debs=$(mktemp -d)
(cd "$debs" && apt-get download -q driverctl >/dev/null)
cp "$debs"/driverctl_*.deb "$root/var/tmp/driverctl.deb"
rm -rf "$debs"
vm_chroot "$root" dpkg -i /var/tmp/driverctl.deb >/dev/null
rm -f "$root/var/tmp/driverctl.deb"
mkdir -p "$root/etc/driverctl.d"
for dev in 0000:01:00.0 0000:01:00.1; do
    echo vfio-pci > "$root/etc/driverctl.d/pci-$dev"
done
