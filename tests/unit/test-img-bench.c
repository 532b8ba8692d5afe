/*
 * proteus-img bench: the report it prints, where sequential writes land
 * (step and wrap-around, checked in a raw image's bytes), random requests
 * on qcow2, and the options it must refuse. The tool is $PROTEUS_IMG.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#define IMAGE_SIZE (64u << 10)
#define FILL       0xa5         /* what bench writes */

static char *tmpdir;

/* Runs proteus-img with argv (NULL-terminated, without the tool's name);
 * returns its exit status and its stdout in *out. */
static int run_tool(char **out, const char *const *args)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) err = NULL;
    const char *tool = g_getenv("PROTEUS_IMG");
    int status;

    g_assert_nonnull(tool);
    g_ptr_array_add(argv, (char *)tool);
    for (; *args; args++) {
        g_ptr_array_add(argv, (char *)*args);
    }
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL,
                               G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, out, NULL,
                               &status, &err));
    g_assert_no_error(err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *make_image(const char *name, const char *fmt)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    g_autofree char *out = NULL;
    const char *args[] = { "create", "-f", fmt, path, "64K", NULL };
    g_assert_cmpint(run_tool(&out, args), ==, 0);
    return path;
}

/* The two lines bench prints, with the parts that depend on timing
 * matched loosely. */
static void assert_report(const char *out, const char *first_line)
{
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 3);
    g_assert_cmpstr(lines[0], ==, first_line);
    g_assert_true(g_regex_match_simple("^Run completed in [0-9]+\\.[0-9]{3} seconds, "
                                       "[0-9]+\\.[0-9]{2} MB/s\\.$", lines[1], 0, 0));
    g_assert_cmpstr(lines[2], ==, "");
}

/* 20 writes of 4 KiB every 8 KiB: the first pass covers the 8 even slots,
 * the rest wrap around to the same ones; odd slots stay zero. */
static void test_seq_write_raw(void)
{
    g_autofree char *img = make_image("seq.raw", "raw");
    g_autofree char *out = NULL;
    g_autofree char *data = NULL;
    gsize len;
    const char *args[] = { "bench", "-f", "raw", "-w", "-c", "20", "-d", "3",
                           "-S", "8K", img, NULL };

    g_assert_cmpint(run_tool(&out, args), ==, 0);
    assert_report(out, "Sending 20 write requests, 4096 bytes each, 3 in parallel "
                       "(starting at offset 0, step size 8192)");
    g_assert_true(g_file_get_contents(img, &data, &len, NULL));
    g_assert_cmpuint(len, ==, IMAGE_SIZE);
    for (gsize i = 0; i < len; i++) {
        guint8 want = (i / 4096) % 2 == 0 ? FILL : 0;
        if ((guint8)data[i] != want) {
            g_error("byte %" G_GSIZE_FORMAT " is %#x, want %#x", i, (guint8)data[i], want);
        }
    }
}

/* From -o 60K with 8 KiB requests the first one would not fit. */
static void test_offset_too_far(void)
{
    g_autofree char *img = make_image("far.raw", "raw");
    g_autofree char *out = NULL;
    const char *args[] = { "bench", "-o", "60K", "-s", "8K", "-c", "1", img, NULL };

    g_assert_cmpint(run_tool(&out, args), ==, 1);
    g_assert_cmpstr(out, ==, "");
}

static void test_rand_qcow2(void)
{
    g_autofree char *img = make_image("rand.qcow2", "qcow2");
    g_autofree char *out = NULL;
    g_autofree char *rout = NULL;
    const char *wargs[] = { "bench", "-w", "--pattern", "rand", "-c", "100", "-t", "unsafe",
                            img, NULL };
    const char *rargs[] = { "bench", "-f", "qcow2", "--pattern", "rand", "-c", "100",
                            "-d", "1", img, NULL };
    const char *check[] = { "check", img, NULL };

    g_assert_cmpint(run_tool(&out, wargs), ==, 0);
    assert_report(out, "Sending 100 write requests, 4096 bytes each, 64 in parallel "
                       "(random offsets)");
    g_assert_cmpint(run_tool(&rout, rargs), ==, 0);
    assert_report(rout, "Sending 100 read requests, 4096 bytes each, 1 in parallel "
                        "(random offsets)");
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(run_tool(&out, check), ==, 0);
}

static void test_bad_options(void)
{
    g_autofree char *img = make_image("bad.raw", "raw");
    const char *const cases[][6] = {
        { "bench", "--pattern", "zigzag", img, NULL },
        { "bench", "-d", "0", img, NULL },
        { "bench", "-s", "0", img, NULL },
        { "bench", "-t", "sometimes", img, NULL },
        { "bench", img, img, NULL },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *out = NULL;
        g_assert_cmpint(run_tool(&out, cases[i]), ==, 1);
        g_assert_cmpstr(out, ==, "");
    }
}

int main(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;

    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp(NULL, &err);
    g_assert_no_error(err);
    g_test_add_func("/img-bench/seq-write-raw", test_seq_write_raw);
    g_test_add_func("/img-bench/offset-too-far", test_offset_too_far);
    g_test_add_func("/img-bench/rand-qcow2", test_rand_qcow2);
    g_test_add_func("/img-bench/bad-options", test_bad_options);
    int ret = g_test_run();

    g_autoptr(GDir) dir = g_dir_open(tmpdir, 0, NULL);
    for (const char *name; dir && (name = g_dir_read_name(dir));) {
        g_autofree char *path = g_build_filename(tmpdir, name, NULL);
        g_unlink(path);
    }
    g_rmdir(tmpdir);
    g_free(tmpdir);
    return ret;
}
