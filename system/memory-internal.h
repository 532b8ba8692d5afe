/*
 * Internals shared by the two halves of the memory API: memory.c (the
 * region tree, transactions, address spaces, listeners and accesses) and
 * flatview.c (rendering a tree into a flat view). Nothing outside system/
 * includes this.
 */
#ifndef SYSTEM_MEMORY_INTERNAL_H
#define SYSTEM_MEMORY_INTERNAL_H

#include "proteus/memory.h"

/*
 * One piece of an address space: the bytes [addr, last] are bytes
 * [offset, offset + last - addr] of the terminal region mr. last is
 * inclusive so a range can end at the top of the 64-bit space.
 */
typedef struct FlatRange {
    hwaddr addr;
    hwaddr last;
    MemoryRegion *mr;
    hwaddr offset;
    bool readonly;
} FlatRange;

/* Immutable once built; freed when the last reference goes. */
struct FlatView {
    gint ref;
    unsigned nr;
    FlatRange *ranges;      /* sorted by addr, never overlapping */
};

/* Renders the tree under root (NULL: an empty view). Reference count 1. */
FlatView *flatview_render(MemoryRegion *root);
void flatview_ref(FlatView *view);
void flatview_unref(FlatView *view);
bool flatview_equal(const FlatView *a, const FlatView *b);

/*
 * The index of the first range whose last byte is at or above addr (nr
 * if none). That range holds addr when its addr is <= addr; otherwise
 * addr is in a hole that ends where that range starts.
 */
unsigned flatview_search(const FlatView *view, hwaddr addr);

static inline bool flat_range_is_ram(const FlatRange *fr)
{
    return fr->mr->kind == MR_KIND_RAM || fr->mr->kind == MR_KIND_ROM;
}

/* Calls fn for every RAM/ROM range of a that b does not have (b may be NULL). */
void flatview_ram_diff(const FlatView *a, const FlatView *b,
                       void (*fn)(const FlatRange *fr, void *opaque), void *opaque);

#endif
