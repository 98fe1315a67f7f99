/* Output written after the memory has grown: a host must read fd_write's buffers from the memory as it
   is after memory.grow, not from where it was before (a stale pointer reads freed memory: a crash, lost
   output or garbage).  Twelve rounds each ask for 1 MiB (12 MiB in all, which every engine here can
   give; wasi-libc's malloc calls memory.grow for a block this large), write a byte at each end of the
   block, and print from a buffer inside the new pages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  printf("before growing\n");
  fflush(stdout);
  for (int round = 1; round <= 12; round++) {
    size_t size = (size_t)1 << 20;
    char *block = malloc(size);
    if (!block) {
      printf("round %d: malloc failed\n", round);
      return 1;
    }
    block[0] = 'a';
    block[size - 1] = 'z';
    int n = snprintf(block + size / 2, 64, "round %d: grew 1 MiB, ends %c%c\n", round, block[0], block[size - 1]);
    if (write(1, block + size / 2, (size_t)n) != n)
      return 2;
  }
  printf("after growing\n");
  return 0;
}
