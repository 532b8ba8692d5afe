/*
 * Unit tests for the memory API's region tree: priorities and overlaps,
 * nested containers, holes, aliases, a randomized check of flat views
 * against a direct walk of the tree, listeners with transactions, and
 * ioeventfds.
 */
#include <sys/eventfd.h>
#include <unistd.h>

#include "memory-test-helpers.h"

/* ---- the tree ---- */

static void test_priority(void)
{
    Fixture f;
    MemoryRegion a, b, c, low;
    char *text;

    fixture_init(&f, 0x10000);
    ram_init(&a, "a", 0x1000, 0xaa);
    ram_init(&b, "b", 0x400, 0xbb);
    ram_init(&c, "c", 0x400, 0xcc);
    ram_init(&low, "low", 0x2000, 0x11);
    memory_region_add_subregion(&f.root, 0, &a);
    memory_region_add_subregion_overlap(&f.root, 0x400, &b, 1);
    g_assert_cmpint(read_byte(&f.as, 0x3ff), ==, 0xaa);
    g_assert_cmpint(read_byte(&f.as, 0x400), ==, 0xbb);
    g_assert_cmpint(read_byte(&f.as, 0x7ff), ==, 0xbb);
    g_assert_cmpint(read_byte(&f.as, 0x800), ==, 0xaa);

    /* Equal priority: the later addition wins. */
    memory_region_add_subregion_overlap(&f.root, 0x600, &c, 1);
    g_assert_cmpint(read_byte(&f.as, 0x5ff), ==, 0xbb);
    g_assert_cmpint(read_byte(&f.as, 0x600), ==, 0xcc);
    g_assert_cmpint(read_byte(&f.as, 0x9ff), ==, 0xcc);
    g_assert_cmpint(read_byte(&f.as, 0xa00), ==, 0xaa);

    /* A later but lower-priority region only fills what is left. */
    memory_region_add_subregion_overlap(&f.root, 0, &low, -1);
    g_assert_cmpint(read_byte(&f.as, 0), ==, 0xaa);
    g_assert_cmpint(read_byte(&f.as, 0x1000), ==, 0x11);

    text = dump(&f.as);
    g_assert_cmpstr(text, ==,
                    "0000000000000000-00000000000003ff (prio 0, ram): a\n"
                    "0000000000000400-00000000000005ff (prio 1, ram): b\n"
                    "0000000000000600-00000000000009ff (prio 1, ram): c\n"
                    "0000000000000a00-0000000000000fff (prio 0, ram): a @0xa00\n"
                    "0000000000001000-0000000000001fff (prio -1, ram): low @0x1000\n");
    g_free(text);

    /* Removing the top region reveals what was beneath. */
    memory_region_del_subregion(&f.root, &c);
    g_assert_cmpint(read_byte(&f.as, 0x600), ==, 0xbb);
    g_assert_cmpint(read_byte(&f.as, 0x800), ==, 0xaa);

    memory_region_set_enabled(&b, false);
    g_assert_cmpint(read_byte(&f.as, 0x400), ==, 0xaa);
    text = dump(&f.as);
    g_assert_cmpstr(text, ==,
                    "0000000000000000-0000000000000fff (prio 0, ram): a\n"
                    "0000000000001000-0000000000001fff (prio -1, ram): low @0x1000\n");
    g_free(text);
    memory_region_set_enabled(&b, true);
    g_assert_cmpint(read_byte(&f.as, 0x400), ==, 0xbb);

    memory_region_set_enabled(&a, false);
    g_assert_cmpint(read_byte(&f.as, 0), ==, 0x11);

    fixture_fini(&f);
    memory_region_destroy(&a);
    memory_region_destroy(&b);
    memory_region_destroy(&c);
    memory_region_destroy(&low);
}

static void test_nested(void)
{
    Fixture f;
    MemoryRegion outer, inner, ram, big;
    hwaddr xlat, len;

    fixture_init(&f, 0x100000);
    memory_region_init(&outer, NULL, "outer", 0x10000);
    memory_region_init(&inner, NULL, "inner", 0x1000);
    ram_init(&ram, "ram", 0x100, 0x42);
    memory_region_add_subregion(&inner, 0x100, &ram);
    memory_region_add_subregion(&outer, 0x2000, &inner);
    memory_region_add_subregion(&f.root, 0x10000, &outer);

    len = 0x1000;
    g_assert_true(address_space_translate(&f.as, 0x12150, &xlat, &len) == &ram);
    g_assert_cmphex(xlat, ==, 0x50);
    g_assert_cmphex(len, ==, 0xb0);
    g_assert_cmpint(read_byte(&f.as, 0x12100), ==, 0x42);

    /* Moving a container moves everything in it. */
    memory_region_set_address(&outer, 0x40000);
    g_assert_null(address_space_translate(&f.as, 0x12150, &xlat, NULL));
    g_assert_cmpint(read_byte(&f.as, 0x42100), ==, 0x42);
    memory_region_set_address(&inner, 0);
    g_assert_cmpint(read_byte(&f.as, 0x40100), ==, 0x42);

    /* A subregion sticking out of its container is clipped at the container's end. */
    ram_init(&big, "big", 0x2000, 0x99);
    memory_region_add_subregion(&inner, 0x800, &big);
    len = 0x10000;
    g_assert_true(address_space_translate(&f.as, 0x40800, &xlat, &len) == &big);
    g_assert_cmphex(len, ==, 0x800);
    g_assert_null(address_space_translate(&f.as, 0x41000, &xlat, NULL));

    /* Disabling a container hides its contents. */
    memory_region_set_enabled(&outer, false);
    g_assert_null(address_space_translate(&f.as, 0x40100, &xlat, NULL));
    memory_region_set_enabled(&outer, true);

    fixture_fini(&f);
    memory_region_destroy(&outer);
    memory_region_destroy(&inner);
    memory_region_destroy(&ram);
    memory_region_destroy(&big);
}

static void test_holes(void)
{
    Fixture f;
    MemoryRegion box, ram, under;
    char *log;
    uint32_t v = 0xffffffff;

    fixture_init(&f, 0x10000);
    memory_region_init(&box, NULL, "box", 0x1000);
    ram_init(&ram, "ram", 0x100, 0x42);
    memory_region_add_subregion(&box, 0x100, &ram);
    memory_region_add_subregion(&f.root, 0x1000, &box);

    log_capture_start();
    g_assert_cmpint(address_space_read(&f.as, 0x1000, &v, 4), ==, MEMTX_DECODE_ERROR);
    log = log_capture_end();
    g_assert_cmphex(v, ==, 0);
    g_assert_nonnull(strstr(log, "unassigned read of 4 bytes at 0x1000 in 'test'"));
    g_free(log);
    g_assert_cmpint(read_byte(&f.as, 0x1100), ==, 0x42);

    /* Containers are transparent: a lower region shows through the holes. */
    ram_init(&under, "under", 0x4000, 0x33);
    memory_region_add_subregion_overlap(&f.root, 0, &under, -1);
    g_assert_cmpint(read_byte(&f.as, 0x1000), ==, 0x33);
    g_assert_cmpint(read_byte(&f.as, 0x1100), ==, 0x42);
    g_assert_cmpint(read_byte(&f.as, 0x1200), ==, 0x33);

    fixture_fini(&f);
    memory_region_destroy(&box);
    memory_region_destroy(&ram);
    memory_region_destroy(&under);
}

static void test_alias(void)
{
    Fixture f;
    MemoryRegion ram, win, box, io_alias, box_alias, self;
    TestDev d;
    uint8_t *host;
    char *text;
    hwaddr xlat;

    fixture_init(&f, 0x100000);
    ram_init(&ram, "ram", 0x10000, 0);
    host = memory_region_get_ram_ptr(&ram);
    for (unsigned i = 0; i < 0x10000; i++) {
        host[i] = i >> 8;
    }
    memory_region_add_subregion(&f.root, 0, &ram);

    /* A window on part of RAM at another address. */
    memory_region_init_alias(&win, NULL, "win", &ram, 0x2000, 0x1000);
    g_assert_true(memory_region_get_ram_ptr(&win) == host + 0x2000);
    memory_region_add_subregion(&f.root, 0x80000, &win);
    g_assert_cmpint(read_byte(&f.as, 0x80000), ==, 0x20);
    g_assert_cmpint(read_byte(&f.as, 0x80fff), ==, 0x2f);
    g_assert_null(address_space_translate(&f.as, 0x81000, &xlat, NULL));
    g_assert_cmpint(address_space_write(&f.as, 0x80010, "\xab", 1), ==, MEMTX_OK);
    g_assert_cmpint(host[0x2010], ==, 0xab);
    g_assert_cmpint(read_byte(&f.as, 0x2010), ==, 0xab);
    g_assert_true(address_space_translate(&f.as, 0x80010, &xlat, NULL) == &ram);
    g_assert_cmphex(xlat, ==, 0x2010);

    memory_region_set_alias_offset(&win, 0x3000);
    g_assert_cmpint(read_byte(&f.as, 0x80000), ==, 0x30);

    /* An alias reaching past its target's end shows only the target. */
    memory_region_set_alias_offset(&win, 0xf800);
    g_assert_cmpint(read_byte(&f.as, 0x807ff), ==, 0xff);
    g_assert_null(address_space_translate(&f.as, 0x80800, &xlat, NULL));

    text = dump(&f.as);
    g_assert_cmpstr(text, ==,
                    "0000000000000000-000000000000ffff (prio 0, ram): ram\n"
                    "0000000000080000-00000000000807ff (prio 0, ram): ram @0xf800\n");
    g_free(text);

    /* An alias of a container, and an alias of an alias. */
    memory_region_init(&box, NULL, "box", 0x1000);
    tdev_init(&d, "dev", DEVICE_LITTLE_ENDIAN, 1, 8, false, 0, 0);
    memory_region_add_subregion(&box, 0x800, &d.mr);
    memory_region_init_alias(&box_alias, NULL, "box-alias", &box, 0x800, 0x800);
    memory_region_add_subregion(&f.root, 0x90000, &box_alias);
    g_assert_cmpint(read_byte(&f.as, 0x90003), ==, 0x13);
    tdev_expect(&d, 0, false, 3, 1, 0x13);
    memory_region_init_alias(&io_alias, NULL, "alias-alias", &box_alias, 0x10, 0x10);
    memory_region_add_subregion(&f.root, 0xa0000, &io_alias);
    g_assert_cmpint(read_byte(&f.as, 0xa0001), ==, 0x21);

    /* Changes inside the aliased container show through the alias. */
    memory_region_set_address(&d.mr, 0x810);
    g_assert_cmpint(read_byte(&f.as, 0x90013), ==, 0x13);
    g_assert_null(address_space_translate(&f.as, 0x90000, &xlat, NULL));

    /* An alias that is also a subregion of a RAM region (RAM as background). */
    memory_region_init_alias(&self, NULL, "over", &ram, 0x100, 0x10);
    memory_region_add_subregion_overlap(&ram, 0x4000, &self, 1);
    g_assert_cmpint(read_byte(&f.as, 0x4000), ==, 0x01);
    g_assert_cmpint(read_byte(&f.as, 0x4010), ==, 0x40);
    memory_region_del_subregion(&ram, &self);

    fixture_fini(&f);
    memory_region_destroy(&ram);
    memory_region_destroy(&win);
    memory_region_destroy(&box_alias);
    memory_region_destroy(&io_alias);
    memory_region_destroy(&box);
    memory_region_destroy(&self);
    tdev_fini(&d);
}

/*
 * The flat view against a reference: resolve each address by walking the
 * tree directly (highest priority first, later additions first among
 * equals, containers transparent), over random trees and random changes.
 */
static bool ref_resolve(MemoryRegion *mr, uint64_t offset, MemoryRegion **out,
                        uint64_t *out_offset)
{
    if (!mr->enabled || offset >= mr->size) {
        return false;
    }
    if (mr->kind == MR_KIND_ALIAS) {
        return ref_resolve(mr->alias, offset + mr->alias_offset, out, out_offset);
    }
    for (guint i = 0; i < mr->subregions->len; i++) {
        MemoryRegion *sub = g_ptr_array_index(mr->subregions, i);

        if (offset >= sub->addr && ref_resolve(sub, offset - sub->addr, out, out_offset)) {
            return true;
        }
    }
    if (mr->kind == MR_KIND_CONTAINER) {
        return false;
    }
    *out = mr;
    *out_offset = offset;
    return true;
}

#define RANDOM_REGIONS 14
#define RANDOM_SPACE 0x400

static void check_against_reference(Fixture *f)
{
    for (hwaddr addr = 0; addr < RANDOM_SPACE + 0x10; addr++) {
        MemoryRegion *want = NULL, *got;
        uint64_t want_off = 0;
        hwaddr xlat = 0, len = 1;

        ref_resolve(&f->root, addr, &want, &want_off);
        got = address_space_translate(&f->as, addr, &xlat, &len);
        g_assert_true(got == want);
        if (got) {
            g_assert_cmphex(xlat, ==, want_off);
        }
    }
}

static void test_random_trees(void)
{
    static uint8_t backing[RANDOM_SPACE];
    static const MemoryRegionOps ops = { .read = fixed_read, .write = fixed_write };
    GRand *rand = g_rand_new_with_seed(20240601);
    uint64_t sink;

    for (unsigned round = 0; round < 40; round++) {
        Fixture f;
        MemoryRegion regions[RANDOM_REGIONS];
        bool parented[RANDOM_REGIONS] = { false };

        fixture_init(&f, RANDOM_SPACE);
        memory_region_transaction_begin();
        for (int i = 0; i < RANDOM_REGIONS; i++) {
            MemoryRegion *mr = &regions[i];
            uint64_t size = g_rand_int_range(rand, 0x10, 0x200);
            char name[16];

            g_snprintf(name, sizeof(name), "r%d", i);
            switch (i < 3 ? g_rand_int_range(rand, 0, 2) : g_rand_int_range(rand, 0, 4)) {
            case 0:
                memory_region_init_ram_ptr(mr, NULL, name, size, backing);
                break;
            case 1:
                memory_region_init_io(mr, NULL, &ops, &sink, name, size);
                break;
            case 2: {
                /* A container of some earlier regions not placed yet. */
                memory_region_init(mr, NULL, name, size);
                for (int j = 0; j < i; j++) {
                    if (!parented[j] && g_rand_boolean(rand)) {
                        memory_region_add_subregion_overlap(
                            mr, g_rand_int_range(rand, 0, size), &regions[j],
                            g_rand_int_range(rand, -1, 2));
                        parented[j] = true;
                    }
                }
                break;
            }
            default:
                /* Only earlier regions can be aliased, so no loop can form. */
                memory_region_init_alias(mr, NULL, name, &regions[g_rand_int_range(rand, 0, i)],
                                         g_rand_int_range(rand, 0, 0x100), size);
                break;
            }
        }
        for (int i = 0; i < RANDOM_REGIONS; i++) {
            if (!parented[i]) {
                memory_region_add_subregion_overlap(&f.root,
                                                    g_rand_int_range(rand, 0, RANDOM_SPACE),
                                                    &regions[i], g_rand_int_range(rand, -1, 2));
            }
        }
        memory_region_transaction_commit();
        check_against_reference(&f);

        for (unsigned step = 0; step < 6; step++) {
            MemoryRegion *mr = &regions[g_rand_int_range(rand, 0, RANDOM_REGIONS)];

            switch (g_rand_int_range(rand, 0, 3)) {
            case 0:
                memory_region_set_enabled(mr, !mr->enabled);
                break;
            case 1:
                memory_region_set_address(mr, g_rand_int_range(rand, 0, RANDOM_SPACE));
                break;
            default:
                if (mr->kind == MR_KIND_ALIAS) {
                    memory_region_set_alias_offset(mr, g_rand_int_range(rand, 0, 0x100));
                }
                break;
            }
            check_against_reference(&f);
        }

        fixture_fini(&f);
        for (int i = RANDOM_REGIONS - 1; i >= 0; i--) {
            memory_region_destroy(&regions[i]);
        }
    }
    g_rand_free(rand);
}

static void test_listener(void)
{
    Fixture f;
    MemoryRegion a, b, rom;
    TestDev d;
    TestListener t = { .l = { tl_add, tl_del, tl_commit }, .events = g_string_new("") };
    GError *err = NULL;

    fixture_init(&f, 0x100000);
    ram_init(&a, "a", 0x1000, 0);
    ram_init(&b, "b", 0x2000, 0);
    g_assert_true(memory_region_init_rom(&rom, NULL, "rom", 0x1000, &err));
    tdev_init(&d, "dev", DEVICE_LITTLE_ENDIAN, 1, 8, false, 0, 0);
    memory_region_add_subregion(&f.root, 0x1000, &a);

    /* Registering replays what exists. */
    memory_listener_register(&t.l, &f.as);
    g_assert_true(t.l.as == &f.as);
    tl_expect(&t, "add a 0x1000+0x1000 @0x0; commit; ");

    memory_region_add_subregion(&f.root, 0x10000, &b);
    tl_expect(&t, "add b 0x10000+0x2000 @0x0; commit; ");
    memory_region_add_subregion(&f.root, 0x20000, &rom);
    tl_expect(&t, "add rom 0x20000+0x1000 @0x0 ro; commit; ");

    /* I/O changes no RAM section, but the view changed: commit only. */
    memory_region_add_subregion(&f.root, 0x30000, &d.mr);
    tl_expect(&t, "commit; ");

    /* A change that leaves the view as it was is not announced. */
    memory_region_set_address(&b, 0x10000);
    memory_region_set_enabled(&b, true);
    tl_expect(&t, "");

    memory_region_set_address(&b, 0x40000);
    tl_expect(&t, "del b 0x10000+0x2000 @0x0; add b 0x40000+0x2000 @0x0; commit; ");

    /* MMIO laid over RAM cuts the RAM section in two. */
    memory_region_del_subregion(&f.root, &d.mr);
    tl_expect(&t, "commit; ");
    memory_region_add_subregion_overlap(&f.root, 0x40800, &d.mr, 1);
    tl_expect(&t, "del b 0x40000+0x2000 @0x0; add b 0x40000+0x800 @0x0; "
                  "add b 0x40840+0x17c0 @0x840; commit; ");
    memory_region_del_subregion(&f.root, &d.mr);
    tl_expect(&t, "del b 0x40000+0x800 @0x0; del b 0x40840+0x17c0 @0x840; "
                  "add b 0x40000+0x2000 @0x0; commit; ");

    /* A transaction announces once, at the outermost commit. */
    memory_region_transaction_begin();
    memory_region_del_subregion(&f.root, &a);
    memory_region_transaction_begin();
    memory_region_set_address(&b, 0x50000);
    memory_region_transaction_commit();
    tl_expect(&t, "");
    memory_region_set_enabled(&rom, false);
    tl_expect(&t, "");
    memory_region_transaction_commit();
    tl_expect(&t, "del a 0x1000+0x1000 @0x0; del rom 0x20000+0x1000 @0x0 ro; "
                  "del b 0x40000+0x2000 @0x0; add b 0x50000+0x2000 @0x0; commit; ");

    /* A transaction that changes nothing in the end announces nothing. */
    memory_region_transaction_begin();
    memory_region_set_enabled(&b, false);
    memory_region_set_enabled(&b, true);
    memory_region_transaction_commit();
    tl_expect(&t, "");

    memory_listener_unregister(&t.l);
    tl_expect(&t, "del b 0x50000+0x2000 @0x0; commit; ");
    g_assert_null(t.l.as);
    memory_region_set_address(&b, 0x60000);
    tl_expect(&t, "");
    memory_listener_unregister(&t.l);     /* twice is harmless */

    /* Destroying the space tells the listeners still registered. */
    memory_listener_register(&t.l, &f.as);
    tl_expect(&t, "add b 0x60000+0x2000 @0x0; commit; ");
    fixture_fini(&f);
    tl_expect(&t, "del b 0x60000+0x2000 @0x0; commit; ");
    g_assert_null(t.l.as);

    g_string_free(t.events, TRUE);
    memory_region_destroy(&a);
    memory_region_destroy(&b);
    memory_region_destroy(&rom);
    tdev_fini(&d);
}

/* ---- ioeventfds ---- */

static void tl_eventfd(MemoryListener *l, const char *what, const MemoryEventfd *e)
{
    TestListener *t = (TestListener *)l;

    g_string_append_printf(t->events, "%s 0x%" G_GINT64_MODIFIER "x+%u", what, e->addr, e->size);
    if (e->match_data) {
        g_string_append_printf(t->events, " =0x%" G_GINT64_MODIFIER "x", e->data);
    }
    g_string_append(t->events, "; ");
}

static void tl_eventfd_add(MemoryListener *l, const MemoryEventfd *e)
{
    tl_eventfd(l, "add", e);
}

static void tl_eventfd_del(MemoryListener *l, const MemoryEventfd *e)
{
    tl_eventfd(l, "del", e);
}

/* What the eventfd counted since the last call. */
static uint64_t eventfd_take(int fd)
{
    uint64_t v = 0;

    return read(fd, &v, sizeof(v)) == sizeof(v) ? v : 0;
}

static void test_ioeventfd(void)
{
    Fixture f;
    TestDev d;
    MemoryRegion window;
    TestListener t = { .l = { .eventfd_add = tl_eventfd_add, .eventfd_del = tl_eventfd_del },
                       .events = g_string_new("") };
    int fd0 = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    int fd1 = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

    g_assert_cmpint(fd0, >=, 0);
    g_assert_cmpint(fd1, >=, 0);
    fixture_init(&f, 0x100000);
    tdev_init(&d, "dev", DEVICE_LITTLE_ENDIAN, 1, 8, false, 0, 0);

    /* Not mapped yet: no listener hears of it. */
    memory_region_add_eventfd(&d.mr, 0x10, 4, true, 0, fd0);
    memory_listener_register(&t.l, &f.as);
    tl_expect(&t, "");
    memory_region_add_subregion(&f.root, 0x2000, &d.mr);
    tl_expect(&t, "add 0x2010+4 =0x0; ");
    memory_region_add_eventfd(&d.mr, 0x10, 4, true, 1, fd1);
    tl_expect(&t, "add 0x2010+4 =0x1; ");

    /* A matching write counts on its eventfd and never reaches the device. */
    g_assert_cmpint(address_space_store(&f.as, 0x2010, 4, false, 0), ==, MEMTX_OK);
    g_assert_cmpint(address_space_store(&f.as, 0x2010, 4, false, 1), ==, MEMTX_OK);
    g_assert_cmpint(address_space_store(&f.as, 0x2010, 4, false, 1), ==, MEMTX_OK);
    g_assert_cmpuint(d.log->len, ==, 0);
    g_assert_cmpuint(eventfd_take(fd0), ==, 1);
    g_assert_cmpuint(eventfd_take(fd1), ==, 2);
    /* Other data, another size, a read: the device as usual. */
    g_assert_cmpint(address_space_store(&f.as, 0x2010, 4, false, 2), ==, MEMTX_OK);
    g_assert_cmpint(address_space_store(&f.as, 0x2010, 2, false, 0), ==, MEMTX_OK);
    tdev_expect(&d, 0, true, 0x10, 4, 2);
    tdev_expect(&d, 1, true, 0x10, 2, 0);
    g_assert_cmpuint(eventfd_take(fd0), ==, 0);

    /* They move with the region. */
    memory_region_set_address(&d.mr, 0x3000);
    tl_expect(&t, "del 0x2010+4 =0x0; del 0x2010+4 =0x1; add 0x3010+4 =0x0; "
                  "add 0x3010+4 =0x1; ");

    /* An alias shows those inside its window, at their place in it. */
    memory_region_init_alias(&window, NULL, "window", &d.mr, 0x8, 0x10);
    memory_region_add_subregion(&f.root, 0x5000, &window);
    tl_expect(&t, "add 0x5008+4 =0x0; add 0x5008+4 =0x1; ");
    g_assert_cmpint(address_space_store(&f.as, 0x5008, 4, false, 1), ==, MEMTX_OK);
    g_assert_cmpuint(eventfd_take(fd1), ==, 1);
    memory_region_set_alias_offset(&window, 0x14);
    tl_expect(&t, "del 0x5008+4 =0x0; del 0x5008+4 =0x1; ");
    memory_region_del_subregion(&f.root, &window);
    tl_expect(&t, "");

    /* Removed, disabled: gone from the listener's view. */
    memory_region_del_eventfd(&d.mr, 0x10, 4, true, 1, fd1);
    tl_expect(&t, "del 0x3010+4 =0x1; ");
    g_array_set_size(d.log, 0);
    g_assert_cmpint(address_space_store(&f.as, 0x3010, 4, false, 1), ==, MEMTX_OK);
    tdev_expect(&d, 0, true, 0x10, 4, 1);
    g_assert_cmpuint(eventfd_take(fd1), ==, 0);
    memory_region_set_enabled(&d.mr, false);
    tl_expect(&t, "del 0x3010+4 =0x0; ");
    memory_region_set_enabled(&d.mr, true);
    tl_expect(&t, "add 0x3010+4 =0x0; ");
    memory_listener_unregister(&t.l);
    tl_expect(&t, "del 0x3010+4 =0x0; ");

    /* Without match_data any value of that size counts. */
    memory_region_del_eventfd(&d.mr, 0x10, 4, true, 0, fd0);
    memory_region_add_eventfd(&d.mr, 0x20, 8, false, 0, fd0);
    g_array_set_size(d.log, 0);
    g_assert_cmpint(address_space_store(&f.as, 0x3020, 8, false, 0x1234), ==, MEMTX_OK);
    g_assert_cmpuint(d.log->len, ==, 0);
    g_assert_cmpuint(eventfd_take(fd0), ==, 1);

    /* Registering replays them; destroying the space takes them back. */
    memory_listener_register(&t.l, &f.as);
    tl_expect(&t, "add 0x3020+8; ");
    memory_region_del_subregion(&f.root, &d.mr);
    tl_expect(&t, "del 0x3020+8; ");
    memory_region_add_subregion(&f.root, 0x4000, &d.mr);
    tl_expect(&t, "add 0x4020+8; ");
    memory_region_del_subregion(&f.root, &d.mr);
    fixture_fini(&f);
    tl_expect(&t, "del 0x4020+8; ");

    g_string_free(t.events, TRUE);
    memory_region_destroy(&window);
    tdev_fini(&d);
    close(fd0);
    close(fd1);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    log_capture_setup();
    g_test_add_func("/memory/tree/priority", test_priority);
    g_test_add_func("/memory/tree/nested", test_nested);
    g_test_add_func("/memory/tree/holes", test_holes);
    g_test_add_func("/memory/tree/alias", test_alias);
    g_test_add_func("/memory/tree/random", test_random_trees);
    g_test_add_func("/memory/listener", test_listener);
    g_test_add_func("/memory/ioeventfd", test_ioeventfd);
    ret = g_test_run();
    log_capture_teardown();
    return ret;
}
