#!/usr/bin/env bash
# Installs store-agent's build and test dependencies from Debian 12 packages.
# Idempotent: installs only what is missing, and runs `apt-get update` only then.
#
#   toolchains/install-deps.sh [--arch amd64|arm64|armhf] [--with-tools]
#
# --arch  the target architecture. A foreign one adds the dpkg architecture and
#         installs the cross compiler plus the :ARCH -dev packages (multiarch).
# --with-tools  also the developer extras (ccache, gdb).
set -euo pipefail

arch="$(dpkg --print-architecture)"
host_arch="$arch"
with_tools=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --arch) arch="${2:?--arch needs amd64, arm64 or armhf}"; shift 2 ;;
    --arch=*) arch="${1#--arch=}"; shift ;;
    --with-tools) with_tools=1; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-deps: unknown argument '$1' (try --help)" >&2; exit 1 ;;
  esac
done
case "$arch" in amd64|arm64|armhf) ;; *) echo "install-deps: unsupported arch '$arch'" >&2; exit 1 ;; esac

# Build tools and header-only / architecture-independent packages.
tools=(cmake g++ make pkg-config openssl ca-certificates curl netcat-openbsd dpkg-dev binutils)  # dpkg-dev: dpkg-shlibdeps for the .deb; binutils: readelf (tests/packaging)
# What the driver tests render and read QR images with (qrencode, ImageMagick)
# and compare against (ZXing-cpp's own ZXingReader).
tools+=(qrencode imagemagick zxing-cpp-tools jq)
# The reliability tests: libfaketime moves the agent's clock (clock_jump_test);
# util-linux's unshare for a private tmpfs is part of the base system.
tools+=(libfaketime)
# The fuzzers (toolchains/fuzz.sh): Debian's clang and its libFuzzer runtime.
tools+=(clang-14 libclang-rt-14-dev)
# The style check (toolchains/format.sh --check, run by toolchains/test.sh).
tools+=(clang-format-14)
# The browser tests (tests/browser): Debian's Chromium, driven from node by
# playwright-core (npm). A node from elsewhere (nodesource's bundles npm) is
# kept: Debian's nodejs and npm are installed only when there is none.
tools+=(chromium)
# A CJK font: the zh-CN screens' screenshots show Chinese, not empty boxes.
tools+=(fonts-wqy-microhei)
command -v node >/dev/null || tools+=(nodejs)
command -v npm >/dev/null || tools+=(npm)
# Libraries with code for the target: these take a :ARCH suffix when cross-building
# (each is Multi-Arch: same, so the :ARCH package installs beside the host's).
target_libs=(libsqlite3-dev libcurl4-openssl-dev libzxing-dev libmbedtls-dev zlib1g-dev libssl-dev
             libv4l-dev libstb-dev libfmt-dev libtomlplusplus-dev)
# Header-only libraries, used from the host's packages for every target. catch2,
# asio, nlohmann-json and CLI11 are Architecture: all (or Multi-Arch: foreign).
# RESTinio is header-only too, but librestinio-dev:ARCH depends on
# libhttp-parser-dev:ARCH, which is not Multi-Arch: same (it would replace the
# host's): a cross build uses the host's RESTinio config and http_parser.h and
# links the target's libhttp-parser2.9:ARCH (toolchains/cmake/SaDependencies.cmake).
header_libs=(libasio-dev librestinio-dev libhttp-parser-dev nlohmann-json3-dev libcli11-dev catch2)
# Native only: ZBar, which only sa-bench's decode comparison uses. libzbar-dev:ARCH
# pulls in ~230 packages (ImageMagick++, GTK 3, X11 -dev, some :amd64 too) whose
# postinst scripts cannot run on the host; a cross build leaves the ZBar column
# out of sa-bench (SA_BENCH_ZBAR, tests/bench/CMakeLists.txt).
native_libs=(libzbar-dev)
(( with_tools )) && tools+=(ccache gdb)

pkgs=("${tools[@]}" "${header_libs[@]}")
if [[ "$arch" != "$host_arch" ]]; then
  case "$arch" in
    arm64) pkgs+=(g++-aarch64-linux-gnu qemu-user-static) ;;
    armhf) pkgs+=(g++-arm-linux-gnueabihf qemu-user-static) ;;
  esac
  if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
    dpkg --add-architecture "$arch"
    need_update=1
  fi
  for p in "${target_libs[@]}" libhttp-parser2.9; do pkgs+=("$p:$arch"); done
else
  for p in "${target_libs[@]}" "${native_libs[@]}"; do pkgs+=("$p:$arch"); done  # :ARCH, so another arch's copy is not taken for it
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#pkgs[@]} packages present ($arch)"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq -o Acquire::Retries=3
apt-get install -y -qq -o Acquire::Retries=3 --no-install-recommends "${missing[@]}"
