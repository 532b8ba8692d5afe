/*
 * syscall: traces the guest's system calls (user mode), one line each in
 * the shape of proteus-user's -strace: "VCPU name(args) = result", where
 * the arguments are in hex, the name comes from a table of the common
 * riscv64 calls ("syscall_N" for others) and an error result in the errno
 * range prints as "-1 errno=N (text)". A call that never returns (exit,
 * exit_group) prints when it is made, the others when they return.
 *
 * Options:
 *   filter=LIST     trace only these calls: names or numbers separated by
 *                   ':' (the option may repeat); default all
 *   stats=on|off    at exit, print how often each call was made and how
 *                   often it failed (default off)
 *   trace=on|off    print each call (default on)
 */
#include <inttypes.h>
#include <string.h>

#include <glib.h>

#include "example.h"

PROTEUS_PLUGIN_EXPORT int proteus_plugin_version = PROTEUS_PLUGIN_VERSION;

typedef struct SyscallName {
    int64_t num;
    const char *name;
    int nargs;
} SyscallName;

/* riscv64 uses the asm-generic numbering (include/uapi/asm-generic/unistd.h). */
static const SyscallName syscall_names[] = {
    { 17, "getcwd", 2 }, { 23, "dup", 1 }, { 24, "dup3", 3 }, { 25, "fcntl", 3 },
    { 29, "ioctl", 3 }, { 34, "mkdirat", 3 }, { 35, "unlinkat", 3 },
    { 46, "ftruncate", 2 }, { 48, "faccessat", 3 }, { 49, "chdir", 1 },
    { 56, "openat", 4 }, { 57, "close", 1 }, { 59, "pipe2", 2 },
    { 61, "getdents64", 3 }, { 62, "lseek", 3 }, { 63, "read", 3 }, { 64, "write", 3 },
    { 65, "readv", 3 }, { 66, "writev", 3 }, { 67, "pread64", 4 }, { 68, "pwrite64", 4 },
    { 73, "ppoll", 5 }, { 78, "readlinkat", 4 }, { 79, "newfstatat", 4 },
    { 80, "fstat", 2 }, { 93, "exit", 1 }, { 94, "exit_group", 1 },
    { 96, "set_tid_address", 1 }, { 98, "futex", 6 }, { 99, "set_robust_list", 2 },
    { 101, "nanosleep", 2 }, { 113, "clock_gettime", 2 }, { 115, "clock_nanosleep", 4 },
    { 124, "sched_yield", 0 }, { 129, "kill", 2 }, { 130, "tkill", 2 },
    { 131, "tgkill", 3 }, { 134, "rt_sigaction", 4 }, { 135, "rt_sigprocmask", 4 },
    { 139, "rt_sigreturn", 0 }, { 160, "uname", 1 }, { 172, "getpid", 0 },
    { 173, "getppid", 0 }, { 174, "getuid", 0 }, { 175, "geteuid", 0 },
    { 176, "getgid", 0 }, { 177, "getegid", 0 }, { 178, "gettid", 0 },
    { 214, "brk", 1 }, { 215, "munmap", 2 }, { 216, "mremap", 5 }, { 220, "clone", 5 },
    { 221, "execve", 3 }, { 222, "mmap", 6 }, { 226, "mprotect", 3 },
    { 233, "madvise", 3 }, { 258, "riscv_hwprobe", 5 }, { 259, "riscv_flush_icache", 3 },
    { 260, "wait4", 4 }, { 261, "prlimit64", 4 }, { 278, "getrandom", 3 },
    { 291, "statx", 5 }, { 293, "rseq", 4 }, { 435, "clone3", 2 },
    { 439, "faccessat2", 4 },
};

/* A call seen on one vCPU and not yet returned (the scoreboard element). */
typedef struct PendingCall {
    int64_t num;
    uint64_t args[6];
} PendingCall;

typedef struct CallStats {
    uint64_t calls;
    uint64_t errors;
} CallStats;

static bool trace = true;
static bool stats;
static GHashTable *filter;          /* numbers to trace (int64 keys), or NULL: all */
static ProteusScoreboard *pending;
static GMutex stats_lock;
static GHashTable *call_stats;      /* number -> CallStats, under stats_lock */

static const SyscallName *find_by_num(int64_t num)
{
    for (size_t i = 0; i < G_N_ELEMENTS(syscall_names); i++) {
        if (syscall_names[i].num == num) {
            return &syscall_names[i];
        }
    }
    return NULL;
}

static const SyscallName *find_by_name(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(syscall_names); i++) {
        if (!strcmp(syscall_names[i].name, name)) {
            return &syscall_names[i];
        }
    }
    return NULL;
}

static bool never_returns(int64_t num)
{
    return num == 93 || num == 94;      /* exit, exit_group */
}

static bool traced(int64_t num)
{
    return !filter || g_hash_table_contains(filter, &num);
}

/* "VCPU name(a, b, c)" */
static void append_call(GString *s, unsigned vcpu, int64_t num, const uint64_t *args)
{
    const SyscallName *sn = find_by_num(num);
    int nargs = sn ? sn->nargs : 6;

    if (sn) {
        g_string_append_printf(s, "%u %s(", vcpu, sn->name);
    } else {
        g_string_append_printf(s, "%u syscall_%" PRId64 "(", vcpu, num);
    }
    for (int i = 0; i < nargs; i++) {
        g_string_append_printf(s, "%s0x%" PRIx64, i ? "," : "", args[i]);
    }
    g_string_append_c(s, ')');
}

static void append_result(GString *s, int64_t ret)
{
    if (ret < 0 && ret >= -4095) {
        g_string_append_printf(s, " = -1 errno=%d (%s)\n", (int)-ret, g_strerror((int)-ret));
    } else {
        g_string_append_printf(s, " = %" PRId64 "\n", ret);
    }
}

static void count_call(int64_t num, bool failed)
{
    CallStats *cs;

    g_mutex_lock(&stats_lock);
    cs = g_hash_table_lookup(call_stats, &num);
    if (!cs) {
        int64_t *key = g_new(int64_t, 1);
        *key = num;
        cs = g_new0(CallStats, 1);
        g_hash_table_insert(call_stats, key, cs);
    }
    cs->calls++;
    cs->errors += failed;
    g_mutex_unlock(&stats_lock);
}

static void on_syscall(proteus_plugin_id id, unsigned vcpu, int64_t num, const uint64_t args[6])
{
    PendingCall *p;

    if (!traced(num)) {
        return;
    }
    if (never_returns(num)) {
        if (stats) {
            count_call(num, false);
        }
        if (trace) {
            g_autoptr(GString) s = g_string_new(NULL);
            append_call(s, vcpu, num, args);
            g_string_append_c(s, '\n');
            proteus_plugin_output(s->str);
        }
        return;
    }
    p = proteus_scoreboard_find(pending, vcpu);
    p->num = num;
    memcpy(p->args, args, sizeof(p->args));
}

static void on_syscall_ret(proteus_plugin_id id, unsigned vcpu, int64_t num, int64_t ret)
{
    const PendingCall *p;

    if (!traced(num)) {
        return;
    }
    if (stats) {
        count_call(num, ret < 0 && ret >= -4095);
    }
    if (trace) {
        g_autoptr(GString) s = g_string_new(NULL);
        p = proteus_scoreboard_find(pending, vcpu);
        append_call(s, vcpu, num, p->args);
        append_result(s, ret);
        proteus_plugin_output(s->str);
    }
}

static gint by_number(gconstpointer a, gconstpointer b)
{
    int64_t x = **(int64_t *const *)a, y = **(int64_t *const *)b;

    return x < y ? -1 : x > y;
}

static void print_stats(proteus_plugin_id id, void *userdata)
{
    g_autoptr(GString) s = g_string_new("syscall: calls, errors, name\n");
    g_autoptr(GPtrArray) nums = g_ptr_array_new();
    GHashTableIter it;
    gpointer key;

    g_mutex_lock(&stats_lock);
    g_hash_table_iter_init(&it, call_stats);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        g_ptr_array_add(nums, key);
    }
    g_ptr_array_sort(nums, by_number);
    for (guint i = 0; i < nums->len; i++) {
        int64_t *num = g_ptr_array_index(nums, i);
        const CallStats *cs = g_hash_table_lookup(call_stats, num);
        const SyscallName *sn = find_by_num(*num);
        g_string_append_printf(s, "%" PRIu64 ", %" PRIu64 ", ", cs->calls, cs->errors);
        if (sn) {
            g_string_append_printf(s, "%s\n", sn->name);
        } else {
            g_string_append_printf(s, "syscall_%" PRId64 "\n", *num);
        }
    }
    g_mutex_unlock(&stats_lock);
    proteus_plugin_output(s->str);
}

/* A filter word: a syscall name of the table or a number. */
static bool parse_syscall(const char *word, int64_t *num)
{
    const SyscallName *sn = find_by_name(word);
    char *end;

    if (sn) {
        *num = sn->num;
        return true;
    }
    if (!g_ascii_isdigit(word[0])) {
        return false;
    }
    *num = g_ascii_strtoll(word, &end, 0);
    return *end == '\0';
}

/* The filter's words as syscall numbers; false (with a message) on a bad one. */
static bool build_filter(GPtrArray *words)
{
    filter = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    for (guint i = 0; i < words->len; i++) {
        const char *w = g_ptr_array_index(words, i);
        int64_t *num = g_new(int64_t, 1);

        if (!parse_syscall(w, num)) {
            g_free(num);
            plugin_printf("syscall", "invalid value '%s' in option 'filter': "
                          "expected a syscall name or number", w);
            return false;
        }
        g_hash_table_add(filter, num);
    }
    return true;
}

int proteus_plugin_install(proteus_plugin_id id, const ProteusPluginInfo *info,
                           int argc, char **argv)
{
    g_autoptr(GPtrArray) filter_words = g_ptr_array_new_with_free_func(g_free);
    const PluginArg args[] = {
        { "filter", PLUGIN_ARG_LIST, filter_words },
        { "stats", PLUGIN_ARG_BOOL, &stats },
        { "trace", PLUGIN_ARG_BOOL, &trace },
        { NULL },
    };

    if (!plugin_parse_args("syscall", args, argc, argv)) {
        return 1;
    }
    if (filter_words->len && !build_filter(filter_words)) {
        return 1;
    }
    pending = proteus_scoreboard_new(sizeof(PendingCall));
    proteus_plugin_register_syscall_cb(id, on_syscall);
    proteus_plugin_register_syscall_ret_cb(id, on_syscall_ret);
    if (stats) {
        call_stats = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
        proteus_plugin_register_atexit_cb(id, print_stats, NULL);
    }
    return 0;
}
