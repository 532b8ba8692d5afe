/*
 * The CLINT-compatible ACLINT (hw/intc/riscv-aclint.c): its state, shared
 * with boards because the harts' time CSR reads mtime directly, without a
 * bus access (riscv_aclint_read_mtime is what a board hands to
 * riscv_cpu_set_rdtime).
 */
#ifndef HW_INTC_RISCV_ACLINT_H
#define HW_INTC_RISCV_ACLINT_H

#include "proteus/device.h"
#include "proteus/timer.h"

#define TYPE_RISCV_ACLINT "riscv-aclint"
OBJECT_DECLARE_SIMPLE_TYPE(RiscvAclintState, RISCV_ACLINT)

/* The most harts one CLINT serves: 4095 msip words fit below mtimecmp. */
#define RISCV_ACLINT_MAX_HARTS 4095

/* The CLINT's register layout (SiFive, kept by the ACLINT's MSWI and MTIMER). */
#define RISCV_ACLINT_MSIP_BASE      0x0000
#define RISCV_ACLINT_MTIMECMP_BASE  0x4000
#define RISCV_ACLINT_MTIME          0xbff8
#define RISCV_ACLINT_SIZE           0x10000

struct RiscvAclintState {
    SysBusDevice parent_obj;
    MemoryRegion iomem;

    /* properties */
    uint32_t num_harts;
    uint64_t timebase_freq;     /* mtime ticks per second */

    /* mtime = the virtual clock in ticks + mtime_delta (a guest write moves it) */
    uint64_t mtime_delta;
    uint64_t *mtimecmp;         /* num_harts entries */
    bool *msip;
    Timer **timers;             /* per hart: fires when mtime reaches mtimecmp */
    struct AclintTimerCtx *timer_ctx;   /* the timers' opaque, per hart */
    ProteusIrq *msip_irqs;      /* outputs "msip" and "mtip", one per hart */
    ProteusIrq *mtip_irqs;
};

/* Virtual-clock ns to timebase ticks, exact for any clock value. */
static inline uint64_t riscv_aclint_ns_to_ticks(const RiscvAclintState *s, int64_t ns)
{
    return (uint64_t)((unsigned __int128)ns * s->timebase_freq / NANOSECONDS_PER_SECOND);
}

/* mtime now; opaque is the RiscvAclintState (the rdtime hook's signature). */
static inline uint64_t riscv_aclint_read_mtime(void *opaque)
{
    const RiscvAclintState *s = opaque;

    return riscv_aclint_ns_to_ticks(s, clock_get_ns(PROTEUS_CLOCK_VIRTUAL)) +
           s->mtime_delta;
}

#endif
