/*
 * The IR test harness: translates a test case on every backend, unoptimized
 * and optimized, runs each configuration on each input and compares the
 * results (see ir-harness.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ir-harness.h"

static IRTestEnv *current_env;

/* Backends initialise once per process; those that cannot run are skipped. */
static bool backends_probed;
static bool backend_usable[IRT_MAX_CONFIGS];

static void record_unaligned(void *env, uint64_t addr, MemOp mop)
{
    IRTestState *s = env;

    s->fault_addr = addr;
    s->fault_mop = mop;
}

IRTestEnv *irt_env_new(void)
{
    IRTestEnv *t = g_new0(IRTestEnv, 1);
    void *mem = NULL;

    t->ctx = ir_context_new();
    t->env = ir_env(t->ctx);
    for (unsigned k = 0; k < IRT_NREGS; k++) {
        g_autofree char *name = g_strdup_printf("r%u", k);
        t->r[k] = ir_global_i64(t->ctx, IRT_OFS_R(k), name);
    }
    for (unsigned k = 0; k < IRT_NWREGS; k++) {
        g_autofree char *name = g_strdup_printf("w%u", k);
        t->w[k] = ir_global_i32(t->ctx, IRT_OFS_W(k), name);
    }

    if (!backends_probed) {
        for (unsigned b = 0; ir_backends[b]; b++) {
            GError *err = NULL;

            g_assert(2 * (b + 1) <= IRT_MAX_CONFIGS);
            backend_usable[b] = ir_backends[b]->init(&err);
            if (!backend_usable[b]) {
                g_test_message("backend %s skipped: %s", ir_backends[b]->name,
                               err->message);
                g_error_free(err);
            }
        }
        backends_probed = true;
    }
    for (unsigned b = 0; ir_backends[b]; b++) {
        if (backend_usable[b]) {
            for (unsigned opt = 0; opt < 2; opt++) {
                t->config_backend[t->nb_configs] = ir_backends[b];
                t->config_optimized[t->nb_configs] = opt;
                t->nb_configs++;
            }
        }
    }
    g_assert(t->nb_configs >= 2);

    g_assert(posix_memalign(&mem, 4096, IRT_GUEST_SIZE) == 0);
    t->guest_mem = mem;
    ir_guest_base = (uintptr_t)t->guest_mem - IRT_GUEST_ADDR;
    ir_unaligned_hook = record_unaligned;
    t->results[0] = g_new0(IRTestResult, 1);
    t->results[1] = g_new0(IRTestResult, 1);
    return t;
}

void irt_env_free(IRTestEnv *t)
{
    if (!t) {
        return;
    }
    if (current_env == t) {
        current_env = NULL;
    }
    ir_context_free(t->ctx);
    free(t->guest_mem);
    g_free(t->results[0]);
    g_free(t->results[1]);
    g_free(t);
}

IRTestEnv *irt_current(void)
{
    return current_env;
}

TranslationBlock *irt_tb_at(IRTestEnv *t, unsigned k)
{
    g_assert(k < IRT_MAX_TBS && t->config < t->nb_configs);
    return &t->tbs[t->config][k];
}

void irt_chain(IRTestEnv *t, unsigned from, unsigned slot, unsigned to)
{
    TranslationBlock *src = irt_tb_at(t, from), *dst = irt_tb_at(t, to);

    t->config_backend[t->config]->set_jump(src, slot, dst);
    src->jmp_dest[slot] = dst;
}

void irt_unchain(IRTestEnv *t, unsigned from, unsigned slot)
{
    TranslationBlock *src = irt_tb_at(t, from);

    t->config_backend[t->config]->set_jump(src, slot, NULL);
    src->jmp_dest[slot] = NULL;
}

uint64_t irt_exit(unsigned k, unsigned slot)
{
    return 0xe0000000u | (k << 2) | slot;
}

void irt_exit_slot(IRTestEnv *t, unsigned tb_index, unsigned slot)
{
    ir_exit_tb(t->ctx, ir_exit_value(irt_tb_at(t, tb_index), slot));
}

static const char *config_name(IRTestEnv *t, unsigned c)
{
    static char buf[64];

    snprintf(buf, sizeof(buf), "%s%s", t->config_backend[c]->name,
             t->config_optimized[c] ? "+opt" : "");
    return buf;
}

/* ---- translating ---- */

static void build_ir(IRTestEnv *t, const IRTestCase *tc, unsigned k, bool optimize)
{
    GError *err = NULL;

    ir_reset(t->ctx);
    tc->build(t, k, tc->opaque);
    if (!ir_validate(t->ctx, &err)) {
        g_printerr("IR of case %s, TB %u, as built:\n", tc->name ? tc->name : "?", k);
        ir_dump(t->ctx, stderr);
        g_assert_no_error(err);
    }
    if (optimize) {
        ir_optimize(t->ctx);
        if (!ir_validate(t->ctx, &err)) {
            g_printerr("IR of case %s, TB %u, after ir_optimize:\n",
                       tc->name ? tc->name : "?", k);
            ir_dump(t->ctx, stderr);
            g_assert_no_error(err);
        }
    }
}

static unsigned nb_tbs(const IRTestCase *tc)
{
    g_assert(tc->nb_tbs <= IRT_MAX_TBS);
    return tc->nb_tbs ? tc->nb_tbs : 1;
}

static void translate(IRTestEnv *t, const IRTestCase *tc, unsigned c)
{
    t->config = c;
    for (unsigned k = 0; k < nb_tbs(tc); k++) {
        TranslationBlock *tb = &t->tbs[c][k];

        memset(tb, 0, sizeof(*tb));
        tb->pc = IRT_GUEST_ADDR + 0x100 * k;
        build_ir(t, tc, k, t->config_optimized[c]);
        if (!t->config_backend[c]->gen_code(t->ctx, tb)) {
            g_error("backend %s: code buffer full in case %s", config_name(t, c),
                    tc->name ? tc->name : "?");
        }
    }
    if (tc->link) {
        tc->link(t, tc->opaque);
    }
}

void irt_dump_case(IRTestEnv *t, const IRTestCase *tc)
{
    unsigned saved = t->config;

    t->config = 0;
    for (unsigned k = 0; k < nb_tbs(tc); k++) {
        for (unsigned opt = 0; opt < 2; opt++) {
            g_printerr("---- case %s, TB %u, %s:\n", tc->name ? tc->name : "?", k,
                       opt ? "optimized" : "unoptimized");
            build_ir(t, tc, k, opt);
            ir_dump(t->ctx, stderr);
        }
    }
    t->config = saved;
}

/* ---- running ---- */

/* Runs tb; false if it left through ir_raise (retaddr is then set). */
bool irt_exec_guarded(const IRBackend *be, void *env, const TranslationBlock *tb,
                         uint64_t *exit_value, uintptr_t *retaddr)
{
    IRExecFrame frame;
    IRExecFrame *volatile saved = ir_exec_frame();

    ir_exec_frame_set(&frame);
    if (sigsetjmp(frame.jmp, 0)) {
        ir_exec_frame_set(saved);
        *retaddr = frame.retaddr;
        return false;
    }
    *exit_value = be->exec(env, tb);
    ir_exec_frame_set(saved);
    return true;
}

static void run_one(IRTestEnv *t, const IRTestCase *tc, unsigned c, unsigned input,
                    IRTestResult *r)
{
    const IRBackend *be = t->config_backend[c];
    uint64_t exit_value = 0;
    uintptr_t retaddr = 0;

    memset(&t->run_state, 0, sizeof(t->run_state));
    memset(t->guest_mem, 0, IRT_GUEST_SIZE);
    if (tc->setup) {
        tc->setup(&t->run_state, t->guest_mem, input, tc->opaque);
    }
    memset(r, 0, sizeof(*r));
    r->insn_tb = -1;
    t->config = c;
    current_env = t;

    if (irt_exec_guarded(be, &t->run_state, &t->tbs[c][0], &exit_value, &retaddr)) {
        r->exit_value = exit_value;
        for (unsigned k = 0; k < nb_tbs(tc); k++) {
            if ((exit_value & ~(uint64_t)IR_EXIT_SLOT_MASK) == (uintptr_t)&t->tbs[c][k]) {
                r->exit_value = irt_exit(k, exit_value & IR_EXIT_SLOT_MASK);
            }
        }
    } else {
        const TranslationBlock *tb = NULL;

        r->raised = true;
        r->insn_found = be->find_insn(retaddr, &tb, r->insn_words);
        for (unsigned k = 0; r->insn_found && k < nb_tbs(tc); k++) {
            if (tb == &t->tbs[c][k]) {
                r->insn_tb = k;
            }
        }
    }
    r->state = t->run_state;
    memcpy(r->mem, t->guest_mem, IRT_GUEST_SIZE);
}

static int first_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
    if (!memcmp(a, b, n)) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return i;
        }
    }
    return -1;
}

/* What differs between two results, or NULL. */
static char *result_diff(const IRTestResult *a, const IRTestResult *b)
{
    const IRTestState *x = &a->state, *y = &b->state;
    int d;

    if (a->raised != b->raised) {
        return g_strdup_printf("raised: %d vs %d", a->raised, b->raised);
    }
    if (!a->raised && a->exit_value != b->exit_value) {
        return g_strdup_printf("exit value: 0x%" PRIx64 " vs 0x%" PRIx64,
                               a->exit_value, b->exit_value);
    }
    if (a->raised && (a->insn_found != b->insn_found || a->insn_tb != b->insn_tb ||
                      memcmp(a->insn_words, b->insn_words, sizeof(a->insn_words)))) {
        return g_strdup_printf("insn after raise: found %d tb %d pc 0x%" PRIx64
                               " vs found %d tb %d pc 0x%" PRIx64,
                               a->insn_found, a->insn_tb, a->insn_words[0],
                               b->insn_found, b->insn_tb, b->insn_words[0]);
    }
    for (unsigned k = 0; k < IRT_NREGS; k++) {
        if (x->r[k] != y->r[k]) {
            return g_strdup_printf("r%u: 0x%" PRIx64 " vs 0x%" PRIx64, k, x->r[k], y->r[k]);
        }
    }
    for (unsigned k = 0; k < IRT_NWREGS; k++) {
        if (x->w[k] != y->w[k]) {
            return g_strdup_printf("w%u: 0x%" PRIx32 " vs 0x%" PRIx32, k, x->w[k], y->w[k]);
        }
    }
    if (x->fault_addr != y->fault_addr || x->fault_mop != y->fault_mop) {
        return g_strdup_printf("fault: 0x%" PRIx64 "/%" PRIu64 " vs 0x%" PRIx64 "/%" PRIu64,
                               x->fault_addr, x->fault_mop, y->fault_addr, y->fault_mop);
    }
    for (unsigned k = 0; k < G_N_ELEMENTS(x->seen); k++) {
        if (x->seen[k] != y->seen[k]) {
            return g_strdup_printf("seen[%u]: 0x%" PRIx64 " vs 0x%" PRIx64,
                                   k, x->seen[k], y->seen[k]);
        }
    }
    d = first_diff(x->scratch, y->scratch, IRT_SCRATCH_SIZE);
    if (d >= 0) {
        return g_strdup_printf("scratch byte %d: 0x%02x vs 0x%02x", d,
                               x->scratch[d], y->scratch[d]);
    }
    d = first_diff(a->mem, b->mem, IRT_GUEST_SIZE);
    if (d >= 0) {
        return g_strdup_printf("guest memory at 0x%x: 0x%02x vs 0x%02x",
                               IRT_GUEST_ADDR + d, a->mem[d], b->mem[d]);
    }
    return NULL;
}

bool irt_run(IRTestEnv *t, const IRTestCase *tc)
{
    unsigned ninputs = tc->nb_inputs ? tc->nb_inputs : 1;
    bool ok = true;

    for (unsigned c = 0; c < t->nb_configs; c++) {
        translate(t, tc, c);
    }
    for (unsigned in = 0; in < ninputs && ok; in++) {
        run_one(t, tc, 0, in, t->results[0]);
        if (tc->check) {
            tc->check(t->results[0], in, tc->opaque);
        }
        for (unsigned c = 1; c < t->nb_configs && ok; c++) {
            g_autofree char *diff = NULL;

            run_one(t, tc, c, in, t->results[1]);
            diff = result_diff(t->results[0], t->results[1]);
            if (diff) {
                g_printerr("IR case %s, input %u: %s disagrees with %s: ",
                           tc->name ? tc->name : "?", in, config_name(t, c),
                           t->config_backend[0]->name);
                g_printerr("%s\n", diff);
                irt_dump_case(t, tc);
                ok = false;
            }
        }
    }
    current_env = NULL;
    for (unsigned c = 0; c < t->nb_configs; c += 2) {
        t->config_backend[c]->flush();
    }
    if (!ok && !tc->no_assert) {
        g_error("IR case %s: the configurations disagree (details above)",
                tc->name ? tc->name : "?");
    }
    return ok;
}
