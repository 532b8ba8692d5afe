/*
 * proteus-img: creates, inspects, converts, checks and resizes the disk
 * images the block layer reads (raw and qcow2).
 *
 *   proteus-img create -f raw|qcow2 [-b BACKING [-F FMT]] FILE SIZE
 *   proteus-img info FILE
 *   proteus-img convert [-p] [-f FMT] -O FMT IN OUT
 *   proteus-img check FILE      exit 0 clean, 2 corruptions, 3 leaks only
 *   proteus-img resize FILE [+]SIZE
 *
 * SIZE takes an optional K, M, G or T suffix (powers of 1024).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proteus/block.h"
#include "proteus/error.h"

#define CONVERT_CHUNK (2u << 20)
#define ZERO_GRAIN    (64u << 10)     /* qcow2's default cluster size */

static bool parse_size(const char *str, uint64_t *size, GError **errp)
{
    char *end;
    errno = 0;
    uint64_t v = g_ascii_strtoull(str, &end, 10);
    int shift = 0;

    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    }
    if (end == str || *end || errno || (shift && v > (UINT64_MAX >> shift))) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "invalid size '%s'", str);
        return false;
    }
    *size = v << shift;
    return true;
}

/* "1 GiB", "196 KiB", "512 B": the largest unit that keeps a value >= 1. */
static char *human_size(uint64_t v)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    int u = 0;
    double d = v;
    while (d >= 1024 && u < (int)G_N_ELEMENTS(units) - 1) {
        d /= 1024;
        u++;
    }
    return u == 0 ? g_strdup_printf("%" G_GUINT64_FORMAT " B", v)
                  : g_strdup_printf("%.3g %s", d, units[u]);
}

static int usage(void)
{
    fprintf(stderr,
            "usage: proteus-img create -f raw|qcow2 [-b BACKING [-F FMT]] FILE SIZE\n"
            "       proteus-img info FILE\n"
            "       proteus-img convert [-p] [-f FMT] -O FMT IN OUT\n"
            "       proteus-img check FILE\n"
            "       proteus-img resize FILE [+]SIZE\n");
    return 1;
}

static int fail(GError *err)
{
    error_report_err(err);
    return 1;
}

static int cmd_create(int argc, char **argv)
{
    BlockCreateOptions o = { .format = "raw" };
    GError *err = NULL;
    int c;

    while ((c = getopt(argc, argv, "f:b:F:")) != -1) {
        switch (c) {
        case 'f': o.format = optarg; break;
        case 'b': o.backing = optarg; break;
        case 'F': o.backing_fmt = optarg; break;
        default: return usage();
        }
    }
    if (optind + 1 > argc || optind + 2 < argc) {
        return usage();
    }
    const char *file = argv[optind];
    if (optind + 1 < argc) {
        if (!parse_size(argv[optind + 1], &o.size, &err)) {
            return fail(err);
        }
    } else if (o.backing) {
        /* Without a size, the overlay takes its backing image's. */
        g_autofree char *dir = g_path_get_dirname(file);
        g_autofree char *path = g_path_is_absolute(o.backing)
                                ? g_strdup(o.backing) : g_build_filename(dir, o.backing, NULL);
        BlockOpenOptions bo = { .format = o.backing_fmt, .read_only = true };
        BlockDriverState *b = bdrv_open(path, &bo, &err);
        if (!b) {
            return fail(err);
        }
        o.size = bdrv_getlength(b);
        bdrv_close(b);
    } else {
        return usage();
    }
    return bdrv_create(file, &o, &err) ? 0 : fail(err);
}

static int cmd_info(int argc, char **argv)
{
    BlockOpenOptions o = { .read_only = true };
    BlockImageInfo info;
    GError *err = NULL;

    if (argc != 2) {
        return usage();
    }
    BlockDriverState *bs = bdrv_open(argv[1], &o, &err);
    if (!bs || !bdrv_get_info(bs, &info, &err)) {
        bdrv_close(bs);
        return fail(err);
    }
    g_autofree char *vsize = human_size(info.virtual_size);
    g_autofree char *dsize = human_size(info.disk_size);
    printf("image: %s\nfile format: %s\n", argv[1], info.format);
    printf("virtual size: %s (%" G_GUINT64_FORMAT " bytes)\n", vsize, info.virtual_size);
    printf("disk size: %s\n", dsize);
    if (info.cluster_size) {
        printf("cluster_size: %u\n", info.cluster_size);
    }
    if (info.version) {
        printf("format version: %d\n", info.version);
    }
    if (info.backing_file) {
        printf("backing file: %s\n", info.backing_file);
    }
    if (info.backing_format) {
        printf("backing file format: %s\n", info.backing_format);
    }
    if (info.snapshots) {
        printf("Snapshot list:\n%-10s %-20s %12s %20s %15s\n",
               "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK");
        for (guint i = 0; i < info.snapshots->len; i++) {
            BlockSnapshotInfo *sn = &g_array_index(info.snapshots, BlockSnapshotInfo, i);
            g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(sn->date_sec);
            g_autofree char *date = g_date_time_format(dt, "%Y-%m-%d %H:%M:%S");
            g_autofree char *vm = human_size(sn->vm_state_size);
            uint64_t ms = sn->vm_clock_nsec / 1000000;
            printf("%-10s %-20s %12s %20s %02" G_GUINT64_FORMAT ":%02u:%02u.%03u\n",
                   sn->id, sn->name, vm, date, ms / 3600000,
                   (unsigned)(ms / 60000 % 60), (unsigned)(ms / 1000 % 60),
                   (unsigned)(ms % 1000));
        }
    }
    bdrv_image_info_clear(&info);
    bdrv_close(bs);
    return 0;
}

static bool is_zero(const uint8_t *buf, size_t len)
{
    return len == 0 || (buf[0] == 0 && memcmp(buf, buf + 1, len - 1) == 0);
}

static void show_progress(uint64_t done, uint64_t total)
{
    printf("\r    (%6.2f/100%%)", total ? 100.0 * done / total : 100.0);
    fflush(stdout);
}

/* Writes the runs of buf that are not all zeros, in ZERO_GRAIN pieces: the
 * new image reads zeros everywhere else, so those need no clusters. */
static bool write_nonzero(BlockDriverState *out, uint64_t off, const uint8_t *buf,
                          size_t len, GError **errp)
{
    size_t start = 0;
    while (start < len) {
        size_t n = MIN(ZERO_GRAIN, len - start);
        if (is_zero(buf + start, n)) {
            start += n;
            continue;
        }
        size_t end = start + n;
        while (end < len && !is_zero(buf + end, MIN(ZERO_GRAIN, len - end))) {
            end += MIN(ZERO_GRAIN, len - end);
        }
        if (!bdrv_pwrite(out, off + start, buf + start, end - start, errp)) {
            return false;
        }
        start = end;
    }
    return true;
}

/* Copies the image chunk by chunk, leaving out what reads as zeros. */
static bool copy_image(BlockDriverState *in, BlockDriverState *out, bool progress,
                       GError **errp)
{
    uint64_t size = bdrv_getlength(in);
    g_autofree uint8_t *buf = g_malloc(CONVERT_CHUNK);

    for (uint64_t off = 0; off < size; off += CONVERT_CHUNK) {
        size_t n = MIN(CONVERT_CHUNK, size - off);
        if (!bdrv_pread(in, off, buf, n, errp) ||
            !write_nonzero(out, off, buf, n, errp)) {
            return false;
        }
        if (progress) {
            show_progress(off + n, size);
        }
    }
    if (progress) {
        show_progress(size, size);
        printf("\n");
    }
    return bdrv_flush(out, errp);
}

static int cmd_convert(int argc, char **argv)
{
    BlockOpenOptions io = { .read_only = true };
    BlockCreateOptions co = { 0 };
    bool progress = false;
    GError *err = NULL;
    int c;

    while ((c = getopt(argc, argv, "pf:O:")) != -1) {
        switch (c) {
        case 'p': progress = true; break;
        case 'f': io.format = optarg; break;
        case 'O': co.format = optarg; break;
        default: return usage();
        }
    }
    if (!co.format || optind + 2 != argc) {
        return usage();
    }
    BlockDriverState *in = bdrv_open(argv[optind], &io, &err);
    if (!in) {
        return fail(err);
    }
    co.size = bdrv_getlength(in);
    /* Like qemu-img: the output is not synced cluster by cluster. */
    BlockOpenOptions oo = { .format = co.format, .cache = BDRV_CACHE_UNSAFE };
    BlockDriverState *out = NULL;
    bool ok = bdrv_create(argv[optind + 1], &co, &err) &&
              (out = bdrv_open(argv[optind + 1], &oo, &err)) &&
              copy_image(in, out, progress, &err);
    bdrv_close(out);
    bdrv_close(in);
    return ok ? 0 : fail(err);
}

static int cmd_check(int argc, char **argv)
{
    BlockOpenOptions o = { .read_only = true };
    BlockCheckResult res;
    GError *err = NULL;

    if (argc != 2) {
        return usage();
    }
    BlockDriverState *bs = bdrv_open(argv[1], &o, &err);
    if (!bs || !bdrv_check(bs, &res, &err)) {
        bdrv_close(bs);
        return fail(err);
    }
    bdrv_close(bs);
    if (res.corruptions) {
        printf("%" G_GUINT64_FORMAT " errors were found on the image.\n"
               "Data may be corrupted, or further writes to the image may corrupt it.\n",
               res.corruptions);
    }
    if (res.leaks) {
        printf("%" G_GUINT64_FORMAT " leaked clusters were found on the image.\n"
               "This means waste of disk space, but no harm to data.\n", res.leaks);
    }
    if (!res.corruptions && !res.leaks) {
        printf("No errors were found on the image.\n");
    }
    printf("%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " = %.2f%% allocated\n",
           res.allocated_clusters, res.total_clusters,
           res.total_clusters ? 100.0 * res.allocated_clusters / res.total_clusters : 0.0);
    return res.corruptions ? 2 : res.leaks ? 3 : 0;
}

static int cmd_resize(int argc, char **argv)
{
    GError *err = NULL;
    uint64_t size;

    if (argc != 3) {
        return usage();
    }
    bool relative = argv[2][0] == '+';
    if (!parse_size(argv[2] + relative, &size, &err)) {
        return fail(err);
    }
    BlockDriverState *bs = bdrv_open(argv[1], NULL, &err);
    if (!bs) {
        return fail(err);
    }
    if (relative) {
        size += bdrv_getlength(bs);
    }
    bool ok = bdrv_truncate(bs, size, &err) && bdrv_flush(bs, &err);
    bdrv_close(bs);
    if (!ok) {
        return fail(err);
    }
    printf("Image resized.\n");
    return 0;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int argc, char **argv);
    } cmds[] = {
        { "create", cmd_create }, { "info", cmd_info }, { "convert", cmd_convert },
        { "check", cmd_check }, { "resize", cmd_resize },
    };

    error_set_progname("proteus-img");
    if (argc < 2) {
        return usage();
    }
    for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++) {
        if (strcmp(argv[1], cmds[i].name) == 0) {
            return cmds[i].fn(argc - 1, argv + 1);
        }
    }
    return usage();
}
