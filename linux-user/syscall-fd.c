/*
 * Syscalls on file descriptors as such: dup, fcntl (with struct flock
 * converted), flock, pipes, terminal and file ioctls (termios and winsize
 * converted field by field), moving data between descriptors (sendfile,
 * copy_file_range, splice, tee), and the descriptor factories memfd,
 * eventfd and inotify.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "linux-user/riscv64/target-structs.h"
#include "linux-user/safe-syscall.h"
#include "linux-user/syscall-defs.h"
#include "proteus/log.h"

/* asm-generic/fcntl.h's struct flock on a 64-bit architecture. */
typedef struct GuestFlock {
    int16_t l_type;
    int16_t l_whence;
    uint32_t pad;
    int64_t l_start;
    int64_t l_len;
    int32_t l_pid;
    uint32_t pad2;
} GuestFlock;
G_STATIC_ASSERT(sizeof(GuestFlock) == 32);

/* The asm-generic ioctl numbers, which x86-64 shares (checked below). */
enum {
    GUEST_TCGETS = 0x5401, GUEST_TCSETS = 0x5402, GUEST_TCSETSW = 0x5403,
    GUEST_TCSETSF = 0x5404, GUEST_TCSBRK = 0x5409, GUEST_TCXONC = 0x540a,
    GUEST_TCFLSH = 0x540b, GUEST_TIOCEXCL = 0x540c, GUEST_TIOCNXCL = 0x540d,
    GUEST_TIOCSCTTY = 0x540e, GUEST_TIOCGPGRP = 0x540f, GUEST_TIOCSPGRP = 0x5410,
    GUEST_TIOCOUTQ = 0x5411, GUEST_TIOCGWINSZ = 0x5413, GUEST_TIOCSWINSZ = 0x5414,
    GUEST_FIONREAD = 0x541b, GUEST_TIOCNOTTY = 0x5422, GUEST_FIONBIO = 0x5421,
    GUEST_TIOCGSID = 0x5429, GUEST_FIONCLEX = 0x5450, GUEST_FIOCLEX = 0x5451,
    GUEST_FIOASYNC = 0x5452, GUEST_TIOCGPTN = 0x80045430, GUEST_TIOCSPTLCK = 0x40045431,
};
G_STATIC_ASSERT(TCGETS == GUEST_TCGETS && TIOCGWINSZ == GUEST_TIOCGWINSZ);
G_STATIC_ASSERT(FIONREAD == GUEST_FIONREAD && FIONBIO == GUEST_FIONBIO);
G_STATIC_ASSERT(TIOCGPTN == GUEST_TIOCGPTN && TIOCSPTLCK == GUEST_TIOCSPTLCK);
/* termios flags and c_cc indices pass through: the host's must be the
 * asm-generic values too. */
G_STATIC_ASSERT(VMIN == 6 && VTIME == 5 && VEOF == 4 && VINTR == 0);
G_STATIC_ASSERT(ICANON == 0x2 && ECHO == 0x8 && ISIG == 0x1 && ICRNL == 0x100);
G_STATIC_ASSERT(OPOST == 0x1 && CSIZE == 0x30 && CBAUD == 0x100f);

/* ---- dup, fcntl, flock, pipes ---- */

static int64_t sys_dup(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(dup((int)a[0]));
}

static int64_t sys_dup3(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(dup3((int)a[0], (int)a[1], (int)a[2]));
}

static int64_t fd_lock(int fd, int cmd, uint64_t addr)
{
    GuestFlock g;
    struct flock fl;
    int64_t ret;

    if (!copy_from_guest(&g, addr, sizeof(g))) {
        return -EFAULT;
    }
    fl = (struct flock) {
        .l_type = g.l_type, .l_whence = g.l_whence,
        .l_start = g.l_start, .l_len = g.l_len, .l_pid = g.l_pid,
    };
    /* F_SETLKW and F_OFD_SETLKW wait for the lock */
    ret = safe_syscall3(SYS_fcntl, fd, cmd, &fl);
    if (ret == 0 && (cmd == F_GETLK || cmd == F_OFD_GETLK)) {
        g.l_type = fl.l_type;
        g.l_whence = fl.l_whence;
        g.l_start = fl.l_start;
        g.l_len = fl.l_len;
        g.l_pid = fl.l_pid;
        if (!copy_to_guest(addr, &g, sizeof(g))) {
            return -EFAULT;
        }
    }
    return ret;
}

static int64_t sys_fcntl(TaskState *ts, const uint64_t *a)
{
    int fd = (int)a[0], cmd = (int)a[1];

    switch (cmd) {
    case F_GETLK: case F_SETLK: case F_SETLKW:
    case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
        return fd_lock(fd, cmd, a[2]);
    case F_DUPFD: case F_DUPFD_CLOEXEC: case F_SETFD: case F_SETFL:
    case F_SETOWN: case F_SETSIG: case F_SETLEASE: case F_NOTIFY:
    case F_SETPIPE_SZ: case F_ADD_SEALS:
        return syscall_ret(fcntl(fd, cmd, (int)a[2]));
    case F_GETFD: case F_GETFL: case F_GETOWN: case F_GETSIG: case F_GETLEASE:
    case F_GETPIPE_SZ: case F_GET_SEALS:
        return syscall_ret(fcntl(fd, cmd));
    case F_GETOWN_EX: case F_SETOWN_EX: {
        /* struct f_owner_ex: two ints on every architecture */
        struct f_owner_ex own;
        int64_t ret;

        if (!copy_from_guest(&own, a[2], sizeof(own))) {
            return -EFAULT;
        }
        ret = syscall_ret(fcntl(fd, cmd, &own));
        if (ret == 0 && cmd == F_GETOWN_EX && !copy_to_guest(a[2], &own, sizeof(own))) {
            return -EFAULT;
        }
        return ret;
    }
    default:
        log_mask(LOG_UNIMP, "fcntl: command %d not supported\n", cmd);
        return -EINVAL;
    }
}

static int64_t sys_flock(TaskState *ts, const uint64_t *a)
{
    return safe_syscall2(SYS_flock, (int)a[0], (int)a[1]);
}

static int64_t sys_pipe2(TaskState *ts, const uint64_t *a)
{
    int fds[2];

    if (!guest_writable(a[0], sizeof(fds))) {
        return -EFAULT;
    }
    if (pipe2(fds, (int)a[1]) < 0) {
        return syscall_errno();
    }
    memcpy(g2h(a[0]), fds, sizeof(fds));
    return 0;
}

/* ---- ioctl ---- */

static int64_t fd_tcgets(int fd, uint64_t addr)
{
    struct termios t;
    GuestTermios g = { 0 };

    if (tcgetattr(fd, &t) < 0) {
        return syscall_errno();
    }
    g.c_iflag = t.c_iflag;
    g.c_oflag = t.c_oflag;
    g.c_cflag = t.c_cflag;
    g.c_lflag = t.c_lflag;
    g.c_line = t.c_line;
    memcpy(g.c_cc, t.c_cc, MIN(sizeof(g.c_cc), sizeof(t.c_cc)));
    return copy_to_guest(addr, &g, sizeof(g)) ? 0 : -EFAULT;
}

static int64_t fd_tcsets(int fd, int request, uint64_t addr)
{
    struct termios t;
    GuestTermios g;
    int when = request == GUEST_TCSETS ? TCSANOW
             : request == GUEST_TCSETSW ? TCSADRAIN : TCSAFLUSH;

    if (!copy_from_guest(&g, addr, sizeof(g))) {
        return -EFAULT;
    }
    /* start from the current settings: keeps the speeds glibc stores apart */
    if (tcgetattr(fd, &t) < 0) {
        return syscall_errno();
    }
    t.c_iflag = g.c_iflag;
    t.c_oflag = g.c_oflag;
    t.c_cflag = g.c_cflag;
    t.c_lflag = g.c_lflag;
    t.c_line = g.c_line;
    memcpy(t.c_cc, g.c_cc, MIN(sizeof(g.c_cc), sizeof(t.c_cc)));
    return syscall_ret(tcsetattr(fd, when, &t));
}

static int64_t fd_winsize(int fd, int request, uint64_t addr)
{
    struct winsize w;
    GuestWinsize g;

    if (request == GUEST_TIOCSWINSZ) {
        if (!copy_from_guest(&g, addr, sizeof(g))) {
            return -EFAULT;
        }
        w = (struct winsize) { g.ws_row, g.ws_col, g.ws_xpixel, g.ws_ypixel };
        return syscall_ret(ioctl(fd, TIOCSWINSZ, &w));
    }
    if (ioctl(fd, TIOCGWINSZ, &w) < 0) {
        return syscall_errno();
    }
    g = (GuestWinsize) { w.ws_row, w.ws_col, w.ws_xpixel, w.ws_ypixel };
    return copy_to_guest(addr, &g, sizeof(g)) ? 0 : -EFAULT;
}

/* ioctls whose argument is a pointer to one int (in, out or both). */
static int64_t fd_ioctl_int(int fd, unsigned long request, uint64_t addr)
{
    int v;
    int64_t ret;

    if (!copy_from_guest(&v, addr, sizeof(v))) {
        return -EFAULT;
    }
    ret = syscall_ret(ioctl(fd, request, &v));
    if (ret >= 0 && !copy_to_guest(addr, &v, sizeof(v))) {
        return -EFAULT;
    }
    return ret;
}

static int64_t sys_ioctl(TaskState *ts, const uint64_t *a)
{
    int fd = (int)a[0];
    unsigned long request = (uint32_t)a[1];

    switch (request) {
    case GUEST_TCGETS:
        return fd_tcgets(fd, a[2]);
    case GUEST_TCSETS: case GUEST_TCSETSW: case GUEST_TCSETSF:
        return fd_tcsets(fd, (int)request, a[2]);
    case GUEST_TIOCGWINSZ: case GUEST_TIOCSWINSZ:
        return fd_winsize(fd, (int)request, a[2]);
    case GUEST_TIOCGPGRP: case GUEST_TIOCSPGRP: case GUEST_TIOCOUTQ:
    case GUEST_FIONREAD: case GUEST_FIONBIO: case GUEST_FIOASYNC:
    case GUEST_TIOCGSID: case GUEST_TIOCGPTN: case GUEST_TIOCSPTLCK:
        return fd_ioctl_int(fd, request, a[2]);
    case GUEST_FIOCLEX: case GUEST_FIONCLEX: case GUEST_TIOCEXCL:
    case GUEST_TIOCNXCL: case GUEST_TIOCNOTTY:
        return syscall_ret(ioctl(fd, request));
    case GUEST_TIOCSCTTY: case GUEST_TCFLSH: case GUEST_TCXONC:
        return syscall_ret(ioctl(fd, request, (int)a[2]));
    case GUEST_TCSBRK:
        /* tcdrain waits for the output to drain */
        return safe_syscall3(SYS_ioctl, fd, request, (int)a[2]);
    default:
        log_mask(LOG_UNIMP, "ioctl 0x%lx on fd %d not supported\n", request, fd);
        return -ENOTTY;
    }
}

/* ---- moving data between descriptors ---- */

/* An optional in/out loff_t argument: NULL, or a host copy of it. */
static bool fd_get_offset(uint64_t addr, int64_t *off, int64_t **p)
{
    *p = NULL;
    if (!addr) {
        return true;
    }
    if (!copy_from_guest(off, addr, sizeof(*off))) {
        return false;
    }
    *p = off;
    return true;
}

static bool fd_put_offset(uint64_t addr, const int64_t *off)
{
    return !addr || copy_to_guest(addr, off, sizeof(*off));
}

static int64_t sys_sendfile(TaskState *ts, const uint64_t *a)
{
    int64_t off, *p, ret;

    if (!fd_get_offset(a[2], &off, &p)) {
        return -EFAULT;
    }
    ret = safe_syscall4(SYS_sendfile, (int)a[0], (int)a[1], p, a[3]);
    return fd_put_offset(a[2], &off) ? ret : -EFAULT;
}

static int64_t sys_copy_file_range(TaskState *ts, const uint64_t *a)
{
    int64_t off_in, off_out, *p_in, *p_out, ret;

    if (!fd_get_offset(a[1], &off_in, &p_in) || !fd_get_offset(a[3], &off_out, &p_out)) {
        return -EFAULT;
    }
    ret = safe_syscall6(SYS_copy_file_range, (int)a[0], p_in, (int)a[2], p_out, a[4],
                        (unsigned)a[5]);
    if (!fd_put_offset(a[1], &off_in) || !fd_put_offset(a[3], &off_out)) {
        return -EFAULT;
    }
    return ret;
}

static int64_t sys_splice(TaskState *ts, const uint64_t *a)
{
    int64_t off_in, off_out, *p_in, *p_out, ret;

    if (!fd_get_offset(a[1], &off_in, &p_in) || !fd_get_offset(a[3], &off_out, &p_out)) {
        return -EFAULT;
    }
    ret = safe_syscall6(SYS_splice, (int)a[0], p_in, (int)a[2], p_out, a[4], (unsigned)a[5]);
    if (!fd_put_offset(a[1], &off_in) || !fd_put_offset(a[3], &off_out)) {
        return -EFAULT;
    }
    return ret;
}

static int64_t sys_tee(TaskState *ts, const uint64_t *a)
{
    return safe_syscall4(SYS_tee, (int)a[0], (int)a[1], a[2], (unsigned)a[3]);
}

/* ---- descriptor factories ---- */

static int64_t sys_memfd_create(TaskState *ts, const uint64_t *a)
{
    const char *name = guest_string(a[0], 250);

    if (!name) {
        return -EFAULT;
    }
    return syscall_ret(memfd_create(name, (unsigned)a[1]));
}

static int64_t sys_eventfd2(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(eventfd((unsigned)a[0], (int)a[1]));
}

static int64_t sys_inotify_init1(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(inotify_init1((int)a[0]));
}

static int64_t sys_inotify_add_watch(TaskState *ts, const uint64_t *a)
{
    const char *path = guest_path(a[1]);

    if (!path) {
        return -EFAULT;
    }
    return syscall_ret(inotify_add_watch((int)a[0], path, (uint32_t)a[2]));
}

static int64_t sys_inotify_rm_watch(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(inotify_rm_watch((int)a[0], (int)a[1]));
}

const SyscallDef syscalls_fd[] = {
    { "dup", sys_dup, "d" },
    { "dup3", sys_dup3, "ddC" },
    { "fcntl", sys_fcntl, "dFx" },
    { "flock", sys_flock, "dx" },
    { "pipe2", sys_pipe2, "pC" },
    { "ioctl", sys_ioctl, "dix" },
    { "sendfile", sys_sendfile, "ddpu" },
    { "copy_file_range", sys_copy_file_range, "dpdpux" },
    { "splice", sys_splice, "dpdpux" },
    { "tee", sys_tee, "ddux" },
    { "memfd_create", sys_memfd_create, "sx" },
    { "eventfd2", sys_eventfd2, "uC" },
    { "inotify_init1", sys_inotify_init1, "C" },
    { "inotify_add_watch", sys_inotify_add_watch, "dsx" },
    { "inotify_rm_watch", sys_inotify_rm_watch, "dd" },
    { NULL },
};
