/*
 * The gdbstub of proteus-user (linux-user/gdbstub-user.c): -g PORT makes
 * the program wait for gdb before its first instruction. The hooks below
 * are what main.c, cpu-loop.c, signal.c and syscall-proc.c call; each does
 * nothing when no gdb is attached.
 */
#ifndef LINUX_USER_GDBSTUB_USER_H
#define LINUX_USER_GDBSTUB_USER_H

#include "linux-user/user.h"

/* -g SPEC: a TCP port (any address) or a Unix socket path. Listens and
 * waits for gdb to connect. */
bool gdb_user_start(const char *spec, GError **errp);

/* Whether gdb is attached (it then sees every signal before the guest). */
bool gdb_user_attached(void);

/* The first thread, before its first instruction: gdb looks at it until
 * it says continue. */
void gdb_user_initial_stop(TaskState *ts);

/* A guest thread starts running (cpu_loop) / is about to end (its CPU
 * goes away). */
void gdb_user_thread_start(TaskState *ts);
void gdb_user_thread_exit(TaskState *ts);

/* cpu_exec returned EXCP_DEBUG. */
void gdb_user_debug_stop(TaskState *ts);
/* After each return from cpu_exec: reports a pending Ctrl-C. */
void gdb_user_check_interrupt(TaskState *ts);
/*
 * The guest signal sig is about to be delivered to the thread: gdb is told
 * and decides. Returns the signal to deliver: sig, another one, or 0 for
 * none.
 */
int gdb_user_signal(TaskState *ts, int sig);

/* The process ends with an exit status, or by the guest signal sig. */
void gdb_user_exit(int status);
void gdb_user_killed(int sig);
/* In the child of a fork: the debugger stays with the parent. */
void gdb_user_fork_child(TaskState *ts);

#endif
