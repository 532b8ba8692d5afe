/*
 * The qtest accelerator's server: with -qtest SPEC the emulator connects to
 * a test program over a chardev and runs its register-level commands (read
 * and write guest memory, step the virtual clock, watch and drive IRQ
 * lines). The protocol is described at the top of system/qtest.c; the
 * client side is tests/qtest/libqtest.c.
 */
#ifndef PROTEUS_SYSTEM_QTEST_H
#define PROTEUS_SYSTEM_QTEST_H

#include <glib.h>
#include <stdbool.h>

/*
 * Creates the "qtest" chardev from SPEC (-serial shorthand, e.g.
 * "unix:/tmp/x.sock", a socket client by default), starts serving commands
 * on it and puts the virtual clock into manual mode. When the test
 * disconnects, the main loop is asked to exit with status 0.
 */
bool qtest_init(const char *chardev_spec, GError **errp);
/* Whether qtest_init() succeeded: the machine runs under test control. */
bool qtest_enabled(void);

#endif
