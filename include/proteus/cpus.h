/*
 * Running a machine's CPUs in system mode (system/cpus.c).
 *
 * A board creates its CPUs and registers each one; once the machine is
 * built, vl.c starts them: one host thread per vCPU running cpu_exec()
 * (TCG), sleeping while the CPU is halted (WFI with nothing pending) until
 * cpu_interrupt() wakes it, so an idle guest costs no host CPU. Device
 * state is under the BQL: vCPU threads run guest code without it and take
 * it for MMIO (the softmmu slow path does).
 *
 * A guest asks to power off or reset through the system_*_request calls
 * (from any thread, usually a device with the BQL held); the main loop
 * then ends the process with the status, or resets the machine (every
 * device, then every CPU) and lets the CPUs run again.
 */
#ifndef PROTEUS_CPUS_H
#define PROTEUS_CPUS_H

#include <stdbool.h>

#include "proteus/cpu.h"

/* Adds cpu to the machine's CPUs (called by the board's init, BQL held). */
void cpus_register(CPUState *cpu);
/* The registered CPUs, in order; NULL past the end. */
CPUState *cpus_get(int index);
int cpus_count(void);

/* Starts every registered CPU's thread (after the machine is built). With
 * start_paused, they wait until cpus_resume() (for -S). */
void cpus_start(bool start_paused);
/* Stops every vCPU at a TB boundary and waits until none runs guest code
 * (BQL held by the caller); cpus_resume() lets them go on. */
void cpus_pause(void);
void cpus_resume(void);
bool cpus_running(void);
/* Stops and joins the vCPU threads (at exit). */
void cpus_stop(void);

/* Requests from the guest (any thread). */
void system_shutdown_request(int status);   /* the process exits with status */
void system_reset_request(void);            /* machine_reset, then every CPU */

#endif
