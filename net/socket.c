/*
 * Backends that link two emulator instances over a stream socket:
 *   -netdev socket,id=ID,listen=[HOST]:PORT | connect=HOST:PORT
 *   -netdev stream,id=ID,server=on|off,addr.type=inet,addr.host=H,addr.port=P
 *   -netdev stream,id=ID,server=on|off,addr.type=unix,addr.path=PATH
 * All carry each frame as a 4-byte big-endian length and then the frame,
 * the framing of QEMU's socket/stream netdevs, so they interoperate.
 *
 * A listening side takes one connection at a time and goes back to
 * listening when it closes. A connecting side connects once, at creation.
 * Frames sent while no connection is up are dropped, as on an unplugged
 * cable.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proteus/error.h"
#include "proteus/log.h"
#include "proteus/main-loop.h"
#include "proteus/net.h"

#define STREAM_MAX_FRAME    65536
/* Output buffered beyond this makes the NIC's frames wait in the queue. */
#define STREAM_OUT_LIMIT    (256 * 1024)

typedef struct StreamState {
    NetClient *nc;
    int listen_fd;          /* -1 on the connecting side */
    int fd;                 /* the connection, -1 while none */
    GByteArray *in;         /* received bytes not yet a whole frame */
    GByteArray *out;        /* framed bytes not yet written */
    bool paused;            /* the NIC's queue is full: not reading */
} StreamState;

static void stream_update_handlers(StreamState *s);

static void stream_disconnect(StreamState *s)
{
    main_loop_set_fd_handler(s->fd, NULL, NULL, NULL);
    close(s->fd);
    s->fd = -1;
    g_byte_array_set_size(s->in, 0);
    g_byte_array_set_size(s->out, 0);
    s->paused = false;
    stream_update_handlers(s);
    /* What waited for the connection is dropped now. */
    net_receive_ready(s->nc);
}

/* Passes on every whole frame in s->in; false if the link broke. */
static bool stream_deliver(StreamState *s)
{
    while (s->in->len >= 4 && !s->paused) {
        uint32_t len = (uint32_t)s->in->data[0] << 24 | s->in->data[1] << 16 |
                       s->in->data[2] << 8 | s->in->data[3];

        if (len > STREAM_MAX_FRAME) {
            log_mask(LOG_GUEST_ERROR, "netdev %s: frame length %u from the peer is too "
                     "long; closing the connection\n", net_client_id(s->nc), len);
            return false;
        }
        if (s->in->len < 4 + len) {
            break;
        }
        if (net_send(s->nc, s->in->data + 4, len) == 0 && net_client_peer(s->nc)) {
            s->paused = true;
        }
        g_byte_array_remove_range(s->in, 0, 4 + len);
    }
    return true;
}

static void stream_read(void *opaque)
{
    StreamState *s = opaque;
    uint8_t buf[16384];
    ssize_t n = read(s->fd, buf, sizeof(buf));

    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    if (n <= 0) {
        stream_disconnect(s);
        return;
    }
    g_byte_array_append(s->in, buf, n);
    if (!stream_deliver(s)) {
        stream_disconnect(s);
    } else if (s->paused) {
        stream_update_handlers(s);
    }
}

/* Writes what it can of s->out; false if the link broke. */
static bool stream_flush(StreamState *s)
{
    while (s->out->len) {
        ssize_t n = send(s->fd, s->out->data, s->out->len, MSG_NOSIGNAL);

        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            break;
        }
        if (n <= 0) {
            return false;
        }
        g_byte_array_remove_range(s->out, 0, n);
    }
    return true;
}

static void stream_writable(void *opaque)
{
    StreamState *s = opaque;

    if (!stream_flush(s)) {
        stream_disconnect(s);
        return;
    }
    stream_update_handlers(s);
    net_receive_ready(s->nc);
}

static void stream_accept(void *opaque)
{
    StreamState *s = opaque;
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0) {
        return;
    }
    if (s->fd >= 0) {
        close(fd);      /* one peer at a time */
        return;
    }
    s->fd = fd;
    stream_update_handlers(s);
}

static void stream_update_handlers(StreamState *s)
{
    if (s->listen_fd >= 0) {
        main_loop_set_fd_handler(s->listen_fd, s->fd < 0 ? stream_accept : NULL, NULL, s);
    }
    if (s->fd >= 0) {
        main_loop_set_fd_handler(s->fd, s->paused ? NULL : stream_read,
                                 s->out->len ? stream_writable : NULL, s);
    }
}

static bool stream_can_receive(NetClient *nc)
{
    StreamState *s = net_client_opaque(nc);

    return s->out->len < STREAM_OUT_LIMIT;
}

static ssize_t stream_receive(NetClient *nc, const uint8_t *buf, size_t len)
{
    StreamState *s = net_client_opaque(nc);
    uint8_t hdr[4] = { len >> 24, len >> 16, len >> 8, len };

    if (s->fd < 0) {
        return len;
    }
    g_byte_array_append(s->out, hdr, 4);
    g_byte_array_append(s->out, buf, len);
    if (!stream_flush(s)) {
        stream_disconnect(s);
    } else {
        stream_update_handlers(s);
    }
    return len;
}

static void stream_resume(NetClient *nc)
{
    StreamState *s = net_client_opaque(nc);

    if (s->fd < 0 || !s->paused) {
        return;
    }
    s->paused = false;
    if (!stream_deliver(s)) {
        stream_disconnect(s);
        return;
    }
    stream_update_handlers(s);
}

static void stream_cleanup(NetClient *nc)
{
    StreamState *s = net_client_opaque(nc);

    if (s->fd >= 0) {
        main_loop_set_fd_handler(s->fd, NULL, NULL, NULL);
        close(s->fd);
    }
    if (s->listen_fd >= 0) {
        main_loop_set_fd_handler(s->listen_fd, NULL, NULL, NULL);
        close(s->listen_fd);
    }
    g_byte_array_unref(s->in);
    g_byte_array_unref(s->out);
    g_free(s);
}

static const NetClientInfo stream_info = {
    .type = "stream",
    .can_receive = stream_can_receive,
    .receive = stream_receive,
    .resume = stream_resume,
    .cleanup = stream_cleanup,
};

/* Binds and listens, or connects; closes fd on failure. */
static bool stream_bind_or_connect(int fd, const struct sockaddr *addr, socklen_t len,
                                   bool listening)
{
    if (listening ? (bind(fd, addr, len) < 0 || listen(fd, 1) < 0)
                  : connect(fd, addr, len) < 0) {
        int err = errno;

        close(fd);
        errno = err;
        return false;
    }
    return true;
}

/* A listening or connected TCP socket for host:port (host NULL or empty:
 * any address when listening). Returns the fd or -1. */
static int stream_open_inet(const char *what, const char *host, const char *port,
                            bool listening, GError **errp)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = listening ? AI_PASSIVE : 0,
    };
    struct addrinfo *res, *ai;
    const char *h = host && *host ? host : NULL;
    int fd = -1, rc, err = 0;

    rc = getaddrinfo(h, port, &hints, &res);
    if (rc != 0) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "%s: cannot resolve '%s:%s': %s",
                        what, h ? h : "", port, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        int one = 1;

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (!stream_bind_or_connect(fd, ai->ai_addr, ai->ai_addrlen, listening)) {
            err = errno;
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        error_setg_code(errp, PROTEUS_ERROR_FAILED, "%s: cannot %s %s:%s: %s", what,
                        listening ? "listen on" : "connect to", h ? h : "", port,
                        g_strerror(err));
        return -1;
    }
    if (!listening) {
        int one = 1;

        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    return fd;
}

/* A client on an fd from stream_open_inet/unix (a listener or a connection). */
static NetClient *stream_new(const char *id, int fd, bool listening)
{
    StreamState *s = g_new0(StreamState, 1);

    main_loop_init();
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    s->listen_fd = listening ? fd : -1;
    s->fd = listening ? -1 : fd;
    s->in = g_byte_array_new();
    s->out = g_byte_array_new();
    s->nc = net_client_new(&stream_info, id, s);
    stream_update_handlers(s);
    return s->nc;
}

static int stream_open_unix(const char *what, const char *path, bool listening,
                            GError **errp)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(sun.sun_path)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "%s: socket path '%s' is too long",
                        what, path);
        return -1;
    }
    strcpy(sun.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || !stream_bind_or_connect(fd, (struct sockaddr *)&sun, sizeof(sun),
                                          listening)) {
        error_setg_code(errp, PROTEUS_ERROR_FAILED, "%s: cannot %s %s: %s", what,
                        listening ? "listen on" : "connect to", path, g_strerror(errno));
        return -1;
    }
    return fd;
}

NetClient *net_socket_new(const char *id, OptList *opts, GError **errp)
{
    static const char *const allowed[] = { "id", "listen", "connect", NULL };
    const char *listen_at = opt_list_get(opts, "listen");
    const char *connect_to = opt_list_get(opts, "connect");
    const char *spec = listen_at ? listen_at : connect_to;
    g_autofree char *host = NULL;
    const char *colon;
    int fd;

    if (!net_opts_check(opts, "-netdev socket", allowed, errp)) {
        return NULL;
    }
    if (!listen_at == !connect_to) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-netdev socket: give exactly one of listen=HOST:PORT and "
                        "connect=HOST:PORT");
        return NULL;
    }
    colon = strrchr(spec, ':');
    if (!colon || !colon[1] || (connect_to && colon == spec)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-netdev socket: '%s' is not HOST:PORT", spec);
        return NULL;
    }
    host = g_strndup(spec, colon - spec);
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        g_autofree char *bare = g_strndup(host + 1, strlen(host) - 2);

        g_free(host);
        host = g_steal_pointer(&bare);
    }
    fd = stream_open_inet("-netdev socket", host, colon + 1, listen_at != NULL, errp);
    return fd < 0 ? NULL : stream_new(id, fd, listen_at != NULL);
}

NetClient *net_stream_new(const char *id, OptList *opts, GError **errp)
{
    static const char *const allowed[] = {
        "id", "server", "addr.type", "addr.host", "addr.port", "addr.path", NULL
    };
    const char *type = opt_list_get(opts, "addr.type");
    const char *host = opt_list_get(opts, "addr.host");
    const char *port = opt_list_get(opts, "addr.port");
    const char *path = opt_list_get(opts, "addr.path");
    bool server;
    int fd;

    if (!net_opts_check(opts, "-netdev stream", allowed, errp) ||
        !net_opts_get_bool(opts, "server", false, "-netdev stream", &server, errp)) {
        return NULL;
    }
    if (type && !strcmp(type, "unix")) {
        if (!path || host || port) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "-netdev stream: addr.type=unix takes addr.path= only");
            return NULL;
        }
        fd = stream_open_unix("-netdev stream", path, server, errp);
    } else if (type && !strcmp(type, "inet")) {
        if (!port || path || (!server && !host)) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "-netdev stream: addr.type=inet takes %saddr.port=",
                            server ? "[addr.host=] " : "addr.host= and ");
            return NULL;
        }
        fd = stream_open_inet("-netdev stream", host, port, server, errp);
    } else {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-netdev stream: addr.type must be inet or unix, not '%s'",
                        type ? type : "");
        return NULL;
    }
    return fd < 0 ? NULL : stream_new(id, fd, server);
}
