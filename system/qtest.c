/*
 * The qtest server: a test program drives the emulator at the register
 * level over a chardev (-qtest unix:PATH, the test listening). There is no
 * CPU; the test reads and writes guest memory, moves the virtual clock by
 * hand and watches IRQ lines.
 *
 * The protocol is line based: one command per line, words separated by
 * spaces, numbers in C syntax (decimal or 0x-hex). Every command gets one
 * reply line, "OK" with any result as 0x-hex, or "ERR <message>"; a bad
 * command never closes the connection.
 *
 *   readb|readw|readl|readq ADDR       -> OK 0xVALUE  (little-endian load)
 *   writeb|writew|writel|writeq ADDR VALUE -> OK
 *   read ADDR SIZE                     -> OK 0xHEXBYTES (bytes in address order)
 *   write ADDR SIZE 0xHEXBYTES         -> OK (missing trailing bytes are zero)
 *   clock_step [NS]                    -> OK 0xNOW  (no NS: to the next deadline)
 *   clock_set NS                       -> OK 0xNOW  (never backwards)
 *   clock_get                          -> OK 0xNOW
 *   irq_intercept_out PATH [GPIO-NAME] -> OK
 *   irq_intercept_in PATH [GPIO-NAME]  -> OK
 *   set_irq_in PATH GPIO-NAME N LEVEL  -> OK
 *   chardev_connected ID               -> OK 0x1 if a peer is connected, else OK 0x0
 *
 * After an irq_intercept_* command the intercepted lines report level
 * changes asynchronously as "IRQ raise N" / "IRQ lower N"; such lines may
 * come before any reply. Only one device's lines can be intercepted. The
 * default output list is a sys-bus-device's "sysbus-irq" lines, else the
 * unnamed one; "unnamed-gpio-in" / "unnamed-gpio-out" name the unnamed
 * lists explicitly, as in QEMU.
 *
 * Commands run from the chardev's read handler: on the main loop, with the
 * BQL held. When the test disconnects, the emulator exits with status 0.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "proteus/chardev.h"
#include "proteus/device.h"
#include "proteus/main-loop.h"
#include "proteus/memory.h"
#include "system/qtest.h"

/* Limits that keep a broken or hostile test from exhausting memory. */
#define QTEST_MAX_DATA (1024 * 1024)             /* bytes per read/write command */
#define QTEST_MAX_LINE (2 * QTEST_MAX_DATA + 256)

#define UNNAMED_GPIO_IN "unnamed-gpio-in"
#define UNNAMED_GPIO_OUT "unnamed-gpio-out"

typedef struct QtestServer {
    CharFrontend fe;
    GString *inbuf;            /* bytes of the line being received */
    bool discarding;           /* skipping the rest of an over-long line */

    /* IRQ interception: one device, one list, one direction */
    DeviceState *irq_dev;
    char *irq_list;            /* NULL: the unnamed list */
    bool irq_input;
    GArray *irq_levels;        /* int per line: the level last reported */
    GPtrArray *irq_lines;      /* ProteusIrq made for intercepted outputs */
} QtestServer;

static QtestServer *qtest;

bool qtest_enabled(void)
{
    return qtest != NULL;
}

static void qtest_send(const char *text)
{
    chr_fe_write_all(&qtest->fe, (const uint8_t *)text, strlen(text));
}

static void G_GNUC_PRINTF(1, 2) qtest_sendf(const char *fmt, ...)
{
    g_autofree char *text = NULL;
    va_list ap;

    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    qtest_send(text);
}

/* ---- argument parsing ---- */

static bool qtest_parse_u64(const char *str, const char *what, uint64_t *value,
                            GError **errp)
{
    char *end;

    errno = 0;
    if (!g_ascii_isdigit(str[0])) {
        goto bad;
    }
    *value = g_ascii_strtoull(str, &end, 0);
    if (errno == 0 && *end == '\0') {
        return true;
    }
bad:
    error_setg_code(errp, PROTEUS_ERROR_INVALID, "%s '%s' is not an unsigned number",
                    what, str);
    return false;
}

static bool qtest_parse_i64(const char *str, const char *what, int64_t *value,
                            GError **errp)
{
    char *end;

    errno = 0;
    *value = g_ascii_strtoll(str, &end, 0);
    if (errno == 0 && end != str && *end == '\0') {
        return true;
    }
    error_setg_code(errp, PROTEUS_ERROR_INVALID, "%s '%s' is not a number", what, str);
    return false;
}

static DeviceState *qtest_find_device(const char *path, GError **errp)
{
    bool ambiguous = false;
    Object *obj = object_resolve_path(path, &ambiguous);

    if (!obj) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND,
                        ambiguous ? "'%s' matches more than one object"
                                  : "no object at '%s'", path);
        return NULL;
    }
    if (!object_dynamic_cast(obj, TYPE_DEVICE)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "'%s' is a %s, not a device", path,
                        object_get_typename(obj));
        return NULL;
    }
    return DEVICE(obj);
}

/* A GPIO list name from the protocol: the QEMU spellings mean "unnamed". */
static const char *qtest_gpio_name(const char *name)
{
    if (strcmp(name, UNNAMED_GPIO_IN) == 0 || strcmp(name, UNNAMED_GPIO_OUT) == 0) {
        return NULL;
    }
    return name;
}

/* ---- commands ---- */

/* argv[0] is the command; reply gets what follows "OK". */
typedef bool QtestCommandFn(char **argv, int argc, GString *reply, GError **errp);

static unsigned qtest_access_size(const char *cmd)
{
    switch (cmd[strlen(cmd) - 1]) {
    case 'b':
        return 1;
    case 'w':
        return 2;
    case 'l':
        return 4;
    default:
        return 8;
    }
}

static bool cmd_readx(char **argv, int argc, GString *reply, GError **errp)
{
    unsigned size = qtest_access_size(argv[0]);
    uint64_t addr, value = 0;

    if (!qtest_parse_u64(argv[1], "address", &addr, errp)) {
        return false;
    }
    /* Like a bus read, an unassigned address reads as zero (and is logged). */
    address_space_load(address_space_memory(), addr, size, false, &value);
    g_string_append_printf(reply, " 0x%" PRIx64, value);
    return true;
}

static bool cmd_writex(char **argv, int argc, GString *reply, GError **errp)
{
    unsigned size = qtest_access_size(argv[0]);
    uint64_t addr, value;

    if (!qtest_parse_u64(argv[1], "address", &addr, errp) ||
        !qtest_parse_u64(argv[2], "value", &value, errp)) {
        return false;
    }
    if (size < 8 && value >> (size * 8)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "value 0x%" PRIx64 " does not fit in %u byte%s", value, size,
                        size > 1 ? "s" : "");
        return false;
    }
    address_space_store(address_space_memory(), addr, size, false, value);
    return true;
}

static bool qtest_parse_size(const char *str, uint64_t *size, GError **errp)
{
    if (!qtest_parse_u64(str, "size", size, errp)) {
        return false;
    }
    if (*size > QTEST_MAX_DATA) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "size %" PRIu64 " is over the limit of %d bytes", *size,
                        QTEST_MAX_DATA);
        return false;
    }
    return true;
}

static bool cmd_read(char **argv, int argc, GString *reply, GError **errp)
{
    uint64_t addr, size;
    g_autofree uint8_t *buf = NULL;

    if (!qtest_parse_u64(argv[1], "address", &addr, errp) ||
        !qtest_parse_size(argv[2], &size, errp)) {
        return false;
    }
    buf = g_malloc0(size ? size : 1);
    address_space_read(address_space_memory(), addr, buf, size);
    g_string_append(reply, " 0x");
    for (uint64_t i = 0; i < size; i++) {
        g_string_append_printf(reply, "%02x", buf[i]);
    }
    return true;
}

static bool cmd_write(char **argv, int argc, GString *reply, GError **errp)
{
    uint64_t addr, size;
    const char *hex = argv[3];
    size_t digits;
    g_autofree uint8_t *buf = NULL;

    if (!qtest_parse_u64(argv[1], "address", &addr, errp) ||
        !qtest_parse_size(argv[2], &size, errp)) {
        return false;
    }
    if (hex[0] != '0' || (hex[1] != 'x' && hex[1] != 'X')) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "data must start with 0x");
        return false;
    }
    hex += 2;
    digits = strlen(hex);
    if (digits % 2 || digits / 2 > size) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "data has %zu hex digits: expected an even number, at most %"
                        PRIu64, digits, 2 * size);
        return false;
    }
    buf = g_malloc0(size ? size : 1);
    for (size_t i = 0; i < digits; i += 2) {
        int hi = g_ascii_xdigit_value(hex[i]);
        int lo = g_ascii_xdigit_value(hex[i + 1]);

        if (hi < 0 || lo < 0) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID, "data: '%c%c' is not a hex byte",
                            hex[i], hex[i + 1]);
            return false;
        }
        buf[i / 2] = hi << 4 | lo;
    }
    address_space_write(address_space_memory(), addr, buf, size);
    return true;
}

static bool cmd_clock_step(char **argv, int argc, GString *reply, GError **errp)
{
    int64_t now;
    uint64_t ns;

    if (argc > 1) {
        if (!qtest_parse_u64(argv[1], "time", &ns, errp)) {
            return false;
        }
        if (ns > INT64_MAX) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID, "time %" PRIu64 " is too large",
                            ns);
            return false;
        }
        now = clock_virtual_step(ns);
    } else {
        now = clock_virtual_step_next(-1);
    }
    g_string_append_printf(reply, " 0x%" PRIx64, (uint64_t)now);
    return true;
}

static bool cmd_clock_set(char **argv, int argc, GString *reply, GError **errp)
{
    int64_t now = clock_get_ns(PROTEUS_CLOCK_VIRTUAL);
    uint64_t target;

    if (!qtest_parse_u64(argv[1], "time", &target, errp)) {
        return false;
    }
    if (target > INT64_MAX || (int64_t)target < now) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "time 0x%" PRIx64 " is before the current time 0x%" PRIx64
                        " or out of range", target, (uint64_t)now);
        return false;
    }
    now = clock_virtual_step((int64_t)target - now);
    g_string_append_printf(reply, " 0x%" PRIx64, (uint64_t)now);
    return true;
}

static bool cmd_clock_get(char **argv, int argc, GString *reply, GError **errp)
{
    g_string_append_printf(reply, " 0x%" PRIx64,
                           (uint64_t)clock_get_ns(PROTEUS_CLOCK_VIRTUAL));
    return true;
}

/* Reports a level change of intercepted line number GPOINTER_TO_INT(opaque). */
static void qtest_irq_handler(void *opaque, int n, int level)
{
    int line = GPOINTER_TO_INT(opaque);
    int *last = &g_array_index(qtest->irq_levels, int, line);

    level = level != 0;
    if (*last == level) {
        return;
    }
    *last = level;
    qtest_sendf("IRQ %s %d\n", level ? "raise" : "lower", line);
}

static bool cmd_irq_intercept(char **argv, int argc, GString *reply, GError **errp)
{
    bool input = strcmp(argv[0], "irq_intercept_in") == 0;
    DeviceState *dev = qtest_find_device(argv[1], errp);
    const char *list;
    int count;

    if (!dev) {
        return false;
    }
    if (argc > 2) {
        list = qtest_gpio_name(argv[2]);
    } else if (!input && object_dynamic_cast(OBJECT(dev), TYPE_SYS_BUS_DEVICE)) {
        list = SYSBUS_IRQ_NAME;
    } else {
        list = NULL;
    }
    if (qtest->irq_dev) {
        if (qtest->irq_dev == dev && qtest->irq_input == input &&
            g_strcmp0(qtest->irq_list, list) == 0) {
            return true;    /* already done */
        }
        error_setg_code(errp, PROTEUS_ERROR_EXISTS,
                        "IRQ interception is already enabled (one device list only)");
        return false;
    }
    count = device_gpio_count(dev, list, input);
    if (count < 0) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "'%s' has no %s GPIO list '%s'",
                        argv[1], input ? "input" : "output",
                        list ? list : (input ? UNNAMED_GPIO_IN : UNNAMED_GPIO_OUT));
        return false;
    }

    qtest->irq_dev = DEVICE(object_ref(dev));
    qtest->irq_list = g_strdup(list);
    qtest->irq_input = input;
    g_array_set_size(qtest->irq_levels, count);
    for (int i = 0; i < count; i++) {
        if (input) {
            IrqState old;

            irq_intercept(device_get_gpio_in_named(dev, list, i), qtest_irq_handler,
                          GINT_TO_POINTER(i), &old);
        } else {
            ProteusIrq line = irq_new(qtest_irq_handler, GINT_TO_POINTER(i), i);

            g_ptr_array_add(qtest->irq_lines, line);
            device_connect_gpio_out_named(dev, list, i, line);
        }
    }
    return true;
}

static bool cmd_set_irq_in(char **argv, int argc, GString *reply, GError **errp)
{
    DeviceState *dev = qtest_find_device(argv[1], errp);
    const char *list = qtest_gpio_name(argv[2]);
    int64_t n, level;
    int count;

    if (!dev || !qtest_parse_i64(argv[3], "line", &n, errp) ||
        !qtest_parse_i64(argv[4], "level", &level, errp)) {
        return false;
    }
    count = device_gpio_count(dev, list, true);
    if (count < 0) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "'%s' has no input GPIO list '%s'",
                        argv[1], argv[2]);
        return false;
    }
    if (n < 0 || n >= count) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "line %" PRId64 " is out of range ('%s' has %d)", n, argv[2], count);
        return false;
    }
    if (level < INT_MIN || level > INT_MAX) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "level %" PRId64 " is out of range",
                        level);
        return false;
    }
    irq_set(device_get_gpio_in_named(dev, list, n), (int)level);
    return true;
}

static bool cmd_chardev_connected(char **argv, int argc, GString *reply, GError **errp)
{
    Chardev *chr = chardev_find(argv[1]);

    if (!chr) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "no chardev '%s'", argv[1]);
        return false;
    }
    g_string_append(reply, chr->be_open ? " 0x1" : " 0x0");
    return true;
}

typedef struct QtestCommand {
    const char *name;
    int min_args;              /* not counting the command */
    int max_args;
    QtestCommandFn *fn;
    const char *usage;
} QtestCommand;

static const QtestCommand qtest_commands[] = {
    { "readb", 1, 1, cmd_readx, "ADDR" },
    { "readw", 1, 1, cmd_readx, "ADDR" },
    { "readl", 1, 1, cmd_readx, "ADDR" },
    { "readq", 1, 1, cmd_readx, "ADDR" },
    { "writeb", 2, 2, cmd_writex, "ADDR VALUE" },
    { "writew", 2, 2, cmd_writex, "ADDR VALUE" },
    { "writel", 2, 2, cmd_writex, "ADDR VALUE" },
    { "writeq", 2, 2, cmd_writex, "ADDR VALUE" },
    { "read", 2, 2, cmd_read, "ADDR SIZE" },
    { "write", 3, 3, cmd_write, "ADDR SIZE 0xDATA" },
    { "clock_step", 0, 1, cmd_clock_step, "[NS]" },
    { "clock_set", 1, 1, cmd_clock_set, "NS" },
    { "clock_get", 0, 0, cmd_clock_get, "" },
    { "irq_intercept_out", 1, 2, cmd_irq_intercept, "QOM-PATH [GPIO-NAME]" },
    { "irq_intercept_in", 1, 2, cmd_irq_intercept, "QOM-PATH [GPIO-NAME]" },
    { "set_irq_in", 4, 4, cmd_set_irq_in, "QOM-PATH GPIO-NAME N LEVEL" },
    { "chardev_connected", 1, 1, cmd_chardev_connected, "ID" },
};

static void qtest_reply_error(GError *err)
{
    g_autofree char *msg = g_strdup(err->message);

    g_strdelimit(msg, "\r\n", ' ');     /* one reply, one line */
    qtest_sendf("ERR %s\n", msg);
    g_error_free(err);
}

static void qtest_process_line(char *line)
{
    g_auto(GStrv) words = g_strsplit_set(g_strstrip(line), " \t", -1);
    g_autoptr(GString) reply = g_string_new("OK");
    const QtestCommand *cmd = NULL;
    GError *err = NULL;
    int argc = 0;

    /* Several spaces in a row make empty words: squeeze them out. */
    for (int i = 0; words[i]; i++) {
        if (*words[i]) {
            words[argc++] = words[i];
        } else {
            g_free(words[i]);
        }
    }
    words[argc] = NULL;

    if (argc == 0) {
        error_setg_code(&err, PROTEUS_ERROR_INVALID, "empty command");
        qtest_reply_error(err);
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(qtest_commands); i++) {
        if (strcmp(qtest_commands[i].name, words[0]) == 0) {
            cmd = &qtest_commands[i];
            break;
        }
    }
    if (!cmd) {
        error_setg_code(&err, PROTEUS_ERROR_NOT_FOUND, "unknown command '%s'", words[0]);
    } else if (argc - 1 < cmd->min_args || argc - 1 > cmd->max_args) {
        error_setg_code(&err, PROTEUS_ERROR_INVALID, "usage: %s %s", cmd->name,
                        cmd->usage);
    } else if (cmd->fn(words, argc, reply, &err)) {
        g_string_append_c(reply, '\n');
        qtest_send(reply->str);
        return;
    }
    qtest_reply_error(err);
}

/* ---- the chardev side ---- */

static int qtest_can_read(void *opaque)
{
    return CHR_READ_BUF_LEN;
}

static void qtest_read(void *opaque, const uint8_t *buf, int size)
{
    GString *in = qtest->inbuf;
    const char *nl;

    g_string_append_len(in, (const char *)buf, size);
    while ((nl = memchr(in->str, '\n', in->len)) != NULL) {
        gsize len = nl - in->str;

        if (qtest->discarding) {
            GError *err = NULL;

            qtest->discarding = false;
            error_setg_code(&err, PROTEUS_ERROR_INVALID,
                            "command line longer than %d bytes", QTEST_MAX_LINE);
            qtest_reply_error(err);
        } else {
            g_autofree char *line = g_strndup(in->str, len);

            qtest_process_line(line);
        }
        g_string_erase(in, 0, len + 1);
    }
    if (in->len > QTEST_MAX_LINE) {
        qtest->discarding = true;
        g_string_truncate(in, 0);
    }
}

static void qtest_event(void *opaque, ChrEvent event)
{
    if (event == CHR_EVENT_CLOSED) {
        /* The test is done (or gone): so is the emulator. */
        main_loop_request_exit(0);
    }
}

bool qtest_init(const char *chardev_spec, GError **errp)
{
    QtestServer *s;
    Chardev *chr;
    GError *err = NULL;

    if (qtest) {
        error_setg_code(errp, PROTEUS_ERROR_EXISTS, "qtest is already running");
        return false;
    }
    chr = chardev_new_from_shorthand("qtest", chardev_spec, &err);
    if (!chr) {
        if (!err) {
            error_setg_code(&err, PROTEUS_ERROR_INVALID, "qtest needs a chardev");
        }
        g_propagate_error(errp, err);
        return false;
    }
    s = g_new0(QtestServer, 1);
    if (!chr_fe_init(&s->fe, chr, errp)) {
        chardev_remove(chr);
        g_free(s);
        return false;
    }
    s->inbuf = g_string_new(NULL);
    s->irq_levels = g_array_new(FALSE, TRUE, sizeof(int));
    s->irq_lines = g_ptr_array_new();
    qtest = s;
    /* Virtual time moves only when the test says so. */
    clock_virtual_set_manual(true);
    chr_fe_set_handlers(&s->fe, qtest_can_read, qtest_read, qtest_event, NULL);
    return true;
}
