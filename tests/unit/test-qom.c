/*
 * Unit tests of the object model's types, classes, interfaces, instances
 * and object tree, on a small hierarchy:
 *
 *   object ─ animal (abstract) ─┬─ dog (barker) ─ puppy (overrides bark)
 *                               ├─ cat
 *                               ├─ wolf (barker, keeps the default bark)
 *                               └─ husky (loud-barker, which derives from barker)
 */
#include <string.h>

#include "proteus/qom.h"

#define TYPE_ANIMAL "animal"
#define TYPE_DOG "dog"
#define TYPE_PUPPY "puppy"
#define TYPE_CAT "cat"
#define TYPE_WOLF "wolf"
#define TYPE_HUSKY "husky"
#define TYPE_BARKER "barker"
#define TYPE_LOUD_BARKER "loud-barker"

/* Events from class and instance hooks, in the order they happen. */
static GString *events;
static int finalized_count;

typedef struct Animal {
    Object parent_obj;
    uint32_t legs;
    bool saw_default;          /* instance_init ran after the static defaults */
} Animal;

typedef struct AnimalClass {
    ObjectClass parent_class;
    const char *sound;
    int base_inits;            /* incremented by animal's class_base_init */
} AnimalClass;

typedef struct Dog {
    Animal parent_obj;
    int tricks;
} Dog;

typedef struct BarkerClass {
    InterfaceClass parent_class;
    const char *(*bark)(Object *obj);
} BarkerClass;

static void log_event(const char *fmt, const char *arg)
{
    g_string_append_printf(events, fmt, arg);
    g_string_append_c(events, ';');
}

/* ---- the interfaces ---- */

static const char *default_bark(Object *obj)
{
    return "grr";
}

static void barker_class_init(ObjectClass *klass, void *data)
{
    ((BarkerClass *)klass)->bark = default_bark;
    log_event("ci:%s", object_class_get_name(klass));
}

static void barker_base_init(ObjectClass *klass, void *data)
{
    InterfaceClass *ic = (InterfaceClass *)klass;

    if (ic->concrete_class) {
        log_event("bi-barker:%s", object_class_get_name(ic->concrete_class));
    }
}

static BarkerClass *barker_class_of(ObjectClass *klass)
{
    return OBJECT_CLASS_CHECK(BarkerClass, klass, TYPE_BARKER);
}

/* ---- the animals ---- */

static const Property animal_props[] = {
    DEFINE_PROP_UINT32("legs", Animal, legs, 4),
    DEFINE_PROP_END_OF_LIST(),
};

static void animal_class_init(ObjectClass *klass, void *data)
{
    ((AnimalClass *)klass)->sound = "...";
    object_class_add_props(klass, animal_props);
    log_event("ci:%s", object_class_get_name(klass));
}

static void animal_base_init(ObjectClass *klass, void *data)
{
    ((AnimalClass *)klass)->base_inits++;
    log_event("bi-animal:%s", object_class_get_name(klass));
}

static void animal_init(Object *obj)
{
    ((Animal *)obj)->saw_default = ((Animal *)obj)->legs == 4;
    log_event("ii:%s", "animal");
}

static void animal_post_init(Object *obj)
{
    log_event("pi:%s", "animal");
}

static void animal_finalize(Object *obj)
{
    finalized_count++;
    log_event("fi:%s", "animal");
}

static const char *dog_bark(Object *obj)
{
    return "woof";
}

static const char *puppy_bark(Object *obj)
{
    return "yip";
}

static void dog_class_init(ObjectClass *klass, void *data)
{
    ((AnimalClass *)klass)->sound = "woof";
    barker_class_of(klass)->bark = dog_bark;
    log_event("ci:%s", object_class_get_name(klass));
}

static void dog_base_init(ObjectClass *klass, void *data)
{
    log_event("bi-dog:%s", object_class_get_name(klass));
}

static void dog_init(Object *obj)
{
    ((Dog *)obj)->tricks = 3;
    log_event("ii:%s", "dog");
}

static void dog_finalize(Object *obj)
{
    log_event("fi:%s", "dog");
}

static void puppy_class_init(ObjectClass *klass, void *data)
{
    barker_class_of(klass)->bark = puppy_bark;
    log_event("ci:%s", object_class_get_name(klass));
}

static void puppy_init(Object *obj)
{
    log_event("ii:%s", "puppy");
}

static void puppy_post_init(Object *obj)
{
    log_event("pi:%s", "puppy");
}

static void puppy_finalize(Object *obj)
{
    log_event("fi:%s", "puppy");
}

static const TypeInfo test_types[] = {
    {
        .name = TYPE_BARKER,
        .parent = TYPE_INTERFACE,
        .class_size = sizeof(BarkerClass),
        .class_init = barker_class_init,
        .class_base_init = barker_base_init,
    }, {
        .name = TYPE_LOUD_BARKER,
        .parent = TYPE_BARKER,
    }, {
        .name = TYPE_ANIMAL,
        .parent = TYPE_OBJECT,
        .instance_size = sizeof(Animal),
        .instance_init = animal_init,
        .instance_post_init = animal_post_init,
        .instance_finalize = animal_finalize,
        .abstract = true,
        .class_size = sizeof(AnimalClass),
        .class_init = animal_class_init,
        .class_base_init = animal_base_init,
    }, {
        .name = TYPE_DOG,
        .parent = TYPE_ANIMAL,
        .instance_size = sizeof(Dog),
        .instance_init = dog_init,
        .instance_finalize = dog_finalize,
        .class_init = dog_class_init,
        .class_base_init = dog_base_init,
        .interfaces = (const InterfaceInfo[]) { { TYPE_BARKER }, { NULL } },
    }, {
        .name = TYPE_PUPPY,
        .parent = TYPE_DOG,
        .instance_init = puppy_init,
        .instance_post_init = puppy_post_init,
        .instance_finalize = puppy_finalize,
        .class_init = puppy_class_init,
    }, {
        .name = TYPE_CAT,
        .parent = TYPE_ANIMAL,
    }, {
        .name = TYPE_WOLF,
        .parent = TYPE_ANIMAL,
        .interfaces = (const InterfaceInfo[]) { { TYPE_BARKER }, { NULL } },
    }, {
        .name = TYPE_HUSKY,
        .parent = TYPE_ANIMAL,
        .interfaces = (const InterfaceInfo[]) { { TYPE_LOUD_BARKER }, { NULL } },
    }, {
        .name = "orphan",
        .parent = "no-such-parent",
    },
};

/* ---- types and classes ---- */

static void test_class_init_order(void)
{
    ObjectClass *puppy;

    g_string_truncate(events, 0);
    puppy = object_class_by_name(TYPE_PUPPY);
    g_assert_nonnull(puppy);
    g_assert_cmpstr(events->str, ==,
                    "ci:animal;"
                    "bi-animal:dog;ci:barker;bi-barker:dog;ci:dog;"
                    "bi-animal:puppy;bi-dog:puppy;bi-barker:puppy;ci:puppy;");
    /* Classes are built once. */
    g_string_truncate(events, 0);
    g_assert_true(object_class_by_name(TYPE_PUPPY) == puppy);
    g_assert_true(object_class_by_name(TYPE_DOG) == object_class_get_parent(puppy));
    g_assert_cmpstr(events->str, ==, "");
}

static void test_class_inheritance(void)
{
    AnimalClass *animal = (AnimalClass *)object_class_by_name(TYPE_ANIMAL);
    AnimalClass *dog = (AnimalClass *)object_class_by_name(TYPE_DOG);
    AnimalClass *puppy = (AnimalClass *)object_class_by_name(TYPE_PUPPY);
    AnimalClass *cat = (AnimalClass *)object_class_by_name(TYPE_CAT);

    g_assert_cmpstr(animal->sound, ==, "...");
    g_assert_cmpstr(dog->sound, ==, "woof");
    g_assert_cmpstr(puppy->sound, ==, "woof");      /* copied from dog */
    g_assert_cmpstr(cat->sound, ==, "...");
    /* class_base_init runs for subclasses only, once per level below animal. */
    g_assert_cmpint(animal->base_inits, ==, 0);
    g_assert_cmpint(dog->base_inits, ==, 1);
    g_assert_cmpint(puppy->base_inits, ==, 2);

    g_assert_cmpstr(object_class_get_name(OBJECT_CLASS(puppy)), ==, "puppy");
    g_assert_true(object_class_get_parent(OBJECT_CLASS(puppy)) == OBJECT_CLASS(dog));
    g_assert_true(object_class_get_parent(OBJECT_CLASS(animal)) ==
                  object_class_by_name(TYPE_OBJECT));
    g_assert_null(object_class_get_parent(object_class_by_name(TYPE_OBJECT)));
    g_assert_true(object_class_is_abstract(OBJECT_CLASS(animal)));
    g_assert_false(object_class_is_abstract(OBJECT_CLASS(dog)));
    g_assert_true(object_class_is_abstract(object_class_by_name(TYPE_BARKER)));
    /* The static property of animal is seen from every subclass. */
    g_assert_nonnull(object_class_property_find(OBJECT_CLASS(puppy), "legs"));
    g_assert_null(object_class_property_find(OBJECT_CLASS(puppy), "wings"));
}

static void test_type_lookup(void)
{
    static const TypeInfo again = { .name = TYPE_DOG, .parent = TYPE_CAT };
    GError *err = NULL;

    g_assert_true(type_exists(TYPE_DOG));
    g_assert_true(type_exists(TYPE_OBJECT));
    g_assert_true(type_exists(TYPE_CONTAINER));
    g_assert_false(type_exists("unicorn"));
    g_assert_null(object_class_by_name("unicorn"));
    g_assert_null(object_class_by_name(NULL));

    /* A second registration under a taken name is refused and changes nothing. */
    g_assert_null(type_register(&again));
    g_assert_true(object_class_get_parent(object_class_by_name(TYPE_DOG)) ==
                  object_class_by_name(TYPE_ANIMAL));

    g_assert_null(object_new_checked("unicorn", &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_NOT_FOUND);
    g_assert_cmpstr(err->message, ==, "unknown type 'unicorn'");
    g_clear_error(&err);
    g_assert_null(object_new_checked(TYPE_ANIMAL, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_assert_cmpstr(err->message, ==, "type 'animal' is abstract");
    g_clear_error(&err);
    g_assert_null(object_new_checked(TYPE_BARKER, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_clear_error(&err);
}

static void test_unknown_parent(void)
{
    if (g_test_subprocess()) {
        object_class_by_name("orphan");
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*orphan*no-such-parent*");
}

/* ---- casts ---- */

static void test_cast_checked(void)
{
    Object *dog = object_new(TYPE_DOG);
    Object *puppy = object_new(TYPE_PUPPY);
    Object *cat = object_new(TYPE_CAT);

    g_assert_true(OBJECT_CHECK(Dog, dog, TYPE_DOG) == (Dog *)dog);
    g_assert_true(OBJECT_CHECK(Dog, puppy, TYPE_DOG) == (Dog *)puppy);
    g_assert_true(OBJECT_CHECK(Animal, puppy, TYPE_ANIMAL) == (Animal *)puppy);
    g_assert_true(OBJECT_CHECK(Object, cat, TYPE_OBJECT) == cat);
    g_assert_null(OBJECT_CHECK(Dog, NULL, TYPE_DOG));
    g_assert_null(OBJECT_CLASS_CHECK(AnimalClass, NULL, TYPE_ANIMAL));

    g_assert_true(object_dynamic_cast(puppy, TYPE_PUPPY) == puppy);
    g_assert_null(object_dynamic_cast(dog, TYPE_PUPPY));
    g_assert_null(object_dynamic_cast(cat, TYPE_DOG));
    g_assert_null(object_dynamic_cast(cat, "unicorn"));
    g_assert_null(object_dynamic_cast(NULL, TYPE_DOG));
    g_assert_cmpstr(object_get_typename(puppy), ==, "puppy");
    g_assert_true(OBJECT_GET_CLASS(AnimalClass, puppy, TYPE_ANIMAL) ==
                  (AnimalClass *)object_class_by_name(TYPE_PUPPY));
    g_assert_true(object_class_dynamic_cast(object_get_class(puppy), TYPE_ANIMAL) ==
                  object_get_class(puppy));
    g_assert_null(object_class_dynamic_cast(object_get_class(dog), TYPE_PUPPY));

    object_unref(dog);
    object_unref(puppy);
    object_unref(cat);
}

static void test_cast_assert_fails(void)
{
    if (g_test_subprocess()) {
        Object *cat = object_new(TYPE_CAT);

        OBJECT_CHECK(Dog, cat, TYPE_DOG);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*test-qom.c:*'cat'*'dog'*");
}

static void test_class_cast_assert_fails(void)
{
    if (g_test_subprocess()) {
        barker_class_of(object_class_by_name(TYPE_CAT));
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*test-qom.c:*'cat'*'barker'*");
}

static void test_cast_interface(void)
{
    Object *dog = object_new(TYPE_DOG);
    Object *puppy = object_new(TYPE_PUPPY);
    Object *cat = object_new(TYPE_CAT);
    Object *wolf = object_new(TYPE_WOLF);
    Object *husky = object_new(TYPE_HUSKY);
    BarkerClass *bc;
    ObjectClass *loud;

    g_assert_true(object_dynamic_cast(dog, TYPE_BARKER) == dog);
    g_assert_true(INTERFACE_CHECK(Object, puppy, TYPE_BARKER) == puppy);
    g_assert_null(object_dynamic_cast(cat, TYPE_BARKER));

    bc = barker_class_of(object_get_class(dog));
    g_assert_cmpstr(bc->bark(dog), ==, "woof");
    g_assert_true(bc->parent_class.concrete_class == object_get_class(dog));
    g_assert_cmpstr(object_class_get_name(OBJECT_CLASS(bc)), ==, TYPE_BARKER);
    g_assert_true(object_class_dynamic_cast(OBJECT_CLASS(bc), TYPE_INTERFACE) ==
                  OBJECT_CLASS(bc));

    /* Inherited from dog, then overridden by puppy's class_init: dog is untouched. */
    g_assert_cmpstr(barker_class_of(object_get_class(puppy))->bark(puppy), ==, "yip");
    g_assert_true(barker_class_of(object_get_class(puppy))->parent_class.concrete_class ==
                  object_get_class(puppy));
    g_assert_cmpstr(bc->bark(dog), ==, "woof");
    /* A class that implements without overriding gets the interface's default. */
    g_assert_cmpstr(barker_class_of(object_get_class(wolf))->bark(wolf), ==, "grr");

    /* Implementing a derived interface implies its parent interface. */
    g_assert_true(object_dynamic_cast(husky, TYPE_LOUD_BARKER) == husky);
    g_assert_true(object_dynamic_cast(husky, TYPE_BARKER) == husky);
    g_assert_null(object_dynamic_cast(dog, TYPE_LOUD_BARKER));
    loud = object_class_dynamic_cast(object_get_class(husky), TYPE_LOUD_BARKER);
    g_assert_nonnull(loud);
    g_assert_cmpstr(((BarkerClass *)loud)->bark(husky), ==, "grr");
    g_assert_true(((InterfaceClass *)loud)->interface_type ==
                  object_class_by_name(TYPE_LOUD_BARKER)->type);

    object_unref(dog);
    object_unref(puppy);
    object_unref(cat);
    object_unref(wolf);
    object_unref(husky);
}

/* ---- instances ---- */

static void test_instance_order(void)
{
    Object *puppy;
    Animal *a;

    g_string_truncate(events, 0);
    puppy = object_new(TYPE_PUPPY);
    a = (Animal *)puppy;
    g_assert_cmpstr(events->str, ==,
                    "ii:animal;ii:dog;ii:puppy;pi:animal;pi:puppy;");
    g_assert_true(a->saw_default);
    g_assert_cmpint(((Dog *)puppy)->tricks, ==, 3);
    g_assert_true(puppy->heap_allocated);
    g_assert_cmpint(puppy->ref, ==, 1);

    g_string_truncate(events, 0);
    object_unref(puppy);
    g_assert_cmpstr(events->str, ==, "fi:puppy;fi:dog;fi:animal;");
}

static void test_refcount(void)
{
    Object *dog = object_new(TYPE_DOG);
    int before = finalized_count;

    g_assert_true(object_ref(dog) == dog);
    object_ref(dog);
    g_assert_cmpint(dog->ref, ==, 3);
    object_unref(dog);
    object_unref(dog);
    g_assert_cmpint(finalized_count, ==, before);
    object_unref(dog);
    g_assert_cmpint(finalized_count, ==, before + 1);
    g_assert_null(object_ref(NULL));
    object_unref(NULL);
}

typedef struct Kennel {
    uint32_t before;
    Dog dog;
    uint32_t after;
} Kennel;

static void test_initialize_embedded(void)
{
    Kennel k;
    int before = finalized_count;

    memset(&k, 0xa5, sizeof(k));
    k.before = 0x11111111;
    k.after = 0x22222222;
    object_initialize(&k.dog, sizeof(k.dog), TYPE_DOG);
    g_assert_false(OBJECT(&k.dog)->heap_allocated);
    g_assert_cmpint(OBJECT(&k.dog)->ref, ==, 1);
    g_assert_null(OBJECT(&k.dog)->parent);
    g_assert_cmpuint(k.dog.parent_obj.legs, ==, 4);
    g_assert_cmpint(k.dog.tricks, ==, 3);
    g_assert_true(object_dynamic_cast(OBJECT(&k.dog), TYPE_BARKER) == OBJECT(&k.dog));
    g_assert_cmphex(k.before, ==, 0x11111111);
    g_assert_cmphex(k.after, ==, 0x22222222);

    /* Finalized at the last unref but not freed (ASan would object). */
    object_unref(&k.dog);
    g_assert_cmpint(finalized_count, ==, before + 1);
    g_assert_cmphex(k.after, ==, 0x22222222);
}

static char *class_names(GSList *list)
{
    GString *s = g_string_new(NULL);

    for (GSList *l = list; l; l = l->next) {
        g_string_append_printf(s, "%s%s", s->len ? "," : "", object_class_get_name(l->data));
    }
    g_slist_free(list);
    return g_string_free(s, FALSE);
}

static void count_class(ObjectClass *klass, void *opaque)
{
    (*(int *)opaque)++;
}

static void test_class_list(void)
{
    g_autofree char *animals = class_names(object_class_get_list(TYPE_ANIMAL, false));
    g_autofree char *all_animals = class_names(object_class_get_list(TYPE_ANIMAL, true));
    g_autofree char *barkers = class_names(object_class_get_list(TYPE_BARKER, false));
    g_autofree char *all_barkers = class_names(object_class_get_list(TYPE_BARKER, true));
    GSList *all = object_class_get_list(NULL, true);
    const char *prev = "";
    bool has_object = false, has_container = false;
    int n = 0;

    g_assert_cmpstr(animals, ==, "cat,dog,husky,puppy,wolf");
    g_assert_cmpstr(all_animals, ==, "animal,cat,dog,husky,puppy,wolf");
    g_assert_cmpstr(barkers, ==, "dog,husky,puppy,wolf");
    g_assert_cmpstr(all_barkers, ==, "barker,dog,husky,loud-barker,puppy,wolf");

    /* Every type except the one whose parent is missing (its class cannot be built). */
    for (GSList *l = all; l; l = l->next) {
        const char *name = object_class_get_name(l->data);

        g_assert_cmpstr(name, !=, "orphan");
        g_assert_cmpint(strcmp(prev, name), <, 0);
        has_object |= strcmp(name, TYPE_OBJECT) == 0;
        has_container |= strcmp(name, TYPE_CONTAINER) == 0;
        prev = name;
    }
    g_assert_true(has_object && has_container);
    g_slist_free(all);

    object_class_foreach(count_class, TYPE_DOG, false, &n);
    g_assert_cmpint(n, ==, 2);
}

/* ---- the object tree ---- */

static int collect_names(Object *child, void *opaque)
{
    GString *s = opaque;

    g_string_append_printf(s, "%s;", object_get_canonical_path_component(child));
    return 0;
}

static int stop_at_second(Object *child, void *opaque)
{
    return ++*(int *)opaque == 2 ? 42 : 0;
}

static void test_tree_paths(void)
{
    Object *root = object_get_root();
    Object *pens, *other, *rex, *rex2, *pup, *kid;
    int before = finalized_count;
    g_autofree char *path = NULL;
    g_autofree char *printed = NULL;
    GError *err = NULL;
    bool ambiguous = true;

    g_assert_true(object_get_root() == root);
    path = object_get_canonical_path(root);
    g_assert_cmpstr(path, ==, "/");
    g_clear_pointer(&path, g_free);
    g_assert_true(object_resolve_path("/", NULL) == root);

    pens = container_get(root, "/zoo/pens");
    g_assert_cmpstr(object_get_typename(pens), ==, TYPE_CONTAINER);
    g_assert_true(container_get(root, "/zoo/pens") == pens);
    g_assert_true(container_get(root, "zoo//pens/") == pens);
    other = container_get(container_get(root, "/zoo"), "other");
    path = object_get_canonical_path(other);
    g_assert_cmpstr(path, ==, "/zoo/other");
    g_clear_pointer(&path, g_free);

    rex = object_new(TYPE_DOG);
    g_assert_null(object_get_canonical_path(rex));
    g_assert_null(object_get_canonical_path_component(rex));
    g_assert_true(object_property_add_child(pens, "rex", rex, &err));
    g_assert_no_error(err);
    g_assert_cmpint(rex->ref, ==, 2);
    g_assert_true(rex->parent == pens);
    path = object_get_canonical_path(rex);
    g_assert_cmpstr(path, ==, "/zoo/pens/rex");
    g_clear_pointer(&path, g_free);
    g_assert_cmpstr(object_get_canonical_path_component(rex), ==, "rex");
    g_assert_cmpstr(object_property_find(pens, "rex")->type, ==, "child<dog>");
    g_assert_cmpint(object_property_find(pens, "rex")->kind, ==, PROP_KIND_CHILD);
    printed = object_property_print(pens, "rex", &err);
    g_assert_cmpstr(printed, ==, "/zoo/pens/rex");
    /* A child property cannot be set. */
    g_assert_false(object_property_parse(pens, "rex", "/zoo", &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_PERMISSION);
    g_clear_error(&err);

    /* Absolute resolution. */
    g_assert_true(object_resolve_path("/zoo/pens/rex", &ambiguous) == rex);
    g_assert_false(ambiguous);
    g_assert_null(object_resolve_path("/zoo/nope", NULL));
    g_assert_null(object_resolve_path("/zoo/pens/rex/deeper", NULL));
    g_assert_true(object_resolve_path_type("/zoo/pens/rex", TYPE_ANIMAL, NULL) == rex);
    g_assert_null(object_resolve_path_type("/zoo/pens/rex", TYPE_CAT, NULL));
    g_assert_true(object_resolve_path_component(pens, "rex") == rex);
    g_assert_null(object_resolve_path_component(pens, "rover"));
    g_assert_null(object_resolve_path("", NULL));

    /* Partial resolution: unique, then ambiguous. */
    g_assert_true(object_resolve_path("rex", &ambiguous) == rex);
    g_assert_false(ambiguous);
    g_assert_true(object_resolve_path("pens/rex", NULL) == rex);
    g_assert_true(object_resolve_path("zoo/pens/rex", NULL) == rex);
    g_assert_null(object_resolve_path("ens/rex", &ambiguous));
    g_assert_false(ambiguous);

    rex2 = object_new(TYPE_PUPPY);
    g_assert_true(object_property_add_child(other, "rex", rex2, NULL));
    object_unref(rex2);
    g_assert_null(object_resolve_path("rex", &ambiguous));
    g_assert_true(ambiguous);
    g_assert_true(object_resolve_path("pens/rex", &ambiguous) == rex);
    g_assert_false(ambiguous);
    g_assert_true(object_resolve_path("other/rex", NULL) == rex2);
    /* With a type, unique among the objects of that type. */
    g_assert_true(object_resolve_path_type("rex", TYPE_PUPPY, &ambiguous) == rex2);
    g_assert_false(ambiguous);
    g_assert_null(object_resolve_path_type("rex", TYPE_DOG, &ambiguous));
    g_assert_true(ambiguous);
    g_assert_null(object_resolve_path_type("rex", TYPE_CAT, &ambiguous));
    g_assert_false(ambiguous);

    /* Taken names, second parents and loops are refused. */
    pup = object_new(TYPE_DOG);
    g_assert_false(object_property_add_child(pens, "rex", pup, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_EXISTS);
    g_assert_nonnull(strstr(err->message, "'rex'"));
    g_clear_error(&err);
    g_assert_false(object_property_add_child(other, "again", rex, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_EXISTS);
    g_clear_error(&err);
    g_assert_false(object_property_add_child(rex, "zoo", container_get(root, "/zoo"), &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_EXISTS);
    g_clear_error(&err);
    g_assert_false(object_property_add_child(pens, "a/b", pup, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_false(object_property_add_child(pens, "", pup, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_clear_error(&err);
    /* A class property's name is taken too. */
    g_assert_false(object_property_add_child(rex, "legs", pup, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_EXISTS);
    g_clear_error(&err);
    /* An object cannot go under itself or its own descendant. */
    g_assert_false(object_property_add_child(pup, "self", pup, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_clear_error(&err);
    kid = object_new(TYPE_CAT);
    g_assert_true(object_property_add_child(pup, "kid", kid, NULL));
    g_assert_false(object_property_add_child(kid, "loop", pup, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_clear_error(&err);
    object_unref(kid);
    g_assert_true(object_property_add_child(rex, "pup", pup, NULL));
    object_unref(pup);
    path = object_get_canonical_path(kid);
    g_assert_cmpstr(path, ==, "/zoo/pens/rex/pup/kid");
    g_clear_pointer(&path, g_free);

    object_unparent(rex);
    g_assert_null(rex->parent);
    g_assert_null(object_resolve_path("/zoo/pens/rex", NULL));
    g_assert_true(object_resolve_path("rex", NULL) == rex2);
    g_assert_cmpint(rex->ref, ==, 1);
    object_unparent(rex);       /* no parent: nothing happens */
    object_unref(rex);          /* finalizes rex and, through child properties, pup and kid */
    g_assert_cmpint(finalized_count, ==, before + 3);

    object_unparent(container_get(root, "/zoo"));
    g_assert_null(object_resolve_path("/zoo", NULL));
    g_assert_cmpint(finalized_count, ==, before + 4);
}

static void test_tree_star_names(void)
{
    Object *pack = container_get(object_get_root(), "/pack");
    Object *dogs[4];
    g_autoptr(GString) names = g_string_new(NULL);
    int before = finalized_count;
    int calls = 0;

    for (int i = 0; i < 3; i++) {
        dogs[i] = object_new(TYPE_DOG);
        g_assert_true(object_property_add_child(pack, "dog[*]", dogs[i], NULL));
        object_unref(dogs[i]);
    }
    g_assert_cmpstr(object_get_canonical_path_component(dogs[0]), ==, "dog[0]");
    g_assert_cmpstr(object_get_canonical_path_component(dogs[2]), ==, "dog[2]");
    g_assert_true(object_resolve_path("/pack/dog[1]", NULL) == dogs[1]);
    g_assert_true(object_resolve_path("dog[2]", NULL) == dogs[2]);

    /* The parent held the last reference: unparenting finalizes. */
    object_unparent(dogs[1]);
    g_assert_cmpint(finalized_count, ==, before + 1);
    dogs[3] = object_new(TYPE_CAT);
    g_assert_true(object_property_add_child(pack, "dog[*]", dogs[3], NULL));
    object_unref(dogs[3]);
    g_assert_cmpstr(object_get_canonical_path_component(dogs[3]), ==, "dog[1]");

    g_assert_true(object_property_add_child(pack, "alpha", object_new(TYPE_WOLF), NULL));
    object_unref(object_resolve_path("/pack/alpha", NULL));
    g_assert_cmpint(object_child_foreach(pack, collect_names, names), ==, 0);
    g_assert_cmpstr(names->str, ==, "alpha;dog[0];dog[1];dog[2];");
    g_assert_cmpint(object_child_foreach(pack, stop_at_second, &calls), ==, 42);
    g_assert_cmpint(calls, ==, 2);

    object_unparent(pack);
    g_assert_cmpint(finalized_count, ==, before + 5);
}

static int unparent_all(Object *child, void *opaque)
{
    object_unparent(child);
    (*(int *)opaque)++;
    return 0;
}

static void test_tree_foreach_unparent(void)
{
    Object *box = container_get(object_get_root(), "/box");
    int before = finalized_count;
    int calls = 0;

    for (int i = 0; i < 3; i++) {
        Object *d = object_new(TYPE_DOG);

        g_assert_true(object_property_add_child(box, "d[*]", d, NULL));
        object_unref(d);
    }
    /* The callback may remove the child it is given. */
    g_assert_cmpint(object_child_foreach(box, unparent_all, &calls), ==, 0);
    g_assert_cmpint(calls, ==, 3);
    g_assert_cmpint(finalized_count, ==, before + 3);
    g_assert_null(object_resolve_path("/box/d[0]", NULL));
    object_unparent(box);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    events = g_string_new(NULL);
    type_register_array(test_types, G_N_ELEMENTS(test_types));

    /* First: it watches the classes being built. */
    g_test_add_func("/qom/class/init-order", test_class_init_order);
    g_test_add_func("/qom/class/inheritance", test_class_inheritance);
    g_test_add_func("/qom/type/lookup", test_type_lookup);
    g_test_add_func("/qom/type/unknown-parent", test_unknown_parent);
    g_test_add_func("/qom/cast/checked", test_cast_checked);
    g_test_add_func("/qom/cast/assert-fails", test_cast_assert_fails);
    g_test_add_func("/qom/cast/class-assert-fails", test_class_cast_assert_fails);
    g_test_add_func("/qom/cast/interface", test_cast_interface);
    g_test_add_func("/qom/instance/order", test_instance_order);
    g_test_add_func("/qom/instance/refcount", test_refcount);
    g_test_add_func("/qom/instance/initialize-embedded", test_initialize_embedded);
    g_test_add_func("/qom/tree/paths", test_tree_paths);
    g_test_add_func("/qom/tree/star-names", test_tree_star_names);
    g_test_add_func("/qom/tree/foreach-unparent", test_tree_foreach_unparent);
    g_test_add_func("/qom/class/list", test_class_list);
    return g_test_run();
}
