/*
 * "-netdev tap,id=ID[,ifname=NAME][,script=no,downscript=no]": frames to
 * and from a host TAP interface (/dev/net/tun, IFF_TAP | IFF_NO_PI: each
 * read or write is one bare Ethernet frame).
 *
 * Configuring the host side (addresses, bridges) is left to the user:
 * script= and downscript= other than "no" are refused. Reading stops while
 * the NIC's queue is full and starts again when it drains; a frame the
 * kernel cannot take now waits in our queue until the fd is writable.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "proteus/error.h"
#include "proteus/main-loop.h"
#include "proteus/net.h"

#define TAP_DEVICE "/dev/net/tun"

typedef struct TapState {
    int fd;
    NetClient *nc;
    bool write_blocked;
    uint8_t buf[65536];
} TapState;

static void tap_update_handlers(TapState *t, bool reading);

static void tap_read(void *opaque)
{
    TapState *t = opaque;

    for (;;) {
        ssize_t n = read(t->fd, t->buf, sizeof(t->buf));

        if (n <= 0) {
            return;     /* EAGAIN, or the interface went away: wait */
        }
        if (net_send(t->nc, t->buf, n) == 0 && net_client_peer(t->nc)) {
            tap_update_handlers(t, false);   /* the NIC is full */
            return;
        }
    }
}

static void tap_writable(void *opaque)
{
    TapState *t = opaque;

    t->write_blocked = false;
    tap_update_handlers(t, true);
    net_receive_ready(t->nc);
}

static void tap_update_handlers(TapState *t, bool reading)
{
    main_loop_set_fd_handler(t->fd, reading ? tap_read : NULL,
                             t->write_blocked ? tap_writable : NULL, t);
}

static bool tap_can_receive(NetClient *nc)
{
    return !((TapState *)net_client_opaque(nc))->write_blocked;
}

static ssize_t tap_receive(NetClient *nc, const uint8_t *buf, size_t len)
{
    TapState *t = net_client_opaque(nc);
    ssize_t n = write(t->fd, buf, len);

    if (n < 0 && errno == EAGAIN) {
        t->write_blocked = true;
        tap_update_handlers(t, true);
        return 0;
    }
    return len;     /* sent, or dropped as a real link would */
}

static void tap_resume(NetClient *nc)
{
    tap_update_handlers(net_client_opaque(nc), true);
}

static void tap_cleanup(NetClient *nc)
{
    TapState *t = net_client_opaque(nc);

    main_loop_set_fd_handler(t->fd, NULL, NULL, NULL);
    close(t->fd);
    g_free(t);
}

static const NetClientInfo tap_info = {
    .type = "tap",
    .can_receive = tap_can_receive,
    .receive = tap_receive,
    .resume = tap_resume,
    .cleanup = tap_cleanup,
};

static bool tap_check_script(OptList *opts, const char *key, GError **errp)
{
    const char *v = opt_list_get(opts, key);

    if (v && strcmp(v, "no") != 0) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-netdev tap: %s=%s is not supported (use %s=no and configure "
                        "the interface on the host yourself)", key, v, key);
        return false;
    }
    return true;
}

static int tap_open(const char *ifname, GError **errp)
{
    struct ifreq ifr = { 0 };
    int fd;

    if (ifname && strlen(ifname) >= IFNAMSIZ) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-netdev tap: ifname '%s' is too long (at most %d characters)",
                        ifname, IFNAMSIZ - 1);
        return -1;
    }
    fd = open(TAP_DEVICE, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        error_setg_code(errp, PROTEUS_ERROR_PERMISSION,
                        "-netdev tap: cannot open %s: %s", TAP_DEVICE, g_strerror(errno));
        return -1;
    }
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ifname) {
        strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
    }
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        error_setg_code(errp, PROTEUS_ERROR_PERMISSION,
                        "-netdev tap: cannot create TAP interface '%s' on %s: %s",
                        ifname ? ifname : "tap%d", TAP_DEVICE, g_strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

NetClient *net_tap_new(const char *id, OptList *opts, GError **errp)
{
    static const char *const allowed[] = { "id", "ifname", "script", "downscript", NULL };
    TapState *t;
    int fd;

    if (!net_opts_check(opts, "-netdev tap", allowed, errp) ||
        !tap_check_script(opts, "script", errp) ||
        !tap_check_script(opts, "downscript", errp)) {
        return NULL;
    }
    fd = tap_open(opt_list_get(opts, "ifname"), errp);
    if (fd < 0) {
        return NULL;
    }
    main_loop_init();
    t = g_new0(TapState, 1);
    t->fd = fd;
    t->nc = net_client_new(&tap_info, id, t);
    tap_update_handlers(t, true);
    return t->nc;
}
