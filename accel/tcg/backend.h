/*
 * What the translator core needs from a host backend, and what generated
 * code needs from the runtime.
 *
 * A backend turns the (optimized, validated) IR of one translation block
 * into something it can run: host code for the x86-64 JIT, a compact
 * program for the interpreter. Both implement the same interface and must
 * give identical results: the interpreter is the reference the JIT is
 * tested against.
 */
#ifndef PROTEUS_ACCEL_TCG_BACKEND_H
#define PROTEUS_ACCEL_TCG_BACKEND_H

#include <setjmp.h>

#include "proteus/ir.h"

typedef struct TranslationBlock TranslationBlock;

struct TranslationBlock {
    /* Set by the translator core. */
    uint64_t pc;                  /* guest address of the first instruction */
    uint32_t flags;               /* CPU-mode bits the code was translated for */
    uint32_t size;                /* guest bytes covered */
    uint32_t icount;              /* guest instructions */

    /* Set by the backend's gen_code. */
    const void *host_code;        /* what exec runs (JIT: the entry point) */
    uint32_t host_size;           /* bytes of the code buffer used */
    uint32_t jmp_site[2];         /* backend-private: where goto_tb slot n is */
    uint32_t jmp_reset[2];        /* backend-private: slot n's unchained target */
    void *backend_data;           /* backend-private (e.g. the host pc map) */

    /* Chaining state, owned by the translator core. */
    TranslationBlock *jmp_dest[2];   /* where slot n jumps now (NULL: exits) */
};

/*
 * The helper ABI both backends use: every argument and the result are
 * 64-bit integers (an i32 argument arrives zero-extended; only the low 32
 * bits of an i32 result count), so a helper's C parameters and result must
 * be 32/64-bit integers or pointers, never bool, char or short.
 */
typedef struct IRBackend {
    const char *name;
    /* Once per process; false with errp set if the host cannot run it. */
    bool (*init)(GError **errp);
    /* Generates tb's code from ctx. Returns false when the code buffer is
     * full (the caller flushes and retries); never fails otherwise. */
    bool (*gen_code)(IRContext *ctx, TranslationBlock *tb);
    /* Makes goto_tb slot n of tb go straight to dest (NULL: back to the
     * exit_tb after it). Safe while other threads run tb. */
    void (*set_jump)(TranslationBlock *tb, unsigned slot, const TranslationBlock *dest);
    /* Runs tb on the CPU state env, following chained jumps and goto_ptr,
     * until an exit_tb; returns its value (see ir_exit_value). A helper that
     * raises leaves through ir_raise() instead. */
    uint64_t (*exec)(void *env, const TranslationBlock *tb);
    /* After an ir_raise() out of exec on this thread: the TB and the
     * insn_start words of the guest instruction that was running, found
     * from the raising helper's host return address (the JIT) or from the
     * interpreter's own state. false if it cannot tell. */
    bool (*find_insn)(uintptr_t retaddr, const TranslationBlock **tb, uint64_t words[3]);
    /* Forgets every TB's code (the cache is full or was flushed). */
    void (*flush)(void);
    /* Whether host address pc lies in generated code; lock-free, so a
     * signal handler may ask. NULL: the backend generates no host code
     * (a fault during its exec is a guest access). */
    bool (*in_code)(uintptr_t pc);
    /* In a child after fork(): make code generation private to this
     * process (the caller then flushes every TB). NULL: nothing to do. */
    bool (*after_fork)(GError **errp);
} IRBackend;

extern const IRBackend ir_backend_interp;
extern const IRBackend ir_backend_x86_64;
/* Every backend built for this host, the reference (interp) first; NULL-terminated. */
extern const IRBackend *const ir_backends[];

/* ---- the runtime generated code relies on ---- */

/* User mode: guest address + ir_guest_base = host address. */
extern uintptr_t ir_guest_base;

/*
 * How guest addresses become host ones; set before any code is generated
 * (backends read it at gen_code time). Softmmu: through the TLB in the
 * CPUState that env points to (proteus/cputlb.h), with these slow paths.
 * Their oi argument is MemOp | mmu_idx << 8; a load returns the value
 * zero-extended at the access size (MO_SIGN is the caller's business).
 * retaddr is the generated code's (find_insn); the _ra forms, for the JIT,
 * take it from their own return address.
 */
typedef enum IRMemModel {
    IR_MEM_USER,
    IR_MEM_SOFTMMU,
} IRMemModel;
extern IRMemModel ir_mem_model;

uint64_t ir_helper_ld_mmu(void *env, uint64_t addr, uint32_t oi, uintptr_t retaddr);
void ir_helper_st_mmu(void *env, uint64_t addr, uint64_t val, uint32_t oi, uintptr_t retaddr);
uint64_t ir_helper_ld_mmu_ra(void *env, uint64_t addr, uint32_t oi);
void ir_helper_st_mmu_ra(void *env, uint64_t addr, uint64_t val, uint32_t oi);
/* Softmmu atomics (always out of line): the value found in memory,
 * zero-extended at the access size. rmw's oi also has the IRAtomicOp at
 * bits 16... */
uint64_t ir_helper_cmpxchg_mmu(void *env, uint64_t addr, uint64_t expected,
                               uint64_t desired, uint32_t oi, uintptr_t retaddr);
uint64_t ir_helper_rmw_mmu(void *env, uint64_t addr, uint64_t val, uint32_t oi,
                           uintptr_t retaddr);
uint64_t ir_helper_cmpxchg_mmu_ra(void *env, uint64_t addr, uint64_t expected,
                                  uint64_t desired, uint32_t oi);
uint64_t ir_helper_rmw_mmu_ra(void *env, uint64_t addr, uint64_t val, uint32_t oi);

/*
 * goto_ptr's helper: given env, returns the host_code of the TB to run next,
 * or NULL to leave exec with exit value 0 ("look it up in the loop").
 * Installed by the translator core; the interpreter and the JIT call it
 * through ir_lookup_helper (an IRHelperInfo with one i64 argument, env).
 */
extern const IRHelperInfo ir_lookup_helper;
extern const void *(*ir_lookup_tb_code)(void *env);

/*
 * Leaving generated code from a helper: the caller of exec sets up an
 * IRExecFrame with sigsetjmp; ir_raise() jumps back to it, recording the
 * helper's return address so the guest state can be restored precisely
 * (find_insn). The frame is per thread.
 */
typedef struct IRExecFrame {
    sigjmp_buf jmp;
    uintptr_t retaddr;              /* host return address of the raising helper */
} IRExecFrame;

IRExecFrame *ir_exec_frame(void);
void ir_exec_frame_set(IRExecFrame *frame);
G_NORETURN void ir_raise(uintptr_t retaddr);

/* Raised by generated code for a MO_ALIGN access that is not aligned:
 * calls the hook (the frontend turns it into a guest exception), then
 * ir_raise(). */
extern void (*ir_unaligned_hook)(void *env, uint64_t addr, MemOp mop);
G_NORETURN void ir_helper_unaligned(void *env, uint64_t addr, uint32_t mop);
extern const IRHelperInfo ir_unaligned_helper;

/*
 * Atomics for the slow paths: a compare-and-swap of size bytes of raw host
 * memory (*expected gets the bytes found; misaligned addresses are
 * serialised under one process-wide lock, so they are atomic only against
 * each other), and the value an atomic_rmw stores (computed at the access
 * size; signed orders compare sign-extended values).
 */
bool ir_host_cas(void *p, unsigned size, uint64_t *expected, uint64_t desired);
uint64_t ir_atomic_apply(IRAtomicOp aop, uint64_t old, uint64_t v, unsigned size);

#endif
