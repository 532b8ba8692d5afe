/*
 * The optimizer must not change what IR does: programs written to hit its
 * transforms (folding, known zeros, branch folding and what a branch
 * teaches, loops, globals around calls and host stores that overlap
 * them, raising helpers) and randomly generated ones with forward
 * branches, labels, calls, host and guest memory, are run through the IR
 * harness, which runs each unoptimized and optimized on every backend and
 * requires identical results (exit value, raise, CPU state, memory).
 */
#include <string.h>

#include "ir-harness.h"

static IRTestEnv *env;

/* ---- helpers the programs call ---- */

/* Reads and writes globals. */
static uint64_t helper_bump(void *envp, uint64_t v)
{
    IRTestState *s = envp;

    s->r[7] = s->r[7] * 3 + v;
    s->seen[0]++;
    return s->r[7] ^ s->r[0];
}

/* Reads globals, writes none (but records what it saw). */
static void helper_peek(void *envp, uint64_t v)
{
    IRTestState *s = envp;

    s->seen[1] = s->seen[1] * 31 + s->r[6] + v;
}

static void helper_check(uint64_t v)
{
    if ((v & 0xff) == 0x5a) {
        ir_raise((uintptr_t)__builtin_return_address(0));
    }
}

static uint64_t helper_hash(uint64_t v)
{
    return (v ^ (v >> 29)) * 0x9e3779b97f4a7c15ull;
}

static const IRHelperInfo info_bump = {
    .func = helper_bump, .name = "bump", .flags = 0,
    .has_ret = true, .ret_type = IR_TYPE_I64,
    .nargs = 2, .arg_types = { IR_TYPE_I64, IR_TYPE_I64 },
};
static const IRHelperInfo info_peek = {
    .func = helper_peek, .name = "peek", .flags = IR_CALL_NO_WRITE_GLOBALS,
    .nargs = 2, .arg_types = { IR_TYPE_I64, IR_TYPE_I64 },
};
static const IRHelperInfo info_check = {
    .func = helper_check, .name = "check", .flags = IR_CALL_MAY_RAISE,
    .nargs = 1, .arg_types = { IR_TYPE_I64 },
};
static const IRHelperInfo info_hash = {
    .func = helper_hash, .name = "hash", .flags = IR_CALL_PURE,
    .has_ret = true, .ret_type = IR_TYPE_I64,
    .nargs = 1, .arg_types = { IR_TYPE_I64 },
};

/* Values inputs and constants are drawn from, so that branches on
 * constants go both ways. */
static const int64_t interesting[] = {
    0, 1, 2, 5, 8, -1, 0x5a, 0xff, 0x100, 63, 64, 0x7fffffff, 0x80000000ll,
    INT64_MIN, (int64_t)0xffffffff00000000ull, 0x123456789abcdefll,
};

static void setup_interesting(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    GRand *rand = g_rand_new_with_seed(0x5eed0000 + input);

    for (unsigned k = 0; k < IRT_NREGS; k++) {
        s->r[k] = g_rand_boolean(rand)
                      ? (uint64_t)interesting[g_rand_int_range(rand, 0, G_N_ELEMENTS(interesting))]
                      : ((uint64_t)g_rand_int(rand) << 32) | g_rand_int(rand);
    }
    for (unsigned k = 0; k < IRT_NWREGS; k++) {
        s->w[k] = g_rand_boolean(rand) ? (uint32_t)s->r[k] : g_rand_int(rand);
    }
    for (unsigned k = 0; k < IRT_GUEST_SIZE; k++) {
        mem[k] = g_rand_int(rand);
    }
    g_rand_free(rand);
}

static void run_case(const char *name, void (*build)(IRTestEnv *t, unsigned tb, void *opaque),
                     void *opaque, unsigned nb_inputs)
{
    IRTestCase tc = {
        .name = name,
        .build = build,
        .nb_inputs = nb_inputs,
        .setup = setup_interesting,
        .opaque = opaque,
    };

    g_assert_true(irt_run(env, &tc));
}

/* ---- programs aimed at the transforms ---- */

static void build_folding(IRTestEnv *t, unsigned tb, void *opaque)
{
    IRContext *c = t->ctx;
    IRv64 a = ir_temp_new_i64(c), b = ir_temp_tb_i64(c);
    IRv32 w = ir_temp_new_i32(c);
    IRLabel l = ir_label_new(c), m = ir_label_new(c);

    /* constants through a chain, i32 wrap-around */
    ir_movi_i64(c, a, 0x7fffffff);
    ir_addi_i64(c, a, a, 1);
    ir_extrl_i64_i32(c, w, a);
    ir_sari_i32(c, w, w, 31);
    ir_ext_i32_i64(c, t->r[8], w);
    /* known zeros from inputs */
    ir_ext8u_i64(c, b, t->r[0]);
    ir_andi_i64(c, t->r[9], b, 0x1ff);
    ir_shri_i64(c, t->r[10], b, 8);
    ir_brcond_i64(c, IR_COND_GTU, b, ir_const_i64(c, 0xff), l);
    ir_setcond_i64(c, IR_COND_LT, t->r[11], b, ir_const_i64(c, 0x100));
    /* what falling through "!=" teaches, and a branch to the next label */
    ir_brcond_i64(c, IR_COND_NE, t->r[1], ir_const_i64(c, 5), m);
    ir_addi_i64(c, t->r[12], t->r[1], 3);
    ir_brcond_i64(c, IR_COND_EQ, t->r[2], t->r[3], l);
    ir_set_label(c, l);
    ir_mul_i64(c, t->r[13], t->r[1], b);
    ir_set_label(c, m);
    ir_xor_i64(c, t->r[14], t->r[1], t->r[1]);
    /* ...which is void once the branch goes (it led to the next label) */
    m = ir_label_new(c);
    ir_brcond_i64(c, IR_COND_NE, t->r[4], ir_const_i64(c, 5), m);
    ir_set_label(c, m);
    ir_addi_i64(c, t->r[15], t->r[4], 1);
    ir_exit_tb(c, 0);
}

static void build_loop(IRTestEnv *t, unsigned tb, void *opaque)
{
    IRContext *c = t->ctx;
    IRv64 i = ir_temp_tb_i64(c), acc = ir_temp_tb_i64(c), k = ir_temp_tb_i64(c);
    IRLabel top = ir_label_new(c), out = ir_label_new(c);

    ir_movi_i64(c, i, 0);
    ir_movi_i64(c, acc, 7);
    ir_movi_i64(c, k, 3);
    ir_set_label(c, top);
    /* k is constant on entry only: the loop must not fold it */
    ir_mul_i64(c, acc, acc, k);
    ir_add_i64(c, acc, acc, i);
    ir_addi_i64(c, k, k, 1);
    ir_brcond_i64(c, IR_COND_EQ, acc, t->r[0], out);
    ir_addi_i64(c, i, i, 1);
    ir_brcond_i64(c, IR_COND_LTU, i, ir_const_i64(c, 5), top);
    ir_set_label(c, out);
    ir_mov_i64(c, t->r[1], acc);
    ir_mov_i64(c, t->r[2], k);
    ir_exit_tb(c, 0);
}

static void build_globals(IRTestEnv *t, unsigned tb, void *opaque)
{
    IRContext *c = t->ctx;
    IRv64 v = ir_temp_new_i64(c), u = ir_temp_new_i64(c);
    IRTempIdx args[2] = { t->env.idx, t->r[4].idx }, ret = v.idx;

    ir_insn_start(c, 0x1000, 0, 0);
    /* a global known before a call that writes globals */
    ir_movi_i64(c, t->r[7], 9);
    ir_call(c, &info_bump, &ret, args);
    ir_addi_i64(c, t->r[8], t->r[7], 1);
    /* written twice around a call that only reads globals */
    ir_movi_i64(c, t->r[6], 1);
    ir_call(c, &info_peek, NULL, args);
    ir_movi_i64(c, t->r[6], 2);
    /* a host store over a known global, and a host load of one */
    ir_movi_i64(c, t->r[5], 0x55);
    ir_st16_i64(c, v, t->env, IRT_OFS_R(5) + 2);
    ir_addi_i64(c, t->r[9], t->r[5], 1);
    ir_movi_i64(c, t->r[10], 0x10);
    ir_ld32u_i64(c, u, t->env, IRT_OFS_R(10));
    ir_movi_i64(c, t->r[10], 0x20);
    ir_st_i64(c, u, t->env, IRT_OFS_SCRATCH);
    /* globals written before a call that may raise must be in memory */
    ir_insn_start(c, 0x1004, 1, 0);
    ir_movi_i64(c, t->r[11], 0x11);
    ir_mov_i64(c, t->r[12], t->r[0]);
    ir_call(c, &info_check, NULL, &args[1]);
    ir_movi_i64(c, t->r[11], 0x22);
    /* a pure call with its result unused, and one used */
    args[1] = t->r[1].idx;
    ir_call(c, &info_hash, &ret, &args[1]);
    ir_call(c, &info_hash, &ret, &args[1]);
    ir_mov_i64(c, t->r[13], v);
    ir_exit_tb(c, 0);
}

static void build_guest_mem(IRTestEnv *t, unsigned tb, void *opaque)
{
    IRContext *c = t->ctx;
    IRv64 a = ir_temp_new_i64(c), v = ir_temp_new_i64(c);

    ir_insn_start(c, 0x2000, 0, 0);
    ir_andi_i64(c, a, t->r[0], 0xff8);
    ir_addi_i64(c, a, a, IRT_GUEST_ADDR);
    ir_movi_i64(c, t->r[1], 1);
    /* result unused: the load stays (it may fault) */
    ir_guest_ld_i64(c, v, a, MO_LEUQ | MO_ALIGN, 0);
    ir_movi_i64(c, t->r[1], 2);
    ir_guest_ld_i64(c, v, a, MO_UB, 0);
    ir_ext8u_i64(c, t->r[2], v);
    ir_guest_st_i64(c, t->r[3], a, MO_BEUL, 0);
    ir_guest_ld_i64(c, t->r[4], a, MO_BESL, 0);
    ir_exit_tb(c, 0);
}

/*
 * Every condition between values whose bits are partly known zero and
 * constants at the edges of what those bits allow, both ways round: the
 * bounds the optimizer decides conditions with must be exact.
 */
static void build_bounds(IRTestEnv *t, unsigned tb, void *opaque)
{
    static const uint64_t edges[] = { 0, 0x7f, 0xfe, 0xff, 0x100, 0xf0, 0x8000, ~0ull, 1ull << 63 };
    IRContext *c = t->ctx;
    IRv64 v[3] = { ir_temp_new_i64(c), ir_temp_new_i64(c), ir_temp_new_i64(c) };
    IRv64 bit = ir_temp_new_i64(c);
    unsigned acc = 1;

    ir_ext8u_i64(c, v[0], t->r[0]);
    ir_andi_i64(c, v[1], t->r[0], 0xf0);
    ir_shri_i64(c, v[2], t->r[0], 57);
    for (unsigned k = 1; k < 8; k++) {
        ir_movi_i64(c, t->r[k], 0);
    }
    for (IRCond cond = IR_COND_EQ; cond < IR_COND_COUNT; cond++) {
        for (unsigned i = 0; i < 3; i++) {
            for (unsigned e = 0; e < G_N_ELEMENTS(edges); e++) {
                IRv64 k = ir_const_i64(c, edges[e]);

                for (unsigned swap = 0; swap < 2; swap++) {
                    if (swap) {
                        ir_setcond_i64(c, cond, bit, k, v[i]);
                    } else {
                        ir_setcond_i64(c, cond, bit, v[i], k);
                    }
                    ir_shli_i64(c, t->r[acc], t->r[acc], 1);
                    ir_or_i64(c, t->r[acc], t->r[acc], bit);
                }
            }
        }
        acc = acc % 7 + 1;
    }
    ir_exit_tb(c, 0);
}

static void setup_bounds(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    static const uint64_t r0[] = {
        0, 1, 0x7f, 0x80, 0xf0, 0xfe, 0xff, 0x100, 0x1ff, 0xffffffffffffffffull,
        0xfe00000000000000ull, 0xff000000000000ffull, 0x7f00000000000000ull, 0xe0ull << 56,
    };

    s->r[0] = r0[input];
}

static void test_programs(void)
{
    IRTestCase bounds = {
        .name = "bounds",
        .build = build_bounds,
        .nb_inputs = 14,
        .setup = setup_bounds,
    };

    g_assert_true(irt_run(env, &bounds));
    run_case("folding", build_folding, NULL, 16);
    run_case("loop", build_loop, NULL, 8);
    run_case("globals", build_globals, NULL, 16);
    run_case("guest-mem", build_guest_mem, NULL, 8);
}

/* ---- random programs ---- */

#define MAX_BB 8
#define NB_LABELS 6

typedef struct Gen {
    IRTestEnv *t;
    IRContext *c;
    GRand *rand;
    IRTempIdx bb64[MAX_BB], bb32[MAX_BB];
    unsigned nbb64, nbb32;
    IRTempIdx tb64[2], tb32;
    /* the last result of each width (i32, i64): reading it often makes
     * chains, where what the optimizer knows about a value gets used */
    IRTempIdx last[2];
    bool has_last[2];
    IRLabel labels[NB_LABELS];
    unsigned next_label;       /* labels[next_label..] are not set yet */
} Gen;

static unsigned rnd(Gen *g, unsigned n)
{
    return g_rand_int_range(g->rand, 0, n);
}

static IRTempIdx pick(Gen *g, bool is64)
{
    if (g->has_last[is64] && rnd(g, 3) == 0) {
        return g->last[is64];
    }
    switch (rnd(g, 10)) {
    case 0: case 1: case 2:
        return is64 ? g->t->r[rnd(g, 8)].idx : g->t->w[rnd(g, 4)].idx;
    case 3: case 4: case 5: {
        int64_t v = interesting[rnd(g, G_N_ELEMENTS(interesting))];

        return is64 ? ir_const_i64(g->c, v).idx : ir_const_i32(g->c, (int32_t)v).idx;
    }
    case 6: case 7:
        return is64 ? g->tb64[rnd(g, 2)] : g->tb32;
    default:
        if (is64 ? g->nbb64 : g->nbb32) {
            return is64 ? g->bb64[rnd(g, g->nbb64)] : g->bb32[rnd(g, g->nbb32)];
        }
        return is64 ? g->t->r[rnd(g, 8)].idx : g->t->w[rnd(g, 4)].idx;
    }
}

/* Where a result goes: chosen after the operands, so a new bb temp is
 * never read before it is written. */
static IRTempIdx pick_dest(Gen *g, bool is64)
{
    unsigned *n = is64 ? &g->nbb64 : &g->nbb32;
    IRTempIdx *bb = is64 ? g->bb64 : g->bb32;

    switch (rnd(g, 10)) {
    case 0: case 1: case 2: case 3:
        return is64 ? g->t->r[rnd(g, 8)].idx : g->t->w[rnd(g, 4)].idx;
    case 4: case 5:
        return is64 ? g->tb64[rnd(g, 2)] : g->tb32;
    default:
        if (*n < MAX_BB && rnd(g, 2)) {
            bb[*n] = is64 ? ir_temp_new_i64(g->c).idx : ir_temp_new_i32(g->c).idx;
            return bb[(*n)++];
        }
        if (*n) {
            return bb[rnd(g, *n)];
        }
        return is64 ? g->t->r[rnd(g, 8)].idx : g->t->w[rnd(g, 4)].idx;
    }
}

static IRTempIdx dest(Gen *g, bool is64)
{
    g->last[is64] = pick_dest(g, is64);
    g->has_last[is64] = true;
    return g->last[is64];
}

static void block_ends(Gen *g)
{
    for (unsigned k = 0; k < 2; k++) {
        /* a bb temp dies here */
        if (g->has_last[k] && ir_temp(g->c, g->last[k])->kind == IR_TEMP_BB) {
            g->has_last[k] = false;
        }
    }
    g->nbb64 = g->nbb32 = 0;
}

static const IROpcode value_ops[] = {
    IR_OP_mov, IR_OP_add, IR_OP_sub, IR_OP_neg, IR_OP_mul, IR_OP_mulsh, IR_OP_muluh,
    IR_OP_div, IR_OP_divu, IR_OP_rem, IR_OP_remu, IR_OP_and, IR_OP_or, IR_OP_xor,
    IR_OP_andc, IR_OP_orc, IR_OP_not, IR_OP_shl, IR_OP_shr, IR_OP_sar, IR_OP_rotl,
    IR_OP_rotr, IR_OP_setcond, IR_OP_movcond, IR_OP_ext8s, IR_OP_ext8u, IR_OP_ext16s,
    IR_OP_ext16u, IR_OP_ext32s, IR_OP_ext32u, IR_OP_deposit, IR_OP_extract,
    IR_OP_sextract, IR_OP_bswap16, IR_OP_bswap32, IR_OP_bswap64, IR_OP_clz, IR_OP_ctz,
    IR_OP_ctpop, IR_OP_and, IR_OP_and, IR_OP_add,
};

static void gen_value_op(Gen *g)
{
    bool is64 = rnd(g, 4) != 0;
    IROpcode opc = value_ops[rnd(g, G_N_ELEMENTS(value_ops))];
    const IROpDef *def = &ir_op_defs[opc];
    unsigned width = is64 ? 64 : 32;
    uint64_t args[IR_MAX_ARGS];

    if ((def->flags & IR_OPF_64_ONLY) && !is64) {
        is64 = true;
    }
    for (unsigned k = 0; k < def->nb_iargs; k++) {
        args[1 + k] = pick(g, is64);
    }
    if (opc == IR_OP_setcond || opc == IR_OP_movcond) {
        args[1 + def->nb_iargs] = rnd(g, IR_COND_COUNT);
    } else if (def->nb_cargs == 2) {
        unsigned pos = rnd(g, width), len = 1 + rnd(g, width - pos);

        args[1 + def->nb_iargs] = pos;
        args[2 + def->nb_iargs] = len;
    }
    args[0] = dest(g, is64);
    ir_emit(g->c, opc, is64 ? IR_TYPE_I64 : IR_TYPE_I32, args, 1, def->nb_iargs,
            def->nb_cargs);
}

static void gen_conversion(Gen *g)
{
    static const IROpcode ops[] = {
        IR_OP_ext_i32_i64, IR_OP_extu_i32_i64, IR_OP_extrl_i64_i32, IR_OP_extrh_i64_i32,
    };
    IROpcode opc = ops[rnd(g, 4)];
    bool out64 = opc == IR_OP_ext_i32_i64 || opc == IR_OP_extu_i32_i64;
    uint64_t args[2];

    args[1] = pick(g, !out64);
    args[0] = dest(g, out64);
    ir_emit(g->c, opc, out64 ? IR_TYPE_I64 : IR_TYPE_I32, args, 1, 1, 0);
}

static void gen_call(Gen *g)
{
    IRTempIdx args[2] = { g->t->env.idx, pick(g, true) }, ret;

    switch (rnd(g, 4)) {
    case 0:
        ret = dest(g, true);
        ir_call(g->c, &info_bump, &ret, args);
        break;
    case 1:
        ir_call(g->c, &info_peek, NULL, args);
        break;
    case 2:
        ir_call(g->c, &info_check, NULL, &args[1]);
        break;
    default:
        ret = dest(g, true);
        ir_call(g->c, &info_hash, &ret, &args[1]);
        break;
    }
}

/* Host loads and stores: into the scratch area or over a global. */
static void gen_host_mem(Gen *g)
{
    static const IROpcode lds[] = { IR_OP_ld8u, IR_OP_ld16s, IR_OP_ld32u, IR_OP_ld };
    static const IROpcode sts[] = { IR_OP_st8, IR_OP_st16, IR_OP_st32, IR_OP_st };
    int32_t ofs = rnd(g, 2) ? IRT_OFS_R(rnd(g, 8)) + 4 * rnd(g, 2) : IRT_OFS_SCRATCH + 8 * rnd(g, 4);
    uint64_t args[3];
    unsigned k = rnd(g, 4);

    if (rnd(g, 2)) {
        args[1] = g->t->env.idx;
        args[2] = (uint64_t)(int64_t)ofs;
        args[0] = dest(g, true);
        ir_emit(g->c, lds[k], IR_TYPE_I64, args, 1, 1, 1);
    } else {
        args[0] = pick(g, true);
        args[1] = g->t->env.idx;
        args[2] = (uint64_t)(int64_t)ofs;
        ir_emit(g->c, sts[k], IR_TYPE_I64, args, 0, 2, 1);
    }
}

static void gen_guest_mem(Gen *g)
{
    static const MemOp mops[] = { MO_UB, MO_SB, MO_LEUW, MO_BESW, MO_LEUL, MO_BESL, MO_LEUQ };
    IRv64 a = ir_temp_new_i64(g->c);
    MemOp mop = mops[rnd(g, G_N_ELEMENTS(mops))];

    ir_andi_i64(g->c, a, (IRv64){ pick(g, true) }, 0xff8);
    ir_addi_i64(g->c, a, a, IRT_GUEST_ADDR);
    if (rnd(g, 2)) {
        ir_guest_ld_i64(g->c, (IRv64){ dest(g, true) }, a, mop, 0);
    } else {
        ir_guest_st_i64(g->c, (IRv64){ pick(g, true) }, a, mop & ~MO_SIGN, 0);
    }
}

static void set_next_label(Gen *g)
{
    ir_set_label(g->c, g->labels[g->next_label++]);
    block_ends(g);
}

/* A forward branch: to a label not set yet. */
static void gen_branch(Gen *g)
{
    IRLabel l = g->labels[g->next_label + rnd(g, NB_LABELS - g->next_label)];

    switch (rnd(g, 6)) {
    case 0:
        ir_br(g->c, l);
        break;
    case 1:
        /* to the next label: removable */
        ir_brcond_i64(g->c, rnd(g, IR_COND_COUNT), (IRv64){ pick(g, true) },
                      (IRv64){ pick(g, true) }, g->labels[g->next_label]);
        break;
    default:
        if (rnd(g, 3)) {
            ir_brcond_i64(g->c, rnd(g, IR_COND_COUNT), (IRv64){ pick(g, true) },
                          (IRv64){ pick(g, true) }, l);
        } else {
            ir_brcond_i32(g->c, rnd(g, IR_COND_COUNT), (IRv32){ pick(g, false) },
                          (IRv32){ pick(g, false) }, l);
        }
        break;
    }
    block_ends(g);
}

/* A counted loop whose body computes but never branches. */
static void gen_loop(Gen *g)
{
    IRv64 i = ir_temp_tb_i64(g->c);
    IRLabel top = ir_label_new(g->c);
    unsigned n = 1 + rnd(g, 4);

    ir_movi_i64(g->c, i, 0);
    ir_set_label(g->c, top);
    block_ends(g);
    for (unsigned k = 0; k < n; k++) {
        gen_value_op(g);
    }
    ir_addi_i64(g->c, i, i, 1);
    ir_brcond_i64(g->c, IR_COND_LTU, i, ir_const_i64(g->c, 3), top);
    block_ends(g);
}

static void build_random(IRTestEnv *t, unsigned tb, void *opaque)
{
    Gen g = { .t = t, .c = t->ctx, .rand = g_rand_new_with_seed(GPOINTER_TO_UINT(opaque)) };
    unsigned nops = 10 + rnd(&g, 40);
    bool loop_done = false;

    for (unsigned k = 0; k < NB_LABELS; k++) {
        g.labels[k] = ir_label_new(g.c);
    }
    g.tb64[0] = ir_temp_tb_i64(g.c).idx;
    g.tb64[1] = ir_temp_tb_i64(g.c).idx;
    g.tb32 = ir_temp_tb_i32(g.c).idx;
    ir_movi_i64(g.c, (IRv64){ g.tb64[0] }, interesting[rnd(&g, G_N_ELEMENTS(interesting))]);
    ir_mov_i64(g.c, (IRv64){ g.tb64[1] }, t->r[rnd(&g, 8)]);
    ir_extrl_i64_i32(g.c, (IRv32){ g.tb32 }, t->r[rnd(&g, 8)]);
    ir_insn_start(g.c, 0x3000, 0, 0);

    for (unsigned k = 0; k < nops; k++) {
        unsigned what = rnd(&g, 100);

        if (what < 50) {
            gen_value_op(&g);
        } else if (what < 55) {
            gen_conversion(&g);
        } else if (what < 62) {
            gen_call(&g);
        } else if (what < 68) {
            gen_host_mem(&g);
        } else if (what < 72) {
            gen_guest_mem(&g);
        } else if (what < 84 && g.next_label < NB_LABELS) {
            gen_branch(&g);
        } else if (what < 92 && g.next_label < NB_LABELS) {
            set_next_label(&g);
        } else if (what < 94) {
            ir_exit_tb(g.c, 4 * rnd(&g, 4));
            block_ends(&g);
        } else if (what < 96 && !loop_done) {
            gen_loop(&g);
            loop_done = true;
        } else {
            ir_insn_start(g.c, 0x3000 + 4 * k, k, 0);
        }
    }
    while (g.next_label < NB_LABELS) {
        set_next_label(&g);
        if (rnd(&g, 2)) {
            gen_value_op(&g);
        }
    }
    ir_exit_tb(g.c, 0);
    g_rand_free(g.rand);
}

static void test_random(void)
{
    unsigned n = g_test_quick() ? 1000 : 5000;

    for (unsigned seed = 1; seed <= n; seed++) {
        g_autofree char *name = g_strdup_printf("random-%u", seed);

        run_case(name, build_random, GUINT_TO_POINTER(seed), 4);
    }
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    env = irt_env_new();
    g_test_add_func("/ir-optimize-equiv/programs", test_programs);
    g_test_add_func("/ir-optimize-equiv/random", test_random);
    ret = g_test_run();
    irt_env_free(env);
    return ret;
}
