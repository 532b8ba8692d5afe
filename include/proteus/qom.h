/*
 * The object model: types with single inheritance and interfaces, classes
 * initialised once per type, reference-counted instances, typed properties
 * settable from strings, and a tree of named objects ("/machine/uart0").
 *
 * A type is described by a TypeInfo and registered with type_register().
 * Instances start with an Object, classes with an ObjectClass, so a pointer
 * to a derived struct is also a pointer to its base. Casts are checked:
 * OBJECT_CHECK() asserts, object_dynamic_cast() returns NULL.
 */
#ifndef PROTEUS_QOM_H
#define PROTEUS_QOM_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proteus/error.h"

typedef struct Object Object;
typedef struct ObjectClass ObjectClass;
typedef struct TypeImpl TypeImpl;
typedef struct ObjectProperty ObjectProperty;
typedef struct Property Property;

#define TYPE_OBJECT "object"
#define TYPE_INTERFACE "interface"
#define TYPE_CONTAINER "container"

struct ObjectClass {
    TypeImpl *type;
    GSList *interfaces;        /* InterfaceClass *, one per implemented interface */
    GHashTable *properties;    /* name -> ObjectProperty *, this class's own */
    /*
     * Optional: return false (and set errp) to refuse changing a property
     * now, e.g. once a device is realized. NULL allows everything.
     */
    bool (*property_set_allowed)(Object *obj, ObjectProperty *prop, GError **errp);
};

struct Object {
    ObjectClass *klass;
    GHashTable *properties;    /* name -> ObjectProperty *, this instance's own */
    Object *parent;            /* in the object tree; NULL when unparented */
    gint ref;
    bool heap_allocated;       /* made by object_new(), freed at the last unref */
};

typedef struct InterfaceInfo {
    const char *type;
} InterfaceInfo;

/* The class of an interface as seen through one implementing class. */
typedef struct InterfaceClass {
    ObjectClass parent_class;
    ObjectClass *concrete_class;
    TypeImpl *interface_type;
} InterfaceClass;

typedef struct TypeInfo {
    const char *name;
    const char *parent;                /* NULL only for TYPE_OBJECT and TYPE_INTERFACE */
    size_t instance_size;              /* 0: the parent's */
    void (*instance_init)(Object *obj);
    void (*instance_post_init)(Object *obj);
    void (*instance_finalize)(Object *obj);
    bool abstract;
    size_t class_size;                 /* 0: the parent's */
    void (*class_init)(ObjectClass *klass, void *data);
    void (*class_base_init)(ObjectClass *klass, void *data);  /* also runs for subclasses */
    void *class_data;
    const InterfaceInfo *interfaces;   /* ends with { NULL } */
} TypeInfo;

/* ---- types ---- */

/* Registers a type; the TypeInfo is copied. Returns NULL if the name is taken. */
TypeImpl *type_register(const TypeInfo *info);
void type_register_array(const TypeInfo *infos, size_t count);
bool type_exists(const char *typename);

/* Runs fn before main(): for types built into the core. */
#define type_init(fn) \
    static void __attribute__((constructor)) do_type_init_##fn(void) { fn(); }

/* ---- classes ---- */

ObjectClass *object_class_by_name(const char *typename);  /* NULL if unknown */
const char *object_class_get_name(ObjectClass *klass);
ObjectClass *object_class_get_parent(ObjectClass *klass);
bool object_class_is_abstract(ObjectClass *klass);
ObjectClass *object_class_dynamic_cast(ObjectClass *klass, const char *typename);
ObjectClass *object_class_dynamic_cast_assert(ObjectClass *klass, const char *typename,
                                              const char *file, int line, const char *func);
/*
 * Every class that is (or implements) implements_type (NULL: all), sorted
 * by name. A type whose parent or interfaces are not registered is left out.
 */
GSList *object_class_get_list(const char *implements_type, bool include_abstract);
void object_class_foreach(void (*fn)(ObjectClass *klass, void *opaque),
                          const char *implements_type, bool include_abstract, void *opaque);

/* ---- instances ---- */

/* The type must exist and be concrete (an invariant: callers check user input). */
Object *object_new(const char *typename);
/* For user-supplied type names: NULL and errp set if unknown or abstract. */
Object *object_new_checked(const char *typename, GError **errp);
/* Initialises an object embedded in a larger struct (not freed at the last unref). */
void object_initialize(void *obj, size_t size, const char *typename);

Object *object_ref(void *obj);
void object_unref(void *obj);

ObjectClass *object_get_class(Object *obj);
const char *object_get_typename(Object *obj);
Object *object_dynamic_cast(Object *obj, const char *typename);
Object *object_dynamic_cast_assert(Object *obj, const char *typename,
                                   const char *file, int line, const char *func);

#define OBJECT(obj) ((Object *)(obj))
#define OBJECT_CLASS(klass) ((ObjectClass *)(klass))
#define OBJECT_CHECK(type, obj, name) \
    ((type *)object_dynamic_cast_assert(OBJECT(obj), (name), __FILE__, __LINE__, __func__))
#define OBJECT_CLASS_CHECK(class_type, klass, name) \
    ((class_type *)object_class_dynamic_cast_assert(OBJECT_CLASS(klass), (name), \
                                                    __FILE__, __LINE__, __func__))
#define OBJECT_GET_CLASS(class_type, obj, name) \
    OBJECT_CLASS_CHECK(class_type, object_get_class(OBJECT(obj)), name)
/* An interface cast yields the object itself when its class implements it. */
#define INTERFACE_CHECK(type, obj, name) OBJECT_CHECK(type, obj, name)

/*
 * Declares the checked casts of a type: NAME(obj), NAME_CLASS(klass) and
 * NAME_GET_CLASS(obj), with TYPE_NAME as the type name.
 */
#define OBJECT_DECLARE_TYPE(Instance, Class, NAME)                                  \
    typedef struct Instance Instance;                                              \
    typedef struct Class Class;                                                    \
    static inline G_GNUC_UNUSED Instance *NAME(const void *obj)                    \
    { return OBJECT_CHECK(Instance, obj, TYPE_##NAME); }                           \
    static inline G_GNUC_UNUSED Class *NAME##_CLASS(const void *klass)             \
    { return OBJECT_CLASS_CHECK(Class, klass, TYPE_##NAME); }                      \
    static inline G_GNUC_UNUSED Class *NAME##_GET_CLASS(const void *obj)           \
    { return OBJECT_GET_CLASS(Class, obj, TYPE_##NAME); }
/* The same for a type that adds no class struct of its own. */
#define OBJECT_DECLARE_SIMPLE_TYPE(Instance, NAME)                                  \
    typedef struct Instance Instance;                                              \
    static inline G_GNUC_UNUSED Instance *NAME(const void *obj)                    \
    { return OBJECT_CHECK(Instance, obj, TYPE_##NAME); }

/* ---- properties ----
 *
 * A property has a name, a type name ("bool", "int8".."int64",
 * "uint8".."uint64", "size", "str", an enum's name, "link<TYPE>",
 * "child<TYPE>"; a CUSTOM static property uses its type_name) and string
 * accessors: every value can be set from and printed to the syntax of the
 * command line ("on"/"off", "0x1000", "64K", "/machine/uart0"). Printing
 * gives "true"/"false", decimal numbers, enum names, canonical paths. The
 * typed setters and getters below go through the same accessors, so
 * parsing and range checks live in one place.
 */

typedef enum {
    PROP_KIND_CUSTOM,     /* accessors only */
    PROP_KIND_BOOL,
    PROP_KIND_INT,        /* signed, width from Property.size */
    PROP_KIND_UINT,       /* unsigned, width from Property.size */
    PROP_KIND_SIZE,       /* uint64 with K/M/G/T suffixes */
    PROP_KIND_STRING,     /* char *, owned by the object */
    PROP_KIND_ENUM,       /* int field, values named by enum_names */
    PROP_KIND_LINK,       /* Object * field, set from a path, type-checked */
    PROP_KIND_CHILD,      /* a child in the object tree (read-only) */
} PropertyKind;

typedef bool ObjectPropertySet(Object *obj, ObjectProperty *prop, const char *value,
                               GError **errp);
/* Returns a newly allocated string, or NULL with errp set. */
typedef char *ObjectPropertyGet(Object *obj, ObjectProperty *prop, GError **errp);
typedef void ObjectPropertyRelease(Object *obj, ObjectProperty *prop);

struct ObjectProperty {
    char *name;
    char *type;
    char *description;
    PropertyKind kind;
    ObjectPropertyGet *get;      /* NULL: write-only */
    ObjectPropertySet *set;      /* NULL: read-only */
    ObjectPropertyRelease *release;
    void *opaque;                /* for static properties: the Property */
    char *default_value;         /* printed by help; may be NULL */
};

/*
 * A field property of a class (usually a device's configuration): set on
 * every instance at init to its default, then from the command line.
 */
struct Property {
    const char *name;
    PropertyKind kind;
    size_t offset;                    /* of the field in the instance */
    size_t size;                      /* of the field, for INT/UINT */
    union {
        int64_t i;
        uint64_t u;
        bool b;
        const char *s;
    } defval;
    const char *const *enum_names;    /* ENUM: NULL-terminated, index = value */
    const char *type_name;            /* ENUM: the enum's name; LINK: the target type */
    const char *description;
    /* CUSTOM: */
    ObjectPropertySet *set;
    ObjectPropertyGet *get;
    ObjectPropertyRelease *release;
};

/* Fails to compile (negative array size) when the field is not a _type. */
#define PROP_TYPE_CHECK_(_state, _field, _type)                                    \
    (0 * sizeof(char[1 - 2 * !__builtin_types_compatible_p(                        \
                                 __typeof__(((_state *)0)->_field), _type)]))
#define PROP_FIELD_(_name, _state, _field, _kind, _type)                      \
    .name = (_name), .kind = (_kind), .offset = offsetof(_state, _field),    \
    .size = sizeof(_type) + PROP_TYPE_CHECK_(_state, _field, _type)
#define DEFINE_PROP_BOOL(_n, _s, _f, _d) \
    { PROP_FIELD_(_n, _s, _f, PROP_KIND_BOOL, bool), .defval.b = (_d) }
#define DEFINE_PROP_UINT8(_n, _s, _f, _d) \
    { PROP_FIELD_(_n, _s, _f, PROP_KIND_UINT, uint8_t), .defval.u = (_d) }
#define DEFINE_PROP_UINT16(_n, _s, _f, _d) \
    { PROP_FIELD_(_n, _s, _f, PROP_KIND_UINT, uint16_t), .defval.u = (_d) }
#define DEFINE_PROP_UINT32(_n, _s, _f, _d) \
    { PROP_FIELD_(_n, _s, _f, PROP_KIND_UINT, uint32_t), .defval.u = (_d) }
#define DEFINE_PROP_UINT64(_n, _s, _f, _d) \
    { PROP_FIELD_(_n, _s, _f, PROP_KIND_UINT, uint64_t), .defval.u = (_d) }
#define DEFINE_PROP_INT32(_n, _s, _f, _d) \
    { PROP_FIELD_(_n, _s, _f, PROP_KIND_INT, int32_t), .defval.i = (_d) }
#define DEFINE_PROP_INT64(_n, _s, _f, _d) \
    { PROP_FIELD_(_n, _s, _f, PROP_KIND_INT, int64_t), .defval.i = (_d) }
#define DEFINE_PROP_SIZE(_n, _s, _f, _d) \
    { PROP_FIELD_(_n, _s, _f, PROP_KIND_SIZE, uint64_t), .defval.u = (_d) }
#define DEFINE_PROP_STRING(_n, _s, _f) \
    { PROP_FIELD_(_n, _s, _f, PROP_KIND_STRING, char *) }
#define DEFINE_PROP_ENUM(_n, _s, _f, _d, _enum_name, _names) \
    { PROP_FIELD_(_n, _s, _f, PROP_KIND_ENUM, int), .defval.i = (_d), \
      .type_name = (_enum_name), .enum_names = (_names) }
#define DEFINE_PROP_LINK(_n, _s, _f, _type) \
    { PROP_FIELD_(_n, _s, _f, PROP_KIND_LINK, Object *), .type_name = (_type) }
#define DEFINE_PROP_END_OF_LIST() { .name = NULL }

/* Adds an array of field properties (ending with DEFINE_PROP_END_OF_LIST). */
void object_class_add_props(ObjectClass *klass, const Property *props);
void object_class_property_set_description(ObjectClass *klass, const char *name,
                                           const char *description);

/* Accessor properties on one instance or on every instance of a class. */
ObjectProperty *object_property_add(Object *obj, const char *name, const char *type,
                                    ObjectPropertyGet *get, ObjectPropertySet *set,
                                    ObjectPropertyRelease *release, void *opaque);
ObjectProperty *object_class_property_add(ObjectClass *klass, const char *name,
                                          const char *type, ObjectPropertyGet *get,
                                          ObjectPropertySet *set,
                                          ObjectPropertyRelease *release, void *opaque);
void object_property_del(Object *obj, const char *name);

/* An instance property, then the class chain; NULL if none. */
ObjectProperty *object_property_find(Object *obj, const char *name);
ObjectProperty *object_class_property_find(ObjectClass *klass, const char *name);

/* Every property of a class including inherited ones, sorted by name. */
GPtrArray *object_class_get_properties(ObjectClass *klass);
/* Every property of an object (class and instance ones), sorted by name. */
GPtrArray *object_get_properties(Object *obj);

/* Setting and getting through the string syntax. Errors name the property. */
bool object_property_parse(Object *obj, const char *name, const char *value, GError **errp);
char *object_property_print(Object *obj, const char *name, GError **errp);

bool object_property_set_bool(Object *obj, const char *name, bool value, GError **errp);
bool object_property_set_int(Object *obj, const char *name, int64_t value, GError **errp);
bool object_property_set_uint(Object *obj, const char *name, uint64_t value, GError **errp);
bool object_property_set_str(Object *obj, const char *name, const char *value,
                             GError **errp);
bool object_property_set_link(Object *obj, const char *name, Object *target, GError **errp);
bool object_property_get_bool(Object *obj, const char *name, GError **errp);
int64_t object_property_get_int(Object *obj, const char *name, GError **errp);
uint64_t object_property_get_uint(Object *obj, const char *name, GError **errp);
char *object_property_get_str(Object *obj, const char *name, GError **errp);
Object *object_property_get_link(Object *obj, const char *name, GError **errp);

/*
 * Sets properties from "key=value,key=value" (a comma in a value is written
 * ",,"), as -device does. Stops at the first error.
 */
bool object_set_props_from_string(Object *obj, const char *props, GError **errp);

/* Parsers shared with option parsing: "on/off/yes/no/true/false", numbers
 * in C syntax, sizes with K/M/G/T/P/E suffixes (powers of 1024). */
bool parse_bool(const char *str, bool *value, GError **errp);
bool parse_int64(const char *str, int64_t *value, GError **errp);
bool parse_uint64(const char *str, uint64_t *value, GError **errp);
bool parse_size(const char *str, uint64_t *value, GError **errp);

/* ---- the object tree ---- */

Object *object_get_root(void);
/* The container at path (e.g. "/machine/peripheral"), created if missing. */
Object *container_get(Object *root, const char *path);

/* Adds child under parent as name (a "child<TYPE>" property); takes a reference. */
bool object_property_add_child(Object *parent, const char *name, Object *child,
                               GError **errp);
/* Removes obj from its parent, dropping the parent's reference. */
void object_unparent(Object *obj);
/* The last path component: the name under the parent, NULL if unparented. */
const char *object_get_canonical_path_component(Object *obj);
/* "/machine/uart0"; NULL if obj is not in the tree. Free with g_free. */
char *object_get_canonical_path(Object *obj);
/*
 * An absolute path ("/machine/uart0"), or a partial one ("uart0") that
 * matches the end of exactly one path in the tree; *ambiguous (if non-NULL)
 * says whether a partial path matched more than one object.
 */
Object *object_resolve_path(const char *path, bool *ambiguous);
/* The same, counting only objects of typename (NULL: any type). */
Object *object_resolve_path_type(const char *path, const char *typename, bool *ambiguous);
Object *object_resolve_path_component(Object *parent, const char *name);
/* Calls fn on each child in name order; stops and returns its value when non-zero. */
int object_child_foreach(Object *obj, int (*fn)(Object *child, void *opaque), void *opaque);

#endif
