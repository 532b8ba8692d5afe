/*
 * Debugging guest execution (accel/tcg/debug.c): breakpoints, watchpoints
 * and single-step, for the gdbstub and the monitor.
 *
 * Breakpoints and watchpoints are the machine's (every CPU, every guest
 * thread), on guest virtual addresses, as gdb expects when it sets one
 * for "all threads". Single-step is per CPU.
 *
 *  - A breakpoint never touches guest memory: the translator ends a TB
 *    before any breakpoint address, and the exec loop stops with
 *    EXCP_DEBUG when the next pc is one. Chaining, goto_ptr lookups and
 *    in-TB loops are off while any breakpoint exists, so the check cannot
 *    be jumped over.
 *  - A watchpoint puts its pages on the softmmu slow path (in user mode,
 *    the first watchpoint switches guest memory accesses to the softmmu
 *    model: a TLB over the guest's host mapping). An access that touches
 *    it runs to completion, and the CPU stops after that instruction,
 *    with the pc on the next one, as hardware watchpoints report.
 *  - Single-step runs exactly one guest instruction (translated alone,
 *    never cached), or delivers one exception or interrupt (system mode:
 *    the stop is then at the handler's first instruction), then stops.
 *    Interrupts are held off while stepping.
 *
 * cpu_exec() returns EXCP_DEBUG for a stop; cpu_debug_stop_info() says why.
 *
 * Changing breakpoints or watchpoints flushes every TB: call it with no
 * CPU running guest code (system: CPUs paused; user mode: from a vCPU
 * thread outside cpu_exec, inside start_exclusive). cpu_single_step from
 * the CPU's own thread, or while it is paused.
 */
#ifndef PROTEUS_DEBUG_H
#define PROTEUS_DEBUG_H

#include <stdbool.h>
#include <stdint.h>

#include "proteus/cpu.h"

/* Watchpoint kinds (gdb's Z2/Z3/Z4): bits, so ACCESS = READ | WRITE. */
#define WP_READ   1
#define WP_WRITE  2
#define WP_ACCESS (WP_READ | WP_WRITE)

typedef enum CPUDebugReason {
    DEBUG_STOP_NONE,            /* not stopped for the debugger */
    DEBUG_STOP_STEP,            /* a single step finished */
    DEBUG_STOP_BREAKPOINT,      /* the pc is a breakpoint's */
    DEBUG_STOP_WATCHPOINT,      /* an access hit a watchpoint */
} CPUDebugReason;

typedef struct CPUDebugStop {
    CPUDebugReason reason;
    uint64_t addr;              /* breakpoint: the pc; watchpoint: its start address */
    uint64_t len;               /* watchpoint: its length */
    int kind;                   /* watchpoint: WP_* as inserted */
} CPUDebugStop;

/* A breakpoint at pc (inserting one twice keeps one). */
void cpu_breakpoint_insert(uint64_t pc);
/* false: there was none at pc. */
bool cpu_breakpoint_remove(uint64_t pc);
void cpu_breakpoint_remove_all(void);
bool cpu_breakpoint_at(uint64_t pc);

/* A watchpoint on [addr, addr + len) for accesses of kind (WP_*); len >= 1. */
void cpu_watchpoint_insert(uint64_t addr, uint64_t len, int kind);
/* false: there was none with exactly these arguments. */
bool cpu_watchpoint_remove(uint64_t addr, uint64_t len, int kind);
void cpu_watchpoint_remove_all(void);

/* Single-step cpu from now on (until disabled): each cpu_exec() runs one
 * instruction and returns EXCP_DEBUG. */
void cpu_single_step(CPUState *cpu, bool enable);

/* Why the last cpu_exec() of cpu returned EXCP_DEBUG. */
void cpu_debug_stop_info(CPUState *cpu, CPUDebugStop *out);

/*
 * Reads or writes guest virtual memory as the debugger and plugins see it:
 * through cpu's MMU in system mode (writes reach ROM too), the guest's
 * mappings in user mode. false if any page is not mapped (nothing is
 * written then past the first unmapped page).
 */
bool cpu_memory_rw_debug(CPUState *cpu, uint64_t vaddr, void *buf, size_t len, bool write);
/* User mode's implementation of it (set by linux-user). */
extern bool (*cpu_user_memory_rw)(uint64_t vaddr, void *buf, size_t len, bool write);

/*
 * User mode: fills cpu's TLB for a guest access at addr, once watchpoints
 * moved guest memory onto the softmmu model. Installs the page (with
 * tlb_set_page_host) and returns true, or, when the guest may not make
 * the access: with probe, returns false; else raises the guest's fault
 * like a host fault on that access would (does not return). Set by
 * linux-user; NULL in system mode (the CPU class's tlb_fill serves).
 */
/*
 * User mode: the guest changed its mappings or their protections. While
 * watchpoints keep guest accesses on the TLB, every CPU's TLB forgets its
 * entries (with the other threads out of guest code). From a thread that
 * runs no guest code and holds no lock a vCPU may wait for.
 */
void cpu_user_mappings_changed(void);

extern bool (*cpu_user_tlb_fill)(CPUState *cpu, uint64_t addr, MMUAccessType type,
                                 unsigned mmu_idx, bool probe, uintptr_t retaddr);

#endif
