/*
 * IR memory ops on every backend, unoptimized and optimized, against C:
 * host loads and stores of every size at aligned and misaligned offsets
 * (through env and through a computed pointer with negative offsets),
 * guest loads and stores of every MemOp in both byte orders, MO_ALIGN
 * faults raising through ir_raise with find_insn naming the faulting guest
 * instruction and the state before it, and atomics (cmpxchg and every
 * read-modify-write operation, at every size, in both byte orders).
 */
#include <string.h>

#include "ir-harness.h"

#define V32(i) ((IRv32){ (i) })
#define V64(i) ((IRv64){ (i) })

static IRTestEnv *env;

static uint64_t trunc_to(uint64_t v, unsigned bits)
{
    return bits == 64 ? v : (uint32_t)v;
}

static uint64_t sext_from(uint64_t v, unsigned bits)
{
    return bits == 64 ? v : (uint64_t)((int64_t)(v << (64 - bits)) >> (64 - bits));
}

static IRTempIdx new_temp(IRTestEnv *t, bool is64)
{
    return is64 ? ir_temp_new_i64(t->ctx).idx : ir_temp_new_i32(t->ctx).idx;
}

/* Stores v (zero-extended to 8 bytes) at scratch offset ofs. */
static void store_slot(IRTestEnv *t, bool is64, IRTempIdx v, int32_t ofs)
{
    IRv64 w = V64(v);

    if (!is64) {
        w = ir_temp_new_i64(t->ctx);
        ir_extu_i32_i64(t->ctx, w, V32(v));
    }
    ir_st_i64(t->ctx, w, t->env, IRT_OFS_SCRATCH + ofs);
}

static uint64_t slot_value(const IRTestResult *r, int32_t ofs)
{
    uint64_t v;

    memcpy(&v, r->state.scratch + ofs, 8);
    return v;
}

/* The i32 or i64 value of r[k]: i32 through extrl (the high half is junk). */
static IRTempIdx value_of_r(IRTestEnv *t, bool is64, unsigned k)
{
    IRv32 v;

    if (is64) {
        return t->r[k].idx;
    }
    v = ir_temp_new_i32(t->ctx);
    ir_extrl_i64_i32(t->ctx, v, t->r[k]);
    return v.idx;
}

/* ---- host memory ---- */

typedef struct HostAccess {
    bool is64;
    unsigned size;
    bool sign;
} HostAccess;

static const HostAccess host_loads[] = {
    { false, 1, false }, { false, 1, true }, { false, 2, false }, { false, 2, true },
    { false, 4, false },
    { true, 1, false }, { true, 1, true }, { true, 2, false }, { true, 2, true },
    { true, 4, false }, { true, 4, true }, { true, 8, false },
};
static const HostAccess host_stores[] = {
    { false, 1 }, { false, 2 }, { false, 4 },
    { true, 1 }, { true, 2 }, { true, 4 }, { true, 8 },
};

#define HOST_NB_OFS 10
#define HOST_LD_SLOT(v, o) (1024 + 8 * ((v) * HOST_NB_OFS + (o)))
#define HOST_ST_WINDOW(v, o) (2048 + 16 * ((v) * 8 + (o)))

static void emit_host_ld(IRContext *c, const HostAccess *a, IRTempIdx d, IRv64 base,
                         int32_t ofs)
{
    if (a->is64) {
        IRv64 r = V64(d);

        switch (a->size * 2 + a->sign) {
        case 2: ir_ld8u_i64(c, r, base, ofs); break;
        case 3: ir_ld8s_i64(c, r, base, ofs); break;
        case 4: ir_ld16u_i64(c, r, base, ofs); break;
        case 5: ir_ld16s_i64(c, r, base, ofs); break;
        case 8: ir_ld32u_i64(c, r, base, ofs); break;
        case 9: ir_ld32s_i64(c, r, base, ofs); break;
        default: ir_ld_i64(c, r, base, ofs); break;
        }
    } else {
        IRv32 r = V32(d);

        switch (a->size * 2 + a->sign) {
        case 2: ir_ld8u_i32(c, r, base, ofs); break;
        case 3: ir_ld8s_i32(c, r, base, ofs); break;
        case 4: ir_ld16u_i32(c, r, base, ofs); break;
        case 5: ir_ld16s_i32(c, r, base, ofs); break;
        default: ir_ld_i32(c, r, base, ofs); break;
        }
    }
}

static void emit_host_st(IRContext *c, const HostAccess *a, IRTempIdx v, IRv64 base,
                         int32_t ofs)
{
    if (a->is64) {
        switch (a->size) {
        case 1: ir_st8_i64(c, V64(v), base, ofs); break;
        case 2: ir_st16_i64(c, V64(v), base, ofs); break;
        case 4: ir_st32_i64(c, V64(v), base, ofs); break;
        default: ir_st_i64(c, V64(v), base, ofs); break;
        }
    } else {
        switch (a->size) {
        case 1: ir_st8_i32(c, V32(v), base, ofs); break;
        case 2: ir_st16_i32(c, V32(v), base, ofs); break;
        default: ir_st_i32(c, V32(v), base, ofs); break;
        }
    }
}

static void build_host(IRTestEnv *t, unsigned tb, void *opaque)
{
    IRContext *c = t->ctx;
    /* A pointer 64 bytes into scratch: offsets from it are negative. */
    IRv64 p = ir_temp_tb_i64(c);

    ir_addi_i64(c, p, t->env, IRT_OFS_SCRATCH + 64);
    for (unsigned v = 0; v < G_N_ELEMENTS(host_loads); v++) {
        for (unsigned o = 0; o < HOST_NB_OFS; o++) {
            const HostAccess *a = &host_loads[v];
            IRTempIdx d = new_temp(t, a->is64);

            if (o & 1) {
                emit_host_ld(c, a, d, p, (int32_t)o - 64);
            } else {
                emit_host_ld(c, a, d, t->env, IRT_OFS_SCRATCH + o);
            }
            store_slot(t, a->is64, d, HOST_LD_SLOT(v, o));
        }
    }
    for (unsigned v = 0; v < G_N_ELEMENTS(host_stores); v++) {
        const HostAccess *a = &host_stores[v];
        IRTempIdx val = value_of_r(t, a->is64, 0);

        for (unsigned o = 0; o < 8; o++) {
            int32_t ofs = HOST_ST_WINDOW(v, o) + o;

            if (o & 1) {
                emit_host_st(c, a, val, p, ofs - 64);
            } else {
                emit_host_st(c, a, val, t->env, IRT_OFS_SCRATCH + ofs);
            }
        }
    }
    ir_exit_tb(c, 0);
}

static uint8_t host_pattern(unsigned input, unsigned k)
{
    return (uint8_t)(input ? 0xff - 37 * k : 11 + 53 * k);
}

static void setup_host(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    for (unsigned k = 0; k < 32; k++) {
        s->scratch[k] = host_pattern(input, k);
    }
    s->r[0] = input ? 0x8182838485868788ull : 0x0102030405060708ull;
}

static void check_host(const IRTestResult *r, unsigned input, void *opaque)
{
    uint8_t want[IRT_SCRATCH_SIZE] = { 0 };

    for (unsigned k = 0; k < 32; k++) {
        want[k] = host_pattern(input, k);
    }
    for (unsigned v = 0; v < G_N_ELEMENTS(host_loads); v++) {
        const HostAccess *a = &host_loads[v];

        for (unsigned o = 0; o < HOST_NB_OFS; o++) {
            uint64_t x = 0;

            memcpy(&x, want + o, a->size);
            if (a->sign) {
                x = sext_from(x, 8 * a->size);
            }
            x = trunc_to(x, a->is64 ? 64 : 32);
            g_assert_cmphex(slot_value(r, HOST_LD_SLOT(v, o)), ==, x);
            memcpy(want + HOST_LD_SLOT(v, o), &x, 8);
        }
    }
    for (unsigned v = 0; v < G_N_ELEMENTS(host_stores); v++) {
        for (unsigned o = 0; o < 8; o++) {
            memcpy(want + HOST_ST_WINDOW(v, o) + o, &r->state.r[0], host_stores[v].size);
        }
    }
    g_assert_cmpmem(r->state.scratch, IRT_SCRATCH_SIZE, want, IRT_SCRATCH_SIZE);
}

static void test_host_mem(void)
{
    IRTestCase tc = {
        .name = "host-mem", .build = build_host, .setup = setup_host, .check = check_host,
        .nb_inputs = 2,
    };

    irt_run(env, &tc);
}

/* ---- guest memory ---- */

typedef struct GuestAccess {
    bool is64;
    MemOp mop;
} GuestAccess;

static GuestAccess guest_loads[32], guest_stores[16];
static unsigned nb_guest_loads, nb_guest_stores;

static void init_guest_accesses(void)
{
    for (unsigned w = 0; w < 2; w++) {
        for (unsigned size = MO_8; size <= (w ? MO_64 : MO_32); size++) {
            for (unsigned be = 0; be < 2; be++) {
                MemOp mop = size | (be ? MO_BE : 0);
                bool full = (8u << size) == (w ? 64u : 32u);

                guest_stores[nb_guest_stores++] = (GuestAccess){ w, mop };
                guest_loads[nb_guest_loads++] = (GuestAccess){ w, mop };
                if (!full) {
                    guest_loads[nb_guest_loads++] = (GuestAccess){ w, mop | MO_SIGN };
                }
            }
        }
    }
    g_assert(nb_guest_loads <= G_N_ELEMENTS(guest_loads));
}

#define GUEST_NB_OFS 9
#define GUEST_LD_SLOT(v, o) (64 + 8 * ((v) * GUEST_NB_OFS + (o)))
#define GUEST_ST_BASE 0x2000
#define GUEST_ST_WINDOW(v, o) (GUEST_ST_BASE + 16 * ((v) * 8 + (o)))

static void emit_guest_ld(IRContext *c, bool is64, IRTempIdx d, IRv64 addr, MemOp mop)
{
    if (is64) {
        ir_guest_ld_i64(c, V64(d), addr, mop, 0);
    } else {
        ir_guest_ld_i32(c, V32(d), addr, mop, 0);
    }
}

static void emit_guest_st(IRContext *c, bool is64, IRTempIdx v, IRv64 addr, MemOp mop)
{
    if (is64) {
        ir_guest_st_i64(c, V64(v), addr, mop, 0);
    } else {
        ir_guest_st_i32(c, V32(v), addr, mop, 0);
    }
}

/* A guest address: r1 + ofs computed, or a constant, alternately. */
static IRv64 guest_addr(IRTestEnv *t, uint64_t addr, unsigned which)
{
    IRv64 a;

    if (which & 1) {
        return ir_const_i64(t->ctx, addr);
    }
    a = ir_temp_new_i64(t->ctx);
    ir_addi_i64(t->ctx, a, t->r[1], addr - IRT_GUEST_ADDR);
    return a;
}

static void build_guest(IRTestEnv *t, unsigned tb, void *opaque)
{
    IRContext *c = t->ctx;

    for (unsigned v = 0; v < nb_guest_loads; v++) {
        const GuestAccess *a = &guest_loads[v];

        for (unsigned o = 0; o < GUEST_NB_OFS; o++) {
            IRTempIdx d = new_temp(t, a->is64);
            MemOp mop = a->mop;

            /* Aligned offsets also try MO_ALIGN, which must not fault. */
            if ((o & (memop_size(mop) - 1)) == 0 && (o & 2)) {
                mop |= MO_ALIGN;
            }
            emit_guest_ld(c, a->is64, d, guest_addr(t, IRT_GUEST_ADDR + o, v + o), mop);
            store_slot(t, a->is64, d, GUEST_LD_SLOT(v, o));
        }
    }
    for (unsigned v = 0; v < nb_guest_stores; v++) {
        const GuestAccess *a = &guest_stores[v];
        IRTempIdx val = value_of_r(t, a->is64, 0);

        for (unsigned o = 0; o < 8; o++) {
            emit_guest_st(c, a->is64, val, guest_addr(t, GUEST_ST_WINDOW(v, o) + o, v + o),
                          a->mop);
        }
    }
    ir_exit_tb(c, 0);
}

static uint8_t guest_pattern(unsigned input, unsigned k)
{
    return (uint8_t)(input ? 0x80 + 29 * k : 0x7f - 71 * k);
}

static void setup_guest(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    for (unsigned k = 0; k < 32; k++) {
        mem[k] = guest_pattern(input, k);
    }
    s->r[0] = input ? 0xf1e2d3c4b5a69788ull : 0x1122334455667788ull;
    s->r[1] = IRT_GUEST_ADDR;
}

/* The value of size bytes at p in the MemOp's byte order. */
static uint64_t read_ordered(const uint8_t *p, MemOp mop)
{
    unsigned n = memop_size(mop);
    uint64_t v = 0;

    for (unsigned k = 0; k < n; k++) {
        unsigned shift = (mop & MO_BE) ? 8 * (n - 1 - k) : 8 * k;
        v |= (uint64_t)p[k] << shift;
    }
    return v;
}

static void write_ordered(uint8_t *p, MemOp mop, uint64_t v)
{
    unsigned n = memop_size(mop);

    for (unsigned k = 0; k < n; k++) {
        unsigned shift = (mop & MO_BE) ? 8 * (n - 1 - k) : 8 * k;
        p[k] = v >> shift;
    }
}

static void check_guest(const IRTestResult *r, unsigned input, void *opaque)
{
    static uint8_t want[IRT_GUEST_SIZE];

    g_assert_false(r->raised);
    memset(want, 0, sizeof(want));
    for (unsigned k = 0; k < 32; k++) {
        want[k] = guest_pattern(input, k);
    }
    for (unsigned v = 0; v < nb_guest_loads; v++) {
        const GuestAccess *a = &guest_loads[v];

        for (unsigned o = 0; o < GUEST_NB_OFS; o++) {
            uint64_t x = read_ordered(want + o, a->mop);

            if (a->mop & MO_SIGN) {
                x = sext_from(x, 8 * memop_size(a->mop));
            }
            x = trunc_to(x, a->is64 ? 64 : 32);
            if (slot_value(r, GUEST_LD_SLOT(v, o)) != x) {
                g_test_message("guest_ld_i%u mop 0x%x at +%u", a->is64 ? 64 : 32,
                               a->mop, o);
            }
            g_assert_cmphex(slot_value(r, GUEST_LD_SLOT(v, o)), ==, x);
        }
    }
    for (unsigned v = 0; v < nb_guest_stores; v++) {
        const GuestAccess *a = &guest_stores[v];

        for (unsigned o = 0; o < 8; o++) {
            write_ordered(irt_mem(want, GUEST_ST_WINDOW(v, o) + o), a->mop,
                          trunc_to(r->state.r[0], a->is64 ? 64 : 32));
        }
    }
    g_assert_cmpmem(r->mem, IRT_GUEST_SIZE, want, IRT_GUEST_SIZE);
}

static void test_guest_mem(void)
{
    IRTestCase tc = {
        .name = "guest-mem", .build = build_guest, .setup = setup_guest,
        .check = check_guest, .nb_inputs = 2,
    };

    irt_run(env, &tc);
}

/* ---- alignment faults ---- */

typedef enum { A_LD, A_ST, A_CMPXCHG, A_RMW } AccessKind;

typedef struct FaultCase {
    AccessKind kind;
    bool is64;
    MemOp mop;
} FaultCase;

#define FAULT_PC0 0x4000
#define FAULT_PC1 0x4004
#define FAULT_DATA 0x1100

static const unsigned fault_offsets[] = { 0, 1, 2, 3, 4, 5, 7, 8 };

/*
 * Two guest instructions; the second one's access faults when r1 is
 * misaligned. Globals written before the access must be visible at the
 * raise, the ones written after it must not.
 */
static void build_fault(IRTestEnv *t, unsigned tb, void *opaque)
{
    const FaultCase *fc = opaque;
    IRContext *c = t->ctx;
    IRTempIdx d = new_temp(t, fc->is64), val = value_of_r(t, fc->is64, 0);
    IRTempIdx ld = new_temp(t, fc->is64);

    ir_insn_start(c, FAULT_PC0, 10, 20);
    ir_guest_ld_i64(c, t->r[2], ir_const_i64(c, FAULT_DATA), MO_64 | MO_ALIGN, 0);
    ir_movi_i64(c, t->r[3], 0x33);
    ir_insn_start(c, FAULT_PC1, 11, 21);
    ir_movi_i64(c, t->r[4], 0x44);
    ir_addi_i64(c, t->r[5], t->r[5], 1);
    switch (fc->kind) {
    case A_LD:
        emit_guest_ld(c, fc->is64, d, t->r[1], fc->mop);
        break;
    case A_ST:
        emit_guest_st(c, fc->is64, val, t->r[1], fc->mop);
        if (fc->is64) {
            ir_mov_i64(c, V64(d), t->r[1]);
        } else {
            ir_extrl_i64_i32(c, V32(d), t->r[1]);
        }
        break;
    case A_CMPXCHG:
        if (fc->is64) {
            ir_atomic_cmpxchg_i64(c, V64(d), t->r[1], ir_const_i64(c, 0), V64(val),
                                  fc->mop, 0);
        } else {
            ir_atomic_cmpxchg_i32(c, V32(d), t->r[1], ir_const_i32(c, 0), V32(val),
                                  fc->mop, 0);
        }
        break;
    case A_RMW:
        if (fc->is64) {
            ir_atomic_rmw_i64(c, IR_ATOMIC_ADD, V64(d), t->r[1], V64(val), fc->mop, 0);
        } else {
            ir_atomic_rmw_i32(c, IR_ATOMIC_ADD, V32(d), t->r[1], V32(val), fc->mop, 0);
        }
        break;
    }
    store_slot(t, fc->is64, d, 0);
    ir_movi_i64(c, t->r[6], 0x66);
    /* read back the accessed memory */
    emit_guest_ld(c, fc->is64, ld, t->r[1], fc->mop & ~MO_ALIGN);
    store_slot(t, fc->is64, ld, 8);
    ir_exit_tb(c, 0x40);
}

static void setup_fault(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    s->r[0] = 0x0102030405060708ull;
    s->r[1] = IRT_GUEST_ADDR + 0x200 + fault_offsets[input];
    s->r[5] = 100;
    for (unsigned k = 0; k < 16; k++) {
        irt_mem(mem, IRT_GUEST_ADDR + 0x200)[k] = 0xa0 + k;
    }
    write_ordered(irt_mem(mem, FAULT_DATA), MO_64, 0x123456789abcdef0ull);
}

static void check_fault(const IRTestResult *r, unsigned input, void *opaque)
{
    const FaultCase *fc = opaque;
    uint64_t addr = IRT_GUEST_ADDR + 0x200 + fault_offsets[input];
    bool misaligned = addr & (memop_size(fc->mop) - 1);

    g_assert_cmphex(r->state.r[2], ==, 0x123456789abcdef0ull);
    g_assert_cmphex(r->state.r[3], ==, 0x33);
    g_assert_cmphex(r->state.r[4], ==, 0x44);
    g_assert_cmpuint(r->state.r[5], ==, 101);
    if (!misaligned) {
        g_assert_false(r->raised);
        g_assert_cmphex(r->exit_value, ==, 0x40);
        g_assert_cmphex(r->state.r[6], ==, 0x66);
        g_assert_cmphex(r->state.fault_addr, ==, 0);
        return;
    }
    g_assert_true(r->raised);
    g_assert_true(r->insn_found);
    g_assert_cmpint(r->insn_tb, ==, 0);
    g_assert_cmphex(r->insn_words[0], ==, FAULT_PC1);
    g_assert_cmphex(r->insn_words[1], ==, 11);
    g_assert_cmphex(r->insn_words[2], ==, 21);
    g_assert_cmphex(r->state.fault_addr, ==, addr);
    g_assert_cmphex(r->state.fault_mop, ==, fc->mop);
    g_assert_cmphex(r->state.r[6], ==, 0);
    /* the access did not happen */
    for (unsigned k = 0; k < 16; k++) {
        const uint8_t *p = irt_mem((uint8_t *)r->mem, IRT_GUEST_ADDR + 0x200);

        g_assert_cmphex(p[k], ==, 0xa0 + k);
    }
}

static void test_fault(void)
{
    static const char *const kind_names[] = { "ld", "st", "cmpxchg", "rmw" };

    for (unsigned kind = A_LD; kind <= A_RMW; kind++) {
        for (unsigned w = 0; w < 2; w++) {
            for (unsigned size = MO_16; size <= (w ? MO_64 : MO_32); size++) {
                for (unsigned be = 0; be < 2; be++) {
                    FaultCase fc = { kind, w, size | MO_ALIGN | (be ? MO_BE : 0) };
                    IRTestCase tc = {
                        .name = kind_names[kind], .build = build_fault,
                        .setup = setup_fault, .check = check_fault, .opaque = &fc,
                        .nb_inputs = G_N_ELEMENTS(fault_offsets),
                    };

                    irt_run(env, &tc);
                }
            }
        }
    }
}

/* ---- atomics ---- */

static const uint64_t atomic_values[] = {
    0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
    0x8000000000000000ull, 0xffffffffffffffffull, 0x0123456789abcdefull,
    0xfedcba9876543210ull,
};
#define NB_ATOMIC_VALUES G_N_ELEMENTS(atomic_values)

static const char *const rmw_names[] = {
    "xchg", "add", "and", "or", "xor", "smin", "smax", "umin", "umax",
};

typedef struct AtomicCase {
    bool is64;
    MemOp mop;
    int aop;                 /* -1: cmpxchg */
    unsigned misalign;       /* byte offset of the access from an aligned address */
} AtomicCase;

#define ATOMIC_ADDR (IRT_GUEST_ADDR + 0x800)

static uint64_t ref_rmw(int aop, uint64_t old, uint64_t v, unsigned bits)
{
    int64_t so = sext_from(old, bits), sv = sext_from(trunc_to(v, bits), bits);
    uint64_t uv = bits == 64 ? v : v & ((1ull << bits) - 1);

    switch (aop) {
    case IR_ATOMIC_XCHG: return uv;
    case IR_ATOMIC_ADD: return old + v;
    case IR_ATOMIC_AND: return old & v;
    case IR_ATOMIC_OR: return old | v;
    case IR_ATOMIC_XOR: return old ^ v;
    case IR_ATOMIC_SMIN: return sv < so ? uv : old;
    case IR_ATOMIC_SMAX: return sv > so ? uv : old;
    case IR_ATOMIC_UMIN: return uv < old ? uv : old;
    case IR_ATOMIC_UMAX: return uv > old ? uv : old;
    default: g_assert_not_reached();
    }
}

static void build_atomic(IRTestEnv *t, unsigned tb, void *opaque)
{
    const AtomicCase *ac = opaque;
    IRContext *c = t->ctx;
    IRTempIdx old = new_temp(t, ac->is64), v = value_of_r(t, ac->is64, 0);
    IRTempIdx back = new_temp(t, ac->is64);

    if (ac->aop < 0) {
        IRTempIdx expected = value_of_r(t, ac->is64, 2);

        if (ac->is64) {
            ir_atomic_cmpxchg_i64(c, V64(old), t->r[1], V64(expected), V64(v), ac->mop, 0);
        } else {
            ir_atomic_cmpxchg_i32(c, V32(old), t->r[1], V32(expected), V32(v), ac->mop, 0);
        }
    } else if (ac->is64) {
        ir_atomic_rmw_i64(c, ac->aop, V64(old), t->r[1], V64(v), ac->mop, 0);
    } else {
        ir_atomic_rmw_i32(c, ac->aop, V32(old), t->r[1], V32(v), ac->mop, 0);
    }
    store_slot(t, ac->is64, old, 0);
    emit_guest_ld(c, ac->is64, back, t->r[1], ac->mop & ~MO_ALIGN);
    store_slot(t, ac->is64, back, 8);
    ir_exit_tb(c, 0);
}

/* Input: memory value, operand; for cmpxchg the low bit picks a match. */
static void atomic_input(const AtomicCase *ac, unsigned input, uint64_t *m, uint64_t *v,
                         uint64_t *expected)
{
    unsigned bits = 8 * memop_size(ac->mop);
    unsigned n = ac->aop < 0 ? input / 4 : input;

    *m = trunc_to(atomic_values[n % NB_ATOMIC_VALUES], bits == 64 ? 64 : 32);
    if (bits < 32) {
        *m &= (1u << bits) - 1;
    }
    *v = atomic_values[n / NB_ATOMIC_VALUES] ^ (0x5a5a5a5a5a5a5a5aull * (input & 1));
    /* cmpxchg: equal, different, equal with junk above the access size,
     * different low bit */
    switch (input & 3) {
    case 0: *expected = *m; break;
    case 1: *expected = *m ^ 0x10; break;
    case 2: *expected = bits < (ac->is64 ? 64u : 32u) ? *m | (~0ull << bits) : *m; break;
    default: *expected = *m ^ 1; break;
    }
}

static void setup_atomic(IRTestState *s, uint8_t *mem, unsigned input, void *opaque)
{
    const AtomicCase *ac = opaque;
    uint64_t m, v, expected;

    atomic_input(ac, input, &m, &v, &expected);
    s->r[0] = v;
    s->r[1] = ATOMIC_ADDR + ac->misalign;
    s->r[2] = expected;
    write_ordered(irt_mem(mem, ATOMIC_ADDR + ac->misalign), ac->mop, m);
}

static void check_atomic(const IRTestResult *r, unsigned input, void *opaque)
{
    const AtomicCase *ac = opaque;
    unsigned bits = 8 * memop_size(ac->mop), tbits = ac->is64 ? 64 : 32;
    uint64_t m, v, expected, mask = bits == 64 ? ~0ull : (1ull << bits) - 1, want;

    atomic_input(ac, input, &m, &v, &expected);
    g_assert_false(r->raised);
    if (ac->aop < 0) {
        want = (trunc_to(expected, tbits) & mask) == m ? trunc_to(v, tbits) & mask : m;
    } else {
        want = ref_rmw(ac->aop, m, trunc_to(v, tbits), bits) & mask;
    }
    if (slot_value(r, 8) != want) {
        g_test_message("%s_i%u mop 0x%x: mem 0x%" G_GINT64_MODIFIER "x operand 0x%"
                       G_GINT64_MODIFIER "x expected 0x%" G_GINT64_MODIFIER "x",
                       ac->aop < 0 ? "cmpxchg" : rmw_names[ac->aop], tbits, ac->mop, m, v,
                       expected);
    }
    g_assert_cmphex(slot_value(r, 0), ==, m);
    g_assert_cmphex(slot_value(r, 8), ==, want);
    g_assert_cmphex(read_ordered(irt_mem((uint8_t *)r->mem, ATOMIC_ADDR + ac->misalign),
                                 ac->mop), ==, want);
}

static void test_atomic(gconstpointer data)
{
    int aop = GPOINTER_TO_INT(data);
    unsigned nb_inputs = NB_ATOMIC_VALUES * NB_ATOMIC_VALUES * (aop < 0 ? 4 : 1);

    for (unsigned w = 0; w < 2; w++) {
        for (unsigned size = MO_8; size <= (w ? MO_64 : MO_32); size++) {
            for (unsigned variant = 0; variant < 3; variant++) {
                /* little-endian, big-endian aligned, and misaligned without MO_ALIGN */
                AtomicCase ac = {
                    .is64 = w, .aop = aop,
                    .mop = size | (variant == 1 ? MO_BE | MO_ALIGN : 0),
                    .misalign = variant == 2 && size > MO_8 ? 1 : 0,
                };
                IRTestCase tc = {
                    .name = aop < 0 ? "cmpxchg" : rmw_names[aop], .build = build_atomic,
                    .setup = setup_atomic, .check = check_atomic, .opaque = &ac,
                    .nb_inputs = variant == 0 ? nb_inputs : nb_inputs / 4,
                };

                irt_run(env, &tc);
            }
        }
    }
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    init_guest_accesses();
    env = irt_env_new();
    g_test_add_func("/ir/mem/host", test_host_mem);
    g_test_add_func("/ir/mem/guest", test_guest_mem);
    g_test_add_func("/ir/mem/align-fault", test_fault);
    g_test_add_data_func("/ir/atomic/cmpxchg", GINT_TO_POINTER(-1), test_atomic);
    for (unsigned aop = 0; aop < G_N_ELEMENTS(rmw_names); aop++) {
        g_autofree char *path = g_strdup_printf("/ir/atomic/%s", rmw_names[aop]);

        g_test_add_data_func(path, GINT_TO_POINTER(aop), test_atomic);
    }
    ret = g_test_run();
    irt_env_free(env);
    return ret;
}
