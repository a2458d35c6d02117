#!/bin/bash
# bench/run.sh: vfio-bind benchmarks on simulated hosts.
#
# Usage:
#   bench/run.sh [--quick] [--vm] [--out FILE] BUILD_DIR
#   bench/run.sh [--quick] [--out FILE] VFIO_BIND SIM_MKTREE KERNEL_SIM_LIB
#
# Full mode (default) measures 8, 64, 512 and 4096 functions, runs callgrind
# and builds initramfs images, and writes bench/BENCHMARKS.md (or --out).
# --vm: also run the boot benchmark in the real-kernel lab (bench/vm-boot.sh: root, about 15 minutes)
# and put its fresh table in the report; without it the last bench/vm-boot.md is included.
# --quick: 8 and 64 functions, 2 repetitions, no valgrind, no initramfs; the
# report goes to a temporary file (or --out) and is printed. It checks that
# everything still runs; it asserts nothing about timings.
#
# Every comparison is measured in the same run, alternating the order of the
# contenders each repetition; the table gives the median with the 25th-75th
# percentile range. Environment: REPS (repetitions, default 15; apply uses
# REPS_APPLY, default 9), SIZES (default "8 64 512 4096"), BENCH_TMP (default
# /dev/shm when writable: the trees are large).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
quick=0
vm=0
out=
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=1; shift ;;
    --vm) vm=1; shift ;;
    --out) out=$2; shift 2 ;;
    -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
    --) shift; break ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ $# -eq 1 ]; then
    build=$(cd "$1" && pwd)
    VFIO_BIND=$build/src/vfio-bind
    SIM_MKTREE=$build/tests/sim/sim-mktree
    SIM_LIB=$build/tests/sim/libvfio-bind-kernel-sim.so
elif [ $# -eq 3 ]; then
    VFIO_BIND=$(readlink -f "$1")
    SIM_MKTREE=$(readlink -f "$2")
    SIM_LIB=$(readlink -f "$3")
    build=$(cd "$(dirname "$VFIO_BIND")/.." && pwd)
else
    sed -n '4,6p' "$0" >&2
    exit 2
fi
for f in "$VFIO_BIND" "$SIM_MKTREE" "$SIM_LIB"; do
    [ -e "$f" ] || { echo "run.sh: missing $f (build first)" >&2; exit 2; }
done

if [ "$quick" = 1 ]; then
    SIZES=${SIZES:-"8 64"}
    REPS=${REPS:-2}
    REPS_APPLY=${REPS_APPLY:-2}
else
    SIZES=${SIZES:-"8 64 512 4096"}
    REPS=${REPS:-15}
    REPS_APPLY=${REPS_APPLY:-9}
fi

# ---- tools -------------------------------------------------------------------
# need PACKAGE COMMAND: install PACKAGE when COMMAND is missing (as root);
# skip the whole run (exit 77) when not root.
need() {
    command -v "$2" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP: $2 missing (package $1) and not root to install it" >&2
        exit 77
    fi
    echo "installing $1 for $2" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=120 "$1" >/dev/null 2>&1 || {
        apt-get update -q -o DPkg::Lock::Timeout=120 >/dev/null 2>&1 || :
        apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=120 "$1" >/dev/null
    }
    command -v "$2" >/dev/null 2>&1 || { echo "run.sh: $1 installed but $2 still missing" >&2; exit 1; }
}
need pciutils lspci
need time /usr/bin/time
need mawk awk
if [ "$quick" = 0 ]; then
    need valgrind valgrind
    need binutils strip
    need zstd zstd
fi

tmpbase=${BENCH_TMP:-}
if [ -z "$tmpbase" ]; then
    tmpbase=/tmp
    [ -d /dev/shm ] && [ -w /dev/shm ] && tmpbase=/dev/shm
fi
WORK=$(mktemp -d "$tmpbase/vfio-bind-bench.XXXXXX")
cleanup() { [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"; }
trap cleanup EXIT

if [ -z "$out" ]; then
    if [ "$quick" = 1 ]; then out=$WORK/BENCHMARKS.md; else out=$here/BENCHMARKS.md; fi
fi

log() { printf '%s\n' "$*" >&2; }

# ---- measuring ---------------------------------------------------------------
now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }

# timed FILE CMD...: run CMD (output discarded), append its wall time in ms to FILE.
# The exit status is kept in $rc (status exits 1 while functions are not claimed).
timed() {
    local file=$1 t0 t1
    shift
    t0=${EPOCHREALTIME/./}
    "$@" >/dev/null 2>"$WORK/last.err" && rc=0 || rc=$?
    t1=${EPOCHREALTIME/./}
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1000 }' >>"$file"
}

# stats FILE: "median p25 p75 n" of the numbers in FILE.
stats() {
    sort -g "$1" | awk '{ v[NR] = $1 }
        function q(p,   i, f) { i = 1 + (NR - 1) * p; f = int(i); return f >= NR ? v[NR] : v[f] + (i - f) * (v[f + 1] - v[f]) }
        END { printf "%.2f %.2f %.2f %d\n", q(0.5), q(0.25), q(0.75), NR }'
}
median() { stats "$1" | cut -d' ' -f1; }
cell() { stats "$1" | awk '{ printf "%s (%s–%s)", $1, $2, $3 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# verdict TARGET MEASURED VALUE LIMIT: a table row, met when VALUE <= LIMIT.
verdict() {
    local met
    met=$(awk -v v="$3" -v l="$4" 'BEGIN { print (v != "" && v != "n/a" && v + 0 <= l + 0) ? "yes" : "**no**" }')
    echo "| $1 | $2 | $met |"
}

sim() { env VFIO_SIM_ROOT="$1" LD_PRELOAD="$SIM_LIB" "${@:2}"; }

# ---- hosts -------------------------------------------------------------------
for n in $SIZES; do
    "$here/gen-host.sh" "$n" host >"$WORK/h$n.host"
    "$here/gen-host.sh" "$n" conf >"$WORK/h$n.conf"
    "$here/gen-host.sh" "$n" addrs >"$WORK/h$n.addrs"
    "$SIM_MKTREE" --replace "$WORK/h$n.host" "$WORK/t$n" >/dev/null
    log "host with $n functions: $(grep -c '^device' "$WORK/h$n.host") devices, $(wc -l <"$WORK/h$n.addrs") to claim"
done

# ---- status / check vs lspci -------------------------------------------------
for n in $SIZES; do
    root=$WORK/t$n conf=$WORK/h$n.conf
    # Sanity: each tool sees the tree.
    "$VFIO_BIND" check --root "$root" --config "$conf" >/dev/null ||
        { log "check failed on the $n-function host"; "$VFIO_BIND" check --root "$root" --config "$conf" >&2; exit 1; }
    lines=$(lspci -nnk -A linux-sysfs -O sysfs.path="$root/sys/bus/pci" 2>/dev/null | grep -c '^[0-9a-f]')
    [ "$lines" -eq "$n" ] || { log "lspci listed $lines devices on the $n-function host"; exit 1; }
    lines=$("$VFIO_BIND" list --all --root "$root" --config "$conf" | grep -c '^  [0-9a-f]\{4\}:')
    [ "$lines" -eq "$n" ] || { log "list showed $lines functions on the $n-function host"; exit 1; }
    for i in $(seq 1 "$REPS"); do
        if [ $((i % 2)) -eq 1 ]; then order="status check list lspci"; else order="lspci list check status"; fi
        for c in $order; do
            case $c in
            status) timed "$WORK/status.$n" "$VFIO_BIND" status --root "$root" --config "$conf" ;;
            # Every function, like lspci: --all, so that nothing is left out of the comparison.
            list) timed "$WORK/list.$n" "$VFIO_BIND" list --all --root "$root" --config "$conf" ;;
            check) timed "$WORK/check.$n" "$VFIO_BIND" check --root "$root" --config "$conf" ;;
            lspci) timed "$WORK/lspci.$n" lspci -nnk -A linux-sysfs -O sysfs.path="$root/sys/bus/pci" ;;
            esac
        done
    done
    log "status/check/list/lspci at $n: $(median "$WORK/status.$n") / $(median "$WORK/check.$n") / $(median "$WORK/list.$n") / $(median "$WORK/lspci.$n") ms"
done

# ---- apply vs the wiki shell loop --------------------------------------------
# Each repetition gets a fresh tree (built outside the timing) and is then
# verified: every configured function must end up on vfio-pci.
for n in $SIZES; do
    host=$WORK/h$n.host conf=$WORK/h$n.conf fresh=$WORK/fresh$n
    mapfile -t addrs <"$WORK/h$n.addrs"
    for i in $(seq 1 "$REPS_APPLY"); do
        if [ $((i % 2)) -eq 1 ]; then order="apply shell"; else order="shell apply"; fi
        for c in $order; do
            # The test harness's own cost, recorded so that a slow tree build shows here and no test needs a clock.
            timed "$WORK/mktree.$n" "$SIM_MKTREE" --replace "$host" "$fresh"
            [ "$rc" -eq 0 ] || { log "sim-mktree exited $rc on the $n-function host:"; cat "$WORK/last.err" >&2; exit 1; }
            case $c in
            apply) timed "$WORK/apply.$n" sim "$fresh" "$VFIO_BIND" apply --root "$fresh" --config "$conf" ;;
            shell) timed "$WORK/shell.$n" sim "$fresh" /bin/sh "$here/wiki-bind.sh" "$fresh" "${addrs[@]}" ;;
            esac
            [ "$rc" -eq 0 ] || { log "$c exited $rc on the $n-function host:"; cat "$WORK/last.err" >&2; exit 1; }
            "$VFIO_BIND" status --root "$fresh" --config "$conf" >"$WORK/verify" ||
                { log "after $c on the $n-function host not every function is on vfio-pci:"; cat "$WORK/verify" >&2; exit 1; }
        done
    done
    rm -rf "$fresh"
    log "apply/shell at $n: $(median "$WORK/apply.$n") / $(median "$WORK/shell.$n") ms"
done

# ---- memory, size ------------------------------------------------------------
big=${SIZES##* }
rss() { # rss CMD...: peak RSS in KiB
    /usr/bin/time -f '%M' -o "$WORK/rss" "$@" >/dev/null 2>&1 || :
    tail -n1 "$WORK/rss"
}
rss_status=$(rss "$VFIO_BIND" status --root "$WORK/t$big" --config "$WORK/h$big.conf")
rss_check=$(rss "$VFIO_BIND" check --root "$WORK/t$big" --config "$WORK/h$big.conf")
rss_list=$(rss "$VFIO_BIND" list --all --root "$WORK/t$big" --config "$WORK/h$big.conf")
"$SIM_MKTREE" --replace "$WORK/h$big.host" "$WORK/fresh" >/dev/null
# time(1) runs outside the preload; only vfio-bind's own process is measured.
rss_apply=$(rss env VFIO_SIM_ROOT="$WORK/fresh" LD_PRELOAD="$SIM_LIB" "$VFIO_BIND" apply --root "$WORK/fresh" --config "$WORK/h$big.conf")
rm -rf "$WORK/fresh"
rss_lspci=$(rss lspci -nnk -A linux-sysfs -O sysfs.path="$WORK/t$big/sys/bus/pci")
cat >"$WORK/empty.c" <<'EOF'
int main(void) { return 0; }
EOF
rss_floor=
if command -v cc >/dev/null; then
    libs=$(ldd "$VFIO_BIND" | sed -n 's/^[[:space:]]*lib\([^.]*\)\.so.*/\1/p' | { grep -E '^(inih|kmod|systemd)$' || :; } | sed 's/^/-l/' | tr '\n' ' ')
    # shellcheck disable=SC2086
    if cc -Wl,--no-as-needed -o "$WORK/empty-libc" "$WORK/empty.c" 2>/dev/null &&
       cc -Wl,--no-as-needed -o "$WORK/empty-libs" "$WORK/empty.c" $libs 2>/dev/null; then
        rss_floor="$(rss "$WORK/empty-libc") KiB for an empty program linked with libc only, $(rss "$WORK/empty-libs") KiB linked with the same libraries as vfio-bind ($libs)"
    fi
fi
size_bin=$(stat -c %s "$VFIO_BIND")
size_stripped=-
size_text=-
if command -v strip >/dev/null; then
    strip --strip-all -o "$WORK/vfio-bind.stripped" "$VFIO_BIND"
    size_stripped=$(stat -c %s "$WORK/vfio-bind.stripped")
    size_text=$(size "$VFIO_BIND" | awk 'NR == 2 { printf "text %d, data %d, bss %d", $1, $2, $3 }')
fi
buildtype=$(meson introspect --buildoptions "$build" 2>/dev/null |
            awk 'BEGIN { RS = "{" } /"name": "buildtype"/ { if (match($0, /"value": "[^"]*"/)) print substr($0, RSTART + 10, RLENGTH - 11) }' || :)

# ---- callgrind ---------------------------------------------------------------
cg_summary=
if [ "$quick" = 0 ]; then
    for v in status check; do
        valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.$v" \
            "$VFIO_BIND" $v --root "$WORK/t$big" --config "$WORK/h$big.conf" >/dev/null 2>"$WORK/cg.$v.log" || :
        callgrind_annotate --auto=no "$WORK/cg.$v" 2>/dev/null >"$WORK/cg.$v.txt" || :
        callgrind_annotate --inclusive=yes --auto=no "$WORK/cg.$v" 2>/dev/null >"$WORK/cg.$v.incl.txt" || :
    done
    valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.lspci" \
        lspci -nnk -A linux-sysfs -O sysfs.path="$WORK/t$big/sys/bus/pci" >/dev/null 2>"$WORK/cg.lspci.log" || :
fi
cg_total() { sed -n 's/^\([0-9,]*\) (100.0%).*PROGRAM TOTALS.*/\1/p; s/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' "$1" | sed -n 1p; }
cg_top() { # cg_top FILE N: the N first function lines as table rows
    grep -E '^ *[0-9,]+ +\( *[0-9.]+%\) +[^ ]' "$1" | grep -v 'PROGRAM TOTALS' | sed -n "1,${2}p" |
        sed -E -e 's/^ *([0-9,]+) +\( *([0-9.]+%)\) +(.*)$/\1|\2|\3/' -e 's/ \[[^]]*\]$//' \
               -e 's#[^|]*/(src/[^/]*\.c:)#\1#' |
        awk -F'|' '{ printf "| %s | %s | `%s` |\n", $1, $2, $3 }'
}

# ---- initramfs ---------------------------------------------------------------
initramfs_md=
if [ "$quick" = 0 ]; then
    if bash "$here/initramfs-size.sh" "$build" "$VFIO_BIND" >"$WORK/initramfs.md" 2>"$WORK/initramfs.log"; then
        initramfs_md=$(cat "$WORK/initramfs.md")
    else
        rc=$?
        initramfs_md="Not measured in this run (initramfs-size.sh exited $rc: $(tail -n1 "$WORK/initramfs.log"))."
    fi
fi

# ---- boot benchmark (real kernel) ----------------------------------------------
if [ "$vm" = 1 ] && [ "$quick" = 0 ]; then
    log "boot benchmark: bench/vm-boot.sh (every sample is a boot)"
    bash "$here/vm-boot.sh" --out "$here/vm-boot.md" >"$WORK/vm-boot.log" 2>&1 ||
        { tail -n 40 "$WORK/vm-boot.log" >&2; echo "run.sh: the boot benchmark failed" >&2; exit 1; }
fi

# ---- report ------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sed -n 1p)
{
    echo "# vfio-bind benchmarks"
    echo
    echo "Written by \`bench/run.sh\`$([ "$quick" = 1 ] && echo " --quick") on $(date -u +%Y-%m-%d). Machine: $(nproc) CPUs ($cpu), kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")."
    echo "Build: ${buildtype:-unknown} ($VFIO_BIND). Shared machine: timings are noisy; each cell is the"
    echo "median wall time in ms with the 25th–75th percentile range, over $REPS repetitions ($REPS_APPLY for apply),"
    echo "contenders alternating their order every repetition, all measured in the same run."
    echo
    echo "Hosts come from \`bench/gen-host.sh N\` (root ports, PCIe switches, multi-function GPU cards,"
    echo "chipset functions sharing a group, dual-port SR-IOV NICs with their VFs) and are built with"
    echo "\`sim-mktree\`. The configuration claims a GPU with its audio function plus NIC VFs; the claimed"
    echo "count grows with the host:"
    echo
    echo "| functions | claimed |"
    echo "| ---: | ---: |"
    for n in $SIZES; do echo "| $n | $(wc -l <"$WORK/h$n.addrs") |"; done
    echo
    echo "## Targets"
    echo
    echo "| target | measured | met |"
    echo "| --- | --- | --- |"
    for v in status check; do
        worst=$(for n in $SIZES; do ratio "$(median "$WORK/$v.$n")" "$(median "$WORK/lspci.$n")"; echo; done | sort -g | tail -n1)
        verdict "$v no slower than lspci on the same tree" "at most ${worst}x lspci's median time (worst size)" "$worst" 1
    done
    case " $SIZES " in
    *" 512 "*) has512=1 ;;
    *) has512=0 ;;
    esac
    case "$has512 $SIZES " in
    "1 "*" 4096 "*)
        for v in status check list apply; do
            r=$(ratio "$(median "$WORK/$v.4096")" "$(median "$WORK/$v.512")")
            verdict "$v scales linearly: 4096 vs 512 functions at most 9x" "${r}x" "$r" 9
        done ;;
    *) echo "| linear scaling, 4096 vs 512 functions at most 9x | not measured (sizes: $SIZES) | - |" ;;
    esac
    r=$(ratio "$(median "$WORK/list.$big")" "$(median "$WORK/lspci.$big")")
    verdict "list at most 0.25x lspci -nnk's time on the $big-function host" "${r}x" "$r" 0.25
    worst=$(for n in $SIZES; do ratio "$(median "$WORK/apply.$n")" "$(median "$WORK/shell.$n")"; echo; done | sort -g | tail -n1)
    best=$(for n in $SIZES; do ratio "$(median "$WORK/apply.$n")" "$(median "$WORK/shell.$n")"; echo; done | sort -g | sed -n 1p)
    verdict "apply at most half the shell loop's time" "${best}x to ${worst}x the shell loop's median time" "$worst" 0.5
    peak=$(printf '%s\n' "$rss_status" "$rss_check" "$rss_list" "$rss_apply" | sort -g | tail -n1)
    verdict "peak RSS at most 4 MiB (4096 KiB)" "$peak KiB (largest of status, check, list, apply at $big functions)" "$peak" 4096
    growth=$(printf '%s\n' "$initramfs_md" | sed -n 's/.*\*\*growth\*\* | \*\*\([0-9]*\) bytes.*/\1/p')
    if [ -n "$growth" ]; then
        verdict "compressed initramfs growth at most 1 MiB beyond the vfio modules" "$growth bytes" "$growth" 1048576
    else
        echo "| compressed initramfs growth at most 1 MiB beyond the vfio modules | not measured in this run | - |"
    fi
    echo
    echo "## status and check versus lspci"
    echo
    echo "\`vfio-bind status|check --root T --config C\` against \`lspci -nnk -A linux-sysfs -O sysfs.path=T/sys/bus/pci\`"
    echo "(lspci's sysfs access method takes the directory holding \`devices/\`). No preload: both only read."
    echo
    echo "| functions | status | check | lspci -nnk | status / lspci | check / lspci |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
    for n in $SIZES; do
        echo "| $n | $(cell "$WORK/status.$n") | $(cell "$WORK/check.$n") | $(cell "$WORK/lspci.$n") | $(ratio "$(median "$WORK/status.$n")" "$(median "$WORK/lspci.$n")") | $(ratio "$(median "$WORK/check.$n")" "$(median "$WORK/lspci.$n")") |"
    done
    echo
    echo "## list versus lspci"
    echo
    echo "\`vfio-bind list --all --root T\` against \`lspci -nnk -A linux-sysfs -O sysfs.path=T/sys/bus/pci\`: both"
    echo "show every function with its ids, class and driver (list also its IOMMU group, subsystem ids,"
    echo "driver_override and what the host uses it for; lspci also the names from pci.ids and the kernel modules)."
    echo "Measured in the same loop as status and check above."
    echo
    echo "| functions | list | lspci -nnk | list / lspci |"
    echo "| ---: | ---: | ---: | ---: |"
    for n in $SIZES; do
        echo "| $n | $(cell "$WORK/list.$n") | $(cell "$WORK/lspci.$n") | $(ratio "$(median "$WORK/list.$n")" "$(median "$WORK/lspci.$n")") |"
    done
    echo
    echo "## apply versus a shell loop"
    echo
    echo "\`vfio-bind apply\` against \`bench/wiki-bind.sh\` (per device: \`echo vfio-pci > driver_override\`,"
    echo "\`echo ADDR > driver/unbind\`, \`echo ADDR > drivers_probe\`, run by /bin/sh), both under the kernel"
    echo "simulator on a fresh tree each repetition, both verified afterwards (every claimed function on"
    echo "vfio-pci). The vfio modules are already loaded in these hosts: the shell loop cannot load them."
    echo "apply also checks the host and the groups first, verifies each bind and writes its state and"
    echo "journal entries; the loop does none of that."
    echo
    echo "| functions | claimed | apply | shell loop | apply / shell |"
    echo "| ---: | ---: | ---: | ---: | ---: |"
    for n in $SIZES; do
        echo "| $n | $(wc -l <"$WORK/h$n.addrs") | $(cell "$WORK/apply.$n") | $(cell "$WORK/shell.$n") | $(ratio "$(median "$WORK/apply.$n")" "$(median "$WORK/shell.$n")") |"
    done
    echo
    echo "## Building the fake trees"
    echo
    echo "\`sim-mktree --replace\` building each host's fake sysfs tree (the harness of the scenario tests, not the"
    echo "product), measured on every fresh tree the apply comparison builds."
    echo
    echo "| functions | sim-mktree |"
    echo "| ---: | ---: |"
    for n in $SIZES; do echo "| $n | $(cell "$WORK/mktree.$n") |"; done
    echo
    echo "## Scaling"
    echo
    echo "Median ms from the tables above, and the ratio to the next smaller host."
    echo
    echo "| functions | status | ratio | check | ratio | list | ratio | apply | ratio | lspci | ratio |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    prev=
    for n in $SIZES; do
        row="| $n"
        for v in status check list apply lspci; do
            m=$(median "$WORK/$v.$n")
            if [ -n "$prev" ]; then r=$(ratio "$m" "$(median "$WORK/$v.$prev")"); else r=-; fi
            row="$row | $m | $r"
        done
        echo "$row |"
        prev=$n
    done
    echo
    echo "## Memory and size"
    echo
    echo "Peak RSS (\`/usr/bin/time -f %M\`) on the $big-function host:"
    echo
    echo "| command | peak RSS (KiB) |"
    echo "| --- | ---: |"
    echo "| vfio-bind status | $rss_status |"
    echo "| vfio-bind check | $rss_check |"
    echo "| vfio-bind list --all | $rss_list |"
    echo "| vfio-bind apply (under the simulator) | $rss_apply |"
    echo "| lspci -nnk | $rss_lspci |"
    echo
    [ -n "$rss_floor" ] && { echo "Floor: $rss_floor."; echo; }
    echo "Binary: $size_bin bytes as built, $size_stripped bytes stripped ($size_text)."
    echo "Linked libraries: $(ldd "$VFIO_BIND" | awk '$1 ~ /^lib/ { printf "%s%s", s, $1; s = ", " }')."
    echo
    if [ "$quick" = 0 ]; then
        echo "## Initramfs growth"
        echo
        echo "$initramfs_md"
        echo
        echo "## Instruction counts (callgrind, $big-function host)"
        echo
        for v in status check; do
            echo "\`vfio-bind $v\`: $(cg_total "$WORK/cg.$v.txt") instructions in total. Top functions by own cost:"
            echo
            echo "| Ir | share | function |"
            echo "| ---: | ---: | --- |"
            cg_top "$WORK/cg.$v.txt" 15
            echo
        done
        echo "Top functions of \`vfio-bind status\` by inclusive cost:"
        echo
        echo "| Ir | share | function |"
        echo "| ---: | ---: | --- |"
        cg_top "$WORK/cg.status.incl.txt" 20
        echo
        echo "For comparison, \`lspci -nnk\` on the same tree: $(callgrind_annotate "$WORK/cg.lspci" 2>/dev/null | sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | sed -n 1p) instructions."
        echo
    fi
    if [ "$quick" = 0 ] && [ -f "$here/findings.md" ]; then
        cat "$here/findings.md"
        echo
    fi
    # The boot benchmark boots real kernels for minutes: bench/vm-boot.sh writes bench/vm-boot.md, kept here
    # (run now with --vm).
    if [ -f "$here/vm-boot.md" ]; then
        cat "$here/vm-boot.md"
    else
        echo "## Boot: time until the GPU pair is on vfio-pci"
        echo
        echo "Not measured yet: run bench/vm-boot.sh (root, real kernel in QEMU)."
    fi
} >"$out.tmp"
mv "$out.tmp" "$out"
if [ "$quick" = 1 ]; then cat "$out"; fi
log "report written to $out"
