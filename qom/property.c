/*
 * Properties of the object model: accessor properties on instances and
 * classes, static field properties built from Property arrays (their
 * defaults stored at instance init, their storage released at finalize),
 * the string syntax every property is set from and printed to, the typed
 * wrappers over it, "key=value,..." option strings, and the number, size
 * and boolean parsers shared with option parsing.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "proteus/options.h"
#include "proteus/qom.h"
#include "qom-internal.h"

/* ---- parsers ---- */

bool parse_bool(const char *str, bool *value, GError **errp)
{
    static const char *const yes[] = { "on", "yes", "true" };
    static const char *const no[] = { "off", "no", "false" };

    for (size_t i = 0; str && i < G_N_ELEMENTS(yes); i++) {
        if (g_ascii_strcasecmp(str, yes[i]) == 0) {
            *value = true;
            return true;
        }
        if (g_ascii_strcasecmp(str, no[i]) == 0) {
            *value = false;
            return true;
        }
    }
    error_setg_code(errp, PROTEUS_ERROR_INVALID,
                    "'%s' is not a boolean (use on/off, yes/no or true/false)",
                    str ? str : "");
    return false;
}

/* strtoll and friends skip leading blanks and take an empty string as 0. */
static bool number_start_ok(const char *str)
{
    return str && *str && !g_ascii_isspace(*str);
}

bool parse_int64(const char *str, int64_t *value, GError **errp)
{
    char *end;
    gint64 v;

    if (!number_start_ok(str)) {
        goto bad;
    }
    errno = 0;
    v = g_ascii_strtoll(str, &end, 0);
    if (end == str || *end) {
        goto bad;
    }
    if (errno == ERANGE) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "'%s' is out of range for a 64-bit integer", str);
        return false;
    }
    *value = v;
    return true;

bad:
    error_setg_code(errp, PROTEUS_ERROR_INVALID, "'%s' is not a number", str ? str : "");
    return false;
}

/* Parses the unsigned number at the start of str; *end is left after it. */
static bool parse_uint_prefix(const char *str, uint64_t *value, char **end, bool *overflow)
{
    *overflow = false;
    if (!number_start_ok(str) || str[0] == '-') {
        return false;
    }
    errno = 0;
    *value = g_ascii_strtoull(str, end, 0);
    if (*end == str) {
        return false;
    }
    *overflow = errno == ERANGE;
    return true;
}

bool parse_uint64(const char *str, uint64_t *value, GError **errp)
{
    char *end;
    uint64_t v;
    bool overflow;

    if (str && str[0] == '-') {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "'%s' is negative; a non-negative number is expected", str);
        return false;
    }
    if (!parse_uint_prefix(str, &v, &end, &overflow) || *end) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "'%s' is not a number", str ? str : "");
        return false;
    }
    if (overflow) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "'%s' is out of range for a 64-bit unsigned integer", str);
        return false;
    }
    *value = v;
    return true;
}

bool parse_size(const char *str, uint64_t *value, GError **errp)
{
    char *end;
    uint64_t v;
    bool overflow;
    unsigned shift = 0;

    if (!parse_uint_prefix(str, &v, &end, &overflow)) {
        goto bad;
    }
    if (*end) {
        switch (g_ascii_tolower(*end)) {
        case 'b': shift = 0; break;
        case 'k': shift = 10; break;
        case 'm': shift = 20; break;
        case 'g': shift = 30; break;
        case 't': shift = 40; break;
        case 'p': shift = 50; break;
        case 'e': shift = 60; break;
        default: goto bad;
        }
        if (end[1]) {
            goto bad;
        }
    }
    if (overflow || v > (UINT64_MAX >> shift)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "'%s' is too large (the limit is 16E - 1)", str);
        return false;
    }
    *value = v << shift;
    return true;

bad:
    error_setg_code(errp, PROTEUS_ERROR_INVALID,
                    "'%s' is not a size (a number with an optional K, M, G, T, P or E suffix)",
                    str ? str : "");
    return false;
}

/* ---- property objects ---- */

static ObjectProperty *property_new(const char *name, const char *type,
                                    ObjectPropertyGet *get, ObjectPropertySet *set,
                                    ObjectPropertyRelease *release, void *opaque)
{
    ObjectProperty *prop = g_new0(ObjectProperty, 1);

    prop->name = g_strdup(name);
    prop->type = g_strdup(type);
    prop->kind = PROP_KIND_CUSTOM;
    prop->get = get;
    prop->set = set;
    prop->release = release;
    prop->opaque = opaque;
    return prop;
}

static void property_free(ObjectProperty *prop)
{
    g_free(prop->name);
    g_free(prop->type);
    g_free(prop->description);
    g_free(prop->default_value);
    g_free(prop);
}

ObjectProperty *object_class_property_find(ObjectClass *klass, const char *name)
{
    for (; klass; klass = object_class_get_parent(klass)) {
        ObjectProperty *prop = g_hash_table_lookup(klass->properties, name);

        if (prop) {
            return prop;
        }
    }
    return NULL;
}

ObjectProperty *object_property_find(Object *obj, const char *name)
{
    ObjectProperty *prop = g_hash_table_lookup(obj->properties, name);

    return prop ? prop : object_class_property_find(obj->klass, name);
}

ObjectProperty *object_property_add(Object *obj, const char *name, const char *type,
                                    ObjectPropertyGet *get, ObjectPropertySet *set,
                                    ObjectPropertyRelease *release, void *opaque)
{
    ObjectProperty *prop;

    g_assert(name && type);
    if (object_property_find(obj, name)) {
        g_error("%s: property '%s' added twice", object_get_typename(obj), name);
    }
    prop = property_new(name, type, get, set, release, opaque);
    g_hash_table_insert(obj->properties, prop->name, prop);
    return prop;
}

static void class_property_insert(ObjectClass *klass, ObjectProperty *prop)
{
    /* A subclass may redefine an inherited property; one class may not hold two. */
    if (g_hash_table_contains(klass->properties, prop->name)) {
        g_error("%s: class property '%s' added twice", object_class_get_name(klass),
                prop->name);
    }
    g_hash_table_insert(klass->properties, prop->name, prop);
}

ObjectProperty *object_class_property_add(ObjectClass *klass, const char *name,
                                          const char *type, ObjectPropertyGet *get,
                                          ObjectPropertySet *set,
                                          ObjectPropertyRelease *release, void *opaque)
{
    ObjectProperty *prop;

    g_assert(name && type);
    prop = property_new(name, type, get, set, release, opaque);
    class_property_insert(klass, prop);
    return prop;
}

void object_property_del(Object *obj, const char *name)
{
    ObjectProperty *prop = g_hash_table_lookup(obj->properties, name);

    g_assert(prop);
    g_hash_table_remove(obj->properties, name);
    if (prop->release) {
        prop->release(obj, prop);
    }
    property_free(prop);
}

void object_class_property_set_description(ObjectClass *klass, const char *name,
                                           const char *description)
{
    ObjectProperty *prop = object_class_property_find(klass, name);

    g_assert(prop);
    g_free(prop->description);
    prop->description = g_strdup(description);
}

static gint property_name_cmp(gconstpointer a, gconstpointer b)
{
    const ObjectProperty *pa = *(ObjectProperty *const *)a;
    const ObjectProperty *pb = *(ObjectProperty *const *)b;

    return strcmp(pa->name, pb->name);
}

/* Adds the properties of table not yet in seen; the nearest definition wins. */
static void collect_properties(GPtrArray *out, GHashTable *seen, GHashTable *table)
{
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init(&iter, table);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        if (g_hash_table_add(seen, key)) {
            g_ptr_array_add(out, value);
        }
    }
}

static GPtrArray *properties_of(Object *obj, ObjectClass *klass)
{
    GPtrArray *out = g_ptr_array_new();
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);

    if (obj) {
        collect_properties(out, seen, obj->properties);
    }
    for (; klass; klass = object_class_get_parent(klass)) {
        collect_properties(out, seen, klass->properties);
    }
    g_hash_table_unref(seen);
    g_ptr_array_sort(out, property_name_cmp);
    return out;
}

GPtrArray *object_class_get_properties(ObjectClass *klass)
{
    return properties_of(NULL, klass);
}

GPtrArray *object_get_properties(Object *obj)
{
    return properties_of(obj, obj->klass);
}

/* ---- static field properties ---- */

static void *field_ptr(Object *obj, const Property *p)
{
    return (char *)obj + p->offset;
}

static int64_t field_load_int(const void *field, size_t size)
{
    switch (size) {
    case 1: return *(const int8_t *)field;
    case 2: return *(const int16_t *)field;
    case 4: return *(const int32_t *)field;
    default: return *(const int64_t *)field;
    }
}

static void field_store_int(void *field, size_t size, int64_t v)
{
    switch (size) {
    case 1: *(int8_t *)field = v; break;
    case 2: *(int16_t *)field = v; break;
    case 4: *(int32_t *)field = v; break;
    default: *(int64_t *)field = v; break;
    }
}

static uint64_t field_load_uint(const void *field, size_t size)
{
    switch (size) {
    case 1: return *(const uint8_t *)field;
    case 2: return *(const uint16_t *)field;
    case 4: return *(const uint32_t *)field;
    default: return *(const uint64_t *)field;
    }
}

static void field_store_uint(void *field, size_t size, uint64_t v)
{
    switch (size) {
    case 1: *(uint8_t *)field = v; break;
    case 2: *(uint16_t *)field = v; break;
    case 4: *(uint32_t *)field = v; break;
    default: *(uint64_t *)field = v; break;
    }
}

static bool int_fits(int64_t v, size_t size)
{
    int bits = size * 8;

    return bits == 64 || (v >= -(INT64_C(1) << (bits - 1)) && v < (INT64_C(1) << (bits - 1)));
}

static bool uint_fits(uint64_t v, size_t size)
{
    return size == 8 || v < (UINT64_C(1) << (size * 8));
}

static int enum_count(const Property *p)
{
    int n = 0;

    while (p->enum_names[n]) {
        n++;
    }
    return n;
}

static void link_store(Object **field, Object *target)
{
    Object *old = *field;

    *field = object_ref(target);
    object_unref(old);
}

static bool enum_set(const Property *p, int *field, const char *value, GError **errp)
{
    g_autoptr(GString) allowed = g_string_new(NULL);

    for (int i = 0; p->enum_names[i]; i++) {
        if (strcmp(p->enum_names[i], value) == 0) {
            *field = i;
            return true;
        }
        g_string_append_printf(allowed, "%s%s", i ? ", " : "", p->enum_names[i]);
    }
    error_setg_code(errp, PROTEUS_ERROR_INVALID, "'%s' is not a valid %s (allowed: %s)",
                    value, p->type_name ? p->type_name : "value", allowed->str);
    return false;
}

static bool link_set(const Property *p, Object **field, const char *value, GError **errp)
{
    Object *target = NULL;
    bool ambiguous;

    if (value && *value) {
        target = object_resolve_path_type(value, p->type_name, &ambiguous);
        if (!target && ambiguous) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "'%s' matches more than one object of type %s",
                            value, p->type_name);
            return false;
        }
        if (!target) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID, "no object of type %s at '%s'",
                            p->type_name, value);
            return false;
        }
    }
    link_store(field, target);
    return true;
}

static bool static_prop_set(Object *obj, ObjectProperty *prop, const char *value,
                            GError **errp)
{
    const Property *p = prop->opaque;
    void *field = field_ptr(obj, p);
    int64_t i;
    uint64_t u;

    if (!value && p->kind != PROP_KIND_STRING && p->kind != PROP_KIND_LINK) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "a value is required");
        return false;
    }
    switch (p->kind) {
    case PROP_KIND_BOOL:
        return parse_bool(value, field, errp);
    case PROP_KIND_INT:
        if (!parse_int64(value, &i, errp)) {
            return false;
        }
        if (!int_fits(i, p->size)) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID, "value %" PRId64
                            " out of range for %s", i, prop->type);
            return false;
        }
        field_store_int(field, p->size, i);
        return true;
    case PROP_KIND_UINT:
        if (!parse_uint64(value, &u, errp)) {
            return false;
        }
        if (!uint_fits(u, p->size)) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID, "value %" PRIu64
                            " out of range for %s", u, prop->type);
            return false;
        }
        field_store_uint(field, p->size, u);
        return true;
    case PROP_KIND_SIZE:
        if (!parse_size(value, &u, errp)) {
            return false;
        }
        *(uint64_t *)field = u;
        return true;
    case PROP_KIND_STRING:
        g_free(*(char **)field);
        *(char **)field = g_strdup(value);
        return true;
    case PROP_KIND_ENUM:
        return enum_set(p, field, value, errp);
    case PROP_KIND_LINK:
        return link_set(p, field, value, errp);
    default:
        g_assert_not_reached();
    }
}

static char *format_value(const Property *p, PropertyKind kind, const void *field)
{
    int e;

    switch (kind) {
    case PROP_KIND_BOOL:
        return g_strdup(*(const bool *)field ? "true" : "false");
    case PROP_KIND_INT:
        return g_strdup_printf("%" PRId64, field_load_int(field, p->size));
    case PROP_KIND_UINT:
    case PROP_KIND_SIZE:
        return g_strdup_printf("%" PRIu64, field_load_uint(field, p->size));
    case PROP_KIND_STRING:
        return g_strdup(*(char *const *)field ? *(char *const *)field : "");
    case PROP_KIND_ENUM:
        e = *(const int *)field;
        if (e >= 0 && e < enum_count(p)) {
            return g_strdup(p->enum_names[e]);
        }
        return g_strdup_printf("%d", e);
    case PROP_KIND_LINK: {
        Object *target = *(Object *const *)field;
        char *path = target ? object_get_canonical_path(target) : NULL;

        return path ? path : g_strdup("");
    }
    default:
        g_assert_not_reached();
    }
}

static char *static_prop_get(Object *obj, ObjectProperty *prop, GError **errp)
{
    const Property *p = prop->opaque;

    return format_value(p, p->kind, field_ptr(obj, p));
}

static void static_prop_release(Object *obj, ObjectProperty *prop)
{
    const Property *p = prop->opaque;
    void *field = field_ptr(obj, p);

    if (p->kind == PROP_KIND_STRING) {
        g_free(*(char **)field);
        *(char **)field = NULL;
    } else if (p->kind == PROP_KIND_LINK) {
        link_store(field, NULL);
    }
}

static void static_prop_set_default(Object *obj, const Property *p)
{
    void *field = field_ptr(obj, p);

    switch (p->kind) {
    case PROP_KIND_BOOL:
        *(bool *)field = p->defval.b;
        break;
    case PROP_KIND_INT:
        field_store_int(field, p->size, p->defval.i);
        break;
    case PROP_KIND_UINT:
    case PROP_KIND_SIZE:
        field_store_uint(field, p->size, p->defval.u);
        break;
    case PROP_KIND_STRING:
        g_free(*(char **)field);
        *(char **)field = g_strdup(p->defval.s);
        break;
    case PROP_KIND_ENUM:
        *(int *)field = p->defval.i;
        break;
    default:
        /* Links start out empty: the instance memory is zeroed. */
        break;
    }
}

/* The default as the printer would show it, for help output. */
static char *static_prop_default_string(const Property *p)
{
    union {
        bool b;
        int64_t i;
        uint64_t u;
        int e;
    } v;

    switch (p->kind) {
    case PROP_KIND_BOOL:
        v.b = p->defval.b;
        return format_value(p, p->kind, &v.b);
    case PROP_KIND_INT:
        return g_strdup_printf("%" PRId64, p->defval.i);
    case PROP_KIND_UINT:
    case PROP_KIND_SIZE:
        return g_strdup_printf("%" PRIu64, p->defval.u);
    case PROP_KIND_ENUM:
        v.e = p->defval.i;
        return format_value(p, p->kind, &v.e);
    case PROP_KIND_STRING:
        return g_strdup(p->defval.s);
    default:
        return NULL;
    }
}

/* Checks a Property entry once, when its class is built. */
static void static_prop_check(ObjectClass *klass, const Property *p)
{
    const char *cls = object_class_get_name(klass);
    bool ok = true;

    switch (p->kind) {
    case PROP_KIND_BOOL:
        ok = p->size == sizeof(bool);
        break;
    case PROP_KIND_INT:
        ok = (p->size == 1 || p->size == 2 || p->size == 4 || p->size == 8) &&
             int_fits(p->defval.i, p->size);
        break;
    case PROP_KIND_UINT:
        ok = (p->size == 1 || p->size == 2 || p->size == 4 || p->size == 8) &&
             uint_fits(p->defval.u, p->size);
        break;
    case PROP_KIND_SIZE:
        ok = p->size == sizeof(uint64_t);
        break;
    case PROP_KIND_STRING:
        ok = p->size == sizeof(char *);
        break;
    case PROP_KIND_ENUM:
        ok = p->size == sizeof(int) && p->enum_names && p->defval.i >= 0 &&
             p->defval.i < enum_count(p);
        break;
    case PROP_KIND_LINK:
        ok = p->size == sizeof(Object *) && p->type_name;
        break;
    case PROP_KIND_CUSTOM:
        break;
    case PROP_KIND_CHILD:
        ok = false;
        break;
    }
    if (!ok) {
        g_error("%s: static property '%s' is malformed (kind %d, size %zu)",
                cls, p->name, p->kind, p->size);
    }
}

static char *static_prop_type(const Property *p)
{
    switch (p->kind) {
    case PROP_KIND_BOOL:
        return g_strdup("bool");
    case PROP_KIND_INT:
        return g_strdup_printf("int%zu", p->size * 8);
    case PROP_KIND_UINT:
        return g_strdup_printf("uint%zu", p->size * 8);
    case PROP_KIND_SIZE:
        return g_strdup("size");
    case PROP_KIND_ENUM:
        return g_strdup(p->type_name ? p->type_name : "enum");
    case PROP_KIND_LINK:
        return g_strdup_printf("link<%s>", p->type_name);
    case PROP_KIND_STRING:
    default:
        return g_strdup(p->type_name ? p->type_name : "str");
    }
}

void object_class_add_props(ObjectClass *klass, const Property *props)
{
    for (const Property *p = props; p->name; p++) {
        g_autofree char *type = NULL;
        ObjectProperty *prop;

        static_prop_check(klass, p);
        type = static_prop_type(p);
        if (p->kind == PROP_KIND_CUSTOM) {
            prop = property_new(p->name, type, p->get, p->set, p->release, (void *)p);
        } else {
            prop = property_new(p->name, type, static_prop_get, static_prop_set,
                                static_prop_release, (void *)p);
            prop->default_value = static_prop_default_string(p);
        }
        prop->kind = p->kind;
        prop->description = g_strdup(p->description);
        class_property_insert(klass, prop);
    }
}

static bool is_static_field_prop(const ObjectProperty *prop)
{
    return prop->get == static_prop_get;
}

void qom_props_set_defaults(Object *obj)
{
    GPtrArray *chain = g_ptr_array_new();

    for (ObjectClass *k = obj->klass; k; k = object_class_get_parent(k)) {
        g_ptr_array_add(chain, k);
    }
    /* Ancestors first, so a subclass that redefines a property has the last word. */
    for (guint i = chain->len; i-- > 0;) {
        ObjectClass *k = g_ptr_array_index(chain, i);
        GHashTableIter iter;
        gpointer value;

        g_hash_table_iter_init(&iter, k->properties);
        while (g_hash_table_iter_next(&iter, NULL, &value)) {
            ObjectProperty *prop = value;

            if (is_static_field_prop(prop)) {
                static_prop_set_default(obj, prop->opaque);
            }
        }
    }
    g_ptr_array_unref(chain);
}

void qom_props_del_instance(Object *obj)
{
    /* A release hook may delete other properties: re-read the table each round. */
    while (g_hash_table_size(obj->properties)) {
        GList *names = g_list_sort(g_hash_table_get_keys(obj->properties),
                                   (GCompareFunc)strcmp);
        g_autofree char *name = g_strdup(names->data);

        g_list_free(names);
        object_property_del(obj, name);
    }
}

/* Whether a class nearer to obj's own redefines name. */
static bool shadowed(Object *obj, ObjectClass *upto, const char *name)
{
    for (ObjectClass *k = obj->klass; k != upto; k = object_class_get_parent(k)) {
        if (g_hash_table_contains(k->properties, name)) {
            return true;
        }
    }
    return false;
}

void qom_props_release_class(Object *obj)
{
    for (ObjectClass *k = obj->klass; k; k = object_class_get_parent(k)) {
        GHashTableIter iter;
        gpointer value;

        g_hash_table_iter_init(&iter, k->properties);
        while (g_hash_table_iter_next(&iter, NULL, &value)) {
            ObjectProperty *prop = value;

            if (prop->release && !shadowed(obj, k, prop->name)) {
                prop->release(obj, prop);
            }
        }
    }
}

/* ---- setting and getting through strings ---- */

static ObjectProperty *property_lookup(Object *obj, const char *name, GError **errp)
{
    ObjectProperty *prop = object_property_find(obj, name);

    if (!prop) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "%s: no property '%s'",
                        object_get_typename(obj), name);
    }
    return prop;
}

static bool property_set_allowed(Object *obj, ObjectProperty *prop, GError **errp)
{
    ObjectClass *klass = obj->klass;
    GError *err = NULL;

    if (!prop->set) {
        error_setg_code(errp, PROTEUS_ERROR_PERMISSION, "%s: property '%s' is read-only",
                        object_get_typename(obj), prop->name);
        return false;
    }
    if (!klass->property_set_allowed || klass->property_set_allowed(obj, prop, &err)) {
        return true;
    }
    if (!err) {
        error_setg_code(&err, PROTEUS_ERROR_PERMISSION,
                        "%s: property '%s' cannot be changed now",
                        object_get_typename(obj), prop->name);
    }
    g_propagate_error(errp, err);
    return false;
}

bool object_property_parse(Object *obj, const char *name, const char *value, GError **errp)
{
    ObjectProperty *prop = property_lookup(obj, name, errp);
    GError *err = NULL;

    if (!prop || !property_set_allowed(obj, prop, errp)) {
        return false;
    }
    if (prop->set(obj, prop, value, &err)) {
        return true;
    }
    if (!err) {
        error_setg_code(&err, PROTEUS_ERROR_INVALID, "cannot be set to '%s'",
                        value ? value : "");
    }
    g_propagate_prefixed_error(errp, err, "%s: property '%s': ",
                               object_get_typename(obj), name);
    return false;
}

char *object_property_print(Object *obj, const char *name, GError **errp)
{
    ObjectProperty *prop = property_lookup(obj, name, errp);
    GError *err = NULL;
    char *s;

    if (!prop) {
        return NULL;
    }
    if (!prop->get) {
        error_setg_code(errp, PROTEUS_ERROR_PERMISSION, "%s: property '%s' is write-only",
                        object_get_typename(obj), name);
        return NULL;
    }
    s = prop->get(obj, prop, &err);
    if (s) {
        return s;
    }
    if (!err) {
        error_setg(&err, "cannot be read");
    }
    g_propagate_prefixed_error(errp, err, "%s: property '%s': ",
                               object_get_typename(obj), name);
    return NULL;
}

bool object_property_set_bool(Object *obj, const char *name, bool value, GError **errp)
{
    return object_property_parse(obj, name, value ? "true" : "false", errp);
}

bool object_property_set_int(Object *obj, const char *name, int64_t value, GError **errp)
{
    g_autofree char *s = g_strdup_printf("%" PRId64, value);

    return object_property_parse(obj, name, s, errp);
}

bool object_property_set_uint(Object *obj, const char *name, uint64_t value, GError **errp)
{
    g_autofree char *s = g_strdup_printf("%" PRIu64, value);

    return object_property_parse(obj, name, s, errp);
}

bool object_property_set_str(Object *obj, const char *name, const char *value,
                             GError **errp)
{
    return object_property_parse(obj, name, value, errp);
}

bool object_property_set_link(Object *obj, const char *name, Object *target, GError **errp)
{
    ObjectProperty *prop = property_lookup(obj, name, errp);
    g_autofree char *path = NULL;

    if (!prop) {
        return false;
    }
    if (is_static_field_prop(prop) && prop->kind == PROP_KIND_LINK) {
        /* Direct, so that the target need not be in the object tree. */
        const Property *p = prop->opaque;

        if (!property_set_allowed(obj, prop, errp)) {
            return false;
        }
        if (target && !object_dynamic_cast(target, p->type_name)) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "%s: property '%s': an object of type %s is not a %s",
                            object_get_typename(obj), name, object_get_typename(target),
                            p->type_name);
            return false;
        }
        link_store(field_ptr(obj, p), target);
        return true;
    }
    path = target ? object_get_canonical_path(target) : g_strdup("");
    if (!path) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "%s: property '%s': the %s object is not in the object tree",
                        object_get_typename(obj), name, object_get_typename(target));
        return false;
    }
    return object_property_parse(obj, name, path, errp);
}

/* Prints a property and parses the text back with parse; errors name the property. */
static bool property_get_parsed(Object *obj, const char *name, void *value,
                                bool (*parse)(const char *, void *, GError **),
                                GError **errp)
{
    g_autofree char *s = object_property_print(obj, name, errp);
    GError *err = NULL;

    if (!s) {
        return false;
    }
    if (!parse(s, value, &err)) {
        g_propagate_prefixed_error(errp, err, "%s: property '%s': ",
                                   object_get_typename(obj), name);
        return false;
    }
    return true;
}

static bool parse_bool_cb(const char *s, void *v, GError **errp)
{
    return parse_bool(s, v, errp);
}

static bool parse_int64_cb(const char *s, void *v, GError **errp)
{
    return parse_int64(s, v, errp);
}

/* Sizes may print with a suffix, and a plain number parses as a size too. */
static bool parse_size_cb(const char *s, void *v, GError **errp)
{
    return parse_size(s, v, errp);
}

bool object_property_get_bool(Object *obj, const char *name, GError **errp)
{
    bool v = false;

    return property_get_parsed(obj, name, &v, parse_bool_cb, errp) && v;
}

int64_t object_property_get_int(Object *obj, const char *name, GError **errp)
{
    int64_t v = 0;

    return property_get_parsed(obj, name, &v, parse_int64_cb, errp) ? v : 0;
}

uint64_t object_property_get_uint(Object *obj, const char *name, GError **errp)
{
    uint64_t v = 0;

    return property_get_parsed(obj, name, &v, parse_size_cb, errp) ? v : 0;
}

char *object_property_get_str(Object *obj, const char *name, GError **errp)
{
    return object_property_print(obj, name, errp);
}

Object *object_property_get_link(Object *obj, const char *name, GError **errp)
{
    ObjectProperty *prop = property_lookup(obj, name, errp);
    g_autofree char *path = NULL;
    Object *target;

    if (!prop) {
        return NULL;
    }
    if (is_static_field_prop(prop) && prop->kind == PROP_KIND_LINK) {
        return *(Object **)field_ptr(obj, prop->opaque);
    }
    path = object_property_print(obj, name, errp);
    if (!path || !*path) {
        return NULL;
    }
    target = object_resolve_path(path, NULL);
    if (!target) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND,
                        "%s: property '%s': no object at '%s'",
                        object_get_typename(obj), name, path);
    }
    return target;
}

bool object_set_props_from_string(Object *obj, const char *props, GError **errp)
{
    g_autoptr(OptList) opts = NULL;

    if (!*props) {
        return true;
    }
    opts = opt_list_parse(props, object_get_typename(obj), NULL, errp);
    if (!opts) {
        return false;
    }
    if (opts->head) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "%s: expected key=value, got '%s'",
                        object_get_typename(obj), opts->head);
        return false;
    }
    for (guint i = 0; i < opts->items->len; i++) {
        OptItem *it = g_ptr_array_index(opts->items, i);

        if (!it->value) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID, "%s: expected key=value, got '%s'",
                            object_get_typename(obj), it->key);
            return false;
        }
        if (!object_property_parse(obj, it->key, it->value, errp)) {
            return false;
        }
    }
    return true;
}
