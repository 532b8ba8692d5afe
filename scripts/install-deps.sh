#!/bin/sh
# Installs the Debian packages that building and testing proteus need, when
# any is missing: as root directly, otherwise through sudo. With --bench,
# also what the benchmarks compare against (qemu-user, qemu-system-misc,
# qemu-system-x86).
set -eu

packages="
build-essential
meson
ninja-build
pkg-config
python3
libglib2.0-dev
libjson-glib-dev
libpixman-1-dev
libslirp-dev
libfdt-dev
libcapstone-dev
zlib1g-dev
qemu-utils
gcc-riscv64-linux-gnu
libc6-dev-riscv64-cross
device-tree-compiler
opensbi
u-boot-qemu
tshark
gdb-multiarch
seabios
socat
busybox-static
linux-image-amd64
"
if [ "${1:-}" = "--bench" ]; then
    packages="$packages qemu-user qemu-system-misc qemu-system-x86"
fi

missing=""
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "install-deps: need root or sudo to install:$missing" >&2
    exit 1
fi
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
