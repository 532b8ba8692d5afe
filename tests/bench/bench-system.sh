#!/bin/sh
# System-mode benchmarks on the riscv64 virt board, proteus against
# qemu-system-riscv64 (when installed) in the same run, best of 3:
#  - boot: Debian's OpenSBI and U-Boot from start to the U-Boot prompt
#    (the autoboot countdown cut short), then poweroff;
#  - mmu-loop: a bare-metal CPU-bound loop in S-mode with Sv39 on.
#
#   sh tests/bench/bench-system.sh BUILD      (make bench does this)
set -u

build=${1:?usage: bench-system.sh BUILD_DIR}
src=$(dirname "$0")/../..
proteus=$build/proteus-system-riscv64
qemu=$(command -v qemu-system-riscv64 || true)
runs=${BENCH_RUNS:-3}
loop=$build/tests/bench/system-mmu-loop

[ -x "$proteus" ] || { echo "bench-system: $proteus not found" >&2; exit 1; }

# best EMULATOR KIND: the best time of $runs runs, or FAILED.
best() {
    b=""
    i=0
    while [ "$i" -lt "$runs" ]; do
        if [ "$2" = boot ]; then
            t=$(python3 "$src/tests/functional/riscv64-uboot.py" --time "$1") || { echo FAILED; return; }
        else
            s=$(date +%s.%N)
            out=$("$1" -M virt -nographic -bios none -kernel "$loop" </dev/null) || { echo FAILED; return; }
            e=$(date +%s.%N)
            [ "$out" = "ec5a242beecd0382" ] || { echo BADSUM; return; }
            t=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }')
        fi
        b=$(awk -v t="$t" -v b="$b" 'BEGIN { if (b != "" && b < t) t = b; printf "%.3f", t }')
        i=$((i + 1))
    done
    echo "$b"
}

status=0
echo "System-mode benchmarks (riscv64 virt), best of $runs runs, wall-clock seconds"
printf '%-10s %9s %9s %13s\n' benchmark proteus qemu proteus/qemu
for kind in boot mmu-loop; do
    p=$(best "$proteus" "$kind")
    q=-
    r=-
    if [ -n "$qemu" ]; then
        q=$(best "$qemu" "$kind")
        case "$p$q" in
        *FAILED*|*BADSUM*) ;;
        *) r=$(awk -v a="$p" -v b="$q" 'BEGIN { printf "%.2f", a / b }') ;;
        esac
    fi
    case "$p" in FAILED|BADSUM) status=1 ;; esac
    printf '%-10s %9s %9s %13s\n' "$kind" "$p" "$q" "$r"
done
exit $status
