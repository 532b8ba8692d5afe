/*
 * The virtio 1.x device core (virtio 1.2, chapter 2): device status and
 * feature negotiation, the configuration space and its generation counter,
 * and split virtqueues walked defensively.
 *
 * The rings and every buffer are reached through host pointers into guest
 * RAM, found with address_space_translate(); anything that is not RAM (or,
 * for buffers the device writes, is ROM) is refused. A descriptor is read
 * once into a local copy before it is checked, so a driver changing it
 * underneath changes nothing. Any broken rule puts the device into
 * DEVICE_NEEDS_RESET through virtio_error().
 *
 * Ring accesses pair with the driver's barriers (2.7.7, 2.7.13): the
 * available index is loaded with acquire semantics before the entries it
 * covers are read, the used index stored with release semantics after the
 * entries it publishes, and a full fence orders that store before the
 * device reads the driver's suppression flags or event index.
 */
#include <stdarg.h>
#include <string.h>

#include "proteus/log.h"
#include "proteus/virtio.h"

#define VIRTQ_DESC_SIZE 16
/* Chains may hold at most 2^32 bytes in total (2.7.5.2). */
#define VIRTQ_CHAIN_MAX_BYTES (1ull << 32)

struct VirtQueue {
    VirtIODevice *vdev;
    unsigned index;
    unsigned max_size;
    unsigned size;
    VirtQueueBuffers buffers;
    VirtQueueHandler *handler;

    bool ready;
    uint64_t desc_addr, avail_addr, used_addr;
    /* Host pointers to the rings while ready; NULL if they were refused. */
    uint8_t *desc;
    uint8_t *avail;
    uint8_t *used;

    uint16_t last_avail_idx;        /* next request to pop */
    uint16_t used_idx;              /* next used entry to publish */
    uint16_t signalled_used;        /* used_idx at the last interrupt */
    bool signalled_used_valid;
    bool notification;              /* the device wants driver notifications */
};

/* ---- little-endian fields in guest RAM ---- */

static uint16_t ld16(const uint8_t *p)
{
    uint16_t v;

    memcpy(&v, p, sizeof(v));
    return GUINT16_FROM_LE(v);
}

static uint32_t ld32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
    return GUINT32_FROM_LE(v);
}

static uint64_t ld64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return GUINT64_FROM_LE(v);
}

static void st16(uint8_t *p, uint16_t v)
{
    v = GUINT16_TO_LE(v);
    memcpy(p, &v, sizeof(v));
}

static void st32(uint8_t *p, uint32_t v)
{
    v = GUINT32_TO_LE(v);
    memcpy(p, &v, sizeof(v));
}

/* The ring indexes are naturally aligned (the queue checks it), so atomic. */
static uint16_t ld16_acquire(const uint8_t *p)
{
    return GUINT16_FROM_LE(__atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE));
}

static void st16_release(uint8_t *p, uint16_t v)
{
    __atomic_store_n((uint16_t *)p, GUINT16_TO_LE(v), __ATOMIC_RELEASE);
}

/* ---- status, interrupts, errors ---- */

static void virtio_update_irq(VirtIODevice *vdev)
{
    if (vdev->bus) {
        vdev->bus->ops->update_irq(vdev->bus);
    }
}

static void virtio_raise(VirtIODevice *vdev, uint8_t isr_bit)
{
    vdev->isr |= isr_bit;
    virtio_update_irq(vdev);
}

void virtio_error(VirtIODevice *vdev, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    log_mask(LOG_GUEST_ERROR, "%s: %s (device needs reset)\n", vdev->name, msg);
    vdev->broken = true;
    vdev->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    /* 2.1.2: with DRIVER_OK set, the driver hears of it by a config change. */
    if (vdev->status & VIRTIO_STATUS_DRIVER_OK) {
        virtio_raise(vdev, VIRTIO_ISR_CONFIG);
    }
}

bool virtio_has_feature(VirtIODevice *vdev, unsigned bit)
{
    return (vdev->guest_features >> bit) & 1;
}

static void virtio_queue_clear(VirtQueue *vq)
{
    vq->ready = false;
    vq->size = vq->max_size;
    vq->desc_addr = vq->avail_addr = vq->used_addr = 0;
    vq->desc = vq->avail = vq->used = NULL;
    vq->last_avail_idx = 0;
    vq->used_idx = 0;
    vq->signalled_used = 0;
    vq->signalled_used_valid = false;
    vq->notification = true;
}

void virtio_reset(VirtIODevice *vdev)
{
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_GET_CLASS(vdev);

    vdev->status = 0;
    vdev->broken = false;
    vdev->isr = 0;
    vdev->driver_features = 0;
    vdev->guest_features = 0;
    for (unsigned i = 0; i < vdev->num_queues; i++) {
        virtio_queue_clear(vdev->vqs[i]);
    }
    if (vdc->reset) {
        vdc->reset(vdev);
    }
    virtio_update_irq(vdev);
}

/* FEATURES_OK (3.1.1): the driver's choice must be offered and modern. */
static bool virtio_negotiate(VirtIODevice *vdev)
{
    uint64_t extra = vdev->driver_features & ~vdev->host_features;

    if (extra) {
        log_mask(LOG_GUEST_ERROR, "%s: driver accepts features not offered (0x%" G_GINT64_MODIFIER
                 "x): FEATURES_OK refused\n", vdev->name, extra);
        return false;
    }
    if (!((vdev->driver_features >> VIRTIO_F_VERSION_1) & 1)) {
        log_mask(LOG_GUEST_ERROR, "%s: driver did not accept VIRTIO_F_VERSION_1 (legacy "
                 "drivers are not supported): FEATURES_OK refused\n", vdev->name);
        return false;
    }
    vdev->guest_features = vdev->driver_features;
    return true;
}

/* Requests made before DRIVER_OK were not served then (3.1.1): serve them now. */
static void virtio_kick_ready_queues(VirtIODevice *vdev)
{
    for (unsigned i = 0; i < vdev->num_queues; i++) {
        if (vdev->vqs[i]->ready && virtqueue_has_request(vdev->vqs[i])) {
            virtio_queue_notify(vdev, i);
        }
    }
}

void virtio_set_status(VirtIODevice *vdev, uint8_t value)
{
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_GET_CLASS(vdev);
    uint8_t old = vdev->status;

    if (value == 0) {
        virtio_reset(vdev);
        return;
    }
    /* DEVICE_NEEDS_RESET is the device's to set; only a reset clears bits. */
    value = (value & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET) |
            (old & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    if (old & ~value) {
        log_mask(LOG_GUEST_ERROR, "%s: status 0x%02x clears bits of 0x%02x without a "
                 "reset: kept\n", vdev->name, value, old);
        value |= old;
    }
    if ((value & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) &&
        !virtio_negotiate(vdev)) {
        value &= ~VIRTIO_STATUS_FEATURES_OK;
    }
    if ((value & VIRTIO_STATUS_DRIVER_OK) && !(value & VIRTIO_STATUS_FEATURES_OK)) {
        log_mask(LOG_GUEST_ERROR, "%s: DRIVER_OK without FEATURES_OK\n", vdev->name);
    }
    vdev->status = value;
    if (value != old && vdc->status_changed) {
        vdc->status_changed(vdev);
    }
    if ((value & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK)) {
        virtio_kick_ready_queues(vdev);
    }
}

uint32_t virtio_read_device_features(VirtIODevice *vdev, unsigned sel)
{
    return sel < 2 ? (uint32_t)(vdev->host_features >> (32 * sel)) : 0;
}

void virtio_write_driver_features(VirtIODevice *vdev, unsigned sel, uint32_t value)
{
    uint64_t mask;

    if (vdev->status & VIRTIO_STATUS_FEATURES_OK) {
        log_mask(LOG_GUEST_ERROR, "%s: driver features written after FEATURES_OK: "
                 "ignored\n", vdev->name);
        return;
    }
    if (sel >= 2) {
        if (value) {
            log_mask(LOG_GUEST_ERROR, "%s: driver features word %u (0x%08x) has no "
                     "offered bits: ignored\n", vdev->name, sel, value);
        }
        return;
    }
    mask = 0xffffffffull << (32 * sel);
    vdev->driver_features = (vdev->driver_features & ~mask) | ((uint64_t)value << (32 * sel));
}

void virtio_isr_ack(VirtIODevice *vdev, uint8_t bits)
{
    vdev->isr &= ~bits;
    virtio_update_irq(vdev);
}

/* ---- configuration space ---- */

static bool virtio_config_in_range(VirtIODevice *vdev, unsigned offset, unsigned size,
                                   const char *what)
{
    size_t config_size = VIRTIO_DEVICE_GET_CLASS(vdev)->config_size;

    if (offset < config_size && size <= config_size - offset) {
        return true;
    }
    log_mask(LOG_GUEST_ERROR, "%s: config %s of %u bytes at 0x%x is beyond its %zu bytes\n",
             vdev->name, what, size, offset, config_size);
    return false;
}

uint32_t virtio_config_read(VirtIODevice *vdev, unsigned offset, unsigned size)
{
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_GET_CLASS(vdev);
    uint32_t value = 0;

    if (!virtio_config_in_range(vdev, offset, size, "read")) {
        return 0;
    }
    if (vdc->get_config) {
        vdc->get_config(vdev);
    }
    for (unsigned i = 0; i < size; i++) {
        value |= (uint32_t)vdev->config[offset + i] << (8 * i);
    }
    return value;
}

void virtio_config_write(VirtIODevice *vdev, unsigned offset, unsigned size, uint32_t value)
{
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_GET_CLASS(vdev);

    if (!virtio_config_in_range(vdev, offset, size, "write")) {
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        vdev->config[offset + i] = value >> (8 * i);
    }
    if (vdc->set_config) {
        vdc->set_config(vdev, offset, size);
    }
}

void virtio_config_changed(VirtIODevice *vdev)
{
    vdev->config_generation++;
    if (vdev->status & VIRTIO_STATUS_DRIVER_OK) {
        virtio_raise(vdev, VIRTIO_ISR_CONFIG);
    }
}

/* ---- guest memory ---- */

/*
 * Splits [addr, addr + len) into host ranges of guest RAM, appended to iov;
 * false if some byte is not RAM (or is ROM and writable is asked for).
 */
static bool virtio_map(VirtIODevice *vdev, uint64_t addr, uint64_t len, bool writable,
                       GArray *iov)
{
    if (len && addr > UINT64_MAX - (len - 1)) {
        return false;
    }
    while (len) {
        hwaddr xlat, plen = len;
        MemoryRegion *mr = address_space_translate(vdev->dma_as, addr, &xlat, &plen);
        struct iovec piece;

        if (!mr || !memory_region_is_ram(mr) || (writable && memory_region_is_rom(mr)) ||
            plen == 0) {
            return false;
        }
        piece.iov_base = (uint8_t *)memory_region_get_ram_ptr(mr) + xlat;
        piece.iov_len = plen;
        g_array_append_val(iov, piece);
        addr += plen;
        len -= plen;
    }
    return true;
}

/* A host pointer to len bytes of RAM in one piece, or NULL. */
static uint8_t *virtio_map_contiguous(VirtIODevice *vdev, uint64_t addr, uint64_t len,
                                      bool writable)
{
    g_autoptr(GArray) iov = g_array_new(FALSE, FALSE, sizeof(struct iovec));

    if (!virtio_map(vdev, addr, len, writable, iov) || iov->len != 1) {
        return NULL;
    }
    return g_array_index(iov, struct iovec, 0).iov_base;
}

/* ---- queues: set-up ---- */

VirtQueue *virtio_add_queue(VirtIODevice *vdev, unsigned max_size, VirtQueueBuffers buffers,
                            VirtQueueHandler *handler)
{
    VirtQueue *vq;

    g_assert(vdev->num_queues < VIRTIO_QUEUE_MAX);
    g_assert(max_size > 0 && max_size <= VIRTQ_MAX_SIZE && !(max_size & (max_size - 1)));
    vq = g_new0(VirtQueue, 1);
    vq->vdev = vdev;
    vq->index = vdev->num_queues;
    vq->max_size = max_size;
    vq->buffers = buffers;
    vq->handler = handler;
    virtio_queue_clear(vq);
    vdev->vqs[vdev->num_queues++] = vq;
    return vq;
}

VirtQueue *virtio_get_queue(VirtIODevice *vdev, unsigned n)
{
    return n < vdev->num_queues ? vdev->vqs[n] : NULL;
}

unsigned virtio_queue_index(VirtQueue *vq)
{
    return vq->index;
}

unsigned virtio_queue_max_size(VirtQueue *vq)
{
    return vq->max_size;
}

unsigned virtio_queue_size(VirtQueue *vq)
{
    return vq->size;
}

bool virtio_queue_ready(VirtQueue *vq)
{
    return vq->ready;
}

bool virtio_queue_set_size(VirtQueue *vq, unsigned size)
{
    /* Split queue sizes are powers of 2 (2.7). */
    if (size == 0 || size > vq->max_size || (size & (size - 1))) {
        log_mask(LOG_GUEST_ERROR, "%s: queue %u: size %u is not a power of 2 up to %u\n",
                 vq->vdev->name, vq->index, size, vq->max_size);
        return false;
    }
    vq->size = size;
    return true;
}

void virtio_queue_get_addrs(VirtQueue *vq, uint64_t *desc, uint64_t *driver,
                            uint64_t *device)
{
    *desc = vq->desc_addr;
    *driver = vq->avail_addr;
    *device = vq->used_addr;
}

void virtio_queue_set_addrs(VirtQueue *vq, uint64_t desc, uint64_t driver, uint64_t device)
{
    vq->desc_addr = desc;
    vq->avail_addr = driver;
    vq->used_addr = device;
}

/* The three areas must be aligned (2.7) and lie in RAM. */
static bool virtio_queue_map_rings(VirtQueue *vq)
{
    VirtIODevice *vdev = vq->vdev;
    uint64_t n = vq->size;

    if ((vq->desc_addr & 15) || (vq->avail_addr & 1) || (vq->used_addr & 3)) {
        virtio_error(vdev, "queue %u: misaligned rings (desc 0x%" G_GINT64_MODIFIER "x, "
                     "driver 0x%" G_GINT64_MODIFIER "x, device 0x%" G_GINT64_MODIFIER "x)",
                     vq->index, vq->desc_addr, vq->avail_addr, vq->used_addr);
        return false;
    }
    vq->desc = virtio_map_contiguous(vdev, vq->desc_addr, VIRTQ_DESC_SIZE * n, false);
    vq->avail = virtio_map_contiguous(vdev, vq->avail_addr, 6 + 2 * n, false);
    vq->used = virtio_map_contiguous(vdev, vq->used_addr, 6 + 8 * n, true);
    if (!vq->desc || !vq->avail || !vq->used) {
        vq->desc = vq->avail = vq->used = NULL;
        virtio_error(vdev, "queue %u: rings outside guest RAM (desc 0x%" G_GINT64_MODIFIER
                     "x, driver 0x%" G_GINT64_MODIFIER "x, device 0x%" G_GINT64_MODIFIER "x)",
                     vq->index, vq->desc_addr, vq->avail_addr, vq->used_addr);
        return false;
    }
    return true;
}

bool virtio_queue_set_ready(VirtQueue *vq, bool ready)
{
    if (!ready) {
        unsigned size = vq->size;

        virtio_queue_clear(vq);
        vq->size = size;
        return true;
    }
    vq->ready = true;
    vq->last_avail_idx = 0;
    vq->used_idx = 0;
    vq->signalled_used_valid = false;
    return virtio_queue_map_rings(vq);
}

void virtio_queue_notify(VirtIODevice *vdev, unsigned n)
{
    VirtQueue *vq = virtio_get_queue(vdev, n);

    if (!vq) {
        log_mask(LOG_GUEST_ERROR, "%s: notify of queue %u, which does not exist\n",
                 vdev->name, n);
        return;
    }
    if (!vq->ready || vdev->broken) {
        return;
    }
    if (!(vdev->status & VIRTIO_STATUS_DRIVER_OK)) {
        log_mask(LOG_GUEST_ERROR, "%s: queue %u notified before DRIVER_OK\n", vdev->name, n);
        return;
    }
    vq->handler(vdev, vq);
}

/* ---- queues: requests ---- */

static bool virtqueue_usable(VirtQueue *vq)
{
    return vq->ready && vq->desc && !vq->vdev->broken;
}

static uint16_t virtqueue_avail_idx(VirtQueue *vq)
{
    return ld16_acquire(vq->avail + 2);
}

bool virtqueue_has_request(VirtQueue *vq)
{
    return virtqueue_usable(vq) && virtqueue_avail_idx(vq) != vq->last_avail_idx;
}

/* Where the chain being popped collects its buffers. */
typedef struct ChainWalk {
    VirtQueue *vq;
    GArray *iov;                    /* struct iovec: readable ones first */
    unsigned out_num;
    uint64_t total;
    bool seen_writable;
} ChainWalk;

typedef struct VirtqDesc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
} VirtqDesc;

static VirtqDesc virtq_desc_read(const uint8_t *table, unsigned i)
{
    const uint8_t *p = table + VIRTQ_DESC_SIZE * i;

    return (VirtqDesc) { ld64(p), ld32(p + 8), ld16(p + 12), ld16(p + 14) };
}

static bool chain_add_buffer(ChainWalk *w, const VirtqDesc *d)
{
    VirtQueue *vq = w->vq;
    VirtIODevice *vdev = vq->vdev;
    bool writable = d->flags & VIRTQ_DESC_F_WRITE;

    if (writable && vq->buffers == VIRTQ_BUFFERS_READABLE) {
        virtio_error(vdev, "queue %u: device-writable buffer at 0x%" G_GINT64_MODIFIER "x "
                     "where only readable ones belong", vq->index, d->addr);
        return false;
    }
    if (!writable && vq->buffers == VIRTQ_BUFFERS_WRITABLE) {
        virtio_error(vdev, "queue %u: device-readable buffer at 0x%" G_GINT64_MODIFIER "x "
                     "where only writable ones belong", vq->index, d->addr);
        return false;
    }
    /* 2.7.4.2: device-writable buffers come after all device-readable ones. */
    if (!writable && w->seen_writable) {
        virtio_error(vdev, "queue %u: readable buffer after a writable one", vq->index);
        return false;
    }
    w->seen_writable |= writable;
    w->total += d->len;
    if (w->total > VIRTQ_CHAIN_MAX_BYTES) {
        virtio_error(vdev, "queue %u: chain of more than 4 GiB", vq->index);
        return false;
    }
    if (!virtio_map(vdev, d->addr, d->len, writable, w->iov)) {
        virtio_error(vdev, "queue %u: buffer 0x%" G_GINT64_MODIFIER "x+0x%x is not in "
                     "guest RAM", vq->index, d->addr, d->len);
        return false;
    }
    if (!writable) {
        w->out_num = w->iov->len;
    }
    return true;
}

static bool chain_walk_table(ChainWalk *w, const uint8_t *table, unsigned table_size,
                             unsigned head, bool indirect);

/* An indirect descriptor (2.7.5.3): the rest of the chain is its table. */
static bool chain_walk_indirect(ChainWalk *w, const VirtqDesc *d)
{
    VirtQueue *vq = w->vq;
    VirtIODevice *vdev = vq->vdev;
    const uint8_t *table;

    if (!virtio_has_feature(vdev, VIRTIO_F_INDIRECT_DESC)) {
        virtio_error(vdev, "queue %u: indirect descriptor without VIRTIO_F_INDIRECT_DESC",
                     vq->index);
        return false;
    }
    if (d->flags & VIRTQ_DESC_F_NEXT) {
        virtio_error(vdev, "queue %u: indirect descriptor with NEXT set", vq->index);
        return false;
    }
    if (d->len == 0 || d->len % VIRTQ_DESC_SIZE ||
        d->len / VIRTQ_DESC_SIZE > VIRTQ_MAX_SIZE) {
        virtio_error(vdev, "queue %u: indirect table of %u bytes (a multiple of %u, at most "
                     "%u entries)", vq->index, d->len, VIRTQ_DESC_SIZE, VIRTQ_MAX_SIZE);
        return false;
    }
    table = virtio_map_contiguous(vdev, d->addr, d->len, false);
    if (!table) {
        virtio_error(vdev, "queue %u: indirect table 0x%" G_GINT64_MODIFIER "x+0x%x is not "
                     "in guest RAM", vq->index, d->addr, d->len);
        return false;
    }
    return chain_walk_table(w, table, d->len / VIRTQ_DESC_SIZE, 0, true);
}

/*
 * Follows a chain through one table. A chain visits each entry at most
 * once, so more steps than entries means a loop.
 */
static bool chain_walk_table(ChainWalk *w, const uint8_t *table, unsigned table_size,
                             unsigned head, bool indirect)
{
    VirtQueue *vq = w->vq;
    unsigned i = head;

    for (unsigned steps = 1;; steps++) {
        VirtqDesc d;

        if (i >= table_size) {
            virtio_error(vq->vdev, "queue %u: descriptor %u is beyond the %s table of %u",
                         vq->index, i, indirect ? "indirect" : "descriptor", table_size);
            return false;
        }
        if (steps > table_size) {
            virtio_error(vq->vdev, "queue %u: chain longer than its table of %u (a loop)",
                         vq->index, table_size);
            return false;
        }
        d = virtq_desc_read(table, i);
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            if (indirect) {
                virtio_error(vq->vdev, "queue %u: indirect descriptor inside an indirect "
                             "table", vq->index);
                return false;
            }
            return chain_walk_indirect(w, &d);
        }
        if (!chain_add_buffer(w, &d)) {
            return false;
        }
        if (!(d.flags & VIRTQ_DESC_F_NEXT)) {
            return true;
        }
        i = d.next;
    }
}

static VirtQueueElement *virtqueue_element_new(unsigned head, const ChainWalk *w)
{
    unsigned n = w->iov->len;
    VirtQueueElement *elem = g_malloc0(sizeof(*elem) + n * sizeof(struct iovec));

    elem->index = head;
    elem->out_sg = (struct iovec *)(elem + 1);
    elem->out_num = w->out_num;
    elem->in_sg = elem->out_sg + w->out_num;
    elem->in_num = n - w->out_num;
    memcpy(elem->out_sg, w->iov->data, n * sizeof(struct iovec));
    for (unsigned i = 0; i < elem->out_num; i++) {
        elem->out_len += elem->out_sg[i].iov_len;
    }
    for (unsigned i = 0; i < elem->in_num; i++) {
        elem->in_len += elem->in_sg[i].iov_len;
    }
    return elem;
}

/* Tells an event-index driver how far the device has read (2.7.10). */
static void virtqueue_set_avail_event(VirtQueue *vq, uint16_t value)
{
    st16(vq->used + 4 + 8 * vq->size, value);
}

VirtQueueElement *virtqueue_pop(VirtQueue *vq)
{
    VirtIODevice *vdev = vq->vdev;
    g_autoptr(GArray) iov = NULL;
    ChainWalk w = { .vq = vq };
    uint16_t avail_idx;
    unsigned head;

    if (!virtqueue_usable(vq)) {
        return NULL;
    }
    avail_idx = virtqueue_avail_idx(vq);
    if (avail_idx == vq->last_avail_idx) {
        return NULL;
    }
    if ((uint16_t)(avail_idx - vq->last_avail_idx) > vq->size) {
        virtio_error(vdev, "queue %u: available index %u is more than the queue size "
                     "ahead of %u", vq->index, avail_idx, vq->last_avail_idx);
        return NULL;
    }
    head = ld16(vq->avail + 4 + 2 * (vq->last_avail_idx % vq->size));
    iov = g_array_new(FALSE, FALSE, sizeof(struct iovec));
    w.iov = iov;
    if (!chain_walk_table(&w, vq->desc, vq->size, head, false)) {
        return NULL;
    }
    vq->last_avail_idx++;
    if (vq->notification && virtio_has_feature(vdev, VIRTIO_F_RING_EVENT_IDX)) {
        virtqueue_set_avail_event(vq, vq->last_avail_idx);
    }
    return virtqueue_element_new(head, &w);
}

void virtqueue_unpop(VirtQueue *vq, VirtQueueElement *elem)
{
    vq->last_avail_idx--;
}

void virtqueue_fill(VirtQueue *vq, const VirtQueueElement *elem, uint32_t len,
                    unsigned idx)
{
    uint8_t *entry;

    g_assert(len <= elem->in_len);
    if (!virtqueue_usable(vq)) {
        return;
    }
    entry = vq->used + 4 + 8 * ((vq->used_idx + idx) % vq->size);
    st32(entry, elem->index);
    st32(entry + 4, len);
}

void virtqueue_flush(VirtQueue *vq, unsigned count)
{
    if (!virtqueue_usable(vq)) {
        return;
    }
    vq->used_idx += count;
    st16_release(vq->used + 2, vq->used_idx);
}

void virtqueue_push(VirtQueue *vq, const VirtQueueElement *elem, uint32_t len)
{
    virtqueue_fill(vq, elem, len, 0);
    virtqueue_flush(vq, 1);
}

/* 2.7.7.2 and 2.7.10: whether the driver wants this interrupt. */
static bool virtio_should_notify(VirtQueue *vq)
{
    uint16_t used_event, old;
    bool valid;

    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!virtio_has_feature(vq->vdev, VIRTIO_F_RING_EVENT_IDX)) {
        return !(ld16(vq->avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
    }
    used_event = ld16(vq->avail + 4 + 2 * vq->size);
    old = vq->signalled_used;
    valid = vq->signalled_used_valid;
    vq->signalled_used = vq->used_idx;
    vq->signalled_used_valid = true;
    /* Interrupt when used_idx moved past used_event since the last one. */
    return !valid || (uint16_t)(vq->used_idx - used_event - 1) <
                     (uint16_t)(vq->used_idx - old);
}

void virtio_notify(VirtIODevice *vdev, VirtQueue *vq)
{
    if (!virtqueue_usable(vq) || !virtio_should_notify(vq)) {
        return;
    }
    virtio_raise(vdev, VIRTIO_ISR_QUEUE);
}

void virtio_queue_set_notification(VirtQueue *vq, bool enable)
{
    uint16_t flags;

    vq->notification = enable;
    if (!virtqueue_usable(vq)) {
        return;
    }
    if (virtio_has_feature(vq->vdev, VIRTIO_F_RING_EVENT_IDX)) {
        if (enable) {
            virtqueue_set_avail_event(vq, virtqueue_avail_idx(vq));
        }
    } else {
        flags = ld16(vq->used);
        flags = enable ? flags & ~VIRTQ_USED_F_NO_NOTIFY : flags | VIRTQ_USED_F_NO_NOTIFY;
        st16(vq->used, flags);
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static size_t virtqueue_iov_copy(const struct iovec *iov, unsigned n, size_t offset,
                                 void *buf, size_t len, bool to_iov)
{
    size_t done = 0;

    for (unsigned i = 0; i < n && done < len; i++) {
        size_t chunk;

        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        chunk = MIN(iov[i].iov_len - offset, len - done);
        if (to_iov) {
            memcpy((uint8_t *)iov[i].iov_base + offset, (uint8_t *)buf + done, chunk);
        } else {
            memcpy((uint8_t *)buf + done, (uint8_t *)iov[i].iov_base + offset, chunk);
        }
        done += chunk;
        offset = 0;
    }
    return done;
}

size_t virtqueue_elem_write(VirtQueueElement *elem, size_t offset, const void *buf,
                            size_t len)
{
    return virtqueue_iov_copy(elem->in_sg, elem->in_num, offset, (void *)buf, len, true);
}

size_t virtqueue_elem_read(const VirtQueueElement *elem, size_t offset, void *buf,
                           size_t len)
{
    return virtqueue_iov_copy(elem->out_sg, elem->out_num, offset, buf, len, false);
}

/* ---- buses and the device type ---- */

void virtio_bus_plug(VirtioBus *bus, VirtIODevice *vdev)
{
    g_assert(!bus->vdev && !vdev->bus);
    bus->vdev = vdev;
    vdev->bus = bus;
}

void virtio_bus_unplug(VirtioBus *bus)
{
    if (bus->vdev) {
        bus->vdev->bus = NULL;
        bus->vdev = NULL;
        bus->ops->update_irq(bus);
    }
}

/* Depth first in name order, so a board's slots fill in address order. */
static int virtio_find_free_bus(Object *obj, void *opaque)
{
    VirtioBus **found = opaque;

    if (object_dynamic_cast(obj, TYPE_VIRTIO_TRANSPORT)) {
        VirtioTransportClass *tc = OBJECT_CLASS_CHECK(VirtioTransportClass,
                                                      object_get_class(obj),
                                                      TYPE_VIRTIO_TRANSPORT);
        VirtioBus *bus = tc->get_bus(obj);

        if (DEVICE(obj)->realized && !bus->vdev) {
            *found = bus;
            return 1;
        }
    }
    return object_child_foreach(obj, virtio_find_free_bus, opaque);
}

static bool virtio_device_realize(DeviceState *dev, GError **errp)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_GET_CLASS(dev);
    VirtioBus *bus = NULL;

    vdev->host_features = vdc->features | (1ull << VIRTIO_F_VERSION_1) |
                          (1ull << VIRTIO_F_INDIRECT_DESC) |
                          (1ull << VIRTIO_F_RING_EVENT_IDX);
    vdev->config = g_malloc0(MAX(vdc->config_size, 1));
    if (vdc->realize && !vdc->realize(vdev, errp)) {
        return false;
    }
    if (!vdev->bus) {
        virtio_find_free_bus(object_get_root(), &bus);
        if (!bus) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "no free virtio transport (the machine has none, or all are "
                            "in use)");
            if (vdc->unrealize) {
                vdc->unrealize(vdev);
            }
            return false;
        }
        virtio_bus_plug(bus, vdev);
    }
    return true;
}

static void virtio_device_unrealize(DeviceState *dev)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_GET_CLASS(dev);

    if (vdev->bus) {
        virtio_bus_unplug(vdev->bus);
    }
    if (vdc->unrealize) {
        vdc->unrealize(vdev);
    }
}

static void virtio_device_reset(DeviceState *dev)
{
    virtio_reset(VIRTIO_DEVICE(dev));
}

static void virtio_device_init(Object *obj)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(obj);

    vdev->name = object_get_typename(obj);
    vdev->dma_as = address_space_memory();
}

static void virtio_device_finalize(Object *obj)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(obj);

    for (unsigned i = 0; i < vdev->num_queues; i++) {
        g_free(vdev->vqs[i]);
    }
    g_free(vdev->config);
}

static void virtio_device_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->category = "virtio";
    dc->realize = virtio_device_realize;
    dc->unrealize = virtio_device_unrealize;
    dc->reset = virtio_device_reset;
}

static const TypeInfo virtio_types[] = {
    {
        .name = TYPE_VIRTIO_DEVICE,
        .parent = TYPE_DEVICE,
        .instance_size = sizeof(VirtIODevice),
        .instance_init = virtio_device_init,
        .instance_finalize = virtio_device_finalize,
        .abstract = true,
        .class_size = sizeof(VirtioDeviceClass),
        .class_init = virtio_device_class_init,
    }, {
        .name = TYPE_VIRTIO_TRANSPORT,
        .parent = TYPE_INTERFACE,
        .class_size = sizeof(VirtioTransportClass),
    },
};

static void virtio_register_types(void)
{
    type_register_array(virtio_types, G_N_ELEMENTS(virtio_types));
}

type_init(virtio_register_types)
