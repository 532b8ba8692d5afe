/*
 * The semantics of every value-computing IR op, on every backend,
 * unoptimized and optimized, against references computed here in C:
 * arithmetic, logic, shifts and rotates (counts modulo the width), the
 * total division rules, bit counts with their zero value, byte swaps,
 * extensions and conversions between the types, every condition of
 * setcond/movcond/brcond, and deposit/extract/sextract at every position.
 *
 * Operands come from globals, from temps and from constants (so that the
 * optimizer folds them); i32 operands are produced by extrl_i64_i32 and
 * host loads next to junk, so an op that looks past the low 32 bits fails.
 * Memory, calls and control flow are in test-ir-exec.c.
 */
#include <string.h>

#include "ir-harness.h"

#define V32(i) ((IRv32){ (i) })
#define V64(i) ((IRv64){ (i) })

static IRTestEnv *env;

/* Edge values (as i32 their low halves), then fixed pseudo-random ones. */
static const uint64_t edge_values[] = {
    0, 1, 2, 3, 7, 0x1f, 0x20, 0x21, 0x3f, 0x40, 0x41, 0x7f, 0x80, 0xff, 0x100,
    0x7fff, 0x8000, 0xffff, 0x10000,
    0x7fffffff, 0x80000000, 0x80000001, 0xffffffff, 0x100000000,
    0x7fffffffffffffffull, 0x8000000000000000ull, 0x8000000000000001ull,
    0xfffffffffffffffeull, 0xffffffffffffffffull, 0xffffffff80000000ull,
    0x00000000fffffffeull, 0xffffffff7fffffffull,
};
#define NB_RANDOM 8
#define NB_VALUES (G_N_ELEMENTS(edge_values) + NB_RANDOM)
static uint64_t values[NB_VALUES];

/* Junk for the high half of an i32 operand's source. */
static uint64_t junk(unsigned k)
{
    return ((uint64_t)(0x9e3779b9u * (k + 1)) << 32);
}

static void init_values(void)
{
    GRand *rand = g_rand_new_with_seed(0x1234);

    memcpy(values, edge_values, sizeof(edge_values));
    for (unsigned k = 0; k < NB_RANDOM; k++) {
        values[G_N_ELEMENTS(edge_values) + k] =
            ((uint64_t)g_rand_int(rand) << 32) | g_rand_int(rand);
    }
    g_rand_free(rand);
}

/* ---- the ops under test and their C references ---- */

typedef enum {
    T_ADD, T_SUB, T_MUL, T_MULSH, T_MULUH, T_DIV, T_DIVU, T_REM, T_REMU,
    T_AND, T_OR, T_XOR, T_ANDC, T_ORC, T_SHL, T_SHR, T_SAR, T_ROTL, T_ROTR,
    T_CLZ, T_CTZ,
    T_FIRST_UNARY,
    T_MOV = T_FIRST_UNARY, T_NEG, T_NOT, T_EXT8S, T_EXT8U, T_EXT16S, T_EXT16U,
    T_BSWAP16, T_BSWAP32, T_CTPOP,
    T_FIRST_64_ONLY,
    T_EXT32S = T_FIRST_64_ONLY, T_EXT32U, T_BSWAP64,
    T_COUNT
} TestOp;

static const char *const test_op_names[T_COUNT] = {
    "add", "sub", "mul", "mulsh", "muluh", "div", "divu", "rem", "remu",
    "and", "or", "xor", "andc", "orc", "shl", "shr", "sar", "rotl", "rotr",
    "clz", "ctz",
    "mov", "neg", "not", "ext8s", "ext8u", "ext16s", "ext16u",
    "bswap16", "bswap32", "ctpop",
    "ext32s", "ext32u", "bswap64",
};

static uint64_t trunc_to(uint64_t v, unsigned bits)
{
    return bits == 64 ? v : (uint32_t)v;
}

static int64_t signed_at(uint64_t v, unsigned bits)
{
    return bits == 64 ? (int64_t)v : (int32_t)v;
}

static uint64_t count_leading(uint64_t a, unsigned bits)
{
    unsigned n = 0;

    while (n < bits && !(a & (1ull << (bits - 1 - n)))) {
        n++;
    }
    return n;
}

static uint64_t count_trailing(uint64_t a, unsigned bits)
{
    unsigned n = 0;

    while (n < bits && !(a & (1ull << n))) {
        n++;
    }
    return n;
}

static uint64_t swap_bytes(uint64_t a, unsigned nbytes)
{
    uint64_t r = 0;

    for (unsigned k = 0; k < nbytes; k++) {
        r |= ((a >> (8 * k)) & 0xff) << (8 * (nbytes - 1 - k));
    }
    return r;
}

static uint64_t ref_op(TestOp op, unsigned bits, uint64_t a, uint64_t b)
{
    int64_t sa, sb, min = bits == 64 ? INT64_MIN : INT32_MIN;
    unsigned n;
    uint64_t r = 0;

    a = trunc_to(a, bits);
    b = trunc_to(b, bits);
    sa = signed_at(a, bits);
    sb = signed_at(b, bits);
    n = b % bits;
    switch (op) {
    case T_ADD: r = a + b; break;
    case T_SUB: r = a - b; break;
    case T_MUL: r = a * b; break;
    case T_MULSH:
        r = bits == 64 ? (uint64_t)(((__int128)sa * sb) >> 64)
                       : (uint64_t)((sa * sb) >> 32);
        break;
    case T_MULUH:
        r = bits == 64 ? (uint64_t)(((unsigned __int128)a * b) >> 64) : (a * b) >> 32;
        break;
    case T_DIV: r = b == 0 ? UINT64_MAX : (sa == min && sb == -1) ? (uint64_t)min
                                                                   : (uint64_t)(sa / sb);
        break;
    case T_DIVU: r = b == 0 ? UINT64_MAX : a / b; break;
    case T_REM: r = b == 0 ? a : (sa == min && sb == -1) ? 0 : (uint64_t)(sa % sb); break;
    case T_REMU: r = b == 0 ? a : a % b; break;
    case T_AND: r = a & b; break;
    case T_OR: r = a | b; break;
    case T_XOR: r = a ^ b; break;
    case T_ANDC: r = a & ~b; break;
    case T_ORC: r = a | ~b; break;
    case T_SHL: r = a << n; break;
    case T_SHR: r = a >> n; break;
    case T_SAR: r = (uint64_t)(sa >> n); break;
    case T_ROTL: r = n ? (a << n) | (a >> (bits - n)) : a; break;
    case T_ROTR: r = n ? (a >> n) | (a << (bits - n)) : a; break;
    case T_CLZ: r = a ? count_leading(a, bits) : b; break;
    case T_CTZ: r = a ? count_trailing(a, bits) : b; break;
    case T_MOV: r = a; break;
    case T_NEG: r = 0 - a; break;
    case T_NOT: r = ~a; break;
    case T_EXT8S: r = (uint64_t)(int64_t)(int8_t)a; break;
    case T_EXT8U: r = a & 0xff; break;
    case T_EXT16S: r = (uint64_t)(int64_t)(int16_t)a; break;
    case T_EXT16U: r = a & 0xffff; break;
    case T_EXT32S: r = (uint64_t)(int64_t)(int32_t)a; break;
    case T_EXT32U: r = a & 0xffffffff; break;
    case T_BSWAP16: r = swap_bytes(a & 0xffff, 2); break;
    case T_BSWAP32: r = swap_bytes(a & 0xffffffff, 4); break;
    case T_BSWAP64: r = swap_bytes(a, 8); break;
    case T_CTPOP:
        for (unsigned k = 0; k < bits; k++) {
            r += (a >> k) & 1;
        }
        break;
    default:
        g_assert_not_reached();
    }
    return trunc_to(r, bits);
}

/* Emits d = op(a, b) on temp indices (b unused by unary ops). */
static void emit_op(IRContext *c, TestOp op, bool is64, IRTempIdx d, IRTempIdx a,
                    IRTempIdx b)
{
#define BIN(OP, name) \
    case OP: \
        if (is64) { ir_##name##_i64(c, V64(d), V64(a), V64(b)); } \
        else { ir_##name##_i32(c, V32(d), V32(a), V32(b)); } \
        break;
#define UN(OP, name) \
    case OP: \
        if (is64) { ir_##name##_i64(c, V64(d), V64(a)); } \
        else { ir_##name##_i32(c, V32(d), V32(a)); } \
        break;
    switch (op) {
    BIN(T_ADD, add) BIN(T_SUB, sub) BIN(T_MUL, mul) BIN(T_MULSH, mulsh)
    BIN(T_MULUH, muluh) BIN(T_DIV, div) BIN(T_DIVU, divu) BIN(T_REM, rem)
    BIN(T_REMU, remu) BIN(T_AND, and) BIN(T_OR, or) BIN(T_XOR, xor)
    BIN(T_ANDC, andc) BIN(T_ORC, orc) BIN(T_SHL, shl) BIN(T_SHR, shr)
    BIN(T_SAR, sar) BIN(T_ROTL, rotl) BIN(T_ROTR, rotr) BIN(T_CLZ, clz)
    BIN(T_CTZ, ctz)
    UN(T_MOV, mov) UN(T_NEG, neg) UN(T_NOT, not) UN(T_EXT8S, ext8s)
    UN(T_EXT8U, ext8u) UN(T_EXT16S, ext16s) UN(T_EXT16U, ext16u)
    UN(T_BSWAP16, bswap16) UN(T_BSWAP32, bswap32) UN(T_CTPOP, ctpop)
    case T_EXT32S: ir_ext32s_i64(c, V64(d), V64(a)); break;
    case T_EXT32U: ir_ext32u_i64(c, V64(d), V64(a)); break;
    case T_BSWAP64: ir_bswap64_i64(c, V64(d), V64(a)); break;
    default:
        g_assert_not_reached();
    }
#undef BIN
#undef UN
}

static bool is_unary(TestOp op)
{
    return op >= T_FIRST_UNARY;
}

/*
 * Where i32 operands come from: a = extrl(r0) (r0's high half is junk),
 * b = ld_i32 of scratch[8] (scratch[12] is junk).
 */
#define SCR_B (IRT_OFS_SCRATCH + 8)

static IRv32 i32_from_r(IRTestEnv *t, unsigned k)
{
    IRv32 v = ir_temp_new_i32(t->ctx);

    ir_extrl_i64_i32(t->ctx, v, t->r[k]);
    return v;
}

static IRv32 i32_from_scratch(IRTestEnv *t)
{
    IRv32 v = ir_temp_new_i32(t->ctx);

    ir_ld_i32(t->ctx, v, t->env, SCR_B);
    return v;
}

static void set_i32_sources(IRTestState *s, uint64_t a, uint64_t b, unsigned k)
{
    uint32_t j = junk(k + 7) >> 32;

    s->r[0] = (uint32_t)a | junk(k);
    s->r[1] = (uint32_t)b | junk(k + 3);
    memcpy(s->scratch + 8, &(uint32_t){ b }, 4);
    memcpy(s->scratch + 12, &j, 4);
}

/* ---- operands in registers: one translation, every pair of values ---- */

typedef struct OpCase {
    TestOp op;
    bool is64;
    uint64_t k;              /* the constant, in constant cases */
} OpCase;

static unsigned nb_pairs(TestOp op)
{
    return is_unary(op) ? NB_VALUES : NB_VALUES * NB_VALUES;
}

static void pair_of(TestOp op, unsigned input, uint64_t *a, uint64_t *b)
{
    *a = values[input % NB_VALUES];
    *b = is_unary(op) ? 0 : values[input / NB_VALUES];
}

static void build_reg(IRTestEnv *t, unsigned tb, void *opaque)
{
    const OpCase *oc = opaque;
    IRContext *c = t->ctx;

    if (oc->is64) {
        IRv64 tmp = ir_temp_new_i64(c), tbt = ir_temp_tb_i64(c);

        emit_op(c, oc->op, true, t->r[2].idx, t->r[0].idx, t->r[1].idx);
        /* the output aliasing either input */
        ir_mov_i64(c, t->r[3], t->r[0]);
        emit_op(c, oc->op, true, t->r[3].idx, t->r[3].idx, t->r[1].idx);
        ir_mov_i64(c, t->r[4], t->r[1]);
        emit_op(c, oc->op, true, t->r[4].idx, t->r[0].idx, t->r[4].idx);
        emit_op(c, oc->op, true, tmp.idx, t->r[0].idx, t->r[1].idx);
        ir_mov_i64(c, t->r[5], tmp);
        emit_op(c, oc->op, true, tbt.idx, t->r[0].idx, t->r[1].idx);
        ir_mov_i64(c, t->r[6], tbt);
        /* both inputs the same temp */
        emit_op(c, oc->op, true, t->r[7].idx, t->r[0].idx, t->r[0].idx);
    } else {
        IRv32 a = i32_from_r(t, 0), b = i32_from_scratch(t), tmp = ir_temp_new_i32(c);

        emit_op(c, oc->op, false, tmp.idx, a.idx, b.idx);
        ir_extu_i32_i64(c, t->r[2], tmp);
        ir_ext_i32_i64(c, t->r[3], tmp);
        emit_op(c, oc->op, false, t->w[0].idx, a.idx, b.idx);
        ir_mov_i32(c, t->w[1], a);
        emit_op(c, oc->op, false, t->w[1].idx, t->w[1].idx, b.idx);
        ir_mov_i32(c, t->w[2], b);
        emit_op(c, oc->op, false, t->w[2].idx, a.idx, t->w[2].idx);
        emit_op(c, oc->op, false, t->w[3].idx, a.idx, a.idx);
        /* the second operand from a high half */
        b = ir_temp_new_i32(c);
        ir_extrh_i64_i32(c, b, t->r[4]);
        emit_op(c, oc->op, false, t->w[4].idx, a.idx, b.idx);
    }
    ir_exit_tb(c, 0);
}

static void setup_reg(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    const OpCase *oc = opaque;
    uint64_t a, b;

    pair_of(oc->op, input, &a, &b);
    if (oc->is64) {
        s->r[0] = a;
        s->r[1] = b;
    } else {
        set_i32_sources(s, a, b, input);
        s->r[4] = (b << 32) | (uint32_t)~b;
    }
}

static void check_reg(const IRTestResult *r, unsigned input, void *opaque)
{
    const OpCase *oc = opaque;
    unsigned bits = oc->is64 ? 64 : 32;
    uint64_t a, b, want;

    pair_of(oc->op, input, &a, &b);
    want = ref_op(oc->op, bits, a, b);
    g_assert_false(r->raised);
    if (oc->is64) {
        for (unsigned k = 2; k <= 6; k++) {
            if (r->state.r[k] != want) {
                g_test_message("%s_i64(0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER
                               "x): r%u", test_op_names[oc->op], a, b, k);
            }
            g_assert_cmphex(r->state.r[k], ==, want);
        }
        g_assert_cmphex(r->state.r[7], ==, ref_op(oc->op, bits, a, a));
    } else {
        if (r->state.r[2] != want) {
            g_test_message("%s_i32(0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x)",
                           test_op_names[oc->op], a, b);
        }
        g_assert_cmphex(r->state.r[2], ==, want);
        g_assert_cmphex(r->state.r[3], ==, (uint64_t)(int32_t)want);
        g_assert_cmphex(r->state.w[0], ==, want);
        g_assert_cmphex(r->state.w[1], ==, want);
        g_assert_cmphex(r->state.w[2], ==, want);
        g_assert_cmphex(r->state.w[3], ==, ref_op(oc->op, bits, a, a));
        g_assert_cmphex(r->state.w[4], ==, want);
    }
}

/* ---- constant operands: the optimizer folds, backends use immediates ---- */

/* r2 = op(r0, k), r3 = op(k, r0), scratch[8j] = op(k, values[j]). */
static void build_const(IRTestEnv *t, unsigned tb, void *opaque)
{
    const OpCase *oc = opaque;
    IRContext *c = t->ctx;

    if (oc->is64) {
        IRv64 k = ir_const_i64(c, oc->k);

        emit_op(c, oc->op, true, t->r[2].idx, t->r[0].idx, k.idx);
        emit_op(c, oc->op, true, t->r[3].idx, k.idx, t->r[0].idx);
        for (unsigned j = 0; j < NB_VALUES; j++) {
            IRv64 v = ir_temp_new_i64(c);

            IRv64 vj = ir_const_i64(c, values[j]);

            if (is_unary(oc->op)) {
                emit_op(c, oc->op, true, v.idx, vj.idx, vj.idx);
            } else {
                emit_op(c, oc->op, true, v.idx, k.idx, vj.idx);
            }
            ir_st_i64(c, v, t->env, IRT_OFS_SCRATCH + 16 + 8 * j);
        }
    } else {
        IRv32 k = ir_const_i32(c, (int32_t)(uint32_t)oc->k), a = i32_from_r(t, 0);
        IRv32 x = ir_temp_new_i32(c), y = ir_temp_new_i32(c);

        emit_op(c, oc->op, false, x.idx, a.idx, k.idx);
        ir_extu_i32_i64(c, t->r[2], x);
        emit_op(c, oc->op, false, y.idx, k.idx, a.idx);
        ir_extu_i32_i64(c, t->r[3], y);
        for (unsigned j = 0; j < NB_VALUES; j++) {
            IRv32 v = ir_temp_new_i32(c);

            IRv32 vj = ir_const_i32(c, (int32_t)(uint32_t)values[j]);

            if (is_unary(oc->op)) {
                emit_op(c, oc->op, false, v.idx, vj.idx, vj.idx);
            } else {
                emit_op(c, oc->op, false, v.idx, k.idx, vj.idx);
            }
            ir_st_i32(c, v, t->env, IRT_OFS_SCRATCH + 16 + 8 * j);
        }
    }
    ir_exit_tb(c, 0);
}

static void setup_const(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    const OpCase *oc = opaque;

    s->r[0] = oc->is64 ? values[input] : ((uint32_t)values[input] | junk(input));
}

static void check_const(const IRTestResult *r, unsigned input, void *opaque)
{
    const OpCase *oc = opaque;
    unsigned bits = oc->is64 ? 64 : 32;
    uint64_t v = values[input];

    g_assert_cmphex(r->state.r[2], ==, ref_op(oc->op, bits, v, oc->k));
    g_assert_cmphex(r->state.r[3], ==, ref_op(oc->op, bits, oc->k, v));
    if (input == 0) {
        for (unsigned j = 0; j < NB_VALUES; j++) {
            uint64_t got;

            memcpy(&got, r->state.scratch + 16 + 8 * j, 8);
            uint64_t want = is_unary(oc->op) ? ref_op(oc->op, bits, values[j], 0)
                                             : ref_op(oc->op, bits, oc->k, values[j]);

            g_assert_cmphex(got, ==, want);
        }
    }
}

static void test_op(gconstpointer data)
{
    unsigned id = GPOINTER_TO_UINT(data);
    OpCase oc = { .op = id >> 1, .is64 = id & 1 };
    IRTestCase tc = {
        .name = test_op_names[oc.op], .build = build_reg, .setup = setup_reg,
        .check = check_reg, .opaque = &oc, .nb_inputs = nb_pairs(oc.op),
    };

    irt_run(env, &tc);
    tc = (IRTestCase){
        .name = test_op_names[oc.op], .build = build_const, .setup = setup_const,
        .check = check_const, .opaque = &oc, .nb_inputs = NB_VALUES,
    };
    for (unsigned k = 0; k < (is_unary(oc.op) ? 1 : NB_VALUES); k++) {
        oc.k = values[k];
        irt_run(env, &tc);
    }
}

/* ---- conditions ---- */

static const uint64_t cond_values[] = {
    0, 1, 2, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0x80000001, 0xffffffff,
    0x100000000, 0x7fffffffffffffffull, 0x8000000000000000ull, 0x8000000000000001ull,
    0xfffffffffffffffeull, 0xffffffffffffffffull, 0xffffffff80000000ull,
    0xffffffff7fffffffull, 0x5a5a5a5a00000001ull, 0x00000001a5a5a5a5ull,
};
#define NB_COND_VALUES G_N_ELEMENTS(cond_values)

static const char *const cond_names[IR_COND_COUNT] = {
    "never", "always", "eq", "ne", "lt", "ge", "le", "gt",
    "ltu", "geu", "leu", "gtu", "tsteq", "tstne",
};

static bool ref_cond(IRCond cond, unsigned bits, uint64_t a, uint64_t b)
{
    int64_t sa = signed_at(a, bits), sb = signed_at(b, bits);

    a = trunc_to(a, bits);
    b = trunc_to(b, bits);
    switch (cond) {
    case IR_COND_NEVER: return false;
    case IR_COND_ALWAYS: return true;
    case IR_COND_EQ: return a == b;
    case IR_COND_NE: return !(a == b);
    case IR_COND_LT: return sa < sb;
    case IR_COND_GE: return !(sa < sb);
    case IR_COND_LE: return !(sb < sa);
    case IR_COND_GT: return sb < sa;
    case IR_COND_LTU: return a < b;
    case IR_COND_GEU: return !(a < b);
    case IR_COND_LEU: return !(b < a);
    case IR_COND_GTU: return b < a;
    case IR_COND_TSTEQ: return !(a & b);
    case IR_COND_TSTNE: return !!(a & b);
    default: g_assert_not_reached();
    }
}

typedef struct CondCase {
    IRCond cond;
    bool is64;
    bool with_const;
    uint64_t k;
} CondCase;

#define MOV_A 0x1111111111111111ull
#define MOV_B 0x2222222222222222ull
#define SCR_BRANCH 1024

/* r[k] = v, zero-extending an i32. */
static void put_result(IRTestEnv *t, bool is64, unsigned k, IRTempIdx v)
{
    if (is64) {
        ir_mov_i64(t->ctx, t->r[k], V64(v));
    } else {
        ir_extu_i32_i64(t->ctx, t->r[k], V32(v));
    }
}

static IRTempIdx new_temp(IRTestEnv *t, bool is64)
{
    return is64 ? ir_temp_new_i64(t->ctx).idx : ir_temp_new_i32(t->ctx).idx;
}

static IRTempIdx const_of(IRTestEnv *t, bool is64, uint64_t v)
{
    return is64 ? ir_const_i64(t->ctx, v).idx
                : ir_const_i32(t->ctx, (int32_t)(uint32_t)v).idx;
}

static void emit_setcond(IRContext *c, bool is64, IRCond cond, IRTempIdx d, IRTempIdx a,
                         IRTempIdx b)
{
    if (is64) {
        ir_setcond_i64(c, cond, V64(d), V64(a), V64(b));
    } else {
        ir_setcond_i32(c, cond, V32(d), V32(a), V32(b));
    }
}

static void emit_movcond(IRContext *c, bool is64, IRCond cond, IRTempIdx d, IRTempIdx a,
                         IRTempIdx b, IRTempIdx v1, IRTempIdx v2)
{
    if (is64) {
        ir_movcond_i64(c, cond, V64(d), V64(a), V64(b), V64(v1), V64(v2));
    } else {
        ir_movcond_i32(c, cond, V32(d), V32(a), V32(b), V32(v1), V32(v2));
    }
}

static void emit_brcond(IRContext *c, bool is64, IRCond cond, IRTempIdx a, IRTempIdx b,
                        IRLabel l)
{
    if (is64) {
        ir_brcond_i64(c, cond, V64(a), V64(b), l);
    } else {
        ir_brcond_i32(c, cond, V32(a), V32(b), l);
    }
}

static void build_cond(IRTestEnv *t, unsigned tb, void *opaque)
{
    const CondCase *cc = opaque;
    IRContext *c = t->ctx;
    bool is64 = cc->is64;
    IRTempIdx a, b, x;
    IRLabel taken = ir_label_new(c), done = ir_label_new(c);

    if (is64) {
        a = t->r[0].idx;
        b = cc->with_const ? const_of(t, true, cc->k) : t->r[1].idx;
    } else {
        a = i32_from_r(t, 0).idx;
        b = cc->with_const ? const_of(t, false, cc->k) : i32_from_scratch(t).idx;
    }
    x = new_temp(t, is64);
    emit_setcond(c, is64, cc->cond, x, a, b);
    put_result(t, is64, 2, x);
    x = new_temp(t, is64);
    emit_movcond(c, is64, cc->cond, x, a, b, is64 ? t->r[4].idx : t->w[1].idx,
                 is64 ? t->r[5].idx : t->w[2].idx);
    put_result(t, is64, 3, x);
    x = new_temp(t, is64);
    emit_movcond(c, is64, cc->cond, x, a, b, a, b);
    put_result(t, is64, 6, x);
    x = new_temp(t, is64);
    emit_setcond(c, is64, cc->cond, x, a, a);
    put_result(t, is64, 8, x);
    x = new_temp(t, is64);
    emit_setcond(c, is64, cc->cond, x, b, a);
    put_result(t, is64, 9, x);
    emit_brcond(c, is64, cc->cond, a, b, taken);
    ir_movi_i64(c, t->r[7], 1);
    ir_br(c, done);
    ir_set_label(c, taken);
    ir_movi_i64(c, t->r[7], 2);
    ir_set_label(c, done);

    /* Both operands constant: folded by the optimizer. */
    for (unsigned j = 0; cc->with_const && j < NB_COND_VALUES; j++) {
        IRTempIdx k = const_of(t, is64, cc->k), v = const_of(t, is64, cond_values[j]);
        IRLabel skip = ir_label_new(c);

        x = new_temp(t, is64);
        emit_setcond(c, is64, cc->cond, x, k, v);
        put_result(t, is64, 10, x);
        ir_st_i64(c, t->r[10], t->env, IRT_OFS_SCRATCH + 64 + 8 * j);
        emit_brcond(c, is64, cc->cond, k, v, skip);
        ir_st8_i64(c, ir_const_i64(c, 1), t->env, IRT_OFS_SCRATCH + SCR_BRANCH + j);
        ir_set_label(c, skip);
    }
    ir_exit_tb(c, 0);
}

static void cond_pair(const CondCase *cc, unsigned input, uint64_t *a, uint64_t *b)
{
    *a = cond_values[input % NB_COND_VALUES];
    *b = cc->with_const ? cc->k : cond_values[input / NB_COND_VALUES];
}

static void setup_cond(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    const CondCase *cc = opaque;
    uint64_t a, b;

    cond_pair(cc, input, &a, &b);
    if (cc->is64) {
        s->r[0] = a;
        s->r[1] = b;
    } else {
        set_i32_sources(s, a, b, input);
    }
    s->r[4] = MOV_A;
    s->r[5] = MOV_B;
    s->w[1] = (uint32_t)MOV_A;
    s->w[2] = (uint32_t)MOV_B;
}

static void check_cond(const IRTestResult *r, unsigned input, void *opaque)
{
    const CondCase *cc = opaque;
    unsigned bits = cc->is64 ? 64 : 32;
    uint64_t a, b;
    bool holds;

    cond_pair(cc, input, &a, &b);
    holds = ref_cond(cc->cond, bits, a, b);
    if (r->state.r[2] != holds) {
        g_test_message("%s_i%u(0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x)",
                       cond_names[cc->cond], bits, a, b);
    }
    g_assert_cmpuint(r->state.r[2], ==, holds);
    g_assert_cmphex(r->state.r[3], ==, trunc_to(holds ? MOV_A : MOV_B, bits));
    g_assert_cmphex(r->state.r[6], ==, trunc_to(holds ? a : b, bits));
    g_assert_cmpuint(r->state.r[7], ==, holds ? 2 : 1);
    g_assert_cmpuint(r->state.r[8], ==, ref_cond(cc->cond, bits, a, a));
    g_assert_cmpuint(r->state.r[9], ==, ref_cond(cc->cond, bits, b, a));
    for (unsigned j = 0; cc->with_const && input == 0 && j < NB_COND_VALUES; j++) {
        bool h = ref_cond(cc->cond, bits, cc->k, cond_values[j]);
        uint64_t got;

        memcpy(&got, r->state.scratch + 64 + 8 * j, 8);
        g_assert_cmpuint(got, ==, h);
        g_assert_cmpuint(r->state.scratch[SCR_BRANCH + j], ==, !h);
    }
}

static void test_cond(gconstpointer data)
{
    unsigned id = GPOINTER_TO_UINT(data);
    CondCase cc = { .cond = id >> 1, .is64 = id & 1 };
    IRTestCase tc = {
        .name = cond_names[cc.cond], .build = build_cond, .setup = setup_cond,
        .check = check_cond, .opaque = &cc, .nb_inputs = NB_COND_VALUES * NB_COND_VALUES,
    };

    irt_run(env, &tc);
    cc.with_const = true;
    tc.nb_inputs = NB_COND_VALUES;
    for (unsigned k = 0; k < NB_COND_VALUES; k++) {
        cc.k = cond_values[k];
        irt_run(env, &tc);
    }
}

/* ---- bit fields at every position and length ---- */

typedef enum { F_DEPOSIT, F_EXTRACT, F_SEXTRACT } FieldOp;
static const char *const field_names[] = { "deposit", "extract", "sextract" };

typedef struct FieldCase {
    FieldOp op;
    bool is64;
    unsigned pos;
} FieldCase;

#define FIELD_K1 0xf0e1d2c3b4a59687ull
#define FIELD_K2 0x0123456789abcdefull
/* Result slots in scratch: reg-reg, const-const, reg-const, const-reg. */
#define FIELD_SLOT(set, len) (IRT_OFS_SCRATCH + 64 + 8 * ((set) * 65 + (len)))

static const uint64_t field_values[] = {
    0, 0xffffffffffffffffull, 0x8000000000000000ull, 0x0000000080000000ull,
    0x5555aaaa3333ccccull, 0x0f0f0f0ff0f0f0f0ull, 0x7fffffff7fffffffull,
    0x123456789abcdef0ull,
};
#define NB_FIELD_VALUES G_N_ELEMENTS(field_values)

static uint64_t ref_field(FieldOp op, unsigned bits, uint64_t a, uint64_t b, unsigned pos,
                          unsigned len)
{
    uint64_t mask = len == 64 ? ~0ull : (1ull << len) - 1, x;

    a = trunc_to(a, bits);
    switch (op) {
    case F_DEPOSIT:
        return trunc_to((a & ~(mask << pos)) | ((b & mask) << pos), bits);
    case F_EXTRACT:
        return (a >> pos) & mask;
    default:
        x = (a >> pos) & mask;
        if ((x >> (len - 1)) & 1) {
            x |= ~mask;
        }
        return trunc_to(x, bits);
    }
}

static void emit_field(IRContext *c, const FieldCase *fc, IRTempIdx d, IRTempIdx a,
                       IRTempIdx b, unsigned len)
{
    switch (fc->op) {
    case F_DEPOSIT:
        if (fc->is64) {
            ir_deposit_i64(c, V64(d), V64(a), V64(b), fc->pos, len);
        } else {
            ir_deposit_i32(c, V32(d), V32(a), V32(b), fc->pos, len);
        }
        break;
    case F_EXTRACT:
        if (fc->is64) {
            ir_extract_i64(c, V64(d), V64(a), fc->pos, len);
        } else {
            ir_extract_i32(c, V32(d), V32(a), fc->pos, len);
        }
        break;
    case F_SEXTRACT:
        if (fc->is64) {
            ir_sextract_i64(c, V64(d), V64(a), fc->pos, len);
        } else {
            ir_sextract_i32(c, V32(d), V32(a), fc->pos, len);
        }
        break;
    }
}

/* Stores v (zero-extended) to a scratch slot. */
static void store_slot(IRTestEnv *t, bool is64, IRTempIdx v, int32_t ofs)
{
    if (is64) {
        ir_st_i64(t->ctx, V64(v), t->env, ofs);
    } else {
        IRv64 w = ir_temp_new_i64(t->ctx);

        ir_extu_i32_i64(t->ctx, w, V32(v));
        ir_st_i64(t->ctx, w, t->env, ofs);
    }
}

static void build_field(IRTestEnv *t, unsigned tb, void *opaque)
{
    const FieldCase *fc = opaque;
    unsigned bits = fc->is64 ? 64 : 32;
    IRTempIdx k1 = const_of(t, fc->is64, FIELD_K1), k2 = const_of(t, fc->is64, FIELD_K2);
    IRTempIdx a, b;

    if (fc->is64) {
        a = t->r[0].idx;
        b = t->r[1].idx;
    } else {
        a = i32_from_r(t, 0).idx;
        b = i32_from_scratch(t).idx;
    }
    for (unsigned len = 1; len <= bits - fc->pos; len++) {
        const IRTempIdx srcs[4][2] = { { a, b }, { k1, k2 }, { a, k2 }, { k1, b } };

        for (unsigned set = 0; set < (fc->op == F_DEPOSIT ? 4 : 2); set++) {
            IRTempIdx d = new_temp(t, fc->is64);

            emit_field(t->ctx, fc, d, srcs[set][0], srcs[set][1], len);
            store_slot(t, fc->is64, d, FIELD_SLOT(set, len));
        }
    }
    ir_exit_tb(t->ctx, 0);
}

static void setup_field(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    const FieldCase *fc = opaque;
    uint64_t a = field_values[input], b = field_values[(input + 3) % NB_FIELD_VALUES];

    if (fc->is64) {
        s->r[0] = a;
        s->r[1] = b;
    } else {
        set_i32_sources(s, a, b, input);
    }
}

static void check_field(const IRTestResult *r, unsigned input, void *opaque)
{
    const FieldCase *fc = opaque;
    unsigned bits = fc->is64 ? 64 : 32;
    uint64_t a = field_values[input], b = field_values[(input + 3) % NB_FIELD_VALUES];
    const uint64_t srcs[4][2] = { { a, b }, { FIELD_K1, FIELD_K2 }, { a, FIELD_K2 },
                                  { FIELD_K1, b } };

    for (unsigned len = 1; len <= bits - fc->pos; len++) {
        for (unsigned set = 0; set < (fc->op == F_DEPOSIT ? 4 : 2); set++) {
            uint64_t got, want = ref_field(fc->op, bits, srcs[set][0], srcs[set][1],
                                           fc->pos, len);

            memcpy(&got, (const uint8_t *)&r->state + FIELD_SLOT(set, len), 8);
            if (got != want) {
                g_test_message("%s_i%u pos %u len %u, operands set %u", field_names[fc->op],
                               bits, fc->pos, len, set);
            }
            g_assert_cmphex(got, ==, want);
        }
    }
}

static void test_field(gconstpointer data)
{
    unsigned id = GPOINTER_TO_UINT(data);
    FieldCase fc = { .op = id >> 1, .is64 = id & 1 };
    IRTestCase tc = {
        .name = field_names[fc.op], .build = build_field, .setup = setup_field,
        .check = check_field, .opaque = &fc, .nb_inputs = NB_FIELD_VALUES,
    };

    for (fc.pos = 0; fc.pos < (fc.is64 ? 64 : 32); fc.pos++) {
        irt_run(env, &tc);
    }
}

/* ---- conversions between i32 and i64 ---- */

#define CONV_K 0x89abcdef01234567ull

static void build_conv(IRTestEnv *t, unsigned tb, void *opaque)
{
    IRContext *c = t->ctx;
    IRv32 lo = i32_from_r(t, 0), hi = ir_temp_new_i32(c), ld = i32_from_scratch(t);
    IRv32 klo = ir_temp_new_i32(c);

    ir_ext_i32_i64(c, t->r[2], lo);
    ir_extu_i32_i64(c, t->r[3], lo);
    ir_extrh_i64_i32(c, hi, t->r[0]);
    ir_extu_i32_i64(c, t->r[4], hi);
    ir_ext_i32_i64(c, t->r[5], hi);
    ir_ext_i32_i64(c, t->r[6], ld);
    ir_extrl_i64_i32(c, t->w[0], t->r[1]);
    ir_extrh_i64_i32(c, t->w[1], t->r[1]);
    ir_extu_i32_i64(c, t->r[7], t->w[2]);
    ir_ext_i32_i64(c, t->r[8], t->w[2]);
    /* constants, folded */
    ir_ext_i32_i64(c, t->r[9], ir_const_i32(c, (int32_t)(uint32_t)CONV_K));
    ir_extu_i32_i64(c, t->r[10], ir_const_i32(c, (int32_t)(uint32_t)CONV_K));
    ir_extrl_i64_i32(c, t->w[3], ir_const_i64(c, CONV_K));
    ir_extrh_i64_i32(c, t->w[4], ir_const_i64(c, CONV_K));
    /* a round trip through the other type */
    ir_extrl_i64_i32(c, klo, t->r[1]);
    ir_ext_i32_i64(c, t->r[11], klo);
    ir_exit_tb(c, 0);
}

static void setup_conv(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    uint64_t v = values[input], u = values[NB_VALUES - 1 - input];

    s->r[0] = v;
    s->r[1] = u;
    memcpy(s->scratch + 8, &v, 8);
    s->w[2] = (uint32_t)u;
}

static void check_conv(const IRTestResult *r, unsigned input, void *opaque)
{
    uint64_t v = values[input], u = values[NB_VALUES - 1 - input];

    g_assert_cmphex(r->state.r[2], ==, (uint64_t)(int32_t)v);
    g_assert_cmphex(r->state.r[3], ==, (uint32_t)v);
    g_assert_cmphex(r->state.r[4], ==, v >> 32);
    g_assert_cmphex(r->state.r[5], ==, (uint64_t)(int32_t)(v >> 32));
    g_assert_cmphex(r->state.r[6], ==, (uint64_t)(int32_t)v);
    g_assert_cmphex(r->state.w[0], ==, (uint32_t)u);
    g_assert_cmphex(r->state.w[1], ==, u >> 32);
    g_assert_cmphex(r->state.r[7], ==, (uint32_t)u);
    g_assert_cmphex(r->state.r[8], ==, (uint64_t)(int32_t)u);
    g_assert_cmphex(r->state.r[9], ==, (uint64_t)(int32_t)CONV_K);
    g_assert_cmphex(r->state.r[10], ==, (uint32_t)CONV_K);
    g_assert_cmphex(r->state.w[3], ==, (uint32_t)CONV_K);
    g_assert_cmphex(r->state.w[4], ==, CONV_K >> 32);
    g_assert_cmphex(r->state.r[11], ==, (uint64_t)(int32_t)u);
}

static void test_conv(void)
{
    IRTestCase tc = {
        .name = "conv", .build = build_conv, .setup = setup_conv, .check = check_conv,
        .nb_inputs = NB_VALUES,
    };

    irt_run(env, &tc);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    init_values();
    env = irt_env_new();
    for (unsigned op = 0; op < T_COUNT; op++) {
        for (unsigned w = (op >= T_FIRST_64_ONLY); w < 2; w++) {
            g_autofree char *path = g_strdup_printf("/ir/ops/%s/i%u", test_op_names[op],
                                                    w ? 64 : 32);
            g_test_add_data_func(path, GUINT_TO_POINTER(op << 1 | w), test_op);
        }
    }
    for (unsigned cond = 0; cond < IR_COND_COUNT; cond++) {
        for (unsigned w = 0; w < 2; w++) {
            g_autofree char *path = g_strdup_printf("/ir/cond/%s/i%u", cond_names[cond],
                                                    w ? 64 : 32);
            g_test_add_data_func(path, GUINT_TO_POINTER(cond << 1 | w), test_cond);
        }
    }
    for (unsigned f = 0; f < G_N_ELEMENTS(field_names); f++) {
        for (unsigned w = 0; w < 2; w++) {
            g_autofree char *path = g_strdup_printf("/ir/field/%s/i%u", field_names[f],
                                                    w ? 64 : 32);
            g_test_add_data_func(path, GUINT_TO_POINTER(f << 1 | w), test_field);
        }
    }
    g_test_add_func("/ir/conv", test_conv);
    ret = g_test_run();
    irt_env_free(env);
    return ret;
}
