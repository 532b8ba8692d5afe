/*
 * The object tree: a lazily created root container, containers made on
 * demand (container_get), children held through "child<TYPE>" properties
 * that own a reference, canonical paths, and resolution of absolute paths
 * ("/machine/peripheral/uart0") and partial ones ("uart0", matched against
 * the end of every path in the tree). The tree is used from the main thread.
 */
#include <string.h>

#include "proteus/qom.h"

static Object *root_object;

Object *object_get_root(void)
{
    static gsize once;

    if (g_once_init_enter(&once)) {
        root_object = object_new(TYPE_CONTAINER);
        g_once_init_leave(&once, 1);
    }
    return root_object;
}

/* ---- children ---- */

static char *child_prop_get(Object *obj, ObjectProperty *prop, GError **errp)
{
    char *path = object_get_canonical_path(prop->opaque);

    return path ? path : g_strdup("");
}

static void child_prop_release(Object *obj, ObjectProperty *prop)
{
    Object *child = prop->opaque;

    child->parent = NULL;
    object_unref(child);
}

/* How errors name an object: its path when it has one, else its type. */
static char *object_describe(Object *obj)
{
    char *path = object_get_canonical_path(obj);

    return path ? path : g_strdup_printf("(unattached %s)", object_get_typename(obj));
}

bool object_property_add_child(Object *parent, const char *name, Object *child,
                               GError **errp)
{
    g_autofree char *final = NULL;
    g_autofree char *type = NULL;
    g_autofree char *where = NULL;
    ObjectProperty *prop;

    g_assert(parent && name && child);
    if (child->parent) {
        where = object_describe(child);
        error_setg_code(errp, PROTEUS_ERROR_EXISTS,
                        "cannot add %s as '%s': it already has a parent", where, name);
        return false;
    }
    if (!*name || strchr(name, '/')) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "'%s' is not a valid child name (empty, or contains '/')", name);
        return false;
    }
    for (Object *o = parent; o; o = o->parent) {
        if (o == child) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "cannot add an object under itself or its own descendant");
            return false;
        }
    }
    if (g_str_has_suffix(name, "[*]")) {
        /* QEMU's convention: the first free index, "device[0]", "device[1]", ... */
        g_autofree char *base = g_strndup(name, strlen(name) - 3);

        for (unsigned i = 0;; i++) {
            final = g_strdup_printf("%s[%u]", base, i);
            if (!object_property_find(parent, final)) {
                break;
            }
            g_free(final);
        }
    } else {
        final = g_strdup(name);
        if (object_property_find(parent, final)) {
            where = object_describe(parent);
            error_setg_code(errp, PROTEUS_ERROR_EXISTS,
                            "%s already has a child or property named '%s'", where, name);
            return false;
        }
    }
    type = g_strdup_printf("child<%s>", object_get_typename(child));
    prop = object_property_add(parent, final, type, child_prop_get, NULL,
                               child_prop_release, child);
    prop->kind = PROP_KIND_CHILD;
    object_ref(child);
    child->parent = parent;
    return true;
}

/* The child property through which parent holds obj. */
static ObjectProperty *child_prop_of(Object *parent, Object *obj)
{
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init(&iter, parent->properties);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        ObjectProperty *prop = value;

        if (prop->kind == PROP_KIND_CHILD && prop->opaque == obj) {
            return prop;
        }
    }
    g_assert_not_reached();
}

void object_unparent(Object *obj)
{
    if (obj->parent) {
        object_property_del(obj->parent, child_prop_of(obj->parent, obj)->name);
    }
}

const char *object_get_canonical_path_component(Object *obj)
{
    return obj->parent ? child_prop_of(obj->parent, obj)->name : NULL;
}

char *object_get_canonical_path(Object *obj)
{
    Object *root = object_get_root();
    GPtrArray *parts;
    GString *path;

    if (obj == root) {
        return g_strdup("/");
    }
    parts = g_ptr_array_new();
    for (Object *o = obj; o != root; o = o->parent) {
        if (!o->parent) {
            g_ptr_array_unref(parts);
            return NULL;
        }
        g_ptr_array_add(parts, (gpointer)object_get_canonical_path_component(o));
    }
    path = g_string_new(NULL);
    for (guint i = parts->len; i-- > 0;) {
        g_string_append_c(path, '/');
        g_string_append(path, g_ptr_array_index(parts, i));
    }
    g_ptr_array_unref(parts);
    return g_string_free(path, FALSE);
}

Object *container_get(Object *root, const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    Object *o = root;

    for (char **p = parts; *p; p++) {
        Object *child;

        if (!**p) {
            continue;
        }
        child = object_resolve_path_component(o, *p);
        if (!child) {
            GError *err = NULL;

            child = object_new(TYPE_CONTAINER);
            if (!object_property_add_child(o, *p, child, &err)) {
                g_error("container_get(%s): %s", path, err->message);
            }
            object_unref(child);
        }
        o = child;
    }
    return o;
}

/* ---- path resolution ---- */

Object *object_resolve_path_component(Object *parent, const char *name)
{
    ObjectProperty *prop = object_property_find(parent, name);

    if (!prop) {
        return NULL;
    }
    if (prop->kind == PROP_KIND_CHILD) {
        return prop->opaque;
    }
    if (prop->get && g_str_has_prefix(prop->type, "link<")) {
        return object_property_get_link(parent, name, NULL);
    }
    return NULL;
}

/* Follows the components in parts from start; empty components are skipped. */
static Object *resolve_from(Object *start, char **parts)
{
    Object *o = start;

    for (; o && *parts; parts++) {
        if (**parts) {
            o = object_resolve_path_component(o, *parts);
        }
    }
    return o;
}

typedef struct {
    char **parts;
    const char *typename;
    Object *found;
    bool ambiguous;
} PartialSearch;

static bool type_matches(Object *obj, const char *typename)
{
    return !typename || object_dynamic_cast(obj, typename);
}

/* Tries the relative path from o and from every object below it. */
static void partial_search(Object *o, PartialSearch *s)
{
    Object *hit = resolve_from(o, s->parts);
    GHashTableIter iter;
    gpointer value;

    if (hit && type_matches(hit, s->typename)) {
        if (!s->found) {
            s->found = hit;
        } else if (s->found != hit) {
            s->ambiguous = true;
            return;
        }
    }
    g_hash_table_iter_init(&iter, o->properties);
    while (!s->ambiguous && g_hash_table_iter_next(&iter, NULL, &value)) {
        ObjectProperty *prop = value;

        if (prop->kind == PROP_KIND_CHILD) {
            partial_search(prop->opaque, s);
        }
    }
}

Object *object_resolve_path_type(const char *path, const char *typename, bool *ambiguous)
{
    g_auto(GStrv) parts = NULL;
    PartialSearch s = { 0 };
    bool any = false;
    Object *obj;

    if (ambiguous) {
        *ambiguous = false;
    }
    if (!path) {
        return NULL;
    }
    parts = g_strsplit(path, "/", -1);
    for (char **p = parts; *p; p++) {
        any |= **p != '\0';
    }
    if (path[0] == '/') {
        obj = resolve_from(object_get_root(), parts);
        return obj && type_matches(obj, typename) ? obj : NULL;
    }
    if (!any) {
        return NULL;
    }
    s.parts = parts;
    s.typename = typename;
    partial_search(object_get_root(), &s);
    if (s.ambiguous) {
        if (ambiguous) {
            *ambiguous = true;
        }
        return NULL;
    }
    return s.found;
}

Object *object_resolve_path(const char *path, bool *ambiguous)
{
    return object_resolve_path_type(path, NULL, ambiguous);
}

static gint child_prop_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp((*(ObjectProperty *const *)a)->name, (*(ObjectProperty *const *)b)->name);
}

int object_child_foreach(Object *obj, int (*fn)(Object *child, void *opaque), void *opaque)
{
    GPtrArray *props = g_ptr_array_new();
    GPtrArray *kids = g_ptr_array_new_with_free_func(object_unref);
    GHashTableIter iter;
    gpointer value;
    int ret = 0;

    g_hash_table_iter_init(&iter, obj->properties);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        if (((ObjectProperty *)value)->kind == PROP_KIND_CHILD) {
            g_ptr_array_add(props, value);
        }
    }
    g_ptr_array_sort(props, child_prop_cmp);
    /* Referenced, so fn may unparent children (itself or later ones) safely. */
    for (guint i = 0; i < props->len; i++) {
        g_ptr_array_add(kids, object_ref(((ObjectProperty *)props->pdata[i])->opaque));
    }
    g_ptr_array_unref(props);
    for (guint i = 0; i < kids->len && !ret; i++) {
        Object *child = kids->pdata[i];

        if (child->parent == obj) {
            ret = fn(child, opaque);
        }
    }
    g_ptr_array_unref(kids);
    return ret;
}

static const TypeInfo container_type = {
    .name = TYPE_CONTAINER,
    .parent = TYPE_OBJECT,
    .instance_size = sizeof(Object),
};

static void container_register_types(void)
{
    type_register(&container_type);
}

type_init(container_register_types)
