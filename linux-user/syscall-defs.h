/*
 * How syscall handlers are declared. Each syscall-<family>.c file defines a
 * table of SyscallDef (terminated by a NULL name) listed in syscall.c;
 * handlers are found by the generic syscall name, and each architecture's
 * SyscallNr table maps its numbers to those names.
 */
#ifndef LINUX_USER_SYSCALL_DEFS_H
#define LINUX_USER_SYSCALL_DEFS_H

#include <errno.h>
#include <string.h>

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
extern const SyscallDef syscalls_proc[];
extern const SyscallDef syscalls_fs[];
extern const SyscallDef syscalls_fd[];
extern const SyscallDef syscalls_mm[];
extern const SyscallDef syscalls_poll[];
extern const SyscallDef syscalls_net[];
extern const SyscallDef syscalls_time[];

/* The host errno as a guest result. */
#define syscall_errno() (-(int64_t)errno)

/* A host call's result (-1 and errno on failure) as a guest result. */
static inline int64_t syscall_ret(int64_t r)
{
    return r < 0 ? syscall_errno() : r;
}

/* Copies between guest memory and the host; false if the guest range is
 * not readable / writable (the handler returns -EFAULT). */
static inline bool copy_from_guest(void *dst, uint64_t addr, size_t len)
{
    if (!guest_readable(addr, len)) {
        return false;
    }
    memcpy(dst, g2h(addr), len);
    return true;
}

static inline bool copy_to_guest(uint64_t addr, const void *src, size_t len)
{
    if (!guest_writable(addr, len)) {
        return false;
    }
    memcpy(g2h(addr), src, len);
    return true;
}

/* A guest path argument (at most PATH_MAX bytes with its NUL), or NULL. */
const char *guest_path(uint64_t addr);

/*
 * syscall-fs.c: the guest's iovec array (count entries at addr) as host
 * iovecs pointing into guest memory, each buffer checked writable when
 * data goes to the guest (to_guest: readv, recvmsg) or readable otherwise.
 * Returns NULL with *err set (-EINVAL, -EFAULT); g_free it.
 */
struct iovec *guest_iovec(uint64_t addr, uint64_t count, bool to_guest, int64_t *err);

/* syscall-time.c: a guest struct timespec to and from the host's; false
 * if the guest memory is not accessible. */
struct timespec;
bool guest_get_timespec(uint64_t addr, struct timespec *t);
bool guest_put_timespec(uint64_t addr, const struct timespec *t);

/* strace.c: the -strace line of one call, before and after it runs. */
void strace_call(TaskState *ts, const SyscallDef *def, const uint64_t *a);
void strace_result(TaskState *ts, const SyscallDef *def, const uint64_t *a,
                   int64_t ret);

#endif
