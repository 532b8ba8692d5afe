/*
 * Drives: the images given with -drive, opened at option-parsing time and
 * kept by id until a device (virtio-blk-device,drive=ID) takes one.
 *
 *   -drive file=PATH[,id=ID][,format=raw|qcow2][,if=virtio|none]
 *          [,readonly=on][,snapshot=on][,cache=writeback|writethrough|unsafe|none]
 *
 * if=virtio (the default) also asks for a virtio-blk-device attached to the
 * drive; if=none only registers it. -snapshot applies snapshot=on to every
 * drive, given before or after it.
 */
#ifndef PROTEUS_DRIVE_H
#define PROTEUS_DRIVE_H

#include <glib.h>
#include <stdbool.h>

#include "proteus/block.h"

/*
 * Parses and opens one -drive. For if=virtio, *device_opts gets the -device
 * string that attaches a virtio-blk-device to it (owned by the registry);
 * otherwise it is set to NULL.
 */
bool drive_parse(const char *arg, const char **device_opts, GError **errp);
/* -snapshot: every drive, opened already or later, writes to an overlay. */
bool drive_set_snapshot_all(GError **errp);
/* Takes the drive called id for a device; fails if unknown or already taken. */
BlockDriverState *drive_claim(const char *id, GError **errp);
/* Gives a claimed drive back (the device is going away). */
void drive_release(const char *id);

#endif
