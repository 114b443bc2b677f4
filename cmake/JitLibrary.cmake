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

# JIT_UNIT_TEST_SHARDS: how CTest runs the fast unit tests. 0 registers each test on its own (CTest
# names every test, `ctest -R Name` picks one), which starts the binary once per test. That start
# is most of a unit test's time under ASan (about 0.25 s of a 0.3 s test: the sanitizer runtime,
# the shadow memory and the leak check at exit), so the presets set N > 0: each unit binary runs as
# N CTest entries, each one process running every N-th test (GoogleTest's GTEST_TOTAL_SHARDS and
# GTEST_SHARD_INDEX). A failing shard's output names the failing tests; run one alone with the
# binary's --gtest_filter. Integration tests stay one CTest entry each: they wait on real servers,
# so CTest's parallelism matters more to them than the start.
set(JIT_UNIT_TEST_SHARDS 0 CACHE STRING "Run each unit test binary as this many CTest shards (0: one CTest per test)")

# jit_add_unit_tests(target prefix): registers a unit test binary with CTest as JIT_UNIT_TEST_SHARDS
# says. Shards get a high COST so that a parallel `ctest -j` starts them before the many short
# integration tests instead of leaving a long shard to run alone at the end.
function(jit_add_unit_tests target prefix)
  include(GoogleTest)
  if(JIT_UNIT_TEST_SHARDS GREATER 0)
    math(EXPR last "${JIT_UNIT_TEST_SHARDS} - 1")
    foreach(index RANGE ${last})
      set(name "${prefix}shard_${index}_of_${JIT_UNIT_TEST_SHARDS}")
      add_test(NAME ${name} COMMAND ${target})
      set_tests_properties(${name} PROPERTIES LABELS unit COST 500
        ENVIRONMENT "GTEST_TOTAL_SHARDS=${JIT_UNIT_TEST_SHARDS};GTEST_SHARD_INDEX=${index}")
    endforeach()
  else()
    gtest_discover_tests(${target} TEST_PREFIX "${prefix}" PROPERTIES LABELS unit
                         DISCOVERY_MODE PRE_TEST)
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
                               JIT_BUILD_DIR="${PROJECT_BINARY_DIR}" JIT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    jit_add_unit_tests(${folder}_tests "${folder}.")
  endif()
  if(it_sources)
    add_executable(${folder}_integration_tests ${it_sources} ${support_sources})
    target_link_libraries(${folder}_integration_tests PRIVATE ${ARGN} GTest::gtest GTest::gtest_main)
    target_include_directories(${folder}_integration_tests PRIVATE ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
    target_compile_definitions(${folder}_integration_tests PRIVATE JIT_TEST_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/data"
                               JIT_BUILD_DIR="${PROJECT_BINARY_DIR}" JIT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    jit_add_integration_suites(${folder}_integration_tests "${folder}.it." ${it_sources})
  endif()
endfunction()

# jit_add_integration_suites(target prefix sources...): one CTest entry per GoogleTest suite of an
# integration test binary (`broker.it.BadInputTest` runs BadInputTest.* in one process), not one
# per test. A suite's tests then share what its fixture starts once (a broker, the identity
# provider, PostgreSQL), and the sanitized binary starts and runs its leak check once per suite:
# that halved the integration tests' process time. The suites are read from the sources' TEST,
# TEST_F and TEST_P lines when CMake configures; `${prefix}all_suites_registered` fails when the
# binary holds a test that no entry runs (a macro this scan does not know). One test alone:
# `build/default/tests/broker/broker_integration_tests --gtest_filter='Suite.Name'`.
function(jit_add_integration_suites target prefix)
  set(suites "")
  foreach(source IN LISTS ARGN)
    file(STRINGS "${source}" lines REGEX "^(TEST|TEST_F|TEST_P)\\([A-Za-z0-9_]+,")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^TEST[_FP]*\\(([A-Za-z0-9_]+),.*" "\\1" suite "${line}")
      list(APPEND suites "${suite}")
    endforeach()
  endforeach()
  list(REMOVE_DUPLICATES suites)
  list(SORT suites)
  foreach(suite IN LISTS suites)
    # Parameterised suites are named Prefix/Suite by their instantiation.
    add_test(NAME ${prefix}${suite} COMMAND ${target} "--gtest_filter=${suite}.*:*/${suite}.*")
    set_tests_properties(${prefix}${suite} PROPERTIES LABELS integration)
  endforeach()
  add_test(NAME ${prefix}all_suites_registered
           COMMAND ${PROJECT_SOURCE_DIR}/tests/support/check_registered_suites.sh $<TARGET_FILE:${target}> ${suites})
  set_tests_properties(${prefix}all_suites_registered PROPERTIES LABELS unit)
endfunction()
