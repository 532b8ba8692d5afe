/*
 * The RISC-V CPU: models and extension switches (-cpu), reset, the class
 * hooks the exec loop calls, and the register dump.
 */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "proteus/error.h"
#include "proteus/options.h"
#include "target/riscv/cpu.h"
#include "target/riscv/gdbstub.h"
#include "target/riscv/translate.h"

const RiscvExtInfo riscv_ext_info[RISCV_EXT_COUNT] = {
    [RISCV_EXT_I] = { "i", "base integer instructions" },
    [RISCV_EXT_M] = { "m", "integer multiplication and division" },
    [RISCV_EXT_A] = { "a", "atomic instructions" },
    [RISCV_EXT_F] = { "f", "single-precision floating point" },
    [RISCV_EXT_D] = { "d", "double-precision floating point" },
    [RISCV_EXT_C] = { "c", "compressed instructions" },
    [RISCV_EXT_ZICSR] = { "zicsr", "control and status register instructions" },
    [RISCV_EXT_ZIFENCEI] = { "zifencei", "instruction-fetch fence" },
    [RISCV_EXT_ZICNTR] = { "zicntr", "cycle, time and instret counters" },
    [RISCV_EXT_ZBA] = { "zba", "address generation" },
    [RISCV_EXT_ZBB] = { "zbb", "basic bit manipulation" },
    [RISCV_EXT_ZBS] = { "zbs", "single-bit instructions" },
    [RISCV_EXT_ZICOND] = { "zicond", "integer conditional operations" },
};

#define EXT(x) (1u << RISCV_EXT_##x)
#define EXTS_G (EXT(I) | EXT(M) | EXT(A) | EXT(F) | EXT(D) | EXT(ZICSR) | EXT(ZIFENCEI))

const RiscvCPUModel riscv_cpu_models[] = {
    { "rv64", "RV64GC with Zicntr, Zba, Zbb, Zbs and Zicond (the default)",
      EXTS_G | EXT(C) | EXT(ZICNTR) | EXT(ZBA) | EXT(ZBB) | EXT(ZBS) | EXT(ZICOND) },
    { "max", "every extension proteus implements",
      EXTS_G | EXT(C) | EXT(ZICNTR) | EXT(ZBA) | EXT(ZBB) | EXT(ZBS) | EXT(ZICOND) },
    { "rv64gc", "RV64GC with Zicntr (what Debian's riscv64 port targets)",
      EXTS_G | EXT(C) | EXT(ZICNTR) },
    { "rv64imac", "RV64IMAC with Zicsr and Zicntr (no floating point)",
      EXT(I) | EXT(M) | EXT(A) | EXT(C) | EXT(ZICSR) | EXT(ZIFENCEI) | EXT(ZICNTR) },
    { "rv64i", "RV64I with Zicsr only",
      EXT(I) | EXT(ZICSR) },
    { NULL },
};

void riscv_cpu_print_models(FILE *out)
{
    fprintf(out, "riscv64 CPU models (-cpu NAME[,EXT=on|off...]):\n");
    for (const RiscvCPUModel *m = riscv_cpu_models; m->name; m++) {
        fprintf(out, "  %-10s %s\n", m->name, m->description);
    }
    fprintf(out, "\nExtensions:\n");
    for (int i = 0; i < RISCV_EXT_COUNT; i++) {
        fprintf(out, "  %-10s %s\n", riscv_ext_info[i].name, riscv_ext_info[i].description);
    }
}

static const RiscvCPUModel *riscv_find_model(const char *name)
{
    for (const RiscvCPUModel *m = riscv_cpu_models; m->name; m++) {
        if (strcmp(m->name, name) == 0) {
            return m;
        }
    }
    return NULL;
}

static int riscv_find_ext(const char *name)
{
    for (int i = 0; i < RISCV_EXT_COUNT; i++) {
        if (g_ascii_strcasecmp(riscv_ext_info[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

static bool riscv_parse_onoff(const char *value, bool *on)
{
    static const char *const yes[] = { "on", "true", "yes", "1" };
    static const char *const no[] = { "off", "false", "no", "0" };

    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (strcmp(value, yes[i]) == 0) {
            *on = true;
            return true;
        }
        if (strcmp(value, no[i]) == 0) {
            *on = false;
            return true;
        }
    }
    return false;
}

bool riscv_cpu_parse_model(const char *text, uint32_t *exts, GError **errp)
{
    g_auto(GStrv) parts = g_strsplit(text, ",", -1);
    const RiscvCPUModel *model;
    uint32_t set;

    model = riscv_find_model(parts[0]);
    if (!model) {
        g_set_error(errp, PROTEUS_ERROR, PROTEUS_ERROR_INVALID,
                    "unknown CPU model '%s' (-cpu help lists them)", parts[0]);
        return false;
    }
    set = model->exts;
    for (int i = 1; parts[i]; i++) {
        char *eq = strchr(parts[i], '=');
        bool on = true;
        int ext;

        if (eq) {
            *eq = '\0';
            if (!riscv_parse_onoff(eq + 1, &on)) {
                g_set_error(errp, PROTEUS_ERROR, PROTEUS_ERROR_INVALID,
                            "-cpu %s: '%s' is not on or off for '%s'", parts[0], eq + 1,
                            parts[i]);
                return false;
            }
        }
        ext = riscv_find_ext(parts[i]);
        if (ext < 0) {
            g_set_error(errp, PROTEUS_ERROR, PROTEUS_ERROR_INVALID,
                        "-cpu %s: unknown extension '%s'", parts[0], parts[i]);
            return false;
        }
        if (ext == RISCV_EXT_I && !on) {
            g_set_error(errp, PROTEUS_ERROR, PROTEUS_ERROR_INVALID,
                        "-cpu %s: the base ISA 'i' cannot be switched off", parts[0]);
            return false;
        }
        set = on ? set | (1u << ext) : set & ~(1u << ext);
    }
    /* The spec's dependencies: D needs F, and F and the counters need Zicsr. */
    if ((set & EXT(D)) && !(set & EXT(F))) {
        g_set_error(errp, PROTEUS_ERROR, PROTEUS_ERROR_INVALID,
                    "-cpu %s: extension 'd' needs 'f'", parts[0]);
        return false;
    }
    if ((set & (EXT(F) | EXT(ZICNTR))) && !(set & EXT(ZICSR))) {
        g_set_error(errp, PROTEUS_ERROR, PROTEUS_ERROR_INVALID,
                    "-cpu %s: extensions 'f' and 'zicntr' need 'zicsr'", parts[0]);
        return false;
    }
    *exts = set;
    return true;
}

char *riscv_isa_string(uint32_t exts)
{
    GString *s = g_string_new("rv64");

    /* single-letter extensions in canonical order, then the Z ones with '_' */
    for (int i = 0; i < RISCV_EXT_COUNT; i++) {
        if ((exts >> i & 1) && riscv_ext_info[i].name[1] == '\0') {
            g_string_append(s, riscv_ext_info[i].name);
        }
    }
    for (int i = 0; i < RISCV_EXT_COUNT; i++) {
        if ((exts >> i & 1) && riscv_ext_info[i].name[1] != '\0') {
            g_string_append_printf(s, "_%s", riscv_ext_info[i].name);
        }
    }
    return g_string_free(s, FALSE);
}

void riscv_cpu_list(FILE *out)
{
    fprintf(out, "Available CPU models:\n");
    for (const RiscvCPUModel *m = riscv_cpu_models; m->name; m++) {
        g_autofree char *isa = riscv_isa_string(m->exts);

        fprintf(out, "  %-10s %s\n             %s\n", m->name, m->description, isa);
    }
    fprintf(out, "Extension switches (-cpu MODEL,EXT=on|off,...):\n");
    for (int i = 0; i < RISCV_EXT_COUNT; i++) {
        fprintf(out, "  %-10s %s\n", riscv_ext_info[i].name, riscv_ext_info[i].description);
    }
}

/* ---- class hooks ---- */

static void riscv_cpu_reset(CPUState *cs)
{
    RiscvCPU *cpu = riscv_cpu(cs);

    memset(cpu->gpr, 0, sizeof(cpu->gpr));
    memset(cpu->fpr, 0, sizeof(cpu->fpr));
    cpu->pc = 0;
    cpu->load_res = -1;
    cpu->load_val = 0;
    cpu->frm = 0;
    cpu->fflags = 0;
    cpu->badaddr = 0;
    riscv_cpu_reset_priv(cpu);
}

static void riscv_get_tb_cpu_state(CPUState *cs, uint64_t *pc, uint32_t *flags)
{
    RiscvCPU *cpu = riscv_cpu(cs);
    uint32_t f = cpu->frm & RISCV_TB_FLAGS_FRM_MASK;

    f |= cpu->priv << RISCV_TB_FLAGS_PRIV_SHIFT;
    f |= riscv_data_mmu_index(cpu) << RISCV_TB_FLAGS_MMU_SHIFT;
    if (!(cpu->mstatus & MSTATUS_FS)) {
        f |= RISCV_TB_FLAGS_FP_OFF;
    }
    /* fetches translate through satp below M-mode */
    if (cpu->priv != RISCV_PRIV_M && (cpu->satp >> SATP_MODE_SHIFT) != SATP_MODE_BARE) {
        f |= cpu->as_tag << RISCV_TB_FLAGS_AS_SHIFT;
    }
    *pc = cpu->pc;
    *flags = f;
}

static void riscv_restore_state_to_opc(CPUState *cs, const TranslationBlock *tb,
                                       const uint64_t *words)
{
    riscv_cpu(cs)->pc = words[0];
}

static void riscv_set_pc(CPUState *cs, uint64_t pc)
{
    riscv_cpu(cs)->pc = pc;
}

static uint64_t riscv_get_pc(CPUState *cs)
{
    return riscv_cpu(cs)->pc;
}

static void riscv_dump_state(CPUState *cs, FILE *out, int flags)
{
    RiscvCPU *cpu = riscv_cpu(cs);

    fprintf(out, " pc       %016" PRIx64 "\n", cpu->pc);
    for (int i = 0; i < 32; i++) {
        fprintf(out, " %-4s %016" PRIx64 "%s", riscv_gpr_name(i), cpu->gpr[i],
                (i & 3) == 3 ? "\n" : " ");
    }
    if (riscv_has_ext(cpu, RISCV_EXT_F)) {
        for (int i = 0; i < 32; i++) {
            fprintf(out, " %-4s %016" PRIx64 "%s", riscv_fpr_name(i), cpu->fpr[i],
                    (i & 3) == 3 ? "\n" : " ");
        }
        fprintf(out, " fcsr     %08x\n", riscv_get_fcsr(cpu));
    }
    if (cpu->system) {
        fprintf(out, " priv %u mstatus %016" PRIx64 " mip %03" PRIx64 " mie %03" PRIx64
                " satp %016" PRIx64 "\n", cpu->priv, riscv_mstatus_read(cpu),
                __atomic_load_n(&cpu->mip, __ATOMIC_RELAXED), cpu->mie, cpu->satp);
        fprintf(out, " mepc %016" PRIx64 " mcause %016" PRIx64 " mtval %016" PRIx64 "\n",
                cpu->mepc, cpu->mcause, cpu->mtval);
        fprintf(out, " sepc %016" PRIx64 " scause %016" PRIx64 " stval %016" PRIx64 "\n",
                cpu->sepc, cpu->scause, cpu->stval);
    }
}

void riscv_translate_code(CPUState *cs, IRContext *ir, TranslationBlock *tb, int max_insns);
void riscv_translate_init_globals(IRContext *ir);

const CPUClass riscv64_cpu_class = {
    .name = "riscv64",
    .reset = riscv_cpu_reset,
    .get_tb_cpu_state = riscv_get_tb_cpu_state,
    .restore_state_to_opc = riscv_restore_state_to_opc,
    .set_pc = riscv_set_pc,
    .get_pc = riscv_get_pc,
    .dump_state = riscv_dump_state,
    .disas_insn = riscv_disas,
    .init_ir_globals = riscv_translate_init_globals,
    .translate_code = riscv_translate_code,
    .exec_interrupt = riscv_cpu_exec_interrupt,
    .do_interrupt = riscv_cpu_do_interrupt,
    .tlb_fill = riscv_cpu_tlb_fill,
    .do_transaction_failed = riscv_cpu_do_transaction_failed,
    .get_phys_page_debug = riscv_cpu_get_phys_page_debug,
    .gdb_read_register = riscv_gdb_read_register,
    .gdb_write_register = riscv_gdb_write_register,
    .gdb_num_core_regs = RISCV_GDB_NUM_CORE_REGS,
    .gdb_get_xml = riscv_gdb_get_xml,
};

RiscvCPU *riscv_cpu_new(uint32_t exts)
{
    RiscvCPU *cpu = g_new0(RiscvCPU, 1);

    cpu_state_init(&cpu->parent, &riscv64_cpu_class);
    cpu->exts = exts;
    cpu_reset(&cpu->parent);
    return cpu;
}

RiscvCPU *riscv_cpu_new_system(uint32_t exts, uint32_t hartid, uint64_t reset_pc)
{
    RiscvCPU *cpu = g_new0(RiscvCPU, 1);

    cpu_state_init(&cpu->parent, &riscv64_cpu_class);
    cpu->exts = exts;
    cpu->system = true;
    cpu->mhartid = hartid;
    cpu->reset_pc = reset_pc;
    /* exceptions go to the guest's trap handlers (do_interrupt) */
    cpu->parent.exit_on_exception = false;
    cpu_reset(&cpu->parent);
    return cpu;
}

void riscv_cpu_free(RiscvCPU *cpu)
{
    if (cpu) {
        cpu_state_finalize(&cpu->parent);
        g_free(cpu);
    }
}
