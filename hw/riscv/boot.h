/*
 * Booting a RISC-V board (hw/riscv/boot.c): the images a board puts into
 * guest memory (firmware, kernel, initrd, device tree, the reset vector),
 * kept so that every machine reset writes them again, and the loaders that
 * read them from files.
 */
#ifndef HW_RISCV_BOOT_H
#define HW_RISCV_BOOT_H

#include "proteus/machine.h"

/* OpenSBI's struct fw_dynamic_info (include/sbi/fw_dynamic.h), version 2. */
#define FW_DYNAMIC_INFO_MAGIC    0x4942534f     /* "OSBI" */
#define FW_DYNAMIC_INFO_VERSION  2
#define FW_DYNAMIC_NEXT_MODE_S   1

typedef struct RiscvBootImages RiscvBootImages;

/* A board device (/machine/boot-images) that writes its images at reset. */
RiscvBootImages *riscv_boot_images_new(MachineState *ms, GError **errp);
/* Adds len bytes at addr (copied); they go into RAM or ROM at every reset. */
void riscv_boot_images_add(RiscvBootImages *b, hwaddr addr, const void *data, size_t len);

/* Where an image ended up: [start, end) and where to jump. */
typedef struct RiscvLoadedImage {
    hwaddr start;
    hwaddr end;
    hwaddr entry;
} RiscvLoadedImage;

/*
 * Loads an ELF file at its segments' physical addresses, or any other file
 * raw at raw_addr. what ("-bios", "-kernel") starts the error message; the
 * image must lie inside [lo, hi).
 */
bool riscv_load_image(RiscvBootImages *b, const char *what, const char *path,
                      hwaddr raw_addr, hwaddr lo, hwaddr hi, RiscvLoadedImage *img,
                      GError **errp);
/* Loads path raw, ending (page-aligned) just below top and above floor. */
bool riscv_load_initrd(RiscvBootImages *b, const char *path, hwaddr floor, hwaddr top,
                       RiscvLoadedImage *img, GError **errp);

/*
 * The reset vector at rom_base: every hart enters with a0 = mhartid,
 * a1 = fdt_addr, a2 = the address of a fw_dynamic_info (next stage
 * next_addr in S-mode) placed after the code, and jumps to start_addr.
 */
void riscv_setup_reset_vector(RiscvBootImages *b, hwaddr rom_base, hwaddr start_addr,
                              hwaddr fdt_addr, hwaddr next_addr);

#endif
