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
 * softmmu memory (ir_mem_model must be IR_MEM_SOFTMMU). */
RiscvCPU *riscv_cpu_new_system(uint32_t exts, uint32_t hartid, uint64_t reset_pc);
/* Raises or lowers an interrupt line (a device, with the BQL held, or any
 * thread); wakes the hart if that makes an interrupt pending. */
void riscv_cpu_set_irq(RiscvCPU *cpu, int irq, int level);
/* Where the time CSR reads from (the CLINT's mtime), in timebase ticks. */
void riscv_cpu_set_rdtime(RiscvCPU *cpu, uint64_t (*rdtime)(void *opaque), void *opaque);

/* Installs the hooks the translator core calls back (unaligned atomics). */
void riscv_helpers_init(void);

/* Names: "zero", "ra", ... "t6" and "ft0" ... "ft11". */
const char *riscv_gpr_name(int r);
const char *riscv_fpr_name(int r);

#endif
