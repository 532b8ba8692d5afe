/*
 * proteus-user (and its proteus-<arch> names): everything is in the core
 * library; this file only starts it.
 */
#include "linux-user/user-main.h"

int main(int argc, char **argv)
{
    return proteus_user_main(argc, argv);
}
