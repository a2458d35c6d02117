#!/bin/bash
# debian-mirror.sh [SUITE]: the Debian archive this machine's apt configuration uses, for debootstrap.
#
# The first "deb" source that lists SUITE (default: this machine's own release), from the deb822 files
# under /etc/apt/sources.list.d first, then the one-line sources.list files. A suite the machine does not
# list (Debian 13 on a Debian 12 machine) comes from the archive of the machine's own release: one Debian
# archive serves every release. VFIO_BIND_MIRROR, when set, wins.
set -euo pipefail

if [[ -n ${VFIO_BIND_MIRROR:-} ]]; then
    echo "${VFIO_BIND_MIRROR%/}"
    exit 0
fi

own=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")

# mirror_for SUITE: the first matching source's URI, or nothing.
mirror_for() {
    local suite=$1 f
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -r $f ]] || continue
        awk -v suite="$suite" '
            function flush() {
                if (enabled && uris != "" && (" " types " ") ~ / deb / && (" " suites " ") ~ (" " suite " ")) {
                    split(uris, u, " "); print u[1]; found = 1; exit
                }
                uris = types = suites = ""; enabled = 1
            }
            BEGIN { enabled = 1 }
            /^[ \t]*$/ { flush(); next }
            /^[ \t]*#/ { next }
            tolower($1) == "uris:"    { $1 = ""; uris = $0 }
            tolower($1) == "types:"   { $1 = ""; types = $0 }
            tolower($1) == "suites:"  { $1 = ""; suites = $0 }
            tolower($1) == "enabled:" { enabled = tolower($2) != "no" }
            END { if (!found) flush() }
        ' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -r $f ]] || continue
        awk -v suite="$suite" '$1 == "deb" {
            i = 2; if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
            if ($(i + 1) == suite) { print $i; exit } }' "$f"
    done
}

suite=${1:-$own}
url=$(mirror_for "$suite" | sed -n '1{s/[[:space:]]//g;p}')
if [[ -z $url && -n $own && $suite != "$own" ]]; then
    url=$(mirror_for "$own" | sed -n '1{s/[[:space:]]//g;p}')
fi
if [[ -z $url ]]; then
    echo "debian-mirror.sh: no Debian source for '$suite' in /etc/apt; set VFIO_BIND_MIRROR" >&2
    exit 1
fi
echo "${url%/}"
