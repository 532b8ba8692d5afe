/*
 * The guest ELF loader and the initial process image of Linux user mode,
 * independent of the guest CPU: ELF64 in either byte order, static,
 * static-PIE and dynamic executables (the PT_INTERP interpreter loaded from
 * a sysroot with its own bias), and the initial stack of the Linux psABI
 * (argc, argv, envp, auxv, strings at the top).
 *
 * The input is untrusted: every header field is bounds-checked and a bad
 * file is refused with one message naming the file and the reason
 * (PROTEUS_ERROR_INVALID).
 */
#ifndef LINUX_USER_ELFLOAD_H
#define LINUX_USER_ELFLOAD_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Machines proteus knows (e_machine values). */
#define ELF_MACHINE_S390    22
#define ELF_MACHINE_AARCH64 183
#define ELF_MACHINE_RISCV   243

/* The most program headers accepted (Linux caps the table at 64 KiB). */
#define ELF_MAX_PHNUM 1024

/* One program header, in host byte order. */
typedef struct ElfPhdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
} ElfPhdr;

/* The checked headers of one ELF file. */
typedef struct ElfInfo {
    bool big_endian;
    uint16_t type;          /* ET_EXEC or ET_DYN */
    uint16_t machine;
    uint32_t flags;         /* e_flags */
    uint64_t entry;         /* unbiased */
    uint64_t phoff;
    uint16_t phnum;
    ElfPhdr *phdrs;         /* phnum entries, g_free'd by elf_info_clear */
    char *interp;           /* PT_INTERP path or NULL */
    bool exec_stack;        /* PT_GNU_STACK has PF_X (true when absent) */
    uint64_t lo, hi;        /* PT_LOAD span: lowest vaddr, highest vaddr+memsz */
    uint64_t max_align;     /* largest PT_LOAD p_align (at least a page) */
} ElfInfo;

/*
 * Checks and parses the ELF headers in data[0, size) (the whole file).
 * name is used in messages. machine 0 accepts any of the known machines.
 */
bool elf_parse(const uint8_t *data, size_t size, const char *name,
               uint16_t machine, ElfInfo *info, GError **errp);
void elf_info_clear(ElfInfo *info);

/* Reads only enough of path to report its machine and byte order, so the
 * caller can pick the guest architecture. */
bool elf_peek_machine(const char *path, uint16_t *machine, bool *big_endian,
                      GError **errp);

/* One file mapped into guest memory. */
typedef struct ElfImage {
    ElfInfo info;
    uint64_t load_bias;     /* added to every vaddr (0 for ET_EXEC) */
    uint64_t entry;         /* biased entry point */
    uint64_t phdr_addr;     /* guest address of the program headers, 0 if not loaded */
    uint64_t start, end;    /* biased, page-aligned span of the mapping */
    uint64_t brk;           /* page-aligned end of the highest segment */
} ElfImage;

/* The program and, for a dynamic one, its interpreter. */
typedef struct ElfProgram {
    ElfImage exe;
    ElfImage interp;
    bool has_interp;
    uint64_t entry;         /* where the guest starts: interp's entry or exe's */
    char *interp_path;      /* host path the interpreter was loaded from */
} ElfProgram;

/*
 * Maps the file at path into the guest space (guest_mem_init first), and
 * if it has PT_INTERP, loads the interpreter from sysroot (NULL: the host
 * root) with its own bias. machine 0 accepts any known machine.
 */
bool elf_load_program(const char *path, const char *sysroot, uint16_t machine,
                      ElfProgram *prog, GError **errp);
/* Loads a single file (no interpreter). */
bool elf_load_image(const char *path, uint16_t machine, bool is_interp,
                    ElfImage *img, GError **errp);
void elf_program_clear(ElfProgram *prog);
void elf_image_clear(ElfImage *img);

/* What the initial stack carries. */
typedef struct ElfStackParams {
    int argc;
    char **argv;
    char **envp;            /* NULL-terminated, may be NULL */
    const char *execfn;     /* AT_EXECFN string; NULL: argv[0] */
    const char *platform;   /* AT_PLATFORM string or NULL to omit it */
    uint64_t hwcap;
    uint64_t uid, euid, gid, egid;
    bool secure;
    const uint8_t *random;  /* 16 AT_RANDOM bytes; NULL: from getrandom */
    uint64_t stack_size;    /* 0: 8 MiB */
} ElfStackParams;

/*
 * Maps the stack below the top of the guest space (one guard page above it)
 * and writes the initial process stack. *sp is 16-byte aligned and points
 * at argc; *stack_low is the lowest stack address.
 */
bool elf_setup_stack(const ElfProgram *prog, const ElfStackParams *p,
                     uint64_t *sp, uint64_t *stack_low, GError **errp);

#endif
