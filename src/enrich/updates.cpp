#include <grin/enrich/updates.hpp>

#include <unordered_set>

namespace grin::enrich {

batch_updates updates_for(const api::enrichment_table& table, std::span<const std::string> asked) {
    std::unordered_set<std::string> pending(asked.begin(), asked.end());
    batch_updates result;
    for (const auto& row : table.rows) {
        if (pending.erase(row.barcode) == 0)
            continue; // not asked, or already updated from an earlier row
        book_update update{.barcode = row.barcode, .columns = {}};
        update.columns.reserve(api::barcode_search_db_columns.size());
        for (const auto& [header, column] : api::barcode_search_db_columns)
            update.columns.push_back({std::string(column), row.field(std::string(header))});
        result.found.push_back(std::move(update));
    }
    for (const auto& barcode : asked)
        if (pending.erase(barcode) > 0)
            result.not_found.push_back(barcode);
    return result;
}

} // namespace grin::enrich
