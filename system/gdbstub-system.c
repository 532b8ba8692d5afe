/*
 * The gdbstub of the system emulator (-gdb, -s, -S): the protocol engine
 * (system/gdbstub.c) on a socket chardev served by the main loop, with the
 * BQL held.
 *
 * Threads are the harts (thread id = cpu_index + 1). While gdb looks at
 * the machine it is in the run state "debug" (vm_stop: every vCPU paused,
 * shared with the monitors); continue is vm_start; a step lets only the
 * stepping hart run (cpus_resume_only) and the machine stays stopped, so
 * the step's end takes the hart back with cpus_pause. A hart that
 * stops for the debugger (EXCP_DEBUG) calls debug_stop_handler on its own
 * thread, which hands it to the main loop in a bottom half; that pauses
 * the others and sends the stop reply. A stop of a second hart in the
 * meantime is not lost for breakpoints: that hart is at the breakpoint
 * again when everything resumes.
 *
 * Guest memory is read by virtual address through the hart's page tables
 * (get_phys_page_debug), one page at a time, then the memory API; an
 * address where nothing is mapped or decoded is an error reply, without
 * touching a device.
 */
#include <string.h>

#include "proteus/chardev.h"
#include "proteus/cpus.h"
#include "proteus/debug.h"
#include "proteus/error.h"
#include "proteus/gdbstub.h"
#include "proteus/main-loop.h"
#include "proteus/memory.h"
#include "proteus/runstate.h"
#include "proteus/translator.h"

typedef struct GdbServer {
    CharFrontend fe;
    GdbStub *stub;
    bool connected;
    bool stepping_alone;        /* one hart runs a step (cpus_resume_only) */
    BottomHalf *stop_bh;
    GMutex lock;
    CPUState *pending_stop;     /* lock: a hart that stopped for the debugger */
} GdbServer;

static GdbServer *gdb_server;

/* ---- threads and memory ---- */

static void gdb_send(void *opaque, const uint8_t *buf, size_t len)
{
    GdbServer *g = opaque;

    chr_fe_write_all(&g->fe, buf, len);
}

static CPUState *gdb_thread_at(void *opaque, int n)
{
    return cpus_get(n);
}

static int64_t gdb_thread_id(void *opaque, CPUState *cpu)
{
    return cpu->cpu_index + 1;
}

static char *gdb_thread_extra_info(void *opaque, CPUState *cpu)
{
    bool halted = __atomic_load_n(&cpu->halted, __ATOMIC_RELAXED);

    return g_strdup_printf("hart %d%s", cpu->cpu_index, halted ? " (halted)" : "");
}

static bool gdb_read_memory(void *opaque, CPUState *cpu, uint64_t addr, uint8_t *buf,
                            size_t len)
{
    return cpu && cpu_memory_rw_debug(cpu, addr, buf, len, false);
}

static bool gdb_write_memory(void *opaque, CPUState *cpu, uint64_t addr,
                             const uint8_t *buf, size_t len)
{
    bool ok = cpu && cpu_memory_rw_debug(cpu, addr, (uint8_t *)buf, len, true);

    /* the bytes may be code, also under other virtual addresses: the CPUs
     * are paused, so drop every TB */
    tb_flush(NULL);
    return ok;
}

/* ---- running and stopping ---- */

static void gdb_pause(GdbServer *g)
{
    if (g->stepping_alone) {
        g->stepping_alone = false;
        cpus_pause();
    }
    vm_stop(RUN_STATE_DEBUG);
}

static void gdb_unpause(GdbServer *g, CPUState *only)
{
    if (only) {
        g->stepping_alone = true;
        cpus_resume_only(only);
    } else {
        vm_start();
    }
}

static void gdb_resume(void *opaque, const GdbResume *r)
{
    /* a step runs the stepping hart alone, the others stay where they are */
    gdb_unpause(opaque, r->step);
}

static void gdb_interrupt(void *opaque)
{
    GdbServer *g = opaque;

    gdb_pause(g);
    gdb_stub_report_stop(g->stub, cpus_get(0), GDB_SIGNAL_INT, NULL);
}

/* After D or k the connection has nothing more to say (no W at the end),
 * and its closing has nothing left to undo. */
static void gdb_detach(void *opaque)
{
    GdbServer *g = opaque;

    g->connected = false;
    gdb_unpause(g, NULL);
}

static void gdb_kill(void *opaque)
{
    GdbServer *g = opaque;

    g->connected = false;
    runstate_request_shutdown(SHUTDOWN_CAUSE_HOST_UI, 0);
}

static const GdbStubOps gdb_system_ops = {
    .send = gdb_send,
    .thread_at = gdb_thread_at,
    .thread_id = gdb_thread_id,
    .read_memory = gdb_read_memory,
    .write_memory = gdb_write_memory,
    .resume = gdb_resume,
    .interrupt = gdb_interrupt,
    .detach = gdb_detach,
    .kill = gdb_kill,
    .thread_extra_info = gdb_thread_extra_info,
};

/* On a vCPU thread, no locks held: the hart stays stopped until resumed. */
static void debug_stop_handler(CPUState *cpu)
{
    GdbServer *g = gdb_server;

    g_mutex_lock(&g->lock);
    if (!g->pending_stop) {
        g->pending_stop = cpu;
    }
    g_mutex_unlock(&g->lock);
    bh_schedule(g->stop_bh);
}

/* Main loop, BQL held. */
static void debug_stop_bh(void *opaque)
{
    GdbServer *g = opaque;
    CPUDebugStop why;
    CPUState *cpu;

    g_mutex_lock(&g->lock);
    cpu = g->pending_stop;
    g->pending_stop = NULL;
    g_mutex_unlock(&g->lock);
    if (!cpu) {
        return;
    }
    if (!g->connected) {
        /* a step or breakpoint left behind by a gdb that went away */
        gdb_pause(g);
        gdb_stub_remove_all(g->stub);
        gdb_unpause(g, NULL);
        return;
    }
    if (!gdb_stub_is_running(g->stub)) {
        return;                 /* already stopped (Ctrl-C): reported once */
    }
    gdb_pause(g);
    cpu_debug_stop_info(cpu, &why);
    gdb_stub_report_stop(g->stub, cpu, GDB_SIGNAL_TRAP, &why);
}

/* ---- the connection ---- */

static void gdb_chr_read(void *opaque, const uint8_t *buf, int size)
{
    GdbServer *g = opaque;

    gdb_stub_input(g->stub, buf, size);
}

static void gdb_chr_event(void *opaque, ChrEvent event)
{
    GdbServer *g = opaque;

    if (event == CHR_EVENT_OPENED) {
        /* as with a real target: attaching stops the machine */
        gdb_pause(g);
        g->connected = true;
        gdb_stub_connected(g->stub, cpus_get(0), GDB_SIGNAL_TRAP);
    } else if (event == CHR_EVENT_CLOSED && g->connected) {
        /* gdb went away: the machine runs on without its breakpoints */
        g->connected = false;
        gdb_pause(g);
        gdb_stub_remove_all(g->stub);
        gdb_unpause(g, NULL);
    }
}

/* "tcp:[HOST]:PORT", "unix:PATH" or "PORT" as a listening chardev spec. */
static char *gdb_chardev_spec(const char *spec, GError **errp)
{
    if (spec[0] && strspn(spec, "0123456789") == strlen(spec)) {
        return g_strdup_printf("tcp::%s,server=on,wait=off", spec);
    }
    if ((g_str_has_prefix(spec, "tcp:") && strchr(spec + 4, ':')) ||
        (g_str_has_prefix(spec, "unix:") && spec[5] && spec[5] != ',')) {
        return g_strconcat(spec, ",server=on,wait=off", NULL);
    }
    error_setg_code(errp, PROTEUS_ERROR_INVALID,
                    "expected tcp:[HOST]:PORT, unix:PATH or a port number");
    return NULL;
}

bool gdbserver_start(const char *spec, GError **errp)
{
    g_autofree char *chr_spec = gdb_chardev_spec(spec, errp);
    GdbServer *g;
    Chardev *chr;

    if (!chr_spec) {
        return false;
    }
    if (gdb_server) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "only one gdb server can run");
        return false;
    }
    chr = chardev_new_from_shorthand("gdb", chr_spec, errp);
    if (!chr) {
        return false;
    }
    g = g_new0(GdbServer, 1);
    if (!chr_fe_init(&g->fe, chr, errp)) {
        chardev_remove(chr);
        g_free(g);
        return false;
    }
    g_mutex_init(&g->lock);
    g->stub = gdb_stub_new(&gdb_system_ops, g);
    g->stop_bh = bh_new(debug_stop_bh, g);
    gdb_server = g;
    cpus_set_debug_handler(debug_stop_handler);
    chr_fe_set_handlers(&g->fe, NULL, gdb_chr_read, gdb_chr_event, g);
    return true;
}

void gdbserver_exit(int status)
{
    GdbServer *g = gdb_server;

    if (g && g->connected) {
        gdb_stub_report_exit(g->stub, status);
    }
}
