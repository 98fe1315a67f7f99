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

#define CLI_NAME "iwasm"
#include "cli_args.h" /* containers/common: the flags, failures and file reading both C CLIs share */

#ifndef CLI_TIER
#define CLI_TIER "interp"
#endif

int main(int argc, char **argv) {
    CliArgs args;
    int bad = cli_parse(argc, argv, CLI_MAP_DIR | CLI_HEAP_SIZE,
                        "iwasm [--dir=PATH] [--map-dir=GUEST::HOST] [--env=K=V] PROGRAM.wasm [ARG...]", &args);
    if (bad)
        return bad;
    if (args.version) {
        uint32_t major, minor, patch;
        wasm_runtime_get_version(&major, &minor, &patch);
        printf("WAMR %u.%u.%u %s (harness CLI; %s)\n", major, minor, patch, CLI_TIER, CLI_SOURCE);
        return 0;
    }
    int i = args.program;
    const char *program = argv[i];
    uint32_t size = 0;
    uint8_t *bytes = cli_read_file(program, &size);
    if (!bytes)
        return cli_fail(program, strerror(errno));

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
        return cli_fail("runtime initialisation failed", NULL);

    char error[256] = "";
    wasm_module_t module = wasm_runtime_load(bytes, size, error, sizeof(error));
    if (!module)
        return cli_fail("load failed", error);
    /* the program's argv: its own name first, then its arguments */
    wasm_runtime_set_wasi_args(module, args.dirs, args.n_dirs, args.map_dirs, args.n_map, args.envs, args.n_env,
                               argv + i, argc - i);
    wasm_module_inst_t inst = wasm_runtime_instantiate(module, args.stack_size, args.heap_size, error, sizeof(error));
    if (!inst)
        return cli_fail("instantiation failed", error);

    int status;
    if (wasm_application_execute_main(inst, 0, NULL))
        status = (int)wasm_runtime_get_wasi_exit_code(inst);
    else
        status = cli_fail("trap", wasm_runtime_get_exception(inst));
    fflush(stdout);
    /* no teardown: the process ends here, and tearing down after a trap is what WAMR tests least */
    return status;
}
