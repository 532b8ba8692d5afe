#!/bin/sh
# Instrumentation plugin overhead in user mode: runs each riscv64 program
# of tests/bench/user under BUILD/proteus-riscv64 with no plugin, with the
# empty plugin, and with the insn plugin counting inline (inline=on) and
# through a callback per instruction (inline=off); takes the best
# wall-clock time of 3 runs of each, checks that every run printed what
# the plugin-free run printed, and prints the times and their ratios to
# the plugin-free run, with geometric means. (insn counts the total
# alone, classes=off.)
#
# qemu-riscv64 is compared the same way when a libinsn.so of its own is
# found (Debian's qemu-user ships none: then the output says so).
#
#   sh tests/bench/bench-plugins.sh BUILD   (make bench does this)
#
# $BENCH_RUNS overrides the number of runs, $BENCH_PROGRAMS the programs
# (the callback runs are slow: several minutes in all). Exits non-zero
# when a run fails or prints something else.
set -u

build=${1:?usage: bench-plugins.sh BUILD_DIR}
bin_dir=$build/tests/bench
plugin_dir=$build/plugins/examples
proteus=$build/proteus-riscv64
runs=${BENCH_RUNS:-3}
programs=${BENCH_PROGRAMS:-hash sort matmul compress interp nbody chase}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

for f in "$proteus" "$plugin_dir/libempty.so" "$plugin_dir/libinsn.so"; do
    if [ ! -e "$f" ]; then
        echo "bench-plugins: $f missing: build first (ninja -C $build)" >&2
        exit 1
    fi
done

# qemu's own insn plugin, if any package put one where dpkg knows it.
qemu=$(command -v qemu-riscv64 || true)
qemu_insn=""
if [ -n "$qemu" ]; then
    qemu_insn=$(dpkg -L qemu-user 2>/dev/null | grep '/libinsn\.so$' | head -1)
fi

# best_time EXPECTED CMD...: runs CMD $runs times and prints the fastest
# wall-clock time in seconds. Fails (status 1) when a run fails, (status 2)
# when its stdout differs from the file EXPECTED, which the first run
# creates when absent.
best_time() {
    expected=$1
    shift
    best=""
    i=0
    while [ "$i" -lt "$runs" ]; do
        start=$(date +%s.%N)
        "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || return 1
        end=$(date +%s.%N)
        [ -f "$expected" ] || cp "$tmp/out" "$expected"
        cmp -s "$tmp/out" "$expected" || return 2
        best=$(awk -v s="$start" -v e="$end" -v b="$best" \
            'BEGIN { t = e - s; if (b != "" && b < t) t = b; printf "%.3f", t }')
        i=$((i + 1))
    done
    echo "$best"
}

# ratio A B: A / B, or "-" when either is not a time.
ratio() {
    case "$1$2" in
    *[!0-9.]*) echo "-" ;;
    *) awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' ;;
    esac
}

# record COLUMN RATIO, geomean COLUMN: a column's ratios (one a line in a
# file) and their geometric mean.
record() {
    [ "$2" = "-" ] || echo "$2" >>"$tmp/ratios-$1"
}

geomean() {
    if [ -s "$tmp/ratios-$1" ]; then
        awk '{ s += log($1); n++ } END { printf "%.2f", exp(s / n) }' "$tmp/ratios-$1"
    else
        echo "-"
    fi
}

status=0

# time_or_error LABEL EXPECTED CMD...: best_time's time, or FAILED or BADSUM
# (then also reported on stderr, with the start of the run's stderr).
time_or_error() {
    label=$1
    shift
    if t=$(best_time "$@"); then
        echo "$t"
        return
    fi
    [ $? -eq 2 ] && t=BADSUM || t=FAILED
    echo "bench-plugins: $label: $t" >&2
    sed 's/^/  /' "$tmp/err" | head -5 >&2
    echo "$t"
}

# table EMULATOR NAME INSN_SPEC: one row per program, then the means.
# INSN_SPEC is the insn plugin and its options but inline=.
table() {
    emu=$1 name=$2 insn=$3
    empty=""
    [ "$name" = proteus ] && empty="$plugin_dir/libempty.so"
    echo "$name: plugin overhead in user mode, best of $runs runs, wall-clock seconds"
    row="%-10s %8s %8s %8s %8s %11s %12s %9s\n"
    # shellcheck disable=SC2059
    printf "$row" program none empty inline cb empty/none inline/none cb/none
    for p in $programs; do
        guest=$bin_dir/user-$p-riscv64
        sum=$tmp/$name-$p.out
        if [ ! -f "$guest" ]; then
            echo "bench-plugins: $guest missing: build first (ninja -C $build)" >&2
            status=1
            continue
        fi
        none=$(time_or_error "$name $p" "$sum" "$emu" "$guest")
        e="-"
        if [ -n "$empty" ]; then
            e=$(time_or_error "$name $p empty" "$sum" "$emu" -plugin "$empty" "$guest")
        fi
        inl=$(time_or_error "$name $p inline" "$sum" "$emu" -plugin "$insn,inline=on" "$guest")
        cb=$(time_or_error "$name $p cb" "$sum" "$emu" -plugin "$insn,inline=off" "$guest")
        re=$(ratio "$e" "$none") ri=$(ratio "$inl" "$none") rc=$(ratio "$cb" "$none")
        case "$none $e $inl $cb" in *FAILED*|*BADSUM*) status=1 ;; esac
        record "$name-empty" "$re"
        record "$name-inline" "$ri"
        record "$name-cb" "$rc"
        # shellcheck disable=SC2059
        printf "$row" "$p" "$none" "$e" "$inl" "$cb" "$re" "$ri" "$rc"
    done
    # shellcheck disable=SC2059
    printf "$row" geomean "" "" "" "" "$(geomean "$name-empty")" \
        "$(geomean "$name-inline")" "$(geomean "$name-cb")"
}

# classes=off: the total alone, as qemu's libinsn.so counts
table "$proteus" proteus "$plugin_dir/libinsn.so,classes=off"
echo
if [ -z "$qemu" ]; then
    echo "bench-plugins: qemu-riscv64 not installed: no comparison with qemu"
elif [ -z "$qemu_insn" ]; then
    echo "bench-plugins: Debian's qemu-user ships no TCG plugins (no libinsn.so in" \
         "'dpkg -L qemu-user'): no comparison with qemu-riscv64's plugins"
else
    table "$qemu" qemu "$qemu_insn"
fi
[ "$status" -eq 0 ] || echo "bench-plugins: FAILED: see the errors above"
exit "$status"
