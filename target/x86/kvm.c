/*
 * x86-64 under KVM: what the VM needs (in-kernel PIC, IOAPIC, local APICs
 * and PIT; the addresses Intel's real-mode support uses), each vCPU's
 * CPUID and the CPU state moved between the kernel and X86CPUState.
 *
 * Interrupt routing is the kernel's default for an in-kernel irqchip:
 * GSI 0-15 reach both the 8259 pair and the IOAPIC, 16-23 the IOAPIC.
 */
#include <errno.h>
#include <string.h>

#include "proteus/cpus.h"
#include "proteus/error.h"
#include "proteus/log.h"
#include "target/x86/cpu-models.h"
#include "target/x86/cpu.h"

const char kvm_arch_name[] = "x86_64";

/*
 * MSRs of the CPU state, kept when the kernel lists them. A reset puts
 * back their power-on values: the paravirtual ones (async page faults,
 * steal time, PV EOI) must be off again then, or the kernel would go on
 * writing into memory the next boot owns. Order matters when they are
 * set: the TSC before its deadline, ASYNC_PF_INT before ASYNC_PF_EN.
 */
static const uint32_t x86_state_msrs[] = {
    0x00000010,     /* IA32_TIME_STAMP_COUNTER */
    0x0000003b,     /* IA32_TSC_ADJUST */
    0x000006e0,     /* IA32_TSC_DEADLINE */
    0x00000174,     /* IA32_SYSENTER_CS */
    0x00000175,     /* IA32_SYSENTER_ESP */
    0x00000176,     /* IA32_SYSENTER_EIP */
    0x0000017a,     /* IA32_MCG_STATUS */
    0x000001a0,     /* IA32_MISC_ENABLE */
    0x00000277,     /* IA32_PAT */
    0xc0000081,     /* STAR */
    0xc0000082,     /* LSTAR */
    0xc0000083,     /* CSTAR */
    0xc0000084,     /* FMASK */
    0xc0000102,     /* KERNEL_GS_BASE */
    0xc0000103,     /* TSC_AUX */
    0x4b564d00,     /* KVM wall clock */
    0x4b564d01,     /* KVM system time (kvmclock) */
    0x4b564d06,     /* KVM async page fault interrupt vector */
    0x4b564d02,     /* KVM async page faults enabled */
    0x4b564d03,     /* KVM steal time */
    0x4b564d04,     /* KVM PV EOI */
    0x4b564d05,     /* KVM poll control */
};

static struct {
    struct kvm_cpuid2 *cpuid;       /* KVM_GET_SUPPORTED_CPUID */
    uint32_t msrs[X86_MAX_MSRS];    /* x86_state_msrs that the kernel knows */
    unsigned nmsrs;
    size_t xsave_size;              /* 0: no XSAVE, use KVM_GET_FPU */
    /* the in-kernel devices as created, put back on a machine reset */
    struct kvm_irqchip chips[3];    /* master 8259, slave 8259, IOAPIC */
    struct kvm_pit_state2 pit;
    bool xcrs;
    bool debugregs;
} x86_kvm;

/* ---- the VM ---- */

static bool x86_kvm_get_supported_cpuid(GError **errp)
{
    for (int n = 64; n <= 4096; n *= 2) {
        struct kvm_cpuid2 *c = g_malloc0(sizeof(*c) + n * sizeof(c->entries[0]));
        int ret;

        c->nent = n;
        ret = kvm_sys_ioctl(KVM_GET_SUPPORTED_CPUID, c);
        if (ret == 0) {
            x86_kvm.cpuid = c;
            return true;
        }
        g_free(c);
        if (ret != -E2BIG) {
            error_setg(errp, "-accel kvm: KVM_GET_SUPPORTED_CPUID: %s", strerror(-ret));
            return false;
        }
    }
    error_setg(errp, "-accel kvm: KVM_GET_SUPPORTED_CPUID: too many entries");
    return false;
}

static bool x86_kvm_get_msr_list(GError **errp)
{
    struct kvm_msr_list probe = { .nmsrs = 0 };
    g_autofree struct kvm_msr_list *list = NULL;
    int ret = kvm_sys_ioctl(KVM_GET_MSR_INDEX_LIST, &probe);

    /* the first call only learns the count (E2BIG) */
    if (ret < 0 && ret != -E2BIG) {
        error_setg(errp, "-accel kvm: KVM_GET_MSR_INDEX_LIST: %s", strerror(-ret));
        return false;
    }
    list = g_malloc0(sizeof(*list) + probe.nmsrs * sizeof(list->indices[0]));
    list->nmsrs = probe.nmsrs;
    ret = kvm_sys_ioctl(KVM_GET_MSR_INDEX_LIST, list);
    if (ret < 0) {
        error_setg(errp, "-accel kvm: KVM_GET_MSR_INDEX_LIST: %s", strerror(-ret));
        return false;
    }
    x86_kvm.nmsrs = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(x86_state_msrs); i++) {
        for (uint32_t j = 0; j < list->nmsrs; j++) {
            if (list->indices[j] == x86_state_msrs[i]) {
                x86_kvm.msrs[x86_kvm.nmsrs++] = x86_state_msrs[i];
                break;
            }
        }
    }
    return true;
}

/* Records the state of the in-kernel devices just created. */
static bool x86_kvm_save_devices(GError **errp)
{
    int ret = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(x86_kvm.chips) && ret >= 0; i++) {
        x86_kvm.chips[i].chip_id = i;
        ret = kvm_vm_ioctl(KVM_GET_IRQCHIP, &x86_kvm.chips[i]);
    }
    if (ret >= 0) {
        ret = kvm_vm_ioctl(KVM_GET_PIT2, &x86_kvm.pit);
    }
    if (ret < 0) {
        error_setg(errp, "-accel kvm: reading the in-kernel PIC, IOAPIC and PIT: %s",
                   strerror(-ret));
        return false;
    }
    return true;
}

#define REQUIRE(cap) kvm_require_extension(cap, #cap, errp)

bool kvm_arch_init_vm(GError **errp)
{
    struct kvm_pit_config pit = { .flags = 0 };
    uint64_t identity = X86_KVM_IDENTITY_MAP_ADDR;
    int ret;

    if (!REQUIRE(KVM_CAP_IRQCHIP) || !REQUIRE(KVM_CAP_PIT2) || !REQUIRE(KVM_CAP_EXT_CPUID) ||
        !REQUIRE(KVM_CAP_MP_STATE) || !REQUIRE(KVM_CAP_SET_TSS_ADDR) ||
        !REQUIRE(KVM_CAP_SET_IDENTITY_MAP_ADDR)) {
        return false;
    }
    x86_kvm.xcrs = kvm_check_extension(KVM_CAP_XCRS) > 0;
    x86_kvm.debugregs = kvm_check_extension(KVM_CAP_DEBUGREGS) > 0;
    ret = kvm_check_extension(KVM_CAP_XSAVE2);
    x86_kvm.xsave_size = ret > (int)sizeof(struct kvm_xsave) ? (size_t)ret
                         : kvm_check_extension(KVM_CAP_XSAVE) > 0 ? sizeof(struct kvm_xsave)
                                                                : 0;
    if ((ret = kvm_vm_ioctl(KVM_SET_IDENTITY_MAP_ADDR, &identity)) < 0 ||
        (ret = kvm_vm_ioctl(KVM_SET_TSS_ADDR, (void *)(uintptr_t)X86_KVM_TSS_ADDR)) < 0) {
        error_setg(errp, "-accel kvm: placing the real-mode TSS: %s", strerror(-ret));
        return false;
    }
    if ((ret = kvm_vm_ioctl(KVM_CREATE_IRQCHIP, NULL)) < 0) {
        error_setg(errp, "-accel kvm: KVM_CREATE_IRQCHIP: %s", strerror(-ret));
        return false;
    }
    if ((ret = kvm_vm_ioctl(KVM_CREATE_PIT2, &pit)) < 0) {
        error_setg(errp, "-accel kvm: KVM_CREATE_PIT2: %s", strerror(-ret));
        return false;
    }
    return x86_kvm_save_devices(errp) && x86_kvm_get_supported_cpuid(errp) &&
           x86_kvm_get_msr_list(errp);
}

/* Puts the interrupt controllers and the PIT back into their power-on state. */
static void x86_kvm_reset_devices(void)
{
    int ret = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(x86_kvm.chips) && ret >= 0; i++) {
        ret = kvm_vm_ioctl(KVM_SET_IRQCHIP, &x86_kvm.chips[i]);
    }
    if (ret >= 0) {
        ret = kvm_vm_ioctl(KVM_SET_PIT2, &x86_kvm.pit);
    }
    if (ret < 0) {
        error_report("kvm: resetting the in-kernel PIC, IOAPIC and PIT: %s", strerror(-ret));
    }
}

/* ---- the CPU state ---- */

static bool x86_state_ioctl(X86CPU *cpu, unsigned long request, const char *name,
                            void *arg, GError **errp)
{
    int ret = kvm_vcpu_ioctl(&cpu->parent, request, arg);

    if (ret < 0) {
        error_setg(errp, "kvm: vCPU %u: %s: %s", cpu->apic_id, name, strerror(-ret));
        return false;
    }
    return true;
}

#define STATE_IOCTL(cpu, req, arg) x86_state_ioctl(cpu, req, #req, arg, errp)

static struct kvm_msrs *x86_msrs_new(unsigned n)
{
    struct kvm_msrs *m = g_malloc0(sizeof(*m) + n * sizeof(m->entries[0]));

    m->nmsrs = n;
    return m;
}

static bool x86_get_msrs(X86CPU *cpu, X86CPUState *st, GError **errp)
{
    g_autofree struct kvm_msrs *m = x86_msrs_new(x86_kvm.nmsrs);
    int ret;

    for (unsigned i = 0; i < x86_kvm.nmsrs; i++) {
        m->entries[i].index = x86_kvm.msrs[i];
    }
    ret = kvm_vcpu_ioctl(&cpu->parent, KVM_GET_MSRS, m);
    if (ret < 0) {
        error_setg(errp, "kvm: vCPU %u: KVM_GET_MSRS: %s", cpu->apic_id, strerror(-ret));
        return false;
    }
    /* it stops at the first MSR it cannot read: keep those before */
    st->nmsrs = ret;
    memcpy(st->msrs, m->entries, ret * sizeof(m->entries[0]));
    return true;
}

static bool x86_put_msrs(X86CPU *cpu, const X86CPUState *st, GError **errp)
{
    g_autofree struct kvm_msrs *m = x86_msrs_new(st->nmsrs);
    int ret;

    memcpy(m->entries, st->msrs, st->nmsrs * sizeof(m->entries[0]));
    ret = kvm_vcpu_ioctl(&cpu->parent, KVM_SET_MSRS, m);
    if (ret != (int)st->nmsrs) {
        error_setg(errp, "kvm: vCPU %u: KVM_SET_MSRS set %d of %u", cpu->apic_id, ret,
                   st->nmsrs);
        return false;
    }
    return true;
}

/* The FPU and vector registers: XSAVE (the larger form when the kernel has
 * state beyond the 4 KiB of struct kvm_xsave), else the legacy FPU area. */
static bool x86_get_fpu(X86CPU *cpu, X86CPUState *st, GError **errp)
{
    if (!x86_kvm.xsave_size) {
        return STATE_IOCTL(cpu, KVM_GET_FPU, &st->fpu);
    }
    if (!st->xsave) {
        st->xsave = g_malloc0(x86_kvm.xsave_size);
    }
    if (x86_kvm.xsave_size > sizeof(struct kvm_xsave)) {
        return STATE_IOCTL(cpu, KVM_GET_XSAVE2, st->xsave);
    }
    return STATE_IOCTL(cpu, KVM_GET_XSAVE, st->xsave);
}

bool x86_cpu_get_state(X86CPU *cpu, X86CPUState *st, GError **errp)
{
    return STATE_IOCTL(cpu, KVM_GET_REGS, &st->regs) &&
           STATE_IOCTL(cpu, KVM_GET_SREGS, &st->sregs) &&
           x86_get_fpu(cpu, st, errp) &&
           (!x86_kvm.xcrs || STATE_IOCTL(cpu, KVM_GET_XCRS, &st->xcrs)) &&
           (!x86_kvm.debugregs || STATE_IOCTL(cpu, KVM_GET_DEBUGREGS, &st->debugregs)) &&
           STATE_IOCTL(cpu, KVM_GET_LAPIC, &st->lapic) &&
           STATE_IOCTL(cpu, KVM_GET_MP_STATE, &st->mp_state) &&
           x86_get_msrs(cpu, st, errp);
}

/* Segments and control registers first: they decide how the rest reads. */
bool x86_cpu_put_state(X86CPU *cpu, const X86CPUState *st, GError **errp)
{
    /* the KVM_SET_* ioctls only read their argument */
    X86CPUState *in = (X86CPUState *)st;

    return STATE_IOCTL(cpu, KVM_SET_SREGS, &in->sregs) &&
           STATE_IOCTL(cpu, KVM_SET_REGS, &in->regs) &&
           (in->xsave ? STATE_IOCTL(cpu, KVM_SET_XSAVE, in->xsave)
                      : STATE_IOCTL(cpu, KVM_SET_FPU, &in->fpu)) &&
           (!x86_kvm.xcrs || STATE_IOCTL(cpu, KVM_SET_XCRS, &in->xcrs)) &&
           (!x86_kvm.debugregs || STATE_IOCTL(cpu, KVM_SET_DEBUGREGS, &in->debugregs)) &&
           x86_put_msrs(cpu, st, errp) &&
           STATE_IOCTL(cpu, KVM_SET_LAPIC, &in->lapic) &&
           STATE_IOCTL(cpu, KVM_SET_MP_STATE, &in->mp_state);
}

void x86_cpu_state_free(X86CPUState *st)
{
    g_clear_pointer(&st->xsave, g_free);
}

/* ---- vCPUs ---- */

KvmVcpu *kvm_vcpu_of(CPUState *cpu)
{
    return &X86_CPU(cpu)->kvm;
}

bool x86_kvm_set_cpu_model(const char *spec, GError **errp)
{
    const X86CPUModel *model;
    bool enforce;

    return x86_cpu_model_parse(spec, &model, &enforce, errp) &&
           x86_cpuid_apply_model(x86_kvm.cpuid, model, enforce, errp);
}

/* The supported CPUID as the model has it, with this CPU's APIC id where
 * CPUID reports it. */
static bool x86_set_cpuid(X86CPU *cpu, GError **errp)
{
    const struct kvm_cpuid2 *sup = x86_kvm.cpuid;
    size_t size = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
    g_autofree struct kvm_cpuid2 *c = g_memdup2(sup, size);

    for (uint32_t i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];

        if (e->function == 1) {
            e->ebx = (e->ebx & 0x00ffffff) | (cpu->apic_id << 24);
        } else if (e->function == 0xb || e->function == 0x1f) {
            e->edx = cpu->apic_id;
        }
    }
    return STATE_IOCTL(cpu, KVM_SET_CPUID2, c);
}

bool kvm_arch_init_vcpu(CPUState *cs, GError **errp)
{
    X86CPU *cpu = X86_CPU(cs);

    if (!x86_set_cpuid(cpu, errp) || !x86_cpu_get_state(cpu, &cpu->power_on, errp)) {
        return false;
    }
    if (!cpu->boot.set) {
        return true;
    }
    x86_cpu_apply_boot_state(&cpu->power_on, &cpu->boot);
    return x86_cpu_put_state(cpu, &cpu->power_on, errp);
}

void kvm_arch_reset_vcpu(CPUState *cs)
{
    X86CPU *cpu = X86_CPU(cs);
    GError *err = NULL;

    if (cpu->kvm.fd < 0) {
        return;     /* not created yet: it starts in the power-on state */
    }
    /* The machine's devices in the kernel are reset with the first CPU (a
     * machine reset resets every CPU, in order; the CPUs are stopped). */
    if (cs == cpus_get(0)) {
        x86_kvm_reset_devices();
    }
    if (!x86_cpu_put_state(cpu, &cpu->power_on, &err)) {
        /* the kernel refusing its own state back is a host problem */
        error_report_err(err);
    }
    __atomic_store_n(&cs->halted, 0, __ATOMIC_SEQ_CST);
}

void kvm_arch_dump_state(CPUState *cs, FILE *out)
{
    X86CPUState st = { 0 };
    GError *err = NULL;

    if (X86_CPU(cs)->kvm.fd < 0) {
        return;
    }
    if (x86_cpu_get_state(X86_CPU(cs), &st, &err)) {
        x86_cpu_dump_regs(&st, out);
    } else {
        fprintf(out, "%s\n", err->message);
        g_error_free(err);
    }
    x86_cpu_state_free(&st);
}
