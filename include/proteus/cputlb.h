/*
 * The softmmu TLB: how system-mode generated code turns a guest virtual
 * address into a host pointer.
 *
 * Each CPU has, per MMU index, a direct-mapped table of TLB_NB_ENTRIES
 * entries for 4 KiB guest pages, embedded in its CPUState so generated
 * code reaches it at a fixed offset from env. An entry's tags are the
 * page's virtual address for reads, writes and fetches; -1 never matches.
 * A tag with TLB_MMIO set still names the page but never equals an
 * address, so every such access takes the slow path (devices, ROM writes).
 *
 * The fast path (inline in the JIT, in C in the interpreter):
 *     e = &tlb.table[mmu][(addr >> TLB_PAGE_BITS) & (TLB_NB_ENTRIES - 1)];
 *     cmp = (last byte's address) & TLB_PAGE_MASK   (| addr's low bits
 *           below the access size for MO_ALIGN: misaligned never matches)
 *     hit: host = addr + e->addend
 * anything else calls the slow-path helpers (backend.h), which fill the
 * entry through the CPU class's tlb_fill and handle MMIO, page-crossing
 * and alignment faults.
 *
 * A CPU's TLB belongs to the thread running it: flush it from there. A
 * zeroed TLB is not empty (it would map page 0 to host address 0), so
 * cpu_state_init() flushes it.
 */
#ifndef PROTEUS_CPUTLB_H
#define PROTEUS_CPUTLB_H

#include <stdbool.h>
#include <stdint.h>

typedef struct CPUState CPUState;

#define TLB_PAGE_BITS 12
#define TLB_PAGE_SIZE (1u << TLB_PAGE_BITS)
#define TLB_PAGE_MASK (~(uint64_t)(TLB_PAGE_SIZE - 1))
#define TLB_NB_ENTRIES 256
#define TLB_NB_MMU_MODES 8

/* In a tag: the page is there, but accesses go through the slow path. */
#define TLB_MMIO (1u << 11)
#define TLB_INVALID UINT64_MAX

/* Page protections for tlb_set_page. */
#define PAGE_READ  1
#define PAGE_WRITE 2
#define PAGE_EXEC  4

typedef enum MMUAccessType {
    MMU_DATA_LOAD = 0,
    MMU_DATA_STORE = 1,
    MMU_INST_FETCH = 2,
} MMUAccessType;

/* 32 bytes: generated code indexes the table with a shift by 5. */
typedef struct CPUTLBEntry {
    uint64_t addr_read;
    uint64_t addr_write;
    uint64_t addr_code;
    uintptr_t addend;          /* host address - guest virtual address (RAM) */
} CPUTLBEntry;

typedef struct CPUTLB {
    CPUTLBEntry table[TLB_NB_MMU_MODES][TLB_NB_ENTRIES];
    /* The guest-physical page of each entry, for MMIO accesses. */
    uint64_t phys[TLB_NB_MMU_MODES][TLB_NB_ENTRIES];
    /* Loads and stores that took the slow path (tests, statistics). */
    uint64_t slow_accesses;
} CPUTLB;

/*
 * Installs the page of vaddr (in every mode index mmu_idx) as the page of
 * guest-physical paddr with prot (PAGE_*). RAM gets a host addend; ROM
 * too, with writes sent to the slow path; anything else is TLB_MMIO.
 * Called by the CPU class's tlb_fill.
 */
void tlb_set_page(CPUState *cpu, uint64_t vaddr, uint64_t paddr, int prot,
                  unsigned mmu_idx);
/*
 * User mode, once watchpoints put guest memory on the softmmu model
 * (proteus/debug.h): installs vaddr's page as the host memory at host (the
 * page's start) with prot; there is no physical address behind it.
 */
void tlb_set_page_host(CPUState *cpu, uint64_t vaddr, void *host, int prot,
                       unsigned mmu_idx);
/*
 * The guest-physical address vaddr's page has in cpu's TLB for mmu_idx
 * (the entry a load or, with store, a store used), and whether it is a
 * device's; false if the TLB holds no such entry. For plugins.
 */
bool tlb_lookup_phys(CPUState *cpu, uint64_t vaddr, unsigned mmu_idx, bool store,
                     uint64_t *paddr, bool *is_io);
/* Forgets every entry / the entries of vaddr's page, in every MMU index. */
void tlb_flush(CPUState *cpu);
void tlb_flush_page(CPUState *cpu, uint64_t vaddr);

/*
 * For the frontend's instruction fetch in softmmu mode: the host address
 * of vaddr for an execute access, filling the TLB (tlb_fill with probe set,
 * so nothing raises); NULL if the page is not mapped executable or is not
 * RAM/ROM. The caller reads at most to the end of the page.
 */
void *tlb_probe_code(CPUState *cpu, uint64_t vaddr, unsigned mmu_idx);

#endif
