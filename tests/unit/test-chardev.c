/*
 * Unit tests for the character devices: every backend's round trip
 * (socket over Unix and TCP loopback, as server and client, file, pipe,
 * null, pty, stdio on redirected descriptors), the mux and its Ctrl-A
 * keys, input flow control, the chardev=ID property, the shorthand specs
 * and the errors for bad option strings.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "proteus/chardev.h"
#include "proteus/main-loop.h"

static char *tmp_dir;

/* ---- a frontend that records what it gets ---- */

typedef struct TestFe {
    CharFrontend fe;
    GByteArray *rx;
    GArray *events;              /* ChrEvent */
    int capacity;                /* -1: unlimited; else total bytes it will ever take */
} TestFe;

static int test_can_read(void *opaque)
{
    TestFe *t = opaque;

    if (t->capacity < 0) {
        return 64;
    }
    return t->capacity > (int)t->rx->len ? t->capacity - (int)t->rx->len : 0;
}

static void test_read(void *opaque, const uint8_t *buf, int size)
{
    TestFe *t = opaque;

    g_assert_cmpint(size, >, 0);
    if (t->capacity >= 0) {
        g_assert_cmpint(t->rx->len + size, <=, t->capacity);
    }
    g_byte_array_append(t->rx, buf, size);
}

static void test_event(void *opaque, ChrEvent event)
{
    TestFe *t = opaque;

    g_array_append_val(t->events, event);
}

static void test_fe_init(TestFe *t, Chardev *chr)
{
    GError *err = NULL;

    t->rx = g_byte_array_new();
    t->events = g_array_new(FALSE, FALSE, sizeof(ChrEvent));
    t->capacity = -1;
    g_assert_true(chr_fe_init(&t->fe, chr, &err));
    g_assert_no_error(err);
    chr_fe_set_handlers(&t->fe, test_can_read, test_read, test_event, t);
}

static void test_fe_free(TestFe *t)
{
    chr_fe_deinit(&t->fe);
    g_byte_array_unref(t->rx);
    g_array_unref(t->events);
}

static int count_events(TestFe *t, ChrEvent ev)
{
    int n = 0;

    for (guint i = 0; i < t->events->len; i++) {
        n += g_array_index(t->events, ChrEvent, i) == ev;
    }
    return n;
}

static bool rx_is(TestFe *t, const char *s)
{
    return t->rx->len == strlen(s) && memcmp(t->rx->data, s, t->rx->len) == 0;
}

/* ---- driving the main loop ---- */

typedef bool Cond(void *opaque);

/* Runs the main loop until cond holds; false after 3 s. */
static bool pump_until(Cond *cond, void *opaque)
{
    gint64 deadline = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;

    while (!cond(opaque)) {
        if (g_get_monotonic_time() > deadline) {
            return false;
        }
        main_loop_wait(false);
        g_usleep(500);
    }
    return true;
}

static void pump_for_ms(int ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;

    while (g_get_monotonic_time() < end) {
        main_loop_wait(false);
        g_usleep(500);
    }
}

static gboolean set_flag(gpointer opaque)
{
    *(bool *)opaque = true;
    return G_SOURCE_REMOVE;
}

/*
 * Counts blocking main-loop iterations over ms milliseconds: a handful when
 * nothing is ready, thousands if some fd is polled in a busy loop.
 */
static int blocking_iterations(int ms)
{
    bool done = false;
    int n = 0;

    g_timeout_add(ms, set_flag, &done);
    while (!done) {
        main_loop_wait(true);
        n++;
    }
    return n;
}

typedef struct { TestFe *t; ChrEvent ev; int n; } EventWait;

static bool has_events(void *opaque)
{
    EventWait *w = opaque;

    return count_events(w->t, w->ev) >= w->n;
}

static bool wait_event(TestFe *t, ChrEvent ev, int n)
{
    EventWait w = { t, ev, n };

    return pump_until(has_events, &w);
}

typedef struct { TestFe *t; guint len; } LenWait;

static bool has_len(void *opaque)
{
    LenWait *w = opaque;

    return w->t->rx->len >= w->len;
}

static bool wait_rx(TestFe *t, guint len)
{
    LenWait w = { t, len };

    return pump_until(has_len, &w);
}

/* Reads exactly len bytes from fd (blocking up to 3 s) while the loop runs. */
static char *read_fd(int fd, size_t len)
{
    GString *s = g_string_new(NULL);
    gint64 deadline = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;

    while (s->len < len && g_get_monotonic_time() < deadline) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        char buf[256];

        main_loop_wait(false);
        if (poll(&pfd, 1, 5) == 1) {
            ssize_t n = read(fd, buf, MIN(sizeof(buf), len - s->len));

            if (n <= 0) {
                break;
            }
            g_string_append_len(s, buf, n);
        }
    }
    return g_string_free(s, FALSE);
}

static void write_fd(int fd, const char *s)
{
    g_assert_cmpint(write(fd, s, strlen(s)), ==, strlen(s));
}

static Chardev *new_chardev(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static Chardev *new_chardev(const char *fmt, ...)
{
    va_list ap;
    g_autofree char *opts = NULL;
    GError *err = NULL;
    Chardev *chr;

    va_start(ap, fmt);
    opts = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    chr = chardev_new_from_string(opts, &err);
    g_assert_no_error(err);
    g_assert_nonnull(chr);
    return chr;
}

/* The error message of a failing chardev_new_from_string, which must fail. */
static char *new_chardev_error(const char *opts)
{
    GError *err = NULL;
    Chardev *chr = chardev_new_from_string(opts, &err);
    char *msg;

    g_assert_null(chr);
    g_assert_nonnull(err);
    msg = g_strdup(err->message);
    g_error_free(err);
    return msg;
}

static char *tmp_path(const char *name)
{
    return g_build_filename(tmp_dir, name, NULL);
}

static char *read_file(const char *path)
{
    char *contents = NULL;

    g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
    return contents;
}

/* ---- socket ---- */

static int connect_unix(const char *path)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
    return fd;
}

static int connect_tcp(int port)
{
    struct sockaddr_in sin = {
        .sin_family = AF_INET,
        .sin_port = htons(port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    return fd;
}

/* One connection's round trip: client -> frontend and frontend -> client. */
static void socket_round_trip(TestFe *t, int client, int nth)
{
    g_autofree char *got = NULL;

    g_assert_true(wait_event(t, CHR_EVENT_OPENED, nth));
    g_assert_true(t->fe.chr->be_open);
    g_byte_array_set_size(t->rx, 0);
    write_fd(client, "hello");
    g_assert_true(wait_rx(t, 5));
    g_assert_true(rx_is(t, "hello"));
    g_assert_cmpint(chr_fe_write_all(&t->fe, (const uint8_t *)"world!", 6), ==, 6);
    got = read_fd(client, 6);
    g_assert_cmpstr(got, ==, "world!");
}

static void server_session(Chardev *chr, int (*connect_fn)(const void *), const void *arg)
{
    TestFe t;
    int client;

    test_fe_init(&t, chr);
    g_assert_false(chr->be_open);
    g_assert_cmpint(count_events(&t, CHR_EVENT_OPENED), ==, 0);
    /* Nobody connected: output is dropped but counted as written. */
    g_assert_cmpint(chr_fe_write_all(&t.fe, (const uint8_t *)"lost", 4), ==, 4);

    client = connect_fn(arg);
    socket_round_trip(&t, client, 1);
    close(client);
    g_assert_true(wait_event(&t, CHR_EVENT_CLOSED, 1));
    g_assert_false(chr->be_open);

    /* The server listens again after the first client left. */
    client = connect_fn(arg);
    socket_round_trip(&t, client, 2);
    close(client);
    g_assert_true(wait_event(&t, CHR_EVENT_CLOSED, 2));
    test_fe_free(&t);
}

static int connect_unix_arg(const void *arg)
{
    return connect_unix(arg);
}

static int connect_tcp_arg(const void *arg)
{
    return connect_tcp(GPOINTER_TO_INT(arg));
}

static void test_socket_unix_server(void)
{
    g_autofree char *path = tmp_path("usock");
    Chardev *chr = new_chardev("socket,id=us,path=%s,server=on,wait=off", path);

    g_assert_true(chardev_find("us") == chr);
    server_session(chr, connect_unix_arg, path);
    chardev_remove(chr);
    g_assert_null(chardev_find("us"));
    /* The socket file goes with the chardev. */
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
}

/* A full frontend does not keep a departed client's place. */
static void test_socket_hup_while_paused(void)
{
    g_autofree char *path = tmp_path("hsock");
    Chardev *chr = new_chardev("socket,id=hs,path=%s,server=on,wait=off", path);
    TestFe t;
    int client;

    test_fe_init(&t, chr);
    t.capacity = 0;
    client = connect_unix(path);
    g_assert_true(wait_event(&t, CHR_EVENT_OPENED, 1));
    write_fd(client, "unread");
    pump_for_ms(20);
    g_assert_cmpuint(t.rx->len, ==, 0);
    close(client);
    g_assert_true(wait_event(&t, CHR_EVENT_CLOSED, 1));
    /* The next client is served, and input flows once there is room. */
    client = connect_unix(path);
    g_assert_true(wait_event(&t, CHR_EVENT_OPENED, 2));
    write_fd(client, "read");
    t.capacity = 4;
    chr_fe_accept_input(&t.fe);
    g_assert_true(wait_rx(&t, 4));
    g_assert_true(rx_is(&t, "read"));
    close(client);
    test_fe_free(&t);
    chardev_remove(chr);
}

static void test_socket_tcp_server(void)
{
    Chardev *chr = new_chardev("socket,id=ts,host=127.0.0.1,port=0,server=on,"
                               "wait=off,nodelay=on");
    g_autofree char *port = object_property_print(OBJECT(chr), "port", NULL);
    uint64_t portnum = 0;

    g_assert_nonnull(port);
    g_assert_true(parse_uint64(port, &portnum, NULL));
    g_assert_cmpuint(portnum, >, 0);
    g_assert_cmpuint(portnum, <=, 65535);
    server_session(chr, connect_tcp_arg, GINT_TO_POINTER((int)portnum));
    chardev_remove(chr);
}

static gpointer connect_later(gpointer path)
{
    for (int i = 0; i < 600; i++) {
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
        if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
            return GINT_TO_POINTER(fd);
        }
        close(fd);
        g_usleep(5000);
    }
    return GINT_TO_POINTER(-1);
}

/* wait=on: open returns only once a client is there. */
static void test_socket_server_wait(void)
{
    g_autofree char *path = tmp_path("wsock");
    GThread *th = g_thread_new("client", connect_later, path);
    Chardev *chr = new_chardev("socket,id=ws,path=%s,server", path);
    int client = GPOINTER_TO_INT(g_thread_join(th));
    TestFe t;

    g_assert_cmpint(client, >=, 0);
    g_assert_true(chr->be_open);
    /* A frontend that comes later still hears that the peer is there. */
    test_fe_init(&t, chr);
    g_assert_cmpint(count_events(&t, CHR_EVENT_OPENED), ==, 1);
    socket_round_trip(&t, client, 1);
    close(client);
    test_fe_free(&t);
    chardev_remove(chr);
}

static int listen_unix(const char *path)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
    g_assert_cmpint(listen(fd, 2), ==, 0);
    return fd;
}

/* Accepts on lfd while the main loop runs (a reconnecting client needs it). */
static int accept_pumping(int lfd)
{
    gint64 deadline = g_get_monotonic_time() + 4 * G_USEC_PER_SEC;

    while (g_get_monotonic_time() < deadline) {
        struct pollfd pfd = { .fd = lfd, .events = POLLIN };

        main_loop_wait(false);
        if (poll(&pfd, 1, 5) == 1) {
            return accept(lfd, NULL, NULL);
        }
    }
    return -1;
}

static void test_socket_client(void)
{
    g_autofree char *path = tmp_path("csock");
    int lfd = listen_unix(path);
    Chardev *chr = new_chardev("socket,id=uc,path=%s,reconnect=1", path);
    int peer = accept_pumping(lfd);
    TestFe t;

    g_assert_cmpint(peer, >=, 0);
    test_fe_init(&t, chr);
    socket_round_trip(&t, peer, 1);

    /* The server drops us: CLOSED, then the client comes back by itself. */
    close(peer);
    g_assert_true(wait_event(&t, CHR_EVENT_CLOSED, 1));
    peer = accept_pumping(lfd);
    g_assert_cmpint(peer, >=, 0);
    socket_round_trip(&t, peer, 2);
    close(peer);
    test_fe_free(&t);
    chardev_remove(chr);
    close(lfd);
    unlink(path);
}

static void test_socket_errors(void)
{
    g_autofree char *path = tmp_path("nobody-listens");
    g_autofree char *opts = g_strdup_printf("socket,id=sc,path=%s", path);
    g_autofree char *msg = new_chardev_error(opts);
    g_autofree char *msg2 = NULL;
    g_autofree char *msg3 = NULL;
    g_autofree char *msg4 = NULL;
    g_autofree char *msg5 = NULL;

    g_assert_nonnull(strstr(msg, "cannot connect"));
    g_assert_nonnull(strstr(msg, path));
    g_assert_nonnull(strstr(msg, "'sc'"));
    g_assert_null(chardev_find("sc"));

    msg2 = new_chardev_error("socket,id=sx");
    g_assert_nonnull(strstr(msg2, "path"));
    msg3 = new_chardev_error("socket,id=sx,port=99999,server=on");
    g_assert_nonnull(strstr(msg3, "99999"));
    msg4 = new_chardev_error("socket,id=sx,port=0,server=maybe");
    g_assert_nonnull(strstr(msg4, "server"));
    msg5 = new_chardev_error("socket,id=sx,path=/tmp/x,port=1");
    g_assert_nonnull(strstr(msg5, "port"));
    g_assert_null(chardev_find("sx"));
}

/* ---- file, pipe, null ---- */

static void test_file(void)
{
    g_autofree char *out = tmp_path("file.out");
    g_autofree char *in = tmp_path("file.in");
    g_autofree char *log = tmp_path("file.log");
    g_autofree char *content = NULL;
    g_autofree char *logged = NULL;
    Chardev *chr;
    TestFe t;

    g_assert_true(g_file_set_contents(in, "typed", -1, NULL));
    g_assert_true(g_file_set_contents(out, "old contents", -1, NULL));
    chr = new_chardev("file,id=f0,path=%s,in=%s,logfile=%s", out, in, log);
    test_fe_init(&t, chr);
    g_assert_cmpint(count_events(&t, CHR_EVENT_OPENED), ==, 1);
    g_assert_true(wait_rx(&t, 5));
    g_assert_true(rx_is(&t, "typed"));
    chr_fe_printf(&t.fe, "line %d\n", 1);
    test_fe_free(&t);
    chardev_remove(chr);
    content = read_file(out);
    g_assert_cmpstr(content, ==, "line 1\n");
    logged = read_file(log);
    g_assert_cmpstr(logged, ==, "line 1\n");

    /* append=on keeps what was there. */
    chr = new_chardev("file,id=f1,path=%s,append=on", out);
    test_fe_init(&t, chr);
    chr_fe_write_all(&t.fe, (const uint8_t *)"more", 4);
    test_fe_free(&t);
    chardev_remove(chr);
    g_free(content);
    content = read_file(out);
    g_assert_cmpstr(content, ==, "line 1\nmore");
    unlink(out);
    unlink(in);
    unlink(log);
}

static void test_file_errors(void)
{
    g_autofree char *msg = new_chardev_error("file,id=nf");
    g_autofree char *msg2 = new_chardev_error("file,id=nf,path=/nonexistent-dir/x");
    g_autofree char *msg3 = NULL;
    g_autofree char *out = tmp_path("err.out");
    g_autofree char *opts = g_strdup_printf("file,id=nf,path=%s,in=/nonexistent-in", out);

    g_assert_nonnull(strstr(msg, "'path'"));
    g_assert_nonnull(strstr(msg2, "/nonexistent-dir/x"));
    g_assert_nonnull(strstr(msg2, "cannot open"));
    msg3 = new_chardev_error(opts);
    g_assert_nonnull(strstr(msg3, "/nonexistent-in"));
    g_assert_null(chardev_find("nf"));
    unlink(out);
}

typedef struct PipeFixture {
    char *base;
    int in_w;                    /* we write what the chardev reads */
    int out_r;                   /* we read what the chardev writes */
} PipeFixture;

static void pipe_fixture_init(PipeFixture *p, const char *name)
{
    g_autofree char *in = NULL;
    g_autofree char *out = NULL;

    p->base = tmp_path(name);
    in = g_strdup_printf("%s.in", p->base);
    out = g_strdup_printf("%s.out", p->base);
    g_assert_cmpint(mkfifo(in, 0600), ==, 0);
    g_assert_cmpint(mkfifo(out, 0600), ==, 0);
    /* Read-write opens of a fifo never block. */
    p->in_w = open(in, O_RDWR | O_CLOEXEC);
    p->out_r = open(out, O_RDWR | O_CLOEXEC);
    g_assert_cmpint(p->in_w, >=, 0);
    g_assert_cmpint(p->out_r, >=, 0);
}

static void pipe_fixture_free(PipeFixture *p)
{
    g_autofree char *in = g_strdup_printf("%s.in", p->base);
    g_autofree char *out = g_strdup_printf("%s.out", p->base);

    close(p->in_w);
    close(p->out_r);
    unlink(in);
    unlink(out);
    g_free(p->base);
}

static void test_pipe(void)
{
    PipeFixture p;
    Chardev *chr;
    g_autofree char *got = NULL;
    TestFe t;

    pipe_fixture_init(&p, "pipe");
    chr = new_chardev("pipe,id=p0,path=%s", p.base);
    test_fe_init(&t, chr);
    write_fd(p.in_w, "ping");
    g_assert_true(wait_rx(&t, 4));
    g_assert_true(rx_is(&t, "ping"));
    g_assert_cmpint(chr_fe_write_all(&t.fe, (const uint8_t *)"pong", 4), ==, 4);
    got = read_fd(p.out_r, 4);
    g_assert_cmpstr(got, ==, "pong");
    test_fe_free(&t);
    chardev_remove(chr);
    pipe_fixture_free(&p);
}

static void test_null(void)
{
    Chardev *chr = new_chardev("null,id=n0");
    TestFe t, t2;
    GError *err = NULL;

    test_fe_init(&t, chr);
    g_assert_cmpint(count_events(&t, CHR_EVENT_OPENED), ==, 1);
    g_assert_cmpint(chr_fe_write(&t.fe, (const uint8_t *)"abc", 3), ==, 3);
    g_assert_true(chr_fe_backend_connected(&t.fe));
    pump_for_ms(10);
    g_assert_cmpuint(t.rx->len, ==, 0);

    /* One frontend per plain chardev. */
    g_assert_false(chr_fe_init(&t2.fe, chr, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, "'n0'"));
    g_assert_nonnull(strstr(err->message, "in use"));
    g_clear_error(&err);

    /* Removing the chardev leaves the frontend unbound, writes still "work". */
    chardev_remove(chr);
    g_assert_null(t.fe.chr);
    g_assert_false(chr_fe_backend_connected(&t.fe));
    g_assert_cmpint(chr_fe_write_all(&t.fe, (const uint8_t *)"abc", 3), ==, 3);
    test_fe_free(&t);

    /* A frontend bound to nothing. */
    g_assert_true(chr_fe_init(&t2.fe, NULL, &err));
    g_assert_cmpint(chr_fe_write(&t2.fe, (const uint8_t *)"x", 1), ==, 1);
    chr_fe_deinit(&t2.fe);
}

/* ---- pty ---- */

static void test_pty(void)
{
    Chardev *chr;
    g_autofree char *path = NULL;
    g_autofree char *got = NULL;
    struct termios tio;
    TestFe t;
    int slave;

    chr = new_chardev("pty,id=pt0");
    path = object_property_print(OBJECT(chr), "path", NULL);
    g_assert_nonnull(path);
    g_assert_true(g_str_has_prefix(path, "/dev/pts/"));
    test_fe_init(&t, chr);
    g_assert_false(chr->be_open);
    /* Nobody on the slave: output goes nowhere, without blocking. */
    g_assert_cmpint(chr_fe_write_all(&t.fe, (const uint8_t *)"void", 4), ==, 4);

    slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    g_assert_cmpint(slave, >=, 0);
    /* Raw: no line editing, no echo. */
    g_assert_cmpint(tcgetattr(slave, &tio), ==, 0);
    g_assert_false(tio.c_lflag & ICANON);
    g_assert_false(tio.c_lflag & ECHO);

    g_assert_cmpint(chr_fe_write_all(&t.fe, (const uint8_t *)"out\n", 4), ==, 4);
    got = read_fd(slave, 4);
    g_assert_cmpstr(got, ==, "out\n");
    g_assert_true(wait_event(&t, CHR_EVENT_OPENED, 1));
    write_fd(slave, "in");
    g_assert_true(wait_rx(&t, 2));
    g_assert_true(rx_is(&t, "in"));

    close(slave);
    g_assert_true(wait_event(&t, CHR_EVENT_CLOSED, 1));
    /* A closed slave must not keep the loop busy. */
    g_assert_cmpint(blocking_iterations(200), <, 20);
    test_fe_free(&t);
    chardev_remove(chr);
}

/* ---- stdio on redirected descriptors ---- */

static void test_stdio(void)
{
    int in_pipe[2], out_pipe[2];
    int saved_in = dup(STDIN_FILENO), saved_out = dup(STDOUT_FILENO);
    g_autofree char *got = NULL;
    g_autofree char *second = NULL;
    bool got_input;
    Chardev *chr;
    TestFe t;

    g_assert_cmpint(pipe(in_pipe), ==, 0);
    g_assert_cmpint(pipe(out_pipe), ==, 0);
    fflush(stdout);
    dup2(in_pipe[0], STDIN_FILENO);
    dup2(out_pipe[1], STDOUT_FILENO);

    chr = new_chardev("stdio,id=sio,signal=off");
    second = new_chardev_error("stdio,id=sio2");
    test_fe_init(&t, chr);
    write_fd(in_pipe[1], "keys");
    got_input = wait_rx(&t, 4) && rx_is(&t, "keys");
    chr_fe_write_all(&t.fe, (const uint8_t *)"screen", 6);
    got = read_fd(out_pipe[0], 6);
    test_fe_free(&t);
    chardev_remove(chr);

    /* Back to the real descriptors before asserting: TAP goes to stdout. */
    dup2(saved_in, STDIN_FILENO);
    dup2(saved_out, STDOUT_FILENO);
    close(saved_in);
    close(saved_out);
    for (int i = 0; i < 2; i++) {
        close(in_pipe[i]);
        close(out_pipe[i]);
    }
    g_assert_true(got_input);
    g_assert_cmpstr(got, ==, "screen");
    g_assert_nonnull(strstr(second, "'sio'"));
    g_assert_null(chardev_find("sio2"));
}

/* ---- mux ---- */

static void test_mux(void)
{
    PipeFixture p;
    Chardev *mux;
    TestFe a, b, extra[3];
    GError *err = NULL;
    g_autofree char *out = NULL;
    g_autofree char *help = NULL;

    pipe_fixture_init(&p, "mux");
    mux = new_chardev("pipe,id=m0,path=%s,mux=on", p.base);
    g_assert_true(chardev_find("m0") == mux);
    g_assert_nonnull(object_dynamic_cast(OBJECT(mux), TYPE_CHARDEV_MUX));
    g_assert_nonnull(chardev_find("m0-base"));
    test_fe_init(&a, mux);
    test_fe_init(&b, mux);
    g_assert_cmpint(a.fe.mux_tag, ==, 0);
    g_assert_cmpint(b.fe.mux_tag, ==, 1);
    g_assert_cmpint(count_events(&a, CHR_EVENT_OPENED), ==, 1);
    g_assert_cmpint(count_events(&b, CHR_EVENT_OPENED), ==, 1);

    /* Output from both reaches the backend. */
    chr_fe_write_all(&a.fe, (const uint8_t *)"A", 1);
    chr_fe_write_all(&b.fe, (const uint8_t *)"B", 1);
    out = read_fd(p.out_r, 2);
    g_assert_cmpstr(out, ==, "AB");

    /* Input goes to the first frontend until Ctrl-A c. */
    write_fd(p.in_w, "one");
    g_assert_true(wait_rx(&a, 3));
    write_fd(p.in_w, "\x01" "c" "two");
    g_assert_true(wait_rx(&b, 3));
    g_assert_true(rx_is(&a, "one"));
    g_assert_true(rx_is(&b, "two"));
    g_assert_cmpint(count_events(&a, CHR_EVENT_MUX_OUT), ==, 1);
    g_assert_cmpint(count_events(&b, CHR_EVENT_MUX_IN), ==, 1);

    /* Ctrl-A Ctrl-A is one Ctrl-A; Ctrl-A and another key pass through. */
    g_byte_array_set_size(b.rx, 0);
    write_fd(p.in_w, "\x01\x01" "\x01" "z");
    g_assert_true(wait_rx(&b, 3));
    g_assert_true(rx_is(&b, "\x01\x01z"));

    /* Ctrl-A b: a break to the focused frontend only. */
    write_fd(p.in_w, "\x01" "b");
    g_assert_true(wait_event(&b, CHR_EVENT_BREAK, 1));
    g_assert_cmpint(count_events(&a, CHR_EVENT_BREAK), ==, 0);

    /* Ctrl-A h lists the keys on the backend. */
    write_fd(p.in_w, "\x01" "h");
    help = read_fd(p.out_r, 40);
    g_assert_nonnull(strstr(help, "C-a h"));

    /* Focus wraps around. */
    write_fd(p.in_w, "\x01" "c" "3");
    g_assert_true(wait_rx(&a, 4));
    g_assert_true(rx_is(&a, "one3"));

    /* Four frontends at most. */
    test_fe_init(&extra[0], mux);
    test_fe_init(&extra[1], mux);
    g_assert_false(chr_fe_init(&extra[2].fe, mux, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, "'m0'"));
    g_clear_error(&err);
    test_fe_free(&extra[1]);
    test_fe_free(&extra[0]);

    /* The backend under a mux cannot be taken by a device. */
    g_assert_false(chr_fe_init(&extra[2].fe, chardev_find("m0-base"), &err));
    g_clear_error(&err);

    /* Removing the mux unbinds its frontends and removes its backend. */
    chardev_remove(mux);
    g_assert_null(a.fe.chr);
    g_assert_null(b.fe.chr);
    g_assert_null(chardev_find("m0"));
    g_assert_null(chardev_find("m0-base"));
    test_fe_free(&a);
    test_fe_free(&b);
    pipe_fixture_free(&p);
}

static void test_mux_take_focus_and_detach(void)
{
    Chardev *mux = new_chardev("null,id=mf,mux=on");
    TestFe a, b;

    test_fe_init(&a, mux);
    test_fe_init(&b, mux);
    chr_fe_take_focus(&b.fe);
    g_assert_cmpint(count_events(&a, CHR_EVENT_MUX_OUT), ==, 1);
    g_assert_cmpint(count_events(&b, CHR_EVENT_MUX_IN), ==, 1);
    /* The focused one leaves: the other gets the focus. */
    test_fe_free(&b);
    g_assert_cmpint(count_events(&a, CHR_EVENT_MUX_IN), ==, 1);
    /* The backend can go first; the mux then drops output. */
    chardev_remove(chardev_find("mf-base"));
    g_assert_null(chardev_find("mf-base"));
    g_assert_cmpint(chr_fe_write_all(&a.fe, (const uint8_t *)"x", 1), ==, 1);
    test_fe_free(&a);
    chardev_remove(mux);
    g_assert_null(chardev_find("mf"));
}

static bool exit_requested(void *opaque)
{
    return main_loop_exit_requested();
}

/* Ctrl-A x ends the main loop; last of the mux tests since it sets the exit flag. */
static void test_mux_exit(void)
{
    PipeFixture p;
    Chardev *mux;
    g_autofree char *out = NULL;
    TestFe a;

    pipe_fixture_init(&p, "muxx");
    mux = new_chardev("pipe,id=mx,path=%s,mux=on", p.base);
    test_fe_init(&a, mux);
    g_assert_false(main_loop_exit_requested());
    write_fd(p.in_w, "\x01" "x");
    g_assert_true(pump_until(exit_requested, NULL));
    out = read_fd(p.out_r, strlen("\r\nproteus: terminated by Ctrl-A x\r\n"));
    g_assert_nonnull(strstr(out, "terminated by Ctrl-A x"));
    g_assert_cmpuint(a.rx->len, ==, 0);
    /* main_loop_run() returns at once with the status and clears the request. */
    g_assert_cmpint(main_loop_run(), ==, 0);
    g_assert_false(main_loop_exit_requested());
    test_fe_free(&a);
    chardev_remove(mux);
    pipe_fixture_free(&p);
}

/* With no frontend at all (-M none -nographic), the escape keys still work. */
static void test_mux_exit_without_frontend(void)
{
    PipeFixture p;
    Chardev *mux;
    g_autofree char *out = NULL;

    pipe_fixture_init(&p, "muxn");
    mux = new_chardev("pipe,id=mn,path=%s,mux=on", p.base);
    write_fd(p.in_w, "abc\x01" "x");
    g_assert_true(pump_until(exit_requested, NULL));
    out = read_fd(p.out_r, strlen("\r\nproteus: terminated by Ctrl-A x\r\n"));
    g_assert_nonnull(strstr(out, "terminated by Ctrl-A x"));
    g_assert_cmpint(main_loop_run(), ==, 0);
    chardev_remove(mux);
    pipe_fixture_free(&p);
}

/* ---- flow control ---- */

static void test_flow_control(void)
{
    PipeFixture p;
    Chardev *chr;
    TestFe t;

    pipe_fixture_init(&p, "flow");
    chr = new_chardev("pipe,id=fc,path=%s", p.base);
    test_fe_init(&t, chr);
    t.capacity = 0;
    write_fd(p.in_w, "12345");
    pump_for_ms(30);
    g_assert_cmpuint(t.rx->len, ==, 0);
    /* Full frontend: the fd is not watched, so the loop sleeps. */
    g_assert_cmpint(blocking_iterations(100), <, 10);

    t.capacity = 2;
    chr_fe_accept_input(&t.fe);
    g_assert_true(wait_rx(&t, 2));
    pump_for_ms(20);
    g_assert_true(rx_is(&t, "12"));

    t.capacity = 100;
    chr_fe_accept_input(&t.fe);
    g_assert_true(wait_rx(&t, 5));
    g_assert_true(rx_is(&t, "12345"));
    test_fe_free(&t);
    chardev_remove(chr);
    pipe_fixture_free(&p);
}

/* ---- the chardev=ID property ---- */

#define TYPE_TEST_CHR_DEV "test-chr-dev"

typedef struct TestChrDev {
    Object parent_obj;
    CharFrontend chr;
} TestChrDev;

static const Property test_chr_dev_props[] = {
    DEFINE_PROP_CHR("chardev", TestChrDev, chr),
    DEFINE_PROP_END_OF_LIST(),
};

static void test_chr_dev_class_init(ObjectClass *klass, void *data)
{
    object_class_add_props(klass, test_chr_dev_props);
}

static const TypeInfo test_chr_dev_info = {
    .name = TYPE_TEST_CHR_DEV,
    .parent = TYPE_OBJECT,
    .instance_size = sizeof(TestChrDev),
    .class_init = test_chr_dev_class_init,
};

static void test_property(void)
{
    Chardev *chr = new_chardev("null,id=pn");
    Object *obj = object_new(TYPE_TEST_CHR_DEV);
    Object *obj2 = object_new(TYPE_TEST_CHR_DEV);
    TestChrDev *dev = (TestChrDev *)obj;
    GError *err = NULL;
    g_autofree char *label = NULL;

    g_assert_false(object_property_parse(obj, "chardev", "nosuch", &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, "no chardev 'nosuch'"));
    g_clear_error(&err);

    g_assert_true(object_property_parse(obj, "chardev", "pn", &err));
    g_assert_no_error(err);
    g_assert_true(dev->chr.chr == chr);
    g_assert_true(chr->fe == &dev->chr);
    label = object_property_print(obj, "chardev", &err);
    g_assert_cmpstr(label, ==, "pn");

    /* A second device cannot share it. */
    g_assert_false(object_property_parse(obj2, "chardev", "pn", &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, "in use"));
    g_clear_error(&err);

    /* Finalizing the device lets the chardev go. */
    object_unref(obj);
    g_assert_null(chr->fe);
    g_assert_true(object_property_parse(obj2, "chardev", "pn", &err));
    object_unref(obj2);
    chardev_remove(chr);
}

/* ---- shorthand ---- */

static void test_shorthand(void)
{
    GError *err = NULL;
    Chardev *chr;
    g_autofree char *file = tmp_path("short.out");
    g_autofree char *spec = g_strdup_printf("file:%s", file);

    g_assert_null(chardev_new_from_shorthand("serialN", "none", &err));
    g_assert_no_error(err);

    chr = chardev_new_from_shorthand("serial5", "null", &err);
    g_assert_no_error(err);
    g_assert_cmpstr(object_get_typename(OBJECT(chr)), ==, "chardev-null");
    g_assert_cmpstr(chr->label, ==, "serial5");
    g_assert_true(chardev_new_from_shorthand("x", "chardev:serial5", &err) == chr);
    chardev_remove(chr);

    chr = chardev_new_from_shorthand("serial6", spec, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(object_get_typename(OBJECT(chr)), ==, "chardev-file");
    chardev_remove(chr);
    unlink(file);

    chr = chardev_new_from_shorthand("serial7", "mon:null", &err);
    g_assert_no_error(err);
    g_assert_nonnull(object_dynamic_cast(OBJECT(chr), TYPE_CHARDEV_MUX));
    g_assert_nonnull(chardev_find("serial7-base"));
    chardev_remove(chr);

    chr = chardev_new_from_shorthand("serial8", "tcp:127.0.0.1:0,server=on,wait=off", &err);
    g_assert_no_error(err);
    g_assert_cmpstr(object_get_typename(OBJECT(chr)), ==, "chardev-socket");
    chardev_remove(chr);

    g_assert_null(chardev_new_from_shorthand("serial9", "bogus", &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, "'bogus'"));
    g_clear_error(&err);
    g_assert_null(chardev_new_from_shorthand("serial9", "tcp:4444", &err));
    g_assert_nonnull(strstr(err->message, "tcp:4444"));
    g_clear_error(&err);
    g_assert_null(chardev_new_from_shorthand("serial9", "chardev:nothere", &err));
    g_assert_nonnull(strstr(err->message, "nothere"));
    g_clear_error(&err);
    g_assert_null(chardev_find("serial9"));
}

/* ---- bad option strings ---- */

static void test_bad_options(void)
{
    static const struct {
        const char *opts;
        const char *names;
    } cases[] = {
        { "foo,id=x", "'foo'" },
        { "null,id=x,bar=1", "'bar'" },
        { "null", "'id'" },
        { "null,id=", "'id'" },
        { "id=x", "backend" },
        { "", "backend" },
        { "null,id=1x", "'1x'" },
        { "null,id=a/b", "'a/b'" },
        { "null,id=x,mux=perhaps", "'mux'" },
        { "null,id=x,logfile=/nonexistent-dir/log", "/nonexistent-dir/log" },
        { "null,id=x,,y", "'x,y'" },
        { "mux,id=x", "'chardev'" },
        { "mux,id=x,chardev=nothere", "'nothere'" },
        { "chardev,id=x", "'chardev'" },
    };
    Chardev *chr;

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *msg = new_chardev_error(cases[i].opts);

        if (!strstr(msg, cases[i].names)) {
            g_error("'%s': message '%s' does not name %s", cases[i].opts, msg,
                    cases[i].names);
        }
    }
    g_assert_null(chardev_find("x"));

    /* Duplicate ids, including the one a mux gives its backend. */
    chr = new_chardev("null,id=dup");
    {
        g_autofree char *msg = new_chardev_error("null,id=dup");
        g_autofree char *msg2 = NULL;

        g_assert_nonnull(strstr(msg, "'dup'"));
        g_assert_nonnull(strstr(msg, "already in use"));
        chardev_remove(chr);
        chr = new_chardev("null,id=dup2-base");
        msg2 = new_chardev_error("null,id=dup2,mux=on");
        g_assert_nonnull(strstr(msg2, "dup2-base"));
        g_assert_null(chardev_find("dup2"));
        chardev_remove(chr);
    }

    /* Old boolean syntax: "server,nowait". */
    {
        g_autofree char *path = tmp_path("oldsyntax");

        chr = new_chardev("socket,id=old,path=%s,server,nowait", path);
        g_assert_false(chr->be_open);
        chardev_remove(chr);
    }
}

static void test_cleanup_all(void)
{
    new_chardev("null,id=c1");
    new_chardev("null,id=c2,mux=on");
    chardev_cleanup_all();
    g_assert_null(chardev_find("c1"));
    g_assert_null(chardev_find("c2"));
    g_assert_null(chardev_find("c2-base"));
}

static int count_open_fds(void)
{
    GDir *d = g_dir_open("/proc/self/fd", 0, NULL);
    int n = 0;

    g_assert_nonnull(d);
    while (g_dir_read_name(d)) {
        n++;
    }
    g_dir_close(d);
    return n;
}

int main(int argc, char **argv)
{
    int rc, fds_before;

    g_test_init(&argc, &argv, NULL);
    main_loop_init();       /* takes the BQL for this thread */
    g_assert_true(bql_locked());
    type_register(&test_chr_dev_info);
    tmp_dir = g_dir_make_tmp(NULL, NULL);
    g_assert_nonnull(tmp_dir);

    g_test_add_func("/chardev/socket/unix-server", test_socket_unix_server);
    g_test_add_func("/chardev/socket/tcp-server", test_socket_tcp_server);
    g_test_add_func("/chardev/socket/hup-while-paused", test_socket_hup_while_paused);
    g_test_add_func("/chardev/socket/server-wait", test_socket_server_wait);
    g_test_add_func("/chardev/socket/client-reconnect", test_socket_client);
    g_test_add_func("/chardev/socket/errors", test_socket_errors);
    g_test_add_func("/chardev/file", test_file);
    g_test_add_func("/chardev/file-errors", test_file_errors);
    g_test_add_func("/chardev/pipe", test_pipe);
    g_test_add_func("/chardev/null", test_null);
    g_test_add_func("/chardev/pty", test_pty);
    g_test_add_func("/chardev/stdio", test_stdio);
    g_test_add_func("/chardev/mux/keys", test_mux);
    g_test_add_func("/chardev/mux/focus", test_mux_take_focus_and_detach);
    g_test_add_func("/chardev/mux/exit", test_mux_exit);
    g_test_add_func("/chardev/mux/exit-without-frontend", test_mux_exit_without_frontend);
    g_test_add_func("/chardev/flow-control", test_flow_control);
    g_test_add_func("/chardev/property", test_property);
    g_test_add_func("/chardev/shorthand", test_shorthand);
    g_test_add_func("/chardev/bad-options", test_bad_options);
    g_test_add_func("/chardev/cleanup-all", test_cleanup_all);
    main_loop_wait(false);      /* glib opens its wake-up fd on first use */
    fds_before = count_open_fds();
    rc = g_test_run();

    chardev_cleanup_all();
    /* Every backend closed what it opened. */
    if (rc == 0 && count_open_fds() != fds_before) {
        fprintf(stderr, "descriptors leaked: %d open before, %d after\n", fds_before,
                count_open_fds());
        rc = 1;
    }
    g_rmdir(tmp_dir);
    g_free(tmp_dir);
    return rc;
}
