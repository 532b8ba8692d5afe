/*
 * A guest that never stops on its own, for test-gdb-protocol.py's Ctrl-C:
 * built as a Linux program for proteus-user and as a bare-metal one at
 * 0x80000000 for the virt board; the same two instructions serve both.
 */
    .globl _start
    .text
_start:
    addi    a0, a0, 1
    j       _start
