#pragma once
// The collect pipeline: every book of a library directory from GRIN's _all_books list
// into books.db (grin-transfer-behaviour.md 1.2). Pages are fetched with one-page
// prefetch while the previous page is stored; each page is stored in as few
// transactions as possible through the database actor (thousands of rows per commit).
// Resumable by construction: a rerun reads the list from the start, and existing books
// are kept as they are (or refreshed with `refresh`).
// Stopping: when `stop_requested` becomes true the page in hand is committed and the
// pipeline returns (interrupted = true); nothing committed is ever lost.
#include <grin/api/client.hpp>
#include <grin/db/database.hpp>

#include <atomic>
#include <functional>
#include <optional>

namespace grin::collect {

struct collect_params {
    std::optional<std::uint64_t> limit; // stop after this many books
    bool refresh = false;               // update metadata of books already in the database
    std::size_t rows_per_transaction = 10'000;
    std::uint64_t progress_every = 2'000;       // books between progress lines
    std::chrono::seconds progress_interval{10}; // and at least this often
    std::int64_t session_id = 0; // grin-transfer's processed.session_id (UNIX seconds)
};

struct collect_summary {
    std::uint64_t seen = 0;    // rows read from GRIN
    std::uint64_t written = 0; // rows inserted (or refreshed)
    std::uint64_t pages = 0;
    std::uint64_t invalid_rows = 0; // rows GRIN listed with a malformed or missing barcode
    bool interrupted = false;
};

using progress_sink = std::function<void(const std::string& line)>;

boost::asio::awaitable<collect_summary> collect_books(api::client& grin,
                                                      db::database& database,
                                                      collect_params params,
                                                      const std::atomic<bool>& stop_requested,
                                                      progress_sink progress);

} // namespace grin::collect
