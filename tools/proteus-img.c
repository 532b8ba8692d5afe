/*
 * proteus-img: creates, inspects, converts, checks and resizes the disk
 * images the block layer reads (raw and qcow2).
 *
 *   proteus-img create -f raw|qcow2 [-b BACKING [-F FMT]] FILE SIZE
 *   proteus-img info FILE
 *   proteus-img convert [-p] [-f FMT] -O FMT IN OUT
 *   proteus-img check FILE      exit 0 clean, 2 corruptions, 3 leaks only
 *   proteus-img resize FILE [+]SIZE
 *   proteus-img bench [-f FMT] [-w] [-s BUFSIZE] [-c COUNT] [-d DEPTH]
 *                     [-o OFFSET] [-S STEP] [--pattern seq|rand] [-t CACHE] FILE
 *       COUNT requests (default 75000) of BUFSIZE bytes (4096), DEPTH (64) in
 *       flight, from OFFSET by STEP (BUFSIZE) modulo the image size or at
 *       random BUFSIZE-aligned offsets; prints the time taken and MB/s
 *       (10^6 bytes). Unlike qemu-img bench's, --pattern picks the offsets.
 *
 * SIZE takes an optional K, M, G or T suffix (powers of 1024).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proteus/block.h"
#include "proteus/error.h"
#include "proteus/main-loop.h"

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
            "       proteus-img resize FILE [+]SIZE\n"
            "       proteus-img bench [-f FMT] [-w] [-s BUFSIZE] [-c COUNT] [-d DEPTH]\n"
            "                         [-o OFFSET] [-S STEP] [--pattern seq|rand]\n"
            "                         [-t CACHE] FILE\n");
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

/* ---- bench: request throughput through the asynchronous interface ---- */

#define BENCH_SEED      0x5eed1234u     /* random offsets repeat from run to run */
#define BENCH_MAX_BUF   (64u << 20)
#define BENCH_MAX_DEPTH 4096
#define BENCH_MAX_MEM   (1u << 30)     /* all DEPTH buffers together */

typedef struct BenchState {
    BlockDriverState *bs;
    BlockRequestType type;
    uint64_t bufsize;
    uint64_t count;             /* requests to issue in all */
    uint64_t submitted;
    uint64_t completed;
    uint64_t first_offset;      /* sequential: where each pass starts */
    uint64_t next_offset;
    uint64_t step;
    uint64_t slots;             /* random: bufsize-aligned positions */
    GRand *rng;                 /* NULL for the sequential pattern */
    GError *err;                /* the first failed request's error */
} BenchState;

typedef struct BenchSlot {
    BenchState *b;
    uint8_t *buf;
} BenchSlot;

/* The next request's offset. Sequential requests advance by the step modulo
 * the image size, as qemu-img bench's do, so a large step scatters them over
 * the image; one that would straddle the end starts over at the first offset. */
static uint64_t bench_offset(BenchState *b, uint64_t size)
{
    if (b->rng) {
        return (uint64_t)(g_rand_double(b->rng) * b->slots) * b->bufsize;
    }
    uint64_t off = b->next_offset;
    b->next_offset = (off + b->step) % size;
    if (b->next_offset + b->bufsize > size) {
        b->next_offset = b->first_offset;
    }
    return off;
}

static void bench_complete(void *opaque, const GError *err);

static void bench_submit(BenchSlot *slot)
{
    BenchState *b = slot->b;
    uint64_t off = bench_offset(b, bdrv_getlength(b->bs));
    b->submitted++;
    bdrv_aio_submit(b->bs, b->type, off, slot->buf, b->bufsize, bench_complete, slot);
}

/* Each finished request hands its buffer to the next one, which keeps
 * DEPTH requests in flight until COUNT have been issued or one fails. */
static void bench_complete(void *opaque, const GError *err)
{
    BenchSlot *slot = opaque;
    BenchState *b = slot->b;

    b->completed++;
    if (err && !b->err) {
        b->err = g_error_copy(err);
    }
    if (!b->err && b->submitted < b->count) {
        bench_submit(slot);
    }
}

static bool bench_check_geometry(BenchState *b, GError **errp)
{
    uint64_t size = bdrv_getlength(b->bs);
    if (b->bufsize == 0 || b->first_offset > size || b->bufsize > size - b->first_offset) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "a %" G_GUINT64_FORMAT "-byte request at offset %" G_GUINT64_FORMAT
                        " does not fit in the %" G_GUINT64_FORMAT "-byte image",
                        b->bufsize, b->first_offset, size);
        return false;
    }
    b->slots = size / b->bufsize;
    return true;
}

/* Issues the requests with up to depth in flight; returns the seconds taken. */
static double bench_run(BenchState *b, unsigned depth)
{
    unsigned n = MIN((uint64_t)depth, b->count);
    g_autofree BenchSlot *slots = g_new(BenchSlot, n);
    g_autofree uint8_t *bufs = g_malloc(n * b->bufsize);

    /* Written data is not all zeros, so qcow2 cannot skip it. */
    memset(bufs, 0xa5, n * b->bufsize);
    int64_t start = g_get_monotonic_time();
    for (unsigned i = 0; i < n; i++) {
        slots[i] = (BenchSlot){ .b = b, .buf = bufs + i * b->bufsize };
        bench_submit(&slots[i]);
    }
    while (b->completed < b->submitted) {
        main_loop_wait(true);
    }
    return (g_get_monotonic_time() - start) / 1e6;
}

/* A size option that must lie in [min, max]. */
static bool parse_count(const char *str, uint64_t min, uint64_t max, uint64_t *v,
                        GError **errp)
{
    if (!parse_size(str, v, errp)) {
        return false;
    }
    if (*v < min || *v > max) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "'%s' is not between %" G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT,
                        str, min, max);
        return false;
    }
    return true;
}

/* Opens file, runs the requests and prints the report; an exit status. */
static int bench_image(BenchState *b, const char *file, const BlockOpenOptions *o,
                       uint64_t depth, bool rand_pattern)
{
    GError *err = NULL;

    main_loop_init();
    b->bs = bdrv_open(file, o, &err);
    if (!b->bs || !bench_check_geometry(b, &err)) {
        bdrv_close(b->bs);
        return fail(err);
    }
    b->next_offset = b->first_offset;
    if (rand_pattern) {
        b->rng = g_rand_new_with_seed(BENCH_SEED);
    }
    g_autofree char *where = rand_pattern ? g_strdup("random offsets")
        : g_strdup_printf("starting at offset %" G_GUINT64_FORMAT ", step size %"
                          G_GUINT64_FORMAT, b->first_offset, b->step);
    printf("Sending %" G_GUINT64_FORMAT " %s requests, %" G_GUINT64_FORMAT
           " bytes each, %" G_GUINT64_FORMAT " in parallel (%s)\n",
           b->count, b->type == BDRV_REQ_WRITE ? "write" : "read", b->bufsize, depth, where);
    double secs = bench_run(b, depth);
    bool ok = !b->err && (b->type != BDRV_REQ_WRITE || bdrv_flush(b->bs, &err));
    bdrv_close(b->bs);
    if (b->rng) {
        g_rand_free(b->rng);
    }
    if (b->err) {
        return fail(b->err);
    }
    if (!ok) {
        return fail(err);
    }
    printf("Run completed in %.3f seconds, %.2f MB/s.\n", secs,
           secs > 0 ? b->completed * b->bufsize / secs / 1e6 : 0.0);
    return 0;
}

static int cmd_bench(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "pattern", required_argument, NULL, 'P' },
        { NULL, 0, NULL, 0 },
    };
    BlockOpenOptions o = { .read_only = true };
    BenchState b = { .type = BDRV_REQ_READ, .bufsize = 4096, .count = 75000 };
    uint64_t depth = 64;
    bool rand_pattern = false, step_given = false;
    GError *err = NULL;
    int c;

    while ((c = getopt_long(argc, argv, "f:ws:c:d:o:S:t:", longopts, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case 'f': o.format = optarg; break;
        case 'w': b.type = BDRV_REQ_WRITE; o.read_only = false; break;
        case 's': ok = parse_count(optarg, 1, BENCH_MAX_BUF, &b.bufsize, &err); break;
        case 'c': ok = parse_count(optarg, 1, UINT64_MAX, &b.count, &err); break;
        case 'd': ok = parse_count(optarg, 1, BENCH_MAX_DEPTH, &depth, &err); break;
        case 'o': ok = parse_size(optarg, &b.first_offset, &err); break;
        case 'S': ok = parse_size(optarg, &b.step, &err); step_given = true; break;
        case 't': ok = bdrv_parse_cache_mode(optarg, &o.cache, &err); break;
        case 'P':
            if (strcmp(optarg, "rand") == 0) {
                rand_pattern = true;
            } else if (strcmp(optarg, "seq") != 0) {
                return usage();
            }
            break;
        default: return usage();
        }
        if (!ok) {
            return fail(err);
        }
    }
    if (optind + 1 != argc) {
        return usage();
    }
    if (!step_given) {
        b.step = b.bufsize;
    }
    if (MIN(depth, b.count) * b.bufsize > BENCH_MAX_MEM) {
        error_setg_code(&err, PROTEUS_ERROR_INVALID,
                        "DEPTH x BUFSIZE is above %u MiB of buffers", BENCH_MAX_MEM >> 20);
        return fail(err);
    }
    return bench_image(&b, argv[optind], &o, depth, rand_pattern);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int argc, char **argv);
    } cmds[] = {
        { "create", cmd_create }, { "info", cmd_info }, { "convert", cmd_convert },
        { "check", cmd_check }, { "resize", cmd_resize }, { "bench", cmd_bench },
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
