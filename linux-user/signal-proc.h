/*
 * What signal.c, syscall-proc.c, cpu-loop.c, safe-syscall.c and the
 * architectures' signal frames share (private to linux-user/).
 *
 * Guest signals 1..31 are the host's 1..31; guest 32..62 are the host's
 * SIGRTMIN..SIGRTMAX (34..64 with glibc, which keeps 32 and 33 for
 * itself). Guest 63 and 64 have no host signal: they can be handled and
 * blocked, but not sent.
 *
 * The host mirrors the guest where it can, so that the host kernel does
 * the work: each guest thread is a host thread whose host signal mask is
 * its guest mask, and a signal the guest ignores or leaves at SIG_DFL is
 * ignored / defaulted on the host (so SIG_DFL kills, stops or dumps the
 * process as the guest would, and the parent sees the right status). Only
 * signals with a guest handler, plus SIGSEGV and SIGBUS (guest faults,
 * self-modifying code), reach proteus's host handler, which records them
 * for the thread and kicks its CPU out of generated code.
 */
#ifndef LINUX_USER_SIGNAL_PROC_H
#define LINUX_USER_SIGNAL_PROC_H

#include <signal.h>

#include "linux-user/syscall-defs.h"

/* Nonzero while this thread runs guest code (around cpu_exec): a host
 * fault in the guest space is then the guest's. */
extern __thread volatile sig_atomic_t signal_guest_running;

/* Host number of a guest signal (0: none), guest number of a host one (0: none). */
int signal_guest_to_host(int guest_sig);
int signal_host_to_guest(int host_sig);

/* Sets the thread's guest mask and the host mask that mirrors it. */
void signal_set_mask(TaskState *ts, GuestSigset mask);

/* A new guest thread (on its own host thread, all host signals blocked):
 * its host alternate stack and host mask. signal_thread_exit undoes it. */
void signal_thread_init(TaskState *ts);
void signal_thread_exit(TaskState *ts);

/* The calling thread's host mask as a guest set (a new process inherits it). */
GuestSigset signal_host_mask(void);

/*
 * Signal frames: the address of a frame of size bytes for a handler with
 * flags (SA_ONSTACK picks the alternate stack) when the interrupted sp is
 * sp: 16-byte aligned, 0 if it does not fit (the caller forces SIGSEGV).
 * The frame's uc_stack from / back to the thread's alternate stack.
 */
uint64_t signal_frame_addr(TaskState *ts, uint64_t sp, uint64_t flags, uint64_t size);
void signal_save_altstack(TaskState *ts, uint64_t sp, uint64_t *ss_sp, int32_t *ss_flags,
                          uint64_t *ss_size);
void signal_restore_altstack(TaskState *ts, uint64_t ss_sp, int32_t ss_flags,
                             uint64_t ss_size);

/* Ends the process as if by the guest's default action for guest_sig. */
G_NORETURN void signal_die(int guest_sig);

/*
 * safe-syscall.c: called by the host handler with the interrupted context.
 * If the thread was inside safe_syscall but had not entered the kernel yet,
 * moves it to the path that returns SYSCALL_RESTART (the pending flag was
 * set before, so nothing is lost either way).
 */
void safe_syscall_check_interrupted(void *host_ucontext);

/* The signal syscalls (signal.c), listed in syscall-proc.c's table. */
SyscallHandler sys_rt_sigaction, sys_rt_sigprocmask, sys_rt_sigpending,
    sys_rt_sigsuspend, sys_rt_sigtimedwait, sys_rt_sigreturn, sys_sigaltstack,
    sys_kill, sys_tgkill, sys_tkill, sys_rt_sigqueueinfo, sys_rt_tgsigqueueinfo;

#endif
