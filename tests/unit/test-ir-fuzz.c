/*
 * Random valid IR programs (ir-gen.c), each run unoptimized and optimized
 * on every backend: all results must agree exactly. A disagreement prints
 * the seed, what differs and the IR before and after optimization.
 *
 * PROTEUS_IR_FUZZ_SEEDS sets how many programs (default 3000, each 20-80
 * ops, plus a tenth as many of 200-400 ops); PROTEUS_IR_FUZZ_FIRST the
 * first seed (default 1), to rerun one program or to explore further.
 */
#include <stdlib.h>

#include "ir-gen.h"

static IRTestEnv *env;

static unsigned env_uint(const char *name, unsigned dflt)
{
    const char *s = g_getenv(name);

    return s && *s ? (unsigned)strtoul(s, NULL, 0) : dflt;
}

static void run_seeds(unsigned min_ops, unsigned max_ops, unsigned divisor)
{
    unsigned first = env_uint("PROTEUS_IR_FUZZ_FIRST", 1);
    unsigned count = env_uint("PROTEUS_IR_FUZZ_SEEDS", 3000) / divisor;
    unsigned failures = 0;

    for (unsigned seed = first; seed < first + count && failures < 5; seed++) {
        IRGenCase gc = { .min_ops = min_ops, .max_ops = max_ops };
        IRTestCase tc;

        /* programs of different lengths must not share their seeds' streams */
        ir_gen_source_seed(&gc.program, seed * 1000003ull + max_ops);
        ir_gen_source_seed(&gc.state, ~(uint64_t)seed);
        tc = ir_gen_test_case(&gc);
        if (!irt_run(env, &tc)) {
            g_printerr("IR fuzz: seed %u (%u-%u ops) disagrees; rerun it with "
                       "PROTEUS_IR_FUZZ_FIRST=%u PROTEUS_IR_FUZZ_SEEDS=%u "
                       "test-ir-fuzz -p %s\n",
                       seed, min_ops, max_ops, seed, divisor, g_test_get_path());
            failures++;
        }
    }
    g_assert_cmpuint(failures, ==, 0);
}

static void test_short(void)
{
    run_seeds(20, 80, 1);
}

static void test_long(void)
{
    run_seeds(200, 400, 10);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    env = irt_env_new();
    g_test_add_func("/ir/fuzz/short", test_short);
    g_test_add_func("/ir/fuzz/long", test_long);
    ret = g_test_run();
    irt_env_free(env);
    return ret;
}
