/*
 * The E820 memory map of x86 boards and its encoding for fw_cfg
 * (hw/i386/e820.h).
 */
#include <string.h>

#include "hw/i386/e820.h"

void e820_encode(const E820Entry *entries, unsigned n, GByteArray *out)
{
    for (unsigned i = 0; i < n; i++) {
        uint8_t raw[E820_ENTRY_SIZE];
        uint64_t addr = GUINT64_TO_LE(entries[i].addr);
        uint64_t size = GUINT64_TO_LE(entries[i].size);
        uint32_t type = GUINT32_TO_LE(entries[i].type);

        memcpy(raw, &addr, 8);
        memcpy(raw + 8, &size, 8);
        memcpy(raw + 16, &type, 4);
        g_byte_array_append(out, raw, sizeof(raw));
    }
}

static unsigned e820_add(E820Entry *map, unsigned n, uint64_t addr, uint64_t size,
                         uint32_t type)
{
    g_assert(n < E820_X86_MAX);
    map[n] = (E820Entry){ addr, size, type };
    return n + 1;
}

unsigned e820_x86_map(E820Entry map[E820_X86_MAX], uint64_t below_4g, uint64_t above_4g,
                      uint64_t reserved_addr, uint64_t reserved_size, bool legacy_area)
{
    unsigned n = 0;

    if (legacy_area && below_4g > E820_HIGH_MEMORY) {
        n = e820_add(map, n, 0, E820_BASE_MEMORY_END, E820_RAM);
        n = e820_add(map, n, E820_BASE_MEMORY_END, E820_HIGH_MEMORY - E820_BASE_MEMORY_END,
                     E820_RESERVED);
        n = e820_add(map, n, E820_HIGH_MEMORY, below_4g - E820_HIGH_MEMORY, E820_RAM);
    } else {
        n = e820_add(map, n, 0, below_4g, E820_RAM);
    }
    n = e820_add(map, n, reserved_addr, reserved_size, E820_RESERVED);
    if (above_4g) {
        n = e820_add(map, n, 0x100000000ull, above_4g, E820_RAM);
    }
    return n;
}
