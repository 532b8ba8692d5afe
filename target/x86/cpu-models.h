/*
 * x86-64 CPU models (-cpu) for KVM guests: target/x86/cpu-models.c says
 * what each one keeps of the host's CPUID.
 */
#ifndef TARGET_X86_CPU_MODELS_H
#define TARGET_X86_CPU_MODELS_H

#include <glib.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct X86CPUModel {
    const char *name;
    const char *description;
    int level;                  /* psABI level 1-4; 0: all the host offers */
} X86CPUModel;

/* The model called name; else errp lists the models. */
const X86CPUModel *x86_cpu_model_find(const char *name, GError **errp);
/* -cpu NAME[,enforce]. */
bool x86_cpu_model_parse(const char *spec, const X86CPUModel **model, bool *enforce,
                         GError **errp);
/* -cpu help */
void x86_cpu_print_models(FILE *out);
/* Narrows the host's supported CPUID table c to model. Features of the
 * model the host lacks are named in a warning on stderr, or with enforce
 * in an error. */
bool x86_cpuid_apply_model(struct kvm_cpuid2 *c, const X86CPUModel *model, bool enforce,
                           GError **errp);

#endif
