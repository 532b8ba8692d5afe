/*
 * The IR's opcodes, as an X-macro:
 *     DEF(name, outputs, inputs, constants, flags)
 * outputs and inputs are temps; constants are immediate arguments (a
 * condition, a label, an offset, a MemOp...). A "typed" op (IR_OPF_TYPED)
 * works on i32 or i64 as op->type says, and all its temps have that type
 * unless the op's comment says otherwise. Semantics are exact for every
 * input: no op is undefined for any value (see each comment).
 */

/* ---- control ---- */
DEF(set_label,   0, 0, 1, IR_OPF_BB_END | IR_OPF_SIDE_EFFECTS)   /* c0 = label */
DEF(br,          0, 0, 1, IR_OPF_BB_END | IR_OPF_SIDE_EFFECTS)   /* goto c0 */
/* if (cond(i0, i1)) goto c1; c0 = IRCond */
DEF(brcond,      0, 2, 2, IR_OPF_BB_END | IR_OPF_SIDE_EFFECTS | IR_OPF_TYPED)
/* start of guest insn: c0 = guest pc, c1..c2 = per-arch words */
DEF(insn_start,  0, 0, 3, IR_OPF_SIDE_EFFECTS)
/* patchable direct jump number c0 (0 or 1) to the next TB; falls through
 * to the following exit_tb when unchained */
DEF(goto_tb,     0, 0, 1, IR_OPF_SIDE_EFFECTS)
/* leave generated code returning c0 (see ir_exit_value) */
DEF(exit_tb,     0, 0, 1, IR_OPF_BB_END | IR_OPF_SIDE_EFFECTS)
/* jump to host code at i0 (from the lookup helper) */
DEF(goto_ptr,    0, 1, 0, IR_OPF_BB_END | IR_OPF_SIDE_EFFECTS)
/* memory barrier, c0 = IRBarrier bits */
DEF(mb,          0, 0, 1, IR_OPF_SIDE_EFFECTS)
/* helper call: outputs 0 or 1, inputs per its IRHelperInfo (c0) */
DEF(call,        0, 0, 1, IR_OPF_SIDE_EFFECTS | IR_OPF_CALL)

/* ---- moves and arithmetic ---- */
DEF(mov,         1, 1, 0, IR_OPF_TYPED)
DEF(add,         1, 2, 0, IR_OPF_TYPED)
DEF(sub,         1, 2, 0, IR_OPF_TYPED)
DEF(neg,         1, 1, 0, IR_OPF_TYPED)
DEF(mul,         1, 2, 0, IR_OPF_TYPED)      /* low half of the product */
DEF(mulsh,       1, 2, 0, IR_OPF_TYPED)      /* high half, signed operands */
DEF(muluh,       1, 2, 0, IR_OPF_TYPED)      /* high half, unsigned operands */
/* Division with total semantics (RISC-V's): x / 0 = -1 (all ones),
 * x % 0 = x, MIN / -1 = MIN, MIN % -1 = 0. Frontends of guests with other
 * rules select around it. */
DEF(div,         1, 2, 0, IR_OPF_TYPED)
DEF(divu,        1, 2, 0, IR_OPF_TYPED)
DEF(rem,         1, 2, 0, IR_OPF_TYPED)
DEF(remu,        1, 2, 0, IR_OPF_TYPED)

/* ---- logic ---- */
DEF(and,         1, 2, 0, IR_OPF_TYPED)
DEF(or,          1, 2, 0, IR_OPF_TYPED)
DEF(xor,         1, 2, 0, IR_OPF_TYPED)
DEF(andc,        1, 2, 0, IR_OPF_TYPED)      /* i0 & ~i1 */
DEF(orc,         1, 2, 0, IR_OPF_TYPED)      /* i0 | ~i1 */
DEF(not,         1, 1, 0, IR_OPF_TYPED)

/* ---- shifts: the count is taken modulo the width ---- */
DEF(shl,         1, 2, 0, IR_OPF_TYPED)
DEF(shr,         1, 2, 0, IR_OPF_TYPED)
DEF(sar,         1, 2, 0, IR_OPF_TYPED)
DEF(rotl,        1, 2, 0, IR_OPF_TYPED)
DEF(rotr,        1, 2, 0, IR_OPF_TYPED)

/* ---- comparisons ---- */
DEF(setcond,     1, 2, 1, IR_OPF_TYPED)      /* o0 = cond(i0, i1) ? 1 : 0; c0 = IRCond */
/* o0 = cond(i0, i1) ? i2 : i3; c0 = IRCond */
DEF(movcond,     1, 4, 1, IR_OPF_TYPED)

/* ---- extensions within a type, and between types ---- */
DEF(ext8s,       1, 1, 0, IR_OPF_TYPED)
DEF(ext8u,       1, 1, 0, IR_OPF_TYPED)
DEF(ext16s,      1, 1, 0, IR_OPF_TYPED)
DEF(ext16u,      1, 1, 0, IR_OPF_TYPED)
DEF(ext32s,      1, 1, 0, IR_OPF_TYPED | IR_OPF_64_ONLY)
DEF(ext32u,      1, 1, 0, IR_OPF_TYPED | IR_OPF_64_ONLY)
DEF(ext_i32_i64, 1, 1, 0, 0)                 /* i64 o0 = sign-extended i32 i0 */
DEF(extu_i32_i64, 1, 1, 0, 0)                /* i64 o0 = zero-extended i32 i0 */
DEF(extrl_i64_i32, 1, 1, 0, 0)               /* i32 o0 = low half of i64 i0 */
DEF(extrh_i64_i32, 1, 1, 0, 0)               /* i32 o0 = high half of i64 i0 */

/* ---- bit fields: 0 <= pos, 1 <= len, pos + len <= width ---- */
/* o0 = i0 with bits [pos, pos+len) replaced by the low len bits of i1 */
DEF(deposit,     1, 2, 2, IR_OPF_TYPED)
DEF(extract,     1, 1, 2, IR_OPF_TYPED)      /* o0 = (i0 >> pos) & (2^len - 1) */
DEF(sextract,    1, 1, 2, IR_OPF_TYPED)      /* the same, sign-extended from bit len-1 */

/* ---- byte swaps and bit counts ---- */
DEF(bswap16,     1, 1, 0, IR_OPF_TYPED)      /* low 16 bits swapped, zero-extended */
DEF(bswap32,     1, 1, 0, IR_OPF_TYPED)      /* low 32 bits swapped, zero-extended */
DEF(bswap64,     1, 1, 0, IR_OPF_TYPED | IR_OPF_64_ONLY)
DEF(clz,         1, 2, 0, IR_OPF_TYPED)      /* leading zeros of i0; i1 if i0 == 0 */
DEF(ctz,         1, 2, 0, IR_OPF_TYPED)      /* trailing zeros of i0; i1 if i0 == 0 */
DEF(ctpop,       1, 1, 0, IR_OPF_TYPED)

/* ---- host memory: CPU state (i0 = base pointer, i64; c0 = byte offset) ----
 * A field that a global aliases may be read or written by these ops only
 * with env itself as the base: backends keep globals in host registers and
 * track aliasing by env offset, not through computed pointers. */
DEF(ld8u,        1, 1, 1, IR_OPF_TYPED)
DEF(ld8s,        1, 1, 1, IR_OPF_TYPED)
DEF(ld16u,       1, 1, 1, IR_OPF_TYPED)
DEF(ld16s,       1, 1, 1, IR_OPF_TYPED)
DEF(ld32u,       1, 1, 1, IR_OPF_TYPED | IR_OPF_64_ONLY)
DEF(ld32s,       1, 1, 1, IR_OPF_TYPED | IR_OPF_64_ONLY)
DEF(ld,          1, 1, 1, IR_OPF_TYPED)      /* the type's full width */
/* i0 = value (typed), i1 = base pointer (i64) */
DEF(st8,         0, 2, 1, IR_OPF_TYPED | IR_OPF_SIDE_EFFECTS)
DEF(st16,        0, 2, 1, IR_OPF_TYPED | IR_OPF_SIDE_EFFECTS)
DEF(st32,        0, 2, 1, IR_OPF_TYPED | IR_OPF_SIDE_EFFECTS | IR_OPF_64_ONLY)
DEF(st,          0, 2, 1, IR_OPF_TYPED | IR_OPF_SIDE_EFFECTS)

/* ---- guest memory: i-address is always i64; c0 = MemOp, c1 = MMU index ---- */
DEF(guest_ld,    1, 1, 2, IR_OPF_TYPED | IR_OPF_SIDE_EFFECTS | IR_OPF_GUEST_MEM)
/* i0 = value (typed), i1 = address */
DEF(guest_st,    0, 2, 2, IR_OPF_TYPED | IR_OPF_SIDE_EFFECTS | IR_OPF_GUEST_MEM)
/* o0 = old value; i0 = address, i1 = expected, i2 = new; c0 = MemOp, c1 = MMU index */
DEF(atomic_cmpxchg, 1, 3, 2, IR_OPF_TYPED | IR_OPF_SIDE_EFFECTS | IR_OPF_GUEST_MEM)
/* o0 = old value; i0 = address, i1 = operand; c0 = MemOp, c1 = MMU index, c2 = IRAtomicOp */
DEF(atomic_rmw,  1, 2, 3, IR_OPF_TYPED | IR_OPF_SIDE_EFFECTS | IR_OPF_GUEST_MEM)
