# sipim_add_gtest(NAME name SOURCES ... LIBS ...)
# One GoogleTest binary; every TEST in it becomes its own CTest test.
function(sipim_add_gtest)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS" ${ARGN})
  if(NOT SIPIM_TESTS)
    return()
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${T_NAME} PRIVATE
    SIPIM_CORPUS_DIR="${SIPIM_CORPUS_DIR}"
    SIPIM_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    SIPIM_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${T_NAME} DISCOVERY_TIMEOUT 120
                       PROPERTIES LABELS ${T_NAME})
endfunction()

# sipim_add_fuzzer(NAME name SOURCES ... LIBS ... [SEEDS dir ...] [DICT file])
# A libFuzzer target; only built with -DSIPIM_FUZZ=ON under clang. Each one is
# listed, with its seed directories, in ${PROJECT_BINARY_DIR}/fuzzers.tsv, which
# scripts/fuzz.sh reads to run every fuzzer for a bounded time.
function(sipim_add_fuzzer)
  cmake_parse_arguments(F "" "NAME;DICT" "SOURCES;LIBS;SEEDS" ${ARGN})
  if(NOT SIPIM_FUZZ)
    return()
  endif()
  add_executable(${F_NAME} ${F_SOURCES})
  target_compile_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
  target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
  target_compile_definitions(${F_NAME} PRIVATE SIPIM_CORPUS_DIR="${SIPIM_CORPUS_DIR}")
  list(JOIN F_SEEDS " " seeds)
  file(APPEND ${PROJECT_BINARY_DIR}/fuzzers.tsv
       "${CMAKE_CURRENT_BINARY_DIR}/${F_NAME}\t${F_DICT}\t${seeds}\n")
endfunction()

# sipim_add_subdirectories(dir ...): only those that exist and have a
# CMakeLists.txt, so that each component can land on its own.
function(sipim_add_subdirectories)
  foreach(d ${ARGN})
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${d}/CMakeLists.txt)
      add_subdirectory(${d})
    endif()
  endforeach()
endfunction()
