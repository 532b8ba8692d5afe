/*
 * virtio-blk-device: the block device (virtio 1.2 §5.2, device ID 2) on a
 * -drive image (property drive=ID; serial= is what GET_ID answers).
 *
 * One request queue. A request is a 16-byte header (type, reserved,
 * sector) in the readable buffers, the data, and a status byte as the last
 * writable byte. Reads, writes, flushes, discards and write-zeroes run on
 * the block layer's worker threads (bdrv_aio_submit): the vCPU that
 * notified the queue never waits for the disk. The data goes through a
 * bounce buffer, so a request whose completion arrives after a device
 * reset is dropped without touching guest memory.
 *
 * Requests the driver got wrong in a way the status can report (sectors
 * past the end, a length not a multiple of 512, a write to a read-only
 * drive, a short header) complete with IOERR; a request without a status
 * byte breaks the device (virtio_error).
 *
 * Left out: multiqueue, the writeback toggle (CONFIG_WCE), secure erase,
 * and discard / write-zeroes requests with more than one segment.
 */
#include <inttypes.h>
#include <string.h>

#include "proteus/block.h"
#include "proteus/drive.h"
#include "proteus/log.h"
#include "proteus/module.h"
#include "proteus/virtio.h"

#define TYPE_VIRTIO_BLK "virtio-blk-device"
OBJECT_DECLARE_SIMPLE_TYPE(VirtioBlkState, VIRTIO_BLK)

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SEG_MAX        2
#define VIRTIO_BLK_F_RO             5
#define VIRTIO_BLK_F_BLK_SIZE       6
#define VIRTIO_BLK_F_FLUSH          9
#define VIRTIO_BLK_F_TOPOLOGY       10
#define VIRTIO_BLK_F_DISCARD        13
#define VIRTIO_BLK_F_WRITE_ZEROES   14

/* Configuration layout (5.2.4), up to write_zeroes_may_unmap. */
#define CFG_CAPACITY                0
#define CFG_SIZE_MAX                8
#define CFG_SEG_MAX                 12
#define CFG_BLK_SIZE                20
#define CFG_PHYSICAL_BLOCK_EXP      24
#define CFG_ALIGNMENT_OFFSET        25
#define CFG_MIN_IO_SIZE             26
#define CFG_OPT_IO_SIZE             28
#define CFG_NUM_QUEUES              34
#define CFG_MAX_DISCARD_SECTORS     36
#define CFG_MAX_DISCARD_SEG         40
#define CFG_DISCARD_ALIGNMENT       44
#define CFG_MAX_WRITE_ZEROES_SECTORS 48
#define CFG_MAX_WRITE_ZEROES_SEG    52
#define CFG_WRITE_ZEROES_MAY_UNMAP  56
#define VIRTIO_BLK_CONFIG_SIZE      60

/* Request types and status values (5.2.6). */
#define VIRTIO_BLK_T_IN             0
#define VIRTIO_BLK_T_OUT            1
#define VIRTIO_BLK_T_FLUSH          4
#define VIRTIO_BLK_T_GET_ID         8
#define VIRTIO_BLK_T_DISCARD        11
#define VIRTIO_BLK_T_WRITE_ZEROES   13

#define VIRTIO_BLK_S_OK             0
#define VIRTIO_BLK_S_IOERR          1
#define VIRTIO_BLK_S_UNSUPP         2

#define VIRTIO_BLK_HEADER_SIZE      16
#define VIRTIO_BLK_SEGMENT_SIZE     16     /* discard / write-zeroes range */
#define VIRTIO_BLK_WZ_F_UNMAP       1
#define VIRTIO_BLK_ID_BYTES         20
#define SECTOR_SIZE                 512

#define VIRTIO_BLK_QUEUE_SIZE       256
/* Buffers per request the driver may use for data (seg_max). */
#define VIRTIO_BLK_SEG_MAX          (VIRTIO_BLK_QUEUE_SIZE - 2)
/* The largest request taken, and the largest discard / write-zeroes range. */
#define VIRTIO_BLK_MAX_TRANSFER     (64u << 20)
#define VIRTIO_BLK_MAX_RANGE_SECTORS (VIRTIO_BLK_MAX_TRANSFER / SECTOR_SIZE)

struct VirtioBlkState {
    VirtIODevice parent_obj;
    VirtQueue *vq;
    BlockDriverState *bs;
    bool read_only;
    /* A reset makes the requests still in flight stale. */
    uint64_t generation;

    char *drive_id;
    char *serial;
};

/* One request in flight. */
typedef struct VirtioBlkReq {
    VirtioBlkState *s;
    VirtQueueElement *elem;
    uint64_t generation;
    uint32_t type;
    uint8_t *bounce;        /* the data of a read or write */
    size_t data_len;
} VirtioBlkReq;

static uint64_t virtio_blk_capacity(VirtioBlkState *s)
{
    return bdrv_getlength(s->bs) / SECTOR_SIZE;
}

static void cfg_put16(uint8_t *cfg, unsigned off, uint16_t v)
{
    cfg[off] = v;
    cfg[off + 1] = v >> 8;
}

static void cfg_put32(uint8_t *cfg, unsigned off, uint32_t v)
{
    cfg_put16(cfg, off, v);
    cfg_put16(cfg, off + 2, v >> 16);
}

static void cfg_put64(uint8_t *cfg, unsigned off, uint64_t v)
{
    cfg_put32(cfg, off, v);
    cfg_put32(cfg, off + 4, v >> 32);
}

static uint32_t le32_at(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64_at(const uint8_t *p)
{
    return le32_at(p) | (uint64_t)le32_at(p + 4) << 32;
}

static void virtio_blk_get_config(VirtIODevice *vdev)
{
    VirtioBlkState *s = VIRTIO_BLK(vdev);
    uint8_t *cfg = vdev->config;

    memset(cfg, 0, VIRTIO_BLK_CONFIG_SIZE);
    cfg_put64(cfg, CFG_CAPACITY, virtio_blk_capacity(s));
    cfg_put32(cfg, CFG_SIZE_MAX, 0);
    cfg_put32(cfg, CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX);
    cfg_put32(cfg, CFG_BLK_SIZE, SECTOR_SIZE);
    cfg[CFG_PHYSICAL_BLOCK_EXP] = 0;
    cfg[CFG_ALIGNMENT_OFFSET] = 0;
    cfg_put16(cfg, CFG_MIN_IO_SIZE, 1);
    cfg_put32(cfg, CFG_OPT_IO_SIZE, 0);
    cfg_put16(cfg, CFG_NUM_QUEUES, 1);
    cfg_put32(cfg, CFG_MAX_DISCARD_SECTORS, VIRTIO_BLK_MAX_RANGE_SECTORS);
    cfg_put32(cfg, CFG_MAX_DISCARD_SEG, 1);
    cfg_put32(cfg, CFG_DISCARD_ALIGNMENT, 1);
    cfg_put32(cfg, CFG_MAX_WRITE_ZEROES_SECTORS, VIRTIO_BLK_MAX_RANGE_SECTORS);
    cfg_put32(cfg, CFG_MAX_WRITE_ZEROES_SEG, 1);
    cfg[CFG_WRITE_ZEROES_MAY_UNMAP] = 0;
}

/* Writes the status byte, returns the request and frees it. */
static void virtio_blk_complete(VirtioBlkReq *req, uint8_t status, size_t data_written)
{
    VirtioBlkState *s = req->s;
    VirtQueueElement *elem = req->elem;

    virtqueue_elem_write(elem, elem->in_len - 1, &status, 1);
    virtqueue_push(s->vq, elem, data_written + 1);
    virtio_notify(VIRTIO_DEVICE(s), s->vq);
    g_free(req->bounce);
    g_free(elem);
    g_free(req);
}

static void virtio_blk_drop(VirtioBlkReq *req)
{
    g_free(req->bounce);
    g_free(req->elem);
    g_free(req);
}

/* The block layer finished a request (main loop, BQL held). */
static void virtio_blk_aio_done(void *opaque, const GError *err)
{
    VirtioBlkReq *req = opaque;
    size_t written = 0;

    if (req->generation != req->s->generation) {
        virtio_blk_drop(req);
        return;
    }
    if (err) {
        log_mask(LOG_GUEST_ERROR, "virtio-blk: request type %u failed: %s\n", req->type,
                 err->message);
    } else if (req->type == VIRTIO_BLK_T_IN) {
        written = virtqueue_elem_write(req->elem, 0, req->bounce, req->data_len);
    }
    virtio_blk_complete(req, err ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK, written);
}

/* Whether len bytes at sector lie on the drive; logs if not. */
static bool virtio_blk_range_ok(VirtioBlkState *s, uint64_t sector, uint64_t len)
{
    uint64_t capacity = virtio_blk_capacity(s);
    uint64_t sectors = len / SECTOR_SIZE;

    if (len % SECTOR_SIZE) {
        log_mask(LOG_GUEST_ERROR, "virtio-blk: length %" PRIu64 " is not a multiple of "
                 "512\n", len);
        return false;
    }
    if (sector > capacity || sectors > capacity - sector) {
        log_mask(LOG_GUEST_ERROR, "virtio-blk: sectors %" PRIu64 "+%" PRIu64 " past the "
                 "end (%" PRIu64 ")\n", sector, sectors, capacity);
        return false;
    }
    return true;
}

static bool virtio_blk_writable(VirtioBlkState *s)
{
    if (s->read_only) {
        log_mask(LOG_GUEST_ERROR, "virtio-blk: write request to a read-only drive\n");
    }
    return !s->read_only;
}

/* T_IN and T_OUT: data after the header (out) or before the status (in). */
static uint8_t virtio_blk_rw(VirtioBlkReq *req, uint64_t sector)
{
    VirtioBlkState *s = req->s;
    VirtQueueElement *elem = req->elem;
    bool write = req->type == VIRTIO_BLK_T_OUT;
    size_t len = write ? elem->out_len - VIRTIO_BLK_HEADER_SIZE : elem->in_len - 1;

    if ((write && !virtio_blk_writable(s)) || !virtio_blk_range_ok(s, sector, len)) {
        return VIRTIO_BLK_S_IOERR;
    }
    if (len > VIRTIO_BLK_MAX_TRANSFER) {
        log_mask(LOG_UNIMP, "virtio-blk: request of %zu bytes (at most %u)\n", len,
                 VIRTIO_BLK_MAX_TRANSFER);
        return VIRTIO_BLK_S_IOERR;
    }
    req->data_len = len;
    req->bounce = g_malloc(len ? len : 1);
    if (write) {
        virtqueue_elem_read(elem, VIRTIO_BLK_HEADER_SIZE, req->bounce, len);
    }
    bdrv_aio_submit(s->bs, write ? BDRV_REQ_WRITE : BDRV_REQ_READ, sector * SECTOR_SIZE,
                    req->bounce, len, virtio_blk_aio_done, req);
    return VIRTIO_BLK_S_OK;
}

/* T_DISCARD and T_WRITE_ZEROES: one range segment after the header. */
static uint8_t virtio_blk_range_request(VirtioBlkReq *req)
{
    VirtioBlkState *s = req->s;
    VirtQueueElement *elem = req->elem;
    bool discard = req->type == VIRTIO_BLK_T_DISCARD;
    uint8_t seg[VIRTIO_BLK_SEGMENT_SIZE];
    uint64_t sector;
    uint32_t sectors, flags;

    if (elem->out_len != VIRTIO_BLK_HEADER_SIZE + VIRTIO_BLK_SEGMENT_SIZE) {
        log_mask(LOG_UNIMP, "virtio-blk: %s with %zu bytes of segments (one is taken)\n",
                 discard ? "discard" : "write-zeroes",
                 elem->out_len - VIRTIO_BLK_HEADER_SIZE);
        return VIRTIO_BLK_S_UNSUPP;
    }
    virtqueue_elem_read(elem, VIRTIO_BLK_HEADER_SIZE, seg, sizeof(seg));
    sector = le64_at(seg);
    sectors = le32_at(seg + 8);
    flags = le32_at(seg + 12);
    if (flags & ~(discard ? 0u : VIRTIO_BLK_WZ_F_UNMAP)) {
        return VIRTIO_BLK_S_UNSUPP;
    }
    if (!virtio_blk_writable(s) || sectors > VIRTIO_BLK_MAX_RANGE_SECTORS ||
        !virtio_blk_range_ok(s, sector, (uint64_t)sectors * SECTOR_SIZE)) {
        return VIRTIO_BLK_S_IOERR;
    }
    bdrv_aio_submit(s->bs, discard ? BDRV_REQ_DISCARD : BDRV_REQ_WRITE_ZEROES,
                    sector * SECTOR_SIZE, NULL, (uint64_t)sectors * SECTOR_SIZE,
                    virtio_blk_aio_done, req);
    return VIRTIO_BLK_S_OK;
}

/* T_GET_ID: the serial, zero-padded to 20 bytes (or cut to the buffer). */
static size_t virtio_blk_get_id(VirtioBlkState *s, VirtQueueElement *elem)
{
    char id[VIRTIO_BLK_ID_BYTES] = { 0 };

    if (s->serial) {
        memcpy(id, s->serial, MIN(strlen(s->serial), sizeof(id)));
    }
    return virtqueue_elem_write(elem, 0, id, MIN(sizeof(id), elem->in_len - 1));
}

/*
 * Starts one request. Returns true if it went to the block layer (it
 * completes later); otherwise *status is set for an immediate reply, and
 * *written to what was written into the data buffers.
 */
static bool virtio_blk_start(VirtioBlkReq *req, uint8_t *status, size_t *written)
{
    VirtQueueElement *elem = req->elem;
    uint8_t hdr[VIRTIO_BLK_HEADER_SIZE];
    bool async = true;
    uint64_t sector;

    *written = 0;
    if (elem->out_len < VIRTIO_BLK_HEADER_SIZE) {
        log_mask(LOG_GUEST_ERROR, "virtio-blk: request header of %zu bytes\n",
                 elem->out_len);
        *status = VIRTIO_BLK_S_IOERR;
        return false;
    }
    virtqueue_elem_read(elem, 0, hdr, sizeof(hdr));
    req->type = le32_at(hdr);
    sector = le64_at(hdr + 8);
    switch (req->type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT:
        *status = virtio_blk_rw(req, sector);
        break;
    case VIRTIO_BLK_T_FLUSH:
        bdrv_aio_submit(req->s->bs, BDRV_REQ_FLUSH, 0, NULL, 0, virtio_blk_aio_done, req);
        *status = VIRTIO_BLK_S_OK;
        break;
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        *status = virtio_blk_range_request(req);
        break;
    case VIRTIO_BLK_T_GET_ID:
        *written = virtio_blk_get_id(req->s, elem);
        *status = VIRTIO_BLK_S_OK;
        async = false;
        break;
    default:
        log_mask(LOG_UNIMP, "virtio-blk: request type %u\n", req->type);
        *status = VIRTIO_BLK_S_UNSUPP;
        async = false;
        break;
    }
    return async && *status == VIRTIO_BLK_S_OK;
}

static void virtio_blk_handle_request(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtioBlkState *s = VIRTIO_BLK(vdev);
    VirtQueueElement *elem;

    while ((elem = virtqueue_pop(vq))) {
        VirtioBlkReq *req;
        uint8_t status;
        size_t written;

        if (elem->in_len < 1) {
            virtio_error(vdev, "virtio-blk: request without a status byte");
            g_free(elem);
            return;
        }
        req = g_new0(VirtioBlkReq, 1);
        req->s = s;
        req->elem = elem;
        req->generation = s->generation;
        if (!virtio_blk_start(req, &status, &written)) {
            virtio_blk_complete(req, status, written);
        }
    }
}

static void virtio_blk_reset(VirtIODevice *vdev)
{
    VIRTIO_BLK(vdev)->generation++;
}

static bool virtio_blk_realize(VirtIODevice *vdev, GError **errp)
{
    VirtioBlkState *s = VIRTIO_BLK(vdev);

    if (!s->drive_id) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "drive=ID is required (-drive ...,id=ID,if=none)");
        return false;
    }
    if (s->serial && strlen(s->serial) > VIRTIO_BLK_ID_BYTES) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "serial '%s' is longer than %d bytes", s->serial,
                        VIRTIO_BLK_ID_BYTES);
        return false;
    }
    s->bs = drive_claim(s->drive_id, errp);
    if (!s->bs) {
        return false;
    }
    s->read_only = bdrv_is_read_only(s->bs);
    if (s->read_only) {
        vdev->host_features |= 1ull << VIRTIO_BLK_F_RO;
    }
    s->vq = virtio_add_queue(vdev, VIRTIO_BLK_QUEUE_SIZE, VIRTQ_BUFFERS_ANY,
                             virtio_blk_handle_request);
    return true;
}

static void virtio_blk_unrealize(VirtIODevice *vdev)
{
    VirtioBlkState *s = VIRTIO_BLK(vdev);

    if (s->bs) {
        s->generation++;
        bdrv_drain(s->bs);
        drive_release(s->drive_id);
        s->bs = NULL;
    }
}

static const Property virtio_blk_props[] = {
    DEFINE_PROP_STRING("drive", VirtioBlkState, drive_id),
    DEFINE_PROP_STRING("serial", VirtioBlkState, serial),
    DEFINE_PROP_END_OF_LIST(),
};

static void virtio_blk_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_CLASS(oc);

    dc->desc = "virtio block device on a -drive image";
    device_class_set_props(dc, virtio_blk_props);
    vdc->device_id = VIRTIO_ID_BLOCK;
    vdc->features = 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_BLK_SIZE |
                    1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_BLK_F_TOPOLOGY |
                    1ull << VIRTIO_BLK_F_DISCARD | 1ull << VIRTIO_BLK_F_WRITE_ZEROES;
    vdc->config_size = VIRTIO_BLK_CONFIG_SIZE;
    vdc->realize = virtio_blk_realize;
    vdc->unrealize = virtio_blk_unrealize;
    vdc->reset = virtio_blk_reset;
    vdc->get_config = virtio_blk_get_config;
}

static const TypeInfo virtio_blk_type = {
    .name = TYPE_VIRTIO_BLK,
    .parent = TYPE_VIRTIO_DEVICE,
    .instance_size = sizeof(VirtioBlkState),
    .class_init = virtio_blk_class_init,
};

static void virtio_blk_register_types(void)
{
    type_register(&virtio_blk_type);
}

PROTEUS_MODULE(virtio_blk, virtio_blk_register_types)
