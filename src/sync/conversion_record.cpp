#include <grin/sync/conversion_record.hpp>

#include <nlohmann/json.hpp>

namespace grin::sync {
using db::queries::status_update;
using nlohmann::json;

namespace {

status_update conversion_status(const std::string& barcode, std::string value, const json& meta) {
    return {.barcode = barcode,
            .status_type = "conversion",
            .status_value = std::move(value),
            .metadata_json = meta.dump()};
}

} // namespace

conversion_record conversion_answer_record(const std::string& barcode,
                                           const api::process_entry& entry,
                                           system_time now) {
    json meta = {{"conversion_status", std::string(api::to_string(entry.outcome))},
                 {"request_count", 1},
                 {"grin_response", entry.status}};
    conversion_record record;
    std::string value;
    switch (entry.outcome) {
    case api::process_outcome::requested:
        record.reason = "success";
        value = "requested";
        record.fields.push_back({"processing_request_timestamp", format_iso8601_utc(now)});
        break;
    case api::process_outcome::already_available:
        record.reason = "skip_already_available";
        value = "skipped";
        break;
    case api::process_outcome::in_process:
        record.reason = "skip_already_in_process";
        value = "in_process";
        break;
    case api::process_outcome::unavailable:
        record.reason = "skip_verified_unavailable";
        value = "unavailable";
        break;
    }
    meta["reason"] = record.reason;
    record.updates.push_back(conversion_status(barcode, std::move(value), meta));
    return record;
}

conversion_record conversion_limit_record(const std::string& barcode) {
    conversion_record record;
    record.reason = "fail_queue_limit_reached";
    record.updates.push_back(conversion_status(barcode, "limit_reached",
                                               {{"conversion_status", "limit_reached"},
                                                {"request_count", 1},
                                                {"grin_response", "HTTP 429"},
                                                {"reason", record.reason}}));
    return record;
}

conversion_record conversion_error_record(const std::string& barcode, const std::string& message) {
    conversion_record record;
    record.reason = "fail_request_error";
    record.updates.push_back(conversion_status(barcode, "failed",
                                               {{"conversion_status", "failed"},
                                                {"request_count", 1},
                                                {"reason", record.reason},
                                                {"error", message}}));
    return record;
}

boost::asio::awaitable<void>
record_conversion(db::database& database, std::string barcode, conversion_record record) {
    auto write = db::queries::record_status(database, std::move(record.updates), barcode,
                                            std::move(record.fields));
    co_await std::move(write);
}

} // namespace grin::sync
