# Cross toolchain: Debian 12 amd64 host -> arm64 (aarch64) store boxes.
#
#   toolchains/install-deps.sh --arch arm64     # cross g++, qemu-user-static, the :arm64 -dev packages
#   cmake --preset aarch64 && cmake --build --preset aarch64 && ctest --preset aarch64
#
# Debian multiarch, no sysroot: target libraries live in /usr/lib/aarch64-linux-gnu
# (installed as pkg:arm64), headers in /usr/include (the arch-specific ones in
# /usr/include/aarch64-linux-gnu, which the cross g++ searches by itself), and
# header-only packages (Architecture: all) are shared with the host.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(_sa_triplet aarch64-linux-gnu)

set(CMAKE_C_COMPILER ${_sa_triplet}-gcc)
set(CMAKE_CXX_COMPILER ${_sa_triplet}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${_sa_triplet})

# find_*: libraries, headers and package configs only for the target (under "/",
# which with CMAKE_LIBRARY_ARCHITECTURE means /usr/lib/<triplet>, /usr/include,
# /usr/share and /usr/lib/<triplet>/cmake); programs from the host.
set(CMAKE_FIND_ROOT_PATH /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Never the host's libraries or package configs (a missing :arm64 package must
# fail at configure time, not link an x86-64 library).
list(APPEND CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu
     /usr/lib/x86_64-linux-gnu/cmake /usr/lib/x86_64-linux-gnu/pkgconfig)

# pkg-config (the host's) reads only the target's .pc files and the
# arch-independent ones.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${_sa_triplet}/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# binfmt_misc is not registered on CI machines, so every target binary CMake or
# CTest runs (add_test with a target, Catch2's test discovery) goes through
# qemu explicitly. -L: the cross toolchain's loader and libstdc++; the :arm64
# libraries (/usr/lib/aarch64-linux-gnu) are found through the host paths.
find_program(SA_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(SA_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${SA_QEMU_AARCH64} -L /usr/${_sa_triplet})
endif()
