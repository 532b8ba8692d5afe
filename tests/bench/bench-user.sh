#!/bin/sh
# User-mode emulation benchmarks: runs each program of tests/bench/user
# natively (the host build) and as a riscv64 binary under
# BUILD/proteus-riscv64 and, when installed, qemu-riscv64; takes the best
# wall-clock time of 3 runs of each, checks that every run printed the
# native checksum, and prints a table with the ratios and their geometric
# means.
#
#   sh tests/bench/bench-user.sh BUILD      (make bench does this)
#
# Exits non-zero when proteus-riscv64 is missing, fails, or prints a
# different checksum. $BENCH_RUNS overrides the number of runs.
set -u

build=${1:?usage: bench-user.sh BUILD_DIR}
bin_dir=$build/tests/bench
proteus=$build/proteus-riscv64
qemu=$(command -v qemu-riscv64 || true)
runs=${BENCH_RUNS:-3}
programs="hash sort matmul compress interp nbody chase"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# best_time EXPECTED CMD...: runs CMD $runs times; prints the fastest
# wall-clock time in seconds. Fails when a run fails or its output differs
# from the file EXPECTED (created from the first run when absent).
best_time() {
    expected=$1
    shift
    best=""
    i=0
    while [ "$i" -lt "$runs" ]; do
        start=$(date +%s.%N)
        "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || return 1
        end=$(date +%s.%N)
        if [ ! -f "$expected" ]; then
            cp "$tmp/out" "$expected"
        elif ! cmp -s "$tmp/out" "$expected"; then
            return 2
        fi
        best=$(awk -v s="$start" -v e="$end" -v b="$best" \
            'BEGIN { t = e - s; if (b != "" && b < t) t = b; printf "%.3f", t }')
        i=$((i + 1))
    done
    echo "$best"
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

# The geometric means are kept as sums of logarithms and counts.
add_log() {
    awk -v sum="$1" -v r="$2" 'BEGIN { printf "%.9f", sum + log(r) }'
}

geomean() {
    if [ "$2" -eq 0 ]; then
        echo "-"
    else
        awk -v sum="$1" -v n="$2" 'BEGIN { printf "%.2f", exp(sum / n) }'
    fi
}

for p in $programs; do
    if [ ! -x "$bin_dir/user-$p" ] || [ ! -f "$bin_dir/user-$p-riscv64" ]; then
        echo "bench-user: $bin_dir/user-$p or user-$p-riscv64 missing: build first (ninja -C $build)" >&2
        exit 1
    fi
done

status=0
have_proteus=1
if [ ! -x "$proteus" ]; then
    echo "bench-user: proteus-riscv64 NOT FOUND at $proteus: its columns are empty"
    have_proteus=0
    status=1
fi
if [ -z "$qemu" ]; then
    echo "bench-user: qemu-riscv64 not installed (scripts/install-deps.sh --bench installs it)"
fi

echo "user-mode benchmarks, best of $runs runs, wall-clock seconds"
row="%-10s %9s %10s %9s %15s %13s %12s\n"
# shellcheck disable=SC2059
printf "$row" program native proteus qemu proteus/native proteus/qemu qemu/native
pn_sum=0 pn_n=0 pq_sum=0 pq_n=0 qn_sum=0 qn_n=0
for p in $programs; do
    checksum="$tmp/$p.checksum"
    guest="$bin_dir/user-$p-riscv64"
    native=$(best_time "$checksum" "$bin_dir/user-$p") || {
        echo "bench-user: native $p failed" >&2
        exit 1
    }
    pt="-" qt="-" pn="-" pq="-" qn="-"
    if [ "$have_proteus" -eq 1 ]; then
        if pt=$(best_time "$checksum" "$proteus" "$guest"); then
            pn=$(ratio "$pt" "$native")
            pn_sum=$(add_log "$pn_sum" "$pn") pn_n=$((pn_n + 1))
        else
            [ $? -eq 2 ] && pt="BADSUM" || pt="FAILED"
            echo "bench-user: proteus-riscv64 $p: $pt" >&2
            sed 's/^/  /' "$tmp/err" | head -5 >&2
            status=1
        fi
    fi
    if [ -n "$qemu" ]; then
        if qt=$(best_time "$checksum" "$qemu" "$guest"); then
            qn=$(ratio "$qt" "$native")
            qn_sum=$(add_log "$qn_sum" "$qn") qn_n=$((qn_n + 1))
        else
            [ $? -eq 2 ] && qt="BADSUM" || qt="FAILED"
            echo "bench-user: qemu-riscv64 $p: $qt" >&2
            status=1
        fi
    fi
    case "$pt$qt" in
    *[!0-9.]*) ;;
    *)
        pq=$(ratio "$pt" "$qt")
        pq_sum=$(add_log "$pq_sum" "$pq") pq_n=$((pq_n + 1))
        ;;
    esac
    # shellcheck disable=SC2059
    printf "$row" "$p" "$native" "$pt" "$qt" "$pn" "$pq" "$qn"
done
# shellcheck disable=SC2059
printf "$row" geomean "" "" "" "$(geomean "$pn_sum" "$pn_n")" \
    "$(geomean "$pq_sum" "$pq_n")" "$(geomean "$qn_sum" "$qn_n")"

if [ "$have_proteus" -eq 0 ]; then
    echo "bench-user: FAILED: proteus-riscv64 was not found, nothing to compare"
elif [ "$status" -ne 0 ]; then
    echo "bench-user: FAILED: see the errors above"
fi
exit "$status"
