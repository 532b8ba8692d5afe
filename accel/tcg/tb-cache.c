/*
 * The translation-block cache: the table of TBs by (pc, flags), the index
 * of TBs by guest page for invalidation, the chains between TBs, flushing,
 * and the counters behind -d tb_stats.
 *
 * Lookups from the exec loop go to the CPU's jump cache first; its misses
 * reach the shared table (TBHashTable below), which readers search without
 * any lock. Writers (insertion, invalidation, growth, flush) hold tb_lock.
 */
#include <inttypes.h>
#include <string.h>

#include "accel/tcg/tb-internal.h"
#include "proteus/log.h"
#include "plugins/core.h"

GMutex tb_lock;
const IRBackend *tcg_cur_backend;
unsigned tb_flush_generation;
TBStats tb_global_stats;

/*
 * The TB table: open addressing with linear probing over an array of
 * TranslationBlock pointers, indexed by a hash of (pc, flags).
 *
 * Within one array a slot only ever moves forward: empty (NULL) -> a TB ->
 * the tombstone. It is never emptied again and a tombstone is never reused;
 * when used slots (live + tombstones) would pass 3/4 of the array, the
 * writer builds a new array (the same size if that brings the load back to
 * at most 1/2, else doubled until it does) holding only the live TBs, and
 * publishes it. So in any array a reader may hold, at least 1/4 of the
 * slots stay NULL and every probe ends.
 *
 * Memory ordering: a writer fills a TB (pc, flags, code) before storing its
 * pointer into a slot with release; readers load slots with acquire, so a
 * TB they find is fully initialised (pc and flags never change after).
 * Likewise a new array is filled before its pointer is released into
 * tb_htable, and readers load that with acquire. A replaced array is not
 * freed but retired to a list freed at the next flush: a flush runs only
 * while every other vCPU is stopped outside the exec loop (start_exclusive
 * waits for running_cpus == 0), and lookups run inside it, so no reader
 * still holds a retired array or a TB pointer then. TB structs themselves
 * are likewise freed only by a flush, so a reader never dereferences freed
 * memory.
 *
 * A reader on an old array, or racing with an invalidation, may still see
 * an invalidated TB's pointer: the TB's invalid flag is set (release)
 * before its slot becomes a tombstone, and lookups check it, as well as pc
 * and flags. A reader may also miss a TB inserted concurrently; that only
 * sends it to tb_gen_code, which looks again under tb_lock.
 */
typedef struct TBHashTable {
    size_t mask;                /* capacity - 1; capacity a power of two */
    unsigned shift;             /* 64 - log2(capacity) */
    size_t used;                /* non-NULL slots (writer only) */
    size_t live;                /* slots holding a TB (writer only) */
    TranslationBlock *slots[];
} TBHashTable;

#define TB_HTABLE_MIN_BITS 10

/* A removed entry: compared by address, never dereferenced. */
static TranslationBlock tb_tombstone;

static TBHashTable *tb_htable;  /* the current array; read locklessly */
static GPtrArray *tb_htable_retired;    /* replaced arrays, freed at a flush */

static TBHashTable *tb_htable_new(unsigned bits)
{
    size_t cap = (size_t)1 << bits;
    TBHashTable *t = g_malloc0(sizeof(*t) + cap * sizeof(t->slots[0]));

    t->mask = cap - 1;
    t->shift = 64 - bits;
    return t;
}

/* The first slot to probe: mix both words, take the product's high bits
 * (instruction alignment leaves pc's low bits constant). */
static inline size_t tb_htable_index(const TBHashTable *t, uint64_t pc, uint32_t flags)
{
    uint64_t h = pc * 0x9e3779b97f4a7c15ull ^ (uint64_t)flags * 0xc2b2ae3d27d4eb4full;

    h ^= h >> 31;
    h *= 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> t->shift);
}

/* Stores tb in the first empty slot of its probe sequence; writer only. */
static void tb_htable_put(TBHashTable *t, TranslationBlock *tb)
{
    size_t i = tb_htable_index(t, tb->pc, tb->flags);

    while (t->slots[i]) {
        i = (i + 1) & t->mask;
    }
    __atomic_store_n(&t->slots[i], tb, __ATOMIC_RELEASE);
    t->used++;
    t->live++;
}

/* Makes room for one more entry, replacing the array if it is too full. */
static void tb_htable_reserve_locked(void)
{
    TBHashTable *old = tb_htable, *t;
    unsigned bits = 64 - old->shift;

    if ((old->used + 1) * 4 <= (old->mask + 1) * 3) {
        return;
    }
    while ((old->live + 1) * 2 > ((size_t)1 << bits)) {
        bits++;
    }
    t = tb_htable_new(bits);
    for (size_t i = 0; i <= old->mask; i++) {
        TranslationBlock *tb = old->slots[i];

        if (tb && tb != &tb_tombstone) {
            tb_htable_put(t, tb);
        }
    }
    /* filled before it is published: pairs with tb_lookup's acquire */
    __atomic_store_n(&tb_htable, t, __ATOMIC_RELEASE);
    g_ptr_array_add(tb_htable_retired, old);
}

/* The live slot holding exactly tb; writer only. */
static size_t tb_htable_find_slot(TBHashTable *t, TranslationBlock *tb)
{
    size_t i = tb_htable_index(t, tb->pc, tb->flags);

    while (t->slots[i] != tb) {
        g_assert(t->slots[i] != NULL);
        i = (i + 1) & t->mask;
    }
    return i;
}

size_t tb_htable_capacity_locked(void)
{
    return tb_htable->mask + 1;
}

/* TBs translated from one guest page (of TB_PAGE_SIZE). */
typedef struct TBPage {
    uint64_t index;             /* address >> TB_PAGE_BITS; the hash key */
    GPtrArray *tbs;             /* CachedTB * */
} TBPage;

static GHashTable *tb_pages;    /* &TBPage.index -> TBPage * */
static GPtrArray *tb_all;       /* every TB since the last flush, valid or not */
static unsigned tb_max_tbs = 1u << 20;

static void tb_page_free(gpointer p)
{
    TBPage *page = p;

    g_ptr_array_free(page->tbs, TRUE);
    g_free(page);
}

void tb_cache_init(void)
{
    g_mutex_lock(&tb_lock);
    if (!tb_htable) {
        tb_htable_retired = g_ptr_array_new_with_free_func(g_free);
        __atomic_store_n(&tb_htable, tb_htable_new(TB_HTABLE_MIN_BITS), __ATOMIC_RELEASE);
        tb_pages = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, tb_page_free);
        tb_all = g_ptr_array_new();
    }
    g_mutex_unlock(&tb_lock);
}

void tcg_set_max_tbs(unsigned n)
{
    g_mutex_lock(&tb_lock);
    tb_max_tbs = n ? n : 1u << 20;
    g_mutex_unlock(&tb_lock);
}

/* ---- lookup and insertion ---- */

TranslationBlock *tb_lookup(uint64_t pc, uint32_t flags)
{
    /* acquire: the array's contents were written before its pointer */
    TBHashTable *t = __atomic_load_n(&tb_htable, __ATOMIC_ACQUIRE);
    size_t i;

    if (G_UNLIKELY(!t)) {
        return NULL;
    }
    for (i = tb_htable_index(t, pc, flags);; i = (i + 1) & t->mask) {
        /* acquire: pairs with the release in tb_htable_put, so the TB's
         * fields are the ones written before it was published */
        TranslationBlock *tb = __atomic_load_n(&t->slots[i], __ATOMIC_ACQUIRE);

        if (!tb) {
            return NULL;
        }
        if (tb != &tb_tombstone && tb->pc == pc && tb->flags == flags &&
            !tb_is_invalid(tb)) {
            return tb;
        }
    }
}

TranslationBlock *tb_lookup_locked(uint64_t pc, uint32_t flags)
{
    return tb_lookup(pc, flags);
}

CachedTB *tb_alloc_locked(uint64_t pc, uint32_t flags)
{
    CachedTB *ctb = g_new0(CachedTB, 1);

    /* exit values carry the slot in the pointer's low bits */
    g_assert(((uintptr_t)ctb & IR_EXIT_SLOT_MASK) == 0);
    ctb->tb.pc = pc;
    ctb->tb.flags = flags;
    return ctb;
}

void tb_free_unused_locked(CachedTB *ctb)
{
    g_assert(!ctb->in_cache);
    g_free(ctb);
}

void tb_retain_uncached_locked(CachedTB *ctb)
{
    g_ptr_array_add(tb_all, ctb);
}

bool tb_cache_full_locked(void)
{
    return tb_all->len >= tb_max_tbs;
}

/* The pages [first, last] a TB's guest bytes lie on. */
static void tb_page_range(const TranslationBlock *tb, uint64_t *first, uint64_t *last)
{
    *first = tb->pc >> TB_PAGE_BITS;
    *last = (tb->pc + (tb->size ? tb->size - 1 : 0)) >> TB_PAGE_BITS;
}

void (*tb_page_code_added_hook)(uint64_t page_addr);

void tb_insert_locked(CachedTB *ctb)
{
    uint64_t first, last;

    g_assert(!tb_lookup_locked(ctb->tb.pc, ctb->tb.flags));
    tb_htable_reserve_locked();
    tb_htable_put(tb_htable, &ctb->tb);
    tb_page_range(&ctb->tb, &first, &last);
    for (uint64_t p = first; p <= last; p++) {
        TBPage *page = g_hash_table_lookup(tb_pages, &p);

        if (!page) {
            page = g_new0(TBPage, 1);
            page->index = p;
            page->tbs = g_ptr_array_new();
            g_hash_table_insert(tb_pages, &page->index, page);
            if (tb_page_code_added_hook) {
                tb_page_code_added_hook(p << TB_PAGE_BITS);
            }
        }
        g_ptr_array_add(page->tbs, ctb);
    }
    g_ptr_array_add(tb_all, ctb);
    ctb->in_cache = true;
    /* atomic: tb_page_has_code() reads it without the lock */
    __atomic_add_fetch(&tb_global_stats.live_tbs, 1, __ATOMIC_RELAXED);
}

/* ---- chaining ---- */

/* Unlinks (src, slot) from the list of jumps into dest. */
static void tb_jmp_list_remove(CachedTB *dest, CachedTB *src, unsigned slot)
{
    uintptr_t want = (uintptr_t)src | slot;
    uintptr_t *link = &dest->jmp_in;

    while (*link) {
        if (*link == want) {
            *link = src->jmp_in_next[slot];
            src->jmp_in_next[slot] = 0;
            return;
        }
        link = &((CachedTB *)(*link & ~(uintptr_t)IR_EXIT_SLOT_MASK))
                    ->jmp_in_next[*link & IR_EXIT_SLOT_MASK];
    }
    g_assert_not_reached();
}

void tb_add_jump(TranslationBlock *from, unsigned slot, TranslationBlock *to)
{
    CachedTB *src = cached_tb(from), *dest = cached_tb(to);

    g_assert(slot < 2);
    /* A slot that exits was unchained; if it is set now, another thread
     * chained it meanwhile. */
    if (__atomic_load_n(&from->jmp_dest[slot], __ATOMIC_RELAXED)) {
        return;
    }
    g_mutex_lock(&tb_lock);
    if (!src->invalid && !dest->invalid && !from->jmp_dest[slot]) {
        src->jmp_in_next[slot] = dest->jmp_in;
        dest->jmp_in = (uintptr_t)src | slot;
        tcg_cur_backend->set_jump(from, slot, to);
        __atomic_store_n(&from->jmp_dest[slot], to, __ATOMIC_RELEASE);
        tb_global_stats.chains++;
    }
    g_mutex_unlock(&tb_lock);
}

/* Makes slot n of src exit to the loop again. */
static void tb_reset_jump_locked(CachedTB *src, unsigned slot)
{
    tcg_cur_backend->set_jump(&src->tb, slot, NULL);
    __atomic_store_n(&src->tb.jmp_dest[slot], NULL, __ATOMIC_RELEASE);
}

/* ---- invalidation ---- */

static void tb_jmp_cache_remove(CPUState *cpu, void *opaque)
{
    TranslationBlock *tb = opaque;
    TranslationBlock *expected = tb;

    /* only this TB's entry: the owning thread may be storing another one */
    __atomic_compare_exchange_n(&cpu->jmp_cache->tb[tb_jmp_cache_hash(tb->pc)], &expected,
                                NULL, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

static void tb_invalidate_locked(CachedTB *ctb)
{
    uint64_t first, last;
    size_t slot;

    /* invalid first: a reader that still finds the pointer (in this array
     * before the tombstone lands, or in a retired one) rejects it */
    __atomic_store_n(&ctb->invalid, 1, __ATOMIC_RELEASE);
    slot = tb_htable_find_slot(tb_htable, &ctb->tb);
    __atomic_store_n(&tb_htable->slots[slot], &tb_tombstone, __ATOMIC_RELEASE);
    tb_htable->live--;

    tb_page_range(&ctb->tb, &first, &last);
    for (uint64_t p = first; p <= last; p++) {
        TBPage *page = g_hash_table_lookup(tb_pages, &p);

        g_assert(page != NULL);
        g_ptr_array_remove_fast(page->tbs, ctb);
        if (page->tbs->len == 0) {
            g_hash_table_remove(tb_pages, &p);
        }
    }

    /* Jumps into it: every such slot exits to the loop again. */
    while (ctb->jmp_in) {
        CachedTB *src = (CachedTB *)(ctb->jmp_in & ~(uintptr_t)IR_EXIT_SLOT_MASK);
        unsigned slot = ctb->jmp_in & IR_EXIT_SLOT_MASK;

        ctb->jmp_in = src->jmp_in_next[slot];
        src->jmp_in_next[slot] = 0;
        tb_reset_jump_locked(src, slot);
        tb_global_stats.unchains++;
    }
    /* Jumps out of it, so that its destinations' lists hold only live TBs. */
    for (unsigned slot = 0; slot < 2; slot++) {
        TranslationBlock *dest = ctb->tb.jmp_dest[slot];

        if (dest) {
            tb_jmp_list_remove(cached_tb(dest), ctb, slot);
            tb_reset_jump_locked(ctb, slot);
        }
    }

    cpu_list_foreach(tb_jmp_cache_remove, &ctb->tb);
    ctb->in_cache = false;
    __atomic_sub_fetch(&tb_global_stats.live_tbs, 1, __ATOMIC_RELAXED);
    tb_global_stats.invalidations++;
}

/* Invalidates the TBs of one page that overlap [start, end]. */
static unsigned tb_invalidate_page_locked(TBPage *page, uint64_t start, uint64_t end)
{
    unsigned n = 0;

    /* Invalidation removes from this very array (and may free the page when
     * it empties), so walk down from the end and stop at the last one. */
    for (guint i = page->tbs->len; i-- > 0;) {
        CachedTB *ctb = g_ptr_array_index(page->tbs, i);
        uint64_t tb_end = ctb->tb.pc + (ctb->tb.size ? ctb->tb.size - 1 : 0);
        bool last = page->tbs->len == 1;

        if (ctb->tb.pc <= end && tb_end >= start) {
            tb_invalidate_locked(ctb);
            n++;
            if (last) {
                break;
            }
            i = MIN(i, page->tbs->len);
        }
    }
    return n;
}

static void tb_kick_cpu(CPUState *cpu, void *opaque)
{
    __atomic_store_n(&cpu->tb_exit_flag, 1, __ATOMIC_SEQ_CST);
}

unsigned tb_invalidate_range(uint64_t addr, uint64_t len)
{
    uint64_t end, first, last;
    unsigned n = 0;

    if (len == 0) {
        return 0;
    }
    end = addr + len - 1;
    if (end < addr) {
        end = UINT64_MAX;
    }
    first = addr >> TB_PAGE_BITS;
    last = end >> TB_PAGE_BITS;

    g_mutex_lock(&tb_lock);
    if (tb_pages && g_hash_table_size(tb_pages) > 0) {
        if (last - first >= g_hash_table_size(tb_pages)) {
            /* a huge range: walk the pages that have code instead */
            GPtrArray *hit = g_ptr_array_new();
            GHashTableIter it;
            gpointer value;

            g_hash_table_iter_init(&it, tb_pages);
            while (g_hash_table_iter_next(&it, NULL, &value)) {
                TBPage *page = value;

                if (page->index >= first && page->index <= last) {
                    g_ptr_array_add(hit, GSIZE_TO_POINTER(page->index));
                }
            }
            for (guint i = 0; i < hit->len; i++) {
                uint64_t p = GPOINTER_TO_SIZE(g_ptr_array_index(hit, i));
                TBPage *page = g_hash_table_lookup(tb_pages, &p);

                if (page) {
                    n += tb_invalidate_page_locked(page, addr, end);
                }
            }
            g_ptr_array_free(hit, TRUE);
        } else {
            for (uint64_t p = first;; p++) {
                TBPage *page = g_hash_table_lookup(tb_pages, &p);

                if (page) {
                    n += tb_invalidate_page_locked(page, addr, end);
                }
                if (p == last) {
                    break;
                }
            }
        }
    }
    g_mutex_unlock(&tb_lock);
    if (n > 0) {
        /* A TB that loops on itself inside its own code (translator_gen_loop)
         * never passes a goto_tb that unchaining could redirect: make every
         * CPU come back to the loop, which then finds the TB gone. */
        cpu_list_foreach(tb_kick_cpu, NULL);
    }
    return n;
}

bool tb_page_has_code(uint64_t addr)
{
    uint64_t p = addr >> TB_PAGE_BITS;
    bool found;

    if (__atomic_load_n(&tb_global_stats.live_tbs, __ATOMIC_RELAXED) == 0) {
        return false;
    }
    g_mutex_lock(&tb_lock);
    found = g_hash_table_lookup(tb_pages, &p) != NULL;
    g_mutex_unlock(&tb_lock);
    return found;
}

/* ---- flushing ---- */

static void tb_jmp_cache_clear(CPUState *cpu, void *opaque)
{
    memset(cpu->jmp_cache, 0, sizeof(*cpu->jmp_cache));
}

void tb_flush_all_locked(void)
{
    tcg_cur_backend->flush();
    for (guint i = 0; i < tb_all->len; i++) {
        g_free(g_ptr_array_index(tb_all, i));
    }
    g_ptr_array_set_size(tb_all, 0);
    /* No reader runs (see TBHashTable): free every array, start small. */
    g_ptr_array_set_size(tb_htable_retired, 0);
    g_free(tb_htable);
    __atomic_store_n(&tb_htable, tb_htable_new(TB_HTABLE_MIN_BITS), __ATOMIC_RELEASE);
    g_hash_table_remove_all(tb_pages);
    cpu_list_foreach(tb_jmp_cache_clear, NULL);
    __atomic_store_n(&tb_global_stats.live_tbs, 0, __ATOMIC_RELAXED);
    tb_global_stats.flushes++;
    if (G_UNLIKELY(plugins_active)) {
        plugin_flush();
    }
    __atomic_add_fetch(&tb_flush_generation, 1, __ATOMIC_RELEASE);
}

/* ---- counters ---- */

static void tb_stats_add_cpu(CPUState *cpu, void *opaque)
{
    CPUExecStats *sum = opaque;

    sum->execs += cpu->stats.execs;
    sum->jc_hits += cpu->stats.jc_hits;
    sum->hash_hits += cpu->stats.hash_hits;
    sum->misses += cpu->stats.misses;
    sum->ptr_lookups += cpu->stats.ptr_lookups;
    sum->ptr_hits += cpu->stats.ptr_hits;
    sum->exceptions += cpu->stats.exceptions;
    sum->interrupts += cpu->stats.interrupts;
}

void tb_stats_get(TBStats *out)
{
    g_mutex_lock(&tb_lock);
    *out = tb_global_stats;
    g_mutex_unlock(&tb_lock);
    memset(&out->cpu, 0, sizeof(out->cpu));
    cpu_list_foreach(tb_stats_add_cpu, &out->cpu);
    cpu_exec_stats_add_retired(&out->cpu);
}

void tb_stats_reset(void)
{
    uint64_t live;

    g_mutex_lock(&tb_lock);
    live = tb_global_stats.live_tbs;
    memset(&tb_global_stats, 0, sizeof(tb_global_stats));
    tb_global_stats.live_tbs = live;
    g_mutex_unlock(&tb_lock);
    cpu_exec_stats_reset_all();
}

static double ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

void tb_stats_print(FILE *out)
{
    TBStats s;
    const CPUExecStats *c = &s.cpu;

    tb_stats_get(&s);
    fprintf(out, "TB stats:\n");
    fprintf(out, "  translated   %" PRIu64 " TBs, %" PRIu64 " guest insns (%.1f/TB), "
            "%" PRIu64 " host bytes (%.1f/insn)\n",
            s.tbs_translated, s.insns_translated,
            ratio(s.insns_translated, s.tbs_translated),
            s.host_bytes, ratio(s.host_bytes, s.insns_translated));
    fprintf(out, "  loop         %" PRIu64 " execs: jump cache %" PRIu64 ", hash %" PRIu64
            ", translated %" PRIu64 "\n", c->execs, c->jc_hits, c->hash_hits, c->misses);
    fprintf(out, "  goto_ptr     %" PRIu64 " lookups, %" PRIu64 " found\n",
            c->ptr_lookups, c->ptr_hits);
    fprintf(out, "  chaining     %" PRIu64 " chained, %" PRIu64 " unchained\n",
            s.chains, s.unchains);
    fprintf(out, "  cache        %" PRIu64 " live TBs, %" PRIu64 " invalidated, %" PRIu64
            " flushes\n", s.live_tbs, s.invalidations, s.flushes);
    fprintf(out, "  events       %" PRIu64 " exceptions, %" PRIu64 " interrupts\n",
            c->exceptions, c->interrupts);
}
