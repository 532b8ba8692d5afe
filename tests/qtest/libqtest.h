/*
 * libqtest: the client side of the qtest protocol (system/qtest.c), for
 * register-level device tests. qtest_start() runs the emulator with
 * "-M none -qtest ..." and the test's extra arguments; the helpers then
 * read and write guest memory, step the virtual clock and watch IRQ lines.
 *
 * The emulator is $PROTEUS_SYSTEM, else the build tree's
 * proteus-system-riscv64. A protocol failure (an "ERR" reply to a typed
 * helper, the emulator dying, a reply not coming within the timeout) ends
 * the test program with a message that includes the emulator's stderr.
 *
 * QTestChardev is a Unix-socket peer for a device's chardev: pass
 * qtest_chardev_args() to the emulator, then connect and exchange bytes.
 */
#ifndef PROTEUS_TESTS_LIBQTEST_H
#define PROTEUS_TESTS_LIBQTEST_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct QTestState QTestState;
typedef struct QTestChardev QTestChardev;

/* Starts the emulator; fails the test program if it cannot. */
QTestState *qtest_start(const char *extra_args);
/* The same, but a failure to start (bad arguments: the emulator exits)
 * returns NULL with errp holding the emulator's exit status and stderr. */
QTestState *qtest_try_start(const char *extra_args, GError **errp);
/* Disconnects (the emulator then exits), waits for it and frees s. An
 * emulator that exits abnormally fails the current test. */
void qtest_quit(QTestState *s);

/* Sends one command line and returns the reply ("OK ..." or "ERR ..."). */
char *qtest_raw_cmd(QTestState *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

uint8_t qtest_readb(QTestState *s, uint64_t addr);
uint16_t qtest_readw(QTestState *s, uint64_t addr);
uint32_t qtest_readl(QTestState *s, uint64_t addr);
uint64_t qtest_readq(QTestState *s, uint64_t addr);
void qtest_writeb(QTestState *s, uint64_t addr, uint8_t value);
void qtest_writew(QTestState *s, uint64_t addr, uint16_t value);
void qtest_writel(QTestState *s, uint64_t addr, uint32_t value);
void qtest_writeq(QTestState *s, uint64_t addr, uint64_t value);
void qtest_memread(QTestState *s, uint64_t addr, void *buf, size_t size);
void qtest_memwrite(QTestState *s, uint64_t addr, const void *buf, size_t size);

/* Advance the virtual clock by ns / to the next timer deadline; return the new time. */
int64_t qtest_clock_step(QTestState *s, int64_t ns);
int64_t qtest_clock_step_next(QTestState *s);
int64_t qtest_clock_get(QTestState *s);

/* Routes a device's IRQ outputs (a sys-bus-device's numbered IRQs) to the test. */
void qtest_irq_intercept_out(QTestState *s, const char *qom_path);
void qtest_irq_intercept_out_named(QTestState *s, const char *qom_path, const char *name);
/* Routes a device's IRQ inputs (name NULL: the unnamed list) to the test
 * instead of the device. */
void qtest_irq_intercept_in(QTestState *s, const char *qom_path, const char *name);
/* The level of intercepted line n as reported so far (0 before any report);
 * reports already sent by the emulator are read first. */
bool qtest_get_irq(QTestState *s, int n);
/* Drives input line n of a device's list (name NULL: the unnamed list). */
void qtest_set_irq_in(QTestState *s, const char *qom_path, const char *name, int n,
                      int level);

/* ---- a Unix-socket peer for a device's chardev ---- */

/* Picks a socket path in a new temporary directory. */
QTestChardev *qtest_chardev_new(void);
/* "-chardev socket,id=ID,path=PATH,server=on,wait=off" */
char *qtest_chardev_args(QTestChardev *c, const char *id);
/*
 * Connects to the emulator's chardev ID (retrying until the socket
 * appears) and waits until the emulator has accepted, so nothing written
 * by the device is dropped. The socket file is removed once connected.
 */
void qtest_chardev_connect(QTestChardev *c, QTestState *s, const char *id);
void qtest_chardev_write(QTestChardev *c, const void *buf, size_t len);
/* Reads up to len bytes, waiting at most timeout_ms for them all; returns
 * how many arrived. */
size_t qtest_chardev_read(QTestChardev *c, void *buf, size_t len, int timeout_ms);
/* Closes the connection and removes the temporary directory. */
void qtest_chardev_free(QTestChardev *c);

#endif
