/*
 * The helpers of the F and D extensions (fpu_helper.c), called from the
 * code trans_rvf.c.inc and trans_rvd.c.inc generate, and their call
 * records.
 *
 * Every argument is a raw 64-bit register value: f-register contents
 * (singles NaN-boxed; an improperly boxed single reads as the canonical
 * NaN), integer register contents, or a rounding mode (0..4, or
 * RISCV_RM_DYN for frm). Single results come back NaN-boxed. The helpers
 * accrue the exception flags into cpu->fflags, which is not an IR global.
 */
#ifndef TARGET_RISCV_FPU_HELPER_H
#define TARGET_RISCV_FPU_HELPER_H

#include <stdint.h>

#include "proteus/ir.h"

/*
 * A helper with a rounding-mode argument has two call records: with a
 * static rm it reads no guest state and cannot raise; with RISCV_RM_DYN it
 * reads frm and raises an illegal-instruction exception when frm holds a
 * reserved mode, so the globals must be in memory first.
 */
typedef struct RiscvFpHelper {
    IRHelperInfo fixed;
    IRHelperInfo dyn;
} RiscvFpHelper;

/* Declares helper_NAME_s and helper_NAME_d with their records. */
#define RISCV_FP_DECLARE_RM(name, ...)                                       \
    uint64_t helper_##name##_s(void *env, __VA_ARGS__, uint64_t rm);         \
    uint64_t helper_##name##_d(void *env, __VA_ARGS__, uint64_t rm);         \
    extern const RiscvFpHelper riscv_fp_##name##_s, riscv_fp_##name##_d;
#define RISCV_FP_DECLARE(name, ...)                                          \
    uint64_t helper_##name##_s(void *env, __VA_ARGS__);                      \
    uint64_t helper_##name##_d(void *env, __VA_ARGS__);                      \
    extern const IRHelperInfo riscv_fp_##name##_s, riscv_fp_##name##_d;

/* Arithmetic: fd = op(fs1, fs2[, fs3]). */
RISCV_FP_DECLARE_RM(fadd, uint64_t a, uint64_t b)
RISCV_FP_DECLARE_RM(fsub, uint64_t a, uint64_t b)
RISCV_FP_DECLARE_RM(fmul, uint64_t a, uint64_t b)
RISCV_FP_DECLARE_RM(fdiv, uint64_t a, uint64_t b)
RISCV_FP_DECLARE_RM(fsqrt, uint64_t a)
RISCV_FP_DECLARE_RM(fmadd, uint64_t a, uint64_t b, uint64_t c)
RISCV_FP_DECLARE_RM(fmsub, uint64_t a, uint64_t b, uint64_t c)
RISCV_FP_DECLARE_RM(fnmsub, uint64_t a, uint64_t b, uint64_t c)
RISCV_FP_DECLARE_RM(fnmadd, uint64_t a, uint64_t b, uint64_t c)

/* fmin/fmax (fd), feq/flt/fle (rd = 0/1), fclass (rd = the class bit). */
RISCV_FP_DECLARE(fmin, uint64_t a, uint64_t b)
RISCV_FP_DECLARE(fmax, uint64_t a, uint64_t b)
RISCV_FP_DECLARE(feq, uint64_t a, uint64_t b)
RISCV_FP_DECLARE(flt, uint64_t a, uint64_t b)
RISCV_FP_DECLARE(fle, uint64_t a, uint64_t b)
RISCV_FP_DECLARE(fclass, uint64_t a)

/* Conversions to integers: rd = the saturated, sign-extended result. */
RISCV_FP_DECLARE_RM(fcvt_w, uint64_t a)
RISCV_FP_DECLARE_RM(fcvt_wu, uint64_t a)
RISCV_FP_DECLARE_RM(fcvt_l, uint64_t a)
RISCV_FP_DECLARE_RM(fcvt_lu, uint64_t a)
/* From integers: fd = (float) rs1, as the suffix says rs1 is read. */
RISCV_FP_DECLARE_RM(fcvt_from_w, uint64_t a)
RISCV_FP_DECLARE_RM(fcvt_from_wu, uint64_t a)
RISCV_FP_DECLARE_RM(fcvt_from_l, uint64_t a)
RISCV_FP_DECLARE_RM(fcvt_from_lu, uint64_t a)

/* Between the formats: fcvt.s.d and fcvt.d.s. */
uint64_t helper_fcvt_s_d(void *env, uint64_t a, uint64_t rm);
uint64_t helper_fcvt_d_s(void *env, uint64_t a, uint64_t rm);
extern const RiscvFpHelper riscv_fp_fcvt_s_d, riscv_fp_fcvt_d_s;

#endif
