/*
 * The monitors: QMP, the JSON machine protocol (system/monitor-qmp.c), and
 * HMP, the human monitor (system/monitor-hmp.c).
 *
 * Each -qmp option makes a chardev (the -serial shorthand: unix:PATH,
 * tcp:HOST:PORT, stdio, ...) and serves QMP on it: a greeting when a
 * client connects, then one JSON request object after another, each
 * answered with {"return": ...} or {"error": {"class", "desc"}}. Events
 * (proteus/runstate.h) go to every client that has finished capabilities
 * negotiation.
 *
 * HMP serves a command line ("(proteus) " prompt) on a chardev: -monitor
 * SPEC, or the console's mux (-nographic, -serial mon:stdio), where Ctrl-A
 * c switches between the guest's console and the monitor.
 */
#ifndef PROTEUS_MONITOR_H
#define PROTEUS_MONITOR_H

#include <glib.h>
#include <stdbool.h>

/* Serves QMP on a new chardev made from spec (BQL held, before the main loop). */
bool monitor_qmp_init(const char *spec, GError **errp);

/*
 * Sends {"event": name, "data": data_json, "timestamp": ...} to every
 * negotiated client. data_json is a JSON object's text, or NULL for {}.
 */
void monitor_qmp_emit_event(const char *name, const char *data_json);

/* Serves HMP on a new chardev made from spec (BQL held, before the main loop). */
bool monitor_hmp_init(const char *spec, GError **errp);
/* Serves HMP on an existing chardev, usually a mux shared with a serial
 * port; with focus, the monitor takes the mux's input first. */
bool monitor_hmp_init_chardev(struct Chardev *chr, bool focus, GError **errp);
/*
 * Runs one HMP command line with cpu_index as the current CPU (BQL held,
 * main loop) and returns what it printed, lines ending in "\r\n" as on a
 * terminal (QMP's human-monitor-command).
 */
char *monitor_hmp_execute(const char *cmdline, int cpu_index);

#endif
