// libFuzzer entry for the S3 XML parsers and builders. Besides "no crash, no sanitizer
// report", it checks their promises: only grin::error escapes a parser, parse_error never
// throws, a parsed listing keeps its invariants, and whatever the builders accept comes
// back unchanged through an XML parser.
#include <grin/core/error.hpp>
#include <grin/storage/s3_xml.hpp>

#include <pugixml.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace {

void require(bool condition) {
    if (!condition)
        std::abort();
}

std::vector<std::string> lines_of(std::string_view input) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start <= input.size() && lines.size() < 1200) {
        std::size_t end = input.find('\n', start);
        if (end == std::string_view::npos)
            end = input.size();
        lines.emplace_back(input.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

void round_trip_delete(const std::vector<std::string>& keys) {
    std::string xml;
    try {
        xml = grin::storage::s3::build_delete_objects(keys);
    } catch (const grin::error&) {
        return;
    }
    pugi::xml_document doc;
    require(static_cast<bool>(
        doc.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata)));
    std::size_t i = 0;
    for (auto object : doc.child("Delete").children("Object")) {
        require(i < keys.size());
        require(keys[i] == object.child_value("Key"));
        ++i;
    }
    require(i == keys.size());
}

void round_trip_complete(const std::vector<std::string>& etags) {
    std::vector<grin::storage::s3::completed_part> parts;
    for (std::size_t i = 0; i < etags.size(); ++i)
        parts.push_back({static_cast<int>(etags.size() - i), etags[i]});
    std::string xml;
    try {
        xml = grin::storage::s3::build_complete_multipart_upload(parts);
    } catch (const grin::error&) {
        return;
    }
    pugi::xml_document doc;
    require(static_cast<bool>(
        doc.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata)));
    int expected = 1;
    for (auto part : doc.child("CompleteMultipartUpload").children("Part")) {
        require(part.child("PartNumber").text().as_int() == expected);
        require(etags[etags.size() - static_cast<std::size_t>(expected)] ==
                part.child_value("ETag"));
        ++expected;
    }
    require(expected == static_cast<int>(etags.size()) + 1);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    using namespace grin::storage::s3;

    try {
        auto page = parse_list_objects_v2(input);
        require(!page.is_truncated || page.next_continuation_token.has_value());
        for (const auto& entry : page.contents)
            require(!entry.key.empty());
    } catch (const grin::error&) {
    }
    try {
        require(!parse_initiate_multipart_upload(input).upload_id.empty());
    } catch (const grin::error&) {
    }
    try {
        auto outcome = parse_complete_multipart_upload(input);
        if (auto* result = std::get_if<complete_multipart_result>(&outcome))
            require(!result->etag.empty());
        else
            (void)describe(std::get<error_body>(outcome));
    } catch (const grin::error&) {
    }
    try {
        auto result = parse_delete_result(input);
        (void)result;
    } catch (const grin::error&) {
    }
    if (auto error = parse_error(input))
        (void)describe(*error);
    (void)parse_iso8601(input.substr(0, 64));

    auto lines = lines_of(input.substr(0, 8192));
    round_trip_delete(lines);
    round_trip_complete(lines);
    return 0;
}
