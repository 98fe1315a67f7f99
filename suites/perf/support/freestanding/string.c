/* memcpy and friends for the freestanding wasm builds.  memcpy/memmove/memset are the bulk-memory
 * instructions (memory.copy and memory.fill, which zig's default wasm CPU enables as bulk-memory-opt), as in wasi-libc's own
 * builds; without bulk memory the builtins below would call these very functions, hence the #error. */
#include <stddef.h>
#include <string.h>

#if !defined(__wasm_bulk_memory__) && !defined(__wasm_bulk_memory_opt__)
#error "the freestanding runtime needs the bulk-memory feature (memory.copy, memory.fill)"
#endif

void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
    __builtin_memcpy(dst, src, n);
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    __builtin_memmove(dst, src, n);  /* memory.copy handles overlap */
    return dst;
}

void *memset(void *dst, int c, size_t n) {
    __builtin_memset(dst, c, n);
    return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i]) return x[i] - y[i];
    return 0;
}

size_t strlen(const char *s) {
    const char *p = s;
    while (*p) p++;
    return (size_t)(p - s);
}

int strcmp(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}
