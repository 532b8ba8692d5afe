/*
 * The stdio chardev: input from stdin, output to stdout. When stdin is a
 * terminal it goes into raw mode (no line editing, no echo, 8-bit clean;
 * output processing stays on so "\n" still returns the carriage), and is
 * restored on close and at exit. signal=on (the default) keeps Ctrl-C and
 * Ctrl-Z as signals to the emulator; signal=off hands them to the guest.
 * There is only one stdin, so only one stdio chardev may exist.
 */
#include <errno.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include "proteus/chardev.h"

#define TYPE_CHARDEV_STDIO "chardev-stdio"

typedef struct StdioChardev {
    Chardev parent_obj;
    ChardevFdReader reader;
} StdioChardev;

#define STDIO_CHARDEV(obj) OBJECT_CHECK(StdioChardev, (obj), TYPE_CHARDEV_STDIO)

static const char *const stdio_option_keys[] = { "signal", NULL };

static StdioChardev *stdio_owner;       /* the one stdio chardev, if any */
static struct termios saved_termios;
static bool termios_saved;
static bool atexit_registered;

static void stdio_restore_terminal(void)
{
    if (termios_saved) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
        termios_saved = false;
    }
}

static void stdio_set_raw(bool signals)
{
    struct termios tio;

    if (tcgetattr(STDIN_FILENO, &saved_termios) < 0) {
        return;
    }
    termios_saved = true;
    if (!atexit_registered) {
        atexit_registered = true;
        atexit(stdio_restore_terminal);
    }
    tio = saved_termios;
    /* Bytes reach the guest untranslated: no CR/NL mapping, no XON/XOFF. */
    tio.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    tio.c_oflag |= OPOST;
    tio.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
    if (!signals) {
        tio.c_lflag &= ~ISIG;
    }
    tio.c_cflag &= ~(CSIZE | PARENB);
    tio.c_cflag |= CS8;
    tio.c_cc[VMIN] = 1;
    tio.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &tio);
}

/*
 * stdin ended (or is /dev/null): no more input, output carries on. The
 * frontend hears CLOSED: a serial port ignores it, qtest on stdio quits.
 */
static void stdio_eof(Chardev *chr)
{
    chardev_frontend_event(chr, CHR_EVENT_CLOSED);
}

static bool stdio_open(Chardev *chr, GHashTable *opts, GError **errp)
{
    StdioChardev *s = STDIO_CHARDEV(chr);
    bool signals;

    if (stdio_owner) {
        error_setg_code(errp, PROTEUS_ERROR_EXISTS,
                        "stdio is already used by chardev '%s' (only one may exist)",
                        stdio_owner->parent_obj.label);
        return false;
    }
    if (!chardev_opt_bool(opts, "signal", true, &signals, errp)) {
        return false;
    }
    stdio_owner = s;
    if (isatty(STDIN_FILENO)) {
        stdio_set_raw(signals);
    }
    chardev_fd_reader_start(&s->reader, chr, STDIN_FILENO, stdio_eof);
    chardev_frontend_event(chr, CHR_EVENT_OPENED);
    return true;
}

static int stdio_write(Chardev *chr, const uint8_t *buf, int len)
{
    return chardev_fd_write(STDOUT_FILENO, buf, len);
}

static bool stdio_wait_writable(Chardev *chr)
{
    return chardev_fd_wait_writable(STDOUT_FILENO);
}

static void stdio_accept_input(Chardev *chr)
{
    chardev_fd_reader_resume(&STDIO_CHARDEV(chr)->reader);
}

static void stdio_close(Chardev *chr)
{
    StdioChardev *s = STDIO_CHARDEV(chr);

    chardev_fd_reader_stop(&s->reader);
    if (stdio_owner == s) {
        stdio_restore_terminal();
        stdio_owner = NULL;
    }
}

static void stdio_class_init(ObjectClass *klass, void *data)
{
    ChardevClass *k = CHARDEV_CLASS(klass);

    k->open = stdio_open;
    k->write = stdio_write;
    k->wait_writable = stdio_wait_writable;
    k->accept_input = stdio_accept_input;
    k->close = stdio_close;
    k->option_keys = stdio_option_keys;
}

static const TypeInfo stdio_type_info = {
    .name = TYPE_CHARDEV_STDIO,
    .parent = TYPE_CHARDEV,
    .instance_size = sizeof(StdioChardev),
    .class_init = stdio_class_init,
};

static void stdio_register_types(void)
{
    type_register(&stdio_type_info);
}

type_init(stdio_register_types)
