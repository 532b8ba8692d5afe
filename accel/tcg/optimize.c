/*
 * The IR optimizer: the forward pass and the driver. It runs on every
 * translated block, so it is two linear passes over the ops and never
 * iterates to a fixpoint.
 *
 * 1. Forward, along each extended basic block (ops entered only at the
 *    top: a label ends one, a conditional branch does not). Per temp it
 *    knows whether the value is a constant, which other temps hold the same
 *    value (a ring of copies) and which bits are certainly 0. With that it
 *    replaces inputs by a constant or the best copy, folds ops whose inputs
 *    are all constant into a mov of a constant, applies identities that
 *    always hold (x + 0, x & x, x ^ x, an and whose mask keeps every bit
 *    that may be set...), decides conditions, turns branches into jumps or
 *    nothing, and drops movs of a value the destination already holds.
 *    Code after an unconditional jump is dropped up to the next label
 *    something still branches to; a label nothing branches to is dropped
 *    and what is known flows through it; a jump to the label right after
 *    it is dropped.
 *    Knowledge is forgotten where it stops being true: everything at a
 *    label (other paths join there), bb temps at a conditional branch
 *    (they die), globals at a call that may write them and at a host store
 *    that may overlap them.
 * 2. Backward liveness and dead-code removal (optimize-live.c).
 *
 * Ops are only ever removed or rewritten in place, never moved, so guest
 * memory accesses and calls keep their order.
 *
 * Known zeros are kept as a mask of bits certainly 0. For an i32 temp the
 * mask's upper 32 bits are always set: the value is treated as zero-
 * extended, so "possibly one" bits (~zeros) stay within the width.
 */
#include <string.h>

#include "accel/tcg/optimize.h"

/* Copy rings are walked at most this far, so a pathological chain of
 * copies costs a constant per use (the answer is then merely less good). */
#define RING_WALK_MAX 16

/* The kinds of temp whose knowledge is forgotten together. */
enum { FORGET_GLOBAL, FORGET_TB, FORGET_BB, FORGET_KINDS };

typedef struct TempInfo {
    IRTempIdx prev_copy, next_copy;   /* ring of temps known to hold the same value */
    IRTempIdx const_idx;              /* is_const: the constant temp of val */
    uint64_t zeros;                   /* bits certainly 0 */
    uint64_t val;                     /* is_const: the value, i32 sign-extended */
    uint8_t kind;                     /* IRTempKind */
    uint8_t type;                     /* IRType */
    bool known;                       /* something above is known */
    bool is_const;
    bool listed;                      /* on its kind's forget list */
} TempInfo;

typedef struct Optimizer {
    IRContext *ctx;
    TempInfo *info;                   /* one per temp */
    guint nb_info, info_cap;
    guint *label_refs;                /* per label: branches to it still in the ops */
    IRTempIdx *forget[FORGET_KINDS];  /* known temps, per kind, to forget together */
    guint nb_forget[FORGET_KINDS];
    IRGlobalSpan globals;             /* env bytes the globals cover */
    bool unreachable;                 /* after a jump, before a live label */
} Optimizer;

static uint64_t width_mask(IRType type)
{
    return type == IR_TYPE_I32 ? 0xffffffffull : ~0ull;
}

static unsigned width_bits(IRType type)
{
    return type == IR_TYPE_I32 ? 32 : 64;
}

/* The low n bits set (n <= 64). */
static uint64_t low_bits(unsigned n)
{
    return n >= 64 ? ~0ull : (1ull << n) - 1;
}

static int forget_kind_of(IRTempKind kind)
{
    switch (kind) {
    case IR_TEMP_GLOBAL:
        return FORGET_GLOBAL;
    case IR_TEMP_TB:
        return FORGET_TB;
    case IR_TEMP_BB:
        return FORGET_BB;
    default:
        return -1;
    }
}

/* ---- what is known about each temp ---- */

static void info_init(TempInfo *ti, IRTempIdx idx, const IRTemp *t)
{
    memset(ti, 0, sizeof(*ti));
    ti->prev_copy = ti->next_copy = idx;
    ti->kind = t->kind;
    ti->type = t->type;
    if (t->kind == IR_TEMP_CONST) {
        ti->known = ti->is_const = true;
        ti->val = ir_fold_normalize(t->type, t->val);
        ti->const_idx = idx;
        ti->zeros = ~(ti->val & width_mask(t->type));
    }
}

/* Covers the temps the context has now (constants the pass itself made). */
static void info_grow(Optimizer *o)
{
    guint len = o->ctx->temps->len;

    if (len <= o->nb_info) {
        return;
    }
    if (len > o->info_cap) {
        o->info_cap = MAX(len, 2 * o->info_cap);
        o->info = g_renew(TempInfo, o->info, o->info_cap);
    }
    for (guint t = o->nb_info; t < len; t++) {
        info_init(&o->info[t], t, ir_temp(o->ctx, t));
    }
    o->nb_info = len;
}

static IRTempIdx const_temp(Optimizer *o, IRType type, uint64_t val)
{
    IRTempIdx idx = type == IR_TYPE_I32 ? ir_const_i32(o->ctx, (int32_t)val).idx
                                        : ir_const_i64(o->ctx, (int64_t)val).idx;

    info_grow(o);
    return idx;
}

static bool is_const(Optimizer *o, IRTempIdx t, uint64_t *val)
{
    const TempInfo *ti = &o->info[t];

    if (ti->is_const) {
        *val = ti->val;
        return true;
    }
    return false;
}

static uint64_t zeros_of(Optimizer *o, IRTempIdx t)
{
    const TempInfo *ti = &o->info[t];

    return ti->known ? ti->zeros : ~width_mask(ti->type);
}

/* Bits that may be 1, within the width. */
static uint64_t maybe_ones(Optimizer *o, IRTempIdx t)
{
    return ~zeros_of(o, t);
}

/* Forgets what is known about t (it is being written). */
static void forget_temp(Optimizer *o, IRTempIdx t)
{
    TempInfo *ti = &o->info[t];

    if (!ti->known) {
        return;
    }
    g_assert(ti->kind != IR_TEMP_CONST);
    o->info[ti->prev_copy].next_copy = ti->next_copy;
    o->info[ti->next_copy].prev_copy = ti->prev_copy;
    ti->prev_copy = ti->next_copy = t;
    ti->known = ti->is_const = false;
}

/* Marks t known, listing it so that forget_all() finds it. */
static void learn(Optimizer *o, IRTempIdx t)
{
    TempInfo *ti = &o->info[t];
    int k = forget_kind_of(ti->kind);

    ti->known = true;
    if (k >= 0 && !ti->listed) {
        ti->listed = true;
        o->forget[k][o->nb_forget[k]++] = t;
    }
}

static void forget_all(Optimizer *o, int kind)
{
    for (guint i = 0; i < o->nb_forget[kind]; i++) {
        IRTempIdx t = o->forget[kind][i];

        forget_temp(o, t);
        o->info[t].listed = false;
    }
    o->nb_forget[kind] = 0;
}

static void forget_everything(Optimizer *o)
{
    for (int k = 0; k < FORGET_KINDS; k++) {
        forget_all(o, k);
    }
}

/* t was written with a value whose known-zero bits are zeros. */
static void set_zeros(Optimizer *o, IRTempIdx t, uint64_t zeros)
{
    uint64_t mask = width_mask(o->info[t].type);

    forget_temp(o, t);
    if (zeros & mask) {
        learn(o, t);
        o->info[t].zeros = zeros | ~mask;
    }
}

static void set_const(Optimizer *o, IRTempIdx t, IRTempIdx c)
{
    TempInfo *ti = &o->info[t];

    forget_temp(o, t);
    learn(o, t);
    ti->is_const = true;
    ti->val = o->info[c].val;
    ti->zeros = o->info[c].zeros;
    ti->const_idx = c;
}

/* d was written with a copy of s (a temp that is not a constant). */
static void set_copy(Optimizer *o, IRTempIdx d, IRTempIdx s)
{
    TempInfo *ti, *si;

    forget_temp(o, d);
    if (!o->info[s].known) {
        learn(o, s);
        o->info[s].zeros = ~width_mask(o->info[s].type);
    }
    learn(o, d);
    ti = &o->info[d];
    si = &o->info[s];
    ti->zeros = si->zeros;
    ti->prev_copy = s;
    ti->next_copy = si->next_copy;
    o->info[si->next_copy].prev_copy = d;
    si->next_copy = d;
}

/* Which copy to read: env, then a global (always available), then a tb
 * temp, then a bb temp; so movs into temps tend to become dead. */
static int copy_rank(IRTempKind kind)
{
    switch (kind) {
    case IR_TEMP_ENV:
        return 0;
    case IR_TEMP_GLOBAL:
        return 1;
    case IR_TEMP_TB:
        return 2;
    default:
        return 3;
    }
}

/* The temp (or constant) to read instead of t. */
static IRTempIdx best_source(Optimizer *o, IRTempIdx t)
{
    const TempInfo *ti = &o->info[t];
    IRTempIdx best = t, i = ti->next_copy;
    int best_rank = copy_rank(ti->kind);

    if (!ti->known) {
        return t;
    }
    if (ti->is_const) {
        return ti->const_idx;
    }
    /* a global is as good as it gets but for env, which is rarely copied */
    for (int n = 0; i != t && n < RING_WALK_MAX && best_rank > 1;
         n++, i = o->info[i].next_copy) {
        int rank = copy_rank(o->info[i].kind);

        if (rank < best_rank) {
            best = i;
            best_rank = rank;
        }
    }
    return best;
}

/* Whether a and b certainly hold the same value. */
static bool same_value(Optimizer *o, IRTempIdx a, IRTempIdx b)
{
    const TempInfo *ta = &o->info[a], *tb = &o->info[b];
    IRTempIdx i;

    if (a == b) {
        return true;
    }
    if (!ta->known || !tb->known) {
        return false;
    }
    if (ta->is_const || tb->is_const) {
        return ta->is_const && tb->is_const && ta->val == tb->val;
    }
    i = ta->next_copy;
    for (int n = 0; i != a && n < RING_WALK_MAX; n++, i = o->info[i].next_copy) {
        if (i == b) {
            return true;
        }
    }
    return false;
}

/* ---- conditions ---- */

/*
 * cond(a, b) when what is known decides it: 1 or 0, else -1. Beyond
 * constants and equal temps, known zeros bound each value: it lies
 * between its constant value (or 0) and its possibly-one bits.
 */
static int decide_cond(Optimizer *o, IRType type, IRCond cond, IRTempIdx a, IRTempIdx b)
{
    uint64_t mask = width_mask(type), sign = 1ull << (width_bits(type) - 1);
    uint64_t va, vb, max_a, max_b, min_a = 0, min_b = 0;
    bool ca = is_const(o, a, &va), cb = is_const(o, b, &vb);

    if (cond == IR_COND_NEVER || cond == IR_COND_ALWAYS) {
        return cond == IR_COND_ALWAYS;
    }
    if (ca && cb) {
        return ir_fold_cond(cond, type, va, vb);
    }
    if (same_value(o, a, b)) {
        switch (cond) {
        case IR_COND_EQ: case IR_COND_GE: case IR_COND_LE: case IR_COND_GEU: case IR_COND_LEU:
            return 1;
        case IR_COND_NE: case IR_COND_LT: case IR_COND_GT: case IR_COND_LTU: case IR_COND_GTU:
            return 0;
        default:
            break;
        }
    }
    max_a = maybe_ones(o, a) & mask;
    max_b = maybe_ones(o, b) & mask;
    if (ca) {
        min_a = max_a = va & mask;
    }
    if (cb) {
        min_b = max_b = vb & mask;
    }
    switch (cond) {
    case IR_COND_TSTEQ:
    case IR_COND_TSTNE:
        if ((max_a & max_b) == 0) {
            return cond == IR_COND_TSTEQ;
        }
        return -1;
    case IR_COND_EQ:
    case IR_COND_NE:
        /* a bit one in a constant and certainly 0 in the other */
        if ((min_a & ~max_b) | (min_b & ~max_a)) {
            return cond == IR_COND_NE;
        }
        return -1;
    case IR_COND_LT: case IR_COND_GE: case IR_COND_LE: case IR_COND_GT:
        /* With both sign bits clear the signed order is the unsigned one. */
        if ((max_a | max_b) & sign) {
            return -1;
        }
        cond += IR_COND_LTU - IR_COND_LT;
        break;
    default:
        break;
    }
    switch (cond) {
    case IR_COND_LTU:
        return max_a < min_b ? 1 : min_a >= max_b ? 0 : -1;
    case IR_COND_GEU:
        return max_a < min_b ? 0 : min_a >= max_b ? 1 : -1;
    case IR_COND_LEU:
        return max_a <= min_b ? 1 : min_a > max_b ? 0 : -1;
    case IR_COND_GTU:
        return max_a <= min_b ? 0 : min_a > max_b ? 1 : -1;
    default:
        return -1;
    }
}

/* ---- rewriting ops ---- */

static uint64_t *cargs(IROp *op)
{
    return op->args + op->nb_oargs + op->nb_iargs;
}

/* mov d, s: drops it when d already holds the value. */
static bool fold_mov(Optimizer *o, IROp *op)
{
    IRTempIdx d = op->args[0], s = op->args[1];

    if (same_value(o, d, s)) {
        return false;
    }
    if (o->info[s].is_const) {
        set_const(o, d, s);
    } else {
        set_copy(o, d, s);
    }
    return true;
}

/* Rewrites op into "mov o0, src". */
static bool become_copy(Optimizer *o, IROp *op, IRTempIdx src)
{
    op->opc = IR_OP_mov;
    op->type = o->info[op->args[0]].type;
    op->nb_oargs = 1;
    op->nb_iargs = 1;
    op->nb_cargs = 0;
    op->args[1] = src;
    return fold_mov(o, op);
}

static bool become_const(Optimizer *o, IROp *op, uint64_t val)
{
    return become_copy(o, op, const_temp(o, o->info[op->args[0]].type, val));
}

static bool is_commutative(IROpcode opc)
{
    switch (opc) {
    case IR_OP_add: case IR_OP_mul: case IR_OP_mulsh: case IR_OP_muluh:
    case IR_OP_and: case IR_OP_or: case IR_OP_xor:
        return true;
    default:
        return false;
    }
}

/* Known zeros of a shift or rotate of a (known zeros za) by n. */
static uint64_t shifted_zeros(IROpcode opc, IRType type, uint64_t za, unsigned n)
{
    uint64_t mask = width_mask(type);
    unsigned width = width_bits(type);
    int64_t sext;

    switch (opc) {
    case IR_OP_shl:
        return (za << n) | low_bits(n);
    case IR_OP_shr:
        return ((za & mask) >> n) | ~(mask >> n);
    case IR_OP_sar:
        /* the top bits copy the sign bit, known zero or not */
        sext = type == IR_TYPE_I32 ? (int32_t)za : (int64_t)za;
        return (uint64_t)(sext >> n);
    case IR_OP_rotl:
    case IR_OP_rotr:
        if (opc == IR_OP_rotr) {
            n = (width - n) & (width - 1);
        }
        za &= mask;
        return n ? (za << n) | (za >> (width - n)) : za;
    default:
        g_assert_not_reached();
    }
}

/* Known zeros of a sign extension from bit `from` of a value with zeros z. */
static uint64_t sext_zeros(uint64_t z, unsigned from, uint64_t mask)
{
    if (z & (1ull << from)) {
        return z | ~low_bits(from + 1);
    }
    return (z & low_bits(from)) | ~mask;
}

/*
 * A pure op with at least one input not constant: identities, then the
 * known zeros of its result. Returns whether to keep the op.
 */
static bool fold_identities(Optimizer *o, IROp *op)
{
    IROpcode opc = op->opc;
    IRType type = op->type;
    uint64_t mask = width_mask(type);
    unsigned width = width_bits(type);
    IRTempIdx d = op->args[0], a = op->args[1], b = op->args[2];
    uint64_t *c = cargs(op);
    uint64_t va = 0, vb = 0, za = zeros_of(o, a), zb = 0, zd = ~mask;
    bool ca = is_const(o, a, &va), cb = false;
    int r;

    va &= mask;
    if (op->nb_iargs >= 2) {
        cb = is_const(o, b, &vb);
        zb = zeros_of(o, b);
        vb &= mask;
    }

    switch (opc) {
    case IR_OP_add:
        if (cb && vb == 0) {
            return become_copy(o, op, a);
        }
        break;
    case IR_OP_sub:
        if (cb && vb == 0) {
            return become_copy(o, op, a);
        }
        if (same_value(o, a, b)) {
            return become_const(o, op, 0);
        }
        break;
    case IR_OP_mul:
        if (cb && vb == 1) {
            return become_copy(o, op, a);
        }
        if (cb && vb == 0) {
            return become_const(o, op, 0);
        }
        break;
    case IR_OP_mulsh:
    case IR_OP_muluh:
        if (cb && vb == 0) {
            return become_const(o, op, 0);
        }
        break;
    case IR_OP_div:
    case IR_OP_divu:
        if (cb && vb == 1) {
            return become_copy(o, op, a);
        }
        break;
    case IR_OP_rem:
    case IR_OP_remu:
        if (cb && vb == 1) {
            return become_const(o, op, 0);
        }
        break;
    case IR_OP_and:
        /* a mask keeping every bit a may have set changes nothing */
        if (same_value(o, a, b) || (cb && (maybe_ones(o, a) & mask & ~vb) == 0)) {
            return become_copy(o, op, a);
        }
        zd = za | zb;
        break;
    case IR_OP_andc:
        if (same_value(o, a, b)) {
            return become_const(o, op, 0);
        }
        if (cb && (maybe_ones(o, a) & vb) == 0) {
            return become_copy(o, op, a);
        }
        zd = za | (cb ? vb : 0);
        break;
    case IR_OP_or:
        if (same_value(o, a, b) || (cb && vb == 0)) {
            return become_copy(o, op, a);
        }
        if (cb && vb == mask) {
            return become_const(o, op, mask);
        }
        zd = za & zb;
        break;
    case IR_OP_orc:
        if (same_value(o, a, b) || (cb && vb == 0)) {
            return become_const(o, op, mask);
        }
        if (cb && vb == mask) {
            return become_copy(o, op, a);
        }
        zd = za & (cb ? vb | ~mask : ~mask);
        break;
    case IR_OP_xor:
        if (same_value(o, a, b)) {
            return become_const(o, op, 0);
        }
        if (cb && vb == 0) {
            return become_copy(o, op, a);
        }
        zd = za & zb;
        break;
    case IR_OP_shl:
    case IR_OP_shr:
    case IR_OP_sar:
    case IR_OP_rotl:
    case IR_OP_rotr:
        if (ca && (va == 0 || (va == mask && opc != IR_OP_shl && opc != IR_OP_shr))) {
            /* 0 shifted is 0; all ones shifted right arithmetically or rotated stays */
            return become_copy(o, op, a);
        }
        if (cb) {
            unsigned n = vb & (width - 1);

            if (n == 0) {
                return become_copy(o, op, a);
            }
            zd = shifted_zeros(opc, type, za, n);
        }
        break;
    case IR_OP_setcond:
        r = decide_cond(o, type, c[0], a, b);
        if (r >= 0) {
            return become_const(o, op, r);
        }
        zd = ~1ull;
        break;
    case IR_OP_movcond:
        r = decide_cond(o, type, c[0], a, b);
        if (r >= 0) {
            return become_copy(o, op, op->args[r ? 3 : 4]);
        }
        if (same_value(o, op->args[3], op->args[4])) {
            return become_copy(o, op, op->args[3]);
        }
        zd = zeros_of(o, op->args[3]) & zeros_of(o, op->args[4]);
        break;
    case IR_OP_ext8s:
    case IR_OP_ext16s:
    case IR_OP_ext32s:
    case IR_OP_ext8u:
    case IR_OP_ext16u:
    case IR_OP_ext32u: {
        unsigned bits = opc == IR_OP_ext8s || opc == IR_OP_ext8u ? 8 :
                        opc == IR_OP_ext16s || opc == IR_OP_ext16u ? 16 : 32;
        bool is_signed = opc == IR_OP_ext8s || opc == IR_OP_ext16s || opc == IR_OP_ext32s;
        /* unsigned: the bits cleared; signed: those and the sign bit */
        uint64_t must_be_zero = ~low_bits(is_signed ? bits - 1 : bits) & mask;

        if ((za & must_be_zero) == must_be_zero) {
            return become_copy(o, op, a);
        }
        zd = is_signed ? sext_zeros(za, bits - 1, mask) : za | ~low_bits(bits);
        break;
    }
    case IR_OP_ext_i32_i64:
        zd = sext_zeros(za, 31, ~0ull);
        break;
    case IR_OP_extu_i32_i64:
        zd = za;
        break;
    case IR_OP_extrl_i64_i32:
        zd = za;
        break;
    case IR_OP_extrh_i64_i32:
        zd = za >> 32;
        break;
    case IR_OP_deposit: {
        uint64_t field = low_bits(c[1]) << c[0];

        if (c[1] == width) {
            return become_copy(o, op, b);
        }
        zd = (za & ~field) | ((zb << c[0]) & field);
        break;
    }
    case IR_OP_extract:
    case IR_OP_sextract: {
        unsigned pos = c[0], len = c[1];
        uint64_t must_be_zero = ~low_bits(opc == IR_OP_extract ? len : len - 1) & mask;

        if (pos == 0 && (za & must_be_zero) == must_be_zero) {
            return become_copy(o, op, a);
        }
        if (opc == IR_OP_extract) {
            zd = ((za & mask) >> pos) | ~low_bits(len);
        } else {
            zd = sext_zeros((za & mask) >> pos, len - 1, mask);
        }
        break;
    }
    case IR_OP_bswap16:
        zd = ~0xffffull | __builtin_bswap16((uint16_t)za);
        break;
    case IR_OP_bswap32:
        zd = ~0xffffffffull | __builtin_bswap32((uint32_t)za);
        break;
    case IR_OP_bswap64:
        zd = __builtin_bswap64(za);
        break;
    case IR_OP_clz:
    case IR_OP_ctz:
        if (ca) {
            /* a constant a with the other input unknown */
            if (va == 0) {
                return become_copy(o, op, b);
            }
            return become_const(o, op, ir_fold_value(opc, type, (uint64_t[]){ va, 0 }, c));
        }
        /* a count is at most the width: 6 or 7 bits */
        zd = ~low_bits(width == 32 ? 6 : 7) & zb;
        break;
    case IR_OP_ctpop:
        zd = ~low_bits(width == 32 ? 6 : 7);
        break;
    default:
        break;
    }
    zd |= ~mask;
    if (zd == ~0ull) {
        return become_const(o, op, 0);
    }
    set_zeros(o, d, zd);
    return true;
}

/* Any pure op (no load, store, call or control). */
static bool fold_pure(Optimizer *o, IROp *op)
{
    uint64_t v[4];
    bool all_const = true;

    if (op->opc == IR_OP_mov) {
        return fold_mov(o, op);
    }
    g_assert(op->nb_iargs <= 4);
    for (unsigned k = 0; k < op->nb_iargs; k++) {
        all_const &= is_const(o, op->args[1 + k], &v[k]);
    }
    if (all_const) {
        return become_const(o, op, ir_fold_value(op->opc, op->type, v, cargs(op)));
    }
    /* Constants second: the backends' immediate forms, and fewer cases here. */
    if (op->nb_iargs >= 2 && o->info[op->args[1]].is_const && !o->info[op->args[2]].is_const) {
        if (is_commutative(op->opc)) {
            IRTempIdx t = op->args[1];

            op->args[1] = op->args[2];
            op->args[2] = t;
        } else if (op->opc == IR_OP_setcond || op->opc == IR_OP_movcond) {
            IRTempIdx t = op->args[1];

            op->args[1] = op->args[2];
            op->args[2] = t;
            cargs(op)[0] = ir_cond_swap(cargs(op)[0]);
        }
    }
    return fold_identities(o, op);
}

/*
 * What falling through a brcond teaches: "a != constant" was false, so a
 * is that constant. bb temps die at the branch, so nothing is learnt about
 * them. at_label() undoes this (forget_temp of i0) when it removes or
 * inverts the branch.
 */
static void learn_fallthrough(Optimizer *o, const IROp *op)
{
    IRTempIdx a = op->args[0], b = op->args[1];
    uint64_t vb;

    if (op->args[2] == IR_COND_NE && is_const(o, b, &vb) && !o->info[a].is_const &&
        o->info[a].kind != IR_TEMP_BB && o->info[a].kind != IR_TEMP_ENV) {
        set_const(o, a, b);
    }
}

static bool fold_brcond(Optimizer *o, IROp *op)
{
    IRTempIdx a = op->args[0], b = op->args[1];
    uint64_t *c = cargs(op);
    int r;

    if (o->info[a].is_const && !o->info[b].is_const) {
        op->args[0] = b;
        op->args[1] = a;
        c[0] = ir_cond_swap(c[0]);
        a = op->args[0];
        b = op->args[1];
    }
    r = decide_cond(o, op->type, c[0], a, b);
    if (r == 0) {
        o->label_refs[c[1]]--;
        return false;
    }
    if (r == 1) {
        uint64_t label = c[1];

        op->opc = IR_OP_br;
        op->type = IR_TYPE_I64;
        op->nb_iargs = 0;
        op->nb_cargs = 1;
        op->args[0] = label;
        o->unreachable = true;
        return true;
    }
    forget_all(o, FORGET_BB);
    learn_fallthrough(o, op);
    return true;
}

static void visit_forget(IRTempIdx g, void *opaque)
{
    forget_temp(opaque, g);
}

/* Known zeros of a value loaded from size bytes, zero-extended or not. */
static uint64_t load_zeros(IRType type, unsigned size, bool is_signed)
{
    if (is_signed || size * 8 >= width_bits(type)) {
        return ~width_mask(type);
    }
    return ~low_bits(size * 8);
}

/* One op, its inputs already substituted. Returns whether to keep it. */
static bool fold_op(Optimizer *o, IROp *op)
{
    const IRHelperInfo *info;
    uint64_t *c = cargs(op);

    switch (op->opc) {
    case IR_OP_br:
    case IR_OP_exit_tb:
    case IR_OP_goto_ptr:
        o->unreachable = true;
        return true;
    case IR_OP_brcond:
        return fold_brcond(o, op);
    case IR_OP_insn_start:
    case IR_OP_goto_tb:
    case IR_OP_mb:
    case IR_OP_guest_st:
        return true;
    case IR_OP_call:
        info = (const IRHelperInfo *)(uintptr_t)c[0];
        if (!(info->flags & IR_CALL_NO_WRITE_GLOBALS)) {
            forget_all(o, FORGET_GLOBAL);
        }
        if (op->nb_oargs) {
            forget_temp(o, op->args[0]);
        }
        return true;
    case IR_OP_st8: case IR_OP_st16: case IR_OP_st32: case IR_OP_st:
        ir_opt_host_access_globals(o->ctx, &o->globals, op, visit_forget, o);
        return true;
    case IR_OP_ld8u: case IR_OP_ld16u: case IR_OP_ld32u:
    case IR_OP_ld8s: case IR_OP_ld16s: case IR_OP_ld32s: case IR_OP_ld:
        set_zeros(o, op->args[0],
                  load_zeros(op->type, ir_opt_host_access_size(op),
                             op->opc == IR_OP_ld8s || op->opc == IR_OP_ld16s ||
                             op->opc == IR_OP_ld32s));
        return true;
    case IR_OP_guest_ld:
        set_zeros(o, op->args[0], load_zeros(op->type, memop_size(c[0]), c[0] & MO_SIGN));
        return true;
    case IR_OP_atomic_cmpxchg:
    case IR_OP_atomic_rmw:
        forget_temp(o, op->args[0]);
        return true;
    default:
        return fold_pure(o, op);
    }
}

/*
 * A set_label: first drops a branch just before it that goes to it (and
 * turns "brcond L; br M; L:" into "brcond !cond M; L:"), then either drops
 * the label if nothing branches to it any more, or forgets everything.
 * Returns the new count of ops kept.
 */
static guint at_label(Optimizer *o, IROp *ops, guint w, const IROp *op)
{
    uint64_t label = op->args[0];

    for (;;) {
        IROp *last = w ? &ops[w - 1] : NULL;

        if (last && last->opc == IR_OP_br && last->args[0] == label) {
            o->label_refs[label]--;
            o->unreachable = false;
            w--;
        } else if (last && last->opc == IR_OP_brcond && last->args[3] == label) {
            /* both ways lead here now: what the fall-through taught is void */
            o->label_refs[label]--;
            forget_temp(o, last->args[0]);
            w--;
        } else if (last && last->opc == IR_OP_br && w >= 2 &&
                   ops[w - 2].opc == IR_OP_brcond && ops[w - 2].args[3] == label) {
            /* what is known is the old fall-through's, which now jumps away */
            IROp *br = &ops[w - 2];

            o->label_refs[label]--;
            forget_temp(o, br->args[0]);
            br->args[2] = ir_cond_invert(br->args[2]);
            br->args[3] = last->args[0];
            learn_fallthrough(o, br);
            o->unreachable = false;
            w--;
        } else {
            break;
        }
    }
    if (o->label_refs[label] == 0) {
        /* Only the code before reaches it: keep what is known. */
        return w;
    }
    forget_everything(o);
    o->unreachable = false;
    if (&ops[w] != op) {
        ops[w] = *op;
    }
    return w + 1;
}

static void forward_pass(Optimizer *o)
{
    IRContext *ctx = o->ctx;
    IROp *ops = (IROp *)ctx->ops->data;
    guint n = ctx->ops->len, w = 0;

    for (guint i = 0; i < n; i++) {
        /* rewritten where it is: only ops[w] (w <= i) is ever written below */
        IROp *op = &ops[i];

        if (op->opc == IR_OP_set_label) {
            w = at_label(o, ops, w, op);
            continue;
        }
        if (o->unreachable) {
            if (op->opc == IR_OP_br) {
                o->label_refs[op->args[0]]--;
            } else if (op->opc == IR_OP_brcond) {
                o->label_refs[op->args[3]]--;
            }
            continue;
        }
        for (unsigned k = op->nb_oargs; k < op->nb_oargs + op->nb_iargs; k++) {
            op->args[k] = best_source(o, op->args[k]);
        }
        if (fold_op(o, op)) {
            if (w != i) {
                ops[w] = *op;
            }
            w++;
        }
    }
    g_array_set_size(ctx->ops, w);
}

/* ---- driver ---- */

void ir_optimize(IRContext *ctx)
{
    Optimizer o = { .ctx = ctx };
    guint nt = ctx->temps->len;
    guint counts[FORGET_KINDS] = { 0 };
    /* the label counts, then the forget lists (each temp on one at most) */
    g_autofree guint *scratch = g_new0(guint, ctx->nb_labels + nt);
    guint at = ctx->nb_labels;

    o.info = g_new(TempInfo, nt);
    o.nb_info = o.info_cap = nt;
    ir_opt_global_span(ctx, &o.globals);
    for (IRTempIdx t = 0; t < nt; t++) {
        const IRTemp *temp = ir_temp(ctx, t);
        int k = forget_kind_of(temp->kind);

        info_init(&o.info[t], t, temp);
        if (k >= 0) {
            counts[k]++;
        }
    }
    for (int k = 0; k < FORGET_KINDS; k++) {
        o.forget[k] = scratch + at;
        at += counts[k];
    }
    o.label_refs = scratch;
    for (guint i = 0; i < ctx->ops->len; i++) {
        const IROp *op = ir_op(ctx, i);

        if (op->opc == IR_OP_br) {
            o.label_refs[op->args[0]]++;
        } else if (op->opc == IR_OP_brcond) {
            o.label_refs[op->args[3]]++;
        }
    }

    forward_pass(&o);
    g_free(o.info);
    ir_opt_liveness(ctx, &o.globals);
}
