# Cross toolchain: Debian 12 amd64 host -> armhf store boxes.
#
#   toolchains/install-deps.sh --arch armhf     # cross g++, qemu-user-static, the :armhf -dev packages
#   cmake --preset armhf && cmake --build --preset armhf && ctest --preset armhf
#
# Debian multiarch, no sysroot: target libraries live in /usr/lib/arm-linux-gnueabihf
# (installed as pkg:armhf), headers in /usr/include (the arch-specific ones in
# /usr/include/arm-linux-gnueabihf, which the cross g++ searches by itself), and
# header-only packages (Architecture: all) are shared with the host.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(_sa_triplet arm-linux-gnueabihf)

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
# Never the host's libraries or package configs (a missing :armhf package must
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
# qemu explicitly. -L: the cross toolchain's loader and libstdc++; the :armhf
# libraries (/usr/lib/arm-linux-gnueabihf) are found through the host paths.
find_program(SA_QEMU_ARM NAMES qemu-arm-static qemu-arm)
if(SA_QEMU_ARM)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${SA_QEMU_ARM} -L /usr/${_sa_triplet})
endif()
