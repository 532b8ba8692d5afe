/*
 * RV64I instruction test: every base integer instruction (RISC-V
 * unprivileged spec, chapters 2 and 5) run through inline asm on edge
 * values, results printed in hex. Also covers x0 as a destination, the
 * link values of JAL/JALR, misaligned loads and stores (which Linux
 * completes for the program), ECALL, EBREAK (SIGTRAP) and FENCE.I after
 * rewriting code.
 */
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "insn-test.h"

static const uint64_t compare_values[] = {
    0, 1, UINT64_MAX, 0x7fffffffffffffff, 0x8000000000000000,
};

static void test_upper_immediates(void)
{
    uint64_t r, here, label;

    __asm__ volatile("lui %0, 0x12345" : "=r"(r));
    print_r1("lui", 0x12345, r);
    /* Bit 31 of the result is copied into the upper word. */
    __asm__ volatile("lui %0, 0x80000" : "=r"(r));
    print_r1("lui", 0x80000, r);
    __asm__ volatile("lui %0, 0xfffff" : "=r"(r));
    print_r1("lui", 0xfffff, r);

    __asm__ volatile("1: auipc %0, 0\n\t"
                     "lla %1, 1b"
                     : "=r"(here), "=r"(label));
    printf("auipc 0 == its own address: %d\n", here == label);
    __asm__ volatile("1: auipc %0, 0x1\n\t"
                     "lla %1, 1b"
                     : "=r"(here), "=r"(label));
    printf("auipc 1 - its own address: %" PRIx64 "\n", here - label);
}

static void test_register_ops(void)
{
    TEST_RR("add", edge_values, edge_values);
    TEST_RR("sub", edge_values, edge_values);
    TEST_RR("slt", edge_values, edge_values);
    TEST_RR("sltu", edge_values, edge_values);
    TEST_RR("xor", edge_values, edge_values);
    TEST_RR("or", edge_values, edge_values);
    TEST_RR("and", edge_values, edge_values);
    TEST_RR("sll", shift_values, shift_amounts);
    TEST_RR("srl", shift_values, shift_amounts);
    TEST_RR("sra", shift_values, shift_amounts);
    TEST_RR("addw", edge_values, edge_values);
    TEST_RR("subw", edge_values, edge_values);
    TEST_RR("sllw", shift_values, shift_amounts);
    TEST_RR("srlw", shift_values, shift_amounts);
    TEST_RR("sraw", shift_values, shift_amounts);
}

static void test_immediate_ops(void)
{
    TEST_RI("addi", edge_values, 0);
    TEST_RI("addi", edge_values, 1);
    TEST_RI("addi", edge_values, -1);
    TEST_RI("addi", edge_values, 2047);
    TEST_RI("addi", edge_values, -2048);
    TEST_RI("slti", edge_values, 0);
    TEST_RI("slti", edge_values, -1);
    TEST_RI("slti", edge_values, 2047);
    TEST_RI("sltiu", edge_values, 0);
    TEST_RI("sltiu", edge_values, 1);
    /* The immediate is sign-extended, then compared unsigned. */
    TEST_RI("sltiu", edge_values, -1);
    TEST_RI("xori", edge_values, -1);
    TEST_RI("xori", edge_values, 0x555);
    TEST_RI("ori", edge_values, -2048);
    TEST_RI("ori", edge_values, 0x7ff);
    TEST_RI("andi", edge_values, -2048);
    TEST_RI("andi", edge_values, 0x7ff);
    TEST_RI("slli", shift_values, 0);
    TEST_RI("slli", shift_values, 1);
    TEST_RI("slli", shift_values, 32);
    TEST_RI("slli", shift_values, 63);
    TEST_RI("srli", shift_values, 0);
    TEST_RI("srli", shift_values, 1);
    TEST_RI("srli", shift_values, 32);
    TEST_RI("srli", shift_values, 63);
    TEST_RI("srai", shift_values, 0);
    TEST_RI("srai", shift_values, 1);
    TEST_RI("srai", shift_values, 32);
    TEST_RI("srai", shift_values, 63);
    TEST_RI("addiw", edge_values, 0);
    TEST_RI("addiw", edge_values, 1);
    TEST_RI("addiw", edge_values, -1);
    TEST_RI("addiw", edge_values, -2048);
    TEST_RI("slliw", shift_values, 0);
    TEST_RI("slliw", shift_values, 1);
    TEST_RI("slliw", shift_values, 31);
    TEST_RI("srliw", shift_values, 0);
    TEST_RI("srliw", shift_values, 1);
    TEST_RI("srliw", shift_values, 31);
    TEST_RI("sraiw", shift_values, 0);
    TEST_RI("sraiw", shift_values, 1);
    TEST_RI("sraiw", shift_values, 31);
}

/* Prints 1 when INSN a, b branches, 0 when it falls through. */
#define TEST_BRANCH(insn)                                                   \
    for (size_t i_ = 0; i_ < ARRAY_LEN(compare_values); i_++) {             \
        for (size_t j_ = 0; j_ < ARRAY_LEN(compare_values); j_++) {         \
            uint64_t r_, a_ = compare_values[i_], b_ = compare_values[j_];  \
            __asm__ volatile("li %0, 1\n\t"                                 \
                             insn " %1, %2, 1f\n\t"                         \
                             "li %0, 0\n"                                   \
                             "1:"                                           \
                             : "=&r"(r_) : "r"(a_), "r"(b_));               \
            print_rr(insn, a_, b_, r_);                                     \
        }                                                                   \
    }

static void test_branches(void)
{
    TEST_BRANCH("beq");
    TEST_BRANCH("bne");
    TEST_BRANCH("blt");
    TEST_BRANCH("bge");
    TEST_BRANCH("bltu");
    TEST_BRANCH("bgeu");
}

static void test_jumps(void)
{
    uint64_t link, expected, target;

    /* JAL writes the address of the instruction after it. */
    __asm__ volatile("lla %1, 1f\n\t"
                     "jal %0, 2f\n"
                     "1: li %0, -1\n\t"
                     "j 3f\n"
                     "2: sub %0, %0, %1\n"
                     "3:"
                     : "=&r"(link), "=&r"(expected));
    printf("jal link - next insn: %" PRIx64 "\n", link);

    /* JALR clears bit 0 of the target; rd == rs1 uses the old rs1. */
    __asm__ volatile("lla %0, 2f + 1\n\t"
                     "jalr %0, 0(%0)\n"
                     "1: li %0, -1\n\t"
                     "j 3f\n"
                     "2: lla %1, 1b\n\t"
                     "sub %0, %0, %1\n"
                     "3:"
                     : "=&r"(link), "=&r"(expected));
    printf("jalr odd target, rd == rs1, link - next insn: %" PRIx64 "\n", link);

    /* A negative offset, with the link in x0 (discarded). */
    __asm__ volatile("lla %0, 2f + 8\n\t"
                     "li %1, 7\n\t"
                     "jalr zero, -8(%0)\n\t"
                     "li %1, -1\n"
                     "2: addi %1, %1, 1"
                     : "=&r"(target), "=&r"(link));
    printf("jalr -8: %" PRIx64 "\n", link);
}

static void print_bytes(const char *what, const uint8_t *p, size_t n)
{
    printf("%-24s", what);
    for (size_t i = 0; i < n; i++) {
        printf(" %02x", p[i]);
    }
    printf("\n");
}

#define LOAD(insn, off, base)                                               \
    ({                                                                      \
        uint64_t r_;                                                        \
        __asm__ volatile(insn " %0, " #off "(%1)"                           \
                         : "=r"(r_) : "r"(base) : "memory");                \
        printf("%-10s %4d -> %016" PRIx64 "\n", insn, off, r_);             \
    })

#define STORE(insn, off, base, value)                                       \
    ({                                                                      \
        __asm__ volatile(insn " %0, " #off "(%1)"                           \
                         : : "r"(value), "r"(base) : "memory");             \
        print_bytes(insn " " #off, (const uint8_t *)(base) - 8, 24);        \
    })

static void test_loads_stores(void)
{
    static uint8_t data[24] __attribute__((aligned(8)));
    static uint8_t buf[32] __attribute__((aligned(8)));
    uint8_t *mid = data + 8;

    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = 0x70 + 9 * i;
    }
    LOAD("lb", 0, mid);
    LOAD("lb", 1, mid);
    LOAD("lb", -1, mid);
    LOAD("lbu", 1, mid);
    LOAD("lh", 0, mid);
    LOAD("lh", 2, mid);
    LOAD("lhu", 2, mid);
    LOAD("lw", 0, mid);
    LOAD("lw", 4, mid);
    LOAD("lwu", 4, mid);
    LOAD("lw", -4, mid);
    LOAD("ld", 0, mid);
    LOAD("ld", -8, mid);
    LOAD("ld", 8, mid);
    /* Misaligned: Linux finishes these for the program. */
    LOAD("lh", 1, mid);
    LOAD("lw", 3, mid);
    LOAD("ld", 5, mid);

    uint8_t *base = buf + 8;
    uint64_t value = 0x8182838485868788;
    STORE("sb", 0, base, value);
    STORE("sb", -1, base, value);
    STORE("sh", 2, base, value);
    STORE("sw", 4, base, value);
    STORE("sd", 8, base, value);
    STORE("sd", -8, base, ~value);
    STORE("sw", 13, base, 0);
    STORE("sd", 3, base, 0x1122334455667788);
}

static void test_zero_register(void)
{
    uint64_t r;

    __asm__ volatile("li t0, 5\n\t"
                     "add zero, t0, t0\n\t"
                     "addi zero, zero, 7\n\t"
                     "lui zero, 1\n\t"
                     "mv %0, zero"
                     : "=r"(r) : : "t0");
    printf("x0 after writes: %" PRIx64 "\n", r);
}

static long raw_write(int fd, const char *buf, unsigned long len)
{
    register long a0 __asm__("a0") = fd;
    register long a1 __asm__("a1") = (long)buf;
    register long a2 __asm__("a2") = len;
    register long a7 __asm__("a7") = 64;   /* write */

    __asm__ volatile("ecall"
                     : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

static void test_ecall(void)
{
    static const char msg[] = "written by a raw ecall\n";
    long r;

    fflush(stdout);
    r = raw_write(1, msg, sizeof(msg) - 1);
    printf("ecall write returned %ld\n", r);
    printf("ecall write to a bad fd returned %ld\n", raw_write(-1, msg, 1));
}

static volatile int traps;

static void on_sigtrap(int sig, siginfo_t *info, void *uc_void)
{
    ucontext_t *uc = uc_void;
    /* __gregs[0] is the pc; step over the 4-byte EBREAK. */
    uc->uc_mcontext.__gregs[0] += 4;
    traps++;
    (void)sig;
    (void)info;
}

static void test_ebreak(void)
{
    struct sigaction sa = { .sa_sigaction = on_sigtrap, .sa_flags = SA_SIGINFO };
    uint64_t r;

    sigaction(SIGTRAP, &sa, NULL);
    __asm__ volatile(".option push\n\t"
                     ".option norvc\n\t"
                     "li %0, 1\n\t"
                     "ebreak\n\t"
                     "addi %0, %0, 1\n\t"
                     ".option pop"
                     : "=r"(r));
    printf("ebreak: traps %d, then %" PRIx64 "\n", traps, r);
    signal(SIGTRAP, SIG_DFL);
}

/* addi a0, zero, IMM; jalr zero, 0(ra) */
static void write_return_imm(uint32_t *code, int imm)
{
    code[0] = ((uint32_t)imm << 20) | (10 << 7) | 0x13;
    code[1] = 0x00008067;
}

static void test_fence_i(void)
{
    uint32_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long (*fn)(void) = (long (*)(void))code;

    if (code == MAP_FAILED) {
        printf("mmap rwx failed\n");
        return;
    }
    write_return_imm(code, 42);
    __asm__ volatile("fence.i" ::: "memory");
    printf("generated code returns %ld\n", fn());
    write_return_imm(code, 43);
    __asm__ volatile("fence.i" ::: "memory");
    printf("rewritten code returns %ld\n", fn());
    munmap(code, 4096);

    __asm__ volatile("fence\n\t"
                     "fence rw, rw\n\t"
                     "fence r, w\n\t"
                     "fence.tso" ::: "memory");
    printf("fences done\n");
}

static void test_time(void)
{
    uint64_t t1, t2;

    __asm__ volatile("rdtime %0" : "=r"(t1));
    for (volatile int i = 0; i < 100000; i++) {
    }
    __asm__ volatile("rdtime %0" : "=r"(t2));
    printf("rdtime advances: %d\n", t2 > t1);
}

int main(void)
{
    test_upper_immediates();
    test_register_ops();
    test_immediate_ops();
    test_branches();
    test_jumps();
    test_loads_stores();
    test_zero_register();
    test_ecall();
    test_ebreak();
    test_fence_i();
    test_time();
    return 0;
}
