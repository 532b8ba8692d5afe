/*
 * A riscv64 Linux program whose dynamic counts are known exactly, for the
 * plugin tests: a write, a loop of ITERATIONS (given at build time)
 * iterations, another write and exit_group(0). Built with -march=rv64g
 * and no linker relaxation, so every instruction below is the one
 * written (lla is auipc + addi, li of a small value one addi).
 *
 * Executed instructions, all 4 bytes:
 *   start  6 (first write) + 4 (loop set-up)          10
 *   loop   6 per iteration                             6 * ITERATIONS
 *   end    6 (second write) + 3 (exit_group)           9
 *   total                                             19 + 6 * ITERATIONS
 * Memory accesses: per iteration an 8-byte load, a 4-byte load and an
 * 8-byte store; none elsewhere (the kernel's reads of the messages are
 * not the guest's). So loads = 2 * ITERATIONS, stores = ITERATIONS.
 * System calls: write, write, exit_group.
 *
 * Built with -DCRASH it ends with a store to address 0 instead of
 * exit_group: the guest dies of SIGSEGV after 17 + 6 * ITERATIONS
 * instructions, the faulting one included.
 */
#define SYS_WRITE 64
#define SYS_EXIT_GROUP 94

    .option norvc
    .option norelax

    /* before the code, so that li can take the lengths */
    .section .rodata
hello:
    .ascii  "loop: start\n"
    .equ    HELLO_LEN, . - hello
bye:
    .ascii  "loop: done\n"
    .equ    BYE_LEN, . - bye

    .text
    .globl _start
_start:
    li      a0, 1
    lla     a1, hello
    li      a2, HELLO_LEN
    li      a7, SYS_WRITE
    ecall
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

    li      a0, 1
    lla     a1, bye
    li      a2, BYE_LEN
    li      a7, SYS_WRITE
    ecall
#ifdef CRASH
    sd      zero, 0(zero)       /* SIGSEGV: 17 + 6 * ITERATIONS, this one counted */
#else
    li      a0, 0
    li      a7, SYS_EXIT_GROUP
    ecall
#endif

    .data
    .balign 8
counters:
    .quad   0           /* the sum */
    .word   3           /* added each iteration */
