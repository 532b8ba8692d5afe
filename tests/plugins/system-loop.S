/*
 * A bare-metal program for the riscv64 virt board (-bios none -kernel,
 * linked at 0x80000000) whose instruction count is known exactly, for
 * the plugin tests: the loop of loop.S, ITERATIONS (given at build time)
 * times, then a power-off through the SiFive test finisher. Built with
 * -march=rv64g and no linker relaxation, so every instruction below is
 * the one written (li of 0x5555 is lui + addiw).
 *
 * Executed instructions:
 *   the board's reset ROM (hw/riscv/boot.c)    6
 *   set-up                                     4
 *   loop                                       6 * ITERATIONS
 *   power-off: lui, lui + addiw, sw, wfi      5
 *   total                                      15 + 6 * ITERATIONS
 * The finisher's power-off is asynchronous: the vCPU goes on to the wfi,
 * which stops it for good (no interrupt is enabled), so nothing after it
 * runs however long the power-off takes.
 */
#define TEST_FINISHER 0x100000
#define FINISHER_PASS 0x5555

    .option norvc
    .option norelax

    .text
    .globl _start
_start:
    lui     t0, %hi(ITERATIONS)
    addi    t0, t0, %lo(ITERATIONS)
    lla     t1, counters

    .globl loop
loop:
    ld      t2, 0(t1)
    lw      t3, 8(t1)
    add     t2, t2, t3
    sd      t2, 0(t1)
    addi    t0, t0, -1
    bnez    t0, loop

    li      t0, TEST_FINISHER
    li      t1, FINISHER_PASS
    sw      t1, 0(t0)
halt:
    wfi
    j       halt

    .data
    .balign 8
counters:
    .quad   0           /* the sum */
    .word   3           /* added each iteration */
