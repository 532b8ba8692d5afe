/*
 * Bit-manipulation instruction test: every Zba, Zbb and Zbs instruction
 * (RISC-V bit-manipulation spec 1.0.0) and the Zicond czero.eqz/czero.nez
 * pair (Zicond spec 1.0), on edge values, results printed in hex.
 * binutils 2.40 does not know the Zicond mnemonics, so they are emitted
 * with .insn (OP major opcode, funct7 0000111, funct3 101 for czero.eqz
 * and 111 for czero.nez). A CPU without Zicond raises SIGILL: that is
 * caught and printed, so the difference shows in the diff.
 */
#include <signal.h>
#include <ucontext.h>

#include "insn-test.h"

static const uint64_t bit_values[] = {
    0, 1, UINT64_MAX, 0x80, 0x8000, 0x7fffffff, 0x80000000, 0xffffffff,
    0x8000000000000000, 0x0123456789abcdef, 0x00ff00000000ff01,
};

/* Second operands: shift and bit indexes (masked to 6 or 5 bits). */
static const uint64_t index_values[] = {
    0, 1, 7, 31, 32, 63, 64, 0xfffffffffffffffe,
};

static void test_zba(void)
{
    TEST_RR("add.uw", bit_values, bit_values);
    TEST_RR("sh1add", bit_values, bit_values);
    TEST_RR("sh2add", bit_values, bit_values);
    TEST_RR("sh3add", bit_values, bit_values);
    TEST_RR("sh1add.uw", bit_values, bit_values);
    TEST_RR("sh2add.uw", bit_values, bit_values);
    TEST_RR("sh3add.uw", bit_values, bit_values);
    TEST_RI("slli.uw", bit_values, 0);
    TEST_RI("slli.uw", bit_values, 1);
    TEST_RI("slli.uw", bit_values, 31);
    TEST_RI("slli.uw", bit_values, 32);
    TEST_RI("slli.uw", bit_values, 63);
}

static void test_zbb(void)
{
    TEST_RR("andn", bit_values, bit_values);
    TEST_RR("orn", bit_values, bit_values);
    TEST_RR("xnor", bit_values, bit_values);
    TEST_RR("max", bit_values, bit_values);
    TEST_RR("maxu", bit_values, bit_values);
    TEST_RR("min", bit_values, bit_values);
    TEST_RR("minu", bit_values, bit_values);
    TEST_R1("clz", bit_values);
    TEST_R1("clzw", bit_values);
    TEST_R1("ctz", bit_values);
    TEST_R1("ctzw", bit_values);
    TEST_R1("cpop", bit_values);
    TEST_R1("cpopw", bit_values);
    TEST_R1("sext.b", bit_values);
    TEST_R1("sext.h", bit_values);
    TEST_R1("zext.h", bit_values);
    TEST_R1("orc.b", bit_values);
    TEST_R1("rev8", bit_values);
    TEST_RR("rol", bit_values, index_values);
    TEST_RR("ror", bit_values, index_values);
    TEST_RR("rolw", bit_values, index_values);
    TEST_RR("rorw", bit_values, index_values);
    TEST_RI("rori", bit_values, 0);
    TEST_RI("rori", bit_values, 1);
    TEST_RI("rori", bit_values, 32);
    TEST_RI("rori", bit_values, 63);
    TEST_RI("roriw", bit_values, 0);
    TEST_RI("roriw", bit_values, 1);
    TEST_RI("roriw", bit_values, 31);
}

static void test_zbs(void)
{
    TEST_RR("bclr", bit_values, index_values);
    TEST_RR("bext", bit_values, index_values);
    TEST_RR("binv", bit_values, index_values);
    TEST_RR("bset", bit_values, index_values);
    TEST_RI("bclri", bit_values, 0);
    TEST_RI("bclri", bit_values, 31);
    TEST_RI("bclri", bit_values, 63);
    TEST_RI("bexti", bit_values, 0);
    TEST_RI("bexti", bit_values, 31);
    TEST_RI("bexti", bit_values, 63);
    TEST_RI("binvi", bit_values, 0);
    TEST_RI("binvi", bit_values, 31);
    TEST_RI("binvi", bit_values, 63);
    TEST_RI("bseti", bit_values, 0);
    TEST_RI("bseti", bit_values, 31);
    TEST_RI("bseti", bit_values, 63);
}

static volatile int illegal;

static void on_sigill(int sig, siginfo_t *info, void *uc_void)
{
    ucontext_t *uc = uc_void;

    /* __gregs[0] is the pc: skip the 4-byte instruction. */
    uc->uc_mcontext.__gregs[0] += 4;
    illegal = 1;
    (void)sig;
    (void)info;
}

static const uint64_t condition_values[] = {
    0, 1, UINT64_MAX, 0x8000000000000000, 0x0000000100000000,
};

/* The destination starts as all ones, so a skipped instruction shows. */
#define TEST_CZERO(name, funct3)                                            \
    for (size_t i_ = 0; i_ < ARRAY_LEN(bit_values); i_++) {                 \
        for (size_t j_ = 0; j_ < ARRAY_LEN(condition_values); j_++) {       \
            uint64_t r_ = UINT64_MAX, a_ = bit_values[i_];                  \
            uint64_t b_ = condition_values[j_];                             \
            illegal = 0;                                                    \
            __asm__ volatile(".insn r 0x33, " #funct3 ", 7, %0, %1, %2"     \
                             : "+r"(r_) : "r"(a_), "r"(b_));                \
            if (illegal) {                                                  \
                printf("%-10s %016" PRIx64 " %016" PRIx64 " -> SIGILL\n",   \
                       name, a_, b_);                                       \
            } else {                                                        \
                print_rr(name, a_, b_, r_);                                 \
            }                                                               \
        }                                                                   \
    }

static void test_zicond(void)
{
    struct sigaction sa = { .sa_sigaction = on_sigill, .sa_flags = SA_SIGINFO };

    sigaction(SIGILL, &sa, NULL);
    TEST_CZERO("czero.eqz", 5);
    TEST_CZERO("czero.nez", 7);
    signal(SIGILL, SIG_DFL);
}

int main(void)
{
    test_zba();
    test_zbb();
    test_zbs();
    test_zicond();
    return 0;
}
