/*
 * Running one guest thread: cpu_exec until the guest needs the kernel
 * (a syscall), faults (a signal for the guest), or another thread or a host
 * signal asked for control (pending signals are delivered).
 */
#include <errno.h>

#include "linux-user/gdbstub-user.h"
#include "linux-user/signal-proc.h"
#include "proteus/log.h"

static __thread TaskState *current_task;

TaskState *task_self(void)
{
    return current_task;
}

void task_set_self(TaskState *ts)
{
    current_task = ts;
}

TaskState *task_new(CPUState *cpu)
{
    TaskState *ts = g_new0(TaskState, 1);

    ts->cpu = cpu;
    ts->tid = gettid();
    ts->sigmask = signal_host_mask();
    return ts;
}

void task_free(TaskState *ts)
{
    g_free(ts);
}

static void cpu_loop_syscall(TaskState *ts)
{
    const LinuxArch *arch = linux_process.arch;
    uint64_t args[6];
    int64_t ret;
    int nr;

    arch->get_syscall(ts->cpu, &nr, args);
    arch->skip_syscall(ts->cpu);
    ret = do_syscall(ts, nr, args);
    if (ret == SYSCALL_RESTART) {
        arch->rewind_syscall(ts->cpu);
        ts->syscall_restarting = true;
    } else if (ret != SYSCALL_NO_RESULT) {
        arch->set_syscall_result(ts->cpu, ret);
    }
}

static void cpu_loop_exception(TaskState *ts, int excp)
{
    const LinuxArch *arch = linux_process.arch;
    uint64_t addr = 0;
    int si_code = 0;
    int sig = arch->exception_to_signal(ts->cpu, excp, &si_code, &addr);

    if (sig) {
        log_mask(LOG_INT, "exception %d at pc 0x%" G_GINT64_MODIFIER "x: signal %d\n",
                 excp, ts->cpu->cc->get_pc(ts->cpu), sig);
        signal_queue_fault(ts, sig, si_code, addr);
    }
}

void cpu_loop(TaskState *ts)
{
    const LinuxArch *arch = linux_process.arch;
    CPUState *cpu = ts->cpu;

    cpu->exit_on_exception = true;
    signal_thread_init(ts);
    gdb_user_thread_start(ts);
    for (;;) {
        int excp;

        signal_guest_running = 1;
        excp = cpu_exec(cpu);
        signal_guest_running = 0;

        if (excp == arch->syscall_exception) {
            cpu_loop_syscall(ts);
        } else if (excp == EXCP_DEBUG) {
            gdb_user_debug_stop(ts);
        } else if (excp != EXCP_INTERRUPT && excp != EXCP_YIELD) {
            cpu_loop_exception(ts, excp);
        }
        gdb_user_check_interrupt(ts);
        signal_process_pending(ts);
    }
}
