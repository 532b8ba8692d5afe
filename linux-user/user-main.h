/*
 * The entry point of proteus-user (linux-user/main.c), called by the
 * executable's main() so that the core library holds all the code.
 */
#ifndef LINUX_USER_USER_MAIN_H
#define LINUX_USER_USER_MAIN_H

int proteus_user_main(int argc, char **argv);

#endif
