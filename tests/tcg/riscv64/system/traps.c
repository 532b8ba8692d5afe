/*
 * Synchronous traps on the virt board: in M-mode an illegal instruction,
 * EBREAK and a misaligned load; then an ECALL from U-mode delegated to S
 * (medeleg) and an ECALL from S-mode taken in M. Exits with status 3 through the test device.
 */
#include "bare.h"

/* What the last trap left in the CSRs of the mode that took it. */
static volatile uint64_t trap_count, trap_cause, trap_epc, trap_tval;

/* Records the trap and steps over the instruction that raised it. */
static void record_m(TrapFrame *f, uint64_t cause)
{
    (void)f;
    trap_count++;
    trap_cause = cause;
    trap_epc = csr_read(mepc);
    trap_tval = csr_read(mtval);
    csr_write(mepc, trap_epc + insn_length(trap_epc));
}

static void record_s(TrapFrame *f, uint64_t cause)
{
    (void)f;
    trap_count++;
    trap_cause = cause;
    trap_epc = csr_read(sepc);
    trap_tval = csr_read(stval);
    csr_write(sepc, trap_epc + insn_length(trap_epc));
}

static void reset_record(void)
{
    trap_count = 0;
    trap_cause = trap_epc = trap_tval = ~0ull;
}

/* The common lines of one M-mode trap: count, cause, epc against pc. */
static void report(const char *what, uint64_t pc)
{
    put_str(what);
    put_str("\n");
    put_val("  traps", trap_count);
    put_val("  cause", trap_cause);
    put_check("  epc is the instruction", trap_epc == pc);
}

static void test_illegal(void)
{
    uint64_t pc;

    reset_record();
    /* custom-0 opcode: no standard extension defines it */
    asm volatile(".option push\n.option norvc\n"
                 "la %0, 1f\n1: .word 0x1234500b\n.option pop"
                 : "=&r"(pc) :: "memory");
    report("illegal instruction", pc);
    /* mtval may be 0 or the instruction bits */
    put_check("  tval is 0 or the instruction",
              trap_tval == 0 || trap_tval == 0x1234500b);
}

static void test_ebreak(void)
{
    uint64_t pc;

    reset_record();
    asm volatile(".option push\n.option norvc\n"
                 "la %0, 1f\n1: ebreak\n.option pop"
                 : "=&r"(pc) :: "memory");
    report("ebreak", pc);
    /* mtval may be 0 or the address of the EBREAK */
    put_check("  tval is 0 or the pc", trap_tval == 0 || trap_tval == pc);
}

/* Hardware may do a misaligned load or raise cause 4: both are allowed. */
static void test_misaligned(void)
{
    static volatile uint64_t words[2] = {
        0x8877665544332211ull, 0x00ffeeddccbbaa99ull
    };
    uint64_t pc, v = 0;
    uint64_t addr = (uint64_t)words + 3;

    reset_record();
    asm volatile("la %0, 1f\n1: ld %1, 0(%2)"
                 : "=&r"(pc), "+r"(v) : "r"(addr) : "memory");
    if (trap_count == 0) {
        put_str("misaligned load: done by hardware\n");
        put_val("  value", v);
    } else {
        report("misaligned load: trapped", pc);
        put_check("  tval is the address", trap_tval == addr);
    }
}

static volatile uint64_t u_ecall_pc;

static void u_code(void)
{
    uint64_t pc;
    register uint64_t a7 asm("a7") = 1;

    asm volatile("la %0, 1f\n1: ecall" : "=&r"(pc) : "r"(a7) : "memory");
    u_ecall_pc = pc;
    mode_return(0x55);
}

static void test_u_ecall(void)
{
    uint64_t ret;

    reset_record();
    csr_write(medeleg, 1u << EXC_ECALL_U);
    s_trap_hook = record_s;
    ret = goto_mode(0, u_code);
    put_str("ecall from U, delegated to S\n");
    put_val("  traps", trap_count);
    put_val("  scause", trap_cause);
    put_check("  sepc is the ecall", trap_epc == u_ecall_pc);
    put_val("  returned", ret);
    csr_write(medeleg, 0);
}

static volatile uint64_t s_ecall_pc;

static void s_code(void)
{
    uint64_t pc;
    register uint64_t a7 asm("a7") = 2;

    asm volatile("la %0, 1f\n1: ecall" : "=&r"(pc) : "r"(a7) : "memory");
    s_ecall_pc = pc;
    mode_return(0x66);
}

static void test_s_ecall(void)
{
    uint64_t ret;

    reset_record();
    ret = goto_mode(1, s_code);
    put_str("ecall from S, taken in M\n");
    put_val("  traps", trap_count);
    put_val("  mcause", trap_cause);
    put_check("  mepc is the ecall", trap_epc == s_ecall_pc);
    put_val("  returned", ret);
}

int main(void)
{
    m_trap_hook = record_m;
    test_illegal();
    test_ebreak();
    test_misaligned();
    test_u_ecall();
    test_s_ecall();
    put_str("done\n");
    return 3;
}
