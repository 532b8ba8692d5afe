/*
 * The CPU exec loop: find the TB for the CPU's (pc, flags), translate it
 * on a miss, chain the TB that just exited through a goto_tb slot to it,
 * run it, and handle whatever made generated code return: an exception
 * raised by a helper (restored to the precise guest instruction), an exit
 * request from another thread, an interrupt, a halt.
 *
 * The loop runs on every TB exit that chaining and goto_ptr did not
 * avoid, so the common path is: three flag tests, get_tb_cpu_state, a
 * jump-cache probe, exec. Everything else is out of line.
 *
 * Also here: the CPU list, and exclusive sections (a flush stops every
 * other vCPU at a TB boundary first).
 */
#include <inttypes.h>
#include <string.h>

#include "accel/tcg/tb-internal.h"
#include "proteus/debug.h"
#include "proteus/log.h"
#include "plugins/core.h"

/* ---- the CPU list and exclusive sections ----
 *
 * One lock for both: the list, how many CPUs are inside cpu_exec(), and
 * whether an exclusive section is pending or running.
 */
static GMutex cpu_list_lock;
static GCond exclusive_cond;         /* a running CPU stopped */
static GCond exclusive_resume;       /* the exclusive section ended */
static GPtrArray *cpu_list;          /* CPUState * */
static int next_cpu_index;
static int running_cpus;
static int exclusive_pending;        /* also read without the lock by the loop */
static CPUExecStats retired_stats;

/* The CPU that start_exclusive() took out of the running count. */
static __thread CPUState *exclusive_paused_self;
/* This thread is inside start_exclusive() .. end_exclusive(). */
static __thread bool exclusive_owner;

bool cpu_in_exclusive(void)
{
    return exclusive_owner;
}

void cpu_state_init(CPUState *cpu, const CPUClass *cc)
{
    cpu->cc = cc;
    cpu->exception_index = EXCP_NONE;
    cpu->jmp_cache = g_new0(CPUJumpCache, 1);
    /* A zeroed TLB is not empty: it would map guest page 0 to host address 0. */
    tlb_flush(cpu);
    g_mutex_lock(&cpu_list_lock);
    if (!cpu_list) {
        cpu_list = g_ptr_array_new();
    }
    cpu->cpu_index = next_cpu_index++;
    g_ptr_array_add(cpu_list, cpu);
    g_mutex_unlock(&cpu_list_lock);
    if (G_UNLIKELY(plugins_active)) {
        plugin_vcpu_init(cpu);
    }
}

static void cpu_exec_stats_add(CPUExecStats *sum, const CPUExecStats *s)
{
    sum->execs += s->execs;
    sum->jc_hits += s->jc_hits;
    sum->hash_hits += s->hash_hits;
    sum->misses += s->misses;
    sum->ptr_lookups += s->ptr_lookups;
    sum->ptr_hits += s->ptr_hits;
    sum->exceptions += s->exceptions;
    sum->interrupts += s->interrupts;
}

void cpu_state_finalize(CPUState *cpu)
{
    g_assert(!cpu->running);
    if (G_UNLIKELY(plugins_active)) {
        plugin_vcpu_exit(cpu);
    }
    /* tb_lock first: an invalidation may be walking the jump caches */
    g_mutex_lock(&tb_lock);
    g_mutex_lock(&cpu_list_lock);
    g_ptr_array_remove(cpu_list, cpu);
    cpu_exec_stats_add(&retired_stats, &cpu->stats);
    g_mutex_unlock(&cpu_list_lock);
    g_mutex_unlock(&tb_lock);
    g_free(cpu->jmp_cache);
    cpu->jmp_cache = NULL;
}

void cpu_reset(CPUState *cpu)
{
    if (cpu->cc->reset) {
        cpu->cc->reset(cpu);
    }
    cpu->exception_index = EXCP_NONE;
    cpu->halted = 0;
    __atomic_store_n(&cpu->interrupt_request, 0, __ATOMIC_SEQ_CST);
}

void cpu_list_foreach(void (*fn)(CPUState *cpu, void *opaque), void *opaque)
{
    g_mutex_lock(&cpu_list_lock);
    for (guint i = 0; cpu_list && i < cpu_list->len; i++) {
        fn(g_ptr_array_index(cpu_list, i), opaque);
    }
    g_mutex_unlock(&cpu_list_lock);
}

void cpu_exec_stats_add_retired(CPUExecStats *sum)
{
    g_mutex_lock(&cpu_list_lock);
    cpu_exec_stats_add(sum, &retired_stats);
    g_mutex_unlock(&cpu_list_lock);
}

void cpu_exec_stats_reset_all(void)
{
    g_mutex_lock(&cpu_list_lock);
    for (guint i = 0; cpu_list && i < cpu_list->len; i++) {
        CPUState *cpu = g_ptr_array_index(cpu_list, i);

        memset(&cpu->stats, 0, sizeof(cpu->stats));
    }
    memset(&retired_stats, 0, sizeof(retired_stats));
    g_mutex_unlock(&cpu_list_lock);
}

static void cpu_exec_enter(CPUState *cpu)
{
    g_mutex_lock(&cpu_list_lock);
    while (exclusive_pending) {
        g_cond_wait(&exclusive_resume, &cpu_list_lock);
    }
    cpu->running = true;
    running_cpus++;
    g_mutex_unlock(&cpu_list_lock);
}

static void cpu_exec_leave(CPUState *cpu)
{
    g_mutex_lock(&cpu_list_lock);
    cpu->running = false;
    running_cpus--;
    if (exclusive_pending) {
        g_cond_broadcast(&exclusive_cond);
    }
    g_mutex_unlock(&cpu_list_lock);
}

void start_exclusive(CPUState *cpu)
{
    g_mutex_lock(&cpu_list_lock);
    if (cpu && cpu->running) {
        cpu->running = false;
        running_cpus--;
        exclusive_paused_self = cpu;
        g_cond_broadcast(&exclusive_cond);
    }
    while (exclusive_pending) {
        g_cond_wait(&exclusive_resume, &cpu_list_lock);
    }
    __atomic_store_n(&exclusive_pending, 1, __ATOMIC_SEQ_CST);
    for (guint i = 0; cpu_list && i < cpu_list->len; i++) {
        CPUState *other = g_ptr_array_index(cpu_list, i);

        if (other->running) {
            __atomic_store_n(&other->tb_exit_flag, 1, __ATOMIC_SEQ_CST);
        }
    }
    while (running_cpus > 0) {
        g_cond_wait(&exclusive_cond, &cpu_list_lock);
    }
    exclusive_owner = true;
    g_mutex_unlock(&cpu_list_lock);
}

void end_exclusive(CPUState *cpu)
{
    g_mutex_lock(&cpu_list_lock);
    __atomic_store_n(&exclusive_pending, 0, __ATOMIC_SEQ_CST);
    exclusive_owner = false;
    g_cond_broadcast(&exclusive_resume);
    if (exclusive_paused_self) {
        g_assert(exclusive_paused_self == cpu);
        cpu->running = true;
        running_cpus++;
        exclusive_paused_self = NULL;
    }
    g_mutex_unlock(&cpu_list_lock);
}

/* ---- requests from other threads ---- */

void cpu_exit(CPUState *cpu)
{
    __atomic_store_n(&cpu->exit_request, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&cpu->tb_exit_flag, 1, __ATOMIC_SEQ_CST);
}

void (*cpu_interrupt_wake_hook)(CPUState *cpu);

void cpu_interrupt(CPUState *cpu, uint32_t mask)
{
    void (*wake)(CPUState *cpu) = __atomic_load_n(&cpu_interrupt_wake_hook, __ATOMIC_ACQUIRE);

    __atomic_or_fetch(&cpu->interrupt_request, mask, __ATOMIC_SEQ_CST);
    __atomic_store_n(&cpu->tb_exit_flag, 1, __ATOMIC_SEQ_CST);
    if (wake) {
        wake(cpu);
    }
}

void cpu_reset_interrupt(CPUState *cpu, uint32_t mask)
{
    __atomic_and_fetch(&cpu->interrupt_request, ~mask, __ATOMIC_SEQ_CST);
}

/* ---- leaving generated code from helpers ---- */

void cpu_loop_exit_restore(CPUState *cpu, uintptr_t retaddr)
{
    g_assert(retaddr != 0);
    ir_raise(retaddr);
}

void cpu_loop_exit(CPUState *cpu)
{
    /* retaddr 0: nothing to restore */
    ir_raise(0);
}

/* After a raise: put the guest state back to the raising instruction. */
static void cpu_exec_unwind(CPUState *cpu, const IRExecFrame *frame)
{
    const TranslationBlock *tb;
    uint64_t words[3];

    if (tb_gen_code_cancel()) {
        /* raised by the frontend, e.g. a fetch fault: no TB ran */
        return;
    }
    if (frame->retaddr == 0) {
        return;
    }
    if (!tcg_cur_backend->find_insn(frame->retaddr, &tb, words)) {
        g_error("cpu %d: a helper raised from host address %p, which is in no TB",
                cpu->cpu_index, (void *)frame->retaddr);
    }
    cpu->cc->restore_state_to_opc(cpu, tb, words);
}

/* ---- the loop's slow paths ---- */

/* true: return ret from cpu_exec(). */
static bool cpu_handle_exception(CPUState *cpu, int *ret)
{
    int excp = cpu->exception_index;

    cpu->stats.exceptions++;
    if (excp >= EXCP_FIRST_INTERNAL || cpu->exit_on_exception || !cpu->cc->do_interrupt) {
        log_mask(LOG_INT, "cpu %d: exception 0x%x returned to the caller\n",
                 cpu->cpu_index, excp);
        cpu->exception_index = EXCP_NONE;
        *ret = excp;
        return true;
    }
    log_mask(LOG_INT, "cpu %d: exception 0x%x at pc 0x%016" PRIx64 "\n", cpu->cpu_index,
             excp, cpu->cc->get_pc ? cpu->cc->get_pc(cpu) : 0);
    if (G_UNLIKELY(plugins_active)) {
        uint64_t from = cpu->cc->get_pc(cpu);

        cpu->cc->do_interrupt(cpu);
        plugin_discon(cpu, PROTEUS_DISCON_EXCEPTION, from, cpu->cc->get_pc(cpu));
    } else {
        cpu->cc->do_interrupt(cpu);
    }
    /* a step that trapped stops at the handler's first instruction */
    cpu->step_done |= cpu->singlestep;
    cpu->exception_index = EXCP_NONE;
    return false;
}

/* tb_exit_flag was set: true if cpu_exec() should return EXCP_INTERRUPT. */
static bool cpu_handle_exit_flag(CPUState *cpu)
{
    __atomic_store_n(&cpu->tb_exit_flag, 0, __ATOMIC_SEQ_CST);
    /* the requests were written before the flag, so they are visible now */
    if (__atomic_load_n(&exclusive_pending, __ATOMIC_SEQ_CST)) {
        cpu_exec_leave(cpu);
        cpu_exec_enter(cpu);
    }
    return __atomic_exchange_n(&cpu->exit_request, 0, __ATOMIC_SEQ_CST) != 0;
}

static void cpu_handle_interrupt(CPUState *cpu)
{
    uint32_t req = __atomic_load_n(&cpu->interrupt_request, __ATOMIC_SEQ_CST);
    uint64_t from;

    if (req & CPU_INTERRUPT_EXITTB) {
        /* only asked for a fresh look at the TB flags, which the next
         * lookup does anyway */
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_EXITTB);
        req &= ~CPU_INTERRUPT_EXITTB;
    }
    /* the pc before, for plugins */
    from = G_UNLIKELY(plugins_active) ? cpu->cc->get_pc(cpu) : 0;
    if (req && cpu->cc->exec_interrupt && cpu->cc->exec_interrupt(cpu, req)) {
        if (G_UNLIKELY(plugins_active)) {
            plugin_discon(cpu, PROTEUS_DISCON_INTERRUPT, from, cpu->cc->get_pc(cpu));
        }
        cpu->stats.interrupts++;
        log_mask(LOG_INT, "cpu %d: interrupt 0x%x taken\n", cpu->cpu_index, req);
    }
}

static void cpu_log_exec(CPUState *cpu, const TranslationBlock *tb)
{
    if (log_enabled(LOG_EXEC)) {
        log_printf("Trace cpu %d: TB 0x%016" PRIx64 " flags 0x%x (%u insns)\n",
                   cpu->cpu_index, tb->pc, tb->flags, tb->icount);
    }
    if (log_enabled(LOG_CPU) && cpu->cc->dump_state) {
        char *text = NULL;
        size_t len;
        FILE *f = open_memstream(&text, &len);

        g_assert(f != NULL);
        cpu->cc->dump_state(cpu, f, 0);
        fclose(f);
        log_printf("%s", text);
        free(text);
    }
}

/* ---- finding the next TB ---- */

/* A debugger needs every TB start to pass the loop's checks. */
static inline bool cpu_debugging(CPUState *cpu)
{
    return tcg_breakpoint_count > 0 || cpu->singlestep || cpu->watch_step;
}

static inline TranslationBlock *tb_find(CPUState *cpu, uint64_t pc, uint32_t flags)
{
    TranslationBlock *tb = tb_jmp_cache_get(cpu, pc, flags);

    if (G_LIKELY(tb)) {
        cpu->stats.jc_hits++;
        return tb;
    }
    tb = tb_lookup(pc, flags);
    if (tb) {
        cpu->stats.hash_hits++;
    } else {
        cpu->stats.misses++;
        tb = tb_gen_code(cpu, pc, flags);
    }
    tb_jmp_cache_set(cpu, tb);
    return tb;
}

/* goto_ptr's lookup, called from generated code: stay there when the
 * next TB is already translated. */
static const void *cpu_exec_lookup_tb_code(void *env)
{
    CPUState *cpu = env;
    TranslationBlock *tb;
    uint64_t pc;
    uint32_t flags;

    cpu->stats.ptr_lookups++;
    if (G_UNLIKELY(log_enabled(LOG_EXEC | LOG_CPU) || cpu_debugging(cpu))) {
        /* through the loop, so that every TB is logged or checked */
        return NULL;
    }
    cpu->cc->get_tb_cpu_state(cpu, &pc, &flags);
    tb = tb_jmp_cache_get(cpu, pc, flags);
    if (!tb) {
        tb = tb_lookup(pc, flags);
        if (!tb) {
            return NULL;
        }
        tb_jmp_cache_set(cpu, tb);
    }
    cpu->stats.ptr_hits++;
    return tb->host_code;
}

void cpu_exec_init_lookup(void)
{
    ir_lookup_tb_code = cpu_exec_lookup_tb_code;
}

/* ---- the loop ---- */

/*
 * The loop's debug path, before running the TB at (pc, flags): true to
 * return EXCP_DEBUG. A step (or a watchpoint's instruction) runs here,
 * translated alone; the next pass then stops.
 */
static bool cpu_exec_debug(CPUState *cpu, uint64_t pc, uint32_t flags)
{
    TranslationBlock *tb;
    uint64_t exit;

    if (cpu_debug_stop_check(cpu, pc)) {
        return true;
    }
    if (!cpu->singlestep && !cpu->watch_step) {
        return false;
    }
    tb = tb_gen_code_single(cpu, pc, flags);
    /* set first: if the instruction traps, the stop comes after delivery */
    cpu->step_done = true;
    cpu->stats.execs++;
    exit = tcg_cur_backend->exec(cpu, tb);
    if ((exit & IR_EXIT_SLOT_MASK) >= IR_EXIT_REQUESTED) {
        /* left at its entry check: the instruction has not run yet */
        cpu->step_done = false;
        cpu->cc->restore_state_to_opc(cpu, tb, cached_tb(tb)->first_insn);
    }
    return false;
}

static int cpu_exec_loop(CPUState *cpu)
{
    const CPUClass *cc = cpu->cc;
    const IRBackend *backend = tcg_cur_backend;
    unsigned flush_gen = __atomic_load_n(&tb_flush_generation, __ATOMIC_ACQUIRE);
    TranslationBlock *last_tb = NULL;
    unsigned last_slot = 0;
    int ret;

    for (;;) {
        TranslationBlock *tb;
        uint64_t pc, exit;
        uint32_t flags;
        unsigned gen;

        if (G_UNLIKELY(cpu->exception_index != EXCP_NONE)) {
            if (cpu_handle_exception(cpu, &ret)) {
                return ret;
            }
            last_tb = NULL;
        }
        if (G_UNLIKELY(__atomic_load_n(&cpu->tb_exit_flag, __ATOMIC_RELAXED))) {
            if (cpu_handle_exit_flag(cpu)) {
                return EXCP_INTERRUPT;
            }
            last_tb = NULL;
        }
        if (G_UNLIKELY(__atomic_load_n(&cpu->interrupt_request, __ATOMIC_RELAXED)) &&
            !cpu->singlestep && !cpu->watch_step) {
            /* (a step does not wander into an interrupt handler) */
            cpu_handle_interrupt(cpu);
            last_tb = NULL;
        }

        cc->get_tb_cpu_state(cpu, &pc, &flags);
        if (G_UNLIKELY(cpu_debugging(cpu))) {
            last_tb = NULL;
            if (cpu_exec_debug(cpu, pc, flags)) {
                return EXCP_DEBUG;
            }
            if (cpu->step_done) {
                /* the single instruction ran: stop at the next pass */
                continue;
            }
        }
        tb = tb_find(cpu, pc, flags);
        gen = __atomic_load_n(&tb_flush_generation, __ATOMIC_ACQUIRE);
        if (G_UNLIKELY(gen != flush_gen)) {
            /* our own translation flushed the cache: last_tb is gone */
            flush_gen = gen;
            last_tb = NULL;
        }
        if (G_UNLIKELY(log_enabled(LOG_EXEC | LOG_CPU))) {
            /* no chaining, so that every TB run passes here */
            cpu_log_exec(cpu, tb);
        } else if (last_tb) {
            tb_add_jump(last_tb, last_slot, tb);
        }

        cpu->stats.execs++;
        exit = backend->exec(cpu, tb);
        last_tb = (TranslationBlock *)(uintptr_t)(exit & ~(uint64_t)IR_EXIT_SLOT_MASK);
        last_slot = exit & IR_EXIT_SLOT_MASK;
        if (G_UNLIKELY(last_slot >= IR_EXIT_REQUESTED)) {
            /* It left at its entry check, before its first instruction;
             * a chained entry did not store the pc. */
            if (last_tb) {
                cc->restore_state_to_opc(cpu, last_tb, cached_tb(last_tb)->first_insn);
            }
            last_tb = NULL;
        }
    }
}

int cpu_exec(CPUState *cpu)
{
    IRExecFrame frame;
    IRExecFrame *outer = ir_exec_frame();
    int ret;

    g_assert(tcg_cur_backend != NULL);
    if (cpu->halted) {
        if (!__atomic_load_n(&cpu->interrupt_request, __ATOMIC_SEQ_CST)) {
            return EXCP_HLT;
        }
        cpu->halted = 0;
        if (G_UNLIKELY(plugins_active)) {
            plugin_vcpu_resume(cpu);
        }
    }

    cpu_exec_enter(cpu);
    ir_exec_frame_set(&frame);
    if (sigsetjmp(frame.jmp, 0) != 0) {
        /* a helper (or the frontend) raised: back into a fresh loop */
        cpu_exec_unwind(cpu, &frame);
    }
    ret = cpu_exec_loop(cpu);
    ir_exec_frame_set(outer);
    cpu_exec_leave(cpu);
    if (G_UNLIKELY(plugins_active) && ret == EXCP_HLT) {
        plugin_vcpu_idle(cpu);
    }
    return ret;
}
