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

#ifndef CLI_SOURCE
#define CLI_SOURCE "unknown source"
#endif

/* m3_api_wasi.c's table of preopens: stdin, stdout, stderr, then the one directory */
typedef struct Preopen {
    int fd;
    char *path;
} Preopen;
extern Preopen preopen[];

static int fail(const char *what, const char *detail) {
    fprintf(stderr, "wasm3: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
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

int main(int argc, char **argv) {
    const char *dir = NULL;
    int envs = 0;
    uint32_t stack_size = 1024 * 1024;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--version") == 0) {
            printf("wasm3 %s (harness CLI, wasm3's own WASI; %s)\n", M3_VERSION, CLI_SOURCE);
            return 0;
        }
        else if (strncmp(a, "--dir=", 6) == 0) {
            if (dir) {
                fprintf(stderr, "wasm3: its WASI has one preopened directory; a second --dir (%s) cannot be given\n",
                        a + 6);
                return 2;
            }
            dir = a + 6;
        }
        else if (strncmp(a, "--env=", 6) == 0)
            envs++;
        else if (strncmp(a, "--stack-size=", 13) == 0)
            stack_size = (uint32_t)strtoul(a + 13, NULL, 10);
        else if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        else {
            fprintf(stderr, "wasm3: unknown option %s\n", a);
            return 2;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "usage: wasm3 [--dir=NAME] [--env=K=V] PROGRAM.wasm [ARG...]\n");
        return 2;
    }
    if (envs)
        fprintf(stderr, "wasm3: note: wasm3's WASI has no environment; %d --env value(s) not passed\n", envs);
    if (dir)
        preopen[3].path = (char *)dir;  /* opened by m3_LinkWASI, relative to the working directory */

    const char *program = argv[i];
    uint32_t size = 0;
    uint8_t *bytes = read_file(program, &size);
    if (!bytes)
        return fail(program, strerror(errno));
    IM3Environment env = m3_NewEnvironment();
    IM3Runtime runtime = env ? m3_NewRuntime(env, stack_size, NULL) : NULL;
    if (!runtime)
        return fail("out of memory", NULL);
    runtime->argc = (uint32_t)(argc - i);
    runtime->argv = (ccstr_t *)(argv + i);

    IM3Module module;
    M3Result r = m3_ParseModule(env, &module, bytes, size);
    if (r)
        return fail("parse failed", r);
    if ((r = m3_LoadModule(runtime, module)))
        return fail("load failed", r);
    if ((r = m3_LinkWASI(runtime->modules)))
        return fail("linking WASI failed", r);
    IM3Function start;
    if ((r = m3_FindFunction(&start, runtime, "_start")))
        return fail("no _start", r);
    r = m3_CallWithArgs(start, 0, NULL);
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
