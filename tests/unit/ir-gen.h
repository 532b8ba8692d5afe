/*
 * A generator of random valid IR programs, for the IR fuzz test and the
 * libFuzzer target: arithmetic, logic, shifts, comparisons, bit fields,
 * byte swaps, bit counts and conversions on random temps, globals and
 * constants; forward branches, early exits and bounded loops; host loads
 * and stores into the scratch area and into the fields globals alias
 * (whole or in part); guest loads, stores and atomics into
 * guest memory (occasionally misaligned with MO_ALIGN, so they fault);
 * helper calls with different flags.
 *
 * Every choice comes from an IRGenSource: a seeded PRNG (make check), or
 * a fuzzer's input bytes. The same source gives the same program, so the
 * harness can rebuild it for every configuration.
 */
#ifndef TESTS_UNIT_IR_GEN_H
#define TESTS_UNIT_IR_GEN_H

#include "ir-harness.h"

typedef struct IRGenSource {
    uint64_t state;          /* PRNG state, when data is NULL */
    const uint8_t *data;     /* choices, when not NULL; zeros once used up */
    size_t size, pos;
} IRGenSource;

void ir_gen_source_seed(IRGenSource *src, uint64_t seed);
void ir_gen_source_bytes(IRGenSource *src, const uint8_t *data, size_t size);

/* What a generated case needs: where its program and its start state come from. */
typedef struct IRGenCase {
    IRGenSource program;
    IRGenSource state;
    unsigned min_ops, max_ops;
} IRGenCase;

/* An IRTestCase running one generated program (opaque = the IRGenCase). */
IRTestCase ir_gen_test_case(IRGenCase *gc);

#endif
