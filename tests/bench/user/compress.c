/*
 * Compression benchmark: an LZ77 compressor (hash of the next 4 bytes ->
 * last position, greedy matches up to 258 bytes within a 64 KiB window)
 * and its decompressor, round-tripping a few MiB of generated text made
 * of random words. Byte loads and stores, hashing, unpredictable
 * branches, and the decompressor's overlapping copies.
 *
 * Stream format: a tag byte; tag < 128 starts a run of tag+1 literals,
 * tag >= 128 is a match of length tag-128+3 followed by a 2-byte distance.
 */
#include <stdlib.h>
#include <string.h>

#include "bench-user.h"

#define INPUT_SIZE (3 << 20)
#define HASH_BITS 15
#define WINDOW 65535
#define MIN_MATCH 3
#define MAX_MATCH (127 + MIN_MATCH)
#define ROUNDS 64

static uint32_t hash4(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

static size_t flush_literals(uint8_t *out, size_t o, const uint8_t *lit,
                             size_t n)
{
    while (n > 0) {
        size_t run = n > 128 ? 128 : n;
        out[o++] = run - 1;
        memcpy(out + o, lit, run);
        o += run;
        lit += run;
        n -= run;
    }
    return o;
}

static size_t compress(const uint8_t *in, size_t n, uint8_t *out)
{
    static uint32_t head[1 << HASH_BITS];
    size_t i = 0, o = 0, lit_start = 0;

    memset(head, 0xff, sizeof(head));
    while (i + 4 <= n) {
        uint32_t h = hash4(in + i);
        uint32_t cand = head[h];
        size_t len = 0;

        head[h] = i;
        if (cand != UINT32_MAX && i - cand <= WINDOW) {
            size_t max = n - i < MAX_MATCH ? n - i : MAX_MATCH;
            while (len < max && in[cand + len] == in[i + len]) {
                len++;
            }
        }
        if (len >= MIN_MATCH) {
            o = flush_literals(out, o, in + lit_start, i - lit_start);
            out[o++] = 128 + len - MIN_MATCH;
            out[o++] = (i - cand) & 0xff;
            out[o++] = (i - cand) >> 8;
            i += len;
            lit_start = i;
        } else {
            i++;
        }
    }
    return flush_literals(out, o, in + lit_start, n - lit_start);
}

static size_t decompress(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t i = 0, o = 0;

    while (i < n) {
        uint8_t tag = in[i++];
        if (tag < 128) {
            memcpy(out + o, in + i, tag + 1);
            i += tag + 1;
            o += tag + 1;
        } else {
            size_t len = tag - 128 + MIN_MATCH;
            size_t dist = in[i] | (in[i + 1] << 8);
            i += 2;
            /* Byte by byte: source and destination may overlap. */
            for (size_t k = 0; k < len; k++, o++) {
                out[o] = out[o - dist];
            }
        }
    }
    return o;
}

static void generate_text(uint8_t *buf, size_t n)
{
    static const char *const words[] = {
        "emulator", "translation", "block", "guest", "host", "register",
        "the", "a", "of", "memory", "page", "signal", "thread", "cache",
        "instruction", "decode", "branch", "load", "store", "and", "to",
    };
    BenchRng rng = { 99 };
    size_t o = 0;

    while (o < n) {
        uint64_t r = bench_rng_next(&rng);
        const char *w = words[r % (sizeof(words) / sizeof(words[0]))];
        size_t len = strlen(w);
        for (size_t k = 0; k < len && o < n; k++) {
            buf[o++] = w[k];
        }
        if (o < n) {
            buf[o++] = (r >> 32) % 13 == 0 ? '\n' : ' ';
        }
        if ((r >> 40) % 97 == 0 && o < n) {
            buf[o++] = '0' + (r >> 48) % 10;
        }
    }
}

int main(void)
{
    uint8_t *text = malloc(INPUT_SIZE);
    uint8_t *packed = malloc(INPUT_SIZE + INPUT_SIZE / 64 + 16);
    uint8_t *unpacked = malloc(INPUT_SIZE);
    uint64_t sum = 0;

    generate_text(text, INPUT_SIZE);
    for (int r = 0; r < ROUNDS; r++) {
        text[r * 1000] ^= 1;
        size_t packed_size = compress(text, INPUT_SIZE, packed);
        size_t size = decompress(packed, packed_size, unpacked);
        int same = size == INPUT_SIZE && memcmp(text, unpacked, size) == 0;
        sum = sum * 31 + packed_size + (same ? 0 : 1ull << 63);
        for (size_t i = 0; i < packed_size; i += 64) {
            sum = (sum ^ packed[i]) * 0x100000001b3ull;
        }
    }
    bench_print_checksum("compress", sum);
    free(text);
    free(packed);
    free(unpacked);
    return 0;
}
