/*
 * The GDB remote serial protocol engine (proteus/gdbstub.h), used by both
 * emulators. Reference: the gdb manual, appendix "Remote Serial Protocol"
 * (packets, stop replies, qXfer, vCont) and "Target Descriptions".
 *
 * Framing: "$data#xx" with xx the modulo-256 sum of data in hex. Each good
 * packet is acknowledged with '+', a bad checksum with '-' (gdb resends),
 * until QStartNoAckMode. A '-' from gdb makes us resend our last packet.
 * Binary data (X packets, qXfer replies) escapes '#', '$', '}' and '*' as
 * '}' followed by the byte xor 0x20. A 0x03 byte between packets is
 * gdb's Ctrl-C. Over-long packets are dropped and NAKed; malformed ones
 * get an "E" reply; unknown ones the empty reply, as the protocol asks.
 *
 * All-stop only: one stop reply per resume; thread ids are plain hex (no
 * multiprocess "p" ids, though we accept them).
 */
#include <string.h>

#include "proteus/gdbstub.h"

typedef enum GdbRxState {
    RX_IDLE,                    /* between packets */
    RX_DATA,                    /* after '$' */
    RX_CSUM_HI,                 /* after '#' */
    RX_CSUM_LO,
} GdbRxState;

/* What gdb inserted with Z0/Z1 at one address (both may be there). */
#define BP_SW 1u
#define BP_HW 2u

typedef struct GdbWatch {
    uint64_t addr, len;
    int kind;                   /* WP_* */
} GdbWatch;

struct GdbStub {
    const GdbStubOps *ops;
    void *opaque;

    GdbRxState rx;
    GString *packet;            /* the data of the packet being received */
    uint8_t csum;               /* of packet so far */
    uint8_t csum_hi;
    bool overflow;              /* the packet outgrew GDB_MAX_PACKET */
    bool no_ack;
    GString *last_sent;         /* for a '-' from gdb */

    bool running;
    CPUState *stop_cpu;         /* the thread of the last stop */
    GString *stop_reply;        /* what "?" answers */
    CPUState *g_cpu;            /* Hg: registers and memory; NULL: stop_cpu */
    CPUState *c_cpu;            /* Hc: c and s; NULL: stop_cpu */
    CPUState *stepping;         /* single-stepping since the last resume */

    GHashTable *breakpoints;    /* address -> BP_* bits */
    GArray *watches;            /* GdbWatch */
};

/* ---- hex ---- */

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = g_ascii_tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void hex_append(GString *out, const uint8_t *buf, size_t len)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < len; i++) {
        g_string_append_c(out, digits[buf[i] >> 4]);
        g_string_append_c(out, digits[buf[i] & 15]);
    }
}

/* Exactly 2 * len hex digits at text into buf. */
static bool hex_decode(const char *text, size_t text_len, uint8_t *buf, size_t len)
{
    if (text_len != 2 * len) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            return false;
        }
        buf[i] = hi << 4 | lo;
    }
    return true;
}

/* A hex number of 1..16 digits at *p; *p moves past it. */
static bool parse_hex(const char **p, uint64_t *value)
{
    const char *s = *p;
    uint64_t v = 0;
    int n = 0;

    while (hex_digit(*s) >= 0) {
        if (++n > 16) {
            return false;
        }
        v = v << 4 | hex_digit(*s++);
    }
    if (n == 0) {
        return false;
    }
    *p = s;
    *value = v;
    return true;
}

/* A hex number followed by the separator sep (or by the end when sep is 0). */
static bool parse_hex_sep(const char **p, uint64_t *value, char sep)
{
    if (!parse_hex(p, value) || **p != sep) {
        return false;
    }
    if (sep) {
        (*p)++;
    }
    return true;
}

/*
 * A thread id: "-1" (all), "0" (any), hex, or multiprocess "pPID.TID" (the
 * TID part counts). *p moves past it.
 */
static bool parse_thread_id(const char **p, int64_t *tid)
{
    uint64_t v;

    if (**p == 'p') {
        const char *dot = strchr(*p, '.');

        if (!dot) {
            return false;
        }
        *p = dot + 1;
    }
    if ((*p)[0] == '-' && (*p)[1] == '1') {
        *p += 2;
        *tid = -1;
        return true;
    }
    if (!parse_hex(p, &v) || v > INT64_MAX) {
        return false;
    }
    *tid = (int64_t)v;
    return true;
}

/* ---- sending ---- */

static void send_raw(GdbStub *s, const char *data, size_t len)
{
    s->ops->send(s->opaque, (const uint8_t *)data, len);
}

static void send_packet(GdbStub *s, const char *data, size_t len)
{
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++) {
        sum += (uint8_t)data[i];
    }
    g_string_truncate(s->last_sent, 0);
    g_string_append_c(s->last_sent, '$');
    g_string_append_len(s->last_sent, data, len);
    g_string_append_printf(s->last_sent, "#%02x", sum);
    send_raw(s, s->last_sent->str, s->last_sent->len);
}

static void send_string(GdbStub *s, const char *text)
{
    send_packet(s, text, strlen(text));
}

/* Binary data in a reply: the framing characters escaped. */
static void binary_append(GString *out, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];

        if (c == '#' || c == '$' || c == '}' || c == '*') {
            g_string_append_c(out, '}');
            c ^= 0x20;
        }
        g_string_append_c(out, c);
    }
}

/* Undoes the escapes of binary data in place; returns the new length. */
static size_t binary_unescape(char *buf, size_t len, bool *ok)
{
    size_t out = 0;

    *ok = true;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '}') {
            if (++i == len) {
                *ok = false;
                break;
            }
            buf[out++] = buf[i] ^ 0x20;
        } else {
            buf[out++] = buf[i];
        }
    }
    return out;
}

/* ---- threads ---- */

static CPUState *thread_find(GdbStub *s, int64_t tid)
{
    CPUState *cpu;

    for (int n = 0; (cpu = s->ops->thread_at(s->opaque, n)); n++) {
        if (s->ops->thread_id(s->opaque, cpu) == tid) {
            return cpu;
        }
    }
    return NULL;
}

static CPUState *current_cpu(GdbStub *s, CPUState *chosen)
{
    if (chosen) {
        return chosen;
    }
    return s->stop_cpu ? s->stop_cpu : s->ops->thread_at(s->opaque, 0);
}

static void stop_stepping(GdbStub *s)
{
    if (s->stepping) {
        cpu_single_step(s->stepping, false);
        s->stepping = NULL;
    }
}

/* ---- stop replies ---- */

static void append_stop_reason(GdbStub *s, GString *out, const CPUDebugStop *why)
{
    static const char *const watch_names[] = {
        [WP_READ] = "rwatch", [WP_WRITE] = "watch", [WP_ACCESS] = "awatch",
    };
    gpointer bits;

    switch (why->reason) {
    case DEBUG_STOP_BREAKPOINT:
        bits = g_hash_table_lookup(s->breakpoints, &why->addr);
        g_string_append(out, GPOINTER_TO_UINT(bits) & BP_SW || !bits ? "swbreak:;"
                                                                      : "hwbreak:;");
        break;
    case DEBUG_STOP_WATCHPOINT:
        if (why->kind >= WP_READ && why->kind <= WP_ACCESS) {
            g_string_append_printf(out, "%s:%" G_GINT64_MODIFIER "x;",
                                   watch_names[why->kind], why->addr);
        }
        break;
    default:
        break;
    }
}

static void record_stop(GdbStub *s, CPUState *cpu, int signal, const CPUDebugStop *why)
{
    stop_stepping(s);
    s->running = false;
    s->stop_cpu = cpu;
    s->g_cpu = s->c_cpu = NULL;
    g_string_printf(s->stop_reply, "T%02x", signal & 0xff);
    if (cpu) {
        g_string_append_printf(s->stop_reply, "thread:%" G_GINT64_MODIFIER "x;",
                               s->ops->thread_id(s->opaque, cpu));
    }
    if (why) {
        append_stop_reason(s, s->stop_reply, why);
    }
}

void gdb_stub_set_stopped(GdbStub *s, CPUState *cpu, int signal)
{
    record_stop(s, cpu, signal, NULL);
}

void gdb_stub_report_stop(GdbStub *s, CPUState *cpu, int signal, const CPUDebugStop *why)
{
    record_stop(s, cpu, signal, why);
    send_packet(s, s->stop_reply->str, s->stop_reply->len);
}

void gdb_stub_report_exit(GdbStub *s, int status)
{
    g_autofree char *text = g_strdup_printf("W%02x", status & 0xff);

    s->running = false;
    send_string(s, text);
}

void gdb_stub_report_signalled(GdbStub *s, int signal)
{
    g_autofree char *text = g_strdup_printf("X%02x", signal & 0xff);

    s->running = false;
    send_string(s, text);
}

bool gdb_stub_is_running(const GdbStub *s)
{
    return s->running;
}

void gdb_stub_forget_cpu(GdbStub *s, CPUState *cpu)
{
    if (s->stepping == cpu) {
        s->stepping = NULL;
    }
    if (s->stop_cpu == cpu) {
        s->stop_cpu = NULL;
    }
    if (s->g_cpu == cpu) {
        s->g_cpu = NULL;
    }
    if (s->c_cpu == cpu) {
        s->c_cpu = NULL;
    }
}

void gdb_stub_remove_all(GdbStub *s)
{
    stop_stepping(s);
    if (g_hash_table_size(s->breakpoints)) {
        cpu_breakpoint_remove_all();
        g_hash_table_remove_all(s->breakpoints);
    }
    if (s->watches->len) {
        cpu_watchpoint_remove_all();
        g_array_set_size(s->watches, 0);
    }
}

/* ---- registers ---- */

/* A register's size, or 0 if the CPU has no such register. */
static int register_size(CPUState *cpu, int reg)
{
    g_autoptr(GByteArray) scratch = g_byte_array_new();

    return cpu->cc->gdb_read_register(cpu, scratch, reg);
}

static bool cpu_has_gdb_registers(CPUState *cpu)
{
    return cpu && cpu->cc->gdb_read_register && cpu->cc->gdb_write_register;
}

static bool handle_read_registers(GdbStub *s, const char *args, GString *out)
{
    CPUState *cpu = current_cpu(s, s->g_cpu);
    g_autoptr(GByteArray) buf = g_byte_array_new();

    if (!cpu_has_gdb_registers(cpu)) {
        g_string_assign(out, "E01");
        return true;
    }
    for (int reg = 0; reg < cpu->cc->gdb_num_core_regs; reg++) {
        cpu->cc->gdb_read_register(cpu, buf, reg);
    }
    hex_append(out, buf->data, buf->len);
    return true;
}

static bool handle_write_registers(GdbStub *s, const char *args, GString *out)
{
    CPUState *cpu = current_cpu(s, s->g_cpu);
    size_t text_len = strlen(args), len = text_len / 2, off = 0;
    g_autofree uint8_t *mem = g_malloc(len + 1);

    if (!cpu_has_gdb_registers(cpu) || !hex_decode(args, text_len, mem, len)) {
        g_string_assign(out, "E01");
        return true;
    }
    for (int reg = 0; reg < cpu->cc->gdb_num_core_regs; reg++) {
        int size = register_size(cpu, reg);

        if (size == 0 || off + size > len) {
            break;
        }
        cpu->cc->gdb_write_register(cpu, mem + off, reg);
        off += size;
    }
    g_string_assign(out, "OK");
    return true;
}

static bool handle_read_register(GdbStub *s, const char *args, GString *out)
{
    CPUState *cpu = current_cpu(s, s->g_cpu);
    g_autoptr(GByteArray) buf = g_byte_array_new();
    uint64_t reg;

    if (!cpu_has_gdb_registers(cpu) || !parse_hex_sep(&args, &reg, 0) || reg > INT32_MAX ||
        cpu->cc->gdb_read_register(cpu, buf, (int)reg) == 0) {
        g_string_assign(out, "E01");
        return true;
    }
    hex_append(out, buf->data, buf->len);
    return true;
}

static bool handle_write_register(GdbStub *s, const char *args, GString *out)
{
    CPUState *cpu = current_cpu(s, s->g_cpu);
    uint8_t mem[64];
    uint64_t reg;
    int size;

    if (!cpu_has_gdb_registers(cpu) || !parse_hex_sep(&args, &reg, '=') ||
        reg > INT32_MAX) {
        g_string_assign(out, "E01");
        return true;
    }
    size = register_size(cpu, (int)reg);
    if (size == 0 || size > (int)sizeof(mem) ||
        !hex_decode(args, strlen(args), mem, size)) {
        g_string_assign(out, "E01");
        return true;
    }
    cpu->cc->gdb_write_register(cpu, mem, (int)reg);
    g_string_assign(out, "OK");
    return true;
}

/* ---- memory ---- */

/* "ADDR,LEN" then sep; len capped to what a reply can carry. */
static bool parse_addr_len(const char **p, char sep, uint64_t *addr, uint64_t *len)
{
    return parse_hex_sep(p, addr, ',') && parse_hex_sep(p, len, sep);
}

static bool handle_read_memory(GdbStub *s, const char *args, GString *out)
{
    CPUState *cpu = current_cpu(s, s->g_cpu);
    g_autofree uint8_t *buf = NULL;
    uint64_t addr, len;

    if (!parse_addr_len(&args, 0, &addr, &len)) {
        g_string_assign(out, "E01");
        return true;
    }
    len = MIN(len, (GDB_MAX_PACKET - 8) / 2);
    buf = g_malloc(len + 1);
    if (!s->ops->read_memory(s->opaque, cpu, addr, buf, len)) {
        g_string_assign(out, "E14");
        return true;
    }
    hex_append(out, buf, len);
    return true;
}

static void write_memory_reply(GdbStub *s, uint64_t addr, const uint8_t *buf, size_t len,
                               GString *out)
{
    CPUState *cpu = current_cpu(s, s->g_cpu);

    if (len && !s->ops->write_memory(s->opaque, cpu, addr, buf, len)) {
        g_string_assign(out, "E14");
    } else {
        g_string_assign(out, "OK");
    }
}

static bool handle_write_memory(GdbStub *s, const char *args, GString *out)
{
    g_autofree uint8_t *buf = NULL;
    uint64_t addr, len;

    if (!parse_addr_len(&args, ':', &addr, &len) || len > GDB_MAX_PACKET) {
        g_string_assign(out, "E01");
        return true;
    }
    buf = g_malloc(len + 1);
    if (!hex_decode(args, strlen(args), buf, len)) {
        g_string_assign(out, "E01");
        return true;
    }
    write_memory_reply(s, addr, buf, len, out);
    return true;
}

/* X: like M with the data in binary. The packet's own buffer is unescaped. */
static bool handle_write_memory_binary(GdbStub *s, char *args, size_t args_len,
                                       GString *out)
{
    const char *p = args;
    uint64_t addr, len;
    size_t data_len;
    bool ok;

    if (!parse_addr_len(&p, ':', &addr, &len)) {
        g_string_assign(out, "E01");
        return true;
    }
    data_len = binary_unescape((char *)p, args_len - (p - args), &ok);
    if (!ok || data_len != len) {
        g_string_assign(out, "E01");
        return true;
    }
    write_memory_reply(s, addr, (const uint8_t *)p, len, out);
    return true;
}

/* ---- breakpoints and watchpoints ---- */

static bool watch_find(GdbStub *s, uint64_t addr, uint64_t len, int kind, guint *index)
{
    for (guint i = 0; i < s->watches->len; i++) {
        GdbWatch *w = &g_array_index(s->watches, GdbWatch, i);

        if (w->addr == addr && w->len == len && w->kind == kind) {
            *index = i;
            return true;
        }
    }
    return false;
}

static bool breakpoint_change(GdbStub *s, bool insert, unsigned bit, uint64_t addr)
{
    unsigned bits = GPOINTER_TO_UINT(g_hash_table_lookup(s->breakpoints, &addr));

    if (insert) {
        if (!bits) {
            cpu_breakpoint_insert(addr);
        }
        g_hash_table_insert(s->breakpoints, g_memdup2(&addr, sizeof(addr)),
                            GUINT_TO_POINTER(bits | bit));
        return true;
    }
    if (!(bits & bit)) {
        return false;
    }
    bits &= ~bit;
    if (bits) {
        g_hash_table_insert(s->breakpoints, g_memdup2(&addr, sizeof(addr)),
                            GUINT_TO_POINTER(bits));
    } else {
        g_hash_table_remove(s->breakpoints, &addr);
        cpu_breakpoint_remove(addr);
    }
    return true;
}

static bool watchpoint_change(GdbStub *s, bool insert, int kind, uint64_t addr,
                              uint64_t len)
{
    GdbWatch w = { addr, len, kind };
    guint index;

    if (len == 0 || addr + len - 1 < addr) {
        return false;
    }
    if (insert) {
        if (!watch_find(s, addr, len, kind, &index)) {
            cpu_watchpoint_insert(addr, len, kind);
            g_array_append_val(s->watches, w);
        }
        return true;
    }
    if (!watch_find(s, addr, len, kind, &index)) {
        return false;
    }
    g_array_remove_index_fast(s->watches, index);
    return cpu_watchpoint_remove(addr, len, kind);
}

/* Z/z TYPE,ADDR,KIND: 0 software and 1 hardware breakpoint, 2 write,
 * 3 read and 4 access watchpoint (KIND is then the length). */
static bool handle_breakpoint(GdbStub *s, bool insert, const char *args, GString *out)
{
    static const int watch_kinds[] = { [2] = WP_WRITE, [3] = WP_READ, [4] = WP_ACCESS };
    uint64_t type, addr, kind;
    bool ok;

    if (!parse_hex_sep(&args, &type, ',') || !parse_hex_sep(&args, &addr, ',') ||
        !parse_hex(&args, &kind) || (*args && *args != ';')) {
        g_string_assign(out, "E01");
        return true;
    }
    if (type > 4) {
        return true;            /* unsupported type: the empty reply */
    }
    if (type <= 1) {
        ok = breakpoint_change(s, insert, type == 0 ? BP_SW : BP_HW, addr);
    } else {
        ok = watchpoint_change(s, insert, watch_kinds[type], addr, kind);
    }
    g_string_assign(out, ok ? "OK" : "E22");
    return true;
}

/* ---- running ---- */

static void resume(GdbStub *s, const GdbResume *r)
{
    if (r->step) {
        cpu_single_step(r->step, true);
        s->stepping = r->step;
    }
    s->running = true;
    s->ops->resume(s->opaque, r);
}

/* c/s/C/S: an optional "SIG;" then an optional resume address. */
static bool handle_continue(GdbStub *s, const char *args, bool step, bool with_signal,
                            GString *out)
{
    CPUState *cpu = current_cpu(s, s->c_cpu);
    GdbResume r = { .run_others = !step };
    uint64_t v;

    if (!cpu) {
        g_string_assign(out, "E22");     /* no thread to resume */
        return true;
    }
    if (with_signal) {
        if (!parse_hex(&args, &v) || v > 255 || (*args && *args != ';')) {
            g_string_assign(out, "E01");
            return true;
        }
        r.signal = (int)v;
        args += *args == ';';
    }
    if (*args) {
        if (!parse_hex_sep(&args, &v, 0)) {
            g_string_assign(out, "E01");
            return true;
        }
        cpu->cc->set_pc(cpu, v);
    }
    r.step = step ? cpu : NULL;
    resume(s, &r);
    return false;
}

/* One vCont action: "c", "s", "t", "Cxx" or "Sxx", then ":TID" or nothing. */
static bool parse_vcont_action(const char **p, char *action, int *signal, int64_t *tid)
{
    uint64_t v = 0;

    *action = *(*p)++;
    if (*action == 'C' || *action == 'S') {
        if (!parse_hex(p, &v) || v > 255) {
            return false;
        }
    } else if (*action != 'c' && *action != 's' && *action != 't') {
        return false;
    }
    *signal = (int)v;
    *tid = -1;
    if (**p == ':') {
        (*p)++;
        if (!parse_thread_id(p, tid)) {
            return false;
        }
    }
    return **p == ';' || **p == '\0';
}

/*
 * vCont;ACTION[:TID]...: the first action naming a thread (or naming
 * none) applies to it. All-stop: a step applies to one thread; any
 * continue lets the others run; a signal counts for the stopped thread.
 */
static bool handle_vcont(GdbStub *s, const char *args, GString *out)
{
    CPUState *stopped = current_cpu(s, NULL);
    GdbResume r = { 0 };
    bool stopped_claimed = false, any = false;

    while (*args == ';') {
        char action;
        int signal;
        int64_t tid;
        CPUState *cpu = NULL;

        args++;
        if (!parse_vcont_action(&args, &action, &signal, &tid)) {
            g_string_assign(out, "E01");
            return true;
        }
        if (tid > 0 && !(cpu = thread_find(s, tid))) {
            g_string_assign(out, "E22");
            return true;
        }
        if (action == 't') {
            continue;
        }
        any = true;
        if ((action == 's' || action == 'S') && !r.step) {
            r.step = cpu ? cpu : stopped;
        } else if (action == 'c' || action == 'C') {
            r.run_others = true;
        }
        if (!stopped_claimed && (cpu == NULL || cpu == stopped)) {
            stopped_claimed = true;
            r.signal = signal;
        }
    }
    if (*args) {
        g_string_assign(out, "E01");
        return true;
    }
    if (!any) {
        /* nothing to run: the threads stay stopped, as they are */
        g_string_assign(out, s->stop_reply->str);
        return true;
    }
    resume(s, &r);
    return false;
}

static bool handle_detach(GdbStub *s)
{
    gdb_stub_remove_all(s);
    send_string(s, "OK");
    s->running = true;
    s->ops->detach(s->opaque);
    return false;
}

/* ---- queries ---- */

static bool handle_set_thread(GdbStub *s, const char *args, GString *out)
{
    char which = *args++;
    CPUState *cpu = NULL;
    int64_t tid;

    if ((which != 'g' && which != 'c') || !parse_thread_id(&args, &tid) || *args) {
        g_string_assign(out, "E01");
        return true;
    }
    if (tid > 0 && !(cpu = thread_find(s, tid))) {
        g_string_assign(out, "E22");
        return true;
    }
    /* -1 (all) and 0 (any) mean the stopped thread for registers */
    if (which == 'g') {
        s->g_cpu = cpu;
    } else {
        s->c_cpu = cpu;
    }
    g_string_assign(out, "OK");
    return true;
}

static bool handle_thread_alive(GdbStub *s, const char *args, GString *out)
{
    int64_t tid;

    if (!parse_thread_id(&args, &tid) || *args || tid <= 0 || !thread_find(s, tid)) {
        g_string_assign(out, "E22");
    } else {
        g_string_assign(out, "OK");
    }
    return true;
}

static void thread_list(GdbStub *s, GString *out)
{
    CPUState *cpu;

    g_string_assign(out, "m");
    for (int n = 0; (cpu = s->ops->thread_at(s->opaque, n)); n++) {
        g_string_append_printf(out, "%s%" G_GINT64_MODIFIER "x", n ? "," : "",
                               s->ops->thread_id(s->opaque, cpu));
    }
}

static void thread_extra_info(GdbStub *s, const char *args, GString *out)
{
    g_autofree char *text = NULL;
    CPUState *cpu = NULL;
    int64_t tid;

    if (!parse_thread_id(&args, &tid) || *args || !(cpu = thread_find(s, tid))) {
        g_string_assign(out, "E22");
        return;
    }
    text = s->ops->thread_extra_info ? s->ops->thread_extra_info(s->opaque, cpu) : NULL;
    if (!text) {
        text = g_strdup_printf("CPU#%d", cpu->cpu_index);
    }
    hex_append(out, (const uint8_t *)text, strlen(text));
}

/* qXfer:features:read:ANNEX:OFFSET,LENGTH */
static void read_features(GdbStub *s, const char *args, GString *out)
{
    CPUState *cpu = current_cpu(s, NULL);
    const char *colon = strchr(args, ':');
    g_autofree char *annex = NULL;
    const char *xml;
    uint64_t offset, len;
    size_t total;

    if (!colon) {
        g_string_assign(out, "E01");
        return;
    }
    annex = g_strndup(args, colon - args);
    args = colon + 1;
    if (!parse_addr_len(&args, 0, &offset, &len)) {
        g_string_assign(out, "E01");
        return;
    }
    xml = cpu && cpu->cc->gdb_get_xml ? cpu->cc->gdb_get_xml(cpu, annex) : NULL;
    if (!xml) {
        g_string_assign(out, "E00");
        return;
    }
    total = strlen(xml);
    if (offset >= total) {
        g_string_assign(out, "l");
        return;
    }
    /* escaping may double the size: stay within the packet size */
    len = MIN(MIN(len, total - offset), (GDB_MAX_PACKET - 8) / 2);
    g_string_assign(out, offset + len < total ? "m" : "l");
    binary_append(out, (const uint8_t *)xml + offset, len);
}

static bool handle_query(GdbStub *s, const char *pkt, GString *out)
{
    if (g_str_has_prefix(pkt, "qSupported")) {
        g_string_printf(out, "PacketSize=%x;qXfer:features:read+;vContSupported+;"
                        "swbreak+;hwbreak+;QStartNoAckMode+", GDB_MAX_PACKET);
    } else if (strcmp(pkt, "qC") == 0) {
        CPUState *cpu = current_cpu(s, NULL);

        if (cpu) {
            g_string_printf(out, "QC%" G_GINT64_MODIFIER "x",
                            s->ops->thread_id(s->opaque, cpu));
        }
    } else if (g_str_has_prefix(pkt, "qAttached")) {
        g_string_assign(out, "1");
    } else if (strcmp(pkt, "qfThreadInfo") == 0) {
        thread_list(s, out);
    } else if (strcmp(pkt, "qsThreadInfo") == 0) {
        g_string_assign(out, "l");
    } else if (g_str_has_prefix(pkt, "qThreadExtraInfo,")) {
        thread_extra_info(s, pkt + strlen("qThreadExtraInfo,"), out);
    } else if (g_str_has_prefix(pkt, "qXfer:features:read:")) {
        read_features(s, pkt + strlen("qXfer:features:read:"), out);
    } else if (strcmp(pkt, "QStartNoAckMode") == 0) {
        /* the OK is still acknowledged; nothing after it */
        send_string(s, "OK");
        s->no_ack = true;
        return false;
    }
    return true;
}

static bool handle_v_packet(GdbStub *s, const char *pkt, GString *out)
{
    if (strcmp(pkt, "vCont?") == 0) {
        g_string_assign(out, "vCont;c;C;s;S;t");
    } else if (g_str_has_prefix(pkt, "vCont;")) {
        return handle_vcont(s, pkt + strlen("vCont"), out);
    } else if (g_str_has_prefix(pkt, "vKill")) {
        send_string(s, "OK");
        s->ops->kill(s->opaque);
        return false;
    }
    return true;
}

/* ---- dispatch ---- */

/* Handles one packet; returns whether out is to be sent as the reply. */
static bool dispatch(GdbStub *s, char *pkt, size_t len, GString *out)
{
    char *args = pkt + 1;

    switch (pkt[0]) {
    case '?':
        g_string_assign(out, s->stop_reply->str);
        return true;
    case 'g':
        return handle_read_registers(s, args, out);
    case 'G':
        return handle_write_registers(s, args, out);
    case 'p':
        return handle_read_register(s, args, out);
    case 'P':
        return handle_write_register(s, args, out);
    case 'm':
        return handle_read_memory(s, args, out);
    case 'M':
        return handle_write_memory(s, args, out);
    case 'X':
        return handle_write_memory_binary(s, args, len - 1, out);
    case 'c':
    case 's':
        return handle_continue(s, args, pkt[0] == 's', false, out);
    case 'C':
    case 'S':
        return handle_continue(s, args, pkt[0] == 'S', true, out);
    case 'Z':
    case 'z':
        return handle_breakpoint(s, pkt[0] == 'Z', args, out);
    case 'H':
        return handle_set_thread(s, args, out);
    case 'T':
        return handle_thread_alive(s, args, out);
    case 'D':
        return handle_detach(s);
    case 'k':
        s->ops->kill(s->opaque);
        return false;
    case 'q':
    case 'Q':
        return handle_query(s, pkt, out);
    case 'v':
        return handle_v_packet(s, pkt, out);
    default:
        return true;            /* unknown: the empty reply */
    }
}

static void packet_received(GdbStub *s)
{
    g_autoptr(GString) out = g_string_new(NULL);

    if (s->packet->len == 0) {
        send_string(s, "");
        return;
    }
    /* while the guest runs, gdb sends nothing but Ctrl-C; anything else
     * would touch CPU state under the running guest's feet */
    if (s->running) {
        return;
    }
    if (dispatch(s, s->packet->str, s->packet->len, out)) {
        send_packet(s, out->str, out->len);
    }
}

static void rx_byte(GdbStub *s, uint8_t c)
{
    int digit;

    switch (s->rx) {
    case RX_IDLE:
        if (c == '$') {
            g_string_truncate(s->packet, 0);
            s->csum = 0;
            s->overflow = false;
            s->rx = RX_DATA;
        } else if (c == 0x03) {
            if (s->running) {
                s->ops->interrupt(s->opaque);
            }
        } else if (c == '-' && !s->no_ack && s->last_sent->len) {
            send_raw(s, s->last_sent->str, s->last_sent->len);
        }
        /* '+' acks and stray bytes need nothing */
        break;
    case RX_DATA:
        if (c == '#') {
            s->rx = RX_CSUM_HI;
        } else if (c == '$') {
            /* a new start: the previous packet was cut short */
            g_string_truncate(s->packet, 0);
            s->csum = 0;
            s->overflow = false;
        } else {
            s->csum += c;
            if (s->packet->len < GDB_MAX_PACKET) {
                g_string_append_c(s->packet, c);
            } else {
                s->overflow = true;
            }
        }
        break;
    case RX_CSUM_HI:
        digit = hex_digit(c);
        s->csum_hi = digit < 0 ? 0xff : digit;
        s->rx = digit < 0 ? RX_IDLE : RX_CSUM_LO;
        if (digit < 0 && !s->no_ack) {
            send_raw(s, "-", 1);
        }
        break;
    case RX_CSUM_LO:
        digit = hex_digit(c);
        s->rx = RX_IDLE;
        if (digit < 0 || (s->csum_hi << 4 | digit) != s->csum || s->overflow) {
            if (!s->no_ack) {
                send_raw(s, "-", 1);
            }
            break;
        }
        if (!s->no_ack) {
            send_raw(s, "+", 1);
        }
        packet_received(s);
        break;
    }
}

void gdb_stub_input(GdbStub *s, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        rx_byte(s, buf[i]);
    }
}

/* ---- life cycle ---- */

GdbStub *gdb_stub_new(const GdbStubOps *ops, void *opaque)
{
    GdbStub *s = g_new0(GdbStub, 1);

    s->ops = ops;
    s->opaque = opaque;
    s->packet = g_string_sized_new(256);
    s->last_sent = g_string_new(NULL);
    s->stop_reply = g_string_new("S05");
    s->breakpoints = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    s->watches = g_array_new(FALSE, FALSE, sizeof(GdbWatch));
    return s;
}

void gdb_stub_free(GdbStub *s)
{
    if (!s) {
        return;
    }
    g_string_free(s->packet, TRUE);
    g_string_free(s->last_sent, TRUE);
    g_string_free(s->stop_reply, TRUE);
    g_hash_table_destroy(s->breakpoints);
    g_array_free(s->watches, TRUE);
    g_free(s);
}

void gdb_stub_connected(GdbStub *s, CPUState *cpu, int signal)
{
    s->rx = RX_IDLE;
    s->no_ack = false;
    g_string_truncate(s->last_sent, 0);
    gdb_stub_set_stopped(s, cpu, signal);
}
