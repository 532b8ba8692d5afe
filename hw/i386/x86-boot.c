/*
 * Direct Linux boot on x86 (hw/i386/x86-boot.h): the bzImage boot
 * protocol, PVH ELF kernels and the MP table, written into a host buffer
 * that holds guest low RAM. Every offset and size read from the image is
 * checked before use: the image is untrusted input.
 */
#include <elf.h>
#include <string.h>

#include "hw/i386/x86-boot.h"
#include "proteus/error.h"

/* ---- little-endian fields ---- */

static void put8(uint8_t *p, uint8_t v)
{
    p[0] = v;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, v);
    put32(p + 4, v >> 32);
}

static uint16_t get16(const uint8_t *p)
{
    return p[0] | p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
    return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
    return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* ---- shared by both kinds ---- */

/* a + b, or UINT64_MAX past it: an end address from image fields, which
 * must not wrap around to look small */
static uint64_t end_of(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

/* Flat 4 GiB code (execute/read) and data (read/write) descriptors: base
 * 0, limit 0xfffff in 4 KiB units, 32-bit, present, DPL 0. */
#define GDT_FLAT_CODE   0x00cf9b000000ffffull
#define GDT_FLAT_DATA   0x00cf93000000ffffull

static void write_gdt(const X86BootRam *ram)
{
    uint8_t *gdt = ram->base + X86_BOOT_GDT_ADDR;

    memset(gdt, 0, X86_BOOT_CODE_SEL);
    put64(gdt + X86_BOOT_CODE_SEL, GDT_FLAT_CODE);
    put64(gdt + X86_BOOT_DATA_SEL, GDT_FLAT_DATA);
}

static bool check_cmdline(const X86BootConfig *cfg, size_t max, GError **errp)
{
    size_t len = cfg->cmdline ? strlen(cfg->cmdline) : 0;

    if (len + 1 > MIN(max, (size_t)X86_BOOT_CMDLINE_MAX)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-append: the command line has %zu bytes; kernel %s takes at most %zu",
                        len, cfg->name, MIN(max, (size_t)X86_BOOT_CMDLINE_MAX) - 1);
        return false;
    }
    return true;
}

static void write_cmdline(const X86BootRam *ram, const X86BootConfig *cfg)
{
    const char *s = cfg->cmdline ? cfg->cmdline : "";

    memcpy(ram->base + X86_BOOT_CMDLINE_ADDR, s, strlen(s) + 1);
}

/* The initrd as high as allowed (below addr_max inclusive and ram_top),
 * page aligned, above the kernel's memory. */
static bool place_initrd(uint64_t ram_top, const X86BootConfig *cfg, uint64_t addr_max,
                         X86BootEntry *entry, GError **errp)
{
    uint64_t top = MIN(addr_max + 1, ram_top);
    uint64_t addr;

    entry->initrd_addr = 0;
    if (!cfg->initrd) {
        return true;
    }
    addr = cfg->initrd_size <= top ? (top - cfg->initrd_size) & ~0xfffull : 0;
    if (addr < entry->kernel_end) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-initrd: %zu bytes do not fit between kernel %s (which ends at "
                        "0x%" G_GINT64_MODIFIER "x) and 0x%" G_GINT64_MODIFIER "x: give "
                        "more memory (-m)", cfg->initrd_size, cfg->name, entry->kernel_end,
                        top);
        return false;
    }
    entry->initrd_addr = addr;
    return true;
}

static void write_initrd(const X86BootRam *ram, const X86BootConfig *cfg,
                         const X86BootEntry *entry)
{
    if (cfg->initrd) {
        memcpy(ram->base + entry->initrd_addr, cfg->initrd, cfg->initrd_size);
    }
}

static bool fits_low_ram(uint64_t low_size, const X86BootConfig *cfg, uint64_t end,
                         GError **errp)
{
    if (end > low_size) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-kernel %s: too large: needs RAM up to 0x%" G_GINT64_MODIFIER
                        "x, there is RAM up to 0x%" G_GINT64_MODIFIER "x (-m)",
                        cfg->name, end, low_size);
        return false;
    }
    return true;
}

/* ---- bzImage (boot.rst) ---- */

/* The setup header ends within the first setup sector pair; past 0x290
 * the zero page has fields of its own. */
#define BP_HEADER_LIMIT 0x290
#define BZ_MIN_SIZE     (BP_INIT_SIZE + 4)
#define BZ_SECTOR       512
#define BZ_DEFAULT_SETUP_SECTS 4
/* heap_end_ptr: the setup heap and stack end at 0xfe00 in the real-mode
 * segment; the field holds that minus 0x200 (boot.rst). */
#define BZ_HEAP_END     (0xfe00 - 0x200)

static bool is_bzimage(const X86BootConfig *cfg)
{
    return cfg->kernel_size >= BZ_MIN_SIZE &&
           get32(cfg->kernel + BP_HEADER) == BP_HEADER_MAGIC;
}

static bool bzimage_check(const X86BootConfig *cfg, GError **errp)
{
    const uint8_t *k = cfg->kernel;
    uint16_t version = get16(k + BP_VERSION);

    if (get16(k + BP_BOOT_FLAG) != BP_BOOT_FLAG_MAGIC) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-kernel %s: boot_flag is 0x%04x, not 0xaa55: not a Linux bzImage",
                        cfg->name, get16(k + BP_BOOT_FLAG));
        return false;
    }
    if (version < BP_MIN_VERSION) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-kernel %s: boot protocol %u.%02u is too old (needs 2.12, Linux 3.8)",
                        cfg->name, version >> 8, version & 0xff);
        return false;
    }
    if (!(k[BP_XLOADFLAGS] & BP_XLF_KERNEL_64)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-kernel %s: not a 64-bit kernel (XLF_KERNEL_64 is clear)", cfg->name);
        return false;
    }
    if (!(k[BP_LOADFLAGS] & BP_LOADED_HIGH)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-kernel %s: a zImage (LOADED_HIGH clear); only bzImages boot",
                        cfg->name);
        return false;
    }
    return true;
}

/* Where the kernel goes and the memory it needs: with at_pref a
 * relocatable kernel at its preferred address (where it would decompress
 * to anyway), otherwise at 1 MiB; it decompresses into init_size bytes
 * from its run-time address, which is never below pref_address. */
static bool bzimage_layout(uint64_t low_size, const X86BootConfig *cfg, bool at_pref,
                           uint64_t *load, size_t *pm_offset, X86BootEntry *entry,
                           GError **errp)
{
    const uint8_t *k = cfg->kernel;
    unsigned sects = k[BP_SETUP_SECTS] ? k[BP_SETUP_SECTS] : BZ_DEFAULT_SETUP_SECTS;
    size_t setup = (sects + 1) * BZ_SECTOR;
    uint64_t pref = get64(k + BP_PREF_ADDRESS);
    uint64_t run;

    if (setup >= cfg->kernel_size ||
        (uint64_t)get32(k + BP_SYSSIZE) * 16 > cfg->kernel_size - setup) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-kernel %s: truncated: %zu bytes, the header announces %"
                        G_GUINT64_FORMAT, cfg->name, cfg->kernel_size,
                        setup + (uint64_t)get32(k + BP_SYSSIZE) * 16);
        return false;
    }
    *pm_offset = setup;
    *load = at_pref && k[BP_RELOCATABLE_KERNEL] && pref >= X86_BOOT_KERNEL_ADDR
            ? pref : X86_BOOT_KERNEL_ADDR;
    run = MAX(*load, pref);
    entry->kernel_end = MAX(end_of(*load, cfg->kernel_size - setup),
                            end_of(run, get32(k + BP_INIT_SIZE)));
    return fits_low_ram(low_size, cfg, entry->kernel_end, errp);
}

/* Checks the image and plans the loading into RAM up to low_size. */
static bool bzimage_prepare(uint64_t low_size, const X86BootConfig *cfg, bool at_pref,
                            uint64_t *load, size_t *pm_offset, X86BootEntry *entry,
                            GError **errp)
{
    return bzimage_check(cfg, errp) &&
           bzimage_layout(low_size, cfg, at_pref, load, pm_offset, entry, errp) &&
           check_cmdline(cfg, (size_t)get32(cfg->kernel + BP_CMDLINE_SIZE) + 1, errp) &&
           place_initrd(low_size, cfg, get32(cfg->kernel + BP_INITRD_ADDR_MAX), entry, errp);
}

/* The fields a boot loader fills in, in a copy of the setup header at the
 * zero page's offsets (hdr: the zero page, or the setup sectors). */
static void bzimage_fill_header(uint8_t *hdr, const X86BootConfig *cfg,
                                const X86BootEntry *entry)
{
    put16(hdr + BP_VID_MODE, 0xffff);                   /* "normal" */
    put8(hdr + BP_TYPE_OF_LOADER, BP_LOADER_UNDEFINED);
    /* segments as the protocol sets them: the kernel need not keep ours */
    put8(hdr + BP_LOADFLAGS,
         (cfg->kernel[BP_LOADFLAGS] | BP_LOADED_HIGH | BP_CAN_USE_HEAP) & ~BP_KEEP_SEGMENTS);
    put16(hdr + BP_HEAP_END_PTR, BZ_HEAP_END);
    put32(hdr + BP_CMD_LINE_PTR, X86_BOOT_CMDLINE_ADDR);
    put32(hdr + BP_RAMDISK_IMAGE, entry->initrd_addr);
    put32(hdr + BP_RAMDISK_SIZE, cfg->initrd ? cfg->initrd_size : 0);
}

static void bzimage_write_params(const X86BootRam *ram, const X86BootConfig *cfg,
                                 uint64_t load, const X86BootEntry *entry)
{
    const uint8_t *k = cfg->kernel;
    uint8_t *bp = ram->base + X86_BOOT_PARAMS_ADDR;
    size_t hdr_end = MIN(MIN((size_t)(BP_JUMP + 2 + k[BP_JUMP + 1]), (size_t)BP_HEADER_LIMIT),
                         cfg->kernel_size);
    unsigned n = MIN(cfg->e820_entries, (unsigned)BP_E820_MAX);

    memset(bp, 0, BP_SIZE);
    memcpy(bp + BP_SETUP_SECTS, k + BP_SETUP_SECTS, hdr_end - BP_SETUP_SECTS);
    bzimage_fill_header(bp, cfg, entry);
    put32(bp + BP_CODE32_START, load);
    put8(bp + BP_E820_ENTRIES, n);
    for (unsigned i = 0; i < n; i++) {
        uint8_t *e = bp + BP_E820_TABLE + i * E820_ENTRY_SIZE;

        put64(e, cfg->e820[i].addr);
        put64(e + 8, cfg->e820[i].size);
        put32(e + 16, cfg->e820[i].type);
    }
}

static bool bzimage_load(const X86BootRam *ram, const X86BootConfig *cfg, X86BootEntry *entry,
                         GError **errp)
{
    uint64_t load;
    size_t pm_offset;

    if (!bzimage_prepare(ram->low_size, cfg, true, &load, &pm_offset, entry, errp)) {
        return false;
    }
    memcpy(ram->base + load, cfg->kernel + pm_offset, cfg->kernel_size - pm_offset);
    write_initrd(ram, cfg, entry);
    write_cmdline(ram, cfg);
    bzimage_write_params(ram, cfg, load, entry);
    entry->kind = X86_KERNEL_BZIMAGE;
    entry->eip = load;
    entry->esi = X86_BOOT_PARAMS_ADDR;
    entry->ebx = 0;
    return true;
}

/* ---- PVH ELF ---- */

static bool is_elf(const X86BootConfig *cfg)
{
    return cfg->kernel_size >= SELFMAG && memcmp(cfg->kernel, ELFMAG, SELFMAG) == 0;
}

/* A copy of the program header table (the image need not be aligned),
 * checked to lie in the file. */
static Elf64_Phdr *elf_phdrs(const X86BootConfig *cfg, unsigned *n, GError **errp)
{
    Elf64_Ehdr eh;

    if (cfg->kernel_size < sizeof(eh)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-kernel %s: an ELF file but truncated in its header", cfg->name);
        return NULL;
    }
    memcpy(&eh, cfg->kernel, sizeof(eh));
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
        eh.e_machine != EM_X86_64) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-kernel %s: an ELF file but not a 64-bit x86-64 one", cfg->name);
        return NULL;
    }
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > cfg->kernel_size ||
        (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > cfg->kernel_size - eh.e_phoff) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-kernel %s: the ELF program headers are not within the file",
                        cfg->name);
        return NULL;
    }
    *n = eh.e_phnum;
    /* never NULL, even with no program headers */
    return memcpy(g_new(Elf64_Phdr, MAX(eh.e_phnum, 1)), cfg->kernel + eh.e_phoff,
                  eh.e_phnum * sizeof(Elf64_Phdr));
}

static bool segment_in_file(const X86BootConfig *cfg, const Elf64_Phdr *ph)
{
    return ph->p_offset <= cfg->kernel_size && ph->p_filesz <= cfg->kernel_size - ph->p_offset;
}

/* The PVH entry of one PT_NOTE segment (Xen notes: name "Xen"); 0: none. */
static uint64_t pvh_note_entry(const uint8_t *p, uint64_t len)
{
    uint64_t at = 0;

    while (len - at >= 12) {
        uint32_t namesz = get32(p + at), descsz = get32(p + at + 4), type = get32(p + at + 8);
        uint64_t name = at + 12;
        uint64_t desc = name + ((namesz + 3ull) & ~3ull);
        uint64_t next = desc + ((descsz + 3ull) & ~3ull);

        if (next > len) {
            break;
        }
        if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 &&
            memcmp(p + name, "Xen", 4) == 0) {
            return descsz >= 8 ? get64(p + desc) : descsz >= 4 ? get32(p + desc) : 0;
        }
        at = next;
    }
    return 0;
}

static uint64_t pvh_entry(const X86BootConfig *cfg, const Elf64_Phdr *ph, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (ph[i].p_type == PT_NOTE && segment_in_file(cfg, &ph[i])) {
            uint64_t e = pvh_note_entry(cfg->kernel + ph[i].p_offset, ph[i].p_filesz);

            if (e) {
                return e;
            }
        }
    }
    return 0;
}

/* Checks the loadable segments: in the file, in low RAM above 1 MiB. */
static bool pvh_check_segments(const X86BootRam *ram, const X86BootConfig *cfg,
                               const Elf64_Phdr *ph, unsigned n, X86BootEntry *entry,
                               GError **errp)
{
    entry->kernel_end = X86_BOOT_KERNEL_ADDR;
    for (unsigned i = 0; i < n; i++) {
        if (ph[i].p_type != PT_LOAD) {
            continue;
        }
        if (!segment_in_file(cfg, &ph[i]) || ph[i].p_filesz > ph[i].p_memsz ||
            ph[i].p_paddr < X86_BOOT_KERNEL_ADDR || ph[i].p_memsz > UINT32_MAX) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "-kernel %s: ELF segment %u (at 0x%" G_GINT64_MODIFIER "x) is "
                            "not within the file or below 1 MiB", cfg->name, i,
                            (uint64_t)ph[i].p_paddr);
            return false;
        }
        if (!fits_low_ram(ram->low_size, cfg, end_of(ph[i].p_paddr, ph[i].p_memsz), errp)) {
            return false;
        }
        entry->kernel_end = MAX(entry->kernel_end, ph[i].p_paddr + ph[i].p_memsz);
    }
    return true;
}

static void pvh_write_segments(const X86BootRam *ram, const X86BootConfig *cfg,
                               const Elf64_Phdr *ph, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (ph[i].p_type == PT_LOAD) {
            uint8_t *dst = ram->base + ph[i].p_paddr;

            memcpy(dst, cfg->kernel + ph[i].p_offset, ph[i].p_filesz);
            memset(dst + ph[i].p_filesz, 0, ph[i].p_memsz - ph[i].p_filesz);
        }
    }
}

/* struct hvm_start_info, its module list (the initrd) and memory map. */
static void pvh_write_start_info(const X86BootRam *ram, const X86BootConfig *cfg,
                                 const X86BootEntry *entry)
{
    uint8_t *si = ram->base + X86_BOOT_PARAMS_ADDR;
    uint8_t *mod = si + HVM_MODLIST_OFFSET;
    unsigned n = MIN(cfg->e820_entries, (unsigned)HVM_MEMMAP_MAX);

    memset(si, 0, BP_SIZE);
    put32(si, HVM_START_MAGIC);
    put32(si + 4, HVM_START_VERSION);
    put32(si + 12, cfg->initrd ? 1 : 0);                            /* nr_modules */
    put64(si + 16, X86_BOOT_PARAMS_ADDR + HVM_MODLIST_OFFSET);      /* modlist_paddr */
    put64(si + 24, X86_BOOT_CMDLINE_ADDR);                          /* cmdline_paddr */
    put64(si + 40, X86_BOOT_PARAMS_ADDR + HVM_MEMMAP_OFFSET);       /* memmap_paddr */
    put32(si + 48, n);                                              /* memmap_entries */
    if (cfg->initrd) {
        put64(mod, entry->initrd_addr);
        put64(mod + 8, cfg->initrd_size);
    }
    for (unsigned i = 0; i < n; i++) {
        uint8_t *e = si + HVM_MEMMAP_OFFSET + i * HVM_MEMMAP_ENTRY_SIZE;

        put64(e, cfg->e820[i].addr);
        put64(e + 8, cfg->e820[i].size);
        put32(e + 16, cfg->e820[i].type);
    }
}

static bool pvh_load(const X86BootRam *ram, const X86BootConfig *cfg, X86BootEntry *entry,
                     GError **errp)
{
    unsigned n;
    g_autofree Elf64_Phdr *ph = elf_phdrs(cfg, &n, errp);
    uint64_t start;

    if (!ph) {
        return false;
    }
    start = pvh_entry(cfg, ph, n);
    if (!start || start > UINT32_MAX) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-kernel %s: an ELF file without a PVH entry (Xen ELF note "
                        "XEN_ELFNOTE_PHYS32_ENTRY below 4 GiB): not bootable directly",
                        cfg->name);
        return false;
    }
    if (!pvh_check_segments(ram, cfg, ph, n, entry, errp) ||
        !check_cmdline(cfg, X86_BOOT_CMDLINE_MAX, errp) ||
        !place_initrd(ram->low_size, cfg, UINT32_MAX, entry, errp)) {
        return false;
    }
    pvh_write_segments(ram, cfg, ph, n);
    write_initrd(ram, cfg, entry);
    write_cmdline(ram, cfg);
    pvh_write_start_info(ram, cfg, entry);
    entry->kind = X86_KERNEL_PVH;
    entry->eip = start;
    entry->esi = 0;
    entry->ebx = X86_BOOT_PARAMS_ADDR;
    return true;
}

bool x86_boot_load(const X86BootRam *ram, const X86BootConfig *cfg, X86BootEntry *entry,
                   GError **errp)
{
    bool ok;

    g_assert(ram->low_size >= X86_BOOT_CMDLINE_ADDR + X86_BOOT_CMDLINE_MAX);
    if (is_bzimage(cfg)) {
        ok = bzimage_load(ram, cfg, entry, errp);
    } else if (is_elf(cfg)) {
        ok = pvh_load(ram, cfg, entry, errp);
    } else {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-kernel %s: not a Linux kernel: neither a bzImage (no \"HdrS\" "
                        "header at 0x202) nor an ELF file", cfg->name);
        return false;
    }
    if (ok) {
        write_gdt(ram);
    }
    return ok;
}

/* ---- bzImage through firmware ---- */

/* One part of the kernel: where it goes, its size, its contents (the size
 * item's key follows the address item's). */
static void add_fw_cfg_part(FwCfgState *fw, uint16_t addr_key, uint16_t data_key,
                            uint32_t addr, const void *data, size_t len)
{
    g_assert(len <= UINT32_MAX);
    fw_cfg_add_i32(fw, addr_key, addr);
    fw_cfg_add_i32(fw, addr_key + 1, len);
    fw_cfg_add_bytes(fw, data_key, data, len);
}

static bool firmware_check_kind(const X86BootConfig *cfg, GError **errp)
{
    if (is_bzimage(cfg)) {
        return true;
    }
    if (is_elf(cfg)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-kernel %s: an ELF file, which only boots directly (PVH), not "
                        "through the firmware: leave out -bios", cfg->name);
    } else {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-kernel %s: not a Linux bzImage (no \"HdrS\" header at 0x202), "
                        "which is what the firmware boots", cfg->name);
    }
    return false;
}

bool x86_boot_add_fw_cfg(FwCfgState *fw, uint64_t low_size, const X86BootConfig *cfg,
                         GError **errp)
{
    uint64_t top = low_size > X86_BOOT_FIRMWARE_RESERVE ? low_size - X86_BOOT_FIRMWARE_RESERVE
                                                        : 0;
    const char *cmdline = cfg->cmdline ? cfg->cmdline : "";
    g_autofree uint8_t *setup = NULL;
    X86BootEntry entry;
    uint64_t load;
    size_t pm_offset;

    if (!firmware_check_kind(cfg, errp) ||
        !bzimage_prepare(top, cfg, false, &load, &pm_offset, &entry, errp)) {
        return false;
    }
    if (pm_offset > X86_BOOT_SETUP_MAX) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-kernel %s: %zu bytes of real-mode setup code; the boot protocol "
                        "allows at most %u", cfg->name, pm_offset, X86_BOOT_SETUP_MAX);
        return false;
    }
    setup = g_memdup2(cfg->kernel, pm_offset);
    bzimage_fill_header(setup, cfg, &entry);
    add_fw_cfg_part(fw, FW_CFG_SETUP_ADDR, FW_CFG_SETUP_DATA, X86_BOOT_SETUP_ADDR, setup,
                    pm_offset);
    add_fw_cfg_part(fw, FW_CFG_KERNEL_ADDR, FW_CFG_KERNEL_DATA, load, cfg->kernel + pm_offset,
                    cfg->kernel_size - pm_offset);
    add_fw_cfg_part(fw, FW_CFG_INITRD_ADDR, FW_CFG_INITRD_DATA, entry.initrd_addr,
                    cfg->initrd, cfg->initrd ? cfg->initrd_size : 0);
    add_fw_cfg_part(fw, FW_CFG_CMDLINE_ADDR, FW_CFG_CMDLINE_DATA, X86_BOOT_CMDLINE_ADDR,
                    cmdline, strlen(cmdline) + 1);
    return true;
}

/* ---- the MP table (Intel MP spec 1.4, chapter 4) ---- */

#define MP_FLOATING_SIZE    16
#define MP_HEADER_SIZE      44
#define MP_PROCESSOR_SIZE   20
#define MP_ENTRY_SIZE       8
#define MP_SPEC_REV         4
#define MP_LAPIC_ADDR       0xfee00000u
#define MP_LAPIC_VERSION    0x14
#define MP_IOAPIC_VERSION   0x11
#define MP_ISA_IRQS         16

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_IO_INTERRUPT, MP_LOCAL_INTERRUPT };
enum { MP_INT, MP_NMI, MP_SMI, MP_EXTINT };
/* I/O interrupt flags: polarity bits 0-1, trigger mode bits 2-3 */
#define MP_CONFORMS         0x0
#define MP_LEVEL_HIGH       0xd     /* active high (01), level (11) */

static uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++) {
        sum += p[i];
    }
    return -sum;
}

static uint8_t *mp_processor(uint8_t *p, unsigned id)
{
    memset(p, 0, MP_PROCESSOR_SIZE);
    p[0] = MP_PROCESSOR;
    p[1] = id;
    p[2] = MP_LAPIC_VERSION;
    p[3] = 1 | (id == 0 ? 2 : 0);           /* enabled; CPU 0 is the BSP */
    put32(p + 4, 0x600);                    /* signature: family 6 */
    put32(p + 8, 1 << 0 | 1 << 9);          /* features: FPU, APIC */
    return p + MP_PROCESSOR_SIZE;
}

/* An interrupt assignment entry: I/O (to an IOAPIC input) or local. */
static uint8_t *mp_interrupt(uint8_t *p, uint8_t kind, uint8_t type, uint16_t flags,
                             uint8_t src_irq, uint8_t dst_id, uint8_t dst_pin)
{
    p[0] = kind;
    p[1] = type;
    put16(p + 2, flags);
    p[4] = 0;                               /* the ISA bus */
    p[5] = src_irq;
    p[6] = dst_id;
    p[7] = dst_pin;
    return p + MP_ENTRY_SIZE;
}

void x86_boot_write_mptable(const X86BootRam *ram, unsigned ncpus, uint32_t ioapic_addr,
                            uint16_t level_irqs)
{
    uint8_t *fp = ram->base + X86_BOOT_MPTABLE_ADDR;
    uint8_t *hdr = fp + MP_FLOATING_SIZE;
    uint8_t *p = hdr + MP_HEADER_SIZE;
    unsigned ioapic_id = ncpus, entries = 0;

    g_assert(ncpus >= 1 && ncpus <= 64);
    g_assert(ram->low_size >= X86_BOOT_MPTABLE_ADDR + X86_BOOT_MPTABLE_MAX);
    for (unsigned i = 0; i < ncpus; i++, entries++) {
        p = mp_processor(p, i);
    }
    memcpy(p, "\x01\x00ISA   ", MP_ENTRY_SIZE);     /* MP_BUS, id 0, "ISA" */
    p += MP_ENTRY_SIZE;
    p[0] = MP_IOAPIC;
    p[1] = ioapic_id;
    p[2] = MP_IOAPIC_VERSION;
    p[3] = 1;                                       /* enabled */
    put32(p + 4, ioapic_addr);
    p += MP_ENTRY_SIZE;
    entries += 2;
    for (unsigned irq = 0; irq < MP_ISA_IRQS; irq++, entries++) {
        uint16_t flags = level_irqs & (1u << irq) ? MP_LEVEL_HIGH : MP_CONFORMS;

        p = mp_interrupt(p, MP_IO_INTERRUPT, MP_INT, flags, irq, ioapic_id, irq);
    }
    /* every local APIC: LINT0 from the 8259, LINT1 NMI (virtual wire) */
    p = mp_interrupt(p, MP_LOCAL_INTERRUPT, MP_EXTINT, MP_CONFORMS, 0, 0xff, 0);
    p = mp_interrupt(p, MP_LOCAL_INTERRUPT, MP_NMI, MP_CONFORMS, 0, 0xff, 1);
    entries += 2;

    memcpy(hdr, "PCMP", 4);
    put16(hdr + 4, p - hdr);                        /* base table length */
    hdr[6] = MP_SPEC_REV;
    hdr[7] = 0;
    memcpy(hdr + 8, "PROTEUS ", 8);                 /* OEM id */
    memcpy(hdr + 16, "MICROVM     ", 12);           /* product id */
    memset(hdr + 28, 0, 8);                         /* OEM table pointer, size */
    put16(hdr + 34, entries);
    put32(hdr + 36, MP_LAPIC_ADDR);
    memset(hdr + 40, 0, 4);                         /* no extended table */
    hdr[7] = checksum(hdr, p - hdr);

    memset(fp, 0, MP_FLOATING_SIZE);
    memcpy(fp, "_MP_", 4);
    put32(fp + 4, X86_BOOT_MPTABLE_ADDR + MP_FLOATING_SIZE);
    fp[8] = 1;                                      /* length in 16-byte units */
    fp[9] = MP_SPEC_REV;
    fp[10] = checksum(fp, MP_FLOATING_SIZE);        /* features 0: the table follows */
}
