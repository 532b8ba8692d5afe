/*
 * The memory API: regions (RAM, ROM, MMIO, containers, aliases) arranged in
 * a tree, and address spaces that see the tree through a flat view rebuilt
 * whenever the tree changes.
 *
 * Addresses are hwaddr (uint64_t). Accesses through an address space return
 * a MemTxResult; unassigned addresses follow the space's policy and are
 * logged under -d guest_errors. MMIO regions declare which access sizes the
 * bus accepts (valid) and which the device's callbacks implement (impl);
 * the core splits wide accesses and widens narrow ones between the two, and
 * converts between the device's endianness and guest byte order.
 *
 * Regions in a container are stacked by priority: higher wins where they
 * overlap, and among equal priorities the later addition wins. Containers
 * are transparent: where none of a container's subregions answers, the
 * regions below it (lower priority) show through; where nothing answers,
 * the address is unassigned. A RAM, ROM or I/O region may also have
 * subregions, which then sit on top of it.
 *
 * A region of size UINT64_MAX stands for all 2^64 bytes. Addresses never
 * wrap: the bytes of an access that would run past 2^64 are a decode error.
 *
 * Threads: the tree is changed with the big lock held; accesses to device
 * regions also run under the big lock. RAM has a fixed host pointer for its
 * lifetime, which the TLB and KVM use directly. Flat views are reference
 * counted, so a reader on another thread keeps a consistent view while the
 * tree changes.
 */
#ifndef PROTEUS_MEMORY_H
#define PROTEUS_MEMORY_H

#include "proteus/qom.h"

typedef uint64_t hwaddr;
#define HWADDR_MAX UINT64_MAX

typedef enum {
    MEMTX_OK = 0,
    MEMTX_DECODE_ERROR,   /* nothing at that address, or an access size the region refuses */
    MEMTX_DEVICE_ERROR,   /* the device said no */
} MemTxResult;

typedef enum {
    DEVICE_NATIVE_ENDIAN,  /* the guest's: set per address space (default little) */
    DEVICE_LITTLE_ENDIAN,
    DEVICE_BIG_ENDIAN,
} DeviceEndian;

typedef struct MemoryRegion MemoryRegion;
typedef struct AddressSpace AddressSpace;
typedef struct FlatView FlatView;
typedef struct MemoryListener MemoryListener;

typedef struct MemoryRegionOps {
    /* size is 1, 2, 4 or 8; addr is relative to the region's start. */
    uint64_t (*read)(void *opaque, hwaddr addr, unsigned size);
    void (*write)(void *opaque, hwaddr addr, uint64_t value, unsigned size);
    /* Optional forms that can fail; used instead of read/write when set. */
    MemTxResult (*read_with_result)(void *opaque, hwaddr addr, uint64_t *value,
                                    unsigned size);
    MemTxResult (*write_with_result)(void *opaque, hwaddr addr, uint64_t value,
                                     unsigned size);
    DeviceEndian endianness;
    struct {
        /* What the bus accepts; other sizes are MEMTX_DECODE_ERROR (and logged).
         * 0 = defaults: min 1, max 4. */
        unsigned min_access_size;
        unsigned max_access_size;
        bool unaligned;              /* accept accesses not aligned to their size */
    } valid;
    struct {
        /* What the callbacks implement; 0 = same as valid. Wider accesses
         * are split into several calls, combined in the device's byte order;
         * narrower ones read the enclosing unit, and narrower writes do a
         * read-modify-write of it. */
        unsigned min_access_size;
        unsigned max_access_size;
        /* The callbacks take misaligned offsets (for sizes within impl);
         * otherwise they only ever see offsets aligned to the size. */
        bool unaligned;
    } impl;
} MemoryRegionOps;

typedef enum {
    MR_KIND_CONTAINER,
    MR_KIND_RAM,
    MR_KIND_ROM,        /* RAM the guest cannot write (writes are logged and dropped) */
    MR_KIND_IO,
    MR_KIND_ALIAS,
} MemoryRegionKind;

struct MemoryRegion {
    MemoryRegionKind kind;
    char *name;
    Object *owner;                 /* the device, for logs and lifetime */
    uint64_t size;                 /* UINT64_MAX: all 2^64 bytes */
    bool enabled;
    /* RAM / ROM */
    uint8_t *ram_ptr;
    bool ram_owned;                /* allocated (mmap) by us */
    /* IO */
    const MemoryRegionOps *ops;
    void *opaque;
    /* alias */
    MemoryRegion *alias;
    hwaddr alias_offset;
    /* position in the parent container */
    MemoryRegion *container;
    hwaddr addr;
    int priority;
    bool may_overlap;
    GPtrArray *subregions;         /* MemoryRegion *, highest priority first,
                                      later additions first among equals */
    GArray *eventfds;              /* MemoryEventfd, offsets in the region */
};

/* Region set-up. size is in bytes. */
void memory_region_init(MemoryRegion *mr, Object *owner, const char *name, uint64_t size);
void memory_region_init_io(MemoryRegion *mr, Object *owner, const MemoryRegionOps *ops,
                           void *opaque, const char *name, uint64_t size);
/* Allocates zeroed host memory (anonymous mmap, page aligned). On failure
 * errp names the region and the size, and mr is left zeroed. */
bool memory_region_init_ram(MemoryRegion *mr, Object *owner, const char *name,
                            uint64_t size, GError **errp);
/* RAM backed by memory the caller owns and keeps alive. */
void memory_region_init_ram_ptr(MemoryRegion *mr, Object *owner, const char *name,
                                uint64_t size, void *ptr);
bool memory_region_init_rom(MemoryRegion *mr, Object *owner, const char *name,
                            uint64_t size, GError **errp);
void memory_region_init_alias(MemoryRegion *mr, Object *owner, const char *name,
                              MemoryRegion *orig, hwaddr offset, uint64_t size);
/* Releases what init allocated (unmaps owned RAM). The region must not be
 * mapped, an address space's root, or the target of a live alias; its
 * subregions are detached. */
void memory_region_destroy(MemoryRegion *mr);

/* Places subregion at offset in container. Higher priority wins where they
 * overlap; equal priorities are resolved by the later addition winning. */
void memory_region_add_subregion(MemoryRegion *container, hwaddr offset,
                                 MemoryRegion *subregion);
void memory_region_add_subregion_overlap(MemoryRegion *container, hwaddr offset,
                                         MemoryRegion *subregion, int priority);
void memory_region_del_subregion(MemoryRegion *container, MemoryRegion *subregion);
void memory_region_set_enabled(MemoryRegion *mr, bool enabled);
void memory_region_set_address(MemoryRegion *mr, hwaddr addr);
void memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset);

uint64_t memory_region_size(MemoryRegion *mr);
const char *memory_region_name(MemoryRegion *mr);
bool memory_region_is_ram(MemoryRegion *mr);      /* RAM or ROM */
bool memory_region_is_rom(MemoryRegion *mr);
/* Host pointer to the start of a RAM/ROM region, or for an alias of one
 * the pointer at the alias's offset; NULL otherwise. */
void *memory_region_get_ram_ptr(MemoryRegion *mr);

/*
 * ioeventfds: a guest write of exactly size bytes at offset addr of an I/O
 * region (and, with match_data, of the value data, in the device's byte
 * order) adds 1 to the eventfd fd instead of calling the region's write
 * callback; the device handles it when fd becomes readable (main loop).
 * Under KVM the kernel signals fd itself, without leaving guest mode
 * (KVM_IOEVENTFD); any other write path (TCG, an exit KVM did not match,
 * DMA, the debugger) is matched here on dispatch, so the device sees the
 * same thing either way. Adding the same (addr, size, match_data, data)
 * twice is a bug.
 */
typedef struct MemoryEventfd {
    hwaddr addr;
    unsigned size;        /* 1, 2, 4 or 8 */
    bool match_data;
    uint64_t data;
    int fd;
} MemoryEventfd;

void memory_region_add_eventfd(MemoryRegion *mr, hwaddr addr, unsigned size, bool match_data,
                               uint64_t data, int fd);
void memory_region_del_eventfd(MemoryRegion *mr, hwaddr addr, unsigned size, bool match_data,
                               uint64_t data, int fd);

/* Groups changes so the flat views are rebuilt once at the outermost commit. */
void memory_region_transaction_begin(void);
void memory_region_transaction_commit(void);

/* ---- address spaces ---- */

typedef enum {
    UNASSIGNED_ERROR,     /* reads return all zero bits, result MEMTX_DECODE_ERROR */
    UNASSIGNED_RAZ_WI,    /* reads as zero, writes ignored, result MEMTX_OK */
} UnassignedPolicy;

struct AddressSpace {
    char *name;
    MemoryRegion *root;
    FlatView *current_map;
    UnassignedPolicy unassigned;
    bool big_endian;              /* what DEVICE_NATIVE_ENDIAN means here */
    GSList *listeners;
    GArray *eventfds;             /* MemoryEventfd visible in the view, addresses
                                     in the space, sorted by address */
};

void address_space_init(AddressSpace *as, MemoryRegion *root, const char *name);
void address_space_destroy(AddressSpace *as);

/* The whole system bus; created on first use with a 2^64 container as root. */
AddressSpace *address_space_memory(void);
MemoryRegion *get_system_memory(void);
/* The I/O port space (x86 IN/OUT): 64 KiB, created on first use. */
AddressSpace *address_space_io(void);
MemoryRegion *get_system_io(void);

/* buf holds guest-order bytes. RAM is copied; MMIO is split into accesses of
 * the largest size the region accepts at each alignment. Writes to ROM are
 * dropped and logged, with MEMTX_OK (a real ROM ignores them too). An access
 * spanning several ranges completes all of them and returns the first error;
 * reads fill failed parts with zeros. */
MemTxResult address_space_read(AddressSpace *as, hwaddr addr, void *buf, hwaddr len);
MemTxResult address_space_write(AddressSpace *as, hwaddr addr, const void *buf, hwaddr len);
/* One access of exactly size bytes (1, 2, 4, 8) in the given byte order. */
MemTxResult address_space_load(AddressSpace *as, hwaddr addr, unsigned size,
                               bool big_endian, uint64_t *value);
MemTxResult address_space_store(AddressSpace *as, hwaddr addr, unsigned size,
                                bool big_endian, uint64_t value);
/* Writes to RAM and ROM (for loaders); other parts are skipped, not logged,
 * and make the result MEMTX_DECODE_ERROR. */
MemTxResult address_space_write_rom(AddressSpace *as, hwaddr addr, const void *buf,
                                    hwaddr len);

/*
 * Finds what is at addr: the terminal region (never a container or alias),
 * *xlat the offset inside it, *plen (if not NULL) trimmed to the bytes that
 * stay in it. NULL if unassigned; *plen is then trimmed to the hole.
 * For the TLB: RAM regions give a host pointer.
 */
MemoryRegion *address_space_translate(AddressSpace *as, hwaddr addr, hwaddr *xlat,
                                      hwaddr *plen);

/* ---- listeners (KVM memory slots, TLB flushes) ----
 * region_add/region_del are called for each RAM/ROM section that appears or
 * disappears in the flat view, with the section's guest address, size and
 * host pointer; commit once after each rebuild that changed the view (also
 * when only I/O ranges changed). A section of all 2^64 bytes has size
 * UINT64_MAX. Registering calls region_add for every existing section, then
 * commit; unregistering (or destroying the space) calls region_del for each,
 * then commit.
 * eventfd_add/eventfd_del (optional) likewise follow the ioeventfds visible
 * in the space, with their addresses in the space: after a rebuild, on
 * registering and on unregistering. */
typedef struct MemorySection {
    MemoryRegion *mr;
    hwaddr offset_within_region;
    hwaddr addr;          /* in the address space */
    uint64_t size;
    bool readonly;
} MemorySection;

struct MemoryListener {
    void (*region_add)(MemoryListener *l, const MemorySection *section);
    void (*region_del)(MemoryListener *l, const MemorySection *section);
    void (*commit)(MemoryListener *l);
    void (*eventfd_add)(MemoryListener *l, const MemoryEventfd *e);
    void (*eventfd_del)(MemoryListener *l, const MemoryEventfd *e);
    AddressSpace *as;
};

void memory_listener_register(MemoryListener *l, AddressSpace *as);
void memory_listener_unregister(MemoryListener *l);

/* Writes the flat view as text, one line per range, as `info mtree -f` does:
 * "0000000010000000-0000000010000007 (prio 0, i/o): uart0", with the
 * terminal region's priority and name, and " @0x1000" appended when the
 * range starts inside the region (an alias, or a region partly covered). */
void address_space_dump(AddressSpace *as, GString *out);

#endif
