/*
 * What the example plugins share (example.c is compiled into each of
 * them, as they link nothing of the emulator but its exported API): the
 * prototype of the install function every plugin exports, and argument
 * parsing, where each plugin describes its "name=value" options in a
 * table that plugin_parse_args() fills in from its argv.
 */
#ifndef PLUGIN_EXAMPLES_EXAMPLE_H
#define PLUGIN_EXAMPLES_EXAMPLE_H

#include <stdbool.h>
#include <stdint.h>

#include "proteus/plugin.h"

PROTEUS_PLUGIN_EXPORT int proteus_plugin_install(proteus_plugin_id id,
                                                 const ProteusPluginInfo *info,
                                                 int argc, char **argv);

typedef enum PluginArgKind {
    PLUGIN_ARG_BOOL,        /* on/off... into a bool */
    PLUGIN_ARG_UINT,        /* decimal or 0x hex, in [min, max], into a uint64_t */
    PLUGIN_ARG_STRING,      /* any text, into a char * (g_free it) */
    PLUGIN_ARG_CHOICE,      /* one of choices[], its index into an int */
    PLUGIN_ARG_LIST,        /* ':'-separated words, appended to a GPtrArray of
                             * g_free'd strings; the option may repeat */
} PluginArgKind;

typedef struct PluginArg {
    const char *name;
    PluginArgKind kind;
    void *dest;
    uint64_t min, max;                  /* PLUGIN_ARG_UINT */
    const char *const *choices;         /* PLUGIN_ARG_CHOICE, NULL-terminated */
} PluginArg;

/*
 * Parses argv ("name=value" each) into the table args (ended by a NULL
 * name). On an unknown option or a bad value, prints a message naming the
 * plugin and the option through proteus_plugin_output() and returns false.
 */
bool plugin_parse_args(const char *plugin, const PluginArg *args, int argc, char **argv);

/* Prints "plugin: message\n" through proteus_plugin_output(). */
void plugin_printf(const char *plugin, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
