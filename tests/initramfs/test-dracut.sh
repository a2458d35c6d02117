#!/bin/bash
# Build real dracut images (--no-hostonly, dracut's own default on Debian)
# with vfio-bind installed and check what is inside:
# - the default module selection with a config naming a device: a systemd
#   initrd with the unit wanted by sysinit.target, ordered before udev's
#   trigger (check() chose the module by itself);
# - the same with a config naming no device: the module stays out;
# - a shell initrd (no systemd): the cmdline hook 00 instead of the unit.
# Arguments: see lib.sh.

. "$(dirname "$0")/lib.sh"

ensure_tools dracut-core dracut lsinitrd
ensure_tools cpio cpio
# dracut's systemd module needs systemd; systemd-analyze checks the unit inside the image.
ensure_tools systemd systemctl systemd-analyze
ensure_tools util-linux unshare

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

# build_image IMAGE [DRACUT OPTION...]: a generic image, uncompressed for a
# quick listing.
build_image() {
    local img=$1 start end
    shift
    start=$(date +%s.%N)
    if ! run_in_root env dracutbasedir="$base" TMPDIR="$WORK" \
            dracut --force --no-hostonly --no-early-microcode --no-compress \
                --conf /dev/null --confdir "$WORK/dracut.conf.d" --tmpdir "$WORK" \
                --kver "$KVER" "$@" "$img" >"$img.log" 2>&1; then
        cat "$img.log" >&2
        die "dracut failed ($*)"
    fi
    end=$(date +%s.%N)
    log "dracut ${*:-(default modules)} took $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s ($(du -k "$img" | cut -f1) KiB)"
    if grep -E 'vfio' "$img.log" | grep -Ei 'error|warn|fail|cannot|not found|missing'; then
        fail "dracut complained about vfio-bind"
    fi
}

# lsinitrd -l lines: mode links user group size month day time path
# [-> target]; keep "path" or "path -> target".
list_image() {
    lsinitrd "$1" 2>/dev/null | awk 'length($1) == 10 && $1 ~ /^[-dlcbps][-rwxsStT]+$/ && NF >= 9 {
        line = $9; for (i = 10; i <= NF; i++) line = line " " $i; print line }' >"$2"
}

# unpack_image IMAGE DIR
unpack_image() {
    mkdir -p "$2"
    (cd "$2" && lsinitrd --unpack "$1" >/dev/null 2>&1) || :
    [ -e "$2/init" ] || [ -e "$2/usr/lib/systemd/systemd" ] || die "could not unpack $1"
}

unit=vfio-bind-initrd.service

# --- default modules, a device configured: systemd initrd ----------------
img="$WORK/initrd-systemd.img"
build_image "$img"
grep -q 'Including module: vfio-bind' "$img.log" &&
    pass "check() selected the module by itself (config names a device)" ||
    fail "dracut did not select the module with a config naming a device"
grep -q 'Including module: systemd-initrd' "$img.log" || die "the default image is not a systemd initrd"
listing="$WORK/listing-systemd"
list_image "$img" "$listing"
grep -q 'vfio-bind' "$listing" || { die "vfio-bind is not in the image at all"; }
uroot="$WORK/root-systemd"
unpack_image "$img" "$uroot"

assert_listed "$listing" "^${SBINDIR#/}/vfio-bind$" "the binary is at $SBINDIR/vfio-bind"
assert_listed "$listing" "^${CONFIG_FILE#/}$" "the configuration is at $CONFIG_FILE"
assert_listed "$listing" "^etc/vfio-bind.storage$" "the record of the storage controllers is in the image"
assert_listed "$listing" "^etc/vfio-bind.network$" "the record of the network functions is in the image"
assert_libraries "$listing"
assert_modules "$listing"
assert_runs_in_image "$uroot" "$SBINDIR/vfio-bind"
assert_listed "$listing" "^usr/lib/systemd/system/$unit$" "the initrd unit is installed"
# systemctl --root add-wants writes the link under etc/ with the unit's
# path on this system (/lib/... with a merged /usr): it must resolve inside
# the image.
wants=
for d in etc/systemd/system usr/lib/systemd/system; do
    [ -L "$uroot/$d/sysinit.target.wants/$unit" ] && wants="$d/sysinit.target.wants/$unit"
done
if [ -z "$wants" ]; then
    fail "sysinit.target wants the initrd unit (no sysinit.target.wants/$unit link)"
else
    target=$(readlink "$uroot/$wants")
    log "wants link in the image: $wants -> $target"
    case "$target" in
    /*) resolved="$uroot$target" ;;
    *) resolved="$uroot/${wants%/*}/$target" ;;
    esac
    if [ -f "$resolved" ] && [ "${target##*/}" = "$unit" ]; then
        pass "sysinit.target wants the initrd unit ($wants -> $target)"
    else
        fail "sysinit.target.wants/$unit points to $target, which is not the unit inside the image"
    fi
fi
if grep -Eq '^(usr/lib|lib|var/lib)/dracut/hooks/cmdline/00-vfio-bind' "$listing"; then
    fail "the cmdline hook is installed in a systemd initrd (it would run twice)"
else
    pass "no cmdline hook in a systemd initrd"
fi

unitfile="$uroot/usr/lib/systemd/system/$unit"
[ -f "$unitfile" ] || die "no $unit in the unpacked image"
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

# systemd reads the unit as written (no unknown keys, no ordering cycle in
# the initrd's sysinit.target transaction).
for u in "$unit" sysinit.target; do
    if systemd-analyze --man=no --root="$uroot" verify "$u" >"$WORK/verify.log" 2>&1 &&
       ! grep -Eq "$unit|[Oo]rdering cycle" "$WORK/verify.log"; then
        pass "systemd-analyze verify $u inside the image: nothing about $unit, no ordering cycle"
    else
        cat "$WORK/verify.log" >&2
        fail "systemd-analyze verify $u inside the image complains"
    fi
done

# --- shell initrd (no systemd) ---------------------------------------------
img="$WORK/initrd-shell.img"
build_image "$img" --modules "base vfio-bind"
listing="$WORK/listing-shell"
list_image "$img" "$listing"
assert_listed "$listing" "^${SBINDIR#/}/vfio-bind$" "shell initrd: the binary is in the image"
assert_listed "$listing" '^(usr/lib|lib|var/lib)/dracut/hooks/cmdline/00-vfio-bind-cmdline\.sh$' \
    "shell initrd: cmdline hook 00 is installed"
sroot="$WORK/root-shell"
unpack_image "$img" "$sroot"
assert_runs_in_image "$sroot" "$SBINDIR/vfio-bind"
if grep -q "$unit" "$listing"; then
    fail "shell initrd: the systemd unit is installed"
else
    pass "shell initrd: no systemd unit"
fi
hook=$(lsinitrd -f "$(grep -E '^(usr/lib|lib|var/lib)/dracut/hooks/cmdline/00-vfio-bind-cmdline\.sh$' "$listing" | head -n1)" "$img" 2>/dev/null) || hook=
case "$hook" in
*"\"$SBINDIR/vfio-bind\" boot --stage=initramfs || :"*) pass "shell initrd: the hook runs the initramfs stage and ignores its status" ;;
*) fail "shell initrd: the hook does not run \"$SBINDIR/vfio-bind\" boot --stage=initramfs || :" ;;
esac
if printf '%s\n' "$hook" | grep -Eq '^[^#]*\<exit\>'; then
    fail "shell initrd: the (sourced) hook calls exit"
else
    pass "shell initrd: the (sourced) hook does not exit"
fi

# --- default modules, no device configured: the module stays out -----------
printf '# nothing configured\n' >"$STAGE$CONFIG_FILE"
img="$WORK/initrd-nodevice.img"
build_image "$img"
if grep -q 'Including module: vfio-bind' "$img.log"; then
    fail "check() selected the module although the config names no device"
else
    pass "check() leaves the module out when the config names no device"
fi

finish
