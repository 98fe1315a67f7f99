/* random_get: two 64-byte draws are not all zero and differ from each other. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  unsigned char a[64], b[64], zero[64] = {0};
  int ra = getentropy(a, sizeof a), rb = getentropy(b, sizeof b);
  printf("getentropy: %s\n", ra == 0 && rb == 0 ? "OK" : "failed");
  printf("nonzero: %s\n", memcmp(a, zero, 64) && memcmp(b, zero, 64) ? "yes" : "no");
  printf("distinct: %s\n", memcmp(a, b, 64) ? "yes" : "no");
  return 0;
}
