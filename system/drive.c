/*
 * The -drive registry: each -drive is checked and its image opened while
 * the command line is parsed, so a bad file or format stops the emulator
 * before anything is built, with one message naming the file. Drives are
 * kept by id for the devices that attach to them (drive=ID).
 *
 * cache=none is taken as writeback: there is no O_DIRECT path, and the
 * guest's flushes still reach the disk.
 */
#include <string.h>

#include "proteus/drive.h"
#include "proteus/error.h"
#include "proteus/options.h"

typedef struct Drive {
    char *id;
    char *filename;
    char *format;               /* NULL: probed */
    BlockOpenOptions opts;      /* format points at the field above */
    BlockDriverState *bs;
    char *device_opts;          /* if=virtio: the -device string; else NULL */
    bool claimed;
} Drive;

static GPtrArray *drives;       /* of Drive *, in command-line order */
static unsigned anon_drives;    /* for the ids of drives given without one */
static bool snapshot_all;

static Drive *drive_find(const char *id)
{
    for (guint i = 0; drives && i < drives->len; i++) {
        Drive *d = g_ptr_array_index(drives, i);

        if (strcmp(d->id, id) == 0) {
            return d;
        }
    }
    return NULL;
}

static void drive_free(Drive *d)
{
    bdrv_close(d->bs);
    g_free(d->id);
    g_free(d->filename);
    g_free(d->format);
    g_free(d->device_opts);
    g_free(d);
}

static bool drive_open(Drive *d, GError **errp)
{
    GError *err = NULL;

    d->bs = bdrv_open(d->filename, &d->opts, &err);
    if (!d->bs) {
        g_propagate_prefixed_error(errp, err, "-drive file=%s: ", d->filename);
        return false;
    }
    return true;
}

/* on/off, yes/no, true/false; a bare key means on. */
static bool drive_parse_bool(const char *key, const char *value, bool *out, GError **errp)
{
    static const char *const on[] = { "on", "yes", "true", NULL };
    static const char *const off[] = { "off", "no", "false", NULL };

    if (!value || g_strv_contains(on, value)) {
        *out = true;
    } else if (g_strv_contains(off, value)) {
        *out = false;
    } else {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-drive: %s must be on or off, not '%s'", key, value);
        return false;
    }
    return true;
}

static bool drive_parse_cache(const char *value, BlockCacheMode *mode, GError **errp)
{
    if (value && strcmp(value, "none") == 0) {
        *mode = BDRV_CACHE_WRITEBACK;
        return true;
    }
    if (!bdrv_parse_cache_mode(value ? value : "", mode, errp)) {
        g_prefix_error(errp, "-drive cache: ");
        return false;
    }
    return true;
}

static bool drive_parse_format(const char *value, char **format, GError **errp)
{
    if (!value || (strcmp(value, "raw") != 0 && strcmp(value, "qcow2") != 0)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-drive: format must be raw or qcow2, not '%s'", value ? value : "");
        return false;
    }
    g_free(*format);
    *format = g_strdup(value);
    return true;
}

static bool drive_parse_interface(const char *value, bool *virtio, GError **errp)
{
    if (value && strcmp(value, "virtio") == 0) {
        *virtio = true;
    } else if (value && strcmp(value, "none") == 0) {
        *virtio = false;
    } else {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-drive: if must be virtio or none, not '%s'", value ? value : "");
        return false;
    }
    return true;
}

/* One key=value of -drive into d (id and file are taken before). */
static bool drive_parse_item(Drive *d, const OptItem *it, bool *virtio, GError **errp)
{
    if (strcmp(it->key, "file") == 0 || strcmp(it->key, "id") == 0) {
        return true;
    } else if (strcmp(it->key, "format") == 0) {
        return drive_parse_format(it->value, &d->format, errp);
    } else if (strcmp(it->key, "if") == 0) {
        return drive_parse_interface(it->value, virtio, errp);
    } else if (strcmp(it->key, "readonly") == 0) {
        return drive_parse_bool(it->key, it->value, &d->opts.read_only, errp);
    } else if (strcmp(it->key, "snapshot") == 0) {
        return drive_parse_bool(it->key, it->value, &d->opts.snapshot, errp);
    } else if (strcmp(it->key, "cache") == 0) {
        return drive_parse_cache(it->value, &d->opts.cache, errp);
    }
    error_setg_code(errp, PROTEUS_ERROR_INVALID,
                    "-drive: unknown option '%s' (file=, id=, format=, if=, readonly=, "
                    "snapshot=, cache=)", it->key);
    return false;
}

/* The drive described by opts, not opened yet; NULL on a bad option. */
static Drive *drive_from_opts(OptList *opts, bool *virtio, GError **errp)
{
    const char *file = opt_list_get(opts, "file");
    const char *id = opt_list_get(opts, "id");
    Drive *d;

    if (!file || !*file) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "-drive: file=PATH is required");
        return NULL;
    }
    if (id && drive_find(id)) {
        error_setg_code(errp, PROTEUS_ERROR_EXISTS, "-drive: id '%s' is already used", id);
        return NULL;
    }
    d = g_new0(Drive, 1);
    d->filename = g_strdup(file);
    d->opts.cache = BDRV_CACHE_WRITEBACK;
    d->opts.snapshot = snapshot_all;
    *virtio = true;
    for (guint i = 0; i < opts->items->len; i++) {
        if (!drive_parse_item(d, g_ptr_array_index(opts->items, i), virtio, errp)) {
            drive_free(d);
            return NULL;
        }
    }
    d->opts.format = d->format;
    d->id = id ? g_strdup(id) : g_strdup_printf("drive%u", anon_drives++);
    return d;
}

bool drive_parse(const char *arg, const char **device_opts, GError **errp)
{
    g_autoptr(OptList) opts = opt_list_parse(arg, "-drive", NULL, errp);
    bool virtio;
    Drive *d;

    *device_opts = NULL;
    if (!opts) {
        return false;
    }
    if (opts->head) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-drive %s: expected key=value options (file=PATH,...)", opts->head);
        return false;
    }
    d = drive_from_opts(opts, &virtio, errp);
    if (!d) {
        return false;
    }
    if (!drive_open(d, errp)) {
        drive_free(d);
        return false;
    }
    if (virtio) {
        d->device_opts = g_strdup_printf("virtio-blk-device,drive=%s", d->id);
        *device_opts = d->device_opts;
    }
    if (!drives) {
        drives = g_ptr_array_new();
    }
    g_ptr_array_add(drives, d);
    return true;
}

bool drive_set_snapshot_all(GError **errp)
{
    snapshot_all = true;
    for (guint i = 0; drives && i < drives->len; i++) {
        Drive *d = g_ptr_array_index(drives, i);

        if (!d->opts.snapshot) {
            /* reopened on a temporary overlay; nothing has used it yet */
            g_clear_pointer(&d->bs, bdrv_close);
            d->opts.snapshot = true;
            if (!drive_open(d, errp)) {
                return false;
            }
        }
    }
    return true;
}

BlockDriverState *drive_claim(const char *id, GError **errp)
{
    Drive *d = id ? drive_find(id) : NULL;

    if (!d) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND,
                        "drive '%s' not found (give it with -drive ...,id=ID)",
                        id ? id : "");
        return NULL;
    }
    if (d->claimed) {
        error_setg_code(errp, PROTEUS_ERROR_EXISTS,
                        "drive '%s' is already attached to a device", id);
        return NULL;
    }
    d->claimed = true;
    return d->bs;
}

void drive_release(const char *id)
{
    Drive *d = id ? drive_find(id) : NULL;

    if (d) {
        d->claimed = false;
    }
}
