#!/bin/bash
# Build the libFuzzer targets with clang (ASan + UBSan) and run each for SECONDS (default 60).
# Exits non-zero when a target crashes, leaks or trips an assertion; the input that did it is left in
# the work directory, which is printed.
#
#   tests/fuzz/run.sh [SECONDS]
#   FUZZ_RUNS=10000000 tests/fuzz/run.sh   # a fixed number of runs per target instead of a time
#
# Runs on one core (-jobs=1, no forking). New inputs libFuzzer finds go to the work directory, never
# into the seed corpora in the tree.
set -euo pipefail

seconds=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../src" && pwd)
targets=(config pci-address)

find_clang() {
    local c
    for c in clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14; do
        command -v "$c" >/dev/null && { echo "$c"; return 0; }
    done
    return 1
}

CC=${CC_FUZZ:-$(find_clang || true)}
if [ -z "$CC" ]; then
    echo "clang not found: installing it" >&2
    apt-get install -y clang libclang-rt-dev >&2
    CC=$(find_clang)
fi

work=${FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/vfio-bind-fuzz.XXXXXX")}
mkdir -p "$work"
echo "work directory: $work" >&2

cflags=(-g -O1 -std=gnu11 -D_GNU_SOURCE -fno-omit-frame-pointer
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$src")
"$CC" "${cflags[@]}" -o "$work/fuzz-config" "$here/fuzz-config.c" \
    "$src/config.c" "$src/pci-address.c" "$src/fileio.c" "$src/utf8.c" "$src/alloc-util.c" "$src/string-util.c"
"$CC" "${cflags[@]}" -o "$work/fuzz-pci-address" "$here/fuzz-pci-address.c" "$src/pci-address.c" "$src/fileio.c"

# -jobs=1 runs the target in one worker, which logs to fuzz-0.log in the working directory.
cd "$work"
status=0
for t in "${targets[@]}"; do
    mkdir -p "$work/corpus-$t" "$work/artifacts-$t"
    args=(-jobs=1 -workers=1 -print_final_stats=1 -artifact_prefix="$work/artifacts-$t/")
    if [ -n "${FUZZ_RUNS:-}" ]; then
        args+=(-runs="$FUZZ_RUNS")
    else
        args+=(-max_total_time="$seconds")
    fi
    [ -f "$here/$t.dict" ] && args+=(-dict="$here/$t.dict")
    echo "== fuzz-$t" >&2
    if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$work/fuzz-$t" "${args[@]}" "$work/corpus-$t" "$here/corpus/$t" >"$work/fuzz-$t.log" 2>&1; then
        grep -hE '^stat::number_of_executed_units|^Done [0-9]+ runs' "$work/fuzz-$t.log" "$work"/fuzz-*[0-9].log >&2 || true
        mv -f "$work/fuzz-0.log" "$work/fuzz-$t.worker.log" 2>/dev/null || true
    else
        status=1
        tail -n 40 "$work/fuzz-$t.log" "$work/fuzz-0.log" >&2 || true
        mv -f "$work/fuzz-0.log" "$work/fuzz-$t.worker.log" 2>/dev/null || true
        echo "fuzz-$t FAILED; the input is in $work/artifacts-$t/" >&2
    fi
done
exit $status
