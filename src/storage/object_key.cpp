#include <grin/core/error.hpp>
#include <grin/storage/object_key.hpp>

namespace grin::storage {
namespace {

constexpr std::size_t max_key_bytes = 1024;

// Why `key` is not a valid key, or nullptr. `allow_open_end`: a trailing '/' is allowed
// (a listing prefix naming a directory).
const char* key_problem(std::string_view key, bool allow_open_end) noexcept {
    if (key.size() > max_key_bytes)
        return "is longer than 1024 bytes";
    if (key.front() == '/')
        return "is an absolute path";
    for (char c : key) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f)
            return "contains a control character";
        if (c == '\\')
            return "contains a backslash";
    }
    std::size_t start = 0;
    while (start <= key.size()) {
        std::size_t end = key.find('/', start);
        if (end == std::string_view::npos)
            end = key.size();
        std::string_view segment = key.substr(start, end - start);
        if (segment.empty() && !(allow_open_end && end == key.size()))
            return "has an empty path segment";
        if (!segment.empty() && segment.front() == '.')
            return "has a segment starting with '.' (such as '..')";
        start = end + 1;
    }
    return nullptr;
}

} // namespace

std::string_view to_string(bucket_role role) noexcept {
    switch (role) {
    case bucket_role::raw:
        return "raw";
    case bucket_role::meta:
        return "meta";
    case bucket_role::full:
        return "full";
    }
    return "raw";
}

std::optional<bucket_role> parse_bucket_role(std::string_view name) noexcept {
    for (auto role : {bucket_role::raw, bucket_role::meta, bucket_role::full})
        if (name == to_string(role))
            return role;
    return std::nullopt;
}

bool is_valid_key(std::string_view key) noexcept {
    return !key.empty() && key_problem(key, false) == nullptr;
}

bool is_valid_key_prefix(std::string_view prefix) noexcept {
    return prefix.empty() || key_problem(prefix, true) == nullptr;
}

void require_valid_key(std::string_view key) {
    const char* problem = key.empty() ? "is empty" : key_problem(key, false);
    if (problem)
        throw error("invalid storage key '" + std::string(key) + "': it " + problem,
                    {.step = "storage"});
}

void require_valid_key_prefix(std::string_view prefix) {
    const char* problem = prefix.empty() ? nullptr : key_problem(prefix, true);
    if (problem)
        throw error("invalid storage prefix '" + std::string(prefix) + "': it " + problem,
                    {.step = "storage"});
}

object_key::object_key(bucket_role role, std::string key) : role_(role), key_(std::move(key)) {
    require_valid_key(key_);
}

std::string object_key::to_string() const {
    return std::string(storage::to_string(role_)) + "/" + key_;
}

} // namespace grin::storage
