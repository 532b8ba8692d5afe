/*
 * Unit tests for the IR core: every builder's op as the -d op dump shows
 * it (this pins the dump format), constant interning, what ir_reset keeps,
 * the opcode table, and dumping ops too broken to have been built.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "proteus/ir.h"

typedef struct Fixture {
    IRContext *ctx;
    IRv64 x1;     /* temp 1 */
    IRv32 w;      /* temp 2 */
} Fixture;

static void fixture_init(Fixture *f)
{
    f->ctx = ir_context_new();
    f->x1 = ir_global_i64(f->ctx, 8, "x1");
    f->w = ir_global_i32(f->ctx, 16, "w");
}

static void check_dump(IRContext *ctx, const char *expected)
{
    char *got = ir_dump_to_string(ctx);

    g_assert_cmpstr(got, ==, expected);
    free(got);
}

static void test_arith_i32(void)
{
    Fixture f;
    IRContext *c;
    IRv32 a, b, w;

    fixture_init(&f);
    c = f.ctx;
    w = f.w;
    a = ir_temp_new_i32(c);
    b = ir_temp_tb_i32(c);
    ir_mov_i32(c, a, w);
    ir_movi_i32(c, a, -1);
    ir_add_i32(c, a, a, w);
    ir_addi_i32(c, b, a, 5);
    ir_addi_i32(c, b, a, 0);
    ir_sub_i32(c, a, a, b);
    ir_neg_i32(c, a, b);
    ir_mul_i32(c, a, a, b);
    ir_mulsh_i32(c, a, a, b);
    ir_muluh_i32(c, a, a, b);
    ir_div_i32(c, a, a, b);
    ir_divu_i32(c, a, a, b);
    ir_rem_i32(c, a, a, b);
    ir_remu_i32(c, a, a, b);
    ir_and_i32(c, a, a, b);
    ir_andi_i32(c, a, a, 0xff);
    ir_or_i32(c, a, a, b);
    ir_ori_i32(c, a, a, 0x80000000);
    ir_xor_i32(c, a, a, b);
    ir_xori_i32(c, a, a, -1);
    ir_andc_i32(c, a, a, b);
    ir_orc_i32(c, a, a, b);
    ir_not_i32(c, a, b);
    ir_shl_i32(c, a, a, b);
    ir_shli_i32(c, a, a, 3);
    ir_shr_i32(c, a, a, b);
    ir_shri_i32(c, a, a, 31);
    ir_sar_i32(c, a, a, b);
    ir_sari_i32(c, a, a, 1);
    ir_rotl_i32(c, a, a, b);
    ir_rotr_i32(c, a, a, b);
    ir_setcond_i32(c, IR_COND_EQ, a, w, b);
    ir_movcond_i32(c, IR_COND_NE, a, w, b, a, w);
    ir_ext8s_i32(c, a, w);
    ir_ext8u_i32(c, a, w);
    ir_ext16s_i32(c, a, w);
    ir_ext16u_i32(c, a, w);
    ir_deposit_i32(c, a, a, b, 8, 4);
    ir_extract_i32(c, a, w, 0, 32);
    ir_sextract_i32(c, a, w, 31, 1);
    ir_bswap16_i32(c, a, w);
    ir_bswap32_i32(c, a, w);
    ir_clz_i32(c, a, w, b);
    ir_ctz_i32(c, a, w, b);
    ir_ctpop_i32(c, a, w);
    check_dump(c,
        "mov_i32 t3, w\n"
        "mov_i32 t3, $0xffffffff\n"
        "add_i32 t3, t3, w\n"
        "add_i32 tb4, t3, $0x5\n"
        "mov_i32 tb4, t3\n"
        "sub_i32 t3, t3, tb4\n"
        "neg_i32 t3, tb4\n"
        "mul_i32 t3, t3, tb4\n"
        "mulsh_i32 t3, t3, tb4\n"
        "muluh_i32 t3, t3, tb4\n"
        "div_i32 t3, t3, tb4\n"
        "divu_i32 t3, t3, tb4\n"
        "rem_i32 t3, t3, tb4\n"
        "remu_i32 t3, t3, tb4\n"
        "and_i32 t3, t3, tb4\n"
        "and_i32 t3, t3, $0xff\n"
        "or_i32 t3, t3, tb4\n"
        "or_i32 t3, t3, $0x80000000\n"
        "xor_i32 t3, t3, tb4\n"
        "xor_i32 t3, t3, $0xffffffff\n"
        "andc_i32 t3, t3, tb4\n"
        "orc_i32 t3, t3, tb4\n"
        "not_i32 t3, tb4\n"
        "shl_i32 t3, t3, tb4\n"
        "shl_i32 t3, t3, $0x3\n"
        "shr_i32 t3, t3, tb4\n"
        "shr_i32 t3, t3, $0x1f\n"
        "sar_i32 t3, t3, tb4\n"
        "sar_i32 t3, t3, $0x1\n"
        "rotl_i32 t3, t3, tb4\n"
        "rotr_i32 t3, t3, tb4\n"
        "setcond_i32 t3, w, tb4, eq\n"
        "movcond_i32 t3, w, tb4, t3, w, ne\n"
        "ext8s_i32 t3, w\n"
        "ext8u_i32 t3, w\n"
        "ext16s_i32 t3, w\n"
        "ext16u_i32 t3, w\n"
        "deposit_i32 t3, t3, tb4, 8, 4\n"
        "extract_i32 t3, w, 0, 32\n"
        "sextract_i32 t3, w, 31, 1\n"
        "bswap16_i32 t3, w\n"
        "bswap32_i32 t3, w\n"
        "clz_i32 t3, w, tb4\n"
        "ctz_i32 t3, w, tb4\n"
        "ctpop_i32 t3, w\n");
    /* The same constant is one temp: $0xffffffff was interned by movi. */
    g_assert_cmpuint(ir_const_i32(c, -1).idx, ==, 5);
    ir_context_free(c);
}

static void test_arith_i64(void)
{
    Fixture f;
    IRContext *c;
    IRv64 p, q;
    IRv32 r;

    fixture_init(&f);
    c = f.ctx;
    p = ir_temp_new_i64(c);
    q = ir_temp_tb_i64(c);
    r = ir_temp_new_i32(c);
    ir_movi_i64(c, p, INT64_MIN);
    ir_addi_i64(c, q, p, -16);
    ir_shli_i64(c, q, q, 63);
    ir_sari_i64(c, q, f.x1, 0);
    ir_ext32s_i64(c, p, q);
    ir_ext32u_i64(c, p, q);
    ir_bswap64_i64(c, p, q);
    ir_ext_i32_i64(c, p, f.w);
    ir_extu_i32_i64(c, q, r);
    ir_extrl_i64_i32(c, r, f.x1);
    ir_extrh_i64_i32(c, f.w, p);
    ir_deposit_i64(c, p, p, q, 32, 32);
    ir_setcond_i64(c, IR_COND_TSTNE, p, q, f.x1);
    ir_movcond_i64(c, IR_COND_GTU, p, q, f.x1, p, q);
    ir_clz_i64(c, p, q, ir_const_i64(c, 64));
    check_dump(c,
        "mov_i64 t3, $0x8000000000000000\n"
        "add_i64 tb4, t3, $0xfffffffffffffff0\n"
        "shl_i64 tb4, tb4, $0x3f\n"
        "sar_i64 tb4, x1, $0x0\n"
        "ext32s_i64 t3, tb4\n"
        "ext32u_i64 t3, tb4\n"
        "bswap64_i64 t3, tb4\n"
        "ext_i32_i64 t3, w\n"
        "extu_i32_i64 tb4, t5\n"
        "extrl_i64_i32 t5, x1\n"
        "extrh_i64_i32 w, t3\n"
        "deposit_i64 t3, t3, tb4, 32, 32\n"
        "setcond_i64 t3, tb4, x1, tstne\n"
        "movcond_i64 t3, tb4, x1, t3, tb4, gtu\n"
        "clz_i64 t3, tb4, $0x40\n");
    ir_context_free(c);
}

static void test_memory(void)
{
    Fixture f;
    IRContext *c;
    IRv64 p, e, x1;
    IRv32 r, w;

    fixture_init(&f);
    c = f.ctx;
    x1 = f.x1;
    w = f.w;
    e = ir_env(c);
    p = ir_temp_new_i64(c);
    r = ir_temp_new_i32(c);
    ir_ld8u_i32(c, r, e, 0);
    ir_ld8s_i32(c, r, e, 1);
    ir_ld16u_i32(c, r, e, 2);
    ir_ld16s_i32(c, r, e, -2);
    ir_ld_i32(c, r, e, 4);
    ir_ld8u_i64(c, p, e, 5);
    ir_ld16s_i64(c, p, e, 6);
    ir_ld32u_i64(c, p, e, 8);
    ir_ld32s_i64(c, p, e, 12);
    ir_ld_i64(c, p, e, 40);
    ir_st8_i32(c, r, e, 0);
    ir_st16_i32(c, r, e, 2);
    ir_st_i32(c, r, e, INT32_MAX);
    ir_st8_i64(c, p, e, 1);
    ir_st32_i64(c, p, e, INT32_MIN);
    ir_st_i64(c, p, p, 0);
    ir_guest_ld_i64(c, p, x1, MO_LEUQ, 1);
    ir_guest_ld_i64(c, p, x1, MO_LESL | MO_ALIGN, 0);
    ir_guest_ld_i64(c, p, x1, MO_UB, 0);
    ir_guest_ld_i32(c, r, x1, MO_SB, 0);
    ir_guest_ld_i32(c, r, x1, MO_BEUW, 2);
    ir_guest_ld_i32(c, r, x1, MO_BEUL, 2);
    ir_guest_st_i32(c, r, x1, MO_UB, 0);
    ir_guest_st_i64(c, p, x1, MO_BEUQ | MO_ALIGN, 3);
    ir_guest_st_i64(c, p, x1, MO_LEUW, 0);
    ir_atomic_cmpxchg_i64(c, p, x1, p, x1, MO_LEUQ | MO_ALIGN, 0);
    ir_atomic_cmpxchg_i32(c, r, x1, r, w, MO_LEUL, 1);
    ir_atomic_rmw_i64(c, IR_ATOMIC_ADD, p, x1, p, MO_LEUL, 0);
    ir_atomic_rmw_i32(c, IR_ATOMIC_UMAX, r, x1, w, MO_BEUL | MO_ALIGN, 0);
    ir_atomic_rmw_i64(c, IR_ATOMIC_XCHG, p, x1, p, MO_LEUQ, 0);
    check_dump(c,
        "ld8u_i32 t4, env, 0\n"
        "ld8s_i32 t4, env, 1\n"
        "ld16u_i32 t4, env, 2\n"
        "ld16s_i32 t4, env, -2\n"
        "ld_i32 t4, env, 4\n"
        "ld8u_i64 t3, env, 5\n"
        "ld16s_i64 t3, env, 6\n"
        "ld32u_i64 t3, env, 8\n"
        "ld32s_i64 t3, env, 12\n"
        "ld_i64 t3, env, 40\n"
        "st8_i32 t4, env, 0\n"
        "st16_i32 t4, env, 2\n"
        "st_i32 t4, env, 2147483647\n"
        "st8_i64 t3, env, 1\n"
        "st32_i64 t3, env, -2147483648\n"
        "st_i64 t3, t3, 0\n"
        "guest_ld_i64 t3, x1, leq, mmu1\n"
        "guest_ld_i64 t3, x1, lesl+al, mmu0\n"
        "guest_ld_i64 t3, x1, ub, mmu0\n"
        "guest_ld_i32 t4, x1, sb, mmu0\n"
        "guest_ld_i32 t4, x1, beuw, mmu2\n"
        "guest_ld_i32 t4, x1, bel, mmu2\n"
        "guest_st_i32 t4, x1, b, mmu0\n"
        "guest_st_i64 t3, x1, beq+al, mmu3\n"
        "guest_st_i64 t3, x1, lew, mmu0\n"
        "atomic_cmpxchg_i64 t3, x1, t3, x1, leq+al, mmu0\n"
        "atomic_cmpxchg_i32 t4, x1, t4, w, lel, mmu1\n"
        "atomic_rmw_i64 t3, x1, t3, lel, mmu0, add\n"
        "atomic_rmw_i32 t4, x1, w, bel+al, mmu0, umax\n"
        "atomic_rmw_i64 t3, x1, t3, leq, mmu0, xchg\n");
    /* The raw arguments, in ir-ops.h's order. */
    {
        const IROp *op = ir_op(c, 14);   /* st32_i64 t3, env, INT32_MIN */

        g_assert_cmpint(op->opc, ==, IR_OP_st32);
        g_assert_cmpint(op->type, ==, IR_TYPE_I64);
        g_assert_cmpuint(op->nb_oargs, ==, 0);
        g_assert_cmpuint(op->nb_iargs, ==, 2);
        g_assert_cmpuint(op->nb_cargs, ==, 1);
        g_assert_cmpuint(op->args[0], ==, p.idx);
        g_assert_cmpuint(op->args[1], ==, 0);
        g_assert_cmpint((int64_t)op->args[2], ==, INT32_MIN);
        op = ir_op(c, 28);               /* atomic_rmw_i32 ... umax */
        g_assert_cmpuint(op->args[3], ==, MO_BEUL | MO_ALIGN);
        g_assert_cmpuint(op->args[4], ==, 0);
        g_assert_cmpuint(op->args[5], ==, IR_ATOMIC_UMAX);
    }
    ir_context_free(c);
}

static void test_control(void)
{
    Fixture f;
    IRContext *c;
    IRLabel l0, l1;
    IRv64 p;

    fixture_init(&f);
    c = f.ctx;
    l0 = ir_label_new(c);
    l1 = ir_label_new(c);
    g_assert_cmpuint(l0, ==, 0);
    g_assert_cmpuint(l1, ==, 1);
    p = ir_temp_new_i64(c);
    ir_insn_start(c, 0x10074, 1, 0x20);
    ir_brcond_i64(c, IR_COND_LT, f.x1, ir_const_i64(c, 0), l1);
    ir_brcond_i32(c, IR_COND_GEU, f.w, ir_const_i32(c, 7), l0);
    ir_br(c, l1);
    ir_set_label(c, l0);
    ir_mb(c, IR_MB_ALL);
    ir_mb(c, IR_MB_LD_LD | IR_MB_ST_ST);
    ir_mb(c, 0);
    ir_mb(c, IR_MB_ST_LD);
    ir_goto_tb(c, 0);
    ir_exit_tb(c, 0x7f0000001000);
    ir_set_label(c, l1);
    ir_insn_start(c, UINT64_MAX, 0, 0);
    ir_goto_tb(c, 1);
    ir_exit_tb(c, IR_EXIT_REQUESTED);
    ir_ld_i64(c, p, ir_env(c), 0);
    ir_goto_ptr(c, p);
    check_dump(c,
        " ---- 0x0000000000010074 0x1 0x20\n"
        "brcond_i64 x1, $0x0, lt, L1\n"
        "brcond_i32 w, $0x7, geu, L0\n"
        "br L1\n"
        "set_label L0\n"
        "mb all\n"
        "mb ld_ld|st_st\n"
        "mb none\n"
        "mb st_ld\n"
        "goto_tb 0\n"
        "exit_tb 0x7f0000001000\n"
        "set_label L1\n"
        " ---- 0xffffffffffffffff 0x0 0x0\n"
        "goto_tb 1\n"
        "exit_tb 0x2\n"
        "ld_i64 t3, env, 0\n"
        "goto_ptr t3\n");
    ir_context_free(c);
}

static void *const fake_func = (void *)(uintptr_t)0x1000;

static void test_call(void)
{
    static const IRHelperInfo h_ret = {
        .func = fake_func, .name = "helper_mulh", .flags = IR_CALL_PURE,
        .has_ret = true, .ret_type = IR_TYPE_I64,
        .nargs = 2, .arg_types = { IR_TYPE_I64, IR_TYPE_I32 },
    };
    static const IRHelperInfo h_void = {
        .func = fake_func, .name = "helper_ecall", .flags = IR_CALL_MAY_RAISE,
        .nargs = 1, .arg_types = { IR_TYPE_I64 },
    };
    static const IRHelperInfo h_noargs = {
        .func = fake_func, .name = "helper_tick",
        .has_ret = true, .ret_type = IR_TYPE_I32,
    };
    Fixture f;
    IRContext *c;
    IRTempIdx ret, args[2];
    const IROp *op;
    IRv64 p;
    IRv32 r;

    fixture_init(&f);
    c = f.ctx;
    p = ir_temp_new_i64(c);
    r = ir_temp_new_i32(c);
    ret = p.idx;
    args[0] = ir_env(c).idx;
    args[1] = f.w.idx;
    ir_call(c, &h_ret, &ret, args);
    ir_call(c, &h_void, NULL, args);
    ret = r.idx;
    ir_call(c, &h_noargs, &ret, NULL);
    check_dump(c,
        "call helper_mulh, 0x7, t3 <- env, w\n"
        "call helper_ecall, 0x8, env\n"
        "call helper_tick, 0x0, t4 <-\n");

    op = ir_op(c, 0);
    g_assert_cmpint(op->opc, ==, IR_OP_call);
    g_assert_cmpuint(op->nb_oargs, ==, 1);
    g_assert_cmpuint(op->nb_iargs, ==, 2);
    g_assert_cmpuint(op->nb_cargs, ==, 1);
    g_assert_cmpuint(op->args[0], ==, p.idx);
    g_assert_cmpuint(op->args[1], ==, 0);
    g_assert_cmpuint(op->args[2], ==, f.w.idx);
    g_assert_true(op->args[3] == (uint64_t)(uintptr_t)&h_ret);
    op = ir_op(c, 1);
    g_assert_cmpuint(op->nb_oargs, ==, 0);
    g_assert_cmpuint(op->nb_iargs, ==, 1);
    g_assert_true(op->args[1] == (uint64_t)(uintptr_t)&h_void);
    ir_context_free(c);
}

static void test_consts(void)
{
    Fixture f;
    IRContext *c;
    IRv32 m1_32, a;
    IRv64 m1_64;

    fixture_init(&f);
    c = f.ctx;
    m1_32 = ir_const_i32(c, -1);
    m1_64 = ir_const_i64(c, -1);
    /* Same value, different types: two temps; same (type, value): one. */
    g_assert_cmpuint(m1_32.idx, !=, m1_64.idx);
    g_assert_cmpuint(ir_const_i32(c, -1).idx, ==, m1_32.idx);
    g_assert_cmpuint(ir_const_i64(c, -1).idx, ==, m1_64.idx);
    g_assert_cmpuint(ir_const_i32(c, 0).idx, !=, ir_const_i64(c, 0).idx);
    g_assert_cmpuint(ir_const_i64(c, 0xffffffff).idx, !=, m1_64.idx);
    g_assert_cmpint(ir_temp(c, m1_32.idx)->kind, ==, IR_TEMP_CONST);
    g_assert_cmpint(ir_temp(c, m1_32.idx)->type, ==, IR_TYPE_I32);
    /* i32 constants are kept sign-extended. */
    g_assert_cmpint(ir_temp(c, m1_32.idx)->val, ==, -1);
    g_assert_cmpint(ir_temp(c, ir_const_i32(c, INT32_MIN).idx)->val, ==, INT32_MIN);
    g_assert_cmpint(ir_temp(c, ir_const_i64(c, INT64_MIN).idx)->val, ==, INT64_MIN);

    /* The immediate builders of i32 keep the low half of their operand. */
    a = ir_temp_new_i32(c);
    g_assert_cmpuint(a.idx, ==, 10);
    ir_movi_i32(c, a, 0xffffffff);
    ir_ori_i32(c, a, a, 0x1ffffffffll);
    ir_addi_i32(c, a, a, 0x100000000ll);      /* adds 0: a mov */
    ir_addi_i64(c, f.x1, f.x1, 0x100000000ll);
    check_dump(c,
        "mov_i32 t10, $0xffffffff\n"
        "or_i32 t10, t10, $0xffffffff\n"
        "mov_i32 t10, t10\n"
        "add_i64 x1, x1, $0x100000000\n");
    g_assert_cmpuint(ir_op(c, 0)->args[1], ==, m1_32.idx);
    g_assert_cmpuint(ir_op(c, 1)->args[2], ==, m1_32.idx);

    /* A new TB interns afresh. */
    ir_reset(c);
    g_assert_cmpuint(ir_temp_new_i64(c).idx, ==, 3);
    m1_64 = ir_const_i64(c, -1);
    g_assert_cmpuint(m1_64.idx, ==, 4);
    g_assert_cmpint(ir_temp(c, m1_64.idx)->val, ==, -1);
    ir_context_free(c);
}

static void test_reset(void)
{
    Fixture f;
    IRContext *c;
    IRv64 x2;

    fixture_init(&f);
    c = f.ctx;
    g_assert_cmpuint(c->nb_globals, ==, 3);
    g_assert_cmpuint(c->temps->len, ==, 3);
    g_assert_cmpuint(ir_env(c).idx, ==, 0);
    g_assert_cmpint(ir_temp(c, 0)->kind, ==, IR_TEMP_ENV);
    g_assert_cmpint(ir_temp(c, 0)->type, ==, IR_TYPE_I64);
    g_assert_cmpstr(ir_temp(c, 0)->name, ==, "env");
    g_assert_cmpint(ir_temp(c, f.x1.idx)->kind, ==, IR_TEMP_GLOBAL);
    g_assert_cmpint(ir_temp(c, f.x1.idx)->mem_offset, ==, 8);
    g_assert_cmpint(ir_temp(c, f.w.idx)->type, ==, IR_TYPE_I32);
    g_assert_cmpint(ir_temp(c, f.w.idx)->mem_offset, ==, 16);

    ir_temp_tb_i32(c);
    ir_const_i64(c, 42);
    g_assert_cmpuint(ir_label_new(c), ==, 0);
    g_assert_cmpuint(ir_label_new(c), ==, 1);
    ir_movi_i64(c, f.x1, 42);
    g_assert_cmpuint(ir_op_count(c), ==, 1);

    ir_reset(c);
    g_assert_cmpuint(ir_op_count(c), ==, 0);
    g_assert_cmpuint(c->temps->len, ==, 3);
    g_assert_cmpuint(c->nb_labels, ==, 0);
    g_assert_cmpuint(g_hash_table_size(c->consts), ==, 0);
    g_assert_cmpstr(ir_temp(c, f.x1.idx)->name, ==, "x1");

    /* Globals can still be added between TBs; they keep their place. */
    x2 = ir_global_i64(c, 24, "x2");
    g_assert_cmpuint(x2.idx, ==, 3);
    g_assert_cmpuint(c->nb_globals, ==, 4);
    ir_movi_i64(c, x2, 0);
    ir_mov_i32(c, ir_temp_new_i32(c), f.w);
    check_dump(c,
        "mov_i64 x2, $0x0\n"
        "mov_i32 t5, w\n");
    ir_reset(c);
    g_assert_cmpuint(c->temps->len, ==, 4);
    ir_context_free(c);
    ir_context_free(NULL);
}

/* Registering a global while a TB has temps would let a reset drop it. */
static void test_global_after_temps(void)
{
    if (g_test_subprocess()) {
        IRContext *c = ir_context_new();

        ir_temp_new_i64(c);
        ir_global_i64(c, 0, "late");
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
}

static void test_op_defs(void)
{
    for (unsigned i = 0; i < IR_OP_COUNT; i++) {
        const IROpDef *d = &ir_op_defs[i];

        g_assert_nonnull(d->name);
        g_assert_cmpuint(d->nb_oargs + d->nb_iargs + d->nb_cargs, <=, IR_MAX_ARGS);
        /* A 64-bit-only op is typed; block ends never produce temps. */
        g_assert_true(!(d->flags & IR_OPF_64_ONLY) || (d->flags & IR_OPF_TYPED));
        g_assert_true(!(d->flags & IR_OPF_BB_END) || d->nb_oargs == 0);
    }
    g_assert_cmpstr(ir_op_defs[IR_OP_add].name, ==, "add");
    g_assert_cmpuint(ir_op_defs[IR_OP_movcond].nb_iargs, ==, 4);
    g_assert_cmpuint(ir_op_defs[IR_OP_atomic_rmw].nb_cargs, ==, 3);
    g_assert_cmpstr(ir_op_defs[IR_OP_extrh_i64_i32].name, ==, "extrh_i64_i32");
    g_assert_true(ir_op_defs[IR_OP_brcond].flags & IR_OPF_BB_END);
    g_assert_true(ir_op_defs[IR_OP_guest_ld].flags & IR_OPF_GUEST_MEM);
    g_assert_true(ir_op_defs[IR_OP_ld32u].flags & IR_OPF_64_ONLY);
}

/* The validator prints whatever it is given: nothing may crash the dump. */
static void test_broken_ops(void)
{
    Fixture f;
    IRContext *c;
    IROp op = { 0 };
    char *s, *expect;

    fixture_init(&f);
    c = f.ctx;

    op.opc = IR_OP_add;
    op.type = IR_TYPE_I64;
    op.nb_oargs = 1;
    op.nb_iargs = 2;
    op.args[0] = 99;
    op.args[1] = f.x1.idx;
    op.args[2] = 0;
    s = ir_op_to_string(c, &op);
    g_assert_cmpstr(s, ==, "add_i64 ?99, x1, env");
    g_free(s);

    /* Wrong constant count: constants shown raw. */
    op.opc = IR_OP_brcond;
    op.nb_oargs = 0;
    op.nb_iargs = 0;
    op.nb_cargs = 1;
    op.args[0] = 77;
    s = ir_op_to_string(c, &op);
    g_assert_cmpstr(s, ==, "brcond_i64 0x4d");
    g_free(s);

    /* Out-of-range condition, type and atomic op. */
    op.opc = IR_OP_setcond;
    op.type = 7;
    op.nb_oargs = 1;
    op.nb_iargs = 2;
    op.nb_cargs = 1;
    op.args[0] = 1;
    op.args[1] = 1;
    op.args[2] = 1;
    op.args[3] = 99;
    s = ir_op_to_string(c, &op);
    g_assert_cmpstr(s, ==, "setcond_i? x1, x1, x1, cond99");
    g_free(s);

    op.opc = IR_OP_COUNT + 3;
    op.nb_oargs = 0;
    op.nb_iargs = 1;
    op.nb_cargs = 1;
    op.args[0] = 5;
    op.args[1] = 6;
    s = ir_op_to_string(c, &op);
    expect = g_strdup_printf("op%u 0x5, 0x6", IR_OP_COUNT + 3);
    g_assert_cmpstr(s, ==, expect);
    g_free(expect);
    g_free(s);

    op.opc = IR_OP_mov;
    op.nb_oargs = 200;
    s = ir_op_to_string(c, &op);
    g_assert_nonnull(strstr(s, "200+1+1 arguments"));
    g_free(s);

    /* A call without helper info, and one whose mb bits are unknown. */
    op.opc = IR_OP_call;
    op.nb_oargs = 0;
    op.nb_iargs = 0;
    op.nb_cargs = 1;
    op.args[0] = 0;
    s = ir_op_to_string(c, &op);
    g_assert_cmpstr(s, ==, "call (null), ");
    g_free(s);
    op.opc = IR_OP_mb;
    op.args[0] = 0x31;
    s = ir_op_to_string(c, &op);
    g_assert_cmpstr(s, ==, "mb ld_ld|0x30");
    g_free(s);
    op.opc = IR_OP_guest_st;
    op.type = IR_TYPE_I32;
    op.nb_iargs = 2;
    op.nb_cargs = 2;
    op.args[0] = 2;
    op.args[1] = 1;
    op.args[2] = MO_SIGN | MO_16 | 0x40;
    op.args[3] = 0;
    s = ir_op_to_string(c, &op);
    g_assert_cmpstr(s, ==, "guest_st_i32 w, x1, lesw+0x40, mmu0");
    g_free(s);
    ir_context_free(c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ir/build/arith-i32", test_arith_i32);
    g_test_add_func("/ir/build/arith-i64", test_arith_i64);
    g_test_add_func("/ir/build/memory", test_memory);
    g_test_add_func("/ir/build/control", test_control);
    g_test_add_func("/ir/build/call", test_call);
    g_test_add_func("/ir/build/consts", test_consts);
    g_test_add_func("/ir/build/reset", test_reset);
    g_test_add_func("/ir/build/global-after-temps", test_global_after_temps);
    g_test_add_func("/ir/build/op-defs", test_op_defs);
    g_test_add_func("/ir/build/broken-ops", test_broken_ops);
    return g_test_run();
}
