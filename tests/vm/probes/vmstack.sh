#!/bin/bash
# Guest side: the VM stack on top of the claim. Prints sections (read with vm_section):
#   ordering        for vfio-bind.service and each stub VM unit (setup-vmstack.sh installs them):
#                   "UNIT After=... DropIns=... active=USEC start=USEC", start and activation as
#                   CLOCK_MONOTONIC timestamps of this boot
#   metrics-file    "mode=NNN" and the metrics file the boot unit wrote (metrics_dir)
#   metrics         vfio-bind status --format=prometheus, then "rc=N"
#   guard-proxmox   the Proxmox hookscript for VM 100 (a fake /etc/pve from setup-vmstack.sh) at
#                   pre-start: its output, then "rc=N"
#   guard-libvirt   libvirt's qemu.d hook for the domain "passthrough" at prepare begin, the
#                   domain XML on stdin: its output, then "rc=N"
#   qemu            a nested QEMU (TCG, -S: no guest boots) with both functions as vfio-pci devices:
#                   "rc=N", its stderr, and QMP's answer to query-pci as "query-pci JSON"
# Exit status 0 (the host asserts).
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin

section() { echo "#### $1"; }

section ordering
for u in vfio-bind.service pve-guests.service libvirt-guests.service libvirtd.service virtqemud.service; do
    echo "$u After=$(systemctl show -P After "$u" | tr ' ' ',')" \
        "DropIns=$(systemctl show -P DropInPaths "$u" | tr ' ' ',')" \
        "active=$(systemctl show -P ActiveEnterTimestampMonotonic "$u")" \
        "start=$(systemctl show -P InactiveExitTimestampMonotonic "$u")"
done

section metrics-file
f=/var/lib/prometheus/node-exporter/vfio-bind.prom
[[ -e $f ]] && echo "mode=$(stat -c %a "$f")" && cat "$f"
section metrics
vfio-bind status --format=prometheus 2>&1
echo "rc=$?"

section guard-proxmox
/var/lib/vz/snippets/vfio-bind-hookscript 100 pre-start 2>&1
echo "rc=$?"

section guard-libvirt
/etc/libvirt/hooks/qemu.d/50-vfio-bind passthrough prepare begin - </etc/libvirt/qemu/passthrough.xml 2>&1
echo "rc=$?"

section qemu
# The IOMMU backend for the group node (a module on Debian, not always loaded by then).
modprobe vfio_iommu_type1 2>/dev/null
err=$(mktemp)
coproc Q { exec qemu-system-x86_64 -S -nodefaults -display none -machine q35 -accel tcg -m 128 \
    -device vfio-pci,host=0000:01:00.0,id=hostdev0 -device vfio-pci,host=0000:01:00.1,id=hostdev1 \
    -qmp stdio 2>"$err"; }
# Taken at once: bash forgets them when the coprocess exits (QEMU refusing its devices does at once).
qpid=$Q_PID qin=${Q[0]} qout=${Q[1]}
qmp() {
    # One answer: the next line that is not an event. QEMU may take long under emulation; the boot's
    # own time limit bounds the whole probe.
    local line
    while IFS= read -r line <&"$qin"; do
        [[ $line == *'"event"'* ]] && continue
        printf '%s\n' "$line"
        return 0
    done
    return 1
}
if qmp >/dev/null; then # the greeting
    echo '{"execute":"qmp_capabilities"}' >&"$qout"
    qmp >/dev/null
    echo '{"execute":"query-pci"}' >&"$qout"
    echo "query-pci $(qmp)"
    echo '{"execute":"quit"}' >&"$qout"
    qmp >/dev/null
fi
wait "$qpid"
echo "rc=$?"
sed 's/^/stderr /' "$err"
rm -f "$err"
exit 0
