/*
 * The syscall dispatcher: per-architecture numbers to handlers, -strace
 * around each call, -ENOSYS (logged under -d unimp) for the rest.
 */
#include <errno.h>

#include "linux-user/syscall-defs.h"
#include "proteus/log.h"

static const SyscallDef *const *syscall_table;
static int syscall_table_size;

static const SyscallDef *const syscall_families[] = {
    syscalls_misc,
};

static const SyscallDef *syscall_find(const char *name)
{
    for (size_t f = 0; f < G_N_ELEMENTS(syscall_families); f++) {
        for (const SyscallDef *d = syscall_families[f]; d->name; d++) {
            if (!strcmp(d->name, name)) {
                return d;
            }
        }
    }
    return NULL;
}

void syscall_init(const LinuxArch *arch)
{
    const SyscallDef **table;
    int max = 0;

    for (const SyscallNr *n = arch->syscall_nrs; n->name; n++) {
        max = MAX(max, n->nr + 1);
    }
    table = g_new0(const SyscallDef *, max);
    for (const SyscallNr *n = arch->syscall_nrs; n->name; n++) {
        table[n->nr] = syscall_find(n->name);
    }
    syscall_table = table;
    syscall_table_size = max;
}

int64_t do_syscall(TaskState *ts, int nr, const uint64_t args[6])
{
    const SyscallDef *def = nr >= 0 && nr < syscall_table_size ? syscall_table[nr] : NULL;

    if (!def) {
        log_mask(LOG_UNIMP, "unsupported syscall %d\n", nr);
        return -ENOSYS;
    }
    return def->fn(ts, args);
}
