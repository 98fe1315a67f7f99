/* Memory bandwidth: sequential read-sum, write and copy passes over buffers larger than the last
 * level cache. */
#include <string.h>
#include "common.h"

int main(int argc, char **argv) {
    uint32_t passes = arg_scale(argc, argv, 20);
    uint32_t n = 8u << 20;                      /* 8 Mi uint64 = 64 MiB per buffer */
    uint64_t *a = xmalloc(sizeof(uint64_t) * n), *b = xmalloc(sizeof(uint64_t) * n);
    for (uint32_t i = 0; i < n; i++) a[i] = (uint64_t)i * 0x9E3779B97F4A7C15ull;
    uint64_t sum = 0;
    for (uint32_t p = 0; p < passes; p++) {
        for (uint32_t i = 0; i < n; i++) sum += a[i];              /* read */
        for (uint32_t i = 0; i < n; i++) b[i] = a[i] ^ p;          /* read + write */
        memcpy(a, b, sizeof(uint64_t) * n);                         /* copy */
    }
    sum += a[n / 3] + b[n / 7];
    printf("membw passes=%u checksum=%llu\n", passes, (unsigned long long)sum);
    free(a); free(b);
    return 0;
}
