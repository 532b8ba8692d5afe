/*
 * The KVM accelerator: guest code runs on the host CPU through Linux's
 * /dev/kvm when the guest architecture is the host's.
 *
 * kvm_init() opens /dev/kvm, checks the API version and every capability
 * used, creates the VM (with the architecture's in-kernel devices) and
 * mirrors guest RAM and ROM of the system address space into memory slots
 * through a MemoryListener, so regions mapped later appear in the guest
 * too. It then takes over the vCPU threads of system/cpus.c: each thread
 * runs KVM_RUN in a loop and dispatches port I/O and MMIO exits through
 * the memory API with the BQL held.
 *
 * Boards create their CPUs first and register them (cpus_register); the
 * accelerator creates a kernel vCPU for each in kvm_init_vcpus().
 *
 * The architecture part (target/<arch>/kvm.c) provides the kvm_arch_*
 * hooks below: what the VM needs at creation, each vCPU's set-up and reset.
 */
#ifndef PROTEUS_KVM_H
#define PROTEUS_KVM_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "proteus/cpu.h"
#include "proteus/irq.h"

/* What a CPU of a KVM guest carries: its kernel vCPU and the shared run area. */
typedef struct KvmVcpu {
    int fd;                     /* -1 until created */
    struct kvm_run *run;
    size_t run_size;
    int vcpu_id;                /* the kernel's id (the APIC id on x86) */
} KvmVcpu;

/*
 * Opens /dev/kvm and creates the VM for a guest of architecture arch. The
 * errors say why KVM cannot be used: no /dev/kvm, no permission, an old or
 * incomplete kernel (naming the missing capability), a guest architecture
 * that is not the host's. On success, installs the vCPU thread operations.
 */
bool kvm_init(const char *arch, GError **errp);
bool kvm_enabled(void);

/* Creates the kernel vCPU of every registered CPU (after the board built
 * them, before cpus_start). */
bool kvm_init_vcpus(GError **errp);

/* The kernel vCPU of cpu (the architecture's CPU struct holds it). */
KvmVcpu *kvm_vcpu_of(CPUState *cpu);

/* ioctl on the VM / a vCPU / /dev/kvm; -errno on failure. */
int kvm_vm_ioctl(unsigned long request, void *arg);
int kvm_vcpu_ioctl(CPUState *cpu, unsigned long request, void *arg);
int kvm_sys_ioctl(unsigned long request, void *arg);
/* KVM_CHECK_EXTENSION on the VM: > 0 when the capability is there. */
int kvm_check_extension(int cap);
/* Errors unless the capability is there, naming it. */
bool kvm_require_extension(int cap, const char *name, GError **errp);

/* Whether the kernel signals ioeventfds itself (KVM_IOEVENTFD): a device
 * then gains from moving work such as virtio notifies off the vCPU thread.
 * Without KVM the memory API signals them on dispatch, which gains nothing. */
bool kvm_ioeventfds_enabled(void);

/* The level of an in-kernel interrupt controller input (gsi). */
void kvm_set_irq(int gsi, int level);
/* An IRQ line driving gsi, for a board to connect device outputs to. */
ProteusIrq kvm_irq_line(int gsi);

/* ---- the architecture's part (target/<arch>/kvm.c) ---- */

/* The architecture KVM runs here ("x86_64"), matching the guest's name. */
extern const char kvm_arch_name[];
/* After KVM_CREATE_VM: the capabilities it needs, in-kernel devices. */
bool kvm_arch_init_vm(GError **errp);
/* After KVM_CREATE_VCPU: CPUID, MSRs; records the power-on state. */
bool kvm_arch_init_vcpu(CPUState *cpu, GError **errp);
/* Puts the vCPU back into the power-on state recorded at creation (its
 * thread is parked or not started). */
void kvm_arch_reset_vcpu(CPUState *cpu);
/* Writes the registers to out (failure exits, -d cpu). */
void kvm_arch_dump_state(CPUState *cpu, FILE *out);

#endif
