/*
 * sifive-test: the SiFive test finisher, a register through which a guest
 * (firmware's poweroff/reboot, or a test program) ends the machine.
 *
 * MMIO region 0 (0x1000 bytes), one 32-bit register at offset 0 (write-only;
 * reads return 0). Bits 15:0 of a write are the command:
 *   0x5555  PASS: power off, the emulator exits with status 0
 *   0x3333  FAIL: the emulator exits with status bits 31:16
 *   0x7777  RESET: reset the machine
 * other commands are logged and ignored.
 *
 * No IRQ lines.
 */
#include <inttypes.h>

#include "proteus/cpus.h"
#include "proteus/device.h"
#include "proteus/log.h"
#include "proteus/module.h"

#define TYPE_SIFIVE_TEST "sifive-test"
OBJECT_DECLARE_SIMPLE_TYPE(SifiveTestState, SIFIVE_TEST)

#define SIFIVE_TEST_SIZE 0x1000

enum {
    SIFIVE_TEST_FAIL = 0x3333,
    SIFIVE_TEST_PASS = 0x5555,
    SIFIVE_TEST_RESET = 0x7777,
};

struct SifiveTestState {
    SysBusDevice parent_obj;
    MemoryRegion iomem;
};

static uint64_t sifive_test_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

static void sifive_test_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    if (addr != 0) {
        log_mask(LOG_GUEST_ERROR, "sifive-test: write to offset 0x%" PRIx64 " ignored\n",
                 addr);
        return;
    }
    switch (value & 0xffff) {
    case SIFIVE_TEST_PASS:
        system_shutdown_request(0);
        break;
    case SIFIVE_TEST_FAIL:
        system_shutdown_request((value >> 16) & 0xffff);
        break;
    case SIFIVE_TEST_RESET:
        system_reset_request();
        break;
    default:
        log_mask(LOG_GUEST_ERROR, "sifive-test: unknown command 0x%04x\n",
                 (unsigned)(value & 0xffff));
    }
}

static const MemoryRegionOps sifive_test_ops = {
    .read = sifive_test_read,
    .write = sifive_test_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static bool sifive_test_realize(DeviceState *dev, GError **errp)
{
    SifiveTestState *s = SIFIVE_TEST(dev);

    memory_region_init_io(&s->iomem, OBJECT(s), &sifive_test_ops, s, "sifive-test",
                          SIFIVE_TEST_SIZE);
    sysbus_init_mmio(SYS_BUS_DEVICE(s), &s->iomem);
    return true;
}

/* The sys-bus-device base has unmapped the region by the time this runs. */
static void sifive_test_unrealize(DeviceState *dev)
{
    memory_region_destroy(&SIFIVE_TEST(dev)->iomem);
}

static void sifive_test_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->desc = "SiFive test finisher (guest-requested poweroff, exit status, reset)";
    dc->category = "misc";
    dc->realize = sifive_test_realize;
    dc->unrealize = sifive_test_unrealize;
}

static const TypeInfo sifive_test_type = {
    .name = TYPE_SIFIVE_TEST,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(SifiveTestState),
    .class_init = sifive_test_class_init,
};

static void sifive_test_register_types(void)
{
    type_register(&sifive_test_type);
}

PROTEUS_MODULE(misc_sifive_test, sifive_test_register_types)
