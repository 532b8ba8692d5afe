/*
 * RV64C instruction test (RISC-V unprivileged spec, chapter 16): every
 * compressed instruction of RV64GC, each spelled with its c. mnemonic so
 * the assembler must emit the 16-bit form, results printed in hex. The
 * compressed-register formats only reach x8-x15, so operands go through
 * a4/a5 (and fa4/fa5). Also runs a 32-bit instruction that straddles a
 * page boundary, which only 16-bit alignment makes possible.
 */
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "insn-test.h"

static const uint64_t c_values[] = {
    0, 1, UINT64_MAX, 0x7fffffff, 0x80000000,
    0x8000000000000000, 0x0123456789abcdef,
};

#define RVC(body) ".option push\n\t.option rvc\n\t" body "\n\t.option pop"

/* INSN a4, a5 with a4 = a, a5 = b. */
#define TEST_C_RR(insn)                                                     \
    for (size_t i_ = 0; i_ < ARRAY_LEN(c_values); i_++) {                   \
        for (size_t j_ = 0; j_ < ARRAY_LEN(c_values); j_++) {               \
            uint64_t r_, a_ = c_values[i_], b_ = c_values[j_];              \
            __asm__ volatile("mv a4, %1\n\t"                                \
                             "mv a5, %2\n\t"                                \
                             RVC(insn " a4, a5") "\n\t"                     \
                             "mv %0, a4"                                    \
                             : "=r"(r_) : "r"(a_), "r"(b_) : "a4", "a5");   \
            print_rr(insn, a_, b_, r_);                                     \
        }                                                                   \
    }

/* INSN a4, IMM with a4 = a. */
#define TEST_C_RI(insn, imm)                                                \
    for (size_t i_ = 0; i_ < ARRAY_LEN(c_values); i_++) {                   \
        uint64_t r_, a_ = c_values[i_];                                     \
        __asm__ volatile("mv a4, %1\n\t"                                    \
                         RVC(insn " a4, %2") "\n\t"                         \
                         "mv %0, a4"                                        \
                         : "=r"(r_) : "r"(a_), "i"(imm) : "a4");            \
        print_ri(insn, a_, imm, r_);                                        \
    }

static void test_alu(void)
{
    TEST_C_RR("c.add");
    TEST_C_RR("c.mv");
    TEST_C_RR("c.sub");
    TEST_C_RR("c.xor");
    TEST_C_RR("c.or");
    TEST_C_RR("c.and");
    TEST_C_RR("c.addw");
    TEST_C_RR("c.subw");
    TEST_C_RI("c.addi", 1);
    TEST_C_RI("c.addi", -32);
    TEST_C_RI("c.addi", 31);
    TEST_C_RI("c.addiw", 0);
    TEST_C_RI("c.addiw", 1);
    TEST_C_RI("c.addiw", -1);
    TEST_C_RI("c.li", 0);
    TEST_C_RI("c.li", 31);
    TEST_C_RI("c.li", -32);
    TEST_C_RI("c.lui", 1);
    TEST_C_RI("c.lui", 0x1f);
    TEST_C_RI("c.lui", 0xfffe0);
    TEST_C_RI("c.lui", 0xfffff);
    TEST_C_RI("c.andi", 0);
    TEST_C_RI("c.andi", -1);
    TEST_C_RI("c.andi", 0x1f);
    TEST_C_RI("c.andi", -32);
    TEST_C_RI("c.slli", 1);
    TEST_C_RI("c.slli", 31);
    TEST_C_RI("c.slli", 32);
    TEST_C_RI("c.slli", 63);
    TEST_C_RI("c.srli", 1);
    TEST_C_RI("c.srli", 32);
    TEST_C_RI("c.srli", 63);
    TEST_C_RI("c.srai", 1);
    TEST_C_RI("c.srai", 32);
    TEST_C_RI("c.srai", 63);
}

static void test_stack_pointer_ops(void)
{
    uint64_t r;

    __asm__ volatile(RVC("c.addi4spn a4, sp, 4") "\n\t"
                     "sub %0, a4, sp" : "=r"(r) : : "a4");
    printf("c.addi4spn 4: sp + %" PRIu64 "\n", r);
    __asm__ volatile(RVC("c.addi4spn a4, sp, 1020") "\n\t"
                     "sub %0, a4, sp" : "=r"(r) : : "a4");
    printf("c.addi4spn 1020: sp + %" PRIu64 "\n", r);
    __asm__ volatile("mv a5, sp\n\t"
                     RVC("c.addi16sp sp, -512") "\n\t"
                     "sub %0, a5, sp\n\t"
                     RVC("c.addi16sp sp, 496") "\n\t"
                     "addi sp, sp, 16"
                     : "=r"(r) : : "a5", "memory");
    printf("c.addi16sp -512: sp - %" PRIu64 "\n", r);
}

static void test_loads_stores(void)
{
    uint64_t buf[6] = { 0x8877665544332211, 0xffeeddccbbaa9988 };
    uint64_t r1, r2, r3;
    double d;

    __asm__ volatile("mv a4, %3\n\t"
                     RVC("c.lw a5, 4(a4)") "\n\t"
                     "mv %0, a5\n\t"
                     RVC("c.ld a5, 8(a4)") "\n\t"
                     "mv %1, a5\n\t"
                     RVC("c.sw a5, 16(a4)") "\n\t"
                     RVC("c.sd a5, 24(a4)") "\n\t"
                     RVC("c.fld fa5, 0(a4)") "\n\t"
                     RVC("c.fsd fa5, 32(a4)") "\n\t"
                     "fmv.x.d %2, fa5"
                     : "=&r"(r1), "=&r"(r2), "=&r"(r3)
                     : "r"(buf) : "a4", "a5", "fa5", "memory");
    printf("c.lw 4: %016" PRIx64 "\n", r1);
    printf("c.ld 8: %016" PRIx64 "\n", r2);
    printf("c.fld 0: %016" PRIx64 "\n", r3);
    for (size_t i = 0; i < 5; i++) {
        printf("after c.sw/c.sd/c.fsd %zu: %016" PRIx64 "\n", i, buf[i]);
    }

    __asm__ volatile("addi sp, sp, -32\n\t"
                     "li a4, 0x80000000\n\t"
                     "addi a4, a4, 5\n\t"
                     RVC("c.sdsp a4, 8(sp)") "\n\t"
                     RVC("c.swsp a4, 16(sp)") "\n\t"
                     RVC("c.lwsp a5, 8(sp)") "\n\t"
                     "mv %0, a5\n\t"
                     RVC("c.ldsp a5, 8(sp)") "\n\t"
                     "mv %1, a5\n\t"
                     "fmv.d.x fa4, %3\n\t"
                     RVC("c.fsdsp fa4, 24(sp)") "\n\t"
                     RVC("c.fldsp fa5, 24(sp)") "\n\t"
                     "fmv.x.d %2, fa5\n\t"
                     "addi sp, sp, 32"
                     : "=&r"(r1), "=&r"(r2), "=&r"(r3)
                     : "r"(0x4009000000000000) : "a4", "a5", "fa4", "fa5",
                       "memory");
    memcpy(&d, &r3, sizeof(d));
    printf("c.lwsp: %016" PRIx64 "\n", r1);
    printf("c.ldsp: %016" PRIx64 "\n", r2);
    printf("c.fsdsp/c.fldsp: %016" PRIx64 " (%g)\n", r3, d);
}

/* Prints 1 when INSN a4 branches, 0 when it falls through. */
#define TEST_C_BRANCH(insn)                                                 \
    for (size_t i_ = 0; i_ < ARRAY_LEN(c_values); i_++) {                   \
        uint64_t r_, a_ = c_values[i_];                                     \
        __asm__ volatile("li %0, 1\n\t"                                     \
                         "mv a4, %1\n\t"                                    \
                         RVC(insn " a4, 1f") "\n\t"                         \
                         "li %0, 0\n"                                       \
                         "1:"                                               \
                         : "=&r"(r_) : "r"(a_) : "a4");                     \
        print_r1(insn, a_, r_);                                             \
    }

static void test_control_transfer(void)
{
    uint64_t r, link;

    TEST_C_BRANCH("c.beqz");
    TEST_C_BRANCH("c.bnez");

    __asm__ volatile("li %0, 1\n\t"
                     RVC("c.j 1f") "\n\t"
                     "li %0, 0\n"
                     "1:"
                     : "=&r"(r));
    printf("c.j: jumped %" PRIu64 "\n", r);

    __asm__ volatile("lla a4, 1f\n\t"
                     "li %0, 1\n\t"
                     RVC("c.jr a4") "\n\t"
                     "li %0, 0\n"
                     "1:"
                     : "=&r"(r) : : "a4");
    printf("c.jr: jumped %" PRIu64 "\n", r);

    /* c.jalr links to the address 2 bytes after it. */
    __asm__ volatile("mv a5, ra\n\t"
                     "lla a4, 2f\n\t"
                     RVC("c.jalr a4") "\n"
                     "1: j 3f\n"
                     "2: lla %0, 1b\n\t"
                     "sub %0, ra, %0\n\t"
                     "mv ra, a5\n"
                     "3:"
                     : "=&r"(link) : : "a4", "a5", "ra");
    printf("c.jalr link - next insn: %" PRIu64 "\n", link);

    __asm__ volatile("li %0, 3\n\t"
                     RVC("c.nop") "\n\t"
                     RVC("c.nop") "\n\t"
                     "addi %0, %0, 1"
                     : "=&r"(r));
    printf("c.nop: %" PRIu64 "\n", r);
}

static volatile int traps;
static volatile int trap_length;

static void on_sigtrap(int sig, siginfo_t *info, void *uc_void)
{
    ucontext_t *uc = uc_void;
    uint16_t parcel;

    /* __gregs[0] is the pc: step over the EBREAK, whichever its length. */
    memcpy(&parcel, (void *)uc->uc_mcontext.__gregs[0], sizeof(parcel));
    trap_length = (parcel & 3) == 3 ? 4 : 2;
    uc->uc_mcontext.__gregs[0] += trap_length;
    traps++;
    (void)sig;
    (void)info;
}

static void test_ebreak(void)
{
    struct sigaction sa = { .sa_sigaction = on_sigtrap, .sa_flags = SA_SIGINFO };
    uint64_t r;

    sigaction(SIGTRAP, &sa, NULL);
    __asm__ volatile("li %0, 1\n\t"
                     RVC("c.ebreak") "\n\t"
                     "addi %0, %0, 1"
                     : "=r"(r));
    printf("c.ebreak: traps %d, length %d, then %" PRIu64 "\n",
           traps, trap_length, r);
    signal(SIGTRAP, SIG_DFL);
}

/*
 * c.li a0, 1; then addi a0, a0, 100 split across two pages; c.jr ra.
 * The halves of the addi are written separately since the first one
 * ends a page.
 */
static void test_page_straddle(void)
{
    uint8_t *pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE | PROT_EXEC,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint16_t c_li = 0x4505, c_jr_ra = 0x8082;
    uint32_t addi = (100u << 20) | (10 << 15) | (10 << 7) | 0x13;
    uint16_t low = addi & 0xffff, high = addi >> 16;
    uint8_t *start = pages + 4096 - 4;
    long (*fn)(void) = (long (*)(void))start;

    if (pages == MAP_FAILED) {
        printf("mmap rwx failed\n");
        return;
    }
    memcpy(start, &c_li, 2);
    memcpy(start + 2, &low, 2);
    memcpy(start + 4, &high, 2);
    memcpy(start + 6, &c_jr_ra, 2);
    __asm__ volatile("fence.i" ::: "memory");
    printf("insn across a page boundary returns %ld\n", fn());
    munmap(pages, 8192);
}

int main(void)
{
    test_alu();
    test_stack_pointer_ops();
    test_loads_stores();
    test_control_transfer();
    test_ebreak();
    test_page_straddle();
    return 0;
}
