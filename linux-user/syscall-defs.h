/*
 * How syscall handlers are declared. Each syscall-<family>.c file defines a
 * table of SyscallDef (terminated by a NULL name) listed in syscall.c;
 * handlers are found by the generic syscall name, and each architecture's
 * SyscallNr table maps its numbers to those names.
 */
#ifndef LINUX_USER_SYSCALL_DEFS_H
#define LINUX_USER_SYSCALL_DEFS_H

#include <errno.h>

#include "linux-user/user.h"

/* Arguments are the guest's six registers; the result is the guest's
 * (a value or -errno, or SYSCALL_RESTART / SYSCALL_NO_RESULT). */
typedef int64_t SyscallHandler(TaskState *ts, const uint64_t *a);

typedef struct SyscallDef {
    const char *name;
    SyscallHandler *fn;
    /* -strace: one character per argument (see strace.c), "" for none. */
    const char *strace_args;
} SyscallDef;

/* The family tables. */
extern const SyscallDef syscalls_misc[];

/* The host errno as a guest result. */
#define syscall_errno() (-(int64_t)errno)

#endif
