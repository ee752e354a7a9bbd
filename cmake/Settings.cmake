# grin_settings: flags for our own targets only (never for third-party code).
add_library(grin_settings INTERFACE)
target_compile_options(grin_settings INTERFACE -Wall -Wextra -Wpedantic)
if(GRIN_WERROR)
  target_compile_options(grin_settings INTERFACE -Werror)
endif()
target_compile_definitions(grin_settings INTERFACE
  BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION
  BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW
  GRIN_VERSION="${PROJECT_VERSION}")

if(GRIN_SANITIZE)
  # Applied globally so that the Asio/Beast object library matches our code.
  # -fno-sanitize=function: clang 14 cannot emit that check's prologue data for split
  # coroutine functions ("Cannot represent a difference across sections"); it only
  # catches calls through a mismatched function-pointer type.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize=function
                      -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
