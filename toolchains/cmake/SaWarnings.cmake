# One INTERFACE target that carries the project's warning flags; every module
# links it PRIVATE so third-party headers are not held to them.
add_library(sa_warnings INTERFACE)
target_compile_options(sa_warnings INTERFACE
  -Wall -Wextra -Wconversion -Wno-sign-conversion -Wold-style-cast -Wsuggest-override
  -Wshadow -Wnon-virtual-dtor
  $<$<BOOL:${SA_WERROR}>:-Werror>)
