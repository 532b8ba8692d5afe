/*
 * System-mode CPUs (system/cpus.c) and softmmu code coherence
 * (accel/tcg/cputlb.c), with two toy CPUs (toy-cpu.h) in softmmu mode on a
 * machine-less setup: RAM and a small control device in the system
 * address space, the CPUs registered with cpus_register().
 *
 * Checks, with a thread per vCPU and with one thread taking them in turn,
 * that the CPUs run guest code without the BQL, that a halted CPU sleeps (no host CPU time) until cpu_interrupt() wakes it, that
 * paused CPUs provably run nothing, that the guest's shutdown and reset
 * requests reach the main loop, and that guest stores to translated code
 * (through the same or another virtual mapping) invalidate it.
 */
#include <string.h>
#include <time.h>

#include "accel/tcg/backend.h"
#include "proteus/cpus.h"
#include "proteus/main-loop.h"
#include "proteus/memory.h"
#include "proteus/translator.h"
#include "toy-cpu.h"

#define ADDI(d, s, i)  toy_insn(TOY_ADDI, d, s, 0, i)
#define LD(d, s, i)    toy_insn(TOY_LD, d, s, 0, i)
#define ST(t, s, i)    toy_insn(TOY_ST, 0, s, t, i)
#define BEQ(s, t, off) toy_insn(TOY_BEQ, 0, s, t, off)
#define JMP(off)       toy_insn(TOY_JMP, 0, 0, 0, off)
#define HALT()         toy_insn(TOY_HALT, 0, 0, 0, 0)
#define SETI(on)       toy_insn(TOY_SETI, 0, 0, 0, on)

/* Virtual layout: RAM at V_RAM (physical P_RAM) and again at V_ALIAS, the
 * control device at V_DEV (physical P_DEV). */
#define V_RAM    0x10000u
#define RAM_SIZE 0x10000u
#define P_RAM    0x80000000u
#define V_ALIAS  0x40000u
#define V_DEV    0x20000u
#define P_DEV    0x10000000u

#define CODE0    0x10000u       /* CPU 0's program */
#define CODE1    0x11000u       /* CPU 1's program */
#define VECTOR   0x12000u       /* interrupt vector */
#define IDLE     0x13000u       /* interrupts off, halt */
#define SMC_RUN  0x14000u       /* programs that rewrite SMC_TARGET */
#define SMC_TARGET 0x15000u
#define DATA0    0x18000u       /* CPU 0's counter */
#define DATA1    0x18100u       /* CPU 1's counter */
#define WORDS    0x19000u       /* instruction words to copy */

/* The control device's registers. */
#define DEV_SHUTDOWN 0x0        /* write: shutdown with the value as status */
#define DEV_RESET    0x8        /* write: reset request */

#define WAIT_US (10 * G_USEC_PER_SEC)

static MemoryRegion ram, dev;
static ToyCPU *cpus[2];
static unsigned dev_writes;

/* ---- the machine ---- */

static void dev_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    /* devices run under the BQL, also when a vCPU thread calls them */
    g_assert_true(bql_locked());
    dev_writes++;
    if (addr == DEV_SHUTDOWN) {
        system_shutdown_request((int)value);
    } else if (addr == DEV_RESET) {
        system_reset_request();
    }
}

static uint64_t dev_read(void *opaque, hwaddr addr, unsigned size)
{
    g_assert_true(bql_locked());
    return 0;
}

static const MemoryRegionOps dev_ops = {
    .read = dev_read,
    .write = dev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
};

static bool test_tlb_fill(CPUState *cs, uint64_t addr, unsigned size, MMUAccessType type,
                          unsigned mmu_idx, bool probe, uintptr_t retaddr)
{
    uint64_t page = addr & TLB_PAGE_MASK;

    if (page >= V_RAM && page < V_RAM + RAM_SIZE) {
        tlb_set_page(cs, page, page - V_RAM + P_RAM, PAGE_READ | PAGE_WRITE | PAGE_EXEC,
                     mmu_idx);
        return true;
    }
    if (page >= V_ALIAS && page < V_ALIAS + RAM_SIZE) {
        tlb_set_page(cs, page, page - V_ALIAS + P_RAM, PAGE_READ | PAGE_WRITE, mmu_idx);
        return true;
    }
    if (page == V_DEV && type != MMU_INST_FETCH) {
        tlb_set_page(cs, page, P_DEV, PAGE_READ | PAGE_WRITE, mmu_idx);
        return true;
    }
    if (probe) {
        return false;
    }
    g_error("cpu %d: access to unmapped 0x%" G_GINT64_MODIFIER "x", cs->cpu_index, addr);
}

static uint8_t *ram_at(uint64_t vaddr)
{
    g_assert(vaddr >= V_RAM && vaddr + 8 <= V_RAM + RAM_SIZE);
    return (uint8_t *)memory_region_get_ram_ptr(&ram) + (vaddr - V_RAM);
}

/* Guest memory the vCPU threads may be writing. */
static uint64_t get64(uint64_t vaddr)
{
    return GUINT64_FROM_LE(__atomic_load_n((uint64_t *)ram_at(vaddr), __ATOMIC_SEQ_CST));
}

static void put64(uint64_t vaddr, uint64_t v)
{
    __atomic_store_n((uint64_t *)ram_at(vaddr), GUINT64_TO_LE(v), __ATOMIC_SEQ_CST);
}

#define PROG(at, ...) \
    prog_put(at, (const uint64_t[]){ __VA_ARGS__ }, \
             sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))

static void prog_put(uint64_t at, const uint64_t *insns, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        put64(at + 8 * i, insns[i]);
    }
}

/* Power-on state at pc, with an empty TLB; the CPU threads are stopped. */
static void cpu_boot(ToyCPU *cpu, uint64_t pc)
{
    cpu_reset(&cpu->parent);
    tlb_flush(&cpu->parent);
    cpu->parent.exit_request = 0;
    cpu->pc = pc;
    cpu->trap_vector = VECTOR;
}

/* Fresh memory and code cache; both CPUs idle unless a test boots them. */
static void setup(void)
{
    memset(ram_at(V_RAM), 0, RAM_SIZE);
    tb_flush(NULL);
    dev_writes = 0;
    PROG(IDLE, SETI(0), HALT(), JMP(-8));
    for (int i = 0; i < 2; i++) {
        cpu_boot(cpus[i], IDLE);
    }
}

/* Polls cond(arg) for up to WAIT_US; with drop_bql the vCPUs may use the BQL
 * meanwhile. */
static bool wait_until(bool (*cond)(uint64_t arg), uint64_t arg, bool drop_bql)
{
    gint64 end = g_get_monotonic_time() + WAIT_US;
    bool ok;

    if (drop_bql) {
        bql_unlock();
    }
    while (!(ok = cond(arg)) && g_get_monotonic_time() < end) {
        g_usleep(1000);
    }
    if (drop_bql) {
        bql_lock();
    }
    return ok;
}

static bool both_counters_above(uint64_t n)
{
    return get64(DATA0) > n && get64(DATA1) > n;
}

static bool cpu_is_halted(uint64_t index)
{
    return __atomic_load_n(&cpus[index]->parent.halted, __ATOMIC_SEQ_CST) != 0;
}

static bool counter0_is(uint64_t n)
{
    return get64(DATA0) == n;
}

/* data: whether one thread runs both CPUs (thread=single). */
static void start(gconstpointer data, bool paused)
{
    cpus_set_single_thread(GPOINTER_TO_INT(data) != 0);
    cpus_start(paused);
}

/* Each CPU counts in its own word, forever. */
static void boot_counters(void)
{
    PROG(CODE0, ADDI(1, 0, DATA0), ADDI(2, 2, 1), ST(2, 1, 0), JMP(-16));
    PROG(CODE1, ADDI(1, 0, DATA1), ADDI(2, 2, 1), ST(2, 1, 0), JMP(-16));
    cpu_boot(cpus[0], CODE0);
    cpu_boot(cpus[1], CODE1);
}

/* ---- tests ---- */

/* Both CPUs make progress (in turn with thread=single), while this thread
 * holds the BQL: RAM accesses, fast or slow, never take it. */
static void test_two_cpus(gconstpointer data)
{
    uint64_t c0, c1;

    setup();
    boot_counters();
    g_assert_cmpint(cpus_count(), ==, 2);
    g_assert_true(cpus_get(1) == &cpus[1]->parent);
    g_assert_null(cpus_get(2));
    start(data, false);
    g_assert_true(cpus_running());
    g_assert_true(wait_until(both_counters_above, 100000, false));
    cpus_stop();
    g_assert_false(cpus_running());
    /* stopped means stopped */
    c0 = get64(DATA0);
    c1 = get64(DATA1);
    g_usleep(20000);
    g_assert_cmpuint(get64(DATA0), ==, c0);
    g_assert_cmpuint(get64(DATA1), ==, c1);
}

static void test_pause_resume(gconstpointer data)
{
    uint64_t c0, c1;

    setup();
    boot_counters();
    start(data, false);
    g_assert_true(wait_until(both_counters_above, 1000, false));
    for (int round = 0; round < 3; round++) {
        cpus_pause();
        g_assert_false(cpus_running());
        c0 = get64(DATA0);
        c1 = get64(DATA1);
        g_usleep(50000);
        g_assert_cmpuint(get64(DATA0), ==, c0);
        g_assert_cmpuint(get64(DATA1), ==, c1);
        /* the counters are the registers stored: nothing ran in between */
        g_assert_cmpuint(cpus[0]->regs[2], ==, c0);
        g_assert_cmpuint(cpus[1]->regs[2], ==, c1);
        cpus_resume();
        g_assert_true(cpus_running());
        g_assert_true(wait_until(both_counters_above, MAX(c0, c1) + 1000, false));
    }
    /* nested: running again only after the second resume */
    cpus_pause();
    cpus_pause();
    cpus_resume();
    g_assert_false(cpus_running());
    c0 = get64(DATA0);
    g_usleep(20000);
    g_assert_cmpuint(get64(DATA0), ==, c0);
    cpus_resume();
    g_assert_true(wait_until(both_counters_above, c0 + 1000, false));
    cpus_stop();
}

/* Started paused (for -S): nothing runs until cpus_resume(). */
static void test_start_paused(gconstpointer data)
{
    setup();
    boot_counters();
    start(data, true);
    g_assert_false(cpus_running());
    g_usleep(20000);
    g_assert_cmpuint(get64(DATA0), ==, 0);
    g_assert_cmpuint(cpus[0]->pc, ==, CODE0);
    cpus_resume();
    g_assert_true(wait_until(both_counters_above, 10, false));
    cpus_stop();
}

/* A halted CPU sleeps until cpu_interrupt() from another thread. */
static void test_halt_wake(gconstpointer data)
{
    setup();
    PROG(CODE0, SETI(1), HALT(), JMP(-8));
    /* each interrupt: count, then wait for the next one */
    PROG(VECTOR, ADDI(1, 0, DATA0), LD(2, 1, 0), ADDI(2, 2, 1), ST(2, 1, 0), SETI(1),
         HALT(), JMP(-16));
    cpu_boot(cpus[0], CODE0);
    start(data, false);
    for (uint64_t n = 1; n <= 3; n++) {
        g_assert_true(wait_until(cpu_is_halted, 0, false));
        g_usleep(10000);
        g_assert_cmpuint(get64(DATA0), ==, n - 1);
        cpu_interrupt(&cpus[0]->parent, CPU_INTERRUPT_HARD);
        g_assert_true(wait_until(counter0_is, n, false));
    }
    g_assert_true(wait_until(cpu_is_halted, 0, false));
    cpus_stop();
    g_assert_cmpuint(cpus[0]->cause, ==, TOY_CAUSE_IRQ);
}

static int64_t process_cpu_ns(void)
{
    struct timespec ts;

    g_assert_cmpint(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts), ==, 0);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* An idle guest (every CPU halted) costs no host CPU. */
static void test_idle(gconstpointer data)
{
    int64_t before, used;

    setup();
    start(data, false);
    g_assert_true(wait_until(cpu_is_halted, 0, false));
    g_assert_true(wait_until(cpu_is_halted, 1, false));
    before = process_cpu_ns();
    g_usleep(200000);
    used = process_cpu_ns() - before;
    g_test_message("CPU time used by the idle process in 200 ms: %" G_GINT64_FORMAT " ns",
                   used);
    g_assert_cmpint(used, <, 10000000);
    cpus_stop();
}

/* A guest write to the control device ends main_loop_run() with its status. */
static void test_shutdown(gconstpointer data)
{
    setup();
    PROG(CODE0, ADDI(1, 0, V_DEV), ADDI(2, 0, 42), ST(2, 1, DEV_SHUTDOWN), HALT());
    cpu_boot(cpus[0], CODE0);
    start(data, false);
    g_assert_cmpint(main_loop_run(), ==, 42);
    cpus_stop();
    g_assert_cmpuint(dev_writes, ==, 1);
}

static unsigned reset_hook_calls[2];

/* The board's part: CPU 0 boots CODE0, CPU 1 stays idle. */
static void reset_hook(CPUState *cs, void *opaque)
{
    ToyCPU *cpu = (ToyCPU *)cs;

    g_assert_true(bql_locked());
    g_assert_false(cpus_running());
    reset_hook_calls[cs == &cpus[1]->parent]++;
    cpu->pc = GPOINTER_TO_SIZE(opaque);
}

/* Boot, count the boot in RAM, request a reset; on the second boot shut
 * down with the count as status. */
static void test_reset(gconstpointer data)
{
    TBStats before, after;

    setup();
    PROG(CODE0, ADDI(1, 0, DATA0), LD(2, 1, 0), ADDI(2, 2, 1), ST(2, 1, 0),
         ADDI(4, 0, 2), ADDI(5, 0, V_DEV), BEQ(2, 4, 32),
         ST(0, 5, DEV_RESET), HALT(), JMP(-8),
         ST(2, 5, DEV_SHUTDOWN), HALT());
    cpu_boot(cpus[0], CODE0);
    /* registers left over from the first boot must not survive the reset */
    cpus[0]->regs[6] = 77;
    cpus_set_reset_hook(&cpus[0]->parent, reset_hook, GSIZE_TO_POINTER(CODE0));
    cpus_set_reset_hook(&cpus[1]->parent, reset_hook, GSIZE_TO_POINTER(IDLE));
    memset(reset_hook_calls, 0, sizeof(reset_hook_calls));
    tb_stats_get(&before);

    start(data, false);
    g_assert_cmpint(main_loop_run(), ==, 2);
    cpus_stop();

    tb_stats_get(&after);
    g_assert_cmpuint(get64(DATA0), ==, 2);
    g_assert_cmpuint(reset_hook_calls[0], ==, 1);
    g_assert_cmpuint(reset_hook_calls[1], ==, 1);
    g_assert_cmpuint(cpus[0]->regs[6], ==, 0);
    g_assert_cmpuint(after.flushes, ==, before.flushes + 1);
    g_assert_cmpuint(dev_writes, ==, 2);
    cpus_set_reset_hook(&cpus[0]->parent, NULL, NULL);
    cpus_set_reset_hook(&cpus[1]->parent, NULL, NULL);
}

/* Runs cpu 0 on this thread from pc to its HALT. */
static void run_to_halt(uint64_t pc)
{
    cpus[0]->pc = pc;
    cpus[0]->parent.halted = 0;
    g_assert_cmpint(cpu_exec(&cpus[0]->parent), ==, EXCP_HLT);
}

static int32_t jmp_off(uint64_t from, uint64_t to)
{
    return (int32_t)(to - from);
}

/*
 * Guest stores over translated code: the next execution runs the new
 * code, whether the store goes through the mapping the code was fetched
 * through or through another one, and whether the CPU's writable TLB entry
 * existed before the page held code. Once the code there is gone, stores
 * to the page take the fast path again.
 */
static void test_smc(gconstpointer data)
{
    const IRBackend *backend = data;
    const uint64_t run1 = SMC_RUN, run2 = SMC_RUN + 0x100, run3 = SMC_RUN + 0x200;
    const uint64_t run4 = SMC_RUN + 0x300;
    const uint64_t target_alias = V_ALIAS + (SMC_TARGET - V_RAM);
    GError *err = NULL;
    TBStats before, after;
    uint64_t slow;

    g_assert_true(tcg_exec_init(backend, &err));
    g_assert_no_error(err);
    setup();
    cpu_boot(cpus[0], SMC_RUN);

    PROG(SMC_TARGET, ADDI(3, 0, 1), HALT());
    put64(WORDS, ADDI(3, 0, 2));
    put64(WORDS + 8, ADDI(3, 0, 3));
    /* a plain store to the target page first (its TLB entry becomes
     * writable before the page holds code), then run the target */
    PROG(run1, ADDI(1, 0, SMC_TARGET), ST(0, 1, 0x800), JMP(jmp_off(run1 + 16, SMC_TARGET)));
    run_to_halt(run1);
    g_assert_cmpuint(cpus[0]->regs[3], ==, 1);

    /* overwrite the target's first instruction, then run it */
    PROG(run2, ADDI(1, 0, WORDS), LD(2, 1, 0), ADDI(4, 0, SMC_TARGET), ST(2, 4, 0),
         JMP(jmp_off(run2 + 32, SMC_TARGET)));
    tb_stats_get(&before);
    run_to_halt(run2);
    tb_stats_get(&after);
    g_assert_cmpuint(cpus[0]->regs[3], ==, 2);
    g_assert_cmpuint(after.invalidations, >, before.invalidations);

    /* the same through the alias mapping */
    PROG(run3, ADDI(1, 0, WORDS), LD(2, 1, 8), ADDI(4, 0, target_alias), ST(2, 4, 0),
         JMP(jmp_off(run3 + 32, SMC_TARGET)));
    run_to_halt(run3);
    g_assert_cmpuint(cpus[0]->regs[3], ==, 3);

    /* Rewriting an instruction drops the page's last TB: only that first
     * store takes the slow path, the next ones hit. (Data stores before
     * that, so the TLB holds the target page first.) */
    PROG(run4, ADDI(4, 0, SMC_TARGET), ST(0, 4, 0), ST(0, 4, 0x10), ST(0, 4, 0x18),
         ST(0, 4, 0x20), HALT());
    run_to_halt(SMC_TARGET);
    slow = cpus[0]->parent.tlb.slow_accesses;
    run_to_halt(run4);
    g_assert_cmpuint(cpus[0]->parent.tlb.slow_accesses - slow, ==, 1);
    g_assert_cmpuint(get64(SMC_TARGET), ==, 0);
    g_assert_false(tb_page_has_code(SMC_TARGET));
}

/* Code one CPU runs, rewritten by the other CPU's thread. */
static bool counter0_above(uint64_t n)
{
    return get64(DATA0) > n;
}

static bool counter1_is(uint64_t n)
{
    return get64(DATA1) == n;
}

static void test_smc_cross_cpu(gconstpointer data)
{
    const uint64_t step = CODE0 + 0x800;
    uint64_t c;

    setup();
    /* CPU 0: r2 += (the step at `step`), stored in DATA0, forever */
    PROG(CODE0, ADDI(1, 0, DATA0), JMP(jmp_off(CODE0 + 8, step)));
    PROG(step, ADDI(2, 2, 1), ST(2, 1, 0), JMP(jmp_off(step + 16, step)));
    /* CPU 1, once DATA1 is 1: the step becomes "add 1000", then it halts */
    put64(WORDS, ADDI(2, 2, 1000));
    PROG(CODE1, ADDI(1, 0, DATA1), ADDI(3, 0, 1), LD(2, 1, 0), BEQ(2, 3, 16), JMP(-16),
         ADDI(1, 0, WORDS), LD(2, 1, 0), ADDI(4, 0, step), ST(2, 4, 0), ADDI(1, 0, DATA1),
         ADDI(3, 0, 2), ST(3, 1, 0), SETI(0), HALT());
    cpu_boot(cpus[0], CODE0);
    cpu_boot(cpus[1], CODE1);
    start(data, false);
    g_assert_true(wait_until(counter0_above, 1000, false));
    put64(DATA1, 1);
    g_assert_true(wait_until(counter1_is, 2, false));
    /* by then CPU 0 has switched to the new step (or fails to reach c) */
    g_assert_true(wait_until(counter0_above, get64(DATA0) + 100000, false));
    c = get64(DATA0);
    g_assert_true(wait_until(counter0_above, c + 10000, false));
    cpus_stop();
    /* every step adds 1000 now */
    g_assert_cmpuint((get64(DATA0) - c) % 1000, ==, 0);
    g_assert_cmpuint(cpus[0]->regs[2] % 1000, ==, c % 1000);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        GTestDataFunc fn;
    } threaded_tests[] = {
        { "two-cpus", test_two_cpus },
        { "pause-resume", test_pause_resume },
        { "start-paused", test_start_paused },
        { "halt-wake", test_halt_wake },
        { "idle", test_idle },
        { "shutdown", test_shutdown },
        { "reset", test_reset },
        { "smc-cross-cpu", test_smc_cross_cpu },
    };
    const IRBackend *jit = ir_backends[1] ? ir_backends[1] : ir_backends[0];
    GError *err = NULL;
    int ret;

    g_test_init(&argc, &argv, NULL);
    main_loop_init();
    ir_mem_model = IR_MEM_SOFTMMU;
    toy_tlb_fill_fn = test_tlb_fill;
    g_assert_true(memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, &err));
    g_assert_no_error(err);
    memory_region_add_subregion(get_system_memory(), P_RAM, &ram);
    memory_region_init_io(&dev, NULL, &dev_ops, NULL, "ctl", 0x1000);
    memory_region_add_subregion(get_system_memory(), P_DEV, &dev);
    g_assert_true(tcg_exec_init(jit, &err));
    g_assert_no_error(err);
    for (int i = 0; i < 2; i++) {
        cpus[i] = toy_cpu_new();
        cpus_register(&cpus[i]->parent);
    }

    for (int single = 0; single < 2; single++) {
        for (size_t i = 0; i < G_N_ELEMENTS(threaded_tests); i++) {
            char *path = g_strdup_printf("/cpus/%s/%s", single ? "single" : "multi",
                                         threaded_tests[i].name);

            g_test_add_data_func(path, GINT_TO_POINTER(single), threaded_tests[i].fn);
            g_free(path);
        }
    }
    /* last: they switch backends */
    for (const IRBackend *const *b = ir_backends; *b; b++) {
        char *path = g_strdup_printf("/cpus/smc/%s", (*b)->name);

        g_test_add_data_func(path, *b, test_smc);
        g_free(path);
    }
    ret = g_test_run();

    for (int i = 0; i < 2; i++) {
        toy_cpu_free(cpus[i]);
    }
    memory_region_del_subregion(get_system_memory(), &dev);
    memory_region_del_subregion(get_system_memory(), &ram);
    memory_region_destroy(&dev);
    memory_region_destroy(&ram);
    return ret;
}
