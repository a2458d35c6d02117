#!/bin/bash
# Guest side: what vfio-bind did at boot and what it says about it. Prints sections that start
# with "#### NAME" (the host reads them with vm_section):
#   cmdline, unit (vfio-bind.service state), journal-json (journalctl -b -u vfio-bind -o json, one
#   entry a line: the host parses it with jq),
#   journal-plain (journalctl -b -u vfio-bind), journal-ident (entries found by
#   SYSLOG_IDENTIFIER=vfio-bind, for comparison with -u), journal-kernel (the initramfs stage's lines
#   as journald filed them from the kernel log), state (/run/vfio-bind/initramfs.state),
#   status-json, status, dev-vfio, binds (the driver core's bind messages), display (/proc/fb,
#   vgaarb/efifb/framebuffer messages), kmsg (vfio-bind's lines in the kernel log)
# Options:
#   --verbose-journal   also print journalctl -b -u vfio-bind -o verbose (section journal-verbose)
#   --runtime           then release and apply again: sections runtime-release, runtime-apply with
#                       "sysfs STEP BDF DRIVER", "json STEP {status --json}" and "rc STEP N" lines
# Exit status 0 (the host asserts).
set -u
shopt -s nullglob
verbose=0 runtime=0
for a in "$@"; do
    case $a in
    --verbose-journal) verbose=1 ;;
    --runtime) runtime=1 ;;
    esac
done
PATH=/usr/sbin:/usr/bin:/sbin:/bin

section() { echo "#### $1"; }

section cmdline
cat /proc/cmdline
section unit
systemctl show -p ActiveState -p Result -p ExecMainStatus vfio-bind.service
section journal-json
journalctl -b -u vfio-bind -o json --no-pager
section journal-plain
journalctl -b -u vfio-bind --no-pager
if ((verbose)); then
    section journal-verbose
    journalctl -b -u vfio-bind -o verbose --no-pager
fi
section journal-ident
# What vfio-bind sent to the journal (the initramfs stage's lines come in through the kernel log).
echo "entries=$(journalctl -b SYSLOG_IDENTIFIER=vfio-bind _TRANSPORT=journal -o json --no-pager | grep -c '"SYSLOG_IDENTIFIER":"vfio-bind"')"
echo "unit_entries=$(journalctl -b -u vfio-bind -o json --no-pager | grep -c '"SYSLOG_IDENTIFIER":"vfio-bind"')"
echo "kernel_entries=$(journalctl -b SYSLOG_IDENTIFIER=vfio-bind _TRANSPORT=kernel -o json --no-pager | grep -c '"SYSLOG_IDENTIFIER":"vfio-bind"')"
section journal-kernel
# The initramfs stage writes to the kernel log only (and the handoff file): journald files those lines.
journalctl -b _TRANSPORT=kernel SYSLOG_IDENTIFIER=vfio-bind -o cat --no-pager
section state
cat /run/vfio-bind/initramfs.state 2>&1
section status-json
vfio-bind status --json 2>&1
echo "rc=$?"
section status
vfio-bind status 2>&1
echo "rc=$?"
section dev-vfio
ls -1 /dev/vfio 2>&1
section binds
dmesg | grep -E 'driver_bound|bound device|probing driver' 
section display
echo "proc_fb: $(tr '\n' ';' </proc/fb)"
dmesg | grep -iE 'vgaarb|efifb|simple-framebuffer|simpledrm|fbcon|framebuffer|bochs' 
section kmsg
dmesg | grep -i 'vfio' 

if ((runtime)); then
    drivers() {
        local d drv
        for d in /sys/bus/pci/devices/0000:01:00.*; do
            drv=none
            [[ -e $d/driver ]] && drv=$(basename "$(readlink "$d/driver")")
            echo "sysfs $1 ${d##*/} $drv"
        done
        echo "json $1 $(vfio-bind status --json 2>/dev/null | tr -d '\n')"
    }
    for step in release apply; do
        section "runtime-$step"
        vfio-bind "$step" 2>&1 | sed "s/^/out $step /"
        echo "rc $step ${PIPESTATUS[0]}"
        udevadm settle --timeout=30 2>/dev/null || true
        drivers "$step"
    done
fi
exit 0
