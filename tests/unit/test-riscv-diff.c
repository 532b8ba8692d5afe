/*
 * The riscv64 frontend on both backends, differentially: random RV64
 * programs (integer and M instructions with random operands, loads and
 * stores around a scratch area, forward branches, counted loops that stay
 * inside one TB) run in a small user-mode guest space under the
 * interpreter and under the JIT, and must end in identical states:
 * registers, pc, the exception that stopped them, and memory.
 *
 * Register use: x31 points at the middle of the scratch area and x30 counts loops, so
 * the random instructions never write them; every other register is fair
 * game. Programs end with ecall (or earlier with an exception: an
 * illegal encoding stops both backends at the same instruction).
 */
#include <string.h>
#include <sys/mman.h>

#include "linux-user/guest-mem.h"
#include "proteus/translator.h"
#include "target/riscv/cpu.h"

#define CODE_ADDR    0x10000ull
#define SCRATCH_ADDR 0x20000ull
#define SCRATCH_SIZE 4096
#define MAX_WORDS    200

/* ---- encoders (RISC-V unprivileged spec, ch. 2 formats) ---- */

static uint32_t enc_r(unsigned f7, unsigned rs2, unsigned rs1, unsigned f3, unsigned rd,
                      unsigned opc)
{
    return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}

static uint32_t enc_i(int imm, unsigned rs1, unsigned f3, unsigned rd, unsigned opc)
{
    return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}

static uint32_t enc_s(int imm, unsigned rs2, unsigned rs1, unsigned f3, unsigned opc)
{
    uint32_t u = (uint32_t)imm;

    return (u >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u & 0x1f) << 7 | opc;
}

static uint32_t enc_b(int off, unsigned rs2, unsigned rs1, unsigned f3)
{
    uint32_t u = (uint32_t)off;

    return (u >> 12 & 1) << 31 | (u >> 5 & 0x3f) << 25 | rs2 << 20 | rs1 << 15 |
           f3 << 12 | (u >> 1 & 0xf) << 8 | (u >> 11 & 1) << 7 | 0x63;
}

#define ECALL 0x00000073u

/* ---- random programs ---- */

typedef struct Prog {
    uint32_t words[MAX_WORDS + 8];
    unsigned n;
} Prog;

/* A destination: any register but x0's special role is fine, not x30/x31. */
static unsigned rand_rd(GRand *r)
{
    return g_rand_int_range(r, 0, 30);
}

static unsigned rand_rs(GRand *r)
{
    return g_rand_int_range(r, 0, 32);
}

static int rand_imm12(GRand *r)
{
    static const int edge[] = { 0, 1, -1, 2047, -2048, 31, 32, 63 };

    return g_rand_boolean(r) ? edge[g_rand_int_range(r, 0, G_N_ELEMENTS(edge))]
                             : g_rand_int_range(r, -2048, 2048);
}

static void emit(Prog *p, uint32_t w)
{
    p->words[p->n++] = w;
}

/* (funct7, funct3) of the R-type instructions: RV64I, M, Zba, Zbb, Zbs,
 * Zicond for OP; their W forms for OP-32. */
static const uint8_t op_funcs[][2] = {
    { 0x00, 0 }, { 0x20, 0 }, { 0x00, 1 }, { 0x00, 2 }, { 0x00, 3 }, { 0x00, 4 },
    { 0x00, 5 }, { 0x20, 5 }, { 0x00, 6 }, { 0x00, 7 },
    { 0x01, 0 }, { 0x01, 1 }, { 0x01, 2 }, { 0x01, 3 }, { 0x01, 4 }, { 0x01, 5 },
    { 0x01, 6 }, { 0x01, 7 },
    { 0x10, 2 }, { 0x10, 4 }, { 0x10, 6 },                     /* sh1add.. */
    { 0x20, 7 }, { 0x20, 6 }, { 0x20, 4 },                     /* andn, orn, xnor */
    { 0x05, 4 }, { 0x05, 5 }, { 0x05, 6 }, { 0x05, 7 },        /* min, minu, max, maxu */
    { 0x30, 1 }, { 0x30, 5 },                                  /* rol, ror */
    { 0x24, 1 }, { 0x24, 5 }, { 0x34, 1 }, { 0x14, 1 },        /* bclr, bext, binv, bset */
    { 0x07, 5 }, { 0x07, 7 },                                  /* czero.eqz, czero.nez */
};
static const uint8_t op32_funcs[][2] = {
    { 0x00, 0 }, { 0x20, 0 }, { 0x00, 1 }, { 0x00, 5 }, { 0x20, 5 },
    { 0x01, 0 }, { 0x01, 4 }, { 0x01, 5 }, { 0x01, 6 }, { 0x01, 7 },
    { 0x04, 0 }, { 0x10, 2 }, { 0x10, 4 }, { 0x10, 6 },        /* add.uw, shNadd.uw */
    { 0x30, 1 }, { 0x30, 5 },                                  /* rolw, rorw */
};

/* One straight-line instruction of the OP, OP-IMM, OP-32, OP-IMM-32, LUI,
 * AUIPC, LOAD or STORE major opcodes; now and then a random word of those
 * opcodes, which may be an illegal encoding (part of the test too). */
static void emit_random_insn(Prog *p, GRand *r)
{
    unsigned rd = rand_rd(r), rs1 = rand_rs(r), rs2 = rand_rs(r);
    unsigned f3 = g_rand_int_range(r, 0, 8);
    int off = g_rand_int_range(r, -2048, 2048 - 8);
    const uint8_t *f;

    switch (g_rand_int_range(r, 0, 10)) {
    case 0:
    case 1:
        f = op_funcs[g_rand_int_range(r, 0, G_N_ELEMENTS(op_funcs))];
        emit(p, enc_r(f[0], rs2, rs1, f[1], rd, 0x33));
        break;
    case 2:
        f = op32_funcs[g_rand_int_range(r, 0, G_N_ELEMENTS(op32_funcs))];
        emit(p, enc_r(f[0], rs2, rs1, f[1], rd, 0x3b));
        break;
    case 3:
        if (f3 == 1 || f3 == 5) {                                /* shifts */
            emit(p, enc_i((f3 == 5 && g_rand_boolean(r) ? 0x400 : 0) |
                          g_rand_int_range(r, 0, 64), rs1, f3, rd, 0x13));
        } else {
            emit(p, enc_i(rand_imm12(r), rs1, f3, rd, 0x13));    /* OP-IMM */
        }
        break;
    case 4:
        if (f3 == 1 || f3 == 5) {
            emit(p, enc_i((f3 == 5 && g_rand_boolean(r) ? 0x400 : 0) |
                          g_rand_int_range(r, 0, 32), rs1, f3, rd, 0x1b));
        } else {
            emit(p, enc_i(rand_imm12(r), rs1, 0, rd, 0x1b));     /* addiw */
        }
        break;
    case 5:
        emit(p, (g_rand_int(r) & 0xfffff000) | rd << 7 | (g_rand_boolean(r) ? 0x37 : 0x17));
        break;
    case 6:
    case 7:
        emit(p, enc_i(off, 31, f3 == 7 ? 3 : f3, rd, 0x03));     /* loads */
        break;
    case 8:
        emit(p, enc_s(off, rs2, 31, f3 & 3, 0x23));              /* stores */
        break;
    default:
        if (g_rand_int_range(r, 0, 40) == 0) {
            /* any word of these opcodes: mostly unknown encodings */
            emit(p, (g_rand_int(r) & ~0xfffu) | rd << 7 | (g_rand_boolean(r) ? 0x33 : 0x13));
        } else {
            emit(p, enc_i(rand_imm12(r), rs1, 0, rd, 0x13));
        }
        break;
    }
}

static Prog *gen_program(GRand *r)
{
    Prog *p = g_new0(Prog, 1);

    while (p->n < MAX_WORDS - 12) {
        unsigned kind = g_rand_int_range(r, 0, 20);

        if (kind == 0) {
            /* a forward conditional branch over 1..4 instructions */
            unsigned skip = g_rand_int_range(r, 1, 5);

            emit(p, enc_b(4 * (skip + 1), rand_rs(r), rand_rs(r), g_rand_int_range(r, 4, 8)));
            for (unsigned k = 0; k < skip; k++) {
                emit_random_insn(p, r);
            }
        } else if (kind == 1) {
            /* a counted loop whose body is one TB: x30 = n; body; x30--; bnez */
            unsigned body = g_rand_int_range(r, 1, 6);

            emit(p, enc_i(g_rand_int_range(r, 1, 20), 0, 0, 30, 0x13));
            for (unsigned k = 0; k < body; k++) {
                emit_random_insn(p, r);
            }
            emit(p, enc_i(-1, 30, 0, 30, 0x13));
            emit(p, enc_b(-4 * (int)(body + 1), 0, 30, 1));
        } else {
            emit_random_insn(p, r);
        }
    }
    emit(p, ECALL);
    return p;
}

/* ---- running ---- */

typedef struct RunResult {
    uint64_t gpr[32];
    uint64_t pc;
    int excp;
    uint8_t scratch[SCRATCH_SIZE];
} RunResult;

static void run_on(const IRBackend *backend, const Prog *p, uint64_t seed, RunResult *out)
{
    GError *err = NULL;
    RiscvCPU *cpu;
    GRand *init = g_rand_new_with_seed(seed);
    uint32_t exts;

    g_assert_true(tcg_exec_init(backend, &err));
    g_assert_no_error(err);
    tb_flush(NULL);
    memcpy(guest_to_host(CODE_ADDR), p->words, sizeof(p->words));
    for (unsigned k = 0; k < SCRATCH_SIZE; k++) {
        ((uint8_t *)guest_to_host(SCRATCH_ADDR))[k] = g_rand_int(init);
    }
    g_assert_true(riscv_cpu_parse_model("rv64", &exts, &err));
    cpu = riscv_cpu_new(exts);
    for (int i = 1; i < 30; i++) {
        cpu->gpr[i] = ((uint64_t)g_rand_int(init) << 32) | g_rand_int(init);
    }
    cpu->gpr[30] = 0;
    cpu->gpr[31] = SCRATCH_ADDR + 2048;
    cpu->pc = CODE_ADDR;
    cpu->parent.exit_on_exception = true;
    do {
        out->excp = cpu_exec(&cpu->parent);
    } while (out->excp == EXCP_INTERRUPT);
    memcpy(out->gpr, cpu->gpr, sizeof(out->gpr));
    out->pc = cpu->pc;
    memcpy(out->scratch, guest_to_host(SCRATCH_ADDR), SCRATCH_SIZE);
    riscv_cpu_free(cpu);
    g_rand_free(init);
}

static void test_random_programs(void)
{
    unsigned count = g_test_slow() ? 5000 : 1000, completed = 0;
    GRand *r = g_rand_new_with_seed(20261124);

    for (unsigned k = 0; k < count; k++) {
        g_autofree Prog *p = gen_program(r);
        uint64_t seed = g_rand_int(r);
        RunResult a = { 0 }, b = { 0 };

        run_on(ir_backends[0], p, seed, &a);
        run_on(ir_backends[1], p, seed, &b);
        if (memcmp(&a, &b, sizeof(a)) != 0) {
            for (int i = 0; i < 32; i++) {
                if (a.gpr[i] != b.gpr[i]) {
                    g_test_message("program %u: x%d interp %016" G_GINT64_MODIFIER
                                   "x jit %016" G_GINT64_MODIFIER "x", k, i, a.gpr[i],
                                   b.gpr[i]);
                }
            }
            g_test_message("program %u: pc %" G_GINT64_MODIFIER "x / %" G_GINT64_MODIFIER
                           "x, exception %d / %d", k, a.pc, b.pc, a.excp, b.excp);
            for (unsigned w = 0; w < p->n; w++) {
                char text[96];

                riscv_disas(CODE_ADDR + 4 * w, (const uint8_t *)&p->words[w], 4, text,
                            sizeof(text));
                g_test_message("  %05llx: %08x  %s", CODE_ADDR + 4 * w, p->words[w], text);
            }
        }
        g_assert_cmpmem(&a, sizeof(a), &b, sizeof(b));
        /* every program reaches its ecall or stops at an illegal encoding */
        g_assert_true(a.excp == RISCV_EXCP_U_ECALL || a.excp == RISCV_EXCP_ILLEGAL_INST);
        completed += a.excp == RISCV_EXCP_U_ECALL;
    }
    /* most programs run to their end: the test exercises long code */
    g_test_message("%u of %u programs reached their ecall", completed, count);
    g_assert_cmpuint(completed, >, count / 2);
    g_rand_free(r);
}

int main(int argc, char **argv)
{
    GError *err = NULL;

    g_test_init(&argc, &argv, NULL);
    g_assert_nonnull(ir_backends[1]);
    g_assert_true(guest_mem_init(1ull << 24, &err));
    g_assert_no_error(err);
    g_assert_cmpint(guest_mmap(CODE_ADDR, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                               MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ==, CODE_ADDR);
    g_assert_cmpint(guest_mmap(SCRATCH_ADDR, SCRATCH_SIZE, PROT_READ | PROT_WRITE,
                               MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ==,
                    SCRATCH_ADDR);
    ir_mem_model = IR_MEM_USER;
    riscv_helpers_init();
    g_test_add_func("/riscv/diff/random-programs", test_random_programs);
    return g_test_run();
}
