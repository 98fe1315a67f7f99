/* Writes to both streams; the runner checks each separately. */
#include <stdio.h>

int main(void) {
  fprintf(stdout, "out line\n");
  fprintf(stderr, "err line\n");
  return 3;
}
