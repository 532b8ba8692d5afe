/*
 * x86-64 instruction encoder for the JIT backend.
 *
 * Writes machine code into a byte buffer that is written through one
 * address (the RW view of the code buffer) and run at another (the RX
 * view): every pc-relative displacement is computed from the run address.
 * Encodings follow the Intel SDM vol. 2 (REX prefix §2.2.1, ModRM/SIB
 * §2.1.5). The encoder does no bounds checking: the code generator checks
 * that enough room is left before each IR op (see JIT_OP_MARGIN).
 */
#ifndef PROTEUS_ACCEL_TCG_HOST_X86_64_EMIT_H
#define PROTEUS_ACCEL_TCG_HOST_X86_64_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef enum {
    X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
    X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
    X86_NB_REGS
} X86Reg;

#define X86_NO_REG (-1)

/* Condition codes (the low nibble of Jcc/SETcc/CMOVcc). */
typedef enum {
    X86_CC_O = 0, X86_CC_NO = 1, X86_CC_B = 2, X86_CC_AE = 3,
    X86_CC_E = 4, X86_CC_NE = 5, X86_CC_BE = 6, X86_CC_A = 7,
    X86_CC_S = 8, X86_CC_NS = 9, X86_CC_P = 10, X86_CC_NP = 11,
    X86_CC_L = 12, X86_CC_GE = 13, X86_CC_LE = 14, X86_CC_G = 15,
} X86Cond;

/* The /digit of the group-1 ALU instructions (ADD r/m, imm is 81 /0 ...). */
typedef enum {
    X86_ADD = 0, X86_OR = 1, X86_ADC = 2, X86_SBB = 3,
    X86_AND = 4, X86_SUB = 5, X86_XOR = 6, X86_CMP = 7,
} X86AluOp;

/* The /digit of the group-2 shift instructions. */
typedef enum {
    X86_ROL = 0, X86_ROR = 1, X86_SHL = 4, X86_SHR = 5, X86_SAR = 7,
} X86ShiftOp;

/* The /digit of the group-3 unary instructions (F7 /n). */
typedef enum {
    X86_NOT = 2, X86_NEG = 3, X86_MUL = 4, X86_IMUL1 = 5, X86_DIV = 6, X86_IDIV = 7,
} X86UnaryOp;

/* Kinds of loads, by what they do with the upper bits. */
typedef enum {
    X86_LD8U, X86_LD8S32, X86_LD8S64, X86_LD16U, X86_LD16S32, X86_LD16S64,
    X86_LD32, X86_LD32S64, X86_LD64,
} X86LoadKind;

/* Opcode flags: prefixes and escapes added around the opcode byte. */
enum {
    OPC_REXW = 0x100,      /* 64-bit operand size */
    OPC_0F = 0x200,        /* two-byte opcode */
    OPC_0F38 = 0x400,      /* three-byte opcode 0F 38 xx */
    OPC_66 = 0x800,        /* 16-bit operand size */
    OPC_F3 = 0x1000,
    OPC_F2 = 0x2000,
    OPC_LOCK = 0x4000,
    OPC_BYTE_R = 0x8000,   /* the reg field names a byte register */
    OPC_BYTE_RM = 0x10000, /* the r/m field names a byte register */
};

typedef struct X86Code {
    uint8_t *rw;           /* where byte 0 of the buffer is written */
    uintptr_t rx;          /* where byte 0 of the buffer runs */
    size_t pos;            /* next byte to write, from the buffer start */
} X86Code;

static inline uintptr_t x86_rx_addr(const X86Code *c, size_t pos)
{
    return c->rx + pos;
}

static inline void x86_byte(X86Code *c, uint8_t v)
{
    c->rw[c->pos++] = v;
}

static inline void x86_u32(X86Code *c, uint32_t v)
{
    memcpy(c->rw + c->pos, &v, 4);
    c->pos += 4;
}

static inline void x86_u64(X86Code *c, uint64_t v)
{
    memcpy(c->rw + c->pos, &v, 8);
    c->pos += 8;
}

static inline bool x86_fits_i8(int64_t v)
{
    return v == (int8_t)v;
}

static inline bool x86_fits_i32(int64_t v)
{
    return v == (int32_t)v;
}

static inline uint32_t x86_w(bool is64)
{
    return is64 ? OPC_REXW : 0;
}

/* Prefixes, REX and opcode bytes; r, rm and index are register numbers or
 * X86_NO_REG. */
void x86_opc(X86Code *c, uint32_t opc, int r, int rm, int index);
/* opcode with a register-direct ModRM. */
void x86_rr(X86Code *c, uint32_t opc, int r, int rm);
/* opcode with a memory ModRM [base + index * 2^shift + disp]. */
void x86_rm(X86Code *c, uint32_t opc, int r, int base, int index, int shift, int32_t disp);

void x86_mov_rr(X86Code *c, bool is64, int dst, int src);
/* Loads a constant; is64 false writes the low 32 bits, zero-extended.
 * Never changes the flags. */
void x86_movi(X86Code *c, bool is64, int r, int64_t v);
/* The same, but may use xor (clobbers the flags) for zero. */
void x86_movi_fast(X86Code *c, bool is64, int r, int64_t v);
void x86_alu_rr(X86Code *c, X86AluOp op, bool is64, int dst, int src);
void x86_alu_ri(X86Code *c, X86AluOp op, bool is64, int dst, int32_t imm);
void x86_test_rr(X86Code *c, bool is64, int a, int b);
void x86_test_ri(X86Code *c, bool is64, int r, int32_t imm);
void x86_shift_ri(X86Code *c, X86ShiftOp op, bool is64, int r, unsigned n);
void x86_shift_cl(X86Code *c, X86ShiftOp op, bool is64, int r);
void x86_unary(X86Code *c, X86UnaryOp op, bool is64, int r);
void x86_imul_rr(X86Code *c, bool is64, int dst, int src);
void x86_imul_rri(X86Code *c, bool is64, int dst, int src, int32_t imm);
void x86_lea(X86Code *c, bool is64, int dst, int base, int index, int shift, int32_t disp);
void x86_movzx8(X86Code *c, int dst, int src);
void x86_movzx16(X86Code *c, int dst, int src);
void x86_movsx8(X86Code *c, bool is64, int dst, int src);
void x86_movsx16(X86Code *c, bool is64, int dst, int src);
void x86_movsxd(X86Code *c, int dst, int src);
void x86_bswap(X86Code *c, bool is64, int r);
/* Swaps the two low bytes of r (ror r16, 8); bits 16..63 are kept. */
void x86_bswap16(X86Code *c, int r);
void x86_setcc(X86Code *c, X86Cond cc, int r);
void x86_cmov(X86Code *c, X86Cond cc, bool is64, int dst, int src);

void x86_load(X86Code *c, X86LoadKind kind, int r, int base, int index, int32_t disp);
/* Stores the low 1 << size bytes of r. */
void x86_store(X86Code *c, unsigned size, int r, int base, int index, int32_t disp);
/* Stores an immediate (sign-extended to 8 bytes for size 3). */
void x86_store_imm(X86Code *c, unsigned size, int32_t imm, int base, int index, int32_t disp);

void x86_push(X86Code *c, int r);
void x86_pop(X86Code *c, int r);
void x86_ret(X86Code *c);
void x86_ud2(X86Code *c);
void x86_mfence(X86Code *c);
/* Pads with multi-byte nops until pos % align == phase. */
void x86_align(X86Code *c, unsigned align, unsigned phase);

/* Control flow. The _rel32 forms return the position of the rel32 field,
 * for x86_patch_rel32; target is a buffer position (-1: patched later). */
size_t x86_jmp_rel32(X86Code *c, ptrdiff_t target);
size_t x86_jcc_rel32(X86Code *c, X86Cond cc, ptrdiff_t target);
/* A short or near jump to a known earlier position. */
void x86_jmp_back(X86Code *c, size_t target);
void x86_jcc_back(X86Code *c, X86Cond cc, size_t target);
void x86_patch_rel32(X86Code *c, size_t field, size_t target);
/* Short forward jumps inside one op's code: patched with x86_patch_rel8. */
size_t x86_jmp_rel8(X86Code *c);
size_t x86_jcc_rel8(X86Code *c, X86Cond cc);
void x86_patch_rel8(X86Code *c, size_t field, size_t target);
/* Jumps or calls an absolute run address, through scratch if it is out of
 * rel32 range. */
void x86_jmp_abs(X86Code *c, uintptr_t target, int scratch);
void x86_call_abs(X86Code *c, uintptr_t target, int scratch);
void x86_jmp_reg(X86Code *c, int r);

#endif
