/* The part of <stdio.h> the perf micro programs use, for the freestanding wasm builds (printf.c):
 * printf/fprintf with d i u x s c % and %e, length modifiers l ll z.  Any other conversion ends the
 * program with exit status 70 and a message on stderr, so an unsupported format can never print a
 * wrong checksum that passes for a result. */
#ifndef PERF_FREESTANDING_STDIO_H
#define PERF_FREESTANDING_STDIO_H
#include <stdarg.h>
#include <stddef.h>

typedef struct perf_file FILE;
extern FILE *const stdout;
extern FILE *const stderr;

int printf(const char *restrict fmt, ...) __attribute__((format(printf, 1, 2)));
int fprintf(FILE *restrict f, const char *restrict fmt, ...) __attribute__((format(printf, 2, 3)));
int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap);
int fputs(const char *restrict s, FILE *restrict f);
int puts(const char *s);
int putchar(int c);
int fflush(FILE *f);
#endif
