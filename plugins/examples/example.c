/*
 * Helpers shared by the example plugins: argument parsing and output
 * (see example.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "example.h"

void plugin_printf(const char *plugin, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    g_autofree char *line = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    line = g_strdup_printf("%s: %s\n", plugin, msg);
    proteus_plugin_output(line);
}

static bool parse_uint(const char *value, uint64_t *out)
{
    char *end;

    if (!g_ascii_isdigit(value[0])) {
        return false;
    }
    errno = 0;
    *out = g_ascii_strtoull(value, &end, 0);
    return errno == 0 && *end == '\0';
}

static bool parse_choice(const PluginArg *arg, const char *value)
{
    for (int i = 0; arg->choices[i]; i++) {
        if (!strcmp(arg->choices[i], value)) {
            *(int *)arg->dest = i;
            return true;
        }
    }
    return false;
}

static bool parse_list(const PluginArg *arg, const char *value)
{
    g_auto(GStrv) words = g_strsplit(value, ":", -1);

    for (int i = 0; words[i]; i++) {
        if (!words[i][0]) {
            return false;
        }
        g_ptr_array_add(arg->dest, g_strdup(words[i]));
    }
    return words[0] != NULL;
}

/* What a valid value of arg looks like, for the error message. */
static char *expected_value(const PluginArg *arg)
{
    switch (arg->kind) {
    case PLUGIN_ARG_BOOL:
        return g_strdup("on or off");
    case PLUGIN_ARG_UINT:
        return g_strdup_printf("a number from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT,
                               arg->min, arg->max);
    case PLUGIN_ARG_CHOICE: {
        g_autofree char *all = g_strjoinv("|", (char **)arg->choices);
        return g_strdup_printf("one of %s", all);
    }
    case PLUGIN_ARG_LIST:
        return g_strdup("non-empty words separated by ':'");
    case PLUGIN_ARG_STRING:
        break;
    }
    return g_strdup("a non-empty value");
}

static bool parse_value(const PluginArg *arg, const char *value)
{
    uint64_t n;

    switch (arg->kind) {
    case PLUGIN_ARG_BOOL:
        return proteus_plugin_parse_bool(value, arg->dest);
    case PLUGIN_ARG_UINT:
        if (!parse_uint(value, &n) || n < arg->min || n > arg->max) {
            return false;
        }
        *(uint64_t *)arg->dest = n;
        return true;
    case PLUGIN_ARG_STRING:
        g_free(*(char **)arg->dest);
        *(char **)arg->dest = g_strdup(value);
        return value[0] != '\0';
    case PLUGIN_ARG_CHOICE:
        return parse_choice(arg, value);
    case PLUGIN_ARG_LIST:
        return parse_list(arg, value);
    }
    g_assert_not_reached();
}

static const PluginArg *find_arg(const PluginArg *args, const char *name, size_t len)
{
    for (const PluginArg *a = args; a->name; a++) {
        if (strlen(a->name) == len && !strncmp(a->name, name, len)) {
            return a;
        }
    }
    return NULL;
}

bool plugin_parse_args(const char *plugin, const PluginArg *args, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        const PluginArg *arg;

        if (!eq) {
            plugin_printf(plugin, "option '%s': expected name=value", argv[i]);
            return false;
        }
        arg = find_arg(args, argv[i], eq - argv[i]);
        if (!arg) {
            plugin_printf(plugin, "unknown option '%.*s' (in '%s')",
                          (int)(eq - argv[i]), argv[i], argv[i]);
            return false;
        }
        if (!parse_value(arg, eq + 1)) {
            g_autofree char *want = expected_value(arg);
            plugin_printf(plugin, "invalid value in option '%s': expected %s",
                          argv[i], want);
            return false;
        }
    }
    return true;
}
