/*
 * Hashing benchmark: FNV-1a (one multiply per byte, a serial dependency
 * chain) and a 64-bit multiply-rotate hash over 8-byte words, run over a
 * 1 MiB buffer many times. Mostly loads, multiplies, xors and rotates.
 */
#include <stdlib.h>
#include <string.h>

#include "bench-user.h"

#define BUF_SIZE (1 << 20)
#define ROUNDS 480

static uint64_t fnv1a(const uint8_t *p, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

/* Four independent lanes, as the xxHash family does, folded at the end. */
static uint64_t word_hash(const uint8_t *p, size_t n, uint64_t seed)
{
    uint64_t lane[4] = { seed, seed ^ 0x9e3779b97f4a7c15ull, ~seed, seed * 3 };

    for (size_t i = 0; i + 32 <= n; i += 32) {
        for (int l = 0; l < 4; l++) {
            uint64_t w;
            memcpy(&w, p + i + 8 * l, 8);
            lane[l] = rotl(lane[l] + w * 0xc2b2ae3d27d4eb4full, 31);
            lane[l] *= 0x9e3779b185ebca87ull;
        }
    }
    return rotl(lane[0], 1) ^ rotl(lane[1], 7) ^ rotl(lane[2], 12) ^
           rotl(lane[3], 18);
}

int main(void)
{
    uint8_t *buf = malloc(BUF_SIZE);
    BenchRng rng = { 0x1234567 };
    uint64_t sum = 0;

    for (size_t i = 0; i < BUF_SIZE; i += 8) {
        uint64_t v = bench_rng_next(&rng);
        memcpy(buf + i, &v, 8);
    }
    for (int r = 0; r < ROUNDS; r++) {
        buf[r] ^= (uint8_t)sum;
        sum = fnv1a(buf, BUF_SIZE, sum ^ 0xcbf29ce484222325ull);
        sum ^= word_hash(buf, BUF_SIZE, sum);
    }
    bench_print_checksum("hash", sum);
    free(buf);
    return 0;
}
