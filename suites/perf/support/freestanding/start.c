/* Entry point, arguments and exit of the freestanding wasm builds (wasm32-free, wasm64).
 *
 * The host interface is WASI preview1's own imports (args_sizes_get, args_get, fd_write, proc_exit) with
 * their 32-bit signatures, so every engine runs these programs with the WASI host and the command line it
 * uses for the libc builds.  Hosts read and write the exported memory as bytes at the addresses given, which
 * works for a 64-bit memory too as long as those addresses are below 4 GiB: perf_addr32 checks that and
 * ends the program (exit status 71) rather than pass a truncated address.
 *
 * Programs define main(int, char **): for main(void) clang adds a wrapper that imports the function table,
 * which on wasm64 is a 64-bit table, and V8 11.3 (node 20) has memory64 without 64-bit tables. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "wasi.h"

int main(int argc, char **argv);

uint32_t perf_addr32(const void *p) {
    uintptr_t a = (uintptr_t)p;
    if (a > UINT32_MAX) {
        static const char msg[] = "freestanding runtime: a buffer handed to WASI lies above 4 GiB\n";
        static struct perf_iovec iov;
        static uint32_t written;
        iov.buf = (uint32_t)(uintptr_t)msg;
        iov.len = sizeof msg - 1;
        __wasi_fd_write(2, (uint32_t)(uintptr_t)&iov, 1, (uint32_t)(uintptr_t)&written);
        __wasi_proc_exit(71);
    }
    return (uint32_t)a;
}

_Noreturn void exit(int code) {
    fflush(stdout);
    fflush(stderr);
    __wasi_proc_exit(code);
}

_Noreturn void abort(void) {
    fputs("abort\n", stderr);
    exit(134);
}

void _start(void) {
    uint32_t argc = 0, size = 0;
    if (__wasi_args_sizes_get(perf_addr32(&argc), perf_addr32(&size))) {
        fputs("freestanding runtime: args_sizes_get failed\n", stderr);
        exit(71);
    }
    /* WASI writes 32-bit addresses; argv holds the program's own pointers (64-bit on wasm64) */
    uint32_t *raw = malloc(sizeof(uint32_t) * (argc + 1));
    char *buf = malloc(size ? size : 1);
    char **argv = malloc(sizeof(char *) * (argc + 1));
    if (!raw || !buf || !argv || __wasi_args_get(perf_addr32(raw), perf_addr32(buf))) {
        fputs("freestanding runtime: cannot read the arguments\n", stderr);
        exit(71);
    }
    for (uint32_t i = 0; i < argc; i++) argv[i] = (char *)(uintptr_t)raw[i];
    argv[argc] = 0;
    free(raw);
    exit(main((int)argc, argv));
}
