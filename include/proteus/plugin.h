/*
 * The instrumentation plugin API: what a plugin (a shared object loaded
 * with -plugin PATH[,name=value...]) may call, and what it must export.
 * It is separate from device modules (module.h): a plugin observes guest
 * execution; it never changes emulator state except through this API.
 *
 * A plugin exports two symbols:
 *
 *     PROTEUS_PLUGIN_EXPORT int proteus_plugin_version = PROTEUS_PLUGIN_VERSION;
 *     PROTEUS_PLUGIN_EXPORT int proteus_plugin_install(proteus_plugin_id id,
 *                                                      const ProteusPluginInfo *info,
 *                                                      int argc, char **argv);
 *
 * The loader refuses a plugin whose version is outside
 * [PROTEUS_PLUGIN_VERSION_MIN, PROTEUS_PLUGIN_VERSION]. install gets the
 * "name=value" arguments of its -plugin option and returns 0, or nonzero
 * to refuse them (the emulator then stops with an error); it registers
 * callbacks with its id.
 *
 * Translation-time callbacks get a ProteusTB: the instructions of a block
 * about to be translated. Instrumentation asked for there (execution and
 * memory callbacks, inline operations) is compiled into that block; the
 * block and instruction handles are valid only during the callback.
 * Inline operations act on a scoreboard: one element per vCPU, so
 * counting needs no lock and no call.
 *
 * Threads: vCPU callbacks run on the vCPU's thread, several at once on
 * a multi-vCPU guest. Reading registers and guest memory is allowed only
 * from a callback running on that vCPU's thread.
 */
#ifndef PROTEUS_PLUGIN_H
#define PROTEUS_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTEUS_PLUGIN_EXPORT __attribute__((visibility("default")))

/* Version 1: this header. A change that breaks plugins bumps both. */
#define PROTEUS_PLUGIN_VERSION     1
#define PROTEUS_PLUGIN_VERSION_MIN 1

typedef uint64_t proteus_plugin_id;

typedef struct ProteusPluginInfo {
    int version;                /* PROTEUS_PLUGIN_VERSION of the emulator */
    const char *target;         /* guest architecture: "riscv64", ... */
    bool system_mode;           /* false: Linux user mode */
    unsigned vcpus;             /* vCPUs at start (user mode: 1) */
} ProteusPluginInfo;

/* What a plugin defines (declared here, so that its definitions are checked). */
PROTEUS_PLUGIN_EXPORT extern int proteus_plugin_version;
PROTEUS_PLUGIN_EXPORT int proteus_plugin_install(proteus_plugin_id id,
                                                 const struct ProteusPluginInfo *info,
                                                 int argc, char **argv);

/* Opaque handles. */
typedef struct ProteusTB ProteusTB;
typedef struct ProteusInsn ProteusInsn;
typedef struct ProteusScoreboard ProteusScoreboard;

/* A 64-bit counter in every vCPU's element of a scoreboard. */
typedef struct ProteusU64 {
    ProteusScoreboard *score;
    size_t offset;
} ProteusU64;

/* What an execution callback may do with guest registers. */
typedef enum ProteusCbFlags {
    PROTEUS_CB_NO_REGS,         /* does not read them: cheapest */
    PROTEUS_CB_R_REGS,          /* reads them (proteus_plugin_read_register) */
} ProteusCbFlags;

typedef enum ProteusMemRW {
    PROTEUS_MEM_R = 1,
    PROTEUS_MEM_W = 2,
    PROTEUS_MEM_RW = 3,
} ProteusMemRW;

typedef enum ProteusInlineOp {
    PROTEUS_INLINE_ADD_U64,     /* counter += imm */
    PROTEUS_INLINE_STORE_U64,   /* counter = imm */
} ProteusInlineOp;

typedef enum ProteusCond {
    PROTEUS_COND_EQ, PROTEUS_COND_NE,
    PROTEUS_COND_LT, PROTEUS_COND_LE, PROTEUS_COND_GT, PROTEUS_COND_GE,  /* unsigned */
} ProteusCond;

/* Discontinuities: where the guest's control flow left its program. */
typedef enum ProteusDiscon {
    PROTEUS_DISCON_INTERRUPT = 1,   /* an asynchronous interrupt was taken */
    PROTEUS_DISCON_EXCEPTION = 2,   /* a synchronous exception (trap, fault, ecall) */
    PROTEUS_DISCON_ALL = 3,
} ProteusDiscon;

/* A memory access, as passed to memory callbacks. */
typedef uint32_t ProteusMemInfo;
unsigned proteus_mem_size(ProteusMemInfo info);          /* bytes: 1, 2, 4, 8, 16 */
bool proteus_mem_is_store(ProteusMemInfo info);
bool proteus_mem_is_sign_extended(ProteusMemInfo info);
bool proteus_mem_is_big_endian(ProteusMemInfo info);
/* System mode: the physical address the access went to, and whether that
 * was a device (I/O) rather than RAM. false in user mode or if the page
 * is no longer mapped. From a memory callback only. */
bool proteus_mem_phys(ProteusMemInfo info, uint64_t vaddr, uint64_t *paddr, bool *is_io);

/* ---- callbacks ---- */

typedef void (*ProteusVcpuCb)(proteus_plugin_id id, unsigned vcpu);
typedef void (*ProteusTBTransCb)(proteus_plugin_id id, ProteusTB *tb);
typedef void (*ProteusExecCb)(unsigned vcpu, void *userdata);
typedef void (*ProteusMemCb)(unsigned vcpu, ProteusMemInfo info, uint64_t vaddr,
                             void *userdata);
typedef void (*ProteusSyscallCb)(proteus_plugin_id id, unsigned vcpu, int64_t num,
                                 const uint64_t args[6]);
typedef void (*ProteusSyscallRetCb)(proteus_plugin_id id, unsigned vcpu, int64_t num,
                                    int64_t ret);
typedef void (*ProteusDisconCb)(proteus_plugin_id id, unsigned vcpu, ProteusDiscon type,
                                uint64_t from_pc, uint64_t to_pc);
typedef void (*ProteusSimpleCb)(proteus_plugin_id id);
typedef void (*ProteusAtexitCb)(proteus_plugin_id id, void *userdata);

void proteus_plugin_register_vcpu_init_cb(proteus_plugin_id id, ProteusVcpuCb cb);
void proteus_plugin_register_vcpu_exit_cb(proteus_plugin_id id, ProteusVcpuCb cb);
/* A vCPU stops for lack of work (halted) / runs again. */
void proteus_plugin_register_vcpu_idle_cb(proteus_plugin_id id, ProteusVcpuCb cb);
void proteus_plugin_register_vcpu_resume_cb(proteus_plugin_id id, ProteusVcpuCb cb);
void proteus_plugin_register_tb_trans_cb(proteus_plugin_id id, ProteusTBTransCb cb);
/* Every translated block was dropped (their instrumentation with them). */
void proteus_plugin_register_flush_cb(proteus_plugin_id id, ProteusSimpleCb cb);
/* User mode: before and after each system call. */
void proteus_plugin_register_syscall_cb(proteus_plugin_id id, ProteusSyscallCb cb);
void proteus_plugin_register_syscall_ret_cb(proteus_plugin_id id, ProteusSyscallRetCb cb);
/* Exceptions and interrupts (types: ProteusDiscon bits). */
void proteus_plugin_register_discon_cb(proteus_plugin_id id, unsigned types,
                                       ProteusDisconCb cb);
/* When the emulator exits (also on the guest's exit in user mode). */
void proteus_plugin_register_atexit_cb(proteus_plugin_id id, ProteusAtexitCb cb,
                                       void *userdata);

/* ---- the block being translated (from a tb_trans callback) ---- */

size_t proteus_tb_n_insns(const ProteusTB *tb);
uint64_t proteus_tb_vaddr(const ProteusTB *tb);
ProteusInsn *proteus_tb_insn(ProteusTB *tb, size_t index);
uint64_t proteus_insn_vaddr(const ProteusInsn *insn);
size_t proteus_insn_size(const ProteusInsn *insn);
/* Copies up to len of the instruction's bytes into dest; returns how many. */
size_t proteus_insn_data(const ProteusInsn *insn, void *dest, size_t len);
/* The instruction as the disassembler prints it; free() it. */
char *proteus_insn_disas(const ProteusInsn *insn);

/* Execution instrumentation: before the block / the instruction runs. */
void proteus_register_tb_exec_cb(ProteusTB *tb, ProteusExecCb cb, ProteusCbFlags flags,
                                 void *userdata);
void proteus_register_tb_inline(ProteusTB *tb, ProteusInlineOp op, ProteusU64 entry,
                                uint64_t imm);
void proteus_register_insn_exec_cb(ProteusInsn *insn, ProteusExecCb cb,
                                   ProteusCbFlags flags, void *userdata);
void proteus_register_insn_inline(ProteusInsn *insn, ProteusInlineOp op, ProteusU64 entry,
                                  uint64_t imm);
/* cb runs only when (entry cond imm) holds for the running vCPU. */
void proteus_register_insn_exec_cond_cb(ProteusInsn *insn, ProteusExecCb cb,
                                        ProteusCbFlags flags, ProteusCond cond,
                                        ProteusU64 entry, uint64_t imm, void *userdata);
/* Memory instrumentation: after each access of the instruction of kind rw. */
void proteus_register_insn_mem_cb(ProteusInsn *insn, ProteusMemCb cb, ProteusCbFlags flags,
                                  ProteusMemRW rw, void *userdata);
void proteus_register_insn_mem_inline(ProteusInsn *insn, ProteusMemRW rw, ProteusInlineOp op,
                                      ProteusU64 entry, uint64_t imm);

/* ---- scoreboards: per-vCPU data ---- */

/* elem_size bytes per vCPU, zeroed; grows as vCPUs appear. */
ProteusScoreboard *proteus_scoreboard_new(size_t elem_size);
void proteus_scoreboard_free(ProteusScoreboard *score);
/* vCPU vcpu's element (valid until the next vCPU is created). */
void *proteus_scoreboard_find(ProteusScoreboard *score, unsigned vcpu);
ProteusU64 proteus_scoreboard_u64(ProteusScoreboard *score, size_t offset);
uint64_t proteus_u64_get(ProteusU64 entry, unsigned vcpu);
void proteus_u64_set(ProteusU64 entry, unsigned vcpu, uint64_t value);
uint64_t proteus_u64_sum(ProteusU64 entry);
/* vCPUs created so far (indexes 0 .. n-1). */
unsigned proteus_plugin_num_vcpus(void);

/* ---- state, from a callback on the vCPU's thread ---- */

/* A guest register by the name a debugger uses ("a0", "x10", "pc", "sp",
 * "f1", "mstatus"...): true with its value, false if there is none. */
bool proteus_read_register(const char *name, uint64_t *value);
/* Guest virtual memory; false if any byte is not mapped. */
bool proteus_read_memory(uint64_t vaddr, void *buf, size_t len);

/* ---- helpers for plugins ---- */

/* Writes text to the emulator's log (-D) or stderr. */
void proteus_plugin_output(const char *text);
/* Parses "on/off/true/false/yes/no" into *out; false if it is none of them. */
bool proteus_plugin_parse_bool(const char *value, bool *out);
/* The path of the program being run (user mode), or NULL. */
const char *proteus_plugin_program_path(void);

#endif
