/*
 * Linux user mode: what the pieces of linux-user/ share.
 *
 *   main.c          options, loading the program, the first thread
 *   cpu-loop.c      runs a guest thread: cpu_exec, syscalls, faults, signals
 *   syscall.c       the syscall table and dispatch; syscall-*.c the families
 *   strace.c        -strace output
 *   signal.c        host signal handlers, guest sigactions, delivery
 *   syscall-proc.c  clone/fork/vfork/execve/wait4/exit, futex
 *   <arch>/         per-architecture pieces (LinuxArch, syscall numbers,
 *                   signal frame)
 *
 * Guest memory is the reserved region of guest-mem.h: guest address A is
 * host address g2h(A). Syscall handlers take guest arguments and return
 * the guest's result: a value, or -errno (Linux errno numbers, which are
 * the same for every architecture proteus runs on x86-64 Linux).
 */
#ifndef LINUX_USER_USER_H
#define LINUX_USER_USER_H

#include <glib.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "linux-user/elfload.h"
#include "linux-user/guest-mem.h"
#include "proteus/cpu.h"

typedef struct TaskState TaskState;

/* Guest signal numbers are Linux's generic ones (1..64); a guest sigset is
 * 64 bits, bit (sig - 1). */
#define GUEST_NSIG 64
typedef uint64_t GuestSigset;

/* ---- the architecture ---- */

/* One syscall number of an architecture and the generic name it has in
 * syscall.c's table ("read", "openat"...). */
typedef struct SyscallNr {
    int nr;
    const char *name;
} SyscallNr;

typedef struct LinuxArch {
    const char *name;                 /* "riscv64": also uname's machine */
    uint16_t elf_machine;
    const char *default_sysroot;      /* used for -L when it exists */
    /* CPUs: model text as -cpu takes it (NULL: the default). */
    CPUState *(*cpu_new)(const char *model, GError **errp);
    /* A new thread's CPU: a copy of parent's registers. */
    CPUState *(*cpu_clone)(CPUState *parent);
    void (*cpu_free)(CPUState *cpu);
    void (*cpu_list)(FILE *out);
    uint64_t (*hwcap)(CPUState *cpu);
    /* Start state of the first thread. */
    void (*init_regs)(CPUState *cpu, uint64_t entry, uint64_t sp);

    /* The syscall ABI. */
    void (*get_syscall)(CPUState *cpu, int *nr, uint64_t args[6]);
    /* Sets the result register; the pc is already past the syscall insn. */
    void (*set_syscall_result)(CPUState *cpu, int64_t ret);
    /* Moves the pc past the syscall instruction / back onto it (restart). */
    void (*skip_syscall)(CPUState *cpu);
    void (*rewind_syscall)(CPUState *cpu);
    int syscall_exception;            /* the exception number of ecall/svc */
    /*
     * A guest exception other than the syscall as a signal: returns the
     * signal number (0: not a signal, e.g. an exception the loop ignores),
     * with si_code and the fault address.
     */
    int (*exception_to_signal)(CPUState *cpu, int excp, int *si_code, uint64_t *addr);
    /* A guest load/store faulted on the host at guest address addr (from
     * signal.c's SIGSEGV handler): records the arch's page-fault exception
     * and fault address, for cpu_exec to return. */
    void (*set_mem_fault)(CPUState *cpu, uint64_t addr, bool is_write);
    uint64_t (*get_sp)(CPUState *cpu);
    void (*set_sp)(CPUState *cpu, uint64_t sp);
    void (*set_tls)(CPUState *cpu, uint64_t tls);
    /* After clone: the child's syscall result (0) and its new stack. */
    void (*clone_child_regs)(CPUState *child, uint64_t newsp);

    /* Signals (signal.c calls these; <arch>/signal.c implements them). */
    /* Builds the rt signal frame and points the CPU at the handler;
     * false if the frame cannot be written (the caller forces SIGSEGV). */
    bool (*setup_rt_frame)(TaskState *ts, int sig, const siginfo_t *info,
                           uint64_t handler, uint64_t flags, uint64_t restorer,
                           GuestSigset old_mask);
    /* rt_sigreturn: restores registers and the mask from the frame at sp. */
    bool (*restore_rt_frame)(TaskState *ts, GuestSigset *mask);

    const SyscallNr *syscall_nrs;     /* terminated by a NULL name */
} LinuxArch;

/* Known architectures: NULL-terminated. */
extern const LinuxArch *const linux_arches[];
const LinuxArch *linux_arch_for_machine(uint16_t elf_machine);

/* ---- the process and its threads ---- */

typedef struct LinuxProcess {
    const LinuxArch *arch;
    const char *cpu_model;            /* -cpu, NULL for the default */
    char *exe_path;                   /* absolute host path of the program (/proc/self/exe) */
    char *sysroot;                    /* -L, or NULL */
    char *self_exe;                   /* this emulator's host path, for execve */
    char **emu_argv_prefix;           /* options to pass on when execve re-runs us */
    ElfProgram prog;
    uint64_t brk_start, brk_cur;      /* guest brk: initial and current break */
    uint64_t stack_low;
    bool strace;
} LinuxProcess;

extern LinuxProcess linux_process;

struct TaskState {
    CPUState *cpu;
    int tid;                          /* host tid = guest tid */
    uint64_t clear_child_tid;         /* set_tid_address / CLONE_CHILD_CLEARTID */
    uint64_t robust_list, robust_list_len;
    /* Signals (owned by signal.c). */
    GuestSigset sigmask;              /* blocked in the guest */
    GuestSigset pending;              /* thread-directed, not yet delivered */
    siginfo_t pending_info[GUEST_NSIG];
    volatile int signal_pending;      /* something to look at: set from host handlers */
    uint64_t altstack_sp, altstack_size;
    int altstack_flags;
    bool in_sigsuspend;               /* restore saved_mask after delivery */
    bool syscall_restarting;          /* pc is back on a syscall that returned SYSCALL_RESTART */
    GuestSigset saved_mask;
    bool vfork_child;
};

/* The calling guest thread's TaskState (thread-local). */
TaskState *task_self(void);
void task_set_self(TaskState *ts);
TaskState *task_new(CPUState *cpu);
void task_free(TaskState *ts);

/* Runs the thread until it exits; does not return (exits the host thread
 * or the process). */
G_NORETURN void cpu_loop(TaskState *ts);

/* ---- syscalls (syscall.c) ---- */

/* Special results of a handler: */
#define SYSCALL_RESTART   (-512)      /* re-execute the syscall insn (ERESTARTSYS) */
#define SYSCALL_NO_RESULT (-4096)     /* registers already set (rt_sigreturn) */

void syscall_init(const LinuxArch *arch);
int64_t do_syscall(TaskState *ts, int nr, const uint64_t args[6]);

/* ---- signals (signal.c) ---- */

/* Installs the host handlers (once, first thread). */
void signal_init(void);
/* Queues a synchronous signal for this thread (a guest fault). */
void signal_queue_fault(TaskState *ts, int sig, int si_code, uint64_t addr);
/* Delivers what is pending and unblocked: sets up frames, or takes the
 * default action (which may end the process). */
void signal_process_pending(TaskState *ts);

/* ---- helpers for syscall handlers ---- */

static inline void *g2h(uint64_t guest_addr)
{
    return guest_to_host(guest_addr);
}

/* Whether the guest may read/write [addr, addr + len) (mapped with the
 * right protection); handlers return -EFAULT otherwise. */
static inline bool guest_readable(uint64_t addr, uint64_t len)
{
    return guest_range_mapped(addr, len, GUEST_PAGE_READ);
}
static inline bool guest_writable(uint64_t addr, uint64_t len)
{
    return guest_range_mapped(addr, len, GUEST_PAGE_WRITE);
}
/* A NUL-terminated guest string, at most max bytes: a host pointer into
 * guest memory, or NULL if unmapped or too long. */
const char *guest_string(uint64_t addr, size_t max);

#endif
