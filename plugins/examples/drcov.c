/*
 * drcov: block coverage written at exit in the drcov format (version 2,
 * module table version 2) that coverage viewers such as lighthouse and
 * bncov read: a text header, a module table, then "BB Table: N bbs" and N
 * binary entries (little-endian uint32 start offset in its module, uint16
 * size in bytes, uint16 module id).
 *
 * The blocks recorded are the translated ones, each (start, size) once.
 * User mode: the one module is the program (proteus_plugin_program_path);
 * where it was loaded is learnt from the guest's auxiliary vector
 * (AT_ENTRY) on the initial stack when the first block runs, so
 * position-independent programs work too; blocks outside it (the dynamic
 * loader, the vDSO) are left out. System mode: the one module, named by
 * module=, spans the blocks seen.
 *
 * Options:
 *   filename=drcov.log   the output file
 *   module=NAME          system mode: the module's name (default "system")
 */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "example.h"

PROTEUS_PLUGIN_EXPORT int proteus_plugin_version = PROTEUS_PLUGIN_VERSION;

typedef struct BlockSpan {
    uint64_t start;
    uint64_t size;
} BlockSpan;

/* The module coverage is reported against. */
typedef struct Module {
    char *path;
    uint64_t base, end;     /* where it is in guest memory */
    uint64_t entry;
    bool placed;            /* base and end are known */
} Module;

static char *filename;
static char *module_name;
static bool user_mode;
static Module module;
static uint64_t elf_lo, elf_hi, elf_entry;     /* the program's link-time image */
static bool waiting_for_start;                 /* user mode: first block not run yet */

static GMutex lock;
static GHashTable *spans;           /* BlockSpan -> itself, under lock */

static guint span_hash(gconstpointer p)
{
    const BlockSpan *s = p;

    return g_int64_hash(&s->start) ^ (guint)s->size;
}

static gboolean span_equal(gconstpointer a, gconstpointer b)
{
    const BlockSpan *x = a, *y = b;

    return x->start == y->start && x->size == y->size;
}

/* Reads the program's ELF headers: its PT_LOAD extent and entry point. */
static bool read_elf_image(const char *path)
{
    g_autofree char *data = NULL;
    gsize len;
    const Elf64_Ehdr *eh;

    if (!g_file_get_contents(path, &data, &len, NULL) || len < sizeof(Elf64_Ehdr)) {
        return false;
    }
    eh = (const Elf64_Ehdr *)data;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_phentsize != sizeof(Elf64_Phdr) ||
        eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len) {
        return false;
    }
    elf_lo = UINT64_MAX;
    elf_hi = 0;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        const Elf64_Phdr *ph = (const Elf64_Phdr *)(data + eh->e_phoff) + i;
        if (ph->p_type == PT_LOAD) {
            elf_lo = MIN(elf_lo, ph->p_vaddr);
            elf_hi = MAX(elf_hi, ph->p_vaddr + ph->p_memsz);
        }
    }
    elf_entry = eh->e_entry;
    return elf_lo < elf_hi;
}

/* The value of auxiliary vector entry type on the initial stack at sp. */
static bool find_auxv(uint64_t sp, uint64_t type, uint64_t *value)
{
    uint64_t argc, word, pair[2];
    uint64_t p;

    if (!proteus_read_memory(sp, &argc, sizeof(argc))) {
        return false;
    }
    /* argc, argv[argc], NULL, envp..., NULL, then (type, value) pairs */
    p = sp + 8 * (argc + 2);
    do {
        if (!proteus_read_memory(p, &word, sizeof(word))) {
            return false;
        }
        p += 8;
    } while (word);
    for (; proteus_read_memory(p, pair, sizeof(pair)) && pair[0] != AT_NULL; p += 16) {
        if (pair[0] == type) {
            *value = pair[1];
            return true;
        }
    }
    return false;
}

/* The first block of the process runs: place the module by the load bias. */
static void process_start(unsigned vcpu, void *userdata)
{
    uint64_t sp, entry;

    g_mutex_lock(&lock);
    if (!module.placed && proteus_read_register("sp", &sp) &&
        find_auxv(sp, AT_ENTRY, &entry)) {
        uint64_t bias = entry - elf_entry;
        module.base = elf_lo + bias;
        module.end = elf_hi + bias;
        module.entry = entry;
        module.placed = true;
    }
    g_mutex_unlock(&lock);
}

static void tb_trans(proteus_plugin_id id, ProteusTB *tb)
{
    size_t n = proteus_tb_n_insns(tb);
    const ProteusInsn *last = proteus_tb_insn(tb, n - 1);
    BlockSpan *s = g_new(BlockSpan, 1);

    s->start = proteus_tb_vaddr(tb);
    s->size = proteus_insn_vaddr(last) + proteus_insn_size(last) - s->start;
    g_mutex_lock(&lock);
    if (!g_hash_table_add(spans, s)) {
        g_free(s);
    }
    if (waiting_for_start) {
        waiting_for_start = false;
        proteus_register_tb_exec_cb(tb, process_start, PROTEUS_CB_R_REGS, NULL);
    }
    g_mutex_unlock(&lock);
}

/* System mode: the module is the span of all blocks. */
static void place_over_blocks(void)
{
    GHashTableIter it;
    gpointer p;

    module.base = UINT64_MAX;
    module.end = 0;
    g_hash_table_iter_init(&it, spans);
    while (g_hash_table_iter_next(&it, &p, NULL)) {
        const BlockSpan *s = p;
        module.base = MIN(module.base, s->start);
        module.end = MAX(module.end, s->start + s->size);
    }
    module.placed = module.base < module.end;
}

/* Whether s is in the module, at an offset and of a size the entry can hold. */
static bool in_module(const BlockSpan *s)
{
    return module.placed && s->start >= module.base && s->start + s->size <= module.end &&
           s->start - module.base <= UINT32_MAX && s->size <= UINT16_MAX;
}

static gint by_start(gconstpointer a, gconstpointer b)
{
    const BlockSpan *x = *(BlockSpan *const *)a, *y = *(BlockSpan *const *)b;

    return x->start < y->start ? -1 : x->start > y->start;
}

static void write_blocks(FILE *f, GPtrArray *blocks)
{
    for (guint i = 0; i < blocks->len; i++) {
        const BlockSpan *s = g_ptr_array_index(blocks, i);
        struct __attribute__((packed)) {
            uint32_t start;
            uint16_t size;
            uint16_t mod_id;
        } entry = {
            GUINT32_TO_LE((uint32_t)(s->start - module.base)),
            GUINT16_TO_LE((uint16_t)s->size),
            GUINT16_TO_LE(0),
        };
        fwrite(&entry, sizeof(entry), 1, f);
    }
}

static bool write_file(GPtrArray *blocks)
{
    FILE *f = fopen(filename, "wb");
    bool ok;

    if (!f) {
        return false;
    }
    fprintf(f, "DRCOV VERSION: 2\nDRCOV FLAVOR: drcov\n");
    fprintf(f, "Module Table: version 2, count 1\n");
    fprintf(f, "Columns: id, base, end, entry, checksum, timestamp, path\n");
    fprintf(f, " 0, 0x%016" PRIx64 ", 0x%016" PRIx64 ", 0x%016" PRIx64
            ", 0x00000000, 0x00000000, %s\n",
            module.base, module.end, module.entry, module.path);
    fprintf(f, "BB Table: %u bbs\n", blocks->len);
    write_blocks(f, blocks);
    ok = !ferror(f);
    return fclose(f) == 0 && ok;
}

static void write_coverage(proteus_plugin_id id, void *userdata)
{
    g_autoptr(GPtrArray) blocks = g_ptr_array_new();
    GHashTableIter it;
    gpointer p;

    g_mutex_lock(&lock);
    if (!user_mode) {
        place_over_blocks();
    }
    g_hash_table_iter_init(&it, spans);
    while (g_hash_table_iter_next(&it, &p, NULL)) {
        if (in_module(p)) {
            g_ptr_array_add(blocks, p);
        }
    }
    g_ptr_array_sort(blocks, by_start);
    if (!write_file(blocks)) {
        plugin_printf("drcov", "cannot write '%s': %s", filename, g_strerror(errno));
    } else if (!module.placed) {
        plugin_printf("drcov", "the module's load address was not found: no blocks in '%s'",
                      filename);
    }
    g_mutex_unlock(&lock);
}

/* User mode: the program is the module, if its ELF headers can be read. */
static bool setup_user_module(void)
{
    const char *path = proteus_plugin_program_path();

    if (!path || !read_elf_image(path)) {
        plugin_printf("drcov", "cannot read the ELF headers of the program '%s'",
                      path ? path : "(none)");
        return false;
    }
    module.path = g_canonicalize_filename(path, NULL);
    waiting_for_start = true;
    return true;
}

int proteus_plugin_install(proteus_plugin_id id, const ProteusPluginInfo *info,
                           int argc, char **argv)
{
    const PluginArg args[] = {
        { "filename", PLUGIN_ARG_STRING, &filename },
        { "module", PLUGIN_ARG_STRING, &module_name },
        { NULL },
    };

    filename = g_strdup("drcov.log");
    module_name = g_strdup("system");
    if (!plugin_parse_args("drcov", args, argc, argv)) {
        return 1;
    }
    user_mode = !info->system_mode;
    if (user_mode && !setup_user_module()) {
        return 1;
    }
    if (!user_mode) {
        module.path = g_strdup(module_name);
    }
    spans = g_hash_table_new_full(span_hash, span_equal, g_free, NULL);
    proteus_plugin_register_tb_trans_cb(id, tb_trans);
    proteus_plugin_register_atexit_cb(id, write_coverage, NULL);
    return 0;
}
