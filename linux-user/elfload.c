/*
 * The guest ELF loader: header checks, PT_LOAD mapping with a load bias,
 * PT_INTERP, and the initial process stack.
 *
 * Segments are copied out of a read-only mapping of the file into one
 * anonymous guest mapping that spans the whole image, then each page gets
 * the union of the protections of the segments touching it (two segments
 * may share a page when their file offsets are not page-congruent) and
 * pages no segment touches are unmapped again. Copying instead of mapping
 * the file also zeroes the bss tail for free: the mapping starts zeroed.
 */
#include "linux-user/elfload.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux-user/guest-mem.h"
#include "proteus/error.h"

#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define INTERP_MAX 4096
#define ALIGN_MAX ((uint64_t)1 << 30)
#define STACK_DEFAULT ((uint64_t)8 << 20)

#define INVALID(errp, ...) error_setg_code((errp), PROTEUS_ERROR_INVALID, __VA_ARGS__)

/* ---- byte-order-aware field reads; the caller has bounds-checked p ---- */

static uint64_t get_le_be(const uint8_t *p, int n, bool be)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        v |= (uint64_t)p[be ? n - 1 - i : i] << (8 * i);
    }
    return v;
}

static void put_le_be(uint8_t *p, int n, bool be, uint64_t v)
{
    for (int i = 0; i < n; i++) {
        p[be ? n - 1 - i : i] = (uint8_t)(v >> (8 * i));
    }
}

static bool known_machine(uint16_t m)
{
    return m == ELF_MACHINE_RISCV || m == ELF_MACHINE_AARCH64 || m == ELF_MACHINE_S390;
}

static bool add_overflows(uint64_t a, uint64_t b)
{
    return a + b < a;
}

/* Checks e_ident and the machine: shared by elf_parse and elf_peek_machine. */
static bool check_ident(const uint8_t *d, size_t size, const char *name,
                        uint16_t machine, bool *be, uint16_t *mach, GError **errp)
{
    if (size < 4 || memcmp(d, ELFMAG, SELFMAG) != 0) {
        INVALID(errp, "%s: not an ELF file", name);
        return false;
    }
    if (size < EI_NIDENT) {
        INVALID(errp, "%s: truncated ELF header", name);
        return false;
    }
    if (d[EI_CLASS] == ELFCLASS32) {
        INVALID(errp, "%s: 32-bit ELF files are not supported", name);
        return false;
    }
    if (d[EI_CLASS] != ELFCLASS64) {
        INVALID(errp, "%s: bad ELF class %u", name, d[EI_CLASS]);
        return false;
    }
    if (d[EI_DATA] != ELFDATA2LSB && d[EI_DATA] != ELFDATA2MSB) {
        INVALID(errp, "%s: bad ELF byte order %u", name, d[EI_DATA]);
        return false;
    }
    if (d[EI_VERSION] != EV_CURRENT) {
        INVALID(errp, "%s: bad ELF version %u", name, d[EI_VERSION]);
        return false;
    }
    if (size < EHDR_SIZE) {
        INVALID(errp, "%s: truncated ELF header (%zu bytes)", name, size);
        return false;
    }
    *be = d[EI_DATA] == ELFDATA2MSB;
    *mach = (uint16_t)get_le_be(d + 18, 2, *be);
    if (!known_machine(*mach)) {
        INVALID(errp, "%s: unsupported machine %u", name, *mach);
        return false;
    }
    if (machine && *mach != machine) {
        INVALID(errp, "%s: machine %u, expected %u", name, *mach, machine);
        return false;
    }
    return true;
}

static bool check_interp(const uint8_t *d, size_t size, const char *name,
                         const ElfPhdr *ph, ElfInfo *info, GError **errp)
{
    if (info->interp) {
        INVALID(errp, "%s: more than one PT_INTERP", name);
        return false;
    }
    if (ph->filesz < 2 || ph->filesz > INTERP_MAX) {
        INVALID(errp, "%s: PT_INTERP size %" PRIu64 " out of range", name, ph->filesz);
        return false;
    }
    const char *s = (const char *)d + ph->offset;
    if (s[ph->filesz - 1] != '\0' || strlen(s) != ph->filesz - 1) {
        INVALID(errp, "%s: PT_INTERP is not one NUL-terminated path", name);
        return false;
    }
    info->interp = g_strdup(s);
    return true;
}

bool elf_parse(const uint8_t *d, size_t size, const char *name,
               uint16_t machine, ElfInfo *info, GError **errp)
{
    bool be;
    uint16_t mach;

    memset(info, 0, sizeof(*info));
    if (!check_ident(d, size, name, machine, &be, &mach, errp)) {
        return false;
    }
    info->big_endian = be;
    info->machine = mach;
    info->type = (uint16_t)get_le_be(d + 16, 2, be);
    if (info->type != ET_EXEC && info->type != ET_DYN) {
        INVALID(errp, "%s: ELF type %u is not an executable or shared object",
                name, info->type);
        return false;
    }
    if (get_le_be(d + 20, 4, be) != EV_CURRENT) {
        INVALID(errp, "%s: bad e_version", name);
        return false;
    }
    info->entry = get_le_be(d + 24, 8, be);
    info->phoff = get_le_be(d + 32, 8, be);
    info->flags = (uint32_t)get_le_be(d + 48, 4, be);
    uint64_t ehsize = get_le_be(d + 52, 2, be);
    uint64_t phentsize = get_le_be(d + 54, 2, be);
    uint64_t phnum = get_le_be(d + 56, 2, be);
    if (ehsize != EHDR_SIZE) {
        INVALID(errp, "%s: bad e_ehsize %" PRIu64, name, ehsize);
        return false;
    }
    if (phentsize != PHDR_SIZE) {
        INVALID(errp, "%s: bad e_phentsize %" PRIu64, name, phentsize);
        return false;
    }
    if (phnum == 0 || phnum > ELF_MAX_PHNUM) {
        INVALID(errp, "%s: e_phnum %" PRIu64 " out of range (1..%d)", name, phnum,
                ELF_MAX_PHNUM);
        return false;
    }
    if (info->phoff < EHDR_SIZE || info->phoff > size ||
        phnum * PHDR_SIZE > size - info->phoff) {
        INVALID(errp, "%s: program headers at 0x%" PRIx64 " (%" PRIu64
                " entries) lie past the end of the file", name, info->phoff, phnum);
        return false;
    }

    info->phnum = (uint16_t)phnum;
    info->phdrs = g_new0(ElfPhdr, phnum);
    info->exec_stack = true;
    info->max_align = GUEST_PAGE_SIZE;
    bool have_load = false;
    uint64_t prev_end = 0;
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *p = d + info->phoff + i * PHDR_SIZE;
        ElfPhdr *ph = &info->phdrs[i];
        ph->type = (uint32_t)get_le_be(p, 4, be);
        ph->flags = (uint32_t)get_le_be(p + 4, 4, be);
        ph->offset = get_le_be(p + 8, 8, be);
        ph->vaddr = get_le_be(p + 16, 8, be);
        ph->paddr = get_le_be(p + 24, 8, be);
        ph->filesz = get_le_be(p + 32, 8, be);
        ph->memsz = get_le_be(p + 40, 8, be);
        ph->align = get_le_be(p + 48, 8, be);

        if (ph->type == PT_GNU_STACK) {
            info->exec_stack = ph->flags & PF_X;
            continue;
        }
        if (ph->type != PT_LOAD && ph->type != PT_INTERP) {
            continue;
        }
        if (add_overflows(ph->offset, ph->filesz) || ph->offset + ph->filesz > size) {
            INVALID(errp, "%s: segment %" PRIu64 " file range 0x%" PRIx64 "+0x%" PRIx64
                    " lies past the end of the file (0x%zx bytes)",
                    name, i, ph->offset, ph->filesz, size);
            goto fail;
        }
        if (ph->type == PT_INTERP) {
            if (!check_interp(d, size, name, ph, info, errp)) {
                goto fail;
            }
            continue;
        }
        if (ph->memsz == 0) {
            continue;
        }
        if (ph->filesz > ph->memsz) {
            INVALID(errp, "%s: segment %" PRIu64 " has p_filesz 0x%" PRIx64
                    " larger than p_memsz 0x%" PRIx64, name, i, ph->filesz, ph->memsz);
            goto fail;
        }
        if (add_overflows(ph->vaddr, ph->memsz) ||
            add_overflows(ph->vaddr + ph->memsz, GUEST_PAGE_SIZE)) {
            INVALID(errp, "%s: segment %" PRIu64 " wraps around the address space",
                    name, i);
            goto fail;
        }
        if (ph->align > 1) {
            if ((ph->align & (ph->align - 1)) || ph->align > ALIGN_MAX) {
                INVALID(errp, "%s: segment %" PRIu64 " has bad p_align 0x%" PRIx64,
                        name, i, ph->align);
                goto fail;
            }
            uint64_t m = ph->align < GUEST_PAGE_SIZE ? ph->align : GUEST_PAGE_SIZE;
            if ((ph->vaddr - ph->offset) & (m - 1)) {
                INVALID(errp, "%s: segment %" PRIu64 " p_vaddr 0x%" PRIx64
                        " and p_offset 0x%" PRIx64 " disagree modulo p_align",
                        name, i, ph->vaddr, ph->offset);
                goto fail;
            }
            if (ph->align > info->max_align) {
                info->max_align = ph->align;
            }
        }
        if (have_load && ph->vaddr < prev_end) {
            INVALID(errp, "%s: segment %" PRIu64 " at 0x%" PRIx64
                    " overlaps or precedes the previous one", name, i, ph->vaddr);
            goto fail;
        }
        if (!have_load) {
            info->lo = ph->vaddr;
        }
        have_load = true;
        prev_end = ph->vaddr + ph->memsz;
        info->hi = prev_end;
    }
    if (!have_load) {
        INVALID(errp, "%s: no loadable segment", name);
        goto fail;
    }
    return true;

fail:
    elf_info_clear(info);
    return false;
}

void elf_info_clear(ElfInfo *info)
{
    g_free(info->phdrs);
    g_free(info->interp);
    memset(info, 0, sizeof(*info));
}

/* Reads the whole file through a private read-only mapping; *fdp stays
 * open for file-backed segments. */
static const uint8_t *map_file(const char *path, size_t *size, int *fdp, GError **errp)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "%s: %s", path, g_strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        INVALID(errp, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    if (st.st_size < EHDR_SIZE) {
        /* too short for mmap to be worth it; check_ident names the problem */
        static const uint8_t empty[1];
        uint8_t buf[EHDR_SIZE];
        ssize_t n = pread(fd, buf, sizeof(buf), 0);
        close(fd);
        bool be;
        uint16_t m;
        check_ident(n > 0 ? buf : empty, n > 0 ? (size_t)n : 0, path, 0, &be, &m, errp);
        return NULL;
    }
    void *p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        error_setg(errp, "%s: cannot map: %s", path, g_strerror(errno));
        close(fd);
        return NULL;
    }
    *size = st.st_size;
    *fdp = fd;
    return p;
}

bool elf_peek_machine(const char *path, uint16_t *machine, bool *big_endian,
                      GError **errp)
{
    uint8_t buf[EHDR_SIZE];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "%s: %s", path, g_strerror(errno));
        return false;
    }
    ssize_t n = pread(fd, buf, sizeof(buf), 0);
    close(fd);
    return check_ident(buf, n > 0 ? (size_t)n : 0, path, 0, big_endian, machine, errp);
}

static int segment_prot(uint32_t flags)
{
    return ((flags & PF_R) ? PROT_READ : 0) | ((flags & PF_W) ? PROT_WRITE : 0) |
           ((flags & PF_X) ? PROT_EXEC : 0);
}

/* Chooses where an image of span bytes goes; returns the load bias. */
static bool choose_bias(const ElfInfo *info, const char *path, bool is_interp,
                        uint64_t *bias, GError **errp)
{
    uint64_t lo = info->lo & GUEST_PAGE_MASK;
    uint64_t span = ((info->hi + GUEST_PAGE_SIZE - 1) & GUEST_PAGE_MASK) - lo;
    uint64_t space = guest_mem_size();

    if (info->type == ET_EXEC) {
        *bias = 0;
        if (lo < GUEST_PAGE_SIZE || !guest_range_in_space(lo, span)) {
            INVALID(errp, "%s: segments at 0x%" PRIx64 "..0x%" PRIx64
                    " lie outside the guest address space", path, info->lo, info->hi);
            return false;
        }
        return true;
    }
    if (span > space / 4) {
        INVALID(errp, "%s: image of 0x%" PRIx64 " bytes is too large", path, span);
        return false;
    }
    uint64_t align = info->max_align;
    uint64_t base;
    if (!is_interp) {
        /* like Linux's ELF_ET_DYN_BASE: two thirds up, away from the stack */
        base = (space / 3 * 2) & ~(align - 1);
    } else {
        base = guest_find_free(span, align, space / 3 * 2);
        if (!base) {
            INVALID(errp, "%s: no room for an image of 0x%" PRIx64 " bytes", path, span);
            return false;
        }
    }
    *bias = base - lo;
    return true;
}

/* Gives each page of the image the union of its segments' protections and
 * unmaps the pages between segments. */
static bool protect_image(const ElfImage *img, const char *path, GError **errp)
{
    uint64_t npages = (img->end - img->start) >> GUEST_PAGE_BITS;
    uint8_t *prot = g_malloc0(npages);
    uint8_t *used = g_malloc0(npages);
    for (unsigned i = 0; i < img->info.phnum; i++) {
        const ElfPhdr *ph = &img->info.phdrs[i];
        if (ph->type != PT_LOAD || ph->memsz == 0) {
            continue;
        }
        uint64_t s = ((ph->vaddr + img->load_bias) & GUEST_PAGE_MASK) - img->start;
        uint64_t e = ph->vaddr + img->load_bias + ph->memsz - img->start;
        for (uint64_t pg = s >> GUEST_PAGE_BITS; pg << GUEST_PAGE_BITS < e; pg++) {
            prot[pg] |= segment_prot(ph->flags);
            used[pg] = 1;
        }
    }
    bool ok = true;
    uint64_t run = 0;
    for (uint64_t pg = 1; pg <= npages && ok; pg++) {
        if (pg < npages && prot[pg] == prot[run] && used[pg] == used[run]) {
            continue;
        }
        uint64_t a = img->start + (run << GUEST_PAGE_BITS);
        uint64_t len = (pg - run) << GUEST_PAGE_BITS;
        int r = used[run] ? guest_mprotect(a, len, prot[run]) : guest_munmap(a, len);
        if (r < 0) {
            error_setg(errp, "%s: cannot protect 0x%" PRIx64 ": %s", path, a,
                       g_strerror(-r));
            ok = false;
        }
        run = pg;
    }
    g_free(prot);
    g_free(used);
    return ok;
}

static uint64_t find_phdr_addr(const ElfInfo *info, uint64_t bias)
{
    uint64_t tab = (uint64_t)info->phnum * PHDR_SIZE;
    for (unsigned i = 0; i < info->phnum; i++) {
        if (info->phdrs[i].type == PT_PHDR) {
            return info->phdrs[i].vaddr + bias;
        }
    }
    for (unsigned i = 0; i < info->phnum; i++) {
        const ElfPhdr *ph = &info->phdrs[i];
        if (ph->type == PT_LOAD && info->phoff >= ph->offset &&
            info->phoff + tab <= ph->offset + ph->filesz) {
            return ph->vaddr + (info->phoff - ph->offset) + bias;
        }
    }
    return 0;
}

/* The next PT_LOAD with contents after ph, or NULL. */
static const ElfPhdr *next_load(const ElfImage *img, const ElfPhdr *ph)
{
    for (const ElfPhdr *q = ph + 1; q < img->info.phdrs + img->info.phnum; q++) {
        if (q->type == PT_LOAD && q->memsz) {
            return q;
        }
    }
    return NULL;
}

/*
 * Maps a segment's file bytes straight from the file (private, so guest
 * writes stay in the guest) when its offset and address agree within a
 * page and it shares no page with a neighbour; then zeroes the rest of its
 * last file page. false: the caller copies instead.
 */
static bool map_segment(const ElfImage *img, const ElfPhdr *ph, const ElfPhdr *prev, int fd)
{
    const ElfPhdr *next = next_load(img, ph);
    uint64_t first = ph->vaddr & GUEST_PAGE_MASK;
    uint64_t file_end = ph->vaddr + ph->filesz;

    if ((ph->vaddr - ph->offset) & (GUEST_PAGE_SIZE - 1)) {
        return false;
    }
    if (prev && ((prev->vaddr + prev->memsz - 1) & GUEST_PAGE_MASK) >= first) {
        return false;
    }
    if (next && (next->vaddr & GUEST_PAGE_MASK) <= ((ph->vaddr + ph->memsz - 1) & GUEST_PAGE_MASK)) {
        return false;
    }
    uint64_t len = ((file_end + GUEST_PAGE_SIZE - 1) & GUEST_PAGE_MASK) - first;
    int64_t r = guest_mmap(first + img->load_bias, len, PROT_READ | PROT_WRITE,
                           MAP_FIXED | MAP_PRIVATE, fd, ph->offset & GUEST_PAGE_MASK);
    if (r < 0) {
        return false;
    }
    /* the bss starts inside the last file page: clear the file's bytes there */
    memset(guest_to_host(file_end + img->load_bias), 0, first + len - file_end);
    return true;
}

bool elf_load_image(const char *path, uint16_t machine, bool is_interp,
                    ElfImage *img, GError **errp)
{
    size_t size = 0;
    memset(img, 0, sizeof(*img));
    g_assert(guest_mem_size() != 0);
    int fd = -1;
    const uint8_t *data = map_file(path, &size, &fd, errp);
    if (!data) {
        return false;
    }
    bool ok = false;
    if (!elf_parse(data, size, path, machine, &img->info, errp)) {
        goto out;
    }
    if (is_interp && img->info.interp) {
        INVALID(errp, "%s: the interpreter has an interpreter itself", path);
        goto out;
    }
    if (!choose_bias(&img->info, path, is_interp, &img->load_bias, errp)) {
        goto out;
    }
    img->start = (img->info.lo & GUEST_PAGE_MASK) + img->load_bias;
    img->end = ((img->info.hi + GUEST_PAGE_SIZE - 1) & GUEST_PAGE_MASK) + img->load_bias;
    int64_t r = guest_mmap(img->start, img->end - img->start, PROT_READ | PROT_WRITE,
                           MAP_FIXED_NOREPLACE | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r < 0) {
        error_setg(errp, "%s: cannot map 0x%" PRIx64 " bytes at 0x%" PRIx64 ": %s",
                   path, img->end - img->start, img->start, g_strerror((int)-r));
        goto out;
    }
    const ElfPhdr *prev = NULL;
    for (unsigned i = 0; i < img->info.phnum; i++) {
        const ElfPhdr *ph = &img->info.phdrs[i];
        if (ph->type != PT_LOAD || !ph->memsz) {
            continue;
        }
        if (ph->filesz && !map_segment(img, ph, prev, fd)) {
            memcpy(guest_to_host(ph->vaddr + img->load_bias), data + ph->offset, ph->filesz);
        }
        prev = ph;
    }
    if (!protect_image(img, path, errp)) {
        guest_munmap(img->start, img->end - img->start);
        goto out;
    }
    img->entry = img->info.entry + img->load_bias;
    img->phdr_addr = find_phdr_addr(&img->info, img->load_bias);
    img->brk = img->end;
    ok = true;
out:
    munmap((void *)data, size);
    close(fd);
    if (!ok) {
        elf_info_clear(&img->info);
        memset(img, 0, sizeof(*img));
    }
    return ok;
}

void elf_image_clear(ElfImage *img)
{
    elf_info_clear(&img->info);
    memset(img, 0, sizeof(*img));
}

bool elf_load_program(const char *path, const char *sysroot, uint16_t machine,
                      ElfProgram *prog, GError **errp)
{
    memset(prog, 0, sizeof(*prog));
    if (!elf_load_image(path, machine, false, &prog->exe, errp)) {
        return false;
    }
    prog->entry = prog->exe.entry;
    if (!prog->exe.info.interp) {
        return true;
    }
    prog->interp_path = sysroot ? g_build_filename(sysroot, prog->exe.info.interp, NULL)
                                : g_strdup(prog->exe.info.interp);
    if (!elf_load_image(prog->interp_path, prog->exe.info.machine, true,
                        &prog->interp, errp)) {
        g_prefix_error(errp, "%s: interpreter: ", path);
        elf_program_clear(prog);
        return false;
    }
    prog->has_interp = true;
    prog->entry = prog->interp.entry;
    return true;
}

void elf_program_clear(ElfProgram *prog)
{
    elf_image_clear(&prog->exe);
    elf_image_clear(&prog->interp);
    g_free(prog->interp_path);
    memset(prog, 0, sizeof(*prog));
}

/* ---- the initial stack ---- */

typedef struct StackWriter {
    uint64_t pos;       /* grows down */
    uint64_t low;
    bool be;
} StackWriter;

static bool push_bytes(StackWriter *w, const void *src, size_t n, uint64_t *addr)
{
    if (w->pos - w->low < n) {
        return false;
    }
    w->pos -= n;
    memcpy(guest_to_host(w->pos), src, n);
    *addr = w->pos;
    return true;
}

static bool push_string(StackWriter *w, const char *s, uint64_t *addr)
{
    return push_bytes(w, s, strlen(s) + 1, addr);
}

bool elf_setup_stack(const ElfProgram *prog, const ElfStackParams *p,
                     uint64_t *sp, uint64_t *stack_low, GError **errp)
{
    uint64_t size = p->stack_size ? (p->stack_size + GUEST_PAGE_SIZE - 1) & GUEST_PAGE_MASK
                                  : STACK_DEFAULT;
    uint64_t top = guest_mem_size() - GUEST_PAGE_SIZE;
    g_assert(p->argc >= 0);
    if (size >= top / 2) {
        INVALID(errp, "stack size 0x%" PRIx64 " too large", size);
        return false;
    }
    int prot = PROT_READ | PROT_WRITE | (prog->exe.info.exec_stack ? PROT_EXEC : 0);
    int64_t r = guest_mmap(top - size, size, prot,
                           MAP_FIXED_NOREPLACE | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r < 0) {
        error_setg(errp, "cannot map the guest stack: %s", g_strerror((int)-r));
        return false;
    }
    StackWriter w = { .pos = top, .low = top - size, .be = prog->exe.info.big_endian };
    /* the strings may use at most a quarter of the stack, as on Linux */
    uint64_t strings_floor = top - size / 4;

    int envc = 0;
    while (p->envp && p->envp[envc]) {
        envc++;
    }
    uint64_t *argv_a = g_new0(uint64_t, p->argc + 1);
    uint64_t *envp_a = g_new0(uint64_t, envc + 1);
    uint64_t execfn_a, platform_a = 0, random_a;
    uint8_t rnd[16];
    bool ok = push_string(&w, p->execfn ? p->execfn : (p->argc ? p->argv[0] : ""),
                          &execfn_a);
    for (int i = envc - 1; ok && i >= 0; i--) {
        ok = push_string(&w, p->envp[i], &envp_a[i]);
    }
    for (int i = p->argc - 1; ok && i >= 0; i--) {
        ok = push_string(&w, p->argv[i], &argv_a[i]);
    }
    if (ok && p->platform) {
        ok = push_string(&w, p->platform, &platform_a);
    }
    if (p->random) {
        memcpy(rnd, p->random, sizeof(rnd));
    } else if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
        for (size_t i = 0; i < sizeof(rnd); i++) {
            rnd[i] = (uint8_t)g_random_int();
        }
    }
    w.pos &= ~(uint64_t)15;
    ok = ok && push_bytes(&w, rnd, sizeof(rnd), &random_a);
    if (!ok || w.pos < strings_floor) {
        INVALID(errp, "arguments and environment too long for the stack");
        g_free(argv_a);
        g_free(envp_a);
        guest_munmap(top - size, size);
        return false;
    }

    const ElfImage *exe = &prog->exe;
    uint64_t auxv[][2] = {
        { AT_PHDR, exe->phdr_addr },
        { AT_PHENT, PHDR_SIZE },
        { AT_PHNUM, exe->info.phnum },
        { AT_PAGESZ, GUEST_PAGE_SIZE },
        { AT_BASE, prog->has_interp ? prog->interp.load_bias : 0 },
        { AT_FLAGS, 0 },
        { AT_ENTRY, exe->entry },
        { AT_UID, p->uid },
        { AT_EUID, p->euid },
        { AT_GID, p->gid },
        { AT_EGID, p->egid },
        { AT_SECURE, p->secure },
        { AT_RANDOM, random_a },
        { AT_HWCAP, p->hwcap },
        { AT_EXECFN, execfn_a },
        { AT_PLATFORM, platform_a },
        { AT_NULL, 0 },
    };
    size_t nauxv = G_N_ELEMENTS(auxv);
    if (!p->platform) {
        /* drop AT_PLATFORM: move AT_NULL over it */
        auxv[nauxv - 2][0] = AT_NULL;
        nauxv--;
    }
    uint64_t words = 1 + (uint64_t)p->argc + 1 + envc + 1 + 2 * nauxv;
    if (w.pos - w.low < words * 8 + 16) {
        INVALID(errp, "too many arguments and environment strings for the stack");
        g_free(argv_a);
        g_free(envp_a);
        guest_munmap(top - size, size);
        return false;
    }
    uint64_t base = (w.pos - words * 8) & ~(uint64_t)15;
    uint64_t a = base;
#define PUT(v) do { put_le_be(guest_to_host(a), 8, w.be, (v)); a += 8; } while (0)
    PUT((uint64_t)p->argc);
    for (int i = 0; i < p->argc; i++) {
        PUT(argv_a[i]);
    }
    PUT(0);
    for (int i = 0; i < envc; i++) {
        PUT(envp_a[i]);
    }
    PUT(0);
    for (size_t i = 0; i < nauxv; i++) {
        PUT(auxv[i][0]);
        PUT(auxv[i][1]);
    }
#undef PUT
    g_assert(a <= w.pos);
    g_free(argv_a);
    g_free(envp_a);
    *sp = base;
    if (stack_low) {
        *stack_low = top - size;
    }
    return true;
}
