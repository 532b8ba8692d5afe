/*
 * RV64A instruction test (RISC-V unprivileged spec, chapter 8): every AMO
 * in its .w and .d widths and its plain, .aq, .rl and .aqrl forms, printing
 * the value read and the memory after; LR/SC pairs that must succeed and
 * ones that must fail; an LR/SC increment loop. Single-threaded, so each
 * result is exact (threads.c covers concurrent atomics).
 */
#include <unistd.h>

#include "insn-test.h"

/* Memory values and rs2 operands: each pair is one AMO run. */
static const uint64_t amo_pairs[][2] = {
    { 5, 3 },
    { UINT64_MAX, 1 },
    { 0x8000000000000000, 0x7fffffffffffffff },
    { 0x0123456789abcdef, 0xfedcba9876543210 },
    { 0x00000000ffffffff, 0x0000000080000000 },
};

static void print_amo(const char *insn, uint64_t mem, uint64_t src,
                      uint64_t old, uint64_t after)
{
    printf("%-16s mem %016" PRIx64 " src %016" PRIx64
           " -> rd %016" PRIx64 " mem %016" PRIx64 "\n",
           insn, mem, src, old, after);
}

/*
 * The .w forms work on the low word of a 64-bit cell; printing the whole
 * cell shows that the high word stays as it was.
 */
#define TEST_AMO(insn)                                                      \
    for (size_t i_ = 0; i_ < ARRAY_LEN(amo_pairs); i_++) {                  \
        uint64_t cell_ = amo_pairs[i_][0], src_ = amo_pairs[i_][1], rd_;    \
        __asm__ volatile(insn " %0, %2, (%1)"                               \
                         : "=&r"(rd_) : "r"(&cell_), "r"(src_) : "memory"); \
        print_amo(insn, amo_pairs[i_][0], src_, rd_, cell_);                \
    }

#define TEST_AMO_ORDERINGS(insn)                                            \
    TEST_AMO(insn);                                                         \
    TEST_AMO(insn ".aq");                                                   \
    TEST_AMO(insn ".rl");                                                   \
    TEST_AMO(insn ".aqrl")

static void test_amos(void)
{
    TEST_AMO_ORDERINGS("amoswap.w");
    TEST_AMO_ORDERINGS("amoadd.w");
    TEST_AMO_ORDERINGS("amoxor.w");
    TEST_AMO_ORDERINGS("amoand.w");
    TEST_AMO_ORDERINGS("amoor.w");
    TEST_AMO_ORDERINGS("amomin.w");
    TEST_AMO_ORDERINGS("amomax.w");
    TEST_AMO_ORDERINGS("amominu.w");
    TEST_AMO_ORDERINGS("amomaxu.w");
    TEST_AMO_ORDERINGS("amoswap.d");
    TEST_AMO_ORDERINGS("amoadd.d");
    TEST_AMO_ORDERINGS("amoxor.d");
    TEST_AMO_ORDERINGS("amoand.d");
    TEST_AMO_ORDERINGS("amoor.d");
    TEST_AMO_ORDERINGS("amomin.d");
    TEST_AMO_ORDERINGS("amomax.d");
    TEST_AMO_ORDERINGS("amominu.d");
    TEST_AMO_ORDERINGS("amomaxu.d");
}

static void test_amo_register_aliases(void)
{
    uint64_t cell = 40, r = 2;

    /* rd = x0: the value read is dropped, the memory still changes. */
    __asm__ volatile("amoadd.d zero, %1, (%0)"
                     : : "r"(&cell), "r"(r) : "memory");
    printf("amoadd.d rd=x0: mem %" PRIx64 "\n", cell);
    /* rd == rs2: the old rs2 is what gets stored. */
    __asm__ volatile("amoswap.d %0, %0, (%1)"
                     : "+r"(r) : "r"(&cell) : "memory");
    printf("amoswap.d rd=rs2: rd %" PRIx64 " mem %" PRIx64 "\n", r, cell);
}

/* LR then SC of NEW to the same address; prints the SC's result code. */
#define TEST_LR_SC(lr, sc, init, new)                                       \
    ({                                                                      \
        uint64_t cell_ = (init), loaded_, rc_;                              \
        __asm__ volatile(lr " %0, (%2)\n\t"                                 \
                         sc " %1, %3, (%2)"                                 \
                         : "=&r"(loaded_), "=&r"(rc_)                       \
                         : "r"(&cell_), "r"((uint64_t)(new)) : "memory");   \
        printf("%-10s %-10s loaded %016" PRIx64 " failed %d mem %016"       \
               PRIx64 "\n", lr, sc, loaded_, rc_ != 0, cell_);              \
    })

/* Two cells on different pages, so no reservation set can hold both. */
static uint64_t far_cells[2][512] __attribute__((aligned(4096)));

static void test_lr_sc(void)
{
    uint64_t rc1, rc2, loaded;

    TEST_LR_SC("lr.w", "sc.w", 0x1111111180000000, 0x22222222);
    TEST_LR_SC("lr.w.aq", "sc.w.rl", 0x00000000ffffffff, 0x7fffffff);
    TEST_LR_SC("lr.w.aqrl", "sc.w.aqrl", 0x12345678, 0x87654321);
    TEST_LR_SC("lr.d", "sc.d", 0x8000000000000001, 0x0123456789abcdef);
    TEST_LR_SC("lr.d.aq", "sc.d.rl", 1, 2);
    TEST_LR_SC("lr.d.aqrl", "sc.d.aqrl", UINT64_MAX, 0);

    /* Every SC ends the reservation, so a second SC must fail. */
    far_cells[0][0] = 10;
    __asm__ volatile("lr.d %0, (%3)\n\t"
                     "sc.d %1, %4, (%3)\n\t"
                     "sc.d %2, %5, (%3)"
                     : "=&r"(loaded), "=&r"(rc1), "=&r"(rc2)
                     : "r"(&far_cells[0][0]), "r"(11L), "r"(12L) : "memory");
    printf("sc.d twice: first failed %d, second failed %d, mem %" PRIu64 "\n",
           rc1 != 0, rc2 != 0, far_cells[0][0]);

    /* An SC outside the reserved address fails and stores nothing. */
    far_cells[1][0] = 20;
    __asm__ volatile("lr.d %0, (%2)\n\t"
                     "sc.d %1, %4, (%3)"
                     : "=&r"(loaded), "=&r"(rc1)
                     : "r"(&far_cells[0][0]), "r"(&far_cells[1][0]), "r"(21L)
                     : "memory");
    printf("sc.d elsewhere: failed %d, mem %" PRIu64 "\n",
           rc1 != 0, far_cells[1][0]);

    /*
     * Linux clears the reservation on every return from a trap to user
     * mode, so an SC after a system call fails.
     */
    register long a0 __asm__("a0") = 0;
    register long a7 __asm__("a7") = 172;   /* getpid */
    __asm__ volatile("lr.d %1, (%3)\n\t"
                     "ecall\n\t"
                     "sc.d %2, %4, (%3)"
                     : "+r"(a0), "=&r"(loaded), "=&r"(rc1)
                     : "r"(&far_cells[0][0]), "r"(13L), "r"(a7) : "memory");
    printf("sc.d after ecall: failed %d, mem %" PRIu64 "\n",
           rc1 != 0, far_cells[0][0]);
}

/* The usual retry loop, as compilers emit for a fetch-and-add on words. */
static void lr_sc_increment(uint32_t *p)
{
    uint32_t old, rc;

    __asm__ volatile("1: lr.w %0, (%2)\n\t"
                     "addiw %0, %0, 1\n\t"
                     "sc.w %1, %0, (%2)\n\t"
                     "bnez %1, 1b"
                     : "=&r"(old), "=&r"(rc) : "r"(p) : "memory");
}

static void test_lr_sc_loop(void)
{
    uint32_t counter = 0xfffffff0;

    for (int i = 0; i < 1000; i++) {
        lr_sc_increment(&counter);
    }
    printf("lr/sc loop counter %08" PRIx32 "\n", counter);
}

int main(void)
{
    test_amos();
    test_amo_register_aliases();
    test_lr_sc();
    test_lr_sc_loop();
    return 0;
}
