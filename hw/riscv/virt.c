/*
 * -M virt: the riscv64 "virt" board, laid out like QEMU's so that firmware
 * and kernels built for that board (OpenSBI's generic platform, U-Boot's
 * qemu-riscv64, Linux defconfig) run unchanged. It describes itself to
 * them with a flattened device tree built from the devices present.
 *
 * Memory map:
 *   0x00001000  boot ROM (0xf000): the reset vector and fw_dynamic info
 *   0x00100000  sifive-test (poweroff, exit status, reboot)
 *   0x00101000  goldfish-rtc                         PLIC source 11
 *   0x02000000  riscv-aclint (CLINT layout)
 *   0x0c000000  sifive-plic, two contexts per hart (M, S)
 *   0x10000000  ns16550a on serial_hd(0)             PLIC source 10
 *   0x10001000  virtio-mmio transports: 8 slots of 0x1000, PLIC sources
 *               1..8; -device virtio-*-device fills the first free one
 *   0x80000000  RAM
 *
 * Booting: every hart starts in the ROM, which jumps with a0 = mhartid,
 * a1 = the DTB (at the top of RAM) and a2 = OpenSBI's fw_dynamic info to
 * the firmware at 0x80000000 (-bios; Debian's OpenSBI fw_dynamic.bin by
 * default). The firmware enters the -kernel (at 0x80200000 if raw, at its
 * physical addresses if ELF) in S-mode. With -bios none the ROM jumps to
 * the kernel itself, which then runs in M-mode.
 *
 * Machine options: dumpdtb=FILE writes the device tree and exits.
 */
#include <inttypes.h>
#include <libfdt.h>
#include <string.h>

#include "hw/intc/riscv-aclint.h"
#include "hw/riscv/boot.h"
#include "proteus/chardev.h"
#include "proteus/cpus.h"
#include "proteus/main-loop.h"
#include "proteus/net.h"
#include "target/riscv/cpu.h"

#define VIRT_MAX_CPUS           8

#define VIRT_ROM_BASE           0x1000
#define VIRT_ROM_SIZE           0xf000
#define VIRT_TEST_BASE          0x100000
#define VIRT_TEST_SIZE          0x1000
#define VIRT_RTC_BASE           0x101000
#define VIRT_RTC_SIZE           0x1000
#define VIRT_CLINT_BASE         0x2000000
#define VIRT_PLIC_BASE          0xc000000
#define VIRT_UART0_BASE         0x10000000
#define VIRT_UART0_SIZE         0x100
#define VIRT_VIRTIO_BASE        0x10001000
#define VIRT_VIRTIO_SIZE        0x1000
#define VIRT_VIRTIO_COUNT       8
#define VIRT_DRAM_BASE          0x80000000ull

#define VIRT_VIRTIO_IRQ         1       /* slot i has source 1 + i */
#define VIRT_UART0_IRQ          10
#define VIRT_RTC_IRQ            11
#define VIRT_PLIC_NUM_SOURCES   96      /* sources 1..95 */

/* The PLIC's size for n contexts (see hw/intc/sifive-plic.c). */
#define VIRT_PLIC_SIZE(n)       (0x200000 + 0x1000 * (uint64_t)(n))

#define VIRT_TIMEBASE_FREQ      10000000
/* Where OpenSBI's generic platform expects the next stage. */
#define VIRT_KERNEL_OFFSET      0x200000
/* The DTB sits below 3 GiB (for 32-bit kernels' sake too), 2 MiB aligned. */
#define VIRT_FDT_LIMIT          0xc0000000ull
#define VIRT_FDT_ALIGN          0x200000ull

#define VIRT_DEFAULT_BIOS "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"

#define TYPE_VIRT_MACHINE "virt" TYPE_MACHINE_SUFFIX
OBJECT_DECLARE_SIMPLE_TYPE(VirtMachineState, VIRT_MACHINE)

struct VirtMachineState {
    MachineState parent_obj;
    char *dumpdtb;              /* machine option: write the DTB here and exit */

    uint32_t exts;              /* the harts' extensions (-cpu) */
    MemoryRegion rom;
    DeviceState *clint;
    DeviceState *plic;
    DeviceState *uart0;
    DeviceState *test;
    DeviceState *rtc;
    DeviceState *virtio[VIRT_VIRTIO_COUNT];
    RiscvBootImages *boot;

    void *fdt;
    uint32_t next_phandle;
    uint32_t plic_phandle;
    uint32_t test_phandle;
    uint32_t intc_phandles[VIRT_MAX_CPUS];
};

/* ---- devices ---- */

/* A device of type typename at /machine/name, not yet realized. */
static DeviceState *virt_new_device(VirtMachineState *vms, const char *typename,
                                    const char *name, GError **errp)
{
    DeviceState *dev = device_new(typename, errp);
    bool ok;

    if (!dev) {
        return NULL;
    }
    ok = object_property_add_child(OBJECT(vms), name, OBJECT(dev), errp);
    object_unref(dev);
    return ok ? dev : NULL;
}

static bool virt_realize_at(DeviceState *dev, hwaddr addr, GError **errp)
{
    if (!device_realize(dev, errp)) {
        return false;
    }
    sysbus_mmio_map(SYS_BUS_DEVICE(dev), 0, addr);
    return true;
}

static DeviceState *virt_add_simple(VirtMachineState *vms, const char *typename,
                                    const char *name, hwaddr addr, GError **errp)
{
    DeviceState *dev = virt_new_device(vms, typename, name, errp);

    return dev && virt_realize_at(dev, addr, errp) ? dev : NULL;
}

/* The virtio-mmio slots, empty until -device puts a virtio device in one. */
static bool virt_create_virtio_slots(VirtMachineState *vms, GError **errp)
{
    for (unsigned i = 0; i < VIRT_VIRTIO_COUNT; i++) {
        g_autofree char *name = g_strdup_printf("virtio-mmio%u", i);

        vms->virtio[i] = virt_add_simple(vms, "virtio-mmio", name,
                                         VIRT_VIRTIO_BASE + i * VIRT_VIRTIO_SIZE, errp);
        if (!vms->virtio[i]) {
            return false;
        }
        sysbus_connect_irq(SYS_BUS_DEVICE(vms->virtio[i]), 0,
                           device_get_gpio_in(vms->plic, VIRT_VIRTIO_IRQ + i));
    }
    return true;
}

/* -nic: a virtio-net-device in the next free slot for each, on its netdev. */
static bool virt_create_nics(VirtMachineState *vms, GError **errp)
{
    const GPtrArray *nics = net_nic_configs();

    for (guint i = 0; i < nics->len; i++) {
        const NicConfig *c = g_ptr_array_index(nics, i);
        g_autofree char *name = g_strdup_printf("nic%u", i);
        uint8_t mac[6];
        g_autofree char *mac_str = NULL;
        DeviceState *dev;

        if (c->model && strcmp(c->model, "virtio-net-device") != 0) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID, "-nic: model '%s' is not "
                            "available on this board (known: virtio-net-device)", c->model);
            return false;
        }
        net_mac_default(i, mac);
        mac_str = c->mac ? g_strdup(c->mac)
                         : g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x",
                                           mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
        dev = virt_new_device(vms, "virtio-net-device", name, errp);
        if (!dev || !object_property_set_str(OBJECT(dev), "netdev", c->netdev, errp) ||
            !object_property_set_str(OBJECT(dev), "mac", mac_str, errp) ||
            !device_realize(dev, errp)) {
            return false;
        }
    }
    return true;
}

static bool virt_create_devices(VirtMachineState *vms, GError **errp)
{
    MachineState *ms = MACHINE(vms);
    Chardev *serial = serial_hd(0);

    vms->clint = virt_new_device(vms, TYPE_RISCV_ACLINT, "clint", errp);
    if (!vms->clint ||
        !object_property_set_uint(OBJECT(vms->clint), "num-harts", ms->smp_cpus, errp) ||
        !object_property_set_uint(OBJECT(vms->clint), "timebase-freq", VIRT_TIMEBASE_FREQ,
                                  errp) ||
        !virt_realize_at(vms->clint, VIRT_CLINT_BASE, errp)) {
        return false;
    }
    vms->plic = virt_new_device(vms, "sifive-plic", "plic", errp);
    if (!vms->plic ||
        !object_property_set_uint(OBJECT(vms->plic), "num-sources", VIRT_PLIC_NUM_SOURCES,
                                  errp) ||
        !object_property_set_uint(OBJECT(vms->plic), "num-contexts", 2 * ms->smp_cpus,
                                  errp) ||
        !virt_realize_at(vms->plic, VIRT_PLIC_BASE, errp)) {
        return false;
    }
    vms->uart0 = virt_new_device(vms, "ns16550a", "uart0", errp);
    if (!vms->uart0 ||
        (serial && !object_property_set_str(OBJECT(vms->uart0), "chardev", serial->label,
                                            errp)) ||
        !virt_realize_at(vms->uart0, VIRT_UART0_BASE, errp)) {
        return false;
    }
    vms->test = virt_add_simple(vms, "sifive-test", "test", VIRT_TEST_BASE, errp);
    vms->rtc = vms->test ? virt_add_simple(vms, "goldfish-rtc", "rtc", VIRT_RTC_BASE, errp)
                         : NULL;
    if (!vms->rtc) {
        return false;
    }
    sysbus_connect_irq(SYS_BUS_DEVICE(vms->uart0), 0,
                       device_get_gpio_in(vms->plic, VIRT_UART0_IRQ));
    sysbus_connect_irq(SYS_BUS_DEVICE(vms->rtc), 0,
                       device_get_gpio_in(vms->plic, VIRT_RTC_IRQ));
    return virt_create_virtio_slots(vms, errp) && virt_create_nics(vms, errp);
}

/* ---- harts ---- */

/* An interrupt line into a hart: n is the mip bit it drives. */
static void virt_hart_irq(void *opaque, int n, int level)
{
    riscv_cpu_set_irq(opaque, n, level);
}

static void virt_create_harts(VirtMachineState *vms)
{
    MachineState *ms = MACHINE(vms);

    for (unsigned h = 0; h < ms->smp_cpus; h++) {
        RiscvCPU *cpu = riscv_cpu_new_system(vms->exts, h, VIRT_ROM_BASE);

        riscv_cpu_set_rdtime(cpu, riscv_aclint_read_mtime, RISCV_ACLINT(vms->clint));
        device_connect_gpio_out_named(vms->clint, "msip", h,
                                      irq_new(virt_hart_irq, cpu, RISCV_IRQ_MSIP));
        device_connect_gpio_out_named(vms->clint, "mtip", h,
                                      irq_new(virt_hart_irq, cpu, RISCV_IRQ_MTIP));
        device_connect_gpio_out(vms->plic, 2 * h, irq_new(virt_hart_irq, cpu, RISCV_IRQ_MEIP));
        device_connect_gpio_out(vms->plic, 2 * h + 1,
                                irq_new(virt_hart_irq, cpu, RISCV_IRQ_SEIP));
        cpus_register(&cpu->parent);
    }
}

/* ---- the device tree ---- */

/*
 * The tree is built in a buffer sized for everything the board adds, so
 * a libfdt error here is a bug, not a condition to report.
 */
static int fdt_ok(int ret)
{
    g_assert(ret >= 0);
    return ret;
}

static int fdt_node(void *fdt, int parent, const char *name)
{
    return fdt_ok(fdt_add_subnode(fdt, parent, name));
}

static int fdt_node_at(void *fdt, int parent, const char *name, uint64_t addr)
{
    g_autofree char *full = g_strdup_printf("%s@%" PRIx64, name, addr);

    return fdt_node(fdt, parent, full);
}

static void fdt_str(void *fdt, int node, const char *prop, const char *value)
{
    fdt_ok(fdt_setprop_string(fdt, node, prop, value));
}

static void fdt_u32(void *fdt, int node, const char *prop, uint32_t value)
{
    fdt_ok(fdt_setprop_u32(fdt, node, prop, value));
}

/* A property of several strings ("a\0b\0c", sizeof counting the last NUL). */
static void fdt_strings(void *fdt, int node, const char *prop, const char *list,
                        size_t size)
{
    fdt_ok(fdt_setprop(fdt, node, prop, list, size));
}

static void fdt_cells(void *fdt, int node, const char *prop, const uint32_t *cells,
                      unsigned n)
{
    g_autofree fdt32_t *be = g_new(fdt32_t, n);

    for (unsigned i = 0; i < n; i++) {
        be[i] = cpu_to_fdt32(cells[i]);
    }
    fdt_ok(fdt_setprop(fdt, node, prop, be, n * sizeof(fdt32_t)));
}

/* reg with #address-cells = #size-cells = 2. */
static void fdt_reg(void *fdt, int node, uint64_t addr, uint64_t size)
{
    const uint32_t cells[4] = { addr >> 32, (uint32_t)addr, size >> 32, (uint32_t)size };

    fdt_cells(fdt, node, "reg", cells, 4);
}

static uint32_t virt_new_phandle(VirtMachineState *vms, int node)
{
    uint32_t phandle = vms->next_phandle++;

    fdt_u32(vms->fdt, node, "phandle", phandle);
    return phandle;
}

static void virt_fdt_cpus(VirtMachineState *vms)
{
    void *fdt = vms->fdt;
    unsigned n = MACHINE(vms)->smp_cpus;
    g_autofree char *isa = riscv_isa_string(vms->exts);
    uint32_t cpu_phandles[VIRT_MAX_CPUS];
    int cpus = fdt_node(fdt, 0, "cpus");
    int cluster;

    fdt_u32(fdt, cpus, "#address-cells", 1);
    fdt_u32(fdt, cpus, "#size-cells", 0);
    fdt_u32(fdt, cpus, "timebase-frequency", VIRT_TIMEBASE_FREQ);
    /* Added in reverse: libfdt puts a new subnode first, so cpu@0 comes first. */
    for (int h = n - 1; h >= 0; h--) {
        int cpu = fdt_node_at(fdt, cpus, "cpu", h);
        int intc;

        fdt_str(fdt, cpu, "device_type", "cpu");
        fdt_u32(fdt, cpu, "reg", h);
        fdt_str(fdt, cpu, "status", "okay");
        fdt_str(fdt, cpu, "compatible", "riscv");
        fdt_str(fdt, cpu, "riscv,isa", isa);
        fdt_str(fdt, cpu, "mmu-type", "riscv,sv48");
        cpu_phandles[h] = virt_new_phandle(vms, cpu);
        intc = fdt_node(fdt, cpu, "interrupt-controller");
        fdt_u32(fdt, intc, "#address-cells", 0);
        fdt_u32(fdt, intc, "#interrupt-cells", 1);
        fdt_ok(fdt_setprop_empty(fdt, intc, "interrupt-controller"));
        fdt_str(fdt, intc, "compatible", "riscv,cpu-intc");
        vms->intc_phandles[h] = virt_new_phandle(vms, intc);
    }
    cluster = fdt_node(fdt, fdt_node(fdt, cpus, "cpu-map"), "cluster0");
    for (int h = n - 1; h >= 0; h--) {
        g_autofree char *name = g_strdup_printf("core%d", h);

        fdt_u32(fdt, fdt_node(fdt, cluster, name), "cpu", cpu_phandles[h]);
    }
}

/* interrupts-extended: for each hart, <intc irq> for every irq in irqs. */
static void virt_fdt_hart_irqs(VirtMachineState *vms, int node, const uint32_t *irqs,
                               unsigned per_hart)
{
    unsigned n = MACHINE(vms)->smp_cpus;
    g_autofree uint32_t *cells = g_new(uint32_t, 2 * per_hart * n);

    for (unsigned h = 0; h < n; h++) {
        for (unsigned i = 0; i < per_hart; i++) {
            cells[2 * (h * per_hart + i)] = vms->intc_phandles[h];
            cells[2 * (h * per_hart + i) + 1] = irqs[i];
        }
    }
    fdt_cells(vms->fdt, node, "interrupts-extended", cells, 2 * per_hart * n);
}

static void virt_fdt_interrupt_controllers(VirtMachineState *vms, int soc)
{
    static const char clint_compat[] = "sifive,clint0\0riscv,clint0";
    static const char plic_compat[] = "sifive,plic-1.0.0\0riscv,plic0";
    static const uint32_t clint_irqs[] = { RISCV_IRQ_MSIP, RISCV_IRQ_MTIP };
    static const uint32_t plic_irqs[] = { RISCV_IRQ_MEIP, RISCV_IRQ_SEIP };
    void *fdt = vms->fdt;
    int node;

    node = fdt_node_at(fdt, soc, "plic", VIRT_PLIC_BASE);
    fdt_strings(fdt, node, "compatible", plic_compat, sizeof(plic_compat));
    fdt_reg(fdt, node, VIRT_PLIC_BASE, VIRT_PLIC_SIZE(2 * MACHINE(vms)->smp_cpus));
    fdt_u32(fdt, node, "#address-cells", 0);
    fdt_u32(fdt, node, "#interrupt-cells", 1);
    fdt_ok(fdt_setprop_empty(fdt, node, "interrupt-controller"));
    fdt_u32(fdt, node, "riscv,ndev", VIRT_PLIC_NUM_SOURCES - 1);
    virt_fdt_hart_irqs(vms, node, plic_irqs, 2);
    vms->plic_phandle = virt_new_phandle(vms, node);

    node = fdt_node_at(fdt, soc, "clint", VIRT_CLINT_BASE);
    fdt_strings(fdt, node, "compatible", clint_compat, sizeof(clint_compat));
    fdt_reg(fdt, node, VIRT_CLINT_BASE, RISCV_ACLINT_SIZE);
    virt_fdt_hart_irqs(vms, node, clint_irqs, 2);
}

/* A device on the PLIC: compatible, reg, and its source number. */
static int virt_fdt_plic_device(VirtMachineState *vms, int soc, const char *name,
                                const char *compatible, uint64_t base, uint64_t size,
                                uint32_t irq)
{
    int node = fdt_node_at(vms->fdt, soc, name, base);

    fdt_str(vms->fdt, node, "compatible", compatible);
    fdt_reg(vms->fdt, node, base, size);
    fdt_u32(vms->fdt, node, "interrupt-parent", vms->plic_phandle);
    fdt_u32(vms->fdt, node, "interrupts", irq);
    return node;
}

/* The test device, a syscon that the poweroff and reboot nodes use. */
static void virt_fdt_test(VirtMachineState *vms, int soc)
{
    static const char test_compat[] = "sifive,test1\0sifive,test0\0syscon";
    int node = fdt_node_at(vms->fdt, soc, "test", VIRT_TEST_BASE);

    fdt_strings(vms->fdt, node, "compatible", test_compat, sizeof(test_compat));
    fdt_reg(vms->fdt, node, VIRT_TEST_BASE, VIRT_TEST_SIZE);
    vms->test_phandle = virt_new_phandle(vms, node);
}

static void virt_fdt_syscon_users(VirtMachineState *vms)
{
    static const struct {
        const char *name, *compatible;
        uint32_t value;
    } users[] = {
        { "reboot", "syscon-reboot", 0x7777 },
        { "poweroff", "syscon-poweroff", 0x5555 },
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(users); i++) {
        int node = fdt_node(vms->fdt, 0, users[i].name);

        fdt_str(vms->fdt, node, "compatible", users[i].compatible);
        fdt_u32(vms->fdt, node, "regmap", vms->test_phandle);
        fdt_u32(vms->fdt, node, "offset", 0);
        fdt_u32(vms->fdt, node, "value", users[i].value);
    }
}

static void virt_fdt_soc(VirtMachineState *vms)
{
    void *fdt = vms->fdt;
    int soc = fdt_node(fdt, 0, "soc");
    uint64_t baudbase = object_property_get_uint(OBJECT(vms->uart0), "baudbase", NULL);
    int uart;

    fdt_u32(fdt, soc, "#address-cells", 2);
    fdt_u32(fdt, soc, "#size-cells", 2);
    fdt_str(fdt, soc, "compatible", "simple-bus");
    fdt_ok(fdt_setprop_empty(fdt, soc, "ranges"));

    virt_fdt_interrupt_controllers(vms, soc);
    virt_fdt_test(vms, soc);
    virt_fdt_plic_device(vms, soc, "rtc", "google,goldfish-rtc", VIRT_RTC_BASE,
                         VIRT_RTC_SIZE, VIRT_RTC_IRQ);
    uart = virt_fdt_plic_device(vms, soc, "serial", "ns16550a", VIRT_UART0_BASE,
                                VIRT_UART0_SIZE, VIRT_UART0_IRQ);
    /* The UART's input clock: baudbase is that clock / 16. */
    fdt_u32(fdt, uart, "clock-frequency", baudbase * 16);
    /* In reverse, so that the lowest address comes first (see virt_fdt_cpus). */
    for (int i = VIRT_VIRTIO_COUNT - 1; i >= 0; i--) {
        virt_fdt_plic_device(vms, soc, "virtio_mmio", "virtio,mmio",
                             VIRT_VIRTIO_BASE + i * VIRT_VIRTIO_SIZE, VIRT_VIRTIO_SIZE,
                             VIRT_VIRTIO_IRQ + i);
    }
}

static void virt_build_fdt(VirtMachineState *vms)
{
    MachineState *ms = MACHINE(vms);
    const char *cmdline = ms->kernel_cmdline ? ms->kernel_cmdline : "";
    int size = 0x10000 + strlen(cmdline);
    void *fdt = g_malloc0(size);
    int memory, chosen;
    g_autofree char *stdout_path = g_strdup_printf("/soc/serial@%x", VIRT_UART0_BASE);

    fdt_ok(fdt_create_empty_tree(fdt, size));
    vms->fdt = fdt;
    vms->next_phandle = 1;
    fdt_u32(fdt, 0, "#address-cells", 2);
    fdt_u32(fdt, 0, "#size-cells", 2);
    fdt_str(fdt, 0, "compatible", "riscv-virtio");
    fdt_str(fdt, 0, "model", "riscv-virtio,proteus");

    /*
     * Adding a node moves every node after it in the blob, so no node
     * offset is kept across additions elsewhere: the harts come first
     * (the interrupt controllers refer to their phandles), the nodes
     * directly under / that the SoC devices refer to last.
     */
    virt_fdt_cpus(vms);
    virt_fdt_soc(vms);
    virt_fdt_syscon_users(vms);
    memory = fdt_node_at(fdt, 0, "memory", VIRT_DRAM_BASE);
    fdt_str(fdt, memory, "device_type", "memory");
    fdt_reg(fdt, memory, VIRT_DRAM_BASE, ms->ram_size);
    chosen = fdt_node(fdt, 0, "chosen");
    fdt_str(fdt, chosen, "stdout-path", stdout_path);
}

/* -dtb FILE, opened into a buffer with room for /chosen. */
static bool virt_load_fdt(VirtMachineState *vms, const char *path, GError **errp)
{
    MachineState *ms = MACHINE(vms);
    g_autofree char *data = NULL;
    gsize len;
    GError *err = NULL;
    int size, ret;

    if (!g_file_get_contents(path, &data, &len, &err)) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "-dtb %s: %s", path, err->message);
        g_error_free(err);
        return false;
    }
    if (len < sizeof(struct fdt_header) || (ret = fdt_check_header(data)) != 0 ||
        fdt_totalsize(data) > len) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "-dtb %s: not a valid device tree "
                        "blob (%s)", path,
                        len < sizeof(struct fdt_header) || ret == 0
                            ? "truncated" : fdt_strerror(ret));
        return false;
    }
    size = fdt_totalsize(data) + 0x1000 +
           (ms->kernel_cmdline ? strlen(ms->kernel_cmdline) : 0);
    vms->fdt = g_malloc0(size);
    ret = fdt_open_into(data, vms->fdt, size);
    if (ret == 0 && fdt_path_offset(vms->fdt, "/chosen") < 0) {
        ret = fdt_add_subnode(vms->fdt, 0, "chosen");
    }
    if (ret < 0) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "-dtb %s: %s", path,
                        fdt_strerror(ret));
        return false;
    }
    return true;
}

static int virt_chosen(VirtMachineState *vms)
{
    return fdt_ok(fdt_path_offset(vms->fdt, "/chosen"));
}

static bool virt_dump_fdt(VirtMachineState *vms, GError **errp)
{
    GError *err = NULL;

    if (!g_file_set_contents(vms->dumpdtb, vms->fdt, fdt_totalsize(vms->fdt), &err)) {
        error_setg_code(errp, PROTEUS_ERROR_FAILED, "-M virt,dumpdtb=%s: %s", vms->dumpdtb,
                        err->message);
        g_error_free(err);
        return false;
    }
    return true;
}

/* ---- booting ---- */

/* The firmware file: -bios, Debian's OpenSBI by default; NULL for none. */
static const char *virt_firmware_path(MachineState *ms)
{
    if (ms->firmware && strcmp(ms->firmware, "none") == 0) {
        return NULL;
    }
    if (ms->firmware && strcmp(ms->firmware, "default") != 0) {
        return ms->firmware;
    }
    if (!g_file_test(VIRT_DEFAULT_BIOS, G_FILE_TEST_EXISTS)) {
        error_report("no firmware: %s is not installed (install opensbi, "
                     "or give -bios FILE or -bios none)", VIRT_DEFAULT_BIOS);
        return NULL;
    }
    return VIRT_DEFAULT_BIOS;
}

/*
 * Loads firmware, kernel and initrd, finishes /chosen and places the DTB
 * at the top of RAM; the ROM then gets the reset vector.
 */
static bool virt_boot(VirtMachineState *vms, GError **errp)
{
    MachineState *ms = MACHINE(vms);
    hwaddr ram_end = VIRT_DRAM_BASE + ms->ram_size;
    const char *firmware = virt_firmware_path(ms);
    RiscvLoadedImage fw = { .end = VIRT_DRAM_BASE };
    RiscvLoadedImage kernel = { 0 };
    RiscvLoadedImage initrd = { 0 };
    hwaddr kernel_addr = VIRT_DRAM_BASE + (firmware ? VIRT_KERNEL_OFFSET : 0);
    hwaddr fdt_addr, start_addr;
    int chosen = virt_chosen(vms);

    if (firmware && !riscv_load_image(vms->boot, "-bios", firmware, VIRT_DRAM_BASE,
                                      VIRT_DRAM_BASE, ram_end, &fw, errp)) {
        return false;
    }
    kernel.end = fw.end;
    if (ms->kernel_filename) {
        if (!riscv_load_image(vms->boot, "-kernel", ms->kernel_filename, kernel_addr,
                              VIRT_DRAM_BASE, ram_end, &kernel, errp)) {
            return false;
        }
        if (firmware && kernel.start < fw.end) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "-kernel %s: it starts at 0x%" PRIx64 ", inside the firmware "
                            "(which ends at 0x%" PRIx64 ")", ms->kernel_filename,
                            kernel.start, fw.end);
            return false;
        }
    }
    if (ms->kernel_cmdline) {
        fdt_str(vms->fdt, chosen, "bootargs", ms->kernel_cmdline);
    }
    if (ms->initrd_filename) {
        /* Placeholders of the final size, so the DTB's size is known now. */
        fdt_ok(fdt_setprop_u64(vms->fdt, chosen, "linux,initrd-start", 0));
        fdt_ok(fdt_setprop_u64(vms->fdt, chosen, "linux,initrd-end", 0));
    }
    fdt_ok(fdt_pack(vms->fdt));
    fdt_addr = (MIN(ram_end, VIRT_FDT_LIMIT) - fdt_totalsize(vms->fdt)) &
               ~(VIRT_FDT_ALIGN - 1);
    if (fdt_addr < kernel.end) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "-m: RAM is too small for the "
                        "images and the device tree");
        return false;
    }
    if (ms->initrd_filename) {
        if (!riscv_load_initrd(vms->boot, ms->initrd_filename, kernel.end, fdt_addr,
                               &initrd, errp)) {
            return false;
        }
        fdt_ok(fdt_setprop_inplace_u64(vms->fdt, chosen, "linux,initrd-start", initrd.start));
        fdt_ok(fdt_setprop_inplace_u64(vms->fdt, chosen, "linux,initrd-end", initrd.end));
    }
    riscv_boot_images_add(vms->boot, fdt_addr, vms->fdt, fdt_totalsize(vms->fdt));

    start_addr = firmware ? fw.entry : ms->kernel_filename ? kernel.entry : VIRT_DRAM_BASE;
    riscv_setup_reset_vector(vms->boot, VIRT_ROM_BASE, start_addr, fdt_addr,
                             ms->kernel_filename ? kernel.entry : kernel_addr);
    return true;
}

/* ---- the machine ---- */

static bool virt_create_memory(VirtMachineState *vms, GError **errp)
{
    MachineState *ms = MACHINE(vms);

    if (ms->ram_size == 0) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "-m: the virt machine needs RAM");
        return false;
    }
    ms->ram = g_new0(MemoryRegion, 1);
    if (!memory_region_init_ram(ms->ram, OBJECT(ms), "ram", ms->ram_size, errp)) {
        g_clear_pointer(&ms->ram, g_free);
        return false;
    }
    memory_region_add_subregion(get_system_memory(), VIRT_DRAM_BASE, ms->ram);
    if (!memory_region_init_rom(&vms->rom, OBJECT(ms), "boot-rom", VIRT_ROM_SIZE, errp)) {
        return false;
    }
    memory_region_add_subregion(get_system_memory(), VIRT_ROM_BASE, &vms->rom);
    return true;
}

static bool virt_init(MachineState *ms, GError **errp)
{
    VirtMachineState *vms = VIRT_MACHINE(ms);

    if (!riscv_cpu_parse_model(ms->cpu_type ? ms->cpu_type : "rv64", &vms->exts, errp)) {
        g_prefix_error(errp, "-cpu: ");
        return false;
    }
    if (!virt_create_memory(vms, errp) || !virt_create_devices(vms, errp)) {
        return false;
    }
    vms->boot = riscv_boot_images_new(ms, errp);
    if (!vms->boot) {
        return false;
    }
    if (ms->dtb) {
        if (!virt_load_fdt(vms, ms->dtb, errp)) {
            return false;
        }
    } else {
        virt_build_fdt(vms);
    }
    if (!virt_boot(vms, errp)) {
        return false;
    }
    if (vms->dumpdtb) {
        if (!virt_dump_fdt(vms, errp)) {
            return false;
        }
        /* The tree was all that was asked for: end before any hart exists. */
        main_loop_request_exit(0);
        return true;
    }
    virt_create_harts(vms);
    return true;
}

static void virt_finalize(Object *obj)
{
    VirtMachineState *vms = VIRT_MACHINE(obj);

    g_free(vms->fdt);
    if (vms->rom.container) {
        memory_region_del_subregion(vms->rom.container, &vms->rom);
        memory_region_destroy(&vms->rom);
    }
}

static const Property virt_props[] = {
    DEFINE_PROP_STRING("dumpdtb", VirtMachineState, dumpdtb),
    DEFINE_PROP_END_OF_LIST(),
};

static void virt_class_init(ObjectClass *oc, void *data)
{
    MachineClass *mc = MACHINE_CLASS(oc);

    mc->name = "virt";
    mc->desc = "RISC-V VirtIO board (QEMU-compatible layout)";
    mc->arch = "riscv64";
    mc->init = virt_init;
    mc->is_default = true;
    mc->print_cpu_models = riscv_cpu_print_models;
    mc->max_cpus = VIRT_MAX_CPUS;
    mc->default_ram_size = 128 * 1024 * 1024;
    object_class_add_props(oc, virt_props);
    object_class_property_set_description(oc, "dumpdtb",
        "write the device tree blob to this file and exit");
}

static const TypeInfo virt_machine_type = {
    .name = TYPE_VIRT_MACHINE,
    .parent = TYPE_MACHINE,
    .instance_size = sizeof(VirtMachineState),
    .instance_finalize = virt_finalize,
    .class_init = virt_class_init,
};

static void virt_register_types(void)
{
    type_register(&virt_machine_type);
}

type_init(virt_register_types)
