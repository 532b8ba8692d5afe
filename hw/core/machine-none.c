/*
 * -M none: an empty board with no CPU. Devices given with -device are
 * mapped where their addr= property says; with -m, RAM is mapped at 0.
 * Used by register-level device tests (qtest) and for listing things.
 */
#include "proteus/machine.h"

static bool none_init(MachineState *ms, GError **errp)
{
    if (ms->ram_size == 0) {
        return true;
    }
    ms->ram = g_new0(MemoryRegion, 1);
    if (!memory_region_init_ram(ms->ram, OBJECT(ms), "ram", ms->ram_size, errp)) {
        g_clear_pointer(&ms->ram, g_free);
        return false;
    }
    memory_region_add_subregion(get_system_memory(), 0, ms->ram);
    return true;
}

static void none_class_init(ObjectClass *oc, void *data)
{
    MachineClass *mc = MACHINE_CLASS(oc);

    mc->name = "none";
    mc->desc = "empty machine with no CPU (for device tests)";
    mc->init = none_init;
    mc->no_cpu = true;
    mc->max_cpus = 0;
    mc->default_ram_size = 0;
}

static const TypeInfo none_machine_type = {
    .name = "none" TYPE_MACHINE_SUFFIX,
    .parent = TYPE_MACHINE,
    .class_init = none_class_init,
};

static void none_register_types(void)
{
    type_register(&none_machine_type);
}

type_init(none_register_types)
