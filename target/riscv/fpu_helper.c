/*
 * The F and D extensions' arithmetic (RISC-V unprivileged spec, ch. 11
 * "F" and 12 "D"), exact to IEEE 754-2008 in every rounding mode.
 *
 * The host's SSE unit does the work: the guest rounding mode is put into
 * MXCSR for each operation and the exception flags read back (cheaply:
 * see host_fp_begin).
 * SSE detects tininess after rounding, as RISC-V does, and its flags map
 * one to one onto fflags. What the host does differently is fixed here:
 *  - every NaN result becomes the canonical NaN (x86 propagates payloads);
 *  - fused multiply-add sets NV for inf * 0 + qNaN (spec 11.6);
 *  - conversions to integers saturate (x86 returns "integer indefinite");
 *  - RMM (round to nearest, ties away) has no SSE mode: the operation runs
 *    in RNE, and only when that is inexact is the result recomputed in
 *    software from a 64-bit-precision value rounded to odd (x87 extended
 *    precision, truncating), which carries enough bits to round again
 *    correctly (p + 2 <= 64 for both formats).
 * min/max, comparisons and fclass work on the bits and need no host FPU
 * state.
 */
#include <fenv.h>
#include <math.h>
#include <string.h>

#include "target/riscv/cpu.h"
#include "target/riscv/fpu_helper.h"

/* ---- the two formats, as bit fields ---- */

typedef struct FpFormat {
    unsigned frac_bits;         /* 23 or 52 */
    unsigned exp_bits;          /* 8 or 11 */
    bool is_double;
} FpFormat;

static const FpFormat fmt_s = { 23, 8, false };
static const FpFormat fmt_d = { 52, 11, true };

#define BOX_S 0xffffffff00000000ull

static inline uint64_t fp_sign(const FpFormat *f)
{
    return 1ull << (f->frac_bits + f->exp_bits);
}

static inline uint64_t fp_exp_mask(const FpFormat *f)
{
    return ((1ull << f->exp_bits) - 1) << f->frac_bits;
}

static inline uint64_t fp_quiet_bit(const FpFormat *f)
{
    return 1ull << (f->frac_bits - 1);
}

static inline uint64_t fp_default_nan(const FpFormat *f)
{
    return fp_exp_mask(f) | fp_quiet_bit(f);
}

static inline bool fp_is_nan(const FpFormat *f, uint64_t v)
{
    return (v & ~fp_sign(f)) > fp_exp_mask(f);
}

static inline bool fp_is_snan(const FpFormat *f, uint64_t v)
{
    return fp_is_nan(f, v) && !(v & fp_quiet_bit(f));
}

static inline bool fp_is_inf(const FpFormat *f, uint64_t v)
{
    return (v & ~fp_sign(f)) == fp_exp_mask(f);
}

static inline bool fp_is_zero(const FpFormat *f, uint64_t v)
{
    return (v & ~fp_sign(f)) == 0;
}

/* A single read from an f-register: NaN-boxed, or else the canonical NaN
 * (spec 12.2). A double is the register itself. */
static inline uint64_t fp_read(const FpFormat *f, uint64_t reg)
{
    if (f->is_double) {
        return reg;
    }
    return (reg & BOX_S) == BOX_S ? (uint32_t)reg : fp_default_nan(&fmt_s);
}

static inline uint64_t fp_write(const FpFormat *f, uint64_t v)
{
    return f->is_double ? v : v | BOX_S;
}

static inline double d_of(uint64_t v)
{
    double d;

    memcpy(&d, &v, sizeof(d));
    return d;
}

static inline uint64_t bits_of_d(double d)
{
    uint64_t v;

    memcpy(&v, &d, sizeof(v));
    return v;
}

static inline float s_of(uint64_t v)
{
    uint32_t w = v;
    float s;

    memcpy(&s, &w, sizeof(s));
    return s;
}

static inline uint64_t bits_of_s(float s)
{
    uint32_t w;

    memcpy(&w, &s, sizeof(w));
    return w;
}

/* The value as a double (exact for singles too). */
static inline double fp_value(const FpFormat *f, uint64_t v)
{
    return f->is_double ? d_of(v) : s_of(v);
}

/* ---- rounding modes and the host's MXCSR ---- */

/*
 * MXCSR: every exception masked, no flush-to-zero, and the rounding
 * control (RC, bits 13-14: 0 nearest, 1 down, 2 up, 3 toward zero). RMM
 * runs as RNE and is corrected afterwards.
 *
 * MXCSR accesses are slow, so RNE, the common case, makes just one: host
 * code keeps MXCSR in round-to-nearest with everything masked (the other
 * modes switch back when done), so an RNE operation runs as MXCSR is and
 * then reads the flags. They may include stale ones, left by earlier
 * operations or by host code, but only flags fflags lacks matter; when
 * there are some, the operation runs again with the flags cleared. As
 * fflags accrues, that soon stops happening.
 */
#define MXCSR_MASKED 0x1f80u
#define MXCSR_RC_MASK (3u << 13)

/* Indexed by rm & 7; the translator never passes 5..7, but should one
 * come, it must not unmask exceptions. */
static const uint32_t mxcsr_of_rm[8] = {
    [RISCV_RM_RNE] = MXCSR_MASKED | 0u << 13,
    [RISCV_RM_RTZ] = MXCSR_MASKED | 3u << 13,
    [RISCV_RM_RDN] = MXCSR_MASKED | 1u << 13,
    [RISCV_RM_RUP] = MXCSR_MASKED | 2u << 13,
    [RISCV_RM_RMM ... 7] = MXCSR_MASKED | 0u << 13,
};

/* Before an operation in rm: the rounding control and clear flags,
 * except in the RNE fast path. */
static inline void host_fp_begin(int rm, bool exact)
{
    if (rm != RISCV_RM_RNE || exact) {
        asm volatile("ldmxcsr %0" : : "m"(mxcsr_of_rm[rm & 7]) : "memory");
    }
}

/*
 * After it: the flags set, as fflags (MXCSR IE 0x01 -> NV, ZE 0x04 -> DZ,
 * OE 0x08 -> OF, UE 0x10 -> UF, PE 0x20 -> NX; DE, denormal operand, has
 * no RISC-V counterpart), with MXCSR back to round-to-nearest.
 */
static inline uint32_t host_fp_end(int rm)
{
    uint32_t m, nearest;

    asm volatile("stmxcsr %0" : "=m"(m) : : "memory");
    if (mxcsr_of_rm[rm & 7] & MXCSR_RC_MASK) {
        nearest = m & ~MXCSR_RC_MASK;
        asm volatile("ldmxcsr %0" : : "m"(nearest) : "memory");
    }
    return (m & 0x01) << 4 | (m & 0x04) << 1 | (m & 0x08) >> 1 | (m & 0x10) >> 3 |
           (m & 0x20) >> 5;
}

/* Whether the fast path read flags fflags does not have yet, which may be
 * stale: then the operation must run again, exactly. */
static inline bool host_fp_retry(const RiscvCPU *cpu, int rm, bool *exact, uint32_t flags)
{
    if (*exact || rm != RISCV_RM_RNE || !(flags & ~cpu->fflags)) {
        return false;
    }
    *exact = true;
    return true;
}

/*
 * The fastest path needs no MXCSR access at all. In RNE, once fflags has
 * NX (it accrues, so in FP code it soon has), an operation can raise
 * nothing new unless its result is a NaN (NV), an infinity (OF, DZ) or
 * at most 2^emin in magnitude (UF, tininess being detected after
 * rounding); conversions from integers raise nothing but NX.
 */
static inline bool fp_fast_path(const RiscvCPU *cpu, int rm)
{
    return rm == RISCV_RM_RNE && (cpu->fflags & RISCV_FFLAG_NX);
}

/* 2^emin < |r| < infinity */
static inline bool fp_result_quiet(const FpFormat *f, uint64_t r)
{
    uint64_t mag = r & ~fp_sign(f);

    return mag > 1ull << f->frac_bits && mag < fp_exp_mask(f);
}

/* Pins a value to an SSE register at this point of the volatile-asm
 * sequence, so the operation stays between host_fp_begin and
 * host_fp_end. */
#define FP_PIN(x) asm volatile("" : "+x"(x))

/* ---- RMM in software ---- */

/*
 * m / 2^sh rounded to nearest, ties away from zero; *inexact if bits were
 * lost. sh is at least 1.
 */
static uint64_t shift_round_away(uint64_t m, unsigned sh, bool *inexact)
{
    if (sh > 64) {
        *inexact = m != 0;
        return 0;
    }
    if (sh == 64) {
        *inexact = m != 0;
        return m >> 63;
    }
    *inexact = (m & ((1ull << sh) - 1)) != 0;
    return (m >> sh) + ((m >> (sh - 1)) & 1);
}

/*
 * Rounds (-1)^neg * m * 2^e (m != 0; its lowest bit may be a sticky bit)
 * to the format with ties away from zero, with the flags of that rounding:
 * NX, OF (RMM overflows to infinity), and UF for a tiny inexact result,
 * tininess being detected after rounding as in RISC-V.
 */
static uint64_t round_rmm(const FpFormat *f, bool neg, uint64_t m, int e, uint32_t *flags)
{
    unsigned p = f->frac_bits + 1;
    int bias = (1 << (f->exp_bits - 1)) - 1;
    int emin = 1 - bias;
    int lz = __builtin_clzll(m);
    int exp;                    /* of the leading bit */
    uint64_t sign = neg ? fp_sign(f) : 0;
    uint64_t q;
    bool inexact;

    m <<= lz;
    exp = e - lz + 63;
    if (exp < emin) {
        /* Tiny unless rounding to p bits carries up to 2^emin. */
        bool tiny = !(exp + 1 == emin &&
                      shift_round_away(m, 64 - p, &inexact) == 1ull << p);

        q = shift_round_away(m, 64 - p + (emin - exp), &inexact);
        *flags = inexact ? RISCV_FFLAG_NX | (tiny ? RISCV_FFLAG_UF : 0) : 0;
        /* A carry into bit p - 1 makes the smallest normal, as encoded. */
        return sign | q;
    }
    q = shift_round_away(m, 64 - p, &inexact);
    if (q >> p) {
        q >>= 1;
        exp++;
    }
    if (exp > bias) {
        *flags = RISCV_FFLAG_OF | RISCV_FFLAG_NX;
        return sign | fp_exp_mask(f);
    }
    *flags = inexact ? RISCV_FFLAG_NX : 0;
    return sign | (uint64_t)(exp + bias) << f->frac_bits | (q & ~(1ull << f->frac_bits));
}

/* An x87 extended value (always normal here): 64-bit significand, 15-bit
 * biased exponent and the sign. */
static G_GNUC_NO_INLINE __attribute__((cold)) uint64_t
round_rmm_ld(const FpFormat *f, long double x, uint32_t *flags)
{
    struct {
        uint64_t m;
        uint16_t se;
    } ext;

    G_STATIC_ASSERT(sizeof(long double) >= sizeof(ext));
    memcpy(&ext, &x, sizeof(ext));
    return round_rmm(f, ext.se >> 15, ext.m, (ext.se & 0x7fff) - 16383 - 63, flags);
}

typedef enum FpOp {
    FP_ADD,
    FP_SUB,
    FP_MUL,
    FP_DIV,
    FP_SQRT,
    FP_MADD,
} FpOp;

/*
 * op on values of either format in x87 extended precision, truncated,
 * with the last bit set when inexact (round to odd): 64 bits, enough to
 * round once more to 24 or 53 bits as if from the exact result. The
 * volatile operands keep the arithmetic between the mode switches. Only
 * RMM's inexact results come here.
 */
static G_GNUC_NO_INLINE __attribute__((cold)) long double
ld_round_odd(FpOp op, double a, double b, double c)
{
    volatile long double va = a, vb = b, vc = c, vr;
    long double r;
    uint64_t m;
    fenv_t env;
    bool inexact;

    fegetenv(&env);
    fesetround(FE_TOWARDZERO);
    feclearexcept(FE_ALL_EXCEPT);
    switch (op) {
    case FP_ADD:
        vr = va + vb;
        break;
    case FP_SUB:
        vr = va - vb;
        break;
    case FP_MUL:
        vr = va * vb;
        break;
    case FP_DIV:
        vr = va / vb;
        break;
    case FP_SQRT:
        vr = sqrtl(va);
        break;
    default:
        vr = fmal(va, vb, vc);
        break;
    }
    inexact = fetestexcept(FE_INEXACT);
    fesetenv(&env);
    r = vr;
    if (inexact) {
        memcpy(&m, &r, sizeof(m));
        m |= 1;
        memcpy(&r, &m, sizeof(m));
    }
    return r;
}

/* ---- arithmetic ---- */

/* One SSE operation in the current MXCSR. */
static inline double host_op_d(FpOp op, double a, double b, double c)
{
    double r;

    FP_PIN(a);
    FP_PIN(b);
    FP_PIN(c);
    switch (op) {
    case FP_ADD:
        r = a + b;
        break;
    case FP_SUB:
        r = a - b;
        break;
    case FP_MUL:
        r = a * b;
        break;
    case FP_DIV:
        r = a / b;
        break;
    case FP_SQRT:
        asm volatile("sqrtsd %1, %0" : "=x"(r) : "x"(a));
        break;
    default:
        r = fma(a, b, c);
        break;
    }
    FP_PIN(r);
    return r;
}

static inline float host_op_s(FpOp op, float a, float b, float c)
{
    float r;

    FP_PIN(a);
    FP_PIN(b);
    FP_PIN(c);
    switch (op) {
    case FP_ADD:
        r = a + b;
        break;
    case FP_SUB:
        r = a - b;
        break;
    case FP_MUL:
        r = a * b;
        break;
    case FP_DIV:
        r = a / b;
        break;
    case FP_SQRT:
        asm volatile("sqrtss %1, %0" : "=x"(r) : "x"(a));
        break;
    default:
        r = fmaf(a, b, c);
        break;
    }
    FP_PIN(r);
    return r;
}

static inline uint64_t host_op(const FpFormat *f, FpOp op, uint64_t a, uint64_t b, uint64_t c)
{
    if (f->is_double) {
        return bits_of_d(host_op_d(op, d_of(a), d_of(b), d_of(c)));
    }
    return bits_of_s(host_op_s(op, s_of(a), s_of(b), s_of(c)));
}

/* The invalid case x86 may leave out: (inf * 0) + qNaN. */
static bool fma_inf_times_zero(const FpFormat *f, uint64_t a, uint64_t b)
{
    return (fp_is_inf(f, a) && fp_is_zero(f, b)) || (fp_is_zero(f, a) && fp_is_inf(f, b));
}

/* op on the (unboxed) operands a, b, c in rounding mode rm (0..4). */
static inline __attribute__((always_inline)) uint64_t
fp_arith(RiscvCPU *cpu, const FpFormat *f, FpOp op, uint64_t a, uint64_t b, uint64_t c, int rm)
{
    bool exact = false;
    uint32_t flags;
    uint64_t r;

    if (G_LIKELY(fp_fast_path(cpu, rm))) {
        r = host_op(f, op, a, b, c);
        if (G_LIKELY(fp_result_quiet(f, r))) {
            return r;
        }
    }
    do {
        host_fp_begin(rm, exact);
        r = host_op(f, op, a, b, c);
        flags = host_fp_end(rm);
    } while (host_fp_retry(cpu, rm, &exact, flags));
    if (G_UNLIKELY(fp_is_nan(f, r))) {
        r = fp_default_nan(f);
        if (op == FP_MADD && fma_inf_times_zero(f, a, b)) {
            flags |= RISCV_FFLAG_NV;
        }
    } else if (G_UNLIKELY(rm == RISCV_RM_RMM) && (flags & RISCV_FFLAG_NX) && !fp_is_inf(f, r)) {
        long double x = ld_round_odd(op, fp_value(f, a), fp_value(f, b), fp_value(f, c));

        r = round_rmm_ld(f, x, &flags);
    }
    cpu->fflags |= flags;
    return r;
}

/* fmsub, fnmsub, fnmadd: fmadd with the product and/or the addend
 * negated; negating an operand is exact, and a NaN result is canonical
 * whatever its sign was. */
#define NEG_NONE 0
#define NEG_PRODUCT 1
#define NEG_ADDEND 2

static inline uint64_t fp_fma(void *env, const FpFormat *f, uint64_t a, uint64_t b,
                              uint64_t c, unsigned neg, int rm)
{
    a = fp_read(f, a) ^ (neg & NEG_PRODUCT ? fp_sign(f) : 0);
    c = fp_read(f, c) ^ (neg & NEG_ADDEND ? fp_sign(f) : 0);
    return fp_write(f, fp_arith(env, f, FP_MADD, a, fp_read(f, b), c, rm));
}

/* ---- conversions ---- */

/* rd of fcvt.{w,wu,l,lu}: the bounds it saturates to (NaN -> hi). */
typedef struct IntRange {
    int64_t lo;
    uint64_t hi;
    bool is_unsigned;
    bool is_word;
} IntRange;

static const IntRange range_w = { INT32_MIN, INT32_MAX, false, true };
static const IntRange range_wu = { 0, UINT32_MAX, true, true };
static const IntRange range_l = { INT64_MIN, INT64_MAX, false, false };
static const IntRange range_lu = { 0, UINT64_MAX, true, false };

/* x (not NaN, |x| < 2^63) to an integer in the current MXCSR, or
 * truncated. */
static inline int64_t host_cvt_i64(double x, bool truncate)
{
    int64_t i;

    if (truncate) {
        asm volatile("cvttsd2si %1, %0" : "=r"(i) : "x"(x));
    } else {
        asm volatile("cvtsd2si %1, %0" : "=r"(i) : "x"(x));
    }
    return i;
}

/* x (not NaN, |x| < 2^63) to an integer in rm (not RMM); *nx if inexact
 * (or if fflags has NX already). RTZ has an instruction of its own, which
 * needs no rounding control. */
static inline int64_t fp_cvt_i64(const RiscvCPU *cpu, double x, int rm, bool *nx)
{
    bool truncate = rm == RISCV_RM_RTZ;
    int mode = truncate ? RISCV_RM_RNE : rm;
    bool exact = false;
    uint32_t flags;
    int64_t i;

    if (fp_fast_path(cpu, mode)) {
        *nx = true;
        return host_cvt_i64(x, truncate);
    }
    do {
        host_fp_begin(mode, exact);
        i = host_cvt_i64(x, truncate);
        flags = host_fp_end(mode);
    } while (host_fp_retry(cpu, mode, &exact, flags));
    *nx = flags & RISCV_FFLAG_NX;
    return i;
}

/*
 * x (a value of either format) to an integer in rm: out of range (after
 * rounding) or NaN saturates with NV alone; otherwise NX if inexact.
 * Words are returned sign-extended.
 */
static uint64_t fp_to_int(RiscvCPU *cpu, double x, int rm, const IntRange *range)
{
    bool nx = false, cvt_nx;
    int64_t i;

    if (isnan(x)) {
        goto saturate_hi;
    }
    if (rm == RISCV_RM_RMM) {
        double r = round(x);    /* ties away, exact */

        nx = r != x;
        x = r;
        rm = RISCV_RM_RTZ;
    }
    if (x >= 0x1p63) {
        if (range->is_word || !range->is_unsigned || x >= 0x1p64) {
            goto saturate_hi;
        }
        return (uint64_t)x;     /* an integer already */
    }
    if (x < -0x1p63) {
        goto saturate_lo;
    }
    i = fp_cvt_i64(cpu, x, rm, &cvt_nx);
    if (i < range->lo) {
        goto saturate_lo;
    }
    if (i >= 0 && (uint64_t)i > range->hi) {
        goto saturate_hi;
    }
    cpu->fflags |= nx || cvt_nx ? RISCV_FFLAG_NX : 0;
    return range->is_word ? (uint64_t)(int64_t)(int32_t)i : (uint64_t)i;

saturate_hi:
    cpu->fflags |= RISCV_FFLAG_NV;
    return range->is_word ? (uint64_t)(int64_t)(int32_t)range->hi : range->hi;
saturate_lo:
    cpu->fflags |= RISCV_FFLAG_NV;
    return range->lo;
}

/* An integer register's value as fcvt.{s,d}.{w,wu,l,lu} reads it. */
static inline uint64_t int_operand(uint64_t v, const IntRange *range)
{
    if (!range->is_word) {
        return v;
    }
    return range->is_unsigned ? (uint32_t)v : (uint64_t)(int64_t)(int32_t)v;
}

/* i to the format in the current MXCSR, doubled if halved. */
static inline uint64_t host_int_to_fp(const FpFormat *f, int64_t i, bool halved)
{
    asm volatile("" : "+r"(i));
    if (f->is_double) {
        double d = i;

        FP_PIN(d);
        if (halved) {
            d += d;
            FP_PIN(d);
        }
        return bits_of_d(d);
    } else {
        float s = i;

        FP_PIN(s);
        if (halved) {
            s += s;
            FP_PIN(s);
        }
        return bits_of_s(s);
    }
}

/* The integer v (signed unless range says unsigned) to the format. */
static uint64_t int_to_fp(RiscvCPU *cpu, const FpFormat *f, uint64_t v, const IntRange *range,
                          int rm)
{
    bool is_signed = !range->is_unsigned;
    bool negative = is_signed && (int64_t)v < 0;
    /* an unsigned value with bit 63 set: halve it, keeping the lost bit
     * as a sticky bit (round to odd), convert, and double the result */
    bool halve = !is_signed && (int64_t)v < 0;
    int64_t i = halve ? (int64_t)(v >> 1 | (v & 1)) : (int64_t)v;
    bool exact = false;
    uint32_t flags;
    uint64_t r;

    if (G_LIKELY(fp_fast_path(cpu, rm))) {
        return host_int_to_fp(f, i, halve);
    }
    do {
        host_fp_begin(rm, exact);
        r = host_int_to_fp(f, i, halve);
        flags = host_fp_end(rm);
    } while (host_fp_retry(cpu, rm, &exact, flags));
    if (G_UNLIKELY(rm == RISCV_RM_RMM) && (flags & RISCV_FFLAG_NX)) {
        uint64_t mag = negative ? -v : v;

        r = round_rmm(f, negative, mag, 0, &flags);
    }
    cpu->fflags |= flags;
    return r;
}

/* ---- the helpers ---- */

#define DEFINE_ARITH2(name, fmt, op)                                                   \
    uint64_t helper_##name(void *env, uint64_t a, uint64_t b, uint64_t rm)             \
    {                                                                                  \
        return fp_write(fmt, fp_arith(env, fmt, op, fp_read(fmt, a), fp_read(fmt, b),  \
                                      0, rm));                                         \
    }
#define DEFINE_FMA(name, fmt, neg)                                                     \
    uint64_t helper_##name(void *env, uint64_t a, uint64_t b, uint64_t c, uint64_t rm) \
    {                                                                                  \
        return fp_fma(env, fmt, a, b, c, neg, rm);                                     \
    }
#define DEFINE_TO_INT(name, fmt, range)                                                \
    uint64_t helper_##name(void *env, uint64_t a, uint64_t rm)                         \
    {                                                                                  \
        return fp_to_int(env, fp_value(fmt, fp_read(fmt, a)), rm, range);              \
    }
#define DEFINE_FROM_INT(name, fmt, range)                                              \
    uint64_t helper_##name(void *env, uint64_t a, uint64_t rm)                         \
    {                                                                                  \
        return fp_write(fmt, int_to_fp(env, fmt, int_operand(a, range), range, rm));   \
    }

/* Every helper in both formats. */
#define DEFINE_BOTH(kind, name, ...)                                                   \
    kind(name##_s, &fmt_s, __VA_ARGS__)                                                \
    kind(name##_d, &fmt_d, __VA_ARGS__)

DEFINE_BOTH(DEFINE_ARITH2, fadd, FP_ADD)
DEFINE_BOTH(DEFINE_ARITH2, fsub, FP_SUB)
DEFINE_BOTH(DEFINE_ARITH2, fmul, FP_MUL)
DEFINE_BOTH(DEFINE_ARITH2, fdiv, FP_DIV)
DEFINE_BOTH(DEFINE_FMA, fmadd, NEG_NONE)
DEFINE_BOTH(DEFINE_FMA, fmsub, NEG_ADDEND)
DEFINE_BOTH(DEFINE_FMA, fnmsub, NEG_PRODUCT)
DEFINE_BOTH(DEFINE_FMA, fnmadd, NEG_PRODUCT | NEG_ADDEND)
DEFINE_BOTH(DEFINE_TO_INT, fcvt_w, &range_w)
DEFINE_BOTH(DEFINE_TO_INT, fcvt_wu, &range_wu)
DEFINE_BOTH(DEFINE_TO_INT, fcvt_l, &range_l)
DEFINE_BOTH(DEFINE_TO_INT, fcvt_lu, &range_lu)
DEFINE_BOTH(DEFINE_FROM_INT, fcvt_from_w, &range_w)
DEFINE_BOTH(DEFINE_FROM_INT, fcvt_from_wu, &range_wu)
DEFINE_BOTH(DEFINE_FROM_INT, fcvt_from_l, &range_l)
DEFINE_BOTH(DEFINE_FROM_INT, fcvt_from_lu, &range_lu)

uint64_t helper_fsqrt_s(void *env, uint64_t a, uint64_t rm)
{
    return fp_write(&fmt_s, fp_arith(env, &fmt_s, FP_SQRT, fp_read(&fmt_s, a), 0, 0, rm));
}

uint64_t helper_fsqrt_d(void *env, uint64_t a, uint64_t rm)
{
    return fp_arith(env, &fmt_d, FP_SQRT, a, 0, 0, rm);
}

/* d to a single in the current MXCSR. */
static inline uint64_t host_d_to_s(double d)
{
    float s;

    FP_PIN(d);
    s = d;
    FP_PIN(s);
    return bits_of_s(s);
}

uint64_t helper_fcvt_s_d(void *env, uint64_t a, uint64_t rm)
{
    RiscvCPU *cpu = env;
    bool exact = false;
    uint32_t flags;
    uint64_t r;

    if (G_LIKELY(fp_fast_path(cpu, rm))) {
        r = host_d_to_s(d_of(a));
        if (G_LIKELY(fp_result_quiet(&fmt_s, r))) {
            return fp_write(&fmt_s, r);
        }
    }
    do {
        host_fp_begin(rm, exact);
        r = host_d_to_s(d_of(a));
        flags = host_fp_end(rm);
    } while (host_fp_retry(cpu, rm, &exact, flags));
    if (G_UNLIKELY(fp_is_nan(&fmt_s, r))) {
        r = fp_default_nan(&fmt_s);
    } else if (G_UNLIKELY(rm == RISCV_RM_RMM) && (flags & RISCV_FFLAG_NX) &&
               !fp_is_inf(&fmt_s, r)) {
        r = round_rmm_ld(&fmt_s, d_of(a), &flags);
    }
    cpu->fflags |= flags;
    return fp_write(&fmt_s, r);
}

/* Exact: only a NaN needs care (canonical; NV if signaling). */
uint64_t helper_fcvt_d_s(void *env, uint64_t a, uint64_t rm)
{
    RiscvCPU *cpu = env;

    (void)rm;
    a = fp_read(&fmt_s, a);
    if (fp_is_nan(&fmt_s, a)) {
        cpu->fflags |= fp_is_snan(&fmt_s, a) ? RISCV_FFLAG_NV : 0;
        return fp_default_nan(&fmt_d);
    }
    return bits_of_d(s_of(a));
}

/*
 * fmin/fmax (spec 11.6, the 2.2 semantics): -0 is less than +0; one NaN
 * operand gives the other operand, two give the canonical NaN; a
 * signaling NaN sets NV.
 */
static uint64_t fp_minmax(RiscvCPU *cpu, const FpFormat *f, uint64_t a, uint64_t b, bool is_max)
{
    bool a_less;

    if (fp_is_snan(f, a) || fp_is_snan(f, b)) {
        cpu->fflags |= RISCV_FFLAG_NV;
    }
    if (fp_is_nan(f, a)) {
        return fp_is_nan(f, b) ? fp_default_nan(f) : b;
    }
    if (fp_is_nan(f, b)) {
        return a;
    }
    a_less = fp_value(f, a) < fp_value(f, b) ||
             (fp_is_zero(f, a) && fp_is_zero(f, b) && (a & fp_sign(f)));
    return a_less != is_max ? a : b;
}

typedef enum FpCompare {
    FP_EQ,
    FP_LT,
    FP_LE,
} FpCompare;

/* feq is quiet (NV only for a signaling NaN), flt and fle signal on any
 * NaN (spec 11.8); a NaN operand compares false. */
static uint64_t fp_compare(RiscvCPU *cpu, const FpFormat *f, uint64_t a, uint64_t b,
                           FpCompare cmp)
{
    double x = fp_value(f, a), y = fp_value(f, b);

    if (fp_is_nan(f, a) || fp_is_nan(f, b)) {
        if (cmp != FP_EQ || fp_is_snan(f, a) || fp_is_snan(f, b)) {
            cpu->fflags |= RISCV_FFLAG_NV;
        }
        return 0;
    }
    switch (cmp) {
    case FP_EQ:
        return x == y;
    case FP_LT:
        return x < y;
    default:
        return x <= y;
    }
}

/* fclass (spec 11.9): one bit for the class of v. */
static uint64_t fp_class(const FpFormat *f, uint64_t v)
{
    bool neg = v & fp_sign(f);
    uint64_t exp = v & fp_exp_mask(f);
    uint64_t frac = v & (fp_quiet_bit(f) * 2 - 1);
    unsigned bit;

    if (exp == fp_exp_mask(f)) {
        bit = frac == 0 ? (neg ? 0 : 7) : (frac & fp_quiet_bit(f) ? 9 : 8);
    } else if (exp == 0) {
        bit = frac == 0 ? (neg ? 3 : 4) : (neg ? 2 : 5);
    } else {
        bit = neg ? 1 : 6;
    }
    return 1u << bit;
}

#define DEFINE_MINMAX(name, fmt, is_max)                                               \
    uint64_t helper_##name(void *env, uint64_t a, uint64_t b)                          \
    {                                                                                  \
        return fp_write(fmt, fp_minmax(env, fmt, fp_read(fmt, a), fp_read(fmt, b),     \
                                       is_max));                                       \
    }
#define DEFINE_COMPARE(name, fmt, cmp)                                                 \
    uint64_t helper_##name(void *env, uint64_t a, uint64_t b)                          \
    {                                                                                  \
        return fp_compare(env, fmt, fp_read(fmt, a), fp_read(fmt, b), cmp);            \
    }
#define DEFINE_CLASS(name, fmt, unused)                                                \
    uint64_t helper_##name(void *env, uint64_t a)                                      \
    {                                                                                  \
        (void)env;                                                                     \
        return fp_class(fmt, fp_read(fmt, a));                                         \
    }

DEFINE_BOTH(DEFINE_MINMAX, fmin, false)
DEFINE_BOTH(DEFINE_MINMAX, fmax, true)
DEFINE_BOTH(DEFINE_COMPARE, feq, FP_EQ)
DEFINE_BOTH(DEFINE_COMPARE, flt, FP_LT)
DEFINE_BOTH(DEFINE_COMPARE, fle, FP_LE)
DEFINE_BOTH(DEFINE_CLASS, fclass, 0)

/* ---- call records ---- */

/* They write fflags, so they are never removable; but they touch no IR
 * global and never raise. */
#define FP_CALL_FLAGS (IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS)

/* n counts env. */
#define FP_HELPER(fn, n, call_flags)                                                   \
    const IRHelperInfo riscv_fp_##fn = {                                               \
        .func = (void *)helper_##fn, .name = #fn, .flags = (call_flags),               \
        .has_ret = true, .ret_type = IR_TYPE_I64, .nargs = (n),                        \
        .arg_types = { [0 ... IR_MAX_HELPER_ARGS - 1] = IR_TYPE_I64 },                 \
    };
#define FP_HELPER_BOTH(name, n, call_flags)                                            \
    FP_HELPER(name##_s, n, call_flags) FP_HELPER(name##_d, n, call_flags)

FP_HELPER_BOTH(fadd, 4, FP_CALL_FLAGS)
FP_HELPER_BOTH(fsub, 4, FP_CALL_FLAGS)
FP_HELPER_BOTH(fmul, 4, FP_CALL_FLAGS)
FP_HELPER_BOTH(fdiv, 4, FP_CALL_FLAGS)
FP_HELPER_BOTH(fsqrt, 3, FP_CALL_FLAGS)
FP_HELPER_BOTH(fmadd, 5, FP_CALL_FLAGS)
FP_HELPER_BOTH(fmsub, 5, FP_CALL_FLAGS)
FP_HELPER_BOTH(fnmsub, 5, FP_CALL_FLAGS)
FP_HELPER_BOTH(fnmadd, 5, FP_CALL_FLAGS)
FP_HELPER_BOTH(fcvt_w, 3, FP_CALL_FLAGS)
FP_HELPER_BOTH(fcvt_wu, 3, FP_CALL_FLAGS)
FP_HELPER_BOTH(fcvt_l, 3, FP_CALL_FLAGS)
FP_HELPER_BOTH(fcvt_lu, 3, FP_CALL_FLAGS)
FP_HELPER_BOTH(fcvt_from_w, 3, FP_CALL_FLAGS)
FP_HELPER_BOTH(fcvt_from_wu, 3, FP_CALL_FLAGS)
FP_HELPER_BOTH(fcvt_from_l, 3, FP_CALL_FLAGS)
FP_HELPER_BOTH(fcvt_from_lu, 3, FP_CALL_FLAGS)
FP_HELPER(fcvt_s_d, 3, FP_CALL_FLAGS)
FP_HELPER(fcvt_d_s, 3, FP_CALL_FLAGS)
FP_HELPER_BOTH(fmin, 3, FP_CALL_FLAGS)
FP_HELPER_BOTH(fmax, 3, FP_CALL_FLAGS)
FP_HELPER_BOTH(feq, 3, FP_CALL_FLAGS)
FP_HELPER_BOTH(flt, 3, FP_CALL_FLAGS)
FP_HELPER_BOTH(fle, 3, FP_CALL_FLAGS)
FP_HELPER_BOTH(fclass, 2, IR_CALL_PURE)
