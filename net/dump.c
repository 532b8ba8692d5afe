/*
 * filter-dump: every frame a netdev sends or is sent, appended to a
 * libpcap file (the classic format: a 24-byte global header with magic
 * 0xa1b2c3d4 in host byte order, version 2.4, snaplen 65535, link type 1
 * = Ethernet; then a 16-byte record header with the time in seconds and
 * microseconds, the captured and the original length, before each frame).
 * Each record is flushed at once so the file is readable while we run.
 */
#include <errno.h>
#include <stdio.h>

#include "proteus/error.h"
#include "proteus/log.h"
#include "proteus/net.h"

#define PCAP_MAGIC          0xa1b2c3d4u
#define PCAP_SNAPLEN        65535u
#define PCAP_LINKTYPE_ETHERNET 1u

typedef struct PcapGlobalHeader {
    uint32_t magic;
    uint16_t version_major;
    uint16_t version_minor;
    int32_t thiszone;
    uint32_t sigfigs;
    uint32_t snaplen;
    uint32_t network;
} PcapGlobalHeader;

typedef struct PcapRecordHeader {
    uint32_t ts_sec;
    uint32_t ts_usec;
    uint32_t incl_len;
    uint32_t orig_len;
} PcapRecordHeader;

struct NetDump {
    NetClient *netdev;
    FILE *file;
    char *path;
    bool failed;            /* a write failed: reported once, then silent */
};

static void dump_frame(void *opaque, const uint8_t *buf, size_t len, bool outgoing)
{
    NetDump *d = opaque;
    int64_t now = g_get_real_time();
    uint32_t caplen = len > PCAP_SNAPLEN ? PCAP_SNAPLEN : len;
    PcapRecordHeader rec = {
        .ts_sec = now / G_USEC_PER_SEC,
        .ts_usec = now % G_USEC_PER_SEC,
        .incl_len = caplen,
        .orig_len = len,
    };

    if (d->failed) {
        return;
    }
    if (fwrite(&rec, sizeof(rec), 1, d->file) != 1 ||
        fwrite(buf, 1, caplen, d->file) != caplen || fflush(d->file) != 0) {
        error_report("filter-dump: writing %s failed: %s; no more frames are dumped",
                     d->path, g_strerror(errno));
        d->failed = true;
    }
}

NetDump *net_dump_new(NetClient *netdev, const char *path, GError **errp)
{
    PcapGlobalHeader hdr = {
        .magic = PCAP_MAGIC,
        .version_major = 2,
        .version_minor = 4,
        .snaplen = PCAP_SNAPLEN,
        .network = PCAP_LINKTYPE_ETHERNET,
    };
    FILE *f = fopen(path, "wb");
    NetDump *d;

    if (!f) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "cannot create %s: %s", path,
                        g_strerror(errno));
        return NULL;
    }
    if (fwrite(&hdr, sizeof(hdr), 1, f) != 1 || fflush(f) != 0) {
        error_setg_code(errp, PROTEUS_ERROR_FAILED, "cannot write %s: %s", path,
                        g_strerror(errno));
        fclose(f);
        return NULL;
    }
    d = g_new0(NetDump, 1);
    d->netdev = netdev;
    d->file = f;
    d->path = g_strdup(path);
    net_client_add_observer(netdev, dump_frame, d);
    return d;
}

void net_dump_free(NetDump *d)
{
    if (!d) {
        return;
    }
    net_client_remove_observer(d->netdev, dump_frame, d);
    fclose(d->file);
    g_free(d->path);
    g_free(d);
}
