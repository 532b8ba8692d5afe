/*
 * The bare-metal program tests/gdb/system.gdb debugs on the riscv64 virt
 * board (-bios none -kernel, from 0x80000000): it sets the M-mode trap
 * vector and takes an ECALL from M-mode, whose handler stores mcause in
 * `result`, checks it and ends the run through the SiFive test device
 * with status 3.
 */
    .globl _start, before_ecall, trap_vector, result
    .text
_start:
    lla     t0, trap_vector
    csrw    mtvec, t0
    li      a0, 7
before_ecall:
    ecall
    j       fail

    .balign 4
trap_vector:
    csrr    t1, mcause
    lla     t0, result
    sd      t1, 0(t0)
    li      t2, 11                  /* environment call from M-mode */
    bne     t1, t2, fail
    li      t1, (3 << 16) | 0x3333  /* exit with status 3 */
    j       finish
fail:
    li      t1, (99 << 16) | 0x3333
finish:
    li      t0, 0x100000            /* the SiFive test device */
    sw      t1, 0(t0)
1:  wfi
    j       1b

    .data
    .balign 8
result:
    .dword  0
