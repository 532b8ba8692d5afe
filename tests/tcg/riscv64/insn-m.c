/*
 * RV64M instruction test: every multiply and divide instruction (RISC-V
 * unprivileged spec, chapter 7) on edge values, results printed in hex.
 * The edge values include the cases the spec defines without a trap:
 * division by zero (quotient all ones, remainder the dividend) and the
 * signed overflow of the most negative value divided by -1 (quotient the
 * dividend, remainder zero), in both the 64-bit and the *W forms.
 */
#include "insn-test.h"

static const uint64_t divide_values[] = {
    0, 1, 2, 3, UINT64_MAX, (uint64_t)-7, 7, 0x7fffffff, 0x80000000,
    0xffffffff, 0x7fffffffffffffff, 0x8000000000000000, 0x0123456789abcdef,
    0xffffffff80000000,
};

int main(void)
{
    TEST_RR("mul", edge_values, edge_values);
    TEST_RR("mulh", edge_values, edge_values);
    TEST_RR("mulhsu", edge_values, edge_values);
    TEST_RR("mulhu", edge_values, edge_values);
    TEST_RR("mulw", edge_values, edge_values);
    TEST_RR("div", divide_values, divide_values);
    TEST_RR("divu", divide_values, divide_values);
    TEST_RR("rem", divide_values, divide_values);
    TEST_RR("remu", divide_values, divide_values);
    TEST_RR("divw", divide_values, divide_values);
    TEST_RR("divuw", divide_values, divide_values);
    TEST_RR("remw", divide_values, divide_values);
    TEST_RR("remuw", divide_values, divide_values);
    return 0;
}
