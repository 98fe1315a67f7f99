/* A chained hash table keyed by short strings: inserts, lookups (half hits, half misses) and
 * deletes.  Entries hold a next pointer and a key pointer, as real-world hash tables do. */
#include <string.h>
#include "common.h"

struct entry { struct entry *next; char *key; uint32_t hash; uint32_t value; };

static uint32_t fnv1a(const char *s) {
    uint32_t h = 2166136261u;
    while (*s) { h ^= (unsigned char)*s++; h *= 16777619u; }
    return h;
}

static void make_key(char *buf, uint32_t k) {
    /* deterministic short key from a number */
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    int n = 6 + (int)(k % 7);
    for (int i = 0; i < n; i++) { buf[i] = alphabet[k % 36]; k = k / 36 + (uint32_t)i * 7919u; }
    buf[n] = 0;
}

int main(int argc, char **argv) {
    uint32_t rounds = arg_scale(argc, argv, 1);
    uint32_t nbuckets = 1u << 18, nkeys = 400000;
    struct entry **buckets = xmalloc(sizeof(struct entry *) * nbuckets);
    uint64_t sum = 0;
    char buf[32];
    for (uint32_t r = 0; r < rounds; r++) {
        memset(buckets, 0, sizeof(struct entry *) * nbuckets);
        for (uint32_t i = 0; i < nkeys; i++) {
            make_key(buf, i * 2654435761u + r);
            uint32_t h = fnv1a(buf);
            struct entry **slot = &buckets[h & (nbuckets - 1)], *e;
            for (e = *slot; e; e = e->next) if (e->hash == h && !strcmp(e->key, buf)) break;
            if (e) { e->value += i; continue; }
            e = xmalloc(sizeof *e);
            size_t len = strlen(buf) + 1;
            e->key = xmalloc(len); memcpy(e->key, buf, len);
            e->hash = h; e->value = i; e->next = *slot; *slot = e;
        }
        for (uint32_t i = 0; i < 2 * nkeys; i++) {
            make_key(buf, (i / 2) * 2654435761u + r + (i & 1) * 977u);
            uint32_t h = fnv1a(buf);
            for (struct entry *e = buckets[h & (nbuckets - 1)]; e; e = e->next)
                if (e->hash == h && !strcmp(e->key, buf)) { sum += e->value; break; }
        }
        for (uint32_t b = 0; b < nbuckets; b++) {
            struct entry *e = buckets[b];
            while (e) { struct entry *next = e->next; sum += e->hash & 0xff; free(e->key); free(e); e = next; }
        }
    }
    printf("hashtable rounds=%u checksum=%llu\n", rounds, (unsigned long long)sum);
    free(buckets);
    return 0;
}
