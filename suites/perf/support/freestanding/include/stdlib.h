/* The part of <stdlib.h> the perf micro programs use, for the freestanding wasm builds (wasm32-free,
 * wasm64): no libc exists for wasm64-wasi, so both pointer widths get this one (malloc.c, start.c). */
#ifndef PERF_FREESTANDING_STDLIB_H
#define PERF_FREESTANDING_STDLIB_H
#include <stddef.h>

void *malloc(size_t n);
void *calloc(size_t count, size_t size);
void *realloc(void *p, size_t n);
void free(void *p);
long strtol(const char *s, char **end, int base);
_Noreturn void exit(int code);
_Noreturn void abort(void);
#endif
