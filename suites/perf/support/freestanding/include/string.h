/* The part of <string.h> the perf micro programs use, for the freestanding wasm builds (string.c). */
#ifndef PERF_FREESTANDING_STRING_H
#define PERF_FREESTANDING_STRING_H
#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
#endif
