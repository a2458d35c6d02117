#!/bin/sh
# Builds the bundled example host as a fake sysfs tree and runs vfio-bind on it: list and suggest, check, then apply under the
# kernel simulator, then status. Shows what an admin sees, with no hardware and no root needed.
# Usage: demo.sh VFIO_BIND SIM_MKTREE KERNEL_SIM_LIB HOST_DESCRIPTION CONFIG TREE_DIR
set -eu
vfio_bind=$1 mktree=$2 sim=$3 host=$4 config=$5 tree=$6

rm -rf "$tree"
"$mktree" "$host" "$tree"
cp "$config" "$tree/etc/vfio-bind.conf"
chmod 0644 "$tree/etc/vfio-bind.conf"

show() {
        printf '\n$ vfio-bind %s --root %s\n' "$*" "$tree"
        # A device problem (exit 1) is part of the demo: the example configures a disk it must refuse.
        LD_PRELOAD=$sim VFIO_SIM_ROOT=$tree "$vfio_bind" "$@" --root "$tree" || true
}

show list
show suggest 0000:02:00.1 0000:04:00.0
show check
show apply
show status
