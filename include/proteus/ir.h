/*
 * The dynamic translator's intermediate representation.
 *
 * A frontend turns a block of guest instructions into a list of IR ops on
 * typed temporaries (i32, i64); the optimizer rewrites the list, the
 * validator checks it, and a backend (the x86-64 JIT or the interpreter)
 * runs it. Ops are listed, with their exact semantics, in ir-ops.h.
 *
 * Temporaries come in kinds:
 *  - global: a field of the CPU state (an offset from env), registered once
 *    per context; its value lives across TBs;
 *  - tb:     lives for one translation block, across branches and labels;
 *  - bb:     lives within one basic block: dead at every label and branch;
 *  - const:  a constant, interned per TB; backends use it as an immediate;
 *  - env:    the CPU-state pointer (i64), fixed for the whole TB.
 *
 * Builder functions take typed handles (IRv32, IRv64) so that mixing widths
 * is a compile-time error; the validator checks the same again at run time
 * for IR built any other way.
 */
#ifndef PROTEUS_IR_H
#define PROTEUS_IR_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    IR_TYPE_I32,
    IR_TYPE_I64,
} IRType;

typedef enum {
    IR_TEMP_GLOBAL,
    IR_TEMP_TB,
    IR_TEMP_BB,
    IR_TEMP_CONST,
    IR_TEMP_ENV,
} IRTempKind;

/* Conditions: signed (LT...) and unsigned (LTU...) orders; TSTEQ/TSTNE test
 * (a & b) == 0 / != 0. */
typedef enum {
    IR_COND_NEVER,
    IR_COND_ALWAYS,
    IR_COND_EQ,
    IR_COND_NE,
    IR_COND_LT,
    IR_COND_GE,
    IR_COND_LE,
    IR_COND_GT,
    IR_COND_LTU,
    IR_COND_GEU,
    IR_COND_LEU,
    IR_COND_GTU,
    IR_COND_TSTEQ,
    IR_COND_TSTNE,
    IR_COND_COUNT
} IRCond;

/* Guest memory access: size, sign, byte order, alignment. */
typedef enum {
    MO_8 = 0,
    MO_16 = 1,
    MO_32 = 2,
    MO_64 = 3,
    MO_SIZE = 3,
    MO_SIGN = 1 << 2,        /* sign-extend a load to the op's type */
    MO_BE = 1 << 3,          /* big-endian (default little) */
    MO_ALIGN = 1 << 4,       /* raise an alignment fault unless naturally aligned */
    MO_UB = MO_8, MO_SB = MO_8 | MO_SIGN,
    MO_LEUW = MO_16, MO_LESW = MO_16 | MO_SIGN,
    MO_LEUL = MO_32, MO_LESL = MO_32 | MO_SIGN,
    MO_LEUQ = MO_64,
    MO_BEUW = MO_16 | MO_BE, MO_BESW = MO_16 | MO_SIGN | MO_BE,
    MO_BEUL = MO_32 | MO_BE, MO_BESL = MO_32 | MO_SIGN | MO_BE,
    MO_BEUQ = MO_64 | MO_BE,
} MemOp;

static inline unsigned memop_size(MemOp mop)
{
    return 1u << (mop & MO_SIZE);
}

typedef enum {
    IR_ATOMIC_XCHG,
    IR_ATOMIC_ADD,
    IR_ATOMIC_AND,
    IR_ATOMIC_OR,
    IR_ATOMIC_XOR,
    IR_ATOMIC_SMIN,
    IR_ATOMIC_SMAX,
    IR_ATOMIC_UMIN,
    IR_ATOMIC_UMAX,
} IRAtomicOp;

/* Barrier bits: which earlier accesses are ordered before which later ones. */
typedef enum {
    IR_MB_LD_LD = 1,
    IR_MB_ST_LD = 2,
    IR_MB_LD_ST = 4,
    IR_MB_ST_ST = 8,
    IR_MB_ALL = 15,
} IRBarrier;

/* ---- opcodes ---- */

enum {
    IR_OPF_BB_END = 1 << 0,        /* ends a basic block */
    IR_OPF_SIDE_EFFECTS = 1 << 1,  /* never removed even when its outputs are dead */
    IR_OPF_TYPED = 1 << 2,         /* op->type applies to its temps */
    IR_OPF_64_ONLY = 1 << 3,       /* only with type i64 */
    IR_OPF_CALL = 1 << 4,          /* helper call: arguments per IRHelperInfo */
    IR_OPF_GUEST_MEM = 1 << 5,     /* guest memory access: may fault */
};

typedef enum {
#define DEF(name, o, i, c, f) IR_OP_##name,
#include "proteus/ir-ops.h"
#undef DEF
    IR_OP_COUNT
} IROpcode;

typedef struct IROpDef {
    const char *name;
    uint8_t nb_oargs, nb_iargs, nb_cargs;
    unsigned flags;
} IROpDef;

extern const IROpDef ir_op_defs[IR_OP_COUNT];

/* ---- helpers called from generated code ---- */

enum {
    IR_CALL_NO_READ_GLOBALS = 1 << 0,   /* globals need not be written back before */
    IR_CALL_NO_WRITE_GLOBALS = 1 << 1,  /* globals cached in host registers stay valid */
    IR_CALL_NO_SIDE_EFFECTS = 1 << 2,   /* removable when its result is unused */
    IR_CALL_MAY_RAISE = 1 << 3,         /* may leave through an exception */
};
/* A pure function of its arguments. */
#define IR_CALL_PURE (IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS | \
                      IR_CALL_NO_SIDE_EFFECTS)

#define IR_MAX_HELPER_ARGS 6

typedef struct IRHelperInfo {
    void *func;
    const char *name;
    unsigned flags;
    bool has_ret;
    IRType ret_type;
    uint8_t nargs;
    IRType arg_types[IR_MAX_HELPER_ARGS];  /* env is an i64 argument like any other */
} IRHelperInfo;

/* ---- temps, labels, ops ---- */

typedef uint32_t IRTempIdx;
typedef struct { IRTempIdx idx; } IRv32;
typedef struct { IRTempIdx idx; } IRv64;
typedef uint32_t IRLabel;

typedef struct IRTemp {
    IRType type;
    IRTempKind kind;
    int64_t val;              /* CONST: the value (i32 values sign-extended) */
    int32_t mem_offset;       /* GLOBAL: offset of the field from env */
    const char *name;         /* GLOBAL: for dumps */
} IRTemp;

#define IR_MAX_ARGS (1 + IR_MAX_HELPER_ARGS + 1)

typedef struct IROp {
    IROpcode opc;
    IRType type;
    uint8_t nb_oargs, nb_iargs, nb_cargs;    /* as ir_op_defs, except for call */
    uint64_t args[IR_MAX_ARGS];              /* outputs, inputs (temp indices), constants */
} IROp;

/* The exit value of exit_tb: which TB left and through which of its two
 * goto_tb slots (0, 1), or IR_EXIT_REQUESTED for any other reason. */
#define IR_EXIT_SLOT_MASK 3
#define IR_EXIT_REQUESTED 2
static inline uint64_t ir_exit_value(const void *tb, unsigned slot)
{
    return (uint64_t)(uintptr_t)tb | slot;
}

/*
 * A translation context: one per translating thread, reused for every TB.
 * Globals and env persist across ir_reset(); everything else is per TB.
 */
#define IR_MEM_HOOK_LOAD  1
#define IR_MEM_HOOK_STORE 2

typedef struct IRContext {
    GArray *temps;            /* IRTemp */
    guint nb_globals;         /* temps[0] is env; then the globals */
    GArray *ops;              /* IROp */
    guint nb_labels;
    GHashTable *consts;       /* (type, value) -> temp index, per TB */
    /* Instrumentation: called right after each guest memory access op is
     * emitted, with a copy of its address and IR_MEM_HOOK_* kinds. */
    void (*mem_hook)(struct IRContext *ctx, IRv64 addr, MemOp mop, unsigned mmu,
                     unsigned kinds, void *opaque);
    void *mem_hook_opaque;
    /* The frontend's per-arch insn_start words are in c1..c2. */
} IRContext;

IRContext *ir_context_new(void);
void ir_context_free(IRContext *ctx);
/* Forgets the current TB's ops and temps; keeps env and globals. */
void ir_reset(IRContext *ctx);

static inline IRTemp *ir_temp(IRContext *ctx, IRTempIdx idx)
{
    return &g_array_index(ctx->temps, IRTemp, idx);
}
static inline IROp *ir_op(IRContext *ctx, guint i)
{
    return &g_array_index(ctx->ops, IROp, i);
}
static inline guint ir_op_count(IRContext *ctx)
{
    return ctx->ops->len;
}

/* env: the CPU-state pointer (temp 0). */
IRv64 ir_env(IRContext *ctx);
/* Globals alias CPU-state fields; register them once, before translating. */
IRv32 ir_global_i32(IRContext *ctx, int32_t offset, const char *name);
IRv64 ir_global_i64(IRContext *ctx, int32_t offset, const char *name);

IRv32 ir_temp_new_i32(IRContext *ctx);   /* bb lifetime */
IRv64 ir_temp_new_i64(IRContext *ctx);
IRv32 ir_temp_tb_i32(IRContext *ctx);    /* tb lifetime */
IRv64 ir_temp_tb_i64(IRContext *ctx);
IRv32 ir_const_i32(IRContext *ctx, int32_t val);
IRv64 ir_const_i64(IRContext *ctx, int64_t val);

IRLabel ir_label_new(IRContext *ctx);

/* Appends one raw op (the builders below use it); returns its index. */
guint ir_emit(IRContext *ctx, IROpcode opc, IRType type, const uint64_t *args,
              unsigned nb_oargs, unsigned nb_iargs, unsigned nb_cargs);

/* ---- builders ---- */

#define IR_DECLARE_BUILDERS(sfx, T)                                                  \
    void ir_mov_##sfx(IRContext *c, T d, T a);                                       \
    void ir_movi_##sfx(IRContext *c, T d, int64_t v);                                \
    void ir_add_##sfx(IRContext *c, T d, T a, T b);                                  \
    void ir_addi_##sfx(IRContext *c, T d, T a, int64_t v);                           \
    void ir_sub_##sfx(IRContext *c, T d, T a, T b);                                  \
    void ir_neg_##sfx(IRContext *c, T d, T a);                                       \
    void ir_mul_##sfx(IRContext *c, T d, T a, T b);                                  \
    void ir_mulsh_##sfx(IRContext *c, T d, T a, T b);                                \
    void ir_muluh_##sfx(IRContext *c, T d, T a, T b);                                \
    void ir_div_##sfx(IRContext *c, T d, T a, T b);                                  \
    void ir_divu_##sfx(IRContext *c, T d, T a, T b);                                 \
    void ir_rem_##sfx(IRContext *c, T d, T a, T b);                                  \
    void ir_remu_##sfx(IRContext *c, T d, T a, T b);                                 \
    void ir_and_##sfx(IRContext *c, T d, T a, T b);                                  \
    void ir_andi_##sfx(IRContext *c, T d, T a, int64_t v);                           \
    void ir_or_##sfx(IRContext *c, T d, T a, T b);                                   \
    void ir_ori_##sfx(IRContext *c, T d, T a, int64_t v);                            \
    void ir_xor_##sfx(IRContext *c, T d, T a, T b);                                  \
    void ir_xori_##sfx(IRContext *c, T d, T a, int64_t v);                           \
    void ir_andc_##sfx(IRContext *c, T d, T a, T b);                                 \
    void ir_orc_##sfx(IRContext *c, T d, T a, T b);                                  \
    void ir_not_##sfx(IRContext *c, T d, T a);                                       \
    void ir_shl_##sfx(IRContext *c, T d, T a, T b);                                  \
    void ir_shli_##sfx(IRContext *c, T d, T a, unsigned n);                          \
    void ir_shr_##sfx(IRContext *c, T d, T a, T b);                                  \
    void ir_shri_##sfx(IRContext *c, T d, T a, unsigned n);                          \
    void ir_sar_##sfx(IRContext *c, T d, T a, T b);                                  \
    void ir_sari_##sfx(IRContext *c, T d, T a, unsigned n);                          \
    void ir_rotl_##sfx(IRContext *c, T d, T a, T b);                                 \
    void ir_rotr_##sfx(IRContext *c, T d, T a, T b);                                 \
    void ir_setcond_##sfx(IRContext *c, IRCond cond, T d, T a, T b);                 \
    void ir_movcond_##sfx(IRContext *c, IRCond cond, T d, T c1, T c2, T v1, T v2);   \
    void ir_brcond_##sfx(IRContext *c, IRCond cond, T a, T b, IRLabel l);            \
    void ir_ext8s_##sfx(IRContext *c, T d, T a);                                     \
    void ir_ext8u_##sfx(IRContext *c, T d, T a);                                     \
    void ir_ext16s_##sfx(IRContext *c, T d, T a);                                    \
    void ir_ext16u_##sfx(IRContext *c, T d, T a);                                    \
    void ir_deposit_##sfx(IRContext *c, T d, T a, T b, unsigned pos, unsigned len);  \
    void ir_extract_##sfx(IRContext *c, T d, T a, unsigned pos, unsigned len);       \
    void ir_sextract_##sfx(IRContext *c, T d, T a, unsigned pos, unsigned len);      \
    void ir_bswap16_##sfx(IRContext *c, T d, T a);                                   \
    void ir_bswap32_##sfx(IRContext *c, T d, T a);                                   \
    void ir_clz_##sfx(IRContext *c, T d, T a, T zero_value);                         \
    void ir_ctz_##sfx(IRContext *c, T d, T a, T zero_value);                         \
    void ir_ctpop_##sfx(IRContext *c, T d, T a);                                     \
    void ir_ld8u_##sfx(IRContext *c, T d, IRv64 base, int32_t ofs);                  \
    void ir_ld8s_##sfx(IRContext *c, T d, IRv64 base, int32_t ofs);                  \
    void ir_ld16u_##sfx(IRContext *c, T d, IRv64 base, int32_t ofs);                 \
    void ir_ld16s_##sfx(IRContext *c, T d, IRv64 base, int32_t ofs);                 \
    void ir_ld_##sfx(IRContext *c, T d, IRv64 base, int32_t ofs);                    \
    void ir_st8_##sfx(IRContext *c, T v, IRv64 base, int32_t ofs);                   \
    void ir_st16_##sfx(IRContext *c, T v, IRv64 base, int32_t ofs);                  \
    void ir_st_##sfx(IRContext *c, T v, IRv64 base, int32_t ofs);                    \
    void ir_guest_ld_##sfx(IRContext *c, T d, IRv64 addr, MemOp mop, unsigned mmu);  \
    void ir_guest_st_##sfx(IRContext *c, T v, IRv64 addr, MemOp mop, unsigned mmu);  \
    void ir_atomic_cmpxchg_##sfx(IRContext *c, T old, IRv64 addr, T expected, T nv,  \
                                 MemOp mop, unsigned mmu);                           \
    void ir_atomic_rmw_##sfx(IRContext *c, IRAtomicOp aop, T old, IRv64 addr, T v,   \
                             MemOp mop, unsigned mmu);

IR_DECLARE_BUILDERS(i32, IRv32)
IR_DECLARE_BUILDERS(i64, IRv64)

void ir_ext32s_i64(IRContext *c, IRv64 d, IRv64 a);
void ir_ext32u_i64(IRContext *c, IRv64 d, IRv64 a);
void ir_bswap64_i64(IRContext *c, IRv64 d, IRv64 a);
void ir_ld32u_i64(IRContext *c, IRv64 d, IRv64 base, int32_t ofs);
void ir_ld32s_i64(IRContext *c, IRv64 d, IRv64 base, int32_t ofs);
void ir_st32_i64(IRContext *c, IRv64 v, IRv64 base, int32_t ofs);
void ir_ext_i32_i64(IRContext *c, IRv64 d, IRv32 a);
void ir_extu_i32_i64(IRContext *c, IRv64 d, IRv32 a);
void ir_extrl_i64_i32(IRContext *c, IRv32 d, IRv64 a);
void ir_extrh_i64_i32(IRContext *c, IRv32 d, IRv64 a);

void ir_set_label(IRContext *c, IRLabel l);
void ir_br(IRContext *c, IRLabel l);
void ir_insn_start(IRContext *c, uint64_t pc, uint64_t word1, uint64_t word2);
void ir_goto_tb(IRContext *c, unsigned slot);
void ir_exit_tb(IRContext *c, uint64_t value);
void ir_goto_ptr(IRContext *c, IRv64 host_code);
void ir_mb(IRContext *c, IRBarrier kind);
/* ret is NULL for a helper without a result; args are temp indices of the
 * types info declares (use .idx of the handles). */
void ir_call(IRContext *c, const IRHelperInfo *info, const IRTempIdx *ret,
             const IRTempIdx *args);

/* ---- passes ---- */

/* Rewrites the ops: constant folding, copy propagation, known-zero bits,
 * branch folding, dead-code removal. */
void ir_optimize(IRContext *ctx);
/*
 * Checks the IR: every op's temps have the types it needs, constants are
 * in range, labels are defined exactly once and used only when defined, bb
 * temps are written before they are read in their basic block, tb temps on
 * every path, and nothing writes a constant or env. On failure errp names
 * the op (its index and its dump line) and the rule it breaks.
 */
bool ir_validate(IRContext *ctx, GError **errp);

/* Prints the ops, one a line, in the -d op format. */
void ir_dump(IRContext *ctx, FILE *out);
/* The same as one newly allocated string (g_free it). */
char *ir_dump_to_string(IRContext *ctx);
/* One op as text ("add_i64 t3, x5, $0x10"); returns a new string. */
char *ir_op_to_string(IRContext *ctx, const IROp *op);

#endif
