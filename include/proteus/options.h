/*
 * QEMU-style option strings: "HEAD,key=value,key=value". A comma inside a
 * value is written twice (",,"). HEAD is the first element when it has no
 * '=' (a device type, a chardev backend, a machine name).
 */
#ifndef PROTEUS_OPTIONS_H
#define PROTEUS_OPTIONS_H

#include <glib.h>
#include <stdbool.h>

typedef struct OptItem {
    char *key;
    char *value;        /* NULL for a bare key such as "help" */
} OptItem;

typedef struct OptList {
    char *head;         /* NULL if the first element is key=value */
    GPtrArray *items;   /* OptItem *, in order */
} OptList;

/* what (may be NULL) starts error messages ("-device"). With head_name
 * ("device type"), the head is required: an empty string or a first
 * element with '=' is an error that asks for that. */
OptList *opt_list_parse(const char *str, const char *what, const char *head_name,
                        GError **errp);
void opt_list_free(OptList *opts);
/* The last value given for key; NULL if absent (or a bare key). */
const char *opt_list_get(OptList *opts, const char *key);
bool opt_list_has(OptList *opts, const char *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(OptList, opt_list_free)

#endif
