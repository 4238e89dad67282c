# Run at install time (see confab_install_pkg_config): writes a pkg-config file for the
# prefix being installed to. CMAKE_INSTALL_PREFIX is that prefix here. A relative libdir
# or includedir is written below ${prefix}; an absolute one (a multiarch libdir given in
# full) as it is.
set(CONFAB_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
foreach(kind LIBDIR INCLUDEDIR)
  if(NOT IS_ABSOLUTE "${CONFAB_PC_${kind}}")
    set(CONFAB_PC_${kind} "\${prefix}/${CONFAB_PC_${kind}}")
  endif()
endforeach()
configure_file("${CONFAB_PC_TEMPLATE}" "${CONFAB_PC_OUTPUT}" @ONLY)
