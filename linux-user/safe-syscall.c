/*
 * safe_syscall (see safe-syscall.h). Being written: for now a plain host
 * syscall whose EINTR becomes a restart.
 */
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "linux-user/safe-syscall.h"
#include "linux-user/user.h"

int64_t safe_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
    long r = syscall(nr, a0, a1, a2, a3, a4, a5);

    if (r < 0) {
        return errno == EINTR ? SYSCALL_RESTART : -(int64_t)errno;
    }
    return r;
}
