# gdb script of the user-mode threads and signals test (run-gdb-test.py):
# each EXPECT line must match gdb's output, in order.
set pagination off
set confirm off
set width 0

break worker
continue
# EXPECT: ^\[Switching to Thread \d+\]$
# EXPECT: ^Thread 2 hit Breakpoint 1, worker \(arg=0x0\) at .*user-threads\.c:\d+$
info threads
# EXPECT: ^  1\s+Thread \d+ \(CPU#0\) \S+
# EXPECT: ^\* 2\s+Thread \d+ .* worker \(arg=0x0\) at
print shared
# EXPECT: ^\$1 = 0$
delete
continue
# EXPECT: ^Thread 1 received signal SIGUSR1, User defined signal 1\.$
# dropped: the program goes on to its fault instead of dying of SIGUSR1
signal 0
# EXPECT: ^Thread 1 received signal SIGSEGV, Segmentation fault\.$
print shared
# EXPECT: ^\$2 = 1$
continue
# EXPECT: ^Program terminated with signal SIGSEGV, Segmentation fault\.$
