/*
 * The x86-64 JIT backend: the code buffer, the prologue and epilogue,
 * code generation per TB, chaining, and the host-pc -> guest-insn map
 * that find_insn reads after a helper raises.
 *
 * The code buffer is one region mapped twice from a memfd: generated code
 * runs from a read+execute view and is written through a separate
 * read+write view, so no page is ever writable and executable at once. A
 * single RWX mapping is the fallback where memfd or the second mapping is
 * refused. TBs are laid out one after another:
 *     [TB code][alignment-fault paths][insn stubs][JitTbInfo + insn map] ...
 * and flush starts over after the prologue. Code generation is serialised
 * by one mutex; running code needs no lock.
 *
 * Generated code runs inside the prologue's frame: exec calls the
 * prologue with (env, host_code); it saves the callee-saved registers,
 * puts env in rbp, reserves the spill area and jumps to the TB. exit_tb
 * jumps to the epilogue with the exit value in rax; chained TBs jump
 * straight to each other's entry.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <capstone/capstone.h>
#ifdef __x86_64__
#include <cpuid.h>
#endif

#include "proteus/error.h"
#include "proteus/log.h"
#include "accel/tcg/host/x86_64.h"

#define JIT_DEFAULT_BUFFER (64u << 20)
/* The prologue's frame: the spill area plus 8 bytes that, with the six
 * pushes and the return address, keep rsp 16-byte aligned. */
#define JIT_FRAME (JIT_STATIC_FRAME + 8)
#define JIT_NO_JUMP UINT32_MAX

/* Stored in the code buffer after each TB's code; tb->backend_data. */
typedef struct JitTbInfo {
    const TranslationBlock *tb;
    uint32_t code_size;        /* TB code and its fault paths */
    uint32_t map_len;          /* bytes of map */
    uint8_t map[];             /* per entry: uleb(off delta << 1 | no insn), 3 x sleb(word delta) */
} JitTbInfo;

typedef struct JitIndexEntry {
    uintptr_t start;           /* run address of the TB's entry */
    const JitTbInfo *info;     /* run-view address */
} JitIndexEntry;

static struct {
    GMutex lock;
    bool ready;
    uint8_t *rw;
    uint8_t *rx;
    size_t size;
    size_t requested_size;
    bool dual;
    size_t code_start;         /* first byte after the prologue */
    size_t pos;                /* next free byte */
    uint64_t (*prologue)(void *env, const void *code);
    uintptr_t epilogue, epilogue_zero;
    GArray *index;             /* JitIndexEntry, sorted by start */
    unsigned host_features;
    unsigned feature_mask;     /* complemented: 0 allows everything */
    unsigned features;
    JitGen gen;
} jit;

/* ---- the code buffer ---- */

static void buffer_unmap(void)
{
    if (jit.rw) {
        munmap(jit.rw, jit.size);
        if (jit.dual) {
            munmap(jit.rx, jit.size);
        }
    }
    jit.rw = jit.rx = NULL;
}

/* An address near this program's code, so that direct calls to helpers
 * in it fit a rel32; only a hint. */
static void *buffer_hint(size_t size)
{
    uintptr_t text = (uintptr_t)&buffer_hint;
    uintptr_t gap = (size_t)256 << 20;

    if (text < size + gap) {
        return NULL;
    }
    return (void *)((text - size - gap) & ~(uintptr_t)((2u << 20) - 1));
}

static bool buffer_map(size_t size, GError **errp)
{
    int fd = memfd_create("proteus-jit", MFD_CLOEXEC);

    jit.size = size;
    if (fd >= 0) {
        if (ftruncate(fd, size) == 0) {
            void *rx = mmap(buffer_hint(size), size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
            void *rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

            if (rx != MAP_FAILED && rw != MAP_FAILED) {
                close(fd);
                jit.rx = rx;
                jit.rw = rw;
                jit.dual = true;
                return true;
            }
            if (rx != MAP_FAILED) {
                munmap(rx, size);
            }
            if (rw != MAP_FAILED) {
                munmap(rw, size);
            }
        }
        close(fd);
    }
    /* No memfd or no second view (e.g. a sandbox): one RWX mapping. */
    jit.rw = mmap(buffer_hint(size), size, PROT_READ | PROT_WRITE | PROT_EXEC,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (jit.rw == MAP_FAILED) {
        jit.rw = NULL;
        error_setg(errp, "x86-64 JIT: cannot map a %zu-byte code buffer: %s", size,
                   g_strerror(errno));
        return false;
    }
    jit.rx = jit.rw;
    jit.dual = false;
    return true;
}

static X86Code buffer_code(size_t pos)
{
    X86Code c = { .rw = jit.rw, .rx = (uintptr_t)jit.rx, .pos = pos };

    return c;
}

/* The entry and exit of generated code, at the start of the buffer. */
static void emit_prologue(void)
{
    static const int8_t saved[] = { X86_RBP, X86_RBX, X86_R12, X86_R13, X86_R14, X86_R15 };
    X86Code c = buffer_code(0);

    jit.prologue = (uint64_t (*)(void *, const void *))(void *)jit.rx;
    for (unsigned k = 0; k < G_N_ELEMENTS(saved); k++) {
        x86_push(&c, saved[k]);
    }
    x86_mov_rr(&c, true, JIT_ENV_REG, X86_RDI);
    x86_alu_ri(&c, X86_SUB, true, X86_RSP, JIT_FRAME);
    x86_jmp_reg(&c, X86_RSI);

    x86_align(&c, 16, 0);
    jit.epilogue_zero = x86_rx_addr(&c, c.pos);
    x86_alu_rr(&c, X86_XOR, false, X86_RAX, X86_RAX);
    jit.epilogue = x86_rx_addr(&c, c.pos);
    x86_alu_ri(&c, X86_ADD, true, X86_RSP, JIT_FRAME);
    for (unsigned k = G_N_ELEMENTS(saved); k-- > 0;) {
        x86_pop(&c, saved[k]);
    }
    x86_ret(&c);
    x86_align(&c, 16, 0);
    jit.code_start = jit.pos = c.pos;
}

static void index_reset(void)
{
    if (!jit.index) {
        jit.index = g_array_new(false, false, sizeof(JitIndexEntry));
    }
    g_array_set_size(jit.index, 0);
}

/* ---- cpu features ---- */

static unsigned detect_features(void)
{
    unsigned f = 0;
#ifdef __x86_64__
    unsigned a, b, c, d;

    if (__get_cpuid(1, &a, &b, &c, &d)) {
        f |= (c & (1u << 23)) ? JIT_FEAT_POPCNT : 0;
        f |= (c & (1u << 22)) ? JIT_FEAT_MOVBE : 0;
    }
    if (__get_cpuid_max(0, NULL) >= 7 && __get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        f |= (b & (1u << 3)) ? JIT_FEAT_BMI1 : 0;
    }
    if (__get_cpuid_max(0x80000000u, NULL) >= 0x80000001u &&
        __get_cpuid(0x80000001u, &a, &b, &c, &d)) {
        f |= (c & (1u << 5)) ? JIT_FEAT_LZCNT : 0;
    }
#endif
    return f;
}

/* ---- backend interface ---- */

static bool x86_64_init(GError **errp)
{
    bool ok = true;

#ifndef __x86_64__
    error_setg(errp, "the x86-64 JIT needs an x86-64 host");
    return false;
#endif
    g_mutex_lock(&jit.lock);
    if (!jit.ready) {
        jit.host_features = detect_features();
        jit.features = jit.host_features & ~jit.feature_mask;
        ok = buffer_map(jit.requested_size ? jit.requested_size : JIT_DEFAULT_BUFFER, errp);
        if (ok) {
            emit_prologue();
            index_reset();
            jit.ready = true;
        }
    }
    g_mutex_unlock(&jit.lock);
    return ok;
}

static void gen_prepare(JitGen *s, IRContext *ctx, TranslationBlock *tb, size_t start)
{
    guint nops = ir_op_count(ctx);

    s->ctx = ctx;
    s->tb = tb;
    s->nb_temps = ctx->temps->len;
    if (s->nb_temps > s->temps_cap) {
        s->temps_cap = MAX(s->nb_temps, s->temps_cap * 2);
        s->temps = g_renew(JitTemp, s->temps, s->temps_cap);
        s->live_mark = g_renew(uint32_t, s->live_mark, s->temps_cap);
    }
    if (nops > s->ops_cap) {
        s->ops_cap = MAX(nops, s->ops_cap * 2);
        s->dead = g_renew(uint16_t, s->dead, s->ops_cap);
    }
    if (ctx->nb_labels > s->labels_cap) {
        s->labels_cap = MAX(ctx->nb_labels, s->labels_cap * 2);
        s->labels = g_renew(JitLabel, s->labels, s->labels_cap);
    }
    if (!s->fixups) {
        s->fixups = g_array_new(false, false, sizeof(JitFixup));
        s->slow_paths = g_array_new(false, false, sizeof(JitSlowPath));
        s->insns = g_array_new(false, false, sizeof(JitInsn));
        s->insn_words = g_array_new(false, false, 3 * sizeof(uint64_t));
        s->stub_fixups = g_array_new(false, false, sizeof(size_t));
        s->free_slots = g_array_new(false, false, sizeof(int32_t));
        s->bb_slotted = g_array_new(false, false, sizeof(IRTempIdx));
        s->entries = g_array_new(false, false, sizeof(JitEntry));
    }
    g_array_set_size(s->fixups, 0);
    g_array_set_size(s->slow_paths, 0);
    g_array_set_size(s->insns, 0);
    g_array_set_size(s->stub_fixups, 0);
    s->insn_count = 0;
    g_array_set_size(s->free_slots, 0);
    g_array_set_size(s->bb_slotted, 0);
    for (guint l = 0; l < ctx->nb_labels; l++) {
        s->labels[l].pos = -1;
        s->labels[l].fixups = -1;
        if (!s->use_entries) {
            s->labels[l].entry_count = -1;
        }
    }
    for (guint t = 0; t < s->nb_temps; t++) {
        JitTemp *ts = &s->temps[t];

        memset(ts, 0, sizeof(*ts));
        ts->slot = -1;
        switch (ir_temp(ctx, t)->kind) {
        case IR_TEMP_ENV:
            ts->loc = JIT_LOC_REG;
            ts->reg = JIT_ENV_REG;
            ts->coherent = true;
            break;
        case IR_TEMP_GLOBAL:
        case IR_TEMP_TB:
            ts->loc = JIT_LOC_MEM;
            break;
        case IR_TEMP_BB:
            ts->loc = JIT_LOC_DEAD;
            break;
        case IR_TEMP_CONST:
            ts->loc = JIT_LOC_CONST;
            break;
        }
    }
    jit_regs_reset(s);
    s->slot_top = 0;
    s->overflow = false;
    s->features = jit.features;
    s->epilogue = jit.epilogue;
    s->epilogue_zero = jit.epilogue_zero;
    s->code = buffer_code(start);
    s->limit = jit.size;
    tb->jmp_site[0] = tb->jmp_site[1] = JIT_NO_JUMP;
    tb->jmp_reset[0] = tb->jmp_reset[1] = JIT_NO_JUMP;
}

static void put_uleb(GByteArray *out, uint64_t v)
{
    do {
        uint8_t b = v & 0x7f;

        v >>= 7;
        g_byte_array_append(out, &(uint8_t){ b | (v ? 0x80 : 0) }, 1);
    } while (v);
}

static void put_sleb(GByteArray *out, int64_t v)
{
    bool more;

    do {
        uint8_t b = v & 0x7f;

        v >>= 7;
        more = !((v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40)));
        g_byte_array_append(out, &(uint8_t){ b | (more ? 0x80 : 0) }, 1);
    } while (more);
}

static uint64_t get_uleb(const uint8_t **p)
{
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;

    do {
        b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    return v;
}

static int64_t get_sleb(const uint8_t **p)
{
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;

    do {
        b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40)) {
        v |= ~(uint64_t)0 << shift;
    }
    return (int64_t)v;
}

static const uint64_t *insn_words(JitGen *s, int32_t insn)
{
    return &g_array_index(s->insn_words, uint64_t, 3 * insn);
}

static GByteArray *encode_map(JitGen *s)
{
    GByteArray *out = g_byte_array_new();
    uint32_t prev_off = 0;
    uint64_t prev[3] = { 0, 0, 0 };

    for (guint k = 0; k < s->insns->len; k++) {
        JitInsn *in = &g_array_index(s->insns, JitInsn, k);
        const uint64_t *words = in->insn >= 0 ? insn_words(s, in->insn) : prev;

        g_assert(in->host_off >= prev_off);
        put_uleb(out, (uint64_t)(in->host_off - prev_off) << 1 | (in->insn < 0));
        for (unsigned w = 0; w < 3; w++) {
            put_sleb(out, (int64_t)(words[w] - prev[w]));
        }
        memcpy(prev, words, sizeof(prev));
        prev_off = in->host_off;
    }
    return out;
}

static void log_out_asm(const TranslationBlock *tb, JitGen *s, size_t code_size)
{
    const uint8_t *code = jit.rx + s->tb_start;
    guint next_insn = 0;
    csh handle;
    cs_insn *insn;
    size_t count;

    log_printf("OUT: [size=%zu] guest pc 0x%" G_GINT64_MODIFIER "x\n", code_size, tb->pc);
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) {
        log_printf("  (capstone cannot disassemble x86-64)\n");
        return;
    }
    count = cs_disasm(handle, code, code_size, (uintptr_t)code, 0, &insn);
    for (size_t k = 0; k < count; k++) {
        uint32_t off = insn[k].address - (uintptr_t)code;

        while (next_insn < s->insns->len) {
            JitInsn *in = &g_array_index(s->insns, JitInsn, next_insn);

            if (in->host_off > off) {
                break;
            }
            if (in->insn >= 0) {
                log_printf("  -- guest insn 0x%" G_GINT64_MODIFIER "x\n",
                           insn_words(s, in->insn)[0]);
            } else {
                log_printf("  -- %s\n", in->insn == JIT_INSN_NONE ? "before the first insn"
                                                                 : "insn known at run time");
            }
            next_insn++;
        }
        log_printf("  0x%016" G_GINT64_MODIFIER "x:  %-8s %s\n", (guint64)insn[k].address,
                   insn[k].mnemonic, insn[k].op_str);
    }
    if (count) {
        cs_free(insn, count);
    }
    log_printf("\n");
    cs_close(&handle);
}

/* Generates tb into the buffer at jit.pos; false if it does not fit. */
static bool gen_tb(JitGen *s, IRContext *ctx, TranslationBlock *tb)
{
    size_t start = (jit.pos + 15) & ~(size_t)15;
    guint nops = ir_op_count(ctx);
    g_autoptr(GByteArray) map = NULL;
    size_t info_pos, end, code_size;
    JitTbInfo info;
    JitIndexEntry entry;

    if (start + JIT_OP_MARGIN > jit.size) {
        return false;
    }
    s->frame_extra = 0;
    s->use_entries = false;
    if (s->entries) {
        g_array_set_size(s->entries, 0);
    }
    for (;;) {
        gen_prepare(s, ctx, tb, start);
        s->tb_start = start;
        jit_liveness(s);
        jit_insn_flow(s);
        jit_find_exit_labels(s);
        if (s->dyn_insn) {
            /* The first spill slot keeps the running insn's index. */
            s->dyn_slot = 0;
            s->slot_top = 8;
        }
        if (s->frame_extra) {
            x86_alu_ri(&s->code, X86_SUB, true, X86_RSP, s->frame_extra);
        }
        jit_insn_entry(s);
        for (guint i = 0; i < nops && !s->overflow; i++) {
            if (s->code.pos + JIT_OP_MARGIN > s->limit) {
                s->overflow = true;
                break;
            }
            jit_lower_op(s, i);
        }
        if (s->overflow) {
            return false;
        }
        if (!s->use_entries && s->entries->len > 0) {
            /* A loop: generate again, keeping its values in registers. */
            s->use_entries = true;
            continue;
        }
        if (s->slot_top <= JIT_STATIC_FRAME + s->frame_extra) {
            break;
        }
        /* More spill slots than the prologue's frame: generate again with
         * a frame of our own (the allocation decisions do not change). */
        s->frame_extra = (s->slot_top - JIT_STATIC_FRAME + 15) & ~15;
    }
    /* Code that runs off the end of the IR (no exit) traps. */
    x86_ud2(&s->code);
    if (s->code.pos + s->slow_paths->len * 160 + (s->insn_words->len + 2) * 16 + 64 >
        s->limit) {
        return false;
    }
    jit_emit_slow_paths(s);
    jit_insn_emit_stubs(s);
    code_size = s->code.pos - start;
    map = encode_map(s);
    info_pos = (s->code.pos + 7) & ~(size_t)7;
    end = info_pos + sizeof(JitTbInfo) + map->len;
    if (end > jit.size) {
        return false;
    }
    info.tb = tb;
    info.code_size = code_size;
    info.map_len = map->len;
    memcpy(jit.rw + info_pos, &info, sizeof(info));
    if (map->len) {
        memcpy(jit.rw + info_pos + sizeof(info), map->data, map->len);
    }

    tb->host_code = jit.rx + start;
    tb->host_size = end - start;
    tb->backend_data = jit.rx + info_pos;
    entry.start = (uintptr_t)tb->host_code;
    entry.info = tb->backend_data;
    g_array_append_val(jit.index, entry);
    jit.pos = end;
    if (log_enabled(LOG_OUT_ASM)) {
        log_out_asm(tb, s, code_size);
    }
    return true;
}

static bool x86_64_gen_code(IRContext *ctx, TranslationBlock *tb)
{
    bool ok;

    g_assert(jit.ready);
    g_mutex_lock(&jit.lock);
    ok = gen_tb(&jit.gen, ctx, tb);
    g_mutex_unlock(&jit.lock);
    return ok;
}

static void x86_64_set_jump(TranslationBlock *tb, unsigned slot, const TranslationBlock *dest)
{
    uintptr_t base = (uintptr_t)tb->host_code;
    uintptr_t field, target;
    int32_t rel;

    g_assert(slot < 2 && tb->jmp_site[slot] != JIT_NO_JUMP);
    field = base + tb->jmp_site[slot];
    target = dest ? (uintptr_t)dest->host_code : base + tb->jmp_reset[slot];
    rel = (int32_t)(target - (field + 4));
    g_assert((field & 3) == 0);
    /* One aligned 4-byte store: a thread running this jump sees the old
     * or the new target, never a mix. */
    __atomic_store_n((int32_t *)(void *)(jit.rw + (field - (uintptr_t)jit.rx)), rel,
                     __ATOMIC_RELEASE);
}

static uint64_t x86_64_exec(void *env, const TranslationBlock *tb)
{
    return jit.prologue(env, tb->host_code);
}

static bool x86_64_find_insn(uintptr_t retaddr, const TranslationBlock **tbp, uint64_t words[3])
{
    uintptr_t pc = retaddr - 1;
    const JitTbInfo *info = NULL;
    uintptr_t start = 0;
    const uint8_t *p, *map_end;
    uint64_t cur[3] = { 0, 0, 0 };
    uint32_t off = 0, target;
    bool found = false;
    guint lo, hi;

    g_mutex_lock(&jit.lock);
    if (jit.ready && jit.index->len > 0) {
        /* The last TB starting at or before pc. */
        lo = 0;
        hi = jit.index->len;
        while (hi - lo > 1) {
            guint mid = (lo + hi) / 2;

            if (g_array_index(jit.index, JitIndexEntry, mid).start <= pc) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        start = g_array_index(jit.index, JitIndexEntry, lo).start;
        info = g_array_index(jit.index, JitIndexEntry, lo).info;
        if (pc < start || pc >= start + info->code_size) {
            info = NULL;
        }
    }
    g_mutex_unlock(&jit.lock);
    if (!info) {
        return false;
    }
    target = pc - start;
    p = info->map;
    map_end = p + info->map_len;
    while (p < map_end) {
        uint64_t head = get_uleb(&p);
        uint64_t next[3];

        for (unsigned w = 0; w < 3; w++) {
            next[w] = cur[w] + (uint64_t)get_sleb(&p);
        }
        off += head >> 1;
        if (off > target) {
            break;
        }
        memcpy(cur, next, sizeof(cur));
        found = !(head & 1);
    }
    if (!found) {
        return false;
    }
    *tbp = info->tb;
    memcpy(words, cur, sizeof(cur));
    return true;
}

static void x86_64_flush(void)
{
    g_mutex_lock(&jit.lock);
    if (jit.ready) {
        jit.pos = jit.code_start;
        index_reset();
    }
    g_mutex_unlock(&jit.lock);
}

/* Lock-free: a signal handler asks, possibly while this thread holds the lock. */
static bool x86_64_in_code(uintptr_t pc)
{
    uintptr_t rx = (uintptr_t)__atomic_load_n(&jit.rx, __ATOMIC_ACQUIRE);
    size_t size = __atomic_load_n(&jit.size, __ATOMIC_ACQUIRE);

    return rx && pc >= rx && pc < rx + size;
}

/* The buffer is a shared memfd mapping, which fork does not copy: the
 * child maps one of its own (the caller then flushes every TB). */
static bool x86_64_after_fork(GError **errp)
{
    size_t size;
    bool dual;

    g_mutex_lock(&jit.lock);
    size = jit.size;
    dual = jit.dual;
    g_mutex_unlock(&jit.lock);
    return !dual || jit_x86_64_set_buffer_size(size, errp);
}

const IRBackend ir_backend_x86_64 = {
    .name = "x86_64",
    .init = x86_64_init,
    .gen_code = x86_64_gen_code,
    .set_jump = x86_64_set_jump,
    .exec = x86_64_exec,
    .find_insn = x86_64_find_insn,
    .flush = x86_64_flush,
    .in_code = x86_64_in_code,
    .after_fork = x86_64_after_fork,
};

/* ---- for tests and tools ---- */

bool jit_x86_64_set_buffer_size(size_t bytes, GError **errp)
{
    bool ok = true;

    g_mutex_lock(&jit.lock);
    jit.requested_size = bytes;
    if (jit.ready) {
        buffer_unmap();
        ok = buffer_map(bytes, errp);
        if (ok) {
            emit_prologue();
        }
        index_reset();
        jit.ready = ok;
    }
    g_mutex_unlock(&jit.lock);
    return ok;
}

unsigned jit_x86_64_set_features(unsigned mask)
{
    unsigned old;

    g_mutex_lock(&jit.lock);
    old = ~jit.feature_mask;
    jit.feature_mask = ~mask;
    jit.features = jit.host_features & mask;
    g_mutex_unlock(&jit.lock);
    return old;
}

void jit_x86_64_buffer_info(JitBufferInfo *out)
{
    g_mutex_lock(&jit.lock);
    out->rx = jit.rx;
    out->rw = jit.rw;
    out->size = jit.size;
    out->used = jit.pos;
    out->dual_mapped = jit.dual;
    out->features = jit.features;
    g_mutex_unlock(&jit.lock);
}
