/*
 * Syscalls on files and paths: open/read/write and their vector and
 * positioned forms, stat and statfs (converted to the guest's layouts),
 * directories, links, permissions, times, sizes, the working directory.
 *
 * Paths are the host's, except the guest's libraries when a sysroot is
 * given (fs_sysroot_path). A few /proc entries describe the emulator rather
 * than the guest, so they are answered here: /proc/self/exe (and
 * /proc/<pid>/exe) is the guest program, /proc/self/maps lists the guest's
 * mappings with guest addresses.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "linux-user/riscv64/target-structs.h"
#include "linux-user/safe-syscall.h"
#include "linux-user/syscall-defs.h"
#include "proteus/log.h"

/* Newer than the host's headers may be; numbers from 424 up are the same
 * on every architecture. */
#ifndef SYS_fchmodat2
#define HOST_SYS_fchmodat2 452
#else
#define HOST_SYS_fchmodat2 SYS_fchmodat2
#endif

/* Linux's UIO_MAXIOV. */
#define IOV_MAX_COUNT 1024

struct iovec *guest_iovec(uint64_t addr, uint64_t count, bool to_guest, int64_t *err)
{
    g_autofree GuestIovec *g = NULL;
    struct iovec *iov;
    uint64_t total = 0;

    if (count > IOV_MAX_COUNT) {
        *err = -EINVAL;
        return NULL;
    }
    g = g_new(GuestIovec, count ? count : 1);
    if (!copy_from_guest(g, addr, count * sizeof(GuestIovec))) {
        *err = -EFAULT;
        return NULL;
    }
    iov = g_new0(struct iovec, count ? count : 1);
    for (uint64_t i = 0; i < count; i++) {
        uint64_t base = g[i].iov_base, len = g[i].iov_len;
        bool ok = to_guest ? guest_writable(base, len) : guest_readable(base, len);

        total += len;
        if ((int64_t)len < 0 || (int64_t)total < 0) {
            *err = -EINVAL;
            g_free(iov);
            return NULL;
        }
        if (!ok) {
            *err = -EFAULT;
            g_free(iov);
            return NULL;
        }
        iov[i].iov_base = len ? g2h(base) : NULL;
        iov[i].iov_len = len;
    }
    return iov;
}

/* ---- /proc entries about the guest ---- */

typedef enum {
    PROC_NONE,
    PROC_EXE,
    PROC_MAPS,
} ProcEntry;

/* Which emulated /proc entry an absolute path names, if any. */
static ProcEntry fs_proc_entry(const char *path)
{
    char own[32];
    const char *rest;

    snprintf(own, sizeof(own), "/proc/%d/", getpid());
    if (g_str_has_prefix(path, "/proc/self/")) {
        rest = path + strlen("/proc/self/");
    } else if (g_str_has_prefix(path, own)) {
        rest = path + strlen(own);
    } else {
        return PROC_NONE;
    }
    if (!strcmp(rest, "exe")) {
        return PROC_EXE;
    }
    if (!strcmp(rest, "maps")) {
        return PROC_MAPS;
    }
    return PROC_NONE;
}

/* The size of the stack elf_setup_stack maps (its default). */
#define FS_STACK_SIZE ((uint64_t)8 << 20)

/* The name /proc/self/maps shows for guest memory at addr that the host
 * maps anonymously: what the loader and the stack setup put there. */
static const char *fs_anon_map_name(uint64_t addr)
{
    const LinuxProcess *p = &linux_process;

    if (addr >= p->prog.exe.start && addr < p->prog.exe.end) {
        return p->exe_path;
    }
    if (p->prog.has_interp && addr >= p->prog.interp.start && addr < p->prog.interp.end) {
        return p->prog.interp_path;
    }
    if (addr >= p->brk_start && addr < ((p->brk_cur + GUEST_PAGE_SIZE - 1) & GUEST_PAGE_MASK)) {
        return "[heap]";
    }
    if (p->stack_low && addr >= p->stack_low && addr - p->stack_low < FS_STACK_SIZE) {
        return "[stack]";
    }
    return "";
}

/* One line of /proc/self/maps being built. */
typedef struct MapsLine {
    uint64_t start, end;
    unsigned flags;
    const char *name;
} MapsLine;

static void fs_maps_emit(GString *out, const MapsLine *l)
{
    if (l->end == l->start) {
        return;
    }
    g_string_append_printf(out, "%08" G_GINT64_MODIFIER "x-%08" G_GINT64_MODIFIER "x "
                           "%c%c%cp 00000000 00:00 0%s%s\n", l->start, l->end,
                           l->flags & GUEST_PAGE_READ ? 'r' : '-',
                           l->flags & GUEST_PAGE_WRITE ? 'w' : '-',
                           l->flags & GUEST_PAGE_EXEC ? 'x' : '-',
                           *l->name ? "                          " : "", l->name);
}

/* Adds guest pages [a, end) with one name, merging runs of equal lines. */
static void fs_maps_add(GString *out, MapsLine *cur, uint64_t a, uint64_t end,
                        const char *host_name)
{
    for (; a < end; a += GUEST_PAGE_SIZE) {
        unsigned flags = guest_page_flags(a) & (GUEST_PAGE_VALID | GUEST_PAGE_READ |
                                                GUEST_PAGE_WRITE | GUEST_PAGE_EXEC);
        const char *name = *host_name ? host_name : fs_anon_map_name(a);

        if (!(flags & GUEST_PAGE_VALID)) {
            continue;
        }
        if (cur->end != a || cur->flags != flags || strcmp(cur->name, name)) {
            fs_maps_emit(out, cur);
            *cur = (MapsLine) { a, a, flags, name };
        }
        cur->end = a + GUEST_PAGE_SIZE;
    }
}

/*
 * The text of /proc/self/maps for the guest, from the host's own maps of
 * the guest space: every guest mapping is one or more host mappings of its
 * own (unmapped space is the reservation's PROT_NONE, which never starts
 * with a guest page), so only host mappings that start with a guest page
 * are walked page by page. File names come from the host.
 */
static GString *fs_guest_maps(void)
{
    g_autofree char *host_text = NULL;
    g_auto(GStrv) hmaps = NULL;
    GString *out = g_string_new(NULL);
    uintptr_t base = (uintptr_t)g2h(0);
    uint64_t size = guest_mem_size();
    MapsLine cur = { 0, 0, 0, "" };

    if (!g_file_get_contents("/proc/self/maps", &host_text, NULL, NULL)) {
        return out;
    }
    hmaps = g_strsplit(host_text, "\n", -1);
    for (int i = 0; hmaps[i]; i++) {
        unsigned long lo, hi;
        int name_at = 0;
        uint64_t start, end;

        if (sscanf(hmaps[i], "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &name_at) < 2 ||
            hi <= base || lo >= base + size) {
            continue;
        }
        start = MAX(lo, base) - base;
        end = MIN(hi - base, size);
        if (!(guest_page_flags(start) & GUEST_PAGE_VALID)) {
            continue;
        }
        fs_maps_add(out, &cur, start, end, name_at ? hmaps[i] + name_at : "");
    }
    fs_maps_emit(out, &cur);
    return out;
}

/* A read-only-looking fd holding text: a memfd rewound to the start. */
static int64_t fs_text_fd(const char *name, const GString *text, int flags)
{
    int fd = memfd_create(name, (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
    int64_t ret;

    if (fd < 0) {
        return syscall_errno();
    }
    if (write(fd, text->str, text->len) != (ssize_t)text->len ||
        lseek(fd, 0, SEEK_SET) != 0) {
        ret = syscall_errno();
        close(fd);
        return ret ? ret : -EIO;
    }
    return fd;
}

/* Opens an emulated /proc entry. */
static int64_t fs_open_proc(ProcEntry e, int flags, int mode)
{
    if (e == PROC_EXE) {
        return syscall_ret(open(linux_process.exe_path, flags, mode));
    }
    if ((flags & GUEST_O_ACCMODE) != O_RDONLY) {
        return -EACCES;
    }
    g_autoptr(GString) text = fs_guest_maps();
    return fs_text_fd("maps", text, flags);
}

/*
 * The guest's dynamic loader searches its libraries in /lib, /usr/lib...,
 * where the host has its own: with a sysroot (-L), an absolute path under
 * those directories that exists in the sysroot means the sysroot's file
 * (a new string in *alloc). Every other path is the host's.
 */
static const char *fs_sysroot_path(const char *path, char **alloc)
{
    static const char *const lib_dirs[] = { "/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/" };
    const char *root = linux_process.sysroot;
    struct stat st;

    if (!root || path[0] != '/') {
        return path;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(lib_dirs); i++) {
        if (g_str_has_prefix(path, lib_dirs[i])) {
            g_autofree char *full = g_strconcat(root, path, NULL);

            if (lstat(full, &st) == 0) {
                *alloc = g_steal_pointer(&full);
                return *alloc;
            }
            break;
        }
    }
    return path;
}

/*
 * The host path for a guest path argument: the guest program for
 * /proc/self/exe, a sysroot library, else the argument itself. NULL if
 * unreadable. *alloc is set when a new string is made (g_free it).
 */
static const char *fs_path_arg(uint64_t addr, char **alloc)
{
    const char *path = guest_path(addr);

    if (!path) {
        return NULL;
    }
    if (fs_proc_entry(path) == PROC_EXE) {
        return linux_process.exe_path;
    }
    return fs_sysroot_path(path, alloc);
}

#define GET_PATH(var, addr)                                  \
    g_autofree char *var##_alloc = NULL;                     \
    const char *var = fs_path_arg(addr, &var##_alloc);       \
    if (!var) {                                              \
        return -EFAULT;                                      \
    }

/* ---- open, read, write ---- */

static int64_t sys_openat(TaskState *ts, const uint64_t *a)
{
    g_autofree char *alloc = NULL;
    const char *path = guest_path(a[1]);
    ProcEntry e;

    if (!path) {
        return -EFAULT;
    }
    e = fs_proc_entry(path);
    if (e != PROC_NONE) {
        return fs_open_proc(e, (int)a[2], (int)a[3]);
    }
    path = fs_sysroot_path(path, &alloc);
    /* opening a FIFO or a device can block */
    return safe_syscall4(SYS_openat, (int)a[0], path, (int)a[2], (int)a[3]);
}

static int64_t sys_close(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(close((int)a[0]));
}

static int64_t sys_close_range(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(syscall(SYS_close_range, (unsigned)a[0], (unsigned)a[1], (unsigned)a[2]));
}

static int64_t sys_read(TaskState *ts, const uint64_t *a)
{
    if (!guest_writable(a[1], a[2])) {
        return -EFAULT;
    }
    return safe_syscall3(SYS_read, (int)a[0], g2h(a[1]), a[2]);
}

static int64_t sys_write(TaskState *ts, const uint64_t *a)
{
    if (!guest_readable(a[1], a[2])) {
        return -EFAULT;
    }
    return safe_syscall3(SYS_write, (int)a[0], g2h(a[1]), a[2]);
}

static int64_t sys_pread64(TaskState *ts, const uint64_t *a)
{
    if (!guest_writable(a[1], a[2])) {
        return -EFAULT;
    }
    return safe_syscall4(SYS_pread64, (int)a[0], g2h(a[1]), a[2], a[3]);
}

static int64_t sys_pwrite64(TaskState *ts, const uint64_t *a)
{
    if (!guest_readable(a[1], a[2])) {
        return -EFAULT;
    }
    return safe_syscall4(SYS_pwrite64, (int)a[0], g2h(a[1]), a[2], a[3]);
}

/* readv/writev/preadv/pwritev and the *2 forms: host_nr with the host
 * iovecs; the offset and flags arguments pass through. */
static int64_t fs_vector_io(long host_nr, const uint64_t *a, bool to_guest, int nargs)
{
    int64_t err = 0, ret;
    struct iovec *iov = guest_iovec(a[1], a[2], to_guest, &err);

    if (!iov) {
        return err;
    }
    if (nargs == 3) {
        ret = safe_syscall3(host_nr, (int)a[0], iov, a[2]);
    } else {
        /* 64-bit: the offset is whole in a[3]; the host's high half is 0 */
        ret = safe_syscall6(host_nr, (int)a[0], iov, a[2], a[3], 0, a[5]);
    }
    g_free(iov);
    return ret;
}

static int64_t sys_readv(TaskState *ts, const uint64_t *a)
{
    return fs_vector_io(SYS_readv, a, true, 3);
}

static int64_t sys_writev(TaskState *ts, const uint64_t *a)
{
    return fs_vector_io(SYS_writev, a, false, 3);
}

static int64_t sys_preadv(TaskState *ts, const uint64_t *a)
{
    uint64_t b[6] = { a[0], a[1], a[2], a[3], 0, 0 };
    return fs_vector_io(SYS_preadv2, b, true, 6);
}

static int64_t sys_pwritev(TaskState *ts, const uint64_t *a)
{
    uint64_t b[6] = { a[0], a[1], a[2], a[3], 0, 0 };
    return fs_vector_io(SYS_pwritev2, b, false, 6);
}

static int64_t sys_preadv2(TaskState *ts, const uint64_t *a)
{
    return fs_vector_io(SYS_preadv2, a, true, 6);
}

static int64_t sys_pwritev2(TaskState *ts, const uint64_t *a)
{
    return fs_vector_io(SYS_pwritev2, a, false, 6);
}

static int64_t sys_lseek(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(lseek((int)a[0], (off_t)a[1], (int)a[2]));
}

/* ---- stat ---- */

static int64_t fs_put_stat(uint64_t addr, const struct stat *st)
{
    GuestStat g = {
        .st_dev = st->st_dev,
        .st_ino = st->st_ino,
        .st_mode = st->st_mode,
        .st_nlink = (uint32_t)st->st_nlink,
        .st_uid = st->st_uid,
        .st_gid = st->st_gid,
        .st_rdev = st->st_rdev,
        .st_size = st->st_size,
        .st_blksize = (int32_t)st->st_blksize,
        .st_blocks = st->st_blocks,
        .st_atime_sec = st->st_atim.tv_sec,
        .st_atime_nsec = st->st_atim.tv_nsec,
        .st_mtime_sec = st->st_mtim.tv_sec,
        .st_mtime_nsec = st->st_mtim.tv_nsec,
        .st_ctime_sec = st->st_ctim.tv_sec,
        .st_ctime_nsec = st->st_ctim.tv_nsec,
    };

    return copy_to_guest(addr, &g, sizeof(g)) ? 0 : -EFAULT;
}

static int64_t sys_fstat(TaskState *ts, const uint64_t *a)
{
    struct stat st;

    if (fstat((int)a[0], &st) < 0) {
        return syscall_errno();
    }
    return fs_put_stat(a[1], &st);
}

static int64_t sys_newfstatat(TaskState *ts, const uint64_t *a)
{
    struct stat st;
    GET_PATH(path, a[1]);

    if (fstatat((int)a[0], path, &st, (int)a[3]) < 0) {
        return syscall_errno();
    }
    return fs_put_stat(a[2], &st);
}

/* struct statx is made of fixed-width fields, the same on every
 * architecture: it is copied as a whole. */
G_STATIC_ASSERT(sizeof(struct statx) == 256);

static int64_t sys_statx(TaskState *ts, const uint64_t *a)
{
    struct statx stx;
    GET_PATH(path, a[1]);

    if (!guest_writable(a[4], sizeof(stx))) {
        return -EFAULT;
    }
    if (statx((int)a[0], path, (int)a[2], (unsigned)a[3], &stx) < 0) {
        return syscall_errno();
    }
    memcpy(g2h(a[4]), &stx, sizeof(stx));
    return 0;
}

static int64_t fs_put_statfs(uint64_t addr, const struct statfs *st)
{
    GuestStatfs g = {
        .f_type = st->f_type,
        .f_bsize = st->f_bsize,
        .f_blocks = st->f_blocks,
        .f_bfree = st->f_bfree,
        .f_bavail = st->f_bavail,
        .f_files = st->f_files,
        .f_ffree = st->f_ffree,
        .f_namelen = st->f_namelen,
        .f_frsize = st->f_frsize,
        .f_flags = st->f_flags,
    };

    memcpy(g.f_fsid, &st->f_fsid, sizeof(g.f_fsid));
    return copy_to_guest(addr, &g, sizeof(g)) ? 0 : -EFAULT;
}

static int64_t sys_statfs(TaskState *ts, const uint64_t *a)
{
    struct statfs st;
    GET_PATH(path, a[0]);

    if (statfs(path, &st) < 0) {
        return syscall_errno();
    }
    return fs_put_statfs(a[1], &st);
}

static int64_t sys_fstatfs(TaskState *ts, const uint64_t *a)
{
    struct statfs st;

    if (fstatfs((int)a[0], &st) < 0) {
        return syscall_errno();
    }
    return fs_put_statfs(a[1], &st);
}

static int64_t sys_faccessat(TaskState *ts, const uint64_t *a)
{
    GET_PATH(path, a[1]);
    return syscall_ret(syscall(SYS_faccessat, (int)a[0], path, (int)a[2]));
}

static int64_t sys_faccessat2(TaskState *ts, const uint64_t *a)
{
    GET_PATH(path, a[1]);
    return syscall_ret(syscall(SYS_faccessat2, (int)a[0], path, (int)a[2], (int)a[3]));
}

static int64_t sys_readlinkat(TaskState *ts, const uint64_t *a)
{
    const char *path = guest_path(a[1]);

    if (!path) {
        return -EFAULT;
    }
    if (!guest_writable(a[2], a[3])) {
        return -EFAULT;
    }
    if ((int64_t)a[3] <= 0) {
        return -EINVAL;
    }
    if (fs_proc_entry(path) == PROC_EXE) {
        /* as readlink: no NUL, cut to the buffer */
        size_t n = MIN(strlen(linux_process.exe_path), a[3]);

        memcpy(g2h(a[2]), linux_process.exe_path, n);
        return n;
    }
    return syscall_ret(readlinkat((int)a[0], path, g2h(a[2]), a[3]));
}

static int64_t sys_getdents64(TaskState *ts, const uint64_t *a)
{
    /* struct linux_dirent64 is the same everywhere */
    if (!guest_writable(a[1], a[2])) {
        return -EFAULT;
    }
    return syscall_ret(syscall(SYS_getdents64, (int)a[0], g2h(a[1]), (unsigned)a[2]));
}

/* ---- names ---- */

static int64_t sys_mkdirat(TaskState *ts, const uint64_t *a)
{
    GET_PATH(path, a[1]);
    return syscall_ret(mkdirat((int)a[0], path, (mode_t)a[2]));
}

static int64_t sys_mknodat(TaskState *ts, const uint64_t *a)
{
    GET_PATH(path, a[1]);
    return syscall_ret(mknodat((int)a[0], path, (mode_t)a[2], (dev_t)a[3]));
}

static int64_t sys_unlinkat(TaskState *ts, const uint64_t *a)
{
    GET_PATH(path, a[1]);
    return syscall_ret(unlinkat((int)a[0], path, (int)a[2]));
}

static int64_t sys_renameat2(TaskState *ts, const uint64_t *a)
{
    GET_PATH(from, a[1]);
    GET_PATH(to, a[3]);
    return syscall_ret(syscall(SYS_renameat2, (int)a[0], from, (int)a[2], to, (unsigned)a[4]));
}

static int64_t sys_renameat(TaskState *ts, const uint64_t *a)
{
    uint64_t b[6] = { a[0], a[1], a[2], a[3], 0, 0 };
    return sys_renameat2(ts, b);
}

static int64_t sys_linkat(TaskState *ts, const uint64_t *a)
{
    GET_PATH(from, a[1]);
    GET_PATH(to, a[3]);
    return syscall_ret(linkat((int)a[0], from, (int)a[2], to, (int)a[4]));
}

static int64_t sys_symlinkat(TaskState *ts, const uint64_t *a)
{
    const char *target = guest_path(a[0]);
    GET_PATH(path, a[2]);

    if (!target) {
        return -EFAULT;
    }
    return syscall_ret(symlinkat(target, (int)a[1], path));
}

/* ---- permissions, owners, times, sizes ---- */

static int64_t sys_fchmod(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(fchmod((int)a[0], (mode_t)a[1]));
}

static int64_t sys_fchmodat(TaskState *ts, const uint64_t *a)
{
    GET_PATH(path, a[1]);
    return syscall_ret(syscall(SYS_fchmodat, (int)a[0], path, (mode_t)a[2]));
}

static int64_t sys_fchmodat2(TaskState *ts, const uint64_t *a)
{
    GET_PATH(path, a[1]);
    if (a[3] == 0) {
        return syscall_ret(syscall(SYS_fchmodat, (int)a[0], path, (mode_t)a[2]));
    }
    /* a host without fchmodat2 answers ENOSYS, which glibc handles */
    return syscall_ret(syscall(HOST_SYS_fchmodat2, (int)a[0], path, (mode_t)a[2], (int)a[3]));
}

static int64_t sys_fchown(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(fchown((int)a[0], (uid_t)a[1], (gid_t)a[2]));
}

static int64_t sys_fchownat(TaskState *ts, const uint64_t *a)
{
    GET_PATH(path, a[1]);
    return syscall_ret(fchownat((int)a[0], path, (uid_t)a[2], (gid_t)a[3], (int)a[4]));
}

static int64_t sys_utimensat(TaskState *ts, const uint64_t *a)
{
    GuestTimespec g[2];
    struct timespec t[2];
    g_autofree char *alloc = NULL;
    const char *path = NULL;

    /* a NULL path is futimens on the fd */
    if (a[1]) {
        path = fs_path_arg(a[1], &alloc);
        if (!path) {
            return -EFAULT;
        }
    }
    if (a[2]) {
        if (!copy_from_guest(g, a[2], sizeof(g))) {
            return -EFAULT;
        }
        for (int i = 0; i < 2; i++) {
            t[i].tv_sec = g[i].tv_sec;
            t[i].tv_nsec = g[i].tv_nsec;
        }
    }
    return syscall_ret(syscall(SYS_utimensat, (int)a[0], path, a[2] ? t : NULL, (int)a[3]));
}

static int64_t sys_truncate(TaskState *ts, const uint64_t *a)
{
    GET_PATH(path, a[0]);
    return syscall_ret(truncate(path, (off_t)a[1]));
}

static int64_t sys_ftruncate(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(ftruncate((int)a[0], (off_t)a[1]));
}

static int64_t sys_fallocate(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(fallocate((int)a[0], (int)a[1], (off_t)a[2], (off_t)a[3]));
}

static int64_t sys_fadvise64(TaskState *ts, const uint64_t *a)
{
    /* posix_fadvise returns the error number instead of setting errno */
    return -posix_fadvise((int)a[0], (off_t)a[1], (off_t)a[2], (int)a[3]);
}

static int64_t sys_readahead(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(readahead((int)a[0], (off64_t)a[1], a[2]));
}

static int64_t sys_fsync(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(fsync((int)a[0]));
}

static int64_t sys_fdatasync(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(fdatasync((int)a[0]));
}

static int64_t sys_sync(TaskState *ts, const uint64_t *a)
{
    sync();
    return 0;
}

static int64_t sys_syncfs(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(syncfs((int)a[0]));
}

static int64_t sys_sync_file_range(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(sync_file_range((int)a[0], (off64_t)a[1], (off64_t)a[2],
                                       (unsigned)a[3]));
}

/* ---- extended attributes ---- */

/*
 * Each xattr call comes as path / lpath (no symlink follow) / fd forms:
 * the first argument is a path or an fd, the rest the same. One helper per
 * operation takes the host syscall numbers of the three forms.
 */
typedef struct XattrNrs {
    long path, lpath, fd;
} XattrNrs;

typedef enum { XATTR_PATH, XATTR_LPATH, XATTR_FD } XattrForm;

/* The first argument for the host: an fd or a checked path. */
static bool fs_xattr_target(XattrForm form, uint64_t arg, long *target, char **alloc)
{
    const char *path;

    if (form == XATTR_FD) {
        *target = (int)arg;
        return true;
    }
    path = fs_path_arg(arg, alloc);
    *target = (long)path;
    return path != NULL;
}

static long fs_xattr_nr(const XattrNrs *nrs, XattrForm form)
{
    return form == XATTR_PATH ? nrs->path : form == XATTR_LPATH ? nrs->lpath : nrs->fd;
}

/* getxattr(target, name, value, size) and setxattr(..., flags). */
static int64_t fs_xattr_value(const XattrNrs *nrs, XattrForm form, const uint64_t *a,
                              bool set)
{
    g_autofree char *alloc = NULL;
    const char *name = guest_string(a[1], 256);
    long target;
    bool ok;

    if (!fs_xattr_target(form, a[0], &target, &alloc) || !name) {
        return -EFAULT;
    }
    ok = set ? guest_readable(a[2], a[3]) : guest_writable(a[2], a[3]);
    if (!ok) {
        return -EFAULT;
    }
    return syscall_ret(syscall(fs_xattr_nr(nrs, form), target, name,
                               a[3] ? g2h(a[2]) : NULL, a[3], (int)a[4]));
}

/* listxattr(target, list, size). */
static int64_t fs_xattr_list(XattrForm form, const uint64_t *a)
{
    static const XattrNrs nrs = { SYS_listxattr, SYS_llistxattr, SYS_flistxattr };
    g_autofree char *alloc = NULL;
    long target;

    if (!fs_xattr_target(form, a[0], &target, &alloc) || !guest_writable(a[1], a[2])) {
        return -EFAULT;
    }
    return syscall_ret(syscall(fs_xattr_nr(&nrs, form), target, a[2] ? g2h(a[1]) : NULL,
                               a[2]));
}

/* removexattr(target, name). */
static int64_t fs_xattr_remove(XattrForm form, const uint64_t *a)
{
    static const XattrNrs nrs = { SYS_removexattr, SYS_lremovexattr, SYS_fremovexattr };
    g_autofree char *alloc = NULL;
    const char *name = guest_string(a[1], 256);
    long target;

    if (!fs_xattr_target(form, a[0], &target, &alloc) || !name) {
        return -EFAULT;
    }
    return syscall_ret(syscall(fs_xattr_nr(&nrs, form), target, name));
}

static const XattrNrs xattr_get_nrs = { SYS_getxattr, SYS_lgetxattr, SYS_fgetxattr };
static const XattrNrs xattr_set_nrs = { SYS_setxattr, SYS_lsetxattr, SYS_fsetxattr };

#define XATTR_HANDLERS(form, suffix)                                                   \
    static int64_t sys_get##suffix(TaskState *ts, const uint64_t *a)                   \
    {                                                                                  \
        return fs_xattr_value(&xattr_get_nrs, form, a, false);                         \
    }                                                                                  \
    static int64_t sys_set##suffix(TaskState *ts, const uint64_t *a)                   \
    {                                                                                  \
        return fs_xattr_value(&xattr_set_nrs, form, a, true);                          \
    }                                                                                  \
    static int64_t sys_list##suffix(TaskState *ts, const uint64_t *a)                  \
    {                                                                                  \
        return fs_xattr_list(form, a);                                                 \
    }                                                                                  \
    static int64_t sys_remove##suffix(TaskState *ts, const uint64_t *a)                \
    {                                                                                  \
        return fs_xattr_remove(form, a);                                               \
    }

XATTR_HANDLERS(XATTR_PATH, xattr)
XATTR_HANDLERS(XATTR_LPATH, xattr_l)
XATTR_HANDLERS(XATTR_FD, xattr_f)

/* ---- the working directory ---- */

static int64_t sys_chdir(TaskState *ts, const uint64_t *a)
{
    GET_PATH(path, a[0]);
    return syscall_ret(chdir(path));
}

static int64_t sys_fchdir(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(fchdir((int)a[0]));
}

static int64_t sys_chroot(TaskState *ts, const uint64_t *a)
{
    GET_PATH(path, a[0]);
    return syscall_ret(chroot(path));
}

static int64_t sys_getcwd(TaskState *ts, const uint64_t *a)
{
    if (!guest_writable(a[0], a[1])) {
        return -EFAULT;
    }
    /* the raw syscall: returns the length including the NUL */
    return syscall_ret(syscall(SYS_getcwd, g2h(a[0]), a[1]));
}

static int64_t sys_umask(TaskState *ts, const uint64_t *a)
{
    return umask((mode_t)a[0]);
}

const SyscallDef syscalls_fs[] = {
    { "openat", sys_openat, "fsOm" },
    { "close", sys_close, "d" },
    { "close_range", sys_close_range, "uux" },
    { "read", sys_read, "dpu" },
    { "write", sys_write, "dbu" },
    { "pread64", sys_pread64, "dpul" },
    { "pwrite64", sys_pwrite64, "dbul" },
    { "readv", sys_readv, "dpu" },
    { "writev", sys_writev, "dpu" },
    { "preadv", sys_preadv, "dpul" },
    { "pwritev", sys_pwritev, "dpul" },
    { "preadv2", sys_preadv2, "dpulxx" },
    { "pwritev2", sys_pwritev2, "dpulxx" },
    { "lseek", sys_lseek, "dld" },
    { "fstat", sys_fstat, "dp" },
    { "newfstatat", sys_newfstatat, "fspa" },
    { "statx", sys_statx, "fsaxp" },
    { "statfs", sys_statfs, "sp" },
    { "fstatfs", sys_fstatfs, "dp" },
    { "faccessat", sys_faccessat, "fsd" },
    { "faccessat2", sys_faccessat2, "fsda" },
    { "readlinkat", sys_readlinkat, "fspu" },
    { "getdents64", sys_getdents64, "dpu" },
    { "mkdirat", sys_mkdirat, "fso" },
    { "mknodat", sys_mknodat, "fsox" },
    { "unlinkat", sys_unlinkat, "fsa" },
    { "renameat", sys_renameat, "fsfs" },
    { "renameat2", sys_renameat2, "fsfsx" },
    { "linkat", sys_linkat, "fsfsa" },
    { "symlinkat", sys_symlinkat, "sfs" },
    { "fchmod", sys_fchmod, "do" },
    { "fchmodat", sys_fchmodat, "fso" },
    { "fchmodat2", sys_fchmodat2, "fsoa" },
    { "fchown", sys_fchown, "ddd" },
    { "fchownat", sys_fchownat, "fsdda" },
    { "utimensat", sys_utimensat, "fspa" },
    { "truncate", sys_truncate, "sl" },
    { "ftruncate", sys_ftruncate, "dl" },
    { "fallocate", sys_fallocate, "dxll" },
    { "fadvise64", sys_fadvise64, "dlld" },
    { "readahead", sys_readahead, "dlu" },
    { "fsync", sys_fsync, "d" },
    { "fdatasync", sys_fdatasync, "d" },
    { "sync", sys_sync, "" },
    { "syncfs", sys_syncfs, "d" },
    { "sync_file_range", sys_sync_file_range, "dllx" },
    { "getxattr", sys_getxattr, "sspu" },
    { "lgetxattr", sys_getxattr_l, "sspu" },
    { "fgetxattr", sys_getxattr_f, "dspu" },
    { "setxattr", sys_setxattr, "ssbux" },
    { "lsetxattr", sys_setxattr_l, "ssbux" },
    { "fsetxattr", sys_setxattr_f, "dsbux" },
    { "listxattr", sys_listxattr, "spu" },
    { "llistxattr", sys_listxattr_l, "spu" },
    { "flistxattr", sys_listxattr_f, "dpu" },
    { "removexattr", sys_removexattr, "ss" },
    { "lremovexattr", sys_removexattr_l, "ss" },
    { "fremovexattr", sys_removexattr_f, "ds" },
    { "chdir", sys_chdir, "s" },
    { "fchdir", sys_fchdir, "d" },
    { "chroot", sys_chroot, "s" },
    { "getcwd", sys_getcwd, "pu" },
    { "umask", sys_umask, "o>o" },
    { NULL },
};
