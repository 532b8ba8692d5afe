/*
 * A CPU-bound bare-metal loop with the MMU on (start.S): hashing and
 * pointer chasing over 1 MiB, then a checksum on the UART.
 */
#include <stdint.h>

#define UART ((volatile uint8_t *)0x10000000)

static uint32_t table[1 << 18];

static void put_hex(uint64_t v)
{
    for (int i = 60; i >= 0; i -= 4) {
        UART[0] = "0123456789abcdef"[(v >> i) & 15];
    }
    UART[0] = '\n';
}

void bench_main(void);
void bench_main(void)
{
    uint64_t h = 1469598103934665603ull;
    uint32_t x = 1;

    for (uint32_t i = 0; i < (1u << 18); i++) {
        table[i] = (i * 2654435761u + 12345u) & ((1u << 18) - 1);
    }
    for (int round = 0; round < 300; round++) {
        for (uint32_t i = 0; i < (1u << 18); i++) {
            h = (h ^ table[i]) * 1099511628211ull;
            x = table[x ^ (uint32_t)(h & 7)];
        }
    }
    put_hex(h ^ x);
}
