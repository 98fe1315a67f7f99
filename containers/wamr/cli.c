/* The harness's command line for WAMR's embedding API (wasm_export.h): runs one WASI preview1 command.
 *
 * Why our own: the registries carry WAMR's runtime sources (crates.io's wamrx-sys vendors core/ and
 * build-scripts/) but not product-mini/, the folder of WAMR's own iwasm command line.  This file is the
 * harness's, written against the public embedding API only; it takes the flags the harness's WAMR adapter
 * passes, spelled as iwasm spells them, so the same adapter drives a real iwasm found on PATH:
 *
 *   iwasm [--version] [--stack-size=BYTES] [--heap-size=BYTES] [--dir=PATH]... [--map-dir=GUEST::HOST]...
 *         [--env=NAME=VALUE]... PROGRAM.wasm [ARG...]
 *
 * Exit status: the program's (proc_exit, or 0 when _start returns); 1 with "iwasm: ..." on stderr when the
 * module does not load, link or instantiate, or traps; 2 for a bad command line.
 * The running mode is fixed when this file is compiled: CLI_TIER names the tier and CLI_FAST_JIT selects
 * WAMR's fast JIT in a build that has it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm_export.h"

#ifndef CLI_TIER
#define CLI_TIER "interp"
#endif
#ifndef CLI_SOURCE
#define CLI_SOURCE "unknown source"
#endif

#define MAX_LIST 256

static int fail(const char *what, const char *detail) {
    fprintf(stderr, "iwasm: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return 1;
}

static uint8_t *read_file(const char *path, uint32_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0
        && (buf = malloc(n ? (size_t)n : 1)) && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (uint32_t)n;
    return buf;
}

static int add(const char **list, uint32_t *count, const char *item) {
    if (*count >= MAX_LIST)
        return 0;
    list[(*count)++] = item;
    return 1;
}

int main(int argc, char **argv) {
    const char *dirs[MAX_LIST], *map_dirs[MAX_LIST], *envs[MAX_LIST];
    uint32_t n_dirs = 0, n_map = 0, n_env = 0;
    uint32_t stack_size = 1024 * 1024, heap_size = 0;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *a = argv[i];
        int ok = 1;
        if (strcmp(a, "--version") == 0) {
            uint32_t major, minor, patch;
            wasm_runtime_get_version(&major, &minor, &patch);
            printf("WAMR %u.%u.%u %s (harness CLI; %s)\n", major, minor, patch, CLI_TIER, CLI_SOURCE);
            return 0;
        }
        else if (strncmp(a, "--dir=", 6) == 0)
            ok = add(dirs, &n_dirs, a + 6);
        else if (strncmp(a, "--map-dir=", 10) == 0)
            ok = add(map_dirs, &n_map, a + 10);
        else if (strncmp(a, "--env=", 6) == 0)
            ok = strchr(a + 6, '=') && add(envs, &n_env, a + 6);
        else if (strncmp(a, "--stack-size=", 13) == 0)
            stack_size = (uint32_t)strtoul(a + 13, NULL, 10);
        else if (strncmp(a, "--heap-size=", 12) == 0)
            heap_size = (uint32_t)strtoul(a + 12, NULL, 10);
        else if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        else {
            fprintf(stderr, "iwasm: unknown option %s\n", a);
            return 2;
        }
        if (!ok) {
            fprintf(stderr, "iwasm: bad or too many values: %s\n", a);
            return 2;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "usage: iwasm [--dir=PATH] [--map-dir=GUEST::HOST] [--env=K=V] PROGRAM.wasm [ARG...]\n");
        return 2;
    }
    const char *program = argv[i];
    uint32_t size = 0;
    uint8_t *bytes = read_file(program, &size);
    if (!bytes)
        return fail(program, strerror(errno));

    RuntimeInitArgs init;
    memset(&init, 0, sizeof(init));
    init.mem_alloc_type = Alloc_With_System_Allocator;
#ifdef CLI_FAST_JIT
    init.running_mode = Mode_Fast_JIT;
    init.fast_jit_code_cache_size = 64 * 1024 * 1024;
#else
    init.running_mode = Mode_Interp;
#endif
    if (!wasm_runtime_full_init(&init))
        return fail("runtime initialisation failed", NULL);

    char error[256] = "";
    wasm_module_t module = wasm_runtime_load(bytes, size, error, sizeof(error));
    if (!module)
        return fail("load failed", error);
    /* the program's argv: its own name first, then its arguments */
    wasm_runtime_set_wasi_args(module, dirs, n_dirs, map_dirs, n_map, envs, n_env, argv + i, argc - i);
    wasm_module_inst_t inst = wasm_runtime_instantiate(module, stack_size, heap_size, error, sizeof(error));
    if (!inst)
        return fail("instantiation failed", error);

    int status;
    if (wasm_application_execute_main(inst, 0, NULL))
        status = (int)wasm_runtime_get_wasi_exit_code(inst);
    else
        status = fail("trap", wasm_runtime_get_exception(inst));
    fflush(stdout);
    /* no teardown: the process ends here, and tearing down after a trap is what WAMR tests least */
    return status;
}
