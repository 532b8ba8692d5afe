/*
 * proteus-modinfo: writes the module index at build time. It loads each
 * device module given on the command line, notes the types it registers,
 * and writes one line per type (see hw/core/module.c for the format), so
 * that the emulator knows which file to load for a type without loading
 * them all.
 *
 * Usage: proteus-modinfo OUTPUT MODULE.so...
 */
#include <stdio.h>
#include <string.h>

#include "proteus/device.h"
#include "proteus/module.h"

static GHashTable *type_names(void)
{
    GHashTable *names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GSList *list = object_class_get_list(NULL, true);

    for (GSList *l = list; l; l = l->next) {
        g_hash_table_add(names, g_strdup(object_class_get_name(l->data)));
    }
    g_slist_free(list);
    return names;
}

/* Descriptions are one line; tabs and newlines would break the format. */
static char *one_line(const char *s)
{
    char *copy = g_strdup(s ? s : "");

    g_strdelimit(copy, "\t\n\r", ' ');
    return copy;
}

int main(int argc, char **argv)
{
    g_autoptr(GString) out = g_string_new(NULL);
    GError *err = NULL;

    if (argc < 2) {
        fprintf(stderr, "usage: proteus-modinfo OUTPUT MODULE.so...\n");
        return 1;
    }
    error_set_progname("proteus-modinfo");
    g_string_append_printf(out, "# proteus module index, device ABI version %u\n",
                           PROTEUS_MODULE_ABI_VERSION);
    for (int i = 2; i < argc; i++) {
        g_autoptr(GHashTable) before = type_names();
        g_autofree char *file = g_path_get_basename(argv[i]);
        GSList *list;

        if (!module_load_file(argv[i], &err)) {
            error_report_err(err);
            return 1;
        }
        list = object_class_get_list(NULL, true);
        for (GSList *l = list; l; l = l->next) {
            ObjectClass *oc = l->data;
            ObjectClass *parent = object_class_get_parent(oc);
            DeviceClass *dc = (DeviceClass *)object_class_dynamic_cast(oc, TYPE_DEVICE);
            g_autofree char *desc = one_line(dc ? dc->desc : NULL);

            if (g_hash_table_contains(before, object_class_get_name(oc))) {
                continue;
            }
            g_string_append_printf(out, "%s\t%s\t%s\t%s%s%s\t%s\n",
                                   object_class_get_name(oc),
                                   parent ? object_class_get_name(parent) : "",
                                   file,
                                   object_class_is_abstract(oc) ? "a" : "",
                                   dc ? "d" : "",
                                   dc && dc->user_creatable ? "u" : "",
                                   desc);
        }
        g_slist_free(list);
    }
    if (!g_file_set_contents(argv[1], out->str, out->len, &err)) {
        error_report_err(err);
        return 1;
    }
    return 0;
}
