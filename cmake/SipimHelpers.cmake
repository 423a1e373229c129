# sipim_add_gtest(NAME name SOURCES ... LIBS ...)
# One GoogleTest binary; every TEST in it becomes its own CTest test.
function(sipim_add_gtest)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${T_NAME} PRIVATE
    SIPIM_CORPUS_DIR="${SIPIM_CORPUS_DIR}"
    SIPIM_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    SIPIM_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${T_NAME} DISCOVERY_TIMEOUT 120
                       PROPERTIES LABELS ${T_NAME})
endfunction()

# sipim_add_fuzzer(NAME name SOURCES ... LIBS ...)
# A libFuzzer target; only built with -DSIPIM_FUZZ=ON under clang.
function(sipim_add_fuzzer)
  cmake_parse_arguments(F "" "NAME" "SOURCES;LIBS" ${ARGN})
  if(NOT SIPIM_FUZZ)
    return()
  endif()
  add_executable(${F_NAME} ${F_SOURCES})
  target_compile_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
  target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
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
