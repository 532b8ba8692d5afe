/*
 * Interrupts through the CLINT: a machine timer interrupt that ends a WFI,
 * a machine software interrupt raised through msip, and a timer interrupt
 * forwarded to S-mode the way firmware does it (M's handler sets mip.STIP,
 * mideleg hands the supervisor timer interrupt to S).
 */
#include "bare.h"

static volatile uint64_t m_count, m_cause, s_count, s_cause;
static volatile uint64_t timer_deadline, timer_seen_at;
/* Set: M's timer handler forwards the interrupt to S as STIP. */
static volatile int forward_timer;

/* The ECALL from S's timer handler asking M to clear mip.STIP. */
#define ECALL_CLEAR_STIP 0x5354

static void m_handler(TrapFrame *f, uint64_t cause)
{
    m_count++;
    m_cause = cause;
    if (cause == (CAUSE_INTERRUPT | IRQ_M_TIMER)) {
        timer_seen_at = *MTIME;
        /* no more timer interrupts until the next deadline */
        *MTIMECMP(0) = ~0ull;
        if (forward_timer) {
            csr_set(mip, 1u << IRQ_S_TIMER);
        }
    } else if (cause == (CAUSE_INTERRUPT | IRQ_M_SOFT)) {
        *MSIP(0) = 0;
    } else if (cause == EXC_ECALL_S && f->regs[17] == ECALL_CLEAR_STIP) {
        csr_clear(mip, 1u << IRQ_S_TIMER);
        csr_write(mepc, csr_read(mepc) + 4);
    } else {
        put_val("unexpected M trap", cause);
        test_exit(97);
    }
}

static void s_handler(TrapFrame *f, uint64_t cause)
{
    register uint64_t a7 asm("a7") = ECALL_CLEAR_STIP;

    (void)f;
    s_count++;
    s_cause = cause;
    /* S cannot clear STIP itself: M-mode does it */
    asm volatile("ecall" :: "r"(a7) : "memory");
}

static void wait_for(volatile uint64_t *count, uint64_t n)
{
    while (*count < n) {
        asm volatile("wfi");
    }
}

static void test_m_timer(void)
{
    m_count = 0;
    timer_deadline = *MTIME + 10000;
    *MTIMECMP(0) = timer_deadline;
    csr_set(mie, 1u << IRQ_M_TIMER);
    csr_set(mstatus, MSTATUS_MIE);
    wait_for(&m_count, 1);
    csr_clear(mstatus, MSTATUS_MIE);
    csr_clear(mie, 1u << IRQ_M_TIMER);
    put_str("machine timer\n");
    put_val("  interrupts", m_count);
    put_val("  mcause", m_cause);
    put_check("  not before mtimecmp", timer_seen_at >= timer_deadline);
    put_check("  mip.MTIP clear", !(csr_read(mip) & (1u << IRQ_M_TIMER)));
}

static void test_m_soft(void)
{
    m_count = 0;
    csr_set(mie, 1u << IRQ_M_SOFT);
    *MSIP(0) = 1;
    csr_set(mstatus, MSTATUS_MIE);
    wait_for(&m_count, 1);
    csr_clear(mstatus, MSTATUS_MIE);
    csr_clear(mie, 1u << IRQ_M_SOFT);
    put_str("machine software\n");
    put_val("  interrupts", m_count);
    put_val("  mcause", m_cause);
    put_val("  msip", *MSIP(0));
    put_check("  mip.MSIP clear", !(csr_read(mip) & (1u << IRQ_M_SOFT)));
}

static void s_code(void)
{
    csr_set(sie, 1u << IRQ_S_TIMER);
    csr_set(sstatus, MSTATUS_SIE);
    wait_for(&s_count, 1);
    csr_clear(sstatus, MSTATUS_SIE);
    mode_return(csr_read(sip));
}

static void test_s_timer(void)
{
    uint64_t sip;

    m_count = s_count = 0;
    forward_timer = 1;
    s_trap_hook = s_handler;
    csr_write(mideleg, 1u << IRQ_S_TIMER);
    /* In S-mode, M-mode interrupts are taken whatever mstatus.MIE says. */
    csr_set(mie, (1u << IRQ_M_TIMER) | (1u << IRQ_S_TIMER));
    *MTIMECMP(0) = *MTIME + 10000;
    sip = goto_mode(1, s_code);
    csr_clear(mie, (1u << IRQ_M_TIMER) | (1u << IRQ_S_TIMER));
    put_str("timer forwarded to S\n");
    put_val("  M interrupts", m_count);
    put_val("  last mcause", m_cause);
    put_val("  S interrupts", s_count);
    put_val("  scause", s_cause);
    put_val("  sip after", sip);
}

int main(void)
{
    m_trap_hook = m_handler;
    test_m_timer();
    test_m_soft();
    test_s_timer();
    put_str("done\n");
    return 0;
}
