# Compiler settings shared by every Confab target.

set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

# ccache makes rebuilds after a clean (CI, branch switches) cheap.
find_program(CONFAB_CCACHE ccache)
if(CONFAB_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${CONFAB_CCACHE}")
  message(STATUS "confab: compiling through ${CONFAB_CCACHE}")
endif()

# Warnings for Confab's own targets (not for third-party headers, which come in as SYSTEM).
# -Wno-missing-field-initializers: request and frame structs are aggregates whose later
# members have default initializers; leaving them out of a brace list is intended.
function(confab_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                   -Wold-style-cast -Wcast-align -Woverloaded-virtual
                                   -Wimplicit-fallthrough -Wno-missing-field-initializers>)
endfunction()

function(confab_apply_sanitizers sanitizers)
  if(NOT sanitizers)
    return()
  endif()
  string(REPLACE ";" "," flags "${sanitizers}")
  add_compile_options(-fsanitize=${flags} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${flags})
  # -O1 and line tables only: the sanitizers' usual setting, and about a third less
  # compile time than -O2 -g, which CI's budget needs (these come after the build type's
  # flags, so they win).
  add_compile_options(-O1 -g1)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND "undefined" IN_LIST sanitizers)
    # Clang 14's -fsanitize=function (part of "undefined") cannot compile coroutines:
    # "Cannot represent a difference across sections". It checks calls through function
    # pointers of the wrong type, which GCC's UBSan run (no such check) does not cover
    # either; every other UBSan check stays on.
    add_compile_options(-fno-sanitize=function)
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND "thread" IN_LIST sanitizers)
    # GCC warns that TSan does not model std::atomic_thread_fence, which Asio's handler
    # invocation uses; the handlers' own synchronisation (mutexes, the scheduler's queue)
    # is what TSan sees, so the warning is noise in every file that includes Asio.
    add_compile_options(-Wno-tsan)
  endif()
endfunction()

# Beast and Asio are header-only and expensive to parse; targets that use them share
# a precompiled header with this list.
set(CONFAB_ASIO_PCH
  <boost/asio.hpp>
  <boost/beast/core.hpp>
  <boost/beast/websocket.hpp>
  <nlohmann/json.hpp>)
