/*
 * The toy guest of toy-cpu.h: its CPU class hooks, its frontend
 * (TranslatorOps) and its helpers. It is a test fixture for the
 * translator core, so each instruction uses the core the way a real
 * frontend would: goto_tb for direct branches, goto_ptr for indirect ones,
 * helpers that raise precisely, a store helper that invalidates code.
 */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "proteus/translator.h"
#include "toy-cpu.h"

uint8_t *toy_mem;
int toy_max_insns;

static IRv64 toy_regs[TOY_NREGS];
static IRv64 toy_pc;

static ToyCPU *toy_cpu(void *env)
{
    return env;
}

/* ---- memory ---- */

void toy_mem_init(void)
{
    g_assert(toy_mem == NULL);
    toy_mem = g_malloc0(TOY_MEM_SIZE);
    ir_guest_base = (uintptr_t)toy_mem;
}

void toy_mem_free(void)
{
    g_free(toy_mem);
    toy_mem = NULL;
    ir_guest_base = 0;
}

void toy_put(uint64_t addr, uint64_t word)
{
    g_assert(addr + 8 <= TOY_MEM_SIZE);
    for (int i = 0; i < 8; i++) {
        toy_mem[addr + i] = word >> (8 * i);
    }
}

uint64_t toy_get(uint64_t addr)
{
    uint64_t word = 0;

    g_assert(addr + 8 <= TOY_MEM_SIZE);
    for (int i = 0; i < 8; i++) {
        word |= (uint64_t)toy_mem[addr + i] << (8 * i);
    }
    return word;
}

static bool toy_fetch(CPUState *cpu, uint64_t pc, uint64_t *insn)
{
    if (ir_mem_model == IR_MEM_SOFTMMU) {
        const uint8_t *p;

        /* 8-byte aligned: never crosses a page. */
        if (pc & 7) {
            return false;
        }
        p = tlb_probe_code(cpu, pc, 0);
        if (!p) {
            return false;
        }
        *insn = 0;
        for (int i = 0; i < 8; i++) {
            *insn |= (uint64_t)p[i] << (8 * i);
        }
        return true;
    }
    if (pc > TOY_MEM_SIZE - 8 || (pc & 7)) {
        return false;
    }
    *insn = toy_get(pc);
    return true;
}

bool (*toy_tlb_fill_fn)(CPUState *cpu, uint64_t addr, unsigned size, MMUAccessType type,
                        unsigned mmu_idx, bool probe, uintptr_t retaddr);

static bool toy_tlb_fill(CPUState *cpu, uint64_t addr, unsigned size, MMUAccessType type,
                         unsigned mmu_idx, bool probe, uintptr_t retaddr)
{
    g_assert(toy_tlb_fill_fn != NULL);
    return toy_tlb_fill_fn(cpu, addr, size, type, mmu_idx, probe, retaddr);
}

/* ---- helpers (called from generated code) ---- */

__attribute__((noinline))
static void helper_trapnz(void *env, uint64_t value, uint64_t arg)
{
    ToyCPU *cpu = toy_cpu(env);

    if (value != 0) {
        cpu->trap_arg = arg;
        cpu->parent.exception_index = EXCP_TOY_TRAP;
        cpu_loop_exit_restore(&cpu->parent, GETPC());
    }
}

__attribute__((noinline))
static void helper_raise(void *env, uint32_t excp)
{
    ToyCPU *cpu = toy_cpu(env);

    cpu->parent.exception_index = excp;
    cpu_loop_exit_restore(&cpu->parent, GETPC());
}

static void helper_halt(void *env)
{
    ToyCPU *cpu = toy_cpu(env);

    cpu->parent.halted = 1;
    cpu->parent.exception_index = EXCP_HLT;
    cpu_loop_exit(&cpu->parent);
}

/*
 * A store that keeps translated code coherent: when it changes bytes of a
 * page with TBs, those TBs go, and the store restarts from the loop so that
 * even the rest of its own TB runs the new code (storing the same value
 * again changes nothing, so it does not invalidate twice).
 */
__attribute__((noinline))
static void helper_stx(void *env, uint64_t addr, uint64_t value)
{
    ToyCPU *cpu = toy_cpu(env);
    uint64_t old;

    if (addr > TOY_MEM_SIZE - 8) {
        cpu->parent.exception_index = EXCP_TOY_FETCH;
        cpu_loop_exit_restore(&cpu->parent, GETPC());
    }
    memcpy(&old, toy_mem + addr, 8);
    if (old == value) {
        return;
    }
    memcpy(toy_mem + addr, &value, 8);
    if ((tb_page_has_code(addr) || tb_page_has_code(addr + 7)) &&
        tb_invalidate_range(addr, 8) > 0) {
        cpu_loop_exit_restore(&cpu->parent, GETPC());
    }
}

/* Globals are written back before these (no NO_READ_GLOBALS), so a raise
 * sees every register the earlier instructions wrote. */
static const IRHelperInfo toy_trapnz_info = {
    .func = (void *)helper_trapnz, .name = "toy_trapnz",
    .flags = IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS,
    .nargs = 3, .arg_types = { IR_TYPE_I64, IR_TYPE_I64, IR_TYPE_I64 },
};
static const IRHelperInfo toy_raise_info = {
    .func = (void *)helper_raise, .name = "toy_raise",
    .flags = IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS,
    .nargs = 2, .arg_types = { IR_TYPE_I64, IR_TYPE_I32 },
};
static const IRHelperInfo toy_halt_info = {
    .func = (void *)helper_halt, .name = "toy_halt",
    .flags = IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS,
    .nargs = 1, .arg_types = { IR_TYPE_I64 },
};
static const IRHelperInfo toy_stx_info = {
    .func = (void *)helper_stx, .name = "toy_stx",
    .flags = IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS,
    .nargs = 3, .arg_types = { IR_TYPE_I64, IR_TYPE_I64, IR_TYPE_I64 },
};

/* ---- the frontend ---- */

typedef struct ToyDisas {
    DisasContextBase base;
    uint32_t mode;
} ToyDisas;

static void toy_init_ir_globals(IRContext *ir)
{
    static const char *const names[TOY_NREGS] = { "r0", "r1", "r2", "r3",
                                                  "r4", "r5", "r6", "r7" };

    for (int i = 0; i < TOY_NREGS; i++) {
        toy_regs[i] = ir_global_i64(ir, offsetof(ToyCPU, regs[i]), names[i]);
    }
    toy_pc = ir_global_i64(ir, offsetof(ToyCPU, pc), "pc");
}

static void toy_init_disas_context(DisasContextBase *db, CPUState *cpu)
{
    ToyDisas *dc = (ToyDisas *)db;

    dc->mode = db->tb->flags & 1;
    if (toy_max_insns > 0 && toy_max_insns < db->max_insns) {
        db->max_insns = toy_max_insns;
    }
}

static void toy_insn_start(DisasContextBase *db, CPUState *cpu)
{
    ir_insn_start(db->ir, db->pc_next, 0, 0);
}

static void toy_gen_call(IRContext *ir, const IRHelperInfo *info, IRTempIdx a1,
                         IRTempIdx a2)
{
    IRTempIdx args[3] = { ir_env(ir).idx, a1, a2 };

    ir_call(ir, info, NULL, args);
}

static void toy_gen_branch(DisasContextBase *db, IRCond cond, unsigned rs, unsigned rt,
                           uint64_t pc, int32_t off)
{
    IRContext *ir = db->ir;
    IRLabel taken = ir_label_new(ir);

    ir_brcond_i64(ir, cond, toy_regs[rs], toy_regs[rt], taken);
    translator_gen_goto_tb(db, 0, toy_pc, pc + 8);
    ir_set_label(ir, taken);
    translator_gen_goto_tb(db, 1, toy_pc, pc + off);
    db->is_jmp = DISAS_NORETURN;
}


/* rs + imm: the guest address of a memory instruction. */
static IRv64 toy_gen_addr(IRContext *ir, unsigned rs, int64_t imm)
{
    IRv64 addr = ir_temp_new_i64(ir);

    ir_addi_i64(ir, addr, toy_regs[rs], imm);
    return addr;
}

static void toy_translate_insn(DisasContextBase *db, CPUState *cpu)
{
    ToyDisas *dc = (ToyDisas *)db;
    IRContext *ir = db->ir;
    uint64_t pc = db->pc_next, insn;
    unsigned op, rd, rs, rt;
    int32_t imm;
    IRv64 addr;

    if (!toy_fetch(cpu, pc, &insn)) {
        if (db->num_insns == 1) {
            /* nothing translated yet: the fault belongs to this pc */
            cpu->exception_index = EXCP_TOY_FETCH;
            cpu_loop_exit(cpu);
        }
        db->is_jmp = DISAS_TOO_MANY;
        return;
    }
    op = insn & 0xff;
    rd = (insn >> 8) & 7;
    rs = (insn >> 16) & 7;
    rt = (insn >> 24) & 7;
    imm = (int32_t)(insn >> 32);
    db->pc_next = pc + 8;

    switch (op) {
    case TOY_ADDI:
        ir_addi_i64(ir, toy_regs[rd], toy_regs[rs], dc->mode ? -(int64_t)imm : imm);
        break;
    case TOY_ADD:
        ir_add_i64(ir, toy_regs[rd], toy_regs[rs], toy_regs[rt]);
        break;
    case TOY_BEQ:
        toy_gen_branch(db, IR_COND_EQ, rs, rt, pc, imm);
        break;
    case TOY_BNE:
        toy_gen_branch(db, IR_COND_NE, rs, rt, pc, imm);
        break;
    case TOY_JMP:
        translator_gen_goto_tb(db, 0, toy_pc, pc + imm);
        db->is_jmp = DISAS_NORETURN;
        break;
    case TOY_JR:
        ir_mov_i64(ir, toy_pc, toy_regs[rs]);
        translator_gen_lookup_and_goto_ptr(db);
        db->is_jmp = DISAS_NORETURN;
        break;
    case TOY_LD:
        addr = toy_gen_addr(ir, rs, imm);
        ir_guest_ld_i64(ir, toy_regs[rd], addr, MO_LEUQ, 0);
        break;
    case TOY_ST:
        addr = toy_gen_addr(ir, rs, imm);
        ir_guest_st_i64(ir, toy_regs[rt], addr, MO_LEUQ, 0);
        break;
    case TOY_LD32A:
        addr = toy_gen_addr(ir, rs, imm);
        ir_guest_ld_i64(ir, toy_regs[rd], addr, MO_LESL | MO_ALIGN, 0);
        break;
    case TOY_ST16:
        addr = toy_gen_addr(ir, rs, imm);
        ir_guest_st_i64(ir, toy_regs[rt], addr, MO_LEUW, 0);
        break;
    case TOY_AMOADD:
        addr = toy_gen_addr(ir, rs, imm);
        ir_atomic_rmw_i64(ir, IR_ATOMIC_ADD, toy_regs[rd], addr, toy_regs[rt], MO_LEUQ, 0);
        break;
    case TOY_LDBE:
        addr = toy_gen_addr(ir, rs, imm);
        ir_guest_ld_i64(ir, toy_regs[rd], addr, MO_BEUL, 0);
        break;
    case TOY_STBE:
        addr = toy_gen_addr(ir, rs, imm);
        ir_guest_st_i64(ir, toy_regs[rt], addr, MO_BEUL, 0);
        break;
    case TOY_STX:
        addr = toy_gen_addr(ir, rs, imm);
        toy_gen_call(ir, &toy_stx_info, addr.idx, toy_regs[rt].idx);
        break;
    case TOY_TRAPNZ:
        toy_gen_call(ir, &toy_trapnz_info, toy_regs[rs].idx, ir_const_i64(ir, imm).idx);
        break;
    case TOY_HALT:
        ir_movi_i64(ir, toy_pc, db->pc_next);
        toy_gen_call(ir, &toy_halt_info, 0, 0);
        db->is_jmp = DISAS_NORETURN;
        break;
    case TOY_MODE:
        /* the TB flags change: find the next TB by lookup, never chain */
        ir_st_i32(ir, ir_const_i32(ir, imm & 1), ir_env(ir), offsetof(ToyCPU, mode));
        ir_movi_i64(ir, toy_pc, db->pc_next);
        translator_gen_lookup_and_goto_ptr(db);
        db->is_jmp = DISAS_NORETURN;
        break;
    case TOY_SETI:
        /* back to the loop, which looks at pending interrupts */
        ir_st_i32(ir, ir_const_i32(ir, imm & 1), ir_env(ir), offsetof(ToyCPU, irq_enabled));
        ir_movi_i64(ir, toy_pc, db->pc_next);
        ir_exit_tb(ir, 0);
        db->is_jmp = DISAS_NORETURN;
        break;
    default:
        toy_gen_call(ir, &toy_raise_info, ir_const_i32(ir, EXCP_TOY_ILLEGAL).idx, 0);
        db->is_jmp = DISAS_NORETURN;
        break;
    }
}

static void toy_tb_stop(DisasContextBase *db, CPUState *cpu)
{
    switch (db->is_jmp) {
    case DISAS_NEXT:
    case DISAS_TOO_MANY:
        translator_gen_goto_tb(db, 0, toy_pc, db->pc_next);
        break;
    case DISAS_NORETURN:
        break;
    default:
        g_assert_not_reached();
    }
}

void toy_disas(uint64_t insn, char *buf, size_t size)
{
    static const char *const names[] = {
        [TOY_ILLEGAL] = "illegal", [TOY_ADDI] = "addi", [TOY_ADD] = "add",
        [TOY_BEQ] = "beq", [TOY_BNE] = "bne", [TOY_JMP] = "jmp", [TOY_JR] = "jr",
        [TOY_LD] = "ld", [TOY_ST] = "st", [TOY_STX] = "stx", [TOY_TRAPNZ] = "trapnz",
        [TOY_HALT] = "halt", [TOY_MODE] = "mode", [TOY_SETI] = "seti",
        [TOY_LD32A] = "ld32a", [TOY_ST16] = "st16", [TOY_AMOADD] = "amoadd",
        [TOY_LDBE] = "ldbe", [TOY_STBE] = "stbe",
    };
    unsigned op = insn & 0xff;

    snprintf(buf, size, "%-7s r%u, r%u, r%u, %d",
             op < G_N_ELEMENTS(names) ? names[op] : "illegal",
             (unsigned)(insn >> 8) & 7, (unsigned)(insn >> 16) & 7,
             (unsigned)(insn >> 24) & 7, (int32_t)(insn >> 32));
}

static void toy_disas_log(const DisasContextBase *db, CPUState *cpu, FILE *out)
{
    for (uint64_t pc = db->pc_first; pc < db->pc_next; pc += 8) {
        char text[64];

        toy_disas(toy_get(pc), text, sizeof(text));
        fprintf(out, "0x%08" PRIx64 ":  %s\n", pc, text);
    }
}

static const TranslatorOps toy_translator_ops = {
    .init_disas_context = toy_init_disas_context,
    .insn_start = toy_insn_start,
    .translate_insn = toy_translate_insn,
    .tb_stop = toy_tb_stop,
    .disas_log = toy_disas_log,
};

static void toy_translate_code(CPUState *cpu, IRContext *ir, TranslationBlock *tb,
                               int max_insns)
{
    ToyDisas dc;

    translator_loop(cpu, ir, tb, max_insns, &toy_translator_ops, &dc.base);
}

/* ---- CPU class hooks ---- */

static void toy_reset(CPUState *cs)
{
    ToyCPU *cpu = toy_cpu(cs);

    memset(cpu->regs, 0, sizeof(cpu->regs));
    cpu->pc = 0;
    cpu->mode = 0;
    cpu->irq_enabled = 0;
    cpu->epc = cpu->cause = cpu->trap_arg = 0;
}

static void toy_get_tb_cpu_state(CPUState *cs, uint64_t *pc, uint32_t *flags)
{
    ToyCPU *cpu = toy_cpu(cs);

    *pc = cpu->pc;
    *flags = cpu->mode;
}

static void toy_restore_state_to_opc(CPUState *cs, const TranslationBlock *tb,
                                     const uint64_t *words)
{
    toy_cpu(cs)->pc = words[0];
}

static void toy_set_pc(CPUState *cs, uint64_t pc)
{
    toy_cpu(cs)->pc = pc;
}

static uint64_t toy_get_pc(CPUState *cs)
{
    return toy_cpu(cs)->pc;
}

static bool toy_exec_interrupt(CPUState *cs, uint32_t request)
{
    ToyCPU *cpu = toy_cpu(cs);

    if (!(request & CPU_INTERRUPT_HARD) || !cpu->irq_enabled) {
        return false;
    }
    cpu->epc = cpu->pc;
    cpu->cause = TOY_CAUSE_IRQ;
    cpu->pc = cpu->trap_vector;
    cpu->irq_enabled = 0;
    cpu_reset_interrupt(cs, CPU_INTERRUPT_HARD);
    return true;
}

static void toy_do_interrupt(CPUState *cs)
{
    ToyCPU *cpu = toy_cpu(cs);

    cpu->epc = cpu->pc;
    cpu->cause = cs->exception_index;
    cpu->pc = cpu->trap_vector;
}

static uint64_t toy_get_phys_page_debug(CPUState *cs, uint64_t vaddr)
{
    return vaddr < TOY_MEM_SIZE ? vaddr & TB_PAGE_MASK : (uint64_t)-1;
}

/* gdb numbering: r0..r7, then pc */
static int toy_gdb_read_register(CPUState *cs, GByteArray *buf, int reg)
{
    ToyCPU *cpu = toy_cpu(cs);
    uint64_t value;

    if (reg < 0 || reg > TOY_NREGS) {
        return 0;
    }
    value = GUINT64_TO_LE(reg == TOY_NREGS ? cpu->pc : cpu->regs[reg]);
    g_byte_array_append(buf, (const guint8 *)&value, 8);
    return 8;
}

static int toy_gdb_write_register(CPUState *cs, const uint8_t *mem, int reg)
{
    ToyCPU *cpu = toy_cpu(cs);
    uint64_t value;

    if (reg < 0 || reg > TOY_NREGS) {
        return 0;
    }
    memcpy(&value, mem, 8);
    value = GUINT64_FROM_LE(value);
    if (reg == TOY_NREGS) {
        cpu->pc = value;
    } else {
        cpu->regs[reg] = value;
    }
    return 8;
}

static void toy_dump_state(CPUState *cs, FILE *out, int flags)
{
    ToyCPU *cpu = toy_cpu(cs);

    fprintf(out, "pc %016" PRIx64 " mode %u\n", cpu->pc, cpu->mode);
    for (int i = 0; i < TOY_NREGS; i++) {
        fprintf(out, "r%d %016" PRIx64 "%c", i, cpu->regs[i], i % 4 == 3 ? '\n' : ' ');
    }
}

const CPUClass toy_cpu_class = {
    .name = "toy",
    .reset = toy_reset,
    .get_tb_cpu_state = toy_get_tb_cpu_state,
    .restore_state_to_opc = toy_restore_state_to_opc,
    .set_pc = toy_set_pc,
    .get_pc = toy_get_pc,
    .exec_interrupt = toy_exec_interrupt,
    .do_interrupt = toy_do_interrupt,
    .get_phys_page_debug = toy_get_phys_page_debug,
    .gdb_read_register = toy_gdb_read_register,
    .gdb_write_register = toy_gdb_write_register,
    .gdb_num_core_regs = TOY_NREGS + 1,
    .dump_state = toy_dump_state,
    .init_ir_globals = toy_init_ir_globals,
    .translate_code = toy_translate_code,
    .tlb_fill = toy_tlb_fill,
};

ToyCPU *toy_cpu_new(void)
{
    ToyCPU *cpu = g_new0(ToyCPU, 1);

    cpu_state_init(&cpu->parent, &toy_cpu_class);
    cpu_reset(&cpu->parent);
    return cpu;
}

void toy_cpu_free(ToyCPU *cpu)
{
    cpu_state_finalize(&cpu->parent);
    g_free(cpu);
}
