#include <grin/core/error.hpp>
#include <grin/storage/key_layout.hpp>

#include <gtest/gtest.h>

#include <ctime>

namespace {
using namespace grin::storage;

key_layout s3_layout(std::string prefix = "") {
    return key_layout({.run_name = "run1", .prefix = std::move(prefix)});
}

TEST(key_layout, object_store_keys_match_the_reference) {
    auto layout = s3_layout();
    EXPECT_EQ(layout.archive("B1234"), object_key(bucket_role::raw, "run1/B1234.tar.gz"));
    EXPECT_EQ(layout.ocr_text("B1234", true),
              object_key(bucket_role::full, "run1/B1234_ocr.jsonl.gz"));
    EXPECT_EQ(layout.ocr_text("B1234", false),
              object_key(bucket_role::full, "run1/B1234_ocr.jsonl"));
    EXPECT_EQ(layout.csv_latest(true), object_key(bucket_role::meta, "run1/books_latest.csv.gz"));
    EXPECT_EQ(layout.csv_latest(false), object_key(bucket_role::meta, "run1/books_latest.csv"));
    EXPECT_EQ(layout.csv_timestamped("20250102_030405", true),
              object_key(bucket_role::meta, "run1/timestamped/20250102_030405_books.csv.gz"));
    EXPECT_EQ(layout.csv_timestamped("20250102_030405", false),
              object_key(bucket_role::meta, "run1/timestamped/20250102_030405_books.csv"));
    EXPECT_EQ(layout.database_latest(), object_key(bucket_role::meta, "run1/books_latest.db.gz"));
    EXPECT_EQ(layout.database_timestamped("20250102_030405"),
              object_key(bucket_role::meta, "run1/timestamped/20250102_030405_books_latest.db.gz"));
    EXPECT_EQ(layout.process_summary(),
              object_key(bucket_role::meta, "run1/process_summary.json.gz"));
    EXPECT_EQ(layout.run_config(), object_key(bucket_role::meta, "run1/run_config.json"));
    EXPECT_EQ(layout.run_prefix(), "run1/");
}

TEST(key_layout, local_archive_is_not_run_scoped) {
    key_layout layout({.run_name = "run1", .kind = layout_kind::local_directory});
    EXPECT_EQ(layout.archive("B1234"), object_key(bucket_role::raw, "B1234/B1234.tar.gz"));
    // Everything else is as on an object store.
    EXPECT_EQ(layout.ocr_text("B1234", true),
              object_key(bucket_role::full, "run1/B1234_ocr.jsonl.gz"));
    EXPECT_EQ(layout.run_config(), object_key(bucket_role::meta, "run1/run_config.json"));
}

TEST(key_layout, prefix_goes_first) {
    auto layout = s3_layout("lib/");
    EXPECT_EQ(layout.archive("B1234"), object_key(bucket_role::raw, "lib/run1/B1234.tar.gz"));
    EXPECT_EQ(layout.run_prefix(), "lib/run1/");
    EXPECT_THROW(s3_layout("../x"), grin::error);
    EXPECT_THROW(s3_layout("/abs"), grin::error);
}

TEST(key_layout, barcodes_are_validated_before_they_reach_a_key) {
    auto layout = s3_layout();
    for (const char* bad : {"../etc", "a/b", "B1", "", "B 12", "B.tar", ".."}) {
        try {
            (void)layout.archive(bad);
            ADD_FAILURE() << "accepted " << bad;
        } catch (const grin::error& e) {
            EXPECT_EQ(e.context().step, "validate") << bad;
        }
        EXPECT_THROW((void)layout.ocr_text(bad, true), grin::error) << bad;
    }
}

TEST(key_layout, run_names_and_timestamps_are_validated) {
    EXPECT_THROW(key_layout({.run_name = "../run"}), grin::error);
    EXPECT_THROW(key_layout({.run_name = ""}), grin::error);
    auto layout = s3_layout();
    EXPECT_THROW((void)layout.csv_timestamped("2025-01-02", true), grin::error);
    EXPECT_THROW((void)layout.database_timestamped("../../../x_1234"), grin::error);
}

TEST(key_layout, timestamp_is_local_time) {
    std::tm when{};
    when.tm_year = 2025 - 1900;
    when.tm_mon = 0;
    when.tm_mday = 2;
    when.tm_hour = 3;
    when.tm_min = 4;
    when.tm_sec = 5;
    when.tm_isdst = -1;
    auto point = std::chrono::system_clock::from_time_t(std::mktime(&when));
    EXPECT_EQ(key_timestamp(point), "20250102_030405");
}

} // namespace
