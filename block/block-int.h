/*
 * Inside the block layer: the driver interface that raw.c and qcow2.c
 * implement, and the handle they share with block.c. Drivers are called
 * with bs->lock held, so they never see two requests at once.
 */
#ifndef BLOCK_INT_H
#define BLOCK_INT_H

#include "proteus/block.h"
#include "proteus/error.h"

#ifndef DIV_ROUND_UP
#define DIV_ROUND_UP(n, d)  (((n) + (d) - 1) / (d))
#endif
#ifndef ROUND_UP
#define ROUND_UP(n, d)      (DIV_ROUND_UP(n, d) * (d))
#endif

typedef struct BlockDriver {
    const char *format_name;
    /* True if the first bytes of a file look like this format. */
    bool (*probe)(const uint8_t *buf, size_t len);
    bool (*create)(int fd, const BlockCreateOptions *opts, GError **errp);
    bool (*open)(BlockDriverState *bs, GError **errp);
    void (*close)(BlockDriverState *bs);
    bool (*pread)(BlockDriverState *bs, uint64_t off, void *buf, size_t len, GError **errp);
    bool (*pwrite)(BlockDriverState *bs, uint64_t off, const void *buf, size_t len,
                   GError **errp);
    bool (*flush)(BlockDriverState *bs, GError **errp);
    bool (*discard)(BlockDriverState *bs, uint64_t off, uint64_t len, GError **errp);
    bool (*write_zeroes)(BlockDriverState *bs, uint64_t off, uint64_t len, GError **errp);
    bool (*truncate)(BlockDriverState *bs, uint64_t size, GError **errp);
    void (*get_info)(BlockDriverState *bs, BlockImageInfo *info);
    bool (*check)(BlockDriverState *bs, BlockCheckResult *res, GError **errp);
} BlockDriver;

struct BlockDriverState {
    const BlockDriver *drv;
    char *filename;
    int fd;
    bool read_only;
    BlockCacheMode cache;
    uint64_t size;                 /* virtual size, kept by the driver */
    BlockDriverState *backing;
    void *opaque;                  /* the driver's state */
    GMutex lock;                   /* serialises driver calls */

    /* asynchronous requests */
    GMutex aio_lock;
    GCond aio_cond;
    unsigned aio_running;          /* submitted, not yet finished by a worker */
    GQueue aio_done;               /* finished, completion not yet run */
    struct BottomHalf *aio_bh;
};

extern const BlockDriver bdrv_raw;
extern const BlockDriver bdrv_qcow2;

/* Whole-buffer file I/O on bs->fd; short reads past EOF give zeros. */
bool bdrv_file_pread(BlockDriverState *bs, uint64_t off, void *buf, size_t len,
                     GError **errp);
bool bdrv_file_pwrite(BlockDriverState *bs, uint64_t off, const void *buf, size_t len,
                      GError **errp);
bool bdrv_file_sync(BlockDriverState *bs, GError **errp);
uint64_t bdrv_file_size(BlockDriverState *bs);

/* Opens a backing image for bs (read-only); name relative to bs's directory. */
BlockDriverState *bdrv_open_backing(BlockDriverState *bs, const char *name,
                                    const char *format, GError **errp);

#endif
