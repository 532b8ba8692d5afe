/*
 * A tiny device module for the module-loading tests: "test-led", a
 * sys-bus-device with one 4-byte register that remembers what is written.
 * Built three ways: as a good module, with a foreign ABI version, and as a
 * child type in a second module whose parent lives in this one.
 */
#include "proteus/device.h"

#define TYPE_TEST_LED "test-led"

typedef struct TestLed {
    SysBusDevice parent_obj;
    MemoryRegion mmio;
    uint32_t value;
    uint32_t initial;
} TestLed;

static uint64_t test_led_read(void *opaque, hwaddr addr, unsigned size)
{
    return ((TestLed *)opaque)->value;
}

static void test_led_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    ((TestLed *)opaque)->value = value;
}

static const MemoryRegionOps test_led_ops = {
    .read = test_led_read,
    .write = test_led_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
};

static void test_led_init(Object *obj)
{
    TestLed *s = (TestLed *)obj;

    memory_region_init_io(&s->mmio, obj, &test_led_ops, s, "test-led", 4);
    sysbus_init_mmio(SYS_BUS_DEVICE(obj), &s->mmio);
}

static void test_led_reset(DeviceState *dev)
{
    TestLed *s = (TestLed *)dev;

    s->value = s->initial;
}

static const Property test_led_props[] = {
    DEFINE_PROP_UINT32("initial", TestLed, initial, 7),
    DEFINE_PROP_END_OF_LIST(),
};

static void test_led_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->desc = "test LED register";
    dc->category = "misc";
    dc->reset = test_led_reset;
    device_class_set_props(dc, test_led_props);
}

static const TypeInfo test_led_type = {
    .name = TYPE_TEST_LED,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(TestLed),
    .instance_init = test_led_init,
    .class_init = test_led_class_init,
};

static void test_led_register_types(void)
{
    type_register(&test_led_type);
}

PROTEUS_MODULE(test_led, test_led_register_types)
