/*
 * proteus-binfmt: the registration line it prints, its errors, and (as
 * root, where binfmt_misc can be mounted) a real registration: a riscv64
 * program run directly must run under proteus-riscv64 with its argv[0]
 * preserved, and --uninstall must remove the entry.
 *
 * The build tree's layout is found from PROTEUS_SYSTEM (the build root's
 * proteus-system-riscv64): tools/proteus-binfmt and proteus-riscv64 sit
 * beside it; the guest programs are in RISCV64_TEST_BINS.
 */
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#define BINFMT_DIR "/proc/sys/fs/binfmt_misc"
#define ENTRY BINFMT_DIR "/proteus-riscv64"

static char *build_root(void)
{
    const char *system = g_getenv("PROTEUS_SYSTEM");

    g_assert_nonnull(system);
    return g_path_get_dirname(system);
}

static char *binfmt_tool(void)
{
    g_autofree char *root = build_root();

    return g_build_filename(root, "tools", "proteus-binfmt", NULL);
}

/* Runs the tool with up to three options; returns its exit status. */
static int run_tool(const char *a1, const char *a2, const char *a3, char **out, char **err)
{
    g_autofree char *tool = binfmt_tool();
    const char *argv[] = { tool, a1, a2, a3, NULL };
    g_autoptr(GError) error = NULL;
    int status;

    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               out, err, &status, &error));
    g_assert_no_error(error);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static const char expected_line[] =
    ":proteus-riscv64:M::"
    "\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
    "\\x02\\x00\\xf3\\x00:"
    "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff"
    "\\xfe\\xff\\xff\\xff:"
    "/opt/emu/bin/proteus-riscv64:POC\n";

static void test_print(void)
{
    g_autofree char *out = NULL, *err = NULL;

    g_assert_cmpint(run_tool("--print", "--path", "/opt/emu/bin", &out, &err), ==, 0);
    g_assert_cmpstr(out, ==, expected_line);
    g_assert_cmpstr(err, ==, "");
}

static void test_usage_errors(void)
{
    g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;

    g_assert_cmpint(run_tool(NULL, NULL, NULL, &out, &err), ==, 1);
    g_assert_nonnull(strstr(err, "give one of --print, --install, --uninstall"));
    g_assert_cmpint(run_tool("--print", "--install", NULL, &out2, &err2), ==, 1);
}

/* Mounts binfmt_misc if needed; NULL when it is usable, else why not. */
static const char *binfmt_unavailable(void)
{
    if (geteuid() != 0) {
        return "not root: cannot register with binfmt_misc";
    }
    if (access(BINFMT_DIR "/register", F_OK) == 0) {
        return NULL;
    }
    if (mount("none", BINFMT_DIR, "binfmt_misc", 0, NULL) != 0) {
        return "binfmt_misc cannot be mounted here";
    }
    return NULL;
}

static void test_install_run_uninstall(void)
{
    const char *why = binfmt_unavailable();
    g_autofree char *root = build_root();
    g_autofree char *prog = g_build_filename(g_getenv("RISCV64_TEST_BINS"), "hello-static",
                                             NULL);
    g_autofree char *out = NULL, *err = NULL, *run_out = NULL, *run_err = NULL;
    g_autofree char *expected = NULL, *out2 = NULL, *err2 = NULL;
    const char *run_argv[] = { prog, "one", "two words", NULL };
    g_autoptr(GError) error = NULL;
    gboolean spawned;
    int status = 0;

    if (why) {
        g_test_skip(why);
        return;
    }
    g_assert_cmpint(run_tool("--install", "--path", root, &out, &err), ==, 0);
    g_assert_cmpstr(err, ==, "");
    g_assert_true(g_file_test(ENTRY, G_FILE_TEST_EXISTS));

    /* exec'd directly: the kernel hands it to proteus-riscv64 */
    spawned = g_spawn_sync(NULL, (char **)run_argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                           &run_out, &run_err, &status, &error);
    expected = g_strdup_printf("hello from riscv64 0: %s\n"
                               "hello from riscv64 1: one\n"
                               "hello from riscv64 2: two words\n", prog);

    /* unregister before judging, so a failure leaves nothing behind */
    g_assert_cmpint(run_tool("--uninstall", NULL, NULL, &out2, &err2), ==, 0);
    g_assert_false(g_file_test(ENTRY, G_FILE_TEST_EXISTS));
    g_assert_no_error(error);
    g_assert_true(spawned);
    g_assert_cmpstr(run_out, ==, expected);
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_uninstall_when_absent(void)
{
    const char *why = binfmt_unavailable();
    g_autofree char *out = NULL, *err = NULL;

    if (why) {
        g_test_skip(why);
        return;
    }
    g_assert_false(g_file_test(ENTRY, G_FILE_TEST_EXISTS));
    g_assert_cmpint(run_tool("--uninstall", NULL, NULL, &out, &err), ==, 1);
    g_assert_nonnull(strstr(err, "proteus-riscv64 is not registered"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/binfmt/print", test_print);
    g_test_add_func("/binfmt/usage-errors", test_usage_errors);
    g_test_add_func("/binfmt/install-run-uninstall", test_install_run_uninstall);
    g_test_add_func("/binfmt/uninstall-when-absent", test_uninstall_when_absent);
    return g_test_run();
}
