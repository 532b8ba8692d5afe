/*
 * Tests of scripts/decodegen.py, the generator of instruction decoders.
 *
 * The build runs the generator on tests/unit/decode/test.decode (32-bit) and
 * test16.decode (16-bit, sharing an argument set) and this file includes both
 * results.  The trans_* functions below only record which instruction was
 * decoded with which arguments, so each check is "this encoding reaches that
 * trans_ with those fields".  A context can make named trans_ functions
 * decline, which is how group fall-through is tested.
 *
 * The error tests run the generator itself (path in $DECODEGEN) on small bad
 * tables written to a temporary directory and check the exit status and the
 * "FILE:LINE: message" it prints.
 */

#include <glib.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>

typedef struct DisasContext {
    const char *name;           /* last trans_ called */
    int32_t v[3];               /* its arguments, in argument-set order */
    int calls;
    int declined;
    const char *decline[3];     /* trans_ functions that return false */
} DisasContext;

static const char *rv_gpr(int n)
{
    static const char *names[32] = {
        "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7",
        "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15",
        "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23",
        "x24", "x25", "x26", "x27", "x28", "x29", "x30", "x31",
    };
    g_assert(n >= 0 && n < 32);
    return names[n];
}

static const char *fpr_name(int n)
{
    static char names[32][4];
    g_assert(n >= 0 && n < 32);
    snprintf(names[n], sizeof(names[n]), "f%d", n);
    return names[n];
}

static int32_t times_two(int32_t v)
{
    return v * 2;
}

/* Compressed 3-bit register numbers name x8..x15. */
static int32_t rvc_reg(int32_t v)
{
    return v + 8;
}

static bool record(DisasContext *ctx, const char *name, int32_t a, int32_t b, int32_t c)
{
    ctx->calls++;
    for (int i = 0; i < 3; i++) {
        if (ctx->decline[i] && strcmp(ctx->decline[i], name) == 0) {
            ctx->declined++;
            return false;
        }
    }
    ctx->name = name;
    ctx->v[0] = a;
    ctx->v[1] = b;
    ctx->v[2] = c;
    return true;
}

#define TRANS0(NAME) \
    static bool trans_##NAME(DisasContext *ctx, arg_empty *a) \
    { return record(ctx, #NAME, 0, 0, 0); }
#define TRANS2(NAME, SET, A, B) \
    static bool trans_##NAME(DisasContext *ctx, arg_##SET *a) \
    { return record(ctx, #NAME, a->A, a->B, 0); }
#define TRANS3(NAME, SET, A, B, C) \
    static bool trans_##NAME(DisasContext *ctx, arg_##SET *a) \
    { return record(ctx, #NAME, a->A, a->B, a->C); }

#include "decode-test.c.inc"
#include "decode-test16.c.inc"

TRANS3(add, r, rd, rs1, rs2)
TRANS3(sub, r, rd, rs1, rs2)
TRANS0(nop)
TRANS3(li, i, rd, rs1, imm)
TRANS3(mv, i, rd, rs1, imm)
TRANS3(addi, i, rd, rs1, imm)
TRANS3(slli, shift, rd, rs1, shamt)
TRANS3(sw, s, rs1, rs2, imm)
TRANS3(beq, s, rs1, rs2, imm)
TRANS3(bne, s, rs1, rs2, imm)
TRANS2(lui, u, rd, imm)
TRANS3(csrrw, i, rd, rs1, imm)
TRANS3(dbl, i, rd, rs1, imm)
TRANS2(fence, fence, pred, succ)
TRANS3(fadd, r, rd, rs1, rs2)
TRANS0(ecall)
TRANS0(ebreak)
TRANS0(c_nop)
TRANS3(c_addi, i, rd, rs1, imm)
TRANS3(c_li, i, rd, rs1, imm)
TRANS3(c_lw, i, rd, rs1, imm)

/* Encoders for the 32-bit formats, written from the RISC-V layouts. */
static uint32_t enc_r(int f7, int rs2, int rs1, int f3, int rd, int op)
{
    return (uint32_t)f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}

static uint32_t enc_i(int32_t imm, int rs1, int f3, int rd, int op)
{
    return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}

static uint32_t enc_s(int32_t imm, int rs2, int rs1, int f3, int op)
{
    uint32_t u = imm;
    return (u >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u & 0x1f) << 7 | op;
}

static uint32_t enc_b(int32_t imm, int rs2, int rs1, int f3, int op)
{
    uint32_t u = imm;
    return (u >> 12 & 1) << 31 | (u >> 5 & 0x3f) << 25 | rs2 << 20 | rs1 << 15 |
           f3 << 12 | (u >> 1 & 0xf) << 8 | (u >> 11 & 1) << 7 | op;
}

/* Decode with a fresh context; checks the trans_ reached and its arguments. */
static void expect32(uint32_t insn, const char *name, int32_t a, int32_t b, int32_t c)
{
    DisasContext ctx = { 0 };

    g_assert_true(decode_test(&ctx, insn));
    g_assert_cmpstr(ctx.name, ==, name);
    g_assert_cmpint(ctx.calls, ==, 1);
    g_assert_cmpint(ctx.v[0], ==, a);
    g_assert_cmpint(ctx.v[1], ==, b);
    g_assert_cmpint(ctx.v[2], ==, c);
}

static void expect16(uint32_t insn, const char *name, int32_t a, int32_t b, int32_t c)
{
    DisasContext ctx = { 0 };

    g_assert_true(decode_test16(&ctx, insn));
    g_assert_cmpstr(ctx.name, ==, name);
    g_assert_cmpint(ctx.v[0], ==, a);
    g_assert_cmpint(ctx.v[1], ==, b);
    g_assert_cmpint(ctx.v[2], ==, c);
}

static void expect_none32(uint32_t insn)
{
    DisasContext ctx = { 0 };
    char buf[64];

    g_assert_false(decode_test(&ctx, insn));
    g_assert_cmpint(ctx.calls, ==, 0);
    g_assert_false(disas_test(insn, buf, sizeof(buf)));
    g_assert_cmpstr(buf, ==, "");
}

static void expect_text32(uint32_t insn, const char *text)
{
    char buf[64];

    g_assert_true(disas_test(insn, buf, sizeof(buf)));
    g_assert_cmpstr(buf, ==, text);
}

static void test_register_fields(void)
{
    expect32(enc_r(0, 3, 2, 0, 1, 0x33), "add", 1, 2, 3);
    expect32(enc_r(0, 31, 31, 0, 31, 0x33), "add", 31, 31, 31);
    expect32(enc_r(0x20, 0, 0, 0, 0, 0x33), "sub", 0, 0, 0);
    expect32(enc_r(0x20, 17, 9, 0, 4, 0x33), "sub", 4, 9, 17);
    /* Fixed funct7/funct3 bits must match exactly. */
    expect_none32(enc_r(0x01, 3, 2, 0, 1, 0x33));
    expect_none32(enc_r(0x60, 3, 2, 0, 1, 0x33));
    expect_none32(enc_r(0x00, 3, 2, 1, 1, 0x33));
    /* The rounding-mode bits of fadd are don't-care. */
    for (int rm = 0; rm < 8; rm++) {
        expect32(enc_r(0, 7, 6, rm, 5, 0x53), "fadd", 5, 6, 7);
    }
    expect_none32(enc_r(0x04, 7, 6, 0, 5, 0x53));
}

static void test_immediates(void)
{
    static const int32_t imm12[] = { 0, 1, -1, 2047, -2048, 0x555, -0x556 };
    static const int32_t imm13[] = { 0, 2, -2, 4094, -4096, 2048, -2048, 0x554 };

    for (size_t i = 0; i < G_N_ELEMENTS(imm12); i++) {
        /* addi with a zero immediate is the mv special case. */
        expect32(enc_i(imm12[i], 7, 0, 9, 0x13), imm12[i] ? "addi" : "mv", 9, 7, imm12[i]);
        expect32(enc_s(imm12[i], 5, 2, 2, 0x23), "sw", 2, 5, imm12[i]);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(imm13); i++) {
        expect32(enc_b(imm13[i], 2, 1, 0, 0x63), "beq", 1, 2, imm13[i]);
        expect32(enc_b(imm13[i], 30, 29, 1, 0x63), "bne", 29, 30, imm13[i]);
    }
    /* Shifted signed field: the sign comes from bit 31. */
    expect32(0xfffff000 | 3 << 7 | 0x37, "lui", 3, (int32_t)0xfffff000, 0);
    expect32(0x7ffff000 | 0x37, "lui", 0, 0x7ffff000, 0);
    expect32(0x00001000 | 0x37, "lui", 0, 0x1000, 0);
    /* Unsigned 12-bit field in the same position as the signed one. */
    expect32(enc_i(-1, 2, 1, 1, 0x73), "csrrw", 1, 2, 4095);
    expect32(enc_i(0x300, 0, 1, 31, 0x73), "csrrw", 31, 0, 0x300);
    /* 6-bit shift amount; the top six bits are fixed to zero. */
    expect32(enc_i(63, 2, 1, 1, 0x13), "slli", 1, 2, 63);
    expect32(enc_i(0, 0, 1, 0, 0x13), "slli", 0, 0, 0);
    expect_none32(enc_i(0x400 | 5, 2, 1, 1, 0x13));
}

static void test_func_const_ignored(void)
{
    /* rs1 goes through times_two(); imm is the constant -1 from the table. */
    expect32(enc_r(1, 0, 5, 7, 3, 0x0b), "dbl", 3, 10, -1);
    expect32(enc_r(1, 0, 31, 7, 0, 0x0b), "dbl", 0, 62, -1);
    expect_none32(enc_r(1, 1, 5, 7, 3, 0x0b));
    /* fence: bits marked '-' may hold anything. */
    expect32(0x0330000f, "fence", 3, 3, 0);
    expect32(0xf0ffffff & ~0x7000u & ~0x70u, "fence", 0, 15, 0);
    expect32(0x0ff0000f | 0xf00f8f80, "fence", 15, 15, 0);
    expect_none32(0x0ff0100f);
    expect32(0x00000073, "ecall", 0, 0, 0);
    expect32(0x00100073, "ebreak", 0, 0, 0);
    expect_none32(0x00200073);
    expect_none32(0x00000000);
    expect_none32(0xffffffff);
    expect_none32(0x0000007f);
}

static void test_group_priority(void)
{
    DisasContext ctx = { 0 };

    /* addi x0, x0, 0 is nop, before li, mv and addi that also match. */
    expect32(0x00000013, "nop", 0, 0, 0);
    expect32(enc_i(0, 0, 0, 5, 0x13), "li", 5, 0, 0);
    expect32(enc_i(-7, 0, 0, 5, 0x13), "li", 5, 0, -7);
    expect32(enc_i(0, 6, 0, 5, 0x13), "mv", 5, 6, 0);
    expect32(enc_i(3, 6, 0, 5, 0x13), "addi", 5, 6, 3);
    expect32(enc_i(0, 6, 0, 0, 0x13), "mv", 0, 6, 0);

    /* A declining trans_ lets the next matching member of the group try. */
    ctx.decline[0] = "li";
    g_assert_true(decode_test(&ctx, enc_i(0, 0, 0, 5, 0x13)));
    g_assert_cmpstr(ctx.name, ==, "mv");
    g_assert_cmpint(ctx.declined, ==, 2);   /* both li encodings matched */

    memset(&ctx, 0, sizeof(ctx));
    ctx.decline[0] = "li";
    ctx.decline[1] = "mv";
    g_assert_true(decode_test(&ctx, enc_i(0, 0, 0, 5, 0x13)));
    g_assert_cmpstr(ctx.name, ==, "addi");
    g_assert_cmpint(ctx.v[2], ==, 0);

    memset(&ctx, 0, sizeof(ctx));
    ctx.decline[0] = "nop";
    g_assert_true(decode_test(&ctx, 0x00000013));
    g_assert_cmpstr(ctx.name, ==, "li");

    /* When every candidate declines, the decoder reports failure. */
    memset(&ctx, 0, sizeof(ctx));
    ctx.decline[0] = "li";
    ctx.decline[1] = "addi";
    g_assert_false(decode_test(&ctx, enc_i(9, 0, 0, 5, 0x13)));
    g_assert_cmpint(ctx.declined, ==, 2);

    /* Outside groups a declining trans_ is final. */
    memset(&ctx, 0, sizeof(ctx));
    ctx.decline[0] = "add";
    g_assert_false(decode_test(&ctx, enc_r(0, 3, 2, 0, 1, 0x33)));
}

static void test_width16(void)
{
    /* c.nop before c.addi, which it is a special case of. */
    expect16(0x0001, "c_nop", 0, 0, 0);
    expect16(0x0001 | 5 << 7 | 1 << 2, "c_addi", 5, 5, 1);
    expect16(0x0001 | 1 << 12 | 31 << 7 | 0x1f << 2, "c_addi", 31, 31, -1);
    expect16(0x0001 | 1 << 12 | 2 << 7, "c_addi", 2, 2, -32);
    expect16(0x4001 | 0 << 12 | 10 << 7 | 31 << 2, "c_li", 10, 0, 31);
    expect16(0x4001 | 1 << 12 | 10 << 7, "c_li", 10, 0, -32);
    /* c.lw: uimm[5:3] at 12:10, uimm[2] at 6, uimm[6] at 5, registers x8+. */
    expect16(0x4000, "c_lw", 8, 8, 0);
    expect16(0x4000 | 7 << 10 | 7 << 7 | 3 << 5 | 7 << 2, "c_lw", 15, 15, 124);
    expect16(0x4000 | 1 << 5 | 2 << 7 | 1 << 2, "c_lw", 9, 10, 64);
    expect16(0x4000 | 1 << 6, "c_lw", 8, 8, 4);
    expect16(0x4000 | 1 << 10, "c_lw", 8, 8, 8);

    DisasContext ctx = { 0 };
    g_assert_false(decode_test16(&ctx, 0x0000));
    g_assert_false(decode_test16(&ctx, 0x0003));
    g_assert_false(decode_test16(&ctx, 0x8001));
    g_assert_cmpint(ctx.calls, ==, 0);
}

static void test_disas(void)
{
    char buf[64];

    expect_text32(enc_r(0, 3, 2, 0, 1, 0x33), "add x1, x2, x3");
    expect_text32(enc_r(0x20, 31, 0, 0, 10, 0x33), "sub x10, x0, x31");
    expect_text32(0x00000013, "nop");
    expect_text32(enc_i(0, 0, 0, 5, 0x13), "li x5, 0");
    expect_text32(enc_i(-2048, 0, 0, 5, 0x13), "li x5, -2048");
    expect_text32(enc_i(0, 6, 0, 5, 0x13), "mv x5, x6");
    expect_text32(enc_i(-1, 6, 0, 5, 0x13), "addi x5, x6, -1");
    expect_text32(enc_i(63, 2, 1, 1, 0x13), "slli x1, x2, 0x3f");
    expect_text32(enc_s(-4, 5, 2, 2, 0x23), "sw x5, -4(x2)");
    /* No format string: mnemonic and every argument in decimal. */
    expect_text32(enc_b(-4, 2, 1, 0, 0x63), "beq 1, 2, -4");
    expect_text32(enc_b(-16, 2, 1, 1, 0x63), "bne x1, x2, pc-0x10");
    expect_text32(enc_b(2048, 2, 1, 1, 0x63), "bne x1, x2, pc0x800");
    expect_text32(0xfffff000 | 3 << 7 | 0x37, "lui x3, -0x1000");
    expect_text32(enc_i(-1, 2, 1, 1, 0x73), "csrrw x1, 4095, x2");
    expect_text32(enc_r(1, 0, 5, 7, 3, 0x0b), "dbl 3, 10 {%}");
    expect_text32(0x0330000f, "fence 3,3");
    expect_text32(enc_r(0, 3, 2, 7, 1, 0x53), "fadd f1, f2, f3");
    expect_text32(0x00000073, "ecall");
    expect_text32(0x00100073, "ebreak");

    g_assert_true(disas_test16(0x0001, buf, sizeof(buf)));
    g_assert_cmpstr(buf, ==, "c.nop");
    g_assert_true(disas_test16(0x4000 | 7 << 10 | 7 << 7 | 3 << 5 | 7 << 2, buf, sizeof(buf)));
    g_assert_cmpstr(buf, ==, "c.lw x15, 124(x15)");
    g_assert_true(disas_test16(0x0001 | 1 << 12 | 2 << 7, buf, sizeof(buf)));
    g_assert_cmpstr(buf, ==, "c.addi x2, -32");
    g_assert_false(disas_test16(0x0000, buf, sizeof(buf)));
    g_assert_cmpstr(buf, ==, "");

    /* A short buffer truncates but stays terminated. */
    g_assert_true(disas_test(enc_r(0, 3, 2, 0, 1, 0x33), buf, 6));
    g_assert_cmpstr(buf, ==, "add x");
    g_assert_true(disas_test(enc_r(0, 3, 2, 0, 1, 0x33), buf, 0));
}

/*
 * Decoder and disassembler walk the same tree: over many pseudo-random
 * words they accept the same encodings and name the same instruction.
 */
static void test_decode_matches_disas(void)
{
    GRand *rand = g_rand_new_with_seed(0xdec0de);
    int accepted = 0;

    for (int i = 0; i < 200000; i++) {
        uint32_t insn = g_rand_int(rand);
        static const uint32_t opcodes[] = { 0x33, 0x13, 0x23, 0x63, 0x37, 0x73,
                                            0x0b, 0x0f, 0x53 };
        DisasContext ctx = { 0 };
        char buf[64], want[64];

        if (i & 1) {
            insn = (insn & ~0x7fu) | opcodes[i / 2 % G_N_ELEMENTS(opcodes)];
        }
        bool d = decode_test(&ctx, insn);
        g_assert_cmpint(d, ==, disas_test(insn, buf, sizeof(buf)));
        if (d) {
            accepted++;
            g_assert_cmpint(ctx.calls, ==, 1);
            g_assert_nonnull(ctx.name);
            g_strlcpy(want, buf, sizeof(want));
            *strchrnul(want, ' ') = 0;
            g_assert_cmpstr(want, ==, ctx.name);
        }

        memset(&ctx, 0, sizeof(ctx));
        d = decode_test16(&ctx, insn & 0xffff);
        g_assert_cmpint(d, ==, disas_test16(insn & 0xffff, buf, sizeof(buf)));
        if (d) {
            g_assert_true(g_str_has_prefix(buf, "c."));
            *strchrnul(buf, ' ') = 0;
            g_assert_cmpstr(buf + 2, ==, ctx.name + 2);
        }
    }
    g_assert_cmpint(accepted, >, 20000);
    g_rand_free(rand);
}

typedef struct BadTable {
    const char *text;
    int line;
    const char *message;
} BadTable;

static const BadTable bad_tables[] = {
    { "&r a\n@f ................................ &r %nope\n", 2, "unknown field %nope" },
    { "!width 16\nfoo 0000 ............\nbar 00.. ............\n", 3,
      "bar overlaps foo (line 2) outside a group" },
    { "!width 16\n# comment\nfoo 0000 ........\n", 3,
      "bit pattern has 12 bits, the table width is 16" },
    { "!width 16\n@f ........ ........\n@g ........\n", 3,
      "bit pattern has 8 bits, the table width is 16" },
    { "!width 16\n%f 0:4\n&a f\nfoo 0000 0000 0000 00.. &a %f\n", 4,
      "fields overlap fixed bits" },
    { "!width 16\n%f 0:4\n&a f g\nfoo 0000 0000 0000 .... &a %f\n", 4,
      "argument g of &a is never set" },
    { "!width 16\n{\nfoo 0000000000000000\n", 2, "group is never closed" },
    { "!width 16\n%f 12:8\n", 2, "field part 12:8 lies outside the 16-bit instruction" },
    { "!width 16\n&a x\nfoo 0000 .... .... .... &a x=1 \"{y}\"\n", 3,
      "format string names unknown argument \"y\"" },
    { "foo 0000 .... .... .... ........ ........ @nofmt\n", 1, "unknown format @nofmt" },
    { "!width 16\n&a x\nfoo 0000 .... .... .... &a x=0x80000000\n", 3,
      "constant 0x80000000 does not fit in int32_t" },
    { "!width 16\n}\n", 2, "unbalanced \"}\"" },
};

static int run_generator(const char *dir, const char *text, char **err)
{
    const char *script = g_getenv("DECODEGEN");
    g_autofree char *in = g_build_filename(dir, "t.decode", NULL);
    g_autofree char *out = g_build_filename(dir, "t.c.inc", NULL);
    char *argv[] = { (char *)"python3", (char *)script, (char *)"-o", out, in, NULL };
    GError *error = NULL;
    int status;

    g_assert_true(g_file_set_contents(in, text, -1, &error));
    g_assert_no_error(error);
    g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH |
                               G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, err,
                               &status, &error));
    g_assert_no_error(error);
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_generator_errors(void)
{
    if (!g_getenv("DECODEGEN")) {
        g_test_skip("DECODEGEN (path of scripts/decodegen.py) is not set");
        return;
    }
    g_autofree char *dir = g_dir_make_tmp(NULL, NULL);
    g_assert_nonnull(dir);
    g_autofree char *in = g_build_filename(dir, "t.decode", NULL);
    g_autofree char *out = g_build_filename(dir, "t.c.inc", NULL);
    char *err = NULL;

    /* A good table succeeds silently. */
    g_assert_cmpint(run_generator(dir, "!width 16\n&a x\nfoo 0000 .... .... .... &a x=1\n",
                                  &err), ==, 0);
    g_assert_cmpstr(err, ==, "");
    g_free(err);
    g_assert_true(g_file_test(out, G_FILE_TEST_EXISTS));

    for (size_t i = 0; i < G_N_ELEMENTS(bad_tables); i++) {
        g_autofree char *want = g_strdup_printf("%s:%d: %s", in, bad_tables[i].line,
                                                bad_tables[i].message);
        g_assert_cmpint(run_generator(dir, bad_tables[i].text, &err), ==, 1);
        if (!g_str_has_prefix(err, want)) {
            g_test_message("table %zu: got \"%s\", want \"%s\"", i, err, want);
        }
        g_assert_true(g_str_has_prefix(err, want));
        g_free(err);
    }
    g_unlink(in);
    g_unlink(out);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/decodegen/register-fields", test_register_fields);
    g_test_add_func("/decodegen/immediates", test_immediates);
    g_test_add_func("/decodegen/func-const-ignored", test_func_const_ignored);
    g_test_add_func("/decodegen/group-priority", test_group_priority);
    g_test_add_func("/decodegen/width16", test_width16);
    g_test_add_func("/decodegen/disas", test_disas);
    g_test_add_func("/decodegen/decode-matches-disas", test_decode_matches_disas);
    g_test_add_func("/decodegen/generator-errors", test_generator_errors);
    return g_test_run();
}
