// `grin collect` end to end: the real grin and grin-emulator binaries over TLS.
// Expected values come from the emulator's catalogue (the same seed and sizes), never
// from the pages or the parser under test.
#include <grin/core/atomic_file.hpp>
#include <grin/emulator/catalogue.hpp>

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>

#include "child_process.hpp"
#include "test_support.hpp"

using namespace grin;
using namespace std::chrono_literals;

namespace {

struct catalogue_shape {
    std::uint64_t books;
    std::string library = "Harvard";
    std::uint64_t seed = 7;
    double converted = 0.8, failed = 0.05;
};

std::vector<std::string> emulator_args(const catalogue_shape& shape,
                                       std::vector<std::string> extra = {}) {
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
                                     "--s2k-count",
                                     "65536"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

class collect_run : public ::testing::Test {
public:
    test::temp_dir work;
    test::emulator_instance emulator;

    void start(const catalogue_shape& shape, std::vector<std::string> extra = {}) {
        emulator = test::start_emulator(work.path(), emulator_args(shape, std::move(extra)));
    }

    // Starts `grin collect` against the emulator.
    std::unique_ptr<test::child_process> start_collect(std::vector<std::string> args) {
        std::vector<std::string> argv = {test::built_binary("grin").string(),
                                         "collect",
                                         "--output-root",
                                         (work / "output").string(),
                                         "--grin-base-url",
                                         emulator.url + "/libraries/",
                                         "--ca-file",
                                         emulator.ca_file};
        argv.insert(argv.end(), args.begin(), args.end());
        std::map<std::string, std::string> env = {
            {"GRIN_CREDENTIALS_DIR", emulator.credentials_dir.string()}};
        return std::make_unique<test::child_process>(argv, env);
    }

    // Runs `grin collect` to the end; returns {exit code, output}.
    std::pair<int, std::string> collect(std::vector<std::string> args) {
        auto grin = start_collect(std::move(args));
        int code = grin->wait(240s);
        return {code, grin->output()};
    }

    std::pair<int, std::string> grin_command(std::vector<std::string> args) {
        args.insert(args.begin(), test::built_binary("grin").string());
        test::child_process grin(args);
        int code = grin.wait(60s);
        return {code, grin.output()};
    }

    std::vector<std::string> first_run_flags(const std::string& run, const std::string& library) {
        return {"--run-name", run,     "--library-directory", library,
                "--storage",  "local", "--storage-path",      (work / "storage").string()};
    }

    std::filesystem::path database(const std::string& run) {
        return work / "output" / run / "books.db";
    }

    nlohmann::json emulator_stats() {
        auto result = test::run_command("curl -s --cacert " + emulator.ca_file + " " +
                                        emulator.url + "/_emulator/stats");
        return nlohmann::json::parse(result.output, nullptr, false);
    }
};

std::optional<std::string> text_or_null(SQLite::Column column) {
    if (column.isNull())
        return std::nullopt;
    return column.getString();
}

std::optional<std::string> date_of(const std::optional<emulator::grin_time>& when) {
    if (!when)
        return std::nullopt;
    return when->date_only();
}

std::optional<std::string> non_empty(const std::string& value) {
    if (value.empty())
        return std::nullopt;
    return value;
}

// Every collected column of every book equals the catalogue's value.
void expect_database_matches_catalogue(const std::filesystem::path& db_file,
                                       const catalogue_shape& shape,
                                       std::uint64_t expected_count) {
    emulator::catalogue_params params;
    params.seed = shape.seed;
    params.library = shape.library;
    params.book_count = shape.books;
    params.converted_fraction = shape.converted;
    params.failed_fraction = shape.failed;
    emulator::catalogue catalogue(params);

    SQLite::Database db(db_file.string(), SQLite::OPEN_READONLY);
    EXPECT_EQ(db.execAndGet("SELECT count(*) FROM books").getInt64(),
              static_cast<std::int64_t>(expected_count));
    SQLite::Statement query(db, "SELECT title, grin_state, scanned_date, analyzed_date, "
                                "converted_date, downloaded_date, processed_date, ocr_date, "
                                "google_books_link FROM books WHERE barcode = ?");
    std::uint64_t mismatches = 0;
    for (std::uint64_t i = 0; i < expected_count; ++i) {
        emulator::book book = catalogue.at(i);
        query.reset();
        query.bind(1, book.barcode);
        if (!query.executeStep()) {
            ADD_FAILURE() << "book " << book.barcode << " (#" << i << ") missing";
            if (++mismatches > 5)
                return;
            continue;
        }
        std::vector<std::pair<std::optional<std::string>, std::optional<std::string>>> checks = {
            {text_or_null(query.getColumn(0)), non_empty(book.title)},
            {text_or_null(query.getColumn(1)), non_empty(book.state)},
            {text_or_null(query.getColumn(2)), date_of(book.scanned)},
            {text_or_null(query.getColumn(3)), date_of(book.analyzed)},
            {text_or_null(query.getColumn(4)), date_of(book.converted_at)},
            {text_or_null(query.getColumn(5)), date_of(book.downloaded)},
            {text_or_null(query.getColumn(6)), date_of(book.processed)},
            {text_or_null(query.getColumn(7)), date_of(book.ocr)},
            {text_or_null(query.getColumn(8)), non_empty(book.google_books_link())},
        };
        for (std::size_t c = 0; c < checks.size(); ++c) {
            if (checks[c].first != checks[c].second) {
                ADD_FAILURE() << "book " << book.barcode << " column " << c << ": stored '"
                              << checks[c].first.value_or("NULL") << "', catalogue '"
                              << checks[c].second.value_or("NULL") << "'";
                if (++mismatches > 5)
                    return;
            }
        }
    }
}

} // namespace

TEST_F(collect_run, collects_25000_books_over_many_pages_exactly) {
    catalogue_shape shape{.books = 25'000};
    start(shape);
    auto flags = first_run_flags("big", "Harvard");
    flags.insert(flags.end(), {"--page-size", "1000"}); // 25 pages; the last one exactly full
    auto [code, output] = collect(flags);
    ASSERT_EQ(code, 0) << output;
    EXPECT_NE(output.find("Collected 25000 books (25000 new or updated) from"), std::string::npos)
        << output;
    expect_database_matches_catalogue(database("big"), shape, 25'000);
    auto csv = read_file(work / "output" / "big" / "books_export.csv");
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 25'001);
    EXPECT_TRUE(csv.starts_with("Barcode,Title,Scanned Date,"));
    bool logged = false;
    for (auto& entry : std::filesystem::directory_iterator(work / "output" / "big" / "logs"))
        logged = logged ||
                 read_file(entry.path()).find("collect finished: 25000 books") != std::string::npos;
    EXPECT_TRUE(logged) << "the run's log file records the collect";

    // A rerun adds nothing and leaves the configuration alone.
    auto config_before = read_file(work / "output" / "big" / "run_config.json");
    auto [again, again_output] = collect({"--run-name", "big", "--page-size", "1000"});
    ASSERT_EQ(again, 0) << again_output;
    EXPECT_NE(again_output.find("(0 new or updated)"), std::string::npos) << again_output;
    EXPECT_EQ(read_file(work / "output" / "big" / "run_config.json"), config_before);
    expect_database_matches_catalogue(database("big"), shape, 25'000);
}

TEST_F(collect_run, partial_last_page_and_limit) {
    catalogue_shape shape{.books = 2'345};
    start(shape);
    auto flags = first_run_flags("partial", "Harvard");
    flags.insert(flags.end(), {"--page-size", "500"});
    auto [code, output] = collect(flags);
    ASSERT_EQ(code, 0) << output;
    expect_database_matches_catalogue(database("partial"), shape, 2'345);

    auto limited = first_run_flags("limited", "Harvard");
    limited.insert(limited.end(), {"--page-size", "500", "--limit", "700"});
    auto [limited_code, limited_output] = collect(limited);
    ASSERT_EQ(limited_code, 0) << limited_output;
    expect_database_matches_catalogue(database("limited"), shape, 700);
}

TEST_F(collect_run, token_expiry_mid_collect_refreshes_and_continues) {
    catalogue_shape shape{.books = 3'000};
    // Tokens live 1 s and every page takes 150 ms: several expire during the run.
    start(shape, {"--token-lifetime", "1", "--latency", "150"});
    auto flags = first_run_flags("tokens", "Harvard");
    flags.insert(flags.end(), {"--page-size", "200"});
    const auto started = std::chrono::steady_clock::now();
    auto [code, output] = collect(flags);
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
    ASSERT_EQ(code, 0) << output;
    expect_database_matches_catalogue(database("tokens"), shape, 3'000);
    auto stats = emulator_stats();
    ASSERT_TRUE(stats.is_object());
    // About one refresh per token lifetime (a token is refreshed a quarter of its life
    // early, so every ~0.75 s of the run), never one per request (15 pages + probe). The
    // bound follows the measured run time: a loaded machine pages more slowly.
    const int grants = stats["token_grants"].get<int>();
    EXPECT_GE(grants, 1);
    EXPECT_LE(grants, static_cast<int>(elapsed.count() / 0.75) + 2) << elapsed.count() << " s";
    EXPECT_LT(grants, 16);
}

TEST_F(collect_run, server_errors_and_resets_are_retried_and_the_result_is_exact) {
    catalogue_shape shape{.books = 1'500};
    // Within the list policy's 3 attempts: a 503, then a reset mid-body, then success.
    start(shape, {"--fault", "route=all_books,status=503,first=1", "--fault",
                  "route=all_books,fault=reset_mid_body,after=2000,first=1"});
    auto flags = first_run_flags("faults", "Harvard");
    flags.insert(flags.end(), {"--page-size", "300"});
    auto [code, output] = collect(flags);
    ASSERT_EQ(code, 0) << output;
    expect_database_matches_catalogue(database("faults"), shape, 1'500);
    EXPECT_EQ(emulator_stats()["faults_injected"].get<int>(), 2);
}

TEST_F(collect_run, forbidden_library_is_a_clear_error) {
    start({.books = 10, .library = "Secret"}, {"--deny", "Secret"});
    auto [code, output] = collect(first_run_flags("denied", "Secret"));
    EXPECT_NE(code, 0);
    EXPECT_NE(output.find("denied access (HTTP 403)"), std::string::npos) << output;
}

TEST_F(collect_run, different_settings_for_an_existing_run_are_refused) {
    start({.books = 50});
    auto [code, output] = collect(first_run_flags("fixed", "Harvard"));
    ASSERT_EQ(code, 0) << output;
    auto before = read_file(work / "output" / "fixed" / "run_config.json");
    auto [refused, message] = collect(first_run_flags("fixed", "Yale"));
    EXPECT_EQ(refused, 2);
    EXPECT_NE(message.find("library_directory: stored \"Harvard\", given \"Yale\""),
              std::string::npos)
        << message;
    EXPECT_EQ(read_file(work / "output" / "fixed" / "run_config.json"), before);
}

TEST_F(collect_run, bad_input_gives_an_actionable_message) {
    start({.books = 5});
    auto [url_code, url_output] = collect(first_run_flags("bad", "https://books.google.com/x"));
    EXPECT_EQ(url_code, 2);
    EXPECT_NE(url_output.find("invalid --library-directory"), std::string::npos) << url_output;

    auto [no_lib_code, no_lib_output] = collect({"--run-name", "nolib"});
    EXPECT_EQ(no_lib_code, 2);
    EXPECT_NE(no_lib_output.find("--library-directory is required"), std::string::npos);

    std::filesystem::remove(emulator.credentials_dir / "credentials.json");
    auto [cred_code, cred_output] = collect(first_run_flags("nocred", "Harvard"));
    EXPECT_EQ(cred_code, 2);
    EXPECT_NE(cred_output.find("grin auth setup"), std::string::npos) << cred_output;
}

TEST_F(collect_run, interrupt_keeps_every_committed_page_and_a_rerun_completes) {
    catalogue_shape shape{.books = 20'000};
    start(shape, {"--latency", "100"}); // 40 pages of 500: several seconds of paging
    auto flags = first_run_flags("interrupted", "Harvard");
    flags.insert(flags.end(), {"--page-size", "500"});
    auto grin = start_collect(flags);
    grin->wait_for_line("barcode records", 120s); // after the first 2,000 books
    grin->signal(SIGINT);
    int code = grin->wait(60s);
    EXPECT_EQ(code, 130) << grin->output();
    EXPECT_NE(grin->output().find("Interrupt received"), std::string::npos);
    std::int64_t kept;
    {
        SQLite::Database db(database("interrupted").string(), SQLite::OPEN_READONLY);
        kept = db.execAndGet("SELECT count(*) FROM books").getInt64();
    }
    EXPECT_GE(kept, 2'000);
    EXPECT_LT(kept, 20'000);
    EXPECT_EQ(kept % 500, 0) << "pages are committed whole";

    auto [again, output] = collect({"--run-name", "interrupted", "--page-size", "500"});
    ASSERT_EQ(again, 0) << output;
    expect_database_matches_catalogue(database("interrupted"), shape, 20'000);
}

TEST_F(collect_run, auth_setup_exchanges_a_code_for_working_credentials) {
    start({.books = 30});
    auto credentials = emulator.credentials_dir / "credentials.json";
    std::filesystem::remove(credentials);
    auto [refused, refused_output] =
        grin_command({"auth", "setup", "--secrets-dir", emulator.credentials_dir.string(), "--code",
                      "4/not-the-code", "--ca-file", emulator.ca_file});
    EXPECT_EQ(refused, 2);
    EXPECT_NE(refused_output.find("refused the authorization code"), std::string::npos)
        << refused_output;
    EXPECT_FALSE(std::filesystem::exists(credentials));

    auto [code, output] =
        grin_command({"auth", "setup", "--secrets-dir", emulator.credentials_dir.string(), "--code",
                      "4/emulator-authorization-code", "--ca-file", emulator.ca_file});
    ASSERT_EQ(code, 0) << output;
    EXPECT_EQ(std::filesystem::status(credentials).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    EXPECT_EQ(output.find("1//emulator-refresh-token"), std::string::npos) << "secret printed";
    auto [collected, collect_output] = collect(first_run_flags("after_setup", "Harvard"));
    ASSERT_EQ(collected, 0) << collect_output;
}

TEST_F(collect_run, a_base_url_that_is_not_grin_is_a_clear_error) {
    start({.books = 10});
    std::vector<std::string> argv = {test::built_binary("grin").string(),
                                     "collect",
                                     "--output-root",
                                     (work / "output").string(),
                                     "--grin-base-url",
                                     emulator.url + "/not-grin/",
                                     "--ca-file",
                                     emulator.ca_file,
                                     "--run-name",
                                     "wrong",
                                     "--library-directory",
                                     "Harvard",
                                     "--storage",
                                     "local",
                                     "--storage-path",
                                     (work / "storage").string()};
    test::child_process wrong(argv, {{"GRIN_CREDENTIALS_DIR", emulator.credentials_dir.string()}});
    EXPECT_EQ(wrong.wait(60s), 1);
    EXPECT_NE(wrong.output().find("GRIN answered HTTP 404"), std::string::npos) << wrong.output();
    EXPECT_NE(wrong.output().find("/not-grin/Harvard/"), std::string::npos) << wrong.output();
}
