/* The harness's command line for wasm3 with wasm3's own WASI (source/m3_api_wasi.c): runs one WASI
 * preview1 command.
 *
 * Why our own: the registries carry wasm3's source/ folder (crates.io's wasm3-sys vendors it with
 * m3_api_wasi.c) but not platforms/app, wasm3's command line; PyPI's pywasm3 has neither the WASI nor the
 * command line.  This file is the harness's, written against wasm3.h and the runtime's argc/argv fields.
 *
 *   wasm3 [--version] [--dir=NAME] [--env=NAME=VALUE]... PROGRAM.wasm [ARG...]
 *
 * wasm3's WASI has one preopened directory (fd 3) that the guest sees by the name it is opened with,
 * relative to the working directory: --dir=NAME sets that name (the harness starts this in the folder that
 * holds it), and a second --dir is refused.  It has no environment (environ_get is a stub that returns
 * none), so --env values are accepted and not seen by the program; this says so once on stderr.
 * Exit status: the program's (proc_exit, or 0 when _start returns); 1 with "wasm3: ..." on stderr when the
 * module does not parse, load or link, or traps; 2 for a bad command line.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm3.h"
#include "m3_api_wasi.h"
#include "m3_env.h"

#define CLI_NAME "wasm3"
#include "cli_args.h" /* containers/common: the flags, failures and file reading both C CLIs share */

/* m3_api_wasi.c's table of preopens: stdin, stdout, stderr, then the one directory */
typedef struct Preopen {
    int fd;
    char *path;
} Preopen;
extern Preopen preopen[];

int main(int argc, char **argv) {
    CliArgs args;
    int bad = cli_parse(argc, argv, 0, "wasm3 [--dir=NAME] [--env=K=V] PROGRAM.wasm [ARG...]", &args);
    if (bad)
        return bad;
    if (args.version) {
        printf("wasm3 %s (harness CLI, wasm3's own WASI; %s)\n", M3_VERSION, CLI_SOURCE);
        return 0;
    }
    if (args.n_dirs > 1) {
        fprintf(stderr, "wasm3: its WASI has one preopened directory; a second --dir (%s) cannot be given\n",
                args.dirs[1]);
        return 2;
    }
    if (args.n_env)
        fprintf(stderr, "wasm3: note: wasm3's WASI has no environment; %u --env value(s) not passed\n", args.n_env);
    if (args.n_dirs)
        preopen[3].path = (char *)args.dirs[0];  /* opened by m3_LinkWASI, relative to the working directory */
    int i = args.program;
    const char *program = argv[i];
    uint32_t size = 0;
    uint8_t *bytes = cli_read_file(program, &size);
    if (!bytes)
        return cli_fail(program, strerror(errno));
    IM3Environment env = m3_NewEnvironment();
    IM3Runtime runtime = env ? m3_NewRuntime(env, args.stack_size, NULL) : NULL;
    if (!runtime)
        return cli_fail("out of memory", NULL);

    IM3Module module;
    M3Result r = m3_ParseModule(env, &module, bytes, size);
    if (r)
        return cli_fail("parse failed", r);
    if ((r = m3_LoadModule(runtime, module)))
        return cli_fail("load failed", r);
    if ((r = m3_LinkWASI(runtime->modules)))
        return cli_fail("linking WASI failed", r);
    IM3Function start;
    if ((r = m3_FindFunction(&start, runtime, "_start")))
        return cli_fail("no _start", r);
    /* m3_CallWithArgs keeps these as the program's WASI arguments when it calls _start (and then passes
     * the function none): setting runtime->argc before it, as this file once did, is overwritten with 0 */
    r = m3_CallWithArgs(start, (uint32_t)(argc - i), (const char *const *)(argv + i));
    fflush(stdout);
    if (r == m3Err_none)
        return 0;
    if (r == m3Err_trapExit)
        return runtime->exit_code;
    M3ErrorInfo info;
    m3_GetErrorInfo(runtime, &info);
    fprintf(stderr, "wasm3: trap: %s%s%s\n", r, info.message ? " " : "", info.message ? info.message : "");
    return 1;
}
