/*
 * Register-level tests of the virtio-mmio transport (hw/virtio/virtio-mmio.c)
 * with virtio-rng-device and virtio-console-device, on the virt board's
 * slots: identification, feature negotiation, queue set-up, and requests
 * built in guest RAM with qtest writes (descriptor table, available ring),
 * served after a QueueNotify and checked in the used ring.
 */
#include <string.h>

#include "libqtest.h"

#define SLOT0       0x10001000ULL
#define SLOT1       0x10002000ULL
#define PLIC_PENDING 0x0c001000ULL

/* Register offsets (virtio 1.2 §4.2.2). */
enum {
    MAGIC = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, VENDOR_ID = 0x00c,
    DEVICE_FEATURES = 0x010, DEVICE_FEATURES_SEL = 0x014,
    DRIVER_FEATURES = 0x020, DRIVER_FEATURES_SEL = 0x024,
    QUEUE_SEL = 0x030, QUEUE_NUM_MAX = 0x034, QUEUE_NUM = 0x038, QUEUE_READY = 0x044,
    QUEUE_NOTIFY = 0x050, INTERRUPT_STATUS = 0x060, INTERRUPT_ACK = 0x064, STATUS = 0x070,
    QUEUE_DESC_LOW = 0x080, QUEUE_DESC_HIGH = 0x084, QUEUE_DRIVER_LOW = 0x090,
    QUEUE_DRIVER_HIGH = 0x094, QUEUE_DEVICE_LOW = 0x0a0, QUEUE_DEVICE_HIGH = 0x0a4,
    CONFIG_GENERATION = 0x0fc, CONFIG = 0x100,
};

#define S_ACKNOWLEDGE  0x01
#define S_DRIVER       0x02
#define S_DRIVER_OK    0x04
#define S_FEATURES_OK  0x08
#define S_NEEDS_RESET  0x40

#define F_VERSION_1_HI 0x1      /* bit 32: bit 0 of the high word */
#define F_INDIRECT     (1u << 28)
#define F_EVENT_IDX    (1u << 29)

#define DESC_F_NEXT    1
#define DESC_F_WRITE   2

#define QSIZE 8

/* Where the test puts a queue's rings and buffers in guest RAM, per queue. */
#define RING_BASE(q)   (0x80100000ULL + (q) * 0x10000)
#define DESC(q)        RING_BASE(q)
#define AVAIL(q)       (RING_BASE(q) + 0x1000)
#define USED(q)        (RING_BASE(q) + 0x2000)
#define BUF(q)         (RING_BASE(q) + 0x4000)

#define WAIT_MS 5000

static QTestState *start_virt(const char *devices)
{
    g_autofree char *args = g_strdup_printf("-M virt -bios none %s", devices);

    return qtest_start(args);
}

static uint32_t reg(QTestState *s, uint64_t base, unsigned off)
{
    return qtest_readl(s, base + off);
}

static void set_reg(QTestState *s, uint64_t base, unsigned off, uint32_t value)
{
    qtest_writel(s, base + off, value);
}

/* Negotiates VERSION_1 (and nothing else) up to FEATURES_OK. */
static void negotiate(QTestState *s, uint64_t base)
{
    set_reg(s, base, STATUS, S_ACKNOWLEDGE);
    set_reg(s, base, STATUS, S_ACKNOWLEDGE | S_DRIVER);
    set_reg(s, base, DRIVER_FEATURES_SEL, 1);
    set_reg(s, base, DRIVER_FEATURES, F_VERSION_1_HI);
    set_reg(s, base, DRIVER_FEATURES_SEL, 0);
    set_reg(s, base, DRIVER_FEATURES, 0);
    set_reg(s, base, STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
    g_assert_cmphex(reg(s, base, STATUS), ==, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
}

static void setup_queue(QTestState *s, uint64_t base, unsigned q)
{
    uint8_t zero[0x3000] = { 0 };

    qtest_memwrite(s, RING_BASE(q), zero, sizeof(zero));
    set_reg(s, base, QUEUE_SEL, q);
    set_reg(s, base, QUEUE_NUM, QSIZE);
    set_reg(s, base, QUEUE_DESC_LOW, (uint32_t)DESC(q));
    set_reg(s, base, QUEUE_DESC_HIGH, DESC(q) >> 32);
    set_reg(s, base, QUEUE_DRIVER_LOW, (uint32_t)AVAIL(q));
    set_reg(s, base, QUEUE_DRIVER_HIGH, AVAIL(q) >> 32);
    set_reg(s, base, QUEUE_DEVICE_LOW, (uint32_t)USED(q));
    set_reg(s, base, QUEUE_DEVICE_HIGH, USED(q) >> 32);
    set_reg(s, base, QUEUE_READY, 1);
    g_assert_cmpuint(reg(s, base, QUEUE_READY), ==, 1);
}

static void driver_ok(QTestState *s, uint64_t base)
{
    set_reg(s, base, STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

/* Descriptor i of queue q: one buffer of len bytes at BUF(q) + 0x100 * i. */
static void put_desc(QTestState *s, unsigned q, unsigned i, uint32_t len, uint16_t flags,
                     uint16_t next)
{
    uint64_t d = DESC(q) + 16 * i;

    qtest_writeq(s, d, BUF(q) + 0x100 * i);
    qtest_writel(s, d + 8, len);
    qtest_writew(s, d + 12, flags);
    qtest_writew(s, d + 14, next);
}

/* Makes head the next available request and notifies queue q. */
static void make_available(QTestState *s, uint64_t base, unsigned q, uint16_t head)
{
    uint16_t idx = qtest_readw(s, AVAIL(q) + 2);

    qtest_writew(s, AVAIL(q) + 4 + 2 * (idx % QSIZE), head);
    qtest_writew(s, AVAIL(q) + 2, idx + 1);
    set_reg(s, base, QUEUE_NOTIFY, q);
}

static void test_ids(void)
{
    QTestState *s = start_virt("-device virtio-rng-device");

    g_assert_cmphex(reg(s, SLOT0, MAGIC), ==, 0x74726976);
    g_assert_cmpuint(reg(s, SLOT0, VERSION), ==, 2);
    g_assert_cmpuint(reg(s, SLOT0, DEVICE_ID), ==, 4);
    g_assert_cmphex(reg(s, SLOT0, VENDOR_ID), !=, 0);
    /* The next slot is empty: a transport that says "no device". */
    g_assert_cmphex(reg(s, SLOT1, MAGIC), ==, 0x74726976);
    g_assert_cmpuint(reg(s, SLOT1, VERSION), ==, 2);
    g_assert_cmpuint(reg(s, SLOT1, DEVICE_ID), ==, 0);
    g_assert_cmpuint(reg(s, SLOT0 + 7 * 0x1000, DEVICE_ID), ==, 0);
    qtest_quit(s);
}

/* Devices fill the slots in order, whatever their type. */
static void test_slot_order(void)
{
    QTestState *s = start_virt("-chardev null,id=c0 -device virtio-console-device,chardev=c0 "
                               "-device virtio-rng-device");

    g_assert_cmpuint(reg(s, SLOT0, DEVICE_ID), ==, 3);
    g_assert_cmpuint(reg(s, SLOT1, DEVICE_ID), ==, 4);
    g_assert_cmpuint(reg(s, SLOT1 + 0x1000, DEVICE_ID), ==, 0);
    qtest_quit(s);
}

/* The virt board has 8 slots: a ninth device is refused, with a reason. */
static void test_slots_full(void)
{
    g_autoptr(GString) args = g_string_new("-M virt -bios none");
    GError *err = NULL;

    for (int i = 0; i < 9; i++) {
        g_string_append(args, " -device virtio-rng-device");
    }
    g_assert_null(qtest_try_start(args->str, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, "no free virtio transport"));
    g_error_free(err);
}

static void test_features(void)
{
    QTestState *s = start_virt("-device virtio-rng-device");

    set_reg(s, SLOT0, DEVICE_FEATURES_SEL, 1);
    g_assert_cmphex(reg(s, SLOT0, DEVICE_FEATURES), ==, F_VERSION_1_HI);
    set_reg(s, SLOT0, DEVICE_FEATURES_SEL, 0);
    g_assert_cmphex(reg(s, SLOT0, DEVICE_FEATURES), ==, F_INDIRECT | F_EVENT_IDX);
    set_reg(s, SLOT0, DEVICE_FEATURES_SEL, 2);
    g_assert_cmphex(reg(s, SLOT0, DEVICE_FEATURES), ==, 0);

    /* A legacy driver (no VERSION_1) is refused FEATURES_OK. */
    set_reg(s, SLOT0, STATUS, S_ACKNOWLEDGE | S_DRIVER);
    set_reg(s, SLOT0, DRIVER_FEATURES_SEL, 0);
    set_reg(s, SLOT0, DRIVER_FEATURES, F_INDIRECT);
    set_reg(s, SLOT0, STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
    g_assert_cmphex(reg(s, SLOT0, STATUS), ==, S_ACKNOWLEDGE | S_DRIVER);

    /* So is a feature the device does not offer (bit 0 of the low word). */
    set_reg(s, SLOT0, STATUS, 0);
    g_assert_cmphex(reg(s, SLOT0, STATUS), ==, 0);
    set_reg(s, SLOT0, STATUS, S_ACKNOWLEDGE | S_DRIVER);
    set_reg(s, SLOT0, DRIVER_FEATURES_SEL, 1);
    set_reg(s, SLOT0, DRIVER_FEATURES, F_VERSION_1_HI);
    set_reg(s, SLOT0, DRIVER_FEATURES_SEL, 0);
    set_reg(s, SLOT0, DRIVER_FEATURES, 1);
    set_reg(s, SLOT0, STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
    g_assert_cmphex(reg(s, SLOT0, STATUS), ==, S_ACKNOWLEDGE | S_DRIVER);

    /* VERSION_1 and EVENT_IDX: accepted. */
    set_reg(s, SLOT0, DRIVER_FEATURES, F_EVENT_IDX);
    set_reg(s, SLOT0, STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
    g_assert_cmphex(reg(s, SLOT0, STATUS), ==, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
    qtest_quit(s);
}

static void test_queue_setup(void)
{
    QTestState *s = start_virt("-device virtio-rng-device");

    negotiate(s, SLOT0);
    set_reg(s, SLOT0, QUEUE_SEL, 0);
    g_assert_cmpuint(reg(s, SLOT0, QUEUE_NUM_MAX), ==, 64);
    g_assert_cmpuint(reg(s, SLOT0, QUEUE_READY), ==, 0);
    /* Not a power of 2, and beyond the maximum: both ignored. */
    set_reg(s, SLOT0, QUEUE_NUM, 3);
    g_assert_cmpuint(reg(s, SLOT0, QUEUE_NUM), ==, 64);
    set_reg(s, SLOT0, QUEUE_NUM, 128);
    g_assert_cmpuint(reg(s, SLOT0, QUEUE_NUM), ==, 64);
    setup_queue(s, SLOT0, 0);
    g_assert_cmpuint(reg(s, SLOT0, QUEUE_NUM), ==, QSIZE);
    g_assert_cmphex(reg(s, SLOT0, QUEUE_DESC_LOW), ==, (uint32_t)DESC(0));
    /* A ready queue's set-up cannot change. */
    set_reg(s, SLOT0, QUEUE_NUM, 4);
    g_assert_cmpuint(reg(s, SLOT0, QUEUE_NUM), ==, QSIZE);
    /* rng has a single queue. */
    set_reg(s, SLOT0, QUEUE_SEL, 1);
    g_assert_cmpuint(reg(s, SLOT0, QUEUE_NUM_MAX), ==, 0);
    /* A reset forgets the queue. */
    set_reg(s, SLOT0, STATUS, 0);
    set_reg(s, SLOT0, QUEUE_SEL, 0);
    g_assert_cmpuint(reg(s, SLOT0, QUEUE_READY), ==, 0);
    g_assert_cmpuint(reg(s, SLOT0, QUEUE_NUM), ==, 64);
    qtest_quit(s);
}

static void test_rng_request(void)
{
    QTestState *s = start_virt("-device virtio-rng-device");
    uint8_t buf[64], zero[64] = { 0 };

    negotiate(s, SLOT0);
    setup_queue(s, SLOT0, 0);
    driver_ok(s, SLOT0);
    qtest_memwrite(s, BUF(0), zero, sizeof(zero));
    put_desc(s, 0, 0, sizeof(buf), DESC_F_WRITE, 0);
    make_available(s, SLOT0, 0, 0);

    g_assert_cmpuint(qtest_readw(s, USED(0) + 2), ==, 1);
    g_assert_cmpuint(qtest_readl(s, USED(0) + 4), ==, 0);              /* id */
    g_assert_cmpuint(qtest_readl(s, USED(0) + 8), ==, sizeof(buf));    /* len */
    qtest_memread(s, BUF(0), buf, sizeof(buf));
    g_assert_true(memcmp(buf, zero, sizeof(buf)) != 0);
    /* The used-buffer interrupt, on PLIC source 1. */
    g_assert_cmphex(reg(s, SLOT0, INTERRUPT_STATUS), ==, 1);
    g_assert_cmphex(qtest_readl(s, PLIC_PENDING) & 2, ==, 2);
    set_reg(s, SLOT0, INTERRUPT_ACK, 1);
    g_assert_cmphex(reg(s, SLOT0, INTERRUPT_STATUS), ==, 0);

    /* A second request of two chained buffers. */
    qtest_memwrite(s, BUF(0) + 0x100, zero, sizeof(zero));
    qtest_memwrite(s, BUF(0) + 0x200, zero, sizeof(zero));
    put_desc(s, 0, 1, 16, DESC_F_WRITE | DESC_F_NEXT, 2);
    put_desc(s, 0, 2, 32, DESC_F_WRITE, 0);
    make_available(s, SLOT0, 0, 1);
    g_assert_cmpuint(qtest_readw(s, USED(0) + 2), ==, 2);
    g_assert_cmpuint(qtest_readl(s, USED(0) + 12), ==, 1);
    g_assert_cmpuint(qtest_readl(s, USED(0) + 16), ==, 48);
    qtest_memread(s, BUF(0) + 0x200, buf, 32);
    g_assert_true(memcmp(buf, zero, 32) != 0);
    qtest_quit(s);
}

/* A readable buffer in rng's queue: DEVICE_NEEDS_RESET, then a reset clears it. */
static void test_rng_bad_request(void)
{
    QTestState *s = start_virt("-device virtio-rng-device");

    negotiate(s, SLOT0);
    setup_queue(s, SLOT0, 0);
    driver_ok(s, SLOT0);
    put_desc(s, 0, 0, 16, 0, 0);
    make_available(s, SLOT0, 0, 0);
    g_assert_cmpuint(qtest_readw(s, USED(0) + 2), ==, 0);
    g_assert_cmphex(reg(s, SLOT0, STATUS) & S_NEEDS_RESET, ==, S_NEEDS_RESET);
    /* The driver hears of it through a configuration change interrupt. */
    g_assert_cmphex(reg(s, SLOT0, INTERRUPT_STATUS), ==, 2);
    set_reg(s, SLOT0, STATUS, 0);
    g_assert_cmphex(reg(s, SLOT0, STATUS), ==, 0);
    g_assert_cmphex(reg(s, SLOT0, INTERRUPT_STATUS), ==, 0);
    qtest_quit(s);
}

static void test_console(void)
{
    QTestChardev *chr = qtest_chardev_new();
    g_autofree char *chr_args = qtest_chardev_args(chr, "c0");
    g_autofree char *args = g_strdup_printf("%s -device virtio-console-device,chardev=c0",
                                            chr_args);
    QTestState *s = start_virt(args);
    char out[6] = { 0 }, in[3] = { 0 };

    qtest_chardev_connect(chr, s, "c0");
    g_assert_cmpuint(reg(s, SLOT0, DEVICE_ID), ==, 3);
    /* config: max_nr_ports = 1 at offset 4. */
    g_assert_cmpuint(reg(s, SLOT0, CONFIG + 4), ==, 1);
    negotiate(s, SLOT0);
    setup_queue(s, SLOT0, 0);
    setup_queue(s, SLOT0, 1);
    driver_ok(s, SLOT0);

    /* transmitq: a readable buffer goes to the chardev. */
    qtest_memwrite(s, BUF(1), "hello", 5);
    put_desc(s, 1, 0, 5, 0, 0);
    make_available(s, SLOT0, 1, 0);
    g_assert_cmpuint(qtest_chardev_read(chr, out, 5, WAIT_MS), ==, 5);
    g_assert_cmpstr(out, ==, "hello");
    g_assert_cmpuint(qtest_readw(s, USED(1) + 2), ==, 1);

    /* receiveq: bytes from the chardev land in a writable buffer. */
    put_desc(s, 0, 0, 64, DESC_F_WRITE, 0);
    make_available(s, SLOT0, 0, 0);
    qtest_chardev_write(chr, "abc", 3);
    for (int i = 0; i < WAIT_MS && qtest_readw(s, USED(0) + 2) == 0; i++) {
        g_usleep(1000);
    }
    g_assert_cmpuint(qtest_readw(s, USED(0) + 2), ==, 1);
    g_assert_cmpuint(qtest_readl(s, USED(0) + 8), ==, 3);
    qtest_memread(s, BUF(0), in, 3);
    g_assert_true(memcmp(in, "abc", 3) == 0);
    qtest_quit(s);
    qtest_chardev_free(chr);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio-mmio/ids", test_ids);
    g_test_add_func("/virtio-mmio/slot-order", test_slot_order);
    g_test_add_func("/virtio-mmio/slots-full", test_slots_full);
    g_test_add_func("/virtio-mmio/features", test_features);
    g_test_add_func("/virtio-mmio/queue-setup", test_queue_setup);
    g_test_add_func("/virtio-mmio/rng/request", test_rng_request);
    g_test_add_func("/virtio-mmio/rng/bad-request", test_rng_bad_request);
    g_test_add_func("/virtio-mmio/console", test_console);
    return g_test_run();
}
