#!/bin/bash
# Shared setup for the initramfs image tests.
#
# Each test builds a real initramfs image with the distribution's tool, for a
# real Debian kernel, with vfio-bind installed from the build directory, and
# then looks inside the image.
#
# Arguments (from tests/initramfs/meson.build):
#   $1 build root   $2 built vfio-bind binary   $3 sbindir   $4 config file
#
# How the product gets "installed" without touching the machine: a DESTDIR
# install of the build directory into a staging tree, then, in a private
# mount namespace, read-only overlays that put the staging tree (and the
# kernel's modules) on top of /usr and /etc. Inside that namespace the image
# tools see vfio-bind exactly where a package would put it; outside, nothing
# changed.
#
# Environment:
#   VFIO_BIND_TEST_CACHE     kernel cache (default /var/tmp/vfio-bind-test-cache)
#   VFIO_BIND_TEST_KERNEL    kernel image package to use
#                            (default: what linux-image-amd64 depends on)
#   MESON                    meson command (default: meson)

set -euo pipefail

SKIP=77
ERROR=99

log() { printf '%s\n' "$*" >&2; }
skip() { log "SKIP: $*"; exit "$SKIP"; }
die() { log "ERROR: $*"; exit "$ERROR"; }

FAILURES=0
pass() { log "ok - $*"; }
fail() { log "FAIL - $*"; FAILURES=$((FAILURES + 1)); }
finish() {
    if [ "$FAILURES" -ne 0 ]; then
        log "$FAILURES assertion(s) failed"
        exit 1
    fi
    log "all assertions passed"
    exit 0
}

[ $# -ge 4 ] || die "usage: $0 BUILD_ROOT VFIO_BIND_BINARY SBINDIR CONFIG_FILE"
BUILD_ROOT=$(readlink -f "$1")
BINARY=$(readlink -f "$2")
SBINDIR=$3
CONFIG_FILE=$4
[ -d "$BUILD_ROOT" ] || die "no build directory '$BUILD_ROOT'"
[ -x "$BINARY" ] || die "no built binary '$BINARY'"

CACHE=${VFIO_BIND_TEST_CACHE:-/var/tmp/vfio-bind-test-cache}

is_root() { [ "$(id -u)" -eq 0 ]; }

# The staged product is laid over /usr and /etc in a private mount
# namespace: that needs root (CI runs as root).
is_root || skip "needs root: the images are built in a private mount namespace with the staged install laid over /usr and /etc"
MESON=${MESON:-meson}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vfio-bind-initramfs.XXXXXX")
cleanup() {
    if [ -n "${KEEP_WORK:-}" ]; then
        log "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# ensure_tools PACKAGE COMMAND...: install PACKAGE when a COMMAND is missing
# (as root), skip when it is missing and we are not root.
ensure_tools() {
    local pkg=$1 c missing=
    shift
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
    done
    [ -z "$missing" ] && return 0
    is_root || skip "missing$missing (package $pkg) and not root to install it"
    log "installing $pkg for:$missing"
    mkdir -p "$CACHE"
    (
        flock 9
        export DEBIAN_FRONTEND=noninteractive
        if ! apt-get install -y -q --no-install-recommends \
                -o DPkg::Lock::Timeout=120 "$pkg" >"$WORK/apt.log" 2>&1; then
            apt-get update -q -o DPkg::Lock::Timeout=120 >>"$WORK/apt.log" 2>&1 || :
            apt-get install -y -q --no-install-recommends \
                -o DPkg::Lock::Timeout=120 "$pkg" >>"$WORK/apt.log" 2>&1
        fi
    ) 9>"$CACHE/.apt.lock" || { cat "$WORK/apt.log" >&2; die "could not install $pkg"; }
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || die "$pkg installed but '$c' still missing"
    done
}

# The configuration names a VFIO variant driver ($STANDIN_VARIANT) that the hooks must pack. Debian's
# 6.1 kernel has no variant driver at all, so the kernel layer gets a stand-in under that name: a copy of
# pcspkr, which exports nothing and depends on nothing, so it adds no symbol or dependency of its own.
STANDIN_VARIANT=standin_vfio_pci
add_standin_variant() {
    local moddir=$1 src
    src=$(find "$moddir/kernel" -name 'pcspkr.ko*' | head -n1)
    [ -n "$src" ] || { log "no pcspkr module to make the stand-in variant driver from"; return 1; }
    mkdir -p "$moddir/extra"
    cp "$src" "$moddir/extra/$STANDIN_VARIANT.ko${src##*.ko}"
}

# Fetch a Debian kernel image package through the machine's apt
# configuration, unpack its modules into the cache and run depmod there.
# Sets KVER and KLAYER (a tree with usr/lib/modules/$KVER and
# boot/config-$KVER, which mkinitramfs reads).
prepare_kernel() {
    local pkg=${VFIO_BIND_TEST_KERNEL:-}
    mkdir -p "$CACHE"
    if [ -z "$pkg" ]; then
        pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
              sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n1) || pkg=
        if [ -z "$pkg" ] && is_root; then
            apt-get update -q >/dev/null 2>&1 || :
            pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
                  sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n1) || pkg=
        fi
        [ -n "$pkg" ] || die "cannot resolve linux-image-amd64 from the apt configuration (run apt-get update)"
    fi
    KVER=${pkg#linux-image-}
    KVER=${KVER%-unsigned}
    KLAYER="$CACHE/$KVER/layer"
    (
        flock 9
        [ -e "$CACHE/$KVER/ready" ] && exit 0
        rm -rf "${CACHE:?}/${KVER:?}"
        mkdir -p "$CACHE/$KVER/dl" "$CACHE/$KVER/x" "$KLAYER/usr/lib"
        log "fetching $pkg"
        (cd "$CACHE/$KVER/dl" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
            { log "apt-get download $pkg failed"; exit 1; }
        dpkg -x "$CACHE/$KVER/dl/"*.deb "$CACHE/$KVER/x"
        if [ -d "$CACHE/$KVER/x/lib/modules/$KVER" ]; then
            mv "$CACHE/$KVER/x/lib/modules" "$KLAYER/usr/lib/modules"
        elif [ -d "$CACHE/$KVER/x/usr/lib/modules/$KVER" ]; then
            mv "$CACHE/$KVER/x/usr/lib/modules" "$KLAYER/usr/lib/modules"
        else
            log "$pkg has no modules for $KVER"; exit 1
        fi
        mkdir -p "$KLAYER/boot"
        cp "$CACHE/$KVER/x/boot/config-$KVER" "$KLAYER/boot/" ||
            { log "$pkg has no boot/config-$KVER"; exit 1; }
        rm -rf "$CACHE/$KVER/x" "$CACHE/$KVER/dl"
        add_standin_variant "$KLAYER/usr/lib/modules/$KVER" || exit 1
        depmod -b "$KLAYER/usr" "$KVER"
        touch "$CACHE/$KVER/ready"
    ) 9>"$CACHE/.kernel.lock" || die "could not prepare kernel modules for $pkg"
    log "kernel $KVER (modules in $KLAYER/usr/lib/modules/$KVER)"
}

# DESTDIR install of the build directory into $STAGE, plus a configuration
# naming one device at the configured path.
stage_product() {
    STAGE="$WORK/stage"
    "$MESON" install -C "$BUILD_ROOT" --destdir "$STAGE" --no-rebuild --quiet \
        >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log" >&2; die "meson install failed"; }
    [ -x "$STAGE$SBINDIR/vfio-bind" ] || die "the install put no binary at $SBINDIR/vfio-bind"
    cmp -s "$STAGE$SBINDIR/vfio-bind" "$BINARY" || log "note: installed binary differs from $BINARY (install may strip)"
    # With a merged /usr, what went to /lib, /bin or /sbin (units from
    # systemd.pc's /lib/systemd/system) lives under /usr: fold it in, as the
    # package manager would.
    local d
    for d in lib bin sbin; do
        if [ -d "$STAGE/$d" ] && [ ! -L "$STAGE/$d" ] && [ "$(readlink "/$d")" = "usr/$d" ]; then
            mkdir -p "$STAGE/usr/$d"
            cp -a "$STAGE/$d/." "$STAGE/usr/$d/"
        fi
    done
    mkdir -p "$(dirname "$STAGE$CONFIG_FILE")"
    cat >"$STAGE$CONFIG_FILE" <<'CONF'
# written by the initramfs image test
[gpu]
address = 0000:01:00.0
CONF
    printf '\n[nic]\naddress = 0000:02:00.0\ndriver = %s\n' "$STANDIN_VARIANT" >>"$STAGE$CONFIG_FILE"
}

# run_in_root CMD...: run CMD in a private mount namespace in which the
# staging tree and the kernel layer are laid over the top-level directories
# they install into (read-only overlays).
run_in_root() {
    local top dirs=
    for top in "$STAGE"/*/; do
        top=${top%/}
        top=${top##*/}
        # Only real top-level directories: with a merged /usr, /lib and /sbin
        # are symlinks (the units that land there are not needed in images).
        if [ -d "/$top" ] && [ ! -L "/$top" ]; then
            dirs="$dirs $top"
        fi
    done
    case " $dirs " in *" usr "*) ;; *) dirs="$dirs usr" ;; esac
    case " $dirs " in *" boot "*) ;; *) [ -d /boot ] && [ ! -L /boot ] && dirs="$dirs boot" ;; esac
    unshare --mount --propagation private -- \
        /bin/bash -euc '
            stage=$1 klayer=$2 dirs=$3
            shift 3
            for d in $dirs; do
                lower=
                [ -d "$stage/$d" ] && lower="$stage/$d:"
                [ -d "$klayer/$d" ] && lower="$lower$klayer/$d:"
                [ -n "$lower" ] || continue
                mount -t overlay "vfio-bind-test-$d" -o "lowerdir=$lower/$d" "/$d"
            done
            exec "$@"
        ' run_in_root "$STAGE" "$KLAYER" "$dirs" "$@"
}

# Check that the namespace and overlays can be set up at all. Root is all
# they need: in a chroot, its root must be a mount point (bind-mount it on
# itself) for a private mount namespace to be possible.
check_namespace() {
    is_root || skip "building images against staged paths needs root (mount namespace + overlayfs)"
    run_in_root test -x "$SBINDIR/vfio-bind" 2>"$WORK/ns.log" ||
        { cat "$WORK/ns.log" >&2; die "cannot set up a private mount namespace with overlayfs (in a chroot, make its root a mount point)"; }
    [ "$KVER" = none ] && return 0
    run_in_root test -f "/usr/lib/modules/$KVER/modules.dep" ||
        die "kernel layer not visible in the namespace"
}

# regex_quote STRING: STRING with the characters special to grep -E escaped
# (kernel versions carry '+' and '.').
regex_quote() {
    printf '%s' "$1" | sed 's/[][\.^$*+?(){}|/]/\\&/g'
}

# assert_listed LISTING REGEX DESCRIPTION
assert_listed() {
    if grep -Eq -- "$2" "$1"; then
        pass "$3"
    else
        fail "$3 (no line matching '$2' in the image listing)"
    fi
}

# assert_libraries LISTING: the libraries the binary links against are in
# the image, and so is the module-loading library it opens at run time (the
# hooks add it on purpose: nothing else has to bring it).
assert_libraries() {
    local lib path
    for lib in $(ldd "$BINARY" 2>/dev/null | sed -n 's/^[[:space:]]*\([^[:space:]]*\.so[^[:space:]]*\) => \/.*/\1/p'); do
        assert_listed "$1" "/$(regex_quote "$lib")( |$)" "$lib (linked by the binary) is in the image"
    done
    path=$(optional_library module-loading "$BINARY")
    [ -n "$path" ] || die "the built binary cannot load its module-loading library on this machine"
    assert_listed "$1" "/$(regex_quote "${path##*/}")( |$)" "${path##*/} (module loading, opened at run time) is in the image"
}

# optional_library PURPOSE [CHROOT]: the file 'vfio-bind libraries' names for
# PURPOSE, run on this machine (BINARY) or inside an unpacked image.
optional_library() {
    local purpose=$1 out
    if [ $# -ge 3 ]; then
        out=$(chroot "$3" "$2" libraries 2>/dev/null) || :
    else
        out=$("$2" libraries 2>/dev/null) || :
    fi
    printf '%s\n' "$out" | awk -v p="$purpose" '$1 == p && $3 != "-" { print $3 }'
}

# assert_runs_in_image ROOT BIN: the binary runs inside the unpacked image
# with nothing but the image's own loader and libraries: it starts, it loads
# libkmod (which it needs to load vfio-pci there), and 'check' reads a small
# fake host copied into the image the same way as the binary does here. The
# initramfs stage reports to the kernel log and the handoff file, never to
# journald: libsystemd is not needed in the image.
assert_runs_in_image() {
    local root=$1 bin=$2 out rc want_rc path tree=/tmp/vfio-bind-tree
    if out=$(chroot "$root" "$bin" --version 2>&1); then
        pass "the binary runs inside the image ($out)"
    else
        fail "the binary does not run inside the image: $out"
    fi
    path=$(optional_library module-loading "$bin" "$root")
    if [ -n "$path" ] && [ -e "$root$path" ]; then
        pass "inside the image the binary loads libkmod from the image ($path)"
    else
        fail "inside the image the binary cannot load libkmod ($(chroot "$root" "$bin" libraries 2>&1 | tr '\n' ';'))"
    fi
    if [ -z "${SIM_MKTREE:-}" ] || [ -z "${SIM_HOST:-}" ] || [ -z "${SIM_CONFIG:-}" ]; then
        die "SIM_MKTREE, SIM_HOST and SIM_CONFIG must name the tree builder, a host and its configuration"
    fi
    "$SIM_MKTREE" --replace "$SIM_HOST" "$root$tree" >/dev/null || die "sim-mktree failed"
    install -m 0644 "$SIM_CONFIG" "$root$tree/etc/vfio-bind.conf"
    "$BINARY" check --root "$root$tree" >"$WORK/check-host.out" 2>&1 && want_rc=0 || want_rc=$?
    chroot "$root" "$bin" check --root "$tree" >"$WORK/check-image.out" 2>&1 && rc=0 || rc=$?
    sed -i "s|$root$tree|$tree|g" "$WORK/check-host.out"
    if [ "$rc" = "$want_rc" ] && cmp -s "$WORK/check-host.out" "$WORK/check-image.out" &&
       grep -q '0000:01:00.0' "$WORK/check-image.out"; then
        pass "check --root on a fake host inside the image: exit $rc and the same report as outside"
    else
        diff "$WORK/check-host.out" "$WORK/check-image.out" >&2 || :
        fail "check --root inside the image: exit $rc (outside: $want_rc), reports differ or name no device"
    fi
    rm -rf "${root:?}$tree"
}

# assert_modules LISTING: vfio, vfio_pci, vfio_iommu_type1, vfio_pci_core
# (when this kernel has it as a module) and the configured variant driver
# are in the image.
assert_modules() {
    local m re
    for m in vfio vfio_pci vfio_iommu_type1 vfio_pci_core; do
        if [ "$m" = vfio_pci_core ] &&
           ! find "$KLAYER/usr/lib/modules/$KVER" -name 'vfio[-_]pci[-_]core.ko*' | grep -q .; then
            log "note: $KVER has no vfio_pci_core module"
            continue
        fi
        re="/${m//_/[-_]}\.ko(\.(xz|zst|gz))?( |$)"
        assert_listed "$1" "$re" "module $m is in the image"
    done
    assert_listed "$1" "/$STANDIN_VARIANT\.ko(\.(xz|zst|gz))?( |\$)" \
        "the variant driver the configuration names ($STANDIN_VARIANT) is in the image"
}
