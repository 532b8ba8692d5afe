/*
 * The generic CPU: state every guest architecture shares, the hooks its
 * class provides, and the TCG exec loop that runs it.
 *
 * An architecture's CPU struct starts with a CPUState:
 *
 *     typedef struct RiscvCpu {
 *         CPUState parent;
 *         uint64_t x[32], pc;
 *         ...
 *     } RiscvCpu;
 *
 * and the CPUState pointer is also the "env" that generated code and
 * helpers receive, so IR globals are registered at offsetof(RiscvCpu, x[i])
 * and a helper casts its env argument back to RiscvCpu *. (When CPUs
 * become QOM devices, CPUState grows a DeviceState at its start; nothing
 * below changes.)
 *
 * Threads: each vCPU runs cpu_exec() on its own thread. cpu_exit() and
 * cpu_interrupt() may be called from any thread; everything else on a
 * CPUState belongs to the thread running it.
 */
#ifndef PROTEUS_CPU_H
#define PROTEUS_CPU_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "proteus/cputlb.h"
#include "proteus/ir.h"

typedef struct CPUState CPUState;
typedef struct CPUClass CPUClass;
typedef struct TranslationBlock TranslationBlock;
typedef struct CPUJumpCache CPUJumpCache;

/*
 * Exception numbers at or above EXCP_FIRST_INTERNAL are the exec loop's own:
 * cpu_exec() returns them to its caller instead of handing them to
 * do_interrupt. Below that, numbers are the architecture's.
 */
#define EXCP_NONE           (-1)
#define EXCP_FIRST_INTERNAL 0x10000
#define EXCP_INTERRUPT      0x10000   /* cpu_exit() asked for control back */
#define EXCP_HLT            0x10001   /* the CPU halted and has no work */
#define EXCP_DEBUG          0x10002   /* a breakpoint or single step for the debugger */
#define EXCP_YIELD          0x10003   /* the guest gave up its time slice */

/* interrupt_request bits; the architecture interprets them in exec_interrupt. */
#define CPU_INTERRUPT_HARD  (1u << 0)   /* an external interrupt line is raised */
#define CPU_INTERRUPT_EXITTB (1u << 1)  /* re-evaluate: TB flags (mode) changed */
#define CPU_INTERRUPT_TGT_0 (1u << 8)   /* first of the architecture's own bits */

struct CPUClass {
    const char *name;                 /* "riscv64", ... */

    /* Back to the power-on state (registers, pc, mode). */
    void (*reset)(CPUState *cpu);

    /* The pc and the TB flags (every state bit the translation depends on:
     * privilege, ISA mode, ...) of the next instruction. Runs on every TB
     * exit to the loop: keep it a few loads. */
    void (*get_tb_cpu_state)(CPUState *cpu, uint64_t *pc, uint32_t *flags);
    /* Rolls the state back to the guest instruction whose insn_start words
     * are given: at least the pc; whatever else the frontend put in words 1..2. */
    void (*restore_state_to_opc)(CPUState *cpu, const TranslationBlock *tb,
                                 const uint64_t *words);
    void (*set_pc)(CPUState *cpu, uint64_t pc);
    uint64_t (*get_pc)(CPUState *cpu);

    /* A pending interrupt_request: take it (redirect the pc, return true) or
     * leave it pending because it is masked (false). */
    bool (*exec_interrupt)(CPUState *cpu, uint32_t interrupt_request);
    /* Delivers cpu->exception_index to the guest (system mode): trap
     * registers, new pc and mode. The loop clears exception_index after. */
    void (*do_interrupt)(CPUState *cpu);

    /* Debugger and monitor: guest-physical address of a virtual one (-1 if
     * unmapped); one gdb register into buf / from mem, returning its size in
     * bytes (0: no such register). */
    uint64_t (*get_phys_page_debug)(CPUState *cpu, uint64_t vaddr);
    int (*gdb_read_register)(CPUState *cpu, GByteArray *buf, int reg);
    int (*gdb_write_register)(CPUState *cpu, const uint8_t *mem, int reg);
    int gdb_num_core_regs;
    /* The target description document annex ("target.xml", or a file it
     * includes) for gdb's qXfer:features:read; NULL: no such annex. The
     * text stays valid for the life of the process. */
    const char *(*gdb_get_xml)(CPUState *cpu, const char *annex);
    /* One instruction at pc (avail bytes there) as text into buf; returns
     * its length, 0 if avail is too short. For plugins and logs. */
    unsigned (*disas_insn)(uint64_t pc, const uint8_t *bytes, unsigned avail, char *buf,
                           size_t len);
    /* Registers, human-readable (-d cpu, "info registers"); flags reserved. */
    void (*dump_state)(CPUState *cpu, FILE *out, int flags);

    /* TCG: registers the frontend's IR globals in a new context. Called
     * once per translating thread, always in the same order, so the
     * handles a frontend keeps in static variables are the same in every
     * thread's context. */
    void (*init_ir_globals)(IRContext *ir);
    /* TCG: translates the block at tb->pc / tb->flags into ir, usually by
     * calling translator_loop() with the architecture's TranslatorOps. */
    void (*translate_code)(CPUState *cpu, IRContext *ir, TranslationBlock *tb,
                           int max_insns);

    /* Softmmu: a TLB miss. Either installs the page of addr for this
     * access with tlb_set_page (true), or, when the guest cannot make the
     * access: with probe, returns false; else raises the guest's fault
     * (cpu_loop_exit_restore(cpu, retaddr), or cpu_loop_exit with retaddr
     * 0) and does not return. */
    bool (*tlb_fill)(CPUState *cpu, uint64_t addr, unsigned size, MMUAccessType type,
                     unsigned mmu_idx, bool probe, uintptr_t retaddr);
    /* Softmmu: the bus refused an access to guest-physical paddr (virtual
     * addr): nothing is there, or the device said no. Raises the guest's
     * access fault (cpu_loop_exit_restore, does not return) or, to let the
     * access complete as read-as-zero / write-ignored, returns. May be NULL. */
    void (*do_transaction_failed)(CPUState *cpu, uint64_t addr, uint64_t paddr,
                                  unsigned size, MMUAccessType type, uintptr_t retaddr);
};

/* Counters one CPU keeps without locks; tb_stats_get() sums them. */
typedef struct CPUExecStats {
    uint64_t execs;         /* backend exec calls: round trips through the loop */
    uint64_t jc_hits;       /* next TB found in the jump cache */
    uint64_t hash_hits;     /* ... in the shared hash table */
    uint64_t misses;        /* ... nowhere: translated */
    uint64_t ptr_lookups;   /* goto_ptr lookups from generated code */
    uint64_t ptr_hits;      /* ... that stayed in generated code */
    uint64_t exceptions;    /* exceptions handled or returned */
    uint64_t interrupts;    /* interrupts taken by exec_interrupt */
} CPUExecStats;

struct CPUState {
    const CPUClass *cc;
    int cpu_index;

    /*
     * Nonzero: generated code leaves at the next TB entry (each TB checks
     * it first, so even a chained loop notices within one TB). Written by
     * any thread, read by generated code as an i32 at
     * offsetof(CPUState, tb_exit_flag) from env.
     */
    int32_t tb_exit_flag;
    int32_t exit_request;          /* cpu_exec() should return EXCP_INTERRUPT */
    uint32_t interrupt_request;    /* CPU_INTERRUPT_* bits, atomic */
    int32_t halted;                /* waiting for an interrupt */
    int exception_index;           /* pending exception or EXCP_NONE */
    /* User mode: every guest exception ends cpu_exec() with its number
     * (the syscall layer handles it); system mode: do_interrupt delivers it. */
    bool exit_on_exception;

    /* Owned by the exec loop. */
    CPUJumpCache *jmp_cache;
    bool running;                  /* inside cpu_exec(), see start_exclusive() */
    CPUExecStats stats;

    /* The debugger's state (accel/tcg/debug.c, proteus/debug.h); the
     * CPU's own thread, or anyone while it is stopped. */
    bool singlestep;               /* cpu_single_step() */
    bool watch_step;               /* a watchpoint hit: finish that instruction, then stop */
    bool step_done;                /* the stepped instruction ran: stop before the next */
    bool bp_skip;                  /* resuming: do not stop at bp_skip_pc again at once */
    uint64_t bp_skip_pc;
    int debug_reason;              /* CPUDebugReason of the last EXCP_DEBUG */
    int debug_kind;                /* ... the watchpoint's kind */
    uint64_t debug_addr, debug_len;

    /* Softmmu: read by generated code at offsetof(CPUState, tlb) from env;
     * cpu_state_init leaves it zeroed, so call tlb_flush before use. */
    CPUTLB tlb;
};

/* ---- life cycle ---- */

/* Initialises the generic part of a zeroed CPU and adds it to the CPU list. */
void cpu_state_init(CPUState *cpu, const CPUClass *cc);
/* Removes it from the list and frees what cpu_state_init allocated. */
void cpu_state_finalize(CPUState *cpu);
void cpu_reset(CPUState *cpu);

/* ---- the exec loop (accel/tcg/cpu-exec.c) ---- */

/*
 * Runs guest code until the caller is needed: returns EXCP_INTERRUPT
 * (cpu_exit), EXCP_HLT (halted with nothing pending), EXCP_DEBUG, or, with
 * exit_on_exception, the guest exception number (cpu->exception_index is
 * then cleared, the pc is the faulting instruction's). tcg_exec_init() must
 * have run.
 */
int cpu_exec(CPUState *cpu);

/* Any thread: make cpu_exec() return EXCP_INTERRUPT soon. */
void cpu_exit(CPUState *cpu);
/* Any thread: raise interrupt_request bits (wakes a halted CPU). */
void cpu_interrupt(CPUState *cpu, uint32_t mask);
/* Called by cpu_interrupt() after the bits are set, from the interrupting
 * thread: system/cpus.c wakes the CPU's thread if it sleeps while halted.
 * NULL (user mode, tests): nothing sleeps. */
extern void (*cpu_interrupt_wake_hook)(CPUState *cpu);
void cpu_reset_interrupt(CPUState *cpu, uint32_t mask);
/* Called by the softmmu slow path after an MMIO access, with the BQL
 * released, on the vCPU's thread: system/cpus.c sleeps there when the
 * guest is busy-waiting on a device (cpus_poll_idle). NULL: nothing. */
extern void (*cpu_mmio_done_hook)(CPUState *cpu);

/*
 * From a helper: leave generated code back to the exec loop. With
 * cpu->exception_index set, the loop then takes that exception; with
 * EXCP_NONE it just continues from the guest state.
 *  - cpu_loop_exit_restore: first roll the guest state back to the
 *    instruction that called the helper (retaddr = GETPC() in the helper);
 *  - cpu_loop_exit: the helper already left the state consistent.
 */
G_NORETURN void cpu_loop_exit_restore(CPUState *cpu, uintptr_t retaddr);
G_NORETURN void cpu_loop_exit(CPUState *cpu);
/* In a helper called from generated code: its return address. */
#define GETPC() ((uintptr_t)__builtin_return_address(0))

/*
 * Stops every other running vCPU at its next TB boundary and returns when
 * none runs guest code; cpu is the caller's own CPU, NULL from a non-vCPU
 * thread. Must not be called with the TB lock held.
 */
void start_exclusive(CPUState *cpu);
void end_exclusive(CPUState *cpu);
/* Whether this thread is inside an exclusive section. */
bool cpu_in_exclusive(void);

#endif
