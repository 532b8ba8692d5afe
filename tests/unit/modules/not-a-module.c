/* A shared object that is not a proteus module: it has no module record. */
int not_a_module_marker(void);

int not_a_module_marker(void)
{
    return 42;
}
