/*
 * What the object model's own files share and nobody else needs: the hooks
 * object.c calls into property.c when an instance is born and when it dies.
 */
#ifndef PROTEUS_QOM_INTERNAL_H
#define PROTEUS_QOM_INTERNAL_H

#include "proteus/qom.h"

/* Stores the default of every static property of obj's class chain, ancestor first. */
void qom_props_set_defaults(Object *obj);
/* Deletes every instance property of obj, calling its release hook. */
void qom_props_del_instance(Object *obj);
/* Calls the release hook of each class property (frees strings, drops links). */
void qom_props_release_class(Object *obj);

#endif
