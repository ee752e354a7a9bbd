#pragma once
// Builds the storage backend a run's storage_config names (run_config.json,
// grin-protocol.md 4.1). Called once at start-up, before any book is processed.
#include <grin/run/run_config.hpp>
#include <grin/storage/storage.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <memory>

namespace grin::storage {

// local: config["base_path"] is required. s3, r2, minio: not supported by this version.
// `file_executor`: where blocking file work runs (see local_storage).
// Throws grin::fatal with a message saying what to change, for a missing base_path, an
// unsupported or unknown type. Touches no file.
std::unique_ptr<storage> make_storage(const run::storage_settings& settings,
                                      boost::asio::any_io_executor file_executor);

} // namespace grin::storage
