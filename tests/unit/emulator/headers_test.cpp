// Every public emulator header compiles on its own (style anchor 2).
#include <grin/emulator/archive_builder.hpp>
#include <grin/emulator/archive_cache.hpp>
#include <grin/emulator/archive_source.hpp>
#include <grin/emulator/catalogue.hpp>
#include <grin/emulator/credentials_writer.hpp>
#include <grin/emulator/faults.hpp>
#include <grin/emulator/library_state.hpp>
#include <grin/emulator/pages.hpp>
#include <grin/emulator/query.hpp>
#include <grin/emulator/router.hpp>
#include <grin/emulator/token_service.hpp>
#include <grin/emulator/types.hpp>
