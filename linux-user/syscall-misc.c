/*
 * Syscalls about the process and the system rather than files or memory:
 * uname (the guest's machine name), ids and credentials, resource limits
 * and usage, scheduling, prctl, personality, sessions, capabilities,
 * getrandom, membarrier, and the riscv-specific calls.
 *
 * Credential changes use the raw syscalls, which act on the calling thread
 * only, as the kernel does for the guest's own raw syscalls (the guest's
 * libc takes care of applying them to every thread).
 */
#include <errno.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "linux-user/riscv64/target-structs.h"
#include "linux-user/safe-syscall.h"
#include "linux-user/syscall-defs.h"
#include "proteus/log.h"
#include "proteus/translator.h"

/* ---- the system ---- */

static int64_t sys_uname(TaskState *ts, const uint64_t *a)
{
    struct utsname u;

    if (uname(&u) < 0) {
        return syscall_errno();
    }
    /* struct utsname is six 65-byte strings everywhere */
    g_strlcpy(u.machine, linux_process.arch->name, sizeof(u.machine));
    return copy_to_guest(a[0], &u, sizeof(u)) ? 0 : -EFAULT;
}

static int64_t sys_sysinfo(TaskState *ts, const uint64_t *a)
{
    struct sysinfo s;
    GuestSysinfo g = { 0 };

    if (sysinfo(&s) < 0) {
        return syscall_errno();
    }
    g.uptime = s.uptime;
    for (int i = 0; i < 3; i++) {
        g.loads[i] = s.loads[i];
    }
    g.totalram = s.totalram;
    g.freeram = s.freeram;
    g.sharedram = s.sharedram;
    g.bufferram = s.bufferram;
    g.totalswap = s.totalswap;
    g.freeswap = s.freeswap;
    g.procs = s.procs;
    g.totalhigh = s.totalhigh;
    g.freehigh = s.freehigh;
    g.mem_unit = s.mem_unit;
    return copy_to_guest(a[0], &g, sizeof(g)) ? 0 : -EFAULT;
}

static int64_t sys_getrandom(TaskState *ts, const uint64_t *a)
{
    if (!guest_writable(a[0], a[1])) {
        return -EFAULT;
    }
    /* blocks until the host's pool is ready */
    return safe_syscall3(SYS_getrandom, g2h(a[0]), a[1], (unsigned)a[2]);
}

/* ---- ids ---- */

static int64_t sys_getpid(TaskState *ts, const uint64_t *a)
{
    return getpid();
}

static int64_t sys_getppid(TaskState *ts, const uint64_t *a)
{
    return getppid();
}

static int64_t sys_getuid(TaskState *ts, const uint64_t *a)
{
    return getuid();
}

static int64_t sys_geteuid(TaskState *ts, const uint64_t *a)
{
    return geteuid();
}

static int64_t sys_getgid(TaskState *ts, const uint64_t *a)
{
    return getgid();
}

static int64_t sys_getegid(TaskState *ts, const uint64_t *a)
{
    return getegid();
}

/* getresuid/getresgid: three 32-bit ids. */
static int64_t misc_put_ids(const uint64_t *addr, const uint32_t *ids)
{
    for (int i = 0; i < 3; i++) {
        if (!copy_to_guest(addr[i], &ids[i], sizeof(ids[i]))) {
            return -EFAULT;
        }
    }
    return 0;
}

static int64_t sys_getresuid(TaskState *ts, const uint64_t *a)
{
    uid_t r, e, s;

    if (getresuid(&r, &e, &s) < 0) {
        return syscall_errno();
    }
    return misc_put_ids(a, (uint32_t[3]){ r, e, s });
}

static int64_t sys_getresgid(TaskState *ts, const uint64_t *a)
{
    gid_t r, e, s;

    if (getresgid(&r, &e, &s) < 0) {
        return syscall_errno();
    }
    return misc_put_ids(a, (uint32_t[3]){ r, e, s });
}

/* Credential setters: the raw host syscall with the same arguments. */
#define ID_SETTER(name, nr)                                               \
    static int64_t sys_##name(TaskState *ts, const uint64_t *a)           \
    {                                                                     \
        return syscall_ret(syscall(nr, (uint32_t)a[0], (uint32_t)a[1],    \
                                   (uint32_t)a[2]));                      \
    }

ID_SETTER(setuid, SYS_setuid)
ID_SETTER(setgid, SYS_setgid)
ID_SETTER(setreuid, SYS_setreuid)
ID_SETTER(setregid, SYS_setregid)
ID_SETTER(setresuid, SYS_setresuid)
ID_SETTER(setresgid, SYS_setresgid)
ID_SETTER(setfsuid, SYS_setfsuid)
ID_SETTER(setfsgid, SYS_setfsgid)

static int64_t sys_getgroups(TaskState *ts, const uint64_t *a)
{
    int size = (int)a[0];

    if (size < 0) {
        return -EINVAL;
    }
    if (!guest_writable(a[1], (uint64_t)size * 4)) {
        return -EFAULT;
    }
    return syscall_ret(syscall(SYS_getgroups, size, size ? g2h(a[1]) : NULL));
}

static int64_t sys_setgroups(TaskState *ts, const uint64_t *a)
{
    int size = (int)a[0];

    if (size < 0 || size > 65536) {
        return -EINVAL;
    }
    if (!guest_readable(a[1], (uint64_t)size * 4)) {
        return -EFAULT;
    }
    return syscall_ret(syscall(SYS_setgroups, size, size ? g2h(a[1]) : NULL));
}

/* ---- sessions and process groups ---- */

static int64_t sys_getpgid(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(getpgid((pid_t)a[0]));
}

static int64_t sys_setpgid(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(setpgid((pid_t)a[0], (pid_t)a[1]));
}

static int64_t sys_getsid(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(getsid((pid_t)a[0]));
}

static int64_t sys_setsid(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(setsid());
}

/* ---- limits and usage ---- */

/* Limits that would constrain the emulator's own memory (its guest space
 * is one large reservation): the guest may read them; setting them for
 * itself is accepted and not applied. */
static bool misc_limit_kept(int resource)
{
    return resource == RLIMIT_AS || resource == RLIMIT_DATA || resource == RLIMIT_STACK;
}

static int64_t sys_prlimit64(TaskState *ts, const uint64_t *a)
{
    pid_t pid = (pid_t)a[0];
    int resource = (int)a[1];
    GuestRlimit g;
    struct rlimit new_lim, old_lim;
    bool set = a[2] != 0;

    if (set) {
        if (!copy_from_guest(&g, a[2], sizeof(g))) {
            return -EFAULT;
        }
        new_lim = (struct rlimit) { g.rlim_cur, g.rlim_max };
        if ((pid == 0 || pid == getpid()) && misc_limit_kept(resource)) {
            set = false;
        }
    }
    if (prlimit(pid, resource, set ? &new_lim : NULL, &old_lim) < 0) {
        return syscall_errno();
    }
    if (a[3]) {
        g = (GuestRlimit) { old_lim.rlim_cur, old_lim.rlim_max };
        if (!copy_to_guest(a[3], &g, sizeof(g))) {
            return -EFAULT;
        }
    }
    return 0;
}

static int64_t sys_getrlimit(TaskState *ts, const uint64_t *a)
{
    uint64_t b[6] = { 0, a[0], 0, a[1], 0, 0 };
    return sys_prlimit64(ts, b);
}

static int64_t sys_setrlimit(TaskState *ts, const uint64_t *a)
{
    uint64_t b[6] = { 0, a[0], a[1], 0, 0, 0 };
    return sys_prlimit64(ts, b);
}

static int64_t sys_getrusage(TaskState *ts, const uint64_t *a)
{
    struct rusage r;
    GuestRusage g;
    const long *fields = &r.ru_maxrss;

    if (getrusage((int)a[0], &r) < 0) {
        return syscall_errno();
    }
    g.ru_utime = (GuestTimeval) { r.ru_utime.tv_sec, r.ru_utime.tv_usec };
    g.ru_stime = (GuestTimeval) { r.ru_stime.tv_sec, r.ru_stime.tv_usec };
    /* glibc's struct rusage: fourteen longs after the two timevals */
    for (int i = 0; i < 14; i++) {
        g.ru_fields[i] = fields[i];
    }
    return copy_to_guest(a[1], &g, sizeof(g)) ? 0 : -EFAULT;
}

/* ---- scheduling ---- */

static int64_t sys_sched_getaffinity(TaskState *ts, const uint64_t *a)
{
    if (!guest_writable(a[2], a[1])) {
        return -EFAULT;
    }
    /* the raw call returns the size it wrote; masks of unsigned longs */
    return syscall_ret(syscall(SYS_sched_getaffinity, (pid_t)a[0], a[1], g2h(a[2])));
}

static int64_t sys_sched_setaffinity(TaskState *ts, const uint64_t *a)
{
    if (!guest_readable(a[2], a[1])) {
        return -EFAULT;
    }
    return syscall_ret(syscall(SYS_sched_setaffinity, (pid_t)a[0], a[1], g2h(a[2])));
}

static int64_t sys_sched_yield(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(sched_yield());
}

static int64_t sys_sched_get_priority_max(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(sched_get_priority_max((int)a[0]));
}

static int64_t sys_sched_get_priority_min(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(sched_get_priority_min((int)a[0]));
}

static int64_t sys_sched_getscheduler(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(sched_getscheduler((pid_t)a[0]));
}

static int64_t sys_sched_getparam(TaskState *ts, const uint64_t *a)
{
    struct sched_param p;
    GuestSchedParam g;

    if (sched_getparam((pid_t)a[0], &p) < 0) {
        return syscall_errno();
    }
    g.sched_priority = p.sched_priority;
    return copy_to_guest(a[1], &g, sizeof(g)) ? 0 : -EFAULT;
}

static int64_t sys_sched_setparam(TaskState *ts, const uint64_t *a)
{
    GuestSchedParam g;

    if (!copy_from_guest(&g, a[1], sizeof(g))) {
        return -EFAULT;
    }
    return syscall_ret(sched_setparam((pid_t)a[0], &(struct sched_param){ g.sched_priority }));
}

static int64_t sys_sched_setscheduler(TaskState *ts, const uint64_t *a)
{
    GuestSchedParam g;

    if (!copy_from_guest(&g, a[2], sizeof(g))) {
        return -EFAULT;
    }
    return syscall_ret(syscall(SYS_sched_setscheduler, (pid_t)a[0], (int)a[1],
                               &(struct sched_param){ g.sched_priority }));
}

static int64_t sys_getpriority(TaskState *ts, const uint64_t *a)
{
    /* the raw call: 20 - nice, never negative */
    return syscall_ret(syscall(SYS_getpriority, (int)a[0], (id_t)a[1]));
}

static int64_t sys_setpriority(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(setpriority((int)a[0], (id_t)a[1], (int)a[2]));
}

static int64_t sys_getcpu(TaskState *ts, const uint64_t *a)
{
    unsigned cpu, node;

    if (syscall(SYS_getcpu, &cpu, &node, NULL) < 0) {
        return syscall_errno();
    }
    if ((a[0] && !copy_to_guest(a[0], &cpu, sizeof(cpu))) ||
        (a[1] && !copy_to_guest(a[1], &node, sizeof(node)))) {
        return -EFAULT;
    }
    return 0;
}

/* ---- prctl, personality, capabilities ---- */

static int64_t misc_prctl_int_out(int option, uint64_t addr)
{
    int v;

    if (prctl(option, &v, 0, 0, 0) < 0) {
        return syscall_errno();
    }
    return copy_to_guest(addr, &v, sizeof(v)) ? 0 : -EFAULT;
}

static int64_t sys_prctl(TaskState *ts, const uint64_t *a)
{
    int option = (int)a[0];
    char name[16];

    switch (option) {
    case PR_SET_NAME:
        /* up to 15 bytes and a NUL, cut like the kernel does */
        for (int i = 0; i < 15; i++) {
            if (!copy_from_guest(&name[i], a[1] + i, 1)) {
                return -EFAULT;
            }
            if (!name[i]) {
                break;
            }
        }
        name[15] = 0;
        return syscall_ret(prctl(PR_SET_NAME, name, 0, 0, 0));
    case PR_GET_NAME:
        if (prctl(PR_GET_NAME, name, 0, 0, 0) < 0) {
            return syscall_errno();
        }
        return copy_to_guest(a[1], name, sizeof(name)) ? 0 : -EFAULT;
    case PR_GET_PDEATHSIG: case PR_GET_CHILD_SUBREAPER:
        return misc_prctl_int_out(option, a[1]);
    case PR_SET_PDEATHSIG: case PR_SET_DUMPABLE: case PR_GET_DUMPABLE:
    case PR_SET_NO_NEW_PRIVS: case PR_GET_NO_NEW_PRIVS: case PR_SET_CHILD_SUBREAPER:
    case PR_SET_TIMERSLACK: case PR_GET_TIMERSLACK: case PR_CAPBSET_READ:
    case PR_GET_SECCOMP: case PR_GET_KEEPCAPS: case PR_SET_KEEPCAPS:
    case PR_CAP_AMBIENT:
        return syscall_ret(prctl(option, a[1], a[2], a[3], a[4]));
    default:
        /* seccomp filters would apply to the emulator itself; others
         * (riscv vector control, tagged addresses...) are not modelled */
        log_mask(LOG_UNIMP, "prctl option %d not supported\n", option);
        return -EINVAL;
    }
}

static int64_t sys_personality(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(personality((unsigned long)(uint32_t)a[0]));
}

/* capget/capset: a header (version, pid) and one or two data blocks of
 * three 32-bit sets, fixed-width everywhere. */
#define CAP_V1 0x19980330

static int64_t misc_capability(long nr, const uint64_t *a, bool data_out)
{
    uint32_t hdr[2];
    uint64_t data_len;

    if (!copy_from_guest(hdr, a[0], sizeof(hdr))) {
        return -EFAULT;
    }
    data_len = (hdr[0] == CAP_V1 ? 1 : 2) * 12;
    if (a[1] && !(data_out ? guest_writable(a[1], data_len) : guest_readable(a[1], data_len))) {
        return -EFAULT;
    }
    if (!guest_writable(a[0], sizeof(hdr))) {
        return -EFAULT;
    }
    return syscall_ret(syscall(nr, g2h(a[0]), a[1] ? g2h(a[1]) : NULL));
}

static int64_t sys_capget(TaskState *ts, const uint64_t *a)
{
    return misc_capability(SYS_capget, a, true);
}

static int64_t sys_capset(TaskState *ts, const uint64_t *a)
{
    return misc_capability(SYS_capset, a, false);
}

/* ---- barriers and caches ---- */

/* The host's membarrier reaches every host thread, and guest threads are
 * host threads: the same guarantees. */
static int64_t sys_membarrier(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(syscall(SYS_membarrier, (int)a[0], (unsigned)a[1], (int)a[2]));
}

static int64_t sys_riscv_hwprobe(TaskState *ts, const uint64_t *a)
{
    return -ENOSYS;
}

/* riscv_flush_icache(start, end, flags): the translated code of the range
 * is dropped, so the next execution sees the new instructions. */
#define RISCV_FLUSH_ICACHE_LOCAL 1

static int64_t sys_riscv_flush_icache(TaskState *ts, const uint64_t *a)
{
    uint64_t start = a[0], end = a[1];

    if (a[2] & ~(uint64_t)RISCV_FLUSH_ICACHE_LOCAL) {
        return -EINVAL;
    }
    if (end > start) {
        tb_invalidate_range(start, end - start);
    }
    return 0;
}

const SyscallDef syscalls_misc[] = {
    { "uname", sys_uname, "p" },
    { "sysinfo", sys_sysinfo, "p" },
    { "getrandom", sys_getrandom, "pux" },
    { "getpid", sys_getpid, "" },
    { "getppid", sys_getppid, "" },
    { "getuid", sys_getuid, "" },
    { "geteuid", sys_geteuid, "" },
    { "getgid", sys_getgid, "" },
    { "getegid", sys_getegid, "" },
    { "getresuid", sys_getresuid, "ppp" },
    { "getresgid", sys_getresgid, "ppp" },
    { "setuid", sys_setuid, "d" },
    { "setgid", sys_setgid, "d" },
    { "setreuid", sys_setreuid, "dd" },
    { "setregid", sys_setregid, "dd" },
    { "setresuid", sys_setresuid, "ddd" },
    { "setresgid", sys_setresgid, "ddd" },
    { "setfsuid", sys_setfsuid, "d" },
    { "setfsgid", sys_setfsgid, "d" },
    { "getgroups", sys_getgroups, "dp" },
    { "setgroups", sys_setgroups, "dp" },
    { "getpgid", sys_getpgid, "d" },
    { "setpgid", sys_setpgid, "dd" },
    { "getsid", sys_getsid, "d" },
    { "setsid", sys_setsid, "" },
    { "prlimit64", sys_prlimit64, "ddpp" },
    { "getrlimit", sys_getrlimit, "dp" },
    { "setrlimit", sys_setrlimit, "dp" },
    { "getrusage", sys_getrusage, "dp" },
    { "sched_getaffinity", sys_sched_getaffinity, "dup" },
    { "sched_setaffinity", sys_sched_setaffinity, "dup" },
    { "sched_yield", sys_sched_yield, "" },
    { "sched_get_priority_max", sys_sched_get_priority_max, "d" },
    { "sched_get_priority_min", sys_sched_get_priority_min, "d" },
    { "sched_getscheduler", sys_sched_getscheduler, "d" },
    { "sched_setscheduler", sys_sched_setscheduler, "ddp" },
    { "sched_getparam", sys_sched_getparam, "dp" },
    { "sched_setparam", sys_sched_setparam, "dp" },
    { "getpriority", sys_getpriority, "dd" },
    { "setpriority", sys_setpriority, "ddd" },
    { "getcpu", sys_getcpu, "ppp" },
    { "prctl", sys_prctl, "dxxxx" },
    { "personality", sys_personality, "x" },
    { "capget", sys_capget, "pp" },
    { "capset", sys_capset, "pp" },
    { "membarrier", sys_membarrier, "dxd" },
    { "riscv_hwprobe", sys_riscv_hwprobe, "pupux" },
    { "riscv_flush_icache", sys_riscv_flush_icache, "ppx" },
    { NULL },
};
