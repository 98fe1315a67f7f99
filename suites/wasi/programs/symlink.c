/* Symlinks inside the sandbox: create, readlink, lstat vs stat, follow, dangling, loops. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"

static char a[256], b[256];
static const char *at(char *buf, const char *dir, const char *name) {
  snprintf(buf, 256, "%s/%s", dir, name);
  return buf;
}

int main(int argc, char **argv) {
  const char *d = argv[1];
  struct stat st;
  char buf[64];
  int fd = open(at(a, d, "target.txt"), O_CREAT | O_WRONLY, 0644);
  write(fd, "through the link\n", 17);
  close(fd);
  report("symlink", symlink("target.txt", at(a, d, "link")));
  ssize_t n = readlink(at(a, d, "link"), buf, sizeof buf - 1);
  buf[n < 0 ? 0 : n] = 0;
  printf("readlink: %zd [%s]\n", n, buf);
  report("lstat link", lstat(at(a, d, "link"), &st));
  printf("lstat is link: %s\n", S_ISLNK(st.st_mode) ? "yes" : "no");
  report("stat link", stat(at(a, d, "link"), &st));
  printf("stat is regular, size %lld: %s\n", (long long)st.st_size, S_ISREG(st.st_mode) ? "yes" : "no");
  fd = open(at(a, d, "link"), O_RDONLY);
  memset(buf, 0, sizeof buf);
  printf("read through link: %zd [%s]\n", fd < 0 ? -1 : read(fd, buf, 16), buf);
  close(fd);
  report("open link O_NOFOLLOW", open(at(a, d, "link"), O_RDONLY | O_NOFOLLOW));
  report("mkdir sub", mkdir(at(a, d, "sub"), 0755));
  report("dir symlink", symlink("sub", at(a, d, "sublink")));
  report("create through dir link", close(open(at(a, d, "sublink/f.txt"), O_CREAT | O_WRONLY, 0644)));
  report("stat via real dir", stat(at(a, d, "sub/f.txt"), &st));
  report("relative link up one", symlink("../target.txt", at(a, d, "sub/up")));
  report("open sub/up", close(open(at(a, d, "sub/up"), O_RDONLY)));
  report("dangling symlink", symlink("nowhere", at(a, d, "dangling")));
  report("open dangling", open(at(a, d, "dangling"), O_RDONLY));
  report("loop a->b", symlink("loop_b", at(a, d, "loop_a")));
  report("loop b->a", symlink("loop_a", at(a, d, "loop_b")));
  report("open loop", open(at(a, d, "loop_a"), O_RDONLY));
  report("symlink over existing", symlink("x", at(a, d, "target.txt")));
  report("unlink link", unlink(at(a, d, "link")));
  report("target survives", stat(at(a, d, "target.txt"), &st));
  report("hard link", link(at(a, d, "target.txt"), at(b, d, "hard.txt")));
  stat(at(a, d, "target.txt"), &st);
  printf("nlink after link: %lld\n", (long long)st.st_nlink);
  return 0;
}
