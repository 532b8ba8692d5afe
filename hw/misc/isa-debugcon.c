/*
 * isa-debugcon: the Bochs/QEMU debug console port. Every byte written to
 * it goes to a chardev; reads return 0xe9, which is how firmware detects
 * the port (SeaBIOS, OVMF). -debugcon SPEC creates one on port 0x402,
 * where SeaBIOS and OVMF write their logs by default.
 *
 * Properties: chardev, iobase (default 0x402).
 */
#include "proteus/chardev.h"
#include "proteus/device.h"
#include "proteus/module.h"

#define TYPE_ISA_DEBUGCON "isa-debugcon"
OBJECT_DECLARE_SIMPLE_TYPE(IsaDebugconState, ISA_DEBUGCON)

#define ISA_DEBUGCON_READBACK 0xe9

struct IsaDebugconState {
    DeviceState parent_obj;
    MemoryRegion io;
    CharFrontend chr;
    uint32_t iobase;
};

static uint64_t isa_debugcon_read(void *opaque, hwaddr addr, unsigned size)
{
    return ISA_DEBUGCON_READBACK;
}

static void isa_debugcon_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    IsaDebugconState *s = opaque;
    uint8_t byte = value;

    if (s->chr.chr) {
        chr_fe_write_all(&s->chr, &byte, 1);
    }
}

static const MemoryRegionOps isa_debugcon_ops = {
    .read = isa_debugcon_read,
    .write = isa_debugcon_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 1 },
};

static bool isa_debugcon_realize(DeviceState *dev, GError **errp)
{
    IsaDebugconState *s = ISA_DEBUGCON(dev);

    if (s->iobase >= 0x10000) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "iobase=0x%x: past the I/O space",
                        s->iobase);
        return false;
    }
    memory_region_init_io(&s->io, OBJECT(s), &isa_debugcon_ops, s, "isa-debugcon", 1);
    memory_region_add_subregion(get_system_io(), s->iobase, &s->io);
    return true;
}

static void isa_debugcon_unrealize(DeviceState *dev)
{
    IsaDebugconState *s = ISA_DEBUGCON(dev);

    memory_region_del_subregion(get_system_io(), &s->io);
    memory_region_destroy(&s->io);
}

static const Property isa_debugcon_props[] = {
    DEFINE_PROP_CHR("chardev", IsaDebugconState, chr),
    DEFINE_PROP_UINT32("iobase", IsaDebugconState, iobase, 0x402),
    DEFINE_PROP_END_OF_LIST(),
};

static void isa_debugcon_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->desc = "debug console I/O port (firmware logs) on a chardev";
    dc->category = "char";
    dc->realize = isa_debugcon_realize;
    dc->unrealize = isa_debugcon_unrealize;
    device_class_set_props(dc, isa_debugcon_props);
    object_class_property_set_description(oc, "iobase", "the I/O port");
}

static const TypeInfo isa_debugcon_type = {
    .name = TYPE_ISA_DEBUGCON,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(IsaDebugconState),
    .class_init = isa_debugcon_class_init,
};

static void isa_debugcon_register_types(void)
{
    type_register(&isa_debugcon_type);
}

PROTEUS_MODULE(misc_isa_debugcon, isa_debugcon_register_types)
