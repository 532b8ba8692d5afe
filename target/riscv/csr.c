/*
 * RISC-V CSRs: which exist, who may reach them, and what reading or
 * writing each one does (RISC-V unprivileged spec ch. 9-10 for the
 * floating-point CSRs and Zicntr; privileged spec ch. 2-4 for the machine
 * and supervisor ones).
 *
 * A CSR number's bits 9:8 give the lowest mode that may access it and
 * bits 11:10 = 3 mark it read-only (priv spec 2.1). User mode (linux-user)
 * runs in U with every counter enabled, so it reaches exactly the
 * unprivileged CSRs.
 *
 * WARL fields keep only the values this hart supports; writes that change
 * what translation depends on (satp, MXR, PMP) flush the TLB here, and the
 * CSR instruction ends its TB (trans_rvzicsr.c.inc) so the new TB flags and
 * pending interrupts are looked at.
 */
#include <string.h>
#include <time.h>

#include "proteus/log.h"
#include "target/riscv/cpu.h"

enum {
    CSR_FFLAGS = 0x001, CSR_FRM = 0x002, CSR_FCSR = 0x003,
    CSR_SSTATUS = 0x100, CSR_SIE = 0x104, CSR_STVEC = 0x105, CSR_SCOUNTEREN = 0x106,
    CSR_SENVCFG = 0x10a, CSR_SSCRATCH = 0x140, CSR_SEPC = 0x141, CSR_SCAUSE = 0x142,
    CSR_STVAL = 0x143, CSR_SIP = 0x144, CSR_SATP = 0x180,
    CSR_MSTATUS = 0x300, CSR_MISA = 0x301, CSR_MEDELEG = 0x302, CSR_MIDELEG = 0x303,
    CSR_MIE = 0x304, CSR_MTVEC = 0x305, CSR_MCOUNTEREN = 0x306, CSR_MENVCFG = 0x30a,
    CSR_MCOUNTINHIBIT = 0x320, CSR_MHPMEVENT3 = 0x323, CSR_MHPMEVENT31 = 0x33f,
    CSR_MSCRATCH = 0x340, CSR_MEPC = 0x341, CSR_MCAUSE = 0x342, CSR_MTVAL = 0x343,
    CSR_MIP = 0x344, CSR_PMPCFG0 = 0x3a0, CSR_PMPCFG15 = 0x3af, CSR_PMPADDR0 = 0x3b0,
    CSR_PMPADDR63 = 0x3ef,
    CSR_MCYCLE = 0xb00, CSR_MINSTRET = 0xb02, CSR_MHPMCOUNTER3 = 0xb03,
    CSR_MHPMCOUNTER31 = 0xb1f,
    CSR_CYCLE = 0xc00, CSR_TIME = 0xc01, CSR_INSTRET = 0xc02,
    CSR_MVENDORID = 0xf11, CSR_MARCHID = 0xf12, CSR_MIMPID = 0xf13, CSR_MHARTID = 0xf14,
    CSR_MCONFIGPTR = 0xf15,
};

/* What a write may change. */
#define MSTATUS_WRITABLE (MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | \
                          MSTATUS_SPP | MSTATUS_MPP | MSTATUS_FS | MSTATUS_MPRV |    \
                          MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW |     \
                          MSTATUS_TSR)
#define SSTATUS_READABLE (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS |     \
                          MSTATUS_SUM | MSTATUS_MXR | MSTATUS_UXL | MSTATUS_SD)
#define SSTATUS_WRITABLE (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS |     \
                          MSTATUS_SUM | MSTATUS_MXR)
/* The interrupts this hart has: SSI, MSI, STI, MTI, SEI, MEI. */
#define MIP_ALL 0xaaaull
#define MIP_S_LEVEL ((1ull << RISCV_IRQ_SSIP) | (1ull << RISCV_IRQ_STIP) | \
                     (1ull << RISCV_IRQ_SEIP))
/* Exceptions S-mode may handle: all but ECALL from M and the reserved. */
#define MEDELEG_WRITABLE 0xb3ffull
/* menvcfg/senvcfg: only FIOM (fence of I/O implies memory) exists. */
#define ENVCFG_WRITABLE 1ull
/* Physical addresses are 56 bits: pmpaddr holds bits 55:2. */
#define PMPADDR_MASK ((1ull << 54) - 1)

/* ---- time ---- */

static uint64_t host_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* The time CSR: the machine's timer (the CLINT's mtime) in system mode;
 * user mode has none and reads host time at a 10 MHz timebase. */
static uint64_t read_time(const RiscvCPU *cpu)
{
    if (cpu->rdtime) {
        return cpu->rdtime(cpu->rdtime_opaque);
    }
    return (host_ns() - cpu->instret_base) / 100;
}

/* cycle and instret have no exact meaning here: they count host
 * nanoseconds, which only has to be monotonic. */
static uint64_t read_counter(const RiscvCPU *cpu, unsigned csr)
{
    if (!cpu->system) {
        return host_ns() - cpu->instret_base;
    }
    return host_ns() - (csr == CSR_MCYCLE ? cpu->cycle_base : cpu->instret_base);
}

/* mcounteren and scounteren gate the user counters per mode (priv 3.1.11). */
static bool counter_enabled(const RiscvCPU *cpu, unsigned csr)
{
    uint32_t bit = 1u << (csr - CSR_CYCLE);

    if (!riscv_has_ext(cpu, RISCV_EXT_ZICNTR)) {
        return false;
    }
    if (cpu->priv < RISCV_PRIV_M && !(cpu->mcounteren & bit)) {
        return false;
    }
    return cpu->priv != RISCV_PRIV_U || (cpu->scounteren & bit);
}

/* ---- mstatus and the interrupt registers ---- */

uint64_t riscv_mstatus_read(const RiscvCPU *cpu)
{
    /* UXL = SXL = 2: U and S are 64-bit */
    uint64_t v = (cpu->mstatus & ~(MSTATUS_UXL | MSTATUS_SXL)) | (2ull << 32) | (2ull << 34);

    if ((cpu->mstatus & MSTATUS_FS) == MSTATUS_FS) {
        v |= MSTATUS_SD;
    }
    return v;
}

/*
 * Writes the bits of mstatus in mask. MPP keeps its value when given the
 * reserved 2; FS is Off or Dirty (the spec allows reporting Dirty for any
 * state that may have changed, so no per-instruction tracking is needed),
 * and hard-wired Off without F.
 */
static void mstatus_write(RiscvCPU *cpu, uint64_t val, uint64_t mask)
{
    uint64_t old = cpu->mstatus;
    uint64_t v = (old & ~mask) | (val & mask);

    if (((v & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) == 2) {
        v = (v & ~MSTATUS_MPP) | (old & MSTATUS_MPP);
    }
    if (!riscv_has_ext(cpu, RISCV_EXT_F)) {
        v &= ~MSTATUS_FS;
    } else if (v & MSTATUS_FS) {
        v |= MSTATUS_FS;
    }
    cpu->mstatus = v;
    /* MXR changes which pages are readable in every TLB entry */
    if ((old ^ v) & MSTATUS_MXR) {
        riscv_tlb_flush_all(cpu);
    }
}

void riscv_mip_update(RiscvCPU *cpu, uint64_t mask, uint64_t value)
{
    uint64_t old = __atomic_load_n(&cpu->mip, __ATOMIC_SEQ_CST);

    while (!__atomic_compare_exchange_n(&cpu->mip, &old, (old & ~mask) | (value & mask),
                                        false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        /* old now holds what another thread wrote: retry from it */
    }
}

void riscv_update_irq_request(RiscvCPU *cpu)
{
    CPUState *cs = &cpu->parent;

    for (;;) {
        uint64_t pending = __atomic_load_n(&cpu->mip, __ATOMIC_SEQ_CST) &
                           __atomic_load_n(&cpu->mie, __ATOMIC_SEQ_CST);

        if (pending) {
            cpu_interrupt(cs, CPU_INTERRUPT_HARD);
            return;
        }
        cpu_reset_interrupt(cs, CPU_INTERRUPT_HARD);
        /* another thread may have made one pending meanwhile and raised
         * the request before the reset above: look again */
        if (!(__atomic_load_n(&cpu->mip, __ATOMIC_SEQ_CST) &
              __atomic_load_n(&cpu->mie, __ATOMIC_SEQ_CST))) {
            return;
        }
    }
}

static void mie_write(RiscvCPU *cpu, uint64_t val, uint64_t mask)
{
    uint64_t v = (cpu->mie & ~mask) | (val & mask);

    __atomic_store_n(&cpu->mie, v, __ATOMIC_SEQ_CST);
    riscv_update_irq_request(cpu);
}

static void mip_write(RiscvCPU *cpu, uint64_t val, uint64_t mask)
{
    riscv_mip_update(cpu, mask, val);
    riscv_update_irq_request(cpu);
}

/* ---- PMP ---- */

static bool pmp_locked(const RiscvCPU *cpu, unsigned i)
{
    return cpu->pmpcfg[i] & PMP_L;
}

/* pmpaddr i is also locked when entry i + 1 is a locked TOR range. */
static bool pmpaddr_locked(const RiscvCPU *cpu, unsigned i)
{
    if (pmp_locked(cpu, i)) {
        return true;
    }
    return i + 1 < RISCV_PMP_ENTRIES && pmp_locked(cpu, i + 1) &&
           ((cpu->pmpcfg[i + 1] & PMP_A) >> PMP_A_SHIFT) == PMP_A_TOR;
}

/* On RV64 pmpcfg0, 2, ..., 14 each hold eight entries' bytes. */
static uint64_t pmpcfg_read(const RiscvCPU *cpu, unsigned reg)
{
    uint64_t v = 0;

    for (unsigned b = 0; b < 8; b++) {
        v |= (uint64_t)cpu->pmpcfg[reg * 4 + b] << (8 * b);
    }
    return v;
}

static void pmpcfg_write(RiscvCPU *cpu, unsigned reg, uint64_t val)
{
    for (unsigned b = 0; b < 8; b++) {
        unsigned i = reg * 4 + b;
        uint8_t cfg = val >> (8 * b);

        if (pmp_locked(cpu, i)) {
            continue;
        }
        /* R = 0 with W = 1 is reserved: drop W */
        if ((cfg & (PMP_R | PMP_W)) == PMP_W) {
            cfg &= ~PMP_W;
        }
        cpu->pmpcfg[i] = cfg & (PMP_L | PMP_A | PMP_X | PMP_W | PMP_R);
    }
    riscv_tlb_flush_all(cpu);
}

static void pmpaddr_write(RiscvCPU *cpu, unsigned i, uint64_t val)
{
    if (!pmpaddr_locked(cpu, i)) {
        cpu->pmpaddr[i] = val & PMPADDR_MASK;
        riscv_tlb_flush_all(cpu);
    }
}

/* ---- satp ---- */

static bool satp_mode_supported(unsigned mode)
{
    return mode == SATP_MODE_BARE || mode == SATP_MODE_SV39 || mode == SATP_MODE_SV48 ||
           mode == SATP_MODE_SV57;
}

static void satp_write(RiscvCPU *cpu, uint64_t val)
{
    /* an unsupported mode makes the whole write have no effect (4.1.11) */
    if (!satp_mode_supported(val >> SATP_MODE_SHIFT)) {
        return;
    }
    cpu->satp = val;
    /* the TLB holds no ASIDs: a new address space starts empty */
    riscv_tlb_flush_all(cpu);
}

/* TVM: S-mode may not touch satp (or run sfence.vma). */
static bool satp_accessible(const RiscvCPU *cpu)
{
    return !(cpu->priv == RISCV_PRIV_S && (cpu->mstatus & MSTATUS_TVM));
}

uint64_t riscv_misa(const RiscvCPU *cpu)
{
    static const struct { RiscvExt ext; char letter; } letters[] = {
        { RISCV_EXT_I, 'I' }, { RISCV_EXT_M, 'M' }, { RISCV_EXT_A, 'A' },
        { RISCV_EXT_F, 'F' }, { RISCV_EXT_D, 'D' }, { RISCV_EXT_C, 'C' },
    };
    uint64_t v = 2ull << 62;    /* MXL = 64 */

    for (size_t i = 0; i < G_N_ELEMENTS(letters); i++) {
        if (riscv_has_ext(cpu, letters[i].ext)) {
            v |= 1ull << (letters[i].letter - 'A');
        }
    }
    if (cpu->system) {
        v |= (1ull << ('S' - 'A')) | (1ull << ('U' - 'A'));
    }
    return v;
}

/* ---- the accessors ---- */

static bool fp_csr_accessible(const RiscvCPU *cpu)
{
    return riscv_has_ext(cpu, RISCV_EXT_F) && (cpu->mstatus & MSTATUS_FS);
}

/* The mode check of priv 2.1: bits 9:8 are the lowest mode allowed. */
static bool csr_mode_ok(const RiscvCPU *cpu, unsigned csr)
{
    return ((csr >> 8) & 3) <= cpu->priv;
}

/* The unprivileged CSRs (also all user mode has). */
static bool user_csr_read(RiscvCPU *cpu, unsigned csr, uint64_t *val)
{
    switch (csr) {
    case CSR_FFLAGS:
    case CSR_FRM:
    case CSR_FCSR:
        if (!fp_csr_accessible(cpu)) {
            return false;
        }
        *val = csr == CSR_FFLAGS ? cpu->fflags : csr == CSR_FRM ? cpu->frm
                                                                : riscv_get_fcsr(cpu);
        return true;
    case CSR_CYCLE:
    case CSR_INSTRET:
        if (!counter_enabled(cpu, csr)) {
            return false;
        }
        *val = read_counter(cpu, csr == CSR_CYCLE ? CSR_MCYCLE : CSR_MINSTRET);
        return true;
    case CSR_TIME:
        if (!counter_enabled(cpu, csr)) {
            return false;
        }
        *val = read_time(cpu);
        return true;
    default:
        return false;
    }
}

static bool supervisor_csr_read(RiscvCPU *cpu, unsigned csr, uint64_t *val)
{
    switch (csr) {
    case CSR_SSTATUS:
        *val = riscv_mstatus_read(cpu) & SSTATUS_READABLE;
        return true;
    case CSR_SIE:
        *val = cpu->mie & cpu->mideleg;
        return true;
    case CSR_SIP:
        *val = __atomic_load_n(&cpu->mip, __ATOMIC_SEQ_CST) & cpu->mideleg;
        return true;
    case CSR_STVEC:
        *val = cpu->stvec;
        return true;
    case CSR_SCOUNTEREN:
        *val = cpu->scounteren;
        return true;
    case CSR_SENVCFG:
        *val = cpu->senvcfg;
        return true;
    case CSR_SSCRATCH:
        *val = cpu->sscratch;
        return true;
    case CSR_SEPC:
        *val = cpu->sepc;
        return true;
    case CSR_SCAUSE:
        *val = cpu->scause;
        return true;
    case CSR_STVAL:
        *val = cpu->stval;
        return true;
    case CSR_SATP:
        *val = cpu->satp;
        return satp_accessible(cpu);
    default:
        return false;
    }
}

static bool machine_csr_read(RiscvCPU *cpu, unsigned csr, uint64_t *val)
{
    if (csr >= CSR_PMPCFG0 && csr <= CSR_PMPCFG15) {
        *val = pmpcfg_read(cpu, csr - CSR_PMPCFG0);
        return !(csr & 1);
    }
    if (csr >= CSR_PMPADDR0 && csr <= CSR_PMPADDR63) {
        *val = cpu->pmpaddr[csr - CSR_PMPADDR0];
        return true;
    }
    if ((csr >= CSR_MHPMCOUNTER3 && csr <= CSR_MHPMCOUNTER31) ||
        (csr >= CSR_MHPMEVENT3 && csr <= CSR_MHPMEVENT31)) {
        *val = 0;
        return true;
    }
    switch (csr) {
    case CSR_MSTATUS:
        *val = riscv_mstatus_read(cpu);
        return true;
    case CSR_MISA:
        *val = riscv_misa(cpu);
        return true;
    case CSR_MEDELEG:
        *val = cpu->medeleg;
        return true;
    case CSR_MIDELEG:
        *val = cpu->mideleg;
        return true;
    case CSR_MIE:
        *val = cpu->mie;
        return true;
    case CSR_MIP:
        *val = __atomic_load_n(&cpu->mip, __ATOMIC_SEQ_CST);
        return true;
    case CSR_MTVEC:
        *val = cpu->mtvec;
        return true;
    case CSR_MCOUNTEREN:
        *val = cpu->mcounteren;
        return true;
    case CSR_MENVCFG:
        *val = cpu->menvcfg;
        return true;
    case CSR_MCOUNTINHIBIT:
        *val = cpu->mcountinhibit;
        return true;
    case CSR_MSCRATCH:
        *val = cpu->mscratch;
        return true;
    case CSR_MEPC:
        *val = cpu->mepc;
        return true;
    case CSR_MCAUSE:
        *val = cpu->mcause;
        return true;
    case CSR_MTVAL:
        *val = cpu->mtval;
        return true;
    case CSR_MCYCLE:
    case CSR_MINSTRET:
        *val = read_counter(cpu, csr);
        return true;
    case CSR_MVENDORID:
    case CSR_MARCHID:
    case CSR_MIMPID:
    case CSR_MCONFIGPTR:
        *val = 0;
        return true;
    case CSR_MHARTID:
        *val = cpu->mhartid;
        return true;
    default:
        return false;
    }
}

bool riscv_csr_read(RiscvCPU *cpu, unsigned csr, uint64_t *val)
{
    if (!csr_mode_ok(cpu, csr)) {
        return false;
    }
    if (user_csr_read(cpu, csr, val)) {
        return true;
    }
    if (!cpu->system) {
        return false;
    }
    return supervisor_csr_read(cpu, csr, val) || machine_csr_read(cpu, csr, val);
}

static bool user_csr_write(RiscvCPU *cpu, unsigned csr, uint64_t val)
{
    if (!fp_csr_accessible(cpu)) {
        return false;
    }
    switch (csr) {
    case CSR_FFLAGS:
        cpu->fflags = val & 0x1f;
        return true;
    case CSR_FRM:
        cpu->frm = val & 7;
        return true;
    case CSR_FCSR:
        riscv_set_fcsr(cpu, val);
        return true;
    default:
        return false;
    }
}

/* trap vectors: mode 0 (direct) or 1 (vectored); 2 and 3 are reserved */
static uint64_t tvec_legal(uint64_t val)
{
    return val & ~2ull;
}

/* epc bit 0 is always 0 (bit 1 too without C, masked on use) */
static uint64_t epc_legal(uint64_t val)
{
    return val & ~1ull;
}

static bool supervisor_csr_write(RiscvCPU *cpu, unsigned csr, uint64_t val)
{
    switch (csr) {
    case CSR_SSTATUS:
        mstatus_write(cpu, val, SSTATUS_WRITABLE);
        return true;
    case CSR_SIE:
        mie_write(cpu, val, cpu->mideleg & MIP_ALL);
        return true;
    case CSR_SIP:
        /* only the software interrupt is S-writable */
        mip_write(cpu, val, cpu->mideleg & (1ull << RISCV_IRQ_SSIP));
        return true;
    case CSR_STVEC:
        cpu->stvec = tvec_legal(val);
        return true;
    case CSR_SCOUNTEREN:
        cpu->scounteren = val;
        return true;
    case CSR_SENVCFG:
        cpu->senvcfg = val & ENVCFG_WRITABLE;
        return true;
    case CSR_SSCRATCH:
        cpu->sscratch = val;
        return true;
    case CSR_SEPC:
        cpu->sepc = epc_legal(val);
        return true;
    case CSR_SCAUSE:
        cpu->scause = val;
        return true;
    case CSR_STVAL:
        cpu->stval = val;
        return true;
    case CSR_SATP:
        if (!satp_accessible(cpu)) {
            return false;
        }
        satp_write(cpu, val);
        return true;
    default:
        return false;
    }
}

static bool machine_csr_write(RiscvCPU *cpu, unsigned csr, uint64_t val)
{
    if (csr >= CSR_PMPCFG0 && csr <= CSR_PMPCFG15) {
        if (csr & 1) {
            return false;
        }
        pmpcfg_write(cpu, csr - CSR_PMPCFG0, val);
        return true;
    }
    if (csr >= CSR_PMPADDR0 && csr <= CSR_PMPADDR63) {
        pmpaddr_write(cpu, csr - CSR_PMPADDR0, val);
        return true;
    }
    if ((csr >= CSR_MHPMCOUNTER3 && csr <= CSR_MHPMCOUNTER31) ||
        (csr >= CSR_MHPMEVENT3 && csr <= CSR_MHPMEVENT31)) {
        return true;
    }
    switch (csr) {
    case CSR_MSTATUS:
        mstatus_write(cpu, val, MSTATUS_WRITABLE);
        return true;
    case CSR_MISA:
        /* the extensions are fixed by -cpu */
        return true;
    case CSR_MEDELEG:
        cpu->medeleg = val & MEDELEG_WRITABLE;
        return true;
    case CSR_MIDELEG:
        cpu->mideleg = val & MIP_S_LEVEL;
        return true;
    case CSR_MIE:
        mie_write(cpu, val, MIP_ALL);
        return true;
    case CSR_MIP:
        /* M writes the S-level bits; the M-level ones follow the devices'
         * lines. SEIP is one bit shared with the PLIC's line, so a write
         * and the line overwrite each other (the spec ORs the two). */
        mip_write(cpu, val, MIP_S_LEVEL);
        return true;
    case CSR_MTVEC:
        cpu->mtvec = tvec_legal(val);
        return true;
    case CSR_MCOUNTEREN:
        cpu->mcounteren = val;
        return true;
    case CSR_MENVCFG:
        cpu->menvcfg = val & ENVCFG_WRITABLE;
        return true;
    case CSR_MCOUNTINHIBIT:
        cpu->mcountinhibit = val & 5;
        return true;
    case CSR_MSCRATCH:
        cpu->mscratch = val;
        return true;
    case CSR_MEPC:
        cpu->mepc = epc_legal(val);
        return true;
    case CSR_MCAUSE:
        cpu->mcause = val;
        return true;
    case CSR_MTVAL:
        cpu->mtval = val;
        return true;
    case CSR_MCYCLE:
        cpu->cycle_base = host_ns() - val;
        return true;
    case CSR_MINSTRET:
        cpu->instret_base = host_ns() - val;
        return true;
    default:
        return false;
    }
}

bool riscv_csr_write(RiscvCPU *cpu, unsigned csr, uint64_t val)
{
    if (!csr_mode_ok(cpu, csr) || ((csr >> 10) & 3) == 3) {
        return false;
    }
    if (csr <= CSR_FCSR) {
        return user_csr_write(cpu, csr, val);
    }
    if (!cpu->system) {
        return false;
    }
    return supervisor_csr_write(cpu, csr, val) || machine_csr_write(cpu, csr, val);
}

/* ---- reset ---- */

void riscv_cpu_reset_priv(RiscvCPU *cpu)
{
    cpu->mstatus = 0;
    __atomic_store_n(&cpu->mip, 0, __ATOMIC_SEQ_CST);
    cpu->mie = cpu->medeleg = cpu->mideleg = 0;
    cpu->mtvec = cpu->stvec = cpu->mepc = cpu->sepc = 0;
    cpu->mcause = cpu->scause = cpu->mtval = cpu->stval = 0;
    cpu->mscratch = cpu->sscratch = cpu->satp = 0;
    cpu->menvcfg = cpu->senvcfg = 0;
    cpu->mcountinhibit = 0;
    memset(cpu->pmpcfg, 0, sizeof(cpu->pmpcfg));
    memset(cpu->pmpaddr, 0, sizeof(cpu->pmpaddr));
    if (cpu->system) {
        cpu->cycle_base = cpu->instret_base = host_ns();
        cpu->priv = RISCV_PRIV_M;
        cpu->mcounteren = cpu->scounteren = 0;
        cpu->pc = cpu->reset_pc;
        riscv_tlb_flush_all(cpu);
    } else {
        /* user mode: U with the FP unit on and every counter readable */
        cpu->priv = RISCV_PRIV_U;
        cpu->mstatus = riscv_has_ext(cpu, RISCV_EXT_F) ? MSTATUS_FS : 0;
        cpu->mcounteren = cpu->scounteren = ~0u;
    }
}
