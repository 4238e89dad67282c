# How a library becomes part of the installed confab package. packaging/CMakeLists.txt
# writes the package itself (confabConfig.cmake, confab.pc, the Debian packages) from
# what these functions record; a new library (the C API, confab::c) joins it with:
#
#   confab_install_library(confab_c_static NAME c VARIANT static)
#   confab_install_library(confab_c_shared NAME c VARIANT shared)   # when it is built
#   confab_install_headers(${CMAKE_CURRENT_SOURCE_DIR}/include)    # include/confab/confab.h
#
# and its pkg-config file, packaging/confab-c.pc.in, is installed once the target
# confab::c exists.

# The ABI version, the SONAME's number and the runtime package's suffix (libconfab0.2):
# the major version from 1.0 on; before it, where a minor version may break the ABI,
# major.minor. The CMake package's compatibility follows the same rule.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(CONFAB_ABI_VERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  set(CONFAB_VERSION_COMPATIBILITY SameMinorVersion)
else()
  set(CONFAB_ABI_VERSION ${PROJECT_VERSION_MAJOR})
  set(CONFAB_VERSION_COMPATIBILITY SameMajorVersion)
endif()

# Headers generated at configure time (confab/version.h), installed with the others.
set(CONFAB_GENERATED_INCLUDE_DIR ${PROJECT_BINARY_DIR}/generated/include)

# confab_install_library(<target> NAME <name> [VARIANT shared|static])
#
# Installs a library into the runtime component (a shared library's versioned file) and
# the dev component (its link name, a static archive), and exports it.
#   VARIANT: the library has a shared and a static build, installed side by side; each is
#     exported as confab::<name>_<variant>, and confab::<name> is the one the consumer
#     picks (the shared one, unless CONFAB_USE_STATIC_LIBS is set or it is not installed).
#   Without VARIANT: exported as confab::<name>.
function(confab_install_library target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "NAME;VARIANT" "")
  if(NOT arg_NAME)
    message(FATAL_ERROR "confab_install_library(${target}): NAME is required")
  endif()
  if(arg_VARIANT)
    if(NOT arg_VARIANT MATCHES "^(shared|static)$")
      message(FATAL_ERROR "confab_install_library(${target}): VARIANT is shared or static")
    endif()
    set(export_name ${arg_NAME}_${arg_VARIANT})
    set(export_set confab-${arg_VARIANT}-targets)
    set_property(GLOBAL APPEND PROPERTY CONFAB_PACKAGE_VARIANT_LIBRARIES ${arg_NAME})
  else()
    set(export_name ${arg_NAME})
    set(export_set confab-targets)
  endif()
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${export_name})
  install(TARGETS ${target} EXPORT ${export_set}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
  set_property(GLOBAL APPEND PROPERTY CONFAB_PACKAGE_EXPORT_SETS ${export_set})
  # CMake strips executables and shared libraries on `cmake --install --strip` and in CPack
  # (CPACK_STRIP_FILES), not archives: their debug information goes the same way.
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "STATIC_LIBRARY" AND CMAKE_STRIP)
    set(file "$<TARGET_FILE_NAME:${target}>")
    string(CONFIGURE [=[
      if(CMAKE_INSTALL_DO_STRIP)
        set(dir "@CMAKE_INSTALL_LIBDIR@")
        if(NOT IS_ABSOLUTE "${dir}")
          set(dir "${CMAKE_INSTALL_PREFIX}/${dir}")
        endif()
        execute_process(COMMAND "@CMAKE_STRIP@" --strip-debug "$ENV{DESTDIR}${dir}/@file@" COMMAND_ERROR_IS_FATAL ANY)
      endif()]=] code @ONLY)
    install(CODE "${code}" COMPONENT dev)
  endif()
endfunction()

# confab_install_headers(<dir>...): the headers (*.h) under each directory, installed
# under include/ as they lie there (dir/confab/client.h -> include/confab/client.h).
function(confab_install_headers)
  foreach(dir IN LISTS ARGN)
    install(DIRECTORY ${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
            FILES_MATCHING PATTERN "*.h")
  endforeach()
endfunction()

# confab_install_pkg_config(<template>): a pkg-config file from packaging/<name>.pc.in,
# written when it is installed, so that its prefix is the one that install runs with
# (cmake --install --prefix, or CPack's /usr), with libdir and includedir below it (or
# as given, when CMAKE_INSTALL_LIBDIR or CMAKE_INSTALL_INCLUDEDIR are absolute). The
# template sees @CONFAB_PC_PREFIX@, @CONFAB_PC_LIBDIR@, @CONFAB_PC_INCLUDEDIR@,
# @CONFAB_PC_VERSION@, @CONFAB_PC_DESCRIPTION@ and @CONFAB_PC_URL@.
function(confab_install_pkg_config template)
  get_filename_component(name "${template}" NAME)
  string(REGEX REPLACE "\\.in$" "" name "${name}")
  set(output "${PROJECT_BINARY_DIR}/packaging/pkgconfig/${name}")
  install(CODE "
    set(CONFAB_PC_TEMPLATE [[${template}]])
    set(CONFAB_PC_OUTPUT [[${output}]])
    set(CONFAB_PC_LIBDIR [[${CMAKE_INSTALL_LIBDIR}]])
    set(CONFAB_PC_INCLUDEDIR [[${CMAKE_INSTALL_INCLUDEDIR}]])
    set(CONFAB_PC_VERSION [[${PROJECT_VERSION}]])
    set(CONFAB_PC_DESCRIPTION [[${PROJECT_DESCRIPTION}]])
    set(CONFAB_PC_URL [[${CONFAB_PACKAGE_HOMEPAGE}]])
    include([[${PROJECT_SOURCE_DIR}/cmake/ConfabPkgConfigFile.cmake]])
  " COMPONENT dev)
  install(FILES "${output}" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
endfunction()
