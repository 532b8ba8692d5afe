#!/bin/sh
# Runs one bare-metal guest test through ../run-test.sh, whose options and
# arguments it takes unchanged (the emulator options make it boot BINARY
# with -kernel). $PROTEUS_USER names a user-mode emulator and would replace
# the system emulator there, so it is dropped; $PROTEUS_SYSTEM, when set,
# takes its place instead (e.g. PROTEUS_SYSTEM=qemu-system-riscv64 runs the
# tests on a reference board).
if [ -n "${PROTEUS_SYSTEM:-}" ]; then
    PROTEUS_USER=$PROTEUS_SYSTEM
    export PROTEUS_USER
else
    unset PROTEUS_USER
fi
exec "$(dirname "$0")/../run-test.sh" "$@"
