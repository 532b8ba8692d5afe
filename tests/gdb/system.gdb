# gdb script of the system-mode test (run-gdb-test.py): the driver loads the
# program, connects to proteus-system-riscv64 -S -gdb and checks each EXPECT
# line, in order, against gdb's output.
set pagination off
set confirm off
set width 0

info threads
# EXPECT: ^\* 1 +Thread 1 .*hart 0
break before_ecall
continue
# EXPECT: ^Breakpoint 1, 0x0*8000000e in before_ecall \(\)$
print $a0
# EXPECT: ^\$1 = 7$
print $mtvec == &trap_vector
# EXPECT: ^\$2 = 1$
print/x $mtvec
# EXPECT: ^\$3 = 0x80000014$
print $priv
# EXPECT: ^\$4 = 3$
# gdb steps RISC-V in software (a breakpoint after the instruction), which
# cannot follow a trap: the stub's own single-step (vCont;s) must, and
# stops at the first instruction of the handler.
maintenance packet vCont;s:1
# EXPECT: ^received: "T05thread:1;"$
maintenance flush register-cache
x/i $pc
# EXPECT: ^=> 0x80000014 <trap_vector>:\s+csrr\s+t1,mcause$
print $pc == $mtvec
# EXPECT: ^\$5 = 1$
print $mcause
# EXPECT: ^\$6 = 11$
print $mepc == &before_ecall
# EXPECT: ^\$7 = 1$
info registers mcause
# EXPECT: ^mcause\s+0xb\s+11$
watch *(long *)&result
# EXPECT: ^Hardware watchpoint 2: \*\(long \*\)&result$
continue
# EXPECT: ^Old value = 0$
# EXPECT: ^New value = 11$
delete
continue
# EXPECT: exited with code 03\]$
