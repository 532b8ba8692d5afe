/*
 * The memory API: building the region tree, transactions, address spaces
 * and their listeners, and accesses through an address space (RAM copies,
 * MMIO dispatch with access-size and endianness adaptation, the policy for
 * unassigned addresses). Rendering a tree into a flat view is flatview.c.
 *
 * MMIO accesses are carried as guest-order bytes until the moment a
 * device callback runs: only there is a byte string turned into a value
 * (or back) in the device's endianness. Splitting, widening and misaligned
 * accesses are then all the same operation: cover the bytes with units the
 * callbacks implement and move bytes between the units and the access.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "proteus/error.h"
#include "proteus/log.h"
#include "memory-internal.h"

/* ---- regions ---- */

static void region_init_common(MemoryRegion *mr, MemoryRegionKind kind, Object *owner,
                               const char *name, uint64_t size)
{
    memset(mr, 0, sizeof(*mr));
    mr->kind = kind;
    mr->owner = owner;
    mr->name = g_strdup(name ? name : "anonymous");
    mr->size = size;
    mr->enabled = true;
    mr->subregions = g_ptr_array_new();
}

void memory_region_init(MemoryRegion *mr, Object *owner, const char *name, uint64_t size)
{
    region_init_common(mr, MR_KIND_CONTAINER, owner, name, size);
}

static bool access_size_ok(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

/* Defaults: the bus takes 1..4 bytes; the callbacks implement what the bus takes. */
static unsigned valid_min(const MemoryRegionOps *ops)
{
    return ops->valid.min_access_size ? ops->valid.min_access_size : 1;
}

static unsigned valid_max(const MemoryRegionOps *ops)
{
    return ops->valid.max_access_size ? ops->valid.max_access_size : 4;
}

static unsigned impl_min(const MemoryRegionOps *ops)
{
    return ops->impl.min_access_size ? ops->impl.min_access_size : valid_min(ops);
}

static unsigned impl_max(const MemoryRegionOps *ops)
{
    return ops->impl.max_access_size ? ops->impl.max_access_size : valid_max(ops);
}

void memory_region_init_io(MemoryRegion *mr, Object *owner, const MemoryRegionOps *ops,
                           void *opaque, const char *name, uint64_t size)
{
    /* Malformed ops are a bug in the device, not something the guest did. */
    g_assert(ops);
    g_assert(access_size_ok(valid_min(ops)) && access_size_ok(valid_max(ops)));
    g_assert(valid_min(ops) <= valid_max(ops));
    g_assert(access_size_ok(impl_min(ops)) && access_size_ok(impl_max(ops)));
    g_assert(impl_min(ops) <= impl_max(ops));

    region_init_common(mr, MR_KIND_IO, owner, name, size);
    mr->ops = ops;
    mr->opaque = opaque;
}

/* "64 GiB", "1.5 MiB", "100 bytes": for error messages. */
static char *format_size(uint64_t size)
{
    static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    unsigned u = 0;
    uint64_t unit;

    while (u < G_N_ELEMENTS(units) - 1 && size >= (UINT64_C(1) << (10 * (u + 1)))) {
        u++;
    }
    unit = UINT64_C(1) << (10 * u);
    if (size % unit == 0) {
        return g_strdup_printf("%" PRIu64 " %s", size / unit, units[u]);
    }
    return g_strdup_printf("%.1f %s", (double)size / (double)unit, units[u]);
}

/* The mmap length for size bytes: whole host pages; false if that overflows. */
static bool ram_map_length(uint64_t size, size_t *len)
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

    if (size > (uint64_t)SIZE_MAX - page + 1) {
        return false;
    }
    *len = (size_t)((size + page - 1) & ~(page - 1));
    return true;
}

static bool ram_region_alloc(MemoryRegion *mr, MemoryRegionKind kind, Object *owner,
                             const char *name, uint64_t size, GError **errp)
{
    g_autofree char *size_str = format_size(size);
    const char *what = kind == MR_KIND_ROM ? "ROM" : "RAM";
    size_t len;
    void *ptr;

    if (size == 0) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "cannot allocate %s for '%s': size is 0",
                        what, name);
        return false;
    }
    if (!ram_map_length(size, &len)) {
        error_setg(errp, "cannot allocate %s of %s for '%s': %s", size_str, what, name,
                   g_strerror(ENOMEM));
        return false;
    }
    /* Anonymous memory comes zeroed; NORESERVE lets a large guest RAM be
     * promised without the host committing swap for all of it. */
    ptr = mmap(NULL, len, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ptr == MAP_FAILED) {
        int err = errno;

        error_setg(errp, "cannot allocate %s of %s for '%s': %s", size_str, what, name,
                   g_strerror(err));
        return false;
    }
    region_init_common(mr, kind, owner, name, size);
    mr->ram_ptr = ptr;
    mr->ram_owned = true;
    return true;
}

bool memory_region_init_ram(MemoryRegion *mr, Object *owner, const char *name,
                            uint64_t size, GError **errp)
{
    memset(mr, 0, sizeof(*mr));
    return ram_region_alloc(mr, MR_KIND_RAM, owner, name, size, errp);
}

void memory_region_init_ram_ptr(MemoryRegion *mr, Object *owner, const char *name,
                                uint64_t size, void *ptr)
{
    g_assert(ptr);
    region_init_common(mr, MR_KIND_RAM, owner, name, size);
    mr->ram_ptr = ptr;
}

bool memory_region_init_rom(MemoryRegion *mr, Object *owner, const char *name,
                            uint64_t size, GError **errp)
{
    memset(mr, 0, sizeof(*mr));
    return ram_region_alloc(mr, MR_KIND_ROM, owner, name, size, errp);
}

void memory_region_init_alias(MemoryRegion *mr, Object *owner, const char *name,
                              MemoryRegion *orig, hwaddr offset, uint64_t size)
{
    g_assert(orig);
    region_init_common(mr, MR_KIND_ALIAS, owner, name, size);
    mr->alias = orig;
    mr->alias_offset = offset;
}

/* ---- transactions and address spaces ---- */

static unsigned transaction_depth;
static bool update_pending;
static GPtrArray *address_spaces;    /* AddressSpace *, every initialised one */

/*
 * Guards taking a reference to an address space's current view against
 * the view being replaced and freed in between: a reader on a vCPU thread
 * must hold its reference before the writer can drop the last one.
 */
static GMutex view_lock;

static FlatView *address_space_get_view(AddressSpace *as)
{
    FlatView *view;

    g_mutex_lock(&view_lock);
    view = as->current_map;
    flatview_ref(view);
    g_mutex_unlock(&view_lock);
    return view;
}

static void section_from_range(const FlatRange *fr, MemorySection *s)
{
    uint64_t span = fr->last - fr->addr;

    s->mr = fr->mr;
    s->offset_within_region = fr->offset;
    s->addr = fr->addr;
    /* A range covering all 2^64 bytes is given as UINT64_MAX, like region sizes. */
    s->size = span == UINT64_MAX ? UINT64_MAX : span + 1;
    s->readonly = fr->readonly;
}

static void listener_add_range(const FlatRange *fr, void *opaque)
{
    MemoryListener *l = opaque;
    MemorySection s;

    if (l->region_add) {
        section_from_range(fr, &s);
        l->region_add(l, &s);
    }
}

static void listener_del_range(const FlatRange *fr, void *opaque)
{
    MemoryListener *l = opaque;
    MemorySection s;

    if (l->region_del) {
        section_from_range(fr, &s);
        l->region_del(l, &s);
    }
}

/* Tells l what changed from old to new (either may be NULL for empty). */
static void listener_notify(MemoryListener *l, FlatView *old, FlatView *new)
{
    /* Removals first, so a KVM slot is free before its replacement arrives. */
    if (old) {
        flatview_ram_diff(old, new, listener_del_range, l);
    }
    if (new) {
        flatview_ram_diff(new, old, listener_add_range, l);
    }
    if (l->commit) {
        l->commit(l);
    }
}

/* ---- ioeventfds ---- */

static bool eventfd_same(const MemoryEventfd *a, const MemoryEventfd *b)
{
    return a->addr == b->addr && a->size == b->size && a->match_data == b->match_data &&
           (!a->match_data || a->data == b->data) && a->fd == b->fd;
}

static int eventfd_compare(gconstpointer pa, gconstpointer pb)
{
    const MemoryEventfd *a = pa, *b = pb;

    if (a->addr != b->addr) {
        return a->addr < b->addr ? -1 : 1;
    }
    if (a->size != b->size) {
        return a->size < b->size ? -1 : 1;
    }
    if (a->data != b->data) {
        return a->data < b->data ? -1 : 1;
    }
    return a->fd - b->fd;
}

static gssize eventfd_find(GArray *set, const MemoryEventfd *e)
{
    for (guint i = 0; set && i < set->len; i++) {
        if (eventfd_same(&g_array_index(set, MemoryEventfd, i), e)) {
            return i;
        }
    }
    return -1;
}

/* The ioeventfds the view shows, at their addresses in the space: those of
 * each I/O range whose bytes lie wholly inside the range. */
static GArray *view_eventfds(const FlatView *view)
{
    GArray *set = g_array_new(FALSE, FALSE, sizeof(MemoryEventfd));

    for (unsigned i = 0; i < view->nr; i++) {
        const FlatRange *fr = &view->ranges[i];
        GArray *mine = fr->mr->eventfds;

        for (guint k = 0; fr->mr->kind == MR_KIND_IO && mine && k < mine->len; k++) {
            MemoryEventfd e = g_array_index(mine, MemoryEventfd, k);
            hwaddr last = e.addr + e.size - 1;

            if (e.addr >= fr->offset && last - fr->offset <= fr->last - fr->addr) {
                e.addr = fr->addr + (e.addr - fr->offset);
                g_array_append_val(set, e);
            }
        }
    }
    g_array_sort(set, eventfd_compare);
    return set;
}

/* Calls fn for every ioeventfd of a that b does not have. */
static void eventfd_diff(GArray *a, GArray *b, MemoryListener *l,
                         void (*fn)(MemoryListener *l, const MemoryEventfd *e))
{
    for (guint i = 0; fn && a && i < a->len; i++) {
        const MemoryEventfd *e = &g_array_index(a, MemoryEventfd, i);

        if (eventfd_find(b, e) < 0) {
            fn(l, e);
        }
    }
}

static void address_space_update_eventfds(AddressSpace *as)
{
    GArray *old = as->eventfds;
    GArray *new = view_eventfds(as->current_map);

    for (GSList *it = as->listeners; it; it = it->next) {
        MemoryListener *l = it->data;

        eventfd_diff(old, new, l, l->eventfd_del);
        eventfd_diff(new, old, l, l->eventfd_add);
    }
    as->eventfds = new;
    if (old) {
        g_array_free(old, TRUE);
    }
}

static void address_space_update(AddressSpace *as)
{
    FlatView *new = flatview_render(as->root);
    FlatView *old = as->current_map;

    if (flatview_equal(old, new)) {
        flatview_unref(new);
    } else {
        g_mutex_lock(&view_lock);
        as->current_map = new;
        g_mutex_unlock(&view_lock);

        for (GSList *it = as->listeners; it; it = it->next) {
            listener_notify(it->data, old, new);
        }
        /* Readers still holding the old view keep it alive until they finish. */
        flatview_unref(old);
    }
    address_space_update_eventfds(as);
}

void memory_region_transaction_begin(void)
{
    transaction_depth++;
}

void memory_region_transaction_commit(void)
{
    g_assert(transaction_depth > 0);
    if (--transaction_depth > 0 || !update_pending) {
        return;
    }
    update_pending = false;
    /* Any address space may see the changed regions, directly or through an alias. */
    if (address_spaces) {
        for (guint i = 0; i < address_spaces->len; i++) {
            address_space_update(g_ptr_array_index(address_spaces, i));
        }
    }
}

/* Every change to the tree is its own transaction unless one is open. */
static void tree_changed(void)
{
    memory_region_transaction_begin();
    update_pending = true;
    memory_region_transaction_commit();
}

void memory_region_add_eventfd(MemoryRegion *mr, hwaddr addr, unsigned size, bool match_data,
                               uint64_t data, int fd)
{
    MemoryEventfd e = { addr, size, match_data, match_data ? data : 0, fd };

    g_assert(mr->kind == MR_KIND_IO && access_size_ok(size) && fd >= 0);
    g_assert(addr + size - 1 >= addr && addr + size - 1 <= mr->size - 1);
    if (!mr->eventfds) {
        mr->eventfds = g_array_new(FALSE, FALSE, sizeof(MemoryEventfd));
    }
    g_assert(eventfd_find(mr->eventfds, &e) < 0);
    g_array_append_val(mr->eventfds, e);
    tree_changed();
}

void memory_region_del_eventfd(MemoryRegion *mr, hwaddr addr, unsigned size, bool match_data,
                               uint64_t data, int fd)
{
    MemoryEventfd e = { addr, size, match_data, match_data ? data : 0, fd };
    gssize i = eventfd_find(mr->eventfds, &e);

    g_assert(i >= 0);
    g_array_remove_index(mr->eventfds, i);
    tree_changed();
}

void memory_region_destroy(MemoryRegion *mr)
{
    g_assert(!mr->container);    /* still mapped */
    if (address_spaces) {
        for (guint i = 0; i < address_spaces->len; i++) {
            AddressSpace *as = g_ptr_array_index(address_spaces, i);

            g_assert(as->root != mr);
        }
    }
    if (mr->subregions) {
        /* Children of an unmapped region are not visible anywhere. */
        for (guint i = 0; i < mr->subregions->len; i++) {
            MemoryRegion *sub = g_ptr_array_index(mr->subregions, i);

            sub->container = NULL;
        }
        g_ptr_array_free(mr->subregions, TRUE);
    }
    if (mr->ram_owned) {
        size_t len = 0;
        bool ok = ram_map_length(mr->size, &len);   /* it fitted when mapped */

        g_assert(ok);
        munmap(mr->ram_ptr, len);
    }
    if (mr->eventfds) {
        g_array_free(mr->eventfds, TRUE);
    }
    g_free(mr->name);
    memset(mr, 0, sizeof(*mr));
}

/* ---- the tree ---- */

static void add_subregion_common(MemoryRegion *container, hwaddr offset, MemoryRegion *sub,
                                 int priority, bool may_overlap)
{
    guint i;

    g_assert(container->subregions && sub->subregions);   /* both initialised */
    g_assert(container->kind != MR_KIND_ALIAS);
    g_assert(!sub->container);                           /* mapped twice */
    for (MemoryRegion *p = container; p; p = p->container) {
        g_assert(p != sub);                              /* would make a loop */
    }

    sub->container = container;
    sub->addr = offset;
    sub->priority = priority;
    sub->may_overlap = may_overlap;
    /* Highest priority first; a newcomer goes before the equals it beats. */
    for (i = 0; i < container->subregions->len; i++) {
        MemoryRegion *other = g_ptr_array_index(container->subregions, i);

        if (other->priority <= priority) {
            break;
        }
    }
    g_ptr_array_insert(container->subregions, (gint)i, sub);
    tree_changed();
}

void memory_region_add_subregion(MemoryRegion *container, hwaddr offset,
                                 MemoryRegion *subregion)
{
    add_subregion_common(container, offset, subregion, 0, false);
}

void memory_region_add_subregion_overlap(MemoryRegion *container, hwaddr offset,
                                         MemoryRegion *subregion, int priority)
{
    add_subregion_common(container, offset, subregion, priority, true);
}

void memory_region_del_subregion(MemoryRegion *container, MemoryRegion *subregion)
{
    bool found;

    g_assert(subregion->container == container);
    found = g_ptr_array_remove(container->subregions, subregion);
    g_assert(found);
    subregion->container = NULL;
    tree_changed();
}

void memory_region_set_enabled(MemoryRegion *mr, bool enabled)
{
    if (mr->enabled != enabled) {
        mr->enabled = enabled;
        tree_changed();
    }
}

void memory_region_set_address(MemoryRegion *mr, hwaddr addr)
{
    if (mr->addr != addr) {
        mr->addr = addr;
        tree_changed();
    }
}

void memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset)
{
    g_assert(mr->kind == MR_KIND_ALIAS);
    if (mr->alias_offset != offset) {
        mr->alias_offset = offset;
        tree_changed();
    }
}

uint64_t memory_region_size(MemoryRegion *mr)
{
    return mr->size;
}

const char *memory_region_name(MemoryRegion *mr)
{
    return mr->name;
}

bool memory_region_is_ram(MemoryRegion *mr)
{
    return mr->kind == MR_KIND_RAM || mr->kind == MR_KIND_ROM;
}

bool memory_region_is_rom(MemoryRegion *mr)
{
    return mr->kind == MR_KIND_ROM;
}

void *memory_region_get_ram_ptr(MemoryRegion *mr)
{
    hwaddr offset = 0;

    while (mr->kind == MR_KIND_ALIAS) {
        offset += mr->alias_offset;
        mr = mr->alias;
    }
    if (!memory_region_is_ram(mr)) {
        return NULL;
    }
    return mr->ram_ptr + offset;
}

/* ---- address spaces ---- */

void address_space_init(AddressSpace *as, MemoryRegion *root, const char *name)
{
    memset(as, 0, sizeof(*as));
    as->name = g_strdup(name ? name : "anonymous");
    as->root = root;
    as->unassigned = UNASSIGNED_ERROR;
    as->current_map = flatview_render(root);
    address_space_update_eventfds(as);
    if (!address_spaces) {
        address_spaces = g_ptr_array_new();
    }
    g_ptr_array_add(address_spaces, as);
}

void address_space_destroy(AddressSpace *as)
{
    bool found = address_spaces && g_ptr_array_remove(address_spaces, as);

    g_assert(found);
    /* Listeners still registered hear every section go away. */
    for (GSList *it = as->listeners; it; it = it->next) {
        MemoryListener *l = it->data;

        listener_notify(l, as->current_map, NULL);
        eventfd_diff(as->eventfds, NULL, l, l->eventfd_del);
        l->as = NULL;
    }
    g_slist_free(as->listeners);
    g_array_free(as->eventfds, TRUE);
    flatview_unref(as->current_map);
    g_free(as->name);
    memset(as, 0, sizeof(*as));
}

static MemoryRegion system_memory;
static AddressSpace system_address_space;

AddressSpace *address_space_memory(void)
{
    static gsize initialised;

    if (g_once_init_enter(&initialised)) {
        memory_region_init(&system_memory, NULL, "system", UINT64_MAX);
        address_space_init(&system_address_space, &system_memory, "memory");
        g_once_init_leave(&initialised, 1);
    }
    return &system_address_space;
}

MemoryRegion *get_system_memory(void)
{
    return address_space_memory()->root;
}

/* ---- MMIO dispatch ---- */

static uint64_t bytes_to_value(const uint8_t *bytes, unsigned size, bool big_endian)
{
    uint64_t value = 0;

    for (unsigned k = 0; k < size; k++) {
        unsigned shift = 8 * (big_endian ? size - 1 - k : k);

        value |= (uint64_t)bytes[k] << shift;
    }
    return value;
}

static void value_to_bytes(uint64_t value, uint8_t *bytes, unsigned size, bool big_endian)
{
    for (unsigned k = 0; k < size; k++) {
        unsigned shift = 8 * (big_endian ? size - 1 - k : k);

        bytes[k] = (uint8_t)(value >> shift);
    }
}

static bool device_is_big_endian(AddressSpace *as, const MemoryRegion *mr)
{
    switch (mr->ops->endianness) {
    case DEVICE_BIG_ENDIAN:
        return true;
    case DEVICE_LITTLE_ENDIAN:
        return false;
    case DEVICE_NATIVE_ENDIAN:
    default:
        return as->big_endian;
    }
}

static uint64_t size_mask(unsigned size)
{
    return size == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * size)) - 1;
}

/* One call of the device's read callback for a unit it implements. */
static MemTxResult device_read(MemoryRegion *mr, hwaddr offset, unsigned size, uint64_t *value)
{
    const MemoryRegionOps *ops = mr->ops;
    MemTxResult r = MEMTX_OK;

    *value = 0;
    if (ops->read_with_result) {
        r = ops->read_with_result(mr->opaque, offset, value, size);
    } else if (ops->read) {
        *value = ops->read(mr->opaque, offset, size);
    } else {
        log_mask(LOG_GUEST_ERROR, "%s: read at offset 0x%" PRIx64 " of a write-only region\n",
                 mr->name, offset);
        return MEMTX_DECODE_ERROR;
    }
    /* A failed read yields zeros like an unassigned one, whatever the device left. */
    *value = r == MEMTX_OK ? *value & size_mask(size) : 0;
    log_mask(LOG_TRACE_DEV, "%s: read  0x%" PRIx64 " +%u -> 0x%" PRIx64 "%s\n", mr->name,
             offset, size, *value, r == MEMTX_OK ? "" : " (error)");
    return r;
}

static MemTxResult device_write(MemoryRegion *mr, hwaddr offset, unsigned size, uint64_t value)
{
    const MemoryRegionOps *ops = mr->ops;
    MemTxResult r = MEMTX_OK;

    log_mask(LOG_TRACE_DEV, "%s: write 0x%" PRIx64 " +%u <- 0x%" PRIx64 "\n", mr->name,
             offset, size, value);
    if (ops->write_with_result) {
        r = ops->write_with_result(mr->opaque, offset, value, size);
    } else if (ops->write) {
        ops->write(mr->opaque, offset, value, size);
    } else {
        log_mask(LOG_GUEST_ERROR, "%s: write at offset 0x%" PRIx64 " of a read-only region\n",
                 mr->name, offset);
        return MEMTX_DECODE_ERROR;
    }
    return r;
}

/*
 * Performs an access the bus accepted on the units the callbacks
 * implement. The unit is the access size clamped to impl; the bytes
 * [offset, offset + size) are covered by unit-aligned units, so a wide
 * access becomes several calls and a narrow or misaligned one reads the
 * enclosing unit(s) (unless impl.unaligned lets a misaligned access of an
 * implemented size through whole). A write that covers only part of a unit is done as
 * read-modify-write of that unit (a device that implements only wide
 * accesses cannot be told about a narrower one any other way).
 */
static MemTxResult io_impl_access(MemoryRegion *mr, hwaddr offset, uint8_t *bytes,
                                  unsigned size, bool is_write, bool big_endian)
{
    unsigned unit = CLAMP(size, impl_min(mr->ops), impl_max(mr->ops));
    hwaddr last_byte = offset + size - 1;
    hwaddr first_unit = offset & ~(hwaddr)(unit - 1);
    hwaddr last_unit = last_byte & ~(hwaddr)(unit - 1);
    MemTxResult result = MEMTX_OK;

    if (unit == size && mr->ops->impl.unaligned) {
        /* The device takes this access as it is, wherever it falls. */
        first_unit = last_unit = offset;
    }
    for (hwaddr p = first_unit;; p += unit) {
        /* The part of this unit the access covers: [lo, hi], inclusive. */
        hwaddr lo = MAX(p, offset);
        hwaddr hi = MIN(p + unit - 1, last_byte);
        bool whole = lo == p && hi == p + unit - 1;
        uint8_t lane[8];
        uint64_t value = 0;
        MemTxResult r = MEMTX_OK;

        if (!is_write || !whole) {
            r = device_read(mr, p, unit, &value);
            value_to_bytes(value, lane, unit, big_endian);
        }
        if (!is_write) {
            memcpy(bytes + (lo - offset), lane + (lo - p), hi - lo + 1);
        } else if (r == MEMTX_OK) {
            memcpy(lane + (lo - p), bytes + (lo - offset), hi - lo + 1);
            r = device_write(mr, p, unit, bytes_to_value(lane, unit, big_endian));
        }
        if (result == MEMTX_OK) {
            result = r;
        }
        if (p == last_unit) {
            break;
        }
    }
    return result;
}

/* A write the region's ioeventfds take: signals the first that matches. */
static bool eventfd_signal(MemoryRegion *mr, hwaddr offset, const uint8_t *bytes, unsigned size,
                           bool big_endian)
{
    uint64_t value = bytes_to_value(bytes, size, big_endian);

    for (guint i = 0; i < mr->eventfds->len; i++) {
        const MemoryEventfd *e = &g_array_index(mr->eventfds, MemoryEventfd, i);
        uint64_t one = 1;

        if (e->addr == offset && e->size == size && (!e->match_data || e->data == value)) {
            log_mask(LOG_TRACE_DEV, "%s: write 0x%" PRIx64 " +%u <- 0x%" PRIx64 ": eventfd\n",
                     mr->name, offset, size, value);
            /* EAGAIN: the counter is at its maximum, the device is woken anyway */
            if (write(e->fd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
                log_mask(LOG_GUEST_ERROR, "%s: eventfd: %s\n", mr->name, strerror(errno));
            }
            return true;
        }
    }
    return false;
}

/* One access as the bus sees it: checked against valid, then performed. */
static MemTxResult io_dispatch(AddressSpace *as, MemoryRegion *mr, hwaddr offset,
                               uint8_t *bytes, unsigned size, bool is_write)
{
    const MemoryRegionOps *ops = mr->ops;
    bool misaligned = (offset & (size - 1)) != 0;

    if (size < valid_min(ops) || size > valid_max(ops) || (misaligned && !ops->valid.unaligned)) {
        log_mask(LOG_GUEST_ERROR,
                 "%s: invalid %s of %u bytes at offset 0x%" PRIx64 " (%s)\n", mr->name,
                 is_write ? "write" : "read", size, offset,
                 misaligned && !ops->valid.unaligned ? "misaligned" : "size not accepted");
        if (!is_write) {
            memset(bytes, 0, size);
        }
        return MEMTX_DECODE_ERROR;
    }
    if (is_write && mr->eventfds &&
        eventfd_signal(mr, offset, bytes, size, device_is_big_endian(as, mr))) {
        return MEMTX_OK;
    }
    return io_impl_access(mr, offset, bytes, size, is_write, device_is_big_endian(as, mr));
}

/* Cuts len bytes into the largest naturally aligned accesses the bus takes. */
static MemTxResult io_access(AddressSpace *as, MemoryRegion *mr, hwaddr offset,
                             uint8_t *buf, hwaddr len, bool is_write)
{
    unsigned max = valid_max(mr->ops);
    MemTxResult result = MEMTX_OK;

    while (len > 0) {
        unsigned size = max;
        MemTxResult r;

        while (size > len || (offset & (size - 1)) != 0) {
            size >>= 1;
        }
        r = io_dispatch(as, mr, offset, buf, size, is_write);
        if (result == MEMTX_OK) {
            result = r;
        }
        offset += size;
        buf += size;
        len -= size;
    }
    return result;
}

/* ---- accesses ---- */

typedef enum {
    ACCESS_GUEST,     /* the guest or a device doing DMA */
    ACCESS_LOADER,    /* write_rom: RAM and ROM only, nothing logged */
} AccessMode;

static MemTxResult unassigned_access(AddressSpace *as, hwaddr addr, uint8_t *buf, hwaddr len,
                                     bool is_write, AccessMode mode)
{
    if (!is_write) {
        memset(buf, 0, len);
    }
    if (mode == ACCESS_LOADER) {
        return MEMTX_DECODE_ERROR;
    }
    log_mask(LOG_GUEST_ERROR, "unassigned %s of %" PRIu64 " bytes at 0x%" PRIx64 " in '%s'\n",
             is_write ? "write" : "read", len, addr, as->name);
    return as->unassigned == UNASSIGNED_RAZ_WI ? MEMTX_OK : MEMTX_DECODE_ERROR;
}

static MemTxResult range_access(AddressSpace *as, const FlatRange *fr, hwaddr addr,
                                uint8_t *buf, hwaddr len, bool is_write, AccessMode mode)
{
    MemoryRegion *mr = fr->mr;
    hwaddr offset = fr->offset + (addr - fr->addr);

    switch (mr->kind) {
    case MR_KIND_RAM:
    case MR_KIND_ROM:
        if (!is_write) {
            memcpy(buf, mr->ram_ptr + offset, len);
        } else if (mr->kind == MR_KIND_ROM && mode != ACCESS_LOADER) {
            /* Like a real ROM: the write goes nowhere and the bus does not complain. */
            log_mask(LOG_GUEST_ERROR,
                     "%s: write of %" PRIu64 " bytes at offset 0x%" PRIx64 " to ROM ignored\n",
                     mr->name, len, offset);
        } else {
            memcpy(mr->ram_ptr + offset, buf, len);
        }
        return MEMTX_OK;
    case MR_KIND_IO:
        if (mode == ACCESS_LOADER) {
            return MEMTX_DECODE_ERROR;
        }
        return io_access(as, mr, offset, buf, len, is_write);
    default:
        g_assert_not_reached();   /* flat views hold terminal regions only */
    }
}

static MemTxResult view_access(AddressSpace *as, FlatView *view, hwaddr addr, uint8_t *buf,
                               hwaddr len, bool is_write, AccessMode mode)
{
    MemTxResult result = MEMTX_OK;

    while (len > 0) {
        unsigned i = flatview_search(view, addr);
        hwaddr span;    /* bytes available from addr, minus one (cannot overflow) */
        hwaddr chunk;
        MemTxResult r;

        if (i < view->nr && view->ranges[i].addr <= addr) {
            span = view->ranges[i].last - addr;
        } else if (i < view->nr) {
            span = view->ranges[i].addr - addr - 1;
        } else {
            span = HWADDR_MAX - addr;
        }
        chunk = len - 1 <= span ? len : span + 1;

        if (i < view->nr && view->ranges[i].addr <= addr) {
            r = range_access(as, &view->ranges[i], addr, buf, chunk, is_write, mode);
        } else {
            r = unassigned_access(as, addr, buf, chunk, is_write, mode);
        }
        if (result == MEMTX_OK) {
            result = r;
        }
        len -= chunk;
        buf += chunk;
        if (len > 0 && addr + chunk == 0) {
            /* Addresses do not wrap: what lies past 2^64 is nowhere. */
            if (!is_write) {
                memset(buf, 0, len);
            }
            if (mode != ACCESS_LOADER) {
                log_mask(LOG_GUEST_ERROR,
                         "%s of %" PRIu64 " bytes runs past the top of '%s'\n",
                         is_write ? "write" : "read", len, as->name);
            }
            return result == MEMTX_OK ? MEMTX_DECODE_ERROR : result;
        }
        addr += chunk;
    }
    return result;
}

static MemTxResult address_space_rw(AddressSpace *as, hwaddr addr, uint8_t *buf, hwaddr len,
                                    bool is_write, AccessMode mode)
{
    FlatView *view = address_space_get_view(as);
    MemTxResult r = view_access(as, view, addr, buf, len, is_write, mode);

    flatview_unref(view);
    return r;
}

MemTxResult address_space_read(AddressSpace *as, hwaddr addr, void *buf, hwaddr len)
{
    return address_space_rw(as, addr, buf, len, false, ACCESS_GUEST);
}

MemTxResult address_space_write(AddressSpace *as, hwaddr addr, const void *buf, hwaddr len)
{
    /* The buffer is only read on this path. */
    return address_space_rw(as, addr, (uint8_t *)buf, len, true, ACCESS_GUEST);
}

MemTxResult address_space_write_rom(AddressSpace *as, hwaddr addr, const void *buf,
                                    hwaddr len)
{
    return address_space_rw(as, addr, (uint8_t *)buf, len, true, ACCESS_LOADER);
}

/*
 * A single access: when it falls inside one MMIO range it reaches the
 * device as one access of that size (so valid.unaligned is honoured);
 * otherwise it is moved byte-exactly like address_space_read/write.
 */
static MemTxResult single_access(AddressSpace *as, hwaddr addr, uint8_t *bytes, unsigned size,
                                 bool is_write)
{
    FlatView *view = address_space_get_view(as);
    unsigned i = flatview_search(view, addr);
    MemTxResult r;

    g_assert(access_size_ok(size));
    if (i < view->nr && view->ranges[i].addr <= addr &&
        view->ranges[i].mr->kind == MR_KIND_IO && size - 1 <= view->ranges[i].last - addr) {
        const FlatRange *fr = &view->ranges[i];

        r = io_dispatch(as, fr->mr, fr->offset + (addr - fr->addr), bytes, size, is_write);
    } else {
        r = view_access(as, view, addr, bytes, size, is_write, ACCESS_GUEST);
    }
    flatview_unref(view);
    return r;
}

MemTxResult address_space_load(AddressSpace *as, hwaddr addr, unsigned size,
                               bool big_endian, uint64_t *value)
{
    uint8_t bytes[8];
    MemTxResult r = single_access(as, addr, bytes, size, false);

    *value = bytes_to_value(bytes, size, big_endian);
    return r;
}

MemTxResult address_space_store(AddressSpace *as, hwaddr addr, unsigned size,
                                bool big_endian, uint64_t value)
{
    uint8_t bytes[8];

    g_assert(access_size_ok(size));
    value_to_bytes(value, bytes, size, big_endian);
    return single_access(as, addr, bytes, size, true);
}

MemoryRegion *address_space_translate(AddressSpace *as, hwaddr addr, hwaddr *xlat,
                                      hwaddr *plen)
{
    FlatView *view = address_space_get_view(as);
    unsigned i = flatview_search(view, addr);
    MemoryRegion *mr = NULL;
    hwaddr span;

    if (i < view->nr && view->ranges[i].addr <= addr) {
        const FlatRange *fr = &view->ranges[i];

        mr = fr->mr;
        *xlat = fr->offset + (addr - fr->addr);
        span = fr->last - addr;
    } else {
        *xlat = 0;
        span = i < view->nr ? view->ranges[i].addr - addr - 1 : HWADDR_MAX - addr;
    }
    if (plen && *plen > 0 && *plen - 1 > span) {
        *plen = span + 1;
    }
    flatview_unref(view);
    return mr;
}

/* ---- listeners ---- */

void memory_listener_register(MemoryListener *l, AddressSpace *as)
{
    g_assert(!l->as);
    l->as = as;
    as->listeners = g_slist_append(as->listeners, l);
    listener_notify(l, NULL, as->current_map);
    eventfd_diff(as->eventfds, NULL, l, l->eventfd_add);
}

void memory_listener_unregister(MemoryListener *l)
{
    AddressSpace *as = l->as;

    if (!as) {
        return;
    }
    listener_notify(l, as->current_map, NULL);
    eventfd_diff(as->eventfds, NULL, l, l->eventfd_del);
    as->listeners = g_slist_remove(as->listeners, l);
    l->as = NULL;
}

void address_space_dump(AddressSpace *as, GString *out)
{
    FlatView *view = address_space_get_view(as);

    for (unsigned i = 0; i < view->nr; i++) {
        const FlatRange *fr = &view->ranges[i];
        const char *kind = fr->mr->kind == MR_KIND_IO ? "i/o"
                           : fr->readonly             ? "rom"
                                                      : "ram";

        g_string_append_printf(out, "%016" PRIx64 "-%016" PRIx64 " (prio %d, %s): %s",
                               fr->addr, fr->last, fr->mr->priority, kind, fr->mr->name);
        if (fr->offset != 0) {
            g_string_append_printf(out, " @0x%" PRIx64, fr->offset);
        }
        g_string_append_c(out, '\n');
    }
    flatview_unref(view);
}

/* ---- the I/O port space ---- */

static MemoryRegion system_io;
static AddressSpace system_io_space;

AddressSpace *address_space_io(void)
{
    static gsize initialised;

    if (g_once_init_enter(&initialised)) {
        memory_region_init(&system_io, NULL, "io", 0x10000);
        address_space_init(&system_io_space, &system_io, "I/O");
        g_once_init_leave(&initialised, 1);
    }
    return &system_io_space;
}

MemoryRegion *get_system_io(void)
{
    return address_space_io()->root;
}
