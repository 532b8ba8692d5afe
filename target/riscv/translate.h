/*
 * What the RISC-V frontend's per-extension files (trans_*.c.inc, included
 * by translate.c) share: the disassembly context, the IR globals, and the
 * small code generators every instruction uses.
 *
 * A trans_NAME(ctx, a) function translates one instruction whose fields
 * the generated decoder put in *a. It returns false for an encoding the
 * CPU model does not have (REQUIRE_EXT) or that is reserved; the caller
 * then raises an illegal-instruction exception.
 */
#ifndef TARGET_RISCV_TRANSLATE_H
#define TARGET_RISCV_TRANSLATE_H

#include "proteus/translator.h"
#include "target/riscv/cpu.h"

typedef struct DisasContext {
    DisasContextBase base;
    IRContext *ir;              /* = base.ir */
    uint32_t exts;              /* the CPU's extensions (translation-time constant) */
    uint32_t insn;              /* the instruction being translated */
    unsigned ilen;              /* its length: 2 or 4 */
    uint64_t pc;                /* its address (= base.pc_next before advancing) */
    uint64_t pc_succ;           /* the address after it */
    int frm;                    /* fcsr.frm when the TB runs (a TB flag) */
    unsigned priv;              /* the privilege mode (RISCV_PRIV_*, a TB flag) */
    unsigned mem_idx;           /* MMU index of loads and stores (a TB flag) */
    bool fp_off;                /* mstatus.FS = Off: FP instructions are illegal */
} DisasContext;

/*
 * TB flags: the dynamic rounding mode, so FP instructions with rm = DYN
 * know it at translation time (an invalid frm makes them illegal); the
 * privilege mode; the MMU index data accesses use; whether the FP unit
 * is off. User mode always has priv U, index 0 and FP on.
 */
#define RISCV_TB_FLAGS_FRM_MASK 7
#define RISCV_TB_FLAGS_PRIV_SHIFT 3
#define RISCV_TB_FLAGS_PRIV_MASK (3u << RISCV_TB_FLAGS_PRIV_SHIFT)
#define RISCV_TB_FLAGS_MMU_SHIFT 5
#define RISCV_TB_FLAGS_MMU_MASK (3u << RISCV_TB_FLAGS_MMU_SHIFT)
#define RISCV_TB_FLAGS_FP_OFF (1u << 7)
#define RISCV_TB_FLAGS_AS_SHIFT 8     /* bits 8..31: RiscvCPU.as_tag when paging is on */

/* The IR globals (translate.c registers them). cpu_gpr[0] is never used:
 * get_gpr/dest_gpr handle x0. */
extern IRv64 cpu_gpr[32];
extern IRv64 cpu_fpr[32];
extern IRv64 cpu_pc;
extern IRv64 cpu_load_res;
extern IRv64 cpu_load_val;

static inline bool has_ext(const DisasContext *ctx, RiscvExt ext)
{
    return (ctx->exts >> ext) & 1;
}

#define REQUIRE_EXT(ctx, ext) do {          \
        if (!has_ext(ctx, ext)) {           \
            return false;                   \
        }                                   \
    } while (0)

/* A source register: its global, or the constant 0 for x0. */
IRv64 get_gpr(DisasContext *ctx, int reg);
/* A destination: the global, or a scratch temp for x0 (writes vanish). */
IRv64 dest_gpr(DisasContext *ctx, int reg);
/* reg = v (nothing for x0). */
void gen_set_gpr(DisasContext *ctx, int reg, IRv64 v);
/* rs1 + imm as a new temp (the guest address of a load or store). */
IRv64 gen_addr(DisasContext *ctx, int rs1, int64_t imm);

/* Raises excp at this instruction (pc = ctx->pc) and ends the TB. */
void gen_exception(DisasContext *ctx, int excp);
/* Jumps to dest (pc-relative direct jump), chaining when possible; ends the TB. */
void gen_goto_tb(DisasContext *ctx, unsigned slot, uint64_t dest);
/* pc = the value of the pc global already set: look the TB up and go there. */
void gen_lookup_and_goto_ptr(DisasContext *ctx);
/* Writes pc = ctx->pc_succ and returns to the exec loop (after a state
 * change the next TB must see, e.g. frm written). */
void gen_exit_to_loop(DisasContext *ctx);

/*
 * Calls a helper: ret is the result temp (IR_TEMP index) or NULL, args the
 * argument temp indices (env included where the helper takes it).
 */
static inline void gen_call(DisasContext *ctx, const IRHelperInfo *info,
                            const IRTempIdx *ret, const IRTempIdx *args)
{
    ir_call(ctx->ir, info, ret, args);
}

/*
 * The rounding mode an FP instruction uses: its static rm (0..4), or for
 * rm = DYN the frm this TB was translated for. -1 when the encoding is
 * reserved (rm 5 or 6) or frm is invalid: the instruction is illegal
 * (its trans_ returns false).
 */
static inline int fp_rounding_mode(const DisasContext *ctx, int rm)
{
    if (rm == RISCV_RM_DYN) {
        rm = ctx->frm;
    }
    return rm <= RISCV_RM_RMM ? rm : -1;
}

/*
 * Helpers every extension may use (op_helper.c). Flags: they may raise, so
 * globals are written back first.
 */
extern const IRHelperInfo riscv_helper_raise_info;    /* (env, i32 excp) */

/* Raises excp from a helper at the instruction that called it; badaddr is
 * set first (0 if not a memory exception). Does not return. */
G_NORETURN void riscv_raise_exception(RiscvCPU *cpu, int excp, uint64_t badaddr,
                                      uintptr_t retaddr);

/* The mode argument of the CSR helper: an operation and what it does. */
enum {
    RISCV_CSR_OP_WRITE = 0,
    RISCV_CSR_OP_SET = 1,
    RISCV_CSR_OP_CLEAR = 2,
    RISCV_CSR_OP_MASK = 3,
    RISCV_CSR_DO_READ = 4,      /* the instruction reads the CSR (side effects) */
    RISCV_CSR_DO_WRITE = 8,     /* ... and writes it */
};

/* Per-extension translation functions live in trans_*.c.inc and are
 * static to translate.c; nothing else to declare here. */

#endif
