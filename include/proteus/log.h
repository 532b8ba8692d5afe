/*
 * Logging by category, as -d LIST selects, into -D FILE (stderr by default).
 * Guest mistakes go to LOG_GUEST_ERROR, features the guest uses that we lack
 * to LOG_UNIMP; neither is ever fatal.
 */
#ifndef PROTEUS_LOG_H
#define PROTEUS_LOG_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum {
    LOG_IN_ASM       = 1 << 0,   /* guest code as translated */
    LOG_OP           = 1 << 1,   /* IR before optimisation */
    LOG_OP_OPT       = 1 << 2,   /* IR after optimisation */
    LOG_OUT_ASM      = 1 << 3,   /* host code generated */
    LOG_INT          = 1 << 4,   /* interrupts and exceptions */
    LOG_EXEC         = 1 << 5,   /* each translation block executed */
    LOG_CPU          = 1 << 6,   /* CPU state before each block */
    LOG_MMU          = 1 << 7,   /* page walks and TLB fills */
    LOG_GUEST_ERROR  = 1 << 8,   /* the guest did something invalid */
    LOG_UNIMP        = 1 << 9,   /* the guest used something not implemented */
    LOG_STRACE       = 1 << 10,  /* system calls (user mode) */
    LOG_PAGE         = 1 << 11,  /* guest page mappings (user mode) */
    LOG_TB_STATS     = 1 << 12,  /* translation and chaining counters */
    LOG_TRACE_DEV    = 1 << 13,  /* device register accesses */
};

extern uint32_t log_enabled_mask;

static inline bool log_enabled(uint32_t mask)
{
    return (log_enabled_mask & mask) != 0;
}

/* Parses "cat1,cat2" (or "help", which the caller handles) into a mask. */
bool log_parse_categories(const char *list, uint32_t *mask, GError **errp);
/* Prints the category names with one line each. */
void log_print_categories(FILE *out);
void log_set_mask(uint32_t mask);
/* Sends log output to path ("-" or NULL = stderr). */
bool log_set_file(const char *path, GError **errp);

void log_printf(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#define log_mask(mask, ...) \
    do { if (log_enabled(mask)) { log_printf(__VA_ARGS__); } } while (0)

#endif
