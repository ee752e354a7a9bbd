#pragma once
// One library directory as the emulator serves it: the static catalogue plus what has
// happened since start-up (conversion requests, conversions, re-conversions). Lists are
// indexed lazily: the first _converted/_failed request scans the catalogue once (a few
// ms per million books), later changes update the index in place.
// Thread-safe: every member locks an internal mutex.
#include <grin/emulator/archive_builder.hpp>
#include <grin/emulator/catalogue.hpp>
#include <grin/emulator/types.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grin::emulator {

struct library_params {
    catalogue_params catalogue;
    std::uint64_t queue_cap = 50'000; // GRIN's conversion queue limit (tests use ~3)
    // A requested conversion completes by itself after this long (0 = only through
    // advance_conversions(), the control call).
    std::chrono::seconds conversion_delay{0};
    // `_process` wording for a book already in the queue: the real "Already being
    // converted", or "Already in process" to exercise the other client branch.
    bool legacy_in_process_wording = false;
};

// What a `_process` call did for the whole request.
struct conversion_request_result {
    bool queue_full = false; // HTTP 429 for the whole call; nothing changed
    std::vector<std::pair<std::string, std::string>> rows; // barcode, GRIN status wording
};

class library_state {
public:
    library_state(library_params params, clock_fn clock);

    const std::string& name() const noexcept { return params_.catalogue.library; }
    const catalogue& books() const noexcept { return catalogue_; }

    std::uint64_t size() const noexcept { return catalogue_.size(); }
    book at(std::uint64_t index) const; // with everything that happened applied
    std::optional<book> find(std::string_view barcode) const;
    std::uint32_t archive_version(std::uint64_t index) const; // 0 until re-converted

    std::uint64_t count(bool converted_list) const; // converted or failed list length
    // Rows [begin, end) of the converted (true) or failed (false) list, catalogue order.
    std::vector<book> slice(bool converted_list, std::uint64_t begin, std::uint64_t end) const;
    std::vector<std::string> in_process() const; // request order

    // `_process` for barcodes in request order (grin-protocol.md 7.3.4).
    conversion_request_result request_conversion(const std::vector<std::string>& barcodes);
    // Completes every pending conversion (control call). Returns how many.
    std::size_t advance_conversions();
    // A new archive version (new bytes, new ETag) for a converted book; false otherwise.
    bool reconvert(std::string_view barcode);
    void set_queue_cap(std::uint64_t cap);
    // Serve a deliberately broken archive for this book from now on (none = repair).
    // False for an unknown barcode.
    bool set_defect(std::string_view barcode, archive_defect defect);
    archive_defect defect(std::uint64_t index) const;

private:
    struct change {
        bool in_process = false;
        bool converted = false;
        std::chrono::system_clock::time_point requested_at;
        std::optional<grin_time> converted_at;
        std::uint32_t version = 0;
        std::uint64_t request_sequence = 0;
    };

    book apply(book b) const;         // caller holds mutex_
    void complete_due_locked() const; // promotes conversions whose delay has passed
    void complete_locked(std::uint64_t index,
                         change& c,
                         std::chrono::system_clock::time_point when) const;
    void build_index_locked() const;

    library_params params_;
    catalogue catalogue_;
    clock_fn clock_;
    mutable std::mutex mutex_;
    mutable std::map<std::uint64_t, change> changes_;
    std::map<std::uint64_t, archive_defect> defects_;
    mutable bool indexed_ = false;
    mutable std::vector<std::uint64_t> converted_index_, failed_index_; // sorted
    mutable std::uint64_t sequence_ = 0;
    mutable std::uint64_t queued_ = 0; // books in_process
    mutable std::optional<std::chrono::system_clock::time_point> next_due_;
};

} // namespace grin::emulator
