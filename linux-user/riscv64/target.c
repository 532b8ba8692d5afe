/*
 * riscv64 Linux user mode: the CPU, the syscall ABI (ecall; a7 = number,
 * a0..a5 = arguments, a0 = result) and how exceptions become signals.
 */
#include <signal.h>

#include "linux-user/riscv64/target.h"
#include "target/riscv/cpu.h"

enum { REG_RA = 1, REG_SP = 2, REG_TP = 4, REG_A0 = 10, REG_A7 = 17 };

static CPUState *riscv64_cpu_new(const char *model, GError **errp)
{
    uint32_t exts;

    if (!riscv_cpu_parse_model(model ? model : "rv64", &exts, errp)) {
        return NULL;
    }
    riscv_helpers_init();
    return &riscv_cpu_new(exts)->parent;
}

static CPUState *riscv64_cpu_clone(CPUState *parent)
{
    RiscvCPU *p = riscv_cpu(parent);
    RiscvCPU *c = riscv_cpu_new(p->exts);

    memcpy(c->gpr, p->gpr, sizeof(c->gpr));
    memcpy(c->fpr, p->fpr, sizeof(c->fpr));
    c->pc = p->pc;
    c->frm = p->frm;
    c->fflags = p->fflags;
    c->instret_base = p->instret_base;
    return &c->parent;
}

static void riscv64_cpu_free(CPUState *cpu)
{
    riscv_cpu_free(riscv_cpu(cpu));
}

/* AT_HWCAP: one bit per single-letter extension ('a' = bit 0). */
static uint64_t riscv64_hwcap(CPUState *cpu)
{
    static const struct { RiscvExt ext; char letter; } letters[] = {
        { RISCV_EXT_I, 'i' }, { RISCV_EXT_M, 'm' }, { RISCV_EXT_A, 'a' },
        { RISCV_EXT_F, 'f' }, { RISCV_EXT_D, 'd' }, { RISCV_EXT_C, 'c' },
    };
    uint64_t hwcap = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(letters); i++) {
        if (riscv_has_ext(riscv_cpu(cpu), letters[i].ext)) {
            hwcap |= 1ull << (letters[i].letter - 'a');
        }
    }
    return hwcap;
}

static void riscv64_init_regs(CPUState *cpu, uint64_t entry, uint64_t sp)
{
    RiscvCPU *c = riscv_cpu(cpu);

    c->pc = entry;
    c->gpr[REG_SP] = sp;
    /* a0: the psABI's rtld_fini for _start; none from the kernel */
    c->gpr[REG_A0] = 0;
}

static void riscv64_get_syscall(CPUState *cpu, int *nr, uint64_t args[6])
{
    RiscvCPU *c = riscv_cpu(cpu);

    *nr = (int)c->gpr[REG_A7];
    for (int i = 0; i < 6; i++) {
        args[i] = c->gpr[REG_A0 + i];
    }
}

static void riscv64_set_syscall_result(CPUState *cpu, int64_t ret)
{
    riscv_cpu(cpu)->gpr[REG_A0] = ret;
}

static void riscv64_skip_syscall(CPUState *cpu)
{
    riscv_cpu(cpu)->pc += 4;
    /* Linux drops the LR reservation on every return from a trap. */
    riscv_cpu(cpu)->load_res = -1;
}

static void riscv64_rewind_syscall(CPUState *cpu)
{
    riscv_cpu(cpu)->pc -= 4;
}

static int riscv64_exception_to_signal(CPUState *cpu, int excp, int *si_code,
                                       uint64_t *addr)
{
    RiscvCPU *c = riscv_cpu(cpu);

    *addr = c->badaddr;
    switch (excp) {
    case RISCV_EXCP_ILLEGAL_INST:
        *si_code = ILL_ILLOPC;
        *addr = c->pc;
        return SIGILL;
    case RISCV_EXCP_BREAKPOINT:
        *si_code = TRAP_BRKPT;
        *addr = c->pc;
        return SIGTRAP;
    case RISCV_EXCP_INST_ADDR_MIS:
    case RISCV_EXCP_LOAD_ADDR_MIS:
    case RISCV_EXCP_STORE_AMO_ADDR_MIS:
        /* Linux reports the pc for misaligned accesses, not the address */
        *si_code = BUS_ADRALN;
        *addr = c->pc;
        return SIGBUS;
    case RISCV_EXCP_INST_ACCESS_FAULT:
    case RISCV_EXCP_LOAD_ACCESS_FAULT:
    case RISCV_EXCP_STORE_AMO_ACCESS_FAULT:
        *si_code = SEGV_ACCERR;
        return SIGSEGV;
    case RISCV_EXCP_INST_PAGE_FAULT:
    case RISCV_EXCP_LOAD_PAGE_FAULT:
    case RISCV_EXCP_STORE_PAGE_FAULT:
        *si_code = guest_page_flags(*addr) & GUEST_PAGE_VALID ? SEGV_ACCERR : SEGV_MAPERR;
        return SIGSEGV;
    default:
        *si_code = ILL_ILLTRP;
        *addr = c->pc;
        return SIGILL;
    }
}

static uint64_t riscv64_get_sp(CPUState *cpu)
{
    return riscv_cpu(cpu)->gpr[REG_SP];
}

static void riscv64_set_sp(CPUState *cpu, uint64_t sp)
{
    riscv_cpu(cpu)->gpr[REG_SP] = sp;
}

static void riscv64_set_tls(CPUState *cpu, uint64_t tls)
{
    riscv_cpu(cpu)->gpr[REG_TP] = tls;
}

static void riscv64_clone_child_regs(CPUState *child, uint64_t newsp)
{
    RiscvCPU *c = riscv_cpu(child);

    if (newsp) {
        c->gpr[REG_SP] = newsp;
    }
    c->gpr[REG_A0] = 0;
}

const LinuxArch linux_arch_riscv64 = {
    .name = "riscv64",
    .elf_machine = ELF_MACHINE_RISCV,
    .default_sysroot = "/usr/riscv64-linux-gnu",
    .cpu_new = riscv64_cpu_new,
    .cpu_clone = riscv64_cpu_clone,
    .cpu_free = riscv64_cpu_free,
    .cpu_list = riscv_cpu_list,
    .hwcap = riscv64_hwcap,
    .init_regs = riscv64_init_regs,
    .get_syscall = riscv64_get_syscall,
    .set_syscall_result = riscv64_set_syscall_result,
    .skip_syscall = riscv64_skip_syscall,
    .rewind_syscall = riscv64_rewind_syscall,
    .syscall_exception = RISCV_EXCP_U_ECALL,
    .exception_to_signal = riscv64_exception_to_signal,
    .set_mem_fault = riscv64_set_mem_fault,
    .get_sp = riscv64_get_sp,
    .set_sp = riscv64_set_sp,
    .set_tls = riscv64_set_tls,
    .clone_child_regs = riscv64_clone_child_regs,
    .setup_rt_frame = riscv64_setup_rt_frame,
    .restore_rt_frame = riscv64_restore_rt_frame,
    .syscall_nrs = riscv64_syscall_nrs,
};
