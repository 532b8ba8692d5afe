/*
 * QMP monitor: the JSON machine protocol served on a chardev.
 *
 * A client gets the greeting when it connects, must then send
 * qmp_capabilities, and after that may run the commands in qmp_commands.
 * Input is split into top-level JSON values by a small scanner that
 * tracks nesting and strings, so requests need no line breaks; each value
 * is parsed with json-glib and answered at once (commands are synchronous
 * and run from the main loop with the BQL held). Bad JSON gets a
 * GenericError reply and the connection carries on.
 */
#include <json-glib/json-glib.h>
#include <string.h>

#include "proteus-config.h"
#include "proteus/chardev.h"
#include "proteus/cpus.h"
#include "proteus/error.h"
#include "proteus/main-loop.h"
#include "proteus/monitor.h"
#include "proteus/qom.h"

/* Requests larger than this are dropped as malformed. */
#define QMP_MAX_REQUEST (1 << 20)

typedef enum {
    QMP_ERROR_GENERIC,
    QMP_ERROR_COMMAND_NOT_FOUND,
} QmpErrorCode;

#define QMP_ERROR (qmp_error_quark())
static G_DEFINE_QUARK(proteus-qmp-error-quark, qmp_error)

typedef struct QmpMonitor {
    CharFrontend fe;
    GString *inbuf;          /* the JSON value being received */
    int depth;               /* nesting of { and [ in inbuf */
    bool in_string;
    bool escaped;            /* the previous string byte was a backslash */
    bool negotiated;         /* qmp_capabilities done */
} QmpMonitor;

/* A command: returns its "return" value, or NULL with errp set. */
typedef JsonNode *QmpHandler(QmpMonitor *mon, JsonObject *args, GError **errp);

typedef struct QmpCommand {
    const char *name;
    QmpHandler *handler;
    const char *const *params;   /* the accepted argument names */
} QmpCommand;

static GPtrArray *monitors;
/* stop paused the CPUs (cont resumes only what stop paused). */
static bool stopped_by_qmp;
/* quit ran: SHUTDOWN follows its reply, then the main loop ends. */
static bool quit_requested;

/* ---- output ---- */

/* A node holding obj, taking over the caller's reference. */
static JsonNode *qmp_node_take_object(JsonObject *obj)
{
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);

    json_node_take_object(node, obj);
    return node;
}

static JsonNode *qmp_node_take_array(JsonArray *array)
{
    JsonNode *node = json_node_new(JSON_NODE_ARRAY);

    json_node_take_array(node, array);
    return node;
}

static void qmp_send_node(QmpMonitor *mon, JsonNode *node)
{
    g_autofree char *text = json_to_string(node, FALSE);
    g_autofree char *line = g_strconcat(text, "\r\n", NULL);

    chr_fe_write_all(&mon->fe, (const uint8_t *)line, strlen(line));
}

static void qmp_send_object(QmpMonitor *mon, JsonObject *obj)
{
    g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), obj);

    qmp_send_node(mon, node);
}

static JsonObject *qmp_build_error(const GError *err)
{
    JsonObject *error = json_object_new();
    JsonObject *reply = json_object_new();
    bool not_found = err->domain == QMP_ERROR && err->code == QMP_ERROR_COMMAND_NOT_FOUND;

    json_object_set_string_member(error, "class", not_found ? "CommandNotFound" : "GenericError");
    json_object_set_string_member(error, "desc", err->message);
    json_object_set_object_member(reply, "error", error);
    return reply;
}

/* Sends a reply (a return value or an error), echoing the request's id. */
static void qmp_send_reply(QmpMonitor *mon, JsonNode *ret, const GError *err, JsonNode *id)
{
    g_autoptr(JsonObject) reply = NULL;

    if (err) {
        reply = qmp_build_error(err);
    } else {
        reply = json_object_new();
        json_object_set_member(reply, "return", ret);
    }
    if (id) {
        json_object_set_member(reply, "id", json_node_copy(id));
    }
    qmp_send_object(mon, reply);
}

/* {"qemu": {"major", "minor", "micro"}, "package": ""} from PROTEUS_VERSION. */
static JsonObject *qmp_version_object(void)
{
    static const char *const fields[] = { "major", "minor", "micro" };
    g_auto(GStrv) parts = g_strsplit(PROTEUS_VERSION, ".", 3);
    JsonObject *qemu = json_object_new();
    JsonObject *version = json_object_new();
    bool more = true;

    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
        more = more && parts[i];
        json_object_set_int_member(qemu, fields[i],
                                   more ? g_ascii_strtoll(parts[i], NULL, 10) : 0);
    }
    json_object_set_object_member(version, "qemu", qemu);
    json_object_set_string_member(version, "package", "");
    return version;
}

static void qmp_send_greeting(QmpMonitor *mon)
{
    g_autoptr(JsonObject) greeting = json_object_new();
    JsonObject *qmp = json_object_new();

    json_object_set_object_member(qmp, "version", qmp_version_object());
    json_object_set_array_member(qmp, "capabilities", json_array_new());
    json_object_set_object_member(greeting, "QMP", qmp);
    qmp_send_object(mon, greeting);
}

void monitor_qmp_emit_event(const char *name, const char *data_json)
{
    g_autoptr(JsonObject) ev = json_object_new();
    JsonObject *ts = json_object_new();
    JsonNode *data = NULL;
    gint64 now = g_get_real_time();

    if (data_json) {
        data = json_from_string(data_json, NULL);
    }
    if (!data || !JSON_NODE_HOLDS_OBJECT(data)) {
        g_clear_pointer(&data, json_node_unref);
        data = qmp_node_take_object(json_object_new());
    }
    json_object_set_string_member(ev, "event", name);
    json_object_set_member(ev, "data", data);
    json_object_set_int_member(ts, "seconds", now / G_USEC_PER_SEC);
    json_object_set_int_member(ts, "microseconds", now % G_USEC_PER_SEC);
    json_object_set_object_member(ev, "timestamp", ts);
    for (guint i = 0; monitors && i < monitors->len; i++) {
        QmpMonitor *mon = g_ptr_array_index(monitors, i);

        if (mon->negotiated && chr_fe_backend_connected(&mon->fe)) {
            qmp_send_object(mon, ev);
        }
    }
}

/* ---- argument helpers ---- */

static const char *qmp_arg_str(JsonObject *args, const char *name, GError **errp)
{
    JsonNode *node = args ? json_object_get_member(args, name) : NULL;

    if (!node) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "Parameter '%s' is missing", name);
        return NULL;
    }
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                    "Invalid parameter type for '%s', expected: string", name);
        return NULL;
    }
    return json_node_get_string(node);
}

static Object *qmp_arg_object(JsonObject *args, GError **errp)
{
    const char *path = qmp_arg_str(args, "path", errp);
    bool ambiguous = false;
    Object *obj;

    if (!path) {
        return NULL;
    }
    obj = object_resolve_path(path, &ambiguous);
    if (!obj) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, ambiguous
                    ? "Path '%s' is ambiguous" : "Device '%s' not found", path);
    }
    return obj;
}

static JsonNode *qmp_empty_return(void)
{
    return qmp_node_take_object(json_object_new());
}

/* ---- commands ---- */

static JsonNode *qmp_cmd_capabilities(QmpMonitor *mon, JsonObject *args, GError **errp)
{
    if (mon->negotiated) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_COMMAND_NOT_FOUND,
                    "Capabilities negotiation is already complete, command ignored");
        return NULL;
    }
    mon->negotiated = true;
    return qmp_empty_return();
}

static JsonNode *qmp_cmd_query_version(QmpMonitor *mon, JsonObject *args, GError **errp)
{
    return qmp_node_take_object(qmp_version_object());
}

static JsonNode *qmp_cmd_query_status(QmpMonitor *mon, JsonObject *args, GError **errp)
{
    JsonObject *st = json_object_new();
    bool running = cpus_running();

    json_object_set_boolean_member(st, "running", running);
    json_object_set_string_member(st, "status", running ? "running" : "paused");
    return qmp_node_take_object(st);
}

static JsonNode *qmp_cmd_query_commands(QmpMonitor *mon, JsonObject *args, GError **errp);

static JsonNode *qmp_cmd_stop(QmpMonitor *mon, JsonObject *args, GError **errp)
{
    if (!stopped_by_qmp && cpus_running()) {
        cpus_pause();
        stopped_by_qmp = true;
        monitor_qmp_emit_event("STOP", NULL);
    }
    return qmp_empty_return();
}

static JsonNode *qmp_cmd_cont(QmpMonitor *mon, JsonObject *args, GError **errp)
{
    if (stopped_by_qmp) {
        stopped_by_qmp = false;
        cpus_resume();
        monitor_qmp_emit_event("RESUME", NULL);
    }
    return qmp_empty_return();
}

static JsonNode *qmp_cmd_system_reset(QmpMonitor *mon, JsonObject *args, GError **errp)
{
    system_reset_request();
    monitor_qmp_emit_event("RESET", "{\"guest\": false, \"reason\": \"host-qmp-system-reset\"}");
    return qmp_empty_return();
}

static JsonNode *qmp_cmd_quit(QmpMonitor *mon, JsonObject *args, GError **errp)
{
    /* the process ends once the reply is out (qmp_handle_request) */
    quit_requested = true;
    return qmp_empty_return();
}

static JsonNode *qmp_cmd_qom_list(QmpMonitor *mon, JsonObject *args, GError **errp)
{
    Object *obj = qmp_arg_object(args, errp);
    g_autoptr(GPtrArray) props = NULL;
    JsonArray *list;

    if (!obj) {
        return NULL;
    }
    props = object_get_properties(obj);
    list = json_array_new();
    for (guint i = 0; i < props->len; i++) {
        ObjectProperty *prop = g_ptr_array_index(props, i);
        JsonObject *entry = json_object_new();

        json_object_set_string_member(entry, "name", prop->name);
        json_object_set_string_member(entry, "type", prop->type);
        json_array_add_object_element(list, entry);
    }
    return qmp_node_take_array(list);
}

/* A property's printed value as JSON: bools and integers typed, the rest strings. */
static JsonNode *qmp_property_value(ObjectProperty *prop, const char *text)
{
    JsonNode *node = json_node_alloc();
    bool b;
    int64_t i;

    if (g_strcmp0(prop->type, "bool") == 0 && parse_bool(text, &b, NULL)) {
        return json_node_init_boolean(node, b);
    }
    if (g_str_has_prefix(prop->type, "int") || g_str_has_prefix(prop->type, "uint")) {
        if (parse_int64(text, &i, NULL)) {
            return json_node_init_int(node, i);
        }
    }
    return json_node_init_string(node, text);
}

static JsonNode *qmp_cmd_qom_get(QmpMonitor *mon, JsonObject *args, GError **errp)
{
    Object *obj = qmp_arg_object(args, errp);
    const char *name = obj ? qmp_arg_str(args, "property", errp) : NULL;
    ObjectProperty *prop;
    g_autofree char *text = NULL;
    GError *err = NULL;

    if (!name) {
        return NULL;
    }
    prop = object_property_find(obj, name);
    if (!prop) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "Property '%s' not found", name);
        return NULL;
    }
    text = object_property_print(obj, name, &err);
    if (!text) {
        g_set_error_literal(errp, QMP_ERROR, QMP_ERROR_GENERIC, err->message);
        g_error_free(err);
        return NULL;
    }
    return qmp_property_value(prop, text);
}

/* "value" of qom-set: a string, a boolean or a number, in the string syntax. */
static char *qmp_value_text(JsonObject *args, GError **errp)
{
    JsonNode *node = json_object_get_member(args, "value");

    if (!node) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "Parameter 'value' is missing");
        return NULL;
    }
    if (JSON_NODE_HOLDS_VALUE(node)) {
        switch (json_node_get_value_type(node)) {
        case G_TYPE_STRING:
            return g_strdup(json_node_get_string(node));
        case G_TYPE_BOOLEAN:
            return g_strdup(json_node_get_boolean(node) ? "on" : "off");
        case G_TYPE_INT64:
            return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));
        default:
            break;
        }
    }
    g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                "Invalid parameter type for 'value', expected: string, boolean or integer");
    return NULL;
}

static JsonNode *qmp_cmd_qom_set(QmpMonitor *mon, JsonObject *args, GError **errp)
{
    Object *obj = qmp_arg_object(args, errp);
    const char *name = obj ? qmp_arg_str(args, "property", errp) : NULL;
    g_autofree char *value = name ? qmp_value_text(args, errp) : NULL;
    GError *err = NULL;

    if (!value) {
        return NULL;
    }
    if (!object_property_parse(obj, name, value, &err)) {
        g_set_error_literal(errp, QMP_ERROR, QMP_ERROR_GENERIC, err->message);
        g_error_free(err);
        return NULL;
    }
    return qmp_empty_return();
}

static const char *const no_params[] = { NULL };
static const char *const path_params[] = { "path", NULL };
static const char *const get_params[] = { "path", "property", NULL };
static const char *const set_params[] = { "path", "property", "value", NULL };

static const QmpCommand qmp_commands[] = {
    { "qmp_capabilities", qmp_cmd_capabilities, no_params },
    { "query-version", qmp_cmd_query_version, no_params },
    { "query-status", qmp_cmd_query_status, no_params },
    { "query-commands", qmp_cmd_query_commands, no_params },
    { "stop", qmp_cmd_stop, no_params },
    { "cont", qmp_cmd_cont, no_params },
    { "system_reset", qmp_cmd_system_reset, no_params },
    { "quit", qmp_cmd_quit, no_params },
    { "qom-list", qmp_cmd_qom_list, path_params },
    { "qom-get", qmp_cmd_qom_get, get_params },
    { "qom-set", qmp_cmd_qom_set, set_params },
};

static JsonNode *qmp_cmd_query_commands(QmpMonitor *mon, JsonObject *args, GError **errp)
{
    JsonArray *list = json_array_new();

    for (size_t i = 0; i < G_N_ELEMENTS(qmp_commands); i++) {
        JsonObject *entry = json_object_new();

        json_object_set_string_member(entry, "name", qmp_commands[i].name);
        json_array_add_object_element(list, entry);
    }
    return qmp_node_take_array(list);
}

/* ---- dispatch ---- */

static const QmpCommand *qmp_find_command(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(qmp_commands); i++) {
        if (strcmp(qmp_commands[i].name, name) == 0) {
            return &qmp_commands[i];
        }
    }
    return NULL;
}

static bool qmp_check_params(const QmpCommand *cmd, JsonObject *args, GError **errp)
{
    g_autoptr(GList) names = args ? json_object_get_members(args) : NULL;

    for (GList *l = names; l; l = l->next) {
        if (!g_strv_contains(cmd->params, l->data)) {
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                        "Parameter '%s' is unexpected", (const char *)l->data);
            return false;
        }
    }
    return true;
}

/* Finds the command a request names and checks its arguments. */
static const QmpCommand *qmp_parse_request(QmpMonitor *mon, JsonObject *req,
                                           JsonObject **args, GError **errp)
{
    JsonNode *exec = json_object_get_member(req, "execute");
    JsonNode *argnode = json_object_get_member(req, "arguments");
    const QmpCommand *cmd;
    const char *name;

    if (!exec || !JSON_NODE_HOLDS_VALUE(exec) || json_node_get_value_type(exec) != G_TYPE_STRING) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                    "QMP input must contain 'execute' with a command name string");
        return NULL;
    }
    if (argnode && !JSON_NODE_HOLDS_OBJECT(argnode)) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                    "QMP input member 'arguments' must be an object");
        return NULL;
    }
    name = json_node_get_string(exec);
    cmd = qmp_find_command(name);
    if (!cmd || (!mon->negotiated && cmd->handler != qmp_cmd_capabilities)) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_COMMAND_NOT_FOUND, !cmd
                    ? "The command %s has not been found"
                    : "Expecting capabilities negotiation with 'qmp_capabilities' before %s",
                    name);
        return NULL;
    }
    *args = argnode ? json_node_get_object(argnode) : NULL;
    return qmp_check_params(cmd, *args, errp) ? cmd : NULL;
}

static void qmp_handle_request(QmpMonitor *mon, const char *text, gsize len)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) err = NULL;
    JsonObject *req = NULL;
    JsonObject *args = NULL;
    JsonNode *id = NULL;
    JsonNode *ret = NULL;
    const QmpCommand *cmd;

    if (!json_parser_load_from_data(parser, text, len, &err)) {
        g_clear_error(&err);
        g_set_error(&err, QMP_ERROR, QMP_ERROR_GENERIC, "JSON parse error");
    } else if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        g_set_error(&err, QMP_ERROR, QMP_ERROR_GENERIC, "QMP input must be a JSON object");
    } else {
        req = json_node_get_object(json_parser_get_root(parser));
        id = json_object_get_member(req, "id");
        cmd = qmp_parse_request(mon, req, &args, &err);
        if (cmd) {
            ret = cmd->handler(mon, args, &err);
        }
    }
    qmp_send_reply(mon, ret, err, id);
    if (quit_requested) {
        quit_requested = false;
        monitor_qmp_emit_event("SHUTDOWN", "{\"guest\": false, \"reason\": \"host-qmp-quit\"}");
        main_loop_request_exit(0);
    }
}

/* Feeds one byte to the scanner; true when it ends a complete value. */
static bool qmp_scan_byte(QmpMonitor *mon, char c)
{
    if (mon->in_string) {
        if (mon->escaped) {
            mon->escaped = false;
        } else if (c == '\\') {
            mon->escaped = true;
        } else if (c == '"') {
            mon->in_string = false;
        }
        return false;
    }
    switch (c) {
    case '"':
        mon->in_string = true;
        return false;
    case '{':
    case '[':
        mon->depth++;
        return false;
    case '}':
    case ']':
        mon->depth--;
        return mon->depth <= 0;
    case '\n':
        /* stray text outside any value ends at a line break */
        return mon->depth <= 0;
    default:
        return false;
    }
}

static void qmp_reset_scanner(QmpMonitor *mon)
{
    g_string_truncate(mon->inbuf, 0);
    mon->depth = 0;
    mon->in_string = false;
    mon->escaped = false;
}

static void qmp_read(void *opaque, const uint8_t *buf, int size)
{
    QmpMonitor *mon = opaque;

    for (int i = 0; i < size; i++) {
        g_string_append_c(mon->inbuf, buf[i]);
        if (qmp_scan_byte(mon, buf[i]) || mon->inbuf->len > QMP_MAX_REQUEST) {
            g_autofree char *text = g_strstrip(g_strdup(mon->inbuf->str));

            qmp_reset_scanner(mon);
            if (*text) {
                qmp_handle_request(mon, text, strlen(text));
            }
        }
    }
}

static void qmp_event(void *opaque, ChrEvent event)
{
    QmpMonitor *mon = opaque;

    if (event == CHR_EVENT_OPENED) {
        qmp_reset_scanner(mon);
        mon->negotiated = false;
        qmp_send_greeting(mon);
    } else if (event == CHR_EVENT_CLOSED) {
        qmp_reset_scanner(mon);
        mon->negotiated = false;
    }
}

bool monitor_qmp_init(const char *spec, GError **errp)
{
    g_autofree char *label = g_strdup_printf("qmp%u", monitors ? monitors->len : 0);
    QmpMonitor *mon;
    Chardev *chr;
    GError *err = NULL;

    chr = chardev_new_from_shorthand(label, spec, &err);
    if (!chr) {
        if (!err) {
            error_setg_code(&err, PROTEUS_ERROR_INVALID, "QMP needs a chardev");
        }
        g_propagate_error(errp, err);
        return false;
    }
    mon = g_new0(QmpMonitor, 1);
    if (!chr_fe_init(&mon->fe, chr, errp)) {
        chardev_remove(chr);
        g_free(mon);
        return false;
    }
    mon->inbuf = g_string_new(NULL);
    if (!monitors) {
        monitors = g_ptr_array_new();
    }
    g_ptr_array_add(monitors, mon);
    chr_fe_set_handlers(&mon->fe, NULL, qmp_read, qmp_event, mon);
    return true;
}
