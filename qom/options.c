/*
 * Splitting QEMU-style option strings (see options.h).
 */
#include <string.h>

#include "proteus/error.h"
#include "proteus/options.h"

/* Splits at single commas; ",," stands for one comma in an element. */
static GPtrArray *split_elements(const char *str)
{
    GPtrArray *parts = g_ptr_array_new_with_free_func(g_free);
    GString *cur = g_string_new(NULL);

    for (const char *p = str; *p; p++) {
        if (*p == ',') {
            if (p[1] == ',') {
                g_string_append_c(cur, ',');
                p++;
                continue;
            }
            g_ptr_array_add(parts, g_string_free(cur, FALSE));
            cur = g_string_new(NULL);
            continue;
        }
        g_string_append_c(cur, *p);
    }
    g_ptr_array_add(parts, g_string_free(cur, FALSE));
    return parts;
}

static void opt_item_free(gpointer p)
{
    OptItem *it = p;

    g_free(it->key);
    g_free(it->value);
    g_free(it);
}

OptList *opt_list_parse(const char *str, const char *what, const char *head_name,
                        GError **errp)
{
    g_autoptr(GPtrArray) parts = split_elements(str);
    OptList *opts = g_new0(OptList, 1);
    guint first = 0;

    opts->items = g_ptr_array_new_with_free_func(opt_item_free);
    if (parts->len && !strchr(g_ptr_array_index(parts, 0), '=')) {
        opts->head = g_strdup(g_ptr_array_index(parts, 0));
        first = 1;
    }
    if (head_name && (!opts->head || !*opts->head)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "%s%s'%s' does not start with a %s",
                        what ? what : "", what ? ": " : "", str, head_name);
        opt_list_free(opts);
        return NULL;
    }
    /* A trailing comma ends the list; it adds no empty element. */
    if (parts->len > first && *(char *)g_ptr_array_index(parts, parts->len - 1) == '\0') {
        g_ptr_array_remove_index(parts, parts->len - 1);
    }
    for (guint i = first; i < parts->len; i++) {
        const char *part = g_ptr_array_index(parts, i);
        const char *eq = strchr(part, '=');
        OptItem *it = g_new0(OptItem, 1);

        if (eq == part || *part == '\0') {
            error_setg_code(errp, PROTEUS_ERROR_INVALID, "%s%sempty option name in '%s'",
                            what ? what : "", what ? ": " : "", str);
            g_free(it);
            opt_list_free(opts);
            return NULL;
        }
        it->key = eq ? g_strndup(part, eq - part) : g_strdup(part);
        it->value = eq ? g_strdup(eq + 1) : NULL;
        g_ptr_array_add(opts->items, it);
    }
    return opts;
}

void opt_list_free(OptList *opts)
{
    if (opts) {
        g_ptr_array_unref(opts->items);
        g_free(opts->head);
        g_free(opts);
    }
}

static OptItem *opt_list_find(OptList *opts, const char *key)
{
    for (guint i = opts->items->len; i-- > 0;) {
        OptItem *it = g_ptr_array_index(opts->items, i);

        if (strcmp(it->key, key) == 0) {
            return it;
        }
    }
    return NULL;
}

const char *opt_list_get(OptList *opts, const char *key)
{
    OptItem *it = opt_list_find(opts, key);

    return it ? it->value : NULL;
}

bool opt_list_has(OptList *opts, const char *key)
{
    return opt_list_find(opts, key) != NULL;
}
