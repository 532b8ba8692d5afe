/*
 * The block layer: disk images opened from a file name and a format (raw or
 * qcow2, probed when not given), read and written at byte offsets. A qcow2
 * image may sit on a backing image, which is opened with it (read-only).
 *
 * Every synchronous call serialises on a per-image lock, so devices may also
 * use the asynchronous interface: bdrv_aio_submit() runs the request on a
 * small pool of worker threads and calls the completion on the main loop
 * (with the BQL held).
 */
#ifndef PROTEUS_BLOCK_H
#define PROTEUS_BLOCK_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct BlockDriverState BlockDriverState;

typedef enum {
    BDRV_CACHE_WRITEBACK,     /* host page cache; flush = fdatasync (default) */
    BDRV_CACHE_WRITETHROUGH,  /* every write is followed by fdatasync */
    BDRV_CACHE_UNSAFE,        /* flushes are ignored: scratch images only */
} BlockCacheMode;

typedef struct BlockOpenOptions {
    const char *format;       /* "raw", "qcow2" or NULL to probe */
    bool read_only;
    bool snapshot;            /* writes go to a temporary qcow2 overlay */
    BlockCacheMode cache;
} BlockOpenOptions;

/* Parses "writeback", "writethrough" or "unsafe". */
bool bdrv_parse_cache_mode(const char *name, BlockCacheMode *mode, GError **errp);

/* opts may be NULL (probe, read-write, writeback). */
BlockDriverState *bdrv_open(const char *filename, const BlockOpenOptions *opts,
                            GError **errp);
/* Waits for outstanding asynchronous requests, then closes the backing chain. */
void bdrv_close(BlockDriverState *bs);

/* Creates (or truncates) an image. backing and backing_fmt are qcow2 only
 * and may be NULL; cluster_size 0 means the format's default. */
typedef struct BlockCreateOptions {
    const char *format;
    uint64_t size;
    const char *backing;
    const char *backing_fmt;
    uint32_t cluster_size;
} BlockCreateOptions;
bool bdrv_create(const char *filename, const BlockCreateOptions *opts, GError **errp);

/* I/O at byte offsets; a read or write must lie within the virtual size. */
bool bdrv_pread(BlockDriverState *bs, uint64_t offset, void *buf, size_t len,
                GError **errp);
bool bdrv_pwrite(BlockDriverState *bs, uint64_t offset, const void *buf, size_t len,
                 GError **errp);
bool bdrv_flush(BlockDriverState *bs, GError **errp);
/* Discarded ranges read back as zeros or as the backing image's data. */
bool bdrv_discard(BlockDriverState *bs, uint64_t offset, uint64_t len, GError **errp);
bool bdrv_write_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t len,
                       GError **errp);
uint64_t bdrv_getlength(BlockDriverState *bs);
/* Grows (or, for raw, also shrinks) the virtual size. */
bool bdrv_truncate(BlockDriverState *bs, uint64_t size, GError **errp);

const char *bdrv_format_name(BlockDriverState *bs);
const char *bdrv_filename(BlockDriverState *bs);
bool bdrv_is_read_only(BlockDriverState *bs);
BlockDriverState *bdrv_backing(BlockDriverState *bs);    /* NULL if none */

typedef struct BlockSnapshotInfo {
    char *id;
    char *name;
    uint64_t vm_state_size;
    uint32_t date_sec;
    uint64_t vm_clock_nsec;
} BlockSnapshotInfo;

typedef struct BlockImageInfo {
    const char *format;
    uint64_t virtual_size;
    uint64_t disk_size;          /* bytes the file occupies on the host */
    uint32_t cluster_size;       /* 0 when the format has none */
    int version;                 /* qcow2 version, 0 otherwise */
    char *backing_file;          /* as stored in the image, or NULL */
    char *backing_format;
    GArray *snapshots;           /* of BlockSnapshotInfo, NULL when none */
} BlockImageInfo;
bool bdrv_get_info(BlockDriverState *bs, BlockImageInfo *info, GError **errp);
void bdrv_image_info_clear(BlockImageInfo *info);

/* Refcount consistency (qcow2): clusters in use but not counted as such are
 * corruptions, clusters counted but unused are leaks. */
typedef struct BlockCheckResult {
    uint64_t corruptions;
    uint64_t leaks;
    uint64_t allocated_clusters;     /* guest clusters with data in the image */
    uint64_t total_clusters;         /* guest clusters of the virtual size */
} BlockCheckResult;
bool bdrv_check(BlockDriverState *bs, BlockCheckResult *res, GError **errp);

/* Asynchronous requests. buf must stay valid until the completion runs;
 * err is NULL on success and owned by the block layer. */
typedef enum {
    BDRV_REQ_READ,
    BDRV_REQ_WRITE,
    BDRV_REQ_FLUSH,
    BDRV_REQ_DISCARD,
    BDRV_REQ_WRITE_ZEROES,
} BlockRequestType;

typedef void BlockCompletionFunc(void *opaque, const GError *err);

void bdrv_aio_submit(BlockDriverState *bs, BlockRequestType type, uint64_t offset,
                     void *buf, uint64_t len, BlockCompletionFunc *cb, void *opaque);
/* Waits for every request submitted on bs and runs their completions
 * (main thread, BQL held). */
void bdrv_drain(BlockDriverState *bs);

#endif
