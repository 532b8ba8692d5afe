/*
 * The gdbstub of proteus-user (-g PORT or -g PATH): the protocol engine
 * (system/gdbstub.c) on one blocking socket.
 *
 * Threads are the guest threads (thread id = guest tid). A thread that
 * stops for gdb (cpu_exec returned EXCP_DEBUG, a signal is about to be
 * delivered, or gdb's Ctrl-C) takes report_lock, stops every other guest
 * thread at a TB boundary with start_exclusive, sends the stop reply and
 * serves gdb's packets itself, reading the socket, until gdb resumes; then
 * end_exclusive lets everything run again. Threads blocked in a syscall
 * go on with it, as under ptrace, and stop when they come back to guest
 * code.
 *
 * While the guest runs, a watcher thread polls the socket for gdb's Ctrl-C
 * (0x03): it flags it and kicks every CPU out of guest code, and the first
 * thread back in cpu_loop reports SIGINT. For threads blocked in a system
 * call it also sends the process SIGINT, as gdbserver does: with gdb
 * attached that comes to proteus's handler (unless the guest ignores or
 * blocks it), which ends the wait; the stop answers it, so when the signal
 * itself comes to be delivered it is dropped. The watcher reads only while
 * `running` is set (under lock), and the stopped thread clears it before
 * it sends the stop reply, so the watcher never takes a byte of a packet.
 *
 * If gdb goes away, its breakpoints are removed and the program runs on.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "linux-user/gdbstub-user.h"
#include "linux-user/signal-proc.h"
#include "proteus/debug.h"
#include "proteus/error.h"
#include "proteus/gdbstub.h"

/* gdb's numbers for Linux's real-time signals and for what it has no name for. */
#define GDB_SIGNAL_REALTIME_33 45
#define GDB_SIGNAL_REALTIME_32 77
#define GDB_SIGNAL_REALTIME_64 78
#define GDB_SIGNAL_UNKNOWN 143

typedef struct GdbUser {
    GdbStub *stub;              /* NULL: no -g */
    int fd;                     /* the connection */
    bool attached;              /* atomic: gdb is there */
    /* One thread talks to gdb at a time; the stub and the fields below
     * it are that thread's. */
    GMutex report_lock;
    bool resumed;
    int resume_signal;          /* gdb signal to deliver on resume */
    int lost_signal;            /* ... if gdb goes away instead */

    GMutex lock;                /* the fields below */
    GCond cond;
    GPtrArray *threads;         /* TaskState * of the live guest threads */
    bool running;               /* the watcher may read the socket */
    bool closing;               /* the connection ends: the watcher leaves */
    int interrupt;              /* atomic: a Ctrl-C not yet reported */
    int interrupt_signal;       /* atomic: our SIGINT for it, not yet dropped */
} GdbUser;

static GdbUser gdb_user = { .fd = -1 };

/* A signal gdb asked to deliver: not reported to it again (thread's own). */
static __thread int gdb_approved_signal;

static bool gdb_attached(void)
{
    return __atomic_load_n(&gdb_user.attached, __ATOMIC_ACQUIRE);
}

bool gdb_user_attached(void)
{
    return gdb_attached();
}

/* ---- signal numbers: Linux's generic ones and gdb's ---- */

static int to_gdb_signal(int sig)
{
    static const uint8_t map[32] = {
        [SIGHUP] = 1, [SIGINT] = 2, [SIGQUIT] = 3, [SIGILL] = 4, [SIGTRAP] = 5,
        [SIGABRT] = 6, [SIGBUS] = 10, [SIGFPE] = 8, [SIGKILL] = 9, [SIGUSR1] = 30,
        [SIGSEGV] = 11, [SIGUSR2] = 31, [SIGPIPE] = 13, [SIGALRM] = 14, [SIGTERM] = 15,
        [SIGSTKFLT] = GDB_SIGNAL_UNKNOWN, [SIGCHLD] = 20, [SIGCONT] = 19,
        [SIGSTOP] = 17, [SIGTSTP] = 18, [SIGTTIN] = 21, [SIGTTOU] = 22, [SIGURG] = 16,
        [SIGXCPU] = 24, [SIGXFSZ] = 25, [SIGVTALRM] = 26, [SIGPROF] = 27,
        [SIGWINCH] = 28, [SIGIO] = 23, [SIGPWR] = 32, [SIGSYS] = 12,
    };

    if (sig > 0 && sig < 32) {
        return map[sig];
    }
    if (sig == 32) {
        return GDB_SIGNAL_REALTIME_32;
    }
    if (sig > 32 && sig < 64) {
        return GDB_SIGNAL_REALTIME_33 + (sig - 33);
    }
    return sig == 64 ? GDB_SIGNAL_REALTIME_64 : GDB_SIGNAL_UNKNOWN;
}

/* The guest signal of a gdb one; 0 for none (or one Linux does not have). */
static int from_gdb_signal(int gdb_sig)
{
    for (int sig = 1; sig <= GUEST_NSIG && gdb_sig; sig++) {
        if (to_gdb_signal(sig) == gdb_sig) {
            return sig;
        }
    }
    return 0;
}

/* ---- the connection ---- */

/* Ends the connection (report_lock held, or in a fork child). The
 * watcher closes the socket when it leaves. */
static void connection_close(GdbUser *g)
{
    __atomic_store_n(&g->attached, false, __ATOMIC_RELEASE);
    shutdown(g->fd, SHUT_RDWR);
    g_mutex_lock(&g->lock);
    g->closing = true;
    g_cond_broadcast(&g->cond);
    g_mutex_unlock(&g->lock);
}

static void set_running(GdbUser *g, bool running)
{
    g_mutex_lock(&g->lock);
    g->running = running;
    g_cond_broadcast(&g->cond);
    g_mutex_unlock(&g->lock);
}

static void request_interrupt(GdbUser *g)
{
    __atomic_store_n(&g->interrupt, 1, __ATOMIC_SEQ_CST);
    g_mutex_lock(&g->lock);
    for (guint i = 0; i < g->threads->len; i++) {
        TaskState *ts = g_ptr_array_index(g->threads, i);

        cpu_exit(ts->cpu);
    }
    g_mutex_unlock(&g->lock);
    __atomic_store_n(&g->interrupt_signal, 1, __ATOMIC_SEQ_CST);
    kill(getpid(), SIGINT);
}

/* gdb went away while the guest ran: it runs on without breakpoints. */
static void connection_lost_running(GdbUser *g)
{
    g_mutex_lock(&g->report_lock);
    if (gdb_attached()) {
        start_exclusive(NULL);
        gdb_stub_remove_all(g->stub);
        end_exclusive(NULL);
        connection_close(g);
    }
    g_mutex_unlock(&g->report_lock);
}

/* lock held, running: takes what gdb sent; false when it has gone. */
static bool watcher_read(GdbUser *g)
{
    uint8_t buf[256];
    ssize_t n = recv(g->fd, buf, sizeof(buf), MSG_DONTWAIT);

    if (n == 0) {
        return false;
    }
    if (n < 0) {
        return errno == EAGAIN || errno == EINTR;
    }
    /* while the guest runs, gdb sends only Ctrl-C */
    if (memchr(buf, 0x03, n)) {
        g_mutex_unlock(&g->lock);
        request_interrupt(g);
        g_mutex_lock(&g->lock);
    }
    return true;
}

static gpointer watcher_main(gpointer opaque)
{
    GdbUser *g = opaque;

    g_mutex_lock(&g->lock);
    for (;;) {
        struct pollfd pfd = { .fd = g->fd, .events = POLLIN };

        while (!g->running && !g->closing) {
            g_cond_wait(&g->cond, &g->lock);
        }
        if (g->closing) {
            break;
        }
        g_mutex_unlock(&g->lock);
        poll(&pfd, 1, -1);
        g_mutex_lock(&g->lock);
        if (g->running && !g->closing && !watcher_read(g)) {
            g_mutex_unlock(&g->lock);
            connection_lost_running(g);
            g_mutex_lock(&g->lock);
        }
    }
    g_mutex_unlock(&g->lock);
    close(g->fd);
    return NULL;
}

/* ---- the engine's ops ---- */

static void gdb_send(void *opaque, const uint8_t *buf, size_t len)
{
    GdbUser *g = opaque;

    while (len) {
        ssize_t n = send(g->fd, buf, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;             /* gone: the next read notices */
        }
        buf += n;
        len -= n;
    }
}

static TaskState *thread_at_locked(GdbUser *g, int n)
{
    return n >= 0 && (guint)n < g->threads->len ? g_ptr_array_index(g->threads, n) : NULL;
}

static CPUState *gdb_thread_at(void *opaque, int n)
{
    GdbUser *g = opaque;
    TaskState *ts;

    g_mutex_lock(&g->lock);
    ts = thread_at_locked(g, n);
    g_mutex_unlock(&g->lock);
    return ts ? ts->cpu : NULL;
}

static int64_t gdb_thread_id(void *opaque, CPUState *cpu)
{
    GdbUser *g = opaque;
    int64_t tid = getpid();
    TaskState *ts;

    g_mutex_lock(&g->lock);
    for (int n = 0; (ts = thread_at_locked(g, n)); n++) {
        if (ts->cpu == cpu) {
            tid = ts->tid;
            break;
        }
    }
    g_mutex_unlock(&g->lock);
    return tid;
}

static bool gdb_read_memory(void *opaque, CPUState *cpu, uint64_t addr, uint8_t *buf,
                            size_t len)
{
    return cpu_memory_rw_debug(cpu, addr, buf, len, false);
}

static bool gdb_write_memory(void *opaque, CPUState *cpu, uint64_t addr,
                             const uint8_t *buf, size_t len)
{
    /* also makes code pages writable and drops their translations */
    return cpu_memory_rw_debug(cpu, addr, (uint8_t *)buf, len, true);
}

static void gdb_resume(void *opaque, const GdbResume *r)
{
    GdbUser *g = opaque;

    g->resumed = true;
    g->resume_signal = r->signal;
}

static void gdb_interrupt(void *opaque)
{
    request_interrupt(opaque);
}

static void gdb_detach(void *opaque)
{
    GdbUser *g = opaque;

    g->resumed = true;
    g->resume_signal = 0;
    connection_close(g);
}

static void gdb_kill(void *opaque)
{
    connection_close(opaque);
    signal_die(SIGKILL);
}

static const GdbStubOps gdb_user_ops = {
    .send = gdb_send,
    .thread_at = gdb_thread_at,
    .thread_id = gdb_thread_id,
    .read_memory = gdb_read_memory,
    .write_memory = gdb_write_memory,
    .resume = gdb_resume,
    .interrupt = gdb_interrupt,
    .detach = gdb_detach,
    .kill = gdb_kill,
};

/* ---- stopping ---- */

/* report_lock held, others excluded: gdb's packets until it resumes. */
static int serve(GdbUser *g)
{
    uint8_t buf[4096];

    g->resumed = false;
    g->resume_signal = 0;
    while (!g->resumed) {
        ssize_t n = read(g->fd, buf, sizeof(buf));

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            gdb_stub_remove_all(g->stub);
            connection_close(g);
            return g->lost_signal;
        }
        gdb_stub_input(g->stub, buf, n);
    }
    return g->resume_signal;
}

/*
 * The thread of ts stops for gdb with gdb signal sig (why: the debug
 * stop's reason; initial: the first stop, which gdb asks about itself).
 * Returns the gdb signal to deliver on resume; lost_signal if gdb is gone.
 */
static int gdb_user_stop(TaskState *ts, int sig, const CPUDebugStop *why, bool initial,
                         int lost_signal)
{
    GdbUser *g = &gdb_user;
    int resume_signal = lost_signal;

    g_mutex_lock(&g->report_lock);
    if (gdb_attached()) {
        start_exclusive(ts->cpu);
        set_running(g, false);
        /* this stop answers a Ctrl-C too */
        __atomic_store_n(&g->interrupt, 0, __ATOMIC_SEQ_CST);
        g->lost_signal = lost_signal;
        if (initial) {
            gdb_stub_connected(g->stub, ts->cpu, sig);
        } else {
            gdb_stub_report_stop(g->stub, ts->cpu, sig, why);
        }
        resume_signal = serve(g);
        if (gdb_attached()) {
            set_running(g, true);
        }
        end_exclusive(ts->cpu);
    }
    g_mutex_unlock(&g->report_lock);
    return resume_signal;
}

/* gdb asked for a signal on a resume from a breakpoint or Ctrl-C stop. */
static void deliver_gdb_signal(TaskState *ts, int gdb_sig)
{
    int sig = from_gdb_signal(gdb_sig);

    if (sig) {
        gdb_approved_signal = sig;
        signal_queue_fault(ts, sig, SI_USER, 0);
    }
}

void gdb_user_initial_stop(TaskState *ts)
{
    gdb_user_thread_start(ts);
    deliver_gdb_signal(ts, gdb_user_stop(ts, GDB_SIGNAL_TRAP, NULL, true, 0));
}

void gdb_user_debug_stop(TaskState *ts)
{
    CPUDebugStop why;

    if (!gdb_attached()) {
        return;
    }
    cpu_debug_stop_info(ts->cpu, &why);
    deliver_gdb_signal(ts, gdb_user_stop(ts, GDB_SIGNAL_TRAP, &why, false, 0));
}

void gdb_user_check_interrupt(TaskState *ts)
{
    if (gdb_attached() && __atomic_exchange_n(&gdb_user.interrupt, 0, __ATOMIC_SEQ_CST)) {
        deliver_gdb_signal(ts, gdb_user_stop(ts, GDB_SIGNAL_INT, NULL, false, 0));
    }
}

int gdb_user_signal(TaskState *ts, int sig)
{
    int gdb_sig;

    if (sig == gdb_approved_signal) {
        gdb_approved_signal = 0;
        return sig;
    }
    if (sig == SIGINT &&
        __atomic_exchange_n(&gdb_user.interrupt_signal, 0, __ATOMIC_SEQ_CST)) {
        /* the kick of a Ctrl-C, which a stop answered or answers now */
        if (__atomic_exchange_n(&gdb_user.interrupt, 0, __ATOMIC_SEQ_CST)) {
            return from_gdb_signal(gdb_user_stop(ts, GDB_SIGNAL_INT, NULL, false, 0));
        }
        return 0;
    }
    if (!gdb_attached()) {
        return sig;
    }
    gdb_sig = to_gdb_signal(sig);
    return from_gdb_signal(gdb_user_stop(ts, gdb_sig, NULL, false, gdb_sig));
}

/* ---- threads and the end ---- */

void gdb_user_thread_start(TaskState *ts)
{
    GdbUser *g = &gdb_user;

    if (!gdb_attached()) {
        return;
    }
    g_mutex_lock(&g->lock);
    if (!g_ptr_array_find(g->threads, ts, NULL)) {
        g_ptr_array_add(g->threads, ts);
    }
    g_mutex_unlock(&g->lock);
}

void gdb_user_thread_exit(TaskState *ts)
{
    GdbUser *g = &gdb_user;

    if (!g->stub) {
        return;
    }
    /* not while another thread talks about this one to gdb */
    g_mutex_lock(&g->report_lock);
    g_mutex_lock(&g->lock);
    g_ptr_array_remove(g->threads, ts);
    g_mutex_unlock(&g->lock);
    gdb_stub_forget_cpu(g->stub, ts->cpu);
    g_mutex_unlock(&g->report_lock);
}

static void report_end(bool exited, int value)
{
    GdbUser *g = &gdb_user;

    if (!gdb_attached()) {
        return;
    }
    g_mutex_lock(&g->report_lock);
    if (gdb_attached()) {
        if (exited) {
            gdb_stub_report_exit(g->stub, value);
        } else {
            gdb_stub_report_signalled(g->stub, to_gdb_signal(value));
        }
        connection_close(g);
    }
    g_mutex_unlock(&g->report_lock);
}

void gdb_user_exit(int status)
{
    report_end(true, status);
}

void gdb_user_killed(int sig)
{
    report_end(false, sig);
}

void gdb_user_fork_child(TaskState *ts)
{
    GdbUser *g = &gdb_user;

    if (!g->stub) {
        return;
    }
    /* the parent's locks may have been held by threads the child lacks */
    g->stub = NULL;
    if (__atomic_exchange_n(&g->attached, false, __ATOMIC_SEQ_CST)) {
        close(g->fd);
        start_exclusive(ts->cpu);
        cpu_breakpoint_remove_all();
        cpu_watchpoint_remove_all();
        cpu_single_step(ts->cpu, false);
        end_exclusive(ts->cpu);
    }
}

/* ---- start ---- */

static int listen_socket(const char *spec, GError **errp)
{
    struct sockaddr_storage ss = { 0 };
    socklen_t len;
    guint64 port;
    int one = 1;
    int fd;

    if (g_ascii_string_to_unsigned(spec, 10, 1, 65535, &port, NULL)) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;

        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        in->sin_addr.s_addr = htonl(INADDR_ANY);
        len = sizeof(*in);
    } else if (spec[0] && strspn(spec, "0123456789") != strlen(spec) &&
               strlen(spec) < sizeof(((struct sockaddr_un *)0)->sun_path)) {
        struct sockaddr_un *un = (struct sockaddr_un *)&ss;

        un->sun_family = AF_UNIX;
        strcpy(un->sun_path, spec);
        len = sizeof(*un);
        unlink(spec);
    } else {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "expected a TCP port (1-65535) or a Unix socket path");
        return -1;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error_setg_code(errp, PROTEUS_ERROR_FAILED, "socket: %s", g_strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 1) < 0) {
        error_setg_code(errp, PROTEUS_ERROR_FAILED, "cannot listen: %s", g_strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int accept_gdb(int listen_fd, GError **errp)
{
    int one = 1;
    int fd;

    do {
        fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        error_setg_code(errp, PROTEUS_ERROR_FAILED, "accept: %s", g_strerror(errno));
        return -1;
    }
    /* replies are small packets: send each at once */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

bool gdb_user_start(const char *spec, GError **errp)
{
    GdbUser *g = &gdb_user;
    int listen_fd = listen_socket(spec, errp);
    sigset_t all, old;
    GThread *watcher;

    if (listen_fd < 0) {
        return false;
    }
    g->fd = accept_gdb(listen_fd, errp);
    close(listen_fd);
    if (!g_ascii_string_to_unsigned(spec, 10, 1, 65535, NULL, NULL)) {
        unlink(spec);           /* a Unix socket: connected, the name can go */
    }
    if (g->fd < 0) {
        return false;
    }
    g->threads = g_ptr_array_new();
    g->stub = gdb_stub_new(&gdb_user_ops, g);
    g->attached = true;
    /* host signals are for the guest threads: the watcher blocks them all */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    watcher = g_thread_new("gdb-watcher", watcher_main, g);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    g_thread_unref(watcher);
    return true;
}
