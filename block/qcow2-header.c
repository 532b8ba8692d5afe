/*
 * qcow2 image headers: probing, parsing and validating the header, its
 * extensions, the L1 and refcount tables and the snapshot table when an
 * image is opened (nothing is written until all of it checks out),
 * creating new images, and the facts `info` shows.
 */
#include <errno.h>
#include <unistd.h>

#include "block/qcow2.h"

/* ---- header ---- */

bool qcow2_probe(const uint8_t *buf, size_t len)
{
    return len >= 8 && ld_be32(buf) == QCOW2_MAGIC && ld_be32(buf + 4) >= 2;
}

uint64_t qcow2_l1_entries_for(uint64_t size, uint32_t cluster_bits)
{
    uint64_t per_l2 = 1ull << (cluster_bits + cluster_bits - 3);
    return DIV_ROUND_UP(size, per_l2);
}

/* Header extensions, from the end of the header to the end marker. */
static bool parse_extensions(BlockDriverState *bs, const uint8_t *hdr, uint64_t end,
                             GError **errp)
{
    Qcow2State *s = bs->opaque;
    uint64_t p = s->header_length;

    while (p + 8 <= end) {
        uint32_t type = ld_be32(hdr + p), len = ld_be32(hdr + p + 4);
        if (type == QCOW2_EXT_END) {
            return true;
        }
        if (len > end - p - 8) {
            return qcow2_set_corrupt(bs, errp, "header extension %#x runs past the "
                                     "first cluster", type);
        }
        if (type == QCOW2_EXT_BACKING_FMT) {
            s->backing_fmt = g_strndup((const char *)hdr + p + 8, len);
        }
        p += 8 + ROUND_UP((uint64_t)len, 8);
    }
    return true;
}

static bool check_table(BlockDriverState *bs, const char *what, uint64_t offset,
                        uint64_t len, GError **errp)
{
    Qcow2State *s = bs->opaque;
    if (offset & (s->cluster_size - 1)) {
        return qcow2_set_corrupt(bs, errp, "%s offset %#" G_GINT64_MODIFIER
                                 "x is not cluster-aligned", what, offset);
    }
    if (len && offset < s->cluster_size) {
        return qcow2_set_corrupt(bs, errp, "%s overlaps the header", what);
    }
    if (offset > bdrv_file_size(bs) || len > bdrv_file_size(bs) - offset) {
        return qcow2_set_corrupt(bs, errp, "%s is past the end of the file", what);
    }
    return true;
}

static bool read_header(BlockDriverState *bs, uint8_t *hdr, GError **errp)
{
    Qcow2State *s = bs->opaque;

    s->version = ld_be32(hdr + 4);
    s->cluster_bits = ld_be32(hdr + 20);
    if (ld_be32(hdr) != QCOW2_MAGIC) {
        return qcow2_set_corrupt(bs, errp, "bad magic");
    }
    if (s->version != 2 && s->version != 3) {
        error_setg(errp, "%s: unsupported qcow2 version %d", bs->filename, s->version);
        return false;
    }
    if (s->cluster_bits < 9 || s->cluster_bits > 21) {
        return qcow2_set_corrupt(bs, errp, "cluster size 2^%u out of range",
                                 s->cluster_bits);
    }
    s->cluster_size = 1ull << s->cluster_bits;
    s->l2_bits = s->cluster_bits - 3;
    bs->size = ld_be64(hdr + 24);
    if (ld_be32(hdr + 32) != 0) {
        error_setg(errp, "%s: encrypted qcow2 images are not supported", bs->filename);
        return false;
    }
    s->l1_size = ld_be32(hdr + 36);
    s->l1_offset = ld_be64(hdr + 40);
    s->rt_offset = ld_be64(hdr + 48);
    s->rt_clusters = ld_be32(hdr + 56);
    s->nb_snapshots = ld_be32(hdr + 60);
    s->snapshots_offset = ld_be64(hdr + 64);
    s->refcount_order = 4;
    s->header_length = QCOW2_HDR_V2_LEN;
    if (s->version == 3) {
        s->incompat = ld_be64(hdr + 72);
        s->compat = ld_be64(hdr + 80);
        s->autoclear = ld_be64(hdr + 88);
        s->refcount_order = ld_be32(hdr + 96);
        s->header_length = ld_be32(hdr + 100);
        if (s->header_length < QCOW2_HDR_V3_LEN || s->header_length > s->cluster_size ||
            s->header_length % 8) {
            return qcow2_set_corrupt(bs, errp, "bad header length %u", s->header_length);
        }
    }
    if (s->refcount_order > 6) {
        return qcow2_set_corrupt(bs, errp, "refcount order %u out of range",
                                 s->refcount_order);
    }
    if (s->incompat & QCOW2_INCOMPAT_CORRUPT) {
        error_setg(errp, "%s: image is marked corrupt; repair it first", bs->filename);
        return false;
    }
    if (s->incompat & ~(QCOW2_INCOMPAT_DIRTY)) {
        error_setg(errp, "%s: unsupported qcow2 incompatible features %#" G_GINT64_MODIFIER
                   "x", bs->filename, (uint64_t)(s->incompat & ~QCOW2_INCOMPAT_DIRTY));
        return false;
    }
    if ((s->incompat & QCOW2_INCOMPAT_DIRTY) && !bs->read_only) {
        error_setg(errp, "%s: image is dirty (lazy refcounts are not supported); "
                   "repair it or open it read-only", bs->filename);
        return false;
    }
    if (bs->size > (1ull << 56) ||
        qcow2_l1_entries_for(bs->size, s->cluster_bits) > s->l1_size) {
        return qcow2_set_corrupt(bs, errp, "L1 table too small for the virtual size");
    }
    if (s->l1_size > (32u << 20)) {
        return qcow2_set_corrupt(bs, errp, "L1 table size %u too large", s->l1_size);
    }
    if (s->rt_clusters == 0 || (uint64_t)s->rt_clusters * s->cluster_size > (64u << 20)) {
        return qcow2_set_corrupt(bs, errp, "bad refcount table size");
    }
    return check_table(bs, "refcount table", s->rt_offset,
                       (uint64_t)s->rt_clusters * s->cluster_size, errp) &&
           check_table(bs, "L1 table", s->l1_offset, s->l1_size * 8ull, errp) &&
           (s->l1_size == 0 ||
            s->l1_offset + s->l1_size * 8ull <= s->rt_offset ||
            s->rt_offset + (uint64_t)s->rt_clusters * s->cluster_size <= s->l1_offset ||
            qcow2_set_corrupt(bs, errp, "L1 table overlaps the refcount table"));
}

static bool read_backing_name(BlockDriverState *bs, const uint8_t *hdr, GError **errp)
{
    Qcow2State *s = bs->opaque;
    uint64_t off = ld_be64(hdr + 8);
    uint32_t len = ld_be32(hdr + 16);

    if (off == 0) {
        return true;
    }
    if (len == 0 || len > 1023 || off > s->cluster_size || len > s->cluster_size - off) {
        return qcow2_set_corrupt(bs, errp, "bad backing file name location");
    }
    s->backing_name = g_strndup((const char *)hdr + off, len);
    return true;
}

static bool load_tables(BlockDriverState *bs, GError **errp)
{
    Qcow2State *s = bs->opaque;
    g_autofree uint8_t *buf = g_malloc(MAX((uint64_t)s->rt_clusters * s->cluster_size,
                                           s->l1_size * 8ull) + 8);

    s->rt_entries = (uint64_t)s->rt_clusters * s->cluster_size / 8;
    s->rb_entries = s->cluster_size * 8 >> s->refcount_order;
    s->rt = g_new0(uint64_t, s->rt_entries);
    if (!bdrv_file_pread(bs, s->rt_offset, buf, s->rt_entries * 8, errp)) {
        return false;
    }
    for (uint64_t i = 0; i < s->rt_entries; i++) {
        s->rt[i] = ld_be64(buf + i * 8);
        if (s->rt[i] & (QCOW2_RTE_RESERVED | (s->cluster_size - 1))) {
            return qcow2_set_corrupt(bs, errp, "refcount block %" G_GUINT64_FORMAT
                                     " offset is not cluster-aligned", i);
        }
        if (s->rt[i] && (s->rt[i] < s->cluster_size ||
                         s->rt[i] + s->cluster_size > bdrv_file_size(bs))) {
            return qcow2_set_corrupt(bs, errp, "refcount block %" G_GUINT64_FORMAT
                                     " is outside the file", i);
        }
    }
    s->l1 = g_new0(uint64_t, MAX(s->l1_size, 1));
    if (!bdrv_file_pread(bs, s->l1_offset, buf, s->l1_size * 8ull, errp)) {
        return false;
    }
    for (uint32_t i = 0; i < s->l1_size; i++) {
        s->l1[i] = ld_be64(buf + i * 8);
        uint64_t l2 = s->l1[i] & QCOW2_OFFSET_MASK;
        if ((s->l1[i] & QCOW2_L1E_RESERVED) || (l2 & (s->cluster_size - 1))) {
            return qcow2_set_corrupt(bs, errp, "L1 entry %u: L2 table offset %#"
                                     G_GINT64_MODIFIER "x is not cluster-aligned", i, l2);
        }
        if (l2 && (l2 < s->cluster_size || l2 + s->cluster_size > bdrv_file_size(bs))) {
            return qcow2_set_corrupt(bs, errp, "L1 entry %u: L2 table is outside the file",
                                     i);
        }
    }
    return true;
}

static bool load_snapshots(BlockDriverState *bs, GError **errp)
{
    Qcow2State *s = bs->opaque;
    uint64_t off = s->snapshots_offset, file_size = bdrv_file_size(bs);

    s->snapshots = g_array_new(false, true, sizeof(Qcow2Snapshot));
    if (s->nb_snapshots == 0) {
        return true;
    }
    if (s->nb_snapshots > 65536) {
        return qcow2_set_corrupt(bs, errp, "too many snapshots");
    }
    if (!check_table(bs, "snapshot table", off, 40, errp)) {
        return false;
    }
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        uint8_t fixed[40];
        Qcow2Snapshot sn = { 0 };
        if (off + sizeof(fixed) > file_size) {
            return qcow2_set_corrupt(bs, errp, "snapshot table is truncated");
        }
        if (!bdrv_file_pread(bs, off, fixed, sizeof(fixed), errp)) {
            return false;
        }
        sn.l1_offset = ld_be64(fixed);
        sn.l1_size = ld_be32(fixed + 8);
        uint16_t id_len = ld_be16(fixed + 12), name_len = ld_be16(fixed + 14);
        sn.date_sec = ld_be32(fixed + 16);
        sn.vm_clock_nsec = ld_be64(fixed + 24);
        sn.vm_state_size = ld_be32(fixed + 32);
        uint32_t extra = ld_be32(fixed + 36);
        uint64_t var_len = (uint64_t)extra + id_len + name_len;
        if (extra > 1024 || off + sizeof(fixed) + var_len > file_size) {
            return qcow2_set_corrupt(bs, errp, "snapshot %u is truncated", i);
        }
        g_autofree uint8_t *var = g_malloc(var_len + 1);
        if (!bdrv_file_pread(bs, off + sizeof(fixed), var, var_len, errp)) {
            return false;
        }
        if (extra >= 8) {
            sn.vm_state_size = ld_be64(var);
        }
        sn.id = g_strndup((char *)var + extra, id_len);
        sn.name = g_strndup((char *)var + extra + id_len, name_len);
        g_array_append_val(s->snapshots, sn);
        if (!check_table(bs, "snapshot L1 table", sn.l1_offset, sn.l1_size * 8ull, errp)) {
            return false;
        }
        off = ROUND_UP(off + sizeof(fixed) + var_len, 8);
    }
    s->snapshots_size = off - s->snapshots_offset;
    return true;
}

bool qcow2_open(BlockDriverState *bs, GError **errp)
{
    Qcow2State *s = g_new0(Qcow2State, 1);
    uint64_t file_size = bdrv_file_size(bs);
    g_autofree uint8_t *hdr = NULL;

    bs->opaque = s;
    if (file_size < QCOW2_HDR_V2_LEN) {
        return qcow2_set_corrupt(bs, errp, "file too short for a qcow2 header");
    }
    hdr = g_malloc0(1u << 21);
    if (!bdrv_file_pread(bs, 0, hdr, MIN(file_size, 1u << 21), errp) ||
        !read_header(bs, hdr, errp) ||
        !parse_extensions(bs, hdr, s->cluster_size, errp) ||
        !read_backing_name(bs, hdr, errp) ||
        !load_tables(bs, errp) || !load_snapshots(bs, errp)) {
        return false;
    }
    g_clear_pointer(&hdr, g_free);      /* before a long backing chain opens */
    if (s->nb_snapshots && !bs->read_only) {
        error_setg(errp, "%s: writing to qcow2 images with internal snapshots is not "
                   "supported; open it read-only", bs->filename);
        return false;
    }
    if (s->backing_name &&
        !(bs->backing = bdrv_open_backing(bs, s->backing_name, s->backing_fmt, errp))) {
        return false;
    }
    qcow2_cache_init(s, &s->l2_cache);
    qcow2_cache_init(s, &s->rb_cache);
    s->zbuf = g_malloc(s->cluster_size);
    s->zbuf_entry = 0;
    s->free_hint = 1;
    if (s->autoclear && !bs->read_only) {
        /* We keep none of the autoclear features' data (bitmaps...) in sync. */
        uint8_t zero[8] = { 0 };
        if (!bdrv_file_pwrite(bs, QCOW2_HDR_AUTOCLEAR, zero, 8, errp)) {
            return false;
        }
        s->autoclear = 0;
    }
    return true;
}

void qcow2_close(BlockDriverState *bs)
{
    Qcow2State *s = bs->opaque;

    if (s->zbuf) {
        qcow2_cache_free(&s->l2_cache);
        qcow2_cache_free(&s->rb_cache);
    }
    for (guint i = 0; s->snapshots && i < s->snapshots->len; i++) {
        Qcow2Snapshot *sn = &g_array_index(s->snapshots, Qcow2Snapshot, i);
        g_free(sn->id);
        g_free(sn->name);
    }
    if (s->snapshots) {
        g_array_free(s->snapshots, true);
    }
    g_free(s->zbuf);
    g_free(s->l1);
    g_free(s->rt);
    g_free(s->backing_name);
    g_free(s->backing_fmt);
    g_free(s);
}

/* ---- create ---- */

bool qcow2_create(int fd, const BlockCreateOptions *opts, GError **errp)
{
    uint32_t cs = opts->cluster_size ? opts->cluster_size : 65536;
    if (cs < 512 || cs > (2u << 20) || (cs & (cs - 1))) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "bad cluster size %u", cs);
        return false;
    }
    uint32_t bits = __builtin_ctz(cs);
    uint64_t l1_size = qcow2_l1_entries_for(opts->size, bits);
    uint64_t l1_clusters = MAX(DIV_ROUND_UP(l1_size * 8, cs), 1);
    uint64_t nclusters = 3 + l1_clusters;          /* header, rt, rb, L1 */
    uint64_t name_len = opts->backing ? strlen(opts->backing) : 0;
    uint64_t fmt_len = opts->backing_fmt ? strlen(opts->backing_fmt) : 0;
    uint64_t ext_len = (fmt_len ? 8 + ROUND_UP(fmt_len, 8) : 0) + 8;

    if (opts->size > (1ull << 56) || nclusters > cs * 8 / 16 || l1_size > (32u << 20)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "image size too large");
        return false;
    }
    if (name_len > 1023 || QCOW2_HDR_V3_LEN + ext_len + name_len > cs) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "backing file name too long");
        return false;
    }
    g_autofree uint8_t *buf = g_malloc0(3ull * cs);
    uint8_t *h = buf, *rt = buf + cs, *rb = buf + 2ull * cs;
    uint64_t p = QCOW2_HDR_V3_LEN;

    st_be32(h, QCOW2_MAGIC);
    st_be32(h + 4, 3);
    st_be32(h + 20, bits);
    st_be64(h + 24, opts->size);
    st_be32(h + 36, l1_size);
    st_be64(h + 40, 3ull * cs);
    st_be64(h + 48, cs);
    st_be32(h + 56, 1);
    st_be32(h + 96, 4);
    st_be32(h + 100, QCOW2_HDR_V3_LEN);
    if (fmt_len) {
        st_be32(h + p, QCOW2_EXT_BACKING_FMT);
        st_be32(h + p + 4, fmt_len);
        memcpy(h + p + 8, opts->backing_fmt, fmt_len);
        p += 8 + ROUND_UP(fmt_len, 8);
    }
    p += 8;                                         /* end of extensions */
    if (name_len) {
        st_be64(h + 8, p);
        st_be32(h + 16, name_len);
        memcpy(h + p, opts->backing, name_len);
    }
    st_be64(rt, 2ull * cs);
    for (uint64_t i = 0; i < nclusters; i++) {
        st_be16(rb + i * 2, 1);
    }
    if (ftruncate(fd, nclusters * cs) < 0 || pwrite(fd, buf, 3ull * cs, 0) != 3ll * cs) {
        error_setg(errp, "could not write the qcow2 metadata: %s", g_strerror(errno));
        return false;
    }
    return true;
}

/* ---- info ---- */

void qcow2_get_info(BlockDriverState *bs, BlockImageInfo *info)
{
    Qcow2State *s = bs->opaque;

    info->cluster_size = s->cluster_size;
    info->version = s->version;
    info->backing_file = g_strdup(s->backing_name);
    info->backing_format = g_strdup(s->backing_fmt);
    if (s->snapshots->len == 0) {
        return;
    }
    info->snapshots = g_array_new(false, true, sizeof(BlockSnapshotInfo));
    for (guint i = 0; i < s->snapshots->len; i++) {
        Qcow2Snapshot *sn = &g_array_index(s->snapshots, Qcow2Snapshot, i);
        BlockSnapshotInfo si = {
            .id = g_strdup(sn->id), .name = g_strdup(sn->name),
            .vm_state_size = sn->vm_state_size, .date_sec = sn->date_sec,
            .vm_clock_nsec = sn->vm_clock_nsec,
        };
        g_array_append_val(info->snapshots, si);
    }
}
