# Cross toolchain: Debian 12 amd64 host -> arm64 (aarch64) store boxes.
#
#   toolchains/install-deps.sh --arch arm64     # cross g++, qemu-user-static, the :arm64 -dev packages
#   cmake --preset aarch64 && cmake --build --preset aarch64 && ctest --preset aarch64
#
# Debian multiarch, no sysroot: target libraries live in /usr/lib/aarch64-linux-gnu
# (installed as pkg:arm64), headers in /usr/include (the arch-specific ones in
# /usr/include/aarch64-linux-gnu, which the cross g++ searches by itself), and
# header-only packages (Architecture: all) are shared with the host.
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(_sa_triplet aarch64-linux-gnu)
set(_sa_qemu qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/SaCrossToolchain.cmake)
