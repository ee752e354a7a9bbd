#include <grin/core/atomic_file.hpp>
#include <grin/core/error.hpp>
#include <grin/run/run_config.hpp>

#include <nlohmann/json.hpp>

namespace grin::run {
namespace {

using json = nlohmann::json;

json optional_value(const std::optional<std::string>& value) {
    return value ? json(*value) : json(nullptr);
}

std::optional<std::string> optional_string(const json& object, const char* key) {
    if (!object.contains(key) || object[key].is_null())
        return std::nullopt;
    return object[key].get<std::string>();
}

// Keys a run may be given in memory (--storage-config at runtime, for the S3 credentials
// chain) but that are never written: grin-transfer keeps secrets out of run_config.json
// (its #117), and so does this file.
json saved_storage_config(const std::map<std::string, std::string>& config) {
    json saved = json::object();
    for (const auto& [key, value] : config)
        if (key != "access_key" && key != "secret_key" && key != "session_token")
            saved[key] = value;
    return saved;
}

json to_json(const run_config& config) {
    const auto& s = config.sync;
    return {
        {"run_name", config.run_name},
        {"library_directory", config.library_directory},
        {"output_directory", config.output_directory},
        {"sqlite_db_path", config.sqlite_db_path},
        {"storage_config",
         {{"type", config.storage.type},
          {"protocol", config.storage.protocol()},
          {"config", saved_storage_config(config.storage.config)},
          {"prefix", config.storage.prefix}}},
        {"sync_config",
         {{"task_check_concurrency", s.task_check_concurrency},
          {"task_download_concurrency", s.task_download_concurrency},
          {"task_decrypt_concurrency", s.task_decrypt_concurrency},
          {"task_upload_concurrency", s.task_upload_concurrency},
          {"task_unpack_concurrency", s.task_unpack_concurrency},
          {"task_extract_marc_concurrency", s.task_extract_marc_concurrency},
          {"task_extract_ocr_concurrency", s.task_extract_ocr_concurrency},
          {"task_export_csv_concurrency", s.task_export_csv_concurrency},
          {"task_cleanup_concurrency", s.task_cleanup_concurrency},
          {"staging_dir", optional_value(s.staging_dir)},
          {"disk_space_threshold", s.disk_space_threshold},
          {"compression_full_enabled", s.compression_full_enabled},
          {"compression_meta_enabled", s.compression_meta_enabled}}},
        {"log_file", config.log_file},
        {"secrets_dir", optional_value(config.secrets_dir)},
        {"grin_base_url", config.grin_base_url},
        {"ca_file", optional_value(config.ca_file)},
    };
}

template <class T>
void read_into(const json& object, const char* key, T& target) {
    if (object.contains(key) && !object[key].is_null())
        target = object[key].get<T>();
}

run_config from_json(const json& document) {
    run_config config;
    read_into(document, "run_name", config.run_name);
    read_into(document, "library_directory", config.library_directory);
    read_into(document, "output_directory", config.output_directory);
    read_into(document, "sqlite_db_path", config.sqlite_db_path);
    read_into(document, "log_file", config.log_file);
    read_into(document, "grin_base_url", config.grin_base_url);
    config.secrets_dir = optional_string(document, "secrets_dir");
    config.ca_file = optional_string(document, "ca_file");
    if (document.contains("storage_config")) {
        const auto& storage = document["storage_config"];
        read_into(storage, "type", config.storage.type);
        read_into(storage, "prefix", config.storage.prefix);
        if (storage.contains("config"))
            for (const auto& [key, value] : storage["config"].items())
                if (value.is_string())
                    config.storage.config[key] = value.get<std::string>();
    }
    // Older configs lack keys: the defaults stand in, as grin-transfer's RunConfig does.
    if (document.contains("sync_config")) {
        const auto& sync = document["sync_config"];
        auto& s = config.sync;
        read_into(sync, "task_check_concurrency", s.task_check_concurrency);
        read_into(sync, "task_download_concurrency", s.task_download_concurrency);
        read_into(sync, "task_decrypt_concurrency", s.task_decrypt_concurrency);
        read_into(sync, "task_upload_concurrency", s.task_upload_concurrency);
        read_into(sync, "task_unpack_concurrency", s.task_unpack_concurrency);
        read_into(sync, "task_extract_marc_concurrency", s.task_extract_marc_concurrency);
        read_into(sync, "task_extract_ocr_concurrency", s.task_extract_ocr_concurrency);
        read_into(sync, "task_export_csv_concurrency", s.task_export_csv_concurrency);
        read_into(sync, "task_cleanup_concurrency", s.task_cleanup_concurrency);
        s.staging_dir = optional_string(sync, "staging_dir");
        read_into(sync, "disk_space_threshold", s.disk_space_threshold);
        read_into(sync, "compression_full_enabled", s.compression_full_enabled);
        read_into(sync, "compression_meta_enabled", s.compression_meta_enabled);
    }
    return config;
}

const json* find_dotted(const json& document, const std::string& key) {
    const json* node = &document;
    std::size_t start = 0;
    while (start <= key.size()) {
        auto dot = key.find('.', start);
        auto part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (!node->is_object() || !node->contains(part))
            return nullptr;
        node = &(*node)[part];
        if (dot == std::string::npos)
            break;
        start = dot + 1;
    }
    return node;
}

} // namespace

std::string storage_settings::protocol() const {
    return type == "local" ? "file" : "s3";
}

std::string sanitize_run_name(const std::string& requested) {
    std::string name;
    for (char c : requested)
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')
            name += c;
    if (name.empty())
        throw fatal("run name '" + requested +
                    "' has no usable characters (use letters, digits, '_' or '-')");
    return name;
}

std::filesystem::path run_directory(const std::filesystem::path& output_root,
                                    const std::string& run_name) {
    return output_root / run_name;
}

std::string to_json_text(const run_config& config) {
    return to_json(config).dump(2) + "\n";
}

run_config load_run_config(const std::filesystem::path& file) {
    std::string text;
    try {
        text = read_file(file);
    } catch (const grin::error& failure) {
        throw fatal(std::string(failure.what()) +
                    "; run 'grin collect' first to create the run, or check --run-name");
    }
    auto document = json::parse(text, nullptr, false);
    if (document.is_discarded() || !document.is_object())
        throw fatal(file.string() + " is not valid JSON; fix it by hand or start a new run");
    try {
        return from_json(document);
    } catch (const json::exception& failure) {
        throw fatal(file.string() + " has a value of the wrong type: " + failure.what());
    }
}

run_config open_run_config(const std::filesystem::path& file,
                           const run_config& wanted,
                           const std::set<std::string>& given) {
    if (!std::filesystem::exists(file)) {
        write_file_atomically(file, to_json_text(wanted));
        return wanted;
    }
    run_config stored = load_run_config(file);
    json stored_json = to_json(stored), wanted_json = to_json(wanted);
    std::string differences;
    for (const auto& key : given) {
        const json* have = find_dotted(stored_json, key);
        const json* want = find_dotted(wanted_json, key);
        if (!want)
            continue;
        if (!have || *have != *want)
            differences += "\n  " + key + ": stored " + (have ? have->dump() : "(absent)") +
                           ", given " + want->dump();
    }
    if (!differences.empty())
        throw fatal("run '" + stored.run_name +
                    "' was started with different settings:" + differences +
                    "\nThe run's settings are written once and never rewritten. "
                    "Either drop or correct these flags, edit " +
                    file.string() + " by hand, or choose a new --run-name.");
    return stored;
}

} // namespace grin::run
