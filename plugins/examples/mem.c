/*
 * mem: counts guest memory accesses and optionally traces each one.
 * Prints "loads: N stores: M" at exit and, when the counting is done by
 * callbacks (which see each access's size), a histogram by access size.
 *
 * Options:
 *   inline=on|off   on: counters added to by inline memory operations (no
 *                   sizes, so no histogram); off (default): a callback
 *                   per access counts it
 *   trace=on|off    print every access: "mem: vcpu V pc P vaddr A size S
 *                   load|store" (default off)
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>

#include <glib.h>

#include "example.h"

PROTEUS_PLUGIN_EXPORT int proteus_plugin_version = PROTEUS_PLUGIN_VERSION;

/* Access sizes 1, 2, 4, 8, 16: log2 of the size. */
#define SIZE_BUCKETS 5

/* One vCPU's counters (the scoreboard element). */
typedef struct MemCounts {
    uint64_t loads;
    uint64_t stores;
    uint64_t loads_by_size[SIZE_BUCKETS];
    uint64_t stores_by_size[SIZE_BUCKETS];
} MemCounts;

static bool use_inline;
static bool trace;
static ProteusScoreboard *counts;

static unsigned size_bucket(unsigned size)
{
    unsigned b = 0;

    while (b + 1 < SIZE_BUCKETS && (1u << b) < size) {
        b++;
    }
    return b;
}

static void count_access(unsigned vcpu, ProteusMemInfo info)
{
    MemCounts *c = proteus_scoreboard_find(counts, vcpu);
    unsigned b = size_bucket(proteus_mem_size(info));

    if (proteus_mem_is_store(info)) {
        c->stores++;
        c->stores_by_size[b]++;
    } else {
        c->loads++;
        c->loads_by_size[b]++;
    }
}

static void trace_access(unsigned vcpu, ProteusMemInfo info, uint64_t vaddr, uint64_t pc)
{
    char line[128];

    snprintf(line, sizeof(line),
             "mem: vcpu %u pc 0x%" PRIx64 " vaddr 0x%" PRIx64 " size %u %s\n",
             vcpu, pc, vaddr, proteus_mem_size(info),
             proteus_mem_is_store(info) ? "store" : "load");
    proteus_plugin_output(line);
}

/* userdata: the pc of the accessing instruction. */
static void mem_access(unsigned vcpu, ProteusMemInfo info, uint64_t vaddr, void *userdata)
{
    if (!use_inline) {
        count_access(vcpu, info);
    }
    if (trace) {
        trace_access(vcpu, info, vaddr, (uintptr_t)userdata);
    }
}

static void instrument_insn(ProteusInsn *insn)
{
    if (use_inline) {
        proteus_register_insn_mem_inline(insn, PROTEUS_MEM_R, PROTEUS_INLINE_ADD_U64,
            proteus_scoreboard_u64(counts, offsetof(MemCounts, loads)), 1);
        proteus_register_insn_mem_inline(insn, PROTEUS_MEM_W, PROTEUS_INLINE_ADD_U64,
            proteus_scoreboard_u64(counts, offsetof(MemCounts, stores)), 1);
    }
    if (!use_inline || trace) {
        proteus_register_insn_mem_cb(insn, mem_access, PROTEUS_CB_NO_REGS, PROTEUS_MEM_RW,
                                     (void *)(uintptr_t)proteus_insn_vaddr(insn));
    }
}

static void tb_trans(proteus_plugin_id id, ProteusTB *tb)
{
    size_t n = proteus_tb_n_insns(tb);

    for (size_t i = 0; i < n; i++) {
        instrument_insn(proteus_tb_insn(tb, i));
    }
}

static uint64_t sum_at(size_t offset)
{
    return proteus_u64_sum(proteus_scoreboard_u64(counts, offset));
}

static void print_report(proteus_plugin_id id, void *userdata)
{
    g_autoptr(GString) s = g_string_new(NULL);

    g_string_append_printf(s, "loads: %" PRIu64 " stores: %" PRIu64 "\n",
                           sum_at(offsetof(MemCounts, loads)),
                           sum_at(offsetof(MemCounts, stores)));
    for (unsigned b = 0; !use_inline && b < SIZE_BUCKETS; b++) {
        uint64_t loads = sum_at(offsetof(MemCounts, loads_by_size) + b * sizeof(uint64_t));
        uint64_t stores = sum_at(offsetof(MemCounts, stores_by_size) + b * sizeof(uint64_t));
        g_string_append_printf(s, "size %2u: loads %" PRIu64 " stores %" PRIu64 "\n",
                               1u << b, loads, stores);
    }
    proteus_plugin_output(s->str);
}

int proteus_plugin_install(proteus_plugin_id id, const ProteusPluginInfo *info,
                           int argc, char **argv)
{
    const PluginArg args[] = {
        { "inline", PLUGIN_ARG_BOOL, &use_inline },
        { "trace", PLUGIN_ARG_BOOL, &trace },
        { NULL },
    };

    if (!plugin_parse_args("mem", args, argc, argv)) {
        return 1;
    }
    counts = proteus_scoreboard_new(sizeof(MemCounts));
    proteus_plugin_register_tb_trans_cb(id, tb_trans);
    proteus_plugin_register_atexit_cb(id, print_report, NULL);
    return 0;
}
