/*
 * Helper calls from generated code (SysV x86-64 ABI: arguments in rdi,
 * rsi, rdx, rcx, r8, r9, result in rax, rsp 16-byte aligned at the call,
 * which the prologue's frame guarantees).
 *
 * The helper ABI (runtime.c) passes every argument and result as a 64-bit
 * integer: i32 arguments are already zero-extended in registers (the
 * backend's invariant) and an i32 result is truncated with mov eax, eax.
 *
 * Globals around a call, as the helper's flags allow:
 *   written back before  unless it neither reads nor writes them (and
 *                        cannot raise, which needs the guest state exact);
 *   forgotten after      unless it writes none (IR_CALL_NO_WRITE_GLOBALS).
 */
#include "accel/tcg/host/x86_64.h"

static const int8_t arg_regs[IR_MAX_HELPER_ARGS] = {
    X86_RDI, X86_RSI, X86_RDX, X86_RCX, X86_R8, X86_R9,
};

/* Where an argument's value is before the call. */
typedef struct ArgSrc {
    int reg;                   /* register, or -1: load it with jit_temp_load_to */
    IRTempIdx t;
} ArgSrc;

/*
 * Moves the register sources into the argument registers, which may
 * themselves be sources (a parallel move): emit a move whose destination
 * no pending move still reads; on a cycle, park one source in the scratch
 * register.
 */
static void parallel_move(JitGen *s, ArgSrc *src, unsigned n)
{
    bool done[IR_MAX_HELPER_ARGS] = { false };
    unsigned left = 0;

    for (unsigned k = 0; k < n; k++) {
        if (src[k].reg < 0 || src[k].reg == arg_regs[k]) {
            done[k] = true;
        } else {
            left++;
        }
    }
    while (left > 0) {
        bool progress = false;

        for (unsigned k = 0; k < n; k++) {
            bool blocked = false;

            if (done[k]) {
                continue;
            }
            for (unsigned j = 0; j < n; j++) {
                blocked |= !done[j] && j != k && src[j].reg == arg_regs[k];
            }
            if (!blocked) {
                x86_mov_rr(&s->code, true, arg_regs[k], src[k].reg);
                done[k] = true;
                left--;
                progress = true;
            }
        }
        if (!progress) {
            /* Every pending destination is still read: break the cycle. */
            for (unsigned k = 0; k < n; k++) {
                if (!done[k]) {
                    int from = src[k].reg;

                    x86_mov_rr(&s->code, true, JIT_TMP_REG, from);
                    for (unsigned j = 0; j < n; j++) {
                        if (!done[j] && src[j].reg == from) {
                            src[j].reg = JIT_TMP_REG;
                        }
                    }
                    break;
                }
            }
        }
    }
}

void jit_lower_call(JitGen *s, unsigned i)
{
    IROp *op = ir_op(s->ctx, i);
    const IRHelperInfo *info = (const IRHelperInfo *)(uintptr_t)
        op->args[op->nb_oargs + op->nb_iargs];
    unsigned flags = info->flags, n = op->nb_iargs;
    bool write_back = !((flags & IR_CALL_NO_READ_GLOBALS) && (flags & IR_CALL_NO_WRITE_GLOBALS)) ||
                      (flags & IR_CALL_MAY_RAISE);
    bool forget = !(flags & IR_CALL_NO_WRITE_GLOBALS);
    ArgSrc src[IR_MAX_HELPER_ARGS];
    uint16_t dying = 0;

    g_assert(n == info->nargs && n <= IR_MAX_HELPER_ARGS);
    g_assert(op->nb_oargs == (info->has_ret ? 1 : 0));
    if (write_back) {
        jit_sync(s, false);
    }
    /* Where the arguments are now; a register's content stays valid
     * until the argument moves below, whatever the allocator records. */
    for (unsigned k = 0; k < n; k++) {
        IRTempIdx t = op->args[op->nb_oargs + k];
        IRTemp *it = jit_irt(s, t);
        JitTemp *ts = jit_ts(s, t);

        src[k].t = t;
        src[k].reg = -1;
        if (it->kind == IR_TEMP_ENV) {
            src[k].reg = JIT_ENV_REG;
        } else if (it->kind != IR_TEMP_CONST && ts->loc == JIT_LOC_REG) {
            src[k].reg = ts->reg;
            if (jit_arg_dead(s, i, op->nb_oargs + k)) {
                dying |= 1u << ts->reg;
            }
        }
    }
    /* A temp passed twice dies only if no other use keeps it: the liveness
     * pass marks one use, which is enough, as both read the same register. */
    jit_spill_caller_saved(s, dying, forget);
    parallel_move(s, src, n);
    for (unsigned k = 0; k < n; k++) {
        if (src[k].reg < 0) {
            jit_temp_load_to(s, src[k].t, arg_regs[k]);
        }
    }
    jit_insn_call(s, s->cur_insn, (uintptr_t)info->func);
    if (forget) {
        jit_forget_globals(s);
    }
    if (info->has_ret) {
        if (info->ret_type == IR_TYPE_I32) {
            x86_mov_rr(&s->code, false, X86_RAX, X86_RAX);
        }
        jit_reg_take(s, X86_RAX);
        jit_temp_set_reg(s, op->args[0], X86_RAX);
    }
    jit_op_done(s, i);
}
