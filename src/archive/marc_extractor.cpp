#include <grin/archive/marc_extractor.hpp>

#include <pugixml.hpp>

#include <algorithm>
#include <cstring>

namespace grin::archive {
namespace {

constexpr std::string_view mets_ns = "http://www.loc.gov/METS/";
constexpr std::string_view slim_ns = "http://www.loc.gov/MARC21/slim";

constexpr std::array<std::string_view, 17> columns{
    "marc_control_number",   "marc_date_type",      "marc_date_1",          "marc_date_2",
    "marc_language",         "marc_lccn",           "marc_lc_call_number",  "marc_isbn",
    "marc_oclc_numbers",     "marc_title",          "marc_title_remainder", "marc_author_personal",
    "marc_author_corporate", "marc_author_meeting", "marc_subjects",        "marc_genres",
    "marc_general_note"};

std::string_view prefix_of(std::string_view qname) {
    auto colon = qname.find(':');
    return colon == std::string_view::npos ? std::string_view{} : qname.substr(0, colon);
}

std::string_view local_of(std::string_view qname) {
    auto colon = qname.find(':');
    return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

// The namespace URI of an element: the nearest xmlns[:prefix] declaration above it.
std::string_view namespace_of(pugi::xml_node node) {
    auto prefix = prefix_of(node.name());
    std::string attribute = prefix.empty() ? "xmlns" : "xmlns:" + std::string(prefix);
    for (auto n = node; n && n.type() == pugi::node_element; n = n.parent()) {
        if (auto a = n.attribute(attribute.c_str())) {
            return a.value();
        }
    }
    return {};
}

bool is(pugi::xml_node node, std::string_view ns, std::string_view local) {
    return node.type() == pugi::node_element && local_of(node.name()) == local &&
           namespace_of(node) == ns;
}

// ElementTree's .text: character data before the first child element (comments and
// processing instructions do not interrupt it).
std::string element_text(pugi::xml_node node) {
    std::string text;
    for (auto child : node.children()) {
        if (child.type() == pugi::node_element) {
            break;
        }
        if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
            text += child.value();
        }
    }
    return text;
}

// Length of the Python-whitespace code point at s[i] (ASCII whitespace, 0x1C-0x1F and the
// Unicode spaces str.strip removes), or 0.
std::size_t space_at(std::string_view s, std::size_t i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F)) {
        return 1;
    }
    static constexpr std::string_view wide[] = {
        "\xC2\x85",     "\xC2\xA0",     "\xE1\x9A\x80", "\xE2\x80\x80", "\xE2\x80\x81",
        "\xE2\x80\x82", "\xE2\x80\x83", "\xE2\x80\x84", "\xE2\x80\x85", "\xE2\x80\x86",
        "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89", "\xE2\x80\x8A", "\xE2\x80\xA8",
        "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80"};
    for (auto w : wide) {
        if (s.substr(i, w.size()) == w) {
            return w.size();
        }
    }
    return 0;
}

std::string strip(std::string_view s) {
    std::size_t begin = 0;
    while (begin < s.size()) {
        auto n = space_at(s, begin);
        if (n == 0) {
            break;
        }
        begin += n;
    }
    std::size_t end = s.size();
    while (end > begin) {
        // Try each possible code point length ending at `end`.
        std::size_t n = 0;
        for (std::size_t len = 1; len <= 3 && len <= end - begin; ++len) {
            if (space_at(s, end - len) == len) {
                n = len;
                break;
            }
        }
        if (n == 0) {
            break;
        }
        end -= n;
    }
    return std::string(s.substr(begin, end - begin));
}

std::optional<std::string> non_empty(std::string s) {
    if (s.empty()) {
        return std::nullopt;
    }
    return s;
}

class record_reader {
public:
    explicit record_reader(pugi::xml_node record) : record_(record) {}

    std::optional<std::string> control(std::string_view tag) const {
        for (auto child : record_.children()) {
            if (is(child, slim_ns, "controlfield") && tag == child.attribute("tag").value()) {
                return element_text(child);
            }
        }
        return std::nullopt;
    }

    // Every stripped, non-empty $code of every `tag` data field, in document order.
    std::vector<std::string> subfields(std::string_view tag, std::string_view code) const {
        std::vector<std::string> values;
        for (auto field : record_.children()) {
            if (!is(field, slim_ns, "datafield") || tag != field.attribute("tag").value()) {
                continue;
            }
            for (auto sub : field.children()) {
                if (is(sub, slim_ns, "subfield") && code == sub.attribute("code").value()) {
                    if (auto value = strip(element_text(sub)); !value.empty()) {
                        values.push_back(std::move(value));
                    }
                }
            }
        }
        return values;
    }

    std::optional<std::string> first(std::string_view tag, std::string_view code) const {
        auto values = subfields(tag, code);
        if (values.empty()) {
            return std::nullopt;
        }
        return values.front();
    }

private:
    pugi::xml_node record_;
};

std::optional<std::string> joined(const std::vector<std::string>& values) {
    std::string out;
    for (const auto& v : values) {
        if (!out.empty()) {
            out += ", ";
        }
        out += v;
    }
    return non_empty(std::move(out));
}

std::vector<std::string> without_trailing_dots(std::vector<std::string> values) {
    std::vector<std::string> out;
    for (auto& v : values) {
        while (!v.empty() && v.back() == '.') {
            v.pop_back();
        }
        if (!v.empty()) {
            out.push_back(std::move(v));
        }
    }
    return out;
}

std::optional<std::string> year(std::string_view f008, std::size_t at) {
    auto value = f008.substr(at, 4);
    bool digits =
        std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || value == "9999") {
        return std::nullopt;
    }
    return std::string(value);
}

pugi::xml_node find_record(const pugi::xml_document& doc) {
    auto root = doc.document_element();
    for (auto node = root.first_child(); node;) {
        if (is(node, mets_ns, "dmdSec")) {
            for (auto wrap : node.children()) {
                if (!is(wrap, mets_ns, "mdWrap")) {
                    continue;
                }
                for (auto data : wrap.children()) {
                    if (!is(data, mets_ns, "xmlData")) {
                        continue;
                    }
                    for (auto record : data.children()) {
                        if (is(record, slim_ns, "record")) {
                            return record;
                        }
                    }
                }
            }
        }
        // Document-order walk of root's descendants, without recursion (deep documents
        // must not exhaust the stack).
        if (node.first_child()) {
            node = node.first_child();
            continue;
        }
        while (node && node != root && !node.next_sibling()) {
            node = node.parent();
        }
        if (!node || node == root) {
            break;
        }
        node = node.next_sibling();
    }
    return {};
}

} // namespace

const std::array<std::string_view, 17>& marc_columns() noexcept {
    return columns;
}

std::size_t marc_result::field_count() const noexcept {
    return static_cast<std::size_t>(std::count_if(
        fields.begin(), fields.end(), [](const marc_field& f) { return f.value.has_value(); }));
}

marc_result extract_marc(std::string_view mets_xml) {
    marc_result result;
    for (auto column : columns) {
        result.fields.push_back({std::string(column), std::nullopt});
    }
    pugi::xml_document doc;
    auto parsed =
        doc.load_buffer(mets_xml.data(), mets_xml.size(), pugi::parse_default, pugi::encoding_auto);
    if (!parsed) {
        result.problem = std::string("METS is not well-formed XML: ") + parsed.description() +
                         " at offset " + std::to_string(parsed.offset);
        return result;
    }
    auto record = find_record(doc);
    if (!record) {
        result.problem = "no MARC record (mets:dmdSec/mdWrap/xmlData/slim:record) in METS";
        return result;
    }
    result.found = true;
    record_reader r(record);
    auto set = [&](std::string_view column, std::optional<std::string> value) {
        for (auto& f : result.fields) {
            if (f.column == column) {
                f.value = std::move(value);
            }
        }
    };
    if (auto id = r.control("001")) {
        set("marc_control_number", non_empty(strip(*id)));
    }
    if (auto f008 = r.control("008"); f008 && f008->size() >= 40) {
        if ((*f008)[6] != ' ') {
            set("marc_date_type", std::string(1, (*f008)[6]));
        }
        set("marc_date_1", year(*f008, 7));
        set("marc_date_2", year(*f008, 11));
        set("marc_language", non_empty(strip(f008->substr(35, 3))));
    }
    set("marc_lccn", r.first("010", "a"));
    set("marc_lc_call_number", joined(r.subfields("050", "a")));
    set("marc_isbn", joined(r.subfields("020", "a")));
    std::vector<std::string> oclc;
    for (auto& v : r.subfields("035", "a")) {
        if (v.find("(OCoLC)") != std::string::npos) {
            oclc.push_back(std::move(v));
        }
    }
    set("marc_oclc_numbers", joined(oclc));
    set("marc_title", r.first("245", "a"));
    set("marc_title_remainder", r.first("245", "b"));
    set("marc_author_personal", r.first("100", "a"));
    set("marc_author_corporate", r.first("110", "a"));
    set("marc_author_meeting", r.first("111", "a"));
    set("marc_subjects", joined(without_trailing_dots(r.subfields("650", "a"))));
    set("marc_genres", joined(without_trailing_dots(r.subfields("655", "a"))));
    set("marc_general_note", joined(r.subfields("500", "a")));
    return result;
}

} // namespace grin::archive
