/*
 * empty: a plugin that installs and registers nothing, so that a
 * benchmark measures what loading a plugin costs by itself. It takes no
 * options.
 */
#include "example.h"

PROTEUS_PLUGIN_EXPORT int proteus_plugin_version = PROTEUS_PLUGIN_VERSION;

int proteus_plugin_install(proteus_plugin_id id, const ProteusPluginInfo *info,
                           int argc, char **argv)
{
    static const PluginArg args[] = { { NULL } };

    return plugin_parse_args("empty", args, argc, argv) ? 0 : 1;
}
