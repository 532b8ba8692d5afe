/*
 * Socket syscalls. Socket addresses and option values have the same
 * layout for every Linux architecture of one word size (the generic
 * socket.h numbering, which x86-64 shares), so they are used in place once
 * checked; struct msghdr, its iovecs and its control messages hold guest
 * pointers and are rebuilt for the host. Descriptors passed with
 * SCM_RIGHTS are host descriptors already (guest fd = host fd).
 */
#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "linux-user/riscv64/target-structs.h"
#include "linux-user/safe-syscall.h"
#include "linux-user/syscall-defs.h"
#include "proteus/log.h"

G_STATIC_ASSERT(SOL_SOCKET == 1 && SO_RCVTIMEO == 20 && SO_SNDTIMEO == 21);
G_STATIC_ASSERT(SCM_RIGHTS == 1 && SO_REUSEADDR == 2 && SO_PASSCRED == 16);

/* Control data larger than this is refused (the kernel's optmem limit is
 * of the same order). */
#define NET_CONTROL_MAX (64 * 1024)

static int64_t sys_socket(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(socket((int)a[0], (int)a[1], (int)a[2]));
}

static int64_t sys_socketpair(TaskState *ts, const uint64_t *a)
{
    int sv[2];

    if (!guest_writable(a[3], sizeof(sv))) {
        return -EFAULT;
    }
    if (socketpair((int)a[0], (int)a[1], (int)a[2], sv) < 0) {
        return syscall_errno();
    }
    memcpy(g2h(a[3]), sv, sizeof(sv));
    return 0;
}

/* An input socket address: NULL or checked guest memory. */
static bool net_addr_in(uint64_t addr, uint64_t len, void **p)
{
    *p = NULL;
    if (!addr) {
        return true;
    }
    if ((int32_t)len < 0 || !guest_readable(addr, len)) {
        return false;
    }
    *p = g2h(addr);
    return true;
}

/* An output address and its in/out length; the length is copied in and
 * the host writes it back through *lenp. */
static bool net_addr_out(uint64_t addr, uint64_t len_addr, void **p, socklen_t **lenp)
{
    uint32_t len;

    *p = NULL;
    *lenp = NULL;
    if (!addr) {
        return true;
    }
    if (!copy_from_guest(&len, len_addr, sizeof(len)) || (int32_t)len < 0 ||
        !guest_writable(addr, len) || !guest_writable(len_addr, sizeof(len))) {
        return false;
    }
    *p = g2h(addr);
    *lenp = g2h(len_addr);
    return true;
}

static int64_t sys_bind(TaskState *ts, const uint64_t *a)
{
    void *sa;

    if (!net_addr_in(a[1], a[2], &sa)) {
        return -EFAULT;
    }
    return syscall_ret(bind((int)a[0], sa, (socklen_t)a[2]));
}

static int64_t sys_connect(TaskState *ts, const uint64_t *a)
{
    void *sa;

    if (!net_addr_in(a[1], a[2], &sa)) {
        return -EFAULT;
    }
    return safe_syscall3(SYS_connect, (int)a[0], sa, (socklen_t)a[2]);
}

static int64_t sys_listen(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(listen((int)a[0], (int)a[1]));
}

static int64_t sys_accept4(TaskState *ts, const uint64_t *a)
{
    void *sa;
    socklen_t *len;

    if (!net_addr_out(a[1], a[2], &sa, &len)) {
        return -EFAULT;
    }
    return safe_syscall4(SYS_accept4, (int)a[0], sa, len, (int)a[3]);
}

static int64_t sys_accept(TaskState *ts, const uint64_t *a)
{
    uint64_t b[6] = { a[0], a[1], a[2], 0, 0, 0 };
    return sys_accept4(ts, b);
}

static int64_t net_sockname(int (*fn)(int, struct sockaddr *, socklen_t *), const uint64_t *a)
{
    void *sa;
    socklen_t *len;

    if (!a[1] || !net_addr_out(a[1], a[2], &sa, &len)) {
        return -EFAULT;
    }
    return syscall_ret(fn((int)a[0], sa, len));
}

static int64_t sys_getsockname(TaskState *ts, const uint64_t *a)
{
    return net_sockname(getsockname, a);
}

static int64_t sys_getpeername(TaskState *ts, const uint64_t *a)
{
    return net_sockname(getpeername, a);
}

static int64_t sys_sendto(TaskState *ts, const uint64_t *a)
{
    void *sa;

    if (!guest_readable(a[1], a[2]) || !net_addr_in(a[4], a[5], &sa)) {
        return -EFAULT;
    }
    return safe_syscall6(SYS_sendto, (int)a[0], g2h(a[1]), a[2], (int)a[3], sa,
                         (socklen_t)a[5]);
}

static int64_t sys_recvfrom(TaskState *ts, const uint64_t *a)
{
    void *sa;
    socklen_t *len;

    if (!guest_writable(a[1], a[2]) || !net_addr_out(a[4], a[5], &sa, &len)) {
        return -EFAULT;
    }
    return safe_syscall6(SYS_recvfrom, (int)a[0], g2h(a[1]), a[2], (int)a[3], sa, len);
}

static int64_t sys_setsockopt(TaskState *ts, const uint64_t *a)
{
    if ((int32_t)a[4] < 0) {
        return -EINVAL;
    }
    if (!guest_readable(a[3], a[4])) {
        return -EFAULT;
    }
    return syscall_ret(setsockopt((int)a[0], (int)a[1], (int)a[2],
                                  a[4] ? g2h(a[3]) : NULL, (socklen_t)a[4]));
}

static int64_t sys_getsockopt(TaskState *ts, const uint64_t *a)
{
    void *val;
    socklen_t *len;

    if (!net_addr_out(a[3], a[4], &val, &len) || !a[4]) {
        return -EFAULT;
    }
    return syscall_ret(getsockopt((int)a[0], (int)a[1], (int)a[2], val, len));
}

static int64_t sys_shutdown(TaskState *ts, const uint64_t *a)
{
    return syscall_ret(shutdown((int)a[0], (int)a[1]));
}

/* ---- sendmsg and recvmsg ---- */

/* A host msghdr for the guest's, with its own iovecs and control buffer. */
typedef struct NetMsg {
    struct msghdr h;
    GuestMsghdr g;
    void *control;
} NetMsg;

static void net_msg_free(NetMsg *m)
{
    g_free(m->h.msg_iov);
    g_free(m->control);
}

/* The guest's control messages as the host's (sendmsg). */
static bool net_control_to_host(NetMsg *m)
{
    uint64_t off = 0, len = m->g.msg_controllen;
    uint8_t *out = m->control;
    size_t out_len = 0;

    while (off + sizeof(GuestCmsghdr) <= len) {
        GuestCmsghdr gc;
        struct cmsghdr *hc = (struct cmsghdr *)(out + out_len);
        uint64_t data_len;

        memcpy(&gc, (uint8_t *)g2h(m->g.msg_control) + off, sizeof(gc));
        if (gc.cmsg_len < sizeof(gc) || gc.cmsg_len > len - off) {
            return false;
        }
        data_len = gc.cmsg_len - sizeof(gc);
        if (out_len + CMSG_SPACE(data_len) > len + NET_CONTROL_MAX) {
            return false;
        }
        hc->cmsg_len = CMSG_LEN(data_len);
        hc->cmsg_level = gc.cmsg_level;
        hc->cmsg_type = gc.cmsg_type;
        /* SCM_RIGHTS fds and SCM_CREDENTIALS ids are ints on both sides */
        memcpy(CMSG_DATA(hc), (uint8_t *)g2h(m->g.msg_control) + off + sizeof(gc), data_len);
        out_len += CMSG_SPACE(data_len);
        off += GUEST_CMSG_ALIGN(gc.cmsg_len);
    }
    m->h.msg_controllen = out_len;
    return true;
}

/* The host's received control messages into the guest buffer (recvmsg);
 * what does not fit sets MSG_CTRUNC. */
static void net_control_to_guest(NetMsg *m)
{
    uint64_t off = 0, cap = m->g.msg_controllen;
    uint8_t *guest = g2h(m->g.msg_control);

    for (struct cmsghdr *hc = CMSG_FIRSTHDR(&m->h); hc; hc = CMSG_NXTHDR(&m->h, hc)) {
        uint64_t data_len = hc->cmsg_len - CMSG_LEN(0);
        GuestCmsghdr gc = {
            .cmsg_len = sizeof(gc) + data_len,
            .cmsg_level = hc->cmsg_level,
            .cmsg_type = hc->cmsg_type,
        };

        if (off + gc.cmsg_len > cap) {
            m->h.msg_flags |= MSG_CTRUNC;
            break;
        }
        memcpy(guest + off, &gc, sizeof(gc));
        memcpy(guest + off + sizeof(gc), CMSG_DATA(hc), data_len);
        off += MIN(GUEST_CMSG_ALIGN(gc.cmsg_len), cap - off);
    }
    m->g.msg_controllen = off;
}

/* Builds m from the guest msghdr at addr; receiving: buffers are written. */
static int64_t net_msg_get(NetMsg *m, uint64_t addr, bool receiving)
{
    int64_t err = 0;

    memset(m, 0, sizeof(*m));
    if (!copy_from_guest(&m->g, addr, sizeof(m->g))) {
        return -EFAULT;
    }
    if (m->g.msg_name) {
        bool ok = receiving ? guest_writable(m->g.msg_name, m->g.msg_namelen)
                            : guest_readable(m->g.msg_name, m->g.msg_namelen);
        if (!ok) {
            return -EFAULT;
        }
        m->h.msg_name = g2h(m->g.msg_name);
        m->h.msg_namelen = m->g.msg_namelen;
    }
    m->h.msg_iov = guest_iovec(m->g.msg_iov, m->g.msg_iovlen, receiving, &err);
    if (!m->h.msg_iov) {
        return err;
    }
    m->h.msg_iovlen = m->g.msg_iovlen;
    if (m->g.msg_control && m->g.msg_controllen) {
        if (m->g.msg_controllen > NET_CONTROL_MAX) {
            return -ENOBUFS;
        }
        if (receiving ? !guest_writable(m->g.msg_control, m->g.msg_controllen)
                      : !guest_readable(m->g.msg_control, m->g.msg_controllen)) {
            return -EFAULT;
        }
        /* room for the host's headers, never smaller than the guest's */
        m->control = g_malloc0(m->g.msg_controllen + NET_CONTROL_MAX);
        m->h.msg_control = m->control;
        m->h.msg_controllen = m->g.msg_controllen;
        if (!receiving && !net_control_to_host(m)) {
            return -EINVAL;
        }
    }
    m->h.msg_flags = m->g.msg_flags;
    return 0;
}

static int64_t net_sendmsg(int fd, uint64_t addr, int flags)
{
    NetMsg m;
    int64_t ret = net_msg_get(&m, addr, false);

    if (ret == 0) {
        ret = safe_syscall3(SYS_sendmsg, fd, &m.h, flags);
    }
    net_msg_free(&m);
    return ret;
}

static int64_t sys_sendmsg(TaskState *ts, const uint64_t *a)
{
    return net_sendmsg((int)a[0], a[1], (int)a[2]);
}

static int64_t net_recvmsg(int fd, uint64_t addr, int flags)
{
    NetMsg m;
    int64_t ret = net_msg_get(&m, addr, true);

    if (ret == 0) {
        ret = safe_syscall3(SYS_recvmsg, fd, &m.h, flags);
    }
    if (ret >= 0) {
        if (m.control) {
            net_control_to_guest(&m);
        }
        m.g.msg_namelen = m.h.msg_namelen;
        m.g.msg_flags = m.h.msg_flags;
        if (!copy_to_guest(addr, &m.g, sizeof(m.g))) {
            ret = -EFAULT;
        }
    }
    net_msg_free(&m);
    return ret;
}

static int64_t sys_recvmsg(TaskState *ts, const uint64_t *a)
{
    return net_recvmsg((int)a[0], a[1], (int)a[2]);
}

/*
 * sendmmsg and recvmmsg as one sendmsg/recvmsg per message, each result
 * going to the entry's msg_len. They stop at the first failure, which is
 * the result only if no message went through. recvmmsg's MSG_WAITFORONE
 * makes the calls after the first non-blocking; its timeout is not
 * modelled (each message waits as long as recvmsg would).
 */
static int64_t net_mmsg(const uint64_t *a, bool receiving)
{
    unsigned n = MIN((unsigned)a[2], 1024u);
    int flags = (int)a[3];
    unsigned i;
    int64_t ret = 0;

    for (i = 0; i < n; i++) {
        uint64_t entry = a[1] + i * sizeof(GuestMmsghdr);
        uint32_t len;

        ret = receiving ? net_recvmsg((int)a[0], entry, flags)
                        : net_sendmsg((int)a[0], entry, flags);
        if (ret < 0) {
            break;
        }
        len = (uint32_t)ret;
        if (!copy_to_guest(entry + offsetof(GuestMmsghdr, msg_len), &len, sizeof(len))) {
            ret = -EFAULT;
            break;
        }
        if (receiving && (flags & MSG_WAITFORONE)) {
            flags |= MSG_DONTWAIT;
        }
    }
    return i ? (int64_t)i : ret;
}

static int64_t sys_sendmmsg(TaskState *ts, const uint64_t *a)
{
    return net_mmsg(a, false);
}

static int64_t sys_recvmmsg(TaskState *ts, const uint64_t *a)
{
    if (a[4]) {
        log_mask(LOG_UNIMP, "recvmmsg: the timeout is ignored\n");
    }
    return net_mmsg(a, true);
}

const SyscallDef syscalls_net[] = {
    { "socket", sys_socket, "ddd" },
    { "socketpair", sys_socketpair, "dddp" },
    { "bind", sys_bind, "dpu" },
    { "connect", sys_connect, "dpu" },
    { "listen", sys_listen, "dd" },
    { "accept", sys_accept, "dpp" },
    { "accept4", sys_accept4, "dppx" },
    { "getsockname", sys_getsockname, "dpp" },
    { "getpeername", sys_getpeername, "dpp" },
    { "sendto", sys_sendto, "dbuxpu" },
    { "recvfrom", sys_recvfrom, "dpuxpp" },
    { "setsockopt", sys_setsockopt, "dddpu" },
    { "getsockopt", sys_getsockopt, "dddpp" },
    { "shutdown", sys_shutdown, "dd" },
    { "sendmsg", sys_sendmsg, "dpx" },
    { "recvmsg", sys_recvmsg, "dpx" },
    { "sendmmsg", sys_sendmmsg, "dpux" },
    { "recvmmsg", sys_recvmmsg, "dpuxp" },
    { NULL },
};
