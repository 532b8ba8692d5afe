/*
 * The translation pipeline: frontend → IR → optimizer → validator →
 * backend, one TB at a time, plus the generic translator loop that drives
 * a frontend's TranslatorOps, backend selection, and flushing when the
 * code buffer is full.
 *
 * Each translating thread has its own IRContext (the frontend's globals
 * registered once in it); the backend's code buffer is shared, so
 * translation runs under tb_lock. Logging: -d in_asm (the frontend's
 * disassembly), -d op (IR as the frontend made it), -d op_opt (after the
 * optimizer); -d out_asm is the backend's.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>

#include "accel/tcg/tb-internal.h"
#include "proteus/debug.h"
#include "proteus/error.h"
#include "proteus/log.h"
#include "plugins/core.h"

#ifdef NDEBUG
static bool tcg_validate = false;
#else
static bool tcg_validate = true;
#endif
static bool tcg_optimize = true;

bool (*translator_user_code_ok)(uint64_t addr, uint64_t len);

void tcg_set_validate(bool on)
{
    tcg_validate = on;
}

void tcg_set_optimize(bool on)
{
    tcg_optimize = on;
}

const IRBackend *tcg_backend(void)
{
    return tcg_cur_backend;
}

/* ---- logging ---- */

/* Log output goes through log_printf; dumpers want a FILE. */
typedef struct LogBuffer {
    FILE *f;
    char *text;
    size_t len;
} LogBuffer;

static FILE *log_buffer_open(LogBuffer *b)
{
    b->text = NULL;
    b->f = open_memstream(&b->text, &b->len);
    g_assert(b->f != NULL);
    return b->f;
}

static void log_buffer_flush(LogBuffer *b)
{
    fclose(b->f);
    log_printf("%s", b->text);
    free(b->text);
}

static void log_ir(const char *title, const TranslationBlock *tb, IRContext *ir)
{
    LogBuffer b;
    FILE *f = log_buffer_open(&b);

    fprintf(f, "%s: TB 0x%016" PRIx64 " flags 0x%x\n", title, tb->pc, tb->flags);
    ir_dump(ir, f);
    fputc('\n', f);
    log_buffer_flush(&b);
}

static void tb_stats_atexit(void)
{
    if (log_enabled(LOG_TB_STATS) && tcg_cur_backend) {
        LogBuffer b;

        tb_stats_print(log_buffer_open(&b));
        log_buffer_flush(&b);
    }
}

/* ---- the translator loop ---- */

void translator_loop(CPUState *cpu, IRContext *ir, TranslationBlock *tb, int max_insns,
                     const TranslatorOps *ops, DisasContextBase *db)
{
    IRLabel exit_label;
    IRv32 flag;

    db->tb = tb;
    db->ir = ir;
    db->pc_first = tb->pc;
    db->pc_next = tb->pc;
    db->is_jmp = DISAS_NEXT;
    db->num_insns = 0;
    db->max_insns = max_insns;
    ops->init_disas_context(db, cpu);
    g_assert(db->max_insns >= 1);
    /* A single-step TB must not run its instruction twice, and a loop
     * back to a breakpoint would pass it by. */
    db->can_loop = db->max_insns > 1 && tcg_breakpoint_count == 0;
    db->plugin = G_UNLIKELY(plugins_active) ? plugin_gen_current() : NULL;

    /* Leave before the first instruction when another thread asked
     * (cpu_exit, an interrupt, an exclusive section): this is what stops a
     * chained loop that never returns to the exec loop by itself. */
    db->top_label = ir_label_new(ir);
    ir_set_label(ir, db->top_label);
    exit_label = ir_label_new(ir);
    flag = ir_temp_new_i32(ir);
    ir_ld_i32(ir, flag, ir_env(ir), offsetof(CPUState, tb_exit_flag));
    ir_brcond_i32(ir, IR_COND_NE, flag, ir_const_i32(ir, 0), exit_label);

    if (ops->tb_start) {
        ops->tb_start(db, cpu);
    }
    if (G_UNLIKELY(db->plugin)) {
        plugin_gen_tb_start(db);
    }
    for (;;) {
        db->num_insns++;
        ops->insn_start(db, cpu);
        if (G_UNLIKELY(db->plugin)) {
            plugin_gen_insn_before(db);
            ops->translate_insn(db, cpu);
            plugin_gen_insn_after(db);
        } else {
            ops->translate_insn(db, cpu);
        }
        if (db->is_jmp != DISAS_NEXT) {
            break;
        }
        if (db->num_insns >= db->max_insns ||
            ((db->pc_next ^ db->pc_first) & TB_PAGE_MASK) != 0 ||
            G_UNLIKELY(tcg_breakpoint_count && cpu_breakpoint_at(db->pc_next))) {
            /* a breakpoint starts a TB, where the exec loop checks it */
            db->is_jmp = DISAS_TOO_MANY;
            break;
        }
    }
    ops->tb_stop(db, cpu);

    ir_set_label(ir, exit_label);
    ir_exit_tb(ir, ir_exit_value(tb, IR_EXIT_REQUESTED));

    tb->size = db->pc_next - db->pc_first;
    tb->icount = db->num_insns;

    if (log_enabled(LOG_IN_ASM) && ops->disas_log) {
        LogBuffer b;
        FILE *f = log_buffer_open(&b);

        fprintf(f, "IN: TB 0x%016" PRIx64 " flags 0x%x, %d insns\n",
                tb->pc, tb->flags, db->num_insns);
        ops->disas_log(db, cpu, f);
        fputc('\n', f);
        log_buffer_flush(&b);
    }
}

void translator_gen_lookup_and_goto_ptr(DisasContextBase *db)
{
    IRContext *ir = db->ir;
    IRv64 code = ir_temp_new_i64(ir);
    IRTempIdx env = ir_env(ir).idx;

    ir_call(ir, &ir_lookup_helper, &code.idx, &env);
    ir_goto_ptr(ir, code);
}

void translator_gen_goto_tb(DisasContextBase *db, unsigned slot, IRv64 pc, uint64_t dest)
{
    IRContext *ir = db->ir;

    g_assert(slot < 2);
    if (translator_use_goto_tb(db, dest)) {
        ir_goto_tb(ir, slot);
        ir_movi_i64(ir, pc, (int64_t)dest);
        ir_exit_tb(ir, ir_exit_value(db->tb, slot));
    } else {
        ir_movi_i64(ir, pc, (int64_t)dest);
        translator_gen_lookup_and_goto_ptr(db);
    }
}

/* ---- per-thread IR contexts ---- */

typedef struct ThreadIR {
    const CPUClass *cc;           /* whose globals ir holds */
    IRContext *ir;
    CachedTB *translating;        /* the TB being made, while tb_lock is held */
} ThreadIR;

static void thread_ir_free(gpointer p)
{
    ThreadIR *t = p;

    if (t->ir) {
        ir_context_free(t->ir);
    }
    g_free(t);
}

static GPrivate thread_ir_key = G_PRIVATE_INIT(thread_ir_free);

static ThreadIR *thread_ir(void)
{
    ThreadIR *t = g_private_get(&thread_ir_key);

    if (!t) {
        t = g_new0(ThreadIR, 1);
        g_private_set(&thread_ir_key, t);
    }
    return t;
}

static IRContext *thread_ir_context(ThreadIR *t, const CPUClass *cc)
{
    if (t->cc != cc) {
        if (t->ir) {
            ir_context_free(t->ir);
        }
        t->ir = ir_context_new();
        cc->init_ir_globals(t->ir);
        t->cc = cc;
    }
    return t->ir;
}

/* ---- the pipeline ---- */

static void tb_check_ir(IRContext *ir, const TranslationBlock *tb, const char *stage)
{
    GError *err = NULL;

    if (!ir_validate(ir, &err)) {
        LogBuffer b;
        FILE *f = log_buffer_open(&b);

        ir_dump(ir, f);
        fclose(f);
        g_error("invalid IR %s, TB 0x%016" PRIx64 " flags 0x%x: %s\n%s",
                stage, tb->pc, tb->flags, err->message, b.text);
    }
}

/* The insn_start words of the TB's first instruction, for a requested exit. */
static void tb_record_first_insn(IRContext *ir, CachedTB *ctb)
{
    for (guint i = 0; i < ir_op_count(ir); i++) {
        const IROp *op = ir_op(ir, i);

        if (op->opc == IR_OP_insn_start) {
            ctb->first_insn[0] = op->args[0];
            ctb->first_insn[1] = op->args[1];
            ctb->first_insn[2] = op->args[2];
            return;
        }
    }
    g_error("TB 0x%016" PRIx64 " has no insn_start", ctb->tb.pc);
}

/* Frontend to IR, checked and optimized; tb_lock held. */
static void tb_translate_ir(CPUState *cpu, IRContext *ir, CachedTB *ctb, int max_insns)
{
    TranslationBlock *tb = &ctb->tb;

    ir_reset(ir);
    if (G_UNLIKELY(plugins_active)) {
        plugin_gen_tb(cpu, ir, tb, max_insns);
    } else {
        cpu->cc->translate_code(cpu, ir, tb, max_insns);
    }
    g_assert(tb->icount > 0);
    tb_record_first_insn(ir, ctb);

    if (log_enabled(LOG_OP)) {
        log_ir("OP", tb, ir);
    }
    if (tcg_validate) {
        tb_check_ir(ir, tb, "from the frontend");
    }
    if (tcg_optimize) {
        ir_optimize(ir);
        if (log_enabled(LOG_OP_OPT)) {
            log_ir("OP after optimization", tb, ir);
        }
        if (tcg_validate) {
            tb_check_ir(ir, tb, "from the optimizer");
        }
    }
}

/* Translates (pc, flags) (max_insns 1: a single-step TB, never cached);
 * a cached TB is found again if another thread just made it. */
static TranslationBlock *tb_gen_code_n(CPUState *cpu, uint64_t pc, uint32_t flags,
                                       int max_insns)
{
    ThreadIR *t = thread_ir();
    IRContext *ir = thread_ir_context(t, cpu->cc);
    unsigned failed_after_flush = 0;
    TranslationBlock *found;
    CachedTB *ctb;
    bool cached = max_insns > 1;

    g_mutex_lock(&tb_lock);
    for (;;) {
        found = cached ? tb_lookup_locked(pc, flags) : NULL;
        if (found) {
            /* another thread translated it while we waited for the lock */
            g_mutex_unlock(&tb_lock);
            return found;
        }
        if (tb_cache_full_locked()) {
            g_mutex_unlock(&tb_lock);
            tb_flush_exclusive(cpu);
            g_mutex_lock(&tb_lock);
            continue;
        }

        ctb = tb_alloc_locked(pc, flags);
        t->translating = ctb;
        tb_translate_ir(cpu, ir, ctb, max_insns);
        t->translating = NULL;

        if (tcg_cur_backend->gen_code(ir, &ctb->tb)) {
            break;
        }
        /* The code buffer is full: start over from an empty one. */
        tb_free_unused_locked(ctb);
        if (++failed_after_flush > 2) {
            g_error("TB 0x%016" PRIx64 " does not fit in an empty code buffer", pc);
        }
        g_mutex_unlock(&tb_lock);
        tb_flush_exclusive(cpu);
        g_mutex_lock(&tb_lock);
    }

    if (cached) {
        tb_insert_locked(ctb);
    } else {
        tb_retain_uncached_locked(ctb);
    }
    tb_global_stats.tbs_translated++;
    tb_global_stats.insns_translated += ctb->tb.icount;
    tb_global_stats.host_bytes += ctb->tb.host_size;
    g_mutex_unlock(&tb_lock);
    return &ctb->tb;
}

TranslationBlock *tb_gen_code(CPUState *cpu, uint64_t pc, uint32_t flags)
{
    return tb_gen_code_n(cpu, pc, flags, TB_MAX_INSNS);
}

TranslationBlock *tb_gen_code_single(CPUState *cpu, uint64_t pc, uint32_t flags)
{
    return tb_gen_code_n(cpu, pc, flags, 1);
}

bool tb_gen_code_cancel(void)
{
    ThreadIR *t = g_private_get(&thread_ir_key);

    if (!t || !t->translating) {
        return false;
    }
    tb_free_unused_locked(t->translating);
    t->translating = NULL;
    ir_reset(t->ir);
    g_mutex_unlock(&tb_lock);
    return true;
}

void tb_flush_exclusive(CPUState *cpu)
{
    /* (already exclusive, e.g. a user-mode debugger stopped every thread) */
    bool nested = cpu_in_exclusive();

    if (!nested) {
        start_exclusive(cpu);
    }
    g_mutex_lock(&tb_lock);
    tb_flush_all_locked();
    g_mutex_unlock(&tb_lock);
    if (!nested) {
        end_exclusive(cpu);
    }
}

void tb_flush(CPUState *cpu)
{
    if (tcg_cur_backend) {
        tb_flush_exclusive(cpu);
    }
}

/* ---- set-up ---- */

bool tcg_exec_init(const IRBackend *backend, GError **errp)
{
    static GMutex init_lock;
    static const IRBackend *initialised[8];
    static bool atexit_done;
    bool ok = true;

    g_mutex_lock(&init_lock);
    for (unsigned i = 0;; i++) {
        g_assert(i < G_N_ELEMENTS(initialised));
        if (initialised[i] == backend) {
            break;
        }
        if (!initialised[i]) {
            if (backend->init && !backend->init(errp)) {
                ok = false;
                break;
            }
            initialised[i] = backend;
            break;
        }
    }
    if (ok && tcg_cur_backend != backend) {
        tb_cache_init();
        if (tcg_cur_backend) {
            /* the old backend's code goes with it */
            tb_flush_exclusive(NULL);
        }
        tcg_cur_backend = backend;
        cpu_exec_init_lookup();
        if (!atexit_done) {
            atexit(tb_stats_atexit);
            atexit_done = true;
        }
    }
    g_mutex_unlock(&init_lock);
    return ok;
}
