/*
 * The main loop, the big lock (BQL), fd handlers and bottom halves.
 *
 * The loop drives glib's default GMainContext by hand (prepare, query,
 * poll, check, dispatch) so that it can drop the BQL only around the poll
 * and so that the poll can sleep with nanosecond precision (ppoll) up to
 * the next timer deadline; glib's own timeout is only in milliseconds.
 * Any GSource attached to the default context (g_unix_fd_add,
 * g_io_add_watch, g_timeout_add...) is therefore dispatched with the BQL
 * held, exactly like our fd handlers, timers and bottom halves.
 *
 * Wake-ups from other threads (bottom halves, timers armed earlier than
 * the current deadline, exit requests) go through g_main_context_wakeup().
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <time.h>

#include <glib.h>

#include "proteus/main-loop.h"
#include "proteus/timer.h"

/* The poll below hands glib's GPollFD array straight to ppoll(). */
G_STATIC_ASSERT(sizeof(GPollFD) == sizeof(struct pollfd));
G_STATIC_ASSERT(offsetof(GPollFD, fd) == offsetof(struct pollfd, fd));
G_STATIC_ASSERT(offsetof(GPollFD, events) == offsetof(struct pollfd, events));
G_STATIC_ASSERT(offsetof(GPollFD, revents) == offsetof(struct pollfd, revents));

static bool main_loop_initialized;
static GMutex bql;
static __thread bool bql_held;

static int exit_requested;      /* atomic */
static int exit_status;         /* atomic, written before exit_requested */

/* ---- the big lock ---- */

void bql_lock(void)
{
    g_assert(!bql_held);
    g_mutex_lock(&bql);
    bql_held = true;
}

void bql_unlock(void)
{
    g_assert(bql_held);
    bql_held = false;
    g_mutex_unlock(&bql);
}

bool bql_locked(void)
{
    return bql_held;
}

/* ---- bottom halves ---- */

struct BottomHalf {
    void (*cb)(void *opaque);
    void *opaque;
    int scheduled;              /* atomic */
    int deleted;                /* atomic */
    BottomHalf *next;
};

/*
 * bh_lock guards the list and its links. While the loop walks the list
 * (bh_walkers > 0) deleted entries stay linked, so the walker's next
 * pointer stays valid even if a callback deletes any bottom half; they
 * are unlinked and freed once the walk ends.
 */
static GMutex bh_lock;
static BottomHalf *bh_list;
static int bh_walkers;
static bool bh_sweep_needed;
static int bh_any_scheduled;    /* atomic hint: some bh may be scheduled */

BottomHalf *bh_new(void (*cb)(void *opaque), void *opaque)
{
    BottomHalf *bh;

    g_return_val_if_fail(cb != NULL, NULL);
    bh = g_new0(BottomHalf, 1);
    bh->cb = cb;
    bh->opaque = opaque;
    g_mutex_lock(&bh_lock);
    bh->next = bh_list;
    bh_list = bh;
    g_mutex_unlock(&bh_lock);
    return bh;
}

void bh_schedule(BottomHalf *bh)
{
    g_return_if_fail(bh != NULL);
    if (g_atomic_int_get(&bh->deleted)) {
        return;
    }
    if (g_atomic_int_compare_and_exchange(&bh->scheduled, 0, 1)) {
        g_atomic_int_set(&bh_any_scheduled, 1);
        main_loop_notify();
    }
}

void bh_cancel(BottomHalf *bh)
{
    g_return_if_fail(bh != NULL);
    g_atomic_int_set(&bh->scheduled, 0);
}

static void bh_sweep_locked(void)
{
    BottomHalf **link = &bh_list;

    while (*link) {
        BottomHalf *bh = *link;

        if (g_atomic_int_get(&bh->deleted)) {
            *link = bh->next;
            g_free(bh);
        } else {
            link = &bh->next;
        }
    }
    bh_sweep_needed = false;
}

void bh_delete(BottomHalf *bh)
{
    if (!bh) {
        return;
    }
    g_atomic_int_set(&bh->scheduled, 0);
    g_atomic_int_set(&bh->deleted, 1);
    g_mutex_lock(&bh_lock);
    if (bh_walkers) {
        bh_sweep_needed = true;
    } else {
        bh_sweep_locked();
    }
    g_mutex_unlock(&bh_lock);
}

/* Runs each scheduled bottom half once; returns true if any ran. */
static bool bh_run_scheduled(void)
{
    BottomHalf *bh;
    bool ran = false;

    if (!g_atomic_int_compare_and_exchange(&bh_any_scheduled, 1, 0)) {
        return false;
    }
    g_mutex_lock(&bh_lock);
    bh_walkers++;
    bh = bh_list;
    g_mutex_unlock(&bh_lock);

    while (bh) {
        if (!g_atomic_int_get(&bh->deleted) &&
            g_atomic_int_compare_and_exchange(&bh->scheduled, 1, 0)) {
            bh->cb(bh->opaque);
            ran = true;
        }
        g_mutex_lock(&bh_lock);
        bh = bh->next;
        g_mutex_unlock(&bh_lock);
    }

    g_mutex_lock(&bh_lock);
    if (--bh_walkers == 0 && bh_sweep_needed) {
        bh_sweep_locked();
    }
    g_mutex_unlock(&bh_lock);
    return ran;
}

/* ---- fd handlers ---- */

typedef struct FdHandlerSource {
    GSource source;
    int fd;
    IOHandler *read_cb;
    IOHandler *write_cb;
    void *opaque;
    gpointer tag;
} FdHandlerSource;

static GMutex fd_handlers_lock;
static GHashTable *fd_handlers;     /* fd -> FdHandlerSource, one reference */

static gboolean fd_handler_dispatch(GSource *source, GSourceFunc callback,
                                    gpointer user_data)
{
    FdHandlerSource *s = (FdHandlerSource *)source;
    GIOCondition revents = g_source_query_unix_fd(source, s->tag);

    /* An error or hang-up is reported to the reader first: a read sees it. */
    if (s->read_cb && (revents & (G_IO_IN | G_IO_HUP | G_IO_ERR))) {
        s->read_cb(s->opaque);
    }
    /* The read callback may have removed or replaced this handler. */
    if (!g_source_is_destroyed(source) && s->write_cb &&
        (revents & (G_IO_OUT | G_IO_ERR))) {
        s->write_cb(s->opaque);
    }
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs fd_handler_funcs = {
    .dispatch = fd_handler_dispatch,
};

static void fd_handler_release(gpointer data)
{
    GSource *source = data;

    g_source_destroy(source);
    g_source_unref(source);
}

void main_loop_set_fd_handler(int fd, IOHandler *read_cb, IOHandler *write_cb, void *opaque)
{
    FdHandlerSource *s;
    GIOCondition events = 0;

    g_return_if_fail(fd >= 0);

    g_mutex_lock(&fd_handlers_lock);
    if (!fd_handlers) {
        fd_handlers = g_hash_table_new_full(g_direct_hash, g_direct_equal,
                                            NULL, fd_handler_release);
    }
    /* Removing the old source first: glib polls each source's fds apart. */
    g_hash_table_remove(fd_handlers, GINT_TO_POINTER(fd));
    if (!read_cb && !write_cb) {
        g_mutex_unlock(&fd_handlers_lock);
        return;
    }
    if (read_cb) {
        events |= G_IO_IN | G_IO_HUP | G_IO_ERR;
    }
    if (write_cb) {
        events |= G_IO_OUT | G_IO_ERR;
    }
    s = (FdHandlerSource *)g_source_new(&fd_handler_funcs, sizeof(FdHandlerSource));
    g_source_set_name(&s->source, "proteus-fd-handler");
    s->fd = fd;
    s->read_cb = read_cb;
    s->write_cb = write_cb;
    s->opaque = opaque;
    s->tag = g_source_add_unix_fd(&s->source, fd, events);
    g_source_attach(&s->source, g_main_context_default());
    g_hash_table_insert(fd_handlers, GINT_TO_POINTER(fd), s);
    g_mutex_unlock(&fd_handlers_lock);
}

/* ---- the loop ---- */

void main_loop_init(void)
{
    if (main_loop_initialized) {
        return;
    }
    main_loop_initialized = true;
    if (!bql_locked()) {
        bql_lock();
    }
}

void main_loop_notify(void)
{
    g_main_context_wakeup(g_main_context_default());
}

/*
 * The poll timeout in ns, -1 for none: the earliest of glib's timeout
 * (ms), the next timer deadline, and zero when a bottom half waits.
 */
static int64_t main_loop_timeout_ns(bool blocking, int glib_timeout_ms)
{
    int64_t timeout = -1, deadline;

    if (!blocking || g_atomic_int_get(&bh_any_scheduled) ||
        g_atomic_int_get(&exit_requested)) {
        return 0;
    }
    if (glib_timeout_ms >= 0) {
        timeout = (int64_t)glib_timeout_ms * 1000000;
    }
    deadline = timers_deadline_ns();
    if (deadline >= 0 && (timeout < 0 || deadline < timeout)) {
        timeout = deadline;
    }
    return timeout;
}

static void main_loop_poll(GPollFD *fds, int nfds, int64_t timeout_ns)
{
    struct timespec ts, *tsp = NULL;
    int ret;

    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / NANOSECONDS_PER_SECOND;
        ts.tv_nsec = timeout_ns % NANOSECONDS_PER_SECOND;
        tsp = &ts;
    }
    bql_unlock();
    ret = ppoll((struct pollfd *)fds, nfds, tsp, NULL);
    bql_lock();
    if (ret < 0) {
        /*
         * A signal (EINTR) or a transient shortage (ENOMEM): report
         * nothing ready; the next iteration polls again.
         */
        g_assert(errno == EINTR || errno == ENOMEM);
        for (int i = 0; i < nfds; i++) {
            fds[i].revents = 0;
        }
    }
}

void main_loop_wait(bool blocking)
{
    static GPollFD *fds;
    static int fds_alloc;
    GMainContext *ctx = g_main_context_default();
    gint max_priority, glib_timeout_ms, nfds;
    bool acquired;

    g_assert(bql_locked());

    acquired = g_main_context_acquire(ctx);
    g_assert(acquired);
    g_main_context_prepare(ctx, &max_priority);
    while ((nfds = g_main_context_query(ctx, max_priority, &glib_timeout_ms,
                                        fds, fds_alloc)) > fds_alloc) {
        fds_alloc = nfds;
        fds = g_renew(GPollFD, fds, fds_alloc);
    }
    /*
     * Computed after the query: from here on a wake-up from another
     * thread is seen by the poll, so a bottom half scheduled or a timer
     * armed after this point cannot be missed.
     */
    main_loop_poll(fds, nfds, main_loop_timeout_ns(blocking, glib_timeout_ms));
    if (g_main_context_check(ctx, max_priority, fds, nfds)) {
        g_main_context_dispatch(ctx);
    }
    g_main_context_release(ctx);

    timers_run_expired();
    bh_run_scheduled();
}

int main_loop_run(void)
{
    while (!g_atomic_int_get(&exit_requested)) {
        main_loop_wait(true);
    }
    /* The request is consumed, so the loop can be run again later. */
    g_atomic_int_set(&exit_requested, 0);
    return g_atomic_int_get(&exit_status);
}

void main_loop_request_exit(int status)
{
    g_atomic_int_set(&exit_status, status);
    g_atomic_int_set(&exit_requested, 1);
    main_loop_notify();
}

bool main_loop_exit_requested(void)
{
    return g_atomic_int_get(&exit_requested);
}
