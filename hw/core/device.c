/*
 * The device base class: life cycle (realize, unrealize, reset), GPIO lines,
 * creation from -device option strings, and the help that lists device
 * types and their properties.
 */
#include <stdio.h>
#include <string.h>

#include "proteus/device.h"
#include "proteus/module.h"
#include "proteus/options.h"

struct NamedGpioList {
    char *name;
    int num_in;
    ProteusIrq *in;
    int num_out;
    ProteusIrq **out;          /* the device's own fields it drives */
};

static NamedGpioList *gpio_list_get(DeviceState *dev, const char *name, bool create)
{
    NamedGpioList *ngl;

    for (GSList *l = dev->gpios; l; l = l->next) {
        ngl = l->data;
        if (g_strcmp0(ngl->name, name) == 0) {
            return ngl;
        }
    }
    if (!create) {
        return NULL;
    }
    ngl = g_new0(NamedGpioList, 1);
    ngl->name = g_strdup(name);
    dev->gpios = g_slist_append(dev->gpios, ngl);
    return ngl;
}

void device_init_gpio_in_named(DeviceState *dev, IrqHandler handler, const char *name,
                               int n)
{
    NamedGpioList *ngl = gpio_list_get(dev, name, true);

    ngl->in = g_renew(ProteusIrq, ngl->in, ngl->num_in + n);
    for (int i = 0; i < n; i++) {
        ngl->in[ngl->num_in + i] = irq_new(handler, dev, ngl->num_in + i);
    }
    ngl->num_in += n;
}

void device_init_gpio_out_named(DeviceState *dev, ProteusIrq *pins, const char *name,
                                int n)
{
    NamedGpioList *ngl = gpio_list_get(dev, name, true);

    ngl->out = g_renew(ProteusIrq *, ngl->out, ngl->num_out + n);
    for (int i = 0; i < n; i++) {
        ngl->out[ngl->num_out + i] = &pins[i];
    }
    ngl->num_out += n;
}

ProteusIrq device_get_gpio_in_named(DeviceState *dev, const char *name, int n)
{
    NamedGpioList *ngl = gpio_list_get(dev, name, false);

    g_assert(ngl && n >= 0 && n < ngl->num_in);
    return ngl->in[n];
}

void device_connect_gpio_out_named(DeviceState *dev, const char *name, int n,
                                   ProteusIrq irq)
{
    NamedGpioList *ngl = gpio_list_get(dev, name, false);

    g_assert(ngl && n >= 0 && n < ngl->num_out);
    *ngl->out[n] = irq;
}

ProteusIrq device_get_gpio_out_named(DeviceState *dev, const char *name, int n)
{
    NamedGpioList *ngl = gpio_list_get(dev, name, false);

    g_assert(ngl && n >= 0 && n < ngl->num_out);
    return *ngl->out[n];
}

int device_gpio_count(DeviceState *dev, const char *name, bool input)
{
    NamedGpioList *ngl = gpio_list_get(dev, name, false);

    if (!ngl) {
        return -1;
    }
    return input ? ngl->num_in : ngl->num_out;
}

static void gpio_list_free(gpointer p)
{
    NamedGpioList *ngl = p;

    for (int i = 0; i < ngl->num_in; i++) {
        irq_free(ngl->in[i]);
    }
    g_free(ngl->in);
    g_free(ngl->out);
    g_free(ngl->name);
    g_free(ngl);
}

/* ---- -global: property defaults for every device of a type ---- */

typedef struct DeviceGlobal {
    char *driver;
    char *property;
    char *value;
    char *spec;             /* as given, for messages */
} DeviceGlobal;

static GPtrArray *device_globals;

static void device_global_free(gpointer p)
{
    DeviceGlobal *g = p;

    g_free(g->driver);
    g_free(g->property);
    g_free(g->value);
    g_free(g->spec);
    g_free(g);
}

bool device_global_add(const char *spec, GError **errp)
{
    const char *dot = strchr(spec, '.');
    const char *eq = dot ? strchr(dot, '=') : NULL;
    g_autofree char *driver = NULL;
    g_autofree char *property = NULL;
    ObjectClass *oc;
    DeviceGlobal *g;
    GError *err = NULL;

    if (!dot || !eq || dot == spec || eq == dot + 1) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-global %s: expected DRIVER.PROPERTY=VALUE", spec);
        return false;
    }
    driver = g_strndup(spec, dot - spec);
    property = g_strndup(dot + 1, eq - dot - 1);
    if (!module_load_type(driver, &err) && err) {
        g_propagate_prefixed_error(errp, err, "-global %s: ", spec);
        return false;
    }
    oc = object_class_by_name(driver);
    if (!oc || !object_class_dynamic_cast(oc, TYPE_DEVICE)) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND,
                        "-global %s: '%s' is not a device type (-device help lists them)",
                        spec, driver);
        return false;
    }
    if (!object_class_property_find(oc, property)) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND,
                        "-global %s: '%s' has no property '%s' (-device %s,help lists them)",
                        spec, driver, property, driver);
        return false;
    }
    if (!device_globals) {
        device_globals = g_ptr_array_new_with_free_func(device_global_free);
    }
    g = g_new0(DeviceGlobal, 1);
    g->driver = g_steal_pointer(&driver);
    g->property = g_steal_pointer(&property);
    g->value = g_strdup(eq + 1);
    g->spec = g_strdup(spec);
    g_ptr_array_add(device_globals, g);
    return true;
}

void device_globals_clear(void)
{
    g_clear_pointer(&device_globals, g_ptr_array_unref);
}

/* The globals for dev's type and its ancestors, in the order given. */
static bool device_apply_globals(DeviceState *dev, GError **errp)
{
    ObjectClass *oc = object_get_class(OBJECT(dev));

    for (guint i = 0; device_globals && i < device_globals->len; i++) {
        DeviceGlobal *g = g_ptr_array_index(device_globals, i);

        if (object_class_dynamic_cast(oc, g->driver) &&
            !object_property_parse(OBJECT(dev), g->property, g->value, errp)) {
            g_prefix_error(errp, "-global %s: ", g->spec);
            return false;
        }
    }
    return true;
}

/* ---- life cycle ---- */

DeviceState *device_new(const char *typename, GError **errp)
{
    DeviceState *dev;

    ObjectClass *oc;
    GError *err = NULL;

    if (!module_load_type(typename, &err) && err) {
        g_propagate_error(errp, err);
        return NULL;
    }
    oc = object_class_by_name(typename);
    if (!oc) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND,
                        "'%s' is not a valid device type (-device help lists them)",
                        typename);
        return NULL;
    }
    if (!object_class_dynamic_cast(oc, TYPE_DEVICE)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "'%s' is not a device type", typename);
        return NULL;
    }
    if (object_class_is_abstract(oc)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "'%s' is an abstract device type and cannot be created", typename);
        return NULL;
    }
    dev = DEVICE(object_new(typename));
    if (!device_apply_globals(dev, errp)) {
        object_unref(dev);
        return NULL;
    }
    return dev;
}

bool device_realize(DeviceState *dev, GError **errp)
{
    DeviceClass *dc = DEVICE_GET_CLASS(dev);

    if (dev->realized) {
        return true;
    }
    if (dc->realize && !dc->realize(dev, errp)) {
        return false;
    }
    dev->realized = true;
    device_reset(dev);
    return true;
}

void device_unrealize(DeviceState *dev)
{
    DeviceClass *dc = DEVICE_GET_CLASS(dev);

    if (!dev->realized) {
        return;
    }
    if (dc->unrealize) {
        dc->unrealize(dev);
    }
    dev->realized = false;
}

void device_reset(DeviceState *dev)
{
    DeviceClass *dc = DEVICE_GET_CLASS(dev);

    if (dev->realized && dc->reset) {
        dc->reset(dev);
    }
}

static int device_reset_child(Object *child, void *opaque)
{
    device_reset_tree(child);
    return 0;
}

void device_reset_tree(Object *obj)
{
    DeviceState *dev = (DeviceState *)object_dynamic_cast(obj, TYPE_DEVICE);

    if (dev) {
        device_reset(dev);
    }
    object_child_foreach(obj, device_reset_child, NULL);
}

void device_class_set_props(DeviceClass *dc, const Property *props)
{
    object_class_add_props(OBJECT_CLASS(dc), props);
}

static bool device_property_set_allowed(Object *obj, ObjectProperty *prop, GError **errp)
{
    DeviceState *dev = DEVICE(obj);

    if (dev->realized) {
        error_setg_code(errp, PROTEUS_ERROR_PERMISSION,
                        "property '%s' of %s '%s' cannot be changed once it is realized",
                        prop->name, object_get_typename(obj), dev->id ? dev->id : "(anon)");
        return false;
    }
    return true;
}

static void device_finalize(Object *obj)
{
    DeviceState *dev = DEVICE(obj);

    device_unrealize(dev);
    g_slist_free_full(dev->gpios, gpio_list_free);
    g_free(dev->id);
}

static void device_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->user_creatable = true;
    oc->property_set_allowed = device_property_set_allowed;
}

/* ---- -device ---- */

static bool device_id_valid(const char *id)
{
    if (!g_ascii_isalpha(id[0])) {
        return false;
    }
    for (const char *p = id; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.') {
            return false;
        }
    }
    return true;
}

DeviceState *device_create_from_string(const char *optstr, GError **errp)
{
    g_autoptr(OptList) opts = NULL;
    const char *type;
    const char *id;
    DeviceState *dev;
    Object *parent;
    bool ok;

    opts = opt_list_parse(optstr, "-device", "device type", errp);
    if (!opts) {
        return NULL;
    }
    type = opts->head;
    id = opt_list_get(opts, "id");
    if (id && !device_id_valid(id)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-device %s: id '%s' is not valid (a letter, then letters, "
                        "digits, '-', '_' or '.')", type, id);
        return NULL;
    }
    dev = device_new(type, errp);
    if (!dev) {
        return NULL;
    }
    if (!DEVICE_GET_CLASS(dev)->user_creatable) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-device %s: this device is part of a board and cannot be "
                        "created with -device", type);
        object_unref(dev);
        return NULL;
    }
    dev->id = g_strdup(id);
    for (guint i = 0; i < opts->items->len; i++) {
        OptItem *it = g_ptr_array_index(opts->items, i);

        if (strcmp(it->key, "id") == 0) {
            continue;
        }
        if (!it->value) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "-device %s: '%s' needs a value (%s=...)", type, it->key, it->key);
            object_unref(dev);
            return NULL;
        }
        if (!object_property_parse(OBJECT(dev), it->key, it->value, errp)) {
            g_prefix_error(errp, "-device ");    /* the message starts with the type */
            object_unref(dev);
            return NULL;
        }
    }
    if (id) {
        parent = container_get(object_get_root(), "/machine/peripheral");
        ok = object_property_add_child(parent, id, OBJECT(dev), errp);
    } else {
        parent = container_get(object_get_root(), "/machine/peripheral-anon");
        ok = object_property_add_child(parent, "device[*]", OBJECT(dev), errp);
    }
    object_unref(dev);      /* the tree holds it now (or nobody does) */
    if (!ok) {
        g_prefix_error(errp, "-device %s: ", type);
        return NULL;
    }
    if (!device_realize(dev, errp)) {
        g_prefix_error(errp, "-device %s: ", type);
        object_unparent(OBJECT(dev));
        return NULL;
    }
    if (object_dynamic_cast(OBJECT(dev), TYPE_SYS_BUS_DEVICE) &&
        !sysbus_map_user_addr(SYS_BUS_DEVICE(dev), errp)) {
        g_prefix_error(errp, "-device %s: ", type);
        object_unparent(OBJECT(dev));
        return NULL;
    }
    return dev;
}

typedef struct {
    const char *name;
    const char *desc;
} DeviceHelpLine;

static gint help_line_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(((const DeviceHelpLine *)a)->name, ((const DeviceHelpLine *)b)->name);
}

void device_print_types(FILE *out)
{
    g_autoptr(GArray) lines = g_array_new(FALSE, FALSE, sizeof(DeviceHelpLine));
    GSList *classes = object_class_get_list(TYPE_DEVICE, false);
    GPtrArray *index = module_index_get();
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    /* Types already registered (built in, or from modules loaded so far) ... */
    for (GSList *l = classes; l; l = l->next) {
        DeviceClass *dc = DEVICE_CLASS(l->data);
        DeviceHelpLine line = { object_class_get_name(l->data), dc->desc ? dc->desc : "" };

        if (dc->user_creatable) {
            g_array_append_val(lines, line);
        }
        g_hash_table_add(seen, (gpointer)line.name);
    }
    g_slist_free(classes);
    /* ... and those the module index knows without loading anything. */
    for (guint i = 0; i < index->len; i++) {
        ModuleIndexEntry *e = g_ptr_array_index(index, i);
        DeviceHelpLine line = { e->type, e->desc };

        if (e->is_device && e->user_creatable && !e->abstract &&
            !g_hash_table_contains(seen, e->type)) {
            g_array_append_val(lines, line);
        }
    }
    g_array_sort(lines, help_line_cmp);
    fprintf(out, "Device types (-device TYPE[,prop=value...]; -device TYPE,help "
                 "lists a type's properties):\n");
    for (guint i = 0; i < lines->len; i++) {
        DeviceHelpLine *line = &g_array_index(lines, DeviceHelpLine, i);

        fprintf(out, "  %-24s %s\n", line->name, line->desc);
    }
}

bool device_print_props(FILE *out, const char *typename, GError **errp)
{
    ObjectClass *oc;
    g_autoptr(GPtrArray) props = NULL;
    GError *err = NULL;

    if (!module_load_type(typename, &err) && err) {
        g_propagate_error(errp, err);
        return false;
    }
    oc = object_class_by_name(typename);
    if (!oc || !object_class_dynamic_cast(oc, TYPE_DEVICE)) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND,
                        "'%s' is not a valid device type (-device help lists them)",
                        typename);
        return false;
    }
    props = object_class_get_properties(oc);
    fprintf(out, "%s options:\n", typename);
    for (guint i = 0; i < props->len; i++) {
        ObjectProperty *p = g_ptr_array_index(props, i);
        g_autofree char *lhs = NULL;

        if (!p->set) {
            continue;   /* read-only state, not configuration */
        }
        lhs = g_strdup_printf("%s=<%s>", p->name, p->type);
        fprintf(out, "  %-28s", lhs);
        if (p->description) {
            fprintf(out, " - %s", p->description);
        }
        if (p->default_value && *p->default_value) {
            fprintf(out, " (default: %s)", p->default_value);
        }
        fputc('\n', out);
    }
    return true;
}

static const TypeInfo device_type = {
    .name = TYPE_DEVICE,
    .parent = TYPE_OBJECT,
    .instance_size = sizeof(DeviceState),
    .instance_finalize = device_finalize,
    .abstract = true,
    .class_size = sizeof(DeviceClass),
    .class_init = device_class_init,
};

static void device_register_types(void)
{
    type_register(&device_type);
}

type_init(device_register_types)
