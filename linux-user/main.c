/*
 * proteus-user: runs a foreign Linux program. The guest architecture comes
 * from the ELF header (proteus-<arch> names check that it matches).
 *
 *   proteus-user [OPTIONS] PROGRAM [ARGS...]
 *
 * Options follow qemu-user's: -L SYSROOT, -E VAR=VALUE, -U VAR, -cpu MODEL,
 * -strace, -d LIST, -D FILE, -g PORT, -plugin PATH, -accel tcg,backend=...,
 * -h, -version. Environment variables QEMU users know have PROTEUS_
 * equivalents: PROTEUS_LD_PREFIX (-L), PROTEUS_STRACE (-strace).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "accel/tcg/backend.h"
#include "linux-user/gdbstub-user.h"
#include "plugins/core.h"
#include "linux-user/user-main.h"
#include "linux-user/user.h"
#include "proteus-config.h"
#include "proteus/error.h"
#include "proteus/log.h"
#include "proteus/translator.h"

LinuxProcess linux_process;

typedef struct UserOptions {
    const char *arch_name;            /* from argv[0] "proteus-riscv64", or NULL */
    const char *sysroot;
    const char *cpu_model;
    const char *log_items;
    const char *log_file;
    const char *backend;
    const char *gdb_port;
    const char *argv0;                /* -0: the program's argv[0], if not PROGRAM */
    GPtrArray *plugins;
    GPtrArray *env_set;               /* "VAR=VALUE" */
    GPtrArray *env_unset;
    bool strace;
    int first_guest_arg;              /* index in argv of the guest's argv[0] */
    const char *binfmt_path;          /* PROGRAM when binfmt_misc started us */
} UserOptions;

static void user_usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s [options] PROGRAM [ARGS...]\n"
            "Runs a Linux program built for another architecture (riscv64).\n\n"
            "  -L SYSROOT        where the guest's dynamic loader and libraries are\n"
            "                    (default: /usr/<arch>-linux-gnu when it exists)\n"
            "  -E VAR=VALUE      set an environment variable for the program\n"
            "  -U VAR            remove an environment variable\n"
            "  -cpu MODEL[,ext=on|off...]  CPU model and extensions (-cpu help)\n"
            "  -strace           log every system call with its arguments and result\n"
            "  -d LIST           log categories (-d help)\n"
            "  -D FILE           log to FILE instead of stderr\n"
            "  -accel tcg[,backend=x86_64|interp]  the translator backend\n"
            "  -0 ARGV0          the program's argv[0] (default: PROGRAM)\n"
            "  -g PORT|PATH      wait for gdb on a TCP port or a Unix socket\n"
            "  -plugin PATH[,name=value...]  load an instrumentation plugin\n"
            "                    (also PROTEUS_PLUGIN=SPEC[;SPEC...])\n"
            "  -h, -help         this text\n"
            "  -version          the version\n", prog);
}

/* Fails with a message naming the option. */
static bool user_need_arg(int argc, char **argv, int i, GError **errp)
{
    if (i + 1 >= argc) {
        g_set_error(errp, PROTEUS_ERROR, PROTEUS_ERROR_INVALID,
                    "option '%s' needs an argument", argv[i]);
        return false;
    }
    return true;
}

static bool user_parse_accel(UserOptions *o, const char *text, GError **errp)
{
    g_auto(GStrv) parts = g_strsplit(text, ",", -1);

    if (strcmp(parts[0], "tcg") != 0) {
        g_set_error(errp, PROTEUS_ERROR, PROTEUS_ERROR_INVALID,
                    "-accel %s: user mode runs only with tcg", parts[0]);
        return false;
    }
    for (int i = 1; parts[i]; i++) {
        if (g_str_has_prefix(parts[i], "backend=")) {
            o->backend = g_strdup(parts[i] + strlen("backend="));
        } else {
            g_set_error(errp, PROTEUS_ERROR, PROTEUS_ERROR_INVALID,
                        "-accel tcg: unknown option '%s'", parts[i]);
            return false;
        }
    }
    return true;
}

/*
 * Started by binfmt_misc with proteus-binfmt's registration: its 'O' flag
 * puts AT_EXECFD (the binary, opened by the kernel) in our auxv, which a
 * normal start never has; its 'P' flag makes argv "us PATH ARGV0 ARGS...".
 * The fd is closed so the guest does not inherit it.
 */
static bool user_started_by_binfmt(int argc)
{
    unsigned long fd;

    errno = 0;
    fd = getauxval(AT_EXECFD);
    if (errno == ENOENT || argc < 3) {
        return false;
    }
    close((int)fd);
    return true;
}

/* Parses options up to PROGRAM. Returns 1 to go on, 0 to exit with status
 * 0 (help printed), -1 on error. */
static int user_parse_args(UserOptions *o, int argc, char **argv, GError **errp)
{
    int i;

    if (user_started_by_binfmt(argc)) {
        o->binfmt_path = argv[1];
        o->first_guest_arg = 2;
        return 1;
    }

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *opt = argv[i] + (argv[i][1] == '-' ? 2 : 1);

        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (!strcmp(opt, "h") || !strcmp(opt, "help")) {
            user_usage(stdout, argv[0]);
            return 0;
        }
        if (!strcmp(opt, "version")) {
            printf("proteus-user version %s\n", PROTEUS_VERSION);
            return 0;
        }
        if (!strcmp(opt, "strace")) {
            o->strace = true;
            continue;
        }
        if (strcmp(opt, "L") && strcmp(opt, "E") && strcmp(opt, "U") &&
            strcmp(opt, "cpu") && strcmp(opt, "d") && strcmp(opt, "D") &&
            strcmp(opt, "g") && strcmp(opt, "plugin") && strcmp(opt, "accel") &&
            strcmp(opt, "0")) {
            g_set_error(errp, PROTEUS_ERROR, PROTEUS_ERROR_INVALID,
                        "unknown option '%s' (-h lists the options)", argv[i]);
            return -1;
        }
        if (!user_need_arg(argc, argv, i, errp)) {
            return -1;
        }
        i++;
        if (!strcmp(opt, "L")) {
            o->sysroot = argv[i];
        } else if (!strcmp(opt, "E")) {
            if (!strchr(argv[i], '=')) {
                g_set_error(errp, PROTEUS_ERROR, PROTEUS_ERROR_INVALID,
                            "-E %s: expected VAR=VALUE", argv[i]);
                return -1;
            }
            g_ptr_array_add(o->env_set, argv[i]);
        } else if (!strcmp(opt, "U")) {
            g_ptr_array_add(o->env_unset, argv[i]);
        } else if (!strcmp(opt, "cpu")) {
            o->cpu_model = argv[i];
        } else if (!strcmp(opt, "d")) {
            o->log_items = argv[i];
        } else if (!strcmp(opt, "D")) {
            o->log_file = argv[i];
        } else if (!strcmp(opt, "g")) {
            o->gdb_port = argv[i];
        } else if (!strcmp(opt, "plugin")) {
            g_ptr_array_add(o->plugins, argv[i]);
        } else if (!strcmp(opt, "0")) {
            o->argv0 = argv[i];
        } else if (!user_parse_accel(o, argv[i], errp)) {
            return -1;
        }
    }
    o->first_guest_arg = i;
    return 1;
}

/* The guest's environment: ours, with -E and -U applied. */
static char **user_guest_env(const UserOptions *o)
{
    char **env = g_get_environ();

    for (guint i = 0; i < o->env_unset->len; i++) {
        env = g_environ_unsetenv(env, g_ptr_array_index(o->env_unset, i));
    }
    for (guint i = 0; i < o->env_set->len; i++) {
        const char *kv = g_ptr_array_index(o->env_set, i);
        g_autofree char *name = g_strndup(kv, strchr(kv, '=') - kv);

        env = g_environ_setenv(env, name, strchr(kv, '=') + 1, TRUE);
    }
    return env;
}

static const IRBackend *user_pick_backend(const char *name, GError **errp)
{
    if (!name) {
        return ir_backends[1] ? ir_backends[1] : ir_backends[0];
    }
    for (int i = 0; ir_backends[i]; i++) {
        if (!strcmp(ir_backends[i]->name, name)) {
            return ir_backends[i];
        }
    }
    g_set_error(errp, PROTEUS_ERROR, PROTEUS_ERROR_INVALID,
                "-accel tcg,backend=%s: unknown backend", name);
    return NULL;
}

/* The architecture of the program, checked against the executable's name. */
static const LinuxArch *user_pick_arch(const UserOptions *o, const char *path,
                                       GError **errp)
{
    const LinuxArch *arch;
    uint16_t machine;
    bool big_endian;

    if (!elf_peek_machine(path, &machine, &big_endian, errp)) {
        return NULL;
    }
    arch = linux_arch_for_machine(machine);
    if (!arch) {
        g_set_error(errp, PROTEUS_ERROR, PROTEUS_ERROR_INVALID,
                    "%s: ELF machine %u is not an architecture proteus-user runs",
                    path, machine);
        return NULL;
    }
    if (o->arch_name && strcmp(o->arch_name, arch->name) != 0) {
        g_set_error(errp, PROTEUS_ERROR, PROTEUS_ERROR_INVALID,
                    "%s: a %s program, not %s (use proteus-user or proteus-%s)",
                    path, arch->name, o->arch_name, arch->name);
        return NULL;
    }
    return arch;
}

/* Guest code may run only from executable guest pages. */
static bool user_code_ok(uint64_t addr, uint64_t len)
{
    return guest_range_mapped(addr, len, GUEST_PAGE_EXEC);
}

/* -plugin options, then PROTEUS_PLUGIN's specs (';' between them);
 * before the first CPU exists, so that its vcpu_init is seen. */
static bool user_load_plugins(const UserOptions *o, const char *arch, const char *exe,
                              GError **errp)
{
    g_auto(GStrv) env = g_strsplit(g_getenv("PROTEUS_PLUGIN") ?: "", ";", -1);

    plugin_set_program_path(exe);
    for (guint i = 0; i < o->plugins->len; i++) {
        if (!plugin_load(g_ptr_array_index(o->plugins, i), arch, false, errp)) {
            return false;
        }
    }
    for (int i = 0; env[i]; i++) {
        if (*env[i] && !plugin_load(env[i], arch, false, errp)) {
            return false;
        }
    }
    return true;
}

/* Loads the program and builds the first thread's CPU. */
static CPUState *user_load(const UserOptions *o, int argc, char **argv, GError **errp)
{
    LinuxProcess *p = &linux_process;
    ElfStackParams sp_params = { 0 };
    g_auto(GStrv) env = NULL;
    CPUState *cpu;
    uint64_t sp;

    if (!guest_mem_init(GUEST_MEM_DEFAULT_SIZE, errp)) {
        return NULL;
    }
    if (!elf_load_program(p->exe_path, p->sysroot, p->arch->elf_machine, &p->prog, errp)) {
        return NULL;
    }
    cpu = p->arch->cpu_new(o->cpu_model, errp);
    if (!cpu) {
        return NULL;
    }
    env = user_guest_env(o);
    /* argv[0] as -0 gave it (execve re-running proteus); the path stays AT_EXECFN */
    g_autofree char **guest_argv = g_memdup2(argv, (argc + 1) * sizeof(char *));
    if (o->argv0) {
        guest_argv[0] = (char *)o->argv0;
    }
    sp_params.argc = argc;
    sp_params.argv = guest_argv;
    sp_params.envp = env;
    sp_params.execfn = argv[0];
    sp_params.hwcap = p->arch->hwcap(cpu);
    sp_params.uid = getuid();
    sp_params.euid = geteuid();
    sp_params.gid = getgid();
    sp_params.egid = getegid();
    if (!elf_setup_stack(&p->prog, &sp_params, &sp, &p->stack_low, errp)) {
        p->arch->cpu_free(cpu);
        return NULL;
    }
    p->brk_start = p->brk_cur = p->prog.exe.brk;
    p->arch->init_regs(cpu, p->prog.entry, sp);
    return cpu;
}

/* The options execve passes on when the guest runs another program. */
static char **user_exec_prefix(const UserOptions *o)
{
    GPtrArray *a = g_ptr_array_new();

    if (o->sysroot) {
        g_ptr_array_add(a, g_strdup("-L"));
        g_ptr_array_add(a, g_strdup(o->sysroot));
    }
    if (o->cpu_model) {
        g_ptr_array_add(a, g_strdup("-cpu"));
        g_ptr_array_add(a, g_strdup(o->cpu_model));
    }
    if (o->strace) {
        g_ptr_array_add(a, g_strdup("-strace"));
    }
    if (o->backend) {
        g_ptr_array_add(a, g_strdup("-accel"));
        g_ptr_array_add(a, g_strdup_printf("tcg,backend=%s", o->backend));
    }
    g_ptr_array_add(a, NULL);
    return (char **)g_ptr_array_free(a, FALSE);
}

static bool user_setup(UserOptions *o, int argc, char **argv, CPUState **cpu,
                       GError **errp)
{
    LinuxProcess *p = &linux_process;
    const char *prog_path;
    uint32_t mask = 0;
    int r;

    r = user_parse_args(o, argc, argv, errp);
    if (r <= 0) {
        return r == 0;
    }
    if (o->log_items) {
        if (!strcmp(o->log_items, "help")) {
            log_print_categories(stdout);
            return true;
        }
        if (!log_parse_categories(o->log_items, &mask, errp)) {
            return false;
        }
    }
    if (o->strace || getenv("PROTEUS_STRACE")) {
        mask |= LOG_STRACE;
        o->strace = true;
    }
    log_set_mask(mask);
    if (o->log_file && !log_set_file(o->log_file, errp)) {
        return false;
    }
    if (o->cpu_model && !strcmp(o->cpu_model, "help")) {
        for (int i = 0; linux_arches[i]; i++) {
            if (!o->arch_name || !strcmp(o->arch_name, linux_arches[i]->name)) {
                printf("%s:\n", linux_arches[i]->name);
                linux_arches[i]->cpu_list(stdout);
            }
        }
        return true;
    }
    if (o->first_guest_arg >= argc) {
        g_set_error(errp, PROTEUS_ERROR, PROTEUS_ERROR_INVALID,
                    "no program to run (-h shows the usage)");
        return false;
    }
    prog_path = o->binfmt_path ? o->binfmt_path : argv[o->first_guest_arg];

    p->arch = user_pick_arch(o, prog_path, errp);
    if (!p->arch) {
        return false;
    }
    p->cpu_model = o->cpu_model;
    p->exe_path = g_canonicalize_filename(prog_path, NULL);
    p->self_exe = g_file_read_link("/proc/self/exe", NULL);
    p->emu_argv_prefix = user_exec_prefix(o);
    if (!o->sysroot) {
        o->sysroot = getenv("PROTEUS_LD_PREFIX");
    }
    if (!o->sysroot && p->arch->default_sysroot &&
        g_file_test(p->arch->default_sysroot, G_FILE_TEST_IS_DIR)) {
        o->sysroot = p->arch->default_sysroot;
    }
    p->sysroot = g_strdup(o->sysroot);
    p->strace = o->strace;
    if (!user_load_plugins(o, p->arch->name, p->exe_path, errp)) {
        return false;
    }

    {
        const IRBackend *backend = user_pick_backend(o->backend, errp);

        ir_mem_model = IR_MEM_USER;
        translator_user_code_ok = user_code_ok;
        guest_mem_debug_init();
        if (!backend || !tcg_exec_init(backend, errp)) {
            return false;
        }
    }
    *cpu = user_load(o, argc - o->first_guest_arg, argv + o->first_guest_arg, errp);
    return *cpu != NULL;
}

int proteus_user_main(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    UserOptions o = { 0 };
    const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    CPUState *cpu = NULL;
    TaskState *ts;

    if (g_str_has_prefix(base, "proteus-") && strcmp(base, "proteus-user") != 0) {
        o.arch_name = base + strlen("proteus-");
    }
    o.plugins = g_ptr_array_new();
    o.env_set = g_ptr_array_new();
    o.env_unset = g_ptr_array_new();

    if (!user_setup(&o, argc, argv, &cpu, &err)) {
        fprintf(stderr, "%s: %s\n", base, err->message);
        return 1;
    }
    if (!cpu) {
        return 0;        /* -h, -version, -cpu help, -d help */
    }
    if (o.gdb_port && !gdb_user_start(o.gdb_port, &err)) {
        fprintf(stderr, "%s: -g %s: %s\n", base, o.gdb_port, err->message);
        return 1;
    }
    syscall_init(linux_process.arch);
    signal_init();
    ts = task_new(cpu);
    task_set_self(ts);
    if (o.gdb_port) {
        gdb_user_initial_stop(ts);
    }
    cpu_loop(ts);
}
