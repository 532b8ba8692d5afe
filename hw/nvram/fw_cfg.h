/*
 * fw_cfg: the firmware configuration interface of QEMU-compatible boards.
 * Firmware (SeaBIOS, OVMF, U-Boot) reads numbered items and named files
 * from it: the machine's RAM layout, CPU count, boot order, tables.
 *
 * On x86 it sits at I/O ports 0x510 (selector, 16-bit write: picks an item
 * and rewinds it), 0x511 (data, byte reads walk through the item) and
 * 0x514-0x51b (DMA address, big-endian 64-bit; writing the low half, or
 * the whole register at once, runs the DMA descriptor found there; reads
 * give the signature "QEMU CFG").
 *
 * A DMA descriptor in guest memory is { be32 control, be32 length,
 * be64 address }. control bit 3 selects the item in bits 31:16 first, then
 * bit 1 reads length bytes of it to address (zeros past its end), bit 2
 * skips them, bit 4 (write) is refused. The device writes control back as
 * 0 when done, or with bit 0 set on an error.
 *
 * The file directory (item 0x19) is { be32 count } then per file
 * { be32 size, be16 select, be16 reserved, char name[56] }; files get the
 * selectors from 0x20 in the order they are added.
 *
 * The device: "fw_cfg-io", a sys-bus-device made by boards (not with
 * -device). MMIO region 0: selector and data (2 bytes), region 1: the DMA
 * register (8 bytes), both for the board to map into its I/O space
 * (fw_cfg_map_io); no IRQ lines. Reset rewinds the selection and clears
 * the DMA address; the items stay. DMA reaches guest memory through
 * address_space_memory(), or the address space given to fw_cfg_new().
 */
#ifndef HW_NVRAM_FW_CFG_H
#define HW_NVRAM_FW_CFG_H

#include "proteus/device.h"
#include "proteus/memory.h"

#define FW_CFG_SIGNATURE    0x00
#define FW_CFG_ID           0x01
#define FW_CFG_RAM_SIZE     0x03
#define FW_CFG_NB_CPUS      0x05
#define FW_CFG_MAX_CPUS     0x0f
/* A kernel for firmware to boot (-kernel with -bios): load address, size
 * and contents of each part, as boot loaders in the guest read them. */
#define FW_CFG_KERNEL_ADDR  0x07
#define FW_CFG_KERNEL_SIZE  0x08
#define FW_CFG_INITRD_ADDR  0x0a
#define FW_CFG_INITRD_SIZE  0x0b
#define FW_CFG_KERNEL_DATA  0x11
#define FW_CFG_INITRD_DATA  0x12
#define FW_CFG_CMDLINE_ADDR 0x13
#define FW_CFG_CMDLINE_SIZE 0x14
#define FW_CFG_CMDLINE_DATA 0x15
#define FW_CFG_SETUP_ADDR   0x16
#define FW_CFG_SETUP_SIZE   0x17
#define FW_CFG_SETUP_DATA   0x18
#define FW_CFG_FILE_DIR     0x19
#define FW_CFG_FILE_FIRST   0x20
#define FW_CFG_MAX_FILES    0x100

#define FW_CFG_ID_TRADITIONAL 0x01
#define FW_CFG_ID_DMA         0x02

#define FW_CFG_DMA_CTL_ERROR  0x01
#define FW_CFG_DMA_CTL_READ   0x02
#define FW_CFG_DMA_CTL_SKIP   0x04
#define FW_CFG_DMA_CTL_SELECT 0x08
#define FW_CFG_DMA_CTL_WRITE  0x10

#define FW_CFG_DMA_SIGNATURE  0x51454d5520434647ull     /* "QEMU CFG" */

#define FW_CFG_MAX_NAME     56          /* with the terminating zero */

/* Where x86 boards put it. */
#define FW_CFG_IO_BASE      0x510
#define FW_CFG_IO_DMA       (FW_CFG_IO_BASE + 4)

#define TYPE_FW_CFG_IO "fw_cfg-io"
OBJECT_DECLARE_SIMPLE_TYPE(FwCfgState, FW_CFG_IO)

/* Every device, once created, holds the signature, the ID (traditional
 * and DMA) and an empty file directory; items may be added before and
 * after it is realized. */

/* A realized device, outside the object tree, whose DMA reaches guest
 * memory through dma_as. */
FwCfgState *fw_cfg_new(AddressSpace *dma_as);
/* Drops fw_cfg_new()'s reference: unmaps and frees a device that nothing
 * else holds. */
void fw_cfg_free(FwCfgState *s);

/* Item key holds a copy of data (replacing what it held). */
void fw_cfg_add_bytes(FwCfgState *s, uint16_t key, const void *data, size_t len);
void fw_cfg_add_i16(FwCfgState *s, uint16_t key, uint16_t value);     /* little-endian */
void fw_cfg_add_i32(FwCfgState *s, uint16_t key, uint32_t value);
void fw_cfg_add_i64(FwCfgState *s, uint16_t key, uint64_t value);
/* A named file holding a copy of data; errors for a name too long, taken,
 * or a full directory. */
bool fw_cfg_add_file(FwCfgState *s, const char *name, const void *data, size_t len,
                     GError **errp);

/* Maps the selector/data ports at base and the DMA register at base + 4
 * (of a realized device). */
void fw_cfg_map_io(FwCfgState *s, MemoryRegion *io, hwaddr base);

/*
 * -fw_cfg [name=]NAME,file=PATH or ...,string=TEXT: checked and kept when
 * the command line is parsed; fw_cfg_add_user_files() adds them (reading
 * the files) to a board's device.
 */
bool fw_cfg_parse_option(const char *arg, GError **errp);
bool fw_cfg_add_user_files(FwCfgState *s, GError **errp);

#endif
