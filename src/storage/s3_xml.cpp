#include <grin/core/error.hpp>
#include <grin/storage/s3_xml.hpp>

#include <pugixml.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>

namespace grin::storage::s3 {
namespace {

constexpr std::size_t excerpt_bytes = 120;
// parse_ws_pcdata: a key of spaces only is a valid S3 key, and pugixml drops
// whitespace-only text unless told otherwise.
constexpr unsigned parse_options = pugi::parse_default | pugi::parse_ws_pcdata;
constexpr int max_part_number = 10000;
constexpr int min_year = 1900;
constexpr int max_year = 2200;

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is not valid
// (overlong forms, surrogates and code points above U+10FFFF are not).
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char lead = byte(i);
    if (lead < 0x80)
        return 1;
    std::size_t length;
    unsigned min_second = 0x80, max_second = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        if (lead == 0xe0)
            min_second = 0xa0; // overlong
        if (lead == 0xed)
            max_second = 0x9f; // surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        if (lead == 0xf0)
            min_second = 0x90; // overlong
        if (lead == 0xf4)
            max_second = 0x8f; // above U+10FFFF
    } else {
        return 0;
    }
    if (i + length > text.size())
        return 0;
    if (byte(i + 1) < min_second || byte(i + 1) > max_second)
        return 0;
    for (std::size_t k = 2; k < length; ++k)
        if (byte(i + k) < 0x80 || byte(i + k) > 0xbf)
            return 0;
    return length;
}

bool is_valid_utf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        std::size_t length = utf8_sequence(text, i);
        if (length == 0)
            return false;
        i += length;
    }
    return true;
}

// Text for a message: valid UTF-8 kept, control characters and broken bytes as '?',
// at most `limit` bytes of the input.
std::string printable(std::string_view text, std::size_t limit) {
    std::string out;
    std::size_t end = std::min(text.size(), limit);
    for (std::size_t i = 0; i < end;) {
        std::size_t length = utf8_sequence(text, i);
        if (length == 0 || i + length > end) {
            out += '?';
            ++i;
            continue;
        }
        auto c = static_cast<unsigned char>(text[i]);
        if (length == 1 && (c < 0x20 || c == 0x7f))
            out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : '?';
        else
            out.append(text.substr(i, length));
        i += length;
    }
    if (text.size() > limit)
        out += "...";
    return out;
}

[[noreturn]] void
malformed(std::string_view operation, const std::string& problem, std::string_view body) {
    throw error("malformed S3 " + std::string(operation) + " response: " + problem +
                    "; body starts: \"" + printable(body, excerpt_bytes) + "\"",
                {.step = "storage"});
}

std::string_view local_name(const pugi::xml_node& node) {
    std::string_view name = node.name();
    auto colon = name.rfind(':');
    return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// The one top-level element, or an empty node when there is none or more than one.
pugi::xml_node document_root(const pugi::xml_document& doc) {
    pugi::xml_node root;
    for (auto node : doc.children()) {
        if (node.type() != pugi::node_element)
            continue;
        if (root)
            return {};
        root = node;
    }
    return root;
}

// Parses `body`; throws (via malformed) unless it is well-formed with one root element.
void load(pugi::xml_document& doc, std::string_view body, std::string_view operation) {
    auto result = doc.load_buffer(body.data(), body.size(), parse_options, pugi::encoding_utf8);
    if (!result)
        malformed(operation,
                  std::string("not well-formed XML (") + result.description() + " at byte " +
                      std::to_string(result.offset) + ")",
                  body);
    if (!document_root(doc))
        malformed(operation, "not exactly one root element", body);
}

pugi::xml_node root_named(const pugi::xml_document& doc,
                          std::string_view expected,
                          std::string_view operation,
                          std::string_view body) {
    auto root = document_root(doc);
    if (local_name(root) != expected)
        malformed(operation,
                  "root element is <" + printable(root.name(), 64) + ">, expected <" +
                      std::string(expected) + ">",
                  body);
    return root;
}

pugi::xml_node child(const pugi::xml_node& parent, std::string_view name) {
    for (auto node : parent.children())
        if (node.type() == pugi::node_element && local_name(node) == name)
            return node;
    return {};
}

// The element's character data: its text and CDATA children joined (pugixml's
// child_value() stops at the first one).
std::string text_of(const pugi::xml_node& node) {
    std::string out;
    for (auto part : node.children())
        if (part.type() == pugi::node_pcdata || part.type() == pugi::node_cdata)
            out += part.value();
    return out;
}

std::optional<std::string> optional_text(const pugi::xml_node& parent, std::string_view name) {
    auto node = child(parent, name);
    if (!node)
        return std::nullopt;
    return text_of(node);
}

std::string text_or_empty(const pugi::xml_node& parent, std::string_view name) {
    return optional_text(parent, name).value_or(std::string{});
}

std::string_view trim(std::string_view text) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!text.empty() && space(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && space(text.back()))
        text.remove_suffix(1);
    return text;
}

std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
    text = trim(text);
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

std::optional<bool> parse_bool(std::string_view text) {
    text = trim(text);
    if (text == "true")
        return true;
    if (text == "false")
        return false;
    return std::nullopt;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// encoding-type=url values: form encoding, as botocore decodes them (unquote_plus).
std::optional<std::string> url_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%') {
            if (i + 2 >= text.size())
                return std::nullopt;
            int high = hex_value(text[i + 1]), low = hex_value(text[i + 2]);
            if (high < 0 || low < 0)
                return std::nullopt;
            out += static_cast<char>(high * 16 + low);
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

int parse_digits(std::string_view text, std::size_t at, std::size_t count, bool& ok) {
    int value = 0;
    if (at + count > text.size()) {
        ok = false;
        return 0;
    }
    for (std::size_t i = at; i < at + count; ++i) {
        if (text[i] < '0' || text[i] > '9') {
            ok = false;
            return 0;
        }
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

bool is_xml_safe(std::string_view text) {
    if (!is_valid_utf8(text))
        return false;
    return std::none_of(text.begin(), text.end(), [](char c) {
        auto byte = static_cast<unsigned char>(c);
        return byte < 0x20 || byte == 0x7f;
    });
}

struct string_writer final : pugi::xml_writer {
    std::string out;
    void write(const void* data, std::size_t size) override {
        out.append(static_cast<const char*>(data), size);
    }
};

pugi::xml_node start_document(pugi::xml_document& doc, const char* root_name) {
    auto declaration = doc.append_child(pugi::node_declaration);
    declaration.append_attribute("version") = "1.0";
    declaration.append_attribute("encoding") = "UTF-8";
    auto root = doc.append_child(root_name);
    root.append_attribute("xmlns") = "http://s3.amazonaws.com/doc/2006-03-01/";
    return root;
}

std::string to_string(const pugi::xml_document& doc) {
    string_writer writer;
    doc.save(writer, "", pugi::format_raw, pugi::encoding_utf8);
    return std::move(writer.out);
}

[[noreturn]] void bad_build(const std::string& what) {
    throw error("cannot build the S3 request body: " + what, {.step = "storage"});
}

} // namespace

std::optional<system_time> parse_iso8601(std::string_view text) {
    using namespace std::chrono;
    text = trim(text);
    bool ok = true;
    // YYYY-MM-DDTHH:MM:SS
    if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
        (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':')
        return std::nullopt;
    int y = parse_digits(text, 0, 4, ok), mo = parse_digits(text, 5, 2, ok),
        d = parse_digits(text, 8, 2, ok), h = parse_digits(text, 11, 2, ok),
        mi = parse_digits(text, 14, 2, ok), s = parse_digits(text, 17, 2, ok);
    // The year bound keeps the time inside system_clock's range (nanoseconds: 1678-2262).
    if (!ok || y < min_year || y > max_year || h > 23 || mi > 59 || s > 60)
        return std::nullopt;
    year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!date.ok())
        return std::nullopt;
    std::size_t at = 19;
    nanoseconds fraction{0};
    if (at < text.size() && text[at] == '.') {
        ++at;
        std::size_t digits = 0;
        std::int64_t nanos = 0;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
            if (digits < 9) {
                nanos = nanos * 10 + (text[at] - '0');
                ++digits;
            }
            ++at;
        }
        if (digits == 0)
            return std::nullopt;
        for (std::size_t k = digits; k < 9; ++k)
            nanos *= 10;
        fraction = nanoseconds{nanos};
    }
    minutes offset{0};
    std::string_view zone = text.substr(at);
    if (zone == "Z" || zone == "z") {
    } else if ((zone.size() == 6 && zone[3] == ':') || zone.size() == 5) {
        if (zone[0] != '+' && zone[0] != '-')
            return std::nullopt;
        int zh = parse_digits(zone, 1, 2, ok);
        int zm = parse_digits(zone, zone.size() == 6 ? 4 : 3, 2, ok);
        if (!ok || zh > 23 || zm > 59)
            return std::nullopt;
        offset = hours{zh} + minutes{zm};
        if (zone[0] == '-')
            offset = -offset;
    } else {
        return std::nullopt;
    }
    auto local = sys_days{date} + hours{h} + minutes{mi} + seconds{s} + fraction;
    return time_point_cast<system_clock::duration>(local - offset);
}

std::string describe(const error_body& error) {
    std::string out = error.code.empty() ? "unknown S3 error" : printable(error.code, 128);
    if (!error.message.empty())
        out += ": " + printable(error.message, 512);
    std::string details;
    auto add = [&details](const char* name, const std::string& value) {
        if (value.empty())
            return;
        details += details.empty() ? "" : ", ";
        details += name;
        details += '=';
        details += printable(value, 1024);
    };
    add("key", error.key);
    add("bucket", error.bucket_name);
    add("resource", error.resource);
    add("request id", error.request_id);
    return details.empty() ? out : out + " (" + details + ")";
}

std::optional<error_body> parse_error(std::string_view body) {
    pugi::xml_document doc;
    if (!doc.load_buffer(body.data(), body.size(), parse_options, pugi::encoding_utf8))
        return std::nullopt;
    auto root = document_root(doc);
    if (!root || local_name(root) != "Error")
        return std::nullopt;
    error_body error;
    error.code = text_or_empty(root, "Code");
    error.message = text_or_empty(root, "Message");
    error.key = text_or_empty(root, "Key");
    error.bucket_name = text_or_empty(root, "BucketName");
    error.resource = text_or_empty(root, "Resource");
    error.request_id = text_or_empty(root, "RequestId");
    error.host_id = text_or_empty(root, "HostId");
    return error;
}

list_objects_result parse_list_objects_v2(std::string_view body) {
    constexpr std::string_view op = "ListObjectsV2";
    pugi::xml_document doc;
    load(doc, body, op);
    auto root = root_named(doc, "ListBucketResult", op, body);

    bool url_encoded = false;
    if (auto encoding = optional_text(root, "EncodingType")) {
        if (trim(*encoding) != "url")
            malformed(op, "unknown EncodingType '" + printable(*encoding, 32) + "'", body);
        url_encoded = true;
    }
    auto decoded = [&](std::string value, const char* what) {
        if (!url_encoded)
            return value;
        auto plain = url_decode(value);
        if (!plain)
            malformed(op, std::string("bad percent-encoding in ") + what, body);
        return std::move(*plain);
    };

    list_objects_result result;
    result.prefix = decoded(text_or_empty(root, "Prefix"), "Prefix");
    if (auto truncated = optional_text(root, "IsTruncated")) {
        auto value = parse_bool(*truncated);
        if (!value)
            malformed(op, "IsTruncated is '" + printable(*truncated, 32) + "'", body);
        result.is_truncated = *value;
    }
    if (auto token = optional_text(root, "NextContinuationToken"); token && !token->empty())
        result.next_continuation_token = std::move(*token);
    if (result.is_truncated && !result.next_continuation_token)
        malformed(op, "IsTruncated is true but there is no NextContinuationToken", body);
    if (auto count = optional_text(root, "KeyCount")) {
        auto value = parse_unsigned(*count);
        if (!value)
            malformed(op, "KeyCount is '" + printable(*count, 32) + "'", body);
        result.key_count = *value;
    }

    for (auto node : root.children()) {
        if (node.type() != pugi::node_element)
            continue;
        auto name = local_name(node);
        if (name == "Contents") {
            list_entry entry;
            auto key = optional_text(node, "Key");
            if (!key || key->empty())
                malformed(op, "a Contents entry has no Key", body);
            entry.key = decoded(std::move(*key), "Key");
            auto size_text = optional_text(node, "Size");
            auto size = size_text ? parse_unsigned(*size_text) : std::nullopt;
            if (!size)
                malformed(op, "the Size of '" + printable(entry.key, 256) + "' is missing or bad",
                          body);
            entry.size = *size;
            auto modified_text = optional_text(node, "LastModified");
            auto modified = modified_text ? parse_iso8601(*modified_text) : std::nullopt;
            if (!modified)
                malformed(op,
                          "the LastModified of '" + printable(entry.key, 256) +
                              "' is missing or not an ISO 8601 time",
                          body);
            entry.last_modified = *modified;
            entry.etag = text_or_empty(node, "ETag");
            entry.storage_class = text_or_empty(node, "StorageClass");
            result.contents.push_back(std::move(entry));
        } else if (name == "CommonPrefixes") {
            auto prefix = optional_text(node, "Prefix");
            if (!prefix)
                malformed(op, "a CommonPrefixes entry has no Prefix", body);
            result.common_prefixes.push_back(decoded(std::move(*prefix), "CommonPrefixes"));
        }
    }
    return result;
}

initiate_multipart_result parse_initiate_multipart_upload(std::string_view body) {
    constexpr std::string_view op = "CreateMultipartUpload";
    pugi::xml_document doc;
    load(doc, body, op);
    auto root = root_named(doc, "InitiateMultipartUploadResult", op, body);
    initiate_multipart_result result;
    result.bucket = text_or_empty(root, "Bucket");
    result.key = text_or_empty(root, "Key");
    result.upload_id = std::string(trim(text_or_empty(root, "UploadId")));
    if (result.upload_id.empty())
        malformed(op, "no UploadId", body);
    return result;
}

std::variant<complete_multipart_result, error_body>
parse_complete_multipart_upload(std::string_view body) {
    constexpr std::string_view op = "CompleteMultipartUpload";
    pugi::xml_document doc;
    load(doc, body, op);
    auto root = document_root(doc);
    if (local_name(root) == "Error")
        return *parse_error(body);
    // moto (5.2) names the root CompleteMultipartUploadResponse; botocore ignores root
    // names, so both work with AWS SDKs.
    if (local_name(root) != "CompleteMultipartUploadResponse")
        root = root_named(doc, "CompleteMultipartUploadResult", op, body);
    complete_multipart_result result;
    result.location = text_or_empty(root, "Location");
    result.bucket = text_or_empty(root, "Bucket");
    result.key = text_or_empty(root, "Key");
    result.etag = std::string(trim(text_or_empty(root, "ETag")));
    if (result.etag.empty())
        malformed(op, "no ETag", body);
    return result;
}

delete_result parse_delete_result(std::string_view body) {
    constexpr std::string_view op = "DeleteObjects";
    pugi::xml_document doc;
    load(doc, body, op);
    auto root = root_named(doc, "DeleteResult", op, body);
    delete_result result;
    for (auto node : root.children()) {
        if (node.type() != pugi::node_element)
            continue;
        auto name = local_name(node);
        if (name == "Deleted") {
            auto key = optional_text(node, "Key");
            if (!key)
                malformed(op, "a Deleted entry has no Key", body);
            result.deleted.push_back(std::move(*key));
        } else if (name == "Error") {
            delete_error entry;
            auto key = optional_text(node, "Key");
            if (!key)
                malformed(op, "an Error entry has no Key", body);
            entry.key = std::move(*key);
            entry.code = text_or_empty(node, "Code");
            entry.message = text_or_empty(node, "Message");
            result.errors.push_back(std::move(entry));
        }
    }
    return result;
}

std::string build_complete_multipart_upload(std::span<const completed_part> parts) {
    if (parts.empty())
        bad_build("CompleteMultipartUpload needs at least one part (store an empty object "
                  "with PutObject)");
    std::vector<const completed_part*> sorted;
    sorted.reserve(parts.size());
    for (const auto& part : parts) {
        if (part.part_number < 1 || part.part_number > max_part_number)
            bad_build("part number " + std::to_string(part.part_number) + " is outside 1..10000");
        if (part.etag.empty() || !is_xml_safe(part.etag))
            bad_build("part " + std::to_string(part.part_number) +
                      " has an empty ETag or one with control characters");
        sorted.push_back(&part);
    }
    std::sort(sorted.begin(), sorted.end(),
              [](auto* a, auto* b) { return a->part_number < b->part_number; });
    for (std::size_t i = 1; i < sorted.size(); ++i)
        if (sorted[i]->part_number == sorted[i - 1]->part_number)
            bad_build("part number " + std::to_string(sorted[i]->part_number) + " appears twice");

    pugi::xml_document doc;
    auto root = start_document(doc, "CompleteMultipartUpload");
    for (const auto* part : sorted) {
        auto node = root.append_child("Part");
        node.append_child("PartNumber").text().set(part->part_number);
        node.append_child("ETag").text().set(part->etag.c_str());
    }
    return to_string(doc);
}

std::string build_delete_objects(std::span<const std::string> keys, bool quiet) {
    if (keys.empty())
        bad_build("DeleteObjects needs at least one key");
    if (keys.size() > max_delete_keys)
        bad_build("DeleteObjects takes at most 1000 keys, not " + std::to_string(keys.size()));
    for (const auto& key : keys)
        if (key.empty() || !is_xml_safe(key))
            bad_build("the key '" + printable(key, 256) +
                      "' is empty, not UTF-8 or contains a control character");

    pugi::xml_document doc;
    auto root = start_document(doc, "Delete");
    // The element order botocore sends: the objects, then Quiet.
    for (const auto& key : keys)
        root.append_child("Object").append_child("Key").text().set(key.c_str());
    root.append_child("Quiet").text().set(quiet ? "true" : "false");
    return to_string(doc);
}

} // namespace grin::storage::s3
