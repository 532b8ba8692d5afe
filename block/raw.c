/*
 * The raw format: the file is the disk, byte for byte. Discard punches
 * holes, write-zeroes uses fallocate where the host file system can.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "block/block-int.h"

static bool raw_create(int fd, const BlockCreateOptions *opts, GError **errp)
{
    if (ftruncate(fd, opts->size) < 0) {
        error_setg(errp, "could not set the size: %s", g_strerror(errno));
        return false;
    }
    return true;
}

static bool raw_open(BlockDriverState *bs, GError **errp)
{
    bs->size = bdrv_file_size(bs);
    return true;
}

static bool raw_pread(BlockDriverState *bs, uint64_t off, void *buf, size_t len,
                      GError **errp)
{
    return bdrv_file_pread(bs, off, buf, len, errp);
}

static bool raw_pwrite(BlockDriverState *bs, uint64_t off, const void *buf, size_t len,
                       GError **errp)
{
    return bdrv_file_pwrite(bs, off, buf, len, errp);
}

static bool raw_flush(BlockDriverState *bs, GError **errp)
{
    return bdrv_file_sync(bs, errp);
}

static bool raw_write_zeroes(BlockDriverState *bs, uint64_t off, uint64_t len,
                             GError **errp)
{
    if (fallocate(bs->fd, FALLOC_FL_ZERO_RANGE, off, len) == 0 ||
        fallocate(bs->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) == 0) {
        return true;
    }
    /* No fallocate support: write the zeros. */
    g_autofree uint8_t *zeros = g_malloc0(MIN(len, 1 << 20));
    while (len > 0) {
        size_t n = MIN(len, 1 << 20);
        if (!bdrv_file_pwrite(bs, off, zeros, n, errp)) {
            return false;
        }
        off += n;
        len -= n;
    }
    return true;
}

static bool raw_discard(BlockDriverState *bs, uint64_t off, uint64_t len, GError **errp)
{
    return raw_write_zeroes(bs, off, len, errp);
}

static bool raw_truncate(BlockDriverState *bs, uint64_t size, GError **errp)
{
    if (ftruncate(bs->fd, size) < 0) {
        error_setg(errp, "%s: resize failed: %s", bs->filename, g_strerror(errno));
        return false;
    }
    bs->size = size;
    return true;
}

const BlockDriver bdrv_raw = {
    .format_name = "raw",
    .create = raw_create,
    .open = raw_open,
    .pread = raw_pread,
    .pwrite = raw_pwrite,
    .flush = raw_flush,
    .discard = raw_discard,
    .write_zeroes = raw_write_zeroes,
    .truncate = raw_truncate,
};
