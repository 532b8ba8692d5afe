/*
 * Unit tests for clocks and timers (system/timer.c): firing order, re-arming,
 * deletion from callbacks, the manual virtual clock used by qtest, stopping
 * and restarting the virtual clock, and the deadline the main loop sleeps to.
 *
 * Every test leaves no timer pending, so timers_deadline_ns() starts at -1.
 */
#include <glib.h>
#include <string.h>

#include "proteus/main-loop.h"
#include "proteus/timer.h"

#define MS 1000000LL

/* A log of which timers fired, and what the clock read in each callback. */
typedef struct FireLog {
    char order[64];
    int64_t seen_ns[64];
    int count;
} FireLog;

typedef struct LogTimer {
    FireLog *log;
    char name;
    ClockType type;
    Timer *timer;
} LogTimer;

static void log_timer_cb(void *opaque)
{
    LogTimer *lt = opaque;
    FireLog *log = lt->log;

    g_assert_cmpint(log->count, <, 63);
    log->seen_ns[log->count] = clock_get_ns(lt->type);
    log->order[log->count++] = lt->name;
    log->order[log->count] = '\0';
}

static void log_timer_init(LogTimer *lt, FireLog *log, char name, ClockType type)
{
    lt->log = log;
    lt->name = name;
    lt->type = type;
    lt->timer = timer_new_ns(type, log_timer_cb, lt);
    g_assert_nonnull(lt->timer);
}

/* Puts the virtual clock into manual mode, running, for a stepping test. */
static void vclock_manual_begin(void)
{
    clock_virtual_set_manual(true);
    clock_virtual_start();
}

static void vclock_manual_end(void)
{
    clock_virtual_stop();
    clock_virtual_set_manual(false);
}

static void test_order(void)
{
    FireLog log = { 0 };
    LogTimer t[6];
    int64_t now = clock_get_ns(PROTEUS_CLOCK_REALTIME);

    for (int i = 0; i < 6; i++) {
        log_timer_init(&t[i], &log, 'a' + i, PROTEUS_CLOCK_REALTIME);
    }
    /* Armed out of order; c, d and e share one deadline. */
    timer_mod_ns(t[0].timer, now - 100);
    timer_mod_ns(t[1].timer, now - 300);
    timer_mod_ns(t[2].timer, now - 200);
    timer_mod_ns(t[3].timer, now - 200);
    timer_mod_ns(t[4].timer, now - 200);
    timer_mod_ns(t[5].timer, now + 60 * NANOSECONDS_PER_SECOND);

    g_assert_true(timers_run_expired());
    g_assert_cmpstr(log.order, ==, "bcdea");
    g_assert_false(timer_pending(t[0].timer));
    g_assert_true(timer_pending(t[5].timer));
    g_assert_cmpint(timer_expire_time_ns(t[5].timer), ==, now + 60 * NANOSECONDS_PER_SECOND);

    /* Nothing else is due: a second run fires nothing. */
    g_assert_false(timers_run_expired());
    g_assert_cmpint(log.count, ==, 5);

    for (int i = 0; i < 6; i++) {
        timer_free(t[i].timer);
    }
    g_assert_cmpint(timers_deadline_ns(), ==, -1);
}

static void test_equal_deadline_rearm_goes_last(void)
{
    FireLog log = { 0 };
    LogTimer a, b;
    int64_t now = clock_get_ns(PROTEUS_CLOCK_REALTIME);

    log_timer_init(&a, &log, 'a', PROTEUS_CLOCK_REALTIME);
    log_timer_init(&b, &log, 'b', PROTEUS_CLOCK_REALTIME);
    timer_mod_ns(a.timer, now - 10);
    timer_mod_ns(b.timer, now - 10);
    /* Re-arming a for the same deadline counts as arming it after b. */
    timer_mod_ns(a.timer, now - 10);
    timers_run_expired();
    g_assert_cmpstr(log.order, ==, "ba");
    timer_free(a.timer);
    timer_free(b.timer);
}

static void test_rearm_moves(void)
{
    FireLog log = { 0 };
    LogTimer a, b;
    int64_t now = clock_get_ns(PROTEUS_CLOCK_REALTIME);

    log_timer_init(&a, &log, 'a', PROTEUS_CLOCK_REALTIME);
    log_timer_init(&b, &log, 'b', PROTEUS_CLOCK_REALTIME);

    /* Later to earlier: it fires now, once. */
    timer_mod_ns(a.timer, now + 60 * NANOSECONDS_PER_SECOND);
    timer_mod_ns(a.timer, now - 1);
    g_assert_cmpint(timer_expire_time_ns(a.timer), ==, now - 1);
    /* Earlier to later: it no longer fires. */
    timer_mod_ns(b.timer, now - 2);
    timer_mod_ns(b.timer, now + 60 * NANOSECONDS_PER_SECOND);

    timers_run_expired();
    g_assert_cmpstr(log.order, ==, "a");
    g_assert_true(timer_pending(b.timer));

    /* A deadline before 0 is clamped, never confused with "not pending". */
    timer_mod_ns(a.timer, -5);
    g_assert_true(timer_pending(a.timer));
    g_assert_cmpint(timer_expire_time_ns(a.timer), ==, 0);
    timers_run_expired();
    g_assert_cmpstr(log.order, ==, "aa");

    timer_free(a.timer);
    timer_free(b.timer);
}

static void test_delete(void)
{
    FireLog log = { 0 };
    LogTimer a, b;
    int64_t now = clock_get_ns(PROTEUS_CLOCK_REALTIME);

    log_timer_init(&a, &log, 'a', PROTEUS_CLOCK_REALTIME);
    log_timer_init(&b, &log, 'b', PROTEUS_CLOCK_REALTIME);

    g_assert_false(timer_pending(a.timer));
    g_assert_cmpint(timer_expire_time_ns(a.timer), ==, -1);
    timer_del(a.timer);                 /* deleting an idle timer is fine */

    timer_mod_ns(a.timer, now - 1);
    timer_mod_ns(b.timer, now - 1);
    timer_del(a.timer);
    g_assert_false(timer_pending(a.timer));
    g_assert_cmpint(timer_expire_time_ns(a.timer), ==, -1);
    timers_run_expired();
    g_assert_cmpstr(log.order, ==, "b");

    /* Freeing a pending timer unlinks it. */
    timer_mod_ns(b.timer, now - 1);
    timer_free(b.timer);
    timer_free(NULL);
    g_assert_false(timers_run_expired());
    g_assert_cmpstr(log.order, ==, "b");
    timer_free(a.timer);
    g_assert_cmpint(timers_deadline_ns(), ==, -1);
}

/* ---- callbacks that touch timers ---- */

typedef struct Periodic {
    Timer *timer;
    int64_t period;
    int fired;
    int limit;
    int64_t seen[32];
} Periodic;

static void periodic_cb(void *opaque)
{
    Periodic *p = opaque;

    g_assert_cmpint(p->fired, <, 32);
    p->seen[p->fired++] = clock_get_ns(PROTEUS_CLOCK_VIRTUAL);
    if (p->fired < p->limit) {
        timer_mod_ns(p->timer, clock_get_ns(PROTEUS_CLOCK_VIRTUAL) + p->period);
    }
}

static void test_periodic(void)
{
    Periodic p = { .period = 100, .limit = 1000 };
    int64_t start;

    vclock_manual_begin();
    start = clock_get_ns(PROTEUS_CLOCK_VIRTUAL);
    p.timer = timer_new_ns(PROTEUS_CLOCK_VIRTUAL, periodic_cb, &p);
    timer_mod_ns(p.timer, start + 100);

    /* Re-armed inside the step, so every period up to 1000 fires now. */
    g_assert_cmpint(clock_virtual_step(1050), ==, start + 1050);
    g_assert_cmpint(p.fired, ==, 10);
    for (int i = 0; i < 10; i++) {
        g_assert_cmpint(p.seen[i], ==, start + 100 * (i + 1));
    }
    g_assert_cmpint(timer_expire_time_ns(p.timer), ==, start + 1100);
    g_assert_cmpint(clock_get_ns(PROTEUS_CLOCK_VIRTUAL), ==, start + 1050);

    /* Stop re-arming after the twelfth. */
    p.limit = 12;
    clock_virtual_step(10000);
    g_assert_cmpint(p.fired, ==, 12);
    g_assert_false(timer_pending(p.timer));

    timer_free(p.timer);
    vclock_manual_end();
}

typedef struct Killer {
    Timer *victim;
    bool free_victim;
    int fired;
} Killer;

static void killer_cb(void *opaque)
{
    Killer *k = opaque;

    k->fired++;
    if (k->free_victim) {
        timer_free(k->victim);
        k->victim = NULL;
    } else {
        timer_del(k->victim);
    }
}

static void test_callback_deletes_other(void)
{
    FireLog log = { 0 };
    LogTimer victim, bystander;
    Killer k = { 0 };
    Timer *killer;
    int64_t now = clock_get_ns(PROTEUS_CLOCK_REALTIME);

    log_timer_init(&victim, &log, 'v', PROTEUS_CLOCK_REALTIME);
    log_timer_init(&bystander, &log, 'b', PROTEUS_CLOCK_REALTIME);
    killer = timer_new_ns(PROTEUS_CLOCK_REALTIME, killer_cb, &k);
    k.victim = victim.timer;

    /* The killer fires first; the victim is due right after it. */
    timer_mod_ns(killer, now - 30);
    timer_mod_ns(victim.timer, now - 20);
    timer_mod_ns(bystander.timer, now - 10);
    timers_run_expired();
    g_assert_cmpint(k.fired, ==, 1);
    g_assert_cmpstr(log.order, ==, "b");
    g_assert_false(timer_pending(victim.timer));

    /* Same again, but the victim is freed (ASan checks the list walk). */
    k.free_victim = true;
    timer_mod_ns(killer, now - 30);
    timer_mod_ns(victim.timer, now - 20);
    timer_mod_ns(bystander.timer, now - 10);
    timers_run_expired();
    g_assert_cmpint(k.fired, ==, 2);
    g_assert_null(k.victim);
    g_assert_cmpstr(log.order, ==, "bb");

    timer_free(killer);
    timer_free(bystander.timer);
}

static void self_free_cb(void *opaque)
{
    Timer **slot = opaque;

    timer_free(*slot);
    *slot = NULL;
}

static void test_callback_frees_itself(void)
{
    Timer *t = NULL;

    t = timer_new_ns(PROTEUS_CLOCK_REALTIME, self_free_cb, &t);
    timer_mod_ns(t, 0);
    g_assert_true(timers_run_expired());
    g_assert_null(t);
}

/* ---- the manual virtual clock ---- */

typedef struct Chain {
    LogTimer lt;
    Timer *next;
    int64_t next_delay;
} Chain;

/* Logs, then arms another timer relative to the current virtual time. */
static void chain_cb(void *opaque)
{
    Chain *c = opaque;

    log_timer_cb(&c->lt);
    timer_mod_ns(c->next, clock_get_ns(PROTEUS_CLOCK_VIRTUAL) + c->next_delay);
}

static void test_manual_step(void)
{
    FireLog log = { 0 };
    LogTimer a, b, c, d;
    Chain chain = { 0 };
    int64_t base;

    vclock_manual_begin();
    base = clock_get_ns(PROTEUS_CLOCK_VIRTUAL);
    log_timer_init(&a, &log, 'a', PROTEUS_CLOCK_VIRTUAL);
    log_timer_init(&b, &log, 'b', PROTEUS_CLOCK_VIRTUAL);
    log_timer_init(&c, &log, 'c', PROTEUS_CLOCK_VIRTUAL);
    log_timer_init(&d, &log, 'd', PROTEUS_CLOCK_VIRTUAL);

    /* Host time passing does not move a manual clock. */
    g_usleep(2000);
    g_assert_cmpint(clock_get_ns(PROTEUS_CLOCK_VIRTUAL), ==, base);

    timer_mod_ns(a.timer, base + 50);
    timer_mod_ns(b.timer, base + 20);
    timer_mod_ns(c.timer, base + 20);
    timer_mod_ns(d.timer, base + 70);

    /* A manual clock gives the main loop no deadline to sleep to. */
    g_assert_cmpint(timers_deadline_ns(), ==, -1);

    /* To the next deadline: both timers due at +20 fire, in arming order. */
    g_assert_cmpint(clock_virtual_step_next(1000), ==, base + 20);
    g_assert_cmpstr(log.order, ==, "bc");
    g_assert_cmpint(log.seen_ns[0], ==, base + 20);
    g_assert_cmpint(log.seen_ns[1], ==, base + 20);

    g_assert_cmpint(clock_virtual_step_next(1000), ==, base + 50);
    g_assert_cmpstr(log.order, ==, "bca");
    g_assert_cmpint(log.seen_ns[2], ==, base + 50);

    /* A plain step that stops short of the next deadline fires nothing. */
    g_assert_cmpint(clock_virtual_step(5), ==, base + 55);
    g_assert_cmpstr(log.order, ==, "bca");
    /* The limit wins when the next deadline is further away. */
    g_assert_cmpint(clock_virtual_step_next(10), ==, base + 65);
    g_assert_cmpstr(log.order, ==, "bca");
    /* No limit: straight to the deadline at +70. */
    g_assert_cmpint(clock_virtual_step_next(-1), ==, base + 70);
    g_assert_cmpstr(log.order, ==, "bcad");
    g_assert_cmpint(log.seen_ns[3], ==, base + 70);
    /* Nothing pending and no limit: the clock stays. */
    g_assert_cmpint(clock_virtual_step_next(-1), ==, base + 70);
    /* Nothing pending with a limit: it moves by the limit. */
    g_assert_cmpint(clock_virtual_step_next(30), ==, base + 100);
    g_assert_cmpint(clock_virtual_step(0), ==, base + 100);

    /*
     * A callback at +110 arms d for +140, inside the step to +150, so d
     * fires in the same step, at its own deadline; a at +200 does not.
     */
    chain.lt.log = &log;
    chain.lt.name = 'x';
    chain.lt.type = PROTEUS_CLOCK_VIRTUAL;
    chain.lt.timer = timer_new_ns(PROTEUS_CLOCK_VIRTUAL, chain_cb, &chain);
    chain.next = d.timer;
    chain.next_delay = 30;
    timer_mod_ns(chain.lt.timer, base + 110);
    timer_mod_ns(a.timer, base + 200);
    g_assert_cmpint(clock_virtual_step(50), ==, base + 150);
    g_assert_cmpstr(log.order, ==, "bcadxd");
    g_assert_cmpint(log.seen_ns[4], ==, base + 110);
    g_assert_cmpint(log.seen_ns[5], ==, base + 140);
    g_assert_true(timer_pending(a.timer));

    /* A timer already due on the manual clock is due for the main loop too. */
    timer_mod_ns(b.timer, base + 150);
    g_assert_cmpint(timers_deadline_ns(), ==, 0);
    g_assert_true(timers_run_expired());
    g_assert_cmpstr(log.order, ==, "bcadxdb");
    g_assert_cmpint(timers_deadline_ns(), ==, -1);

    timer_free(a.timer);
    timer_free(b.timer);
    timer_free(c.timer);
    timer_free(d.timer);
    timer_free(chain.lt.timer);
    vclock_manual_end();
}

static void test_manual_step_bad_input(void)
{
    int64_t now = clock_get_ns(PROTEUS_CLOCK_VIRTUAL);

    /* Stepping a clock that is not manual is refused. */
    g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*not in manual mode*");
    g_assert_cmpint(clock_virtual_step(100), ==, now);
    g_test_assert_expected_messages();
    g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*not in manual mode*");
    g_assert_cmpint(clock_virtual_step_next(100), ==, now);
    g_test_assert_expected_messages();

    /* Time never goes backwards. */
    vclock_manual_begin();
    now = clock_get_ns(PROTEUS_CLOCK_VIRTUAL);
    g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*ns >= 0*");
    g_assert_cmpint(clock_virtual_step(-5), ==, now);
    g_test_assert_expected_messages();
    vclock_manual_end();

    /* No such clock, no callback. */
    g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*PROTEUS_CLOCK_MAX*");
    g_assert_null(timer_new_ns(PROTEUS_CLOCK_MAX, log_timer_cb, NULL));
    g_test_assert_expected_messages();
    g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*cb != NULL*");
    g_assert_null(timer_new_ns(PROTEUS_CLOCK_REALTIME, NULL, NULL));
    g_test_assert_expected_messages();
}

/* ---- the running virtual clock ---- */

static void test_virtual_start_stop(void)
{
    int64_t v0, v1, v2, v3;

    /* Stopped until started (no test leaves it running). */
    g_assert_false(clock_virtual_running());
    v0 = clock_get_ns(PROTEUS_CLOCK_VIRTUAL);
    g_assert_cmpint(v0, >=, 0);
    g_usleep(3000);
    g_assert_cmpint(clock_get_ns(PROTEUS_CLOCK_VIRTUAL), ==, v0);

    clock_virtual_start();
    g_assert_true(clock_virtual_running());
    g_usleep(3000);
    v1 = clock_get_ns(PROTEUS_CLOCK_VIRTUAL);
    g_assert_cmpint(v1 - v0, >=, 3 * MS);

    clock_virtual_stop();
    g_assert_false(clock_virtual_running());
    v2 = clock_get_ns(PROTEUS_CLOCK_VIRTUAL);
    g_assert_cmpint(v2, >=, v1);
    g_usleep(50000);
    g_assert_cmpint(clock_get_ns(PROTEUS_CLOCK_VIRTUAL), ==, v2);
    clock_virtual_stop();           /* stopping twice changes nothing */
    g_assert_cmpint(clock_get_ns(PROTEUS_CLOCK_VIRTUAL), ==, v2);

    /* Restarting resumes from v2: the 50 ms spent stopped are not added. */
    clock_virtual_start();
    v3 = clock_get_ns(PROTEUS_CLOCK_VIRTUAL);
    g_assert_cmpint(v3, >=, v2);
    g_assert_cmpint(v3 - v2, <, 40 * MS);
    clock_virtual_start();          /* starting twice does not jump either */
    g_assert_cmpint(clock_get_ns(PROTEUS_CLOCK_VIRTUAL) - v2, <, 40 * MS);
    clock_virtual_stop();

    /* Leaving manual mode resumes without a jump as well. */
    clock_virtual_start();
    clock_virtual_set_manual(true);
    v1 = clock_get_ns(PROTEUS_CLOCK_VIRTUAL);
    g_usleep(50000);
    clock_virtual_set_manual(false);
    g_assert_cmpint(clock_get_ns(PROTEUS_CLOCK_VIRTUAL) - v1, <, 40 * MS);
    clock_virtual_stop();
}

static void test_stopped_virtual_timers_wait(void)
{
    FireLog log = { 0 };
    LogTimer a;
    int64_t now = clock_get_ns(PROTEUS_CLOCK_VIRTUAL);

    log_timer_init(&a, &log, 'a', PROTEUS_CLOCK_VIRTUAL);
    timer_mod_ns(a.timer, now);
    /* Due, but a stopped clock neither fires nor gives a deadline. */
    g_assert_cmpint(timers_deadline_ns(), ==, -1);
    g_assert_false(timers_run_expired());
    g_assert_cmpstr(log.order, ==, "");

    clock_virtual_start();
    g_assert_cmpint(timers_deadline_ns(), ==, 0);
    g_assert_true(timers_run_expired());
    g_assert_cmpstr(log.order, ==, "a");
    clock_virtual_stop();
    timer_free(a.timer);
}

static void test_deadline(void)
{
    FireLog log = { 0 };
    LogTimer r, v, h;
    int64_t d;

    g_assert_cmpint(timers_deadline_ns(), ==, -1);
    log_timer_init(&r, &log, 'r', PROTEUS_CLOCK_REALTIME);
    log_timer_init(&v, &log, 'v', PROTEUS_CLOCK_VIRTUAL);
    log_timer_init(&h, &log, 'h', PROTEUS_CLOCK_HOST);

    timer_mod_ns(r.timer, clock_get_ns(PROTEUS_CLOCK_REALTIME) + 1000 * MS);
    d = timers_deadline_ns();
    g_assert_cmpint(d, >, 500 * MS);
    g_assert_cmpint(d, <=, 1000 * MS);

    /* The host (wall) clock counts too; its deadline is the nearer one. */
    timer_mod_ns(h.timer, clock_get_ns(PROTEUS_CLOCK_HOST) + 200 * MS);
    d = timers_deadline_ns();
    g_assert_cmpint(d, >, 100 * MS);
    g_assert_cmpint(d, <=, 200 * MS);
    timer_del(h.timer);

    /* A virtual timer counts only while the virtual clock runs. */
    timer_mod_ns(v.timer, clock_get_ns(PROTEUS_CLOCK_VIRTUAL) + 100 * MS);
    d = timers_deadline_ns();
    g_assert_cmpint(d, >, 500 * MS);
    clock_virtual_start();
    d = timers_deadline_ns();
    g_assert_cmpint(d, >, 50 * MS);
    g_assert_cmpint(d, <=, 100 * MS);
    clock_virtual_stop();

    /* A deadline in the past is "now", never negative. */
    timer_mod_ns(r.timer, clock_get_ns(PROTEUS_CLOCK_REALTIME) - 1000 * MS);
    g_assert_cmpint(timers_deadline_ns(), ==, 0);

    timer_free(r.timer);
    timer_free(v.timer);
    timer_free(h.timer);
    g_assert_cmpint(timers_deadline_ns(), ==, -1);
    g_assert_cmpstr(log.order, ==, "");
}

static void test_clocks(void)
{
    int64_t r0 = clock_get_ns(PROTEUS_CLOCK_REALTIME);
    int64_t h0 = clock_get_ns(PROTEUS_CLOCK_HOST);

    g_usleep(1000);
    g_assert_cmpint(clock_get_ns(PROTEUS_CLOCK_REALTIME) - r0, >=, 1 * MS);
    /* The host clock is wall time since 1970: surely after 2020. */
    g_assert_cmpint(h0 / NANOSECONDS_PER_SECOND, >, 1577836800);
    g_assert_cmpint(g_get_real_time() / 1000000 - h0 / NANOSECONDS_PER_SECOND, <=, 5);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/timer/clocks", test_clocks);
    g_test_add_func("/timer/order", test_order);
    g_test_add_func("/timer/equal-deadline-rearm", test_equal_deadline_rearm_goes_last);
    g_test_add_func("/timer/rearm-moves", test_rearm_moves);
    g_test_add_func("/timer/delete", test_delete);
    g_test_add_func("/timer/periodic", test_periodic);
    g_test_add_func("/timer/callback-deletes-other", test_callback_deletes_other);
    g_test_add_func("/timer/callback-frees-itself", test_callback_frees_itself);
    g_test_add_func("/timer/manual-step", test_manual_step);
    g_test_add_func("/timer/manual-step-bad-input", test_manual_step_bad_input);
    g_test_add_func("/timer/virtual-start-stop", test_virtual_start_stop);
    g_test_add_func("/timer/stopped-virtual-timers-wait", test_stopped_virtual_timers_wait);
    g_test_add_func("/timer/deadline", test_deadline);
    return g_test_run();
}
