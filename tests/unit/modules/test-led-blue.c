/*
 * A module whose type's parent ("test-led") lives in another module: the
 * loader must load that one first when the index is used.
 */
#include "proteus/device.h"

static void blue_class_init(ObjectClass *oc, void *data)
{
    DEVICE_CLASS(oc)->desc = "blue test LED";
}

static const TypeInfo blue_type = {
    .name = "test-led-blue",
    .parent = "test-led",
    .class_init = blue_class_init,
};

static void blue_register_types(void)
{
    type_register(&blue_type);
}

PROTEUS_MODULE(test_led_blue, blue_register_types)
