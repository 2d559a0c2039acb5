# Debian's libmbedtls-dev (2.28) ships neither a CMake config nor a .pc file.
# Defines MbedTLS::mbedcrypto, MbedTLS::mbedx509 and MbedTLS::mbedtls.
find_path(MbedTLS_INCLUDE_DIR mbedtls/version.h)
find_library(MbedTLS_CRYPTO_LIBRARY mbedcrypto)
find_library(MbedTLS_X509_LIBRARY mbedx509)
find_library(MbedTLS_TLS_LIBRARY mbedtls)
if(MbedTLS_INCLUDE_DIR AND EXISTS "${MbedTLS_INCLUDE_DIR}/mbedtls/version.h")
  file(STRINGS "${MbedTLS_INCLUDE_DIR}/mbedtls/version.h" _ver REGEX "#define MBEDTLS_VERSION_STRING +\"")
  string(REGEX REPLACE ".*\"([0-9.]+)\".*" "\\1" MbedTLS_VERSION "${_ver}")
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(MbedTLS
  REQUIRED_VARS MbedTLS_INCLUDE_DIR MbedTLS_CRYPTO_LIBRARY MbedTLS_X509_LIBRARY MbedTLS_TLS_LIBRARY
  VERSION_VAR MbedTLS_VERSION)
if(MbedTLS_FOUND AND NOT TARGET MbedTLS::mbedcrypto)
  add_library(MbedTLS::mbedcrypto UNKNOWN IMPORTED)
  set_target_properties(MbedTLS::mbedcrypto PROPERTIES
    IMPORTED_LOCATION "${MbedTLS_CRYPTO_LIBRARY}" INTERFACE_INCLUDE_DIRECTORIES "${MbedTLS_INCLUDE_DIR}")
  add_library(MbedTLS::mbedx509 UNKNOWN IMPORTED)
  set_target_properties(MbedTLS::mbedx509 PROPERTIES
    IMPORTED_LOCATION "${MbedTLS_X509_LIBRARY}" INTERFACE_LINK_LIBRARIES MbedTLS::mbedcrypto)
  add_library(MbedTLS::mbedtls UNKNOWN IMPORTED)
  set_target_properties(MbedTLS::mbedtls PROPERTIES
    IMPORTED_LOCATION "${MbedTLS_TLS_LIBRARY}" INTERFACE_LINK_LIBRARIES MbedTLS::mbedx509)
endif()
mark_as_advanced(MbedTLS_INCLUDE_DIR MbedTLS_CRYPTO_LIBRARY MbedTLS_X509_LIBRARY MbedTLS_TLS_LIBRARY)
