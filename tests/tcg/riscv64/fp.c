/*
 * RV64 F and D instruction test (RISC-V unprivileged spec, ch. 11-12):
 * every F/D instruction over edge operands in every static rounding mode
 * and through frm, each line giving the operands, the result and the
 * fflags the instruction raised (read and cleared with fsflags after
 * each one), all in hex. Operands and results pass through the integer
 * registers as raw 64-bit register images (fmv.d.x / fmv.x.d), so the
 * NaN boxing of single results shows, and singles that are not properly
 * boxed can be fed in. Also run with NX already set before each
 * instruction (where an emulator may skip reading the host's flags), and
 * last the reserved rounding modes, which must be illegal instructions.
 *
 * fp.expected comes from qemu-riscv64 (softfloat), its suspicious lines
 * checked by hand against the spec.
 */
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#include "insn-test.h"

/* Singles as the registers hold them: NaN-boxed. */
#define S(bits) (0xffffffff00000000ull | (bits))

static const uint64_t d_values[] = {
    0, 0x8000000000000000,                      /* +0, -0 */
    0x3ff0000000000000, 0xbff8000000000000,     /* 1, -1.5 */
    0x3ca0000000000000, 0x3ff0000000000001,     /* 2^-53 (half an ulp of 1), 1 + 2^-52 */
    0x7fefffffffffffff, 0x0010000000000000,     /* largest, smallest normal */
    0x0000000000000001,                         /* smallest subnormal */
    0x7ff0000000000000, 0x7ff8000000000000,     /* +inf, qNaN */
    0x7ff0000000000001,                         /* sNaN */
};
static const uint64_t s_values[] = {
    S(0), S(0x80000000), S(0x3f800000), S(0xbfc00000),
    S(0x33800000), S(0x3f800001),               /* 2^-24, 1 + 2^-23 */
    S(0x7f7fffff), S(0x00800000), S(0x00000001),
    S(0x7f800000), S(0x7fc00000), S(0x7f800001),
    0x000000003f800000,                         /* 1.0, not boxed: a NaN */
};

/* Finite values for the directed rounding modes. */
static const uint64_t d_round_values[] = {
    0x3ff0000000000000, 0xbff8000000000000, 0x3ca0000000000000, 0x3ff0000000000001,
    0x3fd5555555555555, 0x7fefffffffffffff, 0x0010000000000000, 0x8000000000000001,
};
static const uint64_t s_round_values[] = {
    S(0x3f800000), S(0xbfc00000), S(0x33800000), S(0x3f800001),
    S(0x3eaaaaab), S(0x7f7fffff), S(0x00800000), S(0x80000001),
};

/* Signs, zeros, infinities and NaNs for sign injection, min/max and the
 * comparisons. */
static const uint64_t d_sign_values[] = {
    0, 0x8000000000000000, 0x3ff0000000000000, 0xbff8000000000000, 0x0000000000000001,
    0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000, 0x7ff0000000000001,
    0xfff8000000000123,
};
static const uint64_t s_sign_values[] = {
    S(0), S(0x80000000), S(0x3f800000), S(0xbfc00000), S(0x00000001),
    S(0x7f800000), S(0xff800000), S(0x7fc00000), S(0x7f800001), S(0xffc00123),
    0x00000000bf800000,                         /* -1.0, not boxed: a NaN */
};

/* Fused multiply-add operands: fewer, as they come in threes. */
static const uint64_t d_fma_values[] = {
    0x3ff0000000000001, 0xbfefffffffffffff, 0x3ca0000000000000,     /* 1 + 2^-52, -(1 - 2^-53) */
    0x8000000000000000, 0x7ff0000000000000,
};
static const uint64_t s_fma_values[] = {
    S(0x3f800001), S(0xbf7fffff), S(0x33800000), S(0x80000000), S(0x7f800000),
};
/* The negated forms: the signs and a cancellation. */
static const uint64_t d_fma_neg_values[] = {
    0x3ff0000000000001, 0xbfefffffffffffff, 0x8000000000000000, 0x7ff8000000000000,
};
static const uint64_t s_fma_neg_values[] = {
    S(0x3f800001), S(0xbf7fffff), S(0x80000000), S(0x7fc00000),
};

/* To-integer conversions: rounding and saturation edges. */
static const uint64_t d_cvt_values[] = {
    0, 0x8000000000000000, 0x3fe0000000000000, 0xbfe0000000000000,   /* 0.5, -0.5 */
    0x3ff8000000000000, 0x4004000000000000, 0xc004000000000000,       /* 1.5, 2.5, -2.5 */
    0xbff0000000000000, 0x0000000000000001,                           /* -1, tiny */
    0x41dfffffffe00000, 0x41e0000000000000,                           /* 2^31 - 0.5, 2^31 */
    0xc1e0000000000000, 0xc1e0000000100000,                           /* -2^31, -2^31 - 0.5 */
    0x41efffffffe00000, 0x41effffffff00000, 0x41f0000000000000,       /* 2^32 - 1, -0.5, 2^32 */
    0x43dfffffffffffff, 0x43e0000000000000, 0xc3e0000000000000,       /* < 2^63, 2^63, -2^63 */
    0x43efffffffffffff, 0x43f0000000000000,                           /* < 2^64, 2^64 */
    0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000,
    0xfff8000000000000, 0x7ff0000000000001,
};
static const uint64_t s_cvt_values[] = {
    S(0), S(0x80000000), S(0x3f000000), S(0xbf000000),
    S(0x3fc00000), S(0x40200000), S(0xc0200000), S(0xbf800000), S(0x00000001),
    S(0x4effffff), S(0x4f000000), S(0xcf000000), S(0xcf000001),       /* near +-2^31 */
    S(0x4f7fffff), S(0x4f800000),                                     /* near 2^32 */
    S(0x5effffff), S(0x5f000000), S(0xdf000000), S(0x5f7fffff), S(0x5f800000),
    S(0x7f800000), S(0xff800000), S(0x7fc00000), S(0xffc00000), S(0x7f800001),
    0x000000004f000000,                                               /* not boxed */
};

/* From-integer conversions. */
static const uint64_t int_values[] = {
    0, 1, UINT64_MAX, 0x1000001, 0xfffffffffeffffff,    /* 2^24 + 1, its negation */
    0x1000003, 0x20000000000001, 0x20000000000003,      /* ties of both formats */
    0x7fffffff, 0x80000000, 0xffffffff, 0x100000000,
    0x7fffffffffffffff, 0x8000000000000000, 0x8000000000000400, 0x8000000000000c00,
    0x0123456789abcdef,
};

/* ---- one instruction, its result and its flags ---- */

static void print_op(const char *insn, int n, const uint64_t *in, uint64_t r, uint64_t flags)
{
    printf("%-12s", insn);
    for (int i = 0; i < n; i++) {
        printf(" %016" PRIx64, in[i]);
    }
    printf(" -> %016" PRIx64 " %02" PRIx64 "\n", r, flags);
}

/* fflags before each instruction (see test_accrued). */
static uint64_t pre_flags;

/* Sets fflags before the instruction; reads and clears them after. */
#define PRE "fsflags %[pre]\n\t"
#define FLAGS "\n\tfsflags %1, zero"

/* f2 = INSN f0, f1 [RM] for every pair of LIST. */
#define FP_RR(insn, rm, list)                                               \
    for (size_t i_ = 0; i_ < ARRAY_LEN(list); i_++) {                       \
        for (size_t j_ = 0; j_ < ARRAY_LEN(list); j_++) {                   \
            uint64_t r_, fl_, in_[2] = { (list)[i_], (list)[j_] };          \
            __asm__ volatile(PRE "fmv.d.x ft0, %2\n\tfmv.d.x ft1, %3\n\t"   \
                             insn " ft2, ft0, ft1" rm "\n\t"                \
                             "fmv.x.d %0, ft2" FLAGS                        \
                             : "=&r"(r_), "=&r"(fl_)                        \
                             : "r"(in_[0]), "r"(in_[1]), [pre] "r"(pre_flags) \
                             : "ft0", "ft1", "ft2");                        \
            print_op(insn rm, 2, in_, r_, fl_);                             \
        }                                                                   \
    }

/* x = INSN f0, f1 (comparisons) for every pair of LIST. */
#define FP_CMP(insn, list)                                                  \
    for (size_t i_ = 0; i_ < ARRAY_LEN(list); i_++) {                       \
        for (size_t j_ = 0; j_ < ARRAY_LEN(list); j_++) {                   \
            uint64_t r_, fl_, in_[2] = { (list)[i_], (list)[j_] };          \
            __asm__ volatile(PRE "fmv.d.x ft0, %2\n\tfmv.d.x ft1, %3\n\t"   \
                             insn " %0, ft0, ft1" FLAGS                     \
                             : "=&r"(r_), "=&r"(fl_)                        \
                             : "r"(in_[0]), "r"(in_[1]), [pre] "r"(pre_flags) \
                             : "ft0", "ft1");                               \
            print_op(insn, 2, in_, r_, fl_);                                \
        }                                                                   \
    }

/* f3 = INSN f0, f1, f2 [RM] for every triple of LIST. */
#define FP_RRR(insn, rm, list)                                              \
    for (size_t i_ = 0; i_ < ARRAY_LEN(list); i_++) {                       \
        for (size_t j_ = 0; j_ < ARRAY_LEN(list); j_++) {                   \
            for (size_t k_ = 0; k_ < ARRAY_LEN(list); k_++) {               \
                uint64_t r_, fl_;                                           \
                uint64_t in_[3] = { (list)[i_], (list)[j_], (list)[k_] };   \
                __asm__ volatile(PRE "fmv.d.x ft0, %2\n\t"                  \
                                 "fmv.d.x ft1, %3\n\tfmv.d.x ft2, %4\n\t"   \
                                 insn " ft3, ft0, ft1, ft2" rm "\n\t"       \
                                 "fmv.x.d %0, ft3" FLAGS                    \
                                 : "=&r"(r_), "=&r"(fl_)                    \
                                 : "r"(in_[0]), "r"(in_[1]), "r"(in_[2]),   \
                                   [pre] "r"(pre_flags)                     \
                                 : "ft0", "ft1", "ft2", "ft3");             \
                print_op(insn rm, 3, in_, r_, fl_);                         \
            }                                                               \
        }                                                                   \
    }

/* DST = INSN SRC [RM] for every value of LIST; DST and SRC are f or x
 * registers, with the moves MV_IN and MV_OUT around. */
#define FP_R1(insn, rm, list, mv_in, src, mv_out, dst)                      \
    for (size_t i_ = 0; i_ < ARRAY_LEN(list); i_++) {                       \
        uint64_t r_, fl_, in_ = (list)[i_];                                 \
        __asm__ volatile(PRE mv_in " " src ", %2\n\t"                       \
                         insn " " dst ", " src rm "\n\t"                    \
                         mv_out " %0, " dst FLAGS                           \
                         : "=&r"(r_), "=&r"(fl_)                            \
                         : "r"(in_), [pre] "r"(pre_flags)                   \
                         : "ft0", "ft1", "t0", "t1");                       \
        print_op(insn rm, 1, &in_, r_, fl_);                                \
    }
#define FP_FF(insn, rm, list) FP_R1(insn, rm, list, "fmv.d.x", "ft0", "fmv.x.d", "ft1")
#define FP_FX(insn, rm, list) FP_R1(insn, rm, list, "fmv.d.x", "ft0", "mv", "t1")
#define FP_XF(insn, rm, list) FP_R1(insn, rm, list, "mv", "t0", "fmv.x.d", "ft1")

/* A test in the five static rounding modes. */
#define ALL_RM(test, insn, ...)                                             \
    do {                                                                    \
        test(insn, ",rne", __VA_ARGS__);                                    \
        test(insn, ",rtz", __VA_ARGS__);                                    \
        test(insn, ",rdn", __VA_ARGS__);                                    \
        test(insn, ",rup", __VA_ARGS__);                                    \
        test(insn, ",rmm", __VA_ARGS__);                                    \
    } while (0)

static void set_frm(unsigned frm)
{
    __asm__ volatile("fsrm %0" : : "r"(frm));
    printf("frm = %u\n", frm);
}

/* ---- the tests ---- */

/* Every operand pair in RNE and RMM, the directed modes on finite values. */
#define TEST_ARITH(insn, list, round_list)                                  \
    do {                                                                    \
        FP_RR(insn, ",rne", list);                                          \
        FP_RR(insn, ",rmm", list);                                          \
        FP_RR(insn, ",rtz", round_list);                                    \
        FP_RR(insn, ",rdn", round_list);                                    \
        FP_RR(insn, ",rup", round_list);                                    \
    } while (0)

static void test_arith(void)
{
    TEST_ARITH("fadd.d", d_values, d_round_values);
    TEST_ARITH("fmul.d", d_values, d_round_values);
    TEST_ARITH("fdiv.d", d_values, d_round_values);
    FP_RR("fsub.d", ",rdn", d_values);
    ALL_RM(FP_FF, "fsqrt.d", d_values);
    TEST_ARITH("fadd.s", s_values, s_round_values);
    TEST_ARITH("fmul.s", s_values, s_round_values);
    TEST_ARITH("fdiv.s", s_values, s_round_values);
    FP_RR("fsub.s", ",rdn", s_values);
    ALL_RM(FP_FF, "fsqrt.s", s_values);
}

static void test_fma(void)
{
    ALL_RM(FP_RRR, "fmadd.d", d_fma_values);
    ALL_RM(FP_RRR, "fmadd.s", s_fma_values);
    FP_RRR("fmsub.d", ",rdn", d_fma_neg_values);
    FP_RRR("fnmsub.d", ",rne", d_fma_neg_values);
    FP_RRR("fnmadd.d", ",rup", d_fma_neg_values);
    FP_RRR("fmsub.s", ",rdn", s_fma_neg_values);
    FP_RRR("fnmsub.s", ",rne", s_fma_neg_values);
    FP_RRR("fnmadd.s", ",rmm", s_fma_neg_values);
}

/* Sign injection, min/max and comparisons take no rounding mode. */
static void test_no_rm(void)
{
    FP_RR("fsgnj.d", "", d_sign_values);
    FP_RR("fsgnjn.d", "", d_sign_values);
    FP_RR("fsgnjx.d", "", d_sign_values);
    FP_RR("fmin.d", "", d_sign_values);
    FP_RR("fmax.d", "", d_sign_values);
    FP_RR("fsgnj.s", "", s_sign_values);
    FP_RR("fsgnjn.s", "", s_sign_values);
    FP_RR("fsgnjx.s", "", s_sign_values);
    FP_RR("fmin.s", "", s_sign_values);
    FP_RR("fmax.s", "", s_sign_values);
    FP_CMP("feq.d", d_sign_values);
    FP_CMP("flt.d", d_sign_values);
    FP_CMP("fle.d", d_sign_values);
    FP_CMP("feq.s", s_sign_values);
    FP_CMP("flt.s", s_sign_values);
    FP_CMP("fle.s", s_sign_values);
    FP_FX("fclass.d", "", d_values);
    FP_FX("fclass.d", "", d_sign_values);
    FP_FX("fclass.s", "", s_values);
    FP_FX("fclass.s", "", s_sign_values);
}

/* fmv.s/fneg.s/fabs.s are fsgnj with rs1 = rs2: one register read. */
static void test_sign_aliases(void)
{
    FP_FF("fmv.s", "", s_sign_values);
    FP_FF("fneg.s", "", s_sign_values);
    FP_FF("fabs.s", "", s_sign_values);
    FP_FF("fmv.d", "", d_sign_values);
    FP_FF("fneg.d", "", d_sign_values);
    FP_FF("fabs.d", "", d_sign_values);
}

static void test_convert(void)
{
    ALL_RM(FP_FX, "fcvt.w.d", d_cvt_values);
    ALL_RM(FP_FX, "fcvt.wu.d", d_cvt_values);
    ALL_RM(FP_FX, "fcvt.l.d", d_cvt_values);
    ALL_RM(FP_FX, "fcvt.lu.d", d_cvt_values);
    ALL_RM(FP_FX, "fcvt.w.s", s_cvt_values);
    ALL_RM(FP_FX, "fcvt.wu.s", s_cvt_values);
    ALL_RM(FP_FX, "fcvt.l.s", s_cvt_values);
    ALL_RM(FP_FX, "fcvt.lu.s", s_cvt_values);
    ALL_RM(FP_XF, "fcvt.s.w", int_values);
    ALL_RM(FP_XF, "fcvt.s.wu", int_values);
    ALL_RM(FP_XF, "fcvt.s.l", int_values);
    ALL_RM(FP_XF, "fcvt.s.lu", int_values);
    ALL_RM(FP_XF, "fcvt.d.l", int_values);
    ALL_RM(FP_XF, "fcvt.d.lu", int_values);
    /* exact: the assembler takes no rounding mode for these */
    FP_XF("fcvt.d.w", "", int_values);
    FP_XF("fcvt.d.wu", "", int_values);
    FP_FF("fcvt.d.s", "", s_values);
    FP_FF("fcvt.d.s", "", s_cvt_values);
    ALL_RM(FP_FF, "fcvt.s.d", d_values);
    ALL_RM(FP_FF, "fcvt.s.d", d_cvt_values);
}

static void test_moves(void)
{
    FP_XF("fmv.d.x", "", int_values);
    FP_FX("fmv.x.d", "", d_values);
    FP_XF("fmv.w.x", "", int_values);
    FP_FX("fmv.x.w", "", int_values);
}

static void test_load_store(void)
{
    uint64_t mem[4] = { 0x0123456789abcdef, 0xfedcba9876543210, 0, 0 };
    uint64_t r[6];

    __asm__ volatile("flw ft0, 4(%6)\n\t"
                     "fmv.x.d %0, ft0\n\t"
                     "fld ft1, 8(%6)\n\t"
                     "fmv.x.d %1, ft1\n\t"
                     "fsw ft1, 16(%6)\n\t"
                     "fsd ft0, 24(%6)\n\t"
                     "mv a4, %6\n\t"
                     ".option push\n\t.option rvc\n\t"
                     "c.fld fa5, 8(a4)\n\t"
                     "c.fsd fa5, 0(a4)\n\t"
                     "addi sp, sp, -16\n\t"
                     "c.fsdsp fa5, 8(sp)\n\t"
                     "c.fldsp fa4, 8(sp)\n\t"
                     "addi sp, sp, 16\n\t"
                     ".option pop\n\t"
                     "fmv.x.d %2, fa5\n\t"
                     "fmv.x.d %3, fa4\n\t"
                     "ld %4, 0(%6)\n\t"
                     "ld %5, 16(%6)"
                     : "=&r"(r[0]), "=&r"(r[1]), "=&r"(r[2]), "=&r"(r[3]), "=&r"(r[4]),
                       "=&r"(r[5])
                     : "r"(mem)
                     : "ft0", "ft1", "fa4", "fa5", "a4", "memory");
    for (size_t i = 0; i < ARRAY_LEN(r); i++) {
        printf("load/store %zu: %016" PRIx64 "\n", i, r[i]);
    }
    printf("fsd of a flw value: %016" PRIx64 "\n", mem[3]);
}

/* Every mode through frm, and fcsr as one register. */
static void test_dynamic_rm(void)
{
    static const uint64_t tie[] = { 0x3ff0000000000001, 0x3ca0000000000000 };
    static const uint64_t s_tie[] = { S(0x3f800001), S(0x33800000) };
    static const uint64_t halves[] = { 0x4004000000000000, 0xc004000000000000 };
    uint64_t fcsr;

    for (unsigned frm = 0; frm <= 4; frm++) {
        set_frm(frm);
        FP_RR("fadd.d", "", tie);
        FP_RR("fadd.s", "", s_tie);
        FP_RRR("fmadd.d", "", tie);
        FP_FX("fcvt.w.d", "", halves);
        FP_XF("fcvt.s.l", "", int_values);
        FP_FF("fcvt.s.d", "", d_values);
    }
    set_frm(3);
    __asm__ volatile("fsflagsi 0x15\n\tfrcsr %0" : "=r"(fcsr));
    printf("fcsr: %" PRIx64 "\n", fcsr);
    set_frm(0);
    __asm__ volatile("fsflags zero");
}

/*
 * With NX accrued before each instruction (the state of most FP code,
 * where an emulator may take shortcuts): every other flag must still be
 * raised.
 */
static void test_accrued(void)
{
    printf("fflags = 01 before each instruction\n");
    pre_flags = 1;
    FP_RR("fmul.d", ",rne", d_values);
    FP_RR("fdiv.d", ",rne", d_values);
    FP_RR("fadd.s", ",rne", s_values);
    FP_RRR("fmadd.d", ",rne", d_fma_values);
    FP_FF("fsqrt.d", ",rne", d_values);
    FP_FF("fcvt.s.d", ",rne", d_values);
    FP_FX("fcvt.w.d", ",rtz", d_cvt_values);
    FP_XF("fcvt.s.lu", ",rne", int_values);
    pre_flags = 0;
}

/* ---- reserved rounding modes: illegal instructions ---- */

static sigjmp_buf sigill_env;

static void on_sigill(int sig)
{
    (void)sig;
    siglongjmp(sigill_env, 1);
}

/* Runs body; says whether it raised SIGILL. */
#define EXPECT_SIGILL(what, body)                                           \
    do {                                                                    \
        if (sigsetjmp(sigill_env, 1) == 0) {                                \
            body;                                                           \
            printf("%s: ran\n", what);                                      \
        } else {                                                            \
            printf("%s: SIGILL\n", what);                                   \
        }                                                                   \
    } while (0)

static void test_reserved_rm(void)
{
    struct sigaction sa;
    uint64_t fcsr;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigill;
    sigaction(SIGILL, &sa, NULL);
    for (volatile unsigned frm = 5; frm <= 7; frm++) {
        set_frm(frm);
        EXPECT_SIGILL("fadd.d dyn", __asm__ volatile("fadd.d ft0, ft1, ft2" ::: "ft0"));
        EXPECT_SIGILL("fcvt.d.w dyn", __asm__ volatile(".insn r 0x53, 7, 0x69, ft0, zero, x0"
                                                       ::: "ft0"));
        EXPECT_SIGILL("fsgnj.d", __asm__ volatile("fsgnj.d ft0, ft1, ft2" ::: "ft0"));
        __asm__ volatile("frcsr %0" : "=r"(fcsr));
        printf("fcsr: %" PRIx64 "\n", fcsr);
    }
    set_frm(0);
    /* fadd.d with rm = 5 and 6; fcvt.d.w with rm = 6 */
    EXPECT_SIGILL("fadd.d rm=5", __asm__ volatile(".insn r 0x53, 5, 0x01, ft0, ft1, ft2"
                                                  ::: "ft0"));
    EXPECT_SIGILL("fadd.d rm=6", __asm__ volatile(".insn r 0x53, 6, 0x01, ft0, ft1, ft2"
                                                  ::: "ft0"));
    EXPECT_SIGILL("fcvt.d.w rm=6", __asm__ volatile(".insn r 0x53, 6, 0x69, ft0, zero, x0"
                                                    ::: "ft0"));
    EXPECT_SIGILL("fcvt.d.w rm=1", __asm__ volatile(".insn r 0x53, 1, 0x69, ft0, zero, x0"
                                                    ::: "ft0"));
}

int main(void)
{
    __asm__ volatile("fscsr zero");
    test_arith();
    test_fma();
    test_no_rm();
    test_sign_aliases();
    test_convert();
    test_moves();
    test_load_store();
    test_dynamic_rm();
    test_accrued();
    test_reserved_rm();
    return 0;
}
