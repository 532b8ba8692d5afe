/*
 * The instrumentation plugin API end to end, on every backend: loads the
 * api-probe plugin (tests/unit/plugins/api-probe.c, path in
 * API_PROBE_PLUGIN), makes twelve system-mode riscv64 harts (the
 * scoreboards outgrow their first eight elements), and runs on the last
 * one, with RAM at 0x80000000:
 *
 *     0x00  li   a0, 0
 *     0x04  addi a0, a0, 1        <- loop, 5 times
 *     0x08  sd   a0, 0(a1)
 *     0x0c  ld   a2, 8(a1)
 *     0x10  bne  a0, a3, loop
 *     0x14  ecall                 -> mtvec = 0x100
 *    0x100  wfi
 *
 * and checks what the plugin saw: exact instruction, TB, store and load
 * counts (inline and by callback), the conditional callback reading a0,
 * physical addresses, the exception, idle, flush, vcpu_init, the
 * disassembly, atexit; and that loading refuses bad arguments.
 */
#include <string.h>

#include "accel/tcg/backend.h"
#include "plugins/core.h"
#include "proteus/memory.h"
#include "target/riscv/cpu.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE 0x10000ull
#define DATA (RAM_BASE + 0x2000)
#define NCPUS 12
#define LOOPS 5

typedef struct Record {
    char *event;
    unsigned vcpu;
    uint64_t a, b;
} Record;

static GArray *records;
static GMutex records_lock;
static MemoryRegion ram;

/* Called by the plugin (exported from this executable). */
void api_probe_record(const char *event, unsigned vcpu, uint64_t a, uint64_t b);
void api_probe_record(const char *event, unsigned vcpu, uint64_t a, uint64_t b)
{
    Record r = { g_strdup(event), vcpu, a, b };

    g_mutex_lock(&records_lock);
    g_array_append_val(records, r);
    g_mutex_unlock(&records_lock);
}

static void record_clear(gpointer p)
{
    g_free(((Record *)p)->event);
}

/* How many records of event (for vcpu, or any with -1); the last in *out. */
static unsigned count_records(const char *event, int vcpu, Record *out)
{
    unsigned n = 0;

    for (guint i = 0; i < records->len; i++) {
        Record *r = &g_array_index(records, Record, i);

        if (strcmp(r->event, event) == 0 && (vcpu < 0 || r->vcpu == (unsigned)vcpu)) {
            n++;
            if (out) {
                *out = *r;
            }
        }
    }
    return n;
}

static void put32(uint8_t *p, uint32_t w)
{
    w = GUINT32_TO_LE(w);
    memcpy(p, &w, 4);
}

static void put_program(uint8_t *p)
{
    enum { A0 = 10, A1 = 11, A2 = 12, A3 = 13 };

    put32(p + 0x00, 0x00000513);                                   /* li a0, 0 */
    put32(p + 0x04, 1 << 20 | A0 << 15 | A0 << 7 | 0x13);          /* addi a0, a0, 1 */
    put32(p + 0x08, A0 << 20 | A1 << 15 | 3 << 12 | 0x23);         /* sd a0, 0(a1) */
    put32(p + 0x0c, 8 << 20 | A1 << 15 | 3 << 12 | A2 << 7 | 0x03); /* ld a2, 8(a1) */
    /* bne a0, a3, -12 */
    put32(p + 0x10, 1u << 31 | 0x3f << 25 | A3 << 20 | A0 << 15 | 1 << 12 | 0xa << 8 |
                    1 << 7 | 0x63);
    put32(p + 0x14, 0x00000073);                                   /* ecall */
    put32(p + 0x100, 0x10500073);                                  /* wfi */
}

static void test_bad_args(void)
{
    g_autoptr(GError) err = NULL;

    g_assert_false(plugin_load(g_getenv("API_PROBE_PLUGIN"), "riscv64", true, &err));
    g_assert_nonnull(strstr(err->message, "install refused its arguments"));
    g_clear_error(&err);
    g_assert_false(plugin_load("/nonexistent/plugin.so", "riscv64", true, &err));
    g_assert_nonnull(strstr(err->message, "/nonexistent/plugin.so: no such file"));
}

static void test_probe(gconstpointer data)
{
    const IRBackend *backend = data;
    RiscvCPU *cpus[NCPUS];
    RiscvCPU *cpu;
    GError *err = NULL;
    uint32_t exts;
    unsigned vcpu;
    Record r;

    g_array_set_size(records, 0);
    g_assert_true(tcg_exec_init(backend, &err));
    g_assert_no_error(err);
    tcg_set_validate(true);
    memset(memory_region_get_ram_ptr(&ram), 0, RAM_SIZE);
    put_program(memory_region_get_ram_ptr(&ram));
    g_assert_true(riscv_cpu_parse_model("rv64", &exts, &err));
    for (int i = 0; i < NCPUS; i++) {
        cpus[i] = riscv_cpu_new_system(exts, i, RAM_BASE);
    }
    cpu = cpus[NCPUS - 1];
    vcpu = cpu->parent.cpu_index;
    g_assert_cmpuint(count_records("init", -1, NULL), ==, NCPUS);
    g_assert_cmpuint(count_records("init", vcpu, NULL), ==, 1);
    g_assert_cmpuint(proteus_plugin_num_vcpus(), ==, vcpu + 1);

    cpu->gpr[11] = DATA;
    cpu->gpr[13] = LOOPS;
    cpu->mtvec = RAM_BASE + 0x100;
    g_assert_cmpint(cpu_exec(&cpu->parent), ==, EXCP_HLT);

    /* 1 + 4 * 5 + ecall + wfi instructions; TBs: 0x0, 0x4 (4 times, looping
     * inside itself), 0x14, 0x100 */
    g_assert_cmpuint(count_records("insns", vcpu, &r), ==, 1);
    g_assert_cmpuint(r.a, ==, 23);
    g_assert_cmpuint(r.b, ==, 7);
    g_assert_cmpuint(count_records("tb", vcpu, NULL), ==, 7);
    g_assert_cmpuint(count_records("stores", vcpu, &r), ==, 1);
    g_assert_cmpuint(r.a, ==, LOOPS);
    g_assert_cmpuint(r.b, ==, LOOPS);
    g_assert_cmpuint(count_records("load", vcpu, &r), ==, LOOPS);
    g_assert_cmphex(r.a, ==, DATA + 8);
    g_assert_cmphex(r.b, ==, 8);
    g_assert_cmpuint(count_records("phys", vcpu, &r), ==, LOOPS);
    g_assert_cmphex(r.a, ==, DATA + 8);
    g_assert_cmpuint(r.b, ==, 0);
    /* the third store's condition held once; a0 was 3 then */
    g_assert_cmpuint(count_records("cond", vcpu, &r), ==, 1);
    g_assert_cmphex(r.a, ==, RAM_BASE + 8);
    g_assert_cmpuint(r.b, ==, 3);
    g_assert_cmpuint(count_records("exception", vcpu, &r), ==, 1);
    g_assert_cmphex(r.a, ==, RAM_BASE + 0x14);
    g_assert_cmphex(r.b, ==, RAM_BASE + 0x100);
    g_assert_cmpuint(count_records("idle", vcpu, NULL), ==, 1);
    g_assert_cmpuint(count_records("sd a0,0(a1)", -1, &r), >=, 1);
    g_assert_cmphex(r.a, ==, RAM_BASE + 8);
    g_assert_cmpuint(r.b, ==, 4);
    /* the scoreboards grew (past 8, then 16 vCPUs), flushing the TBs */
    g_assert_cmpuint(count_records("flush", -1, NULL), >=, 1);

    for (int i = 0; i < NCPUS; i++) {
        riscv_cpu_free(cpus[i]);
    }
}

static void test_atexit(void)
{
    Record r;

    g_array_set_size(records, 0);
    plugin_atexit();
    plugin_atexit();
    g_assert_cmpuint(count_records("atexit", -1, &r), ==, 1);
    g_assert_cmphex(r.a, ==, 0x5a);
}

int main(int argc, char **argv)
{
    const char *path = g_getenv("API_PROBE_PLUGIN");
    g_autofree char *spec = NULL;
    GError *err = NULL;

    g_test_init(&argc, &argv, NULL);
    g_assert_nonnull(path);
    records = g_array_new(FALSE, FALSE, sizeof(Record));
    g_array_set_clear_func(records, record_clear);
    ir_mem_model = IR_MEM_SOFTMMU;
    riscv_helpers_init();
    g_assert_true(memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, &err));
    g_assert_no_error(err);
    memory_region_add_subregion(get_system_memory(), RAM_BASE, &ram);

    g_test_add_func("/plugin-api/bad-args", test_bad_args);
    spec = g_strdup_printf("%s,probe=on", path);
    g_assert_true(plugin_load(spec, "riscv64", true, &err));
    g_assert_no_error(err);
    g_assert_true(plugins_active);
    for (const IRBackend *const *b = ir_backends; *b; b++) {
        char *name = g_strdup_printf("/plugin-api/%s/probe", (*b)->name);

        g_test_add_data_func(name, *b, test_probe);
        g_free(name);
    }
    g_test_add_func("/plugin-api/atexit", test_atexit);
    return g_test_run();
}
