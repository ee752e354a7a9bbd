#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/net/url.hpp>
#include <grin/storage/local_storage.hpp>
#include <grin/storage/make_storage.hpp>
#include <grin/storage/s3_credentials.hpp>
#include <grin/storage/s3_storage.hpp>

namespace grin::storage {

namespace {

bool is_loopback(const std::string& host) {
    return host == "localhost" || host == "::1" || host.starts_with("127.");
}

// Plain http to another machine is as visible as turning TLS verification off: the archives
// (and, for a leaked log, the signed request URLs) cross the network in clear. The keys
// themselves never travel (SigV4 signs, it does not send the secret).
void warn_if_cleartext(const std::string& type, const std::string& endpoint) {
    net::url parsed;
    try {
        parsed = net::parse_url(endpoint);
    } catch (const grin::error&) {
        return; // the client reports a malformed endpoint
    }
    if (parsed.scheme == "http" && !is_loopback(parsed.host))
        log::security_warning("the " + type + " endpoint " + endpoint +
                              " is plain http: archives and metadata travel unencrypted to " +
                              parsed.host +
                              "; use an https:// endpoint_url unless the network "
                              "between here and the store is trusted");
}

std::unique_ptr<storage> make_s3(const run::storage_settings& settings, storage_services services) {
    if (services.pool == nullptr)
        throw fatal("S3-compatible storage needs the run's connection pool (internal error)");
    s3_endpoint_settings endpoint = resolve_s3_endpoint(settings);
    s3_credentials credentials = resolve_s3_credentials(settings);
    log::info("storage: " + endpoint.describe() + "; credentials " + credentials.describe());
    s3_client_params client{.endpoint = endpoint.endpoint_url.value_or(
                                "https://s3." + endpoint.region + ".amazonaws.com"),
                            .region = endpoint.region,
                            .path_style = endpoint.path_style,
                            .credentials = {.access_key_id = credentials.access_key_id,
                                            .secret_access_key = credentials.secret_access_key,
                                            .session_token = credentials.session_token}};
    warn_if_cleartext(settings.type, client.endpoint);
    s3_storage_params params;
    params.buckets = {{bucket_role::raw, endpoint.buckets["raw"]},
                      {bucket_role::meta, endpoint.buckets["meta"]},
                      {bucket_role::full, endpoint.buckets["full"]}};
    params.raw_storage_class = endpoint.storage_class;
    params.staging_dir = services.staging_dir;
    params.description = settings.type + " storage: " + endpoint.describe();
    return std::make_unique<s3_storage>(std::make_unique<s3_client>(*services.pool, client),
                                        std::move(params), services.file_executor);
}

} // namespace

std::unique_ptr<storage> make_storage(const run::storage_settings& settings,
                                      storage_services services) {
    if (settings.type == "local") {
        auto base = settings.config.find("base_path");
        if (base == settings.config.end() || base->second.empty())
            throw fatal("local storage needs a base directory: pass --storage-path DIR (or "
                        "--storage-config base_path=DIR), or set storage_config.config."
                        "base_path in run_config.json");
        local_storage_params params{.base_path = base->second};
        return std::make_unique<local_storage>(std::move(params),
                                               std::move(services.file_executor));
    }
    if (settings.type == "gcs")
        throw fatal("Google Cloud Storage is not supported by this version; use --storage local, "
                    "s3, r2 or minio");
    if (settings.type == "s3" || settings.type == "r2" || settings.type == "minio")
        return make_s3(settings, std::move(services));
    throw fatal("unknown storage type '" + settings.type +
                "' in storage_config.type: use local, s3, r2 or minio");
}

std::unique_ptr<storage> make_storage(const run::storage_settings& settings,
                                      boost::asio::any_io_executor file_executor) {
    return make_storage(settings, storage_services{.file_executor = std::move(file_executor)});
}

} // namespace grin::storage
