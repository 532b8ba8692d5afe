/*
 * What linux-user/riscv64/ shares between its files.
 */
#ifndef LINUX_USER_RISCV64_TARGET_H
#define LINUX_USER_RISCV64_TARGET_H

#include <string.h>

#include "linux-user/user.h"

extern const LinuxArch linux_arch_riscv64;
/* syscall-nr.c: the asm-generic numbers riscv64 uses. */
extern const SyscallNr riscv64_syscall_nrs[];
/* signal.c: the rt signal frame of arch/riscv/kernel/signal.c's layout. */
bool riscv64_setup_rt_frame(TaskState *ts, int sig, const siginfo_t *info,
                            uint64_t handler, uint64_t flags, uint64_t restorer,
                            GuestSigset old_mask);
bool riscv64_restore_rt_frame(TaskState *ts, GuestSigset *mask);
void riscv64_set_mem_fault(CPUState *cpu, uint64_t addr, bool is_write);

#endif
