/*
 * The optimizer's arithmetic: what every pure op and every condition gives
 * on constant inputs, exactly as ir-ops.h defines them (total division,
 * shift counts modulo the width, bit counts with their zero values...).
 * Constant folding must never disagree with a backend, so this file is the
 * one place those definitions are spelled out for the optimizer.
 */
#include "accel/tcg/optimize.h"

/* The low n bits set (n <= 64). */
static uint64_t low_bits(unsigned n)
{
    return n >= 64 ? ~0ull : (1ull << n) - 1;
}

static uint64_t rotate_left(uint64_t v, unsigned n, unsigned width)
{
    uint64_t mask = low_bits(width);

    v &= mask;
    n &= width - 1;
    return n ? ((v << n) | (v >> (width - n))) & mask : v;
}

/* div, divu, rem, remu with the RISC-V rules: x / 0 = all ones, x % 0 = x,
 * MIN / -1 = MIN, MIN % -1 = 0. */
static uint64_t fold_division(IROpcode opc, bool w32, uint64_t a, uint64_t b)
{
    bool is_rem = opc == IR_OP_rem || opc == IR_OP_remu;

    if (opc == IR_OP_div || opc == IR_OP_rem) {
        int64_t x = w32 ? (int32_t)a : (int64_t)a;
        int64_t y = w32 ? (int32_t)b : (int64_t)b;
        int64_t min = w32 ? INT32_MIN : INT64_MIN;

        if (y == 0) {
            return is_rem ? (uint64_t)x : ~0ull;
        }
        if (x == min && y == -1) {
            return is_rem ? 0 : (uint64_t)x;
        }
        return (uint64_t)(is_rem ? x % y : x / y);
    } else {
        uint64_t x = w32 ? (uint32_t)a : a;
        uint64_t y = w32 ? (uint32_t)b : b;

        if (y == 0) {
            return is_rem ? x : ~0ull;
        }
        return is_rem ? x % y : x / y;
    }
}

static uint64_t fold_mul_high(bool is_signed, bool w32, uint64_t a, uint64_t b)
{
    if (w32) {
        if (is_signed) {
            return (uint64_t)(((int64_t)(int32_t)a * (int32_t)b) >> 32);
        }
        return ((uint64_t)(uint32_t)a * (uint32_t)b) >> 32;
    }
    if (is_signed) {
        return (uint64_t)(((__int128)(int64_t)a * (int64_t)b) >> 64);
    }
    return (uint64_t)(((unsigned __int128)a * b) >> 64);
}

/* clz, ctz, ctpop of the width-wide a; zero_value when a is 0 (not ctpop). */
static uint64_t fold_count(IROpcode opc, unsigned width, uint64_t a, uint64_t zero_value)
{
    a &= low_bits(width);
    if (opc == IR_OP_ctpop) {
        return __builtin_popcountll(a);
    }
    if (a == 0) {
        return zero_value;
    }
    if (opc == IR_OP_clz) {
        return __builtin_clzll(a) - (64 - width);
    }
    return __builtin_ctzll(a);
}

static uint64_t fold_bitfield(IROpcode opc, unsigned width, uint64_t a, uint64_t b,
                              unsigned pos, unsigned len)
{
    uint64_t field = low_bits(len);
    uint64_t v;

    switch (opc) {
    case IR_OP_deposit:
        return (a & ~(field << pos)) | ((b & field) << pos);
    case IR_OP_extract:
        return ((a & low_bits(width)) >> pos) & field;
    default:
        v = ((a & low_bits(width)) >> pos) & field;
        if (len < 64 && (v >> (len - 1)) & 1) {
            v |= ~field;
        }
        return v;
    }
}

uint64_t ir_fold_value(IROpcode opc, IRType type, const uint64_t *in, const uint64_t *c)
{
    bool w32 = type == IR_TYPE_I32;
    unsigned width = w32 ? 32 : 64;
    uint64_t a = in[0], b = in[1];
    uint64_t r;

    switch (opc) {
    case IR_OP_mov:
        r = a;
        break;
    case IR_OP_add:
        r = a + b;
        break;
    case IR_OP_sub:
        r = a - b;
        break;
    case IR_OP_neg:
        r = -a;
        break;
    case IR_OP_mul:
        r = a * b;
        break;
    case IR_OP_mulsh:
    case IR_OP_muluh:
        r = fold_mul_high(opc == IR_OP_mulsh, w32, a, b);
        break;
    case IR_OP_div:
    case IR_OP_divu:
    case IR_OP_rem:
    case IR_OP_remu:
        r = fold_division(opc, w32, a, b);
        break;
    case IR_OP_and:
        r = a & b;
        break;
    case IR_OP_or:
        r = a | b;
        break;
    case IR_OP_xor:
        r = a ^ b;
        break;
    case IR_OP_andc:
        r = a & ~b;
        break;
    case IR_OP_orc:
        r = a | ~b;
        break;
    case IR_OP_not:
        r = ~a;
        break;
    case IR_OP_shl:
        r = (a & low_bits(width)) << (b & (width - 1));
        break;
    case IR_OP_shr:
        r = (a & low_bits(width)) >> (b & (width - 1));
        break;
    case IR_OP_sar:
        r = (uint64_t)((w32 ? (int64_t)(int32_t)a : (int64_t)a) >> (b & (width - 1)));
        break;
    case IR_OP_rotl:
        r = rotate_left(a, b & (width - 1), width);
        break;
    case IR_OP_rotr:
        r = rotate_left(a, (width - (b & (width - 1))) & (width - 1), width);
        break;
    case IR_OP_setcond:
        r = ir_fold_cond(c[0], type, a, b);
        break;
    case IR_OP_movcond:
        r = ir_fold_cond(c[0], type, a, b) ? in[2] : in[3];
        break;
    case IR_OP_ext8s:
        r = (uint64_t)(int64_t)(int8_t)a;
        break;
    case IR_OP_ext8u:
        r = (uint8_t)a;
        break;
    case IR_OP_ext16s:
        r = (uint64_t)(int64_t)(int16_t)a;
        break;
    case IR_OP_ext16u:
        r = (uint16_t)a;
        break;
    case IR_OP_ext32s:
    case IR_OP_ext_i32_i64:
    case IR_OP_extrl_i64_i32:
        r = (uint64_t)(int64_t)(int32_t)a;
        break;
    case IR_OP_ext32u:
    case IR_OP_extu_i32_i64:
        r = (uint32_t)a;
        break;
    case IR_OP_extrh_i64_i32:
        r = a >> 32;
        break;
    case IR_OP_deposit:
    case IR_OP_extract:
    case IR_OP_sextract:
        r = fold_bitfield(opc, width, a, b, c[0], c[1]);
        break;
    case IR_OP_bswap16:
        r = __builtin_bswap16((uint16_t)a);
        break;
    case IR_OP_bswap32:
        r = __builtin_bswap32((uint32_t)a);
        break;
    case IR_OP_bswap64:
        r = __builtin_bswap64(a);
        break;
    case IR_OP_clz:
    case IR_OP_ctz:
    case IR_OP_ctpop:
        r = fold_count(opc, width, a, b);
        break;
    default:
        g_assert_not_reached();
    }
    return ir_fold_normalize(type, r);
}

bool ir_fold_cond(IRCond cond, IRType type, uint64_t a, uint64_t b)
{
    bool w32 = type == IR_TYPE_I32;
    int64_t sa = w32 ? (int32_t)a : (int64_t)a;
    int64_t sb = w32 ? (int32_t)b : (int64_t)b;
    uint64_t ua = w32 ? (uint32_t)a : a;
    uint64_t ub = w32 ? (uint32_t)b : b;

    switch (cond) {
    case IR_COND_NEVER:
        return false;
    case IR_COND_ALWAYS:
        return true;
    case IR_COND_EQ:
        return ua == ub;
    case IR_COND_NE:
        return ua != ub;
    case IR_COND_LT:
        return sa < sb;
    case IR_COND_GE:
        return sa >= sb;
    case IR_COND_LE:
        return sa <= sb;
    case IR_COND_GT:
        return sa > sb;
    case IR_COND_LTU:
        return ua < ub;
    case IR_COND_GEU:
        return ua >= ub;
    case IR_COND_LEU:
        return ua <= ub;
    case IR_COND_GTU:
        return ua > ub;
    case IR_COND_TSTEQ:
        return (ua & ub) == 0;
    case IR_COND_TSTNE:
        return (ua & ub) != 0;
    default:
        g_assert_not_reached();
    }
}

IRCond ir_cond_swap(IRCond cond)
{
    switch (cond) {
    case IR_COND_LT:
        return IR_COND_GT;
    case IR_COND_GT:
        return IR_COND_LT;
    case IR_COND_LE:
        return IR_COND_GE;
    case IR_COND_GE:
        return IR_COND_LE;
    case IR_COND_LTU:
        return IR_COND_GTU;
    case IR_COND_GTU:
        return IR_COND_LTU;
    case IR_COND_LEU:
        return IR_COND_GEU;
    case IR_COND_GEU:
        return IR_COND_LEU;
    default:
        /* never, always, eq, ne and the tests are symmetric */
        return cond;
    }
}

IRCond ir_cond_invert(IRCond cond)
{
    static const IRCond inverse[IR_COND_COUNT] = {
        [IR_COND_NEVER] = IR_COND_ALWAYS, [IR_COND_ALWAYS] = IR_COND_NEVER,
        [IR_COND_EQ] = IR_COND_NE, [IR_COND_NE] = IR_COND_EQ,
        [IR_COND_LT] = IR_COND_GE, [IR_COND_GE] = IR_COND_LT,
        [IR_COND_LE] = IR_COND_GT, [IR_COND_GT] = IR_COND_LE,
        [IR_COND_LTU] = IR_COND_GEU, [IR_COND_GEU] = IR_COND_LTU,
        [IR_COND_LEU] = IR_COND_GTU, [IR_COND_GTU] = IR_COND_LEU,
        [IR_COND_TSTEQ] = IR_COND_TSTNE, [IR_COND_TSTNE] = IR_COND_TSTEQ,
    };

    g_assert(cond < IR_COND_COUNT);
    return inverse[cond];
}
