/*
 * The system emulator's entry point (system/vl.c), called by main().
 */
#ifndef PROTEUS_SYSTEM_SYSTEM_H
#define PROTEUS_SYSTEM_SYSTEM_H

int proteus_system_main(int argc, char **argv);

#endif
