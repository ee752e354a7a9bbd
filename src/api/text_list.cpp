#include <grin/api/barcode.hpp>
#include <grin/api/text_list.hpp>

#include "text_util.hpp"

namespace grin::api {

text_list parse_text_list(std::string_view body) {
    text_list out;
    std::string_view rest = body;
    while (!rest.empty()) {
        auto line = detail::next_line(rest);
        line = detail::trim_ascii(line.substr(0, line.find('\t')));
        if (line.empty()) {
            continue;
        }
        if (detail::ends_with(line, detail::archive_suffix)) {
            line.remove_suffix(detail::archive_suffix.size());
        }
        if (is_valid_barcode(line)) {
            out.barcodes.emplace_back(line);
        } else {
            out.invalid.push_back(detail::sanitize_utf8(line.substr(0, 60)));
        }
    }
    return out;
}

} // namespace grin::api
