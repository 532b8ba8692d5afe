/*
 * RISC-V address translation and physical memory protection for the
 * softmmu TLB (RISC-V privileged spec 4.3-4.6 and 3.7): the Sv39, Sv48
 * and Sv57 page walks from satp with their permission rules, hardware
 * updating of the A and D bits (a host compare-and-swap on the PTE in
 * RAM), PMP checks of the final and of the page-table accesses, and the
 * class hooks tlb_fill and get_phys_page_debug.
 *
 * The MMU index (cpu.h RISCV_MMU_*) gives the effective mode of an access
 * (MPRV already applied by riscv_data_mmu_index) and SUM; MXR and satp
 * are read from the CPU, which flushes the TLB when they change.
 *
 * What is left out: Svnapot, Svpbmt (their PTE bits are reserved here and
 * fault), ASIDs in the TLB (satp writes and every fence flush it), and
 * re-checking PMP on every access when a PMP range covers only part of a
 * page: the page is then installed for the kind of access that passed,
 * with what PMP allowed for that one access.
 */
#include <inttypes.h>

#include "proteus/log.h"
#include "proteus/memory.h"
#include "target/riscv/cpu.h"

#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK ((1ull << 44) - 1)
/* N, PBMT and the reserved bits 60:54: no extension using them is here */
#define PTE_RESERVED (~0ull << 54)

#define PAGE_BITS 12
#define LEVEL_BITS 9

/* No fault: the translation result is valid. */
#define NO_FAULT (-1)

typedef struct RiscvTranslation {
    uint64_t paddr;             /* of the accessed byte */
    int prot;                   /* PAGE_* the mode has on the page */
    uint64_t size;              /* of the page or superpage */
} RiscvTranslation;

/* ---- modes and MMU indexes ---- */

unsigned riscv_data_mmu_index(const RiscvCPU *cpu)
{
    unsigned priv = cpu->priv;

    if (priv == RISCV_PRIV_M && (cpu->mstatus & MSTATUS_MPRV)) {
        priv = (cpu->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;
    }
    if (priv == RISCV_PRIV_M) {
        return RISCV_MMU_M;
    }
    if (priv == RISCV_PRIV_S) {
        return (cpu->mstatus & MSTATUS_SUM) ? RISCV_MMU_S_SUM : RISCV_MMU_S;
    }
    return RISCV_MMU_U;
}

unsigned riscv_fetch_mmu_index(const RiscvCPU *cpu)
{
    return cpu->priv == RISCV_PRIV_M ? RISCV_MMU_M
         : cpu->priv == RISCV_PRIV_S ? RISCV_MMU_S : RISCV_MMU_U;
}

static unsigned mmu_index_priv(unsigned mmu_idx)
{
    return mmu_idx == RISCV_MMU_M ? RISCV_PRIV_M
         : mmu_idx == RISCV_MMU_U ? RISCV_PRIV_U : RISCV_PRIV_S;
}

static int page_fault(MMUAccessType type)
{
    return type == MMU_INST_FETCH ? RISCV_EXCP_INST_PAGE_FAULT
         : type == MMU_DATA_STORE ? RISCV_EXCP_STORE_PAGE_FAULT
                                  : RISCV_EXCP_LOAD_PAGE_FAULT;
}

static int access_fault(MMUAccessType type)
{
    return type == MMU_INST_FETCH ? RISCV_EXCP_INST_ACCESS_FAULT
         : type == MMU_DATA_STORE ? RISCV_EXCP_STORE_AMO_ACCESS_FAULT
                                  : RISCV_EXCP_LOAD_ACCESS_FAULT;
}

static int access_prot(MMUAccessType type)
{
    return type == MMU_INST_FETCH ? PAGE_EXEC
         : type == MMU_DATA_STORE ? PAGE_WRITE : PAGE_READ;
}

/* ---- PMP ---- */

static bool pmp_active(const RiscvCPU *cpu, unsigned i)
{
    return (cpu->pmpcfg[i] & PMP_A) != 0;
}

/* The byte range [*lo, *hi) entry i matches; false if it matches nothing. */
static bool pmp_range(const RiscvCPU *cpu, unsigned i, uint64_t *lo, uint64_t *hi)
{
    uint64_t a = cpu->pmpaddr[i];
    unsigned ones;

    switch ((cpu->pmpcfg[i] & PMP_A) >> PMP_A_SHIFT) {
    case PMP_A_TOR:
        *lo = i == 0 ? 0 : cpu->pmpaddr[i - 1] << 2;
        *hi = a << 2;
        return *lo < *hi;
    case PMP_A_NA4:
        *lo = a << 2;
        *hi = *lo + 4;
        return true;
    case PMP_A_NAPOT:
        /* trailing ones t: a 2^(t + 3) byte range (pmpaddr has 54 bits,
         * so the size fits) */
        ones = __builtin_ctzll(~a);
        *lo = (a & ~((1ull << ones) - 1)) << 2;
        *hi = *lo + (8ull << ones);
        return true;
    default:
        return false;
    }
}

/*
 * The PAGE_* permissions PMP gives mode priv on all of [addr, addr + len)
 * (priv 3.7.1): the lowest-numbered entry matching any byte decides, and
 * must match all of them; M-mode is bound only by locked entries. With no
 * entry matching, M may do anything and S/U nothing -- unless no entry is
 * in use at all, which is treated like a hart without PMP (bare-metal
 * programs and -bios none kernels never set it up).
 */
static int pmp_prot(const RiscvCPU *cpu, uint64_t addr, uint64_t len, unsigned priv)
{
    const int all = PAGE_READ | PAGE_WRITE | PAGE_EXEC;
    bool any_active = false;
    uint64_t end = addr + len;

    for (unsigned i = 0; i < RISCV_PMP_ENTRIES; i++) {
        uint64_t lo, hi;
        uint8_t cfg = cpu->pmpcfg[i];

        if (!pmp_active(cpu, i)) {
            continue;
        }
        any_active = true;
        if (!pmp_range(cpu, i, &lo, &hi) || end <= lo || addr >= hi) {
            continue;
        }
        if (addr < lo || end > hi) {
            return 0;
        }
        if (priv == RISCV_PRIV_M && !(cfg & PMP_L)) {
            return all;
        }
        return ((cfg & PMP_R) ? PAGE_READ : 0) | ((cfg & PMP_W) ? PAGE_WRITE : 0) |
               ((cfg & PMP_X) ? PAGE_EXEC : 0);
    }
    return priv == RISCV_PRIV_M || !any_active ? all : 0;
}

/* ---- page-table entries in memory ---- */

/* The host address of the PTE when it is in RAM (not ROM), else NULL. */
static uint64_t *pte_host(uint64_t paddr)
{
    hwaddr xlat, len = 8;
    MemoryRegion *mr = address_space_translate(address_space_memory(), paddr, &xlat, &len);

    if (!mr || !memory_region_is_ram(mr) || memory_region_is_rom(mr) || len < 8) {
        return NULL;
    }
    return (uint64_t *)((uint8_t *)memory_region_get_ram_ptr(mr) + xlat);
}

static bool pte_load(uint64_t paddr, uint64_t *pte)
{
    uint64_t *host = pte_host(paddr);

    if (host) {
        *pte = GUINT64_FROM_LE(__atomic_load_n(host, __ATOMIC_ACQUIRE));
        return true;
    }
    return address_space_load(address_space_memory(), paddr, 8, false, pte) == MEMTX_OK;
}

/*
 * Sets bits in the PTE if it still holds old (another hart may have
 * changed it since the walk read it): false if it did not, and the walk
 * starts over. A PTE outside RAM is written plainly.
 */
static bool pte_update(uint64_t paddr, uint64_t old, uint64_t bits)
{
    uint64_t *host = pte_host(paddr);
    uint64_t expected = GUINT64_TO_LE(old);

    if (!host) {
        address_space_store(address_space_memory(), paddr, 8, false, old | bits);
        return true;
    }
    return __atomic_compare_exchange_n(host, &expected, GUINT64_TO_LE(old | bits), false,
                                       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/* ---- the walk ---- */

static unsigned satp_levels(uint64_t satp)
{
    switch (satp >> SATP_MODE_SHIFT) {
    case SATP_MODE_SV39:
        return 3;
    case SATP_MODE_SV48:
        return 4;
    case SATP_MODE_SV57:
        return 5;
    default:
        return 0;
    }
}

/* What a leaf gives mode priv (4.3.1): U pages only to U (and to S's loads
 * and stores with SUM), S pages never to U; MXR makes X pages readable. */
static int leaf_prot(const RiscvCPU *cpu, uint64_t pte, unsigned priv, bool sum)
{
    int prot = 0;

    if (pte & PTE_U) {
        if (priv == RISCV_PRIV_S && !sum) {
            return 0;
        }
    } else if (priv == RISCV_PRIV_U) {
        return 0;
    }
    if ((pte & PTE_R) || ((pte & PTE_X) && (cpu->mstatus & MSTATUS_MXR))) {
        prot |= PAGE_READ;
    }
    if (pte & PTE_W) {
        prot |= PAGE_WRITE;
    }
    if ((pte & PTE_X) && !(priv == RISCV_PRIV_S && (pte & PTE_U))) {
        prot |= PAGE_EXEC;
    }
    return prot;
}

/*
 * Translates vaddr for an access of type in MMU index mmu_idx. Returns
 * NO_FAULT with *t filled, or the exception to raise. With update_ad the
 * A and D bits the access needs are set in the PTE first; the page's
 * write permission is given only once D is set, so that the first store
 * to a clean page comes back here.
 */
static int riscv_translate(RiscvCPU *cpu, uint64_t vaddr, MMUAccessType type,
                           unsigned mmu_idx, bool update_ad, RiscvTranslation *t)
{
    unsigned priv = mmu_index_priv(mmu_idx);
    unsigned levels = satp_levels(cpu->satp);
    unsigned va_bits = PAGE_BITS + LEVEL_BITS * levels;
    int64_t top;

    t->size = TLB_PAGE_SIZE;
    if (priv == RISCV_PRIV_M || levels == 0) {
        t->paddr = vaddr;
        t->prot = PAGE_READ | PAGE_WRITE | PAGE_EXEC;
        return NO_FAULT;
    }
    /* bits 63..va_bits-1 must all equal bit va_bits-1 */
    top = (int64_t)vaddr >> (va_bits - 1);
    if (top != 0 && top != -1) {
        return page_fault(type);
    }

restart:
    {
        uint64_t base = (cpu->satp & SATP_PPN_MASK) << PAGE_BITS;

        for (int level = levels - 1; level >= 0; level--) {
            unsigned shift = PAGE_BITS + LEVEL_BITS * level;
            uint64_t pte_addr = base + ((vaddr >> shift) & 511) * 8;
            uint64_t pte, ppn, bits;

            /* the walk's own reads are S-mode accesses for PMP (3.7.1) */
            if (!(pmp_prot(cpu, pte_addr, 8, RISCV_PRIV_S) & PAGE_READ) ||
                !pte_load(pte_addr, &pte)) {
                return access_fault(type);
            }
            if (!(pte & PTE_V) || (!(pte & PTE_R) && (pte & PTE_W)) ||
                (pte & PTE_RESERVED)) {
                return page_fault(type);
            }
            ppn = (pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK;
            if (!(pte & (PTE_R | PTE_X))) {
                /* a pointer to the next level; A, D and U are reserved */
                if (level == 0 || (pte & (PTE_A | PTE_D | PTE_U))) {
                    return page_fault(type);
                }
                base = ppn << PAGE_BITS;
                continue;
            }
            /* a leaf: superpages must be aligned (4.3.2 step 6) */
            if (ppn & ((1ull << (LEVEL_BITS * level)) - 1)) {
                return page_fault(type);
            }
            t->prot = leaf_prot(cpu, pte, priv, mmu_idx == RISCV_MMU_S_SUM);
            if (!(t->prot & access_prot(type))) {
                return page_fault(type);
            }
            bits = PTE_A | (type == MMU_DATA_STORE ? PTE_D : 0);
            if (update_ad && (pte & bits) != bits) {
                if (!pte_update(pte_addr, pte, bits)) {
                    goto restart;
                }
                pte |= bits;
            }
            if (!(pte & PTE_D)) {
                t->prot &= ~PAGE_WRITE;
            }
            t->paddr = (ppn << PAGE_BITS) | (vaddr & ((1ull << shift) - 1));
            t->size = 1ull << shift;
            return NO_FAULT;
        }
    }
    g_assert_not_reached();
}

/* ---- class hooks ---- */

/* A fresh address-space tag (see RiscvCPU.as_tag): never 0, 24 bits. */
void riscv_new_as_tag(RiscvCPU *cpu)
{
    static uint32_t next_tag;

    cpu->as_tag = (__atomic_add_fetch(&next_tag, 1, __ATOMIC_RELAXED) % 0xffffff) + 1;
}

void riscv_tlb_flush_all(RiscvCPU *cpu)
{
    cpu->tlb_super_first = UINT64_MAX;
    cpu->tlb_super_last = 0;
    tlb_flush(&cpu->parent);
    riscv_new_as_tag(cpu);
}

bool riscv_cpu_tlb_fill(CPUState *cs, uint64_t addr, unsigned size, MMUAccessType type,
                        unsigned mmu_idx, bool probe, uintptr_t retaddr)
{
    RiscvCPU *cpu = riscv_cpu(cs);
    unsigned priv = mmu_index_priv(mmu_idx);
    RiscvTranslation t;
    uint64_t ppage;
    int excp, prot;

    excp = riscv_translate(cpu, addr, type, mmu_idx, true, &t);
    if (excp == NO_FAULT) {
        ppage = t.paddr & TLB_PAGE_MASK;
        prot = t.prot & pmp_prot(cpu, ppage, TLB_PAGE_SIZE, priv);
        if (!(prot & access_prot(type))) {
            /* PMP may cover less than the page: judge this access alone */
            prot = t.prot & pmp_prot(cpu, t.paddr, size, priv) & access_prot(type);
        }
        if (!prot) {
            excp = access_fault(type);
        }
    }
    if (excp != NO_FAULT) {
        log_mask(LOG_MMU, "riscv: %s fault (cause %d) at 0x%016" PRIx64 " in MMU index %u\n",
                 type == MMU_INST_FETCH ? "fetch" : type == MMU_DATA_STORE ? "store" : "load",
                 excp, addr, mmu_idx);
        if (probe) {
            cpu->fetch_fault = excp;
            return false;
        }
        cpu->badaddr = addr;
        cs->exception_index = excp;
        if (retaddr) {
            cpu_loop_exit_restore(cs, retaddr);
        }
        cpu_loop_exit(cs);
    }
    if (t.size > TLB_PAGE_SIZE) {
        uint64_t first = addr & ~(t.size - 1);

        cpu->tlb_super_first = MIN(cpu->tlb_super_first, first);
        cpu->tlb_super_last = MAX(cpu->tlb_super_last, first + (t.size - 1));
    }
    tlb_set_page(cs, addr & TLB_PAGE_MASK, ppage, prot, mmu_idx);
    return true;
}

/* Nothing at the physical address, or the device refused: an access fault
 * (priv spec 3.6: vacant regions support no access), tval the virtual
 * address. */
void riscv_cpu_do_transaction_failed(CPUState *cs, uint64_t addr, uint64_t paddr,
                                     unsigned size, MMUAccessType type, uintptr_t retaddr)
{
    RiscvCPU *cpu = riscv_cpu(cs);

    cpu->badaddr = addr;
    cs->exception_index = access_fault(type);
    cpu_loop_exit_restore(cs, retaddr);
}

uint64_t riscv_cpu_get_phys_page_debug(CPUState *cs, uint64_t vaddr)
{
    RiscvCPU *cpu = riscv_cpu(cs);
    RiscvTranslation t;

    if (riscv_translate(cpu, vaddr, MMU_DATA_LOAD, riscv_data_mmu_index(cpu), false, &t) !=
        NO_FAULT) {
        return UINT64_MAX;
    }
    return t.paddr & TLB_PAGE_MASK;
}
