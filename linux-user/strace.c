/*
 * -strace: one line per syscall, "TID name(args) = result", in the style of
 * qemu-user's -strace. The call half is printed before the syscall runs
 * (a blocking call shows what it waits in), the result half after it.
 *
 * SyscallDef.strace_args has one letter per argument, optionally followed
 * by '>' and one letter for the result:
 *
 *   d  int, decimal              l  long, decimal
 *   u  unsigned long, decimal    x  hex
 *   p  pointer: NULL or 0x...    s  string: quoted, escaped, truncated
 *   b  buffer going to the kernel, its length in the next argument:
 *      shown like a string       f  directory fd: AT_FDCWD or decimal
 *   o  mode, octal               O  open flags (O_RDONLY|O_CLOEXEC...)
 *   m  open's mode: octal, left out unless the flags before it create
 *   P  mmap prot                 M  mmap flags
 *   C  O_* flags without an access mode (dup3, pipe2...): 0 or names
 *   a  AT_* flags                c  clock id
 *   i  ioctl request             F  fcntl command
 *
 * Result letters: 'x' hex, 'p' pointer, 'o' octal, 'n' "does not return" (the line
 * ends at the call); the default is decimal. Negative results in the errno
 * range print as "-1 errno=N (text)".
 */
#include <errno.h>

#include "linux-user/riscv64/target-structs.h"
#include "linux-user/syscall-defs.h"
#include "proteus/log.h"

/* Strings longer than this are cut and followed by "...". */
#define STRACE_STRING_MAX 64

typedef struct FlagName {
    uint64_t value;
    const char *name;
} FlagName;

static const FlagName open_flags[] = {
    { GUEST_O_CREAT, "O_CREAT" }, { GUEST_O_EXCL, "O_EXCL" },
    { GUEST_O_NOCTTY, "O_NOCTTY" }, { GUEST_O_TRUNC, "O_TRUNC" },
    { GUEST_O_APPEND, "O_APPEND" }, { GUEST_O_NONBLOCK, "O_NONBLOCK" },
    { GUEST_O_SYNC, "O_SYNC" }, { GUEST_O_DSYNC, "O_DSYNC" },
    { GUEST_O_ASYNC, "O_ASYNC" }, { GUEST_O_DIRECT, "O_DIRECT" },
    { GUEST_O_LARGEFILE, "O_LARGEFILE" }, { GUEST_O_TMPFILE, "O_TMPFILE" },
    { GUEST_O_DIRECTORY, "O_DIRECTORY" }, { GUEST_O_NOFOLLOW, "O_NOFOLLOW" },
    { GUEST_O_NOATIME, "O_NOATIME" }, { GUEST_O_CLOEXEC, "O_CLOEXEC" },
    { GUEST_O_PATH, "O_PATH" },
    { 0, NULL },
};

static const FlagName prot_flags[] = {
    { GUEST_PROT_READ, "PROT_READ" }, { GUEST_PROT_WRITE, "PROT_WRITE" },
    { GUEST_PROT_EXEC, "PROT_EXEC" },
    { 0, NULL },
};

static const FlagName map_flags[] = {
    { GUEST_MAP_FIXED, "MAP_FIXED" }, { GUEST_MAP_ANONYMOUS, "MAP_ANONYMOUS" },
    { GUEST_MAP_GROWSDOWN, "MAP_GROWSDOWN" }, { GUEST_MAP_DENYWRITE, "MAP_DENYWRITE" },
    { GUEST_MAP_EXECUTABLE, "MAP_EXECUTABLE" }, { GUEST_MAP_LOCKED, "MAP_LOCKED" },
    { GUEST_MAP_NORESERVE, "MAP_NORESERVE" }, { GUEST_MAP_POPULATE, "MAP_POPULATE" },
    { GUEST_MAP_NONBLOCK, "MAP_NONBLOCK" }, { GUEST_MAP_STACK, "MAP_STACK" },
    { GUEST_MAP_HUGETLB, "MAP_HUGETLB" }, { GUEST_MAP_SYNC, "MAP_SYNC" },
    { GUEST_MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE" },
    { 0, NULL },
};

static const FlagName at_flags[] = {
    { GUEST_AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW" },
    { GUEST_AT_REMOVEDIR, "AT_REMOVEDIR" },
    { GUEST_AT_SYMLINK_FOLLOW, "AT_SYMLINK_FOLLOW" },
    { GUEST_AT_NO_AUTOMOUNT, "AT_NO_AUTOMOUNT" },
    { GUEST_AT_EMPTY_PATH, "AT_EMPTY_PATH" },
    { 0, NULL },
};

/* Values shown by name, anything else in hex. */
static const FlagName clock_names[] = {
    { 0, "CLOCK_REALTIME" }, { 1, "CLOCK_MONOTONIC" },
    { 2, "CLOCK_PROCESS_CPUTIME_ID" }, { 3, "CLOCK_THREAD_CPUTIME_ID" },
    { 4, "CLOCK_MONOTONIC_RAW" }, { 5, "CLOCK_REALTIME_COARSE" },
    { 6, "CLOCK_MONOTONIC_COARSE" }, { 7, "CLOCK_BOOTTIME" },
    { 0, NULL },
};

static const FlagName ioctl_names[] = {
    { 0x5401, "TCGETS" }, { 0x5402, "TCSETS" }, { 0x5403, "TCSETSW" },
    { 0x5404, "TCSETSF" }, { 0x540f, "TIOCGPGRP" }, { 0x5410, "TIOCSPGRP" },
    { 0x5413, "TIOCGWINSZ" }, { 0x5414, "TIOCSWINSZ" }, { 0x541b, "FIONREAD" },
    { 0x5421, "FIONBIO" }, { 0x5450, "FIONCLEX" }, { 0x5451, "FIOCLEX" },
    { 0x5452, "FIOASYNC" }, { 0x540e, "TIOCSCTTY" }, { 0x5429, "TIOCGSID" },
    { 0, NULL },
};

static const FlagName fcntl_names[] = {
    { 0, "F_DUPFD" }, { 1, "F_GETFD" }, { 2, "F_SETFD" }, { 3, "F_GETFL" },
    { 4, "F_SETFL" }, { 5, "F_GETLK" }, { 6, "F_SETLK" }, { 7, "F_SETLKW" },
    { 8, "F_SETOWN" }, { 9, "F_GETOWN" }, { 1030, "F_DUPFD_CLOEXEC" },
    { 1024, "F_SETLEASE" }, { 1025, "F_GETLEASE" }, { 1031, "F_SETPIPE_SZ" },
    { 1032, "F_GETPIPE_SZ" }, { 1033, "F_ADD_SEALS" }, { 1034, "F_GET_SEALS" },
    { 36, "F_OFD_GETLK" }, { 37, "F_OFD_SETLK" }, { 38, "F_OFD_SETLKW" },
    { 0, NULL },
};

static void strace_flags(GString *s, uint64_t v, const FlagName *names)
{
    bool any = false;

    for (const FlagName *f = names; f->name; f++) {
        if ((v & f->value) == f->value) {
            g_string_append_printf(s, "%s%s", any ? "|" : "", f->name);
            v &= ~f->value;
            any = true;
        }
    }
    if (v || !any) {
        g_string_append_printf(s, "%s0x%" G_GINT64_MODIFIER "x", any ? "|" : "", v);
    }
}

static void strace_name(GString *s, uint64_t v, const FlagName *names)
{
    for (const FlagName *f = names; f->name; f++) {
        if (f->value == v) {
            g_string_append(s, f->name);
            return;
        }
    }
    g_string_append_printf(s, "0x%" G_GINT64_MODIFIER "x", v);
}

/* len bytes of guest memory, quoted and escaped; cut at the maximum. */
static void strace_bytes(GString *s, uint64_t addr, uint64_t len)
{
    uint64_t shown = MIN(len, STRACE_STRING_MAX);
    const unsigned char *p;

    if (!guest_readable(addr, shown)) {
        g_string_append_printf(s, "0x%" G_GINT64_MODIFIER "x", addr);
        return;
    }
    p = g2h(addr);
    g_string_append_c(s, '"');
    for (uint64_t i = 0; i < shown; i++) {
        switch (p[i]) {
        case '\n': g_string_append(s, "\\n"); break;
        case '\t': g_string_append(s, "\\t"); break;
        case '\r': g_string_append(s, "\\r"); break;
        case '"': g_string_append(s, "\\\""); break;
        case '\\': g_string_append(s, "\\\\"); break;
        default:
            if (p[i] >= 0x20 && p[i] < 0x7f) {
                g_string_append_c(s, p[i]);
            } else {
                g_string_append_printf(s, "\\%o", p[i]);
            }
        }
    }
    g_string_append_c(s, '"');
    if (shown < len) {
        g_string_append(s, "...");
    }
}

static void strace_string(GString *s, uint64_t addr)
{
    const char *str = guest_string(addr, STRACE_STRING_MAX + 1);

    if (!addr) {
        g_string_append(s, "NULL");
    } else if (str) {
        strace_bytes(s, addr, strlen(str));
    } else if (guest_readable(addr, 1)) {
        strace_bytes(s, addr, STRACE_STRING_MAX + 1);
    } else {
        g_string_append_printf(s, "0x%" G_GINT64_MODIFIER "x", addr);
    }
}

static void strace_pointer(GString *s, uint64_t v)
{
    if (v) {
        g_string_append_printf(s, "0x%" G_GINT64_MODIFIER "x", v);
    } else {
        g_string_append(s, "NULL");
    }
}

static void strace_arg(GString *s, char letter, const uint64_t *a, int i)
{
    uint64_t v = a[i];

    switch (letter) {
    case 'd': g_string_append_printf(s, "%d", (int)v); break;
    case 'l': g_string_append_printf(s, "%" G_GINT64_FORMAT, (int64_t)v); break;
    case 'u': g_string_append_printf(s, "%" G_GUINT64_FORMAT, v); break;
    case 'p': strace_pointer(s, v); break;
    case 's': strace_string(s, v); break;
    case 'b': strace_bytes(s, v, i < 5 ? a[i + 1] : 0); break;
    case 'o': case 'm': g_string_append_printf(s, "0%" G_GINT64_MODIFIER "o", v); break;
    case 'P':
        if (v) {
            strace_flags(s, v, prot_flags);
        } else {
            g_string_append(s, "PROT_NONE");
        }
        break;
    case 'M': {
        uint64_t type = v & GUEST_MAP_TYPE, rest = v & ~(uint64_t)GUEST_MAP_TYPE;

        g_string_append(s, type == GUEST_MAP_SHARED ? "MAP_SHARED"
                         : type == GUEST_MAP_PRIVATE ? "MAP_PRIVATE"
                         : type == GUEST_MAP_SHARED_VALIDATE ? "MAP_SHARED_VALIDATE" : "");
        if (rest || !type) {
            if (type) {
                g_string_append_c(s, '|');
            }
            strace_flags(s, rest, map_flags);
        }
        break;
    }
    case 'O': {
        static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
        uint64_t rest = v & ~(uint64_t)GUEST_O_ACCMODE;

        g_string_append(s, acc[v & GUEST_O_ACCMODE]);
        if (rest) {
            g_string_append_c(s, '|');
            strace_flags(s, rest, open_flags);
        }
        break;
    }
    case 'C':
        if (v) {
            strace_flags(s, v, open_flags);
        } else {
            g_string_append_c(s, '0');
        }
        break;
    case 'f':
        if ((int)v == GUEST_AT_FDCWD) {
            g_string_append(s, "AT_FDCWD");
        } else {
            g_string_append_printf(s, "%d", (int)v);
        }
        break;
    case 'a': strace_flags(s, v, at_flags); break;
    case 'c': strace_name(s, v, clock_names); break;
    case 'i': strace_name(s, v, ioctl_names); break;
    case 'F': strace_name(s, v, fcntl_names); break;
    default: g_string_append_printf(s, "0x%" G_GINT64_MODIFIER "x", v); break;
    }
}

/* Whether open flags make open use its mode argument. */
static bool strace_open_creates(uint64_t flags)
{
    return (flags & GUEST_O_CREAT) || (flags & GUEST_O_TMPFILE) == GUEST_O_TMPFILE;
}

/* The argument letters and the result letter (0: decimal). */
static char strace_result_letter(const SyscallDef *def)
{
    const char *gt = strchr(def->strace_args, '>');

    return gt ? gt[1] : 0;
}

void strace_call(TaskState *ts, const SyscallDef *def, const uint64_t *a)
{
    g_autoptr(GString) s = g_string_new(NULL);
    int i = 0;

    g_string_append_printf(s, "%d %s(", ts->tid, def->name);
    for (const char *c = def->strace_args; *c && *c != '>' && i < 6; c++, i++) {
        if (*c == 'm' && !strace_open_creates(i ? a[i - 1] : 0)) {
            continue;
        }
        if (i) {
            g_string_append_c(s, ',');
        }
        strace_arg(s, *c, a, i);
    }
    g_string_append_c(s, ')');
    if (strace_result_letter(def) == 'n') {
        g_string_append_c(s, '\n');
    }
    log_printf("%s", s->str);
}

void strace_result(TaskState *ts, const SyscallDef *def, const uint64_t *a,
                   int64_t ret)
{
    char letter = strace_result_letter(def);

    if (letter == 'n') {
        return;
    }
    if (ret == SYSCALL_RESTART) {
        log_printf(" = ? ERESTARTSYS (to be restarted)\n");
    } else if (ret == SYSCALL_NO_RESULT) {
        log_printf(" = ?\n");
    } else if (ret < 0 && ret >= -4095) {
        log_printf(" = -1 errno=%d (%s)\n", (int)-ret, g_strerror((int)-ret));
    } else if (letter == 'x' || letter == 'p') {
        log_printf(" = 0x%" G_GINT64_MODIFIER "x\n", ret);
    } else if (letter == 'o') {
        log_printf(" = 0%" G_GINT64_MODIFIER "o\n", ret);
    } else {
        log_printf(" = %" G_GINT64_FORMAT "\n", ret);
    }
}
