#pragma once
// The sync pipeline end to end: a grin-emulator, `grin collect` into a run with local
// storage (or the storage `storage_args` name: sync_s3_fixture in tests/integration/sync_s3),
// then `grin sync pipeline` runs; helpers to read the emulator's stats, drive its control
// endpoints and compare stored archives with what the emulator encrypted.
// Header-only so that each sync test binary compiles it with its own flags.
#include <grin/archive/ocr_text.hpp>
#include <grin/emulator/archive_builder.hpp>
#include <grin/emulator/catalogue.hpp>

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "child_process.hpp"
#include "test_support.hpp"

namespace grin::test {

using namespace std::chrono_literals;

struct library_shape {
    std::uint64_t books = 50;
    std::string library = "Harvard";
    std::uint64_t seed = 11;
    double converted = 1.0;
    double failed = 0.0;
    std::uint64_t archive_size = 16 * 1024; // emulator --archive-size (bytes, approximate)

    emulator::catalogue_params catalogue() const {
        emulator::catalogue_params params;
        params.seed = seed;
        params.library = library;
        params.book_count = books;
        params.converted_fraction = converted;
        params.failed_fraction = failed;
        return params;
    }
};

struct run_result {
    int exit_code = -1;
    std::string output;
};

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

// The OCR JSONL the reference writes for `book`: one JSON string per page 1..pages, the
// text the emulator wrote for it; `missing_pages` (a page_gaps archive) as "".
inline void expect_ocr_matches(const std::string& jsonl,
                               const emulator::book& book,
                               std::uint64_t seed,
                               const std::set<std::uint32_t>& missing_pages = {}) {
    auto lines = lines_of(jsonl);
    // Missing pages become "", but nothing follows the highest page present.
    std::uint32_t last = book.pages;
    while (last > 0 && missing_pages.contains(last))
        --last;
    ASSERT_EQ(lines.size(), last) << book.barcode;
    for (std::uint32_t page = 1; page <= last; ++page) {
        auto value = nlohmann::json::parse(lines[page - 1], nullptr, false);
        ASSERT_TRUE(value.is_string()) << book.barcode << " page " << page;
        std::string expected =
            missing_pages.contains(page)
                ? std::string()
                : archive::decode_page_text(emulator::page_text(book, 0, page, seed));
        EXPECT_EQ(value.get<std::string>(), expected) << book.barcode << " page " << page;
    }
}

class sync_fixture : public ::testing::Test {
public:
    temp_dir work;
    emulator_instance emulator;
    library_shape shape;
    std::string run_name = "r1";
    // collect's storage flags; empty: --storage local --storage-path storage_root().
    std::vector<std::string> storage_args;
    // Added to every grin child's environment (e.g. AWS_* keys for S3 storage).
    std::map<std::string, std::string> extra_env;

    std::filesystem::path output_root() { return work / "output"; }
    std::filesystem::path run_dir() { return output_root() / run_name; }
    std::filesystem::path storage_root() { return work / "storage"; }
    std::filesystem::path database() { return run_dir() / "books.db"; }

    // Starts the emulator for `shape` (low S2K count) plus `extra` flags.
    void start_emulator(std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"--books",
                                         std::to_string(shape.books),
                                         "--library",
                                         shape.library,
                                         "--seed",
                                         std::to_string(shape.seed),
                                         "--converted-fraction",
                                         std::to_string(shape.converted),
                                         "--failed-fraction",
                                         std::to_string(shape.failed),
                                         "--archive-size",
                                         std::to_string(shape.archive_size),
                                         "--s2k-count",
                                         "65536"};
        args.insert(args.end(), extra.begin(), extra.end());
        emulator = test::start_emulator(work.path(), args);
    }

    std::map<std::string, std::string> grin_env() {
        std::map<std::string, std::string> env = extra_env;
        env["GRIN_CREDENTIALS_DIR"] = emulator.credentials_dir.string();
        return env;
    }

    std::unique_ptr<child_process> start_grin(std::vector<std::string> args) {
        args.insert(args.begin(), built_binary("grin").string());
        return std::make_unique<child_process>(args, grin_env());
    }

    run_result grin(std::vector<std::string> args, std::chrono::seconds cap = 300s) {
        auto process = start_grin(std::move(args));
        int code = process->wait(cap);
        return {code, process->output()};
    }

    // `grin collect` of the whole library into run_name with local storage (or
    // storage_args).
    void collect(std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {
            "collect",       "--run-name",           run_name,
            "--output-root", output_root().string(), "--library-directory",
            shape.library,   "--grin-base-url",      emulator.url + "/libraries/",
            "--ca-file",     emulator.ca_file};
        std::vector<std::string> storage = storage_args;
        if (storage.empty())
            storage = {"--storage", "local", "--storage-path", storage_root().string()};
        args.insert(args.end(), storage.begin(), storage.end());
        args.insert(args.end(), extra.begin(), extra.end());
        auto result = grin(args);
        ASSERT_EQ(result.exit_code, 0) << result.output;
    }

    std::vector<std::string> sync_args(std::vector<std::string> extra) {
        std::vector<std::string> args = {"sync",   "pipeline",      "--run-name",
                                         run_name, "--output-root", output_root().string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    }

    run_result sync(std::vector<std::string> extra, std::chrono::seconds cap = 300s) {
        return grin(sync_args(std::move(extra)), cap);
    }

    std::unique_ptr<child_process> start_sync(std::vector<std::string> extra) {
        return start_grin(sync_args(std::move(extra)));
    }

    nlohmann::json emulator_stats() {
        auto result = run_command("curl -s --cacert " + emulator.ca_file + " " + emulator.url +
                                  "/_emulator/stats");
        return nlohmann::json::parse(result.output, nullptr, false);
    }

    std::uint64_t archive_downloads() {
        return emulator_stats()["requests"]["archive_get"].get<std::uint64_t>();
    }

    // POST /_emulator/<action>?<query> (reconvert, defect, queue_cap, advance, ...).
    nlohmann::json control(const std::string& action, const std::string& query) {
        auto result = run_command("curl -s -X POST --cacert " + emulator.ca_file + " '" +
                                  emulator.url + "/_emulator/" + action + "?" + query + "'");
        return nlohmann::json::parse(result.output, nullptr, false);
    }

    // Where local storage keeps the decrypted archive and the OCR text.
    std::filesystem::path archive_path(const std::string& barcode) {
        return storage_root() / "raw" / barcode / (barcode + ".tar.gz");
    }
    std::filesystem::path ocr_path(const std::string& barcode) {
        return storage_root() / "full" / run_name / (barcode + "_ocr.jsonl.gz");
    }

    // The plaintext .tar.gz the emulator encrypted for book `index` (its archive builder is
    // a pure function of seed, book, version and size).
    std::string expected_archive(std::uint64_t index,
                                 std::uint32_t version = 0,
                                 emulator::archive_defect defect = emulator::archive_defect::none) {
        emulator::catalogue catalogue(shape.catalogue());
        emulator::archive_content_params content;
        content.seed = shape.seed;
        content.image_bytes_per_page = image_bytes_per_page();
        auto file = work / ("expected-" + std::to_string(index) + ".tar.gz");
        emulator::build_tarball(catalogue.at(index), version, content, file, defect);
        return slurp(file);
    }

    // The emulator's --archive-size to image-bytes-per-page rule (emulator_main.cpp).
    std::uint64_t image_bytes_per_page() const {
        return std::max<std::uint64_t>(1, shape.archive_size / 8);
    }

    static std::string slurp(const std::filesystem::path& file) {
        std::ifstream in(file, std::ios::binary);
        std::ostringstream content;
        content << in.rdbuf();
        return content.str();
    }

    // barcode -> number of sync:completed rows.
    std::map<std::string, int> completed_counts() {
        SQLite::Database db(database().string(), SQLite::OPEN_READONLY);
        SQLite::Statement query(db, "SELECT barcode, count(*) FROM book_status_history WHERE "
                                    "status_type = 'sync' AND status_value = 'completed' "
                                    "GROUP BY barcode");
        std::map<std::string, int> counts;
        while (query.executeStep())
            counts[query.getColumn(0).getString()] = query.getColumn(1).getInt();
        return counts;
    }

    std::string integrity_check() {
        SQLite::Database db(database().string(), SQLite::OPEN_READONLY);
        return db.execAndGet("PRAGMA integrity_check").getString();
    }
};

} // namespace grin::test
