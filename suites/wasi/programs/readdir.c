/* mkdir + files, then list the directory: names sorted, with their types. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
  char path[256];
  snprintf(path, sizeof path, "%s/list", argv[1]);
  report("mkdir list", mkdir(path, 0755));
  const char *files[] = {"b.txt", "a.txt", "c.bin"};
  for (int i = 0; i < 3; i++) {
    char p[300];
    snprintf(p, sizeof p, "%s/%s", path, files[i]);
    close(open(p, O_CREAT | O_WRONLY, 0644));
  }
  char sub[300];
  snprintf(sub, sizeof sub, "%s/subdir", path);
  report("mkdir subdir", mkdir(sub, 0755));
  DIR *d = opendir(path);
  printf("opendir: %s\n", d ? "OK" : errname(errno));
  char *names[32];
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) && n < 32) {
    char line[300];
    const char *t = e->d_type == DT_DIR ? "dir" : e->d_type == DT_REG ? "file" : "other";
    snprintf(line, sizeof line, "%s %s", e->d_name, t);
    names[n++] = strdup(line);
  }
  if (d) closedir(d);
  qsort(names, n, sizeof *names, cmp);
  printf("entries=%d\n", n);
  for (int i = 0; i < n; i++) printf("  %s\n", names[i]);
  /* The preopened directory itself lists what the fixture put there. */
  d = opendir(argv[1]);
  int fixture = 0;
  while (d && (e = readdir(d))) fixture += strcmp(e->d_name, "given.txt") == 0;
  if (d) closedir(d);
  printf("fixture file listed: %s\n", fixture ? "yes" : "no");
  printf("opendir on a file: %s\n", opendir("nope") ? "OK" : errname(errno));
  return 0;
}
