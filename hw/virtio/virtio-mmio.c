/*
 * virtio-mmio: the memory-mapped virtio transport, version 2 (virtio 1.2
 * §4.2). It is a slot: a virtio device (virtio-rng-device, ...) plugs into
 * it; an empty slot answers with DeviceID 0, as §4.2.3.1.1 allows, so a
 * board can offer several and the driver skips the empty ones.
 *
 * MMIO region 0 (0x200 bytes):
 *   0x000-0x0fc  control registers, 32-bit accesses only (§4.2.2)
 *   0x100-       the device's configuration space, 8/16/32-bit accesses
 *
 * IRQ output 0 (the sys-bus-device line): high while InterruptStatus is
 * non-zero (bit 0: used buffers, bit 1: configuration change).
 *
 * Under KVM (property "ioeventfd", on by default) each queue's QueueNotify
 * write is an ioeventfd from DRIVER_OK to the next reset: the kernel
 * signals it without an exit, the vCPU goes straight back to the guest,
 * and the queue is served on the main loop. Elsewhere notifies are served
 * synchronously on the writing vCPU, as an eventfd would only add a hop.
 *
 * Left out: the legacy interface (Version 1), shared memory regions (SHMSel
 * reads back, SHMLen reads as ~0: "no such region"), queue reset
 * (VIRTIO_F_RING_RESET is not offered, QueueReset reads 0) and
 * notification data. The write-only queue registers (QueueNum, the ring
 * addresses) read back what was written.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "proteus/kvm.h"
#include "proteus/log.h"
#include "proteus/main-loop.h"
#include "proteus/module.h"
#include "proteus/virtio.h"

#define TYPE_VIRTIO_MMIO "virtio-mmio"
OBJECT_DECLARE_SIMPLE_TYPE(VirtioMmioState, VIRTIO_MMIO)

#define VIRTIO_MMIO_SIZE      0x200
#define VIRTIO_MMIO_MAGIC     0x74726976      /* "virt" */
#define VIRTIO_MMIO_VERSION   2
#define VIRTIO_MMIO_VENDOR    0x53545250      /* "PRTS" */

/* Register offsets (§4.2.2). */
enum {
    REG_MAGIC_VALUE = 0x000,
    REG_VERSION = 0x004,
    REG_DEVICE_ID = 0x008,
    REG_VENDOR_ID = 0x00c,
    REG_DEVICE_FEATURES = 0x010,
    REG_DEVICE_FEATURES_SEL = 0x014,
    REG_DRIVER_FEATURES = 0x020,
    REG_DRIVER_FEATURES_SEL = 0x024,
    REG_QUEUE_SEL = 0x030,
    REG_QUEUE_NUM_MAX = 0x034,
    REG_QUEUE_NUM = 0x038,
    REG_QUEUE_READY = 0x044,
    REG_QUEUE_NOTIFY = 0x050,
    REG_INTERRUPT_STATUS = 0x060,
    REG_INTERRUPT_ACK = 0x064,
    REG_STATUS = 0x070,
    REG_QUEUE_DESC_LOW = 0x080,
    REG_QUEUE_DESC_HIGH = 0x084,
    REG_QUEUE_DRIVER_LOW = 0x090,
    REG_QUEUE_DRIVER_HIGH = 0x094,
    REG_QUEUE_DEVICE_LOW = 0x0a0,
    REG_QUEUE_DEVICE_HIGH = 0x0a4,
    REG_SHM_SEL = 0x0ac,
    REG_SHM_LEN_LOW = 0x0b0,
    REG_SHM_LEN_HIGH = 0x0b4,
    REG_SHM_BASE_LOW = 0x0b8,
    REG_SHM_BASE_HIGH = 0x0bc,
    REG_QUEUE_RESET = 0x0c0,
    REG_CONFIG_GENERATION = 0x0fc,
    REG_CONFIG = 0x100,
};

typedef struct VirtioMmioNotifier {
    VirtioMmioState *s;
    unsigned queue;
    int fd;                         /* -1: this queue's notifies exit as usual */
} VirtioMmioNotifier;

struct VirtioMmioState {
    SysBusDevice parent_obj;
    MemoryRegion iomem;
    ProteusIrq irq;
    VirtioBus bus;
    bool ioeventfd;                 /* property */
    VirtioMmioNotifier *notifiers;  /* one per queue while DRIVER_OK, or NULL */
    unsigned nr_notifiers;

    uint32_t device_features_sel;
    uint32_t driver_features_sel;
    uint32_t queue_sel;
    uint32_t shm_sel;
};

static void virtio_mmio_update_irq(VirtioBus *bus)
{
    VirtioMmioState *s = bus->opaque;

    irq_set(s->irq, bus->vdev && bus->vdev->isr);
}

static const VirtioBusOps virtio_mmio_bus_ops = {
    .update_irq = virtio_mmio_update_irq,
};

static VirtQueue *virtio_mmio_queue(VirtioMmioState *s)
{
    return virtio_get_queue(s->bus.vdev, s->queue_sel);
}

static uint64_t virtio_mmio_queue_addr(VirtioMmioState *s, hwaddr reg)
{
    VirtQueue *vq = virtio_mmio_queue(s);
    uint64_t addrs[3];

    if (!vq) {
        return 0;
    }
    virtio_queue_get_addrs(vq, &addrs[0], &addrs[1], &addrs[2]);
    return addrs[(reg - REG_QUEUE_DESC_LOW) / 0x10] >> (reg & 4 ? 32 : 0);
}

static uint32_t virtio_mmio_read_reg(VirtioMmioState *s, hwaddr reg)
{
    VirtIODevice *vdev = s->bus.vdev;
    VirtQueue *vq;

    switch (reg) {
    case REG_MAGIC_VALUE:
        return VIRTIO_MMIO_MAGIC;
    case REG_VERSION:
        return VIRTIO_MMIO_VERSION;
    case REG_DEVICE_ID:
        return vdev ? VIRTIO_DEVICE_GET_CLASS(vdev)->device_id : 0;
    case REG_VENDOR_ID:
        return VIRTIO_MMIO_VENDOR;
    case REG_SHM_LEN_LOW:
    case REG_SHM_LEN_HIGH:
        return 0xffffffff;
    case REG_SHM_SEL:
        return s->shm_sel;
    }
    if (!vdev) {
        return 0;
    }
    switch (reg) {
    case REG_DEVICE_FEATURES:
        return virtio_read_device_features(vdev, s->device_features_sel);
    case REG_QUEUE_NUM_MAX:
        vq = virtio_mmio_queue(s);
        return vq ? virtio_queue_max_size(vq) : 0;
    case REG_QUEUE_NUM:
        vq = virtio_mmio_queue(s);
        return vq ? virtio_queue_size(vq) : 0;
    case REG_QUEUE_READY:
        vq = virtio_mmio_queue(s);
        return vq && virtio_queue_ready(vq);
    case REG_INTERRUPT_STATUS:
        return vdev->isr;
    case REG_STATUS:
        return vdev->status;
    case REG_QUEUE_DESC_LOW:
    case REG_QUEUE_DESC_HIGH:
    case REG_QUEUE_DRIVER_LOW:
    case REG_QUEUE_DRIVER_HIGH:
    case REG_QUEUE_DEVICE_LOW:
    case REG_QUEUE_DEVICE_HIGH:
        return virtio_mmio_queue_addr(s, reg);
    case REG_CONFIG_GENERATION:
        return vdev->config_generation;
    case REG_SHM_BASE_LOW:
    case REG_SHM_BASE_HIGH:
    case REG_QUEUE_RESET:
        return 0;
    default:
        log_mask(LOG_GUEST_ERROR, "virtio-mmio: read of 0x%03x, which is not a readable "
                 "register\n", (unsigned)reg);
        return 0;
    }
}

/* The selected queue, if the driver may change it now (§4.2.3.2). */
static VirtQueue *virtio_mmio_queue_for_setup(VirtioMmioState *s, hwaddr reg)
{
    VirtQueue *vq = virtio_mmio_queue(s);

    if (!vq) {
        log_mask(LOG_GUEST_ERROR, "virtio-mmio: write of 0x%03x for queue %u, which does "
                 "not exist\n", (unsigned)reg, s->queue_sel);
        return NULL;
    }
    if (virtio_queue_ready(vq)) {
        log_mask(LOG_GUEST_ERROR, "virtio-mmio: write of 0x%03x while queue %u is ready: "
                 "ignored\n", (unsigned)reg, s->queue_sel);
        return NULL;
    }
    return vq;
}

static void virtio_mmio_set_queue_addr(VirtioMmioState *s, hwaddr reg, uint32_t value)
{
    VirtQueue *vq = virtio_mmio_queue_for_setup(s, reg);
    uint64_t addrs[3];
    unsigned which = (reg - REG_QUEUE_DESC_LOW) / 0x10;
    unsigned shift = reg & 4 ? 32 : 0;

    if (!vq) {
        return;
    }
    virtio_queue_get_addrs(vq, &addrs[0], &addrs[1], &addrs[2]);
    addrs[which] = (addrs[which] & ~(0xffffffffull << shift)) | ((uint64_t)value << shift);
    virtio_queue_set_addrs(vq, addrs[0], addrs[1], addrs[2]);
}

static void virtio_mmio_write_queue_ready(VirtioMmioState *s, uint32_t value)
{
    VirtQueue *vq = virtio_mmio_queue(s);

    if (!vq) {
        log_mask(LOG_GUEST_ERROR, "virtio-mmio: QueueReady for queue %u, which does not "
                 "exist\n", s->queue_sel);
        return;
    }
    virtio_queue_set_ready(vq, value & 1);
}

/* ---- ioeventfds for QueueNotify ---- */

static void virtio_mmio_notifier_read(void *opaque)
{
    VirtioMmioNotifier *n = opaque;
    uint64_t count;

    if (read(n->fd, &count, sizeof(count)) == sizeof(count)) {
        virtio_queue_notify(n->s->bus.vdev, n->queue);
    }
}

static void virtio_mmio_start_ioeventfds(VirtioMmioState *s)
{
    VirtIODevice *vdev = s->bus.vdev;

    if (!s->ioeventfd || s->notifiers || !kvm_ioeventfds_enabled()) {
        return;
    }
    s->nr_notifiers = vdev->num_queues;
    s->notifiers = g_new0(VirtioMmioNotifier, s->nr_notifiers);
    for (unsigned i = 0; i < s->nr_notifiers; i++) {
        VirtioMmioNotifier *n = &s->notifiers[i];

        n->s = s;
        n->queue = i;
        n->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (n->fd < 0) {
            log_mask(LOG_UNIMP, "virtio-mmio: eventfd for queue %u: %s (its notifies exit "
                     "as usual)\n", i, strerror(errno));
            continue;
        }
        main_loop_set_fd_handler(n->fd, virtio_mmio_notifier_read, NULL, n);
        memory_region_add_eventfd(&s->iomem, REG_QUEUE_NOTIFY, 4, true, i, n->fd);
    }
}

/* At a reset: notifies still pending are dropped with the queues. */
static void virtio_mmio_stop_ioeventfds(VirtioMmioState *s)
{
    for (unsigned i = 0; i < s->nr_notifiers; i++) {
        VirtioMmioNotifier *n = &s->notifiers[i];

        if (n->fd >= 0) {
            memory_region_del_eventfd(&s->iomem, REG_QUEUE_NOTIFY, 4, true, i, n->fd);
            main_loop_set_fd_handler(n->fd, NULL, NULL, NULL);
            close(n->fd);
        }
    }
    g_clear_pointer(&s->notifiers, g_free);
    s->nr_notifiers = 0;
}

static void virtio_mmio_reset_regs(VirtioMmioState *s)
{
    s->device_features_sel = 0;
    s->driver_features_sel = 0;
    s->queue_sel = 0;
    s->shm_sel = 0;
    virtio_mmio_stop_ioeventfds(s);
}

static void virtio_mmio_write_reg(VirtioMmioState *s, hwaddr reg, uint32_t value)
{
    VirtIODevice *vdev = s->bus.vdev;
    VirtQueue *vq;

    if (!vdev) {
        log_mask(LOG_GUEST_ERROR, "virtio-mmio: write of 0x%08x to 0x%03x of an empty "
                 "slot\n", value, (unsigned)reg);
        return;
    }
    switch (reg) {
    case REG_DEVICE_FEATURES_SEL:
        s->device_features_sel = value;
        break;
    case REG_DRIVER_FEATURES:
        virtio_write_driver_features(vdev, s->driver_features_sel, value);
        break;
    case REG_DRIVER_FEATURES_SEL:
        s->driver_features_sel = value;
        break;
    case REG_QUEUE_SEL:
        s->queue_sel = value;
        break;
    case REG_QUEUE_NUM:
        vq = virtio_mmio_queue_for_setup(s, reg);
        if (vq) {
            virtio_queue_set_size(vq, value);
        }
        break;
    case REG_QUEUE_READY:
        virtio_mmio_write_queue_ready(s, value);
        break;
    case REG_QUEUE_NOTIFY:
        /* Without VIRTIO_F_NOTIFICATION_DATA the value is the queue index. */
        virtio_queue_notify(vdev, value & 0xffff);
        break;
    case REG_INTERRUPT_ACK:
        virtio_isr_ack(vdev, value);
        break;
    case REG_STATUS:
        virtio_set_status(vdev, value);
        if (value == 0) {
            virtio_mmio_reset_regs(s);
        } else if (vdev->status & VIRTIO_STATUS_DRIVER_OK) {
            virtio_mmio_start_ioeventfds(s);
        }
        break;
    case REG_QUEUE_DESC_LOW:
    case REG_QUEUE_DESC_HIGH:
    case REG_QUEUE_DRIVER_LOW:
    case REG_QUEUE_DRIVER_HIGH:
    case REG_QUEUE_DEVICE_LOW:
    case REG_QUEUE_DEVICE_HIGH:
        virtio_mmio_set_queue_addr(s, reg, value);
        break;
    case REG_SHM_SEL:
        s->shm_sel = value;
        break;
    case REG_QUEUE_RESET:
        log_mask(LOG_UNIMP, "virtio-mmio: QueueReset (VIRTIO_F_RING_RESET is not "
                 "offered)\n");
        break;
    default:
        log_mask(LOG_GUEST_ERROR, "virtio-mmio: write of 0x%08x to 0x%03x, which is not a "
                 "writable register\n", value, (unsigned)reg);
        break;
    }
}

static uint64_t virtio_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    VirtioMmioState *s = opaque;
    uint32_t value;

    if (addr >= REG_CONFIG) {
        return s->bus.vdev ? virtio_config_read(s->bus.vdev, addr - REG_CONFIG, size) : 0;
    }
    if (size != 4) {
        log_mask(LOG_GUEST_ERROR, "virtio-mmio: %u-byte read of register 0x%03x (32-bit "
                 "only)\n", size, (unsigned)addr);
        return 0;
    }
    value = virtio_mmio_read_reg(s, addr);
    log_mask(LOG_TRACE_DEV, "virtio-mmio: read 0x%03x -> 0x%08x\n", (unsigned)addr, value);
    return value;
}

static void virtio_mmio_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    VirtioMmioState *s = opaque;

    if (addr >= REG_CONFIG) {
        if (s->bus.vdev) {
            virtio_config_write(s->bus.vdev, addr - REG_CONFIG, size, value);
        }
        return;
    }
    if (size != 4) {
        log_mask(LOG_GUEST_ERROR, "virtio-mmio: %u-byte write of register 0x%03x (32-bit "
                 "only)\n", size, (unsigned)addr);
        return;
    }
    log_mask(LOG_TRACE_DEV, "virtio-mmio: write 0x%03x <- 0x%08x\n", (unsigned)addr,
             (unsigned)value);
    virtio_mmio_write_reg(s, addr, value);
}

static const MemoryRegionOps virtio_mmio_ops = {
    .read = virtio_mmio_read,
    .write = virtio_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

/* ---- life cycle ---- */

static VirtioBus *virtio_mmio_get_bus(Object *obj)
{
    return &VIRTIO_MMIO(obj)->bus;
}

static bool virtio_mmio_realize(DeviceState *dev, GError **errp)
{
    VirtioMmioState *s = VIRTIO_MMIO(dev);

    memory_region_init_io(&s->iomem, OBJECT(s), &virtio_mmio_ops, s, "virtio-mmio",
                          VIRTIO_MMIO_SIZE);
    sysbus_init_mmio(SYS_BUS_DEVICE(s), &s->iomem);
    return true;
}

static void virtio_mmio_unrealize(DeviceState *dev)
{
    VirtioMmioState *s = VIRTIO_MMIO(dev);

    virtio_mmio_stop_ioeventfds(s);
    memory_region_destroy(&s->iomem);
}

static void virtio_mmio_reset(DeviceState *dev)
{
    VirtioMmioState *s = VIRTIO_MMIO(dev);

    virtio_mmio_reset_regs(s);
    if (s->bus.vdev) {
        virtio_reset(s->bus.vdev);
    }
    irq_lower(s->irq);
}

static void virtio_mmio_init(Object *obj)
{
    VirtioMmioState *s = VIRTIO_MMIO(obj);

    s->bus.ops = &virtio_mmio_bus_ops;
    s->bus.opaque = s;
    sysbus_init_irq(SYS_BUS_DEVICE(s), &s->irq);
}

static const Property virtio_mmio_props[] = {
    DEFINE_PROP_BOOL("ioeventfd", VirtioMmioState, ioeventfd, true),
    DEFINE_PROP_END_OF_LIST(),
};

static void virtio_mmio_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    VirtioTransportClass *tc = OBJECT_CLASS_CHECK(VirtioTransportClass, oc,
                                                  TYPE_VIRTIO_TRANSPORT);

    dc->desc = "virtio-mmio transport (version 2): a slot for one virtio device";
    dc->category = "virtio";
    dc->realize = virtio_mmio_realize;
    dc->unrealize = virtio_mmio_unrealize;
    dc->reset = virtio_mmio_reset;
    tc->get_bus = virtio_mmio_get_bus;
    device_class_set_props(dc, virtio_mmio_props);
    object_class_property_set_description(oc, "ioeventfd", "under KVM, queue notifies "
                                          "signal an eventfd in the kernel instead of "
                                          "exiting (default on)");
}

static const TypeInfo virtio_mmio_type = {
    .name = TYPE_VIRTIO_MMIO,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(VirtioMmioState),
    .instance_init = virtio_mmio_init,
    .class_init = virtio_mmio_class_init,
    .interfaces = (const InterfaceInfo[]) { { TYPE_VIRTIO_TRANSPORT }, { NULL } },
};

static void virtio_mmio_register_types(void)
{
    type_register(&virtio_mmio_type);
}

PROTEUS_MODULE(virtio_mmio, virtio_mmio_register_types)
