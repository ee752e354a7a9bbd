// The header compiles on its own (it includes what it uses).
#include <grin/archive/gzip_writer.hpp>
