/* Devices are loadable modules in this build: none is linked in. */
#include <stddef.h>

#include "proteus/module.h"

const ProteusModule *const proteus_builtin_modules[] = { NULL };
