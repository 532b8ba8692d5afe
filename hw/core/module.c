/*
 * Device modules: loading shared objects that register device types, the
 * build-time index that says which file holds which type, and the list of
 * modules linked in when the build has -Dmodules=false.
 *
 * Index format (module-index.txt beside the modules), one type a line:
 *     TYPE <tab> PARENT <tab> FILE <tab> FLAGS <tab> DESCRIPTION
 * FLAGS is a string of letters: 'a' abstract, 'd' a device, 'u' user-creatable.
 * Lines starting with '#' are comments; the first names the ABI version.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <gmodule.h>

#include "proteus-config.h"
#include "proteus/module.h"
#include "proteus/qom.h"

#define MODULE_INDEX_FILE "module-index.txt"

static char *module_dir;
static GPtrArray *module_index;     /* ModuleIndexEntry *, sorted by type */
static GPtrArray *loaded_modules;   /* const ProteusModule * */

extern const ProteusModule *const proteus_builtin_modules[];

static char *executable_dir(void)
{
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);

    return exe ? g_path_get_dirname(exe) : NULL;
}

const char *module_get_dir(void)
{
    if (!module_dir) {
        const char *env = g_getenv("PROTEUS_MODULE_DIR");
        g_autofree char *exedir = executable_dir();
        g_autofree char *beside = exedir ? g_build_filename(exedir, "modules", NULL) : NULL;
        g_autofree char *index = beside ? g_build_filename(beside, MODULE_INDEX_FILE, NULL)
                                        : NULL;

        if (env && *env) {
            module_dir = g_strdup(env);
        } else if (index && g_file_test(index, G_FILE_TEST_EXISTS)) {
            module_dir = g_steal_pointer(&beside);
        } else {
            module_dir = g_strdup(PROTEUS_MODULE_INSTALL_DIR);
        }
    }
    return module_dir;
}

void module_set_dir(const char *dir)
{
    g_free(module_dir);
    module_dir = g_strdup(dir);
    if (module_index) {
        g_ptr_array_unref(module_index);
        module_index = NULL;
    }
}

static void index_entry_free(gpointer p)
{
    ModuleIndexEntry *e = p;

    g_free(e->type);
    g_free(e->parent);
    g_free(e->file);
    g_free(e->desc);
    g_free(e);
}

static gint index_entry_cmp(gconstpointer a, gconstpointer b)
{
    const ModuleIndexEntry *ea = *(ModuleIndexEntry *const *)a;
    const ModuleIndexEntry *eb = *(ModuleIndexEntry *const *)b;

    return strcmp(ea->type, eb->type);
}

static void index_parse(GPtrArray *index, const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    for (char **l = lines; *l; l++) {
        g_auto(GStrv) f = NULL;
        ModuleIndexEntry *e;

        if (**l == '\0' || **l == '#') {
            continue;
        }
        f = g_strsplit(*l, "\t", 5);
        if (g_strv_length(f) != 5) {
            continue;   /* a damaged line names nothing we could load */
        }
        e = g_new0(ModuleIndexEntry, 1);
        e->type = g_strdup(f[0]);
        e->parent = g_strdup(f[1]);
        e->file = g_strdup(f[2]);
        e->abstract = strchr(f[3], 'a') != NULL;
        e->is_device = strchr(f[3], 'd') != NULL;
        e->user_creatable = strchr(f[3], 'u') != NULL;
        e->desc = g_strdup(f[4]);
        g_ptr_array_add(index, e);
    }
}

GPtrArray *module_index_get(void)
{
    if (!module_index) {
        g_autofree char *path = g_build_filename(module_get_dir(), MODULE_INDEX_FILE, NULL);
        g_autofree char *text = NULL;

        module_index = g_ptr_array_new_with_free_func(index_entry_free);
        if (g_file_get_contents(path, &text, NULL, NULL)) {
            index_parse(module_index, text);
            g_ptr_array_sort(module_index, index_entry_cmp);
        }
    }
    return module_index;
}

const ModuleIndexEntry *module_index_find(const char *typename)
{
    GPtrArray *index = module_index_get();

    for (guint i = 0; i < index->len; i++) {
        ModuleIndexEntry *e = g_ptr_array_index(index, i);

        if (strcmp(e->type, typename) == 0) {
            return e;
        }
    }
    return NULL;
}

static GPtrArray *loaded(void)
{
    if (!loaded_modules) {
        loaded_modules = g_ptr_array_new();
    }
    return loaded_modules;
}

GPtrArray *module_list_loaded(void)
{
    return loaded();
}

static const ProteusModule *module_find_loaded(const char *name)
{
    GPtrArray *mods = loaded();

    for (guint i = 0; i < mods->len; i++) {
        const ProteusModule *m = g_ptr_array_index(mods, i);

        if (strcmp(m->name, name) == 0) {
            return m;
        }
    }
    return NULL;
}

static bool module_register(const ProteusModule *m, const char *where, GError **errp)
{
    if (m->abi_version != PROTEUS_MODULE_ABI_VERSION) {
        error_setg_code(errp, PROTEUS_ERROR_MODULE,
                        "module '%s' was built for device ABI version %u, "
                        "but this proteus uses ABI version %u",
                        where, m->abi_version, PROTEUS_MODULE_ABI_VERSION);
        return false;
    }
    if (!m->name || !m->register_types) {
        error_setg_code(errp, PROTEUS_ERROR_MODULE,
                        "module '%s' has an incomplete module record", where);
        return false;
    }
    if (module_find_loaded(m->name)) {
        return true;
    }
    g_ptr_array_add(loaded(), (gpointer)m);
    m->register_types();
    return true;
}

bool module_load_file(const char *path, GError **errp)
{
    GModule *gm;
    gpointer sym = NULL;

    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND,
                        "cannot load module '%s': %s", path, g_strerror(ENOENT));
        return false;
    }
    /* A relative path must not send dlopen searching the library path. */
    g_autofree char *abs = g_path_is_absolute(path) ? g_strdup(path)
        : g_build_filename(g_get_current_dir(), path, NULL);
    gm = g_module_open(abs, G_MODULE_BIND_LOCAL);
    if (!gm) {
        error_setg_code(errp, PROTEUS_ERROR_MODULE,
                        "cannot load module '%s': %s", path, g_module_error());
        return false;
    }
    if (!g_module_symbol(gm, PROTEUS_MODULE_SYMBOL, &sym) || !sym) {
        error_setg_code(errp, PROTEUS_ERROR_MODULE,
                        "'%s' is not a proteus device module (it has no '%s' record)",
                        path, PROTEUS_MODULE_SYMBOL);
        g_module_close(gm);
        return false;
    }
    if (!module_register(sym, path, errp)) {
        g_module_close(gm);
        return false;
    }
    /* Types now point into the module: it stays for the life of the process. */
    g_module_make_resident(gm);
    return true;
}

bool module_load_type(const char *typename, GError **errp)
{
    const ModuleIndexEntry *e;
    g_autofree char *path = NULL;

    if (type_exists(typename)) {
        return true;
    }
    e = module_index_find(typename);
    if (!e) {
        return false;
    }
    /* The parent may live in another module: load it first. */
    if (e->parent[0] && !type_exists(e->parent) && !module_load_type(e->parent, errp)) {
        if (errp && !*errp) {
            error_setg_code(errp, PROTEUS_ERROR_MODULE,
                            "type '%s' needs parent type '%s', which no module provides",
                            typename, e->parent);
        }
        return false;
    }
    path = g_build_filename(module_get_dir(), e->file, NULL);
    if (!module_load_file(path, errp)) {
        return false;
    }
    if (!type_exists(typename)) {
        error_setg_code(errp, PROTEUS_ERROR_MODULE,
                        "module '%s' does not provide type '%s' as the index says",
                        path, typename);
        return false;
    }
    return true;
}

void module_register_builtin(void)
{
    for (const ProteusModule *const *m = proteus_builtin_modules; *m; m++) {
        GError *err = NULL;

        if (!module_register(*m, (*m)->name, &err)) {
            /* Built from the same tree: a mismatch is a build bug. */
            g_error("%s", err->message);
        }
    }
}
