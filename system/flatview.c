/*
 * Flat views: the region tree of an address space rendered into a sorted
 * array of non-overlapping ranges, each naming the terminal region (RAM,
 * ROM or I/O) that answers there and the offset inside it.
 *
 * Rendering visits regions from the highest priority down (a container
 * keeps its subregions sorted that way, later additions first among equal
 * priorities) and lets each terminal region fill only the addresses that
 * are still free. "Higher priority wins, ties go to the later addition"
 * thus falls out of the visiting order. Containers are transparent: where
 * none of their subregions answers, lower-priority siblings show through,
 * and where nothing answers the address is unassigned.
 *
 * Positions are computed in 128-bit arithmetic, so a region reaching 2^64,
 * an alias whose offset exceeds its position, or a subregion sticking out
 * of its container needs no special case: everything is clipped to the
 * parents' extents and to [0, 2^64).
 */
#include <string.h>

#include "memory-internal.h"

typedef __int128 Pos;   /* signed: an alias's target can start below 0 */

#define SPACE_END ((Pos)1 << 64)
/* Nesting deeper than this can only be an alias or container loop. */
#define MAX_RENDER_DEPTH 64

static Pos region_extent(const MemoryRegion *mr)
{
    return mr->size == UINT64_MAX ? SPACE_END : (Pos)mr->size;
}

/* First index in ranges whose last byte is >= pos (len if none). */
static guint search_ranges(const FlatRange *ranges, guint len, Pos pos)
{
    guint lo = 0, hi = len;

    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;

        if ((Pos)ranges[mid].last < pos) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Gives mr (whose offset 0 sits at base) every free address in [lo, hi). */
static void fill_free(GArray *ranges, MemoryRegion *mr, Pos base, Pos lo, Pos hi)
{
    guint i = search_ranges((FlatRange *)ranges->data, ranges->len, lo);
    Pos cursor = lo;

    while (cursor < hi) {
        Pos free_end = hi;

        if (i < ranges->len) {
            const FlatRange *fr = &g_array_index(ranges, FlatRange, i);

            if ((Pos)fr->addr <= cursor) {
                /* Taken by something rendered earlier (higher priority). */
                cursor = (Pos)fr->last + 1;
                i++;
                continue;
            }
            free_end = MIN(hi, (Pos)fr->addr);
        }

        FlatRange nfr = {
            .addr = (hwaddr)cursor,
            .last = (hwaddr)(free_end - 1),
            .mr = mr,
            .offset = (hwaddr)(cursor - base),
            .readonly = mr->kind == MR_KIND_ROM,
        };
        g_array_insert_val(ranges, i, nfr);
        i++;
        cursor = free_end;
    }
}

static void render_region(GArray *ranges, MemoryRegion *mr, Pos base,
                          Pos clip_lo, Pos clip_hi, unsigned depth)
{
    Pos lo, hi;

    g_assert(depth < MAX_RENDER_DEPTH);   /* an alias or container loop */
    if (!mr->enabled) {
        return;
    }
    lo = MAX(base, clip_lo);
    hi = MIN(base + region_extent(mr), clip_hi);
    if (lo >= hi) {
        return;
    }

    if (mr->kind == MR_KIND_ALIAS) {
        /* The alias's start shows byte alias_offset of its target. */
        render_region(ranges, mr->alias, base - (Pos)mr->alias_offset, lo, hi, depth + 1);
        return;
    }

    for (guint i = 0; i < mr->subregions->len; i++) {
        MemoryRegion *sub = g_ptr_array_index(mr->subregions, i);

        render_region(ranges, sub, base + (Pos)sub->addr, lo, hi, depth + 1);
    }
    if (mr->kind != MR_KIND_CONTAINER) {
        /* A terminal region is the background of its own subregions. */
        fill_free(ranges, mr, base, lo, hi);
    }
}

/* Joins neighbours that continue the same region at contiguous offsets. */
static void merge_ranges(GArray *ranges)
{
    guint out = 0;

    for (guint i = 0; i < ranges->len; i++) {
        FlatRange *cur = &g_array_index(ranges, FlatRange, i);

        if (out > 0) {
            FlatRange *prev = &g_array_index(ranges, FlatRange, out - 1);

            if (prev->mr == cur->mr && prev->readonly == cur->readonly &&
                prev->last + 1 == cur->addr &&
                prev->offset + (prev->last - prev->addr) + 1 == cur->offset) {
                prev->last = cur->last;
                continue;
            }
        }
        g_array_index(ranges, FlatRange, out++) = *cur;
    }
    g_array_set_size(ranges, out);
}

FlatView *flatview_render(MemoryRegion *root)
{
    GArray *ranges = g_array_new(FALSE, FALSE, sizeof(FlatRange));
    FlatView *view = g_new0(FlatView, 1);

    if (root) {
        render_region(ranges, root, 0, 0, SPACE_END, 0);
        merge_ranges(ranges);
    }
    view->ref = 1;
    view->nr = ranges->len;
    view->ranges = (FlatRange *)g_array_free(ranges, FALSE);
    return view;
}

void flatview_ref(FlatView *view)
{
    g_atomic_int_inc(&view->ref);
}

void flatview_unref(FlatView *view)
{
    if (view && g_atomic_int_dec_and_test(&view->ref)) {
        g_free(view->ranges);
        g_free(view);
    }
}

static bool flat_range_equal(const FlatRange *a, const FlatRange *b)
{
    return a->addr == b->addr && a->last == b->last && a->mr == b->mr &&
           a->offset == b->offset && a->readonly == b->readonly;
}

bool flatview_equal(const FlatView *a, const FlatView *b)
{
    if (a->nr != b->nr) {
        return false;
    }
    for (unsigned i = 0; i < a->nr; i++) {
        if (!flat_range_equal(&a->ranges[i], &b->ranges[i])) {
            return false;
        }
    }
    return true;
}

unsigned flatview_search(const FlatView *view, hwaddr addr)
{
    return search_ranges(view->ranges, view->nr, (Pos)addr);
}

void flatview_ram_diff(const FlatView *a, const FlatView *b,
                       void (*fn)(const FlatRange *fr, void *opaque), void *opaque)
{
    unsigned j = 0;
    unsigned b_nr = b ? b->nr : 0;

    /* Both arrays are sorted by address: one merge-like walk suffices. */
    for (unsigned i = 0; i < a->nr; i++) {
        const FlatRange *fr = &a->ranges[i];

        if (!flat_range_is_ram(fr)) {
            continue;
        }
        while (j < b_nr && b->ranges[j].addr < fr->addr) {
            j++;
        }
        if (j < b_nr && flat_range_equal(fr, &b->ranges[j])) {
            continue;
        }
        fn(fr, opaque);
    }
}
