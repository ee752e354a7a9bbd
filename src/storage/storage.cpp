#include <grin/core/error.hpp>
#include <grin/storage/storage.hpp>

namespace grin::storage {
namespace {

constexpr std::size_t max_metadata_bytes = 2048;

bool is_metadata_name(const std::string& name) {
    if (name.empty())
        return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    return true;
}

bool is_metadata_value(const std::string& value) {
    for (char c : value)
        if (c < 0x20 || c > 0x7e)
            return false;
    return true;
}

} // namespace

void require_valid_metadata(const metadata& meta) {
    std::size_t total = 0;
    for (const auto& [name, value] : meta) {
        if (!is_metadata_name(name))
            throw error("invalid storage metadata name '" + name +
                            "': use lower-case letters, digits, '_' and '-'",
                        {.step = "storage"});
        if (!is_metadata_value(value))
            throw error("invalid storage metadata value for '" + name +
                            "': only printable ASCII is stored",
                        {.step = "storage"});
        total += name.size() + value.size();
    }
    if (total > max_metadata_bytes)
        throw error("storage metadata too large: " + std::to_string(total) +
                        " bytes (at most 2048)",
                    {.step = "storage"});
}

boost::asio::awaitable<remove_many_result> storage::remove_many(std::vector<object_key> keys) {
    remove_many_result result;
    for (auto& key : keys) {
        try {
            auto removing = remove(key);
            if (co_await std::move(removing))
                ++result.removed;
            else
                ++result.missing;
        } catch (const error& failure) {
            result.failed.push_back({.key = std::move(key), .message = failure.what()});
        }
    }
    co_return result;
}

} // namespace grin::storage
