/*
 * The mux chardev: up to MUX_MAX_FRONTENDS frontends (a serial port and
 * the monitor, typically) share one backend (chardev=ID; "mux=on" on any
 * backend makes one). Output from every frontend goes to the backend;
 * input goes to the focused frontend, which starts as the first one
 * attached.
 *
 * Ctrl-A is the escape key:
 *   Ctrl-A c       focus the next frontend (MUX_OUT to the old, MUX_IN to the new)
 *   Ctrl-A x       print a note and shut down (status 0)
 *   Ctrl-A h or ?  list these keys on the backend
 *   Ctrl-A b       CHR_EVENT_BREAK to the focused frontend
 *   Ctrl-A Ctrl-A  one literal Ctrl-A
 * Ctrl-A followed by any other byte passes both bytes through.
 *
 * Each frontend has a small input buffer so that escapes keep working
 * while the focused frontend is slow; when the focused one's buffer is
 * full the backend stops reading. Bytes arriving for a newly focused
 * frontend whose buffer is already full are dropped.
 */
#include <string.h>

#include "proteus/chardev.h"
#include "proteus/main-loop.h"
#include "proteus/runstate.h"

#define MUX_ESCAPE 0x01          /* Ctrl-A */
#define MUX_BUF_LEN 256

typedef struct MuxChardev {
    Chardev parent_obj;
    CharFrontend *fes[MUX_MAX_FRONTENDS];
    int focus;                   /* index into fes, -1 when none */
    CharFrontend be;             /* our frontend on the backend */
    bool escape_pending;         /* the last byte was Ctrl-A */
    uint8_t buf[MUX_MAX_FRONTENDS][MUX_BUF_LEN];
    int buf_len[MUX_MAX_FRONTENDS];
} MuxChardev;

#define MUX_CHARDEV(obj) OBJECT_CHECK(MuxChardev, (obj), TYPE_CHARDEV_MUX)

static const char *const mux_option_keys[] = { "chardev", NULL };

static const char mux_help[] =
    "\r\n"
    "C-a h    print this help\r\n"
    "C-a x    exit the emulator\r\n"
    "C-a c    switch between console and monitor\r\n"
    "C-a b    send a break\r\n"
    "C-a C-a  send C-a\r\n";

static void mux_instance_init(Object *obj)
{
    MuxChardev *m = MUX_CHARDEV(obj);

    m->focus = -1;
    m->be.mux_tag = -1;
}

static void mux_send_event(MuxChardev *m, int i, ChrEvent event)
{
    CharFrontend *fe = m->fes[i];

    if (fe && fe->event) {
        fe->event(fe->opaque, event);
    }
}

static void mux_set_focus(MuxChardev *m, int i)
{
    int old = m->focus;

    if (old == i) {
        return;
    }
    m->focus = i;
    if (old >= 0) {
        mux_send_event(m, old, CHR_EVENT_MUX_OUT);
    }
    if (i >= 0) {
        mux_send_event(m, i, CHR_EVENT_MUX_IN);
    }
}

/* The next attached frontend after 'from', cyclically; -1 if none. */
static int mux_next(MuxChardev *m, int from)
{
    for (int step = 1; step <= MUX_MAX_FRONTENDS; step++) {
        int i = (from + step + MUX_MAX_FRONTENDS) % MUX_MAX_FRONTENDS;

        if (m->fes[i]) {
            return i;
        }
    }
    return -1;
}

/* Hands buffered input to frontend i as far as it takes it. */
static void mux_flush(MuxChardev *m, int i)
{
    CharFrontend *fe = m->fes[i];

    while (fe && m->buf_len[i] > 0 && fe->read && m->fes[i] == fe) {
        int room = fe->can_read ? fe->can_read(fe->opaque) : CHR_READ_BUF_LEN;
        uint8_t chunk[MUX_BUF_LEN];
        int n;

        if (room <= 0) {
            return;
        }
        n = MIN(room, m->buf_len[i]);
        /* Take the bytes out first: the handler may come back into the mux. */
        memcpy(chunk, m->buf[i], n);
        memmove(m->buf[i], m->buf[i] + n, m->buf_len[i] - n);
        m->buf_len[i] -= n;
        fe->read(fe->opaque, chunk, n);
    }
}

static void mux_queue(MuxChardev *m, uint8_t byte)
{
    int i = m->focus;

    if (i >= 0 && m->buf_len[i] < MUX_BUF_LEN) {
        m->buf[i][m->buf_len[i]++] = byte;
    }
}

static void mux_backend_write(MuxChardev *m, const char *text)
{
    chr_fe_write_all(&m->be, (const uint8_t *)text, strlen(text));
}

static void mux_escape(MuxChardev *m, uint8_t ch)
{
    switch (ch) {
    case 'x':
        mux_backend_write(m, "\r\nproteus: terminated by Ctrl-A x\r\n");
        /* a user's quit: QMP clients hear SHUTDOWN (host-ui) */
        runstate_request_shutdown(SHUTDOWN_CAUSE_HOST_UI, 0);
        break;
    case 'c':
        mux_set_focus(m, mux_next(m, m->focus));
        break;
    case 'h':
    case '?':
        mux_backend_write(m, mux_help);
        break;
    case 'b':
        if (m->focus >= 0) {
            mux_send_event(m, m->focus, CHR_EVENT_BREAK);
        }
        break;
    case MUX_ESCAPE:
        mux_queue(m, MUX_ESCAPE);
        break;
    default:
        mux_queue(m, MUX_ESCAPE);
        mux_queue(m, ch);
        break;
    }
}

/* ---- our frontend on the backend ---- */

static int mux_be_can_read(void *opaque)
{
    MuxChardev *m = opaque;
    int room;

    if (m->focus < 0) {
        /* No frontend: still read, so the escape keys work; other bytes are dropped. */
        return MUX_BUF_LEN - 1;
    }
    /* An escape pair can put two bytes in the buffer for one read. */
    room = MUX_BUF_LEN - m->buf_len[m->focus] - 1;
    return room > 0 ? room : 0;
}

static void mux_be_read(void *opaque, const uint8_t *buf, int size)
{
    MuxChardev *m = opaque;
    Chardev *chr = &m->parent_obj;

    object_ref(chr);
    for (int k = 0; k < size && chr->opened; k++) {
        uint8_t ch = buf[k];

        if (m->escape_pending) {
            m->escape_pending = false;
            /* What came before an escape reaches the frontend before its effect. */
            if (m->focus >= 0) {
                mux_flush(m, m->focus);
            }
            mux_escape(m, ch);
        } else if (ch == MUX_ESCAPE) {
            m->escape_pending = true;
        } else {
            mux_queue(m, ch);
        }
    }
    if (chr->opened && m->focus >= 0) {
        mux_flush(m, m->focus);
    }
    object_unref(chr);
}

static void mux_be_event(void *opaque, ChrEvent event)
{
    MuxChardev *m = opaque;

    if (event == CHR_EVENT_BREAK) {
        if (m->focus >= 0) {
            mux_send_event(m, m->focus, event);
        }
        return;
    }
    chardev_frontend_event(&m->parent_obj, event);
    for (int i = 0; i < MUX_MAX_FRONTENDS; i++) {
        mux_send_event(m, i, event);
    }
}

/* ---- the class ---- */

static bool mux_open(Chardev *chr, GHashTable *opts, GError **errp)
{
    MuxChardev *m = MUX_CHARDEV(chr);
    const char *id = chardev_opt_require(opts, "chardev", errp);
    Chardev *base;

    if (!id) {
        return false;
    }
    base = chardev_find(id);
    if (!base) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "no chardev '%s'", id);
        return false;
    }
    if (base == chr || object_dynamic_cast(OBJECT(base), TYPE_CHARDEV_MUX)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "chardev '%s' is a mux; a mux goes in front of a backend", id);
        return false;
    }
    if (!chr_fe_init(&m->be, base, errp)) {
        return false;
    }
    chr_fe_set_handlers(&m->be, mux_be_can_read, mux_be_read, mux_be_event, m);
    return true;
}

static int mux_write(Chardev *chr, const uint8_t *buf, int len)
{
    return chr_fe_write(&MUX_CHARDEV(chr)->be, buf, len);
}

static bool mux_wait_writable(Chardev *chr)
{
    Chardev *base = MUX_CHARDEV(chr)->be.chr;
    ChardevClass *k = base ? CHARDEV_GET_CLASS(base) : NULL;

    return k && k->wait_writable && k->wait_writable(base);
}

static void mux_accept_input(Chardev *chr)
{
    MuxChardev *m = MUX_CHARDEV(chr);

    for (int i = 0; i < MUX_MAX_FRONTENDS; i++) {
        mux_flush(m, i);
    }
    chr_fe_accept_input(&m->be);
}

static bool mux_attach_frontend(Chardev *chr, CharFrontend *fe, GError **errp)
{
    MuxChardev *m = MUX_CHARDEV(chr);

    for (int i = 0; i < MUX_MAX_FRONTENDS; i++) {
        if (!m->fes[i]) {
            m->fes[i] = fe;
            m->buf_len[i] = 0;
            fe->mux_tag = i;
            if (m->focus < 0) {
                m->focus = i;
            }
            return true;
        }
    }
    error_setg_code(errp, PROTEUS_ERROR_EXISTS,
                    "chardev '%s' is already in use by %d devices (the most a mux takes)",
                    chr->label, MUX_MAX_FRONTENDS);
    return false;
}

static void mux_detach_frontend(Chardev *chr, CharFrontend *fe)
{
    MuxChardev *m = MUX_CHARDEV(chr);
    int i = fe->mux_tag;

    if (i < 0 || i >= MUX_MAX_FRONTENDS || m->fes[i] != fe) {
        return;
    }
    m->fes[i] = NULL;
    m->buf_len[i] = 0;
    if (m->focus == i) {
        int next = mux_next(m, i);

        m->focus = -1;
        mux_set_focus(m, next);
    }
}

static void mux_take_focus(Chardev *chr, CharFrontend *fe)
{
    MuxChardev *m = MUX_CHARDEV(chr);

    if (fe->mux_tag >= 0 && fe->mux_tag < MUX_MAX_FRONTENDS && m->fes[fe->mux_tag] == fe) {
        mux_set_focus(m, fe->mux_tag);
    }
}

static void mux_close(Chardev *chr)
{
    MuxChardev *m = MUX_CHARDEV(chr);

    for (int i = 0; i < MUX_MAX_FRONTENDS; i++) {
        if (m->fes[i]) {
            m->fes[i]->chr = NULL;
            m->fes[i]->mux_tag = -1;
            m->fes[i] = NULL;
        }
    }
    m->focus = -1;
    chr_fe_deinit(&m->be);
}

static void mux_class_init(ObjectClass *klass, void *data)
{
    ChardevClass *k = CHARDEV_CLASS(klass);

    k->open = mux_open;
    k->write = mux_write;
    k->wait_writable = mux_wait_writable;
    k->accept_input = mux_accept_input;
    k->attach_frontend = mux_attach_frontend;
    k->detach_frontend = mux_detach_frontend;
    k->take_focus = mux_take_focus;
    k->close = mux_close;
    k->option_keys = mux_option_keys;
}

static const TypeInfo mux_type_info = {
    .name = TYPE_CHARDEV_MUX,
    .parent = TYPE_CHARDEV,
    .instance_size = sizeof(MuxChardev),
    .instance_init = mux_instance_init,
    .class_init = mux_class_init,
};

static void mux_register_types(void)
{
    type_register(&mux_type_info);
}

type_init(mux_register_types)
