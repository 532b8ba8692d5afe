/*
 * The RISC-V privileged architecture on every backend in ir_backends[]:
 * a system-mode hart (riscv_cpu_new_system) in softmmu mode with RAM at
 * 0x80000000 runs the bare-metal programs of riscv-system/progs.S (built
 * into a flat image at build time, path in RISCV_SYSTEM_PROGS): mode
 * changes with mret/sret, ecall delegation, Sv39 with A/D updates, page
 * faults and sfence.vma, PMP, a timer interrupt waking a hart halted in
 * wfi, interrupts delegated to S, MPRV, and what TVM, TW, TSR and
 * FS = Off make illegal.
 */
#include <string.h>

#include "accel/tcg/backend.h"
#include "proteus/memory.h"
#include "proteus/translator.h"
#include "target/riscv/cpu.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE 0x400000ull

/* The programs' offsets in the image (progs.S .org). */
#define PROG_MODES 0x0000
#define PROG_SV39  0x1000
#define PROG_PMP   0x2000
#define PROG_IRQ   0x3000
#define PROG_MISC  0x4000
#define PROG_SIRQ  0x5000
#define PROG_REMAP 0x6000

/* Page tables and data of the Sv39 test. */
#define PT_ROOT 0x80200000ull
#define PT_L1   0x80201000ull
#define PT_L0   0x80202000ull
#define DATA0   0x80300000ull
#define DATA1   0x80301000ull
#define LOG     0x80310000ull
#define CODE1   0x80320000ull
#define CODE2   0x80321000ull

#define PTE_V 0x01
#define PTE_R 0x02
#define PTE_W 0x04
#define PTE_X 0x08
#define PTE_A 0x40
#define PTE_D 0x80

enum { A0 = 10, A1, A2, A3, A4, A5, A6, S2 = 18, S3, S4, S5, S6, S7, S8, S9, S10 };
enum { S0 = 8, S1 = 9 };

static MemoryRegion ram;
static gchar *image;
static gsize image_len;

static uint8_t *ram_at(uint64_t paddr)
{
    g_assert(paddr >= RAM_BASE && paddr + 8 <= RAM_BASE + RAM_SIZE);
    return (uint8_t *)memory_region_get_ram_ptr(&ram) + (paddr - RAM_BASE);
}

static void put64(uint64_t paddr, uint64_t v)
{
    v = GUINT64_TO_LE(v);
    memcpy(ram_at(paddr), &v, 8);
}

static uint64_t get64(uint64_t paddr)
{
    uint64_t v;

    memcpy(&v, ram_at(paddr), 8);
    return GUINT64_FROM_LE(v);
}

static uint64_t pte(uint64_t paddr, unsigned flags)
{
    return (paddr >> 12) << 10 | flags;
}

static RiscvCPU *setup(const IRBackend *backend, unsigned prog)
{
    GError *err = NULL;
    uint32_t exts;

    g_assert_true(tcg_exec_init(backend, &err));
    g_assert_no_error(err);
    tcg_set_validate(true);
    tb_flush(NULL);
    memset(ram_at(RAM_BASE), 0, RAM_SIZE);
    memcpy(ram_at(RAM_BASE), image, image_len);
    g_assert_true(riscv_cpu_parse_model("rv64", &exts, &err));
    return riscv_cpu_new_system(exts, 0, RAM_BASE + prog);
}

static void test_modes(gconstpointer data)
{
    RiscvCPU *cpu = setup(data, PROG_MODES);

    g_assert_cmpint(cpu->priv, ==, RISCV_PRIV_M);
    g_assert_cmpint(cpu_exec(&cpu->parent), ==, EXCP_HLT);
    g_assert_cmpint(cpu->priv, ==, RISCV_PRIV_M);
    g_assert_cmpuint(cpu->gpr[A0], ==, 42);
    /* addresses of labels come from registers the programs fill with la:
     * a1 = the ecall in U, a2 = the ecall in S */
    g_assert_cmphex(cpu->gpr[S1], ==, RISCV_EXCP_U_ECALL);
    g_assert_cmphex(cpu->gpr[S2], ==, cpu->gpr[A1]);
    g_assert_cmphex(cpu->gpr[S3] & MSTATUS_SPP, ==, 0);
    g_assert_cmphex(cpu->gpr[S4], ==, RISCV_EXCP_S_ECALL);
    g_assert_cmphex((cpu->gpr[S5] & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT, ==, RISCV_PRIV_S);
    g_assert_cmphex(cpu->gpr[S6], ==, cpu->gpr[A2]);
    g_assert_cmphex(cpu->mepc, ==, cpu->gpr[A2]);
    g_assert_true(cpu->parent.halted);
    riscv_cpu_free(cpu);
}

static void sv39_tables(void)
{
    put64(PT_ROOT + 2 * 8, pte(RAM_BASE, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D));
    put64(PT_ROOT + 1 * 8, pte(PT_L1, PTE_V));
    put64(PT_L1 + 0 * 8, pte(PT_L0, PTE_V));
    /* a 2 MiB page whose PPN is not 2 MiB-aligned */
    put64(PT_L1 + 1 * 8, pte(DATA1, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D));
    put64(PT_L0 + 0 * 8, pte(DATA0, PTE_V | PTE_R | PTE_W));
    put64(PT_L0 + 1 * 8, pte(DATA1, PTE_V | PTE_R | PTE_A));
}

static void test_sv39(gconstpointer data)
{
    RiscvCPU *cpu = setup(data, PROG_SV39);

    sv39_tables();
    put64(DATA0, 0x1111);
    put64(DATA1, 0x2222);
    cpu->gpr[A0] = PT_ROOT >> 12;
    cpu->gpr[A2] = 0xabcd;
    cpu->gpr[S8] = LOG;
    cpu->gpr[S9] = PT_L0;
    cpu->gpr[S10] = pte(DATA1, PTE_V | PTE_R | PTE_A);
    g_assert_cmpint(cpu_exec(&cpu->parent), ==, EXCP_HLT);
    g_assert_cmphex(cpu->gpr[S4], ==, RISCV_EXCP_S_ECALL);
    /* the first page, remapped to DATA1 and fenced by address */
    g_assert_cmphex(cpu->gpr[A5], ==, 0x2222);
    g_assert_cmphex(cpu->gpr[A1], ==, 0x1111);
    g_assert_cmphex(cpu->gpr[A3], ==, 0x2222);
    g_assert_cmphex(cpu->gpr[A4], ==, 0);
    g_assert_cmphex(get64(DATA0 + 8), ==, 0xabcd);
    g_assert_cmphex(get64(DATA1 + 8), ==, 0);
    /* the load set A, the store D */
    g_assert_cmphex(cpu->gpr[A6], ==, pte(DATA0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D));
    /* the S handler's log: (scause, stval) of each fault */
    g_assert_cmphex(cpu->gpr[S8], ==, LOG + 3 * 16);
    g_assert_cmphex(get64(LOG), ==, RISCV_EXCP_STORE_PAGE_FAULT);
    g_assert_cmphex(get64(LOG + 8), ==, 0x40001008);
    g_assert_cmphex(get64(LOG + 16), ==, RISCV_EXCP_LOAD_PAGE_FAULT);
    g_assert_cmphex(get64(LOG + 24), ==, 0x40200000);
    g_assert_cmphex(get64(LOG + 32), ==, RISCV_EXCP_INST_PAGE_FAULT);
    g_assert_cmphex(get64(LOG + 40), ==, 0x40400000);
    g_assert_cmphex(cpu->sepc, ==, cpu->gpr[1]);
    riscv_cpu_free(cpu);
}

static void test_pmp(gconstpointer data)
{
    RiscvCPU *cpu = setup(data, PROG_PMP);
    const uint64_t page = DATA0;

    put64(page, 0x77);
    put64(page + 0x1000, 0x88);
    put64(page - 8, 0x99);
    put64(page + 0x3000, 0xaa);
    cpu->gpr[A0] = page;
    cpu->gpr[S8] = LOG;
    g_assert_cmpint(cpu_exec(&cpu->parent), ==, EXCP_HLT);
    g_assert_cmphex(cpu->gpr[A1], ==, 0x77);
    g_assert_cmphex(cpu->gpr[A2], ==, 0x88);
    g_assert_cmphex(cpu->gpr[A3], ==, 0x99);
    g_assert_cmphex(cpu->gpr[A4], ==, 0);
    g_assert_cmphex(cpu->gpr[A5], ==, 0);
    g_assert_cmphex(cpu->gpr[A6], ==, 0xaa);
    /* M's log: (mcause, mtval, mepc) */
    g_assert_cmphex(cpu->gpr[S8], ==, LOG + 3 * 24);
    g_assert_cmphex(get64(LOG), ==, RISCV_EXCP_LOAD_ACCESS_FAULT);
    g_assert_cmphex(get64(LOG + 8), ==, page + 16);
    g_assert_cmphex(get64(LOG + 16), ==, cpu->gpr[S6]);
    g_assert_cmphex(get64(LOG + 24), ==, RISCV_EXCP_LOAD_ACCESS_FAULT);
    g_assert_cmphex(get64(LOG + 32), ==, page + 0x2008);
    g_assert_cmphex(get64(LOG + 40), ==, cpu->gpr[S7]);
    g_assert_cmphex(get64(LOG + 48), ==, RISCV_EXCP_S_ECALL);
    riscv_cpu_free(cpu);
}

static void test_irq(gconstpointer data)
{
    RiscvCPU *cpu = setup(data, PROG_IRQ);
    uint64_t halted_pc;

    /* nothing pending: wfi halts, and stays halted */
    g_assert_cmpint(cpu_exec(&cpu->parent), ==, EXCP_HLT);
    g_assert_true(cpu->parent.halted);
    halted_pc = cpu->pc;
    g_assert_cmpint(cpu_exec(&cpu->parent), ==, EXCP_HLT);
    g_assert_cmphex(cpu->pc, ==, halted_pc);
    g_assert_cmpuint(cpu->gpr[A0], ==, 1);

    /* the timer line wakes it and the interrupt is taken at the pc
     * after the wfi; the handler disables it and halts again */
    riscv_cpu_set_irq(cpu, RISCV_IRQ_MTIP, 1);
    g_assert_cmpuint(cpu->parent.interrupt_request & CPU_INTERRUPT_HARD, !=, 0);
    g_assert_cmpint(cpu_exec(&cpu->parent), ==, EXCP_HLT);
    g_assert_cmphex(cpu->gpr[A1], ==, RISCV_CAUSE_INTERRUPT | RISCV_IRQ_MTIP);
    g_assert_cmphex(cpu->gpr[A2], ==, halted_pc);
    g_assert_cmphex(cpu->gpr[A2], ==, cpu->gpr[A3]);
    g_assert_cmpuint(cpu->gpr[A0], ==, 1);
    g_assert_cmpint(cpu->priv, ==, RISCV_PRIV_M);
    g_assert_cmphex(cpu->mstatus & (MSTATUS_MIE | MSTATUS_MPIE), ==, MSTATUS_MPIE);
    /* mie = 0: MTIP still pending but not enabled, so no request */
    g_assert_cmpuint(cpu->parent.interrupt_request & CPU_INTERRUPT_HARD, ==, 0);
    riscv_cpu_set_irq(cpu, RISCV_IRQ_MTIP, 0);
    riscv_cpu_free(cpu);
}

static void test_misc(gconstpointer data)
{
    RiscvCPU *cpu = setup(data, PROG_MISC);
    static const uint64_t causes[] = {
        RISCV_EXCP_ILLEGAL_INST,    /* csrr satp with TVM */
        RISCV_EXCP_ILLEGAL_INST,    /* sfence.vma with TVM */
        RISCV_EXCP_ILLEGAL_INST,    /* wfi with TW */
        RISCV_EXCP_ILLEGAL_INST,    /* csrr mstatus in S */
        RISCV_EXCP_ILLEGAL_INST,    /* sret with TSR */
        RISCV_EXCP_ILLEGAL_INST,    /* fmv.d.x with FS off */
        RISCV_EXCP_ILLEGAL_INST,    /* csrr fflags with FS off */
        RISCV_EXCP_S_ECALL,
    };

    sv39_tables();
    put64(DATA0, 0x1111);
    cpu->gpr[A0] = PT_ROOT >> 12;
    cpu->gpr[S8] = LOG;
    g_assert_cmpint(cpu_exec(&cpu->parent), ==, EXCP_HLT);
    g_assert_cmphex(cpu->gpr[A1], ==, 0x1111);
    g_assert_cmphex(cpu->gpr[S8], ==, LOG + 16 * G_N_ELEMENTS(causes));
    for (size_t i = 0; i < G_N_ELEMENTS(causes); i++) {
        g_assert_cmphex(get64(LOG + 16 * i), ==, causes[i]);
        /* each at the next instruction of misc_s (a5) */
        g_assert_cmphex(get64(LOG + 16 * i + 8), ==, cpu->gpr[A5] + 4 * i);
    }
    riscv_cpu_free(cpu);
}

static void test_sirq(gconstpointer data)
{
    RiscvCPU *cpu = setup(data, PROG_SIRQ);

    cpu->gpr[S8] = LOG;
    g_assert_cmpint(cpu_exec(&cpu->parent), ==, EXCP_HLT);
    g_assert_cmphex(cpu->gpr[S4], ==, RISCV_EXCP_S_ECALL);
    g_assert_cmphex(cpu->gpr[S8], ==, LOG + 16);
    g_assert_cmphex(get64(LOG), ==, RISCV_CAUSE_INTERRUPT | RISCV_IRQ_SSIP);
    g_assert_cmphex(get64(LOG + 8), ==, RISCV_CAUSE_INTERRUPT | RISCV_IRQ_STIP);
    /* STIP stays pending, masked in sie */
    g_assert_cmphex(cpu->mip, ==, 1u << RISCV_IRQ_STIP);
    riscv_cpu_free(cpu);
}

/* li a0, IMM; ret */
static void put_return_imm(uint64_t paddr, int imm)
{
    uint32_t code[2] = { GUINT32_TO_LE(0x00000513u | (uint32_t)imm << 20),
                         GUINT32_TO_LE(0x00008067u) };

    memcpy(ram_at(paddr), code, sizeof(code));
}

static void test_code_remap(gconstpointer data)
{
    RiscvCPU *cpu = setup(data, PROG_REMAP);

    put64(PT_ROOT + 2 * 8, pte(RAM_BASE, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D));
    put64(PT_ROOT + 1 * 8, pte(PT_L1, PTE_V));
    put64(PT_L1 + 0 * 8, pte(PT_L0, PTE_V));
    put64(PT_L0 + 0 * 8, pte(CODE1, PTE_V | PTE_R | PTE_X | PTE_A));
    put_return_imm(CODE1, 1);
    put_return_imm(CODE2, 2);
    cpu->gpr[A0] = PT_ROOT >> 12;
    cpu->gpr[S9] = PT_L0;
    cpu->gpr[S10] = pte(CODE2, PTE_V | PTE_R | PTE_X | PTE_A);
    g_assert_cmpint(cpu_exec(&cpu->parent), ==, EXCP_HLT);
    g_assert_cmphex(cpu->gpr[S4], ==, RISCV_EXCP_S_ECALL);
    g_assert_cmpint(cpu->gpr[A1], ==, 1);
    g_assert_cmpint(cpu->gpr[A2], ==, 2);
    riscv_cpu_free(cpu);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        GTestDataFunc fn;
    } tests[] = {
        { "modes", test_modes },
        { "sv39", test_sv39 },
        { "pmp", test_pmp },
        { "irq-wfi", test_irq },
        { "misc", test_misc },
        { "s-irq", test_sirq },
        { "code-remap", test_code_remap },
    };
    const char *path = g_getenv("RISCV_SYSTEM_PROGS");
    GError *err = NULL;
    int ret;

    g_test_init(&argc, &argv, NULL);
    g_assert_nonnull(path);
    g_assert_true(g_file_get_contents(path, &image, &image_len, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(image_len, <=, 0x10000);
    ir_mem_model = IR_MEM_SOFTMMU;
    riscv_helpers_init();
    g_assert_true(memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, &err));
    g_assert_no_error(err);
    memory_region_add_subregion(get_system_memory(), RAM_BASE, &ram);
    for (const IRBackend *const *b = ir_backends; *b; b++) {
        for (size_t i = 0; i < G_N_ELEMENTS(tests); i++) {
            char *name = g_strdup_printf("/riscv-system/%s/%s", (*b)->name,
                                         tests[i].name);

            g_test_add_data_func(name, *b, tests[i].fn);
            g_free(name);
        }
    }
    ret = g_test_run();
    memory_region_del_subregion(get_system_memory(), &ram);
    memory_region_destroy(&ram);
    g_free(image);
    return ret;
}
