/*
 * libFuzzer target for the qcow2 header, L1 and refcount table parsing:
 * the input is opened read-only as a qcow2 image; it is either refused
 * with a message or opened, and then the first clusters can be read (or
 * fail with a message) and the refcount check runs to completion.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "proteus/block.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(BlockDriverState *bs)
{
    uint8_t buf[4096];
    uint64_t len = MIN(bdrv_getlength(bs), 1 << 20);
    BlockCheckResult res;
    GError *err = NULL;

    for (uint64_t off = 0; off + sizeof(buf) <= len; off += 64 << 10) {
        if (!bdrv_pread(bs, off, buf, sizeof(buf), &err)) {
            g_assert(err && err->message[0]);
            g_clear_error(&err);
        }
    }
    if (!bdrv_check(bs, &res, &err)) {
        g_assert(err && err->message[0]);
        g_clear_error(&err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    BlockOpenOptions o = { .format = "qcow2", .read_only = true };
    GError *err = NULL;
    int fd = memfd_create("fuzz-qcow2", MFD_CLOEXEC);
    char path[64];

    g_assert(fd >= 0);
    g_assert(write(fd, data, size) == (ssize_t)size);
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    BlockDriverState *bs = bdrv_open(path, &o, &err);
    if (bs) {
        exercise(bs);
        bdrv_close(bs);
    } else {
        g_assert(err && err->message[0]);
        g_error_free(err);
    }
    close(fd);
    return 0;
}
