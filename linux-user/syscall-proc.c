/*
 * Threads and processes: clone/clone3 (a guest thread is a host thread
 * running cpu_loop on a copy of the parent's CPU; a guest process is a
 * host fork), execve (a guest program runs under a fresh proteus, anything
 * else directly), exit/exit_group, wait4/waitid, futex, the tid and robust
 * list calls. The table at the end also lists signal.c's syscalls.
 *
 * Guest pids and tids are the host's. Guest memory is shared by all host
 * threads at the same host addresses, so futexes are host futexes on the
 * guest words' host addresses; the structures involved (timespec, rusage,
 * siginfo) have the same layout on riscv64 and x86-64 Linux.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel/tcg/backend.h"
#include "linux-user/gdbstub-user.h"
#include "linux-user/safe-syscall.h"
#include "linux-user/signal-proc.h"
#include "plugins/core.h"
#include "proteus/log.h"
#include "proteus/translator.h"

/* Longest argument or environment string execve accepts (Linux's MAX_ARG_STRLEN). */
#define EXEC_ARG_MAX (32 * 4096)
/* struct robust_list_head: three pointers. */
#define ROBUST_LIST_HEAD_SIZE 24

/* Live guest threads of this process: the last to exit ends it. */
static int live_threads = 1;

/* ---- thread exit ---- */

static void put_guest_u32(uint64_t addr, uint32_t v)
{
    if (addr && guest_writable(addr, sizeof(v))) {
        __atomic_store_n((uint32_t *)g2h(addr), v, __ATOMIC_SEQ_CST);
    }
}

static G_NORETURN void exit_group_now(int code)
{
    gdb_user_exit(code);
    plugin_atexit();
    fflush(stdout);
    _exit(code);
}

/* exit: ends the calling thread (its CLONE_CHILD_CLEARTID word is cleared
 * and woken, as pthread_join expects), or the process with the last one. */
static G_NORETURN void task_exit_thread(TaskState *ts, int code)
{
    if (__atomic_sub_fetch(&live_threads, 1, __ATOMIC_SEQ_CST) == 0) {
        exit_group_now(code);
    }
    if (ts->clear_child_tid && guest_writable(ts->clear_child_tid, 4)) {
        put_guest_u32(ts->clear_child_tid, 0);
        syscall(SYS_futex, g2h(ts->clear_child_tid), FUTEX_WAKE, 1, NULL, NULL, 0);
    }
    signal_thread_exit(ts);
    gdb_user_thread_exit(ts);
    linux_process.arch->cpu_free(ts->cpu);
    task_set_self(NULL);
    task_free(ts);
    pthread_exit(NULL);
}

static int64_t sys_exit(TaskState *ts, const uint64_t *a)
{
    task_exit_thread(ts, (int)a[0]);
}

static int64_t sys_exit_group(TaskState *ts, const uint64_t *a)
{
    exit_group_now((int)a[0]);
}

/* ---- clone ---- */

typedef struct CloneRequest {
    uint64_t flags;
    uint64_t stack;            /* the child's sp, 0: the parent's */
    uint64_t parent_tid;       /* CLONE_PARENT_SETTID */
    uint64_t child_tid;        /* CLONE_CHILD_SETTID / _CLEARTID */
    uint64_t tls;              /* CLONE_SETTLS */
    int exit_signal;
} CloneRequest;

/* What a new thread reports back before it runs the guest. */
typedef struct ThreadStart {
    TaskState *ts;
    const CloneRequest *req;
    GMutex lock;
    GCond started;
    int tid;
} ThreadStart;

/* The child's side of both kinds of clone: tids and the new registers. */
static void clone_child_setup(TaskState *child, const CloneRequest *req)
{
    const LinuxArch *arch = linux_process.arch;

    arch->clone_child_regs(child->cpu, req->stack);
    if (req->flags & CLONE_SETTLS) {
        arch->set_tls(child->cpu, req->tls);
    }
    if (req->flags & CLONE_CHILD_SETTID) {
        put_guest_u32(req->child_tid, child->tid);
    }
    if (req->flags & CLONE_CHILD_CLEARTID) {
        child->clear_child_tid = req->child_tid;
    }
}

static void *thread_main(void *opaque)
{
    ThreadStart *start = opaque;
    TaskState *ts = start->ts;

    ts->tid = gettid();
    task_set_self(ts);
    clone_child_setup(ts, start->req);
    if (start->req->flags & CLONE_PARENT_SETTID) {
        put_guest_u32(start->req->parent_tid, ts->tid);
    }
    g_mutex_lock(&start->lock);
    start->tid = ts->tid;
    g_cond_signal(&start->started);
    g_mutex_unlock(&start->lock);
    /* start is the parent's from here on */
    cpu_loop(ts);
}

static int64_t clone_thread(TaskState *ts, const CloneRequest *req)
{
    const LinuxArch *arch = linux_process.arch;
    ThreadStart start = { .req = req, .tid = 0 };
    sigset_t all, old;
    pthread_attr_t attr;
    pthread_t thread;
    int err;

    start.ts = task_new(arch->cpu_clone(ts->cpu));
    start.ts->sigmask = ts->sigmask;
    g_mutex_init(&start.lock);
    g_cond_init(&start.started);

    /* the new thread starts with every host signal blocked, until
     * cpu_loop gives it the guest's mask */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    __atomic_add_fetch(&live_threads, 1, __ATOMIC_SEQ_CST);
    err = pthread_create(&thread, &attr, thread_main, &start);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    if (err) {
        __atomic_sub_fetch(&live_threads, 1, __ATOMIC_SEQ_CST);
        arch->cpu_free(start.ts->cpu);
        task_free(start.ts);
    } else {
        g_mutex_lock(&start.lock);
        while (!start.tid) {
            g_cond_wait(&start.started, &start.lock);
        }
        g_mutex_unlock(&start.lock);
    }
    g_mutex_clear(&start.lock);
    g_cond_clear(&start.started);
    return err ? -err : start.tid;
}

/*
 * In a fork child: the JIT's code buffer is shared memory, which fork does
 * not copy; code the child generates would land in the parent's buffer.
 * The child gets a buffer of its own (the backend's after_fork) and
 * forgets the TBs that pointed into the old one.
 */
static void fork_child_own_code(CPUState *cpu)
{
    const IRBackend *backend = tcg_backend();
    g_autoptr(GError) err = NULL;

    if (backend->after_fork && !backend->after_fork(&err)) {
        fprintf(stderr, "proteus: fork: %s\n", err->message);
        _exit(127);
    }
    tb_flush(cpu);
}

/*
 * A new process: a host fork, with every other vCPU stopped at a TB
 * boundary and guest mmap held, so the child's copies of the translator
 * and guest-memory state are consistent. CLONE_VFORK: the parent waits
 * until the child execs or exits (a close-on-exec pipe tells); the child
 * has its own copy of memory, not the parent's.
 */
static int64_t clone_process(TaskState *ts, const CloneRequest *req)
{
    int vfork_pipe[2] = { -1, -1 };
    pid_t pid;

    if (req->exit_signal != SIGCHLD && req->exit_signal != 0) {
        log_mask(LOG_UNIMP, "clone: exit signal %d is SIGCHLD here\n", req->exit_signal);
    }
    if ((req->flags & CLONE_VFORK) && pipe2(vfork_pipe, O_CLOEXEC) != 0) {
        return syscall_errno();
    }
    start_exclusive(ts->cpu);
    guest_mem_fork_prepare();
    pid = fork();
    guest_mem_fork_done();
    end_exclusive(ts->cpu);

    if (pid == 0) {
        fork_child_own_code(ts->cpu);
        gdb_user_fork_child(ts);
        live_threads = 1;
        ts->tid = gettid();
        ts->pending = 0;
        clone_child_setup(ts, req);
        if (vfork_pipe[0] >= 0) {
            close(vfork_pipe[0]);
        }
        return 0;
    }
    if (pid < 0) {
        int64_t err = syscall_errno();

        if (vfork_pipe[0] >= 0) {
            close(vfork_pipe[0]);
            close(vfork_pipe[1]);
        }
        return err;
    }
    if (req->flags & CLONE_PARENT_SETTID) {
        put_guest_u32(req->parent_tid, pid);
    }
    if (vfork_pipe[0] >= 0) {
        char c;

        close(vfork_pipe[1]);
        while (read(vfork_pipe[0], &c, 1) < 0 && errno == EINTR) {
            continue;
        }
        close(vfork_pipe[0]);
    }
    return pid;
}

static int64_t do_clone(TaskState *ts, const CloneRequest *req)
{
    if (req->flags & CLONE_VM && !(req->flags & CLONE_VFORK)) {
        if (!(req->flags & CLONE_THREAD)) {
            log_mask(LOG_UNIMP, "clone: CLONE_VM without CLONE_THREAD runs as a thread\n");
        }
        return clone_thread(ts, req);
    }
    if (req->flags & (CLONE_THREAD | CLONE_SIGHAND)) {
        return -EINVAL;
    }
    return clone_process(ts, req);
}

/* riscv64's order: flags, newsp, parent_tid, tls, child_tid. */
static int64_t sys_clone(TaskState *ts, const uint64_t *a)
{
    CloneRequest req = {
        .flags = a[0] & ~(uint64_t)0xff,
        .stack = a[1],
        .parent_tid = a[2],
        .tls = a[3],
        .child_tid = a[4],
        .exit_signal = a[0] & 0xff,
    };

    return do_clone(ts, &req);
}

/* struct clone_args, the fields up to CLONE_ARGS_SIZE_VER0 (64 bytes). */
typedef struct GuestCloneArgs {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
} GuestCloneArgs;

static int64_t sys_clone3(TaskState *ts, const uint64_t *a)
{
    GuestCloneArgs args;
    CloneRequest req;

    if (a[1] < sizeof(args)) {
        return -EINVAL;
    }
    if (!copy_from_guest(&args, a[0], sizeof(args))) {
        return -EFAULT;
    }
    if (a[1] > sizeof(args) && !guest_range_mapped(a[0], a[1], GUEST_PAGE_READ)) {
        return -EFAULT;
    }
    /* the later fields (set_tid, cgroup) must be unused */
    for (uint64_t i = sizeof(args); i < a[1]; i++) {
        if (((const uint8_t *)g2h(a[0]))[i]) {
            return -EINVAL;
        }
    }
    if (args.flags & (CLONE_PIDFD | CLONE_INTO_CGROUP | CLONE_NEWNS | CLONE_NEWUSER |
                      CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)) {
        log_mask(LOG_UNIMP, "clone3: flags 0x%" G_GINT64_MODIFIER "x\n", args.flags);
        return -EINVAL;
    }
    req = (CloneRequest) {
        .flags = args.flags,
        .stack = args.stack ? args.stack + args.stack_size : 0,
        .parent_tid = args.parent_tid,
        .child_tid = args.child_tid,
        .tls = args.tls,
        .exit_signal = (int)args.exit_signal,
    };
    return do_clone(ts, &req);
}

/* ---- execve ---- */

/* A guest NULL-terminated array of string pointers as host strings
 * (pointing into guest memory); NULL if some part is unreadable. */
static GPtrArray *guest_string_array(uint64_t addr)
{
    GPtrArray *v = g_ptr_array_new();

    for (; addr; addr += 8) {
        uint64_t p;
        const char *s;

        if (!copy_from_guest(&p, addr, sizeof(p))) {
            goto bad;
        }
        if (!p) {
            break;
        }
        s = guest_string(p, EXEC_ARG_MAX);
        if (!s) {
            goto bad;
        }
        g_ptr_array_add(v, (char *)s);
    }
    g_ptr_array_add(v, NULL);
    return v;
bad:
    g_ptr_array_free(v, TRUE);
    return NULL;
}

/* Whether path is an ELF program of the guest's architecture. */
static bool is_guest_program(const char *path)
{
    uint16_t machine;
    bool big_endian;

    return elf_peek_machine(path, &machine, &big_endian, NULL) &&
           machine == linux_process.arch->elf_machine;
}

/* proteus [prefix options] -0 ARGV0 PATH ARGV[1...] */
static GPtrArray *emulator_argv(const char *path, GPtrArray *argv)
{
    GPtrArray *v = g_ptr_array_new();

    g_ptr_array_add(v, linux_process.self_exe);
    for (char **o = linux_process.emu_argv_prefix; o && *o; o++) {
        g_ptr_array_add(v, *o);
    }
    g_ptr_array_add(v, "-0");
    g_ptr_array_add(v, argv->len > 1 ? g_ptr_array_index(argv, 0) : (gpointer)path);
    g_ptr_array_add(v, "--");
    g_ptr_array_add(v, (char *)path);
    for (guint i = 1; i + 1 < argv->len; i++) {
        g_ptr_array_add(v, g_ptr_array_index(argv, i));
    }
    g_ptr_array_add(v, NULL);
    return v;
}

/* /proc/self/exe names proteus on the host; the guest means its program. */
static const char *exec_path(const char *path)
{
    g_autofree char *own = g_strdup_printf("/proc/%d/exe", getpid());

    if (!strcmp(path, "/proc/self/exe") || !strcmp(path, own)) {
        return linux_process.exe_path;
    }
    return path;
}

static int64_t sys_execve(TaskState *ts, const uint64_t *a)
{
    const char *path = guest_path(a[0]);
    GPtrArray *argv, *envp;
    int64_t ret;

    if (!path) {
        return -EFAULT;
    }
    path = exec_path(path);
    argv = guest_string_array(a[1]);
    envp = guest_string_array(a[2]);
    if (!argv || !envp) {
        ret = -EFAULT;
    } else if (is_guest_program(path)) {
        if (access(path, X_OK) != 0) {
            ret = syscall_errno();
        } else {
            GPtrArray *emu = emulator_argv(path, argv);

            execve(linux_process.self_exe, (char **)emu->pdata, (char **)envp->pdata);
            ret = syscall_errno();
            g_ptr_array_free(emu, TRUE);
        }
    } else {
        execve(path, (char **)argv->pdata, (char **)envp->pdata);
        ret = syscall_errno();
    }
    if (argv) {
        g_ptr_array_free(argv, TRUE);
    }
    if (envp) {
        g_ptr_array_free(envp, TRUE);
    }
    return ret;
}

/* ---- wait ---- */

/* A host wait status as the guest's (signal numbers above 31 differ). */
static int status_to_guest(int status)
{
    if (WIFSIGNALED(status)) {
        return (status & ~0x7f) | signal_host_to_guest(WTERMSIG(status));
    }
    if (WIFSTOPPED(status)) {
        return (status & ~0xff00) | (signal_host_to_guest(WSTOPSIG(status)) << 8);
    }
    return status;
}

/* struct rusage: the same 144 bytes on both. */
#define RUSAGE_SIZE 144
G_STATIC_ASSERT(sizeof(struct rusage) == RUSAGE_SIZE);

static int64_t sys_wait4(TaskState *ts, const uint64_t *a)
{
    struct rusage ru;
    int status = 0;
    int64_t r;

    if ((a[1] && !guest_writable(a[1], sizeof(int))) ||
        (a[3] && !guest_writable(a[3], RUSAGE_SIZE))) {
        return -EFAULT;
    }
    r = safe_syscall4(SYS_wait4, (pid_t)a[0], &status, (int)a[2], a[3] ? &ru : NULL);
    if (r > 0) {
        status = status_to_guest(status);
        if (a[1]) {
            memcpy(g2h(a[1]), &status, sizeof(status));
        }
        if (a[3]) {
            memcpy(g2h(a[3]), &ru, RUSAGE_SIZE);
        }
    }
    return r;
}

static int64_t sys_waitid(TaskState *ts, const uint64_t *a)
{
    struct rusage ru;
    siginfo_t info;
    int64_t r;

    if ((a[2] && !guest_writable(a[2], sizeof(info))) ||
        (a[4] && !guest_writable(a[4], RUSAGE_SIZE))) {
        return -EFAULT;
    }
    memset(&info, 0, sizeof(info));
    r = safe_syscall5(SYS_waitid, (int)a[0], (pid_t)a[1], &info, (int)a[3],
                      a[4] ? &ru : NULL);
    if (r >= 0) {
        if (a[2]) {
            if (info.si_signo) {
                info.si_signo = SIGCHLD;
                if (info.si_code != CLD_EXITED) {
                    info.si_status = signal_host_to_guest(info.si_status);
                }
            }
            memcpy(g2h(a[2]), &info, sizeof(info));
        }
        if (a[4]) {
            memcpy(g2h(a[4]), &ru, RUSAGE_SIZE);
        }
    }
    return r;
}

/* ---- futex ---- */

static int64_t sys_futex(TaskState *ts, const uint64_t *a)
{
    int op = (int)a[1];
    int cmd = op & FUTEX_CMD_MASK;
    uint64_t uaddr = a[0];
    void *timeout = NULL;     /* or val2, for the requeue and wake_op commands */
    void *uaddr2 = NULL;
    bool writes_word = false;

    switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_WAIT_REQUEUE_PI:
        if (a[3]) {
            if (!guest_readable(a[3], 16)) {
                return -EFAULT;
            }
            timeout = g2h(a[3]);
        }
        writes_word = cmd == FUTEX_LOCK_PI || cmd == FUTEX_LOCK_PI2;
        break;
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
        break;
    case FUTEX_TRYLOCK_PI:
    case FUTEX_UNLOCK_PI:
        writes_word = true;
        break;
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
    case FUTEX_WAKE_OP:
    case FUTEX_CMP_REQUEUE_PI:
        timeout = (void *)(uintptr_t)a[3];
        break;
    default:
        log_mask(LOG_UNIMP, "futex: command %d\n", cmd);
        return -ENOSYS;
    }
    if (cmd == FUTEX_WAIT_REQUEUE_PI || cmd == FUTEX_REQUEUE || cmd == FUTEX_CMP_REQUEUE ||
        cmd == FUTEX_WAKE_OP || cmd == FUTEX_CMP_REQUEUE_PI) {
        if (!guest_writable(a[4], 4)) {
            return -EFAULT;
        }
        uaddr2 = g2h(a[4]);
    }
    if (writes_word ? !guest_writable(uaddr, 4) : !guest_readable(uaddr, 4)) {
        return -EFAULT;
    }
    return safe_syscall6(SYS_futex, g2h(uaddr), op, (uint32_t)a[2], timeout, uaddr2,
                         (uint32_t)a[5]);
}

/* ---- tids and robust lists ---- */

static int64_t sys_gettid(TaskState *ts, const uint64_t *a)
{
    return ts->tid;
}

static int64_t sys_set_tid_address(TaskState *ts, const uint64_t *a)
{
    ts->clear_child_tid = a[0];
    return ts->tid;
}

/* Kept for get_robust_list; the host kernel cannot walk the guest's list
 * when a thread dies, so robust mutexes of a killed thread stay locked. */
static int64_t sys_set_robust_list(TaskState *ts, const uint64_t *a)
{
    if (a[1] != ROBUST_LIST_HEAD_SIZE) {
        return -EINVAL;
    }
    ts->robust_list = a[0];
    ts->robust_list_len = a[1];
    return 0;
}

static int64_t sys_get_robust_list(TaskState *ts, const uint64_t *a)
{
    uint64_t len = ROBUST_LIST_HEAD_SIZE;

    if (a[0] != 0 && (int)a[0] != ts->tid) {
        /* other threads' lists are theirs */
        return -EPERM;
    }
    if (!copy_to_guest(a[1], &ts->robust_list, sizeof(ts->robust_list)) ||
        !copy_to_guest(a[2], &len, sizeof(len))) {
        return -EFAULT;
    }
    return 0;
}

const SyscallDef syscalls_proc[] = {
    { "clone", sys_clone, "xppxp" },
    { "clone3", sys_clone3, "pu" },
    { "execve", sys_execve, "spp" },
    { "exit", sys_exit, "d>n" },
    { "exit_group", sys_exit_group, "d>n" },
    { "wait4", sys_wait4, "dpdp" },
    { "waitid", sys_waitid, "ddpdp" },
    { "futex", sys_futex, "pdupxu" },
    { "gettid", sys_gettid, "" },
    { "set_tid_address", sys_set_tid_address, "p" },
    { "set_robust_list", sys_set_robust_list, "pu" },
    { "get_robust_list", sys_get_robust_list, "dpp" },
    { "rt_sigaction", sys_rt_sigaction, "dppu" },
    { "rt_sigprocmask", sys_rt_sigprocmask, "dppu" },
    { "rt_sigpending", sys_rt_sigpending, "pu" },
    { "rt_sigsuspend", sys_rt_sigsuspend, "pu" },
    { "rt_sigtimedwait", sys_rt_sigtimedwait, "pppu" },
    { "rt_sigreturn", sys_rt_sigreturn, "" },
    { "sigaltstack", sys_sigaltstack, "pp" },
    { "kill", sys_kill, "dd" },
    { "tgkill", sys_tgkill, "ddd" },
    { "tkill", sys_tkill, "dd" },
    { "rt_sigqueueinfo", sys_rt_sigqueueinfo, "ddp" },
    { "rt_tgsigqueueinfo", sys_rt_tgsigqueueinfo, "dddp" },
    { NULL },
};
