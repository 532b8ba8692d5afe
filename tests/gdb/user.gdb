# gdb script of the user-mode test (run-gdb-test.py): the driver loads the
# program, connects to proteus-user -g PORT and checks each EXPECT line, in
# order, against gdb's output.
set pagination off
set confirm off
set width 0

break add_scaled
continue
# EXPECT: ^Breakpoint 1, add_scaled \(a=4, b=2\) at .*user-prog\.c:\d+
print a + b
# EXPECT: ^\$1 = 6$
next
# EXPECT: ^\d+\s+counter \+= local;
print local
# EXPECT: ^\$2 = 42$
print counter
# EXPECT: ^\$3 = 5$
step
# EXPECT: ^\d+\s+return local \+ 1;
print counter
# EXPECT: ^\$4 = 47$
finish
# EXPECT: ^0x[0-9a-f]+ in main \(\) at .*user-prog\.c:\d+$
# EXPECT: ^Value returned is \$5 = 43$
next
# EXPECT: ^\d+\s+counter = r \* 2;
watch counter
# EXPECT: ^Hardware watchpoint 2: counter$
continue
# EXPECT: ^Old value = 47$
# EXPECT: ^New value = 86$
info registers pc
# EXPECT: ^pc\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <main\+\d+>$
delete
rwatch counter
# EXPECT: ^Hardware read watchpoint 3: counter$
continue
# EXPECT: ^Value = 86$
delete
continue
# EXPECT: exited with code 03\]$
