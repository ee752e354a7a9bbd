#include <grin/archive/ocr_jsonl_writer.hpp>
#include <grin/core/error.hpp>

#include <gtest/gtest.h>

#include "archive_test_util.hpp"

namespace grin::archive {
namespace {

struct collected {
    std::string gz;
    gzip_writer::sink sink() {
        return
            [this](bytes_view d) { gz.append(reinterpret_cast<const char*>(d.data()), d.size()); };
    }
    std::string text() const { return test::gunzip(gz); }
};

TEST(ocr_jsonl_writer, in_order_pages_are_written_at_once) {
    collected out;
    ocr_jsonl_writer w(out.sink(), "B1", {}, 1);
    w.add_page(1, "one");
    w.add_page(2, "two");
    w.add_page(3, "three");
    EXPECT_EQ(w.lines_written(), 3u);
    EXPECT_EQ(w.peak_pending_bytes(), 0u);
    EXPECT_EQ(w.finish(), 3u);
    EXPECT_EQ(out.text(), "\"one\"\n\"two\"\n\"three\"\n");
}

TEST(ocr_jsonl_writer, gaps_become_empty_lines_and_nothing_follows_the_last_page) {
    collected out;
    ocr_jsonl_writer w(out.sink());
    w.add_page(2, "two");
    w.add_page(5, "five");
    EXPECT_EQ(w.lines_written(), 0u);
    EXPECT_EQ(w.finish(), 5u);
    EXPECT_EQ(out.text(), "\"\"\n\"two\"\n\"\"\n\"\"\n\"five\"\n");
}

TEST(ocr_jsonl_writer, out_of_order_pages_are_sorted_and_duplicates_kept) {
    collected out;
    ocr_jsonl_writer w(out.sink());
    w.add_page(3, "3a");
    w.add_page(1, "1");
    w.add_page(3, "3b");
    EXPECT_EQ(w.lines_written(), 1u);
    w.add_page(2, "2");
    EXPECT_EQ(w.lines_written(), 4u); // 2, then both page 3s drained
    w.add_page(3, "3c");              // duplicate of the last written page: still in place
    w.add_page(2, "late");            // page 3 already written: cannot be placed
    EXPECT_EQ(w.finish(), 5u);
    EXPECT_EQ(w.late_duplicates(), 1u);
    EXPECT_EQ(out.text(), "\"1\"\n\"2\"\n\"3a\"\n\"3b\"\n\"3c\"\n");
}

TEST(ocr_jsonl_writer, waiting_pages_are_bounded) {
    collected out;
    ocr_jsonl_writer w(out.sink(), "B7", {.max_pending_bytes = 100});
    w.add_page(2, std::string(50, 'x'));
    try {
        w.add_page(3, std::string(60, 'y'));
        FAIL() << "no error";
    } catch (const grin::error& e) {
        EXPECT_EQ(e.context().step, "extract_ocr");
        EXPECT_EQ(e.context().barcode, "B7");
    }
    ocr_jsonl_writer small(out.sink(), "B7", {.max_page_bytes = 10});
    EXPECT_THROW(small.add_page(1, std::string(11, 'z')), grin::error);
}

TEST(ocr_jsonl_writer, output_is_gzip_with_one_json_string_per_line) {
    collected out;
    ocr_jsonl_writer w(out.sink());
    w.add_page(1, "caf\xE9\r\nline\ttwo");
    w.finish();
    EXPECT_EQ(out.gz.substr(0, 2), "\x1f\x8b");
    EXPECT_EQ(out.text(), "\"caf\xEF\xBF\xBD\\nline\\ttwo\"\n");
}

} // namespace
} // namespace grin::archive
