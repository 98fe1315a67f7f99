/* Helpers shared by our WASI test programs: errno names (the same wasi-libc everywhere, so the
   names are comparable across engines) and a result line printer. */
#ifndef HARNESS_WASI_COMMON_H
#define HARNESS_WASI_COMMON_H
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *errname(int e) {
  switch (e) {
  case 0: return "OK";
  case EACCES: return "EACCES";
  case EBADF: return "EBADF";
  case EEXIST: return "EEXIST";
  case EINVAL: return "EINVAL";
  case EISDIR: return "EISDIR";
  case ELOOP: return "ELOOP";
  case ENOENT: return "ENOENT";
  case ENOTDIR: return "ENOTDIR";
  case ENOTEMPTY: return "ENOTEMPTY";
  case ENOTCAPABLE: return "ENOTCAPABLE";
  case EPERM: return "EPERM";
  case ESPIPE: return "ESPIPE";
  case EXDEV: return "EXDEV";
  default: return "E?";
  }
}

/* Print "label: OK" when rc >= 0, else "label: <ERRNO>". */
static void report(const char *label, int rc) {
  printf("%s: %s\n", label, rc >= 0 ? "OK" : errname(errno));
}

/* Print "label: blocked" when an escape attempt failed, "label: ESCAPED" when it worked. */
static void blocked(const char *label, int rc) {
  printf("%s: %s\n", label, rc < 0 ? "blocked" : "ESCAPED");
}
#endif
