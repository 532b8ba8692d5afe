/*
 * Signals: the host handlers, the guest's sigactions, masks and alternate
 * stacks, delivery (frames through the architecture's setup_rt_frame), the
 * default actions, and the signal syscalls. signal-proc.h explains how the
 * host mirrors the guest's masks and actions.
 *
 * A signal for the guest is recorded in the receiving thread's TaskState
 * (pending bit + siginfo) by the host handler, which then kicks the CPU
 * (cpu_exit) and, if the thread was about to block in safe_syscall, makes
 * that return SYSCALL_RESTART. The cpu loop calls signal_process_pending
 * after every syscall and every return from cpu_exec.
 *
 * Host SIGSEGV/SIGBUS raised by the hardware are either a write to a page
 * write-protected for self-modifying code (unprotect, invalidate, retry),
 * a guest fault (guest code running and the address in the guest space:
 * the CPU leaves generated code with the arch's page-fault exception, and
 * the cpu loop queues the guest's SIGSEGV), or a bug in proteus (reported,
 * then the default action).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "accel/tcg/backend.h"
#include "linux-user/gdbstub-user.h"
#include "linux-user/safe-syscall.h"
#include "linux-user/signal-proc.h"
#include "plugins/core.h"
#include "proteus/log.h"
#include "proteus/translator.h"

/* asm-generic values (the guest's; x86-64 has the same). */
#define GUEST_SIG_DFL      0
#define GUEST_SIG_IGN      1
#define GUEST_SA_NOCLDSTOP 0x00000001u
#define GUEST_SA_NOCLDWAIT 0x00000002u
#define GUEST_SA_SIGINFO   0x00000004u
#define GUEST_SA_ONSTACK   0x08000000u
#define GUEST_SA_RESTART   0x10000000u
#define GUEST_SA_NODEFER   0x40000000u
#define GUEST_SA_RESETHAND 0x80000000u
#define GUEST_SS_ONSTACK    1
#define GUEST_SS_DISABLE    2
#define GUEST_SS_AUTODISARM (1u << 31)
#define GUEST_MINSIGSTKSZ   2048

/* The host stack signal handlers run on (a guest stack overflow or a
 * corrupt guest sp must not matter). */
#define HOST_ALTSTACK_SIZE (64 * 1024)

/* struct sigaction of asm-generic without SA_RESTORER (riscv64). */
typedef struct GuestSigaction {
    uint64_t handler;
    uint64_t flags;
    GuestSigset mask;
} GuestSigaction;

/* struct sigaltstack (stack_t). */
typedef struct GuestStack {
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t pad;
    uint64_t ss_size;
} GuestStack;

static GuestSigaction sigacts[GUEST_NSIG];      /* [sig - 1], under sigact_lock */
static GMutex sigact_lock;
static int host_rtmin, host_rtmax;

__thread volatile sig_atomic_t signal_guest_running;
static __thread void *host_altstack;
/* A guest fault of this thread (signal_queue_fault), delivered first. */
static __thread int forced_sig;
static __thread siginfo_t forced_info;
/* The guest fault being returned came from a host SIGBUS (a file mapping
 * past the end of its file): the guest gets SIGBUS too. */
static __thread bool fault_was_sigbus;

static GuestSigset sigbit(int sig)
{
    return 1ull << (sig - 1);
}

#define UNBLOCKABLE (sigbit(SIGKILL) | sigbit(SIGSTOP))

/* ---- numbers and sets ---- */

int signal_guest_to_host(int sig)
{
    if (sig >= 1 && sig < 32) {
        return sig;
    }
    if (sig >= 32 && sig <= GUEST_NSIG && host_rtmin + (sig - 32) <= host_rtmax) {
        return host_rtmin + (sig - 32);
    }
    return 0;
}

int signal_host_to_guest(int host_sig)
{
    if (host_sig >= 1 && host_sig < 32) {
        return host_sig;
    }
    if (host_sig >= host_rtmin && host_sig <= host_rtmax) {
        return 32 + (host_sig - host_rtmin);
    }
    return 0;
}

static void guest_to_host_set(GuestSigset set, sigset_t *host)
{
    sigemptyset(host);
    for (int sig = 1; sig <= GUEST_NSIG; sig++) {
        int h = signal_guest_to_host(sig);

        if ((set & sigbit(sig)) && h) {
            sigaddset(host, h);
        }
    }
}

static GuestSigset host_to_guest_set(const sigset_t *host)
{
    GuestSigset set = 0;

    for (int sig = 1; sig <= GUEST_NSIG; sig++) {
        int h = signal_guest_to_host(sig);

        if (h && sigismember(host, h) == 1) {
            set |= sigbit(sig);
        }
    }
    return set;
}

/* The host mask mirroring a guest one: faults must always get through. */
static void host_mask_for(GuestSigset mask, sigset_t *host)
{
    guest_to_host_set(mask, host);
    sigdelset(host, SIGSEGV);
    sigdelset(host, SIGBUS);
}

void signal_set_mask(TaskState *ts, GuestSigset mask)
{
    sigset_t host;

    ts->sigmask = mask & ~UNBLOCKABLE;
    host_mask_for(ts->sigmask, &host);
    pthread_sigmask(SIG_SETMASK, &host, NULL);
}

/* ---- recording (async-signal-safe) ---- */

/* A host siginfo as the guest's: same layout on 64-bit Linux; the signal
 * numbers inside change. */
static void info_to_guest(siginfo_t *info, int sig)
{
    info->si_signo = sig;
    if (sig == SIGCHLD && info->si_code != CLD_EXITED && info->si_code > 0) {
        info->si_status = signal_host_to_guest(info->si_status);
    }
}

static void signal_record(TaskState *ts, int sig, const siginfo_t *info)
{
    ts->pending_info[sig - 1] = *info;
    info_to_guest(&ts->pending_info[sig - 1], sig);
    __atomic_or_fetch(&ts->pending, sigbit(sig), __ATOMIC_SEQ_CST);
    __atomic_store_n(&ts->signal_pending, 1, __ATOMIC_SEQ_CST);
    cpu_exit(ts->cpu);
}

static void write_stderr(const char *text)
{
    ssize_t r = write(STDERR_FILENO, text, strlen(text));

    (void)r;
}

/*
 * Whether a host fault at retaddr - 1 comes from a guest instruction. For
 * the JIT, only an address inside generated code is asked about (find_insn
 * takes the JIT's lock, which a fault in the JIT's own C code may hold);
 * the interpreter knows its running instruction without a lock.
 */
static bool guest_code_at(uintptr_t retaddr)
{
    const IRBackend *backend = tcg_backend();
    const TranslationBlock *tb;
    uint64_t words[3];

    if (backend->in_code && !backend->in_code(retaddr - 1)) {
        return false;
    }
    return backend->find_insn(retaddr, &tb, words);
}

/* A hardware SIGSEGV/SIGBUS. Returns to retry the access (or to die by
 * the default action); leaves for cpu_exec when the guest faulted. */
static void host_fault(int host_sig, siginfo_t *info, ucontext_t *uc)
{
    uintptr_t host_addr = (uintptr_t)info->si_addr;
    bool is_write = uc->uc_mcontext.gregs[REG_ERR] & 2;
    TaskState *ts = task_self();

    /* guest address + ir_guest_base wraps around for "negative" addresses,
     * so a guest access may fault outside the space too */
    uint64_t addr = host_addr - ir_guest_base;
    uintptr_t retaddr = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP] + 1;
    bool in_space = addr < guest_mem_size();

    if (in_space && host_sig == SIGSEGV && is_write &&
        (guest_page_flags(addr) & GUEST_PAGE_WRITE) && guest_mem_code_written(addr)) {
        /* self-modifying code: the page is writable again */
        return;
    }
    if (signal_guest_running && ts && guest_code_at(retaddr)) {
        linux_process.arch->set_mem_fault(ts->cpu, addr, is_write);
        fault_was_sigbus = host_sig == SIGBUS;
        /* leaving the handler by longjmp: give the thread its mask back */
        pthread_sigmask(SIG_SETMASK, &uc->uc_sigmask, NULL);
        ir_raise(retaddr);
    }
    write_stderr(host_sig == SIGSEGV ? "proteus: internal error: host SIGSEGV\n"
                                     : "proteus: internal error: host SIGBUS\n");
    signal(host_sig, SIG_DFL);
}

static void host_signal_handler(int host_sig, siginfo_t *info, void *uc)
{
    int saved_errno = errno;
    int sig = signal_host_to_guest(host_sig);
    TaskState *ts = task_self();

    if ((host_sig == SIGSEGV || host_sig == SIGBUS) && info->si_code > 0) {
        host_fault(host_sig, info, uc);
    } else if (sig && ts) {
        signal_record(ts, sig, info);
        /* One instance at a time: later ones (queued real-time signals)
         * wait in the host kernel until delivery resets the host mask.
         * Not the fault signals, which must never be blocked on the host. */
        if (host_sig != SIGSEGV && host_sig != SIGBUS) {
            sigaddset(&((ucontext_t *)uc)->uc_sigmask, host_sig);
        }
        safe_syscall_check_interrupted(uc);
    }
    errno = saved_errno;
}

/* ---- actions ---- */

/* Signals whose default action is to do nothing. */
static bool default_ignores(int sig)
{
    return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

/*
 * Whether the signal must come to proteus's handler: the guest handles it,
 * it may be a guest fault, or a debugger wants to see it before the
 * default action (which proteus then carries out, as it does for faults).
 */
static bool host_handler_needed(int sig, const GuestSigaction *act)
{
    if (sig == SIGSEGV || sig == SIGBUS || act->handler > GUEST_SIG_IGN) {
        return true;
    }
    return act->handler == GUEST_SIG_DFL && !default_ignores(sig) && gdb_user_attached();
}

/* The host action that mirrors the guest's (sigact_lock held). */
static void host_action_update(int sig)
{
    const GuestSigaction *act = &sigacts[sig - 1];
    int host_sig = signal_guest_to_host(sig);
    struct sigaction sa;

    if (!host_sig || sig == SIGKILL || sig == SIGSTOP) {
        return;
    }
    memset(&sa, 0, sizeof(sa));
    if (host_handler_needed(sig, act)) {
        sa.sa_sigaction = host_signal_handler;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigfillset(&sa.sa_mask);
    } else {
        sa.sa_handler = act->handler == GUEST_SIG_IGN ? SIG_IGN : SIG_DFL;
    }
    if (sig == SIGCHLD) {
        /* the host kernel does what these ask for the guest's children */
        sa.sa_flags |= act->flags & (GUEST_SA_NOCLDSTOP | GUEST_SA_NOCLDWAIT);
    }
    sigaction(host_sig, &sa, NULL);
}

static bool default_stops(int sig)
{
    return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* Raises the host signal with its default action; returns if that does
 * not end the process (a stop, then SIGCONT). */
static void raise_host_default(int host_sig)
{
    struct sigaction dfl;
    sigset_t set;

    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigaction(host_sig, &dfl, NULL);
    sigemptyset(&set);
    sigaddset(&set, host_sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    syscall(SYS_tgkill, getpid(), gettid(), host_sig);
}

void signal_die(int sig)
{
    int host_sig = signal_guest_to_host(sig);
    /* proteus's own core would not be the guest's */
    struct rlimit no_core = { 0, 0 };

    gdb_user_killed(sig);
    /* plugins report as they would at a normal exit (exit_group) */
    plugin_atexit();
    fflush(stdout);
    setrlimit(RLIMIT_CORE, &no_core);
    if (host_sig) {
        raise_host_default(host_sig);
    }
    _exit(128 + sig);
}

static void default_action(int sig)
{
    int host_sig = signal_guest_to_host(sig);

    if (default_ignores(sig)) {
        return;
    }
    if (default_stops(sig) && host_sig) {
        raise_host_default(host_sig);
        g_mutex_lock(&sigact_lock);
        host_action_update(sig);
        g_mutex_unlock(&sigact_lock);
        return;
    }
    signal_die(sig);
}

/* ---- alternate stacks ---- */

static bool on_altstack(const TaskState *ts, uint64_t sp)
{
    if (ts->altstack_flags & GUEST_SS_AUTODISARM) {
        return false;
    }
    return sp > ts->altstack_sp && sp - ts->altstack_sp <= ts->altstack_size;
}

static int altstack_flags(const TaskState *ts, uint64_t sp)
{
    if (!ts->altstack_size) {
        return GUEST_SS_DISABLE;
    }
    return on_altstack(ts, sp) ? GUEST_SS_ONSTACK : 0;
}

uint64_t signal_frame_addr(TaskState *ts, uint64_t sp, uint64_t flags, uint64_t size)
{
    if (on_altstack(ts, sp) && !on_altstack(ts, sp - size)) {
        /* the alternate stack overflowed */
        return 0;
    }
    if ((flags & GUEST_SA_ONSTACK) && altstack_flags(ts, sp) == 0) {
        sp = ts->altstack_sp + ts->altstack_size;
    }
    if (sp < size + 16) {
        return 0;
    }
    return (sp - size) & ~(uint64_t)15;
}

void signal_save_altstack(TaskState *ts, uint64_t sp, uint64_t *ss_sp, int32_t *ss_flags,
                          uint64_t *ss_size)
{
    *ss_sp = ts->altstack_sp;
    *ss_flags = ts->altstack_size ? ts->altstack_flags : GUEST_SS_DISABLE;
    *ss_size = ts->altstack_size;
    if (ts->altstack_flags & GUEST_SS_AUTODISARM) {
        ts->altstack_sp = ts->altstack_size = 0;
        ts->altstack_flags = 0;
    }
}

/* sigaltstack's checks and update; 0 or -errno. */
static int altstack_set(TaskState *ts, uint64_t sp, const GuestStack *ss)
{
    unsigned mode = ss->ss_flags & ~GUEST_SS_AUTODISARM;

    if (on_altstack(ts, sp)) {
        return -EPERM;
    }
    if (mode != 0 && mode != GUEST_SS_ONSTACK && mode != GUEST_SS_DISABLE) {
        return -EINVAL;
    }
    if (mode == GUEST_SS_DISABLE) {
        ts->altstack_sp = ts->altstack_size = 0;
        ts->altstack_flags = 0;
        return 0;
    }
    if (ss->ss_size < GUEST_MINSIGSTKSZ) {
        return -ENOMEM;
    }
    ts->altstack_sp = ss->ss_sp;
    ts->altstack_size = ss->ss_size;
    ts->altstack_flags = ss->ss_flags & GUEST_SS_AUTODISARM;
    return 0;
}

void signal_restore_altstack(TaskState *ts, uint64_t ss_sp, int32_t ss_flags,
                             uint64_t ss_size)
{
    GuestStack ss = { .ss_sp = ss_sp, .ss_flags = ss_flags, .ss_size = ss_size };

    /* as on Linux, a failure (e.g. still on the stack) is not an error */
    altstack_set(ts, linux_process.arch->get_sp(ts->cpu), &ss);
}

/* ---- delivery ---- */

void signal_queue_fault(TaskState *ts, int sig, int si_code, uint64_t addr)
{
    if (fault_was_sigbus && sig == SIGSEGV) {
        sig = SIGBUS;
        si_code = BUS_ADRERR;
    }
    fault_was_sigbus = false;
    memset(&forced_info, 0, sizeof(forced_info));
    forced_info.si_signo = sig;
    forced_info.si_code = si_code;
    forced_info.si_addr = (void *)(uintptr_t)addr;
    forced_sig = sig;
}

/* Runs the guest handler: a frame, the handler's mask. */
static void deliver_to_handler(TaskState *ts, int sig, const siginfo_t *info,
                               const GuestSigaction *act)
{
    const LinuxArch *arch = linux_process.arch;
    GuestSigset old_mask = ts->in_sigsuspend ? ts->saved_mask : ts->sigmask;
    GuestSigset mask;

    if (ts->syscall_restarting) {
        /* the interrupted syscall: again after the handler, or -EINTR */
        ts->syscall_restarting = false;
        if (!(act->flags & GUEST_SA_RESTART)) {
            arch->skip_syscall(ts->cpu);
            arch->set_syscall_result(ts->cpu, -EINTR);
        }
    }
    if (!arch->setup_rt_frame(ts, sig, info, act->handler, act->flags, 0, old_mask)) {
        log_mask(LOG_GUEST_ERROR, "signal %d: cannot write the signal frame\n", sig);
        signal_die(SIGSEGV);
    }
    ts->in_sigsuspend = false;
    mask = ts->sigmask | act->mask;
    if (!(act->flags & GUEST_SA_NODEFER)) {
        mask |= sigbit(sig);
    }
    signal_set_mask(ts, mask);
}

static void deliver(TaskState *ts, int sig, const siginfo_t *info, bool forced)
{
    GuestSigaction act;

    /* a debugger sees the signal first, and may drop or change it */
    sig = gdb_user_signal(ts, sig);
    if (!sig) {
        return;
    }
    g_mutex_lock(&sigact_lock);
    act = sigacts[sig - 1];
    if (forced && (act.handler == GUEST_SIG_IGN || (ts->sigmask & sigbit(sig)))) {
        /* a fault the guest cannot take: as Linux, the default action */
        act.handler = GUEST_SIG_DFL;
    }
    if (act.handler > GUEST_SIG_IGN && (act.flags & GUEST_SA_RESETHAND)) {
        sigacts[sig - 1].handler = GUEST_SIG_DFL;
        sigacts[sig - 1].flags &= ~GUEST_SA_SIGINFO;
        host_action_update(sig);
    }
    g_mutex_unlock(&sigact_lock);

    log_mask(LOG_INT, "thread %d: signal %d, handler 0x%" G_GINT64_MODIFIER "x\n",
             ts->tid, sig, act.handler);
    if (act.handler == GUEST_SIG_IGN) {
        return;
    }
    if (act.handler == GUEST_SIG_DFL) {
        default_action(sig);
        return;
    }
    deliver_to_handler(ts, sig, info, &act);
}

void signal_process_pending(TaskState *ts)
{
    bool took = false;

    __atomic_store_n(&ts->signal_pending, 0, __ATOMIC_SEQ_CST);
    if (forced_sig) {
        int sig = forced_sig;

        forced_sig = 0;
        deliver(ts, sig, &forced_info, true);
    }
    for (;;) {
        GuestSigset ready = __atomic_load_n(&ts->pending, __ATOMIC_SEQ_CST) & ~ts->sigmask;
        siginfo_t info;
        int sig;

        if (!ready) {
            break;
        }
        sig = __builtin_ctzll(ready) + 1;
        info = ts->pending_info[sig - 1];
        __atomic_and_fetch(&ts->pending, ~sigbit(sig), __ATOMIC_SEQ_CST);
        deliver(ts, sig, &info, false);
        took = true;
    }
    if (ts->in_sigsuspend) {
        /* nothing was delivered after all: the wait's mask ends here */
        ts->in_sigsuspend = false;
        signal_set_mask(ts, ts->saved_mask);
    } else if (took) {
        /* the host handler blocked what it recorded: the next instance may come */
        signal_set_mask(ts, ts->sigmask);
    }
    ts->syscall_restarting = false;
}

/* ---- set-up ---- */

void signal_thread_init(TaskState *ts)
{
    stack_t ss = { .ss_size = HOST_ALTSTACK_SIZE };

    host_altstack = g_malloc(HOST_ALTSTACK_SIZE);
    ss.ss_sp = host_altstack;
    sigaltstack(&ss, NULL);
    signal_set_mask(ts, ts->sigmask);
}

void signal_thread_exit(TaskState *ts)
{
    stack_t ss = { .ss_flags = SS_DISABLE };
    sigset_t all;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, NULL);
    sigaltstack(&ss, NULL);
    g_free(host_altstack);
    host_altstack = NULL;
}

GuestSigset signal_host_mask(void)
{
    sigset_t cur;

    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    return host_to_guest_set(&cur);
}

void signal_init(void)
{
    host_rtmin = SIGRTMIN;
    host_rtmax = SIGRTMAX;
    tb_page_code_added_hook = guest_mem_code_added;

    g_mutex_lock(&sigact_lock);
    for (int sig = 1; sig <= GUEST_NSIG; sig++) {
        int host_sig = signal_guest_to_host(sig);
        struct sigaction cur;

        /* what the guest inherits: ignored stays ignored across execve */
        if (host_sig && sigaction(host_sig, NULL, &cur) == 0 && cur.sa_handler == SIG_IGN) {
            sigacts[sig - 1].handler = GUEST_SIG_IGN;
        }
    }
    host_action_update(SIGSEGV);
    host_action_update(SIGBUS);
    for (int sig = 1; sig <= GUEST_NSIG && gdb_user_attached(); sig++) {
        host_action_update(sig);
    }
    g_mutex_unlock(&sigact_lock);
}

/* ---- syscalls ---- */

int64_t sys_rt_sigaction(TaskState *ts, const uint64_t *a)
{
    int sig = (int)a[0];
    GuestSigaction act, old;

    if (a[3] != sizeof(GuestSigset) || sig < 1 || sig > GUEST_NSIG) {
        return -EINVAL;
    }
    if (a[1]) {
        if (sig == SIGKILL || sig == SIGSTOP) {
            return -EINVAL;
        }
        if (!copy_from_guest(&act, a[1], sizeof(act))) {
            return -EFAULT;
        }
        act.mask &= ~UNBLOCKABLE;
    }
    g_mutex_lock(&sigact_lock);
    old = sigacts[sig - 1];
    if (a[1]) {
        sigacts[sig - 1] = act;
        host_action_update(sig);
        if (act.handler == GUEST_SIG_IGN ||
            (act.handler == GUEST_SIG_DFL && default_ignores(sig))) {
            /* as Linux: a pending instance is discarded */
            __atomic_and_fetch(&ts->pending, ~sigbit(sig), __ATOMIC_SEQ_CST);
        }
    }
    g_mutex_unlock(&sigact_lock);
    if (a[2] && !copy_to_guest(a[2], &old, sizeof(old))) {
        return -EFAULT;
    }
    return 0;
}

int64_t sys_rt_sigprocmask(TaskState *ts, const uint64_t *a)
{
    GuestSigset old = ts->sigmask, set = old;

    if (a[3] != sizeof(GuestSigset)) {
        return -EINVAL;
    }
    if (a[1]) {
        if (!copy_from_guest(&set, a[1], sizeof(set))) {
            return -EFAULT;
        }
        switch (a[0]) {
        case SIG_BLOCK:
            set |= old;
            break;
        case SIG_UNBLOCK:
            set = old & ~set;
            break;
        case SIG_SETMASK:
            break;
        default:
            return -EINVAL;
        }
    }
    if (a[2] && !copy_to_guest(a[2], &old, sizeof(old))) {
        return -EFAULT;
    }
    if (a[1]) {
        signal_set_mask(ts, set);
    }
    return 0;
}

int64_t sys_rt_sigpending(TaskState *ts, const uint64_t *a)
{
    sigset_t host;
    GuestSigset set;

    if (a[1] != sizeof(GuestSigset)) {
        return -EINVAL;
    }
    sigpending(&host);
    set = (host_to_guest_set(&host) | ts->pending) & ts->sigmask;
    return copy_to_guest(a[0], &set, sizeof(set)) ? 0 : -EFAULT;
}

int64_t sys_rt_sigsuspend(TaskState *ts, const uint64_t *a)
{
    GuestSigset mask;
    sigset_t host;

    if (a[1] != sizeof(GuestSigset)) {
        return -EINVAL;
    }
    if (!copy_from_guest(&mask, a[0], sizeof(mask))) {
        return -EFAULT;
    }
    ts->saved_mask = ts->sigmask;
    ts->sigmask = mask & ~UNBLOCKABLE;
    host_mask_for(ts->sigmask, &host);
    for (;;) {
        __atomic_store_n(&ts->signal_pending, 0, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&ts->pending, __ATOMIC_SEQ_CST) & ~ts->sigmask) {
            break;
        }
        /* the host mask changes with the wait, atomically */
        safe_syscall2(SYS_rt_sigsuspend, &host, _NSIG / 8);
    }
    /* the handler runs with this mask; the old one returns after it */
    ts->in_sigsuspend = true;
    return -EINTR;
}

/* The lowest recorded signal of set, taken off the pending set; 0 if none. */
static int take_pending(TaskState *ts, GuestSigset set, siginfo_t *info)
{
    GuestSigset ready = __atomic_load_n(&ts->pending, __ATOMIC_SEQ_CST) & set;
    int sig;

    if (!ready) {
        return 0;
    }
    sig = __builtin_ctzll(ready) + 1;
    *info = ts->pending_info[sig - 1];
    __atomic_and_fetch(&ts->pending, ~sigbit(sig), __ATOMIC_SEQ_CST);
    return sig;
}

int64_t sys_rt_sigtimedwait(TaskState *ts, const uint64_t *a)
{
    GuestSigset set;
    sigset_t host;
    siginfo_t info;
    int64_t r;
    int sig;

    if (a[3] != sizeof(GuestSigset)) {
        return -EINVAL;
    }
    if (!copy_from_guest(&set, a[0], sizeof(set)) ||
        (a[2] && !guest_readable(a[2], 16)) ||
        (a[1] && !guest_writable(a[1], sizeof(siginfo_t)))) {
        return -EFAULT;
    }
    set &= ~UNBLOCKABLE;
    guest_to_host_set(set, &host);
    for (;;) {
        sig = take_pending(ts, set, &info);
        if (sig) {
            break;
        }
        if (__atomic_load_n(&ts->pending, __ATOMIC_SEQ_CST) & ~ts->sigmask) {
            /* another signal will run its handler */
            return -EINTR;
        }
        __atomic_store_n(&ts->signal_pending, 0, __ATOMIC_SEQ_CST);
        r = safe_syscall4(SYS_rt_sigtimedwait, &host, &info, a[2] ? g2h(a[2]) : NULL,
                          _NSIG / 8);
        if (r > 0) {
            sig = signal_host_to_guest((int)r);
            info_to_guest(&info, sig);
            break;
        }
        if (r != SYSCALL_RESTART) {
            return r;
        }
    }
    if (a[1]) {
        memcpy(g2h(a[1]), &info, sizeof(info));
    }
    return sig;
}

int64_t sys_rt_sigreturn(TaskState *ts, const uint64_t *a)
{
    GuestSigset mask;

    if (!linux_process.arch->restore_rt_frame(ts, &mask)) {
        log_mask(LOG_GUEST_ERROR, "rt_sigreturn: bad signal frame\n");
        signal_queue_fault(ts, SIGSEGV, SI_KERNEL, 0);
        return SYSCALL_NO_RESULT;
    }
    signal_set_mask(ts, mask);
    return SYSCALL_NO_RESULT;
}

int64_t sys_sigaltstack(TaskState *ts, const uint64_t *a)
{
    uint64_t sp = linux_process.arch->get_sp(ts->cpu);
    GuestStack ss, old = {
        .ss_sp = ts->altstack_sp,
        .ss_flags = altstack_flags(ts, sp) | (ts->altstack_flags & GUEST_SS_AUTODISARM),
        .ss_size = ts->altstack_size,
    };

    if (a[0]) {
        int r;

        if (!copy_from_guest(&ss, a[0], sizeof(ss))) {
            return -EFAULT;
        }
        r = altstack_set(ts, sp, &ss);
        if (r < 0) {
            return r;
        }
    }
    if (a[1] && !copy_to_guest(a[1], &old, sizeof(old))) {
        return -EFAULT;
    }
    return 0;
}

/* The host signal for a signal the guest sends (0 is "check only"). */
static int64_t sendable(uint64_t sig, int *host_sig)
{
    if (sig == 0) {
        *host_sig = 0;
        return 0;
    }
    if (sig > GUEST_NSIG) {
        return -EINVAL;
    }
    *host_sig = signal_guest_to_host((int)sig);
    if (!*host_sig) {
        log_mask(LOG_UNIMP, "signal %d has no host signal to carry it\n", (int)sig);
        return -EINVAL;
    }
    return 0;
}

int64_t sys_kill(TaskState *ts, const uint64_t *a)
{
    int host_sig;
    int64_t r = sendable(a[1], &host_sig);

    return r < 0 ? r : syscall_ret(kill((pid_t)a[0], host_sig));
}

int64_t sys_tgkill(TaskState *ts, const uint64_t *a)
{
    int host_sig;
    int64_t r = sendable(a[2], &host_sig);

    return r < 0 ? r : syscall_ret(syscall(SYS_tgkill, (pid_t)a[0], (pid_t)a[1], host_sig));
}

int64_t sys_tkill(TaskState *ts, const uint64_t *a)
{
    int host_sig;
    int64_t r = sendable(a[1], &host_sig);

    return r < 0 ? r : syscall_ret(syscall(SYS_tkill, (pid_t)a[0], host_sig));
}

/* The guest's siginfo for rt_(tg)sigqueueinfo, with the host's number. */
static int64_t queue_info(uint64_t addr, uint64_t sig, siginfo_t *info, int *host_sig)
{
    int64_t r = sendable(sig, host_sig);

    if (r < 0) {
        return r;
    }
    if (!copy_from_guest(info, addr, sizeof(*info))) {
        return -EFAULT;
    }
    info->si_signo = *host_sig;
    return 0;
}

int64_t sys_rt_sigqueueinfo(TaskState *ts, const uint64_t *a)
{
    siginfo_t info;
    int host_sig;
    int64_t r = queue_info(a[2], a[1], &info, &host_sig);

    return r < 0 ? r
                 : syscall_ret(syscall(SYS_rt_sigqueueinfo, (pid_t)a[0], host_sig, &info));
}

int64_t sys_rt_tgsigqueueinfo(TaskState *ts, const uint64_t *a)
{
    siginfo_t info;
    int host_sig;
    int64_t r = queue_info(a[3], a[2], &info, &host_sig);

    return r < 0 ? r
                 : syscall_ret(syscall(SYS_rt_tgsigqueueinfo, (pid_t)a[0], (pid_t)a[1],
                                       host_sig, &info));
}
