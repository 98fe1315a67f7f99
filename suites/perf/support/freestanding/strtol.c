/* strtol for the freestanding wasm builds (the micro programs read their scale with it). */
#include <limits.h>
#include <stdlib.h>

long strtol(const char *s, char **end, int base) {
    const char *p = s;
    while (*p == ' ' || (*p >= '\t' && *p <= '\r')) p++;
    int neg = *p == '-';
    if (*p == '-' || *p == '+') p++;
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) p += 2, base = 16;
    else if (base == 0) base = *p == '0' ? 8 : 10;
    unsigned long v = 0, limit = neg ? (unsigned long)LONG_MAX + 1 : (unsigned long)LONG_MAX;
    int any = 0, over = 0;
    for (;; p++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0'
              : *p >= 'a' && *p <= 'z' ? *p - 'a' + 10
              : *p >= 'A' && *p <= 'Z' ? *p - 'A' + 10 : 99;
        if (d >= base) break;
        any = 1;
        if (v > (limit - (unsigned long)d) / (unsigned long)base) over = 1;
        else v = v * (unsigned long)base + (unsigned long)d;
    }
    if (end) *end = (char *)(any ? p : s);
    if (over) return neg ? LONG_MIN : LONG_MAX;
    return neg ? (long)(0 - v) : (long)v;
}
