/*
 * The pty chardev: a new pseudo-terminal whose slave side ("/dev/pts/N",
 * printed at open and readable as the property "path") a terminal program
 * opens. The slave is put in raw mode so bytes pass unchanged.
 *
 * We keep only the master. While no one has the slave open the master
 * reports POLLHUP continuously, so instead of watching it we look again
 * once a second; output meanwhile is dropped. When a program opens the
 * slave, frontends get CHR_EVENT_OPENED (within that second) and input
 * flows; when it closes, CHR_EVENT_CLOSED.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <glib-unix.h>

#include "proteus/chardev.h"

#define TYPE_CHARDEV_PTY "chardev-pty"
#define PTY_POLL_MS 1000

typedef struct PtyChardev {
    Chardev parent_obj;
    int master;
    char *slave_path;
    ChardevFdReader reader;
    guint poll_source;           /* the once-a-second look while disconnected */
} PtyChardev;

#define PTY_CHARDEV(obj) OBJECT_CHECK(PtyChardev, (obj), TYPE_CHARDEV_PTY)

static void pty_instance_init(Object *obj)
{
    PTY_CHARDEV(obj)->master = -1;
}

/* The master hangs up while the slave has no open file. */
static bool pty_slave_open(PtyChardev *p)
{
    struct pollfd pfd = { .fd = p->master, .events = POLLIN };

    while (poll(&pfd, 1, 0) < 0) {
        if (errno != EINTR) {
            return false;
        }
    }
    return !(pfd.revents & (POLLHUP | POLLERR | POLLNVAL));
}

static void pty_eof(Chardev *chr);

static gboolean pty_poll_timer(gpointer opaque)
{
    PtyChardev *p = opaque;
    Chardev *chr = &p->parent_obj;

    if (!pty_slave_open(p)) {
        return G_SOURCE_CONTINUE;
    }
    p->poll_source = 0;
    p->reader.hup_while_paused = true;
    chardev_fd_reader_start(&p->reader, chr, p->master, pty_eof);
    chardev_frontend_event(chr, CHR_EVENT_OPENED);
    return G_SOURCE_REMOVE;
}

static void pty_start_polling(PtyChardev *p)
{
    if (!p->poll_source) {
        p->poll_source = g_timeout_add(PTY_POLL_MS, pty_poll_timer, p);
    }
}

/* The slave was closed (read gave EIO or end of file). */
static void pty_eof(Chardev *chr)
{
    PtyChardev *p = PTY_CHARDEV(chr);

    chardev_fd_reader_stop(&p->reader);
    if (chr->be_open) {
        chardev_frontend_event(chr, CHR_EVENT_CLOSED);
    }
    if (chr->opened) {
        pty_start_polling(p);
    }
}

static bool pty_open(Chardev *chr, GHashTable *opts, GError **errp)
{
    PtyChardev *p = PTY_CHARDEV(chr);
    char name[128];
    struct termios tio;
    int slave;

    p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (p->master < 0 || grantpt(p->master) < 0 || unlockpt(p->master) < 0 ||
        ptsname_r(p->master, name, sizeof(name)) != 0) {
        error_setg(errp, "cannot create a pseudo-terminal: %s", g_strerror(errno));
        return false;
    }
    slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
        error_setg(errp, "cannot open '%s': %s", name, g_strerror(errno));
        return false;
    }
    /* The setting belongs to the terminal and outlives this descriptor. */
    if (tcgetattr(slave, &tio) == 0) {
        cfmakeraw(&tio);
        tcsetattr(slave, TCSANOW, &tio);
    }
    close(slave);
    g_unix_set_fd_nonblocking(p->master, TRUE, NULL);
    p->slave_path = g_strdup(name);
    fprintf(stderr, "char device redirected to %s (label %s)\n", name, chr->label);
    pty_start_polling(p);
    return true;
}

static int pty_write(Chardev *chr, const uint8_t *buf, int len)
{
    PtyChardev *p = PTY_CHARDEV(chr);
    int n;

    /* Ask the master directly: the slave may have opened since the last look. */
    if (!chr->be_open && !pty_slave_open(p)) {
        return len;
    }
    n = chardev_fd_write(p->master, buf, len);
    /* EIO: the slave went away; the reader or the timer will notice. */
    return n < 0 ? len : n;
}

static bool pty_wait_writable(Chardev *chr)
{
    return chardev_fd_wait_writable(PTY_CHARDEV(chr)->master);
}

static void pty_accept_input(Chardev *chr)
{
    chardev_fd_reader_resume(&PTY_CHARDEV(chr)->reader);
}

static void pty_close(Chardev *chr)
{
    PtyChardev *p = PTY_CHARDEV(chr);

    chardev_fd_reader_stop(&p->reader);
    if (p->poll_source) {
        g_source_remove(p->poll_source);
        p->poll_source = 0;
    }
    if (p->master >= 0) {
        close(p->master);
        p->master = -1;
    }
    g_clear_pointer(&p->slave_path, g_free);
}

static char *pty_get_path(Object *obj, ObjectProperty *prop, GError **errp)
{
    PtyChardev *p = PTY_CHARDEV(obj);

    return g_strdup(p->slave_path ? p->slave_path : "");
}

static void pty_class_init(ObjectClass *klass, void *data)
{
    ChardevClass *k = CHARDEV_CLASS(klass);

    k->open = pty_open;
    k->write = pty_write;
    k->wait_writable = pty_wait_writable;
    k->accept_input = pty_accept_input;
    k->close = pty_close;
    object_class_property_add(klass, "path", "string", pty_get_path, NULL, NULL, NULL);
}

static const TypeInfo pty_type_info = {
    .name = TYPE_CHARDEV_PTY,
    .parent = TYPE_CHARDEV,
    .instance_size = sizeof(PtyChardev),
    .instance_init = pty_instance_init,
    .class_init = pty_class_init,
};

static void pty_register_types(void)
{
    type_register(&pty_type_info);
}

type_init(pty_register_types)
