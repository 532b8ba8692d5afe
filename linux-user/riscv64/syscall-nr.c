/*
 * riscv64's syscall numbers: the asm-generic table (include/uapi/asm-generic/
 * unistd.h), as the riscv64 kernel uses it.
 */
#include "linux-user/riscv64/target.h"

const SyscallNr riscv64_syscall_nrs[] = {
    { 64, "write" },
    { 93, "exit" },
    { 94, "exit_group" },
    { 0, NULL },
};
