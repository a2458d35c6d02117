# shellcheck shell=bash disable=SC2034 # variables for the scripts that source it
# Shared helpers of the real-kernel test suite (tests/vm). Source it; do not run it.
#
# Environment (all optional):
#   VFIO_BIND_VM_CACHE    cache directory for guest roots and images (default /var/cache/vfio-bind-vm)
#   VFIO_BIND_VM_MIRROR   Debian mirror URL; default: the first one in this machine's apt configuration
#   VFIO_BIND_VM_SUITE    Debian suite of the guest (default bookworm)
#   VFIO_BIND_VM_SMP      guest CPUs (default 2)
#   VFIO_BIND_VM_MEM      guest memory in MiB (default 1024)
#   VFIO_BIND_VM_TIMEOUT  seconds before a boot is killed (default 400: only a hung boot reaches it)
#   VFIO_BIND_VM_OVMF     1: boot with UEFI firmware (OVMF) instead of SeaBIOS
#   VFIO_BIND_VM_KEEP     1: keep per-run work directories
#   VFIO_BIND_VM_VERBOSE  1: print the whole serial log of every boot
#   VFIO_BIND_VM_QEMU_LOCK  lock file that keeps to one QEMU per machine
#                         (default /run/lock/vfio-bind-vm-qemu.lock)

VM_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Bump when the way a guest root is built changes: it is part of the cache key.
VM_GUEST_VERSION=4

VM_CACHE=${VFIO_BIND_VM_CACHE:-/var/cache/vfio-bind-vm}
VM_SUITE=${VFIO_BIND_VM_SUITE:-bookworm}
VM_QEMU_LOCK=${VFIO_BIND_VM_QEMU_LOCK:-/run/lock/vfio-bind-vm-qemu.lock}

# Packages of the guest. The dracut flavour is derived from the base root by swapping
# initramfs-tools for dracut.
VM_GUEST_PACKAGES=(systemd systemd-sysv udev kmod linux-image-amd64 initramfs-tools pciutils
    libkmod2 libsystemd0 zstd)
VM_DRACUT_PACKAGES=(dracut)
# QEMU inside the guest (scenarios A and D start a nested VM with the claimed devices). Added to
# cached roots in place by build-guest.sh, and kept out of the cache key: roots cached for other
# checkouts stay valid.
VM_GUEST_QEMU_PACKAGES=(qemu-system-x86)
VM_FLAVOURS=(initramfs-tools dracut)

# Host tools the suite needs: command -> Debian package.
declare -A VM_HOST_TOOLS=(
    [qemu-system-x86_64]=qemu-system-x86
    [debootstrap]=debootstrap
    [mkfs.ext4]=e2fsprogs
    [unshare]=util-linux
    [flock]=util-linux
    [cpio]=cpio
    [meson]=meson
    [ninja]=ninja-build
    [jq]=jq
    [tar]=tar
)
VM_OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
VM_OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd

vm_log() { printf '[vm %s] %s\n' "$(date +%T)" "$*" >&2; }
vm_die() { printf '[vm %s] ERROR: %s\n' "$(date +%T)" "$*" >&2; exit 1; }

# Seconds since the epoch with millisecond resolution, for timings.
vm_now() { date +%s.%N | cut -c1-14; }
vm_elapsed() { awk -v a="$1" -v b="$(vm_now)" 'BEGIN { printf "%.1f", b - a }'; }

vm_require_root() {
    [[ $(id -u) -eq 0 ]] || vm_die "the VM suite needs root (debootstrap, chroot, mkfs)"
}

# Install the host packages that provide missing tools (and OVMF when asked for).
vm_host_deps() {
    local missing=() tool
    for tool in "${!VM_HOST_TOOLS[@]}"; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("${VM_HOST_TOOLS[$tool]}")
    done
    [[ -e $VM_OVMF_CODE ]] || missing+=(ovmf)
    ((${#missing[@]})) || return 0
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    vm_log "installing host packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The Debian mirror of this machine's apt configuration for the guest's suite.
vm_mirror() {
    VFIO_BIND_MIRROR=${VFIO_BIND_VM_MIRROR:-} "$VM_LIB_DIR/../debian-mirror.sh" "$VM_SUITE" ||
        vm_die "no Debian mirror for '$VM_SUITE' in the apt configuration; set VFIO_BIND_VM_MIRROR"
}

# Cache key of the guest roots: the package sets, the suite and the build version.
vm_guest_key() {
    printf '%s\n' "$VM_GUEST_VERSION" "$VM_SUITE" "${VM_GUEST_PACKAGES[*]}" "${VM_DRACUT_PACKAGES[*]}" |
        sha256sum | cut -c1-12
}
vm_guest_dir() { echo "$VM_CACHE/guest-$(vm_guest_key)"; }
# The cached root of a flavour (initramfs-tools or dracut).
vm_guest_root() { echo "$(vm_guest_dir)/root-$1"; }

vm_check_flavour() {
    case $1 in
    initramfs-tools | dracut) ;;
    *) vm_die "unknown flavour '$1' (initramfs-tools or dracut)" ;;
    esac
}

# The flavour of a root directory, from the initramfs generator it has.
vm_root_flavour() {
    if [[ -e $1/usr/bin/dracut || -e $1/usr/sbin/dracut ]]; then
        echo dracut
    elif [[ -e $1/usr/sbin/mkinitramfs ]]; then
        echo initramfs-tools
    else
        vm_die "$1 has no initramfs generator"
    fi
}

# The kernel version installed in a root (exactly one is expected).
vm_root_kver() {
    local d kvers=()
    for d in "$1"/lib/modules/*/; do
        [[ -e $d/modules.dep || -e $d/kernel ]] && kvers+=("$(basename "$d")")
    done
    ((${#kvers[@]} == 1)) || vm_die "expected one kernel in $1/lib/modules, found ${#kvers[@]}"
    echo "${kvers[0]}"
}

# Run a command chrooted into ROOT with /proc, /sys, /dev and /run mounted in a private mount
# namespace: the mounts vanish with the command, so nothing is left mounted inside the root.
vm_chroot() {
    local root=$1
    shift
    unshare --mount --propagation private -- /bin/bash -c '
        set -e
        root=$1; shift
        mount -t proc proc "$root/proc"
        mount -t sysfs sysfs "$root/sys"
        mount --rbind /dev "$root/dev"
        mount -t tmpfs tmpfs "$root/run"
        mount -t tmpfs tmpfs "$root/tmp"
        exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
            LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
    ' vm-chroot "$root" "$@"
}

# Copy a root directory (reflinks where the filesystem supports them).
vm_copy_root() {
    local src=$1 dst=$2
    rm -rf "$dst"
    mkdir -p "$(dirname "$dst")"
    cp -a --reflink=auto "$src" "$dst"
}

# Print the section of the probe's serial log between the markers of TOKEN. Fails when the
# section is missing or incomplete. The probe's exit status is on the END line.
vm_extract() {
    local log=$1 token=$2
    awk -v b="==== VFIO-BIND-VM BEGIN $token ====" -v e="==== VFIO-BIND-VM END $token " '
        index($0, b) == 1 { inside = 1; seen = 1; next }
        inside && index($0, e) == 1 { done = 1; exit }
        inside { print }
        END { exit !(seen && done) }
    ' "$log"
}

# Guest uptimes (seconds) when the probe started and ended, as "START END".
vm_probe_times() {
    sed -n "s/^==== VFIO-BIND-VM TIMES $2 probe_start=\([0-9.]*\) probe_end=\([0-9.]*\) ====\$/\1 \2/p" "$1" | head -n1
}

# The exit status the probe script reported, or nothing when the END marker is missing.
vm_probe_status() {
    local log=$1 token=$2
    sed -n "s/^==== VFIO-BIND-VM END $token rc=\([0-9]*\) ====\$/\1/p" "$log" | head -n1
}

# Print the last lines of a serial log, for failure reports.
vm_log_tail() {
    local log=$1 n=${2:-60}
    echo "----- last $n lines of $log -----" >&2
    tail -n "$n" "$log" >&2 || true
    echo "----- end of serial log -----" >&2
}

# Install the probe into a guest root (SCRIPT as /usr/lib/vfio-bind-vm/probe, this suite's
# probes/ directory as /usr/lib/vfio-bind-vm/probes/): a target the kernel command line starts
# (systemd.unit=vfio-bind-vm.target), and a unit ordered after multi-user.target that runs
# SCRIPT, prints its output on /dev/ttyS1 between the markers of TOKEN and powers off. ttyS1 is
# the probe's alone (the kernel's console is ttyS0): nothing the kernel or systemd prints can cut
# into the section, however slow the machine.
VM_TEST_TARGET=vfio-bind-vm.target
vm_install_probe() {
    local root=$1 script=$2 token=$3 dir=$1/usr/lib/vfio-bind-vm
    mkdir -p "$dir"
    install -m 0755 "$script" "$dir/probe"
    # The suite's guest-side helpers, for probes to call (e.g. probes/inventory.sh).
    rm -rf "$dir/probes"
    cp -r "$VM_LIB_DIR/probes" "$dir/probes"
    echo "$token" >"$dir/token"
    cat >"$dir/run-probe" <<'PROBE'
#!/bin/bash
# Runs the test's probe and frames its output for the host on the second serial port, which
# carries nothing else.
token=$(cat /usr/lib/vfio-bind-vm/token)
# multi-user.target does not wait for coldplug to finish: let pending binds happen first.
udevadm settle --timeout=60 2>/dev/null || true
exec </dev/null >/dev/ttyS1 2>&1
read -r start _ </proc/uptime
echo "==== VFIO-BIND-VM BEGIN $token ===="
/usr/lib/vfio-bind-vm/probe
rc=$?
echo "==== VFIO-BIND-VM END $token rc=$rc ===="
read -r end _ </proc/uptime
echo "==== VFIO-BIND-VM TIMES $token probe_start=$start probe_end=$end ===="
exit 0
PROBE
    chmod 0755 "$dir/run-probe"
    cat >"$root/etc/systemd/system/$VM_TEST_TARGET" <<'UNIT'
[Unit]
Description=vfio-bind real-kernel test
Requires=multi-user.target
Wants=vfio-bind-vm-probe.service
After=multi-user.target
AllowIsolate=yes
UNIT
    cat >"$root/etc/systemd/system/vfio-bind-vm-probe.service" <<'UNIT'
[Unit]
Description=vfio-bind real-kernel test probe
After=multi-user.target
SuccessAction=poweroff-force
FailureAction=poweroff-force

[Service]
Type=oneshot
ExecStart=/usr/lib/vfio-bind-vm/run-probe
TimeoutStartSec=infinity
UNIT
}

# Make a raw ext4 image of a root directory without mounting anything.
vm_make_image() {
    local root=$1 img=$2 mb
    mb=$(du -sm "$root" | cut -f1)
    mb=$((mb + mb / 4 + 256))
    rm -f "$img"
    mkfs.ext4 -q -F -L vfio-bind-root -d "$root" "$img" "${mb}M" >/dev/null ||
        vm_die "mkfs.ext4 -d $root failed"
}

# Force kernel drivers into the initramfs of a root, the way an administrator would.
vm_force_drivers() {
    local root=$1
    shift
    (($#)) || return 0
    case $(vm_root_flavour "$root") in
    initramfs-tools)
        printf '%s\n' "$@" >>"$root/etc/initramfs-tools/modules"
        ;;
    dracut)
        mkdir -p "$root/etc/dracut.conf.d"
        echo "add_drivers+=\" $* \"" >"$root/etc/dracut.conf.d/50-vfio-bind-vm-drivers.conf"
        ;;
    esac
}

# Rebuild the initramfs inside a root with its own generator. Prints the seconds it took.
vm_rebuild_initramfs() {
    local root=$1 kver flavour t0 logf
    kver=$(vm_root_kver "$root")
    flavour=$(vm_root_flavour "$root")
    logf=$(mktemp /tmp/vfio-bind-vm-initramfs.XXXXXX)
    t0=$(vm_now)
    case $flavour in
    initramfs-tools)
        vm_chroot "$root" update-initramfs -u -k all >"$logf" 2>&1 || {
            cat "$logf" >&2
            vm_die "update-initramfs failed in $root"
        }
        ;;
    dracut)
        vm_chroot "$root" dracut --force --no-hostonly --kver "$kver" "/boot/initrd.img-$kver" \
            >"$logf" 2>&1 || {
            cat "$logf" >&2
            vm_die "dracut failed in $root"
        }
        ;;
    esac
    rm -f "$logf"
    vm_elapsed "$t0"
}

# Hash of the files of a tree (paths, modes, contents), for cache keys.
vm_tree_hash() {
    if [[ ! -d $1 ]]; then
        sha256sum <"$1" | cut -c1-16
        return
    fi
    (cd "$1" && find . -printf '%p %m %l\n' | LC_ALL=C sort &&
        find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum) | sha256sum | cut -c1-16
}

# Readers of the output of probes/inventory.sh.
# vm_inv_dev OUT BDF FIELD: a field (driver, group, class, boot_vga) of a device.
vm_inv_dev() {
    awk -v bdf="$2" -v f="$3" '$1 == "dev" && $2 == bdf {
        for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }' "$1"
}
# vm_inv_group OUT N: the members of IOMMU group N, space separated.
vm_inv_group() {
    awk -v g="$2" '$1 == "group" && $2 == g { $1 = $2 = ""; sub(/^ +/, ""); print }' "$1"
}
# vm_inv_time OUT NAME: a milestone in seconds of kernel time (init, root, udev, multi_user,
# bind:BDF), or "-".
vm_inv_time() {
    awk -v n="$2" '$1 == "time" && $2 == n { print $3 }' "$1"
}
# vm_lt A B: A < B for decimal numbers ("-" is never less).
vm_lt() { [[ $1 != - && $2 != - ]] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# Assertions for test scripts: count, print, never exit.
VM_PASSED=0
VM_FAILED=0
vm_check() {
    local what=$1
    shift
    if "$@"; then
        VM_PASSED=$((VM_PASSED + 1))
        echo "ok - $what"
    else
        VM_FAILED=$((VM_FAILED + 1))
        echo "not ok - $what"
    fi
}
vm_summary() {
    echo "$VM_PASSED passed, $VM_FAILED failed"
    ((VM_FAILED == 0))
}

# Cache key of a root's initramfs: everything it is made from that a test may change
# (flavour, kernel, the installed product files, the initramfs and module configuration).
vm_initrd_key() {
    local root=$1 product_hash=$2 d
    {
        echo "$(vm_guest_key) $(vm_root_flavour "$root") $(vm_root_kver "$root") $product_hash"
        for d in etc/vfio-bind.conf var/lib/vfio-bind etc/initramfs-tools etc/dracut.conf.d etc/dracut.conf \
            etc/modprobe.d etc/modules-load.d etc/modules; do
            if [[ -e $root/$d ]]; then echo "$d $(vm_tree_hash "$root/$d")"; fi
        done
    } | sha256sum | cut -c1-16
}
vm_initrd_cache_file() { echo "$(vm_guest_dir)/initrd/$(vm_root_flavour "$1")-$2.img"; }

# Readers of the output of probes/report.sh.
# vm_section OUT NAME: the lines of section "#### NAME".
vm_section() {
    awk -v n="#### $2" '$0 == n { inside = 1; next } /^#### / { inside = 0 } inside' "$1"
}
# The entries of vfio-bind in the journal (section journal-json), one JSON object a line.
vm_jentries() {
    vm_section "$1" journal-json | jq -c 'select(.SYSLOG_IDENTIFIER == "vfio-bind")' 2>/dev/null
}
# vm_jfield OUT MATCH FIELD: FIELD of the last entry of vfio-bind that has MATCH (KEY=VALUE, or
# "-" for any entry).
vm_jfield() {
    vm_jentries "$1" | jq -rs --arg m "$2" --arg f "$3" '
        ($m | split("=")) as $kv
        | [.[] | select($m == "-" or (.[$kv[0]] == ($kv[1:] | join("="))))] | last // {} | .[$f] // empty'
}
# vm_jcount OUT MATCH: how many entries of vfio-bind have MATCH (KEY=VALUE, or "-" for any).
vm_jcount() {
    vm_jentries "$1" | jq -rs --arg m "$2" '
        ($m | split("=")) as $kv
        | [.[] | select($m == "-" or (.[$kv[0]] == ($kv[1:] | join("="))))] | length'
}
# vm_jprint OUT: the entries of vfio-bind as "[PRIORITY] MESSAGE" lines.
vm_jprint() {
    vm_jentries "$1" | jq -r '"  [\(.PRIORITY)] \(.MESSAGE)"'
}
# vm_contains HAYSTACK NEEDLE: fixed-string test, for vm_check.
vm_contains() { [[ $1 == *"$2"* ]]; }
