/*
 * Signals: (being written) host signal handlers, guest sigactions and
 * delivery. For now a guest fault ends the process as the default action
 * would.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "linux-user/user.h"

void signal_init(void)
{
}

void signal_queue_fault(TaskState *ts, int sig, int si_code, uint64_t addr)
{
    fprintf(stderr, "proteus-user: guest fault: signal %d at 0x%" G_GINT64_MODIFIER "x\n",
            sig, addr);
    signal(sig, SIG_DFL);
    raise(sig);
    _exit(128 + sig);
}

void signal_process_pending(TaskState *ts)
{
}
