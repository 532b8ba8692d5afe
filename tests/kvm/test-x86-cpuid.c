/*
 * Unit tests for the x86-64 CPU models (target/x86/cpu-models.c): what
 * each psABI level leaves of a host CPUID table offering every feature,
 * bit by bit (Intel SDM vol. 2A, CPUID; the x86-64 psABI levels), the
 * XSAVE leaf's components and sizes, a host that lacks a feature, and
 * -cpu's parsing.
 */
#include <glib.h>
#include <string.h>

#include "target/x86/cpu-models.h"

#define BIT(n) (1u << (n))

/* Leaf 1 ECX/EDX, 7.0 EBX/EDX and 0x80000001 EDX bits every level keeps. */
#define L1_ECX_SYSTEM (BIT(21) | BIT(24) | BIT(26) | BIT(27) | BIT(31))
/* fpu..apic (0-9), sep..pse36 (11-17), clflush (19), mmx..ht (23-28) */
#define L1_EDX_ALL (0x3ffu | 0x3f800u | BIT(19) | 0x1f800000u)
#define L7_EBX_SYSTEM (BIT(0) | BIT(7) | BIT(9) | BIT(10) | BIT(20))
#define L7_EDX_SYSTEM (BIT(10) | BIT(26) | BIT(27) | BIT(28) | BIT(29) | BIT(31))
#define EXT_EDX_SYSTEM (0x0183fbffu | BIT(11) | BIT(20) | BIT(26) | BIT(27) | BIT(29))
/* what each level adds */
#define V2_L1_ECX (BIT(0) | BIT(9) | BIT(13) | BIT(19) | BIT(20) | BIT(23))
#define V3_L1_ECX (BIT(12) | BIT(22) | BIT(28) | BIT(29))
#define V3_L7_EBX (BIT(3) | BIT(5) | BIT(8))
#define V4_L7_EBX (BIT(16) | BIT(17) | BIT(28) | BIT(30) | BIT(31))

typedef struct Table {
    struct kvm_cpuid2 c;
    struct kvm_cpuid_entry2 e[16];
} Table;

static void add(Table *t, uint32_t function, uint32_t index, bool indexed, uint32_t eax,
                uint32_t ebx, uint32_t ecx, uint32_t edx)
{
    struct kvm_cpuid_entry2 *e = &t->c.entries[t->c.nent++];

    g_assert_cmpuint(t->c.nent, <=, G_N_ELEMENTS(t->e));
    *e = (struct kvm_cpuid_entry2){
        .function = function, .index = index,
        .flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
        .eax = eax, .ebx = ebx, .ecx = ecx, .edx = edx,
    };
}

/* A host with every feature bit, AVX-512 and PKRU state components. */
static void host_table(Table *t)
{
    memset(t, 0, sizeof(*t));
    add(t, 1, 0, false, 0x000a0f11, 0x01020800, ~0u, ~0u);
    add(t, 7, 0, true, 1, ~0u, ~0u, ~0u);
    add(t, 7, 1, true, ~0u, ~0u, ~0u, ~0u);
    add(t, 0x80000001, 0, false, 0x00a10f11, 0x40000000, ~0u, ~0u);
    add(t, 0xd, 0, true, 0x2e7, 0xa88, 0xa88, 0);
    add(t, 0xd, 1, true, 0xf, 0, 0, 0);
    add(t, 0xd, 2, true, 0x100, 0x240, 0, 0);       /* AVX: size, offset */
    add(t, 0xd, 5, true, 0x40, 0x340, 0, 0);        /* opmask */
    add(t, 0xd, 6, true, 0x200, 0x380, 0, 0);       /* ZMM_Hi256 */
    add(t, 0xd, 7, true, 0x400, 0x580, 0, 0);       /* Hi16_ZMM */
    add(t, 0xd, 9, true, 0x8, 0xa80, 0, 0);         /* PKRU */
}

static struct kvm_cpuid_entry2 *entry(Table *t, uint32_t function, uint32_t index)
{
    for (uint32_t i = 0; i < t->c.nent; i++) {
        if (t->c.entries[i].function == function && t->c.entries[i].index == index) {
            return &t->c.entries[i];
        }
    }
    g_assert_not_reached();
}

static void apply(Table *t, const char *spec)
{
    const X86CPUModel *model;
    bool enforce;
    GError *err = NULL;

    g_assert_true(x86_cpu_model_parse(spec, &model, &enforce, &err));
    g_assert_true(x86_cpuid_apply_model(&t->c, model, enforce, &err));
    g_assert_no_error(err);
}

/* The level's feature words; signature, brand and APIC id words untouched. */
static void expect_level(Table *t, uint32_t l1_ecx, uint32_t l7_ebx, uint32_t ext_ecx)
{
    g_assert_cmphex(entry(t, 1, 0)->eax, ==, 0x000a0f11);
    g_assert_cmphex(entry(t, 1, 0)->ebx, ==, 0x01020800);
    g_assert_cmphex(entry(t, 1, 0)->ecx, ==, l1_ecx);
    g_assert_cmphex(entry(t, 1, 0)->edx, ==, L1_EDX_ALL);
    g_assert_cmphex(entry(t, 7, 0)->eax, ==, 1);
    g_assert_cmphex(entry(t, 7, 0)->ebx, ==, l7_ebx);
    g_assert_cmphex(entry(t, 7, 0)->ecx, ==, 0);
    g_assert_cmphex(entry(t, 7, 0)->edx, ==, L7_EDX_SYSTEM);
    g_assert_cmphex(entry(t, 7, 1)->eax | entry(t, 7, 1)->ebx | entry(t, 7, 1)->ecx |
                    entry(t, 7, 1)->edx, ==, 0);
    g_assert_cmphex(entry(t, 0x80000001, 0)->eax, ==, 0x00a10f11);
    g_assert_cmphex(entry(t, 0x80000001, 0)->ecx, ==, ext_ecx);
    g_assert_cmphex(entry(t, 0x80000001, 0)->edx, ==, EXT_EDX_SYSTEM);
}

static void test_host(void)
{
    Table t, orig;

    host_table(&t);
    orig = t;
    apply(&t, "host");
    g_assert_cmpmem(&t, sizeof(t), &orig, sizeof(orig));
    apply(&t, "max");
    g_assert_cmpmem(&t, sizeof(t), &orig, sizeof(orig));
}

static void test_v1_v2(void)
{
    Table t;

    host_table(&t);
    apply(&t, "x86-64-v1");
    expect_level(&t, L1_ECX_SYSTEM, L7_EBX_SYSTEM, 0);
    /* x87 and SSE state only: the legacy area and the header */
    g_assert_cmphex(entry(&t, 0xd, 0)->eax, ==, 0x3);
    g_assert_cmphex(entry(&t, 0xd, 0)->ecx, ==, 576);
    g_assert_cmphex(entry(&t, 0xd, 0)->ebx, ==, 576);
    g_assert_cmphex(entry(&t, 0xd, 2)->eax | entry(&t, 0xd, 2)->ebx, ==, 0);
    g_assert_cmphex(entry(&t, 0xd, 9)->eax, ==, 0);
    g_assert_cmphex(entry(&t, 0xd, 1)->eax, ==, 0xf);

    host_table(&t);
    apply(&t, "x86-64-v2");
    expect_level(&t, L1_ECX_SYSTEM | V2_L1_ECX, L7_EBX_SYSTEM, BIT(0));
    g_assert_cmphex(entry(&t, 0xd, 0)->eax, ==, 0x3);
}

static void test_v3_v4(void)
{
    Table t;

    host_table(&t);
    apply(&t, "x86-64-v3");
    expect_level(&t, L1_ECX_SYSTEM | V2_L1_ECX | V3_L1_ECX, L7_EBX_SYSTEM | V3_L7_EBX,
                 BIT(0) | BIT(5));
    g_assert_cmphex(entry(&t, 0xd, 0)->eax, ==, 0x7);
    g_assert_cmphex(entry(&t, 0xd, 0)->ecx, ==, 0x240 + 0x100);
    g_assert_cmphex(entry(&t, 0xd, 2)->eax, ==, 0x100);
    g_assert_cmphex(entry(&t, 0xd, 5)->eax, ==, 0);

    host_table(&t);
    apply(&t, "x86-64-v4");
    expect_level(&t, L1_ECX_SYSTEM | V2_L1_ECX | V3_L1_ECX,
                 L7_EBX_SYSTEM | V3_L7_EBX | V4_L7_EBX, BIT(0) | BIT(5));
    g_assert_cmphex(entry(&t, 0xd, 0)->eax, ==, 0xe7);
    g_assert_cmphex(entry(&t, 0xd, 0)->ecx, ==, 0x580 + 0x400);
    g_assert_cmphex(entry(&t, 0xd, 7)->eax, ==, 0x400);
    g_assert_cmphex(entry(&t, 0xd, 9)->eax | entry(&t, 0xd, 9)->ebx, ==, 0);
}

/* A host without AVX2 and LZCNT: enforce refuses v3 naming both; without
 * it the guest goes without them (a warning on stderr). */
static void test_missing(void)
{
    const X86CPUModel *model;
    bool enforce;
    GError *err = NULL;
    Table t;

    host_table(&t);
    entry(&t, 7, 0)->ebx &= ~BIT(5);
    entry(&t, 0x80000001, 0)->ecx &= ~BIT(5);
    g_assert_true(x86_cpu_model_parse("x86-64-v3,enforce", &model, &enforce, &err));
    g_assert_true(enforce);
    g_assert_false(x86_cpuid_apply_model(&t.c, model, enforce, &err));
    g_assert_nonnull(strstr(err->message, "-cpu x86-64-v3,enforce"));
    g_assert_nonnull(strstr(err->message, "avx2, lzcnt"));
    g_clear_error(&err);

    g_assert_true(x86_cpu_model_parse("x86-64-v3", &model, &enforce, &err));
    g_assert_false(enforce);
    g_assert_true(x86_cpuid_apply_model(&t.c, model, enforce, &err));
    g_assert_cmphex(entry(&t, 7, 0)->ebx, ==, (L7_EBX_SYSTEM | V3_L7_EBX) & ~BIT(5));
    /* a model below what the host lacks needs nothing of it */
    host_table(&t);
    entry(&t, 7, 0)->ebx &= ~BIT(5);
    g_assert_true(x86_cpu_model_parse("x86-64-v2,enforce", &model, &enforce, &err));
    g_assert_true(x86_cpuid_apply_model(&t.c, model, enforce, &err));
}

static void test_parse(void)
{
    const X86CPUModel *model;
    bool enforce = true;
    GError *err = NULL;

    g_assert_true(x86_cpu_model_parse("x86-64-v2,enforce=off", &model, &enforce, &err));
    g_assert_cmpstr(model->name, ==, "x86-64-v2");
    g_assert_false(enforce);
    g_assert_false(x86_cpu_model_parse("pentium", &model, &enforce, &err));
    g_assert_cmpstr(err->message, ==, "-cpu pentium: unknown x86_64 CPU model (host, max, "
                    "x86-64-v1, x86-64-v2, x86-64-v3, x86-64-v4)");
    g_clear_error(&err);
    g_assert_false(x86_cpu_model_parse("host,turbo", &model, &enforce, &err));
    g_assert_cmpstr(err->message, ==, "-cpu host,turbo: unknown option 'turbo' (enforce)");
    g_clear_error(&err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/x86-cpuid/host", test_host);
    g_test_add_func("/x86-cpuid/v1-v2", test_v1_v2);
    g_test_add_func("/x86-cpuid/v3-v4", test_v3_v4);
    g_test_add_func("/x86-cpuid/missing", test_missing);
    g_test_add_func("/x86-cpuid/parse", test_parse);
    return g_test_run();
}
