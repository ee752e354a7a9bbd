#include <grin/api/tsv.hpp>
#include <grin/emulator/pages.hpp>

namespace grin::emulator {
namespace {

std::string html_date(const std::optional<grin_time>& t, const page_options& options) {
    if (!t) {
        return {};
    }
    return options.dates_with_time ? t->full() : t->date_only();
}

std::string full_or_empty(const std::optional<grin_time>& t) {
    return t ? t->full() : std::string();
}

void heading(std::string& out, std::initializer_list<std::string_view> names) {
    out += "<thead><tr class=\"heading\">\n";
    for (auto name : names) {
        if (name.empty()) {
            out += "  <td></td>\n";
        } else {
            out += "  <td><span class=\"hd3\">";
            out += html_escape(name);
            out += "</span></td>\n";
        }
    }
    out += "</tr></thead>\n";
}

void cell(std::string& out, std::string_view text) {
    out += "<td>";
    out += html_escape(text);
    out += "</td>";
}

void link_cell(std::string& out, const book& b) {
    if (b.google_books_id.empty()) {
        out += "<td></td>";
        return;
    }
    out += "<td><a href=\"";
    out += html_escape(b.google_books_link());
    out += "\">View</a></td>";
}

} // namespace

std::string_view list_path(list_kind kind) noexcept {
    switch (kind) {
    case list_kind::all_books:
        return "_all_books";
    case list_kind::converted:
        return "_converted";
    case list_kind::failed:
        return "_failed";
    }
    return "_all_books";
}

page_window paginate(std::uint64_t total,
                     std::int64_t result_count,
                     std::uint64_t first,
                     const page_options& options) {
    page_window w;
    if (first >= total) {
        w.begin = w.end = total;
        w.past_end = total > 0 || first > 0;
        return w;
    }
    w.begin = first;
    if (result_count <= 0) {
        w.end = total;
        return w;
    }
    auto count = static_cast<std::uint64_t>(result_count);
    w.end = total - first > count ? first + count : total;
    if (w.end < total || (options.next_when_full && w.end - w.begin == count)) {
        w.next_first = w.end;
    }
    return w;
}

std::string next_href(list_kind kind, std::int64_t result_count, std::uint64_t next_first) {
    return std::string(list_path(kind)) + "?result_count=" + std::to_string(result_count) +
           "&first=" + std::to_string(next_first);
}

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string render_html_list(list_kind kind,
                             std::span<const book> rows,
                             const std::optional<std::string>& next,
                             const page_options& options) {
    std::string out = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>GRIN</title>"
                      "</head><body>\n<table class=\"results\">\n";
    switch (kind) {
    case list_kind::all_books:
        heading(out, {"", "Barcode", "Title", "Status", "Scanned", "Analyzed", "Converted",
                      "Downloaded", "Processed", "OCR'd", "Google Books"});
        break;
    case list_kind::converted:
        heading(out, {"Filename", "Title", "Scanned", "Processed", "Analyzed", "Converted",
                      "Downloaded", "OCR'd", "Google Books"});
        break;
    case list_kind::failed:
        heading(out, {"Barcode", "Title", "Convert Failed Date", "Convert Failed Info",
                      "Detailed Convert Failed Info"});
        break;
    }
    out += "<tbody>\n";
    for (const auto& b : rows) {
        out += "<tr>";
        switch (kind) {
        case list_kind::all_books:
            out += "<td><input type=\"checkbox\" name=\"barcodes\" value=\"" +
                   html_escape(b.barcode) + "\"></td>";
            cell(out, b.barcode);
            cell(out, b.title);
            cell(out, b.state);
            cell(out, html_date(b.scanned, options));
            cell(out, html_date(b.analyzed, options));
            cell(out, html_date(b.converted_at, options));
            cell(out, html_date(b.downloaded, options));
            cell(out, html_date(b.processed, options));
            cell(out, html_date(b.ocr, options));
            link_cell(out, b);
            break;
        case list_kind::converted:
            cell(out, b.barcode + ".tar.gz.gpg");
            cell(out, b.title);
            cell(out, html_date(b.scanned, options));
            cell(out, html_date(b.processed, options));
            cell(out, html_date(b.analyzed, options));
            cell(out, html_date(b.converted_at, options));
            cell(out, html_date(b.downloaded, options));
            cell(out, html_date(b.ocr, options));
            link_cell(out, b);
            break;
        case list_kind::failed:
            cell(out, b.barcode);
            cell(out, b.title);
            cell(out, html_date(b.convert_failed, options));
            cell(out, b.convert_failed_info);
            cell(out, b.detailed_convert_failed_info);
            break;
        }
        out += "</tr>\n";
    }
    out += "</tbody>\n</table>\n";
    if (next) {
        out += "<a href=\"" + html_escape(*next) + "\">Next &gt;</a>\n";
    }
    out += "</body></html>\n";
    return out;
}

std::string render_unavailable_page() {
    return "<!DOCTYPE html>\n<html><head><title>GRIN</title></head><body>\n"
           "<div id=\"Main\"><p>Your request is unavailable.</p></div>\n</body></html>\n";
}

std::string render_text_list(list_kind kind, std::span<const book> rows, bool mode_all) {
    std::string out;
    for (const auto& b : rows) {
        switch (kind) {
        case list_kind::all_books:
            out += b.barcode;
            if (mode_all) {
                out += "\t" + b.title + "\t" + b.state + "\t" + full_or_empty(b.scanned) + "\t" +
                       full_or_empty(b.converted_at);
            }
            break;
        case list_kind::converted:
            out += b.barcode + ".tar.gz.gpg";
            break;
        case list_kind::failed:
            out +=
                b.barcode + "\t" + full_or_empty(b.convert_failed) + "\t" + b.convert_failed_info;
            break;
        }
        out += '\n';
    }
    return out;
}

std::string render_in_process(std::span<const std::string> barcodes, unsigned bare_every) {
    std::string out;
    std::size_t i = 0;
    for (const auto& barcode : barcodes) {
        ++i;
        out += barcode;
        if (bare_every == 0 || i % bare_every != 0) {
            out += ".tar.gz.gpg";
        }
        out += '\n';
    }
    return out;
}

std::string render_process_response(std::span<const std::pair<std::string, std::string>> rows) {
    std::string out = "Barcode\tStatus\n";
    for (const auto& [barcode, status] : rows) {
        out += barcode + "\t" + status + "\n";
    }
    return out;
}

std::vector<std::string> barcode_search_values(const book& b) {
    const auto& e = b.enrichment;
    auto opt = [](const std::optional<grin_time>& t) { return t ? t->full() : std::string(); };
    // Order of api::barcode_search_columns.
    return {b.barcode,
            opt(b.check_in),
            b.state,
            e.viewability,
            e.conditions,
            e.scannable,
            e.opted_out,
            e.tagging,
            e.audit,
            e.material_error,
            e.overall_error,
            opt(b.scanned),
            opt(b.processed),
            opt(b.analyzed),
            opt(b.converted_at),
            opt(e.allow_download_updated),
            opt(e.viewability_updated),
            e.source_library_bibkey,
            e.rubbish,
            opt(b.downloaded),
            e.claimed,
            e.ocr_gtd_score,
            e.ocr_analysis_score,
            e.digitization_method,
            opt(b.ocr)};
}

std::string render_barcode_search(std::span<const book> rows) {
    std::string out;
    for (auto column : api::barcode_search_columns) {
        if (!out.empty()) {
            out += '\t';
        }
        out += column;
    }
    out += '\n';
    for (const auto& b : rows) {
        auto values = barcode_search_values(b);
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (i > 0) {
                out += '\t';
            }
            out += values[i];
        }
        out += '\n';
    }
    return out;
}

} // namespace grin::emulator
