/*
 * The system emulator's command line and start-up: parse QEMU-style options,
 * answer help queries, build the machine, create -chardev/-serial backends
 * and -device devices, then run the main loop until the machine quits.
 *
 * Every option error is one line naming the option and the reason, then exit
 * status 1.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>

#include "proteus-config.h"
#include "hw/nvram/fw_cfg.h"
#include "proteus/accel.h"
#include "proteus/chardev.h"
#include "proteus/cpus.h"
#include "proteus/drive.h"
#include "proteus/gdbstub.h"
#include "proteus/log.h"
#include "proteus/machine.h"
#include "proteus/main-loop.h"
#include "proteus/module.h"
#include "proteus/monitor.h"
#include "plugins/core.h"
#include "proteus/net.h"
#include "proteus/options.h"
#include "proteus/runstate.h"
#include "proteus/translator.h"
#include "system/qtest.h"
#include "system/system.h"

static const char *const known_arches[] = { "riscv64", "aarch64", "s390x", "x86_64", NULL };

typedef struct SystemConfig {
    const char *progname;
    const char *arch;
    const char *machine;        /* -M */
    const char *cpu;
    uint64_t ram_size;
    bool ram_given;
    unsigned smp;
    const char *bios;
    const char *kernel;
    const char *initrd;
    const char *append;
    const char *dtb;
    const char *accel;
    const char *qtest;
    const char *display;
    const char *debugcon;
    bool nographic;
    bool nodefaults;
    const char *log_items;
    const char *log_file;
    GPtrArray *devices;
    GPtrArray *device_plugins;
    GPtrArray *globals;
    GPtrArray *chardevs;
    GPtrArray *serials;
    GPtrArray *qmps;
    GPtrArray *monitors;
    GPtrArray *plugins;         /* -plugin specs */
    const char *gdb;            /* -gdb / -s */
    bool start_paused;          /* -S */
    bool exit_now;              /* --help / --version answered */
} SystemConfig;

typedef bool (*OptionHandler)(SystemConfig *cfg, const char *arg, GError **errp);

typedef struct SystemOption {
    const char *name;
    const char *argname;        /* NULL: takes no argument */
    OptionHandler handler;
    const char *help;
} SystemOption;

static bool opt_version(SystemConfig *cfg, const char *arg, GError **errp)
{
    printf("%s version %s\n", cfg->progname, PROTEUS_VERSION);
    cfg->exit_now = true;
    return true;
}

static bool opt_help(SystemConfig *cfg, const char *arg, GError **errp);

static bool opt_arch(SystemConfig *cfg, const char *arg, GError **errp)
{
    if (!g_strv_contains(known_arches, arg)) {
        g_autofree char *list = g_strjoinv(", ", (char **)known_arches);

        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "--arch: unknown architecture '%s' (known: %s)", arg, list);
        return false;
    }
    cfg->arch = arg;
    return true;
}

#define STRING_OPTION(field) \
    static bool opt_##field(SystemConfig *cfg, const char *arg, GError **errp) \
    { cfg->field = arg; return true; }
STRING_OPTION(machine)
STRING_OPTION(cpu)
STRING_OPTION(bios)
STRING_OPTION(kernel)
STRING_OPTION(initrd)
STRING_OPTION(append)
STRING_OPTION(dtb)
STRING_OPTION(qtest)
STRING_OPTION(log_items)
STRING_OPTION(log_file)
STRING_OPTION(debugcon)
STRING_OPTION(gdb)

static bool opt_gdb_default(SystemConfig *cfg, const char *arg, GError **errp)
{
    cfg->gdb = "tcp::1234";
    return true;
}

static bool opt_start_paused(SystemConfig *cfg, const char *arg, GError **errp)
{
    cfg->start_paused = true;
    return true;
}

#define LIST_OPTION(field) \
    static bool opt_##field(SystemConfig *cfg, const char *arg, GError **errp) \
    { g_ptr_array_add(cfg->field, (gpointer)arg); return true; }
LIST_OPTION(devices)
LIST_OPTION(device_plugins)
LIST_OPTION(globals)
LIST_OPTION(chardevs)
LIST_OPTION(serials)
LIST_OPTION(qmps)
LIST_OPTION(monitors)
LIST_OPTION(plugins)

/* -netdev, -nic and -object are checked and kept by net/net.c. */
#define NET_OPTION(name) \
    static bool opt_##name(SystemConfig *cfg, const char *arg, GError **errp) \
    { return net_parse_##name(arg, errp); }
NET_OPTION(netdev)
NET_OPTION(nic)
NET_OPTION(object)

/* -drive is checked and kept by system/drive.c; if=virtio adds a -device. */
static bool opt_drive(SystemConfig *cfg, const char *arg, GError **errp)
{
    const char *device_opts;

    if (!drive_parse(arg, &device_opts, errp)) {
        return false;
    }
    if (device_opts) {
        g_ptr_array_add(cfg->devices, (gpointer)device_opts);
    }
    return true;
}

static bool opt_fw_cfg(SystemConfig *cfg, const char *arg, GError **errp)
{
    return fw_cfg_parse_option(arg, errp);
}

static bool opt_snapshot(SystemConfig *cfg, const char *arg, GError **errp)
{
    return drive_set_snapshot_all(errp);
}

static bool opt_memory(SystemConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(OptList) opts = opt_list_parse(arg, "-m", NULL, errp);
    const char *size;
    uint64_t value;

    if (!opts) {
        return false;
    }
    for (guint i = 0; i < opts->items->len; i++) {
        OptItem *it = g_ptr_array_index(opts->items, i);

        if (strcmp(it->key, "size") != 0) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID, "-m: unknown option '%s'", it->key);
            return false;
        }
    }
    size = opts->head ? opts->head : opt_list_get(opts, "size");
    if (!size) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "-m: no size given in '%s'", arg);
        return false;
    }
    /* As in QEMU, a number without a suffix counts mebibytes. */
    if (g_ascii_isdigit(size[strlen(size) - 1]) && !g_str_has_prefix(size, "0x")) {
        g_autofree char *mib = g_strconcat(size, "M", NULL);

        if (!parse_size(mib, &value, NULL)) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID, "-m: invalid size '%s'", size);
            return false;
        }
    } else if (!parse_size(size, &value, NULL)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "-m: invalid size '%s'", size);
        return false;
    }
    if (value == 0) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "-m: the RAM size cannot be zero");
        return false;
    }
    cfg->ram_size = value;
    cfg->ram_given = true;
    return true;
}

static bool opt_smp(SystemConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(OptList) opts = opt_list_parse(arg, "-smp", NULL, errp);
    const char *count;
    uint64_t n;

    if (!opts) {
        return false;
    }
    for (guint i = 0; i < opts->items->len; i++) {
        OptItem *it = g_ptr_array_index(opts->items, i);

        if (strcmp(it->key, "cpus") != 0) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "-smp: unsupported option '%s' (only cpus=N)", it->key);
            return false;
        }
    }
    count = opts->head ? opts->head : opt_list_get(opts, "cpus");
    if (!count || !parse_uint64(count, &n, NULL) || n == 0 || n > 1024) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-smp: '%s' is not a CPU count between 1 and 1024", arg);
        return false;
    }
    cfg->smp = n;
    return true;
}

/* "-accel kvm:tcg,backend=interp": accelerators tried in order, each with options. */
static bool opt_accel(SystemConfig *cfg, const char *arg, GError **errp)
{
    g_auto(GStrv) choices = g_strsplit(arg, ":", -1);

    for (char **c = choices; *c; c++) {
        g_autoptr(OptList) opts = opt_list_parse(*c, "-accel", "accelerator name", errp);
        const AccelClass *ac;

        if (!opts) {
            return false;
        }
        ac = accel_find(opts->head);
        if (!ac) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "-accel: unknown accelerator '%s' (%s)", opts->head, accel_names());
            return false;
        }
        if (!ac->check_opts(opts, errp)) {
            return false;
        }
    }
    cfg->accel = arg;
    return true;
}

static bool opt_display(SystemConfig *cfg, const char *arg, GError **errp)
{
    g_autofree char *name = g_strndup(arg, strcspn(arg, ","));

    if (strcmp(name, "none") != 0) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-display: '%s' is not available in this build (use -display none "
                        "or -nographic)", name);
        return false;
    }
    cfg->display = arg;
    return true;
}

static bool opt_nographic(SystemConfig *cfg, const char *arg, GError **errp)
{
    cfg->nographic = true;
    return true;
}

static bool opt_nodefaults(SystemConfig *cfg, const char *arg, GError **errp)
{
    cfg->nodefaults = true;
    return true;
}

static const SystemOption system_options[] = {
    { "h", NULL, opt_help, "print this help and exit" },
    { "help", NULL, opt_help, NULL },
    { "version", NULL, opt_version, "print the version and exit" },
    { "arch", "ARCH", opt_arch, "guest architecture (implied by proteus-system-ARCH)" },
    { "M", "NAME[,prop=value...]", opt_machine, "select the machine (-M help lists them)" },
    { "machine", "NAME[,prop=value...]", opt_machine, NULL },
    { "cpu", "MODEL", opt_cpu, "select the CPU model (-cpu help lists them)" },
    { "m", "[size=]SIZE", opt_memory, "RAM size (plain numbers are MiB; K/M/G suffixes)" },
    { "smp", "[cpus=]N", opt_smp, "number of CPUs" },
    { "accel", "NAME[,opts][:NAME...]", opt_accel,
      "accelerators tried in order: tcg[,backend=x86_64|interp][,thread=single|multi], "
      "kvm, qtest" },
    { "bios", "FILE", opt_bios, "firmware image ('none' for no firmware)" },
    { "kernel", "FILE", opt_kernel, "kernel image (ELF or raw)" },
    { "initrd", "FILE", opt_initrd, "initial ramdisk" },
    { "append", "CMDLINE", opt_append, "kernel command line" },
    { "dtb", "FILE", opt_dtb, "device tree blob to use instead of the generated one" },
    { "device", "TYPE[,prop=value...]", opt_devices,
      "add a device (-device help, -device TYPE,help)" },
    { "global", "DRIVER.PROP=VALUE", opt_globals,
      "default of a property for every device of that type (board-made ones too)" },
    { "device-plugin", "PATH", opt_device_plugins, "load an out-of-tree device module" },
    { "chardev", "BACKEND,id=ID[,...]", opt_chardevs,
      "character device backend (null, stdio, file, pipe, socket, pty)" },
    { "serial", "SPEC", opt_serials,
      "serial port backend: stdio, null, pty, file:PATH, pipe:PATH, tcp:..., unix:..., "
      "mon:stdio, none" },
    { "drive", "file=PATH[,id=ID][,format=raw|qcow2][,if=virtio|none][,...]", opt_drive,
      "disk image (readonly=on, snapshot=on, cache=writeback|writethrough|unsafe|none)" },
    { "snapshot", NULL, opt_snapshot, "write every -drive's changes to a temporary overlay" },
    { "netdev", "TYPE,id=ID[,...]", opt_netdev,
      "network backend: user (slirp), tap, socket, stream" },
    { "nic", "TYPE[,model=NAME][,...]", opt_nic, "a NIC with its own backend (or none)" },
    { "object", "filter-dump,id=ID,netdev=ID,file=FILE", opt_object,
      "write a netdev's frames to a pcap file" },
    { "nographic", NULL, opt_nographic, "no display; serial port on the terminal" },
    { "display", "none", opt_display, "display backend" },
    { "nodefaults", NULL, opt_nodefaults, "create no default serial port" },
    { "debugcon", "SPEC", opt_debugcon,
      "debug console (I/O port 0x402) on a chardev: stdio, file:PATH, ... (x86)" },
    { "fw_cfg", "[name=]NAME,file=PATH|string=TEXT", opt_fw_cfg,
      "add a file to the firmware configuration device (x86)" },
    { "qmp", "SPEC", opt_qmps, "serve QMP on a chardev (unix:PATH,server=on,wait=off, stdio, ...)" },
    { "gdb", "SPEC", opt_gdb, "serve gdb on SPEC: tcp:[HOST]:PORT, unix:PATH or PORT" },
    { "s", NULL, opt_gdb_default, "shorthand for -gdb tcp::1234" },
    { "S", NULL, opt_start_paused, "do not start the CPUs (gdb's or a monitor's continue does)" },
    { "plugin", "PATH[,name=value...]", opt_plugins, "load an instrumentation plugin" },
    { "monitor", "SPEC", opt_monitors,
      "serve the human monitor on a chardev (stdio, unix:..., tcp:..., ...)" },
    { "qtest", "SPEC", opt_qtest, "serve the device-test protocol on a chardev (tests)" },
    { "d", "ITEM[,ITEM...]", opt_log_items, "log categories (-d help lists them)" },
    { "D", "FILE", opt_log_file, "write the log to FILE instead of stderr" },
};

static bool opt_help(SystemConfig *cfg, const char *arg, GError **errp)
{
    printf("Usage: %s [options]\n\n", cfg->progname);
    for (size_t i = 0; i < G_N_ELEMENTS(system_options); i++) {
        const SystemOption *o = &system_options[i];
        g_autofree char *lhs = NULL;

        if (!o->help) {
            continue;   /* an alias of the line before */
        }
        lhs = g_strdup_printf("-%s%s%s", o->name, o->argname ? " " : "",
                              o->argname ? o->argname : "");
        if (strlen(lhs) > 30) {
            printf("  %s\n  %-30s %s\n", lhs, "", o->help);
        } else {
            printf("  %-30s %s\n", lhs, o->help);
        }
    }
    printf("\nInside -nographic or -serial mon:stdio: Ctrl-A h lists the escape keys, "
           "Ctrl-A x quits.\n");
    cfg->exit_now = true;
    return true;
}

static const SystemOption *option_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(system_options); i++) {
        if (strcmp(system_options[i].name, name) == 0) {
            return &system_options[i];
        }
    }
    return NULL;
}

static bool parse_command_line(SystemConfig *cfg, int argc, char **argv, GError **errp)
{
    for (int i = 1; i < argc; i++) {
        const char *word = argv[i];
        const char *name = word;
        const SystemOption *o;
        const char *arg = NULL;

        if (name[0] != '-' || name[1] == '\0') {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "'%s': unexpected argument (options start with '-')", word);
            return false;
        }
        name += (name[1] == '-') ? 2 : 1;     /* -opt and --opt are the same */
        o = option_find(name);
        if (!o) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "%s: invalid option (--help lists the options)", word);
            return false;
        }
        if (o->argname) {
            if (i + 1 >= argc) {
                error_setg_code(errp, PROTEUS_ERROR_INVALID,
                                "%s: requires an argument (%s)", word, o->argname);
                return false;
            }
            arg = argv[++i];
        }
        if (!o->handler(cfg, arg, errp)) {
            return false;
        }
        if (cfg->exit_now) {
            return true;
        }
    }
    return true;
}

static const char *arch_from_progname(const char *progname)
{
    static const char prefix[] = "proteus-system-";

    if (g_str_has_prefix(progname, prefix) &&
        g_strv_contains(known_arches, progname + strlen(prefix))) {
        return progname + strlen(prefix);
    }
    return NULL;
}

static bool is_help(const char *s)
{
    return s && (strcmp(s, "help") == 0 || strcmp(s, "?") == 0);
}

/* -device TYPE,help → the type's properties; sets *answered. */
static bool device_help_query(const char *optstr, bool *answered, GError **errp)
{
    g_autoptr(OptList) opts = opt_list_parse(optstr, "-device", NULL, NULL);

    *answered = false;
    if (is_help(optstr)) {
        device_print_types(stdout);
        *answered = true;
        return true;
    }
    if (opts && opts->head && opt_list_has(opts, "help")) {
        *answered = true;
        return device_print_props(stdout, opts->head, errp);
    }
    return true;
}

static bool create_machine(SystemConfig *cfg, GError **errp)
{
    g_autoptr(OptList) opts = NULL;
    MachineClass *mc;
    MachineState *ms;
    Object *root = object_get_root();

    if (cfg->machine) {
        opts = opt_list_parse(cfg->machine, "-M", "machine name", errp);
        if (!opts) {
            return false;
        }
        mc = machine_find_class(opts->head);
        if (!mc || (cfg->arch && mc->arch && strcmp(mc->arch, cfg->arch) != 0)) {
            error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND,
                            "-M %s: unknown machine type for %s (-M help lists them)",
                            opts->head, cfg->arch ? cfg->arch : "this architecture");
            return false;
        }
    } else {
        mc = machine_default_class(cfg->arch);
        if (!mc) {
            error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND,
                            "no machine given and %s has no default machine "
                            "(use -M; -M help lists them)",
                            cfg->arch ? cfg->arch : "this architecture");
            return false;
        }
    }
    /* before the board makes its CPUs, so that plugins see them start */
    for (guint i = 0; i < cfg->plugins->len; i++) {
        if (!plugin_load(g_ptr_array_index(cfg->plugins, i),
                         mc->arch ? mc->arch : cfg->arch, true, errp)) {
            return false;
        }
    }
    if (cfg->smp > 1 && cfg->smp > mc->max_cpus) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-smp %u: machine '%s' supports at most %u CPUs",
                        cfg->smp, mc->name, mc->max_cpus);
        return false;
    }
    ms = MACHINE(object_new(object_class_get_name(OBJECT_CLASS(mc))));
    if (!object_property_add_child(root, "machine", OBJECT(ms), errp)) {
        object_unref(ms);
        return false;
    }
    object_unref(ms);
    machine_set_current(ms);
    for (guint i = 0; opts && i < opts->items->len; i++) {
        OptItem *it = g_ptr_array_index(opts->items, i);

        if (!object_property_parse(OBJECT(ms), it->key, it->value ? it->value : "on",
                                   errp)) {
            g_prefix_error(errp, "-M ");    /* the message starts with the type */
            return false;
        }
    }
    ms->ram_size = cfg->ram_given ? cfg->ram_size : mc->default_ram_size;
    ms->smp_cpus = cfg->smp ? cfg->smp : 1;
    ms->cpu_type = g_strdup(cfg->cpu);
    ms->firmware = g_strdup(cfg->bios);
    ms->kernel_filename = g_strdup(cfg->kernel);
    ms->initrd_filename = g_strdup(cfg->initrd);
    ms->kernel_cmdline = g_strdup(cfg->append);
    ms->dtb = g_strdup(cfg->dtb);
    ms->accel = g_strdup(cfg->accel);
    return mc->init(ms, errp);
}

static bool create_serial_ports(SystemConfig *cfg, GError **errp)
{
    GPtrArray *specs = cfg->serials;
    g_autoptr(GPtrArray) defaults = g_ptr_array_new();

    if (specs->len == 0 && !cfg->nodefaults && !cfg->qtest) {
        /* No display exists yet, so the console is the terminal, as with -nographic. */
        g_ptr_array_add(defaults, "mon:stdio");
        specs = defaults;
    }
    if (specs->len > MAX_SERIAL_PORTS) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-serial: at most %d serial ports", MAX_SERIAL_PORTS);
        return false;
    }
    for (guint i = 0; i < specs->len; i++) {
        g_autofree char *label = g_strdup_printf("serial%u", i);
        const char *spec = g_ptr_array_index(specs, i);
        Chardev *chr;
        GError *err = NULL;

        chr = chardev_new_from_shorthand(label, spec, &err);
        if (err) {
            g_propagate_prefixed_error(errp, err, "-serial %s: ", spec);
            return false;
        }
        serial_hd_set(i, chr);
    }
    return true;
}

/* The default console, or -serial mon:SPEC. */
static bool serial_has_monitor(SystemConfig *cfg, guint i)
{
    if (cfg->serials->len == 0) {
        return i == 0;
    }
    return i < cfg->serials->len &&
           g_str_has_prefix(g_ptr_array_index(cfg->serials, i), "mon:");
}

static bool monitor_on_stdio(SystemConfig *cfg)
{
    for (guint i = 0; i < cfg->monitors->len; i++) {
        if (strcmp(g_ptr_array_index(cfg->monitors, i), "stdio") == 0) {
            return true;
        }
    }
    return false;
}

/*
 * HMP on every console mux (-serial mon:..., the default console), then on
 * each -monitor SPEC. -monitor stdio with the console on the terminal
 * already is the console's monitor, and it starts with the input.
 */
static bool create_monitors(SystemConfig *cfg, GError **errp)
{
    bool console_on_stdio = false;

    for (guint i = 0; i < MAX_SERIAL_PORTS; i++) {
        bool on_stdio;

        if (!serial_hd(i) || !serial_has_monitor(cfg, i)) {
            continue;
        }
        on_stdio = cfg->serials->len == 0 ||
                   strcmp(g_ptr_array_index(cfg->serials, i), "mon:stdio") == 0;
        if (!monitor_hmp_init_chardev(serial_hd(i), on_stdio && monitor_on_stdio(cfg),
                                      errp)) {
            g_prefix_error(errp, "-serial mon: ");
            return false;
        }
        console_on_stdio |= on_stdio;
    }
    for (guint i = 0; i < cfg->monitors->len; i++) {
        const char *spec = g_ptr_array_index(cfg->monitors, i);

        if (strcmp(spec, "stdio") == 0 && console_on_stdio) {
            continue;
        }
        if (!monitor_hmp_init(spec, errp)) {
            g_prefix_error(errp, "-monitor %s: ", spec);
            return false;
        }
    }
    return true;
}

/* The guest architecture: --arch / the program name, else -M's machine's. */
static const char *guest_arch(SystemConfig *cfg)
{
    g_autoptr(OptList) opts = NULL;
    MachineClass *mc;

    if (cfg->arch || !cfg->machine) {
        return cfg->arch;
    }
    opts = opt_list_parse(cfg->machine, "-M", "machine name", NULL);
    mc = opts ? machine_find_class(opts->head) : NULL;
    return mc ? mc->arch : NULL;
}

/* -cpu help: the models of -M's machine, else of the architecture's default. */
static bool cpu_help(SystemConfig *cfg, GError **errp)
{
    g_autoptr(OptList) opts = NULL;
    MachineClass *mc;

    if (cfg->machine) {
        opts = opt_list_parse(cfg->machine, "-M", "machine name", errp);
        if (!opts) {
            return false;
        }
        mc = machine_find_class(opts->head);
    } else {
        mc = machine_default_class(cfg->arch);
    }
    if (mc && mc->print_cpu_models) {
        mc->print_cpu_models(stdout);
    } else {
        printf("No CPU models are available for %s.\n",
               mc ? mc->name : cfg->arch ? cfg->arch : "this architecture");
    }
    return true;
}

/*
 * Picks the accelerator before the board is built (a board creates its
 * CPUs for it): the first of -accel's choices whose init_machine works
 * here, by default tcg, then kvm. *chosen and *chosen_opts say which, for
 * its init_vcpus after the board. When none works, the error gives every
 * choice's reason.
 */
static bool accel_select(SystemConfig *cfg, const AccelClass **chosen, OptList **chosen_opts,
                         GError **errp)
{
    const char *arch = guest_arch(cfg);
    g_auto(GStrv) choices = g_strsplit(cfg->accel ? cfg->accel : "tcg:kvm", ":", -1);
    g_autoptr(GString) why = g_string_new(NULL);

    for (char **c = choices; *c; c++) {
        OptList *opts = opt_list_parse(*c, "-accel", "accelerator name", errp);
        const AccelClass *ac = opts ? accel_find(opts->head) : NULL;
        GError *err = NULL;

        if (!ac) {
            return false;       /* opt_accel checked them */
        }
        if (ac->init_machine(arch, opts, &err)) {
            *chosen = ac;
            *chosen_opts = opts;
            return true;
        }
        g_string_append_printf(why, "%s%s", why->len ? "; " : "", err->message);
        g_error_free(err);
        opt_list_free(opts);
    }
    error_setg_code(errp, PROTEUS_ERROR_INVALID, "%s", why->str);
    return false;
}

/* -debugcon SPEC: an isa-debugcon on a chardev "debugcon" made from SPEC. */
static bool debugcon_create(const char *spec, GError **errp)
{
    GError *err = NULL;
    Chardev *chr = chardev_new_from_shorthand("debugcon", spec, &err);

    if (err) {
        g_propagate_prefixed_error(errp, err, "-debugcon %s: ", spec);
        return false;
    }
    if (!chr) {
        return true;    /* "none" */
    }
    if (!device_create_from_string("isa-debugcon,chardev=debugcon", errp)) {
        g_prefix_error(errp, "-debugcon %s: ", spec);
        return false;
    }
    return true;
}

static gboolean on_signal(gpointer data)
{
    error_report("terminating on signal %d", GPOINTER_TO_INT(data));
    runstate_request_shutdown(SHUTDOWN_CAUSE_HOST_SIGNAL, 0);
    return G_SOURCE_CONTINUE;
}

static bool system_start(SystemConfig *cfg, int *status, GError **errp)
{
    uint32_t mask = 0;
    bool answered = false;
    bool run_cpus;
    const AccelClass *accel = &accel_qtest;
    g_autoptr(OptList) accel_opts = NULL;

    if (is_help(cfg->log_items)) {
        log_print_categories(stdout);
        return true;
    }
    if (cfg->log_items && !log_parse_categories(cfg->log_items, &mask, errp)) {
        return false;
    }
    log_set_mask(mask);
    if (cfg->log_file && !log_set_file(cfg->log_file, errp)) {
        return false;
    }

    main_loop_init();
    module_register_builtin();
    for (guint i = 0; i < cfg->device_plugins->len; i++) {
        if (!module_load_file(g_ptr_array_index(cfg->device_plugins, i), errp)) {
            g_prefix_error(errp, "-device-plugin: ");
            return false;
        }
    }
    /* with every device type known, built in or from a plugin */
    for (guint i = 0; i < cfg->globals->len; i++) {
        if (!device_global_add(g_ptr_array_index(cfg->globals, i), errp)) {
            return false;
        }
    }

    /* Help queries answer and stop before anything is built. */
    if (cfg->machine && is_help(cfg->machine)) {
        machine_print_types(stdout, cfg->arch);
        return true;
    }
    for (guint i = 0; i < cfg->devices->len; i++) {
        if (!device_help_query(g_ptr_array_index(cfg->devices, i), &answered, errp)) {
            return false;
        }
        if (answered) {
            return true;
        }
    }
    if (is_help(cfg->cpu)) {
        return cpu_help(cfg, errp);
    }

    if (cfg->accel && strcmp(cfg->accel, "qtest") == 0 && !cfg->qtest) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "-accel qtest: needs -qtest SPEC");
        return false;
    }
    for (guint i = 0; i < cfg->chardevs->len; i++) {
        if (!chardev_new_from_string(g_ptr_array_index(cfg->chardevs, i), errp)) {
            g_prefix_error(errp, "-chardev: ");
            return false;
        }
    }
    if (!create_serial_ports(cfg, errp)) {
        return false;
    }
    if (!net_init_clients(errp)) {
        return false;
    }
    for (guint i = 0; i < cfg->qmps->len; i++) {
        if (!monitor_qmp_init(g_ptr_array_index(cfg->qmps, i), errp)) {
            g_prefix_error(errp, "-qmp %s: ", (const char *)g_ptr_array_index(cfg->qmps, i));
            return false;
        }
    }
    if (cfg->gdb && !gdbserver_start(cfg->gdb, errp)) {
        g_prefix_error(errp, "-gdb %s: ", cfg->gdb);
        return false;
    }
    if (cfg->qtest && !qtest_init(cfg->qtest, errp)) {
        g_prefix_error(errp, "-qtest %s: ", cfg->qtest);
        return false;
    }
    /* Guest CPUs of the system emulator reach memory through the softmmu
     * TLB: boards create them with this already set. */
    ir_mem_model = IR_MEM_SOFTMMU;
    if (!cfg->qtest && !accel_select(cfg, &accel, &accel_opts, errp)) {
        return false;
    }
    if (!create_machine(cfg, errp)) {
        return false;
    }
    if (cfg->debugcon && !debugcon_create(cfg->debugcon, errp)) {
        return false;
    }
    for (guint i = 0; i < cfg->devices->len; i++) {
        if (!device_create_from_string(g_ptr_array_index(cfg->devices, i), errp)) {
            return false;
        }
    }

    /* after the machine: a console's mux gives its first frontend, the
     * serial port, the focus */
    if (!create_monitors(cfg, errp)) {
        return false;
    }

    /* qtest drives the clock and the devices itself: no CPU runs */
    run_cpus = !qtest_enabled() && !MACHINE_GET_CLASS(current_machine())->no_cpu;
    if (run_cpus && !accel->init_vcpus(accel_opts, errp)) {
        return false;
    }

    g_unix_signal_add(SIGINT, on_signal, GINT_TO_POINTER(SIGINT));
    g_unix_signal_add(SIGTERM, on_signal, GINT_TO_POINTER(SIGTERM));
    g_unix_signal_add(SIGHUP, on_signal, GINT_TO_POINTER(SIGHUP));
    signal(SIGPIPE, SIG_IGN);

    machine_reset();
    if (!qtest_enabled()) {
        clock_virtual_start();
    }
    if (run_cpus) {
        cpus_start(cfg->start_paused);
    }
    runstate_set(cfg->start_paused ? RUN_STATE_PRELAUNCH : RUN_STATE_RUNNING);
    /* the guest's system_shutdown_request() status, or a signal's 0 */
    *status = main_loop_run();
    gdbserver_exit(*status);
    cpus_stop();
    return true;
}

int proteus_system_main(int argc, char **argv)
{
    g_autofree char *progname = g_path_get_basename(argv[0]);
    SystemConfig cfg = {
        .progname = progname,
        .arch = arch_from_progname(progname),
        .devices = g_ptr_array_new(),
        .device_plugins = g_ptr_array_new(),
        .globals = g_ptr_array_new(),
        .chardevs = g_ptr_array_new(),
        .serials = g_ptr_array_new(),
        .qmps = g_ptr_array_new(),
        .monitors = g_ptr_array_new(),
        .plugins = g_ptr_array_new(),
    };
    GError *err = NULL;
    int status = 0;

    error_set_progname(progname);
    if (!parse_command_line(&cfg, argc, argv, &err) ||
        (!cfg.exit_now && !system_start(&cfg, &status, &err))) {
        error_report_err(err);
        status = 1;
    }
    net_cleanup();
    chardev_cleanup_all();
    fflush(stdout);
    g_ptr_array_free(cfg.devices, TRUE);
    g_ptr_array_free(cfg.device_plugins, TRUE);
    g_ptr_array_free(cfg.globals, TRUE);
    device_globals_clear();
    g_ptr_array_free(cfg.chardevs, TRUE);
    g_ptr_array_free(cfg.serials, TRUE);
    g_ptr_array_free(cfg.qmps, TRUE);
    g_ptr_array_free(cfg.monitors, TRUE);
    g_ptr_array_free(cfg.plugins, TRUE);
    return status;
}
