/*
 * fw_cfg's guest interface without a guest: the selector and data ports,
 * the file directory, the DMA register and descriptors (against RAM in a
 * private address space), the -fw_cfg option, and the E820 encoding; and
 * fw_cfg as the device "fw_cfg-io" (its regions, reset, made as boards
 * make it).
 */
#include <string.h>

#include "hw/i386/e820.h"
#include "hw/nvram/fw_cfg.h"

typedef struct Fixture {
    MemoryRegion io_root, mem_root, ram;
    AddressSpace io, mem;
    FwCfgState *fw;
} Fixture;

#define RAM_SIZE 0x10000
#define DESC     0x1000
#define BUF      0x2000

static void fixture_setup(Fixture *f, gconstpointer data)
{
    memory_region_init(&f->io_root, NULL, "test-io", 0x10000);
    address_space_init(&f->io, &f->io_root, "test-io");
    memory_region_init(&f->mem_root, NULL, "test-mem", UINT64_MAX);
    address_space_init(&f->mem, &f->mem_root, "test-mem");
    g_assert_true(memory_region_init_ram(&f->ram, NULL, "ram", RAM_SIZE, NULL));
    memory_region_add_subregion(&f->mem_root, 0, &f->ram);
    f->fw = fw_cfg_new(&f->mem);
    fw_cfg_map_io(f->fw, &f->io_root, FW_CFG_IO_BASE);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    fw_cfg_free(f->fw);
    memory_region_del_subregion(&f->mem_root, &f->ram);
    address_space_destroy(&f->mem);
    address_space_destroy(&f->io);
    memory_region_destroy(&f->ram);
    memory_region_destroy(&f->mem_root);
    memory_region_destroy(&f->io_root);
}

static void port_select(Fixture *f, uint16_t key)
{
    g_assert_cmpint(address_space_store(&f->io, FW_CFG_IO_BASE, 2, false, key), ==, MEMTX_OK);
}

static void port_read(Fixture *f, uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint64_t v;

        g_assert_cmpint(address_space_load(&f->io, FW_CFG_IO_BASE + 1, 1, false, &v), ==,
                        MEMTX_OK);
        buf[i] = v;
    }
}

static void test_signature_and_id(Fixture *f, gconstpointer data)
{
    uint8_t buf[8];

    port_select(f, FW_CFG_SIGNATURE);
    port_read(f, buf, 6);
    g_assert_cmpmem(buf, 6, "QEMU\0\0", 6);        /* zeros past the end */
    /* selecting again rewinds */
    port_select(f, FW_CFG_SIGNATURE);
    port_read(f, buf, 2);
    g_assert_cmpmem(buf, 2, "QE", 2);
    port_select(f, FW_CFG_ID);
    port_read(f, buf, 4);
    g_assert_cmpmem(buf, 4, "\x03\0\0\0", 4);
    /* the write-channel bit selects the same item */
    port_select(f, 0x4000 | FW_CFG_SIGNATURE);
    port_read(f, buf, 4);
    g_assert_cmpmem(buf, 4, "QEMU", 4);
    /* an item that does not exist reads as zeros */
    port_select(f, 0x1234);
    port_read(f, buf, 2);
    g_assert_cmpmem(buf, 2, "\0\0", 2);
}

static void test_integers(Fixture *f, gconstpointer data)
{
    uint8_t buf[8];

    fw_cfg_add_i16(f->fw, FW_CFG_NB_CPUS, 0x0102);
    fw_cfg_add_i64(f->fw, FW_CFG_RAM_SIZE, 0x0807060504030201ull);
    port_select(f, FW_CFG_NB_CPUS);
    port_read(f, buf, 2);
    g_assert_cmpmem(buf, 2, "\x02\x01", 2);
    port_select(f, FW_CFG_RAM_SIZE);
    port_read(f, buf, 8);
    g_assert_cmpmem(buf, 8, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
}

static void test_file_directory(Fixture *f, gconstpointer data)
{
    uint8_t dir[4 + 2 * 64];
    uint8_t buf[4];
    GError *err = NULL;
    char long_name[80];

    g_assert_true(fw_cfg_add_file(f->fw, "etc/b", "xyz", 3, NULL));
    g_assert_true(fw_cfg_add_file(f->fw, "etc/a", "1", 1, NULL));
    port_select(f, FW_CFG_FILE_DIR);
    port_read(f, dir, sizeof(dir));
    g_assert_cmpmem(dir, 4, "\0\0\0\x02", 4);                 /* be32 count */
    g_assert_cmpmem(dir + 4, 8, "\0\0\0\x03\0\x20\0\0", 8);   /* size, select, reserved */
    g_assert_cmpstr((char *)dir + 12, ==, "etc/b");
    g_assert_cmpmem(dir + 68, 8, "\0\0\0\x01\0\x21\0\0", 8);
    g_assert_cmpstr((char *)dir + 76, ==, "etc/a");
    port_select(f, 0x20);
    port_read(f, buf, 4);
    g_assert_cmpmem(buf, 4, "xyz\0", 4);

    g_assert_false(fw_cfg_add_file(f->fw, "etc/a", "2", 1, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_EXISTS);
    g_clear_error(&err);
    memset(long_name, 'n', sizeof(long_name) - 1);
    long_name[FW_CFG_MAX_NAME] = '\0';                         /* 56 characters: one too many */
    g_assert_false(fw_cfg_add_file(f->fw, long_name, "", 0, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_clear_error(&err);
}

static void test_dma_register(Fixture *f, gconstpointer data)
{
    uint64_t v;

    g_assert_cmpint(address_space_load(&f->io, FW_CFG_IO_DMA, 8, true, &v), ==, MEMTX_OK);
    g_assert_cmphex(v, ==, FW_CFG_DMA_SIGNATURE);
    g_assert_cmpint(address_space_load(&f->io, FW_CFG_IO_DMA, 4, true, &v), ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x51454d55);
    g_assert_cmpint(address_space_load(&f->io, FW_CFG_IO_DMA + 4, 4, true, &v), ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x20434647);
}

/* Writes a descriptor at DESC and runs it through the two 32-bit halves. */
static uint32_t dma_run(Fixture *f, uint32_t control, uint32_t length, uint64_t address)
{
    uint32_t desc[4] = {
        GUINT32_TO_BE(control), GUINT32_TO_BE(length),
        GUINT32_TO_BE(address >> 32), GUINT32_TO_BE((uint32_t)address),
    };
    uint32_t done;

    g_assert_cmpint(address_space_write(&f->mem, DESC, desc, sizeof(desc)), ==, MEMTX_OK);
    g_assert_cmpint(address_space_store(&f->io, FW_CFG_IO_DMA, 4, true, 0), ==, MEMTX_OK);
    g_assert_cmpint(address_space_store(&f->io, FW_CFG_IO_DMA + 4, 4, true, DESC), ==,
                    MEMTX_OK);
    g_assert_cmpint(address_space_read(&f->mem, DESC, &done, 4), ==, MEMTX_OK);
    return GUINT32_FROM_BE(done);
}

static void test_dma(Fixture *f, gconstpointer data)
{
    uint8_t buf[8];
    uint32_t select_sig = FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT;

    /* select and read, with more length than the item: zeros after it */
    memset(buf, 0xee, sizeof(buf));
    g_assert_cmpint(address_space_write(&f->mem, BUF, buf, sizeof(buf)), ==, MEMTX_OK);
    g_assert_cmphex(dma_run(f, select_sig | FW_CFG_DMA_CTL_READ, 6, BUF), ==, 0);
    g_assert_cmpint(address_space_read(&f->mem, BUF, buf, sizeof(buf)), ==, MEMTX_OK);
    g_assert_cmpmem(buf, 8, "QEMU\0\0\xee\xee", 8);

    /* skip, then read on from there (no select) */
    g_assert_cmphex(dma_run(f, select_sig | FW_CFG_DMA_CTL_SKIP, 2, 0), ==, 0);
    g_assert_cmphex(dma_run(f, FW_CFG_DMA_CTL_READ, 2, BUF), ==, 0);
    g_assert_cmpint(address_space_read(&f->mem, BUF, buf, 2), ==, MEMTX_OK);
    g_assert_cmpmem(buf, 2, "MU", 2);

    /* one 64-bit write of the register works as well: the last 2 bytes */
    memset(buf, 0xee, sizeof(buf));
    g_assert_cmpint(address_space_write(&f->mem, BUF, buf, sizeof(buf)), ==, MEMTX_OK);
    g_assert_cmphex(dma_run(f, select_sig | FW_CFG_DMA_CTL_SKIP, 2, 0), ==, 0);
    g_assert_cmpint(address_space_store(&f->io, FW_CFG_IO_DMA, 8, true, DESC), ==, MEMTX_OK);
    g_assert_cmpint(address_space_read(&f->mem, DESC, buf, 4), ==, MEMTX_OK);
    g_assert_cmpmem(buf, 4, "\0\0\0\0", 4);

    /* writes to items are refused; so is a target outside memory */
    g_assert_cmphex(dma_run(f, select_sig | FW_CFG_DMA_CTL_WRITE, 4, BUF), ==,
                    FW_CFG_DMA_CTL_ERROR);
    g_assert_cmphex(dma_run(f, select_sig | FW_CFG_DMA_CTL_READ, 4, 0x100000000ull), ==,
                    FW_CFG_DMA_CTL_ERROR);
}

static void test_user_files(Fixture *f, gconstpointer data)
{
    GError *err = NULL;
    uint8_t buf[4];

    g_assert_false(fw_cfg_parse_option("name=opt/x", &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_false(fw_cfg_parse_option("name=opt/x,file=/a,string=b", &err));
    g_clear_error(&err);
    g_assert_false(fw_cfg_parse_option("opt/x,colour=red", &err));
    g_clear_error(&err);
    g_assert_true(fw_cfg_parse_option("name=opt/test,string=hey", &err));
    g_assert_no_error(err);
    g_assert_true(fw_cfg_add_user_files(f->fw, &err));
    g_assert_no_error(err);
    port_select(f, FW_CFG_FILE_FIRST);
    port_read(f, buf, 4);
    g_assert_cmpmem(buf, 4, "hey\0", 4);
}

/* A sys-bus-device with its two regions, for boards only. */
static void test_device(Fixture *f, gconstpointer data)
{
    SysBusDevice *sbd = (SysBusDevice *)object_dynamic_cast(OBJECT(f->fw),
                                                            TYPE_SYS_BUS_DEVICE);

    g_assert_nonnull(sbd);
    g_assert_cmpstr(object_get_typename(OBJECT(f->fw)), ==, "fw_cfg-io");
    g_assert_true(DEVICE(f->fw)->realized);
    g_assert_false(DEVICE_GET_CLASS(f->fw)->user_creatable);
    g_assert_cmpint(sbd->num_mmio, ==, 2);
    g_assert_cmpuint(memory_region_size(sysbus_mmio_get_region(sbd, 0)), ==, 2);
    g_assert_cmpuint(memory_region_size(sysbus_mmio_get_region(sbd, 1)), ==, 8);
}

/* Reset rewinds the selected item; the items stay. */
static void test_reset(Fixture *f, gconstpointer data)
{
    uint8_t buf[4];

    g_assert_true(fw_cfg_add_file(f->fw, "etc/kept", "kept", 4, NULL));
    port_select(f, FW_CFG_FILE_FIRST);
    port_read(f, buf, 2);
    device_reset(DEVICE(f->fw));
    port_read(f, buf, 4);
    g_assert_cmpmem(buf, 4, "QEMU", 4);                 /* item 0 from its start */
    port_select(f, FW_CFG_FILE_FIRST);
    port_read(f, buf, 4);
    g_assert_cmpmem(buf, 4, "kept", 4);
}

/* As a board makes it: device_new, items before realize, DMA through
 * the system memory by default. */
static void test_board_made(Fixture *f, gconstpointer data)
{
    DeviceState *dev = device_new(TYPE_FW_CFG_IO, NULL);
    FwCfgState *fw;
    uint8_t buf[3];

    g_assert_nonnull(dev);
    fw = FW_CFG_IO(dev);
    g_assert_true(fw_cfg_add_file(fw, "etc/early", "abc", 3, NULL));
    g_assert_true(device_realize(dev, NULL));
    fw_cfg_map_io(fw, &f->io_root, 0x600);
    g_assert_cmpint(address_space_store(&f->io, 0x600, 2, false, FW_CFG_FILE_FIRST), ==,
                    MEMTX_OK);
    for (size_t i = 0; i < sizeof(buf); i++) {
        uint64_t v;

        g_assert_cmpint(address_space_load(&f->io, 0x601, 1, false, &v), ==, MEMTX_OK);
        buf[i] = v;
    }
    g_assert_cmpmem(buf, 3, "abc", 3);
    /* unref unmaps it: the port reads as nothing is there */
    fw_cfg_free(fw);
    g_assert_cmpint(address_space_store(&f->io, 0x600, 2, false, FW_CFG_FILE_FIRST), !=,
                    MEMTX_OK);
}

static void test_e820(void)
{
    static const E820Entry map[] = {
        { 0, 0x8000000, E820_RAM },
        { 0x100000000ull, 0x40000000, E820_RESERVED },
    };
    static const uint8_t expect[2 * E820_ENTRY_SIZE] = {
        0, 0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 8, 0, 0, 0, 0,   1, 0, 0, 0,
        0, 0, 0, 0, 1, 0, 0, 0,   0, 0, 0, 0x40, 0, 0, 0, 0,   2, 0, 0, 0,
    };
    g_autoptr(GByteArray) out = g_byte_array_new();

    e820_encode(map, G_N_ELEMENTS(map), out);
    g_assert_cmpmem(out->data, out->len, expect, sizeof(expect));
}

#define FIXTURE_TEST(path, fn) \
    g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    FIXTURE_TEST("/fw-cfg/signature-id", test_signature_and_id);
    FIXTURE_TEST("/fw-cfg/integers", test_integers);
    FIXTURE_TEST("/fw-cfg/file-directory", test_file_directory);
    FIXTURE_TEST("/fw-cfg/dma-register", test_dma_register);
    FIXTURE_TEST("/fw-cfg/dma", test_dma);
    FIXTURE_TEST("/fw-cfg/user-files", test_user_files);
    FIXTURE_TEST("/fw-cfg/device", test_device);
    FIXTURE_TEST("/fw-cfg/reset", test_reset);
    FIXTURE_TEST("/fw-cfg/board-made", test_board_made);
    g_test_add_func("/e820/encode", test_e820);
    return g_test_run();
}
