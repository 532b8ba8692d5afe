/*
 * The softmmu TLB (proteus/cputlb.h) and the slow paths generated code
 * calls when its inline lookup misses (backend.h): filling entries through
 * the CPU class's tlb_fill, MMIO through the address space with the BQL
 * held, accesses that cross a page split into bytes, alignment faults,
 * and atomics (always out of line: a write lookup, then the host atomic
 * on RAM, or a logged, non-atomic read-modify-write on a device).
 */
#include <inttypes.h>
#include <string.h>

#include "accel/tcg/backend.h"
#include "proteus/cpu.h"
#include "proteus/log.h"
#include "proteus/main-loop.h"
#include "proteus/memory.h"

/* ---- the table ---- */

static inline unsigned tlb_index(uint64_t addr)
{
    return (addr >> TLB_PAGE_BITS) & (TLB_NB_ENTRIES - 1);
}

static inline uint64_t entry_tag(const CPUTLBEntry *e, MMUAccessType type)
{
    return type == MMU_DATA_LOAD ? e->addr_read
         : type == MMU_DATA_STORE ? e->addr_write : e->addr_code;
}

static inline bool tag_has_page(uint64_t tag, uint64_t addr)
{
    return tag != TLB_INVALID && (tag & ~(uint64_t)TLB_MMIO) == (addr & TLB_PAGE_MASK);
}

void tlb_flush(CPUState *cpu)
{
    /* Every byte 0xff: each tag is TLB_INVALID. */
    memset(cpu->tlb.table, 0xff, sizeof(cpu->tlb.table));
}

void tlb_flush_page(CPUState *cpu, uint64_t vaddr)
{
    unsigned idx = tlb_index(vaddr);

    for (unsigned m = 0; m < TLB_NB_MMU_MODES; m++) {
        CPUTLBEntry *e = &cpu->tlb.table[m][idx];

        if (tag_has_page(e->addr_read, vaddr) || tag_has_page(e->addr_write, vaddr) ||
            tag_has_page(e->addr_code, vaddr)) {
            memset(e, 0xff, sizeof(*e));
        }
    }
}

void tlb_set_page(CPUState *cpu, uint64_t vaddr, uint64_t paddr, int prot,
                  unsigned mmu_idx)
{
    uint64_t page = vaddr & TLB_PAGE_MASK, ppage = paddr & TLB_PAGE_MASK;
    unsigned idx = tlb_index(vaddr);
    CPUTLBEntry *e;
    MemoryRegion *mr;
    hwaddr xlat, len = TLB_PAGE_SIZE;
    uint64_t io = TLB_MMIO;

    g_assert(mmu_idx < TLB_NB_MMU_MODES);
    e = &cpu->tlb.table[mmu_idx][idx];
    mr = address_space_translate(address_space_memory(), ppage, &xlat, &len);
    /* RAM only counts if it covers the whole page: a smaller region (or
     * one that ends inside the page) goes through the slow path. */
    if (mr && memory_region_is_ram(mr) && len >= TLB_PAGE_SIZE) {
        uint8_t *host = (uint8_t *)memory_region_get_ram_ptr(mr) + xlat;

        e->addend = (uintptr_t)host - (uintptr_t)page;
        io = 0;
    } else {
        e->addend = 0;
    }
    e->addr_read = (prot & PAGE_READ) ? page | io : TLB_INVALID;
    e->addr_code = (prot & PAGE_EXEC) ? page | io : TLB_INVALID;
    /* ROM: writes reach address_space_store, which drops and logs them. */
    e->addr_write = !(prot & PAGE_WRITE) ? TLB_INVALID
                  : page | (io || memory_region_is_rom(mr) ? TLB_MMIO : 0);
    cpu->tlb.phys[mmu_idx][idx] = ppage;
}

/* The entry of addr's page for this access, filled if needed (with probe,
 * NULL when tlb_fill refuses; otherwise a refusal raised). */
static CPUTLBEntry *tlb_lookup(CPUState *cpu, uint64_t addr, unsigned size,
                               MMUAccessType type, unsigned mmu_idx, bool probe,
                               uintptr_t retaddr)
{
    CPUTLBEntry *e;

    g_assert(mmu_idx < TLB_NB_MMU_MODES);
    e = &cpu->tlb.table[mmu_idx][tlb_index(addr)];
    if (tag_has_page(entry_tag(e, type), addr)) {
        return e;
    }
    g_assert(cpu->cc->tlb_fill != NULL);
    if (!cpu->cc->tlb_fill(cpu, addr, size, type, mmu_idx, probe, retaddr)) {
        g_assert(probe);
        return NULL;
    }
    g_assert(tag_has_page(entry_tag(e, type), addr));
    return e;
}

void *tlb_probe_code(CPUState *cpu, uint64_t vaddr, unsigned mmu_idx)
{
    CPUTLBEntry *e = tlb_lookup(cpu, vaddr, 1, MMU_INST_FETCH, mmu_idx, true, 0);

    if (!e || (e->addr_code & TLB_MMIO)) {
        return NULL;
    }
    return (void *)(uintptr_t)(vaddr + e->addend);
}

/* ---- slow paths ---- */

static inline bool memop_swaps(MemOp mop)
{
    return ((mop & MO_BE) != 0) != (G_BYTE_ORDER == G_BIG_ENDIAN);
}

static uint64_t swap_sized(uint64_t v, unsigned size)
{
    switch (size) {
    case 2: return __builtin_bswap16(v);
    case 4: return __builtin_bswap32(v);
    case 8: return __builtin_bswap64(v);
    default: return v;
    }
}

static inline uint64_t size_mask(unsigned size)
{
    return size == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * size)) - 1;
}

static void check_align(CPUState *cpu, uint64_t addr, MemOp mop, uintptr_t retaddr)
{
    if ((mop & MO_ALIGN) && (addr & (memop_size(mop) - 1))) {
        if (ir_unaligned_hook) {
            ir_unaligned_hook(cpu, addr, mop);
        }
        ir_raise(retaddr);
    }
}

/* Device accesses run under the BQL; a vCPU thread may not hold it. */
static bool bql_take(void)
{
    if (bql_locked()) {
        return false;
    }
    bql_lock();
    return true;
}

static uint64_t mmio_load(uint64_t paddr, unsigned size, bool be)
{
    bool took = bql_take();
    uint64_t v = 0;

    address_space_load(address_space_memory(), paddr, size, be, &v);
    if (took) {
        bql_unlock();
    }
    return v & size_mask(size);
}

static void mmio_store(uint64_t paddr, unsigned size, bool be, uint64_t v)
{
    bool took = bql_take();

    address_space_store(address_space_memory(), paddr, size, be, v);
    if (took) {
        bql_unlock();
    }
}

static inline uint64_t entry_paddr(CPUState *cpu, const CPUTLBEntry *e, unsigned mmu_idx,
                                   uint64_t addr)
{
    return cpu->tlb.phys[mmu_idx][e - cpu->tlb.table[mmu_idx]] | (addr & ~TLB_PAGE_MASK);
}

/* An access within one page, e already filled for it. */
static uint64_t load_in_page(CPUState *cpu, CPUTLBEntry *e, unsigned mmu_idx,
                             uint64_t addr, unsigned size, MemOp mop)
{
    uint64_t raw = 0;

    if (e->addr_read & TLB_MMIO) {
        return mmio_load(entry_paddr(cpu, e, mmu_idx, addr), size, (mop & MO_BE) != 0);
    }
    memcpy(&raw, (void *)(uintptr_t)(addr + e->addend), size);
    if (G_BYTE_ORDER == G_BIG_ENDIAN) {
        raw >>= 64 - 8 * size;
    }
    return memop_swaps(mop) ? swap_sized(raw, size) : raw;
}

static void store_in_page(CPUState *cpu, CPUTLBEntry *e, unsigned mmu_idx,
                          uint64_t addr, unsigned size, MemOp mop, uint64_t v)
{
    uint64_t raw;

    v &= size_mask(size);
    if (e->addr_write & TLB_MMIO) {
        mmio_store(entry_paddr(cpu, e, mmu_idx, addr), size, (mop & MO_BE) != 0, v);
        return;
    }
    raw = memop_swaps(mop) ? swap_sized(v, size) : v;
    if (G_BYTE_ORDER == G_BIG_ENDIAN) {
        raw <<= 64 - 8 * size;
    }
    memcpy((void *)(uintptr_t)(addr + e->addend), &raw, size);
}

static inline bool crosses_page(uint64_t addr, unsigned size)
{
    return ((addr ^ (addr + size - 1)) & TLB_PAGE_MASK) != 0;
}

uint64_t ir_helper_ld_mmu(void *env, uint64_t addr, uint32_t oi, uintptr_t retaddr)
{
    CPUState *cpu = env;
    MemOp mop = oi & 0xff;
    unsigned mmu_idx = (oi >> 8) & 0xff, size = memop_size(mop);
    CPUTLBEntry *e;
    uint64_t v = 0;

    cpu->tlb.slow_accesses++;
    check_align(cpu, addr, mop, retaddr);
    e = tlb_lookup(cpu, addr, size, MMU_DATA_LOAD, mmu_idx, false, retaddr);
    if (!crosses_page(addr, size)) {
        return load_in_page(cpu, e, mmu_idx, addr, size, mop);
    }
    /* Both pages must be readable before any byte counts. */
    tlb_lookup(cpu, addr + size - 1, 1, MMU_DATA_LOAD, mmu_idx, false, retaddr);
    for (unsigned i = 0; i < size; i++) {
        uint64_t a = addr + i;
        uint64_t b;

        e = tlb_lookup(cpu, a, 1, MMU_DATA_LOAD, mmu_idx, false, retaddr);
        b = load_in_page(cpu, e, mmu_idx, a, 1, mop);
        v |= b << (8 * ((mop & MO_BE) ? size - 1 - i : i));
    }
    return v;
}

void ir_helper_st_mmu(void *env, uint64_t addr, uint64_t val, uint32_t oi,
                      uintptr_t retaddr)
{
    CPUState *cpu = env;
    MemOp mop = oi & 0xff;
    unsigned mmu_idx = (oi >> 8) & 0xff, size = memop_size(mop);
    CPUTLBEntry *e;

    cpu->tlb.slow_accesses++;
    check_align(cpu, addr, mop, retaddr);
    e = tlb_lookup(cpu, addr, size, MMU_DATA_STORE, mmu_idx, false, retaddr);
    if (!crosses_page(addr, size)) {
        store_in_page(cpu, e, mmu_idx, addr, size, mop, val);
        return;
    }
    /* Fault on the second page before writing anything to the first. */
    tlb_lookup(cpu, addr + size - 1, 1, MMU_DATA_STORE, mmu_idx, false, retaddr);
    for (unsigned i = 0; i < size; i++) {
        uint64_t a = addr + i;

        e = tlb_lookup(cpu, a, 1, MMU_DATA_STORE, mmu_idx, false, retaddr);
        store_in_page(cpu, e, mmu_idx, a, 1, mop,
                      val >> (8 * ((mop & MO_BE) ? size - 1 - i : i)));
    }
}

/* noinline: the return address must be the generated code's call site. */
__attribute__((noinline))
uint64_t ir_helper_ld_mmu_ra(void *env, uint64_t addr, uint32_t oi)
{
    return ir_helper_ld_mmu(env, addr, oi, (uintptr_t)__builtin_return_address(0));
}

__attribute__((noinline))
void ir_helper_st_mmu_ra(void *env, uint64_t addr, uint64_t val, uint32_t oi)
{
    ir_helper_st_mmu(env, addr, val, oi, (uintptr_t)__builtin_return_address(0));
}

/* ---- atomics ---- */

/* The host address for an atomic access, or NULL for a device (logged). */
static void *atomic_host(CPUState *cpu, uint64_t addr, MemOp mop, unsigned mmu_idx,
                         uintptr_t retaddr)
{
    unsigned size = memop_size(mop);
    CPUTLBEntry *e;

    check_align(cpu, addr, mop, retaddr);
    /* A read-modify-write needs both permissions. */
    tlb_lookup(cpu, addr, size, MMU_DATA_LOAD, mmu_idx, false, retaddr);
    e = tlb_lookup(cpu, addr, size, MMU_DATA_STORE, mmu_idx, false, retaddr);
    if ((e->addr_write & TLB_MMIO) || (e->addr_read & TLB_MMIO) || crosses_page(addr, size)) {
        log_mask(LOG_GUEST_ERROR, "atomic access at 0x%" PRIx64 " is not to RAM within a "
                 "page: done non-atomically\n", addr);
        return NULL;
    }
    return (void *)(uintptr_t)(addr + e->addend);
}

/* Value-order helpers on host memory (aligned: host atomics; else the lock). */
static bool host_cas(void *p, unsigned size, MemOp mop, uint64_t *expected, uint64_t desired)
{
    uint64_t e = memop_swaps(mop) ? swap_sized(*expected, size) : *expected;
    uint64_t d = memop_swaps(mop) ? swap_sized(desired & size_mask(size), size) : desired;
    bool ok = ir_host_cas(p, size, &e, d);

    *expected = memop_swaps(mop) ? swap_sized(e, size) : e;
    return ok;
}

uint64_t ir_helper_cmpxchg_mmu(void *env, uint64_t addr, uint64_t expected,
                               uint64_t desired, uint32_t oi, uintptr_t retaddr)
{
    MemOp mop = oi & 0xff;
    unsigned size = memop_size(mop);
    void *p = atomic_host(env, addr, mop, (oi >> 8) & 0xff, retaddr);
    uint64_t cur = expected & size_mask(size);

    if (!p) {
        cur = ir_helper_ld_mmu(env, addr, oi & 0xffff, retaddr);
        if (cur == (expected & size_mask(size))) {
            ir_helper_st_mmu(env, addr, desired, oi & 0xffff, retaddr);
        }
        return cur;
    }
    host_cas(p, size, mop, &cur, desired);
    return cur;
}

uint64_t ir_helper_rmw_mmu(void *env, uint64_t addr, uint64_t val, uint32_t oi,
                           uintptr_t retaddr)
{
    MemOp mop = oi & 0xff;
    IRAtomicOp aop = oi >> 16;
    unsigned size = memop_size(mop);
    void *p = atomic_host(env, addr, mop, (oi >> 8) & 0xff, retaddr);
    uint64_t old, raw = 0;

    if (!p) {
        old = ir_helper_ld_mmu(env, addr, oi & 0xffff, retaddr);
        ir_helper_st_mmu(env, addr, ir_atomic_apply(aop, old, val, size), oi & 0xffff, retaddr);
        return old;
    }
    memcpy(&raw, p, size);
    if (G_BYTE_ORDER == G_BIG_ENDIAN) {
        raw >>= 64 - 8 * size;
    }
    old = memop_swaps(mop) ? swap_sized(raw, size) : raw;
    while (!host_cas(p, size, mop, &old, ir_atomic_apply(aop, old, val, size))) {
        /* old now holds what another thread wrote: retry from it. */
    }
    return old;
}

__attribute__((noinline))
uint64_t ir_helper_cmpxchg_mmu_ra(void *env, uint64_t addr, uint64_t expected,
                                  uint64_t desired, uint32_t oi)
{
    return ir_helper_cmpxchg_mmu(env, addr, expected, desired, oi,
                                 (uintptr_t)__builtin_return_address(0));
}

__attribute__((noinline))
uint64_t ir_helper_rmw_mmu_ra(void *env, uint64_t addr, uint64_t val, uint32_t oi)
{
    return ir_helper_rmw_mmu(env, addr, val, oi, (uintptr_t)__builtin_return_address(0));
}
