/*
 * HMP, the human monitor: the riscv64 virt machine with -bios none and a
 * raw -kernel whose bytes the test chose (its first word is "j .", so the
 * hart spins and RAM keeps them), driven over -monitor unix:..., tcp:...,
 * stdio and the -nographic console's mux (Ctrl-A c). Outputs are checked
 * exactly: memory dumps in every format and size, info mtree's RAM line,
 * info status through stop/cont, and the error messages.
 */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "monitor-client.h"

#define PROMPT "(proteus) "
#define BANNER_END "monitor - type 'help' for more information\r\n"

/* RAM at 0x80000000: "j ." then data for the dumps. */
static const uint8_t ram_image[] = {
    0x6f, 0x00, 0x00, 0x00, 0x44, 0x33, 0x22, 0x11,
    0x88, 0x77, 0x66, 0x55, 0xff, 0xfe, 'H', 'i',
    '\n', '\'', '\\', 0x00, 0x80, 0xff, 0xff, 0xff,
    0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
};

/* The emulator on virt with ram_image and the extra arguments. */
static void hmp_spawn(MonitorClient *c, const char *const *extra, bool stdio)
{
    g_autofree char *kernel = monitor_client_path(c, "ram.bin");
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    static const char *const base[] = { "-M", "virt", "-display", "none", "-bios", "none", NULL };

    g_assert_true(g_file_set_contents(kernel, (const char *)ram_image, sizeof(ram_image), NULL));
    for (const char *const *a = base; *a; a++) {
        g_ptr_array_add(args, (gpointer)*a);
    }
    g_ptr_array_add(args, "-kernel");
    g_ptr_array_add(args, kernel);
    for (const char *const *a = extra; *a; a++) {
        g_ptr_array_add(args, (gpointer)*a);
    }
    g_ptr_array_add(args, NULL);
    monitor_client_spawn(c, (const char *const *)args->pdata, stdio);
}

/* The banner ("Proteus VERSION monitor - ...") and the first prompt. */
static void expect_banner(MonitorClient *c)
{
    g_autofree char *before = monitor_client_read_until(c, BANNER_END);
    g_autofree char *between = monitor_client_read_until(c, PROMPT);

    g_assert_nonnull(strstr(before, "Proteus "));
    g_assert_cmpstr(between, ==, "");
}

/* Types line and returns what the command printed (after the echo). */
static char *hmp_cmd(MonitorClient *c, const char *line)
{
    g_autofree char *typed = g_strconcat(line, "\r", NULL);
    g_autofree char *echo = g_strconcat(line, "\r\n", NULL);
    g_autofree char *out = NULL;

    monitor_client_send(c, typed);
    out = monitor_client_read_until(c, PROMPT);
    g_assert_true(g_str_has_prefix(out, echo));
    return g_strdup(out + strlen(echo));
}

static void assert_hmp(MonitorClient *c, const char *line, const char *expected)
{
    g_autofree char *out = hmp_cmd(c, line);

    g_assert_cmpstr(out, ==, expected);
}

/* "q": the process ends with status 0. */
static void hmp_quit(MonitorClient *c)
{
    monitor_client_send(c, "q\r");
    g_assert_cmpint(monitor_client_wait_exit(c), ==, 0);
}

static void check_memory_dumps(MonitorClient *c)
{
    static const struct {
        const char *cmd;
        const char *out;
    } dumps[] = {
        { "x /4x 0x80000000",
          "0000000080000000: 0x0000006f 0x11223344 0x55667788 0x6948feff\r\n" },
        { "x/2x 0x80000004", "0000000080000004: 0x11223344 0x55667788\r\n" },
        { "x 0x80000004", "0000000080000004: 0x11223344\r\n" },
        { "xp /2g 0x80000000",
          "0000000080000000: 0x112233440000006f 0x6948feff55667788\r\n" },
        { "xp /3xg 0x80000000",
          "0000000080000000: 0x112233440000006f 0x6948feff55667788\r\n"
          "0000000080000010: 0xffffff80005c270a\r\n" },
        { "xp /10xb 0x80000004",
          "0000000080000004: 0x44 0x33 0x22 0x11 0x88 0x77 0x66 0x55\r\n"
          "000000008000000c: 0xff 0xfe\r\n" },
        { "xp /3hx 0x80000004", "0000000080000004: 0x3344 0x1122 0x7788\r\n" },
        { "xp /6c 0x8000000e", "000000008000000e: 'H' 'i' '\\n' '\\'' '\\\\' '\\x00'\r\n" },
        { "xp /3dw 0x80000014", "0000000080000014:       -128         -2 2147483647\r\n" },
        { "xp /2uh 0x80000014", "0000000080000014: 65408 65535\r\n" },
        { "xp /2db 0x80000014", "0000000080000014: -128  -1\r\n" },
        { "xp /2ob 0x80000004", "0000000080000004: 0104 063\r\n" },
        { "xp /1xh 0x0", "0000000000000000: Cannot access memory\r\n" },
        { "x /4z 0x80000000", "invalid char in format: 'z'\r\n" },
        { "xp /99999999999999999999x 0x80000000", "count too large (at most 65536)\r\n" },
        { "x /2i 0x80000000",
          "0000000080000000:  j 80000000\r\n0000000080000004:  fld fs1,160(a4)\r\n" },
        { "xp /1i 0x80000000", "0000000080000000:  j 80000000\r\n" },
        { "xp /4x", "usage: xp /[count][xduoci][bhwg] ADDRESS\r\n" },
        { "x /4x nowhere", "usage: x /[count][xduoci][bhwg] ADDRESS\r\n" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(dumps); i++) {
        assert_hmp(c, dumps[i].cmd, dumps[i].out);
    }
}

static void check_info(MonitorClient *c)
{
    g_autofree char *mtree = hmp_cmd(c, "info mtree");
    g_autofree char *flat = hmp_cmd(c, "info mtree -f");
    g_autofree char *qtree = hmp_cmd(c, "info qtree");
    g_autofree char *regs = hmp_cmd(c, "info registers");
    g_autofree char *cpus = hmp_cmd(c, "info cpus");
    g_autofree char *info = hmp_cmd(c, "info");

    g_assert_true(g_str_has_prefix(mtree, "address-space: memory\r\n"
                                   "  0000000000000000-ffffffffffffffff (prio 0, container):"
                                   " system\r\n"));
    g_assert_nonnull(strstr(mtree, "\r\n    0000000080000000-0000000087ffffff (prio 0, ram):"
                                   " ram\r\n"));
    g_assert_nonnull(strstr(mtree, "\r\n    0000000010000000-0000000010000007 (prio 0, i/o):"
                                   " ns16550a\r\n"));
    g_assert_nonnull(strstr(flat, "\r\n  0000000080000000-0000000087ffffff (prio 0, ram):"
                                  " ram\r\n"));
    g_assert_nonnull(strstr(qtree, "  dev: ns16550a, id \"uart0\"\r\n"));
    g_assert_nonnull(strstr(qtree, "    mmio 0000000010000000/0000000000000008\r\n"));
    g_assert_true(g_str_has_prefix(regs, "CPU#0\r\n pc       "));
    g_assert_nonnull(strstr(regs, " t0   0000000080000000"));
    /* the hart spins on "j ." at the start of RAM */
    g_assert_true(g_regex_match_simple("^\\* CPU #0: pc=0x0000000080000000 thread_id=[1-9][0-9]*\r\n$",
                                       cpus, 0, 0));
    g_assert_nonnull(strstr(info, "info registers"));
    assert_hmp(c, "info nothing", "unknown info subcommand: 'nothing'\r\n"
               "info status  -- show the current VM status (running|paused)\r\n"
               "info cpus  -- show information about the CPUs\r\n"
               "info registers  -- show the CPU registers (every CPU)\r\n"
               "info mtree [-f] -- show the memory tree (-f: the flat view)\r\n"
               "info qtree  -- show the device tree\r\n");
}

static void check_control(MonitorClient *c)
{
    g_autofree char *help = hmp_cmd(c, "help");
    g_autofree char *question = hmp_cmd(c, "?");

    g_assert_nonnull(strstr(help, "\r\nx /fmt addr -- virtual memory dump starting at 'addr'\r\n"));
    g_assert_nonnull(strstr(help, "\r\nquit|q  -- quit the emulator\r\n"));
    g_assert_cmpstr(help, ==, question);
    assert_hmp(c, "help xp", "xp /fmt addr -- physical memory dump starting at 'addr'\r\n");
    assert_hmp(c, "frobnicate 3", "unknown command: 'frobnicate'\r\n");
    assert_hmp(c, "", "");
    assert_hmp(c, "info status", "VM status: running\r\n");
    assert_hmp(c, "stop", "");
    assert_hmp(c, "info status", "VM status: paused\r\n");
    assert_hmp(c, "c", "");
    assert_hmp(c, "info status", "VM status: running\r\n");
    assert_hmp(c, "system_powerdown", "");
    assert_hmp(c, "system_reset", "");
    assert_hmp(c, "info status", "VM status: running\r\n");
    assert_hmp(c, "cpu 3", "invalid CPU index (there are 1)\r\n");
    assert_hmp(c, "cpu 0", "");
}

/* Line editing: backspace erases, arrow keys are ignored. */
static void check_line_editing(MonitorClient *c)
{
    g_autofree char *out = NULL;

    monitor_client_send(c, "info stX\x7f" "atus\x1b[A\r");
    out = monitor_client_read_until(c, PROMPT);
    g_assert_cmpstr(out, ==, "info stX\b \batus\r\nVM status: running\r\n");
}

static void test_hmp_unix(void)
{
    MonitorClient c;
    g_autofree char *path = NULL;
    g_autofree char *spec = NULL;

    monitor_client_init(&c);
    path = monitor_client_path(&c, "hmp.sock");
    spec = g_strdup_printf("unix:%s,server=on,wait=off", path);
    hmp_spawn(&c, (const char *const[]){ "-nodefaults", "-monitor", spec, NULL }, false);
    monitor_client_connect_unix(&c, path);
    expect_banner(&c);
    check_memory_dumps(&c);
    check_info(&c);
    check_control(&c);
    check_line_editing(&c);
    /* a new client gets a banner of its own */
    monitor_client_disconnect(&c);
    monitor_client_connect_unix(&c, path);
    expect_banner(&c);
    assert_hmp(&c, "info status", "VM status: running\r\n");
    hmp_quit(&c);
    monitor_client_free(&c);
}

static void test_hmp_tcp(void)
{
    MonitorClient c;
    int port = monitor_client_free_port();
    g_autofree char *spec = g_strdup_printf("tcp:127.0.0.1:%d,server=on,wait=off", port);

    monitor_client_init(&c);
    hmp_spawn(&c, (const char *const[]){ "-nodefaults", "-monitor", spec, NULL }, false);
    monitor_client_connect_tcp(&c, port);
    expect_banner(&c);
    assert_hmp(&c, "x /2x 0x80000004", "0000000080000004: 0x11223344 0x55667788\r\n");
    hmp_quit(&c);
    monitor_client_free(&c);
}

static void test_hmp_stdio(void)
{
    MonitorClient c;

    monitor_client_init(&c);
    hmp_spawn(&c, (const char *const[]){ "-nodefaults", "-monitor", "stdio", NULL }, true);
    expect_banner(&c);
    assert_hmp(&c, "info status", "VM status: running\r\n");
    assert_hmp(&c, "xp /1g 0x80000000", "0000000080000000: 0x112233440000006f\r\n");
    hmp_quit(&c);
    monitor_client_free(&c);
}

/*
 * -nographic: the console and the monitor share the terminal. The console
 * has the input first; Ctrl-A c switches to the monitor and back.
 */
static void test_hmp_mux(void)
{
    MonitorClient c;
    g_autofree char *before = NULL;
    g_autofree char *again = NULL;

    monitor_client_init(&c);
    hmp_spawn(&c, (const char *const[]){ "-nographic", NULL }, true);
    /* the monitor stays quiet until it gets the focus */
    monitor_client_send(&c, "\x01" "c");
    before = monitor_client_read_until(&c, BANNER_END);
    g_assert_true(g_str_has_prefix(before, "Proteus "));
    g_free(monitor_client_read_until(&c, PROMPT));
    assert_hmp(&c, "info status", "VM status: running\r\n");
    assert_hmp(&c, "x /1x 0x80000004", "0000000080000004: 0x11223344\r\n");
    /* back to the console, then to the monitor again: a new prompt, no banner */
    monitor_client_send(&c, "\x01" "c" "\x01" "c");
    again = monitor_client_read_until(&c, PROMPT);
    g_assert_cmpstr(again, ==, "");
    hmp_quit(&c);
    monitor_client_free(&c);
}

/* -monitor stdio with the default console: the console's monitor, with the input first. */
static void test_hmp_stdio_console(void)
{
    MonitorClient c;
    g_autofree char *again = NULL;

    monitor_client_init(&c);
    hmp_spawn(&c, (const char *const[]){ "-monitor", "stdio", NULL }, true);
    expect_banner(&c);
    assert_hmp(&c, "info status", "VM status: running\r\n");
    monitor_client_send(&c, "\x01" "c" "\x01" "c");
    again = monitor_client_read_until(&c, PROMPT);
    g_assert_cmpstr(again, ==, "");
    hmp_quit(&c);
    monitor_client_free(&c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hmp/unix", test_hmp_unix);
    g_test_add_func("/hmp/tcp", test_hmp_tcp);
    g_test_add_func("/hmp/stdio", test_hmp_stdio);
    g_test_add_func("/hmp/mux", test_hmp_mux);
    g_test_add_func("/hmp/stdio-console", test_hmp_stdio_console);
    return g_test_run();
}
