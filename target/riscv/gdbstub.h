/*
 * The RISC-V CPU class's gdb hooks (target/riscv/gdbstub.c): registers in
 * gdb's RISC-V numbering and the target description.
 */
#ifndef TARGET_RISCV_GDBSTUB_H
#define TARGET_RISCV_GDBSTUB_H

#include "proteus/cpu.h"

/* x0-x31 and pc: what the "g" packet carries. */
#define RISCV_GDB_NUM_CORE_REGS 33

int riscv_gdb_read_register(CPUState *cs, GByteArray *buf, int reg);
int riscv_gdb_write_register(CPUState *cs, const uint8_t *mem, int reg);
const char *riscv_gdb_get_xml(CPUState *cs, const char *annex);

#endif
