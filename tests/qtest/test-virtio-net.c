/*
 * Register-level tests of virtio-net-device (hw/virtio/virtio-net.c) in the
 * virt board's first virtio-mmio slot. The test itself is the backend: the
 * emulator listens with -netdev stream on a Unix socket, and the test
 * connects and exchanges frames in the stream framing (a 4-byte big-endian
 * length, then the frame). Rings and buffers are built in guest RAM with
 * qtest writes.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "libqtest.h"

#define SLOT0       0x10001000ULL

/* virtio-mmio register offsets (virtio 1.2 §4.2.2). */
enum {
    DEVICE_ID = 0x008, DEVICE_FEATURES = 0x010, DEVICE_FEATURES_SEL = 0x014,
    DRIVER_FEATURES = 0x020, DRIVER_FEATURES_SEL = 0x024,
    QUEUE_SEL = 0x030, QUEUE_NUM = 0x038, QUEUE_READY = 0x044, QUEUE_NOTIFY = 0x050,
    STATUS = 0x070, QUEUE_DESC_LOW = 0x080, QUEUE_DRIVER_LOW = 0x090,
    QUEUE_DEVICE_LOW = 0x0a0, CONFIG = 0x100,
};

#define S_DRIVER_SETUP 0x03     /* ACKNOWLEDGE | DRIVER */
#define S_FEATURES_OK  0x08
#define S_DRIVER_OK    0x04

/* Feature bits of the low word (§5.1.3) and VERSION_1 in the high one. */
#define F_MTU          (1u << 3)
#define F_MAC          (1u << 5)
#define F_MRG_RXBUF    (1u << 15)
#define F_STATUS       (1u << 16)
#define F_VERSION_1_HI 0x1

#define DESC_F_WRITE   2
#define HDR_SIZE       12
#define RXQ            0
#define TXQ            1
#define QSIZE          8

/* Each queue's rings in guest RAM; buffer i of a queue at BUF(q) + 0x800 * i. */
#define RING_BASE(q)   (0x80100000ULL + (q) * 0x10000)
#define DESC(q)        RING_BASE(q)
#define AVAIL(q)       (RING_BASE(q) + 0x1000)
#define USED(q)        (RING_BASE(q) + 0x2000)
#define BUF(q, i)      (RING_BASE(q) + 0x4000 + 0x800 * (i))

#define WAIT_MS        5000

typedef struct NetPeer {
    QTestState *qts;
    char *dir;
    char *path;
    int fd;
} NetPeer;

/* Starts the emulator with the NIC on a stream netdev and connects to it. */
static void peer_start(NetPeer *p)
{
    g_autofree char *args = NULL;
    struct sockaddr_un addr = { .sun_family = AF_UNIX };

    p->dir = g_dir_make_tmp(NULL, NULL);
    g_assert_nonnull(p->dir);
    p->path = g_build_filename(p->dir, "net.sock", NULL);
    g_assert_cmpuint(strlen(p->path), <, sizeof(addr.sun_path));
    strcpy(addr.sun_path, p->path);
    args = g_strdup_printf("-M virt -bios none -netdev stream,id=n0,server=on,"
                           "addr.type=unix,addr.path=%s "
                           "-device virtio-net-device,netdev=n0,mac=52:54:00:01:02:03",
                           p->path);
    p->qts = qtest_start(args);
    p->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(p->fd, >=, 0);
    g_assert_cmpint(connect(p->fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
}

static void peer_stop(NetPeer *p)
{
    qtest_quit(p->qts);
    close(p->fd);
    unlink(p->path);
    rmdir(p->dir);
    g_free(p->path);
    g_free(p->dir);
}

static void peer_send(NetPeer *p, const uint8_t *frame, uint32_t len)
{
    uint32_t be = GUINT32_TO_BE(len);

    g_assert_cmpint(send(p->fd, &be, sizeof(be), MSG_NOSIGNAL), ==, sizeof(be));
    g_assert_cmpint(send(p->fd, frame, len, MSG_NOSIGNAL), ==, (ssize_t)len);
}

static void peer_recv_all(NetPeer *p, void *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = recv(p->fd, (uint8_t *)buf + done, len - done, 0);

        g_assert_cmpint(n, >, 0);
        done += n;
    }
}

/* A frame the NIC sent; returns its length. */
static uint32_t peer_recv(NetPeer *p, uint8_t *frame, size_t size)
{
    struct timeval tv = { .tv_sec = WAIT_MS / 1000 };
    uint32_t be;

    g_assert_cmpint(setsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), ==, 0);
    peer_recv_all(p, &be, sizeof(be));
    g_assert_cmpuint(GUINT32_FROM_BE(be), <=, size);
    peer_recv_all(p, frame, GUINT32_FROM_BE(be));
    return GUINT32_FROM_BE(be);
}

/* ---- the driver side ---- */

static void set_reg(NetPeer *p, unsigned off, uint32_t value)
{
    qtest_writel(p->qts, SLOT0 + off, value);
}

static uint32_t reg(NetPeer *p, unsigned off)
{
    return qtest_readl(p->qts, SLOT0 + off);
}

static void setup_queue(NetPeer *p, unsigned q)
{
    uint8_t zero[0x3000] = { 0 };

    qtest_memwrite(p->qts, RING_BASE(q), zero, sizeof(zero));
    set_reg(p, QUEUE_SEL, q);
    set_reg(p, QUEUE_NUM, QSIZE);
    set_reg(p, QUEUE_DESC_LOW, (uint32_t)DESC(q));
    set_reg(p, QUEUE_DRIVER_LOW, (uint32_t)AVAIL(q));
    set_reg(p, QUEUE_DEVICE_LOW, (uint32_t)USED(q));
    set_reg(p, QUEUE_READY, 1);
}

/* Accepts VERSION_1 and low, sets up both queues and reaches DRIVER_OK. */
static void driver_init(NetPeer *p, uint32_t low)
{
    set_reg(p, STATUS, S_DRIVER_SETUP);
    set_reg(p, DRIVER_FEATURES_SEL, 1);
    set_reg(p, DRIVER_FEATURES, F_VERSION_1_HI);
    set_reg(p, DRIVER_FEATURES_SEL, 0);
    set_reg(p, DRIVER_FEATURES, low);
    set_reg(p, STATUS, S_DRIVER_SETUP | S_FEATURES_OK);
    g_assert_cmphex(reg(p, STATUS), ==, S_DRIVER_SETUP | S_FEATURES_OK);
    setup_queue(p, RXQ);
    setup_queue(p, TXQ);
    set_reg(p, STATUS, S_DRIVER_SETUP | S_FEATURES_OK | S_DRIVER_OK);
}

/* Descriptor i of queue q (no chaining): buffer i, len bytes. */
static void put_desc(NetPeer *p, unsigned q, unsigned i, uint32_t len, uint16_t flags)
{
    uint64_t d = DESC(q) + 16 * i;

    qtest_writeq(p->qts, d, BUF(q, i));
    qtest_writel(p->qts, d + 8, len);
    qtest_writew(p->qts, d + 12, flags);
    qtest_writew(p->qts, d + 14, 0);
}

/* Makes descriptor head available on queue q and notifies. */
static void make_available(NetPeer *p, unsigned q, uint16_t head)
{
    uint16_t idx = qtest_readw(p->qts, AVAIL(q) + 2);

    qtest_writew(p->qts, AVAIL(q) + 4 + 2 * (idx % QSIZE), head);
    qtest_writew(p->qts, AVAIL(q) + 2, idx + 1);
    set_reg(p, QUEUE_NOTIFY, q);
}

static uint16_t wait_used(NetPeer *p, unsigned q, uint16_t idx)
{
    for (int i = 0; i < WAIT_MS && qtest_readw(p->qts, USED(q) + 2) != idx; i++) {
        g_usleep(1000);
    }
    return qtest_readw(p->qts, USED(q) + 2);
}

static uint32_t used_len(NetPeer *p, unsigned q, unsigned n)
{
    return qtest_readl(p->qts, USED(q) + 4 + 8 * n + 4);
}

static void fill_pattern(uint8_t *buf, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = seed + i * 7;
    }
}

/* ---- tests ---- */

static void test_config(void)
{
    NetPeer p;

    peer_start(&p);
    g_assert_cmpuint(reg(&p, DEVICE_ID), ==, 1);
    set_reg(&p, DEVICE_FEATURES_SEL, 0);
    g_assert_cmphex(reg(&p, DEVICE_FEATURES) & (F_MTU | F_MAC | F_MRG_RXBUF | F_STATUS), ==,
                    F_MTU | F_MAC | F_MRG_RXBUF | F_STATUS);
    set_reg(&p, DEVICE_FEATURES_SEL, 1);
    g_assert_cmphex(reg(&p, DEVICE_FEATURES), ==, F_VERSION_1_HI);
    /* mac, status LINK_UP, max_virtqueue_pairs 1, mtu 1500 */
    g_assert_cmphex(reg(&p, CONFIG), ==, 0x01005452);
    g_assert_cmphex(qtest_readw(p.qts, SLOT0 + CONFIG + 4), ==, 0x0302);
    g_assert_cmpuint(qtest_readw(p.qts, SLOT0 + CONFIG + 6), ==, 1);
    g_assert_cmpuint(qtest_readw(p.qts, SLOT0 + CONFIG + 8), ==, 1);
    g_assert_cmpuint(qtest_readw(p.qts, SLOT0 + CONFIG + 10), ==, 1500);
    peer_stop(&p);
}

/* A frame in each direction, one buffer each, header checked and skipped. */
static void test_rx_tx(void)
{
    uint8_t frame[60], got[HDR_SIZE + sizeof(frame)], out[2048];
    uint8_t hdr[HDR_SIZE] = { 0 };
    NetPeer p;

    peer_start(&p);
    driver_init(&p, F_MAC | F_STATUS);
    put_desc(&p, RXQ, 0, 1526, DESC_F_WRITE);
    make_available(&p, RXQ, 0);

    fill_pattern(frame, sizeof(frame), 1);
    peer_send(&p, frame, sizeof(frame));
    g_assert_cmpuint(wait_used(&p, RXQ, 1), ==, 1);
    g_assert_cmpuint(used_len(&p, RXQ, 0), ==, sizeof(got));
    qtest_memread(p.qts, BUF(RXQ, 0), got, sizeof(got));
    hdr[10] = 1;    /* num_buffers */
    g_assert_cmpmem(got, HDR_SIZE, hdr, HDR_SIZE);
    g_assert_cmpmem(got + HDR_SIZE, sizeof(frame), frame, sizeof(frame));

    fill_pattern(frame, sizeof(frame), 9);
    qtest_memwrite(p.qts, BUF(TXQ, 0), hdr, HDR_SIZE);
    qtest_memwrite(p.qts, BUF(TXQ, 0) + HDR_SIZE, frame, sizeof(frame));
    put_desc(&p, TXQ, 0, HDR_SIZE + sizeof(frame), 0);
    make_available(&p, TXQ, 0);
    g_assert_cmpuint(peer_recv(&p, out, sizeof(out)), ==, sizeof(frame));
    g_assert_cmpmem(out, sizeof(frame), frame, sizeof(frame));
    g_assert_cmpuint(wait_used(&p, TXQ, 1), ==, 1);
    peer_stop(&p);
}

/* With MRG_RXBUF a frame spreads over small buffers; num_buffers says how many. */
static void test_mergeable(void)
{
    uint8_t frame[150], got[3 * 64];
    NetPeer p;

    peer_start(&p);
    driver_init(&p, F_MAC | F_MRG_RXBUF);
    for (unsigned i = 0; i < 3; i++) {
        put_desc(&p, RXQ, i, 64, DESC_F_WRITE);
        make_available(&p, RXQ, i);
    }
    fill_pattern(frame, sizeof(frame), 3);
    peer_send(&p, frame, sizeof(frame));
    g_assert_cmpuint(wait_used(&p, RXQ, 3), ==, 3);
    g_assert_cmpuint(used_len(&p, RXQ, 0), ==, 64);
    g_assert_cmpuint(used_len(&p, RXQ, 1), ==, 64);
    g_assert_cmpuint(used_len(&p, RXQ, 2), ==, HDR_SIZE + sizeof(frame) - 128);
    for (unsigned i = 0; i < 3; i++) {
        qtest_memread(p.qts, BUF(RXQ, i), got + 64 * i, 64);
    }
    g_assert_cmpuint(got[10] | got[11] << 8, ==, 3);
    g_assert_cmpmem(got + HDR_SIZE, sizeof(frame), frame, sizeof(frame));
    peer_stop(&p);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio-net/config", test_config);
    g_test_add_func("/virtio-net/rx-tx", test_rx_tx);
    g_test_add_func("/virtio-net/mergeable", test_mergeable);
    return g_test_run();
}
