/*
 * QMP: conversations with the emulator (riscv64 virt, no firmware) over
 * -qmp unix:..., tcp:... and stdio: greeting, negotiation, every command,
 * every kind of bad input (the connection must carry on after each), the
 * events of stop/cont/system_reset/system_powerdown/quit with their data,
 * a guest that resets and powers the machine off through the SiFive test
 * device, clients that leave mid-request, and two clients at once.
 */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>
#include <string.h>

#include "monitor-client.h"

typedef struct QmpClient {
    MonitorClient mc;
    GPtrArray *events;       /* JsonNode * of the events not consumed yet, in order */
} QmpClient;

static const char *const virt_args[] = {
    "-M", "virt", "-display", "none", "-nodefaults", "-bios", "none", NULL
};

/* Starts the emulator with virt_args, the -qmp spec(s) and extra (may be NULL). */
static void qmp_start(QmpClient *c, const char *const *qmp_specs, const char *const *extra,
                      bool stdio)
{
    g_autoptr(GPtrArray) args = g_ptr_array_new();

    for (const char *const *a = virt_args; *a; a++) {
        g_ptr_array_add(args, (gpointer)*a);
    }
    for (const char *const *q = qmp_specs; *q; q++) {
        g_ptr_array_add(args, "-qmp");
        g_ptr_array_add(args, (gpointer)*q);
    }
    for (const char *const *a = extra; a && *a; a++) {
        g_ptr_array_add(args, (gpointer)*a);
    }
    g_ptr_array_add(args, NULL);
    c->events = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
    monitor_client_spawn(&c->mc, (const char *const *)args->pdata, stdio);
}

/* The emulator with one QMP server on a Unix socket "qmp.sock", connected. */
static void qmp_start_unix(QmpClient *c, const char *const *extra)
{
    g_autofree char *path = NULL;
    g_autofree char *spec = NULL;

    monitor_client_init(&c->mc);
    path = monitor_client_path(&c->mc, "qmp.sock");
    spec = g_strdup_printf("unix:%s,server=on,wait=off", path);
    qmp_start(c, (const char *const[]){ spec, NULL }, extra, false);
    monitor_client_connect_unix(&c->mc, path);
}

static void qmp_free(QmpClient *c)
{
    monitor_client_free(&c->mc);
    g_ptr_array_free(c->events, TRUE);
}

/* One write: after a quit, the emulator may be gone before a second one. */
static void qmp_send(QmpClient *c, const char *text)
{
    g_autofree char *line = g_strconcat(text, "\n", NULL);

    monitor_client_send(&c->mc, line);
}

/* The next message, parsed (a JSON object). */
static JsonNode *qmp_receive(QmpClient *c)
{
    g_autofree char *line = monitor_client_read_line(&c->mc);
    g_autoptr(GError) err = NULL;
    JsonNode *node = json_from_string(line, &err);

    g_assert_no_error(err);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(node));
    return node;
}

static bool is_event(JsonNode *node)
{
    return json_object_has_member(json_node_get_object(node), "event");
}

/* Every event has a name and a timestamp {seconds, microseconds} of now. */
static void check_event_shape(JsonNode *node)
{
    JsonObject *obj = json_node_get_object(node);
    JsonObject *ts = json_object_get_object_member(obj, "timestamp");
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;

    g_assert_nonnull(json_object_get_string_member(obj, "event"));
    g_assert_nonnull(ts);
    g_assert_cmpint(json_object_get_int_member(ts, "seconds"), <=, now);
    g_assert_cmpint(json_object_get_int_member(ts, "seconds"), >=, now - 60);
    g_assert_cmpint(json_object_get_int_member(ts, "microseconds"), >=, 0);
    g_assert_cmpint(json_object_get_int_member(ts, "microseconds"), <, G_USEC_PER_SEC);
}

/* Sends a request; returns its reply, keeping the events that come before it. */
static JsonNode *qmp_cmd(QmpClient *c, const char *request)
{
    qmp_send(c, request);
    for (;;) {
        JsonNode *node = qmp_receive(c);

        if (!is_event(node)) {
            return node;
        }
        check_event_shape(node);
        g_ptr_array_add(c->events, node);
    }
}

/*
 * The event name, read if not seen yet; the events before it are dropped.
 * Returns its "data" member as JSON text ("" if it has none).
 */
static char *qmp_expect_event(QmpClient *c, const char *name)
{
    for (;;) {
        while (c->events->len > 0) {
            g_autoptr(JsonNode) ev = g_ptr_array_steal_index(c->events, 0);
            JsonObject *obj = json_node_get_object(ev);

            if (strcmp(json_object_get_string_member(obj, "event"), name) == 0) {
                JsonNode *data = json_object_get_member(obj, "data");

                return data ? json_to_string(data, FALSE) : g_strdup("");
            }
        }
        JsonNode *node = qmp_receive(c);

        g_assert_true(is_event(node));
        check_event_shape(node);
        g_ptr_array_add(c->events, node);
    }
}

static void assert_no_events(QmpClient *c)
{
    g_assert_cmpuint(c->events->len, ==, 0);
}

/* The reply is an error of class klass whose desc contains desc_part. */
static void assert_error(JsonNode *reply, const char *klass, const char *desc_part)
{
    JsonObject *obj = json_node_get_object(reply);
    JsonObject *error;

    g_assert_true(json_object_has_member(obj, "error"));
    error = json_object_get_object_member(obj, "error");
    g_assert_cmpstr(json_object_get_string_member(error, "class"), ==, klass);
    if (!strstr(json_object_get_string_member(error, "desc"), desc_part)) {
        g_error("error desc \"%s\" does not contain \"%s\"",
                json_object_get_string_member(error, "desc"), desc_part);
    }
    json_node_unref(reply);
}

/* The "return" member of a successful reply (owned by reply). */
static JsonNode *assert_return(JsonNode *reply)
{
    JsonObject *obj = json_node_get_object(reply);

    if (!json_object_has_member(obj, "return")) {
        g_autofree char *text = json_to_string(reply, FALSE);

        g_error("expected a return, got %s", text);
    }
    return json_object_get_member(obj, "return");
}

static void assert_empty_return(JsonNode *reply)
{
    JsonNode *ret = assert_return(reply);

    g_assert_true(JSON_NODE_HOLDS_OBJECT(ret));
    g_assert_cmpuint(json_object_get_size(json_node_get_object(ret)), ==, 0);
    json_node_unref(reply);
}

/* A command's return value as compact JSON text. */
static char *qmp_return_text(QmpClient *c, const char *request)
{
    g_autoptr(JsonNode) reply = qmp_cmd(c, request);

    return json_to_string(assert_return(reply), FALSE);
}

static void assert_status(QmpClient *c, const char *status)
{
    g_autoptr(JsonNode) reply = qmp_cmd(c, "{\"execute\": \"query-status\"}");
    JsonObject *st = json_node_get_object(assert_return(reply));

    g_assert_cmpint(json_object_get_boolean_member(st, "running"), ==,
                    strcmp(status, "running") == 0);
    g_assert_cmpstr(json_object_get_string_member(st, "status"), ==, status);
}

static void check_greeting(QmpClient *c)
{
    g_autoptr(JsonNode) node = qmp_receive(c);
    JsonObject *qmp = json_object_get_object_member(json_node_get_object(node), "QMP");
    JsonObject *qemu;

    g_assert_nonnull(qmp);
    qemu = json_object_get_object_member(json_object_get_object_member(qmp, "version"), "qemu");
    g_assert_true(json_object_has_member(qemu, "major"));
    g_assert_true(json_object_has_member(qemu, "minor"));
    g_assert_true(json_object_has_member(qemu, "micro"));
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(qmp, "capabilities")),
                     ==, 0);
}

static void check_negotiation(QmpClient *c)
{
    g_autoptr(JsonNode) reply = NULL;

    assert_error(qmp_cmd(c, "{\"execute\": \"query-status\"}"), "CommandNotFound",
                 "qmp_capabilities");
    assert_error(qmp_cmd(c, "{\"execute\": \"stop\"}"), "CommandNotFound", "qmp_capabilities");
    reply = qmp_cmd(c, "{\"execute\": \"qmp_capabilities\", \"id\": \"neg-1\"}");
    assert_return(reply);
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(reply), "id"), ==,
                    "neg-1");
    assert_error(qmp_cmd(c, "{\"execute\": \"qmp_capabilities\"}"), "CommandNotFound",
                 "already complete");
}

/* Greeting, then negotiation. */
static void qmp_handshake(QmpClient *c)
{
    check_greeting(c);
    assert_empty_return(qmp_cmd(c, "{\"execute\": \"qmp_capabilities\"}"));
}

static void check_queries(QmpClient *c)
{
    static const char *const commands[] = {
        "qmp_capabilities", "query-version", "query-status", "query-machines",
        "query-cpus-fast", "query-commands", "stop", "cont", "system_reset",
        "system_powerdown", "quit", "human-monitor-command", "qom-list", "qom-get", "qom-set",
    };
    g_autoptr(JsonNode) ver = qmp_cmd(c, "{\"execute\": \"query-version\"}");
    JsonObject *v = json_node_get_object(assert_return(ver));
    g_autofree char *listed = qmp_return_text(c, "{\"execute\": \"query-commands\"}");
    g_autofree char *machines = qmp_return_text(c, "{\"execute\": \"query-machines\"}");
    g_autofree char *cpus = qmp_return_text(c, "{\"execute\": \"query-cpus-fast\"}");

    g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(v, "qemu"),
                                               "minor"), ==, 1);
    g_assert_cmpstr(json_object_get_string_member(v, "package"), ==, "");
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        g_autofree char *entry = g_strdup_printf("{\"name\":\"%s\"}", commands[i]);

        g_assert_nonnull(strstr(listed, entry));
    }
    g_assert_nonnull(strstr(machines, "{\"name\":\"virt\",\"is-default\":true,\"cpu-max\":8,"));
    /* the vCPU thread's id, as the kernel numbers threads */
    g_assert_true(g_regex_match_simple("^\\[\\{\"cpu-index\":0,\"target\":\"riscv64\","
                                       "\"thread-id\":[1-9][0-9]*,"
                                       "\"props\":\\{\"core-id\":0,\"socket-id\":0\\}\\}\\]$",
                                       cpus, 0, 0));
}

static void check_stop_cont(QmpClient *c)
{
    g_autofree char *stop = NULL;
    g_autofree char *resume = NULL;

    assert_status(c, "running");
    assert_empty_return(qmp_cmd(c, "{\"execute\": \"stop\"}"));
    stop = qmp_expect_event(c, "STOP");
    g_assert_cmpstr(stop, ==, "");
    assert_status(c, "paused");
    /* a second stop changes nothing and says nothing */
    assert_empty_return(qmp_cmd(c, "{\"execute\": \"stop\"}"));
    assert_no_events(c);
    assert_empty_return(qmp_cmd(c, "{\"execute\": \"cont\"}"));
    resume = qmp_expect_event(c, "RESUME");
    g_assert_cmpstr(resume, ==, "");
    assert_status(c, "running");
    assert_empty_return(qmp_cmd(c, "{\"execute\": \"cont\"}"));
    assert_no_events(c);
}

static void check_reset_powerdown(QmpClient *c)
{
    g_autofree char *reset = NULL;
    g_autofree char *powerdown = NULL;

    assert_empty_return(qmp_cmd(c, "{\"execute\": \"system_reset\"}"));
    reset = qmp_expect_event(c, "RESET");
    g_assert_cmpstr(reset, ==, "{\"guest\":false,\"reason\":\"host-qmp-system-reset\"}");
    assert_status(c, "running");
    /* riscv virt has no power button: the event is all that happens */
    assert_empty_return(qmp_cmd(c, "{\"execute\": \"system_powerdown\"}"));
    powerdown = qmp_expect_event(c, "POWERDOWN");
    g_assert_cmpstr(powerdown, ==, "");
    assert_status(c, "running");
}

static void check_human_monitor(QmpClient *c)
{
    g_autofree char *status = qmp_return_text(
        c, "{\"execute\": \"human-monitor-command\", "
           "\"arguments\": {\"command-line\": \"info status\"}}");
    g_autofree char *on_cpu0 = qmp_return_text(
        c, "{\"execute\": \"human-monitor-command\", "
           "\"arguments\": {\"command-line\": \"info cpus\", \"cpu-index\": 0}}");
    g_autofree char *bad = qmp_return_text(
        c, "{\"execute\": \"human-monitor-command\", "
           "\"arguments\": {\"command-line\": \"no-such-thing\"}}");

    g_assert_cmpstr(status, ==, "\"VM status: running\\r\\n\"");
    g_assert_true(g_str_has_prefix(on_cpu0, "\"* CPU #0: pc=0x"));
    g_assert_cmpstr(bad, ==, "\"unknown command: 'no-such-thing'\\r\\n\"");
    /* stop through HMP: the QMP client hears STOP, and cont brings RESUME */
    g_free(qmp_return_text(c, "{\"execute\": \"human-monitor-command\", "
                              "\"arguments\": {\"command-line\": \"stop\"}}"));
    g_free(qmp_expect_event(c, "STOP"));
    assert_status(c, "paused");
    g_free(qmp_return_text(c, "{\"execute\": \"human-monitor-command\", "
                              "\"arguments\": {\"command-line\": \"cont\"}}"));
    g_free(qmp_expect_event(c, "RESUME"));
    assert_error(qmp_cmd(c, "{\"execute\": \"human-monitor-command\", \"arguments\": "
                            "{\"command-line\": \"info status\", \"cpu-index\": 5}}"),
                 "GenericError", "cpu-index");
}

static void check_qom(QmpClient *c)
{
    g_autoptr(JsonNode) list = qmp_cmd(c, "{\"execute\": \"qom-list\", "
                                          "\"arguments\": {\"path\": \"/machine\"}}");
    JsonArray *props = json_node_get_array(assert_return(list));
    g_autofree char *regshift = NULL;
    g_autofree char *addr_line = NULL;
    bool found = false;

    for (guint i = 0; i < json_array_get_length(props); i++) {
        JsonObject *p = json_array_get_object_element(props, i);

        if (g_strcmp0(json_object_get_string_member(p, "name"), "uart0") == 0) {
            g_assert_cmpstr(json_object_get_string_member(p, "type"), ==, "child<ns16550a>");
            found = true;
        }
    }
    g_assert_true(found);

    /* an integer property comes back as a JSON number */
    regshift = qmp_return_text(c, "{\"execute\": \"qom-get\", \"arguments\": "
                                  "{\"path\": \"/machine/uart0\", \"property\": \"regshift\"}}");
    g_assert_cmpstr(regshift, ==, "0");
    /* so does a u64 above INT64_MAX (an unset address is all ones), exactly */
    qmp_send(c, "{\"execute\": \"qom-get\", \"arguments\": "
                "{\"path\": \"/machine/uart0\", \"property\": \"addr\"}, \"id\": 9}");
    addr_line = monitor_client_read_line(&c->mc);
    g_assert_cmpstr(addr_line, ==, "{\"return\":18446744073709551615,\"id\":9}");
    /* a realized device refuses configuration changes */
    assert_error(qmp_cmd(c, "{\"execute\": \"qom-set\", \"arguments\": "
                            "{\"path\": \"/machine/uart0\", \"property\": \"regshift\","
                            " \"value\": 2}}"), "GenericError", "");
    assert_error(qmp_cmd(c, "{\"execute\": \"qom-get\", \"arguments\": "
                            "{\"path\": \"/machine/nothing\", \"property\": \"x\"}}"),
                 "GenericError", "/machine/nothing");
    assert_error(qmp_cmd(c, "{\"execute\": \"qom-get\", \"arguments\": "
                            "{\"path\": \"/machine/uart0\", \"property\": \"nope\"}}"),
                 "GenericError", "nope");
}

/* quit: the reply, then SHUTDOWN, then the process ends with status 0. */
static void check_quit(QmpClient *c)
{
    g_autofree char *data = NULL;

    assert_empty_return(qmp_cmd(c, "{\"execute\": \"quit\"}"));
    data = qmp_expect_event(c, "SHUTDOWN");
    g_assert_cmpstr(data, ==, "{\"guest\":false,\"reason\":\"host-qmp-quit\"}");
    g_assert_cmpint(monitor_client_wait_exit(&c->mc), ==, 0);
}

static void test_qmp_conversation(void)
{
    QmpClient c;

    qmp_start_unix(&c, NULL);
    check_greeting(&c);
    check_negotiation(&c);
    check_queries(&c);
    check_stop_cont(&c);
    check_reset_powerdown(&c);
    check_human_monitor(&c);
    check_qom(&c);
    check_quit(&c);
    qmp_free(&c);
}

/* An id comes back with an error too, whatever JSON it is. */
static void check_error_id(QmpClient *c)
{
    g_autofree char *line = NULL;

    qmp_send(c, "{\"execute\": \"nope\", \"id\": [\"x\", 1]}");
    line = monitor_client_read_line(&c->mc);
    g_assert_nonnull(strstr(line, "\"id\":[\"x\",1]"));
    g_assert_nonnull(strstr(line, "\"CommandNotFound\""));
}

/* Each bad request gets an error, and the connection goes on. */
static void test_qmp_bad_input(void)
{
    static const struct {
        const char *request;
        const char *klass;
        const char *desc_part;
    } cases[] = {
        { "{\"execute\": oops}", "GenericError", "JSON parse error" },
        { "{\"execute\": \"stop\",, }", "GenericError", "JSON parse error" },
        { "[1, 2]", "GenericError", "must be a JSON object" },
        { "\"query-status\"", "GenericError", "must be a JSON object" },
        { "42", "GenericError", "must be a JSON object" },
        { "{}", "GenericError", "'execute'" },
        { "{\"execute\": 5}", "GenericError", "'execute'" },
        { "{\"execute\": \"no-such-command\"}", "CommandNotFound", "no-such-command" },
        { "{\"execute\": \"stop\", \"arguments\": [1]}", "GenericError", "'arguments'" },
        { "{\"execute\": \"qom-get\"}", "GenericError", "'path' is missing" },
        { "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"/machine\"}}",
          "GenericError", "'property' is missing" },
        { "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"/machine/uart0\", "
          "\"property\": \"regshift\"}}", "GenericError", "'value' is missing" },
        { "{\"execute\": \"human-monitor-command\"}", "GenericError", "'command-line'" },
        { "{\"execute\": \"stop\", \"arguments\": {\"now\": true}}",
          "GenericError", "'now' is unexpected" },
        { "{\"execute\": \"qom-list\", \"arguments\": {\"path\": \"/\", \"depth\": 1}}",
          "GenericError", "'depth' is unexpected" },
        { "{\"execute\": \"qom-get\", \"arguments\": {\"path\": 7, \"property\": \"x\"}}",
          "GenericError", "'path', expected: string" },
        { "{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": true}}",
          "GenericError", "'command-line', expected: string" },
        { "{\"execute\": \"human-monitor-command\", \"arguments\": "
          "{\"command-line\": \"info status\", \"cpu-index\": \"0\"}}",
          "GenericError", "'cpu-index', expected: integer" },
        { "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"/machine/uart0\", "
          "\"property\": \"regshift\", \"value\": [2]}}", "GenericError", "'value'" },
    };
    QmpClient c;

    qmp_start_unix(&c, NULL);
    qmp_handshake(&c);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        assert_error(qmp_cmd(&c, cases[i].request), cases[i].klass, cases[i].desc_part);
        assert_status(&c, "running");
    }
    check_error_id(&c);
    check_quit(&c);
    qmp_free(&c);
}

/* Clients leaving, even in the middle of a request, do not stop the machine. */
static void test_qmp_disconnect(void)
{
    g_autofree char *path = NULL;
    QmpClient c;

    qmp_start_unix(&c, NULL);
    path = monitor_client_path(&c.mc, "qmp.sock");
    check_greeting(&c);
    qmp_send(&c, "{\"execute\": \"qmp_capabilities\"}{\"execute\": \"query-status\"}");
    monitor_client_disconnect(&c.mc);
    monitor_client_connect_unix(&c.mc, path);
    check_greeting(&c);
    monitor_client_send(&c.mc, "{\"execute\": \"qmp_capabilities\"}\n{\"execute\": \"query-st");
    monitor_client_disconnect(&c.mc);
    monitor_client_connect_unix(&c.mc, path);
    /* a new client starts afresh: negotiation again, no half request left */
    check_greeting(&c);
    check_negotiation(&c);
    assert_status(&c, "running");
    check_quit(&c);
    qmp_free(&c);
}

static void test_qmp_tcp(void)
{
    int port = monitor_client_free_port();
    g_autofree char *spec = g_strdup_printf("tcp:127.0.0.1:%d,server=on,wait=off", port);
    QmpClient c;

    monitor_client_init(&c.mc);
    qmp_start(&c, (const char *const[]){ spec, NULL }, NULL, false);
    monitor_client_connect_tcp(&c.mc, port);
    check_greeting(&c);
    check_negotiation(&c);
    check_stop_cont(&c);
    check_quit(&c);
    qmp_free(&c);
}

static void test_qmp_stdio(void)
{
    QmpClient c;

    monitor_client_init(&c.mc);
    qmp_start(&c, (const char *const[]){ "stdio", NULL }, NULL, true);
    check_greeting(&c);
    check_negotiation(&c);
    check_stop_cont(&c);
    check_quit(&c);
    qmp_free(&c);
}

/* Two servers, a client on each: both hear every event. */
static void test_qmp_two_clients(void)
{
    QmpClient a, b;
    g_autofree char *path_a = NULL;
    g_autofree char *path_b = NULL;
    g_autofree char *spec_a = NULL;
    g_autofree char *spec_b = NULL;
    g_autofree char *data = NULL;

    monitor_client_init(&a.mc);
    monitor_client_init(&b.mc);
    path_a = monitor_client_path(&a.mc, "a.sock");
    path_b = monitor_client_path(&b.mc, "b.sock");
    spec_a = g_strdup_printf("unix:%s,server=on,wait=off", path_a);
    spec_b = g_strdup_printf("unix:%s,server=on,wait=off", path_b);
    qmp_start(&a, (const char *const[]){ spec_a, spec_b, NULL }, NULL, false);
    b.events = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
    monitor_client_connect_unix(&a.mc, path_a);
    monitor_client_connect_unix(&b.mc, path_b);
    qmp_handshake(&a);
    qmp_handshake(&b);
    assert_empty_return(qmp_cmd(&a, "{\"execute\": \"stop\"}"));
    g_free(qmp_expect_event(&a, "STOP"));
    g_free(qmp_expect_event(&b, "STOP"));
    assert_status(&b, "paused");
    assert_empty_return(qmp_cmd(&b, "{\"execute\": \"cont\"}"));
    g_free(qmp_expect_event(&b, "RESUME"));
    g_free(qmp_expect_event(&a, "RESUME"));
    assert_status(&a, "running");
    assert_empty_return(qmp_cmd(&b, "{\"execute\": \"quit\"}"));
    data = qmp_expect_event(&a, "SHUTDOWN");
    g_assert_cmpstr(data, ==, "{\"guest\":false,\"reason\":\"host-qmp-quit\"}");
    g_assert_cmpint(monitor_client_wait_exit(&a.mc), ==, 0);
    qmp_free(&a);
    qmp_free(&b);
}

/*
 * A program at 0x80000000 (-bios none): waits for a byte on the UART, then
 * on its first run writes RESET to the test device, on its second (after
 * the reset; a counter 1 MiB above it survives) writes PASS (power off).
 */
static const uint32_t reset_then_poweroff[] = {
    0x100002b7,     /* lui   t0, 0x10000        the UART */
    0x0052c303,     /* 1: lbu t1, 5(t0)         LSR */
    0x00137313,     /* andi  t1, t1, 1          data ready */
    0xfe030ce3,     /* beqz  t1, 1b */
    0x0002c303,     /* lbu   t1, 0(t0)          take the byte */
    0x00100397,     /* auipc t2, 0x100          the counter */
    0x0003ae03,     /* lw    t3, 0(t2) */
    0x00100eb7,     /* lui   t4, 0x100          the test device */
    0x000e1e63,     /* bnez  t3, 2f */
    0x00100e13,     /* li    t3, 1 */
    0x01c3a023,     /* sw    t3, 0(t2) */
    0x00007f37,     /* lui   t5, 0x7 */
    0x777f0f1b,     /* addiw t5, t5, 0x777      RESET */
    0x01eea023,     /* sw    t5, 0(t4) */
    0x0000006f,     /* j     . */
    0x00005f37,     /* 2: lui t5, 0x5 */
    0x555f0f1b,     /* addiw t5, t5, 0x555      PASS */
    0x01eea023,     /* sw    t5, 0(t4) */
    0x0000006f,     /* j     . */
};

static void write_program(const char *path, const uint32_t *words, size_t n)
{
    g_autofree uint8_t *bytes = g_malloc(4 * n);

    for (size_t i = 0; i < n; i++) {
        for (int b = 0; b < 4; b++) {
            bytes[4 * i + b] = words[i] >> (8 * b);
        }
    }
    g_assert_true(g_file_set_contents(path, (char *)bytes, 4 * n, NULL));
}

static void test_qmp_guest_reset_poweroff(void)
{
    QmpClient c;
    MonitorClient serial;
    g_autofree char *kernel = NULL;
    g_autofree char *serial_path = NULL;
    g_autofree char *serial_spec = NULL;
    g_autofree char *reset = NULL;
    g_autofree char *shutdown = NULL;

    monitor_client_init(&c.mc);
    monitor_client_init(&serial);
    kernel = monitor_client_path(&c.mc, "prog.bin");
    serial_path = monitor_client_path(&serial, "serial.sock");
    serial_spec = g_strdup_printf("unix:%s,server=on,wait=off", serial_path);
    write_program(kernel, reset_then_poweroff, G_N_ELEMENTS(reset_then_poweroff));
    {
        g_autofree char *path = monitor_client_path(&c.mc, "qmp.sock");
        g_autofree char *spec = g_strdup_printf("unix:%s,server=on,wait=off", path);

        qmp_start(&c, (const char *const[]){ spec, NULL },
                  (const char *const[]){ "-kernel", kernel, "-serial", serial_spec, NULL },
                  false);
        monitor_client_connect_unix(&c.mc, path);
    }
    monitor_client_connect_unix(&serial, serial_path);
    qmp_handshake(&c);
    monitor_client_send(&serial, "r");
    reset = qmp_expect_event(&c, "RESET");
    g_assert_cmpstr(reset, ==, "{\"guest\":true,\"reason\":\"guest-reset\"}");
    assert_status(&c, "running");
    monitor_client_send(&serial, "p");
    shutdown = qmp_expect_event(&c, "SHUTDOWN");
    g_assert_cmpstr(shutdown, ==, "{\"guest\":true,\"reason\":\"guest-shutdown\"}");
    g_assert_cmpint(monitor_client_wait_exit(&c.mc), ==, 0);
    qmp_free(&c);
    monitor_client_free(&serial);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qmp/conversation", test_qmp_conversation);
    g_test_add_func("/qmp/bad-input", test_qmp_bad_input);
    g_test_add_func("/qmp/disconnect", test_qmp_disconnect);
    g_test_add_func("/qmp/tcp", test_qmp_tcp);
    g_test_add_func("/qmp/stdio", test_qmp_stdio);
    g_test_add_func("/qmp/two-clients", test_qmp_two_clients);
    g_test_add_func("/qmp/guest-reset-poweroff", test_qmp_guest_reset_poweroff);
    return g_test_run();
}
