#pragma once
// The `conversion` status rows a REQUEST_CONVERSION writes (grin-transfer-behaviour.md
// 3.2), shared by `grin sync pipeline` and `grin process request` so that both commands
// leave identical history: status_value, metadata JSON and, for a queued book, the
// books.processing_request_timestamp column.
//   GRIN "Success"                  conversion:requested     reason success (+ timestamp)
//   "Already available ..."         conversion:skipped       skip_already_available
//   "... in process" / "... being converted"
//                                   conversion:in_process    skip_already_in_process
//   anything else                   conversion:unavailable   skip_verified_unavailable
//   HTTP 429                        conversion:limit_reached fail_queue_limit_reached
//   other failures                  conversion:failed        fail_request_error
// Pure functions plus one awaitable that writes a record in one savepoint.
#include <grin/api/process_response.hpp>
#include <grin/core/time.hpp>
#include <grin/db/database.hpp>
#include <grin/db/queries.hpp>

#include <string>
#include <vector>

namespace grin::sync {

struct conversion_record {
    std::vector<db::queries::status_update> updates;
    std::vector<db::queries::column_value> fields; // books columns (requested only)
    std::string reason; // grin-transfer's reason: "success", "skip_already_available", ...
};

// GRIN answered `_process` for `barcode` with `entry`.
conversion_record conversion_answer_record(const std::string& barcode,
                                           const api::process_entry& entry,
                                           system_time now = now_utc());

// GRIN answered 429: its conversion queue is full.
conversion_record conversion_limit_record(const std::string& barcode);

// The request failed (after the client's retries) with `message`.
conversion_record conversion_error_record(const std::string& barcode, const std::string& message);

// Writes the record's rows and columns for `barcode` (one savepoint).
boost::asio::awaitable<void>
record_conversion(db::database& database, std::string barcode, conversion_record record);

} // namespace grin::sync
