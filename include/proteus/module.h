/*
 * Device modules. Each device is built as a shared object exporting one
 * ProteusModule record; loading it runs its register function, which
 * registers its types. An index generated at build time (module-index.txt
 * beside the modules) maps each type name to its file, so a type is loaded
 * only when it is first needed. A module built for another ABI version is
 * refused with a message naming the file and both versions.
 *
 * A device source ends with:
 *     PROTEUS_MODULE(char_ns16550a, ns16550a_register_types)
 * whose first argument is the module's file name without "hw-" and ".so",
 * with '-' written as '_'.
 */
#ifndef PROTEUS_MODULE_H
#define PROTEUS_MODULE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Bump when anything a module can see changes layout or meaning. */
#define PROTEUS_MODULE_ABI_VERSION 1

#define PROTEUS_MODULE_SYMBOL "proteus_module"

typedef struct ProteusModule {
    uint32_t abi_version;
    const char *name;
    void (*register_types)(void);
} ProteusModule;

#ifndef PROTEUS_MODULE_ABI_BUILD_VERSION
#define PROTEUS_MODULE_ABI_BUILD_VERSION PROTEUS_MODULE_ABI_VERSION
#endif

#ifdef PROTEUS_BUILTIN_MODULE
/* Linked into the executable: the build lists every record by name. */
#define PROTEUS_MODULE(ident, fn) \
    const ProteusModule proteus_module_##ident = { PROTEUS_MODULE_ABI_BUILD_VERSION, #ident, fn };
#else
#define PROTEUS_MODULE(ident, fn)                                                  \
    __attribute__((visibility("default"))) const ProteusModule proteus_module = { \
        PROTEUS_MODULE_ABI_BUILD_VERSION, #ident, fn };
#endif

typedef struct ModuleIndexEntry {
    char *type;          /* the type name */
    char *parent;        /* its parent type */
    char *file;          /* the module's file name (no directory) */
    char *desc;          /* the device's one-line description ("" if none) */
    bool abstract;
    bool is_device;
    bool user_creatable;
} ModuleIndexEntry;

/* Where modules and the index are looked for: $PROTEUS_MODULE_DIR, else
 * "modules" beside the executable (the build tree), else the install dir. */
const char *module_get_dir(void);
void module_set_dir(const char *dir);

/* The index (empty when modules are built in); entries sorted by type. */
GPtrArray *module_index_get(void);
const ModuleIndexEntry *module_index_find(const char *typename);

/* Loads a module file (-device-plugin PATH); false with errp naming the file. */
bool module_load_file(const char *path, GError **errp);
/* Makes typename available: loads its module if the index names one.
 * Returns true if the type exists afterwards. */
bool module_load_type(const char *typename, GError **errp);
/* Registers the types of modules linked into the executable (-Dmodules=false). */
void module_register_builtin(void);
/* Every module loaded so far (ProteusModule *), in load order. */
GPtrArray *module_list_loaded(void);

#endif
