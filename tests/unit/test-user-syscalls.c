/*
 * The Linux user-mode syscall layer without a guest CPU: handlers are
 * called through do_syscall with riscv64 numbers and guest addresses, and
 * the test checks what the guest would see in its memory (asm-generic
 * struct layouts at their fixed offsets), the errors for bad guest
 * pointers, brk, mmap, the emulated /proc entries, and -strace lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "linux-user/riscv64/target.h"
#include "linux-user/user.h"
#include "proteus/log.h"

/* A guest page for the test's arguments and results. */
#define SCRATCH 0x100000ull
#define SCRATCH_SIZE (16 * GUEST_PAGE_SIZE)
#define READONLY (SCRATCH + SCRATCH_SIZE)
/* A writable page with nothing mapped after it. */
#define TAIL 0x200000ull

static TaskState test_task;

static int nr_of(const char *name)
{
    for (const SyscallNr *n = riscv64_syscall_nrs; n->name; n++) {
        if (!strcmp(n->name, name)) {
            return n->nr;
        }
    }
    g_assert_not_reached();
}

static int64_t call(const char *name, uint64_t a0, uint64_t a1, uint64_t a2,
                    uint64_t a3, uint64_t a4, uint64_t a5)
{
    const uint64_t args[6] = { a0, a1, a2, a3, a4, a5 };

    return do_syscall(&test_task, nr_of(name), args);
}

/* Puts a string in guest memory at addr; returns addr. */
static uint64_t gstr(uint64_t addr, const char *s)
{
    memcpy(g2h(addr), s, strlen(s) + 1);
    return addr;
}

static void setup_once(void)
{
    g_autoptr(GError) err = NULL;

    g_assert_true(guest_mem_init((uint64_t)1 << 32, &err));
    g_assert_no_error(err);
    g_assert_cmpint(guest_mmap(SCRATCH, SCRATCH_SIZE, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), ==, SCRATCH);
    g_assert_cmpint(guest_mmap(READONLY, GUEST_PAGE_SIZE, PROT_READ,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), ==, READONLY);
    g_assert_cmpint(guest_mmap(TAIL, GUEST_PAGE_SIZE, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), ==, TAIL);
    linux_process.arch = &linux_arch_riscv64;
    linux_process.exe_path = g_strdup("/proc/self/cmdline");
    linux_process.brk_start = linux_process.brk_cur = 0x400000;
    linux_process.stack_low = 0x80000000;
    syscall_init(&linux_arch_riscv64);
    test_task.tid = getpid();
    task_set_self(&test_task);
}

static void test_read_write_faults(void)
{
    int p[2];

    g_assert_cmpint(pipe(p), ==, 0);
    memcpy(g2h(SCRATCH), "guest", 5);
    g_assert_cmpint(call("write", p[1], SCRATCH, 5, 0, 0, 0), ==, 5);
    /* unmapped source, read-only destination, unmapped destination */
    g_assert_cmpint(call("write", p[1], 0x10, 5, 0, 0, 0), ==, -EFAULT);
    g_assert_cmpint(call("read", p[0], READONLY, 5, 0, 0, 0), ==, -EFAULT);
    g_assert_cmpint(call("read", p[0], READONLY + GUEST_PAGE_SIZE, 5, 0, 0, 0), ==, -EFAULT);
    g_assert_cmpint(call("read", p[0], SCRATCH + 100, 5, 0, 0, 0), ==, 5);
    g_assert_cmpmem(g2h(SCRATCH + 100), 5, "guest", 5);
    /* a buffer running off the end of the mapping */
    g_assert_cmpint(call("read", p[0], READONLY - 2, 5, 0, 0, 0), ==, -EFAULT);
    close(p[0]);
    close(p[1]);
    g_assert_cmpint(call("close", p[0], 0, 0, 0, 0, 0), ==, -EBADF);
}

static void test_unknown_syscall(void)
{
    g_assert_cmpint(call("io_setup", 0, 0, 0, 0, 0, 0), ==, -ENOSYS);
    g_assert_cmpint(do_syscall(&test_task, 100000, (uint64_t[6]){ 0 }), ==, -ENOSYS);
    g_assert_cmpint(do_syscall(&test_task, -1, (uint64_t[6]){ 0 }), ==, -ENOSYS);
}

/* asm-generic struct stat: st_mode at 16, st_size at 48, 128 bytes. */
static void test_fstat_layout(void)
{
    g_autofree char *path = NULL;
    int fd = g_file_open_tmp(NULL, &path, NULL);
    uint8_t *st = g2h(SCRATCH);
    uint32_t mode;
    int64_t size;

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, "0123456789abc", 13), ==, 13);
    memset(st, 0xee, 200);
    g_assert_cmpint(call("fstat", fd, SCRATCH, 0, 0, 0, 0), ==, 0);
    memcpy(&mode, st + 16, 4);
    memcpy(&size, st + 48, 8);
    g_assert_cmpint(size, ==, 13);
    g_assert_true(S_ISREG(mode));
    g_assert_cmpint(st[128], ==, 0xee);
    g_assert_cmpint(call("newfstatat", (uint64_t)AT_FDCWD, gstr(SCRATCH + 512, path),
                         SCRATCH, 0, 0, 0), ==, 0);
    memcpy(&size, st + 48, 8);
    g_assert_cmpint(size, ==, 13);
    g_assert_cmpint(call("fstat", fd, READONLY, 0, 0, 0, 0), ==, -EFAULT);
    close(fd);
    g_unlink(path);
}

static void test_proc_self_exe(void)
{
    const char *exe = linux_process.exe_path;
    int64_t n = call("readlinkat", (uint64_t)AT_FDCWD, gstr(SCRATCH, "/proc/self/exe"),
                     SCRATCH + 256, 256, 0, 0);

    g_assert_cmpint(n, ==, strlen(exe));
    g_assert_cmpmem(g2h(SCRATCH + 256), n, exe, n);
    /* cut to the buffer, no NUL */
    g_assert_cmpint(call("readlinkat", (uint64_t)AT_FDCWD, SCRATCH, SCRATCH + 256, 3, 0, 0),
                    ==, 3);
    int64_t fd = call("openat", (uint64_t)AT_FDCWD, SCRATCH, O_RDONLY, 0, 0, 0);
    g_autofree char *want = NULL;
    char got[64] = "";
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(read((int)fd, got, sizeof(got) - 1), >, 0);
    g_assert_true(g_file_get_contents(exe, &want, NULL, NULL));
    g_assert_cmpstr(got, ==, want);
    close((int)fd);
}

static void test_proc_self_maps(void)
{
    g_autofree char *line = g_strdup_printf("%08llx-%08llx r--p 00000000 00:00 0\n",
                                            READONLY, READONLY + GUEST_PAGE_SIZE);
    g_autofree char *rw = g_strdup_printf("%08llx-%08llx rw-p ", SCRATCH, READONLY);
    char text[4096] = "";
    int64_t fd = call("openat", (uint64_t)AT_FDCWD, gstr(SCRATCH, "/proc/self/maps"),
                      O_RDONLY, 0, 0, 0);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(read((int)fd, text, sizeof(text) - 1), >, 0);
    close((int)fd);
    g_assert_nonnull(strstr(text, line));
    g_assert_nonnull(strstr(text, rw));
    g_assert_cmpint(call("openat", (uint64_t)AT_FDCWD, SCRATCH, O_RDWR, 0, 0, 0), ==, -EACCES);
}

static void test_brk(void)
{
    uint64_t start = linux_process.brk_start;

    g_assert_cmpint(call("brk", 0, 0, 0, 0, 0, 0), ==, start);
    g_assert_cmpint(call("brk", start + 5000, 0, 0, 0, 0, 0), ==, start + 5000);
    g_assert_true(guest_writable(start, 2 * GUEST_PAGE_SIZE));
    memset(g2h(start), 0x5a, 5000);
    /* shrinking gives whole pages back; growing again finds zeros */
    g_assert_cmpint(call("brk", start + 100, 0, 0, 0, 0, 0), ==, start + 100);
    g_assert_false(guest_writable(start + GUEST_PAGE_SIZE, 1));
    g_assert_cmpint(call("brk", start + 2 * GUEST_PAGE_SIZE, 0, 0, 0, 0, 0), ==,
                    start + 2 * GUEST_PAGE_SIZE);
    g_assert_cmpint(*(uint8_t *)g2h(start + GUEST_PAGE_SIZE), ==, 0);
    g_assert_cmpint(*(uint8_t *)g2h(start + 99), ==, 0x5a);
    /* a mapping in the way: the break stays */
    g_assert_cmpint(guest_mmap(start + 4 * GUEST_PAGE_SIZE, GUEST_PAGE_SIZE, PROT_READ,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), >, 0);
    g_assert_cmpint(call("brk", start + 8 * GUEST_PAGE_SIZE, 0, 0, 0, 0, 0), ==,
                    start + 2 * GUEST_PAGE_SIZE);
    g_assert_cmpint(guest_page_flags(start + 4 * GUEST_PAGE_SIZE) & GUEST_PAGE_WRITE, ==, 0);
    /* below the start: unchanged */
    g_assert_cmpint(call("brk", start - GUEST_PAGE_SIZE, 0, 0, 0, 0, 0), ==,
                    start + 2 * GUEST_PAGE_SIZE);
    g_assert_cmpint(call("brk", start, 0, 0, 0, 0, 0), ==, start);
    guest_munmap(start + 4 * GUEST_PAGE_SIZE, GUEST_PAGE_SIZE);
}

static void test_mmap_file(void)
{
    g_autofree char *path = NULL;
    int fd = g_file_open_tmp(NULL, &path, NULL);
    int64_t addr;

    g_assert_cmpint(write(fd, "mapped file", 11), ==, 11);
    addr = call("mmap", 0, 100, PROT_READ, MAP_SHARED, fd, 0);
    g_assert_cmpint(addr, >, 0);
    g_assert_cmpint(addr & (GUEST_PAGE_SIZE - 1), ==, 0);
    g_assert_cmpmem(g2h(addr), 11, "mapped file", 11);
    g_assert_true(guest_readable(addr, 1));
    g_assert_false(guest_writable(addr, 1));
    g_assert_cmpint(call("munmap", addr, 100, 0, 0, 0, 0), ==, 0);
    g_assert_false(guest_readable(addr, 1));
    g_assert_cmpint(call("mmap", 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
                         (uint64_t)-1, 0), ==, -EINVAL);
    g_assert_cmpint(call("mprotect", addr, GUEST_PAGE_SIZE, PROT_READ, 0, 0, 0), ==, -ENOMEM);
    /* page zero is never the guest's */
    g_assert_cmpint(call("mmap", 0, GUEST_PAGE_SIZE, PROT_READ,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, (uint64_t)-1, 0), ==, -EPERM);
    close(fd);
    g_unlink(path);
}

/* riscv64's struct epoll_event is 16 bytes (x86-64's is packed, 12). */
static void test_epoll_layout(void)
{
    int p[2];
    int64_t ep = call("epoll_create1", 0, 0, 0, 0, 0, 0);
    uint32_t events = 1;     /* EPOLLIN */
    uint64_t data = 0x1122334455667788ull, out_data;
    uint8_t *ev = g2h(SCRATCH);

    g_assert_cmpint(ep, >=, 0);
    g_assert_cmpint(pipe(p), ==, 0);
    memset(ev, 0, 64);
    memcpy(ev, &events, 4);
    memcpy(ev + 8, &data, 8);
    g_assert_cmpint(call("epoll_ctl", ep, 1 /* ADD */, p[0], SCRATCH, 0, 0), ==, 0);
    g_assert_cmpint(write(p[1], "x", 1), ==, 1);
    memset(ev, 0xff, 64);
    g_assert_cmpint(call("epoll_pwait", ep, SCRATCH, 4, 1000, 0, 8), ==, 1);
    memcpy(&events, ev, 4);
    memcpy(&out_data, ev + 8, 8);
    g_assert_cmpint(events, ==, 1);
    g_assert_cmpuint(out_data, ==, data);
    g_assert_cmpint(ev[16], ==, 0xff);
    g_assert_cmpint(call("epoll_pwait", ep, READONLY, 4, 0, 0, 8), ==, -EFAULT);
    close(p[0]);
    close(p[1]);
    close((int)ep);
}

static void test_uname(void)
{
    g_assert_cmpint(call("uname", SCRATCH, 0, 0, 0, 0, 0), ==, 0);
    /* six 65-byte fields: machine is the fifth */
    g_assert_cmpstr((char *)g2h(SCRATCH + 4 * 65), ==, "riscv64");
    g_assert_cmpint(call("uname", READONLY, 0, 0, 0, 0, 0), ==, -EFAULT);
}

static void test_guest_string(void)
{
    uint64_t end = TAIL + GUEST_PAGE_SIZE;

    /* a string running into unmapped memory is no string */
    memset(g2h(end - 4), 'x', 4);
    g_assert_null(guest_string(end - 4, 100));
    g_assert_null(guest_string(0, 100));
    memcpy(g2h(SCRATCH + GUEST_PAGE_SIZE - 3), "abcdef", 7);
    g_assert_cmpstr(guest_string(SCRATCH + GUEST_PAGE_SIZE - 3, 100), ==, "abcdef");
    g_assert_null(guest_string(SCRATCH + GUEST_PAGE_SIZE - 3, 6));
    g_assert_nonnull(guest_string(SCRATCH + GUEST_PAGE_SIZE - 3, 7));
    g_assert_cmpint(call("openat", (uint64_t)AT_FDCWD, end - 4, O_RDONLY, 0, 0, 0), ==,
                    -EFAULT);
}

/* -strace lines for a few calls, exactly. */
static void test_strace(void)
{
    g_autofree char *path = NULL, *text = NULL, *expected = NULL;
    g_autoptr(GError) err = NULL;
    int fd = g_file_open_tmp(NULL, &path, NULL);

    close(fd);
    g_assert_true(log_set_file(path, &err));
    log_set_mask(LOG_STRACE);
    call("openat", (uint64_t)AT_FDCWD, gstr(SCRATCH, "/nonexistent/x"),
         O_RDONLY | O_CLOEXEC, 0, 0, 0);
    call("mmap", 0, 0, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0);
    memcpy(g2h(SCRATCH), "hi\n\"", 4);
    call("write", 1000, SCRATCH, 4, 0, 0, 0);
    call("io_setup", 1, 2, 0, 0, 0, 0);
    log_set_mask(0);
    g_assert_true(log_set_file(NULL, &err));
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    expected = g_strdup_printf(
        "%d openat(AT_FDCWD,\"/nonexistent/x\",O_RDONLY|O_CLOEXEC)"
        " = -1 errno=2 (No such file or directory)\n"
        "%d mmap(NULL,0,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0)"
        " = -1 errno=22 (Invalid argument)\n"
        "%d write(1000,\"hi\\n\\\"\",4) = -1 errno=9 (Bad file descriptor)\n"
        "%d io_setup(0x1,0x2,0x0,0x0,0x0,0x0) = -1 errno=38 (Function not implemented)\n",
        test_task.tid, test_task.tid, test_task.tid, test_task.tid);
    g_assert_cmpstr(text, ==, expected);
    g_unlink(path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    setup_once();
    g_test_add_func("/user-syscalls/read-write-faults", test_read_write_faults);
    g_test_add_func("/user-syscalls/unknown", test_unknown_syscall);
    g_test_add_func("/user-syscalls/fstat-layout", test_fstat_layout);
    g_test_add_func("/user-syscalls/proc-self-exe", test_proc_self_exe);
    g_test_add_func("/user-syscalls/proc-self-maps", test_proc_self_maps);
    g_test_add_func("/user-syscalls/brk", test_brk);
    g_test_add_func("/user-syscalls/mmap-file", test_mmap_file);
    g_test_add_func("/user-syscalls/epoll-layout", test_epoll_layout);
    g_test_add_func("/user-syscalls/uname", test_uname);
    g_test_add_func("/user-syscalls/guest-string", test_guest_string);
    g_test_add_func("/user-syscalls/strace", test_strace);
    return g_test_run();
}
