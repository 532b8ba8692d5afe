/*
 * Interpreter benchmark: a small register-machine bytecode VM whose
 * dispatch loop is a switch, running a loop that steps an LCG, updates a
 * table in VM memory and branches on the data. Indirect jumps from a
 * table, short dependent blocks, and a hard-to-predict branch in the
 * guest program: what language runtimes make an emulator do.
 */
#include <stdlib.h>

#include "bench-user.h"

enum {
    OP_LOADI,   /* r[a] = imm */
    OP_ADD,     /* r[a] = r[b] + r[c] */
    OP_MUL,     /* r[a] = r[b] * r[c] */
    OP_XOR,     /* r[a] = r[b] ^ r[c] */
    OP_ANDI,    /* r[a] = r[b] & imm */
    OP_SHRI,    /* r[a] = r[b] >> imm */
    OP_LOAD,    /* r[a] = mem[r[b]] */
    OP_STORE,   /* mem[r[b]] = r[a] */
    OP_DEC,     /* r[a] -= 1 */
    OP_JZ,      /* if r[a] == 0 goto imm */
    OP_JNZ,     /* if r[a] != 0 goto imm */
    OP_HALT,
};

typedef struct Insn {
    uint8_t op, a, b, c;
    int64_t imm;
} Insn;

#define MEM_WORDS 1024
#define ITERATIONS (16 * 1000 * 1000)

static const Insn program[] = {
    { OP_LOADI, 0, 0, 0, ITERATIONS },
    { OP_LOADI, 1, 0, 0, 0 },
    { OP_LOADI, 2, 0, 0, 12345 },
    { OP_LOADI, 3, 0, 0, 6364136223846793005 },
    { OP_LOADI, 4, 0, 0, 1442695040888963407 },
    /* 5: loop */
    { OP_MUL, 2, 2, 3, 0 },
    { OP_ADD, 2, 2, 4, 0 },
    { OP_SHRI, 5, 2, 0, 33 },
    { OP_ANDI, 6, 5, 0, MEM_WORDS - 1 },
    { OP_LOAD, 7, 6, 0, 0 },
    { OP_ADD, 7, 7, 5, 0 },
    { OP_STORE, 7, 6, 0, 0 },
    { OP_XOR, 1, 1, 7, 0 },
    { OP_ANDI, 7, 5, 0, 1 },
    { OP_JZ, 7, 0, 0, 16 },
    { OP_ADD, 1, 1, 6, 0 },
    /* 16: */
    { OP_DEC, 0, 0, 0, 0 },
    { OP_JNZ, 0, 0, 0, 5 },
    { OP_HALT, 0, 0, 0, 0 },
};

static uint64_t run(const Insn *code, uint64_t *mem)
{
    uint64_t r[8] = { 0 };
    size_t pc = 0;

    for (;;) {
        const Insn *i = &code[pc++];
        switch (i->op) {
        case OP_LOADI:
            r[i->a] = i->imm;
            break;
        case OP_ADD:
            r[i->a] = r[i->b] + r[i->c];
            break;
        case OP_MUL:
            r[i->a] = r[i->b] * r[i->c];
            break;
        case OP_XOR:
            r[i->a] = r[i->b] ^ r[i->c];
            break;
        case OP_ANDI:
            r[i->a] = r[i->b] & i->imm;
            break;
        case OP_SHRI:
            r[i->a] = r[i->b] >> i->imm;
            break;
        case OP_LOAD:
            r[i->a] = mem[r[i->b] % MEM_WORDS];
            break;
        case OP_STORE:
            mem[r[i->b] % MEM_WORDS] = r[i->a];
            break;
        case OP_DEC:
            r[i->a]--;
            break;
        case OP_JZ:
            if (r[i->a] == 0) {
                pc = i->imm;
            }
            break;
        case OP_JNZ:
            if (r[i->a] != 0) {
                pc = i->imm;
            }
            break;
        case OP_HALT:
            return r[1];
        default:
            abort();
        }
    }
}

int main(void)
{
    static uint64_t mem[MEM_WORDS];
    uint64_t sum = run(program, mem);

    for (int i = 0; i < MEM_WORDS; i++) {
        sum = (sum ^ mem[i]) * 0x100000001b3ull;
    }
    bench_print_checksum("interp", sum);
    return 0;
}
