/*
 * The network layer's core: clients, peers, the per-receiver frame queue,
 * observers, the backend registry, and the -netdev / -nic / -object
 * filter-dump command line.
 */
#include <string.h>

#include "proteus/error.h"
#include "proteus/net.h"

typedef struct NetObserver {
    NetObserverFunc *fn;
    void *opaque;
} NetObserver;

struct NetClient {
    const NetClientInfo *info;
    char *id;
    void *opaque;
    NetClient *peer;
    GQueue queue;           /* GBytes *: frames waiting for this client */
    bool flushing;
    GArray *observers;      /* NetObserver */
};

/* ---- clients and the queue ---- */

NetClient *net_client_new(const NetClientInfo *info, const char *id, void *opaque)
{
    NetClient *nc = g_new0(NetClient, 1);

    nc->info = info;
    nc->id = g_strdup(id);
    nc->opaque = opaque;
    g_queue_init(&nc->queue);
    nc->observers = g_array_new(FALSE, FALSE, sizeof(NetObserver));
    return nc;
}

void net_client_free(NetClient *nc)
{
    if (!nc) {
        return;
    }
    if (nc->peer) {
        nc->peer->peer = NULL;
        g_queue_clear_full(&nc->peer->queue, (GDestroyNotify)g_bytes_unref);
    }
    g_queue_clear_full(&nc->queue, (GDestroyNotify)g_bytes_unref);
    if (nc->info->cleanup) {
        nc->info->cleanup(nc);
    }
    g_array_free(nc->observers, TRUE);
    g_free(nc->id);
    g_free(nc);
}

void *net_client_opaque(NetClient *nc)
{
    return nc->opaque;
}

const char *net_client_id(NetClient *nc)
{
    return nc->id;
}

NetClient *net_client_peer(NetClient *nc)
{
    return nc->peer;
}

void net_client_connect(NetClient *a, NetClient *b)
{
    g_assert(!a->peer && !b->peer && a != b);
    a->peer = b;
    b->peer = a;
}

unsigned net_queue_length(NetClient *nc)
{
    return g_queue_get_length(&nc->queue);
}

static void net_observe(NetClient *nc, const uint8_t *buf, size_t len, bool outgoing)
{
    for (guint i = 0; i < nc->observers->len; i++) {
        NetObserver *o = &g_array_index(nc->observers, NetObserver, i);

        o->fn(o->opaque, buf, len, outgoing);
    }
}

void net_client_add_observer(NetClient *nc, NetObserverFunc *fn, void *opaque)
{
    NetObserver o = { fn, opaque };

    g_array_append_val(nc->observers, o);
}

void net_client_remove_observer(NetClient *nc, NetObserverFunc *fn, void *opaque)
{
    for (guint i = 0; i < nc->observers->len; i++) {
        NetObserver *o = &g_array_index(nc->observers, NetObserver, i);

        if (o->fn == fn && o->opaque == opaque) {
            g_array_remove_index(nc->observers, i);
            return;
        }
    }
}

static bool net_can_take(NetClient *nc)
{
    return !nc->info->can_receive || nc->info->can_receive(nc);
}

static void net_enqueue(NetClient *nc, const uint8_t *buf, size_t len)
{
    if (g_queue_get_length(&nc->queue) < NET_QUEUE_MAX_FRAMES) {
        g_queue_push_tail(&nc->queue, g_bytes_new(buf, len));
    }
}

ssize_t net_send(NetClient *nc, const uint8_t *buf, size_t len)
{
    NetClient *peer = nc->peer;
    ssize_t ret;

    net_observe(nc, buf, len, true);
    if (!peer) {
        return 0;
    }
    net_observe(peer, buf, len, false);
    /* Frames already waiting go first, so order is kept. */
    if (!g_queue_is_empty(&peer->queue) || !net_can_take(peer)) {
        net_enqueue(peer, buf, len);
        return 0;
    }
    ret = peer->info->receive(peer, buf, len);
    if (ret == 0) {
        net_enqueue(peer, buf, len);
    }
    return ret;
}

void net_receive_ready(NetClient *nc)
{
    bool drained;

    /* A receive callback may call back in here: the outer loop goes on. */
    if (nc->flushing) {
        return;
    }
    nc->flushing = true;
    while (!g_queue_is_empty(&nc->queue) && net_can_take(nc)) {
        GBytes *frame = g_queue_pop_head(&nc->queue);
        gsize len;
        const uint8_t *data = g_bytes_get_data(frame, &len);

        if (nc->info->receive(nc, data, len) == 0) {
            g_queue_push_head(&nc->queue, frame);
            break;
        }
        g_bytes_unref(frame);
    }
    drained = g_queue_is_empty(&nc->queue);
    nc->flushing = false;
    if (drained && nc->peer && nc->peer->info->resume) {
        nc->peer->info->resume(nc->peer);
    }
}

/* ---- option helpers ---- */

bool net_opts_check(OptList *opts, const char *what, const char *const *allowed,
                    GError **errp)
{
    for (guint i = 0; i < opts->items->len; i++) {
        OptItem *it = g_ptr_array_index(opts->items, i);

        if (!g_strv_contains(allowed, it->key)) {
            g_autofree char *list = g_strjoinv(", ", (char **)allowed);

            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "%s: unknown option '%s' (known: %s)", what, it->key, list);
            return false;
        }
    }
    return true;
}

bool net_opts_get_bool(OptList *opts, const char *key, bool def, const char *what,
                       bool *out, GError **errp)
{
    const char *v = opt_list_get(opts, key);

    if (!opt_list_has(opts, key)) {
        *out = def;
    } else if (!v || !strcmp(v, "on") || !strcmp(v, "yes")) {
        *out = true;
    } else if (!strcmp(v, "off") || !strcmp(v, "no")) {
        *out = false;
    } else {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "%s: %s must be on or off, not '%s'", what, key, v);
        return false;
    }
    return true;
}

/* ---- backends ---- */

static GHashTable *net_backends;    /* type -> NetBackendNew * */
static GHashTable *net_netdevs;     /* id -> NetClient *, owned */

static void net_backends_init(void)
{
    if (net_backends) {
        return;
    }
    net_backends = g_hash_table_new(g_str_hash, g_str_equal);
    net_backend_register("user", net_slirp_new);
    net_backend_register("tap", net_tap_new);
    net_backend_register("socket", net_socket_new);
    net_backend_register("stream", net_stream_new);
}

void net_backend_register(const char *type, NetBackendNew *fn)
{
    net_backends_init();
    g_hash_table_insert(net_backends, (gpointer)type, fn);
}

static gint compare_names(gconstpointer a, gconstpointer b, gpointer unused)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char *net_backend_names(void)
{
    g_autofree const char **keys = NULL;

    net_backends_init();
    keys = (const char **)g_hash_table_get_keys_as_array(net_backends, NULL);
    g_qsort_with_data(keys, g_strv_length((char **)keys), sizeof(char *),
                      compare_names, NULL);
    return g_strjoinv(", ", (char **)keys);
}

NetClient *net_netdev_find(const char *id)
{
    return net_netdevs ? g_hash_table_lookup(net_netdevs, id) : NULL;
}

/* Checks the type and id of a parsed -netdev; *fn gets the constructor. */
static bool net_netdev_check(OptList *opts, const char *what, NetBackendNew **fn,
                             GError **errp)
{
    const char *id = opt_list_get(opts, "id");

    net_backends_init();
    *fn = g_hash_table_lookup(net_backends, opts->head);
    if (!*fn) {
        g_autofree char *names = net_backend_names();

        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND,
                        "%s: unknown netdev type '%s' (known: %s)", what, opts->head, names);
        return false;
    }
    if (!id || !*id) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "%s %s: id= is required",
                        what, opts->head);
        return false;
    }
    return true;
}

static NetClient *net_netdev_create(OptList *opts, GError **errp)
{
    const char *id = opt_list_get(opts, "id");
    NetBackendNew *fn;
    NetClient *nc;

    if (!net_netdev_check(opts, "-netdev", &fn, errp)) {
        return NULL;
    }
    if (net_netdev_find(id)) {
        error_setg_code(errp, PROTEUS_ERROR_EXISTS, "-netdev: duplicate id '%s'", id);
        return NULL;
    }
    nc = fn(id, opts, errp);
    if (!nc) {
        return NULL;
    }
    if (!net_netdevs) {
        net_netdevs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                            (GDestroyNotify)net_client_free);
    }
    g_hash_table_insert(net_netdevs, nc->id, nc);
    return nc;
}

NetClient *net_netdev_new(const char *optstr, GError **errp)
{
    g_autoptr(OptList) opts = opt_list_parse(optstr, "-netdev", "netdev type", errp);

    return opts ? net_netdev_create(opts, errp) : NULL;
}

bool net_nic_attach(NetClient *nic, const char *netdev_id, GError **errp)
{
    NetClient *nd = net_netdev_find(netdev_id);

    if (!nd) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "netdev '%s' not found", netdev_id);
        return false;
    }
    if (nd->peer) {
        error_setg_code(errp, PROTEUS_ERROR_EXISTS,
                        "netdev '%s' is already in use by another NIC", netdev_id);
        return false;
    }
    net_client_connect(nic, nd);
    return true;
}

/* ---- the command line ---- */

typedef struct DumpSpec {
    char *id;
    char *netdev;
    char *file;
} DumpSpec;

static GPtrArray *pending_netdevs;  /* OptList *: checked, not yet created */
static GPtrArray *nic_configs;      /* NicConfig * */
static GPtrArray *dump_specs;       /* DumpSpec * */
static GPtrArray *dumps;            /* NetDump * */
static unsigned nic_count;

static bool net_id_taken(const char *id)
{
    for (guint i = 0; pending_netdevs && i < pending_netdevs->len; i++) {
        if (!strcmp(opt_list_get(g_ptr_array_index(pending_netdevs, i), "id"), id)) {
            return true;
        }
    }
    return net_netdev_find(id) != NULL;
}

static bool net_queue_netdev(OptList *opts, const char *what, GError **errp)
{
    const char *id = opt_list_get(opts, "id");
    NetBackendNew *fn;

    if (!net_netdev_check(opts, what, &fn, errp)) {
        return false;
    }
    if (net_id_taken(id)) {
        error_setg_code(errp, PROTEUS_ERROR_EXISTS, "%s: duplicate id '%s'", what, id);
        return false;
    }
    if (!pending_netdevs) {
        pending_netdevs = g_ptr_array_new_with_free_func((GDestroyNotify)opt_list_free);
    }
    g_ptr_array_add(pending_netdevs, opts);
    return true;
}

bool net_parse_netdev(const char *arg, GError **errp)
{
    OptList *opts = opt_list_parse(arg, "-netdev", "netdev type", errp);

    if (!opts) {
        return false;
    }
    if (!net_queue_netdev(opts, "-netdev", errp)) {
        opt_list_free(opts);
        return false;
    }
    return true;
}

static void nic_config_free(NicConfig *c)
{
    g_free(c->model);
    g_free(c->mac);
    g_free(c->netdev);
    g_free(c);
}

/* Moves the NIC's own keys (model=, mac=) out of a -nic option list. */
static char *opts_take(OptList *opts, const char *key)
{
    char *value = NULL;

    for (guint i = 0; i < opts->items->len;) {
        OptItem *it = g_ptr_array_index(opts->items, i);

        if (!strcmp(it->key, key)) {
            g_free(value);
            value = g_strdup(it->value);
            g_ptr_array_remove_index(opts->items, i);   /* frees it */
        } else {
            i++;
        }
    }
    return value;
}

bool net_parse_nic(const char *arg, GError **errp)
{
    OptList *opts = opt_list_parse(arg, "-nic", "netdev type", errp);
    uint8_t mac[6];
    NicConfig *c;

    if (!opts) {
        return false;
    }
    if (!strcmp(opts->head, "none")) {
        opt_list_free(opts);
        return true;
    }
    c = g_new0(NicConfig, 1);
    c->model = opts_take(opts, "model");
    c->mac = opts_take(opts, "mac");
    if (c->mac && !net_mac_parse(c->mac, mac, errp)) {
        g_prefix_error(errp, "-nic: ");
        opt_list_free(opts);
        nic_config_free(c);
        return false;
    }
    if (!opt_list_has(opts, "id")) {
        OptItem *it = g_new0(OptItem, 1);

        it->key = g_strdup("id");
        it->value = g_strdup_printf("__nic%u", nic_count++);
        g_ptr_array_add(opts->items, it);
    }
    c->netdev = g_strdup(opt_list_get(opts, "id"));
    if (!net_queue_netdev(opts, "-nic", errp)) {
        opt_list_free(opts);
        nic_config_free(c);
        return false;
    }
    if (!nic_configs) {
        nic_configs = g_ptr_array_new_with_free_func((GDestroyNotify)nic_config_free);
    }
    g_ptr_array_add(nic_configs, c);
    return true;
}

bool net_mac_parse(const char *str, uint8_t mac[6], GError **errp)
{
    g_auto(GStrv) parts = g_strsplit(str, ":", -1);
    guint64 byte;

    if (g_strv_length(parts) != 6) {
        goto bad;
    }
    for (int i = 0; i < 6; i++) {
        if (strlen(parts[i]) != 2 ||
            !g_ascii_string_to_unsigned(parts[i], 16, 0, 255, &byte, NULL)) {
            goto bad;
        }
        mac[i] = byte;
    }
    if (mac[0] & 1) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "MAC address %s is a multicast address", str);
        return false;
    }
    return true;
bad:
    error_setg_code(errp, PROTEUS_ERROR_INVALID,
                    "'%s' is not a MAC address (like 52:54:00:12:34:56)", str);
    return false;
}

void net_mac_default(unsigned n, uint8_t mac[6])
{
    static const uint8_t base[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

    memcpy(mac, base, 6);
    mac[5] += n;
}

const GPtrArray *net_nic_configs(void)
{
    if (!nic_configs) {
        nic_configs = g_ptr_array_new_with_free_func((GDestroyNotify)nic_config_free);
    }
    return nic_configs;
}

static void dump_spec_free(DumpSpec *s)
{
    g_free(s->id);
    g_free(s->netdev);
    g_free(s->file);
    g_free(s);
}

bool net_parse_object(const char *arg, GError **errp)
{
    static const char *const allowed[] = { "id", "netdev", "file", NULL };
    g_autoptr(OptList) opts = opt_list_parse(arg, "-object", "object type", errp);
    DumpSpec *s;

    if (!opts) {
        return false;
    }
    if (strcmp(opts->head, "filter-dump") != 0) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND,
                        "-object: unknown object type '%s' (known: filter-dump)", opts->head);
        return false;
    }
    if (!net_opts_check(opts, "-object filter-dump", allowed, errp)) {
        return false;
    }
    for (const char *const *k = allowed; *k; k++) {
        if (!opt_list_get(opts, *k)) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "-object filter-dump: %s= is required", *k);
            return false;
        }
    }
    s = g_new0(DumpSpec, 1);
    s->id = g_strdup(opt_list_get(opts, "id"));
    s->netdev = g_strdup(opt_list_get(opts, "netdev"));
    s->file = g_strdup(opt_list_get(opts, "file"));
    if (!dump_specs) {
        dump_specs = g_ptr_array_new_with_free_func((GDestroyNotify)dump_spec_free);
    }
    g_ptr_array_add(dump_specs, s);
    return true;
}

static bool net_init_dumps(GError **errp)
{
    for (guint i = 0; dump_specs && i < dump_specs->len; i++) {
        DumpSpec *s = g_ptr_array_index(dump_specs, i);
        NetClient *nd = net_netdev_find(s->netdev);
        NetDump *d;

        if (!nd) {
            error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND,
                            "-object filter-dump,id=%s: netdev '%s' not found",
                            s->id, s->netdev);
            return false;
        }
        d = net_dump_new(nd, s->file, errp);
        if (!d) {
            g_prefix_error(errp, "-object filter-dump,id=%s: ", s->id);
            return false;
        }
        if (!dumps) {
            dumps = g_ptr_array_new_with_free_func((GDestroyNotify)net_dump_free);
        }
        g_ptr_array_add(dumps, d);
    }
    g_clear_pointer(&dump_specs, g_ptr_array_unref);
    return true;
}

bool net_init_clients(GError **errp)
{
    for (guint i = 0; pending_netdevs && i < pending_netdevs->len; i++) {
        if (!net_netdev_create(g_ptr_array_index(pending_netdevs, i), errp)) {
            return false;
        }
    }
    g_clear_pointer(&pending_netdevs, g_ptr_array_unref);
    return net_init_dumps(errp);
}

void net_cleanup(void)
{
    /* Dumps first: they observe netdevs. */
    g_clear_pointer(&dumps, g_ptr_array_unref);
    g_clear_pointer(&dump_specs, g_ptr_array_unref);
    g_clear_pointer(&net_netdevs, g_hash_table_unref);
    g_clear_pointer(&pending_netdevs, g_ptr_array_unref);
    g_clear_pointer(&nic_configs, g_ptr_array_unref);
    nic_count = 0;
}
