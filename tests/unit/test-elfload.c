/*
 * The Linux user-mode ELF loader and initial stack: real riscv64 programs
 * built at build time (static, static-PIE, dynamic) are loaded into a guest
 * space and checked against the file as read here with <elf.h>; then many
 * corrupted copies must each be refused with a message, never a crash.
 */
#include <elf.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "linux-user/elfload.h"
#include "linux-user/guest-mem.h"
#include "proteus/error.h"

#define SYSROOT "/usr/riscv64-linux-gnu"

static char *bin_path(const char *name)
{
    const char *dir = g_getenv("RISCV64_TEST_BINS");
    g_assert_nonnull(dir);
    return g_build_filename(dir, name, NULL);
}

static guint8 *read_bin(const char *name, gsize *len)
{
    char *path = bin_path(name);
    gchar *data = NULL;
    g_assert_true(g_file_get_contents(path, &data, len, NULL));
    g_free(path);
    return (guint8 *)data;
}

static void mem_init(void)
{
    GError *err = NULL;
    g_assert_true(guest_mem_init(GUEST_MEM_DEFAULT_SIZE, &err));
    g_assert_no_error(err);
}

static uint64_t page_up(uint64_t x)
{
    return (x + GUEST_PAGE_SIZE - 1) & GUEST_PAGE_MASK;
}

/* Every PT_LOAD is at vaddr + bias with the file's bytes, a zeroed bss and
 * its protections; returns the end of the highest segment. */
static uint64_t check_segments(const guint8 *file, uint64_t bias)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)file;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(file + eh->e_phoff);
    uint64_t hi = 0;
    int loads = 0;
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD) {
            continue;
        }
        loads++;
        uint64_t a = ph[i].p_vaddr + bias;
        const guint8 *g = guest_to_host(a);
        g_assert_cmpint(memcmp(g, file + ph[i].p_offset, ph[i].p_filesz), ==, 0);
        for (uint64_t k = ph[i].p_filesz; k < ph[i].p_memsz; k++) {
            g_assert_cmpint(g[k], ==, 0);
        }
        /* the zeroed tail reaches the end of the last page */
        for (uint64_t k = a + ph[i].p_memsz; k < page_up(a + ph[i].p_memsz); k++) {
            g_assert_cmpint(*(guint8 *)guest_to_host(k), ==, 0);
        }
        unsigned want = GUEST_PAGE_VALID |
                        ((ph[i].p_flags & PF_R) ? GUEST_PAGE_READ : 0) |
                        ((ph[i].p_flags & PF_W) ? GUEST_PAGE_WRITE : 0) |
                        ((ph[i].p_flags & PF_X) ? GUEST_PAGE_EXEC : 0);
        for (uint64_t p = a & GUEST_PAGE_MASK; p < a + ph[i].p_memsz; p += GUEST_PAGE_SIZE) {
            g_assert_cmphex(guest_page_flags(p) & want, ==, want);
        }
        /* pages wholly inside the segment have exactly its protections */
        uint64_t inner = page_up(a) + GUEST_PAGE_SIZE;
        if (inner + GUEST_PAGE_SIZE <= ((a + ph[i].p_memsz) & GUEST_PAGE_MASK)) {
            g_assert_cmphex(guest_page_flags(inner), ==, want);
        }
        hi = MAX(hi, a + ph[i].p_memsz);
    }
    g_assert_cmpint(loads, >=, 1);
    return hi;
}

static uint64_t expected_phdr(const guint8 *file, uint64_t bias)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)file;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(file + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_PHDR) {
            return ph[i].p_vaddr + bias;
        }
    }
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && eh->e_phoff >= ph[i].p_offset &&
            eh->e_phoff + eh->e_phnum * sizeof(*ph) <= ph[i].p_offset + ph[i].p_filesz) {
            return ph[i].p_vaddr + (eh->e_phoff - ph[i].p_offset) + bias;
        }
    }
    return 0;
}

static void check_image(const ElfImage *img, const guint8 *file)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)file;
    g_assert_cmpint(img->info.machine, ==, ELF_MACHINE_RISCV);
    g_assert_false(img->info.big_endian);
    g_assert_cmpint(img->info.type, ==, eh->e_type);
    g_assert_cmphex(img->load_bias & (GUEST_PAGE_SIZE - 1), ==, 0);
    uint64_t hi = check_segments(file, img->load_bias);
    g_assert_cmphex(img->entry, ==, eh->e_entry + img->load_bias);
    g_assert_cmphex(img->brk, ==, page_up(hi));
    uint64_t phdr = expected_phdr(file, img->load_bias);
    g_assert_cmphex(img->phdr_addr, ==, phdr);
    g_assert_cmphex(phdr, !=, 0);
    g_assert_cmpint(memcmp(guest_to_host(phdr), file + eh->e_phoff,
                           eh->e_phnum * sizeof(Elf64_Phdr)), ==, 0);
    g_assert_true(guest_range_mapped(img->entry, 4, GUEST_PAGE_EXEC | GUEST_PAGE_READ));
}

static uint64_t rd64(uint64_t a)
{
    uint64_t v;
    memcpy(&v, guest_to_host(a), 8);
    return v;
}

static const char *gstr(uint64_t a)
{
    return guest_to_host(a);
}

/* Parses the initial stack back and checks every field. */
static void check_stack(const ElfProgram *prog, const ElfStackParams *p, uint64_t sp,
                        uint64_t low)
{
    uint64_t top = guest_mem_size() - GUEST_PAGE_SIZE;
    g_assert_cmphex(sp & 15, ==, 0);
    g_assert_cmphex(sp, >, low);
    g_assert_cmphex(sp, <, top);
    g_assert_true(guest_range_mapped(low, top - low, GUEST_PAGE_READ | GUEST_PAGE_WRITE));
    g_assert_cmpuint(guest_page_flags(top), ==, 0);

    uint64_t a = sp;
    g_assert_cmpuint(rd64(a), ==, (uint64_t)p->argc);
    a += 8;
    for (int i = 0; i < p->argc; i++, a += 8) {
        g_assert_cmphex(rd64(a), >, sp);
        g_assert_cmphex(rd64(a), <, top);
        g_assert_cmpstr(gstr(rd64(a)), ==, p->argv[i]);
    }
    g_assert_cmpuint(rd64(a), ==, 0);
    a += 8;
    for (int i = 0; p->envp[i]; i++, a += 8) {
        g_assert_cmpstr(gstr(rd64(a)), ==, p->envp[i]);
    }
    g_assert_cmpuint(rd64(a), ==, 0);
    a += 8;

    GHashTable *aux = g_hash_table_new(g_int64_hash, g_int64_equal);
    static guint64 keys[64], vals[64];
    int n = 0;
    for (;; a += 16, n++) {
        g_assert_cmpint(n, <, 64);
        keys[n] = rd64(a);
        vals[n] = rd64(a + 8);
        g_assert_false(g_hash_table_contains(aux, &keys[n]));
        g_hash_table_insert(aux, &keys[n], &vals[n]);
        if (keys[n] == AT_NULL) {
            break;
        }
    }
#define AUX(t) (*(guint64 *)({ guint64 k_ = (t); \
    gpointer v_ = g_hash_table_lookup(aux, &k_); g_assert_nonnull(v_); v_; }))
    g_assert_cmphex(AUX(AT_PHDR), ==, prog->exe.phdr_addr);
    g_assert_cmpuint(AUX(AT_PHENT), ==, sizeof(Elf64_Phdr));
    g_assert_cmpuint(AUX(AT_PHNUM), ==, prog->exe.info.phnum);
    g_assert_cmpuint(AUX(AT_PAGESZ), ==, 4096);
    g_assert_cmphex(AUX(AT_BASE), ==, prog->has_interp ? prog->interp.load_bias : 0);
    g_assert_cmpuint(AUX(AT_FLAGS), ==, 0);
    g_assert_cmphex(AUX(AT_ENTRY), ==, prog->exe.entry);
    g_assert_cmpuint(AUX(AT_UID), ==, p->uid);
    g_assert_cmpuint(AUX(AT_EUID), ==, p->euid);
    g_assert_cmpuint(AUX(AT_GID), ==, p->gid);
    g_assert_cmpuint(AUX(AT_EGID), ==, p->egid);
    g_assert_cmpuint(AUX(AT_SECURE), ==, p->secure);
    g_assert_cmphex(AUX(AT_HWCAP), ==, p->hwcap);
    g_assert_cmpstr(gstr(AUX(AT_EXECFN)), ==, p->execfn);
    uint64_t rnd = AUX(AT_RANDOM);
    g_assert_cmphex(rnd, >, a);
    g_assert_cmphex(rnd + 16, <=, top);
    g_assert_cmpint(memcmp(guest_to_host(rnd), p->random, 16), ==, 0);
    guint64 plat = AT_PLATFORM;
    if (p->platform) {
        g_assert_cmpstr(gstr(AUX(AT_PLATFORM)), ==, p->platform);
    } else {
        g_assert_false(g_hash_table_contains(aux, &plat));
    }
    g_assert_cmpint(n, ==, p->platform ? 16 : 15);
#undef AUX
    g_hash_table_destroy(aux);
}

static const guint8 test_random[16] = {
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0xff,
};

static void run_stack(const ElfProgram *prog, const char *platform)
{
    char *argv[] = { "prog", "", "second arg", NULL };
    char *envp[] = { "A=1", "HOME=/home/guest", "EMPTY=", NULL };
    ElfStackParams p = {
        .argc = 3, .argv = argv, .envp = envp, .execfn = "/usr/bin/prog",
        .platform = platform, .hwcap = 0x112d, .uid = 1000, .euid = 1001,
        .gid = 100, .egid = 101, .secure = false, .random = test_random,
    };
    uint64_t sp, low;
    GError *err = NULL;
    g_assert_true(elf_setup_stack(prog, &p, &sp, &low, &err));
    g_assert_no_error(err);
    check_stack(prog, &p, sp, low);
}

static void test_static(void)
{
    gsize len;
    guint8 *file = read_bin("hello-static", &len);
    char *path = bin_path("hello-static");
    ElfProgram prog;
    GError *err = NULL;
    uint16_t m;
    bool be;

    g_assert_true(elf_peek_machine(path, &m, &be, &err));
    g_assert_cmpint(m, ==, ELF_MACHINE_RISCV);
    g_assert_false(be);

    mem_init();
    g_assert_true(elf_load_program(path, SYSROOT, ELF_MACHINE_RISCV, &prog, &err));
    g_assert_no_error(err);
    g_assert_cmpint(prog.exe.info.type, ==, ET_EXEC);
    g_assert_cmphex(prog.exe.load_bias, ==, 0);
    g_assert_false(prog.has_interp);
    g_assert_null(prog.exe.info.interp);
    g_assert_false(prog.exe.info.exec_stack);
    g_assert_cmphex(prog.entry, ==, prog.exe.entry);
    check_image(&prog.exe, file);
    /* the page-congruent segments come straight from the file */
    gchar *maps = NULL;
    g_assert_true(g_file_get_contents("/proc/self/maps", &maps, NULL, NULL));
    g_assert_nonnull(strstr(maps, path));
    g_free(maps);
    /* nothing below the image, and page 0 never mapped */
    g_assert_cmpuint(guest_page_flags(0), ==, 0);
    g_assert_cmpuint(guest_page_flags(prog.exe.start - 1), ==, 0);
    run_stack(&prog, "riscv64");

    /* loading again at the same fixed address must fail, not clobber */
    ElfImage again;
    g_assert_false(elf_load_image(path, 0, false, &again, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, path));
    g_clear_error(&err);
    check_segments(file, 0);

    elf_program_clear(&prog);
    guest_mem_destroy();
    g_free(path);
    g_free(file);
}

static void test_static_pie(void)
{
    gsize len;
    guint8 *file = read_bin("minimal-static-pie", &len);
    char *path = bin_path("minimal-static-pie");
    ElfProgram prog;
    GError *err = NULL;

    mem_init();
    g_assert_true(elf_load_program(path, NULL, 0, &prog, &err));
    g_assert_no_error(err);
    g_assert_cmpint(prog.exe.info.type, ==, ET_DYN);
    g_assert_cmphex(prog.exe.load_bias, !=, 0);
    g_assert_false(prog.has_interp);
    check_image(&prog.exe, file);
    run_stack(&prog, NULL);
    elf_program_clear(&prog);
    guest_mem_destroy();
    g_free(path);
    g_free(file);
}

static void test_dynamic(void)
{
    gsize len;
    guint8 *file = read_bin("hello-dyn", &len);
    char *path = bin_path("hello-dyn");
    ElfProgram prog;
    GError *err = NULL;

    mem_init();
    /* a sysroot without the interpreter: one message naming both */
    g_assert_false(elf_load_program(path, "/nonexistent-sysroot", 0, &prog, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, path));
    g_assert_nonnull(strstr(err->message, "interpreter"));
    g_clear_error(&err);
    guest_mem_destroy();

    mem_init();
    if (!g_file_test(SYSROOT, G_FILE_TEST_IS_DIR)) {
        g_test_skip("no riscv64 sysroot");
    } else {
        g_assert_true(elf_load_program(path, SYSROOT, ELF_MACHINE_RISCV, &prog, &err));
        g_assert_no_error(err);
        g_assert_cmpstr(prog.exe.info.interp, ==, "/lib/ld-linux-riscv64-lp64d.so.1");
        g_assert_true(prog.has_interp);
        g_assert_cmpint(prog.interp.info.type, ==, ET_DYN);
        g_assert_cmphex(prog.entry, ==, prog.interp.entry);
        g_assert_true(prog.interp.end <= prog.exe.start || prog.interp.start >= prog.exe.end);
        check_image(&prog.exe, file);
        gsize ilen;
        gchar *interp_file;
        g_assert_true(g_file_get_contents(prog.interp_path, &interp_file, &ilen, NULL));
        check_image(&prog.interp, (guint8 *)interp_file);
        g_free(interp_file);
        run_stack(&prog, "riscv64");
        elf_program_clear(&prog);
    }
    guest_mem_destroy();
    g_free(path);
    g_free(file);
}

/* ---- corrupted files ---- */

static char *tmp_dir;

/* Writes data to a file and loads it: must fail with a message naming it. */
static void expect_refused(const guint8 *data, gsize len, uint16_t machine, const char *why)
{
    static int serial;
    char *path = g_strdup_printf("%s/bad-%d", tmp_dir, serial++);
    GError *err = NULL;
    ElfImage img;
    ElfInfo info;

    g_assert_true(g_file_set_contents(path, (const gchar *)data, len, NULL));
    if (elf_load_image(path, machine, false, &img, &err)) {
        g_error("%s: accepted (%s)", why, path);
    }
    g_assert_nonnull(err);
    g_assert_true(err->domain == PROTEUS_ERROR);
    g_assert_nonnull(strstr(err->message, path));
    g_test_message("%s: %s", why, err->message);
    g_clear_error(&err);
    /* the parser alone (the fuzz target's entry point) agrees, given the
     * reason was not where the image lands */
    if (elf_parse(data, len, "buf", machine, &info, &err)) {
        elf_info_clear(&info);
    } else {
        g_assert_nonnull(err);
        g_assert_cmpint(err->code, ==, PROTEUS_ERROR_INVALID);
        g_clear_error(&err);
    }
    g_unlink(path);
    g_free(path);
}

static Elf64_Phdr *nth_load(guint8 *f, int n)
{
    Elf64_Ehdr *eh = (Elf64_Ehdr *)f;
    Elf64_Phdr *ph = (Elf64_Phdr *)(f + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && n-- == 0) {
            return &ph[i];
        }
    }
    g_assert_not_reached();
}

static void test_corrupt(void)
{
    gsize len;
    guint8 *good = read_bin("hello-static", &len);
    guint8 *f = g_malloc(len);
    const Elf64_Ehdr *geh = (const Elf64_Ehdr *)good;
    Elf64_Ehdr *eh = (Elf64_Ehdr *)f;
    GError *err = NULL;

    tmp_dir = g_dir_make_tmp(NULL, &err);
    g_assert_no_error(err);
    mem_init();

    /* truncated anywhere before the end of the last segment's file bytes */
    uint64_t need = 0;
    for (int i = 0; i < 2; i++) {
        Elf64_Phdr *ph = nth_load(good, i);
        need = MAX(need, ph->p_offset + ph->p_filesz);
    }
    static const gsize cuts[] = { 0, 1, 3, 4, 5, 15, 16, 17, 63, 64, 65, 100 };
    for (gsize i = 0; i < G_N_ELEMENTS(cuts); i++) {
        expect_refused(good, cuts[i], 0, "truncated header");
    }
    for (gsize cut = 200; cut < need; cut += cut < 1000 ? 53 : 9973) {
        expect_refused(good, cut, 0, "truncated");
    }
    expect_refused(good, need - 1, 0, "truncated by one byte");

#define MUTATE(why, stmt) do { memcpy(f, good, len); stmt; expect_refused(f, len, 0, why); } while (0)
    MUTATE("not ELF", memcpy(f, "#!/bin/sh\n", 10));
    MUTATE("32-bit", f[EI_CLASS] = ELFCLASS32);
    MUTATE("bad class", f[EI_CLASS] = 7);
    MUTATE("bad data", f[EI_DATA] = 0);
    MUTATE("bad ident version", f[EI_VERSION] = 2);
    MUTATE("wrong machine", eh->e_machine = EM_X86_64);
    MUTATE("relocatable", eh->e_type = ET_REL);
    MUTATE("core", eh->e_type = ET_CORE);
    MUTATE("e_version", eh->e_version = 0);
    MUTATE("e_ehsize", eh->e_ehsize = 52);
    MUTATE("phentsize", eh->e_phentsize = 32);
    MUTATE("phnum 0", eh->e_phnum = 0);
    MUTATE("phnum xnum", eh->e_phnum = 0xffff);
    MUTATE("phnum large", eh->e_phnum = 2000);
    MUTATE("phoff 0", eh->e_phoff = 0);
    MUTATE("phoff past end", eh->e_phoff = len);
    MUTATE("phoff near end", eh->e_phoff = len - 56);
    MUTATE("phoff huge", eh->e_phoff = ~(uint64_t)0 - 8);
    MUTATE("p_offset huge", nth_load(f, 0)->p_offset = (uint64_t)1 << 63);
    MUTATE("p_offset past end", nth_load(f, 1)->p_offset = len);
    MUTATE("p_filesz past end", nth_load(f, 1)->p_filesz = len);
    MUTATE("p_filesz wraps", nth_load(f, 1)->p_filesz = ~(uint64_t)0);
    MUTATE("filesz > memsz", nth_load(f, 1)->p_memsz = nth_load(f, 1)->p_filesz - 1);
    MUTATE("memsz wraps", nth_load(f, 1)->p_memsz = ~(uint64_t)0 - 100);
    MUTATE("memsz beyond space", nth_load(f, 1)->p_memsz = (uint64_t)1 << 40);
    MUTATE("vaddr 0 for ET_EXEC", nth_load(f, 0)->p_vaddr = 0;
           nth_load(f, 0)->p_offset = 0);
    MUTATE("vaddr beyond space", nth_load(f, 1)->p_vaddr += (uint64_t)1 << 44);
    MUTATE("vaddr wraps", nth_load(f, 1)->p_vaddr = ~(uint64_t)0 - 4095);
    MUTATE("vaddr misaligned", nth_load(f, 1)->p_vaddr += 8);
    MUTATE("align not power of two", nth_load(f, 1)->p_align = 0x3000);
    MUTATE("align huge", nth_load(f, 1)->p_align = (uint64_t)1 << 40);
    MUTATE("overlap", nth_load(f, 1)->p_vaddr = nth_load(f, 0)->p_vaddr + 0x1000;
           nth_load(f, 1)->p_offset = 0x1000);
    MUTATE("unordered", { Elf64_Phdr t = *nth_load(f, 0);
                          *nth_load(f, 0) = *nth_load(f, 1); *nth_load(f, 1) = t; });
    MUTATE("no PT_LOAD", for (int i = 0; i < eh->e_phnum; i++) {
               Elf64_Phdr *ph = (Elf64_Phdr *)(f + eh->e_phoff) + i;
               if (ph->p_type == PT_LOAD) {
                   ph->p_type = PT_NOTE;
               }
           });
    /* a PT_INTERP that is not one terminated path */
    Elf64_Phdr *note = NULL;
    memcpy(f, good, len);
    for (int i = 0; i < geh->e_phnum; i++) {
        Elf64_Phdr *ph = (Elf64_Phdr *)(f + geh->e_phoff) + i;
        if (ph->p_type == PT_NOTE) {
            note = ph;
        }
    }
    g_assert_nonnull(note);
    uint64_t note_idx = note - (Elf64_Phdr *)(f + geh->e_phoff);
#define INTERP(why, off, sz) MUTATE(why, { \
        Elf64_Phdr *ph = (Elf64_Phdr *)(f + eh->e_phoff) + note_idx; \
        ph->p_type = PT_INTERP; ph->p_offset = (off); ph->p_filesz = (sz); })
    INTERP("interp unterminated", 1, 3);              /* "ELF" then \2 */
    INTERP("interp embedded NUL", 0, 64);
    INTERP("interp too short", 0, 1);
    INTERP("interp too long", 0, 10000);
    INTERP("interp past end", len - 2, 10);
#undef INTERP
#undef MUTATE
    /* the right file for another machine */
    expect_refused(good, len, ELF_MACHINE_AARCH64, "expected aarch64");

    /* random byte flips in the headers: refused or loaded, never a crash */
    GRand *rnd = g_rand_new_with_seed(4);
    guint8 *small = read_bin("minimal-static-pie", &len);
    guint8 *m = g_malloc(len);
    for (int iter = 0; iter < 400; iter++) {
        memcpy(m, small, len);
        int flips = g_rand_int_range(rnd, 1, 6);
        for (int k = 0; k < flips; k++) {
            gsize limit = MIN(len, 64 + 56 * 10);
            m[g_rand_int_range(rnd, 0, limit)] ^= 1u << g_rand_int_range(rnd, 0, 8);
        }
        ElfInfo info;
        if (elf_parse(m, len, "flip", 0, &info, &err)) {
            elf_info_clear(&info);
        } else {
            g_assert_nonnull(err);
            g_assert_nonnull(strstr(err->message, "flip"));
            g_clear_error(&err);
        }
    }
    g_rand_free(rnd);
    g_free(m);
    g_free(small);

    guest_mem_destroy();
    g_rmdir(tmp_dir);
    g_free(tmp_dir);
    g_free(f);
    g_free(good);
}

/* ---- a synthetic big-endian (s390x) file: the other byte order ---- */

static void put_be(guint8 *p, int n, uint64_t v)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8) {
        p[i] = (guint8)v;
    }
}

static uint64_t rd_be64(uint64_t a)
{
    const guint8 *p = guest_to_host(a);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static void test_big_endian(void)
{
    enum { SIZE = 0x1100, VADDR = 0x400000 };
    guint8 *f = g_malloc0(SIZE);
    GError *err = NULL;

    memcpy(f, ELFMAG, SELFMAG);
    f[EI_CLASS] = ELFCLASS64;
    f[EI_DATA] = ELFDATA2MSB;
    f[EI_VERSION] = EV_CURRENT;
    put_be(f + 16, 2, ET_EXEC);
    put_be(f + 18, 2, ELF_MACHINE_S390);
    put_be(f + 20, 4, EV_CURRENT);
    put_be(f + 24, 8, VADDR + 0x1000);          /* e_entry */
    put_be(f + 32, 8, 64);                       /* e_phoff */
    put_be(f + 52, 2, 64);
    put_be(f + 54, 2, 56);
    put_be(f + 56, 2, 2);
    guint8 *ph = f + 64;
    put_be(ph, 4, PT_LOAD);
    put_be(ph + 4, 4, PF_R | PF_X);
    put_be(ph + 16, 8, VADDR);
    put_be(ph + 32, 8, SIZE);
    put_be(ph + 40, 8, 0x3000);
    put_be(ph + 48, 8, 0x1000);
    ph += 56;
    put_be(ph, 4, PT_GNU_STACK);
    put_be(ph + 4, 4, PF_R | PF_W);
    for (int i = 0x1000; i < SIZE; i++) {
        f[i] = (guint8)(i * 7);
    }

    char *dir = g_dir_make_tmp(NULL, &err);
    g_assert_no_error(err);
    char *path = g_build_filename(dir, "s390x", NULL);
    g_assert_true(g_file_set_contents(path, (gchar *)f, SIZE, NULL));
    uint16_t m;
    bool be;
    g_assert_true(elf_peek_machine(path, &m, &be, &err));
    g_assert_cmpint(m, ==, ELF_MACHINE_S390);
    g_assert_true(be);

    mem_init();
    ElfProgram prog;
    g_assert_false(elf_load_program(path, NULL, ELF_MACHINE_RISCV, &prog, &err));
    g_clear_error(&err);
    g_assert_true(elf_load_program(path, NULL, ELF_MACHINE_S390, &prog, &err));
    g_assert_no_error(err);
    g_assert_true(prog.exe.info.big_endian);
    g_assert_false(prog.exe.info.exec_stack);
    g_assert_cmphex(prog.entry, ==, VADDR + 0x1000);
    g_assert_cmphex(prog.exe.phdr_addr, ==, VADDR + 64);
    g_assert_cmphex(prog.exe.brk, ==, VADDR + 0x3000);
    g_assert_cmpint(memcmp(guest_to_host(VADDR), f, SIZE), ==, 0);
    g_assert_cmpuint(*(guint8 *)guest_to_host(VADDR + 0x2fff), ==, 0);
    g_assert_cmphex(guest_page_flags(VADDR + 0x2000), ==,
                    GUEST_PAGE_VALID | GUEST_PAGE_READ | GUEST_PAGE_EXEC);

    char *argv[] = { "s390x", NULL };
    char *envp[] = { NULL };
    ElfStackParams p = { .argc = 1, .argv = argv, .envp = envp, .random = test_random };
    uint64_t sp, low;
    g_assert_true(elf_setup_stack(&prog, &p, &sp, &low, &err));
    g_assert_no_error(err);
    g_assert_cmphex(sp & 15, ==, 0);
    g_assert_cmpuint(rd_be64(sp), ==, 1);
    g_assert_cmpstr(gstr(rd_be64(sp + 8)), ==, "s390x");
    g_assert_cmpuint(rd_be64(sp + 16), ==, 0);
    g_assert_cmpuint(rd_be64(sp + 24), ==, 0);
    g_assert_cmpuint(rd_be64(sp + 32), ==, AT_PHDR);
    g_assert_cmphex(rd_be64(sp + 40), ==, VADDR + 64);
    /* no exec permission on the stack without PF_X in PT_GNU_STACK */
    g_assert_cmphex(guest_page_flags(sp) & GUEST_PAGE_EXEC, ==, 0);
    elf_program_clear(&prog);
    guest_mem_destroy();

    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
    g_free(f);
}

/* ---- guest mmap/munmap/mprotect ---- */

static void test_guest_mmap(void)
{
    mem_init();
    uint64_t top = guest_mem_size();
    int64_t a = guest_mmap(0, 3 * GUEST_PAGE_SIZE, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert_cmpint(a, >, 0);
    g_assert_cmphex(a & (GUEST_PAGE_SIZE - 1), ==, 0);
    g_assert_cmphex((uint64_t)a + 3 * GUEST_PAGE_SIZE, <=, top);
    memset(guest_to_host(a), 0x5a, 3 * GUEST_PAGE_SIZE);
    /* the next one goes below, without overlap */
    int64_t b = guest_mmap(0, GUEST_PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert_cmpint(b, >, 0);
    g_assert_true(b + (int64_t)GUEST_PAGE_SIZE <= a);
    /* fixed-noreplace over a mapping fails, MAP_FIXED replaces */
    g_assert_cmpint(guest_mmap(a, GUEST_PAGE_SIZE, PROT_READ,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
                    ==, -EEXIST);
    g_assert_cmpint(guest_mmap(a, GUEST_PAGE_SIZE, PROT_READ,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), ==, a);
    g_assert_cmpuint(*(guint8 *)guest_to_host(a), ==, 0);
    g_assert_cmpuint(*(guint8 *)guest_to_host(a + GUEST_PAGE_SIZE), ==, 0x5a);
    g_assert_cmphex(guest_page_flags(a), ==, GUEST_PAGE_VALID | GUEST_PAGE_READ);
    g_assert_cmpint(guest_mprotect(a + GUEST_PAGE_SIZE, GUEST_PAGE_SIZE, PROT_READ | PROT_EXEC),
                    ==, 0);
    g_assert_cmphex(guest_page_flags(a + GUEST_PAGE_SIZE), ==,
                    GUEST_PAGE_VALID | GUEST_PAGE_READ | GUEST_PAGE_EXEC);
    g_assert_cmpint(guest_munmap(a, GUEST_PAGE_SIZE), ==, 0);
    g_assert_cmpuint(guest_page_flags(a), ==, 0);
    g_assert_false(guest_range_mapped(a, 2 * GUEST_PAGE_SIZE, 0));
    g_assert_true(guest_range_mapped(a + GUEST_PAGE_SIZE, 2 * GUEST_PAGE_SIZE, GUEST_PAGE_READ));
    /* mprotect of an unmapped page, bad arguments, outside the space */
    g_assert_cmpint(guest_mprotect(a, GUEST_PAGE_SIZE, PROT_READ), ==, -ENOMEM);
    g_assert_cmpint(guest_mmap(1, 10, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
                    ==, -EINVAL);
    g_assert_cmpint(guest_mmap(top, GUEST_PAGE_SIZE, PROT_READ,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), ==, -ENOMEM);
    g_assert_cmpint(guest_munmap(top - GUEST_PAGE_SIZE, 2 * GUEST_PAGE_SIZE), ==, -EINVAL);
    g_assert_cmpint(guest_mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ==, -EINVAL);
    /* a free range is found below a used one, aligned */
    uint64_t f = guest_find_free(GUEST_PAGE_SIZE, 1 << 20, top);
    g_assert_cmphex(f & ((1 << 20) - 1), ==, 0);
    g_assert_true(f + GUEST_PAGE_SIZE <= (uint64_t)b);
    guest_mem_destroy();
}

/* Arguments that do not fit the stack are refused and leave it unmapped. */
static void test_stack_limits(void)
{
    char *path = bin_path("minimal-static-pie");
    ElfProgram prog;
    GError *err = NULL;
    uint64_t sp, low;

    mem_init();
    g_assert_true(elf_load_program(path, NULL, 0, &prog, &err));
    char **many = g_new0(char *, 2001);
    for (int i = 0; i < 2000; i++) {
        many[i] = "";
    }
    char *envp[] = { NULL };
    ElfStackParams p = { .argc = 2000, .argv = many, .envp = envp,
                         .stack_size = 16 * 1024 };
    g_assert_false(elf_setup_stack(&prog, &p, &sp, &low, &err));
    g_assert_cmpint(err->code, ==, PROTEUS_ERROR_INVALID);
    g_clear_error(&err);
    char *big = g_malloc(5000);
    memset(big, 'x', 4999);
    big[4999] = 0;
    char *one[] = { big, NULL };
    p.argc = 1;
    p.argv = one;
    g_assert_false(elf_setup_stack(&prog, &p, &sp, &low, &err));
    g_clear_error(&err);
    p.stack_size = 0;
    g_assert_true(elf_setup_stack(&prog, &p, &sp, &low, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(gstr(rd64(sp + 8)), ==, big);
    g_free(big);
    g_free(many);
    elf_program_clear(&prog);
    guest_mem_destroy();
    g_free(path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/elfload/static", test_static);
    g_test_add_func("/elfload/static-pie", test_static_pie);
    g_test_add_func("/elfload/dynamic", test_dynamic);
    g_test_add_func("/elfload/corrupt", test_corrupt);
    g_test_add_func("/elfload/big-endian", test_big_endian);
    g_test_add_func("/elfload/guest-mmap", test_guest_mmap);
    g_test_add_func("/elfload/stack-limits", test_stack_limits);
    return g_test_run();
}
