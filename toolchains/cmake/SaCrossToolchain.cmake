# What the cross toolchain files share (aarch64-linux-gnu.cmake,
# arm-linux-gnueabihf.cmake): they set CMAKE_SYSTEM_PROCESSOR, _sa_triplet and
# _sa_qemu, then include this.
set(CMAKE_SYSTEM_NAME Linux)
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
# Never the host's libraries or package configs (a missing :ARCH package must
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
# qemu explicitly. -L: the cross toolchain's loader and libstdc++; the :ARCH
# libraries (/usr/lib/<triplet>) are found through the host paths.
find_program(SA_QEMU NAMES ${_sa_qemu}-static ${_sa_qemu})
if(SA_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${SA_QEMU} -L /usr/${_sa_triplet})
endif()
