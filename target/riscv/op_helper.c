/*
 * RISC-V helpers called from generated code that are not about one
 * extension's arithmetic: raising exceptions and the CSR instructions
 * (RISC-V unprivileged spec ch. 9; which CSRs exist and what accessing
 * them does is csr.c's business).
 */
#include "proteus/log.h"
#include "target/riscv/translate.h"

void riscv_raise_exception(RiscvCPU *cpu, int excp, uint64_t badaddr, uintptr_t retaddr)
{
    cpu->badaddr = badaddr;
    cpu->parent.exception_index = excp;
    cpu_loop_exit_restore(&cpu->parent, retaddr);
}

__attribute__((noinline))
static void helper_raise(void *env, uint32_t excp)
{
    RiscvCPU *cpu = riscv_cpu(env);

    /* the pc is already the instruction's (gen_exception wrote it) */
    cpu->badaddr = 0;
    cpu->parent.exception_index = excp;
    cpu_loop_exit(&cpu->parent);
}

const IRHelperInfo riscv_helper_raise_info = {
    .func = (void *)helper_raise, .name = "riscv_raise",
    .flags = IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS,
    .nargs = 2, .arg_types = { IR_TYPE_I64, IR_TYPE_I32 },
};

__attribute__((noinline))
static uint64_t helper_csrrw(void *env, uint64_t csr, uint64_t src, uint64_t mode)
{
    RiscvCPU *cpu = riscv_cpu(env);
    uint64_t old = 0, val;

    if (!riscv_csr_read(cpu, csr, &old)) {
        log_mask(LOG_GUEST_ERROR | LOG_UNIMP, "riscv: CSR 0x%03x does not exist or "
                 "is not accessible in mode %u\n", (unsigned)csr, cpu->priv);
        riscv_raise_exception(cpu, RISCV_EXCP_ILLEGAL_INST, 0, GETPC());
    }
    if (!(mode & RISCV_CSR_DO_WRITE)) {
        return old;
    }
    switch (mode & RISCV_CSR_OP_MASK) {
    case RISCV_CSR_OP_WRITE:
        val = src;
        break;
    case RISCV_CSR_OP_SET:
        val = old | src;
        break;
    default:
        val = old & ~src;
        break;
    }
    if (!riscv_csr_write(cpu, csr, val)) {
        riscv_raise_exception(cpu, RISCV_EXCP_ILLEGAL_INST, 0, GETPC());
    }
    return old;
}

const IRHelperInfo riscv_helper_csrrw_info = {
    .func = (void *)helper_csrrw, .name = "riscv_csrrw",
    .flags = IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS,
    .has_ret = true, .ret_type = IR_TYPE_I64,
    .nargs = 4, .arg_types = { IR_TYPE_I64, IR_TYPE_I64, IR_TYPE_I64, IR_TYPE_I64 },
};

/* MO_ALIGN accesses (the A extension's) that are not aligned. */
static void riscv_unaligned(void *env, uint64_t addr, MemOp mop)
{
    RiscvCPU *cpu = riscv_cpu(env);

    cpu->badaddr = addr;
    cpu->parent.exception_index = RISCV_EXCP_STORE_AMO_ADDR_MIS;
}

void riscv_helpers_init(void)
{
    ir_unaligned_hook = riscv_unaligned;
}
