/*
 * File-backed chardevs.
 *
 * file: path=P receives the output (created, truncated unless append=on);
 *       in=Q, if given, is read as input (until its end).
 * pipe: path=P uses the fifos P.in (input) and P.out (output) when both
 *       exist, else P itself for both directions. Fifos are opened
 *       read-write so that opening never blocks waiting for a peer and a
 *       peer going away never ends the stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "proteus/chardev.h"

#define TYPE_CHARDEV_FILE "chardev-file"
#define TYPE_CHARDEV_PIPE "chardev-pipe"

typedef struct FileChardev {
    Chardev parent_obj;
    int out_fd;
    int in_fd;                   /* -1: no input; may equal out_fd (pipe) */
    ChardevFdReader reader;
} FileChardev;

#define FILE_CHARDEV(obj) OBJECT_CHECK(FileChardev, (obj), TYPE_CHARDEV_FILE)

static const char *const file_option_keys[] = { "path", "in", "append", NULL };
static const char *const pipe_option_keys[] = { "path", NULL };

static void file_instance_init(Object *obj)
{
    FileChardev *f = FILE_CHARDEV(obj);

    f->out_fd = -1;
    f->in_fd = -1;
}

/* The input ran out: output carries on. */
static void file_input_eof(Chardev *chr)
{
}

static int open_or_error(const char *path, int flags, GError **errp)
{
    int fd = open(path, flags | O_CLOEXEC, 0666);

    if (fd < 0) {
        error_setg_code(errp, errno == ENOENT ? PROTEUS_ERROR_NOT_FOUND : PROTEUS_ERROR_FAILED,
                        "cannot open '%s': %s", path, g_strerror(errno));
    }
    return fd;
}

static void file_start(FileChardev *f)
{
    if (f->in_fd >= 0) {
        chardev_fd_reader_start(&f->reader, &f->parent_obj, f->in_fd, file_input_eof);
    }
    chardev_frontend_event(&f->parent_obj, CHR_EVENT_OPENED);
}

static bool file_open(Chardev *chr, GHashTable *opts, GError **errp)
{
    FileChardev *f = FILE_CHARDEV(chr);
    const char *path = chardev_opt_require(opts, "path", errp);
    const char *in = chardev_opt_get(opts, "in");
    bool append;

    if (!path || !chardev_opt_bool(opts, "append", false, &append, errp)) {
        return false;
    }
    f->out_fd = open_or_error(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC),
                              errp);
    if (f->out_fd < 0) {
        return false;
    }
    if (in && *in) {
        f->in_fd = open_or_error(in, O_RDONLY, errp);
        if (f->in_fd < 0) {
            return false;
        }
    }
    file_start(f);
    return true;
}

static bool pipe_open(Chardev *chr, GHashTable *opts, GError **errp)
{
    FileChardev *f = FILE_CHARDEV(chr);
    const char *path = chardev_opt_require(opts, "path", errp);
    g_autofree char *path_in = NULL;
    g_autofree char *path_out = NULL;

    if (!path) {
        return false;
    }
    path_in = g_strdup_printf("%s.in", path);
    path_out = g_strdup_printf("%s.out", path);
    if (access(path_in, F_OK) == 0 && access(path_out, F_OK) == 0) {
        f->in_fd = open_or_error(path_in, O_RDWR, errp);
        if (f->in_fd < 0) {
            return false;
        }
        f->out_fd = open_or_error(path_out, O_RDWR, errp);
        if (f->out_fd < 0) {
            return false;
        }
    } else {
        f->out_fd = open_or_error(path, O_RDWR, errp);
        if (f->out_fd < 0) {
            return false;
        }
        f->in_fd = f->out_fd;
    }
    file_start(f);
    return true;
}

static int file_write(Chardev *chr, const uint8_t *buf, int len)
{
    return chardev_fd_write(FILE_CHARDEV(chr)->out_fd, buf, len);
}

static bool file_wait_writable(Chardev *chr)
{
    return chardev_fd_wait_writable(FILE_CHARDEV(chr)->out_fd);
}

static void file_accept_input(Chardev *chr)
{
    chardev_fd_reader_resume(&FILE_CHARDEV(chr)->reader);
}

static void file_close(Chardev *chr)
{
    FileChardev *f = FILE_CHARDEV(chr);

    chardev_fd_reader_stop(&f->reader);
    if (f->in_fd >= 0 && f->in_fd != f->out_fd) {
        close(f->in_fd);
    }
    if (f->out_fd >= 0) {
        close(f->out_fd);
    }
    f->in_fd = -1;
    f->out_fd = -1;
}

static void file_class_init(ObjectClass *klass, void *data)
{
    ChardevClass *k = CHARDEV_CLASS(klass);

    k->open = file_open;
    k->write = file_write;
    k->wait_writable = file_wait_writable;
    k->accept_input = file_accept_input;
    k->close = file_close;
    k->option_keys = file_option_keys;
}

static void pipe_class_init(ObjectClass *klass, void *data)
{
    ChardevClass *k = CHARDEV_CLASS(klass);

    k->open = pipe_open;
    k->option_keys = pipe_option_keys;
}

static const TypeInfo file_types[] = {
    {
        .name = TYPE_CHARDEV_FILE,
        .parent = TYPE_CHARDEV,
        .instance_size = sizeof(FileChardev),
        .instance_init = file_instance_init,
        .class_init = file_class_init,
    },
    {
        .name = TYPE_CHARDEV_PIPE,
        .parent = TYPE_CHARDEV_FILE,
        .class_init = pipe_class_init,
    },
};

static void file_register_types(void)
{
    type_register_array(file_types, G_N_ELEMENTS(file_types));
}

type_init(file_register_types)
