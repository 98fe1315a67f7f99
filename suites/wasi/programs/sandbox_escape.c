/* Every way out of the preopened directory argv[1] must fail; argv[2] is the host path of a file
   outside it (it exists: the runner made it), used for absolute-path and absolute-symlink attempts.
   The runner also compares the host around the jail before and after, so a write that got out fails
   the test even where the program was told it was blocked. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"

static char p[512], q[512];
static char long_path[32768];

/* preview1 path_open itself: a path is (pointer, length), so it can hold a NUL that no C string can. */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open")))
int32_t raw_path_open(int32_t fd, int32_t dirflags, const char *path, int32_t path_len, int32_t oflags,
                      int64_t rights_base, int64_t rights_inheriting, int32_t fdflags, int32_t *opened);

/* 0 when the host opened ``len`` bytes of ``path`` relative to ``dirfd``, -1 when it refused. */
static int open_bytes(int dirfd, const char *path, int len) {
  int32_t opened;
  return raw_path_open(dirfd, 1, path, len, 0, 2 /* fd_read */, 0, 0, &opened) == 0 ? 0 : -1;
}

/* ``prefix`` then ``unit`` ``times`` times then ``suffix``, in long_path. */
static const char *repeat(const char *prefix, const char *unit, int times, const char *suffix) {
  size_t n = strlen(unit);
  char *end = long_path + snprintf(long_path, sizeof long_path, "%s", prefix);
  for (int i = 0; i < times && end + n + strlen(suffix) < long_path + sizeof long_path - 1; i++) {
    memcpy(end, unit, n);
    end += n;
  }
  strcpy(end, suffix);
  return long_path;
}

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
  /* A rename or link into a symlink that points out. */
  snprintf(p, sizeof p, "%s/inside.txt", jail);
  snprintf(q, sizeof q, "%s/updir/moved.txt", jail);
  blocked("rename into symlink out", rename(p, q));
  blocked("hard link into symlink out", link(p, q));
  /* Longer chains the guest makes, ending in "..", in an absolute path, or in a loop. */
  snprintf(p, sizeof p, "%s/c1", jail);
  symlink("c2", p);
  snprintf(p, sizeof p, "%s/c2", jail);
  symlink("inner/c3", p);
  snprintf(p, sizeof p, "%s/inner/c3", jail);
  symlink("../..", p);
  snprintf(q, sizeof q, "%s/c1/secret.txt", jail);
  blocked("three-link chain out", open(q, O_RDONLY));
  snprintf(p, sizeof p, "%s/a1", jail);
  symlink("a2", p);
  snprintf(p, sizeof p, "%s/a2", jail);
  symlink(host_secret, p);
  snprintf(q, sizeof q, "%s/a1", jail);
  blocked("chain to an absolute path", open(q, O_RDONLY));
  snprintf(p, sizeof p, "%s/loop", jail);
  symlink("loop/../../secret.txt", p);
  blocked("self-referencing symlink", open(p, O_RDONLY));
  /* A directory fd, then "..". */
  snprintf(p, sizeof p, "%s/inner", jail);
  int inner = open(p, O_RDONLY | O_DIRECTORY);
  report("open inner as a directory", inner);
  blocked("dir fd then ../..", openat(inner, "../../secret.txt", O_RDONLY));
  int up = openat(inner, "..", O_RDONLY | O_DIRECTORY); /* the jail itself, or refused: both fine */
  blocked("dir fd .. then ..", up < 0 ? -1 : openat(up, "../secret.txt", O_RDONLY));
  blocked("dir fd .. then .. as a directory", up < 0 ? -1 : openat(up, "..", O_RDONLY | O_DIRECTORY));
  /* Trailing slashes and empty components. */
  snprintf(p, sizeof p, "%s/../", jail);
  blocked("trailing slash on ..", open(p, O_RDONLY | O_DIRECTORY));
  snprintf(p, sizeof p, "%s/updir/", jail);
  blocked("trailing slash on symlink out", open(p, O_RDONLY | O_DIRECTORY));
  snprintf(p, sizeof p, "%s//..//secret.txt", jail);
  blocked("doubled slashes", open(p, O_RDONLY));
  snprintf(p, sizeof p, "%s/up/", jail);
  blocked("trailing slash on file symlink out", stat(p, &st));
  snprintf(p, sizeof p, "%s/../secret.txt/.", jail);
  blocked("dot after the file outside", open(p, O_RDONLY));
  /* Embedded NUL: a host that stops at it would see ".." or a path it did not check. */
  int root = open(jail, O_RDONLY | O_DIRECTORY);
  blocked("NUL after ..", open_bytes(root, "..\0/jail/inside.txt", 19));
  blocked("NUL then .. components", open_bytes(root, "x\0/../../secret.txt", 19));
  blocked("NUL in a component", open_bytes(inner, "../..\0/secret.txt", 17));
  /* 5,000 components: cancelling out and then one more "..", or only "." on the way out. */
  blocked("5,000 components then ..", open(repeat(jail, "/inner/..", 2500, "/../secret.txt"), O_RDONLY));
  blocked("5,000 dots then ..", open(repeat(jail, "/.", 5000, "/../secret.txt"), O_RDONLY));
  blocked("5,000 dotdots", open(repeat(jail, "/..", 5000, "/secret.txt"), O_RDONLY));
  /* Legitimate paths still work. */
  snprintf(p, sizeof p, "%s/inner/../inside.txt", jail);
  report("inside via inner/..", open(p, O_RDONLY));
  snprintf(p, sizeof p, "%s/inner/../inner/../inside.txt", jail);
  report("inside via two ..", stat(p, &st));
  report("inside by raw path_open", open_bytes(root, "inside.txt", 10)); /* the NUL attempts' call works */
  return 0;
}
