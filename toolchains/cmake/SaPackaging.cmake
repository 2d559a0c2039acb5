# SaPackaging: install rules and the Debian package of a store box (CPack DEB).
#
#   cmake --build build --target store-agent storectl   # (or everything)
#   cmake --build build --target package        # build/store-agent_VERSION_ARCH.deb
#   cpack --config build/CPackConfig.cmake -G DEB -B OUT
#
# `package` (and `install`) do not build anything first
# (CMAKE_SKIP_INSTALL_ALL_DEPENDENCY): packaging needs only the two binaries,
# not every test of the tree, and a cross build's tests are slow to build.
#
# The package holds store-agent and storectl (/usr/bin), the systemd unit, the
# udev rules and the default config, all from firmware-cfg/rootfs/ (the same
# files `storectl flash` writes), plus the maintainer scripts of
# firmware-cfg/debian/. tests/packaging/deb-package.sh checks the result.
#
# Architecture: `dpkg --print-architecture` for a native build; for a cross
# build (CMAKE_CROSSCOMPILING) it follows CMAKE_SYSTEM_PROCESSOR (aarch64 ->
# arm64, arm* -> armhf). Depends: dpkg-shlibdeps for a native build; a cross
# build has no target objdump/shlibs to ask, so it gets SA_DEB_RUNTIME_DEPENDS
# (the Debian 12 runtime packages; the native test checks the two agree).
#
# Everything is installed as the component "store_agent", and only that
# component is packaged: an install() rule added elsewhere for a tool (say
# oms-sim) does not end up on the store box by accident.

set(_sa_rootfs ${CMAKE_SOURCE_DIR}/firmware-cfg/rootfs)
set(_sa_debian ${CMAKE_SOURCE_DIR}/firmware-cfg/debian)
set(_sa_component store_agent)
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)

# ------------------------------------------------------------------ install
# Binaries: relative, so `cmake --install build --prefix P` puts them in P/bin;
# the package's prefix is /usr. systemd and udev only look in /lib and /etc,
# so those destinations are absolute.
install(TARGETS store-agent storectl RUNTIME DESTINATION bin COMPONENT ${_sa_component})
install(FILES ${_sa_rootfs}/lib/systemd/system/store-agent.service
        DESTINATION /lib/systemd/system COMPONENT ${_sa_component})
install(FILES ${_sa_rootfs}/lib/udev/rules.d/60-store-agent.rules
        DESTINATION /lib/udev/rules.d COMPONENT ${_sa_component})
install(FILES ${_sa_rootfs}/etc/store-agent/agent.toml
        DESTINATION /etc/store-agent COMPONENT ${_sa_component})
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${_sa_debian}/copyright
        DESTINATION share/doc/store-agent COMPONENT ${_sa_component})

# ------------------------------------------------------------- architecture
function(_sa_deb_arch_of processor out)
  string(TOLOWER "${processor}" p)
  if(p MATCHES "^(aarch64|arm64)$")
    set(arch arm64)
  elseif(p MATCHES "^arm")
    set(arch armhf)
  elseif(p MATCHES "^(x86_64|amd64)$")
    set(arch amd64)
  elseif(p MATCHES "^i[3-6]86$")
    set(arch i386)
  else()
    set(arch "")
  endif()
  set(${out} "${arch}" PARENT_SCOPE)
endfunction()

if(NOT DEFINED SA_DEB_ARCH OR SA_DEB_ARCH STREQUAL "")
  set(_sa_arch "")
  if(CMAKE_CROSSCOMPILING)
    _sa_deb_arch_of("${CMAKE_SYSTEM_PROCESSOR}" _sa_arch)
  else()
    find_program(SA_DPKG_EXECUTABLE dpkg)
    mark_as_advanced(SA_DPKG_EXECUTABLE)
    if(SA_DPKG_EXECUTABLE)
      execute_process(COMMAND ${SA_DPKG_EXECUTABLE} --print-architecture
                      OUTPUT_VARIABLE _sa_arch OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    endif()
    if(_sa_arch STREQUAL "")
      _sa_deb_arch_of("${CMAKE_SYSTEM_PROCESSOR}" _sa_arch)
    endif()
  endif()
  if(_sa_arch STREQUAL "")
    message(WARNING "SaPackaging: no Debian architecture for CMAKE_SYSTEM_PROCESSOR "
                    "'${CMAKE_SYSTEM_PROCESSOR}'; set SA_DEB_ARCH")
  endif()
  set(SA_DEB_ARCH "${_sa_arch}" CACHE STRING "Debian architecture of the .deb (amd64, arm64, armhf)")
endif()

# ----------------------------------------------------------------- depends
# The runtime libraries of store-agent and storectl in Debian 12 (bookworm),
# with minimum versions as their shlibs files or dpkg-shlibdeps give them.
# Used for cross builds; the native deb_package test checks the names still
# match what dpkg-shlibdeps finds.
set(SA_DEB_RUNTIME_DEPENDS
    "libc6 (>= 2.36), libgcc-s1 (>= 3.0), libstdc++6 (>= 12), libcurl4 (>= 7.88.1), \
libsqlite3-0 (>= 3.40.1), libssl3 (>= 3.0.0), libmbedcrypto7 (>= 2.28.3), libmbedx509-1 (>= 2.28.3), libzxing2 (>= 1.4.0), \
libv4l-0 (>= 1.22.1), libstb0 (>= 0.0~git20220908.8b5f1f3+ds), zlib1g (>= 1:1.2.3.3.dfsg-1), \
libfmt9 (>= 9.1.0+ds1), libhttp-parser2.9 (>= 2.9.4), libtomlplusplus3 (>= 3.3.0+ds)")

if(CMAKE_CROSSCOMPILING)
  set(_sa_shlibdeps_default OFF)
else()
  set(_sa_shlibdeps_default ON)
endif()
option(SA_DEB_SHLIBDEPS "Compute the .deb's Depends with dpkg-shlibdeps (native builds)"
       ${_sa_shlibdeps_default})

# ------------------------------------------------------------------- CPack
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME store-agent)
set(CPACK_PACKAGE_VENDOR "store-agent")
set(CPACK_PACKAGE_VERSION ${store_agent_VERSION})
set(CPACK_PACKAGE_CONTACT "store-agent maintainers <store-agent@brand.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "in-store agent for one-item-one-code retail")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES TRUE)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL ${_sa_component})
set(CPACK_DEBIAN_STORE_AGENT_PACKAGE_NAME store-agent)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # store-agent_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${SA_DEB_ARCH})
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
# The synopsis line is CPACK_PACKAGE_DESCRIPTION_SUMMARY; this is the body.
set(CPACK_COMPONENT_STORE_AGENT_DESCRIPTION
    "store-agent runs on store boxes and tills: it reads one-item-one-code QR
labels from keyboard-wedge, serial and camera scanners, verifies the brand's
signatures offline, records sales in a durable local SQLite ledger, prints
ESC/POS receipts, serves a local HTTP API and syncs with the brand's cloud.
.
The package holds store-agent (a systemd service), storectl (the command
line), udev rules for scanners, printers and cameras, and a default
/etc/store-agent/agent.toml. The data in /var/lib/store-agent is kept on
removal and on purge.")

# adduser: postinst makes the system user. The rest is the shared libraries.
if(SA_DEB_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
else()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, ${SA_DEB_RUNTIME_DEPENDS}")
endif()
# For tests/packaging/deb-package.sh (CPackConfig.cmake keeps CPACK_* only).
set(CPACK_SA_RUNTIME_DEPENDS "${SA_DEB_RUNTIME_DEPENDS}")

# Maintainer scripts and conffiles (0755 / 0644, as dpkg wants them).
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_sa_debian}/postinst ${_sa_debian}/prerm ${_sa_debian}/postrm ${_sa_debian}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

# `make package_source` is not how this is shipped; keep build trees out anyway.
set(CPACK_SOURCE_GENERATOR TXZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/")

include(CPack)
