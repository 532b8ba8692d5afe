/*
 * The runtime that generated code (JIT or interpreter) relies on: the
 * user-mode guest base, the per-thread exec frame that helpers leave
 * through when they raise, the alignment-fault and TB-lookup helpers, and
 * the list of backends built for this host.
 *
 * Helper ABI (the interpreter and the JIT both call helpers this way):
 * every argument and the result are 64-bit integer registers; an i32
 * argument is passed zero-extended, and an i32 result is taken from the
 * low 32 bits only. So a helper's C parameters and result must be 32- or
 * 64-bit integers or pointers, never bool, char or short (the x86-64 ABI
 * lets the callee assume those are already extended).
 */
#include <string.h>

#include "accel/tcg/backend.h"

const IRBackend *const ir_backends[] = {
    &ir_backend_interp,
    &ir_backend_x86_64,
    NULL,
};

uintptr_t ir_guest_base;
IRMemModel ir_mem_model = IR_MEM_USER;

/* One frame per thread: exec is not reentrant on a thread. */
static __thread IRExecFrame *exec_frame;

IRExecFrame *ir_exec_frame(void)
{
    return exec_frame;
}

void ir_exec_frame_set(IRExecFrame *frame)
{
    exec_frame = frame;
}

void ir_raise(uintptr_t retaddr)
{
    IRExecFrame *frame = exec_frame;

    g_assert(frame != NULL);
    frame->retaddr = retaddr;
    siglongjmp(frame->jmp, 1);
}

/* ---- alignment faults ---- */

void (*ir_unaligned_hook)(void *env, uint64_t addr, MemOp mop);

/* noinline: the return address must be the generated code's call site. */
__attribute__((noinline))
void ir_helper_unaligned(void *env, uint64_t addr, uint32_t mop)
{
    uintptr_t retaddr = (uintptr_t)__builtin_return_address(0);

    if (ir_unaligned_hook) {
        ir_unaligned_hook(env, addr, (MemOp)mop);
    }
    ir_raise(retaddr);
}

const IRHelperInfo ir_unaligned_helper = {
    .func = (void *)ir_helper_unaligned,
    .name = "unaligned",
    .flags = IR_CALL_MAY_RAISE,
    .has_ret = false,
    .nargs = 3,
    .arg_types = { IR_TYPE_I64, IR_TYPE_I64, IR_TYPE_I32 },
};

/* ---- goto_ptr lookups ---- */

const void *(*ir_lookup_tb_code)(void *env);

/* Returns the next TB's host code as an integer, 0 when there is none
 * (or no lookup is installed): goto_ptr then leaves exec with 0. */
static uint64_t lookup_helper(void *env)
{
    const void *(*lookup)(void *env) = ir_lookup_tb_code;

    return lookup ? (uint64_t)(uintptr_t)lookup(env) : 0;
}

/* It reads the guest pc from env, so globals are written back first; it
 * writes none. */
const IRHelperInfo ir_lookup_helper = {
    .func = (void *)lookup_helper,
    .name = "lookup_tb",
    .flags = IR_CALL_NO_WRITE_GLOBALS,
    .has_ret = true,
    .ret_type = IR_TYPE_I64,
    .nargs = 1,
    .arg_types = { IR_TYPE_I64 },
};

/* ---- atomics on host memory, shared by both backends' slow paths ---- */

/* The host has no misaligned atomics: such accesses are serialised here. */
static GMutex misaligned_atomic_lock;

bool ir_host_cas(void *p, unsigned size, uint64_t *expected, uint64_t desired)
{
    uint64_t cur = 0;
    bool ok;

    if (((uintptr_t)p & (size - 1)) == 0) {
        switch (size) {
        case 1: {
            uint8_t e = *expected;
            ok = __atomic_compare_exchange_n((uint8_t *)p, &e, (uint8_t)desired, false,
                                             __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
            *expected = e;
            return ok;
        }
        case 2: {
            uint16_t e = *expected;
            ok = __atomic_compare_exchange_n((uint16_t *)p, &e, (uint16_t)desired, false,
                                             __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
            *expected = e;
            return ok;
        }
        case 4: {
            uint32_t e = *expected;
            ok = __atomic_compare_exchange_n((uint32_t *)p, &e, (uint32_t)desired, false,
                                             __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
            *expected = e;
            return ok;
        }
        default:
            return __atomic_compare_exchange_n((uint64_t *)p, expected, desired, false,
                                               __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        }
    }
    g_mutex_lock(&misaligned_atomic_lock);
    memcpy(&cur, p, size);          /* the host is little-endian: low bytes first */
    ok = cur == *expected;
    if (ok) {
        memcpy(p, &desired, size);
    }
    *expected = cur;
    g_mutex_unlock(&misaligned_atomic_lock);
    return ok;
}

uint64_t ir_atomic_apply(IRAtomicOp aop, uint64_t old, uint64_t v, unsigned size)
{
    unsigned sh = 64 - 8 * size;
    uint64_t mask = size == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * size)) - 1;
    int64_t so = (int64_t)(old << sh) >> sh, sv = (int64_t)(v << sh) >> sh;

    v &= mask;
    switch (aop) {
    case IR_ATOMIC_XCHG: return v;
    case IR_ATOMIC_ADD: return old + v;
    case IR_ATOMIC_AND: return old & v;
    case IR_ATOMIC_OR: return old | v;
    case IR_ATOMIC_XOR: return old ^ v;
    case IR_ATOMIC_SMIN: return so <= sv ? old : v;
    case IR_ATOMIC_SMAX: return so >= sv ? old : v;
    case IR_ATOMIC_UMIN: return old <= v ? old : v;
    case IR_ATOMIC_UMAX: return old >= v ? old : v;
    }
    g_assert_not_reached();
}
