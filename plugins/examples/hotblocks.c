/*
 * hotblocks: counts how often each translated block runs and prints the
 * n most executed ones at exit: "pc, executions, insns", hottest first.
 * A block is its start address and instruction count, so a block
 * translated again (after a flush, or by another vCPU) adds to the same
 * entry.
 *
 * Options:
 *   n=10            how many blocks to print
 *   inline=on|off   on (default): a per-vCPU counter of each block added
 *                   to inline; off: a call per block execution that adds
 *                   to it atomically
 */
#include <inttypes.h>

#include <glib.h>

#include "example.h"

PROTEUS_PLUGIN_EXPORT int proteus_plugin_version = PROTEUS_PLUGIN_VERSION;

typedef struct Block {
    uint64_t pc;
    size_t insns;
    ProteusScoreboard *inline_count;    /* inline=on: a uint64_t per vCPU */
    uint64_t cb_count;                  /* inline=off: updated atomically */
} Block;

static uint64_t top_n = 10;
static bool use_inline = true;
static GMutex lock;
static GHashTable *blocks;              /* Block -> itself, under lock */

static guint block_hash(gconstpointer p)
{
    const Block *b = p;

    return g_int64_hash(&b->pc) ^ (guint)b->insns;
}

static gboolean block_equal(gconstpointer a, gconstpointer b)
{
    const Block *x = a, *y = b;

    return x->pc == y->pc && x->insns == y->insns;
}

static void block_free(gpointer p)
{
    Block *b = p;

    if (b->inline_count) {
        proteus_scoreboard_free(b->inline_count);
    }
    g_free(b);
}

static uint64_t block_executions(const Block *b)
{
    if (b->inline_count) {
        return proteus_u64_sum(proteus_scoreboard_u64(b->inline_count, 0));
    }
    return __atomic_load_n(&b->cb_count, __ATOMIC_RELAXED);
}

static void block_exec(unsigned vcpu, void *userdata)
{
    Block *b = userdata;

    __atomic_fetch_add(&b->cb_count, 1, __ATOMIC_RELAXED);
}

/* The entry of (pc, insns), created on first sight. */
static Block *lookup_block(uint64_t pc, size_t insns)
{
    Block key = { .pc = pc, .insns = insns };
    Block *b;

    g_mutex_lock(&lock);
    b = g_hash_table_lookup(blocks, &key);
    if (!b) {
        b = g_new0(Block, 1);
        *b = key;
        if (use_inline) {
            b->inline_count = proteus_scoreboard_new(sizeof(uint64_t));
        }
        g_hash_table_add(blocks, b);
    }
    g_mutex_unlock(&lock);
    return b;
}

static void tb_trans(proteus_plugin_id id, ProteusTB *tb)
{
    Block *b = lookup_block(proteus_tb_vaddr(tb), proteus_tb_n_insns(tb));

    if (use_inline) {
        proteus_register_tb_inline(tb, PROTEUS_INLINE_ADD_U64,
                                   proteus_scoreboard_u64(b->inline_count, 0), 1);
    } else {
        proteus_register_tb_exec_cb(tb, block_exec, PROTEUS_CB_NO_REGS, b);
    }
}

/* Most executed first; ties by address, so the order is stable. */
static gint by_executions(gconstpointer a, gconstpointer b)
{
    const Block *x = *(Block *const *)a, *y = *(Block *const *)b;
    uint64_t ex = block_executions(x), ey = block_executions(y);

    if (ex != ey) {
        return ex > ey ? -1 : 1;
    }
    return x->pc < y->pc ? -1 : x->pc > y->pc;
}

static void print_report(proteus_plugin_id id, void *userdata)
{
    g_autoptr(GString) s = g_string_new(NULL);
    g_autoptr(GPtrArray) sorted = g_ptr_array_new();
    GHashTableIter it;
    gpointer b;

    g_mutex_lock(&lock);
    g_hash_table_iter_init(&it, blocks);
    while (g_hash_table_iter_next(&it, &b, NULL)) {
        g_ptr_array_add(sorted, b);
    }
    g_ptr_array_sort(sorted, by_executions);
    g_string_append_printf(s, "hotblocks: %u blocks, the %u most executed:\n",
                           sorted->len, (unsigned)MIN(top_n, sorted->len));
    g_string_append(s, "pc, executions, insns\n");
    for (guint i = 0; i < sorted->len && i < top_n; i++) {
        const Block *blk = g_ptr_array_index(sorted, i);
        g_string_append_printf(s, "0x%016" PRIx64 ", %" PRIu64 ", %zu\n",
                               blk->pc, block_executions(blk), blk->insns);
    }
    g_mutex_unlock(&lock);
    proteus_plugin_output(s->str);
}

int proteus_plugin_install(proteus_plugin_id id, const ProteusPluginInfo *info,
                           int argc, char **argv)
{
    const PluginArg args[] = {
        { "n", PLUGIN_ARG_UINT, &top_n, 1, UINT32_MAX },
        { "inline", PLUGIN_ARG_BOOL, &use_inline },
        { NULL },
    };

    if (!plugin_parse_args("hotblocks", args, argc, argv)) {
        return 1;
    }
    blocks = g_hash_table_new_full(block_hash, block_equal, block_free, NULL);
    proteus_plugin_register_tb_trans_cb(id, tb_trans);
    proteus_plugin_register_atexit_cb(id, print_report, NULL);
    return 0;
}
