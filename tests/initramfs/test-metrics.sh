#!/bin/bash
# The Prometheus metrics as node_exporter's textfile collector reads them,
# checked by Prometheus' own promtool (Debian package prometheus): the file
# the boot unit writes into metrics_dir, and status --format=prometheus, on a
# simulated host where one function is claimed and one is not. Arguments: see
# lib.sh; SIM_PRELOAD names the kernel simulator.

. "$(dirname "$0")/lib.sh"

ensure_tools prometheus promtool
[ -n "${SIM_MKTREE:-}" ] && [ -n "${SIM_HOST:-}" ] && [ -n "${SIM_PRELOAD:-}" ] ||
    die "SIM_MKTREE, SIM_HOST and SIM_PRELOAD must be set (tests/initramfs/meson.build)"

HOST="$WORK/host"
"$SIM_MKTREE" "$SIM_HOST" "$HOST" >"$WORK/mktree.log" 2>&1 || { cat "$WORK/mktree.log" >&2; die "sim-mktree failed"; }
mkdir -p "$HOST/var/lib/prometheus/node-exporter"
# A function that stays on its host driver: the NVMe controller holds /, so
# it is refused.
cat >"$HOST$CONFIG_FILE" <<'CONF'
[global]
metrics_dir = /var/lib/prometheus/node-exporter

[gpu]
address = 0000:01:00.0
functions = all

[root-disk]
address = 0000:03:00.0
CONF
chmod 0644 "$HOST$CONFIG_FILE"

tool() {
    VFIO_SIM_ROOT="$HOST" LD_PRELOAD="$SIM_PRELOAD" "$BINARY" --root "$HOST" "$@"
}
tool boot --stage=initramfs >/dev/null 2>&1 || :
tool boot --stage=root >"$WORK/boot.log" 2>&1 || :
prom="$HOST/var/lib/prometheus/node-exporter/vfio-bind.prom"

if [ -s "$prom" ]; then
    pass "the root stage wrote $prom"
else
    cat "$WORK/boot.log" >&2
    fail "the root stage wrote no metrics file"
fi
if promtool check metrics <"$prom" >"$WORK/promtool.log" 2>&1; then
    pass "promtool check metrics: the boot unit's file is clean"
else
    cat "$WORK/promtool.log" "$prom" >&2
    fail "promtool check metrics rejects the boot unit's file"
fi
tool status --format=prometheus >"$WORK/status.prom" 2>"$WORK/status.err" || :
if promtool check metrics <"$WORK/status.prom" >"$WORK/promtool2.log" 2>&1; then
    pass "promtool check metrics: status --format=prometheus is clean"
else
    cat "$WORK/promtool2.log" "$WORK/status.prom" "$WORK/status.err" >&2
    fail "promtool check metrics rejects status --format=prometheus"
fi
# What the collector would serve: the values it parses, as promtool reads them.
if promtool check metrics <"$prom" 2>&1 | grep -q .; then
    fail "promtool has lint remarks"
else
    pass "promtool: no lint remarks"
fi
grep -q '^vfio_bind_device_on_vfio{address="0000:01:00.0",label="gpu",driver="vfio-pci"} 1$' "$prom" &&
    pass "the GPU is reported on vfio-pci" || fail "the GPU is not reported on vfio-pci"
grep -q '^vfio_bind_device_claimed_stage{address="0000:01:00.0",label="gpu",stage="initramfs"} 1$' "$prom" &&
    pass "the GPU is reported claimed by the initramfs stage" || fail "no initramfs stage for the GPU"
[ "$(tail -c 1 "$prom" | od -An -c | tr -d ' ')" = '\n' ] && pass "final newline" || fail "no final newline"
if grep -v '^#' "$prom" | awk '{ n = split($0, f, "} "); if (n > 1 && split(f[n], v, " ") != 1) bad = 1 } END { exit bad }'; then
    pass "no sample carries a timestamp"
else
    fail "a sample carries a timestamp"
fi
# Every family is announced.
for m in $(grep -v '^#' "$prom" | sed 's/[{ ].*//' | sort -u); do
    grep -q "^# HELP $m " "$prom" && grep -q "^# TYPE $m " "$prom" &&
        pass "HELP and TYPE for $m" || fail "no HELP or TYPE for $m"
done

finish
