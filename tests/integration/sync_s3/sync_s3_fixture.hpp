#pragma once
// sync_fixture with S3 storage: a test server from s3_servers.hpp (moto, moto checking
// signatures, s3rver), three buckets created on it by boto3, `grin collect --storage s3
// --bucket-raw/-meta/-full --storage-config endpoint_url=...` and the server's keys in
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY for every grin child; helpers that read the
// buckets back through boto3 (an independent client) and the expected bytes.
#include <grin/emulator/catalogue.hpp>
#include <grin/storage/digest.hpp>

#include "s3_servers.hpp"
#include "sync_fixture.hpp"

namespace grin::test {

class sync_s3_fixture : public sync_fixture {
public:
    std::unique_ptr<s3_server> server;
    const std::string bucket_raw = "grin-raw";
    const std::string bucket_meta = "grin-meta";
    const std::string bucket_full = "grin-full";

    // Points collect (and so the run's storage_config) at `endpoint` with the server's keys
    // (secret: another secret key, for the failure tests) and creates the three buckets.
    void use_server(const std::string& endpoint = {}, const std::string& secret = {}) {
        server->create_buckets({bucket_raw, bucket_meta, bucket_full});
        storage_args = {
            "--storage",        "s3",
            "--bucket-raw",     bucket_raw,
            "--bucket-meta",    bucket_meta,
            "--bucket-full",    bucket_full,
            "--storage-config", "endpoint_url=" + (endpoint.empty() ? server->endpoint : endpoint)};
        extra_env = server->grin_environment(secret);
    }

    std::string barcode(std::uint64_t index) const {
        return emulator::catalogue(shape.catalogue()).barcode_at(index);
    }
    std::string archive_key(const std::string& barcode) const {
        return run_name + "/" + barcode + ".tar.gz";
    }
    std::string ocr_key(const std::string& barcode) const {
        return run_name + "/" + barcode + "_ocr.jsonl.gz";
    }

    // sha256 of the plaintext archive the emulator serves for book `index`.
    std::string expected_sha256(std::uint64_t index) {
        return storage::sha256_hex(expected_archive(index));
    }

    // barcode -> column `column` of table books.
    std::map<std::string, std::string> books_column(const std::string& column) {
        SQLite::Database db(database().string(), SQLite::OPEN_READONLY);
        SQLite::Statement query(db, "SELECT barcode, COALESCE(" + column + ", '') FROM books");
        std::map<std::string, std::string> values;
        while (query.executeStep())
            values[query.getColumn(0).getString()] = query.getColumn(1).getString();
        return values;
    }

    // Keys of `bucket` in an inventory answer.
    static std::vector<std::string> keys_of(const nlohmann::json& inventory,
                                            const std::string& bucket) {
        std::vector<std::string> keys;
        for (const auto& [key, entry] : inventory.at(bucket).items())
            keys.push_back(key);
        return keys;
    }
};

} // namespace grin::test
