/*
 * The RISC-V frontend: fetches guest instructions, hands them to the
 * decoders generated from the *.decode tables, and provides the shared
 * code generators the per-extension trans_*.c.inc files use.
 *
 * Each table has its own decoder; an instruction is offered to them in
 * turn (they cover disjoint encodings, so the order only costs a switch
 * per table that does not match). A decoder returns false when nothing
 * matches or the matching trans_ declined the encoding: an illegal
 * instruction.
 */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "proteus/log.h"
#include "target/riscv/translate.h"

IRv64 cpu_gpr[32];
IRv64 cpu_fpr[32];
IRv64 cpu_pc;
IRv64 cpu_load_res;
IRv64 cpu_load_val;

static const char *const gpr_names[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
    "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
    "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

static const char *const fpr_names[32] = {
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7",
    "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
    "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
    "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
};

const char *riscv_gpr_name(int r)
{
    return gpr_names[r & 31];
}

const char *riscv_fpr_name(int r)
{
    return fpr_names[r & 31];
}

/* ---- shared code generators ---- */

IRv64 get_gpr(DisasContext *ctx, int reg)
{
    return reg == 0 ? ir_const_i64(ctx->ir, 0) : cpu_gpr[reg];
}

IRv64 dest_gpr(DisasContext *ctx, int reg)
{
    return reg == 0 ? ir_temp_new_i64(ctx->ir) : cpu_gpr[reg];
}

void gen_set_gpr(DisasContext *ctx, int reg, IRv64 v)
{
    if (reg != 0) {
        ir_mov_i64(ctx->ir, cpu_gpr[reg], v);
    }
}

IRv64 gen_addr(DisasContext *ctx, int rs1, int64_t imm)
{
    IRv64 addr = ir_temp_new_i64(ctx->ir);

    ir_addi_i64(ctx->ir, addr, get_gpr(ctx, rs1), imm);
    return addr;
}

void gen_exception(DisasContext *ctx, int excp)
{
    IRTempIdx args[2] = { ir_env(ctx->ir).idx, ir_const_i32(ctx->ir, excp).idx };

    ir_movi_i64(ctx->ir, cpu_pc, (int64_t)ctx->pc);
    ir_call(ctx->ir, &riscv_helper_raise_info, NULL, args);
    ctx->base.is_jmp = DISAS_NORETURN;
}

void gen_goto_tb(DisasContext *ctx, unsigned slot, uint64_t dest)
{
    translator_gen_goto_tb(&ctx->base, slot, cpu_pc, dest);
}

void gen_lookup_and_goto_ptr(DisasContext *ctx)
{
    translator_gen_lookup_and_goto_ptr(&ctx->base);
}

void gen_exit_to_loop(DisasContext *ctx)
{
    ir_movi_i64(ctx->ir, cpu_pc, (int64_t)ctx->pc_succ);
    ir_exit_tb(ctx->ir, 0);
    ctx->base.is_jmp = DISAS_NORETURN;
}

/* ---- the generated decoders and the per-extension files ---- */

/* Decoder hooks: register names, and pc-relative targets printed as
 * objdump does (absolute, hex without 0x) for the instruction at disas_pc. */
static __thread uint64_t disas_pc;
static __thread char disas_target_buf[2][24];
static __thread unsigned disas_target_next;

static const char *rv_gpr(int r)
{
    return gpr_names[r & 31];
}

G_GNUC_UNUSED static const char *rv_fpr(int r)
{
    return fpr_names[r & 31];
}

static const char *rv_target(int offset)
{
    char *buf = disas_target_buf[disas_target_next++ & 1];

    snprintf(buf, sizeof(disas_target_buf[0]), "%" PRIx64, disas_pc + (int64_t)offset);
    return buf;
}

/* Compressed register fields name x8..x15. */
G_GNUC_UNUSED static int32_t rvc_reg(int32_t r)
{
    return r + 8;
}

/* The printed form of a lui/auipc immediate: the 20-bit field, in hex. */
static const char *rv_uimm(int imm)
{
    char *buf = disas_target_buf[disas_target_next++ & 1];

    snprintf(buf, sizeof(disas_target_buf[0]), "0x%x", ((uint32_t)imm >> 12) & 0xfffff);
    return buf;
}

static const char *rv_csr(int csr)
{
    static const struct { int num; const char *name; } names[] = {
        { RISCV_CSR_FFLAGS, "fflags" }, { RISCV_CSR_FRM, "frm" },
        { RISCV_CSR_FCSR, "fcsr" }, { RISCV_CSR_CYCLE, "cycle" },
        { RISCV_CSR_TIME, "time" }, { RISCV_CSR_INSTRET, "instret" },
        { 0x100, "sstatus" }, { 0x104, "sie" }, { 0x105, "stvec" },
        { 0x106, "scounteren" }, { 0x140, "sscratch" },
        { 0x141, "sepc" }, { 0x142, "scause" }, { 0x143, "stval" }, { 0x144, "sip" },
        { 0x180, "satp" }, { 0x300, "mstatus" }, { 0x301, "misa" }, { 0x302, "medeleg" },
        { 0x303, "mideleg" }, { 0x304, "mie" }, { 0x305, "mtvec" },
        { 0x306, "mcounteren" }, { 0x320, "mcountinhibit" },
        { 0x340, "mscratch" }, { 0x341, "mepc" }, { 0x342, "mcause" },
        { 0x343, "mtval" }, { 0x344, "mip" }, { 0xb00, "mcycle" }, { 0xb02, "minstret" },
        { 0xf11, "mvendorid" }, { 0xf12, "marchid" }, { 0xf13, "mimpid" },
        { 0xf14, "mhartid" },
    };
    char *buf = disas_target_buf[disas_target_next++ & 1];

    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        if (names[i].num == csr) {
            return names[i].name;
        }
    }
    /* the PMP CSRs objdump (binutils 2.40) names: the first 16 entries' */
    if (csr >= 0x3a0 && csr <= 0x3a3) {
        snprintf(buf, sizeof(disas_target_buf[0]), "pmpcfg%d", csr - 0x3a0);
    } else if (csr >= 0x3b0 && csr <= 0x3bf) {
        snprintf(buf, sizeof(disas_target_buf[0]), "pmpaddr%d", csr - 0x3b0);
    } else {
        snprintf(buf, sizeof(disas_target_buf[0]), "0x%x", csr);
    }
    return buf;
}

/* The .aq/.rl suffix of an atomic: aq is bit 1, rl bit 0. */
static const char *rv_aqrl(int aqrl)
{
    static const char *const suffix[4] = { "", ".rl", ".aq", ".aqrl" };

    return suffix[aqrl & 3];
}

/* A fence's predecessor or successor set: some of "iorw". */
static const char *rv_fence(int set)
{
    char *buf = disas_target_buf[disas_target_next++ & 1];
    char *p = buf;

    for (int i = 3; i >= 0; i--) {
        if (set & (1 << i)) {
            *p++ = "wroi"[i];
        }
    }
    if (p == buf) {
        *p++ = '0';
    }
    *p = '\0';
    return buf;
}

#include "disas_fp.c.inc"
#include "decode-insn32.c.inc"
#include "decode-insn32b.c.inc"
#include "decode-insn16.c.inc"
#include "decode-insn32fp.c.inc"
#include "decode-insn16fp.c.inc"
#include "decode-insn32priv.c.inc"
#include "trans_rvi.c.inc"
#include "trans_rvm.c.inc"
#include "trans_rva.c.inc"
#include "trans_rvzicsr.c.inc"
#include "trans_rvc.c.inc"
#include "trans_rvzba.c.inc"
#include "trans_rvzbb.c.inc"
#include "trans_rvzbs.c.inc"
#include "trans_rvzicond.c.inc"
#include "trans_rvf.c.inc"
#include "trans_rvd.c.inc"
#include "trans_rvpriv.c.inc"

typedef bool DecodeFn(DisasContext *ctx, uint32_t insn);
typedef bool DisasFn(uint32_t insn, char *buf, size_t len);

static DecodeFn *const decoders32[] = {
    decode_insn32,
    decode_insn32b,
    decode_insn32fp,
    decode_insn32priv,
};
static DisasFn *const disassemblers32[] = {
    disas_insn32,
    disas_insn32b,
    disas_insn32fp,
    disas_insn32priv,
};
static DecodeFn *const decoders16[] = {
    decode_insn16,
    decode_insn16fp,
};
static DisasFn *const disassemblers16[] = {
    disas_insn16,
    disas_insn16fp,
};

unsigned riscv_disas(uint64_t pc, const uint8_t *bytes, unsigned avail, char *buf,
                     size_t len)
{
    uint32_t insn;
    unsigned ilen;

    if (avail < 2) {
        return 0;
    }
    insn = bytes[0] | (uint32_t)bytes[1] << 8;
    ilen = (insn & 3) == 3 ? 4 : 2;
    if (avail < ilen) {
        return 0;
    }
    disas_pc = pc;
    if (ilen == 4) {
        insn |= (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
        for (size_t i = 0; i < G_N_ELEMENTS(disassemblers32); i++) {
            if (disassemblers32[i] && disassemblers32[i](insn, buf, len)) {
                return 4;
            }
        }
        snprintf(buf, len, ".insn 4, 0x%08x", insn);
    } else {
        for (size_t i = 0; i < G_N_ELEMENTS(disassemblers16); i++) {
            if (disassemblers16[i] && disassemblers16[i](insn, buf, len)) {
                return 2;
            }
        }
        snprintf(buf, len, ".insn 2, 0x%04x", insn);
    }
    return ilen;
}

/* ---- the translator ops ---- */

static void riscv_init_ir_globals(IRContext *ir)
{
    for (int i = 1; i < 32; i++) {
        cpu_gpr[i] = ir_global_i64(ir, offsetof(RiscvCPU, gpr[i]), gpr_names[i]);
    }
    for (int i = 0; i < 32; i++) {
        cpu_fpr[i] = ir_global_i64(ir, offsetof(RiscvCPU, fpr[i]), fpr_names[i]);
    }
    cpu_pc = ir_global_i64(ir, offsetof(RiscvCPU, pc), "pc");
    cpu_load_res = ir_global_i64(ir, offsetof(RiscvCPU, load_res), "load_res");
    cpu_load_val = ir_global_i64(ir, offsetof(RiscvCPU, load_val), "load_val");
}

static void riscv_init_disas_context(DisasContextBase *db, CPUState *cs)
{
    DisasContext *ctx = (DisasContext *)db;

    ctx->ir = db->ir;
    ctx->exts = riscv_cpu(cs)->exts;
    ctx->frm = db->tb->flags & RISCV_TB_FLAGS_FRM_MASK;
    ctx->priv = (db->tb->flags & RISCV_TB_FLAGS_PRIV_MASK) >> RISCV_TB_FLAGS_PRIV_SHIFT;
    ctx->mem_idx = (db->tb->flags & RISCV_TB_FLAGS_MMU_MASK) >> RISCV_TB_FLAGS_MMU_SHIFT;
    ctx->fp_off = (db->tb->flags & RISCV_TB_FLAGS_FP_OFF) != 0;
}

static void riscv_insn_start(DisasContextBase *db, CPUState *cs)
{
    ir_insn_start(db->ir, db->pc_next, 0, 0);
}

/*
 * Reads len bytes of guest code at pc into out; false if they cannot be
 * fetched (unmapped or not executable). In system mode the cause is left
 * in fetch_fault: a page fault from the page walk, else an access fault
 * (PMP, or not RAM).
 */
/* System mode fetches through the MMU. (User mode may use the softmmu
 * model for data, under a debugger's watchpoints, never for code.) */
static bool riscv_fetch_via_tlb(void)
{
    return ir_mem_model == IR_MEM_SOFTMMU && !translator_user_code_ok;
}

static bool riscv_fetch(CPUState *cs, uint64_t pc, unsigned len, uint8_t *out)
{
    if (riscv_fetch_via_tlb()) {
        RiscvCPU *cpu = riscv_cpu(cs);
        const uint8_t *p;

        cpu->fetch_fault = RISCV_EXCP_INST_ACCESS_FAULT;
        p = tlb_probe_code(cs, pc, riscv_fetch_mmu_index(cpu));
        if (!p) {
            return false;
        }
        memcpy(out, p, len);
        return true;
    }
    if (translator_user_code_ok && !translator_user_code_ok(pc, len)) {
        return false;
    }
    memcpy(out, (const void *)(ir_guest_base + (uintptr_t)pc), len);
    return true;
}

static void riscv_fetch_fault(DisasContext *ctx, CPUState *cs, uint64_t addr)
{
    if (ctx->base.num_insns == 1) {
        /* nothing translated yet: the fault belongs to this pc */
        RiscvCPU *cpu = riscv_cpu(cs);

        cpu->badaddr = addr;
        cpu->pc = ctx->base.pc_next;
        cs->exception_index = riscv_fetch_via_tlb() ? cpu->fetch_fault
                                                             : RISCV_EXCP_INST_PAGE_FAULT;
        cpu_loop_exit(cs);
    }
    ctx->base.is_jmp = DISAS_TOO_MANY;
}

/* With mstatus.FS = Off every FP instruction is illegal (priv spec
 * 3.1.6.6): the FP tables are not consulted. */
static bool decoder_enabled(const DisasContext *ctx, DecodeFn *fn)
{
    return fn && !(ctx->fp_off && (fn == decode_insn32fp || fn == decode_insn16fp));
}

static void riscv_translate_insn(DisasContextBase *db, CPUState *cs)
{
    DisasContext *ctx = (DisasContext *)db;
    uint64_t pc = db->pc_next;
    uint8_t bytes[4];
    bool ok = false;

    if (!riscv_fetch(cs, pc, 2, bytes)) {
        riscv_fetch_fault(ctx, cs, pc);
        return;
    }
    ctx->pc = pc;
    ctx->insn = bytes[0] | (uint32_t)bytes[1] << 8;
    ctx->ilen = (ctx->insn & 3) == 3 ? 4 : 2;
    if (ctx->ilen == 4) {
        if (!riscv_fetch(cs, pc + 2, 2, bytes + 2)) {
            riscv_fetch_fault(ctx, cs, pc + 2);
            return;
        }
        ctx->insn |= (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
    }
    ctx->pc_succ = pc + ctx->ilen;
    db->pc_next = ctx->pc_succ;
    translator_insn_bytes(db, bytes, ctx->ilen);

    if (ctx->ilen == 4) {
        for (size_t i = 0; !ok && i < G_N_ELEMENTS(decoders32); i++) {
            ok = decoder_enabled(ctx, decoders32[i]) && decoders32[i](ctx, ctx->insn);
        }
    } else if (has_ext(ctx, RISCV_EXT_C)) {
        for (size_t i = 0; !ok && i < G_N_ELEMENTS(decoders16); i++) {
            ok = decoder_enabled(ctx, decoders16[i]) && decoders16[i](ctx, ctx->insn);
        }
    }
    if (!ok) {
        gen_exception(ctx, RISCV_EXCP_ILLEGAL_INST);
        return;
    }
}

static void riscv_tb_stop(DisasContextBase *db, CPUState *cs)
{
    DisasContext *ctx = (DisasContext *)db;

    switch (db->is_jmp) {
    case DISAS_NEXT:
    case DISAS_TOO_MANY:
        gen_goto_tb(ctx, 0, db->pc_next);
        break;
    case DISAS_NORETURN:
        break;
    default:
        g_assert_not_reached();
    }
}

static void riscv_disas_log(const DisasContextBase *db, CPUState *cs, FILE *out)
{
    uint64_t pc = db->pc_first;

    while (pc < db->pc_next) {
        uint8_t bytes[4];
        char text[96];
        unsigned n = MIN(4, db->pc_next - pc);

        if (!riscv_fetch(cs, pc, n, bytes)) {
            break;
        }
        n = riscv_disas(pc, bytes, n, text, sizeof(text));
        if (n == 0) {
            break;
        }
        if (n == 4) {
            fprintf(out, "0x%016" PRIx64 ":  %02x%02x%02x%02x          %s\n", pc,
                    bytes[3], bytes[2], bytes[1], bytes[0], text);
        } else {
            fprintf(out, "0x%016" PRIx64 ":  %02x%02x              %s\n", pc,
                    bytes[1], bytes[0], text);
        }
        pc += n;
    }
}

static const TranslatorOps riscv_translator_ops = {
    .init_disas_context = riscv_init_disas_context,
    .insn_start = riscv_insn_start,
    .translate_insn = riscv_translate_insn,
    .tb_stop = riscv_tb_stop,
    .disas_log = riscv_disas_log,
};

void riscv_translate_code(CPUState *cs, IRContext *ir, TranslationBlock *tb, int max_insns);
void riscv_translate_code(CPUState *cs, IRContext *ir, TranslationBlock *tb, int max_insns)
{
    DisasContext ctx = { 0 };

    translator_loop(cs, ir, tb, max_insns, &riscv_translator_ops, &ctx.base);
}

void riscv_translate_init_globals(IRContext *ir);
void riscv_translate_init_globals(IRContext *ir)
{
    riscv_init_ir_globals(ir);
}
