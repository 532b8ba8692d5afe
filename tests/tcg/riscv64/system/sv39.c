/*
 * Sv39 paging seen from S-mode, with a three-level table built by M-mode:
 * the accessed and dirty bits a load and a store set in a leaf PTE, a
 * store to a read-only page (store page fault), a fetch from an unmapped
 * page (instruction page fault) and a remapped page that the next load
 * sees after SFENCE.VMA.
 */
#include "bare.h"

#define PAGE_SIZE 4096ul
#define PTE_V (1ul << 0)
#define PTE_R (1ul << 1)
#define PTE_W (1ul << 2)
#define PTE_X (1ul << 3)
#define PTE_A (1ul << 6)
#define PTE_D (1ul << 7)
#define SATP_SV39 (8ul << 60)

/* Test pages live at 1 GiB, in the gigabyte mapped through the levels. */
#define VA_BASE 0x40000000ul
#define VA_AD (VA_BASE + 0 * PAGE_SIZE)       /* RW, A and D clear */
#define VA_RO (VA_BASE + 1 * PAGE_SIZE)       /* R only */
#define VA_UNMAPPED (VA_BASE + 2 * PAGE_SIZE) /* no PTE */
#define VA_REMAP (VA_BASE + 3 * PAGE_SIZE)    /* data[2], then data[3] */

static uint64_t root[512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t level1[512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t level0[512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t data[4][512] __attribute__((aligned(PAGE_SIZE)));

static volatile uint64_t trap_count, trap_cause, trap_epc, trap_tval;

static uint64_t pte_of(const void *pa, uint64_t flags)
{
    return ((uint64_t)pa >> 12) << 10 | flags | PTE_V;
}

static uint64_t pte_flags(uint64_t pte)
{
    return pte & 0x3ff;
}

/* Identity gigapages for the devices (0..1 GiB) and RAM (2..3 GiB). */
static void build_tables(void)
{
    uint64_t rwx_ad = PTE_R | PTE_W | PTE_X | PTE_A | PTE_D;

    root[0] = pte_of((void *)0, rwx_ad);
    root[2] = pte_of((void *)0x80000000ul, rwx_ad);
    root[VA_BASE >> 30] = pte_of(level1, 0);
    level1[0] = pte_of(level0, 0);
    level0[0] = pte_of(data[0], PTE_R | PTE_W);
    level0[1] = pte_of(data[1], PTE_R | PTE_A);
    level0[3] = pte_of(data[2], PTE_R | PTE_W | PTE_A | PTE_D);
    for (int i = 0; i < 4; i++) {
        data[i][0] = 0x1111 * (i + 1);
    }
    csr_write(satp, SATP_SV39 | ((uint64_t)root >> 12));
    asm volatile("sfence.vma" ::: "memory");
}

/* Records a fault; the faulting access is skipped, a fetch returns (ra). */
static void record(TrapFrame *f, uint64_t cause)
{
    trap_count++;
    trap_cause = cause;
    trap_epc = csr_read(sepc);
    trap_tval = csr_read(stval);
    if (cause == EXC_INSN_PAGE) {
        csr_write(sepc, f->regs[1]);
    } else {
        csr_write(sepc, trap_epc + insn_length(trap_epc));
    }
}

static void reset_record(void)
{
    trap_count = 0;
    trap_cause = trap_epc = trap_tval = ~0ull;
}

static void report_fault(const char *what, uint64_t pc)
{
    put_str(what);
    put_str("\n");
    put_val("  traps", trap_count);
    put_val("  scause", trap_cause);
    put_check("  sepc is the instruction", trap_epc == pc);
    put_val("  stval", trap_tval);
}

static void test_accessed_dirty(void)
{
    volatile uint64_t *p = (volatile uint64_t *)VA_AD;
    uint64_t v;

    reset_record();
    put_val("A/D: flags before", pte_flags(level0[0]));
    v = *p;
    put_val("  load", v);
    put_val("  flags after the load", pte_flags(level0[0]));
    *p = 0xabcd;
    put_val("  flags after the store", pte_flags(level0[0]));
    put_val("  page in RAM", data[0][0]);
    put_val("  traps", trap_count);
}

static void test_read_only(void)
{
    uint64_t pc;

    reset_record();
    asm volatile("la %0, 1f\n1: sd %1, 8(%2)"
                 : "=&r"(pc) : "r"(0x77ul), "r"(VA_RO) : "memory");
    report_fault("store to a read-only page", pc);
    put_val("  page unchanged", data[1][1]);
}

static void test_unmapped_fetch(void)
{
    reset_record();
    ((void (*)(void))VA_UNMAPPED)();
    report_fault("fetch from an unmapped page", VA_UNMAPPED);
}

static void test_remap(void)
{
    volatile uint64_t *p = (volatile uint64_t *)VA_REMAP;

    reset_record();
    put_val("remap: before", *p);
    level0[3] = pte_of(data[3], PTE_R | PTE_W | PTE_A | PTE_D);
    asm volatile("sfence.vma %0, zero" :: "r"(VA_REMAP) : "memory");
    put_val("  after sfence.vma", *p);
    put_val("  traps", trap_count);
}

static void s_code(void)
{
    s_trap_hook = record;
    test_accessed_dirty();
    test_read_only();
    test_unmapped_fetch();
    test_remap();
    mode_return(csr_read(satp) >> 60);
}

int main(void)
{
    uint64_t mode;

    build_tables();
    csr_write(medeleg, (1u << EXC_INSN_PAGE) | (1u << EXC_LOAD_PAGE) |
              (1u << EXC_STORE_PAGE));
    mode = goto_mode(1, s_code);
    put_val("satp mode", mode);
    put_str("done\n");
    return 0;
}
