/* The classic binary-trees allocation benchmark: many short-lived trees of two-pointer nodes built
 * with malloc, walked and freed.  Node size is two pointers, so 32-bit pointers halve it. */
#include "common.h"

struct tree { struct tree *left, *right; };

static struct tree *build(uint32_t depth) {
    struct tree *t = xmalloc(sizeof *t);
    if (depth) { t->left = build(depth - 1); t->right = build(depth - 1); }
    else t->left = t->right = 0;
    return t;
}

static uint32_t check(const struct tree *t) {
    return 1 + (t->left ? check(t->left) + check(t->right) : 0);
}

static void release(struct tree *t) {
    if (t->left) { release(t->left); release(t->right); }
    free(t);
}

int main(int argc, char **argv) {
    uint32_t max_depth = arg_scale(argc, argv, 16);
    uint64_t total = 0;
    struct tree *long_lived = build(max_depth);
    for (uint32_t d = 4; d <= max_depth; d += 2) {
        uint32_t iterations = 1u << (max_depth - d + 4);
        for (uint32_t i = 0; i < iterations; i++) {
            struct tree *t = build(d);
            total += check(t);
            release(t);
        }
    }
    total += check(long_lived);
    release(long_lived);
    printf("bintrees depth=%u checksum=%llu\n", max_depth, (unsigned long long)total);
    return 0;
}
