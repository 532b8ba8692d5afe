/*
 * Device modules: loading by path, refusing foreign ABI versions and files
 * that are not modules, loading by type through the index (parents first),
 * and the index the build generated for the real devices.
 *
 * Each case runs in a subprocess: loaded types stay registered for the life
 * of a process.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "proteus/device.h"
#include "proteus/module.h"

static const char *test_modules_dir;

static char *test_module_path(const char *name)
{
    return g_build_filename(test_modules_dir, name, NULL);
}

static void run_in_subprocess(const char *path)
{
    g_test_trap_subprocess(path, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();
}

static void test_load_good(void)
{
    g_autofree char *path = test_module_path("test-led.so");
    GError *err = NULL;
    DeviceState *dev;
    uint64_t value = 0;

    if (!g_test_subprocess()) {
        run_in_subprocess("/module/load-good");
        return;
    }
    g_assert_false(type_exists("test-led"));
    g_assert_true(module_load_file(path, &err));
    g_assert_no_error(err);
    g_assert_true(type_exists("test-led"));
    /* Loading the same module again changes nothing. */
    g_assert_true(module_load_file(path, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(module_list_loaded()->len, ==, 1);

    dev = device_new("test-led", &err);
    g_assert_no_error(err);
    g_assert_nonnull(dev);
    g_assert_cmpuint(object_property_get_uint(OBJECT(dev), "initial", &err), ==, 7);
    g_assert_true(object_property_parse(OBJECT(dev), "initial", "0x2a", &err));
    g_assert_true(device_realize(dev, &err));
    g_assert_no_error(err);
    sysbus_mmio_map(SYS_BUS_DEVICE(dev), 0, 0x1000);
    g_assert_cmpint(address_space_load(address_space_memory(), 0x1000, 4, false, &value),
                    ==, MEMTX_OK);
    g_assert_cmphex(value, ==, 0x2a);
    /* Configuration freezes once the device is realized. */
    g_assert_false(object_property_parse(OBJECT(dev), "initial", "1", &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_PERMISSION);
    g_clear_error(&err);
}

static void test_load_missing(void)
{
    GError *err = NULL;

    g_assert_false(module_load_file("/nonexistent/hw-nothing.so", &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_NOT_FOUND);
    g_assert_nonnull(strstr(err->message, "/nonexistent/hw-nothing.so"));
    g_error_free(err);
}

static void test_load_wrong_abi(void)
{
    g_autofree char *path = test_module_path("test-led-abi999.so");
    g_autofree char *versions = NULL;
    GError *err = NULL;

    if (!g_test_subprocess()) {
        run_in_subprocess("/module/wrong-abi");
        return;
    }
    g_assert_false(module_load_file(path, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_MODULE);
    g_assert_nonnull(strstr(err->message, path));
    g_assert_nonnull(strstr(err->message, "version 999"));
    versions = g_strdup_printf("ABI version %u", PROTEUS_MODULE_ABI_VERSION);
    g_assert_nonnull(strstr(err->message, versions));
    g_error_free(err);
    /* Nothing of the refused module was registered. */
    g_assert_false(type_exists("test-led"));
}

static void test_load_not_a_module(void)
{
    g_autofree char *path = test_module_path("not-a-module.so");
    GError *err = NULL;

    g_assert_false(module_load_file(path, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_MODULE);
    g_assert_nonnull(strstr(err->message, "not a proteus device module"));
    g_assert_nonnull(strstr(err->message, path));
    g_error_free(err);
}

static void test_load_garbage(void)
{
    g_autofree char *dir = g_dir_make_tmp(NULL, NULL);
    g_autofree char *path = g_build_filename(dir, "hw-garbage.so", NULL);
    GError *err = NULL;

    g_assert_true(g_file_set_contents(path, "this is not an ELF file\n", -1, NULL));
    g_assert_false(module_load_file(path, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_MODULE);
    g_assert_nonnull(strstr(err->message, path));
    g_error_free(err);
    g_unlink(path);
    g_rmdir(dir);
}

/* A module directory with an index written by the test. */
static char *make_index_dir(const char *index_text)
{
    char *dir = g_dir_make_tmp(NULL, NULL);
    g_autofree char *index = g_build_filename(dir, "module-index.txt", NULL);
    const char *mods[] = { "test-led.so", "test-led-blue.so" };

    for (size_t i = 0; i < G_N_ELEMENTS(mods); i++) {
        g_autofree char *target = test_module_path(mods[i]);
        g_autofree char *link = g_build_filename(dir, mods[i], NULL);

        g_assert_cmpint(symlink(target, link), ==, 0);
    }
    g_assert_true(g_file_set_contents(index, index_text, -1, NULL));
    return dir;
}

static void remove_index_dir(const char *dir)
{
    const char *names[] = { "test-led.so", "test-led-blue.so", "module-index.txt" };

    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *p = g_build_filename(dir, names[i], NULL);
        g_unlink(p);
    }
    g_rmdir(dir);
}

static void test_index_loads_parent_first(void)
{
    g_autofree char *dir = NULL;
    g_autofree char *listing = NULL;
    size_t len;
    FILE *out;
    GError *err = NULL;

    if (!g_test_subprocess()) {
        run_in_subprocess("/module/index-parent-first");
        return;
    }
    dir = make_index_dir("# test index\n"
                         "test-led\tsys-bus-device\ttest-led.so\tdu\ttest LED register\n"
                         "test-led-blue\ttest-led\ttest-led-blue.so\tdu\tblue test LED\n");
    module_set_dir(dir);
    g_assert_nonnull(module_index_find("test-led-blue"));
    g_assert_null(module_index_find("nothing"));

    /* -device help lists indexed types without loading them. */
    out = open_memstream(&listing, &len);
    device_print_types(out);
    fclose(out);
    g_assert_nonnull(strstr(listing, "test-led-blue"));
    g_assert_nonnull(strstr(listing, "blue test LED"));
    g_assert_false(type_exists("test-led"));

    g_assert_true(module_load_type("test-led-blue", &err));
    g_assert_no_error(err);
    g_assert_true(type_exists("test-led"));
    g_assert_true(type_exists("test-led-blue"));
    g_assert_cmpuint(module_list_loaded()->len, ==, 2);
    /* A type no module provides is simply not there (no error). */
    g_assert_false(module_load_type("nothing", &err));
    g_assert_no_error(err);
    remove_index_dir(dir);
}

static void test_index_wrong_file(void)
{
    g_autofree char *dir = NULL;
    GError *err = NULL;

    if (!g_test_subprocess()) {
        run_in_subprocess("/module/index-wrong-file");
        return;
    }
    dir = make_index_dir("ghost-dev\tsys-bus-device\ttest-led.so\tdu\tno such type\n");
    module_set_dir(dir);
    g_assert_false(module_load_type("ghost-dev", &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_MODULE);
    g_assert_nonnull(strstr(err->message, "ghost-dev"));
    g_error_free(err);
    remove_index_dir(dir);
}

static void test_built_index(void)
{
    const ModuleIndexEntry *e;
    DeviceState *dev;
    GError *err = NULL;

    if (!g_test_subprocess()) {
        run_in_subprocess("/module/built-index");
        return;
    }
    module_register_builtin();
    e = module_index_find("ns16550a");
    if (!e) {
        /* -Dmodules=false: the UART is linked in instead. */
        g_assert_cmpuint(module_index_get()->len, ==, 0);
        g_assert_true(type_exists("ns16550a"));
        return;
    }
    g_assert_cmpstr(e->file, ==, "hw-char-ns16550a.so");
    g_assert_cmpstr(e->parent, ==, TYPE_SYS_BUS_DEVICE);
    g_assert_true(e->is_device && e->user_creatable && !e->abstract);
    g_assert_cmpstr(e->desc, !=, "");
    g_assert_false(type_exists("ns16550a"));
    dev = device_new("ns16550a", &err);
    g_assert_no_error(err);
    g_assert_nonnull(dev);
    object_unref(dev);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    test_modules_dir = g_getenv("TEST_MODULES_DIR");
    g_assert_nonnull(test_modules_dir);
    g_test_add_func("/module/load-good", test_load_good);
    g_test_add_func("/module/missing", test_load_missing);
    g_test_add_func("/module/wrong-abi", test_load_wrong_abi);
    g_test_add_func("/module/not-a-module", test_load_not_a_module);
    g_test_add_func("/module/garbage", test_load_garbage);
    g_test_add_func("/module/index-parent-first", test_index_loads_parent_first);
    g_test_add_func("/module/index-wrong-file", test_index_wrong_file);
    g_test_add_func("/module/built-index", test_built_index);
    return g_test_run();
}
