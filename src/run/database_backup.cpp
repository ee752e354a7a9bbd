#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/core/time.hpp>
#include <grin/run/database_backup.hpp>

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <vector>

namespace grin::run {
namespace {

constexpr std::string_view backup_prefix = "books_backup_";
constexpr std::string_view backup_suffix = ".db";

[[noreturn]] void
fail(const std::string& what, const std::filesystem::path& path, const std::string& reason) {
    throw grin::error("database backup: " + what + " " + path.string() + ": " + reason,
                      {.step = "backup"});
}

void fsync_path(const std::filesystem::path& path, int flags) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
    if (fd < 0)
        fail("cannot open", path, std::strerror(errno));
    int result = ::fsync(fd);
    int error = errno;
    ::close(fd);
    if (result != 0)
        fail("cannot flush", path, std::strerror(error));
}

// Renames temp to books_backup_<stamp>.db, or the first free _2, _3, ... name. The check
// for "free" and the rename are one step (RENAME_NOREPLACE), so a backup is never
// overwritten, even by another process backing up at the same second.
std::filesystem::path rename_to_free_name(const std::filesystem::path& temp,
                                          const std::filesystem::path& dir,
                                          const std::string& stamp) {
    for (int n = 1;; ++n) {
        auto name = std::string(backup_prefix) + stamp +
                    (n == 1 ? std::string() : "_" + std::to_string(n)) + std::string(backup_suffix);
        auto target = dir / name;
        if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0)
            return target;
        if (errno == EEXIST)
            continue;
        if (errno != EINVAL && errno != ENOSYS)
            fail("cannot rename the backup to", target, std::strerror(errno));
        // A file system without RENAME_NOREPLACE: check, then rename (the session lock
        // already keeps other grin processes out of this run).
        std::error_code ignored;
        if (std::filesystem::exists(target, ignored))
            continue;
        if (::rename(temp.c_str(), target.c_str()) != 0)
            fail("cannot rename the backup to", target, std::strerror(errno));
        return target;
    }
}

// Removes the temporary file unless the backup got its name.
struct temp_guard {
    std::filesystem::path path;
    bool keep = false;
    ~temp_guard() {
        if (!keep && !path.empty())
            ::unlink(path.c_str());
    }
};

// Runs on the actor's thread with its connection. A retry after SQLITE_BUSY runs it again
// from the start, with a new temporary file.
struct backup_work {
    std::filesystem::path dir;
    std::size_t keep;

    std::filesystem::path operator()(SQLite::Database& source) const {
        std::error_code failed;
        std::filesystem::create_directories(dir, failed);
        if (failed || !std::filesystem::is_directory(dir, failed))
            fail("cannot create directory", dir,
                 failed ? failed.message() : std::string("it is not a directory"));
        auto stamp = format_compact_utc(now_utc());
        // A dot name matching no books_backup_*.db: a crash leaves nothing to prune or
        // mistake for a backup.
        std::string pattern = (dir / ".books_backup.db.tmp.XXXXXX").string();
        int fd = ::mkstemp(pattern.data());
        if (fd < 0)
            fail("cannot create a temporary file in", dir, std::strerror(errno));
        ::close(fd);
        temp_guard temp{pattern};
        {
            SQLite::Database target(temp.path.string(), SQLite::OPEN_READWRITE);
            // The temporary file is discarded on any failure, so a rollback journal
            // would only cost writes; durability comes from the fsync below.
            target.exec("PRAGMA journal_mode = OFF");
            target.exec("PRAGMA synchronous = OFF");
            SQLite::Backup backup(target, source);
            int result = backup.executeStep(-1);
            if (result != SQLITE_DONE)
                throw SQLite::Exception("the online backup did not finish", result);
        }
        fsync_path(temp.path, 0);
        auto final_path = rename_to_free_name(temp.path, dir, stamp);
        temp.keep = true;
        fsync_path(dir, O_DIRECTORY);
        try {
            prune_backups(dir, std::max<std::size_t>(keep, 1));
        } catch (const grin::error& failure) {
            log::warning(failure.what());
        }
        return final_path;
    }
};

} // namespace

boost::asio::awaitable<std::filesystem::path>
backup_database(db::database& database, std::filesystem::path backups_dir, std::size_t keep) {
    backup_work work{backups_dir, keep};
    std::string failure;
    try {
        co_return co_await database.read("backup", std::move(work));
    } catch (const grin::error& error) {
        if (error.context().step == "backup")
            throw;
        // SQLite's failures arrive as db::database_error (step "database").
        failure = error.message();
    }
    fail("cannot back up " + database.path().string() + " into", backups_dir, failure);
}

void prune_backups(const std::filesystem::path& dir, std::size_t keep) {
    struct backup_file {
        std::filesystem::path path;
        std::filesystem::file_time_type mtime;
    };
    std::vector<backup_file> backups;
    std::error_code failed;
    if (!std::filesystem::exists(dir, failed))
        return;
    std::filesystem::directory_iterator entries(dir, failed);
    if (failed)
        fail("cannot list", dir, failed.message());
    for (const auto& entry : entries) {
        auto name = entry.path().filename().string();
        bool matches = name.size() > backup_prefix.size() + backup_suffix.size() &&
                       name.starts_with(backup_prefix) && name.ends_with(backup_suffix);
        if (!matches || !entry.is_regular_file(failed))
            continue;
        auto mtime = entry.last_write_time(failed);
        if (failed)
            continue; // vanished meanwhile
        backups.push_back({entry.path(), mtime});
    }
    if (backups.size() <= keep)
        return;
    std::sort(backups.begin(), backups.end(), [](const backup_file& a, const backup_file& b) {
        return a.mtime != b.mtime ? a.mtime > b.mtime : a.path.filename() > b.path.filename();
    });
    for (std::size_t i = keep; i < backups.size(); ++i) {
        if (!std::filesystem::remove(backups[i].path, failed) && failed)
            fail("cannot delete old backup", backups[i].path, failed.message());
        log::debug("deleted old database backup " + backups[i].path.string());
    }
}

} // namespace grin::run
