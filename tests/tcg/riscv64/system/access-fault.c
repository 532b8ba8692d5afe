/*
 * Access faults from the physical memory map: a load, a store and an
 * instruction fetch at an address of the virt board where no device
 * answers (a vacant region, which supports no access: the privileged
 * spec's PMA section makes each an access-fault exception).
 */
#include "bare.h"

/* In the first page of the board's map, where nothing is. */
#define VACANT 0x8ul

static volatile uint64_t trap_count, trap_cause, trap_epc, trap_tval;

/* Records the trap; a fetch fault goes back to the caller (ra). */
static void record(TrapFrame *f, uint64_t cause)
{
    trap_count++;
    trap_cause = cause;
    trap_epc = csr_read(mepc);
    trap_tval = csr_read(mtval);
    if (cause == 1) {
        csr_write(mepc, f->regs[1]);
    } else {
        csr_write(mepc, trap_epc + insn_length(trap_epc));
    }
}

static void reset_record(void)
{
    trap_count = 0;
    trap_cause = trap_epc = trap_tval = ~0ull;
}

static void report(const char *what, uint64_t pc)
{
    put_str(what);
    put_str("\n");
    put_val("  traps", trap_count);
    put_val("  mcause", trap_cause);
    put_check("  mepc is the instruction", trap_epc == pc);
    put_val("  mtval", trap_tval);
}

static void test_load(void)
{
    uint64_t pc, v = 0x1234;

    reset_record();
    asm volatile("la %0, 1f\n1: ld %1, 0(%2)"
                 : "=&r"(pc), "+r"(v) : "r"(VACANT) : "memory");
    report("load", pc);
    put_check("  destination unchanged", v == 0x1234);
}

static void test_store(void)
{
    uint64_t pc;

    reset_record();
    asm volatile("la %0, 1f\n1: sd %1, 0(%2)"
                 : "=&r"(pc) : "r"(0x5678ul), "r"(VACANT) : "memory");
    report("store", pc);
}

static void test_fetch(void)
{
    reset_record();
    ((void (*)(void))VACANT)();
    report("fetch", VACANT);
}

int main(void)
{
    m_trap_hook = record;
    test_load();
    test_store();
    test_fetch();
    put_str("done\n");
    return 0;
}
