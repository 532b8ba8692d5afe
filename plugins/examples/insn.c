/*
 * insn: counts executed guest instructions, in total and (classes=on) by
 * class of the riscv64 encoding: loads, stores, branches, jumps, ALU,
 * mul/div, FP, atomics, system, other, plus how many were compressed.
 * Prints "insns: N" and the classes when the emulator exits.
 *
 * Options:
 *   inline=on|off   on (default): counters added to by inline operations
 *                   compiled into each instruction; off: a call per
 *                   instruction (slower, to compare the two)
 *   classes=on|off  also count by class (default on)
 *
 * An instruction is counted before it runs, so a faulting one counts.
 * FP loads and stores count as loads and stores; "FP" is the arithmetic.
 */
#include <inttypes.h>
#include <stddef.h>

#include <glib.h>

#include "example.h"

PROTEUS_PLUGIN_EXPORT int proteus_plugin_version = PROTEUS_PLUGIN_VERSION;

typedef enum InsnClass {
    CLASS_LOAD,
    CLASS_STORE,
    CLASS_BRANCH,
    CLASS_JUMP,
    CLASS_ALU,
    CLASS_MULDIV,
    CLASS_FP,
    CLASS_ATOMIC,
    CLASS_SYSTEM,
    CLASS_OTHER,
    CLASS_COUNT
} InsnClass;

static const char *const class_names[CLASS_COUNT] = {
    [CLASS_LOAD] = "load", [CLASS_STORE] = "store", [CLASS_BRANCH] = "branch",
    [CLASS_JUMP] = "jump", [CLASS_ALU] = "alu", [CLASS_MULDIV] = "muldiv",
    [CLASS_FP] = "fp", [CLASS_ATOMIC] = "atomic", [CLASS_SYSTEM] = "system",
    [CLASS_OTHER] = "other",
};

/* One vCPU's counters (the scoreboard element). */
typedef struct InsnCounts {
    uint64_t total;
    uint64_t compressed;
    uint64_t by_class[CLASS_COUNT];
} InsnCounts;

static bool use_inline = true;
static bool use_classes = true;
static ProteusScoreboard *counts;

/* RVC (RISC-V unprivileged spec, chapter "C" extension, opcode map):
 * the quadrant is bits 1:0, funct3 bits 15:13. */
static InsnClass classify_compressed(uint16_t insn)
{
    unsigned quadrant = insn & 3;
    unsigned funct3 = insn >> 13;
    unsigned rs1 = (insn >> 7) & 0x1f;
    unsigned rs2 = (insn >> 2) & 0x1f;
    bool bit12 = insn & (1 << 12);

    switch (quadrant) {
    case 0:   /* addi4spn, fld, lw, ld, (reserved), fsd, sw, sd */
        if (funct3 == 0) {
            return CLASS_ALU;
        }
        if (funct3 == 4) {
            return CLASS_OTHER;
        }
        return funct3 < 4 ? CLASS_LOAD : CLASS_STORE;
    case 1:   /* addi, addiw, li, lui/addi16sp, alu, j, beqz, bnez */
        if (funct3 == 5) {
            return CLASS_JUMP;
        }
        return funct3 >= 6 ? CLASS_BRANCH : CLASS_ALU;
    default:  /* slli, fldsp, lwsp, ldsp, jr/mv/ebreak/jalr/add, fsdsp, swsp, sdsp */
        if (funct3 == 0) {
            return CLASS_ALU;
        }
        if (funct3 < 4) {
            return CLASS_LOAD;
        }
        if (funct3 > 4) {
            return CLASS_STORE;
        }
        if (rs2 != 0) {
            return CLASS_ALU;                           /* c.mv, c.add */
        }
        if (bit12 && rs1 == 0) {
            return CLASS_SYSTEM;                        /* c.ebreak */
        }
        return CLASS_JUMP;                              /* c.jr, c.jalr */
    }
}

/* 32-bit encodings by major opcode (bits 6:0). */
static InsnClass classify_standard(uint32_t insn)
{
    unsigned funct7 = insn >> 25;

    switch (insn & 0x7f) {
    case 0x03: case 0x07:                           /* LOAD, LOAD-FP */
        return CLASS_LOAD;
    case 0x23: case 0x27:                           /* STORE, STORE-FP */
        return CLASS_STORE;
    case 0x63:                                      /* BRANCH */
        return CLASS_BRANCH;
    case 0x6f: case 0x67:                           /* JAL, JALR */
        return CLASS_JUMP;
    case 0x13: case 0x1b: case 0x37: case 0x17:     /* OP-IMM(-32), LUI, AUIPC */
        return CLASS_ALU;
    case 0x33: case 0x3b:                           /* OP, OP-32: M is funct7 1 */
        return funct7 == 1 ? CLASS_MULDIV : CLASS_ALU;
    case 0x2f:                                      /* AMO: LR, SC, AMOs */
        return CLASS_ATOMIC;
    case 0x43: case 0x47: case 0x4b: case 0x4f:     /* fused multiply-adds */
    case 0x53:                                      /* OP-FP */
        return CLASS_FP;
    case 0x73: case 0x0f:                           /* SYSTEM, MISC-MEM (fences) */
        return CLASS_SYSTEM;
    default:
        return CLASS_OTHER;
    }
}

/* The class of insn; *compressed tells whether it is 16-bit. */
static InsnClass classify(const ProteusInsn *insn, bool *compressed)
{
    uint8_t b[4] = { 0 };
    size_t n = proteus_insn_data(insn, b, sizeof(b));
    uint32_t word = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;

    *compressed = n >= 2 && (word & 3) != 3;
    if (*compressed) {
        return classify_compressed(word & 0xffff);
    }
    return n == 4 ? classify_standard(word) : CLASS_OTHER;
}

/* The class and compression of an instruction, packed as callback data. */
#define DATA_COMPRESSED 0x100

static void insn_exec(unsigned vcpu, void *userdata)
{
    InsnCounts *c = proteus_scoreboard_find(counts, vcpu);
    uintptr_t data = (uintptr_t)userdata;

    c->total++;
    if (use_classes) {
        c->by_class[data & 0xff]++;
        c->compressed += !!(data & DATA_COMPRESSED);
    }
}

static void add_inline(ProteusInsn *insn, size_t offset)
{
    proteus_register_insn_inline(insn, PROTEUS_INLINE_ADD_U64,
                                 proteus_scoreboard_u64(counts, offset), 1);
}

static void instrument_insn(ProteusInsn *insn)
{
    bool compressed;
    InsnClass cls = classify(insn, &compressed);

    if (!use_inline) {
        uintptr_t data = cls | (compressed ? DATA_COMPRESSED : 0);
        proteus_register_insn_exec_cb(insn, insn_exec, PROTEUS_CB_NO_REGS, (void *)data);
        return;
    }
    add_inline(insn, offsetof(InsnCounts, total));
    if (use_classes) {
        add_inline(insn, offsetof(InsnCounts, by_class) + cls * sizeof(uint64_t));
        if (compressed) {
            add_inline(insn, offsetof(InsnCounts, compressed));
        }
    }
}

static void tb_trans(proteus_plugin_id id, ProteusTB *tb)
{
    size_t n = proteus_tb_n_insns(tb);

    for (size_t i = 0; i < n; i++) {
        instrument_insn(proteus_tb_insn(tb, i));
    }
}

static uint64_t sum_at(size_t offset)
{
    return proteus_u64_sum(proteus_scoreboard_u64(counts, offset));
}

static void print_report(proteus_plugin_id id, void *userdata)
{
    g_autoptr(GString) s = g_string_new(NULL);
    unsigned vcpus = proteus_plugin_num_vcpus();

    g_string_append_printf(s, "insns: %" PRIu64 "\n", sum_at(offsetof(InsnCounts, total)));
    for (unsigned v = 0; vcpus > 1 && v < vcpus; v++) {
        g_string_append_printf(s, "vcpu %u insns: %" PRIu64 "\n", v,
                               proteus_u64_get(proteus_scoreboard_u64(
                                   counts, offsetof(InsnCounts, total)), v));
    }
    if (use_classes) {
        for (int c = 0; c < CLASS_COUNT; c++) {
            size_t off = offsetof(InsnCounts, by_class) + c * sizeof(uint64_t);
            g_string_append_printf(s, "  %-10s %" PRIu64 "\n", class_names[c], sum_at(off));
        }
        g_string_append_printf(s, "  %-10s %" PRIu64 "\n", "compressed",
                               sum_at(offsetof(InsnCounts, compressed)));
    }
    proteus_plugin_output(s->str);
}

int proteus_plugin_install(proteus_plugin_id id, const ProteusPluginInfo *info,
                           int argc, char **argv)
{
    const PluginArg args[] = {
        { "inline", PLUGIN_ARG_BOOL, &use_inline },
        { "classes", PLUGIN_ARG_BOOL, &use_classes },
        { NULL },
    };

    if (!plugin_parse_args("insn", args, argc, argv)) {
        return 1;
    }
    counts = proteus_scoreboard_new(sizeof(InsnCounts));
    proteus_plugin_register_tb_trans_cb(id, tb_trans);
    proteus_plugin_register_atexit_cb(id, print_report, NULL);
    return 0;
}
