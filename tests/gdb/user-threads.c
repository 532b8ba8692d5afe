/*
 * The program tests/gdb/user-threads.gdb debugs under proteus-user: a
 * second thread that stops at a breakpoint while the first waits for it,
 * a SIGUSR1 left at its default action (deadly, unless gdb drops it),
 * then a store through a null pointer, so the run ends by SIGSEGV.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

volatile int shared;

static void *worker(void *arg)
{
    shared = 1;                 /* the breakpoint: two threads live */
    return arg;
}

int main(void)
{
    pthread_t t;

    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);
    printf("shared=%d\n", shared);
    fflush(stdout);
    raise(SIGUSR1);
    *(volatile int *)(long)(shared - 1) = 2;    /* address 0: SIGSEGV */
    return 0;
}
