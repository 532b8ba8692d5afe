/*
 * A plugin for test-plugin-api: uses every kind of instrumentation on
 * the test's loop and reports what it saw through api_probe_record(),
 * which the test executable exports.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proteus/plugin.h"

PROTEUS_PLUGIN_EXPORT int proteus_plugin_version = PROTEUS_PLUGIN_VERSION;

/* In the test executable. */
void api_probe_record(const char *event, unsigned vcpu, uint64_t a, uint64_t b);

/* Per-vCPU counters. */
typedef struct Counts {
    uint64_t tb_inline;         /* TB executions, inline */
    uint64_t insns;             /* instructions, inline */
    uint64_t sd_execs;          /* executions of the store, inline; the cond's counter */
    uint64_t stores;            /* store accesses, inline */
} Counts;

static ProteusScoreboard *score;

static void on_vcpu(const char *event, unsigned vcpu)
{
    api_probe_record(event, vcpu, 0, 0);
}

static void vcpu_init(proteus_plugin_id id, unsigned vcpu)
{
    on_vcpu("init", vcpu);
}

/* Halted: report the counters so far. */
static void vcpu_idle(proteus_plugin_id id, unsigned vcpu)
{
    const Counts *c = proteus_scoreboard_find(score, vcpu);

    on_vcpu("idle", vcpu);
    api_probe_record("insns", vcpu, c->insns, c->tb_inline);
    api_probe_record("stores", vcpu, c->stores, c->sd_execs);
}

static void vcpu_resume(proteus_plugin_id id, unsigned vcpu)
{
    on_vcpu("resume", vcpu);
}

static void tb_exec(unsigned vcpu, void *userdata)
{
    api_probe_record("tb", vcpu, (uintptr_t)userdata, 0);
}

static void sd_third(unsigned vcpu, void *userdata)
{
    uint64_t a0 = 0;

    if (proteus_read_register("a0", &a0)) {
        api_probe_record("cond", vcpu, (uintptr_t)userdata, a0);
    }
}

static void mem_read(unsigned vcpu, ProteusMemInfo info, uint64_t vaddr, void *userdata)
{
    uint64_t paddr = 0;
    bool io = true;

    api_probe_record("load", vcpu, vaddr,
                     proteus_mem_size(info) | (proteus_mem_is_store(info) ? 0x100 : 0));
    if (proteus_mem_phys(info, vaddr, &paddr, &io)) {
        api_probe_record("phys", vcpu, paddr, io);
    }
}

static void discon(proteus_plugin_id id, unsigned vcpu, ProteusDiscon type, uint64_t from,
                   uint64_t to)
{
    api_probe_record(type == PROTEUS_DISCON_EXCEPTION ? "exception" : "interrupt", vcpu,
                     from, to);
}

static void flushed(proteus_plugin_id id)
{
    api_probe_record("flush", 0, 0, 0);
}

static void tb_trans(proteus_plugin_id id, ProteusTB *tb)
{
    uint64_t pc = proteus_tb_vaddr(tb);

    proteus_register_tb_exec_cb(tb, tb_exec, PROTEUS_CB_NO_REGS, (void *)(uintptr_t)pc);
    proteus_register_tb_inline(tb, PROTEUS_INLINE_ADD_U64,
                               proteus_scoreboard_u64(score, offsetof(Counts, tb_inline)), 1);
    for (size_t i = 0; i < proteus_tb_n_insns(tb); i++) {
        ProteusInsn *insn = proteus_tb_insn(tb, i);
        uint32_t word = 0;
        char *text = proteus_insn_disas(insn);

        api_probe_record(text, 0, proteus_insn_vaddr(insn), proteus_insn_size(insn));
        free(text);
        proteus_register_insn_inline(insn, PROTEUS_INLINE_ADD_U64,
                                     proteus_scoreboard_u64(score, offsetof(Counts, insns)), 1);
        proteus_register_insn_mem_inline(insn, PROTEUS_MEM_W, PROTEUS_INLINE_ADD_U64,
                                         proteus_scoreboard_u64(score,
                                                                offsetof(Counts, stores)), 1);
        proteus_register_insn_mem_cb(insn, mem_read, PROTEUS_CB_NO_REGS, PROTEUS_MEM_R, NULL);
        proteus_insn_data(insn, &word, sizeof(word));
        if ((word & 0x707f) == 0x3023) {
            /* sd: count it, and call sd_third when the count is 3 */
            ProteusU64 n = proteus_scoreboard_u64(score, offsetof(Counts, sd_execs));

            proteus_register_insn_inline(insn, PROTEUS_INLINE_ADD_U64, n, 1);
            proteus_register_insn_exec_cond_cb(insn, sd_third, PROTEUS_CB_R_REGS,
                                               PROTEUS_COND_EQ, n, 3,
                                               (void *)(uintptr_t)proteus_insn_vaddr(insn));
        }
    }
}

static void at_exit(proteus_plugin_id id, void *userdata)
{
    api_probe_record("atexit", 0, (uintptr_t)userdata, 0);
}

PROTEUS_PLUGIN_EXPORT int proteus_plugin_install(proteus_plugin_id id,
                                                 const ProteusPluginInfo *info,
                                                 int argc, char **argv)
{
    if (argc != 1 || strcmp(argv[0], "probe=on") != 0 || strcmp(info->target, "riscv64")) {
        return 1;
    }
    score = proteus_scoreboard_new(sizeof(Counts));
    proteus_plugin_register_vcpu_init_cb(id, vcpu_init);
    proteus_plugin_register_vcpu_idle_cb(id, vcpu_idle);
    proteus_plugin_register_vcpu_resume_cb(id, vcpu_resume);
    proteus_plugin_register_tb_trans_cb(id, tb_trans);
    proteus_plugin_register_discon_cb(id, PROTEUS_DISCON_ALL, discon);
    proteus_plugin_register_flush_cb(id, flushed);
    proteus_plugin_register_atexit_cb(id, at_exit, (void *)(uintptr_t)0x5a);
    return 0;
}
