/*
 * The shared way unit tests build and run IR.
 *
 * A test describes a case: a callback that emits the IR of each TB, and
 * optionally how to chain the TBs, how to set up the CPU state and guest
 * memory for each input, and a C reference to check the result against.
 * irt_run() translates the case on every backend in ir_backends[], both
 * unoptimized and optimized (ir_optimize), validating the IR each time,
 * runs every configuration on every input and requires them all to agree
 * exactly: exit value, whether and where it raised, the CPU state and
 * guest memory.
 *
 * The CPU state (IRTestState) is what env points at: globals r0..r15
 * (i64) and w0..w7 (i32) alias its register arrays; host ld/st use its
 * scratch area. Guest memory is one page-aligned buffer at guest address
 * IRT_GUEST_ADDR (ir_guest_base is set so).
 */
#ifndef TESTS_UNIT_IR_HARNESS_H
#define TESTS_UNIT_IR_HARNESS_H

#include <stddef.h>

#include "accel/tcg/backend.h"

#define IRT_NREGS 16
#define IRT_NWREGS 8
#define IRT_SCRATCH_SIZE 4096
#define IRT_GUEST_ADDR 0x1000
#define IRT_GUEST_SIZE 0x4000
#define IRT_MAX_TBS 4
#define IRT_MAX_CONFIGS 8      /* backends x {unoptimized, optimized} */

typedef struct IRTestState {
    uint64_t r[IRT_NREGS];
    uint32_t w[IRT_NWREGS];
    /* Written by ir_unaligned_hook: the faulting access. */
    uint64_t fault_addr;
    uint64_t fault_mop;
    /* Free for helpers to record what they saw. */
    uint64_t seen[8];
    uint8_t scratch[IRT_SCRATCH_SIZE];
} IRTestState;

#define IRT_OFS_R(k) ((int32_t)(offsetof(IRTestState, r) + 8 * (k)))
#define IRT_OFS_W(k) ((int32_t)(offsetof(IRTestState, w) + 4 * (k)))
#define IRT_OFS_SCRATCH ((int32_t)offsetof(IRTestState, scratch))

typedef struct IRTestResult {
    uint64_t exit_value;     /* exits through a TB's slot read as irt_exit(k, slot) */
    bool raised;             /* left through ir_raise */
    bool insn_found;         /* find_insn's answer after a raise */
    int insn_tb;             /* the TB find_insn named (index), -1 if none */
    uint64_t insn_words[3];
    IRTestState state;
    uint8_t mem[IRT_GUEST_SIZE];
} IRTestResult;

typedef struct IRTestEnv IRTestEnv;

typedef struct IRTestCase {
    const char *name;        /* for messages */
    unsigned nb_tbs;         /* TBs to translate (0: one) */
    /* Emits the IR of TB tb_index (irt_tb_at(t, k) gives any TB's address). */
    void (*build)(IRTestEnv *t, unsigned tb_index, void *opaque);
    /* Chains the translated TBs (irt_chain), once per configuration. */
    void (*link)(IRTestEnv *t, void *opaque);
    unsigned nb_inputs;      /* runs of the same code (0: one) */
    /* Fills the start state and guest memory (both zeroed before). */
    void (*setup)(IRTestState *s, uint8_t *mem, unsigned input, void *opaque);
    /* Checks the reference configuration's result against C. */
    void (*check)(const IRTestResult *r, unsigned input, void *opaque);
    void *opaque;
    /* On a disagreement: print and return false instead of failing. */
    bool no_assert;
} IRTestCase;

struct IRTestEnv {
    IRContext *ctx;
    IRv64 env;
    IRv64 r[IRT_NREGS];
    IRv32 w[IRT_NWREGS];
    /* Everything below is the harness's own. */
    unsigned nb_configs;
    const IRBackend *config_backend[IRT_MAX_CONFIGS];
    bool config_optimized[IRT_MAX_CONFIGS];
    unsigned config;         /* the configuration being built or run */
    TranslationBlock tbs[IRT_MAX_CONFIGS][IRT_MAX_TBS];
    uint8_t *guest_mem;
    IRTestResult *results[2];
    IRTestState run_state;
};

IRTestEnv *irt_env_new(void);
void irt_env_free(IRTestEnv *t);

/* Runs the case on every configuration; true if they all agreed. */
bool irt_run(IRTestEnv *t, const IRTestCase *tc);
/* Runs tb on be inside an IRExecFrame: true with the exit value, or false
 * with the raising helper's return address after an ir_raise(). */
bool irt_exec_guarded(const IRBackend *be, void *env, const TranslationBlock *tb,
                      uint64_t *exit_value, uintptr_t *retaddr);

/* The TB k of the configuration being built or run. */
TranslationBlock *irt_tb_at(IRTestEnv *t, unsigned k);
/* The environment running now (for helpers such as ir_lookup_tb_code). */
IRTestEnv *irt_current(void);
/* Chains goto_tb slot of TB from to TB to (in a link callback), or back
 * to its exit. */
void irt_chain(IRTestEnv *t, unsigned from, unsigned slot, unsigned to);
void irt_unchain(IRTestEnv *t, unsigned from, unsigned slot);
/* The stable exit value results report for ir_exit_value(irt_tb_at(k), slot). */
uint64_t irt_exit(unsigned k, unsigned slot);
/* Emits exit_tb(ir_exit_value(TB tb_index, slot)). */
void irt_exit_slot(IRTestEnv *t, unsigned tb_index, unsigned slot);

/* A guest-memory pointer for guest address addr (in setup and check). */
static inline uint8_t *irt_mem(uint8_t *mem, uint64_t addr)
{
    g_assert(addr >= IRT_GUEST_ADDR && addr < IRT_GUEST_ADDR + IRT_GUEST_SIZE);
    return mem + (addr - IRT_GUEST_ADDR);
}

/* Prints the case's IR (unoptimized and optimized) to stderr. */
void irt_dump_case(IRTestEnv *t, const IRTestCase *tc);

#endif
