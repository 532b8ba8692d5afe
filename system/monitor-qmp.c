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
 *
 * Return values are json-glib nodes, except integers above INT64_MAX,
 * which json-glib cannot hold: a handler puts those in raw_return as JSON
 * text, and replies are assembled as text around the return value.
 */
#include <json-glib/json-glib.h>
#include <string.h>

#include "proteus-config.h"
#include "proteus/chardev.h"
#include "proteus/cpus.h"
#include "proteus/error.h"
#include "proteus/machine.h"
#include "proteus/monitor.h"
#include "proteus/qom.h"
#include "proteus/runstate.h"

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
    char *raw_return;        /* a return value as JSON text (see above), or NULL */
} QmpMonitor;

/* A command: returns its "return" value, or NULL with errp set. */
typedef JsonNode *QmpHandler(QmpMonitor *mon, JsonObject *args, GError **errp);

typedef struct QmpCommand {
    const char *name;
    QmpHandler *handler;
    const char *const *params;   /* the accepted argument names */
} QmpCommand;

static GPtrArray *monitors;

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

static void qmp_send_text(QmpMonitor *mon, const char *text)
{
    g_autofree char *line = g_strconcat(text, "\r\n", NULL);

    chr_fe_write_all(&mon->fe, (const uint8_t *)line, strlen(line));
}

static void qmp_send_object(QmpMonitor *mon, JsonObject *obj)
{
    g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), obj);
    g_autofree char *text = json_to_string(node, FALSE);

    qmp_send_text(mon, text);
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

/* An error reply, echoing the request's id (if any). */
static void qmp_send_error(QmpMonitor *mon, const GError *err, JsonNode *id)
{
    g_autoptr(JsonObject) reply = qmp_build_error(err);

    if (id) {
        json_object_set_member(reply, "id", json_node_copy(id));
    }
    qmp_send_object(mon, reply);
}

/* A return value given as JSON text, echoing the request's id (if any). */
static void qmp_send_return(QmpMonitor *mon, const char *ret_text, JsonNode *id)
{
    g_autoptr(GString) reply = g_string_new(NULL);
    g_autofree char *id_text = id ? json_to_string(id, FALSE) : NULL;

    g_string_append_printf(reply, "{\"return\":%s", ret_text);
    if (id_text) {
        g_string_append_printf(reply, ",\"id\":%s", id_text);
    }
    g_string_append_c(reply, '}');
    qmp_send_text(mon, reply->str);
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
    JsonNode *data = data_json ? json_from_string(data_json, NULL) : NULL;
    gint64 now = g_get_real_time();

    json_object_set_string_member(ev, "event", name);
    /* as in QEMU, an event without data has no "data" member */
    if (data && JSON_NODE_HOLDS_OBJECT(data)) {
        json_object_set_member(ev, "data", data);
    } else {
        g_clear_pointer(&data, json_node_unref);
    }
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

/* Run-state events (proteus/runstate.h) as QMP events. */
static void qmp_runstate_event(const RunstateEvent *event, void *opaque)
{
    g_autofree char *data = NULL;

    if (event->kind == RUNSTATE_EVENT_RESET || event->kind == RUNSTATE_EVENT_SHUTDOWN) {
        data = g_strdup_printf("{\"guest\": %s, \"reason\": \"%s\"}",
                               shutdown_cause_is_guest(event->cause) ? "true" : "false",
                               shutdown_cause_name(event->cause));
    }
    monitor_qmp_emit_event(runstate_event_name(event->kind), data);
}

/* ---- argument helpers ---- */

/* The argument name as a JSON value of gtype; NULL (errp set) when missing
 * or of another type, NULL without an error when optional and absent. */
static JsonNode *qmp_arg(JsonObject *args, const char *name, GType gtype, const char *type_name,
                         bool optional, GError **errp)
{
    JsonNode *node = args ? json_object_get_member(args, name) : NULL;

    if (!node) {
        if (!optional) {
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "Parameter '%s' is missing", name);
        }
        return NULL;
    }
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != gtype) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                    "Invalid parameter type for '%s', expected: %s", name, type_name);
        return NULL;
    }
    return node;
}

static const char *qmp_arg_str(JsonObject *args, const char *name, GError **errp)
{
    JsonNode *node = qmp_arg(args, name, G_TYPE_STRING, "string", false, errp);

    return node ? json_node_get_string(node) : NULL;
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

    json_object_set_boolean_member(st, "running", runstate_is_running());
    json_object_set_boolean_member(st, "singlestep", false);
    json_object_set_string_member(st, "status", runstate_name(runstate_get()));
    return qmp_node_take_object(st);
}

/* The machine types of the running machine's architecture. */
static JsonNode *qmp_cmd_query_machines(QmpMonitor *mon, JsonObject *args, GError **errp)
{
    MachineState *ms = current_machine();
    const char *arch = ms ? MACHINE_GET_CLASS(ms)->arch : NULL;
    g_autoptr(GSList) classes = object_class_get_list(TYPE_MACHINE, false);
    JsonArray *list = json_array_new();

    for (GSList *l = classes; l; l = l->next) {
        MachineClass *mc = MACHINE_CLASS(l->data);
        JsonObject *entry;

        if (arch && mc->arch && strcmp(arch, mc->arch) != 0) {
            continue;
        }
        entry = json_object_new();
        json_object_set_string_member(entry, "name", mc->name);
        if (mc->is_default) {
            json_object_set_boolean_member(entry, "is-default", true);
        }
        json_object_set_int_member(entry, "cpu-max", mc->max_cpus ? mc->max_cpus : 1);
        json_object_set_boolean_member(entry, "hotpluggable-cpus", false);
        json_object_set_boolean_member(entry, "numa-mem-supported", false);
        json_object_set_boolean_member(entry, "deprecated", false);
        json_object_set_boolean_member(entry, "acpi", false);
        json_array_add_object_element(list, entry);
    }
    return qmp_node_take_array(list);
}

static JsonNode *qmp_cmd_query_cpus_fast(QmpMonitor *mon, JsonObject *args, GError **errp)
{
    JsonArray *list = json_array_new();

    for (int i = 0; i < cpus_count(); i++) {
        CPUState *cpu = cpus_get(i);
        JsonObject *entry = json_object_new();
        JsonObject *props = json_object_new();

        json_object_set_int_member(entry, "cpu-index", cpu->cpu_index);
        json_object_set_string_member(entry, "target", cpu->cc->name);
        if (cpus_thread_id(i) > 0) {
            json_object_set_int_member(entry, "thread-id", cpus_thread_id(i));
        }
        json_object_set_int_member(props, "core-id", cpu->cpu_index);
        json_object_set_int_member(props, "socket-id", 0);
        json_object_set_object_member(entry, "props", props);
        json_array_add_object_element(list, entry);
    }
    return qmp_node_take_array(list);
}

static JsonNode *qmp_cmd_query_commands(QmpMonitor *mon, JsonObject *args, GError **errp);

static JsonNode *qmp_cmd_stop(QmpMonitor *mon, JsonObject *args, GError **errp)
{
    vm_stop(RUN_STATE_PAUSED);
    return qmp_empty_return();
}

static JsonNode *qmp_cmd_cont(QmpMonitor *mon, JsonObject *args, GError **errp)
{
    vm_start();
    return qmp_empty_return();
}

static JsonNode *qmp_cmd_system_reset(QmpMonitor *mon, JsonObject *args, GError **errp)
{
    runstate_reset_requested(SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
    system_reset_request();
    return qmp_empty_return();
}

static JsonNode *qmp_cmd_system_powerdown(QmpMonitor *mon, JsonObject *args, GError **errp)
{
    system_powerdown_request();
    return qmp_empty_return();
}

static JsonNode *qmp_cmd_quit(QmpMonitor *mon, JsonObject *args, GError **errp)
{
    /* SHUTDOWN follows the reply, then the main loop ends */
    runstate_request_shutdown(SHUTDOWN_CAUSE_HOST_QMP_QUIT, 0);
    return qmp_empty_return();
}

static JsonNode *qmp_cmd_human_monitor_command(QmpMonitor *mon, JsonObject *args,
                                               GError **errp)
{
    const char *line = qmp_arg_str(args, "command-line", errp);
    GError *err = NULL;
    JsonNode *cpu = line ? qmp_arg(args, "cpu-index", G_TYPE_INT64, "integer", true, &err)
                         : NULL;
    g_autofree char *out = NULL;

    if (err) {
        g_propagate_error(errp, err);
        return NULL;
    }
    if (!line) {
        return NULL;
    }
    if (cpu && (json_node_get_int(cpu) < 0 || json_node_get_int(cpu) >= cpus_count())) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                    "Parameter 'cpu-index' expects a CPU index below %d", cpus_count());
        return NULL;
    }
    out = monitor_hmp_execute(line, cpu ? (int)json_node_get_int(cpu) : 0);
    return json_node_init_string(json_node_alloc(), out);
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

/*
 * A property's printed value as JSON: bools and integers typed, the rest
 * strings. An unsigned value above INT64_MAX goes to mon->raw_return.
 */
static JsonNode *qmp_property_value(QmpMonitor *mon, ObjectProperty *prop, const char *text)
{
    JsonNode *node = json_node_alloc();
    bool b;
    int64_t i;
    uint64_t u;

    if (g_strcmp0(prop->type, "bool") == 0 && parse_bool(text, &b, NULL)) {
        return json_node_init_boolean(node, b);
    }
    if (g_str_has_prefix(prop->type, "int") && parse_int64(text, &i, NULL)) {
        return json_node_init_int(node, i);
    }
    if ((g_str_has_prefix(prop->type, "uint") || g_strcmp0(prop->type, "size") == 0) &&
        parse_uint64(text, &u, NULL)) {
        if (u > INT64_MAX) {
            mon->raw_return = g_strdup_printf("%" G_GUINT64_FORMAT, u);
        }
        return json_node_init_int(node, (int64_t)u);
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
    return qmp_property_value(mon, prop, text);
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
static const char *const hmp_params[] = { "command-line", "cpu-index", NULL };

static const QmpCommand qmp_commands[] = {
    { "qmp_capabilities", qmp_cmd_capabilities, no_params },
    { "query-version", qmp_cmd_query_version, no_params },
    { "query-status", qmp_cmd_query_status, no_params },
    { "query-machines", qmp_cmd_query_machines, no_params },
    { "query-cpus-fast", qmp_cmd_query_cpus_fast, no_params },
    { "query-commands", qmp_cmd_query_commands, no_params },
    { "stop", qmp_cmd_stop, no_params },
    { "cont", qmp_cmd_cont, no_params },
    { "system_reset", qmp_cmd_system_reset, no_params },
    { "system_powerdown", qmp_cmd_system_powerdown, no_params },
    { "quit", qmp_cmd_quit, no_params },
    { "human-monitor-command", qmp_cmd_human_monitor_command, hmp_params },
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
    if (err) {
        qmp_send_error(mon, err, id);
    } else {
        g_autofree char *ret_text = mon->raw_return ? g_strdup(mon->raw_return)
                                                    : json_to_string(ret, FALSE);

        qmp_send_return(mon, ret_text, id);
    }
    g_clear_pointer(&mon->raw_return, g_free);
    g_clear_pointer(&ret, json_node_unref);
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
        runstate_add_listener(qmp_runstate_event, NULL);
    }
    g_ptr_array_add(monitors, mon);
    chr_fe_set_handlers(&mon->fe, NULL, qmp_read, qmp_event, mon);
    return true;
}
