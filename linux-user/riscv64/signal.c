/*
 * riscv64 signal frames, laid out as arch/riscv/kernel/signal.c does:
 *
 *   struct rt_sigframe {
 *       siginfo_t info;                    128 bytes
 *       struct ucontext uc;                uc_flags, uc_link, uc_stack,
 *   };                                     uc_sigmask (8 bytes + 120 reserved),
 *                                          uc_mcontext at offset 176:
 *                                          struct sigcontext {
 *                                              user_regs_struct (pc, x1..x31),
 *                                              union __riscv_fp_state (528 bytes:
 *                                              the D layout f[32] + fcsr is used,
 *                                              the rest of the Q layout stays 0)
 *                                          }
 *
 * The handler gets a0 = signal, a1 = &info, a2 = &uc, sp = the frame, and
 * ra = a return trampoline ("li a7, 139; ecall": rt_sigreturn). Linux puts
 * that in the vDSO; proteus has no vDSO, so the trampoline lives in a
 * small guest page of its own, mapped on first use.
 *
 * Also the arch's half of guest faults caught on the host: the page-fault
 * exception cpu_exec returns.
 */
#include <stddef.h>
#include <sys/mman.h>

#include "linux-user/riscv64/target.h"
#include "linux-user/signal-proc.h"
#include "target/riscv/cpu.h"

enum { REG_RA = 1, REG_SP = 2, REG_A0 = 10 };

#define RISCV_NR_RT_SIGRETURN 139

typedef struct RiscvSigcontext {
    uint64_t gregs[32];          /* pc, then x1..x31 */
    uint64_t fpregs[32];         /* __riscv_d_ext_state.f */
    uint32_t fcsr;
    uint8_t fp_reserved[528 - 256 - 4];   /* the rest of __riscv_q_ext_state */
} RiscvSigcontext;

typedef struct RiscvUcontext {
    uint64_t uc_flags;
    uint64_t uc_link;
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t ss_pad;
    uint64_t ss_size;
    uint64_t uc_sigmask;
    uint8_t sigmask_reserved[128 - 8];
    uint8_t mcontext_align[8];
    RiscvSigcontext uc_mcontext;
} RiscvUcontext;

typedef struct RiscvRtSigframe {
    uint8_t info[128];
    RiscvUcontext uc;
} RiscvRtSigframe;

G_STATIC_ASSERT(sizeof(RiscvSigcontext) == 784);
G_STATIC_ASSERT(offsetof(RiscvUcontext, uc_sigmask) == 40);
G_STATIC_ASSERT(offsetof(RiscvUcontext, uc_mcontext) == 176);
G_STATIC_ASSERT(sizeof(RiscvRtSigframe) == 1088);

/* The trampoline page: mapped once per process (a fork child inherits it,
 * an execve starts over). */
static uint64_t sigreturn_tramp;

static gpointer map_tramp(gpointer unused)
{
    /* li a7, 139 (addi a7, zero, 139); ecall */
    static const uint32_t code[] = {
        (RISCV_NR_RT_SIGRETURN << 20) | (17 << 7) | 0x13,
        0x00000073,
    };
    int64_t page = guest_mmap(0, GUEST_PAGE_SIZE, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (page < 0) {
        return NULL;
    }
    memcpy(g2h(page), code, sizeof(code));
    guest_mprotect(page, GUEST_PAGE_SIZE, PROT_READ | PROT_EXEC);
    sigreturn_tramp = page;
    return NULL;
}

static uint64_t tramp_addr(void)
{
    static GOnce once = G_ONCE_INIT;

    g_once(&once, map_tramp, NULL);
    return sigreturn_tramp;
}

static void save_sigcontext(RiscvSigcontext *sc, const RiscvCPU *c)
{
    sc->gregs[0] = c->pc;
    for (int i = 1; i < 32; i++) {
        sc->gregs[i] = c->gpr[i];
    }
    memcpy(sc->fpregs, c->fpr, sizeof(sc->fpregs));
    sc->fcsr = riscv_get_fcsr(c);
    memset(sc->fp_reserved, 0, sizeof(sc->fp_reserved));
}

static void restore_sigcontext(RiscvCPU *c, const RiscvSigcontext *sc)
{
    c->pc = sc->gregs[0];
    for (int i = 1; i < 32; i++) {
        c->gpr[i] = sc->gregs[i];
    }
    memcpy(c->fpr, sc->fpregs, sizeof(c->fpr));
    riscv_set_fcsr(c, sc->fcsr);
    /* as the kernel's trap return does, drop any LR reservation */
    c->load_res = -1;
}

bool riscv64_setup_rt_frame(TaskState *ts, int sig, const siginfo_t *info,
                            uint64_t handler, uint64_t flags, uint64_t restorer,
                            GuestSigset old_mask)
{
    RiscvCPU *c = riscv_cpu(ts->cpu);
    uint64_t sp = c->gpr[REG_SP];
    uint64_t addr = signal_frame_addr(ts, sp, flags, sizeof(RiscvRtSigframe));
    uint64_t tramp = restorer ? restorer : tramp_addr();
    RiscvRtSigframe *frame;

    if (!addr || !tramp || !guest_writable(addr, sizeof(RiscvRtSigframe))) {
        return false;
    }
    frame = g2h(addr);
    G_STATIC_ASSERT(sizeof(frame->info) == sizeof(*info));
    memcpy(frame->info, info, sizeof(frame->info));
    frame->uc.uc_flags = 0;
    frame->uc.uc_link = 0;
    signal_save_altstack(ts, sp, &frame->uc.ss_sp, &frame->uc.ss_flags, &frame->uc.ss_size);
    frame->uc.ss_pad = 0;
    frame->uc.uc_sigmask = old_mask;
    memset(frame->uc.sigmask_reserved, 0, sizeof(frame->uc.sigmask_reserved));
    memset(frame->uc.mcontext_align, 0, sizeof(frame->uc.mcontext_align));
    save_sigcontext(&frame->uc.uc_mcontext, c);

    c->pc = handler;
    c->load_res = -1;
    c->gpr[REG_SP] = addr;
    c->gpr[REG_RA] = tramp;
    c->gpr[REG_A0] = sig;
    c->gpr[REG_A0 + 1] = addr + offsetof(RiscvRtSigframe, info);
    c->gpr[REG_A0 + 2] = addr + offsetof(RiscvRtSigframe, uc);
    return true;
}

bool riscv64_restore_rt_frame(TaskState *ts, GuestSigset *mask)
{
    RiscvCPU *c = riscv_cpu(ts->cpu);
    uint64_t addr = c->gpr[REG_SP];
    const RiscvRtSigframe *frame;

    if (!guest_readable(addr, sizeof(RiscvRtSigframe))) {
        return false;
    }
    frame = g2h(addr);
    *mask = frame->uc.uc_sigmask;
    restore_sigcontext(c, &frame->uc.uc_mcontext);
    signal_restore_altstack(ts, frame->uc.ss_sp, frame->uc.ss_flags, frame->uc.ss_size);
    return true;
}

void riscv64_set_mem_fault(CPUState *cpu, uint64_t addr, bool is_write)
{
    riscv_cpu(cpu)->badaddr = addr;
    cpu->exception_index = is_write ? RISCV_EXCP_STORE_PAGE_FAULT : RISCV_EXCP_LOAD_PAGE_FAULT;
}
