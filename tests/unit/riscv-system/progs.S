/*
 * Bare-metal programs for test-riscv-system: linked at 0x80000000 and
 * loaded there as one flat image, each program at a fixed offset (the
 * test's PROG_* constants). Every program starts in M-mode and ends with
 * a wfi in M-mode with no interrupt enabled, which makes cpu_exec return
 * EXCP_HLT; the test then checks registers and memory.
 *
 * No compressed instructions: the trap handlers step over the faulting
 * instruction with sepc += 4.
 */
    .option norvc
    .text
    .globl _start
_start:

/* ---- 0x0000: M -> S (mret) -> U (sret), ecall from U delegated to S,
 * ecall from S taken by M ---- */
    .org 0x0000
modes:
    lla t0, modes_m_trap
    csrw mtvec, t0
    lla t0, modes_s_trap
    csrw stvec, t0
    li t0, 1 << 8               /* ECALL from U goes to S */
    csrw medeleg, t0
    lla t0, modes_s
    csrw mepc, t0
    li t0, 3 << 11
    csrc mstatus, t0
    li t0, 1 << 11              /* MPP = S */
    csrs mstatus, t0
    mret
modes_s:
    csrr s0, sstatus
    lla t0, modes_u
    csrw sepc, t0
    li t0, 1 << 8               /* SPP = U */
    csrc sstatus, t0
    sret
modes_u:
    li a0, 42
modes_u_ecall:
    ecall
    j modes_u
modes_s_trap:
    csrr s1, scause
    csrr s2, sepc
    csrr s3, sstatus
modes_s_ecall:
    ecall
    j modes_s_trap
modes_m_trap:
    csrr s4, mcause
    csrr s5, mstatus
    csrr s6, mepc
    lla a1, modes_u_ecall
    lla a2, modes_s_ecall
    wfi
    j modes_m_trap

/* ---- 0x1000: Sv39 in S-mode (page tables built by the test, root
 * PPN in a0): A/D updates, a store page fault, a misaligned superpage,
 * an instruction page fault, a remap made visible by sfence.vma. Page
 * faults are delegated to S, whose handler logs (scause, stval) pairs at
 * s8 and resumes. ---- */
    .org 0x1000
sv39:
    lla t0, sv39_m_trap
    csrw mtvec, t0
    lla t0, sv39_s_trap
    csrw stvec, t0
    li t0, (1 << 12) | (1 << 13) | (1 << 15)
    csrw medeleg, t0
    li t0, 8 << 60              /* Sv39 */
    or t0, t0, a0
    csrw satp, t0
    lla t0, sv39_s
    csrw mepc, t0
    li t0, 3 << 11
    csrc mstatus, t0
    li t0, 1 << 11
    csrs mstatus, t0
    mret
sv39_s:
    li t0, 0x40000000
    ld a1, 0(t0)                /* sets A */
    sd a2, 8(t0)                /* sets D */
    li t1, 0x40001000
    ld a3, 0(t1)                /* read-only page: fine */
    sd a2, 8(t1)                /* store page fault */
    li t2, 0x40200000
    ld a4, 0(t2)                /* misaligned superpage: load page fault */
    li t0, 0x40400000
    jalr ra, t0                 /* unmapped: instruction page fault */
    li t0, 0x40000000
    ld a6, 0(s9)                /* its PTE (at s9), A and D set by now */
    sd s10, 0(s9)               /* remap it */
    sfence.vma t0
    ld a5, 0(t0)                /* through the new mapping */
    ecall
sv39_s_trap:
    csrr t3, scause
    csrr t4, stval
    sd t3, 0(s8)
    sd t4, 8(s8)
    addi s8, s8, 16
    li t5, 12
    bne t3, t5, 1f
    csrw sepc, ra               /* a fetch fault: return to the caller */
    sret
1:  csrr t6, sepc
    addi t6, t6, 4
    csrw sepc, t6
    sret
sv39_m_trap:
    csrr s4, mcause
    wfi
    j sv39_m_trap

/* ---- 0x2000: PMP: entry 0 (NAPOT) denies the 4 KiB page at a0 to S
 * and U, entry 2 (TOR over entry 1's address) the page at a0 + 0x2000,
 * entry 3 allows all memory. M still reads the first page; S's loads
 * from both fault (load access faults, not delegated): M logs (mcause,
 * mtval, mepc) at s8 and steps over them, until the ecall. ---- */
    .org 0x2000
pmp:
    lla t0, pmp_m_trap
    csrw mtvec, t0
    srli t0, a0, 2
    ori t0, t0, 0x1ff           /* NAPOT 4 KiB: base | (4096 / 8 - 1) */
    csrw pmpaddr0, t0
    li t1, 0x2000
    add t1, a0, t1
    srli t0, t1, 2
    csrw pmpaddr1, t0           /* off: only the bottom of entry 2 */
    li t1, 0x3000
    add t1, a0, t1
    srli t0, t1, 2
    csrw pmpaddr2, t0
    li t0, -1
    csrw pmpaddr3, t0           /* NAPOT over everything */
    /* entry 3 NAPOT RWX, entry 2 TOR none, entry 1 off, entry 0 NAPOT none */
    li t0, 0x1f080018
    csrw pmpcfg0, t0
    ld a1, 0(a0)                /* M: allowed (the entries are not locked) */
    lla t0, pmp_s
    csrw mepc, t0
    li t0, 3 << 11
    csrc mstatus, t0
    li t0, 1 << 11
    csrs mstatus, t0
    mret
pmp_s:
    li t1, 0x1000
    add t1, a0, t1
    ld a2, 0(t1)                /* the next page: fine */
    ld a3, -8(a0)               /* the page before: fine */
pmp_s_load:
    ld a4, 16(a0)               /* entry 0: load access fault */
    li t1, 0x2000
    add t1, a0, t1
pmp_s_load2:
    ld a5, 8(t1)                /* entry 2: load access fault */
    li t1, 0x3000
    add t1, a0, t1
    ld a6, 0(t1)                /* above the TOR range: fine */
    ecall
pmp_m_trap:
    csrr t3, mcause
    csrr t4, mtval
    csrr t5, mepc
    sd t3, 0(s8)
    sd t4, 8(s8)
    sd t5, 16(s8)
    addi s8, s8, 24
    li t6, 9
    beq t3, t6, 1f
    addi t5, t5, 4
    csrw mepc, t5
    mret
1:  lla s6, pmp_s_load
    lla s7, pmp_s_load2
    wfi
    j 1b

/* ---- 0x3000: wfi halts with MTIE set and nothing pending; the timer
 * interrupt (raised by the test) wakes the hart and is taken. ---- */
    .org 0x3000
irq:
    lla t0, irq_m_trap
    csrw mtvec, t0
    li t0, 1 << 7               /* MTIE */
    csrw mie, t0
    csrsi mstatus, 8            /* MIE */
    li a0, 1
irq_wfi:
    wfi
irq_after_wfi:
    li a0, 2
    j irq_after_wfi
irq_m_trap:
    csrr a1, mcause
    csrr a2, mepc
    lla a3, irq_after_wfi
    csrw mie, zero
    wfi
    j irq_m_trap

/* ---- 0x4000: M loads through Sv39 with MPRV (MPP = S), then S runs
 * what TVM, TSR and TW forbid, an M CSR, and FP with FS off: each is an
 * illegal instruction that M logs as (mcause, mepc) at s8 and steps
 * over; the final ecall from S ends the program. ---- */
    .org 0x4000
misc:
    lla t0, misc_m_trap
    csrw mtvec, t0
    li t0, 8 << 60
    or t0, t0, a0
    csrw satp, t0
    li t0, 3 << 11
    csrc mstatus, t0
    li t0, (1 << 11) | (1 << 17) /* MPP = S, MPRV */
    csrs mstatus, t0
    li t1, 0x40000000
    ld a1, 0(t1)                /* translated as S would */
    li t0, 1 << 17
    csrc mstatus, t0
    li t0, (1 << 20) | (1 << 21) | (1 << 22)   /* TVM, TW, TSR */
    csrs mstatus, t0
    lla t0, misc_s
    csrw mepc, t0
    lla a5, misc_s
    mret
misc_s:
    csrr t0, satp
    sfence.vma
    wfi
    csrr t0, mstatus
    sret
    fmv.d.x ft0, zero
    csrr t0, fflags
    ecall
misc_m_trap:
    csrr t3, mcause
    csrr t4, mepc
    sd t3, 0(s8)
    sd t4, 8(s8)
    addi s8, s8, 16
    li t5, 9
    beq t3, t5, 1f
    addi t4, t4, 4
    csrw mepc, t4
    mret
1:  wfi
    j 1b

/* ---- 0x5000: S-level interrupts delegated to S: M makes SSIP and STIP
 * pending (not taken in M), S enables SIE and takes both in priority
 * order (SSI before STI), logging scause at s8, then ecalls to M. ---- */
    .org 0x5000
sirq:
    lla t0, sirq_m_trap
    csrw mtvec, t0
    lla t0, sirq_s_trap
    csrw stvec, t0
    li t0, (1 << 1) | (1 << 5)
    csrw mideleg, t0
    csrw mie, t0
    csrs mip, t0
    csrsi mstatus, 8            /* MIE: S-level interrupts still wait */
    lla t0, sirq_s
    csrw mepc, t0
    li t0, 3 << 11
    csrc mstatus, t0
    li t0, 1 << 11
    csrs mstatus, t0
    mret
sirq_s:
    csrsi sstatus, 2            /* SIE: both are taken now */
    ecall
sirq_s_trap:
    csrr t3, scause
    sd t3, 0(s8)
    addi s8, s8, 8
    csrci sip, 2                /* SSIP: S may clear it */
    andi t4, t3, 0xff
    li t5, 5
    bne t4, t5, 1f
    li t0, 1 << 5
    csrc sie, t0                /* STIP it may not: mask it instead */
1:  sret
sirq_m_trap:
    csrr s4, mcause
    wfi
    j sirq_m_trap

/* ---- 0x6000: code remapped under the same virtual address: S calls
 * the page at 0x40000000 (its PTE at s9 maps CODE1), rewrites the PTE to
 * s10 (CODE2), fences, and calls the same address again: the second call
 * must run the new page's code, not a translation of the old one. The
 * results go to a1 and a2. ---- */
    .org 0x6000
remap:
    lla t0, remap_m_trap
    csrw mtvec, t0
    li t0, 8 << 60              /* Sv39 */
    or t0, t0, a0
    csrw satp, t0
    lla t0, remap_s
    csrw mepc, t0
    li t0, 3 << 11
    csrc mstatus, t0
    li t0, 1 << 11
    csrs mstatus, t0
    mret
remap_s:
    li s11, 0x40000000
    jalr ra, s11
    mv a1, a0
    sd s10, 0(s9)               /* remap the code page */
    sfence.vma s11
    jalr ra, s11
    mv a2, a0
    ecall
remap_m_trap:
    csrr s4, mcause
    wfi
    j remap_m_trap
