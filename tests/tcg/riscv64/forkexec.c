/*
 * Process test for a user-mode emulator: fork and waitpid exit statuses,
 * vfork, posix_spawn, execve of this same program (through /proc/self/exe
 * and through argv[0], so the emulator must run the new image under
 * itself), pipes between parent and child, and children ended by signals
 * (WIFSIGNALED). The parent waits for each child before printing again,
 * so the output order is fixed.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *self_path;

/* What the program does when started again with "exec-child". */
static int run_as_exec_child(int argc, char **argv)
{
    const char *var = getenv("FORKEXEC_VAR");

    printf("exec child: argc %d, argv[2] %s, FORKEXEC_VAR %s, PROTEUS_TEST %s\n",
           argc, argc > 2 ? argv[2] : "-", var ? var : "unset",
           getenv("PROTEUS_TEST") ? "set" : "unset");
    return 9;
}

static void print_status(const char *what, pid_t pid, int status)
{
    if (pid < 0) {
        printf("%s: waitpid failed (%s)\n", what, strerror(errno));
    } else if (WIFEXITED(status)) {
        printf("%s: exited %d\n", what, WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        printf("%s: killed by signal %d\n", what, WTERMSIG(status));
    } else {
        printf("%s: status %#x\n", what, status);
    }
}

static void wait_and_print(const char *what, pid_t child)
{
    int status = 0;
    pid_t pid = waitpid(child, &status, 0);

    print_status(what, pid == child ? pid : -1, status);
}

static void test_fork(void)
{
    pid_t parent = getpid(), child;
    int status = 0;

    fflush(stdout);
    child = fork();
    if (child == 0) {
        printf("child: parent is ours %d, own pid differs %d\n",
               getppid() == parent, getpid() != parent);
        exit(42);
    }
    wait_and_print("fork child", child);

    fflush(stdout);
    child = fork();
    if (child == 0) {
        /* Only the low 8 bits of the status reach the parent. */
        exit(256 + 3);
    }
    wait_and_print("exit(259) child", child);

    int go[2];
    pipe(go);
    child = fork();
    if (child == 0) {
        char c;
        read(go[0], &c, 1);
        _exit(0);
    }
    printf("WNOHANG while running = %d\n", waitpid(child, &status, WNOHANG));
    write(go[1], "x", 1);
    wait_and_print("released child", child);
    close(go[0]);
    close(go[1]);
    pid_t none = waitpid(-1, &status, 0);
    printf("waitpid with no children = %d (%s)\n", none, strerror(errno));
}

static void test_vfork(void)
{
    pid_t child;

    fflush(stdout);
    child = vfork();
    if (child == 0) {
        _exit(7);
    }
    wait_and_print("vfork child", child);
}

static void exec_self(const char *path, const char *tag)
{
    char *const argv[] = { (char *)self_path, "exec-child", (char *)tag, NULL };
    char *const envp[] = { "FORKEXEC_VAR=from-parent", NULL };

    execve(path, argv, envp);
    printf("execve %s failed: %s\n", tag, strerror(errno));
    fflush(stdout);
    _exit(127);
}

static void test_exec(void)
{
    pid_t child;

    fflush(stdout);
    child = fork();
    if (child == 0) {
        exec_self("/proc/self/exe", "via-proc-self-exe");
    }
    wait_and_print("exec /proc/self/exe", child);

    fflush(stdout);
    child = vfork();
    if (child == 0) {
        exec_self(self_path, "via-argv0");
    }
    wait_and_print("vfork+exec argv[0]", child);

    char *const argv[] = { (char *)self_path, "exec-child", "via-posix-spawn", NULL };
    char *const envp[] = { "FORKEXEC_VAR=spawned", NULL };
    fflush(stdout);
    int rc = posix_spawn(&child, self_path, NULL, NULL, argv, envp);
    if (rc != 0) {
        printf("posix_spawn failed: %s\n", strerror(rc));
    } else {
        wait_and_print("posix_spawn", child);
    }
}

/* The child upper-cases what comes down one pipe and sends it back up. */
static void test_pipes(void)
{
    int down[2], up[2];
    char buf[256];
    ssize_t n;
    pid_t child;

    pipe(down);
    pipe(up);
    fflush(stdout);
    child = fork();
    if (child == 0) {
        close(down[1]);
        close(up[0]);
        while ((n = read(down[0], buf, sizeof(buf))) > 0) {
            for (ssize_t i = 0; i < n; i++) {
                buf[i] = toupper((unsigned char)buf[i]);
            }
            write(up[1], buf, n);
        }
        _exit(n == 0 ? 0 : 1);
    }
    close(down[0]);
    close(up[1]);
    write(down[1], "through a pipe", 14);
    close(down[1]);
    n = 0;
    for (ssize_t got; (got = read(up[0], buf + n, sizeof(buf) - 1 - n)) > 0;) {
        n += got;
    }
    buf[n] = '\0';
    printf("child sent back: %s\n", buf);
    close(up[0]);
    wait_and_print("pipe child", child);

    /* The child's stdout is the pipe; it runs this program again. */
    pipe(up);
    fflush(stdout);
    child = fork();
    if (child == 0) {
        dup2(up[1], 1);
        close(up[0]);
        close(up[1]);
        exec_self("/proc/self/exe", "stdout-to-pipe");
    }
    close(up[1]);
    n = 0;
    for (ssize_t got; (got = read(up[0], buf + n, sizeof(buf) - 1 - n)) > 0;) {
        n += got;
    }
    buf[n] = '\0';
    printf("exec child wrote %zd bytes through the pipe: %s", n,
           n > 0 ? buf : "(nothing)\n");
    close(up[0]);
    wait_and_print("exec child with piped stdout", child);
}

static volatile sig_atomic_t sigchld_seen;

static void on_sigchld(int sig)
{
    sigchld_seen = 1;
    (void)sig;
}

static pid_t fork_and_run(void (*fn)(void))
{
    pid_t child;

    fflush(stdout);
    child = fork();
    if (child == 0) {
        fn();
        _exit(0);
    }
    return child;
}

static void wait_forever(void)
{
    for (;;) {
        pause();
    }
}

static void crash(void)
{
    int *volatile bad = (int *)8;

    *bad = 0;
}

static void test_signals(void)
{
    pid_t child;

    signal(SIGCHLD, on_sigchld);
    child = fork_and_run(wait_forever);
    kill(child, SIGTERM);
    wait_and_print("SIGTERM child", child);
    child = fork_and_run(wait_forever);
    kill(child, SIGKILL);
    wait_and_print("SIGKILL child", child);
    child = fork_and_run(abort);
    wait_and_print("abort() child", child);
    child = fork_and_run(crash);
    wait_and_print("null store child", child);
    printf("SIGCHLD seen %d\n", sigchld_seen);
    signal(SIGCHLD, SIG_DFL);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "exec-child") == 0) {
        return run_as_exec_child(argc, argv);
    }
    self_path = argv[0];
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_fork();
    test_vfork();
    test_exec();
    test_pipes();
    test_signals();
    return 0;
}
