/*
 * The x86 option ROMs of hw/i386/optionrom, assembled at build time and
 * linked into proteus as arrays (scripts/optionrom.py), each a whole
 * signed image: 0x55 0xaa, its length in 512-byte blocks at offset 2, a
 * byte sum of zero.
 *
 * linuxboot: boots the kernel a board put into fw_cfg
 * (x86_boot_add_fw_cfg) from the firmware; boards add it as the fw_cfg
 * file LINUXBOOT_ROM_FILE, which SeaBIOS runs and lists as a boot device.
 */
#ifndef HW_I386_OPTIONROM_H
#define HW_I386_OPTIONROM_H

#include <stddef.h>
#include <stdint.h>

#define LINUXBOOT_ROM_FILE "genroms/linuxboot.bin"

extern const uint8_t linuxboot_rom[];
extern const size_t linuxboot_rom_size;

#endif
