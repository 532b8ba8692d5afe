/*
 * Booting a RISC-V board: the reset vector in ROM, OpenSBI's fw_dynamic
 * hand-over block, and loading firmware, kernels (ELF or raw) and initrds
 * from files. Everything loaded is kept by a small device under the
 * machine, which writes it into guest memory again at every reset, so a
 * guest-requested reboot starts from the same images as power-on.
 */
#include <elf.h>
#include <inttypes.h>
#include <string.h>

#include "hw/riscv/boot.h"
#include "linux-user/elfload.h"

#define TYPE_RISCV_BOOT_IMAGES "riscv-boot-images"
OBJECT_DECLARE_SIMPLE_TYPE(RiscvBootImages, RISCV_BOOT_IMAGES)

#define BOOT_PAGE_SIZE 0x1000

typedef struct BootImage {
    hwaddr addr;
    GBytes *bytes;
} BootImage;

struct RiscvBootImages {
    DeviceState parent_obj;
    GArray *images;             /* BootImage */
};

static void boot_image_clear(gpointer p)
{
    g_bytes_unref(((BootImage *)p)->bytes);
}

static void riscv_boot_images_init(Object *obj)
{
    RiscvBootImages *b = RISCV_BOOT_IMAGES(obj);

    b->images = g_array_new(FALSE, FALSE, sizeof(BootImage));
    g_array_set_clear_func(b->images, boot_image_clear);
}

static void riscv_boot_images_finalize(Object *obj)
{
    g_array_unref(RISCV_BOOT_IMAGES(obj)->images);
}

static void riscv_boot_images_reset(DeviceState *dev)
{
    RiscvBootImages *b = RISCV_BOOT_IMAGES(dev);

    for (guint i = 0; i < b->images->len; i++) {
        BootImage *img = &g_array_index(b->images, BootImage, i);
        gsize len;
        const void *data = g_bytes_get_data(img->bytes, &len);

        /* The loaders checked that every image lies in RAM or ROM. */
        address_space_write_rom(address_space_memory(), img->addr, data, len);
    }
}

static void riscv_boot_images_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->desc = "images a RISC-V board writes into memory at reset";
    dc->user_creatable = false;
    dc->reset = riscv_boot_images_reset;
}

static const TypeInfo riscv_boot_images_type = {
    .name = TYPE_RISCV_BOOT_IMAGES,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(RiscvBootImages),
    .instance_init = riscv_boot_images_init,
    .instance_finalize = riscv_boot_images_finalize,
    .class_init = riscv_boot_images_class_init,
};

static void riscv_boot_register_types(void)
{
    type_register(&riscv_boot_images_type);
}

type_init(riscv_boot_register_types)

RiscvBootImages *riscv_boot_images_new(MachineState *ms, GError **errp)
{
    Object *obj = object_new(TYPE_RISCV_BOOT_IMAGES);
    bool ok = object_property_add_child(OBJECT(ms), "boot-images", obj, errp);

    object_unref(obj);
    if (!ok || !device_realize(DEVICE(obj), errp)) {
        return NULL;
    }
    return RISCV_BOOT_IMAGES(obj);
}

void riscv_boot_images_add(RiscvBootImages *b, hwaddr addr, const void *data, size_t len)
{
    BootImage img = { .addr = addr, .bytes = g_bytes_new(data, len) };

    g_array_append_val(b->images, img);
}

/* [addr, addr + len) inside [lo, hi), without wrapping. */
static bool range_inside(hwaddr addr, uint64_t len, hwaddr lo, hwaddr hi)
{
    return addr >= lo && addr <= hi && len <= hi - addr;
}

static bool check_placement(const char *what, const char *path, hwaddr addr,
                            uint64_t len, hwaddr lo, hwaddr hi, GError **errp)
{
    if (!range_inside(addr, len, lo, hi)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "%s %s: 0x%" PRIx64 " bytes at 0x%" PRIx64 " do not fit in "
                        "RAM (0x%" PRIx64 "-0x%" PRIx64 ")", what, path, len, addr, lo,
                        hi - 1);
        return false;
    }
    return true;
}

/* A PT_LOAD segment: its file bytes, then zeros up to p_memsz. */
static void add_segment(RiscvBootImages *b, const uint8_t *file, const ElfPhdr *ph)
{
    riscv_boot_images_add(b, ph->paddr, file + ph->offset, ph->filesz);
    if (ph->memsz > ph->filesz) {
        g_autofree void *zeros = g_malloc0(ph->memsz - ph->filesz);

        riscv_boot_images_add(b, ph->paddr + ph->filesz, zeros, ph->memsz - ph->filesz);
    }
}

/*
 * The entry point as a physical address: kernels link at virtual
 * addresses, so an entry inside a segment moves with its p_paddr.
 */
static hwaddr elf_physical_entry(const ElfInfo *info)
{
    for (unsigned i = 0; i < info->phnum; i++) {
        const ElfPhdr *ph = &info->phdrs[i];

        if (ph->type == PT_LOAD && info->entry >= ph->vaddr &&
            info->entry - ph->vaddr < ph->memsz) {
            return info->entry - ph->vaddr + ph->paddr;
        }
    }
    return info->entry;
}

static bool load_elf(RiscvBootImages *b, const char *what, const char *path,
                     const uint8_t *data, size_t size, hwaddr lo, hwaddr hi,
                     RiscvLoadedImage *img, GError **errp)
{
    ElfInfo info = { 0 };
    bool ok = false;

    if (!elf_parse(data, size, path, ELF_MACHINE_RISCV, &info, errp)) {
        g_prefix_error(errp, "%s: ", what);
        return false;
    }
    img->start = HWADDR_MAX;
    img->end = 0;
    for (unsigned i = 0; i < info.phnum; i++) {
        const ElfPhdr *ph = &info.phdrs[i];

        if (ph->type != PT_LOAD || ph->memsz == 0) {
            continue;
        }
        if (!check_placement(what, path, ph->paddr, ph->memsz, lo, hi, errp)) {
            goto out;
        }
        img->start = MIN(img->start, ph->paddr);
        img->end = MAX(img->end, ph->paddr + ph->memsz);
    }
    if (img->end == 0) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "%s %s: no loadable segment",
                        what, path);
        goto out;
    }
    for (unsigned i = 0; i < info.phnum; i++) {
        if (info.phdrs[i].type == PT_LOAD && info.phdrs[i].memsz) {
            add_segment(b, data, &info.phdrs[i]);
        }
    }
    img->entry = elf_physical_entry(&info);
    ok = true;
out:
    elf_info_clear(&info);
    return ok;
}

static bool read_file(const char *what, const char *path, char **data, gsize *size,
                      GError **errp)
{
    GError *err = NULL;

    if (!g_file_get_contents(path, data, size, &err)) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "%s %s: %s", what, path,
                        err->message);
        g_error_free(err);
        return false;
    }
    if (*size == 0) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "%s %s: the file is empty", what,
                        path);
        g_clear_pointer(data, g_free);
        return false;
    }
    return true;
}

bool riscv_load_image(RiscvBootImages *b, const char *what, const char *path,
                      hwaddr raw_addr, hwaddr lo, hwaddr hi, RiscvLoadedImage *img,
                      GError **errp)
{
    g_autofree char *data = NULL;
    gsize size;

    if (!read_file(what, path, &data, &size, errp)) {
        return false;
    }
    if (size >= 4 && memcmp(data, "\177ELF", 4) == 0) {
        return load_elf(b, what, path, (const uint8_t *)data, size, lo, hi, img, errp);
    }
    if (!check_placement(what, path, raw_addr, size, lo, hi, errp)) {
        return false;
    }
    riscv_boot_images_add(b, raw_addr, data, size);
    *img = (RiscvLoadedImage){ .start = raw_addr, .end = raw_addr + size,
                               .entry = raw_addr };
    return true;
}

bool riscv_load_initrd(RiscvBootImages *b, const char *path, hwaddr floor, hwaddr top,
                       RiscvLoadedImage *img, GError **errp)
{
    g_autofree char *data = NULL;
    gsize size;
    hwaddr start;

    if (!read_file("-initrd", path, &data, &size, errp)) {
        return false;
    }
    start = (top - size) & ~(hwaddr)(BOOT_PAGE_SIZE - 1);
    if (size > top - floor || start < floor) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-initrd %s: 0x%zx bytes do not fit in RAM between the kernel "
                        "(ending at 0x%" PRIx64 ") and 0x%" PRIx64, path, (size_t)size,
                        floor, top);
        return false;
    }
    riscv_boot_images_add(b, start, data, size);
    *img = (RiscvLoadedImage){ .start = start, .end = start + size, .entry = start };
    return true;
}

/* ---- the reset vector ---- */

enum {
    RV_OP_LOAD = 0x03,
    RV_OP_OP_IMM = 0x13,
    RV_OP_AUIPC = 0x17,
    RV_OP_JALR = 0x67,
    RV_OP_SYSTEM = 0x73,
};

enum { RV_T0 = 5, RV_A0 = 10, RV_A1 = 11, RV_A2 = 12 };

#define RV_CSR_MHARTID 0xf14

/* An I-type instruction (RISC-V unprivileged spec, "Base Instruction Formats"). */
static uint32_t rv_itype(uint32_t opcode, unsigned rd, unsigned funct3, unsigned rs1,
                         int32_t imm)
{
    return ((uint32_t)imm << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode;
}

/* Byte offsets in the reset vector's block. */
enum {
    RV_CODE_WORDS = 6,
    RV_START_ADDR = RV_CODE_WORDS * 4,      /* u64 */
    RV_FDT_ADDR = RV_START_ADDR + 8,        /* u64 */
    RV_FW_DYNAMIC = RV_FDT_ADDR + 8,        /* struct fw_dynamic_info */
    RV_FW_DYNAMIC_WORDS = 6,
    RV_BLOCK_SIZE = RV_FW_DYNAMIC + RV_FW_DYNAMIC_WORDS * 8,
};

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = v >> (8 * i);
    }
}

static void put_le64(uint8_t *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, v >> 32);
}

void riscv_setup_reset_vector(RiscvBootImages *b, hwaddr rom_base, hwaddr start_addr,
                              hwaddr fdt_addr, hwaddr next_addr)
{
    /* Position-independent: the data words are found from the pc. */
    const uint32_t code[RV_CODE_WORDS] = {
        RV_OP_AUIPC | (RV_T0 << 7),                                 /* auipc t0, 0 */
        rv_itype(RV_OP_OP_IMM, RV_A2, 0, RV_T0, RV_FW_DYNAMIC),     /* addi a2, t0, info */
        rv_itype(RV_OP_SYSTEM, RV_A0, 2, 0, RV_CSR_MHARTID),        /* csrr a0, mhartid */
        rv_itype(RV_OP_LOAD, RV_A1, 3, RV_T0, RV_FDT_ADDR),         /* ld a1, fdt(t0) */
        rv_itype(RV_OP_LOAD, RV_T0, 3, RV_T0, RV_START_ADDR),       /* ld t0, start(t0) */
        rv_itype(RV_OP_JALR, 0, 0, RV_T0, 0),                       /* jr t0 */
    };
    const uint64_t fw_dynamic[RV_FW_DYNAMIC_WORDS] = {
        FW_DYNAMIC_INFO_MAGIC,
        FW_DYNAMIC_INFO_VERSION,
        next_addr,
        FW_DYNAMIC_NEXT_MODE_S,
        0,                      /* options: OpenSBI's defaults */
        UINT64_MAX,             /* boot_hart: any (OpenSBI's relocation lottery) */
    };
    uint8_t block[RV_BLOCK_SIZE];

    for (int i = 0; i < RV_CODE_WORDS; i++) {
        put_le32(block + 4 * i, code[i]);
    }
    put_le64(block + RV_START_ADDR, start_addr);
    put_le64(block + RV_FDT_ADDR, fdt_addr);
    for (int i = 0; i < RV_FW_DYNAMIC_WORDS; i++) {
        put_le64(block + RV_FW_DYNAMIC + 8 * i, fw_dynamic[i]);
    }
    riscv_boot_images_add(b, rom_base, block, sizeof(block));
}
