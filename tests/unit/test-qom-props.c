/*
 * Unit tests of object-model properties: every kind of static field
 * property (defaults, parsing good and bad values, printing), links,
 * custom and accessor properties, the property_set_allowed hook,
 * "key=value,..." strings, lookup order and the sorted listings that
 * -device TYPE,help prints.
 */
#include <string.h>

#include "proteus/qom.h"

#define TYPE_WIDGET "widget"
#define TYPE_GADGET "gadget"
#define TYPE_SPROCKET "sprocket"
#define TYPE_GEAR "gear"

typedef struct Widget {
    Object parent_obj;
    bool enabled;
    int8_t i8;
    int16_t i16;
    int32_t i32;
    int64_t i64;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    uint64_t size;
    char *label;
    char *greeting;
    int mode;
    Object *peer;
    int custom;
    bool locked;
} Widget;

typedef struct WidgetClass {
    ObjectClass parent_class;
} WidgetClass;

static int custom_releases;
static int accessor_releases;

static const char *const mode_names[] = { "slow", "fast", "auto", NULL };

/* A CUSTOM property: "#N" sets the int field at the Property's offset. */
static bool custom_set(Object *obj, ObjectProperty *prop, const char *value, GError **errp)
{
    const Property *p = prop->opaque;
    int64_t v;

    if (!value || value[0] != '#' || !parse_int64(value + 1, &v, NULL)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "'%s' is not of the form #N",
                        value ? value : "");
        return false;
    }
    *(int *)((char *)obj + p->offset) = v;
    return true;
}

static char *custom_get(Object *obj, ObjectProperty *prop, GError **errp)
{
    const Property *p = prop->opaque;

    return g_strdup_printf("#%d", *(int *)((char *)obj + p->offset));
}

static void custom_release(Object *obj, ObjectProperty *prop)
{
    custom_releases++;
}

static const Property widget_props[] = {
    DEFINE_PROP_BOOL("enabled", Widget, enabled, true),
    { PROP_FIELD_("i8", Widget, i8, PROP_KIND_INT, int8_t), .defval.i = -5 },
    { PROP_FIELD_("i16", Widget, i16, PROP_KIND_INT, int16_t), .defval.i = 1000 },
    DEFINE_PROP_INT32("i32", Widget, i32, -70000),
    DEFINE_PROP_INT64("i64", Widget, i64, INT64_MIN),
    DEFINE_PROP_UINT8("u8", Widget, u8, 200),
    DEFINE_PROP_UINT16("u16", Widget, u16, 65535),
    DEFINE_PROP_UINT32("u32", Widget, u32, 0x10000000),
    DEFINE_PROP_UINT64("u64", Widget, u64, UINT64_MAX),
    DEFINE_PROP_SIZE("size", Widget, size, 4096),
    DEFINE_PROP_STRING("label", Widget, label),
    { PROP_FIELD_("greeting", Widget, greeting, PROP_KIND_STRING, char *),
      .defval.s = "hello", .description = "what the widget says" },
    DEFINE_PROP_ENUM("mode", Widget, mode, 2, "WidgetMode", mode_names),
    DEFINE_PROP_LINK("peer", Widget, peer, TYPE_SPROCKET),
    { .name = "custom", .kind = PROP_KIND_CUSTOM, .offset = offsetof(Widget, custom),
      .type_name = "hashnum", .set = custom_set, .get = custom_get,
      .release = custom_release },
    DEFINE_PROP_END_OF_LIST(),
};

/* A gadget redefines u8 (another default) and custom, and adds a property. */
typedef struct Gadget {
    Widget parent_obj;
    bool extra;
} Gadget;

static const Property gadget_props[] = {
    DEFINE_PROP_UINT8("u8", Widget, u8, 7),
    { .name = "custom", .kind = PROP_KIND_CUSTOM, .offset = offsetof(Widget, custom),
      .type_name = "hashnum", .set = custom_set, .get = custom_get,
      .release = custom_release, .description = "gadget's own" },
    DEFINE_PROP_BOOL("extra", Gadget, extra, false),
    DEFINE_PROP_END_OF_LIST(),
};

static bool widget_set_allowed(Object *obj, ObjectProperty *prop, GError **errp)
{
    Widget *w = (Widget *)obj;

    if (w->locked && strcmp(prop->name, "greeting") == 0) {
        return false;       /* no message: the caller supplies one */
    }
    if (w->locked) {
        error_setg_code(errp, PROTEUS_ERROR_PERMISSION, "widget is locked, '%s' is frozen",
                        prop->name);
        return false;
    }
    return true;
}

static char *serial_get(Object *obj, ObjectProperty *prop, GError **errp)
{
    return g_strdup("SN-1");
}

static bool secret_set(Object *obj, ObjectProperty *prop, const char *value, GError **errp)
{
    return true;
}

static void widget_class_init(ObjectClass *klass, void *data)
{
    object_class_add_props(klass, widget_props);
    object_class_property_set_description(klass, "u8", "an 8-bit knob");
    object_class_property_add(klass, "serial", "str", serial_get, NULL, NULL, NULL);
    object_class_property_add(klass, "secret", "str", NULL, secret_set, NULL, NULL);
    klass->property_set_allowed = widget_set_allowed;
}

static void gadget_class_init(ObjectClass *klass, void *data)
{
    object_class_add_props(klass, gadget_props);
}

static const TypeInfo prop_types[] = {
    {
        .name = TYPE_WIDGET,
        .parent = TYPE_OBJECT,
        .instance_size = sizeof(Widget),
        .class_size = sizeof(WidgetClass),
        .class_init = widget_class_init,
    }, {
        .name = TYPE_GADGET,
        .parent = TYPE_WIDGET,
        .instance_size = sizeof(Gadget),
        .class_init = gadget_class_init,
    }, {
        .name = TYPE_SPROCKET,
        .parent = TYPE_OBJECT,
    }, {
        .name = TYPE_GEAR,
        .parent = TYPE_OBJECT,
    },
};

/* ---- helpers ---- */

static Widget *widget_new(void)
{
    return (Widget *)object_new(TYPE_WIDGET);
}

static void assert_prints(Object *obj, const char *name, const char *expected)
{
    GError *err = NULL;
    g_autofree char *s = object_property_print(obj, name, &err);

    g_assert_no_error(err);
    g_assert_cmpstr(s, ==, expected);
}

/* Parsing value into name must fail with code and a message containing each needle. */
static void assert_parse_fails(Object *obj, const char *name, const char *value, int code,
                               const char *needle1, const char *needle2)
{
    GError *err = NULL;

    g_assert_false(object_property_parse(obj, name, value, &err));
    g_assert_error(err, PROTEUS_ERROR, code);
    if (!strstr(err->message, needle1) || (needle2 && !strstr(err->message, needle2))) {
        g_error("setting %s='%s': message '%s' lacks '%s'/'%s'", name, value, err->message,
                needle1, needle2 ? needle2 : "");
    }
    g_error_free(err);
}

static void assert_parses(Object *obj, const char *name, const char *value,
                          const char *printed)
{
    GError *err = NULL;

    g_assert_true(object_property_parse(obj, name, value, &err));
    g_assert_no_error(err);
    assert_prints(obj, name, printed);
}

/* ---- static properties ---- */

static void test_defaults(void)
{
    Widget *w = widget_new();
    Object *o = OBJECT(w);

    g_assert_true(w->enabled);
    g_assert_cmpint(w->i8, ==, -5);
    g_assert_cmpint(w->i16, ==, 1000);
    g_assert_cmpint(w->i32, ==, -70000);
    g_assert_cmpint(w->i64, ==, INT64_MIN);
    g_assert_cmpuint(w->u8, ==, 200);
    g_assert_cmpuint(w->u16, ==, 65535);
    g_assert_cmpuint(w->u32, ==, 0x10000000);
    g_assert_cmpuint(w->u64, ==, UINT64_MAX);
    g_assert_cmpuint(w->size, ==, 4096);
    g_assert_null(w->label);
    g_assert_cmpstr(w->greeting, ==, "hello");
    g_assert_cmpint(w->mode, ==, 2);
    g_assert_null(w->peer);

    assert_prints(o, "enabled", "true");
    assert_prints(o, "i8", "-5");
    assert_prints(o, "i64", "-9223372036854775808");
    assert_prints(o, "u64", "18446744073709551615");
    assert_prints(o, "size", "4096");
    assert_prints(o, "label", "");
    assert_prints(o, "greeting", "hello");
    assert_prints(o, "mode", "auto");
    assert_prints(o, "peer", "");
    assert_prints(o, "custom", "#0");
    object_unref(w);
}

static void test_bool(void)
{
    Widget *w = widget_new();
    Object *o = OBJECT(w);
    static const struct { const char *s; bool v; } good[] = {
        { "off", false }, { "on", true }, { "no", false }, { "yes", true },
        { "false", false }, { "true", true }, { "OFF", false }, { "Yes", true },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        assert_parses(o, "enabled", good[i].s, good[i].v ? "true" : "false");
        g_assert_true(w->enabled == good[i].v);
    }
    assert_parse_fails(o, "enabled", "maybe", PROTEUS_ERROR_INVALID,
                       "widget: property 'enabled': 'maybe' is not a boolean", NULL);
    assert_parse_fails(o, "enabled", "", PROTEUS_ERROR_INVALID, "not a boolean", NULL);
    assert_parse_fails(o, "enabled", "1", PROTEUS_ERROR_INVALID, "not a boolean", NULL);
    assert_parse_fails(o, "enabled", "on ", PROTEUS_ERROR_INVALID, "not a boolean", NULL);
    assert_parse_fails(o, "enabled", NULL, PROTEUS_ERROR_INVALID, "value is required", NULL);
    g_assert_true(w->enabled);
    object_unref(w);
}

static void test_int(void)
{
    Widget *w = widget_new();
    Object *o = OBJECT(w);

    assert_parses(o, "i8", "127", "127");
    assert_parses(o, "i8", "-128", "-128");
    assert_parses(o, "i8", "0x10", "16");
    assert_parses(o, "i8", "-0x10", "-16");
    assert_parses(o, "i8", "+7", "7");
    assert_parses(o, "i8", "010", "8");        /* C syntax: a leading 0 is octal */
    assert_parse_fails(o, "i8", "128", PROTEUS_ERROR_INVALID,
                       "widget: property 'i8': value 128 out of range for int8", NULL);
    assert_parse_fails(o, "i8", "-129", PROTEUS_ERROR_INVALID, "out of range for int8", NULL);
    assert_parses(o, "i16", "-32768", "-32768");
    assert_parse_fails(o, "i16", "32768", PROTEUS_ERROR_INVALID, "out of range for int16",
                       NULL);
    assert_parses(o, "i32", "0x7fffffff", "2147483647");
    assert_parse_fails(o, "i32", "2147483648", PROTEUS_ERROR_INVALID,
                       "value 2147483648 out of range for int32", NULL);
    assert_parse_fails(o, "i32", "-2147483649", PROTEUS_ERROR_INVALID,
                       "out of range for int32", NULL);
    assert_parses(o, "i64", "9223372036854775807", "9223372036854775807");
    assert_parse_fails(o, "i64", "9223372036854775808", PROTEUS_ERROR_INVALID,
                       "out of range", NULL);
    assert_parse_fails(o, "i64", "-9223372036854775809", PROTEUS_ERROR_INVALID,
                       "out of range", NULL);

    assert_parse_fails(o, "i32", "abc", PROTEUS_ERROR_INVALID,
                       "widget: property 'i32': 'abc' is not a number", NULL);
    assert_parse_fails(o, "i32", "12abc", PROTEUS_ERROR_INVALID, "is not a number", NULL);
    assert_parse_fails(o, "i32", "", PROTEUS_ERROR_INVALID, "is not a number", NULL);
    assert_parse_fails(o, "i32", " 1", PROTEUS_ERROR_INVALID, "is not a number", NULL);
    assert_parse_fails(o, "i32", "0x", PROTEUS_ERROR_INVALID, "is not a number", NULL);
    assert_parse_fails(o, "i32", "1.5", PROTEUS_ERROR_INVALID, "is not a number", NULL);
    assert_parse_fails(o, "i32", "08", PROTEUS_ERROR_INVALID, "is not a number", NULL);
    /* A failed set leaves the old value. */
    g_assert_cmpint(w->i32, ==, 2147483647);
    object_unref(w);
}

static void test_uint(void)
{
    Widget *w = widget_new();
    Object *o = OBJECT(w);

    assert_parses(o, "u8", "255", "255");
    assert_parses(o, "u8", "0xff", "255");
    assert_parses(o, "u8", "0", "0");
    assert_parse_fails(o, "u8", "256", PROTEUS_ERROR_INVALID,
                       "widget: property 'u8': value 256 out of range for uint8", NULL);
    assert_parse_fails(o, "u8", "300", PROTEUS_ERROR_INVALID,
                       "value 300 out of range for uint8", NULL);
    assert_parse_fails(o, "u8", "-1", PROTEUS_ERROR_INVALID, "'-1' is negative", NULL);
    assert_parse_fails(o, "u8", "x", PROTEUS_ERROR_INVALID, "'x' is not a number", NULL);
    assert_parse_fails(o, "u8", "", PROTEUS_ERROR_INVALID, "is not a number", NULL);
    g_assert_cmpuint(w->u8, ==, 0);
    assert_parses(o, "u16", "65535", "65535");
    assert_parse_fails(o, "u16", "65536", PROTEUS_ERROR_INVALID, "out of range for uint16",
                       NULL);
    assert_parses(o, "u32", "4294967295", "4294967295");
    assert_parse_fails(o, "u32", "4294967296", PROTEUS_ERROR_INVALID,
                       "out of range for uint32", NULL);
    assert_parses(o, "u64", "0xffffffffffffffff", "18446744073709551615");
    assert_parses(o, "u64", "0", "0");
    assert_parse_fails(o, "u64", "18446744073709551616", PROTEUS_ERROR_INVALID,
                       "out of range", NULL);
    assert_parse_fails(o, "u64", "-0", PROTEUS_ERROR_INVALID, "negative", NULL);
    object_unref(w);
}

static void test_size(void)
{
    Widget *w = widget_new();
    Object *o = OBJECT(w);
    uint64_t v;
    GError *err = NULL;

    assert_parses(o, "size", "64K", "65536");
    assert_parses(o, "size", "64k", "65536");
    assert_parses(o, "size", "1M", "1048576");
    assert_parses(o, "size", "2G", "2147483648");
    assert_parses(o, "size", "3T", "3298534883328");
    assert_parses(o, "size", "1P", "1125899906842624");
    assert_parses(o, "size", "15E", "17293822569102704640");
    assert_parses(o, "size", "512B", "512");
    assert_parses(o, "size", "4096", "4096");
    assert_parses(o, "size", "0x1000", "4096");
    assert_parses(o, "size", "18446744073709551615", "18446744073709551615");
    assert_parse_fails(o, "size", "16E", PROTEUS_ERROR_INVALID, "too large", NULL);
    assert_parse_fails(o, "size", "17179869184G", PROTEUS_ERROR_INVALID, "too large", NULL);
    assert_parse_fails(o, "size", "18446744073709551616", PROTEUS_ERROR_INVALID,
                       "too large", NULL);
    assert_parse_fails(o, "size", "1.5G", PROTEUS_ERROR_INVALID,
                       "widget: property 'size': '1.5G' is not a size", NULL);
    assert_parse_fails(o, "size", "10X", PROTEUS_ERROR_INVALID, "is not a size", NULL);
    assert_parse_fails(o, "size", "1KB", PROTEUS_ERROR_INVALID, "is not a size", NULL);
    assert_parse_fails(o, "size", "K", PROTEUS_ERROR_INVALID, "is not a size", NULL);
    assert_parse_fails(o, "size", "", PROTEUS_ERROR_INVALID, "is not a size", NULL);
    assert_parse_fails(o, "size", "-1", PROTEUS_ERROR_INVALID, "is not a size", NULL);
    g_assert_cmpuint(w->size, ==, UINT64_MAX);

    /* The parser itself, as option parsing uses it. */
    g_assert_true(parse_size("8M", &v, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(v, ==, 8 << 20);
    g_assert_false(parse_size("8Q", &v, NULL));
    g_assert_cmpuint(v, ==, 8 << 20);
    object_unref(w);
}

static void test_string(void)
{
    Widget *w = widget_new();
    Object *o = OBJECT(w);
    GError *err = NULL;
    g_autofree char *s = NULL;

    assert_parses(o, "label", "abc", "abc");
    assert_parses(o, "label", "", "");
    g_assert_cmpstr(w->label, ==, "");
    assert_parses(o, "label", "with,comma and spaces", "with,comma and spaces");
    g_assert_true(object_property_set_str(o, "label", NULL, &err));
    g_assert_no_error(err);
    g_assert_null(w->label);
    assert_prints(o, "label", "");
    g_assert_true(object_property_set_str(o, "greeting", "bye", &err));
    s = object_property_get_str(o, "greeting", &err);
    g_assert_no_error(err);
    g_assert_cmpstr(s, ==, "bye");
    /* Left set at finalize: freed there (ASan checks). */
    g_assert_true(object_property_set_str(o, "label", "kept", &err));
    object_unref(w);
}

static void test_enum(void)
{
    Widget *w = widget_new();
    Object *o = OBJECT(w);

    assert_parses(o, "mode", "fast", "fast");
    g_assert_cmpint(w->mode, ==, 1);
    assert_parses(o, "mode", "slow", "slow");
    g_assert_cmpint(w->mode, ==, 0);
    assert_parse_fails(o, "mode", "warp", PROTEUS_ERROR_INVALID,
                       "widget: property 'mode': 'warp' is not a valid WidgetMode",
                       "allowed: slow, fast, auto");
    assert_parse_fails(o, "mode", "", PROTEUS_ERROR_INVALID, "allowed", NULL);
    assert_parse_fails(o, "mode", "1", PROTEUS_ERROR_INVALID, "allowed", NULL);
    assert_parse_fails(o, "mode", "FAST", PROTEUS_ERROR_INVALID, "allowed", NULL);
    g_assert_cmpint(w->mode, ==, 0);
    g_assert_cmpstr(object_property_find(o, "mode")->type, ==, "WidgetMode");
    object_unref(w);
}

static void test_link(void)
{
    Object *lt = container_get(object_get_root(), "/lt");
    Object *s1 = object_new(TYPE_SPROCKET);
    Object *s2 = object_new(TYPE_SPROCKET);
    Object *g1 = object_new(TYPE_GEAR);
    Object *loose = object_new(TYPE_SPROCKET);
    Widget *w = widget_new();
    Object *o = OBJECT(w);
    GError *err = NULL;

    g_assert_true(object_property_add_child(lt, "s1", s1, NULL));
    g_assert_true(object_property_add_child(lt, "g1", g1, NULL));
    g_assert_cmpstr(object_property_find(o, "peer")->type, ==, "link<sprocket>");

    assert_parses(o, "peer", "/lt/s1", "/lt/s1");
    g_assert_true(w->peer == s1);
    g_assert_cmpint(s1->ref, ==, 3);        /* ours, the tree's, the link's */
    g_assert_true(object_property_get_link(o, "peer", &err) == s1);
    assert_parses(o, "peer", "s1", "/lt/s1");
    g_assert_cmpint(s1->ref, ==, 3);

    assert_parse_fails(o, "peer", "/lt/g1", PROTEUS_ERROR_INVALID,
                       "widget: property 'peer': no object of type sprocket at '/lt/g1'",
                       NULL);
    assert_parse_fails(o, "peer", "/lt/missing", PROTEUS_ERROR_INVALID,
                       "no object of type sprocket at '/lt/missing'", NULL);
    assert_parse_fails(o, "peer", "g1", PROTEUS_ERROR_INVALID, "no object", NULL);
    g_assert_true(w->peer == s1);

    /* Two sprockets called "s": a partial path is ambiguous. */
    g_assert_true(object_property_add_child(lt, "s", s2, NULL));
    g_assert_true(object_property_add_child(container_get(lt, "more"), "s", loose, NULL));
    assert_parse_fails(o, "peer", "s", PROTEUS_ERROR_INVALID, "more than one", NULL);
    object_unparent(loose);

    /* Clearing drops the link's reference. */
    assert_parses(o, "peer", "", "");
    g_assert_null(w->peer);
    g_assert_cmpint(s1->ref, ==, 2);

    /* Direct links need no path, but still check the type. */
    g_assert_true(object_property_set_link(o, "peer", loose, &err));
    g_assert_no_error(err);
    g_assert_true(w->peer == loose);
    g_assert_cmpint(loose->ref, ==, 2);
    assert_prints(o, "peer", "");            /* not in the tree: no path */
    g_assert_false(object_property_set_link(o, "peer", g1, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_assert_nonnull(strstr(err->message, "gear"));
    g_clear_error(&err);
    g_assert_true(w->peer == loose);
    g_assert_true(object_property_set_link(o, "peer", s2, &err));
    g_assert_cmpint(loose->ref, ==, 1);
    g_assert_cmpint(s2->ref, ==, 3);

    /* Finalizing the widget drops its link. */
    object_unref(w);
    g_assert_cmpint(s2->ref, ==, 2);

    object_unref(loose);
    object_unref(s1);
    object_unref(s2);
    object_unref(g1);
    object_unparent(lt);
}

static void test_custom(void)
{
    Widget *w = widget_new();
    Object *o = OBJECT(w);
    int before = custom_releases;

    assert_parses(o, "custom", "#42", "#42");
    g_assert_cmpint(w->custom, ==, 42);
    assert_parse_fails(o, "custom", "42", PROTEUS_ERROR_INVALID,
                       "widget: property 'custom': '42' is not of the form #N", NULL);
    g_assert_cmpstr(object_property_find(o, "custom")->type, ==, "hashnum");
    g_assert_cmpint(object_property_find(o, "custom")->kind, ==, PROP_KIND_CUSTOM);
    g_assert_null(object_property_find(o, "custom")->default_value);
    g_assert_cmpint(object_property_get_int(o, "u16", NULL), ==, 65535);
    object_unref(w);
    g_assert_cmpint(custom_releases, ==, before + 1);
}

static void test_set_allowed(void)
{
    Widget *w = widget_new();
    Object *o = OBJECT(w);
    GError *err = NULL;

    w->locked = true;
    assert_parse_fails(o, "u8", "1", PROTEUS_ERROR_PERMISSION,
                       "widget is locked, 'u8' is frozen", NULL);
    /* A refusal without a message gets one. */
    assert_parse_fails(o, "greeting", "x", PROTEUS_ERROR_PERMISSION,
                       "widget: property 'greeting' cannot be changed now", NULL);
    g_assert_false(object_property_set_link(o, "peer", NULL, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_PERMISSION);
    g_clear_error(&err);
    g_assert_false(object_set_props_from_string(o, "u8=1", &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_PERMISSION);
    g_clear_error(&err);
    g_assert_cmpuint(w->u8, ==, 200);
    g_assert_cmpstr(w->greeting, ==, "hello");

    w->locked = false;
    assert_parses(o, "u8", "1", "1");
    object_unref(w);
}

static void test_from_string(void)
{
    Widget *w = widget_new();
    Object *o = OBJECT(w);
    GError *err = NULL;

    g_assert_true(object_set_props_from_string(o, "u8=7,label=x,,y,enabled=off", &err));
    g_assert_no_error(err);
    g_assert_cmpuint(w->u8, ==, 7);
    g_assert_cmpstr(w->label, ==, "x,y");
    g_assert_false(w->enabled);

    g_assert_true(object_set_props_from_string(o, "label=a,,,,b", &err));
    g_assert_cmpstr(w->label, ==, "a,,b");
    g_assert_true(object_set_props_from_string(o, "label=trail,,", &err));
    g_assert_cmpstr(w->label, ==, "trail,");
    g_assert_true(object_set_props_from_string(o, "label=,u16=9", &err));
    g_assert_cmpstr(w->label, ==, "");
    g_assert_cmpuint(w->u16, ==, 9);
    g_assert_true(object_set_props_from_string(o, "label=k=v", &err));
    g_assert_cmpstr(w->label, ==, "k=v");
    g_assert_true(object_set_props_from_string(o, "", &err));
    g_assert_true(object_set_props_from_string(o, "u32=3,", &err));
    g_assert_cmpuint(w->u32, ==, 3);
    g_assert_no_error(err);

    g_assert_false(object_set_props_from_string(o, "u8", &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_assert_nonnull(strstr(err->message, "expected key=value"));
    g_clear_error(&err);
    g_assert_false(object_set_props_from_string(o, "u8=1,enabled", &err));
    g_assert_nonnull(strstr(err->message, "expected key=value, got 'enabled'"));
    g_clear_error(&err);
    g_assert_false(object_set_props_from_string(o, "=5", &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_false(object_set_props_from_string(o, ",u8=5", &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_clear_error(&err);

    /* Stops at the first error: earlier settings stay, later ones never happen. */
    g_assert_false(object_set_props_from_string(o, "u8=9,u16=bad,u32=5", &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_assert_nonnull(strstr(err->message, "widget: property 'u16': 'bad' is not a number"));
    g_clear_error(&err);
    g_assert_cmpuint(w->u8, ==, 9);
    g_assert_cmpuint(w->u32, ==, 3);

    g_assert_false(object_set_props_from_string(o, "nosuch=1", &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_NOT_FOUND);
    g_assert_cmpstr(err->message, ==, "widget: no property 'nosuch'");
    g_clear_error(&err);
    object_unref(w);
}

static void test_unknown(void)
{
    Widget *w = widget_new();
    Object *o = OBJECT(w);
    GError *err = NULL;

    g_assert_false(object_property_parse(o, "foo", "1", &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_NOT_FOUND);
    g_assert_cmpstr(err->message, ==, "widget: no property 'foo'");
    g_clear_error(&err);
    g_assert_null(object_property_print(o, "foo", &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_NOT_FOUND);
    g_clear_error(&err);
    g_assert_false(object_property_get_bool(o, "foo", &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_NOT_FOUND);
    g_clear_error(&err);
    g_assert_null(object_property_get_link(o, "foo", &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_NOT_FOUND);
    g_clear_error(&err);
    g_assert_null(object_property_find(o, "foo"));
    object_unref(w);
}

/* ---- accessor properties ---- */

typedef struct {
    int value;
    bool fail_quietly;
} Thermometer;

static bool temp_set(Object *obj, ObjectProperty *prop, const char *value, GError **errp)
{
    Thermometer *t = prop->opaque;
    int64_t v;

    if (t->fail_quietly) {
        return false;
    }
    if (!parse_int64(value, &v, errp)) {
        return false;
    }
    if (v < -273) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "below absolute zero");
        return false;
    }
    t->value = v;
    return true;
}

static char *temp_get(Object *obj, ObjectProperty *prop, GError **errp)
{
    return g_strdup_printf("%d", ((Thermometer *)prop->opaque)->value);
}

static void temp_release(Object *obj, ObjectProperty *prop)
{
    accessor_releases++;
}

static void test_accessor(void)
{
    Widget *w = widget_new();
    Widget *w2 = widget_new();
    Object *o = OBJECT(w);
    Thermometer t = { .value = 20 };
    ObjectProperty *prop;
    GError *err = NULL;
    int before = accessor_releases;

    prop = object_property_add(o, "temp", "int32", temp_get, temp_set, temp_release, &t);
    g_assert_nonnull(prop);
    g_assert_true(object_property_find(o, "temp") == prop);
    g_assert_null(object_property_find(OBJECT(w2), "temp"));   /* this instance only */
    g_assert_null(object_class_property_find(object_get_class(o), "temp"));

    g_assert_cmpint(object_property_get_int(o, "temp", &err), ==, 20);
    g_assert_true(object_property_set_int(o, "temp", -40, &err));
    g_assert_no_error(err);
    g_assert_cmpint(t.value, ==, -40);
    g_assert_false(object_property_set_int(o, "temp", -300, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_assert_cmpstr(err->message, ==, "widget: property 'temp': below absolute zero");
    g_clear_error(&err);
    t.fail_quietly = true;
    g_assert_false(object_property_parse(o, "temp", "5", &err));
    g_assert_nonnull(strstr(err->message, "widget: property 'temp': cannot be set to '5'"));
    g_clear_error(&err);

    /* Read-only and write-only class accessors. */
    assert_prints(o, "serial", "SN-1");
    assert_parse_fails(o, "serial", "x", PROTEUS_ERROR_PERMISSION, "read-only", NULL);
    g_assert_true(object_property_parse(o, "secret", "x", &err));
    g_assert_null(object_property_print(o, "secret", &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_PERMISSION);
    g_assert_nonnull(strstr(err->message, "write-only"));
    g_clear_error(&err);

    object_property_del(o, "temp");
    g_assert_cmpint(accessor_releases, ==, before + 1);
    g_assert_null(object_property_find(o, "temp"));

    /* Instance properties are released when the object goes. */
    object_property_add(o, "temp", "int32", temp_get, temp_set, temp_release, &t);
    object_unref(w);
    g_assert_cmpint(accessor_releases, ==, before + 2);
    object_unref(w2);
}

static void test_add_twice(void)
{
    if (g_test_subprocess()) {
        Widget *w = widget_new();

        object_property_add(OBJECT(w), "u8", "uint8", NULL, NULL, NULL, NULL);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*widget*'u8'*twice*");
}

static void test_typed_wrappers(void)
{
    Widget *w = widget_new();
    Object *o = OBJECT(w);
    GError *err = NULL;
    g_autofree char *s = NULL;

    g_assert_true(object_property_set_bool(o, "enabled", false, &err));
    g_assert_false(object_property_get_bool(o, "enabled", &err));
    g_assert_true(object_property_set_bool(o, "enabled", true, &err));
    g_assert_true(object_property_get_bool(o, "enabled", &err));
    g_assert_true(object_property_set_uint(o, "size", 1 << 20, &err));
    g_assert_cmpuint(object_property_get_uint(o, "size", &err), ==, 1 << 20);
    g_assert_cmpuint(object_property_get_uint(o, "u64", &err), ==, UINT64_MAX);
    g_assert_true(object_property_set_int(o, "i64", INT64_MIN, &err));
    g_assert_cmpint(object_property_get_int(o, "i64", &err), ==, INT64_MIN);
    g_assert_no_error(err);

    g_assert_false(object_property_set_int(o, "u8", -1, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_false(object_property_set_uint(o, "i8", 200, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_clear_error(&err);
    /* u64's value does not fit an int64. */
    g_assert_cmpint(object_property_get_int(o, "u64", &err), ==, 0);
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_assert_nonnull(strstr(err->message, "widget: property 'u64'"));
    g_clear_error(&err);
    g_assert_false(object_property_get_bool(o, "mode", &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_null(object_property_get_link(o, "peer", &err));
    g_assert_no_error(err);

    s = object_property_get_str(o, "mode", &err);
    g_assert_cmpstr(s, ==, "auto");
    object_unref(w);
}

static void test_round_trip(void)
{
    static const char *const names[] = {
        "enabled", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "size",
        "label", "greeting", "mode", "custom",
    };
    Widget *a = widget_new();
    Widget *b = widget_new();
    GError *err = NULL;

    g_assert_true(object_set_props_from_string(OBJECT(a),
        "enabled=no,i8=-3,i16=0x100,i32=-1,i64=5,u8=1,u16=2,u32=3,u64=4,size=2G,"
        "label=l,,m,greeting=,mode=fast,custom=#9", &err));
    g_assert_no_error(err);
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *s = object_property_print(OBJECT(a), names[i], &err);
        g_autofree char *t = NULL;

        g_assert_no_error(err);
        g_assert_true(object_property_parse(OBJECT(b), names[i], s, &err));
        g_assert_no_error(err);
        t = object_property_print(OBJECT(b), names[i], &err);
        g_assert_cmpstr(s, ==, t);
    }
    g_assert_cmpint(memcmp(&a->enabled, &b->enabled,
                           offsetof(Widget, size) + sizeof(uint64_t) - offsetof(Widget, enabled)),
                    ==, 0);
    g_assert_cmpstr(b->label, ==, "l,m");
    object_unref(a);
    object_unref(b);
}

/* ---- lookup and listings ---- */

static void test_lookup(void)
{
    ObjectClass *wc = object_class_by_name(TYPE_WIDGET);
    ObjectClass *gc = object_class_by_name(TYPE_GADGET);
    Gadget *g = (Gadget *)object_new(TYPE_GADGET);
    Object *o = OBJECT(g);
    ObjectProperty *own_u8 = object_class_property_find(gc, "u8");
    int before = custom_releases;

    /* The nearest class wins: gadget's u8, widget's everything else. */
    g_assert_nonnull(own_u8);
    g_assert_true(own_u8 != object_class_property_find(wc, "u8"));
    g_assert_true(object_class_property_find(gc, "label") ==
                  object_class_property_find(wc, "label"));
    g_assert_null(object_class_property_find(wc, "extra"));
    g_assert_true(object_property_find(o, "u8") == own_u8);
    g_assert_cmpuint(g->parent_obj.u8, ==, 7);
    assert_prints(o, "u8", "7");
    assert_prints(o, "extra", "false");
    assert_prints(o, "greeting", "hello");
    g_assert_cmpstr(own_u8->default_value, ==, "7");
    /* Widget's property_set_allowed is inherited through the copied class. */
    g->parent_obj.locked = true;
    assert_parse_fails(o, "extra", "on", PROTEUS_ERROR_PERMISSION, "locked", NULL);
    /* Only the visible definition of a redefined property is released. */
    object_unref(g);
    g_assert_cmpint(custom_releases, ==, before + 1);
}

static void test_listing(void)
{
    ObjectClass *wc = object_class_by_name(TYPE_WIDGET);
    g_autoptr(GPtrArray) props = object_class_get_properties(wc);
    g_autoptr(GPtrArray) gprops = object_class_get_properties(object_class_by_name(TYPE_GADGET));
    g_autoptr(GPtrArray) iprops = NULL;
    g_autoptr(GString) names = g_string_new(NULL);
    Widget *w = widget_new();
    static const struct {
        const char *name, *type, *def;
    } expect[] = {
        { "custom", "hashnum", NULL },
        { "enabled", "bool", "true" },
        { "greeting", "str", "hello" },
        { "i16", "int16", "1000" },
        { "i32", "int32", "-70000" },
        { "i64", "int64", "-9223372036854775808" },
        { "i8", "int8", "-5" },
        { "label", "str", NULL },
        { "mode", "WidgetMode", "auto" },
        { "peer", "link<sprocket>", NULL },
        { "secret", "str", NULL },
        { "serial", "str", NULL },
        { "size", "size", "4096" },
        { "u16", "uint16", "65535" },
        { "u32", "uint32", "268435456" },
        { "u64", "uint64", "18446744073709551615" },
        { "u8", "uint8", "200" },
    };

    g_assert_cmpuint(props->len, ==, G_N_ELEMENTS(expect));
    for (guint i = 0; i < props->len; i++) {
        ObjectProperty *p = g_ptr_array_index(props, i);

        g_assert_cmpstr(p->name, ==, expect[i].name);
        g_assert_cmpstr(p->type, ==, expect[i].type);
        g_assert_cmpstr(p->default_value, ==, expect[i].def);
    }
    g_assert_cmpstr(((ObjectProperty *)props->pdata[16])->description, ==, "an 8-bit knob");
    g_assert_cmpstr(((ObjectProperty *)props->pdata[2])->description, ==,
                    "what the widget says");

    /* Inherited ones plus gadget's, each name once. */
    g_assert_cmpuint(gprops->len, ==, G_N_ELEMENTS(expect) + 1);
    g_assert_cmpstr(((ObjectProperty *)gprops->pdata[2])->name, ==, "extra");
    g_assert_cmpstr(((ObjectProperty *)gprops->pdata[17])->default_value, ==, "7");
    g_assert_cmpstr(((ObjectProperty *)gprops->pdata[0])->description, ==, "gadget's own");

    /* An object's list adds its instance properties. */
    object_property_add(OBJECT(w), "aaa", "str", NULL, NULL, NULL, NULL);
    object_property_add(OBJECT(w), "zzz", "str", NULL, NULL, NULL, NULL);
    iprops = object_get_properties(OBJECT(w));
    g_assert_cmpuint(iprops->len, ==, G_N_ELEMENTS(expect) + 2);
    g_assert_cmpstr(((ObjectProperty *)iprops->pdata[0])->name, ==, "aaa");
    g_assert_cmpstr(((ObjectProperty *)iprops->pdata[iprops->len - 1])->name, ==, "zzz");
    object_unref(w);
}

static void test_parsers(void)
{
    int64_t i;
    uint64_t u;
    bool b;
    GError *err = NULL;

    g_assert_true(parse_int64("-0x8000000000000000", &i, NULL));
    g_assert_cmpint(i, ==, INT64_MIN);
    g_assert_false(parse_int64(NULL, &i, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_false(parse_int64("1 ", &i, NULL));
    g_assert_true(parse_uint64("0x10", &u, NULL));
    g_assert_cmpuint(u, ==, 16);
    g_assert_false(parse_uint64("-5", &u, &err));
    g_assert_cmpstr(err->message, ==, "'-5' is negative; a non-negative number is expected");
    g_clear_error(&err);
    g_assert_false(parse_uint64("\t5", &u, NULL));
    g_assert_true(parse_bool("yes", &b, NULL) && b);
    g_assert_false(parse_bool(NULL, &b, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_clear_error(&err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    type_register_array(prop_types, G_N_ELEMENTS(prop_types));

    g_test_add_func("/qom-props/static/defaults", test_defaults);
    g_test_add_func("/qom-props/static/bool", test_bool);
    g_test_add_func("/qom-props/static/int", test_int);
    g_test_add_func("/qom-props/static/uint", test_uint);
    g_test_add_func("/qom-props/static/size", test_size);
    g_test_add_func("/qom-props/static/string", test_string);
    g_test_add_func("/qom-props/static/enum", test_enum);
    g_test_add_func("/qom-props/static/link", test_link);
    g_test_add_func("/qom-props/static/custom", test_custom);
    g_test_add_func("/qom-props/static/round-trip", test_round_trip);
    g_test_add_func("/qom-props/set-allowed", test_set_allowed);
    g_test_add_func("/qom-props/from-string", test_from_string);
    g_test_add_func("/qom-props/unknown", test_unknown);
    g_test_add_func("/qom-props/accessor", test_accessor);
    g_test_add_func("/qom-props/add-twice", test_add_twice);
    g_test_add_func("/qom-props/typed-wrappers", test_typed_wrappers);
    g_test_add_func("/qom-props/lookup", test_lookup);
    g_test_add_func("/qom-props/listing", test_listing);
    g_test_add_func("/qom-props/parsers", test_parsers);
    return g_test_run();
}
