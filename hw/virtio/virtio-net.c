/*
 * virtio-net-device: the network card (virtio 1.2 §5.1, device ID 1), a NIC
 * of the network layer joined to a backend with netdev=ID.
 *
 * Queues: 0 receiveq1 (device-writable buffers: frames from the backend),
 * 1 transmitq1 (device-readable buffers: frames to it). Every frame in
 * either direction starts with the 12-byte struct virtio_net_hdr of a
 * VERSION_1 device (§5.1.6): flags, gso_type, hdr_len, gso_size,
 * csum_start, csum_offset, num_buffers. No offloads are offered, so on
 * transmit the header is skipped and on receive it is zero but for
 * num_buffers.
 *
 * Configuration space (12 bytes, §5.1.4): mac[6], status (le16, LINK_UP),
 * max_virtqueue_pairs (le16, 1), mtu (le16). Features: MAC, STATUS, MTU,
 * MRG_RXBUF (a frame may then span several receive buffers).
 *
 * Properties: netdev=ID (the backend; none: transmitted frames are lost),
 * mac=52:54:00:12:34:56 (the default).
 *
 * Left out: checksum and segmentation offloads, the control queue,
 * multiqueue, announce, link status changes.
 */
#include <string.h>

#include "proteus/log.h"
#include "proteus/module.h"
#include "proteus/net.h"
#include "proteus/virtio.h"

#define TYPE_VIRTIO_NET "virtio-net-device"
OBJECT_DECLARE_SIMPLE_TYPE(VirtioNetState, VIRTIO_NET)

/* Feature bits (§5.1.3). */
#define VIRTIO_NET_F_MTU        3
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_MRG_RXBUF  15
#define VIRTIO_NET_F_STATUS     16

#define VIRTIO_NET_S_LINK_UP    1

/* Configuration space offsets (§5.1.4). */
#define VIRTIO_NET_CFG_MAC          0
#define VIRTIO_NET_CFG_STATUS       6
#define VIRTIO_NET_CFG_MAX_PAIRS    8
#define VIRTIO_NET_CFG_MTU          10
#define VIRTIO_NET_CONFIG_SIZE      12

/* struct virtio_net_hdr with VERSION_1; num_buffers is its last field. */
#define VIRTIO_NET_HDR_SIZE         12
#define VIRTIO_NET_HDR_NUM_BUFFERS  10

#define VIRTIO_NET_MTU              1500
/* No offloads: nothing longer than an IPv4/IPv6 packet and its Ethernet header. */
#define VIRTIO_NET_MAX_FRAME        65550
#define VIRTIO_NET_QUEUE_SIZE       256

struct VirtioNetState {
    VirtIODevice parent_obj;
    char *netdev;               /* property: the backend's id */
    char *mac_str;              /* property: NULL for the default */
    uint8_t mac[6];
    NetClient *nc;
    VirtQueue *rx_vq;
    VirtQueue *tx_vq;
};

static bool virtio_net_driver_ok(VirtioNetState *s)
{
    return VIRTIO_DEVICE(s)->status & VIRTIO_STATUS_DRIVER_OK;
}

/* ---- transmit ---- */

/* The frame after the header of one request, copied out; NULL if it has none. */
static GBytes *virtio_net_take_frame(const VirtQueueElement *elem)
{
    size_t len;
    uint8_t *frame;

    if (elem->out_len < VIRTIO_NET_HDR_SIZE) {
        log_mask(LOG_GUEST_ERROR, "virtio-net: transmit request of %zu bytes is "
                 "shorter than the %d-byte header: dropped\n", elem->out_len,
                 VIRTIO_NET_HDR_SIZE);
        return NULL;
    }
    len = elem->out_len - VIRTIO_NET_HDR_SIZE;
    if (len > VIRTIO_NET_MAX_FRAME) {
        log_mask(LOG_GUEST_ERROR, "virtio-net: transmit frame of %zu bytes is over "
                 "%d: dropped\n", len, VIRTIO_NET_MAX_FRAME);
        return NULL;
    }
    frame = g_malloc(len);
    virtqueue_elem_read(elem, VIRTIO_NET_HDR_SIZE, frame, len);
    return g_bytes_new_take(frame, len);
}

static void virtio_net_handle_tx(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtioNetState *s = VIRTIO_NET(vdev);
    VirtQueueElement *elem;

    while ((elem = virtqueue_pop(vq))) {
        g_autoptr(GBytes) frame = virtio_net_take_frame(elem);
        gsize len;
        const uint8_t *data;

        /* The request is returned before sending: a reply delivered inside
         * net_send() then finds no transmit state half done. */
        virtqueue_push(vq, elem, 0);
        g_free(elem);
        if (frame && s->nc) {
            data = g_bytes_get_data(frame, &len);
            net_send(s->nc, data, len);
        }
    }
    virtio_notify(vdev, vq);
}

/* ---- receive ---- */

static bool virtio_net_can_receive(NetClient *nc)
{
    VirtioNetState *s = net_client_opaque(nc);

    return virtio_net_driver_ok(s) && virtqueue_has_request(s->rx_vq);
}

/*
 * Pops receive buffers until they hold need bytes: one buffer without
 * MRG_RXBUF. Returns how many (elems gets them), 0 when there are not
 * enough, the buffers then being put back.
 */
static unsigned virtio_net_pop_rx(VirtioNetState *s, size_t need, GPtrArray *elems)
{
    bool merge = virtio_has_feature(VIRTIO_DEVICE(s), VIRTIO_NET_F_MRG_RXBUF);
    size_t room = 0;
    VirtQueueElement *elem;

    while (room < need && (merge || elems->len == 0) && (elem = virtqueue_pop(s->rx_vq))) {
        g_ptr_array_add(elems, elem);
        room += elem->in_len;
    }
    if (room >= need) {
        return elems->len;
    }
    for (guint i = elems->len; i > 0; i--) {
        virtqueue_unpop(s->rx_vq, g_ptr_array_index(elems, i - 1));
    }
    g_ptr_array_set_size(elems, 0);
    return 0;
}

/* Writes header and frame across the buffers and hands them to the driver. */
static void virtio_net_fill_rx(VirtioNetState *s, GPtrArray *elems, const uint8_t *buf,
                               size_t len)
{
    size_t total = VIRTIO_NET_HDR_SIZE + len;
    g_autofree uint8_t *packet = g_malloc0(total);
    uint16_t num_buffers = GUINT16_TO_LE(elems->len);
    size_t done = 0;

    memcpy(packet + VIRTIO_NET_HDR_NUM_BUFFERS, &num_buffers, sizeof(num_buffers));
    memcpy(packet + VIRTIO_NET_HDR_SIZE, buf, len);
    for (guint i = 0; i < elems->len; i++) {
        VirtQueueElement *elem = g_ptr_array_index(elems, i);
        size_t written = virtqueue_elem_write(elem, 0, packet + done, total - done);

        virtqueue_fill(s->rx_vq, elem, written, i);
        done += written;
    }
    virtqueue_flush(s->rx_vq, elems->len);
    virtio_notify(VIRTIO_DEVICE(s), s->rx_vq);
}

static ssize_t virtio_net_receive(NetClient *nc, const uint8_t *buf, size_t len)
{
    VirtioNetState *s = net_client_opaque(nc);
    bool merge = virtio_has_feature(VIRTIO_DEVICE(s), VIRTIO_NET_F_MRG_RXBUF);
    g_autoptr(GPtrArray) elems = g_ptr_array_new_with_free_func(g_free);

    if (!virtio_net_can_receive(nc)) {
        return 0;
    }
    if (!virtio_net_pop_rx(s, VIRTIO_NET_HDR_SIZE + len, elems)) {
        if (merge) {
            return 0;   /* waits for more buffers */
        }
        log_mask(LOG_GUEST_ERROR, "virtio-net: receive buffer too small for a %zu-byte "
                 "frame (no MRG_RXBUF): frame dropped\n", len);
        return len;
    }
    virtio_net_fill_rx(s, elems, buf, len);
    return len;
}

static const NetClientInfo virtio_net_info = {
    .type = "nic",
    .can_receive = virtio_net_can_receive,
    .receive = virtio_net_receive,
};

/* The driver added receive buffers: frames waiting for them may come. */
static void virtio_net_handle_rx(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtioNetState *s = VIRTIO_NET(vdev);

    if (s->nc) {
        net_receive_ready(s->nc);
    }
}

static void virtio_net_status_changed(VirtIODevice *vdev)
{
    virtio_net_handle_rx(vdev, VIRTIO_NET(vdev)->rx_vq);
}

/* ---- configuration and lifetime ---- */

static void virtio_net_st16(uint8_t *p, uint16_t v)
{
    v = GUINT16_TO_LE(v);
    memcpy(p, &v, sizeof(v));
}

static void virtio_net_get_config(VirtIODevice *vdev)
{
    VirtioNetState *s = VIRTIO_NET(vdev);

    memcpy(vdev->config + VIRTIO_NET_CFG_MAC, s->mac, sizeof(s->mac));
    virtio_net_st16(vdev->config + VIRTIO_NET_CFG_STATUS, VIRTIO_NET_S_LINK_UP);
    virtio_net_st16(vdev->config + VIRTIO_NET_CFG_MAX_PAIRS, 1);
    virtio_net_st16(vdev->config + VIRTIO_NET_CFG_MTU, VIRTIO_NET_MTU);
}

static void virtio_net_set_config(VirtIODevice *vdev, unsigned offset, unsigned len)
{
    /* mac is writable only with VIRTIO_NET_F_CTRL_MAC_ADDR, not offered. */
    log_mask(LOG_GUEST_ERROR, "virtio-net: config write at 0x%x: read-only, ignored\n",
             offset);
    virtio_net_get_config(vdev);
}

static bool virtio_net_realize(VirtIODevice *vdev, GError **errp)
{
    VirtioNetState *s = VIRTIO_NET(vdev);

    if (s->mac_str) {
        if (!net_mac_parse(s->mac_str, s->mac, errp)) {
            return false;
        }
    } else {
        net_mac_default(0, s->mac);
    }
    s->nc = net_client_new(&virtio_net_info, TYPE_VIRTIO_NET, s);
    if (s->netdev && !net_nic_attach(s->nc, s->netdev, errp)) {
        g_clear_pointer(&s->nc, net_client_free);
        return false;
    }
    s->rx_vq = virtio_add_queue(vdev, VIRTIO_NET_QUEUE_SIZE, VIRTQ_BUFFERS_WRITABLE,
                                virtio_net_handle_rx);
    s->tx_vq = virtio_add_queue(vdev, VIRTIO_NET_QUEUE_SIZE, VIRTQ_BUFFERS_READABLE,
                                virtio_net_handle_tx);
    virtio_net_get_config(vdev);
    return true;
}

static void virtio_net_unrealize(VirtIODevice *vdev)
{
    VirtioNetState *s = VIRTIO_NET(vdev);

    g_clear_pointer(&s->nc, net_client_free);
}

static const Property virtio_net_props[] = {
    DEFINE_PROP_STRING("netdev", VirtioNetState, netdev),
    DEFINE_PROP_STRING("mac", VirtioNetState, mac_str),
    DEFINE_PROP_END_OF_LIST(),
};

static void virtio_net_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_CLASS(oc);

    dc->desc = "virtio network card on a netdev";
    device_class_set_props(dc, virtio_net_props);
    vdc->device_id = VIRTIO_ID_NET;
    vdc->features = (1ull << VIRTIO_NET_F_MTU) | (1ull << VIRTIO_NET_F_MAC) |
                    (1ull << VIRTIO_NET_F_MRG_RXBUF) | (1ull << VIRTIO_NET_F_STATUS);
    vdc->config_size = VIRTIO_NET_CONFIG_SIZE;
    vdc->realize = virtio_net_realize;
    vdc->unrealize = virtio_net_unrealize;
    vdc->get_config = virtio_net_get_config;
    vdc->set_config = virtio_net_set_config;
    vdc->status_changed = virtio_net_status_changed;
}

static const TypeInfo virtio_net_type = {
    .name = TYPE_VIRTIO_NET,
    .parent = TYPE_VIRTIO_DEVICE,
    .instance_size = sizeof(VirtioNetState),
    .class_init = virtio_net_class_init,
};

static void virtio_net_register_types(void)
{
    type_register(&virtio_net_type);
}

PROTEUS_MODULE(virtio_net, virtio_net_register_types)
