/*
 * x86-64 instruction encoder: prefixes, REX, ModRM/SIB and the handful of
 * instructions the JIT uses. Encodings are from the Intel SDM vol. 2.
 */
#include <glib.h>

#include "accel/tcg/host/x86_64-emit.h"

void x86_opc(X86Code *c, uint32_t opc, int r, int rm, int index)
{
    unsigned rex = 0;
    bool force_rex = false;

    if (opc & OPC_LOCK) {
        x86_byte(c, 0xf0);
    }
    if (opc & OPC_66) {
        x86_byte(c, 0x66);
    }
    if (opc & OPC_F3) {
        x86_byte(c, 0xf3);
    }
    if (opc & OPC_F2) {
        x86_byte(c, 0xf2);
    }
    if (opc & OPC_REXW) {
        rex |= 8;
    }
    if (r >= 0 && (r & 8)) {
        rex |= 4;
    }
    if (index >= 0 && (index & 8)) {
        rex |= 2;
    }
    if (rm >= 0 && (rm & 8)) {
        rex |= 1;
    }
    /* Without a REX prefix, byte registers 4..7 are ah, ch, dh, bh. */
    if ((opc & OPC_BYTE_R) && r >= 4 && r < 8) {
        force_rex = true;
    }
    if ((opc & OPC_BYTE_RM) && rm >= 4 && rm < 8) {
        force_rex = true;
    }
    if (rex || force_rex) {
        x86_byte(c, 0x40 | rex);
    }
    if (opc & (OPC_0F | OPC_0F38)) {
        x86_byte(c, 0x0f);
    }
    if (opc & OPC_0F38) {
        x86_byte(c, 0x38);
    }
    x86_byte(c, opc & 0xff);
}

static void x86_modrm(X86Code *c, unsigned mod, unsigned reg, unsigned rm)
{
    x86_byte(c, (mod << 6) | ((reg & 7) << 3) | (rm & 7));
}

void x86_rr(X86Code *c, uint32_t opc, int r, int rm)
{
    x86_opc(c, opc, r, rm, X86_NO_REG);
    x86_modrm(c, 3, r, rm);
}

void x86_rm(X86Code *c, uint32_t opc, int r, int base, int index, int shift, int32_t disp)
{
    unsigned mod;

    g_assert(base >= 0 && index != X86_RSP);
    x86_opc(c, opc, r, base, index);
    /* mod 00 with base rbp/r13 means rip-relative or disp32 alone. */
    if (disp == 0 && (base & 7) != X86_RBP) {
        mod = 0;
    } else if (x86_fits_i8(disp)) {
        mod = 1;
    } else {
        mod = 2;
    }
    if (index < 0 && (base & 7) != X86_RSP) {
        x86_modrm(c, mod, r, base);
    } else {
        /* rm = 100 selects a SIB byte; index 100 without REX.X is "none". */
        x86_modrm(c, mod, r, 4);
        x86_byte(c, (shift << 6) | ((index < 0 ? 4 : index) & 7) << 3 | (base & 7));
    }
    if (mod == 1) {
        x86_byte(c, (uint8_t)disp);
    } else if (mod == 2) {
        x86_u32(c, (uint32_t)disp);
    }
}

void x86_mov_rr(X86Code *c, bool is64, int dst, int src)
{
    x86_rr(c, 0x89 | x86_w(is64), src, dst);
}

void x86_movi(X86Code *c, bool is64, int r, int64_t v)
{
    if (!is64 || v == (int64_t)(uint32_t)v) {
        /* mov r32, imm32 zero-extends into the full register. */
        x86_opc(c, 0xb8 + (r & 7), X86_NO_REG, r, X86_NO_REG);
        x86_u32(c, (uint32_t)v);
    } else if (x86_fits_i32(v)) {
        x86_rr(c, 0xc7 | OPC_REXW, 0, r);
        x86_u32(c, (uint32_t)v);
    } else {
        x86_opc(c, (0xb8 + (r & 7)) | OPC_REXW, X86_NO_REG, r, X86_NO_REG);
        x86_u64(c, (uint64_t)v);
    }
}

void x86_movi_fast(X86Code *c, bool is64, int r, int64_t v)
{
    if ((is64 && v == 0) || (!is64 && (uint32_t)v == 0)) {
        x86_alu_rr(c, X86_XOR, false, r, r);
    } else {
        x86_movi(c, is64, r, v);
    }
}

void x86_alu_rr(X86Code *c, X86AluOp op, bool is64, int dst, int src)
{
    x86_rr(c, (0x01 + op * 8) | x86_w(is64), src, dst);
}

void x86_alu_ri(X86Code *c, X86AluOp op, bool is64, int dst, int32_t imm)
{
    if (x86_fits_i8(imm)) {
        x86_rr(c, 0x83 | x86_w(is64), op, dst);
        x86_byte(c, (uint8_t)imm);
    } else {
        x86_rr(c, 0x81 | x86_w(is64), op, dst);
        x86_u32(c, (uint32_t)imm);
    }
}

void x86_test_rr(X86Code *c, bool is64, int a, int b)
{
    x86_rr(c, 0x85 | x86_w(is64), b, a);
}

void x86_test_ri(X86Code *c, bool is64, int r, int32_t imm)
{
    if (imm >= 0 && imm <= 0xff) {
        /* test r8, imm8: the flags of a mask below 256 are the same. */
        x86_rr(c, 0xf6 | OPC_BYTE_RM, 0, r);
        x86_byte(c, (uint8_t)imm);
    } else {
        x86_rr(c, 0xf7 | x86_w(is64), 0, r);
        x86_u32(c, (uint32_t)imm);
    }
}

void x86_shift_ri(X86Code *c, X86ShiftOp op, bool is64, int r, unsigned n)
{
    n &= is64 ? 63 : 31;
    if (n == 0) {
        return;
    }
    if (n == 1) {
        x86_rr(c, 0xd1 | x86_w(is64), op, r);
    } else {
        x86_rr(c, 0xc1 | x86_w(is64), op, r);
        x86_byte(c, n);
    }
}

void x86_shift_cl(X86Code *c, X86ShiftOp op, bool is64, int r)
{
    x86_rr(c, 0xd3 | x86_w(is64), op, r);
}

void x86_unary(X86Code *c, X86UnaryOp op, bool is64, int r)
{
    x86_rr(c, 0xf7 | x86_w(is64), op, r);
}

void x86_imul_rr(X86Code *c, bool is64, int dst, int src)
{
    x86_rr(c, OPC_0F | 0xaf | x86_w(is64), dst, src);
}

void x86_imul_rri(X86Code *c, bool is64, int dst, int src, int32_t imm)
{
    if (x86_fits_i8(imm)) {
        x86_rr(c, 0x6b | x86_w(is64), dst, src);
        x86_byte(c, (uint8_t)imm);
    } else {
        x86_rr(c, 0x69 | x86_w(is64), dst, src);
        x86_u32(c, (uint32_t)imm);
    }
}

void x86_lea(X86Code *c, bool is64, int dst, int base, int index, int shift, int32_t disp)
{
    x86_rm(c, 0x8d | x86_w(is64), dst, base, index, shift, disp);
}

void x86_movzx8(X86Code *c, int dst, int src)
{
    x86_rr(c, OPC_0F | OPC_BYTE_RM | 0xb6, dst, src);
}

void x86_movzx16(X86Code *c, int dst, int src)
{
    x86_rr(c, OPC_0F | 0xb7, dst, src);
}

void x86_movsx8(X86Code *c, bool is64, int dst, int src)
{
    x86_rr(c, OPC_0F | OPC_BYTE_RM | 0xbe | x86_w(is64), dst, src);
}

void x86_movsx16(X86Code *c, bool is64, int dst, int src)
{
    x86_rr(c, OPC_0F | 0xbf | x86_w(is64), dst, src);
}

void x86_movsxd(X86Code *c, int dst, int src)
{
    x86_rr(c, 0x63 | OPC_REXW, dst, src);
}

void x86_bswap(X86Code *c, bool is64, int r)
{
    x86_opc(c, OPC_0F | (0xc8 + (r & 7)) | x86_w(is64), X86_NO_REG, r, X86_NO_REG);
}

void x86_bswap16(X86Code *c, int r)
{
    x86_rr(c, OPC_66 | 0xc1, X86_ROR, r);
    x86_byte(c, 8);
}

void x86_setcc(X86Code *c, X86Cond cc, int r)
{
    x86_rr(c, OPC_0F | OPC_BYTE_RM | (0x90 + cc), 0, r);
}

void x86_cmov(X86Code *c, X86Cond cc, bool is64, int dst, int src)
{
    x86_rr(c, OPC_0F | (0x40 + cc) | x86_w(is64), dst, src);
}

void x86_load(X86Code *c, X86LoadKind kind, int r, int base, int index, int32_t disp)
{
    static const uint32_t opc[] = {
        [X86_LD8U] = OPC_0F | 0xb6,
        [X86_LD8S32] = OPC_0F | 0xbe,
        [X86_LD8S64] = OPC_0F | 0xbe | OPC_REXW,
        [X86_LD16U] = OPC_0F | 0xb7,
        [X86_LD16S32] = OPC_0F | 0xbf,
        [X86_LD16S64] = OPC_0F | 0xbf | OPC_REXW,
        [X86_LD32] = 0x8b,
        [X86_LD32S64] = 0x63 | OPC_REXW,
        [X86_LD64] = 0x8b | OPC_REXW,
    };

    x86_rm(c, opc[kind], r, base, index, 0, disp);
}

void x86_store(X86Code *c, unsigned size, int r, int base, int index, int32_t disp)
{
    static const uint32_t opc[] = {
        0x88 | OPC_BYTE_R, 0x89 | OPC_66, 0x89, 0x89 | OPC_REXW,
    };

    x86_rm(c, opc[size], r, base, index, 0, disp);
}

void x86_store_imm(X86Code *c, unsigned size, int32_t imm, int base, int index, int32_t disp)
{
    static const uint32_t opc[] = { 0xc6, 0xc7 | OPC_66, 0xc7, 0xc7 | OPC_REXW };

    x86_rm(c, opc[size], 0, base, index, 0, disp);
    if (size == 0) {
        x86_byte(c, (uint8_t)imm);
    } else if (size == 1) {
        x86_byte(c, (uint8_t)imm);
        x86_byte(c, (uint8_t)(imm >> 8));
    } else {
        x86_u32(c, (uint32_t)imm);
    }
}

void x86_push(X86Code *c, int r)
{
    x86_opc(c, 0x50 + (r & 7), X86_NO_REG, r, X86_NO_REG);
}

void x86_pop(X86Code *c, int r)
{
    x86_opc(c, 0x58 + (r & 7), X86_NO_REG, r, X86_NO_REG);
}

void x86_ret(X86Code *c)
{
    x86_byte(c, 0xc3);
}

void x86_ud2(X86Code *c)
{
    x86_byte(c, 0x0f);
    x86_byte(c, 0x0b);
}

void x86_mfence(X86Code *c)
{
    x86_byte(c, 0x0f);
    x86_byte(c, 0xae);
    x86_byte(c, 0xf0);
}

void x86_align(X86Code *c, unsigned align, unsigned phase)
{
    /* The recommended multi-byte NOP forms (SDM vol. 2, NOP). */
    static const uint8_t nops[8][8] = {
        { 0x90 },
        { 0x66, 0x90 },
        { 0x0f, 0x1f, 0x00 },
        { 0x0f, 0x1f, 0x40, 0x00 },
        { 0x0f, 0x1f, 0x44, 0x00, 0x00 },
        { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
        { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
        { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
    };
    unsigned pad = (phase - c->pos % align + align) % align;

    while (pad > 0) {
        unsigned n = pad > 8 ? 8 : pad;

        memcpy(c->rw + c->pos, nops[n - 1], n);
        c->pos += n;
        pad -= n;
    }
}

size_t x86_jmp_rel32(X86Code *c, ptrdiff_t target)
{
    size_t field;

    x86_byte(c, 0xe9);
    field = c->pos;
    x86_u32(c, 0);
    if (target >= 0) {
        x86_patch_rel32(c, field, target);
    }
    return field;
}

size_t x86_jcc_rel32(X86Code *c, X86Cond cc, ptrdiff_t target)
{
    size_t field;

    x86_byte(c, 0x0f);
    x86_byte(c, 0x80 + cc);
    field = c->pos;
    x86_u32(c, 0);
    if (target >= 0) {
        x86_patch_rel32(c, field, target);
    }
    return field;
}

void x86_jmp_back(X86Code *c, size_t target)
{
    ptrdiff_t rel = (ptrdiff_t)target - (ptrdiff_t)(c->pos + 2);

    if (x86_fits_i8(rel)) {
        x86_byte(c, 0xeb);
        x86_byte(c, (uint8_t)rel);
    } else {
        x86_jmp_rel32(c, target);
    }
}

void x86_jcc_back(X86Code *c, X86Cond cc, size_t target)
{
    ptrdiff_t rel = (ptrdiff_t)target - (ptrdiff_t)(c->pos + 2);

    if (x86_fits_i8(rel)) {
        x86_byte(c, 0x70 + cc);
        x86_byte(c, (uint8_t)rel);
    } else {
        x86_jcc_rel32(c, cc, target);
    }
}

void x86_patch_rel32(X86Code *c, size_t field, size_t target)
{
    int32_t rel = (int32_t)((ptrdiff_t)target - (ptrdiff_t)(field + 4));

    memcpy(c->rw + field, &rel, 4);
}

size_t x86_jmp_rel8(X86Code *c)
{
    x86_byte(c, 0xeb);
    x86_byte(c, 0);
    return c->pos - 1;
}

size_t x86_jcc_rel8(X86Code *c, X86Cond cc)
{
    x86_byte(c, 0x70 + cc);
    x86_byte(c, 0);
    return c->pos - 1;
}

void x86_patch_rel8(X86Code *c, size_t field, size_t target)
{
    ptrdiff_t rel = (ptrdiff_t)target - (ptrdiff_t)(field + 1);

    g_assert(x86_fits_i8(rel));
    c->rw[field] = (uint8_t)rel;
}

static void x86_branch_abs(X86Code *c, uint8_t opc, unsigned digit, uintptr_t target,
                           int scratch)
{
    int64_t rel = (int64_t)(target - (x86_rx_addr(c, c->pos) + 5));

    if (x86_fits_i32(rel)) {
        x86_byte(c, opc);
        x86_u32(c, (uint32_t)rel);
    } else {
        x86_movi(c, true, scratch, (int64_t)target);
        x86_rr(c, 0xff, digit, scratch);
    }
}

void x86_jmp_abs(X86Code *c, uintptr_t target, int scratch)
{
    x86_branch_abs(c, 0xe9, 4, target, scratch);
}

void x86_call_abs(X86Code *c, uintptr_t target, int scratch)
{
    x86_branch_abs(c, 0xe8, 2, target, scratch);
}

void x86_jmp_reg(X86Code *c, int r)
{
    x86_rr(c, 0xff, 4, r);
}
