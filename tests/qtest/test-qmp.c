/*
 * QMP over a unix socket: starts the riscv64 virt machine (no firmware, the
 * hart idles) with -qmp and holds one conversation with it: greeting,
 * negotiation, queries, stop/cont with their events, bad input, QOM access
 * and quit ending the process with status 0.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define QMP_TIMEOUT_MS 10000

typedef struct QmpClient {
    GPid pid;
    int fd;
    char *dir;
    char *sock_path;
    GString *inbuf;
    GPtrArray *events;       /* names of the events seen, in order */
} QmpClient;

static void qmp_client_connect(QmpClient *c)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };

    g_assert_cmpuint(strlen(c->sock_path), <, sizeof(addr.sun_path));
    strcpy(addr.sun_path, c->sock_path);
    for (int tries = 0; tries < 500; tries++) {
        c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
        g_assert_cmpint(c->fd, >=, 0);
        if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
            return;
        }
        close(c->fd);
        g_usleep(20 * 1000);
    }
    g_error("cannot connect to %s", c->sock_path);
}

/* The emulator must not outlive a failed test. */
static void kill_with_parent(gpointer data)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static void qmp_client_start(QmpClient *c)
{
    const char *binary = g_getenv("PROTEUS_SYSTEM");
    g_autoptr(GError) err = NULL;

    g_assert_nonnull(binary);
    c->dir = g_dir_make_tmp(NULL, &err);
    g_assert_no_error(err);
    c->sock_path = g_build_filename(c->dir, "qmp.sock", NULL);
    g_autofree char *spec = g_strdup_printf("unix:%s,server=on,wait=off", c->sock_path);
    const char *argv[] = { binary, "-M", "virt", "-display", "none", "-nodefaults",
                           "-bios", "none", "-qmp", spec, NULL };

    g_spawn_async(NULL, (char **)argv, NULL,
                  G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL |
                  G_SPAWN_STDOUT_TO_DEV_NULL,
                  kill_with_parent, NULL, &c->pid, &err);
    g_assert_no_error(err);
    c->inbuf = g_string_new(NULL);
    c->events = g_ptr_array_new_with_free_func(g_free);
    qmp_client_connect(c);
}

/* Waits for the process to end and returns its exit status. */
static int qmp_client_wait_exit(QmpClient *c)
{
    int status = 0;

    for (int i = 0; i < QMP_TIMEOUT_MS / 10; i++) {
        pid_t r = waitpid(c->pid, &status, WNOHANG);

        g_assert_cmpint(r, >=, 0);
        if (r == c->pid) {
            g_assert_true(WIFEXITED(status));
            c->pid = 0;
            return WEXITSTATUS(status);
        }
        g_usleep(10 * 1000);
    }
    g_error("the emulator did not exit");
}

static void qmp_client_free(QmpClient *c)
{
    if (c->pid) {
        kill(c->pid, SIGKILL);
        waitpid(c->pid, NULL, 0);
    }
    close(c->fd);
    g_unlink(c->sock_path);
    g_rmdir(c->dir);
    g_free(c->sock_path);
    g_free(c->dir);
    g_string_free(c->inbuf, TRUE);
    g_ptr_array_free(c->events, TRUE);
}

static void qmp_send(QmpClient *c, const char *text)
{
    size_t len = strlen(text);

    g_assert_cmpint(write(c->fd, text, len), ==, (ssize_t)len);
    g_assert_cmpint(write(c->fd, "\n", 1), ==, 1);
}

/* The next line from the server, parsed (a JSON object). */
static JsonNode *qmp_receive(QmpClient *c)
{
    char *eol;

    while (!(eol = strchr(c->inbuf->str, '\n'))) {
        struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
        char buf[4096];
        ssize_t n;

        g_assert_cmpint(poll(&pfd, 1, QMP_TIMEOUT_MS), ==, 1);
        n = read(c->fd, buf, sizeof(buf));
        g_assert_cmpint(n, >, 0);
        g_string_append_len(c->inbuf, buf, n);
    }
    g_autofree char *line = g_strndup(c->inbuf->str, eol - c->inbuf->str);
    g_autoptr(GError) err = NULL;
    JsonNode *node;

    g_string_erase(c->inbuf, 0, eol - c->inbuf->str + 1);
    node = json_from_string(line, &err);
    g_assert_no_error(err);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(node));
    return node;
}

/* Sends a request; returns its reply, recording events that come first or between. */
static JsonNode *qmp_cmd(QmpClient *c, const char *request)
{
    qmp_send(c, request);
    for (;;) {
        JsonNode *node = qmp_receive(c);
        JsonObject *obj = json_node_get_object(node);

        if (!json_object_has_member(obj, "event")) {
            return node;
        }
        g_assert_true(json_object_has_member(obj, "timestamp"));
        g_assert_true(json_object_has_member(
            json_object_get_object_member(obj, "timestamp"), "microseconds"));
        g_ptr_array_add(c->events, g_strdup(json_object_get_string_member(obj, "event")));
        json_node_unref(node);
    }
}

/* Reads until the event name arrives (it may already have been recorded). */
static void qmp_expect_event(QmpClient *c, const char *name)
{
    while (!g_ptr_array_find_with_equal_func(c->events, name, g_str_equal, NULL)) {
        g_autoptr(JsonNode) node = qmp_receive(c);
        JsonObject *obj = json_node_get_object(node);

        g_assert_true(json_object_has_member(obj, "event"));
        g_ptr_array_add(c->events, g_strdup(json_object_get_string_member(obj, "event")));
    }
    g_ptr_array_set_size(c->events, 0);
}

static void assert_error(JsonNode *reply, const char *klass)
{
    JsonObject *obj = json_node_get_object(reply);
    JsonObject *error;

    g_assert_true(json_object_has_member(obj, "error"));
    error = json_object_get_object_member(obj, "error");
    g_assert_cmpstr(json_object_get_string_member(error, "class"), ==, klass);
    g_assert_cmpstr(json_object_get_string_member(error, "desc"), !=, "");
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

static void assert_status(QmpClient *c, bool running)
{
    g_autoptr(JsonNode) reply = qmp_cmd(c, "{\"execute\": \"query-status\"}");
    JsonObject *st = json_node_get_object(assert_return(reply));

    g_assert_cmpint(json_object_get_boolean_member(st, "running"), ==, running);
    g_assert_cmpstr(json_object_get_string_member(st, "status"), ==,
                    running ? "running" : "paused");
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

    assert_error(qmp_cmd(c, "{\"execute\": \"query-status\"}"), "CommandNotFound");
    reply = qmp_cmd(c, "{\"execute\": \"qmp_capabilities\", \"id\": \"neg-1\"}");
    assert_return(reply);
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(reply), "id"), ==,
                    "neg-1");
}

static void check_version(QmpClient *c)
{
    g_autoptr(JsonNode) reply = qmp_cmd(c, "{\"execute\": \"query-version\"}");
    JsonObject *ver = json_node_get_object(assert_return(reply));

    g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(ver, "qemu"),
                                               "minor"), ==, 1);
    g_assert_cmpstr(json_object_get_string_member(ver, "package"), ==, "");
}

static void check_stop_cont(QmpClient *c)
{
    assert_status(c, true);
    assert_empty_return(qmp_cmd(c, "{\"execute\": \"stop\"}"));
    qmp_expect_event(c, "STOP");
    assert_status(c, false);
    assert_empty_return(qmp_cmd(c, "{\"execute\": \"cont\"}"));
    qmp_expect_event(c, "RESUME");
    assert_status(c, true);
}

static void check_bad_input(QmpClient *c)
{
    assert_error(qmp_cmd(c, "{\"execute\": oops}"), "GenericError");
    assert_error(qmp_cmd(c, "{\"execute\": \"no-such-command\"}"), "CommandNotFound");
    assert_error(qmp_cmd(c, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": 7}}"),
                 "GenericError");
    assert_error(qmp_cmd(c, "{\"execute\": \"qom-get\"}"), "GenericError");
    assert_error(qmp_cmd(c, "{\"execute\": \"stop\", \"arguments\": {\"now\": true}}"),
                 "GenericError");
    /* still usable afterwards */
    assert_status(c, true);
}

static void check_qom(QmpClient *c)
{
    g_autoptr(JsonNode) list = qmp_cmd(c, "{\"execute\": \"qom-list\", "
                                          "\"arguments\": {\"path\": \"/machine\"}}");
    JsonArray *props = json_node_get_array(assert_return(list));
    g_autoptr(JsonNode) got = NULL;
    bool found = false;

    for (guint i = 0; i < json_array_get_length(props); i++) {
        JsonObject *p = json_array_get_object_element(props, i);

        if (g_strcmp0(json_object_get_string_member(p, "name"), "uart0") == 0) {
            g_assert_cmpstr(json_object_get_string_member(p, "type"), ==, "child<ns16550a>");
            found = true;
        }
    }
    g_assert_true(found);

    got = qmp_cmd(c, "{\"execute\": \"qom-get\", \"arguments\": "
                     "{\"path\": \"/machine/uart0\", \"property\": \"regshift\"}}");
    /* an integer property comes back as a JSON number */
    g_assert_true(json_node_get_value_type(assert_return(got)) == G_TYPE_INT64);
    g_assert_cmpint(json_node_get_int(assert_return(got)), ==, 0);
    /* a realized device refuses configuration changes */
    assert_error(qmp_cmd(c, "{\"execute\": \"qom-set\", \"arguments\": "
                            "{\"path\": \"/machine/uart0\", \"property\": \"regshift\","
                            " \"value\": 2}}"), "GenericError");
    assert_error(qmp_cmd(c, "{\"execute\": \"qom-get\", \"arguments\": "
                            "{\"path\": \"/machine/nothing\", \"property\": \"x\"}}"),
                 "GenericError");
}

static void test_qmp_conversation(void)
{
    QmpClient c = { 0 };
    g_autoptr(JsonNode) quit = NULL;

    qmp_client_start(&c);
    check_greeting(&c);
    check_negotiation(&c);
    check_version(&c);
    check_stop_cont(&c);
    check_bad_input(&c);
    check_qom(&c);
    quit = qmp_cmd(&c, "{\"execute\": \"quit\"}");
    assert_return(quit);
    qmp_expect_event(&c, "SHUTDOWN");
    g_assert_cmpint(qmp_client_wait_exit(&c), ==, 0);
    qmp_client_free(&c);
}

/* A client leaving without a word does not stop the machine. */
static void test_qmp_disconnect(void)
{
    QmpClient c = { 0 };
    g_autoptr(JsonNode) greeting = NULL;
    g_autoptr(JsonNode) quit = NULL;

    qmp_client_start(&c);
    greeting = qmp_receive(&c);
    qmp_send(&c, "{\"execute\": \"qmp_capabilities\"}{\"execute\": \"query-status\"}");
    close(c.fd);
    qmp_client_connect(&c);
    json_node_unref(qmp_receive(&c));
    assert_empty_return(qmp_cmd(&c, "{\"execute\": \"qmp_capabilities\"}"));
    assert_status(&c, true);
    quit = qmp_cmd(&c, "{\"execute\": \"quit\"}");
    assert_return(quit);
    g_assert_cmpint(qmp_client_wait_exit(&c), ==, 0);
    qmp_client_free(&c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qmp/conversation", test_qmp_conversation);
    g_test_add_func("/qmp/disconnect", test_qmp_disconnect);
    return g_test_run();
}
