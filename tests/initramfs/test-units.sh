#!/bin/bash
# The real-root unit as installed: its keys, its [Install] section, and the
# host's own sysinit.target transaction with it enabled (no ordering cycle,
# nothing systemd objects to). Arguments: see lib.sh.

. "$(dirname "$0")/lib.sh"

ensure_tools systemd systemctl systemd-analyze
ensure_tools util-linux unshare

KLAYER="$WORK/no-kernel"
KVER=none
mkdir -p "$KLAYER"
stage_product
is_root || skip "checking the unit against this system's units needs root (mount namespace + overlayfs)"
check_namespace

unit=vfio-bind.service
unitfile=$(find "$STAGE" -name "$unit" -path '*/systemd/system/*' ! -path '*.wants/*' | head -n1)
[ -n "$unitfile" ] || skip "the build installs no $unit (systemdsystemunitdir 'no'?)"
unitdir=${unitfile%/*}
unitdir=${unitdir#"$STAGE"}
log "unit installed to $unitdir"

unit_values() {
    sed -n "s/^$1=//p" "$unitfile" | tr ' ' '\n' | sed '/^$/d'
}
has_value() {
    unit_values "$1" | grep -qx -- "$2"
}
for b in systemd-modules-load.service systemd-udev-trigger.service sysinit.target; do
    has_value Before "$b" && pass "Before=$b" || fail "not Before=$b"
done
has_value After systemd-journald.socket && pass "After=systemd-journald.socket" || fail "not After=systemd-journald.socket"
for k in DefaultDependencies=no Type=oneshot RemainAfterExit=yes ConditionPathExists=!/etc/initrd-release \
         WantedBy=sysinit.target Documentation=man:vfio-bind\(8\); do
    has_value "${k%%=*}" "${k#*=}" && pass "$k" || fail "no $k"
done
grep -qx "ExecStart=$SBINDIR/vfio-bind boot --stage=root" "$unitfile" &&
    pass "ExecStart=$SBINDIR/vfio-bind boot --stage=root" || fail "wrong ExecStart"
grep -q '^TimeoutStartSec=[1-9]' "$unitfile" && pass "TimeoutStartSec bounds the unit" || fail "no TimeoutStartSec"
if grep -Eiq '^(Wants|Requires|After|BindsTo)=.*(dbus)' "$unitfile"; then
    fail "the unit depends on D-Bus"
else
    pass "no D-Bus dependency"
fi

# Sandboxed, but not against its own job: /sys writes and module loading.
for k in ProtectKernelTunables ProtectKernelModules PrivateDevices; do
    unit_values "$k" | grep -qix yes && fail "$k=yes would stop the claim" || pass "no $k=yes"
done
if systemd-analyze security --help 2>&1 | grep -q -- --offline; then
    score=$(systemd-analyze security --offline=yes "$unitfile" 2>/dev/null |
        sed -n 's/.*[Ee]xposure level for .*: \([0-9.]*\).*/\1/p')
    if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 4.0) }'; then
        pass "systemd-analyze security: exposure $score <= 4.0"
    else
        fail "systemd-analyze security: exposure '${score}' above 4.0"
    fi
fi

# Enable it in the staging tree (only touches the staging tree), then look
# at the system's sysinit.target with the staged files laid over /usr and
# /etc.
systemctl --root="$STAGE" enable "$unit" >"$WORK/enable.log" 2>&1 ||
    { cat "$WORK/enable.log" >&2; fail "systemctl --root enable $unit failed"; }
ls "$STAGE"/etc/systemd/system/sysinit.target.wants/"$unit" >/dev/null 2>&1 &&
    pass "enabling creates sysinit.target.wants/$unit" ||
    fail "enabling does not create sysinit.target.wants/$unit"
for d in lib bin sbin; do
    if [ -d "$STAGE/$d" ] && [ ! -L "$STAGE/$d" ] && [ "$(readlink "/$d")" = "usr/$d" ]; then
        cp -a "$STAGE/$d/." "$STAGE/usr/$d/"
    fi
done

for u in "$unit" sysinit.target; do
    if run_in_root systemd-analyze --man=no verify "$u" >"$WORK/verify.log" 2>&1 &&
       ! grep -Eq "$unit|[Oo]rdering cycle" "$WORK/verify.log"; then
        pass "systemd-analyze verify $u: nothing about $unit, no ordering cycle"
    else
        cat "$WORK/verify.log" >&2
        fail "systemd-analyze verify $u complains"
    fi
done

# The VM starters' drop-ins: ordering after the claim, never a dependency.
VM_UNITS="pve-guests.service libvirt-guests.service libvirtd.service virtqemud.service"
for u in $VM_UNITS; do
    dropin="$STAGE$unitdir/$u.d/50-vfio-bind.conf"
    if [ -f "$dropin" ] && grep -qx 'After=vfio-bind.service' "$dropin"; then
        pass "$u.d/50-vfio-bind.conf orders $u After=vfio-bind.service"
    else
        fail "no drop-in ordering $u after vfio-bind.service"
    fi
    if [ -f "$dropin" ] && grep -Eq '^(Wants|Requires|Requisite|BindsTo|PartOf|Upholds)=' "$dropin"; then
        fail "$u's drop-in adds a dependency, not only ordering"
    else
        pass "$u's drop-in adds no dependency"
    fi
done
# Stub units with those names, as the VM stacks ship them (default
# dependencies, wanted by multi-user.target): with the drop-ins and
# vfio-bind.service in one transaction, systemd finds no cycle.
mkdir -p "$STAGE/etc/systemd/system/multi-user.target.wants"
for u in $VM_UNITS; do
    printf '[Unit]\nDescription=stub %s\n[Service]\nType=oneshot\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n' \
        "$u" >"$STAGE/etc/systemd/system/$u"
    ln -sf "../$u" "$STAGE/etc/systemd/system/multi-user.target.wants/$u"
done
# shellcheck disable=SC2086
if run_in_root systemd-analyze --man=no verify $VM_UNITS multi-user.target >"$WORK/verify-vm.log" 2>&1 &&
   ! grep -Eq "[Oo]rdering cycle|vfio-bind|50-vfio-bind" "$WORK/verify-vm.log"; then
    pass "systemd-analyze verify with the VM units' stubs: no ordering cycle, nothing about the drop-ins"
else
    cat "$WORK/verify-vm.log" >&2
    fail "systemd-analyze verify with the VM units' stubs complains"
fi

finish
