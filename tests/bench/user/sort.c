/*
 * Sorting benchmark: the C library's qsort (indirect calls to a
 * comparison function) and a hand-written top-down merge sort (branchy
 * compare-and-copy loops) over the same few million pseudo-random ints.
 */
#include <stdlib.h>
#include <string.h>

#include "bench-user.h"

#define COUNT (3 * 1000 * 1000)

static int compare_ints(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    return (x > y) - (x < y);
}

/* Sorts v[lo, hi) using tmp[lo, hi) as scratch. */
static void merge_sort(int *v, int *tmp, size_t lo, size_t hi)
{
    size_t mid = lo + (hi - lo) / 2, i = lo, j = mid, k = lo;

    if (hi - lo < 2) {
        return;
    }
    merge_sort(v, tmp, lo, mid);
    merge_sort(v, tmp, mid, hi);
    while (i < mid && j < hi) {
        tmp[k++] = v[j] < v[i] ? v[j++] : v[i++];
    }
    while (i < mid) {
        tmp[k++] = v[i++];
    }
    while (j < hi) {
        tmp[k++] = v[j++];
    }
    memcpy(v + lo, tmp + lo, (hi - lo) * sizeof(*v));
}

static uint64_t digest(const int *v, size_t n)
{
    uint64_t h = 0;

    for (size_t i = 0; i < n; i++) {
        h = (h ^ (uint32_t)v[i]) * 0x100000001b3ull;
    }
    return h;
}

int main(void)
{
    int *a = malloc(COUNT * sizeof(int));
    int *b = malloc(COUNT * sizeof(int));
    int *tmp = malloc(COUNT * sizeof(int));
    BenchRng rng = { 42 };
    uint64_t sum;

    for (size_t i = 0; i < COUNT; i++) {
        a[i] = (int)(bench_rng_next(&rng) >> 33) - (1 << 30);
    }
    memcpy(b, a, COUNT * sizeof(int));
    qsort(a, COUNT, sizeof(int), compare_ints);
    merge_sort(b, tmp, 0, COUNT);
    sum = digest(a, COUNT) ^ (memcmp(a, b, COUNT * sizeof(int)) == 0 ? 0 : 1);
    bench_print_checksum("sort", sum);
    free(a);
    free(b);
    free(tmp);
    return 0;
}
