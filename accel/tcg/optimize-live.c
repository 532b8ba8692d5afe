/*
 * The optimizer's second pass: backward liveness and dead-code removal.
 *
 * An op without side effects whose outputs are all dead goes (a helper
 * call only when it is declared side-effect free, leaves globals alone
 * and cannot raise). Liveness is one backward sweep:
 *  - globals are live at TB exits (exit_tb, goto_ptr, goto_tb, the end),
 *    at guest memory accesses (a fault hands the guest state over), at
 *    calls that read globals or may raise, and at host loads that may
 *    overlap them;
 *  - bb temps die at the end of their basic block (a generation counter
 *    kills them all at once);
 *  - tb temps and globals follow the branches: a bitset per label records
 *    what is live just after it, so a forward branch (the usual kind)
 *    gets its target's exact set, and a backward branch, whose target is
 *    not swept yet, assumes everything is live.
 */
#include <string.h>

#include "accel/tcg/optimize.h"

#define NO_SLOT UINT32_MAX
#define BB_SLOT (UINT32_MAX - 1)

/* ---- host loads and stores that may touch globals ---- */

void ir_opt_global_span(IRContext *ctx, IRGlobalSpan *span)
{
    span->lo = INT64_MAX;
    span->hi = INT64_MIN;
    for (IRTempIdx g = 1; g < ctx->nb_globals; g++) {
        const IRTemp *t = ir_temp(ctx, g);

        span->lo = MIN(span->lo, t->mem_offset);
        span->hi = MAX(span->hi, (int64_t)t->mem_offset + (t->type == IR_TYPE_I32 ? 4 : 8));
    }
}

unsigned ir_opt_host_access_size(const IROp *op)
{
    switch (op->opc) {
    case IR_OP_ld8u: case IR_OP_ld8s: case IR_OP_st8:
        return 1;
    case IR_OP_ld16u: case IR_OP_ld16s: case IR_OP_st16:
        return 2;
    case IR_OP_ld32u: case IR_OP_ld32s: case IR_OP_st32:
        return 4;
    default:
        return op->type == IR_TYPE_I32 ? 4 : 8;
    }
}

void ir_opt_host_access_globals(IRContext *ctx, const IRGlobalSpan *span, const IROp *op,
                                void (*visit)(IRTempIdx g, void *opaque), void *opaque)
{
    IRTempIdx base = op->args[op->nb_oargs + op->nb_iargs - 1];
    int64_t ofs = (int64_t)op->args[op->nb_oargs + op->nb_iargs];
    int64_t end = ofs + ir_opt_host_access_size(op);

    /* Through env the offsets tell; through another pointer anything may be hit. */
    if (base == 0 && (ofs >= span->hi || end <= span->lo)) {
        return;
    }
    for (IRTempIdx g = 1; g < ctx->nb_globals; g++) {
        const IRTemp *t = ir_temp(ctx, g);
        int64_t lo = t->mem_offset, hi = lo + (t->type == IR_TYPE_I32 ? 4 : 8);

        if (base != 0 || (ofs < hi && end > lo)) {
            visit(g, opaque);
        }
    }
}

/* ---- liveness ---- */

typedef struct Liveness {
    uint32_t *slot;          /* per temp: bit of a global or tb temp, BB_SLOT, NO_SLOT */
    uint32_t *bb_live;       /* per bb temp: live while equal to gen */
    uint32_t gen;
    guint words;
    uint64_t *live;          /* globals and tb temps live here */
    uint64_t *globals;       /* the globals' bits */
    const IRGlobalSpan *span;
} Liveness;

static bool temp_live(const Liveness *l, IRTempIdx t)
{
    uint32_t s = l->slot[t];

    if (s == BB_SLOT) {
        return l->bb_live[t] == l->gen;
    }
    return s == NO_SLOT || (l->live[s / 64] >> (s % 64)) & 1;
}

static void temp_kill(Liveness *l, IRTempIdx t)
{
    uint32_t s = l->slot[t];

    if (s == BB_SLOT) {
        l->bb_live[t] = 0;
    } else if (s != NO_SLOT) {
        l->live[s / 64] &= ~(1ull << (s % 64));
    }
}

static void temp_use(Liveness *l, IRTempIdx t)
{
    uint32_t s = l->slot[t];

    if (s == BB_SLOT) {
        l->bb_live[t] = l->gen;
    } else if (s != NO_SLOT) {
        l->live[s / 64] |= 1ull << (s % 64);
    }
}

static void visit_use(IRTempIdx g, void *opaque)
{
    temp_use(opaque, g);
}

static void globals_used(Liveness *l)
{
    for (guint w = 0; w < l->words; w++) {
        l->live[w] |= l->globals[w];
    }
}

/* Whether removing a call with a dead result changes nothing observable. */
static bool call_removable(const IRHelperInfo *info)
{
    unsigned need = IR_CALL_NO_SIDE_EFFECTS | IR_CALL_NO_WRITE_GLOBALS;

    return (info->flags & need) == need && !(info->flags & IR_CALL_MAY_RAISE);
}

/* Whether op is dead; otherwise moves l from after op to before it. */
static bool liveness_step(IRContext *ctx, Liveness *l, IROp *op, uint64_t *label_live,
                          uint8_t *label_seen)
{
    unsigned flags = ir_op_defs[op->opc].flags;
    const uint64_t *c = op->args + op->nb_oargs + op->nb_iargs;
    bool removable = !(flags & IR_OPF_SIDE_EFFECTS);
    bool reads_globals = (flags & IR_OPF_GUEST_MEM) || op->opc == IR_OP_goto_tb;
    bool host_load = false;

    switch (op->opc) {
    case IR_OP_set_label:
        memcpy(label_live + c[0] * l->words, l->live, l->words * sizeof(uint64_t));
        label_seen[c[0]] = 1;
        l->gen++;
        return false;
    case IR_OP_br:
    case IR_OP_brcond: {
        uint64_t label = c[op->opc == IR_OP_br ? 0 : 1];

        for (guint w = 0; w < l->words; w++) {
            /* a backward branch: what is live at its label is not known yet */
            uint64_t there = label_seen[label] ? label_live[label * l->words + w] : ~0ull;

            l->live[w] = op->opc == IR_OP_br ? there : l->live[w] | there;
        }
        l->gen++;
        break;
    }
    case IR_OP_exit_tb:
    case IR_OP_goto_ptr:
        memcpy(l->live, l->globals, l->words * sizeof(uint64_t));
        l->gen++;
        break;
    case IR_OP_call: {
        const IRHelperInfo *info = (const IRHelperInfo *)(uintptr_t)c[0];

        removable = call_removable(info);
        reads_globals = !(info->flags & IR_CALL_NO_READ_GLOBALS) ||
                        (info->flags & IR_CALL_MAY_RAISE);
        break;
    }
    case IR_OP_ld8u: case IR_OP_ld16u: case IR_OP_ld32u:
    case IR_OP_ld8s: case IR_OP_ld16s: case IR_OP_ld32s: case IR_OP_ld:
        host_load = true;
        break;
    default:
        break;
    }
    if (removable) {
        bool any_live = false;

        for (unsigned k = 0; k < op->nb_oargs; k++) {
            any_live |= temp_live(l, op->args[k]);
        }
        if (!any_live && op->nb_oargs) {
            return true;
        }
    }
    for (unsigned k = 0; k < op->nb_oargs; k++) {
        temp_kill(l, op->args[k]);
    }
    if (reads_globals) {
        globals_used(l);
    }
    if (host_load) {
        ir_opt_host_access_globals(ctx, l->span, op, visit_use, l);
    }
    for (unsigned k = op->nb_oargs; k < op->nb_oargs + op->nb_iargs; k++) {
        temp_use(l, op->args[k]);
    }
    return false;
}

void ir_opt_liveness(IRContext *ctx, const IRGlobalSpan *span)
{
    guint nt = ctx->temps->len, n = ctx->ops->len, nslots = 0, w = 0;
    guint nb_labels = ctx->nb_labels;
    IROp *ops = (IROp *)ctx->ops->data;
    Liveness l = { .gen = 1, .span = span };
    uint64_t *label_live;
    uint8_t *label_seen, *dead;
    g_autofree void *block = NULL;

    for (IRTempIdx t = 0; t < nt; t++) {
        IRTempKind kind = ir_temp(ctx, t)->kind;

        nslots += kind == IR_TEMP_GLOBAL || kind == IR_TEMP_TB;
    }
    l.words = nslots / 64 + 1;
    /* one zeroed block: the bitsets, then the per-temp words, then bytes */
    block = g_malloc0(((size_t)2 + nb_labels) * l.words * sizeof(uint64_t) +
                      (size_t)2 * nt * sizeof(uint32_t) + nb_labels + n);
    l.live = block;
    l.globals = l.live + l.words;
    label_live = l.globals + l.words;
    l.slot = (uint32_t *)(label_live + (size_t)nb_labels * l.words);
    l.bb_live = l.slot + nt;
    label_seen = (uint8_t *)(l.bb_live + nt);
    dead = label_seen + nb_labels;

    nslots = 0;
    for (IRTempIdx t = 0; t < nt; t++) {
        IRTempKind kind = ir_temp(ctx, t)->kind;

        l.slot[t] = kind == IR_TEMP_GLOBAL || kind == IR_TEMP_TB ? nslots++ :
                    kind == IR_TEMP_BB ? BB_SLOT : NO_SLOT;
    }
    for (IRTempIdx g = 1; g < ctx->nb_globals; g++) {
        l.globals[l.slot[g] / 64] |= 1ull << (l.slot[g] % 64);
    }
    /* Falling off the end leaves the TB too. */
    memcpy(l.live, l.globals, l.words * sizeof(uint64_t));

    for (guint i = n; i-- > 0;) {
        dead[i] = liveness_step(ctx, &l, &ops[i], label_live, label_seen);
    }
    for (guint i = 0; i < n; i++) {
        if (!dead[i]) {
            if (w != i) {
                ops[w] = ops[i];
            }
            w++;
        }
    }
    g_array_set_size(ctx->ops, w);
}
