// `grin enrich` end to end: the real emulator over TLS after a real `grin collect`.
#include <grin/api/tsv.hpp>
#include <grin/core/progress.hpp>
#include <grin/emulator/pages.hpp>
#include <grin/enrich/url_batches.hpp>

#include <csignal>

#include "sync_fixture.hpp"

namespace grin::test {
namespace {

class enrich_test : public sync_fixture {
public:
    void SetUp() override {
        shape.books = 5000;
        shape.converted = 0.6;
        shape.failed = 0.1;
    }

    std::vector<std::string> enrich_args(std::vector<std::string> extra) {
        std::vector<std::string> args = {"enrich", "--run-name", run_name, "--output-root",
                                         output_root().string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    }

    run_result enrich(std::vector<std::string> extra) {
        return grin(enrich_args(std::move(extra)), 120s);
    }

    // Barcodes in enrich's selection order (created_at, then barcode).
    std::vector<std::string> selection_order() {
        SQLite::Database db(database().string(), SQLite::OPEN_READONLY);
        SQLite::Statement query(db, "SELECT barcode FROM books ORDER BY created_at, barcode");
        std::vector<std::string> barcodes;
        while (query.executeStep())
            barcodes.push_back(query.getColumn(0).getString());
        return barcodes;
    }

    std::set<std::string> unenriched() {
        SQLite::Database db(database().string(), SQLite::OPEN_READONLY);
        SQLite::Statement query(db, "SELECT barcode FROM books WHERE enrichment_timestamp IS NULL");
        std::set<std::string> barcodes;
        while (query.executeStep())
            barcodes.insert(query.getColumn(0).getString());
        return barcodes;
    }

    // Every mapped column of every book equals what the emulator serves for it (its
    // catalogue through pages.cpp's barcode_search_values), "" included; returns the number
    // of books compared.
    std::size_t expect_all_columns_match_catalogue() {
        emulator::catalogue catalogue(shape.catalogue());
        std::string sql = "SELECT barcode, enrichment_timestamp";
        for (const auto& [header, column] : api::barcode_search_db_columns)
            sql += ", " + std::string(column);
        SQLite::Database db(database().string(), SQLite::OPEN_READONLY);
        SQLite::Statement query(db, sql + " FROM books");
        std::size_t books = 0, mismatches = 0;
        while (query.executeStep()) {
            std::string barcode = query.getColumn(0).getString();
            auto index = catalogue.index_of(barcode);
            if (!index) {
                ADD_FAILURE() << "book not in the catalogue: " << barcode;
                continue;
            }
            ++books;
            EXPECT_FALSE(query.getColumn(1).isNull()) << barcode;
            auto served = emulator::barcode_search_values(catalogue.at(*index));
            int at = 2;
            for (const auto& [header, column] : api::barcode_search_db_columns) {
                auto position = std::find(api::barcode_search_columns.begin(),
                                          api::barcode_search_columns.end(), header) -
                                api::barcode_search_columns.begin();
                auto value = query.getColumn(at++);
                if (value.isNull() || value.getString() != served[position]) {
                    if (++mismatches <= 10)
                        ADD_FAILURE() << barcode << " " << column << ": stored '"
                                      << (value.isNull() ? "NULL" : value.getString())
                                      << "', GRIN serves '" << served[position] << "'";
                }
            }
        }
        EXPECT_EQ(mismatches, 0u);
        return books;
    }

    nlohmann::json enrich_stage() {
        std::ifstream in(run_dir() / "process_summary.json");
        auto summary = nlohmann::json::parse(in, nullptr, false);
        return summary["stages"]["enrich"];
    }

    void add_fault(const std::string& rule) {
        auto result = run_command("curl -s -X POST --cacert " + emulator.ca_file + " --data '" +
                                  rule + "' " + emulator.url + "/_emulator/faults");
        ASSERT_NE(result.output.find("\"rule\""), std::string::npos) << result.output;
    }
};

// 5,000 books in 3 DB batches of up to 2,000, each split into URL batches of <= 7,500
// characters: every mapped column of every book ends up as the emulator serves it.
// A rerun has nothing to do; --reset clears what enrich wrote.
TEST_F(enrich_test, every_column_of_5000_books_matches_the_catalogue_then_reset_clears) {
    start_emulator();
    collect();
    auto result = enrich({"--rate-limit", "0", "--batch-size", "2000", "--max-concurrent", "4"});
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("Progress: 2,000/5,000 processed"), std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("Completed: 5,000 processed, 5,000 enriched, 0 failed in "),
              std::string::npos)
        << result.output;
    EXPECT_EQ(expect_all_columns_match_catalogue(), 5000u);
    EXPECT_TRUE(unenriched().empty());

    auto stats = emulator_stats();
    const auto requests = stats["requests"]["barcode_search"].get<std::uint64_t>();
    // ~1,060 six-character barcodes fit one URL: 2 + 2 + 1 requests.
    EXPECT_EQ(requests, 5u);
    EXPECT_LE(stats["max_in_flight"]["barcode_search"].get<std::uint64_t>(), 4u);
    auto stage = enrich_stage();
    EXPECT_EQ(stage["counters"]["enriched"], 5000);
    EXPECT_EQ(stage["counters"]["failed"], 0);
    EXPECT_EQ(stage["counters"]["requests"], requests);
    EXPECT_EQ(stage["last_run"]["details"]["max_concurrent"], 4);

    auto again = enrich({"--rate-limit", "0"});
    ASSERT_EQ(again.exit_code, 0) << again.output;
    EXPECT_NE(again.output.find("Completed: 0 processed"), std::string::npos) << again.output;
    EXPECT_EQ(emulator_stats()["requests"]["barcode_search"].get<std::uint64_t>(), requests);

    // --reset clears all 5,000, then (--limit 10) enriches just ten again.
    auto reset = enrich({"--rate-limit", "0", "--reset", "--limit", "10"});
    ASSERT_EQ(reset.exit_code, 0) << reset.output;
    EXPECT_NE(reset.output.find("cleared the enrichment of 5,000 books"), std::string::npos)
        << reset.output;
    EXPECT_EQ(unenriched().size(), 4990u);
    SQLite::Database db(database().string(), SQLite::OPEN_READONLY);
    EXPECT_EQ(db.execAndGet("SELECT count(*) FROM books WHERE enrichment_timestamp IS NULL AND "
                            "(grin_viewability IS NOT NULL OR grin_state IS NOT NULL OR "
                            "ocr_date IS NOT NULL)")
                  .getInt(),
              0);
}

// One URL batch answers 503 to all 3 attempts: exit 1, exactly its books stay NULL (the
// reference marked them enriched forever); the rest of the run goes on. A rerun without
// the fault fills them in and exits 0.
TEST_F(enrich_test, failed_batch_is_retried_and_left_retryable) {
    shape.books = 3000;
    start_emulator();
    collect();
    // The second URL batch of the first DB batch, as enrich will form it.
    auto order = selection_order();
    ASSERT_EQ(order.size(), 3000u);
    std::vector<std::string> first_db_batch(order.begin(), order.begin() + 2500);
    auto batches = enrich::url_batches(emulator.url + "/libraries/", shape.library, first_db_batch);
    ASSERT_GE(batches.size(), 2u);
    const auto& doomed = batches[1].barcodes;
    add_fault("route=barcode_search,barcode=" + doomed.front() + ",status=503,first=3");

    auto failed = enrich({"--rate-limit", "0", "--batch-size", "2500"});
    EXPECT_EQ(failed.exit_code, 1) << failed.output;
    EXPECT_NE(failed.output.find(with_thousands(doomed.size()) +
                                 " failed (1 request failed after retries; rerun to retry them)"),
              std::string::npos)
        << failed.output;
    EXPECT_EQ(unenriched(), std::set<std::string>(doomed.begin(), doomed.end()));
    auto stats = emulator_stats();
    EXPECT_EQ(stats["statuses"]["503"], 3) << stats.dump(); // 3 attempts, then given up
    auto stage = enrich_stage();
    EXPECT_EQ(stage["counters"]["failed"], doomed.size());
    EXPECT_EQ(stage["last_run"]["errors"][0], "1 x HTTP 503");

    control("clear_faults", "");
    auto rerun = enrich({"--rate-limit", "0"});
    EXPECT_EQ(rerun.exit_code, 0) << rerun.output;
    EXPECT_NE(rerun.output.find("Completed: " + with_thousands(doomed.size()) + " processed, " +
                                with_thousands(doomed.size()) + " enriched, 0 failed"),
              std::string::npos)
        << rerun.output;
    EXPECT_TRUE(unenriched().empty());
    EXPECT_EQ(expect_all_columns_match_catalogue(), 3000u);
}

// --rate-limit 5 with 5 requests allowed in flight: the emulator's own clock sees at most
// 5 requests in any one-second window, plus the bucket's initial burst of one.
TEST_F(enrich_test, rate_limit_holds_at_the_emulator) {
    shape.books = 3000;
    start_emulator();
    collect();
    auto result = enrich({"--rate-limit", "5", "--batch-size", "250", "--max-concurrent", "5"});
    ASSERT_EQ(result.exit_code, 0) << result.output;
    auto stats = emulator_stats();
    const auto requests = stats["requests"]["barcode_search"].get<std::uint64_t>();
    ASSERT_GE(requests, 12u); // 12 DB batches of 250, one request each
    const auto& timing = stats["timing"]["barcode_search"];
    EXPECT_LE(timing["max_per_second"].get<std::uint64_t>(), 6u) << timing.dump();
    const double span_s =
        (timing["last_ms"].get<double>() - timing["first_ms"].get<double>()) / 1000.0;
    // n requests paced at 5/s span at least (n - 1) / 5 s; 50 ms for network jitter.
    EXPECT_GE(span_s + 0.05, static_cast<double>(requests - 1) / 5.0) << timing.dump();
    EXPECT_LE(static_cast<double>(requests - 1) / span_s, 5.0 * 1.05) << timing.dump();
    EXPECT_EQ(enrich_stage()["last_run"]["details"]["rate_limit_per_second"], 5.0);
}

// Ctrl-C once: no new request starts, the ones in flight are written, the summary is
// recorded, exit 130 with books left. Twice: exit 130 at once. A rerun finishes the job.
TEST_F(enrich_test, interrupt_once_finishes_in_flight_twice_exits_at_once) {
    shape.books = 3000;
    start_emulator();
    collect();
    auto slow = enrich_args({"--rate-limit", "2", "--batch-size", "250", "--max-concurrent", "2"});
    auto first = start_grin(slow);
    first->wait_for_line("Progress: 250/3,000");
    first->signal(SIGINT);
    EXPECT_EQ(first->wait(30s), 130) << first->output();
    EXPECT_NE(first->output().find("Completed: "), std::string::npos) << first->output();
    auto left = unenriched().size();
    EXPECT_GT(left, 0u);
    EXPECT_LE(left, 2750u);
    EXPECT_EQ(left % 250, 0u); // whole batches: in-flight ones were finished and written
    EXPECT_EQ(enrich_stage()["last_run"]["details"]["interrupted"], true);

    auto second = start_grin(slow);
    second->wait_for_line("Progress: ");
    second->signal(SIGINT);
    second->signal(SIGINT);
    EXPECT_EQ(second->wait(10s), 130) << second->output();

    auto rerun = enrich({"--rate-limit", "0"});
    EXPECT_EQ(rerun.exit_code, 0) << rerun.output;
    EXPECT_TRUE(unenriched().empty());
    EXPECT_EQ(expect_all_columns_match_catalogue(), 3000u);
}

TEST_F(enrich_test, bad_flags_and_unknown_run_exit_2) {
    for (std::vector<std::string> bad : {std::vector<std::string>{"--rate-limit", "-1"},
                                         {"--batch-size", "0"},
                                         {"--max-concurrent", "many"},
                                         {"--limit", "0"},
                                         {"--no-such-flag"}}) {
        auto result = enrich(bad);
        EXPECT_EQ(result.exit_code, 2) << bad[0] << ": " << result.output;
        EXPECT_NE(result.output.find(bad[0]), std::string::npos) << result.output;
    }
    auto missing = grin({"enrich", "--output-root", output_root().string()});
    EXPECT_EQ(missing.exit_code, 2) << missing.output;
    EXPECT_NE(missing.output.find("--run-name"), std::string::npos) << missing.output;

    auto unknown = enrich({});
    EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
    EXPECT_NE(unknown.output.find("grin collect"), std::string::npos) << unknown.output;

    auto help = grin({"enrich", "--help"});
    EXPECT_EQ(help.exit_code, 0);
    for (const char* text :
         {"--rate-limit", "--reset", "grin_state", "Exit codes", "130", "Examples"})
        EXPECT_NE(help.output.find(text), std::string::npos) << text;
}

} // namespace
} // namespace grin::test
