/*
 * WFI until a timer 50 ms away: with mie.MTIE set and mstatus.MIE clear
 * the pending timer wakes the hart without a trap. WFI may also return
 * early (the spec allows it), so the hart waits again until mip.MTIP.
 */
#include "bare.h"

#define TICKS_50MS 500000ul

int main(void)
{
    uint64_t start = *MTIME, woke;
    int pending_before;

    *MTIMECMP(0) = start + TICKS_50MS;
    pending_before = (csr_read(mip) >> IRQ_M_TIMER) & 1;
    csr_set(mie, 1u << IRQ_M_TIMER);
    while (!(csr_read(mip) & (1u << IRQ_M_TIMER))) {
        asm volatile("wfi");
    }
    woke = *MTIME;
    put_check("timer pending before WFI", pending_before);
    put_check("mtime advanced by 500000 ticks or more", woke - start >= TICKS_50MS);
    *MTIMECMP(0) = ~0ull;
    put_check("mip.MTIP clear after mtimecmp = -1",
              !(csr_read(mip) & (1u << IRQ_M_TIMER)));
    return 0;
}
