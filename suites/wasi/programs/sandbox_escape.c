/* Every way out of the preopened directory argv[1] must fail; argv[2] is the host path of a file
   outside it (it exists: the runner made it), used for absolute-path and absolute-symlink attempts. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"

static char p[512], q[512];

int main(int argc, char **argv) {
  const char *jail = argv[1];
  const char *host_secret = argv[2];
  struct stat st;
  snprintf(p, sizeof p, "%s/../secret.txt", jail);
  blocked("dotdot", open(p, O_RDONLY));
  blocked("dotdot stat", stat(p, &st));
  snprintf(p, sizeof p, "%s/inner/../../secret.txt", jail);
  blocked("inner dotdot", open(p, O_RDONLY));
  snprintf(p, sizeof p, "%s/inner/../../../../../../../../etc/passwd", jail);
  blocked("deep dotdot", open(p, O_RDONLY));
  blocked("absolute host path", open(host_secret, O_RDONLY));
  blocked("absolute /etc/passwd", open("/etc/passwd", O_RDONLY));
  blocked("opendir /", opendir("/") ? 0 : -1);
  snprintf(p, sizeof p, "%s/up", jail);
  symlink("../secret.txt", p);
  blocked("relative symlink out", open(p, O_RDONLY));
  blocked("relative symlink out, stat", stat(p, &st));
  snprintf(p, sizeof p, "%s/abs", jail);
  symlink(host_secret, p); /* refused or created: either way, following it must fail */
  blocked("absolute symlink", open(p, O_RDONLY));
  snprintf(p, sizeof p, "%s/updir", jail);
  symlink("..", p);
  snprintf(q, sizeof q, "%s/updir/secret.txt", jail);
  blocked("symlink to .. as a directory", open(q, O_RDONLY));
  snprintf(p, sizeof p, "%s/inner/chain", jail);
  symlink("../updir", p);
  snprintf(q, sizeof q, "%s/inner/chain/secret.txt", jail);
  blocked("chained symlinks", open(q, O_RDONLY));
  snprintf(p, sizeof p, "%s/made_outside.txt", jail);
  snprintf(q, sizeof q, "%s/../made_outside.txt", jail);
  blocked("create outside", open(q, O_CREAT | O_WRONLY, 0644));
  snprintf(q, sizeof q, "%s/../moved.txt", jail);
  snprintf(p, sizeof p, "%s/inside.txt", jail);
  blocked("rename out", rename(p, q));
  blocked("hard link out", link(p, q));
  snprintf(q, sizeof q, "%s/updir/made.txt", jail);
  blocked("create through symlink out", open(q, O_CREAT | O_WRONLY, 0644));
  /* Legitimate paths still work. */
  snprintf(p, sizeof p, "%s/inner/../inside.txt", jail);
  report("inside via inner/..", open(p, O_RDONLY));
  snprintf(p, sizeof p, "%s/inner/../inner/../inside.txt", jail);
  report("inside via two ..", stat(p, &st));
  return 0;
}
