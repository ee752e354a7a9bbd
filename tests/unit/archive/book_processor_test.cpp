#include <grin/archive/book_processor.hpp>
#include <grin/emulator/archive_builder.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <stdexcept>

#include "archive_test_util.hpp"

namespace grin::archive {
namespace {

using emulator::archive_defect;

std::string digest_hex(const EVP_MD* md, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), out, &length, md, nullptr);
    std::string hex;
    char b[3];
    for (unsigned i = 0; i < length; ++i) {
        std::snprintf(b, sizeof b, "%02x", out[i]);
        hex += b;
    }
    return hex;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
        s.replace(at, from.size(), to);
    }
    return s;
}

// What line k of the JSONL must hold, from the builder's page texts and its documented
// defects (archive_builder.hpp), decoded by hand.
std::vector<std::string> expected_pages(const emulator::book& b, archive_defect defect) {
    std::vector<std::string> pages;
    for (std::uint32_t p = 1; p <= b.pages; ++p) {
        bool missing = defect == archive_defect::page_gaps && p > 2 && p % 2 == 1;
        std::string text = emulator::page_text(b, 0, p, 1);
        if (defect == archive_defect::non_utf8_text) {
            text += "Latin-1 caf\xEF\xBF\xBD"
                    " and a stray \xEF\xBF\xBD"
                    " byte\n";
        }
        pages.push_back(missing ? "" : replace_all(text, "\r\n", "\n"));
    }
    if (defect == archive_defect::page_gaps && b.pages > 2 && b.pages % 2 == 1) {
        pages.pop_back(); // nothing after the highest page present
    }
    return pages;
}

// Decompresses (zlib, not our reader) and parses each line as one JSON string.
std::vector<std::string> jsonl_pages(const std::string& gz) {
    auto text = test::gunzip(gz);
    std::vector<std::string> pages;
    std::size_t at = 0;
    while (at < text.size()) {
        auto end = text.find('\n', at);
        EXPECT_NE(end, std::string::npos) << "last line without newline";
        if (end == std::string::npos) {
            break;
        }
        auto value = nlohmann::json::parse(text.substr(at, end - at));
        EXPECT_TRUE(value.is_string());
        pages.push_back(value.get<std::string>());
        at = end + 1;
    }
    return pages;
}

struct run_result {
    book_result result;
    std::string raw;
    std::size_t peak = 0;
};

run_result process(std::string_view targz, std::size_t chunk, book_processor_options options = {}) {
    run_result out;
    book_processor p(std::move(options), [&](bytes_view d) {
        out.raw.append(reinterpret_cast<const char*>(d.data()), d.size());
    });
    test::feed_in_chunks(targz, chunk, [&](bytes_view piece) { p.update(piece); });
    out.result = p.finish();
    out.peak = p.peak_buffered_bytes();
    return out;
}

std::optional<std::string> column(const marc_outcome& m, std::string_view name) {
    for (const auto& f : m.fields) {
        if (f.column == name) {
            return f.value;
        }
    }
    ADD_FAILURE() << "no column " << name;
    return std::nullopt;
}

TEST(book_processor, good_archive_in_every_chunk_size) {
    auto b = test::book_with_pages(6);
    auto targz = test::built_tarball(b, archive_defect::none, 2000);
    for (std::size_t chunk : {std::size_t{1}, std::size_t{1237}, std::size_t{65536}}) {
        SCOPED_TRACE(chunk);
        auto run = process(targz, chunk, {.barcode = b.barcode, .md5 = true});
        const auto& r = run.result;
        EXPECT_FALSE(r.unpack_error);
        EXPECT_TRUE(run.raw == targz);
        EXPECT_EQ(r.archive_bytes, targz.size());
        EXPECT_EQ(r.sha256_hex, digest_hex(EVP_sha256(), targz));
        EXPECT_EQ(r.md5_hex, digest_hex(EVP_md5(), targz));
        EXPECT_EQ(r.members, 3u * b.pages + 2);
        ASSERT_EQ(r.ocr.status, extraction_status::ok) << r.ocr.problem;
        EXPECT_EQ(r.ocr.page_count, b.pages);
        EXPECT_EQ(jsonl_pages(r.ocr.jsonl_gz), expected_pages(b, archive_defect::none));
        EXPECT_EQ(r.ocr.jsonl_bytes, test::gunzip(r.ocr.jsonl_gz).size());
        ASSERT_EQ(r.marc.status, extraction_status::ok) << r.marc.problem;
        EXPECT_EQ(r.marc.member, b.barcode + ".xml");
        EXPECT_EQ(column(r.marc, "marc_control_number"), b.marc_control_number);
        EXPECT_EQ(column(r.marc, "marc_title"), b.title + ".");
    }
}

TEST(book_processor, every_content_defect) {
    auto b = test::book_with_pages(7);
    for (auto defect :
         {archive_defect::no_page_text, archive_defect::no_mets, archive_defect::invalid_mets,
          archive_defect::two_xml, archive_defect::non_utf8_text, archive_defect::page_gaps}) {
        SCOPED_TRACE(std::string(emulator::to_string(defect)));
        auto targz = test::built_tarball(b, defect, 700);
        auto run = process(targz, 333, {.barcode = b.barcode});
        const auto& r = run.result;
        EXPECT_FALSE(r.unpack_error);
        EXPECT_TRUE(run.raw == targz);
        if (defect == archive_defect::no_page_text) {
            EXPECT_EQ(r.ocr.status, extraction_status::failed);
            EXPECT_NE(r.ocr.problem.find("no .txt"), std::string::npos);
            EXPECT_TRUE(r.ocr.jsonl_gz.empty());
        } else {
            ASSERT_EQ(r.ocr.status, extraction_status::ok) << r.ocr.problem;
            auto want = expected_pages(b, defect);
            EXPECT_EQ(r.ocr.page_count, want.size());
            EXPECT_EQ(jsonl_pages(r.ocr.jsonl_gz), want);
        }
        if (defect == archive_defect::no_mets) {
            EXPECT_EQ(r.marc.status, extraction_status::failed);
            EXPECT_NE(r.marc.problem.find("no .xml"), std::string::npos);
        } else if (defect == archive_defect::invalid_mets) {
            EXPECT_EQ(r.marc.status, extraction_status::failed);
            EXPECT_NE(r.marc.problem.find("not well-formed"), std::string::npos);
        } else {
            ASSERT_EQ(r.marc.status, extraction_status::ok) << r.marc.problem;
            EXPECT_EQ(r.marc.member, b.barcode + ".xml");
            EXPECT_EQ(column(r.marc, "marc_lccn"), b.lccn);
        }
        EXPECT_EQ(r.marc.fields.size(), 17u);
    }
}

TEST(book_processor, misnamed_pages_only_fail_ocr) {
    auto targz = test::gzip(test::make_tar({{"00000000.txt", "zero"}, {"page1.txt", "x"}}));
    auto r = process(targz, 100).result;
    EXPECT_EQ(r.ocr.status, extraction_status::failed);
    EXPECT_NE(r.ocr.problem.find("NNNNNNNN"), std::string::npos);
    EXPECT_EQ(r.ocr.text_members, 2u);
    EXPECT_EQ(r.ocr.skipped_names, 2u);
}

// Tar order need not be page order: pages in reverse, in two directories, with "./".
TEST(book_processor, pages_in_any_order_and_directory) {
    auto targz = test::gzip(test::make_tar({{"./b/00000004.txt", "four"},
                                            {"a/00000002.txt", "two a"},
                                            {"b/00000002.txt", "two b"},
                                            {"mets.xml", "<not-mets/>"},
                                            {"00000001.txt", "one\r\n"},
                                            {"00000004.jp2", "image"}}));
    auto run = process(targz, 3);
    const auto& r = run.result;
    ASSERT_EQ(r.ocr.status, extraction_status::ok) << r.ocr.problem;
    EXPECT_EQ(jsonl_pages(r.ocr.jsonl_gz),
              (std::vector<std::string>{"one\n", "two a", "two b", "", "four"}));
    EXPECT_EQ(r.ocr.page_count, 5u);
    EXPECT_GT(run.peak, 0u);
    EXPECT_EQ(r.marc.status, extraction_status::failed);
    EXPECT_NE(r.marc.problem.find("mets.xml"), std::string::npos);
}

TEST(book_processor, unreadable_archive_is_an_outcome_and_raw_bytes_still_flow) {
    auto b = test::book_with_pages(3);
    for (auto targz : {test::built_tarball(b, archive_defect::truncated_gzip), std::string(),
                       std::string("garbage that is not gzip")}) {
        auto run = process(targz, 1000, {.barcode = b.barcode});
        const auto& r = run.result;
        ASSERT_TRUE(r.unpack_error);
        EXPECT_EQ(r.unpack_error->context().step, "unpack");
        EXPECT_EQ(r.unpack_error->context().barcode, b.barcode);
        EXPECT_TRUE(run.raw == targz);
        EXPECT_EQ(r.sha256_hex, digest_hex(EVP_sha256(), targz));
        EXPECT_EQ(r.ocr.status, extraction_status::failed);
        EXPECT_EQ(r.marc.status, extraction_status::failed);
        EXPECT_TRUE(r.ocr.jsonl_gz.empty());
    }
}

TEST(book_processor, ocr_sink_and_disabled_steps) {
    auto b = test::book_with_pages(3);
    auto targz = test::built_tarball(b);
    std::string gz;
    book_processor p({.extract_marc = false, .sha256 = false}, {}, [&](bytes_view d) {
        gz.append(reinterpret_cast<const char*>(d.data()), d.size());
    });
    test::feed_in_chunks(targz, 4096, [&](bytes_view piece) { p.update(piece); });
    auto r = p.finish();
    EXPECT_EQ(r.ocr.status, extraction_status::ok);
    EXPECT_TRUE(r.ocr.jsonl_gz.empty());
    EXPECT_EQ(jsonl_pages(gz), expected_pages(b, archive_defect::none));
    EXPECT_EQ(r.marc.status, extraction_status::skipped);
    EXPECT_TRUE(r.sha256_hex.empty());
    EXPECT_THROW(p.finish(), std::logic_error);

    auto none = process(targz, 4096, {.extract_ocr = false}).result;
    EXPECT_EQ(none.ocr.status, extraction_status::skipped);
    EXPECT_EQ(none.marc.status, extraction_status::ok);
}

TEST(book_processor, sink_exceptions_pass_through) {
    auto b = test::book_with_pages(3);
    auto targz = test::built_tarball(b);
    book_processor p({}, [](bytes_view) { throw std::runtime_error("disk full"); });
    EXPECT_THROW(p.update(test::as_bytes(targz)), std::runtime_error);
    EXPECT_THROW(p.update(test::as_bytes(targz)), std::logic_error);
}

TEST(book_processor, large_archive_buffers_only_small_members) {
    auto b = test::book_with_pages(3);
    auto targz = test::built_tarball(b, archive_defect::none, 40ull * 1024 * 1024 / b.pages);
    ASSERT_GT(targz.size(), 40ull * 1024 * 1024);
    auto run = process(targz, 65536, {.barcode = b.barcode});
    EXPECT_TRUE(run.raw == targz);
    EXPECT_EQ(run.result.ocr.page_count, b.pages);
    // One page text or the METS at a time, never an image: well under 1 MiB.
    EXPECT_LT(run.peak, 256u * 1024);
}

} // namespace
} // namespace grin::archive
