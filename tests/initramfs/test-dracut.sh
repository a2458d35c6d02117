#!/bin/bash
# Build real dracut images (--no-hostonly) with vfio-bind installed and
# check what is inside: a systemd initrd (unit wanted by sysinit.target,
# ordered before udev's trigger) and a shell initrd (cmdline hook 00).
# Arguments: see lib.sh.

. "$(dirname "$0")/lib.sh"

ensure_tools dracut-core dracut lsinitrd
ensure_tools cpio cpio
command -v systemctl >/dev/null || skip "systemctl missing (dracut's systemd module needs systemd)"
command -v unshare >/dev/null || skip "unshare (util-linux) missing"

prepare_kernel
stage_product
check_namespace

moddir=$(find "$STAGE" -type d -name 90vfio-bind | head -n1)
[ -n "$moddir" ] && [ -f "$moddir/module-setup.sh" ] ||
    skip "the build installs no dracut module (dracutmodulesdir 'no'?)"
moddir_in_root=${moddir#"$STAGE"}

# A dracut base directory whose modules.d holds the distribution's modules
# and ours, wherever the build put it.
base="$WORK/dracut"
mkdir -p "$base/modules.d"
for f in /usr/lib/dracut/*; do
    [ "${f##*/}" = modules.d ] || ln -s "$f" "$base/${f##*/}"
done
for f in /usr/lib/dracut/modules.d/*; do
    ln -s "$f" "$base/modules.d/${f##*/}"
done
rm -f "$base/modules.d/90vfio-bind"
ln -s "$moddir_in_root" "$base/modules.d/90vfio-bind"
mkdir -p "$WORK/dracut.conf.d"

# build_image IMAGE MODULES...: a generic image limited to MODULES (and
# what they depend on), uncompressed for a quick listing.
build_image() {
    local img=$1 start end
    shift
    start=$(date +%s.%N)
    if ! run_in_root env dracutbasedir="$base" TMPDIR="$WORK" \
            dracut --force --no-hostonly --no-early-microcode --no-compress \
                --conf /dev/null --confdir "$WORK/dracut.conf.d" --tmpdir "$WORK" \
                --kver "$KVER" --modules "$*" "$img" >"$img.log" 2>&1; then
        cat "$img.log" >&2
        die "dracut failed for modules: $*"
    fi
    end=$(date +%s.%N)
    log "dracut ($*) took $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s ($(du -k "$img" | cut -f1) KiB)"
    if grep -Eq 'vfio-bind|90vfio-bind' "$img.log"; then
        grep -E 'vfio-bind' "$img.log" >&2
        fail "dracut said something about vfio-bind"
    fi
}

# lsinitrd lines end with the path (or "path -> target"); keep those.
list_image() {
    lsinitrd "$1" | sed -n 's/^[-dlcbps][-rwxsStT]\{9\}.* \([^ ]*\)\( -> .*\)\{0,1\}$/\1\2/p' >"$2"
}

unit=vfio-bind-initrd.service

# --- systemd initrd --------------------------------------------------------
img="$WORK/initrd-systemd.img"
build_image "$img" systemd systemd-initrd dracut-systemd vfio-bind
listing="$WORK/listing-systemd"
list_image "$img" "$listing"
grep -q 'vfio-bind' "$listing" || { lsinitrd "$img" | head -n 50 >&2; die "vfio-bind is not in the image at all"; }

assert_listed "$listing" "^${SBINDIR#/}/vfio-bind$" "the binary is at $SBINDIR/vfio-bind"
assert_listed "$listing" "^${CONFIG_FILE#/}$" "the configuration is at $CONFIG_FILE"
assert_libraries "$listing"
assert_modules "$listing"
assert_listed "$listing" "^usr/lib/systemd/system/$unit$" "the initrd unit is installed"
assert_listed "$listing" "^usr/lib/systemd/system/sysinit\.target\.wants/$unit -> \.\./$unit$" \
    "sysinit.target wants the initrd unit"
if grep -q '^usr/lib/dracut/hooks/cmdline/00-vfio-bind' "$listing"; then
    fail "the cmdline hook is installed in a systemd initrd (it would run twice)"
else
    pass "no cmdline hook in a systemd initrd"
fi

unitfile="$WORK/$unit"
lsinitrd -f "usr/lib/systemd/system/$unit" "$img" >"$unitfile"
log "$unit in the image:"
sed -n '/^\[/,$p' "$unitfile" | sed 's/^/    /' >&2

# unit_values KEY: every value of KEY, one word a line.
unit_values() {
    sed -n "s/^$1=//p" "$unitfile" | tr ' ' '\n' | sed '/^$/d'
}
has_value() {
    unit_values "$1" | grep -qx -- "$2"
}
for b in dracut-cmdline.service systemd-modules-load.service systemd-udev-trigger.service sysinit.target; do
    has_value Before "$b" && pass "$unit is ordered Before=$b" || fail "$unit is not ordered Before=$b"
done
has_value After systemd-journald.socket && pass "$unit is ordered After=systemd-journald.socket" ||
    fail "$unit is not ordered After=systemd-journald.socket"
has_value DefaultDependencies no && pass "DefaultDependencies=no" || fail "DefaultDependencies is not no"
has_value ConditionPathExists /etc/initrd-release && pass "ConditionPathExists=/etc/initrd-release" ||
    fail "no ConditionPathExists=/etc/initrd-release"
has_value Type oneshot && pass "Type=oneshot" || fail "not Type=oneshot"
grep -qx "ExecStart=$SBINDIR/vfio-bind boot --stage=initramfs" "$unitfile" &&
    pass "ExecStart=$SBINDIR/vfio-bind boot --stage=initramfs" || fail "wrong ExecStart"
grep -q '^TimeoutStartSec=[1-9]' "$unitfile" && pass "TimeoutStartSec bounds the unit" || fail "no TimeoutStartSec"
# Nothing the unit is ordered after may itself come after udev's trigger.
for a in $(unit_values After); do
    case "$a" in
    systemd-journald.socket | systemd-journald.service) ;;
    *) fail "unexpected After=$a" ;;
    esac
done

# systemd reads the unit as written (no unknown keys, valid ordering).
if command -v systemd-analyze >/dev/null; then
    uroot="$WORK/unit-root"
    mkdir -p "$uroot"
    (cd "$uroot" && lsinitrd --unpack "$img" >/dev/null 2>&1) || :
    if [ -f "$uroot/usr/lib/systemd/system/$unit" ]; then
        if systemd-analyze --root="$uroot" verify "$unit" >"$WORK/verify.log" 2>&1 ||
           ! grep -q "$unit" "$WORK/verify.log"; then
            pass "systemd-analyze verify has nothing to say about $unit"
        else
            cat "$WORK/verify.log" >&2
            fail "systemd-analyze verify complains about $unit"
        fi
    fi
fi

# --- shell initrd (no systemd) ---------------------------------------------
img="$WORK/initrd-shell.img"
build_image "$img" base vfio-bind
listing="$WORK/listing-shell"
list_image "$img" "$listing"
assert_listed "$listing" "^${SBINDIR#/}/vfio-bind$" "shell initrd: the binary is in the image"
assert_listed "$listing" '^(usr/)?lib/dracut/hooks/cmdline/00-vfio-bind-cmdline\.sh$' \
    "shell initrd: cmdline hook 00 is installed"
if grep -q "$unit" "$listing"; then
    fail "shell initrd: the systemd unit is installed"
else
    pass "shell initrd: no systemd unit"
fi
hook=$(lsinitrd -f "$(grep -E '^(usr/)?lib/dracut/hooks/cmdline/00-vfio-bind-cmdline\.sh$' "$listing" | head -n1)" "$img" 2>/dev/null) || hook=
case "$hook" in
*"\"$SBINDIR/vfio-bind\" boot --stage=initramfs || :"*) pass "shell initrd: the hook runs the initramfs stage and ignores its status" ;;
*) fail "shell initrd: the hook does not run \"$SBINDIR/vfio-bind\" boot --stage=initramfs || :" ;;
esac
case "$hook" in
*exit*) fail "shell initrd: the (sourced) hook calls exit" ;;
*) pass "shell initrd: the (sourced) hook does not exit" ;;
esac

# --- check(): included without being asked when the config names a device,
# --- only on request when it names none --------------------------------------
check_result() {
    run_in_root env dracutbasedir="$base" bash -c '
        . "$dracutbasedir/dracut-functions.sh" >/dev/null 2>&1
        . "$1/module-setup.sh"
        check
    ' check "$moddir_in_root" >/dev/null 2>&1
}
rc=0; check_result || rc=$?
[ "$rc" -eq 0 ] && pass "check() includes the module when the config names a device" ||
    fail "check() returned $rc with a config naming a device (expected 0)"
printf '# nothing configured\n' >"$STAGE$CONFIG_FILE"
rc=0; check_result || rc=$?
[ "$rc" -eq 255 ] && pass "check() leaves the module to explicit requests without devices" ||
    fail "check() returned $rc with a config naming no device (expected 255)"

finish
