/*
 * The null chardev: output disappears, input never arrives. It is open
 * from the start, so frontends see CHR_EVENT_OPENED.
 */
#include "proteus/chardev.h"

#define TYPE_CHARDEV_NULL "chardev-null"

static bool null_open(Chardev *chr, GHashTable *opts, GError **errp)
{
    chardev_frontend_event(chr, CHR_EVENT_OPENED);
    return true;
}

static int null_write(Chardev *chr, const uint8_t *buf, int len)
{
    return len;
}

static void null_close(Chardev *chr)
{
}

static void null_class_init(ObjectClass *klass, void *data)
{
    ChardevClass *k = CHARDEV_CLASS(klass);

    k->open = null_open;
    k->write = null_write;
    k->close = null_close;
}

static const TypeInfo null_type_info = {
    .name = TYPE_CHARDEV_NULL,
    .parent = TYPE_CHARDEV,
    .class_init = null_class_init,
};

static void null_register_types(void)
{
    type_register(&null_type_info);
}

type_init(null_register_types)
