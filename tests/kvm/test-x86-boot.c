/*
 * The direct Linux boot loader (hw/i386/x86-boot.c) without a guest: a
 * synthetic bzImage and PVH ELF loaded into a buffer standing for guest
 * RAM, every zero page / hvm_start_info field checked at the offset that
 * Documentation/arch/x86/boot.rst, zero-page.rst and Xen's start_info.h
 * give (written out as numbers here, not taken from the loader's header);
 * the error cases; the fw_cfg items a bzImage becomes for the firmware
 * and the option ROM that loads them (its header by the PnP BIOS
 * specification 1.0A); the MP table (Intel MP spec 1.4) and the E820 map.
 */
#include <elf.h>
#include <string.h>

#include "hw/i386/e820.h"
#include "hw/i386/x86-boot.h"
#include "proteus/error.h"
#ifdef PROTEUS_LINUXBOOT_ROM
#include "hw/i386/optionrom/optionrom.h"
#endif

#define RAM_SIZE    (64u << 20)
#define SETUP_SECTS 4
#define PM_OFFSET   ((SETUP_SECTS + 1) * 512)
#define PM_SIZE     0x1000
#define PREF_ADDR   0x1000000
#define INIT_SIZE   0x200000
#define INITRD_SIZE 0x3000
#define HDR_END     0x268           /* 0x202 + the jump's offset byte */

typedef struct Fixture {
    X86BootRam ram;
    uint8_t *image;
    size_t image_size;
    uint8_t initrd[INITRD_SIZE];
    E820Entry e820[E820_X86_MAX];
    X86BootConfig cfg;
    X86BootEntry entry;
} Fixture;

static uint16_t rd16(const uint8_t *p)
{
    return p[0] | p[1] << 8;
}

static uint32_t rd32(const uint8_t *p)
{
    return rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static uint64_t rd64(const uint8_t *p)
{
    return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}

static void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, v);
    wr16(p + 2, v >> 16);
}

static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, v);
    wr32(p + 4, v >> 32);
}

static uint8_t sum(const uint8_t *p, size_t len)
{
    uint8_t s = 0;

    while (len--) {
        s += *p++;
    }
    return s;
}

/* A bzImage as Linux 6.x builds it: protocol 2.15, relocatable, 64-bit. */
static void make_bzimage(Fixture *f, unsigned setup_sects)
{
    size_t pm_offset = (setup_sects + 1) * 512;
    uint8_t *k;

    g_free(f->image);
    f->image_size = pm_offset + PM_SIZE;
    f->image = k = g_malloc0(f->image_size);
    f->cfg.kernel = f->image;
    f->cfg.kernel_size = f->image_size;
    k[0x1f1] = setup_sects;
    wr32(k + 0x1f4, PM_SIZE / 16);              /* syssize */
    wr16(k + 0x1fe, 0xaa55);                    /* boot_flag */
    k[0x200] = 0xeb;                            /* jmp short */
    k[0x201] = HDR_END - 0x202;
    memcpy(k + 0x202, "HdrS", 4);
    wr16(k + 0x206, 0x020f);                    /* version */
    k[0x211] = 0x01;                            /* loadflags: LOADED_HIGH */
    wr32(k + 0x214, 0x100000);                  /* code32_start */
    wr32(k + 0x22c, 0x7fffffff);                /* initrd_addr_max */
    wr32(k + 0x230, 0x200000);                  /* kernel_alignment */
    k[0x234] = 1;                               /* relocatable_kernel */
    wr16(k + 0x236, 0x3);                       /* xloadflags: KERNEL_64, ABOVE_4G */
    wr32(k + 0x238, 2047);                      /* cmdline_size */
    wr64(k + 0x258, PREF_ADDR);                 /* pref_address */
    wr32(k + 0x260, INIT_SIZE);                 /* init_size */
    k[0x270] = 0x5a;                            /* past the header: not copied */
    for (size_t i = 0; i < PM_SIZE; i++) {
        k[pm_offset + i] = i * 7 + 1;
    }
    for (size_t i = 0x290; i < pm_offset; i++) {
        k[i] = i * 3;                           /* setup code */
    }
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    unsigned n;

    memset(f, 0, sizeof(*f));
    f->ram.base = g_malloc0(RAM_SIZE);
    f->ram.low_size = RAM_SIZE;
    memset(f->initrd, 0xc3, sizeof(f->initrd));
    n = e820_x86_map(f->e820, RAM_SIZE, 0, 0xfeffc000, 0x4000, true);
    f->cfg = (X86BootConfig){
        .name = "vmlinuz-test",
        .initrd = f->initrd,
        .initrd_size = sizeof(f->initrd),
        .cmdline = "console=ttyS0 quiet",
        .e820 = f->e820,
        .e820_entries = n,
    };
    make_bzimage(f, SETUP_SECTS);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    g_free(f->ram.base);
    g_free(f->image);
}

static void load_ok(Fixture *f)
{
    GError *err = NULL;
    bool ok = x86_boot_load(&f->ram, &f->cfg, &f->entry, &err);

    g_assert_no_error(err);
    g_assert_true(ok);
}

static void load_fails(Fixture *f, const char *message)
{
    GError *err = NULL;

    g_assert_false(x86_boot_load(&f->ram, &f->cfg, &f->entry, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    if (!strstr(err->message, message)) {
        g_error("'%s' does not contain '%s'", err->message, message);
    }
    g_error_free(err);
}

/* ---- bzImage ---- */

static void test_bzimage_entry(Fixture *f, gconstpointer data)
{
    load_ok(f);
    g_assert_cmpint(f->entry.kind, ==, X86_KERNEL_BZIMAGE);
    /* relocatable: at pref_address, which is also code32_start */
    g_assert_cmphex(f->entry.eip, ==, PREF_ADDR);
    g_assert_cmphex(f->entry.esi, ==, 0x7000);
    g_assert_cmphex(f->entry.ebx, ==, 0);
    g_assert_cmphex(f->entry.kernel_end, ==, PREF_ADDR + INIT_SIZE);
    g_assert_cmpmem(f->ram.base + PREF_ADDR, PM_SIZE, f->image + PM_OFFSET, PM_SIZE);
}

static void test_bzimage_zero_page(Fixture *f, gconstpointer data)
{
    const uint8_t *bp;
    uint32_t initrd;

    load_ok(f);
    bp = f->ram.base + 0x7000;
    /* the setup header, copied from 0x1f1 up to its end */
    g_assert_cmpuint(bp[0x1f1], ==, SETUP_SECTS);
    g_assert_cmphex(rd16(bp + 0x1fe), ==, 0xaa55);
    g_assert_cmpmem(bp + 0x202, 4, "HdrS", 4);
    g_assert_cmphex(rd16(bp + 0x206), ==, 0x020f);
    g_assert_cmphex(rd32(bp + 0x22c), ==, 0x7fffffff);
    g_assert_cmphex(rd16(bp + 0x236), ==, 0x3);
    g_assert_cmphex(rd32(bp + 0x260), ==, INIT_SIZE);
    g_assert_cmpuint(bp[0x270], ==, 0);
    /* what the loader fills in */
    g_assert_cmphex(rd16(bp + 0x1fa), ==, 0xffff);          /* vid_mode: normal */
    g_assert_cmphex(bp[0x210], ==, 0xff);                   /* type_of_loader */
    g_assert_cmphex(bp[0x211], ==, 0x81);                   /* LOADED_HIGH | CAN_USE_HEAP */
    g_assert_cmphex(rd32(bp + 0x214), ==, PREF_ADDR);       /* code32_start */
    g_assert_cmphex(rd16(bp + 0x224), ==, 0xfc00);          /* heap_end_ptr */
    g_assert_cmphex(rd32(bp + 0x228), ==, 0x20000);         /* cmd_line_ptr */
    g_assert_cmpstr((const char *)f->ram.base + 0x20000, ==, "console=ttyS0 quiet");
    initrd = rd32(bp + 0x218);                              /* ramdisk_image */
    g_assert_cmphex(initrd, ==, RAM_SIZE - INITRD_SIZE);    /* top of RAM, page aligned */
    g_assert_cmphex(initrd, ==, f->entry.initrd_addr);
    g_assert_cmphex(rd32(bp + 0x21c), ==, INITRD_SIZE);     /* ramdisk_size */
    g_assert_cmpmem(f->ram.base + initrd, INITRD_SIZE, f->initrd, INITRD_SIZE);
    /* nothing above 4 GiB: the ext_ halves stay zero */
    g_assert_cmphex(rd32(bp + 0x0c0), ==, 0);
    g_assert_cmphex(rd32(bp + 0x0c4), ==, 0);
    g_assert_cmphex(rd32(bp + 0x0c8), ==, 0);
}

static void test_bzimage_e820(Fixture *f, gconstpointer data)
{
    static const uint64_t expect[][3] = {
        { 0, 0x9fc00, 1 },
        { 0x9fc00, 0x100000 - 0x9fc00, 2 },
        { 0x100000, RAM_SIZE - 0x100000, 1 },
        { 0xfeffc000, 0x4000, 2 },
    };
    const uint8_t *bp;

    load_ok(f);
    bp = f->ram.base + 0x7000;
    g_assert_cmpuint(bp[0x1e8], ==, G_N_ELEMENTS(expect));  /* e820_entries */
    for (size_t i = 0; i < G_N_ELEMENTS(expect); i++) {
        const uint8_t *e = bp + 0x2d0 + i * 20;             /* e820_table */

        g_assert_cmphex(rd64(e), ==, expect[i][0]);
        g_assert_cmphex(rd64(e + 8), ==, expect[i][1]);
        g_assert_cmphex(rd32(e + 16), ==, expect[i][2]);
    }
    g_assert_cmphex(rd64(bp + 0x2d0 + G_N_ELEMENTS(expect) * 20), ==, 0);
}

static void test_bzimage_gdt(Fixture *f, gconstpointer data)
{
    load_ok(f);
    g_assert_cmphex(rd64(f->ram.base + 0x500), ==, 0);
    g_assert_cmphex(rd64(f->ram.base + 0x508), ==, 0);
    g_assert_cmphex(rd64(f->ram.base + 0x510), ==, 0x00cf9b000000ffffull);   /* __BOOT_CS */
    g_assert_cmphex(rd64(f->ram.base + 0x518), ==, 0x00cf93000000ffffull);   /* __BOOT_DS */
}

/* Not relocatable: at 1 MiB; it still runs at pref_address. */
static void test_bzimage_fixed(Fixture *f, gconstpointer data)
{
    f->image[0x234] = 0;
    f->cfg.initrd = NULL;
    load_ok(f);
    g_assert_cmphex(f->entry.eip, ==, 0x100000);
    g_assert_cmphex(f->entry.kernel_end, ==, PREF_ADDR + INIT_SIZE);
    g_assert_cmphex(f->entry.initrd_addr, ==, 0);
    g_assert_cmphex(rd32(f->ram.base + 0x7000 + 0x214), ==, 0x100000);
    g_assert_cmphex(rd32(f->ram.base + 0x7000 + 0x218), ==, 0);
    g_assert_cmphex(rd32(f->ram.base + 0x7000 + 0x21c), ==, 0);
}

/* The initrd stays below initrd_addr_max. */
static void test_bzimage_initrd_max(Fixture *f, gconstpointer data)
{
    wr32(f->image + 0x22c, 0x2000fff);
    load_ok(f);
    g_assert_cmphex(rd32(f->ram.base + 0x7000 + 0x218), ==, 0x2001000 - 0x3000);
}

static void test_error_not_kernel(Fixture *f, gconstpointer data)
{
    memset(f->image, 0x90, f->image_size);
    load_fails(f, "-kernel vmlinuz-test: not a Linux kernel: neither a bzImage");
    f->cfg.kernel_size = 3;
    load_fails(f, "not a Linux kernel");
}

static void test_error_bad_magic(Fixture *f, gconstpointer data)
{
    wr16(f->image + 0x1fe, 0x1234);
    load_fails(f, "boot_flag is 0x1234, not 0xaa55");
}

static void test_error_old_protocol(Fixture *f, gconstpointer data)
{
    wr16(f->image + 0x206, 0x020a);
    load_fails(f, "boot protocol 2.10 is too old (needs 2.12");
}

static void test_error_32bit(Fixture *f, gconstpointer data)
{
    wr16(f->image + 0x236, 0x2);
    load_fails(f, "not a 64-bit kernel");
}

static void test_error_truncated(Fixture *f, gconstpointer data)
{
    wr32(f->image + 0x1f4, PM_SIZE);
    load_fails(f, "truncated");
}

static void test_error_too_large(Fixture *f, gconstpointer data)
{
    f->ram.low_size = PREF_ADDR + INIT_SIZE - 0x1000;
    load_fails(f, "-kernel vmlinuz-test: too large: needs RAM up to 0x1200000, there is RAM "
               "up to 0x11ff000");
}

/* An address near 2^64 in the header must not wrap around into RAM. */
static void test_error_wrapping_address(Fixture *f, gconstpointer data)
{
    wr64(f->image + 0x258, 0xfffffffffff00000ull);
    load_fails(f, "-kernel vmlinuz-test: too large: needs RAM up to 0xffffffffffffffff");
}

static void test_error_initrd_too_large(Fixture *f, gconstpointer data)
{
    f->cfg.initrd_size = RAM_SIZE - PREF_ADDR - INIT_SIZE + 1;
    f->cfg.initrd = g_malloc0(f->cfg.initrd_size);
    load_fails(f, "-initrd:");
    g_free((void *)f->cfg.initrd);
}

static void test_error_cmdline_too_long(Fixture *f, gconstpointer data)
{
    wr32(f->image + 0x238, 10);
    load_fails(f, "-append: the command line has 19 bytes; kernel vmlinuz-test takes at "
               "most 10");
}

/* ---- PVH ELF ---- */

#define PVH_LOAD    0x200000
#define PVH_FILESZ  0x100
#define PVH_MEMSZ   0x2000
#define PVH_ENTRY   0x200040
#define PVH_DATA    0x1000

/* An ELF note named "Xen" with a descsz-byte value. */
static void write_note(uint8_t *note, uint32_t type, uint32_t descsz, uint64_t value)
{
    wr32(note, 4);
    wr32(note + 4, descsz);
    wr32(note + 8, type);
    memcpy(note + 12, "Xen", 4);
    if (descsz == 8) {
        wr64(note + 16, value);
    } else {
        wr32(note + 16, value);
    }
}

/* An x86-64 ELF: one PT_LOAD, one PT_NOTE with another Xen note before
 * the PVH entry (or none when with_entry is false). */
static void make_pvh(Fixture *f, bool with_entry)
{
    Elf64_Ehdr *eh;
    Elf64_Phdr *ph;
    uint8_t *note;

    g_free(f->image);
    f->image_size = PVH_DATA + PVH_FILESZ + 0x100;
    f->image = g_malloc0(f->image_size);
    eh = (Elf64_Ehdr *)f->image;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = ET_EXEC;
    eh->e_machine = EM_X86_64;
    eh->e_phoff = sizeof(*eh);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = 2;
    ph = (Elf64_Phdr *)(f->image + eh->e_phoff);
    ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = PVH_DATA, .p_paddr = PVH_LOAD,
                          .p_vaddr = 0xffffffff80000000ull + PVH_LOAD,
                          .p_filesz = PVH_FILESZ, .p_memsz = PVH_MEMSZ };
    ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = PVH_DATA + PVH_FILESZ,
                          .p_filesz = 20 + 24 };
    memset(f->image + PVH_DATA, 0x77, PVH_FILESZ);
    note = f->image + PVH_DATA + PVH_FILESZ;
    /* XEN_ELFNOTE_ENTRY (1), 4 bytes; then PHYS32_ENTRY (18), 8 bytes */
    write_note(note, 1, 4, 0);
    write_note(note + 20, with_entry ? 18 : 2, 8, PVH_ENTRY);
    f->cfg.kernel = f->image;
    f->cfg.kernel_size = f->image_size;
}

static void test_pvh(Fixture *f, gconstpointer data)
{
    const uint8_t *si = f->ram.base + 0x7000;
    unsigned n = f->cfg.e820_entries;

    make_pvh(f, true);
    memset(f->ram.base + PVH_LOAD, 0xee, PVH_MEMSZ);
    load_ok(f);
    g_assert_cmpint(f->entry.kind, ==, X86_KERNEL_PVH);
    g_assert_cmphex(f->entry.eip, ==, PVH_ENTRY);
    g_assert_cmphex(f->entry.ebx, ==, 0x7000);
    g_assert_cmphex(f->entry.esi, ==, 0);
    g_assert_cmpuint(f->ram.base[PVH_LOAD], ==, 0x77);
    g_assert_cmpuint(f->ram.base[PVH_LOAD + PVH_FILESZ - 1], ==, 0x77);
    g_assert_cmpuint(f->ram.base[PVH_LOAD + PVH_FILESZ], ==, 0);       /* bss cleared */
    g_assert_cmpuint(f->ram.base[PVH_LOAD + PVH_MEMSZ - 1], ==, 0);
    /* struct hvm_start_info */
    g_assert_cmphex(rd32(si + 0), ==, 0x336ec578);          /* magic */
    g_assert_cmphex(rd32(si + 4), ==, 1);                   /* version */
    g_assert_cmphex(rd32(si + 8), ==, 0);                   /* flags */
    g_assert_cmphex(rd32(si + 12), ==, 1);                  /* nr_modules */
    g_assert_cmphex(rd64(si + 16), ==, 0x7040);             /* modlist_paddr */
    g_assert_cmphex(rd64(si + 24), ==, 0x20000);            /* cmdline_paddr */
    g_assert_cmphex(rd64(si + 32), ==, 0);                  /* rsdp_paddr */
    g_assert_cmphex(rd64(si + 40), ==, 0x7080);             /* memmap_paddr */
    g_assert_cmphex(rd32(si + 48), ==, n);                  /* memmap_entries */
    g_assert_cmpstr((const char *)f->ram.base + 0x20000, ==, "console=ttyS0 quiet");
    /* struct hvm_modlist_entry: the initrd */
    g_assert_cmphex(rd64(si + 0x40), ==, RAM_SIZE - INITRD_SIZE);
    g_assert_cmphex(rd64(si + 0x48), ==, INITRD_SIZE);
    g_assert_cmpmem(f->ram.base + RAM_SIZE - INITRD_SIZE, INITRD_SIZE, f->initrd, INITRD_SIZE);
    /* struct hvm_memmap_table_entry: addr, size, type, reserved */
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *e = si + 0x80 + i * 24;

        g_assert_cmphex(rd64(e), ==, f->e820[i].addr);
        g_assert_cmphex(rd64(e + 8), ==, f->e820[i].size);
        g_assert_cmphex(rd32(e + 16), ==, f->e820[i].type);
        g_assert_cmphex(rd32(e + 20), ==, 0);
    }
}

static void test_pvh_errors(Fixture *f, gconstpointer data)
{
    Elf64_Phdr *ph;

    make_pvh(f, false);
    load_fails(f, "-kernel vmlinuz-test: an ELF file without a PVH entry");
    make_pvh(f, true);
    f->image[EI_CLASS] = ELFCLASS32;
    load_fails(f, "not a 64-bit x86-64 one");
    make_pvh(f, true);
    ph = (Elf64_Phdr *)(f->image + sizeof(Elf64_Ehdr));
    ph[0].p_paddr = 0x1000;
    load_fails(f, "ELF segment 0 (at 0x1000) is not within the file or below 1 MiB");
    make_pvh(f, true);
    ph = (Elf64_Phdr *)(f->image + sizeof(Elf64_Ehdr));
    ph[0].p_memsz = RAM_SIZE;
    load_fails(f, "too large");
    make_pvh(f, true);
    ph = (Elf64_Phdr *)(f->image + sizeof(Elf64_Ehdr));
    ph[0].p_paddr = 0xffffffffffffff00ull;
    load_fails(f, "too large: needs RAM up to 0xffffffffffffffff");
    make_pvh(f, true);
    ((Elf64_Ehdr *)f->image)->e_phnum = 0x1000;
    load_fails(f, "program headers are not within the file");
    ((Elf64_Ehdr *)f->image)->e_phnum = 0;
    load_fails(f, "an ELF file without a PVH entry");
    f->cfg.kernel_size = 20;
    load_fails(f, "an ELF file but truncated in its header");
}

/* ---- bzImage through firmware: the fw_cfg items ---- */

#define FW_SETUP_ADDR   0x10000
#define FW_CMDLINE_ADDR 0x20000
/* the top MiB of RAM is the firmware's; the initrd goes below it */
#define FW_INITRD_ADDR  ((RAM_SIZE - 0x100000 - INITRD_SIZE) & ~0xfffu)

/* fw_cfg read through its ports, as firmware without DMA would. */
typedef struct FwCfgReader {
    MemoryRegion io_root, mem_root;
    AddressSpace io, mem;
    FwCfgState *fw;
} FwCfgReader;

static void reader_init(FwCfgReader *r)
{
    memory_region_init(&r->io_root, NULL, "test-io", 0x10000);
    address_space_init(&r->io, &r->io_root, "test-io");
    memory_region_init(&r->mem_root, NULL, "test-mem", UINT64_MAX);
    address_space_init(&r->mem, &r->mem_root, "test-mem");
    r->fw = fw_cfg_new(&r->mem);
    fw_cfg_map_io(r->fw, &r->io_root, FW_CFG_IO_BASE);
}

static void reader_destroy(FwCfgReader *r)
{
    fw_cfg_free(r->fw);
    address_space_destroy(&r->mem);
    address_space_destroy(&r->io);
    memory_region_destroy(&r->mem_root);
    memory_region_destroy(&r->io_root);
}

/* The first len bytes of item key (zeros past its end), g_free them. */
static uint8_t *read_item(FwCfgReader *r, uint16_t key, size_t len)
{
    uint8_t *buf = g_malloc(len);

    g_assert_cmpint(address_space_store(&r->io, FW_CFG_IO_BASE, 2, false, key), ==, MEMTX_OK);
    for (size_t i = 0; i < len; i++) {
        uint64_t v;

        g_assert_cmpint(address_space_load(&r->io, FW_CFG_IO_BASE + 1, 1, false, &v), ==,
                        MEMTX_OK);
        buf[i] = v;
    }
    return buf;
}

static uint32_t read_item32(FwCfgReader *r, uint16_t key)
{
    g_autofree uint8_t *v = read_item(r, key, 4);

    return rd32(v);
}

/* Checks one part: address, size, and data (and nothing past it). */
static void assert_part(FwCfgReader *r, uint16_t addr_key, uint16_t data_key, uint32_t addr,
                        const void *data, size_t len)
{
    g_autofree uint8_t *got = read_item(r, data_key, len + 16);

    g_assert_cmphex(read_item32(r, addr_key), ==, addr);
    g_assert_cmphex(read_item32(r, addr_key + 1), ==, len);
    g_assert_cmpmem(got, len, data, len);
    g_assert_cmpmem(got + len, 16, (uint8_t[16]){ 0 }, 16);
}

static void add_fw_cfg_ok(Fixture *f, FwCfgReader *r, uint64_t low_size)
{
    GError *err = NULL;
    bool ok = x86_boot_add_fw_cfg(r->fw, low_size, &f->cfg, &err);

    g_assert_no_error(err);
    g_assert_true(ok);
}

static void add_fw_cfg_fails(Fixture *f, const char *message)
{
    FwCfgReader r;
    GError *err = NULL;

    reader_init(&r);
    g_assert_false(x86_boot_add_fw_cfg(r.fw, RAM_SIZE, &f->cfg, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    if (!strstr(err->message, message)) {
        g_error("'%s' does not contain '%s'", err->message, message);
    }
    g_error_free(err);
    reader_destroy(&r);
}

static void test_firmware_items(Fixture *f, gconstpointer data)
{
    g_autofree uint8_t *setup = g_memdup2(f->image, PM_OFFSET);
    FwCfgReader r;

    reader_init(&r);
    add_fw_cfg_ok(f, &r, RAM_SIZE);
    /* the setup sectors as the image has them, but for the fields a
     * 16-bit boot loader fills in (boot.rst, "Details of header fields") */
    wr16(setup + 0x1fa, 0xffff);                    /* vid_mode: normal */
    setup[0x210] = 0xff;                            /* type_of_loader: undefined */
    setup[0x211] = 0x81;                            /* loadflags: + CAN_USE_HEAP */
    wr32(setup + 0x218, FW_INITRD_ADDR);            /* ramdisk_image */
    wr32(setup + 0x21c, INITRD_SIZE);               /* ramdisk_size */
    wr16(setup + 0x224, 0xfe00 - 0x200);            /* heap_end_ptr */
    wr32(setup + 0x228, FW_CMDLINE_ADDR);           /* cmd_line_ptr */
    g_assert_cmphex(rd32(setup + 0x214), ==, 0x100000);     /* code32_start: as it was */
    assert_part(&r, 0x16, 0x18, FW_SETUP_ADDR, setup, PM_OFFSET);
    /* the protected-mode kernel at 1 MiB, relocatable or not */
    assert_part(&r, 0x07, 0x11, 0x100000, f->image + PM_OFFSET, PM_SIZE);
    g_assert_cmphex(FW_INITRD_ADDR, ==, 0x3efd000);
    assert_part(&r, 0x0a, 0x12, FW_INITRD_ADDR, f->initrd, INITRD_SIZE);
    assert_part(&r, 0x13, 0x15, FW_CMDLINE_ADDR, "console=ttyS0 quiet", 20);
    reader_destroy(&r);
}

/* No initrd, no command line; the initrd below initrd_addr_max. */
static void test_firmware_minimal(Fixture *f, gconstpointer data)
{
    g_autofree uint8_t *setup = NULL;
    FwCfgReader r;

    reader_init(&r);
    f->cfg.initrd = NULL;
    f->cfg.cmdline = NULL;
    add_fw_cfg_ok(f, &r, RAM_SIZE);
    setup = read_item(&r, 0x18, PM_OFFSET);
    g_assert_cmphex(rd32(setup + 0x218), ==, 0);
    g_assert_cmphex(rd32(setup + 0x21c), ==, 0);
    assert_part(&r, 0x0a, 0x12, 0, NULL, 0);
    assert_part(&r, 0x13, 0x15, FW_CMDLINE_ADDR, "", 1);
    reader_destroy(&r);

    reader_init(&r);
    f->cfg.initrd = f->initrd;
    wr32(f->image + 0x22c, 0x2000fff);
    add_fw_cfg_ok(f, &r, RAM_SIZE);
    g_assert_cmphex(read_item32(&r, 0x0a), ==, 0x2001000 - INITRD_SIZE);
    reader_destroy(&r);
}

static void test_firmware_errors(Fixture *f, gconstpointer data)
{
    FwCfgReader r;
    GError *err = NULL;

    /* the kernel's memory and the firmware's last MiB */
    reader_init(&r);
    g_assert_false(x86_boot_add_fw_cfg(r.fw, PREF_ADDR + INIT_SIZE + 0x100000 - 0x1000,
                                       &f->cfg, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_assert_cmpstr(err->message, ==, "-kernel vmlinuz-test: too large: needs RAM up to "
                    "0x1200000, there is RAM up to 0x11ff000 (-m)");
    g_clear_error(&err);
    reader_destroy(&r);
    wr16(f->image + 0x206, 0x020a);
    add_fw_cfg_fails(f, "boot protocol 2.10 is too old");
    make_bzimage(f, 64);
    add_fw_cfg_fails(f, "-kernel vmlinuz-test: 33280 bytes of real-mode setup code; the boot "
                     "protocol allows at most 32768");
    memset(f->image, 0x90, f->image_size);
    add_fw_cfg_fails(f, "-kernel vmlinuz-test: not a Linux bzImage (no \"HdrS\" header at "
                     "0x202), which is what the firmware boots");
    make_pvh(f, true);
    add_fw_cfg_fails(f, "-kernel vmlinuz-test: an ELF file, which only boots directly (PVH), "
                     "not through the firmware: leave out -bios");
}

#ifdef PROTEUS_LINUXBOOT_ROM
/* The option ROM: a header SeaBIOS accepts and lists as a boot device. */
static void test_option_rom(void)
{
    const uint8_t *rom = linuxboot_rom;
    const uint8_t *pnp;
    uint16_t bev;

    g_assert_cmpstr(LINUXBOOT_ROM_FILE, ==, "genroms/linuxboot.bin");
    g_assert_cmphex(rom[0], ==, 0x55);
    g_assert_cmphex(rom[1], ==, 0xaa);
    g_assert_cmpuint(linuxboot_rom_size, ==, rom[2] * 512);
    g_assert_cmpuint(rom[2], ==, 1);
    g_assert_cmpuint(sum(rom, linuxboot_rom_size), ==, 0);
    g_assert_true(rom[3] == 0xe9 || rom[3] == 0xeb);       /* init: a near jump */
    /* the PnP expansion header (PnP BIOS spec 1.0A, 3.2) */
    g_assert_cmphex(rd16(rom + 0x1a), <, linuxboot_rom_size - 32);
    pnp = rom + rd16(rom + 0x1a);
    g_assert_cmpmem(pnp, 4, "$PnP", 4);
    g_assert_cmpuint(pnp[4], ==, 1);                        /* revision */
    g_assert_cmpuint(pnp[5], ==, 2);                        /* 32 bytes */
    g_assert_cmphex(rd16(pnp + 6), ==, 0);                  /* no next header */
    g_assert_cmpuint(sum(pnp, 32), ==, 0);
    g_assert_cmphex(pnp[0x15] & 0x04, ==, 0x04);            /* an IPL device */
    g_assert_cmphex(rd16(pnp + 0x16), ==, 0);               /* no BCV */
    bev = rd16(pnp + 0x1a);
    g_assert_cmphex(bev, >, 0x20);
    g_assert_cmphex(bev, <, linuxboot_rom_size);
    g_assert_cmpstr((const char *)rom + rd16(pnp + 0x0e), ==, "Proteus");
    g_assert_cmpstr((const char *)rom + rd16(pnp + 0x10), ==, "Linux kernel (fw_cfg)");
}
#endif

/* ---- MP table, E820 ---- */

static void test_mptable(Fixture *f, gconstpointer data)
{
    const uint8_t *fp = f->ram.base + 0xf0000, *t, *e;
    uint16_t len;

    x86_boot_write_mptable(&f->ram, 2, 0xfec00000, 1u << 5 | 1u << 12);
    /* floating pointer structure */
    g_assert_cmpmem(fp, 4, "_MP_", 4);
    g_assert_cmphex(rd32(fp + 4), ==, 0xf0010);
    g_assert_cmpuint(fp[8], ==, 1);
    g_assert_cmpuint(fp[9], ==, 4);
    g_assert_cmpuint(sum(fp, 16), ==, 0);
    g_assert_cmpuint(fp[11], ==, 0);                        /* feature 1: table present */
    /* configuration table header */
    t = f->ram.base + 0xf0010;
    g_assert_cmpmem(t, 4, "PCMP", 4);
    len = rd16(t + 4);
    g_assert_cmpuint(len, ==, 44 + 2 * 20 + 8 + 8 + 16 * 8 + 2 * 8);
    g_assert_cmpuint(t[6], ==, 4);
    g_assert_cmpuint(sum(t, len), ==, 0);
    g_assert_cmpuint(rd16(t + 34), ==, 2 + 1 + 1 + 16 + 2);
    g_assert_cmphex(rd32(t + 36), ==, 0xfee00000);
    /* processors: APIC ids 0 and 1, enabled, CPU 0 the BSP */
    e = t + 44;
    g_assert_cmpuint(e[0], ==, 0);
    g_assert_cmpuint(e[1], ==, 0);
    g_assert_cmphex(e[3], ==, 3);
    g_assert_cmpuint(e[20], ==, 0);
    g_assert_cmpuint(e[21], ==, 1);
    g_assert_cmphex(e[23], ==, 1);
    /* the ISA bus, the IOAPIC (id 2), then IRQ 4 (the UART) on input 4 */
    e = t + 44 + 40;
    g_assert_cmpmem(e, 8, "\x01\x00ISA   ", 8);
    g_assert_cmpmem(e + 8, 4, "\x02\x02\x11\x01", 4);
    g_assert_cmphex(rd32(e + 12), ==, 0xfec00000);
    g_assert_cmpmem(e + 16 + 4 * 8, 8, "\x03\x00\x00\x00\x00\x04\x02\x04", 8);
    /* IRQs 5 and 12: level-triggered, active high (flags 0x000d) */
    g_assert_cmpmem(e + 16 + 5 * 8, 8, "\x03\x00\x0d\x00\x00\x05\x02\x05", 8);
    g_assert_cmpmem(e + 16 + 12 * 8, 8, "\x03\x00\x0d\x00\x00\x0c\x02\x0c", 8);
    g_assert_cmpmem(e + 16 + 13 * 8, 8, "\x03\x00\x00\x00\x00\x0d\x02\x0d", 8);
    /* LINT0 ExtINT and LINT1 NMI on every local APIC */
    g_assert_cmpmem(t + len - 16, 8, "\x04\x03\x00\x00\x00\x00\xff\x00", 8);
    g_assert_cmpmem(t + len - 8, 8, "\x04\x01\x00\x00\x00\x00\xff\x01", 8);
}

static void test_e820_map(void)
{
    E820Entry map[E820_X86_MAX];
    unsigned n = e820_x86_map(map, 0xc0000000, 0x40000000, 0xfeffc000, 0x4000, false);

    g_assert_cmpuint(n, ==, 3);
    g_assert_cmphex(map[0].addr, ==, 0);
    g_assert_cmphex(map[0].size, ==, 0xc0000000);
    g_assert_cmpuint(map[0].type, ==, E820_RAM);
    g_assert_cmphex(map[1].addr, ==, 0xfeffc000);
    g_assert_cmpuint(map[1].type, ==, E820_RESERVED);
    g_assert_cmphex(map[2].addr, ==, 0x100000000ull);
    g_assert_cmphex(map[2].size, ==, 0x40000000);
    n = e820_x86_map(map, 0xc0000000, 0x40000000, 0xfeffc000, 0x4000, true);
    g_assert_cmpuint(n, ==, 5);
    g_assert_cmphex(map[0].size, ==, 0x9fc00);
    g_assert_cmphex(map[1].addr, ==, 0x9fc00);
    g_assert_cmphex(map[1].size, ==, 0x60400);
    g_assert_cmpuint(map[1].type, ==, E820_RESERVED);
    g_assert_cmphex(map[2].addr, ==, 0x100000);
    g_assert_cmphex(map[2].size, ==, 0xc0000000 - 0x100000);
}

#define ADD(path, fn) \
    g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD("/x86-boot/bzimage/entry", test_bzimage_entry);
    ADD("/x86-boot/bzimage/zero-page", test_bzimage_zero_page);
    ADD("/x86-boot/bzimage/e820", test_bzimage_e820);
    ADD("/x86-boot/bzimage/gdt", test_bzimage_gdt);
    ADD("/x86-boot/bzimage/fixed", test_bzimage_fixed);
    ADD("/x86-boot/bzimage/initrd-addr-max", test_bzimage_initrd_max);
    ADD("/x86-boot/error/not-a-kernel", test_error_not_kernel);
    ADD("/x86-boot/error/bad-magic", test_error_bad_magic);
    ADD("/x86-boot/error/old-protocol", test_error_old_protocol);
    ADD("/x86-boot/error/32-bit", test_error_32bit);
    ADD("/x86-boot/error/truncated", test_error_truncated);
    ADD("/x86-boot/error/too-large", test_error_too_large);
    ADD("/x86-boot/error/wrapping-address", test_error_wrapping_address);
    ADD("/x86-boot/error/initrd-too-large", test_error_initrd_too_large);
    ADD("/x86-boot/error/cmdline-too-long", test_error_cmdline_too_long);
    ADD("/x86-boot/firmware/items", test_firmware_items);
    ADD("/x86-boot/firmware/minimal", test_firmware_minimal);
    ADD("/x86-boot/firmware/errors", test_firmware_errors);
#ifdef PROTEUS_LINUXBOOT_ROM
    g_test_add_func("/x86-boot/option-rom", test_option_rom);
#endif
    ADD("/x86-boot/pvh/load", test_pvh);
    ADD("/x86-boot/pvh/errors", test_pvh_errors);
    ADD("/x86-boot/mptable", test_mptable);
    g_test_add_func("/x86-boot/e820-map", test_e820_map);
    return g_test_run();
}
