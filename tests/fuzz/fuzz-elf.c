/*
 * libFuzzer target for the ELF header parser of Linux user mode: any input
 * is either accepted (and the parsed program headers are consistent) or
 * refused with a message; never a crash or an out-of-bounds read.
 */
#include <stddef.h>
#include <stdint.h>

#include "linux-user/elfload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ElfInfo info;
    GError *err = NULL;

    if (elf_parse(data, size, "fuzz-input", 0, &info, &err)) {
        g_assert(info.phnum >= 1 && info.phnum <= ELF_MAX_PHNUM);
        g_assert(info.lo <= info.hi);
        g_assert(info.phoff + (uint64_t)info.phnum * 56 <= size);
        for (unsigned i = 0; i < info.phnum; i++) {
            const ElfPhdr *ph = &info.phdrs[i];
            if (ph->type == 1 /* PT_LOAD */ && ph->memsz) {
                g_assert(ph->filesz <= ph->memsz);
                g_assert(ph->offset + ph->filesz <= size);
            }
        }
        elf_info_clear(&info);
    } else {
        g_assert(err && err->message[0]);
        g_error_free(err);
    }
    return 0;
}
