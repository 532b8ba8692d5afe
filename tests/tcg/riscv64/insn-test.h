/*
 * Helpers of the riscv64 instruction tests (insn-*.c): each TEST_* macro
 * runs one instruction, written as inline asm, over a list of operand
 * values and prints one line per run with the operands and the result in
 * hex, so that a wrong result shows up in the diff against NAME.expected
 * as the exact instruction and operands.
 */
#ifndef INSN_TEST_H
#define INSN_TEST_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Operands reaching the corners of 64- and 32-bit arithmetic: zero, one,
 * minus one, the largest and smallest values of both widths, and values
 * whose low word is negative while the whole register is positive (and
 * the reverse), for the sign extension of the *W instructions.
 */
static const uint64_t edge_values[] = {
    0, 1, UINT64_MAX, 0x7fffffff, 0x80000000, 0xffffffff,
    0x7fffffffffffffff, 0x8000000000000000, 0x0123456789abcdef,
};

/* Values to shift and shift amounts, including those the hardware masks. */
static const uint64_t shift_values[] = {
    1, UINT64_MAX, 0x8000000000000000, 0x80000000, 0x0123456789abcdef,
};
static const uint64_t shift_amounts[] = { 0, 1, 31, 32, 33, 63, 64, 65 };

static inline void print_rr(const char *insn, uint64_t a, uint64_t b,
                            uint64_t r)
{
    printf("%-10s %016" PRIx64 " %016" PRIx64 " -> %016" PRIx64 "\n",
           insn, a, b, r);
}

static inline void print_ri(const char *insn, uint64_t a, long imm,
                            uint64_t r)
{
    printf("%-10s %016" PRIx64 " %5ld -> %016" PRIx64 "\n", insn, a, imm, r);
}

static inline void print_r1(const char *insn, uint64_t a, uint64_t r)
{
    printf("%-10s %016" PRIx64 " -> %016" PRIx64 "\n", insn, a, r);
}

/* rd = INSN rs1, rs2 for every rs1 in LIST_A and rs2 in LIST_B. */
#define TEST_RR(insn, list_a, list_b)                                       \
    for (size_t i_ = 0; i_ < ARRAY_LEN(list_a); i_++) {                     \
        for (size_t j_ = 0; j_ < ARRAY_LEN(list_b); j_++) {                 \
            uint64_t r_, a_ = (list_a)[i_], b_ = (list_b)[j_];              \
            __asm__ volatile(insn " %0, %1, %2"                             \
                             : "=r"(r_) : "r"(a_), "r"(b_));                \
            print_rr(insn, a_, b_, r_);                                     \
        }                                                                   \
    }

/* rd = INSN rs1, IMM for every rs1 in LIST. */
#define TEST_RI(insn, list, imm)                                            \
    for (size_t i_ = 0; i_ < ARRAY_LEN(list); i_++) {                       \
        uint64_t r_, a_ = (list)[i_];                                       \
        __asm__ volatile(insn " %0, %1, %2" : "=r"(r_) : "r"(a_), "i"(imm)); \
        print_ri(insn, a_, imm, r_);                                        \
    }

/* rd = INSN rs1 for every rs1 in LIST. */
#define TEST_R1(insn, list)                                                 \
    for (size_t i_ = 0; i_ < ARRAY_LEN(list); i_++) {                       \
        uint64_t r_, a_ = (list)[i_];                                       \
        __asm__ volatile(insn " %0, %1" : "=r"(r_) : "r"(a_));              \
        print_r1(insn, a_, r_);                                             \
    }

#endif
