/*
 * riscv-aclint: a RISC-V core-local interruptor in the SiFive CLINT layout,
 * which the ACLINT specification keeps as its MSWI and MTIMER devices
 * placed side by side: machine software interrupts and the machine timer.
 *
 * MMIO region 0 (RISCV_ACLINT_SIZE bytes):
 *   0x0000 + 4 * hart   msip: bit 0 drives the hart's MSIP, bits 31:1 read 0
 *   0x4000 + 8 * hart   mtimecmp: MTIP is high while mtime >= mtimecmp
 *   0xbff8              mtime: timebase-freq ticks per second of the
 *                       virtual clock; writable
 * 32-bit accesses everywhere, 64-bit ones to mtimecmp and mtime too.
 *
 * GPIO outputs "msip" and "mtip", num-harts lines each: line h goes to hart
 * h's MSIP / MTIP input.
 *
 * Left out: the ACLINT's SSWI (supervisor software interrupts) and split
 * MSWI/MTIMER placement; one device serves harts 0..num-harts-1.
 */
#include <inttypes.h>

#include "hw/intc/riscv-aclint.h"
#include "proteus/log.h"
#include "proteus/module.h"

/* Replaces the size bytes at byte offset shift of old by value. */
static uint64_t deposit_bytes(uint64_t old, unsigned shift, unsigned size, uint64_t value)
{
    uint64_t mask = size == 8 ? UINT64_MAX : ((1ull << (size * 8)) - 1) << (shift * 8);

    return (old & ~mask) | ((value << (shift * 8)) & mask);
}

static uint64_t extract_bytes(uint64_t reg, unsigned shift, unsigned size)
{
    uint64_t v = reg >> (shift * 8);

    return size == 8 ? v : v & ((1ull << (size * 8)) - 1);
}

/*
 * Raises MTIP if mtime has reached mtimecmp, else lowers it and arms the
 * hart's timer for the first virtual-clock ns at which it will. A compare
 * value too far ahead to reach (such as all ones, which firmware writes to
 * mean "never") leaves the timer off.
 */
static void riscv_aclint_update_timer(RiscvAclintState *s, unsigned hart)
{
    int64_t now = clock_get_ns(PROTEUS_CLOCK_VIRTUAL);
    uint64_t mtime = riscv_aclint_ns_to_ticks(s, now) + s->mtime_delta;
    uint64_t cmp = s->mtimecmp[hart];
    unsigned __int128 wait_ns;

    if (mtime >= cmp) {
        timer_del(s->timers[hart]);
        irq_raise(s->mtip_irqs[hart]);
        return;
    }
    irq_lower(s->mtip_irqs[hart]);
    wait_ns = ((unsigned __int128)(cmp - mtime) * NANOSECONDS_PER_SECOND +
               s->timebase_freq - 1) / s->timebase_freq;
    if (wait_ns > (unsigned __int128)(INT64_MAX - now)) {
        timer_del(s->timers[hart]);
        return;
    }
    timer_mod_ns(s->timers[hart], now + (int64_t)wait_ns);
}

static void riscv_aclint_update_all_timers(RiscvAclintState *s)
{
    for (unsigned h = 0; h < s->num_harts; h++) {
        riscv_aclint_update_timer(s, h);
    }
}

struct AclintTimerCtx {
    RiscvAclintState *s;
    unsigned hart;
};
typedef struct AclintTimerCtx AclintTimerCtx;

static void riscv_aclint_timer_fired(void *opaque)
{
    AclintTimerCtx *ctx = opaque;

    riscv_aclint_update_timer(ctx->s, ctx->hart);
}

static void riscv_aclint_set_msip(RiscvAclintState *s, unsigned hart, uint32_t value)
{
    s->msip[hart] = value & 1;
    irq_set(s->msip_irqs[hart], s->msip[hart]);
}

/* What an access at addr of size bytes reaches. */
typedef enum AclintReg {
    ACLINT_REG_NONE,
    ACLINT_REG_MSIP,
    ACLINT_REG_MTIMECMP,
    ACLINT_REG_MTIME,
} AclintReg;

static AclintReg riscv_aclint_decode(RiscvAclintState *s, hwaddr addr, unsigned size,
                                     unsigned *hart)
{
    if (addr & (size - 1)) {
        return ACLINT_REG_NONE;     /* the registers take aligned accesses only */
    }
    if (addr < RISCV_ACLINT_MTIMECMP_BASE) {
        *hart = addr / 4;
        return size == 4 && *hart < s->num_harts ? ACLINT_REG_MSIP : ACLINT_REG_NONE;
    }
    if (addr < RISCV_ACLINT_MTIME) {
        *hart = (addr - RISCV_ACLINT_MTIMECMP_BASE) / 8;
        return *hart < s->num_harts ? ACLINT_REG_MTIMECMP : ACLINT_REG_NONE;
    }
    return addr < RISCV_ACLINT_MTIME + 8 ? ACLINT_REG_MTIME : ACLINT_REG_NONE;
}

static uint64_t riscv_aclint_read(void *opaque, hwaddr addr, unsigned size)
{
    RiscvAclintState *s = opaque;
    unsigned hart;

    switch (riscv_aclint_decode(s, addr, size, &hart)) {
    case ACLINT_REG_MSIP:
        return s->msip[hart];
    case ACLINT_REG_MTIMECMP:
        return extract_bytes(s->mtimecmp[hart], addr & 7, size);
    case ACLINT_REG_MTIME:
        return extract_bytes(riscv_aclint_read_mtime(s), addr & 7, size);
    case ACLINT_REG_NONE:
        break;
    }
    log_mask(LOG_GUEST_ERROR, "riscv-aclint: bad %u-byte read at 0x%" PRIx64 "\n",
             size, addr);
    return 0;
}

static void riscv_aclint_write_mtime(RiscvAclintState *s, hwaddr addr, uint64_t value,
                                     unsigned size)
{
    uint64_t ticks = riscv_aclint_ns_to_ticks(s, clock_get_ns(PROTEUS_CLOCK_VIRTUAL));
    uint64_t mtime = deposit_bytes(ticks + s->mtime_delta, addr & 7, size, value);

    s->mtime_delta = mtime - ticks;
    riscv_aclint_update_all_timers(s);
}

static void riscv_aclint_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    RiscvAclintState *s = opaque;
    unsigned hart;

    switch (riscv_aclint_decode(s, addr, size, &hart)) {
    case ACLINT_REG_MSIP:
        riscv_aclint_set_msip(s, hart, value);
        return;
    case ACLINT_REG_MTIMECMP:
        s->mtimecmp[hart] = deposit_bytes(s->mtimecmp[hart], addr & 7, size, value);
        riscv_aclint_update_timer(s, hart);
        return;
    case ACLINT_REG_MTIME:
        riscv_aclint_write_mtime(s, addr, value, size);
        return;
    case ACLINT_REG_NONE:
        break;
    }
    log_mask(LOG_GUEST_ERROR, "riscv-aclint: bad %u-byte write of 0x%" PRIx64
             " at 0x%" PRIx64 "\n", size, value, addr);
}

static const MemoryRegionOps riscv_aclint_ops = {
    .read = riscv_aclint_read,
    .write = riscv_aclint_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 8 },
};

static bool riscv_aclint_realize(DeviceState *dev, GError **errp)
{
    RiscvAclintState *s = RISCV_ACLINT(dev);

    if (s->num_harts == 0 || s->num_harts > RISCV_ACLINT_MAX_HARTS) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "num-harts=%u is out of range (1 to %u)", s->num_harts,
                        RISCV_ACLINT_MAX_HARTS);
        return false;
    }
    if (s->timebase_freq == 0) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "timebase-freq must not be zero");
        return false;
    }
    s->mtimecmp = g_new0(uint64_t, s->num_harts);
    s->msip = g_new0(bool, s->num_harts);
    s->msip_irqs = g_new0(ProteusIrq, s->num_harts);
    s->mtip_irqs = g_new0(ProteusIrq, s->num_harts);
    s->timers = g_new0(Timer *, s->num_harts);
    s->timer_ctx = g_new0(AclintTimerCtx, s->num_harts);
    for (unsigned h = 0; h < s->num_harts; h++) {
        s->timer_ctx[h] = (AclintTimerCtx){ .s = s, .hart = h };
        s->timers[h] = timer_new_ns(PROTEUS_CLOCK_VIRTUAL, riscv_aclint_timer_fired,
                                    &s->timer_ctx[h]);
    }
    device_init_gpio_out_named(dev, s->msip_irqs, "msip", s->num_harts);
    device_init_gpio_out_named(dev, s->mtip_irqs, "mtip", s->num_harts);
    memory_region_init_io(&s->iomem, OBJECT(s), &riscv_aclint_ops, s, "riscv-aclint",
                          RISCV_ACLINT_SIZE);
    sysbus_init_mmio(SYS_BUS_DEVICE(s), &s->iomem);
    return true;
}

static void riscv_aclint_unrealize(DeviceState *dev)
{
    RiscvAclintState *s = RISCV_ACLINT(dev);

    for (unsigned h = 0; h < s->num_harts; h++) {
        timer_free(s->timers[h]);
    }
    g_clear_pointer(&s->timers, g_free);
    g_clear_pointer(&s->timer_ctx, g_free);
    g_clear_pointer(&s->msip_irqs, g_free);
    g_clear_pointer(&s->mtip_irqs, g_free);
    g_clear_pointer(&s->mtimecmp, g_free);
    g_clear_pointer(&s->msip, g_free);
    memory_region_destroy(&s->iomem);
}

/*
 * mtime restarts from 0 with the virtual clock as it is now; mtimecmp
 * resets to all ones, which keeps MTIP low until firmware programs it
 * (the ACLINT spec leaves the value unspecified).
 */
static void riscv_aclint_reset(DeviceState *dev)
{
    RiscvAclintState *s = RISCV_ACLINT(dev);

    s->mtime_delta = -riscv_aclint_ns_to_ticks(s, clock_get_ns(PROTEUS_CLOCK_VIRTUAL));
    for (unsigned h = 0; h < s->num_harts; h++) {
        s->mtimecmp[h] = UINT64_MAX;
        riscv_aclint_set_msip(s, h, 0);
        riscv_aclint_update_timer(s, h);
    }
}

static const Property riscv_aclint_props[] = {
    DEFINE_PROP_UINT32("num-harts", RiscvAclintState, num_harts, 1),
    DEFINE_PROP_UINT64("timebase-freq", RiscvAclintState, timebase_freq, 10000000),
    DEFINE_PROP_END_OF_LIST(),
};

static void riscv_aclint_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->desc = "RISC-V CLINT-compatible ACLINT (machine timer and software interrupts)";
    dc->category = "misc";
    dc->realize = riscv_aclint_realize;
    dc->unrealize = riscv_aclint_unrealize;
    dc->reset = riscv_aclint_reset;
    device_class_set_props(dc, riscv_aclint_props);
    object_class_property_set_description(oc, "num-harts", "harts served (0..N-1)");
    object_class_property_set_description(oc, "timebase-freq", "mtime ticks per second");
}

static const TypeInfo riscv_aclint_type = {
    .name = TYPE_RISCV_ACLINT,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(RiscvAclintState),
    .class_init = riscv_aclint_class_init,
};

static void riscv_aclint_register_types(void)
{
    type_register(&riscv_aclint_type);
}

PROTEUS_MODULE(intc_riscv_aclint, riscv_aclint_register_types)
