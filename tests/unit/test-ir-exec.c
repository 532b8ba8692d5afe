/*
 * How IR runs beyond computing values, on every backend, unoptimized and
 * optimized: helper calls of every arity and every valid flag combination
 * (what a helper sees of the globals and what the IR sees of a helper's
 * writes), the helper ABI (i32 arguments zero-extended, i32 results taken
 * from the low half), helpers raising through ir_raise, 40 values live at
 * once across a call, loops and labels, exit values, goto_tb chaining and
 * unchaining, goto_ptr through the lookup helper, and barriers.
 */
#include <string.h>

#include "ir-harness.h"

#define V32(i) ((IRv32){ (i) })
#define V64(i) ((IRv64){ (i) })

static IRTestEnv *env;

/* ---- helper arities and the argument ABI ---- */

static uint64_t helper_arity0(void)
{
    return 0x1000;
}

static uint64_t helper_arity1(uint64_t a)
{
    return a * 3 + 1;
}

static uint64_t helper_arity2(uint64_t a, uint32_t b)
{
    return a * 5 + b;
}

static uint32_t helper_arity3(uint32_t a, uint64_t b, uint32_t c)
{
    return a * 7 + (uint32_t)b * 11 + c;
}

static uint64_t helper_arity4(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    return a - b * 2 + c * 4 - d * 8;
}

static uint64_t helper_arity5(uint64_t a, uint32_t b, uint64_t c, uint32_t d, uint64_t e)
{
    return (a ^ b) + (c ^ d) * 3 + e * 13;
}

static uint64_t helper_arity6(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                              uint64_t f)
{
    return a + b * 2 + c * 3 + d * 5 + e * 7 + f * 11;
}

/* Declared i32 in its IRHelperInfo but read as 64 bits: the upper half
 * must be zero (the helper ABI). */
static uint64_t helper_zext(uint64_t a)
{
    return a;
}

/* An i32 result with junk above it: generated code takes the low half. */
static uint64_t helper_junk_ret(uint64_t a)
{
    return 0xdeadbeef00000000ull | (uint32_t)(a + 1);
}

#define I64 IR_TYPE_I64
#define I32 IR_TYPE_I32
#define PURE_HELPER(fn, rt, n, ...) \
    { .func = (void *)(fn), .name = #fn, .flags = IR_CALL_PURE, .has_ret = true, \
      .ret_type = (rt), .nargs = (n), .arg_types = { __VA_ARGS__ } }

static const IRHelperInfo arity_helpers[] = {
    PURE_HELPER(helper_arity0, I64, 0),
    PURE_HELPER(helper_arity1, I64, 1, I64),
    PURE_HELPER(helper_arity2, I64, 2, I64, I32),
    PURE_HELPER(helper_arity3, I32, 3, I32, I64, I32),
    PURE_HELPER(helper_arity4, I64, 4, I64, I64, I64, I64),
    PURE_HELPER(helper_arity5, I64, 5, I64, I32, I64, I32, I64),
    PURE_HELPER(helper_arity6, I64, 6, I64, I64, I64, I64, I64, I64),
};
static const IRHelperInfo zext_helper = PURE_HELPER(helper_zext, I64, 1, I32);
static const IRHelperInfo junk_ret_helper = PURE_HELPER(helper_junk_ret, I32, 1, I64);

/* Argument k of a call: r[k] as i64, or its low half (extrl, junk above) as i32. */
static IRTempIdx call_arg(IRTestEnv *t, IRType type, unsigned k)
{
    IRv32 v;

    if (type == I64) {
        return t->r[k].idx;
    }
    v = ir_temp_new_i32(t->ctx);
    ir_extrl_i64_i32(t->ctx, v, t->r[k]);
    return v.idx;
}

static void build_arity(IRTestEnv *t, unsigned tb, void *opaque)
{
    IRContext *c = t->ctx;

    for (unsigned n = 0; n < G_N_ELEMENTS(arity_helpers); n++) {
        const IRHelperInfo *h = &arity_helpers[n];
        IRTempIdx args[IR_MAX_HELPER_ARGS], ret;

        for (unsigned k = 0; k < h->nargs; k++) {
            args[k] = call_arg(t, h->arg_types[k], k);
        }
        if (h->ret_type == I64) {
            ret = ir_temp_new_i64(c).idx;
            ir_call(c, h, &ret, args);
            ir_st_i64(c, V64(ret), t->env, IRT_OFS_SCRATCH + 8 * n);
        } else {
            ret = ir_temp_new_i32(c).idx;
            ir_call(c, h, &ret, args);
            ir_st_i32(c, V32(ret), t->env, IRT_OFS_SCRATCH + 8 * n);
        }
    }
    /* i32 argument zero-extended, i32 result truncated; both into globals */
    IRTempIdx a = call_arg(t, I32, 7);
    ir_call(c, &zext_helper, &t->r[8].idx, &a);
    ir_call(c, &junk_ret_helper, &t->w[0].idx, &t->r[7].idx);
    ir_extu_i32_i64(c, t->r[9], t->w[0]);
    ir_exit_tb(c, 0);
}

static const uint64_t arity_inputs[][8] = {
    { 1, 2, 3, 4, 5, 6, 7, 0xffffffff80000001ull },
    { 0xffffffffffffffffull, 0x8000000000000000ull, 0xfedcba9876543210ull,
      0x0123456789abcdefull, 0x7fffffffffffffffull, 0x00000000ffffffffull,
      0xffffffff00000000ull, 0x12345678fedcba98ull },
};

static void setup_arity(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    memcpy(s->r, arity_inputs[input], sizeof(arity_inputs[input]));
}

static void check_arity(const IRTestResult *r, unsigned input, void *opaque)
{
    const uint64_t *x = arity_inputs[input];
    uint64_t want[] = {
        helper_arity0(),
        helper_arity1(x[0]),
        helper_arity2(x[0], x[1]),
        helper_arity3(x[0], x[1], x[2]),
        helper_arity4(x[0], x[1], x[2], x[3]),
        helper_arity5(x[0], x[1], x[2], x[3], x[4]),
        helper_arity6(x[0], x[1], x[2], x[3], x[4], x[5]),
    };

    for (unsigned n = 0; n < G_N_ELEMENTS(want); n++) {
        uint64_t got;

        memcpy(&got, r->state.scratch + 8 * n, 8);
        if (arity_helpers[n].ret_type == I32) {
            want[n] = (uint32_t)want[n];
        }
        g_assert_cmphex(got, ==, want[n]);
    }
    g_assert_cmphex(r->state.r[8], ==, (uint32_t)x[7]);
    g_assert_cmphex(r->state.w[0], ==, (uint32_t)(x[7] + 1));
    /* an i32 result is stored as 4 bytes: its neighbour is untouched */
    g_assert_cmphex(r->state.w[1], ==, 0);
    g_assert_cmphex(r->state.r[9], ==, (uint32_t)(x[7] + 1));
}

static void test_call_arity(void)
{
    IRTestCase tc = {
        .name = "call-arity", .build = build_arity, .setup = setup_arity,
        .check = check_arity, .nb_inputs = G_N_ELEMENTS(arity_inputs),
    };

    irt_run(env, &tc);
}

/* ---- helper flags: what the helper sees, what the IR sees after ---- */

#define FLAGS_RAISE_ARG 7

/*
 * Behaves as its flags (passed as an argument) allow: reads r0 unless
 * NO_READ_GLOBALS, writes r12 and w5 unless NO_WRITE_GLOBALS or
 * NO_SIDE_EFFECTS, records into seen[] unless NO_SIDE_EFFECTS, raises on
 * FLAGS_RAISE_ARG if MAY_RAISE.
 */
__attribute__((noinline))
static uint64_t helper_flags(void *envp, uint64_t x, uint32_t flags)
{
    IRTestState *s = envp;
    uint64_t v = x * 3 + flags;

    if (!(flags & IR_CALL_NO_READ_GLOBALS)) {
        v += s->r[0] * 1000;
    }
    /* Writing globals is a side effect too: a removable call writes nothing. */
    if (!(flags & (IR_CALL_NO_WRITE_GLOBALS | IR_CALL_NO_SIDE_EFFECTS))) {
        s->r[12] = v ^ 0x5a;
        s->w[5] = (uint32_t)v;
    }
    if (!(flags & IR_CALL_NO_SIDE_EFFECTS)) {
        s->seen[0] = v;
        s->seen[1]++;
    }
    if ((flags & IR_CALL_MAY_RAISE) && x == FLAGS_RAISE_ARG) {
        s->seen[2] = s->r[1];
        ir_raise((uintptr_t)__builtin_return_address(0));
    }
    return v;
}

static IRHelperInfo flag_helpers[16];

static bool flags_valid(unsigned flags)
{
    /* The validator's rules: a raising helper reads globals; a helper
     * without side effects has a result (all of these have one). */
    return !((flags & IR_CALL_MAY_RAISE) && (flags & IR_CALL_NO_READ_GLOBALS));
}

static void build_flags(IRTestEnv *t, unsigned tb, void *opaque)
{
    unsigned flags = GPOINTER_TO_UINT(opaque);
    IRContext *c = t->ctx;
    IRTempIdx args[3] = { t->env.idx, t->r[2].idx, ir_const_i32(c, flags).idx };
    IRTempIdx ret = ir_temp_new_i64(c).idx, unused = ir_temp_new_i64(c).idx;

    ir_insn_start(c, 0x500, 0, 0);
    /* written by the IR just before the call: the helper must see them */
    ir_movi_i64(c, t->r[0], 42);
    ir_addi_i64(c, t->r[1], t->r[1], 1);
    /* read before the call: a JIT may keep it in a register */
    ir_mov_i64(c, t->r[13], t->r[12]);
    ir_insn_start(c, 0x504, 0, 0);
    ir_call(c, &flag_helpers[flags], &ret, args);
    ir_mov_i64(c, t->r[14], V64(ret));
    /* read after the call: sees the helper's write, if any */
    ir_addi_i64(c, t->r[15], t->r[12], 1);
    ir_extu_i32_i64(c, t->r[11], t->w[5]);
    /* a second call whose result is unused: removable only if pure */
    args[1] = t->r[3].idx;
    ir_call(c, &flag_helpers[flags], &unused, args);
    ir_exit_tb(c, 0);
}

static void setup_flags(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    s->r[1] = 1000;
    s->r[2] = input ? FLAGS_RAISE_ARG : 5;
    s->r[3] = 9;
    s->r[12] = 0x1212;
    s->w[5] = 0x55;
}

static void check_flags(const IRTestResult *r, unsigned input, void *opaque)
{
    unsigned flags = GPOINTER_TO_UINT(opaque);
    uint64_t x = input ? FLAGS_RAISE_ARG : 5;
    uint64_t v = x * 3 + flags + (flags & IR_CALL_NO_READ_GLOBALS ? 0 : 42000);
    uint64_t v2 = 9 * 3 + flags + (flags & IR_CALL_NO_READ_GLOBALS ? 0 : 42000);
    bool writes = !(flags & (IR_CALL_NO_WRITE_GLOBALS | IR_CALL_NO_SIDE_EFFECTS));
    bool effects = !(flags & IR_CALL_NO_SIDE_EFFECTS);

    g_assert_cmpuint(r->state.r[0], ==, 42);
    g_assert_cmpuint(r->state.r[1], ==, 1001);
    g_assert_cmphex(r->state.r[13], ==, 0x1212);
    if (input && (flags & IR_CALL_MAY_RAISE)) {
        g_assert_true(r->raised);
        g_assert_true(r->insn_found);
        g_assert_cmphex(r->insn_words[0], ==, 0x504);
        g_assert_cmpuint(r->state.seen[2], ==, 1001);
        g_assert_cmphex(r->state.r[14], ==, 0);
        return;
    }
    g_assert_false(r->raised);
    g_assert_cmphex(r->state.r[14], ==, v);
    /* the second call ran last (if it ran at all) */
    if (writes) {
        g_assert_cmphex(r->state.r[12], ==, v2 ^ 0x5a);
        g_assert_cmphex(r->state.r[15], ==, (v ^ 0x5a) + 1);
        g_assert_cmphex(r->state.r[11], ==, (uint32_t)v);
        g_assert_cmphex(r->state.w[5], ==, (uint32_t)v2);
    } else {
        g_assert_cmphex(r->state.r[12], ==, 0x1212);
        g_assert_cmphex(r->state.r[15], ==, 0x1213);
        g_assert_cmphex(r->state.r[11], ==, 0x55);
    }
    if (effects) {
        g_assert_cmphex(r->state.seen[0], ==, v2);
        g_assert_cmpuint(r->state.seen[1], ==, 2);
    }
}

static void test_call_flags(void)
{
    for (unsigned flags = 0; flags < 16; flags++) {
        flag_helpers[flags] = (IRHelperInfo){
            .func = (void *)helper_flags, .name = "flags", .flags = flags, .has_ret = true,
            .ret_type = I64, .nargs = 3, .arg_types = { I64, I64, I32 },
        };
    }
    for (unsigned flags = 0; flags < 16; flags++) {
        IRTestCase tc = {
            .name = "call-flags", .build = build_flags, .setup = setup_flags,
            .check = check_flags, .opaque = GUINT_TO_POINTER(flags), .nb_inputs = 2,
        };

        if (flags_valid(flags)) {
            irt_run(env, &tc);
        }
    }
}

/* ---- register pressure ---- */

#define NB_LIVE 40

static uint64_t helper_mix(uint64_t a, uint64_t b)
{
    return (a << 7) ^ (b >> 3) ^ 0x9e3779b97f4a7c15ull;
}

static const IRHelperInfo mix_helper = PURE_HELPER(helper_mix, I64, 2, I64, I64);

/* 40 tb temps (and 8 i32 ones) live at once, across a helper call and a branch. */
static void build_pressure(IRTestEnv *t, unsigned tb, void *opaque)
{
    IRContext *c = t->ctx;
    IRv64 v[NB_LIVE];
    IRv32 w[8];
    IRv64 acc = ir_temp_tb_i64(c), m = ir_temp_tb_i64(c);
    IRLabel skip = ir_label_new(c);

    for (unsigned k = 0; k < NB_LIVE; k++) {
        v[k] = ir_temp_tb_i64(c);
        ir_mul_i64(c, v[k], t->r[k % IRT_NREGS], ir_const_i64(c, 2 * k + 1));
        ir_addi_i64(c, v[k], v[k], k * 0x1111);
    }
    for (unsigned k = 0; k < 8; k++) {
        w[k] = ir_temp_tb_i32(c);
        ir_extrl_i64_i32(c, w[k], v[k * 5]);
        ir_xori_i32(c, w[k], w[k], k);
    }
    ir_call(c, &mix_helper, &m.idx, (IRTempIdx[]){ v[0].idx, v[NB_LIVE - 1].idx });
    ir_brcond_i64(c, IR_COND_EQ, t->r[0], ir_const_i64(c, 0), skip);
    ir_addi_i64(c, v[3], v[3], 1);
    ir_set_label(c, skip);
    ir_mov_i64(c, acc, m);
    for (unsigned k = NB_LIVE; k-- > 0;) {
        IRv64 r = ir_temp_new_i64(c);

        ir_rotl_i64(c, r, v[k], ir_const_i64(c, k));
        ir_xor_i64(c, acc, acc, r);
        ir_st_i64(c, v[k], t->env, IRT_OFS_SCRATCH + 8 * k);
    }
    for (unsigned k = 0; k < 8; k++) {
        IRv64 x = ir_temp_new_i64(c);

        ir_extu_i32_i64(c, x, w[k]);
        ir_add_i64(c, acc, acc, x);
    }
    ir_mov_i64(c, t->r[15], acc);
    ir_exit_tb(c, 0);
}

static uint64_t rotl64(uint64_t v, unsigned n)
{
    n &= 63;
    return n ? (v << n) | (v >> (64 - n)) : v;
}

static void setup_pressure(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    GRand *rand = g_rand_new_with_seed(77 + input);

    for (unsigned k = 0; k < IRT_NREGS; k++) {
        s->r[k] = ((uint64_t)g_rand_int(rand) << 32) | g_rand_int(rand);
    }
    s->r[0] = input ? s->r[0] : 0;
    g_rand_free(rand);
}

static void check_pressure(const IRTestResult *r, unsigned input, void *opaque)
{
    IRTestState s0 = { 0 };
    uint64_t v[NB_LIVE], acc;
    uint32_t w[8];

    setup_pressure(&s0, NULL, input, NULL);
    for (unsigned k = 0; k < NB_LIVE; k++) {
        v[k] = s0.r[k % IRT_NREGS] * (2 * k + 1) + k * 0x1111;
    }
    for (unsigned k = 0; k < 8; k++) {
        w[k] = (uint32_t)v[k * 5] ^ k;
    }
    acc = helper_mix(v[0], v[NB_LIVE - 1]);
    if (s0.r[0] != 0) {
        v[3]++;
    }
    for (unsigned k = NB_LIVE; k-- > 0;) {
        uint64_t got;

        acc ^= rotl64(v[k], k);
        memcpy(&got, r->state.scratch + 8 * k, 8);
        g_assert_cmphex(got, ==, v[k]);
    }
    for (unsigned k = 0; k < 8; k++) {
        acc += w[k];
    }
    g_assert_cmphex(r->state.r[15], ==, acc);
}

static void test_pressure(void)
{
    IRTestCase tc = {
        .name = "pressure", .build = build_pressure, .setup = setup_pressure,
        .check = check_pressure, .nb_inputs = 2,
    };

    irt_run(env, &tc);
}

/*
 * More temps than a backend's usual frame holds: TB 0 computes a chain
 * of 1000 temps, TB 1 (small) goes back to TB 0 until r2 reaches 3.
 */
#define NB_CHAIN_TEMPS 1000

static void build_big_frame(IRTestEnv *t, unsigned tb, void *opaque)
{
    IRContext *c = t->ctx;

    if (tb == 0) {
        IRv64 prev = t->r[0];

        for (unsigned k = 0; k < NB_CHAIN_TEMPS; k++) {
            IRv64 x = k & 1 ? ir_temp_new_i64(c) : ir_temp_tb_i64(c);

            ir_mul_i64(c, x, prev, ir_const_i64(c, 3));
            ir_addi_i64(c, x, x, k);
            prev = x;
        }
        ir_add_i64(c, t->r[1], t->r[1], prev);
        ir_goto_tb(c, 0);
        irt_exit_slot(t, 0, 0);
    } else {
        IRLabel done = ir_label_new(c);

        ir_addi_i64(c, t->r[2], t->r[2], 1);
        ir_addi_i64(c, t->r[0], t->r[0], 1);
        ir_brcond_i64(c, IR_COND_GEU, t->r[2], ir_const_i64(c, 3), done);
        ir_goto_tb(c, 0);
        irt_exit_slot(t, 1, 0);
        ir_set_label(c, done);
        ir_exit_tb(c, 0x80);
    }
}

static void link_big_frame(IRTestEnv *t, void *opaque)
{
    irt_chain(t, 0, 0, 1);
    irt_chain(t, 1, 0, 0);
}

static void setup_big_frame(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    s->r[0] = 5 + input;
}

static void check_big_frame(const IRTestResult *r, unsigned input, void *opaque)
{
    uint64_t r0 = 5 + input, r1 = 0;

    for (unsigned round = 0; round < 3; round++, r0++) {
        uint64_t x = r0;

        for (unsigned k = 0; k < NB_CHAIN_TEMPS; k++) {
            x = x * 3 + k;
        }
        r1 += x;
    }
    g_assert_cmphex(r->exit_value, ==, 0x80);
    g_assert_cmpuint(r->state.r[2], ==, 3);
    g_assert_cmphex(r->state.r[1], ==, r1);
}

static void test_big_frame(void)
{
    IRTestCase tc = {
        .name = "big-frame", .nb_tbs = 2, .build = build_big_frame, .link = link_big_frame,
        .setup = setup_big_frame, .check = check_big_frame, .nb_inputs = 2,
    };

    irt_run(env, &tc);
}

/* ---- loops, labels, exits ---- */

static void build_loop(IRTestEnv *t, unsigned tb, void *opaque)
{
    IRContext *c = t->ctx;
    IRLabel top = ir_label_new(c), inner = ir_label_new(c), again = ir_label_new(c);
    IRv64 sq = ir_temp_tb_i64(c), n = ir_temp_tb_i64(c);
    IRv32 j = ir_temp_tb_i32(c);

    /* sum and sum of squares of 0..r0-1 (at least one iteration) */
    ir_movi_i64(c, t->r[1], 0);
    ir_movi_i64(c, t->r[2], 0);
    ir_movi_i64(c, t->r[3], 0);
    ir_movi_i64(c, n, 0);
    ir_set_label(c, top);
    ir_add_i64(c, t->r[2], t->r[2], t->r[1]);
    ir_mul_i64(c, sq, t->r[1], t->r[1]);
    ir_add_i64(c, t->r[3], t->r[3], sq);
    /* an inner loop on an i32 counter: n += 3 four times */
    ir_movi_i32(c, j, 0);
    ir_set_label(c, inner);
    ir_addi_i64(c, n, n, 3);
    ir_addi_i32(c, j, j, 1);
    ir_brcond_i32(c, IR_COND_LTU, j, ir_const_i32(c, 4), inner);
    ir_addi_i64(c, t->r[1], t->r[1], 1);
    ir_brcond_i64(c, IR_COND_LTU, t->r[1], t->r[0], top);
    ir_mov_i64(c, t->r[4], n);
    /* a loop on an i32 global counting down to zero */
    ir_movi_i32(c, t->w[0], 30);
    ir_set_label(c, again);
    ir_addi_i32(c, t->w[0], t->w[0], -3);
    ir_addi_i64(c, t->r[5], t->r[5], 1);
    ir_brcond_i32(c, IR_COND_NE, t->w[0], ir_const_i32(c, 0), again);
    ir_exit_tb(c, 0);
}

static const uint64_t loop_counts[] = { 0, 1, 10, 100 };

static void setup_loop(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    s->r[0] = loop_counts[input];
}

static void check_loop(const IRTestResult *r, unsigned input, void *opaque)
{
    uint64_t n = loop_counts[input] ? loop_counts[input] : 1;

    g_assert_cmpuint(r->state.r[1], ==, n);
    g_assert_cmpuint(r->state.r[2], ==, n * (n - 1) / 2);
    g_assert_cmpuint(r->state.r[3], ==, (n - 1) * n * (2 * n - 1) / 6);
    g_assert_cmpuint(r->state.r[4], ==, 12 * n);
    g_assert_cmpuint(r->state.w[0], ==, 0);
    g_assert_cmpuint(r->state.r[5], ==, 10);
}

static void test_loop(void)
{
    IRTestCase tc = {
        .name = "loop", .build = build_loop, .setup = setup_loop, .check = check_loop,
        .nb_inputs = G_N_ELEMENTS(loop_counts),
    };

    irt_run(env, &tc);
}

/* Labels: two at one point, a branch over dead code, never/always, several exits. */
static void build_exits(IRTestEnv *t, unsigned tb, void *opaque)
{
    IRContext *c = t->ctx;
    IRLabel l1 = ir_label_new(c), l2 = ir_label_new(c), l3 = ir_label_new(c);
    IRLabel l4 = ir_label_new(c), unused = ir_label_new(c);

    ir_brcond_i64(c, IR_COND_NEVER, t->r[0], t->r[0], l3);
    ir_movi_i64(c, t->r[1], 1);
    ir_brcond_i64(c, IR_COND_ALWAYS, t->r[0], t->r[0], l1);
    ir_movi_i64(c, t->r[1], 99);
    ir_set_label(c, l1);
    ir_set_label(c, l2);
    ir_set_label(c, unused);
    ir_addi_i64(c, t->r[2], t->r[2], 1);
    ir_brcond_i64(c, IR_COND_EQ, t->r[0], ir_const_i64(c, 0), l3);
    ir_brcond_i64(c, IR_COND_EQ, t->r[0], ir_const_i64(c, 1), l4);
    ir_brcond_i64(c, IR_COND_LTU, t->r[2], ir_const_i64(c, 3), l2);
    ir_exit_tb(c, 0x1230);
    ir_set_label(c, l3);
    ir_exit_tb(c, 0);
    ir_set_label(c, l4);
    ir_exit_tb(c, IR_EXIT_REQUESTED);
}

static void setup_exits(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    s->r[0] = input;
}

static void check_exits(const IRTestResult *r, unsigned input, void *opaque)
{
    static const uint64_t exits[] = { 0, IR_EXIT_REQUESTED, 0x1230 };

    g_assert_cmpuint(r->state.r[1], ==, 1);
    g_assert_cmpuint(r->state.r[2], ==, input == 2 ? 3 : 1);
    g_assert_false(r->raised);
    g_assert_cmphex(r->exit_value, ==, exits[input]);
}

static void test_exits(void)
{
    IRTestCase tc = {
        .name = "exits", .build = build_exits, .setup = setup_exits, .check = check_exits,
        .nb_inputs = 3,
    };

    irt_run(env, &tc);
}

/* ---- goto_tb chaining ---- */

typedef enum {
    CHAIN_NONE,              /* both slots exit */
    CHAIN_LOOP,              /* slot 0 -> TB 0 itself, slot 1 -> TB 1 */
    CHAIN_UNCHAINED,         /* chained, then slot 0 unchained again */
    CHAIN_TO_NEXT,           /* slot 0 -> TB 1 */
    CHAIN_COUNT
} ChainVariant;

/*
 * TB 0: r1++; if r1 >= r0 leave through slot 1, else through slot 0.
 * TB 1: r2 = r1 * 2, exit 0x40.
 */
static void build_chain(IRTestEnv *t, unsigned tb, void *opaque)
{
    IRContext *c = t->ctx;

    if (tb == 0) {
        IRLabel out = ir_label_new(c);

        ir_insn_start(c, IRT_GUEST_ADDR, 0, 0);
        ir_addi_i64(c, t->r[1], t->r[1], 1);
        ir_addi_i64(c, t->r[3], t->r[3], 0x10);
        ir_brcond_i64(c, IR_COND_GEU, t->r[1], t->r[0], out);
        ir_goto_tb(c, 0);
        irt_exit_slot(t, 0, 0);
        ir_set_label(c, out);
        ir_goto_tb(c, 1);
        irt_exit_slot(t, 0, 1);
    } else {
        ir_insn_start(c, IRT_GUEST_ADDR + 0x100, 0, 0);
        ir_shli_i64(c, t->r[2], t->r[1], 1);
        ir_exit_tb(c, 0x40);
    }
}

static void link_chain(IRTestEnv *t, void *opaque)
{
    switch (GPOINTER_TO_UINT(opaque)) {
    case CHAIN_LOOP:
        irt_chain(t, 0, 0, 0);
        irt_chain(t, 0, 1, 1);
        break;
    case CHAIN_UNCHAINED:
        irt_chain(t, 0, 0, 0);
        irt_chain(t, 0, 1, 1);
        irt_unchain(t, 0, 0);
        break;
    case CHAIN_TO_NEXT:
        irt_chain(t, 0, 0, 1);
        break;
    default:
        break;
    }
}

static const uint64_t chain_counts[] = { 0, 1, 2, 5, 1000 };

static void setup_chain(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    s->r[0] = chain_counts[input];
}

static void check_chain(const IRTestResult *r, unsigned input, void *opaque)
{
    uint64_t n = chain_counts[input];
    bool first_exit = n <= 1;    /* r1 >= r0 after the first increment */
    uint64_t r1 = 1, exit = first_exit ? irt_exit(0, 1) : irt_exit(0, 0), r2 = 0;

    switch (GPOINTER_TO_UINT(opaque)) {
    case CHAIN_LOOP:
        r1 = n > 1 ? n : 1;
        r2 = 2 * r1;
        exit = 0x40;
        break;
    case CHAIN_UNCHAINED:
        if (first_exit) {
            r2 = 2;
            exit = 0x40;
        }
        break;
    case CHAIN_TO_NEXT:
        if (!first_exit) {
            r2 = 2;
            exit = 0x40;
        }
        break;
    default:
        break;
    }
    g_assert_false(r->raised);
    g_assert_cmpuint(r->state.r[1], ==, r1);
    g_assert_cmpuint(r->state.r[3], ==, 0x10 * r1);
    g_assert_cmpuint(r->state.r[2], ==, r2);
    g_assert_cmphex(r->exit_value, ==, exit);
}

static void test_chain(void)
{
    for (unsigned v = 0; v < CHAIN_COUNT; v++) {
        IRTestCase tc = {
            .name = "chain", .nb_tbs = 2, .build = build_chain, .link = link_chain,
            .setup = setup_chain, .check = check_chain, .opaque = GUINT_TO_POINTER(v),
            .nb_inputs = G_N_ELEMENTS(chain_counts),
        };

        irt_run(env, &tc);
    }
}

/* ---- goto_ptr through the lookup helper ---- */

/* TB r15 of the running case, if there is one. */
static const void *lookup_by_r15(void *envp)
{
    IRTestState *s = envp;
    IRTestEnv *t = irt_current();

    s->seen[0]++;
    return s->r[15] < 3 ? irt_tb_at(t, s->r[15])->host_code : NULL;
}

/*
 * TB 0: r15 = r14, then look up and jump. TB 1: r2 = 55, exit 0x100.
 * TB 2: r3 = 77, r15 = 1, look up and jump (to TB 1).
 */
static void build_goto_ptr(IRTestEnv *t, unsigned tb, void *opaque)
{
    IRContext *c = t->ctx;
    IRv64 code = ir_temp_new_i64(c);

    ir_insn_start(c, IRT_GUEST_ADDR + 0x100 * tb, 0, 0);
    switch (tb) {
    case 1:
        ir_movi_i64(c, t->r[2], 55);
        ir_exit_tb(c, 0x100);
        return;
    case 2:
        ir_movi_i64(c, t->r[3], 77);
        ir_movi_i64(c, t->r[15], 1);
        break;
    default:
        ir_mov_i64(c, t->r[15], t->r[14]);
        break;
    }
    ir_call(c, &ir_lookup_helper, &code.idx, &t->env.idx);
    ir_goto_ptr(c, code);
}

static void setup_goto_ptr(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    static const uint64_t targets[] = { 1, 2, 9 };

    s->r[14] = targets[input];
}

static void check_goto_ptr(const IRTestResult *r, unsigned input, void *opaque)
{
    g_assert_false(r->raised);
    switch (input) {
    case 0:
        g_assert_cmpuint(r->state.r[2], ==, 55);
        g_assert_cmphex(r->exit_value, ==, 0x100);
        g_assert_cmpuint(r->state.seen[0], ==, 1);
        break;
    case 1:
        g_assert_cmpuint(r->state.r[2], ==, 55);
        g_assert_cmpuint(r->state.r[3], ==, 77);
        g_assert_cmphex(r->exit_value, ==, 0x100);
        g_assert_cmpuint(r->state.seen[0], ==, 2);
        break;
    default:
        g_assert_cmpuint(r->state.r[2], ==, 0);
        g_assert_cmphex(r->exit_value, ==, 0);
        g_assert_cmpuint(r->state.seen[0], ==, 1);
        break;
    }
}

static void test_goto_ptr(void)
{
    IRTestCase tc = {
        .name = "goto-ptr", .nb_tbs = 3, .build = build_goto_ptr, .setup = setup_goto_ptr,
        .check = check_goto_ptr, .nb_inputs = 3,
    };

    ir_lookup_tb_code = lookup_by_r15;
    irt_run(env, &tc);
    ir_lookup_tb_code = NULL;
}

/* ---- barriers ---- */

static void build_mb(IRTestEnv *t, unsigned tb, void *opaque)
{
    IRContext *c = t->ctx;
    IRv64 v = ir_temp_new_i64(c);

    for (unsigned kind = 1; kind <= IR_MB_ALL; kind++) {
        ir_guest_st_i64(c, t->r[0], ir_const_i64(c, IRT_GUEST_ADDR + 8 * kind), MO_64, 0);
        ir_mb(c, kind);
        ir_guest_ld_i64(c, v, ir_const_i64(c, IRT_GUEST_ADDR + 8 * kind), MO_64, 0);
        ir_add_i64(c, t->r[1], t->r[1], v);
    }
    ir_exit_tb(c, 0);
}

static void setup_mb(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    s->r[0] = 0x1111;
}

static void check_mb(const IRTestResult *r, unsigned input, void *opaque)
{
    g_assert_cmphex(r->state.r[1], ==, 0x1111 * IR_MB_ALL);
}

static void test_mb(void)
{
    IRTestCase tc = {
        .name = "mb", .build = build_mb, .setup = setup_mb, .check = check_mb,
    };

    irt_run(env, &tc);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    env = irt_env_new();
    g_test_add_func("/ir/call/arity", test_call_arity);
    g_test_add_func("/ir/call/flags", test_call_flags);
    g_test_add_func("/ir/pressure/live", test_pressure);
    g_test_add_func("/ir/pressure/big-frame", test_big_frame);
    g_test_add_func("/ir/flow/loop", test_loop);
    g_test_add_func("/ir/flow/exits", test_exits);
    g_test_add_func("/ir/flow/chain", test_chain);
    g_test_add_func("/ir/flow/goto-ptr", test_goto_ptr);
    g_test_add_func("/ir/flow/mb", test_mb);
    ret = g_test_run();
    irt_env_free(env);
    return ret;
}
