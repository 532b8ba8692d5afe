/*
 * Unit tests for the main loop (system/main-loop.c): the big lock, bottom
 * halves scheduled from other threads, fd handlers, plain glib sources on
 * the default context, timer wake-ups with sub-millisecond deadlines, and
 * exit requests from other threads.
 *
 * Waits that could hang on a bug are bounded by a guard timer, so a broken
 * loop fails an assertion instead of stalling the test run.
 */
#include <glib.h>
#include <glib-unix.h>
#include <string.h>
#include <unistd.h>

#include "proteus/main-loop.h"
#include "proteus/timer.h"

#define MS 1000000LL

/* ---- helpers ---- */

static void guard_cb(void *opaque)
{
    *(bool *)opaque = true;
}

/* Iterates main_loop_wait(true) until *flag is set or 2 s pass; returns the
 * number of iterations it took, asserting the guard did not fire. */
static int wait_for_flag(const int *flag)
{
    bool expired = false;
    Timer *guard = timer_new_ns(PROTEUS_CLOCK_REALTIME, guard_cb, &expired);
    int iterations = 0;

    timer_mod_ns(guard, clock_get_ns(PROTEUS_CLOCK_REALTIME) + 2000 * MS);
    while (!g_atomic_int_get(flag) && !expired) {
        main_loop_wait(true);
        iterations++;
    }
    timer_free(guard);
    g_assert_false(expired);
    return iterations;
}

/* Runs a few non-blocking iterations, so anything ready has run. */
static void drain(void)
{
    for (int i = 0; i < 10; i++) {
        main_loop_wait(false);
    }
}

static void make_pipe(int fds[2])
{
    g_assert_true(g_unix_open_pipe(fds, FD_CLOEXEC, NULL));
    g_assert_true(g_unix_set_fd_nonblocking(fds[0], TRUE, NULL));
}

/* ---- the big lock ---- */

typedef struct LockProbe {
    int locked_in_thread;       /* bql_locked() seen by the other thread */
    int got_lock;
} LockProbe;

static gpointer lock_probe_thread(gpointer opaque)
{
    LockProbe *p = opaque;

    g_atomic_int_set(&p->locked_in_thread, bql_locked());
    /* Succeeds only while the main loop polls with the lock dropped. */
    bql_lock();
    g_assert_true(bql_locked());
    g_atomic_int_set(&p->got_lock, 1);
    bql_unlock();
    g_assert_false(bql_locked());
    main_loop_notify();
    return NULL;
}

static void test_bql(void)
{
    LockProbe p = { .locked_in_thread = -1 };
    GThread *th;

    main_loop_init();       /* idempotent: still held once */
    g_assert_true(bql_locked());

    th = g_thread_new("lock-probe", lock_probe_thread, &p);
    wait_for_flag(&p.got_lock);
    g_thread_join(th);
    g_assert_cmpint(p.locked_in_thread, ==, 0);
    g_assert_true(bql_locked());

    bql_unlock();
    g_assert_false(bql_locked());
    bql_lock();
    g_assert_true(bql_locked());
}

/* ---- bottom halves ---- */

typedef struct BhCount {
    int runs;                   /* atomic */
    bool bql_held;
    BottomHalf *bh;
} BhCount;

static void count_bh_cb(void *opaque)
{
    BhCount *c = opaque;

    c->bql_held = bql_locked();
    g_atomic_int_inc(&c->runs);
}

static gpointer schedule_twice_thread(gpointer opaque)
{
    BhCount *c = opaque;

    g_usleep(5000);             /* let the main thread block in poll first */
    /*
     * Holding the lock keeps the woken loop from running bottom halves
     * between the two calls, as it would for a vCPU thread.
     */
    bql_lock();
    bh_schedule(c->bh);
    bh_schedule(c->bh);
    bql_unlock();
    return NULL;
}

static void test_bh_from_thread(void)
{
    BhCount c = { 0 };
    GThread *th;

    c.bh = bh_new(count_bh_cb, &c);
    drain();
    th = g_thread_new("bh-sched", schedule_twice_thread, &c);
    wait_for_flag(&c.runs);
    g_thread_join(th);
    drain();
    g_assert_cmpint(g_atomic_int_get(&c.runs), ==, 1);
    g_assert_true(c.bql_held);

    /* Once run, it can be scheduled again. */
    bh_schedule(c.bh);
    main_loop_wait(true);       /* must not block: a bottom half is ready */
    g_assert_cmpint(g_atomic_int_get(&c.runs), ==, 2);
    bh_delete(c.bh);
}

static void test_bh_cancel_delete(void)
{
    BhCount c = { 0 }, d = { 0 };

    c.bh = bh_new(count_bh_cb, &c);
    d.bh = bh_new(count_bh_cb, &d);

    bh_schedule(c.bh);
    bh_cancel(c.bh);
    bh_cancel(c.bh);            /* cancelling an idle one is harmless */
    drain();
    g_assert_cmpint(c.runs, ==, 0);

    /* Deleting a scheduled bottom half: it never runs (ASan: no leak). */
    bh_schedule(d.bh);
    bh_delete(d.bh);
    bh_delete(NULL);
    drain();
    g_assert_cmpint(d.runs, ==, 0);

    bh_schedule(c.bh);
    drain();
    g_assert_cmpint(c.runs, ==, 1);
    bh_delete(c.bh);
}

typedef struct BhTricks {
    BottomHalf *self;
    BottomHalf *other;
    int self_runs;
    int other_runs;
    int reschedule;
} BhTricks;

static void other_bh_cb(void *opaque)
{
    BhTricks *t = opaque;

    t->other_runs++;
}

/* Deletes the other bottom half (scheduled too), then itself. */
static void deleting_bh_cb(void *opaque)
{
    BhTricks *t = opaque;

    t->self_runs++;
    bh_delete(t->other);
    bh_delete(t->self);
}

static void rescheduling_bh_cb(void *opaque)
{
    BhTricks *t = opaque;

    t->self_runs++;
    if (t->self_runs < t->reschedule) {
        bh_schedule(t->self);
    }
}

static void test_bh_callbacks(void)
{
    BhTricks t = { 0 };

    /*
     * other is created first, so whichever order the loop walks in, one
     * test of the pair below exercises "deleted before its turn".
     */
    t.other = bh_new(other_bh_cb, &t);
    t.self = bh_new(deleting_bh_cb, &t);
    bh_schedule(t.other);
    bh_schedule(t.self);
    drain();
    g_assert_cmpint(t.self_runs, ==, 1);
    g_assert_cmpint(t.other_runs, <=, 1);

    t.self = bh_new(deleting_bh_cb, &t);
    t.other = bh_new(other_bh_cb, &t);
    t.self_runs = t.other_runs = 0;
    bh_schedule(t.other);
    bh_schedule(t.self);
    drain();
    g_assert_cmpint(t.self_runs, ==, 1);
    g_assert_cmpint(t.other_runs, <=, 1);

    /* Rescheduling itself: once per iteration, never twice in one. */
    memset(&t, 0, sizeof(t));
    t.reschedule = 3;
    t.self = bh_new(rescheduling_bh_cb, &t);
    bh_schedule(t.self);
    main_loop_wait(false);
    g_assert_cmpint(t.self_runs, ==, 1);
    main_loop_wait(true);       /* ready again, so it does not block */
    g_assert_cmpint(t.self_runs, ==, 2);
    drain();
    g_assert_cmpint(t.self_runs, ==, 3);
    bh_delete(t.self);
}

/* ---- fd handlers ---- */

typedef struct FdProbe {
    int fd;
    int reads;
    int writes;
    bool bql_held;
    bool remove_on_read;
    char last;
} FdProbe;

static void probe_read(void *opaque)
{
    FdProbe *p = opaque;
    char c;

    p->bql_held = bql_locked();
    if (read(p->fd, &c, 1) == 1) {
        p->last = c;
    }
    p->reads++;
    if (p->remove_on_read) {
        main_loop_set_fd_handler(p->fd, NULL, NULL, NULL);
    }
}

static void probe_write(void *opaque)
{
    FdProbe *p = opaque;

    p->writes++;
    main_loop_set_fd_handler(p->fd, NULL, NULL, NULL);
}

static void test_fd_handler(void)
{
    int fds[2];
    FdProbe a = { 0 }, b = { 0 }, w = { 0 };

    make_pipe(fds);
    a.fd = b.fd = fds[0];
    main_loop_set_fd_handler(fds[0], probe_read, NULL, &a);
    drain();
    g_assert_cmpint(a.reads, ==, 0);

    g_assert_cmpint(write(fds[1], "x", 1), ==, 1);
    main_loop_wait(true);
    g_assert_cmpint(a.reads, ==, 1);
    g_assert_cmpint(a.last, ==, 'x');
    g_assert_true(a.bql_held);

    /* A second handler for the same fd replaces the first. */
    main_loop_set_fd_handler(fds[0], probe_read, NULL, &b);
    g_assert_cmpint(write(fds[1], "y", 1), ==, 1);
    main_loop_wait(true);
    g_assert_cmpint(a.reads, ==, 1);
    g_assert_cmpint(b.reads, ==, 1);
    g_assert_cmpint(b.last, ==, 'y');

    /* Removed: data arriving no longer calls anything. */
    main_loop_set_fd_handler(fds[0], NULL, NULL, NULL);
    main_loop_set_fd_handler(fds[0], NULL, NULL, NULL);   /* twice is fine */
    g_assert_cmpint(write(fds[1], "z", 1), ==, 1);
    drain();
    g_assert_cmpint(b.reads, ==, 1);

    /* A handler that removes itself from its own callback (ASan checks). */
    b.remove_on_read = true;
    main_loop_set_fd_handler(fds[0], probe_read, NULL, &b);
    main_loop_wait(true);
    g_assert_cmpint(b.reads, ==, 2);
    g_assert_cmpint(b.last, ==, 'z');
    g_assert_cmpint(write(fds[1], "q", 1), ==, 1);
    drain();
    g_assert_cmpint(b.reads, ==, 2);

    /* Write readiness: an empty pipe is writable at once. */
    w.fd = fds[1];
    main_loop_set_fd_handler(fds[1], NULL, probe_write, &w);
    main_loop_wait(true);
    g_assert_cmpint(w.writes, ==, 1);
    drain();
    g_assert_cmpint(w.writes, ==, 1);

    /* The reader hears a hang-up as readable (read then returns 0). */
    a.reads = 0;
    a.remove_on_read = true;
    main_loop_set_fd_handler(fds[0], probe_read, NULL, &a);
    close(fds[1]);
    main_loop_wait(true);
    g_assert_cmpint(a.reads, ==, 1);
    g_assert_cmpint(a.last, ==, 'q');
    close(fds[0]);
}

static void test_fd_handler_bad_input(void)
{
    g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*fd >= 0*");
    main_loop_set_fd_handler(-1, probe_read, NULL, NULL);
    g_test_assert_expected_messages();
    drain();
}

/* ---- plain glib sources ---- */

typedef struct GlibProbe {
    int fd_calls;
    int timeout_calls;
    bool bql_held_fd;
    bool bql_held_timeout;
} GlibProbe;

static gboolean glib_fd_cb(gint fd, GIOCondition cond, gpointer opaque)
{
    GlibProbe *p = opaque;
    char c;

    g_assert_true(bql_locked());
    p->bql_held_fd = bql_locked();
    g_assert_cmpint(read(fd, &c, 1), ==, 1);
    p->fd_calls++;
    return G_SOURCE_REMOVE;
}

static gboolean glib_timeout_cb(gpointer opaque)
{
    GlibProbe *p = opaque;

    g_assert_true(bql_locked());
    p->bql_held_timeout = bql_locked();
    p->timeout_calls++;
    return G_SOURCE_REMOVE;
}

static void test_glib_sources(void)
{
    GlibProbe p = { 0 };
    int fds[2];

    make_pipe(fds);
    g_unix_fd_add(fds[0], G_IO_IN, glib_fd_cb, &p);
    drain();
    g_assert_cmpint(p.fd_calls, ==, 0);
    g_assert_cmpint(write(fds[1], "x", 1), ==, 1);
    main_loop_wait(true);
    g_assert_cmpint(p.fd_calls, ==, 1);
    g_assert_true(p.bql_held_fd);

    /* A glib timeout wakes a blocking wait by itself (no timer of ours). */
    g_timeout_add(3, glib_timeout_cb, &p);
    for (int i = 0; i < 50 && !p.timeout_calls; i++) {
        main_loop_wait(true);
    }
    g_assert_cmpint(p.timeout_calls, ==, 1);
    g_assert_true(p.bql_held_timeout);

    close(fds[0]);
    close(fds[1]);
}

/* ---- timers wake the loop ---- */

typedef struct TimerProbe {
    int fired;
    int64_t fired_at;
    bool bql_held;
} TimerProbe;

static void timer_probe_cb(void *opaque)
{
    TimerProbe *p = opaque;

    p->fired_at = clock_get_ns(PROTEUS_CLOCK_REALTIME);
    p->bql_held = bql_locked();
    g_atomic_int_set(&p->fired, 1);
}

/* Arms a real-clock timer delay_ns ahead and counts the iterations needed. */
static int time_timer(int64_t delay_ns, int64_t *late_ns)
{
    TimerProbe p = { 0 };
    Timer *t = timer_new_ns(PROTEUS_CLOCK_REALTIME, timer_probe_cb, &p);
    int64_t start, deadline;
    int iterations;

    drain();
    start = clock_get_ns(PROTEUS_CLOCK_REALTIME);
    deadline = start + delay_ns;
    timer_mod_ns(t, deadline);
    iterations = wait_for_flag(&p.fired);
    g_assert_true(p.bql_held);
    g_assert_cmpint(p.fired_at, >=, deadline);
    *late_ns = p.fired_at - deadline;
    timer_free(t);
    return iterations;
}

static void test_timer_wakeup(void)
{
    int64_t late;
    int iterations;

    /*
     * A busy loop would take thousands of iterations; a sleeping one takes
     * one or two (plus one for the wake-up that arming the timer sends).
     */
    iterations = time_timer(5 * MS, &late);
    g_assert_cmpint(iterations, <=, 10);
    g_assert_cmpint(late, <, 500 * MS);

    /* Below a millisecond: rounding the timeout down to 0 ms would spin. */
    iterations = time_timer(300000, &late);
    g_assert_cmpint(iterations, <=, 10);
    g_assert_cmpint(late, <, 500 * MS);
}

typedef struct ArmFromThread {
    Timer *timer;
    int armed;
} ArmFromThread;

static gpointer arm_thread(gpointer opaque)
{
    ArmFromThread *a = opaque;

    g_usleep(5000);             /* the main thread is asleep in poll by now */
    bql_lock();
    timer_mod_ns(a->timer, clock_get_ns(PROTEUS_CLOCK_REALTIME) + 1 * MS);
    g_atomic_int_set(&a->armed, 1);
    bql_unlock();
    return NULL;
}

static void test_timer_armed_from_thread(void)
{
    TimerProbe p = { 0 };
    ArmFromThread a = { 0 };
    Timer *far = timer_new_ns(PROTEUS_CLOCK_REALTIME, timer_probe_cb, &p);
    GThread *th;
    int64_t start = clock_get_ns(PROTEUS_CLOCK_REALTIME);

    /*
     * The loop sleeps towards a deadline 10 s away; a vCPU thread then arms
     * a timer 1 ms ahead, which must cut that sleep short.
     */
    timer_mod_ns(far, start + 10000 * MS);
    a.timer = timer_new_ns(PROTEUS_CLOCK_REALTIME, timer_probe_cb, &p);
    drain();
    th = g_thread_new("arm", arm_thread, &a);
    wait_for_flag(&p.fired);
    g_thread_join(th);
    g_assert_true(a.armed);
    g_assert_true(timer_pending(far));
    g_assert_cmpint(clock_get_ns(PROTEUS_CLOCK_REALTIME) - start, <, 2000 * MS);
    timer_free(far);
    timer_free(a.timer);
}

/* ---- exit ---- */

static gpointer request_exit_thread(gpointer opaque)
{
    g_usleep(5000);
    main_loop_request_exit(GPOINTER_TO_INT(opaque));
    return NULL;
}

static void test_request_exit(void)
{
    bool expired = false;
    Timer *guard = timer_new_ns(PROTEUS_CLOCK_REALTIME, guard_cb, &expired);
    GThread *th;

    /* The guard makes a lost wake-up show as a 2 s delay, not a hang... */
    timer_mod_ns(guard, clock_get_ns(PROTEUS_CLOCK_REALTIME) + 2000 * MS);
    g_assert_false(main_loop_exit_requested());
    th = g_thread_new("exit", request_exit_thread, GINT_TO_POINTER(42));
    g_assert_cmpint(main_loop_run(), ==, 42);
    g_thread_join(th);
    /* ...and this assertion catches that delay. */
    g_assert_false(expired);
    g_assert_false(main_loop_exit_requested());

    /* A request made before running ends the run at once. */
    main_loop_request_exit(3);
    g_assert_true(main_loop_exit_requested());
    g_assert_cmpint(main_loop_run(), ==, 3);
    g_assert_false(main_loop_exit_requested());
    timer_free(guard);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    main_loop_init();
    g_test_add_func("/main-loop/bql", test_bql);
    g_test_add_func("/main-loop/bh-from-thread", test_bh_from_thread);
    g_test_add_func("/main-loop/bh-cancel-delete", test_bh_cancel_delete);
    g_test_add_func("/main-loop/bh-callbacks", test_bh_callbacks);
    g_test_add_func("/main-loop/fd-handler", test_fd_handler);
    g_test_add_func("/main-loop/fd-handler-bad-input", test_fd_handler_bad_input);
    g_test_add_func("/main-loop/glib-sources", test_glib_sources);
    g_test_add_func("/main-loop/timer-wakeup", test_timer_wakeup);
    g_test_add_func("/main-loop/timer-armed-from-thread", test_timer_armed_from_thread);
    g_test_add_func("/main-loop/request-exit", test_request_exit);
    return g_test_run();
}
