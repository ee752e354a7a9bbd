#pragma once
// Which books one sync queue works on (grin-transfer-behaviour.md 4.2), and the printed
// "Barcode filtering" block:
//   converted    GRIN's _converted list minus books already synced; with --limit the
//                listing stops once enough unsynced books were found (grin-transfer
//                applied the limit before the synced filter and could end with none).
//   previous     database: PREVIOUSLY_DOWNLOADED, never requested, minus GRIN's queue.
//   unconverted  database: never converted or requested, minus GRIN's queue.
//   changed      database: every synced book, to be HEAD-checked for a new ETag (the
//                queue grin-transfer left as a TODO).
//   barcodes     the given list, synced or not (the ETag check decides), duplicates
//                dropped; barcodes unknown to the database are listed.
#include <grin/api/client.hpp>
#include <grin/db/database.hpp>
#include <grin/sync/book_job.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace grin::sync {

enum class queue_kind { converted, previous, unconverted, changed, barcodes };
std::string_view to_string(queue_kind kind) noexcept;
// "converted" -> queue_kind::converted; nullopt for an unknown name.
std::optional<queue_kind> parse_queue_kind(std::string_view name) noexcept;

inline constexpr std::uint64_t grin_queue_cap = 50'000;

// Room left in GRIN's conversion queue: cap minus the books in process, never below 0.
constexpr std::uint64_t conversion_space(std::uint64_t cap, std::uint64_t in_process) noexcept {
    return in_process >= cap ? 0 : cap - in_process;
}

struct selection {
    std::vector<std::string> barcodes; // to process, in order
    std::uint64_t source = 0;          // candidates before filtering
    std::uint64_t removed_synced = 0;
    std::uint64_t removed_in_process = 0;
    std::uint64_t removed_by_limit = 0;
    std::vector<std::string> unknown;             // barcodes mode: not in the database
    conversion_budget conversions;                // for this queue's conversion requests
    std::optional<std::uint64_t> grin_in_process; // previous/unconverted: GRIN's queue length
    std::vector<std::string> notes;               // extra lines for the filtering block
};

struct selection_request {
    queue_kind kind = queue_kind::converted;
    std::vector<std::string> barcodes; // barcodes mode
    std::optional<std::uint64_t> limit;
    // GRIN's conversion queue cap: previous/unconverted get cap - in_process as their
    // conversion budget (tests lower it to match an emulator's --queue-cap).
    std::uint64_t queue_cap = grin_queue_cap;
};

boost::asio::awaitable<selection>
select_books(api::client& grin, db::database& database, selection_request request);

// The "Barcode filtering:" block.
std::string describe_selection(const selection& chosen, const selection_request& request);

// GRIN's _failed list, read once per run (failures are tolerated: an empty map and a
// warning, as grin-transfer does, since the list only refines the CHECK step).
boost::asio::awaitable<known_failures> load_known_failures(api::client& grin);

} // namespace grin::sync
