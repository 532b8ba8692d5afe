/*
 * Linux system call test for a user-mode emulator: files and directories,
 * descriptors, pipes and polling, clocks, process identity, limits, memory
 * mappings (anonymous and file-backed), the argument and environment
 * vectors, and the exit status (3: run-test.sh checks it). Everything
 * printed is deterministic: descriptors, addresses, ids and times are
 * only compared, never printed raw. Run it in an empty scratch directory.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* Prints "WHAT = result", with the error text when it failed. */
static long show(const char *what, long r)
{
    if (r < 0) {
        printf("%s = %ld (%s)\n", what, r, strerror(errno));
    } else {
        printf("%s = %ld\n", what, r);
    }
    return r;
}
#define SHOW(expr) show(#expr, (long)(expr))

/* Prints whether COND holds, for values that may not be printed raw. */
#define CHECK(cond) printf("%s: %s\n", #cond, (cond) ? "yes" : "no")

static void test_args(int argc, char **argv, char **envp)
{
    const char *slash = strrchr(argv[0], '/');

    printf("argc = %d\n", argc);
    printf("argv[0] basename = %s\n", slash ? slash + 1 : argv[0]);
    for (int i = 1; i < argc; i++) {
        printf("argv[%d] = %s\n", i, argv[i]);
    }
    CHECK(argv[argc] == NULL);
    for (int i = 0; envp[i]; i++) {
        printf("envp[%d] = %s\n", i, envp[i]);
    }
    printf("getenv(PROTEUS_TEST) = %s\n", getenv("PROTEUS_TEST"));
}

static void test_file_io(void)
{
    char buf[64] = "";
    struct stat st;
    int fd;

    fd = open("data.txt", O_CREAT | O_EXCL | O_RDWR, 0640);
    CHECK(fd >= 0);
    SHOW(write(fd, "hello, world\n", 13));
    SHOW(lseek(fd, 0, SEEK_CUR));
    SHOW(lseek(fd, 7, SEEK_SET));
    SHOW(read(fd, buf, 5));
    printf("read: %.5s\n", buf);
    SHOW(lseek(fd, -6, SEEK_END));
    SHOW(lseek(fd, 100, SEEK_SET));
    SHOW(write(fd, "!", 1));
    SHOW(pwrite(fd, "HELLO", 5, 0));
    SHOW(lseek(fd, 0, SEEK_CUR));
    memset(buf, 0, sizeof(buf));
    SHOW(pread(fd, buf, 12, 0));
    printf("pread: %s\n", buf);
    SHOW(pread(fd, buf, sizeof(buf), 90));
    printf("pread hole: %d %d ... '%c'\n", buf[0], buf[9], buf[10]);
    SHOW(fstat(fd, &st));
    printf("fstat: size %lld, regular %d, mode %o, nlink %lu\n",
           (long long)st.st_size, S_ISREG(st.st_mode), st.st_mode & 0777,
           (unsigned long)st.st_nlink);
    SHOW(ftruncate(fd, 13));
    SHOW(stat("data.txt", &st));
    printf("stat: size %lld\n", (long long)st.st_size);
    SHOW(read(fd, buf, 1));
    SHOW(close(fd));
    SHOW(close(fd));
    SHOW(open("missing.txt", O_RDONLY));
    SHOW(open("data.txt", O_CREAT | O_EXCL | O_WRONLY, 0600));
    SHOW(lseek(0, 0, SEEK_CUR) >= 0 ? 0 : -1);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists DIR with raw getdents64, sorted: the kernel order is arbitrary. */
static void list_directory(const char *dir)
{
    char buf[512], *names[16];
    int n = 0, fd = open(dir, O_RDONLY | O_DIRECTORY);
    long len;

    CHECK(fd >= 0);
    while ((len = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
        for (long off = 0; off < len;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            if (n < 16) {
                names[n++] = strdup(d->d_name);
            }
            off += d->d_reclen;
        }
    }
    show("getdents64 at the end", len);
    qsort(names, n, sizeof(names[0]), compare_names);
    printf("%s:", dir);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
    close(fd);
}

static void test_directories(void)
{
    struct stat st;
    char cwd[4096];
    int dirfd;

    SHOW(mkdir("dir", 0755));
    SHOW(mkdir("dir", 0755));
    SHOW(mkdir("dir/sub", 0700));
    SHOW(rename("data.txt", "dir/moved.txt"));
    SHOW(access("data.txt", F_OK));
    SHOW(close(open("dir/b-file", O_CREAT | O_WRONLY, 0644)));
    SHOW(close(open("dir/a-file", O_CREAT | O_WRONLY, 0644)));
    SHOW(symlink("moved.txt", "dir/link"));
    list_directory("dir");

    dirfd = open("dir", O_RDONLY | O_DIRECTORY);
    CHECK(dirfd >= 0);
    SHOW(fstatat(dirfd, "moved.txt", &st, 0));
    printf("fstatat: size %lld\n", (long long)st.st_size);
    SHOW(fstatat(dirfd, "link", &st, AT_SYMLINK_NOFOLLOW));
    printf("fstatat nofollow: symlink %d\n", S_ISLNK(st.st_mode));
    SHOW(fstatat(AT_FDCWD, "dir/sub", &st, 0));
    printf("fstatat: directory %d\n", S_ISDIR(st.st_mode));
    SHOW(unlinkat(dirfd, "b-file", 0));
    SHOW(unlinkat(dirfd, "sub", AT_REMOVEDIR));
    SHOW(close(dirfd));
    SHOW(unlink("dir/link"));
    SHOW(unlink("dir/link"));
    SHOW(rmdir("dir"));
    list_directory("dir");

    SHOW(chdir("dir"));
    CHECK(getcwd(cwd, sizeof(cwd)) != NULL && strlen(cwd) > 4 &&
          strcmp(cwd + strlen(cwd) - 4, "/dir") == 0);
    SHOW(chdir(".."));
}

static void test_descriptors(void)
{
    int fd = open("fds.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    int copy;
    char c;

    CHECK(fd >= 0);
    copy = dup(fd);
    CHECK(copy >= 0 && copy != fd);
    SHOW(write(copy, "xyz", 3));
    SHOW(lseek(fd, 0, SEEK_CUR));
    SHOW(dup2(fd, 20));
    SHOW(dup2(20, 20));
    SHOW(dup3(fd, 21, O_CLOEXEC));
    SHOW(fcntl(21, F_GETFD) & FD_CLOEXEC);
    SHOW(fcntl(20, F_GETFD) & FD_CLOEXEC);
    SHOW(fcntl(20, F_SETFD, FD_CLOEXEC));
    SHOW(fcntl(20, F_GETFD) & FD_CLOEXEC);
    SHOW(fcntl(fd, F_DUPFD, 30));
    SHOW(fcntl(fd, F_DUPFD_CLOEXEC, 30));
    SHOW(fcntl(31, F_GETFD) & FD_CLOEXEC);
    SHOW(fcntl(fd, F_GETFL) & O_ACCMODE);
    SHOW(fcntl(fd, F_SETFL, O_APPEND));
    SHOW(lseek(fd, 0, SEEK_SET));
    SHOW(write(fd, "!", 1));
    SHOW(pread(20, &c, 1, 3));
    printf("appended: %c\n", c);
    SHOW((fcntl(20, F_GETFL) & O_APPEND) != 0);
    SHOW(fcntl(99, F_GETFD));
    SHOW(dup2(99, 22));
    for (int i = 20; i <= 31; i++) {
        close(i);
    }
    close(copy);
    close(fd);
    SHOW(unlink("fds.txt"));
}

static void test_pipes_and_polling(void)
{
    struct pollfd pfd;
    struct timespec zero = { 0, 0 };
    struct timeval tv = { 0, 0 };
    fd_set rd;
    int p[2];
    char buf[16];

    SHOW(pipe2(p, O_CLOEXEC));
    SHOW(fcntl(p[0], F_GETFD) & FD_CLOEXEC);
    pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
    SHOW(poll(&pfd, 1, 0));
    SHOW(write(p[1], "ping", 4));
    SHOW(poll(&pfd, 1, 1000));
    printf("revents POLLIN %d\n", (pfd.revents & POLLIN) != 0);
    SHOW(ppoll(&pfd, 1, &zero, NULL));
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    SHOW(select(p[0] + 1, &rd, NULL, NULL, &tv));
    printf("select: readable %d\n", FD_ISSET(p[0], &rd) != 0);
    SHOW(read(p[0], buf, sizeof(buf)));
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    tv = (struct timeval){ 0, 20000 };
    SHOW(select(p[0] + 1, &rd, NULL, NULL, &tv));
    SHOW(fcntl(p[0], F_SETFL, O_NONBLOCK));
    SHOW(read(p[0], buf, sizeof(buf)));
    SHOW(close(p[1]));
    SHOW(poll(&pfd, 1, 0));
    printf("revents POLLHUP %d\n", (pfd.revents & POLLHUP) != 0);
    SHOW(read(p[0], buf, sizeof(buf)));
    SHOW(close(p[0]));

    /* A write to a pipe with no reader: EPIPE once SIGPIPE is ignored. */
    signal(SIGPIPE, SIG_IGN);
    SHOW(pipe(p));
    SHOW(close(p[0]));
    SHOW(write(p[1], "x", 1));
    SHOW(close(p[1]));
    signal(SIGPIPE, SIG_DFL);
}

static double seconds(const struct timespec *t)
{
    return t->tv_sec + t->tv_nsec / 1e9;
}

static void test_time(void)
{
    struct timespec a, b, res, nap = { 0, 20 * 1000 * 1000 };

    SHOW(clock_gettime(CLOCK_MONOTONIC, &a));
    SHOW(nanosleep(&nap, NULL));
    SHOW(clock_gettime(CLOCK_MONOTONIC, &b));
    CHECK(seconds(&b) - seconds(&a) >= 0.02);
    CHECK(seconds(&b) - seconds(&a) < 5);
    SHOW(clock_gettime(CLOCK_REALTIME, &a));
    CHECK(a.tv_sec > 1600000000);
    SHOW(clock_getres(CLOCK_MONOTONIC, &res));
    CHECK(res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000);
    SHOW(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a));
    CHECK(time(NULL) > 1600000000);
    SHOW(clock_gettime((clockid_t)1000, &a));
}

static void test_identity(void)
{
    struct utsname u;
    struct rlimit lim, old;
    uint8_t random_bytes[32] = { 0 };
    char exe[4096];
    ssize_t n;
    int any = 0;

    SHOW(uname(&u));
    printf("sysname = %s, machine = %s\n", u.sysname, u.machine);
    CHECK(getpid() > 1);
    CHECK(getppid() > 0 && getppid() != getpid());
    CHECK(syscall(SYS_gettid) == getpid());
    CHECK(getuid() == geteuid() && getgid() == getegid());

    SHOW(getrandom(random_bytes, sizeof(random_bytes), 0));
    for (size_t i = 0; i < sizeof(random_bytes); i++) {
        any |= random_bytes[i];
    }
    CHECK(any != 0);

    SHOW(prlimit(0, RLIMIT_NOFILE, NULL, &old));
    lim = (struct rlimit){ .rlim_cur = 64, .rlim_max = old.rlim_max };
    SHOW(prlimit(0, RLIMIT_NOFILE, &lim, NULL));
    SHOW(getrlimit(RLIMIT_NOFILE, &lim));
    printf("RLIMIT_NOFILE soft = %llu\n", (unsigned long long)lim.rlim_cur);
    SHOW(dup2(1, 64));
    SHOW(prlimit(0, RLIMIT_NOFILE, &old, NULL));
    SHOW(getrlimit(RLIMIT_STACK, &lim));
    CHECK(lim.rlim_cur >= 1024 * 1024);

    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    CHECK(n > 0);
    exe[n > 0 ? n : 0] = '\0';
    CHECK(n > 9 && strcmp(exe + n - 9, "/syscalls") == 0);

    int fd = open("tty.txt", O_CREAT | O_RDWR, 0644);
    struct winsize ws;
    SHOW(ioctl(fd, TIOCGWINSZ, &ws));
    SHOW(isatty(fd));
    close(fd);
    unlink("tty.txt");
}

static void test_brk(void)
{
    uintptr_t start = syscall(SYS_brk, 0), end;
    char *p;

    CHECK(start != 0 && start % 4096 == 0);
    end = syscall(SYS_brk, start + 3 * 4096 + 17);
    CHECK(end == start + 3 * 4096 + 17);
    p = (char *)start;
    memset(p, 0xab, 3 * 4096 + 17);
    CHECK(p[3 * 4096 + 16] == (char)0xab);
    end = syscall(SYS_brk, start + 4096);
    CHECK(end == start + 4096);
    /* The pages given back come back zeroed. */
    end = syscall(SYS_brk, start + 3 * 4096);
    CHECK(end == start + 3 * 4096 && p[2 * 4096] == 0 && p[100] == (char)0xab);
    syscall(SYS_brk, start);
    p = malloc(1 << 20);
    CHECK(p != NULL);
    memset(p, 1, 1 << 20);
    free(p);
}

static void test_anonymous_mappings(void)
{
    size_t page = sysconf(_SC_PAGESIZE);
    char *p, *q;

    printf("page size = %zu\n", page);
    p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED && (uintptr_t)p % page == 0);
    CHECK(p[0] == 0 && p[4 * page - 1] == 0);
    memset(p, 'm', 4 * page);
    SHOW(mprotect(p + page, page, PROT_READ));
    CHECK(p[page] == 'm');
    SHOW(mprotect(p + page, page, PROT_READ | PROT_WRITE));
    p[page] = 'n';
    SHOW(munmap(p + 3 * page, page));
    q = mremap(p, 3 * page, 64 * page, MREMAP_MAYMOVE);
    CHECK(q != MAP_FAILED);
    CHECK(q[0] == 'm' && q[page] == 'n' && q[3 * page - 1] == 'm');
    CHECK(q[63 * page] == 0);
    q = mremap(q, 64 * page, 2 * page, 0);
    CHECK(q != MAP_FAILED && q[page] == 'n');
    SHOW(munmap(q, 2 * page));
    SHOW(munmap(p + 1, page));
    SHOW(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0);

    /* MAP_FIXED over a hole, then MAP_FIXED_NOREPLACE over the mapping. */
    p = mmap(NULL, 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    q = mmap(p, page, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(q == p);
    q[0] = 1;
    q = mmap(p, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
             -1, 0);
    SHOW(q == MAP_FAILED ? -1 : q == p ? 1 : 2);
    SHOW(munmap(p, 2 * page));
}

static void test_file_mappings(void)
{
    size_t page = sysconf(_SC_PAGESIZE), size = 2 * page + 100;
    char *buf = malloc(size), *priv, *shared, c;
    int fd = open("mapped.bin", O_CREAT | O_RDWR | O_TRUNC, 0644);

    for (size_t i = 0; i < size; i++) {
        buf[i] = 'a' + i % 26;
    }
    SHOW(write(fd, buf, size) == (ssize_t)size);
    priv = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(priv != MAP_FAILED);
    CHECK(memcmp(priv, buf, size) == 0);
    /* The rest of the last page reads as zeros. */
    CHECK(priv[size] == 0 && priv[3 * page - 1] == 0);
    priv[0] = 'P';

    shared = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, page);
    CHECK(shared != MAP_FAILED);
    CHECK(shared[0] == buf[page]);
    shared[1] = 'S';
    SHOW(msync(shared, page, MS_SYNC));
    SHOW(pread(fd, &c, 1, page + 1));
    printf("file after MAP_SHARED store: %c\n", c);
    SHOW(pread(fd, &c, 1, 0));
    printf("file after MAP_PRIVATE store: %c\n", c);
    SHOW(pwrite(fd, "W", 1, page + 2));
    printf("MAP_SHARED sees write(): %c\n", shared[2]);
    printf("MAP_PRIVATE sees its own copy: %c\n", priv[0]);
    SHOW(munmap(shared, page));
    SHOW(munmap(priv, size));
    SHOW(mmap(NULL, page, PROT_READ, MAP_SHARED, 1000, 0) == MAP_FAILED ? -1 : 0);
    close(fd);
    unlink("mapped.bin");
    free(buf);
}

int main(int argc, char **argv, char **envp)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    umask(022);
    test_args(argc, argv, envp);
    test_file_io();
    test_directories();
    test_descriptors();
    test_pipes_and_polling();
    test_time();
    test_identity();
    test_brk();
    test_anonymous_mappings();
    test_file_mappings();
    printf("exiting with 3\n");
    exit(3);
}
