/*
 * The network layer: clients joined in pairs (a NIC and its backend) that
 * pass Ethernet frames to each other.
 *
 * A client sends with net_send(); the frame goes to its peer's receive
 * callback. A receiver that cannot take a frame now (can_receive false, or
 * receive returning 0) gets it queued; the queue is offered again when the
 * receiver calls net_receive_ready(). Once a queue drains, the sender's
 * resume callback runs so that a backend can read from its host fd again.
 * Delivery is direct: a receive callback may run inside the sender's own
 * net_send() when the other side answers at once (slirp answers ARP and
 * DHCP that way), so a NIC must not hold state half-updated across it.
 *
 * Backends ("user", "tap", "socket", "stream") are created from -netdev
 * option strings by type name; -nic creates a backend and remembers the NIC
 * model for the board (net_nic_configs()). Observers (filter-dump) see every
 * frame a client sends or is sent. Everything runs with the BQL held.
 */
#ifndef PROTEUS_NET_H
#define PROTEUS_NET_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proteus/options.h"

typedef struct NetClient NetClient;

typedef struct NetClientInfo {
    const char *type;               /* "user", "tap", "nic"... */
    /* May the client take a frame now? NULL means always. */
    bool (*can_receive)(NetClient *nc);
    /* Takes one frame: returns len when taken (or deliberately dropped),
     * 0 for "not now" (the frame waits in the queue). */
    ssize_t (*receive)(NetClient *nc, const uint8_t *buf, size_t len);
    /* The peer's queue of frames from this client has drained. */
    void (*resume)(NetClient *nc);
    /* Releases the backend's own state (opaque). */
    void (*cleanup)(NetClient *nc);
} NetClientInfo;

/* Frames waiting for one receiver beyond this are dropped. */
#define NET_QUEUE_MAX_FRAMES 1024

NetClient *net_client_new(const NetClientInfo *info, const char *id, void *opaque);
/* Detaches from the peer, drops the queue, runs cleanup. */
void net_client_free(NetClient *nc);
void *net_client_opaque(NetClient *nc);
const char *net_client_id(NetClient *nc);
NetClient *net_client_peer(NetClient *nc);

/* Joins two unpeered clients. */
void net_client_connect(NetClient *a, NetClient *b);

/* Sends a frame to nc's peer. Returns len when delivered, 0 when queued,
 * dropped for a full queue, or when there is no peer. */
ssize_t net_send(NetClient *nc, const uint8_t *buf, size_t len);
/* nc can take frames again: delivers what waits for it. */
void net_receive_ready(NetClient *nc);
/* Frames waiting for nc. */
unsigned net_queue_length(NetClient *nc);

/* Observers: called for every frame nc sends (outgoing true) or is sent. */
typedef void NetObserverFunc(void *opaque, const uint8_t *buf, size_t len, bool outgoing);
void net_client_add_observer(NetClient *nc, NetObserverFunc *fn, void *opaque);
void net_client_remove_observer(NetClient *nc, NetObserverFunc *fn, void *opaque);

/* Backends: make a client from "-netdev TYPE,id=ID,..." options. */
typedef NetClient *NetBackendNew(const char *id, OptList *opts, GError **errp);
void net_backend_register(const char *type, NetBackendNew *fn);

/* Creates a backend from "TYPE,id=ID,..." (what starts error messages). */
NetClient *net_netdev_new(const char *optstr, GError **errp);
NetClient *net_netdev_find(const char *id);
/* Makes nic the peer of the backend with that id. */
bool net_nic_attach(NetClient *nic, const char *netdev_id, GError **errp);

/* Every key of opts must be in allowed (NULL-terminated); what names the
 * option in the message ("-netdev user"). */
bool net_opts_check(OptList *opts, const char *what, const char *const *allowed,
                    GError **errp);
/* "on"/"off"/"yes"/"no"; a bare key is on. */
bool net_opts_get_bool(OptList *opts, const char *key, bool def, const char *what,
                       bool *out, GError **errp);

/* The command line: -netdev, -nic and -object filter-dump are checked when
 * parsed and created by net_init_clients(). */
bool net_parse_netdev(const char *arg, GError **errp);
bool net_parse_nic(const char *arg, GError **errp);
bool net_parse_object(const char *arg, GError **errp);
bool net_init_clients(GError **errp);
void net_cleanup(void);

/* A NIC asked for with -nic: the board creates the model on that backend. */
typedef struct NicConfig {
    char *model;        /* NULL: the board's default */
    char *mac;          /* NULL: the board picks one */
    char *netdev;       /* id of the backend */
} NicConfig;
/* NicConfig *, in command-line order. */
const GPtrArray *net_nic_configs(void);

/* "52:54:00:12:34:56" -> bytes; a multicast address is refused. */
bool net_mac_parse(const char *str, uint8_t mac[6], GError **errp);
/* The n-th NIC's address when none is given: 52:54:00:12:34:56 + n. */
void net_mac_default(unsigned n, uint8_t mac[6]);

/* Backends built in (net/). */
NetClient *net_slirp_new(const char *id, OptList *opts, GError **errp);
NetClient *net_tap_new(const char *id, OptList *opts, GError **errp);
NetClient *net_socket_new(const char *id, OptList *opts, GError **errp);
NetClient *net_stream_new(const char *id, OptList *opts, GError **errp);

/* filter-dump: a libpcap file of every frame through netdev. */
typedef struct NetDump NetDump;
NetDump *net_dump_new(NetClient *netdev, const char *path, GError **errp);
void net_dump_free(NetDump *d);

#endif
