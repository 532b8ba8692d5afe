/*
 * Lowering of the IR's control, arithmetic, logic, comparison, extension,
 * bit-field and bit-count ops to x86-64 (memory ops are in x86_64-mem.c,
 * calls in x86_64-call.c).
 *
 * i32 ops use 32-bit instructions, which zero the upper half of their
 * destination, so i32 values stay zero-extended in registers (the
 * invariant x86_64.h states). Every op's semantics are exact for all
 * inputs as ir-ops.h defines them; x86 shift counts are masked by the
 * hardware to 31/63, which is the IR's "modulo the width".
 */
#include "accel/tcg/host/x86_64.h"

#define REG(r) (1u << (r))

static bool op_is64(const IROp *op)
{
    return op->type == IR_TYPE_I64;
}

/* b as an immediate operand of a 32/64-bit ALU instruction, if it is a
 * constant that fits (imm32 is sign-extended in 64-bit instructions). */
static bool imm_operand(JitGen *s, IRTempIdx b, bool is64, int32_t *imm)
{
    int64_t v;

    if (!jit_temp_is_const(s, b)) {
        return false;
    }
    v = jit_irt(s, b)->val;
    if (is64 && !x86_fits_i32(v)) {
        return false;
    }
    *imm = (int32_t)v;
    return true;
}

/* ---- labels ---- */

static void label_bind(JitGen *s, IRLabel l)
{
    JitLabel *lab = &s->labels[l];

    g_assert(lab->pos < 0);
    lab->pos = s->code.pos;
    for (int32_t f = lab->fixups; f >= 0;) {
        JitFixup *fx = &g_array_index(s->fixups, JitFixup, f);

        x86_patch_rel32(&s->code, fx->field, lab->pos);
        f = fx->next;
    }
    lab->fixups = -1;
}

static void label_jump(JitGen *s, IRLabel l, bool cond, X86Cond cc)
{
    JitLabel *lab = &s->labels[l];
    JitFixup fx;

    if (lab->pos >= 0) {
        if (cond) {
            x86_jcc_back(&s->code, cc, lab->pos);
        } else {
            x86_jmp_back(&s->code, lab->pos);
        }
        return;
    }
    fx.field = cond ? x86_jcc_rel32(&s->code, cc, -1) : x86_jmp_rel32(&s->code, -1);
    fx.next = lab->fixups;
    lab->fixups = s->fixups->len;
    g_array_append_val(s->fixups, fx);
}

/* ---- comparisons ---- */

static X86Cond jit_cond(IRCond cond)
{
    static const X86Cond map[IR_COND_COUNT] = {
        [IR_COND_EQ] = X86_CC_E, [IR_COND_NE] = X86_CC_NE,
        [IR_COND_LT] = X86_CC_L, [IR_COND_GE] = X86_CC_GE,
        [IR_COND_LE] = X86_CC_LE, [IR_COND_GT] = X86_CC_G,
        [IR_COND_LTU] = X86_CC_B, [IR_COND_GEU] = X86_CC_AE,
        [IR_COND_LEU] = X86_CC_BE, [IR_COND_GTU] = X86_CC_A,
        [IR_COND_TSTEQ] = X86_CC_E, [IR_COND_TSTNE] = X86_CC_NE,
    };

    g_assert(cond != IR_COND_NEVER && cond != IR_COND_ALWAYS && cond < IR_COND_COUNT);
    return map[cond];
}

static IRCond cond_swap(IRCond cond)
{
    switch (cond) {
    case IR_COND_LT: return IR_COND_GT;
    case IR_COND_GT: return IR_COND_LT;
    case IR_COND_LE: return IR_COND_GE;
    case IR_COND_GE: return IR_COND_LE;
    case IR_COND_LTU: return IR_COND_GTU;
    case IR_COND_GTU: return IR_COND_LTU;
    case IR_COND_LEU: return IR_COND_GEU;
    case IR_COND_GEU: return IR_COND_LEU;
    default: return cond;
    }
}

/* A comparison with its operands loaded, ready to emit. */
typedef struct JitCmp {
    IRCond cond;
    bool is64;
    bool has_imm;
    int ra, rb;
    int32_t imm;
} JitCmp;

static JitCmp cmp_load(JitGen *s, IRCond cond, bool is64, IRTempIdx a, IRTempIdx b)
{
    JitCmp c = { .cond = cond, .is64 = is64 };

    if (jit_temp_is_const(s, a) && !jit_temp_is_const(s, b)) {
        IRTempIdx t = a;

        a = b;
        b = t;
        c.cond = cond_swap(cond);
    }
    c.ra = jit_temp_load(s, a, 0);
    c.has_imm = imm_operand(s, b, is64, &c.imm);
    if (!c.has_imm) {
        c.rb = jit_temp_load(s, b, 0);
    }
    return c;
}

static X86Cond cmp_emit(JitGen *s, const JitCmp *c)
{
    bool test = c->cond == IR_COND_TSTEQ || c->cond == IR_COND_TSTNE;

    if (c->has_imm) {
        if (test) {
            x86_test_ri(&s->code, c->is64, c->ra, c->imm);
        } else if (c->imm == 0 && (c->cond == IR_COND_EQ || c->cond == IR_COND_NE)) {
            x86_test_rr(&s->code, c->is64, c->ra, c->ra);
        } else {
            x86_alu_ri(&s->code, X86_CMP, c->is64, c->ra, c->imm);
        }
    } else if (test) {
        x86_test_rr(&s->code, c->is64, c->ra, c->rb);
    } else {
        x86_alu_rr(&s->code, X86_CMP, c->is64, c->ra, c->rb);
    }
    return jit_cond(c->cond);
}

/* cmp/test a, b for cond; the x86 condition to test (operands may swap). */
static X86Cond jit_compare(JitGen *s, IRCond cond, bool is64, IRTempIdx a, IRTempIdx b)
{
    JitCmp c = cmp_load(s, cond, is64, a, b);

    return cmp_emit(s, &c);
}

/* ---- control ---- */

/* A TB that needs more spill area than the prologue gives grows the frame
 * on entry and gives it back on every way out. */
static void frame_release(JitGen *s)
{
    if (s->frame_extra) {
        x86_alu_ri(&s->code, X86_ADD, true, X86_RSP, s->frame_extra);
    }
}

static void frame_grow(JitGen *s)
{
    if (s->frame_extra) {
        x86_alu_ri(&s->code, X86_SUB, true, X86_RSP, s->frame_extra);
    }
}

void jit_find_exit_labels(JitGen *s)
{
    guint nops = ir_op_count(s->ctx);

    for (guint i = 0; i < nops; i++) {
        IROp *op = ir_op(s->ctx, i);

        if (op->opc == IR_OP_set_label) {
            JitLabel *lab = &s->labels[op->args[0]];
            IROp *next = i + 1 < nops ? ir_op(s->ctx, i + 1) : NULL;

            lab->exit_only = next && next->opc == IR_OP_exit_tb;
            lab->exit_value = lab->exit_only ? next->args[0] : 0;
        }
    }
}

/*
 * A conditional branch to a block that only leaves the TB (the exit check
 * at a TB's top is one): the values that would have to be written back
 * are written on the taken path only, out of line, so the fall-through
 * (a loop's body) keeps them dirty in registers and stores nothing.
 */
static void lower_brcond_exit(JitGen *s, unsigned i, IROp *op)
{
    JitSlowPath sp = { .kind = JIT_SLOW_EXIT };
    JitCmp c = cmp_load(s, op->args[2], op_is64(op), op->args[0], op->args[1]);
    X86Cond cc = cmp_emit(s, &c);

    sp.exit_regs = jit_dirty_globals(s, &sp.exit_regs64, sp.exit_ofs);
    sp.frame_extra = s->frame_extra;
    sp.exit_value = s->labels[op->args[3]].exit_value;
    sp.insn = s->cur_insn;
    sp.jcc_field = x86_jcc_rel32(&s->code, cc, -1);
    g_array_append_val(s->slow_paths, sp);
    jit_op_done(s, i);
    jit_kill_bb_temps(s);
}

void jit_emit_exit_path(JitGen *s, const JitSlowPath *sp)
{
    x86_patch_rel32(&s->code, sp->jcc_field, s->code.pos);
    for (int r = 0; r < X86_NB_REGS; r++) {
        if (sp->exit_regs & (1u << r)) {
            x86_store(&s->code, (sp->exit_regs64 >> r) & 1 ? 3 : 2, r, JIT_ENV_REG,
                      X86_NO_REG, sp->exit_ofs[r]);
        }
    }
    if (sp->frame_extra) {
        x86_alu_ri(&s->code, X86_ADD, true, X86_RSP, sp->frame_extra);
    }
    x86_movi(&s->code, true, X86_RAX, (int64_t)sp->exit_value);
    x86_jmp_abs(&s->code, s->epilogue, JIT_TMP_REG);
}

static void lower_brcond(JitGen *s, unsigned i, IROp *op)
{
    IRCond cond = op->args[2];
    IRLabel l = op->args[3];
    JitCmp c;
    X86Cond cc;

    if (cond == IR_COND_NEVER) {
        jit_op_done(s, i);
        jit_kill_bb_temps(s);
        return;
    }
    if (cond == IR_COND_ALWAYS) {
        if (s->labels[l].pos >= 0) {
            jit_entry_record(s, l);
        }
        jit_entry_sync(s, l);
        jit_entry_conform(s, l);
        label_jump(s, l, false, 0);
        jit_op_done(s, i);
        /* Nothing falls through: the next label sets the state. */
        jit_forget_all(s, false);
        return;
    }
    if (s->labels[l].exit_only) {
        lower_brcond_exit(s, i, op);
        return;
    }
    /* The target block reads globals and tb temps from memory, or from
     * the registers of its entry state (which the first pass records with
     * the operands loaded, so a loop's bound stays in a register too). */
    if (!s->use_entries) {
        c = cmp_load(s, cond, op_is64(op), op->args[0], op->args[1]);
        if (s->labels[l].pos >= 0) {
            jit_entry_record(s, l);
        }
        jit_sync(s, true);
    } else {
        jit_entry_sync(s, l);
        if (jit_entry_conform(s, l)) {
            jit_entry_lock(s, l);
        }
        c = cmp_load(s, cond, op_is64(op), op->args[0], op->args[1]);
    }
    cc = cmp_emit(s, &c);
    label_jump(s, l, true, cc);
    jit_op_done(s, i);
    /* The fall-through keeps what it has cached: it is all written back. */
    jit_kill_bb_temps(s);
}

static void lower_goto_tb(JitGen *s, unsigned i, IROp *op)
{
    unsigned slot = op->args[0];
    size_t field;

    g_assert(slot < 2);
    jit_sync(s, false);
    frame_release(s);
    /* The rel32 must not cross a 4-byte boundary so that set_jump can
     * rewrite it with one atomic store while other threads run it. */
    x86_align(&s->code, 4, 3);
    field = x86_jmp_rel32(&s->code, -1);
    x86_patch_rel32(&s->code, field, s->code.pos);
    s->tb->jmp_site[slot] = field - s->tb_start;
    s->tb->jmp_reset[slot] = s->code.pos - s->tb_start;
    frame_grow(s);
    jit_op_done(s, i);
}

static void lower_exit_tb(JitGen *s, unsigned i, IROp *op)
{
    jit_sync(s, false);
    frame_release(s);
    x86_movi(&s->code, true, X86_RAX, (int64_t)op->args[0]);
    x86_jmp_abs(&s->code, s->epilogue, JIT_TMP_REG);
    jit_op_done(s, i);
    jit_forget_all(s, false);
}

static void lower_goto_ptr(JitGen *s, unsigned i, IROp *op)
{
    int r = jit_temp_load(s, op->args[0], 0);

    jit_sync(s, false);
    frame_release(s);
    x86_test_rr(&s->code, true, r, r);
    /* A NULL target leaves exec with 0. */
    x86_jcc_rel32(&s->code, X86_CC_E, s->epilogue_zero - s->code.rx);
    x86_jmp_reg(&s->code, r);
    jit_op_done(s, i);
    jit_forget_all(s, false);
}

/* ---- moves and arithmetic ---- */

static void lower_mov(JitGen *s, unsigned i, IROp *op)
{
    IRTempIdx a = op->args[1];
    int rd;

    if (jit_temp_is_const(s, a)) {
        rd = jit_reg_alloc(s, 0);
        x86_movi_fast(&s->code, true, rd, jit_const_val(s, a));
    } else {
        int ra = jit_temp_load(s, a, 0);

        rd = jit_out_reg(s, i, 1, 0);
        if (rd != ra) {
            x86_mov_rr(&s->code, true, rd, ra);
        }
    }
    jit_temp_set_reg(s, op->args[0], rd);
}

static void lower_alu(JitGen *s, unsigned i, IROp *op, X86AluOp aop, bool commutative)
{
    bool is64 = op_is64(op);
    unsigned ai = 1, bi = 2;
    int32_t imm;
    int rd, rb;

    if (commutative && jit_temp_is_const(s, op->args[1])) {
        ai = 2;
        bi = 1;
    }
    if (imm_operand(s, op->args[bi], is64, &imm)) {
        rd = jit_load_dest(s, i, ai, 0);
        x86_alu_ri(&s->code, aop, is64, rd, imm);
    } else {
        rb = jit_temp_load(s, op->args[bi], 0);
        rd = jit_load_dest(s, i, ai, 0);
        x86_alu_rr(&s->code, aop, is64, rd, rb);
    }
    jit_temp_set_reg(s, op->args[0], rd);
}

/* add with a constant into a different register: lea is a 3-operand add. */
static void lower_add(JitGen *s, unsigned i, IROp *op)
{
    bool is64 = op_is64(op);
    int32_t imm;
    int ra, rd;

    if (imm_operand(s, op->args[2], is64, &imm) && !jit_temp_is_const(s, op->args[1])) {
        ra = jit_temp_load(s, op->args[1], 0);
        rd = jit_out_reg(s, i, 1, 0);
        if (rd == ra) {
            x86_alu_ri(&s->code, X86_ADD, is64, rd, imm);
        } else {
            x86_lea(&s->code, is64, rd, ra, X86_NO_REG, 0, imm);
        }
        jit_temp_set_reg(s, op->args[0], rd);
        return;
    }
    lower_alu(s, i, op, X86_ADD, true);
}

static void lower_unary(JitGen *s, unsigned i, IROp *op, X86UnaryOp uop)
{
    int rd = jit_load_dest(s, i, 1, 0);

    x86_unary(&s->code, uop, op_is64(op), rd);
    jit_temp_set_reg(s, op->args[0], rd);
}

/* andc/orc: a op ~b. */
static void lower_alu_not(JitGen *s, unsigned i, IROp *op, X86AluOp aop)
{
    bool is64 = op_is64(op);
    int rd, rb;

    if (jit_temp_is_const(s, op->args[2])) {
        int64_t nv = ~jit_irt(s, op->args[2])->val;

        if (!is64 || x86_fits_i32(nv)) {
            rd = jit_load_dest(s, i, 1, 0);
            x86_alu_ri(&s->code, aop, is64, rd, (int32_t)nv);
            jit_temp_set_reg(s, op->args[0], rd);
            return;
        }
    }
    rb = jit_temp_load(s, op->args[2], 0);
    rd = jit_load_dest(s, i, 1, 0);
    x86_mov_rr(&s->code, is64, JIT_TMP_REG, rb);
    x86_unary(&s->code, X86_NOT, is64, JIT_TMP_REG);
    x86_alu_rr(&s->code, aop, is64, rd, JIT_TMP_REG);
    jit_temp_set_reg(s, op->args[0], rd);
}

static void lower_mul(JitGen *s, unsigned i, IROp *op)
{
    bool is64 = op_is64(op);
    unsigned ai = 1, bi = 2;
    int32_t imm;
    int ra, rd, rb;

    if (jit_temp_is_const(s, op->args[1])) {
        ai = 2;
        bi = 1;
    }
    if (imm_operand(s, op->args[bi], is64, &imm)) {
        ra = jit_temp_load(s, op->args[ai], 0);
        rd = jit_out_reg(s, i, ai, 0);
        x86_imul_rri(&s->code, is64, rd, ra, imm);
    } else {
        rb = jit_temp_load(s, op->args[bi], 0);
        rd = jit_load_dest(s, i, ai, 0);
        x86_imul_rr(&s->code, is64, rd, rb);
    }
    jit_temp_set_reg(s, op->args[0], rd);
}

/* mulsh/muluh: the one-operand mul leaves the high half in rdx. */
static void lower_mulh(JitGen *s, unsigned i, IROp *op, bool is_signed)
{
    bool is64 = op_is64(op);
    int rb;

    jit_reg_take(s, X86_RAX);
    jit_reg_take(s, X86_RDX);
    jit_temp_load_to(s, op->args[1], X86_RAX);
    rb = jit_temp_load(s, op->args[2], 0);
    x86_unary(&s->code, is_signed ? X86_IMUL1 : X86_MUL, is64, rb);
    jit_temp_set_reg(s, op->args[0], X86_RDX);
}

/*
 * Division with the IR's total semantics: a zero divisor gives all ones
 * (quotient) or the dividend (remainder); signed MIN / -1 gives MIN and
 * MIN % -1 gives 0. The special cases branch around div/idiv, which would
 * trap on them.
 */
static void lower_div(JitGen *s, unsigned i, IROp *op, bool is_signed, bool want_rem)
{
    bool is64 = op_is64(op);
    IRTempIdx b = op->args[2];
    bool may_be_zero = true, may_be_m1 = is_signed;
    size_t j_zero = 0, j_m1 = 0, j_done1, j_done2 = 0;
    int rb;

    if (jit_temp_is_const(s, b)) {
        uint64_t v = jit_const_val(s, b);
        uint64_t m1 = is64 ? UINT64_MAX : UINT32_MAX;

        may_be_zero = v == 0;
        may_be_m1 = is_signed && v == m1;
    }
    jit_reg_take(s, X86_RAX);
    jit_reg_take(s, X86_RDX);
    jit_temp_load_to(s, op->args[1], X86_RAX);
    rb = jit_temp_load(s, b, 0);
    if (may_be_zero) {
        x86_test_rr(&s->code, is64, rb, rb);
        j_zero = x86_jcc_rel8(&s->code, X86_CC_E);
    }
    if (may_be_m1) {
        x86_alu_ri(&s->code, X86_CMP, is64, rb, -1);
        j_m1 = x86_jcc_rel8(&s->code, X86_CC_E);
    }
    if (is_signed) {
        /* cdq / cqo: sign-extend rax into rdx. */
        x86_opc(&s->code, 0x99 | x86_w(is64), X86_NO_REG, X86_NO_REG, X86_NO_REG);
    } else {
        x86_alu_rr(&s->code, X86_XOR, false, X86_RDX, X86_RDX);
    }
    x86_unary(&s->code, is_signed ? X86_IDIV : X86_DIV, is64, rb);
    if (!may_be_m1 && !may_be_zero) {
        jit_temp_set_reg(s, op->args[0], want_rem ? X86_RDX : X86_RAX);
        return;
    }
    j_done1 = x86_jmp_rel8(&s->code);
    if (may_be_m1) {
        /* x / -1 = -x (MIN stays MIN); x % -1 = 0. */
        x86_patch_rel8(&s->code, j_m1, s->code.pos);
        if (want_rem) {
            x86_alu_rr(&s->code, X86_XOR, false, X86_RDX, X86_RDX);
        } else {
            x86_unary(&s->code, X86_NEG, is64, X86_RAX);
        }
        if (may_be_zero) {
            j_done2 = x86_jmp_rel8(&s->code);
        }
    }
    if (may_be_zero) {
        x86_patch_rel8(&s->code, j_zero, s->code.pos);
        if (want_rem) {
            x86_mov_rr(&s->code, is64, X86_RDX, X86_RAX);
        } else {
            x86_movi(&s->code, is64, X86_RAX, -1);
        }
    }
    x86_patch_rel8(&s->code, j_done1, s->code.pos);
    if (may_be_m1 && may_be_zero) {
        x86_patch_rel8(&s->code, j_done2, s->code.pos);
    }
    jit_temp_set_reg(s, op->args[0], want_rem ? X86_RDX : X86_RAX);
}

static void lower_shift(JitGen *s, unsigned i, IROp *op, X86ShiftOp sop)
{
    bool is64 = op_is64(op);
    IRTempIdx b = op->args[2];
    int rd;

    if (jit_temp_is_const(s, b)) {
        rd = jit_load_dest(s, i, 1, 0);
        x86_shift_ri(&s->code, sop, is64, rd, jit_const_val(s, b) & (is64 ? 63 : 31));
    } else {
        jit_reg_take(s, X86_RCX);
        jit_temp_load_to(s, b, X86_RCX);
        rd = jit_load_dest(s, i, 1, REG(X86_RCX));
        x86_shift_cl(&s->code, sop, is64, rd);
    }
    jit_temp_set_reg(s, op->args[0], rd);
}

/* ---- comparisons ---- */

static void lower_setcond(JitGen *s, unsigned i, IROp *op)
{
    IRCond cond = op->args[3];
    X86Cond cc;
    int rd;

    if (cond == IR_COND_NEVER || cond == IR_COND_ALWAYS) {
        rd = jit_reg_alloc(s, 0);
        x86_movi(&s->code, false, rd, cond == IR_COND_ALWAYS);
    } else {
        cc = jit_compare(s, cond, op_is64(op), op->args[1], op->args[2]);
        rd = jit_reg_alloc(s, 0);
        x86_setcc(&s->code, cc, rd);
        x86_movzx8(&s->code, rd, rd);
    }
    jit_temp_set_reg(s, op->args[0], rd);
}

static void lower_movcond(JitGen *s, unsigned i, IROp *op)
{
    bool is64 = op_is64(op);
    IRCond cond = op->args[5];
    X86Cond cc;
    int rv1, rd;

    if (cond == IR_COND_NEVER || cond == IR_COND_ALWAYS) {
        rd = jit_load_dest(s, i, cond == IR_COND_ALWAYS ? 3 : 4, 0);
        jit_temp_set_reg(s, op->args[0], rd);
        return;
    }
    rv1 = jit_temp_load(s, op->args[3], 0);
    rd = jit_load_dest(s, i, 4, 0);
    cc = jit_compare(s, cond, is64, op->args[1], op->args[2]);
    x86_cmov(&s->code, cc, is64, rd, rv1);
    jit_temp_set_reg(s, op->args[0], rd);
}

/* ---- extensions ---- */

typedef enum { EXT_S8, EXT_U8, EXT_S16, EXT_U16, EXT_S32, EXT_U32, EXT_H32 } ExtKind;

static void lower_ext(JitGen *s, unsigned i, IROp *op, ExtKind kind, bool is64)
{
    int ra = jit_temp_load(s, op->args[1], 0);
    int rd = jit_out_reg(s, i, 1, 0);

    switch (kind) {
    case EXT_S8:
        x86_movsx8(&s->code, is64, rd, ra);
        break;
    case EXT_U8:
        x86_movzx8(&s->code, rd, ra);
        break;
    case EXT_S16:
        x86_movsx16(&s->code, is64, rd, ra);
        break;
    case EXT_U16:
        x86_movzx16(&s->code, rd, ra);
        break;
    case EXT_S32:
        x86_movsxd(&s->code, rd, ra);
        break;
    case EXT_U32:
        x86_mov_rr(&s->code, false, rd, ra);
        break;
    case EXT_H32:
        if (rd != ra) {
            x86_mov_rr(&s->code, true, rd, ra);
        }
        x86_shift_ri(&s->code, X86_SHR, true, rd, 32);
        break;
    }
    jit_temp_set_reg(s, op->args[0], rd);
}

/* ---- bit fields ---- */

static uint64_t width_mask(unsigned w)
{
    return w >= 64 ? UINT64_MAX : (1ull << w) - 1;
}

/* rd &= m (m within the op's width), with a scratch register if it does
 * not fit an immediate. */
static void and_mask(JitGen *s, bool is64, int rd, uint64_t m)
{
    if (!is64 || x86_fits_i32((int64_t)m)) {
        x86_alu_ri(&s->code, X86_AND, is64, rd, (int32_t)m);
    } else {
        x86_movi(&s->code, true, JIT_TMP_REG, (int64_t)m);
        x86_alu_rr(&s->code, X86_AND, true, rd, JIT_TMP_REG);
    }
}

static void lower_deposit(JitGen *s, unsigned i, IROp *op)
{
    bool is64 = op_is64(op);
    unsigned w = is64 ? 64 : 32, pos = op->args[3], len = op->args[4];
    uint64_t field = width_mask(len) << pos;
    IRTempIdx b = op->args[2];
    int rd, rb;

    if (len >= w) {
        rb = jit_temp_load(s, b, 0);
        rd = jit_out_reg(s, i, 2, 0);
        if (rd != rb) {
            x86_mov_rr(&s->code, true, rd, rb);
        }
        jit_temp_set_reg(s, op->args[0], rd);
        return;
    }
    if (jit_temp_is_const(s, b)) {
        uint64_t bits = ((uint64_t)jit_const_val(s, b) << pos) & field;

        rd = jit_load_dest(s, i, 1, 0);
        and_mask(s, is64, rd, ~field & width_mask(w));
        if (bits) {
            if (!is64 || x86_fits_i32((int64_t)bits)) {
                x86_alu_ri(&s->code, X86_OR, is64, rd, (int32_t)bits);
            } else {
                x86_movi(&s->code, true, JIT_TMP_REG, (int64_t)bits);
                x86_alu_rr(&s->code, X86_OR, true, rd, JIT_TMP_REG);
            }
        }
        jit_temp_set_reg(s, op->args[0], rd);
        return;
    }
    rb = jit_temp_load(s, b, 0);
    rd = jit_load_dest(s, i, 1, 0);
    /* tmp = (b & mask) << pos, by two shifts. */
    x86_mov_rr(&s->code, is64, JIT_TMP_REG, rb);
    x86_shift_ri(&s->code, X86_SHL, is64, JIT_TMP_REG, w - len);
    x86_shift_ri(&s->code, X86_SHR, is64, JIT_TMP_REG, w - len - pos);
    if (!is64 || x86_fits_i32((int64_t)~field)) {
        x86_alu_ri(&s->code, X86_AND, is64, rd, (int32_t)~field);
    } else {
        /* Clear the field without a second scratch: rotate it to the
         * bottom, shift it out and back, rotate back. */
        x86_shift_ri(&s->code, X86_ROR, true, rd, pos);
        x86_shift_ri(&s->code, X86_SHR, true, rd, len);
        x86_shift_ri(&s->code, X86_SHL, true, rd, len);
        x86_shift_ri(&s->code, X86_ROL, true, rd, pos);
    }
    x86_alu_rr(&s->code, X86_OR, is64, rd, JIT_TMP_REG);
    jit_temp_set_reg(s, op->args[0], rd);
}

static void lower_extract(JitGen *s, unsigned i, IROp *op, bool is_signed)
{
    bool is64 = op_is64(op);
    unsigned w = is64 ? 64 : 32, pos = op->args[2], len = op->args[3];
    int ra, rd;

    if (pos == 0 && (len == 8 || len == 16 || (len == 32 && is64))) {
        ExtKind k = len == 8 ? (is_signed ? EXT_S8 : EXT_U8)
                  : len == 16 ? (is_signed ? EXT_S16 : EXT_U16)
                  : (is_signed ? EXT_S32 : EXT_U32);

        lower_ext(s, i, op, k, is64);
        return;
    }
    if (len >= w) {
        ra = jit_temp_load(s, op->args[1], 0);
        rd = jit_out_reg(s, i, 1, 0);
        if (rd != ra) {
            x86_mov_rr(&s->code, true, rd, ra);
        }
        jit_temp_set_reg(s, op->args[0], rd);
        return;
    }
    rd = jit_load_dest(s, i, 1, 0);
    if (pos + len == w) {
        x86_shift_ri(&s->code, is_signed ? X86_SAR : X86_SHR, is64, rd, pos);
    } else if (!is_signed && len <= 31) {
        x86_shift_ri(&s->code, X86_SHR, is64, rd, pos);
        x86_alu_ri(&s->code, X86_AND, is64, rd, (int32_t)width_mask(len));
    } else if (!is_signed && len == 32) {
        x86_shift_ri(&s->code, X86_SHR, true, rd, pos);
        x86_mov_rr(&s->code, false, rd, rd);
    } else {
        x86_shift_ri(&s->code, X86_SHL, is64, rd, w - pos - len);
        x86_shift_ri(&s->code, is_signed ? X86_SAR : X86_SHR, is64, rd, w - len);
    }
    jit_temp_set_reg(s, op->args[0], rd);
}

/* ---- byte swaps and bit counts ---- */

static void lower_bswap(JitGen *s, unsigned i, IROp *op, unsigned bits)
{
    int ra, rd;

    if (bits == 16) {
        ra = jit_temp_load(s, op->args[1], 0);
        rd = jit_out_reg(s, i, 1, 0);
        /* Zero bits 16..63 first: ror r16 keeps them. */
        x86_movzx16(&s->code, rd, ra);
        x86_bswap16(&s->code, rd);
    } else {
        rd = jit_load_dest(s, i, 1, 0);
        /* bswap r32 also zeroes bits 32..63. */
        x86_bswap(&s->code, bits == 64, rd);
    }
    jit_temp_set_reg(s, op->args[0], rd);
}

/*
 * clz/ctz: with lzcnt/tzcnt (CF set when the source is 0), or with
 * bsr/bsf (ZF set when the source is 0, destination undefined).
 */
static void lower_bitcount(JitGen *s, unsigned i, IROp *op, bool leading)
{
    bool is64 = op_is64(op);
    unsigned w = is64 ? 64 : 32;
    IRTempIdx z = op->args[2];
    bool fast = s->features & (leading ? JIT_FEAT_LZCNT : JIT_FEAT_BMI1);
    uint32_t opc = OPC_0F | (leading ? 0xbd : 0xbc) | x86_w(is64);
    int ra, rd;

    if (fast && jit_temp_is_const(s, z) && jit_const_val(s, z) == w) {
        ra = jit_temp_load(s, op->args[1], 0);
        rd = jit_out_reg(s, i, 1, 0);
        x86_rr(&s->code, opc | OPC_F3, rd, ra);
        jit_temp_set_reg(s, op->args[0], rd);
        return;
    }
    ra = jit_temp_load(s, op->args[1], 0);
    rd = jit_load_dest(s, i, 2, 0);
    if (fast) {
        x86_rr(&s->code, opc | OPC_F3, JIT_TMP_REG, ra);
        x86_cmov(&s->code, X86_CC_AE, is64, rd, JIT_TMP_REG);
    } else if (leading) {
        /* clz = (w - 1) ^ bsr; pre-xor z so the final xor restores it. */
        x86_alu_ri(&s->code, X86_XOR, is64, rd, w - 1);
        x86_rr(&s->code, opc, JIT_TMP_REG, ra);
        x86_cmov(&s->code, X86_CC_NE, is64, rd, JIT_TMP_REG);
        x86_alu_ri(&s->code, X86_XOR, is64, rd, w - 1);
    } else {
        x86_rr(&s->code, opc, JIT_TMP_REG, ra);
        x86_cmov(&s->code, X86_CC_NE, is64, rd, JIT_TMP_REG);
    }
    jit_temp_set_reg(s, op->args[0], rd);
}

static void lower_ctpop(JitGen *s, unsigned i, IROp *op)
{
    bool is64 = op_is64(op);
    int ra, rd, rk;

    if (s->features & JIT_FEAT_POPCNT) {
        ra = jit_temp_load(s, op->args[1], 0);
        rd = jit_out_reg(s, i, 1, 0);
        x86_rr(&s->code, OPC_F3 | OPC_0F | 0xb8 | x86_w(is64), rd, ra);
        jit_temp_set_reg(s, op->args[0], rd);
        return;
    }
    /* The classic SWAR sum of bits, 2 then 4 then 8 bits at a time. */
    rd = jit_load_dest(s, i, 1, 0);
    rk = jit_reg_alloc(s, 0);
    x86_movi(&s->code, is64, rk, 0x5555555555555555ll);
    x86_mov_rr(&s->code, is64, JIT_TMP_REG, rd);
    x86_shift_ri(&s->code, X86_SHR, is64, JIT_TMP_REG, 1);
    x86_alu_rr(&s->code, X86_AND, is64, JIT_TMP_REG, rk);
    x86_alu_rr(&s->code, X86_SUB, is64, rd, JIT_TMP_REG);
    x86_movi(&s->code, is64, rk, 0x3333333333333333ll);
    x86_mov_rr(&s->code, is64, JIT_TMP_REG, rd);
    x86_shift_ri(&s->code, X86_SHR, is64, JIT_TMP_REG, 2);
    x86_alu_rr(&s->code, X86_AND, is64, JIT_TMP_REG, rk);
    x86_alu_rr(&s->code, X86_AND, is64, rd, rk);
    x86_alu_rr(&s->code, X86_ADD, is64, rd, JIT_TMP_REG);
    x86_mov_rr(&s->code, is64, JIT_TMP_REG, rd);
    x86_shift_ri(&s->code, X86_SHR, is64, JIT_TMP_REG, 4);
    x86_alu_rr(&s->code, X86_ADD, is64, rd, JIT_TMP_REG);
    x86_movi(&s->code, is64, rk, 0x0f0f0f0f0f0f0f0fll);
    x86_alu_rr(&s->code, X86_AND, is64, rd, rk);
    x86_movi(&s->code, is64, rk, 0x0101010101010101ll);
    x86_imul_rr(&s->code, is64, rd, rk);
    x86_shift_ri(&s->code, X86_SHR, is64, rd, is64 ? 56 : 24);
    jit_temp_set_reg(s, op->args[0], rd);
}

/* ---- dispatch ---- */

void jit_lower_op(JitGen *s, unsigned i)
{
    IROp *op = ir_op(s->ctx, i);
    bool is64 = op_is64(op);

    switch (op->opc) {
    case IR_OP_set_label:
        jit_entry_sync(s, op->args[0]);
        if (jit_entry_conform(s, op->args[0])) {
            jit_entry_bind(s, op->args[0]);
        } else {
            jit_forget_all(s, true);
        }
        label_bind(s, op->args[0]);
        jit_insn_label(s, op->args[0]);
        return;
    case IR_OP_br:
        if (s->labels[op->args[0]].pos >= 0) {
            jit_entry_record(s, op->args[0]);
        }
        jit_entry_sync(s, op->args[0]);
        jit_entry_conform(s, op->args[0]);
        label_jump(s, op->args[0], false, 0);
        jit_forget_all(s, false);
        return;
    case IR_OP_brcond:
        lower_brcond(s, i, op);
        return;
    case IR_OP_insn_start:
        jit_insn_start(s);
        return;
    case IR_OP_goto_tb:
        lower_goto_tb(s, i, op);
        return;
    case IR_OP_exit_tb:
        lower_exit_tb(s, i, op);
        return;
    case IR_OP_goto_ptr:
        lower_goto_ptr(s, i, op);
        return;
    case IR_OP_mb:
        /* x86 is TSO: only a store followed by a load can be reordered. */
        if (op->args[0] & IR_MB_ST_LD) {
            x86_mfence(&s->code);
        }
        return;
    case IR_OP_call:
        jit_lower_call(s, i);
        return;
    case IR_OP_ld8u: case IR_OP_ld8s: case IR_OP_ld16u: case IR_OP_ld16s:
    case IR_OP_ld32u: case IR_OP_ld32s: case IR_OP_ld:
    case IR_OP_st8: case IR_OP_st16: case IR_OP_st32: case IR_OP_st:
        jit_lower_ld_st(s, i);
        return;
    case IR_OP_guest_ld: case IR_OP_guest_st:
    case IR_OP_atomic_cmpxchg: case IR_OP_atomic_rmw:
        jit_lower_guest_mem(s, i);
        return;
    case IR_OP_mov: case IR_OP_extu_i32_i64:
        lower_mov(s, i, op);
        break;
    case IR_OP_add: lower_add(s, i, op); break;
    case IR_OP_sub: lower_alu(s, i, op, X86_SUB, false); break;
    case IR_OP_and: lower_alu(s, i, op, X86_AND, true); break;
    case IR_OP_or: lower_alu(s, i, op, X86_OR, true); break;
    case IR_OP_xor: lower_alu(s, i, op, X86_XOR, true); break;
    case IR_OP_andc: lower_alu_not(s, i, op, X86_AND); break;
    case IR_OP_orc: lower_alu_not(s, i, op, X86_OR); break;
    case IR_OP_neg: lower_unary(s, i, op, X86_NEG); break;
    case IR_OP_not: lower_unary(s, i, op, X86_NOT); break;
    case IR_OP_mul: lower_mul(s, i, op); break;
    case IR_OP_mulsh: lower_mulh(s, i, op, true); break;
    case IR_OP_muluh: lower_mulh(s, i, op, false); break;
    case IR_OP_div: lower_div(s, i, op, true, false); break;
    case IR_OP_divu: lower_div(s, i, op, false, false); break;
    case IR_OP_rem: lower_div(s, i, op, true, true); break;
    case IR_OP_remu: lower_div(s, i, op, false, true); break;
    case IR_OP_shl: lower_shift(s, i, op, X86_SHL); break;
    case IR_OP_shr: lower_shift(s, i, op, X86_SHR); break;
    case IR_OP_sar: lower_shift(s, i, op, X86_SAR); break;
    case IR_OP_rotl: lower_shift(s, i, op, X86_ROL); break;
    case IR_OP_rotr: lower_shift(s, i, op, X86_ROR); break;
    case IR_OP_setcond: lower_setcond(s, i, op); break;
    case IR_OP_movcond: lower_movcond(s, i, op); break;
    case IR_OP_ext8s: lower_ext(s, i, op, EXT_S8, is64); break;
    case IR_OP_ext8u: lower_ext(s, i, op, EXT_U8, is64); break;
    case IR_OP_ext16s: lower_ext(s, i, op, EXT_S16, is64); break;
    case IR_OP_ext16u: lower_ext(s, i, op, EXT_U16, is64); break;
    case IR_OP_ext32s: case IR_OP_ext_i32_i64:
        lower_ext(s, i, op, EXT_S32, true);
        break;
    case IR_OP_ext32u: case IR_OP_extrl_i64_i32:
        lower_ext(s, i, op, EXT_U32, true);
        break;
    case IR_OP_extrh_i64_i32: lower_ext(s, i, op, EXT_H32, true); break;
    case IR_OP_deposit: lower_deposit(s, i, op); break;
    case IR_OP_extract: lower_extract(s, i, op, false); break;
    case IR_OP_sextract: lower_extract(s, i, op, true); break;
    case IR_OP_bswap16: lower_bswap(s, i, op, 16); break;
    case IR_OP_bswap32: lower_bswap(s, i, op, 32); break;
    case IR_OP_bswap64: lower_bswap(s, i, op, 64); break;
    case IR_OP_clz: lower_bitcount(s, i, op, true); break;
    case IR_OP_ctz: lower_bitcount(s, i, op, false); break;
    case IR_OP_ctpop: lower_ctpop(s, i, op); break;
    default:
        g_assert_not_reached();
    }
    jit_op_done(s, i);
}
