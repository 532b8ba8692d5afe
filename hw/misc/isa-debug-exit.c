/*
 * isa-debug-exit: an I/O port that ends the emulator, for test programs.
 * A write of value ends the process with status (value << 1) | 1, so a
 * guest can report success or a numbered failure and no status it chooses
 * can be taken for a clean exit (0). Reads return zero.
 *
 * Properties: iobase (default 0x501) and iosize (1, 2 or 4; default 2),
 * the ports it answers in the I/O space.
 */
#include "proteus/cpus.h"
#include "proteus/device.h"
#include "proteus/log.h"
#include "proteus/module.h"

#define TYPE_ISA_DEBUG_EXIT "isa-debug-exit"
OBJECT_DECLARE_SIMPLE_TYPE(IsaDebugExitState, ISA_DEBUG_EXIT)

struct IsaDebugExitState {
    DeviceState parent_obj;
    MemoryRegion io;
    uint32_t iobase;
    uint32_t iosize;
};

static uint64_t isa_debug_exit_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

static void isa_debug_exit_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    system_shutdown_request((int)((value << 1) | 1));
}

static const MemoryRegionOps isa_debug_exit_ops = {
    .read = isa_debug_exit_read,
    .write = isa_debug_exit_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
};

static bool isa_debug_exit_realize(DeviceState *dev, GError **errp)
{
    IsaDebugExitState *s = ISA_DEBUG_EXIT(dev);

    if (s->iosize != 1 && s->iosize != 2 && s->iosize != 4) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "iosize=%u: must be 1, 2 or 4",
                        s->iosize);
        return false;
    }
    if (s->iobase + s->iosize > 0x10000) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "iobase=0x%x: past the I/O space",
                        s->iobase);
        return false;
    }
    memory_region_init_io(&s->io, OBJECT(s), &isa_debug_exit_ops, s, "isa-debug-exit",
                          s->iosize);
    memory_region_add_subregion(get_system_io(), s->iobase, &s->io);
    return true;
}

static void isa_debug_exit_unrealize(DeviceState *dev)
{
    IsaDebugExitState *s = ISA_DEBUG_EXIT(dev);

    memory_region_del_subregion(get_system_io(), &s->io);
    memory_region_destroy(&s->io);
}

static const Property isa_debug_exit_props[] = {
    DEFINE_PROP_UINT32("iobase", IsaDebugExitState, iobase, 0x501),
    DEFINE_PROP_UINT32("iosize", IsaDebugExitState, iosize, 2),
    DEFINE_PROP_END_OF_LIST(),
};

static void isa_debug_exit_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->desc = "I/O port ending the emulator with status (value << 1) | 1 (tests)";
    dc->category = "misc";
    dc->realize = isa_debug_exit_realize;
    dc->unrealize = isa_debug_exit_unrealize;
    device_class_set_props(dc, isa_debug_exit_props);
    object_class_property_set_description(oc, "iobase", "first I/O port");
    object_class_property_set_description(oc, "iosize", "number of ports (1, 2 or 4)");
}

static const TypeInfo isa_debug_exit_type = {
    .name = TYPE_ISA_DEBUG_EXIT,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(IsaDebugExitState),
    .class_init = isa_debug_exit_class_init,
};

static void isa_debug_exit_register_types(void)
{
    type_register(&isa_debug_exit_type);
}

PROTEUS_MODULE(misc_isa_debug_exit, isa_debug_exit_register_types)
