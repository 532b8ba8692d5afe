/*
 * RISC-V traps and interrupts (RISC-V privileged spec 3.1.6-3.1.9, 3.3,
 * 4.1.1): taking an exception or interrupt into M or S mode with
 * medeleg/mideleg delegation, choosing among pending interrupts, the trap
 * return instructions mret and sret, wfi, sfence.vma, and the interrupt
 * lines devices drive (riscv_cpu_set_irq).
 *
 * Interrupt delivery: CPU_INTERRUPT_HARD is raised exactly while some
 * interrupt is pending and enabled in mie (mip & mie != 0), whether or
 * not the global enables let it be taken now; the exec loop then asks
 * riscv_cpu_exec_interrupt at each TB boundary, and a halted hart (wfi)
 * wakes, as the spec wants wfi to ignore the global enables.
 */
#include <inttypes.h>

#include "proteus/log.h"
#include "target/riscv/translate.h"

/* ---- taking traps ---- */

static uint64_t trap_vector(uint64_t tvec, uint64_t cause)
{
    uint64_t base = tvec & ~3ull;

    /* vectored mode: interrupts go to base + 4 * cause */
    if ((tvec & 3) == 1 && (cause & RISCV_CAUSE_INTERRUPT)) {
        return base + 4 * (cause & ~RISCV_CAUSE_INTERRUPT);
    }
    return base;
}

static void trap_to_s(RiscvCPU *cpu, uint64_t cause, uint64_t tval)
{
    uint64_t s = cpu->mstatus & ~(MSTATUS_SPIE | MSTATUS_SIE | MSTATUS_SPP);

    if (cpu->mstatus & MSTATUS_SIE) {
        s |= MSTATUS_SPIE;
    }
    if (cpu->priv == RISCV_PRIV_S) {
        s |= MSTATUS_SPP;
    }
    cpu->mstatus = s;
    cpu->scause = cause;
    cpu->sepc = cpu->pc;
    cpu->stval = tval;
    cpu->priv = RISCV_PRIV_S;
    cpu->pc = trap_vector(cpu->stvec, cause);
}

static void trap_to_m(RiscvCPU *cpu, uint64_t cause, uint64_t tval)
{
    uint64_t s = cpu->mstatus & ~(MSTATUS_MPIE | MSTATUS_MIE | MSTATUS_MPP);

    if (cpu->mstatus & MSTATUS_MIE) {
        s |= MSTATUS_MPIE;
    }
    s |= (uint64_t)cpu->priv << MSTATUS_MPP_SHIFT;
    cpu->mstatus = s;
    cpu->mcause = cause;
    cpu->mepc = cpu->pc;
    cpu->mtval = tval;
    cpu->priv = RISCV_PRIV_M;
    cpu->pc = trap_vector(cpu->mtvec, cause);
}

void riscv_do_trap(RiscvCPU *cpu, uint64_t cause, uint64_t tval)
{
    bool irq = (cause & RISCV_CAUSE_INTERRUPT) != 0;
    uint64_t deleg = irq ? cpu->mideleg : cpu->medeleg;
    unsigned code = cause & 63;

    log_mask(LOG_INT, "riscv: trap cause 0x%" PRIx64 " tval 0x%" PRIx64 " at pc 0x%016"
             PRIx64 " in mode %u\n", cause, tval, cpu->pc, cpu->priv);
    /* traps never go to a less privileged mode than the current one */
    if (cpu->priv <= RISCV_PRIV_S && ((deleg >> code) & 1)) {
        trap_to_s(cpu, cause, tval);
    } else {
        trap_to_m(cpu, cause, tval);
    }
}

/* Which exceptions write the faulting address to xtval (priv 3.1.16). */
static bool excp_has_address(int excp)
{
    switch (excp) {
    case RISCV_EXCP_INST_ADDR_MIS:
    case RISCV_EXCP_INST_ACCESS_FAULT:
    case RISCV_EXCP_LOAD_ADDR_MIS:
    case RISCV_EXCP_LOAD_ACCESS_FAULT:
    case RISCV_EXCP_STORE_AMO_ADDR_MIS:
    case RISCV_EXCP_STORE_AMO_ACCESS_FAULT:
    case RISCV_EXCP_INST_PAGE_FAULT:
    case RISCV_EXCP_LOAD_PAGE_FAULT:
    case RISCV_EXCP_STORE_PAGE_FAULT:
        return true;
    default:
        return false;
    }
}

void riscv_cpu_do_interrupt(CPUState *cs)
{
    RiscvCPU *cpu = riscv_cpu(cs);
    int excp = cs->exception_index;
    uint64_t tval = 0;

    if (excp_has_address(excp)) {
        tval = cpu->badaddr;
    } else if (excp == RISCV_EXCP_BREAKPOINT) {
        tval = cpu->pc;
    }
    riscv_do_trap(cpu, excp, tval);
}

/* ---- choosing an interrupt ---- */

/* priv spec 3.1.9: MEI, MSI, MTI, SEI, SSI, STI. */
static const int irq_priority[] = {
    RISCV_IRQ_MEIP, RISCV_IRQ_MSIP, RISCV_IRQ_MTIP,
    RISCV_IRQ_SEIP, RISCV_IRQ_SSIP, RISCV_IRQ_STIP,
};

/*
 * The interrupts that may be taken now: those for M (not delegated) when
 * below M or with MIE set; failing those, the delegated ones when below S
 * or in S with SIE set.
 */
static uint64_t riscv_takeable_irqs(const RiscvCPU *cpu)
{
    uint64_t pending = __atomic_load_n(&cpu->mip, __ATOMIC_SEQ_CST) & cpu->mie;
    uint64_t m = pending & ~cpu->mideleg;
    uint64_t s = pending & cpu->mideleg;
    bool m_on = cpu->priv < RISCV_PRIV_M || (cpu->mstatus & MSTATUS_MIE);
    bool s_on = cpu->priv < RISCV_PRIV_S ||
                (cpu->priv == RISCV_PRIV_S && (cpu->mstatus & MSTATUS_SIE));

    if (m && m_on) {
        return m;
    }
    return s_on ? s : 0;
}

bool riscv_cpu_exec_interrupt(CPUState *cs, uint32_t request)
{
    RiscvCPU *cpu = riscv_cpu(cs);
    uint64_t irqs;

    if (!(request & CPU_INTERRUPT_HARD)) {
        return false;
    }
    irqs = riscv_takeable_irqs(cpu);
    for (size_t i = 0; i < G_N_ELEMENTS(irq_priority); i++) {
        if ((irqs >> irq_priority[i]) & 1) {
            riscv_do_trap(cpu, RISCV_CAUSE_INTERRUPT | irq_priority[i], 0);
            return true;
        }
    }
    return false;
}

/* ---- the interface devices use ---- */

void riscv_cpu_set_irq(RiscvCPU *cpu, int irq, int level)
{
    g_assert(irq >= 0 && irq < 64 && ((1ull << irq) & 0xaaa));
    riscv_mip_update(cpu, 1ull << irq, level ? 1ull << irq : 0);
    riscv_update_irq_request(cpu);
}

void riscv_cpu_set_rdtime(RiscvCPU *cpu, uint64_t (*rdtime)(void *opaque), void *opaque)
{
    cpu->rdtime = rdtime;
    cpu->rdtime_opaque = opaque;
}

/* ---- helpers of trans_rvpriv.c.inc ---- */

static uint64_t epc_target(const RiscvCPU *cpu, uint64_t epc)
{
    /* without C, epc bit 1 reads as 0 */
    return riscv_has_ext(cpu, RISCV_EXT_C) ? epc : epc & ~3ull;
}

/* mret (priv 3.3.2): back to MPP with MIE = MPIE; leaving M clears MPRV. */
__attribute__((noinline))
static uint64_t helper_mret(void *env)
{
    RiscvCPU *cpu = riscv_cpu(env);
    uint64_t s = cpu->mstatus;
    unsigned mpp = (s & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;

    s &= ~(MSTATUS_MIE | MSTATUS_MPP);
    if (s & MSTATUS_MPIE) {
        s |= MSTATUS_MIE;
    }
    s |= MSTATUS_MPIE;
    if (mpp != RISCV_PRIV_M) {
        s &= ~MSTATUS_MPRV;
    }
    cpu->mstatus = s;
    cpu->priv = mpp;
    return epc_target(cpu, cpu->mepc);
}

/* sret (priv 4.1.1): back to SPP with SIE = SPIE; illegal in S with TSR. */
__attribute__((noinline))
static uint64_t helper_sret(void *env)
{
    RiscvCPU *cpu = riscv_cpu(env);
    uint64_t s = cpu->mstatus;

    if (cpu->priv == RISCV_PRIV_S && (s & MSTATUS_TSR)) {
        riscv_raise_exception(cpu, RISCV_EXCP_ILLEGAL_INST, 0, GETPC());
    }
    cpu->priv = (s & MSTATUS_SPP) ? RISCV_PRIV_S : RISCV_PRIV_U;
    s &= ~(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV);
    if (s & MSTATUS_SPIE) {
        s |= MSTATUS_SIE;
    }
    s |= MSTATUS_SPIE;
    cpu->mstatus = s;
    return epc_target(cpu, cpu->sepc);
}

/*
 * wfi (priv 3.3.3): illegal in U, and in S with TW. With an interrupt
 * pending and enabled in mie it is a nop; otherwise the hart halts with
 * the pc after the wfi, and cpu_exec returns EXCP_HLT until an interrupt
 * request wakes it.
 */
__attribute__((noinline))
static void helper_wfi(void *env, uint64_t next_pc)
{
    RiscvCPU *cpu = riscv_cpu(env);
    CPUState *cs = &cpu->parent;

    if (cpu->priv == RISCV_PRIV_U ||
        (cpu->priv == RISCV_PRIV_S && (cpu->mstatus & MSTATUS_TW))) {
        riscv_raise_exception(cpu, RISCV_EXCP_ILLEGAL_INST, 0, GETPC());
    }
    if (__atomic_load_n(&cpu->mip, __ATOMIC_SEQ_CST) & cpu->mie) {
        return;
    }
    cpu->pc = next_pc;
    cs->halted = 1;
    cs->exception_index = EXCP_HLT;
    cpu_loop_exit(cs);
}

/* which: bit 0 = one address (rs1 != x0), bit 1 = one ASID (rs2 != x0).
 * The TLB holds no ASIDs, so an ASID-only fence flushes everything. */
__attribute__((noinline))
static void helper_sfence_vma(void *env, uint64_t vaddr, uint64_t asid, uint64_t which)
{
    RiscvCPU *cpu = riscv_cpu(env);

    if (cpu->priv == RISCV_PRIV_S && (cpu->mstatus & MSTATUS_TVM)) {
        riscv_raise_exception(cpu, RISCV_EXCP_ILLEGAL_INST, 0, GETPC());
    }
    if ((which & 1) && !(vaddr >= cpu->tlb_super_first && vaddr <= cpu->tlb_super_last)) {
        tlb_flush_page(&cpu->parent, vaddr);
        /* the page may now hold other code: TBs made before are stale */
        riscv_new_as_tag(cpu);
    } else {
        /* in a superpage, whose 4 KiB entries could be anywhere in it */
        riscv_tlb_flush_all(cpu);
    }
}

const IRHelperInfo riscv_helper_mret_info = {
    .func = (void *)helper_mret, .name = "riscv_mret",
    .flags = IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS,
    .has_ret = true, .ret_type = IR_TYPE_I64,
    .nargs = 1, .arg_types = { IR_TYPE_I64 },
};

const IRHelperInfo riscv_helper_sret_info = {
    .func = (void *)helper_sret, .name = "riscv_sret",
    .flags = IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS,
    .has_ret = true, .ret_type = IR_TYPE_I64,
    .nargs = 1, .arg_types = { IR_TYPE_I64 },
};

const IRHelperInfo riscv_helper_wfi_info = {
    .func = (void *)helper_wfi, .name = "riscv_wfi",
    .flags = IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS,
    .nargs = 2, .arg_types = { IR_TYPE_I64, IR_TYPE_I64 },
};

const IRHelperInfo riscv_helper_sfence_vma_info = {
    .func = (void *)helper_sfence_vma, .name = "riscv_sfence_vma",
    .flags = IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS,
    .nargs = 4, .arg_types = { IR_TYPE_I64, IR_TYPE_I64, IR_TYPE_I64, IR_TYPE_I64 },
};
