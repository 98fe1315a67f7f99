/* Shared helpers for the perf microbenchmarks: a fixed-seed PRNG and argument parsing.
 * Every benchmark prints one checksum line so that each build and engine can be checked against
 * native64; arithmetic uses fixed-width types so the result does not depend on the pointer size. */
#ifndef PERF_MICRO_COMMON_H
#define PERF_MICRO_COMMON_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t rng_state = 0x9E3779B9u;

static inline uint32_t rng_next(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* The first argument scales the work (a positive integer); missing means the default. */
static inline uint32_t arg_scale(int argc, char **argv, uint32_t dflt) {
    if (argc > 1) {
        long v = strtol(argv[1], 0, 10);
        if (v > 0) return (uint32_t)v;
    }
    return dflt;
}

static inline void *xmalloc(size_t n) {
    void *p = malloc(n);
    if (!p) { fprintf(stderr, "out of memory (%zu bytes)\n", n); exit(3); }
    return p;
}
#endif
