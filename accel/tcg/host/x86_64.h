/*
 * The x86-64 JIT backend's private interface between its files:
 *   x86_64.c          the backend: code buffer, prologue, chaining, find_insn
 *   x86_64-emit.c     the instruction encoder
 *   x86_64-regalloc.c liveness and the local register allocator
 *   x86_64-ops.c      lowering of arithmetic, logic and control ops
 *   x86_64-mem.c      lowering of host and guest memory ops and atomics
 *   x86_64-call.c     helper calls
 *   x86_64-insn.c     which guest insn runs where (the find_insn map)
 *
 * Register conventions inside generated code:
 *   rbp  env (the CPU state), for the whole TB and the TBs chained to it;
 *   rsp  16-byte aligned; [rsp, rsp + frame) is the spill area;
 *   r11  scratch for a single instruction sequence, never allocated;
 *   the other 13 registers are allocated.
 * An i32 value in a host register or spill slot always has its upper 32
 * bits zero: 32-bit instructions write them that way and every producer
 * of an i32 keeps it so.
 */
#ifndef PROTEUS_ACCEL_TCG_HOST_X86_64_H
#define PROTEUS_ACCEL_TCG_HOST_X86_64_H

#include "accel/tcg/backend.h"
#include "accel/tcg/host/x86_64-emit.h"

#define JIT_ENV_REG X86_RBP
#define JIT_TMP_REG X86_R11

/* Bytes of spill area the prologue reserves; a TB that needs more grows
 * the frame itself on entry (see JitGen.frame_extra). */
#define JIT_STATIC_FRAME 4096
/* Room that must be left in the buffer before an IR op is lowered: the
 * longest code of one op, plus the block-end code around it. */
#define JIT_OP_MARGIN 4096

/* Host features used when cpuid reports them. */
enum {
    JIT_FEAT_LZCNT = 1 << 0,
    JIT_FEAT_BMI1 = 1 << 1,      /* tzcnt */
    JIT_FEAT_POPCNT = 1 << 2,
    JIT_FEAT_MOVBE = 1 << 3,
};

typedef enum {
    JIT_LOC_DEAD,        /* no value (bb temp not yet written, or dead) */
    JIT_LOC_REG,         /* in a host register */
    JIT_LOC_MEM,         /* in its memory home (global field or spill slot) */
    JIT_LOC_CONST,       /* a constant temp */
} JitLoc;

/* Register owners besides temp indices. */
#define JIT_REG_FREE (-1)
#define JIT_REG_SCRATCH (-2)   /* holds a value for the current op only */
#define JIT_REG_RESERVED (-3)

typedef struct JitTemp {
    uint8_t loc;               /* JitLoc */
    int8_t reg;                /* JIT_LOC_REG: the register */
    bool coherent;             /* JIT_LOC_REG: the memory home holds the same value */
    int32_t slot;              /* tb/bb temp: spill slot offset from rsp, -1 none */
} JitTemp;

typedef struct JitLabel {
    int32_t pos;               /* bound buffer position, -1 if not yet */
    int32_t fixups;            /* first pending fixup (index into JitGen.fixups), -1 */
    int32_t insn;              /* the insn running after it (JIT_INSN_*) */
    int32_t insn_in;           /* dataflow: joined over the branches to it */
    int32_t entry_start;       /* its entry state: JitGen.entries[start..+count) */
    int32_t entry_count;       /* -1: none (everything is in memory there) */
    bool exit_only;            /* its block is just exit_tb exit_value */
    uint64_t exit_value;
} JitLabel;

/* In a label's entry state: temp t is in register reg. */
typedef struct JitEntry {
    IRTempIdx t;
    int8_t reg;
    bool coherent;             /* also current in memory on every way in */
} JitEntry;

typedef struct JitFixup {
    uint32_t field;            /* position of a rel32 to patch */
    int32_t next;
} JitFixup;

/* An out-of-line path, emitted after the TB's code: an alignment fault,
 * or a softmmu TLB miss that calls a helper and jumps back. */
typedef enum {
    JIT_SLOW_ALIGN,
    JIT_SLOW_TLB_LD,           /* addr in rsi; result in rax */
    JIT_SLOW_TLB_ST,           /* addr in rsi, value in rdx */
    JIT_SLOW_EXIT,             /* a brcond to an exit_tb: write back, leave */
} JitSlowKind;

typedef struct JitSlowPath {
    uint32_t jcc_field;        /* the rel32 of the jnz that goes there */
    int8_t addr_reg;
    uint8_t kind;              /* JitSlowKind */
    uint32_t mop;              /* TLB: MemOp | mmu_idx << 8 */
    int32_t insn;              /* the insn running there (JIT_INSN_*) */
    uint32_t rejoin;           /* TLB: buffer position to jump back to */
    /* EXIT: the globals dirty in registers at the branch (register mask,
     * their env offsets and widths), the frame to release, the exit value. */
    uint16_t exit_regs, exit_regs64;
    int32_t exit_ofs[X86_NB_REGS];
    int32_t frame_extra;
    uint64_t exit_value;
} JitSlowPath;

/*
 * Which guest instruction is running at a point of the code: an index
 * into the TB's insn_starts (in IR order), or one of these.
 */
#define JIT_INSN_UNSET (-3)    /* not reached (yet, in the dataflow) */
#define JIT_INSN_MULTI (-2)    /* depends on the path: kept at run time */
#define JIT_INSN_NONE (-1)     /* before the TB's first insn_start */

/* One entry of the host-offset -> insn map. */
typedef struct JitInsn {
    uint32_t host_off;         /* from the TB's entry */
    int32_t insn;              /* index, JIT_INSN_NONE or JIT_INSN_MULTI */
} JitInsn;

/* The state of generating one TB (reused from TB to TB). */
typedef struct JitGen {
    X86Code code;
    size_t limit;              /* buffer position that code must stay below */
    bool overflow;             /* the buffer is full: give up this TB */
    unsigned features;         /* JIT_FEAT_* */

    IRContext *ctx;
    TranslationBlock *tb;
    size_t tb_start;           /* buffer position of the TB's entry */

    unsigned nb_temps;
    JitTemp *temps;
    unsigned temps_cap;
    uint16_t *dead;            /* per op: bit i set = args[i] is dead after it */
    uint32_t *live_mark;       /* liveness scratch, per temp */
    unsigned ops_cap;

    int reg_owner[X86_NB_REGS];
    uint16_t locked;           /* registers the current op uses */

    GArray *free_slots;        /* int32_t: freed bb-temp slots */
    GArray *bb_slotted;        /* IRTempIdx: bb temps given a slot in this block */
    int32_t slot_top;          /* bytes of spill area used so far */
    int32_t frame_extra;       /* bytes the TB adds to the static frame */

    JitLabel *labels;
    unsigned labels_cap;
    GArray *entries;           /* JitEntry: the labels' entry states */
    bool use_entries;          /* second pass: labels have their entry states */
    GArray *fixups;            /* JitFixup */
    GArray *slow_paths;        /* JitSlowPath */
    GArray *insns;             /* JitInsn: the map, by host offset */
    GArray *insn_words;        /* uint64_t[3] per insn_start, in IR order */
    int32_t cur_insn;          /* the insn running at the code being emitted */
    int32_t insn_count;        /* insn_starts lowered so far */
    bool dyn_insn;             /* some label is JIT_INSN_MULTI */
    int32_t dyn_slot;          /* frame slot of the running insn index */
    GArray *stub_fixups;       /* size_t: rel32 of lea r11, [rip + stubs] */

    uintptr_t epilogue;        /* run addresses in the prologue code */
    uintptr_t epilogue_zero;   /* returns 0 */
} JitGen;

/* ---- x86_64-ops.c: out-of-line exits ---- */

/* The registers holding globals not yet written back: mask, which of
 * them are 64-bit, and each one's env offset (ofs[reg]). */
uint16_t jit_dirty_globals(JitGen *s, uint16_t *is64, int32_t *ofs);
/* Marks the labels whose block is nothing but an exit_tb. */
void jit_find_exit_labels(JitGen *s);
void jit_emit_exit_path(JitGen *s, const JitSlowPath *sp);

/* ---- x86_64.c: for tests and tools ---- */

typedef struct JitBufferInfo {
    void *rx, *rw;             /* the run and write views (equal if RWX) */
    size_t size, used;
    bool dual_mapped;
    unsigned features;         /* JIT_FEAT_* in use */
} JitBufferInfo;

/* Sets the code buffer size (default 64 MiB); if the backend is running,
 * remaps the buffer: no generated code may run and every TB is forgotten,
 * as after a flush. */
bool jit_x86_64_set_buffer_size(size_t bytes, GError **errp);
/* Limits the host features used to mask (what cpuid reports & mask),
 * before or after init; returns the previous mask. */
unsigned jit_x86_64_set_features(unsigned mask);
void jit_x86_64_buffer_info(JitBufferInfo *out);

/* x86_64-regalloc.c */
void jit_liveness(JitGen *s);
void jit_regs_reset(JitGen *s);
bool jit_arg_dead(JitGen *s, unsigned op_idx, unsigned arg);
JitTemp *jit_ts(JitGen *s, IRTempIdx t);
IRTemp *jit_irt(JitGen *s, IRTempIdx t);
bool jit_temp_is64(JitGen *s, IRTempIdx t);
bool jit_temp_is_const(JitGen *s, IRTempIdx t);
int64_t jit_const_val(JitGen *s, IRTempIdx t);
/* An allocatable register not in exclude and not locked, evicting if
 * needed; it is locked as scratch until jit_op_done. */
int jit_reg_alloc(JitGen *s, uint16_t exclude);
/* Moves whatever lives in r elsewhere (or to memory); r is then locked as
 * scratch. */
void jit_reg_take(JitGen *s, int r);
/* Puts t in a register not in exclude and locks it. */
int jit_temp_load(JitGen *s, IRTempIdx t, uint16_t exclude);
/* Loads t's value into the given register (taken by the caller). */
void jit_temp_load_to(JitGen *s, IRTempIdx t, int r);
/*
 * A register holding input arg's value that the op may overwrite with its
 * output (args[0]): the input's own register when the input dies here or
 * is the output, else a copy.
 */
int jit_load_dest(JitGen *s, unsigned op_idx, unsigned arg, uint16_t exclude);
/*
 * The register for the op's output when the op reads input arg (already
 * loaded) as a source: that input's own register if it dies here (or is
 * the output), else a fresh one. No code is emitted.
 */
int jit_out_reg(JitGen *s, unsigned op_idx, unsigned arg, uint16_t exclude);
/* Makes register r the home of output temp t (dirty). */
void jit_temp_set_reg(JitGen *s, IRTempIdx t, int r);
/* After an op: frees the registers of dead args and unlocks everything. */
void jit_op_done(JitGen *s, unsigned op_idx);
/* Writes back dirty globals (and, if tb_temps, tb temps) keeping them cached. */
void jit_sync(JitGen *s, bool tb_temps);
/* Drops cached globals from registers (after a helper that writes them). */
void jit_forget_globals(JitGen *s);
/* Forgets every register at a block end: synced says jit_sync(s, true)
 * ran (a label follows), else the TB is left and tb temps do not matter. */
void jit_forget_all(JitGen *s, bool synced);
/* Frees bb temps' registers and slots at a block end. */
void jit_kill_bb_temps(JitGen *s);
/*
 * Loop headers: the first pass records, at a branch back to a label, which
 * globals and tb temps are in which registers; the second pass keeps them
 * there across the label: every way into it writes back everything else
 * (jit_entry_sync) and puts those values, maybe dirty, in those registers.
 * Without an entry state (or in the first pass) everything is written
 * back and nothing is cached at the label.
 */
void jit_entry_record(JitGen *s, IRLabel l);
void jit_entry_sync(JitGen *s, IRLabel l);
/* Puts the label's entry values in their registers (after
 * jit_entry_sync); false if it has no entry state. */
bool jit_entry_conform(JitGen *s, IRLabel l);
/* Locks the registers of the label's entry state. */
void jit_entry_lock(JitGen *s, IRLabel l);
/* At the label (after jit_entry_conform): forgets every other register;
 * the entry values are taken as dirty. */
void jit_entry_bind(JitGen *s, IRLabel l);
/* Before a call: moves every value out of the caller-saved registers, to a
 * free callee-saved one or to memory. The registers in dying hold temps
 * that die at the call (freed without a store); globals are dropped if
 * drop_globals. Register contents are unchanged until the call. */
void jit_spill_caller_saved(JitGen *s, uint16_t dying, bool drop_globals);
void jit_temp_store(JitGen *s, IRTempIdx t);
/* Host ld/st on env may touch a global's field: before the access, dirty
 * globals in [ofs, ofs + size) are written back; after a store
 * (after_store) the cached copies of those globals are dropped. */
void jit_env_access(JitGen *s, int32_t ofs, unsigned size, bool after_store);

/* x86_64-ops.c */
void jit_lower_op(JitGen *s, unsigned op_idx);

/* x86_64-mem.c */
void jit_lower_ld_st(JitGen *s, unsigned op_idx);
void jit_lower_guest_mem(JitGen *s, unsigned op_idx);
void jit_emit_slow_paths(JitGen *s);

/* x86_64-insn.c: which guest insn runs where, for find_insn */
void jit_insn_flow(JitGen *s);
void jit_insn_entry(JitGen *s);
void jit_insn_start(JitGen *s);
void jit_insn_label(JitGen *s, IRLabel l);
/* Calls target (never through r10/r11/rax args) so that the return
 * address tells the running insn, dynamic ones included. */
void jit_insn_call(JitGen *s, int32_t insn, uintptr_t target);
void jit_insn_emit_stubs(JitGen *s);

/* x86_64-call.c */
void jit_lower_call(JitGen *s, unsigned op_idx);

#endif
