/*
 * The x86-64 CPU: the CPUClass of an x86 guest (which runs under KVM, see
 * target/x86/kvm.c), creation and the register dump.
 */
#include <inttypes.h>

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
