#include <grin/core/error.hpp>
#include <grin/storage/local_storage.hpp>
#include <grin/storage/make_storage.hpp>

namespace grin::storage {

std::unique_ptr<storage> make_storage(const run::storage_settings& settings,
                                      boost::asio::any_io_executor file_executor) {
    if (settings.type == "local") {
        auto base = settings.config.find("base_path");
        if (base == settings.config.end() || base->second.empty())
            throw fatal("local storage needs a base directory: pass --storage-path DIR (or "
                        "--storage-config base_path=DIR), or set storage_config.config."
                        "base_path in run_config.json");
        local_storage_params params{.base_path = base->second};
        return std::make_unique<local_storage>(std::move(params), std::move(file_executor));
    }
    if (settings.type == "gcs")
        throw fatal("Google Cloud Storage is not supported by this version; use --storage local");
    if (settings.type == "s3" || settings.type == "r2" || settings.type == "minio")
        throw fatal("S3-compatible storage ('" + settings.type +
                    "') is not supported by this version yet; use --storage local");
    throw fatal("unknown storage type '" + settings.type +
                "' in storage_config.type: use local, s3, r2 or minio");
}

} // namespace grin::storage
