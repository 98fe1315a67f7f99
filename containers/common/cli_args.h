/* What the harness's two C command lines share (containers/wamr/cli.c, containers/wasm3-cli/cli.c): their
 * command-line parsing, their one-line failures and reading the program's file.  Each recipe names this file
 * under `shared` in its recipe.toml, so it is part of both recipes' digests (an edit here is a new tag for
 * each), and its build.sh compiles with -I pointing here.
 *
 * Define CLI_NAME (how messages start: "iwasm", "wasm3") before including it.  The flags, spelled as
 * WAMR's iwasm spells them:
 *
 *   [--version] [--stack-size=BYTES] [--heap-size=BYTES] [--dir=PATH]... [--map-dir=GUEST::HOST]...
 *   [--env=NAME=VALUE]... [--] PROGRAM.wasm [ARG...]
 *
 * A command line takes the ones it passes in `accepts` (the CLI_* bits); the others are unknown options.
 */
#ifndef HARNESS_CLI_ARGS_H
#define HARNESS_CLI_ARGS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CLI_NAME
#error "define CLI_NAME before including cli_args.h"
#endif
#ifndef CLI_SOURCE
#define CLI_SOURCE "unknown source"
#endif

#define CLI_MAX_LIST 256
#define CLI_MAP_DIR 1u   /* --map-dir=GUEST::HOST */
#define CLI_HEAP_SIZE 2u /* --heap-size=BYTES */

typedef struct CliArgs {
    const char *dirs[CLI_MAX_LIST], *map_dirs[CLI_MAX_LIST], *envs[CLI_MAX_LIST];
    uint32_t n_dirs, n_map, n_env;
    uint32_t stack_size; /* 1 MiB unless given: the harness's wasm stack for every program */
    uint32_t heap_size;  /* 0 unless given */
    int version;         /* --version was given: print it and stop */
    int program;         /* argv index of PROGRAM.wasm; its arguments follow */
} CliArgs;

static int cli_fail(const char *what, const char *detail) {
    fprintf(stderr, CLI_NAME ": %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return 1;
}

/* The whole file, or NULL (errno says why). */
static uint8_t *cli_read_file(const char *path, uint32_t *size) {
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

static int cli_add(const char **list, uint32_t *count, const char *item) {
    if (*count >= CLI_MAX_LIST)
        return 0;
    list[(*count)++] = item;
    return 1;
}

/* 0 when argv parsed (then args->version, or args->program set); else the exit status, 2, with the reason
 * on stderr.  `usage` is printed when no program is named. */
static int cli_parse(int argc, char **argv, unsigned accepts, const char *usage, CliArgs *args) {
    memset(args, 0, sizeof(*args));
    args->stack_size = 1024 * 1024;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *a = argv[i];
        int ok = 1;
        if (strcmp(a, "--version") == 0) {
            args->version = 1;
            return 0;
        }
        else if (strncmp(a, "--dir=", 6) == 0)
            ok = cli_add(args->dirs, &args->n_dirs, a + 6);
        else if ((accepts & CLI_MAP_DIR) && strncmp(a, "--map-dir=", 10) == 0)
            ok = cli_add(args->map_dirs, &args->n_map, a + 10);
        else if (strncmp(a, "--env=", 6) == 0)
            ok = strchr(a + 6, '=') && cli_add(args->envs, &args->n_env, a + 6);
        else if (strncmp(a, "--stack-size=", 13) == 0)
            args->stack_size = (uint32_t)strtoul(a + 13, NULL, 10);
        else if ((accepts & CLI_HEAP_SIZE) && strncmp(a, "--heap-size=", 12) == 0)
            args->heap_size = (uint32_t)strtoul(a + 12, NULL, 10);
        else if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        else {
            fprintf(stderr, CLI_NAME ": unknown option %s\n", a);
            return 2;
        }
        if (!ok) {
            fprintf(stderr, CLI_NAME ": bad or too many values: %s\n", a);
            return 2;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "usage: %s\n", usage);
        return 2;
    }
    args->program = i;
    return 0;
}

#endif
