/*
 * Syscalls of no family yet: write and the exits, enough for a first
 * program. (Being extended.)
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "linux-user/syscall-defs.h"

static int64_t sys_write(TaskState *ts, const uint64_t *a)
{
    ssize_t n;

    if (!guest_readable(a[1], a[2])) {
        return -EFAULT;
    }
    n = write((int)a[0], g2h(a[1]), a[2]);
    return n < 0 ? syscall_errno() : n;
}

static int64_t sys_exit_group(TaskState *ts, const uint64_t *a)
{
    fflush(stdout);
    _exit((int)a[0]);
}

const SyscallDef syscalls_misc[] = {
    { "write", sys_write, "dpu" },
    { "exit", sys_exit_group, "d" },
    { "exit_group", sys_exit_group, "d" },
    { NULL },
};
