/*
 * Runtime of the bare-metal guest tests: UART output, exit through the
 * SiFive test device and the C side of the trap vectors in crt.S.
 */
#include "bare.h"

#define UART_THR ((volatile uint8_t *)0x10000000)
#define UART_LSR ((volatile uint8_t *)0x10000005)
#define LSR_THRE 0x20
#define TEST_DEVICE ((volatile uint32_t *)0x100000)

void (*m_trap_hook)(TrapFrame *f, uint64_t cause);
void (*s_trap_hook)(TrapFrame *f, uint64_t cause);

void resume_m(uint64_t v);
void m_trap(TrapFrame *f);
void s_trap(TrapFrame *f);

static void put_char(char c)
{
    while (!(*UART_LSR & LSR_THRE)) {
    }
    *UART_THR = c;
}

void put_str(const char *s)
{
    while (*s) {
        put_char(*s++);
    }
}

void put_hex(uint64_t v)
{
    put_str("0x");
    for (int i = 60; i >= 0; i -= 4) {
        put_char("0123456789abcdef"[(v >> i) & 15]);
    }
}

void put_val(const char *name, uint64_t v)
{
    put_str(name);
    put_str(": ");
    put_hex(v);
    put_char('\n');
}

void put_check(const char *name, int ok)
{
    put_str(name);
    put_str(ok ? ": yes\n" : ": no\n");
}

void test_exit(int status)
{
    *TEST_DEVICE = status ? ((uint32_t)status << 16) | 0x3333 : 0x5555;
    for (;;) {
        asm volatile("wfi");
    }
}

void mode_return(uint64_t v)
{
    register uint64_t a0 asm("a0") = v;
    register uint64_t a7 asm("a7") = ECALL_RETURN_TO_M;

    asm volatile("ecall" :: "r"(a0), "r"(a7) : "memory");
    for (;;) {
    }
}

unsigned insn_length(uint64_t pc)
{
    return (*(volatile uint16_t *)pc & 3) == 3 ? 4 : 2;
}

static int is_return_ecall(TrapFrame *f, uint64_t cause)
{
    return (cause == EXC_ECALL_U || cause == EXC_ECALL_S ||
            cause == EXC_ECALL_M) && f->regs[17] == ECALL_RETURN_TO_M;
}

void m_trap(TrapFrame *f)
{
    uint64_t cause = csr_read(mcause);

    if (is_return_ecall(f, cause)) {
        resume_m(f->regs[10]);
    }
    if (!m_trap_hook) {
        put_val("unexpected M trap, mcause", cause);
        put_val("mepc", csr_read(mepc));
        put_val("mtval", csr_read(mtval));
        test_exit(99);
    }
    m_trap_hook(f, cause);
}

/* An ECALL_RETURN_TO_M from U-mode delegated to S goes on to M-mode. */
void s_trap(TrapFrame *f)
{
    uint64_t cause = csr_read(scause);

    if (is_return_ecall(f, cause)) {
        mode_return(f->regs[10]);
    }
    if (!s_trap_hook) {
        put_val("unexpected S trap, scause", cause);
        put_val("sepc", csr_read(sepc));
        put_val("stval", csr_read(stval));
        test_exit(98);
    }
    s_trap_hook(f, cause);
}

/* Harts other than 0 wait unless a test gives them work. */
__attribute__((weak)) void secondary_main(uint64_t hartid)
{
    (void)hartid;
    for (;;) {
        asm volatile("wfi");
    }
}
