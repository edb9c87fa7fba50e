# Helpers shared by every folder's CMakeLists.txt.

# tributary_library(NAME SOURCES a.cc b.cc DEPS tributary_base Boost::boost ...)
# One static library per source folder, named tributary_<folder>.
function(tributary_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# tributary_test(NAME SOURCES x_test.cc DEPS lib... [LABELS unit] [TIMEOUT s])
# A GoogleTest binary registered with CTest (one CTest entry per binary, so the
# suite stays fast to enumerate). Label defaults to "unit".
function(tributary_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  add_test(NAME ${name} COMMAND ${name})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT})
endfunction()

# tributary_bench(NAME SOURCES x_bench.cc DEPS lib...): a Google Benchmark binary,
# run by `make bench`, not by `make test`.
function(tributary_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
  set_property(GLOBAL APPEND PROPERTY TRIBUTARY_BENCHES ${name})
endfunction()

# tributary_fuzz(NAME SOURCES x_fuzz.cc code_under_test.cc ... DEPS lib...): a libFuzzer
# target, only in a TRIBUTARY_FUZZ=ON build (clang; scripts/run-fuzz makes one in
# build-fuzz/ and runs every target). The code under test is listed among the sources
# so that it is compiled with coverage instrumentation; ASan and UBSan abort on the first
# error. Add the target, with its seed corpus, to the table in scripts/run-fuzz.
function(tributary_fuzz name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  if(NOT TRIBUTARY_FUZZ)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined
                         -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

# tributary_postgres_test(NAME [ARGS...]): runs the test binary NAME again, as the CTest
# entry NAME_postgres, next to a throwaway PostgreSQL server (scripts/with-postgres), so
# that the stores it tests use the PostgreSQL backend (metadata/testing/test_database.h).
# ARGS go to the binary (a --gtest_filter naming the store tests, say).
function(tributary_postgres_test name)
  add_test(NAME ${name}_postgres
           COMMAND ${CMAKE_SOURCE_DIR}/scripts/with-postgres $<TARGET_FILE:${name}> ${ARGN})
  set_tests_properties(${name}_postgres PROPERTIES LABELS "unit;postgres" TIMEOUT 180)
endfunction()
