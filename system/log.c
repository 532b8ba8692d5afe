/*
 * Category logging (-d LIST, -D FILE).
 */
#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>

#include "proteus/error.h"
#include "proteus/log.h"

uint32_t log_enabled_mask;
static FILE *log_file;
static GMutex log_lock;

static const struct {
    const char *name;
    uint32_t mask;
    const char *help;
} log_categories[] = {
    { "in_asm", LOG_IN_ASM, "guest code of each block as it is translated" },
    { "op", LOG_OP, "IR of each block before optimisation" },
    { "op_opt", LOG_OP_OPT, "IR of each block after optimisation" },
    { "out_asm", LOG_OUT_ASM, "host code generated for each block" },
    { "int", LOG_INT, "interrupts and exceptions" },
    { "exec", LOG_EXEC, "each translation block as it runs" },
    { "cpu", LOG_CPU, "CPU state before each block runs" },
    { "mmu", LOG_MMU, "page walks and TLB fills" },
    { "guest_errors", LOG_GUEST_ERROR, "invalid things the guest did (bad MMIO, bad descriptors)" },
    { "unimp", LOG_UNIMP, "things the guest used that are not implemented" },
    { "strace", LOG_STRACE, "system calls (user mode)" },
    { "page", LOG_PAGE, "guest memory mappings (user mode)" },
    { "tb_stats", LOG_TB_STATS, "translation and chaining counters" },
    { "trace_dev", LOG_TRACE_DEV, "device register accesses" },
};

bool log_parse_categories(const char *list, uint32_t *mask, GError **errp)
{
    g_auto(GStrv) names = g_strsplit(list, ",", -1);
    uint32_t result = 0;

    for (char **n = names; *n; n++) {
        bool found = false;

        if (**n == '\0') {
            continue;
        }
        if (strcmp(*n, "all") == 0) {
            for (size_t i = 0; i < G_N_ELEMENTS(log_categories); i++) {
                result |= log_categories[i].mask;
            }
            continue;
        }
        for (size_t i = 0; i < G_N_ELEMENTS(log_categories); i++) {
            if (strcmp(*n, log_categories[i].name) == 0) {
                result |= log_categories[i].mask;
                found = true;
            }
        }
        if (!found) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "-d: unknown log category '%s' (try -d help)", *n);
            return false;
        }
    }
    *mask = result;
    return true;
}

void log_print_categories(FILE *out)
{
    fprintf(out, "Log categories (-d LIST, comma-separated; 'all' for every one):\n");
    for (size_t i = 0; i < G_N_ELEMENTS(log_categories); i++) {
        fprintf(out, "  %-14s %s\n", log_categories[i].name, log_categories[i].help);
    }
}

void log_set_mask(uint32_t mask)
{
    log_enabled_mask = mask;
}

bool log_set_file(const char *path, GError **errp)
{
    FILE *f = NULL;

    if (path && strcmp(path, "-") != 0) {
        f = fopen(path, "w");
        if (!f) {
            error_setg(errp, "-D: cannot open log file '%s': %s", path, g_strerror(errno));
            return false;
        }
        setvbuf(f, NULL, _IOLBF, 0);
    }
    g_mutex_lock(&log_lock);
    if (log_file) {
        fclose(log_file);
    }
    log_file = f;
    g_mutex_unlock(&log_lock);
    return true;
}

void log_printf(const char *fmt, ...)
{
    va_list ap;

    g_mutex_lock(&log_lock);
    va_start(ap, fmt);
    vfprintf(log_file ? log_file : stderr, fmt, ap);
    va_end(ap);
    g_mutex_unlock(&log_lock);
}
