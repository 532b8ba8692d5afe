/*
 * proteus-system: everything lives in the core library so that tests and
 * tools link the same code; this file only starts it.
 */
#include "system/system.h"

int main(int argc, char **argv)
{
    return proteus_system_main(argc, argv);
}
