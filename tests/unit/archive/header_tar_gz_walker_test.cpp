// The header compiles on its own (it includes what it uses).
#include <grin/archive/tar_gz_walker.hpp>
