/*
 * riscv64 signal frames (being written).
 */
#include "linux-user/riscv64/target.h"

bool riscv64_setup_rt_frame(TaskState *ts, int sig, const siginfo_t *info,
                            uint64_t handler, uint64_t flags, uint64_t restorer,
                            GuestSigset old_mask)
{
    return false;
}

bool riscv64_restore_rt_frame(TaskState *ts, GuestSigset *mask)
{
    return false;
}
