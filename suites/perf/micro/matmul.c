/* Dense double-precision matrix multiply (i-k-j order): floating point and streaming loads with no
 * pointers in the data, the control case of the pointer study. */
#include "common.h"

int main(int argc, char **argv) {
    uint32_t n = arg_scale(argc, argv, 600);
    double *a = xmalloc(sizeof(double) * n * n), *b = xmalloc(sizeof(double) * n * n);
    double *c = xmalloc(sizeof(double) * n * n);
    for (uint32_t i = 0; i < n * n; i++) {
        a[i] = (double)(rng_next() % 1000) / 500.0 - 1.0;
        b[i] = (double)(rng_next() % 1000) / 500.0 - 1.0;
        c[i] = 0.0;
    }
    for (int rep = 0; rep < 3; rep++)
        for (uint32_t i = 0; i < n; i++)
            for (uint32_t k = 0; k < n; k++) {
                double aik = a[i * n + k];
                for (uint32_t j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
            }
    double trace = 0.0, total = 0.0;
    for (uint32_t i = 0; i < n; i++) trace += c[i * n + i];
    for (uint32_t i = 0; i < n * n; i++) total += c[i];
    printf("matmul n=%u checksum=%.6e %.6e\n", n, trace, total);
    free(a); free(b); free(c);
    return 0;
}
