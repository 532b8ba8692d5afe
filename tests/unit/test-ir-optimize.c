/*
 * Unit tests for the IR optimizer: each transform, shown by the -d op dump
 * of the optimized IR, and the cases that must stay as they are (a global
 * written before a call that may raise, a guest load whose result is
 * unused, stores, knowledge that must not cross a label...). Every IR is
 * validated before and after. Exact folding of every op at edge values is
 * pinned against hand-computed results.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "proteus/ir.h"

/* Globals: x0..x3 (i64) at env offsets 0..24, w0 (i32) at 32. A host store
 * at SCRATCH touches none of them. */
#define SCRATCH 200

typedef struct Fixture {
    IRContext *ctx;
    IRv64 x[4];
    IRv32 w0;
} Fixture;

static void fixture_init(Fixture *f)
{
    f->ctx = ir_context_new();
    for (unsigned k = 0; k < 4; k++) {
        g_autofree char *name = g_strdup_printf("x%u", k);

        f->x[k] = ir_global_i64(f->ctx, 8 * k, name);
    }
    f->w0 = ir_global_i32(f->ctx, 32, "w0");
}

static void validate(IRContext *ctx)
{
    GError *err = NULL;

    if (!ir_validate(ctx, &err)) {
        char *d = ir_dump_to_string(ctx);

        g_test_message("invalid IR:\n%s", d);
        free(d);
    }
    g_assert_no_error(err);
}

static void optimize(IRContext *ctx)
{
    validate(ctx);
    ir_optimize(ctx);
    validate(ctx);
}

/* Optimizes, compares the dump with the expected one (printf-style), and
 * starts the next TB. */
static void G_GNUC_PRINTF(2, 3) check_opt(IRContext *ctx, const char *fmt, ...)
{
    g_autofree char *expected = NULL;
    va_list ap;
    char *got;

    va_start(ap, fmt);
    expected = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    optimize(ctx);
    got = ir_dump_to_string(ctx);
    g_assert_cmpstr(got, ==, expected);
    free(got);
    ir_reset(ctx);
}

static uint64_t helper_identity(uint64_t a)
{
    return a;
}

static const IRHelperInfo helper_may_raise = {
    .func = helper_identity, .name = "may_raise", .flags = IR_CALL_MAY_RAISE,
    .nargs = 1, .arg_types = { IR_TYPE_I64 },
};
static const IRHelperInfo helper_plain = {
    .func = helper_identity, .name = "plain", .flags = 0,
    .nargs = 1, .arg_types = { IR_TYPE_I64 },
};
static const IRHelperInfo helper_reader = {
    .func = helper_identity, .name = "reader", .flags = IR_CALL_NO_WRITE_GLOBALS,
    .nargs = 1, .arg_types = { IR_TYPE_I64 },
};
static const IRHelperInfo helper_pure = {
    .func = helper_identity, .name = "pure", .flags = IR_CALL_PURE,
    .has_ret = true, .ret_type = IR_TYPE_I64, .nargs = 1, .arg_types = { IR_TYPE_I64 },
};

static IRv64 c64(IRContext *c, int64_t v)
{
    return ir_const_i64(c, v);
}

/* ---- folding and algebra ---- */

static void test_add_zero(void)
{
    Fixture f;
    IRContext *c;
    IRv64 t;

    fixture_init(&f);
    c = f.ctx;
    ir_add_i64(c, f.x[0], f.x[1], c64(c, 0));
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, x1\nexit_tb 0x0\n");

    /* through a temp: the add becomes a copy, its use reads x1, the mov dies */
    t = ir_temp_new_i64(c);
    ir_add_i64(c, t, f.x[1], c64(c, 0));
    ir_add_i64(c, f.x[0], t, f.x[2]);
    ir_exit_tb(c, 0);
    check_opt(c, "add_i64 x0, x1, x2\nexit_tb 0x0\n");

    /* i32 */
    ir_add_i32(c, f.w0, f.w0, ir_const_i32(c, 0));
    ir_exit_tb(c, 0);
    check_opt(c, "exit_tb 0x0\n");
    ir_context_free(c);
}

static void test_const_chain(void)
{
    Fixture f;
    IRContext *c;
    IRv64 t1, t2, t3;
    IRv32 u;

    fixture_init(&f);
    c = f.ctx;
    t1 = ir_temp_new_i64(c);
    t2 = ir_temp_new_i64(c);
    t3 = ir_temp_tb_i64(c);
    ir_movi_i64(c, t1, 5);
    ir_mul_i64(c, t2, t1, c64(c, 3));
    ir_addi_i64(c, t3, t2, 1);
    ir_shli_i64(c, t3, t3, 60);
    ir_sari_i64(c, t3, t3, 60);
    ir_mov_i64(c, f.x[0], t3);
    ir_exit_tb(c, 0);
    /* 16 << 60 is 0 */
    check_opt(c, "mov_i64 x0, $0x0\nexit_tb 0x0\n");

    /* i32 wraps and stays sign-extended in the constant */
    u = ir_temp_new_i32(c);
    ir_movi_i32(c, u, 0x7fffffff);
    ir_addi_i32(c, f.w0, u, 1);
    ir_exit_tb(c, 0);
    optimize(c);
    g_assert_cmpuint(ir_op_count(c), ==, 2);
    g_assert_cmpint(ir_op(c, 0)->opc, ==, IR_OP_mov);
    g_assert_cmpint(ir_temp(c, ir_op(c, 0)->args[1])->kind, ==, IR_TEMP_CONST);
    g_assert_cmpint(ir_temp(c, ir_op(c, 0)->args[1])->val, ==, INT32_MIN);
    g_assert_cmpint(ir_temp(c, ir_op(c, 0)->args[1])->type, ==, IR_TYPE_I32);
    ir_context_free(c);
}

/* One op on constant inputs, and the value it must fold to. */
typedef struct FoldCase {
    IROpcode opc;
    IRType type;           /* op->type: the output's type */
    IRType in_type;
    unsigned ni, nc;
    uint64_t in[4];
    uint64_t c[2];
    uint64_t expect;       /* at the output's width */
} FoldCase;

#define I32 IR_TYPE_I32
#define I64 IR_TYPE_I64
#define BIN32(op, a, b, r) { IR_OP_##op, I32, I32, 2, 0, { a, b }, { 0 }, r }
#define BIN64(op, a, b, r) { IR_OP_##op, I64, I64, 2, 0, { a, b }, { 0 }, r }
#define UN32(op, a, r) { IR_OP_##op, I32, I32, 1, 0, { a }, { 0 }, r }
#define UN64(op, a, r) { IR_OP_##op, I64, I64, 1, 0, { a }, { 0 }, r }

static const FoldCase fold_cases[] = {
    /* division totals */
    BIN32(div, 0x80000000, 0xffffffff, 0x80000000),
    BIN32(div, 7, 0, 0xffffffff),
    BIN32(div, (uint32_t)-7, 2, (uint32_t)-3),
    BIN32(rem, (uint32_t)-7, 2, (uint32_t)-1),
    BIN32(rem, 7, 0, 7),
    BIN32(rem, 0x80000000, 0xffffffff, 0),
    BIN32(divu, 0xffffffff, 0, 0xffffffff),
    BIN32(divu, 0xfffffffe, 2, 0x7fffffff),
    BIN32(remu, 5, 0, 5),
    BIN32(remu, 0xffffffff, 10, 5),
    BIN64(div, 0x8000000000000000ull, ~0ull, 0x8000000000000000ull),
    BIN64(div, 1, 0, ~0ull),
    BIN64(rem, 0x8000000000000000ull, ~0ull, 0),
    BIN64(rem, 9, 0, 9),
    BIN64(divu, ~0ull, 0, ~0ull),
    BIN64(remu, ~0ull, 0, ~0ull),
    /* multiplication */
    BIN32(mul, 0x10000, 0x10000, 0),
    BIN32(mulsh, 0xffffffff, 1, 0xffffffff),
    BIN32(mulsh, 0x80000000, 0x80000000, 0x40000000),
    BIN32(muluh, 0xffffffff, 0xffffffff, 0xfffffffe),
    BIN64(mulsh, 0x8000000000000000ull, 2, ~0ull),
    BIN64(muluh, ~0ull, ~0ull, ~1ull),
    BIN64(muluh, 1ull << 63, 4, 2),
    /* shifts: the count modulo the width */
    BIN32(shl, 1, 33, 2),
    BIN32(shr, 0x80000000, 31, 1),
    BIN32(sar, 0x80000000, 31, 0xffffffff),
    BIN32(sar, 0x80000000, 32, 0x80000000),
    BIN32(rotl, 0x80000001, 1, 3),
    BIN32(rotr, 1, 1, 0x80000000),
    BIN32(rotr, 0x12345678, 32, 0x12345678),
    BIN64(shl, 1, 65, 2),
    BIN64(shr, ~0ull, 64, ~0ull),
    BIN64(sar, 1ull << 63, 63, ~0ull),
    BIN64(rotl, 1ull << 63, 1, 1),
    BIN64(rotr, 1, 63, 2),
    /* logic */
    BIN32(andc, 0xff, 0x0f, 0xf0),
    BIN32(orc, 0, 0xffff0000, 0xffff),
    UN32(not, 0, 0xffffffff),
    UN32(neg, 1, 0xffffffff),
    UN64(neg, 1ull << 63, 1ull << 63),
    /* bit counts, with the zero value */
    BIN32(clz, 0, 99, 99),
    BIN32(clz, 1, 99, 31),
    BIN32(ctz, 0x80000000, 99, 31),
    BIN32(ctz, 0, 7, 7),
    BIN64(clz, 1, 0, 63),
    BIN64(clz, 0, 64, 64),
    BIN64(ctz, 1ull << 40, 0, 40),
    UN32(ctpop, 0xffffffff, 32),
    UN64(ctpop, ~0ull, 64),
    /* swaps and extensions */
    UN32(bswap16, 0x12345678, 0x7856),
    UN32(bswap32, 0x12345678, 0x78563412),
    UN64(bswap16, 0x1122334455667788ull, 0x8877),
    UN64(bswap32, 0x1122334455667788ull, 0x88776655),
    UN64(bswap64, 0x1122334455667788ull, 0x8877665544332211ull),
    UN32(ext8s, 0x80, 0xffffff80),
    UN32(ext8u, 0xffffff80, 0x80),
    UN32(ext16s, 0x12348000, 0xffff8000),
    UN32(ext16u, 0xffff1234, 0x1234),
    UN64(ext32s, 0x80000000, 0xffffffff80000000ull),
    UN64(ext32u, ~0ull, 0xffffffff),
    { IR_OP_ext_i32_i64, I64, I32, 1, 0, { 0x80000000 }, { 0 }, 0xffffffff80000000ull },
    { IR_OP_extu_i32_i64, I64, I32, 1, 0, { 0x80000000 }, { 0 }, 0x80000000 },
    { IR_OP_extrl_i64_i32, I32, I64, 1, 0, { 0x1234567887654321ull }, { 0 }, 0x87654321 },
    { IR_OP_extrh_i64_i32, I32, I64, 1, 0, { 0x8234567887654321ull }, { 0 }, 0x82345678 },
    /* bit fields */
    { IR_OP_extract, I32, I32, 1, 2, { 0x12345678 }, { 8, 8 }, 0x56 },
    { IR_OP_extract, I32, I32, 1, 2, { 0x82345678 }, { 0, 32 }, 0x82345678 },
    { IR_OP_sextract, I32, I32, 1, 2, { 0x8000 }, { 8, 8 }, 0xffffff80 },
    { IR_OP_sextract, I32, I32, 1, 2, { 0x80000000 }, { 31, 1 }, 0xffffffff },
    { IR_OP_extract, I64, I64, 1, 2, { ~0ull }, { 0, 64 }, ~0ull },
    { IR_OP_sextract, I64, I64, 1, 2, { 0x0000000180000000ull }, { 31, 2 }, ~0ull },
    { IR_OP_sextract, I64, I64, 1, 2, { 0x0000000280000000ull }, { 31, 2 }, 1 },
    { IR_OP_deposit, I32, I32, 2, 2, { 0xffffffff, 0 }, { 4, 8 }, 0xfffff00f },
    { IR_OP_deposit, I32, I32, 2, 2, { 0, 0xfff }, { 28, 4 }, 0xf0000000 },
    { IR_OP_deposit, I64, I64, 2, 2, { 0, 0xabcd }, { 0, 64 }, 0xabcd },
    { IR_OP_deposit, I64, I64, 2, 2, { 0, 0xf }, { 60, 4 }, 0xf000000000000000ull },
    /* conditions */
    { IR_OP_setcond, I32, I32, 2, 1, { 0xffffffff, 0 }, { IR_COND_LT }, 1 },
    { IR_OP_setcond, I32, I32, 2, 1, { 0xffffffff, 0 }, { IR_COND_LTU }, 0 },
    { IR_OP_setcond, I32, I32, 2, 1, { 6, 1 }, { IR_COND_TSTNE }, 0 },
    { IR_OP_setcond, I32, I32, 2, 1, { 6, 1 }, { IR_COND_TSTEQ }, 1 },
    { IR_OP_setcond, I32, I32, 2, 1, { 6, 6 }, { IR_COND_NEVER }, 0 },
    { IR_OP_setcond, I64, I64, 2, 1, { 1ull << 63, 0 }, { IR_COND_GE }, 0 },
    { IR_OP_setcond, I64, I64, 2, 1, { 1ull << 63, 0 }, { IR_COND_GEU }, 1 },
    { IR_OP_setcond, I64, I64, 2, 1, { 5, 5 }, { IR_COND_LEU }, 1 },
    { IR_OP_setcond, I64, I64, 2, 1, { 5, 4 }, { IR_COND_GT }, 1 },
    { IR_OP_movcond, I32, I32, 4, 1, { 1, 2, 10, 20 }, { IR_COND_GT }, 20 },
    { IR_OP_movcond, I64, I64, 4, 1, { 1, 2, 10, 20 }, { IR_COND_NE }, 10 },
};

static uint64_t const_of_type(IRContext *c, IRType type, uint64_t v)
{
    return type == I32 ? ir_const_i32(c, (int32_t)v).idx : ir_const_i64(c, (int64_t)v).idx;
}

static void test_fold_values(void)
{
    Fixture f;

    fixture_init(&f);
    for (unsigned i = 0; i < G_N_ELEMENTS(fold_cases); i++) {
        const FoldCase *fc = &fold_cases[i];
        IRContext *c = f.ctx;
        uint64_t args[8];
        unsigned n = 0;
        IRTempIdx d = fc->type == I32 ? ir_temp_new_i32(c).idx : ir_temp_new_i64(c).idx;
        IRTempIdx g = fc->type == I32 ? f.w0.idx : f.x[0].idx;
        const IRTemp *k;
        uint64_t want = fc->type == I32 ? (uint64_t)(int64_t)(int32_t)fc->expect : fc->expect;

        args[n++] = d;
        for (unsigned j = 0; j < fc->ni; j++) {
            args[n++] = const_of_type(c, fc->in_type, fc->in[j]);
        }
        for (unsigned j = 0; j < fc->nc; j++) {
            args[n++] = fc->c[j];
        }
        ir_emit(c, fc->opc, fc->type, args, 1, fc->ni, fc->nc);
        ir_emit(c, IR_OP_mov, fc->type, (uint64_t[]){ g, d }, 1, 1, 0);
        ir_exit_tb(c, 0);
        optimize(c);

        /* expected: the one mov of the folded constant, and the exit */
        k = ir_op_count(c) == 2 && ir_op(c, 0)->opc == IR_OP_mov && ir_op(c, 0)->args[0] == g
                ? ir_temp(c, ir_op(c, 0)->args[1]) : NULL;
        if (!k || k->kind != IR_TEMP_CONST || k->type != fc->type || (uint64_t)k->val != want) {
            char *d = ir_dump_to_string(c);

            g_test_message("fold case %u (%s): want 0x%" PRIx64 ", got:\n%s", i,
                           ir_op_defs[fc->opc].name, want, d);
            free(d);
            g_test_fail();
        }
        ir_reset(c);
    }
    ir_context_free(f.ctx);
}

static void test_identities(void)
{
    Fixture f;
    IRContext *c;
    IRv64 *x;
    IRv32 u;

    fixture_init(&f);
    c = f.ctx;
    x = f.x;

    ir_mul_i64(c, x[0], x[1], c64(c, 1));
    ir_mul_i64(c, x[2], x[1], c64(c, 0));
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, x1\nmov_i64 x2, $0x0\nexit_tb 0x0\n");

    ir_andi_i64(c, x[0], x[1], 0);
    ir_andi_i64(c, x[2], x[1], -1);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, $0x0\nmov_i64 x2, x1\nexit_tb 0x0\n");

    ir_ori_i64(c, x[0], x[1], 0);
    ir_ori_i64(c, x[2], x[1], -1);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, x1\nmov_i64 x2, $0xffffffffffffffff\nexit_tb 0x0\n");

    ir_xori_i64(c, x[0], x[1], 0);
    ir_xor_i64(c, x[2], x[1], x[1]);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, x1\nmov_i64 x2, $0x0\nexit_tb 0x0\n");

    ir_sub_i64(c, x[0], x[1], c64(c, 0));
    ir_sub_i64(c, x[2], x[3], x[3]);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, x1\nmov_i64 x2, $0x0\nexit_tb 0x0\n");

    ir_and_i64(c, x[0], x[1], x[1]);
    ir_or_i64(c, x[2], x[3], x[3]);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, x1\nmov_i64 x2, x3\nexit_tb 0x0\n");

    /* shift counts are modulo the width: 64 is 0 */
    ir_shli_i64(c, x[0], x[1], 0);
    ir_shr_i64(c, x[2], x[3], c64(c, 64));
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, x1\nmov_i64 x2, x3\nexit_tb 0x0\n");

    /* the same temp after copy propagation counts as equal */
    ir_mov_i64(c, x[0], x[1]);
    ir_sub_i64(c, x[2], x[0], x[1]);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, x1\nmov_i64 x2, $0x0\nexit_tb 0x0\n");

    /* i32: or with all ones of the width */
    u = ir_temp_new_i32(c);
    ir_ori_i32(c, u, f.w0, 0xffffffff);
    ir_mov_i32(c, f.w0, u);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i32 w0, $0xffffffff\nexit_tb 0x0\n");

    /* a constant first in a commutative op goes second */
    ir_add_i64(c, x[0], c64(c, 5), x[1]);
    ir_exit_tb(c, 0);
    check_opt(c, "add_i64 x0, x1, $0x5\nexit_tb 0x0\n");

    /* not an identity: stays */
    ir_andi_i64(c, x[0], x[1], 0xf0);
    ir_exit_tb(c, 0);
    check_opt(c, "and_i64 x0, x1, $0xf0\nexit_tb 0x0\n");
    ir_context_free(c);
}

static void test_setcond_movcond(void)
{
    Fixture f;
    IRContext *c;
    IRv64 *x;

    fixture_init(&f);
    c = f.ctx;
    x = f.x;

    ir_setcond_i64(c, IR_COND_EQ, x[0], x[1], x[1]);
    ir_setcond_i64(c, IR_COND_LTU, x[2], x[1], x[1]);
    ir_setcond_i64(c, IR_COND_TSTEQ, x[3], x[1], x[1]);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, $0x1\nmov_i64 x2, $0x0\n"
                 "setcond_i64 x3, x1, x1, tsteq\nexit_tb 0x0\n");

    /* constant condition, equal values, and a constant moved second */
    ir_movcond_i64(c, IR_COND_LT, x[0], c64(c, -1), c64(c, 0), x[2], x[3]);
    ir_movcond_i64(c, IR_COND_EQ, x[1], x[2], x[3], x[0], x[0]);
    ir_setcond_i64(c, IR_COND_LT, x[2], c64(c, 7), x[3]);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, x2\nmov_i64 x1, x0\nsetcond_i64 x2, x3, $0x7, gt\nexit_tb 0x0\n");
    ir_context_free(c);
}

static void test_known_zeros(void)
{
    Fixture f;
    IRContext *c;
    IRv64 *x, t;
    IRLabel l;

    fixture_init(&f);
    c = f.ctx;
    x = f.x;

    /* ext8u of a byte, and a mask covering every bit that may be set */
    ir_ext8u_i64(c, x[1], x[2]);
    ir_ext8u_i64(c, x[0], x[1]);
    ir_andi_i64(c, x[3], x[1], 0x1ff);
    ir_exit_tb(c, 0);
    check_opt(c, "ext8u_i64 x1, x2\nmov_i64 x0, x1\nmov_i64 x3, x1\nexit_tb 0x0\n");

    /* a byte shifted right by 8 is 0; a byte and another byte's high bits */
    t = ir_temp_new_i64(c);
    ir_ld8u_i64(c, t, ir_env(c), SCRATCH);
    ir_shri_i64(c, x[0], t, 8);
    ir_ext16s_i64(c, x[1], t);
    ir_andi_i64(c, x[2], t, 0x0f);
    ir_exit_tb(c, 0);
    check_opt(c, "ld8u_i64 t%u, env, 200\nmov_i64 x0, $0x0\nmov_i64 x1, t%u\n"
                 "and_i64 x2, x1, $0xf\nexit_tb 0x0\n", t.idx, t.idx);

    /* branches and conditions decided by known zeros */
    l = ir_label_new(c);
    ir_guest_ld_i64(c, x[1], x[2], MO_UB, 0);
    ir_brcond_i64(c, IR_COND_GTU, x[1], c64(c, 0xff), l);
    ir_setcond_i64(c, IR_COND_LT, x[0], x[1], c64(c, 0x100));
    ir_setcond_i64(c, IR_COND_EQ, x[3], x[1], c64(c, 0x100));
    ir_set_label(c, l);
    ir_exit_tb(c, 0);
    check_opt(c, "guest_ld_i64 x1, x2, ub, mmu0\nmov_i64 x0, $0x1\nmov_i64 x3, $0x0\n"
                 "exit_tb 0x0\n");

    /* i32 zero-extended to i64 keeps the upper half known zero */
    ir_extu_i32_i64(c, x[0], f.w0);
    ir_ext32u_i64(c, x[1], x[0]);
    ir_brcond_i64(c, IR_COND_TSTNE, x[0], c64(c, 0xffffffff00000000ll), l = ir_label_new(c));
    ir_set_label(c, l);
    ir_exit_tb(c, 0);
    check_opt(c, "extu_i32_i64 x0, w0\nmov_i64 x1, x0\nexit_tb 0x0\n");
    ir_context_free(c);
}

/* ---- copies ---- */

static void test_copies(void)
{
    Fixture f;
    IRContext *c;
    IRv64 *x, t, u;

    fixture_init(&f);
    c = f.ctx;
    x = f.x;

    t = ir_temp_new_i64(c);
    u = ir_temp_new_i64(c);
    ir_mov_i64(c, t, x[1]);
    ir_mov_i64(c, u, t);
    ir_add_i64(c, x[0], u, x[2]);
    ir_exit_tb(c, 0);
    check_opt(c, "add_i64 x0, x1, x2\nexit_tb 0x0\n");

    /* a mov of what the destination holds already goes */
    ir_mov_i64(c, x[0], x[1]);
    ir_mov_i64(c, x[1], x[0]);
    ir_mov_i64(c, x[0], x[1]);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, x1\nexit_tb 0x0\n");

    /* writing the source ends the copy */
    t = ir_temp_new_i64(c);
    ir_mov_i64(c, t, x[1]);
    ir_addi_i64(c, x[1], x[1], 1);
    ir_mov_i64(c, x[0], t);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 t%u, x1\nadd_i64 x1, x1, $0x1\nmov_i64 x0, t%u\n"
                                 "exit_tb 0x0\n", t.idx, t.idx);
    ir_context_free(c);
}

/* ---- branches and unreachable code ---- */

static void test_branch_folding(void)
{
    Fixture f;
    IRContext *c;
    IRv64 *x;
    IRLabel l, m;

    fixture_init(&f);
    c = f.ctx;
    x = f.x;

    /* always taken: becomes a jump, the code it skips goes, then the jump
     * to the label right after it and the label */
    l = ir_label_new(c);
    ir_movi_i64(c, x[0], 1);
    ir_brcond_i64(c, IR_COND_EQ, c64(c, 3), c64(c, 3), l);
    ir_movi_i64(c, x[1], 2);
    ir_exit_tb(c, 4);
    ir_set_label(c, l);
    ir_movi_i64(c, x[2], 3);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, $0x1\nmov_i64 x2, $0x3\nexit_tb 0x0\n");

    /* never taken: goes, and the label with it */
    l = ir_label_new(c);
    ir_movi_i64(c, x[3], 7);
    ir_brcond_i64(c, IR_COND_LT, x[3], c64(c, 5), l);
    ir_movi_i64(c, x[1], 2);
    ir_set_label(c, l);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x3, $0x7\nmov_i64 x1, $0x2\nexit_tb 0x0\n");

    /* "brcond M; brcond always L; M:" is "brcond !cond L" */
    l = ir_label_new(c);
    m = ir_label_new(c);
    ir_brcond_i64(c, IR_COND_EQ, x[0], x[1], m);
    ir_brcond_i64(c, IR_COND_ALWAYS, x[0], x[1], l);
    ir_set_label(c, m);
    ir_movi_i64(c, x[2], 1);
    ir_set_label(c, l);
    ir_exit_tb(c, 0);
    check_opt(c, "brcond_i64 x0, x1, ne, L%u\nmov_i64 x2, $0x1\nset_label L%u\nexit_tb 0x0\n",
              l, l);

    /* taken, to a label further on: a br */
    l = ir_label_new(c);
    m = ir_label_new(c);
    ir_brcond_i64(c, IR_COND_EQ, x[0], x[1], m);
    ir_movi_i64(c, x[3], 9);
    ir_brcond_i64(c, IR_COND_ALWAYS, x[0], x[1], l);
    ir_set_label(c, m);
    ir_movi_i64(c, x[2], 1);
    ir_set_label(c, l);
    ir_exit_tb(c, 0);
    check_opt(c, "brcond_i64 x0, x1, eq, L%u\nmov_i64 x3, $0x9\nbr L%u\nset_label L%u\n"
              "mov_i64 x2, $0x1\nset_label L%u\nexit_tb 0x0\n", m, l, m, l);

    /* "brcond L1; br L2; L1:" is one inverted brcond */
    l = ir_label_new(c);
    m = ir_label_new(c);
    ir_brcond_i64(c, IR_COND_LTU, x[0], x[1], l);
    ir_br(c, m);
    ir_set_label(c, l);
    ir_movi_i64(c, x[2], 1);
    ir_set_label(c, m);
    ir_exit_tb(c, 0);
    check_opt(c, "brcond_i64 x0, x1, geu, L%u\nmov_i64 x2, $0x1\nset_label L%u\n"
                           "exit_tb 0x0\n", m, m);
    ir_context_free(c);
}

static void test_unreachable(void)
{
    Fixture f;
    IRContext *c;
    IRv64 *x;
    IRLabel l, m;

    fixture_init(&f);
    c = f.ctx;
    x = f.x;

    ir_movi_i64(c, x[0], 1);
    ir_exit_tb(c, 0);
    ir_movi_i64(c, x[1], 2);
    ir_goto_tb(c, 0);
    ir_exit_tb(c, 4);
    check_opt(c, "mov_i64 x0, $0x1\nexit_tb 0x0\n");

    /* a label still branched to starts live code again; an unused one does not */
    l = ir_label_new(c);
    m = ir_label_new(c);
    ir_brcond_i64(c, IR_COND_EQ, x[0], x[1], l);
    ir_exit_tb(c, 0);
    ir_set_label(c, m);
    ir_movi_i64(c, x[1], 2);
    ir_set_label(c, l);
    ir_movi_i64(c, x[2], 3);
    ir_exit_tb(c, 4);
    check_opt(c, "brcond_i64 x0, x1, eq, L%u\nexit_tb 0x0\nset_label L%u\n"
                           "mov_i64 x2, $0x3\nexit_tb 0x4\n", l, l);
    ir_context_free(c);
}

/* What a label must make the optimizer forget, and what a dropped label keeps. */
static void test_labels_forget(void)
{
    Fixture f;
    IRContext *c;
    IRv64 *x, t;
    IRLabel l;

    fixture_init(&f);
    c = f.ctx;
    x = f.x;

    t = ir_temp_tb_i64(c);
    l = ir_label_new(c);
    ir_movi_i64(c, t, 5);
    ir_movi_i64(c, x[3], 5);
    ir_brcond_i64(c, IR_COND_EQ, x[1], x[2], l);
    ir_movi_i64(c, t, 7);
    ir_movi_i64(c, x[3], 7);
    ir_set_label(c, l);
    ir_addi_i64(c, x[0], t, 1);
    ir_addi_i64(c, x[1], x[3], 1);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 tb%u, $0x5\nmov_i64 x3, $0x5\n"
                           "brcond_i64 x1, x2, eq, L%u\nmov_i64 tb%u, $0x7\nmov_i64 x3, $0x7\n"
                           "set_label L%u\nadd_i64 x0, tb%u, $0x1\nadd_i64 x1, x3, $0x1\n"
                           "exit_tb 0x0\n", t.idx, l, t.idx, l, t.idx);

    /* a branch to the next label goes, the label too, and what is known flows on */
    t = ir_temp_tb_i64(c);
    l = ir_label_new(c);
    ir_movi_i64(c, t, 5);
    ir_brcond_i64(c, IR_COND_EQ, x[1], x[2], l);
    ir_set_label(c, l);
    ir_addi_i64(c, x[0], t, 1);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, $0x6\nexit_tb 0x0\n");

    /* falling through "x1 != 5" means x1 is 5... */
    l = ir_label_new(c);
    ir_brcond_i64(c, IR_COND_NE, x[1], c64(c, 5), l);
    ir_addi_i64(c, x[0], x[1], 1);
    ir_set_label(c, l);
    ir_exit_tb(c, 0);
    check_opt(c, "brcond_i64 x1, $0x5, ne, L%u\nmov_i64 x0, $0x6\nset_label L%u\n"
                           "exit_tb 0x0\n", l, l);

    /* ...but not once that branch is gone */
    l = ir_label_new(c);
    ir_brcond_i64(c, IR_COND_NE, x[1], c64(c, 5), l);
    ir_set_label(c, l);
    ir_addi_i64(c, x[0], x[1], 1);
    ir_exit_tb(c, 0);
    check_opt(c, "add_i64 x0, x1, $0x1\nexit_tb 0x0\n");

    /* ...nor once it is inverted */
    {
        IRLabel m;

        l = ir_label_new(c);
        m = ir_label_new(c);
        ir_brcond_i64(c, IR_COND_NE, x[1], c64(c, 5), l);
        ir_br(c, m);
        ir_set_label(c, l);
        ir_addi_i64(c, x[0], x[1], 1);
        ir_set_label(c, m);
        ir_exit_tb(c, 0);
        check_opt(c, "brcond_i64 x1, $0x5, eq, L%u\nadd_i64 x0, x1, $0x1\n"
                               "set_label L%u\nexit_tb 0x0\n", m, m);
    }
    ir_context_free(c);
}

/* ---- globals: calls, host stores ---- */

static void test_globals_forgotten(void)
{
    Fixture f;
    IRContext *c;
    IRv64 *x, t;
    IRTempIdx arg;

    fixture_init(&f);
    c = f.ctx;
    x = f.x;
    arg = x[3].idx;

    /* a call that may write globals */
    ir_movi_i64(c, x[0], 5);
    ir_call(c, &helper_plain, NULL, &arg);
    ir_addi_i64(c, x[1], x[0], 1);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, $0x5\ncall plain, 0x0, x3\nadd_i64 x1, x0, $0x1\nexit_tb 0x0\n");

    /* one that does not */
    ir_movi_i64(c, x[0], 5);
    ir_call(c, &helper_reader, NULL, &arg);
    ir_addi_i64(c, x[1], x[0], 1);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, $0x5\ncall reader, 0x2, x3\nmov_i64 x1, $0x6\nexit_tb 0x0\n");

    /* a host store over x0's bytes; a store elsewhere changes nothing */
    ir_movi_i64(c, x[0], 5);
    ir_st8_i64(c, x[2], ir_env(c), 3);
    ir_addi_i64(c, x[1], x[0], 1);
    ir_st_i64(c, x[2], ir_env(c), SCRATCH);
    ir_addi_i64(c, x[2], x[1], 1);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, $0x5\nst8_i64 x2, env, 3\nadd_i64 x1, x0, $0x1\n"
                 "st_i64 x2, env, 200\nadd_i64 x2, x1, $0x1\nexit_tb 0x0\n");

    /* a store through another pointer may hit any global */
    t = ir_temp_new_i64(c);
    ir_movi_i64(c, x[0], 5);
    ir_ld_i64(c, t, ir_env(c), SCRATCH);
    ir_st_i64(c, x[2], t, 0);
    ir_addi_i64(c, x[1], x[0], 1);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, $0x5\nld_i64 t%u, env, 200\nst_i64 x2, t%u, 0\n"
                           "add_i64 x1, x0, $0x1\nexit_tb 0x0\n", t.idx, t.idx);
    ir_context_free(c);
}

/* ---- dead code ---- */

static void test_dead_code(void)
{
    Fixture f;
    IRContext *c;
    IRv64 *x, t, u;
    IRTempIdx arg, ret;

    fixture_init(&f);
    c = f.ctx;
    x = f.x;

    /* unused temps, a global overwritten before anything reads it */
    t = ir_temp_new_i64(c);
    u = ir_temp_tb_i64(c);
    ir_add_i64(c, t, x[1], x[2]);
    ir_mul_i64(c, u, t, t);
    ir_mov_i64(c, x[0], x[1]);
    ir_mov_i64(c, x[0], x[2]);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, x2\nexit_tb 0x0\n");

    /* a pure call whose result is unused goes, and it reads no globals */
    t = ir_temp_new_i64(c);
    arg = x[3].idx;
    ret = t.idx;
    ir_mov_i64(c, x[0], x[1]);
    ir_call(c, &helper_pure, &ret, &arg);
    ir_mov_i64(c, x[0], x[2]);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, x2\nexit_tb 0x0\n");

    /* a global written before a call that may raise stays */
    ir_mov_i64(c, x[0], x[1]);
    ir_call(c, &helper_may_raise, NULL, &arg);
    ir_mov_i64(c, x[0], x[2]);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, x1\ncall may_raise, 0x8, x3\nmov_i64 x0, x2\nexit_tb 0x0\n");

    /* ...and before one that reads globals */
    ir_mov_i64(c, x[0], x[1]);
    ir_call(c, &helper_reader, NULL, &arg);
    ir_mov_i64(c, x[0], x[2]);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, x1\ncall reader, 0x2, x3\nmov_i64 x0, x2\nexit_tb 0x0\n");

    /* ...and before a guest access; an unused guest load stays; stores stay */
    t = ir_temp_new_i64(c);
    ir_mov_i64(c, x[0], x[1]);
    ir_guest_ld_i64(c, t, x[2], MO_LEUQ, 1);
    ir_mov_i64(c, x[0], x[2]);
    ir_guest_st_i64(c, x[3], x[2], MO_LEUL, 1);
    ir_st_i64(c, x[3], ir_env(c), SCRATCH);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, x1\nguest_ld_i64 t%u, x2, leq, mmu1\nmov_i64 x0, x2\n"
                           "guest_st_i64 x3, x2, lel, mmu1\nst_i64 x3, env, 200\nexit_tb 0x0\n",
                           t.idx);

    /* ...and before a host load that may read its bytes */
    t = ir_temp_new_i64(c);
    ir_mov_i64(c, x[0], x[1]);
    ir_ld32u_i64(c, t, ir_env(c), 4);
    ir_mov_i64(c, x[0], x[2]);
    ir_st_i64(c, t, ir_env(c), SCRATCH);
    ir_exit_tb(c, 0);
    check_opt(c, "mov_i64 x0, x1\nld32u_i64 t%u, env, 4\nmov_i64 x0, x2\n"
                           "st_i64 t%u, env, 200\nexit_tb 0x0\n", t.idx, t.idx);

    /* ...but not before one elsewhere */
    t = ir_temp_new_i64(c);
    ir_mov_i64(c, x[0], x[1]);
    ir_ld_i64(c, t, ir_env(c), SCRATCH);
    ir_mov_i64(c, x[0], x[2]);
    ir_st_i64(c, t, ir_env(c), SCRATCH + 8);
    ir_exit_tb(c, 0);
    check_opt(c, "ld_i64 t%u, env, 200\nmov_i64 x0, x2\n"
                           "st_i64 t%u, env, 208\nexit_tb 0x0\n", t.idx, t.idx);
    ir_context_free(c);
}

/* tb temps and globals across branches: exact for forward ones. */
static void test_dead_code_branches(void)
{
    Fixture f;
    IRContext *c;
    IRv64 *x, t, i;
    IRLabel l, top;
    char *before, *after;

    fixture_init(&f);
    c = f.ctx;
    x = f.x;

    /* the first write of t is dead on both paths */
    t = ir_temp_tb_i64(c);
    l = ir_label_new(c);
    ir_mul_i64(c, t, x[1], x[1]);
    ir_brcond_i64(c, IR_COND_EQ, x[2], x[3], l);
    ir_mul_i64(c, t, x[2], x[2]);
    ir_mov_i64(c, x[0], t);
    ir_set_label(c, l);
    ir_exit_tb(c, 0);
    check_opt(c, "brcond_i64 x2, x3, eq, L%u\nmul_i64 tb%u, x2, x2\n"
                           "mov_i64 x0, tb%u\nset_label L%u\nexit_tb 0x0\n", l, t.idx, t.idx, l);

    /* read after the label: live on the branch */
    t = ir_temp_tb_i64(c);
    l = ir_label_new(c);
    ir_mul_i64(c, t, x[1], x[1]);
    ir_brcond_i64(c, IR_COND_EQ, x[2], x[3], l);
    ir_mul_i64(c, t, x[2], x[2]);
    ir_set_label(c, l);
    ir_mov_i64(c, x[0], t);
    ir_exit_tb(c, 0);
    check_opt(c, "mul_i64 tb%u, x1, x1\nbrcond_i64 x2, x3, eq, L%u\n"
                           "mul_i64 tb%u, x2, x2\nset_label L%u\nmov_i64 x0, tb%u\nexit_tb 0x0\n",
                           t.idx, l, t.idx, l, t.idx);

    /* a loop: the backward branch keeps everything alive */
    t = ir_temp_tb_i64(c);
    i = ir_temp_tb_i64(c);
    top = ir_label_new(c);
    ir_movi_i64(c, i, 0);
    ir_movi_i64(c, t, 0);
    ir_set_label(c, top);
    ir_add_i64(c, t, t, i);
    ir_addi_i64(c, i, i, 1);
    ir_brcond_i64(c, IR_COND_LTU, i, c64(c, 10), top);
    ir_mov_i64(c, x[0], t);
    ir_exit_tb(c, 0);
    before = ir_dump_to_string(c);
    optimize(c);
    after = ir_dump_to_string(c);
    g_assert_cmpstr(after, ==, before);
    free(before);
    free(after);
    ir_context_free(c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ir-optimize/add-zero", test_add_zero);
    g_test_add_func("/ir-optimize/const-chain", test_const_chain);
    g_test_add_func("/ir-optimize/fold-values", test_fold_values);
    g_test_add_func("/ir-optimize/identities", test_identities);
    g_test_add_func("/ir-optimize/setcond-movcond", test_setcond_movcond);
    g_test_add_func("/ir-optimize/known-zeros", test_known_zeros);
    g_test_add_func("/ir-optimize/copies", test_copies);
    g_test_add_func("/ir-optimize/branch-folding", test_branch_folding);
    g_test_add_func("/ir-optimize/unreachable", test_unreachable);
    g_test_add_func("/ir-optimize/labels-forget", test_labels_forget);
    g_test_add_func("/ir-optimize/globals-forgotten", test_globals_forgotten);
    g_test_add_func("/ir-optimize/dead-code", test_dead_code);
    g_test_add_func("/ir-optimize/dead-code-branches", test_dead_code_branches);
    return g_test_run();
}
