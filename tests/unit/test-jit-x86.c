/*
 * Tests of what is particular to the x86-64 JIT (test-ir-* check its
 * results against the interpreter op by op): the code buffer filling up
 * and being flushed, chaining and unchaining while another thread runs
 * the chained loop, find_insn after raises (helper calls, alignment
 * faults, paths that join across insn_starts), register pressure, a spill
 * area bigger than the prologue's frame, guest_base variants, W^X views,
 * -d out_asm, concurrent translation, and the paths for hosts without
 * lzcnt/tzcnt/popcnt/movbe (through the IR fuzzer).
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <glib/gstdio.h>

#include "proteus/log.h"
#include "accel/tcg/host/x86_64.h"
#include "ir-gen.h"

#define NREGS 8

typedef struct JitTestState {
    uint64_t r[NREGS];
    uint32_t w[4];
    uint64_t fault_addr;
    uint64_t fault_mop;
} JitTestState;

#define OFS_R(k) ((int32_t)(offsetof(JitTestState, r) + 8 * (k)))
#define OFS_W(k) ((int32_t)(offsetof(JitTestState, w) + 4 * (k)))

static const IRBackend *be = &ir_backend_x86_64;
static IRContext *ctx;
static IRv64 R[NREGS];
static IRv32 W[4];

static void ctx_init(void)
{
    GError *err = NULL;

    g_assert_true(be->init(&err));
    g_assert_no_error(err);
    ctx = ir_context_new();
    ir_env(ctx);
    for (unsigned k = 0; k < NREGS; k++) {
        g_autofree char *name = g_strdup_printf("r%u", k);
        R[k] = ir_global_i64(ctx, OFS_R(k), name);
    }
    for (unsigned k = 0; k < 4; k++) {
        g_autofree char *name = g_strdup_printf("w%u", k);
        W[k] = ir_global_i32(ctx, OFS_W(k), name);
    }
}

/* Validates the IR built since ir_reset and translates it into tb. */
static bool translate(TranslationBlock *tb, uint64_t pc)
{
    GError *err = NULL;

    if (!ir_validate(ctx, &err)) {
        ir_dump(ctx, stderr);
    }
    g_assert_no_error(err);
    memset(tb, 0, sizeof(*tb));
    tb->pc = pc;
    return be->gen_code(ctx, tb);
}

/* Runs tb; false if it raised (retaddr set). */
static bool run(JitTestState *st, const TranslationBlock *tb, uint64_t *exit_value,
                uintptr_t *retaddr)
{
    return irt_exec_guarded(be, st, tb, exit_value, retaddr);
}

static uint64_t run_ok(JitTestState *st, const TranslationBlock *tb)
{
    uint64_t exit_value = 0;
    uintptr_t retaddr = 0;

    g_assert_true(run(st, tb, &exit_value, &retaddr));
    return exit_value;
}

/* ---- the code buffer ---- */

/* r0 = r0 * 3 + k for k = 1..n: a TB of about 8 bytes per step. */
static void build_chain_of_adds(unsigned n)
{
    ir_reset(ctx);
    ir_insn_start(ctx, 0x1000, 0, 0);
    for (unsigned k = 1; k <= n; k++) {
        IRv64 t = ir_temp_new_i64(ctx);

        ir_mul_i64(ctx, t, R[0], ir_const_i64(ctx, 3));
        ir_addi_i64(ctx, R[0], t, k);
    }
    ir_exit_tb(ctx, 0);
}

static uint64_t chain_of_adds(uint64_t x, unsigned n)
{
    for (unsigned k = 1; k <= n; k++) {
        x = x * 3 + k;
    }
    return x;
}

static void test_buffer_full(void)
{
    static TranslationBlock tbs[64];
    JitTestState st = { 0 };
    GError *err = NULL;
    unsigned n = 0;

    g_assert_true(jit_x86_64_set_buffer_size(64 * 1024, &err));
    for (n = 0; n < G_N_ELEMENTS(tbs); n++) {
        build_chain_of_adds(300);
        if (!translate(&tbs[n], 0x1000)) {
            break;
        }
    }
    /* 300 steps take a few KiB: the buffer fills after a handful. */
    g_assert_cmpuint(n, >=, 2);
    g_assert_cmpuint(n, <, G_N_ELEMENTS(tbs));
    /* What was generated before still runs. */
    st.r[0] = 5;
    run_ok(&st, &tbs[0]);
    g_assert_cmphex(st.r[0], ==, chain_of_adds(5, 300));

    be->flush();
    build_chain_of_adds(300);
    g_assert_true(translate(&tbs[0], 0x1000));
    g_assert(tbs[0].host_code != NULL);
    st.r[0] = 7;
    run_ok(&st, &tbs[0]);
    g_assert_cmphex(st.r[0], ==, chain_of_adds(7, 300));

    /* A TB bigger than the whole buffer never fits. */
    be->flush();
    build_chain_of_adds(9000);
    g_assert_false(translate(&tbs[0], 0x1000));

    g_assert_true(jit_x86_64_set_buffer_size(64u << 20, &err));
    g_assert_no_error(err);
}

/* ---- chaining ---- */

static TranslationBlock tb_a, tb_b;

/* A: r0++, goto_tb 0 -> B. B: r1++, r1 == r7 exits through slot 1,
 * else goto_tb 0 -> A. */
static void build_loop_pair(void)
{
    IRLabel done;

    ir_reset(ctx);
    ir_insn_start(ctx, 0x2000, 0, 0);
    ir_addi_i64(ctx, R[0], R[0], 1);
    ir_goto_tb(ctx, 0);
    ir_exit_tb(ctx, ir_exit_value(&tb_a, 0));
    g_assert_true(translate(&tb_a, 0x2000));

    ir_reset(ctx);
    done = ir_label_new(ctx);
    ir_insn_start(ctx, 0x2004, 0, 0);
    ir_addi_i64(ctx, R[1], R[1], 1);
    ir_brcond_i64(ctx, IR_COND_EQ, R[1], R[7], done);
    ir_goto_tb(ctx, 0);
    ir_exit_tb(ctx, ir_exit_value(&tb_b, 0));
    ir_set_label(ctx, done);
    ir_exit_tb(ctx, ir_exit_value(&tb_b, 1));
    g_assert_true(translate(&tb_b, 0x2004));
}

typedef struct Runner {
    JitTestState *st;
    const TranslationBlock *tb;
    uint64_t exit_value;
} Runner;

static gpointer runner_thread(gpointer opaque)
{
    Runner *r = opaque;

    r->exit_value = be->exec(r->st, r->tb);
    return NULL;
}

/* Waits until the loop has gone round a while (10 s at most). */
static void wait_for_progress(JitTestState *st, uint64_t rounds)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    while (__atomic_load_n(&st->r[1], __ATOMIC_RELAXED) < rounds) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(1000);
    }
}

static void test_chain(void)
{
    JitTestState st = { 0 };
    Runner r = { .st = &st, .tb = &tb_a };
    GThread *thread;

    build_loop_pair();
    /* Unchained: each TB leaves through its slot. */
    g_assert_cmphex(run_ok(&st, &tb_a), ==, ir_exit_value(&tb_a, 0));
    g_assert_cmpuint(st.r[0], ==, 1);

    /* Chained both ways: the loop never comes back until r1 == r7. */
    be->set_jump(&tb_a, 0, &tb_b);
    be->set_jump(&tb_b, 0, &tb_a);
    memset(&st, 0, sizeof(st));
    st.r[7] = 1000000;
    g_assert_cmphex(run_ok(&st, &tb_a), ==, ir_exit_value(&tb_b, 1));
    g_assert_cmpuint(st.r[0], ==, 1000000);
    g_assert_cmpuint(st.r[1], ==, 1000000);

    /* Unchain B -> A while another thread runs the loop. */
    memset(&st, 0, sizeof(st));
    st.r[7] = UINT64_MAX;
    thread = g_thread_new("jit-loop", runner_thread, &r);
    wait_for_progress(&st, 10000);
    be->set_jump(&tb_b, 0, NULL);
    g_thread_join(thread);
    g_assert_cmphex(r.exit_value, ==, ir_exit_value(&tb_b, 0));
    g_assert_cmpuint(st.r[0], ==, st.r[1]);
    g_assert_cmpuint(st.r[1], >=, 10000);

    /* Chain again, then unchain A -> B while it runs. */
    be->set_jump(&tb_b, 0, &tb_a);
    memset(&st, 0, sizeof(st));
    st.r[7] = UINT64_MAX;
    thread = g_thread_new("jit-loop", runner_thread, &r);
    wait_for_progress(&st, 10000);
    be->set_jump(&tb_a, 0, NULL);
    g_thread_join(thread);
    g_assert_cmphex(r.exit_value, ==, ir_exit_value(&tb_a, 0));
    g_assert_cmpuint(st.r[0], ==, st.r[1] + 1);
    be->set_jump(&tb_b, 0, NULL);
}

/* ---- find_insn ---- */

/* Raises when its argument is 42; the return address names the call. */
static __attribute__((noinline)) uint64_t helper_check(void *env, uint64_t v)
{
    if (v == 42) {
        ir_raise((uintptr_t)__builtin_return_address(0));
    }
    return v + 1;
}

static const IRHelperInfo info_check = {
    .func = (void *)helper_check, .name = "check", .flags = IR_CALL_MAY_RAISE,
    .has_ret = true, .ret_type = IR_TYPE_I64, .nargs = 2,
    .arg_types = { IR_TYPE_I64, IR_TYPE_I64 },
};

static void call_check(IRv64 dst, IRv64 v)
{
    IRTempIdx args[2] = { ir_env(ctx).idx, v.idx };

    ir_call(ctx, &info_check, &dst.idx, args);
}

static void expect_raise_at(JitTestState *st, const TranslationBlock *tb, uint64_t pc,
                            uint64_t word1)
{
    const TranslationBlock *found = NULL;
    uint64_t words[3] = { 0 }, exit_value;
    uintptr_t retaddr = 0;

    g_assert_false(run(st, tb, &exit_value, &retaddr));
    g_assert_true(be->find_insn(retaddr, &found, words));
    g_assert_true(found == tb);
    g_assert_cmphex(words[0], ==, pc);
    g_assert_cmphex(words[1], ==, word1);
}

static void record_unaligned(void *env, uint64_t addr, MemOp mop)
{
    JitTestState *st = env;

    st->fault_addr = addr;
    st->fault_mop = mop;
}

static void test_find_insn(void)
{
    static TranslationBlock tb;
    JitTestState st;
    const TranslationBlock *found;
    uint64_t words[3];
    JitBufferInfo info;
    IRLabel join;

    /* Straight code: a raise in the second and in the third insn. */
    ir_reset(ctx);
    ir_insn_start(ctx, 0x100, 1, 0);
    ir_addi_i64(ctx, R[0], R[0], 1);
    ir_insn_start(ctx, 0x104, 2, 0);
    ir_addi_i64(ctx, R[1], R[1], 5);
    call_check(R[5], R[2]);
    ir_movi_i64(ctx, R[3], 7);
    ir_insn_start(ctx, 0x108, 3, 0);
    call_check(R[6], R[4]);
    ir_exit_tb(ctx, 0);
    g_assert_true(translate(&tb, 0x100));

    memset(&st, 0, sizeof(st));
    st.r[2] = 42;
    expect_raise_at(&st, &tb, 0x104, 2);
    /* Globals are in env at the raise: r0 and r1 are done, r3 not. */
    g_assert_cmpuint(st.r[0], ==, 1);
    g_assert_cmpuint(st.r[1], ==, 5);
    g_assert_cmpuint(st.r[3], ==, 0);

    memset(&st, 0, sizeof(st));
    st.r[4] = 42;
    expect_raise_at(&st, &tb, 0x108, 3);
    g_assert_cmpuint(st.r[3], ==, 7);
    g_assert_cmpuint(st.r[5], ==, 1);

    memset(&st, 0, sizeof(st));
    run_ok(&st, &tb);
    g_assert_cmpuint(st.r[6], ==, 1);

    /* Addresses outside TBs: a C function, the prologue. */
    jit_x86_64_buffer_info(&info);
    g_assert_false(be->find_insn((uintptr_t)helper_check + 1, &found, words));
    g_assert_false(be->find_insn((uintptr_t)info.rx + 2, &found, words));

    /* Paths that join after insn 0x204 coming from insn 0x200: which insn
     * runs at the raise depends on the path. */
    ir_reset(ctx);
    join = ir_label_new(ctx);
    ir_insn_start(ctx, 0x200, 10, 0);
    ir_brcond_i64(ctx, IR_COND_EQ, R[7], ir_const_i64(ctx, 0), join);
    ir_insn_start(ctx, 0x204, 11, 0);
    ir_addi_i64(ctx, R[0], R[0], 1);
    ir_set_label(ctx, join);
    call_check(R[5], R[2]);
    ir_exit_tb(ctx, 0);
    g_assert_true(translate(&tb, 0x200));

    memset(&st, 0, sizeof(st));
    st.r[2] = 42;
    expect_raise_at(&st, &tb, 0x200, 10);
    st.r[7] = 1;
    expect_raise_at(&st, &tb, 0x204, 11);
    g_assert_cmpuint(st.r[0], ==, 1);
    st.r[2] = 3;
    run_ok(&st, &tb);
    g_assert_cmpuint(st.r[5], ==, 4);

    /* An alignment fault, reported through ir_unaligned_hook. */
    ir_unaligned_hook = record_unaligned;
    ir_reset(ctx);
    ir_insn_start(ctx, 0x300, 20, 0);
    ir_movi_i64(ctx, R[1], 9);
    ir_insn_start(ctx, 0x304, 21, 0);
    ir_guest_ld_i64(ctx, R[0], R[2], MO_LEUQ | MO_ALIGN, 0);
    ir_exit_tb(ctx, 0);
    g_assert_true(translate(&tb, 0x300));
    memset(&st, 0, sizeof(st));
    st.r[2] = 0x1004;
    expect_raise_at(&st, &tb, 0x304, 21);
    g_assert_cmphex(st.fault_addr, ==, 0x1004);
    g_assert_cmphex(st.fault_mop, ==, MO_LEUQ | MO_ALIGN);
    g_assert_cmpuint(st.r[1], ==, 9);
    ir_unaligned_hook = NULL;
}

/* ---- register pressure and the frame ---- */

static uint64_t mix(uint64_t a, uint32_t b)
{
    return (a ^ b) * 0x9e3779b97f4a7c15ull;
}

static const IRHelperInfo info_mix = {
    .func = (void *)mix, .name = "mix", .flags = IR_CALL_PURE,
    .has_ret = true, .ret_type = IR_TYPE_I64, .nargs = 2,
    .arg_types = { IR_TYPE_I64, IR_TYPE_I32 },
};

#define NLIVE 40

static void test_pressure(void)
{
    static TranslationBlock tb;
    IRv64 t64[NLIVE];
    IRv32 t32[NLIVE];
    JitTestState st = { .r = { 3, 0x123456789, 77, 1ull << 40, 5, 6, 7, 8 },
                        .w = { 0xdeadbeef, 2, 3, 4 } };
    uint64_t v64[NLIVE], acc = 0, m;
    uint32_t v32[NLIVE], acc32 = 0;

    ir_reset(ctx);
    ir_insn_start(ctx, 0x400, 0, 0);
    for (unsigned k = 0; k < NLIVE; k++) {
        t64[k] = ir_temp_new_i64(ctx);
        t32[k] = ir_temp_new_i32(ctx);
        ir_mul_i64(ctx, t64[k], R[k % NREGS], ir_const_i64(ctx, k + 1));
        ir_xori_i64(ctx, t64[k], t64[k], (int64_t)k << 33);
        ir_addi_i32(ctx, t32[k], W[k % 4], k * 0x01010101);
    }
    /* Everything stays live across a helper call... */
    {
        IRTempIdx args[2] = { t64[0].idx, t32[NLIVE - 1].idx };
        IRv64 m64 = ir_temp_new_i64(ctx);

        ir_call(ctx, &info_mix, &m64.idx, args);
        ir_mov_i64(ctx, R[6], m64);
    }
    /* ...and is then consumed, last first. */
    ir_movi_i64(ctx, R[0], 0);
    ir_movi_i32(ctx, W[0], 0);
    for (unsigned k = NLIVE; k-- > 0;) {
        ir_mul_i64(ctx, R[0], R[0], ir_const_i64(ctx, 31));
        ir_add_i64(ctx, R[0], R[0], t64[k]);
        ir_rotl_i32(ctx, W[0], W[0], ir_const_i32(ctx, 5));
        ir_xor_i32(ctx, W[0], W[0], t32[k]);
    }
    ir_exit_tb(ctx, 0);
    g_assert_true(translate(&tb, 0x400));

    for (unsigned k = 0; k < NLIVE; k++) {
        v64[k] = (st.r[k % NREGS] * (k + 1)) ^ ((uint64_t)k << 33);
        v32[k] = st.w[k % 4] + k * 0x01010101u;
    }
    m = mix(v64[0], v32[NLIVE - 1]);
    for (unsigned k = NLIVE; k-- > 0;) {
        acc = acc * 31 + v64[k];
        acc32 = ((acc32 << 5) | (acc32 >> 27)) ^ v32[k];
    }
    run_ok(&st, &tb);
    g_assert_cmphex(st.r[0], ==, acc);
    g_assert_cmphex(st.w[0], ==, acc32);
    g_assert_cmphex(st.r[6], ==, m);
}

#define NSPILL 700

static TranslationBlock tb_next;
static const void *next_code;

static const void *lookup_next(void *env)
{
    return next_code;
}

/*
 * More tb temps live across a label than the prologue's frame holds: the
 * TB grows the frame and must give it back on every way out (exit_tb,
 * a chained or unchained goto_tb, goto_ptr to code or to the exit).
 */
static void test_big_frame(void)
{
    static TranslationBlock tb;
    IRv64 t[NSPILL];
    IRLabel l, l_goto_tb, l_goto_ptr;
    uint64_t expect = 0;

    ir_reset(ctx);
    ir_insn_start(ctx, 0x580, 0, 0);
    ir_addi_i64(ctx, R[4], R[4], 1);
    ir_exit_tb(ctx, 4);
    g_assert_true(translate(&tb_next, 0x580));

    ir_reset(ctx);
    l = ir_label_new(ctx);
    l_goto_tb = ir_label_new(ctx);
    l_goto_ptr = ir_label_new(ctx);
    ir_insn_start(ctx, 0x500, 0, 0);
    for (unsigned k = 0; k < NSPILL; k++) {
        t[k] = ir_temp_tb_i64(ctx);
        ir_mul_i64(ctx, t[k], R[0], ir_const_i64(ctx, k + 1));
    }
    ir_br(ctx, l);
    ir_set_label(ctx, l);
    ir_movi_i64(ctx, R[1], 0);
    for (unsigned k = 0; k < NSPILL; k++) {
        ir_rotl_i64(ctx, R[1], R[1], ir_const_i64(ctx, 3));
        ir_xor_i64(ctx, R[1], R[1], t[k]);
    }
    /* A call with the TB's own frame: rsp stays aligned. */
    {
        IRTempIdx args[2] = { R[1].idx, W[0].idx };

        ir_call(ctx, &info_mix, &R[2].idx, args);
    }
    ir_brcond_i64(ctx, IR_COND_EQ, R[3], ir_const_i64(ctx, 1), l_goto_tb);
    ir_brcond_i64(ctx, IR_COND_EQ, R[3], ir_const_i64(ctx, 2), l_goto_ptr);
    ir_exit_tb(ctx, 0);
    ir_set_label(ctx, l_goto_tb);
    ir_goto_tb(ctx, 0);
    ir_exit_tb(ctx, ir_exit_value(&tb, 0));
    ir_set_label(ctx, l_goto_ptr);
    {
        IRv64 code = ir_temp_new_i64(ctx);
        IRTempIdx env = ir_env(ctx).idx;

        ir_call(ctx, &ir_lookup_helper, &code.idx, &env);
        ir_goto_ptr(ctx, code);
    }
    g_assert_true(translate(&tb, 0x500));
    /* It starts by growing its frame: sub rsp, imm32. */
    g_assert_cmpmem(tb.host_code, 3, "\x48\x81\xec", 3);

    for (unsigned k = 0; k < NSPILL; k++) {
        expect = ((expect << 3) | (expect >> 61)) ^ (11ull * (k + 1));
    }
    ir_lookup_tb_code = lookup_next;
    for (unsigned way = 0; way < 5; way++) {
        static const uint64_t r3[] = { 0, 1, 1, 2, 2 };
        JitTestState st = { .r = { 11, 0, 0, r3[way] } };
        uint64_t exit_value;

        if (way == 2) {
            be->set_jump(&tb, 0, &tb_next);
        }
        next_code = way == 4 ? tb_next.host_code : NULL;
        exit_value = run_ok(&st, &tb);
        g_assert_cmphex(st.r[1], ==, expect);
        g_assert_cmphex(st.r[2], ==, mix(expect, 0));
        switch (way) {
        case 1:
            g_assert_cmphex(exit_value, ==, ir_exit_value(&tb, 0));
            break;
        case 2:
        case 4:
            g_assert_cmphex(exit_value, ==, 4);
            g_assert_cmpuint(st.r[4], ==, 1);
            break;
        default:
            g_assert_cmphex(exit_value, ==, 0);
            g_assert_cmpuint(st.r[4], ==, 0);
            break;
        }
    }
    ir_lookup_tb_code = NULL;
}

/* ---- loops inside a TB ---- */

/*
 * The values a loop carries stay in registers across its header; every
 * way in (the fall-through, a forward branch, the back edge) must bring
 * them there, and the exit must write them back.
 */
static void build_loop(void)
{
    IRLabel head = ir_label_new(ctx);
    IRv64 acc = ir_temp_tb_i64(ctx);
    IRv64 t[16], sum = ir_temp_new_i64(ctx), m = ir_temp_new_i64(ctx);
    IRv32 low = ir_temp_new_i32(ctx);
    IRTempIdx args[2];

    ir_insn_start(ctx, 0x900, 0, 0);
    ir_mov_i64(ctx, acc, R[3]);
    ir_brcond_i64(ctx, IR_COND_EQ, R[6], ir_const_i64(ctx, 1), head);
    ir_movi_i64(ctx, R[0], 0);
    ir_set_label(ctx, head);
    ir_insn_start(ctx, 0x904, 0, 0);
    ir_mul_i64(ctx, sum, R[0], ir_const_i64(ctx, 3));
    ir_add_i64(ctx, acc, acc, sum);
    ir_extrl_i64_i32(ctx, low, R[0]);
    ir_xor_i32(ctx, W[1], W[1], low);
    args[0] = acc.idx;
    args[1] = W[1].idx;
    ir_call(ctx, &info_mix, &m.idx, args);
    ir_add_i64(ctx, R[4], R[4], m);
    /* More live values than registers. */
    for (unsigned k = 0; k < 16; k++) {
        t[k] = ir_temp_new_i64(ctx);
        ir_addi_i64(ctx, t[k], R[0], k * 7);
    }
    ir_movi_i64(ctx, sum, 0);
    for (unsigned k = 0; k < 16; k++) {
        ir_xor_i64(ctx, sum, sum, t[k]);
        ir_rotl_i64(ctx, sum, sum, ir_const_i64(ctx, 1));
    }
    ir_add_i64(ctx, R[5], R[5], sum);
    /* A host store over a global's field, inside the loop. */
    ir_st_i64(ctx, R[0], ir_env(ctx), OFS_R(7));
    ir_addi_i64(ctx, R[0], R[0], 1);
    ir_brcond_i64(ctx, IR_COND_LTU, R[0], R[2], head);
    ir_mov_i64(ctx, R[3], acc);
    ir_exit_tb(ctx, 0);
}

static void loop_model(JitTestState *st)
{
    uint64_t acc = st->r[3];

    if (st->r[6] != 1) {
        st->r[0] = 0;
    }
    do {
        uint64_t sum = 0;

        acc += st->r[0] * 3;
        st->w[1] ^= (uint32_t)st->r[0];
        st->r[4] += mix(acc, st->w[1]);
        for (unsigned k = 0; k < 16; k++) {
            sum ^= st->r[0] + k * 7;
            sum = (sum << 1) | (sum >> 63);
        }
        st->r[5] += sum;
        st->r[7] = st->r[0];
        st->r[0]++;
    } while (st->r[0] < st->r[2]);
    st->r[3] = acc;
}

static void test_loop(void)
{
    static TranslationBlock tb;

    ir_reset(ctx);
    build_loop();
    g_assert_true(translate(&tb, 0x900));
    for (unsigned way = 0; way < 3; way++) {
        JitTestState st = { .r = { 5, 0, 40, 1000, 0, 0, 0, 0 }, .w = { 0, 0x55 } };
        JitTestState expect;

        st.r[6] = way == 1;
        st.r[2] = way == 2 ? 1 : 40;
        expect = st;
        loop_model(&expect);
        run_ok(&st, &tb);
        g_assert_cmpmem(&st, sizeof(st), &expect, sizeof(expect));
    }
}

/* ---- guest memory at different guest bases ---- */

/* Loads and stores of every size and order at guest 0x1000 + r0. */
static void build_guest_mem(void)
{
    ir_reset(ctx);
    ir_insn_start(ctx, 0x600, 0, 0);
    ir_guest_ld_i64(ctx, R[1], R[0], MO_LEUQ, 0);
    ir_guest_ld_i64(ctx, R[2], R[0], MO_BESL, 0);
    ir_guest_ld_i32(ctx, W[1], R[0], MO_BEUW, 0);
    ir_guest_ld_i64(ctx, R[3], R[0], MO_SB, 0);
    ir_addi_i64(ctx, R[4], R[0], 8);
    ir_guest_st_i64(ctx, R[1], R[4], MO_BEUQ, 0);
    ir_guest_st_i32(ctx, W[0], R[4], MO_LEUW | MO_ALIGN, 0);
    ir_guest_st_i64(ctx, ir_const_i64(ctx, 0x1122334455667788ll), R[4], MO_BEUL, 0);
    ir_exit_tb(ctx, 0);
}

static void check_guest_mem(uint8_t *host, uint64_t guest)
{
    static TranslationBlock tb;
    static const uint8_t bytes[8] = { 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88 };
    JitTestState st = { .r = { guest }, .w = { 0xabcd } };
    uint8_t *at = host + guest;

    memset(at, 0, 16);
    memcpy(at, bytes, 8);
    build_guest_mem();
    g_assert_true(translate(&tb, 0x600));
    run_ok(&st, &tb);
    g_assert_cmphex(st.r[1], ==, 0x8887868584838281ull);
    g_assert_cmphex(st.r[2], ==, 0xffffffff81828384ull);
    g_assert_cmphex(st.w[1], ==, 0x8182);
    g_assert_cmphex(st.r[3], ==, 0xffffffffffffff81ull);
    /* BE 64-bit store of r1, then LE 16 and BE 32 over its start. */
    g_assert_cmphex(at[8], ==, 0x55);
    g_assert_cmphex(at[9], ==, 0x66);
    g_assert_cmphex(at[10], ==, 0x77);
    g_assert_cmphex(at[11], ==, 0x88);
    g_assert_cmphex(at[12], ==, 0x84);
    g_assert_cmphex(at[15], ==, 0x81);
}

static void test_guest_base(void)
{
    uintptr_t saved = ir_guest_base;
    uint8_t *low;
    void *mem = NULL;

    /* A base too far for a displacement (the heap). */
    g_assert(posix_memalign(&mem, 4096, 8192) == 0);
    ir_guest_base = (uintptr_t)mem - 0x1000;
    check_guest_mem((uint8_t *)ir_guest_base, 0x1000);
    free(mem);

    /* Memory below 2 GiB: base 0 and a base that is a displacement. */
    low = mmap((void *)0x40000000, 8192, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (low == MAP_FAILED || low != (void *)0x40000000) {
        g_test_message("no memory at 0x40000000: base 0 not tested");
    } else {
        ir_guest_base = 0;
        check_guest_mem(NULL, 0x40000000);
        ir_guest_base = 0x40000000 - 0x1000;
        check_guest_mem((uint8_t *)ir_guest_base, 0x1000);
        munmap(low, 8192);
    }
    ir_guest_base = saved;
}

/* ---- W^X ---- */

/* The permissions /proc/self/maps gives the mapping that starts at addr. */
static char *maps_perms(const void *addr)
{
    g_autofree char *maps = NULL;
    g_auto(GStrv) lines = NULL;

    g_assert_true(g_file_get_contents("/proc/self/maps", &maps, NULL, NULL));
    lines = g_strsplit(maps, "\n", -1);
    for (char **l = lines; *l; l++) {
        unsigned long start, end;
        char perms[8];

        if (sscanf(*l, "%lx-%lx %7s", &start, &end, perms) == 3 &&
            start == (uintptr_t)addr) {
            return g_strdup(perms);
        }
    }
    return NULL;
}

static void test_wx(void)
{
    JitBufferInfo info;
    g_autofree char *rx = NULL, *rw = NULL;

    jit_x86_64_buffer_info(&info);
    if (!info.dual_mapped) {
        g_test_skip("the code buffer is a single RWX mapping on this host");
        return;
    }
    g_assert_true(info.rx != info.rw);
    rx = maps_perms(info.rx);
    rw = maps_perms(info.rw);
    g_assert_nonnull(rx);
    g_assert_nonnull(rw);
    /* "r-xs" and "rw-s": never writable and executable at once. */
    g_assert_cmpint(rx[0], ==, 'r');
    g_assert_cmpint(rx[1], ==, '-');
    g_assert_cmpint(rx[2], ==, 'x');
    g_assert_cmpint(rw[1], ==, 'w');
    g_assert_cmpint(rw[2], ==, '-');
}

/* ---- -d out_asm ---- */

static void build_clz(void)
{
    ir_reset(ctx);
    ir_insn_start(ctx, 0x7000, 0, 0);
    ir_clz_i64(ctx, R[1], R[0], ir_const_i64(ctx, 64));
    ir_ctpop_i64(ctx, R[2], R[0]);
    ir_exit_tb(ctx, 0);
}

static char *logged_out_asm(unsigned features)
{
    static TranslationBlock tb;
    g_autofree char *path = NULL;
    GError *err = NULL;
    char *text = NULL;
    int fd = g_file_open_tmp(NULL, &path, &err);
    unsigned saved = jit_x86_64_set_features(features);
    JitTestState st = { .r = { 0x00f0 } };

    g_assert_no_error(err);
    close(fd);
    g_assert_true(log_set_file(path, &err));
    log_set_mask(LOG_OUT_ASM);
    build_clz();
    g_assert_true(translate(&tb, 0x7000));
    log_set_mask(0);
    g_assert_true(log_set_file(NULL, &err));
    jit_x86_64_set_features(saved);
    run_ok(&st, &tb);
    g_assert_cmpuint(st.r[1], ==, 56);
    g_assert_cmpuint(st.r[2], ==, 4);
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_unlink(path);
    return text;
}

static void test_out_asm(void)
{
    g_autofree char *fast = logged_out_asm(~0u);
    g_autofree char *base = logged_out_asm(0);
    JitBufferInfo info;

    g_assert_nonnull(strstr(base, "OUT: [size="));
    g_assert_nonnull(strstr(base, "guest pc 0x7000"));
    g_assert_nonnull(strstr(base, "-- guest insn 0x7000"));
    g_assert_nonnull(strstr(base, "jmp"));
    /* Without lzcnt and popcnt: bsr and the shift-and-add count. */
    g_assert_nonnull(strstr(base, "bsr"));
    g_assert_null(strstr(base, "popcnt"));
    jit_x86_64_buffer_info(&info);
    if (info.features & JIT_FEAT_LZCNT) {
        g_assert_nonnull(strstr(fast, "lzcnt"));
    }
    if (info.features & JIT_FEAT_POPCNT) {
        g_assert_nonnull(strstr(fast, "popcnt"));
    }
}

/* ---- concurrent translation ---- */

typedef struct Translator {
    IRContext *ctx;
    IRv64 r0;
    TranslationBlock tbs[50];
    unsigned k;
} Translator;

static gpointer translator_thread(gpointer opaque)
{
    Translator *tr = opaque;

    for (unsigned n = 0; n < G_N_ELEMENTS(tr->tbs); n++) {
        ir_reset(tr->ctx);
        ir_insn_start(tr->ctx, 0x8000, 0, 0);
        ir_addi_i64(tr->ctx, tr->r0, tr->r0, tr->k * 1000 + n);
        ir_exit_tb(tr->ctx, 0);
        g_assert_true(be->gen_code(tr->ctx, &tr->tbs[n]));
    }
    return NULL;
}

static void test_threads(void)
{
    Translator tr[2];
    GThread *th[2];

    for (unsigned k = 0; k < 2; k++) {
        memset(&tr[k], 0, sizeof(tr[k]));
        tr[k].ctx = ir_context_new();
        ir_env(tr[k].ctx);
        tr[k].r0 = ir_global_i64(tr[k].ctx, OFS_R(0), "r0");
        tr[k].k = k;
        th[k] = g_thread_new("jit-gen", translator_thread, &tr[k]);
    }
    for (unsigned k = 0; k < 2; k++) {
        g_thread_join(th[k]);
    }
    for (unsigned k = 0; k < 2; k++) {
        for (unsigned n = 0; n < G_N_ELEMENTS(tr[k].tbs); n++) {
            JitTestState st = { .r = { 1 } };

            run_ok(&st, &tr[k].tbs[n]);
            g_assert_cmpuint(st.r[0], ==, 1 + k * 1000 + n);
        }
        ir_context_free(tr[k].ctx);
    }
}

/* ---- hosts without the optional instructions ---- */

static void test_baseline_fuzz(void)
{
    IRTestEnv *t = irt_env_new();
    unsigned saved = jit_x86_64_set_features(0);

    for (unsigned seed = 1; seed <= 400; seed++) {
        IRGenCase gc = { .min_ops = 20, .max_ops = 120 };
        IRTestCase tc;

        ir_gen_source_seed(&gc.program, seed * 7919ull);
        ir_gen_source_seed(&gc.state, ~(uint64_t)seed);
        tc = ir_gen_test_case(&gc);
        g_assert_true(irt_run(t, &tc));
    }
    jit_x86_64_set_features(saved);
    irt_env_free(t);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    ctx_init();
    g_test_add_func("/jit-x86/buffer-full", test_buffer_full);
    g_test_add_func("/jit-x86/chain", test_chain);
    g_test_add_func("/jit-x86/find-insn", test_find_insn);
    g_test_add_func("/jit-x86/pressure", test_pressure);
    g_test_add_func("/jit-x86/big-frame", test_big_frame);
    g_test_add_func("/jit-x86/loop", test_loop);
    g_test_add_func("/jit-x86/guest-base", test_guest_base);
    g_test_add_func("/jit-x86/wx", test_wx);
    g_test_add_func("/jit-x86/out-asm", test_out_asm);
    g_test_add_func("/jit-x86/threads", test_threads);
    g_test_add_func("/jit-x86/baseline-fuzz", test_baseline_fuzz);
    ret = g_test_run();
    ir_context_free(ctx);
    return ret;
}
