/*
 * safe_syscall (see safe-syscall.h) for x86-64 hosts.
 *
 * The race to close: the guest's signal arrives after the caller decided
 * to block but before the kernel is entered; the host handler runs then
 * and returns, and the syscall would sleep with the signal undelivered.
 * So the last check of the thread's signal_pending flag and the syscall
 * instruction are one small assembly stub, and the host handler (through
 * safe_syscall_check_interrupted) moves a thread interrupted anywhere in
 * [safe_syscall_start, safe_syscall_end) -- checked but not yet in the
 * kernel -- to safe_syscall_interrupted, which returns SYSCALL_RESTART.
 * The handler sets the flag before, so an interruption before the check
 * is seen by the check itself. Once in the kernel, a host signal makes a
 * blocking syscall return -EINTR (the host handlers have no SA_RESTART),
 * which becomes SYSCALL_RESTART too; the kernel restarting a syscall on
 * its own (ERESTARTNOINTR) puts the pc back on the syscall instruction,
 * inside the window, which also works.
 */
#include <errno.h>
#include <signal.h>
#include <ucontext.h>

#include "linux-user/safe-syscall.h"
#include "linux-user/signal-proc.h"

#ifndef __x86_64__
#error "safe_syscall is written for x86-64 hosts"
#endif

G_STATIC_ASSERT(SYSCALL_RESTART == -512);

/* The stub: (pending flag, nr, six arguments) -> the kernel's result. */
int64_t safe_syscall_base(volatile int *pending, long nr, long a0, long a1, long a2,
                          long a3, long a4, long a5);
extern const char safe_syscall_start[], safe_syscall_end[], safe_syscall_interrupted[];

/*
 * SysV arguments: rdi = flag, rsi = nr, rdx, rcx, r8, r9, then a4 and a5
 * on the stack; the syscall wants rax = nr, rdi, rsi, rdx, r10, r8, r9.
 * r11 holds the flag pointer (syscall clobbers it only after the check).
 */
__asm__(
    "    .text\n"
    "    .globl safe_syscall_base\n"
    "    .hidden safe_syscall_base\n"
    "    .type safe_syscall_base, @function\n"
    "safe_syscall_base:\n"
    "    .cfi_startproc\n"
    "    mov %rdi, %r11\n"
    "    mov %rsi, %rax\n"
    "    mov %rdx, %rdi\n"
    "    mov %rcx, %rsi\n"
    "    mov %r8, %rdx\n"
    "    mov %r9, %r10\n"
    "    mov 8(%rsp), %r8\n"
    "    mov 16(%rsp), %r9\n"
    "    .globl safe_syscall_start\n"
    "    .hidden safe_syscall_start\n"
    "safe_syscall_start:\n"
    "    cmpl $0, (%r11)\n"
    "    jnz safe_syscall_interrupted\n"
    "    syscall\n"
    "    .globl safe_syscall_end\n"
    "    .hidden safe_syscall_end\n"
    "safe_syscall_end:\n"
    "    ret\n"
    "    .globl safe_syscall_interrupted\n"
    "    .hidden safe_syscall_interrupted\n"
    "safe_syscall_interrupted:\n"
    "    mov $-512, %rax\n"
    "    ret\n"
    "    .cfi_endproc\n"
    "    .size safe_syscall_base, .-safe_syscall_base\n");

/* Threads that are not guest threads have nothing to be interrupted for. */
static volatile int no_task_pending;

int64_t safe_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
    TaskState *ts = task_self();
    int64_t r = safe_syscall_base(ts ? &ts->signal_pending : &no_task_pending, nr,
                                  a0, a1, a2, a3, a4, a5);

    return r == -EINTR ? SYSCALL_RESTART : r;
}

void safe_syscall_check_interrupted(void *host_ucontext)
{
    ucontext_t *uc = host_ucontext;
    uintptr_t pc = uc->uc_mcontext.gregs[REG_RIP];

    if (pc >= (uintptr_t)safe_syscall_start && pc < (uintptr_t)safe_syscall_end) {
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)safe_syscall_interrupted;
    }
}
