/*
 * What the translator core's three files share: the TB cache
 * (tb-cache.c), the translation pipeline (translate-all.c) and the exec
 * loop (cpu-exec.c). Not for frontends: they use proteus/translator.h.
 *
 * Locking: tb_lock (a GMutex) serialises writers of the TB table, and
 * guards the page index, the chaining lists and translation (the code
 * buffer is shared). Lookups in the TB table take no lock (tb-cache.c
 * says why that is safe); they run only in the exec loop, in a thread
 * that is not exclusive-paused, or in a thread that excludes flushes by
 * other means (a test's own threads, say). Each CPU's
 * jump cache is written without it by the CPU's own thread and cleared by
 * invalidation with compare-and-swap; a hit is only trusted after checking
 * the TB's pc, flags and valid bit. TB structs are freed only by a flush,
 * which runs while no other vCPU runs guest code (start_exclusive), so a
 * stale pointer is never a dangling one. Lock order: tb_lock, then the CPU
 * list lock.
 */
#ifndef PROTEUS_ACCEL_TCG_TB_INTERNAL_H
#define PROTEUS_ACCEL_TCG_TB_INTERNAL_H

#include "accel/tcg/backend.h"
#include "proteus/cpu.h"
#include "proteus/translator.h"

/* A TB as the core keeps it; the backend and frontends see only .tb. */
typedef struct CachedTB {
    TranslationBlock tb;           /* first: a TranslationBlock * is a CachedTB * */
    uint64_t first_insn[3];        /* insn_start words of the first instruction */
    int32_t invalid;               /* set once, atomically; never cleared */
    bool in_cache;                 /* inserted in the hash table and page index */
    /* Jumps into this TB: a list of (source TB | slot) through the
     * sources' jmp_in_next[slot]; 0 ends it. */
    uintptr_t jmp_in;
    uintptr_t jmp_in_next[2];
} CachedTB;

static inline CachedTB *cached_tb(const TranslationBlock *tb)
{
    return (CachedTB *)tb;
}

static inline bool tb_is_invalid(const TranslationBlock *tb)
{
    return __atomic_load_n(&cached_tb(tb)->invalid, __ATOMIC_ACQUIRE) != 0;
}

/* ---- the per-CPU jump cache: direct-mapped on pc ---- */

#define TB_JMP_CACHE_BITS 12
#define TB_JMP_CACHE_SIZE (1u << TB_JMP_CACHE_BITS)

struct CPUJumpCache {
    TranslationBlock *tb[TB_JMP_CACHE_SIZE];
};

static inline unsigned tb_jmp_cache_hash(uint64_t pc)
{
    /* Fibonacci hashing: instruction alignment (2, 4, 8 bytes) leaves the
     * low bits of pc constant, so take the product's high bits. */
    return (unsigned)((pc * 0x9e3779b97f4a7c15ull) >> (64 - TB_JMP_CACHE_BITS));
}

/* The valid TB for (pc, flags) in cpu's jump cache, or NULL. */
static inline TranslationBlock *tb_jmp_cache_get(CPUState *cpu, uint64_t pc, uint32_t flags)
{
    TranslationBlock *tb = __atomic_load_n(&cpu->jmp_cache->tb[tb_jmp_cache_hash(pc)],
                                           __ATOMIC_ACQUIRE);

    if (tb && tb->pc == pc && tb->flags == flags && !tb_is_invalid(tb)) {
        return tb;
    }
    return NULL;
}

static inline void tb_jmp_cache_set(CPUState *cpu, TranslationBlock *tb)
{
    __atomic_store_n(&cpu->jmp_cache->tb[tb_jmp_cache_hash(tb->pc)], tb, __ATOMIC_RELEASE);
}

/* ---- tb-cache.c ---- */

extern GMutex tb_lock;
extern const IRBackend *tcg_cur_backend;
/* Counts flushes; a change tells the exec loop its last TB is gone. */
extern unsigned tb_flush_generation;
/* Global counters, written under tb_lock. */
extern TBStats tb_global_stats;

void tb_cache_init(void);
/* tb_lookup() for a caller holding tb_lock (which the lookup needs not). */
TranslationBlock *tb_lookup_locked(uint64_t pc, uint32_t flags);
/* Slots in the TB table's current array (for tests and stats). */
size_t tb_htable_capacity_locked(void);
/* A fresh TB, not yet in any lookup structure. */
CachedTB *tb_alloc_locked(uint64_t pc, uint32_t flags);
/* Frees a TB that never made it into the cache. */
void tb_free_unused_locked(CachedTB *ctb);
/* Whether the next allocation should flush first (TB limit reached). */
bool tb_cache_full_locked(void);
/* Makes a translated TB visible to lookups and invalidation. */
void tb_insert_locked(CachedTB *ctb);
/* Chains from's goto_tb slot to to (both still valid). */
void tb_add_jump(TranslationBlock *from, unsigned slot, TranslationBlock *to);
/* Drops every TB; the caller is exclusive. */
void tb_flush_all_locked(void);

/* ---- translate-all.c ---- */

/* Translates (pc, flags) unless another thread just did; flushes and
 * retries when the code buffer is full. Never NULL. */
TranslationBlock *tb_gen_code(CPUState *cpu, uint64_t pc, uint32_t flags);
/* After a raise out of the frontend: drop the half-made TB, release tb_lock.
 * Returns false if this thread was not translating. */
bool tb_gen_code_cancel(void);
/* Flushes every TB, stopping other vCPUs for it. */
void tb_flush_exclusive(CPUState *cpu);

/* Translates one instruction at (pc, flags) into a TB of its own that no
 * lookup finds (single-step); freed by the next flush. */
TranslationBlock *tb_gen_code_single(CPUState *cpu, uint64_t pc, uint32_t flags);
/* tb-cache.c: keeps an uncached TB until the next flush frees it. */
void tb_retain_uncached_locked(CachedTB *ctb);

/* ---- debug.c ---- */

/* Breakpoints set: TBs end before them, and neither chain nor loop. */
extern int tcg_breakpoint_count;
/* Whether cpu must stop before running pc (recording why); the loop
 * returns EXCP_DEBUG then. */
bool cpu_debug_stop_check(CPUState *cpu, uint64_t pc);
/* The WP_* kinds of the watchpoints overlapping a TLB page. */
int cpu_watchpoint_page_kinds(uint64_t page);
/* Slow path of an access of kind (WP_READ/WP_WRITE) to a watched page:
 * a hit records it and restarts the instruction to run it alone. */
void cpu_watchpoint_check(CPUState *cpu, uint64_t addr, unsigned size, int kind,
                          uintptr_t retaddr);

/* ---- cpu-exec.c ---- */

/* Calls fn on every CPU under the CPU list lock. */
void cpu_list_foreach(void (*fn)(CPUState *cpu, void *opaque), void *opaque);
/* Counters of CPUs already finalized, so sums survive them. */
void cpu_exec_stats_add_retired(CPUExecStats *sum);
void cpu_exec_stats_reset_all(void);
/* Installs ir_lookup_tb_code. */
void cpu_exec_init_lookup(void);

#endif
