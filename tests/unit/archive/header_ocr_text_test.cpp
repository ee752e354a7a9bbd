// The header compiles on its own (it includes what it uses).
#include <grin/archive/ocr_text.hpp>
