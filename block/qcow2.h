/*
 * qcow2 internals shared by qcow2.c (header, mapping, reads and writes) and
 * qcow2-refcount.c (refcounts, cluster allocation, the consistency check).
 * Field names and bit layouts follow the qcow2 specification
 * (docs/interop/qcow2.txt in QEMU's tree); all on-disk values are big-endian.
 */
#ifndef BLOCK_QCOW2_H
#define BLOCK_QCOW2_H

#include <string.h>

#include "block/block-int.h"

#define QCOW2_MAGIC             0x514649fbu     /* "QFI\xfb" */
#define QCOW2_HDR_V2_LEN        72
#define QCOW2_HDR_V3_LEN        104

/* header field offsets */
#define QCOW2_HDR_SIZE          24
#define QCOW2_HDR_RT_OFFSET     48
#define QCOW2_HDR_AUTOCLEAR     88

#define QCOW2_EXT_END           0
#define QCOW2_EXT_BACKING_FMT   0xe2792acau

#define QCOW2_INCOMPAT_DIRTY    (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT  (1ull << 1)

#define QCOW2_OFLAG_COPIED      (1ull << 63)
#define QCOW2_OFLAG_COMPRESSED  (1ull << 62)
#define QCOW2_OFLAG_ZERO        1ull
#define QCOW2_OFFSET_MASK       0x00fffffffffffe00ull
#define QCOW2_L1E_RESERVED      0x7f000000000001ffull
#define QCOW2_L2E_RESERVED      0x3f000000000001feull
#define QCOW2_RTE_RESERVED      0x00000000000001ffull

#define QCOW2_CACHE_SIZE        16

/* A small write-through cache of metadata clusters (L2 tables or refcount
 * blocks): writers update the cached copy and write the bytes they changed. */
typedef struct Qcow2Cache {
    uint64_t offset[QCOW2_CACHE_SIZE];       /* 0: slot empty */
    uint64_t last_use[QCOW2_CACHE_SIZE];
    uint8_t *data[QCOW2_CACHE_SIZE];
    uint64_t clock;
} Qcow2Cache;

typedef struct Qcow2Snapshot {
    uint64_t l1_offset;
    uint32_t l1_size;
    char *id;
    char *name;
    uint32_t date_sec;
    uint64_t vm_clock_nsec;
    uint64_t vm_state_size;
} Qcow2Snapshot;

typedef struct Qcow2State {
    int version;
    uint32_t cluster_bits;
    uint64_t cluster_size;
    uint32_t l2_bits;               /* log2 of L2 entries per table */
    uint32_t header_length;
    uint64_t incompat, compat, autoclear;

    uint32_t l1_size;
    uint64_t l1_offset;
    uint64_t *l1;                   /* host byte order */

    uint32_t refcount_order;
    uint64_t rb_entries;            /* refcounts per refcount block */
    uint64_t rt_offset;
    uint32_t rt_clusters;
    uint64_t rt_entries;
    uint64_t *rt;                   /* host byte order */

    uint32_t nb_snapshots;
    uint64_t snapshots_offset;
    GArray *snapshots;              /* of Qcow2Snapshot */
    uint64_t snapshots_size;        /* bytes of the snapshot table */

    char *backing_name;
    char *backing_fmt;

    Qcow2Cache l2_cache;
    Qcow2Cache rb_cache;
    uint64_t free_hint;             /* no free cluster below this index */
    bool corrupt;                   /* found bad metadata: refuse writes */

    uint64_t zbuf_entry;            /* descriptor of the cluster in zbuf */
    uint8_t *zbuf;                  /* last decompressed cluster */
} Qcow2State;

static inline uint64_t ld_be64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return GUINT64_FROM_BE(v);
}

static inline uint32_t ld_be32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return GUINT32_FROM_BE(v);
}

static inline uint16_t ld_be16(const void *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return GUINT16_FROM_BE(v);
}

static inline void st_be64(void *p, uint64_t v)
{
    v = GUINT64_TO_BE(v);
    memcpy(p, &v, 8);
}

static inline void st_be32(void *p, uint32_t v)
{
    v = GUINT32_TO_BE(v);
    memcpy(p, &v, 4);
}

static inline void st_be16(void *p, uint16_t v)
{
    v = GUINT16_TO_BE(v);
    memcpy(p, &v, 2);
}

/* qcow2.c */
uint8_t *qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                         GError **errp);
void qcow2_cache_init(Qcow2State *s, Qcow2Cache *c);
void qcow2_cache_free(Qcow2Cache *c);
/* Host clusters [first, last] that a compressed L2 entry's data occupies. */
void qcow2_compressed_span(Qcow2State *s, uint64_t entry, uint64_t *off, uint64_t *len);
bool qcow2_set_corrupt(BlockDriverState *bs, GError **errp, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* qcow2-header.c */
bool qcow2_probe(const uint8_t *buf, size_t len);
bool qcow2_open(BlockDriverState *bs, GError **errp);
void qcow2_close(BlockDriverState *bs);
bool qcow2_create(int fd, const BlockCreateOptions *opts, GError **errp);
void qcow2_get_info(BlockDriverState *bs, BlockImageInfo *info);
/* L1 entries needed to map `size` bytes. */
uint64_t qcow2_l1_entries_for(uint64_t size, uint32_t cluster_bits);

/* qcow2-refcount.c */
bool qcow2_refcount_get(BlockDriverState *bs, uint64_t cluster, uint64_t *rc,
                        GError **errp);
/* Allocates n contiguous clusters (refcount 1); returns the host offset, 0 on error. */
uint64_t qcow2_alloc_clusters(BlockDriverState *bs, uint64_t n, GError **errp);
/* Drops one reference from each cluster touching [off, off + len). */
bool qcow2_free_clusters(BlockDriverState *bs, uint64_t off, uint64_t len, GError **errp);
bool qcow2_check_refcounts(BlockDriverState *bs, BlockCheckResult *res, GError **errp);

#endif
