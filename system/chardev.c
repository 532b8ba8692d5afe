/*
 * Character devices: the abstract "chardev" type, the registry under
 * /chardevs, "-chardev" and "-serial" option parsing, the frontend API
 * (chr_fe_*), the "chardev=ID" device property, logfile= copies of the
 * output, and the fd-reading helpers the backends share.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include "proteus/chardev.h"
#include "proteus/options.h"

#define CHARDEV_CONTAINER "/chardevs"

/* Keys every backend takes. */
static const char *const common_option_keys[] = {
    "id", "logfile", "logappend", "mux", NULL
};

/* ---- the base type ---- */

static void chardev_instance_init(Object *obj)
{
    Chardev *chr = CHARDEV(obj);

    chr->logfd = -1;
}

static void chardev_instance_finalize(Object *obj)
{
    Chardev *chr = CHARDEV(obj);

    /* Normally chardev_remove() has closed it; this covers a bare unparent. */
    if (chr->opened) {
        chr->opened = false;
        CHARDEV_GET_CLASS(chr)->close(chr);
    }
    if (chr->fe) {
        chr->fe->chr = NULL;
        chr->fe = NULL;
    }
    if (chr->base) {
        object_unref(chr->base);
    }
    if (chr->logfd >= 0) {
        close(chr->logfd);
    }
    g_free(chr->logfile);
    g_free(chr->label);
}

static const TypeInfo chardev_type_info = {
    .name = TYPE_CHARDEV,
    .parent = TYPE_OBJECT,
    .instance_size = sizeof(Chardev),
    .instance_init = chardev_instance_init,
    .instance_finalize = chardev_instance_finalize,
    .abstract = true,
    .class_size = sizeof(ChardevClass),
};

static void chardev_register_types(void)
{
    type_register(&chardev_type_info);
}

type_init(chardev_register_types)

const char *chardev_backend_name(Chardev *chr)
{
    const char *type = object_get_typename(OBJECT(chr));

    return g_str_has_prefix(type, "chardev-") ? type + strlen("chardev-") : type;
}

/* ---- options ---- */

const char *chardev_opt_get(GHashTable *opts, const char *key)
{
    return g_hash_table_lookup(opts, key);
}

const char *chardev_opt_require(GHashTable *opts, const char *key, GError **errp)
{
    const char *v = g_hash_table_lookup(opts, key);

    if (!v || !*v) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "option '%s' is required", key);
        return NULL;
    }
    return v;
}

bool chardev_opt_bool(GHashTable *opts, const char *key, bool def, bool *value,
                      GError **errp)
{
    const char *v = g_hash_table_lookup(opts, key);

    *value = def;
    if (!v) {
        return true;
    }
    if (!parse_bool(v, value, errp)) {
        g_prefix_error(errp, "option '%s': ", key);
        return false;
    }
    return true;
}

bool chardev_opt_uint(GHashTable *opts, const char *key, uint64_t def, uint64_t max,
                      uint64_t *value, GError **errp)
{
    const char *v = g_hash_table_lookup(opts, key);

    *value = def;
    if (!v) {
        return true;
    }
    if (!parse_uint64(v, value, errp)) {
        g_prefix_error(errp, "option '%s': ", key);
        return false;
    }
    if (*value > max) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "option '%s': %s is out of range (at most %" G_GUINT64_FORMAT ")",
                        key, v, max);
        return false;
    }
    return true;
}

static bool key_in(const char *const *keys, const char *key)
{
    for (; keys && *keys; keys++) {
        if (strcmp(*keys, key) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * Looks up the class of a backend name. NULL and errp set if there is no
 * such backend.
 */
static ChardevClass *backend_class(const char *backend, GError **errp)
{
    g_autofree char *type = g_strdup_printf("chardev-%s", backend);
    ObjectClass *oc = object_class_by_name(type);

    if (!oc || !object_class_dynamic_cast(oc, TYPE_CHARDEV) ||
        object_class_is_abstract(oc)) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "backend '%s' is unknown", backend);
        return NULL;
    }
    return CHARDEV_CLASS(oc);
}

/*
 * Turns the elements after the backend name into key -> value. A bare
 * "key" means key=on and "nokey" key=off (QEMU's old boolean syntax, as
 * in "server,nowait").
 */
static GHashTable *parse_backend_options(ChardevClass *k, const char *backend,
                                         OptList *list, GError **errp)
{
    GHashTable *opts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

    for (guint i = 0; i < list->items->len; i++) {
        OptItem *it = g_ptr_array_index(list->items, i);
        g_autofree char *key = g_strdup(it->key);
        const char *value = it->value ? it->value : "on";

        if (!it->value && g_str_has_prefix(key, "no") && !key_in(k->option_keys, key) &&
            !key_in(common_option_keys, key)) {
            char *positive = g_strdup(key + 2);

            g_free(key);
            key = positive;
            value = "off";
        }
        if (!key_in(k->option_keys, key) && !key_in(common_option_keys, key)) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "backend '%s' has no option '%s'", backend, key);
            g_hash_table_unref(opts);
            return NULL;
        }
        g_hash_table_insert(opts, g_strdup(key), g_strdup(value));
    }
    return opts;
}

/* Ids name objects in the tree: a letter, then letters, digits, '-', '.', '_'. */
static bool check_id(const char *id, GError **errp)
{
    bool ok = g_ascii_isalpha(id[0]);

    for (const char *p = id; ok && *p; p++) {
        ok = g_ascii_isalnum(*p) || *p == '-' || *p == '.' || *p == '_';
    }
    if (!ok) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "chardev id '%s' is invalid (a letter, then letters, digits, "
                        "'-', '.' or '_')", id);
        return false;
    }
    if (chardev_find(id)) {
        error_setg_code(errp, PROTEUS_ERROR_EXISTS, "chardev id '%s' is already in use",
                        id);
        return false;
    }
    return true;
}

static bool open_logfile(Chardev *chr, GHashTable *opts, GError **errp)
{
    const char *path = chardev_opt_get(opts, "logfile");
    bool append;

    if (!chardev_opt_bool(opts, "logappend", false, &append, errp)) {
        return false;
    }
    if (!path) {
        return true;
    }
    chr->logfd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC),
                      0666);
    if (chr->logfd < 0) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "logfile '%s': %s", path,
                        g_strerror(errno));
        return false;
    }
    chr->logfile = g_strdup(path);
    return true;
}

/*
 * Makes the object, puts it at /chardevs/<id> and opens it. On failure
 * nothing is left behind.
 */
static Chardev *chardev_create(ChardevClass *k, const char *id, GHashTable *opts,
                               GError **errp)
{
    Object *obj = object_new(object_class_get_name(OBJECT_CLASS(k)));
    Object *container = container_get(object_get_root(), CHARDEV_CONTAINER);
    Chardev *chr = CHARDEV(obj);
    GError *err = NULL;

    chr->label = g_strdup(id);
    if (!object_property_add_child(container, id, obj, errp)) {
        object_unref(obj);
        return NULL;
    }
    object_unref(obj);          /* the container holds it now */

    /* close() runs even when open() fails half-way. */
    chr->opened = true;
    if (!open_logfile(chr, opts, &err) || !k->open(chr, opts, &err)) {
        g_propagate_prefixed_error(errp, err, "chardev '%s': ", id);
        chardev_remove(chr);
        return NULL;
    }
    return chr;
}

Chardev *chardev_new_from_string(const char *optstr, GError **errp)
{
    g_autoptr(OptList) list = NULL;
    g_autoptr(GHashTable) opts = NULL;
    const char *backend;
    g_autofree char *base_id = NULL;
    ChardevClass *k, *mux_class;
    const char *id;
    Chardev *chr, *mux;
    bool want_mux;

    list = opt_list_parse(optstr, NULL, "backend name (e.g. 'socket,id=ID,...')", errp);
    if (!list) {
        return NULL;
    }
    backend = list->head;
    k = backend_class(backend, errp);
    if (!k) {
        return NULL;
    }
    opts = parse_backend_options(k, backend, list, errp);
    if (!opts) {
        return NULL;
    }
    id = chardev_opt_get(opts, "id");
    if (!id || !*id) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "backend '%s': option 'id' is required",
                        backend);
        return NULL;
    }
    if (!check_id(id, errp) ||
        !chardev_opt_bool(opts, "mux", false, &want_mux, errp)) {
        return NULL;
    }
    if (!want_mux) {
        return chardev_create(k, id, opts, errp);
    }

    /* mux=on: the backend becomes "<id>-base" and a mux takes the id. */
    base_id = g_strdup_printf("%s-base", id);
    mux_class = backend_class("mux", errp);
    if (!mux_class || !check_id(base_id, errp)) {
        return NULL;
    }
    chr = chardev_create(k, base_id, opts, errp);
    if (!chr) {
        return NULL;
    }
    {
        g_autoptr(GHashTable) mux_opts =
            g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

        g_hash_table_insert(mux_opts, g_strdup("chardev"), g_strdup(base_id));
        mux = chardev_create(mux_class, id, mux_opts, errp);
    }
    if (!mux) {
        chardev_remove(chr);
        return NULL;
    }
    /* A reference of our own: the backend may be removed by id before the mux. */
    mux->base = CHARDEV(object_ref(chr));
    return mux;
}

/* Appends s with every comma doubled, so it survives the option splitter. */
static void append_escaped(GString *out, const char *s)
{
    for (; *s; s++) {
        if (*s == ',') {
            g_string_append_c(out, ',');
        }
        g_string_append_c(out, *s);
    }
}

/* "tcp:[HOST]:PORT[,opts]" -> "host=HOST,port=PORT[,opts]". */
static bool translate_tcp(GString *out, const char *rest, const char *spec, GError **errp)
{
    const char *end = rest;
    g_autofree char *hostport = NULL;
    char *colon;
    char *host;

    while (*end && !(end[0] == ',' && end[1] != ',')) {
        end += (end[0] == ',') ? 2 : 1;
    }
    hostport = g_strndup(rest, end - rest);
    colon = strrchr(hostport, ':');
    if (!colon || !colon[1]) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "'%s': expected tcp:[HOST]:PORT", spec);
        return false;
    }
    *colon = '\0';
    host = hostport;
    /* "[::1]:4444" */
    if (host[0] == '[' && colon > host + 1 && colon[-1] == ']') {
        colon[-1] = '\0';
        host++;
    }
    if (*host) {
        g_string_append(out, ",host=");
        g_string_append(out, host);
    }
    g_string_append(out, ",port=");
    g_string_append(out, colon + 1);
    g_string_append(out, end);
    return true;
}

Chardev *chardev_new_from_shorthand(const char *label, const char *spec, GError **errp)
{
    g_autoptr(GString) str = g_string_new(NULL);
    const char *inner = spec;
    bool mux = false;

    if (strcmp(spec, "none") == 0) {
        return NULL;
    }
    if (g_str_has_prefix(spec, "chardev:")) {
        Chardev *chr = chardev_find(spec + strlen("chardev:"));

        if (!chr) {
            error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "'%s': no chardev '%s'", spec,
                            spec + strlen("chardev:"));
        }
        return chr;
    }
    if (g_str_has_prefix(spec, "mon:")) {
        inner = spec + strlen("mon:");
        mux = true;
    }

    if (strcmp(inner, "stdio") == 0 || strcmp(inner, "null") == 0 ||
        strcmp(inner, "pty") == 0) {
        g_string_printf(str, "%s,id=", inner);
        append_escaped(str, label);
        if (strcmp(inner, "stdio") == 0) {
            /* As in QEMU, the monitor's terminal passes Ctrl-C to the guest. */
            if (mux) {
                g_string_append(str, ",signal=off");
            }
            /* A console on the terminal always has the Ctrl-A keys, as -nographic does. */
            mux = true;
        }
    } else if (g_str_has_prefix(inner, "file:") || g_str_has_prefix(inner, "pipe:")) {
        g_string_append_len(str, inner, 4);
        g_string_append(str, ",id=");
        append_escaped(str, label);
        g_string_append(str, ",path=");
        append_escaped(str, inner + 5);
    } else if (g_str_has_prefix(inner, "unix:")) {
        g_string_append(str, "socket,id=");
        append_escaped(str, label);
        g_string_append(str, ",path=");
        g_string_append(str, inner + 5);
    } else if (g_str_has_prefix(inner, "tcp:")) {
        g_string_append(str, "socket,id=");
        append_escaped(str, label);
        if (!translate_tcp(str, inner + 4, spec, errp)) {
            return NULL;
        }
    } else {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "'%s' is not a chardev (use stdio, null, pty, file:PATH, "
                        "pipe:PATH, tcp:[HOST]:PORT, unix:PATH, mon:..., chardev:ID "
                        "or none)", spec);
        return NULL;
    }
    if (mux) {
        g_string_append(str, ",mux=on");
    }
    return chardev_new_from_string(str->str, errp);
}

Chardev *chardev_find(const char *id)
{
    Object *container = container_get(object_get_root(), CHARDEV_CONTAINER);
    Object *obj;

    if (!id || !*id) {
        return NULL;
    }
    obj = object_resolve_path_component(container, id);
    if (!obj || !object_dynamic_cast(obj, TYPE_CHARDEV)) {
        return NULL;
    }
    return CHARDEV(obj);
}

void chardev_remove(Chardev *chr)
{
    Chardev *base;

    if (chr->removing) {
        return;
    }
    chr->removing = true;
    object_ref(chr);
    if (chr->fe) {
        chr->fe->chr = NULL;
        chr->fe = NULL;
    }
    if (chr->opened) {
        chr->opened = false;
        CHARDEV_GET_CLASS(chr)->close(chr);
    }
    chr->be_open = false;
    if (OBJECT(chr)->parent) {
        object_unparent(OBJECT(chr));
    }
    base = chr->base;
    chr->base = NULL;
    if (base) {
        chardev_remove(base);
        object_unref(base);
    }
    object_unref(chr);
}

static int collect_chardev(Object *child, void *opaque)
{
    if (object_dynamic_cast(child, TYPE_CHARDEV)) {
        g_ptr_array_add(opaque, object_ref(child));
    }
    return 0;
}

void chardev_cleanup_all(void)
{
    Object *container = container_get(object_get_root(), CHARDEV_CONTAINER);
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(object_unref);

    object_child_foreach(container, collect_chardev, all);
    /* Muxes first: they still hold their backends' frontends. */
    for (guint i = 0; i < all->len; i++) {
        Chardev *chr = g_ptr_array_index(all, i);

        if (object_dynamic_cast(OBJECT(chr), TYPE_CHARDEV_MUX)) {
            chardev_remove(chr);
        }
    }
    for (guint i = 0; i < all->len; i++) {
        chardev_remove(g_ptr_array_index(all, i));
    }
}

static void print_backend(ObjectClass *klass, void *opaque)
{
    const char *name = object_class_get_name(klass);

    if (g_str_has_prefix(name, "chardev-")) {
        fprintf(opaque, "  %s\n", name + strlen("chardev-"));
    }
}

void chardev_print_backends(FILE *out)
{
    fprintf(out, "Available chardev backends:\n");
    object_class_foreach(print_backend, TYPE_CHARDEV, false, out);
}

/* ---- backend -> frontend ---- */

int chardev_frontend_can_read(Chardev *chr)
{
    CharFrontend *fe = chr->fe;
    int n;

    if (!fe || !fe->read) {
        return 0;
    }
    if (!fe->can_read) {
        return CHR_READ_BUF_LEN;
    }
    n = fe->can_read(fe->opaque);
    return n > 0 ? n : 0;
}

void chardev_frontend_read(Chardev *chr, const uint8_t *buf, int len)
{
    CharFrontend *fe = chr->fe;

    if (fe && fe->read && len > 0) {
        fe->read(fe->opaque, buf, len);
    }
}

void chardev_frontend_event(Chardev *chr, ChrEvent event)
{
    CharFrontend *fe = chr->fe;

    if (event == CHR_EVENT_OPENED) {
        chr->be_open = true;
    } else if (event == CHR_EVENT_CLOSED) {
        chr->be_open = false;
    }
    if (fe && fe->event) {
        fe->event(fe->opaque, event);
    }
}

/* ---- frontend side ---- */

static void fe_clear(CharFrontend *fe)
{
    fe->chr = NULL;
    fe->can_read = NULL;
    fe->read = NULL;
    fe->event = NULL;
    fe->opaque = NULL;
    fe->mux_tag = -1;
}

bool chr_fe_init(CharFrontend *fe, Chardev *chr, GError **errp)
{
    ChardevClass *k;

    fe_clear(fe);
    if (!chr) {
        return true;
    }
    k = CHARDEV_GET_CLASS(chr);
    if (k->attach_frontend) {
        if (!k->attach_frontend(chr, fe, errp)) {
            return false;
        }
    } else if (chr->fe) {
        error_setg_code(errp, PROTEUS_ERROR_EXISTS,
                        "chardev '%s' is already in use by another device", chr->label);
        return false;
    } else {
        chr->fe = fe;
    }
    fe->chr = chr;
    return true;
}

void chr_fe_deinit(CharFrontend *fe)
{
    Chardev *chr = fe->chr;

    if (chr) {
        ChardevClass *k = CHARDEV_GET_CLASS(chr);

        if (k->detach_frontend) {
            k->detach_frontend(chr, fe);
        } else if (chr->fe == fe) {
            chr->fe = NULL;
        }
    }
    fe_clear(fe);
}

void chr_fe_set_handlers(CharFrontend *fe, ChrCanReadHandler *can_read,
                         ChrReadHandler *read, ChrEventHandler *event, void *opaque)
{
    Chardev *chr = fe->chr;
    ChardevClass *k;

    fe->can_read = can_read;
    fe->read = read;
    fe->event = event;
    fe->opaque = opaque;
    if (!chr) {
        return;
    }
    k = CHARDEV_GET_CLASS(chr);
    if (chr->be_open && event) {
        event(opaque, CHR_EVENT_OPENED);
    }
    /* Input may have been held back while nobody could take it. */
    if (fe->chr == chr && k->accept_input) {
        k->accept_input(chr);
    }
}

bool chr_fe_backend_connected(CharFrontend *fe)
{
    return fe->chr != NULL;
}

/* logfile= gets what the backend took; a failing log never stops the output. */
static void log_output(Chardev *chr, const uint8_t *buf, int len)
{
    while (len > 0) {
        ssize_t n = write(chr->logfd, buf, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;
        }
        buf += n;
        len -= n;
    }
}

int chr_fe_write(CharFrontend *fe, const uint8_t *buf, int len)
{
    Chardev *chr = fe->chr;
    int n;

    if (len <= 0) {
        return 0;
    }
    if (!chr) {
        return len;
    }
    n = CHARDEV_GET_CLASS(chr)->write(chr, buf, len);
    if (n > 0 && chr->logfd >= 0) {
        log_output(chr, buf, n);
    }
    return n;
}

int chr_fe_write_all(CharFrontend *fe, const uint8_t *buf, int len)
{
    int done = 0;

    while (done < len) {
        Chardev *chr = fe->chr;
        ChardevClass *k;
        int n = chr_fe_write(fe, buf + done, len - done);

        if (n < 0) {
            return done ? done : -1;
        }
        done += n;
        if (n > 0 || done == len) {
            continue;
        }
        k = chr ? CHARDEV_GET_CLASS(chr) : NULL;
        if (!k || !k->wait_writable) {
            return done;
        }
        if (!k->wait_writable(chr)) {
            /* The peer is gone: what is left is dropped, as if written. */
            return len;
        }
    }
    return done;
}

void chr_fe_accept_input(CharFrontend *fe)
{
    Chardev *chr = fe->chr;

    if (chr && CHARDEV_GET_CLASS(chr)->accept_input) {
        CHARDEV_GET_CLASS(chr)->accept_input(chr);
    }
}

void chr_fe_printf(CharFrontend *fe, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *s = NULL;

    va_start(ap, fmt);
    s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    chr_fe_write_all(fe, (const uint8_t *)s, strlen(s));
}

void chr_fe_take_focus(CharFrontend *fe)
{
    Chardev *chr = fe->chr;

    if (chr && CHARDEV_GET_CLASS(chr)->take_focus) {
        CHARDEV_GET_CLASS(chr)->take_focus(chr, fe);
    }
}

/* ---- the chardev=ID device property ---- */

static CharFrontend *prop_frontend(Object *obj, ObjectProperty *prop)
{
    const Property *p = prop->opaque;

    return (CharFrontend *)((char *)obj + p->offset);
}

bool chardev_prop_set(Object *obj, ObjectProperty *prop, const char *value, GError **errp)
{
    CharFrontend *fe = prop_frontend(obj, prop);
    Chardev *chr = NULL;
    GError *err = NULL;

    if (value && *value) {
        chr = chardev_find(value);
        if (!chr) {
            /* The object model puts "TYPE: property 'NAME': " in front. */
            error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "no chardev '%s'", value);
            return false;
        }
    }
    if (fe->chr == chr && chr) {
        return true;
    }
    if (fe->chr) {
        chr_fe_deinit(fe);
    }
    if (!chr_fe_init(fe, chr, &err)) {
        g_propagate_error(errp, err);
        return false;
    }
    return true;
}

char *chardev_prop_get(Object *obj, ObjectProperty *prop, GError **errp)
{
    CharFrontend *fe = prop_frontend(obj, prop);

    return g_strdup(fe->chr ? fe->chr->label : "");
}

void chardev_prop_release(Object *obj, ObjectProperty *prop)
{
    CharFrontend *fe = prop_frontend(obj, prop);

    if (fe->chr) {
        chr_fe_deinit(fe);
    }
}

/* ---- helpers for backends ---- */

static gboolean fd_reader_hup(gint fd, GIOCondition cond, gpointer opaque)
{
    ChardevFdReader *r = opaque;
    Chardev *chr = r->chr;

    r->source = 0;
    r->active = false;
    r->paused = false;
    object_ref(chr);
    if (r->eof) {
        r->eof(chr);
    }
    object_unref(chr);
    return G_SOURCE_REMOVE;
}

static gboolean fd_reader_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    ChardevFdReader *r = opaque;
    Chardev *chr = r->chr;
    guint me = r->source;
    uint8_t buf[CHR_READ_BUF_LEN];
    int room = chardev_frontend_can_read(chr);
    gboolean keep;
    ssize_t n;

    if (room == 0) {
        /* The frontend is full: wait for accept_input instead of polling. */
        r->paused = true;
        r->source = r->hup_while_paused
                    ? g_unix_fd_add(fd, G_IO_HUP | G_IO_ERR, fd_reader_hup, r) : 0;
        return G_SOURCE_REMOVE;
    }
    n = read(fd, buf, MIN((size_t)room, sizeof(buf)));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return G_SOURCE_CONTINUE;
    }
    /* A handler may remove the chardev; keep r alive until we are done. */
    object_ref(chr);
    if (n > 0) {
        chardev_frontend_read(chr, buf, n);
    } else {
        r->source = 0;
        r->active = false;
        if (r->eof) {
            r->eof(chr);
        }
    }
    keep = me != 0 && r->source == me;
    object_unref(chr);
    return keep ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

void chardev_fd_reader_start(ChardevFdReader *r, Chardev *chr, int fd,
                             void (*eof)(Chardev *chr))
{
    chardev_fd_reader_stop(r);
    r->chr = chr;
    r->fd = fd;
    r->eof = eof;
    r->active = true;
    r->source = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, fd_reader_ready, r);
}

void chardev_fd_reader_stop(ChardevFdReader *r)
{
    if (r->source) {
        g_source_remove(r->source);
        r->source = 0;
    }
    r->active = false;
    r->paused = false;
}

void chardev_fd_reader_resume(ChardevFdReader *r)
{
    if (r->active && r->paused && chardev_frontend_can_read(r->chr) > 0) {
        if (r->source) {
            g_source_remove(r->source);
        }
        r->paused = false;
        r->source = g_unix_fd_add(r->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, fd_reader_ready, r);
    }
}

int chardev_fd_write(int fd, const uint8_t *buf, int len)
{
    for (;;) {
        ssize_t n = write(fd, buf, len);

        if (n >= 0) {
            return n;
        }
        if (errno == EINTR) {
            continue;
        }
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    }
}

bool chardev_fd_wait_writable(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLOUT };

    for (;;) {
        int rc = poll(&pfd, 1, -1);

        if (rc < 0 && errno == EINTR) {
            continue;
        }
        if (rc < 0 || (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))) {
            return false;
        }
        if (pfd.revents & POLLOUT) {
            return true;
        }
    }
}
