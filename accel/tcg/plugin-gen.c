/*
 * Instrumentation: compiling what plugins ask for into translated code.
 *
 * A TB is translated twice when plugins are loaded. The first pass only
 * records the instructions (address, size, bytes; the frontend reports
 * the bytes through translator_insn_bytes). The plugins' tb_trans
 * callbacks then see that list and register what they want. If they want
 * nothing, the first pass's IR is kept: an idle plugin costs one extra
 * list per translation and no IR. Otherwise the TB is translated again,
 * and the translator loop calls back here to emit, at the TB's start and
 * before each instruction, the calls and inline counter operations, and
 * after each of the instruction's memory accesses (the IR builders' memory
 * hook) the memory callbacks. Translation is deterministic for the same
 * guest bytes, which tb_lock and the code-page tracking keep unchanged
 * meanwhile; the second pass still checks each instruction's address.
 */
#include <string.h>

#include "accel/tcg/tb-internal.h"
#include "plugins/core.h"

typedef enum InstrKind {
    INSTR_CB,                   /* call cb(vcpu, userdata) */
    INSTR_COND_CB,              /* ... when (entry cond imm) */
    INSTR_INLINE,               /* op on entry with imm */
    INSTR_MEM_CB,               /* after an access of kind rw: cb(vcpu, info, vaddr, userdata) */
    INSTR_MEM_INLINE,           /* after an access of kind rw: op on entry */
} InstrKind;

typedef struct Instr {
    InstrKind kind;
    void *cb;
    ProteusCbFlags flags;
    void *userdata;
    ProteusInlineOp op;
    ProteusCond cond;
    ProteusU64 entry;
    uint64_t imm;
    ProteusMemRW rw;
} Instr;

#define INSN_MAX_BYTES 16

struct ProteusInsn {
    uint64_t vaddr;
    unsigned size;
    unsigned nbytes;
    uint8_t bytes[INSN_MAX_BYTES];
    const CPUClass *cc;
    GArray *instr;              /* Instr */
};

/* A counter's address for the running vCPU, computed once per TB pass. */
typedef struct EntryAddr {
    ProteusU64 entry;
    IRv64 addr;                 /* a TB-lifetime temp */
} EntryAddr;

struct ProteusTB {
    uint64_t vaddr;
    GPtrArray *insns;           /* ProteusInsn * */
    GArray *instr;              /* Instr: before the TB */
    GArray *addrs;              /* EntryAddr: the second pass's counters */
    bool injecting;             /* second pass */
    bool wanted;                /* some instrumentation was registered */
    ProteusInsn *cur;           /* the instruction being translated (second pass) */
};

static __thread ProteusTB *gen_tb;

/* ---- the handles plugins see ---- */

size_t proteus_tb_n_insns(const ProteusTB *tb)
{
    return tb->insns->len;
}

uint64_t proteus_tb_vaddr(const ProteusTB *tb)
{
    return tb->vaddr;
}

ProteusInsn *proteus_tb_insn(ProteusTB *tb, size_t index)
{
    return index < tb->insns->len ? g_ptr_array_index(tb->insns, index) : NULL;
}

uint64_t proteus_insn_vaddr(const ProteusInsn *insn)
{
    return insn->vaddr;
}

size_t proteus_insn_size(const ProteusInsn *insn)
{
    return insn->size;
}

size_t proteus_insn_data(const ProteusInsn *insn, void *dest, size_t len)
{
    size_t n = MIN(len, insn->nbytes);

    memcpy(dest, insn->bytes, n);
    return n;
}

char *proteus_insn_disas(const ProteusInsn *insn)
{
    char text[128];

    if (!insn->cc->disas_insn ||
        insn->cc->disas_insn(insn->vaddr, insn->bytes, insn->nbytes, text, sizeof(text)) == 0) {
        return strdup(".insn");
    }
    return strdup(text);
}

static void instr_add(ProteusTB *tb, GArray *list, const Instr *in)
{
    g_array_append_vals(list, in, 1);
    tb->wanted = true;
}

void proteus_register_tb_exec_cb(ProteusTB *tb, ProteusExecCb cb, ProteusCbFlags flags,
                                 void *userdata)
{
    Instr in = { .kind = INSTR_CB, .cb = (void *)cb, .flags = flags, .userdata = userdata };

    instr_add(tb, tb->instr, &in);
}

void proteus_register_tb_inline(ProteusTB *tb, ProteusInlineOp op, ProteusU64 entry,
                                uint64_t imm)
{
    Instr in = { .kind = INSTR_INLINE, .op = op, .entry = entry, .imm = imm };

    instr_add(tb, tb->instr, &in);
}

void proteus_register_insn_exec_cb(ProteusInsn *insn, ProteusExecCb cb,
                                   ProteusCbFlags flags, void *userdata)
{
    Instr in = { .kind = INSTR_CB, .cb = (void *)cb, .flags = flags, .userdata = userdata };

    instr_add(gen_tb, insn->instr, &in);
}

void proteus_register_insn_inline(ProteusInsn *insn, ProteusInlineOp op, ProteusU64 entry,
                                  uint64_t imm)
{
    Instr in = { .kind = INSTR_INLINE, .op = op, .entry = entry, .imm = imm };

    instr_add(gen_tb, insn->instr, &in);
}

void proteus_register_insn_exec_cond_cb(ProteusInsn *insn, ProteusExecCb cb,
                                        ProteusCbFlags flags, ProteusCond cond,
                                        ProteusU64 entry, uint64_t imm, void *userdata)
{
    Instr in = { .kind = INSTR_COND_CB, .cb = (void *)cb, .flags = flags,
                 .userdata = userdata, .cond = cond, .entry = entry, .imm = imm };

    instr_add(gen_tb, insn->instr, &in);
}

void proteus_register_insn_mem_cb(ProteusInsn *insn, ProteusMemCb cb, ProteusCbFlags flags,
                                  ProteusMemRW rw, void *userdata)
{
    Instr in = { .kind = INSTR_MEM_CB, .cb = (void *)cb, .flags = flags,
                 .userdata = userdata, .rw = rw };

    instr_add(gen_tb, insn->instr, &in);
}

void proteus_register_insn_mem_inline(ProteusInsn *insn, ProteusMemRW rw, ProteusInlineOp op,
                                      ProteusU64 entry, uint64_t imm)
{
    Instr in = { .kind = INSTR_MEM_INLINE, .rw = rw, .op = op, .entry = entry, .imm = imm };

    instr_add(gen_tb, insn->instr, &in);
}

/* ---- the helpers generated code calls ---- */

static void exec_cb_helper(void *env, uint64_t cb, uint64_t userdata)
{
    CPUState *cpu = env;

    plugin_set_current_cpu(cpu);
    ((ProteusExecCb)(uintptr_t)cb)(cpu->cpu_index, (void *)(uintptr_t)userdata);
    plugin_set_current_cpu(NULL);
}

static void mem_cb_helper(void *env, uint64_t vaddr, uint64_t info, uint64_t cb,
                          uint64_t userdata)
{
    CPUState *cpu = env;

    plugin_set_current_cpu(cpu);
    ((ProteusMemCb)(uintptr_t)cb)(cpu->cpu_index, (ProteusMemInfo)info, vaddr,
                                  (void *)(uintptr_t)userdata);
    plugin_set_current_cpu(NULL);
}

/* A callback reading registers needs the globals written back first;
 * none may change them. */
#define HELPER_INFO(fn, n, flags_, ...) {                                   \
        .func = (void *)(fn), .name = #fn, .flags = (flags_),                \
        .has_ret = false, .nargs = (n), .arg_types = { __VA_ARGS__ } }
#define I64 IR_TYPE_I64
static const IRHelperInfo exec_cb_info[2] = {
    [PROTEUS_CB_NO_REGS] = HELPER_INFO(exec_cb_helper, 3,
                                       IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS,
                                       I64, I64, I64),
    [PROTEUS_CB_R_REGS] = HELPER_INFO(exec_cb_helper, 3, IR_CALL_NO_WRITE_GLOBALS,
                                      I64, I64, I64),
};
static const IRHelperInfo mem_cb_info[2] = {
    [PROTEUS_CB_NO_REGS] = HELPER_INFO(mem_cb_helper, 5,
                                       IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS,
                                       I64, I64, I64, I64, I64),
    [PROTEUS_CB_R_REGS] = HELPER_INFO(mem_cb_helper, 5, IR_CALL_NO_WRITE_GLOBALS,
                                      I64, I64, I64, I64, I64),
};

/* ---- emitting ---- */

static IRv64 const64(IRContext *ir, uint64_t v)
{
    return ir_const_i64(ir, (int64_t)v);
}

/* Computes the running vCPU's element of entry, base + cpu_index * size,
 * into addr. */
static void gen_entry_addr_into(IRContext *ir, ProteusU64 entry, IRv64 addr)
{
    size_t size;
    uintptr_t base = plugin_u64_base(entry, &size);
    IRv32 index = ir_temp_new_i32(ir);

    ir_ld_i32(ir, index, ir_env(ir), offsetof(CPUState, cpu_index));
    ir_extu_i32_i64(ir, addr, index);
    if ((size & (size - 1)) == 0) {
        ir_shli_i64(ir, addr, addr, __builtin_ctzll(size));
    } else {
        ir_mul_i64(ir, addr, addr, const64(ir, size));
    }
    ir_addi_i64(ir, addr, addr, (int64_t)base);
}

static bool entry_equal(ProteusU64 a, ProteusU64 b)
{
    return a.score == b.score && a.offset == b.offset;
}

/* entry's address: the one the TB's start computed, else computed here. */
static IRv64 gen_entry_addr(IRContext *ir, ProteusU64 entry)
{
    IRv64 addr;

    for (guint i = 0; gen_tb && i < gen_tb->addrs->len; i++) {
        const EntryAddr *e = &g_array_index(gen_tb->addrs, EntryAddr, i);

        if (entry_equal(e->entry, entry)) {
            return e->addr;
        }
    }
    addr = ir_temp_new_i64(ir);
    gen_entry_addr_into(ir, entry, addr);
    return addr;
}

/* At the TB's start: the address of every counter its inline operations
 * use, once, instead of before each instruction. */
static void gen_entry_addrs(IRContext *ir, ProteusTB *tb, GArray *list)
{
    for (guint i = 0; i < list->len; i++) {
        const Instr *in = &g_array_index(list, Instr, i);
        EntryAddr e = { .entry = in->entry };
        bool known = false;

        if (in->kind != INSTR_INLINE && in->kind != INSTR_COND_CB &&
            in->kind != INSTR_MEM_INLINE) {
            continue;
        }
        for (guint j = 0; j < tb->addrs->len && !known; j++) {
            known = entry_equal(g_array_index(tb->addrs, EntryAddr, j).entry, in->entry);
        }
        if (!known) {
            e.addr = ir_temp_tb_i64(ir);
            gen_entry_addr_into(ir, in->entry, e.addr);
            g_array_append_val(tb->addrs, e);
        }
    }
}

static void gen_inline(IRContext *ir, const Instr *in)
{
    IRv64 addr = gen_entry_addr(ir, in->entry);
    IRv64 v = ir_temp_new_i64(ir);

    if (in->op == PROTEUS_INLINE_ADD_U64) {
        ir_ld_i64(ir, v, addr, 0);
        ir_addi_i64(ir, v, v, (int64_t)in->imm);
    } else {
        ir_movi_i64(ir, v, (int64_t)in->imm);
    }
    ir_st_i64(ir, v, addr, 0);
}

static void gen_exec_cb(IRContext *ir, const Instr *in)
{
    IRTempIdx args[3] = {
        ir_env(ir).idx,
        const64(ir, (uintptr_t)in->cb).idx,
        const64(ir, (uintptr_t)in->userdata).idx,
    };

    ir_call(ir, &exec_cb_info[in->flags == PROTEUS_CB_R_REGS], NULL, args);
}

/* The branch that skips the callback: the condition's opposite. */
static IRCond cond_negated(ProteusCond cond)
{
    switch (cond) {
    case PROTEUS_COND_EQ: return IR_COND_NE;
    case PROTEUS_COND_NE: return IR_COND_EQ;
    case PROTEUS_COND_LT: return IR_COND_GEU;
    case PROTEUS_COND_LE: return IR_COND_GTU;
    case PROTEUS_COND_GT: return IR_COND_LEU;
    case PROTEUS_COND_GE: return IR_COND_LTU;
    }
    g_assert_not_reached();
}

static void gen_cond_cb(IRContext *ir, const Instr *in)
{
    IRv64 addr = gen_entry_addr(ir, in->entry);
    IRv64 v = ir_temp_new_i64(ir);
    IRLabel skip = ir_label_new(ir);

    ir_ld_i64(ir, v, addr, 0);
    ir_brcond_i64(ir, cond_negated(in->cond), v, const64(ir, in->imm), skip);
    gen_exec_cb(ir, in);
    ir_set_label(ir, skip);
}

static void gen_exec_list(IRContext *ir, GArray *list)
{
    for (guint i = 0; i < list->len; i++) {
        const Instr *in = &g_array_index(list, Instr, i);

        switch (in->kind) {
        case INSTR_CB:
            gen_exec_cb(ir, in);
            break;
        case INSTR_COND_CB:
            gen_cond_cb(ir, in);
            break;
        case INSTR_INLINE:
            gen_inline(ir, in);
            break;
        case INSTR_MEM_CB:
        case INSTR_MEM_INLINE:
            break;
        }
    }
}

/* ProteusMemInfo: the MemOp, the MMU index, whether it stored. */
static ProteusMemInfo mem_info(MemOp mop, unsigned mmu, bool store)
{
    return (mop & 0xff) | (mmu & 0xff) << 8 | (store ? 1u << 16 : 0);
}

/* IRContext.mem_hook: after an access of the current instruction. */
static void gen_mem_hook(IRContext *ir, IRv64 addr, MemOp mop, unsigned mmu,
                         unsigned kinds, void *opaque)
{
    const ProteusInsn *insn = opaque;

    for (unsigned k = IR_MEM_HOOK_LOAD; k <= IR_MEM_HOOK_STORE; k <<= 1) {
        bool store = k == IR_MEM_HOOK_STORE;
        unsigned rw = store ? PROTEUS_MEM_W : PROTEUS_MEM_R;

        if (!(kinds & k)) {
            continue;
        }
        for (guint i = 0; i < insn->instr->len; i++) {
            const Instr *in = &g_array_index(insn->instr, Instr, i);

            if (in->kind == INSTR_MEM_INLINE && (in->rw & rw)) {
                gen_inline(ir, in);
            } else if (in->kind == INSTR_MEM_CB && (in->rw & rw)) {
                IRTempIdx args[5] = {
                    ir_env(ir).idx, addr.idx,
                    const64(ir, mem_info(mop, mmu, store)).idx,
                    const64(ir, (uintptr_t)in->cb).idx,
                    const64(ir, (uintptr_t)in->userdata).idx,
                };

                ir_call(ir, &mem_cb_info[in->flags == PROTEUS_CB_R_REGS], NULL, args);
            }
        }
    }
}

static bool insn_has_mem(const ProteusInsn *insn)
{
    for (guint i = 0; i < insn->instr->len; i++) {
        InstrKind k = g_array_index(insn->instr, Instr, i).kind;

        if (k == INSTR_MEM_CB || k == INSTR_MEM_INLINE) {
            return true;
        }
    }
    return false;
}

/* ---- the translator loop's hooks ---- */

void *plugin_gen_current(void)
{
    return gen_tb;
}

void plugin_gen_tb_start(DisasContextBase *db)
{
    ProteusTB *tb = db->plugin;

    if (!tb->injecting) {
        return;
    }
    g_array_set_size(tb->addrs, 0);
    gen_entry_addrs(db->ir, tb, tb->instr);
    for (guint i = 0; i < tb->insns->len; i++) {
        gen_entry_addrs(db->ir, tb, ((ProteusInsn *)g_ptr_array_index(tb->insns, i))->instr);
    }
    gen_exec_list(db->ir, tb->instr);
}

void plugin_gen_insn_before(DisasContextBase *db)
{
    ProteusTB *tb = db->plugin;
    guint index = db->num_insns - 1;
    ProteusInsn *insn;

    if (!tb->injecting) {
        insn = g_new0(ProteusInsn, 1);
        insn->vaddr = db->pc_next;
        insn->instr = g_array_new(FALSE, FALSE, sizeof(Instr));
        g_ptr_array_add(tb->insns, insn);
        return;
    }
    insn = index < tb->insns->len ? g_ptr_array_index(tb->insns, index) : NULL;
    if (!insn || insn->vaddr != db->pc_next) {
        /* not what the first pass saw: leave it uninstrumented */
        tb->cur = NULL;
        return;
    }
    tb->cur = insn;
    gen_exec_list(db->ir, insn->instr);
    if (insn_has_mem(insn)) {
        db->ir->mem_hook = gen_mem_hook;
        db->ir->mem_hook_opaque = insn;
    }
}

void plugin_gen_insn_bytes(DisasContextBase *db, const void *bytes, unsigned len)
{
    ProteusTB *tb = db->plugin;
    ProteusInsn *insn;

    if (tb->injecting || tb->insns->len == 0) {
        return;
    }
    insn = g_ptr_array_index(tb->insns, tb->insns->len - 1);
    insn->nbytes = MIN(len, INSN_MAX_BYTES);
    memcpy(insn->bytes, bytes, insn->nbytes);
}

void plugin_gen_insn_after(DisasContextBase *db)
{
    ProteusTB *tb = db->plugin;
    ProteusInsn *insn;

    db->ir->mem_hook = NULL;
    if (tb->injecting || tb->insns->len == 0) {
        return;
    }
    insn = g_ptr_array_index(tb->insns, tb->insns->len - 1);
    insn->size = db->pc_next - insn->vaddr;
    if (insn->size == 0) {
        /* its fetch failed: the TB ends before it */
        g_ptr_array_remove_index(tb->insns, tb->insns->len - 1);
    }
}

/* ---- the two passes ---- */

static void insn_free(gpointer p)
{
    ProteusInsn *insn = p;

    g_array_free(insn->instr, TRUE);
    g_free(insn);
}

static void gen_tb_free(gpointer p)
{
    ProteusTB *tb = p;

    g_ptr_array_free(tb->insns, TRUE);
    g_array_free(tb->instr, TRUE);
    g_array_free(tb->addrs, TRUE);
    g_free(tb);
}

/* Frees a thread's ProteusTB when the thread ends. */
static GPrivate gen_tb_key = G_PRIVATE_INIT(gen_tb_free);

static ProteusTB *gen_tb_begin(uint64_t vaddr)
{
    ProteusTB *tb = gen_tb;

    /* one per thread, reused: a raise out of the frontend may leave it
     * half-filled, and the next translation starts it afresh */
    if (!tb) {
        tb = gen_tb = g_new0(ProteusTB, 1);
        tb->insns = g_ptr_array_new_with_free_func(insn_free);
        tb->instr = g_array_new(FALSE, FALSE, sizeof(Instr));
        tb->addrs = g_array_new(FALSE, FALSE, sizeof(EntryAddr));
        g_private_set(&gen_tb_key, tb);
    }
    g_ptr_array_set_size(tb->insns, 0);
    g_array_set_size(tb->instr, 0);
    g_array_set_size(tb->addrs, 0);
    tb->vaddr = vaddr;
    tb->injecting = false;
    tb->wanted = false;
    tb->cur = NULL;
    return tb;
}

void plugin_gen_tb(CPUState *cpu, IRContext *ir, TranslationBlock *tb, int max_insns)
{
    ProteusTB *ptb = gen_tb_begin(tb->pc);

    ir->mem_hook = NULL;
    cpu->cc->translate_code(cpu, ir, tb, max_insns);
    for (guint i = 0; i < ptb->insns->len; i++) {
        ((ProteusInsn *)g_ptr_array_index(ptb->insns, i))->cc = cpu->cc;
    }
    plugin_tb_trans(ptb);
    if (!ptb->wanted) {
        return;
    }
    ir_reset(ir);
    ptb->injecting = true;
    cpu->cc->translate_code(cpu, ir, tb, max_insns);
    ir->mem_hook = NULL;
    ptb->injecting = false;
}
