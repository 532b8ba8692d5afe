/*
 * The translator core on the toy guest (toy-cpu.h), on every backend in
 * ir_backends[]: translation and lookup by (pc, flags), TB limits,
 * chaining, goto_ptr, self-modifying code and invalidation, flushes (a
 * full code buffer, the TB limit, on demand, with two vCPUs), precise
 * traps, interrupts, halts, exit requests from another thread, and the
 * -d logs. Guest programs are a few instructions each, written below with
 * the macros.
 */
#include <string.h>
#include <unistd.h>

#include "proteus/log.h"
#include "proteus/translator.h"
#include "toy-cpu.h"

#define ADDI(d, s, i)  toy_insn(TOY_ADDI, d, s, 0, i)
#define ADD(d, s, t)   toy_insn(TOY_ADD, d, s, t, 0)
#define BEQ(s, t, off) toy_insn(TOY_BEQ, 0, s, t, off)
#define BNE(s, t, off) toy_insn(TOY_BNE, 0, s, t, off)
#define JMP(off)       toy_insn(TOY_JMP, 0, 0, 0, off)
#define JR(s)          toy_insn(TOY_JR, 0, s, 0, 0)
#define LD(d, s, i)    toy_insn(TOY_LD, d, s, 0, i)
#define ST(t, s, i)    toy_insn(TOY_ST, 0, s, t, i)
#define STX(t, s, i)   toy_insn(TOY_STX, 0, s, t, i)
#define TRAPNZ(s, i)   toy_insn(TOY_TRAPNZ, 0, s, 0, i)
#define HALT()         toy_insn(TOY_HALT, 0, 0, 0, 0)
#define MODE(i)        toy_insn(TOY_MODE, 0, 0, 0, i)
#define SETI(i)        toy_insn(TOY_SETI, 0, 0, 0, i)

#define PROG(base, ...) \
    prog_put(base, (const uint64_t[]){ __VA_ARGS__ }, \
             sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))

static void prog_put(uint64_t base, const uint64_t *insns, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        toy_put(base + 8 * i, insns[i]);
    }
}

/* A clean core on backend, an empty guest memory and a fresh CPU. */
static ToyCPU *setup(const IRBackend *backend)
{
    GError *err = NULL;

    g_assert_true(tcg_exec_init(backend, &err));
    g_assert_no_error(err);
    tcg_set_validate(true);
    tcg_set_optimize(true);
    tcg_set_max_tbs(0);
    toy_max_insns = 0;
    tb_flush(NULL);
    tb_stats_reset();
    memset(toy_mem, 0, TOY_MEM_SIZE);
    return toy_cpu_new();
}

static int run(ToyCPU *cpu, uint64_t pc)
{
    cpu->pc = pc;
    cpu->parent.halted = 0;
    return cpu_exec(&cpu->parent);
}

static TBStats stats(void)
{
    TBStats s;

    tb_stats_get(&s);
    return s;
}

/* ---- translation and lookup ---- */

static void test_translate(gconstpointer data)
{
    ToyCPU *cpu = setup(data);
    TranslationBlock *tb;
    TBStats s;

    PROG(0x100, ADDI(1, 0, 5), ADDI(2, 1, 7), ADDI(3, 2, -20), HALT());
    g_assert_cmpint(run(cpu, 0x100), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[1], ==, 5);
    g_assert_cmpuint(cpu->regs[2], ==, 12);
    g_assert_cmpuint(cpu->regs[3], ==, (uint64_t)-8);
    g_assert_cmpuint(cpu->pc, ==, 0x120);
    g_assert_true(cpu->parent.halted);
    /* halted with nothing pending: returns at once */
    g_assert_cmpint(cpu_exec(&cpu->parent), ==, EXCP_HLT);

    tb = tb_lookup(0x100, 0);
    g_assert_nonnull(tb);
    g_assert_cmpuint(tb->pc, ==, 0x100);
    g_assert_cmpuint(tb->icount, ==, 4);
    g_assert_cmpuint(tb->size, ==, 32);
    g_assert_null(tb_lookup(0x108, 0));
    g_assert_null(tb_lookup(0x100, 1));
    s = stats();
    g_assert_cmpuint(s.tbs_translated, ==, 1);
    g_assert_cmpuint(s.insns_translated, ==, 4);
    g_assert_cmpuint(s.live_tbs, ==, 1);
    g_assert_cmpuint(s.host_bytes, >, 0);

    /* again: found in the jump cache, not translated */
    g_assert_cmpint(run(cpu, 0x100), ==, EXCP_HLT);
    s = stats();
    g_assert_cmpuint(s.tbs_translated, ==, 1);
    g_assert_cmpuint(s.cpu.jc_hits, ==, 1);
    g_assert_cmpuint(s.cpu.misses, ==, 1);
    g_assert_true(tb_lookup(0x100, 0) == tb);
    toy_cpu_free(cpu);
}

/* TBs are keyed by (pc, flags): the same code in mode 1 is another TB. */
static void test_flags(gconstpointer data)
{
    ToyCPU *cpu = setup(data);
    TranslationBlock *tb0, *tb1;

    PROG(0x40, ADDI(1, 1, 10), JMP(8), ADDI(2, 1, 1), HALT());
    PROG(0x200, MODE(1), JMP(-0x200 + 0x40 - 8));
    g_assert_cmpint(run(cpu, 0x40), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[1], ==, 10);
    g_assert_cmpuint(cpu->regs[2], ==, 11);

    /* MODE 1 then the same code: addi subtracts */
    g_assert_cmpint(run(cpu, 0x200), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->mode, ==, 1);
    g_assert_cmpuint(cpu->regs[1], ==, 0);
    g_assert_cmpuint(cpu->regs[2], ==, (uint64_t)-1);
    tb0 = tb_lookup(0x40, 0);
    tb1 = tb_lookup(0x40, 1);
    g_assert_nonnull(tb0);
    g_assert_nonnull(tb1);
    g_assert_true(tb0 != tb1);
    g_assert_cmpuint(tb1->flags, ==, 1);
    toy_cpu_free(cpu);
}

/* A TB stops at the end of its page and after max_insns. */
static void test_limits(gconstpointer data)
{
    ToyCPU *cpu = setup(data);
    TranslationBlock *tb;

    /* 300 addi from 0xe00 cross the page at 0x1000: 64 + 236 */
    for (int i = 0; i < 300; i++) {
        toy_put(0xe00 + 8 * i, ADDI(1, 1, 1));
    }
    toy_put(0xe00 + 8 * 300, HALT());
    g_assert_cmpint(run(cpu, 0xe00), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[1], ==, 300);
    tb = tb_lookup(0xe00, 0);
    g_assert_nonnull(tb);
    g_assert_cmpuint(tb->icount, ==, 64);
    g_assert_cmpuint(tb->size, ==, 0x200);
    tb = tb_lookup(0x1000, 0);
    g_assert_nonnull(tb);
    g_assert_cmpuint(tb->icount, ==, 237);

    toy_max_insns = 7;
    tb_flush(NULL);
    g_assert_cmpint(run(cpu, 0xe00), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[1], ==, 600);
    g_assert_cmpuint(tb_lookup(0xe00, 0)->icount, ==, 7);
    g_assert_cmpuint(tb_lookup(0xe00 + 7 * 8, 0)->icount, ==, 7);

    toy_max_insns = 1;
    tb_flush(NULL);
    g_assert_cmpint(run(cpu, 0xe00), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[1], ==, 900);
    g_assert_cmpuint(stats().live_tbs, ==, 301);
    toy_cpu_free(cpu);
}

/* ---- chaining and goto_ptr ---- */

/* Two TBs loop 1000 times, then halt. */
static void put_two_tb_loop(int32_t iterations)
{
    PROG(0x00,
         ADDI(1, 0, iterations),      /* 0x00 */
         ADDI(2, 0, 0),               /* 0x08 */
         JMP(8),                      /* 0x10 */
         ADDI(2, 2, 3),               /* 0x18: TB A */
         JMP(8),                      /* 0x20 */
         ADDI(1, 1, -1),              /* 0x28: TB B */
         BNE(1, 0, -0x18),            /* 0x30: back to A */
         HALT());                     /* 0x38 */
}

static void test_chain(gconstpointer data)
{
    ToyCPU *cpu = setup(data);
    TranslationBlock *a, *b;
    TBStats s;

    put_two_tb_loop(1000);
    g_assert_cmpint(run(cpu, 0), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[1], ==, 0);
    g_assert_cmpuint(cpu->regs[2], ==, 3000);

    a = tb_lookup(0x18, 0);
    b = tb_lookup(0x28, 0);
    g_assert_nonnull(a);
    g_assert_nonnull(b);
    g_assert_true(a->jmp_dest[0] == b);
    g_assert_true(b->jmp_dest[1] == a);
    s = stats();
    /* 0→A, A→B, B→A, B→halt: each slot exits once, then stays chained */
    g_assert_cmpuint(s.chains, ==, 4);
    g_assert_cmpuint(s.cpu.execs, ==, 5);
    g_assert_cmpuint(s.tbs_translated, ==, 4);

    /* again: the loop is already chained from the start */
    g_assert_cmpint(run(cpu, 0), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[2], ==, 3000);
    g_assert_cmpuint(stats().cpu.execs, ==, 6);
    toy_cpu_free(cpu);
}

static void test_goto_ptr(gconstpointer data)
{
    ToyCPU *cpu = setup(data);
    TBStats s;

    PROG(0x00,
         ADDI(1, 0, 100),             /* 0x00 */
         ADDI(3, 0, 0x18),            /* 0x08: the jr target */
         JMP(8),                      /* 0x10 */
         ADDI(2, 2, 1),               /* 0x18: loop */
         ADDI(1, 1, -1),              /* 0x20 */
         BEQ(1, 0, 0x18),             /* 0x28: to 0x40 when done */
         JR(3),                       /* 0x30 */
         ADDI(7, 0, 1),               /* 0x38: never */
         HALT());                     /* 0x40 */
    g_assert_cmpint(run(cpu, 0), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[2], ==, 100);
    g_assert_cmpuint(cpu->regs[7], ==, 0);
    s = stats();
    g_assert_cmpuint(s.cpu.ptr_lookups, ==, 99);
    /* 0x18 is in the jump cache since the loop looked it up, so every jr
     * stays in generated code */
    g_assert_cmpuint(s.cpu.ptr_hits, ==, 99);
    g_assert_cmpuint(s.cpu.execs, <=, 6);
    toy_cpu_free(cpu);
}

static void test_load_store(gconstpointer data)
{
    ToyCPU *cpu = setup(data);

    toy_put(0x3000, 0x1122334455667788ull);
    PROG(0x00,
         ADDI(1, 0, 0x3000),
         LD(2, 1, 0),
         ADDI(3, 2, 1),
         ST(3, 1, 8),
         LD(4, 1, 8),
         ADDI(5, 0, -1),
         ST(5, 1, 0xfff0 - 0x3000),   /* the last words of memory */
         ST(5, 1, 0xfff8 - 0x3000),
         HALT());
    g_assert_cmpint(run(cpu, 0), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[2], ==, 0x1122334455667788ull);
    g_assert_cmpuint(cpu->regs[4], ==, 0x1122334455667789ull);
    g_assert_cmpuint(toy_get(0x3008), ==, 0x1122334455667789ull);
    g_assert_cmpuint(toy_get(0xfff8), ==, UINT64_MAX);
    g_assert_cmpuint(toy_get(0xfff0), ==, UINT64_MAX);
    toy_cpu_free(cpu);
}

/* ---- self-modifying code and invalidation ---- */

static void test_smc_other_tb(gconstpointer data)
{
    ToyCPU *cpu = setup(data);
    TranslationBlock *old_b, *new_b, *c;
    TBStats s;

    toy_put(0x2000, ADDI(2, 2, 100));          /* the replacement */
    PROG(0x00,
         ADDI(1, 0, 10),              /* 0x00 */
         LD(4, 0, 0x2000),            /* 0x08 */
         ADDI(5, 0, 0x20),            /* 0x10 */
         JMP(8),                      /* 0x18 */
         ADDI(2, 2, 1),               /* 0x20: B, rewritten halfway */
         ADDI(1, 1, -1),              /* 0x28 */
         BEQ(1, 0, 0x30),             /* 0x30: to 0x60 when done */
         ADDI(6, 1, -5),              /* 0x38: C */
         BNE(6, 0, -0x20),            /* 0x40: back to B unless r1 == 5 */
         STX(4, 5, 0),                /* 0x48: D: rewrite 0x20 */
         JMP(-0x30),                  /* 0x50: to B */
         0,                           /* 0x58 */
         HALT());                     /* 0x60 */

    /* first run B once so that it is chained from C, then rewrite it */
    g_assert_cmpint(run(cpu, 0), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[2], ==, 5 * 1 + 5 * 100);
    g_assert_cmpuint(toy_get(0x20), ==, ADDI(2, 2, 100));

    s = stats();
    g_assert_cmpuint(s.invalidations, ==, 1);
    g_assert_cmpuint(s.unchains, >=, 1);
    new_b = tb_lookup(0x20, 0);
    c = tb_lookup(0x38, 0);
    g_assert_nonnull(new_b);
    g_assert_nonnull(c);
    /* C chains to the new B */
    g_assert_true(c->jmp_dest[1] == new_b);

    /* Run again from scratch: B is the new code from the start. Remember
     * it, rewrite it back through the invalidation API, check it is gone. */
    cpu->regs[2] = 0;
    g_assert_cmpint(run(cpu, 0), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[2], ==, 1000);
    old_b = tb_lookup(0x20, 0);
    g_assert_true(old_b == new_b);
    toy_put(0x20, ADDI(2, 2, 1));
    g_assert_cmpuint(tb_invalidate_range(0x20, 8), ==, 1);
    g_assert_null(tb_lookup(0x20, 0));
    g_assert_null(old_b->jmp_dest[0]);
    g_assert_null(old_b->jmp_dest[1]);
    g_assert_true(c->jmp_dest[1] == NULL);
    g_assert_nonnull(tb_lookup(0x38, 0));
    toy_cpu_free(cpu);
}

/* A store that rewrites the next instruction of its own TB. */
static void test_smc_same_tb(gconstpointer data)
{
    ToyCPU *cpu = setup(data);

    toy_put(0x2000, ADDI(2, 2, 100));
    PROG(0x100,
         LD(4, 0, 0x2000),            /* 0x100 */
         ADDI(5, 0, 0x118),           /* 0x108 */
         STX(4, 5, 0),                /* 0x110 */
         ADDI(2, 2, 1),               /* 0x118: replaced before it runs */
         ADDI(3, 0, 7),               /* 0x120 */
         HALT());
    g_assert_cmpint(run(cpu, 0x100), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[2], ==, 100);
    g_assert_cmpuint(cpu->regs[3], ==, 7);
    g_assert_cmpuint(stats().invalidations, ==, 1);

    /* storing the same value again invalidates nothing */
    g_assert_cmpint(run(cpu, 0x100), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[2], ==, 200);
    g_assert_cmpuint(stats().invalidations, ==, 1);
    toy_cpu_free(cpu);
}

static void test_invalidate_range(gconstpointer data)
{
    ToyCPU *cpu = setup(data);
    TBStats s;

    /* one TB on each of pages 0, 1 and 3 */
    PROG(0x0ff0, ADDI(1, 1, 1), JMP(0x18));
    PROG(0x1010, ADDI(1, 1, 2), JMP(0x3000 - 0x1018));
    PROG(0x3000, ADDI(1, 1, 4), HALT());
    g_assert_cmpint(run(cpu, 0x0ff0), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[1], ==, 7);
    g_assert_cmpuint(stats().live_tbs, ==, 3);

    g_assert_true(tb_page_has_code(0x0ff8));
    g_assert_true(tb_page_has_code(0x1fff));
    g_assert_false(tb_page_has_code(0x2000));
    g_assert_true(tb_page_has_code(0x3000));

    /* empty, wrapping, and missing ranges */
    g_assert_cmpuint(tb_invalidate_range(0x0ff0, 0), ==, 0);
    g_assert_cmpuint(tb_invalidate_range(UINT64_MAX - 7, 64), ==, 0);
    g_assert_cmpuint(tb_invalidate_range(0x0fe0, 0x10), ==, 0);
    g_assert_cmpuint(tb_invalidate_range(0x1000, 0x10), ==, 0);
    g_assert_cmpuint(stats().live_tbs, ==, 3);

    /* one byte of the last instruction */
    g_assert_cmpuint(tb_invalidate_range(0x0fff, 1), ==, 1);
    g_assert_null(tb_lookup(0x0ff0, 0));
    g_assert_false(tb_page_has_code(0x0ff0));
    g_assert_nonnull(tb_lookup(0x1010, 0));

    /* everything: walks the pages with code, not 2^52 page numbers */
    g_assert_cmpuint(tb_invalidate_range(0, UINT64_MAX), ==, 2);
    s = stats();
    g_assert_cmpuint(s.live_tbs, ==, 0);
    g_assert_cmpuint(s.invalidations, ==, 3);
    g_assert_false(tb_page_has_code(0x3000));

    g_assert_cmpint(run(cpu, 0x0ff0), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[1], ==, 14);
    g_assert_cmpuint(stats().live_tbs, ==, 3);
    toy_cpu_free(cpu);
}

/* ---- flushing ---- */

/* A backend that reports a full code buffer after `budget` TBs. */
static const IRBackend *tiny_real;
static unsigned tiny_budget, tiny_used, tiny_refusals;

static bool tiny_gen_code(IRContext *ctx, TranslationBlock *tb)
{
    if (tiny_used >= tiny_budget) {
        tiny_refusals++;
        return false;
    }
    tiny_used++;
    return tiny_real->gen_code(ctx, tb);
}

static void tiny_flush(void)
{
    tiny_used = 0;
    tiny_real->flush();
}

static void test_flush_buffer_full(gconstpointer data)
{
    static IRBackend tiny;
    ToyCPU *cpu = setup(data);
    GError *err = NULL;
    TBStats s;

    tiny_real = data;
    tiny = *tiny_real;
    tiny.name = "tiny";
    tiny.init = NULL;
    tiny.gen_code = tiny_gen_code;
    tiny.flush = tiny_flush;

    for (unsigned budget = 1; budget <= 3; budget++) {
        tiny_budget = budget;
        tiny_refusals = 0;
        g_assert_true(tcg_exec_init(&tiny, &err));
        tb_stats_reset();
        put_two_tb_loop(50);
        g_assert_cmpint(run(cpu, 0), ==, EXCP_HLT);
        g_assert_cmpuint(cpu->regs[2], ==, 150);
        s = stats();
        g_assert_cmpuint(s.flushes, >=, 1);
        g_assert_cmpuint(s.flushes, ==, tiny_refusals);
        g_assert_cmpuint(s.live_tbs, <=, budget);
        /* back to the real backend: the tiny one's TBs are flushed */
        g_assert_true(tcg_exec_init(tiny_real, &err));
        g_assert_cmpuint(stats().live_tbs, ==, 0);
    }
    toy_cpu_free(cpu);
}

static void test_flush_max_tbs(gconstpointer data)
{
    ToyCPU *cpu = setup(data);
    TBStats s;

    tcg_set_max_tbs(2);
    put_two_tb_loop(40);
    g_assert_cmpint(run(cpu, 0), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[2], ==, 120);
    s = stats();
    g_assert_cmpuint(s.flushes, >=, 1);
    g_assert_cmpuint(s.live_tbs, <=, 2);

    tcg_set_max_tbs(1);
    g_assert_cmpint(run(cpu, 0), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[2], ==, 120);
    /* every TB exit translates */
    g_assert_cmpuint(stats().tbs_translated, >=, s.tbs_translated + 80);
    tcg_set_max_tbs(0);

    tb_flush(NULL);
    s = stats();
    g_assert_cmpuint(s.live_tbs, ==, 0);
    g_assert_null(tb_lookup(0x18, 0));
    g_assert_cmpint(run(cpu, 0), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[2], ==, 120);
    g_assert_cmpuint(stats().live_tbs, ==, 4);
    toy_cpu_free(cpu);
}

typedef struct SmpRun {
    ToyCPU *cpu;
    int ret;
} SmpRun;

static gpointer smp_thread(gpointer opaque)
{
    SmpRun *r = opaque;

    r->ret = run(r->cpu, 0);
    return NULL;
}

/* Two vCPUs on one small cache: flushes stop the other vCPU first. */
static void test_flush_smp(gconstpointer data)
{
    ToyCPU *first = setup(data);
    SmpRun runs[2] = { { first }, { toy_cpu_new() } };
    GThread *threads[2];

    tcg_set_max_tbs(3);
    PROG(0x00,
         ADDI(1, 0, 300),             /* 0x00 */
         JMP(8),                      /* 0x08 */
         ADDI(2, 2, 1), JMP(8),       /* 0x10 */
         ADDI(3, 3, 2), JMP(8),       /* 0x20 */
         ADDI(4, 4, 3), JMP(8),       /* 0x30 */
         ADDI(1, 1, -1),              /* 0x40 */
         BNE(1, 0, -0x38),            /* 0x48 */
         HALT());
    for (int i = 0; i < 2; i++) {
        threads[i] = g_thread_new("vcpu", smp_thread, &runs[i]);
    }
    for (int i = 0; i < 2; i++) {
        g_thread_join(threads[i]);
        g_assert_cmpint(runs[i].ret, ==, EXCP_HLT);
        g_assert_cmpuint(runs[i].cpu->regs[2], ==, 300);
        g_assert_cmpuint(runs[i].cpu->regs[3], ==, 600);
        g_assert_cmpuint(runs[i].cpu->regs[4], ==, 900);
    }
    g_assert_cmpuint(stats().flushes, >=, 100);
    tcg_set_max_tbs(0);
    toy_cpu_free(runs[1].cpu);
    toy_cpu_free(first);
}

/* ---- exceptions ---- */

static void put_trap_program(void)
{
    PROG(0x00,
         ADDI(1, 0, 7),               /* 0x00 */
         ADDI(2, 0, 0),               /* 0x08 */
         TRAPNZ(2, 11),               /* 0x10: r2 == 0: no trap */
         ADDI(2, 0, 1),               /* 0x18 */
         TRAPNZ(2, 42),               /* 0x20: traps */
         ADDI(3, 0, 9),               /* 0x28: must not run */
         HALT());
    /* the trap handler */
    PROG(0x400, ADDI(4, 0, 1), HALT());
}

/* User-mode style: the exception ends cpu_exec with the pc of the trap. */
static void test_trap_precise(gconstpointer data)
{
    ToyCPU *cpu = setup(data);

    put_trap_program();
    cpu->parent.exit_on_exception = true;
    g_assert_cmpint(run(cpu, 0), ==, EXCP_TOY_TRAP);
    g_assert_cmpuint(cpu->pc, ==, 0x20);
    g_assert_cmpuint(cpu->trap_arg, ==, 42);
    g_assert_cmpuint(cpu->regs[1], ==, 7);
    g_assert_cmpuint(cpu->regs[2], ==, 1);
    g_assert_cmpuint(cpu->regs[3], ==, 0);
    g_assert_cmpint(cpu->parent.exception_index, ==, EXCP_NONE);
    /* the trap was in the middle of one TB */
    g_assert_cmpuint(tb_lookup(0, 0)->icount, ==, 7);

    /* resume after the trap */
    cpu->regs[2] = 0;
    g_assert_cmpint(run(cpu, 0x28), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[3], ==, 9);
    toy_cpu_free(cpu);
}

/* System style: do_interrupt delivers it to the guest's handler. */
static void test_trap_do_interrupt(gconstpointer data)
{
    ToyCPU *cpu = setup(data);

    put_trap_program();
    cpu->trap_vector = 0x400;
    g_assert_cmpint(run(cpu, 0), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->epc, ==, 0x20);
    g_assert_cmpuint(cpu->cause, ==, EXCP_TOY_TRAP);
    g_assert_cmpuint(cpu->regs[3], ==, 0);
    g_assert_cmpuint(cpu->regs[4], ==, 1);
    g_assert_cmpuint(cpu->pc, ==, 0x410);
    g_assert_cmpuint(stats().cpu.exceptions, ==, 2);     /* the trap, the halt */
    toy_cpu_free(cpu);
}

static void test_illegal_and_fetch_fault(gconstpointer data)
{
    ToyCPU *cpu = setup(data);
    TBStats s;

    cpu->parent.exit_on_exception = true;
    PROG(0x00, ADDI(1, 0, 1), ADDI(2, 0, 2), toy_insn(0xee, 0, 0, 0, 0), ADDI(3, 0, 3));
    g_assert_cmpint(run(cpu, 0), ==, EXCP_TOY_ILLEGAL);
    g_assert_cmpuint(cpu->pc, ==, 0x10);
    g_assert_cmpuint(cpu->regs[2], ==, 2);
    g_assert_cmpuint(cpu->regs[3], ==, 0);

    /* jumps outside memory: the fault is raised while translating */
    PROG(0x100, ADDI(6, 0, 0x8000), ADDI(6, 6, 0x8000), JR(6));
    s = stats();
    g_assert_cmpint(run(cpu, 0x100), ==, EXCP_TOY_FETCH);
    g_assert_cmpuint(cpu->pc, ==, 0x10000);
    g_assert_null(tb_lookup(0x10000, 0));
    g_assert_cmpuint(stats().live_tbs, ==, s.live_tbs + 1);
    /* and a direct jump to a misaligned address */
    PROG(0x200, JMP(4));
    g_assert_cmpint(run(cpu, 0x200), ==, EXCP_TOY_FETCH);
    g_assert_cmpuint(cpu->pc, ==, 0x204);
    /* the cache still works */
    PROG(0x300, ADDI(5, 0, 5), HALT());
    g_assert_cmpint(run(cpu, 0x300), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[5], ==, 5);
    toy_cpu_free(cpu);
}

/* ---- other threads: exit requests and interrupts ---- */

typedef struct LoopRun {
    ToyCPU *cpu;
    uint64_t pc;
    int ret;
} LoopRun;

static gpointer loop_thread(gpointer opaque)
{
    LoopRun *r = opaque;

    r->ret = run(r->cpu, r->pc);
    return NULL;
}

/* Waits until the guest's progress counter (a word it stores at 0x3000:
 * registers may live in host registers while chained) passes n, 10 s at most. */
#define COUNTER 0x3000
static void wait_for_counter(uint64_t n)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    uint64_t *counter = (uint64_t *)(toy_mem + COUNTER);

    while (__atomic_load_n(counter, __ATOMIC_RELAXED) < n) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(1000);
    }
}

static void test_exit_request(gconstpointer data)
{
    ToyCPU *cpu = setup(data);
    LoopRun r = { cpu, 0x80 };
    GThread *thread;

    /* forever, chained to itself */
    PROG(0x80, ADDI(1, 1, 1), ST(1, 0, COUNTER), JMP(-16));
    thread = g_thread_new("vcpu", loop_thread, &r);
    wait_for_counter(10000);
    cpu_exit(&cpu->parent);
    g_thread_join(thread);
    g_assert_cmpint(r.ret, ==, EXCP_INTERRUPT);
    /* it left at a TB entry */
    g_assert_cmpuint(cpu->pc, ==, 0x80);
    g_assert_cmpuint(cpu->regs[1], >=, 10000);
    /* it ran chained: one exit to chain it, one for the request */
    g_assert_cmpuint(stats().cpu.execs, ==, 2);

    /* the request was consumed: it runs again until the next one */
    cpu->regs[1] = 0;
    toy_put(COUNTER, 0);
    thread = g_thread_new("vcpu", loop_thread, &r);
    wait_for_counter(1000);
    cpu_exit(&cpu->parent);
    g_thread_join(thread);
    g_assert_cmpint(r.ret, ==, EXCP_INTERRUPT);
    g_assert_cmpuint(cpu->regs[1], >=, 1000);

    /* a loop that never leaves generated code through goto_ptr either */
    PROG(0x100, ADDI(1, 1, 1), ST(1, 0, COUNTER), JR(3));
    cpu->regs[1] = 0;
    cpu->regs[3] = 0x100;
    toy_put(COUNTER, 0);
    r.pc = 0x100;
    thread = g_thread_new("vcpu", loop_thread, &r);
    wait_for_counter(10000);
    cpu_exit(&cpu->parent);
    g_thread_join(thread);
    g_assert_cmpint(r.ret, ==, EXCP_INTERRUPT);
    g_assert_cmpuint(cpu->pc, ==, 0x100);
    g_assert_cmpuint(stats().cpu.ptr_hits, >=, 9999);
    toy_cpu_free(cpu);
}

static void test_interrupt(gconstpointer data)
{
    ToyCPU *cpu = setup(data);
    LoopRun r = { cpu, 0 };
    GThread *thread;

    cpu->trap_vector = 0x400;
    PROG(0x00, SETI(1), ADDI(1, 1, 1), ST(1, 0, COUNTER), JMP(-16));
    PROG(0x400, ADDI(4, 0, 1), HALT());

    /* masked: pending, not taken, the loop keeps running */
    PROG(0x800, ADDI(1, 1, 1), ST(1, 0, COUNTER), JMP(-16));
    cpu_interrupt(&cpu->parent, CPU_INTERRUPT_HARD);
    r.pc = 0x800;
    thread = g_thread_new("vcpu", loop_thread, &r);
    wait_for_counter(1000);
    cpu_exit(&cpu->parent);
    g_thread_join(thread);
    g_assert_cmpint(r.ret, ==, EXCP_INTERRUPT);
    g_assert_cmpuint(cpu->regs[4], ==, 0);
    g_assert_cmpuint(cpu->parent.interrupt_request, ==, CPU_INTERRUPT_HARD);
    cpu_reset_interrupt(&cpu->parent, CPU_INTERRUPT_HARD);

    /* enabled: taken at the next TB boundary, even in a chained loop */
    cpu->regs[1] = 0;
    toy_put(COUNTER, 0);
    r.pc = 0;
    thread = g_thread_new("vcpu", loop_thread, &r);
    wait_for_counter(1000);
    cpu_interrupt(&cpu->parent, CPU_INTERRUPT_HARD);
    g_thread_join(thread);
    g_assert_cmpint(r.ret, ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[4], ==, 1);
    g_assert_cmpuint(cpu->cause, ==, TOY_CAUSE_IRQ);
    g_assert_cmpuint(cpu->epc, ==, 0x08);
    g_assert_cmpuint(cpu->irq_enabled, ==, 0);
    g_assert_cmpuint(cpu->parent.interrupt_request, ==, 0);
    g_assert_cmpuint(stats().cpu.interrupts, ==, 1);

    /* a halted CPU wakes up for an interrupt */
    g_assert_true(cpu->parent.halted);
    g_assert_cmpint(cpu_exec(&cpu->parent), ==, EXCP_HLT);
    cpu->irq_enabled = 1;
    cpu->trap_vector = 0x500;
    PROG(0x500, ADDI(5, 0, 5), HALT());
    cpu_interrupt(&cpu->parent, CPU_INTERRUPT_HARD);
    g_assert_cmpint(cpu_exec(&cpu->parent), ==, EXCP_HLT);
    g_assert_cmpuint(cpu->regs[5], ==, 5);
    g_assert_cmpuint(cpu->epc, ==, 0x410);
    toy_cpu_free(cpu);
}

/* ---- logging ---- */

static void test_logging(gconstpointer data)
{
    ToyCPU *cpu = setup(data);
    char *path, *text = NULL;
    GError *err = NULL;
    size_t len;
    FILE *f;
    int fd;

    fd = g_file_open_tmp(NULL, &path, &err);
    g_assert_no_error(err);
    close(fd);
    g_assert_true(log_set_file(path, &err));
    log_set_mask(LOG_IN_ASM | LOG_OP | LOG_OP_OPT | LOG_OUT_ASM | LOG_EXEC | LOG_CPU |
                 LOG_INT);
    put_two_tb_loop(10);
    g_assert_cmpint(run(cpu, 0), ==, EXCP_HLT);
    log_set_mask(0);
    g_assert_true(log_set_file(NULL, &err));
    g_assert_cmpuint(cpu->regs[2], ==, 30);
    /* -d exec: no chaining, so every TB run goes through the loop */
    g_assert_cmpuint(stats().cpu.execs, ==, 1 + 10 + 10 + 1);
    g_assert_cmpuint(stats().chains, ==, 0);

    g_assert_true(g_file_get_contents(path, &text, NULL, &err));
    g_assert_nonnull(strstr(text, "IN: TB 0x0000000000000018"));
    g_assert_nonnull(strstr(text, "addi    r2, r2, r0, 3"));
    g_assert_nonnull(strstr(text, "OP: TB 0x0000000000000028"));
    g_assert_nonnull(strstr(text, "OP after optimization: TB"));
    g_assert_nonnull(strstr(text, " ---- 0x0000000000000018"));
    g_assert_nonnull(strstr(text, "Trace cpu"));
    g_assert_nonnull(strstr(text, "pc 0000000000000028"));
    g_assert_nonnull(strstr(text, "exception 0x10001"));
    if ((const IRBackend *)data == &ir_backend_x86_64) {
        /* -d out_asm: the host code, disassembled, with the guest insn it is for */
        g_assert_nonnull(strstr(text, "OUT: [size="));
        g_assert_nonnull(strstr(text, "-- guest insn 0x18"));
        g_assert_nonnull(strstr(text, "jmp"));
    }
    g_free(text);
    unlink(path);
    g_free(path);

    f = open_memstream(&text, &len);
    tb_stats_print(f);
    fclose(f);
    g_assert_nonnull(strstr(text, "4 TBs"));
    g_assert_nonnull(strstr(text, "chained"));
    free(text);
    toy_cpu_free(cpu);
}

/* ---- the CPU class hooks outside the loop ---- */

static void test_cpu_hooks(void)
{
    ToyCPU *cpu = setup(ir_backends[0]);
    const CPUClass *cc = cpu->parent.cc;
    GByteArray *buf = g_byte_array_new();
    uint8_t mem[8] = { 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 };
    char *text;
    size_t len;
    FILE *f;

    cpu->regs[3] = 0x0123456789abcdefull;
    g_assert_cmpint(cc->gdb_read_register(&cpu->parent, buf, 3), ==, 8);
    g_assert_cmpuint(buf->len, ==, 8);
    g_assert_cmpuint(buf->data[0], ==, 0xef);
    g_assert_cmpint(cc->gdb_read_register(&cpu->parent, buf, cc->gdb_num_core_regs), ==, 0);
    g_assert_cmpint(cc->gdb_write_register(&cpu->parent, mem, 8), ==, 8);
    g_assert_cmpuint(cc->get_pc(&cpu->parent), ==, 0x1122334455667788ull);
    cc->set_pc(&cpu->parent, 0x40);
    g_assert_cmpuint(cpu->pc, ==, 0x40);
    g_assert_cmpuint(cc->get_phys_page_debug(&cpu->parent, 0x1234), ==, 0x1000);
    g_assert_cmpuint(cc->get_phys_page_debug(&cpu->parent, TOY_MEM_SIZE), ==, UINT64_MAX);

    f = open_memstream(&text, &len);
    cc->dump_state(&cpu->parent, f, 0);
    fclose(f);
    g_assert_nonnull(strstr(text, "r3 0123456789abcdef"));
    free(text);

    cpu_reset(&cpu->parent);
    g_assert_cmpuint(cpu->regs[3], ==, 0);
    g_assert_cmpuint(cpu->pc, ==, 0);
    g_byte_array_unref(buf);
    toy_cpu_free(cpu);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        GTestDataFunc fn;
    } tests[] = {
        { "translate", test_translate },
        { "flags", test_flags },
        { "limits", test_limits },
        { "chain", test_chain },
        { "goto-ptr", test_goto_ptr },
        { "load-store", test_load_store },
        { "smc-other-tb", test_smc_other_tb },
        { "smc-same-tb", test_smc_same_tb },
        { "invalidate-range", test_invalidate_range },
        { "flush-buffer-full", test_flush_buffer_full },
        { "flush-max-tbs", test_flush_max_tbs },
        { "flush-smp", test_flush_smp },
        { "trap-precise", test_trap_precise },
        { "trap-do-interrupt", test_trap_do_interrupt },
        { "illegal-and-fetch-fault", test_illegal_and_fetch_fault },
        { "exit-request", test_exit_request },
        { "interrupt", test_interrupt },
        { "logging", test_logging },
    };
    int ret;

    g_test_init(&argc, &argv, NULL);
    toy_mem_init();
    for (const IRBackend *const *b = ir_backends; *b; b++) {
        for (size_t i = 0; i < G_N_ELEMENTS(tests); i++) {
            char *path = g_strdup_printf("/tb/%s/%s", (*b)->name, tests[i].name);

            g_test_add_data_func(path, *b, tests[i].fn);
            g_free(path);
        }
    }
    g_test_add_func("/tb/cpu-hooks", test_cpu_hooks);
    ret = g_test_run();
    toy_mem_free();
    return ret;
}
