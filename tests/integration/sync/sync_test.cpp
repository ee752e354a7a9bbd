// `grin sync pipeline` end to end on local storage: the real grin and grin-emulator
// binaries over TLS, real gpg-encrypted archives. Expected archives, page texts and MARC
// values come from the emulator's catalogue and archive builder (the same seed and
// sizes), never from the pipeline's own output.
#include <grin/archive/gunzip.hpp>
#include <grin/archive/ocr_text.hpp>

#include <fcntl.h>
#include <set>
#include <sys/file.h>
#include <unistd.h>

#include "sync_fixture.hpp"

using namespace grin;
using namespace std::chrono_literals;
using test::expect_ocr_matches;
using test::sync_fixture;

namespace {

struct status_row {
    std::string type, value;
    nlohmann::json meta;
};

std::vector<status_row> history(const std::filesystem::path& db_file, const std::string& barcode) {
    SQLite::Database db(db_file.string(), SQLite::OPEN_READONLY);
    SQLite::Statement query(db, "SELECT status_type, status_value, metadata FROM "
                                "book_status_history WHERE barcode = ? ORDER BY id");
    query.bind(1, barcode);
    std::vector<status_row> rows;
    while (query.executeStep()) {
        status_row row{query.getColumn(0).getString(), query.getColumn(1).getString(), nullptr};
        if (!query.getColumn(2).isNull())
            row.meta = nlohmann::json::parse(query.getColumn(2).getString(), nullptr, false);
        rows.push_back(std::move(row));
    }
    return rows;
}

std::vector<std::string> values_of(const std::vector<status_row>& rows) {
    std::vector<std::string> values;
    for (const auto& row : rows)
        values.push_back(row.type + ":" + row.value);
    return values;
}

std::map<std::string, std::optional<std::string>> book_columns(const std::filesystem::path& db_file,
                                                               const std::string& barcode) {
    SQLite::Database db(db_file.string(), SQLite::OPEN_READONLY);
    SQLite::Statement query(db, "SELECT * FROM books WHERE barcode = ?");
    query.bind(1, barcode);
    std::map<std::string, std::optional<std::string>> columns;
    if (query.executeStep())
        for (int i = 0; i < query.getColumnCount(); ++i)
            columns[query.getColumnName(i)] = query.getColumn(i).isNull()
                                                  ? std::nullopt
                                                  : std::optional(query.getColumn(i).getString());
    return columns;
}

// Every file under `root` with its size and modification time: what "writes nothing"
// is checked against.
std::map<std::string, std::string> listing(const std::filesystem::path& root) {
    std::map<std::string, std::string> files;
    if (!std::filesystem::exists(root))
        return files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
        std::string detail = entry.is_directory() ? "dir" : std::to_string(entry.file_size());
        detail += " " + std::to_string(entry.last_write_time().time_since_epoch().count());
        files[std::filesystem::relative(entry.path(), root).string()] = detail;
    }
    return files;
}

std::uint64_t count_rows(const std::filesystem::path& db_file, const std::string& sql) {
    SQLite::Database db(db_file.string(), SQLite::OPEN_READONLY);
    return static_cast<std::uint64_t>(db.execAndGet(sql).getInt64());
}

} // namespace

// 500 books: every archive byte-identical, OCR and MARC right for books with and without
// text or METS, the reference's status sequence; a rerun downloads nothing; one TLS pool
// and one SQLite connection.
TEST_F(sync_fixture, syncs_500_books_exactly_and_a_rerun_downloads_nothing) {
    shape.books = 500;
    shape.archive_size = 8 * 1024;
    start_emulator();
    emulator::catalogue catalogue(shape.catalogue());
    // Defects for the extraction outcomes: no page text, page gaps, no METS.
    const std::string no_text = catalogue.at(3).barcode;
    const std::string gaps = catalogue.at(4).barcode;
    const std::string no_mets = catalogue.at(5).barcode;
    ASSERT_EQ(control("defect", "barcode=" + no_text + "&kind=no_page_text")["defect"],
              "no_page_text");
    ASSERT_EQ(control("defect", "barcode=" + gaps + "&kind=page_gaps")["defect"], "page_gaps");
    ASSERT_EQ(control("defect", "barcode=" + no_mets + "&kind=no_mets")["defect"], "no_mets");
    collect();
    auto before = emulator_stats();

    auto first = sync({"--queue", "converted"});
    ASSERT_EQ(first.exit_code, 0) << first.output;
    EXPECT_NE(first.output.find("500 synced"), std::string::npos) << first.output;
    auto after = emulator_stats();
    EXPECT_EQ(after["requests"]["archive_get"].get<int>() -
                  before["requests"]["archive_get"].get<int>(),
              500);
    // Connection reuse: the pool is check 8 + download 16 + conversion 2 = 26 per host.
    int accepted =
        after["connections"]["accepted"].get<int>() - before["connections"]["accepted"].get<int>();
    EXPECT_GE(accepted, 1);
    EXPECT_LE(accepted, 26) << "GRIN connections opened by one sync of 500 books";
    EXPECT_NE(first.output.find("SQLite 1 opened"), std::string::npos) << first.output;

    auto counts = completed_counts();
    EXPECT_EQ(counts.size(), 500u);
    std::uint64_t mismatched = 0;
    for (std::uint64_t i = 0; i < shape.books; ++i) {
        auto book = catalogue.at(i);
        EXPECT_EQ(counts[book.barcode], 1) << book.barcode;
        auto defect = book.barcode == no_text   ? emulator::archive_defect::no_page_text
                      : book.barcode == gaps    ? emulator::archive_defect::page_gaps
                      : book.barcode == no_mets ? emulator::archive_defect::no_mets
                                                : emulator::archive_defect::none;
        if (slurp(archive_path(book.barcode)) != expected_archive(i, 0, defect))
            ++mismatched;
    }
    EXPECT_EQ(mismatched, 0u) << "stored archives differing from the emulator's plaintext";

    // OCR: an ordinary book, a book with gaps (odd pages > 2 missing -> ""), none for no text.
    for (std::uint64_t i : {0, 1, 2}) {
        auto book = catalogue.at(i);
        expect_ocr_matches(archive::gunzip(slurp(ocr_path(book.barcode))), book, shape.seed);
    }
    {
        auto book = catalogue.at(4);
        std::set<std::uint32_t> missing;
        for (std::uint32_t page = 3; page <= book.pages; page += 2)
            missing.insert(page);
        expect_ocr_matches(archive::gunzip(slurp(ocr_path(gaps))), book, shape.seed, missing);
    }
    EXPECT_FALSE(std::filesystem::exists(ocr_path(no_text)));

    // Status history as grin-transfer writes it.
    const std::vector<std::string> full_sequence = {"sync:checked",
                                                    "sync:downloaded",
                                                    "sync:decrypted",
                                                    "sync:unpacked",
                                                    "sync:uploaded",
                                                    "text_extraction:completed",
                                                    "marc_extraction:completed",
                                                    "sync:completed"};
    auto ordinary = catalogue.at(0);
    auto rows = history(database(), ordinary.barcode);
    EXPECT_EQ(values_of(rows), full_sequence);
    EXPECT_EQ(rows[0].meta["etag"], rows[1].meta["etag"]);
    EXPECT_EQ(rows[5].meta["page_count"].get<std::uint64_t>(), ordinary.pages);
    auto no_text_rows = values_of(history(database(), no_text));
    EXPECT_NE(std::find(no_text_rows.begin(), no_text_rows.end(), "text_extraction:failed"),
              no_text_rows.end());
    EXPECT_EQ(no_text_rows.back(), "sync:completed");
    auto no_mets_rows = values_of(history(database(), no_mets));
    EXPECT_NE(std::find(no_mets_rows.begin(), no_mets_rows.end(), "marc_extraction:failed"),
              no_mets_rows.end());

    // MARC columns and the sync columns of the ordinary book.
    auto columns = book_columns(database(), ordinary.barcode);
    EXPECT_EQ(columns["marc_control_number"], ordinary.marc_control_number);
    EXPECT_EQ(columns["marc_language"], ordinary.language);
    EXPECT_EQ(columns["marc_date_1"], std::to_string(ordinary.publication_year));
    ASSERT_TRUE(columns["marc_oclc_numbers"]);
    EXPECT_NE(columns["marc_oclc_numbers"]->find(ordinary.oclc_number), std::string::npos);
    EXPECT_EQ(columns["marc_subjects"], "Widgets, Physics");
    EXPECT_EQ(columns["storage_path"], archive_path(ordinary.barcode).string());
    EXPECT_EQ(columns["is_decrypted"], "1");
    EXPECT_EQ(columns["encrypted_etag"], rows[1].meta["etag"].get<std::string>());
    EXPECT_TRUE(columns["sync_timestamp"]);
    EXPECT_FALSE(book_columns(database(), no_mets)["marc_control_number"]);

    // Teardown: CSV export with every book, a copy in the meta bucket.
    EXPECT_TRUE(std::filesystem::exists(run_dir() / "books_export.csv"));
    EXPECT_TRUE(
        std::filesystem::exists(storage_root() / "meta" / run_name / "books_latest.csv.gz"));

    // The process summary counts this run, and a copy is in the meta bucket.
    auto summary = nlohmann::json::parse(slurp(run_dir() / "process_summary.json"));
    EXPECT_EQ(summary["stages"]["sync"]["counters"]["synced"], 500) << summary.dump(1);
    EXPECT_EQ(summary["stages"]["collect"]["counters"]["collected"], 500) << summary.dump(1);
    EXPECT_TRUE(
        std::filesystem::exists(storage_root() / "meta" / run_name / "process_summary.json.gz"));

    // A rerun skips every synced book without downloading anything.
    auto downloads = archive_downloads();
    auto rerun = sync({"--queue", "converted"});
    EXPECT_EQ(rerun.exit_code, 0) << rerun.output;
    EXPECT_EQ(archive_downloads(), downloads) << rerun.output;
    EXPECT_NE(rerun.output.find("Removed 500 already synced"), std::string::npos) << rerun.output;
    EXPECT_EQ(integrity_check(), "ok");
}

// GRIN re-converts three books (new bytes, new ETag): the `changed` queue re-syncs exactly
// those, and explicit barcodes of unchanged books are skipped by the ETag check.
TEST_F(sync_fixture, an_etag_change_resyncs_exactly_the_changed_books) {
    shape.books = 40;
    start_emulator();
    emulator::catalogue catalogue(shape.catalogue());
    collect();
    ASSERT_EQ(sync({"--queue", "converted"}).exit_code, 0);
    std::vector<std::uint64_t> changed = {2, 17, 33};
    for (auto i : changed)
        ASSERT_EQ(control("reconvert", "barcode=" + catalogue.at(i).barcode)["reconverted"], true);

    auto downloads = archive_downloads();
    auto resync = sync({"--queue", "changed"});
    ASSERT_EQ(resync.exit_code, 0) << resync.output;
    EXPECT_EQ(archive_downloads() - downloads, changed.size()) << resync.output;
    auto counts = completed_counts();
    for (std::uint64_t i = 0; i < shape.books; ++i) {
        auto barcode = catalogue.at(i).barcode;
        bool was_changed = std::find(changed.begin(), changed.end(), i) != changed.end();
        EXPECT_EQ(counts[barcode], was_changed ? 2 : 1) << barcode;
        EXPECT_EQ(slurp(archive_path(barcode)), expected_archive(i, was_changed ? 1 : 0))
            << barcode;
    }
    auto skipped = history(database(), catalogue.at(0).barcode).back();
    EXPECT_EQ(skipped.type + ":" + skipped.value, "sync:skipped");
    EXPECT_EQ(skipped.meta["reason"], "skip_etag_match");

    // Named barcodes: unchanged ones are skipped; --force downloads again.
    downloads = archive_downloads();
    auto named = sync({"--barcodes", catalogue.at(0).barcode + "," + catalogue.at(1).barcode});
    EXPECT_EQ(named.exit_code, 0) << named.output;
    EXPECT_EQ(archive_downloads(), downloads);
    auto forced = sync({"--barcodes", catalogue.at(0).barcode, "--force"});
    EXPECT_EQ(forced.exit_code, 0) << forced.output;
    EXPECT_EQ(archive_downloads(), downloads + 1);
}

// Unconverted books get conversion requests; when GRIN's queue is full (429) the run
// records limit_reached once and asks no more.
TEST_F(sync_fixture, requests_conversion_and_stops_at_the_queue_cap) {
    shape.books = 60;
    shape.converted = 0.5;
    start_emulator({"--queue-cap", "5"});
    collect();
    const std::uint64_t unconverted =
        count_rows(database(), "SELECT count(*) FROM books WHERE converted_date IS NULL");
    ASSERT_GT(unconverted, 7u);

    auto run = sync({"--queue", "unconverted", "--task-request-conversion-concurrency", "1"});
    EXPECT_EQ(run.exit_code, 1) << run.output; // the 429 counts as a failed book
    EXPECT_NE(run.output.find("GRIN queue: 0 in process"), std::string::npos) << run.output;
    EXPECT_EQ(count_rows(database(), "SELECT count(*) FROM book_status_history WHERE "
                                     "status_type = 'conversion' AND status_value = 'requested'"),
              5u);
    EXPECT_EQ(count_rows(database(), "SELECT count(*) FROM book_status_history WHERE "
                                     "status_type = 'conversion' AND "
                                     "status_value = 'limit_reached'"),
              1u);
    EXPECT_EQ(count_rows(database(), "SELECT count(*) FROM books WHERE "
                                     "processing_request_timestamp IS NOT NULL"),
              5u);
    EXPECT_EQ(emulator_stats()["requests"]["process"].get<int>(), 6); // 5 accepted + one 429
    EXPECT_EQ(emulator_stats()["libraries"][shape.library]["in_process"].get<int>(), 5);

    // The books requested are in process now: a second run leaves them alone.
    auto again = sync({"--queue", "unconverted", "--dry-run"});
    EXPECT_EQ(again.exit_code, 0) << again.output;
    EXPECT_NE(again.output.find("GRIN queue: 5 in process"), std::string::npos) << again.output;
}

// --dry-run reads GRIN and the database and prints the plan, but writes nothing: the run
// directory and the storage tree are identical before and after, to the mtime.
TEST_F(sync_fixture, dry_run_writes_nothing) {
    shape.books = 30;
    start_emulator();
    emulator::catalogue catalogue(shape.catalogue());
    collect();
    ASSERT_EQ(sync({"--queue", "converted", "--limit", "10"}).exit_code, 0);
    ASSERT_EQ(control("reconvert", "barcode=" + catalogue.at(0).barcode)["reconverted"], true);

    auto run_before = listing(run_dir());
    auto storage_before = listing(storage_root());
    auto downloads = archive_downloads();
    auto plan = sync({"--queue", "converted", "--dry-run"});
    ASSERT_EQ(plan.exit_code, 0) << plan.output;
    EXPECT_NE(plan.output.find("20 books will be processed"), std::string::npos) << plan.output;
    EXPECT_NE(plan.output.find("DRY RUN COMPLETE"), std::string::npos) << plan.output;
    auto changed = sync({"--queue", "changed", "--dry-run"});
    ASSERT_EQ(changed.exit_code, 0) << changed.output;
    EXPECT_NE(changed.output.find(catalogue.at(0).barcode + ": download: the archive changed"),
              std::string::npos)
        << changed.output;
    EXPECT_NE(changed.output.find(catalogue.at(1).barcode + ": skip"), std::string::npos)
        << changed.output;
    EXPECT_EQ(archive_downloads(), downloads);
    EXPECT_EQ(listing(run_dir()), run_before);
    EXPECT_EQ(listing(storage_root()), storage_before);
}

// Bad input stops at once with a message a person can act on.
TEST_F(sync_fixture, refuses_bad_flags_and_missing_runs) {
    start_emulator();
    auto no_run = sync({"--queue", "converted"});
    EXPECT_EQ(no_run.exit_code, 2);
    EXPECT_NE(no_run.output.find("grin collect"), std::string::npos) << no_run.output;
    collect();
    auto both = sync({"--queue", "converted", "--barcodes", "ABC123"});
    EXPECT_EQ(both.exit_code, 2);
    EXPECT_NE(both.output.find("not both"), std::string::npos) << both.output;
    auto bad = sync({"--barcodes", "ok_123,../etc"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.output.find("invalid barcode '../etc'"), std::string::npos) << bad.output;

    // Another process (here: this test) holds the run's session lock.
    int fd = ::open((run_dir() / "session.lock").c_str(), O_RDWR | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
    auto locked = sync({"--queue", "converted"});
    EXPECT_EQ(locked.exit_code, 2) << locked.output;
    EXPECT_NE(locked.output.find("session.lock"), std::string::npos) << locked.output;
    // A dry run takes no lock.
    EXPECT_EQ(sync({"--queue", "converted", "--dry-run"}).exit_code, 0);
    ::close(fd);
}
