/*
 * Clocks and timers.
 *
 * PROTEUS_CLOCK_VIRTUAL is guest time: it runs while the machine runs and
 * stops while it is stopped; under the qtest accelerator it moves only when
 * the test steps it. PROTEUS_CLOCK_HOST is the host's wall-clock time (for
 * RTCs); PROTEUS_CLOCK_REALTIME is the host's monotonic time (for UI and
 * backends). All are nanoseconds. (The PROTEUS_ prefix keeps the names
 * apart from <time.h>'s CLOCK_REALTIME.)
 *
 * The virtual clock reads 0 at process start and is stopped until the first
 * clock_virtual_start() (the machine calls it when it starts running).
 * Stopping freezes it; starting again resumes from the frozen value without
 * a jump.
 *
 * A timer belongs to one clock and fires from the main loop, with the big
 * lock held, once its clock reaches the deadline. Timers due at the same
 * deadline fire in the order they were armed (re-arming counts as arming).
 * Callbacks may re-arm, delete or free any timer, their own included.
 * Timers may be armed from any thread; a new earliest deadline wakes the
 * main loop.
 */
#ifndef PROTEUS_TIMER_H
#define PROTEUS_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define NANOSECONDS_PER_SECOND 1000000000LL

typedef enum {
    PROTEUS_CLOCK_REALTIME,
    PROTEUS_CLOCK_VIRTUAL,
    PROTEUS_CLOCK_HOST,
    PROTEUS_CLOCK_MAX
} ClockType;

typedef void TimerCallback(void *opaque);
typedef struct Timer Timer;

int64_t clock_get_ns(ClockType type);

/* PROTEUS_CLOCK_VIRTUAL control (machine run state and qtest). While it is
 * stopped, virtual timers neither fire nor count in timers_deadline_ns(). */
void clock_virtual_start(void);
void clock_virtual_stop(void);
bool clock_virtual_running(void);
/* Manual mode: the virtual clock only moves through clock_virtual_step().
 * Entering it freezes the clock where it is; leaving it resumes (if started)
 * without a jump. A manual clock gives the main loop no deadline, but timers
 * already due at its current value still fire from the loop while started.
 * Stepping works whether or not the clock is started. */
void clock_virtual_set_manual(bool manual);
/* Advances a manual virtual clock to now+ns (ns >= 0), firing due timers in
 * deadline order as it goes (each sees the clock at its own deadline, or at
 * the step's start if it was already overdue); timers armed by a callback
 * for a time within the step fire in the same step. Returns the new time.
 * Not in manual mode: a g_critical, and the clock does not move. */
int64_t clock_virtual_step(int64_t ns);
/* Advances to the next deadline, firing every timer due there, or by
 * limit_ns if no deadline is sooner. limit_ns < 0 means no limit: with no
 * timer pending the clock stays. Returns the new time. */
int64_t clock_virtual_step_next(int64_t limit_ns);

Timer *timer_new_ns(ClockType type, TimerCallback *cb, void *opaque);
void timer_free(Timer *t);
/* Arms (or re-arms) the timer to fire when its clock reaches expire_ns
 * (a negative expire_ns is taken as 0). */
void timer_mod_ns(Timer *t, int64_t expire_ns);
void timer_del(Timer *t);
bool timer_pending(Timer *t);
int64_t timer_expire_time_ns(Timer *t);     /* -1 when not pending */

/* Earliest deadline over the clocks that are moving, as a timeout from now
 * in ns, 0 if one is already due; -1 = none. */
int64_t timers_deadline_ns(void);
/* Runs every timer whose deadline has passed; returns true if any ran.
 * Each clock is read once per call: a timer re-armed by its callback for a
 * later time waits for the next call. */
bool timers_run_expired(void);

#endif
