/*
 * The socket chardev: a byte stream over TCP (host=, port=) or a Unix
 * socket (path=).
 *
 * server=on listens and serves one client at a time: while one is
 * connected the listening socket is not watched, so a second client waits
 * in the backlog until the first leaves. wait=on (the server default)
 * blocks at open until the first client arrives. A client connects at open
 * (a failure is an error) unless reconnect=N is given; then it keeps trying
 * every N seconds, and also after the server goes away.
 * Frontends get CHR_EVENT_OPENED on each connection and CHR_EVENT_CLOSED
 * when it ends. Output with no peer connected is dropped.
 * The read-only property "port" gives the TCP port actually bound (useful
 * with port=0) or, for a client, the port connected to.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib-unix.h>

#include "proteus/chardev.h"

#define TYPE_CHARDEV_SOCKET "chardev-socket"

typedef struct SocketAddr {
    struct sockaddr_storage ss;
    socklen_t len;
} SocketAddr;

typedef struct SocketChardev {
    Chardev parent_obj;
    bool is_unix;
    bool server;
    bool nodelay;
    bool unlink_on_close;        /* we created the Unix socket file */
    unsigned reconnect_s;        /* client: seconds between attempts; 0 = never */
    char *path;                  /* unix */
    char *desc;                  /* "unix:PATH" or "tcp:HOST:PORT", for messages */
    int port;                    /* tcp: bound (server) or remote (client) port */
    GArray *addrs;               /* SocketAddr: where to listen or connect */

    int listen_fd;
    guint listen_source;

    int fd;                      /* the connection; -1 when none */
    ChardevFdReader reader;

    guint reconnect_source;
    int connecting_fd;           /* a non-blocking connect in flight */
    guint connect_source;
    guint connect_index;         /* the address being tried */
    guint drop_source;           /* idle: end the connection after a write error */
} SocketChardev;

#define SOCKET_CHARDEV(obj) OBJECT_CHECK(SocketChardev, (obj), TYPE_CHARDEV_SOCKET)

static const char *const socket_option_keys[] = {
    "path", "host", "port", "server", "wait", "nodelay", "reconnect", "ipv4", "ipv6", NULL
};

static void socket_try_connect_async(SocketChardev *s);

static void socket_instance_init(Object *obj)
{
    SocketChardev *s = SOCKET_CHARDEV(obj);

    s->listen_fd = -1;
    s->fd = -1;
    s->connecting_fd = -1;
}

static void remove_source(guint *id)
{
    if (*id) {
        g_source_remove(*id);
        *id = 0;
    }
}

/* ---- addresses ---- */

static bool resolve_unix(SocketChardev *s, const char *path, GError **errp)
{
    SocketAddr a = { 0 };
    struct sockaddr_un *sun = (struct sockaddr_un *)&a.ss;

    if (strlen(path) >= sizeof(sun->sun_path)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "unix socket path '%s' is too long (at most %zu bytes)", path,
                        sizeof(sun->sun_path) - 1);
        return false;
    }
    sun->sun_family = AF_UNIX;
    strcpy(sun->sun_path, path);
    a.len = offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
    g_array_append_val(s->addrs, a);
    s->path = g_strdup(path);
    s->desc = g_strdup_printf("unix:%s", path);
    return true;
}

static bool resolve_tcp(SocketChardev *s, const char *host, const char *port,
                        bool v4, bool v6, GError **errp)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
    struct addrinfo *res, *ai;
    uint64_t portnum;
    int rc;

    if (!parse_uint64(port, &portnum, NULL) || portnum > 65535) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "port '%s' is not a number 0-65535",
                        port);
        return false;
    }
    if (portnum == 0 && !s->server) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "a client cannot connect to port 0");
        return false;
    }
    hints.ai_family = v4 && !v6 ? AF_INET : v6 && !v4 ? AF_INET6 : AF_UNSPEC;
    if (!host || !*host) {
        if (s->server) {
            hints.ai_flags = AI_PASSIVE;
            host = NULL;
        } else {
            host = "localhost";
        }
    }
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "cannot resolve '%s:%s': %s",
                        host ? host : "", port, gai_strerror(rc));
        return false;
    }
    /* IPv4 first, so "localhost" means 127.0.0.1 as most clients expect. */
    for (int pass = 0; pass < 2; pass++) {
        for (ai = res; ai; ai = ai->ai_next) {
            SocketAddr a = { 0 };

            if ((ai->ai_family == AF_INET) != (pass == 0) ||
                ai->ai_addrlen > sizeof(a.ss)) {
                continue;
            }
            memcpy(&a.ss, ai->ai_addr, ai->ai_addrlen);
            a.len = ai->ai_addrlen;
            g_array_append_val(s->addrs, a);
        }
    }
    freeaddrinfo(res);
    if (s->addrs->len == 0) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "'%s:%s' has no usable address",
                        host ? host : "", port);
        return false;
    }
    s->port = portnum;
    s->desc = g_strdup_printf("tcp:%s:%s", host ? host : "0.0.0.0", port);
    return true;
}

static int sockaddr_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        return ntohs(((const struct sockaddr_in *)ss)->sin_port);
    }
    if (ss->ss_family == AF_INET6) {
        return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    }
    return 0;
}

/* ---- connection state ---- */

static void socket_eof(Chardev *chr);

static void socket_connected(SocketChardev *s, int fd)
{
    int one = 1;

    g_unix_set_fd_nonblocking(fd, TRUE, NULL);
    if (!s->is_unix && s->nodelay) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    s->fd = fd;
    remove_source(&s->listen_source);
    s->reader.hup_while_paused = true;
    chardev_fd_reader_start(&s->reader, &s->parent_obj, fd, socket_eof);
    chardev_frontend_event(&s->parent_obj, CHR_EVENT_OPENED);
}

static gboolean socket_accept_ready(gint listen_fd, GIOCondition cond, gpointer opaque)
{
    SocketChardev *s = opaque;
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (fd < 0) {
        /* The client may have given up between poll and accept. */
        return G_SOURCE_CONTINUE;
    }
    s->listen_source = 0;
    socket_connected(s, fd);
    return G_SOURCE_REMOVE;
}

static void socket_watch_listen(SocketChardev *s)
{
    if (s->listen_fd >= 0 && !s->listen_source) {
        s->listen_source = g_unix_fd_add(s->listen_fd, G_IO_IN, socket_accept_ready, s);
    }
}

static gboolean socket_reconnect_timer(gpointer opaque)
{
    SocketChardev *s = opaque;

    s->reconnect_source = 0;
    s->connect_index = 0;
    socket_try_connect_async(s);
    return G_SOURCE_REMOVE;
}

static void socket_schedule_reconnect(SocketChardev *s)
{
    if (s->reconnect_s && !s->reconnect_source) {
        s->reconnect_source = g_timeout_add(s->reconnect_s * 1000u, socket_reconnect_timer, s);
    }
}

/* Ends the connection: frontends hear CLOSED; a server listens again. */
static void socket_disconnect(SocketChardev *s)
{
    Chardev *chr = &s->parent_obj;

    if (s->fd < 0) {
        return;
    }
    chardev_fd_reader_stop(&s->reader);
    remove_source(&s->drop_source);
    close(s->fd);
    s->fd = -1;
    object_ref(chr);
    chardev_frontend_event(chr, CHR_EVENT_CLOSED);
    /* The event handler may have removed the chardev. */
    if (chr->opened) {
        if (s->server) {
            socket_watch_listen(s);
        } else {
            socket_schedule_reconnect(s);
        }
    }
    object_unref(chr);
}

static void socket_eof(Chardev *chr)
{
    socket_disconnect(SOCKET_CHARDEV(chr));
}

static gboolean socket_drop_idle(gpointer opaque)
{
    SocketChardev *s = opaque;

    s->drop_source = 0;
    socket_disconnect(s);
    return G_SOURCE_REMOVE;
}

/*
 * A write failed because the peer went away. The frontend is in the middle
 * of writing, so the CLOSED event comes from the main loop instead.
 */
static void socket_write_failed(SocketChardev *s)
{
    if (!s->drop_source) {
        s->drop_source = g_idle_add(socket_drop_idle, s);
    }
}

/* ---- client connects ---- */

static int socket_connect_blocking(SocketChardev *s, int *err)
{
    *err = ECONNREFUSED;
    for (guint i = 0; i < s->addrs->len; i++) {
        SocketAddr *a = &g_array_index(s->addrs, SocketAddr, i);
        int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0) {
            *err = errno;
            continue;
        }
        if (connect(fd, (struct sockaddr *)&a->ss, a->len) == 0) {
            return fd;
        }
        *err = errno;
        close(fd);
    }
    return -1;
}

static gboolean socket_connect_done(gint fd, GIOCondition cond, gpointer opaque)
{
    SocketChardev *s = opaque;
    int err = 0;
    socklen_t len = sizeof(err);

    s->connect_source = 0;
    s->connecting_fd = -1;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
        err = errno;
    }
    if (err == 0) {
        socket_connected(s, fd);
    } else {
        close(fd);
        s->connect_index++;
        socket_try_connect_async(s);
    }
    return G_SOURCE_REMOVE;
}

/* Tries the addresses from connect_index on without blocking the main loop. */
static void socket_try_connect_async(SocketChardev *s)
{
    while (s->connect_index < s->addrs->len) {
        SocketAddr *a = &g_array_index(s->addrs, SocketAddr, s->connect_index);
        int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        if (fd >= 0) {
            if (connect(fd, (struct sockaddr *)&a->ss, a->len) == 0) {
                socket_connected(s, fd);
                return;
            }
            if (errno == EINPROGRESS) {
                s->connecting_fd = fd;
                s->connect_source = g_unix_fd_add(fd, G_IO_OUT, socket_connect_done, s);
                return;
            }
            close(fd);
        }
        s->connect_index++;
    }
    socket_schedule_reconnect(s);
}

/* ---- server ---- */

static bool socket_listen(SocketChardev *s, GError **errp)
{
    int err = 0;

    for (guint i = 0; i < s->addrs->len && s->listen_fd < 0; i++) {
        SocketAddr *a = &g_array_index(s->addrs, SocketAddr, i);
        int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        int one = 1;
        struct stat st;

        if (fd < 0) {
            err = errno;
            continue;
        }
        if (s->is_unix) {
            /* A stale socket file from an earlier run would make bind fail. */
            if (lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode)) {
                unlink(s->path);
            }
        } else {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        }
        if (bind(fd, (struct sockaddr *)&a->ss, a->len) < 0 || listen(fd, 1) < 0) {
            err = errno;
            close(fd);
            continue;
        }
        s->listen_fd = fd;
    }
    if (s->listen_fd < 0) {
        error_setg(errp, "cannot listen on %s: %s", s->desc, g_strerror(err));
        return false;
    }
    if (s->is_unix) {
        s->unlink_on_close = true;
    } else {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);

        if (getsockname(s->listen_fd, (struct sockaddr *)&ss, &len) == 0) {
            char *old = s->desc;
            char *colon = strrchr(old, ':');

            /* port=0 picked a port: name the real one in messages. */
            s->port = sockaddr_port(&ss);
            s->desc = g_strdup_printf("%.*s:%d", (int)(colon - old), old, s->port);
            g_free(old);
        }
    }
    return true;
}

/* wait=on: blocks until the first client connects. */
static void socket_wait_for_client(SocketChardev *s)
{
    struct pollfd pfd = { .fd = s->listen_fd, .events = POLLIN };

    error_report("waiting for connection on: disconnected:%s,server=on", s->desc);
    for (;;) {
        int fd;

        if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
            return;
        }
        fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
            socket_connected(s, fd);
            return;
        }
    }
}

/* ---- the class ---- */

static bool socket_open(Chardev *chr, GHashTable *opts, GError **errp)
{
    SocketChardev *s = SOCKET_CHARDEV(chr);
    const char *path = chardev_opt_get(opts, "path");
    const char *host = chardev_opt_get(opts, "host");
    const char *port = chardev_opt_get(opts, "port");
    bool wait, v4, v6;
    uint64_t reconnect;

    if (!chardev_opt_bool(opts, "server", false, &s->server, errp) ||
        !chardev_opt_bool(opts, "wait", true, &wait, errp) ||
        !chardev_opt_bool(opts, "nodelay", false, &s->nodelay, errp) ||
        !chardev_opt_bool(opts, "ipv4", false, &v4, errp) ||
        !chardev_opt_bool(opts, "ipv6", false, &v6, errp) ||
        !chardev_opt_uint(opts, "reconnect", 0, 86400, &reconnect, errp)) {
        return false;
    }
    s->reconnect_s = reconnect;
    if (s->server && reconnect) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "option 'reconnect' is for clients, not with server=on");
        return false;
    }
    s->addrs = g_array_new(FALSE, TRUE, sizeof(SocketAddr));
    if (path && (host || port)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "option 'path' (unix) excludes 'host' and 'port' (tcp)");
        return false;
    }
    if (path) {
        s->is_unix = true;
        if (!*path) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID, "option 'path' is empty");
            return false;
        }
        if (!resolve_unix(s, path, errp)) {
            return false;
        }
    } else if (port) {
        if (!resolve_tcp(s, host, port, v4, v6, errp)) {
            return false;
        }
    } else {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "option 'path' (unix) or 'port' (tcp) is required");
        return false;
    }

    if (s->server) {
        if (!socket_listen(s, errp)) {
            return false;
        }
        if (wait) {
            socket_wait_for_client(s);
        }
        if (s->fd < 0) {
            socket_watch_listen(s);
        }
        return true;
    }

    {
        int err;
        int fd = socket_connect_blocking(s, &err);

        if (fd >= 0) {
            socket_connected(s, fd);
        } else if (s->reconnect_s) {
            socket_schedule_reconnect(s);
        } else {
            error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "cannot connect to %s: %s",
                            s->desc, g_strerror(err));
            return false;
        }
    }
    return true;
}

static int socket_write(Chardev *chr, const uint8_t *buf, int len)
{
    SocketChardev *s = SOCKET_CHARDEV(chr);

    if (s->fd < 0 || s->drop_source) {
        return len;
    }
    for (;;) {
        ssize_t n = send(s->fd, buf, len, MSG_NOSIGNAL);

        if (n >= 0) {
            return n;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return 0;
        }
        socket_write_failed(s);
        return len;
    }
}

static bool socket_wait_writable(Chardev *chr)
{
    SocketChardev *s = SOCKET_CHARDEV(chr);

    if (s->fd < 0) {
        return false;
    }
    if (!chardev_fd_wait_writable(s->fd)) {
        socket_write_failed(s);
        return false;
    }
    return true;
}

static void socket_accept_input(Chardev *chr)
{
    chardev_fd_reader_resume(&SOCKET_CHARDEV(chr)->reader);
}

static void socket_close(Chardev *chr)
{
    SocketChardev *s = SOCKET_CHARDEV(chr);

    chardev_fd_reader_stop(&s->reader);
    remove_source(&s->listen_source);
    remove_source(&s->reconnect_source);
    remove_source(&s->connect_source);
    remove_source(&s->drop_source);
    if (s->connecting_fd >= 0) {
        close(s->connecting_fd);
        s->connecting_fd = -1;
    }
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        s->listen_fd = -1;
    }
    if (s->unlink_on_close) {
        unlink(s->path);
        s->unlink_on_close = false;
    }
    if (s->addrs) {
        g_array_unref(s->addrs);
        s->addrs = NULL;
    }
    g_clear_pointer(&s->path, g_free);
    g_clear_pointer(&s->desc, g_free);
}

static char *socket_get_port(Object *obj, ObjectProperty *prop, GError **errp)
{
    return g_strdup_printf("%d", SOCKET_CHARDEV(obj)->port);
}

static void socket_class_init(ObjectClass *klass, void *data)
{
    ChardevClass *k = CHARDEV_CLASS(klass);

    k->open = socket_open;
    k->write = socket_write;
    k->wait_writable = socket_wait_writable;
    k->accept_input = socket_accept_input;
    k->close = socket_close;
    k->option_keys = socket_option_keys;
    object_class_property_add(klass, "port", "uint16", socket_get_port, NULL, NULL, NULL);
}

static const TypeInfo socket_type_info = {
    .name = TYPE_CHARDEV_SOCKET,
    .parent = TYPE_CHARDEV,
    .instance_size = sizeof(SocketChardev),
    .instance_init = socket_instance_init,
    .class_init = socket_class_init,
};

static void socket_register_types(void)
{
    type_register(&socket_type_info);
}

type_init(socket_register_types)
