/*
 * The machine's run state and life-cycle events (proteus/runstate.h).
 *
 * The state and the listener list belong to the main loop (BQL). Requests
 * that may arrive on a vCPU thread keep what they need under req_lock and
 * finish in a bottom half, so listeners always run on the main loop and a
 * SHUTDOWN event is out before the main loop ends.
 */
#include "proteus/cpus.h"
#include "proteus/main-loop.h"
#include "proteus/runstate.h"

typedef struct Listener {
    RunstateListener *fn;
    void *opaque;
} Listener;

static RunState current_state = RUN_STATE_PRELAUNCH;
static GArray *listeners;               /* Listener */
static void (*powerdown_handler)(void *opaque);
static void *powerdown_opaque;

static GMutex req_lock;
static ShutdownCause shutdown_cause;    /* req_lock: NONE when none is pending */
static int shutdown_status;             /* req_lock */
static ShutdownCause reset_cause;       /* req_lock: NONE when no reset is pending */

static const char *const state_names[] = {
    [RUN_STATE_PRELAUNCH] = "prelaunch",
    [RUN_STATE_RUNNING] = "running",
    [RUN_STATE_PAUSED] = "paused",
    [RUN_STATE_DEBUG] = "debug",
    [RUN_STATE_SHUTDOWN] = "shutdown",
};

static const char *const event_names[] = {
    [RUNSTATE_EVENT_STOP] = "STOP",
    [RUNSTATE_EVENT_RESUME] = "RESUME",
    [RUNSTATE_EVENT_RESET] = "RESET",
    [RUNSTATE_EVENT_SHUTDOWN] = "SHUTDOWN",
    [RUNSTATE_EVENT_POWERDOWN] = "POWERDOWN",
};

static const char *const cause_names[] = {
    [SHUTDOWN_CAUSE_NONE] = "none",
    [SHUTDOWN_CAUSE_HOST_ERROR] = "host-error",
    [SHUTDOWN_CAUSE_HOST_QMP_QUIT] = "host-qmp-quit",
    [SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET] = "host-qmp-system-reset",
    [SHUTDOWN_CAUSE_HOST_SIGNAL] = "host-signal",
    [SHUTDOWN_CAUSE_HOST_UI] = "host-ui",
    [SHUTDOWN_CAUSE_GUEST_SHUTDOWN] = "guest-shutdown",
    [SHUTDOWN_CAUSE_GUEST_RESET] = "guest-reset",
};

const char *runstate_name(RunState state)
{
    g_assert((unsigned)state < G_N_ELEMENTS(state_names));
    return state_names[state];
}

const char *runstate_event_name(RunstateEventKind kind)
{
    g_assert((unsigned)kind < G_N_ELEMENTS(event_names));
    return event_names[kind];
}

const char *shutdown_cause_name(ShutdownCause cause)
{
    g_assert((unsigned)cause < G_N_ELEMENTS(cause_names));
    return cause_names[cause];
}

bool shutdown_cause_is_guest(ShutdownCause cause)
{
    return cause == SHUTDOWN_CAUSE_GUEST_SHUTDOWN || cause == SHUTDOWN_CAUSE_GUEST_RESET;
}

RunState runstate_get(void)
{
    return current_state;
}

void runstate_set(RunState state)
{
    current_state = state;
}

bool runstate_is_running(void)
{
    return current_state == RUN_STATE_RUNNING;
}

/* ---- listeners ---- */

void runstate_add_listener(RunstateListener *fn, void *opaque)
{
    Listener l = { fn, opaque };

    if (!listeners) {
        listeners = g_array_new(FALSE, FALSE, sizeof(Listener));
    }
    g_array_append_val(listeners, l);
}

void runstate_remove_listener(RunstateListener *fn, void *opaque)
{
    for (guint i = 0; listeners && i < listeners->len; i++) {
        Listener *l = &g_array_index(listeners, Listener, i);

        if (l->fn == fn && l->opaque == opaque) {
            g_array_remove_index(listeners, i);
            return;
        }
    }
}

static void runstate_notify(RunstateEventKind kind, ShutdownCause cause)
{
    RunstateEvent ev = { .kind = kind, .cause = cause };

    for (guint i = 0; listeners && i < listeners->len; i++) {
        Listener *l = &g_array_index(listeners, Listener, i);

        l->fn(&ev, l->opaque);
    }
}

/* ---- stop and start ---- */

void vm_stop(RunState state)
{
    g_assert(state == RUN_STATE_PAUSED || state == RUN_STATE_DEBUG);
    if (current_state != RUN_STATE_RUNNING) {
        if (current_state != RUN_STATE_SHUTDOWN) {
            current_state = state;
        }
        return;
    }
    cpus_pause();
    current_state = state;
    runstate_notify(RUNSTATE_EVENT_STOP, SHUTDOWN_CAUSE_NONE);
}

void vm_start(void)
{
    if (current_state == RUN_STATE_RUNNING || current_state == RUN_STATE_SHUTDOWN) {
        return;
    }
    current_state = RUN_STATE_RUNNING;
    cpus_resume();
    runstate_notify(RUNSTATE_EVENT_RESUME, SHUTDOWN_CAUSE_NONE);
}

/* ---- shutdown, reset, power button ---- */

static void shutdown_bh(void *opaque)
{
    ShutdownCause cause;
    int status;

    g_mutex_lock(&req_lock);
    cause = shutdown_cause;
    status = shutdown_status;
    shutdown_cause = SHUTDOWN_CAUSE_NONE;
    g_mutex_unlock(&req_lock);
    current_state = RUN_STATE_SHUTDOWN;
    runstate_notify(RUNSTATE_EVENT_SHUTDOWN, cause);
    main_loop_request_exit(status);
}

void runstate_request_shutdown(ShutdownCause cause, int status)
{
    static BottomHalf *bh;
    static gsize once;
    bool first;

    g_assert(cause != SHUTDOWN_CAUSE_NONE);
    if (g_once_init_enter(&once)) {
        bh = bh_new(shutdown_bh, NULL);
        g_once_init_leave(&once, 1);
    }
    g_mutex_lock(&req_lock);
    first = shutdown_cause == SHUTDOWN_CAUSE_NONE;
    if (first) {
        shutdown_cause = cause;
        shutdown_status = status;
    }
    g_mutex_unlock(&req_lock);
    if (first) {
        bh_schedule(bh);
    }
}

void runstate_reset_requested(ShutdownCause cause)
{
    g_mutex_lock(&req_lock);
    if (reset_cause == SHUTDOWN_CAUSE_NONE) {
        reset_cause = cause;
    }
    g_mutex_unlock(&req_lock);
}

void runstate_reset_done(void)
{
    ShutdownCause cause;

    g_mutex_lock(&req_lock);
    cause = reset_cause;
    reset_cause = SHUTDOWN_CAUSE_NONE;
    g_mutex_unlock(&req_lock);
    runstate_notify(RUNSTATE_EVENT_RESET, cause);
}

void runstate_set_powerdown_handler(void (*handler)(void *opaque), void *opaque)
{
    powerdown_handler = handler;
    powerdown_opaque = opaque;
}

void runstate_powerdown(void)
{
    runstate_notify(RUNSTATE_EVENT_POWERDOWN, SHUTDOWN_CAUSE_NONE);
    if (powerdown_handler) {
        powerdown_handler(powerdown_opaque);
    }
}
