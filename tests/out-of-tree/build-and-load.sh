#!/bin/sh
# Installs proteus into a scratch root, builds tests/out-of-tree's example
# device against the installed headers and proteus-device.pc only, and loads
# it with -device-plugin: listed by -device help, its properties by
# -device TYPE,help, and its register read through the qtest protocol.
#
# Usage: build-and-load.sh BUILD_DIR SOURCE_DIR
set -eu
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

meson install -C "$build" --no-rebuild --quiet --destdir "$tmp/root" >/dev/null
pc=$(find "$tmp/root" -name proteus-device.pc | head -n 1)
[ -n "$pc" ] || { echo "FAIL: proteus-device.pc was not installed"; exit 1; }
# Point the installed .pc at the scratch root, as if installed there.
mkdir "$tmp/pc"
sed "s|^prefix=|prefix=$tmp/root|" "$pc" > "$tmp/pc/proteus-device.pc"
cflags=$(PKG_CONFIG_PATH="$tmp/pc" pkg-config --cflags proteus-device)
case "$cflags" in
    *"$src"*|*"$build"*) echo "FAIL: cflags point into the source or build tree: $cflags"; exit 1;;
esac
# shellcheck disable=SC2086
cc -std=gnu11 -shared -fPIC -Wall -Wextra -Wno-unused-parameter -Werror $cflags \
   "$src/example-counter.c" -o "$tmp/example-counter.so"

system="$build/proteus-system-riscv64"
plugin="-device-plugin $tmp/example-counter.so"

$system $plugin -device help > "$tmp/help"
grep -q '^  example-counter .*example out-of-tree counter' "$tmp/help" ||
    { echo "FAIL: -device help does not list example-counter"; cat "$tmp/help"; exit 1; }
$system $plugin -device example-counter,help > "$tmp/props"
grep -q 'step=<uint32>.*added to the count on each read (default: 1)' "$tmp/props" ||
    { echo "FAIL: -device example-counter,help"; cat "$tmp/props"; exit 1; }

printf 'readl 0x20000000\nreadl 0x20000000\nwritel 0x20000000 0x100\nreadl 0x20000000\n' |
    $system -M none -nodefaults $plugin \
        -device example-counter,addr=0x20000000,step=5 -qtest stdio > "$tmp/qtest"
expected=$(printf 'OK 0x5\nOK 0xa\nOK\nOK 0x105')
if [ "$(grep '^OK' "$tmp/qtest")" != "$expected" ]; then
    echo "FAIL: register reads through qtest:"; cat "$tmp/qtest"; exit 1
fi
echo "out-of-tree device built from the installed headers and loaded"
