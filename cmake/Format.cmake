find_program(GRIN_CLANG_FORMAT NAMES clang-format-14 clang-format)
if(GRIN_CLANG_FORMAT)
  file(GLOB_RECURSE GRIN_FORMAT_FILES CONFIGURE_DEPENDS
    ${PROJECT_SOURCE_DIR}/include/*.hpp ${PROJECT_SOURCE_DIR}/src/*.cpp ${PROJECT_SOURCE_DIR}/src/*.hpp
    ${PROJECT_SOURCE_DIR}/tests/*.cpp ${PROJECT_SOURCE_DIR}/tests/*.hpp ${PROJECT_SOURCE_DIR}/bench/*.cpp)
  add_custom_target(format COMMAND ${GRIN_CLANG_FORMAT} -i ${GRIN_FORMAT_FILES} VERBATIM)
  add_custom_target(check_format COMMAND ${GRIN_CLANG_FORMAT} --dry-run -Werror ${GRIN_FORMAT_FILES} VERBATIM)
endif()
