#pragma once
// Builds the storage backend a run's storage_config names (run_config.json,
// grin-protocol.md 4.1). Called once at start-up, before any book is processed.
#include <grin/net/https_pool.hpp>
#include <grin/run/run_config.hpp>
#include <grin/storage/storage.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <filesystem>
#include <memory>

namespace grin::storage {

struct storage_services {
    // Where blocking file work runs (see local_storage).
    boost::asio::any_io_executor file_executor;
    // The run's shared pool, for S3-compatible stores (nullptr: local storage only).
    net::https_pool* pool = nullptr;
    // Where an S3 writer stages an object before uploading it (output/<run>/staging).
    std::filesystem::path staging_dir;
};

// local: config["base_path"] is required. s3, r2, minio: buckets, endpoint, region and
// credentials resolved as s3_credentials.hpp says (secrets never stored).
// Throws grin::fatal with a message saying what to change, for a missing base_path or
// bucket, missing credentials, an unsupported or unknown type. Touches no file.
std::unique_ptr<storage> make_storage(const run::storage_settings& settings,
                                      storage_services services);
// Local storage only (S3 types need the pool).
std::unique_ptr<storage> make_storage(const run::storage_settings& settings,
                                      boost::asio::any_io_executor file_executor);

} // namespace grin::storage
