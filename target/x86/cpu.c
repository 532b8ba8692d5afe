/*
 * The x86-64 CPU: the CPUClass of an x86 guest (which runs under KVM, see
 * target/x86/kvm.c), creation and the register dump.
 */
#include <inttypes.h>
#include <string.h>

#include "target/x86/cpu.h"

static void x86_cpu_reset(CPUState *cs)
{
    kvm_arch_reset_vcpu(cs);
}

static uint64_t x86_cpu_get_pc(CPUState *cs)
{
    X86CPUState st = { 0 };
    uint64_t pc = 0;

    if (X86_CPU(cs)->kvm.fd >= 0 &&
        kvm_vcpu_ioctl(cs, KVM_GET_REGS, &st.regs) == 0 &&
        kvm_vcpu_ioctl(cs, KVM_GET_SREGS, &st.sregs) == 0) {
        pc = st.sregs.cs.base + st.regs.rip;
    }
    return pc;
}

static void x86_cpu_dump_state(CPUState *cs, FILE *out, int flags)
{
    kvm_arch_dump_state(cs, out);
}

static const CPUClass x86_cpu_class = {
    .name = "x86_64",
    .reset = x86_cpu_reset,
    .get_pc = x86_cpu_get_pc,
    .dump_state = x86_cpu_dump_state,
};

X86CPU *x86_cpu_new(uint32_t apic_id)
{
    X86CPU *cpu = g_new0(X86CPU, 1);

    cpu_state_init(&cpu->parent, &x86_cpu_class);
    cpu->apic_id = apic_id;
    cpu->kvm.fd = -1;
    cpu->kvm.vcpu_id = apic_id;
    return cpu;
}

/* ---- a start in protected mode ---- */

#define CR0_PE      0x00000001u
#define CR0_ET      0x00000010u
#define RFLAGS_FIXED 0x2u               /* bit 1 always reads as 1 */
/* segment types (Intel SDM vol. 3 §3.4.5.1): accessed, read/write */
#define SEG_CODE_XRA 0xb
#define SEG_DATA_RWA 0x3
/* local APIC LVT registers and delivery modes (SDM vol. 3 §11.5.1) */
#define APIC_LVT_LINT0  0x350
#define APIC_LVT_LINT1  0x360
#define APIC_DM_NMI     0x400
#define APIC_DM_EXTINT  0x700
/* MTRRs enabled with write-back as the default type (SDM vol. 3 §11.11.2.1):
 * at power-on all memory is uncached until firmware sets them */
#define MSR_MTRR_DEF_TYPE   0x2ff
#define MTRR_ENABLE_WB      0x806

static void flat_segment(struct kvm_segment *s, uint16_t selector, uint8_t type)
{
    *s = (struct kvm_segment){
        .base = 0, .limit = 0xffffffff, .selector = selector, .type = type,
        .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
    };
}

static void lapic_set(struct kvm_lapic_state *lapic, unsigned reg, uint32_t value)
{
    memcpy(&lapic->regs[reg], &value, sizeof(value));
}

/* Sets an MSR of the state, adding it when the state lacks it (KVM
 * handles MSRs that its save list leaves out, such as the MTRRs). */
static void msr_set(X86CPUState *st, uint32_t index, uint64_t value)
{
    unsigned i = 0;

    while (i < st->nmsrs && st->msrs[i].index != index) {
        i++;
    }
    if (i == st->nmsrs) {
        g_assert(st->nmsrs < X86_MAX_MSRS);
        st->nmsrs++;
    }
    st->msrs[i] = (struct kvm_msr_entry){ .index = index, .data = value };
}

void x86_cpu_set_boot_state(X86CPU *cpu, const X86BootState *boot)
{
    g_assert(cpu->kvm.fd < 0);
    cpu->boot = *boot;
    cpu->boot.set = true;
}

void x86_cpu_apply_boot_state(X86CPUState *st, const X86BootState *boot)
{
    struct kvm_sregs *s = &st->sregs;

    flat_segment(&s->cs, boot->code_sel, SEG_CODE_XRA);
    flat_segment(&s->ds, boot->data_sel, SEG_DATA_RWA);
    s->es = s->fs = s->gs = s->ss = s->ds;
    s->gdt = (struct kvm_dtable){ .base = boot->gdt_base, .limit = boot->gdt_limit };
    s->idt = (struct kvm_dtable){ .base = 0, .limit = 0 };
    /* protected mode, caches on (the power-on CD and NW cleared) */
    s->cr0 = CR0_PE | CR0_ET;
    s->cr2 = s->cr3 = s->cr4 = 0;
    s->efer = 0;
    memset(&st->regs, 0, sizeof(st->regs));
    st->regs.rip = boot->eip;
    st->regs.rsi = boot->esi;
    st->regs.rbx = boot->ebx;
    st->regs.rflags = RFLAGS_FIXED;
    /* the virtual-wire set-up firmware leaves: the 8259 on LINT0, NMI on LINT1 */
    lapic_set(&st->lapic, APIC_LVT_LINT0, APIC_DM_EXTINT);
    lapic_set(&st->lapic, APIC_LVT_LINT1, APIC_DM_NMI);
    msr_set(st, MSR_MTRR_DEF_TYPE, MTRR_ENABLE_WB);
}

/* ---- the register dump ---- */

static void dump_segment(FILE *out, const char *name, const struct kvm_segment *s)
{
    /* the attribute word in the descriptor's layout (bits 8-23 of its high half) */
    unsigned attr = s->type | s->s << 4 | s->dpl << 5 | s->present << 7 |
                    s->avl << 12 | s->l << 13 | s->db << 14 | s->g << 15;

    fprintf(out, "%-3s=%04x %016" PRIx64 " %08x %04x%s\n", name, s->selector,
            (uint64_t)s->base, s->limit, attr, s->unusable ? " unusable" : "");
}

static void dump_table(FILE *out, const char *name, const struct kvm_dtable *t)
{
    fprintf(out, "%-3s=     %016" PRIx64 " %08x\n", name, (uint64_t)t->base, t->limit);
}

void x86_cpu_dump_regs(const X86CPUState *st, FILE *out)
{
    const struct kvm_regs *r = &st->regs;
    const struct kvm_sregs *s = &st->sregs;

    fprintf(out, "RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx\n",
            r->rax, r->rbx, r->rcx, r->rdx);
    fprintf(out, "RSI=%016llx RDI=%016llx RBP=%016llx RSP=%016llx\n",
            r->rsi, r->rdi, r->rbp, r->rsp);
    fprintf(out, "R8 =%016llx R9 =%016llx R10=%016llx R11=%016llx\n",
            r->r8, r->r9, r->r10, r->r11);
    fprintf(out, "R12=%016llx R13=%016llx R14=%016llx R15=%016llx\n",
            r->r12, r->r13, r->r14, r->r15);
    fprintf(out, "RIP=%016llx RFL=%08llx\n", r->rip, r->rflags);
    dump_segment(out, "ES", &s->es);
    dump_segment(out, "CS", &s->cs);
    dump_segment(out, "SS", &s->ss);
    dump_segment(out, "DS", &s->ds);
    dump_segment(out, "FS", &s->fs);
    dump_segment(out, "GS", &s->gs);
    dump_segment(out, "LDT", &s->ldt);
    dump_segment(out, "TR", &s->tr);
    dump_table(out, "GDT", &s->gdt);
    dump_table(out, "IDT", &s->idt);
    fprintf(out, "CR0=%08llx CR2=%016llx CR3=%016llx CR4=%08llx CR8=%llx\n",
            s->cr0, s->cr2, s->cr3, s->cr4, s->cr8);
    fprintf(out, "EFER=%016llx APIC_BASE=%016llx\n", s->efer, s->apic_base);
    fprintf(out, "DR0=%016llx DR1=%016llx DR2=%016llx DR3=%016llx\n",
            st->debugregs.db[0], st->debugregs.db[1], st->debugregs.db[2],
            st->debugregs.db[3]);
    fprintf(out, "DR6=%016llx DR7=%016llx MP_STATE=%u\n", st->debugregs.dr6,
            st->debugregs.dr7, st->mp_state.mp_state);
    for (unsigned i = 0; i < st->nmsrs; i++) {
        fprintf(out, "MSR[%08x]=%016llx%s", st->msrs[i].index, st->msrs[i].data,
                i % 3 == 2 || i + 1 == st->nmsrs ? "\n" : " ");
    }
}
