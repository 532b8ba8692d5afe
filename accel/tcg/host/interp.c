/*
 * The portable IR interpreter: the reference backend every other backend
 * is tested against.
 *
 * gen_code decodes one TB's IR into an InterpProgram: a flat array of
 * fixed-size instructions whose opcode already says the op's type, whose
 * operands are resolved to (base, byte offset) pairs and whose branch
 * targets are instruction indices. exec runs it with a switch, allocating
 * nothing per op.
 *
 * Where values live:
 *  - tb and bb temps in a frame of 64-bit slots; slot 0 holds env, the
 *    next ones the TB's constants (copied in from the program at TB
 *    entry, so that an operand is in one of only two places);
 *  - globals always in env memory, read and written in place, so helpers,
 *    host loads/stores and raises always see the current values and no
 *    call flag needs any synchronisation.
 * An i32 value occupies the low 4 bytes of its slot and is only ever
 * accessed as 4 bytes, so the upper half of its slot is never looked at.
 *
 * Guest memory is ir_guest_base + address; atomics use the host's atomic
 * builtins (misaligned ones, which the host cannot do atomically, are
 * serialised under one lock). In softmmu mode (ir_mem_model) an access
 * looks up the TLB in C and calls the runtime's slow paths on a miss;
 * atomics always go through those.
 */
#include <string.h>

#include "accel/tcg/backend.h"
#include "proteus/cpu.h"

/* Interpreter opcodes: typed IR ops get an i32 and an i64 variant. */
#define TYPED_OPS(X) \
    X(mov) X(add) X(sub) X(neg) X(mul) X(mulsh) X(muluh) \
    X(div) X(divu) X(rem) X(remu) \
    X(and) X(or) X(xor) X(andc) X(orc) X(not) \
    X(shl) X(shr) X(sar) X(rotl) X(rotr) \
    X(setcond) X(movcond) X(brcond) \
    X(ext8s) X(ext8u) X(ext16s) X(ext16u) \
    X(deposit) X(extract) X(sextract) \
    X(bswap16) X(bswap32) X(clz) X(ctz) X(ctpop) \
    X(ld8u) X(ld8s) X(ld16u) X(ld16s) X(ld) X(st8) X(st16) X(st) \
    X(guest_ld) X(guest_st) X(atomic_cmpxchg) X(atomic_rmw)

#define FIXED_OPS(X) \
    X(ext32s) X(ext32u) X(bswap64) X(ld32u) X(ld32s) X(st32) \
    X(ext_i32_i64) X(extu_i32_i64) X(extrl_i64_i32) X(extrh_i64_i32) \
    X(br) X(insn_start) X(goto_tb) X(exit_tb) X(goto_ptr) X(mb) X(call)

enum {
#define X(n) I_##n##_i32, I_##n##_i64,
    TYPED_OPS(X)
#undef X
#define X(n) I_##n,
    FIXED_OPS(X)
#undef X
    I_end,
};

/* The i64 variant of a typed op is its i32 variant + 1. */
static const uint16_t op_map[IR_OP_COUNT] = {
#define X(n) [IR_OP_##n] = I_##n##_i32,
    TYPED_OPS(X)
#undef X
#define X(n) [IR_OP_##n] = I_##n,
    FIXED_OPS(X)
#undef X
};

/* An operand: (byte offset << 1) | base. */
typedef int32_t Opnd;
enum { BASE_FRAME, BASE_ENV };

/* What find_insn reports for one insn_start. */
typedef struct InsnRecord {
    const TranslationBlock *tb;
    uint64_t words[3];
} InsnRecord;

typedef struct InterpCall {
    void *func;
    uint8_t nargs;
    bool has_ret;
    bool ret64;
    uint8_t arg64;           /* bit k: argument k is i64 */
    Opnd ret;
    Opnd args[IR_MAX_HELPER_ARGS];
} InterpCall;

typedef struct InterpInsn {
    uint16_t opc;
    uint8_t c0, c1;          /* cond, MemOp, pos/len, atomic op, slot */
    Opnd o[5];               /* outputs first, then inputs, as in the IR */
    union {
        int64_t ofs;         /* host ld/st */
        uint64_t value;      /* exit_tb, mb */
        uint32_t target;     /* br, brcond: instruction index */
        const InsnRecord *rec;
        const InterpCall *call;
    };
} InterpInsn;

#define INTERP_MAGIC 0x50524f4752414d31ull    /* "PROGRAM1" */

typedef struct InterpProgram {
    uint64_t magic;
    const TranslationBlock *tb;
    struct InterpProgram *jmp[2];     /* chained successors, atomic */
    uint32_t nb_slots;
    uint32_t nb_consts;
    uint32_t nb_insns;
    InterpInsn *insns;
    uint64_t *consts;
    InsnRecord *records;
    InterpCall *calls;
} InterpProgram;

/* ---- code generation ---- */

static GMutex programs_lock;
static GPtrArray *programs;          /* every live InterpProgram */

static Opnd opnd_make(int base, int64_t byte_ofs)
{
    g_assert(byte_ofs >= -(1 << 29) && byte_ofs < (1 << 29));
    return (Opnd)(byte_ofs * 2 + base);
}

/* The i32 half of a slot is its low 4 bytes: on a big-endian host those
 * sit at +4. */
static int64_t i32_half(IRType type)
{
    return (type == IR_TYPE_I32 && G_BYTE_ORDER == G_BIG_ENDIAN) ? 4 : 0;
}

typedef struct Decoder {
    IRContext *ctx;
    Opnd *opnd;              /* per temp */
    uint32_t *label_pos;
} Decoder;

/* Frame slots: env, then the constants (copied in at TB entry), then the temps. */
static void decode_temps(Decoder *d, InterpProgram *p)
{
    guint n = d->ctx->temps->len;
    uint32_t slot = 1 + p->nb_consts, nconst = 0;

    for (guint t = 0; t < n; t++) {
        IRTemp *ts = ir_temp(d->ctx, t);

        switch (ts->kind) {
        case IR_TEMP_ENV:
            d->opnd[t] = opnd_make(BASE_FRAME, 0);
            break;
        case IR_TEMP_GLOBAL:
            d->opnd[t] = opnd_make(BASE_ENV, ts->mem_offset);
            break;
        case IR_TEMP_CONST:
            p->consts[nconst] = ts->type == IR_TYPE_I32 ? (uint32_t)ts->val
                                                        : (uint64_t)ts->val;
            d->opnd[t] = opnd_make(BASE_FRAME, (1 + nconst) * 8 + i32_half(ts->type));
            nconst++;
            break;
        case IR_TEMP_TB:
        case IR_TEMP_BB:
            d->opnd[t] = opnd_make(BASE_FRAME, slot * 8 + i32_half(ts->type));
            slot++;
            break;
        }
    }
    p->nb_slots = slot;
}

static void decode_call(Decoder *d, const IROp *op, InterpCall *c)
{
    const IRHelperInfo *info = (const IRHelperInfo *)(uintptr_t)
        op->args[op->nb_oargs + op->nb_iargs];

    g_assert(op->nb_iargs == info->nargs && op->nb_oargs == info->has_ret);
    c->func = info->func;
    c->nargs = info->nargs;
    c->has_ret = info->has_ret;
    c->ret64 = info->has_ret && info->ret_type == IR_TYPE_I64;
    c->ret = info->has_ret ? d->opnd[op->args[0]] : 0;
    c->arg64 = 0;
    for (unsigned k = 0; k < info->nargs; k++) {
        c->args[k] = d->opnd[op->args[op->nb_oargs + k]];
        if (info->arg_types[k] == IR_TYPE_I64) {
            c->arg64 |= 1u << k;
        }
    }
}

/* Decodes one op into i (set_label emits nothing and returns false). */
static bool decode_op(Decoder *d, InterpProgram *p, const IROp *op, InterpInsn *i,
                      unsigned *nrec, unsigned *ncall)
{
    unsigned ntemps = op->nb_oargs + op->nb_iargs;
    const uint64_t *c = op->args + ntemps;

    if (op->opc == IR_OP_set_label) {
        d->label_pos[c[0]] = i - p->insns;
        return false;
    }
    memset(i, 0, sizeof(*i));
    i->opc = op_map[op->opc];
    if ((ir_op_defs[op->opc].flags & IR_OPF_TYPED) &&
        !(ir_op_defs[op->opc].flags & IR_OPF_64_ONLY) && op->type == IR_TYPE_I64) {
        i->opc++;
    }
    if (op->opc == IR_OP_call) {
        InterpCall *call = &p->calls[(*ncall)++];

        decode_call(d, op, call);
        i->call = call;
        return true;
    }
    g_assert(ntemps <= G_N_ELEMENTS(i->o));
    for (unsigned k = 0; k < ntemps; k++) {
        i->o[k] = d->opnd[op->args[k]];
    }
    switch (op->opc) {
    case IR_OP_brcond:
        i->c0 = c[0];
        i->target = c[1];
        break;
    case IR_OP_br:
        i->target = c[0];
        break;
    case IR_OP_setcond:
    case IR_OP_movcond:
    case IR_OP_goto_tb:
        i->c0 = c[0];
        break;
    case IR_OP_deposit:
    case IR_OP_extract:
    case IR_OP_sextract:
        i->c0 = c[0];
        i->c1 = c[1];
        break;
    case IR_OP_ld8u: case IR_OP_ld8s: case IR_OP_ld16u: case IR_OP_ld16s:
    case IR_OP_ld32u: case IR_OP_ld32s: case IR_OP_ld:
    case IR_OP_st8: case IR_OP_st16: case IR_OP_st32: case IR_OP_st:
        i->ofs = (int32_t)c[0];
        break;
    case IR_OP_guest_ld:
    case IR_OP_guest_st:
    case IR_OP_atomic_cmpxchg:
        i->c0 = c[0];
        i->ofs = c[1];           /* the MMU index */
        break;
    case IR_OP_atomic_rmw:
        i->c0 = c[0];
        i->c1 = c[2];
        i->ofs = c[1];
        break;
    case IR_OP_insn_start: {
        InsnRecord *r = &p->records[(*nrec)++];

        r->tb = p->tb;
        memcpy(r->words, c, sizeof(r->words));
        i->rec = r;
        break;
    }
    case IR_OP_exit_tb:
    case IR_OP_mb:
        i->value = c[0];
        break;
    default:
        break;
    }
    return true;
}

static bool interp_gen_code(IRContext *ctx, TranslationBlock *tb)
{
    guint nops = ir_op_count(ctx), ntemps = ctx->temps->len;
    unsigned nconst = 0, nrec = 0, ncall = 0, ninsn = 1;
    InterpProgram *p;
    Decoder d = { .ctx = ctx };
    size_t size;
    char *mem;

    for (guint t = 0; t < ntemps; t++) {
        nconst += ir_temp(ctx, t)->kind == IR_TEMP_CONST;
    }
    for (guint k = 0; k < nops; k++) {
        IROpcode opc = ir_op(ctx, k)->opc;

        ninsn += opc != IR_OP_set_label;
        nrec += opc == IR_OP_insn_start;
        ncall += opc == IR_OP_call;
    }

    /* One block: program, instructions, constants, records, calls. */
    size = sizeof(*p) + ninsn * sizeof(InterpInsn) + nconst * sizeof(uint64_t) +
           nrec * sizeof(InsnRecord) + ncall * sizeof(InterpCall);
    mem = g_malloc0(size);
    p = (InterpProgram *)mem;
    p->magic = INTERP_MAGIC;
    p->tb = tb;
    p->insns = (InterpInsn *)(mem + sizeof(*p));
    p->consts = (uint64_t *)(p->insns + ninsn);
    p->nb_consts = nconst;
    p->records = (InsnRecord *)(p->consts + nconst);
    p->calls = (InterpCall *)(p->records + nrec);

    d.opnd = g_new(Opnd, ntemps);
    d.label_pos = g_new(uint32_t, ctx->nb_labels + 1);
    decode_temps(&d, p);

    nrec = ncall = 0;
    InterpInsn *i = p->insns;
    for (guint k = 0; k < nops; k++) {
        if (decode_op(&d, p, ir_op(ctx, k), i, &nrec, &ncall)) {
            i++;
        }
    }
    i->opc = I_end;
    p->nb_insns = ninsn;
    g_assert(i == p->insns + ninsn - 1);

    for (i = p->insns; i->opc != I_end; i++) {
        if (i->opc == I_br || i->opc == I_brcond_i32 || i->opc == I_brcond_i64) {
            g_assert(i->target < ctx->nb_labels);
            i->target = d.label_pos[i->target];
        }
    }
    g_free(d.opnd);
    g_free(d.label_pos);

    tb->host_code = p;
    tb->backend_data = p;
    tb->host_size = size;
    tb->jmp_site[0] = tb->jmp_site[1] = 0;
    tb->jmp_reset[0] = tb->jmp_reset[1] = 0;

    g_mutex_lock(&programs_lock);
    if (!programs) {
        programs = g_ptr_array_new_with_free_func(g_free);
    }
    g_ptr_array_add(programs, p);
    g_mutex_unlock(&programs_lock);
    return true;
}

static void interp_set_jump(TranslationBlock *tb, unsigned slot,
                            const TranslationBlock *dest)
{
    InterpProgram *p = tb->backend_data;
    InterpProgram *target = dest ? dest->backend_data : NULL;

    g_assert(slot < 2);
    __atomic_store_n(&p->jmp[slot], target, __ATOMIC_RELEASE);
}

static void interp_flush(void)
{
    g_mutex_lock(&programs_lock);
    if (programs) {
        g_ptr_array_set_size(programs, 0);
    }
    g_mutex_unlock(&programs_lock);
}

static bool interp_init(GError **errp)
{
    return true;
}

/* ---- operations ---- */

static inline uint32_t ld32(const void *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t ld64(const void *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline uint16_t ld16(const void *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline void st16(void *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void st32(void *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void st64(void *p, uint64_t v) { memcpy(p, &v, 8); }

static inline bool cond_holds(unsigned cond, uint64_t a, uint64_t b, bool is64)
{
    int64_t sa = is64 ? (int64_t)a : (int32_t)a;
    int64_t sb = is64 ? (int64_t)b : (int32_t)b;

    switch (cond) {
    case IR_COND_NEVER: return false;
    case IR_COND_ALWAYS: return true;
    case IR_COND_EQ: return a == b;
    case IR_COND_NE: return a != b;
    case IR_COND_LT: return sa < sb;
    case IR_COND_GE: return sa >= sb;
    case IR_COND_LE: return sa <= sb;
    case IR_COND_GT: return sa > sb;
    case IR_COND_LTU: return a < b;
    case IR_COND_GEU: return a >= b;
    case IR_COND_LEU: return a <= b;
    case IR_COND_GTU: return a > b;
    case IR_COND_TSTEQ: return (a & b) == 0;
    case IR_COND_TSTNE: return (a & b) != 0;
    }
    g_assert_not_reached();
}

/* High half of the unsigned 128-bit product, without __int128. */
static uint64_t muluh64(uint64_t a, uint64_t b)
{
    uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;

    return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

static uint64_t mulsh64(uint64_t a, uint64_t b)
{
    uint64_t h = muluh64(a, b);

    h -= (int64_t)a < 0 ? b : 0;
    h -= (int64_t)b < 0 ? a : 0;
    return h;
}

/* Total division (see ir-ops.h): x/0 = -1, x%0 = x, MIN/-1 = MIN, MIN%-1 = 0. */
static inline uint32_t div32(uint32_t a, uint32_t b)
{
    if (b == 0) return UINT32_MAX;
    if (a == 0x80000000u && b == UINT32_MAX) return a;
    return (uint32_t)((int32_t)a / (int32_t)b);
}
static inline uint32_t rem32(uint32_t a, uint32_t b)
{
    if (b == 0) return a;
    if (a == 0x80000000u && b == UINT32_MAX) return 0;
    return (uint32_t)((int32_t)a % (int32_t)b);
}
static inline uint64_t div64(uint64_t a, uint64_t b)
{
    if (b == 0) return UINT64_MAX;
    if (a == 1ull << 63 && b == UINT64_MAX) return a;
    return (uint64_t)((int64_t)a / (int64_t)b);
}
static inline uint64_t rem64(uint64_t a, uint64_t b)
{
    if (b == 0) return a;
    if (a == 1ull << 63 && b == UINT64_MAX) return 0;
    return (uint64_t)((int64_t)a % (int64_t)b);
}

static inline uint32_t rotl32(uint32_t a, unsigned n)
{
    n &= 31;
    return n ? (a << n) | (a >> (32 - n)) : a;
}
static inline uint64_t rotl64(uint64_t a, unsigned n)
{
    n &= 63;
    return n ? (a << n) | (a >> (64 - n)) : a;
}

static inline uint64_t field_mask(unsigned len)
{
    return len >= 64 ? UINT64_MAX : (1ull << len) - 1;
}

static inline uint64_t deposit64(uint64_t a, uint64_t b, unsigned pos, unsigned len)
{
    uint64_t m = field_mask(len) << pos;

    return (a & ~m) | ((b << pos) & m);
}

static inline uint64_t sextract64(uint64_t a, unsigned pos, unsigned len)
{
    return (uint64_t)((int64_t)(a << (64 - pos - len)) >> (64 - len));
}

/* ---- guest memory ---- */


static inline bool memop_swaps(unsigned mop)
{
    return ((mop & MO_BE) != 0) != (G_BYTE_ORDER == G_BIG_ENDIAN);
}

/* Memory bits (host order, as read) <-> the value they hold, zero-extended. */
static inline uint64_t mem_to_value(uint64_t raw, unsigned mop)
{
    if (!memop_swaps(mop)) {
        return raw;
    }
    switch (mop & MO_SIZE) {
    case MO_16: return __builtin_bswap16(raw);
    case MO_32: return __builtin_bswap32(raw);
    case MO_64: return __builtin_bswap64(raw);
    default: return raw;
    }
}

static inline uint64_t value_to_mem(uint64_t v, unsigned mop)
{
    return mem_to_value(v & field_mask(8 * memop_size(mop)), mop);
}

/* A loaded value as the op's type sees it. */
static inline uint64_t extend_loaded(uint64_t v, unsigned mop, bool is64)
{
    if (mop & MO_SIGN) {
        unsigned bits = 8 * memop_size(mop);
        v = bits == 64 ? v : (uint64_t)((int64_t)(v << (64 - bits)) >> (64 - bits));
    }
    return is64 ? v : (uint32_t)v;
}

/* Raw memory bits of an access, in host order. */
static uint64_t raw_load(const void *p, unsigned size)
{
    switch (size) {
    case 1: return *(const uint8_t *)p;
    case 2: return ld16(p);
    case 4: return ld32(p);
    default: return ld64(p);
    }
}

static void raw_store(void *p, unsigned size, uint64_t raw)
{
    switch (size) {
    case 1: *(uint8_t *)p = raw; break;
    case 2: st16(p, raw); break;
    case 4: st32(p, raw); break;
    default: st64(p, raw); break;
    }
}

static inline void *guest_ptr(void *env, uint64_t addr, unsigned mop)
{
    if ((mop & MO_ALIGN) && (addr & (memop_size(mop) - 1))) {
        ir_helper_unaligned(env, addr, mop);
    }
    return (void *)(uintptr_t)(ir_guest_base + addr);
}

/*
 * Softmmu: the host address of a TLB hit for this access, else NULL (the
 * caller takes the slow path). As in the JIT, MO_ALIGN keeps the low
 * address bits in the compared value (misaligned never hits), and the
 * last byte's page is compared (a page-crossing access never hits).
 */
static inline void *tlb_hit(void *env, uint64_t addr, unsigned mop, unsigned mmu,
                            bool store)
{
    CPUState *cpu = env;
    unsigned size = memop_size(mop);
    const CPUTLBEntry *e =
        &cpu->tlb.table[mmu][(addr >> TLB_PAGE_BITS) & (TLB_NB_ENTRIES - 1)];
    uint64_t cmp = (mop & MO_ALIGN) ? addr & (TLB_PAGE_MASK | (size - 1))
                                    : (addr + size - 1) & TLB_PAGE_MASK;

    if (cmp != (store ? e->addr_write : e->addr_read)) {
        return NULL;
    }
    return (void *)(uintptr_t)(addr + e->addend);
}

static uint64_t guest_load(void *env, uint64_t addr, unsigned mop, unsigned mmu, bool is64)
{
    void *p;

    if (ir_mem_model == IR_MEM_SOFTMMU) {
        uint64_t v;

        g_assert(mmu < TLB_NB_MMU_MODES);
        p = tlb_hit(env, addr, mop, mmu, false);
        if (p) {
            v = mem_to_value(raw_load(p, memop_size(mop)), mop);
        } else {
            v = ir_helper_ld_mmu(env, addr, mop | mmu << 8,
                                 (uintptr_t)__builtin_return_address(0));
        }
        return extend_loaded(v, mop, is64);
    }
    p = guest_ptr(env, addr, mop);
    return extend_loaded(mem_to_value(raw_load(p, memop_size(mop)), mop), mop, is64);
}

static void guest_store(void *env, uint64_t addr, unsigned mop, unsigned mmu, uint64_t v)
{
    void *p;

    if (ir_mem_model == IR_MEM_SOFTMMU) {
        g_assert(mmu < TLB_NB_MMU_MODES);
        p = tlb_hit(env, addr, mop, mmu, true);
        if (!p) {
            ir_helper_st_mmu(env, addr, v, mop | mmu << 8,
                             (uintptr_t)__builtin_return_address(0));
            return;
        }
    } else {
        p = guest_ptr(env, addr, mop);
    }
    raw_store(p, memop_size(mop), value_to_mem(v, mop));
}

static uint64_t guest_cmpxchg(void *env, uint64_t addr, unsigned mop, unsigned mmu, bool is64,
                              uint64_t expected, uint64_t desired)
{
    void *p;
    uint64_t raw;

    if (ir_mem_model == IR_MEM_SOFTMMU) {
        g_assert(mmu < TLB_NB_MMU_MODES);
        return extend_loaded(ir_helper_cmpxchg_mmu(env, addr, expected, desired,
                                                   mop | mmu << 8,
                                                   (uintptr_t)__builtin_return_address(0)),
                             mop, is64);
    }
    p = guest_ptr(env, addr, mop);
    raw = value_to_mem(expected, mop);

    ir_host_cas(p, memop_size(mop), &raw, value_to_mem(desired, mop));
    return extend_loaded(mem_to_value(raw, mop), mop, is64);
}

static uint64_t guest_rmw(void *env, uint64_t addr, unsigned mop, unsigned mmu, bool is64,
                          unsigned aop, uint64_t v)
{
    void *p;
    unsigned size = memop_size(mop);
    uint64_t raw, old;

    if (ir_mem_model == IR_MEM_SOFTMMU) {
        g_assert(mmu < TLB_NB_MMU_MODES);
        return extend_loaded(ir_helper_rmw_mmu(env, addr, v, mop | mmu << 8 | aop << 16,
                                               (uintptr_t)__builtin_return_address(0)),
                             mop, is64);
    }
    p = guest_ptr(env, addr, mop);
    raw = raw_load(p, size);

    do {
        old = mem_to_value(raw, mop);
    } while (!ir_host_cas(p, size, &raw, value_to_mem(ir_atomic_apply(aop, old, v, size), mop)));
    return extend_loaded(old, mop, is64);
}

/* ---- helper calls ---- */

/*
 * Helpers are declared with their own C types; they are called here
 * through 64-bit integer prototypes (the helper ABI in runtime.c). clang's
 * -fsanitize=function would object to the cast, so that check is off here.
 */
#if defined(__clang__)
__attribute__((no_sanitize("function")))
#endif
static uint64_t call_helper(const void *func, unsigned nargs, const uint64_t *a)
{
    switch (nargs) {
    case 0: return ((uint64_t (*)(void))func)();
    case 1: return ((uint64_t (*)(uint64_t))func)(a[0]);
    case 2: return ((uint64_t (*)(uint64_t, uint64_t))func)(a[0], a[1]);
    case 3: return ((uint64_t (*)(uint64_t, uint64_t, uint64_t))func)(a[0], a[1], a[2]);
    case 4:
        return ((uint64_t (*)(uint64_t, uint64_t, uint64_t, uint64_t))func)(
            a[0], a[1], a[2], a[3]);
    case 5:
        return ((uint64_t (*)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t))func)(
            a[0], a[1], a[2], a[3], a[4]);
    default:
        return ((uint64_t (*)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                              uint64_t))func)(a[0], a[1], a[2], a[3], a[4], a[5]);
    }
}

/* ---- execution ---- */

/* The running instruction of this thread, for find_insn after a raise. */
static __thread const InsnRecord *current_insn;

static bool interp_find_insn(uintptr_t retaddr, const TranslationBlock **tb,
                             uint64_t words[3])
{
    const InsnRecord *r = current_insn;

    if (!r) {
        return false;
    }
    *tb = r->tb;
    memcpy(words, r->words, sizeof(r->words));
    return true;
}

/* Frames bigger than the one on exec's stack live here, one per thread. */
#define STACK_FRAME_SLOTS 512
static GPrivate big_frame_key = G_PRIVATE_INIT(g_free);
static __thread uint32_t big_frame_slots;

static uint64_t *big_frame(uint32_t nb_slots)
{
    uint64_t *f = g_private_get(&big_frame_key);

    if (nb_slots > big_frame_slots) {
        f = g_new(uint64_t, nb_slots);
        g_private_replace(&big_frame_key, f);
        big_frame_slots = nb_slots;
    }
    return f;
}

/* Operand k of instruction i: its address, and its value as i32 / i64. */
#define OPND_ADDR(o) (((o) & 1 ? env_bytes : frame) + ((o) >> 1))
#define P(k) OPND_ADDR(i->o[k])
#define R32(k) ld32(P(k))
#define R64(k) ld64(P(k))
#define W32(k, v) st32(P(k), (v))
#define W64(k, v) st64(P(k), (v))
/* Host memory operand k (a base pointer) plus the instruction's offset. */
#define HP(k) ((uint8_t *)(uintptr_t)R64(k) + i->ofs)

#define UN(name, e32, e64) \
    case I_##name##_i32: { uint32_t a = R32(1); W32(0, (e32)); break; } \
    case I_##name##_i64: { uint64_t a = R64(1); W64(0, (e64)); break; }
#define BIN(name, e32, e64) \
    case I_##name##_i32: { uint32_t a = R32(1), b = R32(2); W32(0, (e32)); break; } \
    case I_##name##_i64: { uint64_t a = R64(1), b = R64(2); W64(0, (e64)); break; }

static uint64_t interp_exec(void *env, const TranslationBlock *tb)
{
    uint64_t stack_frame[STACK_FRAME_SLOTS];
    const InsnRecord **cur = &current_insn;
    const InterpProgram *prog = tb->host_code;
    const InterpInsn *ip;
    uint8_t *env_bytes = env, *frame;

enter:
    g_assert(prog->magic == INTERP_MAGIC);
    frame = (uint8_t *)(prog->nb_slots <= STACK_FRAME_SLOTS
                        ? stack_frame : big_frame(prog->nb_slots));
    st64(frame, (uintptr_t)env);
    memcpy(frame + 8, prog->consts, prog->nb_consts * sizeof(uint64_t));
    *cur = NULL;
    ip = prog->insns;

    for (;;) {
        const InterpInsn *i = ip++;

        switch (i->opc) {
        UN(mov, a, a)
        BIN(add, a + b, a + b)
        BIN(sub, a - b, a - b)
        UN(neg, -a, -a)
        BIN(mul, a * b, a * b)
        BIN(mulsh, (uint64_t)((int64_t)(int32_t)a * (int32_t)b) >> 32, mulsh64(a, b))
        BIN(muluh, ((uint64_t)a * b) >> 32, muluh64(a, b))
        BIN(div, div32(a, b), div64(a, b))
        BIN(divu, b ? a / b : UINT32_MAX, b ? a / b : UINT64_MAX)
        BIN(rem, rem32(a, b), rem64(a, b))
        BIN(remu, b ? a % b : a, b ? a % b : a)
        BIN(and, a & b, a & b)
        BIN(or, a | b, a | b)
        BIN(xor, a ^ b, a ^ b)
        BIN(andc, a & ~b, a & ~b)
        BIN(orc, a | ~b, a | ~b)
        UN(not, ~a, ~a)
        BIN(shl, a << (b & 31), a << (b & 63))
        BIN(shr, a >> (b & 31), a >> (b & 63))
        BIN(sar, (uint32_t)((int32_t)a >> (b & 31)), (uint64_t)((int64_t)a >> (b & 63)))
        BIN(rotl, rotl32(a, b), rotl64(a, b))
        BIN(rotr, rotl32(a, 32 - (b & 31)), rotl64(a, 64 - (b & 63)))
        BIN(setcond, cond_holds(i->c0, a, b, false), cond_holds(i->c0, a, b, true))
        case I_movcond_i32:
            W32(0, cond_holds(i->c0, R32(1), R32(2), false) ? R32(3) : R32(4));
            break;
        case I_movcond_i64:
            W64(0, cond_holds(i->c0, R64(1), R64(2), true) ? R64(3) : R64(4));
            break;
        case I_brcond_i32:
            if (cond_holds(i->c0, R32(0), R32(1), false)) {
                ip = prog->insns + i->target;
            }
            break;
        case I_brcond_i64:
            if (cond_holds(i->c0, R64(0), R64(1), true)) {
                ip = prog->insns + i->target;
            }
            break;
        UN(ext8s, (int8_t)a, (int8_t)a)
        UN(ext8u, (uint8_t)a, (uint8_t)a)
        UN(ext16s, (int16_t)a, (int16_t)a)
        UN(ext16u, (uint16_t)a, (uint16_t)a)
        BIN(deposit, deposit64(a, b, i->c0, i->c1), deposit64(a, b, i->c0, i->c1))
        UN(extract, (a >> i->c0) & field_mask(i->c1), (a >> i->c0) & field_mask(i->c1))
        UN(sextract, sextract64((uint64_t)a << 32, i->c0 + 32, i->c1),
           sextract64(a, i->c0, i->c1))
        UN(bswap16, __builtin_bswap16(a), __builtin_bswap16(a))
        UN(bswap32, __builtin_bswap32(a), __builtin_bswap32(a))
        BIN(clz, a ? __builtin_clz(a) : b, a ? __builtin_clzll(a) : b)
        BIN(ctz, a ? __builtin_ctz(a) : b, a ? __builtin_ctzll(a) : b)
        UN(ctpop, __builtin_popcount(a), __builtin_popcountll(a))
        case I_ext32s: W64(0, (int32_t)R64(1)); break;
        case I_ext32u: W64(0, (uint32_t)R64(1)); break;
        case I_bswap64: W64(0, __builtin_bswap64(R64(1))); break;
        case I_ext_i32_i64: W64(0, (int32_t)R32(1)); break;
        case I_extu_i32_i64: W64(0, R32(1)); break;
        case I_extrl_i64_i32: W32(0, R64(1)); break;
        case I_extrh_i64_i32: W32(0, R64(1) >> 32); break;

        case I_ld8u_i32: W32(0, *HP(1)); break;
        case I_ld8u_i64: W64(0, *HP(1)); break;
        case I_ld8s_i32: W32(0, (int8_t)*HP(1)); break;
        case I_ld8s_i64: W64(0, (int8_t)*HP(1)); break;
        case I_ld16u_i32: W32(0, ld16(HP(1))); break;
        case I_ld16u_i64: W64(0, ld16(HP(1))); break;
        case I_ld16s_i32: W32(0, (int16_t)ld16(HP(1))); break;
        case I_ld16s_i64: W64(0, (int16_t)ld16(HP(1))); break;
        case I_ld32u: W64(0, ld32(HP(1))); break;
        case I_ld32s: W64(0, (int32_t)ld32(HP(1))); break;
        case I_ld_i32: W32(0, ld32(HP(1))); break;
        case I_ld_i64: W64(0, ld64(HP(1))); break;
        case I_st8_i32: *HP(1) = R32(0); break;
        case I_st8_i64: *HP(1) = R64(0); break;
        case I_st16_i32: st16(HP(1), R32(0)); break;
        case I_st16_i64: st16(HP(1), R64(0)); break;
        case I_st32: st32(HP(1), R64(0)); break;
        case I_st_i32: st32(HP(1), R32(0)); break;
        case I_st_i64: st64(HP(1), R64(0)); break;

        case I_guest_ld_i32: W32(0, guest_load(env, R64(1), i->c0, i->ofs, false)); break;
        case I_guest_ld_i64: W64(0, guest_load(env, R64(1), i->c0, i->ofs, true)); break;
        case I_guest_st_i32: guest_store(env, R64(1), i->c0, i->ofs, R32(0)); break;
        case I_guest_st_i64: guest_store(env, R64(1), i->c0, i->ofs, R64(0)); break;
        case I_atomic_cmpxchg_i32:
            W32(0, guest_cmpxchg(env, R64(1), i->c0, i->ofs, false, R32(2), R32(3)));
            break;
        case I_atomic_cmpxchg_i64:
            W64(0, guest_cmpxchg(env, R64(1), i->c0, i->ofs, true, R64(2), R64(3)));
            break;
        case I_atomic_rmw_i32:
            W32(0, guest_rmw(env, R64(1), i->c0, i->ofs, false, i->c1, R32(2)));
            break;
        case I_atomic_rmw_i64:
            W64(0, guest_rmw(env, R64(1), i->c0, i->ofs, true, i->c1, R64(2)));
            break;

        case I_call: {
            const InterpCall *c = i->call;
            uint64_t args[IR_MAX_HELPER_ARGS], ret;

            for (unsigned k = 0; k < c->nargs; k++) {
                uint8_t *p = OPND_ADDR(c->args[k]);
                args[k] = (c->arg64 >> k) & 1 ? ld64(p) : ld32(p);
            }
            ret = call_helper(c->func, c->nargs, args);
            if (c->has_ret) {
                uint8_t *p = OPND_ADDR(c->ret);
                if (c->ret64) {
                    st64(p, ret);
                } else {
                    st32(p, ret);
                }
            }
            break;
        }
        case I_br:
            ip = prog->insns + i->target;
            break;
        case I_insn_start:
            *cur = i->rec;
            break;
        case I_goto_tb: {
            const InterpProgram *next = __atomic_load_n(&prog->jmp[i->c0],
                                                        __ATOMIC_ACQUIRE);
            if (next) {
                prog = next;
                goto enter;
            }
            break;
        }
        case I_exit_tb:
            return i->value;
        case I_goto_ptr: {
            uint64_t code = R64(0);

            if (!code) {
                return 0;
            }
            prog = (const InterpProgram *)(uintptr_t)code;
            goto enter;
        }
        case I_mb:
            if (i->value & IR_MB_ST_LD) {
                __atomic_thread_fence(__ATOMIC_SEQ_CST);
            } else {
                __atomic_thread_fence(__ATOMIC_ACQ_REL);
            }
            break;
        case I_end:
        default:
            g_assert_not_reached();
        }
    }
}

const IRBackend ir_backend_interp = {
    .name = "interp",
    .init = interp_init,
    .gen_code = interp_gen_code,
    .set_jump = interp_set_jump,
    .exec = interp_exec,
    .find_insn = interp_find_insn,
    .flush = interp_flush,
};
