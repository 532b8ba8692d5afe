/*
 * virtio-console-device: the console device (virtio 1.2 §5.3, device ID 3)
 * with its single port bound to a chardev (chardev=ID).
 *
 * Queues: 0 receiveq (port 0, device-writable buffers: bytes from the
 * chardev), 1 transmitq (port 0, device-readable buffers: bytes to it).
 * Configuration space (12 bytes): cols, rows (le16, 0: unknown),
 * max_nr_ports (le32), emerg_wr (le32). VIRTIO_CONSOLE_F_EMERG_WRITE is
 * offered: a byte written to emerg_wr goes to the chardev at once.
 *
 * Left out: VIRTIO_CONSOLE_F_SIZE and VIRTIO_CONSOLE_F_MULTIPORT (one port,
 * no control queues).
 */
#include <string.h>

#include "proteus/chardev.h"
#include "proteus/log.h"
#include "proteus/module.h"
#include "proteus/virtio.h"

#define TYPE_VIRTIO_CONSOLE "virtio-console-device"
OBJECT_DECLARE_SIMPLE_TYPE(VirtioConsoleState, VIRTIO_CONSOLE)

#define VIRTIO_CONSOLE_F_EMERG_WRITE 2
#define VIRTIO_CONSOLE_QUEUE_SIZE    128
#define VIRTIO_CONSOLE_CONFIG_SIZE   12
#define VIRTIO_CONSOLE_EMERG_WR      8      /* offset of emerg_wr */

struct VirtioConsoleState {
    VirtIODevice parent_obj;
    CharFrontend chr;
    VirtQueue *rx_vq;
    VirtQueue *tx_vq;
    /* A receive buffer taken from the driver and not yet filled. */
    VirtQueueElement *rx_elem;
};

static void virtio_console_write(VirtioConsoleState *s, const uint8_t *buf, size_t len)
{
    if (s->chr.chr) {
        chr_fe_write_all(&s->chr, buf, len);
    }
}

static void virtio_console_handle_tx(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtioConsoleState *s = VIRTIO_CONSOLE(vdev);
    VirtQueueElement *elem;

    while ((elem = virtqueue_pop(vq))) {
        for (unsigned i = 0; i < elem->out_num; i++) {
            virtio_console_write(s, elem->out_sg[i].iov_base, elem->out_sg[i].iov_len);
        }
        virtqueue_push(vq, elem, 0);
        g_free(elem);
    }
    virtio_notify(vdev, vq);
}

/* The driver added receive buffers: let the chardev deliver what it holds. */
static void virtio_console_handle_rx(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtioConsoleState *s = VIRTIO_CONSOLE(vdev);

    if (s->chr.chr) {
        chr_fe_accept_input(&s->chr);
    }
}

static int virtio_console_can_receive(void *opaque)
{
    VirtioConsoleState *s = opaque;
    VirtIODevice *vdev = VIRTIO_DEVICE(s);

    if (!(vdev->status & VIRTIO_STATUS_DRIVER_OK)) {
        return 0;
    }
    if (!s->rx_elem) {
        s->rx_elem = virtqueue_pop(s->rx_vq);
    }
    return s->rx_elem ? MIN(s->rx_elem->in_len, CHR_READ_BUF_LEN) : 0;
}

static void virtio_console_receive(void *opaque, const uint8_t *buf, int size)
{
    VirtioConsoleState *s = opaque;
    VirtQueueElement *elem = s->rx_elem;
    size_t done;

    if (!elem) {
        return;
    }
    done = virtqueue_elem_write(elem, 0, buf, size);
    virtqueue_push(s->rx_vq, elem, done);
    virtio_notify(VIRTIO_DEVICE(s), s->rx_vq);
    g_clear_pointer(&s->rx_elem, g_free);
}

static void virtio_console_set_config(VirtIODevice *vdev, unsigned offset, unsigned len)
{
    VirtioConsoleState *s = VIRTIO_CONSOLE(vdev);
    uint8_t byte = vdev->config[VIRTIO_CONSOLE_EMERG_WR];

    if (offset != VIRTIO_CONSOLE_EMERG_WR) {
        log_mask(LOG_GUEST_ERROR, "virtio-console: config write at 0x%x (only emerg_wr "
                 "is writable)\n", offset);
        return;
    }
    if (virtio_has_feature(vdev, VIRTIO_CONSOLE_F_EMERG_WRITE)) {
        virtio_console_write(s, &byte, 1);
    }
}

static void virtio_console_get_config(VirtIODevice *vdev)
{
    /* cols, rows unknown; one port; emerg_wr reads as zero. */
    memset(vdev->config, 0, VIRTIO_CONSOLE_CONFIG_SIZE);
    vdev->config[4] = 1;
}

static void virtio_console_reset(VirtIODevice *vdev)
{
    VirtioConsoleState *s = VIRTIO_CONSOLE(vdev);

    g_clear_pointer(&s->rx_elem, g_free);
}

static void virtio_console_status_changed(VirtIODevice *vdev)
{
    virtio_console_handle_rx(vdev, VIRTIO_CONSOLE(vdev)->rx_vq);
}

static bool virtio_console_realize(VirtIODevice *vdev, GError **errp)
{
    VirtioConsoleState *s = VIRTIO_CONSOLE(vdev);

    s->rx_vq = virtio_add_queue(vdev, VIRTIO_CONSOLE_QUEUE_SIZE, VIRTQ_BUFFERS_WRITABLE,
                                virtio_console_handle_rx);
    s->tx_vq = virtio_add_queue(vdev, VIRTIO_CONSOLE_QUEUE_SIZE, VIRTQ_BUFFERS_READABLE,
                                virtio_console_handle_tx);
    if (s->chr.chr) {
        chr_fe_set_handlers(&s->chr, virtio_console_can_receive, virtio_console_receive,
                            NULL, s);
    }
    return true;
}

static void virtio_console_unrealize(VirtIODevice *vdev)
{
    VirtioConsoleState *s = VIRTIO_CONSOLE(vdev);

    if (s->chr.chr) {
        chr_fe_set_handlers(&s->chr, NULL, NULL, NULL, NULL);
    }
    g_clear_pointer(&s->rx_elem, g_free);
}

static const Property virtio_console_props[] = {
    DEFINE_PROP_CHR("chardev", VirtioConsoleState, chr),
    DEFINE_PROP_END_OF_LIST(),
};

static void virtio_console_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_CLASS(oc);

    dc->desc = "virtio console with one port on a chardev";
    device_class_set_props(dc, virtio_console_props);
    vdc->device_id = VIRTIO_ID_CONSOLE;
    vdc->features = 1ull << VIRTIO_CONSOLE_F_EMERG_WRITE;
    vdc->config_size = VIRTIO_CONSOLE_CONFIG_SIZE;
    vdc->realize = virtio_console_realize;
    vdc->unrealize = virtio_console_unrealize;
    vdc->reset = virtio_console_reset;
    vdc->get_config = virtio_console_get_config;
    vdc->set_config = virtio_console_set_config;
    vdc->status_changed = virtio_console_status_changed;
}

static const TypeInfo virtio_console_type = {
    .name = TYPE_VIRTIO_CONSOLE,
    .parent = TYPE_VIRTIO_DEVICE,
    .instance_size = sizeof(VirtioConsoleState),
    .class_init = virtio_console_class_init,
};

static void virtio_console_register_types(void)
{
    type_register(&virtio_console_type);
}

PROTEUS_MODULE(virtio_console, virtio_console_register_types)
