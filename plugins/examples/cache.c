/*
 * cache: a two-level cache simulator. Every instruction fetch goes to an
 * L1 instruction cache and every data access to an L1 data cache; the
 * misses of both go to a unified L2. Addresses are guest virtual ones, an
 * access touches the line of its first byte, and all vCPUs share the
 * caches. Prints per level at exit: "level, accesses, hits, misses, miss
 * rate".
 *
 * Options (sizes in bytes, all powers of two, size >= assoc * line):
 *   l1i_size=32768 l1i_assoc=8 l1i_line=64
 *   l1d_size=32768 l1d_assoc=8 l1d_line=64
 *   l2_size=1048576 l2_assoc=16 l2_line=64
 *   repl=lru|fifo|random   which way of a full set is evicted (default
 *                          lru; random is seeded, so runs repeat)
 */
#include <inttypes.h>

#include <glib.h>

#include "example.h"

PROTEUS_PLUGIN_EXPORT int proteus_plugin_version = PROTEUS_PLUGIN_VERSION;

typedef enum Replacement {
    REPL_LRU,
    REPL_FIFO,
    REPL_RANDOM,
} Replacement;

typedef struct CacheGeometry {
    uint64_t size, assoc, line;
} CacheGeometry;

typedef struct Way {
    uint64_t block;         /* address / line size */
    uint64_t stamp;         /* LRU: last use; FIFO: fill; 0: invalid */
} Way;

typedef struct Cache {
    const char *name;
    CacheGeometry geo;
    unsigned line_shift;
    uint64_t sets;
    Way *ways;              /* sets * assoc */
    uint64_t accesses;
    uint64_t misses;
} Cache;

static CacheGeometry l1i_geo = { 32768, 8, 64 };
static CacheGeometry l1d_geo = { 32768, 8, 64 };
static CacheGeometry l2_geo = { 1048576, 16, 64 };
static int replacement = REPL_LRU;

static GMutex lock;             /* everything below */
static Cache l1i, l1d, l2;
static uint64_t clock_now;      /* stamps: 1, 2, ... */
static GRand *rng;

static bool is_power_of_2(uint64_t v)
{
    return v && !(v & (v - 1));
}

/* false (with a message naming the options) if geo is not a valid cache. */
static bool check_geometry(const char *level, const CacheGeometry *geo)
{
    if (!is_power_of_2(geo->size) || !is_power_of_2(geo->assoc) ||
        !is_power_of_2(geo->line)) {
        plugin_printf("cache", "invalid %s cache: options '%s_size', '%s_assoc' and "
                      "'%s_line' must be powers of two", level, level, level, level);
        return false;
    }
    if (geo->size < geo->assoc * geo->line) {
        plugin_printf("cache", "invalid %s cache: option '%s_size=%" PRIu64 "' is less "
                      "than %s_assoc * %s_line", level, level, geo->size, level, level);
        return false;
    }
    return true;
}

static void cache_init(Cache *c, const char *name, const CacheGeometry *geo)
{
    c->name = name;
    c->geo = *geo;
    c->line_shift = __builtin_ctzll(geo->line);
    c->sets = geo->size / (geo->assoc * geo->line);
    c->ways = g_new0(Way, c->sets * geo->assoc);
}

/* The way of set to refill: an invalid one, else by the replacement policy. */
static Way *choose_victim(Cache *c, Way *set)
{
    Way *victim = &set[0];

    for (uint64_t w = 0; w < c->geo.assoc; w++) {
        if (!set[w].stamp) {
            return &set[w];
        }
        if (set[w].stamp < victim->stamp) {
            victim = &set[w];
        }
    }
    if (replacement == REPL_RANDOM) {
        return &set[g_rand_int_range(rng, 0, (gint32)c->geo.assoc)];
    }
    return victim;              /* oldest use (LRU) or oldest fill (FIFO) */
}

/* One access at addr; true on a hit. */
static bool cache_access(Cache *c, uint64_t addr)
{
    uint64_t block = addr >> c->line_shift;
    Way *set = &c->ways[(block & (c->sets - 1)) * c->geo.assoc];
    Way *victim;

    c->accesses++;
    clock_now++;
    for (uint64_t w = 0; w < c->geo.assoc; w++) {
        if (set[w].stamp && set[w].block == block) {
            if (replacement == REPL_LRU) {
                set[w].stamp = clock_now;
            }
            return true;
        }
    }
    c->misses++;
    victim = choose_victim(c, set);
    victim->block = block;
    victim->stamp = clock_now;
    return false;
}

static void hierarchy_access(Cache *l1, uint64_t addr)
{
    g_mutex_lock(&lock);
    if (!cache_access(l1, addr)) {
        cache_access(&l2, addr);
    }
    g_mutex_unlock(&lock);
}

/* userdata: the instruction's address. */
static void insn_fetch(unsigned vcpu, void *userdata)
{
    hierarchy_access(&l1i, (uintptr_t)userdata);
}

static void data_access(unsigned vcpu, ProteusMemInfo info, uint64_t vaddr, void *userdata)
{
    hierarchy_access(&l1d, vaddr);
}

static void tb_trans(proteus_plugin_id id, ProteusTB *tb)
{
    size_t n = proteus_tb_n_insns(tb);

    for (size_t i = 0; i < n; i++) {
        ProteusInsn *insn = proteus_tb_insn(tb, i);
        proteus_register_insn_exec_cb(insn, insn_fetch, PROTEUS_CB_NO_REGS,
                                      (void *)(uintptr_t)proteus_insn_vaddr(insn));
        proteus_register_insn_mem_cb(insn, data_access, PROTEUS_CB_NO_REGS,
                                     PROTEUS_MEM_RW, NULL);
    }
}

static void append_level(GString *s, const Cache *c)
{
    double rate = c->accesses ? 100.0 * c->misses / c->accesses : 0.0;

    g_string_append_printf(s, "%s, %" PRIu64 ", %" PRIu64 ", %" PRIu64 ", %.2f%%\n",
                           c->name, c->accesses, c->accesses - c->misses, c->misses, rate);
}

static void print_report(proteus_plugin_id id, void *userdata)
{
    g_autoptr(GString) s = g_string_new("cache: level, accesses, hits, misses, miss rate\n");

    g_mutex_lock(&lock);
    append_level(s, &l1i);
    append_level(s, &l1d);
    append_level(s, &l2);
    g_mutex_unlock(&lock);
    proteus_plugin_output(s->str);
}

int proteus_plugin_install(proteus_plugin_id id, const ProteusPluginInfo *info,
                           int argc, char **argv)
{
    static const char *const repl_names[] = { "lru", "fifo", "random", NULL };
    const uint64_t max = UINT64_C(1) << 40;
    const uint64_t max_assoc = 1 << 16;     /* the ways of a set are searched in turn */
    const PluginArg args[] = {
        { "l1i_size", PLUGIN_ARG_UINT, &l1i_geo.size, 1, max },
        { "l1i_assoc", PLUGIN_ARG_UINT, &l1i_geo.assoc, 1, max_assoc },
        { "l1i_line", PLUGIN_ARG_UINT, &l1i_geo.line, 1, max },
        { "l1d_size", PLUGIN_ARG_UINT, &l1d_geo.size, 1, max },
        { "l1d_assoc", PLUGIN_ARG_UINT, &l1d_geo.assoc, 1, max_assoc },
        { "l1d_line", PLUGIN_ARG_UINT, &l1d_geo.line, 1, max },
        { "l2_size", PLUGIN_ARG_UINT, &l2_geo.size, 1, max },
        { "l2_assoc", PLUGIN_ARG_UINT, &l2_geo.assoc, 1, max_assoc },
        { "l2_line", PLUGIN_ARG_UINT, &l2_geo.line, 1, max },
        { "repl", PLUGIN_ARG_CHOICE, &replacement, 0, 0, repl_names },
        { NULL },
    };

    if (!plugin_parse_args("cache", args, argc, argv) ||
        !check_geometry("l1i", &l1i_geo) || !check_geometry("l1d", &l1d_geo) ||
        !check_geometry("l2", &l2_geo)) {
        return 1;
    }
    cache_init(&l1i, "L1I", &l1i_geo);
    cache_init(&l1d, "L1D", &l1d_geo);
    cache_init(&l2, "L2", &l2_geo);
    rng = g_rand_new_with_seed(1);
    proteus_plugin_register_tb_trans_cb(id, tb_trans);
    proteus_plugin_register_atexit_cb(id, print_report, NULL);
    return 0;
}
