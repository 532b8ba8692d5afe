/*
 * Unit tests for the IR validator: programs of each shape (straight line,
 * branches and loops, tb temps across labels, helper calls) pass; then one
 * broken program per rule, built with ir_emit where the builders would not
 * allow it, must fail naming the op's index and the rule. Last, random
 * corruptions of a valid program must be refused or accepted without the
 * validator itself misbehaving (run under ASan/UBSan).
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "proteus/error.h"
#include "proteus/ir.h"

typedef struct Fixture {
    IRContext *ctx;
    IRv64 x1, x2;     /* temps 1, 2 */
    IRv32 w;          /* temp 3 */
} Fixture;

static void fixture_init(Fixture *f)
{
    f->ctx = ir_context_new();
    f->x1 = ir_global_i64(f->ctx, 8, "x1");
    f->x2 = ir_global_i64(f->ctx, 16, "x2");
    f->w = ir_global_i32(f->ctx, 24, "w");
}

static void expect_valid(IRContext *ctx)
{
    GError *err = NULL;
    bool ok = ir_validate(ctx, &err);

    g_assert_no_error(err);
    g_assert_true(ok);
}

/* Fails at op index `at` with `keyword` in the rule; then starts a new TB. */
static void expect_invalid(IRContext *ctx, guint at, const char *keyword)
{
    g_autofree char *prefix = g_strdup_printf("IR op %u (", at);
    GError *err = NULL;

    g_assert_false(ir_validate(ctx, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    if (!g_str_has_prefix(err->message, prefix) || !strstr(err->message, keyword)) {
        g_error("expected \"%s...%s\", got \"%s\"", prefix, keyword, err->message);
    }
    g_error_free(err);
    ir_reset(ctx);
}

/* Appends a raw op; the list is outputs, inputs, constants as ir-ops.h says. */
#define RAW(ctx, opc, type, no, ni, nc, ...) \
    ir_emit(ctx, IR_OP_##opc, type, (const uint64_t[]){ __VA_ARGS__ }, no, ni, nc)
#define RAW0(ctx, opc, type) ir_emit(ctx, IR_OP_##opc, type, NULL, 0, 0, 0)

static void *const fake_func = (void *)(uintptr_t)0x1000;

static const IRHelperInfo h_pure = {
    .func = fake_func, .name = "helper_pure", .flags = IR_CALL_PURE,
    .has_ret = true, .ret_type = IR_TYPE_I64,
    .nargs = 2, .arg_types = { IR_TYPE_I64, IR_TYPE_I32 },
};
static const IRHelperInfo h_raise = {
    .func = fake_func, .name = "helper_raise", .flags = IR_CALL_MAY_RAISE,
    .nargs = 1, .arg_types = { IR_TYPE_I64 },
};
static const IRHelperInfo h_max = {
    .func = fake_func, .name = "helper_max", .flags = IR_CALL_NO_WRITE_GLOBALS,
    .has_ret = true, .ret_type = IR_TYPE_I32, .nargs = IR_MAX_HELPER_ARGS,
    .arg_types = { IR_TYPE_I64, IR_TYPE_I32, IR_TYPE_I64, IR_TYPE_I32, IR_TYPE_I64,
                   IR_TYPE_I32 },
};

/* ---- valid programs ---- */

static void test_valid_empty(void)
{
    Fixture f;

    fixture_init(&f);
    expect_valid(f.ctx);
    ir_context_free(f.ctx);
}

static void test_valid_straight(void)
{
    Fixture f;
    IRContext *c;
    IRv64 a, e;
    IRv32 b;

    fixture_init(&f);
    c = f.ctx;
    e = ir_env(c);
    a = ir_temp_new_i64(c);
    b = ir_temp_new_i32(c);
    ir_insn_start(c, 0x1000, 0, 0);
    ir_addi_i64(c, a, f.x1, 8);
    ir_guest_ld_i64(c, a, a, MO_LESL | MO_ALIGN, 0);
    ir_guest_ld_i32(c, b, a, MO_BEUW, 1);
    ir_guest_ld_i32(c, b, a, MO_LEUL, 1);
    ir_guest_st_i32(c, b, f.x1, MO_UB, 0);
    ir_atomic_cmpxchg_i64(c, a, f.x1, a, f.x2, MO_LEUQ | MO_ALIGN, 0);
    ir_atomic_rmw_i64(c, IR_ATOMIC_UMAX, a, f.x1, a, MO_LEUL, 0);
    ir_atomic_rmw_i32(c, IR_ATOMIC_XCHG, b, f.x1, b, MO_LEUW, 0);
    ir_ld_i32(c, b, e, 4);
    ir_ld32s_i64(c, a, e, -4);
    ir_st16_i32(c, b, e, INT32_MAX);
    ir_st_i64(c, a, a, INT32_MIN);
    ir_extract_i32(c, b, b, 0, 32);
    ir_sextract_i32(c, b, b, 31, 1);
    ir_deposit_i64(c, a, a, f.x2, 63, 1);
    ir_ext_i32_i64(c, a, b);
    ir_extrh_i64_i32(c, f.w, a);
    ir_movcond_i64(c, IR_COND_TSTNE, f.x2, a, f.x1, a, ir_const_i64(c, -1));
    ir_mb(c, IR_MB_ALL);
    ir_mb(c, 0);
    /* A global may be written, and read before any write. */
    ir_mov_i64(c, f.x1, f.x2);
    ir_goto_tb(c, 0);
    ir_exit_tb(c, ir_exit_value((void *)(uintptr_t)0x4000, 0));
    ir_goto_tb(c, 1);
    ir_exit_tb(c, ir_exit_value((void *)(uintptr_t)0x4000, 1));
    expect_valid(c);
    ir_context_free(c);
}

static void test_valid_branches(void)
{
    Fixture f;
    IRContext *c;
    IRLabel l_else, l_join, l_loop, l_skip;
    IRv64 tbv, cnt, t;
    IRv32 u;

    fixture_init(&f);
    c = f.ctx;
    l_else = ir_label_new(c);
    l_join = ir_label_new(c);
    l_loop = ir_label_new(c);
    l_skip = ir_label_new(c);
    tbv = ir_temp_tb_i64(c);
    cnt = ir_temp_tb_i64(c);

    /* if/else: tbv written on both arms, read after the join. */
    ir_brcond_i64(c, IR_COND_EQ, f.x1, ir_const_i64(c, 0), l_else);
    ir_movi_i64(c, tbv, 1);
    ir_br(c, l_join);
    ir_set_label(c, l_else);
    ir_movi_i64(c, tbv, 2);
    ir_set_label(c, l_join);
    t = ir_temp_new_i64(c);
    ir_add_i64(c, t, tbv, f.x2);
    ir_mov_i64(c, f.x2, t);

    /* A counted loop with a backward branch. */
    ir_movi_i64(c, cnt, 10);
    ir_set_label(c, l_loop);
    ir_addi_i64(c, cnt, cnt, -1);
    u = ir_temp_new_i32(c);
    ir_extrl_i64_i32(c, u, cnt);
    ir_brcond_i32(c, IR_COND_NE, u, ir_const_i32(c, 0), l_loop);
    /* A fresh bb temp in the fallthrough block. */
    u = ir_temp_new_i32(c);
    ir_movi_i32(c, u, 3);
    ir_brcond_i32(c, IR_COND_GTU, u, f.w, l_skip);
    ir_mov_i64(c, f.x1, cnt);
    ir_set_label(c, l_skip);
    ir_goto_tb(c, 0);
    ir_exit_tb(c, 0);
    /* Unreachable code may read anything. */
    ir_mov_i64(c, f.x1, ir_temp_tb_i64(c));
    expect_valid(c);
    ir_context_free(c);
}

static void test_valid_calls(void)
{
    Fixture f;
    IRContext *c;
    IRTempIdx ret, args[IR_MAX_HELPER_ARGS];
    IRv64 r64;
    IRv32 r32;

    fixture_init(&f);
    c = f.ctx;
    r64 = ir_temp_new_i64(c);
    r32 = ir_temp_tb_i32(c);
    args[0] = ir_env(c).idx;
    args[1] = f.w.idx;
    ret = r64.idx;
    ir_call(c, &h_pure, &ret, args);
    ir_call(c, &h_raise, NULL, &r64.idx);
    for (unsigned i = 0; i < IR_MAX_HELPER_ARGS; i++) {
        args[i] = i % 2 ? ir_const_i32(c, i).idx : f.x1.idx;
    }
    ret = r32.idx;
    ir_call(c, &h_max, &ret, args);
    ir_mov_i32(c, f.w, r32);
    ir_exit_tb(c, IR_EXIT_REQUESTED);
    expect_valid(c);
    ir_context_free(c);
}

/* A long TB with many labels, loops and tb temps validates quickly. */
static void test_valid_large(void)
{
    Fixture f;
    IRContext *c;
    IRv64 tbs[300];

    fixture_init(&f);
    c = f.ctx;
    for (unsigned i = 0; i < G_N_ELEMENTS(tbs); i++) {
        tbs[i] = ir_temp_tb_i64(c);
        ir_movi_i64(c, tbs[i], i);
    }
    for (unsigned n = 0; n < 2000; n++) {
        IRLabel head = ir_label_new(c), out = ir_label_new(c);
        IRv64 t = ir_temp_new_i64(c);

        ir_set_label(c, head);
        ir_add_i64(c, t, tbs[n % 300], tbs[(n * 7) % 300]);
        ir_mov_i64(c, tbs[(n * 13) % 300], t);
        ir_brcond_i64(c, IR_COND_LTU, tbs[n % 300], f.x1, out);
        ir_brcond_i64(c, IR_COND_NE, tbs[(n * 3) % 300], f.x2, head);
        ir_set_label(c, out);
    }
    ir_exit_tb(c, 0);
    expect_valid(c);
    ir_context_free(c);
}

/* ---- one rule each ---- */

static void test_bad_structure(void)
{
    Fixture f;
    IRContext *c;
    IRv64 a;

    fixture_init(&f);
    c = f.ctx;

    a = ir_temp_new_i64(c);
    ir_movi_i64(c, a, 1);
    ir_emit(c, IR_OP_COUNT, IR_TYPE_I64, NULL, 0, 0, 0);
    expect_invalid(c, 1, "opcode");

    a = ir_temp_new_i64(c);
    RAW(c, add, IR_TYPE_I64, 1, 1, 0, a.idx, f.x1.idx);
    expect_invalid(c, 0, "argument counts");

    RAW(c, mb, IR_TYPE_I64, 0, 0, 2, 0, 0);
    expect_invalid(c, 0, "argument counts");

    a = ir_temp_new_i64(c);
    RAW(c, add, IR_TYPE_I64, 1, 2, 0, a.idx, f.x1.idx, 1000);
    expect_invalid(c, 0, "temp 1000 out of range");

    a = ir_temp_new_i64(c);
    RAW(c, add, 9, 1, 2, 0, a.idx, f.x1.idx, f.x1.idx);
    expect_invalid(c, 0, "neither i32 nor i64");
    ir_context_free(c);
}

static void test_bad_types(void)
{
    Fixture f;
    IRContext *c;
    IRv64 a;
    IRv32 b;

    fixture_init(&f);
    c = f.ctx;

    /* The exact message, once. */
    a = ir_temp_new_i64(c);
    b = ir_temp_new_i32(c);
    ir_movi_i64(c, a, 0);
    ir_movi_i32(c, b, 0);
    RAW(c, add, IR_TYPE_I64, 1, 2, 0, a.idx, a.idx, b.idx);
    {
        GError *err = NULL;

        g_assert_false(ir_validate(c, &err));
        g_assert_cmpstr(err->message, ==,
                        "IR op 2 (add_i64 t4, t4, t5): type of t5 is i32, the op needs i64");
        g_error_free(err);
        ir_reset(c);
    }

    /* A NULL errp is allowed. */
    RAW(c, mov, IR_TYPE_I32, 1, 1, 0, f.x1.idx, f.w.idx);
    g_assert_false(ir_validate(c, NULL));
    ir_reset(c);

    RAW(c, mov, IR_TYPE_I32, 1, 1, 0, f.x1.idx, f.w.idx);
    expect_invalid(c, 0, "type of x1 is i64, the op needs i32");

    RAW(c, ext32s, IR_TYPE_I32, 1, 1, 0, f.w.idx, f.w.idx);
    expect_invalid(c, 0, "64-bit only");
    RAW(c, ld32u, IR_TYPE_I32, 1, 1, 1, f.w.idx, 0, 0);
    expect_invalid(c, 0, "64-bit only");

    /* Base pointers and guest addresses are i64 whatever the op's type. */
    RAW(c, ld, IR_TYPE_I32, 1, 1, 1, f.w.idx, f.w.idx, 0);
    expect_invalid(c, 0, "type of w");
    RAW(c, st8, IR_TYPE_I64, 0, 2, 1, f.x1.idx, f.w.idx, 0);
    expect_invalid(c, 0, "type of w");
    RAW(c, guest_ld, IR_TYPE_I32, 1, 1, 2, f.w.idx, f.w.idx, MO_LEUL, 0);
    expect_invalid(c, 0, "type of w");
    RAW(c, guest_st, IR_TYPE_I32, 0, 2, 2, f.w.idx, f.w.idx, MO_LEUL, 0);
    expect_invalid(c, 0, "type of w");
    RAW(c, atomic_rmw, IR_TYPE_I32, 1, 2, 3, f.w.idx, f.w.idx, f.w.idx, MO_LEUL, 0, 0);
    expect_invalid(c, 0, "type of w");
    RAW(c, atomic_cmpxchg, IR_TYPE_I32, 1, 3, 2, f.w.idx, f.x1.idx, f.x1.idx, f.w.idx,
        MO_LEUL, 0);
    expect_invalid(c, 0, "type of x1");
    RAW(c, goto_ptr, IR_TYPE_I32, 0, 1, 0, f.w.idx);
    expect_invalid(c, 0, "type of w");

    /* The width-changing ops have fixed types. */
    RAW(c, ext_i32_i64, IR_TYPE_I64, 1, 1, 0, f.x1.idx, f.x2.idx);
    expect_invalid(c, 0, "type of x2 is i64");
    RAW(c, extu_i32_i64, IR_TYPE_I64, 1, 1, 0, f.w.idx, f.w.idx);
    expect_invalid(c, 0, "type of w is i32");
    RAW(c, extrl_i64_i32, IR_TYPE_I32, 1, 1, 0, f.w.idx, f.w.idx);
    expect_invalid(c, 0, "type of w is i32, the op needs i64");
    RAW(c, extrh_i64_i32, IR_TYPE_I32, 1, 1, 0, f.x1.idx, f.x1.idx);
    expect_invalid(c, 0, "type of x1 is i64, the op needs i32");

    /* An i32 constant is not an i64 one. */
    RAW(c, add, IR_TYPE_I64, 1, 2, 0, f.x1.idx, f.x1.idx, ir_const_i32(c, 1).idx);
    expect_invalid(c, 0, "type of $0x1 is i32");
    ir_context_free(c);
}

static void test_bad_outputs(void)
{
    Fixture f;
    IRContext *c;

    fixture_init(&f);
    c = f.ctx;
    RAW(c, mov, IR_TYPE_I64, 1, 1, 0, ir_const_i64(c, 5).idx, f.x1.idx);
    expect_invalid(c, 0, "writes a constant");
    RAW(c, mov, IR_TYPE_I64, 1, 1, 0, ir_env(c).idx, f.x1.idx);
    expect_invalid(c, 0, "writes env");
    RAW(c, guest_ld, IR_TYPE_I64, 1, 1, 2, 0, f.x1.idx, MO_LEUQ, 0);
    expect_invalid(c, 0, "writes env");
    ir_context_free(c);
}

static void test_bad_constants(void)
{
    Fixture f;
    IRContext *c;
    IRLabel l;

    fixture_init(&f);
    c = f.ctx;

    RAW(c, setcond, IR_TYPE_I64, 1, 2, 1, f.x1.idx, f.x1.idx, f.x2.idx, IR_COND_COUNT);
    expect_invalid(c, 0, "condition 14 out of range");
    RAW(c, movcond, IR_TYPE_I64, 1, 4, 1, f.x1.idx, f.x1.idx, f.x2.idx, f.x1.idx,
        f.x2.idx, 99);
    expect_invalid(c, 0, "condition 99");
    l = ir_label_new(c);
    ir_set_label(c, l);
    RAW(c, brcond, IR_TYPE_I64, 0, 2, 2, f.x1.idx, f.x2.idx, 1000, l);
    expect_invalid(c, 1, "condition 1000");

    /* Bit fields: 1 <= len, pos + len <= width. */
    RAW(c, deposit, IR_TYPE_I32, 1, 2, 2, f.w.idx, f.w.idx, f.w.idx, 30, 4);
    expect_invalid(c, 0, "bit field");
    RAW(c, extract, IR_TYPE_I32, 1, 1, 2, f.w.idx, f.w.idx, 0, 0);
    expect_invalid(c, 0, "bit field");
    RAW(c, sextract, IR_TYPE_I64, 1, 1, 2, f.x1.idx, f.x1.idx, 64, 1);
    expect_invalid(c, 0, "bit field");
    RAW(c, extract, IR_TYPE_I64, 1, 1, 2, f.x1.idx, f.x1.idx, 1, UINT64_MAX);
    expect_invalid(c, 0, "bit field");
    RAW(c, extract, IR_TYPE_I64, 1, 1, 2, f.x1.idx, f.x1.idx, 0, 64);
    expect_valid(c);
    ir_reset(c);

    RAW(c, ld, IR_TYPE_I64, 1, 1, 1, f.x1.idx, 0, 0x80000000u);
    expect_invalid(c, 0, "offset");

    RAW(c, mb, IR_TYPE_I64, 0, 0, 1, IR_MB_ALL + 1);
    expect_invalid(c, 0, "barrier bits");

    RAW(c, goto_tb, IR_TYPE_I64, 0, 0, 1, 2);
    expect_invalid(c, 0, "goto_tb slot 2 out of range");
    ir_goto_tb(c, 1);
    ir_exit_tb(c, 1);
    ir_goto_tb(c, 0);
    ir_exit_tb(c, 0);
    ir_goto_tb(c, 1);
    expect_invalid(c, 4, "slot 1 used twice");

    ir_exit_tb(c, 0x1003);
    expect_invalid(c, 0, "slot bits");
    ir_context_free(c);
}

static void test_bad_memop(void)
{
    Fixture f;
    IRContext *c;

    fixture_init(&f);
    c = f.ctx;
    ir_guest_ld_i64(c, f.x2, f.x1, MO_LEUQ | 0x20, 0);
    expect_invalid(c, 0, "unknown bits");
    ir_guest_ld_i32(c, f.w, f.x1, MO_LEUQ, 0);
    expect_invalid(c, 0, "wider than i32");
    ir_atomic_rmw_i32(c, IR_ATOMIC_ADD, f.w, f.x1, f.w, MO_BEUQ, 0);
    expect_invalid(c, 0, "wider than i32");
    ir_guest_st_i32(c, f.w, f.x1, MO_SB, 0);
    expect_invalid(c, 0, "sign on a store");
    ir_guest_ld_i32(c, f.w, f.x1, MO_LESL, 0);
    expect_invalid(c, 0, "full-width");
    ir_guest_ld_i64(c, f.x2, f.x1, MO_64 | MO_SIGN, 0);
    expect_invalid(c, 0, "full-width");
    ir_atomic_cmpxchg_i64(c, f.x2, f.x1, f.x2, f.x2, MO_LESL, 0);
    expect_invalid(c, 0, "sign on an atomic");
    ir_atomic_rmw_i64(c, IR_ATOMIC_UMAX + 1, f.x2, f.x1, f.x2, MO_LEUQ, 0);
    expect_invalid(c, 0, "atomic operation");
    ir_context_free(c);
}

static void test_bad_labels(void)
{
    Fixture f;
    IRContext *c;
    IRLabel l0, l1;

    fixture_init(&f);
    c = f.ctx;

    l0 = ir_label_new(c);
    ir_set_label(c, l0);
    ir_set_label(c, 5);
    expect_invalid(c, 1, "label L5 out of range");

    l0 = ir_label_new(c);
    ir_br(c, 1);
    ir_set_label(c, l0);
    expect_invalid(c, 0, "label L1 out of range");

    l0 = ir_label_new(c);
    ir_set_label(c, l0);
    ir_movi_i64(c, f.x1, 0);
    ir_set_label(c, l0);
    expect_invalid(c, 2, "set twice (first at op 0)");

    l0 = ir_label_new(c);
    l1 = ir_label_new(c);
    ir_set_label(c, l0);
    ir_br(c, l1);
    expect_invalid(c, 1, "L1, which is never set");

    l0 = ir_label_new(c);
    l1 = ir_label_new(c);
    ir_brcond_i32(c, IR_COND_EQ, f.w, f.w, l1);
    ir_set_label(c, l0);
    expect_invalid(c, 0, "never set");

    /* A label nobody branches to is fine, and so is an unused label number. */
    l0 = ir_label_new(c);
    ir_label_new(c);
    ir_set_label(c, l0);
    expect_valid(c);
    ir_context_free(c);
}

static void test_bad_bb_liveness(void)
{
    Fixture f;
    IRContext *c;
    IRLabel l;
    IRv64 t;

    fixture_init(&f);
    c = f.ctx;

    /* Read before any write. */
    t = ir_temp_new_i64(c);
    ir_movi_i64(c, f.x1, 0);
    ir_add_i64(c, f.x1, f.x1, t);
    expect_invalid(c, 1, "bb temp t4 is read before it is written");

    /* The op that writes it cannot also be the first to read it. */
    t = ir_temp_new_i64(c);
    ir_addi_i64(c, t, t, 1);
    expect_invalid(c, 0, "bb temp");

    /* Dead at a label, even when execution falls through into it. */
    l = ir_label_new(c);
    t = ir_temp_new_i64(c);
    ir_movi_i64(c, t, 1);
    ir_set_label(c, l);
    ir_mov_i64(c, f.x1, t);
    expect_invalid(c, 2, "bb temp");

    /* Dead after a conditional branch, on the fallthrough path too. */
    l = ir_label_new(c);
    t = ir_temp_new_i64(c);
    ir_movi_i64(c, t, 1);
    ir_brcond_i64(c, IR_COND_EQ, t, f.x1, l);
    ir_mov_i64(c, f.x1, t);
    ir_set_label(c, l);
    expect_invalid(c, 2, "bb temp");

    /* Still live after a call: a call does not end the block. */
    t = ir_temp_new_i64(c);
    ir_movi_i64(c, t, 1);
    ir_call(c, &h_raise, NULL, &t.idx);
    ir_mov_i64(c, f.x1, t);
    expect_valid(c);
    ir_context_free(c);
}

static void test_bad_tb_liveness(void)
{
    Fixture f;
    IRContext *c;
    IRLabel l_else, l_join, l_loop;
    IRv64 t;

    fixture_init(&f);
    c = f.ctx;

    /* Never written. */
    t = ir_temp_tb_i64(c);
    ir_mov_i64(c, f.x1, t);
    expect_invalid(c, 0, "tb temp tb4 may be read before it is written");

    /* Written on one arm of an if/else only. */
    l_else = ir_label_new(c);
    l_join = ir_label_new(c);
    t = ir_temp_tb_i64(c);
    ir_brcond_i64(c, IR_COND_EQ, f.x1, f.x2, l_else);
    ir_movi_i64(c, t, 1);
    ir_br(c, l_join);
    ir_set_label(c, l_else);
    ir_movi_i64(c, f.x2, 2);
    ir_set_label(c, l_join);
    ir_mov_i64(c, f.x1, t);
    expect_invalid(c, 6, "tb temp");

    /* Written on the branch path only: the fallthrough into the label lacks it. */
    l_join = ir_label_new(c);
    t = ir_temp_tb_i64(c);
    ir_movi_i64(c, t, 1);
    ir_brcond_i64(c, IR_COND_EQ, f.x1, f.x2, l_join);
    ir_br(c, l_join);
    ir_set_label(c, l_join);
    ir_mov_i64(c, f.x1, t);
    expect_valid(c);
    ir_reset(c);
    l_join = ir_label_new(c);
    t = ir_temp_tb_i64(c);
    ir_brcond_i64(c, IR_COND_EQ, f.x1, f.x2, l_join);
    ir_movi_i64(c, t, 1);
    ir_set_label(c, l_join);
    ir_mov_i64(c, f.x1, t);
    expect_invalid(c, 3, "tb temp");

    /* Written at the bottom of a loop, read at its top: undefined on entry. */
    l_loop = ir_label_new(c);
    t = ir_temp_tb_i64(c);
    ir_set_label(c, l_loop);
    ir_mov_i64(c, f.x1, t);
    ir_movi_i64(c, t, 3);
    ir_brcond_i64(c, IR_COND_NE, f.x1, f.x2, l_loop);
    ir_exit_tb(c, 0);
    expect_invalid(c, 1, "tb temp");

    /*
     * A path that jumps ahead and then back: entry -> L_late -> L_head
     * skips the write. Seeing it takes a second sweep over the blocks.
     */
    {
        IRLabel l_head = ir_label_new(c), l_mid = ir_label_new(c);
        IRLabel l_late = ir_label_new(c);

        t = ir_temp_tb_i64(c);
        ir_brcond_i64(c, IR_COND_EQ, f.x1, f.x2, l_late);
        ir_movi_i64(c, t, 1);
        ir_set_label(c, l_head);
        ir_set_label(c, l_mid);
        ir_mov_i64(c, f.x1, t);
        ir_exit_tb(c, 0);
        ir_set_label(c, l_late);
        ir_br(c, l_head);
        expect_invalid(c, 4, "tb temp");
    }

    /* A loop whose back edge drops the definition... but the entry has it. */
    l_loop = ir_label_new(c);
    t = ir_temp_tb_i64(c);
    ir_movi_i64(c, t, 3);
    ir_set_label(c, l_loop);
    ir_mov_i64(c, f.x1, t);
    ir_brcond_i64(c, IR_COND_NE, f.x1, f.x2, l_loop);
    ir_exit_tb(c, 0);
    expect_valid(c);
    ir_context_free(c);
}

static void test_bad_calls(void)
{
    static const IRHelperInfo h_no_func = {
        .name = "helper_nofunc", .nargs = 0,
    };
    static const IRHelperInfo h_pointless = {
        .func = fake_func, .name = "helper_pointless", .flags = IR_CALL_PURE, .nargs = 0,
    };
    static const IRHelperInfo h_contradictory = {
        .func = fake_func, .name = "helper_bad", .nargs = 0,
        .flags = IR_CALL_MAY_RAISE | IR_CALL_NO_READ_GLOBALS,
    };
    static const IRHelperInfo h_flags = {
        .func = fake_func, .name = "helper_flags", .nargs = 0, .flags = 0x100,
    };
    static const IRHelperInfo h_many = {
        .func = fake_func, .name = "helper_many", .nargs = IR_MAX_HELPER_ARGS + 1,
    };
    Fixture f;
    IRContext *c;
    uint64_t pure = (uint64_t)(uintptr_t)&h_pure;
    uint64_t raise = (uint64_t)(uintptr_t)&h_raise;
    IRTempIdx ret, args[2];

    fixture_init(&f);
    c = f.ctx;

    RAW(c, call, IR_TYPE_I64, 0, 0, 1, 0);
    expect_invalid(c, 0, "without helper info");
    RAW(c, call, IR_TYPE_I64, 0, 0, 2, raise, 0);
    expect_invalid(c, 0, "malformed");
    RAW(c, call, IR_TYPE_I64, 2, 2, 1, f.x1.idx, f.x2.idx, 0, f.w.idx, pure);
    expect_invalid(c, 0, "malformed");
    RAW(c, call, IR_TYPE_I64, 0, 2, 1, 0, f.w.idx, pure);
    expect_invalid(c, 0, "call has 0 results, the helper returns a value");
    RAW(c, call, IR_TYPE_I64, 1, 1, 1, f.x1.idx, 0, raise);
    expect_invalid(c, 0, "call has 1 results, the helper returns nothing");
    RAW(c, call, IR_TYPE_I64, 1, 1, 1, f.x1.idx, 0, pure);
    expect_invalid(c, 0, "passes 1 arguments, the helper takes 2");
    RAW(c, call, IR_TYPE_I64, 1, 2, 1, f.w.idx, 0, f.w.idx, pure);
    expect_invalid(c, 0, "type of w is i32, the op needs i64");
    RAW(c, call, IR_TYPE_I64, 1, 2, 1, f.x1.idx, 0, f.x2.idx, pure);
    expect_invalid(c, 0, "type of x2 is i64, the op needs i32");
    RAW(c, call, IR_TYPE_I64, 1, 2, 1, ir_const_i64(c, 0).idx, 0, f.w.idx, pure);
    expect_invalid(c, 0, "writes a constant");

    ir_call(c, &h_no_func, NULL, NULL);
    expect_invalid(c, 0, "no function");
    ir_call(c, &h_pointless, NULL, NULL);
    expect_invalid(c, 0, "pointless");
    ir_call(c, &h_contradictory, NULL, NULL);
    expect_invalid(c, 0, "may raise");
    ir_call(c, &h_flags, NULL, NULL);
    expect_invalid(c, 0, "unknown bits");
    RAW(c, call, IR_TYPE_I64, 0, 0, 1, (uint64_t)(uintptr_t)&h_many);
    expect_invalid(c, 0, "at most");

    /* The call's result counts as a write for liveness. */
    ret = ir_temp_new_i64(c).idx;
    args[0] = ir_env(c).idx;
    args[1] = f.w.idx;
    ir_call(c, &h_pure, &ret, args);
    ir_mov_i64(c, f.x1, (IRv64){ ret });
    expect_valid(c);
    ir_reset(c);
    args[0] = ir_temp_new_i64(c).idx;
    ir_call(c, &h_raise, NULL, args);
    expect_invalid(c, 0, "bb temp");
    ir_context_free(c);
}

/*
 * Corrupts one argument of one op of a valid program at a time: the
 * validator must either accept or refuse with a proper message, never read
 * out of bounds. Fixed seed.
 */
static void test_random_corruption(void)
{
    Fixture f;
    IRContext *c;
    GRand *rand = g_rand_new_with_seed(20240611);
    guint refused = 0;

    fixture_init(&f);
    c = f.ctx;
    for (unsigned round = 0; round < 3000; round++) {
        IRLabel l = ir_label_new(c), l2 = ir_label_new(c);
        IRv64 a = ir_temp_new_i64(c), tb = ir_temp_tb_i64(c);
        IRv32 b = ir_temp_new_i32(c);
        guint n, victim, k;
        IROp *op;
        GError *err = NULL;

        ir_insn_start(c, 0x1000, 0, 0);
        ir_movi_i64(c, tb, 5);
        ir_addi_i64(c, a, f.x1, 8);
        ir_guest_ld_i32(c, b, a, MO_LEUW, 0);
        ir_brcond_i32(c, IR_COND_LTU, b, f.w, l);
        ir_deposit_i64(c, f.x2, f.x2, tb, 8, 8);
        ir_set_label(c, l);
        ir_atomic_rmw_i64(c, IR_ATOMIC_ADD, f.x2, f.x1, tb, MO_LEUL, 1);
        ir_brcond_i64(c, IR_COND_TSTEQ, tb, f.x2, l2);
        ir_mb(c, IR_MB_LD_ST);
        ir_set_label(c, l2);
        ir_st_i64(c, tb, ir_env(c), 64);
        ir_goto_tb(c, 0);
        ir_exit_tb(c, 0);
        expect_valid(c);

        n = ir_op_count(c);
        victim = g_rand_int_range(rand, 0, n);
        op = ir_op(c, victim);
        switch (g_rand_int_range(rand, 0, 4)) {
        case 0:
            k = g_rand_int_range(rand, 0, IR_MAX_ARGS);
            op->args[k] = g_rand_boolean(rand) ? g_rand_int_range(rand, 0, 40)
                                                : ((uint64_t)g_rand_int(rand) << 32);
            break;
        case 1:
            op->type = g_rand_int_range(rand, 0, 3);
            break;
        case 2:
            op->opc = g_rand_int_range(rand, 0, IR_OP_COUNT + 2);
            break;
        default:
            op->nb_iargs = g_rand_int_range(rand, 0, 4);
            break;
        }
        /* A call's info pointer is trusted; do not fabricate calls. */
        if (op->opc == IR_OP_call) {
            op->opc = IR_OP_mov;
        }
        if (!ir_validate(c, &err)) {
            g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
            g_assert_true(g_str_has_prefix(err->message, "IR op "));
            g_assert_cmpuint(strtoul(err->message + 6, NULL, 10), <, n);
            g_error_free(err);
            refused++;
        }
        ir_reset(c);
    }
    /* Most corruptions break a rule. */
    g_assert_cmpuint(refused, >, 1500);
    g_rand_free(rand);
    ir_context_free(c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ir/validate/valid/empty", test_valid_empty);
    g_test_add_func("/ir/validate/valid/straight", test_valid_straight);
    g_test_add_func("/ir/validate/valid/branches", test_valid_branches);
    g_test_add_func("/ir/validate/valid/calls", test_valid_calls);
    g_test_add_func("/ir/validate/valid/large", test_valid_large);
    g_test_add_func("/ir/validate/bad/structure", test_bad_structure);
    g_test_add_func("/ir/validate/bad/types", test_bad_types);
    g_test_add_func("/ir/validate/bad/outputs", test_bad_outputs);
    g_test_add_func("/ir/validate/bad/constants", test_bad_constants);
    g_test_add_func("/ir/validate/bad/memop", test_bad_memop);
    g_test_add_func("/ir/validate/bad/labels", test_bad_labels);
    g_test_add_func("/ir/validate/bad/bb-liveness", test_bad_bb_liveness);
    g_test_add_func("/ir/validate/bad/tb-liveness", test_bad_tb_liveness);
    g_test_add_func("/ir/validate/bad/calls", test_bad_calls);
    g_test_add_func("/ir/validate/random-corruption", test_random_corruption);
    return g_test_run();
}
