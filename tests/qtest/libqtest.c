/*
 * libqtest: runs the emulator under the qtest accelerator and speaks the
 * qtest protocol to it (see system/qtest.c for the commands).
 *
 * The test listens on a Unix socket in a temporary directory and the
 * emulator connects to it (-qtest unix:PATH). The emulator's stdout and
 * stderr go to an unlinked temporary file, so they never mix with the TAP
 * output and can be quoted when something fails. Socket files and
 * directories are removed as soon as the connections are made, so a test
 * that aborts leaves nothing behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libqtest.h"

#ifndef PROTEUS_QTEST_BINARY
#define PROTEUS_QTEST_BINARY "proteus-system-riscv64"
#endif

/* Generous, for sanitizer builds on loaded machines; only failures wait this long. */
#define QTEST_TIMEOUT_MS 30000

struct QTestState {
    pid_t pid;
    bool reaped;
    int status;                /* waitpid status once reaped */
    int fd;                    /* the qtest connection */
    int out_fd;                /* the emulator's stdout and stderr */
    GString *rx;               /* received bytes not yet consumed */
    GArray *irq_levels;        /* gboolean per intercepted line */
};

struct QTestChardev {
    char *dir;
    char *path;
    int fd;
};

static int64_t now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

/* Everything the emulator printed so far. */
static char *qtest_emulator_output(int out_fd)
{
    GString *out = g_string_new(NULL);
    char buf[4096];
    off_t off = 0;
    ssize_t n;

    while ((n = pread(out_fd, buf, sizeof(buf), off)) > 0) {
        g_string_append_len(out, buf, n);
        off += n;
    }
    return g_string_free(out, FALSE);
}

static char *qtest_describe_status(int status)
{
    if (WIFEXITED(status)) {
        return g_strdup_printf("exited with status %d", WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        return g_strdup_printf("was killed by signal %d (%s)", WTERMSIG(status),
                               g_strsignal(WTERMSIG(status)));
    }
    return g_strdup("stopped");
}

/* Whether the emulator has exited; reaps it if so. */
static bool qtest_reap(QTestState *s)
{
    if (!s->reaped && waitpid(s->pid, &s->status, WNOHANG) == s->pid) {
        s->reaped = true;
    }
    return s->reaped;
}

static void G_GNUC_NORETURN G_GNUC_PRINTF(2, 3) qtest_fail(QTestState *s, const char *fmt,
                                                           ...)
{
    g_autofree char *msg = NULL;
    g_autofree char *output = qtest_emulator_output(s->out_fd);
    g_autofree char *how = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (!qtest_reap(s)) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &s->status, 0);
        s->reaped = true;
        how = g_strdup("was killed by the test");
    } else {
        how = qtest_describe_status(s->status);
    }
    g_error("qtest: %s (the emulator %s)\n--- emulator output ---\n%s--- end ---",
            msg, how, output);
}

/* ---- the connection ---- */

static void qtest_send(QTestState *s, const char *text)
{
    size_t len = strlen(text);

    while (len > 0) {
        ssize_t n = send(s->fd, text, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            qtest_fail(s, "sending a command: %s", g_strerror(errno));
        }
        text += n;
        len -= n;
    }
}

typedef enum {
    FILL_DATA,          /* some bytes arrived */
    FILL_TIMEOUT,
    FILL_CLOSED,        /* end of file or a read error (errno set) */
} FillResult;

/* Reads what is available, waiting up to timeout_ms. */
static FillResult qtest_try_fill(QTestState *s, int timeout_ms)
{
    struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
    char buf[4096];
    ssize_t n;
    int r;

    do {
        r = poll(&pfd, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    if (r == 0) {
        return FILL_TIMEOUT;
    }
    do {
        n = read(s->fd, buf, sizeof(buf));
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        if (n == 0) {
            errno = 0;
        }
        return FILL_CLOSED;
    }
    g_string_append_len(s->rx, buf, n);
    return FILL_DATA;
}

/* The same, failing the test if the connection closes; false on a timeout. */
static bool qtest_fill(QTestState *s, int timeout_ms)
{
    switch (qtest_try_fill(s, timeout_ms)) {
    case FILL_DATA:
        return true;
    case FILL_TIMEOUT:
        return false;
    default:
        qtest_fail(s, "the connection closed%s%s", errno ? ": " : "",
                   errno ? g_strerror(errno) : "");
    }
}

/* Takes one complete line out of the receive buffer, or NULL. */
static char *qtest_take_line(QTestState *s)
{
    const char *nl = memchr(s->rx->str, '\n', s->rx->len);
    char *line;

    if (!nl) {
        return NULL;
    }
    line = g_strndup(s->rx->str, nl - s->rx->str);
    g_string_erase(s->rx, 0, nl - s->rx->str + 1);
    return line;
}

/* ---- starting and stopping ---- */

static char **qtest_build_argv(const char *sock_path, const char *extra_args,
                               GError **errp)
{
    const char *binary = g_getenv("PROTEUS_SYSTEM");
    g_autofree char *spec = g_strconcat("unix:", sock_path, NULL);
    g_autofree char *quoted = g_shell_quote(spec);
    g_autofree char *cmdline = g_strdup_printf("-M none -nographic -qtest %s -accel qtest %s",
                                               quoted, extra_args ? extra_args : "");
    g_auto(GStrv) args = NULL;
    GPtrArray *argv = g_ptr_array_new();

    if (!g_shell_parse_argv(cmdline, NULL, &args, errp)) {
        g_prefix_error(errp, "qtest: bad arguments '%s': ", extra_args);
        g_ptr_array_free(argv, TRUE);
        return NULL;
    }
    g_ptr_array_add(argv, g_strdup(binary && *binary ? binary : PROTEUS_QTEST_BINARY));
    for (char **a = args; *a; a++) {
        g_ptr_array_add(argv, g_strdup(*a));
    }
    g_ptr_array_add(argv, NULL);
    return (char **)g_ptr_array_free(argv, FALSE);
}

static bool unix_address(struct sockaddr_un *addr, const char *path, GError **errp)
{
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(addr->sun_path)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG,
                    "socket path '%s' is too long (set TMPDIR to a shorter directory)",
                    path);
        return false;
    }
    strcpy(addr->sun_path, path);
    return true;
}

/* Waits for the emulator to connect; false (errp set) if it exits or times out. */
static bool qtest_accept(QTestState *s, int listen_fd, GError **errp)
{
    int64_t deadline = now_ms() + QTEST_TIMEOUT_MS;
    struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };

    while (now_ms() < deadline) {
        if (poll(&pfd, 1, 50) > 0) {
            s->fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (s->fd >= 0) {
                return true;
            }
        }
        if (qtest_reap(s)) {
            g_autofree char *how = qtest_describe_status(s->status);
            g_autofree char *output = qtest_emulator_output(s->out_fd);

            g_set_error(errp, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                        "the emulator %s before connecting:\n%s", how, output);
            return false;
        }
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &s->status, 0);
    s->reaped = true;
    g_set_error(errp, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                "the emulator did not connect within %d ms (killed)", QTEST_TIMEOUT_MS);
    return false;
}

/*
 * The emulator connects before it builds the machine, so a bad -device
 * only shows once it is connected: one command round trip proves it got
 * as far as its main loop.
 */
static bool qtest_handshake(QTestState *s, GError **errp)
{
    static const char cmd[] = "clock_get\n";
    int64_t deadline = now_ms() + QTEST_TIMEOUT_MS;
    g_autofree char *reply = NULL;
    FillResult r = FILL_DATA;

    if (send(s->fd, cmd, strlen(cmd), MSG_NOSIGNAL) != (ssize_t)strlen(cmd)) {
        r = FILL_CLOSED;
    }
    while (r != FILL_CLOSED && !(reply = qtest_take_line(s))) {
        r = qtest_try_fill(s, 50);
        if (r == FILL_TIMEOUT && now_ms() > deadline) {
            kill(s->pid, SIGKILL);
            g_set_error(errp, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                        "the emulator did not answer within %d ms (killed)",
                        QTEST_TIMEOUT_MS);
            return false;
        }
    }
    if (reply && g_str_has_prefix(reply, "OK ")) {
        return true;
    }
    if (r == FILL_CLOSED) {
        g_autofree char *how = NULL;
        g_autofree char *output = NULL;

        /* It closed the connection: it is exiting. */
        while (!qtest_reap(s) && now_ms() < deadline) {
            g_usleep(1000);
        }
        how = s->reaped ? qtest_describe_status(s->status) : g_strdup("hung up");
        output = qtest_emulator_output(s->out_fd);
        g_set_error(errp, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                    "the emulator %s while starting:\n%s", how, output);
        return false;
    }
    g_set_error(errp, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                "unexpected first reply '%s'", reply);
    return false;
}

static void qtest_free(QTestState *s)
{
    if (s->fd >= 0) {
        close(s->fd);
    }
    if (s->out_fd >= 0) {
        close(s->out_fd);
    }
    g_string_free(s->rx, TRUE);
    g_array_free(s->irq_levels, TRUE);
    g_free(s);
}

QTestState *qtest_try_start(const char *extra_args, GError **errp)
{
    g_autofree char *dir = NULL;
    g_autofree char *sock_path = NULL;
    g_autofree char *out_path = NULL;
    g_auto(GStrv) argv = NULL;
    struct sockaddr_un addr;
    QTestState *s = NULL;
    int listen_fd = -1;
    int null_fd = -1;
    bool ok = false;

    dir = g_dir_make_tmp(NULL, errp);
    if (!dir) {
        return NULL;
    }
    sock_path = g_build_filename(dir, "qtest.sock", NULL);
    out_path = g_build_filename(dir, "output", NULL);
    argv = qtest_build_argv(sock_path, extra_args, errp);
    if (!argv || !unix_address(&addr, sock_path, errp)) {
        goto out;
    }

    s = g_new0(QTestState, 1);
    s->fd = -1;
    s->rx = g_string_new(NULL);
    s->irq_levels = g_array_new(FALSE, TRUE, sizeof(gboolean));
    s->out_fd = open(out_path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->out_fd < 0 || null_fd < 0 || listen_fd < 0 ||
        bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(listen_fd, 1) < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "qtest: cannot set up %s: %s", dir, g_strerror(errno));
        goto out;
    }
    unlink(out_path);

    s->pid = fork();
    if (s->pid < 0) {
        g_set_error(errp, G_SPAWN_ERROR, G_SPAWN_ERROR_FORK, "qtest: fork: %s",
                    g_strerror(errno));
        goto out;
    }
    if (s->pid == 0) {
        /* Only async-signal-safe calls between fork and exec. */
        static const char msg[] = "qtest: cannot execute the emulator\n";

        dup2(null_fd, STDIN_FILENO);
        dup2(s->out_fd, STDOUT_FILENO);
        dup2(s->out_fd, STDERR_FILENO);
        execv(argv[0], argv);
        if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
            _exit(126);
        }
        _exit(127);
    }
    if (!qtest_accept(s, listen_fd, errp) || !qtest_handshake(s, errp)) {
        g_prefix_error(errp, "qtest: starting %s: ", argv[0]);
        goto out;
    }
    ok = true;

out:
    if (listen_fd >= 0) {
        close(listen_fd);
    }
    if (null_fd >= 0) {
        close(null_fd);
    }
    unlink(sock_path);
    unlink(out_path);
    rmdir(dir);
    if (!ok && s) {
        if (s->pid > 0 && !qtest_reap(s)) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &s->status, 0);
        }
        qtest_free(s);
        s = NULL;
    }
    return s;
}

QTestState *qtest_start(const char *extra_args)
{
    GError *err = NULL;
    QTestState *s = qtest_try_start(extra_args, &err);

    if (!s) {
        g_error("%s", err->message);
    }
    return s;
}

void qtest_quit(QTestState *s)
{
    int64_t deadline = now_ms() + QTEST_TIMEOUT_MS;

    /* The emulator exits when the test disconnects. */
    shutdown(s->fd, SHUT_RDWR);
    close(s->fd);
    s->fd = -1;
    while (!qtest_reap(s) && now_ms() < deadline) {
        g_usleep(2000);
    }
    if (!s->reaped) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &s->status, 0);
        s->reaped = true;
        g_printerr("qtest: the emulator did not exit after the test disconnected\n");
        g_test_fail();
    } else if (!WIFEXITED(s->status) || WEXITSTATUS(s->status) != 0) {
        g_autofree char *how = qtest_describe_status(s->status);
        g_autofree char *output = qtest_emulator_output(s->out_fd);

        g_printerr("qtest: the emulator %s:\n%s", how, output);
        g_test_fail();
    } else {
        g_autofree char *output = qtest_emulator_output(s->out_fd);

        if (*output) {
            g_printerr("qtest: emulator output:\n%s", output);
        }
    }
    qtest_free(s);
}

/* ---- the protocol ---- */

/* Records an "IRQ raise N" / "IRQ lower N" line; false for any other line. */
static bool qtest_handle_irq_line(QTestState *s, const char *line)
{
    const char *rest;
    gboolean level;
    char *end;
    guint64 n;

    if (g_str_has_prefix(line, "IRQ raise ")) {
        level = TRUE;
        rest = line + strlen("IRQ raise ");
    } else if (g_str_has_prefix(line, "IRQ lower ")) {
        level = FALSE;
        rest = line + strlen("IRQ lower ");
    } else {
        return false;
    }
    n = g_ascii_strtoull(rest, &end, 10);
    if (end == rest || *end || n > 4096) {
        qtest_fail(s, "bad IRQ report '%s'", line);
    }
    if (n >= s->irq_levels->len) {
        g_array_set_size(s->irq_levels, n + 1);
    }
    g_array_index(s->irq_levels, gboolean, n) = level;
    return true;
}

/* The next reply line, recording IRQ reports that come before it. */
static char *qtest_recv_reply(QTestState *s, const char *cmd)
{
    for (;;) {
        char *line;

        while ((line = qtest_take_line(s)) != NULL) {
            if (!qtest_handle_irq_line(s, line)) {
                return line;
            }
            g_free(line);
        }
        if (!qtest_fill(s, QTEST_TIMEOUT_MS)) {
            qtest_fail(s, "no reply to '%s' within %d ms", cmd, QTEST_TIMEOUT_MS);
        }
    }
}

static char *qtest_vcmd(QTestState *s, const char *fmt, va_list ap)
{
    g_autofree char *cmd = g_strdup_vprintf(fmt, ap);
    g_autofree char *line = g_strconcat(cmd, "\n", NULL);

    qtest_send(s, line);
    return qtest_recv_reply(s, cmd);
}

char *qtest_raw_cmd(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    char *reply;

    va_start(ap, fmt);
    reply = qtest_vcmd(s, fmt, ap);
    va_end(ap);
    return reply;
}

/* Runs a command that must succeed; returns what follows "OK" (no leading space). */
static char *G_GNUC_PRINTF(2, 3) qtest_cmd_ok(QTestState *s, const char *fmt, ...)
{
    g_autofree char *reply = NULL;
    va_list ap;

    va_start(ap, fmt);
    reply = qtest_vcmd(s, fmt, ap);
    va_end(ap);
    if (strcmp(reply, "OK") == 0) {
        return g_strdup("");
    }
    if (!g_str_has_prefix(reply, "OK ")) {
        g_autofree char *cmd = NULL;

        va_start(ap, fmt);
        cmd = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        qtest_fail(s, "'%s' failed: %s", cmd, reply);
    }
    return g_strdup(reply + 3);
}

static uint64_t qtest_parse_reply_u64(QTestState *s, const char *text)
{
    char *end;
    uint64_t value;

    errno = 0;
    value = g_ascii_strtoull(text, &end, 0);
    if (errno || end == text || *end) {
        qtest_fail(s, "expected a number in the reply, got '%s'", text);
    }
    return value;
}

static uint64_t qtest_read_sized(QTestState *s, const char *cmd, uint64_t addr)
{
    g_autofree char *value = qtest_cmd_ok(s, "%s 0x%" PRIx64, cmd, addr);

    return qtest_parse_reply_u64(s, value);
}

static void qtest_write_sized(QTestState *s, const char *cmd, uint64_t addr, uint64_t value)
{
    g_free(qtest_cmd_ok(s, "%s 0x%" PRIx64 " 0x%" PRIx64, cmd, addr, value));
}

uint8_t qtest_readb(QTestState *s, uint64_t addr)
{
    return qtest_read_sized(s, "readb", addr);
}

uint16_t qtest_readw(QTestState *s, uint64_t addr)
{
    return qtest_read_sized(s, "readw", addr);
}

uint32_t qtest_readl(QTestState *s, uint64_t addr)
{
    return qtest_read_sized(s, "readl", addr);
}

uint64_t qtest_readq(QTestState *s, uint64_t addr)
{
    return qtest_read_sized(s, "readq", addr);
}

void qtest_writeb(QTestState *s, uint64_t addr, uint8_t value)
{
    qtest_write_sized(s, "writeb", addr, value);
}

void qtest_writew(QTestState *s, uint64_t addr, uint16_t value)
{
    qtest_write_sized(s, "writew", addr, value);
}

void qtest_writel(QTestState *s, uint64_t addr, uint32_t value)
{
    qtest_write_sized(s, "writel", addr, value);
}

void qtest_writeq(QTestState *s, uint64_t addr, uint64_t value)
{
    qtest_write_sized(s, "writeq", addr, value);
}

void qtest_memread(QTestState *s, uint64_t addr, void *buf, size_t size)
{
    g_autofree char *hex = qtest_cmd_ok(s, "read 0x%" PRIx64 " %zu", addr, size);
    uint8_t *out = buf;

    if (!g_str_has_prefix(hex, "0x") || strlen(hex) != 2 + 2 * size) {
        qtest_fail(s, "read of %zu bytes: bad reply '%s'", size, hex);
    }
    for (size_t i = 0; i < size; i++) {
        int hi = g_ascii_xdigit_value(hex[2 + 2 * i]);
        int lo = g_ascii_xdigit_value(hex[3 + 2 * i]);

        if (hi < 0 || lo < 0) {
            qtest_fail(s, "read of %zu bytes: bad reply '%s'", size, hex);
        }
        out[i] = hi << 4 | lo;
    }
}

void qtest_memwrite(QTestState *s, uint64_t addr, const void *buf, size_t size)
{
    g_autoptr(GString) hex = g_string_sized_new(2 * size + 2);
    const uint8_t *in = buf;

    g_string_append(hex, "0x");
    for (size_t i = 0; i < size; i++) {
        g_string_append_printf(hex, "%02x", in[i]);
    }
    g_free(qtest_cmd_ok(s, "write 0x%" PRIx64 " %zu %s", addr, size, hex->str));
}

int64_t qtest_clock_step(QTestState *s, int64_t ns)
{
    g_autofree char *now = qtest_cmd_ok(s, "clock_step %" PRId64, ns);

    return qtest_parse_reply_u64(s, now);
}

int64_t qtest_clock_step_next(QTestState *s)
{
    g_autofree char *now = qtest_cmd_ok(s, "clock_step");

    return qtest_parse_reply_u64(s, now);
}

int64_t qtest_clock_get(QTestState *s)
{
    g_autofree char *now = qtest_cmd_ok(s, "clock_get");

    return qtest_parse_reply_u64(s, now);
}

void qtest_irq_intercept_out(QTestState *s, const char *qom_path)
{
    g_free(qtest_cmd_ok(s, "irq_intercept_out %s", qom_path));
}

void qtest_irq_intercept_out_named(QTestState *s, const char *qom_path, const char *name)
{
    g_free(qtest_cmd_ok(s, "irq_intercept_out %s %s", qom_path, name));
}

void qtest_irq_intercept_in(QTestState *s, const char *qom_path, const char *name)
{
    g_free(qtest_cmd_ok(s, "irq_intercept_in %s %s", qom_path,
                        name ? name : "unnamed-gpio-in"));
}

void qtest_set_irq_in(QTestState *s, const char *qom_path, const char *name, int n,
                      int level)
{
    g_free(qtest_cmd_ok(s, "set_irq_in %s %s %d %d", qom_path,
                        name ? name : "unnamed-gpio-in", n, level));
}

bool qtest_get_irq(QTestState *s, int n)
{
    char *line;

    g_assert(n >= 0);
    /* Between commands, everything the emulator sends is an IRQ report. */
    while (qtest_fill(s, 0)) {
        continue;
    }
    while ((line = qtest_take_line(s)) != NULL) {
        if (!qtest_handle_irq_line(s, line)) {
            qtest_fail(s, "unexpected line '%s' between commands", line);
        }
        g_free(line);
    }
    return n < s->irq_levels->len && g_array_index(s->irq_levels, gboolean, n);
}

/* ---- a Unix-socket peer for a device's chardev ---- */

QTestChardev *qtest_chardev_new(void)
{
    QTestChardev *c = g_new0(QTestChardev, 1);
    GError *err = NULL;

    c->dir = g_dir_make_tmp(NULL, &err);
    if (!c->dir) {
        g_error("qtest: %s", err->message);
    }
    c->path = g_build_filename(c->dir, "chr.sock", NULL);
    c->fd = -1;
    return c;
}

char *qtest_chardev_args(QTestChardev *c, const char *id)
{
    return g_strdup_printf("-chardev socket,id=%s,path=%s,server=on,wait=off", id, c->path);
}

void qtest_chardev_connect(QTestChardev *c, QTestState *s, const char *id)
{
    int64_t deadline = now_ms() + QTEST_TIMEOUT_MS;
    struct sockaddr_un addr;
    GError *err = NULL;

    if (!unix_address(&addr, c->path, &err)) {
        qtest_fail(s, "%s", err->message);
    }
    for (;;) {
        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd < 0) {
            qtest_fail(s, "socket: %s", g_strerror(errno));
        }
        if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
            break;
        }
        close(c->fd);
        c->fd = -1;
        if (qtest_reap(s) || now_ms() > deadline) {
            qtest_fail(s, "cannot connect to chardev '%s' at %s", id, c->path);
        }
        g_usleep(2000);
    }
    /* connect() succeeds once the kernel queues us; the emulator accepts later. */
    for (;;) {
        g_autofree char *connected = qtest_cmd_ok(s, "chardev_connected %s", id);

        if (qtest_parse_reply_u64(s, connected)) {
            break;
        }
        if (now_ms() > deadline) {
            qtest_fail(s, "chardev '%s' did not accept the connection", id);
        }
        g_usleep(1000);
    }
    unlink(c->path);
    rmdir(c->dir);
}

void qtest_chardev_write(QTestChardev *c, const void *buf, size_t len)
{
    const char *p = buf;

    g_assert(c->fd >= 0);
    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            g_error("qtest: writing to the chardev socket: %s", g_strerror(errno));
        }
        p += n;
        len -= n;
    }
}

size_t qtest_chardev_read(QTestChardev *c, void *buf, size_t len, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
    size_t got = 0;

    g_assert(c->fd >= 0);
    while (got < len) {
        int64_t left = deadline - now_ms();
        ssize_t n;

        if (left < 0 || poll(&pfd, 1, left) <= 0) {
            break;
        }
        n = read(c->fd, (char *)buf + got, len - got);
        if (n <= 0) {
            break;
        }
        got += n;
    }
    return got;
}

void qtest_chardev_free(QTestChardev *c)
{
    if (c->fd >= 0) {
        close(c->fd);
    }
    unlink(c->path);
    rmdir(c->dir);
    g_free(c->path);
    g_free(c->dir);
    g_free(c);
}
