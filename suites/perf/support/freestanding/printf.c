/* stdout/stderr and a printf for the freestanding wasm builds, written to print exactly what musl's
 * printf prints for the conversions the micro programs use, so their checksum lines compare byte for
 * byte with native64's.
 *
 * %e is exact: the double is expanded to all of its decimal digits with a small bignum (m * 2^e is the
 * integer m << e, or m * 5^-e scaled by 10^e) and rounded to the precision half to even, as musl and
 * glibc do in the default rounding mode.  A conversion it does not know ends the program (status 70). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasi.h"

struct perf_file {
    int fd;
    int buffered;
    size_t len;
    char buf[4096];
};

static struct perf_file out_file = {1, 1, 0, {0}}, err_file = {2, 0, 0, {0}};
FILE *const stdout = &out_file;
FILE *const stderr = &err_file;

static int write_all(int fd, const char *p, size_t n) {
    while (n) {
        struct perf_iovec iov = {perf_addr32(p), (uint32_t)n};
        uint32_t done = 0;
        if (__wasi_fd_write(fd, perf_addr32(&iov), 1, perf_addr32(&done)) || done == 0) return -1;
        p += done;
        n -= done;
    }
    return 0;
}

int fflush(FILE *f) {
    int r = f->len ? write_all(f->fd, f->buf, f->len) : 0;
    f->len = 0;
    return r;
}

static void put(FILE *f, char c) {
    if (f->len == sizeof f->buf) fflush(f);
    f->buf[f->len++] = c;
}

static void put_n(FILE *f, const char *s, size_t n) {
    while (n--) put(f, *s++);
}

static void pad(FILE *f, char c, int n) {
    while (n-- > 0) put(f, c);
}

/* -- exact decimal expansion of a double ------------------------------------------------------ */
#define LIMBS 84   /* m * 5^1074 < 2^2548 */
#define DIGITS 780 /* its decimal digits, at most 768 */

struct big {
    uint32_t d[LIMBS];
    int n;
};

static void big_mul(struct big *b, uint32_t m) {
    uint64_t carry = 0;
    for (int i = 0; i < b->n; i++) {
        uint64_t t = (uint64_t)b->d[i] * m + carry;
        b->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry) b->d[b->n++] = (uint32_t)carry;
}

static uint32_t big_divmod(struct big *b, uint32_t v) {
    uint64_t r = 0;
    for (int i = b->n - 1; i >= 0; i--) {
        uint64_t cur = (r << 32) | b->d[i];
        b->d[i] = (uint32_t)(cur / v);
        r = cur % v;
    }
    while (b->n && !b->d[b->n - 1]) b->n--;
    return (uint32_t)r;
}

/* All decimal digits of m * 2^e (m > 0) into digits[], no leading zero; returns their count and sets
 * *point so that the value is 0.DIGITS * 10^point. */
static int expand(uint64_t m, int e, char *digits, int *point) {
    struct big b = {{(uint32_t)m, (uint32_t)(m >> 32)}, m >> 32 ? 2 : 1};
    int scale = 0;  /* value = b * 10^scale */
    for (; e > 0; e -= e > 31 ? 31 : e) big_mul(&b, 1u << (e > 31 ? 31 : e));
    for (; e < 0; e += e < -13 ? 13 : -e) {  /* 2^-k = 5^k / 10^k; 5^13 < 2^32 */
        int k = e < -13 ? 13 : -e;
        uint32_t p = 1;
        for (int i = 0; i < k; i++) p *= 5;
        big_mul(&b, p);
        scale -= k;
    }
    char tmp[DIGITS];
    int n = 0;
    while (b.n) {
        uint32_t chunk = big_divmod(&b, 1000000000u);
        for (int i = 0; i < 9; i++, chunk /= 10) tmp[n++] = (char)('0' + chunk % 10);
    }
    while (n > 1 && tmp[n - 1] == '0') n--;
    for (int i = 0; i < n; i++) digits[i] = tmp[n - 1 - i];
    *point = n + scale;
    return n;
}

static void put_e(FILE *f, double x, int prec, int upper) {
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int neg = (int)(bits >> 63), bexp = (int)((bits >> 52) & 0x7ff);
    uint64_t frac = bits & ((1ull << 52) - 1);
    if (neg) put(f, '-');
    if (bexp == 0x7ff) {
        put_n(f, frac ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf"), 3);
        return;
    }
    char d[DIGITS + 64];
    int n, point, exp10 = 0;
    if (bexp == 0 && frac == 0) {
        n = 1, d[0] = '0', point = 1;
    } else {
        uint64_t m = bexp ? frac | (1ull << 52) : frac;
        int e = bexp ? bexp - 1075 : -1074;
        while (!(m & 1)) m >>= 1, e++;
        n = expand(m, e, d, &point);
    }
    int keep = prec + 1;
    for (; n < keep; n++) d[n] = '0';
    if (n > keep) {  /* round half to even on the exact digits */
        int up = d[keep] > '5';
        if (d[keep] == '5') {
            up = (d[keep - 1] - '0') & 1;
            for (int i = keep + 1; i < n; i++)
                if (d[i] != '0') up = 1;
        }
        if (up) {
            int i = keep - 1;
            while (i >= 0 && d[i] == '9') d[i--] = '0';
            if (i >= 0) {
                d[i]++;
            } else {
                d[0] = '1';
                point++;
            }
        }
    }
    if (!(bexp == 0 && frac == 0)) exp10 = point - 1;
    put(f, d[0]);
    if (prec) {
        put(f, '.');
        put_n(f, d + 1, (size_t)prec);
    }
    put(f, upper ? 'E' : 'e');
    put(f, exp10 < 0 ? '-' : '+');
    unsigned a = (unsigned)(exp10 < 0 ? -exp10 : exp10);
    char e[8];
    int k = 0;
    do e[k++] = (char)('0' + a % 10), a /= 10; while (a);
    if (k < 2) e[k++] = '0';
    while (k) put(f, e[--k]);
}

/* -- printf --------------------------------------------------------------------------------------- */
static _Noreturn void unsupported(const char *fmt) {
    out_file.len = 0;  /* what is buffered may end in half a line: the run failed, print none of it */
    fputs("freestanding printf: unsupported conversion in \"", stderr);
    fputs(fmt, stderr);
    fputs("\"\n", stderr);
    fflush(stderr);
    __wasi_proc_exit(70);
}

static void put_uint(FILE *f, uint64_t v, unsigned base, int width, char fill, int left, const char *sign) {
    char tmp[24];
    int n = 0;
    do tmp[n++] = "0123456789abcdef"[v % base], v /= base; while (v);
    int len = n + (int)strlen(sign);
    if (!left && fill == ' ') pad(f, ' ', width - len);
    put_n(f, sign, strlen(sign));
    if (!left && fill == '0') pad(f, '0', width - len);
    while (n) put(f, tmp[--n]);
    if (left) pad(f, ' ', width - len);
}

int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap) {
    const char *start = fmt;
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(f, *fmt);
            continue;
        }
        fmt++;
        int left = 0, width = 0, prec = -1, size = 0;  /* size: 1 long, 2 long long / size_t */
        char fill = ' ';
        for (; *fmt == '-' || *fmt == '0'; fmt++) {
            if (*fmt == '-') left = 1;
            else fill = '0';
        }
        while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        if (*fmt == '.') {
            prec = 0;
            for (fmt++; *fmt >= '0' && *fmt <= '9'; fmt++) prec = prec * 10 + (*fmt - '0');
        }
        if (*fmt == 'l') size = 1, fmt++;
        if (*fmt == 'l') size = 2, fmt++;
        else if (*fmt == 'z') size = sizeof(size_t) == 8 ? 2 : 0, fmt++;
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = size == 2 ? va_arg(ap, long long) : size == 1 ? va_arg(ap, long) : va_arg(ap, int);
            put_uint(f, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, 10, width, fill, left, v < 0 ? "-" : "");
            break;
        }
        case 'u':
        case 'x': {
            uint64_t v = size == 2 ? va_arg(ap, unsigned long long)
                       : size == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            put_uint(f, v, *fmt == 'x' ? 16 : 10, width, fill, left, "");
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            size_t n = strlen(s);
            if (prec >= 0 && (size_t)prec < n) n = (size_t)prec;
            if (!left) pad(f, ' ', width - (int)n);
            put_n(f, s, n);
            if (left) pad(f, ' ', width - (int)n);
            break;
        }
        case 'c':
            put(f, (char)va_arg(ap, int));
            break;
        case '%':
            put(f, '%');
            break;
        case 'e':
        case 'E':
            if (width || prec > 40) unsupported(start);
            put_e(f, va_arg(ap, double), prec < 0 ? 6 : prec, *fmt == 'E');
            break;
        default:
            unsupported(start);
        }
    }
    if (!f->buffered) fflush(f);
    return 0;
}

int fprintf(FILE *restrict f, const char *restrict fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = vfprintf(f, fmt, ap);
    va_end(ap);
    return r;
}

int printf(const char *restrict fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = vfprintf(stdout, fmt, ap);
    va_end(ap);
    return r;
}

int fputs(const char *restrict s, FILE *restrict f) {
    put_n(f, s, strlen(s));
    if (!f->buffered) fflush(f);
    return 0;
}

int puts(const char *s) {
    fputs(s, stdout);
    put(stdout, '\n');
    return 0;
}

int putchar(int c) {
    put(stdout, (char)c);
    return c;
}
