/* Exercises malloc/free/calloc/realloc the way the micro programs do and harder: many blocks of mixed
 * sizes, freed in a scrambled order and reused, each filled with a pattern of its own and checked before
 * it is freed; alignment to two size_t (what the freestanding allocator promises, as dlmalloc does).
 * Prints one line that does not depend on addresses, so the freestanding builds can be compared with a
 * native libc build's output. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 4096

static uint32_t rng = 12345u;

static uint32_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static unsigned char *block[SLOTS];
static size_t size[SLOTS];

static int check(int i) {
    for (size_t k = 0; k < size[i]; k++)
        if (block[i][k] != (unsigned char)(i * 31 + k)) return 0;
    return 1;
}

static void fill(int i) {
    for (size_t k = 0; k < size[i]; k++) block[i][k] = (unsigned char)(i * 31 + k);
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? strtol(argv[1], 0, 10) : 20000;
    uint64_t sum = 0;
    int bad = 0;
    for (long r = 0; r < rounds; r++) {
        int i = (int)(next() % SLOTS);
        if (block[i]) {
            if (!check(i)) bad++;
            if (next() % 4 == 0) {  /* grow or shrink in place or by moving */
                size_t n = next() % 3 ? next() % 64 : next() % 20000;
                unsigned char *p = realloc(block[i], n ? n : 1);
                size_t keep = n < size[i] ? n : size[i];
                for (size_t k = 0; k < keep; k++)
                    if (p[k] != (unsigned char)(i * 31 + k)) bad++;
                block[i] = p, size[i] = n;
                fill(i);
            } else {
                free(block[i]);
                block[i] = 0;
            }
        } else {
            size[i] = next() % 8 ? next() % 48 : next() % 70000;
            int zeroed = next() % 5 == 0;
            block[i] = zeroed ? calloc(size[i] ? size[i] : 1, 1) : malloc(size[i] ? size[i] : 1);
            if (!block[i]) { printf("out of memory\n"); return 1; }
            if ((uintptr_t)block[i] % (2 * sizeof(size_t))) bad++;
            for (size_t k = 0; zeroed && k < size[i]; k++)  /* a reused block must come back zeroed */
                if (block[i][k]) bad++;
            fill(i);
        }
        sum += size[i];
    }
    for (int i = 0; i < SLOTS; i++)
        if (block[i]) {
            if (!check(i)) bad++;
            free(block[i]);
        }
    printf("alloc rounds=%ld sizes=%llu %s\n", rounds, (unsigned long long)sum, bad ? "CORRUPT" : "ok");
    return 0;
}
