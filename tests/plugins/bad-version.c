/*
 * A plugin built against an API version the emulator does not accept
 * (PROTEUS_PLUGIN_VERSION + 41, i.e. 42 while the API is at 1): the
 * loader must refuse it, naming both versions, before calling install.
 */
#include "proteus/plugin.h"

#define BAD_VERSION (PROTEUS_PLUGIN_VERSION + 41)

PROTEUS_PLUGIN_EXPORT int proteus_plugin_version = BAD_VERSION;

PROTEUS_PLUGIN_EXPORT int proteus_plugin_install(proteus_plugin_id id,
                                                 const ProteusPluginInfo *info,
                                                 int argc, char **argv);

int proteus_plugin_install(proteus_plugin_id id, const ProteusPluginInfo *info,
                           int argc, char **argv)
{
    proteus_plugin_output("bad-version: install was called\n");
    return 0;
}
