# Debian packages, one per install component (cpack -G DEB in a tree configured with
# -DCONFAB_SDK_SHARED=ON -DCMAKE_INSTALL_PREFIX=/usr; scripts/package-check does it):
#   libconfab<abi>   the shared library              (runtime)
#   libconfab-dev    headers, static library, CMake and pkg-config files  (dev)
#   confab-server    the server as a systemd service (server)
# Their library dependencies come from dpkg-shlibdeps.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME confab)
set(CPACK_PACKAGE_VENDOR "The Confab developers")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${CONFAB_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL runtime dev server)
set(CPACK_COMPONENT_DEV_DEPENDS runtime)   # libconfab-dev: Depends: libconfab0.2 (= version)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CONFAB_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${CONFAB_PACKAGE_HOMEPAGE}")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Installed by a package built here, the library's dependencies are found in the tree.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR}/sdk)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME ${CONFAB_DEB_RUNTIME})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
# shlibs (libconfab 0.2 libconfab0.2 (>= version)) for the packages built against it, and
# ldconfig run by its trigger.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/debian/runtime-triggers ${CMAKE_CURRENT_BINARY_DIR}/runtime/triggers COPYONLY)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA ${CMAKE_CURRENT_BINARY_DIR}/runtime/triggers)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION "team-chat client SDK that never loses a message
Confab is a C++ client SDK for team chat. An app embeds it (confab::Client) to
hold one WebSocket session per device, send each message exactly once through a
durable SQLite outbox, and read every conversation in the server's order from a
local store.
.
This package contains the shared library.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME ${CONFAB_DEB_DEV})
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# The static library's link interface (confabConfig.cmake with CONFAB_USE_STATIC_LIBS,
# and confab.pc's Requires.private) names these.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libssl-dev (>= 3), libsqlite3-dev, libsqlitecpp-dev")
set(CPACK_DEBIAN_DEV_DESCRIPTION "team-chat client SDK that never loses a message (development files)
Confab is a C++ client SDK for team chat. An app embeds it (confab::Client) to
hold one WebSocket session per device, send each message exactly once through a
durable SQLite outbox, and read every conversation in the server's order from a
local store.
.
This package contains the headers, the static library, and the files with
which CMake (find_package(confab)) and pkg-config (confab) find the library.")

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME ${CONFAB_DEB_SERVER})
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION net)
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_SOURCE_DIR}/debian/conffiles
    ${CMAKE_CURRENT_SOURCE_DIR}/debian/postinst
    ${CMAKE_CURRENT_SOURCE_DIR}/debian/prerm
    ${CMAKE_CURRENT_SOURCE_DIR}/debian/postrm)
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_SERVER_DESCRIPTION "reference server for the Confab team-chat SDK
confab-server serves Confab clients over WebSocket and HTTP. It commits each
message to SQLite before acknowledging it, numbers each conversation's log
without gaps, drops resent duplicates, and delivers every conversation's
events in order.
.
This package runs it as a systemd service under its own system user, with its
configuration in /etc/confab/server.json and its data in /var/lib/confab.")

include(CPack)
