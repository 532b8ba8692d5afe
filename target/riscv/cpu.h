/*
 * The RISC-V CPU (RV64): architectural state, CPU models and the
 * extension switches, and what the frontend, the helpers and the Linux
 * user-mode layer share about it.
 *
 * RiscvCPU starts with the generic CPUState, so a RiscvCPU * is also the
 * env that generated code and helpers receive (see proteus/cpu.h).
 */
#ifndef TARGET_RISCV_CPU_H
#define TARGET_RISCV_CPU_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "proteus/cpu.h"

/* Exception causes (mcause values of the privileged spec). */
enum {
    RISCV_EXCP_INST_ADDR_MIS = 0,
    RISCV_EXCP_INST_ACCESS_FAULT = 1,
    RISCV_EXCP_ILLEGAL_INST = 2,
    RISCV_EXCP_BREAKPOINT = 3,
    RISCV_EXCP_LOAD_ADDR_MIS = 4,
    RISCV_EXCP_LOAD_ACCESS_FAULT = 5,
    RISCV_EXCP_STORE_AMO_ADDR_MIS = 6,
    RISCV_EXCP_STORE_AMO_ACCESS_FAULT = 7,
    RISCV_EXCP_U_ECALL = 8,
    RISCV_EXCP_S_ECALL = 9,
    RISCV_EXCP_M_ECALL = 11,
    RISCV_EXCP_INST_PAGE_FAULT = 12,
    RISCV_EXCP_LOAD_PAGE_FAULT = 13,
    RISCV_EXCP_STORE_PAGE_FAULT = 15,
};

/* mcause/scause of an interrupt: this bit plus the mip bit number. */
#define RISCV_CAUSE_INTERRUPT (1ull << 63)

/* Privilege modes (the encoding of mstatus.MPP and the TB flag). */
enum {
    RISCV_PRIV_U = 0,
    RISCV_PRIV_S = 1,
    RISCV_PRIV_M = 3,
};

/* mstatus fields (priv spec 3.1.6); sstatus is a view of some of them. */
#define MSTATUS_SIE     (1ull << 1)
#define MSTATUS_MIE     (1ull << 3)
#define MSTATUS_SPIE    (1ull << 5)
#define MSTATUS_MPIE    (1ull << 7)
#define MSTATUS_SPP     (1ull << 8)
#define MSTATUS_MPP_SHIFT 11
#define MSTATUS_MPP     (3ull << MSTATUS_MPP_SHIFT)
#define MSTATUS_FS_SHIFT 13
#define MSTATUS_FS      (3ull << MSTATUS_FS_SHIFT)
#define MSTATUS_MPRV    (1ull << 17)
#define MSTATUS_SUM     (1ull << 18)
#define MSTATUS_MXR     (1ull << 19)
#define MSTATUS_TVM     (1ull << 20)
#define MSTATUS_TW      (1ull << 21)
#define MSTATUS_TSR     (1ull << 22)
#define MSTATUS_UXL     (3ull << 32)
#define MSTATUS_SXL     (3ull << 34)
#define MSTATUS_SD      (1ull << 63)

/* satp (priv spec 4.1.11): MODE in bits 63:60, ASID 59:44, PPN 43:0. */
#define SATP_MODE_SHIFT 60
#define SATP_MODE_BARE  0
#define SATP_MODE_SV39  8
#define SATP_MODE_SV48  9
#define SATP_MODE_SV57  10
#define SATP_PPN_MASK   ((1ull << 44) - 1)

/* Physical memory protection (priv spec 3.7): entries and cfg bits. */
#define RISCV_PMP_ENTRIES 64
#define PMP_R      0x01
#define PMP_W      0x02
#define PMP_X      0x04
#define PMP_A_SHIFT 3
#define PMP_A      (3u << PMP_A_SHIFT)
#define PMP_A_OFF   0
#define PMP_A_TOR   1
#define PMP_A_NA4   2
#define PMP_A_NAPOT 3
#define PMP_L      0x80

/*
 * Softmmu MMU indexes: the translation regime of an access. S with SUM
 * set is its own index so that toggling SUM needs no TLB flush; M-mode
 * accesses are physical (PMP only).
 */
enum {
    RISCV_MMU_U = 0,
    RISCV_MMU_S = 1,
    RISCV_MMU_S_SUM = 2,
    RISCV_MMU_M = 3,
};

/* fflags bits (the accrued exception flags of fcsr). */
enum {
    RISCV_FFLAG_NX = 1 << 0,    /* inexact */
    RISCV_FFLAG_UF = 1 << 1,    /* underflow */
    RISCV_FFLAG_OF = 1 << 2,    /* overflow */
    RISCV_FFLAG_DZ = 1 << 3,    /* divide by zero */
    RISCV_FFLAG_NV = 1 << 4,    /* invalid operation */
};

/* Rounding modes (the rm field and frm). */
enum {
    RISCV_RM_RNE = 0,           /* to nearest, ties to even */
    RISCV_RM_RTZ = 1,           /* toward zero */
    RISCV_RM_RDN = 2,           /* down */
    RISCV_RM_RUP = 3,           /* up */
    RISCV_RM_RMM = 4,           /* to nearest, ties to max magnitude */
    RISCV_RM_DYN = 7,           /* in an instruction: use frm */
};

/* The CSRs user mode can reach. */
enum {
    RISCV_CSR_FFLAGS = 0x001,
    RISCV_CSR_FRM = 0x002,
    RISCV_CSR_FCSR = 0x003,
    RISCV_CSR_CYCLE = 0xc00,
    RISCV_CSR_TIME = 0xc01,
    RISCV_CSR_INSTRET = 0xc02,
};

/*
 * Extensions, one bit each. A CPU model is a set of them; -cpu
 * MODEL,ext=on|off changes the set. The frontend checks the bit in the
 * trans_ function of every instruction an extension adds (an absent
 * extension decodes as an illegal instruction).
 */
typedef enum RiscvExt {
    RISCV_EXT_I,
    RISCV_EXT_M,
    RISCV_EXT_A,
    RISCV_EXT_F,
    RISCV_EXT_D,
    RISCV_EXT_C,
    RISCV_EXT_ZICSR,
    RISCV_EXT_ZIFENCEI,
    RISCV_EXT_ZICNTR,
    RISCV_EXT_ZBA,
    RISCV_EXT_ZBB,
    RISCV_EXT_ZBS,
    RISCV_EXT_ZICOND,
    RISCV_EXT_COUNT
} RiscvExt;

typedef struct RiscvExtInfo {
    const char *name;           /* as in ISA strings and -cpu switches: "zbb" */
    const char *description;
} RiscvExtInfo;

extern const RiscvExtInfo riscv_ext_info[RISCV_EXT_COUNT];

typedef struct RiscvCPUModel {
    const char *name;
    const char *description;
    uint32_t exts;              /* 1u << RiscvExt */
} RiscvCPUModel;

/* NULL-terminated by name. */
extern const RiscvCPUModel riscv_cpu_models[];

typedef struct RiscvCPU {
    CPUState parent;
    uint64_t gpr[32];           /* gpr[0] is always 0 */
    uint64_t fpr[32];           /* single values NaN-boxed (upper 32 bits all ones) */
    uint64_t pc;
    /* LR/SC: the reserved address (-1: none) and the value LR loaded, so
     * that SC can be a compare-and-swap against it. */
    uint64_t load_res;
    uint64_t load_val;
    uint32_t frm;               /* dynamic rounding mode, 0..7 */
    uint32_t fflags;            /* accrued exception flags (RISCV_FFLAG_*) */
    uint32_t exts;              /* enabled extensions: 1u << RiscvExt */
    uint32_t pad0;
    /* The faulting address of the last memory exception (user mode: the
     * signal's si_addr; system mode: mtval/stval). */
    uint64_t badaddr;
    uint64_t instret_base;      /* user mode: cycle/instret read as host ticks since this */

    /* ---- privileged state (system mode; user mode stays in U) ---- */
    bool system;                /* made by riscv_cpu_new_system */
    uint32_t priv;              /* RISCV_PRIV_* */
    uint64_t mstatus;
    uint64_t mip;               /* atomic: devices set bits from other threads */
    uint64_t mie;
    uint64_t medeleg;
    uint64_t mideleg;
    uint64_t mtvec, stvec;
    uint64_t mepc, sepc;
    uint64_t mcause, scause;
    uint64_t mtval, stval;
    uint64_t mscratch, sscratch;
    uint64_t satp;
    uint64_t menvcfg, senvcfg;
    uint32_t mcounteren, scounteren;
    uint32_t mcountinhibit;
    uint32_t pad1;
    uint64_t mhartid;
    uint64_t reset_pc;
    uint64_t cycle_base;        /* mcycle/minstret read as host ns minus this */
    uint8_t pmpcfg[RISCV_PMP_ENTRIES];
    uint64_t pmpaddr[RISCV_PMP_ENTRIES];
    /* The cause of the last refused instruction fetch probe (tlb_fill
     * with probe set): page fault or access fault. */
    int fetch_fault;
    /* The virtual range [first, last] holding every superpage put in the
     * TLB since the last full flush (empty: first > last). A superpage
     * fills one 4 KiB entry per page touched, so a fence for an address
     * in it flushes everything. */
    uint64_t tlb_super_first, tlb_super_last;
    /*
     * The address space translated code was made for: the TB cache is
     * keyed by virtual pc, so a new mapping (satp written, sfence.vma, any
     * TLB flush) moves the hart to a fresh tag, part of its TB flags while
     * paging is on; TBs of the old mappings are then never looked up again.
     */
    uint32_t as_tag;
    uint64_t (*rdtime)(void *opaque);
    void *rdtime_opaque;
} RiscvCPU;

static inline RiscvCPU *riscv_cpu(void *env)
{
    return env;
}

static inline bool riscv_has_ext(const RiscvCPU *cpu, RiscvExt ext)
{
    return (cpu->exts >> ext) & 1;
}

extern const CPUClass riscv64_cpu_class;

/*
 * Parses "-cpu" text: "MODEL[,ext=on|off...]" (also "ext=true/false/yes/no",
 * and "help" is the caller's business). Fills *exts; false with errp
 * naming the bad model or switch.
 */
bool riscv_cpu_parse_model(const char *text, uint32_t *exts, GError **errp);
/* -cpu help: the models and the extensions they can switch. */
void riscv_cpu_print_models(FILE *out);
/* "rv64imafdc_zicsr_..." for the enabled extensions; g_free it. */
char *riscv_isa_string(uint32_t exts);
/* Lists the models and the switches (for -cpu help). */
void riscv_cpu_list(FILE *out);

/* A new CPU with the given extensions, reset (pc 0, registers 0); the caller
 * frees it with riscv_cpu_free. */
RiscvCPU *riscv_cpu_new(uint32_t exts);
void riscv_cpu_free(RiscvCPU *cpu);

/* fcsr as the CSR reads it and as a write sets it. */
static inline uint32_t riscv_get_fcsr(const RiscvCPU *cpu)
{
    return (cpu->frm << 5) | cpu->fflags;
}
static inline void riscv_set_fcsr(RiscvCPU *cpu, uint32_t v)
{
    cpu->frm = (v >> 5) & 7;
    cpu->fflags = v & 0x1f;
}

/*
 * Disassembles the instruction at the start of bytes (2 or 4 bytes are
 * read, as the low two bits say; avail is how many are there) into buf in
 * objdump's syntax. Returns the instruction length (2 or 4), or 0 if avail
 * is too short; an unknown encoding prints ".insn 0x..." (objdump's
 * "unknown" form) and still returns its length.
 */
unsigned riscv_disas(uint64_t pc, const uint8_t *bytes, unsigned avail, char *buf,
                     size_t len);

/* ---- system mode (privileged architecture: cpu_helper.c, csr.c, mmu.c) ---- */

/* Interrupt lines into a hart: their mip bit numbers (priv spec 3.1.9). */
enum {
    RISCV_IRQ_SSIP = 1,
    RISCV_IRQ_MSIP = 3,
    RISCV_IRQ_STIP = 5,
    RISCV_IRQ_MTIP = 7,
    RISCV_IRQ_SEIP = 9,
    RISCV_IRQ_MEIP = 11,
};

/* A hart for a machine: M-mode at reset_pc with mhartid = hartid and
 * softmmu memory (ir_mem_model must be IR_MEM_SOFTMMU before it runs). */
RiscvCPU *riscv_cpu_new_system(uint32_t exts, uint32_t hartid, uint64_t reset_pc);
/* Raises or lowers an interrupt line (a device, with the BQL held, or any
 * thread); wakes the hart if that makes an interrupt pending. */
void riscv_cpu_set_irq(RiscvCPU *cpu, int irq, int level);
/* Where the time CSR reads from (the CLINT's mtime), in timebase ticks. */
void riscv_cpu_set_rdtime(RiscvCPU *cpu, uint64_t (*rdtime)(void *opaque), void *opaque);

/* Internals of the privileged architecture shared by cpu.c, csr.c,
 * cpu_helper.c and mmu.c. */

/* The privileged part of reset: M-mode at reset_pc (system), or the
 * fixed U-mode state user mode runs in. */
void riscv_cpu_reset_priv(RiscvCPU *cpu);
/* Empties the TLB (all MMU indexes) and the superpage range. */
void riscv_tlb_flush_all(RiscvCPU *cpu);
/* Moves the hart to a fresh address-space tag (stale TBs out of reach). */
void riscv_new_as_tag(RiscvCPU *cpu);
/* The MMU index of data accesses: the mode (or MPP with MPRV) and SUM. */
unsigned riscv_data_mmu_index(const RiscvCPU *cpu);
/* The MMU index of instruction fetches in the current mode. */
unsigned riscv_fetch_mmu_index(const RiscvCPU *cpu);
/* Keeps CPU_INTERRUPT_HARD raised exactly while mip & mie is nonzero
 * (call after changing either). */
void riscv_update_irq_request(RiscvCPU *cpu);
/* Atomically replaces the bits of mip in mask by value. */
void riscv_mip_update(RiscvCPU *cpu, uint64_t mask, uint64_t value);
/* Takes a trap (exception cause, or interrupt with RISCV_CAUSE_INTERRUPT)
 * at the current pc with tval: delegation, trap CSRs, new mode and pc. */
void riscv_do_trap(RiscvCPU *cpu, uint64_t cause, uint64_t tval);
/* Class hooks living in cpu_helper.c and mmu.c. */
void riscv_cpu_do_interrupt(CPUState *cs);
bool riscv_cpu_exec_interrupt(CPUState *cs, uint32_t request);
void riscv_cpu_do_transaction_failed(CPUState *cs, uint64_t addr, uint64_t paddr,
                                     unsigned size, MMUAccessType type, uintptr_t retaddr);
bool riscv_cpu_tlb_fill(CPUState *cs, uint64_t addr, unsigned size, MMUAccessType type,
                        unsigned mmu_idx, bool probe, uintptr_t retaddr);
uint64_t riscv_cpu_get_phys_page_debug(CPUState *cs, uint64_t vaddr);
/* The misa value of the CPU's extensions. */
uint64_t riscv_misa(const RiscvCPU *cpu);
/* mstatus with the read-only fields (SD, UXL, SXL) filled in. */
uint64_t riscv_mstatus_read(const RiscvCPU *cpu);

/*
 * CSR accesses (csr.c): false when the CSR does not exist, the current
 * mode may not reach it, or (write) it is read-only; the caller raises an
 * illegal instruction exception.
 */
bool riscv_csr_read(RiscvCPU *cpu, unsigned csr, uint64_t *val);
bool riscv_csr_write(RiscvCPU *cpu, unsigned csr, uint64_t val);

/* Installs the hooks the translator core calls back (unaligned atomics). */
void riscv_helpers_init(void);

/* Names: "zero", "ra", ... "t6" and "ft0" ... "ft11". */
const char *riscv_gpr_name(int r);
const char *riscv_fpr_name(int r);

#endif
