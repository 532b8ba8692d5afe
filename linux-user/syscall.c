/*
 * The syscall dispatcher: per-architecture numbers to handlers, -strace
 * around each call, -ENOSYS (logged under -d unimp) for the rest. Also the
 * guest-memory helpers every family uses (guest_string, guest_path).
 */
#include <errno.h>
#include <limits.h>

#include "linux-user/syscall-defs.h"
#include "proteus/log.h"
#include "plugins/core.h"

/* One slot per syscall number: its generic name and handler (def NULL:
 * a number the architecture has but nobody implements). */
typedef struct SyscallSlot {
    const char *name;
    const SyscallDef *def;
} SyscallSlot;

static SyscallSlot *syscall_table;
static int syscall_table_size;

static const SyscallDef *const syscall_families[] = {
    syscalls_proc,
    syscalls_misc,
    syscalls_fs,
    syscalls_fd,
    syscalls_mm,
    syscalls_poll,
    syscalls_net,
    syscalls_time,
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
    SyscallSlot *table;
    int max = 0;

    for (const SyscallNr *n = arch->syscall_nrs; n->name; n++) {
        max = MAX(max, n->nr + 1);
    }
    table = g_new0(SyscallSlot, max);
    for (const SyscallNr *n = arch->syscall_nrs; n->name; n++) {
        table[n->nr].name = n->name;
        table[n->nr].def = syscall_find(n->name);
    }
    syscall_table = table;
    syscall_table_size = max;
}

/* A number without a handler: -ENOSYS, shown by -strace and -d unimp. */
static int64_t syscall_unsupported(TaskState *ts, int nr, const uint64_t args[6])
{
    const char *name = nr >= 0 && nr < syscall_table_size ? syscall_table[nr].name : NULL;

    if (name) {
        SyscallDef shown = { name, NULL, "xxxxxx" };

        log_mask(LOG_UNIMP, "unsupported syscall %s (%d)\n", name, nr);
        if (log_enabled(LOG_STRACE)) {
            strace_call(ts, &shown, args);
            strace_result(ts, &shown, args, -ENOSYS);
        }
    } else {
        log_mask(LOG_UNIMP, "unsupported syscall %d\n", nr);
        log_mask(LOG_STRACE, "%d syscall_%d(...) = -1 errno=%d (%s)\n",
                 ts->tid, nr, ENOSYS, g_strerror(ENOSYS));
    }
    return -ENOSYS;
}

static int64_t do_syscall_def(TaskState *ts, int nr, const uint64_t args[6])
{
    const SyscallDef *def = nr >= 0 && nr < syscall_table_size ? syscall_table[nr].def : NULL;
    int64_t ret;

    if (!def) {
        return syscall_unsupported(ts, nr, args);
    }
    if (!log_enabled(LOG_STRACE)) {
        return def->fn(ts, args);
    }
    strace_call(ts, def, args);
    ret = def->fn(ts, args);
    strace_result(ts, def, args, ret);
    return ret;
}

int64_t do_syscall(TaskState *ts, int nr, const uint64_t args[6])
{
    int64_t ret;

    if (G_LIKELY(!plugins_active)) {
        return do_syscall_def(ts, nr, args);
    }
    plugin_syscall(ts->cpu, nr, args);
    ret = do_syscall_def(ts, nr, args);
    if (ret != SYSCALL_RESTART && ret != SYSCALL_NO_RESULT) {
        plugin_syscall_ret(ts->cpu, nr, ret);
    }
    return ret;
}

const char *guest_string(uint64_t addr, size_t max)
{
    uint64_t a = addr;

    /* page by page: each page is checked once, then scanned */
    while (a - addr < max) {
        uint64_t page_end = (a & GUEST_PAGE_MASK) + GUEST_PAGE_SIZE;
        size_t n = MIN(page_end - a, max - (a - addr));
        const char *nul;

        if (!guest_readable(a, 1)) {
            return NULL;
        }
        nul = memchr(g2h(a), 0, n);
        if (nul) {
            return g2h(addr);
        }
        a += n;
    }
    return NULL;
}

const char *guest_path(uint64_t addr)
{
    return guest_string(addr, PATH_MAX);
}
