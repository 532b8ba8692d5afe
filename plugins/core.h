/*
 * The emulator's side of instrumentation plugins (plugins/core.c and
 * accel/tcg/plugin-gen.c): loading them, and the hooks the exec loop, the
 * translator and the syscall layer call. Every hook is behind a test of
 * plugins_active, so with no plugin loaded nothing else runs.
 */
#ifndef PROTEUS_PLUGINS_CORE_H
#define PROTEUS_PLUGINS_CORE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "proteus/cpu.h"
#include "proteus/plugin.h"
#include "proteus/translator.h"

/* Some plugin is loaded (set before any CPU runs, never cleared). */
extern bool plugins_active;

/*
 * Loads "PATH[,name=value...]" and runs its install function. Every
 * failure (no file, not a plugin, a refused version, install refusing its
 * arguments) is an error naming the plugin. target: the guest architecture.
 */
bool plugin_load(const char *spec, const char *target, bool system_mode, GError **errp);
/* User mode: the program, for proteus_plugin_program_path(). */
void plugin_set_program_path(const char *path);

/* ---- hooks (call only when plugins_active) ---- */

void plugin_vcpu_init(CPUState *cpu);
void plugin_vcpu_exit(CPUState *cpu);
void plugin_vcpu_idle(CPUState *cpu);
void plugin_vcpu_resume(CPUState *cpu);
void plugin_flush(void);
void plugin_syscall(CPUState *cpu, int64_t num, const uint64_t args[6]);
void plugin_syscall_ret(CPUState *cpu, int64_t num, int64_t ret);
void plugin_discon(CPUState *cpu, ProteusDiscon type, uint64_t from_pc, uint64_t to_pc);
/* Runs the atexit callbacks once (later calls do nothing). */
void plugin_atexit(void);

/* ---- translation (accel/tcg/plugin-gen.c) ---- */

/* Translates tb with cc->translate_code, asking the plugins what to add. */
void plugin_gen_tb(CPUState *cpu, IRContext *ir, TranslationBlock *tb, int max_insns);
/* From translator_loop: the TB's start (after the exit check), before and
 * after each instruction. */
void plugin_gen_tb_start(DisasContextBase *db);
void plugin_gen_insn_before(DisasContextBase *db);
void plugin_gen_insn_after(DisasContextBase *db);
/* The thread's plugin translation in progress (DisasContextBase.plugin). */
void *plugin_gen_current(void);
/* From translator_insn_bytes. */
void plugin_gen_insn_bytes(DisasContextBase *db, const void *bytes, unsigned len);

/* ---- what plugin-gen.c needs from core.c ---- */

/* The tb_trans callbacks of every plugin, on tb. */
void plugin_tb_trans(ProteusTB *tb);
/* The vCPU whose callback is running on this thread (NULL outside). */
CPUState *plugin_current_cpu(void);
void plugin_set_current_cpu(CPUState *cpu);
/* Element address of a scoreboard entry for vCPU 0, and the element size:
 * generated code adds cpu_index * size. */
uintptr_t plugin_u64_base(ProteusU64 entry, size_t *elem_size);

#endif
