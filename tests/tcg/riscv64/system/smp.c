/*
 * Two harts (-smp 2): hart 0 announces it is ready and waits in WFI with
 * only mie.MSIE enabled (mstatus.MIE clear, so no trap); hart 1 waits for
 * that, lets 2 ms pass so that hart 0 is most likely in WFI, stores a
 * flag and raises hart 0's msip. Hart 0 must see the flag once the IPI
 * is pending. How many times WFI returned depends on the scheduling of
 * the harts, so it is not checked.
 */
#include "bare.h"

static volatile uint64_t ready, flag;

void secondary_main(uint64_t hartid)
{
    uint64_t until;

    while (!ready) {
    }
    until = *MTIME + 20000;
    while (*MTIME < until) {
    }
    flag = 0x1000 + hartid;
    asm volatile("fence w, w" ::: "memory");
    *MSIP(0) = 1;
    for (;;) {
        asm volatile("wfi");
    }
}

int main(void)
{
    csr_set(mie, 1u << IRQ_M_SOFT);
    ready = 1;
    while (!(csr_read(mip) & (1u << IRQ_M_SOFT))) {
        asm volatile("wfi");
    }
    put_val("flag", flag);
    put_val("msip of hart 0", *MSIP(0));
    put_val("msip of hart 1", *MSIP(1));
    *MSIP(0) = 0;
    put_check("mip.MSIP clear after msip = 0",
              !(csr_read(mip) & (1u << IRQ_M_SOFT)));
    return 0;
}
