/*
 * A client for the emulator's monitors in tests (test-qmp.c, test-hmp.c):
 * runs proteus-system ($PROTEUS_SYSTEM) with the test's arguments, talks
 * to a monitor over a Unix or TCP socket or over the emulator's own
 * stdin/stdout, and reads its output line by line or up to a marker.
 *
 * Every wait has a timeout, and any failure (a timeout, the emulator
 * closing the connection early) fails the test. The emulator is killed
 * if the test program dies. Files the test makes go in the client's
 * temporary directory, removed by monitor_client_free().
 */
#ifndef PROTEUS_TESTS_MONITOR_CLIENT_H
#define PROTEUS_TESTS_MONITOR_CLIENT_H

#include <glib.h>
#include <stdbool.h>

#define MONITOR_TIMEOUT_MS 10000

typedef struct MonitorClient {
    GPid pid;                /* 0 once reaped */
    int in_fd;               /* what we send goes here: the socket, or the emulator's stdin */
    int out_fd;              /* what we read: the socket, or the emulator's stdout */
    char *dir;               /* temporary directory for sockets and files */
    GString *inbuf;          /* read, not yet consumed */
} MonitorClient;

/* Makes the temporary directory (before the arguments that name files in it). */
void monitor_client_init(MonitorClient *c);
/* A path inside the client's directory (free it). */
char *monitor_client_path(MonitorClient *c, const char *name);
/* A TCP port on 127.0.0.1 that was free a moment ago. */
int monitor_client_free_port(void);

/*
 * Runs the emulator with args (NULL-terminated, without the program).
 * With stdio, the client talks over its stdin and stdout; otherwise its
 * stdin is /dev/null and its stdout goes to the test's stderr.
 */
void monitor_client_spawn(MonitorClient *c, const char *const *args, bool stdio);
/* Connects to the emulator's server socket (retrying while it starts). */
void monitor_client_connect_unix(MonitorClient *c, const char *path);
void monitor_client_connect_tcp(MonitorClient *c, int port);
/* Drops the connection (the socket kind), keeping the emulator. */
void monitor_client_disconnect(MonitorClient *c);

void monitor_client_send(MonitorClient *c, const char *text);
/* The next line without its "\r\n" / "\n" (free it). */
char *monitor_client_read_line(MonitorClient *c);
/* Everything up to marker, which is consumed too (free the result). */
char *monitor_client_read_until(MonitorClient *c, const char *marker);

/* Waits for the emulator to end; returns its exit status (it must exit normally). */
int monitor_client_wait_exit(MonitorClient *c);
/* Kills a still-running emulator, closes everything and removes the directory. */
void monitor_client_free(MonitorClient *c);

#endif
