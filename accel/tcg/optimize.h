/*
 * Internal to the optimizer (optimize.c, optimize-fold.c,
 * optimize-live.c): the exact values of ops and conditions on constant
 * inputs, which globals a host load or store may touch, and the liveness
 * pass.
 *
 * Values travel as uint64_t in the form IRTemp.val keeps them: an i32
 * value sign-extended to 64 bits.
 */
#ifndef PROTEUS_ACCEL_TCG_OPTIMIZE_H
#define PROTEUS_ACCEL_TCG_OPTIMIZE_H

#include "proteus/ir.h"

/* v sign-extended from bit 31 when type is i32, unchanged for i64. */
static inline uint64_t ir_fold_normalize(IRType type, uint64_t v)
{
    return type == IR_TYPE_I32 ? (uint64_t)(int64_t)(int32_t)v : v;
}

/*
 * The result of a pure op (neither a load, a store, a call nor control)
 * whose temp inputs are all the constants in[], with the op's constant
 * arguments c[]; type is op->type (the output's type). Exactly ir-ops.h.
 */
uint64_t ir_fold_value(IROpcode opc, IRType type, const uint64_t *in, const uint64_t *c);
/* cond(a, b) at the width of type. */
bool ir_fold_cond(IRCond cond, IRType type, uint64_t a, uint64_t b);
/* The condition c' with c'(b, a) == c(a, b). */
IRCond ir_cond_swap(IRCond cond);
/* The condition c' with c'(a, b) == !c(a, b). */
IRCond ir_cond_invert(IRCond cond);

/* The env bytes [lo, hi) the globals cover. */
typedef struct IRGlobalSpan {
    int64_t lo, hi;
} IRGlobalSpan;

void ir_opt_global_span(IRContext *ctx, IRGlobalSpan *span);
/* Bytes a host ld/st op accesses. */
unsigned ir_opt_host_access_size(const IROp *op);
/* Calls visit(g, opaque) for every global the host ld/st op may touch:
 * those whose bytes it overlaps, all of them when its base is not env. */
void ir_opt_host_access_globals(IRContext *ctx, const IRGlobalSpan *span, const IROp *op,
                                void (*visit)(IRTempIdx g, void *opaque), void *opaque);

/* The second pass (optimize-live.c): liveness and dead-code removal. */
void ir_opt_liveness(IRContext *ctx, const IRGlobalSpan *span);

#endif
