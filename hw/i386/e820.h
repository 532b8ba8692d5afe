/*
 * The BIOS memory map (E820) as QEMU-compatible boards hand it to firmware
 * in the fw_cfg file "etc/e820": packed little-endian entries of
 * { u64 address, u64 length, u32 type }, 20 bytes each.
 */
#ifndef HW_I386_E820_H
#define HW_I386_E820_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define E820_RAM        1
#define E820_RESERVED   2

#define E820_ENTRY_SIZE 20

#define E820_BASE_MEMORY_END    0x9fc00     /* 639 KiB */
#define E820_HIGH_MEMORY        0x100000

typedef struct E820Entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} E820Entry;

/* The most entries e820_x86_map writes. */
#define E820_X86_MAX    6

/*
 * The map of an x86 board with RAM [0, below_4g) and [4 GiB, 4 GiB +
 * above_4g), plus the reserved range at [reserved_addr, + reserved_size)
 * (KVM's real-mode pages). With legacy_area, the last KiB of base memory
 * and the ISA hole and BIOS area up to 1 MiB are reserved too: what a
 * kernel booted without firmware must leave alone (firmware reserves them
 * itself). Returns the number of entries, in address order.
 */
unsigned e820_x86_map(E820Entry map[E820_X86_MAX], uint64_t below_4g, uint64_t above_4g,
                      uint64_t reserved_addr, uint64_t reserved_size, bool legacy_area);

/* Appends the table's encoding to out. */
void e820_encode(const E820Entry *entries, unsigned n, GByteArray *out);

#endif
