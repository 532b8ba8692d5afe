/*
 * Unit tests for IRQ lines: delivery to the handler, NULL lines, arrays,
 * split and invert lines (and their hold on their targets), and
 * intercepting a line while chaining to its old handler.
 */
#include <glib.h>

#include "proteus/irq.h"

/* Records every delivery as "tag:n=level" so order and values can be checked. */
typedef struct Recorder {
    const char *tag;
    GString *events;
} Recorder;

static void record_handler(void *opaque, int n, int level)
{
    Recorder *r = opaque;

    g_string_append_printf(r->events, "%s:%d=%d ", r->tag, n, level);
}

static void recorder_init(Recorder *r, const char *tag, GString *events)
{
    r->tag = tag;
    r->events = events;
}

static void expect(GString *events, const char *expected)
{
    g_assert_cmpstr(events->str, ==, expected);
    g_string_truncate(events, 0);
}

static void test_handler(void)
{
    GString *ev = g_string_new("");
    Recorder r;
    ProteusIrq irq;

    recorder_init(&r, "a", ev);
    irq = irq_new(record_handler, &r, 7);
    g_assert_nonnull(irq);
    g_assert_nonnull(object_dynamic_cast(OBJECT(irq), TYPE_IRQ));
    g_assert_cmpstr(object_get_typename(OBJECT(irq)), ==, TYPE_IRQ);

    irq_set(irq, 1);
    irq_set(irq, 0);
    irq_raise(irq);
    irq_lower(irq);
    irq_pulse(irq);
    /* Levels are passed on as given, not squashed to 0/1. */
    irq_set(irq, 5);
    irq_set(irq, -1);
    expect(ev, "a:7=1 a:7=0 a:7=1 a:7=0 a:7=1 a:7=0 a:7=5 a:7=-1 ");
    irq_free(irq);

    /* A line without a handler ignores changes. */
    irq = irq_new(NULL, NULL, 0);
    irq_set(irq, 1);
    irq_free(irq);
    g_string_free(ev, TRUE);
}

static void test_null_line(void)
{
    /* Unwired outputs are NULL: every operation on them is a no-op. */
    irq_set(NULL, 1);
    irq_raise(NULL);
    irq_lower(NULL);
    irq_pulse(NULL);
    irq_free(NULL);
    irq_free_array(NULL, 4);
}

static void test_array(void)
{
    GString *ev = g_string_new("");
    Recorder r;
    ProteusIrq *irqs;

    recorder_init(&r, "pic", ev);
    irqs = irq_new_array(record_handler, &r, 4);
    for (int i = 0; i < 4; i++) {
        g_assert_nonnull(irqs[i]);
        g_assert_cmpint(irqs[i]->n, ==, i);
        for (int j = 0; j < i; j++) {
            g_assert_true(irqs[i] != irqs[j]);
        }
    }
    irq_raise(irqs[3]);
    irq_raise(irqs[0]);
    irq_lower(irqs[3]);
    expect(ev, "pic:3=1 pic:0=1 pic:3=0 ");
    irq_free_array(irqs, 4);

    /* An empty array is fine to make and free. */
    irqs = irq_new_array(record_handler, &r, 0);
    irq_free_array(irqs, 0);
    g_string_free(ev, TRUE);
}

static void test_split(void)
{
    GString *ev = g_string_new("");
    Recorder ra, rb;
    ProteusIrq a, b, split, half;

    recorder_init(&ra, "a", ev);
    recorder_init(&rb, "b", ev);
    a = irq_new(record_handler, &ra, 1);
    b = irq_new(record_handler, &rb, 2);
    split = irq_split(a, b);
    g_assert_nonnull(object_dynamic_cast(OBJECT(split), TYPE_IRQ));

    irq_raise(split);
    irq_lower(split);
    expect(ev, "a:1=1 b:2=1 a:1=0 b:2=0 ");

    /* One side unwired: the other still hears it. */
    half = irq_split(NULL, b);
    irq_set(half, 3);
    expect(ev, "b:2=3 ");

    /* The split keeps its targets alive after their creator lets go. */
    irq_free(a);
    irq_free(b);
    irq_raise(split);
    expect(ev, "a:1=1 b:2=1 ");
    irq_free(split);
    irq_pulse(half);
    expect(ev, "b:2=1 b:2=0 ");
    irq_free(half);
    g_string_free(ev, TRUE);
}

static void test_invert(void)
{
    GString *ev = g_string_new("");
    Recorder r;
    ProteusIrq target, inv, twice;

    recorder_init(&r, "t", ev);
    target = irq_new(record_handler, &r, 4);
    inv = irq_invert(target);
    irq_raise(inv);
    irq_lower(inv);
    irq_set(inv, 9);      /* any non-zero level is "high" */
    expect(ev, "t:4=0 t:4=1 t:4=0 ");

    twice = irq_invert(inv);
    irq_raise(twice);
    irq_lower(twice);
    expect(ev, "t:4=1 t:4=0 ");

    irq_free(inv);         /* still held by twice */
    irq_free(target);
    irq_raise(twice);
    expect(ev, "t:4=1 ");
    irq_free(twice);

    inv = irq_invert(NULL);
    irq_raise(inv);
    irq_free(inv);
    g_string_free(ev, TRUE);
}

/* An interceptor that logs, then chains to whatever the line did before. */
typedef struct Tap {
    IrqState old;
    GString *events;
} Tap;

static void tap_handler(void *opaque, int n, int level)
{
    Tap *tap = opaque;

    g_string_append_printf(tap->events, "tap:%d=%d ", n, level);
    tap->old.handler(tap->old.opaque, tap->old.n, level);
}

static void test_intercept(void)
{
    GString *ev = g_string_new("");
    Recorder r, ra, rb;
    ProteusIrq irq, a, b, split;
    Tap tap = { .events = ev };
    Tap tap2 = { .events = ev };

    recorder_init(&r, "dev", ev);
    irq = irq_new(record_handler, &r, 5);
    irq_intercept(irq, tap_handler, &tap, &tap.old);
    g_assert_true(tap.old.handler == record_handler);
    g_assert_true(tap.old.opaque == &r);
    g_assert_cmpint(tap.old.n, ==, 5);
    g_assert_cmpint(irq->n, ==, 5);     /* the number stays the receiver's */

    irq_raise(irq);
    expect(ev, "tap:5=1 dev:5=1 ");

    /* Restoring the saved behaviour undoes the interception. */
    irq_intercept(irq, tap.old.handler, tap.old.opaque, NULL);
    irq_lower(irq);
    expect(ev, "dev:5=0 ");
    irq_free(irq);

    /* Intercepting a split line still reaches both sides through the chain. */
    recorder_init(&ra, "a", ev);
    recorder_init(&rb, "b", ev);
    a = irq_new(record_handler, &ra, 0);
    b = irq_new(record_handler, &rb, 1);
    split = irq_split(a, b);
    irq_intercept(split, tap_handler, &tap2, &tap2.old);
    irq_raise(split);
    expect(ev, "tap:0=1 a:0=1 b:1=1 ");
    irq_free(split);
    irq_free(a);
    irq_free(b);
    g_string_free(ev, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/irq/handler", test_handler);
    g_test_add_func("/irq/null-line", test_null_line);
    g_test_add_func("/irq/array", test_array);
    g_test_add_func("/irq/split", test_split);
    g_test_add_func("/irq/invert", test_invert);
    g_test_add_func("/irq/intercept", test_intercept);
    return g_test_run();
}
