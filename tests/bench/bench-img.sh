#!/bin/sh
# Image conversion benchmark: converts a 256 MiB raw image (128 MiB of
# random data, the rest zeros) to qcow2 and back to raw with
# BUILD/tools/proteus-img and with qemu-img, best wall-clock time of
# $BENCH_RUNS (default 3) runs each, and checks every output with
# `qemu-img compare`.
#
#   sh tests/bench/bench-img.sh BUILD
set -eu

build=${1:?usage: bench-img.sh BUILD_DIR}
proteus_img=$build/tools/proteus-img
runs=${BENCH_RUNS:-3}
command -v qemu-img >/dev/null || { echo "bench-img: qemu-img not installed" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
head -c 134217728 /dev/urandom > "$tmp/src.raw"
truncate -s 256M "$tmp/src.raw"

# best_time TOOL FMT IN OUT: fastest of $runs conversions, in seconds.
best_time() {
    best=""
    i=0
    while [ "$i" -lt "$runs" ]; do
        rm -f "$4"
        start=$(date +%s.%N)
        "$1" convert -O "$2" "$3" "$4" >/dev/null
        end=$(date +%s.%N)
        t=$(echo "$end - $start" | bc)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" -eq 1 ]; then
            best=$t
        fi
        i=$((i + 1))
    done
    qemu-img compare -q "$3" "$4" || { echo "bench-img: $1 output differs" >&2; exit 1; }
    echo "$best"
}

printf '%-18s %12s %12s %8s\n' conversion proteus-img qemu-img ratio
for step in "qcow2 src.raw out.qcow2" "raw out.qcow2 back.raw"; do
    set -- $step
    p=$(best_time "$proteus_img" "$1" "$tmp/$2" "$tmp/$3")
    q=$(best_time qemu-img "$1" "$tmp/$2" "$tmp/$3")
    printf '%-18s %11.3fs %11.3fs %8.2f\n' "$2 -> $1" "$p" "$q" "$(echo "$p / $q" | bc -l)"
done
