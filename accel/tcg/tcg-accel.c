/*
 * The translator as a system-mode accelerator (proteus/accel.h):
 * "-accel tcg[,backend=x86_64|interp][,thread=single|multi]". It runs the
 * guest architectures that have a frontend; the backend defaults to the
 * JIT where it was built, and the threading to one host thread per vCPU.
 */
#include <string.h>

#include "accel/tcg/backend.h"
#include "proteus/accel.h"
#include "proteus/cpus.h"
#include "proteus/error.h"
#include "proteus/translator.h"

static bool tcg_check_backend(const char *name, GError **errp)
{
    g_autoptr(GString) names = g_string_new(NULL);

    for (const IRBackend *const *b = ir_backends; *b; b++) {
        if (name && strcmp(name, (*b)->name) == 0) {
            return true;
        }
        g_string_append_printf(names, "%s%s", names->len ? ", " : "", (*b)->name);
    }
    error_setg_code(errp, PROTEUS_ERROR_INVALID,
                    "-accel tcg: backend '%s' is not available (built: %s)", name ? name : "",
                    names->str);
    return false;
}

static bool tcg_check_opts(OptList *opts, GError **errp)
{
    for (guint i = 0; i < opts->items->len; i++) {
        OptItem *it = g_ptr_array_index(opts->items, i);

        if (strcmp(it->key, "backend") == 0) {
            if (!tcg_check_backend(it->value, errp)) {
                return false;
            }
        } else if (strcmp(it->key, "thread") == 0) {
            if (!it->value || (strcmp(it->value, "single") && strcmp(it->value, "multi"))) {
                error_setg_code(errp, PROTEUS_ERROR_INVALID,
                                "-accel tcg: thread must be single or multi, not '%s'",
                                it->value ? it->value : "");
                return false;
            }
        } else {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "-accel tcg: unknown option '%s' (backend=, thread=)", it->key);
            return false;
        }
    }
    return true;
}

/* Every guest architecture but x86_64 has a frontend. */
static bool tcg_init_machine(const char *arch, OptList *opts, GError **errp)
{
    if (arch && strcmp(arch, "x86_64") == 0) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-accel tcg: %s has no TCG frontend yet (use -accel kvm)", arch);
        return false;
    }
    return true;
}

static bool tcg_init_vcpus(OptList *opts, GError **errp)
{
    const IRBackend *backend = ir_backends[1] ? ir_backends[1] : ir_backends[0];
    const char *name = opt_list_get(opts, "backend");
    const char *thread = opt_list_get(opts, "thread");

    for (const IRBackend *const *b = ir_backends; name && *b; b++) {
        if (strcmp(name, (*b)->name) == 0) {
            backend = *b;
        }
    }
    if (thread) {
        cpus_set_single_thread(strcmp(thread, "single") == 0);
    }
    if (!tcg_exec_init(backend, errp)) {
        g_prefix_error(errp, "-accel tcg,backend=%s: ", backend->name);
        return false;
    }
    return true;
}

const AccelClass accel_tcg = {
    .name = "tcg",
    .check_opts = tcg_check_opts,
    .init_machine = tcg_init_machine,
    .init_vcpus = tcg_init_vcpus,
};
