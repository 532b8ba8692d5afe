/*
 * The generic half of the block layer: opening images (format probing,
 * backing chains, the temporary overlay of snapshot mode), argument checks
 * and locking around the drivers, and the asynchronous request interface
 * (a glib thread pool whose completions run as main-loop bottom halves).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block-int.h"
#include "proteus/main-loop.h"

#define BDRV_MAX_CHAIN 32

static const BlockDriver *const block_drivers[] = { &bdrv_qcow2, &bdrv_raw };

static const BlockDriver *find_driver(const char *name, GError **errp)
{
    for (size_t i = 0; i < G_N_ELEMENTS(block_drivers); i++) {
        if (strcmp(block_drivers[i]->format_name, name) == 0) {
            return block_drivers[i];
        }
    }
    error_setg_code(errp, PROTEUS_ERROR_INVALID, "unknown image format '%s'", name);
    return NULL;
}

bool bdrv_parse_cache_mode(const char *name, BlockCacheMode *mode, GError **errp)
{
    static const char *const names[] = {
        [BDRV_CACHE_WRITEBACK] = "writeback",
        [BDRV_CACHE_WRITETHROUGH] = "writethrough",
        [BDRV_CACHE_UNSAFE] = "unsafe",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        if (strcmp(names[i], name) == 0) {
            *mode = i;
            return true;
        }
    }
    error_setg_code(errp, PROTEUS_ERROR_INVALID, "unknown cache mode '%s'", name);
    return false;
}

/* ---- file helpers for the drivers ---- */

bool bdrv_file_pread(BlockDriverState *bs, uint64_t off, void *buf, size_t len,
                     GError **errp)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pread(bs->fd, p, len, off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            error_setg(errp, "%s: read at %" G_GUINT64_FORMAT " failed: %s",
                       bs->filename, off, g_strerror(errno));
            return false;
        }
        if (n == 0) {
            memset(p, 0, len);
            return true;
        }
        p += n;
        off += n;
        len -= n;
    }
    return true;
}

bool bdrv_file_pwrite(BlockDriverState *bs, uint64_t off, const void *buf, size_t len,
                      GError **errp)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pwrite(bs->fd, p, len, off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            error_setg(errp, "%s: write at %" G_GUINT64_FORMAT " failed: %s",
                       bs->filename, off, n < 0 ? g_strerror(errno) : "no progress");
            return false;
        }
        p += n;
        off += n;
        len -= n;
    }
    if (bs->cache == BDRV_CACHE_WRITETHROUGH) {
        return bdrv_file_sync(bs, errp);
    }
    return true;
}

bool bdrv_file_sync(BlockDriverState *bs, GError **errp)
{
    if (bs->cache == BDRV_CACHE_UNSAFE) {
        return true;
    }
    if (fdatasync(bs->fd) < 0) {
        error_setg(errp, "%s: fdatasync failed: %s", bs->filename, g_strerror(errno));
        return false;
    }
    return true;
}

uint64_t bdrv_file_size(BlockDriverState *bs)
{
    struct stat st;
    return fstat(bs->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* ---- open / close / create ---- */

static const BlockDriver *probe_format(int fd)
{
    uint8_t buf[512];
    ssize_t n = pread(fd, buf, sizeof(buf), 0);
    for (size_t i = 0; n > 0 && i < G_N_ELEMENTS(block_drivers); i++) {
        if (block_drivers[i]->probe && block_drivers[i]->probe(buf, n)) {
            return block_drivers[i];
        }
    }
    return &bdrv_raw;
}

static BlockDriverState *open_file(const char *filename, const BlockOpenOptions *o,
                                   GError **errp)
{
    const BlockDriver *drv = NULL;
    int fd;

    if (o->format && !(drv = find_driver(o->format, errp))) {
        return NULL;
    }
    fd = open(filename, (o->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
        error_setg_code(errp, errno == ENOENT ? PROTEUS_ERROR_NOT_FOUND : PROTEUS_ERROR_FAILED,
                        "could not open '%s': %s", filename, g_strerror(errno));
        return NULL;
    }
    BlockDriverState *bs = g_new0(BlockDriverState, 1);
    bs->drv = drv ? drv : probe_format(fd);
    bs->filename = g_strdup(filename);
    bs->fd = fd;
    bs->read_only = o->read_only;
    bs->cache = o->cache;
    g_mutex_init(&bs->lock);
    g_mutex_init(&bs->aio_lock);
    g_cond_init(&bs->aio_cond);
    g_queue_init(&bs->aio_done);
    if (!bs->drv->open(bs, errp)) {
        bdrv_close(bs);
        return NULL;
    }
    return bs;
}

/* snapshot mode: a qcow2 overlay in $TMPDIR, unlinked once open. */
static BlockDriverState *open_snapshot(const char *filename, const BlockOpenOptions *o,
                                       GError **errp)
{
    BlockOpenOptions base = *o;
    base.read_only = true;
    base.snapshot = false;
    BlockDriverState *backing = open_file(filename, &base, errp);
    if (!backing) {
        return NULL;
    }
    g_autofree char *tmpname = NULL;
    int tmpfd = g_file_open_tmp(NULL, &tmpname, errp);
    if (tmpfd < 0) {
        bdrv_close(backing);
        return NULL;
    }
    close(tmpfd);
    g_autofree char *abs = g_canonicalize_filename(filename, NULL);
    BlockCreateOptions co = {
        .format = "qcow2", .size = backing->size,
        .backing = abs, .backing_fmt = backing->drv->format_name,
    };
    BlockOpenOptions oo = { .format = "qcow2", .cache = BDRV_CACHE_UNSAFE };
    BlockDriverState *bs = NULL;
    bdrv_close(backing);
    if (bdrv_create(tmpname, &co, errp)) {
        bs = open_file(tmpname, &oo, errp);
    }
    unlink(tmpname);
    return bs;
}

BlockDriverState *bdrv_open(const char *filename, const BlockOpenOptions *opts,
                            GError **errp)
{
    static const BlockOpenOptions defaults;
    const BlockOpenOptions *o = opts ? opts : &defaults;
    return o->snapshot ? open_snapshot(filename, o, errp) : open_file(filename, o, errp);
}

BlockDriverState *bdrv_open_backing(BlockDriverState *bs, const char *name,
                                    const char *format, GError **errp)
{
    g_autofree char *dir = g_path_get_dirname(bs->filename);
    g_autofree char *path = g_path_is_absolute(name) ? g_strdup(name)
                                                     : g_build_filename(dir, name, NULL);
    BlockOpenOptions o = { .format = format, .read_only = true, .cache = bs->cache };
    GError *local_err = NULL;
    /* A chain this long is almost surely an image naming itself. */
    static __thread int depth;
    if (depth >= BDRV_MAX_CHAIN) {
        error_setg(errp, "%s: backing chain longer than %d images (a loop?)",
                   bs->filename, BDRV_MAX_CHAIN);
        return NULL;
    }
    depth++;
    BlockDriverState *backing = bdrv_open(path, &o, &local_err);
    depth--;
    if (!backing) {
        g_propagate_prefixed_error(errp, local_err, "%s: backing file: ", bs->filename);
    }
    return backing;
}

void bdrv_close(BlockDriverState *bs)
{
    if (!bs) {
        return;
    }
    bdrv_drain(bs);
    if (bs->aio_bh) {
        bh_delete(bs->aio_bh);
    }
    if (bs->opaque && bs->drv->close) {
        bs->drv->close(bs);
    }
    bdrv_close(bs->backing);
    close(bs->fd);
    g_mutex_clear(&bs->lock);
    g_mutex_clear(&bs->aio_lock);
    g_cond_clear(&bs->aio_cond);
    g_free(bs->filename);
    g_free(bs);
}

bool bdrv_create(const char *filename, const BlockCreateOptions *opts, GError **errp)
{
    const BlockDriver *drv = find_driver(opts->format ? opts->format : "raw", errp);
    if (!drv) {
        return false;
    }
    if ((opts->backing || opts->backing_fmt) && drv != &bdrv_qcow2) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "format '%s' does not support backing files", drv->format_name);
        return false;
    }
    int fd = open(filename, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        error_setg(errp, "could not create '%s': %s", filename, g_strerror(errno));
        return false;
    }
    bool ok = drv->create(fd, opts, errp);
    if (ok && fsync(fd) < 0) {
        error_setg(errp, "%s: fsync failed: %s", filename, g_strerror(errno));
        ok = false;
    }
    close(fd);
    return ok;
}

/* ---- synchronous I/O ---- */

static bool check_range(BlockDriverState *bs, uint64_t off, uint64_t len, bool write,
                        GError **errp)
{
    if (write && bs->read_only) {
        error_setg_code(errp, PROTEUS_ERROR_PERMISSION, "%s: image is read-only",
                        bs->filename);
        return false;
    }
    if (off > bs->size || len > bs->size - off) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "%s: request at %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT
                        " is past the end (%" G_GUINT64_FORMAT " bytes)",
                        bs->filename, off, len, bs->size);
        return false;
    }
    return true;
}

bool bdrv_pread(BlockDriverState *bs, uint64_t offset, void *buf, size_t len,
                GError **errp)
{
    if (!check_range(bs, offset, len, false, errp)) {
        return false;
    }
    g_mutex_lock(&bs->lock);
    bool ok = len == 0 || bs->drv->pread(bs, offset, buf, len, errp);
    g_mutex_unlock(&bs->lock);
    return ok;
}

bool bdrv_pwrite(BlockDriverState *bs, uint64_t offset, const void *buf, size_t len,
                 GError **errp)
{
    if (!check_range(bs, offset, len, true, errp)) {
        return false;
    }
    g_mutex_lock(&bs->lock);
    bool ok = len == 0 || bs->drv->pwrite(bs, offset, buf, len, errp);
    g_mutex_unlock(&bs->lock);
    return ok;
}

bool bdrv_flush(BlockDriverState *bs, GError **errp)
{
    if (bs->read_only) {
        return true;
    }
    g_mutex_lock(&bs->lock);
    bool ok = bs->drv->flush(bs, errp);
    g_mutex_unlock(&bs->lock);
    return ok;
}

bool bdrv_discard(BlockDriverState *bs, uint64_t offset, uint64_t len, GError **errp)
{
    if (!check_range(bs, offset, len, true, errp)) {
        return false;
    }
    g_mutex_lock(&bs->lock);
    bool ok = len == 0 || bs->drv->discard(bs, offset, len, errp);
    g_mutex_unlock(&bs->lock);
    return ok;
}

bool bdrv_write_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t len,
                       GError **errp)
{
    if (!check_range(bs, offset, len, true, errp)) {
        return false;
    }
    g_mutex_lock(&bs->lock);
    bool ok = len == 0 || bs->drv->write_zeroes(bs, offset, len, errp);
    g_mutex_unlock(&bs->lock);
    return ok;
}

uint64_t bdrv_getlength(BlockDriverState *bs)
{
    g_mutex_lock(&bs->lock);
    uint64_t size = bs->size;
    g_mutex_unlock(&bs->lock);
    return size;
}

bool bdrv_truncate(BlockDriverState *bs, uint64_t size, GError **errp)
{
    if (!check_range(bs, 0, 0, true, errp)) {
        return false;
    }
    g_mutex_lock(&bs->lock);
    bool ok = bs->drv->truncate(bs, size, errp);
    g_mutex_unlock(&bs->lock);
    return ok;
}

const char *bdrv_format_name(BlockDriverState *bs)
{
    return bs->drv->format_name;
}

const char *bdrv_filename(BlockDriverState *bs)
{
    return bs->filename;
}

bool bdrv_is_read_only(BlockDriverState *bs)
{
    return bs->read_only;
}

BlockDriverState *bdrv_backing(BlockDriverState *bs)
{
    return bs->backing;
}

bool bdrv_get_info(BlockDriverState *bs, BlockImageInfo *info, GError **errp)
{
    struct stat st;
    memset(info, 0, sizeof(*info));
    if (fstat(bs->fd, &st) < 0) {
        error_setg(errp, "%s: stat failed: %s", bs->filename, g_strerror(errno));
        return false;
    }
    info->format = bs->drv->format_name;
    info->virtual_size = bs->size;
    info->disk_size = (uint64_t)st.st_blocks * 512;
    g_mutex_lock(&bs->lock);
    if (bs->drv->get_info) {
        bs->drv->get_info(bs, info);
    }
    g_mutex_unlock(&bs->lock);
    return true;
}

void bdrv_image_info_clear(BlockImageInfo *info)
{
    g_free(info->backing_file);
    g_free(info->backing_format);
    if (info->snapshots) {
        for (guint i = 0; i < info->snapshots->len; i++) {
            BlockSnapshotInfo *sn = &g_array_index(info->snapshots, BlockSnapshotInfo, i);
            g_free(sn->id);
            g_free(sn->name);
        }
        g_array_free(info->snapshots, true);
    }
    memset(info, 0, sizeof(*info));
}

bool bdrv_check(BlockDriverState *bs, BlockCheckResult *res, GError **errp)
{
    memset(res, 0, sizeof(*res));
    if (!bs->drv->check) {
        error_setg(errp, "format '%s' has no consistency check", bs->drv->format_name);
        return false;
    }
    g_mutex_lock(&bs->lock);
    bool ok = bs->drv->check(bs, res, errp);
    g_mutex_unlock(&bs->lock);
    return ok;
}

/* ---- asynchronous requests ---- */

typedef struct BlockRequest {
    BlockDriverState *bs;
    BlockRequestType type;
    uint64_t offset;
    void *buf;
    uint64_t len;
    BlockCompletionFunc *cb;
    void *opaque;
    GError *err;
} BlockRequest;

static void run_request(BlockRequest *req)
{
    BlockDriverState *bs = req->bs;
    switch (req->type) {
    case BDRV_REQ_READ:
        bdrv_pread(bs, req->offset, req->buf, req->len, &req->err);
        break;
    case BDRV_REQ_WRITE:
        bdrv_pwrite(bs, req->offset, req->buf, req->len, &req->err);
        break;
    case BDRV_REQ_FLUSH:
        bdrv_flush(bs, &req->err);
        break;
    case BDRV_REQ_DISCARD:
        bdrv_discard(bs, req->offset, req->len, &req->err);
        break;
    case BDRV_REQ_WRITE_ZEROES:
        bdrv_write_zeroes(bs, req->offset, req->len, &req->err);
        break;
    }
}

static void aio_worker(gpointer data, gpointer user_data)
{
    BlockRequest *req = data;
    BlockDriverState *bs = req->bs;

    run_request(req);
    g_mutex_lock(&bs->aio_lock);
    g_queue_push_tail(&bs->aio_done, req);
    /* Scheduled before aio_running drops: once it does, bs may be closed. */
    bh_schedule(bs->aio_bh);
    bs->aio_running--;
    g_cond_broadcast(&bs->aio_cond);
    g_mutex_unlock(&bs->aio_lock);
}

/* Runs the completions of finished requests, in the order they finished. */
static void aio_complete(void *opaque)
{
    BlockDriverState *bs = opaque;
    for (;;) {
        g_mutex_lock(&bs->aio_lock);
        BlockRequest *req = g_queue_pop_head(&bs->aio_done);
        g_mutex_unlock(&bs->aio_lock);
        if (!req) {
            return;
        }
        req->cb(req->opaque, req->err);
        g_clear_error(&req->err);
        g_free(req);
    }
}

static GThreadPool *aio_pool(void)
{
    static GThreadPool *pool;
    if (g_once_init_enter(&pool)) {
        GThreadPool *p = g_thread_pool_new(aio_worker, NULL, 4, false, NULL);
        g_assert(p);
        g_once_init_leave(&pool, p);
    }
    return pool;
}

void bdrv_aio_submit(BlockDriverState *bs, BlockRequestType type, uint64_t offset,
                     void *buf, uint64_t len, BlockCompletionFunc *cb, void *opaque)
{
    BlockRequest *req = g_new0(BlockRequest, 1);
    *req = (BlockRequest){ .bs = bs, .type = type, .offset = offset, .buf = buf,
                           .len = len, .cb = cb, .opaque = opaque };
    g_mutex_lock(&bs->aio_lock);
    if (!bs->aio_bh) {
        bs->aio_bh = bh_new(aio_complete, bs);
    }
    bs->aio_running++;
    g_mutex_unlock(&bs->aio_lock);
    g_thread_pool_push(aio_pool(), req, NULL);
}

void bdrv_drain(BlockDriverState *bs)
{
    g_mutex_lock(&bs->aio_lock);
    while (bs->aio_running > 0) {
        g_cond_wait(&bs->aio_cond, &bs->aio_lock);
    }
    g_mutex_unlock(&bs->aio_lock);
    aio_complete(bs);
}
