/* rename, unlink, mkdir, rmdir and their errors. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"

static char p1[256], p2[256];
static const char *at(char *buf, const char *dir, const char *name) {
  snprintf(buf, 256, "%s/%s", dir, name);
  return buf;
}

int main(int argc, char **argv) {
  const char *d = argv[1];
  struct stat st;
  close(open(at(p1, d, "old.txt"), O_CREAT | O_WRONLY, 0644));
  report("rename file", rename(at(p1, d, "old.txt"), at(p2, d, "new.txt")));
  report("stat old name", stat(at(p1, d, "old.txt"), &st));
  report("stat new name", stat(at(p1, d, "new.txt"), &st));
  report("rename missing", rename(at(p1, d, "ghost"), at(p2, d, "x")));
  report("mkdir dir1", mkdir(at(p1, d, "dir1"), 0755));
  report("mkdir dir1 again", mkdir(at(p1, d, "dir1"), 0755));
  report("rename dir", rename(at(p1, d, "dir1"), at(p2, d, "dir2")));
  report("move file into dir", rename(at(p1, d, "new.txt"), at(p2, d, "dir2/moved.txt")));
  report("rmdir non-empty", rmdir(at(p1, d, "dir2")));
  report("unlink a directory", unlink(at(p1, d, "dir2")));
  report("rmdir a file", rmdir(at(p1, d, "dir2/moved.txt")));
  report("unlink file", unlink(at(p1, d, "dir2/moved.txt")));
  report("unlink again", unlink(at(p1, d, "dir2/moved.txt")));
  report("rmdir empty", rmdir(at(p1, d, "dir2")));
  report("mkdir nested missing parent", mkdir(at(p1, d, "no/such/parent"), 0755));
  report("mkdir a", mkdir(at(p1, d, "a"), 0755));
  report("mkdir a/b", mkdir(at(p1, d, "a/b"), 0755));
  report("rmdir a/b/", rmdir(at(p1, d, "a/b/")));
  report("rmdir a", rmdir(at(p1, d, "a")));
  return 0;
}
