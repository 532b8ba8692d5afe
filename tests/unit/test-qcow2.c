/*
 * Block layer tests: qcow2 allocation, refcounts (including refcount table
 * growth), backing chains, zero and compressed clusters, internal snapshot
 * listing, snapshot mode and the asynchronous interface. Images go both
 * ways between us and qemu-img (from Debian's qemu-utils): qemu-img check
 * must find what we write clean, and each side reads what the other wrote.
 * Hostile images must be refused with a clear error and left untouched.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proteus/block.h"
#include "proteus/error.h"
#include "proteus/main-loop.h"

static char *tmpdir;

static char *tmp_path(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
}

/* Runs a command; returns its exit status, stdout into *out if wanted. */
static int run(char **out, const char *first, ...)
{
    GPtrArray *argv = g_ptr_array_new();
    va_list ap;
    int status;
    g_autoptr(GError) err = NULL;

    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        g_ptr_array_add(argv, (char *)a);
    }
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL,
                               G_SPAWN_SEARCH_PATH | (out ? 0 : G_SPAWN_STDOUT_TO_DEV_NULL),
                               NULL, NULL, out, NULL, &status, &err));
    g_assert_no_error(err);
    g_ptr_array_free(argv, true);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void fill_pattern(uint8_t *buf, size_t len, uint32_t seed)
{
    for (size_t i = 0; i < len; i++) {
        seed = seed * 1103515245 + 12345;
        buf[i] = seed >> 16;
    }
}

static void write_file(const char *path, const void *data, size_t len)
{
    g_autoptr(GError) err = NULL;
    g_assert_true(g_file_set_contents(path, data, len, &err));
}

static uint8_t *read_file(const char *path, size_t *len)
{
    g_autoptr(GError) err = NULL;
    char *data;
    g_assert_true(g_file_get_contents(path, &data, len, &err));
    return (uint8_t *)data;
}

static void assert_qemu_check_clean(const char *path)
{
    g_autofree char *out = NULL;
    g_assert_cmpint(run(&out, "qemu-img", "check", path, NULL), ==, 0);
    g_assert_nonnull(strstr(out, "No errors were found"));
}

/* qemu-img's raw reading of the image must equal `expect`. */
static void assert_qemu_reads(const char *path, const uint8_t *expect, size_t len)
{
    g_autofree char *raw = tmp_path("qemu-readback.raw");
    size_t got_len;
    g_assert_cmpint(run(NULL, "qemu-img", "convert", "-O", "raw", path, raw, NULL), ==, 0);
    g_autofree uint8_t *got = read_file(raw, &got_len);
    g_assert_cmpuint(got_len, ==, len);
    g_assert_true(memcmp(got, expect, len) == 0);
    g_unlink(raw);
}

static void assert_reads(BlockDriverState *bs, uint64_t off, const uint8_t *expect,
                         size_t len)
{
    g_autoptr(GError) err = NULL;
    g_autofree uint8_t *got = g_malloc(len);
    g_assert_true(bdrv_pread(bs, off, got, len, &err));
    g_assert_no_error(err);
    g_assert_true(memcmp(got, expect, len) == 0);
}

static BlockDriverState *open_rw(const char *path)
{
    g_autoptr(GError) err = NULL;
    BlockDriverState *bs = bdrv_open(path, NULL, &err);
    g_assert_no_error(err);
    g_assert_nonnull(bs);
    return bs;
}

static void create_image(const char *path, const char *fmt, uint64_t size,
                         uint32_t cluster_size)
{
    g_autoptr(GError) err = NULL;
    BlockCreateOptions o = { .format = fmt, .size = size, .cluster_size = cluster_size };
    g_assert_true(bdrv_create(path, &o, &err));
    g_assert_no_error(err);
}

/* Writes at unaligned offsets across cluster boundaries, then reads back. */
static void test_alloc_readback(void)
{
    g_autofree char *path = tmp_path("alloc.qcow2");
    const size_t size = 4 << 20;
    g_autofree uint8_t *expect = g_malloc0(size);
    g_autoptr(GError) err = NULL;

    create_image(path, "qcow2", size, 0);
    BlockDriverState *bs = open_rw(path);
    g_assert_cmpstr(bdrv_format_name(bs), ==, "qcow2");
    g_assert_cmpuint(bdrv_getlength(bs), ==, size);
    const struct { uint64_t off, len; } writes[] = {
        { 0, 512 }, { 65536 - 100, 300 }, { 1 << 20, 200000 }, { size - 7, 7 }, { 3, 70000 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(writes); i++) {
        fill_pattern(expect + writes[i].off, writes[i].len, i + 1);
        g_assert_true(bdrv_pwrite(bs, writes[i].off, expect + writes[i].off,
                                  writes[i].len, &err));
        g_assert_no_error(err);
    }
    assert_reads(bs, 0, expect, size);
    g_assert_false(bdrv_pwrite(bs, size - 1, expect, 2, &err));
    g_assert_error(err, PROTEUS_ERROR, PROTEUS_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_true(bdrv_flush(bs, &err));
    BlockCheckResult res;
    g_assert_true(bdrv_check(bs, &res, &err));
    g_assert_cmpuint(res.corruptions, ==, 0);
    g_assert_cmpuint(res.leaks, ==, 0);
    bdrv_close(bs);

    assert_qemu_check_clean(path);
    assert_qemu_reads(path, expect, size);
    bs = open_rw(path);
    assert_reads(bs, 0, expect, size);
    bdrv_close(bs);
}

/* 512-byte clusters: 256 refcounts per block, 64 blocks per table cluster,
 * so 10 MiB of data needs new refcount blocks and a bigger table. */
static void test_refcount_growth(void)
{
    g_autofree char *path = tmp_path("grow.qcow2");
    const size_t size = 12 << 20;
    g_autofree uint8_t *expect = g_malloc0(size);
    g_autoptr(GError) err = NULL;

    create_image(path, "qcow2", size, 512);
    BlockDriverState *bs = open_rw(path);
    fill_pattern(expect + 4096, 10 << 20, 7);
    for (size_t off = 4096; off < 4096 + (10 << 20); off += 128 << 10) {
        g_assert_true(bdrv_pwrite(bs, off, expect + off, 128 << 10, &err));
        g_assert_no_error(err);
    }
    BlockCheckResult res;
    g_assert_true(bdrv_check(bs, &res, &err));
    g_assert_cmpuint(res.corruptions, ==, 0);
    g_assert_cmpuint(res.leaks, ==, 0);
    bdrv_close(bs);
    /* The refcount table (one cluster when created) has grown. */
    size_t len;
    g_autofree uint8_t *img = read_file(path, &len);
    uint32_t rt_clusters = (img[56] << 24) | (img[57] << 16) | (img[58] << 8) | img[59];
    g_assert_cmpuint(rt_clusters, >, 1);
    assert_qemu_check_clean(path);
    assert_qemu_reads(path, expect, size);
}

static void test_read_qemu_images(gconstpointer compat)
{
    g_autofree char *raw = tmp_path("src.raw");
    g_autofree char *qc = tmp_path("qemu.qcow2");
    g_autofree char *zc = tmp_path("qemu-z.qcow2");
    g_autofree char *opt = g_strdup_printf("compat=%s", (const char *)compat);
    const size_t size = 3 << 20;
    g_autofree uint8_t *data = g_malloc0(size);

    /* Half random (incompressible), a run of text (compressible), holes. */
    fill_pattern(data, 300000, 3);
    for (size_t i = 1 << 20; i < (1 << 20) + 500000; i++) {
        data[i] = "proteus block layer "[i % 20];
    }
    write_file(raw, data, size);
    g_assert_cmpint(run(NULL, "qemu-img", "convert", "-O", "qcow2", "-o", opt,
                        raw, qc, NULL), ==, 0);
    g_assert_cmpint(run(NULL, "qemu-img", "convert", "-c", "-O", "qcow2", "-o", opt,
                        raw, zc, NULL), ==, 0);
    const char *paths[] = { qc, zc };
    g_autofree uint8_t *orig = g_memdup2(data, size);
    for (int i = 0; i < 2; i++) {
        memcpy(data, orig, size);
        BlockDriverState *bs = open_rw(paths[i]);
        assert_reads(bs, 0, data, size);
        /* Overwriting part of a compressed cluster makes it a normal one. */
        g_autoptr(GError) err = NULL;
        memset(data + (1 << 20) + 1000, 0xab, 100);
        g_assert_true(bdrv_pwrite(bs, (1 << 20) + 1000, data + (1 << 20) + 1000, 100, &err));
        assert_reads(bs, 0, data, size);
        bdrv_close(bs);
        assert_qemu_check_clean(paths[i]);
        assert_qemu_reads(paths[i], data, size);
    }
    g_autofree char *out = NULL;
    run(&out, "qemu-img", "info", zc, NULL);
    g_assert_nonnull(strstr(out, "qcow2"));
}

static void test_backing_chain(void)
{
    g_autofree char *base = tmp_path("base.raw");
    g_autofree char *top = tmp_path("top.qcow2");
    const size_t size = 1 << 20;
    g_autofree uint8_t *data = g_malloc(size);
    g_autofree uint8_t *expect = g_malloc(size);
    g_autoptr(GError) err = NULL;

    fill_pattern(data, size, 11);
    write_file(base, data, size);
    g_assert_cmpint(run(NULL, "qemu-img", "create", "-f", "qcow2", "-b", "base.raw",
                        "-F", "raw", top, NULL), ==, 0);
    BlockDriverState *bs = open_rw(top);
    g_assert_nonnull(bdrv_backing(bs));
    g_assert_cmpstr(bdrv_format_name(bdrv_backing(bs)), ==, "raw");
    assert_reads(bs, 0, data, size);

    memcpy(expect, data, size);
    memset(expect + 70000, 0x5a, 1000);          /* copy-on-write of cluster 1 */
    g_assert_true(bdrv_pwrite(bs, 70000, expect + 70000, 1000, &err));
    memset(expect + 196608, 0, 65536);            /* a zero cluster hides cluster 3 */
    g_assert_true(bdrv_write_zeroes(bs, 196608, 65536, &err));
    g_assert_no_error(err);
    assert_reads(bs, 0, expect, size);
    bdrv_close(bs);

    size_t len;
    g_autofree uint8_t *base_now = read_file(base, &len);
    g_assert_true(memcmp(base_now, data, size) == 0);
    assert_qemu_check_clean(top);
    assert_qemu_reads(top, expect, size);

    /* Our own overlay creation, read by qemu-img. */
    g_autofree char *top2 = tmp_path("top2.qcow2");
    BlockCreateOptions o = { .format = "qcow2", .size = size, .backing = "top.qcow2",
                             .backing_fmt = "qcow2" };
    g_assert_true(bdrv_create(top2, &o, &err));
    g_assert_no_error(err);
    assert_qemu_check_clean(top2);
    assert_qemu_reads(top2, expect, size);
}

static void test_zero_clusters(void)
{
    g_autofree char *path = tmp_path("zero.qcow2");
    const size_t size = 1 << 20;
    g_autofree uint8_t *expect = g_malloc(size);
    g_autoptr(GError) err = NULL;

    create_image(path, "qcow2", size, 0);
    BlockDriverState *bs = open_rw(path);
    fill_pattern(expect, size, 5);
    g_assert_true(bdrv_pwrite(bs, 0, expect, size, &err));
    memset(expect + 65536, 0, 3 * 65536 + 10);
    g_assert_true(bdrv_write_zeroes(bs, 65536, 3 * 65536 + 10, &err));
    memset(expect + 500000, 0, 100);
    g_assert_true(bdrv_discard(bs, 500000, 100, &err));
    g_assert_no_error(err);
    assert_reads(bs, 0, expect, size);
    BlockCheckResult res;
    g_assert_true(bdrv_check(bs, &res, &err));
    g_assert_cmpuint(res.leaks, ==, 0);
    g_assert_cmpuint(res.corruptions, ==, 0);
    /* The three zeroed clusters were freed and get reused. */
    fill_pattern(expect + 65536, 65536, 9);
    g_assert_true(bdrv_pwrite(bs, 65536, expect + 65536, 65536, &err));
    assert_reads(bs, 0, expect, size);
    bdrv_close(bs);
    assert_qemu_check_clean(path);
    assert_qemu_reads(path, expect, size);
}

/* Makes a refcount wrong on purpose and expects check to say so. */
static void test_check_finds_errors(void)
{
    g_autofree char *path = tmp_path("check.qcow2");
    g_autoptr(GError) err = NULL;
    uint8_t one[2] = { 0, 1 }, zero[2] = { 0, 0 };
    BlockCheckResult res;

    create_image(path, "qcow2", 1 << 20, 0);
    BlockDriverState *bs = open_rw(path);
    g_assert_true(bdrv_pwrite(bs, 0, one, 2, &err));
    bdrv_close(bs);
    /* Our layout: refcount block at cluster 2; cluster 3 is L1, 4 the L2, 5 data. */
    size_t len;
    g_autofree uint8_t *img = read_file(path, &len);
    g_assert_cmpuint(len, ==, 6 * 65536);
    memcpy(img + 2 * 65536 + 20 * 2, one, 2);        /* cluster 20: leaked */
    write_file(path, img, len);
    BlockOpenOptions ro = { .read_only = true };
    bs = bdrv_open(path, &ro, &err);
    g_assert_true(bdrv_check(bs, &res, &err));
    g_assert_cmpuint(res.leaks, ==, 1);
    g_assert_cmpuint(res.corruptions, ==, 0);
    bdrv_close(bs);
    memcpy(img + 2 * 65536 + 5 * 2, zero, 2);        /* data cluster: counted free */
    write_file(path, img, len);
    bs = bdrv_open(path, &ro, &err);
    g_assert_true(bdrv_check(bs, &res, &err));
    g_assert_cmpuint(res.leaks, ==, 1);
    g_assert_cmpuint(res.corruptions, ==, 1);
    bdrv_close(bs);
    g_assert_cmpint(run(NULL, "qemu-img", "check", path, NULL), ==, 2);
}

typedef struct HostileCase {
    const char *name;
    size_t offset;              /* header field to overwrite */
    uint64_t value;
    int width;                  /* 4 or 8 bytes; 0: truncate the file to offset */
    const char *message;
} HostileCase;

static void put_be(uint8_t *p, uint64_t v, int width)
{
    for (int i = 0; i < width; i++) {
        p[i] = v >> (8 * (width - 1 - i));
    }
}

static void test_hostile(void)
{
    static const HostileCase cases[] = {
        { "bad magic", 0, 0x12345678, 4, "bad magic" },
        { "L1 past EOF", 40, 1ull << 40, 8, "L1 table is past the end" },
        { "L1 unaligned", 40, 3 * 65536 + 8, 8, "L1 table offset" },
        { "refcount table on header", 48, 0, 8, "refcount table overlaps the header" },
        { "refcount table past EOF", 56, 1000, 4, "refcount table is past the end" },
        { "cluster bits", 20, 40, 4, "cluster size" },
        { "version", 4, 9, 4, "unsupported qcow2 version" },
        { "L1 too small", 36, 0, 4, "L1 table too small" },
        { "L1 overlaps refcounts", 40, 65536, 8, "overlaps the refcount table" },
        { "truncated", 50, 0, 0, "too short" },
        { "unknown feature", 72, 1ull << 40, 8, "incompatible features" },
        { "encrypted", 32, 1, 4, "encrypted" },
    };
    g_autofree char *good = tmp_path("good.qcow2");
    g_autofree char *bad = tmp_path("bad.qcow2");
    size_t len;

    create_image(good, "qcow2", 1 << 30, 0);
    g_autofree uint8_t *img = read_file(good, &len);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const HostileCase *c = &cases[i];
        g_autofree uint8_t *copy = g_memdup2(img, len);
        size_t copy_len = c->width ? len : c->offset;
        g_autoptr(GError) err = NULL;
        if (c->width) {
            put_be(copy + c->offset, c->value, c->width);
        }
        write_file(bad, copy, copy_len);
        BlockOpenOptions o = { .format = "qcow2" };
        BlockDriverState *bs = bdrv_open(bad, &o, &err);
        g_test_message("%s: %s", c->name, err ? err->message : "(opened)");
        g_assert_null(bs);
        g_assert_nonnull(err);
        g_assert_nonnull(strstr(err->message, c->message));
        size_t after_len;
        g_autofree uint8_t *after = read_file(bad, &after_len);
        g_assert_cmpuint(after_len, ==, copy_len);
        g_assert_true(memcmp(after, copy, copy_len) == 0);
    }

    /* An L2 pointer that is not cluster-aligned: reads fail, writes refused. */
    g_autoptr(GError) err = NULL;
    g_autofree uint8_t *copy = g_memdup2(img, len);
    put_be(copy + 3 * 65536, 4 * 65536 + 512, 8);
    write_file(bad, copy, len);
    BlockDriverState *bs = bdrv_open(bad, NULL, &err);
    g_assert_null(bs);
    g_assert_nonnull(strstr(err->message, "L1 entry 0: L2 table offset 0x40200 is not "
                                          "cluster-aligned"));
    g_clear_error(&err);

    /* A data cluster pointer that is not aligned: the read fails, then
     * writes are refused, and the file is never changed. */
    g_autofree uint8_t *l2img = g_malloc0(len + 65536);
    memcpy(l2img, img, len);
    put_be(l2img + 3 * 65536, (4ull * 65536) | (1ull << 63), 8);
    put_be(l2img + 4 * 65536, (5ull * 65536 + 4096) | (1ull << 63), 8);
    put_be(l2img + 2 * 65536 + 4 * 2, 1, 2);
    write_file(bad, l2img, len + 65536);
    bs = bdrv_open(bad, NULL, &err);
    g_assert_no_error(err);
    uint8_t buf[16] = { 0 };
    g_assert_false(bdrv_pread(bs, 0, buf, sizeof(buf), &err));
    g_assert_nonnull(strstr(err->message, "not cluster-aligned"));
    g_clear_error(&err);
    g_assert_false(bdrv_pwrite(bs, 1 << 20, buf, sizeof(buf), &err));
    g_assert_nonnull(strstr(err->message, "corrupt"));
    bdrv_close(bs);
    size_t after_len;
    g_autofree uint8_t *after = read_file(bad, &after_len);
    g_assert_cmpuint(after_len, ==, len + 65536);
    g_assert_true(memcmp(after, l2img, after_len) == 0);
}

/* An image that names itself as its backing file. */
static void test_backing_loop(void)
{
    g_autofree char *path = tmp_path("loop.qcow2");
    BlockCreateOptions o = { .format = "qcow2", .size = 1 << 20, .backing = "loop.qcow2" };
    g_autoptr(GError) err = NULL;

    g_assert_true(bdrv_create(path, &o, &err));
    g_assert_null(bdrv_open(path, NULL, &err));
    g_assert_nonnull(strstr(err->message, "backing chain longer than"));
}

static void test_internal_snapshots(void)
{
    g_autofree char *path = tmp_path("snaps.qcow2");
    g_autoptr(GError) err = NULL;
    BlockImageInfo info;

    g_assert_cmpint(run(NULL, "qemu-img", "create", "-f", "qcow2", path, "1M", NULL), ==, 0);
    g_assert_cmpint(run(NULL, "qemu-img", "snapshot", "-c", "first", path, NULL), ==, 0);
    g_assert_cmpint(run(NULL, "qemu-img", "snapshot", "-c", "second", path, NULL), ==, 0);
    BlockOpenOptions ro = { .read_only = true };
    BlockDriverState *bs = bdrv_open(path, &ro, &err);
    g_assert_no_error(err);
    g_assert_true(bdrv_get_info(bs, &info, &err));
    g_assert_nonnull(info.snapshots);
    g_assert_cmpuint(info.snapshots->len, ==, 2);
    g_assert_cmpstr(g_array_index(info.snapshots, BlockSnapshotInfo, 0).name, ==, "first");
    g_assert_cmpstr(g_array_index(info.snapshots, BlockSnapshotInfo, 1).name, ==, "second");
    bdrv_image_info_clear(&info);
    BlockCheckResult res;
    g_assert_true(bdrv_check(bs, &res, &err));
    g_assert_cmpuint(res.corruptions + res.leaks, ==, 0);
    bdrv_close(bs);
    g_assert_null(bdrv_open(path, NULL, &err));
    g_assert_nonnull(strstr(err->message, "internal snapshots"));
}

static void test_snapshot_mode(void)
{
    g_autofree char *path = tmp_path("snapmode.raw");
    g_autofree uint8_t *data = g_malloc(1 << 20);
    g_autofree uint8_t *junk = g_malloc(4096);
    g_autoptr(GError) err = NULL;
    size_t len;

    fill_pattern(data, 1 << 20, 21);
    fill_pattern(junk, 4096, 22);
    write_file(path, data, 1 << 20);
    BlockOpenOptions o = { .snapshot = true };
    BlockDriverState *bs = bdrv_open(path, &o, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(bdrv_format_name(bs), ==, "qcow2");
    g_assert_true(bdrv_pwrite(bs, 1000, junk, 4096, &err));
    assert_reads(bs, 1000, junk, 4096);
    bdrv_close(bs);
    g_autofree uint8_t *after = read_file(path, &len);
    g_assert_true(memcmp(after, data, 1 << 20) == 0);
}

static void aio_done(void *opaque, const GError *err)
{
    int *count = opaque;
    g_assert_no_error(err);
    (*count)++;
}

static void test_aio(void)
{
    g_autofree char *path = tmp_path("aio.qcow2");
    g_autofree uint8_t *data = g_malloc(1 << 20);
    g_autofree uint8_t *got = g_malloc0(1 << 20);
    int done = 0;

    main_loop_init();
    create_image(path, "qcow2", 1 << 20, 0);
    BlockDriverState *bs = open_rw(path);
    fill_pattern(data, 1 << 20, 31);
    for (int i = 0; i < 16; i++) {
        bdrv_aio_submit(bs, BDRV_REQ_WRITE, i << 16, data + (i << 16), 1 << 16,
                        aio_done, &done);
    }
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (done < 16 && g_get_monotonic_time() < deadline) {
        main_loop_wait(true);
    }
    g_assert_cmpint(done, ==, 16);
    bdrv_aio_submit(bs, BDRV_REQ_FLUSH, 0, NULL, 0, aio_done, &done);
    bdrv_aio_submit(bs, BDRV_REQ_READ, 0, got, 1 << 20, aio_done, &done);
    bdrv_drain(bs);
    g_assert_cmpint(done, ==, 18);
    g_assert_true(memcmp(got, data, 1 << 20) == 0);
    bdrv_close(bs);
    assert_qemu_check_clean(path);
}

static void test_raw_and_resize(void)
{
    g_autofree char *raw = tmp_path("plain.raw");
    g_autofree char *qc = tmp_path("resize.qcow2");
    g_autoptr(GError) err = NULL;
    uint8_t buf[100];

    create_image(raw, "raw", 1 << 20, 0);
    BlockDriverState *bs = open_rw(raw);
    g_assert_cmpstr(bdrv_format_name(bs), ==, "raw");
    fill_pattern(buf, sizeof(buf), 41);
    g_assert_true(bdrv_pwrite(bs, 12345, buf, sizeof(buf), &err));
    assert_reads(bs, 12345, buf, sizeof(buf));
    g_assert_true(bdrv_truncate(bs, 2 << 20, &err));
    g_assert_cmpuint(bdrv_getlength(bs), ==, 2 << 20);
    bdrv_close(bs);

    /* 512-byte clusters: 1 MiB -> 200 MiB needs a new, bigger L1 table. */
    create_image(qc, "qcow2", 1 << 20, 512);
    bs = open_rw(qc);
    g_assert_true(bdrv_pwrite(bs, 1000, buf, sizeof(buf), &err));
    g_assert_true(bdrv_truncate(bs, 200 << 20, &err));
    g_assert_no_error(err);
    g_assert_true(bdrv_pwrite(bs, (200 << 20) - 100, buf, sizeof(buf), &err));
    assert_reads(bs, 1000, buf, sizeof(buf));
    assert_reads(bs, (200 << 20) - 100, buf, sizeof(buf));
    g_assert_false(bdrv_truncate(bs, 1 << 20, &err));
    bdrv_close(bs);
    assert_qemu_check_clean(qc);
    bs = open_rw(qc);
    g_assert_cmpuint(bdrv_getlength(bs), ==, 200 << 20);
    assert_reads(bs, (200 << 20) - 100, buf, sizeof(buf));
    bdrv_close(bs);
}

/* Writes clusters (growing refcount blocks and the refcount table on the
 * way) until killed; the image must then have no refcount errors, at most
 * leaks, and every write flushed before the kill must read back. */
static void test_kill_during_writes(void)
{
    g_autofree char *path = tmp_path("killed.qcow2");
    const uint64_t delays_us[] = { 2000, 15000, 60000, 300000 };

    for (size_t d = 0; d < G_N_ELEMENTS(delays_us); d++) {
        int progress[2];
        create_image(path, "qcow2", 64 << 20, 512);
        g_assert_cmpint(pipe(progress), ==, 0);
        pid_t pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
            BlockDriverState *bs = bdrv_open(path, NULL, NULL);
            uint8_t buf[1536];
            for (uint32_t i = 0; bs && i < 40000; i++) {
                memset(buf, i % 251 + 1, sizeof(buf));
                if (!bdrv_pwrite(bs, (uint64_t)i * sizeof(buf), buf, sizeof(buf), NULL) ||
                    !bdrv_flush(bs, NULL) || write(progress[1], &i, 4) != 4) {
                    _exit(1);
                }
            }
            _exit(0);
        }
        close(progress[1]);
        g_usleep(delays_us[d]);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        uint32_t last = 0, i;
        bool any = false;
        while (read(progress[0], &i, 4) == 4) {
            last = i;
            any = true;
        }
        close(progress[0]);

        BlockOpenOptions ro = { .read_only = true };
        g_autoptr(GError) err = NULL;
        BlockDriverState *bs = bdrv_open(path, &ro, &err);
        g_assert_no_error(err);
        BlockCheckResult res;
        g_assert_true(bdrv_check(bs, &res, &err));
        g_assert_cmpuint(res.corruptions, ==, 0);
        g_test_message("killed after %u writes: %" G_GUINT64_FORMAT " leaked clusters",
                       any ? last + 1 : 0, res.leaks);
        uint8_t buf[1536], want[1536];
        for (uint32_t j = 0; any && j <= last; j++) {
            memset(want, j % 251 + 1, sizeof(want));
            g_assert_true(bdrv_pread(bs, (uint64_t)j * sizeof(buf), buf, sizeof(buf), &err));
            g_assert_true(memcmp(buf, want, sizeof(buf)) == 0);
        }
        bdrv_close(bs);
        int rc = run(NULL, "qemu-img", "check", path, NULL);
        g_assert_true(rc == 0 || rc == 3);
    }
}

/* proteus-img end to end: create, convert with progress, info, check's
 * exit codes, resize. */
static void test_img_tool(void)
{
    const char *tool = g_getenv("PROTEUS_IMG");
    g_autofree char *raw = tmp_path("tool.raw");
    g_autofree char *qc = tmp_path("tool.qcow2");
    g_autofree char *back = tmp_path("tool-back.raw");
    g_autofree char *out = NULL;
    g_autofree uint8_t *data = g_malloc0(5 << 20);

    g_assert_nonnull(tool);
    fill_pattern(data + (1 << 20), 1 << 20, 51);
    write_file(raw, data, 5 << 20);
    g_assert_cmpint(run(&out, tool, "convert", "-p", "-O", "qcow2", raw, qc, NULL), ==, 0);
    g_assert_nonnull(strstr(out, "(100.00/100%)"));
    assert_qemu_check_clean(qc);
    assert_qemu_reads(qc, data, 5 << 20);
    g_assert_cmpint(run(NULL, tool, "convert", "-f", "qcow2", "-O", "raw", qc, back, NULL),
                    ==, 0);
    size_t len;
    g_autofree uint8_t *got = read_file(back, &len);
    g_assert_cmpuint(len, ==, 5 << 20);
    g_assert_true(memcmp(got, data, len) == 0);

    g_clear_pointer(&out, g_free);
    g_assert_cmpint(run(&out, tool, "info", qc, NULL), ==, 0);
    g_assert_nonnull(strstr(out, "file format: qcow2\n"));
    g_assert_nonnull(strstr(out, "virtual size: 5 MiB (5242880 bytes)\n"));
    g_assert_nonnull(strstr(out, "cluster_size: 65536\n"));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(run(&out, tool, "check", qc, NULL), ==, 0);
    g_assert_nonnull(strstr(out, "16/80 = 20.00% allocated"));

    g_assert_cmpint(run(NULL, tool, "resize", qc, "+1M", NULL), ==, 0);
    g_assert_cmpint(run(NULL, tool, "resize", qc, "1M", NULL), ==, 1);
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(run(&out, "qemu-img", "info", qc, NULL), ==, 0);
    g_assert_nonnull(strstr(out, "(6291456 bytes)"));

    /* A leaked cluster (3), then a data cluster counted free (2). */
    g_autofree uint8_t *img = read_file(qc, &len);
    img[2 * 65536 + (len / 65536 + 3) * 2 + 1] = 1;
    write_file(qc, img, len);
    g_assert_cmpint(run(NULL, tool, "check", qc, NULL), ==, 3);
    img[2 * 65536 + (len / 65536 - 1) * 2 + 1] = 0;
    write_file(qc, img, len);
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(run(&out, tool, "check", qc, NULL), ==, 2);
    g_assert_nonnull(strstr(out, "1 errors were found"));
    g_assert_nonnull(strstr(out, "1 leaked clusters"));

    g_assert_cmpint(run(NULL, tool, "create", "-f", "qcow2", "-b", "tool.raw", "-F", "raw",
                        qc, NULL), ==, 0);
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(run(&out, tool, "info", qc, NULL), ==, 0);
    g_assert_nonnull(strstr(out, "backing file: tool.raw\n"));
    g_assert_nonnull(strstr(out, "virtual size: 5 MiB"));
    assert_qemu_reads(qc, data, 5 << 20);
}

int main(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp(NULL, &err);
    g_assert_no_error(err);

    g_test_add_func("/qcow2/alloc-readback", test_alloc_readback);
    g_test_add_func("/qcow2/refcount-growth", test_refcount_growth);
    g_test_add_data_func("/qcow2/read-qemu-images/v3", "1.1", test_read_qemu_images);
    g_test_add_data_func("/qcow2/read-qemu-images/v2", "0.10", test_read_qemu_images);
    g_test_add_func("/qcow2/backing-chain", test_backing_chain);
    g_test_add_func("/qcow2/zero-clusters", test_zero_clusters);
    g_test_add_func("/qcow2/check-finds-errors", test_check_finds_errors);
    g_test_add_func("/qcow2/hostile", test_hostile);
    g_test_add_func("/qcow2/backing-loop", test_backing_loop);
    g_test_add_func("/qcow2/internal-snapshots", test_internal_snapshots);
    g_test_add_func("/block/snapshot-mode", test_snapshot_mode);
    g_test_add_func("/block/aio", test_aio);
    g_test_add_func("/block/raw-and-resize", test_raw_and_resize);
    g_test_add_func("/block/proteus-img", test_img_tool);
    g_test_add_func("/qcow2/kill-during-writes", test_kill_during_writes);
    int ret = g_test_run();
    run(NULL, "rm", "-rf", tmpdir, NULL);
    g_free(tmpdir);
    return ret;
}
