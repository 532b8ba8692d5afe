/*
 * The qcow2 format, versions 2 and 3: the metadata cache, the two-level
 * cluster mapping (L1 -> L2 -> host cluster), reads of normal, zero and
 * compressed (raw deflate) clusters and of the backing image, copy-on-write
 * cluster allocation, write-zeroes/discard and growing the image. Headers
 * (open, create, info) are in qcow2-header.c, refcounts in qcow2-refcount.c.
 *
 * Not supported: encryption, external data files, extended L2 entries,
 * zstd compression, writing compressed clusters, writes to images with
 * internal snapshots (read-only access works) and lazy refcounts (a dirty
 * image can only be opened read-only).
 */
#include <stdarg.h>
#include <zlib.h>

#include "block/qcow2.h"

bool qcow2_set_corrupt(BlockDriverState *bs, GError **errp, const char *fmt, ...)
{
    Qcow2State *s = bs->opaque;
    va_list ap;

    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    s->corrupt = true;
    error_setg(errp, "%s: corrupt qcow2 image: %s", bs->filename, msg);
    return false;
}

/* ---- metadata cache ---- */

void qcow2_cache_init(Qcow2State *s, Qcow2Cache *c)
{
    memset(c, 0, sizeof(*c));
    for (int i = 0; i < QCOW2_CACHE_SIZE; i++) {
        c->data[i] = g_malloc(s->cluster_size);
    }
}

void qcow2_cache_free(Qcow2Cache *c)
{
    for (int i = 0; i < QCOW2_CACHE_SIZE; i++) {
        g_free(c->data[i]);
    }
}

uint8_t *qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                         GError **errp)
{
    Qcow2State *s = bs->opaque;
    int victim = 0;

    for (int i = 0; i < QCOW2_CACHE_SIZE; i++) {
        if (c->offset[i] == offset) {
            c->last_use[i] = ++c->clock;
            return c->data[i];
        }
        if (c->last_use[i] < c->last_use[victim]) {
            victim = i;
        }
    }
    if (offset & (s->cluster_size - 1)) {
        qcow2_set_corrupt(bs, errp, "metadata cluster offset %#" G_GINT64_MODIFIER
                          "x is not cluster-aligned", offset);
        return NULL;
    }
    if (offset + s->cluster_size > bdrv_file_size(bs)) {
        qcow2_set_corrupt(bs, errp, "metadata cluster at %#" G_GINT64_MODIFIER
                          "x is past the end of the file", offset);
        return NULL;
    }
    c->offset[victim] = 0;
    if (!bdrv_file_pread(bs, offset, c->data[victim], s->cluster_size, errp)) {
        return NULL;
    }
    c->offset[victim] = offset;
    c->last_use[victim] = ++c->clock;
    return c->data[victim];
}

/* ---- mapping ---- */

static bool get_l2_entry(BlockDriverState *bs, uint64_t vcluster, uint64_t *entry,
                         GError **errp)
{
    Qcow2State *s = bs->opaque;
    uint64_t l1i = vcluster >> s->l2_bits;
    uint64_t l2_offset = l1i < s->l1_size ? s->l1[l1i] & QCOW2_OFFSET_MASK : 0;

    *entry = 0;
    if (l2_offset == 0) {
        return true;
    }
    uint8_t *table = qcow2_cache_get(bs, &s->l2_cache, l2_offset, errp);
    if (!table) {
        return false;
    }
    *entry = ld_be64(table + (vcluster & ((1ull << s->l2_bits) - 1)) * 8);
    if (!(*entry & QCOW2_OFLAG_COMPRESSED) &&
        (*entry & (QCOW2_L2E_RESERVED | ((s->cluster_size - 1) & QCOW2_OFFSET_MASK)))) {
        return qcow2_set_corrupt(bs, errp, "L2 entry for guest cluster %" G_GUINT64_FORMAT
                                 ": data offset not cluster-aligned", vcluster);
    }
    return true;
}

/* Writes an L2 entry, creating the L2 table if needed. New clusters the
 * entry points at are on disk (and synced) first. */
static bool set_l2_entry(BlockDriverState *bs, uint64_t vcluster, uint64_t entry,
                         GError **errp)
{
    Qcow2State *s = bs->opaque;
    uint64_t l1i = vcluster >> s->l2_bits;
    uint64_t l2i = vcluster & ((1ull << s->l2_bits) - 1);
    uint64_t l2_offset = s->l1[l1i] & QCOW2_OFFSET_MASK;
    uint8_t be[8];

    g_assert(l1i < s->l1_size);
    if (!bdrv_file_sync(bs, errp)) {
        return false;
    }
    if (l2_offset == 0) {
        g_autofree uint8_t *table = g_malloc0(s->cluster_size);
        l2_offset = qcow2_alloc_clusters(bs, 1, errp);
        if (!l2_offset) {
            return false;
        }
        st_be64(table + l2i * 8, entry);
        st_be64(be, l2_offset | QCOW2_OFLAG_COPIED);
        if (!bdrv_file_pwrite(bs, l2_offset, table, s->cluster_size, errp) ||
            !bdrv_file_sync(bs, errp) ||
            !bdrv_file_pwrite(bs, s->l1_offset + l1i * 8, be, 8, errp)) {
            return false;
        }
        s->l1[l1i] = l2_offset | QCOW2_OFLAG_COPIED;
        return true;
    }
    uint8_t *table = qcow2_cache_get(bs, &s->l2_cache, l2_offset, errp);
    if (!table) {
        return false;
    }
    st_be64(table + l2i * 8, entry);
    return bdrv_file_pwrite(bs, l2_offset + l2i * 8, table + l2i * 8, 8, errp);
}

void qcow2_compressed_span(Qcow2State *s, uint64_t entry, uint64_t *off, uint64_t *len)
{
    uint32_t x = 62 - (s->cluster_bits - 8);
    uint64_t sectors = ((entry >> x) & ((1ull << (s->cluster_bits - 8)) - 1)) + 1;

    *off = entry & ((1ull << x) - 1);
    *len = sectors * 512 - (*off & 511);
}

/* Drops the host clusters an old L2 entry pointed at. */
static bool release_entry(BlockDriverState *bs, uint64_t entry, GError **errp)
{
    Qcow2State *s = bs->opaque;
    uint64_t off, len;

    if (entry & QCOW2_OFLAG_COMPRESSED) {
        qcow2_compressed_span(s, entry, &off, &len);
        return qcow2_free_clusters(bs, off, len, errp);
    }
    off = entry & QCOW2_OFFSET_MASK;
    return off == 0 || qcow2_free_clusters(bs, off, s->cluster_size, errp);
}

/* Drops what an L2 entry pointed at once the entry's new value is on disk:
 * a crash in between leaks the clusters rather than freeing ones in use. */
static bool release_old_entry(BlockDriverState *bs, uint64_t entry, GError **errp)
{
    if (!(entry & (QCOW2_OFLAG_COMPRESSED | QCOW2_OFFSET_MASK))) {
        return true;
    }
    return bdrv_file_sync(bs, errp) && release_entry(bs, entry, errp);
}

/* ---- reads ---- */

static bool decompress_cluster(BlockDriverState *bs, uint64_t entry, GError **errp)
{
    Qcow2State *s = bs->opaque;
    uint64_t off, len;

    if (s->zbuf_entry == entry) {
        return true;
    }
    s->zbuf_entry = 0;
    qcow2_compressed_span(s, entry, &off, &len);
    uint64_t file_size = bdrv_file_size(bs);
    if (off >= file_size) {
        return qcow2_set_corrupt(bs, errp, "compressed cluster at %#" G_GINT64_MODIFIER
                                 "x is past the end of the file", off);
    }
    len = MIN(len, file_size - off);
    g_autofree uint8_t *in = g_malloc(len);
    if (!bdrv_file_pread(bs, off, in, len, errp)) {
        return false;
    }
    z_stream zs = { .next_in = in, .avail_in = len, .next_out = s->zbuf,
                    .avail_out = s->cluster_size };
    if (inflateInit2(&zs, -12) != Z_OK) {
        error_setg(errp, "%s: zlib initialisation failed", bs->filename);
        return false;
    }
    int ret = inflate(&zs, Z_FINISH);
    inflateEnd(&zs);
    if ((ret != Z_STREAM_END && ret != Z_BUF_ERROR) || zs.avail_out != 0) {
        return qcow2_set_corrupt(bs, errp, "compressed cluster at %#" G_GINT64_MODIFIER
                                 "x does not decompress", off);
    }
    s->zbuf_entry = entry;
    return true;
}

static bool read_backing(BlockDriverState *bs, uint64_t off, uint8_t *buf, size_t len,
                         GError **errp)
{
    uint64_t blen = bs->backing ? bdrv_getlength(bs->backing) : 0;
    size_t n = off < blen ? MIN(len, blen - off) : 0;

    memset(buf + n, 0, len - n);
    return n == 0 || bdrv_pread(bs->backing, off, buf, n, errp);
}

/* Reads within one guest cluster. */
static bool read_in_cluster(BlockDriverState *bs, uint64_t off, uint8_t *buf, size_t len,
                            GError **errp)
{
    Qcow2State *s = bs->opaque;
    uint64_t in = off & (s->cluster_size - 1), entry;

    if (!get_l2_entry(bs, off >> s->cluster_bits, &entry, errp)) {
        return false;
    }
    if (entry & QCOW2_OFLAG_COMPRESSED) {
        if (!decompress_cluster(bs, entry, errp)) {
            return false;
        }
        memcpy(buf, s->zbuf + in, len);
        return true;
    }
    if (entry & QCOW2_OFLAG_ZERO) {
        memset(buf, 0, len);
        return true;
    }
    if (entry & QCOW2_OFFSET_MASK) {
        return bdrv_file_pread(bs, (entry & QCOW2_OFFSET_MASK) + in, buf, len, errp);
    }
    return read_backing(bs, off, buf, len, errp);
}

typedef bool Qcow2ClusterFn(BlockDriverState *bs, uint64_t off, uint8_t *buf, size_t len,
                            GError **errp);

/* Splits [off, off + len) at cluster boundaries. */
static bool for_each_cluster(BlockDriverState *bs, uint64_t off, uint8_t *buf,
                             uint64_t len, Qcow2ClusterFn *fn, GError **errp)
{
    Qcow2State *s = bs->opaque;
    while (len > 0) {
        uint64_t n = MIN(len, s->cluster_size - (off & (s->cluster_size - 1)));
        if (!fn(bs, off, buf, n, errp)) {
            return false;
        }
        off += n;
        len -= n;
        buf = buf ? buf + n : NULL;
    }
    return true;
}

static bool qcow2_pread(BlockDriverState *bs, uint64_t off, void *buf, size_t len,
                        GError **errp)
{
    return for_each_cluster(bs, off, buf, len, read_in_cluster, errp);
}

/* ---- writes ---- */

static bool check_writable(BlockDriverState *bs, GError **errp)
{
    Qcow2State *s = bs->opaque;
    if (s->corrupt) {
        error_setg(errp, "%s: image found corrupt earlier; not writing to it",
                   bs->filename);
        return false;
    }
    return true;
}

/*
 * Writes within one guest cluster. A cluster that is not a plain allocated
 * one (unallocated, zero, compressed, backing data) gets a new host cluster
 * holding its old contents merged with the new data.
 */
static bool write_in_cluster(BlockDriverState *bs, uint64_t off, uint8_t *buf, size_t len,
                             GError **errp)
{
    Qcow2State *s = bs->opaque;
    uint64_t vcluster = off >> s->cluster_bits, entry;
    uint64_t in = off & (s->cluster_size - 1);

    if (!get_l2_entry(bs, vcluster, &entry, errp)) {
        return false;
    }
    if (!(entry & (QCOW2_OFLAG_COMPRESSED | QCOW2_OFLAG_ZERO)) &&
        (entry & QCOW2_OFFSET_MASK)) {
        return bdrv_file_pwrite(bs, (entry & QCOW2_OFFSET_MASK) + in, buf, len, errp);
    }
    g_autofree uint8_t *data = g_malloc(s->cluster_size);
    if (len < s->cluster_size &&
        !read_in_cluster(bs, vcluster << s->cluster_bits, data, s->cluster_size, errp)) {
        return false;
    }
    memcpy(data + in, buf, len);
    uint64_t host = qcow2_alloc_clusters(bs, 1, errp);
    return host &&
           bdrv_file_pwrite(bs, host, data, s->cluster_size, errp) &&
           set_l2_entry(bs, vcluster, host | QCOW2_OFLAG_COPIED, errp) &&
           release_old_entry(bs, entry, errp);
}

static bool qcow2_pwrite(BlockDriverState *bs, uint64_t off, const void *buf, size_t len,
                         GError **errp)
{
    return check_writable(bs, errp) &&
           for_each_cluster(bs, off, (uint8_t *)buf, len, write_in_cluster, errp);
}

/* Whole clusters read as zeros from now on; partial ones get zero bytes. */
static bool zero_in_cluster(BlockDriverState *bs, uint64_t off, uint8_t *unused,
                            size_t len, GError **errp)
{
    Qcow2State *s = bs->opaque;
    uint64_t vcluster = off >> s->cluster_bits, entry;

    if (len < s->cluster_size || (s->version < 3 && bs->backing)) {
        g_autofree uint8_t *zeros = g_malloc0(len);
        return write_in_cluster(bs, off, zeros, len, errp);
    }
    if (!get_l2_entry(bs, vcluster, &entry, errp)) {
        return false;
    }
    uint64_t want = s->version >= 3 ? QCOW2_OFLAG_ZERO : 0;
    if (entry == want) {
        return true;
    }
    return set_l2_entry(bs, vcluster, want, errp) && release_old_entry(bs, entry, errp);
}

static bool qcow2_write_zeroes(BlockDriverState *bs, uint64_t off, uint64_t len,
                               GError **errp)
{
    return check_writable(bs, errp) &&
           for_each_cluster(bs, off, NULL, len, zero_in_cluster, errp);
}

static bool qcow2_flush(BlockDriverState *bs, GError **errp)
{
    return bdrv_file_sync(bs, errp);
}

/* ---- resize ---- */

static bool qcow2_truncate(BlockDriverState *bs, uint64_t size, GError **errp)
{
    Qcow2State *s = bs->opaque;
    uint64_t need = qcow2_l1_entries_for(size, s->cluster_bits);
    uint64_t capacity = ROUND_UP(s->l1_size * 8ull, s->cluster_size) / 8;
    uint64_t l1_offset = s->l1_offset;
    uint8_t hdr[24];

    if (!check_writable(bs, errp)) {
        return false;
    }
    if (size < bs->size) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "%s: qcow2 images cannot shrink",
                        bs->filename);
        return false;
    }
    if (need > (32u << 20) || size > (1ull << 56)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "%s: size too large", bs->filename);
        return false;
    }
    need = MAX(need, s->l1_size);
    g_autofree uint8_t *l1 = g_malloc0(ROUND_UP(need * 8, s->cluster_size));
    for (uint32_t i = 0; i < s->l1_size; i++) {
        st_be64(l1 + i * 8, s->l1[i]);
    }
    if (need > capacity || s->l1_size == 0) {
        l1_offset = qcow2_alloc_clusters(bs, DIV_ROUND_UP(MAX(need, 1) * 8, s->cluster_size),
                                         errp);
        if (!l1_offset) {
            return false;
        }
    }
    /* The new L1 (or the tail of the old one) is written before the header uses it. */
    if (!bdrv_file_pwrite(bs, l1_offset, l1, ROUND_UP(MAX(need, 1) * 8, s->cluster_size),
                          errp) || !bdrv_file_sync(bs, errp)) {
        return false;
    }
    st_be64(hdr, size);
    st_be32(hdr + 8, 0);
    st_be32(hdr + 12, need);
    st_be64(hdr + 16, l1_offset);
    if (!bdrv_file_pwrite(bs, QCOW2_HDR_SIZE, hdr, sizeof(hdr), errp) ||
        !bdrv_file_sync(bs, errp)) {
        return false;
    }
    uint64_t old_offset = s->l1_offset, old_len = ROUND_UP(s->l1_size * 8ull, s->cluster_size);
    s->l1 = g_renew(uint64_t, s->l1, MAX(need, 1));
    memset(s->l1 + s->l1_size, 0, (need - s->l1_size) * 8);
    s->l1_size = need;
    s->l1_offset = l1_offset;
    bs->size = size;
    return old_offset == l1_offset || qcow2_free_clusters(bs, old_offset, old_len, errp);
}

/* ---- check ---- */

static bool qcow2_check(BlockDriverState *bs, BlockCheckResult *res, GError **errp)
{
    return qcow2_check_refcounts(bs, res, errp);
}

const BlockDriver bdrv_qcow2 = {
    .format_name = "qcow2",
    .probe = qcow2_probe,
    .create = qcow2_create,
    .open = qcow2_open,
    .close = qcow2_close,
    .pread = qcow2_pread,
    .pwrite = qcow2_pwrite,
    .flush = qcow2_flush,
    .discard = qcow2_write_zeroes,
    .write_zeroes = qcow2_write_zeroes,
    .truncate = qcow2_truncate,
    .get_info = qcow2_get_info,
    .check = qcow2_check,
};
