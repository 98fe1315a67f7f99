/* Copies stdin to stdout in small reads and reports the byte and line counts. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  char buf[7];
  long bytes = 0, lines = 0;
  ssize_t n;
  while ((n = read(0, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; i++) lines += buf[i] == '\n';
    bytes += n;
    fwrite(buf, 1, (size_t)n, stdout);
  }
  printf("bytes=%ld lines=%ld eof=%s\n", bytes, lines, n == 0 ? "yes" : "error");
  return 0;
}
