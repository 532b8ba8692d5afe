/*
 * QMP, the JSON machine protocol (system/monitor-qmp.c).
 *
 * Each -qmp option makes a chardev (the -serial shorthand: unix:PATH,
 * tcp:HOST:PORT, stdio, ...) and serves QMP on it: a greeting when a
 * client connects, then one JSON request object after another, each
 * answered with {"return": ...} or {"error": {"class", "desc"}}. Events go
 * to every client that has finished capabilities negotiation.
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

#endif
