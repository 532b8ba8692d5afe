/*
 * goldfish-rtc: the real-time clock of Android's "goldfish" virtual
 * platform (google,goldfish-rtc): nanoseconds since the Unix epoch, taken
 * from the host's wall clock, and one alarm.
 *
 * MMIO region 0 (0x1000 bytes), 32-bit registers:
 *   0x00 TIME_LOW         read: time bits 31:0, latching bits 63:32 for
 *                         TIME_HIGH; write: sets the time to
 *                         TIME_HIGH:value (write TIME_HIGH first)
 *   0x04 TIME_HIGH        the latched / to-be-written bits 63:32
 *   0x08 ALARM_LOW        write: arms the alarm at ALARM_HIGH:value
 *   0x0c ALARM_HIGH
 *   0x10 IRQ_ENABLED      bit 0 lets the alarm interrupt reach the line
 *   0x14 CLEAR_ALARM      write: disarms the alarm
 *   0x18 ALARM_STATUS     1 while the alarm is armed
 *   0x1c CLEAR_INTERRUPT  write: acknowledges the alarm interrupt
 *
 * IRQ output 0 (the sys-bus-device line): high while an alarm interrupt is
 * pending and IRQ_ENABLED.
 *
 * Left out: nothing the Linux driver uses.
 */
#include <inttypes.h>

#include "proteus/device.h"
#include "proteus/log.h"
#include "proteus/module.h"
#include "proteus/timer.h"

#define TYPE_GOLDFISH_RTC "goldfish-rtc"
OBJECT_DECLARE_SIMPLE_TYPE(GoldfishRtcState, GOLDFISH_RTC)

#define GOLDFISH_RTC_SIZE 0x1000

enum {
    REG_TIME_LOW = 0x00,
    REG_TIME_HIGH = 0x04,
    REG_ALARM_LOW = 0x08,
    REG_ALARM_HIGH = 0x0c,
    REG_IRQ_ENABLED = 0x10,
    REG_CLEAR_ALARM = 0x14,
    REG_ALARM_STATUS = 0x18,
    REG_CLEAR_INTERRUPT = 0x1c,
};

struct GoldfishRtcState {
    SysBusDevice parent_obj;
    MemoryRegion iomem;
    ProteusIrq irq;
    Timer *alarm_timer;

    int64_t offset_ns;          /* guest time = host wall clock + offset_ns */
    uint64_t alarm_ns;          /* in guest time */
    uint32_t time_high;
    uint32_t alarm_high;
    bool irq_enabled;
    bool alarm_armed;
    bool irq_pending;
};

static uint64_t goldfish_rtc_now(GoldfishRtcState *s)
{
    return clock_get_ns(PROTEUS_CLOCK_HOST) + s->offset_ns;
}

static void goldfish_rtc_update_irq(GoldfishRtcState *s)
{
    irq_set(s->irq, s->irq_pending && s->irq_enabled);
}

/* (Re)computes when the alarm fires on the host clock, or fires it now. */
static void goldfish_rtc_schedule_alarm(GoldfishRtcState *s)
{
    if (!s->alarm_armed) {
        timer_del(s->alarm_timer);
        return;
    }
    timer_mod_ns(s->alarm_timer, (int64_t)(s->alarm_ns - s->offset_ns));
}

static void goldfish_rtc_alarm_fired(void *opaque)
{
    GoldfishRtcState *s = opaque;

    s->alarm_armed = false;
    s->irq_pending = true;
    goldfish_rtc_update_irq(s);
}

static uint64_t goldfish_rtc_read(void *opaque, hwaddr addr, unsigned size)
{
    GoldfishRtcState *s = opaque;
    uint64_t now;

    switch (addr) {
    case REG_TIME_LOW:
        now = goldfish_rtc_now(s);
        s->time_high = now >> 32;
        return (uint32_t)now;
    case REG_TIME_HIGH:
        return s->time_high;
    case REG_ALARM_LOW:
        return (uint32_t)s->alarm_ns;
    case REG_ALARM_HIGH:
        return s->alarm_ns >> 32;
    case REG_IRQ_ENABLED:
        return s->irq_enabled;
    case REG_ALARM_STATUS:
        return s->alarm_armed;
    default:
        log_mask(LOG_GUEST_ERROR, "goldfish-rtc: read of offset 0x%" PRIx64 "\n", addr);
        return 0;
    }
}

static void goldfish_rtc_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    GoldfishRtcState *s = opaque;

    switch (addr) {
    case REG_TIME_LOW:
        s->offset_ns = (int64_t)(((uint64_t)s->time_high << 32 | (uint32_t)value) -
                                 clock_get_ns(PROTEUS_CLOCK_HOST));
        goldfish_rtc_schedule_alarm(s);
        break;
    case REG_TIME_HIGH:
        s->time_high = value;
        break;
    case REG_ALARM_LOW:
        s->alarm_ns = (uint64_t)s->alarm_high << 32 | (uint32_t)value;
        s->alarm_armed = true;
        goldfish_rtc_schedule_alarm(s);
        break;
    case REG_ALARM_HIGH:
        s->alarm_high = value;
        break;
    case REG_IRQ_ENABLED:
        s->irq_enabled = value & 1;
        goldfish_rtc_update_irq(s);
        break;
    case REG_CLEAR_ALARM:
        s->alarm_armed = false;
        goldfish_rtc_schedule_alarm(s);
        break;
    case REG_CLEAR_INTERRUPT:
        s->irq_pending = false;
        goldfish_rtc_update_irq(s);
        break;
    default:
        log_mask(LOG_GUEST_ERROR, "goldfish-rtc: write of 0x%" PRIx64
                 " to offset 0x%" PRIx64 "\n", value, addr);
    }
}

static const MemoryRegionOps goldfish_rtc_ops = {
    .read = goldfish_rtc_read,
    .write = goldfish_rtc_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static bool goldfish_rtc_realize(DeviceState *dev, GError **errp)
{
    GoldfishRtcState *s = GOLDFISH_RTC(dev);

    memory_region_init_io(&s->iomem, OBJECT(s), &goldfish_rtc_ops, s, "goldfish-rtc",
                          GOLDFISH_RTC_SIZE);
    sysbus_init_mmio(SYS_BUS_DEVICE(s), &s->iomem);
    s->alarm_timer = timer_new_ns(PROTEUS_CLOCK_HOST, goldfish_rtc_alarm_fired, s);
    return true;
}

/* The sys-bus-device base has unmapped the region by the time this runs. */
static void goldfish_rtc_unrealize(DeviceState *dev)
{
    GoldfishRtcState *s = GOLDFISH_RTC(dev);

    g_clear_pointer(&s->alarm_timer, timer_free);
    memory_region_destroy(&s->iomem);
}

/* The clock keeps the host's time across resets; the alarm is off. */
static void goldfish_rtc_reset(DeviceState *dev)
{
    GoldfishRtcState *s = GOLDFISH_RTC(dev);

    s->alarm_armed = false;
    s->irq_enabled = false;
    s->irq_pending = false;
    goldfish_rtc_schedule_alarm(s);
    goldfish_rtc_update_irq(s);
}

static void goldfish_rtc_init(Object *obj)
{
    GoldfishRtcState *s = GOLDFISH_RTC(obj);

    sysbus_init_irq(SYS_BUS_DEVICE(s), &s->irq);
}

static void goldfish_rtc_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->desc = "Goldfish real-time clock (host wall-clock time, one alarm)";
    dc->category = "misc";
    dc->realize = goldfish_rtc_realize;
    dc->unrealize = goldfish_rtc_unrealize;
    dc->reset = goldfish_rtc_reset;
}

static const TypeInfo goldfish_rtc_type = {
    .name = TYPE_GOLDFISH_RTC,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(GoldfishRtcState),
    .instance_init = goldfish_rtc_init,
    .class_init = goldfish_rtc_class_init,
};

static void goldfish_rtc_register_types(void)
{
    type_register(&goldfish_rtc_type);
}

PROTEUS_MODULE(rtc_goldfish_rtc, goldfish_rtc_register_types)
