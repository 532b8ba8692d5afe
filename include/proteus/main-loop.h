/*
 * The main loop: glib's default GMainContext, with timers, fd handlers and
 * bottom halves attached to it. Device state is protected by one big lock
 * (the BQL); the main loop holds it except while it polls, and vCPU threads
 * take it for device accesses.
 */
#ifndef PROTEUS_MAIN_LOOP_H
#define PROTEUS_MAIN_LOOP_H

#include <glib.h>
#include <stdbool.h>

#include "proteus/timer.h"

/* Sets up the loop (idempotent); the calling thread becomes the main thread
 * and takes the BQL, which it keeps except while main_loop_wait() polls. */
void main_loop_init(void);

/* One iteration: poll fds (up to the next timer deadline), dispatch
 * handlers, run expired timers and scheduled bottom halves. With blocking
 * false it does not wait. Call with the BQL held. */
void main_loop_wait(bool blocking);

/* Runs until main_loop_request_exit(); returns the exit status given there.
 * The request is consumed on return, so the loop can be run again. */
int main_loop_run(void);
void main_loop_request_exit(int status);     /* any thread */
bool main_loop_exit_requested(void);

/* Wakes a main loop sleeping in poll (any thread). */
void main_loop_notify(void);

/* The big lock: a plain mutex, not recursive. */
void bql_lock(void);
void bql_unlock(void);
bool bql_locked(void);       /* by the calling thread */

/* fd handlers, dispatched from the main loop with the BQL held. Passing
 * NULL for both removes the handler. */
typedef void IOHandler(void *opaque);
void main_loop_set_fd_handler(int fd, IOHandler *read_cb, IOHandler *write_cb, void *opaque);

/* Bottom halves: a callback scheduled from any thread, run once on the
 * main loop with the BQL held. Scheduling twice before it runs runs it once. */
typedef struct BottomHalf BottomHalf;
BottomHalf *bh_new(void (*cb)(void *opaque), void *opaque);
void bh_schedule(BottomHalf *bh);
void bh_cancel(BottomHalf *bh);
void bh_delete(BottomHalf *bh);

#endif
