/*
 * The BIOS memory map (E820) as QEMU-compatible boards hand it to firmware
 * in the fw_cfg file "etc/e820": packed little-endian entries of
 * { u64 address, u64 length, u32 type }, 20 bytes each.
 */
#ifndef HW_I386_E820_H
#define HW_I386_E820_H

#include <glib.h>
#include <stdint.h>

#define E820_RAM        1
#define E820_RESERVED   2

#define E820_ENTRY_SIZE 20

typedef struct E820Entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} E820Entry;

/* Appends the table's encoding to out. */
void e820_encode(const E820Entry *entries, unsigned n, GByteArray *out);

#endif
