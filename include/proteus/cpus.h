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
/* The host thread id running CPU index (QMP's thread-id); 0 until its
 * thread has started. */
int cpus_thread_id(int index);
/*
 * The board's part of a CPU's reset. On a guest reset (system_reset_request)
 * every CPU first gets cpu_reset() (the class's power-on state), then this
 * hook, which sets what the board decides: the boot pc, the registers the
 * firmware expects. The board sets the first boot's state itself at init;
 * the hook must repeat it. NULL removes it. BQL held, CPUs not started or
 * paused.
 */
void cpus_set_reset_hook(CPUState *cpu, void (*hook)(CPUState *cpu, void *opaque),
                         void *opaque);

/*
 * How a vCPU thread runs guest code: TCG's cpu_exec() by default; an
 * accelerator that runs guests on the hardware (KVM) installs its own
 * before cpus_start(). exec returns like cpu_exec() (EXCP_INTERRUPT after
 * a kick, EXCP_HLT when halted, EXCP_DEBUG); thread_init runs once on
 * each vCPU thread before its first exec (may be NULL); kick, after
 * cpu_exit(cpu) from any thread, must make a running exec return soon
 * (NULL: cpu_exit is enough, as for TCG).
 */
typedef struct CpusAccelOps {
    void (*thread_init)(CPUState *cpu);
    int (*exec)(CPUState *cpu);
    void (*kick)(CPUState *cpu);
} CpusAccelOps;
void cpus_set_accel_ops(const CpusAccelOps *ops);

/* -accel tcg,thread=single: one host thread runs every vCPU in turn, each
 * for up to 10 ms (or until it halts). Before cpus_start(). */
void cpus_set_single_thread(bool single);
/* Starts every registered CPU's thread (after the machine is built). With
 * start_paused, they wait until cpus_resume() (for -S). */
void cpus_start(bool start_paused);
/* Stops every vCPU at a TB boundary and waits until none runs guest code
 * (BQL held by the caller); cpus_resume() lets them go on. */
void cpus_pause(void);
void cpus_resume(void);
bool cpus_running(void);
/*
 * The debugger (gdbstub). The handler is called on a vCPU's thread,
 * without the BQL or any cpus lock, when cpu_exec() returned EXCP_DEBUG
 * (proteus/debug.h says why); that CPU stays stopped until cpus_resume()
 * or cpus_resume_only(). NULL: the CPU just stays stopped.
 */
void cpus_set_debug_handler(void (*handler)(CPUState *cpu));
/* After cpus_pause(): lets only cpu run (a single step), the others stay
 * stopped; the next cpus_pause() stops it again, cpus_resume() lets all go. */
void cpus_resume_only(CPUState *cpu);
/* Stops and joins the vCPU threads (at exit). */
void cpus_stop(void);

/*
 * Guests that busy-wait: firmware often polls a device register in a loop
 * (a UART's line status, waiting for a key) instead of sleeping in WFI.
 * The device reports each poll from its MMIO read: found nothing (idle
 * true) or found work (false; also when the guest makes progress, e.g.
 * writes a byte). After CPUS_IDLE_POLLS fruitless polls in a row, the vCPU
 * sleeps after each further one (once the access is done and the BQL is
 * released) for up to CPUS_IDLE_SLEEP_US, or until the device calls
 * cpus_poll_wakeup() because what the guest waits for arrived, or an
 * interrupt or a pause request comes. So a guest at a prompt costs almost
 * no host CPU, and input is seen within microseconds.
 */
#define CPUS_IDLE_POLLS 64
#define CPUS_IDLE_SLEEP_US 1000
void cpus_poll_idle(bool idle);         /* from an MMIO handler (BQL held) */
void cpus_poll_wakeup(void);            /* any thread */

/* Requests from the guest (any thread); each is also a proteus/runstate.h
 * event (SHUTDOWN, RESET) with a guest cause. */
void system_shutdown_request(int status);   /* the process exits with status */
void system_reset_request(void);            /* machine_reset, then every CPU */
/* The power button (BQL held): the POWERDOWN event and the board's handler. */
void system_powerdown_request(void);

#endif
