/*
 * Which guest instruction is running at each point of a TB's code, for
 * find_insn after a helper raises.
 *
 * The running instruction is the last insn_start executed. In straight
 * code that is the last one before in IR order; after a label it is what
 * the branches to the label (and the fall-through into it) bring, found
 * by a small dataflow over the labels. The host-offset map gets an entry
 * at each insn_start and at each label whose instruction differs, so a
 * return address inside any code tells the instruction.
 *
 * When the branches to a label bring different instructions (IR that
 * jumps across insn_starts, which frontends do not emit but the IR
 * allows), the instruction is only known at run time: such a TB keeps the
 * running insn's index in a frame slot, written at each insn_start, and
 * calls helpers there through a per-insn stub ("sub rsp, 8; call rax;
 * add rsp, 8; ret") picked by that index, so that the helper's return
 * address lies in the stub of the running instruction.
 */
#include "accel/tcg/host/x86_64.h"

#define STUB_SIZE 16

static int32_t insn_join(int32_t a, int32_t b)
{
    if (a == JIT_INSN_UNSET) {
        return b;
    }
    if (b == JIT_INSN_UNSET || a == b) {
        return a;
    }
    /* Code before the first insn_start (the TB's exit check) calls no
     * helper and cannot fault, so no instruction needs to be told apart
     * there: a loop back to the TB's top joins it with the back edge's. */
    if (a == JIT_INSN_NONE) {
        return b;
    }
    if (b == JIT_INSN_NONE) {
        return a;
    }
    return JIT_INSN_MULTI;
}

void jit_insn_flow(JitGen *s)
{
    IRContext *ctx = s->ctx;
    guint nops = ir_op_count(ctx);
    bool changed;

    g_array_set_size(s->insn_words, 0);
    for (guint l = 0; l < ctx->nb_labels; l++) {
        s->labels[l].insn_in = JIT_INSN_UNSET;
        s->labels[l].insn = JIT_INSN_UNSET;
    }
    for (guint i = 0; i < nops; i++) {
        IROp *op = ir_op(ctx, i);

        if (op->opc == IR_OP_insn_start) {
            g_array_append_vals(s->insn_words, op->args, 1);
        }
    }
    /* Each pass follows the ops in order; back edges feed the next pass.
     * A label's value only moves up UNSET -> one insn -> MULTI. */
    do {
        int32_t cur = JIT_INSN_NONE, next = 0;
        bool reachable = true;

        changed = false;
        for (guint i = 0; i < nops; i++) {
            IROp *op = ir_op(ctx, i);
            JitLabel *lab;
            int32_t v;

            switch (op->opc) {
            case IR_OP_insn_start:
                cur = next++;
                break;
            case IR_OP_set_label:
                lab = &s->labels[op->args[0]];
                cur = reachable ? insn_join(cur, lab->insn_in) : lab->insn_in;
                lab->insn = cur;
                reachable = true;
                break;
            case IR_OP_br:
            case IR_OP_brcond:
                lab = &s->labels[op->args[op->opc == IR_OP_br ? 0 : 3]];
                if (reachable) {
                    v = insn_join(lab->insn_in, cur);
                    changed |= v != lab->insn_in;
                    lab->insn_in = v;
                }
                reachable = op->opc == IR_OP_brcond;
                break;
            case IR_OP_exit_tb:
            case IR_OP_goto_ptr:
                reachable = false;
                break;
            default:
                break;
            }
        }
    } while (changed);
    s->dyn_insn = false;
    for (guint l = 0; l < ctx->nb_labels; l++) {
        s->dyn_insn |= s->labels[l].insn == JIT_INSN_MULTI;
    }
}

/* The map entry for the code from here on. */
static void map_here(JitGen *s, int32_t insn)
{
    JitInsn e = { .host_off = s->code.pos - s->tb_start, .insn = insn };
    guint n = s->insns->len;

    if (n > 0) {
        JitInsn *last = &g_array_index(s->insns, JitInsn, n - 1);

        if (last->host_off == e.host_off) {
            last->insn = insn;
            return;
        }
        if (last->insn == insn) {
            return;
        }
    } else if (insn == JIT_INSN_NONE) {
        return;
    }
    g_array_append_val(s->insns, e);
}

static void store_running(JitGen *s, int32_t index)
{
    x86_store_imm(&s->code, 2, index, X86_RSP, X86_NO_REG, s->dyn_slot);
}

void jit_insn_entry(JitGen *s)
{
    s->cur_insn = JIT_INSN_NONE;
    if (s->dyn_insn) {
        /* The index after the last insn is the stub of "none". */
        store_running(s, s->insn_words->len);
    }
}

void jit_insn_start(JitGen *s)
{
    /* insn_starts are numbered in IR order, as in jit_insn_flow. */
    int32_t k = s->insn_count++;

    s->cur_insn = k;
    map_here(s, k);
    if (s->dyn_insn) {
        store_running(s, k);
    }
}

void jit_insn_label(JitGen *s, IRLabel l)
{
    int32_t insn = s->labels[l].insn;

    if (insn == JIT_INSN_UNSET) {
        insn = JIT_INSN_NONE;
    }
    s->cur_insn = insn;
    map_here(s, insn);
}

void jit_insn_call(JitGen *s, int32_t insn, uintptr_t target)
{
    size_t field;

    if (insn != JIT_INSN_MULTI) {
        x86_call_abs(&s->code, target, JIT_TMP_REG);
        return;
    }
    /* lea r11, [rip + stubs] (REX.WR 8D /r, mod 00 rm 101). */
    x86_byte(&s->code, 0x4c);
    x86_byte(&s->code, 0x8d);
    x86_byte(&s->code, 0x1d);
    field = s->code.pos;
    x86_u32(&s->code, 0);
    g_array_append_val(s->stub_fixups, field);
    x86_load(&s->code, X86_LD32, X86_R10, X86_RSP, X86_NO_REG, s->dyn_slot);
    x86_shift_ri(&s->code, X86_SHL, false, X86_R10, 4);
    x86_alu_rr(&s->code, X86_ADD, true, X86_R11, X86_R10);
    x86_movi(&s->code, true, X86_RAX, (int64_t)target);
    x86_rr(&s->code, 0xff, 2, X86_R11);
}

void jit_insn_emit_stubs(JitGen *s)
{
    guint n = s->insn_words->len;
    size_t base;

    if (s->stub_fixups->len == 0) {
        return;
    }
    x86_align(&s->code, STUB_SIZE, 0);
    base = s->code.pos;
    for (guint k = 0; k < s->stub_fixups->len; k++) {
        x86_patch_rel32(&s->code, g_array_index(s->stub_fixups, size_t, k), base);
    }
    for (guint k = 0; k <= n; k++) {
        size_t start = s->code.pos;

        map_here(s, k < n ? (int32_t)k : JIT_INSN_NONE);
        /* Keeps rsp 16-byte aligned at the helper's call. */
        x86_alu_ri(&s->code, X86_SUB, true, X86_RSP, 8);
        x86_rr(&s->code, 0xff, 2, X86_RAX);
        x86_alu_ri(&s->code, X86_ADD, true, X86_RSP, 8);
        x86_ret(&s->code);
        x86_align(&s->code, STUB_SIZE, 0);
        g_assert(s->code.pos - start == STUB_SIZE);
    }
}
