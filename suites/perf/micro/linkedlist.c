/* Pointer chasing through a shuffled singly linked list: each step is a dependent load, so the
 * node size (which holds a pointer) decides how many nodes fit in each cache level. */
#include "common.h"

struct node { struct node *next; uint32_t value; };

int main(int argc, char **argv) {
    uint32_t rounds = arg_scale(argc, argv, 100);
    uint32_t n = 1u << 18;
    struct node *nodes = xmalloc(sizeof(struct node) * n);
    uint32_t *order = xmalloc(sizeof(uint32_t) * n);
    for (uint32_t i = 0; i < n; i++) { order[i] = i; nodes[i].value = rng_next() & 0xffff; }
    for (uint32_t i = n - 1; i > 0; i--) {           /* Fisher-Yates with our PRNG */
        uint32_t j = rng_next() % (i + 1), t = order[i]; order[i] = order[j]; order[j] = t;
    }
    for (uint32_t i = 0; i + 1 < n; i++) nodes[order[i]].next = &nodes[order[i + 1]];
    nodes[order[n - 1]].next = &nodes[order[0]];
    uint64_t sum = 0;
    struct node *p = &nodes[order[0]];
    for (uint32_t r = 0; r < rounds; r++)
        for (uint32_t i = 0; i < n; i++) { sum += p->value ^ i; p = p->next; }
    printf("linkedlist rounds=%u checksum=%llu\n", rounds, (unsigned long long)sum);
    free(order); free(nodes);
    return 0;
}
