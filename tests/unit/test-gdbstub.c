/*
 * The GDB remote protocol engine (system/gdbstub.c) at the packet level,
 * against a fake target: two threads of a toy CPU with four 8-byte
 * registers, 256 bytes of memory at 0x1000, and ops that record what the
 * engine asked for. Covers framing (checksums, acks, NAKs, resends, no-ack
 * mode), binary escapes both ways, registers, memory, threads, resume
 * packets, Ctrl-C and malformed input.
 */
#include <string.h>

#include "proteus/gdbstub.h"

#define MEM_BASE 0x1000
#define MEM_SIZE 256
#define NREGS 4

typedef struct FakeCpu {
    CPUState parent;
    uint64_t regs[NREGS];
} FakeCpu;

typedef struct Fake {
    GdbStub *stub;
    FakeCpu cpus[2];
    uint8_t mem[MEM_SIZE];
    GString *out;               /* everything the engine sent */
    int resumes, interrupts, detaches, kills;
    GdbResume last_resume;
} Fake;

/* ---- the toy CPU ---- */

static int fake_read_register(CPUState *cpu, GByteArray *buf, int reg)
{
    FakeCpu *c = (FakeCpu *)cpu;

    if (reg < 0 || reg >= NREGS) {
        return 0;
    }
    g_byte_array_append(buf, (const uint8_t *)&c->regs[reg], 8);
    return 8;
}

static int fake_write_register(CPUState *cpu, const uint8_t *mem, int reg)
{
    FakeCpu *c = (FakeCpu *)cpu;

    if (reg < 0 || reg >= NREGS) {
        return 0;
    }
    memcpy(&c->regs[reg], mem, 8);
    return 8;
}

/* A document with every character the escapes are for. */
static const char fake_xml[] = "<target>#$}*</target>";

static const char *fake_get_xml(CPUState *cpu, const char *annex)
{
    return strcmp(annex, "target.xml") == 0 ? fake_xml : NULL;
}

static void fake_set_pc(CPUState *cpu, uint64_t pc)
{
    ((FakeCpu *)cpu)->regs[NREGS - 1] = pc;
}

static const CPUClass fake_cpu_class = {
    .name = "fake",
    .set_pc = fake_set_pc,
    .gdb_read_register = fake_read_register,
    .gdb_write_register = fake_write_register,
    .gdb_num_core_regs = NREGS,
    .gdb_get_xml = fake_get_xml,
};

/* ---- the ops ---- */

static void fake_send(void *opaque, const uint8_t *buf, size_t len)
{
    Fake *f = opaque;

    g_string_append_len(f->out, (const char *)buf, len);
}

static CPUState *fake_thread_at(void *opaque, int n)
{
    Fake *f = opaque;

    return n >= 0 && n < 2 ? &f->cpus[n].parent : NULL;
}

static int64_t fake_thread_id(void *opaque, CPUState *cpu)
{
    return cpu->cpu_index + 1;
}

static bool fake_in_range(uint64_t addr, size_t len)
{
    return addr >= MEM_BASE && addr - MEM_BASE <= MEM_SIZE &&
           len <= MEM_SIZE - (addr - MEM_BASE);
}

static bool fake_read_memory(void *opaque, CPUState *cpu, uint64_t addr, uint8_t *buf,
                             size_t len)
{
    Fake *f = opaque;

    if (!fake_in_range(addr, len)) {
        return false;
    }
    memcpy(buf, f->mem + addr - MEM_BASE, len);
    return true;
}

static bool fake_write_memory(void *opaque, CPUState *cpu, uint64_t addr,
                              const uint8_t *buf, size_t len)
{
    Fake *f = opaque;

    if (!fake_in_range(addr, len)) {
        return false;
    }
    memcpy(f->mem + addr - MEM_BASE, buf, len);
    return true;
}

static void fake_resume(void *opaque, const GdbResume *r)
{
    Fake *f = opaque;

    f->resumes++;
    f->last_resume = *r;
}

static void fake_interrupt(void *opaque)
{
    ((Fake *)opaque)->interrupts++;
}

static void fake_detach(void *opaque)
{
    ((Fake *)opaque)->detaches++;
}

static void fake_kill(void *opaque)
{
    ((Fake *)opaque)->kills++;
}

static const GdbStubOps fake_ops = {
    .send = fake_send,
    .thread_at = fake_thread_at,
    .thread_id = fake_thread_id,
    .read_memory = fake_read_memory,
    .write_memory = fake_write_memory,
    .resume = fake_resume,
    .interrupt = fake_interrupt,
    .detach = fake_detach,
    .kill = fake_kill,
};

/* ---- helpers ---- */

static Fake *fake_new(void)
{
    Fake *f = g_new0(Fake, 1);

    for (int i = 0; i < 2; i++) {
        f->cpus[i].parent.cc = &fake_cpu_class;
        f->cpus[i].parent.cpu_index = i;
        for (int r = 0; r < NREGS; r++) {
            f->cpus[i].regs[r] = 0x1111111111111111ull * (r + 1) + i;
        }
    }
    for (int i = 0; i < MEM_SIZE; i++) {
        f->mem[i] = i;
    }
    f->out = g_string_new(NULL);
    f->stub = gdb_stub_new(&fake_ops, f);
    gdb_stub_connected(f->stub, &f->cpus[0].parent, GDB_SIGNAL_TRAP);
    return f;
}

static void fake_free(Fake *f)
{
    gdb_stub_free(f->stub);
    g_string_free(f->out, TRUE);
    g_free(f);
}

static void feed(Fake *f, const char *bytes)
{
    gdb_stub_input(f->stub, (const uint8_t *)bytes, strlen(bytes));
}

/* "$data#xx" with the right checksum. */
static char *frame(const char *data, size_t len)
{
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++) {
        sum += (uint8_t)data[i];
    }
    return g_strdup_printf("$%.*s#%02x", (int)len, data, sum);
}

/* Sends a well-formed packet and returns everything sent back (g_free). */
static char *request(Fake *f, const char *data)
{
    g_autofree char *pkt = frame(data, strlen(data));

    g_string_truncate(f->out, 0);
    feed(f, pkt);
    return g_strdup(f->out->str);
}

/* The ack plus the framed reply text expected for a request. */
static void assert_reply(Fake *f, const char *req, const char *reply)
{
    g_autofree char *got = request(f, req);
    g_autofree char *want_pkt = frame(reply, strlen(reply));
    g_autofree char *want = g_strconcat("+", want_pkt, NULL);

    g_assert_cmpstr(got, ==, want);
}

/* ---- tests ---- */

static void test_framing(void)
{
    Fake *f = fake_new();

    assert_reply(f, "?", "T05thread:1;");
    /* checksum digits in either case */
    g_string_truncate(f->out, 0);
    feed(f, "$qC#B4");
    g_assert_cmpstr(f->out->str, ==, "+$QC1#c5");
    /* an unknown packet gets the empty reply; so does an empty packet */
    assert_reply(f, "qUnknownThing", "");
    assert_reply(f, "", "");
    fake_free(f);
}

static void test_bad_checksum(void)
{
    Fake *f = fake_new();

    g_string_truncate(f->out, 0);
    feed(f, "$?#00");
    g_assert_cmpstr(f->out->str, ==, "-");
    g_string_truncate(f->out, 0);
    feed(f, "$?#zz");
    g_assert_cmpstr(f->out->str, ==, "-");
    /* the stub is not confused: the next packet is answered */
    assert_reply(f, "?", "T05thread:1;");
    fake_free(f);
}

static void test_resend_and_no_ack(void)
{
    Fake *f = fake_new();

    assert_reply(f, "qAttached", "1");
    /* '-': our last packet again */
    g_string_truncate(f->out, 0);
    feed(f, "-");
    g_assert_cmpstr(f->out->str, ==, "$1#31");
    assert_reply(f, "QStartNoAckMode", "OK");
    /* from now on, no '+' and no '-' */
    g_autofree char *got = request(f, "qAttached");
    g_assert_cmpstr(got, ==, "$1#31");
    g_string_truncate(f->out, 0);
    feed(f, "$?#00");
    g_assert_cmpstr(f->out->str, ==, "");
    /* a new connection acks again */
    gdb_stub_connected(f->stub, &f->cpus[0].parent, GDB_SIGNAL_TRAP);
    assert_reply(f, "qAttached", "1");
    fake_free(f);
}

static void test_overlong_packet(void)
{
    Fake *f = fake_new();
    g_autoptr(GString) big = g_string_new("m");

    while (big->len < GDB_MAX_PACKET + 100) {
        g_string_append(big, "0");
    }
    g_autofree char *pkt = frame(big->str, big->len);
    g_string_truncate(f->out, 0);
    feed(f, pkt);
    g_assert_cmpstr(f->out->str, ==, "-");
    assert_reply(f, "?", "T05thread:1;");
    fake_free(f);
}

static void test_registers(void)
{
    Fake *f = fake_new();

    assert_reply(f, "p1", "2222222222222222");
    assert_reply(f, "P1=0807060504030201", "OK");
    g_assert_cmphex(f->cpus[0].regs[1], ==, 0x0102030405060708ull);
    assert_reply(f, "g", "1111111111111111" "0807060504030201"
                         "3333333333333333" "4444444444444444");
    assert_reply(f, "G" "01000000000000000200000000000000"
                        "03000000000000000400000000000000", "OK");
    g_assert_cmphex(f->cpus[0].regs[3], ==, 4);
    /* another thread's registers after Hg */
    assert_reply(f, "Hg2", "OK");
    assert_reply(f, "p0", "1211111111111111");
    /* malformed or absent registers */
    assert_reply(f, "p9", "E01");
    assert_reply(f, "pzz", "E01");
    assert_reply(f, "P1=12", "E01");
    assert_reply(f, "P1", "E01");
    assert_reply(f, "Gabc", "E01");
    fake_free(f);
}

static void test_memory(void)
{
    Fake *f = fake_new();

    assert_reply(f, "m1010,4", "10111213");
    assert_reply(f, "M1010,2:abcd", "OK");
    g_assert_cmpuint(f->mem[0x10], ==, 0xab);
    g_assert_cmpuint(f->mem[0x11], ==, 0xcd);
    /* unmapped: E14 */
    assert_reply(f, "m0,4", "E14");
    assert_reply(f, "M10f0,32:00", "E01");
    assert_reply(f, "M2000,1:00", "E14");
    /* malformed */
    assert_reply(f, "m1010", "E01");
    assert_reply(f, "mxyz,4", "E01");
    assert_reply(f, "m1010,", "E01");
    assert_reply(f, "M1010,2:abc", "E01");
    assert_reply(f, "M1010,2:zzzz", "E01");
    fake_free(f);
}

/* X: binary data with '}' escapes ("}\x03" is '#', "}]" is '}'). */
static void test_binary_write(void)
{
    Fake *f = fake_new();
    static const char data[] = "X1020,3:}\x03}]A";
    g_autofree char *pkt = frame(data, sizeof(data) - 1);

    g_string_truncate(f->out, 0);
    feed(f, pkt);
    g_assert_cmpstr(f->out->str, ==, "+$OK#9a");
    g_assert_cmpuint(f->mem[0x20], ==, '#');
    g_assert_cmpuint(f->mem[0x21], ==, '}');
    g_assert_cmpuint(f->mem[0x22], ==, 'A');
    /* the length must match the data; a trailing escape is malformed */
    assert_reply(f, "X1020,2:A", "E01");
    assert_reply(f, "X1020,1:}", "E01");
    /* a zero-length X is gdb's probe */
    assert_reply(f, "X1020,0:", "OK");
    fake_free(f);
}

/* qXfer replies escape the framing characters. */
static void test_features_escaped(void)
{
    Fake *f = fake_new();

    assert_reply(f, "qXfer:features:read:target.xml:0,1000",
                 "l<target>}\x03}\x04}]}\x0a</target>");
    assert_reply(f, "qXfer:features:read:target.xml:0,4", "m<tar");
    assert_reply(f, "qXfer:features:read:target.xml:400,10", "l");
    assert_reply(f, "qXfer:features:read:other.xml:0,10", "E00");
    assert_reply(f, "qXfer:features:read:target.xml", "E01");
    fake_free(f);
}

static void test_threads(void)
{
    Fake *f = fake_new();

    assert_reply(f, "qfThreadInfo", "m1,2");
    assert_reply(f, "qsThreadInfo", "l");
    assert_reply(f, "T2", "OK");
    assert_reply(f, "T3", "E22");
    assert_reply(f, "Tq", "E22");
    assert_reply(f, "Hc-1", "OK");
    assert_reply(f, "Hg5", "E22");
    assert_reply(f, "Hx1", "E01");
    assert_reply(f, "H", "E01");
    /* "CPU#1" in hex */
    assert_reply(f, "qThreadExtraInfo,2", "435055233" "1");
    fake_free(f);
}

static void test_resume(void)
{
    Fake *f = fake_new();
    g_autofree char *got = NULL;

    assert_reply(f, "vCont?", "vCont;c;C;s;S;t");
    got = request(f, "c");
    g_assert_cmpstr(got, ==, "+");
    g_assert_cmpint(f->resumes, ==, 1);
    g_assert_true(f->last_resume.run_others);
    g_assert_null(f->last_resume.step);
    g_assert_true(gdb_stub_is_running(f->stub));
    /* running: packets other than Ctrl-C are ignored; Ctrl-C interrupts */
    g_free(got);
    got = request(f, "g");
    g_assert_cmpstr(got, ==, "+");
    feed(f, "\x03");
    g_assert_cmpint(f->interrupts, ==, 1);
    g_string_truncate(f->out, 0);
    gdb_stub_report_stop(f->stub, &f->cpus[1].parent, GDB_SIGNAL_INT, NULL);
    g_assert_cmpstr(f->out->str, ==, "$T02thread:2;#d5");
    g_assert_false(gdb_stub_is_running(f->stub));
    /* C with a signal and an address */
    g_free(got);
    got = request(f, "C0b;2000");
    g_assert_cmpint(f->last_resume.signal, ==, 11);
    g_assert_cmphex(f->cpus[1].regs[NREGS - 1], ==, 0x2000);
    gdb_stub_set_stopped(f->stub, &f->cpus[1].parent, GDB_SIGNAL_TRAP);
    /* malformed resumes do not resume */
    assert_reply(f, "Cxx", "E01");
    assert_reply(f, "vCont;x", "E01");
    assert_reply(f, "vCont;c:9", "E22");
    assert_reply(f, "vCont;Szz", "E01");
    g_assert_cmpint(f->resumes, ==, 2);
    fake_free(f);
}

static void test_detach_kill(void)
{
    Fake *f = fake_new();
    g_autofree char *got = request(f, "D");

    g_assert_cmpstr(got, ==, "+$OK#9a");
    g_assert_cmpint(f->detaches, ==, 1);
    gdb_stub_connected(f->stub, &f->cpus[0].parent, GDB_SIGNAL_TRAP);
    g_free(got);
    got = request(f, "k");
    g_assert_cmpstr(got, ==, "+");
    g_assert_cmpint(f->kills, ==, 1);
    g_string_truncate(f->out, 0);
    gdb_stub_report_exit(f->stub, 3);
    g_assert_cmpstr(f->out->str, ==, "$W03#ba");
    g_string_truncate(f->out, 0);
    gdb_stub_report_signalled(f->stub, 11);
    g_assert_cmpstr(f->out->str, ==, "$X0b#ea");
    fake_free(f);
}

static void test_malformed_breakpoints(void)
{
    Fake *f = fake_new();

    /* unknown types: the empty reply; malformed: an error */
    assert_reply(f, "Z9,1000,4", "");
    assert_reply(f, "Z0,1000", "E01");
    assert_reply(f, "Z0,xyz,4", "E01");
    assert_reply(f, "z0,1000,4", "E22");
    assert_reply(f, "Z2,1000,0", "E22");
    assert_reply(f, "z2,1000,4", "E22");
    fake_free(f);
}

/*
 * Random packets (well framed, or not) never crash the engine. Z/z are
 * left out: they reach the debug core, which needs a translator.
 */
static void test_random_input(void)
{
    static const char *const heads[] = {
        "m", "M", "X", "p", "P", "g", "G", "H", "T", "c", "s", "C", "S", "D", "?",
        "vCont;", "vCont?", "qXfer:features:read:", "qThreadExtraInfo,", "qSupported",
        "qC", "qfThreadInfo", "QStartNoAckMode", "k", "",
    };
    static const char alphabet[] = "0123456789abcdefABCDEF,:;-.}#$xpt=\x03";
    g_autoptr(GRand) rand = g_rand_new_with_seed(8);
    Fake *f = fake_new();

    for (int i = 0; i < 20000; i++) {
        const char *head = heads[g_rand_int_range(rand, 0, G_N_ELEMENTS(heads))];
        g_autoptr(GString) data = g_string_new(head);
        int n = g_rand_int_range(rand, 0, 40);

        for (int k = 0; k < n; k++) {
            int c = alphabet[g_rand_int_range(rand, 0, sizeof(alphabet) - 1)];

            g_string_append_c(data, c);
        }
        if (g_rand_boolean(rand)) {
            g_autofree char *pkt = frame(data->str, data->len);

            feed(f, pkt);
        } else {
            gdb_stub_input(f->stub, (const uint8_t *)data->str, data->len);
        }
        if (gdb_stub_is_running(f->stub)) {
            gdb_stub_report_stop(f->stub, &f->cpus[g_rand_int_range(rand, 0, 2)].parent,
                                 GDB_SIGNAL_TRAP, NULL);
        }
        g_string_truncate(f->out, 0);
    }
    /* still answering */
    feed(f, "#00");
    gdb_stub_connected(f->stub, &f->cpus[0].parent, GDB_SIGNAL_TRAP);
    assert_reply(f, "?", "T05thread:1;");
    fake_free(f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/gdbstub/framing", test_framing);
    g_test_add_func("/gdbstub/bad-checksum", test_bad_checksum);
    g_test_add_func("/gdbstub/resend-and-no-ack", test_resend_and_no_ack);
    g_test_add_func("/gdbstub/overlong-packet", test_overlong_packet);
    g_test_add_func("/gdbstub/registers", test_registers);
    g_test_add_func("/gdbstub/memory", test_memory);
    g_test_add_func("/gdbstub/binary-write", test_binary_write);
    g_test_add_func("/gdbstub/features-escaped", test_features_escaped);
    g_test_add_func("/gdbstub/threads", test_threads);
    g_test_add_func("/gdbstub/resume", test_resume);
    g_test_add_func("/gdbstub/detach-kill", test_detach_kill);
    g_test_add_func("/gdbstub/malformed-breakpoints", test_malformed_breakpoints);
    g_test_add_func("/gdbstub/random-input", test_random_input);
    return g_test_run();
}
