#!/bin/sh
# Block-layer throughput on a 256 MiB qcow2 image, best of $BENCH_RUNS
# (default 3) runs, in MB/s (10^6 bytes per second):
#  - host: BUILD/tools/proteus-img bench against qemu-img bench, 65536
#    requests of 4 KiB (the whole image), 64 in flight, writeback cache.
#    Reads use an image written once in full (qemu-img convert of random
#    data); every write run gets a fresh, empty image, so writes allocate.
#    Patterns: seq (step 4 KiB), stride (step of 40503 clusters modulo the
#    size, which both tools do alike: every 4 KiB block once, scattered) and
#    rand (proteus only: qemu-img bench has no random offsets).
#  - guest: U-Boot on the riscv64 virt board with the image as a virtio
#    -drive, `virtio read` of its first 16 MiB, on proteus-system-riscv64
#    and qemu-system-riscv64 (when installed); the time runs from sending
#    the command to the prompt's return.
# The ratio is proteus MB/s / qemu MB/s (above 1: proteus is faster).
# Exits non-zero only when a proteus run fails.
#
#   sh tests/bench/bench-block.sh BUILD      (make bench does this)
set -u

build=${1:?usage: bench-block.sh BUILD_DIR}
src=$(dirname "$0")/../..
proteus_img=$build/tools/proteus-img
proteus_sys=$build/proteus-system-riscv64
qemu_sys=$(command -v qemu-system-riscv64 || true)
runs=${BENCH_RUNS:-3}
count=65536
bufsize=4096
stride=$((40503 * bufsize))      # odd in clusters: a permutation of the blocks
guest_bytes=16777216

for f in "$proteus_img" "$proteus_sys"; do
    [ -x "$f" ] || { echo "bench-block: $f not found" >&2; exit 1; }
done
command -v qemu-img >/dev/null || { echo "bench-block: qemu-img not installed" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
head -c 268435456 /dev/urandom > "$tmp/src.raw"
qemu-img convert -O qcow2 "$tmp/src.raw" "$tmp/full.qcow2" || exit 1
rm -f "$tmp/src.raw"

# mbps BYTES SECONDS
mbps() {
    awk -v n="$1" -v t="$2" 'BEGIN { printf "%.1f", (t > 0 ? n / t / 1e6 : 0) }'
}

# host_run TOOL MODE PATTERN: seconds of one bench run, or nothing on failure.
host_run() {
    img=$tmp/full.qcow2
    args="-f qcow2 -c $count -s $bufsize"
    if [ "$2" = write ]; then
        img=$tmp/fresh.qcow2
        rm -f "$img"
        qemu-img create -q -f qcow2 "$img" 256M || return
        args="$args -w"
    fi
    case "$3" in
    stride) args="$args -S $stride" ;;
    rand) args="$args --pattern rand" ;;
    esac
    # shellcheck disable=SC2086
    "$1" bench $args "$img" | sed -n 's/^Run completed in \([0-9.]*\) seconds.*/\1/p'
}

guest_run() {
    python3 "$src/tests/functional/riscv64-uboot.py" --bench-blk "$1" "$tmp/full.qcow2"
}

# best KIND TOOL [MODE PATTERN]: the best MB/s of $runs runs, or FAILED.
best() {
    b=""
    i=0
    while [ "$i" -lt "$runs" ]; do
        if [ "$1" = guest ]; then
            t=$(guest_run "$2") || t=""
        else
            t=$(host_run "$2" "$3" "$4")
        fi
        [ -n "$t" ] || { echo FAILED; return; }
        b=$(awk -v t="$t" -v b="$b" 'BEGIN { if (b != "" && b < t) t = b; print t }')
        i=$((i + 1))
    done
    if [ "$1" = guest ]; then
        mbps "$guest_bytes" "$b"
    else
        mbps $((count * bufsize)) "$b"
    fi
}

# row NAME PROTEUS_MBPS QEMU_MBPS
status=0
row() {
    r=-
    case "$2$3" in
    *FAILED*|*-) ;;
    *) r=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }') ;;
    esac
    [ "$2" = FAILED ] && status=1
    printf '%-26s %10s %10s %13s\n' "$1" "$2" "$3" "$r"
}

echo "Block-layer throughput, qcow2 256 MiB, best of $runs runs, MB/s"
printf '%-26s %10s %10s %13s\n' benchmark proteus qemu proteus/qemu
for mode in read write; do
    for pattern in seq stride rand; do
        p=$(best host "$proteus_img" "$mode" "$pattern")
        q=-
        [ "$pattern" = rand ] || q=$(best host qemu-img "$mode" "$pattern")
        row "img bench 4K $pattern $mode" "$p" "$q"
    done
done
p=$(best guest "$proteus_sys")
q=-
[ -z "$qemu_sys" ] || q=$(best guest "$qemu_sys")
row "guest virtio read 16M" "$p" "$q"
exit $status
