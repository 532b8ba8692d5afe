/*
 * The helpers of the F and D extensions (fpu_helper.c), called from the
 * code trans_rvf.c.inc and trans_rvd.c.inc generate, and their call
 * records.
 *
 * Every argument is a raw 64-bit register value: f-register contents
 * (singles NaN-boxed; an improperly boxed single reads as the canonical
 * NaN), integer register contents, or a rounding mode: always a real
 * one, 0..4 (the translator resolves DYN from frm, a TB flag, and
 * rejects the reserved modes). Single results come back NaN-boxed. The
 * helpers accrue the exception flags into cpu->fflags, which is not an IR
 * global; none reads or writes a global or raises.
 */
#ifndef TARGET_RISCV_FPU_HELPER_H
#define TARGET_RISCV_FPU_HELPER_H

#include <stdint.h>

#include "proteus/ir.h"

/* Declares helper_NAME_s and helper_NAME_d with their call records. */
#define RISCV_FP_DECLARE(name, ...)                                          \
    uint64_t helper_##name##_s(void *env, __VA_ARGS__);                      \
    uint64_t helper_##name##_d(void *env, __VA_ARGS__);                      \
    extern const IRHelperInfo riscv_fp_##name##_s, riscv_fp_##name##_d;

/* Arithmetic: fd = op(fs1, fs2[, fs3]). */
RISCV_FP_DECLARE(fadd, uint64_t a, uint64_t b, uint64_t rm)
RISCV_FP_DECLARE(fsub, uint64_t a, uint64_t b, uint64_t rm)
RISCV_FP_DECLARE(fmul, uint64_t a, uint64_t b, uint64_t rm)
RISCV_FP_DECLARE(fdiv, uint64_t a, uint64_t b, uint64_t rm)
RISCV_FP_DECLARE(fsqrt, uint64_t a, uint64_t rm)
RISCV_FP_DECLARE(fmadd, uint64_t a, uint64_t b, uint64_t c, uint64_t rm)
RISCV_FP_DECLARE(fmsub, uint64_t a, uint64_t b, uint64_t c, uint64_t rm)
RISCV_FP_DECLARE(fnmsub, uint64_t a, uint64_t b, uint64_t c, uint64_t rm)
RISCV_FP_DECLARE(fnmadd, uint64_t a, uint64_t b, uint64_t c, uint64_t rm)

/* fmin/fmax (fd), feq/flt/fle (rd = 0/1), fclass (rd = the class bit). */
RISCV_FP_DECLARE(fmin, uint64_t a, uint64_t b)
RISCV_FP_DECLARE(fmax, uint64_t a, uint64_t b)
RISCV_FP_DECLARE(feq, uint64_t a, uint64_t b)
RISCV_FP_DECLARE(flt, uint64_t a, uint64_t b)
RISCV_FP_DECLARE(fle, uint64_t a, uint64_t b)
RISCV_FP_DECLARE(fclass, uint64_t a)

/* Conversions to integers: rd = the saturated, sign-extended result. */
RISCV_FP_DECLARE(fcvt_w, uint64_t a, uint64_t rm)
RISCV_FP_DECLARE(fcvt_wu, uint64_t a, uint64_t rm)
RISCV_FP_DECLARE(fcvt_l, uint64_t a, uint64_t rm)
RISCV_FP_DECLARE(fcvt_lu, uint64_t a, uint64_t rm)
/* From integers: fd = (float) rs1, as the suffix says rs1 is read. */
RISCV_FP_DECLARE(fcvt_from_w, uint64_t a, uint64_t rm)
RISCV_FP_DECLARE(fcvt_from_wu, uint64_t a, uint64_t rm)
RISCV_FP_DECLARE(fcvt_from_l, uint64_t a, uint64_t rm)
RISCV_FP_DECLARE(fcvt_from_lu, uint64_t a, uint64_t rm)

/* Between the formats: fcvt.s.d and fcvt.d.s. */
uint64_t helper_fcvt_s_d(void *env, uint64_t a, uint64_t rm);
uint64_t helper_fcvt_d_s(void *env, uint64_t a, uint64_t rm);
extern const IRHelperInfo riscv_fp_fcvt_s_d, riscv_fp_fcvt_d_s;

#endif
