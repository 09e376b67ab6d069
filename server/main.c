#include <stdio.h>
int main(void) { puts("dcsfu"); return 0; }
