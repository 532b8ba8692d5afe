/*
 * riscv_disas() against GNU objdump: the same bytes must read the same,
 * line by line. Corpora: an object holding every RV64GC, Zba, Zbb and Zbs
 * instruction (riscv-disas/insns.S, assembled at build time), all of
 * glibc's static hello (its whole .text), and every 16-bit encoding.
 * objdump runs at test time ($RISCV_OBJDUMP); its text is compared after
 * tabs become one space and the " <symbol+off>" and "# comment" notes it
 * adds are dropped. Zicond is newer than binutils 2.40, so it is checked
 * against hand-made encodings.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "target/riscv/cpu.h"

/* Mismatches quoted in the log (all are counted). */
#define MAX_REPORTED 40

/*
 * objdump (binutils 2.40) names some immediate forms after their register
 * forms ("add a0,a0,1" for addi, "sll" for slli, "csrw 0x7c0,3" for
 * csrwi...), its opcode table listing the register form's alias first;
 * riscv_disas prints each instruction's own name. When the last operand
 * is a number, these names get their "i" back (before a final "w":
 * "addw" -> "addiw") before comparing.
 */
static const char *const imm_spelled_as_reg[] = {
    "add", "addw", "and", "or", "xor", "sll", "srl", "sra", "sllw", "srlw", "sraw",
    "ror", "rorw", "bclr", "bext", "binv", "bset",
    "csrw", "csrs", "csrc", "csrrw", "csrrs", "csrrc",
};

typedef struct Comparison {
    unsigned compared;
    unsigned unknown;           /* objdump: ".2byte"/".4byte", not compared */
    unsigned mismatches;
    GString *report;
} Comparison;

static const char *objdump_path(void)
{
    const char *path = g_getenv("RISCV_OBJDUMP");

    return path ? path : "riscv64-linux-gnu-objdump";
}

/* Runs objdump with args after the program name; returns its stdout. */
static char *run_objdump(const char *const *args)
{
    GPtrArray *argv = g_ptr_array_new();
    char *out = NULL, *err = NULL;
    GError *error = NULL;
    int status;

    g_ptr_array_add(argv, (char *)objdump_path());
    for (; *args; args++) {
        g_ptr_array_add(argv, (char *)*args);
    }
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL,
                               NULL, &out, &err, &status, &error));
    g_assert_no_error(error);
    if (!g_spawn_check_wait_status(status, &error)) {
        g_test_message("objdump: %s", err);
    }
    g_assert_no_error(error);
    g_ptr_array_free(argv, TRUE);
    g_free(err);
    return out;
}

static bool is_imm_spelled_as_reg(const char *mnemonic)
{
    for (size_t i = 0; i < G_N_ELEMENTS(imm_spelled_as_reg); i++) {
        if (strcmp(mnemonic, imm_spelled_as_reg[i]) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * objdump's text of one instruction ("add\ts0,s0,-1556 # 7ae10 <lock>")
 * in riscv_disas's spelling ("addi s0,s0,-1556"). Returns a new string.
 */
static char *normalize_objdump(const char *text)
{
    char *s = g_strdup(text);
    char *cut, *last;

    if ((cut = strstr(s, " #")) || (cut = strstr(s, " <"))) {
        *cut = '\0';
    }
    g_strchomp(s);
    g_strdelimit(s, "\t", ' ');
    cut = strchr(s, ' ');
    if (!cut) {
        return s;
    }
    *cut = '\0';
    last = strrchr(cut + 1, ',');
    last = last ? last + 1 : cut + 1;
    if (is_imm_spelled_as_reg(s) && (g_ascii_isdigit(*last) || *last == '-')) {
        size_t n = strlen(s);
        bool w = s[n - 1] == 'w' && !g_str_has_prefix(s, "csr");
        char *fixed = g_strdup_printf("%.*si%s %s", (int)(n - w), s, w ? "w" : "", cut + 1);

        g_free(s);
        return fixed;
    }
    *cut = ' ';
    return s;
}

/*
 * One line of "objdump -d": "  10420:\t7131                \tadd\tsp,..."
 * Fills the address, the encoding as printed (2 or 4 bytes, shown as one
 * little-endian number) and where the text starts; false for other lines.
 */
static bool parse_objdump_line(char *line, uint64_t *addr, uint32_t *insn, unsigned *len,
                               char **text)
{
    char *end, *hex, *tab;

    *addr = g_ascii_strtoull(line, &end, 16);
    if (end == line || end[0] != ':' || end[1] != '\t') {
        return false;
    }
    hex = end + 2;
    tab = strchr(hex, '\t');
    if (!tab) {
        return false;
    }
    *insn = (uint32_t)g_ascii_strtoull(hex, &end, 16);
    *len = (unsigned)(end - hex) / 2;
    *text = tab + 1;
    return *len == 2 || *len == 4;
}

static void compare_line(Comparison *c, uint64_t addr, uint32_t insn, unsigned len,
                         const char *objdump_text)
{
    uint8_t bytes[4] = { insn, insn >> 8, insn >> 16, insn >> 24 };
    g_autofree char *want = normalize_objdump(objdump_text);
    char got[128];

    g_assert_cmpuint(riscv_disas(addr, bytes, len, got, sizeof(got)), ==, len);
    c->compared++;
    if (strcmp(want, got) != 0) {
        if (c->mismatches < MAX_REPORTED) {
            g_string_append_printf(c->report, "  %" G_GINT64_MODIFIER "x: %0*x objdump \"%s\""
                                   " riscv_disas \"%s\"\n", addr, len * 2, insn, want, got);
        }
        c->mismatches++;
    }
}

/*
 * Without symbols (objdump -b binary) a branch target is printed "0x..."
 * instead of "... <sym+off>"; drops that "0x" from the jump and branch
 * forms the compressed set has.
 */
static void bare_target_to_elf_form(char *text)
{
    static const char *const jumps[] = { "j\t", "beqz\t", "bnez\t" };
    char *hex = strstr(text, "0x");

    for (size_t i = 0; hex && i < G_N_ELEMENTS(jumps); i++) {
        if (g_str_has_prefix(text, jumps[i])) {
            memmove(hex, hex + 2, strlen(hex + 2) + 1);
            return;
        }
    }
}

/* Compares every instruction line of an objdump listing; bare_targets:
 * the listing is of a raw binary (see bare_target_to_elf_form). */
static Comparison compare_listing(const char *listing, bool bare_targets)
{
    Comparison c = { .report = g_string_new(NULL) };
    g_auto(GStrv) lines = g_strsplit(listing, "\n", -1);

    for (char **l = lines; *l; l++) {
        uint64_t addr;
        uint32_t insn;
        unsigned len;
        char *text;

        if (!parse_objdump_line(g_strchug(*l), &addr, &insn, &len, &text)) {
            continue;
        }
        if (g_str_has_prefix(text, ".2byte") || g_str_has_prefix(text, ".4byte")) {
            c.unknown++;
            continue;
        }
        if (bare_targets) {
            bare_target_to_elf_form(text);
        }
        compare_line(&c, addr, insn, len, text);
    }
    if (c.mismatches) {
        g_test_message("%u of %u instructions differ from objdump:\n%s", c.mismatches,
                       c.compared, c.report->str);
    }
    g_string_free(c.report, TRUE);
    return c;
}

static char *test_file(const char *env, const char *name)
{
    const char *dir = g_getenv(env);

    g_assert_nonnull(dir);
    return name ? g_build_filename(dir, name, NULL) : g_strdup(dir);
}

static void test_every_instruction(void)
{
    g_autofree char *obj = test_file("RISCV_DISAS_CORPUS", NULL);
    const char *args[] = { "-d", obj, NULL };
    g_autofree char *listing = run_objdump(args);
    Comparison c = compare_listing(listing, false);

    /* insns.S has this many instructions; a shorter listing lost some */
    g_assert_cmpuint(c.compared, ==, 339);
    g_assert_cmpuint(c.unknown, ==, 0);
    g_assert_cmpuint(c.mismatches, ==, 0);
}

static void test_hello_static(void)
{
    g_autofree char *bin = test_file("RISCV64_TEST_BINS", "hello-static");
    const char *args[] = { "-d", bin, NULL };
    g_autofree char *listing = run_objdump(args);
    Comparison c = compare_listing(listing, false);

    g_test_message("hello-static: %u instructions compared", c.compared);
    g_assert_cmpuint(c.compared, >, 50000);
    g_assert_cmpuint(c.unknown, ==, 0);
    g_assert_cmpuint(c.mismatches, ==, 0);
}

/*
 * Every halfword whose low bits say "16-bit". The encodings objdump does
 * not know are the reserved ones; riscv_disas may still name them (the
 * decoder's trans_ functions, not its bit patterns, refuse them), so they
 * are only counted.
 */
static void test_every_compressed_encoding(void)
{
    g_autofree char *dir = g_dir_make_tmp(NULL, NULL);
    g_autofree char *path = g_build_filename(dir, "rvc.bin", NULL);
    GByteArray *all = g_byte_array_new();
    GError *error = NULL;

    g_assert_nonnull(dir);
    for (unsigned h = 0; h < 0x10000; h++) {
        if ((h & 3) != 3) {
            uint8_t le[2] = { h, h >> 8 };

            g_byte_array_append(all, le, 2);
        }
    }
    g_assert_true(g_file_set_contents(path, (const char *)all->data, all->len, &error));
    g_assert_no_error(error);

    const char *args[] = { "-D", "-b", "binary", "-m", "riscv:rv64", path, NULL };
    g_autofree char *listing = run_objdump(args);
    Comparison c = compare_listing(listing, true);

    g_assert_cmpuint(c.compared + c.unknown, ==, all->len / 2);
    g_assert_cmpuint(c.mismatches, ==, 0);
    g_unlink(path);
    g_rmdir(dir);
    g_byte_array_free(all, TRUE);
}

/* Zicond (binutils 2.40 predates it): encodings from the spec's table. */
static void test_zicond(void)
{
    static const struct {
        uint32_t insn;
        const char *text;
    } cases[] = {
        { 0x0ec5d533, "czero.eqz a0,a1,a2" },   /* 0000111 rs2 rs1 101 rd 0110011 */
        { 0x0ec5f533, "czero.nez a0,a1,a2" },   /* ... 111 ... */
        { 0x0e0fdfb3, "czero.eqz t6,t6,zero" },
        { 0x0ff07033, "czero.nez zero,zero,t6" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        uint32_t v = cases[i].insn;
        uint8_t bytes[4] = { v, v >> 8, v >> 16, v >> 24 };
        char got[64];

        g_assert_cmpuint(riscv_disas(0x1000, bytes, 4, got, sizeof(got)), ==, 4);
        g_assert_cmpstr(got, ==, cases[i].text);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/riscv-disas/every-instruction", test_every_instruction);
    g_test_add_func("/riscv-disas/hello-static", test_hello_static);
    g_test_add_func("/riscv-disas/every-compressed-encoding", test_every_compressed_encoding);
    g_test_add_func("/riscv-disas/zicond", test_zicond);
    return g_test_run();
}
