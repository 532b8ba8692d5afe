/*
 * HMP, the human monitor (proteus/monitor.h): a command line on a chardev
 * (-monitor SPEC, or the console's mux, reached with Ctrl-A c), and the
 * same commands for QMP's human-monitor-command.
 *
 * Commands print into a GString; the output layer turns "\n" into "\r\n",
 * since the terminal behind the monitor is usually in raw mode. The line
 * editor is small: printable bytes are echoed and collected, backspace
 * erases, Enter runs the line, terminal escape sequences (arrow keys) are
 * skipped. Commands run on the main loop with the BQL held; those that
 * read CPU state pause the CPUs around the read if they are running.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proteus-config.h"
#include "proteus/chardev.h"
#include "proteus/cpus.h"
#include "proteus/cputlb.h"
#include "proteus/debug.h"
#include "proteus/device.h"
#include "proteus/error.h"
#include "proteus/machine.h"
#include "proteus/memory.h"
#include "proteus/monitor.h"
#include "proteus/runstate.h"

#define HMP_PROMPT "(proteus) "
#define HMP_MAX_LINE 1024
/* x/xp print at most this many units: a typo must not fill the host's memory. */
#define HMP_MAX_DUMP_COUNT 65536

/* Where a command prints, and the CPU it works on ("cpu N" changes it). */
typedef struct HmpContext {
    GString *out;
    int cpu_index;
} HmpContext;

typedef struct HmpCommand {
    const char *names;           /* "quit|q": the name, then aliases */
    const char *params;          /* for help */
    const char *help;
    void (*run)(HmpContext *ctx, const char *args);
} HmpCommand;

typedef enum {
    HMP_ESC_NONE,
    HMP_ESC_START,               /* after ESC */
    HMP_ESC_CSI,                 /* after ESC [ or ESC O, up to the final byte */
} HmpEscapeState;

typedef struct HmpMonitor {
    CharFrontend fe;
    HmpContext ctx;
    GString *line;
    bool focused;                /* gets the input (always, unless on a mux) */
    bool greeted;                /* the banner was printed */
    bool after_cr;               /* a "\n" right after "\r" ends no second line */
    HmpEscapeState escape;
} HmpMonitor;

/* Every monitor, alive until the process ends. */
static GPtrArray *hmp_monitors;

/* ---- helpers for commands ---- */

static CPUState *hmp_cpu(HmpContext *ctx)
{
    return cpus_count() > 0 ? cpus_get(MIN(ctx->cpu_index, cpus_count() - 1)) : NULL;
}

/* CPU state is read with the CPUs paused; returns whether this paused them. */
static bool hmp_pause_cpus(void)
{
    bool pause = cpus_running();

    if (pause) {
        cpus_pause();
    }
    return pause;
}

static void hmp_resume_cpus(bool paused)
{
    if (paused) {
        cpus_resume();
    }
}

/* A number in C syntax (0x..., 0..., decimal) filling the whole word. */
static bool hmp_parse_number(const char *text, uint64_t *value)
{
    char *end;

    if (!g_ascii_isdigit(*text)) {
        return false;
    }
    errno = 0;
    *value = g_ascii_strtoull(text, &end, 0);
    return errno == 0 && *end == '\0';
}

/* The first word of args (NULL if none), and where the rest starts. */
static char *hmp_next_word(const char **args)
{
    const char *p = *args + strspn(*args, " \t");
    size_t len = strcspn(p, " \t");

    *args = p + len;
    return len ? g_strndup(p, len) : NULL;
}

/* ---- info ---- */

static void hmp_info_status(HmpContext *ctx, const char *args)
{
    RunState state = runstate_get();

    if (state == RUN_STATE_RUNNING || state == RUN_STATE_PAUSED) {
        g_string_append_printf(ctx->out, "VM status: %s\n", runstate_name(state));
    } else {
        g_string_append_printf(ctx->out, "VM status: paused (%s)\n", runstate_name(state));
    }
}

static void hmp_info_cpus(HmpContext *ctx, const char *args)
{
    CPUState *current = hmp_cpu(ctx);
    bool paused = hmp_pause_cpus();

    for (int i = 0; i < cpus_count(); i++) {
        CPUState *cpu = cpus_get(i);

        g_string_append_printf(ctx->out, "%c CPU #%d: pc=0x%016" PRIx64 "%s thread_id=%d\n",
                               cpu == current ? '*' : ' ', cpu->cpu_index,
                               cpu->cc->get_pc(cpu), cpu->halted ? " (halted)" : "",
                               cpus_thread_id(i));
    }
    hmp_resume_cpus(paused);
}

static void hmp_info_registers(HmpContext *ctx, const char *args)
{
    bool paused;
    char *text = NULL;
    size_t len = 0;
    FILE *f;

    if (cpus_count() == 0) {
        g_string_append(ctx->out, "No CPU available\n");
        return;
    }
    f = open_memstream(&text, &len);
    g_assert(f);
    paused = hmp_pause_cpus();
    for (int i = 0; i < cpus_count(); i++) {
        CPUState *cpu = cpus_get(i);

        fprintf(f, "%sCPU#%d\n", i ? "\n" : "", cpu->cpu_index);
        cpu->cc->dump_state(cpu, f, 0);
    }
    hmp_resume_cpus(paused);
    fclose(f);
    g_string_append_len(ctx->out, text, len);
    free(text);
}

static const char *hmp_region_kind(MemoryRegion *mr)
{
    switch (mr->kind) {
    case MR_KIND_CONTAINER:
        return "container";
    case MR_KIND_RAM:
        return "ram";
    case MR_KIND_ROM:
        return "rom";
    case MR_KIND_ALIAS:
        return hmp_region_kind(mr->alias);
    default:
        return "i/o";
    }
}

/* The last byte of a region placed at base (sizes of 2^64 are UINT64_MAX). */
static uint64_t hmp_region_last(uint64_t base, uint64_t size)
{
    return size == UINT64_MAX ? UINT64_MAX : base + size - 1;
}

/* Subregions by address, then higher priority first, as `info mtree` lists them. */
static gint hmp_region_compare(gconstpointer a, gconstpointer b)
{
    const MemoryRegion *x = *(MemoryRegion *const *)a;
    const MemoryRegion *y = *(MemoryRegion *const *)b;

    if (x->addr != y->addr) {
        return x->addr < y->addr ? -1 : 1;
    }
    return y->priority - x->priority;
}

static void hmp_mtree_region(GString *out, MemoryRegion *mr, uint64_t base, int depth)
{
    g_autoptr(GPtrArray) subs = g_ptr_array_new();

    g_string_append_printf(out, "%*s%016" PRIx64 "-%016" PRIx64 " (prio %d, %s%s): %s",
                           depth * 2, "", base, hmp_region_last(base, mr->size), mr->priority,
                           hmp_region_kind(mr), mr->enabled ? "" : ", disabled", mr->name);
    if (mr->kind == MR_KIND_ALIAS) {
        g_string_append_printf(out, " @%s %016" PRIx64 "-%016" PRIx64, mr->alias->name,
                               mr->alias_offset, hmp_region_last(mr->alias_offset, mr->size));
    }
    g_string_append_c(out, '\n');
    for (guint i = 0; mr->subregions && i < mr->subregions->len; i++) {
        g_ptr_array_add(subs, g_ptr_array_index(mr->subregions, i));
    }
    g_ptr_array_sort(subs, hmp_region_compare);
    for (guint i = 0; i < subs->len; i++) {
        MemoryRegion *sub = g_ptr_array_index(subs, i);

        hmp_mtree_region(out, sub, base + sub->addr, depth + 1);
    }
}

static void hmp_info_mtree(HmpContext *ctx, const char *args)
{
    AddressSpace *as = address_space_memory();
    g_autofree char *flag = hmp_next_word(&args);

    if (flag && strcmp(flag, "-f") == 0) {
        g_autoptr(GString) flat = g_string_new(NULL);
        g_auto(GStrv) lines = NULL;

        address_space_dump(as, flat);
        lines = g_strsplit(flat->str, "\n", -1);
        g_string_append_printf(ctx->out, "FlatView\n AS \"%s\", root: %s\n", as->name,
                               as->root->name);
        for (char **l = lines; *l && **l; l++) {
            g_string_append_printf(ctx->out, "  %s\n", *l);
        }
        return;
    }
    if (flag) {
        g_string_append_printf(ctx->out, "info mtree: unknown option '%s' (use -f)\n", flag);
        return;
    }
    g_string_append_printf(ctx->out, "address-space: %s\n", as->name);
    hmp_mtree_region(ctx->out, as->root, 0, 1);
}

/* A device's settable configuration, one "name = value" a line. */
static void hmp_qtree_props(GString *out, Object *obj, int indent)
{
    g_autoptr(GPtrArray) props = object_get_properties(obj);

    for (guint i = 0; i < props->len; i++) {
        ObjectProperty *prop = g_ptr_array_index(props, i);
        g_autofree char *value = NULL;
        uint64_t u;

        if (prop->kind == PROP_KIND_CHILD || !prop->get || !prop->set) {
            continue;
        }
        value = object_property_print(obj, prop->name, NULL);
        if (!value) {
            continue;
        }
        g_string_append_printf(out, "%*s%s = ", indent, "", prop->name);
        if ((prop->kind == PROP_KIND_UINT || prop->kind == PROP_KIND_INT ||
             prop->kind == PROP_KIND_SIZE) && parse_uint64(value, &u, NULL)) {
            g_string_append_printf(out, "%s (0x%" PRIx64 ")\n", value, u);
        } else {
            g_string_append_printf(out, "\"%s\"\n", value);
        }
    }
}

typedef struct QtreeWalk {
    GString *out;
    int indent;
} QtreeWalk;

static int hmp_qtree_child(Object *child, void *opaque)
{
    QtreeWalk *w = opaque;
    QtreeWalk inner = { w->out, w->indent };
    DeviceState *dev = (DeviceState *)object_dynamic_cast(child, TYPE_DEVICE);
    SysBusDevice *sbd = (SysBusDevice *)object_dynamic_cast(child, TYPE_SYS_BUS_DEVICE);

    if (dev) {
        g_string_append_printf(w->out, "%*sdev: %s, id \"%s\"\n", w->indent, "",
                               object_get_typename(child),
                               dev->id ? dev->id : object_get_canonical_path_component(child));
        hmp_qtree_props(w->out, child, w->indent + 2);
        for (int i = 0; sbd && i < sbd->num_mmio; i++) {
            if (sbd->mmio[i].addr != UINT64_MAX) {
                g_string_append_printf(w->out, "%*smmio %016" PRIx64 "/%016" PRIx64 "\n",
                                       w->indent + 2, "", sbd->mmio[i].addr,
                                       memory_region_size(sbd->mmio[i].mr));
            }
        }
        inner.indent += 2;
    }
    /* devices may sit below containers or other devices */
    object_child_foreach(child, hmp_qtree_child, &inner);
    return 0;
}

static void hmp_info_qtree(HmpContext *ctx, const char *args)
{
    MachineState *ms = current_machine();
    QtreeWalk w = { ctx->out, 2 };

    if (!ms) {
        g_string_append(ctx->out, "No machine\n");
        return;
    }
    g_string_append(ctx->out, "bus: main-system-bus\n  type System\n");
    object_child_foreach(OBJECT(ms), hmp_qtree_child, &w);
}

static const HmpCommand hmp_info_commands[] = {
    { "status", "", "show the current VM status (running|paused)", hmp_info_status },
    { "cpus", "", "show information about the CPUs", hmp_info_cpus },
    { "registers", "", "show the CPU registers (every CPU)", hmp_info_registers },
    { "mtree", "[-f]", "show the memory tree (-f: the flat view)", hmp_info_mtree },
    { "qtree", "", "show the device tree", hmp_info_qtree },
};

/* ---- memory dumps: x and xp ---- */

typedef struct HmpDumpFormat {
    uint64_t count;
    char format;                 /* x d u o c */
    unsigned size;               /* 1 2 4 8 */
} HmpDumpFormat;

/* "/[count][format][size]" with the letters in any order, as QEMU takes them. */
static bool hmp_parse_format(HmpContext *ctx, const char *text, HmpDumpFormat *fmt)
{
    bool size_given = false;

    *fmt = (HmpDumpFormat){ .count = 1, .format = 'x', .size = 4 };
    if (g_ascii_isdigit(*text)) {
        fmt->count = g_ascii_strtoull(text, (char **)&text, 10);
    }
    for (; *text; text++) {
        switch (*text) {
        case 'x': case 'd': case 'u': case 'o': case 'c': case 'i':
            fmt->format = *text;
            break;
        case 'b': case 'h': case 'w': case 'g':
            fmt->size = *text == 'b' ? 1 : *text == 'h' ? 2 : *text == 'w' ? 4 : 8;
            size_given = true;
            break;
        default:
            g_string_append_printf(ctx->out, "invalid char in format: '%c'\n", *text);
            return false;
        }
    }
    if (fmt->format == 'c' && !size_given) {
        fmt->size = 1;
    }
    if (fmt->count > HMP_MAX_DUMP_COUNT) {
        g_string_append_printf(ctx->out, "count too large (at most %d)\n", HMP_MAX_DUMP_COUNT);
        return false;
    }
    return true;
}

/* Reads guest memory, virtual through cpu's MMU (cpu != NULL) or physical. */
static bool hmp_read_memory(CPUState *cpu, uint64_t addr, uint8_t *buf, size_t len)
{
    if (cpu) {
        return cpu_memory_rw_debug(cpu, addr, buf, len, false);
    }
    return address_space_read(address_space_memory(), addr, buf, len) == MEMTX_OK;
}

static uint64_t hmp_load(const uint8_t *p, unsigned size, bool big_endian)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)p[big_endian ? size - 1 - i : i] << (8 * i);
    }
    return v;
}

static void hmp_print_char(GString *out, uint8_t c)
{
    switch (c) {
    case '\'':
    case '\\':
        g_string_append_printf(out, "'\\%c'", c);
        break;
    case '\n':
        g_string_append(out, "'\\n'");
        break;
    case '\r':
        g_string_append(out, "'\\r'");
        break;
    default:
        if (c >= 32 && c < 127) {
            g_string_append_printf(out, "'%c'", c);
        } else {
            g_string_append_printf(out, "'\\x%02x'", c);
        }
    }
}

static void hmp_print_value(GString *out, const HmpDumpFormat *fmt, uint64_t v)
{
    unsigned bits = fmt->size * 8;
    int64_t s = bits == 64 ? (int64_t)v : (int64_t)(v << (64 - bits)) >> (64 - bits);

    g_string_append_c(out, ' ');
    switch (fmt->format) {
    case 'o':
        g_string_append_printf(out, "%#*" PRIo64, (int)((bits + 2) / 3), v);
        break;
    case 'u':
        g_string_append_printf(out, "%*" PRIu64, (int)((bits * 10 + 32) / 33), v);
        break;
    case 'd':
        g_string_append_printf(out, "%*" PRId64, (int)((bits * 10 + 32) / 33), s);
        break;
    case 'c':
        hmp_print_char(out, v);
        break;
    default:
        g_string_append_printf(out, "0x%0*" PRIx64, (int)(bits / 4), v);
    }
}

/* "x /Ni": count instructions, one a line, through the CPU's disassembler. */
static void hmp_disas_dump(HmpContext *ctx, CPUState *cpu, uint64_t addr, uint64_t count)
{
    const CPUClass *cc = cpu ? cpu->cc : cpus_get(0) ? cpus_get(0)->cc : NULL;

    if (!cc || !cc->disas_insn) {
        g_string_append(ctx->out, "format 'i': no disassembler for this CPU\n");
        return;
    }
    for (uint64_t i = 0; i < count; i++) {
        uint8_t buf[16];
        char text[128];
        unsigned avail = 0, n = 0;

        /* as many bytes as are readable, up to the longest instruction */
        while (avail < sizeof(buf) && hmp_read_memory(cpu, addr + avail, buf + avail, 1)) {
            avail++;
        }
        if (avail > 0) {
            n = cc->disas_insn(addr, buf, avail, text, sizeof(text));
        }
        if (n == 0) {
            g_string_append_printf(ctx->out, "%016" PRIx64 ": Cannot access memory\n", addr);
            return;
        }
        g_string_append_printf(ctx->out, "%016" PRIx64 ":  %s\n", addr, text);
        addr += n;
    }
}

/* Lines of 16 bytes (8 for bytes and characters) after the address. */
static void hmp_memory_dump(HmpContext *ctx, CPUState *cpu, uint64_t addr,
                            const HmpDumpFormat *fmt)
{
    unsigned line_size = fmt->size == 1 ? 8 : 16;
    uint64_t len = fmt->count * fmt->size;
    bool big_endian = address_space_memory()->big_endian;
    bool paused = cpu ? hmp_pause_cpus() : false;

    if (fmt->format == 'i') {
        hmp_disas_dump(ctx, cpu, addr, fmt->count);
        len = 0;
    }
    while (len > 0) {
        unsigned n = MIN(len, line_size);
        uint8_t buf[16];

        g_string_append_printf(ctx->out, "%016" PRIx64 ":", addr);
        if (!hmp_read_memory(cpu, addr, buf, n)) {
            g_string_append(ctx->out, " Cannot access memory\n");
            break;
        }
        for (unsigned i = 0; i < n; i += fmt->size) {
            hmp_print_value(ctx->out, fmt, hmp_load(buf + i, fmt->size, big_endian));
        }
        g_string_append_c(ctx->out, '\n');
        addr += n;
        len -= n;
    }
    hmp_resume_cpus(paused);
}

/* "x /FMT ADDR": args is what follows the command name. */
static void hmp_dump_command(HmpContext *ctx, const char *args, bool physical)
{
    HmpDumpFormat fmt;
    g_autofree char *first = NULL;
    g_autofree char *addr_text = NULL;
    g_autofree char *extra = NULL;
    uint64_t addr;
    CPUState *cpu = physical ? NULL : hmp_cpu(ctx);

    args += strspn(args, " \t");
    if (*args == '/') {
        args++;
        first = hmp_next_word(&args);
        if (!hmp_parse_format(ctx, first ? first : "", &fmt)) {
            return;
        }
    } else {
        hmp_parse_format(ctx, "", &fmt);
    }
    addr_text = hmp_next_word(&args);
    extra = hmp_next_word(&args);
    if (!addr_text || extra || !hmp_parse_number(addr_text, &addr)) {
        g_string_append_printf(ctx->out, "usage: %s /[count][xduoci][bhwg] ADDRESS\n",
                               physical ? "xp" : "x");
        return;
    }
    if (!physical && !cpu) {
        g_string_append(ctx->out, "No CPU available\n");
        return;
    }
    hmp_memory_dump(ctx, cpu, addr, &fmt);
}

static void hmp_cmd_x(HmpContext *ctx, const char *args)
{
    hmp_dump_command(ctx, args, false);
}

static void hmp_cmd_xp(HmpContext *ctx, const char *args)
{
    hmp_dump_command(ctx, args, true);
}

/* ---- machine control ---- */

static void hmp_cmd_stop(HmpContext *ctx, const char *args)
{
    vm_stop(RUN_STATE_PAUSED);
}

static void hmp_cmd_cont(HmpContext *ctx, const char *args)
{
    vm_start();
}

static void hmp_cmd_system_reset(HmpContext *ctx, const char *args)
{
    runstate_reset_requested(SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
    system_reset_request();
}

static void hmp_cmd_system_powerdown(HmpContext *ctx, const char *args)
{
    system_powerdown_request();
}

static void hmp_cmd_quit(HmpContext *ctx, const char *args)
{
    runstate_request_shutdown(SHUTDOWN_CAUSE_HOST_QMP_QUIT, 0);
}

static void hmp_cmd_cpu(HmpContext *ctx, const char *args)
{
    g_autofree char *word = hmp_next_word(&args);
    uint64_t n;

    if (!word || !hmp_parse_number(word, &n) || n >= (uint64_t)cpus_count()) {
        g_string_append_printf(ctx->out, "invalid CPU index (there are %d)\n", cpus_count());
        return;
    }
    ctx->cpu_index = n;
}

static void hmp_cmd_info(HmpContext *ctx, const char *args);
static void hmp_cmd_help(HmpContext *ctx, const char *args);

static const HmpCommand hmp_commands[] = {
    { "help|?", "[cmd]", "show the help", hmp_cmd_help },
    { "info", "[subcommand]", "show various information about the system state",
      hmp_cmd_info },
    { "x", "/fmt addr", "virtual memory dump starting at 'addr'", hmp_cmd_x },
    { "xp", "/fmt addr", "physical memory dump starting at 'addr'", hmp_cmd_xp },
    { "cpu", "index", "set the default CPU", hmp_cmd_cpu },
    { "stop|s", "", "stop emulation", hmp_cmd_stop },
    { "cont|c", "", "resume emulation", hmp_cmd_cont },
    { "system_reset", "", "reset the system", hmp_cmd_system_reset },
    { "system_powerdown", "", "send system power down event", hmp_cmd_system_powerdown },
    { "quit|q", "", "quit the emulator", hmp_cmd_quit },
};

/* The entry of table whose name or an alias is name. */
static const HmpCommand *hmp_find(const HmpCommand *table, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        g_auto(GStrv) names = g_strsplit(table[i].names, "|", -1);

        if (g_strv_contains((const char *const *)names, name)) {
            return &table[i];
        }
    }
    return NULL;
}

static void hmp_print_help(GString *out, const char *prefix, const HmpCommand *table,
                           size_t n)
{
    for (size_t i = 0; i < n; i++) {
        g_string_append_printf(out, "%s%s %s -- %s\n", prefix, table[i].names,
                               table[i].params, table[i].help);
    }
}

static void hmp_cmd_help(HmpContext *ctx, const char *args)
{
    g_autofree char *name = hmp_next_word(&args);
    const HmpCommand *cmd = name ? hmp_find(hmp_commands, G_N_ELEMENTS(hmp_commands), name)
                                 : NULL;

    if (name && !cmd) {
        g_string_append_printf(ctx->out, "unknown command: '%s'\n", name);
    } else if (cmd && cmd->run == hmp_cmd_info) {
        hmp_print_help(ctx->out, "info ", hmp_info_commands, G_N_ELEMENTS(hmp_info_commands));
    } else if (cmd) {
        hmp_print_help(ctx->out, "", cmd, 1);
    } else {
        hmp_print_help(ctx->out, "", hmp_commands, G_N_ELEMENTS(hmp_commands));
    }
}

static void hmp_cmd_info(HmpContext *ctx, const char *args)
{
    g_autofree char *name = hmp_next_word(&args);
    const HmpCommand *sub = name ? hmp_find(hmp_info_commands,
                                            G_N_ELEMENTS(hmp_info_commands), name)
                                 : NULL;

    if (!sub) {
        if (name) {
            g_string_append_printf(ctx->out, "unknown info subcommand: '%s'\n", name);
        }
        hmp_print_help(ctx->out, "info ", hmp_info_commands, G_N_ELEMENTS(hmp_info_commands));
        return;
    }
    sub->run(ctx, args);
}

/* Runs one line: the command name ends at a blank or a '/' (x/4x ADDR). */
static void hmp_run_line(HmpContext *ctx, const char *line)
{
    const char *p = line + strspn(line, " \t");
    size_t len = strcspn(p, " \t/");
    g_autofree char *name = g_strndup(p, len);
    const HmpCommand *cmd;

    if (len == 0) {
        return;
    }
    cmd = hmp_find(hmp_commands, G_N_ELEMENTS(hmp_commands), name);
    if (!cmd) {
        g_string_append_printf(ctx->out, "unknown command: '%s'\n", name);
        return;
    }
    cmd->run(ctx, p + len);
}

/* Text as a terminal wants it: every "\n" as "\r\n". */
static char *hmp_terminal_text(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    return g_strjoinv("\r\n", lines);
}

char *monitor_hmp_execute(const char *cmdline, int cpu_index)
{
    g_autoptr(GString) out = g_string_new(NULL);
    HmpContext ctx = { .out = out, .cpu_index = cpu_index };

    hmp_run_line(&ctx, cmdline);
    return hmp_terminal_text(out->str);
}

/* ---- the chardev side ---- */

static void hmp_write(HmpMonitor *mon, const char *text)
{
    g_autofree char *term = hmp_terminal_text(text);

    chr_fe_write_all(&mon->fe, (const uint8_t *)term, strlen(term));
}

static void hmp_prompt(HmpMonitor *mon)
{
    if (!mon->greeted) {
        mon->greeted = true;
        hmp_write(mon, "Proteus " PROTEUS_VERSION " monitor - type 'help' for more information\n");
    }
    hmp_write(mon, HMP_PROMPT);
}

static void hmp_enter(HmpMonitor *mon)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autofree char *line = g_strdup(mon->line->str);

    g_string_truncate(mon->line, 0);
    hmp_write(mon, "\n");
    mon->ctx.out = out;
    hmp_run_line(&mon->ctx, line);
    mon->ctx.out = NULL;
    hmp_write(mon, out->str);
    hmp_prompt(mon);
}

/* Skips a terminal escape sequence byte by byte; true while inside one. */
static bool hmp_skip_escape(HmpMonitor *mon, uint8_t c)
{
    switch (mon->escape) {
    case HMP_ESC_START:
        mon->escape = (c == '[' || c == 'O') ? HMP_ESC_CSI : HMP_ESC_NONE;
        return true;
    case HMP_ESC_CSI:
        if (c >= 0x40 && c <= 0x7e) {
            mon->escape = HMP_ESC_NONE;
        }
        return true;
    default:
        if (c == 0x1b) {
            mon->escape = HMP_ESC_START;
            return true;
        }
        return false;
    }
}

static void hmp_input_byte(HmpMonitor *mon, uint8_t c)
{
    bool after_cr = mon->after_cr;

    mon->after_cr = c == '\r';
    if (hmp_skip_escape(mon, c)) {
        return;
    }
    if (c == '\r' || (c == '\n' && !after_cr)) {
        hmp_enter(mon);
    } else if (c == 0x7f || c == '\b') {
        if (mon->line->len > 0) {
            g_string_truncate(mon->line, mon->line->len - 1);
            hmp_write(mon, "\b \b");
        }
    } else if (c >= 32 && c < 127 && mon->line->len < HMP_MAX_LINE) {
        char echo[2] = { c, 0 };

        g_string_append_c(mon->line, c);
        hmp_write(mon, echo);
    }
}

static void hmp_read(void *opaque, const uint8_t *buf, int size)
{
    HmpMonitor *mon = opaque;

    for (int i = 0; i < size; i++) {
        hmp_input_byte(mon, buf[i]);
    }
}

static void hmp_event(void *opaque, ChrEvent event)
{
    HmpMonitor *mon = opaque;

    switch (event) {
    case CHR_EVENT_OPENED:
        g_string_truncate(mon->line, 0);
        mon->escape = HMP_ESC_NONE;
        if (mon->focused) {
            hmp_prompt(mon);
        }
        break;
    case CHR_EVENT_MUX_IN:
        mon->focused = true;
        hmp_prompt(mon);
        break;
    case CHR_EVENT_MUX_OUT:
        mon->focused = false;
        break;
    case CHR_EVENT_CLOSED:
        /* the next client gets its own banner */
        mon->greeted = false;
        break;
    default:
        break;
    }
}

bool monitor_hmp_init_chardev(Chardev *chr, bool focus, GError **errp)
{
    HmpMonitor *mon = g_new0(HmpMonitor, 1);

    if (!chr_fe_init(&mon->fe, chr, errp)) {
        g_free(mon);
        return false;
    }
    mon->line = g_string_new(NULL);
    if (!hmp_monitors) {
        hmp_monitors = g_ptr_array_new();
    }
    g_ptr_array_add(hmp_monitors, mon);
    /* a mux gives the input to its first frontend; the others wait for Ctrl-A c */
    mon->focused = mon->fe.mux_tag <= 0;
    chr_fe_set_handlers(&mon->fe, NULL, hmp_read, hmp_event, mon);
    if (focus) {
        chr_fe_take_focus(&mon->fe);
    }
    return true;
}

bool monitor_hmp_init(const char *spec, GError **errp)
{
    static unsigned count;
    g_autofree char *label = g_strdup_printf("monitor%u", count++);
    GError *err = NULL;
    Chardev *chr = chardev_new_from_shorthand(label, spec, &err);

    if (!chr) {
        if (!err) {
            error_setg_code(&err, PROTEUS_ERROR_INVALID, "the monitor needs a chardev");
        }
        g_propagate_error(errp, err);
        return false;
    }
    if (!monitor_hmp_init_chardev(chr, false, errp)) {
        chardev_remove(chr);
        return false;
    }
    return true;
}
