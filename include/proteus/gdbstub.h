/*
 * The GDB remote serial protocol (system/gdbstub.c), shared by the system
 * emulator (system/gdbstub-system.c: a chardev on the main loop) and the
 * user-mode emulator (linux-user/gdbstub-user.c: a blocking socket).
 *
 * The engine is transport- and mode-neutral: bytes from gdb go into
 * gdb_stub_input(), which frames packets (checksums, acks, escapes),
 * answers what it can itself (registers through the CPU class's gdb hooks,
 * the target description, breakpoints and watchpoints through
 * proteus/debug.h, threads, memory through the mode's ops) and calls the
 * mode's GdbStubOps for the rest: resuming, Ctrl-C, detach, kill. The
 * mode tells the engine when the guest stopped (gdb_stub_report_stop) or
 * ended (gdb_stub_report_exit).
 *
 * Threads are CPUs: the mode lists them and names their ids (system mode:
 * cpu_index + 1; user mode: the guest tid). Signal numbers here are gdb's
 * (GDB_SIGNAL_*), which the mode maps to and from the guest's.
 *
 * The engine is not thread-safe: the mode calls it from one thread at a
 * time, with no CPU running guest code whenever it may touch CPU state
 * (every call but a Ctrl-C byte while running).
 */
#ifndef PROTEUS_GDBSTUB_H
#define PROTEUS_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proteus/cpu.h"
#include "proteus/debug.h"

/* gdb's own signal numbers (include/gdb/signals.def) the stub itself uses. */
#define GDB_SIGNAL_0    0
#define GDB_SIGNAL_INT  2
#define GDB_SIGNAL_TRAP 5
#define GDB_SIGNAL_KILL 9

/* The largest packet gdb may send us (qSupported PacketSize). */
#define GDB_MAX_PACKET 0x4000

typedef struct GdbStub GdbStub;

/* How the guest should run on: what c/s/C/S/vCont asked for. */
typedef struct GdbResume {
    CPUState *step;             /* single-step this one (NULL: none) */
    bool run_others;            /* the other threads run (else they stay stopped) */
    int signal;                 /* gdb signal to give the stopped thread (0: none) */
} GdbResume;

typedef struct GdbStubOps {
    /* Bytes to gdb (a whole packet, or an ack). */
    void (*send)(void *opaque, const uint8_t *buf, size_t len);
    /* The threads in order: the n-th one's CPU (NULL past the end), and its id. */
    CPUState *(*thread_at)(void *opaque, int n);
    int64_t (*thread_id)(void *opaque, CPUState *cpu);
    /* Guest virtual memory as cpu sees it; false: not all of it is there. */
    bool (*read_memory)(void *opaque, CPUState *cpu, uint64_t addr, uint8_t *buf,
                        size_t len);
    bool (*write_memory)(void *opaque, CPUState *cpu, uint64_t addr, const uint8_t *buf,
                         size_t len);
    /* Lets the guest run as r says; the mode reports the next stop later. */
    void (*resume)(void *opaque, const GdbResume *r);
    /* gdb's Ctrl-C while the guest runs: stop it and report GDB_SIGNAL_INT
     * (now or later, from whichever thread stops). */
    void (*interrupt)(void *opaque);
    /* D (after the engine removed every breakpoint and watchpoint and
     * replied OK): let the guest run without a debugger. */
    void (*detach)(void *opaque);
    /* k / vKill: end the guest. */
    void (*kill)(void *opaque);
    /* A few words on a thread for qThreadExtraInfo (g_free'd), or NULL. */
    char *(*thread_extra_info)(void *opaque, CPUState *cpu);
} GdbStubOps;

GdbStub *gdb_stub_new(const GdbStubOps *ops, void *opaque);
void gdb_stub_free(GdbStub *s);

/* A new connection: the acknowledgement mode is back on, half-received
 * input is dropped. The guest is taken to be stopped at cpu with signal
 * (as gdb_stub_set_stopped). */
void gdb_stub_connected(GdbStub *s, CPUState *cpu, int signal);

/* Bytes received from gdb. */
void gdb_stub_input(GdbStub *s, const uint8_t *buf, size_t len);

/* Whether the guest runs (resumed by gdb and not reported stopped since). */
bool gdb_stub_is_running(const GdbStub *s);

/*
 * The guest stopped at cpu: sends the stop reply ("T" packet with the
 * thread, and for EXCP_DEBUG stops the reason from cpu_debug_stop_info when
 * why is given: swbreak/hwbreak/watch/rwatch/awatch). Ends single-stepping
 * of the CPU the last resume stepped. signal is gdb's.
 */
void gdb_stub_report_stop(GdbStub *s, CPUState *cpu, int signal, const CPUDebugStop *why);
/* Records a stop without telling gdb (before it asks with "?"). */
void gdb_stub_set_stopped(GdbStub *s, CPUState *cpu, int signal);

/* The guest ended: W<status> / X<gdb signal>. */
void gdb_stub_report_exit(GdbStub *s, int status);
void gdb_stub_report_signalled(GdbStub *s, int signal);

/* A thread is going away (user mode): forget it as current or stepping. */
void gdb_stub_forget_cpu(GdbStub *s, CPUState *cpu);

/* Removes every breakpoint and watchpoint gdb set, and the single-step. */
void gdb_stub_remove_all(GdbStub *s);

/* ---- system mode (system/gdbstub-system.c) ---- */

/*
 * -gdb SPEC: "tcp:[HOST]:PORT", "unix:PATH" or a bare port number; the
 * server listens at once and serves one gdb at a time on the main loop.
 * A gdb that connects stops the machine (run state debug); its continue
 * starts it, also from prelaunch (-S). Call before the CPUs start.
 */
bool gdbserver_start(const char *spec, GError **errp);
/* The machine ends with status (main loop done): tells gdb (W). */
void gdbserver_exit(int status);

#endif
