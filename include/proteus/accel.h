/*
 * Accelerators: what runs the guest's CPUs in system mode. -accel names
 * them in order of preference ("kvm:tcg,backend=interp"); the first whose
 * init_machine succeeds runs the machine, and when none does the error
 * gives each one's reason.
 *
 *   check_opts    while the command line is parsed: each "NAME,key=value"
 *                 item's options, so a typo fails before anything starts.
 *   init_machine  before the board is built (boards make their CPUs for
 *                 the accelerator): whether it can run guests of arch on
 *                 this host, and what must exist first (KVM: the VM and
 *                 the memory listener that mirrors RAM into it).
 *   init_vcpus    after the board registered its CPUs: each CPU's state in
 *                 the accelerator (KVM's vCPUs; the translator's backend)
 *                 and how their threads run (CpusAccelOps, proteus/cpus.h).
 *
 * The qtest accelerator runs no CPU: with it the machine is driven through
 * -qtest (system/qtest.c), and init_vcpus is never called.
 */
#ifndef PROTEUS_ACCEL_H
#define PROTEUS_ACCEL_H

#include <glib.h>
#include <stdbool.h>

#include "proteus/options.h"

typedef struct AccelClass {
    const char *name;
    bool (*check_opts)(OptList *opts, GError **errp);
    bool (*init_machine)(const char *arch, OptList *opts, GError **errp);
    bool (*init_vcpus)(OptList *opts, GError **errp);
} AccelClass;

extern const AccelClass accel_tcg;
extern const AccelClass accel_kvm;
extern const AccelClass accel_qtest;

/* The accelerator called name, or NULL. */
const AccelClass *accel_find(const char *name);
/* The names, comma-separated, for messages. */
const char *accel_names(void);
/* check_opts for an accelerator that takes no options. */
bool accel_no_opts(OptList *opts, GError **errp);

#endif
