/*
 * Register-level tests of the ns16550a UART (hw/char/ns16550a.c) through
 * qtest: the UART sits at 0x10000000 on an empty machine with its chardev
 * on a Unix socket the test is connected to, and its IRQ output routed to
 * the test. Also checks that the qtest server rejects bad commands and
 * stays usable.
 */
#include <string.h>

#include "libqtest.h"

#define UART_BASE 0x10000000ULL
#define UART_PATH "/machine/peripheral/uart0"

/* Register numbers and bits (PC16550D datasheet). */
enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2,
       LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

#define LSR_DR      0x01
#define LSR_OE      0x02
#define LSR_IDLE    0x60        /* THRE | TEMT, nothing received */

#define IIR_NONE    0x01
#define IIR_RLS     0x06
#define IIR_RDA     0x04
#define IIR_CTI     0x0c
#define IIR_THRE    0x02
#define IIR_MSI     0x00
#define IIR_FIFOS   0xc0

#define MCR_LOOP    0x10

/* How long to wait for bytes crossing the chardev socket. */
#define WAIT_MS 5000

typedef struct Uart {
    QTestState *qts;
    QTestChardev *chr;
    unsigned shift;             /* regshift */
} Uart;

/* data: extra -device properties (",regshift=2") or NULL. */
static void uart_setup(Uart *u, gconstpointer data)
{
    const char *props = data ? data : "";
    g_autofree char *chr_args = NULL;
    g_autofree char *args = NULL;
    GError *err = NULL;

    u->chr = qtest_chardev_new();
    chr_args = qtest_chardev_args(u->chr, "c0");
    args = g_strdup_printf("%s -device ns16550a,id=uart0,addr=0x%llx,chardev=c0%s",
                           chr_args, UART_BASE, props);
    u->qts = qtest_try_start(args, &err);
    if (!u->qts) {
        qtest_chardev_free(u->chr);     /* leave no temporary directory behind */
        g_error("%s", err->message);
    }
    qtest_chardev_connect(u->chr, u->qts, "c0");
    u->shift = strstr(props, "regshift=2") ? 2 : 0;
}

static void uart_teardown(Uart *u, gconstpointer data)
{
    qtest_quit(u->qts);
    qtest_chardev_free(u->chr);
}

static uint8_t rd(Uart *u, unsigned reg)
{
    return qtest_readb(u->qts, UART_BASE + (reg << u->shift));
}

static void wr(Uart *u, unsigned reg, uint8_t value)
{
    qtest_writeb(u->qts, UART_BASE + (reg << u->shift), value);
}

/* Polls LSR until DR: received bytes reach the UART through the main loop. */
static uint8_t wait_rx(Uart *u)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000;
    uint8_t lsr;

    while (!((lsr = rd(u, LSR)) & LSR_DR)) {
        if (g_get_monotonic_time() > deadline) {
            g_assert_not_reached();
        }
        g_usleep(500);
    }
    return lsr;
}

static void send_bytes(Uart *u, const char *bytes)
{
    qtest_chardev_write(u->chr, bytes, strlen(bytes));
}

static void expect_tx(Uart *u, const char *expected)
{
    size_t len = strlen(expected);
    g_autofree char *buf = g_malloc0(len + 1);

    g_assert_cmpuint(qtest_chardev_read(u->chr, buf, len, WAIT_MS), ==, len);
    g_assert_cmpstr(buf, ==, expected);
}

static void expect_no_tx(Uart *u)
{
    char c;

    g_assert_cmpuint(qtest_chardev_read(u->chr, &c, 1, 50), ==, 0);
}

/* Sets the divisor latch and the line format. */
static void set_line(Uart *u, uint16_t divisor, uint8_t lcr)
{
    wr(u, LCR, 0x80);
    wr(u, DLL, divisor & 0xff);
    wr(u, DLM, divisor >> 8);
    wr(u, LCR, lcr);
}

static bool irq(Uart *u)
{
    return qtest_get_irq(u->qts, 0);
}

/* ---- tests ---- */

static void test_reset_values(Uart *u, gconstpointer data)
{
    g_assert_cmphex(rd(u, LSR), ==, LSR_IDLE);
    g_assert_cmphex(rd(u, IIR), ==, IIR_NONE);
    g_assert_cmphex(rd(u, IER), ==, 0);
    g_assert_cmphex(rd(u, LCR), ==, 0);
    g_assert_cmphex(rd(u, MCR), ==, 0);
    /* Outside loopback the modem inputs read CTS, DSR and DCD, no deltas. */
    g_assert_cmphex(rd(u, MSR), ==, 0xb0);
    g_assert_cmphex(rd(u, SCR), ==, 0);
    /* An empty RBR reads as zero and changes nothing. */
    g_assert_cmphex(rd(u, RBR), ==, 0);
    g_assert_cmphex(rd(u, LSR), ==, LSR_IDLE);
}

static void test_scratch(Uart *u, gconstpointer data)
{
    static const uint8_t values[] = { 0xa5, 0x5a, 0xff, 0x00, 0x3c };

    for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
        wr(u, SCR, values[i]);
        g_assert_cmphex(rd(u, SCR), ==, values[i]);
    }
    g_assert_cmphex(rd(u, LCR), ==, 0);
    g_assert_cmphex(rd(u, IER), ==, 0);
}

static void test_tx(Uart *u, gconstpointer data)
{
    const char *msg = "Hi!\n\x00\xff";

    for (int i = 0; i < 4; i++) {
        wr(u, THR, msg[i]);
        g_assert_cmphex(rd(u, LSR), ==, LSR_IDLE);
    }
    expect_tx(u, "Hi!\n");
    /* Bytes are not masked to the word length (LCR is 0: 5-bit words). */
    wr(u, THR, 0xff);
    wr(u, THR, 0x80);
    expect_tx(u, "\xff\x80");
    expect_no_tx(u);
}

static void test_rx(Uart *u, gconstpointer data)
{
    /* FIFOs off: one byte at a time in RBR, the rest wait in the backend. */
    send_bytes(u, "ab");
    wait_rx(u);
    g_assert_cmphex(rd(u, RBR), ==, 'a');
    wait_rx(u);
    g_assert_cmphex(rd(u, RBR), ==, 'b');
    g_assert_cmphex(rd(u, LSR), ==, LSR_IDLE);

    /* FIFOs on: the bytes come out in order. */
    wr(u, FCR, 0x07);
    send_bytes(u, "hello");
    for (const char *p = "hello"; *p; p++) {
        wait_rx(u);
        g_assert_cmphex(rd(u, RBR), ==, *p);
    }
    g_assert_cmphex(rd(u, LSR), ==, LSR_IDLE);
}

/* More bytes than the FIFO holds: flow control holds them back, no overrun. */
static void test_rx_flow_control(Uart *u, gconstpointer data)
{
    const char *msg = "0123456789abcdefghij";
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000;

    wr(u, FCR, 0xc1);           /* trigger level 14 */
    wr(u, IER, 0x01);
    send_bytes(u, msg);
    while ((rd(u, IIR) & 0x0f) != IIR_RDA) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(500);
    }
    for (const char *p = msg; *p; p++) {
        uint8_t lsr = wait_rx(u);

        g_assert_cmphex(lsr & LSR_OE, ==, 0);
        g_assert_cmphex(rd(u, RBR), ==, *p);
    }
    g_assert_cmphex(rd(u, LSR), ==, LSR_IDLE);
}

static void test_rx_irq(Uart *u, gconstpointer data)
{
    qtest_irq_intercept_out(u->qts, UART_PATH);
    wr(u, IER, 0x01);
    g_assert_false(irq(u));
    g_assert_cmphex(rd(u, IIR), ==, IIR_NONE);

    send_bytes(u, "x");
    wait_rx(u);
    g_assert_true(irq(u));
    g_assert_cmphex(rd(u, IIR), ==, IIR_RDA);
    g_assert_true(irq(u));      /* reading IIR does not acknowledge RX data */
    g_assert_cmphex(rd(u, RBR), ==, 'x');
    g_assert_false(irq(u));
    g_assert_cmphex(rd(u, IIR), ==, IIR_NONE);

    /* Disabled in IER: data waits without an interrupt. */
    wr(u, IER, 0x00);
    send_bytes(u, "y");
    wait_rx(u);
    g_assert_false(irq(u));
    g_assert_cmphex(rd(u, IIR), ==, IIR_NONE);
    wr(u, IER, 0x01);
    g_assert_true(irq(u));
    g_assert_cmphex(rd(u, RBR), ==, 'y');
    g_assert_false(irq(u));
}

static void test_thre_irq(Uart *u, gconstpointer data)
{
    qtest_irq_intercept_out(u->qts, UART_PATH);
    g_assert_false(irq(u));

    /* Enabling ETBEI while THR is empty raises THRE. */
    wr(u, IER, 0x02);
    g_assert_true(irq(u));
    g_assert_cmphex(rd(u, IIR), ==, IIR_THRE);    /* acknowledges it */
    g_assert_false(irq(u));
    g_assert_cmphex(rd(u, IIR), ==, IIR_NONE);

    /* Rewriting IER with ETBEI still set is no new enable. */
    wr(u, IER, 0x03);
    g_assert_false(irq(u));

    /* Each byte written empties THR again at once: THRE comes back. */
    wr(u, THR, 'T');
    g_assert_true(irq(u));
    expect_tx(u, "T");
    g_assert_cmphex(rd(u, IIR), ==, IIR_THRE);
    g_assert_false(irq(u));
    wr(u, THR, 'U');
    g_assert_true(irq(u));
    expect_tx(u, "U");

    /* Masked, then enabled again: raised again. */
    wr(u, IER, 0x00);
    g_assert_false(irq(u));
    g_assert_cmphex(rd(u, IIR), ==, IIR_NONE);
    wr(u, IER, 0x02);
    g_assert_true(irq(u));
}

static void test_iir_priority(Uart *u, gconstpointer data)
{
    wr(u, IER, 0x03);           /* RX data and THRE */
    send_bytes(u, "r");
    wait_rx(u);
    /* RX data outranks THRE, and reading IIR then leaves THRE pending. */
    g_assert_cmphex(rd(u, IIR), ==, IIR_RDA);
    g_assert_cmphex(rd(u, IIR), ==, IIR_RDA);
    g_assert_cmphex(rd(u, RBR), ==, 'r');
    g_assert_cmphex(rd(u, IIR), ==, IIR_THRE);
    g_assert_cmphex(rd(u, IIR), ==, IIR_NONE);

    /* Receiver line status outranks RX data: an overrun in loopback. */
    wr(u, MCR, MCR_LOOP);
    wr(u, THR, 'a');
    wr(u, THR, 'b');            /* FIFOs off: 'b' overruns and replaces 'a' */
    wr(u, IER, 0x07);
    g_assert_cmphex(rd(u, IIR), ==, IIR_RLS);
    g_assert_cmphex(rd(u, LSR), ==, LSR_IDLE | LSR_OE | LSR_DR);
    g_assert_cmphex(rd(u, LSR), ==, LSR_IDLE | LSR_DR);      /* OE cleared by reading */
    g_assert_cmphex(rd(u, IIR), ==, IIR_RDA);
    g_assert_cmphex(rd(u, RBR), ==, 'b');
    g_assert_cmphex(rd(u, IIR), ==, IIR_THRE);
    g_assert_cmphex(rd(u, IIR), ==, IIR_NONE);

    /* Modem status is the lowest. */
    rd(u, MSR);                 /* clear the deltas of entering loopback */
    wr(u, IER, 0x0f);
    wr(u, MCR, MCR_LOOP | 0x01);        /* DTR -> DSR changes */
    wr(u, THR, 'c');
    g_assert_cmphex(rd(u, IIR), ==, IIR_RDA);
    g_assert_cmphex(rd(u, RBR), ==, 'c');
    g_assert_cmphex(rd(u, IIR), ==, IIR_THRE);
    g_assert_cmphex(rd(u, IIR), ==, IIR_MSI);
    g_assert_cmphex(rd(u, MSR), ==, 0x22);  /* DSR, DDSR */
    g_assert_cmphex(rd(u, IIR), ==, IIR_NONE);
}

static void test_divisor_latch(Uart *u, gconstpointer data)
{
    wr(u, IER, 0x05);
    wr(u, LCR, 0x83);
    g_assert_cmphex(rd(u, LCR), ==, 0x83);
    wr(u, DLL, 0x34);
    wr(u, DLM, 0x12);
    g_assert_cmphex(rd(u, DLL), ==, 0x34);
    g_assert_cmphex(rd(u, DLM), ==, 0x12);
    expect_no_tx(u);            /* a DLL write is not a THR write */

    wr(u, LCR, 0x03);
    g_assert_cmphex(rd(u, IER), ==, 0x05);
    g_assert_cmphex(rd(u, RBR), ==, 0x00);
    wr(u, IER, 0xff);           /* bits 7:4 are reserved and read as 0 */
    g_assert_cmphex(rd(u, IER), ==, 0x0f);
    wr(u, IER, 0x00);

    wr(u, LCR, 0x83);
    g_assert_cmphex(rd(u, DLL), ==, 0x34);
    g_assert_cmphex(rd(u, DLM), ==, 0x12);
    /* IIR and the other registers do not depend on DLAB. */
    g_assert_cmphex(rd(u, IIR), ==, IIR_NONE);
    g_assert_cmphex(rd(u, LSR), ==, LSR_IDLE);
    wr(u, LCR, 0x03);
    g_assert_cmphex(rd(u, IER), ==, 0x00);
}

static void test_fifo_enable(Uart *u, gconstpointer data)
{
    wr(u, FCR, 0x01);
    g_assert_cmphex(rd(u, IIR), ==, IIR_FIFOS | IIR_NONE);
    wr(u, FCR, 0x00);
    g_assert_cmphex(rd(u, IIR), ==, IIR_NONE);
    /* The other FCR bits only take effect together with FIFOEN. */
    wr(u, FCR, 0xc6);
    g_assert_cmphex(rd(u, IIR), ==, IIR_NONE);
}

static void test_fifo_trigger(Uart *u, gconstpointer data)
{
    static const struct { uint8_t fcr; int level; } triggers[] = {
        { 0x01, 1 }, { 0x41, 4 }, { 0x81, 8 }, { 0xc1, 14 },
    };

    qtest_irq_intercept_out(u->qts, UART_PATH);
    wr(u, MCR, MCR_LOOP);
    for (size_t t = 0; t < G_N_ELEMENTS(triggers); t++) {
        wr(u, FCR, triggers[t].fcr | 0x02);
        wr(u, IER, 0x01);
        for (int i = 0; i < triggers[t].level - 1; i++) {
            wr(u, THR, 'A' + i);
        }
        g_assert_cmphex(rd(u, IIR), ==, IIR_FIFOS | IIR_NONE);
        g_assert_false(irq(u));
        if (triggers[t].level > 1) {
            g_assert_cmphex(rd(u, LSR), ==, LSR_IDLE | LSR_DR);
        }
        wr(u, THR, 'A' + triggers[t].level - 1);
        g_assert_true(irq(u));
        g_assert_cmphex(rd(u, IIR), ==, IIR_FIFOS | IIR_RDA);
        /* One byte out: below the trigger again. */
        g_assert_cmphex(rd(u, RBR), ==, 'A');
        g_assert_false(irq(u));
        for (int i = 1; i < triggers[t].level; i++) {
            g_assert_cmphex(rd(u, RBR), ==, 'A' + i);
        }
        g_assert_cmphex(rd(u, LSR), ==, LSR_IDLE);
        wr(u, IER, 0x00);
    }
}

static void test_fifo_reset(Uart *u, gconstpointer data)
{
    wr(u, MCR, MCR_LOOP);
    wr(u, FCR, 0x01);
    wr(u, THR, 'a');
    wr(u, THR, 'b');
    wr(u, THR, 'c');
    g_assert_cmphex(rd(u, LSR), ==, LSR_IDLE | LSR_DR);
    wr(u, FCR, 0x03);           /* reset the RX FIFO */
    g_assert_cmphex(rd(u, LSR), ==, LSR_IDLE);
    g_assert_cmphex(rd(u, IIR), ==, IIR_FIFOS | IIR_NONE);
    wr(u, THR, 'd');
    g_assert_cmphex(rd(u, RBR), ==, 'd');

    /* Resetting the TX FIFO leaves received data alone. */
    wr(u, THR, 'e');
    wr(u, FCR, 0x05);
    g_assert_cmphex(rd(u, RBR), ==, 'e');

    /* Leaving FIFO mode empties the FIFO. */
    wr(u, THR, 'f');
    wr(u, THR, 'g');
    wr(u, FCR, 0x00);
    g_assert_cmphex(rd(u, LSR), ==, LSR_IDLE);
    g_assert_cmphex(rd(u, IIR), ==, IIR_NONE);
}

static void test_fifo_overrun(Uart *u, gconstpointer data)
{
    wr(u, MCR, MCR_LOOP);
    wr(u, FCR, 0x01);
    for (int i = 0; i < 17; i++) {
        wr(u, THR, 0x40 + i);
    }
    g_assert_cmphex(rd(u, LSR), ==, LSR_IDLE | LSR_OE | LSR_DR);
    /* The FIFO keeps its 16 bytes; the 17th is lost. */
    for (int i = 0; i < 16; i++) {
        g_assert_cmphex(rd(u, RBR), ==, 0x40 + i);
    }
    g_assert_cmphex(rd(u, LSR), ==, LSR_IDLE);
}

static void test_char_timeout(Uart *u, gconstpointer data)
{
    qtest_irq_intercept_out(u->qts, UART_PATH);
    wr(u, MCR, MCR_LOOP);
    /* 115200 baud 8N1: 10 bits = 86805 ns a character, timeout at 347220 ns. */
    set_line(u, 1, 0x03);
    wr(u, FCR, 0xc1);
    wr(u, IER, 0x01);
    wr(u, THR, 'a');
    wr(u, THR, 'b');
    g_assert_cmphex(rd(u, IIR), ==, IIR_FIFOS | IIR_NONE);
    qtest_clock_step(u->qts, 300000);
    g_assert_false(irq(u));
    g_assert_cmphex(rd(u, IIR), ==, IIR_FIFOS | IIR_NONE);
    qtest_clock_step(u->qts, 60000);
    g_assert_true(irq(u));
    g_assert_cmphex(rd(u, IIR), ==, IIR_FIFOS | IIR_CTI);

    /* Reading a byte clears the timeout and starts counting again. */
    g_assert_cmphex(rd(u, RBR), ==, 'a');
    g_assert_false(irq(u));
    g_assert_cmphex(rd(u, IIR), ==, IIR_FIFOS | IIR_NONE);
    qtest_clock_step(u->qts, 300000);
    g_assert_false(irq(u));
    qtest_clock_step(u->qts, 60000);
    g_assert_true(irq(u));
    g_assert_cmphex(rd(u, RBR), ==, 'b');
    g_assert_false(irq(u));

    /* An empty FIFO never times out. */
    qtest_clock_step(u->qts, 10000000);
    g_assert_false(irq(u));
    g_assert_cmphex(rd(u, IIR), ==, IIR_FIFOS | IIR_NONE);

    /* The divisor scales it: 2 -> 694440 ns. */
    set_line(u, 2, 0x03);
    wr(u, THR, 'c');
    qtest_clock_step(u->qts, 600000);
    g_assert_false(irq(u));
    qtest_clock_step(u->qts, 100000);
    g_assert_true(irq(u));
    g_assert_cmphex(rd(u, RBR), ==, 'c');

    /* So does the frame: 8 bits, parity, 1 stop = 11 bits -> 381944 ns. */
    set_line(u, 1, 0x0b);
    wr(u, THR, 'd');
    qtest_clock_step(u->qts, 360000);
    g_assert_false(irq(u));
    qtest_clock_step(u->qts, 30000);
    g_assert_true(irq(u));
    g_assert_cmphex(rd(u, RBR), ==, 'd');

    /* clock_step with no time goes to exactly that deadline. */
    set_line(u, 1, 0x03);
    wr(u, THR, 'e');
    {
        int64_t start = qtest_clock_get(u->qts);

        g_assert_cmpint(qtest_clock_step_next(u->qts), ==, start + 4 * 86805);
    }
    g_assert_true(irq(u));
    g_assert_cmphex(rd(u, IIR), ==, IIR_FIFOS | IIR_CTI);
    g_assert_cmphex(rd(u, RBR), ==, 'e');

    /* Without FIFOs there is no timeout, only RBR full. */
    wr(u, FCR, 0x00);
    wr(u, THR, 'f');
    qtest_clock_step(u->qts, 10000000);
    g_assert_cmphex(rd(u, IIR), ==, IIR_RDA);
}

static void test_loopback(Uart *u, gconstpointer data)
{
    static const struct { uint8_t mcr, msr; } steps[] = {
        /* Entering loopback drops CTS, DSR and DCD. */
        { 0x10, 0x0b },
        { 0x11, 0x22 },         /* DTR -> DSR */
        { 0x12, 0x13 },         /* RTS -> CTS (DSR falls) */
        { 0x14, 0x41 },         /* OUT1 -> RI (CTS falls) */
        { 0x18, 0x8c },         /* OUT2 -> DCD; RI's trailing edge sets TERI */
        { 0x1f, 0xf3 },         /* all on: DCD steady, RI rising sets no delta */
        { 0x10, 0x0f },
        { 0x00, 0xbb },         /* out of loopback: CTS, DSR, DCD back */
    };

    wr(u, MCR, MCR_LOOP);
    wr(u, THR, 'Z');
    g_assert_cmphex(rd(u, LSR), ==, LSR_IDLE | LSR_DR);
    g_assert_cmphex(rd(u, RBR), ==, 'Z');
    expect_no_tx(u);
    wr(u, MCR, 0);
    rd(u, MSR);

    for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
        wr(u, MCR, steps[i].mcr);
        g_assert_cmphex(rd(u, MCR), ==, steps[i].mcr);
        g_assert_cmphex(rd(u, MSR), ==, steps[i].msr);
        /* Reading MSR clears the delta bits. */
        g_assert_cmphex(rd(u, MSR), ==, steps[i].msr & 0xf0);
    }

    /* Out of loopback again, bytes go to the chardev. */
    wr(u, THR, 'Q');
    expect_tx(u, "Q");
    g_assert_cmphex(rd(u, LSR), ==, LSR_IDLE);

    /* MCR bits 7:5 are reserved. */
    wr(u, MCR, 0xe0);
    g_assert_cmphex(rd(u, MCR), ==, 0x00);
}

static void test_modem_status_irq(Uart *u, gconstpointer data)
{
    qtest_irq_intercept_out(u->qts, UART_PATH);
    wr(u, IER, 0x08);
    g_assert_false(irq(u));
    wr(u, MCR, MCR_LOOP | 0x02);
    g_assert_true(irq(u));
    g_assert_cmphex(rd(u, IIR), ==, IIR_MSI);
    g_assert_true(irq(u));      /* only reading MSR acknowledges it */
    g_assert_cmphex(rd(u, MSR), ==, 0x1a);     /* CTS; DSR and DCD fell */
    g_assert_false(irq(u));
    g_assert_cmphex(rd(u, IIR), ==, IIR_NONE);
    /* OUT2 does not gate the line. */
    wr(u, MCR, MCR_LOOP | 0x08);
    g_assert_true(irq(u));
}

static void test_readonly_registers(Uart *u, gconstpointer data)
{
    wr(u, LSR, 0x00);
    wr(u, LSR, 0xff);
    g_assert_cmphex(rd(u, LSR), ==, LSR_IDLE);
    wr(u, MSR, 0x00);
    g_assert_cmphex(rd(u, MSR), ==, 0xb0);
    g_assert_cmphex(rd(u, IIR), ==, IIR_NONE);
}

/* regshift=2: registers every 4 bytes, accessible as bytes or 32-bit words. */
static void test_regshift2(Uart *u, gconstpointer data)
{
    g_assert_cmphex(qtest_readb(u->qts, UART_BASE + 0x14), ==, LSR_IDLE);
    g_assert_cmphex(qtest_readl(u->qts, UART_BASE + 0x14), ==, LSR_IDLE);
    qtest_writeb(u->qts, UART_BASE + 0x1c, 0x5a);
    g_assert_cmphex(qtest_readb(u->qts, UART_BASE + 0x1c), ==, 0x5a);
    /* The other bytes of a slot are padding. */
    g_assert_cmphex(qtest_readb(u->qts, UART_BASE + 0x1d), ==, 0);
    qtest_writeb(u->qts, UART_BASE + 0x1d, 0xee);
    g_assert_cmphex(qtest_readl(u->qts, UART_BASE + 0x1c), ==, 0x5a);
    /* Offset 7 is padding too, not SCR as with regshift=0. */
    g_assert_cmphex(qtest_readb(u->qts, UART_BASE + 7), ==, 0);

    qtest_writel(u->qts, UART_BASE + 0x00, 'w');
    expect_tx(u, "w");
    qtest_writel(u->qts, UART_BASE + 0x10, MCR_LOOP);
    g_assert_cmphex(rd(u, MCR), ==, MCR_LOOP);
    qtest_writel(u->qts, UART_BASE + 0x00, 'k');
    g_assert_cmphex(qtest_readl(u->qts, UART_BASE + 0x14), ==, LSR_IDLE | LSR_DR);
    g_assert_cmphex(qtest_readl(u->qts, UART_BASE + 0x00), ==, 'k');
    g_assert_cmphex(rd(u, LSR), ==, LSR_IDLE);
}

static void test_bad_properties(void)
{
    static const struct { const char *args; const char *reason; } cases[] = {
        { "-device ns16550a,regshift=9", "regshift" },
        { "-device ns16550a,baudbase=0", "baudbase" },
        { "-device ns16550a,chardev=nosuchchardev", "nosuchchardev" },
        { "-device ns16550a,regshift=2x", "regshift" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        GError *err = NULL;
        QTestState *s = qtest_try_start(cases[i].args, &err);

        g_assert_null(s);
        g_assert_nonnull(err);
        if (!strstr(err->message, cases[i].reason)) {
            g_error("'%s': the error does not name '%s': %s", cases[i].args,
                    cases[i].reason, err->message);
        }
        g_error_free(err);
    }
}

/* Without a chardev the UART still works; output is dropped. */
static void test_no_chardev(void)
{
    QTestState *s = qtest_start("-device ns16550a,id=uart0,addr=0x10000000");

    qtest_writeb(s, UART_BASE + THR, 'x');
    g_assert_cmphex(qtest_readb(s, UART_BASE + LSR), ==, LSR_IDLE);
    qtest_writeb(s, UART_BASE + MCR, MCR_LOOP);
    qtest_writeb(s, UART_BASE + THR, 'y');
    g_assert_cmphex(qtest_readb(s, UART_BASE + RBR), ==, 'y');
    qtest_quit(s);
}

static void expect_err(Uart *u, const char *cmd)
{
    g_autofree char *reply = qtest_raw_cmd(u->qts, "%s", cmd);

    if (!g_str_has_prefix(reply, "ERR ")) {
        g_error("'%s' was accepted: %s", cmd, reply);
    }
}

static void expect_reply(Uart *u, const char *cmd, const char *expected)
{
    g_autofree char *reply = qtest_raw_cmd(u->qts, "%s", cmd);

    g_assert_cmpstr(reply, ==, expected);
}

static void test_qtest_protocol(Uart *u, gconstpointer data)
{
    uint8_t byte;
    int64_t now;

    expect_err(u, "frobnicate 1 2");
    expect_err(u, "");
    expect_err(u, "readb");
    expect_err(u, "readb 0x10000007 extra");
    expect_err(u, "readb zzz");
    expect_err(u, "readb -1");
    expect_err(u, "readb 0x1ffffffffffffffff");
    expect_err(u, "writeb 0x10000007 0x100");
    expect_err(u, "writew 0x10000007 0x10000");
    expect_err(u, "read 0x10000007 99999999");
    expect_err(u, "write 0x10000007 1 5a");
    expect_err(u, "write 0x10000007 1 0xZZ");
    expect_err(u, "write 0x10000007 1 0x5a5a");
    expect_err(u, "write 0x10000007 1 0x5");
    expect_err(u, "clock_step abc");
    expect_err(u, "clock_set 0x8000000000000000");
    expect_err(u, "irq_intercept_out /machine/nothing/here");
    expect_err(u, "irq_intercept_out " UART_PATH " no-such-list");
    expect_err(u, "irq_intercept_out /machine");
    expect_err(u, "set_irq_in " UART_PATH " unnamed-gpio-in 0 1");
    expect_err(u, "set_irq_in " UART_PATH " sysbus-irq x 1");
    expect_err(u, "chardev_connected nosuchchardev");

    /* The connection is still fine. */
    expect_reply(u, "writeb 0x10000007 0x42", "OK");
    expect_reply(u, "readb 0x10000007", "OK 0x42");
    expect_reply(u, "write 0x10000007 1 0x5a", "OK");
    expect_reply(u, "read 0x10000007 1", "OK 0x5a");
    expect_reply(u, "read 0x10000005 0", "OK 0x");
    expect_reply(u, "   readb    0x10000005  ", "OK 0x60");
    expect_reply(u, "chardev_connected c0", "OK 0x1");
    qtest_memread(u->qts, UART_BASE + SCR, &byte, 1);
    g_assert_cmphex(byte, ==, 0x5a);
    byte = 0x99;
    qtest_memwrite(u->qts, UART_BASE + SCR, &byte, 1);
    g_assert_cmphex(rd(u, SCR), ==, 0x99);

    /* The clock moves only when told, and never backwards. */
    now = qtest_clock_get(u->qts);
    g_assert_cmpint(qtest_clock_get(u->qts), ==, now);
    g_assert_cmpint(qtest_clock_step(u->qts, 1000), ==, now + 1000);
    g_assert_cmpint(qtest_clock_step_next(u->qts), ==, now + 1000);  /* no timer */
    expect_err(u, "clock_set 0");
    {
        g_autofree char *cmd = g_strdup_printf("clock_set %" G_GINT64_FORMAT, now + 5000);
        g_autofree char *want = g_strdup_printf("OK 0x%" G_GINT64_MODIFIER "x", now + 5000);

        expect_reply(u, cmd, want);
    }

    /* Interception works once, and again for the same list. */
    qtest_irq_intercept_out(u->qts, UART_PATH);
    qtest_irq_intercept_out_named(u->qts, UART_PATH, "sysbus-irq");
    expect_err(u, "irq_intercept_in " UART_PATH);
}

static void add_uart_test(const char *name, const char *props,
                          void (*fn)(Uart *, gconstpointer))
{
    g_test_add(name, Uart, props, uart_setup, fn, uart_teardown);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    add_uart_test("/ns16550a/reset-values", NULL, test_reset_values);
    add_uart_test("/ns16550a/scratch", NULL, test_scratch);
    add_uart_test("/ns16550a/tx", NULL, test_tx);
    add_uart_test("/ns16550a/rx", NULL, test_rx);
    add_uart_test("/ns16550a/rx-flow-control", NULL, test_rx_flow_control);
    add_uart_test("/ns16550a/rx-irq", NULL, test_rx_irq);
    add_uart_test("/ns16550a/thre-irq", NULL, test_thre_irq);
    add_uart_test("/ns16550a/iir-priority", NULL, test_iir_priority);
    add_uart_test("/ns16550a/divisor-latch", NULL, test_divisor_latch);
    add_uart_test("/ns16550a/fifo-enable", NULL, test_fifo_enable);
    add_uart_test("/ns16550a/fifo-trigger", NULL, test_fifo_trigger);
    add_uart_test("/ns16550a/fifo-reset", NULL, test_fifo_reset);
    add_uart_test("/ns16550a/fifo-overrun", NULL, test_fifo_overrun);
    add_uart_test("/ns16550a/char-timeout", NULL, test_char_timeout);
    add_uart_test("/ns16550a/loopback", NULL, test_loopback);
    add_uart_test("/ns16550a/modem-status-irq", NULL, test_modem_status_irq);
    add_uart_test("/ns16550a/readonly-registers", NULL, test_readonly_registers);
    add_uart_test("/ns16550a/regshift2", ",regshift=2", test_regshift2);
    add_uart_test("/ns16550a/qtest-protocol", NULL, test_qtest_protocol);
    g_test_add_func("/ns16550a/bad-properties", test_bad_properties);
    g_test_add_func("/ns16550a/no-chardev", test_no_chardev);
    return g_test_run();
}
