/*
 * An out-of-tree device, built only from the installed headers and
 * proteus-device.pc, as a third party would build one:
 *
 *     cc -shared -fPIC $(pkg-config --cflags proteus-device) example-counter.c \
 *        -o example-counter.so
 *     proteus-system-riscv64 -device-plugin ./example-counter.so \
 *        -device example-counter,addr=0x20000000,step=5 ...
 *
 * MMIO: one 32-bit register at offset 0; each read returns the count so far
 * plus step, and a write sets the count. No IRQ lines.
 */
#include <proteus/device.h>

typedef struct ExampleCounter {
    SysBusDevice parent_obj;
    MemoryRegion mmio;
    uint32_t count;
    uint32_t step;
} ExampleCounter;

static uint64_t counter_read(void *opaque, hwaddr addr, unsigned size)
{
    ExampleCounter *s = opaque;

    s->count += s->step;
    return s->count;
}

static void counter_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    ExampleCounter *s = opaque;

    s->count = (uint32_t)value;
}

static const MemoryRegionOps counter_ops = {
    .read = counter_read,
    .write = counter_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
};

static void counter_init(Object *obj)
{
    ExampleCounter *s = (ExampleCounter *)obj;

    memory_region_init_io(&s->mmio, obj, &counter_ops, s, "example-counter", 4);
    sysbus_init_mmio(SYS_BUS_DEVICE(obj), &s->mmio);
}

static void counter_reset(DeviceState *dev)
{
    ((ExampleCounter *)dev)->count = 0;
}

static const Property counter_props[] = {
    DEFINE_PROP_UINT32("step", ExampleCounter, step, 1),
    DEFINE_PROP_END_OF_LIST(),
};

static void counter_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->desc = "example out-of-tree counter";
    dc->category = "misc";
    dc->reset = counter_reset;
    device_class_set_props(dc, counter_props);
    object_class_property_set_description(oc, "step", "added to the count on each read");
}

static const TypeInfo counter_type = {
    .name = "example-counter",
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(ExampleCounter),
    .instance_init = counter_init,
    .class_init = counter_class_init,
};

static void counter_register_types(void)
{
    type_register(&counter_type);
}

PROTEUS_MODULE(example_counter, counter_register_types)
