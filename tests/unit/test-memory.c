/*
 * Unit tests for accesses through the memory API: RAM and ROM, MMIO
 * dispatch with splitting, widening, valid-size checks and endianness,
 * device errors, the unassigned policies, translate, the top of the 64-bit
 * space, the system address space, and readers racing tree changes.
 * The region tree itself is tested in test-memory-tree.c.
 */
#include "memory-test-helpers.h"

#define TOP UINT64_C(0xffffffffffff0000)

/* Offsets listed in TestDev.fail_mask (bit n = offset n) fail through these. */
static MemTxResult tdev_read_res(void *opaque, hwaddr addr, uint64_t *value, unsigned size)
{
    TestDev *d = opaque;

    *value = tdev_read(opaque, addr, size);
    if (d->fail_mask & (UINT64_C(1) << addr)) {
        *value = 0xdead;        /* must not reach the guest */
        return MEMTX_DEVICE_ERROR;
    }
    return MEMTX_OK;
}

static MemTxResult tdev_write_res(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    TestDev *d = opaque;

    if (d->fail_mask & (UINT64_C(1) << addr)) {
        tdev_record(d, true, addr, size, value);
        return MEMTX_DEVICE_ERROR;
    }
    tdev_write(opaque, addr, value, size);
    return MEMTX_OK;
}

/* ---- RAM and ROM ---- */

static void test_ram_rw(void)
{
    Fixture f;
    MemoryRegion ram;
    uint8_t in[16], out[16];
    uint8_t *host;

    fixture_init(&f, 0x100000);
    ram_init(&ram, "ram", 0x10000, 0);
    host = memory_region_get_ram_ptr(&ram);
    g_assert_nonnull(host);
    g_assert_true(memory_region_is_ram(&ram));
    g_assert_false(memory_region_is_rom(&ram));
    g_assert_cmpuint(memory_region_size(&ram), ==, 0x10000);
    g_assert_cmpstr(memory_region_name(&ram), ==, "ram");
    memory_region_add_subregion(&f.root, 0x1000, &ram);

    /* Fresh RAM reads as zeros. */
    g_assert_cmpint(read_byte(&f.as, 0x1000 + 0x1234), ==, 0);

    for (unsigned i = 0; i < sizeof(in); i++) {
        in[i] = 0xa0 + i;
    }
    g_assert_cmpint(address_space_write(&f.as, 0x1ff8, in, sizeof(in)), ==, MEMTX_OK);
    g_assert_cmpmem(host + 0xff8, 16, in, 16);
    memset(out, 0, sizeof(out));
    g_assert_cmpint(address_space_read(&f.as, 0x1ff8, out, sizeof(out)), ==, MEMTX_OK);
    g_assert_cmpmem(out, 16, in, 16);

    /* The last bytes of RAM, then a hole: data up to the end, zeros after. */
    memset(out, 0xff, sizeof(out));
    g_assert_cmpint(address_space_read(&f.as, 0x11000 - 8, out, 16), ==, MEMTX_DECODE_ERROR);
    for (unsigned i = 0; i < 16; i++) {
        g_assert_cmpint(out[i], ==, 0);
    }
    g_assert_cmpint(address_space_write(&f.as, 0x11000 - 4, in, 8), ==, MEMTX_DECODE_ERROR);
    g_assert_cmpmem(host + 0x10000 - 4, 4, in, 4);

    /* A zero-length access touches nothing and succeeds even in a hole. */
    g_assert_cmpint(address_space_read(&f.as, 0, out, 0), ==, MEMTX_OK);

    memory_region_del_subregion(&f.root, &ram);
    memory_region_destroy(&ram);
    g_assert_null(ram.name);
    fixture_fini(&f);
}

static void test_ram_alloc_errors(void)
{
    MemoryRegion mr;
    GError *err = NULL;

    g_assert_false(memory_region_init_ram(&mr, NULL, "empty", 0, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_assert_nonnull(strstr(err->message, "'empty'"));
    g_clear_error(&err);
    g_assert_null(mr.name);
    g_assert_null(mr.ram_ptr);

    /* 4 EiB is beyond any host's address space. */
    g_assert_false(memory_region_init_ram(&mr, NULL, "huge", UINT64_C(1) << 62, &err));
    g_assert_nonnull(err);
    g_assert_true(g_str_has_prefix(err->message, "cannot allocate 4 EiB of RAM for 'huge': "));
    g_clear_error(&err);
    g_assert_null(mr.ram_ptr);

    /* Rounding up to a page must not wrap around. */
    g_assert_false(memory_region_init_rom(&mr, NULL, "all", UINT64_MAX, &err));
    g_assert_nonnull(err);
    g_assert_true(g_str_has_prefix(err->message, "cannot allocate 16.0 EiB of ROM for 'all'"));
    g_clear_error(&err);

    /* Destroying what failed to initialise is harmless. */
    memory_region_destroy(&mr);
}

static void test_ram_ptr(void)
{
    Fixture f;
    MemoryRegion ram;
    uint8_t backing[256] = { 0 };
    uint32_t v = 0x12345678;

    fixture_init(&f, 0x10000);
    memory_region_init_ram_ptr(&ram, NULL, "user", sizeof(backing), backing);
    memory_region_add_subregion(&f.root, 0x100, &ram);
    g_assert_cmpint(address_space_write(&f.as, 0x110, &v, 4), ==, MEMTX_OK);
    g_assert_cmpmem(backing + 0x10, 4, &v, 4);
    memory_region_del_subregion(&f.root, &ram);
    memory_region_destroy(&ram);   /* must not unmap memory it does not own */
    backing[0] = 1;
    fixture_fini(&f);
}

static void test_rom(void)
{
    Fixture f;
    MemoryRegion rom;
    GError *err = NULL;
    uint8_t data[4] = { 1, 2, 3, 4 }, out[4];
    char *log;

    fixture_init(&f, 0x10000);
    g_assert_true(memory_region_init_rom(&rom, NULL, "boot", 0x1000, &err));
    g_assert_no_error(err);
    g_assert_true(memory_region_is_ram(&rom));
    g_assert_true(memory_region_is_rom(&rom));
    memory_region_add_subregion(&f.root, 0x8000, &rom);

    /* The loader can write it; the guest cannot. */
    g_assert_cmpint(address_space_write_rom(&f.as, 0x8010, data, 4), ==, MEMTX_OK);
    log_capture_start();
    g_assert_cmpint(address_space_write(&f.as, 0x8010, "\xff\xff\xff\xff", 4), ==, MEMTX_OK);
    log = log_capture_end();
    g_assert_nonnull(strstr(log, "boot: write of 4 bytes at offset 0x10 to ROM ignored"));
    g_free(log);
    g_assert_cmpint(address_space_read(&f.as, 0x8010, out, 4), ==, MEMTX_OK);
    g_assert_cmpmem(out, 4, data, 4);

    /* write_rom reports the parts it could not place. */
    g_assert_cmpint(address_space_write_rom(&f.as, 0x8ffe, data, 4), ==, MEMTX_DECODE_ERROR);
    g_assert_cmpint(read_byte(&f.as, 0x8fff), ==, 2);

    fixture_fini(&f);
    memory_region_destroy(&rom);
}

/* ---- MMIO ---- */

static void test_io_dispatch(void)
{
    Fixture f;
    TestDev d;
    uint8_t buf[8];
    uint64_t v;

    fixture_init(&f, 0x10000);
    tdev_init(&d, "dev", DEVICE_LITTLE_ENDIAN, 1, 8, false, 0, 0);
    memory_region_add_subregion(&f.root, 0x2000, &d.mr);

    g_assert_cmpint(address_space_store(&f.as, 0x2010, 4, false, 0xcafef00d), ==, MEMTX_OK);
    tdev_expect(&d, 0, true, 0x10, 4, 0xcafef00d);
    g_assert_cmpint(address_space_load(&f.as, 0x2002, 2, false, &v), ==, MEMTX_OK);
    tdev_expect(&d, 1, false, 0x2, 2, 0x1312);
    g_assert_cmphex(v, ==, 0x1312);

    /* Seven bytes from offset 1: the largest aligned pieces, in order. */
    g_array_set_size(d.log, 0);
    g_assert_cmpint(address_space_read(&f.as, 0x2001, buf, 7), ==, MEMTX_OK);
    g_assert_cmpuint(d.log->len, ==, 3);
    tdev_expect(&d, 0, false, 1, 1, 0x11);
    tdev_expect(&d, 1, false, 2, 2, 0x1312);
    tdev_expect(&d, 2, false, 4, 4, 0x17161514);
    g_assert_cmpmem(buf, 7, "\x11\x12\x13\x14\x15\x16\x17", 7);

    /* A buffer running off the device's end: the rest is unassigned. */
    g_array_set_size(d.log, 0);
    g_assert_cmpint(address_space_read(&f.as, 0x2000 + 60, buf, 8), ==, MEMTX_DECODE_ERROR);
    g_assert_cmpuint(d.log->len, ==, 1);
    tdev_expect(&d, 0, false, 60, 4, 0x4f4e4d4c);
    g_assert_cmpmem(buf, 8, "\x4c\x4d\x4e\x4f\0\0\0\0", 8);

    /* A single load straddling the end goes byte-exactly through both parts. */
    g_array_set_size(d.log, 0);
    g_assert_cmpint(address_space_load(&f.as, 0x2000 + 62, 4, false, &v), ==,
                    MEMTX_DECODE_ERROR);
    g_assert_cmphex(v, ==, 0x4f4e);

    fixture_fini(&f);
    tdev_fini(&d);
}

static void test_io_split(void)
{
    Fixture f;
    TestDev le, be;
    uint64_t v;

    fixture_init(&f, 0x10000);
    tdev_init(&le, "le", DEVICE_LITTLE_ENDIAN, 1, 8, false, 1, 4);
    tdev_init(&be, "be", DEVICE_BIG_ENDIAN, 1, 8, false, 1, 4);
    memory_region_add_subregion(&f.root, 0x1000, &le.mr);
    memory_region_add_subregion(&f.root, 0x2000, &be.mr);

    /* An 8-byte access of a device implementing 4: two calls, low address first. */
    g_assert_cmpint(address_space_load(&f.as, 0x1008, 8, false, &v), ==, MEMTX_OK);
    g_assert_cmpuint(le.log->len, ==, 2);
    tdev_expect(&le, 0, false, 8, 4, 0x1b1a1918);
    tdev_expect(&le, 1, false, 12, 4, 0x1f1e1d1c);
    g_assert_cmphex(v, ==, UINT64_C(0x1f1e1d1c1b1a1918));

    /* Big-endian device: the piece at the lower address is the high half. */
    g_assert_cmpint(address_space_load(&f.as, 0x2008, 8, true, &v), ==, MEMTX_OK);
    g_assert_cmpuint(be.log->len, ==, 2);
    tdev_expect(&be, 0, false, 8, 4, 0x18191a1b);
    tdev_expect(&be, 1, false, 12, 4, 0x1c1d1e1f);
    g_assert_cmphex(v, ==, UINT64_C(0x18191a1b1c1d1e1f));

    g_assert_cmpint(address_space_store(&f.as, 0x2010, 8, true, UINT64_C(0x0102030405060708)),
                    ==, MEMTX_OK);
    tdev_expect(&be, 2, true, 16, 4, 0x01020304);
    tdev_expect(&be, 3, true, 20, 4, 0x05060708);
    g_assert_cmpint(address_space_store(&f.as, 0x1010, 8, false, UINT64_C(0x0102030405060708)),
                    ==, MEMTX_OK);
    tdev_expect(&le, 2, true, 16, 4, 0x05060708);
    tdev_expect(&le, 3, true, 20, 4, 0x01020304);
    g_assert_cmpmem(le.mem + 16, 8, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);

    fixture_fini(&f);
    tdev_fini(&le);
    tdev_fini(&be);
}

static void test_io_widen(void)
{
    Fixture f;
    TestDev d, u;
    uint64_t v;

    fixture_init(&f, 0x10000);
    tdev_init(&d, "wide", DEVICE_LITTLE_ENDIAN, 1, 4, false, 4, 4);
    memory_region_add_subregion(&f.root, 0x1000, &d.mr);

    /* One byte of a device that only implements 4: the enclosing word is read. */
    g_assert_cmpint(address_space_load(&f.as, 0x1005, 1, false, &v), ==, MEMTX_OK);
    g_assert_cmpuint(d.log->len, ==, 1);
    tdev_expect(&d, 0, false, 4, 4, 0x17161514);
    g_assert_cmphex(v, ==, 0x15);

    g_assert_cmpint(address_space_load(&f.as, 0x1006, 2, true, &v), ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x1617);

    /* A narrow write is read-modify-write of the word. */
    g_array_set_size(d.log, 0);
    g_assert_cmpint(address_space_store(&f.as, 0x1002, 1, false, 0xee), ==, MEMTX_OK);
    g_assert_cmpuint(d.log->len, ==, 2);
    tdev_expect(&d, 0, false, 0, 4, 0x13121110);
    tdev_expect(&d, 1, true, 0, 4, 0x13ee1110);

    /* Misaligned and straddling two words (the bus allows it): both are updated. */
    tdev_init(&u, "unal", DEVICE_LITTLE_ENDIAN, 1, 4, true, 4, 4);
    memory_region_add_subregion(&f.root, 0x2000, &u.mr);
    g_assert_cmpint(address_space_store(&f.as, 0x2003, 2, false, 0xbbaa), ==, MEMTX_OK);
    g_assert_cmpuint(u.log->len, ==, 4);
    tdev_expect(&u, 0, false, 0, 4, 0x13121110);
    tdev_expect(&u, 1, true, 0, 4, 0xaa121110);
    tdev_expect(&u, 2, false, 4, 4, 0x17161514);
    tdev_expect(&u, 3, true, 4, 4, 0x171615bb);
    g_assert_cmpint(address_space_load(&f.as, 0x2002, 4, false, &v), ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x15bbaa12);

    fixture_fini(&f);
    tdev_fini(&d);
    tdev_fini(&u);
}

static void test_io_valid(void)
{
    Fixture f;
    TestDev d, u;
    uint8_t buf[8];
    uint64_t v = 1;
    char *log;

    fixture_init(&f, 0x10000);
    tdev_init(&d, "strict", DEVICE_LITTLE_ENDIAN, 4, 4, false, 0, 0);
    memory_region_add_subregion(&f.root, 0x1000, &d.mr);

    log_capture_start();
    g_assert_cmpint(address_space_load(&f.as, 0x1004, 1, false, &v), ==, MEMTX_DECODE_ERROR);
    g_assert_cmphex(v, ==, 0);
    g_assert_cmpint(address_space_store(&f.as, 0x1008, 8, false, 0), ==, MEMTX_DECODE_ERROR);
    g_assert_cmpint(address_space_load(&f.as, 0x1002, 4, false, &v), ==, MEMTX_DECODE_ERROR);
    log = log_capture_end();
    g_assert_cmpuint(d.log->len, ==, 0);   /* refused accesses never reach the device */
    g_assert_nonnull(strstr(log, "strict: invalid read of 1 bytes at offset 0x4 (size not accepted)"));
    g_assert_nonnull(strstr(log, "strict: invalid write of 8 bytes at offset 0x8"));
    g_assert_nonnull(strstr(log, "strict: invalid read of 4 bytes at offset 0x2 (misaligned)"));
    g_free(log);

    /* A buffer access is cut into sizes the bus takes. */
    g_assert_cmpint(address_space_read(&f.as, 0x1000, buf, 8), ==, MEMTX_OK);
    g_assert_cmpuint(d.log->len, ==, 2);
    tdev_expect(&d, 0, false, 0, 4, 0x13121110);
    tdev_expect(&d, 1, false, 4, 4, 0x17161514);

    /* Default valid sizes are 1..4: an 8-byte load is refused. */
    tdev_init(&u, "dflt", DEVICE_LITTLE_ENDIAN, 0, 0, true, 0, 0);
    memory_region_add_subregion(&f.root, 0x2000, &u.mr);
    g_assert_cmpint(address_space_load(&f.as, 0x2000, 8, false, &v), ==, MEMTX_DECODE_ERROR);
    g_assert_cmpuint(u.log->len, ==, 0);
    /* valid.unaligned: the bus takes a misaligned load; the callbacks see
     * the aligned words around it... */
    g_assert_cmpint(address_space_load(&f.as, 0x2001, 4, false, &v), ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x14131211);
    g_assert_cmpuint(u.log->len, ==, 2);
    tdev_expect(&u, 0, false, 0, 4, 0x13121110);
    tdev_expect(&u, 1, false, 4, 4, 0x17161514);
    /* ...unless they declare that they take it as it is. */
    u.ops.impl.unaligned = true;
    g_array_set_size(u.log, 0);
    g_assert_cmpint(address_space_store(&f.as, 0x2001, 4, true, 0xa1a2a3a4), ==, MEMTX_OK);
    g_assert_cmpuint(u.log->len, ==, 1);
    tdev_expect(&u, 0, true, 1, 4, 0xa4a3a2a1);
    g_assert_cmpint(address_space_load(&f.as, 0x2001, 2, false, &v), ==, MEMTX_OK);
    tdev_expect(&u, 1, false, 1, 2, 0xa2a1);

    fixture_fini(&f);
    tdev_fini(&d);
    tdev_fini(&u);
}

static void test_endianness(void)
{
    static const MemoryRegionOps le_ops = {
        .read = fixed_read, .write = fixed_write, .endianness = DEVICE_LITTLE_ENDIAN,
        .valid = { 4, 4 },
    };
    static const MemoryRegionOps be_ops = {
        .read = fixed_read, .write = fixed_write, .endianness = DEVICE_BIG_ENDIAN,
        .valid = { 4, 4 },
    };
    static const MemoryRegionOps native_ops = {
        .read = fixed_read, .write = fixed_write, .endianness = DEVICE_NATIVE_ENDIAN,
        .valid = { 4, 4 },
    };
    Fixture f;
    MemoryRegion le, be, native;
    uint64_t written = 0, v;
    uint8_t buf[4];

    fixture_init(&f, 0x10000);
    memory_region_init_io(&le, NULL, &le_ops, &written, "le", 4);
    memory_region_init_io(&be, NULL, &be_ops, &written, "be", 4);
    memory_region_init_io(&native, NULL, &native_ops, &written, "native", 4);
    memory_region_add_subregion(&f.root, 0x100, &le);
    memory_region_add_subregion(&f.root, 0x200, &be);
    memory_region_add_subregion(&f.root, 0x300, &native);

    g_assert_cmpint(address_space_read(&f.as, 0x100, buf, 4), ==, MEMTX_OK);
    g_assert_cmpmem(buf, 4, "\x44\x33\x22\x11", 4);
    g_assert_cmpint(address_space_read(&f.as, 0x200, buf, 4), ==, MEMTX_OK);
    g_assert_cmpmem(buf, 4, "\x11\x22\x33\x44", 4);
    g_assert_cmpint(address_space_load(&f.as, 0x100, 4, false, &v), ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x11223344);
    g_assert_cmpint(address_space_load(&f.as, 0x100, 4, true, &v), ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x44332211);
    g_assert_cmpint(address_space_load(&f.as, 0x200, 4, true, &v), ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x11223344);

    g_assert_cmpint(address_space_store(&f.as, 0x100, 4, true, 0xa1b2c3d4), ==, MEMTX_OK);
    g_assert_cmphex(written, ==, 0xd4c3b2a1);
    g_assert_cmpint(address_space_write(&f.as, 0x200, "\x01\x02\x03\x04", 4), ==, MEMTX_OK);
    g_assert_cmphex(written, ==, 0x01020304);

    /* Native means little here by default, big once the space says so. */
    g_assert_cmpint(address_space_read(&f.as, 0x300, buf, 4), ==, MEMTX_OK);
    g_assert_cmpmem(buf, 4, "\x44\x33\x22\x11", 4);
    f.as.big_endian = true;
    g_assert_cmpint(address_space_read(&f.as, 0x300, buf, 4), ==, MEMTX_OK);
    g_assert_cmpmem(buf, 4, "\x11\x22\x33\x44", 4);
    g_assert_cmpint(address_space_store(&f.as, 0x300, 4, false, 0x01020304), ==, MEMTX_OK);
    g_assert_cmphex(written, ==, 0x04030201);
    /* Little-endian devices are unaffected by the space's byte order. */
    g_assert_cmpint(address_space_read(&f.as, 0x100, buf, 4), ==, MEMTX_OK);
    g_assert_cmpmem(buf, 4, "\x44\x33\x22\x11", 4);

    fixture_fini(&f);
    memory_region_destroy(&le);
    memory_region_destroy(&be);
    memory_region_destroy(&native);
}

static void test_device_errors(void)
{
    Fixture f;
    TestDev d;
    MemoryRegion ram;
    uint8_t buf[16];
    uint64_t v = 1;
    static const MemoryRegionOps wo_ops = { .write = fixed_write, .valid = { 1, 8 } };
    MemoryRegion wo;
    uint64_t sink = 0;

    fixture_init(&f, 0x10000);
    tdev_init(&d, "failing", DEVICE_LITTLE_ENDIAN, 1, 8, false, 4, 4);
    d.ops.read_with_result = tdev_read_res;
    d.ops.write_with_result = tdev_write_res;
    d.fail_mask = UINT64_C(1) << 4;
    memory_region_add_subregion(&f.root, 0x1000, &d.mr);
    ram_init(&ram, "ram", 0x100, 0x77);
    memory_region_add_subregion(&f.root, 0x1040, &ram);

    g_assert_cmpint(address_space_load(&f.as, 0x1000, 4, false, &v), ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x13121110);
    g_assert_cmpint(address_space_load(&f.as, 0x1004, 4, false, &v), ==, MEMTX_DEVICE_ERROR);
    g_assert_cmphex(v, ==, 0);
    g_assert_cmpint(address_space_store(&f.as, 0x1004, 4, false, 1), ==, MEMTX_DEVICE_ERROR);

    /* The first error is reported, but every part is still done. */
    memset(buf, 0xff, sizeof(buf));
    g_assert_cmpint(address_space_read(&f.as, 0x1038, buf, 16), ==, MEMTX_OK);
    g_assert_cmpmem(buf, 16, "\x48\x49\x4a\x4b\x4c\x4d\x4e\x4f\x77\x77\x77\x77\x77\x77\x77\x77", 16);
    memset(buf, 0xff, sizeof(buf));
    g_array_set_size(d.log, 0);
    g_assert_cmpint(address_space_read(&f.as, 0x1000, buf, 12), ==, MEMTX_DEVICE_ERROR);
    g_assert_cmpuint(d.log->len, ==, 3);    /* 8 bytes as two 4-byte units, then 4 */
    g_assert_cmpmem(buf, 12, "\x10\x11\x12\x13\0\0\0\0\x18\x19\x1a\x1b", 12);

    /* A region without a read callback refuses reads. */
    memory_region_init_io(&wo, NULL, &wo_ops, &sink, "wo", 8);
    memory_region_add_subregion(&f.root, 0x3000, &wo);
    g_assert_cmpint(address_space_load(&f.as, 0x3000, 4, false, &v), ==, MEMTX_DECODE_ERROR);
    g_assert_cmpint(address_space_store(&f.as, 0x3000, 4, false, 7), ==, MEMTX_OK);
    g_assert_cmphex(sink, ==, 7);

    fixture_fini(&f);
    tdev_fini(&d);
    memory_region_destroy(&ram);
    memory_region_destroy(&wo);
}

/* ---- unassigned, translate ---- */

static void test_unassigned(void)
{
    Fixture f;
    MemoryRegion lo, hi;
    uint8_t buf[0x30];
    uint64_t v = 1;
    char *log;

    fixture_init(&f, 0x10000);
    ram_init(&lo, "lo", 0x10, 0x01);
    ram_init(&hi, "hi", 0x10, 0x02);
    memory_region_add_subregion(&f.root, 0x100, &lo);
    memory_region_add_subregion(&f.root, 0x120, &hi);

    /* RAM, hole, RAM: the error is returned, both RAM parts are still read. */
    memset(buf, 0xff, sizeof(buf));
    log_capture_start();
    g_assert_cmpint(address_space_read(&f.as, 0x100, buf, 0x30), ==, MEMTX_DECODE_ERROR);
    g_assert_cmpint(address_space_store(&f.as, 0x8000, 4, false, 5), ==, MEMTX_DECODE_ERROR);
    log = log_capture_end();
    for (unsigned i = 0; i < 0x30; i++) {
        g_assert_cmpint(buf[i], ==, i < 0x10 ? 1 : i < 0x20 ? 0 : 2);
    }
    g_assert_nonnull(strstr(log, "unassigned read of 16 bytes at 0x110 in 'test'"));
    g_assert_nonnull(strstr(log, "unassigned write of 4 bytes at 0x8000 in 'test'"));
    g_free(log);

    f.as.unassigned = UNASSIGNED_RAZ_WI;
    memset(buf, 0xff, sizeof(buf));
    log_capture_start();
    g_assert_cmpint(address_space_read(&f.as, 0x100, buf, 0x30), ==, MEMTX_OK);
    g_assert_cmpint(address_space_load(&f.as, 0x8000, 8, false, &v), ==, MEMTX_OK);
    g_assert_cmpint(address_space_store(&f.as, 0x8000, 8, false, 5), ==, MEMTX_OK);
    log = log_capture_end();
    g_assert_cmphex(v, ==, 0);
    g_assert_cmpint(buf[0x18], ==, 0);
    g_assert_nonnull(strstr(log, "unassigned read of 8 bytes at 0x8000"));
    g_assert_nonnull(strstr(log, "unassigned write of 8 bytes at 0x8000"));
    g_free(log);

    /* An empty space (no root at all) is all hole. */
    {
        AddressSpace empty;

        address_space_init(&empty, NULL, "empty");
        g_assert_cmpint(address_space_load(&empty, 0, 4, false, &v), ==, MEMTX_DECODE_ERROR);
        address_space_destroy(&empty);
    }

    fixture_fini(&f);
    memory_region_destroy(&lo);
    memory_region_destroy(&hi);
}

static void test_translate(void)
{
    Fixture f;
    MemoryRegion ram;
    TestDev d;
    hwaddr xlat = 1, len;

    fixture_init(&f, 0x10000);
    ram_init(&ram, "ram", 0x1000, 0);
    tdev_init(&d, "dev", DEVICE_LITTLE_ENDIAN, 1, 8, false, 0, 0);
    memory_region_add_subregion(&f.root, 0x1000, &ram);
    memory_region_add_subregion(&f.root, 0x3000, &d.mr);

    len = 8;
    g_assert_true(address_space_translate(&f.as, 0x1ff0, &xlat, &len) == &ram);
    g_assert_cmphex(xlat, ==, 0xff0);
    g_assert_cmphex(len, ==, 8);             /* already inside: unchanged */
    len = 0x100;
    g_assert_true(address_space_translate(&f.as, 0x1ff0, &xlat, &len) == &ram);
    g_assert_cmphex(len, ==, 0x10);
    len = HWADDR_MAX;
    g_assert_true(address_space_translate(&f.as, 0x3004, &xlat, &len) == &d.mr);
    g_assert_cmphex(xlat, ==, 4);
    g_assert_cmphex(len, ==, 60);
    /* In a hole: NULL, and the length is trimmed to the hole. */
    len = HWADDR_MAX;
    g_assert_null(address_space_translate(&f.as, 0x2000, &xlat, &len));
    g_assert_cmphex(len, ==, 0x1000);
    len = HWADDR_MAX;
    g_assert_null(address_space_translate(&f.as, 0x3040, &xlat, &len));
    g_assert_cmphex(len, ==, HWADDR_MAX - 0x3040 + 1);

    fixture_fini(&f);
    memory_region_destroy(&ram);
    tdev_fini(&d);
}

/* ---- the top of the space ---- */

static void test_top_of_space(void)
{
    Fixture f;
    MemoryRegion ram, all;
    TestDev d;
    uint64_t v;
    uint8_t buf[16];
    hwaddr xlat, len;
    char *text, *log;
    static const MemoryRegionOps all_ops = {
        .read = fixed_read, .write = fixed_write, .endianness = DEVICE_LITTLE_ENDIAN,
    };
    uint64_t sink;

    fixture_init(&f, UINT64_MAX);
    ram_init(&ram, "top", 0x1000, 0x5c);
    memory_region_add_subregion(&f.root, UINT64_C(0xfffffffffffff000), &ram);
    tdev_init(&d, "dev", DEVICE_LITTLE_ENDIAN, 1, 8, false, 0, 0);
    memory_region_add_subregion(&f.root, TOP, &d.mr);

    g_assert_cmpint(address_space_load(&f.as, UINT64_C(0xfffffffffffffffc), 4, false, &v), ==,
                    MEMTX_OK);
    g_assert_cmphex(v, ==, 0x5c5c5c5c);
    g_assert_cmpint(address_space_store(&f.as, UINT64_C(0xfffffffffffffffc), 4, false, 1), ==,
                    MEMTX_OK);
    g_assert_cmpint(read_byte(&f.as, UINT64_C(0xfffffffffffffffc)), ==, 1);
    g_assert_cmpint(read_byte(&f.as, UINT64_MAX), ==, 0);

    /* Past 2^64 nothing wraps to address 0. */
    memset(buf, 0xff, sizeof(buf));
    log_capture_start();
    g_assert_cmpint(address_space_read(&f.as, UINT64_C(0xfffffffffffffffc), buf, 8), ==,
                    MEMTX_DECODE_ERROR);
    g_assert_cmpint(address_space_load(&f.as, UINT64_MAX, 2, false, &v), ==, MEMTX_DECODE_ERROR);
    log = log_capture_end();
    g_assert_cmpmem(buf, 8, "\x01\0\0\0\0\0\0\0", 8);
    g_assert_cmphex(v, ==, 0);
    g_assert_nonnull(strstr(log, "read of 4 bytes runs past the top of 'test'"));
    g_free(log);

    len = HWADDR_MAX;
    g_assert_true(address_space_translate(&f.as, UINT64_C(0xfffffffffffffffc), &xlat, &len) ==
                  &ram);
    g_assert_cmphex(xlat, ==, 0xffc);
    g_assert_cmphex(len, ==, 4);
    len = HWADDR_MAX;
    g_assert_null(address_space_translate(&f.as, TOP + 0x40, &xlat, &len));
    g_assert_cmphex(len, ==, UINT64_C(0xfffffffffffff000) - (TOP + 0x40));

    g_assert_cmpint(address_space_load(&f.as, TOP + 0x38, 8, false, &v), ==, MEMTX_OK);
    g_assert_cmphex(v, ==, UINT64_C(0x4f4e4d4c4b4a4948));

    /* A device covering all 2^64 bytes, below everything else. */
    memory_region_init_io(&all, NULL, &all_ops, &sink, "all", UINT64_MAX);
    memory_region_add_subregion_overlap(&f.root, 0, &all, -1);
    g_assert_cmpint(address_space_load(&f.as, 0, 4, false, &v), ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x11223344);
    g_assert_cmpint(address_space_load(&f.as, TOP - 4, 4, false, &v), ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x11223344);
    text = dump(&f.as);
    g_assert_cmpstr(text, ==,
                    "0000000000000000-fffffffffffeffff (prio -1, i/o): all\n"
                    "ffffffffffff0000-ffffffffffff003f (prio 0, i/o): dev\n"
                    "ffffffffffff0040-ffffffffffffefff (prio -1, i/o): all @0xffffffffffff0040\n"
                    "fffffffffffff000-ffffffffffffffff (prio 0, ram): top\n");
    g_free(text);

    /* A section of all 2^64 bytes reports UINT64_MAX as its size. */
    {
        MemoryRegion big_ram;
        uint8_t backing[16];
        AddressSpace as2;
        TestListener t = { .l = { tl_add, tl_del, tl_commit }, .events = g_string_new("") };

        memory_region_init_ram_ptr(&big_ram, NULL, "huge", UINT64_MAX, backing);
        address_space_init(&as2, &big_ram, "flat");
        memory_listener_register(&t.l, &as2);
        tl_expect(&t, "add huge 0x0+0xffffffffffffffff @0x0; commit; ");
        memory_listener_unregister(&t.l);
        g_string_free(t.events, TRUE);
        address_space_destroy(&as2);
        memory_region_destroy(&big_ram);
    }

    fixture_fini(&f);
    memory_region_destroy(&ram);
    memory_region_destroy(&all);
    tdev_fini(&d);
}

static void test_system_memory(void)
{
    MemoryRegion ram;
    AddressSpace *as = address_space_memory();
    uint32_t v = 0xfeedface, out = 0;

    g_assert_nonnull(as);
    g_assert_true(address_space_memory() == as);
    g_assert_true(get_system_memory() == as->root);
    g_assert_cmphex(memory_region_size(get_system_memory()), ==, UINT64_MAX);
    g_assert_cmpstr(memory_region_name(get_system_memory()), ==, "system");

    ram_init(&ram, "sysram", 0x1000, 0);
    memory_region_add_subregion(get_system_memory(), 0x80000000, &ram);
    g_assert_cmpint(address_space_write(as, 0x80000ffc, &v, 4), ==, MEMTX_OK);
    g_assert_cmpint(address_space_read(as, 0x80000ffc, &out, 4), ==, MEMTX_OK);
    g_assert_cmphex(out, ==, v);
    memory_region_del_subregion(get_system_memory(), &ram);
    g_assert_cmpint(address_space_read(as, 0x80000ffc, &out, 4), ==, MEMTX_DECODE_ERROR);
    memory_region_destroy(&ram);
}

/* ---- threads: a reader keeps a consistent view while the tree changes ---- */

typedef struct ReaderCtx {
    AddressSpace *as;
    gint stop;
    guint bad;
} ReaderCtx;

static gpointer reader_thread(gpointer opaque)
{
    ReaderCtx *c = opaque;

    while (!g_atomic_int_get(&c->stop)) {
        uint8_t b = 0;
        MemTxResult r = address_space_read(c->as, 0x10, &b, 1);

        /* Either region answers completely, never something in between. */
        if (r != MEMTX_OK || (b != 0xaa && b != 0xbb)) {
            c->bad++;
        }
    }
    return NULL;
}

static void test_concurrent_readers(void)
{
    Fixture f;
    MemoryRegion a, b;
    ReaderCtx c = { .as = &f.as };
    GThread *t;

    fixture_init(&f, 0x10000);
    ram_init(&a, "a", 0x100, 0xaa);
    ram_init(&b, "b", 0x100, 0xbb);
    memory_region_add_subregion(&f.root, 0, &a);
    t = g_thread_new("reader", reader_thread, &c);
    for (unsigned i = 0; i < 2000; i++) {
        memory_region_add_subregion_overlap(&f.root, 0, &b, 1);
        memory_region_del_subregion(&f.root, &b);
    }
    g_atomic_int_set(&c.stop, 1);
    g_thread_join(t);
    g_assert_cmpuint(c.bad, ==, 0);

    fixture_fini(&f);
    memory_region_destroy(&a);
    memory_region_destroy(&b);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    log_capture_setup();

    g_test_add_func("/memory/ram/rw", test_ram_rw);
    g_test_add_func("/memory/ram/alloc-errors", test_ram_alloc_errors);
    g_test_add_func("/memory/ram/ptr", test_ram_ptr);
    g_test_add_func("/memory/rom", test_rom);
    g_test_add_func("/memory/io/dispatch", test_io_dispatch);
    g_test_add_func("/memory/io/split", test_io_split);
    g_test_add_func("/memory/io/widen", test_io_widen);
    g_test_add_func("/memory/io/valid", test_io_valid);
    g_test_add_func("/memory/io/endianness", test_endianness);
    g_test_add_func("/memory/io/device-errors", test_device_errors);
    g_test_add_func("/memory/unassigned", test_unassigned);
    g_test_add_func("/memory/translate", test_translate);
    g_test_add_func("/memory/top-of-space", test_top_of_space);
    g_test_add_func("/memory/system", test_system_memory);
    g_test_add_func("/memory/concurrent-readers", test_concurrent_readers);
    ret = g_test_run();

    log_capture_teardown();
    return ret;
}
