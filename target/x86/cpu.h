/*
 * The x86-64 CPU. There is no x86 translator: an x86 guest runs under KVM,
 * so the architectural state lives in the kernel's vCPU and is read and
 * written as KVM lays it out (X86CPUState) when it is needed: a register
 * dump, a reset to the power-on state.
 */
#ifndef TARGET_X86_CPU_H
#define TARGET_X86_CPU_H

#include <linux/kvm.h>

#include "proteus/cpu.h"
#include "proteus/kvm.h"

/* Intel without unrestricted guest runs real mode through a TSS (three
 * pages) and an identity page table (one page) in guest-physical memory:
 * they sit in the hole below the firmware, where boards map nothing and
 * tell the firmware (E820) the range is reserved. */
#define X86_KVM_IDENTITY_MAP_ADDR 0xfeffc000ull
#define X86_KVM_TSS_ADDR          0xfeffd000ull
#define X86_KVM_RESERVED_SIZE     0x4000ull

/* The MSRs saved and restored with the CPU state (those the kernel knows). */
#define X86_MAX_MSRS 32

typedef struct X86CPUState {
    struct kvm_regs regs;               /* general registers, RIP, RFLAGS */
    struct kvm_sregs sregs;             /* segments, descriptor tables, CR0-4/8, EFER */
    struct kvm_fpu fpu;                 /* x87, SSE (when XSAVE is not available) */
    struct kvm_xsave *xsave;            /* x87, SSE, AVX, ... (NULL without XSAVE) */
    struct kvm_xcrs xcrs;
    struct kvm_debugregs debugregs;     /* DR0-3, DR6, DR7 */
    struct kvm_lapic_state lapic;
    struct kvm_mp_state mp_state;
    unsigned nmsrs;
    struct kvm_msr_entry msrs[X86_MAX_MSRS];
} X86CPUState;

/* A start in 32-bit protected mode instead of at the reset vector (a
 * kernel booted without firmware): flat segments from the GDT at gdt_base
 * (code_sel, data_sel), paging and interrupts off, these registers. */
typedef struct X86BootState {
    bool set;
    uint32_t eip, esi, ebx;
    uint32_t gdt_base;
    uint16_t gdt_limit, code_sel, data_sel;
} X86BootState;

typedef struct X86CPU {
    CPUState parent;
    KvmVcpu kvm;
    uint32_t apic_id;
    X86BootState boot;
    /* as the kernel created the vCPU, then with boot applied: what every
     * reset puts back */
    X86CPUState power_on;
} X86CPU;

static inline X86CPU *X86_CPU(CPUState *cpu)
{
    return (X86CPU *)cpu;
}

/* A new CPU (not yet registered with cpus.c) with the given APIC id. */
X86CPU *x86_cpu_new(uint32_t apic_id);

/* Makes cpu start as boot says, at its creation and after every reset
 * (before KVM creates the vCPU). */
void x86_cpu_set_boot_state(X86CPU *cpu, const X86BootState *boot);
/* Changes st (a power-on state) into the start that boot describes. */
void x86_cpu_apply_boot_state(X86CPUState *st, const X86BootState *boot);

/* Reads / writes the whole state of the kernel's vCPU (not running). */
/* -cpu NAME[,enforce] (target/x86/cpu-models.c): narrows the CPUID every
 * vCPU gets from now on; fails for an unknown model or option, or with
 * enforce for a model the host cannot offer whole. */
bool x86_kvm_set_cpu_model(const char *spec, GError **errp);

bool x86_cpu_get_state(X86CPU *cpu, X86CPUState *st, GError **errp);
bool x86_cpu_put_state(X86CPU *cpu, const X86CPUState *st, GError **errp);
void x86_cpu_state_free(X86CPUState *st);
/* Registers as text, one group per line ("-d cpu", "info registers"). */
void x86_cpu_dump_regs(const X86CPUState *st, FILE *out);

#endif
