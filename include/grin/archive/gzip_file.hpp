#pragma once
// Compresses one file into another (gzip, level 1 like grin-transfer's CSV and database
// copies), writing the target atomically. Throws grin::error (step "compress") naming the
// file on any I/O failure. Blocking: call it on a worker thread.
#include <filesystem>

namespace grin::archive {

void gzip_file(const std::filesystem::path& source,
               const std::filesystem::path& target,
               int level = 1);

} // namespace grin::archive
