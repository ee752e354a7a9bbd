#include <grin/core/error.hpp>
#include <grin/net/run_on.hpp>
#include <grin/storage/local_storage.hpp>

#include <boost/asio/use_awaitable.hpp>

#include <mutex>
#include <type_traits>

#include "local_files.hpp"

namespace grin::storage {
namespace asio = boost::asio;
namespace {

// Runs blocking `function` on `files`; the caller resumes on its own executor.
template <class Function>
asio::awaitable<std::invoke_result_t<Function&>> on_files(asio::any_io_executor files,
                                                          Function function) {
    co_return co_await net::run_on(std::move(files), std::move(function));
}

// The streaming writer: publishing renames the temporary into place.
class local_writer final : public detail::temp_file_writer {
public:
    local_writer(object_key key,
                 std::filesystem::path target,
                 std::filesystem::path role_root,
                 metadata meta,
                 asio::any_io_executor files,
                 std::mutex* renames,
                 std::unique_ptr<detail::temp_file> temp)
        : temp_file_writer(
              std::move(key), std::move(meta), std::move(files), std::move(temp), target.string())
        , target_(std::move(target))
        , role_root_(std::move(role_root))
        , renames_(renames) {}

    // An uncommitted temporary is removed here, on the owner's thread: an unlink and at
    // most a few rmdir calls. Errors are ignored (a destructor cannot report them).
    ~local_writer() override {
        if (!temp_)
            return;
        temp_.reset();
        try {
            std::lock_guard lock(*renames_);
            detail::prune_empty_directories(target_.parent_path(), role_root_, key_);
        } catch (const std::exception&) {
        }
    }

    asio::awaitable<void> commit() override {
        require_open("commit");
        std::shared_ptr<detail::temp_file> temp = std::move(temp_);
        auto step = [temp = std::move(temp), target = target_, meta = meta_, key = key_,
                     renames = renames_] {
            detail::publish_object(*temp, target, meta, key, *renames);
        };
        auto work = on_files(files_, std::move(step));
        co_await std::move(work);
    }

    asio::awaitable<void> abort() override {
        if (!temp_)
            co_return;
        std::shared_ptr<detail::temp_file> temp = std::move(temp_);
        auto step = [temp = std::move(temp), dir = target_.parent_path(), root = role_root_,
                     key = key_, renames = renames_]() mutable {
            temp.reset();
            std::lock_guard lock(*renames);
            detail::prune_empty_directories(dir, root, key);
        };
        auto work = on_files(files_, std::move(step));
        co_await std::move(work);
    }

private:
    std::filesystem::path target_;
    std::filesystem::path role_root_;
    std::mutex* renames_; // the storage's; it outlives its writers
};

class local_lister final : public object_lister {
public:
    local_lister(detail::directory_walk walk, std::size_t page_size, asio::any_io_executor files)
        : walk_(std::move(walk)), page_size_(page_size), files_(std::move(files)) {}

    asio::awaitable<std::vector<object_info>> next_page() override {
        detail::directory_walk* walk = &walk_;
        auto step = [walk, size = page_size_] { return walk->next(size); };
        auto work = on_files(files_, std::move(step));
        co_return co_await std::move(work);
    }

private:
    detail::directory_walk walk_;
    std::size_t page_size_;
    asio::any_io_executor files_;
};

} // namespace

local_storage::local_storage(local_storage_params params, asio::any_io_executor file_executor)
    : params_(std::move(params)), files_(std::move(file_executor)) {
    if (params_.base_path.empty())
        throw error("local storage needs a base directory", {.step = "storage"});
    if (params_.copy_chunk_size == 0)
        params_.copy_chunk_size = 1 << 20;
}

std::filesystem::path local_storage::path_of(const object_key& key) const {
    // object_key guarantees a relative path without "." or ".." segments.
    return params_.base_path / to_string(key.role()) / key.key();
}

std::string local_storage::location(const object_key& key) const {
    return path_of(key).string();
}

asio::awaitable<void> local_storage::prepare_for_writes() {
    auto base = params_.base_path;
    auto make = [base] {
        for (const char* role : {"raw", "meta", "full"}) {
            std::error_code failed;
            std::filesystem::create_directories(base / role, failed);
            if (failed)
                throw error("cannot create " + (base / role).string() + ": " + failed.message(),
                            {.step = "storage", .url = (base / role).string()});
        }
    };
    co_await on_files(files_, std::move(make));
}

std::string local_storage::describe() const {
    return "local storage at " + params_.base_path.string();
}

asio::awaitable<void>
local_storage::put_file(object_key key, std::filesystem::path source, metadata meta) {
    require_valid_metadata(meta);
    auto step = [key, source = std::move(source), meta = std::move(meta), target = path_of(key),
                 renames = &renames_, chunk = params_.copy_chunk_size] {
        auto temp = detail::make_temp_file(target, key);
        temp->copy_from(source, chunk);
        detail::publish_object(*temp, target, meta, key, *renames);
    };
    auto work = on_files(files_, std::move(step));
    co_await std::move(work);
}

asio::awaitable<void> local_storage::put_bytes(object_key key, std::string bytes, metadata meta) {
    require_valid_metadata(meta);
    auto step = [key, bytes = std::move(bytes), meta = std::move(meta), target = path_of(key),
                 renames = &renames_] {
        auto temp = detail::make_temp_file(target, key);
        temp->write(bytes);
        detail::publish_object(*temp, target, meta, key, *renames);
    };
    auto work = on_files(files_, std::move(step));
    co_await std::move(work);
}

asio::awaitable<std::unique_ptr<object_writer>> local_storage::open_writer(object_key key,
                                                                           metadata meta) {
    require_valid_metadata(meta);
    std::filesystem::path target = path_of(key);
    auto step = [key, target] { return detail::make_temp_file(target, key); };
    auto work = on_files(files_, std::move(step));
    std::unique_ptr<detail::temp_file> temp = co_await std::move(work);
    std::filesystem::path role_root = params_.base_path / to_string(key.role());
    co_return std::make_unique<local_writer>(std::move(key), std::move(target),
                                             std::move(role_root), std::move(meta), files_,
                                             &renames_, std::move(temp));
}

asio::awaitable<std::optional<object_info>> local_storage::head(object_key key) {
    auto step = [key, target = path_of(key)] { return detail::stat_object(target, key); };
    auto work = on_files(files_, std::move(step));
    co_return co_await std::move(work);
}

asio::awaitable<void> local_storage::get_file(object_key key, std::filesystem::path target) {
    auto step = [key, source = path_of(key), target = std::move(target),
                 chunk = params_.copy_chunk_size] {
        detail::copy_object_out(source, target, key, chunk);
    };
    auto work = on_files(files_, std::move(step));
    co_await std::move(work);
}

asio::awaitable<std::unique_ptr<object_lister>> local_storage::list(list_params params) {
    require_valid_key_prefix(params.prefix);
    if (params.page_size == 0)
        params.page_size = 1000;
    detail::directory_walk walk(params_.base_path / to_string(params.role), params.role,
                                params.prefix);
    co_return std::make_unique<local_lister>(std::move(walk), params.page_size, files_);
}

asio::awaitable<bool> local_storage::remove(object_key key) {
    auto step = [key, target = path_of(key), root = params_.base_path / to_string(key.role()),
                 renames = &renames_] {
        return detail::remove_object(target, root, key, *renames);
    };
    auto work = on_files(files_, std::move(step));
    co_return co_await std::move(work);
}

} // namespace grin::storage
