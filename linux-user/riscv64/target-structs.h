/*
 * The guest's view of the kernel structures the syscall families convert,
 * written out with fixed-width types: riscv64 uses the asm-generic
 * layouts (include/uapi/asm-generic/stat.h, statfs.h, termbits.h, and the
 * LP64 forms of the others). Handlers copy these to and from guest memory
 * and convert field by field, whatever the host's own layouts are.
 *
 * Flag values the handlers pass to the host unchanged (open, mmap, fcntl,
 * socket levels...) are the asm-generic ones; the static asserts at the end
 * check that the host agrees, so a host where they differ fails to build
 * instead of misbehaving.
 */
#ifndef LINUX_USER_RISCV64_TARGET_STRUCTS_H
#define LINUX_USER_RISCV64_TARGET_STRUCTS_H

#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>

#include <glib.h>

/* asm-generic/stat.h, 64-bit: 128 bytes. */
typedef struct GuestStat {
    uint64_t st_dev;
    uint64_t st_ino;
    uint32_t st_mode;
    uint32_t st_nlink;
    uint32_t st_uid;
    uint32_t st_gid;
    uint64_t st_rdev;
    uint64_t pad1;
    int64_t st_size;
    int32_t st_blksize;
    int32_t pad2;
    int64_t st_blocks;
    int64_t st_atime_sec;
    uint64_t st_atime_nsec;
    int64_t st_mtime_sec;
    uint64_t st_mtime_nsec;
    int64_t st_ctime_sec;
    uint64_t st_ctime_nsec;
    uint32_t unused4;
    uint32_t unused5;
} GuestStat;
G_STATIC_ASSERT(sizeof(GuestStat) == 128);

/* asm-generic/statfs.h with 64-bit words: 120 bytes. */
typedef struct GuestStatfs {
    int64_t f_type;
    int64_t f_bsize;
    uint64_t f_blocks;
    uint64_t f_bfree;
    uint64_t f_bavail;
    uint64_t f_files;
    uint64_t f_ffree;
    int32_t f_fsid[2];
    int64_t f_namelen;
    int64_t f_frsize;
    int64_t f_flags;
    int64_t f_spare[4];
} GuestStatfs;
G_STATIC_ASSERT(sizeof(GuestStatfs) == 120);

typedef struct GuestTimespec {
    int64_t tv_sec;
    int64_t tv_nsec;
} GuestTimespec;

typedef struct GuestTimeval {
    int64_t tv_sec;
    int64_t tv_usec;
} GuestTimeval;

typedef struct GuestItimerspec {
    GuestTimespec it_interval;
    GuestTimespec it_value;
} GuestItimerspec;

typedef struct GuestItimerval {
    GuestTimeval it_interval;
    GuestTimeval it_value;
} GuestItimerval;

typedef struct GuestTms {
    int64_t tms_utime, tms_stime, tms_cutime, tms_cstime;
} GuestTms;

typedef struct GuestRlimit {
    uint64_t rlim_cur;
    uint64_t rlim_max;
} GuestRlimit;

typedef struct GuestRusage {
    GuestTimeval ru_utime;
    GuestTimeval ru_stime;
    int64_t ru_fields[14];       /* ru_maxrss .. ru_nivcsw, in order */
} GuestRusage;
G_STATIC_ASSERT(sizeof(GuestRusage) == 144);

typedef struct GuestSysinfo {
    int64_t uptime;
    uint64_t loads[3];
    uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs;
    uint16_t pad;
    uint32_t pad2;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
    uint32_t pad3;
} GuestSysinfo;
G_STATIC_ASSERT(sizeof(GuestSysinfo) == 112);

/* asm-generic termbits.h: struct termios as TCGETS/TCSETS use it. */
#define GUEST_NCCS 19
typedef struct GuestTermios {
    uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    uint8_t c_line;
    uint8_t c_cc[GUEST_NCCS];
} GuestTermios;
G_STATIC_ASSERT(sizeof(GuestTermios) == 36);

typedef struct GuestWinsize {
    uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
} GuestWinsize;

/* Not packed, unlike x86-64's: 16 bytes. */
typedef struct GuestEpollEvent {
    uint32_t events;
    uint32_t pad;
    uint64_t data;
} GuestEpollEvent;

typedef struct GuestIovec {
    uint64_t iov_base;
    uint64_t iov_len;
} GuestIovec;

typedef struct GuestMsghdr {
    uint64_t msg_name;
    uint32_t msg_namelen;
    uint32_t pad;
    uint64_t msg_iov;
    uint64_t msg_iovlen;
    uint64_t msg_control;
    uint64_t msg_controllen;
    int32_t msg_flags;
    uint32_t pad2;
} GuestMsghdr;
G_STATIC_ASSERT(sizeof(GuestMsghdr) == 56);

typedef struct GuestMmsghdr {
    GuestMsghdr msg_hdr;
    uint32_t msg_len;
    uint32_t pad;
} GuestMmsghdr;

typedef struct GuestCmsghdr {
    uint64_t cmsg_len;
    int32_t cmsg_level;
    int32_t cmsg_type;
} GuestCmsghdr;
/* CMSG_ALIGN of the guest: to 8 bytes. */
#define GUEST_CMSG_ALIGN(len) (((len) + 7) & ~(uint64_t)7)

/* pselect6's sixth argument. */
typedef struct GuestSigsetArg {
    uint64_t ss;
    uint64_t ss_len;
} GuestSigsetArg;

typedef struct GuestSchedParam {
    int32_t sched_priority;
} GuestSchedParam;

/* ---- asm-generic constants the handlers and -strace use ---- */

#define GUEST_AT_FDCWD              (-100)
#define GUEST_AT_SYMLINK_NOFOLLOW   0x100
#define GUEST_AT_REMOVEDIR          0x200
#define GUEST_AT_SYMLINK_FOLLOW     0x400
#define GUEST_AT_NO_AUTOMOUNT       0x800
#define GUEST_AT_EMPTY_PATH         0x1000

#define GUEST_O_ACCMODE    00000003
#define GUEST_O_CREAT      00000100
#define GUEST_O_EXCL       00000200
#define GUEST_O_NOCTTY     00000400
#define GUEST_O_TRUNC      00001000
#define GUEST_O_APPEND     00002000
#define GUEST_O_NONBLOCK   00004000
#define GUEST_O_DSYNC      00010000
#define GUEST_O_ASYNC      00020000
#define GUEST_O_DIRECT     00040000
#define GUEST_O_LARGEFILE  00100000
#define GUEST_O_DIRECTORY  00200000
#define GUEST_O_NOFOLLOW   00400000
#define GUEST_O_NOATIME    01000000
#define GUEST_O_CLOEXEC    02000000
#define GUEST_O_SYNC       04010000
#define GUEST_O_PATH       010000000
#define GUEST_O_TMPFILE    020200000

#define GUEST_MAP_SHARED           0x01
#define GUEST_MAP_PRIVATE          0x02
#define GUEST_MAP_SHARED_VALIDATE  0x03
#define GUEST_MAP_TYPE             0x0f
#define GUEST_MAP_FIXED            0x10
#define GUEST_MAP_ANONYMOUS        0x20
#define GUEST_MAP_GROWSDOWN        0x0100
#define GUEST_MAP_DENYWRITE        0x0800
#define GUEST_MAP_EXECUTABLE       0x1000
#define GUEST_MAP_LOCKED           0x2000
#define GUEST_MAP_NORESERVE        0x4000
#define GUEST_MAP_POPULATE         0x8000
#define GUEST_MAP_NONBLOCK         0x10000
#define GUEST_MAP_STACK            0x20000
#define GUEST_MAP_HUGETLB          0x40000
#define GUEST_MAP_SYNC             0x80000
#define GUEST_MAP_FIXED_NOREPLACE  0x100000

#define GUEST_PROT_READ   0x1
#define GUEST_PROT_WRITE  0x2
#define GUEST_PROT_EXEC   0x4

/* The host must agree on what is passed through unchanged. */
G_STATIC_ASSERT(AT_FDCWD == GUEST_AT_FDCWD);
G_STATIC_ASSERT(AT_SYMLINK_NOFOLLOW == GUEST_AT_SYMLINK_NOFOLLOW);
G_STATIC_ASSERT(AT_REMOVEDIR == GUEST_AT_REMOVEDIR);
G_STATIC_ASSERT(AT_EMPTY_PATH == GUEST_AT_EMPTY_PATH);
G_STATIC_ASSERT(O_CREAT == GUEST_O_CREAT && O_EXCL == GUEST_O_EXCL);
G_STATIC_ASSERT(O_TRUNC == GUEST_O_TRUNC && O_APPEND == GUEST_O_APPEND);
G_STATIC_ASSERT(O_NONBLOCK == GUEST_O_NONBLOCK && O_DIRECTORY == GUEST_O_DIRECTORY);
G_STATIC_ASSERT(O_NOFOLLOW == GUEST_O_NOFOLLOW && O_CLOEXEC == GUEST_O_CLOEXEC);
G_STATIC_ASSERT(O_SYNC == GUEST_O_SYNC && O_PATH == GUEST_O_PATH);
G_STATIC_ASSERT(O_DIRECT == GUEST_O_DIRECT && O_TMPFILE == GUEST_O_TMPFILE);
G_STATIC_ASSERT(MAP_SHARED == GUEST_MAP_SHARED && MAP_PRIVATE == GUEST_MAP_PRIVATE);
G_STATIC_ASSERT(MAP_FIXED == GUEST_MAP_FIXED && MAP_ANONYMOUS == GUEST_MAP_ANONYMOUS);
G_STATIC_ASSERT(MAP_FIXED_NOREPLACE == GUEST_MAP_FIXED_NOREPLACE);
G_STATIC_ASSERT(MAP_NORESERVE == GUEST_MAP_NORESERVE && MAP_POPULATE == GUEST_MAP_POPULATE);
G_STATIC_ASSERT(PROT_READ == GUEST_PROT_READ && PROT_WRITE == GUEST_PROT_WRITE &&
                PROT_EXEC == GUEST_PROT_EXEC);

#endif
