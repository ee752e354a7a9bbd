# grin_module(<name> [DEPS <targets>...])
# Builds src/<name>/*.cpp into the static library grin_mod_<name>, alias grin::<name>.
# Each module is its own library so that a test of one module links (and rebuilds) only
# what it needs; grin_core (root CMakeLists.txt) is all of them together.
function(grin_module name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  add_library(grin_mod_${name} STATIC ${sources})
  add_library(grin::${name} ALIAS grin_mod_${name})
  target_include_directories(grin_mod_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(grin_mod_${name} PUBLIC ${ARG_DEPS} PRIVATE grin_settings)
  target_compile_definitions(grin_mod_${name} PUBLIC
    BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION
    BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)
endfunction()

# grin_test(<name> SOURCES <files>... LIBS <targets>... [LABELS <labels>...] [TIMEOUT s])
# One GoogleTest executable; each TEST becomes its own ctest entry.
function(grin_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} grin_test_support GTest::gtest GTest::gtest_main grin_settings)
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}"
    ENVIRONMENT "GRIN_BINARY_DIR=${PROJECT_BINARY_DIR};GRIN_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# grin_add_module_dirs(<glob>...): add_subdirectory() for every matching directory that has
# a CMakeLists.txt and whose name is a module in GRIN_ONLY (when GRIN_ONLY is set).
function(grin_add_module_dirs)
  file(GLOB dirs LIST_DIRECTORIES true ${ARGN})
  foreach(dir IN LISTS dirs)
    get_filename_component(module ${dir} NAME)
    if(GRIN_ONLY AND NOT module IN_LIST GRIN_ONLY)
      continue()
    endif()
    if(IS_DIRECTORY ${dir} AND EXISTS ${dir}/CMakeLists.txt)
      add_subdirectory(${dir})
    endif()
  endforeach()
endfunction()

# grin_fuzz_target(<name> SOURCES <files>... LIBS <targets>... [INCLUDES <dirs>...]
#                  [ARGS <libFuzzer flags>...] [SECONDS <n>])
# A libFuzzer executable (clang only, built when GRIN_FUZZ) and a bounded ctest run of it.
# Sources listed here are instrumented for coverage; code only linked in is not, so a
# target compiles the module sources it explores.
# Seeds: tests/fuzz/corpus/<name>/, checked in. An input that once crashed a target goes
# there too (named crash-<what>), so every later run replays it first.
# The ctest run lasts SECONDS (default 8): the five targets together stay near a minute.
function(grin_fuzz_target name)
  if(NOT (CMAKE_CXX_COMPILER_ID MATCHES Clang AND GRIN_FUZZ))
    return()
  endif()
  cmake_parse_arguments(ARG "" "SECONDS" "SOURCES;LIBS;INCLUDES;ARGS" ${ARGN})
  if(NOT ARG_SECONDS)
    set(ARG_SECONDS 8)
  endif()
  set(seeds ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  if(NOT IS_DIRECTORY ${seeds})
    message(FATAL_ERROR "fuzz target ${name} has no seed corpus at ${seeds}")
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/include ${ARG_INCLUDES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} grin_settings)
  # AddressSanitizer + UBSan on the fuzzed sources (unless the whole build has them): an
  # overread that does not crash is still a finding.
  set(sanitizers fuzzer)
  if(NOT GRIN_SANITIZE)
    set(sanitizers fuzzer,address,undefined)
  endif()
  # -O1 even in Debug builds: unoptimised code under ASan ran the CLI target at ~20 inputs/s.
  target_compile_options(${name} PRIVATE -fsanitize=${sanitizers} -fno-sanitize=function
                         -fno-sanitize-recover=undefined -fno-omit-frame-pointer -O1 -g)
  target_link_options(${name} PRIVATE -fsanitize=${sanitizers})
  # libFuzzer adds what it finds to the first corpus directory: a scratch one in the build
  # tree, so the checked-in seeds stay as written.
  set(work_corpus ${CMAKE_CURRENT_BINARY_DIR}/corpus)
  file(MAKE_DIRECTORY ${work_corpus})
  add_test(NAME ${name}
    COMMAND ${name} -max_total_time=${ARG_SECONDS} -rss_limit_mb=2048 ${ARG_ARGS}
            -artifact_prefix=${CMAKE_CURRENT_BINARY_DIR}/ ${work_corpus} ${seeds})
  math(EXPR cap "${ARG_SECONDS} * 4 + 30")
  set_tests_properties(${name} PROPERTIES TIMEOUT ${cap} LABELS fuzz)
endfunction()
