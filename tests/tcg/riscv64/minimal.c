/*
 * A freestanding riscv64 Linux program (no libc): writes a message and
 * exits through raw syscalls. Built as a static-PIE, which Debian's cross
 * libc cannot link (it ships no rcrt1.o), for the loader's ET_DYN tests.
 */
static const char message[] = "minimal riscv64 program\n";
static long counter = 3;
static char zeroed[5000];

static long syscall3(long nr, long a0, long a1, long a2)
{
    register long x10 __asm__("a0") = a0;
    register long x11 __asm__("a1") = a1;
    register long x12 __asm__("a2") = a2;
    register long x17 __asm__("a7") = nr;
    __asm__ volatile("ecall" : "+r"(x10) : "r"(x11), "r"(x12), "r"(x17) : "memory");
    return x10;
}

void _start(void);
void _start(void)
{
    zeroed[counter] = 1;
    syscall3(64, 1, (long)message, sizeof(message) - 1);    /* write */
    syscall3(93, zeroed[3] - 1, 0, 0);                      /* exit */
}
