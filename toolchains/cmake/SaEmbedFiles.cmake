# sa_embed_files(BASE FILES BODY INDEX): for each file (relative to BASE), a
# `const char kN[]` array of its bytes (plus a NUL) appended to BODY, and an
# index line `{"name", std::string_view(kN, size)},` appended to INDEX. Shared
# by the build-time embedding scripts (agent/web, firmware-cfg), each of which
# wraps the two in its own generated C++ file.
function(sa_embed_files base files body_var index_var)
  set(body "")
  set(index "")
  set(n 0)
  foreach(f IN LISTS files)
    file(READ "${base}/${f}" hex HEX)
    string(LENGTH "${hex}" hex_len)
    math(EXPR size "${hex_len} / 2")
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
    string(APPEND body "const char k${n}[] = {${bytes} 0};\n")
    string(APPEND index "      {\"${f}\", std::string_view(k${n}, ${size})},\n")
    math(EXPR n "${n} + 1")
  endforeach()
  set(${body_var} "${body}" PARENT_SCOPE)
  set(${index_var} "${index}" PARENT_SCOPE)
endfunction()
