/*
 * The architectures proteus-user runs, found by ELF machine.
 */
#include "linux-user/riscv64/target.h"

const LinuxArch *const linux_arches[] = {
    &linux_arch_riscv64,
    NULL,
};

const LinuxArch *linux_arch_for_machine(uint16_t elf_machine)
{
    for (int i = 0; linux_arches[i]; i++) {
        if (linux_arches[i]->elf_machine == elf_machine) {
            return linux_arches[i];
        }
    }
    return NULL;
}
