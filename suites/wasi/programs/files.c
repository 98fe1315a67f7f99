/* File create/write/read/seek/tell/truncate/append/pread/pwrite/stat in the preopened dir argv[1]. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"

int main(int argc, char **argv) {
  char path[256], buf[64];
  snprintf(path, sizeof path, "%s/data.txt", argv[1]);
  int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
  report("create", fd);
  printf("write: %zd\n", write(fd, "hello world\n", 12));
  printf("tell after write: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
  printf("seek set 6: %lld\n", (long long)lseek(fd, 6, SEEK_SET));
  memset(buf, 0, sizeof buf);
  printf("read: %zd [%s]\n", read(fd, buf, 5), buf);
  printf("seek end -6: %lld\n", (long long)lseek(fd, -6, SEEK_END));
  printf("seek negative: %lld ", (long long)lseek(fd, -100, SEEK_SET));
  printf("%s\n", errname(errno));
  memset(buf, 0, sizeof buf);
  printf("pread 0..5: %zd [%s]\n", pread(fd, buf, 5, 0), buf);
  printf("pwrite at 0: %zd\n", pwrite(fd, "HELLO", 5, 0));
  printf("tell unchanged by pwrite: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
  struct stat st;
  fstat(fd, &st);
  printf("size: %lld regular: %s\n", (long long)st.st_size, S_ISREG(st.st_mode) ? "yes" : "no");
  report("ftruncate 5", ftruncate(fd, 5));
  fstat(fd, &st);
  printf("size after truncate: %lld\n", (long long)st.st_size);
  report("ftruncate 4096 (extend)", ftruncate(fd, 4096));
  fstat(fd, &st);
  printf("size after extend: %lld\n", (long long)st.st_size);
  report("ftruncate 5", ftruncate(fd, 5));
  close(fd);

  fd = open(path, O_WRONLY | O_APPEND);
  report("open append", fd);
  lseek(fd, 0, SEEK_SET);
  printf("append write: %zd\n", write(fd, "!!", 2));
  close(fd);

  fd = open(path, O_RDONLY);
  memset(buf, 0, sizeof buf);
  printf("contents: %zd [%s]\n", read(fd, buf, sizeof buf - 1), buf);
  printf("write to read-only fd: %zd %s\n", write(fd, "x", 1), errname(errno));
  close(fd);

  printf("read closed fd: %zd %s\n", read(fd, buf, 1), errname(errno));
  report("open missing", open("nope/x", O_RDONLY));
  snprintf(path, sizeof path, "%s/missing.txt", argv[1]);
  report("open missing file", open(path, O_RDONLY));
  snprintf(path, sizeof path, "%s/data.txt", argv[1]);
  report("open O_EXCL existing", open(path, O_CREAT | O_EXCL | O_WRONLY, 0644));
  report("unlink", unlink(path));
  report("stat after unlink", stat(path, &st));
  return 0;
}
