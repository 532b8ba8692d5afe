/*
 * The TB table in tb-cache.c on its own: TBs are made and inserted
 * directly (no guest, no translation) so that thousands of them are cheap.
 * Covers lookups by (pc, flags) with edge keys, removal by invalidation,
 * growth over several doublings and rebuilds from tombstones, flushing,
 * and lock-free readers racing a writer that inserts, invalidates and
 * grows the table.
 */
#include <string.h>

#include "accel/tcg/tb-internal.h"
#include "proteus/translator.h"

/* Each TB covers 4 guest bytes at a multiple of 16, so that invalidating
 * [pc, pc] hits exactly the TBs at pc (all flags). */
#define TB_STRIDE 16

static void setup(void)
{
    GError *err = NULL;

    g_assert_true(tcg_exec_init(ir_backends[0], &err));
    g_assert_no_error(err);
    tcg_set_max_tbs(0);
    tb_flush(NULL);
}

static TranslationBlock *insert(uint64_t pc, uint32_t flags)
{
    CachedTB *ctb;

    g_mutex_lock(&tb_lock);
    ctb = tb_alloc_locked(pc, flags);
    ctb->tb.size = 4;
    ctb->tb.icount = 1;
    tb_insert_locked(ctb);
    g_mutex_unlock(&tb_lock);
    return &ctb->tb;
}

static size_t capacity(void)
{
    size_t n;

    g_mutex_lock(&tb_lock);
    n = tb_htable_capacity_locked();
    g_mutex_unlock(&tb_lock);
    return n;
}

/* ---- single-threaded ---- */

static void test_insert_find(void)
{
    enum { N = 3000 };
    static TranslationBlock *tbs[N][2];
    static const uint64_t edge_pc[] = { 0, UINT64_MAX - 3, 1ull << 63, 0x80000000 };
    static const uint32_t edge_flags[] = { 0, UINT32_MAX, 1u << 31 };
    TranslationBlock *edge[4][3];

    setup();
    for (unsigned i = 0; i < N; i++) {
        /* the same pc with two flags, and flags beyond the low bits */
        tbs[i][0] = insert(0x10000 + (uint64_t)i * TB_STRIDE, 0);
        tbs[i][1] = insert(0x10000 + (uint64_t)i * TB_STRIDE, 0x10001);
    }
    for (unsigned p = 0; p < G_N_ELEMENTS(edge_pc); p++) {
        for (unsigned f = 0; f < G_N_ELEMENTS(edge_flags); f++) {
            edge[p][f] = insert(edge_pc[p], edge_flags[f]);
        }
    }
    for (unsigned i = 0; i < N; i++) {
        uint64_t pc = 0x10000 + (uint64_t)i * TB_STRIDE;

        g_assert_true(tb_lookup(pc, 0) == tbs[i][0]);
        g_assert_true(tb_lookup(pc, 0x10001) == tbs[i][1]);
        g_assert_null(tb_lookup(pc, 1));
        g_assert_null(tb_lookup(pc, 0x10000));
        g_assert_null(tb_lookup(pc + 4, 0));
        g_assert_null(tb_lookup(pc + 8, 0x10001));
    }
    for (unsigned p = 0; p < G_N_ELEMENTS(edge_pc); p++) {
        for (unsigned f = 0; f < G_N_ELEMENTS(edge_flags); f++) {
            TranslationBlock *tb = tb_lookup(edge_pc[p], edge_flags[f]);

            g_assert_true(tb == edge[p][f]);
            g_assert_cmpuint(tb->pc, ==, edge_pc[p]);
            g_assert_cmpuint(tb->flags, ==, edge_flags[f]);
        }
        g_assert_null(tb_lookup(edge_pc[p], 2));
    }
    g_assert_null(tb_lookup(0x10000 - TB_STRIDE, 0));
    g_assert_null(tb_lookup(0x10000 + (uint64_t)N * TB_STRIDE, 0));
    tb_flush(NULL);
}

static void test_remove(void)
{
    enum { N = 2000 };
    static TranslationBlock *tbs[N];

    setup();
    for (unsigned i = 0; i < N; i++) {
        tbs[i] = insert(0x400000 + (uint64_t)i * TB_STRIDE, i % 3);
    }
    /* every third TB goes */
    for (unsigned i = 0; i < N; i += 3) {
        g_assert_cmpuint(tb_invalidate_range(0x400000 + (uint64_t)i * TB_STRIDE, 1), ==, 1);
    }
    for (unsigned i = 0; i < N; i++) {
        TranslationBlock *tb = tb_lookup(0x400000 + (uint64_t)i * TB_STRIDE, i % 3);

        if (i % 3 == 0) {
            g_assert_null(tb);
            g_assert_true(tb_is_invalid(tbs[i]));
        } else {
            g_assert_true(tb == tbs[i]);
            g_assert_false(tb_is_invalid(tb));
        }
    }
    /* removing again finds nothing; the same keys come back as new TBs */
    g_assert_cmpuint(tb_invalidate_range(0x400000, 1), ==, 0);
    for (unsigned i = 0; i < N; i += 3) {
        TranslationBlock *tb = insert(0x400000 + (uint64_t)i * TB_STRIDE, i % 3);

        g_assert_true(tb != tbs[i]);
        g_assert_true(tb_lookup(0x400000 + (uint64_t)i * TB_STRIDE, i % 3) == tb);
    }
    /* a whole range at once */
    g_assert_cmpuint(tb_invalidate_range(0x400000, (uint64_t)N * TB_STRIDE), ==, N);
    for (unsigned i = 0; i < N; i++) {
        g_assert_null(tb_lookup(0x400000 + (uint64_t)i * TB_STRIDE, i % 3));
    }
    tb_flush(NULL);
}

static void test_growth(void)
{
    enum { DOUBLINGS = 5 };
    size_t cap0, n = 0;
    GPtrArray *tbs = g_ptr_array_new();

    setup();
    /* a flush starts over from the smallest array */
    cap0 = capacity();
    while (capacity() < cap0 << DOUBLINGS) {
        size_t before = capacity();

        g_ptr_array_add(tbs, insert(0x1000000 + (uint64_t)n * TB_STRIDE, (uint32_t)n & 7));
        n++;
        if (capacity() != before) {
            /* doubled, never more for one insertion; all still there */
            g_assert_cmpuint(capacity(), ==, before * 2);
            for (size_t i = 0; i < n; i++) {
                g_assert_true(tb_lookup(0x1000000 + (uint64_t)i * TB_STRIDE, (uint32_t)i & 7) ==
                              g_ptr_array_index(tbs, i));
            }
        }
        /* load stays at most 3/4 */
        g_assert_cmpuint(n * 4, <=, capacity() * 3);
    }
    g_assert_cmpuint(n, >=, (cap0 << (DOUBLINGS - 1)) / 2);
    g_ptr_array_free(tbs, TRUE);
    tb_flush(NULL);
}

/* Insert-invalidate churn with few live TBs: tombstones force rebuilds at
 * the same size, not growth. */
static void test_tombstone_churn(void)
{
    enum { LIVE = 64, ROUNDS = 20000 };
    TranslationBlock *ring[LIVE] = { 0 };
    size_t cap0;

    setup();
    cap0 = capacity();
    for (unsigned r = 0; r < ROUNDS; r++) {
        unsigned k = r % LIVE;
        uint64_t pc = 0x2000000 + (uint64_t)r * TB_STRIDE;

        if (ring[k]) {
            uint64_t old = ring[k]->pc;

            g_assert_cmpuint(tb_invalidate_range(old, 1), ==, 1);
            g_assert_null(tb_lookup(old, 5));
        }
        ring[k] = insert(pc, 5);
        g_assert_true(tb_lookup(pc, 5) == ring[k]);
    }
    g_assert_cmpuint(capacity(), ==, cap0);
    for (unsigned k = 0; k < LIVE; k++) {
        g_assert_true(tb_lookup(ring[k]->pc, 5) == ring[k]);
    }
    tb_flush(NULL);
}

static void test_flush(void)
{
    enum { N = 5000 };
    size_t cap;
    TBStats s;

    setup();
    for (unsigned i = 0; i < N; i++) {
        insert(0x3000000 + (uint64_t)i * TB_STRIDE, 0);
    }
    cap = capacity();
    tb_flush(NULL);
    tb_stats_get(&s);
    g_assert_cmpuint(s.live_tbs, ==, 0);
    g_assert_cmpuint(capacity(), <, cap);
    for (unsigned i = 0; i < N; i++) {
        g_assert_null(tb_lookup(0x3000000 + (uint64_t)i * TB_STRIDE, 0));
    }
    g_assert_false(tb_page_has_code(0x3000000));
    /* usable again, with the same keys */
    for (unsigned i = 0; i < N; i += 7) {
        TranslationBlock *tb = insert(0x3000000 + (uint64_t)i * TB_STRIDE, 0);

        g_assert_true(tb_lookup(0x3000000 + (uint64_t)i * TB_STRIDE, 0) == tb);
    }
    tb_flush(NULL);
}

/* ---- readers racing a writer ---- */

#define STABLE_BASE 0x5000000ull   /* inserted first, never removed */
#define STABLE_N 512
#define CHURN_BASE 0x6000000ull    /* inserted and invalidated as the test runs */
#define CHURN_N 12000

typedef struct RaceState {
    int stop;
    int started;
    TranslationBlock *stable[STABLE_N];
    /* set once the invalidation of churn pc j has returned; its flags-0 TB
     * is never put back */
    int dead0[CHURN_N];
} RaceState;

typedef struct ReaderResult {
    RaceState *rs;
    uint32_t seed;
    uint64_t lookups, hits;
} ReaderResult;

static uint32_t xorshift(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static gpointer reader_thread(gpointer opaque)
{
    ReaderResult *r = opaque;
    uint32_t seed = r->seed;

    __atomic_add_fetch(&r->rs->started, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&r->rs->stop, __ATOMIC_ACQUIRE)) {
        uint32_t x = xorshift(&seed);
        uint32_t i = x % STABLE_N;
        uint32_t j = (x >> 8) % CHURN_N;
        uint32_t flags = (x >> 30) & 1;
        int dead = flags == 0 && __atomic_load_n(&r->rs->dead0[j], __ATOMIC_ACQUIRE);
        TranslationBlock *tb;

        /* a stable TB is found through every growth, and is the same one */
        tb = tb_lookup(STABLE_BASE + (uint64_t)i * TB_STRIDE, i & 3);
        g_assert_true(tb == r->rs->stable[i]);

        /* a churned one may or may not be there, but is never another key,
         * and never one whose invalidation finished before the lookup */
        tb = tb_lookup(CHURN_BASE + (uint64_t)j * TB_STRIDE, flags);
        if (dead) {
            g_assert_null(tb);
        }
        if (tb) {
            g_assert_cmpuint(tb->pc, ==, CHURN_BASE + (uint64_t)j * TB_STRIDE);
            g_assert_cmpuint(tb->flags, ==, flags);
            g_assert_cmpuint(tb->size, ==, 4);
            r->hits++;
        }
        r->lookups += 2;
    }
    return NULL;
}

/* One round: readers start on the stable TBs, the writer churns and grows
 * the table under them, then everything is checked and flushed. */
static void race_round(unsigned round)
{
    enum { READERS = 3 };
    static RaceState rs;
    ReaderResult res[READERS];
    GThread *threads[READERS];
    size_t cap0;
    uint32_t seed = 12345 + round;
    uint64_t lookups = 0, hits = 0;
    unsigned removed = 0;

    setup();
    cap0 = capacity();
    memset(&rs, 0, sizeof(rs));
    for (unsigned i = 0; i < STABLE_N; i++) {
        rs.stable[i] = insert(STABLE_BASE + (uint64_t)i * TB_STRIDE, i & 3);
    }
    for (unsigned t = 0; t < READERS; t++) {
        res[t] = (ReaderResult){ .rs = &rs, .seed = 0x9e3779b9u * (t + 1) };
        threads[t] = g_thread_new("tb-hash-reader", reader_thread, &res[t]);
    }
    while (__atomic_load_n(&rs.started, __ATOMIC_ACQUIRE) < READERS) {
        g_thread_yield();
    }

    /* Writer: both flags of each churn pc, and now and then invalidate an
     * earlier pc (both flags) and put one of them back. */
    for (unsigned j = 0; j < CHURN_N; j++) {
        uint64_t pc = CHURN_BASE + (uint64_t)j * TB_STRIDE;

        insert(pc, 0);
        insert(pc, 1);
        if (j % 4 == 3) {
            uint32_t v = xorshift(&seed) % j;
            uint64_t victim = CHURN_BASE + (uint64_t)v * TB_STRIDE;

            removed += tb_invalidate_range(victim, 1);
            __atomic_store_n(&rs.dead0[v], 1, __ATOMIC_RELEASE);
            if (!tb_lookup(victim, 1)) {
                insert(victim, 1);
            }
        }
        if (j % 1024 == 0) {
            g_thread_yield();
        }
    }
    __atomic_store_n(&rs.stop, 1, __ATOMIC_RELEASE);
    for (unsigned t = 0; t < READERS; t++) {
        g_thread_join(threads[t]);
        g_assert_cmpuint(res[t].lookups, >, 0);
        lookups += res[t].lookups;
        hits += res[t].hits;
    }
    g_test_message("round %u: %" G_GUINT64_FORMAT " lookups, %" G_GUINT64_FORMAT
                   " churn hits", round, lookups, hits);
    g_assert_cmpuint(removed, >, 0);
    /* it grew while they read */
    g_assert_cmpuint(capacity(), >=, cap0 * 8);

    /* afterwards: every stable TB, and both flags of every churn pc except
     * invalidated flag-0 TBs (flag 1 was always put back) */
    for (unsigned i = 0; i < STABLE_N; i++) {
        g_assert_true(tb_lookup(STABLE_BASE + (uint64_t)i * TB_STRIDE, i & 3) == rs.stable[i]);
    }
    for (unsigned j = 0; j < CHURN_N; j++) {
        TranslationBlock *tb = tb_lookup(CHURN_BASE + (uint64_t)j * TB_STRIDE, 1);

        g_assert_nonnull(tb);
        g_assert_false(tb_is_invalid(tb));
        tb = tb_lookup(CHURN_BASE + (uint64_t)j * TB_STRIDE, 0);
        g_assert_true(rs.dead0[j] ? tb == NULL : tb != NULL);
    }
    tb_flush(NULL);
}

static void test_concurrent(void)
{
    for (unsigned round = 0; round < 4; round++) {
        race_round(round);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tb-hash/insert-find", test_insert_find);
    g_test_add_func("/tb-hash/remove", test_remove);
    g_test_add_func("/tb-hash/growth", test_growth);
    g_test_add_func("/tb-hash/tombstone-churn", test_tombstone_churn);
    g_test_add_func("/tb-hash/flush", test_flush);
    g_test_add_func("/tb-hash/concurrent", test_concurrent);
    return g_test_run();
}
