#!/bin/sh
# Runs one riscv64 guest program under a user-mode emulator and reports the
# result as TAP (one test point) for meson's `protocol: 'tap'`.
#
#   run-test.sh [--exit N] [--env NAME=VALUE]... [--emu-arg ARG]...
#               EMULATOR BINARY EXPECTED [ARGS...]
#
# The program runs as ./NAME in a fresh directory with stdin from /dev/null and
# an environment holding only the --env variables, so what it prints can be
# compared byte for byte with EXPECTED; its exit status must equal N
# (default 0). $PROTEUS_USER, when set, replaces EMULATOR (it may hold
# options, e.g. "qemu-riscv64 -cpu rv64"), so the same tests run under
# proteus-riscv64 or a reference emulator.
set -u

want_exit=0
envs=""
emu_args=""

usage() {
    echo "usage: $0 [--exit N] [--env NAME=VALUE]... [--emu-arg ARG]... EMULATOR BINARY EXPECTED [ARGS...]" >&2
    exit 2
}

# Quotes one word so that `eval` gives it back unchanged.
quote() {
    printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

while [ $# -gt 0 ]; do
    case "$1" in
    --exit) [ $# -ge 2 ] || usage; want_exit=$2; shift 2 ;;
    --env) [ $# -ge 2 ] || usage; envs="$envs $(quote "$2")"; shift 2 ;;
    --emu-arg) [ $# -ge 2 ] || usage; emu_args="$emu_args $(quote "$2")"; shift 2 ;;
    --) shift; break ;;
    -*) usage ;;
    *) break ;;
    esac
done
[ $# -ge 3 ] || usage

emulator=${PROTEUS_USER:-$1}
binary=$(realpath "$2")
expected=$(realpath "$3")
name=$(basename "$binary")
shift 3
guest_args=""
for a in "$@"; do
    guest_args="$guest_args $(quote "$a")"
done

# $emulator may carry options: split it into words on purpose. env -i
# drops PATH, so find the emulator's executable first.
# shellcheck disable=SC2086
set -- $emulator
emu_path=$(command -v "$1") || {
    echo "1..1"
    echo "# emulator '$1' not found (PROTEUS_USER=... names another one)"
    echo "not ok 1 - $name"
    exit 1
}
case "$emu_path" in
*/*) emu_path=$(realpath "$emu_path") ;;
esac
shift
emu_opts=""
for a in "$@"; do
    emu_opts="$emu_opts $(quote "$a")"
done

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT INT TERM
out="$workdir/stdout"
mkdir "$workdir/cwd"
# Run the program as ./NAME so that argv[0] does not depend on the build
# directory.
ln -s "$binary" "$workdir/cwd/$name"

command="env -i $envs $(quote "$emu_path") $emu_opts $emu_args"
command="$command $(quote "./$name") $guest_args"
(cd "$workdir/cwd" && eval "exec $command") </dev/null >"$out"
status=$?

echo "1..1"
result=ok
if ! diff -u "$expected" "$out" >"$workdir/diff"; then
    result="not ok"
    sed 's/^/# /' "$workdir/diff"
fi
if [ "$status" -ne "$want_exit" ]; then
    result="not ok"
    echo "# exit status $status, expected $want_exit"
fi
echo "$result 1 - $name"
[ "$result" = ok ]
