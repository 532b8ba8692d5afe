/*
 * The virtio 1.x device core: what every virtio device shares, whatever
 * transport carries it (virtio 1.2, chapters 2 and 3).
 *
 * A device is a subclass of TYPE_VIRTIO_DEVICE. Its class gives the device
 * ID, the feature bits it offers and the size of its configuration space;
 * its realize hook asks for queues with virtio_add_queue(), each with a
 * handler that runs when the driver notifies the queue. The handler takes
 * requests with virtqueue_pop() (the buffers already mapped to host
 * pointers into guest RAM), and returns them with virtqueue_push() (or
 * virtqueue_fill() + virtqueue_flush() for a batch) and virtio_notify().
 *
 * Transports (virtio-mmio) implement the TYPE_VIRTIO_TRANSPORT interface
 * and hold a VirtioBus; a device realized with -device plugs itself into
 * the first free bus of the machine.
 *
 * Only split virtqueues (2.7) are implemented; the core offers
 * VIRTIO_F_VERSION_1, VIRTIO_F_INDIRECT_DESC and VIRTIO_F_RING_EVENT_IDX
 * on top of the device's own features. A driver that breaks the ring rules
 * puts the device into DEVICE_NEEDS_RESET (virtio_error): it is logged
 * under -d guest_errors and the device stops using its queues until reset.
 *
 * All of it runs with the BQL held.
 */
#ifndef PROTEUS_VIRTIO_H
#define PROTEUS_VIRTIO_H

#include <sys/uio.h>

#include "proteus/device.h"

/* Device status (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE        0x01
#define VIRTIO_STATUS_DRIVER             0x02
#define VIRTIO_STATUS_DRIVER_OK          0x04
#define VIRTIO_STATUS_FEATURES_OK        0x08
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED             0x80

/* Reserved feature bits (6). */
#define VIRTIO_F_INDIRECT_DESC   28
#define VIRTIO_F_RING_EVENT_IDX  29
#define VIRTIO_F_VERSION_1       32

/* Split virtqueue flags (2.7.5, 2.7.6, 2.7.8). */
#define VIRTQ_DESC_F_NEXT        1
#define VIRTQ_DESC_F_WRITE       2
#define VIRTQ_DESC_F_INDIRECT    4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY   1

/* Interrupt status bits (4.2.2, ISR in 4.1.4.5). */
#define VIRTIO_ISR_QUEUE         0x1
#define VIRTIO_ISR_CONFIG        0x2

/* Device IDs (5). */
#define VIRTIO_ID_NET            1
#define VIRTIO_ID_BLOCK          2
#define VIRTIO_ID_CONSOLE        3
#define VIRTIO_ID_RNG            4

#define VIRTQ_MAX_SIZE           32768
#define VIRTIO_QUEUE_MAX         64

typedef struct VirtQueue VirtQueue;
typedef struct VirtioBus VirtioBus;

#define TYPE_VIRTIO_DEVICE "virtio-device"
OBJECT_DECLARE_TYPE(VirtIODevice, VirtioDeviceClass, VIRTIO_DEVICE)

/* Which buffers a queue's requests may carry; the others are a guest error. */
typedef enum {
    VIRTQ_BUFFERS_ANY,        /* readable ones, then writable ones (virtio-blk) */
    VIRTQ_BUFFERS_READABLE,   /* driver to device only (a transmit queue) */
    VIRTQ_BUFFERS_WRITABLE,   /* device to driver only (a receive queue) */
} VirtQueueBuffers;

typedef void VirtQueueHandler(VirtIODevice *vdev, VirtQueue *vq);

struct VirtIODevice {
    DeviceState parent_obj;
    const char *name;               /* for logs: the type name */
    AddressSpace *dma_as;           /* guest memory; the system bus by default */
    VirtioBus *bus;                 /* the transport it is plugged into */

    uint8_t status;
    bool broken;                    /* DEVICE_NEEDS_RESET: queues are not used */
    uint8_t isr;
    uint64_t host_features;
    uint64_t driver_features;       /* as the driver writes them */
    uint64_t guest_features;        /* accepted with FEATURES_OK */
    uint32_t config_generation;
    uint8_t *config;                /* config_size bytes, little-endian fields */

    unsigned num_queues;
    VirtQueue *vqs[VIRTIO_QUEUE_MAX];
};

struct VirtioDeviceClass {
    DeviceClass parent_class;
    uint16_t device_id;
    uint64_t features;              /* device-specific bits offered */
    size_t config_size;
    /* Adds the queues; may fail on bad properties. */
    bool (*realize)(VirtIODevice *vdev, GError **errp);
    void (*unrealize)(VirtIODevice *vdev);
    /* The device's own state back to its reset values (queues are done). */
    void (*reset)(VirtIODevice *vdev);
    /* Refresh vdev->config before a driver read (optional). */
    void (*get_config)(VirtIODevice *vdev);
    /* The driver wrote len bytes at offset of vdev->config (optional). */
    void (*set_config)(VirtIODevice *vdev, unsigned offset, unsigned len);
    /* The status changed (DRIVER_OK set, for instance) (optional). */
    void (*status_changed)(VirtIODevice *vdev);
};

/*
 * A request: the buffers of one descriptor chain. out_sg are the buffers
 * the device reads (driver to device), in_sg those it writes. One block:
 * free it with g_free().
 */
typedef struct VirtQueueElement {
    unsigned index;                 /* the head descriptor's */
    unsigned out_num;
    unsigned in_num;
    size_t out_len;                 /* bytes in out_sg */
    size_t in_len;                  /* bytes in in_sg */
    struct iovec *out_sg;
    struct iovec *in_sg;
} VirtQueueElement;

/* ---- for devices ---- */

VirtQueue *virtio_add_queue(VirtIODevice *vdev, unsigned max_size, VirtQueueBuffers buffers,
                            VirtQueueHandler *handler);
VirtQueue *virtio_get_queue(VirtIODevice *vdev, unsigned n);
unsigned virtio_queue_index(VirtQueue *vq);
bool virtio_has_feature(VirtIODevice *vdev, unsigned bit);

/* The next request, or NULL: none, queue not ready, or the device is broken
 * (a malformed chain makes it broken and returns NULL). */
VirtQueueElement *virtqueue_pop(VirtQueue *vq);
/* Puts the request back so the next pop returns it again. */
void virtqueue_unpop(VirtQueue *vq, VirtQueueElement *elem);
/* True when a pop would find a request. */
bool virtqueue_has_request(VirtQueue *vq);
/* Writes the used ring entry idx places after the last flushed one. */
void virtqueue_fill(VirtQueue *vq, const VirtQueueElement *elem, uint32_t len,
                    unsigned idx);
/* Publishes count filled entries to the driver. */
void virtqueue_flush(VirtQueue *vq, unsigned count);
/* fill + flush of one request; len is what the device wrote into in_sg. */
void virtqueue_push(VirtQueue *vq, const VirtQueueElement *elem, uint32_t len);
/* Interrupts the driver for used buffers, unless it suppressed that. */
void virtio_notify(VirtIODevice *vdev, VirtQueue *vq);
/* Asks for (or declines) the driver's notifications of new requests. */
void virtio_queue_set_notification(VirtQueue *vq, bool enable);

/* Copies between an element's buffers and host memory; returns the bytes copied. */
size_t virtqueue_elem_write(VirtQueueElement *elem, size_t offset, const void *buf,
                            size_t len);
size_t virtqueue_elem_read(const VirtQueueElement *elem, size_t offset, void *buf,
                           size_t len);

/* The device's config space changed: new generation and a notification. */
void virtio_config_changed(VirtIODevice *vdev);
/* The guest broke the rules: log, set DEVICE_NEEDS_RESET, stop the queues. */
void virtio_error(VirtIODevice *vdev, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* ---- for transports ---- */

typedef struct VirtioBusOps {
    /* The interrupt status (vdev->isr) changed: update the line. */
    void (*update_irq)(VirtioBus *bus);
} VirtioBusOps;

struct VirtioBus {
    const VirtioBusOps *ops;
    void *opaque;                   /* the transport */
    VirtIODevice *vdev;             /* plugged device; NULL: empty slot */
};

#define TYPE_VIRTIO_TRANSPORT "virtio-transport"

typedef struct VirtioTransportClass {
    InterfaceClass parent_class;
    VirtioBus *(*get_bus)(Object *transport);
} VirtioTransportClass;

/* Plugs vdev into bus (the device's realize does it for -device). */
void virtio_bus_plug(VirtioBus *bus, VirtIODevice *vdev);
void virtio_bus_unplug(VirtioBus *bus);

/* Device reset (2.4): status 0, queues forgotten, the device's own state. */
void virtio_reset(VirtIODevice *vdev);
void virtio_set_status(VirtIODevice *vdev, uint8_t value);
uint32_t virtio_read_device_features(VirtIODevice *vdev, unsigned sel);
void virtio_write_driver_features(VirtIODevice *vdev, unsigned sel, uint32_t value);
void virtio_isr_ack(VirtIODevice *vdev, uint8_t bits);

uint32_t virtio_config_read(VirtIODevice *vdev, unsigned offset, unsigned size);
void virtio_config_write(VirtIODevice *vdev, unsigned offset, unsigned size, uint32_t value);

unsigned virtio_queue_max_size(VirtQueue *vq);
unsigned virtio_queue_size(VirtQueue *vq);
bool virtio_queue_set_size(VirtQueue *vq, unsigned size);
bool virtio_queue_ready(VirtQueue *vq);
/* The ring addresses: descriptor table, driver (avail) and device (used) areas. */
void virtio_queue_get_addrs(VirtQueue *vq, uint64_t *desc, uint64_t *driver,
                            uint64_t *device);
void virtio_queue_set_addrs(VirtQueue *vq, uint64_t desc, uint64_t driver, uint64_t device);
/* Enables the queue with its size and addresses; false (a guest error, logged)
 * if they are unusable. Disabling forgets the queue's state. */
bool virtio_queue_set_ready(VirtQueue *vq, bool ready);
/* The driver notified queue n: runs its handler. */
void virtio_queue_notify(VirtIODevice *vdev, unsigned n);

#endif
