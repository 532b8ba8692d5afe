/*
 * execlog: logs every executed instruction, one line each:
 * "VCPU, PC, DISASSEMBLY", followed by its memory accesses (", load
 * 0xADDR" / ", store 0xADDR") and the watched registers it changed
 * (", a0=0x1"). Watched registers are read before each instruction of the
 * vCPU runs; a change seen there was made by the one before, so each line
 * is printed when the next instruction of its vCPU starts (or at exit).
 *
 * Options:
 *   reg=LIST        registers to watch, by the names a debugger uses
 *                   ("a0:sp:x5:pc"...), separated by ':' (may repeat). A
 *                   name the guest has not is reported on first use and
 *                   dropped.
 */
#include <inttypes.h>
#include <stdlib.h>

#include <glib.h>

#include "example.h"

PROTEUS_PLUGIN_EXPORT int proteus_plugin_version = PROTEUS_PLUGIN_VERSION;

/* What the log says of a translated instruction. */
typedef struct InsnRecord {
    uint64_t pc;
    char *disas;
} InsnRecord;

/* One vCPU's log state (the scoreboard element; zeroed at creation). */
typedef struct VcpuLog {
    GString *line;          /* the instruction in flight, not yet printed */
    uint64_t *last;         /* watched registers' values before it */
    bool have_last;
} VcpuLog;

static GPtrArray *reg_names;        /* char * */
static bool *reg_missing;           /* per watched register: reported missing */
static ProteusScoreboard *logs;
static GMutex lock;
static GPtrArray *records;          /* InsnRecord *, under lock */

static void flush_line(VcpuLog *log)
{
    if (log->line && log->line->len) {
        g_string_append_c(log->line, '\n');
        proteus_plugin_output(log->line->str);
        g_string_truncate(log->line, 0);
    }
}

static void report_missing(guint i)
{
    g_mutex_lock(&lock);
    if (!reg_missing[i]) {
        reg_missing[i] = true;
        plugin_printf("execlog", "reg=%s: the guest has no such register, not watched",
                      (const char *)g_ptr_array_index(reg_names, i));
    }
    g_mutex_unlock(&lock);
}

/* Appends the watched registers that changed since the last instruction. */
static void append_changes(VcpuLog *log)
{
    if (!log->last) {
        log->last = g_new0(uint64_t, reg_names->len);
    }
    for (guint i = 0; i < reg_names->len; i++) {
        uint64_t v;

        if (__atomic_load_n(&reg_missing[i], __ATOMIC_RELAXED)) {
            continue;
        }
        if (!proteus_read_register(g_ptr_array_index(reg_names, i), &v)) {
            report_missing(i);
            continue;
        }
        if (log->have_last && v != log->last[i] && log->line->len) {
            g_string_append_printf(log->line, ", %s=0x%" PRIx64,
                                   (const char *)g_ptr_array_index(reg_names, i), v);
        }
        log->last[i] = v;
    }
    log->have_last = true;
}

static void insn_exec(unsigned vcpu, void *userdata)
{
    const InsnRecord *r = userdata;
    VcpuLog *log = proteus_scoreboard_find(logs, vcpu);

    if (!log->line) {
        log->line = g_string_new(NULL);
    }
    if (reg_names->len) {
        append_changes(log);
    }
    flush_line(log);
    g_string_append_printf(log->line, "%u, 0x%016" PRIx64 ", %s", vcpu, r->pc, r->disas);
}

static void mem_access(unsigned vcpu, ProteusMemInfo info, uint64_t vaddr, void *userdata)
{
    VcpuLog *log = proteus_scoreboard_find(logs, vcpu);

    if (log->line) {
        g_string_append_printf(log->line, ", %s 0x%" PRIx64,
                               proteus_mem_is_store(info) ? "store" : "load", vaddr);
    }
}

static InsnRecord *new_record(const ProteusInsn *insn)
{
    InsnRecord *r = g_new(InsnRecord, 1);
    char *d = proteus_insn_disas(insn);

    r->pc = proteus_insn_vaddr(insn);
    r->disas = g_strdup(d ? d : "?");
    free(d);
    g_mutex_lock(&lock);
    g_ptr_array_add(records, r);
    g_mutex_unlock(&lock);
    return r;
}

static void tb_trans(proteus_plugin_id id, ProteusTB *tb)
{
    size_t n = proteus_tb_n_insns(tb);
    ProteusCbFlags flags = reg_names->len ? PROTEUS_CB_R_REGS : PROTEUS_CB_NO_REGS;

    for (size_t i = 0; i < n; i++) {
        ProteusInsn *insn = proteus_tb_insn(tb, i);
        proteus_register_insn_exec_cb(insn, insn_exec, flags, new_record(insn));
        proteus_register_insn_mem_cb(insn, mem_access, PROTEUS_CB_NO_REGS,
                                     PROTEUS_MEM_RW, NULL);
    }
}

static void flush_all(proteus_plugin_id id, void *userdata)
{
    unsigned vcpus = proteus_plugin_num_vcpus();

    for (unsigned v = 0; v < vcpus; v++) {
        flush_line(proteus_scoreboard_find(logs, v));
    }
}

int proteus_plugin_install(proteus_plugin_id id, const ProteusPluginInfo *info,
                           int argc, char **argv)
{
    reg_names = g_ptr_array_new_with_free_func(g_free);
    const PluginArg args[] = {
        { "reg", PLUGIN_ARG_LIST, reg_names },
        { NULL },
    };

    if (!plugin_parse_args("execlog", args, argc, argv)) {
        return 1;
    }
    reg_missing = g_new0(bool, reg_names->len);
    records = g_ptr_array_new();
    logs = proteus_scoreboard_new(sizeof(VcpuLog));
    proteus_plugin_register_tb_trans_cb(id, tb_trans);
    proteus_plugin_register_atexit_cb(id, flush_all, NULL);
    return 0;
}
