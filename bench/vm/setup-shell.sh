#!/bin/bash
# Guest setup: a shell-script unit in the real root, as early as such units go (before udev's trigger
# and systemd-modules-load).
set -eu
root=$1
install -D -m 0755 "$(dirname "$0")/shell-claim.sh" "$root/usr/local/sbin/vfio-shell-claim"
cat > "$root/etc/systemd/system/vfio-shell.service" <<UNIT
[Unit]
Description=Claim the GPU pair for vfio-pci (shell script)
DefaultDependencies=no
After=systemd-journald.socket
Before=systemd-modules-load.service systemd-udev-trigger.service sysinit.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/vfio-shell-claim

[Install]
WantedBy=sysinit.target
UNIT
mkdir -p "$root/etc/systemd/system/sysinit.target.wants"
ln -sf /etc/systemd/system/vfio-shell.service "$root/etc/systemd/system/sysinit.target.wants/vfio-shell.service"
