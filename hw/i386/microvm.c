/*
 * -M microvm: a minimal x86-64 machine without PCI, laid out like QEMU's
 * microvm so that its firmware (SeaBIOS's bios-microvm.bin) runs
 * unchanged. It needs -accel kvm: the interrupt controllers (8259 pair,
 * IOAPIC, local APICs) and the 8254 PIT are KVM's in-kernel ones.
 *
 * Memory map:
 *   0x00000000  RAM, up to 3 GiB (the rest above 4 GiB)
 *   0x000e0000  the firmware's last 128 KiB again (the legacy BIOS area)
 *   0xfeb00000  8 virtio-mmio slots of 0x200 bytes, IRQs 5-12 (IOAPIC
 *               inputs 5-12, level-triggered); -device virtio-*-device
 *               fills the first free one
 *   0xfec00000  IOAPIC, 0xfee00000 local APIC (in the kernel)
 *   4G - size   the firmware (-bios; Debian's SeaBIOS for microvm by
 *               default), writable like RAM, as the firmware expects with
 *               no chipset to unlock its shadow
 *   0x100000000 RAM above 3 GiB
 * I/O ports:
 *   0x3f8   16550A UART on serial_hd(0), IRQ 4
 *   0x510   fw_cfg (0x514: its DMA register), the fw_cfg-io device
 *           /machine/fw_cfg; -fw_cfg adds files
 *   0x402   isa-debugcon, with -debugcon
 *   0xcf9   reset control: a write with bit 2 set resets the machine (how
 *           SeaBIOS reboots when no boot device is found)
 * The CPUs start at the reset vector (0xfffffff0); the firmware wakes the
 * others with INIT and SIPI through the local APIC.
 *
 * With -kernel and no -bios there is no firmware: the board loads the
 * kernel, -initrd and -append itself (hw/i386/x86-boot.c), writes an MP
 * table for the CPUs and the IOAPIC, and CPU 0 starts at the kernel's
 * 32-bit entry; the others wait for the kernel's INIT and SIPI. The E820
 * map then reserves 0x9fc00-0x100000 (the MP table lives at 0xf0000), and
 * the command line gets a virtio_mmio.device= entry for each virtio slot.
 *
 * With -kernel and firmware (-bios), the firmware boots the kernel: the
 * board puts the bzImage into fw_cfg split and prepared for the boot
 * protocol's 16-bit entry (x86_boot_add_fw_cfg; the command line again
 * with the virtio slots) together with the option ROM
 * "genroms/linuxboot.bin" (hw/i386/optionrom), which SeaBIOS runs as its
 * boot device: it loads the parts with fw_cfg DMA and enters the kernel's
 * real-mode setup code. PVH ELF kernels boot only directly.
 */
#include <string.h>

#include "hw/i386/e820.h"
#include "hw/i386/optionrom/optionrom.h"
#include "hw/i386/x86-boot.h"
#include "hw/nvram/fw_cfg.h"
#include "proteus/chardev.h"
#include "proteus/cpus.h"
#include "proteus/kvm.h"
#include "proteus/machine.h"
#include "target/x86/cpu-models.h"
#include "target/x86/cpu.h"

#define MICROVM_MAX_CPUS        64
#define MICROVM_BELOW_4G_MAX    0xc0000000ull
#define MICROVM_ABOVE_4G_BASE   0x100000000ull
#define MICROVM_4G              0x100000000ull
#define MICROVM_ISA_BIOS_END    0x100000ull
#define MICROVM_ISA_BIOS_MAX    0x20000ull
#define MICROVM_BIOS_MAX        (16ull << 20)
#define MICROVM_BIOS_ALIGN      0x1000ull

#define MICROVM_UART_IO         0x3f8
#define MICROVM_UART_IRQ        4
#define MICROVM_IOAPIC_ADDR     0xfec00000u
#define MICROVM_VIRTIO_BASE     0xfeb00000u
#define MICROVM_VIRTIO_SIZE     0x200
#define MICROVM_VIRTIO_COUNT    8
#define MICROVM_VIRTIO_IRQ      5
#define MICROVM_RESET_IO        0xcf9
#define MICROVM_RESET_CPU       0x04

#define MICROVM_DEFAULT_BIOS    "/usr/share/seabios/bios-microvm.bin"

#define TYPE_MICROVM_MACHINE "microvm" TYPE_MACHINE_SUFFIX
OBJECT_DECLARE_SIMPLE_TYPE(MicrovmMachineState, MICROVM_MACHINE)

struct MicrovmMachineState {
    MachineState parent_obj;
    MemoryRegion ram_below_4g;
    MemoryRegion ram_above_4g;
    MemoryRegion bios;
    MemoryRegion isa_bios;
    MemoryRegion reset_io;
    uint8_t reset_reg;
    GBytes *bios_image;         /* copied in again at every reset */
    /* direct boot (-kernel without -bios): loaded again at every reset;
     * with firmware only until they are in fw_cfg */
    GBytes *kernel;
    GBytes *initrd;
    char *cmdline;              /* -append and the virtio slots */
    E820Entry e820[E820_X86_MAX];
    unsigned e820_entries;
    DeviceState *uart;
    FwCfgState *fw_cfg;         /* the child "fw_cfg" */
};

/* ---- memory ---- */

static uint64_t microvm_below_4g(MachineState *ms)
{
    return MIN(ms->ram_size, MICROVM_BELOW_4G_MAX);
}

static bool microvm_create_ram(MicrovmMachineState *mms, GError **errp)
{
    MachineState *ms = MACHINE(mms);
    uint64_t below = microvm_below_4g(ms);

    if (ms->ram_size < (1u << 20)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "-m: microvm needs at least 1 MiB");
        return false;
    }
    ms->ram = g_new0(MemoryRegion, 1);
    if (!memory_region_init_ram(ms->ram, OBJECT(ms), "ram", ms->ram_size, errp)) {
        g_clear_pointer(&ms->ram, g_free);
        return false;
    }
    memory_region_init_alias(&mms->ram_below_4g, OBJECT(ms), "ram-below-4g", ms->ram,
                             0, below);
    memory_region_add_subregion(get_system_memory(), 0, &mms->ram_below_4g);
    if (ms->ram_size > below) {
        memory_region_init_alias(&mms->ram_above_4g, OBJECT(ms), "ram-above-4g", ms->ram,
                                 below, ms->ram_size - below);
        memory_region_add_subregion(get_system_memory(), MICROVM_ABOVE_4G_BASE,
                                    &mms->ram_above_4g);
    }
    return true;
}

static const char *microvm_firmware_path(MachineState *ms)
{
    if (ms->firmware && strcmp(ms->firmware, "default") != 0) {
        return ms->firmware;
    }
    return MICROVM_DEFAULT_BIOS;
}

static bool microvm_load_bios(MicrovmMachineState *mms, GError **errp)
{
    const char *path = microvm_firmware_path(MACHINE(mms));
    g_autofree char *data = NULL;
    gsize len;
    GError *err = NULL;

    if (!g_file_get_contents(path, &data, &len, &err)) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "-bios %s: %s%s", path, err->message,
                        strcmp(path, MICROVM_DEFAULT_BIOS) == 0
                            ? " (install the seabios package, or give -bios FILE)" : "");
        g_error_free(err);
        return false;
    }
    if (len == 0 || len > MICROVM_BIOS_MAX || len % MICROVM_BIOS_ALIGN) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-bios %s: %" G_GSIZE_FORMAT " bytes; the firmware must be a "
                        "multiple of 4 KiB, at most 16 MiB", path, len);
        return false;
    }
    mms->bios_image = g_bytes_new_take(g_steal_pointer(&data), len);
    return true;
}

/* Puts the pristine firmware back (the guest may have written to it). */
static void microvm_copy_bios(MicrovmMachineState *mms)
{
    gsize len;
    const void *data = g_bytes_get_data(mms->bios_image, &len);

    memcpy(memory_region_get_ram_ptr(&mms->bios), data, len);
}

static bool microvm_create_bios(MicrovmMachineState *mms, GError **errp)
{
    MachineState *ms = MACHINE(mms);
    uint64_t size, isa_size;

    if (!microvm_load_bios(mms, errp)) {
        return false;
    }
    size = g_bytes_get_size(mms->bios_image);
    isa_size = MIN(size, MICROVM_ISA_BIOS_MAX);
    if (!memory_region_init_ram(&mms->bios, OBJECT(ms), "bios", size, errp)) {
        return false;
    }
    microvm_copy_bios(mms);
    memory_region_add_subregion(get_system_memory(), MICROVM_4G - size, &mms->bios);
    memory_region_init_alias(&mms->isa_bios, OBJECT(ms), "isa-bios", &mms->bios,
                             size - isa_size, isa_size);
    memory_region_add_subregion_overlap(get_system_memory(),
                                        MICROVM_ISA_BIOS_END - isa_size, &mms->isa_bios, 1);
    return true;
}

/* ---- devices ---- */

/* A device of type typename, the board's child name (which holds it),
 * not realized yet; NULL on errors. */
static DeviceState *microvm_new_device(MicrovmMachineState *mms, const char *typename,
                                       const char *name, GError **errp)
{
    DeviceState *dev = device_new(typename, errp);
    bool ok;

    if (!dev) {
        return NULL;
    }
    ok = object_property_add_child(OBJECT(mms), name, OBJECT(dev), errp);
    object_unref(dev);
    return ok ? dev : NULL;
}

static bool microvm_create_uart(MicrovmMachineState *mms, GError **errp)
{
    Chardev *serial = serial_hd(0);
    DeviceState *dev = microvm_new_device(mms, "ns16550a", "uart0", errp);

    if (!dev ||
        (serial && !object_property_set_str(OBJECT(dev), "chardev", serial->label, errp)) ||
        !device_realize(dev, errp)) {
        return false;
    }
    memory_region_add_subregion(get_system_io(), MICROVM_UART_IO,
                                sysbus_mmio_get_region(SYS_BUS_DEVICE(dev), 0));
    sysbus_connect_irq(SYS_BUS_DEVICE(dev), 0, kvm_irq_line(MICROVM_UART_IRQ));
    mms->uart = dev;
    return true;
}

/* The virtio-mmio slots, empty until -device puts a virtio device in one. */
static bool microvm_create_virtio_slots(MicrovmMachineState *mms, GError **errp)
{
    for (unsigned i = 0; i < MICROVM_VIRTIO_COUNT; i++) {
        g_autofree char *name = g_strdup_printf("virtio-mmio%u", i);
        DeviceState *dev = microvm_new_device(mms, "virtio-mmio", name, errp);

        if (!dev || !device_realize(dev, errp)) {
            return false;
        }
        sysbus_mmio_map(SYS_BUS_DEVICE(dev), 0, MICROVM_VIRTIO_BASE + i * MICROVM_VIRTIO_SIZE);
        sysbus_connect_irq(SYS_BUS_DEVICE(dev), 0, kvm_irq_line(MICROVM_VIRTIO_IRQ + i));
    }
    return true;
}

static uint64_t microvm_reset_read(void *opaque, hwaddr addr, unsigned size)
{
    MicrovmMachineState *mms = opaque;

    return mms->reset_reg;
}

static void microvm_reset_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    MicrovmMachineState *mms = opaque;

    mms->reset_reg = value & ~MICROVM_RESET_CPU;
    if (value & MICROVM_RESET_CPU) {
        system_reset_request();
        /* The reset comes from the main loop; until then no CPU may run on
         * (firmware goes for a triple fault next): they wait as halted,
         * which the reset ends. */
        for (int i = 0; i < cpus_count(); i++) {
            __atomic_store_n(&cpus_get(i)->halted, 1, __ATOMIC_SEQ_CST);
            cpu_exit(cpus_get(i));
        }
    }
}

static const MemoryRegionOps microvm_reset_ops = {
    .read = microvm_reset_read,
    .write = microvm_reset_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 1 },
};

static bool microvm_direct_boot(MachineState *ms)
{
    return ms->kernel_filename && !ms->firmware;
}

/* The RAM as firmware sees it (what is left around the hole is its own),
 * or as the kernel booted without firmware does. */
static void microvm_build_e820(MicrovmMachineState *mms)
{
    MachineState *ms = MACHINE(mms);
    uint64_t below = microvm_below_4g(ms);

    mms->e820_entries = e820_x86_map(mms->e820, below, ms->ram_size - below,
                                     X86_KVM_IDENTITY_MAP_ADDR, X86_KVM_RESERVED_SIZE,
                                     microvm_direct_boot(ms));
}

static void microvm_add_e820(MicrovmMachineState *mms)
{
    g_autoptr(GByteArray) table = g_byte_array_new();
    bool ok;

    e820_encode(mms->e820, mms->e820_entries, table);
    /* the board's own file: its name is valid and new */
    ok = fw_cfg_add_file(mms->fw_cfg, "etc/e820", table->data, table->len, NULL);
    g_assert(ok);
}

static bool microvm_create_fw_cfg(MicrovmMachineState *mms, GError **errp)
{
    MachineState *ms = MACHINE(mms);
    DeviceState *dev = microvm_new_device(mms, TYPE_FW_CFG_IO, "fw_cfg", errp);

    if (!dev || !device_realize(dev, errp)) {
        return false;
    }
    mms->fw_cfg = FW_CFG_IO(dev);
    fw_cfg_add_i64(mms->fw_cfg, FW_CFG_RAM_SIZE, ms->ram_size);
    fw_cfg_add_i16(mms->fw_cfg, FW_CFG_NB_CPUS, ms->smp_cpus);
    fw_cfg_add_i16(mms->fw_cfg, FW_CFG_MAX_CPUS, ms->smp_cpus);
    microvm_add_e820(mms);
    if (serial_hd(0)) {
        /* SeaBIOS then also runs its console on the UART */
        uint16_t port = GUINT16_TO_LE(MICROVM_UART_IO);
        bool ok = fw_cfg_add_file(mms->fw_cfg, "etc/sercon-port", &port, sizeof(port), NULL);

        g_assert(ok);
    }
    if (!fw_cfg_add_user_files(mms->fw_cfg, errp)) {
        return false;
    }
    fw_cfg_map_io(mms->fw_cfg, get_system_io(), FW_CFG_IO_BASE);
    return true;
}

/* ---- direct kernel boot ---- */

static GBytes *microvm_read_file(const char *option, const char *path, GError **errp)
{
    char *data;
    gsize len;
    GError *err = NULL;

    if (!g_file_get_contents(path, &data, &len, &err)) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "%s %s: %s", option, path, err->message);
        g_error_free(err);
        return NULL;
    }
    return g_bytes_new_take(data, len);
}

static X86BootConfig microvm_boot_config(MicrovmMachineState *mms)
{
    X86BootConfig cfg = {
        .name = MACHINE(mms)->kernel_filename,
        .cmdline = mms->cmdline,
        .e820 = mms->e820,
        .e820_entries = mms->e820_entries,
    };

    cfg.kernel = g_bytes_get_data(mms->kernel, &cfg.kernel_size);
    if (mms->initrd) {
        cfg.initrd = g_bytes_get_data(mms->initrd, &cfg.initrd_size);
    }
    return cfg;
}

/* Writes kernel, initrd, command line and MP table into RAM. */
static bool microvm_load_kernel(MicrovmMachineState *mms, X86BootEntry *entry, GError **errp)
{
    MachineState *ms = MACHINE(mms);
    X86BootRam ram = { memory_region_get_ram_ptr(ms->ram), microvm_below_4g(ms) };
    X86BootConfig cfg = microvm_boot_config(mms);

    if (!x86_boot_load(&ram, &cfg, entry, errp)) {
        return false;
    }
    x86_boot_write_mptable(&ram, ms->smp_cpus, MICROVM_IOAPIC_ADDR,
                           ((1u << MICROVM_VIRTIO_COUNT) - 1) << MICROVM_VIRTIO_IRQ);
    return true;
}

/* -append, then where the virtio slots are: there is no ACPI or device
 * tree for Linux to find them in. */
static char *microvm_kernel_cmdline(MachineState *ms)
{
    GString *s = g_string_new(ms->kernel_cmdline);

    for (unsigned i = 0; i < MICROVM_VIRTIO_COUNT; i++) {
        g_string_append_printf(s, "%svirtio_mmio.device=%u@0x%x:%u", s->len ? " " : "",
                               MICROVM_VIRTIO_SIZE,
                               MICROVM_VIRTIO_BASE + i * MICROVM_VIRTIO_SIZE,
                               MICROVM_VIRTIO_IRQ + i);
    }
    return g_string_free(s, false);
}

/* -kernel, -initrd and the command line, for either way of booting. */
static bool microvm_read_kernel(MicrovmMachineState *mms, GError **errp)
{
    MachineState *ms = MACHINE(mms);

    mms->cmdline = microvm_kernel_cmdline(ms);
    mms->kernel = microvm_read_file("-kernel", ms->kernel_filename, errp);
    return mms->kernel &&
           (!ms->initrd_filename ||
            (mms->initrd = microvm_read_file("-initrd", ms->initrd_filename, errp)));
}

/* Direct boot: CPU 0 starts in the kernel. */
static bool microvm_setup_kernel(MicrovmMachineState *mms, GError **errp)
{
    X86BootEntry entry;
    X86BootState boot = {
        .gdt_base = X86_BOOT_GDT_ADDR,
        .gdt_limit = X86_BOOT_DATA_SEL + 7,
        .code_sel = X86_BOOT_CODE_SEL,
        .data_sel = X86_BOOT_DATA_SEL,
    };

    if (!microvm_load_kernel(mms, &entry, errp)) {
        return false;
    }
    boot.eip = entry.eip;
    boot.esi = entry.esi;
    boot.ebx = entry.ebx;
    x86_cpu_set_boot_state(X86_CPU(cpus_get(0)), &boot);
    return true;
}

/* With firmware: the kernel and the option ROM that boots it into fw_cfg,
 * which keeps its own copies (the firmware reloads it after a reset). */
static bool microvm_setup_firmware_kernel(MicrovmMachineState *mms, GError **errp)
{
    X86BootConfig cfg = microvm_boot_config(mms);
    bool ok = x86_boot_add_fw_cfg(mms->fw_cfg, microvm_below_4g(MACHINE(mms)), &cfg, errp) &&
              fw_cfg_add_file(mms->fw_cfg, LINUXBOOT_ROM_FILE, linuxboot_rom,
                              linuxboot_rom_size, errp);

    g_clear_pointer(&mms->kernel, g_bytes_unref);
    g_clear_pointer(&mms->initrd, g_bytes_unref);
    return ok;
}

static bool microvm_boot_kernel(MicrovmMachineState *mms, GError **errp)
{
    MachineState *ms = MACHINE(mms);

    if (!ms->kernel_filename) {
        return true;
    }
    if (!microvm_read_kernel(mms, errp)) {
        return false;
    }
    return microvm_direct_boot(ms) ? microvm_setup_kernel(mms, errp)
                                   : microvm_setup_firmware_kernel(mms, errp);
}

/* -initrd and -append: only with -kernel. */
static bool microvm_check_boot_options(MachineState *ms, GError **errp)
{
    if (!ms->kernel_filename && (ms->initrd_filename || ms->kernel_cmdline)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "%s: needs -kernel", ms->initrd_filename ? "-initrd" : "-append");
        return false;
    }
    return true;
}

/* ---- CPUs ---- */

static void microvm_reset_hook(CPUState *cpu, void *opaque)
{
    MicrovmMachineState *mms = opaque;
    X86BootEntry entry;

    if (microvm_direct_boot(MACHINE(mms))) {
        /* the same files into the same RAM: it fitted at init */
        bool ok = microvm_load_kernel(mms, &entry, NULL);

        g_assert(ok);
    } else {
        microvm_copy_bios(mms);
    }
}

static void microvm_create_cpus(MicrovmMachineState *mms)
{
    MachineState *ms = MACHINE(mms);

    for (unsigned i = 0; i < ms->smp_cpus; i++) {
        X86CPU *cpu = x86_cpu_new(i);

        cpus_register(&cpu->parent);
    }
    /* the BSP's reset hook restores what is shared: the firmware or kernel */
    cpus_set_reset_hook(cpus_get(0), microvm_reset_hook, mms);
}

static bool microvm_init(MachineState *ms, GError **errp)
{
    MicrovmMachineState *mms = MICROVM_MACHINE(ms);

    if (!kvm_enabled()) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-M microvm: needs -accel kvm (x86_64 has no TCG yet)");
        return false;
    }
    if (!microvm_check_boot_options(ms, errp) || !microvm_create_ram(mms, errp) ||
        (!microvm_direct_boot(ms) && !microvm_create_bios(mms, errp))) {
        return false;
    }
    microvm_build_e820(mms);
    if (!microvm_create_uart(mms, errp) || !microvm_create_virtio_slots(mms, errp) ||
        !microvm_create_fw_cfg(mms, errp)) {
        return false;
    }
    memory_region_init_io(&mms->reset_io, OBJECT(ms), &microvm_reset_ops, mms, "reset-control",
                          1);
    memory_region_add_subregion(get_system_io(), MICROVM_RESET_IO, &mms->reset_io);
    if (!x86_kvm_set_cpu_model(ms->cpu_type ? ms->cpu_type : "host", errp)) {
        return false;
    }
    microvm_create_cpus(mms);
    return microvm_boot_kernel(mms, errp);
}

static void microvm_finalize(Object *obj)
{
    MicrovmMachineState *mms = MICROVM_MACHINE(obj);

    g_clear_pointer(&mms->bios_image, g_bytes_unref);
    g_clear_pointer(&mms->kernel, g_bytes_unref);
    g_clear_pointer(&mms->initrd, g_bytes_unref);
    g_clear_pointer(&mms->cmdline, g_free);
}

static void microvm_class_init(ObjectClass *oc, void *data)
{
    MachineClass *mc = MACHINE_CLASS(oc);

    mc->name = "microvm";
    mc->desc = "x86-64 microvm (no PCI; KVM only; QEMU-compatible layout)";
    mc->arch = "x86_64";
    mc->print_cpu_models = x86_cpu_print_models;
    mc->init = microvm_init;
    mc->is_default = true;
    mc->max_cpus = MICROVM_MAX_CPUS;
    mc->default_ram_size = 128 * 1024 * 1024;
}

static const TypeInfo microvm_machine_type = {
    .name = TYPE_MICROVM_MACHINE,
    .parent = TYPE_MACHINE,
    .instance_size = sizeof(MicrovmMachineState),
    .instance_finalize = microvm_finalize,
    .class_init = microvm_class_init,
};

static void microvm_register_types(void)
{
    type_register(&microvm_machine_type);
}

type_init(microvm_register_types)
