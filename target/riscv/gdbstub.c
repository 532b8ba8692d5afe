/*
 * The RISC-V CPU seen by gdb: its registers in gdb's numbering and the
 * target description (gdb manual, "RISC-V Features").
 *
 * Register numbers are gdb's own for RISC-V, stated in the XML: x0-x31 are
 * 0-31, pc 32 (these 33 make the "g" packet), f0-f31 33-64, CSR n is
 * 65 + n (so fflags, frm and fcsr are 66-68), and the virtual register
 * priv is 65 + 4096. The CSRs are the ones a debugger of a system guest
 * wants; user mode has only the floating-point ones.
 *
 * The debugger reads and writes CSRs with machine-mode rights whatever
 * mode the hart is in (it is stopped, so the temporary mode is never
 * seen by guest code).
 */
#include <string.h>

#include "target/riscv/cpu.h"
#include "target/riscv/gdbstub.h"

#define GDB_REG_PC 32
#define GDB_REG_F0 33
#define GDB_REG_CSR0 65
#define GDB_REG_PRIV (GDB_REG_CSR0 + 4096)

enum {
    CSR_FFLAGS = 0x001, CSR_FRM = 0x002, CSR_FCSR = 0x003,
};

/* The CSRs in the description of a system hart, by gdb's names. */
static const struct {
    const char *name;
    unsigned csr;
} gdb_csrs[] = {
    { "sstatus", 0x100 }, { "sie", 0x104 }, { "stvec", 0x105 }, { "sscratch", 0x140 },
    { "sepc", 0x141 }, { "scause", 0x142 }, { "stval", 0x143 }, { "sip", 0x144 },
    { "satp", 0x180 },
    { "mstatus", 0x300 }, { "misa", 0x301 }, { "medeleg", 0x302 }, { "mideleg", 0x303 },
    { "mie", 0x304 }, { "mtvec", 0x305 }, { "mscratch", 0x340 }, { "mepc", 0x341 },
    { "mcause", 0x342 }, { "mtval", 0x343 }, { "mip", 0x344 }, { "mhartid", 0xf14 },
};

static void append_u64(GByteArray *buf, uint64_t v)
{
    uint8_t le[8];

    for (int i = 0; i < 8; i++) {
        le[i] = v >> (8 * i);
    }
    g_byte_array_append(buf, le, 8);
}

static void append_u32(GByteArray *buf, uint32_t v)
{
    uint8_t le[4] = { v, v >> 8, v >> 16, v >> 24 };

    g_byte_array_append(buf, le, 4);
}

static uint64_t load_le(const uint8_t *mem, int size)
{
    uint64_t v = 0;

    for (int i = size - 1; i >= 0; i--) {
        v = v << 8 | mem[i];
    }
    return v;
}

static bool has_fp(const RiscvCPU *cpu)
{
    return riscv_has_ext(cpu, RISCV_EXT_F);
}

/* Floating-point registers: 8 bytes with D, else the single (4 bytes). */
static int fpr_size(const RiscvCPU *cpu)
{
    return riscv_has_ext(cpu, RISCV_EXT_D) ? 8 : 4;
}

static bool is_gdb_csr(unsigned csr)
{
    for (size_t i = 0; i < G_N_ELEMENTS(gdb_csrs); i++) {
        if (gdb_csrs[i].csr == csr) {
            return true;
        }
    }
    return false;
}

/* A CSR access with machine-mode rights (see the top of the file). */
static bool csr_access(RiscvCPU *cpu, unsigned csr, uint64_t *val, bool write)
{
    uint32_t priv = cpu->priv;
    bool ok;

    cpu->priv = RISCV_PRIV_M;
    ok = write ? riscv_csr_write(cpu, csr, *val) : riscv_csr_read(cpu, csr, val);
    cpu->priv = priv;
    return ok;
}

/* The floating-point CSRs, read even while mstatus.FS is off. */
static bool fp_csr_read(const RiscvCPU *cpu, unsigned csr, uint32_t *val)
{
    switch (csr) {
    case CSR_FFLAGS:
        *val = cpu->fflags;
        return true;
    case CSR_FRM:
        *val = cpu->frm;
        return true;
    case CSR_FCSR:
        *val = riscv_get_fcsr(cpu);
        return true;
    default:
        return false;
    }
}

static void fp_csr_write(RiscvCPU *cpu, unsigned csr, uint32_t val)
{
    if (csr == CSR_FFLAGS) {
        cpu->fflags = val & 0x1f;
    } else if (csr == CSR_FRM) {
        cpu->frm = val & 7;
    } else {
        riscv_set_fcsr(cpu, val);
    }
}

int riscv_gdb_read_register(CPUState *cs, GByteArray *buf, int reg)
{
    RiscvCPU *cpu = riscv_cpu(cs);
    unsigned csr = reg - GDB_REG_CSR0;
    uint32_t fval;
    uint64_t val;

    if (reg >= 0 && reg < 32) {
        append_u64(buf, cpu->gpr[reg]);
        return 8;
    }
    if (reg == GDB_REG_PC) {
        append_u64(buf, cpu->pc);
        return 8;
    }
    if (reg >= GDB_REG_F0 && reg < GDB_REG_F0 + 32 && has_fp(cpu)) {
        if (fpr_size(cpu) == 8) {
            append_u64(buf, cpu->fpr[reg - GDB_REG_F0]);
        } else {
            append_u32(buf, (uint32_t)cpu->fpr[reg - GDB_REG_F0]);
        }
        return fpr_size(cpu);
    }
    if (has_fp(cpu) && fp_csr_read(cpu, csr, &fval)) {
        append_u32(buf, fval);
        return 4;
    }
    if (!cpu->system) {
        return 0;
    }
    if (reg == GDB_REG_PRIV) {
        append_u64(buf, cpu->priv);
        return 8;
    }
    if (reg > GDB_REG_CSR0 && csr < 4096 && is_gdb_csr(csr) &&
        csr_access(cpu, csr, &val, false)) {
        append_u64(buf, val);
        return 8;
    }
    return 0;
}

int riscv_gdb_write_register(CPUState *cs, const uint8_t *mem, int reg)
{
    RiscvCPU *cpu = riscv_cpu(cs);
    unsigned csr = reg - GDB_REG_CSR0;
    uint32_t fval;
    uint64_t val;

    if (reg >= 0 && reg < 32) {
        if (reg) {
            cpu->gpr[reg] = load_le(mem, 8);     /* x0 stays 0 */
        }
        return 8;
    }
    if (reg == GDB_REG_PC) {
        cpu->pc = load_le(mem, 8);
        return 8;
    }
    if (reg >= GDB_REG_F0 && reg < GDB_REG_F0 + 32 && has_fp(cpu)) {
        val = load_le(mem, fpr_size(cpu));
        /* a single is NaN-boxed in the 64-bit register */
        cpu->fpr[reg - GDB_REG_F0] = fpr_size(cpu) == 8 ? val : val | ~0ull << 32;
        return fpr_size(cpu);
    }
    if (has_fp(cpu) && fp_csr_read(cpu, csr, &fval)) {
        fp_csr_write(cpu, csr, (uint32_t)load_le(mem, 4));
        return 4;
    }
    if (!cpu->system) {
        return 0;
    }
    if (reg == GDB_REG_PRIV) {
        val = load_le(mem, 8);
        /* only the modes the hart has; the TB flags follow the mode */
        if (val == RISCV_PRIV_U || val == RISCV_PRIV_S || val == RISCV_PRIV_M) {
            cpu->priv = val;
            riscv_new_as_tag(cpu);
        }
        return 8;
    }
    if (reg > GDB_REG_CSR0 && csr < 4096 && is_gdb_csr(csr)) {
        val = load_le(mem, 8);
        csr_access(cpu, csr, &val, true);   /* read-only ones ignore it, as WARL */
        return 8;
    }
    return 0;
}

/* ---- the target description ---- */

static void xml_reg(GString *x, const char *name, int bits, int regnum, const char *type,
                    const char *group)
{
    g_string_append_printf(x, "    <reg name=\"%s\" bitsize=\"%d\" regnum=\"%d\"",
                           name, bits, regnum);
    g_string_append_printf(x, " type=\"%s\"", type);
    if (group) {
        g_string_append_printf(x, " group=\"%s\"", group);
    }
    g_string_append(x, "/>\n");
}

static void xml_cpu_feature(GString *x)
{
    g_string_append(x, "  <feature name=\"org.gnu.gdb.riscv.cpu\">\n");
    for (int i = 0; i < 32; i++) {
        const char *type = (i == 1) ? "code_ptr" : (i == 2 || i == 8) ? "data_ptr" : "int";

        xml_reg(x, riscv_gpr_name(i), 64, i, type, NULL);
    }
    xml_reg(x, "pc", 64, GDB_REG_PC, "code_ptr", NULL);
    g_string_append(x, "  </feature>\n");
}

static void xml_fpu_feature(GString *x, bool doubles)
{
    g_string_append(x, "  <feature name=\"org.gnu.gdb.riscv.fpu\">\n");
    for (int i = 0; i < 32; i++) {
        xml_reg(x, riscv_fpr_name(i), doubles ? 64 : 32, GDB_REG_F0 + i,
                doubles ? "ieee_double" : "ieee_single", "float");
    }
    xml_reg(x, "fflags", 32, GDB_REG_CSR0 + CSR_FFLAGS, "int", "float");
    xml_reg(x, "frm", 32, GDB_REG_CSR0 + CSR_FRM, "int", "float");
    xml_reg(x, "fcsr", 32, GDB_REG_CSR0 + CSR_FCSR, "int", "float");
    g_string_append(x, "  </feature>\n");
}

static void xml_csr_features(GString *x)
{
    g_string_append(x, "  <feature name=\"org.gnu.gdb.riscv.csr\">\n");
    for (size_t i = 0; i < G_N_ELEMENTS(gdb_csrs); i++) {
        xml_reg(x, gdb_csrs[i].name, 64, GDB_REG_CSR0 + gdb_csrs[i].csr, "int", "system");
    }
    g_string_append(x, "  </feature>\n");
    g_string_append(x, "  <feature name=\"org.gnu.gdb.riscv.virtual\">\n");
    xml_reg(x, "priv", 64, GDB_REG_PRIV, "int", "system");
    g_string_append(x, "  </feature>\n");
}

static char *build_target_xml(bool fp, bool doubles, bool system)
{
    GString *x = g_string_new("<?xml version=\"1.0\"?>\n"
                              "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
                              "<target version=\"1.0\">\n"
                              "  <architecture>riscv:rv64</architecture>\n");

    xml_cpu_feature(x);
    if (fp) {
        xml_fpu_feature(x, doubles);
    }
    if (system) {
        xml_csr_features(x);
    }
    g_string_append(x, "</target>\n");
    return g_string_free(x, FALSE);
}

/* One document per kind of hart (FP or not, D or not, system or user),
 * built on first use and kept. */
const char *riscv_gdb_get_xml(CPUState *cs, const char *annex)
{
    static GMutex lock;
    static char *docs[8];
    RiscvCPU *cpu = riscv_cpu(cs);
    bool doubles = riscv_has_ext(cpu, RISCV_EXT_D);
    unsigned kind = has_fp(cpu) | doubles << 1 | cpu->system << 2;
    const char *doc;

    if (strcmp(annex, "target.xml") != 0) {
        return NULL;
    }
    g_mutex_lock(&lock);
    if (!docs[kind]) {
        docs[kind] = build_target_xml(has_fp(cpu), doubles, cpu->system);
    }
    doc = docs[kind];
    g_mutex_unlock(&lock);
    return doc;
}
