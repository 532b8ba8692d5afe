/*
 * Lowering of memory ops: host loads and stores relative to a base
 * pointer (CPU state), guest loads and stores (user mode: host address =
 * ir_guest_base + guest address) and guest atomics.
 *
 * Every guest access may fault, so dirty globals are written back before
 * it (the guest state must be exact at a fault). MO_ALIGN tests the low
 * address bits and branches to an out-of-line path at the end of the TB
 * that calls ir_helper_unaligned; that path has its own entry in the TB's
 * insn map so find_insn reports the faulting instruction. Big-endian
 * accesses swap bytes in registers (or use movbe when the host has it).
 * Atomics use lock cmpxchg / lock xadd / xchg, or a lock cmpxchg loop for
 * the other operations; the semantics match the interpreter's (operations
 * at the access size, min/max comparing size-wide values).
 *
 * Softmmu (ir_mem_model): a guest load or store looks up the TLB inline
 * (index from the page number, compare the tag, add the addend) with the
 * address in rsi and a store's value in rdx, the helper's argument
 * registers; a miss jumps to an out-of-line path after the TB that calls
 * ir_helper_ld/st_mmu_ra and jumps back. Caller-saved registers are
 * emptied first, as for a call, so the path may call. Atomics always call
 * the runtime's softmmu helpers.
 */
#include <stddef.h>

#include "accel/tcg/host/x86_64.h"
#include "proteus/cpu.h"

static bool op_is64(const IROp *op)
{
    return op->type == IR_TYPE_I64;
}

/* ---- host memory ---- */

void jit_lower_ld_st(JitGen *s, unsigned i)
{
    IROp *op = ir_op(s->ctx, i);
    bool is64 = op_is64(op);
    int32_t ofs = (int32_t)op->args[2];
    IRTempIdx base = op->args[1];
    bool on_env = jit_irt(s, base)->kind == IR_TEMP_ENV;
    X86LoadKind kind;
    unsigned size;
    int rb, rd;

    switch (op->opc) {
    case IR_OP_ld8u: kind = X86_LD8U; size = 1; break;
    case IR_OP_ld8s: kind = is64 ? X86_LD8S64 : X86_LD8S32; size = 1; break;
    case IR_OP_ld16u: kind = X86_LD16U; size = 2; break;
    case IR_OP_ld16s: kind = is64 ? X86_LD16S64 : X86_LD16S32; size = 2; break;
    case IR_OP_ld32u: kind = X86_LD32; size = 4; break;
    case IR_OP_ld32s: kind = X86_LD32S64; size = 4; break;
    case IR_OP_ld: kind = is64 ? X86_LD64 : X86_LD32; size = is64 ? 8 : 4; break;
    case IR_OP_st8: kind = X86_LD8U; size = 1; break;
    case IR_OP_st16: kind = X86_LD16U; size = 2; break;
    case IR_OP_st32: kind = X86_LD32; size = 4; break;
    case IR_OP_st: kind = X86_LD64; size = is64 ? 8 : 4; break;
    default:
        g_assert_not_reached();
    }
    if (op->nb_oargs) {
        /* A load from env sees a global's current value. */
        if (on_env) {
            jit_env_access(s, ofs, size, false);
        }
        rb = jit_temp_load(s, base, 0);
        rd = jit_out_reg(s, i, 1, 0);
        x86_load(&s->code, kind, rd, rb, X86_NO_REG, ofs);
        jit_temp_set_reg(s, op->args[0], rd);
    } else {
        IRTempIdx v = op->args[0];
        unsigned lg = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;

        /* A store into a global's field: the part it leaves must be
         * current in memory, and the cached copy is stale after it. */
        if (on_env) {
            jit_env_access(s, ofs, size, false);
        }
        rb = jit_temp_load(s, base, 0);
        if (jit_temp_is_const(s, v) && (lg < 3 || x86_fits_i32(jit_irt(s, v)->val))) {
            x86_store_imm(&s->code, lg, (int32_t)jit_irt(s, v)->val, rb, X86_NO_REG, ofs);
        } else {
            int rv = jit_temp_load(s, v, 0);

            x86_store(&s->code, lg, rv, rb, X86_NO_REG, ofs);
        }
        if (on_env) {
            jit_env_access(s, ofs, size, true);
        }
    }
    jit_op_done(s, i);
}

/* ---- guest memory ---- */

typedef struct GuestAddr {
    int base, index;
    int32_t disp;
} GuestAddr;

/* Records an alignment check of the address in ra for mop. */
static void align_check(JitGen *s, int ra, unsigned mop)
{
    unsigned size = memop_size(mop);
    JitSlowPath sp;

    if (!(mop & MO_ALIGN) || size == 1) {
        return;
    }
    x86_test_ri(&s->code, false, ra, size - 1);
    sp.jcc_field = x86_jcc_rel32(&s->code, X86_CC_NE, -1);
    sp.kind = JIT_SLOW_ALIGN;
    sp.rejoin = 0;
    sp.addr_reg = ra;
    sp.mop = mop;
    sp.insn = s->cur_insn;
    g_array_append_val(s->slow_paths, sp);
}

/* The host address of the guest address in ra; may use the scratch
 * register, so call it after everything else that needs it. */
static GuestAddr guest_addr(JitGen *s, int ra)
{
    GuestAddr a = { .base = ra, .index = X86_NO_REG, .disp = 0 };
    int64_t gb = (int64_t)ir_guest_base;

    if (gb == 0) {
        return a;
    }
    if (x86_fits_i32(gb)) {
        a.disp = (int32_t)gb;
    } else {
        x86_movi(&s->code, true, JIT_TMP_REG, gb);
        a.index = JIT_TMP_REG;
    }
    return a;
}

/* Byte-swaps the low 1 << lg bytes of r (lg 1: bits 16.. are kept). */
static void swap_sized(JitGen *s, unsigned lg, int r)
{
    switch (lg) {
    case 1:
        x86_bswap16(&s->code, r);
        break;
    case 2:
        x86_bswap(&s->code, false, r);
        break;
    case 3:
        x86_bswap(&s->code, true, r);
        break;
    default:
        break;
    }
}

/* Extends the low 1 << lg bytes of r to the op's type as mop says. */
static void extend_sized(JitGen *s, unsigned lg, bool sign, bool is64, int r)
{
    switch (lg) {
    case 0:
        if (sign) {
            x86_movsx8(&s->code, is64, r, r);
        } else {
            x86_movzx8(&s->code, r, r);
        }
        break;
    case 1:
        if (sign) {
            x86_movsx16(&s->code, is64, r, r);
        } else {
            x86_movzx16(&s->code, r, r);
        }
        break;
    case 2:
        if (sign && is64) {
            x86_movsxd(&s->code, r, r);
        } else {
            x86_mov_rr(&s->code, false, r, r);
        }
        break;
    default:
        break;
    }
}

/* An opcode at the access size: byte form, or the word/dword/qword form. */
static uint32_t sized_opc(unsigned lg, uint32_t byte_opc, uint32_t opc)
{
    static const uint32_t size_flags[] = { 0, OPC_66, 0, OPC_REXW };

    return lg == 0 ? byte_opc | OPC_BYTE_R : opc | size_flags[lg];
}

static void lower_guest_ld(JitGen *s, unsigned i, IROp *op)
{
    bool is64 = op_is64(op);
    unsigned mop = op->args[2], lg = mop & MO_SIZE;
    bool sign = mop & MO_SIGN, be = (mop & MO_BE) && lg > 0;
    X86LoadKind kind;
    GuestAddr a;
    int ra, rd;

    jit_sync(s, false);
    ra = jit_temp_load(s, op->args[1], 0);
    align_check(s, ra, mop);
    a = guest_addr(s, ra);
    rd = jit_out_reg(s, i, 1, 0);
    if (be && lg >= 2 && (s->features & JIT_FEAT_MOVBE)) {
        /* movbe r32 zero-extends like any 32-bit load. */
        x86_rm(&s->code, OPC_0F38 | 0xf0 | (lg == 3 ? OPC_REXW : 0), rd, a.base, a.index, 0,
               a.disp);
        if (lg == 2 && sign && is64) {
            x86_movsxd(&s->code, rd, rd);
        }
    } else if (be) {
        static const X86LoadKind raw[] = { X86_LD8U, X86_LD16U, X86_LD32, X86_LD64 };

        x86_load(&s->code, raw[lg], rd, a.base, a.index, a.disp);
        swap_sized(s, lg, rd);
        if (sign) {
            extend_sized(s, lg, true, is64, rd);
        }
    } else {
        switch (lg) {
        case 0:
            kind = sign ? (is64 ? X86_LD8S64 : X86_LD8S32) : X86_LD8U;
            break;
        case 1:
            kind = sign ? (is64 ? X86_LD16S64 : X86_LD16S32) : X86_LD16U;
            break;
        case 2:
            kind = (sign && is64) ? X86_LD32S64 : X86_LD32;
            break;
        default:
            kind = X86_LD64;
            break;
        }
        x86_load(&s->code, kind, rd, a.base, a.index, a.disp);
    }
    jit_temp_set_reg(s, op->args[0], rd);
}

static uint64_t swap_const(uint64_t v, unsigned lg)
{
    switch (lg) {
    case 1: return __builtin_bswap16((uint16_t)v);
    case 2: return __builtin_bswap32((uint32_t)v);
    case 3: return __builtin_bswap64(v);
    default: return v;
    }
}

static void lower_guest_st(JitGen *s, unsigned i, IROp *op)
{
    unsigned mop = op->args[2], lg = mop & MO_SIZE;
    bool be = (mop & MO_BE) && lg > 0;
    IRTempIdx v = op->args[0];
    GuestAddr a;
    int ra, rv = -1;
    int64_t imm = 0;
    bool use_imm = false;

    jit_sync(s, false);
    ra = jit_temp_load(s, op->args[1], 0);
    align_check(s, ra, mop);
    if (jit_temp_is_const(s, v)) {
        imm = jit_const_val(s, v);
        if (be) {
            imm = (int64_t)swap_const(imm, lg);
        }
        use_imm = lg < 3 || x86_fits_i32(imm);
    }
    if (!use_imm) {
        if (jit_temp_is_const(s, v)) {
            rv = jit_reg_alloc(s, 0);
            x86_movi(&s->code, true, rv, imm);
        } else {
            rv = jit_temp_load(s, v, 0);
            if (be && !(s->features & JIT_FEAT_MOVBE)) {
                int rt = jit_reg_alloc(s, 0);

                x86_mov_rr(&s->code, true, rt, rv);
                swap_sized(s, lg, rt);
                rv = rt;
                be = false;
            }
        }
    } else {
        be = false;
    }
    a = guest_addr(s, ra);
    if (use_imm) {
        x86_store_imm(&s->code, lg, (int32_t)imm, a.base, a.index, a.disp);
    } else if (be && !jit_temp_is_const(s, v)) {
        /* movbe m, r (0F 38 F1) at the access size. */
        x86_rm(&s->code, OPC_0F38 | 0xf1 | (lg == 1 ? OPC_66 : lg == 3 ? OPC_REXW : 0), rv,
               a.base, a.index, 0, a.disp);
    } else {
        x86_store(&s->code, lg, rv, a.base, a.index, a.disp);
    }
}

static void lower_cmpxchg(JitGen *s, unsigned i, IROp *op)
{
    bool is64 = op_is64(op);
    unsigned mop = op->args[4], lg = mop & MO_SIZE;
    bool be = mop & MO_BE;
    GuestAddr a;
    int ra, rn;

    jit_sync(s, false);
    jit_reg_take(s, X86_RAX);
    ra = jit_temp_load(s, op->args[1], 0);
    align_check(s, ra, mop);
    rn = jit_temp_load(s, op->args[3], 0);
    if (be && lg > 0) {
        int rt = jit_reg_alloc(s, 0);

        x86_mov_rr(&s->code, true, rt, rn);
        swap_sized(s, lg, rt);
        rn = rt;
    }
    jit_temp_load_to(s, op->args[2], X86_RAX);
    if (be) {
        swap_sized(s, lg, X86_RAX);
    }
    a = guest_addr(s, ra);
    /* lock cmpxchg compares only the access size's low bits of rax. */
    x86_rm(&s->code, OPC_LOCK | OPC_0F | sized_opc(lg, 0xb0, 0xb1), rn, a.base, a.index, 0,
           a.disp);
    if (be) {
        swap_sized(s, lg, X86_RAX);
    }
    extend_sized(s, lg, mop & MO_SIGN, is64, X86_RAX);
    jit_temp_set_reg(s, op->args[0], X86_RAX);
}

/* xchg and (little-endian) add have one instruction each. */
static void lower_rmw_simple(JitGen *s, unsigned i, IROp *op, bool is_xchg)
{
    bool is64 = op_is64(op);
    unsigned mop = op->args[3], lg = mop & MO_SIZE;
    bool be = mop & MO_BE;
    GuestAddr a;
    int ra, rv;

    jit_sync(s, false);
    ra = jit_temp_load(s, op->args[1], 0);
    align_check(s, ra, mop);
    rv = jit_load_dest(s, i, 2, 0);
    if (be) {
        swap_sized(s, lg, rv);
    }
    a = guest_addr(s, ra);
    if (is_xchg) {
        /* xchg with memory is always locked. */
        x86_rm(&s->code, sized_opc(lg, 0x86, 0x87), rv, a.base, a.index, 0, a.disp);
    } else {
        x86_rm(&s->code, OPC_LOCK | OPC_0F | sized_opc(lg, 0xc0, 0xc1), rv, a.base, a.index,
               0, a.disp);
    }
    if (be) {
        swap_sized(s, lg, rv);
    }
    extend_sized(s, lg, mop & MO_SIGN, is64, rv);
    jit_temp_set_reg(s, op->args[0], rv);
}

/* The other operations: load, compute, lock cmpxchg, retry on a race. */
static void lower_rmw_loop(JitGen *s, unsigned i, IROp *op, IRAtomicOp aop)
{
    static const X86LoadKind raw[] = { X86_LD8U, X86_LD16U, X86_LD32, X86_LD64 };
    bool is64 = op_is64(op);
    unsigned mop = op->args[3], lg = mop & MO_SIZE;
    bool be = mop & MO_BE;
    GuestAddr a;
    int ra, rv, rn;
    size_t loop;

    jit_sync(s, false);
    jit_reg_take(s, X86_RAX);
    ra = jit_temp_load(s, op->args[1], 0);
    align_check(s, ra, mop);
    rv = jit_temp_load(s, op->args[2], 0);
    rn = jit_reg_alloc(s, 0);
    a = guest_addr(s, ra);
    /* rax holds the raw memory value, zero-extended; a failed cmpxchg
     * only rewrites its low bytes, so it stays zero-extended. */
    x86_load(&s->code, raw[lg], X86_RAX, a.base, a.index, a.disp);
    loop = s->code.pos;
    x86_mov_rr(&s->code, true, rn, X86_RAX);
    if (be) {
        swap_sized(s, lg, rn);
    }
    switch (aop) {
    case IR_ATOMIC_XCHG:
        x86_mov_rr(&s->code, true, rn, rv);
        break;
    case IR_ATOMIC_ADD:
        x86_alu_rr(&s->code, X86_ADD, true, rn, rv);
        break;
    case IR_ATOMIC_AND:
        x86_alu_rr(&s->code, X86_AND, true, rn, rv);
        break;
    case IR_ATOMIC_OR:
        x86_alu_rr(&s->code, X86_OR, true, rn, rv);
        break;
    case IR_ATOMIC_XOR:
        x86_alu_rr(&s->code, X86_XOR, true, rn, rv);
        break;
    default: {
        /* Compare old with v at the access size; take v when old is
         * beyond it in the wanted direction. */
        X86Cond cc = aop == IR_ATOMIC_SMIN ? X86_CC_G : aop == IR_ATOMIC_SMAX ? X86_CC_L
                   : aop == IR_ATOMIC_UMIN ? X86_CC_A : X86_CC_B;

        g_assert(aop <= IR_ATOMIC_UMAX);
        x86_rr(&s->code, sized_opc(lg, 0x38 | OPC_BYTE_RM, 0x39), rv, rn);
        x86_cmov(&s->code, cc, true, rn, rv);
        break;
    }
    }
    if (be) {
        swap_sized(s, lg, rn);
    }
    x86_rm(&s->code, OPC_LOCK | OPC_0F | sized_opc(lg, 0xb0, 0xb1), rn, a.base, a.index, 0,
           a.disp);
    x86_jcc_back(&s->code, X86_CC_NE, loop);
    if (be) {
        swap_sized(s, lg, X86_RAX);
    }
    extend_sized(s, lg, mop & MO_SIGN, is64, X86_RAX);
    jit_temp_set_reg(s, op->args[0], X86_RAX);
}

/* ---- softmmu ---- */

static const int8_t mmu_arg_regs[] = { X86_RSI, X86_RDX, X86_RCX };

/*
 * Writes back globals, empties the caller-saved registers (as a call
 * would) and puts the values of temps t[0..n) in rsi, rdx, rcx. Values
 * stay where they were until the moves, whatever the allocator records.
 */
static void mmu_args(JitGen *s, unsigned i, IROp *op, const unsigned *arg, unsigned n)
{
    int src[3];
    uint16_t dying = 0;
    unsigned moves = 0;

    g_assert(n <= 3);
    jit_sync(s, false);
    for (unsigned k = 0; k < n; k++) {
        IRTempIdx t = op->args[arg[k]];
        IRTemp *it = jit_irt(s, t);
        JitTemp *ts = jit_ts(s, t);

        src[k] = -1;
        if (it->kind == IR_TEMP_ENV) {
            src[k] = JIT_ENV_REG;
        } else if (it->kind != IR_TEMP_CONST && ts->loc == JIT_LOC_REG) {
            src[k] = ts->reg;
            if (jit_arg_dead(s, i, arg[k])) {
                dying |= 1u << ts->reg;
            }
        }
        moves += src[k] >= 0 && src[k] != mmu_arg_regs[k];
    }
    jit_spill_caller_saved(s, dying, false);
    if (moves == 1) {
        /* Distinct destinations: one move cannot clobber a placed source. */
        for (unsigned k = 0; k < n; k++) {
            if (src[k] >= 0 && src[k] != mmu_arg_regs[k]) {
                x86_mov_rr(&s->code, true, mmu_arg_regs[k], src[k]);
            }
        }
    } else if (moves > 1) {
        /* Any permutation: through the stack (no call in between). */
        for (unsigned k = 0; k < n; k++) {
            if (src[k] >= 0 && src[k] != mmu_arg_regs[k]) {
                x86_push(&s->code, src[k]);
            }
        }
        for (unsigned k = n; k-- > 0;) {
            if (src[k] >= 0 && src[k] != mmu_arg_regs[k]) {
                x86_pop(&s->code, mmu_arg_regs[k]);
            }
        }
    }
    for (unsigned k = 0; k < n; k++) {
        if (src[k] < 0) {
            jit_temp_load_to(s, op->args[arg[k]], mmu_arg_regs[k]);
        }
    }
}

/*
 * The inline lookup for an access at rsi: leaves the host address in rax
 * on a hit, and records the slow path (which rejoins at the current
 * position once the caller has emitted the access: see tlb_rejoin).
 * Clobbers rax and rcx.
 */
static JitSlowPath tlb_lookup_inline(JitGen *s, unsigned mop, unsigned mmu, bool store,
                                     JitSlowKind kind)
{
    unsigned size = memop_size(mop);
    int32_t table = (int32_t)(offsetof(CPUState, tlb.table) +
                              mmu * TLB_NB_ENTRIES * sizeof(CPUTLBEntry));
    int32_t field = store ? offsetof(CPUTLBEntry, addr_write) : offsetof(CPUTLBEntry, addr_read);
    int32_t mask = (int32_t)TLB_PAGE_MASK;
    JitSlowPath sp;

    G_STATIC_ASSERT(sizeof(CPUTLBEntry) == 32);
    g_assert(mmu < TLB_NB_MMU_MODES);
    /* eax = index * 32 */
    x86_mov_rr(&s->code, false, X86_RAX, X86_RSI);
    x86_shift_ri(&s->code, X86_SHR, false, X86_RAX, TLB_PAGE_BITS - 5);
    x86_alu_ri(&s->code, X86_AND, false, X86_RAX, (TLB_NB_ENTRIES - 1) << 5);
    /* rcx = the compared value */
    if (mop & MO_ALIGN) {
        x86_mov_rr(&s->code, true, X86_RCX, X86_RSI);
        mask |= size - 1;
    } else {
        x86_lea(&s->code, true, X86_RCX, X86_RSI, X86_NO_REG, 0, size - 1);
    }
    x86_alu_ri(&s->code, X86_AND, true, X86_RCX, mask);
    /* cmp rcx, [env + rax + table + field] (REX.W 3B /r) */
    x86_rm(&s->code, OPC_REXW | 0x3b, X86_RCX, JIT_ENV_REG, X86_RAX, 0, table + field);
    sp.jcc_field = x86_jcc_rel32(&s->code, X86_CC_NE, -1);
    sp.kind = kind;
    sp.addr_reg = X86_RSI;
    sp.mop = mop | mmu << 8;
    sp.insn = s->cur_insn;
    sp.rejoin = 0;
    x86_load(&s->code, X86_LD64, X86_RAX, JIT_ENV_REG, X86_RAX,
             table + (int32_t)offsetof(CPUTLBEntry, addend));
    x86_alu_rr(&s->code, X86_ADD, true, X86_RAX, X86_RSI);
    return sp;
}

static void tlb_rejoin(JitGen *s, JitSlowPath *sp)
{
    sp->rejoin = s->code.pos;
    g_array_append_val(s->slow_paths, *sp);
}

static void softmmu_ld(JitGen *s, unsigned i, IROp *op)
{
    static const X86LoadKind raw[] = { X86_LD8U, X86_LD16U, X86_LD32, X86_LD64 };
    static const unsigned addr_arg[] = { 1 };
    bool is64 = op_is64(op);
    unsigned mop = op->args[2], lg = mop & MO_SIZE;
    JitSlowPath sp;

    mmu_args(s, i, op, addr_arg, 1);
    sp = tlb_lookup_inline(s, mop, op->args[3], false, JIT_SLOW_TLB_LD);
    if ((mop & MO_BE) && lg >= 2 && (s->features & JIT_FEAT_MOVBE)) {
        x86_rm(&s->code, OPC_0F38 | 0xf0 | (lg == 3 ? OPC_REXW : 0), X86_RAX, X86_RAX,
               X86_NO_REG, 0, 0);
    } else {
        x86_load(&s->code, raw[lg], X86_RAX, X86_RAX, X86_NO_REG, 0);
        if (mop & MO_BE) {
            swap_sized(s, lg, X86_RAX);
        }
    }
    tlb_rejoin(s, &sp);
    /* Both ways: the value zero-extended at the access size. */
    extend_sized(s, lg, mop & MO_SIGN, is64, X86_RAX);
    if (!is64 && lg == 3) {
        x86_mov_rr(&s->code, false, X86_RAX, X86_RAX);
    }
    jit_reg_take(s, X86_RAX);
    jit_temp_set_reg(s, op->args[0], X86_RAX);
}

static void softmmu_st(JitGen *s, unsigned i, IROp *op)
{
    static const unsigned args[] = { 1, 0 };
    unsigned mop = op->args[2], lg = mop & MO_SIZE;
    bool be = (mop & MO_BE) && lg > 0;
    JitSlowPath sp;

    mmu_args(s, i, op, args, 2);
    sp = tlb_lookup_inline(s, mop, op->args[3], true, JIT_SLOW_TLB_ST);
    if (be && (s->features & JIT_FEAT_MOVBE)) {
        x86_rm(&s->code, OPC_0F38 | 0xf1 | (lg == 1 ? OPC_66 : lg == 3 ? OPC_REXW : 0),
               X86_RDX, X86_RAX, X86_NO_REG, 0, 0);
    } else if (be) {
        /* rdx stays as it is for the slow path. */
        x86_mov_rr(&s->code, true, X86_RCX, X86_RDX);
        swap_sized(s, lg, X86_RCX);
        x86_store(&s->code, lg, X86_RCX, X86_RAX, X86_NO_REG, 0);
    } else {
        x86_store(&s->code, lg, X86_RDX, X86_RAX, X86_NO_REG, 0);
    }
    tlb_rejoin(s, &sp);
}

/* Atomics: a plain call of the runtime helper (rdi env, rsi addr, ...). */
static void softmmu_atomic(JitGen *s, unsigned i, IROp *op)
{
    static const unsigned cmpxchg_args[] = { 1, 2, 3 };
    static const unsigned rmw_args[] = { 1, 2 };
    bool is64 = op_is64(op);
    bool cas = op->opc == IR_OP_atomic_cmpxchg;
    unsigned mop = cas ? op->args[4] : op->args[3], lg = mop & MO_SIZE;
    unsigned mmu = cas ? op->args[5] : op->args[4];
    uint32_t oi = mop | mmu << 8;

    g_assert(mmu < TLB_NB_MMU_MODES);
    if (cas) {
        mmu_args(s, i, op, cmpxchg_args, 3);
        x86_movi(&s->code, false, X86_R8, oi);
    } else {
        mmu_args(s, i, op, rmw_args, 2);
        x86_movi(&s->code, false, X86_RCX, oi | (uint32_t)op->args[5] << 16);
    }
    x86_mov_rr(&s->code, true, X86_RDI, JIT_ENV_REG);
    jit_insn_call(s, s->cur_insn, cas ? (uintptr_t)ir_helper_cmpxchg_mmu_ra
                                      : (uintptr_t)ir_helper_rmw_mmu_ra);
    extend_sized(s, lg, mop & MO_SIGN, is64, X86_RAX);
    if (!is64 && lg == 3) {
        x86_mov_rr(&s->code, false, X86_RAX, X86_RAX);
    }
    jit_reg_take(s, X86_RAX);
    jit_temp_set_reg(s, op->args[0], X86_RAX);
}

static void jit_lower_guest_mem_softmmu(JitGen *s, unsigned i)
{
    IROp *op = ir_op(s->ctx, i);

    switch (op->opc) {
    case IR_OP_guest_ld:
        softmmu_ld(s, i, op);
        break;
    case IR_OP_guest_st:
        softmmu_st(s, i, op);
        break;
    case IR_OP_atomic_cmpxchg:
    case IR_OP_atomic_rmw:
        softmmu_atomic(s, i, op);
        break;
    default:
        g_assert_not_reached();
    }
    jit_op_done(s, i);
}

/* A TLB miss: the helper does the whole access, then back to the code. */
static void jit_emit_tlb_slow_path(JitGen *s, const JitSlowPath *sp)
{
    JitInsn insn = { .host_off = s->code.pos - s->tb_start, .insn = sp->insn };

    x86_patch_rel32(&s->code, sp->jcc_field, s->code.pos);
    if (sp->insn != JIT_INSN_MULTI) {
        g_array_append_val(s->insns, insn);
    }
    x86_mov_rr(&s->code, true, X86_RDI, JIT_ENV_REG);
    if (sp->kind == JIT_SLOW_TLB_LD) {
        x86_movi(&s->code, false, X86_RDX, sp->mop);
        jit_insn_call(s, sp->insn, (uintptr_t)ir_helper_ld_mmu_ra);
    } else {
        x86_movi(&s->code, false, X86_RCX, sp->mop);
        jit_insn_call(s, sp->insn, (uintptr_t)ir_helper_st_mmu_ra);
    }
    x86_jmp_back(&s->code, sp->rejoin);
}

void jit_lower_guest_mem(JitGen *s, unsigned i)
{
    IROp *op = ir_op(s->ctx, i);

    if (ir_mem_model == IR_MEM_SOFTMMU) {
        jit_lower_guest_mem_softmmu(s, i);
        return;
    }
    switch (op->opc) {
    case IR_OP_guest_ld:
        lower_guest_ld(s, i, op);
        break;
    case IR_OP_guest_st:
        lower_guest_st(s, i, op);
        break;
    case IR_OP_atomic_cmpxchg:
        lower_cmpxchg(s, i, op);
        break;
    case IR_OP_atomic_rmw: {
        IRAtomicOp aop = op->args[5];
        bool be = (op->args[3] & MO_BE) && (op->args[3] & MO_SIZE);

        if (aop == IR_ATOMIC_XCHG || (aop == IR_ATOMIC_ADD && !be)) {
            lower_rmw_simple(s, i, op, aop == IR_ATOMIC_XCHG);
        } else {
            lower_rmw_loop(s, i, op, aop);
        }
        break;
    }
    default:
        g_assert_not_reached();
    }
    jit_op_done(s, i);
}

/* ---- alignment fault paths ---- */

void jit_emit_slow_paths(JitGen *s)
{
    for (guint k = 0; k < s->slow_paths->len; k++) {
        JitSlowPath *sp = &g_array_index(s->slow_paths, JitSlowPath, k);
        JitInsn insn = { .host_off = s->code.pos - s->tb_start, .insn = sp->insn };

        if (sp->kind == JIT_SLOW_EXIT) {
            jit_emit_exit_path(s, sp);
            continue;
        }
        if (sp->kind != JIT_SLOW_ALIGN) {
            jit_emit_tlb_slow_path(s, sp);
            continue;
        }
        x86_patch_rel32(&s->code, sp->jcc_field, s->code.pos);
        /* The helper's return address lies here, after every insn_start
         * of the TB: give this path the instruction of its access. */
        if (sp->insn != JIT_INSN_MULTI) {
            g_array_append_val(s->insns, insn);
        }
        if (sp->addr_reg != X86_RSI) {
            x86_mov_rr(&s->code, true, X86_RSI, sp->addr_reg);
        }
        x86_mov_rr(&s->code, true, X86_RDI, JIT_ENV_REG);
        x86_movi(&s->code, false, X86_RDX, sp->mop);
        jit_insn_call(s, sp->insn, (uintptr_t)ir_helper_unaligned);
        /* ir_helper_unaligned never returns. */
        x86_ud2(&s->code);
    }
}
