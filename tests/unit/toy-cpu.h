/*
 * A made-up guest for testing the translator core: fixed 8-byte
 * instructions, eight 64-bit registers, 64 KiB of guest memory at address
 * 0, and one TB flag (the mode bit). Small enough to read in one go, rich
 * enough to exercise chaining, goto_ptr, self-modifying code, precise
 * traps, interrupts and halts on every backend.
 *
 * Encoding, one little-endian 64-bit word:
 *   bits 0-7 opcode, 8-15 rd, 16-23 rs, 24-31 rt, 32-63 imm (signed)
 * Branch and jump offsets are relative to the branch's own address.
 */
#ifndef PROTEUS_TESTS_TOY_CPU_H
#define PROTEUS_TESTS_TOY_CPU_H

#include <stdint.h>

#include "proteus/cpu.h"

enum {
    TOY_ILLEGAL = 0,   /* raises EXCP_TOY_ILLEGAL (as does any unknown opcode) */
    TOY_ADDI,          /* rd = rs + imm  (mode 1: rd = rs - imm) */
    TOY_ADD,           /* rd = rs + rt */
    TOY_BEQ,           /* if rs == rt: pc += imm */
    TOY_BNE,           /* if rs != rt: pc += imm */
    TOY_JMP,           /* pc += imm */
    TOY_JR,            /* pc = rs (through goto_ptr) */
    TOY_LD,            /* rd = mem64[rs + imm] */
    TOY_ST,            /* mem64[rs + imm] = rt (plain guest store) */
    TOY_STX,           /* the same through a helper that invalidates code it changes */
    TOY_TRAPNZ,        /* if rs != 0: raise EXCP_TOY_TRAP, arg = imm (helper) */
    TOY_HALT,          /* halt until an interrupt, pc = next */
    TOY_MODE,          /* mode = imm & 1 (a TB flag) */
    TOY_SETI,          /* interrupts enabled = imm & 1; back to the loop */
    TOY_LD32A,         /* rd = sext(mem32[rs + imm]), MO_ALIGN */
    TOY_ST16,          /* mem16[rs + imm] = rt */
    TOY_AMOADD,        /* rd = mem64[rs + imm]; mem64[rs + imm] += rt, atomically */
    TOY_LDBE,          /* rd = big-endian mem32[rs + imm], zero-extended */
    TOY_STBE,          /* big-endian mem32[rs + imm] = rt */
};

/* The toy's exceptions; do_interrupt sets epc/cause and jumps to trap_vector. */
enum {
    EXCP_TOY_TRAP = 1,
    EXCP_TOY_ILLEGAL = 2,
    EXCP_TOY_FETCH = 3,      /* instruction fetch outside memory */
    TOY_CAUSE_IRQ = 16,      /* cause of an interrupt taken by exec_interrupt */
};

#define TOY_MEM_SIZE 0x10000u
#define TOY_NREGS 8

typedef struct ToyCPU {
    CPUState parent;
    uint64_t regs[TOY_NREGS];
    uint64_t pc;
    uint32_t mode;
    uint32_t irq_enabled;
    uint64_t epc, cause, trap_arg;
    uint64_t trap_vector;
} ToyCPU;

extern const CPUClass toy_cpu_class;
extern uint8_t *toy_mem;
/* Lowers the instructions per TB (0: the core's default). */
extern int toy_max_insns;

/*
 * Softmmu mode, used when ir_mem_model is IR_MEM_SOFTMMU (set before the
 * first translation): guest accesses and instruction fetches go through
 * the CPU's TLB (MMU index 0) to the system address space, and TLB misses
 * call toy_tlb_fill_fn (the class's tlb_fill hook, see cpu.h). TOY_STX
 * and toy_put/toy_get work on toy_mem, so they are for user mode only.
 */
extern bool (*toy_tlb_fill_fn)(CPUState *cpu, uint64_t addr, unsigned size,
                               MMUAccessType type, unsigned mmu_idx, bool probe,
                               uintptr_t retaddr);

/* Allocates guest memory (zeroed: all TOY_ILLEGAL) and sets ir_guest_base. */
void toy_mem_init(void);
void toy_mem_free(void);
ToyCPU *toy_cpu_new(void);
void toy_cpu_free(ToyCPU *cpu);

static inline uint64_t toy_insn(unsigned op, unsigned rd, unsigned rs, unsigned rt,
                                int32_t imm)
{
    return op | (uint64_t)rd << 8 | (uint64_t)rs << 16 | (uint64_t)rt << 24 |
           (uint64_t)(uint32_t)imm << 32;
}

/* Stores a 64-bit little-endian word in guest memory. */
void toy_put(uint64_t addr, uint64_t word);
uint64_t toy_get(uint64_t addr);
/* Disassembles one instruction into buf (for -d in_asm). */
void toy_disas(uint64_t insn, char *buf, size_t size);

#endif
