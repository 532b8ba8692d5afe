/*
 * Pointer-chasing benchmark: a linked list threaded through a large array
 * in a random single-cycle order (Sattolo's shuffle), walked several
 * times. Every load depends on the previous one and most miss the cache,
 * so this measures the emulator's memory access path rather than its
 * arithmetic.
 */
#include <stdlib.h>

#include "bench-user.h"

#define NODES (2 * 1024 * 1024)
#define STEPS (5 * 1000 * 1000)

typedef struct Node {
    struct Node *next;
    uint64_t value;
} Node;

int main(void)
{
    Node *nodes = malloc(NODES * sizeof(Node));
    uint32_t *order = malloc(NODES * sizeof(uint32_t));
    BenchRng rng = { 31337 };
    uint64_t sum = 0;
    Node *n;

    for (uint32_t i = 0; i < NODES; i++) {
        order[i] = i;
    }
    /* Sattolo: a random permutation that is one cycle through all nodes. */
    for (uint32_t i = NODES - 1; i > 0; i--) {
        uint32_t j = bench_rng_next(&rng) % i;
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (uint32_t i = 0; i < NODES; i++) {
        nodes[i].next = &nodes[order[i]];
        nodes[i].value = i * 2654435761u;
    }
    n = &nodes[0];
    for (long s = 0; s < STEPS; s++) {
        sum = sum * 3 + n->value;
        n = n->next;
    }
    sum ^= (uint64_t)(n - nodes);
    bench_print_checksum("chase", sum);
    free(nodes);
    free(order);
    return 0;
}
