#!/bin/bash
# Configure and build vfio-bind for installation into a Debian 12 guest root.
# Usage: build-product.sh [BUILDDIR]   (default: build-vm in the source tree)
# Prints the build directory. The guest is Debian 12 like the host, so the binary runs there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src=$(cd "$VM_LIB_DIR/../.." && pwd)
build=${1:-$src/build-vm}

# Debian 12's layout, given explicitly so that the result does not depend on which
# pkg-config files the build machine has. Only options the project declares are passed.
want=(-Dsystemdsystemunitdir=/lib/systemd/system -Dcatalogdir=/usr/lib/systemd/catalog
    -Ddracutmodulesdir=/usr/lib/dracut/modules.d -Dinitramfstoolsdir=/usr/share/initramfs-tools
    -Dtests=false -Dvm_tests=false)
opts=()
for o in "${want[@]}"; do
    name=${o#-D}
    name=${name%%=*}
    grep -q "option('$name'" "$src/meson_options.txt" 2>/dev/null && opts+=("$o")
done

if [[ -e $build/build.ninja ]]; then
    meson configure "$build" --prefix=/usr --sysconfdir=/etc "${opts[@]}" >/dev/null
else
    meson setup "$build" "$src" --prefix=/usr --sysconfdir=/etc --buildtype=debugoptimized \
        "${opts[@]}" >/dev/null
fi
ninja -C "$build" >/dev/null || vm_die "building the product failed (ninja -C $build)"
echo "$build"
