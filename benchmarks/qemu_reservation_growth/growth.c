/* What one wasm memory costs qemu-user: map an 8 GiB + 64 KiB PROT_NONE reservation (as
 * harness/engine/runtime/memory.py does for every memory), make its first page accessible, touch it, and
 * unmap the reservation made 8 rounds earlier, N times.  Prints the emulator's resident size every 50
 * rounds (/proc/self/statm under qemu-user is the emulator's own).  Usage: growth N */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static long resident_kib(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    return resident * 4;
}

int main(int argc, char **argv) {
    const size_t size = (8UL << 30) + 65536;
    int rounds = argc > 1 ? atoi(argv[1]) : 300;
    char *live[8] = {0};
    for (int i = 0; i < rounds; i++) {
        char *p = mmap(0, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) { perror("mmap"); return 1; }
        if (mprotect(p, 65536, PROT_READ | PROT_WRITE) != 0) { perror("mprotect"); return 1; }
        p[0] = 1;
        if (live[i % 8]) munmap(live[i % 8], size);
        live[i % 8] = p;
        if (i % 50 == 0 || i == rounds - 1) printf("round %d: resident %ld KiB\n", i, resident_kib());
    }
    return 0;
}
