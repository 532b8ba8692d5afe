/*
 * The accelerators' table (proteus/accel.h), and the KVM and qtest
 * accelerators' small parts: KVM's own code is accel/kvm (or its stub in
 * builds without it), qtest's is system/qtest.c.
 */
#include <string.h>

#include "proteus/accel.h"
#include "proteus/error.h"
#include "proteus/kvm.h"

bool accel_no_opts(OptList *opts, GError **errp)
{
    if (opts->items->len) {
        OptItem *it = g_ptr_array_index(opts->items, 0);

        error_setg_code(errp, PROTEUS_ERROR_INVALID, "-accel %s: unknown option '%s'",
                        opts->head, it->key);
        return false;
    }
    return true;
}

static bool kvm_accel_init_machine(const char *arch, OptList *opts, GError **errp)
{
    return kvm_init(arch, errp);
}

static bool kvm_accel_init_vcpus(OptList *opts, GError **errp)
{
    return kvm_init_vcpus(errp);
}

const AccelClass accel_kvm = {
    .name = "kvm",
    .check_opts = accel_no_opts,
    .init_machine = kvm_accel_init_machine,
    .init_vcpus = kvm_accel_init_vcpus,
};

static bool qtest_accel_init_machine(const char *arch, OptList *opts, GError **errp)
{
    return true;
}

const AccelClass accel_qtest = {
    .name = "qtest",
    .check_opts = accel_no_opts,
    .init_machine = qtest_accel_init_machine,
};

static const AccelClass *const accels[] = { &accel_tcg, &accel_kvm, &accel_qtest };

const AccelClass *accel_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(accels); i++) {
        if (strcmp(accels[i]->name, name) == 0) {
            return accels[i];
        }
    }
    return NULL;
}

const char *accel_names(void)
{
    static char *names;

    if (!names) {
        GString *s = g_string_new(NULL);

        for (size_t i = 0; i < G_N_ELEMENTS(accels); i++) {
            g_string_append_printf(s, "%s%s", i ? ", " : "", accels[i]->name);
        }
        names = g_string_free(s, FALSE);
    }
    return names;
}
