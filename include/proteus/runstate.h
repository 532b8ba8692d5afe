/*
 * The machine's run state and its life-cycle events (system/runstate.c).
 *
 * The run state is what QMP's query-status and HMP's "info status" report:
 * running, paused (a monitor's stop), debug (the gdbstub stopped it),
 * prelaunch (-S: built, not started yet) or shutdown (the process is about
 * to end). vm_stop() and vm_start() move between them and pause or resume
 * the CPUs (proteus/cpus.h) exactly once per stop, so a monitor and the
 * gdbstub can share them.
 *
 * Listeners (the QMP monitor) hear every change as an event shaped like
 * QEMU's: STOP, RESUME, RESET, SHUTDOWN, POWERDOWN; RESET and SHUTDOWN say
 * who asked (the cause). Listeners run on the main loop with the BQL held;
 * requests that may come from a vCPU thread (the guest writing a device
 * register) are queued to the main loop first.
 */
#ifndef PROTEUS_RUNSTATE_H
#define PROTEUS_RUNSTATE_H

#include <stdbool.h>

typedef enum RunState {
    RUN_STATE_PRELAUNCH,
    RUN_STATE_RUNNING,
    RUN_STATE_PAUSED,
    RUN_STATE_DEBUG,
    RUN_STATE_SHUTDOWN,
} RunState;

/* Why the machine resets or ends; the names are QEMU's ShutdownCause. */
typedef enum ShutdownCause {
    SHUTDOWN_CAUSE_NONE,
    SHUTDOWN_CAUSE_HOST_ERROR,
    SHUTDOWN_CAUSE_HOST_QMP_QUIT,
    SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET,
    SHUTDOWN_CAUSE_HOST_SIGNAL,
    SHUTDOWN_CAUSE_HOST_UI,
    SHUTDOWN_CAUSE_GUEST_SHUTDOWN,
    SHUTDOWN_CAUSE_GUEST_RESET,
} ShutdownCause;

typedef enum RunstateEventKind {
    RUNSTATE_EVENT_STOP,
    RUNSTATE_EVENT_RESUME,
    RUNSTATE_EVENT_RESET,
    RUNSTATE_EVENT_SHUTDOWN,
    RUNSTATE_EVENT_POWERDOWN,
} RunstateEventKind;

typedef struct RunstateEvent {
    RunstateEventKind kind;
    ShutdownCause cause;        /* RESET and SHUTDOWN; NONE for the others */
} RunstateEvent;

typedef void RunstateListener(const RunstateEvent *event, void *opaque);

/* "running", "paused", ... as query-status spells them. */
const char *runstate_name(RunState state);
/* "STOP", "RESET", ... as the QMP event is named. */
const char *runstate_event_name(RunstateEventKind kind);
/* "guest-reset", "host-qmp-quit", ... */
const char *shutdown_cause_name(ShutdownCause cause);
/* The guest asked (QMP's "guest": true). */
bool shutdown_cause_is_guest(ShutdownCause cause);

/* The current state (BQL held). It starts as prelaunch; vl.c sets running
 * when it starts the CPUs unpaused. */
RunState runstate_get(void);
void runstate_set(RunState state);
bool runstate_is_running(void);

/*
 * BQL held, never on a vCPU thread. vm_stop(state) with state paused or
 * debug: if running, pauses the CPUs (cpus_pause) and emits STOP; if
 * already stopped, only the state changes. vm_start(): if not running
 * (and not shut down), resumes the CPUs and emits RESUME; else nothing.
 */
void vm_stop(RunState state);
void vm_start(void);

/* Listeners hear every event, in the order they were added (BQL held). */
void runstate_add_listener(RunstateListener *fn, void *opaque);
void runstate_remove_listener(RunstateListener *fn, void *opaque);

/*
 * Any thread: on the main loop, the state becomes shutdown, listeners
 * hear SHUTDOWN with cause, and the main loop ends with status. Of
 * several requests before that, the first counts.
 */
void runstate_request_shutdown(ShutdownCause cause, int status);
/*
 * The reset path (system/cpus.c): runstate_reset_requested records who
 * asked (any thread; the first cause of several pending requests counts),
 * runstate_reset_done emits RESET with it once the machine is reset (main
 * loop, BQL held). system_reset_request() records the guest as the cause,
 * so a host request (a monitor) records its own cause first.
 */
void runstate_reset_requested(ShutdownCause cause);
void runstate_reset_done(void);
/*
 * The power button (BQL held): listeners hear POWERDOWN, then the board's
 * handler runs if it installed one (an ACPI or GPIO power button); without
 * one, as on QEMU's riscv virt, the event is all that happens.
 */
void runstate_powerdown(void);
void runstate_set_powerdown_handler(void (*handler)(void *opaque), void *opaque);

#endif
