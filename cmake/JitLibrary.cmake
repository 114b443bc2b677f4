# jit_library(NAME folder ...): one static library per top-level folder, sources found by glob so
# that adding a file needs no edit here. Headers are included from the repository root
# ("ca/ssh_certificate.hpp"), which keeps every include naming the library it comes from.
function(jit_library name)
  cmake_parse_arguments(ARG "" "" "EXCLUDE" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*.cpp")
  foreach(pattern IN LISTS ARG_EXCLUDE)
    list(FILTER sources EXCLUDE REGEX "${pattern}")
  endforeach()
  if(NOT sources)
    message(STATUS "jit::${name} has no sources yet; not built")
    return()
  endif()
  add_library(jit_${name} STATIC ${sources})
  add_library(jit::${name} ALIAS jit_${name})
  target_include_directories(jit_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  if(JIT_FUZZ)
    target_compile_options(jit_${name} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
endfunction()

# jit_test_binaries(folder deps...): tests/<folder>/**/*_test.cpp become one GoogleTest binary of
# fast unit tests; tests/<folder>/**/*_it.cpp become one binary of integration tests (real servers),
# labelled so that `ctest -L unit` or `ctest -L integration` picks one kind. Subfolders mirror the
# library's own (tests/broker/http/ tests broker/http/). Like the libraries they compile in unity
# batches (JIT_UNITY), so two test files of one folder never define the same name at namespace
# scope: shared helpers live in tests/support/, file-local ones carry a file-specific name.
function(jit_test_binaries folder)
  find_package(GTest REQUIRED)
  include(GoogleTest)
  file(GLOB_RECURSE unit_sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*_test.cpp")
  file(GLOB_RECURSE it_sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*_it.cpp")
  file(GLOB support_sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/support/*.cpp")
  if(unit_sources)
    add_executable(${folder}_tests ${unit_sources} ${support_sources})
    target_link_libraries(${folder}_tests PRIVATE ${ARGN} GTest::gtest GTest::gtest_main)
    target_include_directories(${folder}_tests PRIVATE ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
    target_compile_definitions(${folder}_tests PRIVATE JIT_TEST_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/data"
                               JIT_BUILD_DIR="${PROJECT_BINARY_DIR}")
    gtest_discover_tests(${folder}_tests TEST_PREFIX "${folder}." PROPERTIES LABELS unit
                         DISCOVERY_MODE PRE_TEST)
  endif()
  if(it_sources)
    add_executable(${folder}_integration_tests ${it_sources} ${support_sources})
    target_link_libraries(${folder}_integration_tests PRIVATE ${ARGN} GTest::gtest GTest::gtest_main)
    target_include_directories(${folder}_integration_tests PRIVATE ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
    target_compile_definitions(${folder}_integration_tests PRIVATE JIT_TEST_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/data"
                               JIT_BUILD_DIR="${PROJECT_BINARY_DIR}")
    gtest_discover_tests(${folder}_integration_tests TEST_PREFIX "${folder}.it." PROPERTIES LABELS integration
                         DISCOVERY_MODE PRE_TEST)
  endif()
endfunction()
