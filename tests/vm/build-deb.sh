#!/bin/bash
# Build the product's Debian package from a copy of this source tree (tracked files plus new
# ones git does not ignore, as they are in the work tree now) with dpkg-buildpackage.
# Usage: build-deb.sh [OUTDIR]   (default: a new temporary directory)
# Prints the path of the vfio-bind .deb. The build log stays next to it (build.log).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src=$(cd "$VM_LIB_DIR/../.." && pwd)
out=${1:-$(mktemp -d /tmp/vfio-bind-vm-deb.XXXXXX)}
mkdir -p "$out"
out=$(cd "$out" && pwd)

command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || {
    vm_log "installing dpkg-dev and debhelper"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dpkg-dev debhelper >/dev/null
}

work=$out/src
rm -rf "$work"
mkdir -p "$work"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$src" && git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done |
        tar --null -T - -cf -) | tar -xf - -C "$work"
else
    tar -C "$src" --exclude='./build*' -cf - . | tar -xf - -C "$work"
fi

t0=$(vm_now)
# -d: the build dependencies are those of the project's own test command; a missing one fails
# the build with the compiler's or meson's message.
if ! (cd "$work" && dpkg-buildpackage -us -uc -b -d) >"$out/build.log" 2>&1; then
    tail -n 40 "$out/build.log" >&2
    vm_die "dpkg-buildpackage failed (log: $out/build.log)"
fi
rm -rf "$work"
deb=$(ls "$out"/vfio-bind_*.deb 2>/dev/null | grep -v -- '-dbgsym' | head -n1)
[[ -n $deb ]] || vm_die "dpkg-buildpackage made no vfio-bind .deb in $out"
vm_log "built $(basename "$deb") in $(vm_elapsed "$t0") s"
echo "$deb"
