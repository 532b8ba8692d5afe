/*
 * Register-level tests of the CLINT-compatible ACLINT
 * (hw/intc/riscv-aclint.c) through qtest: two harts, mtime at 10 MHz of
 * the virtual clock that the test steps by hand, each hart's MTIP or MSIP
 * output routed to the test.
 */
#include "libqtest.h"

#define CLINT_BASE      0x02000000ULL
#define CLINT_PATH      "/machine/peripheral/clint"
#define MSIP(h)         (CLINT_BASE + 4 * (h))
#define MTIMECMP(h)     (CLINT_BASE + 0x4000 + 8 * (h))
#define MTIME           (CLINT_BASE + 0xbff8)

/* 10 MHz: one tick every 100 ns. */
#define NS_PER_TICK     100

/* lines: the output list the test watches, "mtip" or "msip". */
static QTestState *clint_start(const char *lines)
{
    QTestState *qts = qtest_start("-device riscv-aclint,id=clint,addr=0x2000000,"
                                  "num-harts=2");

    qtest_irq_intercept_out_named(qts, CLINT_PATH, lines);
    return qts;
}

/* mtime counts virtual time from the machine's reset, exactly. */
static void test_mtime_follows_clock(void)
{
    QTestState *qts = clint_start("mtip");
    uint64_t t0 = qtest_readq(qts, MTIME);

    g_assert_cmpuint(t0, ==, qtest_clock_get(qts) / NS_PER_TICK);
    qtest_clock_step(qts, 1000000);
    g_assert_cmpuint(qtest_readq(qts, MTIME), ==, t0 + 10000);
    qtest_clock_step(qts, 250);
    g_assert_cmpuint(qtest_readl(qts, MTIME), ==, (uint32_t)(t0 + 10002));
    g_assert_cmpuint(qtest_readl(qts, MTIME + 4), ==, (t0 + 10002) >> 32);
    qtest_quit(qts);
}

/* A write moves mtime; it keeps counting from the new value. */
static void test_mtime_write(void)
{
    QTestState *qts = clint_start("mtip");

    qtest_writeq(qts, MTIME, 0x123456789aULL);
    g_assert_cmphex(qtest_readq(qts, MTIME), ==, 0x123456789aULL);
    qtest_writel(qts, MTIME + 4, 0x7);
    g_assert_cmphex(qtest_readq(qts, MTIME), ==, 0x73456789aULL);
    qtest_clock_step(qts, 10 * NS_PER_TICK);
    g_assert_cmphex(qtest_readq(qts, MTIME), ==, 0x73456789aULL + 10);
    /* Past mtime the region is empty. */
    qtest_writeq(qts, MTIME + 8, 0);
    g_assert_cmphex(qtest_readq(qts, MTIME + 8), ==, 0);
    g_assert_cmphex(qtest_readq(qts, MTIME), ==, 0x73456789aULL + 10);
    qtest_quit(qts);
}

/* mtimecmp resets to all ones, accessible whole or as 32-bit halves. */
static void test_mtimecmp_registers(void)
{
    QTestState *qts = clint_start("mtip");

    g_assert_cmphex(qtest_readq(qts, MTIMECMP(0)), ==, UINT64_MAX);
    g_assert_cmphex(qtest_readq(qts, MTIMECMP(1)), ==, UINT64_MAX);
    qtest_writel(qts, MTIMECMP(1), 0x11223344);
    qtest_writel(qts, MTIMECMP(1) + 4, 0x55667788);
    g_assert_cmphex(qtest_readq(qts, MTIMECMP(1)), ==, 0x5566778811223344ULL);
    g_assert_cmphex(qtest_readl(qts, MTIMECMP(1) + 4), ==, 0x55667788);
    g_assert_cmphex(qtest_readq(qts, MTIMECMP(0)), ==, UINT64_MAX);
    g_assert_false(qtest_get_irq(qts, 0));
    g_assert_false(qtest_get_irq(qts, 1));
    qtest_quit(qts);
}

/* MTIP rises exactly when mtime reaches mtimecmp, for that hart only. */
static void test_timer_fires(void)
{
    QTestState *qts = clint_start("mtip");
    uint64_t now = qtest_readq(qts, MTIME);

    qtest_writeq(qts, MTIMECMP(1), now + 100);
    g_assert_false(qtest_get_irq(qts, 1));
    qtest_clock_step(qts, 100 * NS_PER_TICK - 1);
    g_assert_false(qtest_get_irq(qts, 1));
    qtest_clock_step(qts, 1);
    g_assert_true(qtest_get_irq(qts, 1));
    g_assert_false(qtest_get_irq(qts, 0));
    /* A later compare value lowers it again; all ones means never. */
    qtest_writeq(qts, MTIMECMP(1), UINT64_MAX);
    g_assert_false(qtest_get_irq(qts, 1));
    qtest_clock_step(qts, 1000000000);
    g_assert_false(qtest_get_irq(qts, 1));
    qtest_quit(qts);
}

/* A compare value already passed raises MTIP at once; so does moving mtime. */
static void test_timer_immediate(void)
{
    QTestState *qts = clint_start("mtip");

    qtest_clock_step(qts, 1000 * NS_PER_TICK);
    qtest_writeq(qts, MTIMECMP(0), 5);
    g_assert_true(qtest_get_irq(qts, 0));
    qtest_writeq(qts, MTIME, 0);
    g_assert_false(qtest_get_irq(qts, 0));
    qtest_writeq(qts, MTIME, 5);
    g_assert_true(qtest_get_irq(qts, 0));
    qtest_quit(qts);
}

/* msip bit 0 drives the hart's MSIP line; the other bits read as 0. */
static void test_msip(void)
{
    QTestState *qts = clint_start("msip");

    g_assert_cmphex(qtest_readl(qts, MSIP(1)), ==, 0);
    qtest_writel(qts, MSIP(1), 1);
    g_assert_true(qtest_get_irq(qts, 1));
    g_assert_false(qtest_get_irq(qts, 0));
    g_assert_cmphex(qtest_readl(qts, MSIP(1)), ==, 1);
    qtest_writel(qts, MSIP(1), 0xfffffffe);
    g_assert_false(qtest_get_irq(qts, 1));
    g_assert_cmphex(qtest_readl(qts, MSIP(1)), ==, 0);
    qtest_writel(qts, MSIP(0), 0xffffffff);
    g_assert_true(qtest_get_irq(qts, 0));
    g_assert_cmphex(qtest_readl(qts, MSIP(0)), ==, 1);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/riscv-aclint/mtime-follows-clock", test_mtime_follows_clock);
    g_test_add_func("/riscv-aclint/mtime-write", test_mtime_write);
    g_test_add_func("/riscv-aclint/mtimecmp-registers", test_mtimecmp_registers);
    g_test_add_func("/riscv-aclint/timer-fires", test_timer_fires);
    g_test_add_func("/riscv-aclint/timer-immediate", test_timer_immediate);
    g_test_add_func("/riscv-aclint/msip", test_msip);
    return g_test_run();
}
