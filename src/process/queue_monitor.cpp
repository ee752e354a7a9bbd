#include <grin/core/progress.hpp>
#include <grin/db/database.hpp>
#include <grin/process/queue_monitor.hpp>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <unordered_set>

namespace grin::process {
namespace asio = boost::asio;

namespace {

std::vector<std::string> requested_barcodes(SQLite::Database& connection) {
    SQLite::Statement query(connection, "SELECT barcode FROM books WHERE "
                                        "NULLIF(processing_request_timestamp, '') IS NOT NULL");
    std::vector<std::string> barcodes;
    while (query.executeStep())
        barcodes.push_back(query.getColumn(0).getString());
    return barcodes;
}

asio::awaitable<std::vector<std::string>> read_requested(std::filesystem::path file) {
    db::database database({.path = std::move(file), .read_only = true});
    std::exception_ptr failure;
    std::vector<std::string> barcodes;
    try {
        auto read = database.read("requested_barcodes", [](SQLite::Database& connection) {
            return requested_barcodes(connection);
        });
        barcodes = co_await std::move(read);
    } catch (...) {
        failure = std::current_exception();
    }
    database.stop();
    if (failure)
        std::rethrow_exception(failure);
    co_return barcodes;
}

struct converted_count {
    std::unordered_set<std::string> requested;
    std::uint64_t rows = 0;
    std::uint64_t requested_rows = 0;
};

asio::awaitable<bool> keep_listing() {
    co_return true;
}

std::string signed_count(std::int64_t change) {
    return (change < 0 ? "-" : "+") +
           with_thousands(static_cast<std::uint64_t>(change < 0 ? -change : change));
}

std::int64_t change_of(std::uint64_t now, std::uint64_t before) {
    return static_cast<std::int64_t>(now) - static_cast<std::int64_t>(before);
}

} // namespace

asio::awaitable<queue_sample> poll_queue(api::client& grin, std::filesystem::path database_file) {
    queue_sample sample;
    auto reading = read_requested(std::move(database_file));
    std::vector<std::string> requested = co_await std::move(reading);
    sample.requested = requested.size();

    auto fetch = grin.in_process();
    std::vector<std::string> in_process = co_await std::move(fetch);
    sample.in_process = in_process.size();

    auto counting = std::make_shared<converted_count>();
    counting->requested.insert(requested.begin(), requested.end());
    api::client::page_handler on_page = [counting](const api::list_page& page) {
        for (const auto& row : page.rows) {
            ++counting->rows;
            if (counting->requested.contains(row.barcode))
                ++counting->requested_rows;
        }
        return keep_listing();
    };
    auto listing = grin.for_each_page("_converted", std::move(on_page));
    co_await std::move(listing);
    sample.converted = counting->rows;
    sample.requested_converted = counting->requested_rows;
    sample.when = now_utc();
    co_return sample;
}

double converted_per_hour(const queue_sample& previous, const queue_sample& current) noexcept {
    std::chrono::duration<double, std::ratio<3600>> hours = current.when - previous.when;
    if (hours.count() <= 0)
        return 0;
    return static_cast<double>(change_of(current.converted, previous.converted)) / hours.count();
}

std::string format_sample_text(const queue_sample& sample, const queue_sample* previous) {
    std::string line =
        format_iso8601_utc(sample.when) + "  in process: " + with_thousands(sample.in_process);
    if (previous)
        line += " (" + signed_count(change_of(sample.in_process, previous->in_process)) + ")";
    line += "  converted: " + with_thousands(sample.converted);
    if (previous) {
        char rate[48];
        std::snprintf(rate, sizeof rate, "%.1f/h", converted_per_hour(*previous, sample));
        line += " (" + signed_count(change_of(sample.converted, previous->converted)) + ", " +
                rate + ")";
    }
    line += "  requested by this run: " + with_thousands(sample.requested) +
            ", converted: " + with_thousands(sample.requested_converted);
    if (previous)
        line += " (" +
                signed_count(change_of(sample.requested_converted, previous->requested_converted)) +
                ")";
    else
        line += " (first poll)";
    return line;
}

std::string format_sample_json(const queue_sample& sample, const queue_sample* previous) {
    nlohmann::ordered_json out = {{"time", format_iso8601_utc(sample.when)},
                                  {"in_process", sample.in_process},
                                  {"converted", sample.converted},
                                  {"requested", sample.requested},
                                  {"requested_converted", sample.requested_converted}};
    if (previous) {
        std::chrono::duration<double> since = sample.when - previous->when;
        out["in_process_change"] = change_of(sample.in_process, previous->in_process);
        out["converted_change"] = change_of(sample.converted, previous->converted);
        out["requested_converted_change"] =
            change_of(sample.requested_converted, previous->requested_converted);
        out["converted_per_hour"] = converted_per_hour(*previous, sample);
        out["seconds_since_previous"] = since.count();
    } else {
        for (const char* key :
             {"in_process_change", "converted_change", "requested_converted_change",
              "converted_per_hour", "seconds_since_previous"})
            out[key] = nullptr;
    }
    return out.dump();
}

} // namespace grin::process
