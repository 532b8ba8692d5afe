/*
 * Tests of the SiFive test finisher (hw/misc/sifive-test.c): a guest write
 * ends the emulator with an exit status, which libqtest treats as the
 * emulator dying. So these tests speak the qtest protocol over the
 * emulator's stdin and stdout (-qtest stdio) and collect its exit status.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#define TEST_ADDR "0x100000"

typedef struct Emulator {
    GPid pid;
    FILE *in;                   /* commands */
    FILE *out;                  /* replies */
} Emulator;

static void emulator_start(Emulator *e)
{
    const char *binary = g_getenv("PROTEUS_SYSTEM");
    const char *argv[] = {
        binary, "-M", "none", "-accel", "qtest", "-qtest", "stdio",
        "-device", "sifive-test,addr=" TEST_ADDR, NULL,
    };
    int in_fd, out_fd;
    GError *err = NULL;

    g_assert_nonnull(binary);
    if (!g_spawn_async_with_pipes(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                  NULL, NULL, &e->pid, &in_fd, &out_fd, NULL, &err)) {
        g_error("starting %s: %s", binary, err->message);
    }
    e->in = fdopen(in_fd, "w");
    e->out = fdopen(out_fd, "r");
    g_assert_nonnull(e->in);
    g_assert_nonnull(e->out);
}

/* Sends one command; returns its reply line without the newline, or NULL
 * if the emulator closed its end first. */
static char *emulator_cmd(Emulator *e, const char *cmd)
{
    char line[256];

    fprintf(e->in, "%s\n", cmd);
    fflush(e->in);
    if (!fgets(line, sizeof(line), e->out)) {
        return NULL;
    }
    line[strcspn(line, "\n")] = '\0';
    return g_strdup(line);
}

/* Closes the pipes and returns the emulator's exit status. */
static int emulator_wait(Emulator *e)
{
    int status;

    fclose(e->in);
    fclose(e->out);
    g_assert_cmpint(waitpid(e->pid, &status, 0), ==, e->pid);
    g_spawn_close_pid(e->pid);
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* Writes value to the finisher; the emulator exits with status. */
static void check_exit_status(uint32_t value, int status)
{
    Emulator e;
    g_autofree char *cmd = g_strdup_printf("writel " TEST_ADDR " 0x%x", value);
    g_autofree char *reply = NULL;

    emulator_start(&e);
    reply = emulator_cmd(&e, "readl " TEST_ADDR);
    g_assert_cmpstr(reply, ==, "OK 0x0");
    g_free(emulator_cmd(&e, cmd));
    g_assert_cmpint(emulator_wait(&e), ==, status);
}

static void test_pass(void)
{
    check_exit_status(0x5555, 0);
}

static void test_fail_code(void)
{
    check_exit_status(0x3333 | (3 << 16), 3);
}

static void test_fail_code_large(void)
{
    check_exit_status(0x3333 | (0x41 << 16), 0x41);
}

/* Reset and unknown commands leave the emulator running. */
static void test_reset_keeps_running(void)
{
    Emulator e;
    g_autofree char *r1 = NULL;
    g_autofree char *r2 = NULL;
    g_autofree char *r3 = NULL;

    emulator_start(&e);
    r1 = emulator_cmd(&e, "writel " TEST_ADDR " 0x7777");
    g_assert_cmpstr(r1, ==, "OK");
    r2 = emulator_cmd(&e, "writel " TEST_ADDR " 0x1234");
    g_assert_cmpstr(r2, ==, "OK");
    r3 = emulator_cmd(&e, "readl " TEST_ADDR);
    g_assert_cmpstr(r3, ==, "OK 0x0");
    g_assert_cmpint(emulator_wait(&e), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* An emulator that has exited must not kill the test with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    g_test_add_func("/sifive-test/pass", test_pass);
    g_test_add_func("/sifive-test/fail-code", test_fail_code);
    g_test_add_func("/sifive-test/fail-code-large", test_fail_code_large);
    g_test_add_func("/sifive-test/reset-keeps-running", test_reset_keeps_running);
    return g_test_run();
}
