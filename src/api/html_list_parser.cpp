#include <grin/api/barcode.hpp>
#include <grin/api/html_list_parser.hpp>
#include <grin/api/next_link.hpp>

#include <climits>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cstring>
#include <memory>
#include <mutex>

#include "text_util.hpp"

namespace grin::api {
namespace {

struct doc_deleter {
    void operator()(xmlDoc* doc) const noexcept { xmlFreeDoc(doc); }
};
using doc_ptr = std::unique_ptr<xmlDoc, doc_deleter>;

bool is_element(const xmlNode* node, const char* name) noexcept {
    return node->type == XML_ELEMENT_NODE && node->name != nullptr &&
           xmlStrcasecmp(node->name, reinterpret_cast<const xmlChar*>(name)) == 0;
}

std::string attribute(const xmlNode* node, const char* name) {
    xmlChar* value = xmlGetProp(node, reinterpret_cast<const xmlChar*>(name));
    if (value == nullptr) {
        return {};
    }
    std::string out(reinterpret_cast<const char*>(value));
    xmlFree(value);
    return out;
}

bool has_class(const xmlNode* node, std::string_view wanted) {
    auto classes = attribute(node, "class");
    std::size_t pos = 0;
    while (pos < classes.size()) {
        auto end = classes.find_first_of(" \t\n\r\f", pos);
        if (end == std::string::npos) {
            end = classes.size();
        }
        if (std::string_view(classes).substr(pos, end - pos) == wanted) {
            return true;
        }
        pos = end + 1;
    }
    return false;
}

// Document-order walk without recursion: the parser bounds depth, but a fuzzer finds
// the bound, and a stack is cheap.
template <typename Visit>
void walk(xmlNode* root, Visit&& visit) {
    xmlNode* node = root;
    while (node != nullptr) {
        bool descend = visit(node);
        if (descend && node->children != nullptr) {
            node = node->children;
            continue;
        }
        while (node != nullptr && node != root && node->next == nullptr) {
            node = node->parent;
        }
        if (node == nullptr || node == root) {
            break;
        }
        node = node->next;
    }
}

void append_text(xmlNode* node, std::string& out) {
    walk(node, [&](xmlNode* n) {
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content != nullptr) {
                out.append(reinterpret_cast<const char*>(n->content));
            }
            return false;
        }
        // Block boundaries separate words on screen, so they do here.
        for (const char* block : {"td", "th", "tr", "table", "div", "p", "br", "li"}) {
            if (is_element(n, block)) {
                out += ' ';
                break;
            }
        }
        // Script and style bodies are not visible text.
        return !(is_element(n, "script") || is_element(n, "style"));
    });
}

std::string visible_text(xmlNode* node) {
    std::string raw;
    append_text(node, raw);
    return detail::collapse_whitespace(raw);
}

const xmlNode* nearest_ancestor(const xmlNode* node, const char* name) {
    for (auto* p = node->parent; p != nullptr; p = p->parent) {
        if (is_element(p, name)) {
            return p;
        }
    }
    return nullptr;
}

// Cells of `row`: td/th descendants whose nearest tr is `row` itself, so a cell of a
// table nested in a cell is not a column.
std::vector<xmlNode*> cells_of(xmlNode* row) {
    std::vector<xmlNode*> cells;
    walk(row, [&](xmlNode* n) {
        if (n == row) {
            return true;
        }
        if (is_element(n, "tr") || is_element(n, "table")) {
            return false;
        }
        if (is_element(n, "td") || is_element(n, "th")) {
            cells.push_back(n);
            return false;
        }
        return true;
    });
    return cells;
}

std::string heading_name(xmlNode* cell) {
    xmlNode* span = nullptr;
    walk(cell, [&](xmlNode* n) {
        if (span != nullptr) {
            return false;
        }
        if (is_element(n, "span") && has_class(n, "hd3")) {
            span = n;
            return false;
        }
        return true;
    });
    return normalise_header_key(visible_text(span != nullptr ? span : cell));
}

std::optional<std::string> first_href(xmlNode* cell) {
    std::optional<std::string> href;
    walk(cell, [&](xmlNode* n) {
        if (href) {
            return false;
        }
        if (is_element(n, "a")) {
            auto value = detail::collapse_whitespace(attribute(n, "href"));
            if (!value.empty()) {
                href = std::move(value);
                return false;
            }
        }
        return true;
    });
    return href;
}

void parse_row(xmlNode* row, const std::vector<std::string>& headers, list_page& page) {
    auto cells = cells_of(row);
    if (cells.size() < 2) {
        return;
    }
    list_row out;
    std::string filename_barcode;
    for (std::size_t i = 0; i < cells.size() && i < headers.size(); ++i) {
        const auto& key = headers[i];
        if (key.empty()) {
            continue;
        }
        auto text = visible_text(cells[i]);
        std::string value;
        if (key == "barcode") {
            if (out.barcode.empty()) {
                out.barcode = text;
            }
            value = text;
        } else if (key == "filename") {
            if (detail::ends_with(text, detail::archive_suffix) && filename_barcode.empty()) {
                filename_barcode = text.substr(0, text.size() - detail::archive_suffix.size());
            }
            value = text;
        } else if (auto href = first_href(cells[i])) {
            value = std::move(*href);
        } else {
            value = std::move(text);
        }
        if (!value.empty()) {
            out.values.emplace(key, std::move(value));
        }
    }
    if (out.barcode.empty()) {
        out.barcode = std::move(filename_barcode);
    }
    if (out.barcode.empty()) {
        ++page.rows_without_barcode;
    } else if (!is_valid_barcode(out.barcode)) {
        page.invalid_barcodes.push_back(std::move(out.barcode));
    } else {
        page.rows.push_back(std::move(out));
    }
}

constexpr std::string_view unavailable_marker = "Your request is unavailable";

} // namespace

const std::string* list_row::find(const std::string& key) const {
    auto it = values.find(key);
    return it == values.end() ? nullptr : &it->second;
}

std::string normalise_header_key(std::string_view header) {
    std::string out;
    for (char c : detail::collapse_whitespace(header)) {
        if (c == '\'') {
            continue;
        }
        if (c == ' ' || c == '-') {
            out += '_';
        } else if (c >= 'A' && c <= 'Z') {
            out += static_cast<char>(c - 'A' + 'a');
        } else {
            out += c;
        }
    }
    return out;
}

list_page parse_list_page(std::string_view html) {
    static std::once_flag init;
    std::call_once(init, [] { xmlInitParser(); });

    list_page page;
    page.unavailable = html.find(unavailable_marker) != std::string_view::npos;

    auto clean = detail::sanitize_utf8(html);
    if (clean.empty() || clean.size() > static_cast<std::size_t>(INT_MAX)) {
        return page;
    }
    constexpr int options =
        HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING;
    doc_ptr doc(
        htmlReadMemory(clean.data(), static_cast<int>(clean.size()), nullptr, "UTF-8", options));
    if (!doc) {
        return page;
    }
    xmlNode* root = xmlDocGetRootElement(doc.get());
    if (root == nullptr) {
        return page;
    }

    xmlNode* heading = nullptr;
    std::vector<xmlNode*> rows;
    std::string all_text;
    walk(root, [&](xmlNode* n) {
        if (is_element(n, "tr")) {
            if (heading == nullptr && has_class(n, "heading")) {
                heading = n;
            }
            rows.push_back(n);
        } else if (is_element(n, "a") && !page.next_href) {
            auto href = detail::collapse_whitespace(attribute(n, "href"));
            auto label = visible_text(n) + " " + attribute(n, "title");
            if (is_next_link(href, label)) {
                page.next_href = std::move(href);
            }
        } else if (n->type == XML_TEXT_NODE && n->content != nullptr && !page.unavailable) {
            all_text.append(reinterpret_cast<const char*>(n->content));
        }
        return true;
    });
    // The marker split by markup ("Your request is <b>unavailable</b>") still counts.
    if (!page.unavailable &&
        detail::collapse_whitespace(all_text).find(unavailable_marker) != std::string::npos) {
        page.unavailable = true;
    }
    if (heading == nullptr) {
        return page;
    }
    page.has_table = true;
    for (auto* cell : cells_of(heading)) {
        page.headers.push_back(heading_name(cell));
    }
    const xmlNode* table = nearest_ancestor(heading, "table");
    for (auto* row : rows) {
        if (row == heading || has_class(row, "heading") ||
            nearest_ancestor(row, "table") != table) {
            continue;
        }
        parse_row(row, page.headers, page);
    }
    return page;
}

} // namespace grin::api
