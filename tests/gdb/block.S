/*
 * A Linux guest that waits in a system call forever (ppoll with no file
 * descriptors and no timeout), for test-gdb-protocol.py: gdb's Ctrl-C must
 * still stop it, and the wait must go on after gdb continues.
 */
    .globl _start
    .text
_start:
    li      a0, 0                   /* fds */
    li      a1, 0                   /* nfds */
    li      a2, 0                   /* timeout: none */
    li      a3, 0                   /* sigmask: unchanged */
    li      a4, 8
    li      a7, 73                  /* ppoll */
    ecall
    j       _start
