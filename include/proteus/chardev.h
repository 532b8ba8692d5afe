/*
 * Character devices: the byte-stream backends that serial ports, consoles
 * and monitors talk to. A Chardev is an object (type "chardev-<backend>")
 * created from a QEMU-style option string and kept under /chardevs/<id>.
 * A device holds a CharFrontend bound to one chardev: it registers
 * handlers to receive bytes and events, and writes bytes out.
 *
 * Backends: null, stdio (raw terminal; restored at exit), file (path=, out
 * only, or in= for input), pipe (path.in/path.out fifos, or path itself),
 * socket (tcp: host=,port=; unix: path=; server=on|off, wait=on|off,
 * nodelay, reconnect=SECONDS), pty (prints the slave's name), mux (several
 * frontends share one backend; Ctrl-A c switches, Ctrl-A x quits, Ctrl-A h
 * lists keys). Every backend also takes logfile=PATH (a copy of the output),
 * logappend=on|off and mux=on (puts a mux in front; the backend itself is
 * then "<id>-base").
 * Receiving runs from the main loop (glib's default context) with the BQL
 * held; input is read only as fast as the frontend's can_read allows.
 */
#ifndef PROTEUS_CHARDEV_H
#define PROTEUS_CHARDEV_H

#include <stdio.h>

#include "proteus/qom.h"

#define TYPE_CHARDEV "chardev"
#define TYPE_CHARDEV_MUX "chardev-mux"

/* Frontends can hold this many bytes per can_read when they set no can_read. */
#define CHR_READ_BUF_LEN 4096
/* A mux takes at most this many frontends. */
#define MUX_MAX_FRONTENDS 4

typedef enum {
    CHR_EVENT_OPENED,    /* a peer connected (socket), or the backend is ready */
    CHR_EVENT_CLOSED,    /* the peer went away */
    CHR_EVENT_BREAK,     /* serial break (Ctrl-A b on a mux) */
    CHR_EVENT_MUX_IN,    /* this frontend now has the mux's focus */
    CHR_EVENT_MUX_OUT,   /* this frontend lost it */
} ChrEvent;

typedef struct Chardev Chardev;
typedef struct ChardevClass ChardevClass;
typedef struct CharFrontend CharFrontend;

#define CHARDEV(obj) OBJECT_CHECK(Chardev, (obj), TYPE_CHARDEV)
#define CHARDEV_CLASS(klass) OBJECT_CLASS_CHECK(ChardevClass, (klass), TYPE_CHARDEV)
#define CHARDEV_GET_CLASS(obj) OBJECT_GET_CLASS(ChardevClass, (obj), TYPE_CHARDEV)

/* How many bytes the frontend can take now (0 pauses input). */
typedef int ChrCanReadHandler(void *opaque);
typedef void ChrReadHandler(void *opaque, const uint8_t *buf, int size);
typedef void ChrEventHandler(void *opaque, ChrEvent event);

struct Chardev {
    Object parent_obj;
    char *label;                 /* the id */
    CharFrontend *fe;            /* the frontend bound to it (mux: NULL) */
    bool be_open;                /* open for I/O: a peer is there (socket, pty) */
    bool opened;                 /* open() succeeded; close() still due */
    bool removing;               /* chardev_remove() has started */
    Chardev *base;               /* mux=on: the backend made with it, removed with it */
    char *logfile;               /* logfile=: gets a copy of everything written */
    int logfd;
};

struct ChardevClass {
    ObjectClass parent_class;
    /*
     * Opens the backend from its options ("key" -> "value"; bare keys read
     * "on"). On failure close() still runs, so it must cope with a half
     * opened backend.
     */
    bool (*open)(Chardev *chr, GHashTable *opts, GError **errp);
    /* Writes up to len bytes; returns how many were taken (0: would block), or -1. */
    int (*write)(Chardev *chr, const uint8_t *buf, int len);
    /*
     * Blocks until write() can take more. false: it never will (the peer
     * went away), and chr_fe_write_all drops the rest. NULL: never waits.
     */
    bool (*wait_writable)(Chardev *chr);
    /* Called when the frontend's can_read may have grown (resume input). */
    void (*accept_input)(Chardev *chr);
    /* Called when a frontend binds/unbinds (the mux tracks its frontends). */
    bool (*attach_frontend)(Chardev *chr, CharFrontend *fe, GError **errp);
    void (*detach_frontend)(Chardev *chr, CharFrontend *fe);
    /* The mux: makes fe the focused frontend. */
    void (*take_focus)(Chardev *chr, CharFrontend *fe);
    void (*close)(Chardev *chr);
    /* Option keys the backend accepts besides id, logfile, logappend and mux. */
    const char *const *option_keys;
};

struct CharFrontend {
    Chardev *chr;
    ChrCanReadHandler *can_read;
    ChrReadHandler *read;
    ChrEventHandler *event;
    void *opaque;
    int mux_tag;                 /* index among a mux's frontends, -1 otherwise */
};

/*
 * Creates a chardev from "-chardev" syntax: "BACKEND,id=ID,key=value,...".
 * The id must be new. Errors name the option and the reason.
 */
Chardev *chardev_new_from_string(const char *optstr, GError **errp);
/*
 * Creates a chardev with id label from "-serial"/"-monitor" shorthand:
 * "stdio" (a mux over stdio, so Ctrl-A x quits), "null", "pty", "file:PATH",
 * "pipe:PATH", "tcp:[HOST]:PORT[,server=on,...]", "unix:PATH[,server=on,...]",
 * "chardev:ID" (an existing chardev), "mon:SPEC" (a mux over SPEC; the
 * monitor joins it). "none" means no device: NULL without an error.
 */
Chardev *chardev_new_from_shorthand(const char *label, const char *spec, GError **errp);
Chardev *chardev_find(const char *id);
/* Closes chr, unbinds its frontends and takes it out of /chardevs. */
void chardev_remove(Chardev *chr);
/* Closes every chardev (restores the terminal); called at exit. */
void chardev_cleanup_all(void);
/* Lists the backends ("-chardev help"). */
void chardev_print_backends(FILE *out);

/* Delivers received bytes / events to the bound frontend (backend side). */
int chardev_frontend_can_read(Chardev *chr);
void chardev_frontend_read(Chardev *chr, const uint8_t *buf, int len);
/* Also tracks be_open (OPENED sets it, CLOSED clears it). */
void chardev_frontend_event(Chardev *chr, ChrEvent event);

/* ---- frontend side ---- */

/*
 * Binds fe to chr (chr may be NULL: output is dropped, no input arrives).
 * fe needs no prior initialisation. Fails if chr already has a frontend
 * (unless it is a mux with room).
 */
bool chr_fe_init(CharFrontend *fe, Chardev *chr, GError **errp);
void chr_fe_deinit(CharFrontend *fe);
/*
 * Installs the handlers. A missing can_read with a read handler means
 * "CHR_READ_BUF_LEN at a time". If the backend is already open, event gets
 * CHR_EVENT_OPENED at once.
 */
void chr_fe_set_handlers(CharFrontend *fe, ChrCanReadHandler *can_read,
                         ChrReadHandler *read, ChrEventHandler *event, void *opaque);
bool chr_fe_backend_connected(CharFrontend *fe);
/* Writes what the backend takes now; returns bytes written or -1. */
int chr_fe_write(CharFrontend *fe, const uint8_t *buf, int len);
/* Writes everything, waiting for the backend when it is slow. */
int chr_fe_write_all(CharFrontend *fe, const uint8_t *buf, int len);
/* Tells the backend the frontend can take more input now. */
void chr_fe_accept_input(CharFrontend *fe);
void chr_fe_printf(CharFrontend *fe, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* On a mux: gives fe the input focus (MUX_OUT/MUX_IN events). Else nothing. */
void chr_fe_take_focus(CharFrontend *fe);

/* A device property "chardev=ID" binding a CharFrontend field. */
#define DEFINE_PROP_CHR(_n, _s, _f)                                         \
    { .name = (_n), .kind = PROP_KIND_CUSTOM,                               \
      .offset = offsetof(_s, _f) + PROP_TYPE_CHECK_(_s, _f, CharFrontend),          \
      .type_name = "chardev", .set = chardev_prop_set, .get = chardev_prop_get, \
      .release = chardev_prop_release,                                      \
      .description = "ID of a chardev to use as a backend" }
bool chardev_prop_set(Object *obj, ObjectProperty *prop, const char *value, GError **errp);
char *chardev_prop_get(Object *obj, ObjectProperty *prop, GError **errp);
void chardev_prop_release(Object *obj, ObjectProperty *prop);

/* ---- helpers for backend implementations ---- */

/*
 * Reads an fd from the main loop into the chardev's frontend, never more
 * than chardev_frontend_can_read() allows: at 0 it stops watching the fd
 * for input until chardev_fd_reader_resume() (call it from accept_input).
 * On end of file or a read error it stops and calls eof. With
 * hup_while_paused, a hang-up while paused also calls eof (unread input is
 * dropped): a socket's peer leaving is noticed even when no one reads.
 */
typedef struct ChardevFdReader {
    Chardev *chr;
    int fd;
    guint source;                /* the glib source: input, or hang-up while paused */
    bool active;                 /* started and not stopped */
    bool paused;                 /* the frontend is full */
    bool hup_while_paused;
    void (*eof)(Chardev *chr);
} ChardevFdReader;

void chardev_fd_reader_start(ChardevFdReader *r, Chardev *chr, int fd,
                             void (*eof)(Chardev *chr));
void chardev_fd_reader_stop(ChardevFdReader *r);
void chardev_fd_reader_resume(ChardevFdReader *r);

/* write() that retries on EINTR; 0 when the fd would block, -1 on errors. */
int chardev_fd_write(int fd, const uint8_t *buf, int len);
/* Polls for POLLOUT; false on POLLHUP/POLLERR. */
bool chardev_fd_wait_writable(int fd);

/* "file", "socket", ...: the type name without "chardev-". */
const char *chardev_backend_name(Chardev *chr);
/*
 * Option accessors for open(); errors name the option (the caller of open()
 * prefixes "chardev 'ID': ").
 */
const char *chardev_opt_get(GHashTable *opts, const char *key);
const char *chardev_opt_require(GHashTable *opts, const char *key, GError **errp);
bool chardev_opt_bool(GHashTable *opts, const char *key, bool def, bool *value,
                      GError **errp);
bool chardev_opt_uint(GHashTable *opts, const char *key, uint64_t def, uint64_t max,
                      uint64_t *value, GError **errp);

#endif
