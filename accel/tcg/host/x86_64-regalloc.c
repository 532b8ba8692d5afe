/*
 * Liveness and the local register allocator of the x86-64 JIT.
 *
 * One forward pass per TB. Each temp has a memory home: globals their
 * field in env, tb and bb temps a spill slot in the frame (given on first
 * need). Globals and tb temps are loaded into a register on first use in a
 * basic block and written back (when dirty) at its end; bb temps die at
 * block ends and at their last use, found by a backward liveness pass.
 * When registers run out, the allocator evicts a value whose memory copy
 * is current if it can, else stores one.
 *
 * Loops inside a TB: a label that a later branch jumps back to gets an
 * entry state (found by a first pass: what was in registers at the back
 * edge), so the values the loop carries stay in registers, dirty, across
 * its header instead of going through memory on every iteration.
 */
#include <string.h>

#include "accel/tcg/host/x86_64.h"

/* Callee-saved registers first: values in them survive helper calls. */
static const int8_t alloc_order[] = {
    X86_RBX, X86_R12, X86_R13, X86_R14, X86_R15,
    X86_R10, X86_R9, X86_R8, X86_RDI, X86_RSI, X86_RDX, X86_RCX, X86_RAX,
};

#define CALLEE_SAVED ((1u << X86_RBX) | (1u << X86_R12) | (1u << X86_R13) | \
                      (1u << X86_R14) | (1u << X86_R15))

JitTemp *jit_ts(JitGen *s, IRTempIdx t)
{
    g_assert(t < s->nb_temps);
    return &s->temps[t];
}

IRTemp *jit_irt(JitGen *s, IRTempIdx t)
{
    return ir_temp(s->ctx, t);
}

bool jit_temp_is64(JitGen *s, IRTempIdx t)
{
    return jit_irt(s, t)->type == IR_TYPE_I64;
}

bool jit_temp_is_const(JitGen *s, IRTempIdx t)
{
    return jit_irt(s, t)->kind == IR_TEMP_CONST;
}

int64_t jit_const_val(JitGen *s, IRTempIdx t)
{
    IRTemp *it = jit_irt(s, t);

    /* An i32 constant is stored sign-extended; registers hold it
     * zero-extended. */
    return it->type == IR_TYPE_I32 ? (int64_t)(uint32_t)it->val : it->val;
}

/* ---- liveness ---- */

/*
 * Backward over the ops. live_mark[t] == epoch means "live" for a bb temp
 * and "dead" for a tb temp, so that a block boundary (epoch + 1) makes
 * every bb temp dead and every tb temp live at once. Globals, env and
 * constants are never dead.
 */
void jit_liveness(JitGen *s)
{
    IRContext *ctx = s->ctx;
    guint n = ir_op_count(ctx);
    uint32_t epoch = 1;

    memset(s->live_mark, 0, s->nb_temps * sizeof(*s->live_mark));
    for (guint i = n; i-- > 0;) {
        IROp *op = ir_op(ctx, i);
        uint16_t dead = 0;

        if (ir_op_defs[op->opc].flags & IR_OPF_BB_END) {
            epoch++;
        }
        for (unsigned k = 0; k < op->nb_oargs + op->nb_iargs; k++) {
            IRTempIdx t = op->args[k];
            IRTempKind kind = jit_irt(s, t)->kind;
            bool is_out = k < op->nb_oargs;

            if (kind == IR_TEMP_BB) {
                if (s->live_mark[t] != epoch) {
                    dead |= 1u << k;
                }
                s->live_mark[t] = is_out ? 0 : epoch;
            } else if (kind == IR_TEMP_TB) {
                if (s->live_mark[t] == epoch) {
                    dead |= 1u << k;
                }
                s->live_mark[t] = is_out ? epoch : 0;
            }
        }
        s->dead[i] = dead;
    }
}

bool jit_arg_dead(JitGen *s, unsigned op_idx, unsigned arg)
{
    return (s->dead[op_idx] >> arg) & 1;
}

/* ---- homes ---- */

static int32_t slot_alloc(JitGen *s)
{
    int32_t slot;

    if (s->free_slots->len > 0) {
        slot = g_array_index(s->free_slots, int32_t, s->free_slots->len - 1);
        g_array_set_size(s->free_slots, s->free_slots->len - 1);
        return slot;
    }
    slot = s->slot_top;
    s->slot_top += 8;
    return slot;
}

static void slot_free(JitGen *s, JitTemp *ts)
{
    if (ts->slot >= 0) {
        g_array_append_val(s->free_slots, ts->slot);
        ts->slot = -1;
    }
}

/* The memory home of t as base + displacement. */
static void temp_home(JitGen *s, IRTempIdx t, int *base, int32_t *disp)
{
    IRTemp *it = jit_irt(s, t);
    JitTemp *ts = jit_ts(s, t);

    if (it->kind == IR_TEMP_GLOBAL) {
        *base = JIT_ENV_REG;
        *disp = it->mem_offset;
        return;
    }
    g_assert(it->kind == IR_TEMP_TB || it->kind == IR_TEMP_BB);
    if (ts->slot < 0) {
        ts->slot = slot_alloc(s);
        if (it->kind == IR_TEMP_BB) {
            g_array_append_val(s->bb_slotted, t);
        }
    }
    *base = X86_RSP;
    *disp = ts->slot;
}

void jit_temp_store(JitGen *s, IRTempIdx t)
{
    JitTemp *ts = jit_ts(s, t);
    int base;
    int32_t disp;

    if (ts->loc != JIT_LOC_REG || ts->coherent) {
        return;
    }
    temp_home(s, t, &base, &disp);
    /* Slots always hold 8 bytes (an i32 zero-extended); a global field
     * has exactly its type's width. */
    if (jit_irt(s, t)->kind == IR_TEMP_GLOBAL && !jit_temp_is64(s, t)) {
        x86_store(&s->code, 2, ts->reg, base, X86_NO_REG, disp);
    } else {
        x86_store(&s->code, 3, ts->reg, base, X86_NO_REG, disp);
    }
    ts->coherent = true;
}

uint16_t jit_dirty_globals(JitGen *s, uint16_t *is64, int32_t *ofs)
{
    uint16_t mask = 0;

    *is64 = 0;
    for (int r = 0; r < X86_NB_REGS; r++) {
        int t = s->reg_owner[r];

        if (t < 0 || jit_irt(s, t)->kind != IR_TEMP_GLOBAL || jit_ts(s, t)->coherent) {
            continue;
        }
        mask |= 1u << r;
        ofs[r] = jit_irt(s, t)->mem_offset;
        if (jit_temp_is64(s, t)) {
            *is64 |= 1u << r;
        }
    }
    return mask;
}

static void temp_load_home(JitGen *s, IRTempIdx t, int r)
{
    int base;
    int32_t disp;

    temp_home(s, t, &base, &disp);
    if (jit_irt(s, t)->kind == IR_TEMP_GLOBAL && !jit_temp_is64(s, t)) {
        x86_load(&s->code, X86_LD32, r, base, X86_NO_REG, disp);
    } else {
        x86_load(&s->code, X86_LD64, r, base, X86_NO_REG, disp);
    }
}

/* ---- registers ---- */

void jit_regs_reset(JitGen *s)
{
    for (int r = 0; r < X86_NB_REGS; r++) {
        s->reg_owner[r] = JIT_REG_FREE;
    }
    s->reg_owner[X86_RSP] = JIT_REG_RESERVED;
    s->reg_owner[JIT_ENV_REG] = JIT_REG_RESERVED;
    s->reg_owner[JIT_TMP_REG] = JIT_REG_RESERVED;
    s->locked = 0;
}

/* t leaves its register, which becomes free; t is then in memory (the
 * caller has stored it if needed) or dead. */
static void temp_unreg(JitGen *s, IRTempIdx t, bool dead)
{
    JitTemp *ts = jit_ts(s, t);
    IRTempKind kind = jit_irt(s, t)->kind;

    if (ts->loc == JIT_LOC_REG) {
        s->reg_owner[ts->reg] = JIT_REG_FREE;
    }
    if (kind == IR_TEMP_BB && dead) {
        ts->loc = JIT_LOC_DEAD;
        slot_free(s, ts);
    } else {
        ts->loc = JIT_LOC_MEM;
    }
}

static int find_free(JitGen *s, uint16_t exclude, uint16_t among)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(alloc_order); i++) {
        int r = alloc_order[i];

        if (s->reg_owner[r] == JIT_REG_FREE && !((s->locked | exclude) & (1u << r)) &&
            (among & (1u << r))) {
            return r;
        }
    }
    return -1;
}

/* Moves the temp in r to another free register, or to memory. */
static void reg_evict(JitGen *s, int r)
{
    IRTempIdx t = s->reg_owner[r];
    JitTemp *ts = jit_ts(s, t);
    int to = find_free(s, 1u << r, 0xffff);

    if (to >= 0) {
        x86_mov_rr(&s->code, true, to, r);
        s->reg_owner[to] = t;
        s->reg_owner[r] = JIT_REG_FREE;
        ts->reg = to;
        return;
    }
    jit_temp_store(s, t);
    temp_unreg(s, t, false);
}

int jit_reg_alloc(JitGen *s, uint16_t exclude)
{
    int r = find_free(s, exclude, 0xffff);

    if (r < 0) {
        /* Evict, preferring a value that needs no store. */
        int victim = -1;

        for (unsigned i = 0; i < G_N_ELEMENTS(alloc_order); i++) {
            int c = alloc_order[i];

            if (s->reg_owner[c] < 0 || ((s->locked | exclude) & (1u << c))) {
                continue;
            }
            if (victim < 0 || jit_ts(s, s->reg_owner[c])->coherent) {
                victim = c;
                if (jit_ts(s, s->reg_owner[c])->coherent) {
                    break;
                }
            }
        }
        g_assert(victim >= 0);
        jit_temp_store(s, s->reg_owner[victim]);
        temp_unreg(s, s->reg_owner[victim], false);
        r = victim;
    }
    s->reg_owner[r] = JIT_REG_SCRATCH;
    s->locked |= 1u << r;
    return r;
}

void jit_reg_take(JitGen *s, int r)
{
    g_assert(!(s->locked & (1u << r)));
    g_assert(s->reg_owner[r] != JIT_REG_RESERVED);
    if (s->reg_owner[r] >= 0) {
        /* Evicting must not pick r itself as the new home. */
        s->locked |= 1u << r;
        reg_evict(s, r);
    }
    s->reg_owner[r] = JIT_REG_SCRATCH;
    s->locked |= 1u << r;
}

void jit_temp_load_to(JitGen *s, IRTempIdx t, int r)
{
    IRTemp *it = jit_irt(s, t);
    JitTemp *ts = jit_ts(s, t);

    switch (it->kind) {
    case IR_TEMP_ENV:
        x86_mov_rr(&s->code, true, r, JIT_ENV_REG);
        return;
    case IR_TEMP_CONST:
        x86_movi_fast(&s->code, true, r, jit_const_val(s, t));
        return;
    default:
        break;
    }
    if (ts->loc == JIT_LOC_REG) {
        if (ts->reg != r) {
            x86_mov_rr(&s->code, true, r, ts->reg);
        }
    } else {
        g_assert(ts->loc == JIT_LOC_MEM);
        temp_load_home(s, t, r);
    }
}

int jit_temp_load(JitGen *s, IRTempIdx t, uint16_t exclude)
{
    IRTemp *it = jit_irt(s, t);
    JitTemp *ts = jit_ts(s, t);
    int r;

    if (it->kind == IR_TEMP_ENV && !(exclude & (1u << JIT_ENV_REG))) {
        return JIT_ENV_REG;
    }
    if (it->kind == IR_TEMP_CONST || it->kind == IR_TEMP_ENV) {
        r = jit_reg_alloc(s, exclude);
        jit_temp_load_to(s, t, r);
        return r;
    }
    if (ts->loc == JIT_LOC_REG) {
        int old = ts->reg;

        if (!(exclude & (1u << old))) {
            s->locked |= 1u << old;
            return old;
        }
        r = jit_reg_alloc(s, exclude | (1u << old));
        x86_mov_rr(&s->code, true, r, old);
        if (s->reg_owner[old] == t) {
            s->reg_owner[old] = JIT_REG_FREE;
        }
        s->reg_owner[r] = t;
        ts->reg = r;
        return r;
    }
    g_assert(ts->loc == JIT_LOC_MEM);
    r = jit_reg_alloc(s, exclude);
    temp_load_home(s, t, r);
    s->reg_owner[r] = t;
    ts->loc = JIT_LOC_REG;
    ts->reg = r;
    ts->coherent = true;
    return r;
}

/* Whether t appears as more than one input of the op. */
static bool used_twice(IROp *op, IRTempIdx t)
{
    unsigned n = 0;

    for (unsigned k = op->nb_oargs; k < op->nb_oargs + op->nb_iargs; k++) {
        n += op->args[k] == t;
    }
    return n > 1;
}

/* Whether the register of input arg may become the op's output. */
static bool reusable(JitGen *s, unsigned op_idx, unsigned arg, IRTempIdx out,
                     uint16_t exclude)
{
    IROp *op = ir_op(s->ctx, op_idx);
    IRTempIdx t = op->args[arg];
    IRTemp *it = jit_irt(s, t);
    JitTemp *ts = jit_ts(s, t);

    if (!(jit_arg_dead(s, op_idx, arg) || t == out) || used_twice(op, t)) {
        return false;
    }
    if (!(it->kind == IR_TEMP_BB || it->kind == IR_TEMP_TB ||
          (it->kind == IR_TEMP_GLOBAL && t == out))) {
        return false;
    }
    return ts->loc == JIT_LOC_REG && !(exclude & (1u << ts->reg)) &&
           s->reg_owner[ts->reg] == (int)t;
}

/* The op takes over t's register: t's old value is not needed again (the
 * op overwrites t, or t dies here). */
static int take_over(JitGen *s, IRTempIdx t, IRTempIdx out)
{
    JitTemp *ts = jit_ts(s, t);
    int r = ts->reg;

    s->reg_owner[r] = JIT_REG_SCRATCH;
    s->locked |= 1u << r;
    ts->loc = JIT_LOC_MEM;
    if (jit_irt(s, t)->kind == IR_TEMP_BB && t != out) {
        ts->loc = JIT_LOC_DEAD;
        slot_free(s, ts);
    }
    return r;
}

static IRTempIdx op_out(IROp *op)
{
    return op->nb_oargs ? op->args[0] : (IRTempIdx)-1;
}

int jit_out_reg(JitGen *s, unsigned op_idx, unsigned arg, uint16_t exclude)
{
    IROp *op = ir_op(s->ctx, op_idx);

    if (reusable(s, op_idx, arg, op_out(op), exclude)) {
        return take_over(s, op->args[arg], op_out(op));
    }
    return jit_reg_alloc(s, exclude);
}

int jit_load_dest(JitGen *s, unsigned op_idx, unsigned arg, uint16_t exclude)
{
    IROp *op = ir_op(s->ctx, op_idx);
    int r;

    if (reusable(s, op_idx, arg, op_out(op), exclude)) {
        return take_over(s, op->args[arg], op_out(op));
    }
    r = jit_reg_alloc(s, exclude);
    jit_temp_load_to(s, op->args[arg], r);
    return r;
}

void jit_temp_set_reg(JitGen *s, IRTempIdx t, int r)
{
    JitTemp *ts = jit_ts(s, t);
    IRTempKind kind = jit_irt(s, t)->kind;

    g_assert(kind == IR_TEMP_GLOBAL || kind == IR_TEMP_TB || kind == IR_TEMP_BB);
    g_assert(r != JIT_ENV_REG && r != JIT_TMP_REG && r != X86_RSP);
    if (ts->loc == JIT_LOC_REG && ts->reg != r && s->reg_owner[ts->reg] == (int)t) {
        s->reg_owner[ts->reg] = JIT_REG_FREE;
    }
    s->reg_owner[r] = t;
    s->locked |= 1u << r;
    ts->loc = JIT_LOC_REG;
    ts->reg = r;
    ts->coherent = false;
}

void jit_op_done(JitGen *s, unsigned op_idx)
{
    IROp *op = ir_op(s->ctx, op_idx);

    for (unsigned k = 0; k < op->nb_oargs + op->nb_iargs; k++) {
        IRTempIdx t = op->args[k];
        IRTempKind kind = jit_irt(s, t)->kind;
        JitTemp *ts = jit_ts(s, t);

        if (!jit_arg_dead(s, op_idx, k) || (kind != IR_TEMP_BB && kind != IR_TEMP_TB)) {
            continue;
        }
        /* An input that is also this op's output is not dead. */
        if (k >= op->nb_oargs) {
            bool is_out = false;

            for (unsigned o = 0; o < op->nb_oargs; o++) {
                is_out |= op->args[o] == t;
            }
            if (is_out) {
                continue;
            }
        }
        if (ts->loc == JIT_LOC_REG || (kind == IR_TEMP_BB && ts->loc == JIT_LOC_MEM)) {
            temp_unreg(s, t, true);
        }
    }
    /* Scratch registers are always locked: only those need a look. */
    for (unsigned m = s->locked; m; m &= m - 1) {
        int r = __builtin_ctz(m);

        if (s->reg_owner[r] == JIT_REG_SCRATCH) {
            s->reg_owner[r] = JIT_REG_FREE;
        }
    }
    s->locked = 0;
}

void jit_sync(JitGen *s, bool tb_temps)
{
    for (int r = 0; r < X86_NB_REGS; r++) {
        int t = s->reg_owner[r];
        IRTempKind kind;

        if (t < 0) {
            continue;
        }
        kind = jit_irt(s, t)->kind;
        if (kind == IR_TEMP_GLOBAL || (tb_temps && kind == IR_TEMP_TB)) {
            jit_temp_store(s, t);
        }
    }
}

void jit_forget_globals(JitGen *s)
{
    for (int r = 0; r < X86_NB_REGS; r++) {
        int t = s->reg_owner[r];

        if (t >= 0 && jit_irt(s, t)->kind == IR_TEMP_GLOBAL) {
            g_assert(jit_ts(s, t)->coherent);
            temp_unreg(s, t, false);
        }
    }
}

void jit_kill_bb_temps(JitGen *s)
{
    /* A live bb temp is in a register or, spilled, in a slot it got on
     * the way (listed in bb_slotted). */
    for (int r = 0; r < X86_NB_REGS; r++) {
        int t = s->reg_owner[r];

        if (t >= 0 && jit_irt(s, t)->kind == IR_TEMP_BB) {
            temp_unreg(s, t, true);
        }
    }
    for (guint k = 0; k < s->bb_slotted->len; k++) {
        IRTempIdx t = g_array_index(s->bb_slotted, IRTempIdx, k);
        JitTemp *ts = jit_ts(s, t);

        if (ts->slot >= 0) {
            temp_unreg(s, t, true);
        }
    }
    g_array_set_size(s->bb_slotted, 0);
}

void jit_forget_all(JitGen *s, bool synced)
{
    jit_kill_bb_temps(s);
    for (int r = 0; r < X86_NB_REGS; r++) {
        int t = s->reg_owner[r];

        if (t >= 0) {
            /* Code after a label sees globals and tb temps in memory, so
             * they must have been written back; after a TB exit nothing
             * but globals matters. */
            g_assert(!synced || jit_ts(s, t)->coherent);
            temp_unreg(s, t, false);
        }
    }
}

void jit_spill_caller_saved(JitGen *s, uint16_t dying, bool drop_globals)
{
    for (int r = 0; r < X86_NB_REGS; r++) {
        int t = s->reg_owner[r];
        int to;

        if (t < 0 || (CALLEE_SAVED & (1u << r))) {
            continue;
        }
        if (dying & (1u << r)) {
            temp_unreg(s, t, true);
            continue;
        }
        if (drop_globals && jit_irt(s, t)->kind == IR_TEMP_GLOBAL) {
            jit_temp_store(s, t);
            temp_unreg(s, t, false);
            continue;
        }
        to = find_free(s, 0, CALLEE_SAVED);
        if (to >= 0) {
            x86_mov_rr(&s->code, true, to, r);
            s->reg_owner[to] = t;
            s->reg_owner[r] = JIT_REG_FREE;
            jit_ts(s, t)->reg = to;
        } else {
            jit_temp_store(s, t);
            temp_unreg(s, t, false);
        }
    }
}

void jit_env_access(JitGen *s, int32_t ofs, unsigned size, bool after_store)
{
    for (int r = 0; r < X86_NB_REGS; r++) {
        int t = s->reg_owner[r];
        IRTemp *it;
        int32_t gsize;

        if (t < 0) {
            continue;
        }
        it = jit_irt(s, t);
        gsize = it->type == IR_TYPE_I64 ? 8 : 4;
        if (it->kind != IR_TEMP_GLOBAL || it->mem_offset >= ofs + (int32_t)size ||
            ofs >= it->mem_offset + gsize) {
            continue;
        }
        if (after_store) {
            g_assert(jit_ts(s, t)->coherent);
            temp_unreg(s, t, false);
        } else {
            jit_temp_store(s, t);
        }
    }
}

/* ---- loop headers ---- */

void jit_entry_record(JitGen *s, IRLabel l)
{
    JitLabel *lab = &s->labels[l];

    if (s->use_entries || lab->entry_count >= 0) {
        return;
    }
    lab->entry_start = s->entries->len;
    lab->entry_count = 0;
    for (int r = 0; r < X86_NB_REGS; r++) {
        int t = s->reg_owner[r];
        IRTempKind kind;
        JitEntry e;

        if (t < 0) {
            continue;
        }
        kind = jit_irt(s, t)->kind;
        if (kind != IR_TEMP_GLOBAL && kind != IR_TEMP_TB) {
            continue;
        }
        e.t = t;
        e.reg = r;
        /* Not written since it was last in memory: a loop that only reads
         * it need not write it back at every sync. */
        e.coherent = jit_ts(s, t)->coherent;
        g_array_append_val(s->entries, e);
        lab->entry_count++;
    }
}

static JitEntry *entry_at(JitGen *s, JitLabel *lab, int k)
{
    return &g_array_index(s->entries, JitEntry, lab->entry_start + k);
}

/* Whether t is one of the label's entry values that is not in its place. */
static bool entry_pending(JitGen *s, JitLabel *lab, uint32_t pending, int t)
{
    for (int k = 0; k < lab->entry_count; k++) {
        if ((pending & (1u << k)) && (int)entry_at(s, lab, k)->t == t) {
            return true;
        }
    }
    return false;
}

bool jit_entry_conform(JitGen *s, IRLabel l)
{
    JitLabel *lab = &s->labels[l];
    uint32_t pending = 0;

    if (!s->use_entries || lab->entry_count < 0) {
        return false;
    }
    g_assert(lab->entry_count <= 32);
    for (int k = 0; k < lab->entry_count; k++) {
        JitEntry *e = entry_at(s, lab, k);

        if (s->reg_owner[e->reg] != (int)e->t) {
            pending |= 1u << k;
        }
    }
    /* Target registers held by values that are not moving elsewhere: put
     * those values back in memory (written back by the caller's jit_sync,
     * or stored here). */
    for (int k = 0; k < lab->entry_count; k++) {
        JitEntry *e = entry_at(s, lab, k);
        int u = s->reg_owner[e->reg];

        if ((pending & (1u << k)) && u >= 0 && !entry_pending(s, lab, pending, u)) {
            g_assert(!(s->locked & (1u << e->reg)));
            jit_temp_store(s, u);
            temp_unreg(s, u, false);
        }
    }
    /* A parallel move: fill each target once it is free, so that register
     * values go straight to their place; a cycle is broken through memory. */
    while (pending) {
        bool progress = false;

        for (int k = 0; k < lab->entry_count; k++) {
            JitEntry *e = entry_at(s, lab, k);
            JitTemp *ts = jit_ts(s, e->t);

            if (!(pending & (1u << k)) || s->reg_owner[e->reg] != JIT_REG_FREE) {
                continue;
            }
            if (ts->loc == JIT_LOC_REG) {
                x86_mov_rr(&s->code, true, e->reg, ts->reg);
                s->reg_owner[ts->reg] = JIT_REG_FREE;
            } else {
                temp_load_home(s, e->t, e->reg);
                ts->coherent = true;
            }
            s->reg_owner[e->reg] = e->t;
            ts->loc = JIT_LOC_REG;
            ts->reg = e->reg;
            pending &= ~(1u << k);
            progress = true;
        }
        if (!progress) {
            /* every pending target holds another pending value: spill one */
            for (int k = 0; k < lab->entry_count; k++) {
                if (pending & (1u << k)) {
                    int u = s->reg_owner[entry_at(s, lab, k)->reg];

                    jit_temp_store(s, u);
                    temp_unreg(s, u, false);
                    break;
                }
            }
        }
    }
    /* The code after the label takes these as current in memory. */
    for (int k = 0; k < lab->entry_count; k++) {
        if (entry_at(s, lab, k)->coherent) {
            jit_temp_store(s, entry_at(s, lab, k)->t);
        }
    }
    return true;
}

void jit_entry_sync(JitGen *s, IRLabel l)
{
    JitLabel *lab = &s->labels[l];
    uint16_t skip = 0;

    /* Values of the entry state may stay dirty in their registers: the
     * code after the label assumes they are (see jit_entry_bind). */
    for (int k = 0; s->use_entries && k < lab->entry_count; k++) {
        JitEntry *e = entry_at(s, lab, k);
        JitTemp *ts = jit_ts(s, e->t);

        if (ts->loc == JIT_LOC_REG) {
            skip |= 1u << ts->reg;
        }
    }
    for (int r = 0; r < X86_NB_REGS; r++) {
        int t = s->reg_owner[r];
        IRTempKind kind;

        if (t < 0 || (skip & (1u << r))) {
            continue;
        }
        kind = jit_irt(s, t)->kind;
        if (kind == IR_TEMP_GLOBAL || kind == IR_TEMP_TB) {
            jit_temp_store(s, t);
        }
    }
}

void jit_entry_lock(JitGen *s, IRLabel l)
{
    JitLabel *lab = &s->labels[l];

    for (int k = 0; s->use_entries && k < lab->entry_count; k++) {
        s->locked |= 1u << entry_at(s, lab, k)->reg;
    }
}

static bool entry_coherent(JitGen *s, JitLabel *lab, int t)
{
    for (int k = 0; k < lab->entry_count; k++) {
        if ((int)entry_at(s, lab, k)->t == t) {
            return entry_at(s, lab, k)->coherent;
        }
    }
    return false;
}

void jit_entry_bind(JitGen *s, IRLabel l)
{
    JitLabel *lab = &s->labels[l];
    uint16_t keep = 0;

    for (int k = 0; k < lab->entry_count; k++) {
        keep |= 1u << entry_at(s, lab, k)->reg;
    }
    jit_kill_bb_temps(s);
    for (int r = 0; r < X86_NB_REGS; r++) {
        int t = s->reg_owner[r];

        if (t < 0) {
            continue;
        }
        if (keep & (1u << r)) {
            /* Dirty unless every way in wrote it back (conform did). */
            jit_ts(s, t)->coherent = entry_coherent(s, lab, t);
        } else {
            g_assert(jit_ts(s, t)->coherent);
            temp_unreg(s, t, false);
        }
    }
}
