#include <grin/core/error.hpp>

namespace grin {

std::string describe(const std::string& message, const error_context& context) {
    std::string details;
    auto add = [&details](const char* key, const std::string& value) {
        if (value.empty())
            return;
        details += details.empty() ? "" : ", ";
        details += key;
        details += '=';
        details += value;
    };
    add("step", context.step);
    add("url", context.url);
    add("status", context.http_status ? std::to_string(*context.http_status) : std::string{});
    add("barcode", context.barcode);
    return details.empty() ? message : message + " (" + details + ")";
}

error::error(const std::string& what, error_context context)
    : std::runtime_error(describe(what, context)), message_(what), context_(std::move(context)) {}

} // namespace grin
