/*
 * The machine base type: what every board shares (RAM size, CPU count,
 * firmware and kernel file names, serial ports) and the lookup of boards
 * by -M name.
 */
#include <stdio.h>
#include <string.h>

#include "proteus/chardev.h"
#include "proteus/machine.h"

static MachineState *machine;
static Chardev *serial_ports[MAX_SERIAL_PORTS];

MachineState *current_machine(void)
{
    return machine;
}

void machine_set_current(MachineState *ms)
{
    machine = ms;
}

Chardev *serial_hd(int i)
{
    return i >= 0 && i < MAX_SERIAL_PORTS ? serial_ports[i] : NULL;
}

void serial_hd_set(int i, Chardev *chr)
{
    g_assert(i >= 0 && i < MAX_SERIAL_PORTS);
    serial_ports[i] = chr;
}

static bool machine_matches_arch(MachineClass *mc, const char *arch)
{
    return !arch || !mc->arch || strcmp(mc->arch, arch) == 0;
}

MachineClass *machine_find_class(const char *name)
{
    g_autofree char *type = g_strconcat(name, TYPE_MACHINE_SUFFIX, NULL);
    ObjectClass *oc = object_class_by_name(type);

    if (!oc || !object_class_dynamic_cast(oc, TYPE_MACHINE) ||
        object_class_is_abstract(oc)) {
        return NULL;
    }
    return MACHINE_CLASS(oc);
}

MachineClass *machine_default_class(const char *arch)
{
    GSList *list = object_class_get_list(TYPE_MACHINE, false);
    MachineClass *found = NULL;

    for (GSList *l = list; l; l = l->next) {
        MachineClass *mc = MACHINE_CLASS(l->data);

        if (mc->is_default && mc->arch && arch && strcmp(mc->arch, arch) == 0) {
            found = mc;
            break;
        }
    }
    g_slist_free(list);
    return found;
}

void machine_print_types(FILE *out, const char *arch)
{
    GSList *list = object_class_get_list(TYPE_MACHINE, false);

    fprintf(out, "Supported machines (-M NAME):\n");
    for (GSList *l = list; l; l = l->next) {
        MachineClass *mc = MACHINE_CLASS(l->data);

        if (machine_matches_arch(mc, arch)) {
            fprintf(out, "  %-20s %s%s\n", mc->name, mc->desc ? mc->desc : "",
                    mc->is_default ? " (default)" : "");
        }
    }
    g_slist_free(list);
}

void machine_reset(void)
{
    if (machine) {
        device_reset_tree(OBJECT(machine));
    }
}

static void machine_finalize(Object *obj)
{
    MachineState *ms = MACHINE(obj);

    g_free(ms->cpu_type);
    g_free(ms->kernel_filename);
    g_free(ms->initrd_filename);
    g_free(ms->kernel_cmdline);
    g_free(ms->firmware);
    g_free(ms->dtb);
    g_free(ms->accel);
    if (ms->ram) {
        if (ms->ram->container) {
            memory_region_del_subregion(ms->ram->container, ms->ram);
        }
        memory_region_destroy(ms->ram);
        g_free(ms->ram);
    }
}

static const TypeInfo machine_type = {
    .name = TYPE_MACHINE,
    .parent = TYPE_OBJECT,
    .instance_size = sizeof(MachineState),
    .instance_finalize = machine_finalize,
    .abstract = true,
    .class_size = sizeof(MachineClass),
};

static void machine_register_types(void)
{
    type_register(&machine_type);
}

type_init(machine_register_types)
