/*
 * Signal test for a user-mode emulator: siginfo contents for raise, kill
 * and sigqueue; synchronous faults (a bad load, a store to a read-only
 * page, a jump to unmapped memory, an illegal instruction, a misaligned
 * atomic) caught and left with siglongjmp; the alternate signal stack;
 * blocking, pending and waiting for signals; nesting and deferral;
 * SA_RESETHAND; real-time signal queueing; a blocking read interrupted
 * with and without SA_RESTART. Handlers only record; main prints.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t last_signo, last_code, deliveries;
static void *volatile last_addr;
static volatile int last_value, last_pid_ok;

static void set_handler(int sig, void (*fn)(int, siginfo_t *, void *),
                        int flags)
{
    struct sigaction sa = { .sa_sigaction = fn, .sa_flags = SA_SIGINFO | flags };

    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void record(int sig, siginfo_t *info, void *uc)
{
    last_signo = info->si_signo;
    last_code = info->si_code;
    last_addr = info->si_addr;
    last_value = info->si_value.sival_int;
    last_pid_ok = info->si_pid == getpid() && info->si_uid == getuid();
    deliveries++;
    (void)sig;
    (void)uc;
}

static void test_siginfo(void)
{
    union sigval value = { .sival_int = 42 };

    set_handler(SIGUSR1, record, 0);
    set_handler(SIGUSR2, record, 0);
    raise(SIGUSR1);
    printf("raise: signo %d, code %d (SI_TKILL %d), sender is us %d\n",
           last_signo, last_code, SI_TKILL, last_pid_ok);
    kill(getpid(), SIGUSR2);
    printf("kill: signo %d, code %d (SI_USER %d), sender is us %d\n",
           last_signo, last_code, SI_USER, last_pid_ok);
    sigqueue(getpid(), SIGUSR1, value);
    printf("sigqueue: signo %d, code %d (SI_QUEUE %d), value %d\n",
           last_signo, last_code, SI_QUEUE, last_value);
    printf("deliveries %d\n", deliveries);
}

static sigjmp_buf fault_jump;

static void on_fault(int sig, siginfo_t *info, void *uc)
{
    record(sig, info, uc);
    siglongjmp(fault_jump, 1);
}

/* Runs FN, which must fault; prints what the handler saw. */
static void expect_fault(const char *what, void (*fn)(void *), void *arg,
                         void *want_addr)
{
    deliveries = 0;
    last_signo = 0;
    if (sigsetjmp(fault_jump, 1) == 0) {
        fn(arg);
        printf("%s: no signal\n", what);
        return;
    }
    printf("%s: signo %d, code %d, si_addr matches %d\n", what, last_signo,
           last_code, last_addr == want_addr);
}

static void load_from(void *p)
{
    (void)*(volatile int *)p;
}

static void store_to(void *p)
{
    *(volatile int *)p = 1;
}

static void call_at(void *p)
{
    ((void (*)(void))p)();
}

extern char illegal_insn[];

static __attribute__((noinline, noclone)) void run_illegal(void *unused)
{
    /* An all-zero word is defined to be illegal (spec chapter 1.5). */
    __asm__ volatile(".option push\n\t"
                     ".option norvc\n\t"
                     ".globl illegal_insn\n"
                     "illegal_insn: .4byte 0\n\t"
                     ".option pop");
    (void)unused;
}

extern char misaligned_amo[], misaligned_lr[];

/* Not inlined: the labels inside must exist once. */
static __attribute__((noinline, noclone)) void amo_at(void *p)
{
    uint32_t old;

    __asm__ volatile(".globl misaligned_amo\n"
                     "misaligned_amo: amoadd.w %0, %2, (%1)"
                     : "=r"(old) : "r"(p), "r"(1) : "memory");
}

static __attribute__((noinline, noclone)) void lr_at(void *p)
{
    uint64_t v;

    __asm__ volatile(".globl misaligned_lr\n"
                     "misaligned_lr: lr.d %0, (%1)"
                     : "=r"(v) : "r"(p) : "memory");
}

static void test_faults(void)
{
    static uint64_t aligned[4];
    char *page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    char *unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
                          -1, 0);
    sigset_t mask;

    munmap(unmapped, 4096);
    set_handler(SIGSEGV, on_fault, 0);
    set_handler(SIGILL, on_fault, 0);
    set_handler(SIGBUS, on_fault, 0);
    printf("SEGV_MAPERR %d, SEGV_ACCERR %d, ILL_ILLOPC %d, BUS_ADRALN %d\n",
           SEGV_MAPERR, SEGV_ACCERR, ILL_ILLOPC, BUS_ADRALN);
    expect_fault("load from 0x10", load_from, (void *)0x10, (void *)0x10);
    expect_fault("load from unmapped", load_from, unmapped + 8, unmapped + 8);
    expect_fault("store to read-only", store_to, page + 12, page + 12);
    expect_fault("call unmapped", call_at, unmapped, unmapped);
    expect_fault("illegal instruction", run_illegal, NULL, illegal_insn);
    /*
     * Linux does not emulate misaligned atomics: they raise SIGBUS, and
     * for misaligned accesses it reports the pc in si_addr, not the data
     * address (arch/riscv/kernel/traps.c).
     */
    expect_fault("misaligned amoadd.w", amo_at, (char *)aligned + 2,
                 misaligned_amo);
    expect_fault("misaligned lr.d", lr_at, (char *)aligned + 4,
                 misaligned_lr);
    /* sigsetjmp(.., 1) brought back the mask from before the fault. */
    sigprocmask(SIG_BLOCK, NULL, &mask);
    printf("SIGSEGV blocked after siglongjmp %d\n", sigismember(&mask, SIGSEGV));
    munmap(page, 4096);
}

static char *alt_stack;
static volatile int on_alt_stack, alt_flag_seen;

static void check_stack(int sig, siginfo_t *info, void *uc)
{
    char local;
    stack_t now;

    on_alt_stack = &local > alt_stack && &local < alt_stack + SIGSTKSZ;
    sigaltstack(NULL, &now);
    alt_flag_seen = (now.ss_flags & SS_ONSTACK) != 0;
    (void)sig;
    (void)info;
    (void)uc;
}

static void test_alt_stack(void)
{
    stack_t ss = { .ss_size = SIGSTKSZ }, old;

    alt_stack = malloc(SIGSTKSZ);
    ss.ss_sp = alt_stack;
    printf("sigaltstack = %d\n", sigaltstack(&ss, &old));
    printf("old stack disabled %d\n", (old.ss_flags & SS_DISABLE) != 0);
    set_handler(SIGUSR1, check_stack, SA_ONSTACK);
    raise(SIGUSR1);
    printf("SA_ONSTACK handler: on alt stack %d, SS_ONSTACK %d\n",
           on_alt_stack, alt_flag_seen);
    set_handler(SIGUSR1, check_stack, 0);
    raise(SIGUSR1);
    printf("plain handler: on alt stack %d, SS_ONSTACK %d\n",
           on_alt_stack, alt_flag_seen);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    free(alt_stack);
}

static void test_blocking(void)
{
    sigset_t block, pending, old;
    siginfo_t info;
    struct timespec zero = { 0, 0 };

    set_handler(SIGUSR1, record, 0);
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old);
    deliveries = 0;
    raise(SIGUSR1);
    raise(SIGUSR1);
    sigpending(&pending);
    printf("blocked: deliveries %d, pending %d\n", deliveries,
           sigismember(&pending, SIGUSR1));
    sigprocmask(SIG_SETMASK, &old, NULL);
    /* Two standard signals sent while blocked are delivered once. */
    printf("unblocked: deliveries %d\n", deliveries);

    sigprocmask(SIG_BLOCK, &block, NULL);
    kill(getpid(), SIGUSR1);
    printf("sigwaitinfo = %d, code %d\n", sigwaitinfo(&block, &info),
           info.si_code);
    errno = 0;
    printf("sigtimedwait with nothing pending = %d (%s)\n",
           sigtimedwait(&block, &info, &zero), strerror(errno));
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("deliveries %d\n", deliveries);
}

static char events[64];
static volatile int nevents;

static void note(char c)
{
    if (nevents < (int)sizeof(events) - 1) {
        events[nevents++] = c;
    }
}

static void nested_outer(int sig, siginfo_t *info, void *uc)
{
    static int entered;

    note('A');
    if (!entered++) {
        raise(SIGUSR2);     /* runs now, inside this handler */
        raise(SIGUSR1);     /* blocked while this handler runs */
    }
    note('a');
    (void)sig;
    (void)info;
    (void)uc;
}

static void nested_inner(int sig, siginfo_t *info, void *uc)
{
    note('B');
    note('b');
    (void)sig;
    (void)info;
    (void)uc;
}

static void nodefer(int sig, siginfo_t *info, void *uc)
{
    static int depth;

    note('N');
    if (depth++ < 2) {
        raise(SIGUSR1);     /* SA_NODEFER: nests right away */
    }
    note('n');
    (void)sig;
    (void)info;
    (void)uc;
}

static void test_nesting(void)
{
    struct sigaction query;

    set_handler(SIGUSR1, nested_outer, 0);
    set_handler(SIGUSR2, nested_inner, 0);
    nevents = 0;
    raise(SIGUSR1);
    events[nevents] = '\0';
    printf("nested and deferred: %s\n", events);

    set_handler(SIGUSR1, nodefer, SA_NODEFER);
    nevents = 0;
    raise(SIGUSR1);
    events[nevents] = '\0';
    printf("SA_NODEFER: %s\n", events);

    set_handler(SIGUSR1, record, SA_RESETHAND);
    raise(SIGUSR1);
    sigaction(SIGUSR1, NULL, &query);
    printf("SA_RESETHAND: handler reset to SIG_DFL %d\n",
           query.sa_handler == SIG_DFL);
}

static int rt_values[8];
static volatile int rt_count;

static void on_rt(int sig, siginfo_t *info, void *uc)
{
    if (rt_count < 8) {
        rt_values[rt_count++] = info->si_value.sival_int;
    }
    (void)sig;
    (void)uc;
}

static void test_realtime_queue(void)
{
    sigset_t block, old;

    set_handler(SIGRTMIN, on_rt, 0);
    sigemptyset(&block);
    sigaddset(&block, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &block, &old);
    for (int i = 1; i <= 3; i++) {
        sigqueue(getpid(), SIGRTMIN, (union sigval){ .sival_int = i * 11 });
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("SIGRTMIN queued: %d deliveries:", rt_count);
    for (int i = 0; i < rt_count; i++) {
        printf(" %d", rt_values[i]);
    }
    printf("\n");
}

static int alarm_pipe[2];

static void on_alarm(int sig, siginfo_t *info, void *uc)
{
    deliveries++;
    /* Something to read once the read restarts. */
    if (write(alarm_pipe[1], "r", 1) != 1) {
        deliveries = -100;
    }
    (void)sig;
    (void)info;
    (void)uc;
}

/* A read on an empty pipe, interrupted by SIGALRM 200 ms later. */
static void interrupted_read(int flags)
{
    struct itimerval timer = { .it_value = { 0, 200 * 1000 } };
    char c = '-';
    ssize_t n;

    pipe(alarm_pipe);
    set_handler(SIGALRM, on_alarm, flags);
    deliveries = 0;
    setitimer(ITIMER_REAL, &timer, NULL);
    errno = 0;
    n = read(alarm_pipe[0], &c, 1);
    printf("read with%s SA_RESTART = %zd (%s), got '%c', deliveries %d\n",
           flags ? "" : "out", n, n < 0 ? strerror(errno) : "ok", c,
           deliveries);
    close(alarm_pipe[0]);
    close(alarm_pipe[1]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_siginfo();
    test_faults();
    test_alt_stack();
    test_blocking();
    test_nesting();
    test_realtime_queue();
    interrupted_read(0);
    interrupted_read(SA_RESTART);
    return 0;
}
