/*
 * Waiting on descriptors: ppoll (riscv64 has no poll), pselect6 and epoll.
 * struct pollfd and fd_set have the same layout on every 64-bit Linux and
 * are used in place; struct epoll_event is converted (riscv64's is not
 * packed, x86-64's is).
 *
 * The temporary signal mask of ppoll/pselect6/epoll_pwait becomes the
 * guest's (and so the host thread's) mask for the wait. When a signal
 * interrupts the wait, the call returns -EINTR and the old mask comes back
 * after the handler runs (the TaskState's sigsuspend fields, as
 * rt_sigsuspend does); otherwise it comes back at once.
 */
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>

#include "linux-user/riscv64/target-structs.h"
#include "linux-user/safe-syscall.h"
#include "linux-user/signal-proc.h"
#include "linux-user/syscall-defs.h"

/* Reads the temporary mask (if any) and installs it; false with *err. */
static bool poll_mask_begin(TaskState *ts, uint64_t addr, uint64_t size,
                            GuestSigset *saved, bool *swapped, int64_t *err)
{
    GuestSigset mask;

    *swapped = false;
    if (!addr) {
        return true;
    }
    if (size != sizeof(GuestSigset)) {
        *err = -EINVAL;
        return false;
    }
    if (!copy_from_guest(&mask, addr, sizeof(mask))) {
        *err = -EFAULT;
        return false;
    }
    *saved = ts->sigmask;
    signal_set_mask(ts, mask);
    *swapped = true;
    return true;
}

/* Ends the wait: the result the guest sees. */
static int64_t poll_mask_end(TaskState *ts, GuestSigset saved, bool swapped, int64_t ret)
{
    if (!swapped) {
        return ret;
    }
    if (ret == SYSCALL_RESTART || ret == -EINTR) {
        ts->saved_mask = saved;
        ts->in_sigsuspend = true;
        return -EINTR;
    }
    signal_set_mask(ts, saved);
    return ret;
}

static int64_t sys_ppoll(TaskState *ts, const uint64_t *a)
{
    uint64_t nfds = a[1];
    struct timespec tmo;
    GuestSigset saved = 0;
    bool swapped;
    int64_t ret = 0;

    if (nfds > 1024 * 1024) {
        return -EINVAL;
    }
    if (!guest_writable(a[0], nfds * sizeof(struct pollfd))) {
        return -EFAULT;
    }
    if (a[2] && !guest_get_timespec(a[2], &tmo)) {
        return -EFAULT;
    }
    if (!poll_mask_begin(ts, a[3], a[4], &saved, &swapped, &ret)) {
        return ret;
    }
    ret = safe_syscall5(SYS_ppoll, nfds ? g2h(a[0]) : NULL, nfds, a[2] ? &tmo : NULL,
                        NULL, 8);
    if (a[2] && ret != -EFAULT && !guest_put_timespec(a[2], &tmo)) {
        ret = -EFAULT;
    }
    return poll_mask_end(ts, saved, swapped, ret);
}

/* An fd_set argument: NULL, or a pointer into guest memory. */
static bool poll_fdset(uint64_t addr, int n, fd_set **p)
{
    uint64_t bytes = ((uint64_t)n + 63) / 64 * 8;

    *p = NULL;
    if (!addr) {
        return true;
    }
    if (!guest_writable(addr, bytes)) {
        return false;
    }
    *p = g2h(addr);
    return true;
}

static int64_t sys_pselect6(TaskState *ts, const uint64_t *a)
{
    int n = (int)a[0];
    fd_set *in, *out, *ex;
    struct timespec tmo;
    GuestSigsetArg sig = { 0, 0 };
    GuestSigset saved = 0;
    bool swapped;
    int64_t ret = 0;

    if (n < 0 || n > 1024 * 1024) {
        return -EINVAL;
    }
    if (!poll_fdset(a[1], n, &in) || !poll_fdset(a[2], n, &out) || !poll_fdset(a[3], n, &ex)) {
        return -EFAULT;
    }
    if (a[4] && !guest_get_timespec(a[4], &tmo)) {
        return -EFAULT;
    }
    if (a[5] && !copy_from_guest(&sig, a[5], sizeof(sig))) {
        return -EFAULT;
    }
    if (!poll_mask_begin(ts, sig.ss, sig.ss_len, &saved, &swapped, &ret)) {
        return ret;
    }
    ret = safe_syscall6(SYS_pselect6, n, in, out, ex, a[4] ? &tmo : NULL, NULL);
    if (a[4] && ret != -EFAULT && !guest_put_timespec(a[4], &tmo)) {
        ret = -EFAULT;
    }
    return poll_mask_end(ts, saved, swapped, ret);
}

/* ---- epoll ---- */

static int64_t sys_epoll_create1(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(epoll_create1((int)a[0]));
}

static int64_t sys_epoll_ctl(TaskState *ts, const uint64_t *a)
{
    GuestEpollEvent g = { 0 };
    struct epoll_event ev = { 0 };

    /* EPOLL_CTL_DEL ignores the event (older kernels wanted one) */
    if ((int)a[1] != EPOLL_CTL_DEL || a[3]) {
        if (!copy_from_guest(&g, a[3], sizeof(g))) {
            return -EFAULT;
        }
        ev.events = g.events;
        ev.data.u64 = g.data;
    }
    return syscall_ret(epoll_ctl((int)a[0], (int)a[1], (int)a[2], &ev));
}

/* epoll_pwait (timeout in ms) and epoll_pwait2 (timeout a timespec). */
static int64_t poll_epoll_wait(TaskState *ts, const uint64_t *a, bool timespec_timeout)
{
    int maxevents = (int)a[2];
    g_autofree struct epoll_event *ev = NULL;
    struct timespec tmo;
    GuestSigset saved = 0;
    bool swapped;
    int64_t ret = 0;

    if (maxevents <= 0 || maxevents > 1024 * 1024) {
        return -EINVAL;
    }
    if (!guest_writable(a[1], (uint64_t)maxevents * sizeof(GuestEpollEvent))) {
        return -EFAULT;
    }
    if (timespec_timeout && a[3] && !guest_get_timespec(a[3], &tmo)) {
        return -EFAULT;
    }
    if (!poll_mask_begin(ts, a[4], a[5], &saved, &swapped, &ret)) {
        return ret;
    }
    ev = g_new(struct epoll_event, maxevents);
    if (timespec_timeout) {
        ret = safe_syscall6(SYS_epoll_pwait2, (int)a[0], ev, maxevents,
                            a[3] ? &tmo : NULL, NULL, 8);
    } else {
        ret = safe_syscall6(SYS_epoll_pwait, (int)a[0], ev, maxevents, (int)a[3], NULL, 8);
    }
    for (int64_t i = 0; i < ret; i++) {
        GuestEpollEvent g = { .events = ev[i].events, .data = ev[i].data.u64 };

        memcpy((GuestEpollEvent *)g2h(a[1]) + i, &g, sizeof(g));
    }
    return poll_mask_end(ts, saved, swapped, ret);
}

static int64_t sys_epoll_pwait(TaskState *ts, const uint64_t *a)
{
    return poll_epoll_wait(ts, a, false);
}

static int64_t sys_epoll_pwait2(TaskState *ts, const uint64_t *a)
{
    return poll_epoll_wait(ts, a, true);
}

const SyscallDef syscalls_poll[] = {
    { "ppoll", sys_ppoll, "pupxu" },
    { "pselect6", sys_pselect6, "dppppp" },
    { "epoll_create1", sys_epoll_create1, "C" },
    { "epoll_ctl", sys_epoll_ctl, "dddp" },
    { "epoll_pwait", sys_epoll_pwait, "dpddpu" },
    { "epoll_pwait2", sys_epoll_pwait2, "dpdppu" },
    { NULL },
};
