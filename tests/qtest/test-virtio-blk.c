/*
 * Register-level tests of virtio-blk-device (hw/virtio/virtio-blk.c) in the
 * virt board's first virtio-mmio slot, on a raw image in a temporary file:
 * the configuration and features, then requests built in guest RAM (header,
 * data, status descriptors), each checked in the status byte, the used
 * ring, guest memory and the image file on the host.
 */
#include <string.h>
#include <unistd.h>

#include "libqtest.h"

#define SLOT0       0x10001000ULL

/* Register offsets (virtio 1.2 §4.2.2). */
enum {
    DEVICE_ID = 0x008, DEVICE_FEATURES = 0x010, DEVICE_FEATURES_SEL = 0x014,
    DRIVER_FEATURES = 0x020, DRIVER_FEATURES_SEL = 0x024,
    QUEUE_SEL = 0x030, QUEUE_NUM = 0x038, QUEUE_READY = 0x044, QUEUE_NOTIFY = 0x050,
    STATUS = 0x070, QUEUE_DESC_LOW = 0x080, QUEUE_DRIVER_LOW = 0x090,
    QUEUE_DEVICE_LOW = 0x0a0, CONFIG = 0x100,
};

#define S_ACK_DRIVER   (0x01 | 0x02)            /* ACKNOWLEDGE, DRIVER */
#define S_READY        (S_ACK_DRIVER | 0x08)    /* and FEATURES_OK */
#define S_DRIVER_OK    0x04
#define S_NEEDS_RESET  0x40

#define DESC_F_NEXT    1
#define DESC_F_WRITE   2

/* Feature bits and requests (virtio 1.2 §5.2). */
#define F_SEG_MAX      (1u << 2)
#define F_RO           (1u << 5)
#define F_BLK_SIZE     (1u << 6)
#define F_FLUSH        (1u << 9)
#define F_DISCARD      (1u << 13)
#define F_WRITE_ZEROES (1u << 14)

enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8, T_WRITE_ZEROES = 13 };
enum { S_OK = 0, S_IOERR = 1, S_UNSUPP = 2 };

#define QSIZE     8
#define DESC      0x80100000ULL
#define AVAIL     0x80101000ULL
#define USED      0x80102000ULL
#define HDR       0x80104000ULL
#define DATA      0x80105000ULL
#define STATUS_B  0x80108000ULL

#define SECTORS   64
#define WAIT_MS   5000

typedef struct BlkFixture {
    QTestState *s;
    char *image;
    uint16_t used_idx;
} BlkFixture;

static uint8_t pattern_byte(unsigned sector, unsigned i)
{
    return (sector * 7 + i) & 0xff;
}

static char *make_image(void)
{
    g_autoptr(GError) err = NULL;
    char *path = NULL;
    int fd = g_file_open_tmp(NULL, &path, &err);
    uint8_t sector[512];

    g_assert_no_error(err);
    for (unsigned n = 0; n < SECTORS; n++) {
        for (unsigned i = 0; i < sizeof(sector); i++) {
            sector[i] = pattern_byte(n, i);
        }
        g_assert_cmpint(write(fd, sector, sizeof(sector)), ==, sizeof(sector));
    }
    close(fd);
    return path;
}

/* Starts the board with the drive and brings the device to DRIVER_OK. */
static void blk_start(BlkFixture *f, const char *drive_opts)
{
    g_autofree char *args = NULL;
    uint8_t zero[0x3000] = { 0 };
    QTestState *s;

    f->image = make_image();
    args = g_strdup_printf("-M virt -bios none -drive file=%s,format=raw%s", f->image,
                           drive_opts);
    f->s = s = qtest_start(args);
    f->used_idx = 0;
    g_assert_cmpuint(qtest_readl(s, SLOT0 + DEVICE_ID), ==, 2);
    qtest_writel(s, SLOT0 + STATUS, S_ACK_DRIVER);
    qtest_writel(s, SLOT0 + DRIVER_FEATURES_SEL, 1);
    qtest_writel(s, SLOT0 + DRIVER_FEATURES, 1);        /* VERSION_1 */
    qtest_writel(s, SLOT0 + DRIVER_FEATURES_SEL, 0);
    qtest_writel(s, SLOT0 + DRIVER_FEATURES, F_FLUSH | F_WRITE_ZEROES);
    qtest_writel(s, SLOT0 + STATUS, S_READY);
    g_assert_cmphex(qtest_readl(s, SLOT0 + STATUS), ==, S_READY);
    qtest_memwrite(s, DESC, zero, sizeof(zero));
    qtest_writel(s, SLOT0 + QUEUE_SEL, 0);
    qtest_writel(s, SLOT0 + QUEUE_NUM, QSIZE);
    qtest_writel(s, SLOT0 + QUEUE_DESC_LOW, (uint32_t)DESC);
    qtest_writel(s, SLOT0 + QUEUE_DRIVER_LOW, (uint32_t)AVAIL);
    qtest_writel(s, SLOT0 + QUEUE_DEVICE_LOW, (uint32_t)USED);
    qtest_writel(s, SLOT0 + QUEUE_READY, 1);
    qtest_writel(s, SLOT0 + STATUS, S_READY | S_DRIVER_OK);
}

static void blk_stop(BlkFixture *f)
{
    qtest_quit(f->s);
    unlink(f->image);
    g_free(f->image);
}

static void put_desc(QTestState *s, unsigned i, uint64_t addr, uint32_t len, uint16_t flags)
{
    qtest_writeq(s, DESC + 16 * i, addr);
    qtest_writel(s, DESC + 16 * i + 8, len);
    qtest_writew(s, DESC + 16 * i + 12, flags);
    qtest_writew(s, DESC + 16 * i + 14, i + 1);
}

/* Offers the chain at descriptor 0 and waits until the device returns it. */
static void submit_and_wait(BlkFixture *f)
{
    QTestState *s = f->s;
    uint16_t avail = qtest_readw(s, AVAIL + 2);

    qtest_writew(s, AVAIL + 4 + 2 * (avail % QSIZE), 0);
    qtest_writew(s, AVAIL + 2, avail + 1);
    qtest_writel(s, SLOT0 + QUEUE_NOTIFY, 0);
    for (int i = 0; i < WAIT_MS && qtest_readw(s, USED + 2) == f->used_idx; i++) {
        g_usleep(1000);
    }
    g_assert_cmpuint(qtest_readw(s, USED + 2), ==, (uint16_t)(f->used_idx + 1));
    f->used_idx++;
}

/*
 * One request: header, data_len bytes at DATA (device-writable if
 * data_in; none if 0), status byte. Returns the status; *used_len (if
 * not NULL) gets the length the device put in the used ring.
 */
static uint8_t blk_request(BlkFixture *f, uint32_t type, uint64_t sector, uint32_t data_len,
                           bool data_in, uint32_t *used_len)
{
    QTestState *s = f->s;
    unsigned n = 0;

    qtest_writel(s, HDR, type);
    qtest_writel(s, HDR + 4, 0);
    qtest_writeq(s, HDR + 8, sector);
    qtest_writeb(s, STATUS_B, 0xee);
    put_desc(s, n++, HDR, 16, DESC_F_NEXT);
    if (data_len) {
        put_desc(s, n++, DATA, data_len, DESC_F_NEXT | (data_in ? DESC_F_WRITE : 0));
    }
    put_desc(s, n, STATUS_B, 1, DESC_F_WRITE);
    submit_and_wait(f);
    if (used_len) {
        *used_len = qtest_readl(s, USED + 4 + 8 * ((f->used_idx - 1) % QSIZE) + 4);
    }
    return qtest_readb(s, STATUS_B);
}

static void read_image(BlkFixture *f, unsigned sector, uint8_t *buf, size_t len)
{
    g_autofree char *contents = NULL;
    gsize size = 0;

    g_assert_true(g_file_get_contents(f->image, &contents, &size, NULL));
    g_assert_cmpuint(size, ==, SECTORS * 512);
    memcpy(buf, contents + sector * 512, len);
}

static void test_config(void)
{
    BlkFixture f;
    uint32_t features;

    blk_start(&f, "");
    qtest_writel(f.s, SLOT0 + DEVICE_FEATURES_SEL, 0);
    features = qtest_readl(f.s, SLOT0 + DEVICE_FEATURES);
    g_assert_cmphex(features & (F_SEG_MAX | F_BLK_SIZE | F_FLUSH | F_DISCARD | F_WRITE_ZEROES),
                    ==, F_SEG_MAX | F_BLK_SIZE | F_FLUSH | F_DISCARD | F_WRITE_ZEROES);
    g_assert_cmphex(features & F_RO, ==, 0);
    g_assert_cmpuint(qtest_readl(f.s, SLOT0 + CONFIG), ==, SECTORS);     /* capacity */
    g_assert_cmpuint(qtest_readl(f.s, SLOT0 + CONFIG + 4), ==, 0);
    g_assert_cmpuint(qtest_readl(f.s, SLOT0 + CONFIG + 12), >, 0);      /* seg_max */
    g_assert_cmpuint(qtest_readl(f.s, SLOT0 + CONFIG + 20), ==, 512);   /* blk_size */
    blk_stop(&f);
}

static void test_read_write(void)
{
    BlkFixture f;
    uint8_t buf[1024], want[1024];
    uint32_t used_len;

    blk_start(&f, "");
    /* sectors 3-4 read into guest memory */
    g_assert_cmpuint(blk_request(&f, T_IN, 3, 1024, true, &used_len), ==, S_OK);
    g_assert_cmpuint(used_len, ==, 1024 + 1);
    qtest_memread(f.s, DATA, buf, sizeof(buf));
    for (unsigned i = 0; i < sizeof(want); i++) {
        want[i] = pattern_byte(3 + i / 512, i % 512);
    }
    g_assert_true(memcmp(buf, want, sizeof(buf)) == 0);

    /* a sector written lands in the file; a flush succeeds */
    memset(want, 0x5a, 512);
    qtest_memwrite(f.s, DATA, want, 512);
    g_assert_cmpuint(blk_request(&f, T_OUT, 10, 512, false, &used_len), ==, S_OK);
    g_assert_cmpuint(used_len, ==, 1);
    g_assert_cmpuint(blk_request(&f, T_FLUSH, 0, 0, false, NULL), ==, S_OK);
    read_image(&f, 10, buf, 512);
    g_assert_true(memcmp(buf, want, 512) == 0);
    read_image(&f, 11, buf, 1);
    g_assert_cmpuint(buf[0], ==, pattern_byte(11, 0));

    /* write-zeroes of sector 20: one segment after the header */
    qtest_writeq(f.s, DATA, 20);
    qtest_writel(f.s, DATA + 8, 1);
    qtest_writel(f.s, DATA + 12, 0);
    g_assert_cmpuint(blk_request(&f, T_WRITE_ZEROES, 0, 16, false, NULL), ==, S_OK);
    read_image(&f, 20, buf, 512);
    memset(want, 0, 512);
    g_assert_true(memcmp(buf, want, 512) == 0);
    blk_stop(&f);
}

static void test_errors(void)
{
    BlkFixture f;

    blk_start(&f, "");
    /* past the end, a partial sector, an unknown type */
    g_assert_cmpuint(blk_request(&f, T_IN, SECTORS - 1, 1024, true, NULL), ==, S_IOERR);
    g_assert_cmpuint(blk_request(&f, T_OUT, SECTORS, 512, false, NULL), ==, S_IOERR);
    g_assert_cmpuint(blk_request(&f, T_IN, 0, 100, true, NULL), ==, S_IOERR);
    g_assert_cmpuint(blk_request(&f, 99, 0, 0, false, NULL), ==, S_UNSUPP);
    /* the device still works */
    g_assert_cmpuint(blk_request(&f, T_IN, 0, 512, true, NULL), ==, S_OK);

    /* no status byte: the chain is broken, the device needs a reset */
    put_desc(f.s, 0, HDR, 16, 0);
    qtest_writew(f.s, AVAIL + 4 + 2 * (qtest_readw(f.s, AVAIL + 2) % QSIZE), 0);
    qtest_writew(f.s, AVAIL + 2, qtest_readw(f.s, AVAIL + 2) + 1);
    qtest_writel(f.s, SLOT0 + QUEUE_NOTIFY, 0);
    g_assert_cmphex(qtest_readl(f.s, SLOT0 + STATUS) & S_NEEDS_RESET, ==, S_NEEDS_RESET);
    blk_stop(&f);
}

static void test_get_id(void)
{
    BlkFixture f;
    char id[21] = { 0 };
    uint32_t used_len;

    blk_start(&f, ",if=none,id=d0 -device virtio-blk-device,drive=d0,serial=SN-42");
    g_assert_cmpuint(blk_request(&f, T_GET_ID, 0, 20, true, &used_len), ==, S_OK);
    g_assert_cmpuint(used_len, ==, 21);
    qtest_memread(f.s, DATA, id, 20);
    g_assert_cmpstr(id, ==, "SN-42");
    blk_stop(&f);
}

static void test_read_only(void)
{
    BlkFixture f;
    uint8_t buf[512];

    blk_start(&f, ",readonly=on");
    qtest_writel(f.s, SLOT0 + DEVICE_FEATURES_SEL, 0);
    g_assert_cmphex(qtest_readl(f.s, SLOT0 + DEVICE_FEATURES) & F_RO, ==, F_RO);
    g_assert_cmpuint(blk_request(&f, T_OUT, 1, 512, false, NULL), ==, S_IOERR);
    g_assert_cmpuint(blk_request(&f, T_IN, 1, 512, true, NULL), ==, S_OK);
    read_image(&f, 1, buf, 1);
    g_assert_cmpuint(buf[0], ==, pattern_byte(1, 0));
    blk_stop(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio-blk/config", test_config);
    g_test_add_func("/virtio-blk/read-write", test_read_write);
    g_test_add_func("/virtio-blk/errors", test_errors);
    g_test_add_func("/virtio-blk/get-id", test_get_id);
    g_test_add_func("/virtio-blk/read-only", test_read_only);
    return g_test_run();
}
