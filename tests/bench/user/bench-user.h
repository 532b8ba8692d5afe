/*
 * Shared by the user-mode benchmarks: a deterministic pseudo-random
 * generator (xorshift64*, so every build and architecture sees the same
 * input) and the one output line each benchmark prints, which
 * bench-user.sh compares between the native and the emulated runs.
 */
#ifndef BENCH_USER_H
#define BENCH_USER_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

typedef struct BenchRng {
    uint64_t state;
} BenchRng;

static inline uint64_t bench_rng_next(BenchRng *rng)
{
    rng->state ^= rng->state >> 12;
    rng->state ^= rng->state << 25;
    rng->state ^= rng->state >> 27;
    return rng->state * 0x2545f4914f6cdd1dull;
}

static inline void bench_print_checksum(const char *name, uint64_t sum)
{
    printf("%s checksum %016" PRIx64 "\n", name, sum);
}

#endif
