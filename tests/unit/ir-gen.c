/*
 * The random valid IR program generator (see ir-gen.h).
 *
 * Validity by construction: tb temps are all written at the TB's entry;
 * bb temps are only read in the basic block that wrote them (the list of
 * readable ones is emptied at every label and branch); branches only go
 * forward, except the back edge of a loop whose counter no other op
 * writes; each goto_tb slot is used at most once.
 */
#include <string.h>

#include "ir-gen.h"

#define V32(i) ((IRv32){ (i) })
#define V64(i) ((IRv64){ (i) })

/* ---- choices ---- */

void ir_gen_source_seed(IRGenSource *src, uint64_t seed)
{
    memset(src, 0, sizeof(*src));
    src->state = seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
}

void ir_gen_source_bytes(IRGenSource *src, const uint8_t *data, size_t size)
{
    memset(src, 0, sizeof(*src));
    src->data = data;
    src->size = size;
}

static uint64_t next_u64(IRGenSource *src, unsigned nbytes)
{
    uint64_t z;

    if (src->data) {
        z = 0;
        for (unsigned k = 0; k < nbytes; k++) {
            z = (z << 8) | (src->pos < src->size ? src->data[src->pos++] : 0);
        }
        return z;
    }
    /* splitmix64 */
    z = (src->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A choice in [0, n). */
static unsigned below(IRGenSource *src, unsigned n)
{
    return n <= 1 ? 0 : next_u64(src, n <= 256 ? 1 : 2) % n;
}

static const uint64_t edge_values[] = {
    0, 1, 2, 0x1f, 0x20, 0x3f, 0x40, 0x7f, 0x80, 0xff, 0xffff, 0x8000,
    0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull,
    0x8000000000000000ull, 0xffffffffffffffffull, 0xfffffffffffffffeull,
    0xffffffff80000000ull,
};

static uint64_t gen_value(IRGenSource *src)
{
    return below(src, 2) ? edge_values[below(src, G_N_ELEMENTS(edge_values))]
                         : next_u64(src, 8);
}

/* ---- helpers the programs call ---- */

static uint64_t gen_helper_mix(uint64_t a, uint32_t b)
{
    return (a * 0x9e3779b97f4a7c15ull) ^ b ^ (a >> 29);
}

static uint32_t gen_helper_f32(uint32_t a, uint32_t b)
{
    return a * 31 + (b ^ (a >> 3));
}

static uint64_t gen_helper_six(uint64_t a, uint64_t b, uint64_t c, uint32_t d, uint64_t e,
                               uint32_t f)
{
    return a + 3 * b - c + 5 * (uint64_t)d + (e ^ f);
}

/* Reads and writes globals (default flags). */
static uint64_t gen_helper_acc(void *envp, uint64_t a)
{
    IRTestState *s = envp;

    s->r[14] += a;
    s->w[7] ^= (uint32_t)a;
    return s->r[0] ^ a;
}

/* Reads globals only. */
static uint64_t gen_helper_peek(void *envp)
{
    IRTestState *s = envp;

    return s->r[1] + s->r[13] + s->w[3];
}

/* Writes globals only. */
static void gen_helper_poke(void *envp, uint64_t a)
{
    IRTestState *s = envp;

    s->r[13] = a * 3;
    s->w[2] = (uint32_t)(a >> 7);
}

static const IRHelperInfo gen_helpers[] = {
    { .func = (void *)gen_helper_mix, .name = "mix", .flags = IR_CALL_PURE,
      .has_ret = true, .ret_type = IR_TYPE_I64, .nargs = 2,
      .arg_types = { IR_TYPE_I64, IR_TYPE_I32 } },
    { .func = (void *)gen_helper_f32, .name = "f32", .flags = IR_CALL_PURE,
      .has_ret = true, .ret_type = IR_TYPE_I32, .nargs = 2,
      .arg_types = { IR_TYPE_I32, IR_TYPE_I32 } },
    { .func = (void *)gen_helper_six, .name = "six", .flags = IR_CALL_PURE,
      .has_ret = true, .ret_type = IR_TYPE_I64, .nargs = 6,
      .arg_types = { IR_TYPE_I64, IR_TYPE_I64, IR_TYPE_I64, IR_TYPE_I32, IR_TYPE_I64,
                     IR_TYPE_I32 } },
    { .func = (void *)gen_helper_acc, .name = "acc", .flags = 0,
      .has_ret = true, .ret_type = IR_TYPE_I64, .nargs = 2,
      .arg_types = { IR_TYPE_I64, IR_TYPE_I64 } },
    { .func = (void *)gen_helper_peek, .name = "peek", .flags = IR_CALL_NO_WRITE_GLOBALS,
      .has_ret = true, .ret_type = IR_TYPE_I64, .nargs = 1,
      .arg_types = { IR_TYPE_I64 } },
    { .func = (void *)gen_helper_poke, .name = "poke", .flags = IR_CALL_NO_READ_GLOBALS,
      .has_ret = false, .nargs = 2, .arg_types = { IR_TYPE_I64, IR_TYPE_I64 } },
};

/* ---- the builders, by shape ---- */

typedef void (*Bin32)(IRContext *, IRv32, IRv32, IRv32);
typedef void (*Bin64)(IRContext *, IRv64, IRv64, IRv64);
typedef void (*Un32)(IRContext *, IRv32, IRv32);
typedef void (*Un64)(IRContext *, IRv64, IRv64);

#define BOTH(name) { ir_##name##_i32, ir_##name##_i64 }
static const struct { Bin32 f32; Bin64 f64; } binary_ops[] = {
    BOTH(add), BOTH(sub), BOTH(mul), BOTH(mulsh), BOTH(muluh), BOTH(div), BOTH(divu),
    BOTH(rem), BOTH(remu), BOTH(and), BOTH(or), BOTH(xor), BOTH(andc), BOTH(orc),
    BOTH(shl), BOTH(shr), BOTH(sar), BOTH(rotl), BOTH(rotr), BOTH(clz), BOTH(ctz),
};
static const struct { Un32 f32; Un64 f64; } unary_ops[] = {
    BOTH(mov), BOTH(neg), BOTH(not), BOTH(ext8s), BOTH(ext8u), BOTH(ext16s),
    BOTH(ext16u), BOTH(bswap16), BOTH(bswap32), BOTH(ctpop),
    { NULL, ir_ext32s_i64 }, { NULL, ir_ext32u_i64 }, { NULL, ir_bswap64_i64 },
};
#undef BOTH

/* ---- the generator ---- */

/* Each program has 2..16 i64 and 1..8 i32 tb temps: few or more live
 * values than a host has registers. */
#define MAX_TB64 16
#define MAX_TB32 8
#define MAX_BB 12
#define MAX_PENDING 6
#define SCRATCH_USED 512          /* host ld/st stay in the first bytes of scratch */
#define TB_DUMP_OFS 1024          /* where tb temps are stored at the end */
#define GUEST_USED 0x1000         /* guest accesses start in the first page */

typedef struct Gen {
    IRTestEnv *t;
    IRContext *c;
    IRGenSource *src;
    IRTempIdx tb64[MAX_TB64], tb32[MAX_TB32];
    unsigned ntb64, ntb32;
    IRTempIdx bb64[MAX_BB], bb32[MAX_BB];
    unsigned nbb64, nbb32;
    IRLabel pending[MAX_PENDING];
    unsigned npending;
    unsigned slots_used;
    uint64_t pc;
} Gen;

static unsigned pick(Gen *g, unsigned n)
{
    return below(g->src, n);
}

static void block_ends(Gen *g)
{
    g->nbb64 = g->nbb32 = 0;
}

static IRTempIdx gen_const(Gen *g, bool is64)
{
    uint64_t v = gen_value(g->src);

    return is64 ? ir_const_i64(g->c, v).idx : ir_const_i32(g->c, (int32_t)(uint32_t)v).idx;
}

static IRTempIdx gen_src(Gen *g, bool is64)
{
    switch (pick(g, 8)) {
    case 0:
    case 1:
        return is64 ? g->t->r[pick(g, IRT_NREGS)].idx : g->t->w[pick(g, IRT_NWREGS)].idx;
    case 2:
    case 3:
        return is64 ? g->tb64[pick(g, g->ntb64)] : g->tb32[pick(g, g->ntb32)];
    case 4:
    case 5:
        if (is64 && g->nbb64) {
            return g->bb64[pick(g, g->nbb64)];
        }
        if (!is64 && g->nbb32) {
            return g->bb32[pick(g, g->nbb32)];
        }
        return is64 ? g->tb64[pick(g, g->ntb64)] : g->tb32[pick(g, g->ntb32)];
    default:
        return gen_const(g, is64);
    }
}

/* Pick inputs first: a new bb temp becomes readable only after its op. */
static IRTempIdx gen_dst(Gen *g, bool is64)
{
    IRTempIdx *bb = is64 ? g->bb64 : g->bb32;
    unsigned *nbb = is64 ? &g->nbb64 : &g->nbb32;

    switch (pick(g, 6)) {
    case 0:
    case 1:
        return is64 ? g->t->r[pick(g, IRT_NREGS)].idx : g->t->w[pick(g, IRT_NWREGS)].idx;
    case 2:
    case 3:
        return is64 ? g->tb64[pick(g, g->ntb64)] : g->tb32[pick(g, g->ntb32)];
    default:
        if (*nbb && (*nbb == MAX_BB || pick(g, 2))) {
            return bb[pick(g, *nbb)];
        }
        bb[*nbb] = is64 ? ir_temp_new_i64(g->c).idx : ir_temp_new_i32(g->c).idx;
        return bb[(*nbb)++];
    }
}

static void gen_binary(Gen *g, bool is64)
{
    unsigned k = pick(g, G_N_ELEMENTS(binary_ops));
    IRTempIdx a = gen_src(g, is64), b = gen_src(g, is64), d = gen_dst(g, is64);

    if (is64) {
        binary_ops[k].f64(g->c, V64(d), V64(a), V64(b));
    } else {
        binary_ops[k].f32(g->c, V32(d), V32(a), V32(b));
    }
}

static void gen_unary(Gen *g, bool is64)
{
    unsigned k = pick(g, G_N_ELEMENTS(unary_ops) - (is64 ? 0 : 3));
    IRTempIdx a = gen_src(g, is64), d = gen_dst(g, is64);

    if (is64) {
        unary_ops[k].f64(g->c, V64(d), V64(a));
    } else {
        unary_ops[k].f32(g->c, V32(d), V32(a));
    }
}

static void gen_compare(Gen *g, bool is64)
{
    IRCond cond = pick(g, IR_COND_COUNT);
    IRTempIdx a = gen_src(g, is64), b = gen_src(g, is64);

    if (pick(g, 2)) {
        IRTempIdx d = gen_dst(g, is64);

        if (is64) {
            ir_setcond_i64(g->c, cond, V64(d), V64(a), V64(b));
        } else {
            ir_setcond_i32(g->c, cond, V32(d), V32(a), V32(b));
        }
    } else {
        IRTempIdx v1 = gen_src(g, is64), v2 = gen_src(g, is64), d = gen_dst(g, is64);

        if (is64) {
            ir_movcond_i64(g->c, cond, V64(d), V64(a), V64(b), V64(v1), V64(v2));
        } else {
            ir_movcond_i32(g->c, cond, V32(d), V32(a), V32(b), V32(v1), V32(v2));
        }
    }
}

static void gen_field(Gen *g, bool is64)
{
    unsigned bits = is64 ? 64 : 32, pos = pick(g, bits), len = 1 + pick(g, bits - pos);
    unsigned kind = pick(g, 3);
    IRTempIdx a = gen_src(g, is64), b = gen_src(g, is64), d = gen_dst(g, is64);

    if (kind == 0 && is64) {
        ir_deposit_i64(g->c, V64(d), V64(a), V64(b), pos, len);
    } else if (kind == 0) {
        ir_deposit_i32(g->c, V32(d), V32(a), V32(b), pos, len);
    } else if (kind == 1 && is64) {
        ir_extract_i64(g->c, V64(d), V64(a), pos, len);
    } else if (kind == 1) {
        ir_extract_i32(g->c, V32(d), V32(a), pos, len);
    } else if (is64) {
        ir_sextract_i64(g->c, V64(d), V64(a), pos, len);
    } else {
        ir_sextract_i32(g->c, V32(d), V32(a), pos, len);
    }
}

static void gen_conversion(Gen *g)
{
    switch (pick(g, 4)) {
    case 0: {
        IRTempIdx a = gen_src(g, false), d = gen_dst(g, true);
        ir_ext_i32_i64(g->c, V64(d), V32(a));
        break;
    }
    case 1: {
        IRTempIdx a = gen_src(g, false), d = gen_dst(g, true);
        ir_extu_i32_i64(g->c, V64(d), V32(a));
        break;
    }
    case 2: {
        IRTempIdx a = gen_src(g, true), d = gen_dst(g, false);
        ir_extrl_i64_i32(g->c, V32(d), V64(a));
        break;
    }
    default: {
        IRTempIdx a = gen_src(g, true), d = gen_dst(g, false);
        ir_extrh_i64_i32(g->c, V32(d), V64(a));
        break;
    }
    }
}

static void gen_host_mem(Gen *g, bool is64)
{
    int32_t ofs = IRT_OFS_SCRATCH + pick(g, SCRATCH_USED - 8);
    IRv64 base = g->t->env;
    unsigned kind = pick(g, is64 ? 11 : 8);

    if (pick(g, 4) == 0) {
        /* into the fields globals alias, whole or in part: only relative
         * to env, where backends can see which globals it touches */
        ofs = pick(g, IRT_OFS_W(IRT_NWREGS) - 8);
    } else if (pick(g, 4) == 0) {
        /* through a pointer into scratch, with a negative offset */
        IRTempIdx p = gen_dst(g, true);

        ir_addi_i64(g->c, V64(p), g->t->env, ofs + 64);
        base = V64(p);
        ofs = -64;
    }
    if (kind >= (is64 ? 7u : 5u)) {
        IRTempIdx v = gen_src(g, is64);

        switch (kind - (is64 ? 7 : 5)) {
        case 0:
            is64 ? ir_st8_i64(g->c, V64(v), base, ofs)
                 : ir_st8_i32(g->c, V32(v), base, ofs);
            break;
        case 1:
            is64 ? ir_st16_i64(g->c, V64(v), base, ofs)
                 : ir_st16_i32(g->c, V32(v), base, ofs);
            break;
        case 2:
            is64 ? ir_st_i64(g->c, V64(v), base, ofs) : ir_st_i32(g->c, V32(v), base, ofs);
            break;
        default:
            ir_st32_i64(g->c, V64(v), base, ofs);
            break;
        }
        return;
    }
    IRTempIdx d = gen_dst(g, is64);
    if (is64) {
        static void (*const lds[])(IRContext *, IRv64, IRv64, int32_t) = {
            ir_ld8u_i64, ir_ld8s_i64, ir_ld16u_i64, ir_ld16s_i64, ir_ld_i64,
            ir_ld32u_i64, ir_ld32s_i64,
        };
        lds[kind](g->c, V64(d), base, ofs);
    } else {
        static void (*const lds[])(IRContext *, IRv32, IRv64, int32_t) = {
            ir_ld8u_i32, ir_ld8s_i32, ir_ld16u_i32, ir_ld16s_i32, ir_ld_i32,
        };
        lds[kind](g->c, V32(d), base, ofs);
    }
}

/* A MemOp for a guest access of the given type; loads may sign-extend. */
static MemOp gen_memop(Gen *g, bool is64, bool load)
{
    MemOp size = pick(g, is64 ? 4 : 3);
    MemOp mop = size | (pick(g, 2) ? MO_BE : 0);

    if (load && (8u << size) < (is64 ? 64u : 32u) && pick(g, 2)) {
        mop |= MO_SIGN;
    }
    return mop;
}

/*
 * A guest address in the first page of guest memory: usually aligned for
 * the access (then MO_ALIGN is often asked for), sometimes not (then
 * rarely with MO_ALIGN, which faults).
 */
static IRv64 gen_guest_addr(Gen *g, MemOp *mop)
{
    unsigned size = memop_size(*mop);
    bool aligned = pick(g, 8) != 0;
    uint64_t mask = (GUEST_USED - 1) & (aligned ? ~(uint64_t)(size - 1) : ~0ull);
    IRTempIdx x;
    IRv64 a;

    if (aligned ? pick(g, 2) : pick(g, 4) == 0) {
        *mop |= MO_ALIGN;
    }
    if (pick(g, 4) == 0) {
        return ir_const_i64(g->c, IRT_GUEST_ADDR + (gen_value(g->src) & mask));
    }
    x = gen_src(g, true);
    a = V64(gen_dst(g, true));
    ir_andi_i64(g->c, a, V64(x), mask);
    ir_addi_i64(g->c, a, a, IRT_GUEST_ADDR);
    return a;
}

static void gen_guest_mem(Gen *g, bool is64)
{
    bool load = pick(g, 2);
    MemOp mop = gen_memop(g, is64, load);
    IRv64 addr = gen_guest_addr(g, &mop);

    if (load) {
        IRTempIdx d = gen_dst(g, is64);

        is64 ? ir_guest_ld_i64(g->c, V64(d), addr, mop, 0)
             : ir_guest_ld_i32(g->c, V32(d), addr, mop, 0);
    } else {
        IRTempIdx v = gen_src(g, is64);

        is64 ? ir_guest_st_i64(g->c, V64(v), addr, mop, 0)
             : ir_guest_st_i32(g->c, V32(v), addr, mop, 0);
    }
}

static void gen_atomic(Gen *g, bool is64)
{
    MemOp mop = gen_memop(g, is64, false);
    IRv64 addr = gen_guest_addr(g, &mop);
    IRTempIdx v = gen_src(g, is64), d;

    if (pick(g, 3) == 0) {
        IRTempIdx nv = gen_src(g, is64);

        d = gen_dst(g, is64);
        is64 ? ir_atomic_cmpxchg_i64(g->c, V64(d), addr, V64(v), V64(nv), mop, 0)
             : ir_atomic_cmpxchg_i32(g->c, V32(d), addr, V32(v), V32(nv), mop, 0);
    } else {
        IRAtomicOp aop = pick(g, IR_ATOMIC_UMAX + 1);

        d = gen_dst(g, is64);
        is64 ? ir_atomic_rmw_i64(g->c, aop, V64(d), addr, V64(v), mop, 0)
             : ir_atomic_rmw_i32(g->c, aop, V32(d), addr, V32(v), mop, 0);
    }
}

static void gen_call(Gen *g)
{
    const IRHelperInfo *h = &gen_helpers[pick(g, G_N_ELEMENTS(gen_helpers))];
    IRTempIdx args[IR_MAX_HELPER_ARGS], ret;
    bool needs_env = h->func != (void *)gen_helper_mix &&
                     h->func != (void *)gen_helper_f32 &&
                     h->func != (void *)gen_helper_six;

    for (unsigned k = 0; k < h->nargs; k++) {
        args[k] = gen_src(g, h->arg_types[k] == IR_TYPE_I64);
    }
    if (needs_env) {
        args[0] = g->t->env.idx;
    }
    if (h->has_ret) {
        ret = gen_dst(g, h->ret_type == IR_TYPE_I64);
        ir_call(g->c, h, &ret, args);
    } else {
        ir_call(g->c, h, NULL, args);
    }
}

static void gen_brcond(Gen *g, IRLabel l)
{
    bool is64 = pick(g, 2);
    IRCond cond = pick(g, IR_COND_COUNT);
    IRTempIdx a = gen_src(g, is64), b = gen_src(g, is64);

    if (is64) {
        ir_brcond_i64(g->c, cond, V64(a), V64(b), l);
    } else {
        ir_brcond_i32(g->c, cond, V32(a), V32(b), l);
    }
    block_ends(g);
}

static void set_pending(Gen *g, unsigned k)
{
    ir_set_label(g->c, g->pending[k]);
    g->pending[k] = g->pending[--g->npending];
    block_ends(g);
}

static void gen_exit(Gen *g)
{
    static const uint64_t values[] = { 0, 4, 0x100, IR_EXIT_REQUESTED, 0x12340 };

    if (!(g->slots_used & 2) && pick(g, 2)) {
        g->slots_used |= 2;
        ir_goto_tb(g->c, 1);
        irt_exit_slot(g->t, 0, 1);
    } else {
        ir_exit_tb(g->c, values[pick(g, G_N_ELEMENTS(values))]);
    }
    block_ends(g);
}

static void gen_straight(Gen *g);

/* A loop run 1..8 times on a counter nothing else writes. */
static void gen_loop(Gen *g)
{
    IRv64 counter = ir_temp_tb_i64(g->c);
    IRLabel top = ir_label_new(g->c);
    unsigned body = 1 + pick(g, 6);

    ir_movi_i64(g->c, counter, 1 + pick(g, 8));
    ir_set_label(g->c, top);
    block_ends(g);
    for (unsigned k = 0; k < body; k++) {
        gen_straight(g);
    }
    ir_addi_i64(g->c, counter, counter, -1);
    ir_brcond_i64(g->c, IR_COND_NE, counter, ir_const_i64(g->c, 0), top);
    block_ends(g);
}

/* One op that does not branch. */
static void gen_straight(Gen *g)
{
    bool is64 = pick(g, 2);

    switch (pick(g, 16)) {
    case 0: case 1: case 2: case 3: case 4:
        gen_binary(g, is64);
        break;
    case 5: case 6:
        gen_unary(g, is64);
        break;
    case 7:
        gen_compare(g, is64);
        break;
    case 8:
        gen_field(g, is64);
        break;
    case 9:
        gen_conversion(g);
        break;
    case 10:
        gen_host_mem(g, is64);
        break;
    case 11: case 12:
        gen_guest_mem(g, is64);
        break;
    case 13:
        gen_atomic(g, is64);
        break;
    case 14:
        gen_call(g);
        break;
    default: {
        IRTempIdx d = gen_dst(g, is64);

        if (is64) {
            ir_movi_i64(g->c, V64(d), gen_value(g->src));
        } else {
            ir_movi_i32(g->c, V32(d), gen_value(g->src));
        }
        break;
    }
    }
}

static void gen_op(Gen *g)
{
    switch (pick(g, 32)) {
    case 0:
        if (g->npending < MAX_PENDING) {
            g->pending[g->npending] = ir_label_new(g->c);
            gen_brcond(g, g->pending[g->npending++]);
        }
        break;
    case 1:
        if (g->npending) {
            set_pending(g, pick(g, g->npending));
        }
        break;
    case 2: {
        /* an early exit, skipped when the condition holds; rare, so that
         * most programs run to their end */
        IRLabel skip;

        if (pick(g, 3)) {
            break;
        }
        skip = ir_label_new(g->c);
        gen_brcond(g, skip);
        gen_exit(g);
        ir_set_label(g->c, skip);
        break;
    }
    case 3:
        if (g->npending && pick(g, 2)) {
            ir_br(g->c, g->pending[pick(g, g->npending)]);
            block_ends(g);
        } else {
            ir_insn_start(g->c, g->pc, pick(g, 256), 0);
            g->pc += 4;
        }
        break;
    case 4:
        if (pick(g, 4) == 0) {
            gen_loop(g);
        } else if (pick(g, 2)) {
            ir_mb(g->c, 1 + pick(g, IR_MB_ALL));
        }
        break;
    default:
        gen_straight(g);
        break;
    }
}

static void gen_build(IRTestEnv *t, unsigned tb, void *opaque)
{
    IRGenCase *gc = opaque;
    IRGenSource src = gc->program;
    Gen g = { .t = t, .c = t->ctx, .src = &src, .pc = IRT_GUEST_ADDR };
    unsigned nops = gc->min_ops + below(&src, gc->max_ops - gc->min_ops + 1);

    ir_insn_start(g.c, g.pc, 0, 0);
    g.pc += 4;
    g.ntb64 = 2 + below(&src, MAX_TB64 - 1);
    g.ntb32 = 1 + below(&src, MAX_TB32);
    for (unsigned k = 0; k < g.ntb64; k++) {
        g.tb64[k] = ir_temp_tb_i64(g.c).idx;
        if (pick(&g, 2)) {
            ir_mov_i64(g.c, V64(g.tb64[k]), t->r[pick(&g, IRT_NREGS)]);
        } else {
            ir_movi_i64(g.c, V64(g.tb64[k]), gen_value(&src));
        }
    }
    for (unsigned k = 0; k < g.ntb32; k++) {
        g.tb32[k] = ir_temp_tb_i32(g.c).idx;
        ir_extrl_i64_i32(g.c, V32(g.tb32[k]), t->r[pick(&g, IRT_NREGS)]);
    }
    for (unsigned k = 0; k < nops; k++) {
        gen_op(&g);
    }
    while (g.npending) {
        set_pending(&g, g.npending - 1);
    }
    /* make the tb temps observable */
    for (unsigned k = 0; k < g.ntb64; k++) {
        ir_st_i64(g.c, V64(g.tb64[k]), t->env, IRT_OFS_SCRATCH + TB_DUMP_OFS + 8 * k);
    }
    for (unsigned k = 0; k < g.ntb32; k++) {
        ir_st_i32(g.c, V32(g.tb32[k]), t->env,
                  IRT_OFS_SCRATCH + TB_DUMP_OFS + 8 * MAX_TB64 + 4 * k);
    }
    if (pick(&g, 2)) {
        ir_goto_tb(g.c, 0);
        irt_exit_slot(t, 0, 0);
    } else {
        ir_exit_tb(g.c, 8);
    }
}

static void gen_setup(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    IRGenCase *gc = opaque;
    IRGenSource src = gc->state;

    for (unsigned k = 0; k < IRT_NREGS; k++) {
        s->r[k] = gen_value(&src);
    }
    for (unsigned k = 0; k < IRT_NWREGS; k++) {
        s->w[k] = gen_value(&src);
    }
    for (unsigned k = 0; k < SCRATCH_USED; k += 8) {
        uint64_t v = next_u64(&src, 8);
        memcpy(s->scratch + k, &v, 8);
    }
    for (unsigned k = 0; k < GUEST_USED; k += 8) {
        uint64_t v = next_u64(&src, 8);
        memcpy(mem + k, &v, 8);
    }
}

IRTestCase ir_gen_test_case(IRGenCase *gc)
{
    return (IRTestCase){
        .name = "random", .build = gen_build, .setup = gen_setup, .opaque = gc,
        .no_assert = true,
    };
}
