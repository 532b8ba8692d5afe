/*
 * -M microvm: a minimal x86-64 machine without PCI, laid out like QEMU's
 * microvm so that its firmware (SeaBIOS's bios-microvm.bin) runs
 * unchanged. It needs -accel kvm: the interrupt controllers (8259 pair,
 * IOAPIC, local APICs) and the 8254 PIT are KVM's in-kernel ones.
 *
 * Memory map:
 *   0x00000000  RAM, up to 3 GiB (the rest above 4 GiB)
 *   0x000e0000  the firmware's last 128 KiB again (the legacy BIOS area)
 *   0xfec00000  IOAPIC, 0xfee00000 local APIC (in the kernel)
 *   4G - size   the firmware (-bios; Debian's SeaBIOS for microvm by
 *               default), writable like RAM, as the firmware expects with
 *               no chipset to unlock its shadow
 *   0x100000000 RAM above 3 GiB
 * I/O ports:
 *   0x3f8   16550A UART on serial_hd(0), IRQ 4
 *   0x510   fw_cfg (0x514: its DMA register); -fw_cfg adds files
 *   0x402   isa-debugcon, with -debugcon
 *   0xcf9   reset control: a write with bit 2 set resets the machine (how
 *           SeaBIOS reboots when no boot device is found)
 * The CPUs start at the reset vector (0xfffffff0); the firmware wakes the
 * others with INIT and SIPI through the local APIC.
 */
#include <string.h>

#include "hw/i386/e820.h"
#include "hw/nvram/fw_cfg.h"
#include "proteus/chardev.h"
#include "proteus/cpus.h"
#include "proteus/kvm.h"
#include "proteus/machine.h"
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
    DeviceState *uart;
    FwCfgState *fw_cfg;
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

static bool microvm_create_uart(MicrovmMachineState *mms, GError **errp)
{
    Chardev *serial = serial_hd(0);
    DeviceState *dev = device_new("ns16550a", errp);
    bool ok;

    if (!dev) {
        return false;
    }
    ok = object_property_add_child(OBJECT(mms), "uart0", OBJECT(dev), errp);
    object_unref(dev);
    if (!ok || (serial && !object_property_set_str(OBJECT(dev), "chardev", serial->label,
                                                   errp)) ||
        !device_realize(dev, errp)) {
        return false;
    }
    memory_region_add_subregion(get_system_io(), MICROVM_UART_IO,
                                sysbus_mmio_get_region(SYS_BUS_DEVICE(dev), 0));
    sysbus_connect_irq(SYS_BUS_DEVICE(dev), 0, kvm_irq_line(MICROVM_UART_IRQ));
    mms->uart = dev;
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

/* The RAM as firmware sees it: what is left around the hole is its own. */
static void microvm_add_e820(MicrovmMachineState *mms)
{
    MachineState *ms = MACHINE(mms);
    uint64_t below = microvm_below_4g(ms);
    E820Entry map[3] = {
        { 0, below, E820_RAM },
        { X86_KVM_IDENTITY_MAP_ADDR, X86_KVM_RESERVED_SIZE, E820_RESERVED },
    };
    unsigned n = 2;
    g_autoptr(GByteArray) table = g_byte_array_new();
    bool ok;

    if (ms->ram_size > below) {
        map[n++] = (E820Entry){ MICROVM_ABOVE_4G_BASE, ms->ram_size - below, E820_RAM };
    }
    e820_encode(map, n, table);
    /* the board's own file: its name is valid and new */
    ok = fw_cfg_add_file(mms->fw_cfg, "etc/e820", table->data, table->len, NULL);
    g_assert(ok);
}

static bool microvm_create_fw_cfg(MicrovmMachineState *mms, GError **errp)
{
    MachineState *ms = MACHINE(mms);

    mms->fw_cfg = fw_cfg_new(address_space_memory());
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

/* ---- CPUs ---- */

static void microvm_reset_hook(CPUState *cpu, void *opaque)
{
    microvm_copy_bios(opaque);
}

static void microvm_create_cpus(MicrovmMachineState *mms)
{
    MachineState *ms = MACHINE(mms);

    for (unsigned i = 0; i < ms->smp_cpus; i++) {
        X86CPU *cpu = x86_cpu_new(i);

        cpus_register(&cpu->parent);
    }
    /* the BSP's reset hook restores what is shared: the firmware */
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
    if (!microvm_create_ram(mms, errp) || !microvm_create_bios(mms, errp) ||
        !microvm_create_uart(mms, errp) || !microvm_create_fw_cfg(mms, errp)) {
        return false;
    }
    memory_region_init_io(&mms->reset_io, OBJECT(ms), &microvm_reset_ops, mms, "reset-control",
                          1);
    memory_region_add_subregion(get_system_io(), MICROVM_RESET_IO, &mms->reset_io);
    microvm_create_cpus(mms);
    return true;
}

static void microvm_finalize(Object *obj)
{
    MicrovmMachineState *mms = MICROVM_MACHINE(obj);

    g_clear_pointer(&mms->fw_cfg, fw_cfg_free);
    g_clear_pointer(&mms->bios_image, g_bytes_unref);
}

static void microvm_class_init(ObjectClass *oc, void *data)
{
    MachineClass *mc = MACHINE_CLASS(oc);

    mc->name = "microvm";
    mc->desc = "x86-64 microvm (no PCI; KVM only; QEMU-compatible layout)";
    mc->arch = "x86_64";
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
