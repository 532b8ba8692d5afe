/*
 * Clocks and timers.
 *
 * Each clock keeps one singly linked list of pending timers sorted by
 * deadline; a timer is inserted after every timer with the same or an
 * earlier deadline, so equal deadlines fire in arming order. One mutex
 * guards the lists and the virtual clock's state: timers are armed from
 * vCPU threads while the main loop is polling without the big lock, and
 * the virtual clock is read from any thread. Callbacks always run with
 * that mutex released, after their timer has been unlinked, so they may
 * re-arm, delete or free any timer, themselves included.
 *
 * The virtual clock is "frozen_ns" while stopped or manual, and
 * "monotonic + offset_ns" while running, so stopping and restarting never
 * makes it jump.
 */
#include <glib.h>
#include <time.h>

#include "proteus/main-loop.h"
#include "proteus/timer.h"

struct Timer {
    ClockType type;
    TimerCallback *cb;
    void *opaque;
    int64_t expire_ns;          /* -1 when not pending */
    Timer *next;
};

static GMutex timers_lock;
static Timer *timer_lists[PROTEUS_CLOCK_MAX];

static bool vclock_running;
static bool vclock_manual;
static int64_t vclock_frozen_ns;
static int64_t vclock_offset_ns;

static int64_t host_clock_ns(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * NANOSECONDS_PER_SECOND + ts.tv_nsec;
}

/* The virtual clock moves with the host only when running and not manual. */
static bool vclock_moving_locked(void)
{
    return vclock_running && !vclock_manual;
}

static int64_t vclock_get_locked(void)
{
    if (vclock_moving_locked()) {
        return host_clock_ns(CLOCK_MONOTONIC) + vclock_offset_ns;
    }
    return vclock_frozen_ns;
}

static int64_t clock_get_locked(ClockType type)
{
    switch (type) {
    case PROTEUS_CLOCK_REALTIME:
        return host_clock_ns(CLOCK_MONOTONIC);
    case PROTEUS_CLOCK_HOST:
        return host_clock_ns(CLOCK_REALTIME);
    case PROTEUS_CLOCK_VIRTUAL:
        return vclock_get_locked();
    default:
        g_assert_not_reached();
    }
}

/*
 * Whether due timers of this clock may fire from the main loop: a stopped
 * virtual clock fires nothing; a manual one fires only timers that are
 * already due at its current value.
 */
static bool clock_enabled_locked(ClockType type)
{
    return type != PROTEUS_CLOCK_VIRTUAL || vclock_running;
}

int64_t clock_get_ns(ClockType type)
{
    int64_t now;

    g_return_val_if_fail((unsigned)type < PROTEUS_CLOCK_MAX, 0);
    if (type != PROTEUS_CLOCK_VIRTUAL) {
        return clock_get_locked(type);
    }
    g_mutex_lock(&timers_lock);
    now = vclock_get_locked();
    g_mutex_unlock(&timers_lock);
    return now;
}

void clock_virtual_start(void)
{
    g_mutex_lock(&timers_lock);
    if (!vclock_running) {
        vclock_running = true;
        vclock_offset_ns = vclock_frozen_ns - host_clock_ns(CLOCK_MONOTONIC);
    }
    g_mutex_unlock(&timers_lock);
    /* Virtual deadlines now count: the loop may have to wake up sooner. */
    main_loop_notify();
}

void clock_virtual_stop(void)
{
    g_mutex_lock(&timers_lock);
    if (vclock_running) {
        vclock_frozen_ns = vclock_get_locked();
        vclock_running = false;
    }
    g_mutex_unlock(&timers_lock);
}

bool clock_virtual_running(void)
{
    bool running;

    g_mutex_lock(&timers_lock);
    running = vclock_running;
    g_mutex_unlock(&timers_lock);
    return running;
}

void clock_virtual_set_manual(bool manual)
{
    g_mutex_lock(&timers_lock);
    if (manual != vclock_manual) {
        if (manual) {
            vclock_frozen_ns = vclock_get_locked();
            vclock_manual = true;
        } else {
            vclock_manual = false;
            vclock_offset_ns = vclock_frozen_ns - host_clock_ns(CLOCK_MONOTONIC);
        }
    }
    g_mutex_unlock(&timers_lock);
    main_loop_notify();
}

static void timer_unlink_locked(Timer *t)
{
    Timer **link;

    if (t->expire_ns < 0) {
        return;
    }
    for (link = &timer_lists[t->type]; *link; link = &(*link)->next) {
        if (*link == t) {
            *link = t->next;
            break;
        }
    }
    t->next = NULL;
    t->expire_ns = -1;
}

/*
 * Pops the first virtual timer if its deadline is at or before target_ns,
 * moving the manual clock to that deadline (never backwards) first.
 */
static Timer *vclock_step_pop_locked(int64_t target_ns)
{
    Timer *t = timer_lists[PROTEUS_CLOCK_VIRTUAL];

    if (!t || t->expire_ns > target_ns) {
        return NULL;
    }
    if (t->expire_ns > vclock_frozen_ns) {
        vclock_frozen_ns = t->expire_ns;
    }
    timer_lists[PROTEUS_CLOCK_VIRTUAL] = t->next;
    t->next = NULL;
    t->expire_ns = -1;
    return t;
}

/* Fires every virtual timer due up to target_ns, then sets the clock there. */
static int64_t vclock_step_to(int64_t target_ns)
{
    Timer *t;

    g_mutex_lock(&timers_lock);
    while ((t = vclock_step_pop_locked(target_ns)) != NULL) {
        TimerCallback *cb = t->cb;
        void *opaque = t->opaque;

        g_mutex_unlock(&timers_lock);
        cb(opaque);
        g_mutex_lock(&timers_lock);
    }
    if (target_ns > vclock_frozen_ns) {
        vclock_frozen_ns = target_ns;
    }
    target_ns = vclock_frozen_ns;
    g_mutex_unlock(&timers_lock);
    return target_ns;
}

int64_t clock_virtual_step(int64_t ns)
{
    int64_t target;

    g_return_val_if_fail(ns >= 0, clock_get_ns(PROTEUS_CLOCK_VIRTUAL));
    g_mutex_lock(&timers_lock);
    if (!vclock_manual) {
        g_mutex_unlock(&timers_lock);
        g_critical("clock_virtual_step: the virtual clock is not in manual mode");
        return clock_get_ns(PROTEUS_CLOCK_VIRTUAL);
    }
    target = vclock_frozen_ns > INT64_MAX - ns ? INT64_MAX : vclock_frozen_ns + ns;
    g_mutex_unlock(&timers_lock);
    return vclock_step_to(target);
}

int64_t clock_virtual_step_next(int64_t limit_ns)
{
    int64_t now, target;
    Timer *head;

    g_mutex_lock(&timers_lock);
    if (!vclock_manual) {
        g_mutex_unlock(&timers_lock);
        g_critical("clock_virtual_step_next: the virtual clock is not in manual mode");
        return clock_get_ns(PROTEUS_CLOCK_VIRTUAL);
    }
    now = vclock_frozen_ns;
    head = timer_lists[PROTEUS_CLOCK_VIRTUAL];
    if (limit_ns < 0) {
        target = head ? MAX(head->expire_ns, now) : now;
    } else {
        target = now > INT64_MAX - limit_ns ? INT64_MAX : now + limit_ns;
        if (head && head->expire_ns < target) {
            target = MAX(head->expire_ns, now);
        }
    }
    g_mutex_unlock(&timers_lock);
    return vclock_step_to(target);
}

Timer *timer_new_ns(ClockType type, TimerCallback *cb, void *opaque)
{
    Timer *t;

    g_return_val_if_fail((unsigned)type < PROTEUS_CLOCK_MAX, NULL);
    g_return_val_if_fail(cb != NULL, NULL);
    t = g_new0(Timer, 1);
    t->type = type;
    t->cb = cb;
    t->opaque = opaque;
    t->expire_ns = -1;
    return t;
}

void timer_free(Timer *t)
{
    if (!t) {
        return;
    }
    timer_del(t);
    g_free(t);
}

void timer_mod_ns(Timer *t, int64_t expire_ns)
{
    Timer **link;
    bool wake;

    g_return_if_fail(t != NULL);
    /* -1 means "not pending", so a deadline in the past is clamped to 0. */
    if (expire_ns < 0) {
        expire_ns = 0;
    }
    g_mutex_lock(&timers_lock);
    timer_unlink_locked(t);
    for (link = &timer_lists[t->type]; *link; link = &(*link)->next) {
        if ((*link)->expire_ns > expire_ns) {
            break;
        }
    }
    t->expire_ns = expire_ns;
    t->next = *link;
    *link = t;
    /* Only a new earliest deadline can shorten the loop's poll timeout. */
    wake = link == &timer_lists[t->type] && clock_enabled_locked(t->type);
    g_mutex_unlock(&timers_lock);
    if (wake) {
        main_loop_notify();
    }
}

void timer_del(Timer *t)
{
    if (!t) {
        return;
    }
    g_mutex_lock(&timers_lock);
    timer_unlink_locked(t);
    g_mutex_unlock(&timers_lock);
}

bool timer_pending(Timer *t)
{
    return timer_expire_time_ns(t) >= 0;
}

int64_t timer_expire_time_ns(Timer *t)
{
    int64_t expire;

    g_return_val_if_fail(t != NULL, -1);
    g_mutex_lock(&timers_lock);
    expire = t->expire_ns;
    g_mutex_unlock(&timers_lock);
    return expire;
}

int64_t timers_deadline_ns(void)
{
    int64_t best = -1;

    g_mutex_lock(&timers_lock);
    for (int type = 0; type < PROTEUS_CLOCK_MAX; type++) {
        Timer *head = timer_lists[type];
        int64_t now, delta;

        if (!head || !clock_enabled_locked(type)) {
            continue;
        }
        now = clock_get_locked(type);
        delta = head->expire_ns > now ? head->expire_ns - now : 0;
        /* A manual clock never gets there by itself: only due timers count. */
        if (type == PROTEUS_CLOCK_VIRTUAL && vclock_manual && delta > 0) {
            continue;
        }
        if (best < 0 || delta < best) {
            best = delta;
        }
    }
    g_mutex_unlock(&timers_lock);
    return best;
}

bool timers_run_expired(void)
{
    bool ran = false;

    for (int type = 0; type < PROTEUS_CLOCK_MAX; type++) {
        int64_t now;
        Timer *t;

        /*
         * The time is read once per clock: a periodic timer that re-arms
         * itself for a later time waits for the next pass.
         */
        g_mutex_lock(&timers_lock);
        now = clock_get_locked(type);
        for (;;) {
            TimerCallback *cb;
            void *opaque;

            t = timer_lists[type];
            if (!t || t->expire_ns > now || !clock_enabled_locked(type)) {
                break;
            }
            timer_lists[type] = t->next;
            t->next = NULL;
            t->expire_ns = -1;
            cb = t->cb;
            opaque = t->opaque;
            g_mutex_unlock(&timers_lock);
            cb(opaque);
            ran = true;
            g_mutex_lock(&timers_lock);
        }
        g_mutex_unlock(&timers_lock);
    }
    return ran;
}
