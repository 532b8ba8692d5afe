/*
 * Breakpoints, watchpoints and single-step (proteus/debug.h): the lists,
 * and the checks the exec loop, the translator and the softmmu slow path
 * call while a debugger is attached.
 *
 * The lists change only while no CPU runs guest code (the header's
 * contract), so the readers (the exec loop, translation, the TLB slow
 * path) take no lock. Every change flushes the TBs (breakpoints change
 * where TBs end and whether they may chain) and the TLBs (watchpoints
 * change which pages take the slow path).
 */
#include <inttypes.h>

#include "accel/tcg/tb-internal.h"
#include "proteus/debug.h"
#include "proteus/log.h"
#include "proteus/memory.h"

typedef struct Watchpoint {
    uint64_t addr, len;
    int kind;
} Watchpoint;

static GHashTable *breakpoints;     /* uint64_t pc -> itself */
static GArray *watchpoints;         /* Watchpoint */
int tcg_breakpoint_count;

bool (*cpu_user_memory_rw)(uint64_t vaddr, void *buf, size_t len, bool write);
bool (*cpu_user_tlb_fill)(CPUState *cpu, uint64_t addr, MMUAccessType type,
                          unsigned mmu_idx, bool probe, uintptr_t retaddr);

static void tlb_flush_one(CPUState *cpu, void *opaque)
{
    tlb_flush(cpu);
}

/* After a change: no TB or TLB entry may reflect the old lists. */
static void debug_changed(void)
{
    cpu_list_foreach(tlb_flush_one, NULL);
    tb_flush(NULL);
}

/* ---- breakpoints ---- */

void cpu_breakpoint_insert(uint64_t pc)
{
    if (!breakpoints) {
        breakpoints = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    }
    if (g_hash_table_contains(breakpoints, &pc)) {
        return;
    }
    g_hash_table_add(breakpoints, g_memdup2(&pc, sizeof(pc)));
    tcg_breakpoint_count = g_hash_table_size(breakpoints);
    debug_changed();
}

bool cpu_breakpoint_remove(uint64_t pc)
{
    if (!breakpoints || !g_hash_table_remove(breakpoints, &pc)) {
        return false;
    }
    tcg_breakpoint_count = g_hash_table_size(breakpoints);
    debug_changed();
    return true;
}

void cpu_breakpoint_remove_all(void)
{
    if (breakpoints && g_hash_table_size(breakpoints) > 0) {
        g_hash_table_remove_all(breakpoints);
        tcg_breakpoint_count = 0;
        debug_changed();
    }
}

bool cpu_breakpoint_at(uint64_t pc)
{
    return tcg_breakpoint_count > 0 && g_hash_table_contains(breakpoints, &pc);
}

/* ---- watchpoints ---- */

/*
 * User mode accesses guest memory directly (ir_guest_base) unless a
 * watchpoint needs the slow path: then every access goes through the TLB,
 * which cpu_user_tlb_fill fills with the same host pages.
 */
static void user_mem_model_update(void)
{
    IRMemModel want;

    if (!cpu_user_tlb_fill) {
        return;
    }
    want = watchpoints->len > 0 ? IR_MEM_SOFTMMU : IR_MEM_USER;
    if (ir_mem_model != want) {
        ir_mem_model = want;
        log_mask(LOG_INT, "debug: guest memory accesses now go %s\n",
                 want == IR_MEM_SOFTMMU ? "through the TLB" : "direct");
    }
}

void cpu_watchpoint_insert(uint64_t addr, uint64_t len, int kind)
{
    Watchpoint wp = { .addr = addr, .len = len ? len : 1, .kind = kind & WP_ACCESS };

    g_assert(wp.kind != 0);
    if (!watchpoints) {
        watchpoints = g_array_new(FALSE, FALSE, sizeof(Watchpoint));
    }
    g_array_append_val(watchpoints, wp);
    user_mem_model_update();
    debug_changed();
}

bool cpu_watchpoint_remove(uint64_t addr, uint64_t len, int kind)
{
    for (guint i = 0; watchpoints && i < watchpoints->len; i++) {
        Watchpoint *wp = &g_array_index(watchpoints, Watchpoint, i);

        if (wp->addr == addr && wp->len == (len ? len : 1) && wp->kind == (kind & WP_ACCESS)) {
            g_array_remove_index(watchpoints, i);
            user_mem_model_update();
            debug_changed();
            return true;
        }
    }
    return false;
}

void cpu_watchpoint_remove_all(void)
{
    if (watchpoints && watchpoints->len > 0) {
        g_array_set_size(watchpoints, 0);
        user_mem_model_update();
        debug_changed();
    }
}

static inline bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a <= b + (blen - 1) && b <= a + (alen - 1);
}

int cpu_watchpoint_page_kinds(uint64_t page)
{
    int kinds = 0;

    for (guint i = 0; watchpoints && i < watchpoints->len; i++) {
        const Watchpoint *wp = &g_array_index(watchpoints, Watchpoint, i);

        if (ranges_overlap(wp->addr, wp->len, page, TLB_PAGE_SIZE)) {
            kinds |= wp->kind;
        }
    }
    return kinds;
}

void cpu_watchpoint_check(CPUState *cpu, uint64_t addr, unsigned size, int kind,
                          uintptr_t retaddr)
{
    if (cpu->watch_step) {
        /* the instruction that hit runs again, to completion */
        return;
    }
    for (guint i = 0; watchpoints && i < watchpoints->len; i++) {
        const Watchpoint *wp = &g_array_index(watchpoints, Watchpoint, i);

        if ((wp->kind & kind) && ranges_overlap(wp->addr, wp->len, addr, size)) {
            cpu->debug_reason = DEBUG_STOP_WATCHPOINT;
            cpu->debug_addr = wp->addr;
            cpu->debug_len = wp->len;
            cpu->debug_kind = wp->kind;
            cpu->watch_step = true;
            log_mask(LOG_INT, "cpu %d: watchpoint 0x%" PRIx64 " hit by an access at 0x%"
                     PRIx64 "\n", cpu->cpu_index, wp->addr, addr);
            if (retaddr) {
                cpu_loop_exit_restore(cpu, retaddr);
            }
            cpu_loop_exit(cpu);
        }
    }
}

void cpu_user_mappings_changed(void)
{
    bool nested = cpu_in_exclusive();

    if (!cpu_user_tlb_fill || ir_mem_model != IR_MEM_SOFTMMU) {
        return;
    }
    if (!nested) {
        start_exclusive(NULL);
    }
    cpu_list_foreach(tlb_flush_one, NULL);
    if (!nested) {
        end_exclusive(NULL);
    }
}

/* ---- memory ---- */

static bool memory_rw_pages(CPUState *cpu, uint64_t vaddr, void *buf, size_t len,
                            bool write)
{
    uint8_t *p = buf;

    if (!cpu->cc->get_phys_page_debug) {
        return false;
    }
    while (len > 0) {
        uint64_t page = vaddr & TLB_PAGE_MASK;
        size_t n = MIN(len, page + TLB_PAGE_SIZE - vaddr);
        uint64_t ppage = cpu->cc->get_phys_page_debug(cpu, page);
        hwaddr pa = ppage + (vaddr - page), xlat, plen;
        MemTxResult r;

        if (ppage == (uint64_t)-1) {
            return false;
        }
        /* every byte must be decoded: an access to nothing would be logged
         * as the guest's error */
        for (hwaddr done = 0; done < n; done += plen) {
            plen = n - done;
            if (!address_space_translate(address_space_memory(), pa + done, &xlat, &plen) ||
                plen == 0) {
                return false;
            }
        }
        r = write ? address_space_write_rom(address_space_memory(), pa, p, n)
                  : address_space_read(address_space_memory(), pa, p, n);
        if (r != MEMTX_OK) {
            return false;
        }
        vaddr += n;
        p += n;
        len -= n;
    }
    return true;
}

bool cpu_memory_rw_debug(CPUState *cpu, uint64_t vaddr, void *buf, size_t len, bool write)
{
    bool ok = cpu_user_memory_rw ? cpu_user_memory_rw(vaddr, buf, len, write)
                                 : memory_rw_pages(cpu, vaddr, buf, len, write);

    if (ok && write && len > 0) {
        /* the debugger may have changed code */
        tb_invalidate_range(vaddr, len);
    }
    return ok;
}

/* ---- single-step and the stop decision ---- */

void cpu_single_step(CPUState *cpu, bool enable)
{
    cpu->singlestep = enable;
    if (!enable) {
        cpu->step_done = false;
    }
}

bool cpu_debug_stop_check(CPUState *cpu, uint64_t pc)
{
    bool stop = false;

    if (cpu->step_done) {
        cpu->step_done = false;
        if (cpu->watch_step) {
            /* debug_* were filled in when the watchpoint hit */
            cpu->watch_step = false;
        } else {
            cpu->debug_reason = DEBUG_STOP_STEP;
        }
        stop = true;
    } else if (!cpu->watch_step && cpu_breakpoint_at(pc) &&
               !(cpu->bp_skip && cpu->bp_skip_pc == pc)) {
        cpu->debug_reason = DEBUG_STOP_BREAKPOINT;
        cpu->debug_addr = pc;
        stop = true;
    }
    /* A resumed CPU does not stop at once where it stopped. */
    cpu->bp_skip = stop;
    cpu->bp_skip_pc = pc;
    return stop;
}

void cpu_debug_stop_info(CPUState *cpu, CPUDebugStop *out)
{
    out->reason = cpu->debug_reason;
    out->addr = cpu->debug_addr;
    out->len = cpu->debug_len;
    out->kind = cpu->debug_kind;
}
