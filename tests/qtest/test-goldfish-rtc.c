/*
 * Register-level tests of the goldfish RTC (hw/rtc/goldfish-rtc.c) through
 * qtest: its time follows the host's wall clock, can be set, and an alarm
 * raises the IRQ line (watched by the test) once its time has passed.
 */
#include "libqtest.h"

#define RTC_BASE            0x101000ULL
#define RTC_PATH            "/machine/peripheral/rtc"

#define TIME_LOW            (RTC_BASE + 0x00)
#define TIME_HIGH           (RTC_BASE + 0x04)
#define ALARM_LOW           (RTC_BASE + 0x08)
#define ALARM_HIGH          (RTC_BASE + 0x0c)
#define IRQ_ENABLED         (RTC_BASE + 0x10)
#define CLEAR_ALARM         (RTC_BASE + 0x14)
#define ALARM_STATUS        (RTC_BASE + 0x18)
#define CLEAR_INTERRUPT     (RTC_BASE + 0x1c)

#define NS_PER_SEC          1000000000ULL

static QTestState *rtc_start(void)
{
    QTestState *qts = qtest_start("-device goldfish-rtc,id=rtc,addr=0x101000");

    qtest_irq_intercept_out(qts, RTC_PATH);
    return qts;
}

/* TIME_LOW first: reading it latches the high half. */
static uint64_t rtc_time(QTestState *qts)
{
    uint64_t low = qtest_readl(qts, TIME_LOW);

    return (uint64_t)qtest_readl(qts, TIME_HIGH) << 32 | low;
}

static void rtc_write64(QTestState *qts, uint64_t high_reg, uint64_t low_reg, uint64_t v)
{
    qtest_writel(qts, high_reg, v >> 32);
    qtest_writel(qts, low_reg, (uint32_t)v);
}

static void test_time_is_host_time(void)
{
    QTestState *qts = rtc_start();
    uint64_t host = g_get_real_time() * 1000ULL;
    uint64_t t = rtc_time(qts);

    g_assert_cmpuint(t, >, host - 60 * NS_PER_SEC);
    g_assert_cmpuint(t, <, host + 60 * NS_PER_SEC);
    qtest_quit(qts);
}

static void test_set_time(void)
{
    QTestState *qts = rtc_start();
    const uint64_t set = 0x123400000000ULL;
    uint64_t t;

    rtc_write64(qts, TIME_HIGH, TIME_LOW, set);
    t = rtc_time(qts);
    g_assert_cmpuint(t, >=, set);
    g_assert_cmpuint(t, <, set + 60 * NS_PER_SEC);
    qtest_quit(qts);
}

/* Polls ALARM_STATUS until the alarm has gone off (host time passes). */
static void wait_alarm_fired(QTestState *qts)
{
    for (int i = 0; i < 500 && qtest_readl(qts, ALARM_STATUS); i++) {
        g_usleep(10000);
    }
    g_assert_cmpuint(qtest_readl(qts, ALARM_STATUS), ==, 0);
}

static void test_alarm_irq(void)
{
    QTestState *qts = rtc_start();
    uint64_t now = rtc_time(qts);

    qtest_writel(qts, IRQ_ENABLED, 1);
    g_assert_cmpuint(qtest_readl(qts, IRQ_ENABLED), ==, 1);
    rtc_write64(qts, ALARM_HIGH, ALARM_LOW, now + 20000000);   /* 20 ms ahead */
    g_assert_cmpuint(qtest_readl(qts, ALARM_STATUS), ==, 1);
    g_assert_cmphex(qtest_readl(qts, ALARM_LOW), ==, (uint32_t)(now + 20000000));
    wait_alarm_fired(qts);
    g_assert_true(qtest_get_irq(qts, 0));
    /* Masking hides the pending interrupt; acknowledging clears it. */
    qtest_writel(qts, IRQ_ENABLED, 0);
    g_assert_false(qtest_get_irq(qts, 0));
    qtest_writel(qts, IRQ_ENABLED, 1);
    g_assert_true(qtest_get_irq(qts, 0));
    qtest_writel(qts, CLEAR_INTERRUPT, 1);
    g_assert_false(qtest_get_irq(qts, 0));
    qtest_quit(qts);
}

static void test_clear_alarm(void)
{
    QTestState *qts = rtc_start();
    uint64_t now = rtc_time(qts);

    qtest_writel(qts, IRQ_ENABLED, 1);
    rtc_write64(qts, ALARM_HIGH, ALARM_LOW, now + 3600 * NS_PER_SEC);
    g_assert_cmpuint(qtest_readl(qts, ALARM_STATUS), ==, 1);
    qtest_writel(qts, CLEAR_ALARM, 1);
    g_assert_cmpuint(qtest_readl(qts, ALARM_STATUS), ==, 0);
    g_assert_false(qtest_get_irq(qts, 0));
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/goldfish-rtc/time-is-host-time", test_time_is_host_time);
    g_test_add_func("/goldfish-rtc/set-time", test_set_time);
    g_test_add_func("/goldfish-rtc/alarm-irq", test_alarm_irq);
    g_test_add_func("/goldfish-rtc/clear-alarm", test_clear_alarm);
    return g_test_run();
}
