/*
 * virtio-rng-device: the entropy device (virtio 1.2 §5.4, device ID 4).
 * One queue, requestq, whose buffers are all device-writable; each request
 * is filled with bytes from the host's getrandom(2) and returned.
 *
 * No feature bits, no configuration space. It plugs into the first free
 * virtio transport (a virtio-mmio slot on the virt board).
 *
 * Left out: rate limiting and other entropy backends.
 */
#include <errno.h>
#include <sys/random.h>

#include "proteus/log.h"
#include "proteus/module.h"
#include "proteus/virtio.h"

#define TYPE_VIRTIO_RNG "virtio-rng-device"
OBJECT_DECLARE_SIMPLE_TYPE(VirtioRngState, VIRTIO_RNG)

#define VIRTIO_RNG_QUEUE_SIZE 64

struct VirtioRngState {
    VirtIODevice parent_obj;
    VirtQueue *vq;
};

/* Fills one buffer from the host; false if the host has no entropy to give. */
static bool virtio_rng_fill(void *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = getrandom((uint8_t *)buf + done, len - done, 0);

        if (n < 0 && errno != EINTR) {
            return false;
        }
        done += n > 0 ? n : 0;
    }
    return true;
}

static void virtio_rng_handle_request(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtQueueElement *elem;

    while ((elem = virtqueue_pop(vq))) {
        for (unsigned i = 0; i < elem->in_num; i++) {
            if (!virtio_rng_fill(elem->in_sg[i].iov_base, elem->in_sg[i].iov_len)) {
                log_mask(LOG_UNIMP, "virtio-rng: getrandom failed: %s\n", g_strerror(errno));
                virtqueue_unpop(vq, elem);
                g_free(elem);
                return;
            }
        }
        virtqueue_push(vq, elem, elem->in_len);
        g_free(elem);
    }
    virtio_notify(vdev, vq);
}

static bool virtio_rng_realize(VirtIODevice *vdev, GError **errp)
{
    VirtioRngState *s = VIRTIO_RNG(vdev);

    s->vq = virtio_add_queue(vdev, VIRTIO_RNG_QUEUE_SIZE, VIRTQ_BUFFERS_WRITABLE,
                             virtio_rng_handle_request);
    return true;
}

static void virtio_rng_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_CLASS(oc);

    dc->desc = "virtio entropy source (host getrandom)";
    vdc->device_id = VIRTIO_ID_RNG;
    vdc->realize = virtio_rng_realize;
}

static const TypeInfo virtio_rng_type = {
    .name = TYPE_VIRTIO_RNG,
    .parent = TYPE_VIRTIO_DEVICE,
    .instance_size = sizeof(VirtioRngState),
    .class_init = virtio_rng_class_init,
};

static void virtio_rng_register_types(void)
{
    type_register(&virtio_rng_type);
}

PROTEUS_MODULE(virtio_rng, virtio_rng_register_types)
