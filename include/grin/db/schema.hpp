#pragma once
// The books.db schema: grin-transfer's tables and indexes (reference
// grin-transfer-behaviour.md 3.1), created idempotently so that a database either tool
// created stays readable by both, plus our own numbered migrations for later additions.
//
// grin-transfer has no migration mechanism (CREATE ... IF NOT EXISTS only), so ours
// lives in a table of its own, grin_sync_schema(version), which grin-transfer ignores.
// Version 0 is grin-transfer's schema; each migration moves the version up by one and
// must only add things (tables, indexes, nullable columns at the end) so that
// grin-transfer, which reads books positionally, keeps working.
#include <span>
#include <string_view>

namespace SQLite {
class Database;
}

namespace grin::db::schema {

// The 54 columns of `books` in grin-transfer's order (BookRecord field order, used
// positionally by grin-transfer).
std::span<const std::string_view> book_columns();

// grin-transfer's docs/schema.sql statements, in order.
std::span<const std::string_view> grin_transfer_statements();

struct migration {
    int version; // 1, 2, ...: the schema version after this migration
    std::string_view description;
    std::string_view sql; // one or more statements
};
std::span<const migration> migrations();
int latest_version();

// Stored version; 0 when grin_sync_schema does not exist (fresh or grin-transfer's).
int version(SQLite::Database& connection);

// Creates what is missing and applies pending migrations, all in one IMMEDIATE
// transaction. Returns the version afterwards. Throws SQLite::Exception on failure
// (the caller adds the path and turns it into grin::fatal). A database written by a
// newer grin-sync (version above latest_version()) is left as it is.
int apply(SQLite::Database& connection);

} // namespace grin::db::schema
