/*
 * The guest address space of a Linux user-mode process.
 *
 * One large host region is reserved up front (PROT_NONE, MAP_NORESERVE) and
 * ir_guest_base points at it, so guest address A lives at host address
 * ir_guest_base + A and generated code needs one add per access. Guest
 * mmap/mprotect/munmap work inside that region with guest-visible addresses;
 * a page-flags map remembers what the guest has mapped and how, for address
 * search, /proc/self/maps and fault delivery. One address space per process.
 */
#ifndef LINUX_USER_GUEST_MEM_H
#define LINUX_USER_GUEST_MEM_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define GUEST_PAGE_BITS 12
#define GUEST_PAGE_SIZE ((uint64_t)1 << GUEST_PAGE_BITS)
#define GUEST_PAGE_MASK (~(GUEST_PAGE_SIZE - 1))

/* Page flags (one byte per guest page). */
#define GUEST_PAGE_READ   0x01
#define GUEST_PAGE_WRITE  0x02
#define GUEST_PAGE_EXEC   0x04
#define GUEST_PAGE_VALID  0x08   /* mapped by the guest (any protection) */
/* Translated code came from this page: while it is also guest-writable,
 * its host copy is read-only so that a guest write faults and invalidates
 * the code (self-modifying code). Not a protection the guest sees. */
#define GUEST_PAGE_CODE   0x10

/* The size user mode uses: the riscv64 Sv39 user half. */
#define GUEST_MEM_DEFAULT_SIZE ((uint64_t)1 << 38)

/*
 * Reserves [0, size) of guest space (size a multiple of the page size) and
 * sets ir_guest_base. Nothing is mapped yet; guest address 0 stays unmapped.
 */
bool guest_mem_init(uint64_t size, GError **errp);
/* Unmaps everything and releases the reservation (ir_guest_base = 0). */
void guest_mem_destroy(void);
/* The size given to guest_mem_init, 0 when not initialised. */
uint64_t guest_mem_size(void);

/* Host pointer of guest address addr (no checks). */
static inline void *guest_to_host(uint64_t addr)
{
    extern uintptr_t ir_guest_base;
    return (void *)(ir_guest_base + (uintptr_t)addr);
}

/* true if [addr, addr + len) lies inside the guest space. */
bool guest_range_in_space(uint64_t addr, uint64_t len);
/* true if every page of [addr, addr + len) is mapped with all of prot_flags
 * (GUEST_PAGE_READ/WRITE/EXEC; 0 means just mapped). len 0 is true.
 * Asking for GUEST_PAGE_WRITE also lifts the code write-protection of the
 * range (guest_mem_code_written), since the caller is about to write it. */
bool guest_range_mapped(uint64_t addr, uint64_t len, unsigned prot_flags);
/* The flags of the page containing addr (0 outside the space). */
unsigned guest_page_flags(uint64_t addr);

/*
 * Linux mmap with guest addresses: prot is PROT_*, flags MAP_* (MAP_FIXED,
 * MAP_FIXED_NOREPLACE, MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED honoured).
 * Without a fixed flag, addr is a hint; the highest free range below the
 * hint (or below the top of the space) is used. Returns the guest address
 * or a negative errno, as the syscall does.
 */
int64_t guest_mmap(uint64_t addr, uint64_t len, int prot, int flags,
                   int fd, uint64_t offset);
/* Linux munmap/mprotect on guest addresses; 0 or a negative errno. */
int guest_munmap(uint64_t addr, uint64_t len);
int guest_mprotect(uint64_t addr, uint64_t len, int prot);
/*
 * Self-modifying code. guest_mem_code_added is tb_page_code_added_hook:
 * the page at addr now has translated code (called with the TB lock held;
 * it only write-protects). guest_mem_code_written: the guest (or the
 * emulator on its behalf) wants to write the page at addr: if it is a
 * write-protected code page, makes it writable again and invalidates its
 * code. Returns false when the page is not guest-writable (a real fault).
 */
void guest_mem_code_added(uint64_t addr);
bool guest_mem_code_written(uint64_t addr);
/* Lets debuggers' watchpoints move guest accesses onto the softmmu TLB
 * (sets cpu_user_tlb_fill, proteus/debug.h). */
void guest_mem_debug_init(void);

/* Around fork: no guest mmap/munmap/mprotect runs while the caller forks
 * (the child would inherit a held lock). */
void guest_mem_fork_prepare(void);
void guest_mem_fork_done(void);

/* The highest free page-aligned range of len bytes (aligned to align, a power
 * of two >= the page size) ending at or below limit; 0 if none. */
uint64_t guest_find_free(uint64_t len, uint64_t align, uint64_t limit);

#endif
