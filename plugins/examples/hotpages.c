/*
 * hotpages: counts guest memory accesses per page (of the virtual
 * address) and prints the n most accessed pages at exit: "page, reads,
 * writes", most accessed first.
 *
 * Options:
 *   pagesize=4096   the page size, a power of two
 *   n=10            how many pages to print
 */
#include <inttypes.h>

#include <glib.h>

#include "example.h"

PROTEUS_PLUGIN_EXPORT int proteus_plugin_version = PROTEUS_PLUGIN_VERSION;

typedef struct Page {
    uint64_t addr;
    uint64_t reads;
    uint64_t writes;
} Page;

static uint64_t page_size = 4096;
static uint64_t top_n = 10;
static GMutex lock;
static GHashTable *pages;           /* page address -> Page, under lock */

static void mem_access(unsigned vcpu, ProteusMemInfo info, uint64_t vaddr, void *userdata)
{
    uint64_t addr = vaddr & ~(page_size - 1);
    Page *p;

    g_mutex_lock(&lock);
    p = g_hash_table_lookup(pages, &addr);
    if (!p) {
        p = g_new0(Page, 1);
        p->addr = addr;
        g_hash_table_insert(pages, &p->addr, p);
    }
    if (proteus_mem_is_store(info)) {
        p->writes++;
    } else {
        p->reads++;
    }
    g_mutex_unlock(&lock);
}

static void tb_trans(proteus_plugin_id id, ProteusTB *tb)
{
    size_t n = proteus_tb_n_insns(tb);

    for (size_t i = 0; i < n; i++) {
        proteus_register_insn_mem_cb(proteus_tb_insn(tb, i), mem_access,
                                     PROTEUS_CB_NO_REGS, PROTEUS_MEM_RW, NULL);
    }
}

/* Most accessed first; ties by address. */
static gint by_accesses(gconstpointer a, gconstpointer b)
{
    const Page *x = *(Page *const *)a, *y = *(Page *const *)b;
    uint64_t nx = x->reads + x->writes, ny = y->reads + y->writes;

    if (nx != ny) {
        return nx > ny ? -1 : 1;
    }
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void print_report(proteus_plugin_id id, void *userdata)
{
    g_autoptr(GString) s = g_string_new(NULL);
    g_autoptr(GPtrArray) sorted = g_ptr_array_new();
    GHashTableIter it;
    gpointer p;

    g_mutex_lock(&lock);
    g_hash_table_iter_init(&it, pages);
    while (g_hash_table_iter_next(&it, NULL, &p)) {
        g_ptr_array_add(sorted, p);
    }
    g_ptr_array_sort(sorted, by_accesses);
    g_string_append_printf(s, "hotpages: %u pages of %" PRIu64 " bytes, the %u most accessed:\n",
                           sorted->len, page_size, (unsigned)MIN(top_n, sorted->len));
    g_string_append(s, "page, reads, writes\n");
    for (guint i = 0; i < sorted->len && i < top_n; i++) {
        const Page *pg = g_ptr_array_index(sorted, i);
        g_string_append_printf(s, "0x%016" PRIx64 ", %" PRIu64 ", %" PRIu64 "\n",
                               pg->addr, pg->reads, pg->writes);
    }
    g_mutex_unlock(&lock);
    proteus_plugin_output(s->str);
}

int proteus_plugin_install(proteus_plugin_id id, const ProteusPluginInfo *info,
                           int argc, char **argv)
{
    const PluginArg args[] = {
        { "pagesize", PLUGIN_ARG_UINT, &page_size, 1, UINT64_C(1) << 40 },
        { "n", PLUGIN_ARG_UINT, &top_n, 1, UINT32_MAX },
        { NULL },
    };

    if (!plugin_parse_args("hotpages", args, argc, argv)) {
        return 1;
    }
    if (page_size & (page_size - 1)) {
        plugin_printf("hotpages", "invalid value in option 'pagesize=%" PRIu64 "': "
                      "expected a power of two", page_size);
        return 1;
    }
    pages = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
    proteus_plugin_register_tb_trans_cb(id, tb_trans);
    proteus_plugin_register_atexit_cb(id, print_report, NULL);
    return 0;
}
