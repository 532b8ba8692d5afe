/*
 * Time syscalls: clocks, sleeping (interruptible by guest signals through
 * safe_syscall), process times, interval and POSIX timers, timerfds. The guest's
 * timespec/timeval/itimerspec are converted field by field.
 */
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "linux-user/riscv64/target-structs.h"
#include "linux-user/safe-syscall.h"
#include "linux-user/signal-proc.h"
#include "linux-user/syscall-defs.h"

bool guest_get_timespec(uint64_t addr, struct timespec *t)
{
    GuestTimespec g;

    if (!copy_from_guest(&g, addr, sizeof(g))) {
        return false;
    }
    t->tv_sec = g.tv_sec;
    t->tv_nsec = g.tv_nsec;
    return true;
}

bool guest_put_timespec(uint64_t addr, const struct timespec *t)
{
    GuestTimespec g = { t->tv_sec, t->tv_nsec };

    return copy_to_guest(addr, &g, sizeof(g));
}

static bool time_get_timeval(uint64_t addr, struct timeval *t)
{
    GuestTimeval g;

    if (!copy_from_guest(&g, addr, sizeof(g))) {
        return false;
    }
    t->tv_sec = g.tv_sec;
    t->tv_usec = g.tv_usec;
    return true;
}

static bool time_put_timeval(uint64_t addr, const struct timeval *t)
{
    GuestTimeval g = { t->tv_sec, t->tv_usec };

    return copy_to_guest(addr, &g, sizeof(g));
}

static bool time_get_itimerspec(uint64_t addr, struct itimerspec *t)
{
    return guest_get_timespec(addr, &t->it_interval) &&
           guest_get_timespec(addr + sizeof(GuestTimespec), &t->it_value);
}

static bool time_put_itimerspec(uint64_t addr, const struct itimerspec *t)
{
    return guest_put_timespec(addr, &t->it_interval) &&
           guest_put_timespec(addr + sizeof(GuestTimespec), &t->it_value);
}

/* ---- clocks ---- */

static int64_t sys_clock_gettime(TaskState *ts, const uint64_t *a)
{
    struct timespec t;

    if (clock_gettime((clockid_t)a[0], &t) < 0) {
        return syscall_errno();
    }
    return guest_put_timespec(a[1], &t) ? 0 : -EFAULT;
}

static int64_t sys_clock_getres(TaskState *ts, const uint64_t *a)
{
    struct timespec t;

    if (clock_getres((clockid_t)a[0], &t) < 0) {
        return syscall_errno();
    }
    return !a[1] || guest_put_timespec(a[1], &t) ? 0 : -EFAULT;
}

static int64_t sys_clock_settime(TaskState *ts, const uint64_t *a)
{
    struct timespec t;

    if (!guest_get_timespec(a[1], &t)) {
        return -EFAULT;
    }
    return syscall_ret(clock_settime((clockid_t)a[0], &t));
}

static int64_t sys_gettimeofday(TaskState *ts, const uint64_t *a)
{
    struct timeval tv;

    if (gettimeofday(&tv, NULL) < 0) {
        return syscall_errno();
    }
    if (a[0] && !time_put_timeval(a[0], &tv)) {
        return -EFAULT;
    }
    /* the timezone is obsolete: always zero */
    if (a[1] && !copy_to_guest(a[1], &(int32_t[2]){ 0, 0 }, 8)) {
        return -EFAULT;
    }
    return 0;
}

static int64_t sys_settimeofday(TaskState *ts, const uint64_t *a)
{
    struct timeval tv;

    if (!a[0]) {
        return 0;
    }
    if (!time_get_timeval(a[0], &tv)) {
        return -EFAULT;
    }
    return syscall_ret(settimeofday(&tv, NULL));
}

/* ---- sleeping ---- */

/* The remaining time goes back when interrupted. */
static int64_t time_sleep_result(int64_t ret, const struct timespec *rem, uint64_t rem_addr)
{
    if ((ret == SYSCALL_RESTART || ret == -EINTR) && rem_addr &&
        !guest_put_timespec(rem_addr, rem)) {
        return -EFAULT;
    }
    return ret;
}

static int64_t sys_nanosleep(TaskState *ts, const uint64_t *a)
{
    struct timespec req, rem = { 0, 0 };

    if (!guest_get_timespec(a[0], &req)) {
        return -EFAULT;
    }
    return time_sleep_result(safe_syscall2(SYS_nanosleep, &req, &rem), &rem, a[1]);
}

static int64_t sys_clock_nanosleep(TaskState *ts, const uint64_t *a)
{
    struct timespec req, rem = { 0, 0 };

    if (!guest_get_timespec(a[2], &req)) {
        return -EFAULT;
    }
    return time_sleep_result(safe_syscall4(SYS_clock_nanosleep, (clockid_t)a[0], (int)a[1],
                                           &req, &rem), &rem, a[3]);
}

/* ---- process times and interval timers ---- */

static int64_t sys_times(TaskState *ts, const uint64_t *a)
{
    struct tms t;
    clock_t r = times(&t);
    GuestTms g = { t.tms_utime, t.tms_stime, t.tms_cutime, t.tms_cstime };

    if (r == (clock_t)-1) {
        return syscall_errno();
    }
    if (a[0] && !copy_to_guest(a[0], &g, sizeof(g))) {
        return -EFAULT;
    }
    return r;
}

static bool time_put_itimerval(uint64_t addr, const struct itimerval *t)
{
    return time_put_timeval(addr, &t->it_interval) &&
           time_put_timeval(addr + sizeof(GuestTimeval), &t->it_value);
}

static int64_t sys_getitimer(TaskState *ts, const uint64_t *a)
{
    struct itimerval t;

    if (getitimer((int)a[0], &t) < 0) {
        return syscall_errno();
    }
    return time_put_itimerval(a[1], &t) ? 0 : -EFAULT;
}

/* The host delivers the timer's signal to the process; signal.c hands it
 * to the guest. */
static int64_t sys_setitimer(TaskState *ts, const uint64_t *a)
{
    struct itimerval t = { 0 }, old;

    if (a[1] && (!time_get_timeval(a[1], &t.it_interval) ||
                 !time_get_timeval(a[1] + sizeof(GuestTimeval), &t.it_value))) {
        return -EFAULT;
    }
    if (setitimer((int)a[0], &t, &old) < 0) {
        return syscall_errno();
    }
    return !a[2] || time_put_itimerval(a[2], &old) ? 0 : -EFAULT;
}

/* ---- POSIX timers ---- */

/* The kernel's struct sigevent: 64 bytes on every 64-bit architecture. */
typedef struct GuestSigevent {
    uint64_t sigev_value;
    int32_t sigev_signo;
    int32_t sigev_notify;
    int32_t sigev_tid;           /* SIGEV_THREAD_ID */
    int32_t pad[11];
} GuestSigevent;
G_STATIC_ASSERT(sizeof(GuestSigevent) == 64);

/* The host's view of the same, for the raw syscall. */
typedef struct HostKernelSigevent {
    union sigval value;
    int signo;
    int notify;
    int tid;
    int pad[11];
} HostKernelSigevent;

/*
 * timer_create: the guest's signal number becomes the host's (the host
 * delivers it to the process or, with SIGEV_THREAD_ID, to the host thread
 * of the guest thread, and signal.c hands it to the guest). The kernel's
 * timer ids are small ints, the same for the guest.
 */
static int64_t sys_timer_create(TaskState *ts, const uint64_t *a)
{
    HostKernelSigevent hev = { 0 };
    int timer_id;

    if (a[1]) {
        GuestSigevent gev;

        if (!copy_from_guest(&gev, a[1], sizeof(gev))) {
            return -EFAULT;
        }
        hev.value.sival_ptr = (void *)(uintptr_t)gev.sigev_value;
        hev.notify = gev.sigev_notify;
        hev.tid = gev.sigev_tid;
        hev.signo = gev.sigev_notify == SIGEV_NONE ? 0 : signal_guest_to_host(gev.sigev_signo);
        if (gev.sigev_notify != SIGEV_NONE && !hev.signo) {
            return -EINVAL;
        }
    }
    if (syscall(SYS_timer_create, (clockid_t)a[0], a[1] ? &hev : NULL, &timer_id) < 0) {
        return syscall_errno();
    }
    if (!copy_to_guest(a[2], &timer_id, sizeof(timer_id))) {
        syscall(SYS_timer_delete, timer_id);
        return -EFAULT;
    }
    return 0;
}

static int64_t sys_timer_settime(TaskState *ts, const uint64_t *a)
{
    struct itimerspec t, old;

    if (!time_get_itimerspec(a[2], &t)) {
        return -EFAULT;
    }
    if (syscall(SYS_timer_settime, (int)a[0], (int)a[1], &t, &old) < 0) {
        return syscall_errno();
    }
    return !a[3] || time_put_itimerspec(a[3], &old) ? 0 : -EFAULT;
}

static int64_t sys_timer_gettime(TaskState *ts, const uint64_t *a)
{
    struct itimerspec t;

    if (syscall(SYS_timer_gettime, (int)a[0], &t) < 0) {
        return syscall_errno();
    }
    return time_put_itimerspec(a[1], &t) ? 0 : -EFAULT;
}

static int64_t sys_timer_getoverrun(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(syscall(SYS_timer_getoverrun, (int)a[0]));
}

static int64_t sys_timer_delete(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(syscall(SYS_timer_delete, (int)a[0]));
}

/* ---- timerfd ---- */

static int64_t sys_timerfd_create(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(timerfd_create((int)a[0], (int)a[1]));
}

static int64_t sys_timerfd_settime(TaskState *ts, const uint64_t *a)
{
    struct itimerspec t, old;

    if (!time_get_itimerspec(a[2], &t)) {
        return -EFAULT;
    }
    if (timerfd_settime((int)a[0], (int)a[1], &t, &old) < 0) {
        return syscall_errno();
    }
    return !a[3] || time_put_itimerspec(a[3], &old) ? 0 : -EFAULT;
}

static int64_t sys_timerfd_gettime(TaskState *ts, const uint64_t *a)
{
    struct itimerspec t;

    if (timerfd_gettime((int)a[0], &t) < 0) {
        return syscall_errno();
    }
    return time_put_itimerspec(a[1], &t) ? 0 : -EFAULT;
}

const SyscallDef syscalls_time[] = {
    { "clock_gettime", sys_clock_gettime, "cp" },
    { "clock_getres", sys_clock_getres, "cp" },
    { "clock_settime", sys_clock_settime, "cp" },
    { "gettimeofday", sys_gettimeofday, "pp" },
    { "settimeofday", sys_settimeofday, "pp" },
    { "nanosleep", sys_nanosleep, "pp" },
    { "clock_nanosleep", sys_clock_nanosleep, "cdpp" },
    { "times", sys_times, "p" },
    { "getitimer", sys_getitimer, "dp" },
    { "setitimer", sys_setitimer, "dpp" },
    { "timer_create", sys_timer_create, "cpp" },
    { "timer_settime", sys_timer_settime, "dxpp" },
    { "timer_gettime", sys_timer_gettime, "dp" },
    { "timer_getoverrun", sys_timer_getoverrun, "d" },
    { "timer_delete", sys_timer_delete, "d" },
    { "timerfd_create", sys_timerfd_create, "cx" },
    { "timerfd_settime", sys_timerfd_settime, "dxpp" },
    { "timerfd_gettime", sys_timerfd_gettime, "dp" },
    { NULL },
};
