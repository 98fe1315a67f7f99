# cmake toolchain file for WAMR's runtime library for arm64 on an x86-64 host: Debian's cross compiler
# (apt-get install gcc-aarch64-linux-gnu; scripts/setup installs it).  CMAKE_SYSTEM_PROCESSOR makes WAMR's
# CMakeLists choose WAMR_BUILD_TARGET=AARCH64.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
