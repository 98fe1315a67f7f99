#!/bin/sh
# Builds wasm3 with its own WASI from the sources crates.io's wasm3-sys carries (wasm3/source/), linked with
# the harness's command line (cli.c):  build.sh WASM3_SOURCE_DIR OUT_DIR SOURCE_NOTE  ->  OUT_DIR/wasm3
# The flags are those wasm3-sys builds with (WASI on, no log output), at -O2.
set -eu
src=$1 out=$2 note=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
# m3_api_uvwasi.c and m3_api_meta_wasi.c are other WASI implementations, compiled out without their defines
cc -O2 -std=gnu11 -w -Dd_m3HasWASI -Dd_m3LogOutput=0 -Dd_m3Use32BitSlots=1 -DCLI_SOURCE="\"$note\"" -I "$src" \
  "$src"/*.c "$here/cli.c" -lm -o "$out/wasm3"
"$out/wasm3" --version
