/*
 * "-netdev user": user-mode networking through libslirp. The guest sees a
 * NATed network (default 10.0.2.0/24: gateway 10.0.2.2, DNS 10.0.2.3,
 * DHCP from 10.0.2.15) with TFTP and host port forwarding.
 *
 * Slirp's sockets are polled by a GSource on the default main context:
 * prepare asks slirp which fds to watch (slirp_pollfds_fill), dispatch
 * hands back their events (slirp_pollfds_poll), which also runs slirp's
 * TCP timers. Slirp's own timers are realtime Timers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <slirp/libslirp.h>

#include "proteus/error.h"
#include "proteus/log.h"
#include "proteus/main-loop.h"
#include "proteus/net.h"

typedef struct SlirpSource {
    GSource source;
    struct SlirpState *s;
    GArray *tags;           /* gpointer: the fds added by the last prepare */
    int64_t deadline_ns;    /* slirp's next timeout, -1 for none */
} SlirpSource;

typedef struct SlirpState {
    Slirp *slirp;
    NetClient *nc;
    SlirpSource *source;
    char *tftp;
    char *bootfile;
    char *hostname;
} SlirpState;

typedef struct SlirpTimer {
    Timer *timer;
    SlirpTimerCb cb;
    void *cb_opaque;
} SlirpTimer;

/* ---- slirp's callbacks ---- */

static ssize_t slirp_cb_send_packet(const void *buf, size_t len, void *opaque)
{
    SlirpState *s = opaque;

    net_send(s->nc, buf, len);
    return len;
}

static void slirp_cb_guest_error(const char *msg, void *opaque)
{
    log_mask(LOG_GUEST_ERROR, "slirp: %s\n", msg);
}

static int64_t slirp_cb_clock_get_ns(void *opaque)
{
    return clock_get_ns(PROTEUS_CLOCK_REALTIME);
}

static void slirp_timer_fire(void *opaque)
{
    SlirpTimer *t = opaque;

    t->cb(t->cb_opaque);
}

static void *slirp_cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    SlirpTimer *t = g_new0(SlirpTimer, 1);

    t->cb = cb;
    t->cb_opaque = cb_opaque;
    t->timer = timer_new_ns(PROTEUS_CLOCK_REALTIME, slirp_timer_fire, t);
    return t;
}

static void slirp_cb_timer_free(void *timer, void *opaque)
{
    SlirpTimer *t = timer;

    timer_free(t->timer);
    g_free(t);
}

static void slirp_cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    SlirpTimer *t = timer;

    timer_mod_ns(t->timer, expire_ms * 1000000);
}

/* The GSource asks for fds on every iteration: nothing to register. */
static void slirp_cb_register_poll_fd(int fd, void *opaque)
{
}

static void slirp_cb_unregister_poll_fd(int fd, void *opaque)
{
}

static void slirp_cb_notify(void *opaque)
{
    main_loop_notify();
}

static const SlirpCb slirp_callbacks = {
    .send_packet = slirp_cb_send_packet,
    .guest_error = slirp_cb_guest_error,
    .clock_get_ns = slirp_cb_clock_get_ns,
    .timer_new = slirp_cb_timer_new,
    .timer_free = slirp_cb_timer_free,
    .timer_mod = slirp_cb_timer_mod,
    .register_poll_fd = slirp_cb_register_poll_fd,
    .unregister_poll_fd = slirp_cb_unregister_poll_fd,
    .notify = slirp_cb_notify,
};

/* ---- polling slirp's sockets ---- */

static int slirp_add_poll(int fd, int events, void *opaque)
{
    SlirpSource *src = opaque;
    GIOCondition cond = 0;
    gpointer tag;

    cond |= (events & SLIRP_POLL_IN) ? G_IO_IN : 0;
    cond |= (events & SLIRP_POLL_OUT) ? G_IO_OUT : 0;
    cond |= (events & SLIRP_POLL_PRI) ? G_IO_PRI : 0;
    cond |= (events & SLIRP_POLL_ERR) ? G_IO_ERR : 0;
    cond |= (events & SLIRP_POLL_HUP) ? G_IO_HUP : 0;
    tag = g_source_add_unix_fd(&src->source, fd, cond);
    g_array_append_val(src->tags, tag);
    return src->tags->len - 1;
}

static int slirp_get_revents(int idx, void *opaque)
{
    SlirpSource *src = opaque;
    GIOCondition cond;
    int events = 0;

    if (idx < 0 || (guint)idx >= src->tags->len) {
        return 0;
    }
    cond = g_source_query_unix_fd(&src->source, g_array_index(src->tags, gpointer, idx));
    events |= (cond & G_IO_IN) ? SLIRP_POLL_IN : 0;
    events |= (cond & G_IO_OUT) ? SLIRP_POLL_OUT : 0;
    events |= (cond & G_IO_PRI) ? SLIRP_POLL_PRI : 0;
    events |= (cond & G_IO_ERR) ? SLIRP_POLL_ERR : 0;
    events |= (cond & G_IO_HUP) ? SLIRP_POLL_HUP : 0;
    return events;
}

static gboolean slirp_source_prepare(GSource *source, gint *timeout_ms)
{
    SlirpSource *src = (SlirpSource *)source;
    uint32_t timeout = UINT32_MAX;

    for (guint i = 0; i < src->tags->len; i++) {
        g_source_remove_unix_fd(source, g_array_index(src->tags, gpointer, i));
    }
    g_array_set_size(src->tags, 0);
    slirp_pollfds_fill(src->s->slirp, &timeout, slirp_add_poll, src);
    if (timeout == UINT32_MAX) {
        src->deadline_ns = -1;
        *timeout_ms = -1;
    } else {
        src->deadline_ns = clock_get_ns(PROTEUS_CLOCK_REALTIME) + timeout * 1000000LL;
        *timeout_ms = timeout;
    }
    return timeout == 0;
}

static gboolean slirp_source_check(GSource *source)
{
    SlirpSource *src = (SlirpSource *)source;

    for (guint i = 0; i < src->tags->len; i++) {
        if (g_source_query_unix_fd(source, g_array_index(src->tags, gpointer, i))) {
            return TRUE;
        }
    }
    return src->deadline_ns >= 0 &&
           clock_get_ns(PROTEUS_CLOCK_REALTIME) >= src->deadline_ns;
}

static gboolean slirp_source_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
    SlirpSource *src = (SlirpSource *)source;

    slirp_pollfds_poll(src->s->slirp, 0, slirp_get_revents, src);
    return G_SOURCE_CONTINUE;
}

static void slirp_source_finalize(GSource *source)
{
    g_array_free(((SlirpSource *)source)->tags, TRUE);
}

static GSourceFuncs slirp_source_funcs = {
    .prepare = slirp_source_prepare,
    .check = slirp_source_check,
    .dispatch = slirp_source_dispatch,
    .finalize = slirp_source_finalize,
};

/* ---- the NetClient ---- */

static ssize_t slirp_receive(NetClient *nc, const uint8_t *buf, size_t len)
{
    SlirpState *s = net_client_opaque(nc);

    slirp_input(s->slirp, buf, len);
    return len;
}

static void slirp_state_free(SlirpState *s)
{
    if (s->source) {
        g_source_destroy(&s->source->source);
        g_source_unref(&s->source->source);
    }
    if (s->slirp) {
        slirp_cleanup(s->slirp);
    }
    g_free(s->tftp);
    g_free(s->bootfile);
    g_free(s->hostname);
    g_free(s);
}

static void slirp_nc_cleanup(NetClient *nc)
{
    slirp_state_free(net_client_opaque(nc));
}

static const NetClientInfo slirp_info = {
    .type = "user",
    .receive = slirp_receive,
    .cleanup = slirp_nc_cleanup,
};

/* ---- options ---- */

static bool parse_ipv4(const char *s, struct in_addr *out)
{
    return s && inet_pton(AF_INET, s, out) == 1;
}

/* "net=ADDR[/PREFIX|/MASK]" */
static bool parse_net(const char *v, struct in_addr *net, struct in_addr *mask,
                      GError **errp)
{
    g_auto(GStrv) parts = g_strsplit(v, "/", 2);
    guint64 prefix = 24;

    if (!parse_ipv4(parts[0], net)) {
        goto bad;
    }
    if (parts[1]) {
        if (parse_ipv4(parts[1], mask)) {
            *net = (struct in_addr){ net->s_addr & mask->s_addr };
            return true;
        }
        if (!g_ascii_string_to_unsigned(parts[1], 10, 1, 30, &prefix, NULL)) {
            goto bad;
        }
    }
    mask->s_addr = htonl(~0u << (32 - prefix));
    net->s_addr &= mask->s_addr;
    return true;
bad:
    error_setg_code(errp, PROTEUS_ERROR_INVALID,
                    "-netdev user: net=%s is not ADDR[/PREFIX] (e.g. 10.0.2.0/24)", v);
    return false;
}

/* An address in the guest network: key=ADDR, default net + host_part. */
static bool parse_guest_addr(OptList *opts, const char *key, struct in_addr net,
                             struct in_addr mask, uint32_t host_part,
                             struct in_addr *out, GError **errp)
{
    const char *v = opt_list_get(opts, key);

    if (!v) {
        out->s_addr = net.s_addr | htonl(host_part);
        return true;
    }
    if (!parse_ipv4(v, out) || (out->s_addr & mask.s_addr) != net.s_addr) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-netdev user: %s=%s is not an address in the guest network",
                        key, v);
        return false;
    }
    return true;
}

/* "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" */
static bool parse_port(const char *s, int *port)
{
    guint64 v;

    if (!g_ascii_string_to_unsigned(s, 10, 0, 65535, &v, NULL)) {
        return false;
    }
    *port = v;
    return true;
}

static bool slirp_hostfwd(SlirpState *s, const char *spec, struct in_addr guest_default,
                          GError **errp)
{
    g_auto(GStrv) halves = g_strsplit(spec, "-", 2);
    g_auto(GStrv) host = NULL;
    g_auto(GStrv) guest = NULL;
    struct in_addr haddr = { htonl(INADDR_ANY) }, gaddr = guest_default;
    int is_udp = 0, hport, gport;

    if (!halves[0] || !halves[1]) {
        goto bad;
    }
    host = g_strsplit(halves[0], ":", -1);
    guest = g_strsplit(halves[1], ":", -1);
    if (g_strv_length(host) != 3 || g_strv_length(guest) != 2) {
        goto bad;
    }
    if (!strcmp(host[0], "udp")) {
        is_udp = 1;
    } else if (host[0][0] && strcmp(host[0], "tcp")) {
        goto bad;
    }
    if ((host[1][0] && !parse_ipv4(host[1], &haddr)) ||
        (guest[0][0] && !parse_ipv4(guest[0], &gaddr)) ||
        !parse_port(host[2], &hport) || !parse_port(guest[1], &gport) || gport == 0) {
        goto bad;
    }
    if (slirp_add_hostfwd(s->slirp, is_udp, haddr, hport, gaddr, gport) < 0) {
        error_setg_code(errp, PROTEUS_ERROR_FAILED,
                        "-netdev user: hostfwd=%s: cannot forward host port %d: %s",
                        spec, hport, g_strerror(errno));
        return false;
    }
    return true;
bad:
    error_setg_code(errp, PROTEUS_ERROR_INVALID,
                    "-netdev user: bad hostfwd '%s' (want [tcp|udp]:[HOSTADDR]:HOSTPORT-"
                    "[GUESTADDR]:GUESTPORT)", spec);
    return false;
}

static bool slirp_config_fill(SlirpState *s, OptList *opts, SlirpConfig *cfg,
                              GError **errp)
{
    const char *net = opt_list_get(opts, "net");
    bool restricted, ipv4;

    cfg->version = 1;
    cfg->in_enabled = true;
    cfg->vnetwork.s_addr = htonl(0x0a000200);
    cfg->vnetmask.s_addr = htonl(0xffffff00);
    if (net && !parse_net(net, &cfg->vnetwork, &cfg->vnetmask, errp)) {
        return false;
    }
    if (!parse_guest_addr(opts, "host", cfg->vnetwork, cfg->vnetmask, 2, &cfg->vhost, errp) ||
        !parse_guest_addr(opts, "dns", cfg->vnetwork, cfg->vnetmask, 3,
                          &cfg->vnameserver, errp) ||
        !parse_guest_addr(opts, "dhcpstart", cfg->vnetwork, cfg->vnetmask, 15,
                          &cfg->vdhcp_start, errp)) {
        return false;
    }
    if (!net_opts_get_bool(opts, "restrict", false, "-netdev user", &restricted, errp) ||
        !net_opts_get_bool(opts, "ipv4", true, "-netdev user", &ipv4, errp)) {
        return false;
    }
    if (!ipv4) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-netdev user: ipv4=off is not supported (only IPv4 is provided)");
        return false;
    }
    cfg->restricted = restricted;
    s->tftp = g_strdup(opt_list_get(opts, "tftp"));
    s->bootfile = g_strdup(opt_list_get(opts, "bootfile"));
    s->hostname = g_strdup(opt_list_get(opts, "hostname"));
    cfg->tftp_path = s->tftp;
    cfg->bootfile = s->bootfile;
    cfg->vhostname = s->hostname;
    return true;
}

NetClient *net_slirp_new(const char *id, OptList *opts, GError **errp)
{
    static const char *const allowed[] = {
        "id", "net", "host", "dns", "dhcpstart", "hostfwd", "tftp", "bootfile",
        "hostname", "restrict", "ipv4", NULL
    };
    SlirpState *s;
    SlirpConfig cfg = { 0 };

    if (!net_opts_check(opts, "-netdev user", allowed, errp)) {
        return NULL;
    }
    main_loop_init();
    s = g_new0(SlirpState, 1);
    if (!slirp_config_fill(s, opts, &cfg, errp)) {
        slirp_state_free(s);
        return NULL;
    }
    if (s->tftp && !g_file_test(s->tftp, G_FILE_TEST_IS_DIR)) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND,
                        "-netdev user: tftp=%s is not a directory", s->tftp);
        slirp_state_free(s);
        return NULL;
    }
    s->slirp = slirp_new(&cfg, &slirp_callbacks, s);
    for (guint i = 0; i < opts->items->len; i++) {
        OptItem *it = g_ptr_array_index(opts->items, i);

        if (!strcmp(it->key, "hostfwd") &&
            !slirp_hostfwd(s, it->value ? it->value : "", cfg.vdhcp_start, errp)) {
            slirp_state_free(s);
            return NULL;
        }
    }
    s->source = (SlirpSource *)g_source_new(&slirp_source_funcs, sizeof(SlirpSource));
    s->source->s = s;
    s->source->tags = g_array_new(FALSE, FALSE, sizeof(gpointer));
    g_source_set_name(&s->source->source, "proteus-slirp");
    g_source_attach(&s->source->source, g_main_context_default());
    s->nc = net_client_new(&slirp_info, id, s);
    return s->nc;
}
