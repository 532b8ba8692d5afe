/*
 * The frontend interface of the translator, and the translator core's
 * services for frontends, helpers and the accelerator.
 *
 * A frontend (target/<arch>/translate.c) describes how to translate one
 * guest instruction into IR with a TranslatorOps record; translator_loop()
 * drives it over one translation block (TB), which ends at a branch (the
 * frontend sets is_jmp), at the end of the guest page, or after max_insns
 * instructions. The arch's DisasContext embeds a DisasContextBase first.
 *
 * A typical TB in IR:
 *     ld_i32 t0, env, $tb_exit_flag ; brcond_i32 ne t0, $0, L_exit   (added here)
 *     ---- pc0 ... ; insn_start and the ops of each instruction
 *     goto_tb $0 ; mov pc, $next ; exit_tb $(tb|0)                    (tb_stop)
 *     set_label L_exit ; exit_tb $(tb|2)                               (added here)
 */
#ifndef PROTEUS_TRANSLATOR_H
#define PROTEUS_TRANSLATOR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "accel/tcg/backend.h"
#include "proteus/cpu.h"
#include "proteus/ir.h"

/* The granule of "stop at a page end" and of code invalidation: the
 * smallest page of every guest we model. */
#define TB_PAGE_BITS 12
#define TB_PAGE_SIZE (1ull << TB_PAGE_BITS)
#define TB_PAGE_MASK (~(TB_PAGE_SIZE - 1))

/* Instructions per TB unless the frontend lowers it. */
#define TB_MAX_INSNS 512

typedef enum DisasJumpType {
    DISAS_NEXT,          /* keep going */
    DISAS_TOO_MANY,      /* stopped by the loop (limit, page end): continue at pc_next */
    DISAS_NORETURN,      /* the insn already left the TB (exit_tb, goto_ptr, raise) */
    DISAS_TARGET_0,      /* the architecture's own reasons from here on */
    DISAS_TARGET_1,
    DISAS_TARGET_2,
    DISAS_TARGET_3,
} DisasJumpType;

typedef struct DisasContextBase {
    TranslationBlock *tb;
    IRContext *ir;              /* where the ops go */
    uint64_t pc_first;          /* guest address of the first instruction */
    uint64_t pc_next;           /* of the next instruction to translate */
    DisasJumpType is_jmp;
    int num_insns;              /* translated so far, counting the current one */
    int max_insns;
    IRLabel top_label;          /* at the very start of the TB, before the exit check */
    bool can_loop;              /* in-TB loops allowed (not with a debugger's breakpoints) */
    void *plugin;               /* instrumentation in progress (plugins/core.h), or NULL */
} DisasContextBase;

typedef struct TranslatorOps {
    /* Sets up the arch context from tb->flags; may lower max_insns. */
    void (*init_disas_context)(DisasContextBase *db, CPUState *cpu);
    /* Ops at the start of the TB (after the exit check). May be NULL. */
    void (*tb_start)(DisasContextBase *db, CPUState *cpu);
    /* Emits ir_insn_start(pc_next, ...) with the words restore_state_to_opc
     * will get back. */
    void (*insn_start)(DisasContextBase *db, CPUState *cpu);
    /* Translates the instruction at pc_next, advancing pc_next past it; sets
     * is_jmp to end the TB. A fetch fault at pc_first: set the exception and
     * cpu_loop_exit() (the half-made TB is dropped); later in the TB: stop
     * before that instruction with is_jmp = DISAS_TOO_MANY. */
    void (*translate_insn)(DisasContextBase *db, CPUState *cpu);
    /* Ends the TB according to is_jmp (for DISAS_TOO_MANY: go to pc_next). */
    void (*tb_stop)(DisasContextBase *db, CPUState *cpu);
    /* -d in_asm: the guest instructions [pc_first, pc_next), one a line. */
    void (*disas_log)(const DisasContextBase *db, CPUState *cpu, FILE *out);
} TranslatorOps;

/*
 * Frontends: the bytes of the instruction being translated, once fetched
 * (plugins show them). Costs a test when no plugin is loaded.
 */
void plugin_gen_insn_bytes(DisasContextBase *db, const void *bytes, unsigned len);
static inline void translator_insn_bytes(DisasContextBase *db, const void *bytes, unsigned len)
{
    if (G_UNLIKELY(db->plugin)) {
        plugin_gen_insn_bytes(db, bytes, len);
    }
}

/* Translates one TB with ops; db is the arch's DisasContext's base. */
void translator_loop(CPUState *cpu, IRContext *ir, TranslationBlock *tb, int max_insns,
                     const TranslatorOps *ops, DisasContextBase *db);

/* Whether a direct jump to dest may use goto_tb (chaining): dest is on the
 * TB's first page, so a mapping change cannot make the chain stale. */
static inline bool translator_use_goto_tb(const DisasContextBase *db, uint64_t dest)
{
    return ((db->pc_first ^ dest) & TB_PAGE_MASK) == 0;
}

/*
 * A branch back to the TB's own first instruction can stay inside the TB:
 * the JIT keeps the loop's values in host registers across iterations, and
 * the exit check at the top still lets other threads stop it.
 */
static inline bool translator_can_loop(const DisasContextBase *db, uint64_t dest)
{
    return db->can_loop && dest == db->pc_first;
}
static inline void translator_gen_loop(DisasContextBase *db)
{
    ir_br(db->ir, db->top_label);
}
/* goto_tb slot, then (unchained) store dest through pc and exit to the loop. */
void translator_gen_goto_tb(DisasContextBase *db, unsigned slot, IRv64 pc, uint64_t dest);
/* An indirect jump: the pc global is already set; look the TB up from
 * generated code and jump there, or exit to the loop. */
void translator_gen_lookup_and_goto_ptr(DisasContextBase *db);

/* ---- the core's services ---- */

/*
 * Picks the backend and sets up the TB cache; call again to switch
 * backends (every TB is flushed). false with errp if the backend cannot
 * run on this host.
 */
bool tcg_exec_init(const IRBackend *backend, GError **errp);
const IRBackend *tcg_backend(void);
/* Validate every TB's IR (before and after the optimizer); on by default
 * in builds without NDEBUG. Off: the optimizer or the validator skipped. */
void tcg_set_validate(bool on);
void tcg_set_optimize(bool on);
/* At most this many TBs between flushes (0: the default, 1 << 20). */
void tcg_set_max_tbs(unsigned n);

/*
 * Invalidates every TB holding guest bytes in [addr, addr + len): unchained,
 * removed from all lookups, retranslated when next reached. Returns how many
 * were invalidated. A TB running on some thread finishes its current pass;
 * a store helper that changed code and must run the new code at once calls
 * cpu_loop_exit_restore() next (the store re-executes, which is why it
 * should only invalidate when the bytes actually changed).
 */
unsigned tb_invalidate_range(uint64_t addr, uint64_t len);
/* Cheap test for store helpers: is any TB translated from this page? */
bool tb_page_has_code(uint64_t addr);
/*
 * User mode: called (tb_lock held) when the first TB of the guest page at
 * page_addr (TB_PAGE_SIZE-aligned) is cached, so the caller can
 * write-protect the page and invalidate its TBs when the guest writes it.
 * Must not call back into the TB cache.
 */
extern void (*tb_page_code_added_hook)(uint64_t page_addr);
/*
 * User mode: whether guest code may be fetched from [addr, addr + len)
 * (mapped and executable). NULL: always. Frontends check it before they
 * read instruction bytes through ir_guest_base.
 */
extern bool (*translator_user_code_ok)(uint64_t addr, uint64_t len);
/* Drops every TB (from any thread but a vCPU's helpers). */
void tb_flush(CPUState *cpu);

/* The TB cached for (pc, flags), or NULL; for tests and debuggers. */
TranslationBlock *tb_lookup(uint64_t pc, uint32_t flags);

typedef struct TBStats {
    uint64_t tbs_translated;
    uint64_t insns_translated;
    uint64_t host_bytes;        /* code buffer bytes used by all TBs translated */
    uint64_t chains;            /* goto_tb slots patched to a TB */
    uint64_t unchains;          /* ... and reset by invalidation */
    uint64_t invalidations;     /* TBs invalidated */
    uint64_t flushes;
    uint64_t live_tbs;          /* in the cache now */
    CPUExecStats cpu;           /* summed over CPUs (those still alive) */
} TBStats;

void tb_stats_get(TBStats *out);
void tb_stats_reset(void);
/* -d tb_stats prints this at exit too. */
void tb_stats_print(FILE *out);

#endif
