#include <stdio.h>

int main(void) {
  printf("Hello, WASI!\n");
  return 0;
}
