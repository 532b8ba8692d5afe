/*
 * Helpers shared by the memory API's unit tests (test-memory.c and
 * test-memory-tree.c): a root container with an address space, RAM set-up,
 * a recording test device, a fixed-value device, a recording listener and
 * log capture into a temporary directory.
 */
#ifndef TESTS_UNIT_MEMORY_TEST_HELPERS_H
#define TESTS_UNIT_MEMORY_TEST_HELPERS_H

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "proteus/log.h"
#include "proteus/memory.h"

/* ---- log capture ---- */

static char *tmp_dir;
static char *log_path;

static inline void log_capture_start(void)
{
    g_assert_true(log_set_file(log_path, NULL));
    log_set_mask(LOG_GUEST_ERROR);
}

static inline char *log_capture_end(void)
{
    char *text = NULL;

    log_set_mask(0);
    g_assert_true(log_set_file(NULL, NULL));
    g_assert_true(g_file_get_contents(log_path, &text, NULL, NULL));
    return text;
}

/* Makes the temporary directory the log is captured in. */
static inline void log_capture_setup(void)
{
    tmp_dir = g_dir_make_tmp(NULL, NULL);
    g_assert_nonnull(tmp_dir);
    log_path = g_build_filename(tmp_dir, "log.txt", NULL);
}

static inline void log_capture_teardown(void)
{
    g_unlink(log_path);
    g_rmdir(tmp_dir);
    g_free(log_path);
    g_free(tmp_dir);
}

/* ---- fixtures ---- */

typedef struct Fixture {
    MemoryRegion root;
    AddressSpace as;
} Fixture;

static inline void fixture_init(Fixture *f, uint64_t size)
{
    memory_region_init(&f->root, NULL, "root", size);
    address_space_init(&f->as, &f->root, "test");
}

static inline void fixture_fini(Fixture *f)
{
    address_space_destroy(&f->as);
    memory_region_destroy(&f->root);
}

static inline void ram_init(MemoryRegion *mr, const char *name, uint64_t size, uint8_t fill)
{
    GError *err = NULL;

    g_assert_true(memory_region_init_ram(mr, NULL, name, size, &err));
    g_assert_no_error(err);
    memset(memory_region_get_ram_ptr(mr), fill, size);
}

static inline uint8_t read_byte(AddressSpace *as, hwaddr addr)
{
    uint8_t b = 0x5a;

    g_assert_cmpint(address_space_read(as, addr, &b, 1), ==, MEMTX_OK);
    return b;
}

static inline char *dump(AddressSpace *as)
{
    GString *s = g_string_new("");

    address_space_dump(as, s);
    return g_string_free(s, FALSE);
}

/*
 * A device that behaves like a little memory in its own byte order and
 * records every callback. Offsets listed in fail_mask (bit n = offset n)
 * answer MEMTX_DEVICE_ERROR through the _with_result callbacks.
 */
typedef struct TestAccess {
    bool write;
    hwaddr addr;
    unsigned size;
    uint64_t value;
} TestAccess;

typedef struct TestDev {
    MemoryRegion mr;
    MemoryRegionOps ops;
    GArray *log;
    uint8_t mem[64];
    bool big;
    uint64_t fail_mask;
} TestDev;

static inline uint64_t mem_get(const uint8_t *p, unsigned size, bool big)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)p[i] << (8 * (big ? size - 1 - i : i));
    }
    return v;
}

static inline void mem_put(uint8_t *p, unsigned size, bool big, uint64_t v)
{
    for (unsigned i = 0; i < size; i++) {
        p[i] = v >> (8 * (big ? size - 1 - i : i));
    }
}

static inline void tdev_record(TestDev *d, bool write, hwaddr addr, unsigned size, uint64_t value)
{
    TestAccess a = { write, addr, size, value };

    g_assert_true(size == 1 || size == 2 || size == 4 || size == 8);
    g_assert_cmpuint(addr + size, <=, sizeof(d->mem));
    g_array_append_val(d->log, a);
}

static inline uint64_t tdev_read(void *opaque, hwaddr addr, unsigned size)
{
    TestDev *d = opaque;
    uint64_t v;

    g_assert_cmpuint(addr + size, <=, sizeof(d->mem));
    v = mem_get(d->mem + addr, size, d->big);
    tdev_record(d, false, addr, size, v);
    return v;
}

static inline void tdev_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    TestDev *d = opaque;

    tdev_record(d, true, addr, size, value);
    mem_put(d->mem + addr, size, d->big, value);
}

static inline void tdev_init(TestDev *d, const char *name, DeviceEndian endian,
                      unsigned vmin, unsigned vmax, bool unaligned, unsigned imin, unsigned imax)
{
    memset(d, 0, sizeof(*d));
    d->ops.read = tdev_read;
    d->ops.write = tdev_write;
    d->ops.endianness = endian;
    d->ops.valid.min_access_size = vmin;
    d->ops.valid.max_access_size = vmax;
    d->ops.valid.unaligned = unaligned;
    d->ops.impl.min_access_size = imin;
    d->ops.impl.max_access_size = imax;
    d->big = endian == DEVICE_BIG_ENDIAN;
    d->log = g_array_new(FALSE, FALSE, sizeof(TestAccess));
    for (unsigned i = 0; i < sizeof(d->mem); i++) {
        d->mem[i] = 0x10 + i;
    }
    memory_region_init_io(&d->mr, NULL, &d->ops, d, name, sizeof(d->mem));
}

static inline void tdev_fini(TestDev *d)
{
    memory_region_destroy(&d->mr);
    g_array_free(d->log, TRUE);
}

static inline void tdev_expect(TestDev *d, unsigned i, bool write, hwaddr addr, unsigned size,
                        uint64_t value)
{
    TestAccess *a;

    g_assert_cmpuint(i, <, d->log->len);
    a = &g_array_index(d->log, TestAccess, i);
    g_assert_cmpint(a->write, ==, write);
    g_assert_cmphex(a->addr, ==, addr);
    g_assert_cmpuint(a->size, ==, size);
    g_assert_cmphex(a->value, ==, value);
}

/* A device whose every read returns 0x11223344 and which stores writes in *opaque. */
static inline uint64_t fixed_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0x11223344;
}

static inline void fixed_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    *(uint64_t *)opaque = value;
}

/* ---- a listener that records its calls as text ---- */

typedef struct TestListener {
    MemoryListener l;
    GString *events;
} TestListener;

static inline void tl_event(MemoryListener *l, const char *what, const MemorySection *s)
{
    TestListener *t = (TestListener *)l;

    g_string_append_printf(t->events, "%s %s 0x%" G_GINT64_MODIFIER "x+0x%" G_GINT64_MODIFIER
                           "x @0x%" G_GINT64_MODIFIER "x%s; ", what, s->mr->name, s->addr,
                           s->size, s->offset_within_region, s->readonly ? " ro" : "");
}

static inline void tl_add(MemoryListener *l, const MemorySection *s)
{
    tl_event(l, "add", s);
}

static inline void tl_del(MemoryListener *l, const MemorySection *s)
{
    tl_event(l, "del", s);
}

static inline void tl_commit(MemoryListener *l)
{
    g_string_append(((TestListener *)l)->events, "commit; ");
}

static inline void tl_expect(TestListener *t, const char *expected)
{
    g_assert_cmpstr(t->events->str, ==, expected);
    g_string_truncate(t->events, 0);
}

#endif
