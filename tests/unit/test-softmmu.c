/*
 * System-mode guest memory through the softmmu TLB, on every backend in
 * ir_backends[]: the toy CPU (toy-cpu.h) in softmmu mode, with RAM at a
 * guest-physical address, a small MMIO device, and a tlb_fill that maps
 * virtual pages to physical ones at a fixed offset except one refused
 * page. Checks loads and stores hitting RAM, device accesses, precise
 * faults, flushes and refills, page-crossing and misaligned accesses,
 * atomics, and that repeated accesses to one page stay on the fast path.
 * With -m perf it also times a TLB hit.
 */
#include <string.h>

#include "accel/tcg/backend.h"
#include "accel/tcg/host/x86_64.h"
#include "proteus/memory.h"
#include "proteus/translator.h"
#include "toy-cpu.h"

#define ADDI(d, s, i)  toy_insn(TOY_ADDI, d, s, 0, i)
#define ADD(d, s, t)   toy_insn(TOY_ADD, d, s, t, 0)
#define BNE(s, t, off) toy_insn(TOY_BNE, 0, s, t, off)
#define LD(d, s, i)    toy_insn(TOY_LD, d, s, 0, i)
#define ST(t, s, i)    toy_insn(TOY_ST, 0, s, t, i)
#define LD32A(d, s, i) toy_insn(TOY_LD32A, d, s, 0, i)
#define ST16(t, s, i)  toy_insn(TOY_ST16, 0, s, t, i)
#define AMOADD(d, s, t, i) toy_insn(TOY_AMOADD, d, s, t, i)
#define LDBE(d, s, i)  toy_insn(TOY_LDBE, d, s, 0, i)
#define STBE(t, s, i)  toy_insn(TOY_STBE, 0, s, t, i)
#define HALT()         toy_insn(TOY_HALT, 0, 0, 0, 0)

/* Virtual layout: RAM at V_RAM (physical P_RAM), one refused page in it,
 * the device's page at V_DEV (physical P_DEV). */
#define V_RAM    0x10000u
#define RAM_SIZE 0x10000u
#define P_RAM    0x80000000u
#define V_HOLE   0x1f000u
#define V_DEV    0x20000u
#define P_DEV    0x10000000u
#define V_CODE   V_RAM
#define V_DATA   0x14000u

#define EXCP_TEST_FAULT 5
#define EXCP_TEST_ALIGN 6

static MemoryRegion ram, dev;
static unsigned fills;
static unsigned unaligned_calls;

/* The device: records the last access, reads give a pattern of the offset. */
static struct {
    unsigned reads, writes;
    uint64_t offset, value;
    unsigned size;
} dev_log;

static uint64_t dev_read(void *opaque, hwaddr addr, unsigned size)
{
    dev_log.reads++;
    dev_log.offset = addr;
    dev_log.size = size;
    return 0x0102030405060708ull + addr;
}

static void dev_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    dev_log.writes++;
    dev_log.offset = addr;
    dev_log.size = size;
    dev_log.value = value;
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
    ToyCPU *cpu = (ToyCPU *)cs;
    uint64_t page = addr & TLB_PAGE_MASK;

    fills++;
    if (page >= V_RAM && page < V_RAM + RAM_SIZE && page != V_HOLE) {
        tlb_set_page(cs, page, page - V_RAM + P_RAM, PAGE_READ | PAGE_WRITE | PAGE_EXEC,
                     mmu_idx);
        return true;
    }
    if (page == V_DEV && type != MMU_INST_FETCH) {
        tlb_set_page(cs, page, P_DEV, PAGE_READ | PAGE_WRITE, mmu_idx);
        return true;
    }
    if (probe) {
        return false;
    }
    cpu->trap_arg = addr;
    cs->exception_index = EXCP_TEST_FAULT;
    if (retaddr) {
        cpu_loop_exit_restore(cs, retaddr);
    }
    cpu_loop_exit(cs);
}

static void test_unaligned(void *env, uint64_t addr, MemOp mop)
{
    ToyCPU *cpu = env;

    unaligned_calls++;
    cpu->trap_arg = addr;
    cpu->parent.exception_index = EXCP_TEST_ALIGN;
}

static uint8_t *ram_at(uint64_t vaddr)
{
    g_assert(vaddr >= V_RAM && vaddr < V_RAM + RAM_SIZE);
    return (uint8_t *)memory_region_get_ram_ptr(&ram) + (vaddr - V_RAM);
}

static void put64(uint64_t vaddr, uint64_t v)
{
    v = GUINT64_TO_LE(v);
    memcpy(ram_at(vaddr), &v, 8);
}

static uint64_t get64(uint64_t vaddr)
{
    uint64_t v;

    memcpy(&v, ram_at(vaddr), 8);
    return GUINT64_FROM_LE(v);
}

#define PROG(...) \
    prog_put((const uint64_t[]){ __VA_ARGS__ }, \
             sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))

static void prog_put(const uint64_t *insns, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        put64(V_CODE + 8 * i, insns[i]);
    }
}

static ToyCPU *setup(const IRBackend *backend)
{
    GError *err = NULL;
    ToyCPU *cpu;

    g_assert_true(tcg_exec_init(backend, &err));
    g_assert_no_error(err);
    tcg_set_validate(true);
    tcg_set_optimize(true);
    tb_flush(NULL);
    memset(ram_at(V_RAM), 0, RAM_SIZE);
    memset(&dev_log, 0, sizeof(dev_log));
    fills = 0;
    unaligned_calls = 0;
    cpu = toy_cpu_new();
    cpu->parent.exit_on_exception = true;
    return cpu;
}

static int run(ToyCPU *cpu)
{
    cpu->pc = V_CODE;
    cpu->parent.halted = 0;
    return cpu_exec(&cpu->parent);
}

/* ---- tests ---- */

static void test_ram(gconstpointer data)
{
    ToyCPU *cpu = setup(data);

    PROG(ADDI(1, 0, V_DATA), ST(2, 1, 8), LD(3, 1, 16), ST16(2, 1, 32), LDBE(4, 1, 16),
         HALT());
    put64(V_DATA + 16, 0x1122334455667788ull);
    put64(V_DATA + 32, 0xffffffffffffffffull);
    cpu->regs[2] = 0xdeadbeefcafef00dull;
    g_assert_cmpint(run(cpu), ==, EXCP_HLT);
    g_assert_cmphex(get64(V_DATA + 8), ==, 0xdeadbeefcafef00dull);
    g_assert_cmphex(cpu->regs[3], ==, 0x1122334455667788ull);
    g_assert_cmphex(get64(V_DATA + 32), ==, 0xfffffffffffff00dull);
    /* bytes 88 77 66 55 read big-endian */
    g_assert_cmphex(cpu->regs[4], ==, 0x88776655u);
    /* the code page and the data page: one fill sets every permission */
    g_assert_cmpuint(fills, ==, 2);
    toy_cpu_free(cpu);
}

/* Registers written before accesses (missing or hitting) keep their values. */
static void test_regs_survive(gconstpointer data)
{
    ToyCPU *cpu = setup(data);

    PROG(ADDI(1, 0, V_DATA), ADDI(5, 0, 11), ADDI(6, 0, 22), ADDI(7, 0, 33), LD(3, 1, 0),
         ADD(4, 5, 6), ADD(4, 4, 7), ADD(4, 4, 3), ST(4, 1, 8), LD(2, 1, 8), ADD(2, 2, 5),
         ST16(6, 1, 0x2000), ADD(3, 3, 7), HALT());
    put64(V_DATA, 100);
    for (int round = 0; round < 2; round++) {
        g_assert_cmpint(run(cpu), ==, EXCP_HLT);
        g_assert_cmpuint(cpu->regs[4], ==, 166);
        g_assert_cmpuint(cpu->regs[2], ==, 177);
        g_assert_cmpuint(cpu->regs[3], ==, 133);
        g_assert_cmpuint(get64(V_DATA + 0x2000), ==, 22);
        g_assert_cmpuint(cpu->regs[5] + cpu->regs[6] + cpu->regs[7], ==, 66);
    }
    toy_cpu_free(cpu);
}

/* Big-endian loads and stores, on the JIT also without movbe. */
static void test_big_endian(gconstpointer data)
{
    const IRBackend *backend = data;
    unsigned saved = 0;

    for (int pass = 0; pass < 2; pass++) {
        ToyCPU *cpu = setup(backend);

        if (pass == 1) {
            if (backend != &ir_backend_x86_64) {
                toy_cpu_free(cpu);
                break;
            }
            saved = jit_x86_64_set_features(~(unsigned)JIT_FEAT_MOVBE);
        }
        PROG(ADDI(1, 0, V_DATA), STBE(2, 1, 4), LDBE(3, 1, 4), STBE(2, 1, 0xffe),
             LDBE(4, 1, 0xffe), HALT());
        cpu->regs[2] = 0xaabbccdd11223344ull;
        g_assert_cmpint(run(cpu), ==, EXCP_HLT);
        g_assert_cmphex(get64(V_DATA), ==, 0x4433221100000000ull);
        g_assert_cmphex(cpu->regs[3], ==, 0x11223344u);
        g_assert_cmphex(ram_at(V_DATA + 0xffe)[0], ==, 0x11);
        g_assert_cmphex(ram_at(V_DATA + 0x1001)[0], ==, 0x44);
        g_assert_cmphex(cpu->regs[4], ==, 0x11223344u);
        if (pass == 1) {
            jit_x86_64_set_features(saved);
        }
        toy_cpu_free(cpu);
    }
}

static void test_mmio(gconstpointer data)
{
    ToyCPU *cpu = setup(data);

    PROG(ADDI(1, 0, V_DEV), ST16(2, 1, 6), LD(3, 1, 0x20), ST(2, 1, 0x40), HALT());
    cpu->regs[2] = 0x123456789abcdef0ull;
    g_assert_cmpint(run(cpu), ==, EXCP_HLT);
    g_assert_cmpuint(dev_log.reads, ==, 1);
    g_assert_cmpuint(dev_log.writes, ==, 2);
    g_assert_cmphex(cpu->regs[3], ==, 0x0102030405060708ull + 0x20);
    g_assert_cmphex(dev_log.offset, ==, 0x40);
    g_assert_cmpuint(dev_log.size, ==, 8);
    g_assert_cmphex(dev_log.value, ==, 0x123456789abcdef0ull);

    /* a 16-bit store reaches the device as one 16-bit access */
    PROG(ADDI(1, 0, V_DEV), ST16(2, 1, 6), HALT());
    tb_flush(NULL);
    g_assert_cmpint(run(cpu), ==, EXCP_HLT);
    g_assert_cmphex(dev_log.offset, ==, 6);
    g_assert_cmpuint(dev_log.size, ==, 2);
    g_assert_cmphex(dev_log.value, ==, 0xdef0);
    toy_cpu_free(cpu);
}

static void test_fault(gconstpointer data)
{
    ToyCPU *cpu = setup(data);

    PROG(ADDI(1, 0, V_HOLE), ADDI(2, 0, 5), LD(3, 1, 0x18), ADDI(4, 0, 1), HALT());
    g_assert_cmpint(run(cpu), ==, EXCP_TEST_FAULT);
    g_assert_cmphex(cpu->pc, ==, V_CODE + 16);
    g_assert_cmphex(cpu->trap_arg, ==, V_HOLE + 0x18);
    g_assert_cmpuint(cpu->regs[2], ==, 5);
    g_assert_cmpuint(cpu->regs[4], ==, 0);

    /* a store too, and an unmapped page outside RAM */
    PROG(ADDI(1, 0, 0x30000), ADDI(2, 0, 7), ST(2, 1, 0), HALT());
    tb_flush(NULL);
    g_assert_cmpint(run(cpu), ==, EXCP_TEST_FAULT);
    g_assert_cmphex(cpu->pc, ==, V_CODE + 16);
    g_assert_cmphex(cpu->trap_arg, ==, 0x30000);
    toy_cpu_free(cpu);
}

static void test_flush_refill(gconstpointer data)
{
    ToyCPU *cpu = setup(data);

    PROG(ADDI(1, 0, V_DATA), LD(3, 1, 0), HALT());
    put64(V_DATA, 99);
    g_assert_cmpint(run(cpu), ==, EXCP_HLT);
    g_assert_cmpuint(fills, ==, 2);
    g_assert_cmpint(run(cpu), ==, EXCP_HLT);
    g_assert_cmpuint(fills, ==, 2);
    /* the TB stays cached (looked up by virtual pc): only the data refills */
    tlb_flush(&cpu->parent);
    g_assert_cmpint(run(cpu), ==, EXCP_HLT);
    g_assert_cmpuint(fills, ==, 3);
    tlb_flush_page(&cpu->parent, V_DATA + 0x123);
    g_assert_cmpint(run(cpu), ==, EXCP_HLT);
    g_assert_cmpuint(fills, ==, 4);
    /* another page's flush leaves it */
    tlb_flush_page(&cpu->parent, V_DATA + 0x1000);
    g_assert_cmpint(run(cpu), ==, EXCP_HLT);
    g_assert_cmpuint(fills, ==, 4);
    g_assert_cmpuint(cpu->regs[3], ==, 99);
    toy_cpu_free(cpu);
}

static void test_page_cross(gconstpointer data)
{
    ToyCPU *cpu = setup(data);

    PROG(ADDI(1, 0, V_DATA), LD(3, 1, 0xffc), ST(2, 1, 0x1ffd), LD(4, 1, 0x1ffd), HALT());
    for (unsigned i = 0; i < 8; i++) {
        ram_at(V_DATA + 0xffc)[i] = 0x10 + i;
    }
    cpu->regs[2] = 0x8877665544332211ull;
    g_assert_cmpint(run(cpu), ==, EXCP_HLT);
    g_assert_cmphex(cpu->regs[3], ==, 0x1716151413121110ull);
    g_assert_cmphex(get64(V_DATA + 0x1ffd), ==, 0x8877665544332211ull);
    g_assert_cmphex(cpu->regs[4], ==, 0x8877665544332211ull);

    /* into the refused page: a precise fault, and no byte stored before it */
    PROG(ADDI(1, 0, V_HOLE - 0x1000), ST(2, 1, 0xffd), HALT());
    tb_flush(NULL);
    g_assert_cmpint(run(cpu), ==, EXCP_TEST_FAULT);
    g_assert_cmphex(cpu->pc, ==, V_CODE + 8);
    g_assert_cmphex(cpu->trap_arg & TLB_PAGE_MASK, ==, V_HOLE);
    for (unsigned i = 0; i < 3; i++) {
        g_assert_cmpuint(ram_at(V_HOLE - 3)[i], ==, 0);
    }
    toy_cpu_free(cpu);
}

static void test_align(gconstpointer data)
{
    ToyCPU *cpu = setup(data);

    PROG(ADDI(1, 0, V_DATA), LD32A(3, 1, 4), ADDI(5, 0, 1), LD32A(4, 1, 2), HALT());
    put64(V_DATA, 0x80000000aaaaaaaaull);
    g_assert_cmpint(run(cpu), ==, EXCP_TEST_ALIGN);
    g_assert_cmphex(cpu->pc, ==, V_CODE + 24);
    g_assert_cmphex(cpu->trap_arg, ==, V_DATA + 2);
    g_assert_cmpuint(unaligned_calls, ==, 1);
    g_assert_cmphex(cpu->regs[3], ==, 0xffffffff80000000ull);
    g_assert_cmpuint(cpu->regs[5], ==, 1);
    toy_cpu_free(cpu);
}

static void test_atomic(gconstpointer data)
{
    ToyCPU *cpu = setup(data);

    PROG(ADDI(1, 0, V_DATA), AMOADD(3, 1, 2, 8), ADDI(6, 0, V_DEV), AMOADD(4, 6, 2, 0x10),
         HALT());
    put64(V_DATA + 8, 1000);
    cpu->regs[2] = 5;
    g_assert_cmpint(run(cpu), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[3], ==, 1000);
    g_assert_cmpuint(get64(V_DATA + 8), ==, 1005);
    /* on the device: a read, then a write of the sum */
    g_assert_cmphex(cpu->regs[4], ==, 0x0102030405060708ull + 0x10);
    g_assert_cmpuint(dev_log.reads, ==, 1);
    g_assert_cmpuint(dev_log.writes, ==, 1);
    g_assert_cmphex(dev_log.value, ==, 0x0102030405060708ull + 0x10 + 5);
    toy_cpu_free(cpu);
}

/* 1000 loads from one page: one fill for the data, one for the code. */
static void test_fast_path(gconstpointer data)
{
    ToyCPU *cpu = setup(data);

    PROG(ADDI(1, 0, V_DATA), ADDI(5, 0, 1000), LD(3, 1, 0), ADD(4, 4, 3), ADDI(5, 5, -1),
         BNE(5, 0, -24), HALT());
    put64(V_DATA, 3);
    g_assert_cmpint(run(cpu), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[4], ==, 3000);
    g_assert_cmpuint(fills, ==, 2);
    /* only the first load missed */
    g_assert_cmpuint(cpu->parent.tlb.slow_accesses, ==, 1);
    toy_cpu_free(cpu);
}

/*
 * -m perf: ns per loop round with three loads that hit the TLB, or three
 * adds instead: what a hit costs beyond an add.
 */
static double time_loop(ToyCPU *cpu, bool with_load, int64_t n)
{
    gint64 t0;

    /* r5 = r6 = n, counted down; three loads (or three adds) per round */
    if (with_load) {
        PROG(ADDI(1, 0, V_DATA), ADDI(5, 6, 0), LD(3, 1, 0), LD(7, 1, 8), LD(2, 1, 16),
             ADD(4, 4, 3), ADDI(5, 5, -1), BNE(5, 0, -40), HALT());
    } else {
        PROG(ADDI(1, 0, V_DATA), ADDI(5, 6, 0), ADDI(3, 1, 0), ADDI(7, 1, 8), ADDI(2, 1, 16),
             ADD(4, 4, 3), ADDI(5, 5, -1), BNE(5, 0, -40), HALT());
    }
    tb_flush(NULL);
    cpu->regs[6] = n;
    t0 = g_get_monotonic_time();
    g_assert_cmpint(run(cpu), ==, EXCP_HLT);
    return (g_get_monotonic_time() - t0) * 1000.0 / n;
}

static void test_perf(gconstpointer data)
{
    ToyCPU *cpu = setup(data);
    const int64_t n = 20000000;
    double with, without;

    with = time_loop(cpu, true, n);
    without = time_loop(cpu, false, n);
    g_test_message("%s: %.2f ns/round with three TLB-hit loads, %.2f with three adds: "
                   "%.2f ns more per access", ((const IRBackend *)data)->name, with, without,
                   (with - without) / 3);
    toy_cpu_free(cpu);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        GTestDataFunc fn;
    } tests[] = {
        { "ram", test_ram },
        { "regs-survive", test_regs_survive },
        { "big-endian", test_big_endian },
        { "mmio", test_mmio },
        { "fault", test_fault },
        { "flush-refill", test_flush_refill },
        { "page-cross", test_page_cross },
        { "align", test_align },
        { "atomic", test_atomic },
        { "fast-path", test_fast_path },
    };
    GError *err = NULL;
    int ret;

    g_test_init(&argc, &argv, NULL);
    ir_mem_model = IR_MEM_SOFTMMU;
    toy_tlb_fill_fn = test_tlb_fill;
    ir_unaligned_hook = test_unaligned;
    g_assert_true(memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, &err));
    g_assert_no_error(err);
    memory_region_add_subregion(get_system_memory(), P_RAM, &ram);
    memory_region_init_io(&dev, NULL, &dev_ops, NULL, "dev", 0x1000);
    memory_region_add_subregion(get_system_memory(), P_DEV, &dev);
    for (const IRBackend *const *b = ir_backends; *b; b++) {
        for (size_t i = 0; i < G_N_ELEMENTS(tests); i++) {
            char *path = g_strdup_printf("/softmmu/%s/%s", (*b)->name, tests[i].name);

            g_test_add_data_func(path, *b, tests[i].fn);
            g_free(path);
        }
        if (g_test_perf()) {
            char *path = g_strdup_printf("/softmmu/%s/perf", (*b)->name);

            g_test_add_data_func(path, *b, test_perf);
            g_free(path);
        }
    }
    ret = g_test_run();
    memory_region_del_subregion(get_system_memory(), &dev);
    memory_region_del_subregion(get_system_memory(), &ram);
    memory_region_destroy(&dev);
    memory_region_destroy(&ram);
    return ret;
}
