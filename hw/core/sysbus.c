/*
 * Memory-mapped devices: MMIO regions the board (or -device ...,addr=)
 * maps into the system address space, and numbered IRQ outputs.
 */
#include "proteus/device.h"

void sysbus_init_mmio(SysBusDevice *dev, MemoryRegion *mr)
{
    int n = dev->num_mmio++;

    g_assert(n < SYSBUS_MAX_MMIO);
    dev->mmio[n].mr = mr;
    dev->mmio[n].addr = HWADDR_MAX;
}

MemoryRegion *sysbus_mmio_get_region(SysBusDevice *dev, int n)
{
    g_assert(n >= 0 && n < dev->num_mmio);
    return dev->mmio[n].mr;
}

void sysbus_mmio_map(SysBusDevice *dev, int n, hwaddr addr)
{
    g_assert(n >= 0 && n < dev->num_mmio);
    if (dev->mmio[n].addr == addr) {
        return;
    }
    if (dev->mmio[n].addr != HWADDR_MAX) {
        memory_region_del_subregion(get_system_memory(), dev->mmio[n].mr);
    }
    dev->mmio[n].addr = addr;
    memory_region_add_subregion(get_system_memory(), addr, dev->mmio[n].mr);
}

/* A user-placed device must not hide (or hide behind) anything already mapped. */
static bool sysbus_range_is_free(hwaddr addr, uint64_t size, GError **errp)
{
    uint64_t done = 0;

    while (done < size) {
        hwaddr xlat, len = size - done;
        MemoryRegion *mr = address_space_translate(address_space_memory(), addr + done,
                                                   &xlat, &len);

        if (mr) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "addr=0x%" G_GINT64_MODIFIER "x: overlaps '%s' at 0x%"
                            G_GINT64_MODIFIER "x", addr, memory_region_name(mr),
                            addr + done);
            return false;
        }
        if (len == 0) {
            break;
        }
        done += len;
    }
    return true;
}

bool sysbus_map_user_addr(SysBusDevice *dev, GError **errp)
{
    if (dev->user_addr == HWADDR_MAX) {
        return true;
    }
    if (dev->num_mmio == 0) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "addr=0x%" G_GINT64_MODIFIER "x given, but the device has no "
                        "MMIO region", dev->user_addr);
        return false;
    }
    if (dev->user_addr + memory_region_size(dev->mmio[0].mr) - 1 < dev->user_addr) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "addr=0x%" G_GINT64_MODIFIER "x: the device's registers would "
                        "wrap around the end of the address space", dev->user_addr);
        return false;
    }
    if (!sysbus_range_is_free(dev->user_addr, memory_region_size(dev->mmio[0].mr), errp)) {
        return false;
    }
    sysbus_mmio_map(dev, 0, dev->user_addr);
    return true;
}

void sysbus_init_irq(SysBusDevice *dev, ProteusIrq *p)
{
    device_init_gpio_out_named(DEVICE(dev), p, SYSBUS_IRQ_NAME, 1);
}

void sysbus_connect_irq(SysBusDevice *dev, int n, ProteusIrq irq)
{
    device_connect_gpio_out_named(DEVICE(dev), SYSBUS_IRQ_NAME, n, irq);
}

static void sysbus_unrealize_unmap(Object *obj)
{
    SysBusDevice *dev = SYS_BUS_DEVICE(obj);

    for (int i = 0; i < dev->num_mmio; i++) {
        if (dev->mmio[i].addr != HWADDR_MAX) {
            memory_region_del_subregion(get_system_memory(), dev->mmio[i].mr);
            dev->mmio[i].addr = HWADDR_MAX;
        }
    }
}

static const Property sysbus_props[] = {
    DEFINE_PROP_UINT64("addr", SysBusDevice, user_addr, HWADDR_MAX),
    DEFINE_PROP_END_OF_LIST(),
};

static void sysbus_class_init(ObjectClass *oc, void *data)
{
    ObjectProperty *addr;

    device_class_set_props(DEVICE_CLASS(oc), sysbus_props);
    object_class_property_set_description(oc, "addr",
        "guest-physical address of the first MMIO region (-device only)");
    /* HWADDR_MAX is the "not given" marker, not an address to show. */
    addr = object_class_property_find(oc, "addr");
    g_free(addr->default_value);
    addr->default_value = g_strdup("unmapped");
}

static const TypeInfo sysbus_type = {
    .name = TYPE_SYS_BUS_DEVICE,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(SysBusDevice),
    .instance_finalize = sysbus_unrealize_unmap,
    .abstract = true,
    .class_size = sizeof(SysBusDeviceClass),
    .class_init = sysbus_class_init,
};

static void sysbus_register_types(void)
{
    type_register(&sysbus_type);
}

type_init(sysbus_register_types)
