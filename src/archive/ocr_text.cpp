#include <grin/archive/ocr_text.hpp>

#include <nlohmann/json.hpp>

namespace grin::archive {
namespace {

void append_replacement(std::string& out) {
    out += "\xEF\xBF\xBD";
}

// Length of the valid UTF-8 sequence at `s[i]`, or 0 when invalid; `prefix` gets the
// length of its longest valid prefix (the maximal subpart that one U+FFFD replaces).
std::size_t utf8_sequence(std::string_view s, std::size_t i, std::size_t& prefix) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char lead = byte(i);
    prefix = 1;
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF; // allowed range of the second byte
    if (lead < 0x80) {
        return 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) {
            low = 0xA0; // no overlongs
        } else if (lead == 0xED) {
            high = 0x9F; // no surrogates
        }
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) {
            low = 0x90;
        } else if (lead == 0xF4) {
            high = 0x8F; // nothing above U+10FFFF
        }
    } else {
        return 0; // 0x80..0xC1, 0xF5..0xFF
    }
    for (std::size_t k = 1; k < length; ++k) {
        if (i + k >= s.size()) {
            return 0;
        }
        unsigned char c = byte(i + k);
        unsigned char lo = k == 1 ? low : 0x80;
        unsigned char hi = k == 1 ? high : 0xBF;
        if (c < lo || c > hi) {
            return 0;
        }
        prefix = k + 1;
    }
    return length;
}

} // namespace

std::string_view base_name(std::string_view member_name) noexcept {
    auto slash = member_name.rfind('/');
    return slash == std::string_view::npos ? member_name : member_name.substr(slash + 1);
}

bool is_text_member(std::string_view member_name) noexcept {
    auto name = base_name(member_name);
    return name.size() >= 4 && name.substr(name.size() - 4) == ".txt";
}

std::optional<std::uint32_t> page_number(std::string_view member_name) noexcept {
    auto name = base_name(member_name);
    if (name.size() != 12 || name.substr(8) != ".txt") {
        return std::nullopt;
    }
    std::uint32_t value = 0;
    for (char c : name.substr(0, 8)) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (value < 1 || value > 999'999) {
        return std::nullopt;
    }
    return value;
}

std::string decode_page_text(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    std::size_t i = 0;
    while (i < raw.size()) {
        char c = raw[i];
        if (c == '\r') {
            out += '\n';
            i += (i + 1 < raw.size() && raw[i + 1] == '\n') ? 2 : 1;
            continue;
        }
        std::size_t prefix = 0;
        std::size_t length = utf8_sequence(raw, i, prefix);
        if (length == 0) {
            append_replacement(out);
            i += prefix;
        } else {
            out.append(raw.substr(i, length));
            i += length;
        }
    }
    return out;
}

std::string ocr_json_line(std::string_view text) {
    // nlohmann's dump escapes exactly what json.dumps(ensure_ascii=False) escapes:
    // '"', '\\', the short forms \b \f \n \r \t, other C0 controls as lowercase \u00xx.
    std::string line = nlohmann::json(std::string(text)).dump();
    line += '\n';
    return line;
}

} // namespace grin::archive
