#!/bin/bash
# bench/initramfs-size.sh BUILD_DIR VFIO_BIND: how much an initramfs-tools
# image grows when vfio-bind is added, beyond the vfio modules.
#
# Two real images from mkinitramfs for the same Debian kernel, with the same
# configuration directory (MODULES=list naming the vfio modules, the
# distribution's default compressor, zstd, at its default level):
#   baseline  the vfio modules only, vfio-bind not installed;
#   product   vfio-bind installed (its hook adds the binary, the libraries
#             the image lacks, the configuration and the boot script).
# Prints a Markdown section on stdout. Reuses tests/initramfs/lib.sh (kernel
# cache, staged install, private mount namespace); needs root, exits 77
# otherwise.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR VFIO_BIND" >&2; exit 2; }
cfg_h="$1/build-config.h"
sbindir=$(sed -n 's/^#define SBINDIR "\(.*\)"$/\1/p' "$cfg_h")
config_file=$(sed -n 's/^#define CONFIG_FILE "\(.*\)"$/\1/p' "$cfg_h")
set -- "$1" "$2" "$sbindir" "$config_file"
# shellcheck source=../tests/initramfs/lib.sh
. "$here/../tests/initramfs/lib.sh"

ensure_tools initramfs-tools-core mkinitramfs unmkinitramfs
ensure_tools cpio cpio
ensure_tools zstd zstd
command -v unshare >/dev/null || skip "unshare (util-linux) missing"

prepare_kernel
stage_product
check_namespace

conf="$WORK/initramfs-tools"
mkdir -p "$conf/conf.d" "$conf/hooks" "$conf/scripts"
cat >"$conf/initramfs.conf" <<'CONF'
MODULES=list
BUSYBOX=auto
COMPRESS=zstd
DEVICE=
NFSROOT=auto
RUNSIZE=10%
FSTYPE=auto
CONF
printf '%s\n' vfio vfio_iommu_type1 vfio_pci >"$conf/modules"

build_image() { # build_image STAGE OUTPUT
    local saved=$STAGE
    STAGE=$1
    run_in_root env TMPDIR="$WORK" mkinitramfs -d "$conf" -o "$2" "$KVER" >"$2.log" 2>&1 ||
        { cat "$2.log" >&2; die "mkinitramfs failed"; }
    STAGE=$saved
}
mkdir -p "$WORK/no-product/usr"
build_image "$WORK/no-product" "$WORK/base.img"
build_image "$STAGE" "$WORK/product.img"

unpack() { # unpack IMAGE DIR: unpacked tree, listing "size path" of regular files
    unmkinitramfs "$1" "$2" >/dev/null 2>&1 || die "unmkinitramfs $1 failed"
    (cd "$2" && find . -type f -printf '%s %P\n' | sed 's| main/| |' | sort -k2) >"$2.list"
}
unpack "$WORK/base.img" "$WORK/base"
unpack "$WORK/product.img" "$WORK/product"

base=$(stat -c %s "$WORK/base.img")
prod=$(stat -c %s "$WORK/product.img")
growth=$((prod - base))
# Files in the product image and not in the baseline, with their sizes.
join -1 2 -2 2 -v 2 -o 2.1,2.2 "$WORK/base.list" "$WORK/product.list" >"$WORK/added"
added_raw=$(awk '{ s += $1 } END { print s + 0 }' "$WORK/added")
# The same files compressed alone (an upper bound for their share).
tar -C "$WORK/product" -cf "$WORK/added.tar" $(awk '{ print ($2 ~ /^main\// ? "" : "main/") $2 }' "$WORK/added" |
    while read -r f; do [ -e "$WORK/product/$f" ] && echo "$f" || echo "${f#main/}"; done) 2>/dev/null || :
added_zst=$(zstd -q -c "$WORK/added.tar" 2>/dev/null | wc -c)

kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
echo "Two initramfs-tools images for kernel $KVER built by mkinitramfs in the same run with the same"
echo "configuration (MODULES=list naming vfio, vfio_iommu_type1, vfio_pci; COMPRESS=zstd at its default"
echo "level, the distribution's default), one without vfio-bind and one with it installed:"
echo
echo "| image | zstd-compressed size |"
echo "| --- | ---: |"
echo "| vfio modules, no vfio-bind | $base bytes |"
echo "| vfio modules + vfio-bind | $prod bytes |"
echo "| **growth** | **$growth bytes ($(kib "$growth"))** |"
echo
echo "Files vfio-bind adds ($(kib "$added_raw") uncompressed; $(kib "$added_zst") as a zstd tarball of their own):"
echo
echo "| bytes | file |"
echo "| ---: | --- |"
sort -rn "$WORK/added" | awk '{ printf "| %d | `%s` |\n", $1, $2 }'
