/*
 * sifive-plic: the RISC-V Platform-Level Interrupt Controller as the SiFive
 * PLIC specification (and the riscv,plic0 binding) lay it out. Sources
 * 1..num-sources-1 (0 means "no interrupt"), each with a priority; targets
 * are contexts (on a board, two per hart: M then S), each with an enable
 * bit per source, a priority threshold and a claim/complete register.
 *
 * MMIO region 0 (0x200000 + 0x1000 * num-contexts bytes), 32-bit accesses:
 *   0x000000 + 4 * src        priority (0 = never interrupts)
 *   0x001000 + 4 * (src/32)   pending bits (read-only)
 *   0x002000 + 0x80 * ctx     enable bits, 32 sources a word
 *   0x200000 + 0x1000 * ctx   threshold: only priorities above it interrupt
 *   0x200004 + 0x1000 * ctx   read: claim the best pending source (0: none);
 *                             write: complete that source
 *
 * GPIO inputs (unnamed): num-sources lines, level-sensitive; line 0 is
 * unused. Each source's gateway forwards one request per claim: a source
 * stays out of "pending" from its claim until its completion.
 * GPIO outputs (unnamed): num-contexts lines, high while the context has an
 * enabled pending source whose priority is above its threshold.
 *
 * Left out: edge-triggered sources.
 */
#include <inttypes.h>
#include <string.h>

#include "proteus/device.h"
#include "proteus/log.h"
#include "proteus/module.h"

#define TYPE_SIFIVE_PLIC "sifive-plic"
OBJECT_DECLARE_SIMPLE_TYPE(SifivePlicState, SIFIVE_PLIC)

#define PLIC_PRIORITY_BASE   0x000000
#define PLIC_PENDING_BASE    0x001000
#define PLIC_ENABLE_BASE     0x002000
#define PLIC_ENABLE_STRIDE   0x80
#define PLIC_CONTEXT_BASE    0x200000
#define PLIC_CONTEXT_STRIDE  0x1000
#define PLIC_THRESHOLD       0x0
#define PLIC_CLAIM           0x4

/* The spec's limits: 1024 sources (32 enable words), 15872 contexts. */
#define PLIC_MAX_SOURCES     1024
#define PLIC_MAX_CONTEXTS    15872

struct SifivePlicState {
    SysBusDevice parent_obj;
    MemoryRegion iomem;

    /* properties */
    uint32_t num_sources;       /* including source 0 */
    uint32_t num_contexts;
    uint32_t priority_bits;     /* priorities and thresholds are this wide */

    unsigned num_words;         /* 32-bit words of per-source bits */
    uint32_t *priority;         /* per source */
    uint32_t *level;            /* input levels, bitmap */
    uint32_t *pending;          /* bitmap */
    uint32_t *claimed;          /* bitmap: claimed, not yet completed */
    uint32_t *enable;           /* num_contexts * num_words */
    uint32_t *threshold;        /* per context */
    ProteusIrq *outputs;        /* per context */
};

static bool bit_get(const uint32_t *map, unsigned n)
{
    return (map[n / 32] >> (n % 32)) & 1;
}

static void bit_set(uint32_t *map, unsigned n, bool value)
{
    if (value) {
        map[n / 32] |= 1u << (n % 32);
    } else {
        map[n / 32] &= ~(1u << (n % 32));
    }
}

static uint32_t plic_priority_mask(SifivePlicState *s)
{
    return (1u << s->priority_bits) - 1;
}

/*
 * The source a claim by ctx would return: the highest priority among the
 * enabled pending sources above the threshold, the lowest ID on a tie;
 * 0 if there is none.
 */
static unsigned plic_best_source(SifivePlicState *s, unsigned ctx)
{
    const uint32_t *enable = &s->enable[ctx * s->num_words];
    unsigned best = 0;
    uint32_t best_priority = s->threshold[ctx];

    for (unsigned w = 0; w < s->num_words; w++) {
        uint32_t candidates = s->pending[w] & enable[w];

        while (candidates) {
            unsigned src = w * 32 + __builtin_ctz(candidates);

            candidates &= candidates - 1;
            if (s->priority[src] > best_priority) {
                best = src;
                best_priority = s->priority[src];
            }
        }
    }
    return best;
}

static void plic_update_outputs(SifivePlicState *s)
{
    for (unsigned ctx = 0; ctx < s->num_contexts; ctx++) {
        irq_set(s->outputs[ctx], plic_best_source(s, ctx) != 0);
    }
}

/* The gateway: a level-high source not in service is pending. */
static void plic_update_pending(SifivePlicState *s, unsigned src)
{
    bit_set(s->pending, src, bit_get(s->level, src) && !bit_get(s->claimed, src));
}

static void plic_set_input(void *opaque, int src, int level)
{
    SifivePlicState *s = opaque;

    if (src <= 0 || src >= (int)s->num_sources) {
        return;
    }
    bit_set(s->level, src, level);
    plic_update_pending(s, src);
    plic_update_outputs(s);
}

static uint32_t plic_claim(SifivePlicState *s, unsigned ctx)
{
    unsigned src = plic_best_source(s, ctx);

    if (src) {
        bit_set(s->claimed, src, true);
        plic_update_pending(s, src);
        plic_update_outputs(s);
    }
    return src;
}

/* A completion for a source the context does not enable is ignored (spec §9). */
static void plic_complete(SifivePlicState *s, unsigned ctx, uint32_t src)
{
    if (src == 0 || src >= s->num_sources ||
        !bit_get(&s->enable[ctx * s->num_words], src)) {
        log_mask(LOG_GUEST_ERROR, "sifive-plic: context %u completes source %u, "
                 "which it does not enable\n", ctx, src);
        return;
    }
    bit_set(s->claimed, src, false);
    plic_update_pending(s, src);
    plic_update_outputs(s);
}

/* Decodes a context register: false if addr is outside the contexts. */
static bool plic_context_reg(SifivePlicState *s, hwaddr addr, unsigned *ctx,
                             unsigned *reg)
{
    if (addr < PLIC_CONTEXT_BASE) {
        return false;
    }
    *ctx = (addr - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE;
    *reg = (addr - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE;
    return *ctx < s->num_contexts;
}

/* Decodes an enable word: false if addr is outside the enable block. */
static bool plic_enable_word(SifivePlicState *s, hwaddr addr, unsigned *ctx,
                             unsigned *word)
{
    if (addr < PLIC_ENABLE_BASE || addr >= PLIC_CONTEXT_BASE) {
        return false;
    }
    *ctx = (addr - PLIC_ENABLE_BASE) / PLIC_ENABLE_STRIDE;
    *word = (addr - PLIC_ENABLE_BASE) % PLIC_ENABLE_STRIDE / 4;
    return *ctx < s->num_contexts && *word < s->num_words;
}

static uint64_t plic_read(void *opaque, hwaddr addr, unsigned size)
{
    SifivePlicState *s = opaque;
    unsigned ctx, idx;

    if (addr < PLIC_PENDING_BASE) {
        if (addr / 4 < s->num_sources) {
            return s->priority[addr / 4];
        }
    } else if (addr < PLIC_ENABLE_BASE) {
        idx = (addr - PLIC_PENDING_BASE) / 4;
        if (idx < s->num_words) {
            return s->pending[idx];
        }
    } else if (plic_enable_word(s, addr, &ctx, &idx)) {
        return s->enable[ctx * s->num_words + idx];
    } else if (plic_context_reg(s, addr, &ctx, &idx)) {
        switch (idx) {
        case PLIC_THRESHOLD:
            return s->threshold[ctx];
        case PLIC_CLAIM:
            return plic_claim(s, ctx);
        }
    }
    log_mask(LOG_GUEST_ERROR, "sifive-plic: read of unknown register 0x%" PRIx64 "\n",
             addr);
    return 0;
}

static void plic_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    SifivePlicState *s = opaque;
    unsigned ctx, idx;

    if (addr < PLIC_PENDING_BASE) {
        if (addr / 4 < s->num_sources && addr >= 4) {
            s->priority[addr / 4] = value & plic_priority_mask(s);
            plic_update_outputs(s);
            return;
        }
    } else if (addr < PLIC_ENABLE_BASE) {
        log_mask(LOG_GUEST_ERROR, "sifive-plic: pending bits are read-only\n");
        return;
    } else if (plic_enable_word(s, addr, &ctx, &idx)) {
        /* Source 0 does not exist: its enable bit is hardwired to 0. */
        s->enable[ctx * s->num_words + idx] = idx == 0 ? value & ~1u : value;
        plic_update_outputs(s);
        return;
    } else if (plic_context_reg(s, addr, &ctx, &idx)) {
        switch (idx) {
        case PLIC_THRESHOLD:
            s->threshold[ctx] = value & plic_priority_mask(s);
            plic_update_outputs(s);
            return;
        case PLIC_CLAIM:
            plic_complete(s, ctx, value);
            return;
        }
    }
    log_mask(LOG_GUEST_ERROR, "sifive-plic: write of 0x%" PRIx64
             " to unknown register 0x%" PRIx64 "\n", value, addr);
}

static const MemoryRegionOps plic_ops = {
    .read = plic_read,
    .write = plic_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static bool plic_realize(DeviceState *dev, GError **errp)
{
    SifivePlicState *s = SIFIVE_PLIC(dev);

    if (s->num_sources < 2 || s->num_sources > PLIC_MAX_SOURCES) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "num-sources=%u is out of range (2 to %u)", s->num_sources,
                        PLIC_MAX_SOURCES);
        return false;
    }
    if (s->num_contexts == 0 || s->num_contexts > PLIC_MAX_CONTEXTS) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "num-contexts=%u is out of range (1 to %u)", s->num_contexts,
                        PLIC_MAX_CONTEXTS);
        return false;
    }
    if (s->priority_bits == 0 || s->priority_bits > 31) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "priority-bits=%u is out of range (1 to 31)", s->priority_bits);
        return false;
    }
    s->num_words = (s->num_sources + 31) / 32;
    s->priority = g_new0(uint32_t, s->num_sources);
    s->level = g_new0(uint32_t, s->num_words);
    s->pending = g_new0(uint32_t, s->num_words);
    s->claimed = g_new0(uint32_t, s->num_words);
    s->enable = g_new0(uint32_t, s->num_words * s->num_contexts);
    s->threshold = g_new0(uint32_t, s->num_contexts);
    s->outputs = g_new0(ProteusIrq, s->num_contexts);
    device_init_gpio_in(dev, plic_set_input, s->num_sources);
    device_init_gpio_out(dev, s->outputs, s->num_contexts);
    memory_region_init_io(&s->iomem, OBJECT(s), &plic_ops, s, "sifive-plic",
                          PLIC_CONTEXT_BASE + (uint64_t)PLIC_CONTEXT_STRIDE * s->num_contexts);
    sysbus_init_mmio(SYS_BUS_DEVICE(s), &s->iomem);
    return true;
}

static void plic_unrealize(DeviceState *dev)
{
    SifivePlicState *s = SIFIVE_PLIC(dev);

    g_clear_pointer(&s->priority, g_free);
    g_clear_pointer(&s->level, g_free);
    g_clear_pointer(&s->pending, g_free);
    g_clear_pointer(&s->claimed, g_free);
    g_clear_pointer(&s->enable, g_free);
    g_clear_pointer(&s->threshold, g_free);
    g_clear_pointer(&s->outputs, g_free);
    memory_region_destroy(&s->iomem);
}

/* Everything 0 (the spec leaves reset values to the platform); input
 * levels are the wires' and stay. */
static void plic_reset(DeviceState *dev)
{
    SifivePlicState *s = SIFIVE_PLIC(dev);

    memset(s->priority, 0, s->num_sources * sizeof(uint32_t));
    memset(s->claimed, 0, s->num_words * sizeof(uint32_t));
    memset(s->enable, 0, s->num_words * s->num_contexts * sizeof(uint32_t));
    memset(s->threshold, 0, s->num_contexts * sizeof(uint32_t));
    for (unsigned src = 1; src < s->num_sources; src++) {
        plic_update_pending(s, src);
    }
    plic_update_outputs(s);
}

static const Property plic_props[] = {
    DEFINE_PROP_UINT32("num-sources", SifivePlicState, num_sources, 96),
    DEFINE_PROP_UINT32("num-contexts", SifivePlicState, num_contexts, 2),
    DEFINE_PROP_UINT32("priority-bits", SifivePlicState, priority_bits, 3),
    DEFINE_PROP_END_OF_LIST(),
};

static void plic_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->desc = "SiFive platform-level interrupt controller (PLIC)";
    dc->category = "misc";
    dc->realize = plic_realize;
    dc->unrealize = plic_unrealize;
    dc->reset = plic_reset;
    device_class_set_props(dc, plic_props);
    object_class_property_set_description(oc, "num-sources",
        "interrupt sources including the unused source 0");
    object_class_property_set_description(oc, "num-contexts",
        "targets (a board gives each hart two: M-mode, then S-mode)");
    object_class_property_set_description(oc, "priority-bits",
        "width of the priority and threshold registers");
}

static const TypeInfo plic_type = {
    .name = TYPE_SIFIVE_PLIC,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(SifivePlicState),
    .class_init = plic_class_init,
};

static void plic_register_types(void)
{
    type_register(&plic_type);
}

PROTEUS_MODULE(intc_sifive_plic, plic_register_types)
