# Cross toolchain: Debian 12 amd64 host -> armhf store boxes.
#
#   toolchains/install-deps.sh --arch armhf     # cross g++, qemu-user-static, the :armhf -dev packages
#   cmake --preset armhf && cmake --build --preset armhf && ctest --preset armhf
#
# Debian multiarch, no sysroot: target libraries live in /usr/lib/arm-linux-gnueabihf
# (installed as pkg:armhf), headers in /usr/include (the arch-specific ones in
# /usr/include/arm-linux-gnueabihf, which the cross g++ searches by itself), and
# header-only packages (Architecture: all) are shared with the host.
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(_sa_triplet arm-linux-gnueabihf)
set(_sa_qemu qemu-arm)
include(${CMAKE_CURRENT_LIST_DIR}/SaCrossToolchain.cmake)
