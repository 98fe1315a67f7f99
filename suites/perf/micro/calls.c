/* Call-heavy recursion: naive Fibonacci plus Ackermann, measuring call/return overhead and the
 * engines' stack handling rather than memory. */
#include "common.h"

static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static uint32_t ack(uint32_t m, uint32_t n) {
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

int main(int argc, char **argv) {
    uint32_t n = arg_scale(argc, argv, 39);
    volatile uint32_t depth = n;   /* keep the compiler from folding the calls */
    uint64_t sum = fib(depth);
    sum = sum * 31 + ack(2, depth * 40);
    sum = sum * 31 + ack(3, 7);
    printf("calls n=%u checksum=%llu\n", n, (unsigned long long)sum);
    return 0;
}
