#include <grin/api/barcode.hpp>
#include <grin/api/tsv.hpp>

#include "text_util.hpp"

namespace grin::api {
namespace {

std::vector<std::string> split_tabs(std::string_view line) {
    std::vector<std::string> cells;
    std::size_t pos = 0;
    while (true) {
        auto tab = line.find('\t', pos);
        cells.emplace_back(line.substr(pos, tab == std::string_view::npos ? line.npos : tab - pos));
        if (tab == std::string_view::npos) {
            return cells;
        }
        pos = tab + 1;
    }
}

} // namespace

std::optional<std::string> enrichment_row::field(const std::string& header) const {
    auto it = fields.find(header);
    if (it == fields.end()) {
        return std::nullopt;
    }
    return it->second;
}

enrichment_table parse_barcode_search(std::string_view body) {
    enrichment_table table;
    auto text = detail::sanitize_utf8(detail::trim_ascii(body));
    std::string_view rest = text;
    bool first = true;
    while (!rest.empty()) {
        auto line = detail::next_line(rest);
        if (first) {
            first = false;
            for (auto& name : split_tabs(line)) {
                table.header.push_back(std::string(detail::trim_ascii(name)));
            }
            continue;
        }
        if (detail::trim_ascii(line).empty()) {
            continue;
        }
        auto cells = split_tabs(line);
        enrichment_row row;
        row.barcode = std::string(detail::trim_ascii(cells.front()));
        for (std::size_t i = 1; i < table.header.size(); ++i) {
            row.fields.emplace(table.header[i], i < cells.size() ? cells[i] : std::string());
        }
        if (is_valid_barcode(row.barcode)) {
            table.rows.push_back(std::move(row));
        } else {
            table.invalid_barcodes.push_back(std::move(row.barcode));
        }
    }
    return table;
}

} // namespace grin::api
