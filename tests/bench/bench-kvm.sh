#!/bin/sh
# KVM on the x86-64 microvm, proteus against qemu-system-x86_64 -M microvm
# -accel kvm (when installed) in the same run, best of 3:
#  - the time from process start to SeaBIOS's boot search, and the peak RSS
#    then;
#  - where the host's KVM runs Linux (hardware VMX/SVM), the time to the
#    /init marker of Debian's kernel with a busybox initramfs, and the RSS;
#  - the cost of a virtio queue notify seen from the vCPU, with ioeventfds
#    and without (tests/bench/kvm/notify.S, kvm-notify.py).
# Skipped (with the reason) on hosts without /dev/kvm or Debian's seabios.
#
#   sh tests/bench/bench-kvm.sh BUILD      (make bench does this)
set -u

build=${1:?usage: bench-kvm.sh BUILD_DIR}
src=$(dirname "$0")
proteus=$build/proteus-system-x86_64
qemu=$(command -v qemu-system-x86_64 || true)
runs=${BENCH_RUNS:-3}

if [ ! -w /dev/kvm ] || [ ! -f /usr/share/seabios/bios-microvm.bin ]; then
    echo "bench-kvm: skipped: needs a writable /dev/kvm and Debian's seabios"
    exit 0
fi

# best MODE EMULATOR: kvm-boot-time.py's "SECONDS RSS_KIB [BANNER_S]" of
# the fastest of $runs runs (or its SKIP line).
best() {
    b=""
    i=0
    while [ "$i" -lt "$runs" ]; do
        r=$(python3 "$src/kvm-boot-time.py" "$@") || { echo "FAILED - -"; return; }
        case $r in SKIP*) echo "$r"; return ;; esac
        if [ -z "$b" ] || [ "$(echo "${r%% *} < ${b%% *}" | bc)" = 1 ]; then
            b=$r
        fi
        i=$((i + 1))
    done
    echo "$b"
}

# row NAME "SEARCH RSS BANNER"
row() {
    set -- "$1" $2
    printf '%-14s %14s %14s %14s\n' "$1" "$4" "$2" "$3"
}

ratio() {
    echo "scale=2; $1 / $2" | bc
}

p=$(best seabios "$proteus")
printf '%-14s %14s %14s %14s\n' "SeaBIOS" "to banner s" "to search s" "peak RSS KiB"
row proteus "$p"
if [ -n "$qemu" ]; then
    q=$(best seabios "$qemu")
    row qemu "$q"
    set -- $p $q
    if [ "$1" != FAILED ] && [ "$4" != FAILED ]; then
        printf '%-14s %14s %14s %14s\n' "proteus/qemu" "$(ratio "$3" "$6")" \
            "$(ratio "$1" "$4")" "$(ratio "$2" "$5")"
    fi
else
    echo "qemu-system-x86_64 not installed: no comparison (make bench installs it)"
fi
status=0
[ "${p%% *}" != FAILED ] || status=1

echo
p=$(best linux "$proteus")
case $p in
SKIP*) echo "Linux to /init: ${p#SKIP: }" ;;
*)
    printf '%-14s %14s %14s\n' "Linux" "to /init s" "peak RSS KiB"
    printf '%-14s %14s %14s\n' proteus $p
    [ "${p%% *}" != FAILED ] || status=1
    if [ -n "$qemu" ]; then
        q=$(best linux "$qemu")
        printf '%-14s %14s %14s\n' qemu $q
        set -- $p $q
        if [ "$1" != FAILED ] && [ "$3" != FAILED ]; then
            printf '%-14s %14s %14s\n' "proteus/qemu" "$(ratio "$1" "$3")" "$(ratio "$2" "$4")"
        fi
    fi
    ;;
esac

echo
printf '%-14s %14s %14s\n' "virtio notify" "ioeventfd us" "exit us"
for emu in "$proteus" $qemu; do
    on=$(python3 "$src/kvm-notify.py" "$build" "$emu" on "$runs") || { on=FAILED; status=1; }
    off=$(python3 "$src/kvm-notify.py" "$build" "$emu" off "$runs") || { off=FAILED; status=1; }
    printf '%-14s %14s %14s\n' "$(basename "$emu" | sed 's/-system-x86_64//')" "$on" "$off"
done
exit $status
