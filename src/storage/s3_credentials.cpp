#include <grin/auth/credentials.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/core/secret_file.hpp>
#include <grin/storage/s3_credentials.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

namespace grin::storage {
namespace {

namespace fs = std::filesystem;

constexpr std::array<std::string_view, 8> storage_classes = {
    "STANDARD", "STANDARD_IA", "ONEZONE_IA",   "INTELLIGENT_TIERING",
    "GLACIER",  "GLACIER_IR",  "DEEP_ARCHIVE", "REDUCED_REDUNDANCY"};

constexpr const char* minio_default_endpoint = "http://localhost:9000";
constexpr const char* minio_default_access_key = "minioadmin";
constexpr const char* minio_default_secret_key = "minioadmin123";

// ---- small helpers -------------------------------------------------------------------------

std::optional<std::string> env(const char* name) {
    const char* value = std::getenv(name);
    if (value && *value)
        return std::string(value);
    return std::nullopt;
}

std::optional<std::string> setting(const run::storage_settings& settings, const char* key) {
    auto found = settings.config.find(key);
    if (found == settings.config.end() || found->second.empty())
        return std::nullopt;
    return found->second;
}

std::string trim(std::string_view text) {
    auto first = text.find_first_not_of(" \t\r\n\f\v");
    if (first == std::string_view::npos)
        return {};
    auto last = text.find_last_not_of(" \t\r\n\f\v");
    return std::string(text.substr(first, last - first + 1));
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string upper(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return text;
}

fs::path home_dir() {
    auto home = env("HOME");
    return home ? fs::path(*home) : fs::path(".");
}

fs::path expand_user(const std::string& text) {
    if (text == "~")
        return home_dir();
    if (text.starts_with("~/"))
        return home_dir() / text.substr(2);
    return text;
}

// A path as messages show it: under $HOME as ~/...
std::string shown(const fs::path& file) {
    std::string text = file.string();
    if (auto home = env("HOME"); home && *home != "/") {
        std::string prefix = *home;
        if (!prefix.ends_with('/'))
            prefix += '/';
        if (text.starts_with(prefix))
            return "~/" + text.substr(prefix.size());
    }
    return text;
}

bool file_exists(const fs::path& file) {
    std::error_code ignored;
    return fs::exists(file, ignored);
}

std::string read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw fatal("cannot read " + shown(file) + " (" + std::strerror(errno) +
                    "): check that it is a file you can read");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        throw fatal("cannot read " + shown(file) + ": read error");
    return text.str();
}

secret_file s3_key_file(const fs::path& file) {
    return {.path = file,
            .holds = "S3 keys",
            .shown = shown(file),
            .rotate_hint = "replace the keys in the Cloudflare dashboard"};
}

// An AWS shared file is only warned about, even when everyone can read it: the AWS CLI
// and botocore accept such files, and refusing here would break a working setup.
void warn_if_readable_by_others(const fs::path& file) {
    if (auto exposure = exposure_of(file); exposure != file_exposure::none)
        log::warning(exposure_message(s3_key_file(file), exposure));
}

// ---- INI files (~/.aws/credentials, ~/.aws/config) ---------------------------------------

using ini_section = std::map<std::string, std::string>;

struct ini_file {
    fs::path path;
    std::map<std::string, ini_section> sections;
};

// "[ profile   x ]" -> "profile x"
std::string section_name(std::string_view text) {
    std::istringstream words{std::string(text)};
    std::string word, name;
    while (words >> word)
        name += (name.empty() ? "" : " ") + word;
    return name;
}

// A '#' or ';' after whitespace starts a comment (keys never contain whitespace).
std::string strip_inline_comment(const std::string& value) {
    for (std::size_t i = 1; i < value.size(); ++i)
        if ((value[i] == '#' || value[i] == ';') && (value[i - 1] == ' ' || value[i - 1] == '\t'))
            return trim(std::string_view(value).substr(0, i));
    return value;
}

std::size_t indent_of(const std::string& line) {
    auto first = line.find_first_not_of(" \t");
    return first == std::string::npos ? line.size() : first;
}

// The AWS shared-file dialect (configparser, as botocore reads it): [section] headers,
// "key = value" or "key: value" with any spacing, keys case-insensitive, full-line comments
// starting with '#' or ';', and lines indented deeper than their key continuing its value
// (nested settings such as "s3 =\n  addressing_style = path"), which are skipped here.
// Malformed lines get a warning naming the line number, never its text (it may be a key).
// nullopt when the file does not exist.
std::optional<ini_file> read_ini(const fs::path& path) {
    if (!file_exists(path))
        return std::nullopt;
    std::istringstream in(read_text(path));
    ini_file result{path, {}};
    ini_section* current = nullptr;
    std::optional<std::size_t> key_indent; // indent of the last key line in this section
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (number == 1 && line.starts_with("\xEF\xBB\xBF"))
            line.erase(0, 3);
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        auto text = trim(line);
        if (text.empty() || text[0] == '#' || text[0] == ';')
            continue;
        auto indent = indent_of(line);
        if (key_indent && indent > *key_indent)
            continue; // continuation of the previous value
        if (text[0] == '[') {
            auto close = text.find(']');
            if (close == std::string::npos) {
                log::warning(shown(path) + " line " + std::to_string(number) +
                             ": section header without ']' (ignored, with the lines under it)");
                current = nullptr;
            } else {
                current =
                    &result.sections[section_name(std::string_view(text).substr(1, close - 1))];
            }
            key_indent.reset();
            continue;
        }
        auto delimiter = text.find_first_of("=:");
        if (!current || delimiter == std::string::npos || delimiter == 0) {
            log::warning(shown(path) + " line " + std::to_string(number) + ": " +
                         (current ? "not 'key = value'" : "a setting outside any [section]") +
                         " (ignored)");
            continue;
        }
        auto key = lower(trim(std::string_view(text).substr(0, delimiter)));
        (*current)[key] = strip_inline_comment(trim(std::string_view(text).substr(delimiter + 1)));
        key_indent = indent;
    }
    return result;
}

std::optional<std::string> ini_value(const ini_section& section, const char* key) {
    auto found = section.find(key);
    if (found == section.end() || found->second.empty())
        return std::nullopt;
    return found->second;
}

// ---- AWS shared files: which files, which profile ----------------------------------------

struct aws_files {
    std::string profile;
    bool profile_from_env = false;
    fs::path credentials;
    fs::path config;
};

aws_files locate_aws_files() {
    aws_files files;
    if (auto name = env("AWS_PROFILE")) {
        files.profile = *name;
        files.profile_from_env = true;
    } else if (auto legacy = env("AWS_DEFAULT_PROFILE")) {
        files.profile = *legacy;
        files.profile_from_env = true;
    } else {
        files.profile = "default";
    }
    auto credentials = env("AWS_SHARED_CREDENTIALS_FILE");
    files.credentials =
        credentials ? expand_user(*credentials) : home_dir() / ".aws" / "credentials";
    auto config = env("AWS_CONFIG_FILE");
    files.config = config ? expand_user(*config) : home_dir() / ".aws" / "config";
    return files;
}

// The profile's section: [name] in the credentials file; [profile name] in the config file,
// where the default profile is [default] (or [profile default]).
const ini_section*
find_profile(const ini_file& file, const std::string& profile, bool config_file) {
    std::vector<std::string> names;
    if (!config_file)
        names = {profile};
    else if (profile == "default")
        names = {"default", "profile default"};
    else
        names = {"profile " + profile};
    for (const auto& name : names)
        if (auto found = file.sections.find(name); found != file.sections.end())
            return &found->second;
    return nullptr;
}

std::string profile_header(const std::string& profile, bool config_file) {
    return (config_file && profile != "default") ? "[profile " + profile + "]"
                                                 : "[" + profile + "]";
}

// A hint when the profile is there under the other file's syntax.
std::string wrong_syntax_hint(const ini_file& file, const std::string& profile, bool config_file) {
    if (profile == "default")
        return {};
    if (config_file && file.sections.contains(profile))
        return " (it has [" + profile +
               "], but in the config file a profile's section is [profile " + profile + "])";
    if (!config_file && file.sections.contains("profile " + profile))
        return " (it has [profile " + profile +
               "], but in the credentials file a profile's section is [" + profile + "])";
    return {};
}

std::optional<std::string> profile_region(const aws_files& files) {
    auto config = read_ini(files.config);
    if (!config)
        return std::nullopt;
    const auto* section = find_profile(*config, files.profile, true);
    return section ? ini_value(*section, "region") : std::nullopt;
}

// ---- grin-transfer's r2_credentials.json --------------------------------------------------

struct r2_location {
    fs::path path;
    bool named = false; // storage config credentials_file (must exist)
};

std::optional<r2_location> locate_r2_file(const run::storage_settings& settings) {
    if (auto named = setting(settings, "credentials_file"))
        return r2_location{expand_user(*named), true};
    if (settings.type == "r2")
        return r2_location{auth::credentials_dir() / "r2_credentials.json", false};
    return std::nullopt;
}

constexpr const char* r2_file_format =
    "{\"endpoint_url\": \"https://<account id>.r2.cloudflarestorage.com\", \"access_key\": "
    "\"<key id>\", \"secret_key\": \"<secret>\"} (optional: bucket_raw, bucket_meta, bucket_full)";

// nullopt when an unnamed file does not exist. The messages never quote the file's text:
// a JSON error is reported by byte offset only.
std::optional<nlohmann::json> read_r2_file(const r2_location& where) {
    if (!file_exists(where.path)) {
        if (where.named)
            throw fatal("the credentials file " + shown(where.path) +
                        " (storage config credentials_file) does not exist: create it as " +
                        r2_file_format + ", or correct credentials_file");
        return std::nullopt;
    }
    auto text = read_text(where.path);
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& failure) {
        throw fatal(shown(where.path) + " is not valid JSON (error near byte " +
                    std::to_string(failure.byte) + "); it should read " + r2_file_format);
    }
    if (!document.is_object())
        throw fatal(shown(where.path) + " is not a JSON object; it should read " + r2_file_format);
    return document;
}

std::optional<std::string>
json_string(const nlohmann::json& document, const char* key, const fs::path& file) {
    if (!document.contains(key) || document[key].is_null())
        return std::nullopt;
    if (!document[key].is_string())
        throw fatal(shown(file) + ": \"" + key + "\" must be a string");
    auto value = document[key].get<std::string>();
    if (value.empty())
        return std::nullopt;
    return value;
}

// ---- endpoint checks ---------------------------------------------------------------------

std::string checked_endpoint(std::string url, const std::string& origin) {
    auto scheme_end = url.find("://");
    auto scheme =
        scheme_end == std::string::npos ? std::string() : lower(url.substr(0, scheme_end));
    bool has_host = scheme_end != std::string::npos && scheme_end + 3 < url.size() &&
                    url[scheme_end + 3] != '/';
    bool has_space = url.find_first_of(" \t\r\n") != std::string::npos;
    if ((scheme != "http" && scheme != "https") || !has_host || has_space)
        throw fatal("endpoint_url '" + url + "' (from " + origin +
                    ") is not an http:// or https:// URL with a host, e.g. "
                    "https://<account id>.r2.cloudflarestorage.com or http://localhost:9000");
    while (url.size() > scheme_end + 4 && url.back() == '/')
        url.pop_back();
    return url;
}

// botocore's check for bucket names (s3 handlers VALID_BUCKET, without ARNs).
bool valid_bucket_name(const std::string& name) {
    if (name.empty() || name.size() > 255)
        return false;
    return std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '-' || c == '_';
    });
}

void require_s3_type(const run::storage_settings& settings) {
    if (settings.type != "s3" && settings.type != "r2" && settings.type != "minio")
        throw fatal("storage type '" + settings.type +
                    "' is not an S3-compatible store (expected s3, r2 or minio)");
}

std::string join(const std::vector<std::string>& parts, const char* separator) {
    std::string result;
    for (const auto& part : parts)
        result += (result.empty() ? "" : separator) + part;
    return result;
}

} // namespace

// ---- describe ----------------------------------------------------------------------------

std::string s3_credentials::describe() const {
    std::string key = access_key_id.size() >= 8 ? access_key_id.substr(0, 4) + "..." : "****";
    return "from " + source + ", access key " + key +
           (session_token ? " (with session token)" : "");
}

std::string s3_endpoint_settings::describe() const {
    std::string text = type + " at " + endpoint_url.value_or("AWS") + ", region " + region +
                       (path_style ? ", path-style" : ", virtual-hosted");
    std::string names;
    for (const char* role : {"raw", "meta", "full"})
        if (auto found = buckets.find(role); found != buckets.end())
            names += std::string(" ") + role + "=" + found->second;
    if (!names.empty())
        text += ", buckets" + names;
    if (storage_class)
        text += ", raw storage class " + *storage_class;
    return text;
}

bool is_s3_storage_class(const std::string& name) {
    return std::find(storage_classes.begin(), storage_classes.end(), name) != storage_classes.end();
}

// ---- endpoint ----------------------------------------------------------------------------

s3_endpoint_settings resolve_s3_endpoint(const run::storage_settings& settings) {
    require_s3_type(settings);
    s3_endpoint_settings result;
    result.type = settings.type;

    std::optional<nlohmann::json> r2_document;
    auto r2_file = locate_r2_file(settings);
    if (r2_file)
        r2_document = read_r2_file(*r2_file);
    auto from_r2_file = [&](const char* key) -> std::optional<std::string> {
        if (!r2_document || settings.type != "r2")
            return std::nullopt;
        return json_string(*r2_document, key, r2_file->path);
    };

    // Endpoint.
    if (auto url = setting(settings, "endpoint_url"))
        result.endpoint_url = checked_endpoint(*url, "storage config endpoint_url");
    else if (auto s3_url = env("AWS_ENDPOINT_URL_S3"))
        result.endpoint_url = checked_endpoint(*s3_url, "AWS_ENDPOINT_URL_S3");
    else if (auto any_url = env("AWS_ENDPOINT_URL"))
        result.endpoint_url = checked_endpoint(*any_url, "AWS_ENDPOINT_URL");
    else if (auto file_url = from_r2_file("endpoint_url"))
        result.endpoint_url = checked_endpoint(*file_url, shown(r2_file->path));
    else if (settings.type == "minio")
        result.endpoint_url = minio_default_endpoint;
    if (settings.type == "r2" && !result.endpoint_url)
        throw fatal("r2 storage needs its endpoint, https://<account id>.r2.cloudflarestorage.com: "
                    "pass --storage-config endpoint_url=URL, or put \"endpoint_url\" into " +
                    (r2_file ? shown(r2_file->path) : std::string("r2_credentials.json")) +
                    " (looked at: storage config endpoint_url, AWS_ENDPOINT_URL_S3, "
                    "AWS_ENDPOINT_URL" +
                    (r2_file ? ", " + shown(r2_file->path) : std::string()) + ")");

    // Region.
    if (auto region = setting(settings, "region"))
        result.region = *region;
    else if (auto aws_region = env("AWS_REGION"))
        result.region = *aws_region;
    else if (auto default_region = env("AWS_DEFAULT_REGION"))
        result.region = *default_region;
    else if (auto from_profile = profile_region(locate_aws_files()))
        result.region = *from_profile;
    else
        result.region = settings.type == "r2" ? "auto" : "us-east-1";

    // Addressing.
    auto style = lower(setting(settings, "addressing_style").value_or("auto"));
    if (style != "auto" && style != "path" && style != "virtual")
        throw fatal("storage config addressing_style must be auto, path or virtual, not '" + style +
                    "'");
    result.path_style = style == "path" || (style == "auto" && result.endpoint_url.has_value());

    // Buckets.
    std::vector<std::string> missing;
    for (const char* role : {"raw", "meta", "full"}) {
        std::string key = std::string("bucket_") + role;
        std::optional<std::string> name = setting(settings, key.c_str());
        if (!name)
            name = from_r2_file(key.c_str());
        if (!name && settings.type == "minio")
            name = std::string("grin-") + role;
        if (!name) {
            missing.push_back("--" + std::string("bucket-") + role);
            continue;
        }
        if (!valid_bucket_name(*name))
            throw fatal("bucket name '" + *name + "' (" + key +
                        ") may hold only letters, digits, '.', '-' and '_' (1 to 255 characters)");
        result.buckets[role] = *name;
    }
    if (!missing.empty())
        throw fatal(
            settings.type + " storage needs three buckets; missing: " + join(missing, ", ") +
            " (or storage config bucket_raw/bucket_meta/bucket_full" +
            (settings.type == "r2" ? ", or the same keys in r2_credentials.json" : "") + ")");

    // Storage class of the raw bucket's objects.
    if (auto wanted = setting(settings, "storage_class")) {
        auto name = upper(trim(*wanted));
        std::vector<std::string> allowed;
        if (settings.type == "r2")
            allowed = {"STANDARD", "STANDARD_IA"};
        else if (settings.type == "minio")
            allowed = {"STANDARD", "REDUCED_REDUNDANCY"};
        else
            allowed.assign(storage_classes.begin(), storage_classes.end());
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
            throw fatal("storage_class '" + *wanted + "' is not one " + settings.type +
                        " accepts; use one of " + join(allowed, ", "));
        result.storage_class = name;
    }
    return result;
}

// ---- credentials -------------------------------------------------------------------------

s3_credentials resolve_s3_credentials(const run::storage_settings& settings) {
    require_s3_type(settings);
    std::vector<std::string> looked;
    std::optional<s3_credentials> found;
    auto half_pair = [](const std::string& where, const std::string& present,
                        const std::string& absent) {
        return fatal(where + " has " + present + " but no " + absent +
                     ": give both (or neither, to let the next place supply them)");
    };

    // 1. Keys given for this run only (never written to run_config.json).
    {
        auto id = setting(settings, "access_key");
        auto secret = setting(settings, "secret_key");
        if (id && secret)
            found = s3_credentials{*id, *secret, setting(settings, "session_token"), "config"};
        else if (id || secret)
            throw half_pair("the storage config", id ? "access_key" : "secret_key",
                            id ? "secret_key" : "access_key");
        else
            looked.push_back("storage config access_key / secret_key: not given");
    }

    // 2. Environment.
    if (!found) {
        auto id = env("AWS_ACCESS_KEY_ID");
        auto secret = env("AWS_SECRET_ACCESS_KEY");
        if (id && secret) {
            auto token = env("AWS_SESSION_TOKEN");
            if (!token)
                token = env("AWS_SECURITY_TOKEN");
            found = s3_credentials{*id, *secret, token, "environment"};
        } else if (id || secret) {
            throw half_pair("the environment", id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                            id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
        } else {
            looked.push_back("environment AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: not set");
        }
    }

    // 3. AWS shared credentials file, then shared config file.
    auto files = locate_aws_files();
    std::optional<fs::path> aws_key_file; // the AWS shared file the keys came from
    if (!found) {
        for (bool config_file : {false, true}) {
            const auto& path = config_file ? files.config : files.credentials;
            auto header = profile_header(files.profile, config_file);
            auto file = read_ini(path);
            if (!file) {
                looked.push_back(shown(path) + ": not found");
                continue;
            }
            const auto* section = find_profile(*file, files.profile, config_file);
            if (!section) {
                looked.push_back(shown(path) + ": no " + header + " section" +
                                 wrong_syntax_hint(*file, files.profile, config_file));
                continue;
            }
            auto id = ini_value(*section, "aws_access_key_id");
            auto secret = ini_value(*section, "aws_secret_access_key");
            if (id && secret) {
                auto token = ini_value(*section, "aws_session_token");
                if (!token)
                    token = ini_value(*section, "aws_security_token");
                found = s3_credentials{*id, *secret, token,
                                       "profile " + files.profile + " (" + shown(path) + ")"};
                aws_key_file = path;
                break;
            }
            if (id || secret)
                throw half_pair(shown(path) + " " + header,
                                id ? "aws_access_key_id" : "aws_secret_access_key",
                                id ? "aws_secret_access_key" : "aws_access_key_id");
            std::string note = shown(path) + ": " + header + " has no aws_access_key_id";
            for (const char* other : {"role_arn", "credential_process", "sso_session",
                                      "sso_start_url", "web_identity_token_file"})
                if (section->contains(other)) {
                    note += std::string(" (it uses ") + other +
                            ", which grin-sync cannot use: give the profile static keys)";
                    break;
                }
            looked.push_back(note);
        }
    }

    // 4. grin-transfer's r2_credentials.json.
    auto r2_file = locate_r2_file(settings);
    if (!found && r2_file) {
        auto document = read_r2_file(*r2_file);
        if (!document) {
            looked.push_back(shown(r2_file->path) + ": not found");
        } else {
            auto id = json_string(*document, "access_key", r2_file->path);
            auto secret = json_string(*document, "secret_key", r2_file->path);
            // grin-transfer's own file: the shared policy (world refused, group warned).
            if (id || secret)
                check_secret_exposure(s3_key_file(r2_file->path), exposure_of(r2_file->path));
            if (id && secret) {
                found = s3_credentials{*id, *secret, std::nullopt,
                                       "r2_credentials.json (" + shown(r2_file->path) + ")"};
            } else if (id || secret) {
                throw half_pair(shown(r2_file->path), id ? "\"access_key\"" : "\"secret_key\"",
                                id ? "\"secret_key\"" : "\"access_key\"");
            } else {
                looked.push_back(shown(r2_file->path) + ": has no \"access_key\" / \"secret_key\"");
            }
        }
    } else if (found && r2_file && found->source != "config" && file_exists(r2_file->path)) {
        // The keys in grin-transfer's file lose to the environment or an AWS profile; say so,
        // since an R2 user with AWS keys in the environment would otherwise sign with those.
        nlohmann::json document;
        try {
            document = nlohmann::json::parse(read_text(r2_file->path), nullptr, false);
        } catch (const fatal&) {
            // unreadable: nothing to warn about
        }
        if (document.is_object() && document.contains("access_key"))
            log::warning("the keys in " + shown(r2_file->path) + " are not used: keys from " +
                         found->source + " come first" +
                         (found->source == "environment"
                              ? " (unset AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to use the "
                                "file)"
                              : ""));
    }

    // 5. MinIO's well-known defaults.
    if (!found && settings.type == "minio") {
        found = s3_credentials{minio_default_access_key, minio_default_secret_key, std::nullopt,
                               "minio defaults"};
    }

    if (!found) {
        std::string message =
            "no S3 credentials found for " + settings.type + " storage. Looked at, in order:";
        for (std::size_t i = 0; i < looked.size(); ++i)
            message += "\n  " + std::to_string(i + 1) + ". " + looked[i];
        auto header = profile_header(files.profile, false);
        message += "\nTo fix, do one of:"
                   "\n  - export AWS_ACCESS_KEY_ID=<key id> AWS_SECRET_ACCESS_KEY=<secret>"
                   "\n  - add aws_access_key_id and aws_secret_access_key to " +
                   header + " in " + shown(files.credentials) + ", then chmod 600 " +
                   shown(files.credentials);
        if (files.profile_from_env)
            message += " (the profile comes from AWS_PROFILE=" + files.profile + ")";
        else
            message += " (or set AWS_PROFILE to a profile that has them)";
        if (r2_file)
            message += "\n  - write " + shown(r2_file->path) + " as " + r2_file_format +
                       ", then chmod 600 " + shown(r2_file->path);
        throw fatal(message);
    }

    // Longest first: the redactor replaces in registration order, so a key id that is part
    // of the secret (minioadmin / minioadmin123) must not go first.
    std::vector<std::string> secrets = {found->secret_access_key, found->access_key_id};
    if (found->session_token)
        secrets.push_back(*found->session_token);
    std::stable_sort(secrets.begin(), secrets.end(),
                     [](const auto& a, const auto& b) { return a.size() > b.size(); });
    for (auto& secret : secrets)
        log::add_secret(std::move(secret));
    if (aws_key_file) // an r2 file was checked where it was read
        warn_if_readable_by_others(*aws_key_file);
    log::info("S3 credentials " + found->describe());
    return *found;
}

} // namespace grin::storage
