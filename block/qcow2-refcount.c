/*
 * qcow2 refcounts: reading and updating the two-level refcount structure
 * (refcount table -> refcount blocks), cluster allocation, growth of the
 * refcount table, and the consistency check behind `proteus-img check`.
 *
 * Crash safety: a cluster's refcount is written (and, unless cache=unsafe,
 * synced by the caller) before any L1/L2 entry points at it; references
 * are removed before the refcount drops. A crash can leak clusters but
 * never leave metadata pointing at a cluster counted as free.
 */
#include "block/qcow2.h"

static uint64_t rb_entry_get(Qcow2State *s, const uint8_t *block, uint64_t i)
{
    uint32_t bits = 1u << s->refcount_order;
    switch (bits) {
    case 64: return ld_be64(block + i * 8);
    case 32: return ld_be32(block + i * 4);
    case 16: return ld_be16(block + i * 2);
    case 8: return block[i];
    default: {
        uint64_t bit = i * bits;
        return (block[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
    }
    }
}

/* Stores the value; returns the byte offset in the block of what changed. */
static uint64_t rb_entry_set(Qcow2State *s, uint8_t *block, uint64_t i, uint64_t v)
{
    uint32_t bits = 1u << s->refcount_order;
    switch (bits) {
    case 64: st_be64(block + i * 8, v); return i * 8;
    case 32: st_be32(block + i * 4, v); return i * 4;
    case 16: st_be16(block + i * 2, v); return i * 2;
    case 8: block[i] = v; return i;
    default: {
        uint64_t bit = i * bits;
        uint8_t mask = ((1u << bits) - 1) << (bit % 8);
        block[bit / 8] = (block[bit / 8] & ~mask) | ((v << (bit % 8)) & mask);
        return bit / 8;
    }
    }
}

static uint32_t rb_entry_bytes(Qcow2State *s)
{
    return s->refcount_order >= 3 ? 1u << (s->refcount_order - 3) : 1;
}

bool qcow2_refcount_get(BlockDriverState *bs, uint64_t cluster, uint64_t *rc,
                        GError **errp)
{
    Qcow2State *s = bs->opaque;
    uint64_t bi = cluster / s->rb_entries;

    *rc = 0;
    if (bi >= s->rt_entries || s->rt[bi] == 0) {
        return true;
    }
    uint8_t *block = qcow2_cache_get(bs, &s->rb_cache, s->rt[bi], errp);
    if (!block) {
        return false;
    }
    *rc = rb_entry_get(s, block, cluster % s->rb_entries);
    return true;
}

/*
 * Makes the refcount table bigger than `need` entries. The new table and
 * the refcount blocks that count it go past everything the old table can
 * describe and past EOF, so nothing in use moves; the header is switched
 * over by one write once they are on disk, then the old table is freed.
 */
static bool grow_refcount_table(BlockDriverState *bs, uint64_t need, GError **errp)
{
    Qcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t file_clusters = DIV_ROUND_UP(bdrv_file_size(bs), cs);
    uint64_t start = MAX(file_clusters, s->rt_entries * s->rb_entries);
    uint64_t entries = MAX(s->rt_entries * 2, need + 1);
    uint64_t table_clusters, nblocks, end;

    for (;;) {
        table_clusters = DIV_ROUND_UP(entries * 8, cs);
        nblocks = 1;
        while ((start + table_clusters + nblocks - 1) / s->rb_entries -
               start / s->rb_entries + 1 > nblocks) {
            nblocks++;
        }
        end = start + table_clusters + nblocks;
        if ((end - 1) / s->rb_entries < entries) {
            break;
        }
        entries = (end - 1) / s->rb_entries + 1;
    }
    entries = table_clusters * cs / 8;
    if (table_clusters > UINT32_MAX) {
        error_setg(errp, "%s: refcount table would be too large", bs->filename);
        return false;
    }

    g_autofree uint64_t *rt = g_new0(uint64_t, entries);
    g_autofree uint8_t *buf = g_malloc0(table_clusters * cs);
    g_autofree uint8_t *block = g_malloc(cs);
    uint64_t first_bi = start / s->rb_entries;

    memcpy(rt, s->rt, s->rt_entries * 8);
    for (uint64_t j = 0; j < nblocks; j++) {
        uint64_t bi = first_bi + j;
        memset(block, 0, cs);
        for (uint64_t c = MAX(start, bi * s->rb_entries);
             c < MIN(end, (bi + 1) * s->rb_entries); c++) {
            rb_entry_set(s, block, c % s->rb_entries, 1);
        }
        rt[bi] = (start + table_clusters + j) * cs;
        if (!bdrv_file_pwrite(bs, rt[bi], block, cs, errp)) {
            return false;
        }
    }
    for (uint64_t i = 0; i < entries; i++) {
        st_be64(buf + i * 8, rt[i]);
    }
    if (!bdrv_file_pwrite(bs, start * cs, buf, table_clusters * cs, errp) ||
        !bdrv_file_sync(bs, errp)) {
        return false;
    }

    uint8_t hdr[12];
    st_be64(hdr, start * cs);
    st_be32(hdr + 8, table_clusters);
    if (!bdrv_file_pwrite(bs, QCOW2_HDR_RT_OFFSET, hdr, sizeof(hdr), errp) ||
        !bdrv_file_sync(bs, errp)) {
        return false;
    }
    uint64_t old_offset = s->rt_offset, old_clusters = s->rt_clusters;
    g_free(s->rt);
    s->rt = g_steal_pointer(&rt);
    s->rt_entries = entries;
    s->rt_offset = start * cs;
    s->rt_clusters = table_clusters;
    return qcow2_free_clusters(bs, old_offset, old_clusters * cs, errp);
}

/*
 * Refcount block bi is missing, so every cluster it would describe is free:
 * the block goes into the first of them and counts itself.
 */
static bool ensure_refcount_block(BlockDriverState *bs, uint64_t bi, GError **errp)
{
    Qcow2State *s = bs->opaque;

    if (bi >= s->rt_entries && !grow_refcount_table(bs, bi, errp)) {
        return false;
    }
    if (s->rt[bi] != 0) {
        return true;
    }
    uint64_t offset = bi * s->rb_entries * s->cluster_size;
    g_autofree uint8_t *block = g_malloc0(s->cluster_size);
    uint8_t entry[8];

    rb_entry_set(s, block, 0, 1);
    st_be64(entry, offset);
    if (!bdrv_file_pwrite(bs, offset, block, s->cluster_size, errp) ||
        !bdrv_file_sync(bs, errp) ||
        !bdrv_file_pwrite(bs, s->rt_offset + bi * 8, entry, 8, errp)) {
        return false;
    }
    s->rt[bi] = offset;
    return true;
}

static bool refcount_update(BlockDriverState *bs, uint64_t cluster, int delta,
                            GError **errp)
{
    Qcow2State *s = bs->opaque;
    uint64_t bi = cluster / s->rb_entries;
    uint64_t max = s->refcount_order == 6 ? UINT64_MAX
                                          : (1ull << (1u << s->refcount_order)) - 1;

    if (!ensure_refcount_block(bs, bi, errp)) {
        return false;
    }
    uint8_t *block = qcow2_cache_get(bs, &s->rb_cache, s->rt[bi], errp);
    if (!block) {
        return false;
    }
    uint64_t i = cluster % s->rb_entries;
    uint64_t rc = rb_entry_get(s, block, i);
    if ((delta < 0 && rc == 0) || (delta > 0 && rc == max)) {
        return qcow2_set_corrupt(bs, errp, "refcount of cluster %#" G_GINT64_MODIFIER
                                 "x would %s", cluster * s->cluster_size,
                                 delta < 0 ? "go below zero" : "overflow");
    }
    uint64_t at = rb_entry_set(s, block, i, rc + delta);
    if (!bdrv_file_pwrite(bs, s->rt[bi] + at, block + at, rb_entry_bytes(s), errp)) {
        return false;
    }
    if (rc + delta == 0 && cluster < s->free_hint) {
        s->free_hint = cluster;
    }
    return true;
}

/* The first run of n clusters counted as free, from *cluster on. */
static bool find_free_run(BlockDriverState *bs, uint64_t n, uint64_t *cluster,
                          uint64_t *first_free, GError **errp)
{
    uint64_t c = *cluster, run = 0, rc;

    *first_free = UINT64_MAX;
    while (run < n) {
        if (!qcow2_refcount_get(bs, c + run, &rc, errp)) {
            return false;
        }
        if (rc == 0) {
            *first_free = MIN(*first_free, c + run);
            run++;
        } else {
            c += run + 1;
            run = 0;
        }
    }
    *cluster = c;
    return true;
}

uint64_t qcow2_alloc_clusters(BlockDriverState *bs, uint64_t n, GError **errp)
{
    Qcow2State *s = bs->opaque;
    uint64_t c = s->free_hint, first_free, rc;

    for (;;) {
        if (!find_free_run(bs, n, &c, &first_free, errp)) {
            return 0;
        }
        /* Creating the refcount blocks may take clusters of the run. */
        for (uint64_t bi = c / s->rb_entries; bi <= (c + n - 1) / s->rb_entries; bi++) {
            if (!ensure_refcount_block(bs, bi, errp)) {
                return 0;
            }
        }
        uint64_t i;
        for (i = 0; i < n; i++) {
            if (!qcow2_refcount_get(bs, c + i, &rc, errp)) {
                return 0;
            }
            if (rc != 0) {
                break;
            }
        }
        if (i == n) {
            break;
        }
    }
    for (uint64_t i = 0; i < n; i++) {
        if (!refcount_update(bs, c + i, 1, errp)) {
            return 0;
        }
    }
    if (first_free == c) {
        s->free_hint = c + n;
    }
    return c * s->cluster_size;
}

bool qcow2_free_clusters(BlockDriverState *bs, uint64_t off, uint64_t len, GError **errp)
{
    Qcow2State *s = bs->opaque;
    if (len == 0) {
        return true;
    }
    for (uint64_t c = off >> s->cluster_bits; c <= (off + len - 1) >> s->cluster_bits; c++) {
        if (!refcount_update(bs, c, -1, errp)) {
            return false;
        }
    }
    return true;
}

/* ---- consistency check ---- */

typedef struct CheckState {
    BlockDriverState *bs;
    uint32_t *refs;             /* computed reference counts */
    uint64_t nclusters;
    BlockCheckResult *res;
} CheckState;

static void check_ref(CheckState *cs, uint64_t off, uint64_t len)
{
    Qcow2State *s = cs->bs->opaque;
    if (len == 0) {
        return;
    }
    for (uint64_t c = off >> s->cluster_bits; c <= (off + len - 1) >> s->cluster_bits; c++) {
        if (c >= cs->nclusters) {
            cs->res->corruptions++;     /* a reference past EOF */
        } else {
            cs->refs[c]++;
        }
    }
}

static bool check_l2(CheckState *cs, uint64_t l2_offset, bool active, GError **errp)
{
    Qcow2State *s = cs->bs->opaque;
    g_autofree uint8_t *table = g_malloc(s->cluster_size);

    if (!bdrv_file_pread(cs->bs, l2_offset, table, s->cluster_size, errp)) {
        return false;
    }
    for (uint64_t i = 0; i < s->cluster_size / 8; i++) {
        uint64_t e = ld_be64(table + i * 8), off, len;
        if (active && (e & (QCOW2_OFLAG_COMPRESSED | QCOW2_OFFSET_MASK))) {
            cs->res->allocated_clusters++;
        }
        if (e & QCOW2_OFLAG_COMPRESSED) {
            qcow2_compressed_span(s, e, &off, &len);
            check_ref(cs, off, len);
        } else if (e & QCOW2_OFFSET_MASK) {
            if ((e & QCOW2_OFFSET_MASK) & (s->cluster_size - 1)) {
                cs->res->corruptions++;
            } else {
                check_ref(cs, e & QCOW2_OFFSET_MASK, s->cluster_size);
            }
        }
    }
    return true;
}

/* Counts the references of one L1 table; `active` for the image's own
 * (as opposed to a snapshot's), whose data clusters are reported. */
static bool check_l1(CheckState *cs, uint64_t l1_offset, uint32_t l1_size, bool active,
                     GError **errp)
{
    Qcow2State *s = cs->bs->opaque;
    g_autofree uint8_t *l1 = g_malloc(MAX(l1_size, 1) * 8ull);

    check_ref(cs, l1_offset, l1_size * 8ull);
    if (!bdrv_file_pread(cs->bs, l1_offset, l1, l1_size * 8ull, errp)) {
        return false;
    }
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2 = ld_be64(l1 + i * 8) & QCOW2_OFFSET_MASK;
        if (l2 == 0) {
            continue;
        }
        if (l2 & (s->cluster_size - 1)) {
            cs->res->corruptions++;
            continue;
        }
        check_ref(cs, l2, s->cluster_size);
        if (!check_l2(cs, l2, active, errp)) {
            return false;
        }
    }
    return true;
}

/* Compares the stored refcounts with the computed ones, cluster by cluster. */
static bool compare_refcounts(CheckState *cs, GError **errp)
{
    Qcow2State *s = cs->bs->opaque;
    uint64_t limit = MAX(cs->nclusters, s->rt_entries * s->rb_entries);

    for (uint64_t c = 0; c < limit; c++) {
        uint64_t bi = c / s->rb_entries, stored;
        uint32_t computed = c < cs->nclusters ? cs->refs[c] : 0;
        if (bi < s->rt_entries && s->rt[bi] == 0 && computed == 0) {
            c = (bi + 1) * s->rb_entries - 1;     /* nothing in this block */
            continue;
        }
        if (!qcow2_refcount_get(cs->bs, c, &stored, errp)) {
            return false;
        }
        if (stored > computed) {
            cs->res->leaks++;
        } else if (stored < computed) {
            cs->res->corruptions++;
        }
    }
    return true;
}

bool qcow2_check_refcounts(BlockDriverState *bs, BlockCheckResult *res, GError **errp)
{
    Qcow2State *s = bs->opaque;
    CheckState cs = { .bs = bs, .res = res };

    cs.nclusters = DIV_ROUND_UP(bdrv_file_size(bs), s->cluster_size);
    cs.refs = g_new0(uint32_t, MAX(cs.nclusters, 1));
    res->total_clusters = DIV_ROUND_UP(bs->size, s->cluster_size);

    check_ref(&cs, 0, s->cluster_size);     /* the header */
    bool ok = check_l1(&cs, s->l1_offset, s->l1_size, true, errp);
    for (guint i = 0; ok && s->snapshots && i < s->snapshots->len; i++) {
        Qcow2Snapshot *sn = &g_array_index(s->snapshots, Qcow2Snapshot, i);
        ok = check_l1(&cs, sn->l1_offset, sn->l1_size, false, errp);
    }
    check_ref(&cs, s->snapshots_offset, s->snapshots_size);
    check_ref(&cs, s->rt_offset, (uint64_t)s->rt_clusters * s->cluster_size);
    for (uint64_t i = 0; i < s->rt_entries; i++) {
        check_ref(&cs, s->rt[i], s->rt[i] ? s->cluster_size : 0);
    }
    ok = ok && compare_refcounts(&cs, errp);
    g_free(cs.refs);
    return ok;
}
