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
#include "accel/tcg/tb-internal.h"
#include "proteus/cpu.h"
#include "proteus/debug.h"
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

/* The flag bits of a tag (TLB_MMIO, TLB_NOTDIRTY) sit below the page. */
static inline bool tag_has_page(uint64_t tag, uint64_t addr)
{
    return tag != TLB_INVALID && (tag & TLB_PAGE_MASK) == (addr & TLB_PAGE_MASK);
}

/* ---- translated code in RAM: coherence with guest stores ----
 *
 * TBs are cached by their virtual pc (tb-cache.c), but a store reaches
 * RAM through a physical address, maybe through another virtual mapping
 * or from another CPU. So this file tracks code by physical page:
 *
 *  - Whenever a frontend fetches instruction bytes to translate them
 *    (tlb_probe_code, under tb_lock), the physical page is recorded in
 *    code_pages with the virtual page it was fetched through.
 *  - A TLB write entry of a recorded page carries TLB_NOTDIRTY: a flag
 *    below the page bits, so the inline fast path never matches and every
 *    store to the page takes the slow path. tlb_set_page adds it when it
 *    installs such a page; recording a new page adds it to the existing
 *    write entries of that page in every CPU (a compare-and-swap on the
 *    tag; tlb_set_page writes tags under code_lock, so the two cannot miss
 *    each other, and a concurrent flush only ends with the entry invalid).
 *  - The slow path writes RAM, then, if the bytes changed, invalidates the
 *    TBs overlapping the written bytes in each virtual page recorded for
 *    the physical page (tb_invalidate_range). Writing first means a TB
 *    translated concurrently from the old bytes is still caught. TBs of
 *    the same virtual pages in other address spaces may go too: only
 *    slower, never wrong.
 *  - When none of those virtual pages holds TBs any more, the physical
 *    page is dropped from code_pages and the writer's entry loses
 *    TLB_NOTDIRTY (other CPUs' entries lose it at their next store there),
 *    so firmware copying a kernel over old code pays one slow store per
 *    page, not one per store. A translation recording the page meanwhile
 *    keeps it: it bumps the page's generation, and it holds tb_lock from
 *    the recording until its TB is in the cache, so the emptiness check
 *    (tb_page_has_code takes tb_lock) sees that TB.
 *
 * As for the running TB: a store that changes the rest of its own TB does
 * not affect that pass (guests order instruction fetches explicitly, e.g.
 * RISC-V fence.i, which ends the TB); the next lookup retranslates.
 * Stores from devices (address_space_store, DMA) are not tracked.
 *
 * Lock order: tb_lock, code_lock, then the CPU list lock.
 */
#define TLB_NOTDIRTY (1u << 10)
G_STATIC_ASSERT(TLB_NOTDIRTY < TLB_PAGE_SIZE && TLB_NOTDIRTY != TLB_MMIO);

/* A debugger watches part of the page for this kind of access (debug.c):
 * the slow path checks each access before making it. */
#define TLB_WATCH (1u << 9)
G_STATIC_ASSERT(TLB_WATCH != TLB_NOTDIRTY && TLB_WATCH != TLB_MMIO);

typedef struct CodePage {
    uint64_t ppage;             /* physical page address; the hash key */
    uint64_t generation;        /* bumped by every recording */
    GArray *vpages;             /* uint64_t: the virtual pages TBs came through */
} CodePage;

static GMutex code_lock;
static GHashTable *code_pages;  /* &CodePage.ppage -> CodePage *; code_lock */

static void code_page_free(gpointer p)
{
    CodePage *cp = p;

    g_array_free(cp->vpages, TRUE);
    g_free(cp);
}

static CodePage *code_page_lookup_locked(uint64_t ppage)
{
    return code_pages ? g_hash_table_lookup(code_pages, &ppage) : NULL;
}

/* Whether a write tag points straight at RAM (fast path, maybe NOTDIRTY). */
static inline bool tag_is_ram_write(uint64_t tag)
{
    return tag != TLB_INVALID && !(tag & TLB_MMIO);
}

/* cpu_list_foreach callback: sends one CPU's stores to *ppage to the slow path. */
static void tlb_mark_notdirty(CPUState *cpu, void *opaque)
{
    uint64_t ppage = *(const uint64_t *)opaque;

    for (unsigned m = 0; m < TLB_NB_MMU_MODES; m++) {
        for (unsigned i = 0; i < TLB_NB_ENTRIES; i++) {
            uint64_t *tag = &cpu->tlb.table[m][i].addr_write;
            uint64_t old = __atomic_load_n(tag, __ATOMIC_SEQ_CST);

            if (tag_is_ram_write(old) && !(old & TLB_NOTDIRTY) &&
                __atomic_load_n(&cpu->tlb.phys[m][i], __ATOMIC_SEQ_CST) == ppage) {
                /* fails only if the owner replaced or flushed it meanwhile */
                __atomic_compare_exchange_n(tag, &old, old | TLB_NOTDIRTY, false,
                                            __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
            }
        }
    }
}

/* A translation fetched code from ppage through vpage; tb_lock held. */
static void code_page_record(uint64_t ppage, uint64_t vpage)
{
    CodePage *cp;
    bool known = false;

    g_mutex_lock(&code_lock);
    if (!code_pages) {
        code_pages = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
                                           code_page_free);
    }
    cp = code_page_lookup_locked(ppage);
    if (!cp) {
        cp = g_new0(CodePage, 1);
        cp->ppage = ppage;
        cp->vpages = g_array_new(FALSE, FALSE, sizeof(uint64_t));
        g_hash_table_insert(code_pages, &cp->ppage, cp);
        cpu_list_foreach(tlb_mark_notdirty, &ppage);
    }
    cp->generation++;
    for (guint i = 0; i < cp->vpages->len; i++) {
        known |= g_array_index(cp->vpages, uint64_t, i) == vpage;
    }
    if (!known) {
        g_array_append_val(cp->vpages, vpage);
    }
    g_mutex_unlock(&code_lock);
}

/* The writer's own entry stops taking the slow path; code_lock held. */
static void tlb_clear_notdirty_locked(CPUTLBEntry *e)
{
    __atomic_and_fetch(&e->addr_write, ~(uint64_t)TLB_NOTDIRTY, __ATOMIC_SEQ_CST);
}

/* A store changed [paddr, paddr + len) (one page) through e; see above. */
static void code_page_written(CPUTLBEntry *e, uint64_t paddr, unsigned len)
{
    uint64_t ppage = paddr & TLB_PAGE_MASK, offset = paddr & ~TLB_PAGE_MASK;
    g_autoptr(GArray) vpages = NULL;
    uint64_t generation;
    bool has_code = false;
    CodePage *cp;

    g_mutex_lock(&code_lock);
    cp = code_page_lookup_locked(ppage);
    if (!cp) {
        tlb_clear_notdirty_locked(e);
        g_mutex_unlock(&code_lock);
        return;
    }
    generation = cp->generation;
    vpages = g_array_copy(cp->vpages);
    g_mutex_unlock(&code_lock);

    /* without code_lock: invalidation takes tb_lock, which comes first */
    for (guint i = 0; i < vpages->len; i++) {
        uint64_t vpage = g_array_index(vpages, uint64_t, i);

        tb_invalidate_range(vpage | offset, len);
        has_code |= tb_page_has_code(vpage);
    }
    if (has_code) {
        return;
    }
    g_mutex_lock(&code_lock);
    cp = code_page_lookup_locked(ppage);
    if (cp && cp->generation == generation) {
        g_hash_table_remove(code_pages, &ppage);
        cp = NULL;
    }
    if (!cp) {
        tlb_clear_notdirty_locked(e);
    }
    g_mutex_unlock(&code_lock);
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

/*
 * Fills the entry of vaddr's page: host memory at host_page (NULL: a
 * device, all through the slow path), ppage the physical page behind it,
 * writes sent to the slow path with rom.
 */
static void tlb_set_entry(CPUState *cpu, uint64_t vaddr, uint64_t ppage, void *host_page,
                          bool rom, int prot, unsigned mmu_idx)
{
    uint64_t page = vaddr & TLB_PAGE_MASK;
    unsigned idx = tlb_index(vaddr);
    uint64_t io = host_page ? 0 : TLB_MMIO, write;
    int watched = cpu_watchpoint_page_kinds(page);
    CPUTLBEntry *e;

    g_assert(mmu_idx < TLB_NB_MMU_MODES);
    e = &cpu->tlb.table[mmu_idx][idx];
    e->addend = host_page ? (uintptr_t)host_page - (uintptr_t)page : 0;
    e->addr_read = !(prot & PAGE_READ) ? TLB_INVALID
                 : page | io | (watched & WP_READ ? TLB_WATCH : 0);
    e->addr_code = (prot & PAGE_EXEC) ? page | io : TLB_INVALID;
    /* ROM: writes reach address_space_store, which drops and logs them. */
    write = !(prot & PAGE_WRITE) ? TLB_INVALID
          : page | (io || rom ? TLB_MMIO : 0) | (watched & WP_WRITE ? TLB_WATCH : 0);
    __atomic_store_n(&cpu->tlb.phys[mmu_idx][idx], ppage, __ATOMIC_SEQ_CST);
    if (!tag_is_ram_write(write)) {
        /* tlb_mark_notdirty never touches such a tag */
        __atomic_store_n(&e->addr_write, write, __ATOMIC_SEQ_CST);
        return;
    }
    /* Under code_lock, so that code_page_record sees this entry or we see
     * its page (the block comment above). */
    g_mutex_lock(&code_lock);
    if (code_page_lookup_locked(ppage)) {
        write |= TLB_NOTDIRTY;
    }
    __atomic_store_n(&e->addr_write, write, __ATOMIC_SEQ_CST);
    g_mutex_unlock(&code_lock);
}

void tlb_set_page(CPUState *cpu, uint64_t vaddr, uint64_t paddr, int prot,
                  unsigned mmu_idx)
{
    uint64_t ppage = paddr & TLB_PAGE_MASK;
    hwaddr xlat, len = TLB_PAGE_SIZE;
    MemoryRegion *mr = address_space_translate(address_space_memory(), ppage, &xlat, &len);
    void *host = NULL;

    /* RAM only counts if it covers the whole page: a smaller region (or
     * one that ends inside the page) goes through the slow path. */
    if (mr && memory_region_is_ram(mr) && len >= TLB_PAGE_SIZE) {
        host = (uint8_t *)memory_region_get_ram_ptr(mr) + xlat;
    }
    tlb_set_entry(cpu, vaddr, ppage, host, host && memory_region_is_rom(mr), prot, mmu_idx);
}

void tlb_set_page_host(CPUState *cpu, uint64_t vaddr, void *host, int prot,
                       unsigned mmu_idx)
{
    tlb_set_entry(cpu, vaddr, vaddr & TLB_PAGE_MASK, host, false, prot, mmu_idx);
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
    if (cpu_user_tlb_fill) {
        if (!cpu_user_tlb_fill(cpu, addr, type, mmu_idx, probe, retaddr)) {
            g_assert(probe);
            return NULL;
        }
    } else if (!cpu->cc->tlb_fill(cpu, addr, size, type, mmu_idx, probe, retaddr)) {
        g_assert(probe);
        return NULL;
    }
    g_assert(tag_has_page(entry_tag(e, type), addr));
    return e;
}

bool tlb_lookup_phys(CPUState *cpu, uint64_t vaddr, unsigned mmu_idx, bool store,
                     uint64_t *paddr, bool *is_io)
{
    unsigned idx = tlb_index(vaddr);
    const CPUTLBEntry *e;
    uint64_t tag;

    if (ir_mem_model != IR_MEM_SOFTMMU || cpu_user_tlb_fill || mmu_idx >= TLB_NB_MMU_MODES) {
        return false;
    }
    e = &cpu->tlb.table[mmu_idx][idx];
    tag = entry_tag(e, store ? MMU_DATA_STORE : MMU_DATA_LOAD);
    if (!tag_has_page(tag, vaddr)) {
        return false;
    }
    *paddr = cpu->tlb.phys[mmu_idx][idx] | (vaddr & ~TLB_PAGE_MASK);
    /* ROM's writes take the slow path too, but it has host memory */
    *is_io = (tag & TLB_MMIO) && e->addend == 0;
    return true;
}

void *tlb_probe_code(CPUState *cpu, uint64_t vaddr, unsigned mmu_idx)
{
    CPUTLBEntry *e = tlb_lookup(cpu, vaddr, 1, MMU_INST_FETCH, mmu_idx, true, 0);

    if (!e || (e->addr_code & TLB_MMIO)) {
        return NULL;
    }
    code_page_record(cpu->tlb.phys[mmu_idx][e - cpu->tlb.table[mmu_idx]],
                     vaddr & TLB_PAGE_MASK);
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

void (*cpu_mmio_done_hook)(CPUState *cpu);

/* After the device access, without the BQL: where a busy-waiting guest
 * may be put to sleep (proteus/cpus.h, cpus_poll_idle). */
static void mmio_done(CPUState *cpu, bool took)
{
    if (took) {
        void (*hook)(CPUState *) = __atomic_load_n(&cpu_mmio_done_hook, __ATOMIC_ACQUIRE);

        bql_unlock();
        if (hook) {
            hook(cpu);
        }
    }
}

/* The bus refused the access (nothing there, or the device said no): the
 * architecture raises its access fault, or carries on (no hook). */
static void mmio_failed(CPUState *cpu, uint64_t addr, uint64_t paddr, unsigned size,
                        MMUAccessType type, uintptr_t retaddr)
{
    if (cpu->cc->do_transaction_failed) {
        cpu->cc->do_transaction_failed(cpu, addr, paddr, size, type, retaddr);
    }
}

static uint64_t mmio_load(CPUState *cpu, uint64_t addr, uint64_t paddr, unsigned size,
                          bool be, uintptr_t retaddr)
{
    bool took = bql_take();
    uint64_t v = 0;
    MemTxResult r = address_space_load(address_space_memory(), paddr, size, be, &v);

    mmio_done(cpu, took);
    if (r != MEMTX_OK) {
        mmio_failed(cpu, addr, paddr, size, MMU_DATA_LOAD, retaddr);
    }
    return v & size_mask(size);
}

static void mmio_store(CPUState *cpu, uint64_t addr, uint64_t paddr, unsigned size,
                       bool be, uint64_t v, uintptr_t retaddr)
{
    bool took = bql_take();
    MemTxResult r = address_space_store(address_space_memory(), paddr, size, be, v);

    mmio_done(cpu, took);
    if (r != MEMTX_OK) {
        mmio_failed(cpu, addr, paddr, size, MMU_DATA_STORE, retaddr);
    }
}

static inline uint64_t entry_paddr(CPUState *cpu, const CPUTLBEntry *e, unsigned mmu_idx,
                                   uint64_t addr)
{
    return cpu->tlb.phys[mmu_idx][e - cpu->tlb.table[mmu_idx]] | (addr & ~TLB_PAGE_MASK);
}

/* An access within one page, e already filled for it. */
static uint64_t load_in_page(CPUState *cpu, CPUTLBEntry *e, unsigned mmu_idx,
                             uint64_t addr, unsigned size, MemOp mop, uintptr_t retaddr)
{
    uint64_t raw = 0;

    if (e->addr_read & TLB_WATCH) {
        cpu_watchpoint_check(cpu, addr, size, WP_READ, retaddr);
    }
    if (e->addr_read & TLB_MMIO) {
        return mmio_load(cpu, addr, entry_paddr(cpu, e, mmu_idx, addr), size,
                         (mop & MO_BE) != 0, retaddr);
    }
    memcpy(&raw, (void *)(uintptr_t)(addr + e->addend), size);
    if (G_BYTE_ORDER == G_BIG_ENDIAN) {
        raw >>= 64 - 8 * size;
    }
    return memop_swaps(mop) ? swap_sized(raw, size) : raw;
}

static void store_in_page(CPUState *cpu, CPUTLBEntry *e, unsigned mmu_idx,
                          uint64_t addr, unsigned size, MemOp mop, uint64_t v,
                          uintptr_t retaddr)
{
    uint64_t raw;

    void *host = (void *)(uintptr_t)(addr + e->addend);
    uint64_t old = 0;
    bool notdirty;

    v &= size_mask(size);
    if (e->addr_write & TLB_WATCH) {
        cpu_watchpoint_check(cpu, addr, size, WP_WRITE, retaddr);
    }
    if (e->addr_write & TLB_MMIO) {
        mmio_store(cpu, addr, entry_paddr(cpu, e, mmu_idx, addr), size, (mop & MO_BE) != 0, v,
                   retaddr);
        return;
    }
    raw = memop_swaps(mop) ? swap_sized(v, size) : v;
    if (G_BYTE_ORDER == G_BIG_ENDIAN) {
        raw <<= 64 - 8 * size;
    }
    notdirty = (e->addr_write & TLB_NOTDIRTY) != 0;
    if (notdirty) {
        memcpy(&old, host, size);
    }
    memcpy(host, &raw, size);
    if (notdirty && memcmp(&old, &raw, size) != 0) {
        code_page_written(e, entry_paddr(cpu, e, mmu_idx, addr), size);
    }
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
        return load_in_page(cpu, e, mmu_idx, addr, size, mop, retaddr);
    }
    /* Both pages must be readable before any byte counts. */
    tlb_lookup(cpu, addr + size - 1, 1, MMU_DATA_LOAD, mmu_idx, false, retaddr);
    for (unsigned i = 0; i < size; i++) {
        uint64_t a = addr + i;
        uint64_t b;

        e = tlb_lookup(cpu, a, 1, MMU_DATA_LOAD, mmu_idx, false, retaddr);
        b = load_in_page(cpu, e, mmu_idx, a, 1, mop, retaddr);
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
        store_in_page(cpu, e, mmu_idx, addr, size, mop, val, retaddr);
        return;
    }
    /* Fault on the second page before writing anything to the first. */
    tlb_lookup(cpu, addr + size - 1, 1, MMU_DATA_STORE, mmu_idx, false, retaddr);
    for (unsigned i = 0; i < size; i++) {
        uint64_t a = addr + i;

        e = tlb_lookup(cpu, a, 1, MMU_DATA_STORE, mmu_idx, false, retaddr);
        store_in_page(cpu, e, mmu_idx, a, 1, mop,
                      val >> (8 * ((mop & MO_BE) ? size - 1 - i : i)), retaddr);
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

/* The RAM an atomic access works on (within one page). */
typedef struct AtomicTarget {
    void *host;                 /* NULL: a device (logged), done non-atomically */
    CPUTLBEntry *e;
    uint64_t paddr;
} AtomicTarget;

static AtomicTarget atomic_target(CPUState *cpu, uint64_t addr, MemOp mop, unsigned mmu_idx,
                                  uintptr_t retaddr)
{
    unsigned size = memop_size(mop);
    AtomicTarget t = { 0 };

    check_align(cpu, addr, mop, retaddr);
    /* A read-modify-write needs both permissions. */
    tlb_lookup(cpu, addr, size, MMU_DATA_LOAD, mmu_idx, false, retaddr);
    t.e = tlb_lookup(cpu, addr, size, MMU_DATA_STORE, mmu_idx, false, retaddr);
    if ((t.e->addr_read | t.e->addr_write) & TLB_WATCH) {
        cpu_watchpoint_check(cpu, addr, size,
                             (t.e->addr_read & TLB_WATCH ? WP_READ : 0) |
                             (t.e->addr_write & TLB_WATCH ? WP_WRITE : 0), retaddr);
    }
    if ((t.e->addr_write & TLB_MMIO) || (t.e->addr_read & TLB_MMIO) ||
        crosses_page(addr, size)) {
        log_mask(LOG_GUEST_ERROR, "atomic access at 0x%" PRIx64 " is not to RAM within a "
                 "page: done non-atomically\n", addr);
        return t;
    }
    t.host = (void *)(uintptr_t)(addr + t.e->addend);
    t.paddr = entry_paddr(cpu, t.e, mmu_idx, addr);
    return t;
}

/* After an atomic access changed RAM: code there is stale. */
static void atomic_written(const AtomicTarget *t, unsigned size)
{
    if (t->e->addr_write & TLB_NOTDIRTY) {
        code_page_written(t->e, t->paddr, size);
    }
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
    AtomicTarget t = atomic_target(env, addr, mop, (oi >> 8) & 0xff, retaddr);
    uint64_t cur = expected & size_mask(size);

    if (!t.host) {
        cur = ir_helper_ld_mmu(env, addr, oi & 0xffff, retaddr);
        if (cur == (expected & size_mask(size))) {
            ir_helper_st_mmu(env, addr, desired, oi & 0xffff, retaddr);
        }
        return cur;
    }
    if (host_cas(t.host, size, mop, &cur, desired) && cur != (desired & size_mask(size))) {
        atomic_written(&t, size);
    }
    return cur;
}

uint64_t ir_helper_rmw_mmu(void *env, uint64_t addr, uint64_t val, uint32_t oi,
                           uintptr_t retaddr)
{
    MemOp mop = oi & 0xff;
    IRAtomicOp aop = oi >> 16;
    unsigned size = memop_size(mop);
    AtomicTarget t = atomic_target(env, addr, mop, (oi >> 8) & 0xff, retaddr);
    uint64_t old, raw = 0;

    if (!t.host) {
        old = ir_helper_ld_mmu(env, addr, oi & 0xffff, retaddr);
        ir_helper_st_mmu(env, addr, ir_atomic_apply(aop, old, val, size), oi & 0xffff, retaddr);
        return old;
    }
    memcpy(&raw, t.host, size);
    if (G_BYTE_ORDER == G_BIG_ENDIAN) {
        raw >>= 64 - 8 * size;
    }
    old = memop_swaps(mop) ? swap_sized(raw, size) : raw;
    while (!host_cas(t.host, size, mop, &old, ir_atomic_apply(aop, old, val, size))) {
        /* old now holds what another thread wrote: retry from it. */
    }
    if (ir_atomic_apply(aop, old, val, size) != old) {
        atomic_written(&t, size);
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
