/*
 * Translator benchmarks on the toy guest (tests/unit/toy-cpu.h), for every
 * backend in ir_backends[]:
 *  - translation throughput: guest instructions per second through the
 *    whole pipeline (frontend, optimizer, backend), with and without the
 *    validator;
 *  - what leaving a TB costs: one loop iteration chained to itself, the
 *    same loop exiting to the exec loop every time (chaining disabled),
 *    and with an indirect jump through goto_ptr;
 *  - a hot loop's time per guest instruction, against the same loop in C.
 * Each figure is the best of three runs of at least MIN_SECONDS (the machine
 * may be busy). Prints a table; asserts nothing about time.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "proteus/translator.h"
#include "tests/unit/toy-cpu.h"

#define ADDI(d, s, i)  toy_insn(TOY_ADDI, d, s, 0, i)
#define ADD(d, s, t)   toy_insn(TOY_ADD, d, s, t, 0)
#define BEQ(s, t, off) toy_insn(TOY_BEQ, 0, s, t, off)
#define BNE(s, t, off) toy_insn(TOY_BNE, 0, s, t, off)
#define JMP(off)       toy_insn(TOY_JMP, 0, 0, 0, off)
#define JR(s)          toy_insn(TOY_JR, 0, s, 0, 0)
#define LD(d, s, i)    toy_insn(TOY_LD, d, s, 0, i)
#define ST(t, s, i)    toy_insn(TOY_ST, 0, s, t, i)
#define HALT()         toy_insn(TOY_HALT, 0, 0, 0, 0)

/* Where the programs live in the toy's 64 KiB. */
#define STRAIGHT_BASE 0x0000     /* the translation workload, up to 0xd000 */
#define STRAIGHT_END  0xd000
#define CHAIN_LOOP    0xd000
#define PTR_LOOP      0xd100
#define HOT_LOOP      0xd200
#define HOT_LOOP_INSNS 8
#define DATA          0xf000

#define MIN_SECONDS 0.1
#define RUNS 3

static double now(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

static int run(ToyCPU *cpu, uint64_t pc)
{
    cpu->pc = pc;
    cpu->parent.halted = 0;
    return cpu_exec(&cpu->parent);
}

static void put_programs(void)
{
    uint64_t pc = STRAIGHT_BASE;
    const uint64_t body[] = {
        ADDI(1, 1, 1), ADD(2, 2, 1), LD(3, 6, 8), ADD(3, 3, 2),
        ST(3, 6, 16), ADDI(4, 2, -7), ADD(5, 4, 3), ADDI(2, 2, 5),
    };

    /* Straight-line blocks of 32 instructions ending in a jump to the
     * next: many typical TBs, each run once per translation. */
    toy_put(pc, ADDI(6, 0, DATA));
    pc += 8;
    while (pc + 32 * 8 <= STRAIGHT_END - 8) {
        for (int i = 0; i < 31; i++, pc += 8) {
            toy_put(pc, body[i % G_N_ELEMENTS(body)]);
        }
        toy_put(pc, JMP(8));
        pc += 8;
    }
    toy_put(pc, HALT());

    /* r1 iterations of one TB chained to itself */
    toy_put(CHAIN_LOOP, ADDI(1, 1, -1));
    toy_put(CHAIN_LOOP + 8, BNE(1, 0, -8));
    toy_put(CHAIN_LOOP + 16, HALT());

    /* the same with an indirect jump back (r3 = PTR_LOOP) */
    toy_put(PTR_LOOP, ADDI(1, 1, -1));
    toy_put(PTR_LOOP + 8, BEQ(1, 0, 0x18));
    toy_put(PTR_LOOP + 16, JR(3));
    toy_put(PTR_LOOP + 32, HALT());

    /* a small compute loop with a load and a store (r6 = DATA) */
    const uint64_t hot[HOT_LOOP_INSNS] = {
        ADD(2, 2, 3), ADDI(3, 3, 3), ADD(4, 2, 3), LD(5, 6, 0),
        ADD(5, 5, 4), ST(5, 6, 0), ADDI(1, 1, -1), BNE(1, 0, -0x38),
    };
    for (int i = 0; i < HOT_LOOP_INSNS; i++) {
        toy_put(HOT_LOOP + 8 * i, hot[i]);
    }
    toy_put(HOT_LOOP + 8 * HOT_LOOP_INSNS, HALT());
}

/* Guest instructions translated per second (millions). */
static double bench_translation(ToyCPU *cpu, bool validate)
{
    double best = 0;

    tcg_set_validate(validate);
    for (int i = 0; i < RUNS; i++) {
        TBStats before, after;
        double t0 = now(), dt;

        tb_stats_get(&before);
        do {
            tb_flush(NULL);
            g_assert(run(cpu, STRAIGHT_BASE) == EXCP_HLT);
            dt = now() - t0;
        } while (dt < MIN_SECONDS);
        tb_stats_get(&after);
        best = MAX(best, (double)(after.insns_translated - before.insns_translated) / dt);
    }
    tcg_set_validate(false);
    return best / 1e6;
}

/* Nanoseconds per iteration of a loop counting r1 down from n. */
static double bench_loop(ToyCPU *cpu, uint64_t entry)
{
    double best = G_MAXDOUBLE;
    uint64_t n = 1024;

    for (int i = 0; i < RUNS; i++) {
        for (;; n *= 2) {
            double t0, dt;

            cpu->regs[1] = n;
            cpu->regs[3] = PTR_LOOP;
            cpu->regs[6] = DATA;
            t0 = now();
            g_assert(run(cpu, entry) == EXCP_HLT);
            dt = now() - t0;
            if (dt >= MIN_SECONDS) {
                best = MIN(best, dt * 1e9 / (double)n);
                break;
            }
        }
    }
    return best;
}

/* The hot loop in C, for scale. */
static double bench_native_loop(void)
{
    volatile uint64_t data = 0;
    double best = G_MAXDOUBLE;
    uint64_t n = 1024;

    for (int i = 0; i < RUNS; i++) {
        for (;; n *= 2) {
            uint64_t r2 = 0, r3 = 0, r4;
            double t0 = now(), dt;

            for (uint64_t k = n; k != 0; k--) {
                r2 += r3;
                r3 += 3;
                r4 = r2 + r3;
                data = data + r4;
            }
            dt = now() - t0;
            if (dt >= MIN_SECONDS) {
                best = MIN(best, dt * 1e9 / (double)n);
                break;
            }
        }
    }
    return best;
}

/* A backend that never chains: every TB exit goes through the loop. */
static void nochain_set_jump(TranslationBlock *tb, unsigned slot,
                             const TranslationBlock *dest)
{
}

typedef struct Result {
    const char *name;
    double translate, translate_validated;
    double chained, loop_exit, goto_ptr;
    double hot;
} Result;

static void bench_backend(const IRBackend *backend, Result *r)
{
    static IRBackend nochain;
    GError *err = NULL;
    ToyCPU *cpu;

    r->name = backend->name;
    if (!tcg_exec_init(backend, &err)) {
        fprintf(stderr, "bench-translator: %s: %s\n", backend->name, err->message);
        g_error_free(err);
        return;
    }
    cpu = toy_cpu_new();
    tcg_set_validate(false);
    r->translate = bench_translation(cpu, false);
    r->translate_validated = bench_translation(cpu, true);
    r->chained = bench_loop(cpu, CHAIN_LOOP);
    r->goto_ptr = bench_loop(cpu, PTR_LOOP);
    r->hot = bench_loop(cpu, HOT_LOOP) / HOT_LOOP_INSNS;

    nochain = *backend;
    nochain.name = "nochain";
    nochain.init = NULL;
    nochain.set_jump = nochain_set_jump;
    g_assert(tcg_exec_init(&nochain, &err));
    r->loop_exit = bench_loop(cpu, CHAIN_LOOP);
    g_assert(tcg_exec_init(backend, &err));
    toy_cpu_free(cpu);
}

static void print_row(const char *what, const Result *r, size_t n,
                      size_t field, const char *fmt)
{
    printf("%-44s", what);
    for (size_t i = 0; i < n; i++) {
        printf(fmt, *(const double *)((const char *)&r[i] + field));
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    Result results[8];
    size_t n = 0;
    double native;

    toy_mem_init();
    put_programs();
    for (const IRBackend *const *b = ir_backends; *b && n < G_N_ELEMENTS(results); b++) {
        memset(&results[n], 0, sizeof(results[n]));
        bench_backend(*b, &results[n]);
        n++;
    }
    native = bench_native_loop();

    printf("bench-translator: toy guest, one vCPU, best of %d runs of %.2f s\n\n", RUNS,
           MIN_SECONDS);
    printf("%-44s", "");
    for (size_t i = 0; i < n; i++) {
        printf("%12s", results[i].name);
    }
    printf("\n");
    print_row("translation, M guest insns/s", results, n,
              offsetof(Result, translate), "%12.2f");
    print_row("translation with the validator, M insns/s", results, n,
              offsetof(Result, translate_validated), "%12.2f");
    print_row("loop iteration, chained to itself, ns", results, n,
              offsetof(Result, chained), "%12.2f");
    print_row("loop iteration, exit to the exec loop, ns", results, n,
              offsetof(Result, loop_exit), "%12.2f");
    print_row("loop iteration, chained + goto_ptr, ns", results, n,
              offsetof(Result, goto_ptr), "%12.2f");
    print_row("hot loop, ns per guest insn", results, n,
              offsetof(Result, hot), "%12.3f");
    printf("%-44s%12.3f\n", "hot loop in C, ns per iteration / 8", native / HOT_LOOP_INSNS);
    printf("\n");
    for (size_t i = 0; i < n; i++) {
        printf("%s: a TB exit to the loop costs %.1f ns more than a chained jump; "
               "hot loop %.1fx the C loop\n", results[i].name,
               results[i].loop_exit - results[i].chained, results[i].hot / (native / 8));
    }
    if (n >= 2) {
        printf("hot loop: %s is %.1fx faster than %s\n", results[n - 1].name,
               results[0].hot / results[n - 1].hot, results[0].name);
    } else {
        printf("hot loop: only %s is built, no JIT to compare\n", results[0].name);
    }
    toy_mem_free();
    return 0;
}
