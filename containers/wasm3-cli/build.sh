#!/bin/sh
# Builds wasm3 with its own WASI from the sources crates.io's wasm3-sys carries (wasm3/source/), linked with
# the harness's command line (cli.c):  build.sh WASM3_SOURCE_DIR OUT_DIR SOURCE_NOTE  ->  OUT_DIR/wasm3
# The flags are those wasm3-sys builds with (WASI on, no log output), at -O2.  TARGET_ARCH=arm64 on an x86-64
# host cross-compiles with Debian's gcc-aarch64-linux-gnu; the --version check then runs under qemu-user.
set -eu
src=$1 out=$2 note=$3
here=$(cd "$(dirname "$0")" && pwd)
cc=${CC:-cc}
case "${TARGET_ARCH:-}" in
  arm64) [ "$(uname -m)" = aarch64 ] || cc=aarch64-linux-gnu-gcc ;;
  ""|amd64) ;;
  *) echo "build.sh: no build for TARGET_ARCH=$TARGET_ARCH" >&2; exit 2 ;;
esac
mkdir -p "$out"
# m3_api_uvwasi.c and m3_api_meta_wasi.c are other WASI implementations, compiled out without their defines
"$cc" -O2 -std=gnu11 -w -Dd_m3HasWASI -Dd_m3LogOutput=0 -Dd_m3Use32BitSlots=1 -DCLI_SOURCE="\"$note\"" -I "$src" \
  -I "$here/../common" "$src"/*.c "$here/cli.c" -lm -o "$out/wasm3"
"$out/wasm3" --version
