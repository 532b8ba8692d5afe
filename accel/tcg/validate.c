/*
 * The IR validator: checks one TB's ops before a backend sees them.
 *
 * Two passes, both linear in the ops (the dataflow adds a factor of the
 * loop nesting depth at worst):
 *  1. each op on its own: opcode, argument counts, temp indices and types,
 *     outputs that may be written, constants in range, helper-call
 *     contracts, labels set once, goto_tb slots used once;
 *  2. liveness: basic blocks start at op 0, at every set_label and after
 *     every other block-ending op; a bb temp must be written earlier in its
 *     own block, a tb temp on every path from the TB's entry (a forward
 *     must-be-defined dataflow over the blocks, with bitsets).
 * Globals, constants and env are always readable.
 *
 * Errors read "IR op N (<dump of the op>): <rule>", code PROTEUS_ERROR_INVALID.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "proteus/error.h"
#include "proteus/ir.h"

#define NO_OP G_MAXUINT

typedef struct Validator {
    IRContext *ctx;
    GError **errp;
    guint *label_op;          /* per label: the op index of its set_label */
    unsigned goto_tb_used;    /* bit n: slot n seen */
} Validator;

static bool G_GNUC_PRINTF(3, 4) fail(Validator *v, guint i, const char *fmt, ...)
{
    g_autofree char *line = ir_op_to_string(v->ctx, ir_op(v->ctx, i));
    g_autofree char *rule = NULL;
    va_list ap;

    va_start(ap, fmt);
    rule = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    error_setg_code(v->errp, PROTEUS_ERROR_INVALID, "IR op %u (%s): %s", i, line, rule);
    return false;
}

static const char *type_name(IRType t)
{
    return t == IR_TYPE_I32 ? "i32" : t == IR_TYPE_I64 ? "i64" : "an unknown type";
}

/* How a temp reads in messages: the same spelling as the dump. */
static char *temp_name(IRContext *ctx, IRTempIdx idx)
{
    const IRTemp *t = ir_temp(ctx, idx);

    switch (t->kind) {
    case IR_TEMP_ENV:
        return g_strdup("env");
    case IR_TEMP_GLOBAL:
        return g_strdup(t->name ? t->name : "a global");
    case IR_TEMP_TB:
        return g_strdup_printf("tb%u", idx);
    case IR_TEMP_BB:
        return g_strdup_printf("t%u", idx);
    default:
        if (t->type == IR_TYPE_I32) {
            return g_strdup_printf("$0x%" PRIx32, (uint32_t)t->val);
        }
        return g_strdup_printf("$0x%" PRIx64, (uint64_t)t->val);
    }
}

static unsigned type_bits(IRType t)
{
    return t == IR_TYPE_I32 ? 32 : 64;
}

/* The type temp argument k (outputs first, then inputs) must have. */
static IRType arg_type(const IROp *op, unsigned k)
{
    const IRHelperInfo *info;

    switch (op->opc) {
    case IR_OP_call:
        info = (const IRHelperInfo *)(uintptr_t)op->args[op->nb_oargs + op->nb_iargs];
        return k < op->nb_oargs ? info->ret_type : info->arg_types[k - op->nb_oargs];
    case IR_OP_goto_ptr:
        return IR_TYPE_I64;
    case IR_OP_ext_i32_i64:
    case IR_OP_extu_i32_i64:
        return k == 0 ? IR_TYPE_I64 : IR_TYPE_I32;
    case IR_OP_extrl_i64_i32:
    case IR_OP_extrh_i64_i32:
        return k == 0 ? IR_TYPE_I32 : IR_TYPE_I64;
    case IR_OP_ld8u: case IR_OP_ld8s: case IR_OP_ld16u: case IR_OP_ld16s:
    case IR_OP_ld32u: case IR_OP_ld32s: case IR_OP_ld:
    case IR_OP_guest_ld:
    case IR_OP_atomic_cmpxchg:
    case IR_OP_atomic_rmw:
        /* o0, then the base pointer or guest address */
        return k == 1 ? IR_TYPE_I64 : op->type;
    case IR_OP_st8: case IR_OP_st16: case IR_OP_st32: case IR_OP_st:
    case IR_OP_guest_st:
        /* the value, then the base pointer or guest address */
        return k == 1 ? IR_TYPE_I64 : op->type;
    default:
        return op->type;
    }
}

static bool check_label(Validator *v, guint i, uint64_t l)
{
    if (l >= v->ctx->nb_labels) {
        return fail(v, i, "label L%" PRIu64 " out of range (%u labels)", l, v->ctx->nb_labels);
    }
    return true;
}

static bool check_cond(Validator *v, guint i, uint64_t c)
{
    if (c >= IR_COND_COUNT) {
        return fail(v, i, "condition %" PRIu64 " out of range", c);
    }
    return true;
}

static bool check_memop(Validator *v, guint i, const IROp *op, uint64_t mop)
{
    const uint64_t known = MO_SIZE | MO_SIGN | MO_BE | MO_ALIGN;
    unsigned bytes = 1u << (mop & MO_SIZE);

    if (mop & ~known) {
        return fail(v, i, "MemOp 0x%" PRIx64 " has unknown bits", mop);
    }
    if (bytes * 8 > type_bits(op->type)) {
        return fail(v, i, "MemOp size %u bytes is wider than %s", bytes, type_name(op->type));
    }
    if (mop & MO_SIGN) {
        if (op->opc == IR_OP_guest_st) {
            return fail(v, i, "MemOp sign on a store");
        }
        if (op->opc != IR_OP_guest_ld) {
            return fail(v, i, "MemOp sign on an atomic");
        }
        if (bytes * 8 == type_bits(op->type)) {
            return fail(v, i, "MemOp sign on a full-width load");
        }
    }
    return true;
}

/* A helper call's contract, against its IRHelperInfo. */
static bool check_call(Validator *v, guint i, const IROp *op)
{
    const unsigned known = IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS |
                           IR_CALL_NO_SIDE_EFFECTS | IR_CALL_MAY_RAISE;
    const IRHelperInfo *info;

    if (op->nb_cargs != 1 || op->nb_oargs > 1 ||
        op->nb_oargs + op->nb_iargs + op->nb_cargs > IR_MAX_ARGS) {
        return fail(v, i, "call argument counts %u/%u/%u are malformed",
                    op->nb_oargs, op->nb_iargs, op->nb_cargs);
    }
    info = (const IRHelperInfo *)(uintptr_t)op->args[op->nb_oargs + op->nb_iargs];
    if (!info) {
        return fail(v, i, "call without helper info");
    }
    if (!info->func) {
        return fail(v, i, "helper %s has no function", info->name);
    }
    if (info->nargs > IR_MAX_HELPER_ARGS) {
        return fail(v, i, "helper has %u arguments, at most %u", info->nargs, IR_MAX_HELPER_ARGS);
    }
    if (op->nb_oargs != (info->has_ret ? 1 : 0)) {
        return fail(v, i, "call has %u results, the helper %s", op->nb_oargs,
                    info->has_ret ? "returns a value" : "returns nothing");
    }
    if (op->nb_iargs != info->nargs) {
        return fail(v, i, "call passes %u arguments, the helper takes %u",
                    op->nb_iargs, info->nargs);
    }
    if (info->flags & ~known) {
        return fail(v, i, "helper flags 0x%x has unknown bits", info->flags);
    }
    if ((info->flags & IR_CALL_NO_SIDE_EFFECTS) && !info->has_ret) {
        return fail(v, i, "helper without side effects has no result, so the call is pointless");
    }
    if ((info->flags & IR_CALL_MAY_RAISE) && (info->flags & IR_CALL_NO_READ_GLOBALS)) {
        /* Raising hands the guest state to the exception path: globals
         * cached in host registers must have been written back first. */
        return fail(v, i, "helper that may raise cannot skip reading globals");
    }
    return true;
}

/* The constant arguments of an op whose counts are already right. */
static bool check_consts(Validator *v, guint i, const IROp *op)
{
    const uint64_t *c = op->args + op->nb_oargs + op->nb_iargs;
    unsigned width = type_bits(op->type);

    switch (op->opc) {
    case IR_OP_set_label:
        if (!check_label(v, i, c[0])) {
            return false;
        }
        if (v->label_op[c[0]] != NO_OP) {
            return fail(v, i, "label L%" PRIu64 " set twice (first at op %u)",
                        c[0], v->label_op[c[0]]);
        }
        v->label_op[c[0]] = i;
        return true;
    case IR_OP_br:
        return check_label(v, i, c[0]);
    case IR_OP_brcond:
        return check_cond(v, i, c[0]) && check_label(v, i, c[1]);
    case IR_OP_setcond:
    case IR_OP_movcond:
        return check_cond(v, i, c[0]);
    case IR_OP_goto_tb:
        if (c[0] > 1) {
            return fail(v, i, "goto_tb slot %" PRIu64 " out of range (0 or 1)", c[0]);
        }
        if (v->goto_tb_used & (1u << c[0])) {
            return fail(v, i, "goto_tb slot %" PRIu64 " used twice", c[0]);
        }
        v->goto_tb_used |= 1u << c[0];
        return true;
    case IR_OP_exit_tb:
        if ((c[0] & IR_EXIT_SLOT_MASK) == IR_EXIT_SLOT_MASK) {
            return fail(v, i, "exit_tb value 0x%" PRIx64 " has slot bits 3", c[0]);
        }
        return true;
    case IR_OP_mb:
        if (c[0] > IR_MB_ALL) {
            return fail(v, i, "barrier bits 0x%" PRIx64 " out of range", c[0]);
        }
        return true;
    case IR_OP_deposit:
    case IR_OP_extract:
    case IR_OP_sextract:
        if (c[1] < 1 || c[0] >= width || c[1] > width - c[0]) {
            return fail(v, i, "bit field pos %" PRIu64 " len %" PRIu64 " out of range for %s",
                        c[0], c[1], type_name(op->type));
        }
        return true;
    case IR_OP_ld8u: case IR_OP_ld8s: case IR_OP_ld16u: case IR_OP_ld16s:
    case IR_OP_ld32u: case IR_OP_ld32s: case IR_OP_ld:
    case IR_OP_st8: case IR_OP_st16: case IR_OP_st32: case IR_OP_st:
        if ((int64_t)c[0] != (int32_t)c[0]) {
            return fail(v, i, "host memory offset 0x%" PRIx64 " does not fit in 32 bits", c[0]);
        }
        return true;
    case IR_OP_atomic_rmw:
        if (c[2] > IR_ATOMIC_UMAX) {
            return fail(v, i, "atomic operation %" PRIu64 " out of range", c[2]);
        }
        return check_memop(v, i, op, c[0]);
    case IR_OP_guest_ld:
    case IR_OP_guest_st:
    case IR_OP_atomic_cmpxchg:
        return check_memop(v, i, op, c[0]);
    default:
        return true;
    }
}

/* Pass 1: one op on its own. */
static bool check_op(Validator *v, guint i)
{
    IRContext *ctx = v->ctx;
    const IROp *op = ir_op(ctx, i);
    const IROpDef *def;
    unsigned nt;

    if ((unsigned)op->opc >= IR_OP_COUNT) {
        return fail(v, i, "opcode %u out of range", (unsigned)op->opc);
    }
    def = &ir_op_defs[op->opc];
    if (def->flags & IR_OPF_CALL) {
        if (!check_call(v, i, op)) {
            return false;
        }
    } else if (op->nb_oargs != def->nb_oargs || op->nb_iargs != def->nb_iargs ||
               op->nb_cargs != def->nb_cargs) {
        return fail(v, i, "argument counts %u/%u/%u, %s takes %u/%u/%u",
                    op->nb_oargs, op->nb_iargs, op->nb_cargs, def->name,
                    def->nb_oargs, def->nb_iargs, def->nb_cargs);
    }
    if (def->flags & IR_OPF_TYPED) {
        if (op->type != IR_TYPE_I32 && op->type != IR_TYPE_I64) {
            return fail(v, i, "op type %u is neither i32 nor i64", (unsigned)op->type);
        }
        if ((def->flags & IR_OPF_64_ONLY) && op->type != IR_TYPE_I64) {
            return fail(v, i, "%s is 64-bit only", def->name);
        }
    }

    nt = op->nb_oargs + op->nb_iargs;
    for (unsigned k = 0; k < nt; k++) {
        uint64_t idx = op->args[k];
        const IRTemp *t;
        IRType want;

        if (idx >= ctx->temps->len) {
            return fail(v, i, "temp %" PRIu64 " out of range (%u temps)", idx, ctx->temps->len);
        }
        t = ir_temp(ctx, idx);
        if (k < op->nb_oargs && t->kind == IR_TEMP_CONST) {
            return fail(v, i, "writes a constant");
        }
        if (k < op->nb_oargs && t->kind == IR_TEMP_ENV) {
            return fail(v, i, "writes env");
        }
        want = arg_type(op, k);
        if (t->type != want) {
            g_autofree char *name = temp_name(ctx, idx);

            return fail(v, i, "type of %s is %s, the op needs %s", name,
                        type_name(t->type), type_name(want));
        }
    }
    return check_consts(v, i, op);
}

/* ---- pass 2: liveness ---- */

typedef struct Block {
    guint start, end;         /* ops [start, end) */
    guint succ[2];            /* NO_OP when absent */
} Block;

static bool is_block_start(IRContext *ctx, guint i)
{
    const IROp *prev;

    if (i == 0 || ir_op(ctx, i)->opc == IR_OP_set_label) {
        return true;
    }
    prev = ir_op(ctx, i - 1);
    return prev->opc != IR_OP_set_label && (ir_op_defs[prev->opc].flags & IR_OPF_BB_END);
}

/* Splits the ops into blocks and links them; checks every branch target is set. */
static bool build_blocks(Validator *v, GArray *blocks, guint *label_block)
{
    IRContext *ctx = v->ctx;
    guint n = ir_op_count(ctx);

    for (guint i = 0; i < n; i++) {
        const IROp *op = ir_op(ctx, i);

        if (is_block_start(ctx, i)) {
            Block b = { .start = i, .succ = { NO_OP, NO_OP } };

            if (blocks->len) {
                g_array_index(blocks, Block, blocks->len - 1).end = i;
            }
            g_array_append_val(blocks, b);
        }
        if (op->opc == IR_OP_set_label) {
            label_block[op->args[0]] = blocks->len - 1;
        } else if (op->opc == IR_OP_br || op->opc == IR_OP_brcond) {
            uint64_t l = op->args[op->opc == IR_OP_br ? 0 : 3];

            if (v->label_op[l] == NO_OP) {
                return fail(v, i, "branch to label L%" PRIu64 ", which is never set", l);
            }
        }
    }
    if (blocks->len) {
        g_array_index(blocks, Block, blocks->len - 1).end = n;
    }
    for (guint b = 0; b < blocks->len; b++) {
        Block *blk = &g_array_index(blocks, Block, b);
        const IROp *last = ir_op(ctx, blk->end - 1);
        guint next = b + 1 < blocks->len ? b + 1 : NO_OP;

        switch (last->opc) {
        case IR_OP_br:
            blk->succ[0] = label_block[last->args[0]];
            break;
        case IR_OP_brcond:
            blk->succ[0] = next;
            blk->succ[1] = label_block[last->args[3]];
            break;
        case IR_OP_exit_tb:
        case IR_OP_goto_ptr:
            break;
        default:
            blk->succ[0] = next;
            break;
        }
    }
    return true;
}

/*
 * The tb temps certainly written on entry to each block: in[entry] = {},
 * in[b] = the intersection of (in[p] | written in p) over b's
 * predecessors. Starts from "all" and only shrinks; blocks are visited in
 * op order, so forward edges settle in one sweep and each loop level adds
 * one more.
 */
static void tb_dataflow(IRContext *ctx, GArray *blocks, const guint *tb_bit,
                        guint words, uint64_t *in)
{
    guint nb = blocks->len;
    g_autofree uint64_t *def = g_new0(uint64_t, (size_t)nb * words);
    g_autofree uint64_t *out = g_new(uint64_t, words);
    bool changed;

    for (guint b = 0; b < nb; b++) {
        const Block *blk = &g_array_index(blocks, Block, b);

        for (guint i = blk->start; i < blk->end; i++) {
            const IROp *op = ir_op(ctx, i);

            for (unsigned k = 0; k < op->nb_oargs; k++) {
                guint bit = tb_bit[op->args[k]];

                if (bit != NO_OP) {
                    def[(size_t)b * words + bit / 64] |= 1ull << (bit % 64);
                }
            }
        }
    }
    memset(in, 0, (size_t)words * sizeof(uint64_t));
    memset(in + words, 0xff, (size_t)(nb - 1) * words * sizeof(uint64_t));
    do {
        changed = false;
        for (guint b = 0; b < nb; b++) {
            const Block *blk = &g_array_index(blocks, Block, b);

            for (guint w = 0; w < words; w++) {
                out[w] = in[(size_t)b * words + w] | def[(size_t)b * words + w];
            }
            for (unsigned s = 0; s < 2; s++) {
                uint64_t *sin;

                if (blk->succ[s] == NO_OP || blk->succ[s] == 0) {
                    continue;
                }
                sin = in + (size_t)blk->succ[s] * words;
                for (guint w = 0; w < words; w++) {
                    uint64_t nv = sin[w] & out[w];

                    if (nv != sin[w]) {
                        sin[w] = nv;
                        changed = true;
                    }
                }
            }
        }
    } while (changed);
}

static bool check_liveness(Validator *v)
{
    IRContext *ctx = v->ctx;
    guint nt = ctx->temps->len;
    g_autoptr(GArray) blocks = g_array_new(FALSE, FALSE, sizeof(Block));
    g_autofree guint *label_block = g_new(guint, ctx->nb_labels ? ctx->nb_labels : 1);
    g_autofree guint *tb_bit = g_new(guint, nt);
    g_autofree guint *bb_block = g_new(guint, nt);
    g_autofree uint64_t *in = NULL;
    g_autofree uint64_t *cur = NULL;
    guint nb_tb = 0, words;

    if (!build_blocks(v, blocks, label_block)) {
        return false;
    }
    if (!blocks->len) {
        return true;
    }
    for (guint t = 0; t < nt; t++) {
        tb_bit[t] = ir_temp(ctx, t)->kind == IR_TEMP_TB ? nb_tb++ : NO_OP;
        bb_block[t] = NO_OP;
    }
    words = (nb_tb + 63) / 64;
    if (words) {
        in = g_new(uint64_t, (size_t)blocks->len * words);
        cur = g_new(uint64_t, words);
        tb_dataflow(ctx, blocks, tb_bit, words, in);
    }

    for (guint b = 0; b < blocks->len; b++) {
        const Block *blk = &g_array_index(blocks, Block, b);

        if (words) {
            memcpy(cur, in + (size_t)b * words, words * sizeof(uint64_t));
        }
        for (guint i = blk->start; i < blk->end; i++) {
            const IROp *op = ir_op(ctx, i);

            for (unsigned k = op->nb_oargs; k < op->nb_oargs + op->nb_iargs; k++) {
                IRTempIdx t = op->args[k];
                IRTempKind kind = ir_temp(ctx, t)->kind;

                if (kind == IR_TEMP_BB && bb_block[t] != b) {
                    g_autofree char *name = temp_name(ctx, t);

                    return fail(v, i, "bb temp %s is read before it is written in its "
                                "basic block", name);
                }
                if (kind == IR_TEMP_TB && !(cur[tb_bit[t] / 64] & (1ull << (tb_bit[t] % 64)))) {
                    g_autofree char *name = temp_name(ctx, t);

                    return fail(v, i, "tb temp %s may be read before it is written "
                                "on some path", name);
                }
            }
            for (unsigned k = 0; k < op->nb_oargs; k++) {
                IRTempIdx t = op->args[k];

                if (ir_temp(ctx, t)->kind == IR_TEMP_BB) {
                    bb_block[t] = b;
                } else if (tb_bit[t] != NO_OP) {
                    cur[tb_bit[t] / 64] |= 1ull << (tb_bit[t] % 64);
                }
            }
        }
    }
    return true;
}

bool ir_validate(IRContext *ctx, GError **errp)
{
    g_autofree guint *label_op = g_new(guint, ctx->nb_labels ? ctx->nb_labels : 1);
    Validator v = { .ctx = ctx, .errp = errp, .label_op = label_op };

    for (guint l = 0; l < ctx->nb_labels; l++) {
        label_op[l] = NO_OP;
    }
    for (guint i = 0; i < ir_op_count(ctx); i++) {
        if (!check_op(&v, i)) {
            return false;
        }
    }
    return check_liveness(&v);
}
