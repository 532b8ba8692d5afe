/*
 * Devices: objects with a life cycle (created → properties set → realized →
 * reset → unrealized), input and output IRQ lines (GPIOs), and errors
 * reported through GError. Device code never exits the process.
 *
 * SysBusDevice adds what a memory-mapped device has: MMIO regions the board
 * maps, and numbered IRQ outputs. From the command line
 * `-device TYPE,addr=0x10000000` maps its first region there.
 */
#ifndef PROTEUS_DEVICE_H
#define PROTEUS_DEVICE_H

#include <stdio.h>

#include "proteus/irq.h"
#include "proteus/memory.h"
#include "proteus/module.h"
#include "proteus/qom.h"

#define TYPE_DEVICE "device"
OBJECT_DECLARE_TYPE(DeviceState, DeviceClass, DEVICE)

typedef struct NamedGpioList NamedGpioList;

struct DeviceState {
    Object parent_obj;
    char *id;                   /* -device ...,id=ID; NULL if anonymous */
    bool realized;
    GSList *gpios;              /* NamedGpioList * */
};

struct DeviceClass {
    ObjectClass parent_class;
    const char *desc;           /* one line for -device help */
    const char *category;       /* "char", "storage", "network", "misc", ... */
    bool user_creatable;        /* may be made with -device (default true) */
    bool (*realize)(DeviceState *dev, GError **errp);
    void (*unrealize)(DeviceState *dev);
    void (*reset)(DeviceState *dev);
};

/* Creates a device of a type that may live in a not-yet-loaded module,
 * with the -global defaults for its type applied. */
DeviceState *device_new(const char *typename, GError **errp);

/* -global DRIVER.PROPERTY=VALUE: every device of type DRIVER (or a subtype)
 * created from now on starts with that property value, board-made ones
 * included. The type and the property must exist; a value that does not
 * parse fails the device's creation, naming the -global. */
bool device_global_add(const char *spec, GError **errp);
void device_globals_clear(void);
bool device_realize(DeviceState *dev, GError **errp);
void device_unrealize(DeviceState *dev);
void device_reset(DeviceState *dev);
/* Resets every realized device under obj (the whole machine: the root). */
void device_reset_tree(Object *obj);

/* Sets a class's field properties (see qom.h); they freeze once realized. */
void device_class_set_props(DeviceClass *dc, const Property *props);

/* GPIO lines. Inputs are created by the device with a handler; outputs are
 * pointers the device drives, connected by the board. name NULL = unnamed. */
void device_init_gpio_in_named(DeviceState *dev, IrqHandler handler, const char *name,
                               int n);
void device_init_gpio_out_named(DeviceState *dev, ProteusIrq *pins, const char *name,
                                int n);
ProteusIrq device_get_gpio_in_named(DeviceState *dev, const char *name, int n);
void device_connect_gpio_out_named(DeviceState *dev, const char *name, int n,
                                   ProteusIrq irq);
/* The line output n currently drives (NULL if unconnected). */
ProteusIrq device_get_gpio_out_named(DeviceState *dev, const char *name, int n);
/* Number of lines in a named list, -1 if there is no such list. */
int device_gpio_count(DeviceState *dev, const char *name, bool input);

static inline void device_init_gpio_in(DeviceState *dev, IrqHandler h, int n)
{ device_init_gpio_in_named(dev, h, NULL, n); }
static inline void device_init_gpio_out(DeviceState *dev, ProteusIrq *pins, int n)
{ device_init_gpio_out_named(dev, pins, NULL, n); }
static inline ProteusIrq device_get_gpio_in(DeviceState *dev, int n)
{ return device_get_gpio_in_named(dev, NULL, n); }
static inline void device_connect_gpio_out(DeviceState *dev, int n, ProteusIrq irq)
{ device_connect_gpio_out_named(dev, NULL, n, irq); }

/*
 * Creates a device from "-device" syntax "TYPE,id=ID,key=value,...", puts it
 * at /machine/peripheral/ID (or /machine/peripheral-anon/device[N]) and
 * realizes it. "TYPE,help" is handled by the caller (device_print_help).
 */
DeviceState *device_create_from_string(const char *optstr, GError **errp);
/* -device help: every user-creatable type with its description. */
void device_print_types(FILE *out);
/* -device TYPE,help: the type's properties; false if the type is unknown. */
bool device_print_props(FILE *out, const char *typename, GError **errp);

/* ---- memory-mapped devices ---- */

#define TYPE_SYS_BUS_DEVICE "sys-bus-device"
OBJECT_DECLARE_TYPE(SysBusDevice, SysBusDeviceClass, SYS_BUS_DEVICE)

#define SYSBUS_MAX_MMIO 32
#define SYSBUS_IRQ_NAME "sysbus-irq"

struct SysBusDevice {
    DeviceState parent_obj;
    int num_mmio;
    struct {
        MemoryRegion *mr;
        hwaddr addr;            /* where it is mapped; HWADDR_MAX if not */
    } mmio[SYSBUS_MAX_MMIO];
    uint64_t user_addr;         /* the "addr" property (HWADDR_MAX: not set) */
};

struct SysBusDeviceClass {
    DeviceClass parent_class;
};

void sysbus_init_mmio(SysBusDevice *dev, MemoryRegion *mr);
MemoryRegion *sysbus_mmio_get_region(SysBusDevice *dev, int n);
/* Maps region n into the system address space at addr. */
void sysbus_mmio_map(SysBusDevice *dev, int n, hwaddr addr);
/* Maps region 0 at the "addr" property if it was set (-device ...,addr=). */
bool sysbus_map_user_addr(SysBusDevice *dev, GError **errp);
void sysbus_init_irq(SysBusDevice *dev, ProteusIrq *p);
void sysbus_connect_irq(SysBusDevice *dev, int n, ProteusIrq irq);

#endif
