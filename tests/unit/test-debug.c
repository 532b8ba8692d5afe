/*
 * The debugger's execution control (proteus/debug.h) on every backend, on
 * a riscv64 hart running a small loop, in system mode (softmmu, RAM at
 * 0x80000000) and in user mode (guest memory at ir_guest_base, moved onto
 * the TLB by the first watchpoint):
 *
 *     0x00  li   a0, 0
 *     0x04  addi a0, a0, 1        <- loop
 *     0x08  sd   a0, 0(a1)
 *     0x0c  ld   a2, 8(a1)
 *     0x10  bne  a0, a3, loop
 *     0x14  wfi (system) / ecall (user)
 *
 * Breakpoints stop before their instruction and let a resumed CPU go on;
 * single-step stops after each instruction, and after a trap at the
 * handler; watchpoints stop after the access, with the pc on the next
 * instruction and the store done.
 */
#include <string.h>

#include "accel/tcg/backend.h"
#include "proteus/debug.h"
#include "proteus/memory.h"
#include "proteus/translator.h"
#include "target/riscv/cpu.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE 0x10000ull
#define USER_BASE 0x1000ull       /* the program's address in user mode */
#define DATA_OFF 0x2000ull        /* the data's offset from the program */
#define LOOPS 5

enum { A0 = 10, A1 = 11, A2 = 12, A3 = 13 };

static MemoryRegion ram;
static uint8_t *user_mem;         /* user mode's guest address space, 64 KiB */

static uint32_t i_type(int imm, unsigned rs1, unsigned f3, unsigned rd, unsigned op)
{
    return (uint32_t)(imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}

static uint32_t s_type(int imm, unsigned rs2, unsigned rs1, unsigned f3)
{
    return (uint32_t)((imm >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
           (uint32_t)(imm & 0x1f) << 7 | 0x23;
}

static uint32_t b_type(int off, unsigned rs2, unsigned rs1, unsigned f3)
{
    return (uint32_t)((off >> 12) & 1) << 31 | (uint32_t)((off >> 5) & 0x3f) << 25 |
           rs2 << 20 | rs1 << 15 | f3 << 12 | (uint32_t)((off >> 1) & 0xf) << 8 |
           (uint32_t)((off >> 11) & 1) << 7 | 0x63;
}

static void put_program(uint8_t *p, bool user)
{
    const uint32_t insns[] = {
        i_type(0, 0, 0, A0, 0x13),          /* li a0, 0 */
        i_type(1, A0, 0, A0, 0x13),         /* addi a0, a0, 1 */
        s_type(0, A0, A1, 3),               /* sd a0, 0(a1) */
        i_type(8, A1, 3, A2, 0x03),         /* ld a2, 8(a1) */
        b_type(-12, A3, A0, 1),             /* bne a0, a3, loop */
        user ? 0x00000073 : 0x10500073,     /* ecall / wfi */
    };

    for (size_t i = 0; i < G_N_ELEMENTS(insns); i++) {
        uint32_t w = GUINT32_TO_LE(insns[i]);

        memcpy(p + 4 * i, &w, 4);
    }
}

typedef struct Mode {
    bool user;
    uint64_t base;              /* the program's guest address */
    uint8_t *host;              /* ... and where it is on the host */
    int end_excp;               /* what cpu_exec returns at the end */
} Mode;

static uint64_t load64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, 8);
    return GUINT64_FROM_LE(v);
}

/* cpu_user_tlb_fill for the test's flat user space. */
static bool test_user_fill(CPUState *cpu, uint64_t addr, MMUAccessType type,
                           unsigned mmu_idx, bool probe, uintptr_t retaddr)
{
    uint64_t page = addr & TLB_PAGE_MASK;

    g_assert_cmphex(page, <, RAM_SIZE);
    tlb_set_page_host(cpu, page, user_mem + page, PAGE_READ | PAGE_WRITE | PAGE_EXEC, mmu_idx);
    return true;
}

static RiscvCPU *setup(const IRBackend *backend, Mode *m, bool user)
{
    GError *err = NULL;
    uint32_t exts;
    RiscvCPU *cpu;

    m->user = user;
    ir_mem_model = user ? IR_MEM_USER : IR_MEM_SOFTMMU;
    cpu_user_tlb_fill = user ? test_user_fill : NULL;
    g_assert_true(tcg_exec_init(backend, &err));
    g_assert_no_error(err);
    tcg_set_validate(true);
    tb_flush(NULL);
    g_assert_true(riscv_cpu_parse_model("rv64", &exts, &err));
    if (user) {
        m->base = USER_BASE;
        m->host = user_mem + USER_BASE;
        m->end_excp = RISCV_EXCP_U_ECALL;
        memset(user_mem, 0, RAM_SIZE);
        cpu = riscv_cpu_new(exts);
        cpu->parent.exit_on_exception = true;
        cpu->pc = m->base;
    } else {
        m->base = RAM_BASE;
        m->host = memory_region_get_ram_ptr(&ram);
        m->end_excp = EXCP_HLT;
        memset(m->host, 0, RAM_SIZE);
        cpu = riscv_cpu_new_system(exts, 0, RAM_BASE);
    }
    put_program(m->host, user);
    cpu->gpr[A1] = m->base + DATA_OFF;
    cpu->gpr[A3] = LOOPS;
    return cpu;
}

static void teardown(RiscvCPU *cpu)
{
    cpu_breakpoint_remove_all();
    cpu_watchpoint_remove_all();
    riscv_cpu_free(cpu);
    cpu_user_tlb_fill = NULL;
}

static void expect_stop(RiscvCPU *cpu, CPUDebugReason reason, uint64_t pc)
{
    CPUDebugStop stop;

    g_assert_cmpint(cpu_exec(&cpu->parent), ==, EXCP_DEBUG);
    cpu_debug_stop_info(&cpu->parent, &stop);
    g_assert_cmpint(stop.reason, ==, reason);
    g_assert_cmphex(cpu->pc, ==, pc);
}

static void test_breakpoint(const IRBackend *backend, bool user)
{
    Mode m;
    RiscvCPU *cpu = setup(backend, &m, user);

    cpu_breakpoint_insert(m.base + 8);
    g_assert_true(cpu_breakpoint_at(m.base + 8));
    for (uint64_t i = 1; i <= 3; i++) {
        expect_stop(cpu, DEBUG_STOP_BREAKPOINT, m.base + 8);
        /* stopped before the store of iteration i */
        g_assert_cmpuint(cpu->gpr[A0], ==, i);
        g_assert_cmpuint(load64(m.host + DATA_OFF), ==, i - 1);
    }
    g_assert_true(cpu_breakpoint_remove(m.base + 8));
    g_assert_false(cpu_breakpoint_remove(m.base + 8));
    g_assert_cmpint(cpu_exec(&cpu->parent), ==, m.end_excp);
    g_assert_cmpuint(cpu->gpr[A0], ==, LOOPS);
    teardown(cpu);
}

static void test_step(const IRBackend *backend, bool user)
{
    static const unsigned path[] = { 4, 8, 12, 16, 4, 8, 12, 16, 4 };
    Mode m;
    RiscvCPU *cpu = setup(backend, &m, user);

    cpu_single_step(&cpu->parent, true);
    for (size_t i = 0; i < G_N_ELEMENTS(path); i++) {
        expect_stop(cpu, DEBUG_STOP_STEP, m.base + path[i]);
    }
    g_assert_cmpuint(cpu->gpr[A0], ==, 2);
    g_assert_cmpuint(load64(m.host + DATA_OFF), ==, 2);
    cpu_single_step(&cpu->parent, false);
    g_assert_cmpint(cpu_exec(&cpu->parent), ==, m.end_excp);
    g_assert_cmpuint(cpu->gpr[A0], ==, LOOPS);
    teardown(cpu);
}

static void test_watchpoint(const IRBackend *backend, bool user)
{
    Mode m;
    RiscvCPU *cpu = setup(backend, &m, user);
    uint64_t data = m.base + DATA_OFF;
    CPUDebugStop stop;

    memcpy(m.host + DATA_OFF + 8, "\x2a\0\0\0\0\0\0\0", 8);
    cpu_watchpoint_insert(data, 8, WP_WRITE);
    for (uint64_t i = 1; i <= 2; i++) {
        expect_stop(cpu, DEBUG_STOP_WATCHPOINT, m.base + 12);
        /* the store is done, the load after it is not */
        g_assert_cmpuint(load64(m.host + DATA_OFF), ==, i);
        g_assert_cmpuint(cpu->gpr[A2], ==, i == 1 ? 0 : 42);
        cpu_debug_stop_info(&cpu->parent, &stop);
        g_assert_cmphex(stop.addr, ==, data);
        g_assert_cmpuint(stop.len, ==, 8);
        g_assert_cmpint(stop.kind, ==, WP_WRITE);
    }
    g_assert_true(cpu_watchpoint_remove(data, 8, WP_WRITE));
    /* a read watchpoint on the loaded word: stops after the load */
    cpu_watchpoint_insert(data + 12, 1, WP_READ);
    expect_stop(cpu, DEBUG_STOP_WATCHPOINT, m.base + 16);
    g_assert_cmpuint(cpu->gpr[A2], ==, 42);
    g_assert_cmpuint(cpu->gpr[A0], ==, 2);
    /* an access watchpoint elsewhere never stops */
    cpu_watchpoint_remove_all();
    cpu_watchpoint_insert(data + 64, 8, WP_ACCESS);
    g_assert_cmpint(cpu_exec(&cpu->parent), ==, m.end_excp);
    g_assert_cmpuint(load64(m.host + DATA_OFF), ==, LOOPS);
    if (user) {
        cpu_watchpoint_remove_all();
        g_assert_cmpint(ir_mem_model, ==, IR_MEM_USER);
    }
    teardown(cpu);
}

/* System mode: a step onto an ecall stops at the trap handler. */
static void test_step_trap(gconstpointer data)
{
    const IRBackend *backend = data;
    Mode m;
    RiscvCPU *cpu = setup(backend, &m, false);
    const uint32_t ecall = GUINT32_TO_LE(0x00000073);

    memcpy(m.host, &ecall, 4);
    cpu->mtvec = m.base + 0x100;
    cpu_single_step(&cpu->parent, true);
    expect_stop(cpu, DEBUG_STOP_STEP, m.base + 0x100);
    g_assert_cmphex(cpu->mcause, ==, RISCV_EXCP_M_ECALL);
    g_assert_cmphex(cpu->mepc, ==, m.base);
    teardown(cpu);
}

#define MODE_TESTS(fn) \
    static void fn##_system(gconstpointer d) { fn(d, false); } \
    static void fn##_user(gconstpointer d) { fn(d, true); }
MODE_TESTS(test_breakpoint)
MODE_TESTS(test_step)
MODE_TESTS(test_watchpoint)

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        GTestDataFunc fn;
    } tests[] = {
        { "breakpoint/system", test_breakpoint_system },
        { "breakpoint/user", test_breakpoint_user },
        { "step/system", test_step_system },
        { "step/user", test_step_user },
        { "watchpoint/system", test_watchpoint_system },
        { "watchpoint/user", test_watchpoint_user },
        { "step-trap/system", test_step_trap },
    };
    GError *err = NULL;
    int ret;

    g_test_init(&argc, &argv, NULL);
    riscv_helpers_init();
    g_assert_true(memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, &err));
    g_assert_no_error(err);
    memory_region_add_subregion(get_system_memory(), RAM_BASE, &ram);
    user_mem = g_malloc0(RAM_SIZE);
    ir_guest_base = (uintptr_t)user_mem;
    for (const IRBackend *const *b = ir_backends; *b; b++) {
        for (size_t i = 0; i < G_N_ELEMENTS(tests); i++) {
            char *name = g_strdup_printf("/debug/%s/%s", (*b)->name, tests[i].name);

            g_test_add_data_func(name, *b, tests[i].fn);
            g_free(name);
        }
    }
    ret = g_test_run();
    g_free(user_mem);
    return ret;
}
