/*
 * The network layer: the NIC <-> backend queue, and each backend driven by
 * a fake NIC with frames built by hand here: DHCP, ARP, TFTP and host port
 * forwarding through libslirp; the socket/stream framing between two
 * backends and against a raw TCP peer; the filter-dump pcap file; TAP
 * errors, and a real TAP interface inside a private network namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "proteus/error.h"
#include "proteus/main-loop.h"
#include "proteus/net.h"

#define WAIT_TIMEOUT_NS (10 * NANOSECONDS_PER_SECOND)

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t broadcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ---- a fake NIC ---- */

typedef struct FakeNic {
    NetClient *nc;
    GPtrArray *frames;      /* GBytes * */
    bool ready;
    unsigned resumed;
} FakeNic;

static bool fake_can_receive(NetClient *nc)
{
    return ((FakeNic *)net_client_opaque(nc))->ready;
}

static ssize_t fake_receive(NetClient *nc, const uint8_t *buf, size_t len)
{
    FakeNic *f = net_client_opaque(nc);

    g_ptr_array_add(f->frames, g_bytes_new(buf, len));
    return len;
}

static void fake_resume(NetClient *nc)
{
    ((FakeNic *)net_client_opaque(nc))->resumed++;
}

static const NetClientInfo fake_info = {
    .type = "test-nic",
    .can_receive = fake_can_receive,
    .receive = fake_receive,
    .resume = fake_resume,
};

static FakeNic *fake_nic_new(const char *id)
{
    FakeNic *f = g_new0(FakeNic, 1);

    f->frames = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    f->ready = true;
    f->nc = net_client_new(&fake_info, id, f);
    return f;
}

static void fake_nic_free(FakeNic *f)
{
    net_client_free(f->nc);
    g_ptr_array_unref(f->frames);
    g_free(f);
}

/* A fake NIC attached to a new backend made from optstr. */
static FakeNic *nic_on(const char *optstr)
{
    GError *err = NULL;
    NetClient *nd = net_netdev_new(optstr, &err);
    FakeNic *f;

    g_assert_no_error(err);
    g_assert_nonnull(nd);
    f = fake_nic_new("nic");
    g_assert_true(net_nic_attach(f->nc, net_client_id(nd), &err));
    g_assert_no_error(err);
    return f;
}

/* ---- running the main loop ---- */

static void wake(void *opaque)
{
}

typedef bool WaitCond(void *opaque);

/* Runs the main loop until cond holds; fails the test after a timeout. */
static void wait_for(WaitCond *cond, void *opaque)
{
    Timer *tick = timer_new_ns(PROTEUS_CLOCK_REALTIME, wake, NULL);
    int64_t deadline = clock_get_ns(PROTEUS_CLOCK_REALTIME) + WAIT_TIMEOUT_NS;

    while (!cond(opaque)) {
        g_assert_cmpint(clock_get_ns(PROTEUS_CLOCK_REALTIME), <, deadline);
        timer_mod_ns(tick, clock_get_ns(PROTEUS_CLOCK_REALTIME) + 10000000);
        main_loop_wait(true);
    }
    timer_free(tick);
}

typedef struct FrameMatch {
    FakeNic *nic;
    bool (*match)(const uint8_t *buf, size_t len, const void *arg);
    const void *arg;
    GBytes *found;
} FrameMatch;

static bool frame_match_cond(void *opaque)
{
    FrameMatch *m = opaque;

    for (guint i = 0; i < m->nic->frames->len; i++) {
        GBytes *b = g_ptr_array_index(m->nic->frames, i);
        gsize len;
        const uint8_t *buf = g_bytes_get_data(b, &len);

        if (m->match(buf, len, m->arg)) {
            m->found = g_bytes_ref(b);
            return true;
        }
    }
    return false;
}

/* Waits for a frame at the NIC that match accepts; returns it. */
static GBytes *wait_frame(FakeNic *nic, bool (*match)(const uint8_t *, size_t, const void *),
                          const void *arg)
{
    FrameMatch m = { nic, match, arg, NULL };

    wait_for(frame_match_cond, &m);
    return m.found;
}

/* ---- building frames ---- */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static uint16_t get16(const uint8_t *p)
{
    return p[0] << 8 | p[1];
}

static void put_ip(uint8_t *p, const char *addr)
{
    struct in_addr a;

    g_assert_cmpint(inet_pton(AF_INET, addr, &a), ==, 1);
    memcpy(p, &a, 4);
}

static bool ip_is(const uint8_t *p, const char *addr)
{
    uint8_t want[4];

    put_ip(want, addr);
    return memcmp(p, want, 4) == 0;
}

static size_t put_eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, guest_mac, 6);
    put16(f + 12, type);
    return 14;
}

/* RFC 1071: the ones' complement sum of the header's 16-bit words. */
static uint16_t ip_checksum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;

    for (size_t i = 0; i < len; i += 2) {
        sum += get16(p + i);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum;
}

/* Ethernet + IPv4 + UDP (no UDP checksum) around payload; returns the length. */
static size_t build_udp(uint8_t *f, const uint8_t *dst_mac, const char *src, const char *dst,
                        uint16_t sport, uint16_t dport, const void *payload, size_t plen)
{
    uint8_t *ip = f + put_eth(f, dst_mac, 0x0800);
    uint8_t *udp = ip + 20;

    memset(ip, 0, 28);
    ip[0] = 0x45;
    put16(ip + 2, 28 + plen);
    ip[8] = 64;
    ip[9] = 17;
    put_ip(ip + 12, src);
    put_ip(ip + 16, dst);
    put16(ip + 10, ip_checksum(ip, 20));
    put16(udp, sport);
    put16(udp + 2, dport);
    put16(udp + 4, 8 + plen);
    memcpy(udp + 8, payload, plen);
    return 14 + 28 + plen;
}

static size_t build_arp_request(uint8_t *f, const char *sender, const char *target)
{
    uint8_t *arp = f + put_eth(f, broadcast_mac, 0x0806);

    put16(arp, 1);
    put16(arp + 2, 0x0800);
    arp[4] = 6;
    arp[5] = 4;
    put16(arp + 6, 1);
    memcpy(arp + 8, guest_mac, 6);
    put_ip(arp + 14, sender);
    memset(arp + 18, 0, 6);
    put_ip(arp + 24, target);
    return 14 + 28;
}

static bool is_arp_reply_from(const uint8_t *f, size_t len, const void *addr)
{
    return len >= 42 && get16(f + 12) == 0x0806 && get16(f + 20) == 2 &&
           ip_is(f + 28, addr) && memcmp(f + 32, guest_mac, 6) == 0;
}

static bool is_arp_request_for(const uint8_t *f, size_t len, const void *addr)
{
    return len >= 42 && get16(f + 12) == 0x0806 && get16(f + 20) == 1 && ip_is(f + 38, addr);
}

/* A UDP frame to the given destination port. */
static bool is_udp_to(const uint8_t *f, size_t len, const void *port)
{
    return len >= 42 && get16(f + 12) == 0x0800 && f[14 + 9] == 17 &&
           get16(f + 36) == *(const uint16_t *)port;
}

/* Asks slirp's gateway for its MAC; slirp learns ours from the request. */
static void arp_gateway(FakeNic *nic)
{
    uint8_t f[64];
    size_t len = build_arp_request(f, "10.0.2.15", "10.0.2.2");

    net_send(nic->nc, f, len);
    g_bytes_unref(wait_frame(nic, is_arp_reply_from, "10.0.2.2"));
}

static void assert_netdev_fails(const char *optstr, const char *needle)
{
    g_autoptr(GError) err = NULL;

    g_assert_null(net_netdev_new(optstr, &err));
    g_assert_nonnull(err);
    if (!strstr(err->message, needle)) {
        g_error("%s: '%s' lacks '%s'", optstr, err->message, needle);
    }
}

/* ---- the queue ---- */

static void test_queue(void)
{
    FakeNic *a = fake_nic_new("a"), *b = fake_nic_new("b");
    uint8_t f1[60] = { 1 }, f2[60] = { 2 };

    net_client_connect(a->nc, b->nc);
    b->ready = false;
    g_assert_cmpint(net_send(a->nc, f1, sizeof(f1)), ==, 0);
    g_assert_cmpint(net_send(a->nc, f2, sizeof(f2)), ==, 0);
    g_assert_cmpuint(net_queue_length(b->nc), ==, 2);
    g_assert_cmpuint(b->frames->len, ==, 0);

    b->ready = true;
    /* While frames wait, a new one goes behind them, not past them. */
    g_assert_cmpint(net_send(a->nc, f1, sizeof(f1)), ==, 0);
    net_receive_ready(b->nc);
    g_assert_cmpuint(b->frames->len, ==, 3);
    g_assert_cmpint(((const uint8_t *)g_bytes_get_data(b->frames->pdata[0], NULL))[0], ==, 1);
    g_assert_cmpint(((const uint8_t *)g_bytes_get_data(b->frames->pdata[1], NULL))[0], ==, 2);
    g_assert_cmpuint(a->resumed, ==, 1);
    g_assert_cmpint(net_send(b->nc, f2, sizeof(f2)), ==, sizeof(f2));
    g_assert_cmpuint(a->frames->len, ==, 1);

    b->ready = false;
    for (int i = 0; i < NET_QUEUE_MAX_FRAMES + 10; i++) {
        net_send(a->nc, f1, sizeof(f1));
    }
    g_assert_cmpuint(net_queue_length(b->nc), ==, NET_QUEUE_MAX_FRAMES);
    fake_nic_free(a);
    g_assert_null(net_client_peer(b->nc));
    g_assert_cmpuint(net_queue_length(b->nc), ==, 0);
    fake_nic_free(b);
}

/* ---- user networking ---- */

static void test_user_dhcp(void)
{
    FakeNic *nic = nic_on("user,id=dhcp0");
    uint8_t bootp[300] = { 0 }, f[400];
    const uint16_t client_port = 68;
    g_autoptr(GBytes) offer = NULL;
    const uint8_t *o;
    size_t len;

    bootp[0] = 1;           /* BOOTREQUEST */
    bootp[1] = 1;           /* Ethernet */
    bootp[2] = 6;
    memcpy(bootp + 4, "\x12\x34\x56\x78", 4);       /* xid */
    memcpy(bootp + 28, guest_mac, 6);               /* chaddr */
    memcpy(bootp + 236, "\x63\x82\x53\x63", 4);     /* the DHCP magic cookie */
    memcpy(bootp + 240, "\x35\x01\x01\xff", 4);     /* DHCPDISCOVER, end */
    len = build_udp(f, broadcast_mac, "0.0.0.0", "255.255.255.255", 68, 67,
                    bootp, sizeof(bootp));
    net_send(nic->nc, f, len);

    offer = wait_frame(nic, is_udp_to, &client_port);
    o = g_bytes_get_data(offer, &len);
    g_assert_cmpuint(len, >=, 42 + 240 + 3);
    o += 42;
    g_assert_cmpint(o[0], ==, 2);                                   /* BOOTREPLY */
    g_assert_cmpmem(o + 4, 4, "\x12\x34\x56\x78", 4);
    g_assert_true(ip_is(o + 16, "10.0.2.15"));                      /* yiaddr */
    g_assert_cmpmem(o + 236, 4, "\x63\x82\x53\x63", 4);
    g_assert_cmpmem(o + 240, 3, "\x35\x01\x02", 3);                 /* DHCPOFFER */
    net_cleanup();
    fake_nic_free(nic);
}

static void test_user_arp(void)
{
    FakeNic *nic = nic_on("user,id=arp0");
    g_autoptr(GBytes) reply = NULL;
    const uint8_t *r;

    arp_gateway(nic);
    reply = g_bytes_ref(nic->frames->pdata[0]);
    r = g_bytes_get_data(reply, NULL);
    g_assert_cmpmem(r, 6, guest_mac, 6);
    g_assert_true(ip_is(r + 38, "10.0.2.15"));
    net_cleanup();
    fake_nic_free(nic);
}

static void test_user_tftp(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp(NULL, &err);
    g_autofree char *path = g_build_filename(dir, "boot.txt", NULL);
    g_autofree char *opts = g_strdup_printf("user,id=tftp0,tftp=%s", dir);
    static const char content[] = "proteus tftp test file\n";
    static const char rrq[] = "\x00\x01" "boot.txt\0octet";
    const uint16_t client_port = 1069;
    g_autoptr(GBytes) data = NULL;
    FakeNic *nic;
    uint8_t f[200];
    const uint8_t *d;
    size_t len;

    g_assert_no_error(err);
    g_assert_true(g_file_set_contents(path, content, strlen(content), &err));
    nic = nic_on(opts);
    arp_gateway(nic);
    len = build_udp(f, broadcast_mac, "10.0.2.15", "10.0.2.2", client_port, 69,
                    rrq, sizeof(rrq));
    net_send(nic->nc, f, len);

    data = wait_frame(nic, is_udp_to, &client_port);
    d = g_bytes_get_data(data, &len);
    g_assert_cmpuint(len, ==, 42 + 4 + strlen(content));
    g_assert_cmpuint(get16(d + 34), ==, 69);
    g_assert_cmpuint(get16(d + 42), ==, 3);     /* DATA */
    g_assert_cmpuint(get16(d + 44), ==, 1);     /* block 1 */
    g_assert_cmpmem(d + 46, len - 46, content, strlen(content));
    net_cleanup();
    fake_nic_free(nic);
    g_unlink(path);
    g_rmdir(dir);
}

/* A TCP port on 127.0.0.1 that nothing listens on just now. */
static int free_port(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    g_assert_cmpint(bind(fd, (struct sockaddr *)&a, sizeof(a)), ==, 0);
    g_assert_cmpint(getsockname(fd, (struct sockaddr *)&a, &alen), ==, 0);
    close(fd);
    return ntohs(a.sin_port);
}

static int connect_nonblocking(int port)
{
    struct sockaddr_in a = {
        .sin_family = AF_INET,
        .sin_port = htons(port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int rc = connect(fd, (struct sockaddr *)&a, sizeof(a));

    g_assert_true(rc == 0 || errno == EINPROGRESS);
    return fd;
}

static bool is_syn_to_2222(const uint8_t *f, size_t len, const void *unused)
{
    return len >= 54 && get16(f + 12) == 0x0800 && f[14 + 9] == 6 &&
           ip_is(f + 30, "10.0.2.15") && get16(f + 36) == 2222 && (f[47] & 0x02);
}

static void test_user_hostfwd(void)
{
    int port = free_port();
    g_autofree char *opts = g_strdup_printf("user,id=fwd0,hostfwd=tcp:127.0.0.1:%d-:2222",
                                            port);
    FakeNic *nic = nic_on(opts);
    int fd;

    arp_gateway(nic);
    fd = connect_nonblocking(port);
    g_bytes_unref(wait_frame(nic, is_syn_to_2222, NULL));
    close(fd);
    net_cleanup();
    fake_nic_free(nic);
}

static void test_user_bad_options(void)
{
    static const char *const bad[][2] = {
        { "user,id=b0,hostfwd=tcp::notaport-:22", "bad hostfwd" },
        { "user,id=b0,hostfwd=tcp:22-:22", "bad hostfwd" },
        { "user,id=b0,hostfwd=sctp::2000-:22", "bad hostfwd" },
        { "user,id=b0,net=10.0.2.0/99", "net=" },
        { "user,id=b0,dns=192.168.1.1", "dns=" },
        { "user,id=b0,restrict=maybe", "restrict" },
        { "user,id=b0,bogus=1", "bogus" },
        { "user,id=b0,tftp=/nonexistent/tftp/dir", "/nonexistent/tftp/dir" },
        { "nosuchtype,id=b0", "unknown netdev type 'nosuchtype'" },
        { "user", "id= is required" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        assert_netdev_fails(bad[i][0], bad[i][1]);
    }
    g_assert_null(net_netdev_find("b0"));
}

/* ---- the command line ---- */

static void test_cmdline_nic(void)
{
    g_autoptr(GError) err = NULL;
    const GPtrArray *nics;
    uint8_t mac[6];
    NicConfig *c;

    g_assert_true(net_parse_netdev("user,id=n0", &err));
    g_assert_true(net_parse_nic("user,model=virtio-net-device,mac=52:54:00:00:00:01", &err));
    g_assert_true(net_parse_nic("none", &err));
    g_assert_no_error(err);
    g_assert_false(net_parse_nic("user,mac=01:00:00:00:00:01", &err));
    g_assert_nonnull(strstr(err->message, "multicast"));
    g_clear_error(&err);
    g_assert_false(net_parse_nic("user,mac=52:54:00:00:01", &err));
    g_assert_nonnull(strstr(err->message, "not a MAC address"));
    g_clear_error(&err);
    g_assert_false(net_parse_netdev("user,id=n0", &err));
    g_assert_nonnull(strstr(err->message, "duplicate id 'n0'"));
    g_clear_error(&err);
    g_assert_false(net_parse_object("filter-dump,id=f0,netdev=n0", &err));
    g_assert_nonnull(strstr(err->message, "file= is required"));
    g_clear_error(&err);

    g_assert_true(net_init_clients(&err));
    g_assert_no_error(err);
    nics = net_nic_configs();
    g_assert_cmpuint(nics->len, ==, 1);
    c = g_ptr_array_index(nics, 0);
    g_assert_cmpstr(c->model, ==, "virtio-net-device");
    g_assert_cmpstr(c->mac, ==, "52:54:00:00:00:01");
    g_assert_true(net_mac_parse(c->mac, mac, &err));
    g_assert_cmpmem(mac, 6, "\x52\x54\x00\x00\x00\x01", 6);
    net_mac_default(1, mac);
    g_assert_cmpmem(mac, 6, "\x52\x54\x00\x12\x34\x57", 6);
    g_assert_nonnull(net_netdev_find(c->netdev));
    g_assert_nonnull(net_netdev_find("n0"));
    net_cleanup();
    g_assert_null(net_netdev_find("n0"));
    g_assert_cmpuint(net_nic_configs()->len, ==, 0);
}

/* ---- socket and stream ---- */

typedef struct FrameCount {
    FakeNic *nic;
    guint n;
} FrameCount;

static bool has_frames(void *opaque)
{
    FrameCount *c = opaque;

    return c->nic->frames->len >= c->n;
}

static void wait_frames(FakeNic *nic, guint n)
{
    FrameCount c = { nic, n };

    wait_for(has_frames, &c);
}

static void assert_frame(FakeNic *nic, guint i, const void *want, size_t len)
{
    gsize got_len;
    const void *got = g_bytes_get_data(nic->frames->pdata[i], &got_len);

    g_assert_cmpmem(got, got_len, want, len);
}

/* Two backends of one process, listening and connecting, pass frames both ways. */
static void check_pair(const char *listen_opts, const char *connect_opts)
{
    FakeNic *a = nic_on(listen_opts), *b = nic_on(connect_opts);
    uint8_t f1[60], f2[1514];

    memset(f1, 0x11, sizeof(f1));
    memset(f2, 0x22, sizeof(f2));
    /* The connector's frame waits in the listener's backlog until accepted. */
    net_send(b->nc, f1, sizeof(f1));
    wait_frames(a, 1);
    assert_frame(a, 0, f1, sizeof(f1));
    net_send(a->nc, f2, sizeof(f2));
    net_send(a->nc, f1, sizeof(f1));
    wait_frames(b, 2);
    assert_frame(b, 0, f2, sizeof(f2));
    assert_frame(b, 1, f1, sizeof(f1));
    net_cleanup();
    fake_nic_free(a);
    fake_nic_free(b);
}

/* The same pair over 127.0.0.1, options in fmt with a port for each %d. */
static void check_inet_pair(const char *listen_fmt, const char *connect_fmt)
{
    int port = free_port();
    g_autofree char *l = g_strdup_printf(listen_fmt, port);
    g_autofree char *c = g_strdup_printf(connect_fmt, port);

    check_pair(l, c);
}

static void test_socket_pair(void)
{
    check_inet_pair("socket,id=sl,listen=127.0.0.1:%d", "socket,id=sc,connect=127.0.0.1:%d");
}

static void test_stream_pair(void)
{
    check_inet_pair("stream,id=sl,server=on,addr.type=inet,addr.host=127.0.0.1,addr.port=%d",
                    "stream,id=sc,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=%d");
}

static void test_stream_unix_pair(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp(NULL, &err);
    g_autofree char *sock = g_build_filename(dir, "net.sock", NULL);
    g_autofree char *l = NULL, *c = NULL;

    g_assert_no_error(err);
    l = g_strdup_printf("stream,id=sl,server=on,addr.type=unix,addr.path=%s", sock);
    c = g_strdup_printf("stream,id=sc,server=off,addr.type=unix,addr.path=%s", sock);
    check_pair(l, c);
    g_unlink(sock);
    g_rmdir(dir);
}

static void test_stream_bad_options(void)
{
    assert_netdev_fails("socket,id=s0", "exactly one of");
    assert_netdev_fails("socket,id=s0,listen=:1,connect=a:2", "exactly one of");
    assert_netdev_fails("socket,id=s0,connect=1234", "HOST:PORT");
    assert_netdev_fails("stream,id=s0,server=on,addr.type=vsock", "inet or unix");
    assert_netdev_fails("stream,id=s0,server=on,addr.type=unix", "addr.path");
    assert_netdev_fails("stream,id=s0,server=off,addr.type=inet,addr.port=1", "addr.host");
    assert_netdev_fails("stream,id=s0,addr.type=unix,addr.path=/nonexistent/sock",
                        "/nonexistent/sock");
}

static bool fd_readable_all(int fd, uint8_t *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);

        if (n <= 0) {
            return false;
        }
        got += n;
    }
    return true;
}

static bool time_reached(void *deadline)
{
    return clock_get_ns(PROTEUS_CLOCK_REALTIME) >= *(int64_t *)deadline;
}

/* Runs the main loop for ns. */
static void run_loop_for(int64_t ns)
{
    int64_t deadline = clock_get_ns(PROTEUS_CLOCK_REALTIME) + ns;

    wait_for(time_reached, &deadline);
}

/* The stream framing as seen on the wire, against a raw TCP peer. */
static void test_stream_framing(void)
{
    int port = free_port();
    g_autofree char *opts = g_strdup_printf(
        "stream,id=st0,server=on,addr.type=inet,addr.host=127.0.0.1,addr.port=%d", port);
    FakeNic *nic = nic_on(opts);
    uint8_t wire[4 + 64], frame[64], hdr[4], back[64];
    int fd;

    for (size_t i = 0; i < sizeof(frame); i++) {
        frame[i] = i;
    }
    memcpy(wire, "\x00\x00\x00\x40", 4);
    memcpy(wire + 4, frame, sizeof(frame));
    fd = connect_nonblocking(port);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    /* Two writes split inside the header: the backend reassembles. */
    g_assert_cmpint(write(fd, wire, 2), ==, 2);
    run_loop_for(100000000);
    g_assert_cmpuint(nic->frames->len, ==, 0);
    g_assert_cmpint(write(fd, wire + 2, sizeof(wire) - 2), ==, sizeof(wire) - 2);
    wait_frames(nic, 1);
    assert_frame(nic, 0, frame, sizeof(frame));

    net_send(nic->nc, frame, 60);
    g_assert_true(fd_readable_all(fd, hdr, 4));
    g_assert_cmpmem(hdr, 4, "\x00\x00\x00\x3c", 4);
    g_assert_true(fd_readable_all(fd, back, 60));
    g_assert_cmpmem(back, 60, frame, 60);
    close(fd);
    net_cleanup();
    fake_nic_free(nic);
}

/* ---- filter-dump ---- */

static uint32_t get32le(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void test_dump(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *path = NULL;
    g_autofree char *contents = NULL;
    FakeNic *nic = nic_on("user,id=dump0");
    uint8_t f[64];
    size_t req_len = build_arp_request(f, "10.0.2.15", "10.0.2.2");
    const uint8_t *p;
    gsize len, reply_len;
    int fd = g_file_open_tmp(NULL, &path, &err);
    NetDump *d;

    g_assert_no_error(err);
    close(fd);
    d = net_dump_new(net_client_peer(nic->nc), path, &err);
    g_assert_no_error(err);
    net_send(nic->nc, f, req_len);
    g_bytes_unref(wait_frame(nic, is_arp_reply_from, "10.0.2.2"));
    g_bytes_get_data(nic->frames->pdata[0], &reply_len);
    net_dump_free(d);

    g_assert_true(g_file_get_contents(path, &contents, &len, &err));
    p = (const uint8_t *)contents;
    g_assert_cmpuint(len, ==, 24 + 16 + req_len + 16 + reply_len);
    g_assert_cmphex(get32le(p), ==, 0xa1b2c3d4);    /* written on a little-endian host */
    g_assert_cmpuint(get16(p + 4), ==, 0x0200);     /* 2.4, little-endian */
    g_assert_cmpuint(get16(p + 6), ==, 0x0400);
    g_assert_cmpuint(get32le(p + 16), ==, 65535);
    g_assert_cmpuint(get32le(p + 20), ==, 1);
    p += 24;
    g_assert_cmpuint(get32le(p + 8), ==, req_len);
    g_assert_cmpuint(get32le(p + 12), ==, req_len);
    g_assert_cmpmem(p + 16, req_len, f, req_len);
    p += 16 + req_len;
    g_assert_cmpuint(get32le(p + 8), ==, reply_len);
    g_assert_true(is_arp_reply_from(p + 16, reply_len, "10.0.2.2"));

    /* a real reader: tshark (scripts/install-deps.sh installs it) */
    {
        g_autofree char *cmd = g_strdup_printf("tshark -r %s", path);
        g_autofree char *out = NULL;
        int status;

        g_assert_true(g_spawn_command_line_sync(cmd, &out, NULL, &status, &err));
        g_assert_no_error(err);
        g_assert_true(g_spawn_check_wait_status(status, NULL));
        g_assert_nonnull(strstr(out, "ARP"));
        g_assert_nonnull(strstr(out, "10.0.2.2 is at"));
    }
    net_cleanup();
    fake_nic_free(nic);
    g_unlink(path);
}

/* ---- tap ---- */

static void test_tap_errors(void)
{
    assert_netdev_fails("tap,id=t0,ifname=a-name-far-too-long", "too long");
    assert_netdev_fails("tap,id=t0,ifname=tp0,script=/etc/qemu-ifup", "not supported");
    assert_netdev_fails("tap,id=t0,ifname=tp0,script=no,downscript=/x", "downscript");
    /* An interface name the kernel refuses: the message names the device. */
    assert_netdev_fails("tap,id=t0,ifname=bad/name", "/dev/net/tun");
    g_assert_null(net_netdev_find("t0"));
}

static void ifreq_for(struct ifreq *ifr, const char *name)
{
    memset(ifr, 0, sizeof(*ifr));
    g_strlcpy(ifr->ifr_name, name, IFNAMSIZ);
}

/* Brings a host interface up with addr/24, as "ip addr add; ip link set up". */
static void host_if_up(const char *name, const char *addr)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in *sin;
    struct ifreq ifr;

    ifreq_for(&ifr, name);
    sin = (struct sockaddr_in *)&ifr.ifr_addr;
    sin->sin_family = AF_INET;
    inet_pton(AF_INET, addr, &sin->sin_addr);
    g_assert_cmpint(ioctl(fd, SIOCSIFADDR, &ifr), ==, 0);
    ifreq_for(&ifr, name);
    sin = (struct sockaddr_in *)&ifr.ifr_netmask;
    sin->sin_family = AF_INET;
    inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
    g_assert_cmpint(ioctl(fd, SIOCSIFNETMASK, &ifr), ==, 0);
    ifreq_for(&ifr, name);
    g_assert_cmpint(ioctl(fd, SIOCGIFFLAGS, &ifr), ==, 0);
    ifr.ifr_flags |= IFF_UP;
    g_assert_cmpint(ioctl(fd, SIOCSIFFLAGS, &ifr), ==, 0);
    close(fd);
}

static bool is_udp_to_5555(const uint8_t *f, size_t len, const void *unused)
{
    uint16_t port = 5555;

    return is_udp_to(f, len, &port);
}

/*
 * In a private network namespace: the host sends UDP to 10.9.0.2 on the
 * TAP's network, so the kernel ARPs for it through the TAP (host -> NIC);
 * the NIC answers (NIC -> host) and the datagram itself follows.
 */
static void tap_netns_child(void)
{
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(5555) };
    g_autoptr(GBytes) req = NULL;
    const uint8_t *r;
    uint8_t reply[64];
    FakeNic *nic;
    int fd;

    g_assert_cmpint(unshare(CLONE_NEWNET), ==, 0);
    nic = nic_on("tap,id=tap0,ifname=ptap0,script=no,downscript=no");
    host_if_up("ptap0", "10.9.0.1");
    inet_pton(AF_INET, "10.9.0.2", &to.sin_addr);
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    g_assert_cmpint(sendto(fd, "ping", 4, 0, (struct sockaddr *)&to, sizeof(to)), ==, 4);

    req = wait_frame(nic, is_arp_request_for, "10.9.0.2");
    r = g_bytes_get_data(req, NULL);
    /* The reply: to the asker, from guest_mac, 10.9.0.2 is at guest_mac. */
    memcpy(reply, r + 6, 6);
    memcpy(reply + 6, guest_mac, 6);
    memcpy(reply + 12, r + 12, 8);
    put16(reply + 20, 2);
    memcpy(reply + 22, guest_mac, 6);
    memcpy(reply + 28, r + 38, 4);
    memcpy(reply + 32, r + 22, 10);
    memset(reply + 42, 0, sizeof(reply) - 42);
    net_send(nic->nc, reply, 60);
    g_bytes_unref(wait_frame(nic, is_udp_to_5555, NULL));
    close(fd);
    net_cleanup();
    fake_nic_free(nic);
}

/* Why no private network namespace with a TAP device can be had, or NULL. */
static char *netns_unavailable(void)
{
    int status;
    pid_t pid;

    if (access("/dev/net/tun", R_OK | W_OK) != 0) {
        return g_strdup_printf("/dev/net/tun: %s", g_strerror(errno));
    }
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        _exit(unshare(CLONE_NEWNET) == 0 ? 0 : errno);
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return g_strdup_printf("unshare(CLONE_NEWNET): %s",
                               g_strerror(WIFEXITED(status) ? WEXITSTATUS(status) : EINTR));
    }
    return NULL;
}

static void test_tap_netns(void)
{
    g_autofree char *why = NULL;

    if (g_test_subprocess()) {
        tap_netns_child();
        return;
    }
    why = netns_unavailable();
    if (why) {
        g_test_skip(why);
        return;
    }
    g_test_trap_subprocess(NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    main_loop_init();
    g_test_add_func("/net/queue", test_queue);
    g_test_add_func("/net/user/dhcp", test_user_dhcp);
    g_test_add_func("/net/user/arp", test_user_arp);
    g_test_add_func("/net/user/tftp", test_user_tftp);
    g_test_add_func("/net/user/hostfwd", test_user_hostfwd);
    g_test_add_func("/net/user/bad-options", test_user_bad_options);
    g_test_add_func("/net/cmdline/nic", test_cmdline_nic);
    g_test_add_func("/net/socket/pair", test_socket_pair);
    g_test_add_func("/net/stream/pair", test_stream_pair);
    g_test_add_func("/net/stream/unix-pair", test_stream_unix_pair);
    g_test_add_func("/net/stream/framing", test_stream_framing);
    g_test_add_func("/net/stream/bad-options", test_stream_bad_options);
    g_test_add_func("/net/dump", test_dump);
    g_test_add_func("/net/tap/errors", test_tap_errors);
    g_test_add_func("/net/tap/netns", test_tap_netns);
    return g_test_run();
}
