#include <grin/api/barcode.hpp>
#include <grin/api/process_response.hpp>
#include <grin/core/error.hpp>

#include <cctype>

#include "text_util.hpp"

namespace grin::api {
namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

bool contains(const std::string& text, std::string_view part) noexcept {
    return text.find(part) != std::string::npos;
}

std::string excerpt(std::string_view text) {
    return detail::sanitize_utf8(text.substr(0, 80));
}

} // namespace

process_outcome classify_process_status(std::string_view status) noexcept {
    try {
        auto s = lower(detail::trim_ascii(status));
        if (s == "success") {
            return process_outcome::requested;
        }
        if (contains(s, "already")) {
            if (contains(s, "available for download")) {
                return process_outcome::already_available;
            }
            if (contains(s, "process") || contains(s, "convert")) {
                return process_outcome::in_process;
            }
        }
        return process_outcome::unavailable;
    } catch (...) {
        return process_outcome::unavailable;
    }
}

std::string_view to_string(process_outcome outcome) noexcept {
    switch (outcome) {
    case process_outcome::requested:
        return "requested";
    case process_outcome::already_available:
        return "already_available";
    case process_outcome::in_process:
        return "in_process";
    case process_outcome::unavailable:
        return "unavailable";
    }
    return "unavailable";
}

std::vector<process_entry> parse_process_response(std::string_view body) {
    std::vector<process_entry> entries;
    std::string_view rest = detail::trim_ascii(body);
    bool header = true;
    while (!rest.empty()) {
        auto line = detail::next_line(rest);
        if (header) {
            auto tab = line.find('\t');
            auto first = lower(detail::trim_ascii(line.substr(0, tab)));
            auto second = tab == std::string_view::npos
                              ? std::string()
                              : lower(detail::trim_ascii(line.substr(tab + 1)));
            if (first != "barcode" || second != "status") {
                throw error("unexpected _process answer header '" + excerpt(line) + "'",
                            {.step = "parse"});
            }
            header = false;
            continue;
        }
        if (detail::trim_ascii(line).empty()) {
            continue;
        }
        auto tab = line.find('\t');
        if (tab == std::string_view::npos || line.find('\t', tab + 1) != std::string_view::npos) {
            throw error("_process row without exactly two fields: '" + excerpt(line) + "'",
                        {.step = "parse"});
        }
        process_entry entry;
        entry.barcode = std::string(detail::trim_ascii(line.substr(0, tab)));
        entry.status = detail::sanitize_utf8(detail::trim_ascii(line.substr(tab + 1)));
        entry.outcome = classify_process_status(entry.status);
        if (!is_valid_barcode(entry.barcode)) {
            throw error("_process row with an invalid barcode: '" + excerpt(line) + "'",
                        {.step = "parse"});
        }
        entries.push_back(std::move(entry));
    }
    if (header) {
        throw error("empty _process answer", {.step = "parse"});
    }
    return entries;
}

process_entry parse_single_process_response(std::string_view body, std::string_view barcode) {
    auto entries = parse_process_response(body);
    if (entries.size() != 1 || entries.front().barcode != barcode) {
        throw error("_process answer has " + std::to_string(entries.size()) +
                        " rows, expected one for the requested barcode",
                    {.step = "parse", .barcode = std::string(barcode)});
    }
    return std::move(entries.front());
}

} // namespace grin::api
