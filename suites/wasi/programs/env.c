/* The environment must hold exactly the variables the runner passed, nothing of the host's. */
#include <stdio.h>
#include <stdlib.h>

extern char **environ;

int main(int argc, char **argv) {
  int n = 0;
  for (char **e = environ; *e; e++) n++;
  printf("count=%d\n", n);
  for (int i = 1; i < argc; i++) {
    const char *v = getenv(argv[i]);
    printf("%s=%s\n", argv[i], v ? v : "(unset)");
  }
  return 0;
}
