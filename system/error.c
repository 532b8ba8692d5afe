/*
 * Error reporting for the process: one line on stderr per error, prefixed
 * with the program's name.
 */
#include <stdarg.h>
#include <stdio.h>

#include "proteus/error.h"

static const char *progname = "proteus";

G_DEFINE_QUARK(proteus-error-quark, proteus_error)

void error_set_progname(const char *name)
{
    progname = name;
}

void error_report(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", progname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void error_report_err(GError *err)
{
    error_report("%s", err->message);
    g_error_free(err);
}
