/*
 * libFuzzer target for the translator's back half: the input bytes choose
 * a random valid IR program (tests/unit/ir-gen.c) that runs unoptimized
 * and optimized on every backend; any disagreement, sanitizer report or
 * failed assertion is a finding (the harness prints the IR and aborts).
 */
#include "ir-gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static IRTestEnv *env;
    IRGenCase gc = { .min_ops = 1, .max_ops = 256 };
    uint64_t hash = 0xcbf29ce484222325ull;
    IRTestCase tc;

    if (!env) {
        env = irt_env_new();
    }
    /* The start state follows from the same bytes (FNV-1a of them). */
    for (size_t k = 0; k < size; k++) {
        hash = (hash ^ data[k]) * 0x100000001b3ull;
    }
    ir_gen_source_bytes(&gc.program, data, size);
    ir_gen_source_seed(&gc.state, hash);
    tc = ir_gen_test_case(&gc);
    tc.no_assert = false;
    irt_run(env, &tc);
    return 0;
}
