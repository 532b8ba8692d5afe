/*
 * The IR core: the opcode table, the translation context (temps, labels,
 * interned constants), the op builders and the -d op dump.
 *
 * Temps live in one array: temps[0] is env, then the globals (both kept
 * across TBs, ctx->nb_globals of them in all), then the current TB's
 * temps and constants, which ir_reset() drops.
 *
 * Dump format, one op a line (tests pin it, keep it stable):
 *   temps:      env, a global's name, bb temps "t<idx>", tb temps
 *               "tb<idx>", constants "$0x<hex>" (two's complement at the
 *               constant's width);
 *   labels:     "L<n>";
 *   typed ops:  "<name>_i32" / "<name>_i64", then outputs, inputs and
 *               constants separated by ", ";
 *   conditions: by name ("eq", "ltu", "tstne");
 *   MemOp:      [le|be][s|u]<b|w|l|q>[+al]: the byte order (left out for
 *               a little-endian byte), "s" when sign-extending, "u" only on
 *               a load narrower than its type; "mmu<n>" follows;
 *   host ld/st: the byte offset as a signed decimal ("ld_i64 t1, env, 40");
 *   insn_start: " ---- 0x<pc, 16 digits> 0x<w1> 0x<w2>";
 *   call:       "call <name>, 0x<flags>, [<ret> <- ]<args>".
 */
#include <inttypes.h>
#include <string.h>

#include "proteus/ir.h"

const IROpDef ir_op_defs[IR_OP_COUNT] = {
#define DEF(n, o, i, c, f) [IR_OP_##n] = { #n, o, i, c, f },
#include "proteus/ir-ops.h"
#undef DEF
};

/* ---- context, temps, labels ---- */

/* Key of the per-TB constant table. */
typedef struct IRConstKey {
    int64_t val;
    IRType type;
} IRConstKey;

static guint const_key_hash(gconstpointer p)
{
    const IRConstKey *k = p;
    uint64_t h = (uint64_t)k->val * 0x9e3779b97f4a7c15ull;

    return (guint)(h >> 32) ^ (guint)h ^ (guint)k->type;
}

static gboolean const_key_equal(gconstpointer a, gconstpointer b)
{
    const IRConstKey *x = a, *y = b;

    return x->val == y->val && x->type == y->type;
}

IRContext *ir_context_new(void)
{
    IRContext *ctx = g_new0(IRContext, 1);
    IRTemp env = {
        .type = IR_TYPE_I64,
        .kind = IR_TEMP_ENV,
        .name = "env",
    };

    ctx->temps = g_array_sized_new(FALSE, TRUE, sizeof(IRTemp), 256);
    ctx->ops = g_array_sized_new(FALSE, TRUE, sizeof(IROp), 512);
    ctx->consts = g_hash_table_new_full(const_key_hash, const_key_equal, g_free, NULL);
    g_array_append_val(ctx->temps, env);
    ctx->nb_globals = 1;
    return ctx;
}

void ir_context_free(IRContext *ctx)
{
    if (!ctx) {
        return;
    }
    g_array_free(ctx->temps, TRUE);
    g_array_free(ctx->ops, TRUE);
    g_hash_table_destroy(ctx->consts);
    g_free(ctx);
}

/*
 * The memory hook (instrumentation): the address is copied before the
 * access, which may overwrite the register it came from (ld a0, 0(a0)).
 */
static IRv64 mem_hook_addr(IRContext *c, IRv64 addr)
{
    IRv64 copy = addr;

    if (G_UNLIKELY(c->mem_hook)) {
        copy = ir_temp_new_i64(c);
        ir_mov_i64(c, copy, addr);
    }
    return copy;
}

static void mem_hook_call(IRContext *c, IRv64 addr, MemOp mop, unsigned mmu, unsigned kinds)
{
    void (*hook)(IRContext *, IRv64, MemOp, unsigned, unsigned, void *) = c->mem_hook;

    if (G_UNLIKELY(hook)) {
        /* not while the hook emits its own ops */
        c->mem_hook = NULL;
        hook(c, addr, mop, mmu, kinds, c->mem_hook_opaque);
        c->mem_hook = hook;
    }
}

void ir_reset(IRContext *ctx)
{
    g_array_set_size(ctx->temps, ctx->nb_globals);
    g_array_set_size(ctx->ops, 0);
    g_hash_table_remove_all(ctx->consts);
    ctx->nb_labels = 0;
}

static IRTempIdx temp_add(IRContext *ctx, IRType type, IRTempKind kind)
{
    IRTemp t = { .type = type, .kind = kind };

    g_array_append_val(ctx->temps, t);
    return ctx->temps->len - 1;
}

IRv64 ir_env(IRContext *ctx)
{
    return (IRv64){ 0 };
}

static IRTempIdx global_new(IRContext *ctx, IRType type, int32_t offset, const char *name)
{
    IRTempIdx idx;

    /* Globals sit right after env so that a reset can keep them. */
    g_assert(ctx->temps->len == ctx->nb_globals);
    idx = temp_add(ctx, type, IR_TEMP_GLOBAL);
    ir_temp(ctx, idx)->mem_offset = offset;
    ir_temp(ctx, idx)->name = g_intern_string(name);
    ctx->nb_globals++;
    return idx;
}

IRv32 ir_global_i32(IRContext *ctx, int32_t offset, const char *name)
{
    return (IRv32){ global_new(ctx, IR_TYPE_I32, offset, name) };
}

IRv64 ir_global_i64(IRContext *ctx, int32_t offset, const char *name)
{
    return (IRv64){ global_new(ctx, IR_TYPE_I64, offset, name) };
}

IRv32 ir_temp_new_i32(IRContext *ctx)
{
    return (IRv32){ temp_add(ctx, IR_TYPE_I32, IR_TEMP_BB) };
}

IRv64 ir_temp_new_i64(IRContext *ctx)
{
    return (IRv64){ temp_add(ctx, IR_TYPE_I64, IR_TEMP_BB) };
}

IRv32 ir_temp_tb_i32(IRContext *ctx)
{
    return (IRv32){ temp_add(ctx, IR_TYPE_I32, IR_TEMP_TB) };
}

IRv64 ir_temp_tb_i64(IRContext *ctx)
{
    return (IRv64){ temp_add(ctx, IR_TYPE_I64, IR_TEMP_TB) };
}

static IRTempIdx const_new(IRContext *ctx, IRType type, int64_t val)
{
    IRConstKey key = { .val = val, .type = type };
    gpointer found;
    IRConstKey *k;
    IRTempIdx idx;

    if (g_hash_table_lookup_extended(ctx->consts, &key, NULL, &found)) {
        return GPOINTER_TO_UINT(found);
    }
    idx = temp_add(ctx, type, IR_TEMP_CONST);
    ir_temp(ctx, idx)->val = val;
    k = g_memdup2(&key, sizeof(key));
    g_hash_table_insert(ctx->consts, k, GUINT_TO_POINTER(idx));
    return idx;
}

IRv32 ir_const_i32(IRContext *ctx, int32_t val)
{
    return (IRv32){ const_new(ctx, IR_TYPE_I32, val) };
}

IRv64 ir_const_i64(IRContext *ctx, int64_t val)
{
    return (IRv64){ const_new(ctx, IR_TYPE_I64, val) };
}

IRLabel ir_label_new(IRContext *ctx)
{
    return ctx->nb_labels++;
}

guint ir_emit(IRContext *ctx, IROpcode opc, IRType type, const uint64_t *args,
              unsigned nb_oargs, unsigned nb_iargs, unsigned nb_cargs)
{
    unsigned n = nb_oargs + nb_iargs + nb_cargs;
    IROp op = { .opc = opc, .type = type };

    g_assert(n <= IR_MAX_ARGS);
    op.nb_oargs = nb_oargs;
    op.nb_iargs = nb_iargs;
    op.nb_cargs = nb_cargs;
    if (n) {
        memcpy(op.args, args, n * sizeof(uint64_t));
    }
    g_array_append_val(ctx->ops, op);
    return ctx->ops->len - 1;
}

/* ---- builders ---- */

/* Emits opc with the argument list given inline. */
#define EMIT(opc, ty, no, ni, nc, ...) \
    ir_emit(c, IR_OP_##opc, ty, (const uint64_t[]){ __VA_ARGS__ }, no, ni, nc)

/* Host ld/st offsets are kept sign-extended so that dumps show them signed. */
#define OFS(o) ((uint64_t)(int64_t)(o))

#define BUILD_UNARY(name, sfx, T, TY) \
    void ir_##name##_##sfx(IRContext *c, T d, T a) { EMIT(name, TY, 1, 1, 0, d.idx, a.idx); }
#define BUILD_BINARY(name, sfx, T, TY)                  \
    void ir_##name##_##sfx(IRContext *c, T d, T a, T b) \
    {                                                   \
        EMIT(name, TY, 1, 2, 0, d.idx, a.idx, b.idx);   \
    }
#define BUILD_IMM(name, sfx, T, TY, VT)                                \
    void ir_##name##i_##sfx(IRContext *c, T d, T a, VT v)              \
    {                                                                  \
        ir_##name##_##sfx(c, d, a, imm_##sfx(c, v));                   \
    }
#define BUILD_LD(name, sfx, T, TY)                                     \
    void ir_##name##_##sfx(IRContext *c, T d, IRv64 base, int32_t ofs) \
    {                                                                  \
        EMIT(name, TY, 1, 1, 1, d.idx, base.idx, OFS(ofs));            \
    }
#define BUILD_ST(name, sfx, T, TY)                                     \
    void ir_##name##_##sfx(IRContext *c, T v, IRv64 base, int32_t ofs) \
    {                                                                  \
        EMIT(name, TY, 0, 2, 1, v.idx, base.idx, OFS(ofs));            \
    }

#define BUILD_ALL(sfx, T, TY)                                                         \
    BUILD_UNARY(mov, sfx, T, TY)                                                      \
    void ir_movi_##sfx(IRContext *c, T d, int64_t v)                                  \
    {                                                                                 \
        ir_mov_##sfx(c, d, imm_##sfx(c, v));                                          \
    }                                                                                 \
    BUILD_BINARY(add, sfx, T, TY)                                                     \
    void ir_addi_##sfx(IRContext *c, T d, T a, int64_t v)                             \
    {                                                                                 \
        /* Adding 0 is common (displacements): a mov is cheaper for every pass. */    \
        if (TY == IR_TYPE_I32 ? (uint32_t)v == 0 : v == 0) {                          \
            ir_mov_##sfx(c, d, a);                                                    \
        } else {                                                                      \
            ir_add_##sfx(c, d, a, imm_##sfx(c, v));                                   \
        }                                                                             \
    }                                                                                 \
    BUILD_BINARY(sub, sfx, T, TY)                                                     \
    BUILD_UNARY(neg, sfx, T, TY)                                                      \
    BUILD_BINARY(mul, sfx, T, TY)                                                     \
    BUILD_BINARY(mulsh, sfx, T, TY)                                                   \
    BUILD_BINARY(muluh, sfx, T, TY)                                                   \
    BUILD_BINARY(div, sfx, T, TY)                                                     \
    BUILD_BINARY(divu, sfx, T, TY)                                                    \
    BUILD_BINARY(rem, sfx, T, TY)                                                     \
    BUILD_BINARY(remu, sfx, T, TY)                                                    \
    BUILD_BINARY(and, sfx, T, TY)                                                     \
    BUILD_IMM(and, sfx, T, TY, int64_t)                                               \
    BUILD_BINARY(or, sfx, T, TY)                                                      \
    BUILD_IMM(or, sfx, T, TY, int64_t)                                                \
    BUILD_BINARY(xor, sfx, T, TY)                                                     \
    BUILD_IMM(xor, sfx, T, TY, int64_t)                                               \
    BUILD_BINARY(andc, sfx, T, TY)                                                    \
    BUILD_BINARY(orc, sfx, T, TY)                                                     \
    BUILD_UNARY(not, sfx, T, TY)                                                      \
    BUILD_BINARY(shl, sfx, T, TY)                                                     \
    BUILD_IMM(shl, sfx, T, TY, unsigned)                                              \
    BUILD_BINARY(shr, sfx, T, TY)                                                     \
    BUILD_IMM(shr, sfx, T, TY, unsigned)                                              \
    BUILD_BINARY(sar, sfx, T, TY)                                                     \
    BUILD_IMM(sar, sfx, T, TY, unsigned)                                              \
    BUILD_BINARY(rotl, sfx, T, TY)                                                    \
    BUILD_BINARY(rotr, sfx, T, TY)                                                    \
    void ir_setcond_##sfx(IRContext *c, IRCond cond, T d, T a, T b)                   \
    {                                                                                 \
        EMIT(setcond, TY, 1, 2, 1, d.idx, a.idx, b.idx, cond);                        \
    }                                                                                 \
    void ir_movcond_##sfx(IRContext *c, IRCond cond, T d, T c1, T c2, T v1, T v2)     \
    {                                                                                 \
        EMIT(movcond, TY, 1, 4, 1, d.idx, c1.idx, c2.idx, v1.idx, v2.idx, cond);      \
    }                                                                                 \
    void ir_brcond_##sfx(IRContext *c, IRCond cond, T a, T b, IRLabel l)              \
    {                                                                                 \
        EMIT(brcond, TY, 0, 2, 2, a.idx, b.idx, cond, l);                             \
    }                                                                                 \
    BUILD_UNARY(ext8s, sfx, T, TY)                                                    \
    BUILD_UNARY(ext8u, sfx, T, TY)                                                    \
    BUILD_UNARY(ext16s, sfx, T, TY)                                                   \
    BUILD_UNARY(ext16u, sfx, T, TY)                                                   \
    void ir_deposit_##sfx(IRContext *c, T d, T a, T b, unsigned pos, unsigned len)    \
    {                                                                                 \
        EMIT(deposit, TY, 1, 2, 2, d.idx, a.idx, b.idx, pos, len);                    \
    }                                                                                 \
    void ir_extract_##sfx(IRContext *c, T d, T a, unsigned pos, unsigned len)         \
    {                                                                                 \
        EMIT(extract, TY, 1, 1, 2, d.idx, a.idx, pos, len);                           \
    }                                                                                 \
    void ir_sextract_##sfx(IRContext *c, T d, T a, unsigned pos, unsigned len)        \
    {                                                                                 \
        EMIT(sextract, TY, 1, 1, 2, d.idx, a.idx, pos, len);                          \
    }                                                                                 \
    BUILD_UNARY(bswap16, sfx, T, TY)                                                  \
    BUILD_UNARY(bswap32, sfx, T, TY)                                                  \
    BUILD_BINARY(clz, sfx, T, TY)                                                     \
    BUILD_BINARY(ctz, sfx, T, TY)                                                     \
    BUILD_UNARY(ctpop, sfx, T, TY)                                                    \
    BUILD_LD(ld8u, sfx, T, TY)                                                        \
    BUILD_LD(ld8s, sfx, T, TY)                                                        \
    BUILD_LD(ld16u, sfx, T, TY)                                                       \
    BUILD_LD(ld16s, sfx, T, TY)                                                       \
    BUILD_LD(ld, sfx, T, TY)                                                          \
    BUILD_ST(st8, sfx, T, TY)                                                         \
    BUILD_ST(st16, sfx, T, TY)                                                        \
    BUILD_ST(st, sfx, T, TY)                                                          \
    void ir_guest_ld_##sfx(IRContext *c, T d, IRv64 addr, MemOp mop, unsigned mmu)    \
    {                                                                                 \
        IRv64 a = mem_hook_addr(c, addr);                                             \
        EMIT(guest_ld, TY, 1, 1, 2, d.idx, addr.idx, mop, mmu);                       \
        mem_hook_call(c, a, mop, mmu, IR_MEM_HOOK_LOAD);                              \
    }                                                                                 \
    void ir_guest_st_##sfx(IRContext *c, T v, IRv64 addr, MemOp mop, unsigned mmu)    \
    {                                                                                 \
        IRv64 a = mem_hook_addr(c, addr);                                             \
        EMIT(guest_st, TY, 0, 2, 2, v.idx, addr.idx, mop, mmu);                       \
        mem_hook_call(c, a, mop, mmu, IR_MEM_HOOK_STORE);                             \
    }                                                                                 \
    void ir_atomic_cmpxchg_##sfx(IRContext *c, T old, IRv64 addr, T expected, T nv,   \
                                 MemOp mop, unsigned mmu)                             \
    {                                                                                 \
        IRv64 a = mem_hook_addr(c, addr);                                             \
        EMIT(atomic_cmpxchg, TY, 1, 3, 2, old.idx, addr.idx, expected.idx, nv.idx,   \
             mop, mmu);                                                               \
        mem_hook_call(c, a, mop, mmu, IR_MEM_HOOK_LOAD | IR_MEM_HOOK_STORE);          \
    }                                                                                 \
    void ir_atomic_rmw_##sfx(IRContext *c, IRAtomicOp aop, T old, IRv64 addr, T v,    \
                             MemOp mop, unsigned mmu)                                 \
    {                                                                                 \
        IRv64 a = mem_hook_addr(c, addr);                                             \
        EMIT(atomic_rmw, TY, 1, 2, 3, old.idx, addr.idx, v.idx, mop, mmu, aop);       \
        mem_hook_call(c, a, mop, mmu, IR_MEM_HOOK_LOAD | IR_MEM_HOOK_STORE);          \
    }

/* The immediate forms take int64_t; an i32 constant keeps the low half. */
static IRv32 imm_i32(IRContext *c, int64_t v)
{
    return ir_const_i32(c, (int32_t)(uint32_t)v);
}

static IRv64 imm_i64(IRContext *c, int64_t v)
{
    return ir_const_i64(c, v);
}

BUILD_ALL(i32, IRv32, IR_TYPE_I32)
BUILD_ALL(i64, IRv64, IR_TYPE_I64)

BUILD_UNARY(ext32s, i64, IRv64, IR_TYPE_I64)
BUILD_UNARY(ext32u, i64, IRv64, IR_TYPE_I64)
BUILD_UNARY(bswap64, i64, IRv64, IR_TYPE_I64)
BUILD_LD(ld32u, i64, IRv64, IR_TYPE_I64)
BUILD_LD(ld32s, i64, IRv64, IR_TYPE_I64)
BUILD_ST(st32, i64, IRv64, IR_TYPE_I64)

/* The width-changing ops are untyped; op->type records the output's type. */
void ir_ext_i32_i64(IRContext *c, IRv64 d, IRv32 a)
{
    EMIT(ext_i32_i64, IR_TYPE_I64, 1, 1, 0, d.idx, a.idx);
}

void ir_extu_i32_i64(IRContext *c, IRv64 d, IRv32 a)
{
    EMIT(extu_i32_i64, IR_TYPE_I64, 1, 1, 0, d.idx, a.idx);
}

void ir_extrl_i64_i32(IRContext *c, IRv32 d, IRv64 a)
{
    EMIT(extrl_i64_i32, IR_TYPE_I32, 1, 1, 0, d.idx, a.idx);
}

void ir_extrh_i64_i32(IRContext *c, IRv32 d, IRv64 a)
{
    EMIT(extrh_i64_i32, IR_TYPE_I32, 1, 1, 0, d.idx, a.idx);
}

void ir_set_label(IRContext *c, IRLabel l)
{
    EMIT(set_label, IR_TYPE_I64, 0, 0, 1, l);
}

void ir_br(IRContext *c, IRLabel l)
{
    EMIT(br, IR_TYPE_I64, 0, 0, 1, l);
}

void ir_insn_start(IRContext *c, uint64_t pc, uint64_t word1, uint64_t word2)
{
    EMIT(insn_start, IR_TYPE_I64, 0, 0, 3, pc, word1, word2);
}

void ir_goto_tb(IRContext *c, unsigned slot)
{
    EMIT(goto_tb, IR_TYPE_I64, 0, 0, 1, slot);
}

void ir_exit_tb(IRContext *c, uint64_t value)
{
    EMIT(exit_tb, IR_TYPE_I64, 0, 0, 1, value);
}

void ir_goto_ptr(IRContext *c, IRv64 host_code)
{
    EMIT(goto_ptr, IR_TYPE_I64, 0, 1, 0, host_code.idx);
}

void ir_mb(IRContext *c, IRBarrier kind)
{
    EMIT(mb, IR_TYPE_I64, 0, 0, 1, kind);
}

void ir_call(IRContext *c, const IRHelperInfo *info, const IRTempIdx *ret,
             const IRTempIdx *args)
{
    uint64_t a[IR_MAX_ARGS];
    unsigned n = 0;

    g_assert(info->nargs <= IR_MAX_HELPER_ARGS);
    g_assert((ret != NULL) == info->has_ret);
    if (ret) {
        a[n++] = *ret;
    }
    for (unsigned i = 0; i < info->nargs; i++) {
        a[n++] = args[i];
    }
    a[n++] = (uint64_t)(uintptr_t)info;
    ir_emit(c, IR_OP_call, info->has_ret ? info->ret_type : IR_TYPE_I64, a,
            ret != NULL, info->nargs, 1);
}

/* ---- dump ---- */

static const char *const cond_names[IR_COND_COUNT] = {
    [IR_COND_NEVER] = "never", [IR_COND_ALWAYS] = "always",
    [IR_COND_EQ] = "eq", [IR_COND_NE] = "ne",
    [IR_COND_LT] = "lt", [IR_COND_GE] = "ge", [IR_COND_LE] = "le", [IR_COND_GT] = "gt",
    [IR_COND_LTU] = "ltu", [IR_COND_GEU] = "geu", [IR_COND_LEU] = "leu", [IR_COND_GTU] = "gtu",
    [IR_COND_TSTEQ] = "tsteq", [IR_COND_TSTNE] = "tstne",
};

static const char *const atomic_names[] = {
    [IR_ATOMIC_XCHG] = "xchg", [IR_ATOMIC_ADD] = "add", [IR_ATOMIC_AND] = "and",
    [IR_ATOMIC_OR] = "or", [IR_ATOMIC_XOR] = "xor",
    [IR_ATOMIC_SMIN] = "smin", [IR_ATOMIC_SMAX] = "smax",
    [IR_ATOMIC_UMIN] = "umin", [IR_ATOMIC_UMAX] = "umax",
};

static const char *const barrier_names[] = { "ld_ld", "st_ld", "ld_st", "st_st" };

/* The dump must cope with broken ops too: the validator prints them. */
static void dump_temp(GString *s, IRContext *ctx, uint64_t idx)
{
    const IRTemp *t;

    if (idx >= ctx->temps->len) {
        g_string_append_printf(s, "?%" PRIu64, idx);
        return;
    }
    t = ir_temp(ctx, idx);
    switch (t->kind) {
    case IR_TEMP_ENV:
        g_string_append(s, "env");
        break;
    case IR_TEMP_GLOBAL:
        g_string_append(s, t->name ? t->name : "?global");
        break;
    case IR_TEMP_TB:
        g_string_append_printf(s, "tb%" PRIu64, idx);
        break;
    case IR_TEMP_BB:
        g_string_append_printf(s, "t%" PRIu64, idx);
        break;
    case IR_TEMP_CONST:
        if (t->type == IR_TYPE_I32) {
            g_string_append_printf(s, "$0x%" PRIx32, (uint32_t)t->val);
        } else {
            g_string_append_printf(s, "$0x%" PRIx64, (uint64_t)t->val);
        }
        break;
    default:
        g_string_append_printf(s, "?kind%u:%" PRIu64, (unsigned)t->kind, idx);
        break;
    }
}

static void dump_cond(GString *s, uint64_t c)
{
    if (c < IR_COND_COUNT) {
        g_string_append(s, cond_names[c]);
    } else {
        g_string_append_printf(s, "cond%" PRIu64, c);
    }
}

static void dump_memop(GString *s, uint64_t mop, bool is_load, IRType type)
{
    static const char size_letters[] = "bwlq";
    unsigned size = mop & MO_SIZE;
    unsigned width = type == IR_TYPE_I32 ? MO_32 : MO_64;

    if (mop & MO_BE) {
        g_string_append(s, "be");
    } else if (size != MO_8) {
        g_string_append(s, "le");
    }
    if (mop & MO_SIGN) {
        g_string_append_c(s, 's');
    } else if (is_load && size < width) {
        g_string_append_c(s, 'u');
    }
    g_string_append_c(s, size_letters[size]);
    if (mop & MO_ALIGN) {
        g_string_append(s, "+al");
    }
    if (mop & ~(uint64_t)(MO_SIZE | MO_SIGN | MO_BE | MO_ALIGN)) {
        g_string_append_printf(s, "+0x%" PRIx64,
                               mop & ~(uint64_t)(MO_SIZE | MO_SIGN | MO_BE | MO_ALIGN));
    }
}

static void dump_barrier(GString *s, uint64_t bits)
{
    const char *sep = "";

    if (bits == IR_MB_ALL) {
        g_string_append(s, "all");
        return;
    }
    if (bits == 0) {
        g_string_append(s, "none");
        return;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(barrier_names); i++) {
        if (bits & (1u << i)) {
            g_string_append_printf(s, "%s%s", sep, barrier_names[i]);
            sep = "|";
        }
    }
    if (bits & ~(uint64_t)IR_MB_ALL) {
        g_string_append_printf(s, "%s0x%" PRIx64, sep, bits & ~(uint64_t)IR_MB_ALL);
    }
}

/* The constant arguments of op (those of a well-formed op of its opcode). */
static void dump_consts(GString *s, IRContext *ctx, const IROp *op, const uint64_t *c)
{
    switch (op->opc) {
    case IR_OP_set_label:
    case IR_OP_br:
        g_string_append_printf(s, "L%" PRIu64, c[0]);
        break;
    case IR_OP_brcond:
        dump_cond(s, c[0]);
        g_string_append_printf(s, ", L%" PRIu64, c[1]);
        break;
    case IR_OP_setcond:
    case IR_OP_movcond:
        dump_cond(s, c[0]);
        break;
    case IR_OP_goto_tb:
        g_string_append_printf(s, "%" PRIu64, c[0]);
        break;
    case IR_OP_mb:
        dump_barrier(s, c[0]);
        break;
    case IR_OP_deposit:
    case IR_OP_extract:
    case IR_OP_sextract:
        g_string_append_printf(s, "%" PRIu64 ", %" PRIu64, c[0], c[1]);
        break;
    case IR_OP_ld8u: case IR_OP_ld8s: case IR_OP_ld16u: case IR_OP_ld16s:
    case IR_OP_ld32u: case IR_OP_ld32s: case IR_OP_ld:
    case IR_OP_st8: case IR_OP_st16: case IR_OP_st32: case IR_OP_st:
        g_string_append_printf(s, "%" PRId64, (int64_t)c[0]);
        break;
    case IR_OP_guest_ld:
    case IR_OP_guest_st:
    case IR_OP_atomic_cmpxchg:
    case IR_OP_atomic_rmw:
        dump_memop(s, c[0], op->opc == IR_OP_guest_ld, op->type);
        g_string_append_printf(s, ", mmu%" PRIu64, c[1]);
        if (op->opc == IR_OP_atomic_rmw) {
            if (c[2] < G_N_ELEMENTS(atomic_names)) {
                g_string_append_printf(s, ", %s", atomic_names[c[2]]);
            } else {
                g_string_append_printf(s, ", atomic%" PRIu64, c[2]);
            }
        }
        break;
    default:
        for (unsigned i = 0; i < op->nb_cargs; i++) {
            g_string_append_printf(s, "%s0x%" PRIx64, i ? ", " : "", c[i]);
        }
        break;
    }
}

static void dump_call(GString *s, IRContext *ctx, const IROp *op)
{
    const uint64_t *a = op->args;
    const IRHelperInfo *info = (const IRHelperInfo *)(uintptr_t)a[op->nb_oargs + op->nb_iargs];

    g_string_append(s, "call ");
    if (!info) {
        g_string_append(s, "(null)");
    } else if (info->name) {
        g_string_append_printf(s, "%s, 0x%x", info->name, info->flags);
    } else {
        g_string_append_printf(s, "%p, 0x%x", info->func, info->flags);
    }
    g_string_append(s, ", ");
    for (unsigned i = 0; i < op->nb_oargs; i++) {
        if (i) {
            g_string_append(s, ", ");
        }
        dump_temp(s, ctx, a[i]);
    }
    if (op->nb_oargs) {
        g_string_append(s, op->nb_iargs ? " <- " : " <-");
    }
    for (unsigned i = 0; i < op->nb_iargs; i++) {
        if (i) {
            g_string_append(s, ", ");
        }
        dump_temp(s, ctx, a[op->nb_oargs + i]);
    }
}

char *ir_op_to_string(IRContext *ctx, const IROp *op)
{
    GString *s = g_string_new(NULL);
    unsigned nt = op->nb_oargs + op->nb_iargs;
    const IROpDef *def;
    const char *sep = " ";

    if (nt + op->nb_cargs > IR_MAX_ARGS) {
        g_string_append_printf(s, "op%u with %u+%u+%u arguments", (unsigned)op->opc,
                               op->nb_oargs, op->nb_iargs, op->nb_cargs);
        return g_string_free(s, FALSE);
    }
    if ((unsigned)op->opc >= IR_OP_COUNT) {
        g_string_append_printf(s, "op%u", (unsigned)op->opc);
        for (unsigned i = 0; i < nt + op->nb_cargs; i++) {
            g_string_append_printf(s, "%s0x%" PRIx64, sep, op->args[i]);
            sep = ", ";
        }
        return g_string_free(s, FALSE);
    }
    def = &ir_op_defs[op->opc];
    if (op->opc == IR_OP_insn_start && op->nb_cargs == 3) {
        g_string_append_printf(s, " ---- 0x%016" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64,
                               op->args[0], op->args[1], op->args[2]);
        return g_string_free(s, FALSE);
    }
    if (op->opc == IR_OP_call && op->nb_cargs == 1 && op->nb_oargs <= 1) {
        dump_call(s, ctx, op);
        return g_string_free(s, FALSE);
    }
    g_string_append(s, def->name);
    if (def->flags & IR_OPF_TYPED) {
        g_string_append(s, op->type == IR_TYPE_I32 ? "_i32" :
                           op->type == IR_TYPE_I64 ? "_i64" : "_i?");
    }
    for (unsigned i = 0; i < nt; i++) {
        g_string_append(s, sep);
        dump_temp(s, ctx, op->args[i]);
        sep = ", ";
    }
    if (op->nb_cargs) {
        g_string_append(s, sep);
        if (op->nb_cargs == def->nb_cargs) {
            dump_consts(s, ctx, op, op->args + nt);
        } else {
            for (unsigned i = 0; i < op->nb_cargs; i++) {
                g_string_append_printf(s, "%s0x%" PRIx64, i ? ", " : "", op->args[nt + i]);
            }
        }
    }
    return g_string_free(s, FALSE);
}

void ir_dump(IRContext *ctx, FILE *out)
{
    g_autofree char *text = ir_dump_to_string(ctx);

    fputs(text, out);
}

char *ir_dump_to_string(IRContext *ctx)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < ir_op_count(ctx); i++) {
        g_autofree char *line = ir_op_to_string(ctx, ir_op(ctx, i));

        g_string_append_printf(s, "%s\n", line);
    }
    return g_string_free(s, FALSE);
}
