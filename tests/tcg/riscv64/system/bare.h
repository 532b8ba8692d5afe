/*
 * Shared helpers of the bare-metal guest tests (crt.S, bare.c): CSR
 * access, the virt board's devices, UART output, the trap hooks and
 * privilege-mode switches.
 */
#ifndef BARE_H
#define BARE_H

#include <stdint.h>

#define csr_read(csr) ({ \
    uint64_t v_; \
    asm volatile("csrr %0, " #csr : "=r"(v_) :: "memory"); \
    v_; })
#define csr_write(csr, v) asm volatile("csrw " #csr ", %0" :: "r"((uint64_t)(v)) : "memory")
#define csr_set(csr, v) asm volatile("csrs " #csr ", %0" :: "r"((uint64_t)(v)) : "memory")
#define csr_clear(csr, v) asm volatile("csrc " #csr ", %0" :: "r"((uint64_t)(v)) : "memory")

/* mstatus / sstatus bits */
#define MSTATUS_SIE (1ull << 1)
#define MSTATUS_MIE (1ull << 3)
#define MSTATUS_SPP (1ull << 8)

/* interrupt numbers (mip/mie/mideleg bits, low bits of an interrupt cause) */
#define IRQ_S_SOFT 1
#define IRQ_M_SOFT 3
#define IRQ_S_TIMER 5
#define IRQ_M_TIMER 7
#define CAUSE_INTERRUPT (1ull << 63)

/* exception causes */
#define EXC_INSN_MISALIGNED 0
#define EXC_ILLEGAL_INSN 2
#define EXC_BREAKPOINT 3
#define EXC_LOAD_MISALIGNED 4
#define EXC_LOAD_ACCESS 5
#define EXC_STORE_ACCESS 7
#define EXC_ECALL_U 8
#define EXC_ECALL_S 9
#define EXC_ECALL_M 11
#define EXC_INSN_PAGE 12
#define EXC_LOAD_PAGE 13
#define EXC_STORE_PAGE 15

/* CLINT (ACLINT MSWI + MTIMER), mtime at 10 MHz */
#define CLINT_BASE 0x02000000ul
#define MSIP(h) ((volatile uint32_t *)(CLINT_BASE + 4 * (h)))
#define MTIMECMP(h) ((volatile uint64_t *)(CLINT_BASE + 0x4000 + 8 * (h)))
#define MTIME ((volatile uint64_t *)(CLINT_BASE + 0xbff8))

/* The ECALL argument (a7) that asks M-mode for mode_return(). */
#define ECALL_RETURN_TO_M 0x4d5245ul

/* A trap frame: x0..x31 as saved by crt.S (regs[2] is the trapped sp). */
typedef struct TrapFrame {
    uint64_t regs[32];
} TrapFrame;

/*
 * Hooks of the tests: called for each trap taken in M-mode (resp. S-mode),
 * except an ECALL_RETURN_TO_M ECALL. They may change xepc.
 */
extern void (*m_trap_hook)(TrapFrame *f, uint64_t cause);
extern void (*s_trap_hook)(TrapFrame *f, uint64_t cause);

int main(void);
void secondary_main(uint64_t hartid);

void put_str(const char *s);
void put_hex(uint64_t v);
/* "name: 0x...\n" */
void put_val(const char *name, uint64_t v);
/* "name: yes\n" or "name: no\n" */
void put_check(const char *name, int ok);

/* Ends the run: status 0 powers off, others exit with that status. */
void __attribute__((noreturn)) test_exit(int status);

/* Runs fn in mode 0 (U) or 1 (S); returns what fn passes to mode_return. */
uint64_t goto_mode(unsigned mode, void (*fn)(void));
void __attribute__((noreturn)) mode_return(uint64_t v);

/* Length of the instruction at pc, so that a handler can step over it. */
unsigned insn_length(uint64_t pc);

#endif
