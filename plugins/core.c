/*
 * Instrumentation plugins (proteus/plugin.h): loading them, their
 * callbacks, scoreboards, and the API functions that read guest state.
 *
 * Callbacks are registered from a plugin's install function (or from
 * another callback); the lists only grow, under reg_lock, and readers walk
 * them without it: each list is an array that is replaced, never resized
 * in place, so a reader sees the old or the new one whole. Replaced
 * arrays are kept to the end (there are a handful).
 *
 * Scoreboards hold one element per vCPU; generated code finds the
 * running vCPU's element as base + cpu_index * size. When a vCPU index
 * outgrows them, every scoreboard is reallocated with every other vCPU
 * stopped (start_exclusive) and the TBs, which embed the bases, flushed.
 */
#include <gmodule.h>
#include <string.h>

#include "plugins/core.h"
#include "proteus/debug.h"
#include "proteus/error.h"
#include "proteus/log.h"

bool plugins_active;

typedef struct Plugin {
    proteus_plugin_id id;
    char *path;
    GModule *module;
} Plugin;

typedef struct Callback {
    proteus_plugin_id id;
    void *fn;
    void *userdata;
    unsigned types;             /* discontinuity callbacks: ProteusDiscon bits */
} Callback;

typedef enum CbEvent {
    EV_VCPU_INIT, EV_VCPU_EXIT, EV_VCPU_IDLE, EV_VCPU_RESUME,
    EV_TB_TRANS, EV_FLUSH, EV_SYSCALL, EV_SYSCALL_RET, EV_DISCON, EV_ATEXIT,
    EV_COUNT
} CbEvent;

/* An immutable array of callbacks; replaced whole on registration. */
typedef struct CbList {
    guint n;
    Callback cb[];
} CbList;

static GMutex reg_lock;
static GPtrArray *plugins;              /* Plugin * */
static CbList *cb_lists[EV_COUNT];      /* read without the lock */
static GPtrArray *retired_lists;        /* CbList * replaced, kept */
static char *program_path;

/* ---- registration ---- */

static void cb_add(CbEvent ev, proteus_plugin_id id, void *fn, void *userdata, unsigned types)
{
    CbList *old, *list;

    g_mutex_lock(&reg_lock);
    old = cb_lists[ev];
    list = g_malloc(sizeof(CbList) + ((old ? old->n : 0) + 1) * sizeof(Callback));
    list->n = old ? old->n : 0;
    if (old) {
        memcpy(list->cb, old->cb, old->n * sizeof(Callback));
        if (!retired_lists) {
            retired_lists = g_ptr_array_new_with_free_func(g_free);
        }
        g_ptr_array_add(retired_lists, old);
    }
    list->cb[list->n++] = (Callback){ .id = id, .fn = fn, .userdata = userdata,
                                      .types = types };
    __atomic_store_n(&cb_lists[ev], list, __ATOMIC_RELEASE);
    g_mutex_unlock(&reg_lock);
}

static const CbList *cb_list(CbEvent ev)
{
    return __atomic_load_n(&cb_lists[ev], __ATOMIC_ACQUIRE);
}

#define FOREACH_CB(ev, c)                                                     \
    for (const CbList *l_ = cb_list(ev); l_; l_ = NULL)                       \
        for (const Callback *c = l_->cb; c < l_->cb + l_->n; c++)

void proteus_plugin_register_vcpu_init_cb(proteus_plugin_id id, ProteusVcpuCb cb)
{
    cb_add(EV_VCPU_INIT, id, (void *)cb, NULL, 0);
}

void proteus_plugin_register_vcpu_exit_cb(proteus_plugin_id id, ProteusVcpuCb cb)
{
    cb_add(EV_VCPU_EXIT, id, (void *)cb, NULL, 0);
}

void proteus_plugin_register_vcpu_idle_cb(proteus_plugin_id id, ProteusVcpuCb cb)
{
    cb_add(EV_VCPU_IDLE, id, (void *)cb, NULL, 0);
}

void proteus_plugin_register_vcpu_resume_cb(proteus_plugin_id id, ProteusVcpuCb cb)
{
    cb_add(EV_VCPU_RESUME, id, (void *)cb, NULL, 0);
}

void proteus_plugin_register_tb_trans_cb(proteus_plugin_id id, ProteusTBTransCb cb)
{
    cb_add(EV_TB_TRANS, id, (void *)cb, NULL, 0);
}

void proteus_plugin_register_flush_cb(proteus_plugin_id id, ProteusSimpleCb cb)
{
    cb_add(EV_FLUSH, id, (void *)cb, NULL, 0);
}

void proteus_plugin_register_syscall_cb(proteus_plugin_id id, ProteusSyscallCb cb)
{
    cb_add(EV_SYSCALL, id, (void *)cb, NULL, 0);
}

void proteus_plugin_register_syscall_ret_cb(proteus_plugin_id id, ProteusSyscallRetCb cb)
{
    cb_add(EV_SYSCALL_RET, id, (void *)cb, NULL, 0);
}

void proteus_plugin_register_discon_cb(proteus_plugin_id id, unsigned types,
                                       ProteusDisconCb cb)
{
    cb_add(EV_DISCON, id, (void *)cb, NULL, types);
}

void proteus_plugin_register_atexit_cb(proteus_plugin_id id, ProteusAtexitCb cb,
                                       void *userdata)
{
    cb_add(EV_ATEXIT, id, (void *)cb, userdata, 0);
}

/* ---- scoreboards ---- */

struct ProteusScoreboard {
    size_t elem_size;
    uint8_t *data;              /* capacity elements */
};

static GPtrArray *scoreboards;          /* ProteusScoreboard *; reg_lock */
static unsigned score_capacity = 8;     /* elements in every scoreboard */
static unsigned num_vcpus;              /* highest cpu_index + 1 */

ProteusScoreboard *proteus_scoreboard_new(size_t elem_size)
{
    ProteusScoreboard *s = g_new0(ProteusScoreboard, 1);

    g_assert(elem_size > 0);
    s->elem_size = elem_size;
    g_mutex_lock(&reg_lock);
    s->data = g_malloc0(elem_size * score_capacity);
    if (!scoreboards) {
        scoreboards = g_ptr_array_new();
    }
    g_ptr_array_add(scoreboards, s);
    g_mutex_unlock(&reg_lock);
    return s;
}

void proteus_scoreboard_free(ProteusScoreboard *score)
{
    g_mutex_lock(&reg_lock);
    g_ptr_array_remove(scoreboards, score);
    g_mutex_unlock(&reg_lock);
    g_free(score->data);
    g_free(score);
}

void *proteus_scoreboard_find(ProteusScoreboard *score, unsigned vcpu)
{
    g_assert(vcpu < score_capacity);
    return score->data + (size_t)vcpu * score->elem_size;
}

ProteusU64 proteus_scoreboard_u64(ProteusScoreboard *score, size_t offset)
{
    g_assert(offset + sizeof(uint64_t) <= score->elem_size);
    return (ProteusU64){ .score = score, .offset = offset };
}

static uint64_t *u64_at(ProteusU64 entry, unsigned vcpu)
{
    return (uint64_t *)((uint8_t *)proteus_scoreboard_find(entry.score, vcpu) + entry.offset);
}

uint64_t proteus_u64_get(ProteusU64 entry, unsigned vcpu)
{
    return __atomic_load_n(u64_at(entry, vcpu), __ATOMIC_RELAXED);
}

void proteus_u64_set(ProteusU64 entry, unsigned vcpu, uint64_t value)
{
    __atomic_store_n(u64_at(entry, vcpu), value, __ATOMIC_RELAXED);
}

uint64_t proteus_u64_sum(ProteusU64 entry)
{
    uint64_t sum = 0;

    for (unsigned i = 0; i < num_vcpus; i++) {
        sum += proteus_u64_get(entry, i);
    }
    return sum;
}

unsigned proteus_plugin_num_vcpus(void)
{
    return num_vcpus;
}

uintptr_t plugin_u64_base(ProteusU64 entry, size_t *elem_size)
{
    *elem_size = entry.score->elem_size;
    return (uintptr_t)entry.score->data + entry.offset;
}

/* Room for vCPU index; the caller runs no guest code (board set-up, or
 * a new guest thread's parent in a syscall). */
static void scoreboards_reserve(unsigned index)
{
    unsigned cap = score_capacity;

    if (index < cap) {
        return;
    }
    while (cap <= index) {
        cap *= 2;
    }
    start_exclusive(NULL);
    g_mutex_lock(&reg_lock);
    for (guint i = 0; scoreboards && i < scoreboards->len; i++) {
        ProteusScoreboard *s = g_ptr_array_index(scoreboards, i);

        s->data = g_realloc(s->data, s->elem_size * cap);
        memset(s->data + s->elem_size * score_capacity, 0,
               s->elem_size * (cap - score_capacity));
    }
    score_capacity = cap;
    g_mutex_unlock(&reg_lock);
    /* generated code holds the old bases */
    tb_flush(NULL);
    end_exclusive(NULL);
}

/* ---- the vCPU a callback runs for ---- */

static __thread CPUState *current_cpu;

CPUState *plugin_current_cpu(void)
{
    return current_cpu;
}

void plugin_set_current_cpu(CPUState *cpu)
{
    current_cpu = cpu;
}

static void vcpu_event(CbEvent ev, CPUState *cpu)
{
    CPUState *outer = current_cpu;

    current_cpu = cpu;
    FOREACH_CB(ev, c) {
        ((ProteusVcpuCb)c->fn)(c->id, cpu->cpu_index);
    }
    current_cpu = outer;
}

/* ---- hooks ---- */

void plugin_vcpu_init(CPUState *cpu)
{
    scoreboards_reserve(cpu->cpu_index);
    if ((unsigned)cpu->cpu_index >= num_vcpus) {
        __atomic_store_n(&num_vcpus, cpu->cpu_index + 1, __ATOMIC_RELEASE);
    }
    vcpu_event(EV_VCPU_INIT, cpu);
}

void plugin_vcpu_exit(CPUState *cpu)
{
    vcpu_event(EV_VCPU_EXIT, cpu);
}

void plugin_vcpu_idle(CPUState *cpu)
{
    vcpu_event(EV_VCPU_IDLE, cpu);
}

void plugin_vcpu_resume(CPUState *cpu)
{
    vcpu_event(EV_VCPU_RESUME, cpu);
}

void plugin_flush(void)
{
    FOREACH_CB(EV_FLUSH, c) {
        ((ProteusSimpleCb)c->fn)(c->id);
    }
}

void plugin_syscall(CPUState *cpu, int64_t num, const uint64_t args[6])
{
    current_cpu = cpu;
    FOREACH_CB(EV_SYSCALL, c) {
        ((ProteusSyscallCb)c->fn)(c->id, cpu->cpu_index, num, args);
    }
    current_cpu = NULL;
}

void plugin_syscall_ret(CPUState *cpu, int64_t num, int64_t ret)
{
    current_cpu = cpu;
    FOREACH_CB(EV_SYSCALL_RET, c) {
        ((ProteusSyscallRetCb)c->fn)(c->id, cpu->cpu_index, num, ret);
    }
    current_cpu = NULL;
}

void plugin_discon(CPUState *cpu, ProteusDiscon type, uint64_t from_pc, uint64_t to_pc)
{
    current_cpu = cpu;
    FOREACH_CB(EV_DISCON, c) {
        if (c->types & type) {
            ((ProteusDisconCb)c->fn)(c->id, cpu->cpu_index, type, from_pc, to_pc);
        }
    }
    current_cpu = NULL;
}

void plugin_atexit(void)
{
    static gsize done;

    if (!plugins_active || !g_once_init_enter(&done)) {
        return;
    }
    FOREACH_CB(EV_ATEXIT, c) {
        ((ProteusAtexitCb)c->fn)(c->id, c->userdata);
    }
    g_once_init_leave(&done, 1);
}

void plugin_tb_trans(ProteusTB *tb)
{
    FOREACH_CB(EV_TB_TRANS, c) {
        ((ProteusTBTransCb)c->fn)(c->id, tb);
    }
}

/* ---- guest state ---- */

/*
 * Register names come from the CPU's target description (the gdbstub's
 * XML), so every architecture that describes itself to gdb gets them:
 * name -> register number, built once per CPU class.
 */
typedef struct RegParse {
    GHashTable *names;          /* char * -> regnum + 1 */
    int next;
    CPUState *cpu;
    int depth;
} RegParse;

static void reg_parse_file(RegParse *p, const char *annex);

static void reg_start_element(GMarkupParseContext *ctx, const char *element,
                              const char **attr_names, const char **attr_values,
                              gpointer user_data, GError **error)
{
    RegParse *p = user_data;
    const char *name = NULL;

    if (strcmp(element, "xi:include") == 0) {
        for (int i = 0; attr_names[i]; i++) {
            if (strcmp(attr_names[i], "href") == 0) {
                reg_parse_file(p, attr_values[i]);
            }
        }
        return;
    }
    if (strcmp(element, "reg") != 0) {
        return;
    }
    for (int i = 0; attr_names[i]; i++) {
        if (strcmp(attr_names[i], "name") == 0) {
            name = attr_values[i];
        } else if (strcmp(attr_names[i], "regnum") == 0) {
            p->next = atoi(attr_values[i]);
        }
    }
    if (name) {
        g_hash_table_insert(p->names, g_strdup(name), GINT_TO_POINTER(p->next + 1));
    }
    p->next++;
}

static void reg_parse_file(RegParse *p, const char *annex)
{
    static const GMarkupParser parser = { .start_element = reg_start_element };
    const char *xml = p->cpu->cc->gdb_get_xml(p->cpu, annex);
    GMarkupParseContext *ctx;

    if (!xml || p->depth > 4) {
        return;
    }
    p->depth++;
    ctx = g_markup_parse_context_new(&parser, 0, p, NULL);
    /* a malformed document just yields the registers read so far */
    g_markup_parse_context_parse(ctx, xml, -1, NULL);
    g_markup_parse_context_free(ctx);
    p->depth--;
}

static GHashTable *reg_names(CPUState *cpu)
{
    static GMutex lock;
    static GHashTable *by_class;    /* CPUClass * -> GHashTable * */
    GHashTable *names;

    g_mutex_lock(&lock);
    if (!by_class) {
        by_class = g_hash_table_new(NULL, NULL);
    }
    names = g_hash_table_lookup(by_class, cpu->cc);
    if (!names) {
        RegParse p = { .names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
                       .cpu = cpu };

        if (cpu->cc->gdb_get_xml) {
            reg_parse_file(&p, "target.xml");
        }
        names = p.names;
        g_hash_table_insert(by_class, (gpointer)cpu->cc, names);
    }
    g_mutex_unlock(&lock);
    return names;
}

bool proteus_read_register(const char *name, uint64_t *value)
{
    CPUState *cpu = current_cpu;
    g_autoptr(GByteArray) buf = NULL;
    int regnum, size;
    uint64_t v = 0;

    if (!cpu || !cpu->cc->gdb_read_register) {
        return false;
    }
    regnum = GPOINTER_TO_INT(g_hash_table_lookup(reg_names(cpu), name)) - 1;
    if (regnum < 0) {
        return false;
    }
    buf = g_byte_array_new();
    size = cpu->cc->gdb_read_register(cpu, buf, regnum);
    if (size <= 0) {
        return false;
    }
    /* gdb's register bytes are in guest order: little-endian here */
    for (int i = MIN(size, 8) - 1; i >= 0; i--) {
        v = v << 8 | buf->data[i];
    }
    *value = v;
    return true;
}

bool proteus_read_memory(uint64_t vaddr, void *buf, size_t len)
{
    return current_cpu && cpu_memory_rw_debug(current_cpu, vaddr, buf, len, false);
}

bool proteus_mem_phys(ProteusMemInfo info, uint64_t vaddr, uint64_t *paddr, bool *is_io)
{
    return current_cpu &&
           tlb_lookup_phys(current_cpu, vaddr, (info >> 8) & 0xff, proteus_mem_is_store(info),
                           paddr, is_io);
}

unsigned proteus_mem_size(ProteusMemInfo info)
{
    return memop_size(info & 0xff);
}

bool proteus_mem_is_store(ProteusMemInfo info)
{
    return (info >> 16) & 1;
}

bool proteus_mem_is_sign_extended(ProteusMemInfo info)
{
    return (info & MO_SIGN) != 0;
}

bool proteus_mem_is_big_endian(ProteusMemInfo info)
{
    return (info & MO_BE) != 0;
}

/* ---- small services ---- */

void proteus_plugin_output(const char *text)
{
    log_printf("%s", text);
}

bool proteus_plugin_parse_bool(const char *value, bool *out)
{
    static const char *const yes[] = { "on", "true", "yes", NULL };
    static const char *const no[] = { "off", "false", "no", NULL };

    if (g_strv_contains(yes, value)) {
        *out = true;
        return true;
    }
    if (g_strv_contains(no, value)) {
        *out = false;
        return true;
    }
    return false;
}

void plugin_set_program_path(const char *path)
{
    g_free(program_path);
    program_path = g_strdup(path);
}

const char *proteus_plugin_program_path(void)
{
    return program_path;
}

/* ---- loading ---- */

typedef int (*PluginInstallFn)(proteus_plugin_id id, const ProteusPluginInfo *info,
                               int argc, char **argv);

static void plugin_atexit_handler(void)
{
    plugin_atexit();
}

bool plugin_load(const char *spec, const char *target, bool system_mode, GError **errp)
{
    g_auto(GStrv) parts = g_strsplit(spec, ",", -1);
    const char *path = parts[0];
    ProteusPluginInfo info = { .version = PROTEUS_PLUGIN_VERSION, .target = target,
                               .system_mode = system_mode, .vcpus = 1 };
    GModule *module;
    const int *version;
    PluginInstallFn install;
    Plugin *p;
    int ret;

    if (!path || !*path) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "-plugin: no plugin file given");
        return false;
    }
    for (int i = 1; parts[i]; i++) {
        if (!strchr(parts[i], '=')) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "plugin %s: argument '%s' is not name=value", path, parts[i]);
            return false;
        }
    }
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "plugin %s: no such file", path);
        return false;
    }
    module = g_module_open(path, G_MODULE_BIND_LOCAL);
    if (!module) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "plugin %s: cannot load: %s", path,
                        g_module_error());
        return false;
    }
    if (!g_module_symbol(module, "proteus_plugin_version", (gpointer *)&version) ||
        !g_module_symbol(module, "proteus_plugin_install", (gpointer *)&install)) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "plugin %s: not a proteus plugin (it must export "
                        "proteus_plugin_version and proteus_plugin_install)", path);
        g_module_close(module);
        return false;
    }
    if (*version < PROTEUS_PLUGIN_VERSION_MIN || *version > PROTEUS_PLUGIN_VERSION) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "plugin %s: API version %d is not supported (this proteus "
                        "accepts versions %d to %d)", path, *version,
                        PROTEUS_PLUGIN_VERSION_MIN, PROTEUS_PLUGIN_VERSION);
        g_module_close(module);
        return false;
    }
    if (!plugins) {
        plugins = g_ptr_array_new();
        atexit(plugin_atexit_handler);
    }
    p = g_new0(Plugin, 1);
    p->id = plugins->len + 1;
    p->path = g_strdup(path);
    p->module = module;
    g_ptr_array_add(plugins, p);
    ret = install(p->id, &info, (int)g_strv_length(parts) - 1, parts + 1);
    if (ret != 0) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "plugin %s: install refused its arguments (returned %d)", path, ret);
        return false;
    }
    plugins_active = true;
    return true;
}
