/*
 * The type registry, classes and instances of the object model: types are
 * registered by name, their classes are built on first use (parent class
 * copied, then class_base_init of the ancestors, interfaces, class_init),
 * instances are reference counted and run their init/finalize hooks along
 * the inheritance chain. Casts walk the type chain and the class's list of
 * implemented interfaces.
 */
#include <string.h>

#include "proteus/qom.h"
#include "qom-internal.h"

struct TypeImpl {
    char *name;
    char *parent_name;
    size_t instance_size;
    size_t class_size;
    void (*instance_init)(Object *obj);
    void (*instance_post_init)(Object *obj);
    void (*instance_finalize)(Object *obj);
    bool abstract;
    void (*class_init)(ObjectClass *klass, void *data);
    void (*class_base_init)(ObjectClass *klass, void *data);
    void *class_data;
    char **interface_names;       /* NULL-terminated */

    /* Filled in when the class is built; immutable afterwards. */
    TypeImpl *parent_type;
    bool is_interface;
    ObjectClass *klass;
};

/*
 * One recursive lock guards the table and class construction: a class_init
 * may look up other classes, and a lookup from another thread must not see
 * a class that is still being built.
 */
static GRecMutex type_lock;
static GHashTable *type_table;

static TypeImpl *type_lookup_locked(const char *name)
{
    if (!type_table || !name) {
        return NULL;
    }
    return g_hash_table_lookup(type_table, name);
}

TypeImpl *type_register(const TypeInfo *info)
{
    TypeImpl *ti;
    size_t n = 0;

    g_assert(info && info->name);
    g_assert(info->parent || strcmp(info->name, TYPE_OBJECT) == 0 ||
             strcmp(info->name, TYPE_INTERFACE) == 0);

    g_rec_mutex_lock(&type_lock);
    if (!type_table) {
        type_table = g_hash_table_new(g_str_hash, g_str_equal);
    }
    if (g_hash_table_contains(type_table, info->name)) {
        g_rec_mutex_unlock(&type_lock);
        return NULL;
    }
    ti = g_new0(TypeImpl, 1);
    ti->name = g_strdup(info->name);
    ti->parent_name = g_strdup(info->parent);
    ti->instance_size = info->instance_size;
    ti->class_size = info->class_size;
    ti->instance_init = info->instance_init;
    ti->instance_post_init = info->instance_post_init;
    ti->instance_finalize = info->instance_finalize;
    ti->abstract = info->abstract;
    ti->class_init = info->class_init;
    ti->class_base_init = info->class_base_init;
    ti->class_data = info->class_data;
    while (info->interfaces && info->interfaces[n].type) {
        n++;
    }
    ti->interface_names = g_new0(char *, n + 1);
    for (size_t i = 0; i < n; i++) {
        ti->interface_names[i] = g_strdup(info->interfaces[i].type);
    }
    g_hash_table_insert(type_table, ti->name, ti);
    g_rec_mutex_unlock(&type_lock);
    return ti;
}

void type_register_array(const TypeInfo *infos, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        type_register(&infos[i]);
    }
}

bool type_exists(const char *typename)
{
    bool found;

    g_rec_mutex_lock(&type_lock);
    found = type_lookup_locked(typename) != NULL;
    g_rec_mutex_unlock(&type_lock);
    return found;
}

/* ---- class construction ---- */

static void type_initialize(TypeImpl *ti);

/* Runs the class_base_init of ti and its ancestors, the root's first. */
static void run_base_inits(TypeImpl *ti, ObjectClass *klass, void *data)
{
    if (!ti) {
        return;
    }
    run_base_inits(ti->parent_type, klass, data);
    if (ti->class_base_init) {
        ti->class_base_init(klass, data);
    }
}

static bool class_has_interface(ObjectClass *klass, TypeImpl *iface)
{
    for (GSList *l = klass->interfaces; l; l = l->next) {
        if (((InterfaceClass *)l->data)->interface_type == iface) {
            return true;
        }
    }
    return false;
}

/*
 * A copy of an interface's class (src: the interface's own class, or the
 * parent's copy when inherited) as seen through the concrete class klass.
 * The interface's class_base_init hooks run on every copy, as they would
 * for a subclass.
 */
static void class_add_interface_copy(ObjectClass *klass, ObjectClass *src, TypeImpl *iface)
{
    InterfaceClass *ic = g_memdup2(src, iface->class_size);

    ic->parent_class.type = iface;
    ic->parent_class.interfaces = NULL;
    ic->parent_class.properties = g_hash_table_new(g_str_hash, g_str_equal);
    ic->concrete_class = klass;
    ic->interface_type = iface;
    klass->interfaces = g_slist_append(klass->interfaces, ic);
    run_base_inits(iface, &ic->parent_class, klass->type->class_data);
}

/* Adds iface and the interfaces it derives from (not TYPE_INTERFACE itself). */
static void class_add_new_interface(ObjectClass *klass, TypeImpl *iface)
{
    if (!iface->parent_type || class_has_interface(klass, iface)) {
        return;
    }
    class_add_interface_copy(klass, iface->klass, iface);
    class_add_new_interface(klass, iface->parent_type);
}

static void type_initialize(TypeImpl *ti)
{
    TypeImpl *parent = NULL;
    ObjectClass *klass;

    if (ti->klass) {
        return;
    }
    if (ti->parent_name) {
        parent = type_lookup_locked(ti->parent_name);
        if (!parent) {
            g_error("type '%s' has an unknown parent type '%s'", ti->name, ti->parent_name);
        }
        type_initialize(parent);
        ti->parent_type = parent;
        ti->is_interface = parent->is_interface;
        if (!ti->instance_size) {
            ti->instance_size = parent->instance_size;
        }
        if (!ti->class_size) {
            ti->class_size = parent->class_size;
        }
        g_assert(ti->class_size >= parent->class_size);
        g_assert(ti->instance_size >= parent->instance_size);
    } else {
        ti->is_interface = strcmp(ti->name, TYPE_INTERFACE) == 0;
        if (!ti->class_size) {
            ti->class_size = ti->is_interface ? sizeof(InterfaceClass) : sizeof(ObjectClass);
        }
        if (!ti->instance_size && !ti->is_interface) {
            ti->instance_size = sizeof(Object);
        }
    }
    if (ti->is_interface) {
        /* Interfaces have no instances of their own. */
        ti->abstract = true;
        g_assert(ti->class_size >= sizeof(InterfaceClass));
    }

    klass = g_malloc0(ti->class_size);
    if (parent) {
        memcpy(klass, parent->klass, parent->class_size);
    }
    klass->type = ti;
    klass->interfaces = NULL;
    klass->properties = g_hash_table_new(g_str_hash, g_str_equal);
    if (ti->is_interface) {
        ((InterfaceClass *)klass)->concrete_class = NULL;
        ((InterfaceClass *)klass)->interface_type = ti;
    }
    /* Published before class_init so that a class_init looking itself up finds it. */
    ti->klass = klass;

    run_base_inits(parent, klass, ti->class_data);

    if (!ti->is_interface) {
        /*
         * Inherited interfaces start from the parent's copy, so a subclass
         * keeps the methods its parent's class_init installed.
         */
        for (GSList *l = parent ? parent->klass->interfaces : NULL; l; l = l->next) {
            InterfaceClass *pic = l->data;

            class_add_interface_copy(klass, &pic->parent_class, pic->interface_type);
        }
        for (char **n = ti->interface_names; *n; n++) {
            TypeImpl *iface = type_lookup_locked(*n);

            if (!iface) {
                g_error("type '%s' implements an unknown interface '%s'", ti->name, *n);
            }
            type_initialize(iface);
            if (!iface->is_interface) {
                g_error("type '%s' lists '%s' as an interface, but it is not one",
                        ti->name, *n);
            }
            class_add_new_interface(klass, iface);
        }
    }

    if (ti->class_init) {
        ti->class_init(klass, ti->class_data);
    }
}

ObjectClass *object_class_by_name(const char *typename)
{
    TypeImpl *ti;
    ObjectClass *klass = NULL;

    g_rec_mutex_lock(&type_lock);
    ti = type_lookup_locked(typename);
    if (ti) {
        type_initialize(ti);
        klass = ti->klass;
    }
    g_rec_mutex_unlock(&type_lock);
    return klass;
}

const char *object_class_get_name(ObjectClass *klass)
{
    return klass->type->name;
}

ObjectClass *object_class_get_parent(ObjectClass *klass)
{
    TypeImpl *parent = klass->type->parent_type;

    return parent ? parent->klass : NULL;
}

bool object_class_is_abstract(ObjectClass *klass)
{
    return klass->type->abstract;
}

/*
 * Type names are unique, so comparing names along the (immutable) chain
 * needs neither the lock nor a table lookup.
 */
static bool type_is_a(TypeImpl *ti, const char *typename)
{
    for (; ti; ti = ti->parent_type) {
        if (strcmp(ti->name, typename) == 0) {
            return true;
        }
    }
    return false;
}

ObjectClass *object_class_dynamic_cast(ObjectClass *klass, const char *typename)
{
    if (!klass || !typename) {
        return NULL;
    }
    if (type_is_a(klass->type, typename)) {
        return klass;
    }
    for (GSList *l = klass->interfaces; l; l = l->next) {
        InterfaceClass *ic = l->data;

        if (strcmp(ic->interface_type->name, typename) == 0) {
            return &ic->parent_class;
        }
    }
    return NULL;
}

ObjectClass *object_class_dynamic_cast_assert(ObjectClass *klass, const char *typename,
                                              const char *file, int line, const char *func)
{
    ObjectClass *ret;

    if (!klass) {
        return NULL;
    }
    ret = object_class_dynamic_cast(klass, typename);
    if (!ret) {
        g_error("%s:%d:%s: class '%s' is not a class of type '%s'",
                file, line, func, klass->type->name, typename);
    }
    return ret;
}

static gint type_name_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(((const TypeImpl *)a)->name, ((const TypeImpl *)b)->name);
}

static gint class_name_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(((const ObjectClass *)a)->type->name, ((const ObjectClass *)b)->type->name);
}

/*
 * Whether ti's class can be built: its ancestors and interfaces all exist.
 * Listing types (for help output) skips a broken one instead of aborting.
 */
static bool type_chain_complete(TypeImpl *ti)
{
    for (; ti; ti = ti->parent_name ? type_lookup_locked(ti->parent_name) : NULL) {
        if (ti->klass) {
            return true;
        }
        if (ti->parent_name && !type_lookup_locked(ti->parent_name)) {
            return false;
        }
        for (char **n = ti->interface_names; *n; n++) {
            TypeImpl *iface = type_lookup_locked(*n);

            if (!iface || !type_chain_complete(iface)) {
                return false;
            }
        }
    }
    return true;
}

GSList *object_class_get_list(const char *implements_type, bool include_abstract)
{
    GSList *out = NULL;
    GList *types;

    g_rec_mutex_lock(&type_lock);
    types = type_table ? g_hash_table_get_values(type_table) : NULL;
    types = g_list_sort(types, type_name_cmp);
    for (GList *l = types; l; l = l->next) {
        TypeImpl *ti = l->data;

        if (!type_chain_complete(ti)) {
            continue;
        }
        type_initialize(ti);
        if (ti->abstract && !include_abstract) {
            continue;
        }
        if (implements_type && !object_class_dynamic_cast(ti->klass, implements_type)) {
            continue;
        }
        out = g_slist_prepend(out, ti->klass);
    }
    g_rec_mutex_unlock(&type_lock);
    g_list_free(types);
    /* Built backwards above; a sort keeps the order obvious. */
    return g_slist_sort(out, class_name_cmp);
}

void object_class_foreach(void (*fn)(ObjectClass *klass, void *opaque),
                          const char *implements_type, bool include_abstract, void *opaque)
{
    GSList *list = object_class_get_list(implements_type, include_abstract);

    for (GSList *l = list; l; l = l->next) {
        fn(l->data, opaque);
    }
    g_slist_free(list);
}

/* ---- instances ---- */

static void run_instance_inits(TypeImpl *ti, Object *obj)
{
    if (!ti) {
        return;
    }
    run_instance_inits(ti->parent_type, obj);
    if (ti->instance_init) {
        ti->instance_init(obj);
    }
}

static void run_instance_post_inits(TypeImpl *ti, Object *obj)
{
    if (!ti) {
        return;
    }
    run_instance_post_inits(ti->parent_type, obj);
    if (ti->instance_post_init) {
        ti->instance_post_init(obj);
    }
}

static void object_init_with_type(Object *obj, TypeImpl *ti)
{
    obj->klass = ti->klass;
    obj->ref = 1;
    obj->parent = NULL;
    obj->properties = g_hash_table_new(g_str_hash, g_str_equal);
    qom_props_set_defaults(obj);
    run_instance_inits(ti, obj);
    run_instance_post_inits(ti, obj);
}

/* The initialised, concrete type named typename, or NULL with a reason. */
static TypeImpl *type_for_new(const char *typename, GError **errp)
{
    TypeImpl *ti;

    g_rec_mutex_lock(&type_lock);
    ti = type_lookup_locked(typename);
    if (ti) {
        type_initialize(ti);
    }
    g_rec_mutex_unlock(&type_lock);
    if (!ti) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "unknown type '%s'", typename);
        return NULL;
    }
    if (ti->abstract) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "type '%s' is abstract", typename);
        return NULL;
    }
    return ti;
}

Object *object_new_checked(const char *typename, GError **errp)
{
    TypeImpl *ti = type_for_new(typename, errp);
    Object *obj;

    if (!ti) {
        return NULL;
    }
    obj = g_malloc0(ti->instance_size);
    obj->heap_allocated = true;
    object_init_with_type(obj, ti);
    return obj;
}

Object *object_new(const char *typename)
{
    GError *err = NULL;
    Object *obj = object_new_checked(typename, &err);

    if (!obj) {
        g_error("object_new: %s", err->message);
    }
    return obj;
}

void object_initialize(void *data, size_t size, const char *typename)
{
    GError *err = NULL;
    TypeImpl *ti = type_for_new(typename, &err);

    if (!ti) {
        g_error("object_initialize: %s", err->message);
    }
    g_assert(size >= ti->instance_size);
    memset(data, 0, size);
    object_init_with_type(data, ti);
}

Object *object_ref(void *p)
{
    Object *obj = p;

    if (obj) {
        g_assert(g_atomic_int_get(&obj->ref) > 0);
        g_atomic_int_inc(&obj->ref);
    }
    return obj;
}

static void object_finalize(Object *obj)
{
    /* A parent holds a reference, so a parented object never gets here. */
    g_assert(obj->parent == NULL);

    qom_props_del_instance(obj);
    for (TypeImpl *ti = obj->klass->type; ti; ti = ti->parent_type) {
        if (ti->instance_finalize) {
            ti->instance_finalize(obj);
        }
    }
    qom_props_release_class(obj);
    g_hash_table_unref(obj->properties);
    obj->properties = NULL;
    if (obj->heap_allocated) {
        g_free(obj);
    }
}

void object_unref(void *p)
{
    Object *obj = p;

    if (!obj) {
        return;
    }
    g_assert(g_atomic_int_get(&obj->ref) > 0);
    if (g_atomic_int_dec_and_test(&obj->ref)) {
        object_finalize(obj);
    }
}

ObjectClass *object_get_class(Object *obj)
{
    return obj->klass;
}

const char *object_get_typename(Object *obj)
{
    return obj->klass->type->name;
}

Object *object_dynamic_cast(Object *obj, const char *typename)
{
    if (!obj || !typename) {
        return NULL;
    }
    /* The common case: exactly the object's own type. */
    if (strcmp(obj->klass->type->name, typename) == 0) {
        return obj;
    }
    return object_class_dynamic_cast(obj->klass, typename) ? obj : NULL;
}

Object *object_dynamic_cast_assert(Object *obj, const char *typename,
                                   const char *file, int line, const char *func)
{
    if (obj && !object_dynamic_cast(obj, typename)) {
        g_error("%s:%d:%s: object of type '%s' is not an instance of '%s'",
                file, line, func, object_get_typename(obj), typename);
    }
    return obj;
}

/* ---- the two roots of the type hierarchy ---- */

static const TypeInfo object_type = {
    .name = TYPE_OBJECT,
    .instance_size = sizeof(Object),
    .class_size = sizeof(ObjectClass),
};

static const TypeInfo interface_type = {
    .name = TYPE_INTERFACE,
    .class_size = sizeof(InterfaceClass),
    .abstract = true,
};

static void object_register_types(void)
{
    type_register(&object_type);
    type_register(&interface_type);
}

type_init(object_register_types)
