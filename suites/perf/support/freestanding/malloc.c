/* The allocator of the freestanding wasm builds: the same code for wasm32-free and wasm64, so a
 * wasm32-vs-wasm64 comparison differs in pointer width only.
 *
 * Its size arithmetic follows dlmalloc's (which wasi-libc uses): a size_t header in front of each block,
 * blocks aligned to two size_t (8 bytes on wasm32, 16 on wasm64) and at least twice that big, so a
 * two-pointer tree node costs 16 bytes on wasm32 and 32 on wasm64, as it would under dlmalloc.  Freed
 * blocks go to an exact-size free list (LIFO) per size up to SMALL_MAX, larger ones to one first-fit
 * list; nothing is split or coalesced, which suits these programs (many blocks of a few sizes, a few big
 * arrays).  New blocks are cut from the top of the heap, which grows memory with memory.grow. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HEADER sizeof(size_t)
#define ALIGN (2 * sizeof(size_t))
#define MIN_BLOCK (2 * ALIGN)
#define SMALL_MAX 4096
#define PAGE 65536u

extern unsigned char __heap_base;

struct free_block { struct free_block *next; };

static struct free_block *small_free[SMALL_MAX / ALIGN + 1];
static struct free_block *large_free;
static uintptr_t top;  /* the next block's user address (its header is in the HEADER bytes before) */

static size_t *header_of(void *p) { return (size_t *)((unsigned char *)p - HEADER); }

static void *carve(size_t block) {
    if (!top) top = ((uintptr_t)&__heap_base + HEADER + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
    uintptr_t end = top - HEADER + block;
    uintptr_t have = (uintptr_t)__builtin_wasm_memory_size(0) * PAGE;
    if (end > have) {
        size_t pages = (end - have + PAGE - 1) / PAGE;
        if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return NULL;
    }
    void *p = (void *)top;
    *header_of(p) = block;
    top += block;
    return p;
}

void *malloc(size_t n) {
    if (n > SIZE_MAX / 2) return NULL;
    size_t block = (n + HEADER + ALIGN - 1) & ~(ALIGN - 1);
    if (block < MIN_BLOCK) block = MIN_BLOCK;
    if (block <= SMALL_MAX) {
        struct free_block **list = &small_free[block / ALIGN];
        if (*list) {
            struct free_block *b = *list;
            *list = b->next;
            return b;
        }
        return carve(block);
    }
    for (struct free_block **at = &large_free; *at; at = &(*at)->next) {
        if (*header_of(*at) >= block) {
            struct free_block *b = *at;
            *at = b->next;
            return b;
        }
    }
    return carve(block);
}

void free(void *p) {
    if (!p) return;
    size_t block = *header_of(p);
    struct free_block *b = p;
    if (block <= SMALL_MAX) {
        b->next = small_free[block / ALIGN];
        small_free[block / ALIGN] = b;
    } else {
        b->next = large_free;
        large_free = b;
    }
}

void *calloc(size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return NULL;
    void *p = malloc(count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *realloc(void *p, size_t n) {
    if (!p) return malloc(n);
    size_t usable = *header_of(p) - HEADER;
    if (n <= usable) return p;
    void *q = malloc(n);
    if (q) {
        memcpy(q, p, usable);
        free(p);
    }
    return q;
}
