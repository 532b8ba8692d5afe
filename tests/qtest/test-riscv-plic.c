/*
 * Register-level tests of the SiFive PLIC (hw/intc/sifive-plic.c) through
 * qtest: the PLIC sits at the virt board's address on an empty machine,
 * with 96 sources and two contexts; the test drives its source lines and
 * watches its context output lines.
 */
#include "libqtest.h"

#define PLIC_BASE       0x0c000000ULL
#define PLIC_PATH       "/machine/peripheral/plic"

#define PRIORITY(src)   (PLIC_BASE + 4 * (src))
#define PENDING(word)   (PLIC_BASE + 0x1000 + 4 * (word))
#define ENABLE(ctx, w)  (PLIC_BASE + 0x2000 + 0x80 * (ctx) + 4 * (w))
#define THRESHOLD(ctx)  (PLIC_BASE + 0x200000 + 0x1000 * (ctx))
#define CLAIM(ctx)      (PLIC_BASE + 0x200004 + 0x1000 * (ctx))

static QTestState *plic_start(void)
{
    QTestState *qts = qtest_start("-device sifive-plic,id=plic,addr=0xc000000");

    qtest_irq_intercept_out_named(qts, PLIC_PATH, "unnamed-gpio-out");
    return qts;
}

static void set_source(QTestState *qts, int src, int level)
{
    qtest_set_irq_in(qts, PLIC_PATH, NULL, src, level);
}

/* Source src with priority prio, enabled for context ctx. */
static void setup_source(QTestState *qts, int ctx, int src, uint32_t prio)
{
    qtest_writel(qts, PRIORITY(src), prio);
    qtest_writel(qts, ENABLE(ctx, src / 32),
                 qtest_readl(qts, ENABLE(ctx, src / 32)) | 1u << (src % 32));
}

static void test_reset_values(void)
{
    QTestState *qts = plic_start();

    for (int src = 1; src < 96; src += 13) {
        g_assert_cmphex(qtest_readl(qts, PRIORITY(src)), ==, 0);
    }
    for (int w = 0; w < 3; w++) {
        g_assert_cmphex(qtest_readl(qts, PENDING(w)), ==, 0);
        g_assert_cmphex(qtest_readl(qts, ENABLE(0, w)), ==, 0);
        g_assert_cmphex(qtest_readl(qts, ENABLE(1, w)), ==, 0);
    }
    g_assert_cmphex(qtest_readl(qts, THRESHOLD(0)), ==, 0);
    g_assert_cmphex(qtest_readl(qts, CLAIM(1)), ==, 0);
    g_assert_false(qtest_get_irq(qts, 0));
    g_assert_false(qtest_get_irq(qts, 1));
    qtest_quit(qts);
}

/* Priorities and thresholds are 3 bits wide; source 0 has no priority. */
static void test_priority_registers(void)
{
    QTestState *qts = plic_start();

    qtest_writel(qts, PRIORITY(5), 0xffffffff);
    g_assert_cmphex(qtest_readl(qts, PRIORITY(5)), ==, 7);
    qtest_writel(qts, PRIORITY(95), 3);
    g_assert_cmphex(qtest_readl(qts, PRIORITY(95)), ==, 3);
    qtest_writel(qts, PRIORITY(0), 5);
    g_assert_cmphex(qtest_readl(qts, PRIORITY(0)), ==, 0);
    qtest_writel(qts, THRESHOLD(1), 0x1f);
    g_assert_cmphex(qtest_readl(qts, THRESHOLD(1)), ==, 7);
    g_assert_cmphex(qtest_readl(qts, THRESHOLD(0)), ==, 0);
    qtest_quit(qts);
}

/* Enable words are per context; source 0's bit is hardwired to 0. */
static void test_enable_registers(void)
{
    QTestState *qts = plic_start();

    qtest_writel(qts, ENABLE(0, 0), 0xffffffff);
    qtest_writel(qts, ENABLE(1, 2), 0x80000001);
    g_assert_cmphex(qtest_readl(qts, ENABLE(0, 0)), ==, 0xfffffffe);
    g_assert_cmphex(qtest_readl(qts, ENABLE(0, 2)), ==, 0);
    g_assert_cmphex(qtest_readl(qts, ENABLE(1, 0)), ==, 0);
    g_assert_cmphex(qtest_readl(qts, ENABLE(1, 2)), ==, 0x80000001);
    qtest_quit(qts);
}

/* Pending follows a level-high source and is read-only. */
static void test_pending(void)
{
    QTestState *qts = plic_start();

    set_source(qts, 5, 1);
    set_source(qts, 40, 1);
    g_assert_cmphex(qtest_readl(qts, PENDING(0)), ==, 1u << 5);
    g_assert_cmphex(qtest_readl(qts, PENDING(1)), ==, 1u << 8);
    qtest_writel(qts, PENDING(0), 0);
    g_assert_cmphex(qtest_readl(qts, PENDING(0)), ==, 1u << 5);
    set_source(qts, 5, 0);
    g_assert_cmphex(qtest_readl(qts, PENDING(0)), ==, 0);
    /* Pending alone (no priority, not enabled) interrupts no context. */
    g_assert_false(qtest_get_irq(qts, 0));
    g_assert_false(qtest_get_irq(qts, 1));
    qtest_quit(qts);
}

/*
 * The whole cycle on context 1 (a hart's S-mode): the line rises, a claim
 * takes the source out of pending and lowers the line, the source is not
 * pending again until completed, then it is while its line stays high.
 */
static void test_claim_complete(void)
{
    QTestState *qts = plic_start();

    setup_source(qts, 1, 10, 1);
    set_source(qts, 10, 1);
    g_assert_true(qtest_get_irq(qts, 1));
    g_assert_false(qtest_get_irq(qts, 0));

    g_assert_cmpuint(qtest_readl(qts, CLAIM(1)), ==, 10);
    g_assert_false(qtest_get_irq(qts, 1));
    g_assert_cmphex(qtest_readl(qts, PENDING(0)), ==, 0);
    g_assert_cmpuint(qtest_readl(qts, CLAIM(1)), ==, 0);

    qtest_writel(qts, CLAIM(1), 10);
    g_assert_cmphex(qtest_readl(qts, PENDING(0)), ==, 1u << 10);
    g_assert_true(qtest_get_irq(qts, 1));

    set_source(qts, 10, 0);
    g_assert_false(qtest_get_irq(qts, 1));
    g_assert_cmpuint(qtest_readl(qts, CLAIM(1)), ==, 0);
    qtest_quit(qts);
}

/* Claims return the highest priority first, the lowest ID among equals. */
static void test_claim_order(void)
{
    QTestState *qts = plic_start();

    setup_source(qts, 0, 3, 2);
    setup_source(qts, 0, 70, 5);
    setup_source(qts, 0, 9, 5);
    set_source(qts, 3, 1);
    set_source(qts, 70, 1);
    set_source(qts, 9, 1);
    g_assert_true(qtest_get_irq(qts, 0));
    g_assert_cmpuint(qtest_readl(qts, CLAIM(0)), ==, 9);
    g_assert_cmpuint(qtest_readl(qts, CLAIM(0)), ==, 70);
    g_assert_true(qtest_get_irq(qts, 0));
    g_assert_cmpuint(qtest_readl(qts, CLAIM(0)), ==, 3);
    g_assert_false(qtest_get_irq(qts, 0));
    g_assert_cmpuint(qtest_readl(qts, CLAIM(0)), ==, 0);
    qtest_quit(qts);
}

/* Only priorities above the threshold interrupt; priority 0 never does. */
static void test_threshold(void)
{
    QTestState *qts = plic_start();

    setup_source(qts, 0, 20, 3);
    qtest_writel(qts, THRESHOLD(0), 3);
    set_source(qts, 20, 1);
    g_assert_false(qtest_get_irq(qts, 0));
    g_assert_cmpuint(qtest_readl(qts, CLAIM(0)), ==, 0);

    qtest_writel(qts, THRESHOLD(0), 2);
    g_assert_true(qtest_get_irq(qts, 0));
    qtest_writel(qts, PRIORITY(20), 0);
    qtest_writel(qts, THRESHOLD(0), 0);
    g_assert_false(qtest_get_irq(qts, 0));
    g_assert_cmpuint(qtest_readl(qts, CLAIM(0)), ==, 0);
    qtest_quit(qts);
}

/* A completion for a source the context does not enable changes nothing. */
static void test_complete_needs_enable(void)
{
    QTestState *qts = plic_start();

    setup_source(qts, 0, 7, 1);
    set_source(qts, 7, 1);
    g_assert_cmpuint(qtest_readl(qts, CLAIM(0)), ==, 7);
    qtest_writel(qts, CLAIM(1), 7);
    g_assert_cmphex(qtest_readl(qts, PENDING(0)), ==, 0);
    g_assert_false(qtest_get_irq(qts, 0));
    qtest_writel(qts, CLAIM(0), 7);
    g_assert_cmphex(qtest_readl(qts, PENDING(0)), ==, 1u << 7);
    g_assert_true(qtest_get_irq(qts, 0));
    qtest_quit(qts);
}

/* Disabling a pending source lowers the line; enabling raises it again. */
static void test_enable_gates_output(void)
{
    QTestState *qts = plic_start();

    setup_source(qts, 0, 33, 4);
    set_source(qts, 33, 1);
    g_assert_true(qtest_get_irq(qts, 0));
    qtest_writel(qts, ENABLE(0, 1), 0);
    g_assert_false(qtest_get_irq(qts, 0));
    qtest_writel(qts, ENABLE(0, 1), 1u << 1);
    g_assert_true(qtest_get_irq(qts, 0));
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sifive-plic/reset-values", test_reset_values);
    g_test_add_func("/sifive-plic/priority-registers", test_priority_registers);
    g_test_add_func("/sifive-plic/enable-registers", test_enable_registers);
    g_test_add_func("/sifive-plic/pending", test_pending);
    g_test_add_func("/sifive-plic/claim-complete", test_claim_complete);
    g_test_add_func("/sifive-plic/claim-order", test_claim_order);
    g_test_add_func("/sifive-plic/threshold", test_threshold);
    g_test_add_func("/sifive-plic/complete-needs-enable", test_complete_needs_enable);
    g_test_add_func("/sifive-plic/enable-gates-output", test_enable_gates_output);
    return g_test_run();
}
