#!/bin/bash
# Build a real initramfs-tools image (mkinitramfs) with vfio-bind installed
# and check what is inside it, including the init-top order.
# Arguments: see lib.sh.

. "$(dirname "$0")/lib.sh"

ensure_tools initramfs-tools-core mkinitramfs lsinitramfs unmkinitramfs
ensure_tools cpio cpio
ensure_tools util-linux unshare

prepare_kernel
stage_product
check_namespace

hook="$STAGE/usr/share/initramfs-tools/hooks/vfio-bind"
script="$STAGE/usr/share/initramfs-tools/scripts/init-top/00-vfio-bind"
[ -x "$hook" ] && [ -x "$script" ] ||
    skip "the build installs no initramfs-tools files under /usr/share/initramfs-tools (initramfstoolsdir set elsewhere or 'no')"

# Our own configuration directory: a small image (MODULES=list, nothing
# listed), fast compression, no busybox needed. The package's hooks and
# scripts under /usr/share/initramfs-tools (udev, kmod, klibc ... and
# vfio-bind from the staging tree) all run as on a real system.
conf="$WORK/initramfs-tools"
mkdir -p "$conf/conf.d" "$conf/hooks" "$conf/scripts"
cat >"$conf/initramfs.conf" <<'CONF'
MODULES=list
BUSYBOX=n
COMPRESS=gzip
COMPRESSLEVEL=1
DEVICE=
NFSROOT=auto
RUNSIZE=10%
FSTYPE=auto
CONF
: >"$conf/modules"

img="$WORK/initrd.img-$KVER"
start=$(date +%s.%N)
if ! run_in_root env TMPDIR="$WORK" mkinitramfs -d "$conf" -o "$img" "$KVER" >"$WORK/mkinitramfs.log" 2>&1; then
    cat "$WORK/mkinitramfs.log" >&2
    die "mkinitramfs failed"
fi
end=$(date +%s.%N)
log "mkinitramfs took $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s ($(du -k "$img" | cut -f1) KiB)"

if grep -q 'vfio-bind' "$WORK/mkinitramfs.log"; then
    cat "$WORK/mkinitramfs.log" >&2
    fail "the hook printed a warning"
else
    pass "the hook printed no warning"
fi

listing="$WORK/listing"
lsinitramfs "$img" | sed 's|^\./||' >"$listing"
# copy_file canonicalises /sbin and /lib into /usr.
bin_in_image=$SBINDIR
case "$bin_in_image" in /sbin | /bin) bin_in_image="/usr$bin_in_image" ;; esac

assert_listed "$listing" "^${bin_in_image#/}/vfio-bind$" "the binary is at $bin_in_image/vfio-bind"
assert_listed "$listing" "^${CONFIG_FILE#/}$" "the configuration is at $CONFIG_FILE"
assert_listed "$listing" "^etc/vfio-bind.storage$" "the record of the storage controllers is in the image"
assert_listed "$listing" "^etc/vfio-bind.network$" "the record of the network functions is in the image"
assert_libraries "$listing"
assert_modules "$listing"
assert_listed "$listing" "^usr/lib/modules/$(regex_quote "$KVER")/modules\.dep$" "modules.dep is in the image"
assert_listed "$listing" '^scripts/init-top/00-vfio-bind$' "the init-top script is in the image"

# The order /init will run init-top in, as written into the image.
unpacked="$WORK/unpacked"
unmkinitramfs "$img" "$unpacked" >/dev/null 2>&1 || die "unmkinitramfs failed"
order=$(find "$unpacked" -path '*/scripts/init-top/ORDER' | head -n1)
[ -n "$order" ] || die "no scripts/init-top/ORDER in the image"
log "scripts/init-top/ORDER:"
sed 's/^/    /' "$order" >&2

ours=$(grep -n '^/scripts/init-top/00-vfio-bind ' "$order" | cut -d: -f1 | head -n1)
udev=$(grep -n '^/scripts/init-top/udev ' "$order" | cut -d: -f1 | head -n1)
if [ -z "$ours" ]; then
    fail "ORDER runs the vfio-bind script"
elif [ -z "$udev" ]; then
    fail "ORDER runs init-top/udev (without it the order test means nothing)"
elif [ "$ours" -lt "$udev" ]; then
    pass "ORDER runs 00-vfio-bind (line $ours) before udev (line $udev)"
else
    fail "ORDER runs udev (line $udev) before 00-vfio-bind (line $ours)"
fi
first=$(grep -m1 '^/scripts/init-top/' "$order" | cut -d' ' -f1)
[ "$first" = /scripts/init-top/00-vfio-bind ] &&
    pass "00-vfio-bind is the first init-top script" ||
    fail "00-vfio-bind is not the first init-top script ($first is)"

root=$(dirname "$(dirname "$(dirname "$order")")")
s="$root/scripts/init-top/00-vfio-bind"
[ -x "$s" ] && pass "the init-top script is executable" || fail "the init-top script is not executable"
grep -q "^[^#]*\"$SBINDIR/vfio-bind\" boot --stage=initramfs" "$s" &&
    pass "the init-top script runs $SBINDIR/vfio-bind boot --stage=initramfs" ||
    fail "the init-top script does not run $SBINDIR/vfio-bind boot --stage=initramfs"
[ -x "$root${bin_in_image}/vfio-bind" ] && pass "the binary in the image is executable" ||
    fail "the binary in the image is not executable"
assert_runs_in_image "$root" "$bin_in_image/vfio-bind"
grep -q '^address' "$root$CONFIG_FILE" 2>/dev/null && pass "the configuration in the image names the device" ||
    fail "the configuration in the image does not name the device"
# The record names the same controllers as the built binary finds on this machine now.
if [ "$(cat "$root/etc/vfio-bind.storage" 2>/dev/null)" = "$("$BINARY" storage 2>/dev/null)" ]; then
    pass "the storage record matches 'vfio-bind storage' on the build machine"
else
    fail "the storage record differs from 'vfio-bind storage' on the build machine"
fi

# The script's shape: valid sh, no PREREQs (what keeps it first).
sh -n "$s" && pass "the init-top script parses" || fail "the init-top script does not parse"
sh "$s" prereqs >"$WORK/prereqs" && [ ! -s "$WORK/prereqs" -o "$(tr -d ' \n' <"$WORK/prereqs")" = "" ] &&
    pass "the init-top script has no PREREQs" || fail "the init-top script declares PREREQs"

# Inside the image, with the image's own shell (klibc's, no busybox here):
# the script parses and answers "prereqs" with nothing.
if out=$(chroot "$root" /bin/sh -n /scripts/init-top/00-vfio-bind 2>&1) &&
   out=$(chroot "$root" /bin/sh /scripts/init-top/00-vfio-bind prereqs 2>&1) &&
   [ -z "$(printf '%s' "$out" | tr -d ' \n')" ]; then
    pass "the image's own /bin/sh runs the script's prereqs query"
else
    fail "the image's /bin/sh cannot run the script: $out"
fi

# The hook's own check: if the order ever puts udev first (here forced by an
# override of the script in the configuration directory that declares
# PREREQ="udev"), the build warns.
mkdir -p "$conf/scripts/init-top"
sed 's/^PREREQ=""$/PREREQ="udev"/' "$s" >"$conf/scripts/init-top/00-vfio-bind"
chmod 755 "$conf/scripts/init-top/00-vfio-bind"
if ! run_in_root env TMPDIR="$WORK" mkinitramfs -d "$conf" -o "$img.late" "$KVER" >"$WORK/mkinitramfs-late.log" 2>&1; then
    cat "$WORK/mkinitramfs-late.log" >&2
    die "mkinitramfs failed (late variant)"
fi
grep -q '^W: vfio-bind: init-top/udev runs before init-top/00-vfio-bind' "$WORK/mkinitramfs-late.log" &&
    pass "the hook warns when udev is ordered first" ||
    fail "the hook did not warn when udev was ordered first"

finish
