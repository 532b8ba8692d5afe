/*
 * Matrix multiply benchmark: C = A * B on N x N doubles in i-k-j order
 * (unit-stride inner loop), then a second product by the transpose.
 * Floating-point loads, multiplies, adds and stores. Built with
 * -ffp-contract=off so no build fuses a multiply-add and every
 * architecture rounds identically.
 */
#include <stdlib.h>
#include <string.h>

#include "bench-user.h"

#define N 800

static void multiply(const double *a, const double *b, double *c)
{
    memset(c, 0, sizeof(double) * N * N);
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < N; k++) {
            double aik = a[i * N + k];
            for (int j = 0; j < N; j++) {
                c[i * N + j] += aik * b[k * N + j];
            }
        }
    }
}

/* C = A * B^T: both operands walked along rows, a dot product each. */
static void multiply_transposed(const double *a, const double *b, double *c)
{
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            double dot = 0;
            for (int k = 0; k < N; k++) {
                dot += a[i * N + k] * b[j * N + k];
            }
            c[i * N + j] = dot;
        }
    }
}

static uint64_t digest(const double *m)
{
    uint64_t h = 0;

    for (int i = 0; i < N * N; i++) {
        uint64_t bits;
        memcpy(&bits, &m[i], sizeof(bits));
        h = (h ^ bits) * 0x100000001b3ull;
    }
    return h;
}

int main(void)
{
    double *a = malloc(sizeof(double) * N * N);
    double *b = malloc(sizeof(double) * N * N);
    double *c = malloc(sizeof(double) * N * N);
    BenchRng rng = { 7 };
    uint64_t sum;

    for (int i = 0; i < N * N; i++) {
        a[i] = (double)(bench_rng_next(&rng) >> 11) / (1ull << 53) - 0.5;
        b[i] = (double)(bench_rng_next(&rng) >> 11) / (1ull << 53) - 0.5;
    }
    multiply(a, b, c);
    sum = digest(c);
    multiply_transposed(c, a, b);
    sum ^= digest(b);
    bench_print_checksum("matmul", sum);
    free(a);
    free(b);
    free(c);
    return 0;
}
