/*
 * Blocking host syscalls made on behalf of the guest, safe against guest
 * signals: if a signal for the guest arrives before the syscall starts or
 * while it blocks, the syscall does not start / is interrupted, and the
 * result is SYSCALL_RESTART, which the cpu loop and signal delivery turn
 * into a restart (SA_RESTART) or -EINTR, as Linux does. No signal is lost
 * between "checked for pending signals" and "entered the kernel".
 *
 * Every syscall that can block (read/write on pipes, sockets and ttys,
 * poll/select/epoll, nanosleep, wait4, futex, accept/connect/recv/send,
 * pause...) goes through safe_syscall; quick ones call the host directly.
 *
 * A handler normally returns SYSCALL_RESTART as it is: the pc goes back
 * onto the syscall instruction, and delivery either keeps it there (no
 * handler ran, or the handler has SA_RESTART) or steps over it with
 * -EINTR. Calls Linux never restarts after a handler (poll, select,
 * sigsuspend, sigtimedwait, nanosleep's remaining time...) turn it into
 * -EINTR themselves. The implementation is host-specific (x86-64:
 * safe-syscall.c); signal.c's host handler calls
 * safe_syscall_check_interrupted to close the race.
 */
#ifndef LINUX_USER_SAFE_SYSCALL_H
#define LINUX_USER_SAFE_SYSCALL_H

#include <stdint.h>

/* The raw result: >= 0, -errno, or SYSCALL_RESTART. nr is the HOST's
 * syscall number (SYS_read...). */
int64_t safe_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5);

#define safe_syscall0(nr) safe_syscall(nr, 0, 0, 0, 0, 0, 0)
#define safe_syscall1(nr, a) safe_syscall(nr, (long)(a), 0, 0, 0, 0, 0)
#define safe_syscall2(nr, a, b) safe_syscall(nr, (long)(a), (long)(b), 0, 0, 0, 0)
#define safe_syscall3(nr, a, b, c) \
    safe_syscall(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define safe_syscall4(nr, a, b, c, d) \
    safe_syscall(nr, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define safe_syscall5(nr, a, b, c, d, e) \
    safe_syscall(nr, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define safe_syscall6(nr, a, b, c, d, e, f) \
    safe_syscall(nr, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

#endif
