/*
 * Tests of the riscv64 virt board (hw/riscv/virt.c, boot.c) from the
 * outside: the device tree it writes with -M virt,dumpdtb=FILE, checked
 * with libfdt; refusals of bad files; and a bare-metal program run with
 * -bios none that prints through the UART and ends through the test
 * device with an exit status.
 */
#include <string.h>
#include <sys/wait.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <libfdt.h>

typedef struct Run {
    int status;                 /* exit status */
    char *out;
    char *err;
} Run;

static void run_clear(Run *r)
{
    g_free(r->out);
    g_free(r->err);
}

/* Runs the emulator with args (a shell-style string) to completion. */
static Run run_emulator(const char *args)
{
    g_autofree char *cmdline = g_strdup_printf("%s %s", g_getenv("PROTEUS_SYSTEM"), args);
    g_auto(GStrv) argv = NULL;
    GError *err = NULL;
    Run r = { 0 };
    int wait_status;

    g_assert_nonnull(g_getenv("PROTEUS_SYSTEM"));
    g_assert_true(g_shell_parse_argv(cmdline, NULL, &argv, NULL));
    if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL,
                      &r.out, &r.err, &wait_status, &err)) {
        g_error("running %s: %s", argv[0], err->message);
    }
    g_assert_true(WIFEXITED(wait_status));
    r.status = WEXITSTATUS(wait_status);
    return r;
}

typedef struct Fixture {
    char *dir;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data)
{
    GError *err = NULL;

    f->dir = g_dir_make_tmp(NULL, &err);
    g_assert_no_error(err);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    g_autoptr(GDir) dir = g_dir_open(f->dir, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(f->dir, name, NULL);

        g_unlink(path);
    }
    g_rmdir(f->dir);
    g_free(f->dir);
}

static char *fixture_path(Fixture *f, const char *name)
{
    return g_build_filename(f->dir, name, NULL);
}

/* Runs -M virt,dumpdtb with extra args and returns the blob (g_free it). */
static void *dump_dtb(Fixture *f, const char *extra)
{
    g_autofree char *path = fixture_path(f, "virt.dtb");
    g_autofree char *args = g_strdup_printf("-M virt,dumpdtb=%s %s", path, extra);
    Run r = run_emulator(args);
    char *blob;
    gsize len;

    g_assert_cmpstr(r.err, ==, "");
    g_assert_cmpint(r.status, ==, 0);
    run_clear(&r);
    g_assert_true(g_file_get_contents(path, &blob, &len, NULL));
    g_assert_cmpint(fdt_check_header(blob), ==, 0);
    g_assert_cmpuint(fdt_totalsize(blob), <=, len);
    return blob;
}

static int node(const void *fdt, const char *path)
{
    int off = fdt_path_offset(fdt, path);

    if (off < 0) {
        g_error("no node %s: %s", path, fdt_strerror(off));
    }
    return off;
}

static const void *prop(const void *fdt, const char *path, const char *name, int *len)
{
    const void *p = fdt_getprop(fdt, node(fdt, path), name, len);

    if (!p) {
        g_error("no property %s in %s", name, path);
    }
    return p;
}

static uint32_t prop_cell(const void *fdt, const char *path, const char *name, int i)
{
    int len;
    const fdt32_t *cells = prop(fdt, path, name, &len);

    g_assert_cmpint(len, >=, (i + 1) * 4);
    return fdt32_to_cpu(cells[i]);
}

static uint64_t prop_u64(const void *fdt, const char *path, const char *name)
{
    int len;
    const void *p = prop(fdt, path, name, &len);
    fdt64_t v;

    g_assert_cmpint(len, ==, 8);
    memcpy(&v, p, 8);       /* properties are only 4-byte aligned */
    return fdt64_to_cpu(v);
}

static const char *prop_str(const void *fdt, const char *path, const char *name)
{
    return prop(fdt, path, name, NULL);
}

static uint32_t phandle_of(const void *fdt, const char *path)
{
    uint32_t ph = fdt_get_phandle(fdt, node(fdt, path));

    g_assert_cmpuint(ph, !=, 0);
    return ph;
}

static void test_dtb_cpus_memory(Fixture *f, gconstpointer data)
{
    g_autofree void *fdt = dump_dtb(f, "-smp 2 -append console=ttyS0");

    g_assert_cmpuint(prop_cell(fdt, "/cpus", "timebase-frequency", 0), ==, 10000000);
    g_assert_cmpstr(prop_str(fdt, "/cpus/cpu@0", "device_type"), ==, "cpu");
    g_assert_cmpuint(prop_cell(fdt, "/cpus/cpu@1", "reg", 0), ==, 1);
    g_assert_true(g_str_has_prefix(prop_str(fdt, "/cpus/cpu@1", "riscv,isa"),
                                   "rv64imafdc"));
    g_assert_cmpint(fdt_path_offset(fdt, "/cpus/cpu@2"), ==, -FDT_ERR_NOTFOUND);
    g_assert_cmpstr(prop_str(fdt, "/cpus/cpu@0/interrupt-controller", "compatible"), ==,
                    "riscv,cpu-intc");
    g_assert_cmpuint(prop_cell(fdt, "/cpus/cpu-map/cluster0/core1", "cpu", 0), ==,
                     phandle_of(fdt, "/cpus/cpu@1"));

    g_assert_cmpuint(prop_cell(fdt, "/memory@80000000", "reg", 1), ==, 0x80000000);
    g_assert_cmpuint(prop_cell(fdt, "/memory@80000000", "reg", 3), ==, 128 << 20);

    g_assert_cmpstr(prop_str(fdt, "/chosen", "bootargs"), ==, "console=ttyS0");
    g_assert_cmpstr(prop_str(fdt, "/chosen", "stdout-path"), ==, "/soc/serial@10000000");
}

/* interrupts-extended of node: pairs <hart h's intc, irq> in hart order. */
static void check_hart_irqs(const void *fdt, const char *path, const uint32_t *irqs,
                            int per_hart, int harts)
{
    int len;

    prop(fdt, path, "interrupts-extended", &len);
    g_assert_cmpint(len, ==, harts * per_hart * 8);
    for (int h = 0; h < harts; h++) {
        g_autofree char *intc = g_strdup_printf("/cpus/cpu@%d/interrupt-controller", h);

        for (int i = 0; i < per_hart; i++) {
            int cell = 2 * (h * per_hart + i);

            g_assert_cmpuint(prop_cell(fdt, path, "interrupts-extended", cell), ==,
                             phandle_of(fdt, intc));
            g_assert_cmpuint(prop_cell(fdt, path, "interrupts-extended", cell + 1), ==,
                             irqs[i]);
        }
    }
}

static void test_dtb_soc(Fixture *f, gconstpointer data)
{
    static const uint32_t clint_irqs[] = { 3, 7 };     /* MSIP, MTIP */
    static const uint32_t plic_irqs[] = { 11, 9 };     /* MEIP, SEIP */
    g_autofree void *fdt = dump_dtb(f, "-smp 2");
    uint32_t plic;
    int len;
    const char *compat;

    check_hart_irqs(fdt, "/soc/clint@2000000", clint_irqs, 2, 2);
    g_assert_cmpint(fdt_node_check_compatible(fdt, node(fdt, "/soc/clint@2000000"),
                                              "riscv,clint0"), ==, 0);
    check_hart_irqs(fdt, "/soc/plic@c000000", plic_irqs, 2, 2);
    g_assert_cmpuint(prop_cell(fdt, "/soc/plic@c000000", "riscv,ndev", 0), ==, 95);
    g_assert_cmpint(fdt_node_check_compatible(fdt, node(fdt, "/soc/plic@c000000"),
                                              "riscv,plic0"), ==, 0);
    plic = phandle_of(fdt, "/soc/plic@c000000");

    g_assert_cmpstr(prop_str(fdt, "/soc/serial@10000000", "compatible"), ==, "ns16550a");
    g_assert_cmpuint(prop_cell(fdt, "/soc/serial@10000000", "interrupts", 0), ==, 10);
    g_assert_cmpuint(prop_cell(fdt, "/soc/serial@10000000", "interrupt-parent", 0), ==,
                     plic);
    g_assert_cmpuint(prop_cell(fdt, "/soc/serial@10000000", "clock-frequency", 0), !=, 0);
    g_assert_cmpstr(prop_str(fdt, "/soc/rtc@101000", "compatible"), ==,
                    "google,goldfish-rtc");
    g_assert_cmpuint(prop_cell(fdt, "/soc/rtc@101000", "interrupts", 0), ==, 11);

    compat = prop(fdt, "/soc/test@100000", "compatible", &len);
    g_assert_cmpint(len, ==, sizeof("sifive,test1\0sifive,test0\0syscon"));
    g_assert_cmpmem(compat, len, "sifive,test1\0sifive,test0\0syscon", len);
    g_assert_cmpuint(prop_cell(fdt, "/poweroff", "value", 0), ==, 0x5555);
    g_assert_cmpuint(prop_cell(fdt, "/poweroff", "regmap", 0), ==,
                     phandle_of(fdt, "/soc/test@100000"));
    g_assert_cmpuint(prop_cell(fdt, "/reboot", "value", 0), ==, 0x7777);
}

/* The initrd lies page-aligned in RAM, below the DTB's 2 MiB-aligned slot. */
static void test_dtb_initrd(Fixture *f, gconstpointer data)
{
    g_autofree char *initrd = fixture_path(f, "initrd");
    g_autofree char *args = NULL;
    g_autofree char *content = g_malloc0(5000);
    g_autofree void *fdt = NULL;
    uint64_t start, end;

    g_assert_true(g_file_set_contents(initrd, content, 5000, NULL));
    args = g_strdup_printf("-bios none -m 64 -initrd %s", initrd);
    fdt = dump_dtb(f, args);
    start = prop_u64(fdt, "/chosen", "linux,initrd-start");
    end = prop_u64(fdt, "/chosen", "linux,initrd-end");
    g_assert_cmphex(end - start, ==, 5000);
    g_assert_cmphex(start & 0xfff, ==, 0);
    g_assert_cmphex(start, >=, 0x80000000);
    g_assert_cmphex(end, <=, 0x84000000 - 0x200000);
}

static void check_refused(const char *args, const char *expect)
{
    Run r = run_emulator(args);

    g_assert_cmpint(r.status, ==, 1);
    g_assert_nonnull(strstr(r.err, expect));
    /* one message, one line */
    g_assert_cmpint(strchr(r.err, '\n') - r.err, ==, strlen(r.err) - 1);
    run_clear(&r);
}

static void test_bad_files(Fixture *f, gconstpointer data)
{
    g_autofree char *junk = fixture_path(f, "junk");
    g_autofree char *missing = fixture_path(f, "missing");
    g_autofree char *args = NULL;

    g_assert_true(g_file_set_contents(junk, "not a device tree at all, no", -1, NULL));
    args = g_strdup_printf("-M virt -dtb %s", junk);
    check_refused(args, "-dtb");
    g_free(args);
    args = g_strdup_printf("-M virt -bios none -kernel %s", missing);
    check_refused(args, "-kernel");
    g_free(args);
    args = g_strdup_printf("-M virt -bios %s", missing);
    check_refused(args, "-bios");
}

/*
 * A program at 0x80000000, entered from the ROM with -bios none:
 * prints "OK" to the UART, then writes FAIL with code 5 to the test device.
 */
static const uint32_t bare_program[] = {
    0x100002b7,     /* lui  t0, 0x10000       the UART */
    0x04f00313,     /* li   t1, 'O' */
    0x00628023,     /* sb   t1, 0(t0) */
    0x04b00313,     /* li   t1, 'K' */
    0x00628023,     /* sb   t1, 0(t0) */
    0x001002b7,     /* lui  t0, 0x100         the test device */
    0x00053337,     /* lui  t1, 0x53 */
    0x33330313,     /* addi t1, t1, 0x333     0x3333 | 5 << 16 */
    0x0062a023,     /* sw   t1, 0(t0) */
    0x0000006f,     /* j    . */
};

static void test_bare_metal_exit(Fixture *f, gconstpointer data)
{
    g_autofree char *kernel = fixture_path(f, "prog.bin");
    g_autofree char *serial = fixture_path(f, "serial.txt");
    g_autofree char *args = NULL;
    g_autofree char *out = NULL;
    uint8_t bytes[sizeof(bare_program)];
    Run r;

    for (size_t i = 0; i < G_N_ELEMENTS(bare_program); i++) {
        for (int b = 0; b < 4; b++) {
            bytes[4 * i + b] = bare_program[i] >> (8 * b);
        }
    }
    g_assert_true(g_file_set_contents(kernel, (char *)bytes, sizeof(bytes), NULL));
    args = g_strdup_printf("-M virt -bios none -kernel %s -serial file:%s", kernel, serial);
    r = run_emulator(args);
    g_assert_cmpstr(r.err, ==, "");
    g_assert_cmpint(r.status, ==, 5);
    run_clear(&r);
    g_assert_true(g_file_get_contents(serial, &out, NULL, NULL));
    g_assert_cmpstr(out, ==, "OK");
}

static void add(const char *name, void (*fn)(Fixture *, gconstpointer))
{
    g_test_add(name, Fixture, NULL, fixture_setup, fn, fixture_teardown);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    add("/riscv-virt/dtb/cpus-memory-chosen", test_dtb_cpus_memory);
    add("/riscv-virt/dtb/soc", test_dtb_soc);
    add("/riscv-virt/dtb/initrd", test_dtb_initrd);
    add("/riscv-virt/bad-files", test_bad_files);
    add("/riscv-virt/bare-metal-exit", test_bare_metal_exit);
    return g_test_run();
}
