/*
 * Bare-metal start for the system benchmarks (virt board, -bios none):
 * hart 0 builds an Sv39 page table that maps the first 4 GiB 1:1 with
 * gigapages (RWX, A and D set), switches satp, drops to S-mode with mret
 * and calls bench_main there; the others wait in WFI. The result goes to
 * the SiFive test device: 0x5555 powers off.
 */
    .section .text.start
    .globl _start
_start:
    csrr    t0, mhartid
    bnez    t0, park
    la      sp, stack_top
    /* root table: entries 0..3 map 0..4 GiB in 1 GiB pages */
    la      t1, page_table
    li      t2, 0
    li      t3, 4
1:  slli    t4, t2, 28              /* PPN[2] << 28 = (i GiB >> 12) << 10 */
    ori     t4, t4, 0xcf            /* V R W X A D */
    slli    t5, t2, 3
    add     t5, t5, t1
    sd      t4, 0(t5)
    addi    t2, t2, 1
    blt     t2, t3, 1b
    /* PMP: everything to S-mode */
    li      t0, -1
    csrw    pmpaddr0, t0
    li      t0, 0x1f                /* NAPOT RWX */
    csrw    pmpcfg0, t0
    srli    t1, t1, 12
    li      t0, 8 << 60             /* Sv39 */
    or      t0, t0, t1
    csrw    satp, t0
    sfence.vma
    /* mret to S-mode at s_entry */
    li      t0, 3 << 11
    csrc    mstatus, t0
    li      t0, 1 << 11
    csrs    mstatus, t0
    li      t0, 3 << 13             /* FS = dirty: FP allowed */
    csrs    mstatus, t0
    la      t0, s_entry
    csrw    mepc, t0
    mret
s_entry:
    call    bench_main
    li      t0, 0x100000
    li      t1, 0x5555
    sw      t1, 0(t0)
1:  j       1b
park:
    wfi
    j       park

    .section .bss
    .balign 4096
page_table:
    .space 4096
    .space 16384
stack_top:
