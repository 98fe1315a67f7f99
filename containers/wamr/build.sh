#!/bin/sh
# Builds WAMR's runtime library once per tier from the sources crates.io's wamrx-sys carries, and links the
# harness's command line (cli.c) against each:  build.sh WAMR_ROOT OUT_DIR SOURCE_NOTE [ASMJIT_SOURCE]
#   OUT_DIR/iwasm-interp       classic interpreter
#   OUT_DIR/iwasm-fast-interp  fast interpreter
#   OUT_DIR/iwasm-fast-jit     fast JIT (x86-64 only; only when ASMJIT_SOURCE, Debian's asmjit source, is given)
# Features: bulk memory, reference types and tail calls on; SIMD off (WAMR fetches SIMDe from git for it);
# no AOT, no LLVM JIT (no LLVM here); hardware bound checks as WAMR defaults them on Linux.
# TARGET_ARCH=arm64 on an x86-64 host cross-compiles with Debian's gcc-aarch64-linux-gnu (aarch64.cmake), and
# the --version check runs the result under qemu-user (binfmt_misc; QEMU_LD_PREFIX names the arm64 libc).
set -eu
root=$1 out=$2 note=$3 asmjit=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
jobs=${WAMR_BUILD_JOBS:-2}
cc=${CC:-cc}
toolchain=
case "${TARGET_ARCH:-}" in
  arm64) [ "$(uname -m)" = aarch64 ] || { toolchain="-DCMAKE_TOOLCHAIN_FILE=$here/aarch64.cmake"; cc=aarch64-linux-gnu-gcc; }
         asmjit= ;;  # WAMR's fast JIT emits x86-64 only
  ""|amd64) ;;
  *) echo "build.sh: no build for TARGET_ARCH=$TARGET_ARCH" >&2; exit 2 ;;
esac
mkdir -p "$out"
common="-DCMAKE_BUILD_TYPE=Release -DWAMR_BUILD_AOT=0 -DWAMR_BUILD_JIT=0 -DWAMR_BUILD_SIMD=0
  -DWAMR_BUILD_LIBC_WASI=1 -DWAMR_BUILD_LIBC_BUILTIN=1 -DWAMR_BUILD_BULK_MEMORY=1 -DWAMR_BUILD_REF_TYPES=1
  -DWAMR_BUILD_TAIL_CALL=1 -DWAMR_BUILD_MULTI_MODULE=0 -DWAMR_BUILD_LIB_PTHREAD=0 -DWAMR_BUILD_THREAD_MGR=0"

tier() {  # tier name, extra cmake definitions, extra cc flags
  name=$1 defs=$2 ccflags=$3
  b="$out/build-$name"
  # shellcheck disable=SC2086
  cmake -S "$root" -B "$b" $toolchain $common $defs > "$out/$name.cmake.log" 2>&1 || { tail -5 "$out/$name.cmake.log"; exit 1; }
  cmake --build "$b" --target vmlib -j "$jobs" > "$out/$name.build.log" 2>&1 || { tail -20 "$out/$name.build.log"; exit 1; }
  lib=$(find "$b" -name 'libiwasm.a' -o -name 'libvmlib.a' | head -1)
  # shellcheck disable=SC2086
  "$cc" -O2 -I "$root/core/iwasm/include" -I "$here/../common" -DCLI_TIER="\"$name\"" -DCLI_SOURCE="\"$note\"" $ccflags \
    "$here/cli.c" "$lib" -lm -ldl -lpthread -o "$out/iwasm-$name" $( [ "$name" = fast-jit ] && echo -lstdc++ )
  "$out/iwasm-$name" --version
}

tier interp "-DWAMR_BUILD_INTERP=1 -DWAMR_BUILD_FAST_INTERP=0 -DWAMR_BUILD_FAST_JIT=0" ""
tier fast-interp "-DWAMR_BUILD_INTERP=1 -DWAMR_BUILD_FAST_INTERP=1 -DWAMR_BUILD_FAST_JIT=0" ""
if [ -n "$asmjit" ]; then
  tier fast-jit "-DWAMR_BUILD_INTERP=1 -DWAMR_BUILD_FAST_INTERP=0 -DWAMR_BUILD_FAST_JIT=1
    -DFETCHCONTENT_SOURCE_DIR_ASMJIT=$asmjit -DFETCHCONTENT_FULLY_DISCONNECTED=ON" "-DCLI_FAST_JIT=1"
fi
