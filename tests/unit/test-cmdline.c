/*
 * The system emulator's command line, run as a real process: help and
 * version answers, and for every kind of bad input one line on stderr that
 * names the offending option or value, with exit status 1.
 */
#include <string.h>

#include <sys/wait.h>

#include <glib.h>

static const char *proteus_system;

typedef struct {
    int status;
    char *out;
    char *err;
} RunResult;

static void run_result_clear(RunResult *r)
{
    g_free(r->out);
    g_free(r->err);
}

static RunResult run(const char *args)
{
    g_autofree char *cmd = g_strdup_printf("%s %s", proteus_system, args);
    g_auto(GStrv) argv = NULL;
    RunResult r = { 0 };
    GError *err = NULL;
    int wait_status;

    g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, &err));
    g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL,
                               &r.out, &r.err, &wait_status, &err));
    g_assert_no_error(err);
    g_assert_true(WIFEXITED(wait_status));
    r.status = WEXITSTATUS(wait_status);
    return r;
}

/* Exit status 1 and exactly one stderr line containing every needle. */
static void assert_fails(const char *args, const char *needle1, const char *needle2)
{
    RunResult r = run(args);
    const char *nl;

    if (g_test_verbose()) {
        g_printerr("%s -> %d: %s", args, r.status, r.err);
    }
    g_assert_cmpint(r.status, ==, 1);
    g_assert_nonnull(strstr(r.err, needle1));
    if (needle2) {
        g_assert_nonnull(strstr(r.err, needle2));
    }
    nl = strchr(r.err, '\n');
    g_assert_nonnull(nl);
    g_assert_cmpstr(nl + 1, ==, "");
    g_assert_cmpstr(r.out, ==, "");
    run_result_clear(&r);
}

static void test_version(void)
{
    RunResult r = run("--version");

    g_assert_cmpint(r.status, ==, 0);
    g_assert_true(g_str_has_prefix(r.out, "proteus-system-riscv64 version "));
    run_result_clear(&r);
}

static void test_help(void)
{
    RunResult r = run("--help");

    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(strstr(r.out, "-device TYPE"));
    g_assert_nonnull(strstr(r.out, "-nographic"));
    run_result_clear(&r);
}

static void test_machine_help(void)
{
    RunResult r = run("-M help");

    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(strstr(r.out, "none"));
    run_result_clear(&r);
}

static void test_device_help(void)
{
    RunResult r = run("-device help");

    g_assert_cmpint(r.status, ==, 0);
    /* Found through the module index, with its description. */
    g_assert_nonnull(strstr(r.out, "ns16550a"));
    g_assert_nonnull(strstr(r.out, "16550A UART"));
    /* Abstract base types are not offered. */
    g_assert_null(strstr(r.out, "sys-bus-device"));
    run_result_clear(&r);
}

static void test_device_props_help(void)
{
    RunResult r = run("-device ns16550a,help");

    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(strstr(r.out, "ns16550a options:"));
    g_assert_nonnull(strstr(r.out, "chardev=<"));
    g_assert_nonnull(strstr(r.out, "regshift=<uint8>"));
    g_assert_nonnull(strstr(r.out, "addr=<uint64>"));
    run_result_clear(&r);
}

static void test_cpu_help(void)
{
    RunResult r = run("-cpu help");

    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(strstr(r.out, "rv64gc"));
    g_assert_nonnull(strstr(r.out, "zicond"));
    run_result_clear(&r);
}

static void test_log_help(void)
{
    RunResult r = run("-d help");

    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(strstr(r.out, "guest_errors"));
    run_result_clear(&r);
}

static void test_none_machine_runs(void)
{
    /* -M none with a UART starts, and stdin's end (qtest on stdio) stops it. */
    RunResult r = run("-M none -nodefaults -device ns16550a,addr=0x10000000 -qtest stdio");

    g_assert_cmpint(r.status, ==, 0);
    run_result_clear(&r);
}

static void test_accel_options(void)
{
    RunResult r = run("-M none -nodefaults -accel kvm:tcg,backend=interp,thread=multi "
                      "-qtest stdio");

    g_assert_cmpint(r.status, ==, 0);
    run_result_clear(&r);
}

static void test_bad_input(void)
{
    assert_fails("-nosuchoption", "-nosuchoption", NULL);
    assert_fails("--nosuchoption", "--nosuchoption", NULL);
    assert_fails("stray", "stray", NULL);
    assert_fails("-m", "-m", "requires an argument");
    assert_fails("-M none -m abc", "-m", "abc");
    assert_fails("-M none -m 0", "-m", "zero");
    assert_fails("-M none -smp 0", "-smp", NULL);
    assert_fails("-M nosuchboard", "nosuchboard", NULL);
    assert_fails("-M none,nosuchprop=1", "nosuchprop", NULL);
    assert_fails("-M none -device nosuchdev", "nosuchdev", NULL);
    assert_fails("-M none -device ns16550a,nosuchprop=1", "nosuchprop", NULL);
    assert_fails("-M none -device ns16550a,regshift=abc", "regshift", "abc");
    assert_fails("-M none -device ns16550a,regshift=300", "regshift", "300");
    assert_fails("-M none -device ns16550a,chardev=nochr", "nochr", NULL);
    assert_fails("-M none -device ns16550a,id=9bad", "9bad", NULL);
    assert_fails("-M none -device ns16550a,regshift", "regshift", "needs a value");
    assert_fails("-M none -device ns16550a,addr=0x1000 -device ns16550a,addr=0x1000,id=u",
                 "ns16550a", NULL);
    assert_fails("-M none -device nosuchdev,help", "nosuchdev", NULL);
    assert_fails("-M none -chardev bogus,id=c0", "bogus", NULL);
    assert_fails("-M none -chardev null", "id", NULL);
    assert_fails("-M none -serial bogus:x", "bogus", NULL);
    assert_fails("-M none -d nosuchcat", "nosuchcat", NULL);
    assert_fails("-M none -D /nonexistent/dir/log", "/nonexistent/dir/log", NULL);
    assert_fails("-M none -accel nosuchaccel", "nosuchaccel", NULL);
    assert_fails("-M none -accel tcg,backend=nosuchjit", "nosuchjit", "interp");
    assert_fails("-M none -accel tcg,bogus=1", "bogus", NULL);
    assert_fails("-M none -accel kvm,bogus=1", "bogus", NULL);
    assert_fails("-M none -accel tcg,thread=many", "many", NULL);
    assert_fails("-M none -display gtk", "gtk", NULL);
    assert_fails("-device-plugin /nonexistent/plugin.so", "/nonexistent/plugin.so", NULL);
    assert_fails("-M none -accel qtest", "qtest", NULL);
    assert_fails("-M none -netdev nosuchnet,id=n0", "nosuchnet", NULL);
    assert_fails("-M none -netdev user", "-netdev user", "id=");
    assert_fails("-M none -netdev user,id=n0 -netdev user,id=n0", "duplicate", "n0");
    assert_fails("-M none -netdev user,id=n0,hostfwd=tcp::x-:22", "hostfwd", NULL);
    assert_fails("-M none -netdev tap,id=t0,script=/etc/qemu-ifup", "script", NULL);
    assert_fails("-M none -object nosuchobj,id=o0", "nosuchobj", NULL);
    assert_fails("-M none -global ns16550a", "-global ns16550a", "DRIVER.PROPERTY=VALUE");
    assert_fails("-M none -global nosuchdev.x=1", "nosuchdev", "not a device type");
    assert_fails("-M none -global ns16550a.nosuchprop=1", "nosuchprop", NULL);
    /* applied to each device of the type: a bad value fails its creation */
    assert_fails("-M none -global ns16550a.regshift=300 -device ns16550a,addr=0x1000",
                 "-global ns16550a.regshift=300", "300");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    proteus_system = g_getenv("PROTEUS_SYSTEM");
    g_assert_nonnull(proteus_system);
    g_test_add_func("/cmdline/version", test_version);
    g_test_add_func("/cmdline/help", test_help);
    g_test_add_func("/cmdline/machine-help", test_machine_help);
    g_test_add_func("/cmdline/device-help", test_device_help);
    g_test_add_func("/cmdline/device-props-help", test_device_props_help);
    g_test_add_func("/cmdline/cpu-help", test_cpu_help);
    g_test_add_func("/cmdline/log-help", test_log_help);
    g_test_add_func("/cmdline/none-machine-runs", test_none_machine_runs);
    g_test_add_func("/cmdline/accel-options", test_accel_options);
    g_test_add_func("/cmdline/bad-input", test_bad_input);
    return g_test_run();
}
