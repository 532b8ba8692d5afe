/*
 * The monitor test client (monitor-client.h).
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor-client.h"

void monitor_client_init(MonitorClient *c)
{
    g_autoptr(GError) err = NULL;

    /* a connection the emulator closed fails an assertion, not the process */
    signal(SIGPIPE, SIG_IGN);
    *c = (MonitorClient){ .in_fd = -1, .out_fd = -1 };
    c->dir = g_dir_make_tmp(NULL, &err);
    g_assert_no_error(err);
    c->inbuf = g_string_new(NULL);
}

char *monitor_client_path(MonitorClient *c, const char *name)
{
    return g_build_filename(c->dir, name, NULL);
}

int monitor_client_free_port(void)
{
    struct sockaddr_in addr = { .sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
    g_assert_cmpint(getsockname(fd, (struct sockaddr *)&addr, &len), ==, 0);
    close(fd);
    return ntohs(addr.sin_port);
}

/* The emulator must not outlive a failed test. */
static void kill_with_parent(gpointer data)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

void monitor_client_spawn(MonitorClient *c, const char *const *args, bool stdio)
{
    const char *binary = g_getenv("PROTEUS_SYSTEM");
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) err = NULL;
    GSpawnFlags flags = G_SPAWN_DO_NOT_REAP_CHILD;

    g_assert_nonnull(binary);
    g_ptr_array_add(argv, (gpointer)binary);
    for (const char *const *a = args; *a; a++) {
        g_ptr_array_add(argv, (gpointer)*a);
    }
    g_ptr_array_add(argv, NULL);
    if (!stdio) {
        flags |= G_SPAWN_STDIN_FROM_DEV_NULL | G_SPAWN_STDOUT_TO_DEV_NULL;
    }
    g_spawn_async_with_pipes(NULL, (char **)argv->pdata, NULL, flags, kill_with_parent, NULL,
                             &c->pid, stdio ? &c->in_fd : NULL, stdio ? &c->out_fd : NULL,
                             NULL, &err);
    g_assert_no_error(err);
}

/* Connects a new socket to addr, retrying for a while as the emulator starts. */
static void monitor_client_connect(MonitorClient *c, int family, const struct sockaddr *addr,
                                   socklen_t len)
{
    for (int tries = 0; tries < 500; tries++) {
        int fd = socket(family, SOCK_STREAM, 0);

        g_assert_cmpint(fd, >=, 0);
        if (connect(fd, addr, len) == 0) {
            c->in_fd = c->out_fd = fd;
            return;
        }
        close(fd);
        g_usleep(20 * 1000);
    }
    g_error("cannot connect to the emulator: %s", g_strerror(errno));
}

void monitor_client_connect_unix(MonitorClient *c, const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };

    g_assert_cmpuint(strlen(path), <, sizeof(addr.sun_path));
    strcpy(addr.sun_path, path);
    monitor_client_connect(c, AF_UNIX, (struct sockaddr *)&addr, sizeof(addr));
}

void monitor_client_connect_tcp(MonitorClient *c, int port)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

    monitor_client_connect(c, AF_INET, (struct sockaddr *)&addr, sizeof(addr));
}

static void close_fds(MonitorClient *c)
{
    if (c->out_fd >= 0 && c->out_fd != c->in_fd) {
        close(c->out_fd);
    }
    if (c->in_fd >= 0) {
        close(c->in_fd);
    }
    c->in_fd = c->out_fd = -1;
    g_string_truncate(c->inbuf, 0);
}

void monitor_client_disconnect(MonitorClient *c)
{
    close_fds(c);
}

/* For failure messages: whether the emulator is still there, or how it ended. */
static char *emulator_state(MonitorClient *c)
{
    int status;

    g_usleep(100 * 1000);
    if (!c->pid || waitpid(c->pid, &status, WNOHANG) != c->pid) {
        return g_strdup("the emulator is running");
    }
    c->pid = 0;
    if (WIFSIGNALED(status)) {
        return g_strdup_printf("the emulator was killed by signal %d", WTERMSIG(status));
    }
    return g_strdup_printf("the emulator exited with status %d", WEXITSTATUS(status));
}

void monitor_client_send(MonitorClient *c, const char *text)
{
    size_t len = strlen(text);

    if (write(c->in_fd, text, len) != (ssize_t)len) {
        g_autofree char *state = emulator_state(c);

        g_error("cannot send \"%s\": %s; %s", text, g_strerror(errno), state);
    }
}

/* Reads more into inbuf, failing the test on a timeout or end of file. */
static void monitor_client_fill(MonitorClient *c)
{
    struct pollfd pfd = { .fd = c->out_fd, .events = POLLIN };
    char buf[4096];
    ssize_t n;

    if (poll(&pfd, 1, MONITOR_TIMEOUT_MS) != 1) {
        g_autofree char *state = emulator_state(c);

        g_error("no output within %d ms (%s); so far: \"%s\"", MONITOR_TIMEOUT_MS, state,
                c->inbuf->str);
    }
    n = read(c->out_fd, buf, sizeof(buf));
    if (n <= 0) {
        g_autofree char *state = emulator_state(c);

        g_error("the connection closed (%s); so far: \"%s\"", state, c->inbuf->str);
    }
    g_string_append_len(c->inbuf, buf, n);
}

char *monitor_client_read_until(MonitorClient *c, const char *marker)
{
    char *at;
    char *text;

    while (!(at = strstr(c->inbuf->str, marker))) {
        monitor_client_fill(c);
    }
    text = g_strndup(c->inbuf->str, at - c->inbuf->str);
    g_string_erase(c->inbuf, 0, at - c->inbuf->str + strlen(marker));
    return text;
}

char *monitor_client_read_line(MonitorClient *c)
{
    char *line = monitor_client_read_until(c, "\n");
    size_t len = strlen(line);

    if (len > 0 && line[len - 1] == '\r') {
        line[len - 1] = '\0';
    }
    return line;
}

int monitor_client_wait_exit(MonitorClient *c)
{
    int status = 0;

    for (int i = 0; i < MONITOR_TIMEOUT_MS / 10; i++) {
        pid_t r = waitpid(c->pid, &status, WNOHANG);

        g_assert_cmpint(r, >=, 0);
        if (r == c->pid) {
            g_assert_true(WIFEXITED(status));
            c->pid = 0;
            return WEXITSTATUS(status);
        }
        g_usleep(10 * 1000);
    }
    g_error("the emulator did not exit");
}

void monitor_client_free(MonitorClient *c)
{
    g_autoptr(GDir) dir = g_dir_open(c->dir, 0, NULL);
    const char *name;

    if (c->pid) {
        kill(c->pid, SIGKILL);
        waitpid(c->pid, NULL, 0);
    }
    close_fds(c);
    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *path = monitor_client_path(c, name);

        g_unlink(path);
    }
    g_rmdir(c->dir);
    g_free(c->dir);
    g_string_free(c->inbuf, TRUE);
}
