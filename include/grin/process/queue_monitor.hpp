#pragma once
// process::poll_queue and the lines of `grin process monitor` (issue #7): one poll reads
//   - GRIN's conversion queue length (_in_process),
//   - the length of GRIN's converted list (_converted, every page; rows are counted and
//     checked against this run's requested books, never stored),
//   - this run's requested books (books.processing_request_timestamp set) from books.db,
//     opened read-only for the poll (no session lock: the database is only read),
// and how many of those requested books are in the converted list now.
// The formatting functions are pure; poll_queue runs on the client's executor and
// throws what the client or the database throws.
#include <grin/api/client.hpp>
#include <grin/core/time.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace grin::process {

struct queue_sample {
    system_time when{};
    std::uint64_t in_process = 0;
    std::uint64_t converted = 0;
    std::uint64_t requested = 0;           // this run's requested books
    std::uint64_t requested_converted = 0; // of those, in the converted list now
};

boost::asio::awaitable<queue_sample> poll_queue(api::client& grin,
                                                std::filesystem::path database_file);

// Converted books per hour between two samples (0 when no time passed).
double converted_per_hour(const queue_sample& previous, const queue_sample& current) noexcept;

// "2025-09-01T10:15:00.123456+00:00  in process: 10 (+0)  converted: 35 (+5, 18,000.0/h)
//  requested by this run: 20, converted: 5 (+5)"; without a previous sample the changes
// read "(first poll)".
std::string format_sample_text(const queue_sample& sample, const queue_sample* previous);

// One JSON object per line: time, in_process, converted, requested, requested_converted,
// and (null on the first poll) in_process_change, converted_change,
// requested_converted_change, converted_per_hour, seconds_since_previous.
std::string format_sample_json(const queue_sample& sample, const queue_sample* previous);

} // namespace grin::process
