/*
 * Machines (boards). A machine type "NAME-machine" builds a board in its
 * init function from the options the command line collected; -M NAME picks
 * it and -M help lists them. The machine object is /machine in the tree.
 */
#ifndef PROTEUS_MACHINE_H
#define PROTEUS_MACHINE_H

#include "proteus/device.h"

#define TYPE_MACHINE "machine"
#define TYPE_MACHINE_SUFFIX "-machine"
OBJECT_DECLARE_TYPE(MachineState, MachineClass, MACHINE)

struct MachineState {
    Object parent_obj;
    uint64_t ram_size;
    unsigned smp_cpus;
    char *cpu_type;
    char *kernel_filename;
    char *initrd_filename;
    char *kernel_cmdline;
    char *firmware;             /* -bios */
    char *dtb;
    char *accel;
    MemoryRegion *ram;
};

struct MachineClass {
    ObjectClass parent_class;
    const char *name;            /* for -M; the type is NAME-machine */
    const char *desc;
    const char *arch;            /* "riscv64", ...; NULL: any */
    bool (*init)(MachineState *ms, GError **errp);
    uint64_t default_ram_size;
    unsigned max_cpus;
    bool is_default;             /* picked when -M is not given (per arch) */
    bool no_cpu;                 /* runs no CPU (-M none) */
    /* -cpu help: the CPU models (and switches) the board takes; NULL: none */
    void (*print_cpu_models)(FILE *out);
};

MachineState *current_machine(void);
void machine_set_current(MachineState *ms);
/* The machine class named name (for -M), NULL if none. */
MachineClass *machine_find_class(const char *name);
void machine_print_types(FILE *out, const char *arch);
MachineClass *machine_default_class(const char *arch);
/* Resets every device of the machine. */
void machine_reset(void);

/* The chardevs of -serial (or the default console), in order; NULL past the end. */
#define MAX_SERIAL_PORTS 4
struct Chardev *serial_hd(int i);
void serial_hd_set(int i, struct Chardev *chr);

#endif
