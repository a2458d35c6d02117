#!/bin/bash
# Build (or reuse from the cache) the Debian guest roots of the real-kernel suite:
#   root-initramfs-tools  debootstrap minbase + systemd, udev, kmod, kernel, initramfs-tools, pciutils
#   root-dracut           the same with dracut instead of initramfs-tools
# Usage: build-guest.sh [--force] [FLAVOUR...]    (default: both flavours)
# Prints the cache directory holding the roots on stdout.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

force=0
flavours=()
while (($#)); do
    case $1 in
    --force) force=1 ;;
    -h | --help) sed -n '2,6p' "$0"; exit 0 ;;
    *) vm_check_flavour "$1"; flavours+=("$1") ;;
    esac
    shift
done
((${#flavours[@]})) || flavours=("${VM_FLAVOURS[@]}")

vm_require_root
vm_host_deps

guest_dir=$(vm_guest_dir)
mkdir -p "$guest_dir"
# One builder at a time per cache directory.
exec 9>"$guest_dir/.lock"
flock 9

# Settings every flavour shares, applied to the base root before the dracut root is derived.
customize_base() {
    local root=$1
    echo vfio-bind-guest >"$root/etc/hostname"
    printf '127.0.0.1 localhost\n127.0.1.1 vfio-bind-guest\n' >"$root/etc/hosts"
    echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$root/etc/fstab"
    : >"$root/etc/machine-id"

    # Keep the serial console free for the kernel and the probe; skip what a test boot
    # does not need.
    local unit
    for unit in serial-getty@ttyS0.service getty@tty1.service getty-static.service getty.target \
        apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
        systemd-timesyncd.service; do
        ln -sf /dev/null "$root/etc/systemd/system/$unit"
    done

    # Smaller roots and images: no documentation, man pages or translations from now on.
    cat >"$root/etc/dpkg/dpkg.cfg.d/01-vfio-bind-vm-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    rm -rf "$root"/usr/share/{doc,man,info}/* "$root"/var/cache/apt/archives/*.deb
    find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
}

build_base() {
    local dst=$1 tmp="$1.tmp" mirror t0
    mirror=$(vm_mirror)
    t0=$(vm_now)
    vm_log "debootstrap $VM_SUITE (minbase) into $tmp"
    rm -rf "$tmp"
    local pkgs
    pkgs=$(IFS=,; echo "${VM_GUEST_PACKAGES[*]}")
    if ! debootstrap --variant=minbase --include="$pkgs" "$VM_SUITE" "$tmp" "$mirror" \
        >"$guest_dir/debootstrap.log" 2>&1; then
        tail -n 30 "$guest_dir/debootstrap.log" >&2
        vm_die "debootstrap failed (log: $guest_dir/debootstrap.log)"
    fi
    customize_base "$tmp"
    vm_root_kver "$tmp" >/dev/null
    touch "$tmp/.vfio-bind-vm-complete"
    rm -rf "$dst"
    mv "$tmp" "$dst"
    seed_initrd_cache "$dst"
    vm_log "base root ready in $(vm_elapsed "$t0") s: $dst ($(du -sh "$dst" | cut -f1))"
}

build_dracut() {
    local base=$1 dst=$2 tmp="$2.tmp" t0
    t0=$(vm_now)
    vm_log "deriving the dracut root from $base"
    vm_copy_root "$base" "$tmp"
    rm -f "$tmp/.vfio-bind-vm-complete"
    # A generic initramfs: what the build machine has says nothing about the guest.
    mkdir -p "$tmp/etc/dracut.conf.d"
    # Fast compression: Debian's default (zstd -15) takes ~45 s of the ~50 s a rebuild costs.
    cat >"$tmp/etc/dracut.conf.d/10-vfio-bind-vm.conf" <<'EOF2'
hostonly="no"
compress="zstd -1 -T0 -q"
EOF2
    if ! vm_chroot "$tmp" apt-get install -y -q --no-install-recommends "${VM_DRACUT_PACKAGES[@]}" \
        >"$guest_dir/dracut-install.log" 2>&1; then
        tail -n 30 "$guest_dir/dracut-install.log" >&2
        vm_die "installing dracut failed (log: $guest_dir/dracut-install.log)"
    fi
    [[ $(vm_root_flavour "$tmp") == dracut ]] || vm_die "dracut root still has no dracut"
    vm_chroot "$tmp" apt-get clean
    touch "$tmp/.vfio-bind-vm-complete"
    rm -rf "$dst"
    mv "$tmp" "$dst"
    seed_initrd_cache "$dst"
    vm_log "dracut root ready in $(vm_elapsed "$t0") s: $dst ($(du -sh "$dst" | cut -f1))"
}

# The initramfs a root came with is the cached one for its pristine configuration.
seed_initrd_cache() {
    local root=$1 file
    file=$(vm_initrd_cache_file "$root" "$(vm_initrd_key "$root" none)")
    mkdir -p "$(dirname "$file")"
    cp "$root/boot/initrd.img-$(vm_root_kver "$root")" "$file"
}

base=$(vm_guest_root initramfs-tools)
if ((force)) || [[ ! -e $base/.vfio-bind-vm-complete ]]; then
    # Roots of other package sets or script versions are of no further use.
    for old in "$VM_CACHE"/guest-*; do
        [[ $old == "$guest_dir" || ! -d $old ]] || { vm_log "removing stale $old"; rm -rf "$old"; }
    done
    rm -rf "$guest_dir/initrd"
    build_base "$base"
    # A dracut root derived from an older base is stale now.
    rm -f "$(vm_guest_root dracut)/.vfio-bind-vm-complete"
    force_dracut=1
else
    force_dracut=$force
fi
for flavour in "${flavours[@]}"; do
    [[ $flavour == dracut ]] || continue
    root=$(vm_guest_root dracut)
    if ((force_dracut)) || [[ ! -e $root/.vfio-bind-vm-complete ]]; then
        build_dracut "$base" "$root"
    fi
done

# QEMU for the nested VM, without recommends (no GUI, no firmware beyond what -nodefaults needs).
add_guest_qemu() {
    local root=$1 t0
    [[ -e $root/.vfio-bind-vm-qemu ]] && return 0
    t0=$(vm_now)
    if ! vm_chroot "$root" apt-get install -y -q --no-install-recommends "${VM_GUEST_QEMU_PACKAGES[@]}" \
        >"$guest_dir/qemu-install.log" 2>&1; then
        tail -n 30 "$guest_dir/qemu-install.log" >&2
        vm_die "installing ${VM_GUEST_QEMU_PACKAGES[*]} into $root failed (log: $guest_dir/qemu-install.log)"
    fi
    vm_chroot "$root" apt-get clean
    rm -rf "$root"/usr/share/{doc,man,info}/*
    touch "$root/.vfio-bind-vm-qemu"
    vm_log "${VM_GUEST_QEMU_PACKAGES[*]} added in $(vm_elapsed "$t0") s: $root ($(du -sh "$root" | cut -f1))"
}
for flavour in "${flavours[@]}"; do
    add_guest_qemu "$(vm_guest_root "$flavour")"
done
echo "$guest_dir"
