/*
 * Tests of the RISC-V F and D helpers (target/riscv/fpu_helper.c), called
 * directly on a CPU state: each check gives the operands as bit patterns
 * and expects an exact result and exactly the fflags the operation
 * raises. The cases are the edges where the host FPU and RISC-V differ or
 * where rounding is delicate: canonical NaNs, NaN boxing, ties in RMM,
 * tininess after rounding, saturating conversions, min/max of zeros and
 * NaNs, and fclass of every class.
 */

#include <glib.h>
#include <stdint.h>

#include "target/riscv/cpu.h"
#include "target/riscv/fpu_helper.h"

#define NX RISCV_FFLAG_NX
#define UF RISCV_FFLAG_UF
#define OF RISCV_FFLAG_OF
#define DZ RISCV_FFLAG_DZ
#define NV RISCV_FFLAG_NV

#define RNE RISCV_RM_RNE
#define RTZ RISCV_RM_RTZ
#define RDN RISCV_RM_RDN
#define RUP RISCV_RM_RUP
#define RMM RISCV_RM_RMM

/* A single as a register holds it (NaN-boxed). */
#define S(bits) (0xffffffff00000000ull | (bits))

#define D_ONE 0x3ff0000000000000ull
#define D_TWO 0x4000000000000000ull
#define D_QNAN 0x7ff8000000000000ull
#define D_SNAN 0x7ff0000000000001ull
#define D_INF 0x7ff0000000000000ull
#define D_NINF 0xfff0000000000000ull
#define D_MAX 0x7fefffffffffffffull
#define D_MIN_NORMAL 0x0010000000000000ull
#define D_MIN_SUB 0x0000000000000001ull
#define D_NZERO 0x8000000000000000ull
#define D_HALF 0x3fe0000000000000ull
#define S_ONE 0x3f800000u
#define S_QNAN 0x7fc00000u
#define S_SNAN 0x7f800001u
#define S_INF 0x7f800000u
#define S_MAX 0x7f7fffffu
#define S_NZERO 0x80000000u

static RiscvCPU cpu;
static void *const env = &cpu;

/* The result of one helper call and the flags it raised (fflags was
 * cleared before: see CHECK). */
static void check(const char *expr, uint64_t got, uint64_t want, uint32_t want_flags)
{
    if (got != want || cpu.fflags != want_flags) {
        g_test_message("%s: got 0x%016" G_GINT64_MODIFIER "x flags 0x%x, want 0x%016"
                       G_GINT64_MODIFIER "x flags 0x%x", expr, got, cpu.fflags, want,
                       want_flags);
        g_test_fail();
    }
}

#define CHECK(call, want, want_flags) \
    check(#call, (cpu.fflags = 0, (call)), (want), (want_flags))

/* The same with NX accrued already, which takes the helpers' fast path:
 * every flag but NX must still be raised. */
#define CHECK_AFTER_NX(call, want, want_flags) \
    check(#call, (cpu.fflags = NX, (call)), (want), NX | (want_flags))

static void test_arith_rounding(void)
{
    /* 1 + 2^-53 is a tie: RNE to even (1), RMM away, directed modes */
    CHECK(helper_fadd_d(env, D_ONE, 0x3ca0000000000000ull, RNE), D_ONE, NX);
    CHECK(helper_fadd_d(env, D_ONE, 0x3ca0000000000000ull, RMM), D_ONE + 1, NX);
    CHECK(helper_fadd_d(env, D_ONE, 0x3ca0000000000000ull, RUP), D_ONE + 1, NX);
    CHECK(helper_fadd_d(env, D_ONE, 0x3ca0000000000000ull, RTZ), D_ONE, NX);
    CHECK(helper_fadd_d(env, D_ONE | D_NZERO, 0xbca0000000000000ull, RMM),
          (D_ONE | D_NZERO) + 1, NX);
    CHECK(helper_fadd_d(env, D_ONE | D_NZERO, 0xbca0000000000000ull, RDN),
          (D_ONE | D_NZERO) + 1, NX);
    /* below the tie RMM rounds down like RNE */
    CHECK(helper_fadd_d(env, D_ONE, 0x3c90000000000000ull, RMM), D_ONE, NX);
    /* the same in single: 1 + 2^-24 */
    CHECK(helper_fadd_s(env, S(S_ONE), S(0x33800000), RNE), S(S_ONE), NX);
    CHECK(helper_fadd_s(env, S(S_ONE), S(0x33800000), RMM), S(S_ONE + 1), NX);
    /* exact results raise nothing, whatever the mode */
    CHECK(helper_fadd_d(env, D_ONE, D_ONE, RMM), D_TWO, 0);
    CHECK(helper_fmul_s(env, S(S_ONE), S(0x40000000), RDN), S(0x40000000), 0);
    /* x - x is +0 except in RDN */
    CHECK(helper_fsub_d(env, D_ONE, D_ONE, RNE), 0, 0);
    CHECK(helper_fsub_d(env, D_ONE, D_ONE, RDN), D_NZERO, 0);
    CHECK(helper_fsub_s(env, S(S_ONE), S(S_ONE), RDN), S(S_NZERO), 0);
    /* 1/3 */
    CHECK(helper_fdiv_d(env, D_ONE, 0x4008000000000000ull, RNE), 0x3fd5555555555555ull, NX);
    CHECK(helper_fdiv_d(env, D_ONE, 0x4008000000000000ull, RUP), 0x3fd5555555555556ull, NX);
    CHECK(helper_fdiv_s(env, S(S_ONE), S(0x40400000), RMM), S(0x3eaaaaab), NX);
    CHECK(helper_fsqrt_d(env, D_TWO, RNE), 0x3ff6a09e667f3bcdull, NX);
    CHECK(helper_fsqrt_d(env, D_TWO, RTZ), 0x3ff6a09e667f3bccull, NX);
    CHECK(helper_fsqrt_d(env, D_TWO, RMM), 0x3ff6a09e667f3bcdull, NX);
    CHECK(helper_fsqrt_s(env, S(0x40000000), RUP), S(0x3fb504f4), NX);
    CHECK(helper_fsqrt_d(env, D_NZERO, RNE), D_NZERO, 0);
}

static void test_arith_range(void)
{
    CHECK(helper_fmul_d(env, D_MAX, D_TWO, RNE), D_INF, OF | NX);
    CHECK(helper_fmul_d(env, D_MAX, D_TWO, RTZ), D_MAX, OF | NX);
    CHECK(helper_fmul_d(env, D_MAX, D_TWO, RMM), D_INF, OF | NX);
    CHECK(helper_fmul_d(env, D_MAX | D_NZERO, D_TWO, RUP), D_MAX | D_NZERO, OF | NX);
    CHECK(helper_fadd_s(env, S(S_MAX), S(0x73800000), RMM), S(S_INF), OF | NX);
    /* half the smallest subnormal: RNE ties to 0, RMM away */
    CHECK(helper_fmul_d(env, D_MIN_SUB, D_HALF, RNE), 0, UF | NX);
    CHECK(helper_fmul_d(env, D_MIN_SUB, D_HALF, RMM), D_MIN_SUB, UF | NX);
    CHECK(helper_fmul_d(env, D_MIN_SUB, D_HALF, RUP), D_MIN_SUB, UF | NX);
    CHECK(helper_fmul_s(env, S(1), S(0x3f000000), RMM), S(1), UF | NX);
    CHECK(helper_fmul_s(env, S(0x80000003), S(0x3f000000), RMM), S(0x80000002), UF | NX);
    /* exact subnormal results are not underflows */
    CHECK(helper_fmul_d(env, 0x2ull, D_HALF, RNE), D_MIN_SUB, 0);
    /* 2^-1022 - 2^-1075 is tiny even after rounding to 53 bits: UF */
    CHECK(helper_fmul_d(env, 0x3fefffffffffffffull, D_MIN_NORMAL, RNE), D_MIN_NORMAL, UF | NX);
    CHECK(helper_fmul_d(env, 0x3fefffffffffffffull, D_MIN_NORMAL, RMM), D_MIN_NORMAL, UF | NX);
    /* 2^-1022 - 2^-1077 rounds to 2^-1022 at 53 bits: not tiny, NX only */
    CHECK(helper_fmadd_d(env, 0x9e40000000000000ull, 0x1e50000000000000ull, D_MIN_NORMAL, RNE),
          D_MIN_NORMAL, NX);
    CHECK(helper_fmadd_d(env, 0x9e40000000000000ull, 0x1e50000000000000ull, D_MIN_NORMAL, RMM),
          D_MIN_NORMAL, NX);
    CHECK(helper_fmadd_d(env, 0x9e40000000000000ull, 0x1e50000000000000ull, D_MIN_NORMAL, RTZ),
          D_MIN_NORMAL - 1, UF | NX);
    CHECK(helper_fdiv_d(env, D_ONE, 0, RNE), D_INF, DZ);
    CHECK(helper_fdiv_s(env, S(S_ONE | S_NZERO), S(0), RMM), S(S_INF | S_NZERO), DZ);
}

static void test_nan(void)
{
    CHECK(helper_fadd_d(env, D_SNAN, D_ONE, RNE), D_QNAN, NV);
    CHECK(helper_fadd_d(env, 0xfff8000000001234ull, D_ONE, RNE), D_QNAN, 0);
    CHECK(helper_fsub_d(env, D_INF, D_INF, RMM), D_QNAN, NV);
    CHECK(helper_fmul_s(env, S(S_INF), S(0), RNE), S(S_QNAN), NV);
    CHECK(helper_fdiv_d(env, 0, 0, RNE), D_QNAN, NV);
    CHECK(helper_fsqrt_d(env, D_ONE | D_NZERO, RNE), D_QNAN, NV);
    CHECK(helper_fsqrt_s(env, S(0xffc00001), RNE), S(S_QNAN), 0);
    /* inf * 0 + qNaN is invalid in RISC-V */
    CHECK(helper_fmadd_d(env, D_INF, 0, D_QNAN, RNE), D_QNAN, NV);
    CHECK(helper_fnmsub_s(env, S(0), S(S_INF), S(S_QNAN), RNE), S(S_QNAN), NV);
    CHECK(helper_fmadd_d(env, D_ONE, D_ONE, D_SNAN, RNE), D_QNAN, NV);
    CHECK(helper_fmadd_d(env, D_ONE, D_ONE, D_QNAN, RNE), D_QNAN, 0);
    /* an improperly boxed single is the canonical NaN */
    CHECK(helper_fadd_s(env, S_ONE, S(S_ONE), RNE), S(S_QNAN), 0);
    CHECK(helper_fadd_s(env, 0x7fffffff3f800000ull, S(S_ONE), RNE), S(S_QNAN), 0);
    CHECK(helper_fclass_s(env, 0x3f800000), 1 << 9, 0);
    CHECK(helper_fcvt_d_s(env, S_ONE, RNE), D_QNAN, 0);
}

static void test_fma(void)
{
    /* one rounding: (1 + 2^-52)(1 - 2^-53) - 1 = 2^-53 - 2^-105 exactly */
    CHECK(helper_fmadd_d(env, 0x3ff0000000000001ull, 0x3fefffffffffffffull,
                         D_ONE | D_NZERO, RNE), 0x3c9ffffffffffffeull, 0);
    CHECK(helper_fmsub_d(env, 0x3ff0000000000001ull, 0x3fefffffffffffffull, D_ONE, RNE),
          0x3c9ffffffffffffeull, 0);
    CHECK(helper_fnmadd_d(env, 0x3ff0000000000001ull, 0x3fefffffffffffffull,
                          D_ONE | D_NZERO, RNE), 0xbc9ffffffffffffeull, 0);
    /* (1 + 2^-23)^2 = 1 + 2^-22 + 2^-46: the 2^-46 is a sticky bit */
    CHECK(helper_fmadd_s(env, S(0x3f800001), S(0x3f800001), S(0), RNE), S(0x3f800002), NX);
    CHECK(helper_fmadd_s(env, S(0x3f800001), S(0x3f800001), S(0), RUP), S(0x3f800003), NX);
    /* a tie only the exact sum sees: 1 + 2^-24 from 2^-24 * 1 + 1 */
    CHECK(helper_fmadd_s(env, S(0x33800000), S(S_ONE), S(S_ONE), RMM), S(S_ONE + 1), NX);
    CHECK(helper_fmadd_s(env, S(0x33800000), S(S_ONE), S(S_ONE), RNE), S(S_ONE), NX);
    CHECK(helper_fmadd_d(env, 0x3ca0000000000000ull, D_ONE, D_ONE, RMM), D_ONE + 1, NX);
    /* signs of an exact zero: +0 + -0 */
    CHECK(helper_fmadd_d(env, 0, D_ONE, D_NZERO, RNE), 0, 0);
    CHECK(helper_fnmadd_d(env, 0, D_ONE, 0, RNE), D_NZERO, 0);
    CHECK(helper_fnmsub_d(env, D_ONE, D_ONE, D_ONE, RDN), D_NZERO, 0);
}

static void test_accrued(void)
{
    CHECK_AFTER_NX(helper_fmul_d(env, D_MAX, D_TWO, RNE), D_INF, OF);
    CHECK_AFTER_NX(helper_fmul_d(env, D_MIN_SUB, D_HALF, RNE), 0, UF);
    CHECK_AFTER_NX(helper_fmul_d(env, 0x3fefffffffffffffull, D_MIN_NORMAL, RNE), D_MIN_NORMAL,
                   UF);
    CHECK_AFTER_NX(helper_fmul_d(env, 0x2ull, D_HALF, RNE), D_MIN_SUB, 0);
    CHECK_AFTER_NX(helper_fdiv_s(env, S(S_ONE), S(0), RNE), S(S_INF), DZ);
    CHECK_AFTER_NX(helper_fadd_d(env, D_SNAN, D_ONE, RNE), D_QNAN, NV);
    CHECK_AFTER_NX(helper_fmadd_d(env, D_INF, 0, D_QNAN, RNE), D_QNAN, NV);
    CHECK_AFTER_NX(helper_fsqrt_s(env, S(S_ONE | S_NZERO), RNE), S(S_QNAN), NV);
    CHECK_AFTER_NX(helper_fcvt_s_d(env, D_MAX, RNE), S(S_INF), OF);
    CHECK_AFTER_NX(helper_fcvt_s_d(env, D_MIN_NORMAL, RNE), S(0), UF);
    CHECK_AFTER_NX(helper_fcvt_w_d(env, 0x41e0000000000000ull, RTZ), INT32_MAX, NV);
    CHECK_AFTER_NX(helper_fcvt_l_d(env, 0xc004000000000000ull, RTZ), (uint64_t)-2, 0);
    CHECK_AFTER_NX(helper_fcvt_from_lu_s(env, UINT64_MAX, RNE), S(0x5f800000), 0);
    CHECK_AFTER_NX(helper_fadd_d(env, D_ONE, 0x3ca0000000000000ull, RUP), D_ONE + 1, 0);
}

static void test_to_int(void)
{
    CHECK(helper_fcvt_w_d(env, 0x41e0000000000000ull, RNE), INT32_MAX, NV);    /* 2^31 */
    CHECK(helper_fcvt_w_d(env, 0xc1e0000000200000ull, RNE), (uint64_t)INT32_MIN, NV);
    CHECK(helper_fcvt_w_d(env, 0xc1e0000000000000ull, RNE), (uint64_t)INT32_MIN, 0);
    CHECK(helper_fcvt_w_d(env, 0x41dfffffffc00000ull, RNE), INT32_MAX, 0);
    /* 2^31 - 0.5 rounds up out of range in RNE, down in RTZ */
    CHECK(helper_fcvt_w_d(env, 0x41dfffffffe00000ull, RNE), INT32_MAX, NV);
    CHECK(helper_fcvt_w_d(env, 0x41dfffffffe00000ull, RTZ), INT32_MAX, NX);
    CHECK(helper_fcvt_w_d(env, D_QNAN | D_NZERO, RNE), INT32_MAX, NV);
    CHECK(helper_fcvt_w_s(env, S(S_INF | S_NZERO), RNE), (uint64_t)INT32_MIN, NV);
    CHECK(helper_fcvt_w_d(env, 0x4004000000000000ull, RNE), 2, NX);            /* 2.5 */
    CHECK(helper_fcvt_w_d(env, 0x4004000000000000ull, RMM), 3, NX);
    CHECK(helper_fcvt_w_d(env, 0xc004000000000000ull, RMM), (uint64_t)-3, NX);
    CHECK(helper_fcvt_w_d(env, 0xc004000000000000ull, RDN), (uint64_t)-3, NX);
    CHECK(helper_fcvt_w_d(env, 0xc004000000000000ull, RUP), (uint64_t)-2, NX);
    CHECK(helper_fcvt_wu_d(env, 0xbfe0000000000000ull, RNE), 0, NX);            /* -0.5 */
    CHECK(helper_fcvt_wu_d(env, 0xbfe0000000000000ull, RDN), 0, NV);
    CHECK(helper_fcvt_wu_d(env, 0x41efffffffe00000ull, RNE), UINT64_MAX, 0);    /* 2^32 - 1 */
    CHECK(helper_fcvt_wu_s(env, S(S_QNAN), RNE), UINT64_MAX, NV);
    CHECK(helper_fcvt_wu_d(env, 0x41f0000000000000ull, RNE), UINT64_MAX, NV);
    CHECK(helper_fcvt_l_d(env, 0x43e0000000000000ull, RNE), INT64_MAX, NV);     /* 2^63 */
    CHECK(helper_fcvt_l_d(env, 0xc3e0000000000000ull, RNE), (uint64_t)INT64_MIN, 0);
    CHECK(helper_fcvt_l_d(env, D_NINF, RNE), (uint64_t)INT64_MIN, NV);
    CHECK(helper_fcvt_l_s(env, S(0x3fc00000), RMM), 2, NX);                     /* 1.5 */
    CHECK(helper_fcvt_lu_d(env, 0x43e0000000000000ull, RNE), 1ull << 63, 0);
    CHECK(helper_fcvt_lu_d(env, 0x43efffffffffffffull, RNE), 0xfffffffffffff800ull, 0);
    CHECK(helper_fcvt_lu_d(env, 0x43f0000000000000ull, RNE), UINT64_MAX, NV);   /* 2^64 */
    CHECK(helper_fcvt_lu_d(env, D_ONE | D_NZERO, RNE), 0, NV);
    CHECK(helper_fcvt_lu_s(env, S(S_NZERO), RNE), 0, 0);
}

static void test_from_int(void)
{
    CHECK(helper_fcvt_from_lu_s(env, UINT64_MAX, RNE), S(0x5f800000), NX);
    CHECK(helper_fcvt_from_lu_s(env, UINT64_MAX, RTZ), S(0x5f7fffff), NX);
    CHECK(helper_fcvt_from_lu_d(env, UINT64_MAX, RMM), 0x43f0000000000000ull, NX);
    CHECK(helper_fcvt_from_lu_d(env, 1ull << 63 | 1 << 10, RNE), 0x43e0000000000000ull, NX);
    CHECK(helper_fcvt_from_lu_d(env, 1ull << 63 | 1 << 10, RMM), 0x43e0000000000001ull, NX);
    CHECK(helper_fcvt_from_lu_d(env, 1ull << 63 | 3 << 10, RNE), 0x43e0000000000002ull, NX);
    CHECK(helper_fcvt_from_l_d(env, (uint64_t)INT64_MIN, RNE), 0xc3e0000000000000ull, 0);
    /* 2^24 + 1 is a tie in single */
    CHECK(helper_fcvt_from_w_s(env, (1 << 24) + 1, RNE), S(0x4b800000), NX);
    CHECK(helper_fcvt_from_w_s(env, (1 << 24) + 1, RMM), S(0x4b800001), NX);
    CHECK(helper_fcvt_from_w_s(env, (uint64_t)-((1 << 24) + 1), RMM), S(0xcb800001), NX);
    /* only the low 32 bits are read, sign- or zero-extended */
    CHECK(helper_fcvt_from_w_d(env, 0x12345678ffffffffull, RNE), D_ONE | D_NZERO, 0);
    CHECK(helper_fcvt_from_wu_d(env, 0x12345678ffffffffull, RNE), 0x41efffffffe00000ull, 0);
    CHECK(helper_fcvt_from_l_s(env, 0, RDN), S(0), 0);
}

static void test_fmt_cvt(void)
{
    CHECK(helper_fcvt_s_d(env, D_MAX, RNE), S(S_INF), OF | NX);
    CHECK(helper_fcvt_s_d(env, D_MAX, RTZ), S(S_MAX), OF | NX);
    CHECK(helper_fcvt_s_d(env, 0x3ff0000010000000ull, RNE), S(S_ONE), NX);     /* 1 + 2^-24 */
    CHECK(helper_fcvt_s_d(env, 0x3ff0000010000000ull, RMM), S(S_ONE + 1), NX);
    CHECK(helper_fcvt_s_d(env, D_MIN_NORMAL, RMM), S(0), UF | NX);
    CHECK(helper_fcvt_s_d(env, D_MIN_NORMAL, RUP), S(1), UF | NX);
    CHECK(helper_fcvt_s_d(env, D_SNAN, RNE), S(S_QNAN), NV);
    CHECK(helper_fcvt_s_d(env, 0xfff8000000000000ull, RNE), S(S_QNAN), 0);
    CHECK(helper_fcvt_d_s(env, S(S_SNAN), RNE), D_QNAN, NV);
    CHECK(helper_fcvt_d_s(env, S(0xffc00000), RNE), D_QNAN, 0);
    CHECK(helper_fcvt_d_s(env, S(1), RNE), 0x36a0000000000000ull, 0);           /* 2^-149 */
}

static void test_minmax_compare(void)
{
    CHECK(helper_fmin_d(env, 0, D_NZERO), D_NZERO, 0);
    CHECK(helper_fmin_d(env, D_NZERO, 0), D_NZERO, 0);
    CHECK(helper_fmax_d(env, D_NZERO, 0), 0, 0);
    CHECK(helper_fmax_s(env, S(0), S(S_NZERO)), S(0), 0);
    CHECK(helper_fmin_d(env, D_QNAN, D_ONE), D_ONE, 0);
    CHECK(helper_fmax_d(env, D_TWO, D_SNAN), D_TWO, NV);
    CHECK(helper_fmin_s(env, S(S_SNAN), S(S_QNAN)), S(S_QNAN), NV);
    CHECK(helper_fmax_s(env, S(0x7fc01234), S(0xffc00000)), S(S_QNAN), 0);
    CHECK(helper_fmax_d(env, D_NINF, D_MAX | D_NZERO), D_MAX | D_NZERO, 0);
    CHECK(helper_fmin_s(env, S_ONE, S(0x40000000)), S(0x40000000), 0);        /* unboxed */

    CHECK(helper_feq_d(env, 0, D_NZERO), 1, 0);
    CHECK(helper_feq_d(env, D_QNAN, D_QNAN), 0, 0);
    CHECK(helper_feq_s(env, S(S_SNAN), S(S_ONE)), 0, NV);
    CHECK(helper_flt_d(env, D_QNAN, D_ONE), 0, NV);
    CHECK(helper_flt_d(env, D_NZERO, 0), 0, 0);
    CHECK(helper_flt_s(env, S(S_ONE), S(0x40000000)), 1, 0);
    CHECK(helper_fle_d(env, D_NZERO, 0), 1, 0);
    CHECK(helper_fle_s(env, S(S_ONE), S(S_QNAN)), 0, NV);
    CHECK(helper_fle_d(env, D_NINF, D_INF), 1, 0);
}

static void test_fclass(void)
{
    static const struct {
        uint64_t d;
        uint32_t s;
        unsigned bit;
    } cases[] = {
        { D_NINF, S_INF | S_NZERO, 0 },
        { D_ONE | D_NZERO, S_ONE | S_NZERO, 1 },
        { D_MIN_SUB | D_NZERO, 0x80000001, 2 },
        { D_NZERO, S_NZERO, 3 },
        { 0, 0, 4 },
        { 0x000fffffffffffffull, 0x007fffff, 5 },
        { D_MAX, S_MAX, 6 },
        { D_INF, S_INF, 7 },
        { D_SNAN, S_SNAN, 8 },
        { D_QNAN | D_NZERO, S_QNAN | S_NZERO, 9 },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        CHECK(helper_fclass_d(env, cases[i].d), 1u << cases[i].bit, 0);
        CHECK(helper_fclass_s(env, S(cases[i].s)), 1u << cases[i].bit, 0);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/riscv-fpu/arith-rounding", test_arith_rounding);
    g_test_add_func("/riscv-fpu/arith-range", test_arith_range);
    g_test_add_func("/riscv-fpu/nan", test_nan);
    g_test_add_func("/riscv-fpu/fma", test_fma);
    g_test_add_func("/riscv-fpu/accrued", test_accrued);
    g_test_add_func("/riscv-fpu/to-int", test_to_int);
    g_test_add_func("/riscv-fpu/from-int", test_from_int);
    g_test_add_func("/riscv-fpu/fmt-cvt", test_fmt_cvt);
    g_test_add_func("/riscv-fpu/minmax-compare", test_minmax_compare);
    g_test_add_func("/riscv-fpu/fclass", test_fclass);
    return g_test_run();
}
