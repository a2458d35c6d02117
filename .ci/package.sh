#!/bin/bash
# Package check: build the Debian package from this tree, run lintian (any
# E: or W: fails), then install it into a fresh minbase chroot and check what
# it installed, that vfio-bind.service is enabled, that both manual pages
# render, that the update-initramfs trigger fires, and that removal and purge
# leave nothing behind.
#
# Needs root (debootstrap, chroot) and the distribution's archive; the mirror
# is the one this machine's apt sources use. Environment:
#   PACKAGE_OUT=DIR   copy the built .deb files there
#   KEEP_WORKDIR=1    keep the temporary directory (build tree, chroot)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

src_dir=$(cd "$(dirname "$0")/.." && pwd)
t_start=$(date +%s)
t_step=$t_start
timings=()

step() {
	local now
	now=$(date +%s)
	if [ -n "${step_name:-}" ]; then
		timings+=("$(printf '%4d s  %s' $((now - t_step)) "$step_name")")
	fi
	step_name=$1
	t_step=$now
	if [ -n "$1" ]; then
		echo
		echo "=== $1"
	fi
}

fail() {
	echo "package.sh: FAIL: $*" >&2
	exit 1
}

print_timings() {
	step ""
	echo "--- timings"
	printf '%s\n' "${timings[@]}"
	echo "$(printf '%4d s' $(($(date +%s) - t_start)))  total"
}

[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot)"

work=$(mktemp -d /tmp/vfio-bind-package.XXXXXX)
chroot_dir=$work/chroot

cleanup() {
	local m
	# Unmount whatever is mounted below the chroot before anything is deleted.
	for m in "$chroot_dir/proc" "$chroot_dir/dev/pts"; do
		if mountpoint -q "$m" 2>/dev/null; then
			umount -l "$m" || true
		fi
	done
	if [ "${KEEP_WORKDIR:-0}" = 1 ]; then
		echo "package.sh: kept $work"
	elif ! grep -qs " $work/" /proc/mounts; then
		rm -rf "$work"
	else
		echo "package.sh: $work still has mounts; not removed" >&2
	fi
}
trap cleanup EXIT

# ---------------------------------------------------------------------------
step "build dependencies"
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential dpkg-dev debhelper lintian debootstrap man-db >/dev/null
# What debian/control asks for.
apt-get build-dep -y -qq "$src_dir" >/dev/null

# ---------------------------------------------------------------------------
step "copy the source tree"
mkdir -p "$work/src"
if git -C "$src_dir" rev-parse --git-dir >/dev/null 2>&1; then
	# Tracked files plus new ones not ignored (build directories are), as
	# they are now in the work tree.
	(
		cd "$src_dir"
		git ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do
				[ -e "$f" ] && printf '%s\0' "$f"
			done |
			tar --null -T - -cf -
	) | tar -xf - -C "$work/src"
else
	tar -C "$src_dir" --exclude='./build*' -cf - . | tar -xf - -C "$work/src"
fi

# ---------------------------------------------------------------------------
step "dpkg-buildpackage -us -uc -b"
if ! (cd "$work/src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	tail -n 60 "$work/build.log"
	fail "dpkg-buildpackage failed (log above)"
fi
grep -E '^dpkg-deb: building' "$work/build.log"
deb=$(ls "$work"/vfio-bind_*_*.deb)
# Where this release keeps units: what the package was built for.
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
[ -n "$unitdir" ] || fail "systemd.pc gives no systemdsystemunitdir"
changes=$(ls "$work"/vfio-bind_*_*.changes)
echo "--- dpkg -c $(basename "$deb")"
dpkg -c "$deb"
# The unit is enabled for the next boot and never started, stopped or
# restarted from dpkg (see debian/rules).
dpkg-deb -e "$deb" "$work/control"
if grep -qs 'deb-systemd-invoke' "$work"/control/p*; then
	fail "a maintainer script starts, stops or restarts vfio-bind.service"
fi
# Install, upgrade and removal rebuild the initramfs through this trigger
# (initramfs-tools and Debian's dracut package are both interested in it).
grep -qx 'activate-noawait update-initramfs' "$work/control/triggers" ||
	fail "the package does not activate the update-initramfs trigger"
if [ -n "${PACKAGE_OUT:-}" ]; then
	mkdir -p "$PACKAGE_OUT"
	cp "$work"/*.deb "$PACKAGE_OUT"/
fi

# ---------------------------------------------------------------------------
step "lintian"
# lintian says it does not like running as root; that is all it says about it.
lintian --display-info "$changes" >"$work/lintian.txt" 2>&1 || true
echo "--- lintian output"
cat "$work/lintian.txt"
echo "--- end of lintian output"
if grep -qE '^(E|W): ' "$work/lintian.txt"; then
	fail "lintian reported errors or warnings"
fi

# ---------------------------------------------------------------------------
step "debootstrap --variant=minbase"
# The suite and the mirror this machine's apt sources use, read now.
# shellcheck source=/dev/null
. /etc/os-release
suite=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
mirror=$("$src_dir/tests/debian-mirror.sh" "$suite") || fail "no apt source for suite $suite in /etc/apt"
echo "suite $suite, mirror: the first apt source for it on this machine"
cache_dir=/var/cache/vfio-bind-package/debootstrap
mkdir -p "$cache_dir"
if ! debootstrap --variant=minbase --cache-dir="$cache_dir" "$suite" "$chroot_dir" "$mirror" \
	>"$work/debootstrap.log" 2>&1; then
	tail -n 30 "$work/debootstrap.log"
	fail "debootstrap failed"
fi
tail -n 1 "$work/debootstrap.log"

in_chroot() {
	chroot "$chroot_dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"
}

mount -t proc proc "$chroot_dir/proc"
# Nothing is started inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$chroot_dir/usr/sbin/policy-rc.d"
chmod 755 "$chroot_dir/usr/sbin/policy-rc.d"

# ---------------------------------------------------------------------------
step "chroot: man-db and initramfs-tools"
in_chroot apt-get update -qq
in_chroot apt-get install -y -qq --no-install-recommends man-db initramfs-tools >"$work/chroot-deps.log" 2>&1 ||
	{ tail -n 30 "$work/chroot-deps.log"; fail "could not install man-db and initramfs-tools in the chroot"; }

# ---------------------------------------------------------------------------
step "chroot: install the package"
cp "$deb" "$chroot_dir/tmp/"
in_chroot apt-get install -y --no-install-recommends "/tmp/$(basename "$deb")" >"$work/install.log" 2>&1 ||
	{ cat "$work/install.log"; fail "installing the package failed"; }
grep -E '^(Setting up vfio-bind|Processing triggers for initramfs-tools)' "$work/install.log" || true
grep -q '^Processing triggers for initramfs-tools' "$work/install.log" ||
	fail "installing did not trigger update-initramfs"

# ---------------------------------------------------------------------------
step "chroot: check the installed package"
status=0
check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok   $what"
	else
		echo "FAIL $what"
		status=1
	fi
}
for f in \
	/usr/sbin/vfio-bind \
	/etc/vfio-bind.conf \
	"$unitdir/vfio-bind.service" \
	/usr/lib/systemd/catalog/vfio-bind.catalog \
	/usr/lib/dracut/modules.d/90vfio-bind/module-setup.sh \
	/usr/lib/dracut/modules.d/90vfio-bind/vfio-bind-cmdline.sh \
	/usr/lib/dracut/modules.d/90vfio-bind/vfio-bind-initrd.service \
	/usr/share/initramfs-tools/hooks/vfio-bind \
	/usr/share/initramfs-tools/scripts/init-top/00-vfio-bind \
	/usr/share/man/man8/vfio-bind.8.gz \
	/usr/share/man/man5/vfio-bind.conf.5.gz \
	/usr/share/bash-completion/completions/vfio-bind; do
	check "$f" test -e "$chroot_dir$f"
done
for f in /usr/sbin/vfio-bind /usr/share/initramfs-tools/hooks/vfio-bind \
	/usr/share/initramfs-tools/scripts/init-top/00-vfio-bind \
	/usr/lib/dracut/modules.d/90vfio-bind/module-setup.sh; do
	check "$f is executable" test -x "$chroot_dir$f"
done
# shellcheck disable=SC2016 # ${Conffiles} is dpkg-query's, not the shell's
check "/etc/vfio-bind.conf is a conffile" \
	grep -q '/etc/vfio-bind.conf' <<<"$(in_chroot dpkg-query -W -f='${Conffiles}' vfio-bind)"
check "/etc/vfio-bind.conf is all comments" \
	test -z "$(grep -Ev '^[[:space:]]*(#|$)' "$chroot_dir/etc/vfio-bind.conf")"
wants=/etc/systemd/system/sysinit.target.wants/vfio-bind.service
check "vfio-bind.service is enabled ($wants)" test -L "$chroot_dir$wants"
check "the $wants link points at the unit" \
	test "$(readlink "$chroot_dir$wants")" = "$unitdir/vfio-bind.service"
check "vfio-bind --version runs" in_chroot /usr/sbin/vfio-bind --version
man_renders() {
	in_chroot man -l "$1" >/dev/null
}
for page in /usr/share/man/man8/vfio-bind.8.gz /usr/share/man/man5/vfio-bind.conf.5.gz; do
	check "man -l $page renders" man_renders "$page"
done
completion_loads() {
	in_chroot bash -c '. /usr/share/bash-completion/completions/vfio-bind && complete -p vfio-bind' >/dev/null
}
check "bash completion defines its completion for vfio-bind" completion_loads
[ "$status" -eq 0 ] || fail "the installed package is incomplete"

# ---------------------------------------------------------------------------
step "chroot: reinstall (the upgrade path)"
in_chroot apt-get install -y --reinstall "/tmp/$(basename "$deb")" >"$work/reinstall.log" 2>&1 ||
	{ cat "$work/reinstall.log"; fail "reinstalling the package failed"; }
check "vfio-bind.service is still enabled" test -L "$chroot_dir$wants"
check "/etc/vfio-bind.conf is unchanged" cmp -s "$chroot_dir/etc/vfio-bind.conf" "$work/src/conf/vfio-bind.conf"
[ "$status" -eq 0 ] || fail "reinstalling changed the installed package"

# ---------------------------------------------------------------------------
step "chroot: remove and purge"
in_chroot apt-get remove -y vfio-bind >"$work/remove.log" 2>&1 ||
	{ cat "$work/remove.log"; fail "removing the package failed"; }
grep -q '^Processing triggers for initramfs-tools' "$work/remove.log" ||
	fail "removing did not trigger update-initramfs"
check "the initramfs-tools hook is gone" test ! -e "$chroot_dir/usr/share/initramfs-tools/hooks/vfio-bind"
check "the init-top script is gone" \
	test ! -e "$chroot_dir/usr/share/initramfs-tools/scripts/init-top/00-vfio-bind"
check "the dracut module is gone" test ! -e "$chroot_dir/usr/lib/dracut/modules.d/90vfio-bind"
check "the binary is gone" test ! -e "$chroot_dir/usr/sbin/vfio-bind"
check "the conffile stays until purge" test -e "$chroot_dir/etc/vfio-bind.conf"
in_chroot dpkg --purge vfio-bind >"$work/purge.log" 2>&1 ||
	{ cat "$work/purge.log"; fail "purging the package failed"; }
check "purge removes /etc/vfio-bind.conf" test ! -e "$chroot_dir/etc/vfio-bind.conf"
check "purge removes the sysinit.target.wants link" test ! -L "$chroot_dir$wants"
[ "$status" -eq 0 ] || fail "removal left something behind"

print_timings
echo "package.sh: all package checks passed"
