#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/core/progress.hpp>
#include <grin/db/queries.hpp>
#include <grin/db/sync_queries.hpp>
#include <grin/sync/book_selection.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <set>
#include <unordered_set>

namespace grin::sync {
namespace asio = boost::asio;

std::string_view to_string(queue_kind kind) noexcept {
    switch (kind) {
    case queue_kind::converted:
        return "converted";
    case queue_kind::previous:
        return "previous";
    case queue_kind::unconverted:
        return "unconverted";
    case queue_kind::changed:
        return "changed";
    case queue_kind::barcodes:
        return "barcodes";
    }
    return "converted";
}

std::optional<queue_kind> parse_queue_kind(std::string_view name) noexcept {
    for (auto kind : {queue_kind::converted, queue_kind::previous, queue_kind::unconverted,
                      queue_kind::changed})
        if (to_string(kind) == name)
            return kind;
    return std::nullopt;
}

namespace {

asio::awaitable<std::vector<std::string>> synced_list(db::database& database) {
    auto read = db::queries::synced_barcodes(database);
    co_return co_await std::move(read);
}

using barcode_set = std::unordered_set<std::string>;

// Takes one _converted page; false stops the listing once the limit is reached.
asio::awaitable<bool> take_converted_page(std::shared_ptr<barcode_set> synced,
                                          std::shared_ptr<selection> out,
                                          std::optional<std::uint64_t> limit,
                                          std::vector<std::string> barcodes) {
    for (auto& barcode : barcodes) {
        ++out->source;
        if (synced->contains(barcode)) {
            ++out->removed_synced;
            continue;
        }
        if (limit && out->barcodes.size() >= *limit)
            co_return false;
        out->barcodes.push_back(std::move(barcode));
    }
    co_return !(limit && out->barcodes.size() >= *limit);
}

asio::awaitable<bool> continue_listing() {
    co_return true;
}

asio::awaitable<selection>
select_converted(api::client& grin, db::database& database, std::optional<std::uint64_t> limit) {
    std::vector<std::string> synced = co_await synced_list(database);
    auto done = std::make_shared<barcode_set>(synced.begin(), synced.end());
    auto chosen = std::make_shared<selection>();
    api::client::page_handler on_page = [done, chosen, limit](const api::list_page& page) {
        std::vector<std::string> barcodes;
        for (const auto& row : page.rows)
            barcodes.push_back(row.barcode);
        return take_converted_page(done, chosen, limit, std::move(barcodes));
    };
    auto listing = grin.for_each_page("_converted", std::move(on_page));
    co_await std::move(listing);
    if (limit)
        chosen->notes.push_back("listing stopped after " + with_thousands(chosen->barcodes.size()) +
                                " unsynced books (--limit)");
    co_return std::move(*chosen);
}

// previous / unconverted: database candidates minus what GRIN is converting right now,
// with the room left in GRIN's queue as this queue's conversion budget.
asio::awaitable<selection> select_for_conversion(api::client& grin,
                                                 std::vector<std::string> candidates,
                                                 std::optional<std::uint64_t> limit,
                                                 std::uint64_t queue_cap) {
    selection chosen;
    chosen.source = candidates.size();
    auto fetch = grin.in_process();
    std::vector<std::string> in_process = co_await std::move(fetch);
    std::unordered_set<std::string> converting(in_process.begin(), in_process.end());
    for (auto& barcode : candidates) {
        if (converting.contains(barcode)) {
            ++chosen.removed_in_process;
            continue;
        }
        chosen.barcodes.push_back(std::move(barcode));
    }
    std::uint64_t space = conversion_space(queue_cap, in_process.size());
    chosen.conversions.remaining = space;
    chosen.grin_in_process = in_process.size();
    chosen.notes.push_back("GRIN queue: " + with_thousands(in_process.size()) + " in process, " +
                           with_thousands(space) + " available space");
    chosen.notes.push_back("From this queue: " + with_thousands(chosen.removed_in_process) +
                           " already in process");
    if (limit && chosen.barcodes.size() > *limit) {
        chosen.removed_by_limit = chosen.barcodes.size() - *limit;
        chosen.barcodes.resize(*limit);
    }
    co_return chosen;
}

template <class Query>
asio::awaitable<std::vector<std::string>>
read_list(db::database& database, std::string name, Query query) {
    auto read = database.read(std::move(name), std::move(query));
    co_return co_await std::move(read);
}

void apply_limit(selection& chosen, std::optional<std::uint64_t> limit) {
    if (limit && chosen.barcodes.size() > *limit) {
        chosen.removed_by_limit = chosen.barcodes.size() - *limit;
        chosen.barcodes.resize(*limit);
    }
}

} // namespace

asio::awaitable<selection>
select_books(api::client& grin, db::database& database, selection_request request) {
    switch (request.kind) {
    case queue_kind::converted:
        co_return co_await select_converted(grin, database, request.limit);
    case queue_kind::previous: {
        auto candidates = co_await read_list(database, "previous_queue", [](SQLite::Database& db) {
            return db::queries::previous_queue(db);
        });
        co_return co_await select_for_conversion(grin, std::move(candidates), request.limit,
                                                 request.queue_cap);
    }
    case queue_kind::unconverted: {
        auto candidates =
            co_await read_list(database, "unconverted_queue", [](SQLite::Database& db) {
                return db::queries::unconverted_queue(db);
            });
        co_return co_await select_for_conversion(grin, std::move(candidates), request.limit,
                                                 request.queue_cap);
    }
    case queue_kind::changed: {
        selection chosen;
        chosen.barcodes = co_await synced_list(database);
        chosen.source = chosen.barcodes.size();
        chosen.notes.push_back("every synced book is checked for a new ETag");
        apply_limit(chosen, request.limit);
        co_return chosen;
    }
    case queue_kind::barcodes: {
        selection chosen;
        std::set<std::string> seen;
        for (auto& barcode : request.barcodes)
            if (seen.insert(barcode).second)
                chosen.barcodes.push_back(barcode);
        chosen.source = chosen.barcodes.size();
        auto wanted = chosen.barcodes;
        chosen.unknown =
            co_await read_list(database, "unknown_barcodes", [wanted](SQLite::Database& db) {
                return db::queries::unknown_barcodes(db, wanted);
            });
        apply_limit(chosen, request.limit);
        co_return chosen;
    }
    }
    co_return selection{};
}

std::string describe_selection(const selection& chosen, const selection_request& request) {
    std::string out = "Barcode filtering:\n";
    std::string source = request.kind == queue_kind::barcodes
                             ? "given barcodes"
                             : "books from queue " + std::string(to_string(request.kind));
    out += "  1. Source: " + with_thousands(chosen.source) + " " + source + "\n";
    std::uint64_t available = chosen.source;
    int step = 2;
    if (chosen.removed_synced > 0) {
        available -= chosen.removed_synced;
        out += "  " + std::to_string(step++) + ". Sync filter: Removed " +
               with_thousands(chosen.removed_synced) + " already synced\n     -> " +
               with_thousands(available) + " books available\n";
    }
    if (chosen.removed_in_process > 0) {
        available -= chosen.removed_in_process;
        out += "  " + std::to_string(step++) + ". GRIN queue filter: Removed " +
               with_thousands(chosen.removed_in_process) + " already in process\n     -> " +
               with_thousands(available) + " books available\n";
    }
    if (request.limit)
        out += "  " + std::to_string(step++) + ". Limit: Applied limit of " +
               with_thousands(*request.limit) + "\n";
    out += "     -> " + with_thousands(chosen.barcodes.size()) + " books will be processed\n";
    for (const auto& note : chosen.notes)
        out += "   " + note + "\n";
    if (!chosen.unknown.empty()) {
        out += "   " + with_thousands(chosen.unknown.size()) + " barcodes are not in the database:";
        for (std::size_t i = 0; i < chosen.unknown.size() && i < 10; ++i)
            out += " " + chosen.unknown[i];
        out += chosen.unknown.size() > 10 ? " ...\n" : "\n";
    }
    return out;
}

asio::awaitable<known_failures> load_known_failures(api::client& grin) {
    auto failures = std::make_shared<known_failures>();
    api::client::page_handler on_page = [failures](const api::list_page& page) {
        for (const auto& row : page.rows) {
            known_failure failure;
            if (const auto* value = row.find("convert_failed_date"))
                failure.failed_date = *value;
            if (const auto* value = row.find("convert_failed_info"))
                failure.info = *value;
            if (const auto* value = row.find("detailed_convert_failed_info"))
                failure.detailed_info = *value;
            failures->insert_or_assign(row.barcode, std::move(failure));
        }
        return continue_listing();
    };
    try {
        auto listing = grin.for_each_page("_failed", std::move(on_page));
        co_await std::move(listing);
    } catch (const error& failed) {
        log::warning(std::string("could not read GRIN's _failed list (") + failed.what() +
                     "); continuing without it");
        failures->clear();
    }
    co_return std::move(*failures);
}

} // namespace grin::sync
