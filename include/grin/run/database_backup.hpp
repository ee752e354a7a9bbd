#pragma once
// Copies of books.db in output/<run>/backups/, as grin-transfer makes them before a sync
// (grin-transfer-behaviour.md 3.4): books_backup_<UTC YYYYmmdd_HHMMSS>.db, newest 10 kept
// by mtime. Same names, so a library switching tools keeps one set of backups.
//
// The copy is SQLite's online backup of the run's one connection (the database actor's):
// a second connection to books.db would break the one-connection contract (DESIGN
// section 4) and could not see a consistent state any better. The backup runs as a read
// between two write batches, so it holds exactly the writes committed before it and
// none of those still queued.
#include <grin/db/database.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <filesystem>

namespace grin::run {

// Writes the backup to a temporary file in backups_dir (created if missing), fsyncs it
// and renames it to books_backup_<UTC stamp>.db, or _2, _3, ... when that name is taken
// (two backups within one second; an existing backup is never replaced). Then prunes to
// the newest `keep` backups (at least the new one stays); a failed prune is logged, not
// thrown, because the backup itself is safe. Returns the new backup's path. Failures:
// grin::error (step "backup") naming the path; no partial file is left.
boost::asio::awaitable<std::filesystem::path>
backup_database(db::database& database, std::filesystem::path backups_dir, std::size_t keep = 10);

// Deletes all but the newest `keep` regular files named books_backup_*.db in dir, newest
// by mtime (ties: the greater name stays). Other files are never touched; a missing dir
// is nothing to do. Throws grin::error (step "backup") naming the file it could not
// list or delete.
void prune_backups(const std::filesystem::path& dir, std::size_t keep);

} // namespace grin::run
