#!/bin/bash
# Install vfio-bind into a guest root the way a package would, then rebuild its initramfs.
#
# Usage: install-product.sh ROOTDIR BUILDDIR [options]
#   ROOTDIR              a copy of a guest root (see build-guest.sh); modified in place
#   BUILDDIR             a meson build directory configured with --prefix=/usr --sysconfdir=/etc
#                        (see build-product.sh), or "none" to install no product (or to install
#                        the package given with --deb)
#   --deb FILE           install the product's Debian package (see build-deb.sh) with dpkg -i in
#                        ROOTDIR, as an administrator would; its update-initramfs trigger is left
#                        pending and the initramfs is rebuilt (or reused) below instead
#   --config FILE        install FILE as /etc/vfio-bind.conf
#   --force-drivers      put bochs and snd_hda_intel into the initramfs, so that udev in the
#                        initramfs binds 01:00.0/01:00.1 (as dracut's hostonly 50drm does for real GPUs)
#   --drivers "A B"      force these drivers instead
#   --enable UNIT        enable UNIT (default vfio-bind.service, when installed; may be repeated)
#   --no-initramfs       do not rebuild the initramfs
#
# Environment: VFIO_BIND_VM_INITRD_CACHE=0 rebuilds every initramfs. By default an initramfs is
# reused when the flavour, the kernel, the installed product files and the root's initramfs
# and module configuration are all the same as for a previous build.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

(($# >= 2)) || vm_die "usage: install-product.sh ROOTDIR BUILDDIR [options]"
root=$1 build=$2
shift 2
config='' rebuild=1 deb=''
drivers=()
units=()
while (($#)); do
    case $1 in
    --config) config=$2; shift ;;
    --deb) deb=$2; shift ;;
    --force-drivers) drivers=(bochs snd_hda_intel) ;;
    --drivers) read -ra drivers <<<"$2"; shift ;;
    --enable) units+=("$2"); shift ;;
    --no-initramfs) rebuild=0 ;;
    -h | --help) sed -n '2,23p' "$0"; exit 0 ;;
    *) vm_die "install-product.sh: unknown argument '$1'" ;;
    esac
    shift
done
[[ -d $root ]] || vm_die "no root directory $root"
vm_require_root
flavour=$(vm_root_flavour "$root")
kver=$(vm_root_kver "$root")

product_hash=none
if [[ -n $deb ]]; then
    [[ $build == none ]] || vm_die "install-product.sh: give BUILDDIR 'none' with --deb"
    [[ -r $deb ]] || vm_die "no package $deb"
    stage=$(mktemp -d /tmp/vfio-bind-vm-stage.XXXXXX)
    trap 'rm -rf "$stage"' EXIT
    dpkg-deb -x "$deb" "$stage" || vm_die "dpkg-deb -x $deb failed"
    product_hash=$(vm_tree_hash "$stage")
    cp "$deb" "$root/var/tmp/vfio-bind.deb"   # vm_chroot mounts a tmpfs on /tmp
    # --no-triggers: the package activates update-initramfs; the rebuild below (cached per
    # configuration) does what that trigger would do.
    if ! vm_chroot "$root" dpkg --no-triggers -i /var/tmp/vfio-bind.deb >"$stage.log" 2>&1; then
        cat "$stage.log" >&2
        vm_die "dpkg -i $(basename "$deb") failed in $root"
    fi
    rm -f "$root/var/tmp/vfio-bind.deb" "$stage.log"
    [[ -L $root/etc/systemd/system/sysinit.target.wants/vfio-bind.service ]] ||
        vm_die "the package did not enable vfio-bind.service"
    vm_log "installed $(basename "$deb") into $root (dpkg -i; vfio-bind.service enabled by the package)"
fi
if [[ $build != none ]]; then
    [[ -d $build ]] || vm_die "no build directory $build"
    # The product must be configured for the guest's layout.
    for opt in prefix=/usr sysconfdir=/etc; do
        value=$(meson introspect --buildoptions "$build" |
            jq -r --arg n "${opt%%=*}" '.[] | select(.name == $n) | .value')
        [[ $value == "${opt#*=}" ]] || vm_die "$build has ${opt%%=*}=$value, needs ${opt#*=}"
    done
    stage=$(mktemp -d /tmp/vfio-bind-vm-stage.XXXXXX)
    trap 'rm -rf "$stage"' EXIT
    DESTDIR=$stage meson install -C "$build" --no-rebuild --quiet >/dev/null ||
        vm_die "meson install -C $build failed"
    product_hash=$(vm_tree_hash "$stage")
    # Unpack over the root keeping its merged-/usr symlinks (/lib -> usr/lib, /sbin -> usr/sbin).
    tar -C "$stage" -cf - . | tar -C "$root" -xf - --keep-directory-symlink --no-same-owner
    vm_log "installed the product into $root: $(cd "$stage" && find . ! -type d | sed 's|^\.||' | tr '\n' ' ')"

    ((${#units[@]})) || units=(vfio-bind.service)
    for unit in "${units[@]}"; do
        if [[ -e $root/usr/lib/systemd/system/$unit || -e $root/lib/systemd/system/$unit ||
            -e $root/etc/systemd/system/$unit ]]; then
            vm_chroot "$root" systemctl enable "$unit" >/dev/null 2>&1 ||
                vm_die "systemctl enable $unit failed in $root"
            vm_log "enabled $unit"
        else
            vm_log "no unit $unit installed: not enabled"
        fi
    done
fi

if [[ -n $config ]]; then
    install -D -m 0644 "$config" "$root/etc/vfio-bind.conf"
fi
vm_force_drivers "$root" "${drivers[@]}"

((rebuild)) || exit 0

key=$(vm_initrd_key "$root" "$product_hash")
cached=$(vm_initrd_cache_file "$root" "$key")
if [[ ${VFIO_BIND_VM_INITRD_CACHE:-1} != 0 && -s $cached ]]; then
    cp "$cached" "$root/boot/initrd.img-$kver"
    vm_log "initramfs ($flavour) reused from the cache: $cached"
    exit 0
fi
seconds=$(vm_rebuild_initramfs "$root")
vm_log "initramfs ($flavour) rebuilt in $seconds s"
mkdir -p "$(dirname "$cached")"
cp "$root/boot/initrd.img-$kver" "$cached.tmp"
mv "$cached.tmp" "$cached"
