/*
 * x86-64 CPU models for KVM guests (-cpu): what CPUID tells the guest.
 *
 *   host, max      everything the host's KVM offers (KVM_GET_SUPPORTED_CPUID)
 *   x86-64-v1..v4  the x86-64 psABI's microarchitecture levels: the ISA
 *                  features of that level and below, plus the system
 *                  features an OS relies on (paging, APIC, TSC deadline,
 *                  SYSCALL, NX, XSAVE, SMEP/SMAP, speculation controls),
 *                  and nothing else: a guest sees the same instruction set
 *                  on any host that has the level
 *
 * A model is applied to the host's supported table: in the feature leaves
 * (1, 7.0, 7.1, 0x80000001) every bit outside the model is cleared, and
 * the XSAVE leaf (0xd) keeps only the state components the level's ISA
 * uses. Features of the level the host lacks are named in a warning, as
 * QEMU does, or with ",enforce" in an error.
 * Feature bits: Intel SDM vol. 2A, CPUID; levels: the x86-64 psABI, 3.1.1.
 */
#include <stdint.h>
#include <string.h>

#include "proteus/error.h"
#include "target/x86/cpu-models.h"

enum { EAX, EBX, ECX, EDX };

typedef struct X86Feature {
    uint32_t function, index;
    uint8_t reg, bit;
    uint8_t level;          /* 0: kept wherever the host has it; N: level N needs it */
    const char *name;
} X86Feature;

static const X86Feature x86_features[] = {
    /* leaf 1 EDX */
    { 1, 0, EDX, 0, 1, "fpu" }, { 1, 0, EDX, 1, 0, "vme" }, { 1, 0, EDX, 2, 0, "de" },
    { 1, 0, EDX, 3, 0, "pse" }, { 1, 0, EDX, 4, 0, "tsc" }, { 1, 0, EDX, 5, 0, "msr" },
    { 1, 0, EDX, 6, 0, "pae" }, { 1, 0, EDX, 7, 0, "mce" }, { 1, 0, EDX, 8, 1, "cx8" },
    { 1, 0, EDX, 9, 0, "apic" }, { 1, 0, EDX, 11, 0, "sep" }, { 1, 0, EDX, 12, 0, "mtrr" },
    { 1, 0, EDX, 13, 0, "pge" }, { 1, 0, EDX, 14, 0, "mca" }, { 1, 0, EDX, 15, 1, "cmov" },
    { 1, 0, EDX, 16, 0, "pat" }, { 1, 0, EDX, 17, 0, "pse36" }, { 1, 0, EDX, 19, 0, "clflush" },
    { 1, 0, EDX, 23, 1, "mmx" }, { 1, 0, EDX, 24, 1, "fxsr" }, { 1, 0, EDX, 25, 1, "sse" },
    { 1, 0, EDX, 26, 1, "sse2" }, { 1, 0, EDX, 27, 0, "ss" }, { 1, 0, EDX, 28, 0, "ht" },
    /* leaf 1 ECX */
    { 1, 0, ECX, 0, 2, "sse3" }, { 1, 0, ECX, 9, 2, "ssse3" }, { 1, 0, ECX, 12, 3, "fma" },
    { 1, 0, ECX, 13, 2, "cx16" }, { 1, 0, ECX, 19, 2, "sse4.1" }, { 1, 0, ECX, 20, 2, "sse4.2" },
    { 1, 0, ECX, 21, 0, "x2apic" }, { 1, 0, ECX, 22, 3, "movbe" }, { 1, 0, ECX, 23, 2, "popcnt" },
    { 1, 0, ECX, 24, 0, "tsc-deadline" }, { 1, 0, ECX, 26, 0, "xsave" },
    { 1, 0, ECX, 27, 0, "osxsave" }, { 1, 0, ECX, 28, 3, "avx" }, { 1, 0, ECX, 29, 3, "f16c" },
    { 1, 0, ECX, 31, 0, "hypervisor" },
    /* leaf 7.0 EBX */
    { 7, 0, EBX, 0, 0, "fsgsbase" }, { 7, 0, EBX, 3, 3, "bmi1" }, { 7, 0, EBX, 5, 3, "avx2" },
    { 7, 0, EBX, 7, 0, "smep" }, { 7, 0, EBX, 8, 3, "bmi2" }, { 7, 0, EBX, 9, 0, "erms" },
    { 7, 0, EBX, 10, 0, "invpcid" }, { 7, 0, EBX, 16, 4, "avx512f" },
    { 7, 0, EBX, 17, 4, "avx512dq" }, { 7, 0, EBX, 20, 0, "smap" },
    { 7, 0, EBX, 28, 4, "avx512cd" }, { 7, 0, EBX, 30, 4, "avx512bw" },
    { 7, 0, EBX, 31, 4, "avx512vl" },
    /* leaf 7.0 EDX: speculation controls */
    { 7, 0, EDX, 10, 0, "md-clear" }, { 7, 0, EDX, 26, 0, "spec-ctrl" },
    { 7, 0, EDX, 27, 0, "stibp" }, { 7, 0, EDX, 28, 0, "flush-l1d" },
    { 7, 0, EDX, 29, 0, "arch-capabilities" }, { 7, 0, EDX, 31, 0, "ssbd" },
    /* leaf 0x80000001 ECX, EDX (AMD mirrors leaf 1's EDX bits 0-17, 23, 24 there) */
    { 0x80000001, 0, ECX, 0, 2, "lahf-lm" }, { 0x80000001, 0, ECX, 5, 3, "lzcnt" },
    { 0x80000001, 0, EDX, 11, 1, "syscall" }, { 0x80000001, 0, EDX, 20, 0, "nx" },
    { 0x80000001, 0, EDX, 26, 0, "pdpe1gb" }, { 0x80000001, 0, EDX, 27, 0, "rdtscp" },
    { 0x80000001, 0, EDX, 29, 1, "lm" },
};

#define AMD_EDX_MIRROR 0x0183fbffu

/* The registers that hold feature bits, cleared outside the model (the
 * others hold the signature, the APIC id, the highest subleaf...). */
#define REGS(a, b, c, d) ((a) << EAX | (b) << EBX | (c) << ECX | (d) << EDX)
static const struct {
    uint32_t function, index;
    unsigned regs;
} x86_feature_leaves[] = {
    { 1, 0, REGS(0, 0, 1, 1) },
    { 7, 0, REGS(0, 1, 1, 1) },
    { 7, 1, REGS(1, 1, 1, 1) },
    { 0x80000001, 0, REGS(0, 0, 1, 1) },
};

/* XSAVE state components each level uses: x87 and SSE; AVX; the AVX-512
 * opmask, ZMM_Hi256 and Hi16_ZMM states. */
static const uint64_t x86_level_xcr0[] = { 0, 0x3, 0x3, 0x7, 0xe7 };

static const X86CPUModel x86_cpu_models[] = {
    { "host", "everything the host's KVM offers (the default)", 0 },
    { "max", "the same as host under KVM", 0 },
    { "x86-64-v1", "psABI level 1: x86-64 with SSE2", 1 },
    { "x86-64-v2", "psABI level 2: + SSE3, SSSE3, SSE4.1/4.2, POPCNT, CX16, LAHF", 2 },
    { "x86-64-v3", "psABI level 3: + AVX, AVX2, BMI1/2, FMA, F16C, LZCNT, MOVBE", 3 },
    { "x86-64-v4", "psABI level 4: + AVX-512 F, BW, CD, DQ, VL", 4 },
    { NULL },
};

bool x86_cpu_model_parse(const char *spec, const X86CPUModel **model, bool *enforce,
                         GError **errp)
{
    g_auto(GStrv) parts = g_strsplit(spec, ",", -1);

    *enforce = false;
    *model = x86_cpu_model_find(parts[0], errp);
    if (!*model) {
        return false;
    }
    for (char **p = parts + 1; *p; p++) {
        if (strcmp(*p, "enforce") == 0 || strcmp(*p, "enforce=on") == 0) {
            *enforce = true;
        } else if (strcmp(*p, "enforce=off") != 0) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "-cpu %s: unknown option '%s' (enforce)", spec, *p);
            return false;
        }
    }
    return true;
}

const X86CPUModel *x86_cpu_model_find(const char *name, GError **errp)
{
    g_autoptr(GString) names = g_string_new(NULL);

    for (const X86CPUModel *m = x86_cpu_models; m->name; m++) {
        if (strcmp(m->name, name) == 0) {
            return m;
        }
        g_string_append_printf(names, "%s%s", names->len ? ", " : "", m->name);
    }
    error_setg_code(errp, PROTEUS_ERROR_INVALID, "-cpu %s: unknown x86_64 CPU model (%s)",
                    name, names->str);
    return NULL;
}

void x86_cpu_print_models(FILE *out)
{
    fprintf(out, "x86_64 CPU models (-cpu NAME[,enforce]; enforce: the host must offer "
            "all the model has):\n");
    for (const X86CPUModel *m = x86_cpu_models; m->name; m++) {
        fprintf(out, "  %-12s %s\n", m->name, m->description);
    }
}

static struct kvm_cpuid_entry2 *cpuid_entry(struct kvm_cpuid2 *c, uint32_t function,
                                           uint32_t index)
{
    for (uint32_t i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];

        if (e->function == function &&
            (e->index == index || !(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX))) {
            return e;
        }
    }
    return NULL;
}

static uint32_t *cpuid_reg(struct kvm_cpuid_entry2 *e, unsigned reg)
{
    uint32_t *regs[] = { &e->eax, &e->ebx, &e->ecx, &e->edx };

    return regs[reg];
}

/* Leaf 0xd: the state components of the level, and the area they need. */
static void cpuid_apply_xsave(struct kvm_cpuid2 *c, int level)
{
    struct kvm_cpuid_entry2 *top = cpuid_entry(c, 0xd, 0);
    uint64_t keep = x86_level_xcr0[level];
    uint32_t size = 512 + 64;       /* the legacy area and the XSAVE header */

    if (!top) {
        return;
    }
    for (uint32_t i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];

        if (e->function != 0xd || e->index < 2 || e->index >= 64) {
            continue;
        }
        if (!((keep >> e->index) & 1)) {
            e->eax = e->ebx = e->ecx = e->edx = 0;
        } else if (e->eax + e->ebx > size) {
            size = e->eax + e->ebx;     /* the component's size and offset */
        }
    }
    top->eax &= (uint32_t)keep;
    top->edx &= (uint32_t)(keep >> 32);
    top->ecx = size;
    top->ebx = MIN(top->ebx, size);
}

bool x86_cpuid_apply_model(struct kvm_cpuid2 *c, const X86CPUModel *model, bool enforce,
                           GError **errp)
{
    uint32_t keep[G_N_ELEMENTS(x86_feature_leaves)][4] = { { 0 } };
    g_autoptr(GString) missing = g_string_new(NULL);

    if (model->level == 0) {
        return true;
    }
    keep[3][EDX] = AMD_EDX_MIRROR;
    for (size_t i = 0; i < G_N_ELEMENTS(x86_features); i++) {
        const X86Feature *f = &x86_features[i];
        struct kvm_cpuid_entry2 *e = cpuid_entry(c, f->function, f->index);
        size_t leaf = 0;

        if (f->level > model->level) {
            continue;
        }
        while (x86_feature_leaves[leaf].function != f->function ||
               x86_feature_leaves[leaf].index != f->index) {
            leaf++;
        }
        keep[leaf][f->reg] |= 1u << f->bit;
        if (f->level && (!e || !((*cpuid_reg(e, f->reg) >> f->bit) & 1))) {
            g_string_append_printf(missing, "%s%s", missing->len ? ", " : "", f->name);
        }
    }
    if (missing->len && enforce) {
        error_setg_code(errp, PROTEUS_ERROR_FAILED,
                        "-cpu %s,enforce: the host's KVM does not offer %s", model->name,
                        missing->str);
        return false;
    }
    if (missing->len) {
        error_report("warning: -cpu %s: the host's KVM does not offer %s: the guest "
                     "goes without", model->name, missing->str);
    }
    for (size_t leaf = 0; leaf < G_N_ELEMENTS(x86_feature_leaves); leaf++) {
        struct kvm_cpuid_entry2 *e = cpuid_entry(c, x86_feature_leaves[leaf].function,
                                                 x86_feature_leaves[leaf].index);

        for (unsigned reg = EAX; e && reg <= EDX; reg++) {
            if ((x86_feature_leaves[leaf].regs >> reg) & 1) {
                *cpuid_reg(e, reg) &= keep[leaf][reg];
            }
        }
    }
    cpuid_apply_xsave(c, model->level);
    return true;
}
