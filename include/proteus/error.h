/*
 * Errors for host and configuration problems: every function that can fail
 * because of what the user asked for takes `GError **errp` last and returns
 * false (or NULL) on failure. Only main() turns an error into an exit status.
 */
#ifndef PROTEUS_ERROR_H
#define PROTEUS_ERROR_H

#include <glib.h>
#include <stdbool.h>

#define PROTEUS_ERROR (proteus_error_quark())

typedef enum {
    PROTEUS_ERROR_FAILED,       /* anything without a better code */
    PROTEUS_ERROR_INVALID,      /* a value that does not parse or is out of range */
    PROTEUS_ERROR_NOT_FOUND,    /* no such type, property, object, file */
    PROTEUS_ERROR_EXISTS,       /* the name is already taken */
    PROTEUS_ERROR_PERMISSION,   /* not allowed now (e.g. property of a realized device) */
    PROTEUS_ERROR_MODULE,       /* a device module that cannot be used */
} ProteusErrorCode;

GQuark proteus_error_quark(void);

/* Shorthand for the common case; the message names the thing and the reason. */
#define error_setg(errp, ...) \
    g_set_error((errp), PROTEUS_ERROR, PROTEUS_ERROR_FAILED, __VA_ARGS__)
#define error_setg_code(errp, code, ...) \
    g_set_error((errp), PROTEUS_ERROR, (code), __VA_ARGS__)

/* Prints "proteus: MESSAGE" (or "PROGNAME: MESSAGE") to stderr and frees err. */
void error_report_err(GError *err);
/* Prints one formatted error line to stderr. */
void error_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* The program name used as the prefix of error lines (default "proteus"). */
void error_set_progname(const char *name);

#endif
