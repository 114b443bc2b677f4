# The Debian package (docs/operations.md, "Install from the Debian package"): CPack's DEB
# generator packs what the rules below install, so `cmake --build <dir> --target package` reuses
# the build and writes jitbroker_<version>_amd64.deb. The version is the project's (CMakeLists.txt).
# Files the package holds besides the two binaries live in packaging/.
if(NOT TARGET jit-broker OR NOT TARGET jit)
  return()
endif()

set(packaging_dir ${PROJECT_SOURCE_DIR}/packaging)
set(packaging_out ${PROJECT_BINARY_DIR}/packaging)

install(TARGETS jit-broker jit RUNTIME DESTINATION bin)
# The production example is the starting configuration: root-owned, readable by the broker's
# group only (postinst sets the group, dpkg keeps them as conffiles, packaging/conffiles).
install(FILES ${PROJECT_SOURCE_DIR}/examples/production/broker.yaml
              ${PROJECT_SOURCE_DIR}/examples/production/policy.yaml
        DESTINATION /etc/jitbroker PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
# The data folder: private from the start; postinst gives it to the jitbroker user.
install(DIRECTORY DESTINATION /var/lib/jitbroker
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
install(FILES ${packaging_dir}/jitbroker.service DESTINATION /lib/systemd/system)

# Debian wants the changelog and the manual pages compressed with gzip -9n (no name, no time, so
# the package is reproducible); the changelog's version is the project's.
configure_file(${packaging_dir}/changelog.in ${packaging_out}/changelog @ONLY)
set(gzipped_docs ${packaging_out}/changelog ${packaging_dir}/jit-broker.8 ${packaging_dir}/jit.1)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${gzipped_docs})
foreach(doc IN LISTS gzipped_docs)
  get_filename_component(doc_name ${doc} NAME)
  execute_process(COMMAND gzip -9nc ${doc} OUTPUT_FILE ${packaging_out}/${doc_name}.gz
                  COMMAND_ERROR_IS_FATAL ANY)
endforeach()
install(FILES ${packaging_out}/changelog.gz ${packaging_dir}/copyright
        DESTINATION share/doc/jitbroker)
# Each override says why (packaging/lintian-overrides); tests/packaging/deb_package.sh runs lintian.
install(FILES ${packaging_dir}/lintian-overrides DESTINATION share/lintian/overrides
        RENAME jitbroker)
install(FILES ${packaging_out}/jit-broker.8.gz DESTINATION share/man/man8)
install(FILES ${packaging_out}/jit.1.gz DESTINATION share/man/man1)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME jitbroker)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "just-in-time access broker for SSH and X.509 certificates")
# CPack puts the summary first and indents these lines itself (an empty line becomes " .").
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Engineers ask for production access; the broker checks who they are (password
and TOTP or a passkey), applies policy, collects approvals, then issues
short-lived OpenSSH user certificates and X.509 client certificates from its
own CA and revokes them when the grant ends.

This package holds the daemon and admin command jit-broker, the engineer's
client jit, the systemd unit jitbroker.service and an example configuration
in /etc/jitbroker.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # jitbroker_<version>_amd64.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER
    "jitbroker maintainers <maintainers@users.noreply.b-seed-66cc33e6.example>")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies from dpkg-shlibdeps; adduser for postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS adduser)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${packaging_dir}/conffiles ${packaging_dir}/postinst
                                       ${packaging_dir}/prerm ${packaging_dir}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
