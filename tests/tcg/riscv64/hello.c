/*
 * A tiny riscv64 Linux program: prints its arguments. It has initialised
 * data and a bss large enough to span several pages, so the loader tests
 * can check both (built static, static-PIE and dynamic).
 */
#include <stdio.h>
#include <string.h>

static char greeting[] = "hello from riscv64";
static char scratch[3 * 4096 + 100];

int main(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        strncpy(scratch, argv[i], sizeof(scratch) - 1);
        printf("%s %d: %s\n", greeting, i, scratch);
    }
    return 0;
}
