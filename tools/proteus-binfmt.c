/*
 * proteus-binfmt: registers proteus-user with the kernel's binfmt_misc, so
 * foreign Linux programs run directly (./program) under the emulator.
 *
 *   proteus-binfmt --print     [--path DIR]   the registration line(s)
 *   proteus-binfmt --install   [--path DIR]   register (replacing ours)
 *   proteus-binfmt --uninstall                remove our registration
 *
 * DIR holds proteus-<arch> (default: this tool's own directory when the
 * emulator is there, else the installation's bindir).
 *
 * A registration (Documentation/admin-guide/binfmt-misc.rst) is
 * ":name:M::magic:mask:interpreter:flags" written to
 * /proc/sys/fs/binfmt_misc/register. The magic and mask select 64-bit
 * little-endian ELF files of the architecture's e_machine whose e_type is
 * ET_EXEC or ET_DYN (the mask's 0xfe at e_type merges 2 and 3), any
 * EI_OSABI. The flags are:
 *   P  preserve argv[0]: the interpreter gets "PATH ARGV0 ARGS..."
 *   O  open the binary: the interpreter finds its fd in AT_EXECFD, which is
 *      also how proteus-user knows binfmt_misc started it (see main.c)
 *   C  credentials (setuid bits) from the binary, not the interpreter
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#define BINFMT_DIR "/proc/sys/fs/binfmt_misc"
#define BINFMT_FLAGS "POC"

typedef struct BinfmtArch {
    const char *name;          /* proteus-<name>, also the entry's name */
    uint16_t elf_machine;
} BinfmtArch;

static const BinfmtArch binfmt_arches[] = {
    { "riscv64", 243 },        /* EM_RISCV */
};

/* Bytes as binfmt_misc's "\xNN" escapes. */
static void binfmt_escape(GString *s, const uint8_t *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        g_string_append_printf(s, "\\x%02x", bytes[i]);
    }
}

/* The registration line of one architecture, without a newline. */
static char *binfmt_line(const BinfmtArch *arch, const char *dir)
{
    /* e_ident (16 bytes), e_type, e_machine: 20 bytes */
    uint8_t magic[20] = {
        0x7f, 'E', 'L', 'F', 2 /* ELFCLASS64 */, 1 /* ELFDATA2LSB */, 1 /* EV_CURRENT */,
        0, 0, 0, 0, 0, 0, 0, 0, 0,
        2 /* ET_EXEC */, 0,
        arch->elf_machine & 0xff, arch->elf_machine >> 8,
    };
    uint8_t mask[20];
    GString *s = g_string_new(NULL);

    memset(mask, 0xff, sizeof(mask));
    mask[7] = 0x00;            /* EI_OSABI: any */
    mask[16] = 0xfe;           /* e_type: ET_EXEC or ET_DYN */
    g_string_append_printf(s, ":proteus-%s:M::", arch->name);
    binfmt_escape(s, magic, sizeof(magic));
    g_string_append_c(s, ':');
    binfmt_escape(s, mask, sizeof(mask));
    g_string_append_printf(s, ":%s/proteus-%s:%s", dir, arch->name, BINFMT_FLAGS);
    return g_string_free(s, FALSE);
}

/* The default DIR: next to this tool if the emulator is there. */
static char *binfmt_default_dir(void)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *dir = self ? g_path_get_dirname(self) : NULL;
    g_autofree char *emu = dir ? g_build_filename(dir, "proteus-user", NULL) : NULL;

    if (emu && g_file_test(emu, G_FILE_TEST_IS_EXECUTABLE)) {
        return g_steal_pointer(&dir);
    }
    return g_strdup(PROTEUS_BINDIR);
}

static bool binfmt_write(const char *path, const char *text, GError **errp)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot open %s: %s", path, g_strerror(errno));
        return false;
    }
    n = write(fd, text, strlen(text));
    if (n != (ssize_t)strlen(text)) {
        int e = n < 0 ? errno : EIO;

        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(e),
                    "writing %s: %s", path, g_strerror(e));
        close(fd);
        return false;
    }
    close(fd);
    return true;
}

/* What --install and --uninstall need: root and a mounted binfmt_misc. */
static bool binfmt_check_access(GError **errp)
{
    if (geteuid() != 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_PERM,
                    "registering with binfmt_misc needs root");
        return false;
    }
    if (access(BINFMT_DIR "/register", F_OK) != 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                    "binfmt_misc is not mounted (mount -t binfmt_misc none %s)", BINFMT_DIR);
        return false;
    }
    return true;
}

static bool binfmt_uninstall_one(const BinfmtArch *arch, bool must_exist, GError **errp)
{
    g_autofree char *entry = g_strdup_printf(BINFMT_DIR "/proteus-%s", arch->name);

    if (access(entry, F_OK) != 0) {
        if (must_exist) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                        "proteus-%s is not registered", arch->name);
            return false;
        }
        return true;
    }
    return binfmt_write(entry, "-1", errp);
}

static bool binfmt_install(const char *dir, GError **errp)
{
    if (!binfmt_check_access(errp)) {
        return false;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(binfmt_arches); i++) {
        const BinfmtArch *arch = &binfmt_arches[i];
        g_autofree char *emu = g_strdup_printf("%s/proteus-%s", dir, arch->name);
        g_autofree char *line = binfmt_line(arch, dir);

        if (!g_path_is_absolute(dir) || strchr(dir, ':')) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "--path %s: the kernel needs an absolute path without ':'", dir);
            return false;
        }
        if (!g_file_test(emu, G_FILE_TEST_IS_EXECUTABLE)) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                        "%s is not an executable (use --path DIR)", emu);
            return false;
        }
        /* replaces an earlier registration of ours */
        if (!binfmt_uninstall_one(arch, false, errp) ||
            !binfmt_write(BINFMT_DIR "/register", line, errp)) {
            return false;
        }
    }
    return true;
}

static bool binfmt_uninstall(GError **errp)
{
    if (!binfmt_check_access(errp)) {
        return false;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(binfmt_arches); i++) {
        if (!binfmt_uninstall_one(&binfmt_arches[i], true, errp)) {
            return false;
        }
    }
    return true;
}

int main(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = NULL;
    gboolean do_print = FALSE, do_install = FALSE, do_uninstall = FALSE;
    char *path = NULL;
    GOptionEntry entries[] = {
        { "print", 0, 0, G_OPTION_ARG_NONE, &do_print, "Print the registration lines", NULL },
        { "install", 0, 0, G_OPTION_ARG_NONE, &do_install, "Register with binfmt_misc", NULL },
        { "uninstall", 0, 0, G_OPTION_ARG_NONE, &do_uninstall, "Remove the registration",
          NULL },
        { "path", 0, 0, G_OPTION_ARG_FILENAME, &path, "Directory of proteus-<arch>", "DIR" },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- run foreign programs directly");
    bool ok = true;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "proteus-binfmt: %s\n", err->message);
        return 1;
    }
    if (do_print + do_install + do_uninstall != 1 || argc > 1) {
        fprintf(stderr, "proteus-binfmt: give one of --print, --install, --uninstall\n");
        return 1;
    }
    dir = path ? g_strdup(path) : binfmt_default_dir();
    if (do_print) {
        for (size_t i = 0; i < G_N_ELEMENTS(binfmt_arches); i++) {
            g_autofree char *line = binfmt_line(&binfmt_arches[i], dir);

            printf("%s\n", line);
        }
    } else if (do_install) {
        ok = binfmt_install(dir, &err);
    } else {
        ok = binfmt_uninstall(&err);
    }
    g_free(path);
    if (!ok) {
        fprintf(stderr, "proteus-binfmt: %s\n", err->message);
        return 1;
    }
    return 0;
}
