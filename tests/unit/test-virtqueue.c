/*
 * Unit tests of the virtio core's split virtqueues (hw/virtio/virtio.c),
 * driven from the driver's side by writing rings straight into guest RAM.
 *
 * The guest's memory: 64 KiB of RAM at 0x10000 and, right after it, 2 GiB
 * more at 0x20000 (a buffer may span both; the 2 GiB, never touched, stay
 * unallocated on the host, and let a chain reach 4 GiB); a ROM and a
 * recording MMIO device above 4 GiB; nothing anywhere else. A test device has three
 * queues of 8: 0 takes any buffers, 1 only device-writable ones, 2 only
 * device-readable ones.
 *
 * Normal cases: direct and indirect chains popped, pushed, used index and
 * notification suppression with and without VIRTIO_F_RING_EVENT_IDX.
 * Hostile cases: each malformed chain must put the device into
 * DEVICE_NEEDS_RESET with a guest-error message, pop nothing, touch no
 * memory outside guest RAM (the ASan build checks the host side, the MMIO
 * device's log the guest side), and recover with a reset.
 */
#include <string.h>

#include "memory-test-helpers.h"
#include "proteus/virtio.h"

#define RAM_A       0x10000ull
#define RAM_B       0x20000ull
#define RAM_SIZE    0x10000ull
#define RAM_B_SIZE  0x80000000ull
#define RAM_B_END   (RAM_B + RAM_B_SIZE)
#define ROM_BASE    0x100000000ull
#define MMIO_BASE   0x100010000ull

#define QSIZE       8
#define DESC(q)     (RAM_A + 0x1000 * (q))
#define AVAIL(q)    (DESC(q) + 0x400)
#define USED(q)     (DESC(q) + 0x800)
#define BUF         0x18000ull          /* buffers from here on */
#define TABLE       0x1c000ull          /* indirect tables */

#define Q_ANY       0
#define Q_WRITABLE  1
#define Q_READABLE  2

#define F_INDIRECT  (1ull << VIRTIO_F_INDIRECT_DESC)
#define F_EVENT_IDX (1ull << VIRTIO_F_RING_EVENT_IDX)
#define F_VERSION_1 (1ull << VIRTIO_F_VERSION_1)

#define TYPE_TEST_VIRTIO "test-virtio-device"

typedef struct VqFixture {
    Fixture mem;
    MemoryRegion ram_a, ram_b, rom;
    TestDev mmio;
    VirtioBus bus;
    VirtIODevice *vdev;
    uint64_t features;
    unsigned irq_raises;        /* updates that found the line high */
    unsigned handler_calls;
} VqFixture;

/* ---- the test device and bus ---- */

static void test_handler(VirtIODevice *vdev, VirtQueue *vq)
{
    VqFixture *f = vdev->bus->opaque;

    f->handler_calls++;
}

static bool test_realize(VirtIODevice *vdev, GError **errp)
{
    virtio_add_queue(vdev, QSIZE, VIRTQ_BUFFERS_ANY, test_handler);
    virtio_add_queue(vdev, QSIZE, VIRTQ_BUFFERS_WRITABLE, test_handler);
    virtio_add_queue(vdev, QSIZE, VIRTQ_BUFFERS_READABLE, test_handler);
    return true;
}

static void test_class_init(ObjectClass *oc, void *data)
{
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_CLASS(oc);

    vdc->device_id = 0x7e57;
    vdc->realize = test_realize;
}

static const TypeInfo test_virtio_type = {
    .name = TYPE_TEST_VIRTIO,
    .parent = TYPE_VIRTIO_DEVICE,
    .class_init = test_class_init,
};

static void test_update_irq(VirtioBus *bus)
{
    VqFixture *f = bus->opaque;

    if (bus->vdev && bus->vdev->isr) {
        f->irq_raises++;
    }
}

static const VirtioBusOps test_bus_ops = { .update_irq = test_update_irq };

/* ---- guest memory ---- */

static uint8_t *host(VqFixture *f, uint64_t gpa)
{
    if (gpa >= RAM_A && gpa < RAM_A + RAM_SIZE) {
        return (uint8_t *)memory_region_get_ram_ptr(&f->ram_a) + (gpa - RAM_A);
    }
    g_assert_true(gpa >= RAM_B && gpa < RAM_B_END);
    return (uint8_t *)memory_region_get_ram_ptr(&f->ram_b) + (gpa - RAM_B);
}

static void put16(VqFixture *f, uint64_t gpa, uint16_t v)
{
    v = GUINT16_TO_LE(v);
    memcpy(host(f, gpa), &v, 2);
}

static uint16_t get16(VqFixture *f, uint64_t gpa)
{
    uint16_t v;

    memcpy(&v, host(f, gpa), 2);
    return GUINT16_FROM_LE(v);
}

static uint32_t get32(VqFixture *f, uint64_t gpa)
{
    uint32_t v;

    memcpy(&v, host(f, gpa), 4);
    return GUINT32_FROM_LE(v);
}

/* Writes descriptor i of the table at gpa. */
static void put_desc(VqFixture *f, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    uint8_t *p = host(f, table + 16 * i);
    uint64_t a = GUINT64_TO_LE(addr);
    uint32_t l = GUINT32_TO_LE(len);
    uint16_t fl = GUINT16_TO_LE(flags), n = GUINT16_TO_LE(next);

    memcpy(p, &a, 8);
    memcpy(p + 8, &l, 4);
    memcpy(p + 12, &fl, 2);
    memcpy(p + 14, &n, 2);
}

/* Makes head the next available request of queue q. */
static void make_available(VqFixture *f, unsigned q, uint16_t head)
{
    uint16_t idx = get16(f, AVAIL(q) + 2);

    put16(f, AVAIL(q) + 4 + 2 * (idx % QSIZE), head);
    put16(f, AVAIL(q) + 2, idx + 1);
}

static uint16_t used_idx(VqFixture *f, unsigned q)
{
    return get16(f, USED(q) + 2);
}

static VirtQueue *vq(VqFixture *f, unsigned q)
{
    return virtio_get_queue(f->vdev, q);
}

/* ---- set-up ---- */

/* Negotiates f->features and makes all three queues ready, as a driver does. */
static void driver_init(VqFixture *f)
{
    uint64_t features = F_VERSION_1 | f->features;

    memset(host(f, RAM_A), 0, 0x3000);
    virtio_set_status(f->vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    virtio_write_driver_features(f->vdev, 0, (uint32_t)features);
    virtio_write_driver_features(f->vdev, 1, features >> 32);
    virtio_set_status(f->vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                               VIRTIO_STATUS_FEATURES_OK);
    g_assert_cmphex(f->vdev->status & VIRTIO_STATUS_FEATURES_OK, ==,
                    VIRTIO_STATUS_FEATURES_OK);
    for (unsigned q = 0; q < 3; q++) {
        g_assert_true(virtio_queue_set_size(vq(f, q), QSIZE));
        virtio_queue_set_addrs(vq(f, q), DESC(q), AVAIL(q), USED(q));
        g_assert_true(virtio_queue_set_ready(vq(f, q), true));
    }
    virtio_set_status(f->vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                               VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
    g_assert_false(f->vdev->broken);
}

/* data: the feature bits the driver accepts besides VERSION_1. */
static void vq_setup(VqFixture *f, gconstpointer data)
{
    GError *err = NULL;

    f->features = data ? *(const uint64_t *)data : F_INDIRECT | F_EVENT_IDX;
    log_capture_setup();
    fixture_init(&f->mem, 0x200000000ull);
    ram_init(&f->ram_a, "ram-a", RAM_SIZE, 0);
    g_assert_true(memory_region_init_ram(&f->ram_b, NULL, "ram-b", RAM_B_SIZE, &err));
    g_assert_true(memory_region_init_rom(&f->rom, NULL, "rom", 0x1000, &err));
    tdev_init(&f->mmio, "mmio", DEVICE_LITTLE_ENDIAN, 1, 8, false, 1, 8);
    memory_region_add_subregion(&f->mem.root, RAM_A, &f->ram_a);
    memory_region_add_subregion(&f->mem.root, RAM_B, &f->ram_b);
    memory_region_add_subregion(&f->mem.root, ROM_BASE, &f->rom);
    memory_region_add_subregion(&f->mem.root, MMIO_BASE, &f->mmio.mr);

    f->bus.ops = &test_bus_ops;
    f->bus.opaque = f;
    f->vdev = VIRTIO_DEVICE(object_new(TYPE_TEST_VIRTIO));
    f->vdev->dma_as = &f->mem.as;
    virtio_bus_plug(&f->bus, f->vdev);
    g_assert_true(device_realize(DEVICE(f->vdev), &err));
    g_assert_no_error(err);
    driver_init(f);
}

/* The hostile cases' data is their description: default features. */
static void vq_setup_hostile(VqFixture *f, gconstpointer data)
{
    vq_setup(f, NULL);
}

static void vq_teardown(VqFixture *f, gconstpointer data)
{
    /* No test may have reached the MMIO device through a descriptor. */
    g_assert_cmpuint(f->mmio.log->len, ==, 0);
    device_unrealize(DEVICE(f->vdev));
    object_unref(f->vdev);
    memory_region_del_subregion(&f->mem.root, &f->ram_a);
    memory_region_del_subregion(&f->mem.root, &f->ram_b);
    memory_region_del_subregion(&f->mem.root, &f->rom);
    memory_region_del_subregion(&f->mem.root, &f->mmio.mr);
    memory_region_destroy(&f->ram_a);
    memory_region_destroy(&f->ram_b);
    memory_region_destroy(&f->rom);
    tdev_fini(&f->mmio);
    fixture_fini(&f->mem);
    log_capture_teardown();
}

/* ---- normal cases ---- */

static void test_direct_chain(VqFixture *f, gconstpointer data)
{
    VirtQueueElement *elem;

    memcpy(host(f, BUF), "request", 7);
    put_desc(f, DESC(Q_ANY), 0, BUF, 4, VIRTQ_DESC_F_NEXT, 3);
    put_desc(f, DESC(Q_ANY), 3, BUF + 4, 3, VIRTQ_DESC_F_NEXT, 5);
    put_desc(f, DESC(Q_ANY), 5, BUF + 0x100, 32, VIRTQ_DESC_F_WRITE, 0);
    make_available(f, Q_ANY, 0);
    g_assert_true(virtqueue_has_request(vq(f, Q_ANY)));

    elem = virtqueue_pop(vq(f, Q_ANY));
    g_assert_nonnull(elem);
    g_assert_cmpuint(elem->index, ==, 0);
    g_assert_cmpuint(elem->out_num, ==, 2);
    g_assert_cmpuint(elem->in_num, ==, 1);
    g_assert_cmpuint(elem->out_len, ==, 7);
    g_assert_cmpuint(elem->in_len, ==, 32);
    g_assert_true(elem->out_sg[0].iov_base == host(f, BUF));
    g_assert_true(elem->out_sg[1].iov_base == host(f, BUF + 4));
    g_assert_true(elem->in_sg[0].iov_base == host(f, BUF + 0x100));
    {
        char text[8] = { 0 };

        g_assert_cmpuint(virtqueue_elem_read(elem, 0, text, sizeof(text)), ==, 7);
        g_assert_cmpstr(text, ==, "request");
    }
    g_assert_cmpuint(virtqueue_elem_write(elem, 30, "reply", 5), ==, 2);
    g_assert_true(memcmp(host(f, BUF + 0x100 + 30), "re", 2) == 0);
    g_assert_null(virtqueue_pop(vq(f, Q_ANY)));

    virtqueue_push(vq(f, Q_ANY), elem, 32);
    g_assert_cmpuint(used_idx(f, Q_ANY), ==, 1);
    g_assert_cmpuint(get32(f, USED(Q_ANY) + 4), ==, 0);
    g_assert_cmpuint(get32(f, USED(Q_ANY) + 8), ==, 32);
    /* With event index, the device says how far it has read. */
    g_assert_cmpuint(get16(f, USED(Q_ANY) + 4 + 8 * QSIZE), ==, 1);
    g_free(elem);
    g_assert_false(f->vdev->broken);
}

/* A direct descriptor, then an indirect table of three. */
static void test_indirect_chain(VqFixture *f, gconstpointer data)
{
    VirtQueueElement *elem;

    put_desc(f, DESC(Q_ANY), 2, BUF, 16, VIRTQ_DESC_F_NEXT, 6);
    put_desc(f, DESC(Q_ANY), 6, TABLE, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    put_desc(f, TABLE, 0, BUF + 0x100, 8, VIRTQ_DESC_F_NEXT, 2);
    put_desc(f, TABLE, 2, BUF + 0x200, 64, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    put_desc(f, TABLE, 1, BUF + 0x300, 8, VIRTQ_DESC_F_WRITE, 0);
    make_available(f, Q_ANY, 2);

    elem = virtqueue_pop(vq(f, Q_ANY));
    g_assert_nonnull(elem);
    g_assert_cmpuint(elem->index, ==, 2);
    g_assert_cmpuint(elem->out_num, ==, 2);
    g_assert_cmpuint(elem->in_num, ==, 2);
    g_assert_true(elem->out_sg[1].iov_base == host(f, BUF + 0x100));
    g_assert_true(elem->in_sg[0].iov_base == host(f, BUF + 0x200));
    g_assert_true(elem->in_sg[1].iov_base == host(f, BUF + 0x300));
    g_assert_cmpuint(elem->in_len, ==, 72);
    virtqueue_push(vq(f, Q_ANY), elem, 10);
    g_assert_cmpuint(used_idx(f, Q_ANY), ==, 1);
    g_assert_cmpuint(get32(f, USED(Q_ANY) + 4), ==, 2);
    g_assert_cmpuint(get32(f, USED(Q_ANY) + 8), ==, 10);
    g_free(elem);
}

/* A buffer across two RAM regions becomes two host ranges. */
static void test_buffer_across_regions(VqFixture *f, gconstpointer data)
{
    VirtQueueElement *elem;

    put_desc(f, DESC(Q_WRITABLE), 0, RAM_B - 16, 48, VIRTQ_DESC_F_WRITE, 0);
    make_available(f, Q_WRITABLE, 0);
    elem = virtqueue_pop(vq(f, Q_WRITABLE));
    g_assert_nonnull(elem);
    g_assert_cmpuint(elem->in_num, ==, 2);
    g_assert_true(elem->in_sg[0].iov_base == host(f, RAM_B - 16));
    g_assert_cmpuint(elem->in_sg[0].iov_len, ==, 16);
    g_assert_true(elem->in_sg[1].iov_base == host(f, RAM_B));
    g_assert_cmpuint(elem->in_sg[1].iov_len, ==, 32);
    g_free(elem);
}

/* Several requests, completed in a batch, out of order. */
static void test_batch(VqFixture *f, gconstpointer data)
{
    VirtQueueElement *a, *b;

    put_desc(f, DESC(Q_WRITABLE), 4, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    put_desc(f, DESC(Q_WRITABLE), 7, BUF + 8, 8, VIRTQ_DESC_F_WRITE, 0);
    make_available(f, Q_WRITABLE, 4);
    make_available(f, Q_WRITABLE, 7);
    a = virtqueue_pop(vq(f, Q_WRITABLE));
    b = virtqueue_pop(vq(f, Q_WRITABLE));
    g_assert_nonnull(a);
    g_assert_nonnull(b);
    virtqueue_fill(vq(f, Q_WRITABLE), b, 8, 0);
    virtqueue_fill(vq(f, Q_WRITABLE), a, 4, 1);
    g_assert_cmpuint(used_idx(f, Q_WRITABLE), ==, 0);
    virtqueue_flush(vq(f, Q_WRITABLE), 2);
    g_assert_cmpuint(used_idx(f, Q_WRITABLE), ==, 2);
    g_assert_cmpuint(get32(f, USED(Q_WRITABLE) + 4), ==, 7);
    g_assert_cmpuint(get32(f, USED(Q_WRITABLE) + 12), ==, 4);
    g_free(a);
    g_free(b);
}

/* Pushes one request of queue 1 (so the used index moves by one) and notifies. */
static void complete_one(VqFixture *f)
{
    VirtQueueElement *elem;

    put_desc(f, DESC(Q_WRITABLE), 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    make_available(f, Q_WRITABLE, 0);
    elem = virtqueue_pop(vq(f, Q_WRITABLE));
    g_assert_nonnull(elem);
    virtqueue_push(vq(f, Q_WRITABLE), elem, 0);
    g_free(elem);
    virtio_notify(f->vdev, vq(f, Q_WRITABLE));
}

/* used_event (2.7.10): interrupt only when the used index passes it. */
static void test_event_idx(VqFixture *f, gconstpointer data)
{
    uint64_t used_event = AVAIL(Q_WRITABLE) + 4 + 2 * QSIZE;

    complete_one(f);                /* the first one always interrupts */
    g_assert_cmpuint(f->irq_raises, ==, 1);
    g_assert_cmphex(f->vdev->isr, ==, VIRTIO_ISR_QUEUE);
    virtio_isr_ack(f->vdev, VIRTIO_ISR_QUEUE);
    g_assert_cmphex(f->vdev->isr, ==, 0);

    put16(f, used_event, 2);        /* wake me when entry 2 is used */
    complete_one(f);                /* used idx 2: entry 1 done, not yet */
    g_assert_cmpuint(f->irq_raises, ==, 1);
    complete_one(f);                /* used idx 3: entry 2 done */
    g_assert_cmpuint(f->irq_raises, ==, 2);

    /* Asking for driver notifications writes avail_event. */
    virtio_queue_set_notification(vq(f, Q_WRITABLE), false);
    put16(f, USED(Q_WRITABLE) + 4 + 8 * QSIZE, 0);
    virtio_queue_set_notification(vq(f, Q_WRITABLE), true);
    g_assert_cmpuint(get16(f, USED(Q_WRITABLE) + 4 + 8 * QSIZE), ==, 3);
    g_assert_cmpuint(get16(f, USED(Q_WRITABLE)), ==, 0);
}

/* Without event index: VIRTQ_AVAIL_F_NO_INTERRUPT and VIRTQ_USED_F_NO_NOTIFY. */
static void test_flags_suppression(VqFixture *f, gconstpointer data)
{
    put16(f, AVAIL(Q_WRITABLE), VIRTQ_AVAIL_F_NO_INTERRUPT);
    complete_one(f);
    g_assert_cmpuint(f->irq_raises, ==, 0);
    put16(f, AVAIL(Q_WRITABLE), 0);
    complete_one(f);
    g_assert_cmpuint(f->irq_raises, ==, 1);

    virtio_queue_set_notification(vq(f, Q_WRITABLE), false);
    g_assert_cmpuint(get16(f, USED(Q_WRITABLE)), ==, VIRTQ_USED_F_NO_NOTIFY);
    virtio_queue_set_notification(vq(f, Q_WRITABLE), true);
    g_assert_cmpuint(get16(f, USED(Q_WRITABLE)), ==, 0);
}

/* Requests made available before DRIVER_OK are served when it is set. */
static void test_driver_ok_kick(VqFixture *f, gconstpointer data)
{
    virtio_set_status(f->vdev, 0);
    virtio_set_status(f->vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    virtio_write_driver_features(f->vdev, 1, F_VERSION_1 >> 32);
    virtio_set_status(f->vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                               VIRTIO_STATUS_FEATURES_OK);
    memset(host(f, RAM_A), 0, 0x3000);
    virtio_queue_set_addrs(vq(f, Q_ANY), DESC(Q_ANY), AVAIL(Q_ANY), USED(Q_ANY));
    g_assert_true(virtio_queue_set_ready(vq(f, Q_ANY), true));
    put_desc(f, DESC(Q_ANY), 0, BUF, 8, 0, 0);
    make_available(f, Q_ANY, 0);
    virtio_queue_notify(f->vdev, Q_ANY);
    g_assert_cmpuint(f->handler_calls, ==, 0);
    virtio_set_status(f->vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                               VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
    g_assert_cmpuint(f->handler_calls, ==, 1);
}

/* ---- hostile cases ---- */

typedef struct Hostile {
    const char *name;
    unsigned queue;
    void (*build)(VqFixture *f);    /* writes the chain and makes it available */
    const char *message;            /* part of the logged complaint */
} Hostile;

static void build_loop(VqFixture *f)
{
    put_desc(f, DESC(Q_ANY), 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
    put_desc(f, DESC(Q_ANY), 1, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
    make_available(f, Q_ANY, 0);
}

static void build_self_loop(VqFixture *f)
{
    put_desc(f, DESC(Q_ANY), 5, BUF, 8, VIRTQ_DESC_F_NEXT, 5);
    make_available(f, Q_ANY, 5);
}

static void build_next_out_of_range(VqFixture *f)
{
    put_desc(f, DESC(Q_ANY), 0, BUF, 8, VIRTQ_DESC_F_NEXT, QSIZE);
    make_available(f, Q_ANY, 0);
}

static void build_head_out_of_range(VqFixture *f)
{
    make_available(f, Q_ANY, 0xffff);
}

/* More requests made available than the queue holds. */
static void build_avail_idx_jump(VqFixture *f)
{
    put_desc(f, DESC(Q_ANY), 0, BUF, 8, 0, 0);
    put16(f, AVAIL(Q_ANY) + 2, QSIZE + 1);
}

static void build_unassigned(VqFixture *f)
{
    put_desc(f, DESC(Q_ANY), 0, 0x0, 8, 0, 0);
    make_available(f, Q_ANY, 0);
}

static void build_mmio_buffer(VqFixture *f)
{
    put_desc(f, DESC(Q_ANY), 0, MMIO_BASE, 8, 0, 0);
    make_available(f, Q_ANY, 0);
}

/* Starts in RAM, runs past its end into the hole after RAM_B. */
static void build_past_ram_end(VqFixture *f)
{
    put_desc(f, DESC(Q_ANY), 0, RAM_B_END - 8, 16, 0, 0);
    make_available(f, Q_ANY, 0);
}

static void build_writable_rom(VqFixture *f)
{
    put_desc(f, DESC(Q_WRITABLE), 0, ROM_BASE, 8, VIRTQ_DESC_F_WRITE, 0);
    make_available(f, Q_WRITABLE, 0);
}

static void build_address_wraps(VqFixture *f)
{
    put_desc(f, DESC(Q_ANY), 0, UINT64_MAX - 7, 16, 0, 0);
    make_available(f, Q_ANY, 0);
}

static void build_huge_length(VqFixture *f)
{
    put_desc(f, DESC(Q_ANY), 0, BUF, UINT32_MAX, 0, 0);
    make_available(f, Q_ANY, 0);
}

/* Buffers that are all in RAM but add up to more than 2^32 bytes. */
static void build_total_overflow(VqFixture *f)
{
    put_desc(f, DESC(Q_ANY), 0, RAM_B, 0x80000000u, VIRTQ_DESC_F_NEXT, 1);
    put_desc(f, DESC(Q_ANY), 1, RAM_B, 0x80000000u, VIRTQ_DESC_F_NEXT, 2);
    put_desc(f, DESC(Q_ANY), 2, BUF, 8, 0, 0);
    make_available(f, Q_ANY, 0);
}

static void build_writable_in_readable_queue(VqFixture *f)
{
    put_desc(f, DESC(Q_READABLE), 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    make_available(f, Q_READABLE, 0);
}

static void build_readable_in_writable_queue(VqFixture *f)
{
    put_desc(f, DESC(Q_WRITABLE), 0, BUF, 8, 0, 0);
    make_available(f, Q_WRITABLE, 0);
}

static void build_readable_after_writable(VqFixture *f)
{
    put_desc(f, DESC(Q_ANY), 0, BUF, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    put_desc(f, DESC(Q_ANY), 1, BUF + 8, 8, 0, 0);
    make_available(f, Q_ANY, 0);
}

/* An indirect descriptor at the head pointing at a table of len bytes at addr. */
static void make_indirect(VqFixture *f, uint64_t addr, uint32_t len, uint16_t flags)
{
    put_desc(f, DESC(Q_ANY), 0, addr, len, VIRTQ_DESC_F_INDIRECT | flags, 1);
    make_available(f, Q_ANY, 0);
}

static void build_indirect_bad_length(VqFixture *f)
{
    put_desc(f, TABLE, 0, BUF, 8, 0, 0);
    make_indirect(f, TABLE, 24, 0);
}

static void build_indirect_empty(VqFixture *f)
{
    make_indirect(f, TABLE, 0, 0);
}

static void build_indirect_too_big(VqFixture *f)
{
    make_indirect(f, TABLE, 16 * (VIRTQ_MAX_SIZE + 1), 0);
}

static void build_indirect_outside_ram(VqFixture *f)
{
    make_indirect(f, RAM_B_END - 16, 32, 0);
}

static void build_indirect_with_next(VqFixture *f)
{
    put_desc(f, TABLE, 0, BUF, 8, 0, 0);
    put_desc(f, DESC(Q_ANY), 1, BUF, 8, 0, 0);
    make_indirect(f, TABLE, 16, VIRTQ_DESC_F_NEXT);
}

static void build_indirect_nested(VqFixture *f)
{
    put_desc(f, TABLE, 0, TABLE + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
    put_desc(f, TABLE + 0x100, 0, BUF, 8, 0, 0);
    make_indirect(f, TABLE, 16, 0);
}

static void build_indirect_loop(VqFixture *f)
{
    put_desc(f, TABLE, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
    put_desc(f, TABLE, 1, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
    make_indirect(f, TABLE, 32, 0);
}

static void build_indirect_next_out_of_range(VqFixture *f)
{
    put_desc(f, TABLE, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 2);
    make_indirect(f, TABLE, 32, 0);
}

static const Hostile hostile_cases[] = {
    { "loop", Q_ANY, build_loop, "a loop" },
    { "self-loop", Q_ANY, build_self_loop, "a loop" },
    { "next-out-of-range", Q_ANY, build_next_out_of_range, "is beyond the descriptor table" },
    { "head-out-of-range", Q_ANY, build_head_out_of_range, "is beyond the descriptor table" },
    { "avail-idx-jump", Q_ANY, build_avail_idx_jump, "more than the queue size" },
    { "unassigned", Q_ANY, build_unassigned, "not in guest RAM" },
    { "mmio-buffer", Q_ANY, build_mmio_buffer, "not in guest RAM" },
    { "past-ram-end", Q_ANY, build_past_ram_end, "not in guest RAM" },
    { "writable-rom", Q_WRITABLE, build_writable_rom, "not in guest RAM" },
    { "address-wraps", Q_ANY, build_address_wraps, "not in guest RAM" },
    { "huge-length", Q_ANY, build_huge_length, "not in guest RAM" },
    { "total-overflow", Q_ANY, build_total_overflow, "more than 4 GiB" },
    { "writable-in-readable-queue", Q_READABLE, build_writable_in_readable_queue,
      "device-writable buffer" },
    { "readable-in-writable-queue", Q_WRITABLE, build_readable_in_writable_queue,
      "device-readable buffer" },
    { "readable-after-writable", Q_ANY, build_readable_after_writable,
      "readable buffer after a writable one" },
    { "indirect-bad-length", Q_ANY, build_indirect_bad_length, "indirect table of 24 bytes" },
    { "indirect-empty", Q_ANY, build_indirect_empty, "indirect table of 0 bytes" },
    { "indirect-too-big", Q_ANY, build_indirect_too_big, "indirect table of" },
    { "indirect-outside-ram", Q_ANY, build_indirect_outside_ram, "is not in guest RAM" },
    { "indirect-with-next", Q_ANY, build_indirect_with_next, "with NEXT set" },
    { "indirect-nested", Q_ANY, build_indirect_nested, "inside an indirect table" },
    { "indirect-loop", Q_ANY, build_indirect_loop, "a loop" },
    { "indirect-next-out-of-range", Q_ANY, build_indirect_next_out_of_range,
      "beyond the indirect table" },
};

/* Pops q expecting the device to give up with message in the log. */
static void expect_needs_reset(VqFixture *f, unsigned q, const char *message)
{
    g_autofree char *log = NULL;

    log_capture_start();
    g_assert_null(virtqueue_pop(vq(f, q)));
    log = log_capture_end();
    g_assert_nonnull(strstr(log, message));
    g_assert_nonnull(strstr(log, "device needs reset"));
    g_assert_true(f->vdev->broken);
    g_assert_cmphex(f->vdev->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET, ==,
                    VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    /* DRIVER_OK was set: the driver hears of it as a config change. */
    g_assert_cmphex(f->vdev->isr & VIRTIO_ISR_CONFIG, ==, VIRTIO_ISR_CONFIG);
    g_assert_cmpuint(used_idx(f, q), ==, 0);
}

static void test_hostile(VqFixture *f, gconstpointer data)
{
    const Hostile *h = data;
    VirtQueueElement *elem;

    h->build(f);
    expect_needs_reset(f, h->queue, h->message);

    /* Broken: even a good request is left alone, and NEEDS_RESET sticks. */
    put_desc(f, DESC(Q_WRITABLE), 3, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    make_available(f, Q_WRITABLE, 3);
    g_assert_null(virtqueue_pop(vq(f, Q_WRITABLE)));
    virtio_set_status(f->vdev, f->vdev->status);
    g_assert_true(f->vdev->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);

    /* A reset and a new driver start work again. */
    virtio_set_status(f->vdev, 0);
    g_assert_cmphex(f->vdev->status, ==, 0);
    g_assert_false(f->vdev->broken);
    driver_init(f);
    put_desc(f, DESC(Q_WRITABLE), 3, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    make_available(f, Q_WRITABLE, 3);
    elem = virtqueue_pop(vq(f, Q_WRITABLE));
    g_assert_nonnull(elem);
    g_free(elem);
}

/* Indirect descriptors need VIRTIO_F_INDIRECT_DESC. */
static void test_indirect_not_negotiated(VqFixture *f, gconstpointer data)
{
    put_desc(f, TABLE, 0, BUF, 8, 0, 0);
    make_indirect(f, TABLE, 16, 0);
    expect_needs_reset(f, Q_ANY, "without VIRTIO_F_INDIRECT_DESC");
}

/* Rings outside RAM or misaligned are refused when the queue is enabled. */
static void test_bad_rings(VqFixture *f, gconstpointer data)
{
    static const struct {
        uint64_t desc, avail, used;
        const char *message;
    } cases[] = {
        { 0x0, AVAIL(0), USED(0), "outside guest RAM" },
        { DESC(0), MMIO_BASE, USED(0), "outside guest RAM" },
        { DESC(0), AVAIL(0), ROM_BASE, "outside guest RAM" },
        { DESC(0), AVAIL(0), RAM_B_END - 8, "outside guest RAM" },
        { DESC(0) + 8, AVAIL(0), USED(0), "misaligned" },
        { DESC(0), AVAIL(0), USED(0) + 2, "misaligned" },
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *log = NULL;

        virtio_set_status(f->vdev, 0);
        log_capture_start();
        virtio_queue_set_addrs(vq(f, 0), cases[i].desc, cases[i].avail, cases[i].used);
        g_assert_false(virtio_queue_set_ready(vq(f, 0), true));
        log = log_capture_end();
        g_assert_nonnull(strstr(log, cases[i].message));
        g_assert_true(f->vdev->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
        g_assert_null(virtqueue_pop(vq(f, 0)));
    }
}

/* Feature negotiation and the configuration generation. */
static void test_status(VqFixture *f, gconstpointer data)
{
    g_autofree char *log = NULL;

    g_assert_cmphex(virtio_read_device_features(f->vdev, 1), ==, 1);
    g_assert_cmphex(virtio_read_device_features(f->vdev, 0), ==,
                    (uint32_t)(F_INDIRECT | F_EVENT_IDX));
    g_assert_true(virtio_has_feature(f->vdev, VIRTIO_F_RING_EVENT_IDX));

    log_capture_start();
    virtio_write_driver_features(f->vdev, 0, 0);    /* after FEATURES_OK: ignored */
    virtio_set_status(f->vdev, VIRTIO_STATUS_ACKNOWLEDGE);    /* clears bits: kept */
    log = log_capture_end();
    g_assert_nonnull(strstr(log, "after FEATURES_OK"));
    g_assert_nonnull(strstr(log, "without a reset"));
    g_assert_true(virtio_has_feature(f->vdev, VIRTIO_F_RING_EVENT_IDX));
    g_assert_true(f->vdev->status & VIRTIO_STATUS_DRIVER_OK);

    virtio_config_changed(f->vdev);
    g_assert_cmpuint(f->vdev->config_generation, ==, 1);
    g_assert_cmphex(f->vdev->isr, ==, VIRTIO_ISR_CONFIG);
}

static const uint64_t no_event_idx = F_INDIRECT;
static const uint64_t no_indirect = F_EVENT_IDX;

#define ADD(path, fn, data) \
    g_test_add("/virtqueue/" path, VqFixture, data, vq_setup, fn, vq_teardown)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    type_register(&test_virtio_type);

    ADD("pop/direct", test_direct_chain, NULL);
    ADD("pop/indirect", test_indirect_chain, NULL);
    ADD("pop/across-regions", test_buffer_across_regions, NULL);
    ADD("push/batch", test_batch, NULL);
    ADD("notify/event-idx", test_event_idx, NULL);
    ADD("notify/flags", test_flags_suppression, &no_event_idx);
    ADD("notify/driver-ok", test_driver_ok_kick, NULL);
    ADD("status", test_status, NULL);
    ADD("hostile/indirect-not-negotiated", test_indirect_not_negotiated, &no_indirect);
    ADD("hostile/bad-rings", test_bad_rings, NULL);
    for (unsigned i = 0; i < G_N_ELEMENTS(hostile_cases); i++) {
        g_autofree char *path = g_strdup_printf("/virtqueue/hostile/%s",
                                                hostile_cases[i].name);

        g_test_add(path, VqFixture, &hostile_cases[i], vq_setup_hostile, test_hostile,
                   vq_teardown);
    }
    return g_test_run();
}
