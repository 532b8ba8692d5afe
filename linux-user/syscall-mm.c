/*
 * Memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise, msync,
 * mincore, and the mlock family, all on guest addresses (guest-mem.h).
 * Unmapping or replacing guest memory also drops the code translated from
 * it, so a later mapping at the same address runs its own code.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "linux-user/riscv64/target-structs.h"
#include "linux-user/syscall-defs.h"
#include "proteus/log.h"
#include "proteus/translator.h"

/* brk and mremap read-modify-write the guest map: one at a time. */
static GMutex mm_lock;

static uint64_t mm_page_up(uint64_t x)
{
    return (x + GUEST_PAGE_SIZE - 1) & GUEST_PAGE_MASK;
}

/*
 * Linux's brk: moves the break when the new one is above the start and
 * the pages it needs are free; always returns the (possibly unchanged)
 * break. Growing never replaces another mapping.
 */
static int64_t sys_brk(TaskState *ts, const uint64_t *a)
{
    LinuxProcess *p = &linux_process;
    uint64_t want = a[0];
    uint64_t old_top, new_top;
    int64_t ret;

    g_mutex_lock(&mm_lock);
    if (want < p->brk_start) {
        goto out;
    }
    old_top = mm_page_up(p->brk_cur);
    new_top = mm_page_up(want);
    if (new_top > old_top) {
        int64_t r = guest_mmap(old_top, new_top - old_top, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (r < 0) {
            goto out;
        }
    } else if (new_top < old_top) {
        tb_invalidate_range(new_top, old_top - new_top);
        if (guest_munmap(new_top, old_top - new_top) < 0) {
            goto out;
        }
    }
    p->brk_cur = want;
out:
    ret = p->brk_cur;
    g_mutex_unlock(&mm_lock);
    return ret;
}

static int64_t sys_mmap(TaskState *ts, const uint64_t *a)
{
    uint64_t addr = a[0], len = a[1];
    int prot = (int)a[2], flags = (int)a[3];
    int64_t ret;

    if (prot & ~(GUEST_PROT_READ | GUEST_PROT_WRITE | GUEST_PROT_EXEC)) {
        log_mask(LOG_UNIMP, "mmap: prot 0x%x not supported\n", prot);
        return -EINVAL;
    }
    if ((flags & GUEST_MAP_TYPE) == 0) {
        return -EINVAL;
    }
    /* Linux's mmap_min_addr: the guest's page zero stays unmapped */
    if ((flags & (GUEST_MAP_FIXED | GUEST_MAP_FIXED_NOREPLACE)) && addr < GUEST_PAGE_SIZE) {
        return -EPERM;
    }
    ret = guest_mmap(addr, len, prot, flags, (int)a[4], a[5]);
    if (ret >= 0 && (flags & GUEST_MAP_FIXED)) {
        /* whatever was there before is gone */
        tb_invalidate_range(ret, len);
    }
    return ret;
}

static int64_t sys_munmap(TaskState *ts, const uint64_t *a)
{
    int r = guest_munmap(a[0], a[1]);

    if (r == 0) {
        tb_invalidate_range(a[0], a[1]);
    }
    return r;
}

static int64_t sys_mprotect(TaskState *ts, const uint64_t *a)
{
    int prot = (int)a[2];

    /* PROT_GROWSDOWN/UP (0x01000000/0x02000000) extend the range: ignored */
    prot &= GUEST_PROT_READ | GUEST_PROT_WRITE | GUEST_PROT_EXEC;
    return guest_mprotect(a[0], a[1], prot);
}

/* The protection of a mapped guest page as PROT_* bits. */
static int mm_page_prot(uint64_t addr)
{
    unsigned f = guest_page_flags(addr);

    return (f & GUEST_PAGE_READ ? PROT_READ : 0) | (f & GUEST_PAGE_WRITE ? PROT_WRITE : 0) |
           (f & GUEST_PAGE_EXEC ? PROT_EXEC : 0);
}

/*
 * mremap on anonymous and file memory alike: shrink in place, grow in
 * place when the pages above are free, else move (MREMAP_MAYMOVE) by
 * mapping a new anonymous range and copying. The copy makes a moved
 * MAP_SHARED mapping private, which is the one case this cannot do as
 * Linux does; it is logged.
 */
static int64_t mm_remap_locked(uint64_t old, uint64_t old_len, uint64_t new_len,
                               int flags, uint64_t new_addr)
{
    int prot = mm_page_prot(old);
    int64_t dest;

    if (!(flags & MREMAP_FIXED) && new_len <= old_len) {
        if (new_len < old_len) {
            guest_munmap(old + new_len, old_len - new_len);
            tb_invalidate_range(old + new_len, old_len - new_len);
        }
        return old;
    }
    if (!(flags & MREMAP_FIXED)) {
        dest = guest_mmap(old + old_len, new_len - old_len, prot,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (dest >= 0) {
            /* grown in place (as anonymous memory, even above a file) */
            return old;
        }
        if (!(flags & MREMAP_MAYMOVE)) {
            return -ENOMEM;
        }
    }
    dest = guest_mmap(new_addr, new_len, prot | PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS |
                      ((flags & MREMAP_FIXED) ? MAP_FIXED : 0), -1, 0);
    if (dest < 0) {
        return dest;
    }
    log_mask(LOG_UNIMP, "mremap: moved mapping is copied (shared memory becomes private)\n");
    memcpy(g2h(dest), g2h(old), MIN(old_len, new_len));
    guest_mprotect(dest, new_len, prot);
    if (!(flags & MREMAP_DONTUNMAP)) {
        guest_munmap(old, old_len);
    }
    tb_invalidate_range(old, old_len);
    return dest;
}

static int64_t sys_mremap(TaskState *ts, const uint64_t *a)
{
    uint64_t old = a[0], old_len = mm_page_up(a[1]), new_len = mm_page_up(a[2]);
    int flags = (int)a[3];
    int64_t ret;

    if ((old & ~GUEST_PAGE_MASK) || !new_len ||
        (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) ||
        ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))) {
        return -EINVAL;
    }
    if (!old_len || !guest_range_mapped(old, old_len, 0)) {
        return -EFAULT;
    }
    g_mutex_lock(&mm_lock);
    ret = mm_remap_locked(old, old_len, new_len, flags, a[4]);
    g_mutex_unlock(&mm_lock);
    return ret;
}

static int64_t sys_madvise(TaskState *ts, const uint64_t *a)
{
    int advice = (int)a[2];

    if (a[0] & ~GUEST_PAGE_MASK) {
        return -EINVAL;
    }
    if (!guest_range_mapped(a[0], a[1], 0)) {
        return -ENOMEM;
    }
    switch (advice) {
    case MADV_DONTNEED:
        /* the guest relies on the pages reading as zero afterwards */
        return syscall_ret(madvise(g2h(a[0]), mm_page_up(a[1]), advice));
    case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
    case MADV_FREE: case MADV_HUGEPAGE: case MADV_NOHUGEPAGE: case MADV_DONTFORK:
    case MADV_DOFORK: case MADV_DONTDUMP: case MADV_DODUMP:
        return syscall_ret(madvise(g2h(a[0]), mm_page_up(a[1]), advice));
    default:
        /* advice only: ignoring it is allowed */
        return 0;
    }
}

static int64_t sys_msync(TaskState *ts, const uint64_t *a)
{
    if (a[0] & ~GUEST_PAGE_MASK) {
        return -EINVAL;
    }
    if (!guest_range_mapped(a[0], a[1], 0)) {
        return -ENOMEM;
    }
    return syscall_ret(msync(g2h(a[0]), a[1], (int)a[2]));
}

static int64_t sys_mincore(TaskState *ts, const uint64_t *a)
{
    uint64_t pages = mm_page_up(a[1]) >> GUEST_PAGE_BITS;

    if (a[0] & ~GUEST_PAGE_MASK) {
        return -EINVAL;
    }
    if (!guest_range_mapped(a[0], a[1], 0)) {
        return -ENOMEM;
    }
    if (!guest_writable(a[2], pages)) {
        return -EFAULT;
    }
    /* the host page size divides the guest's: report guest pages by
     * the residency of their first host page */
    for (uint64_t i = 0; i < pages; i++) {
        unsigned char v = 0;

        if (mincore(g2h(a[0] + (i << GUEST_PAGE_BITS)), 1, &v) < 0) {
            return syscall_errno();
        }
        ((unsigned char *)g2h(a[2]))[i] = v & 1;
    }
    return 0;
}

/* mlock and friends: checked, then left to the host (which may refuse
 * with EPERM/ENOMEM as it would for a native program). */
static int64_t sys_mlock(TaskState *ts, const uint64_t *a)
{
    if (!guest_range_mapped(a[0] & GUEST_PAGE_MASK, a[1], 0)) {
        return -ENOMEM;
    }
    return syscall_ret(mlock(g2h(a[0]), a[1]));
}

static int64_t sys_mlock2(TaskState *ts, const uint64_t *a)
{
    if (!guest_range_mapped(a[0] & GUEST_PAGE_MASK, a[1], 0)) {
        return -ENOMEM;
    }
    return syscall_ret(mlock2(g2h(a[0]), a[1], (unsigned)a[2]));
}

static int64_t sys_munlock(TaskState *ts, const uint64_t *a)
{
    if (!guest_range_mapped(a[0] & GUEST_PAGE_MASK, a[1], 0)) {
        return -ENOMEM;
    }
    return syscall_ret(munlock(g2h(a[0]), a[1]));
}

/* The whole process would include the emulator: accepted, not done. */
static int64_t sys_mlockall(TaskState *ts, const uint64_t *a)
{
    return a[0] && !(a[0] & ~(uint64_t)(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) ? 0 : -EINVAL;
}

static int64_t sys_munlockall(TaskState *ts, const uint64_t *a)
{
    return 0;
}

const SyscallDef syscalls_mm[] = {
    { "brk", sys_brk, "p>x" },
    { "mmap", sys_mmap, "puPMdu>x" },
    { "munmap", sys_munmap, "pu" },
    { "mprotect", sys_mprotect, "puP" },
    { "mremap", sys_mremap, "puuxp>x" },
    { "madvise", sys_madvise, "pud" },
    { "msync", sys_msync, "pux" },
    { "mincore", sys_mincore, "pup" },
    { "mlock", sys_mlock, "pu" },
    { "mlock2", sys_mlock2, "pux" },
    { "munlock", sys_munlock, "pu" },
    { "mlockall", sys_mlockall, "x" },
    { "munlockall", sys_munlockall, "" },
    { NULL },
};
