# Every dependency comes from a Debian package, found through its CMake config
# or pkg-config. Nothing is vendored or downloaded. toolchains/install-deps.sh
# installs them.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 2 REQUIRED)
find_package(MbedTLS REQUIRED)

# Cross builds (toolchains/cmake/<triplet>.cmake, Debian multiarch): RESTinio is
# header-only, but librestinio-dev:<arch> depends on libhttp-parser-dev:<arch>,
# which is not Multi-Arch: same and cannot be installed beside the host's. So
# the host's RESTinio package config (arch-independent: headers in
# /usr/include) is used, and its link item `http_parser` resolves to the
# target's runtime library from libhttp-parser2.9:<arch> (no .so link without
# the -dev package), through an imported target of that name.
if(CMAKE_CROSSCOMPILING)
  # Only restinio_DIR is set here: agent/api and sync/oms-sim find RESTinio
  # after fmt, which its config's link interface names.
  if(NOT restinio_DIR AND NOT EXISTS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/cmake/restinio/restinio-config.cmake)
    file(GLOB _sa_restinio_cfg LIST_DIRECTORIES false /usr/lib/*/cmake/restinio/restinio-config.cmake)
    if(_sa_restinio_cfg)
      list(GET _sa_restinio_cfg 0 _sa_restinio_cfg)
      get_filename_component(_sa_restinio_dir "${_sa_restinio_cfg}" DIRECTORY)
      set(restinio_DIR "${_sa_restinio_dir}" CACHE PATH "RESTinio's package config (host's: header-only)" FORCE)
    endif()
  endif()
  if(NOT TARGET http_parser)
    find_library(SA_HTTP_PARSER_LIBRARY NAMES http_parser libhttp_parser.so.2.9)
    if(NOT SA_HTTP_PARSER_LIBRARY)
      message(FATAL_ERROR "http_parser for ${CMAKE_LIBRARY_ARCHITECTURE} not found: "
                          "toolchains/install-deps.sh --arch <arch> installs libhttp-parser2.9:<arch>")
    endif()
    add_library(http_parser SHARED IMPORTED GLOBAL)
    set_target_properties(http_parser PROPERTIES IMPORTED_LOCATION "${SA_HTTP_PARSER_LIBRARY}")
  endif()
endif()
