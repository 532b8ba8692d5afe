/*
 * Running the machine's CPUs in system mode (proteus/cpus.h): one host
 * thread per registered vCPU (or, with thread=single, one thread taking
 * them in turn), pausing and resuming them, stopping them at exit, and the
 * guest's shutdown and reset requests.
 *
 * A vCPU thread alternates between cpu_exec(), which runs guest code
 * without the BQL (the softmmu slow path takes it for device accesses), and
 * group_wait_runnable(), where it sleeps on vcpu_cond while the machine is
 * paused or while its CPUs are halted with no interrupt_request bit set. So
 * an idle guest costs no host CPU: nothing polls. Everything that can make
 * a sleeping vCPU runnable wakes it:
 *  - cpu_interrupt() calls cpu_interrupt_wake_hook (vcpus_wake_sleepers);
 *  - cpus_resume(), cpus_stop() and a reset change the state under
 *    cpus_lock and broadcast vcpu_cond.
 * A lost wake-up is impossible: a vCPU announces itself in `sleepers`
 * (seq_cst) before it looks at interrupt_request a last time, and
 * cpu_interrupt() sets the bits (seq_cst) before it reads `sleepers`; so
 * either the vCPU sees the bits, or the waker sees the sleeper and
 * broadcasts under cpus_lock, which the vCPU holds until it waits.
 *
 * Pausing: cpus_pause() raises pause_depth, kicks every vCPU out of
 * cpu_exec() (cpu_exit) and out of its halt sleep, then waits until each
 * thread has "parked": it is in group_wait_runnable(), outside cpu_exec(),
 * and stays there until the depth drops to zero. The caller holds the BQL,
 * which is dropped during that wait, since a vCPU may be blocked on it in
 * an MMIO access that it must finish before it can park.
 *
 * Lock order: the BQL, then cpus_lock (never the BQL while cpus_lock is
 * held; cpus_pause and cpus_stop drop both before taking the BQL again).
 */
#include <stdio.h>
#include <unistd.h>

#include "proteus/cpus.h"
#include "proteus/log.h"
#include "proteus/machine.h"
#include "proteus/main-loop.h"
#include "proteus/runstate.h"
#include "proteus/translator.h"

typedef struct VCPU {
    CPUState *cpu;
    GThread *thread;            /* NULL while not started */
    bool parked;                /* cpus_lock: waiting outside cpu_exec() while paused */
    bool debug_stop;            /* cpus_lock: stopped at EXCP_DEBUG until cpus_resume() */
    bool held;                  /* cpus_lock: another CPU steps alone (cpus_resume_only) */
    int tid;                    /* atomic: the host thread running it; 0 before that */
    void (*reset_hook)(CPUState *cpu, void *opaque);
    void *reset_opaque;
} VCPU;

static GPtrArray *vcpus;        /* VCPU *, in registration order; changed under the BQL */
static GMutex cpus_lock;
static GCond vcpu_cond;         /* vCPU threads wait here: paused or halted */
static GCond parked_cond;       /* a vCPU parked or ended (cpus_pause, cpus_stop) */
static unsigned pause_depth;    /* cpus_lock: cpus_pause() calls not yet resumed */
static bool stop_requested;     /* cpus_lock */
static bool started;            /* BQL */
static bool single_thread;      /* BQL: one thread runs every vCPU in turn */
static int sleepers;            /* atomic: vCPU threads in (or entering) the halt sleep */

static __thread bool on_vcpu_thread;

/* Busy-waiting guests (cpus_poll_idle): fruitless polls in a row on this
 * thread; a generation that cpus_poll_wakeup() advances. */
static __thread unsigned idle_polls;
static GMutex idle_lock;
static GCond idle_cond;
static uint64_t idle_generation;    /* idle_lock */
static int idle_sleepers;           /* atomic */

/* ---- the registry ---- */

void cpus_register(CPUState *cpu)
{
    VCPU *v = g_new0(VCPU, 1);

    g_assert(!started);
    if (!vcpus) {
        vcpus = g_ptr_array_new_with_free_func(g_free);
    }
    v->cpu = cpu;
    g_ptr_array_add(vcpus, v);
}

static VCPU *vcpu_at(int index)
{
    if (!vcpus || index < 0 || (guint)index >= vcpus->len) {
        return NULL;
    }
    return g_ptr_array_index(vcpus, index);
}

CPUState *cpus_get(int index)
{
    VCPU *v = vcpu_at(index);

    return v ? v->cpu : NULL;
}

int cpus_thread_id(int index)
{
    VCPU *v = vcpu_at(index);

    return v ? __atomic_load_n(&v->tid, __ATOMIC_ACQUIRE) : 0;
}

int cpus_count(void)
{
    return vcpus ? (int)vcpus->len : 0;
}

void cpus_set_reset_hook(CPUState *cpu, void (*hook)(CPUState *cpu, void *opaque),
                         void *opaque)
{
    for (int i = 0; i < cpus_count(); i++) {
        VCPU *v = vcpu_at(i);

        if (v->cpu == cpu) {
            v->reset_hook = hook;
            v->reset_opaque = opaque;
            return;
        }
    }
    g_assert_not_reached();
}

/* ---- the vCPU threads ---- */

/* Halted with nothing that would end the halt. */
static bool vcpu_idle(CPUState *cpu)
{
    return __atomic_load_n(&cpu->halted, __ATOMIC_SEQ_CST) &&
           !__atomic_load_n(&cpu->interrupt_request, __ATOMIC_SEQ_CST);
}

/* ---- busy-waiting guests ---- */

void cpus_poll_idle(bool idle)
{
    if (on_vcpu_thread) {
        idle_polls = idle ? idle_polls + 1 : 0;
    }
}

void cpus_poll_wakeup(void)
{
    if (__atomic_load_n(&idle_sleepers, __ATOMIC_SEQ_CST) == 0) {
        return;
    }
    g_mutex_lock(&idle_lock);
    idle_generation++;
    g_cond_broadcast(&idle_cond);
    g_mutex_unlock(&idle_lock);
}

/* Whether something should end an idle sleep of cpu at once. */
static bool vcpu_idle_interrupted(CPUState *cpu)
{
    return __atomic_load_n(&cpu->interrupt_request, __ATOMIC_SEQ_CST) ||
           __atomic_load_n(&cpu->tb_exit_flag, __ATOMIC_SEQ_CST);
}

/* cpu_mmio_done_hook: on the vCPU's thread, BQL released. */
static void vcpu_mmio_done(CPUState *cpu)
{
    int64_t end;
    uint64_t gen;

    if (!on_vcpu_thread || idle_polls < CPUS_IDLE_POLLS) {
        return;
    }
    g_mutex_lock(&idle_lock);
    __atomic_add_fetch(&idle_sleepers, 1, __ATOMIC_SEQ_CST);
    gen = idle_generation;
    end = g_get_monotonic_time() + CPUS_IDLE_SLEEP_US;
    /* the sleeper is announced before this last look, and wakers set what
     * they signal before they look for sleepers: no wake-up is lost */
    while (gen == idle_generation && !vcpu_idle_interrupted(cpu)) {
        if (!g_cond_wait_until(&idle_cond, &idle_lock, end)) {
            break;
        }
    }
    __atomic_sub_fetch(&idle_sleepers, 1, __ATOMIC_SEQ_CST);
    g_mutex_unlock(&idle_lock);
}

/* cpu_interrupt_wake_hook: any thread, right after the bits were set. */
static void vcpus_wake_sleepers(CPUState *cpu)
{
    cpus_poll_wakeup();
    if (__atomic_load_n(&sleepers, __ATOMIC_SEQ_CST) == 0) {
        return;
    }
    g_mutex_lock(&cpus_lock);
    g_cond_broadcast(&vcpu_cond);
    g_mutex_unlock(&cpus_lock);
}

/* The CPUs one thread runs: its own (thread=multi), or all (single). */
typedef struct VCPUGroup {
    int first, n;
    int next;                   /* round robin: the member to try first */
} VCPUGroup;

static VCPU *group_vcpu(const VCPUGroup *g, int k)
{
    return vcpu_at(g->first + k);
}

static void group_set_parked_locked(const VCPUGroup *g, bool parked)
{
    for (int k = 0; k < g->n; k++) {
        group_vcpu(g, k)->parked = parked;
    }
    if (parked) {
        g_cond_broadcast(&parked_cond);
    }
}

/* The next member that may run guest code, in turn; cpus_lock held. */
static VCPU *group_pick_locked(VCPUGroup *g)
{
    for (int k = 0; k < g->n; k++) {
        int i = (g->next + k) % g->n;
        VCPU *v = group_vcpu(g, i);

        if (!v->debug_stop && !v->held && !vcpu_idle(v->cpu)) {
            g->next = (i + 1) % g->n;
            return v;
        }
    }
    return NULL;
}

/* Waits until a member may run guest code and returns it; NULL when the
 * thread should end. */
static VCPU *group_wait_runnable(VCPUGroup *g)
{
    VCPU *run = NULL;

    g_mutex_lock(&cpus_lock);
    while (!stop_requested && !run) {
        if (pause_depth > 0) {
            group_set_parked_locked(g, true);
            g_cond_wait(&vcpu_cond, &cpus_lock);
            continue;
        }
        group_set_parked_locked(g, false);
        run = group_pick_locked(g);
        if (!run) {
            /* announce, then look again: see the top of the file */
            __atomic_add_fetch(&sleepers, 1, __ATOMIC_SEQ_CST);
            run = group_pick_locked(g);
            if (!run) {
                g_cond_wait(&vcpu_cond, &cpus_lock);
            }
            __atomic_sub_fetch(&sleepers, 1, __ATOMIC_SEQ_CST);
        }
    }
    g_mutex_unlock(&cpus_lock);
    return run;
}

static void (*debug_handler)(CPUState *cpu);

static const CpusAccelOps tcg_accel_ops = { .exec = cpu_exec };
static const CpusAccelOps *accel_ops = &tcg_accel_ops;

void cpus_set_accel_ops(const CpusAccelOps *ops)
{
    g_assert(!started);
    accel_ops = ops;
}

/* cpu_exit, and whatever else the accelerator needs to get the thread out. */
static void vcpu_kick(CPUState *cpu)
{
    cpu_exit(cpu);
    if (accel_ops->kick) {
        accel_ops->kick(cpu);
    }
}

void cpus_set_debug_handler(void (*handler)(CPUState *cpu))
{
    __atomic_store_n(&debug_handler, handler, __ATOMIC_RELEASE);
}

static void vcpu_handle_exit(VCPU *v, int ret)
{
    void (*handler)(CPUState *cpu);

    switch (ret) {
    case EXCP_HLT:          /* group_wait_runnable sleeps until an interrupt */
    case EXCP_INTERRUPT:    /* a kick: it looks at pause and stop requests */
    case EXCP_YIELD:
        break;
    case EXCP_DEBUG:
        /* Stays stopped until resumed (the debugger's business). */
        g_mutex_lock(&cpus_lock);
        v->debug_stop = true;
        g_mutex_unlock(&cpus_lock);
        handler = __atomic_load_n(&debug_handler, __ATOMIC_ACQUIRE);
        if (handler) {
            handler(v->cpu);
        }
        break;
    default:
        /* exit_on_exception is a user-mode setting */
        log_mask(LOG_GUEST_ERROR, "cpu %d: exception 0x%x returned to the vCPU thread\n",
                 v->cpu->cpu_index, ret);
        break;
    }
}

/*
 * thread=single: the kicker ends each turn after RR_SLICE_US, so that a
 * CPU that never halts cannot starve the others. It sleeps untimed
 * whenever no turn is running (an idle guest wakes nobody).
 */
#define RR_SLICE_US 10000

static GThread *rr_thread, *rr_kicker;
static CPUState *rr_running;    /* cpus_lock: the CPU whose turn it is */
static unsigned rr_turn;        /* cpus_lock: counts turns */
static GCond rr_kick_cond;

static void rr_turn_set(CPUState *cpu)
{
    g_mutex_lock(&cpus_lock);
    rr_running = cpu;
    rr_turn++;
    g_cond_signal(&rr_kick_cond);
    g_mutex_unlock(&cpus_lock);
}

static gpointer rr_kicker_thread(gpointer opaque)
{
    g_mutex_lock(&cpus_lock);
    while (!stop_requested) {
        unsigned turn = rr_turn;
        gint64 deadline = g_get_monotonic_time() + RR_SLICE_US;
        bool woken = true;

        if (!rr_running) {
            g_cond_wait(&rr_kick_cond, &cpus_lock);
            continue;
        }
        while (woken && !stop_requested && rr_running && rr_turn == turn) {
            woken = g_cond_wait_until(&rr_kick_cond, &cpus_lock, deadline);
        }
        if (!woken && rr_running && rr_turn == turn) {
            cpu_exit(rr_running);
        }
    }
    g_mutex_unlock(&cpus_lock);
    return NULL;
}

static gpointer vcpu_thread(gpointer opaque)
{
    VCPUGroup *g = opaque;
    VCPU *v;

    on_vcpu_thread = true;
    for (int k = 0; k < g->n; k++) {
        __atomic_store_n(&group_vcpu(g, k)->tid, (int)gettid(), __ATOMIC_RELEASE);
    }
    if (accel_ops->thread_init) {
        for (int k = 0; k < g->n; k++) {
            accel_ops->thread_init(group_vcpu(g, k)->cpu);
        }
    }
    while ((v = group_wait_runnable(g))) {
        int ret;

        if (g->n > 1) {
            rr_turn_set(v->cpu);
        }
        ret = accel_ops->exec(v->cpu);
        if (g->n > 1) {
            rr_turn_set(NULL);
        }
        vcpu_handle_exit(v, ret);
    }
    g_mutex_lock(&cpus_lock);
    group_set_parked_locked(g, true);
    g_mutex_unlock(&cpus_lock);
    g_free(g);
    return NULL;
}

static GThread *vcpu_thread_new(const char *name, int first, int n)
{
    VCPUGroup *g = g_new0(VCPUGroup, 1);

    g->first = first;
    g->n = n;
    return g_thread_new(name, vcpu_thread, g);
}

/* Makes every vCPU look at the state again: out of guest code, out of its
 * sleep. cpus_lock held. */
static void vcpus_kick_locked(void)
{
    for (int i = 0; i < cpus_count(); i++) {
        vcpu_kick(vcpu_at(i)->cpu);
    }
    cpus_poll_wakeup();
    g_cond_broadcast(&vcpu_cond);
    g_cond_broadcast(&rr_kick_cond);
}

static bool vcpus_all_parked_locked(void)
{
    for (int i = 0; i < cpus_count(); i++) {
        VCPU *v = vcpu_at(i);

        if (v->thread && !v->parked) {
            return false;
        }
    }
    return true;
}

/* Waits for every started vCPU to park, without the BQL meanwhile (a vCPU
 * may need it to finish an MMIO access). cpus_lock held; returned held. */
static void vcpus_wait_parked_locked(void)
{
    bool had_bql = bql_locked();

    if (had_bql) {
        bql_unlock();
    }
    while (!vcpus_all_parked_locked()) {
        g_cond_wait(&parked_cond, &cpus_lock);
    }
    if (had_bql) {
        /* the BQL comes before cpus_lock */
        g_mutex_unlock(&cpus_lock);
        bql_lock();
        g_mutex_lock(&cpus_lock);
    }
}

void cpus_set_single_thread(bool single)
{
    g_assert(!started);
    single_thread = single;
}

void cpus_start(bool start_paused)
{
    int n = cpus_count();

    g_assert(!started);
    g_mutex_lock(&cpus_lock);
    stop_requested = false;
    pause_depth = start_paused ? 1 : 0;
    for (int i = 0; i < n; i++) {
        vcpu_at(i)->parked = false;
        vcpu_at(i)->debug_stop = false;
    }
    g_mutex_unlock(&cpus_lock);
    __atomic_store_n(&cpu_interrupt_wake_hook, vcpus_wake_sleepers, __ATOMIC_RELEASE);
    __atomic_store_n(&cpu_mmio_done_hook, vcpu_mmio_done, __ATOMIC_RELEASE);
    if (single_thread && n > 0) {
        rr_thread = vcpu_thread_new("vcpu-rr", 0, n);
        if (n > 1) {
            rr_kicker = g_thread_new("vcpu-kicker", rr_kicker_thread, NULL);
        }
    }
    for (int i = 0; i < n; i++) {
        char name[32];

        snprintf(name, sizeof(name), "vcpu%d", i);
        vcpu_at(i)->thread = rr_thread ? rr_thread : vcpu_thread_new(name, i, 1);
    }
    started = true;
}

void cpus_pause(void)
{
    /* a vCPU waiting for itself to park would wait forever */
    g_assert(!on_vcpu_thread);
    g_mutex_lock(&cpus_lock);
    pause_depth++;
    vcpus_kick_locked();
    vcpus_wait_parked_locked();
    g_mutex_unlock(&cpus_lock);
}

void cpus_resume(void)
{
    g_mutex_lock(&cpus_lock);
    if (pause_depth > 0) {
        pause_depth--;
    }
    for (int i = 0; i < cpus_count(); i++) {
        vcpu_at(i)->debug_stop = false;
        vcpu_at(i)->held = false;
    }
    g_cond_broadcast(&vcpu_cond);
    g_mutex_unlock(&cpus_lock);
}

void cpus_resume_only(CPUState *cpu)
{
    g_mutex_lock(&cpus_lock);
    if (pause_depth > 0) {
        pause_depth--;
    }
    for (int i = 0; i < cpus_count(); i++) {
        VCPU *v = vcpu_at(i);

        v->held = v->cpu != cpu;
        if (v->cpu == cpu) {
            v->debug_stop = false;
        }
    }
    g_cond_broadcast(&vcpu_cond);
    g_cond_broadcast(&rr_kick_cond);
    g_mutex_unlock(&cpus_lock);
}

bool cpus_running(void)
{
    bool running;

    g_mutex_lock(&cpus_lock);
    running = started && pause_depth == 0 && !stop_requested;
    g_mutex_unlock(&cpus_lock);
    return running;
}

static void thread_join_clear(GThread **thread)
{
    if (*thread) {
        g_thread_join(*thread);
        *thread = NULL;
    }
}

void cpus_stop(void)
{
    bool had_bql = bql_locked();

    g_assert(!on_vcpu_thread);
    if (!started) {
        return;
    }
    g_mutex_lock(&cpus_lock);
    stop_requested = true;
    vcpus_kick_locked();
    g_mutex_unlock(&cpus_lock);
    if (had_bql) {
        bql_unlock();
    }
    if (rr_thread) {
        thread_join_clear(&rr_thread);
        thread_join_clear(&rr_kicker);
        for (int i = 0; i < cpus_count(); i++) {
            vcpu_at(i)->thread = NULL;
        }
    }
    for (int i = 0; i < cpus_count(); i++) {
        thread_join_clear(&vcpu_at(i)->thread);
    }
    if (had_bql) {
        bql_lock();
    }
    started = false;
}

/* ---- requests from the guest ---- */

void system_shutdown_request(int status)
{
    runstate_request_shutdown(SHUTDOWN_CAUSE_GUEST_SHUTDOWN, status);
}

void system_powerdown_request(void)
{
    runstate_powerdown();
}

/* On the main loop, BQL held: every device, then every CPU, then the code
 * (the reset may have reloaded guest memory behind the TLB's back). */
static void system_reset_bh(void *opaque)
{
    cpus_pause();
    machine_reset();
    for (int i = 0; i < cpus_count(); i++) {
        VCPU *v = vcpu_at(i);

        cpu_reset(v->cpu);
        /* the CPUs are parked, so their TLBs are ours to flush */
        tlb_flush(v->cpu);
        if (v->reset_hook) {
            v->reset_hook(v->cpu, v->reset_opaque);
        }
    }
    tb_flush(NULL);
    cpus_resume();
    runstate_reset_done();
}

void system_reset_request(void)
{
    static BottomHalf *reset_bh;
    static gsize once;

    if (g_once_init_enter(&once)) {
        reset_bh = bh_new(system_reset_bh, NULL);
        g_once_init_leave(&once, 1);
    }
    runstate_reset_requested(SHUTDOWN_CAUSE_GUEST_RESET);
    bh_schedule(reset_bh);
}
