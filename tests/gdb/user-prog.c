/*
 * The program tests/gdb/user.gdb debugs under proteus-user: a function
 * with arguments and a local, a global that changes twice, and exit
 * status 3. user.gdb names lines by the markers in the comments.
 */
#include <stdio.h>

int counter = 5;

int add_scaled(int a, int b)
{
    int local = a * 10 + b;

    counter += local;           /* line after local: counter 5 -> 47 */
    return local + 1;
}

int main(void)
{
    int r = add_scaled(4, 2);

    counter = r * 2;            /* the watched change: 47 -> 86 */
    printf("r=%d counter=%d\n", r, counter);
    return 3;
}
