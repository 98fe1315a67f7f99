/* The compiler-rt routine the freestanding builds need, since they link no compiler-rt (zig's adds a
 * 64-bit function table that V8 11.3 rejects): __multi3, the 128-bit multiply LLVM emits on wasm64 for an
 * overflow check such as calloc's (count * size, 64 x 64 bits).  Any other missing routine fails the
 * link, which the build record shows. */
#include <stdint.h>

#ifdef __SIZEOF_INT128__
typedef union {
    __int128 all;
    struct { uint64_t lo, hi; } s;  /* wasm is little-endian */
} ti;

/* The high 64 bits of a * b from 32-bit halves.  optnone: optimised, LLVM recognises this as a 128-bit
 * multiply and turns it back into a call of __multi3, which would then call itself. */
__attribute__((optnone, noinline)) static uint64_t mul_hi(uint64_t a, uint64_t b) {
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

__int128 __multi3(__int128 a, __int128 b) {
    ti x = {.all = a}, y = {.all = b}, r;
    r.s.lo = x.s.lo * y.s.lo;
    r.s.hi = mul_hi(x.s.lo, y.s.lo) + x.s.lo * y.s.hi + x.s.hi * y.s.lo;
    return r.all;
}
#endif
