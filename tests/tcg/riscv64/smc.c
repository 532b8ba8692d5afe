/*
 * Self-modifying code and guest faults for a user-mode emulator.
 *
 * Code is generated into guest pages and rewritten while it has been
 * translated: through stores (a writable+executable page, a page that
 * patches itself), through the kernel (read() from a pipe into the code),
 * and W^X style (mprotect between RW and RX). fence.i makes each change
 * visible, as the ISA requires. Then faults: the exact si_addr and si_code
 * of bad loads and stores (a store to non-writable code is a fault, not
 * code modification), and handlers that edit the interrupted context (pc,
 * an integer register) or clobber FP registers, which sigreturn must undo.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define PAGE 4096

typedef long (*Fn)(long, long);

/* RV64I encodings of the few instructions the tests generate. */
static uint32_t addi(int rd, int rs1, int imm)
{
    return ((uint32_t)(imm & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x13;
}

static uint32_t add(int rd, int rs1, int rs2)
{
    return (rs2 << 20) | (rs1 << 15) | (rd << 7) | 0x33;
}

static uint32_t sw(int rs2, int rs1, int imm)
{
    return ((uint32_t)(imm >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (2 << 12) |
           ((imm & 31) << 7) | 0x23;
}

#define RET 0x00008067u        /* jalr zero, 0(ra) */
#define FENCE_I 0x0000100fu
enum { A0 = 10, A1 = 11, A2 = 12 };

static void sync_code(void)
{
    __asm__ volatile("fence.i" ::: "memory");
}

/* f(a0, a1) = a0 + k */
static void gen_add_const(uint32_t *code, int k)
{
    code[0] = addi(A0, A0, k);
    code[1] = RET;
}

static void test_rewrite_in_place(void)
{
    uint32_t *code = mmap(NULL, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long sum = 0;

    for (int k = 1; k <= 50; k++) {
        gen_add_const(code, k);
        sync_code();
        sum += ((Fn)code)(1000, 0);
    }
    printf("rewritten 50 times: sum %ld (want %d)\n", sum, 50 * 1000 + 50 * 51 / 2);

    /* a second function on the same page, rewritten while the first runs */
    gen_add_const(code + 64, 7);
    sync_code();
    long a = ((Fn)code)(1, 0), b = ((Fn)(code + 64))(1, 0);
    code[64] = add(A0, A0, A0);
    sync_code();
    printf("two functions on one page: %ld %ld, then %ld %ld\n", a, b,
           ((Fn)code)(1, 0), ((Fn)(code + 64))(1, 0));
    munmap(code, PAGE);
}

/*
 * The code patches its own next instruction: sw a1, 8(a0); fence.i; then
 * the patched slot, then ret. Called with a0 = the code itself.
 */
static void test_self_patching(void)
{
    uint32_t *code = mmap(NULL, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    code[0] = sw(A1, A0, 12);
    code[1] = FENCE_I;
    code[2] = addi(A2, 0, 0);       /* a2 = 0 so the result depends only on the slot */
    code[3] = addi(A0, 0, 1);       /* the slot: a0 = 1 */
    code[4] = add(A0, A0, A2);
    code[5] = RET;
    sync_code();
    long first = ((Fn)code)((long)code, (long)addi(A0, 0, 1));
    long second = ((Fn)code)((long)code, (long)addi(A0, 0, 22));
    long third = ((Fn)code)((long)code, (long)addi(A0, 0, 333));
    printf("self-patching code: %ld %ld %ld\n", first, second, third);
    munmap(code, PAGE);
}

/* The kernel writes the new code (read from a pipe). */
static void test_code_from_read(void)
{
    uint32_t *code = mmap(NULL, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint32_t new_code[2];
    int fds[2];

    gen_add_const(code, 1);
    sync_code();
    long before = ((Fn)code)(10, 0);
    gen_add_const(new_code, 5);
    if (pipe(fds) != 0 || write(fds[1], new_code, sizeof(new_code)) != sizeof(new_code)) {
        printf("pipe failed\n");
        return;
    }
    ssize_t n = read(fds[0], code, sizeof(new_code));
    sync_code();
    printf("code from read(): read %zd, %ld then %ld\n", n, before, ((Fn)code)(10, 0));
    close(fds[0]);
    close(fds[1]);
    munmap(code, PAGE);
}

/* A JIT's W^X: write while RW, run while RX. */
static void test_wx_flip(void)
{
    uint32_t *code = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long results[3];

    for (int i = 0; i < 3; i++) {
        mprotect(code, PAGE, PROT_READ | PROT_WRITE);
        gen_add_const(code, 100 * (i + 1));
        mprotect(code, PAGE, PROT_READ | PROT_EXEC);
        sync_code();
        results[i] = ((Fn)code)(1, 0);
    }
    printf("W^X flips: %ld %ld %ld\n", results[0], results[1], results[2]);
    munmap(code, PAGE);
}

static sigjmp_buf jump;
static volatile int seen_signo, seen_code;
static void *volatile seen_addr;

static void on_fault(int sig, siginfo_t *info, void *uc)
{
    seen_signo = info->si_signo;
    seen_code = info->si_code;
    seen_addr = info->si_addr;
    (void)sig;
    (void)uc;
    siglongjmp(jump, 1);
}

static void try_store(const char *what, void *p)
{
    seen_signo = 0;
    if (sigsetjmp(jump, 1) == 0) {
        *(volatile uint32_t *)p = 0;
        printf("%s: no fault\n", what);
        return;
    }
    printf("%s: signal %d, code %d, si_addr exact %d\n", what, seen_signo, seen_code,
           seen_addr == p);
}

static void try_load(const char *what, void *p)
{
    seen_signo = 0;
    if (sigsetjmp(jump, 1) == 0) {
        (void)*(volatile uint32_t *)p;
        printf("%s: no fault\n", what);
        return;
    }
    printf("%s: signal %d, code %d, si_addr exact %d\n", what, seen_signo, seen_code,
           seen_addr == p);
}

/* Past the end of a file mapping: SIGBUS, BUS_ADRERR. */
static void test_past_eof(void)
{
    int fd = memfd_create("smc-test", 0);
    char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

    if (fd < 0 || p == MAP_FAILED || ftruncate(fd, PAGE) != 0) {
        printf("memfd set-up failed\n");
        return;
    }
    p[0] = 1;
    sigaction(SIGBUS, &(struct sigaction){ .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO },
              NULL);
    try_load("load past the end of a file mapping", p + PAGE + 8);
    printf("BUS_ADRERR is %d\n", BUS_ADRERR);
    munmap(p, 2 * PAGE);
    close(fd);
}

static void test_faults(void)
{
    struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO };
    char *rx = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *gone = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    gen_add_const((uint32_t *)rx, 3);
    mprotect(rx, PAGE, PROT_READ | PROT_EXEC);
    sync_code();
    printf("read-only code runs: %ld\n", ((Fn)rx)(0, 0));
    try_store("store to read-only code", rx + 4);
    printf("code unchanged: %ld\n", ((Fn)rx)(0, 0));
    munmap(gone + PAGE, PAGE);
    try_load("load just past a mapping", gone + PAGE + 20);
    try_store("store to a read-only page", gone + 100);
    try_load("load from unmapped 0xfffffffc", (void *)0xfffffffcul);
    munmap(rx, PAGE);
    munmap(gone, PAGE);
    test_past_eof();
}

/* ---- handlers that edit the context ---- */

extern char skip_me[], set_a0[];

static void skip_insn(int sig, siginfo_t *info, void *ucp)
{
    ucontext_t *uc = ucp;

    /* the faulting instruction is 4 bytes (norvc below): resume after it */
    uc->uc_mcontext.__gregs[REG_PC] += 4;
    (void)sig;
    (void)info;
}

static void change_a0(int sig, siginfo_t *info, void *ucp)
{
    ucontext_t *uc = ucp;

    uc->uc_mcontext.__gregs[REG_A0] = 0x1234;
    (void)sig;
    (void)info;
}

static __attribute__((noinline)) long fault_and_skip(long *p)
{
    long v = 5;

    __asm__ volatile(".option push\n\t.option norvc\n\t"
                     ".globl skip_me\nskip_me: ld %0, 0(%1)\n\t"
                     ".option pop"
                     : "+r"(v) : "r"(p) : "memory");
    return v;
}

static __attribute__((noinline)) long a0_after_signal(void)
{
    register long a0 __asm__("a0") = 1;

    __asm__ volatile("li a7, 129\n\t"         /* kill(getpid(), SIGUSR1) by hand, */
                     "mv a0, %1\n\t"          /* so a0 holds the syscall result */
                     "li a1, 10\n\t"
                     "ecall\n"
                     ".globl set_a0\nset_a0:"
                     : "+r"(a0) : "r"((long)getpid()) : "a1", "a7", "memory");
    return a0;
}

static volatile double fp_seen;

static void clobber_fp(int sig, siginfo_t *info, void *uc)
{
    volatile double x = 3.0;

    fp_seen = x * x;
    __asm__ volatile("fmv.d.x ft0, zero\n\tfmv.d.x fs0, zero\n\tfmv.d.x fa0, zero\n\t"
                     "fsrmi 2" ::: "ft0", "fs0", "fa0");
    (void)sig;
    (void)info;
    (void)uc;
}

static void test_context(void)
{
    struct sigaction sa = { .sa_sigaction = skip_insn, .sa_flags = SA_SIGINFO };
    double kept = 1.5;
    int rounding;

    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    printf("load skipped by the handler: %ld\n", fault_and_skip((long *)16));

    sa.sa_sigaction = change_a0;
    sigaction(SIGUSR1, &sa, NULL);
    printf("a0 set by the handler: 0x%lx\n", a0_after_signal());

    sa.sa_sigaction = clobber_fp;
    sigaction(SIGUSR2, &sa, NULL);
    __asm__ volatile("fmv.d %0, %0\n\tfsrmi 0" : "+f"(kept));
    raise(SIGUSR2);
    __asm__ volatile("frrm %0" : "=r"(rounding));
    __asm__ volatile("fmv.d %0, %0" : "+f"(kept));
    printf("FP state kept across a handler: %g, rounding mode %d, handler computed %g\n",
           kept, rounding, fp_seen);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_rewrite_in_place();
    test_self_patching();
    test_code_from_read();
    test_wx_flip();
    test_faults();
    test_context();
    return 0;
}
