/*
 * The guest address space: one reserved host region, guest mmap/munmap/
 * mprotect inside it, and a two-level page-flags map.
 *
 * Unmapping never gives the host range back to the host: it is replaced by
 * a fresh PROT_NONE, MAP_NORESERVE mapping, so no host library can land in
 * the guest's space between two guest calls. The flags map is split in
 * chunks of 64 Ki pages (256 MiB of guest space each) allocated on first
 * use, so a 256 GiB space costs a few KiB until the guest maps something.
 *
 * Self-modifying code: a guest-writable page that translated code came
 * from is kept read-only on the host (GUEST_PAGE_CODE), so the first write
 * to it faults; signal.c's handler then calls guest_mem_code_written, which
 * makes it writable again and invalidates the page's TBs before the write
 * is retried. Lock order: the TB lock, then gm.lock (the translator calls
 * guest_mem_code_added with the TB lock held); TBs are invalidated only
 * after gm.lock is released.
 */
#include "linux-user/guest-mem.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "accel/tcg/backend.h"
#include "linux-user/user.h"
#include "proteus/debug.h"
#include "proteus/error.h"
#include "proteus/translator.h"

#define CHUNK_BITS 16
#define CHUNK_PAGES ((uint64_t)1 << CHUNK_BITS)

static struct {
    uint8_t *host;          /* the reservation */
    uint64_t size;
    uint64_t nchunks;
    uint8_t **chunks;       /* nchunks pointers, NULL = all pages free */
    GMutex lock;            /* serialises guest mmap/munmap/mprotect */
} gm;

static uint64_t page_up(uint64_t x)
{
    return (x + GUEST_PAGE_SIZE - 1) & GUEST_PAGE_MASK;
}

bool guest_mem_init(uint64_t size, GError **errp)
{
    long host_page = sysconf(_SC_PAGESIZE);

    g_assert(gm.host == NULL);
    if (host_page <= 0 || GUEST_PAGE_SIZE % (uint64_t)host_page != 0) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "host page size %ld does not divide the guest's %u",
                        host_page, (unsigned)GUEST_PAGE_SIZE);
        return false;
    }
    if (size == 0 || size % GUEST_PAGE_SIZE != 0) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "guest address space size 0x%" PRIx64 " is not a page multiple",
                        size);
        return false;
    }
    void *p = mmap(NULL, size, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        error_setg(errp, "cannot reserve 0x%" PRIx64 " bytes of guest address space: %s",
                   size, g_strerror(errno));
        return false;
    }
    gm.host = p;
    gm.size = size;
    gm.nchunks = ((size >> GUEST_PAGE_BITS) + CHUNK_PAGES - 1) >> CHUNK_BITS;
    gm.chunks = g_new0(uint8_t *, gm.nchunks);
    ir_guest_base = (uintptr_t)p;
    return true;
}

void guest_mem_destroy(void)
{
    if (!gm.host) {
        return;
    }
    munmap(gm.host, gm.size);
    for (uint64_t i = 0; i < gm.nchunks; i++) {
        g_free(gm.chunks[i]);
    }
    g_free(gm.chunks);
    gm.host = NULL;
    gm.chunks = NULL;
    gm.size = gm.nchunks = 0;
    ir_guest_base = 0;
}

uint64_t guest_mem_size(void)
{
    return gm.size;
}

bool guest_range_in_space(uint64_t addr, uint64_t len)
{
    return addr <= gm.size && len <= gm.size - addr;
}

unsigned guest_page_flags(uint64_t addr)
{
    if (addr >= gm.size) {
        return 0;
    }
    uint64_t page = addr >> GUEST_PAGE_BITS;
    uint8_t *chunk = gm.chunks[page >> CHUNK_BITS];
    return chunk ? chunk[page & (CHUNK_PAGES - 1)] : 0;
}

bool guest_range_mapped(uint64_t addr, uint64_t len, unsigned prot_flags)
{
    if (len == 0) {
        return true;
    }
    if (!guest_range_in_space(addr, len)) {
        return false;
    }
    unsigned want = prot_flags | GUEST_PAGE_VALID;
    for (uint64_t a = addr & GUEST_PAGE_MASK; a < addr + len; a += GUEST_PAGE_SIZE) {
        unsigned flags = guest_page_flags(a);

        if ((flags & want) != want) {
            return false;
        }
        if ((prot_flags & GUEST_PAGE_WRITE) && (flags & GUEST_PAGE_CODE)) {
            guest_mem_code_written(a);
        }
    }
    return true;
}

/* Sets the flags of every page of the page-aligned range [start, end). */
static void set_flags(uint64_t start, uint64_t end, unsigned flags)
{
    for (uint64_t page = start >> GUEST_PAGE_BITS; page < end >> GUEST_PAGE_BITS; page++) {
        uint8_t **chunk = &gm.chunks[page >> CHUNK_BITS];
        if (!*chunk) {
            if (!flags) {
                /* already free: skip to the next chunk */
                page |= CHUNK_PAGES - 1;
                continue;
            }
            *chunk = g_malloc0(CHUNK_PAGES);
        }
        (*chunk)[page & (CHUNK_PAGES - 1)] = flags;
    }
}

static unsigned prot_to_flags(int prot)
{
    return GUEST_PAGE_VALID |
           ((prot & PROT_READ) ? GUEST_PAGE_READ : 0) |
           ((prot & PROT_WRITE) ? GUEST_PAGE_WRITE : 0) |
           ((prot & PROT_EXEC) ? GUEST_PAGE_EXEC : 0);
}

/* The host protection of a page with these flags: the guest's, without
 * write while translated code depends on the page. */
static int flags_to_host_prot(unsigned flags)
{
    return ((flags & GUEST_PAGE_READ) ? PROT_READ : 0) |
           ((flags & GUEST_PAGE_EXEC) ? PROT_EXEC : 0) |
           ((flags & (GUEST_PAGE_WRITE | GUEST_PAGE_CODE)) == GUEST_PAGE_WRITE ? PROT_WRITE : 0);
}

/* Whether a page of [start, end) had translated code. */
static bool range_has_code(uint64_t start, uint64_t end)
{
    for (uint64_t a = start; a < end; a += GUEST_PAGE_SIZE) {
        uint8_t *chunk = gm.chunks[(a >> GUEST_PAGE_BITS) >> CHUNK_BITS];

        if (!chunk) {
            /* a free chunk: skip to its last page */
            a |= (CHUNK_PAGES << GUEST_PAGE_BITS) - 1;
            a &= GUEST_PAGE_MASK;
            continue;
        }
        if (chunk[(a >> GUEST_PAGE_BITS) & (CHUNK_PAGES - 1)] & GUEST_PAGE_CODE) {
            return true;
        }
    }
    return false;
}

void guest_mem_code_added(uint64_t addr)
{
    addr &= GUEST_PAGE_MASK;
    g_mutex_lock(&gm.lock);
    unsigned flags = guest_page_flags(addr);
    if ((flags & GUEST_PAGE_VALID) && !(flags & GUEST_PAGE_CODE)) {
        flags |= GUEST_PAGE_CODE;
        set_flags(addr, addr + GUEST_PAGE_SIZE, flags);
        if (flags & GUEST_PAGE_WRITE) {
            mprotect(gm.host + addr, GUEST_PAGE_SIZE, flags_to_host_prot(flags));
        }
    }
    g_mutex_unlock(&gm.lock);
}

bool guest_mem_code_written(uint64_t addr)
{
    addr &= GUEST_PAGE_MASK;
    g_mutex_lock(&gm.lock);
    unsigned flags = guest_page_flags(addr);
    bool writable = (flags & (GUEST_PAGE_VALID | GUEST_PAGE_WRITE)) ==
                    (GUEST_PAGE_VALID | GUEST_PAGE_WRITE);
    bool had_code = flags & GUEST_PAGE_CODE;
    if (writable) {
        /* Also when the flag is already clear: another thread lifted the
         * protection first, and this makes sure the host agrees. */
        flags &= ~GUEST_PAGE_CODE;
        set_flags(addr, addr + GUEST_PAGE_SIZE, flags);
        mprotect(gm.host + addr, GUEST_PAGE_SIZE, flags_to_host_prot(flags));
    }
    g_mutex_unlock(&gm.lock);
    if (writable && had_code) {
        tb_invalidate_range(addr, GUEST_PAGE_SIZE);
    }
    return writable;
}

void guest_mem_fork_prepare(void)
{
    g_mutex_lock(&gm.lock);
}

void guest_mem_fork_done(void)
{
    g_mutex_unlock(&gm.lock);
}

static bool range_free(uint64_t start, uint64_t end)
{
    for (uint64_t a = start; a < end; a += GUEST_PAGE_SIZE) {
        uint64_t page = a >> GUEST_PAGE_BITS;
        uint8_t *chunk = gm.chunks[page >> CHUNK_BITS];
        if (!chunk) {
            /* the whole chunk is free: jump to its end */
            a = (((page >> CHUNK_BITS) + 1) << (CHUNK_BITS + GUEST_PAGE_BITS)) - GUEST_PAGE_SIZE;
            continue;
        }
        if (chunk[page & (CHUNK_PAGES - 1)] & GUEST_PAGE_VALID) {
            return false;
        }
    }
    return true;
}

/* Top-down search; the first page stays free so NULL never maps. */
static uint64_t find_free_locked(uint64_t len, uint64_t align, uint64_t limit)
{
    if (limit > gm.size) {
        limit = gm.size;
    }
    if (len == 0 || len > limit) {
        return 0;
    }
    uint64_t start = (limit - len) & ~(align - 1);
    while (start >= GUEST_PAGE_SIZE) {
        uint64_t end = start + len;
        /* find the highest used page in [start, end); restart below it */
        uint64_t a = end;
        bool clash = false;
        while (a > start) {
            a -= GUEST_PAGE_SIZE;
            if (guest_page_flags(a) & GUEST_PAGE_VALID) {
                clash = true;
                break;
            }
            if (!gm.chunks[(a >> GUEST_PAGE_BITS) >> CHUNK_BITS]) {
                /* free chunk: skip to its start */
                uint64_t cstart = a & ~((CHUNK_PAGES << GUEST_PAGE_BITS) - 1);
                a = cstart > start ? cstart : start;
            }
        }
        if (!clash) {
            return start;
        }
        if (a < len) {
            return 0;
        }
        start = (a - len) & ~(align - 1);
    }
    return 0;
}

uint64_t guest_find_free(uint64_t len, uint64_t align, uint64_t limit)
{
    g_assert(align >= GUEST_PAGE_SIZE && (align & (align - 1)) == 0);
    g_mutex_lock(&gm.lock);
    uint64_t r = find_free_locked(page_up(len), align, limit);
    g_mutex_unlock(&gm.lock);
    return r;
}

int64_t guest_mmap(uint64_t addr, uint64_t len, int prot, int flags,
                   int fd, uint64_t offset)
{
    bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);

    if (!gm.host) {
        return -ENOMEM;
    }
    if (len == 0 || (offset & ~GUEST_PAGE_MASK) || (fixed && (addr & ~GUEST_PAGE_MASK))) {
        return -EINVAL;
    }
    if (len > gm.size) {
        return -ENOMEM;
    }
    len = page_up(len);

    g_mutex_lock(&gm.lock);
    int64_t ret;
    bool replaced_code = false;
    if (fixed) {
        if (!guest_range_in_space(addr, len)) {
            ret = -ENOMEM;
            goto out;
        }
        if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) &&
            !range_free(addr, addr + len)) {
            ret = -EEXIST;
            goto out;
        }
    } else {
        uint64_t hint = page_up(addr);
        uint64_t found = 0;
        if (hint && guest_range_in_space(hint, len) && range_free(hint, hint + len)) {
            found = hint;
        } else {
            found = find_free_locked(len, GUEST_PAGE_SIZE, gm.size);
        }
        if (!found) {
            ret = -ENOMEM;
            goto out;
        }
        addr = found;
    }

    int hflags = (flags & (MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS)) | MAP_FIXED;
    void *p = mmap(gm.host + addr, len, prot, hflags,
                   (flags & MAP_ANONYMOUS) ? -1 : fd, (off_t)offset);
    if (p == MAP_FAILED) {
        ret = -errno;
        goto out;
    }
    replaced_code = range_has_code(addr, addr + len);
    set_flags(addr, addr + len, prot_to_flags(prot));
    ret = (int64_t)addr;
out:
    g_mutex_unlock(&gm.lock);
    if (replaced_code) {
        tb_invalidate_range(addr, len);
    }
    if (ret >= 0) {
        cpu_user_mappings_changed();
    }
    return ret;
}

int guest_munmap(uint64_t addr, uint64_t len)
{
    if ((addr & ~GUEST_PAGE_MASK) || len == 0) {
        return -EINVAL;
    }
    len = page_up(len);
    if (!guest_range_in_space(addr, len)) {
        return -EINVAL;
    }
    g_mutex_lock(&gm.lock);
    void *p = mmap(gm.host + addr, len, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    int ret = 0;
    bool had_code = false;
    if (p == MAP_FAILED) {
        ret = -errno;
    } else {
        had_code = range_has_code(addr, addr + len);
        set_flags(addr, addr + len, 0);
    }
    g_mutex_unlock(&gm.lock);
    if (had_code) {
        tb_invalidate_range(addr, len);
    }
    cpu_user_mappings_changed();
    return ret;
}

int guest_mprotect(uint64_t addr, uint64_t len, int prot)
{
    if (addr & ~GUEST_PAGE_MASK) {
        return -EINVAL;
    }
    len = page_up(len);
    if (!guest_range_in_space(addr, len)) {
        return -ENOMEM;
    }
    g_mutex_lock(&gm.lock);
    int ret = 0;
    bool drop_code = false;
    /* as on Linux, every page of the range must be mapped */
    for (uint64_t a = addr; a < addr + len; a += GUEST_PAGE_SIZE) {
        if (!(guest_page_flags(a) & GUEST_PAGE_VALID)) {
            ret = -ENOMEM;
            goto out;
        }
    }
    if (len && mprotect(gm.host + addr, len, prot) != 0) {
        ret = -errno;
        goto out;
    }
    for (uint64_t a = addr; a < addr + len; a += GUEST_PAGE_SIZE) {
        unsigned code = guest_page_flags(a) & GUEST_PAGE_CODE;
        unsigned flags = prot_to_flags(prot);

        if (code && !(prot & PROT_EXEC)) {
            /* no longer executable: its code must not run any more */
            drop_code = true;
        } else {
            flags |= code;
        }
        set_flags(a, a + GUEST_PAGE_SIZE, flags);
        if (flags & GUEST_PAGE_CODE && (prot & PROT_WRITE)) {
            mprotect(gm.host + a, GUEST_PAGE_SIZE, flags_to_host_prot(flags));
        }
    }
out:
    g_mutex_unlock(&gm.lock);
    if (drop_code) {
        tb_invalidate_range(addr, len);
    }
    cpu_user_mappings_changed();
    return ret;
}

/*
 * cpu_user_tlb_fill (proteus/debug.h): with watchpoints set, guest
 * accesses go through the softmmu TLB, whose entries point at the same
 * host pages as ir_guest_base. An access the guest's protections forbid
 * faults as the host fault would have (signal.c): the CPU records it and
 * the exec loop hands the guest its SIGSEGV.
 */
static bool guest_mem_tlb_fill(CPUState *cpu, uint64_t addr, MMUAccessType type,
                               unsigned mmu_idx, bool probe, uintptr_t retaddr)
{
    int need = type == MMU_DATA_STORE ? GUEST_PAGE_WRITE
             : type == MMU_INST_FETCH ? GUEST_PAGE_EXEC : GUEST_PAGE_READ;
    uint64_t page = addr & GUEST_PAGE_MASK;
    int flags = addr < gm.size ? guest_page_flags(addr) : 0;
    int prot = (flags & GUEST_PAGE_READ ? PAGE_READ : 0) |
               (flags & GUEST_PAGE_WRITE ? PAGE_WRITE : 0) |
               (flags & GUEST_PAGE_EXEC ? PAGE_EXEC : 0);

    if (flags & need) {
        tlb_set_page_host(cpu, page, gm.host + page, prot, mmu_idx);
        return true;
    }
    if (probe) {
        return false;
    }
    linux_process.arch->set_mem_fault(cpu, addr, type == MMU_DATA_STORE);
    if (retaddr) {
        cpu_loop_exit_restore(cpu, retaddr);
    }
    cpu_loop_exit(cpu);
}


/* cpu_user_memory_rw (proteus/debug.h): the debugger's view of memory. */
static bool guest_mem_debug_rw(uint64_t vaddr, void *buf, size_t len, bool write)
{
    if (!guest_range_mapped(vaddr, len, write ? GUEST_PAGE_WRITE : GUEST_PAGE_READ)) {
        return false;
    }
    if (write) {
        memcpy(g2h(vaddr), buf, len);
    } else {
        memcpy(buf, g2h(vaddr), len);
    }
    return true;
}

void guest_mem_debug_init(void)
{
    cpu_user_tlb_fill = guest_mem_tlb_fill;
    cpu_user_memory_rw = guest_mem_debug_rw;
}
