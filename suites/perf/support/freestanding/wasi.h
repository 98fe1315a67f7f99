/* The four WASI preview1 imports the freestanding runtime uses, with preview1's 32-bit signatures:
 * addresses are passed as uint32_t (perf_addr32), on wasm64 as on wasm32. */
#ifndef PERF_FREESTANDING_WASI_H
#define PERF_FREESTANDING_WASI_H
#include <stdint.h>

#define PERF_WASI(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))

PERF_WASI(args_sizes_get) int32_t __wasi_args_sizes_get(uint32_t argc, uint32_t buf_size);
PERF_WASI(args_get) int32_t __wasi_args_get(uint32_t argv, uint32_t buf);
PERF_WASI(fd_write) int32_t __wasi_fd_write(int32_t fd, uint32_t iovs, uint32_t iovs_len, uint32_t written);
PERF_WASI(proc_exit) _Noreturn void __wasi_proc_exit(int32_t code);

struct perf_iovec { uint32_t buf, len; };  /* preview1's ciovec: two u32 */

uint32_t perf_addr32(const void *p);
#endif
