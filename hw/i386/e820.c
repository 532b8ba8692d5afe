/*
 * The E820 memory map's encoding for fw_cfg (hw/i386/e820.h).
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
