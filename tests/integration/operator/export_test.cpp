// `grin export` (CSV and JSONL, constant memory for 100,000 books), `grin reports view`
// over the process summary the commands write, and `--log-format json` in the run's log.
#include <grin/db/database.hpp>
#include <grin/db/schema.hpp>
#include <grin/run/csv_export.hpp>
#include <grin/run/run_config.hpp>

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <sys/resource.h>
#include <sys/wait.h>

#include "child_process.hpp"
#include "test_support.hpp"

extern char** environ;

namespace grin::test {
namespace {

struct measured_run {
    int exit_code = -1;
    long peak_rss_kib = 0;
    std::string output;
};

// Runs `grin args...` to completion and reports its peak resident set (wait4's rusage).
measured_run run_grin_measured(const std::vector<std::string>& args,
                               const std::filesystem::path& output_file) {
    std::vector<std::string> argv{built_binary("grin").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> raw;
    for (auto& arg : argv)
        raw.push_back(arg.data());
    raw.push_back(nullptr);
    // ASan keeps freed blocks in a quarantine of up to 256 MiB, which would hide whether
    // the export streams; a small one keeps the measurement about the program.
    std::vector<std::string> environment{"ASAN_OPTIONS=quarantine_size_mb=4:detect_leaks=1"};
    for (char** entry = environ; *entry; ++entry)
        if (std::string_view(*entry).rfind("ASAN_OPTIONS=", 0) != 0)
            environment.emplace_back(*entry);
    std::vector<char*> envp;
    for (auto& entry : environment)
        envp.push_back(entry.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = -1;
    int spawned = posix_spawn(&pid, raw[0], &actions, nullptr, raw.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    measured_run result;
    if (spawned != 0)
        return result;
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.peak_rss_kib = usage.ru_maxrss;
    std::ifstream in(output_file);
    std::ostringstream text;
    text << in.rdbuf();
    result.output = text.str();
    return result;
}

std::string slurp(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string title_of(std::uint64_t i) {
    // Commas, quotes, a newline and non-ASCII text exercise the CSV quoting; the length
    // makes a buffering export visibly bigger than a streaming one.
    return "Title " + std::to_string(i) + ", \"quoted\"\nsecond line, caf\xc3\xa9 " +
           std::string(400, static_cast<char>('a' + i % 26));
}

std::string barcode_of(std::uint64_t i) {
    char text[32];
    std::snprintf(text, sizeof text, "EXP%08llu", static_cast<unsigned long long>(i));
    return text;
}

// A run directory with run_config.json and a books.db of `books` rows, as collect leaves
// them (the rows are written directly: collecting 100,000 books would dominate the test).
class export_fixture : public ::testing::Test {
public:
    temp_dir work;
    std::filesystem::path output_root() { return work / "output"; }

    std::filesystem::path make_run(const std::string& name, std::uint64_t books) {
        auto dir = output_root() / name;
        std::filesystem::create_directories(dir);
        run::run_config config;
        config.run_name = name;
        config.library_directory = "Harvard";
        config.output_directory = dir.string();
        config.sqlite_db_path = (dir / "books.db").string();
        config.storage.config["base_path"] = (work / "storage").string();
        config.log_file = (dir / "logs" / "grin_pipeline.log").string();
        std::ofstream(dir / "run_config.json") << run::to_json_text(config);
        {
            db::database creating({.path = dir / "books.db"});
            creating.stop();
        }
        SQLite::Database db((dir / "books.db").string(), SQLite::OPEN_READWRITE);
        SQLite::Transaction transaction(db);
        SQLite::Statement insert(
            db, "INSERT INTO books (barcode, title, scanned_date, grin_state, is_decrypted, "
                "storage_path, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        for (std::uint64_t i = 0; i < books; ++i) {
            insert.bind(1, barcode_of(i));
            insert.bind(2, title_of(i));
            insert.bind(3, "2024-01-15T10:30:00");
            insert.bind(4, i % 3 == 0 ? "CONVERTED" : "PREVIOUSLY_DOWNLOADED");
            insert.bind(5, static_cast<int>(i % 2));
            if (i % 5 == 0)
                insert.bind(6); // NULL
            else
                insert.bind(6, "/data/raw/" + barcode_of(i) + ".tar.gz");
            insert.bind(7, "2025-09-01T10:15:00.000000+00:00");
            insert.bind(8, "2025-09-01T10:15:00.000000+00:00");
            insert.exec();
            insert.reset();
        }
        transaction.commit();
        return dir;
    }

    measured_run grin_export(const std::string& run, std::vector<std::string> extra) {
        std::vector<std::string> args{"export", "--run-name", run, "--output-root",
                                      output_root().string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_grin_measured(args, work / ("export-" + run + ".out"));
    }
};

// RFC 4180 records of a whole file (quoted fields may hold commas, quotes and newlines).
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
    std::vector<std::vector<std::string>> records(1);
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            records.back().push_back(std::move(field));
            field.clear();
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            records.back().push_back(std::move(field));
            field.clear();
            records.emplace_back();
            ++i;
        } else {
            field += c;
        }
    }
    if (records.back().empty())
        records.pop_back();
    return records;
}

TEST_F(export_fixture, csv_of_100000_books_streams_in_constant_memory) {
    make_run("small", 10'000);
    make_run("large", 100'000);
    auto small = grin_export("small", {});
    ASSERT_EQ(small.exit_code, 0) << small.output;
    auto large = grin_export("large", {});
    ASSERT_EQ(large.exit_code, 0) << large.output;
    EXPECT_NE(large.output.find("Wrote 100000 rows to"), std::string::npos) << large.output;

    auto csv = parse_csv(slurp(output_root() / "large" / "books_export.csv"));
    ASSERT_EQ(csv.size(), 100'001u);
    auto columns = db::schema::book_columns();
    ASSERT_EQ(csv[0].size(), columns.size());
    std::size_t title = 0, barcode = 0, decrypted = 0, path = 0;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        EXPECT_EQ(csv[0][i], run::csv_label(columns[i]));
        if (columns[i] == "title")
            title = i;
        if (columns[i] == "barcode")
            barcode = i;
        if (columns[i] == "is_decrypted")
            decrypted = i;
        if (columns[i] == "storage_path")
            path = i;
    }
    for (std::uint64_t i : {0ull, 1ull, 4ull, 5ull, 54'321ull, 99'999ull}) {
        const auto& row = csv[i + 1];
        ASSERT_EQ(row.size(), columns.size()) << i;
        EXPECT_EQ(row[barcode], barcode_of(i));
        EXPECT_EQ(row[title], title_of(i));
        EXPECT_EQ(row[decrypted], i % 2 ? "TRUE" : "FALSE");
        EXPECT_EQ(row[path], i % 5 == 0 ? "" : "/data/raw/" + barcode_of(i) + ".tar.gz");
    }

    // The rows alone are ~45 MB more in the large run; a streaming export grows by far
    // less than that (the page cache is capped and mmap is off for export).
    long growth_kib = large.peak_rss_kib - small.peak_rss_kib;
    std::cout << "peak RSS: 10,000 books " << small.peak_rss_kib / 1024 << " MiB, 100,000 books "
              << large.peak_rss_kib / 1024 << " MiB\n";
    EXPECT_LT(growth_kib, 16 * 1024) << "export memory grows with the number of books";
}

TEST_F(export_fixture, jsonl_has_one_object_per_book_with_nulls_and_booleans) {
    auto dir = make_run("j", 2'000);
    {
        SQLite::Database db((dir / "books.db").string(), SQLite::OPEN_READWRITE);
        db.exec("UPDATE books SET title = 'bad \xff\xfe bytes' WHERE barcode = '" + barcode_of(7) +
                "'");
    }
    auto target = work / "books.jsonl";
    auto result = grin_export("j", {"--format", "jsonl", "--output", target.string()});
    ASSERT_EQ(result.exit_code, 0) << result.output;
    std::istringstream lines(slurp(target));
    std::string line;
    std::uint64_t count = 0;
    while (std::getline(lines, line)) {
        auto row = nlohmann::json::parse(line, nullptr, false);
        ASSERT_TRUE(row.is_object()) << line.substr(0, 200);
        ASSERT_EQ(row.size(), db::schema::book_columns().size());
        EXPECT_EQ(row["barcode"], barcode_of(count));
        EXPECT_TRUE(row["is_decrypted"].is_boolean());
        EXPECT_EQ(row["is_decrypted"].get<bool>(), count % 2 == 1);
        EXPECT_TRUE(row["marc_title"].is_null());
        if (count == 7)
            EXPECT_EQ(row["title"], "bad \xef\xbf\xbd\xef\xbf\xbd bytes");
        else
            EXPECT_EQ(row["title"], title_of(count));
        ++count;
    }
    EXPECT_EQ(count, 2'000u);
}

TEST_F(export_fixture, export_refuses_an_unknown_run_and_an_empty_database) {
    auto unknown = grin_export("nope", {});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_NE(unknown.output.find("grin collect"), std::string::npos) << unknown.output;
    make_run("empty", 0);
    auto empty = grin_export("empty", {});
    EXPECT_EQ(empty.exit_code, 1);
    EXPECT_NE(empty.output.find("no books"), std::string::npos) << empty.output;
    EXPECT_FALSE(std::filesystem::exists(output_root() / "empty" / "books_export.csv"));
    auto bad = grin_export("empty", {"--format", "xml"});
    EXPECT_EQ(bad.exit_code, 2) << bad.output;
}

TEST_F(export_fixture, reports_view_shows_what_the_commands_recorded) {
    make_run("rep", 300);
    auto missing = run_grin_measured(
        {"reports", "view", "--run-name", "rep", "--output-root", output_root().string()},
        work / "report0.out");
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.output.find("no command has finished"), std::string::npos) << missing.output;

    ASSERT_EQ(grin_export("rep", {}).exit_code, 0);
    ASSERT_EQ(grin_export("rep", {"--format", "jsonl"}).exit_code, 0);
    auto view = run_grin_measured(
        {"reports", "view", "--run-name", "rep", "--output-root", output_root().string()},
        work / "report1.out");
    ASSERT_EQ(view.exit_code, 0) << view.output;
    EXPECT_NE(view.output.find("Run: rep"), std::string::npos) << view.output;
    EXPECT_NE(view.output.find("Status: Last stage: export"), std::string::npos) << view.output;
    EXPECT_NE(view.output.find("Total Items Processed: 600"), std::string::npos) << view.output;
    EXPECT_NE(view.output.find("Success Rate: 100.0%"), std::string::npos) << view.output;
    EXPECT_NE(view.output.find("export: 600 items (2 runs"), std::string::npos) << view.output;

    auto raw = run_grin_measured(
        {"reports", "view", "--run-name", "rep", "--output-root", output_root().string(), "--raw"},
        work / "report2.out");
    ASSERT_EQ(raw.exit_code, 0);
    auto summary = nlohmann::json::parse(raw.output, nullptr, false);
    ASSERT_TRUE(summary.is_object()) << raw.output;
    EXPECT_EQ(summary["stages"]["export"]["runs"], 2);
    EXPECT_EQ(summary["stages"]["export"]["counters"]["rows"], 600);
    EXPECT_EQ(summary["stages"]["export"]["last_run"]["details"]["format"], "jsonl");

    // A stage marked active by a process that is gone reads as interrupted.
    summary["active"] = {
        {"stage", "sync"}, {"since", "2026-01-01T00:00:00+00:00"}, {"pid", 999999}};
    std::ofstream(output_root() / "rep" / "process_summary.json") << summary.dump(2);
    auto interrupted = run_grin_measured(
        {"reports", "view", "--run-name", "rep", "--output-root", output_root().string()},
        work / "report3.out");
    EXPECT_NE(interrupted.output.find("Status: Interrupted: sync"), std::string::npos)
        << interrupted.output;
}

TEST_F(export_fixture, log_format_json_writes_one_object_per_line_to_the_run_log) {
    auto dir = make_run("logs", 10);
    auto result = grin_export("logs", {"--log-format", "json", "--log-level", "debug"});
    ASSERT_EQ(result.exit_code, 0) << result.output;
    auto text = slurp(dir / "logs" / "grin_pipeline.log");
    std::istringstream lines(text);
    std::string line;
    int parsed = 0;
    bool started = false;
    while (std::getline(lines, line)) {
        auto entry = nlohmann::json::parse(line, nullptr, false);
        ASSERT_TRUE(entry.is_object()) << line;
        EXPECT_TRUE(entry["time"].is_string());
        EXPECT_TRUE(entry["level"].is_string());
        started = started ||
                  entry["message"].get<std::string>().find("export started") != std::string::npos;
        ++parsed;
    }
    EXPECT_GE(parsed, 2);
    EXPECT_TRUE(started) << text;
}

} // namespace
} // namespace grin::test
