/*
 * Direct Linux boot on x86 boards without firmware (-kernel, -initrd,
 * -append): what a boot loader does, on a host buffer holding guest RAM
 * from address 0, so that it runs (and is tested) without a guest.
 *
 * Two kinds of kernel image:
 *  - a bzImage, through the Linux x86 boot protocol
 *    (Documentation/arch/x86/boot.rst): the protected-mode kernel at
 *    1 MiB, the "zero page" (struct boot_params) with the setup header,
 *    the E820 map, the command line and the initrd; entered at its 32-bit
 *    entry with ESI = the zero page;
 *  - an ELF with a PVH entry (Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY): its
 *    segments at their physical addresses; entered in 32-bit protected
 *    mode with EBX = struct hvm_start_info (xen/include/public/arch-x86/
 *    hvm/start_info.h) carrying the memory map, command line and initrd.
 * Both start with paging off and interrupts off, flat 4 GiB segments from
 * a GDT written at X86_BOOT_GDT_ADDR (selectors 0x10 code, 0x18 data, as
 * the boot protocol's __BOOT_CS / __BOOT_DS).
 *
 * With firmware (-bios), the kernel is not written into RAM: a bzImage is
 * split into fw_cfg items (x86_boot_add_fw_cfg) for a boot loader in the
 * guest, the option ROM of hw/i386/optionrom, to load and enter through
 * the protocol's 16-bit entry (its real-mode setup code).
 *
 * Also the Intel MultiProcessor Specification 1.4 table (chapter 4) that
 * lets the kernel find the CPUs and the IOAPIC without ACPI.
 */
#ifndef HW_I386_X86_BOOT_H
#define HW_I386_X86_BOOT_H

#include <glib.h>
#include <stdint.h>

#include "hw/i386/e820.h"
#include "hw/nvram/fw_cfg.h"

/* Where the loader puts its structures in low memory (all below 640 KiB,
 * clear of the real-mode IVT and BIOS data area). */
#define X86_BOOT_GDT_ADDR       0x500
#define X86_BOOT_PARAMS_ADDR    0x7000      /* zero page or hvm_start_info */
#define X86_BOOT_CMDLINE_ADDR   0x20000
#define X86_BOOT_CMDLINE_MAX    0x10000     /* with its NUL */
#define X86_BOOT_KERNEL_ADDR    0x100000    /* the protected-mode kernel */
/* With firmware: the real-mode kernel (setup sectors, then its heap and
 * stack up to 0xfe00) at segment 0x1000, the command line after it at
 * X86_BOOT_CMDLINE_ADDR, as boot.rst lays out a protocol >= 2.02 loader;
 * the firmware keeps the top of low RAM for its own tables. */
#define X86_BOOT_SETUP_ADDR     0x10000
#define X86_BOOT_SETUP_MAX      0x8000
#define X86_BOOT_FIRMWARE_RESERVE 0x100000
/* The MP table: in the BIOS area, which a board without firmware keeps
 * reserved in its E820 map (see e820_x86_map). */
#define X86_BOOT_MPTABLE_ADDR   0xf0000
#define X86_BOOT_MPTABLE_MAX    0x10000

#define X86_BOOT_CODE_SEL       0x10
#define X86_BOOT_DATA_SEL       0x18

/* ---- the boot protocol's zero page (boot.rst, "THE REAL-MODE KERNEL
 * HEADER" and zero-page.rst): offsets in struct boot_params ---- */
#define BP_EXT_RAMDISK_IMAGE    0x0c0
#define BP_EXT_RAMDISK_SIZE     0x0c4
#define BP_EXT_CMD_LINE_PTR     0x0c8
#define BP_E820_ENTRIES         0x1e8
#define BP_SETUP_SECTS          0x1f1
#define BP_SYSSIZE              0x1f4
#define BP_VID_MODE             0x1fa
#define BP_BOOT_FLAG            0x1fe
#define BP_JUMP                 0x200
#define BP_HEADER               0x202
#define BP_VERSION              0x206
#define BP_TYPE_OF_LOADER       0x210
#define BP_LOADFLAGS            0x211
#define BP_CODE32_START         0x214
#define BP_RAMDISK_IMAGE        0x218
#define BP_RAMDISK_SIZE         0x21c
#define BP_HEAP_END_PTR         0x224
#define BP_CMD_LINE_PTR         0x228
#define BP_INITRD_ADDR_MAX      0x22c
#define BP_KERNEL_ALIGNMENT     0x230
#define BP_RELOCATABLE_KERNEL   0x234
#define BP_XLOADFLAGS           0x236
#define BP_CMDLINE_SIZE         0x238
#define BP_PREF_ADDRESS         0x258
#define BP_INIT_SIZE            0x260
#define BP_E820_TABLE           0x2d0
#define BP_E820_MAX             128
#define BP_SIZE                 0x1000

#define BP_BOOT_FLAG_MAGIC      0xaa55
#define BP_HEADER_MAGIC         0x53726448  /* "HdrS" */
#define BP_MIN_VERSION          0x020c      /* 2.12: xloadflags */
#define BP_LOADER_UNDEFINED     0xff        /* type_of_loader: no assigned id */

#define BP_LOADED_HIGH          0x01
#define BP_KEEP_SEGMENTS        0x40
#define BP_CAN_USE_HEAP         0x80
#define BP_XLF_KERNEL_64        0x01

/* ---- PVH (start_info.h) ---- */
#define XEN_ELFNOTE_PHYS32_ENTRY    18
#define HVM_START_MAGIC             0x336ec578
#define HVM_START_VERSION           1
#define HVM_START_INFO_SIZE         56
#define HVM_MODLIST_ENTRY_SIZE      32
#define HVM_MEMMAP_ENTRY_SIZE       24
/* in the page at X86_BOOT_PARAMS_ADDR */
#define HVM_MODLIST_OFFSET          0x40
#define HVM_MEMMAP_OFFSET           0x80
#define HVM_MEMMAP_MAX  ((BP_SIZE - HVM_MEMMAP_OFFSET) / HVM_MEMMAP_ENTRY_SIZE)

typedef enum X86KernelKind {
    X86_KERNEL_BZIMAGE,
    X86_KERNEL_PVH,
} X86KernelKind;

/* Guest RAM as the loader sees it: the host copy of [0, low_size). */
typedef struct X86BootRam {
    uint8_t *base;
    uint64_t low_size;
} X86BootRam;

/* What to boot. name is the kernel's file name, for the errors. */
typedef struct X86BootConfig {
    const char *name;
    const uint8_t *kernel;
    size_t kernel_size;
    const uint8_t *initrd;          /* NULL: none */
    size_t initrd_size;
    const char *cmdline;            /* NULL: empty */
    const E820Entry *e820;
    unsigned e820_entries;
} X86BootConfig;

/* Where the boot CPU starts (32-bit protected mode, paging off). */
typedef struct X86BootEntry {
    X86KernelKind kind;
    uint32_t eip;
    uint32_t esi;                   /* bzImage: the zero page */
    uint32_t ebx;                   /* PVH: hvm_start_info */
    uint64_t kernel_end;            /* past the memory the kernel uses */
    uint64_t initrd_addr;           /* 0: no initrd */
} X86BootEntry;

/*
 * Writes the kernel, initrd, command line, zero page or hvm_start_info and
 * the GDT into ram and returns where to start. Errors (naming cfg->name):
 * neither a bzImage nor a PVH ELF, a bad or too old header, a 32-bit-only
 * kernel, a kernel, initrd or command line that does not fit.
 */
bool x86_boot_load(const X86BootRam *ram, const X86BootConfig *cfg, X86BootEntry *entry,
                   GError **errp);

/*
 * Adds cfg's bzImage to fw for the option ROM (FW_CFG_SETUP_*, _KERNEL_*,
 * _INITRD_*, _CMDLINE_*: address, size, data): the setup sectors with the
 * loader's header fields filled in (type_of_loader, CAN_USE_HEAP,
 * heap_end_ptr, cmd_line_ptr, ramdisk_image/size) for X86_BOOT_SETUP_ADDR,
 * the protected-mode kernel for X86_BOOT_KERNEL_ADDR, the initrd as high
 * as initrd_addr_max and low_size less X86_BOOT_FIRMWARE_RESERVE allow,
 * the command line with its NUL. cfg's E820 map is not used: the setup
 * code asks the firmware. Errors as x86_boot_load, and for a PVH ELF or
 * setup sectors beyond X86_BOOT_SETUP_MAX.
 */
bool x86_boot_add_fw_cfg(FwCfgState *fw, uint64_t low_size, const X86BootConfig *cfg,
                         GError **errp);

/* Writes the MP floating pointer and configuration table for ncpus CPUs
 * (APIC ids 0..ncpus-1; CPU 0 boots), an ISA bus and the IOAPIC (id
 * ncpus, at ioapic_addr) with ISA IRQ n on its input n, at
 * X86_BOOT_MPTABLE_ADDR: edge-triggered, active high as ISA has them,
 * except the IRQs in the level_irqs mask (bit n: IRQ n), which are
 * level-triggered, active high. ncpus must be 1..64. */
void x86_boot_write_mptable(const X86BootRam *ram, unsigned ncpus, uint32_t ioapic_addr,
                            uint16_t level_irqs);

#endif
