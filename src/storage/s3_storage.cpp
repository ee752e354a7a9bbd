#include <grin/core/atomic_file.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/net/run_on.hpp>
#include <grin/storage/s3_storage.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>

#include <map>
#include <set>

#include "local_files.hpp"

namespace grin::storage {
namespace asio = boost::asio;
namespace fs = std::filesystem;

std::uint64_t choose_part_size(std::uint64_t size, std::uint64_t configured) {
    constexpr std::uint64_t min_part = 5ull << 20; // S3's minimum for all but the last part
    constexpr std::uint64_t max_parts = 10'000;
    std::uint64_t part = configured == 0 ? 8ull << 20 : std::max(configured, min_part);
    while ((size + part - 1) / part > max_parts)
        part *= 2;
    return part;
}

namespace {

std::uint64_t size_of(const fs::path& path) {
    std::error_code failed;
    auto size = fs::file_size(path, failed);
    if (failed)
        throw error("cannot read " + path.string() + " for upload: " + failed.message(),
                    {.step = "storage", .url = path.string()});
    return size;
}

// Multipart bookkeeping shared by the part workers of one upload (I/O thread only).
struct multipart_state {
    s3_client& client;
    asio::any_io_executor files;
    std::string bucket;
    std::string key;
    std::string upload_id;
    fs::path source;
    std::uint64_t size = 0;
    std::uint64_t part_size = 0;
    std::size_t parts = 0;
    std::size_t next = 0;
    bool failed = false;
    std::vector<s3::completed_part> done;
};

asio::awaitable<void> part_worker(std::shared_ptr<multipart_state> state) {
    try {
        while (!state->failed && state->next < state->parts) {
            std::size_t index = state->next++;
            std::uint64_t offset = index * state->part_size;
            std::uint64_t length = std::min(state->part_size, state->size - offset);
            auto path = state->source;
            auto read = [path, offset, length] { return make_s3_file_body(path, offset, length); };
            s3_body body = co_await net::run_on(state->files, std::move(read));
            auto upload = state->client.upload_part(state->bucket, state->key, state->upload_id,
                                                    static_cast<int>(index + 1), std::move(body));
            std::string etag = co_await std::move(upload);
            state->done[index] = {static_cast<int>(index + 1), std::move(etag)};
        }
    } catch (...) {
        state->failed = true; // the other workers stop taking parts
        throw;
    }
}

// One GetObject chunk into the target file (a small write on the I/O thread).
asio::awaitable<void> write_chunk(std::shared_ptr<atomic_file> file, std::string_view chunk) {
    file->write(chunk);
    co_return;
}

// Publishing uploads the staged temporary (put_file: one PUT or multipart).
class s3_writer final : public detail::temp_file_writer {
public:
    s3_writer(s3_storage& store,
              object_key key,
              metadata meta,
              asio::any_io_executor files,
              std::unique_ptr<detail::temp_file> temp)
        : temp_file_writer(
              key, std::move(meta), std::move(files), std::move(temp), store.location(key))
        , store_(store) {}

    ~s3_writer() override { temp_.reset(); } // removes the staged file

    asio::awaitable<void> commit() override {
        require_open("commit");
        std::shared_ptr<detail::temp_file> temp = std::move(temp_);
        auto upload = store_.put_file(key_, temp->path(), meta_);
        co_await std::move(upload);
        auto drop = [temp]() mutable { temp.reset(); };
        co_await net::run_on(files_, std::move(drop));
    }

    asio::awaitable<void> abort() override {
        if (!temp_)
            co_return;
        std::shared_ptr<detail::temp_file> temp = std::move(temp_);
        auto drop = [temp]() mutable { temp.reset(); };
        co_await net::run_on(files_, std::move(drop));
    }

private:
    s3_storage& store_;
};

class s3_lister final : public object_lister {
public:
    s3_lister(s3_client& client, std::string bucket, bucket_role role, list_params params)
        : client_(client), bucket_(std::move(bucket)), role_(role), params_(std::move(params)) {}

    asio::awaitable<std::vector<object_info>> next_page() override {
        std::vector<object_info> page;
        while (!finished_ && page.empty()) {
            auto listing = client_.list_objects_v2(bucket_, params_.prefix, token_,
                                                   std::min<std::size_t>(params_.page_size, 1000));
            s3::list_objects_result result = co_await std::move(listing);
            for (auto& entry : result.contents) {
                try {
                    object_info info{.key = object_key(role_, entry.key),
                                     .size = entry.size,
                                     .last_modified = entry.last_modified,
                                     .meta = {}};
                    page.push_back(std::move(info));
                } catch (const error&) {
                    log::warning("skipping S3 key not usable here: " + bucket_ + "/" + entry.key);
                }
            }
            token_ = result.next_continuation_token;
            finished_ = !result.is_truncated || !token_;
        }
        co_return page;
    }

private:
    s3_client& client_;
    std::string bucket_;
    bucket_role role_;
    list_params params_;
    std::optional<std::string> token_;
    bool finished_ = false;
};

} // namespace

s3_storage::s3_storage(std::unique_ptr<s3_client> client,
                       s3_storage_params params,
                       asio::any_io_executor file_executor)
    : client_(std::move(client)), params_(std::move(params)), files_(std::move(file_executor)) {
    for (auto role : {bucket_role::raw, bucket_role::meta, bucket_role::full})
        if (!params_.buckets.contains(role) || params_.buckets.at(role).empty())
            throw fatal("S3 storage needs three buckets: bucket_raw, bucket_meta and bucket_full");
}

s3_storage::~s3_storage() = default;

const std::string& s3_storage::bucket(bucket_role role) const {
    return params_.buckets.at(role);
}

s3_put_options s3_storage::options_for(const object_key& key, metadata meta) const {
    s3_put_options options{.meta = std::move(meta)};
    if (key.role() == bucket_role::raw)
        options.storage_class = params_.raw_storage_class;
    if (key.key().ends_with(".json"))
        options.content_type = "application/json";
    else if (key.key().ends_with(".csv"))
        options.content_type = "text/csv";
    else if (key.key().ends_with(".gz"))
        options.content_type = "application/gzip";
    return options;
}

asio::awaitable<void> s3_storage::put_bytes(object_key key, std::string bytes, metadata meta) {
    auto options = options_for(key, std::move(meta));
    auto put =
        client_->put_object(bucket(key.role()), key.key(), make_s3_body(std::move(bytes)), options);
    co_await std::move(put);
}

asio::awaitable<void> s3_storage::put_file(object_key key, fs::path source, metadata meta) {
    auto measure = [source] { return size_of(source); };
    std::uint64_t size = co_await net::run_on(files_, std::move(measure));
    if (size > params_.multipart_threshold) {
        auto upload = upload_multipart(key, source, size, std::move(meta));
        co_await std::move(upload);
        co_return;
    }
    auto read = [source, size] { return make_s3_file_body(source, 0, size); };
    s3_body body = co_await net::run_on(files_, std::move(read));
    auto options = options_for(key, std::move(meta));
    auto put = client_->put_object(bucket(key.role()), key.key(), std::move(body), options);
    co_await std::move(put);
}

asio::awaitable<void>
s3_storage::upload_multipart(object_key key, fs::path source, std::uint64_t size, metadata meta) {
    auto options = options_for(key, std::move(meta));
    auto create = client_->create_multipart_upload(bucket(key.role()), key.key(), options);
    std::string upload_id = co_await std::move(create);
    auto state = std::make_shared<multipart_state>(multipart_state{
        .client = *client_,
        .files = files_,
        .bucket = bucket(key.role()),
        .key = key.key(),
        .upload_id = upload_id,
        .source = source,
        .size = size,
        .part_size = choose_part_size(size, params_.part_size),
    });
    state->parts = static_cast<std::size_t>((size + state->part_size - 1) / state->part_size);
    state->done.resize(state->parts);

    auto executor = co_await asio::this_coro::executor;
    using worker_op = decltype(asio::co_spawn(executor, part_worker(state), asio::deferred));
    std::vector<worker_op> workers;
    const std::size_t count =
        std::max<std::size_t>(1, std::min(params_.parallel_parts, state->parts));
    for (std::size_t i = 0; i < count; ++i)
        workers.push_back(asio::co_spawn(executor, part_worker(state), asio::deferred));
    auto group = asio::experimental::make_parallel_group(std::move(workers));
    auto [order, failures] =
        co_await group.async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    std::exception_ptr failure;
    for (const auto& each : failures)
        if (each && !failure)
            failure = each;
    if (!failure) {
        try {
            auto complete = client_->complete_multipart_upload(state->bucket, state->key, upload_id,
                                                               state->done);
            co_await std::move(complete);
            ++multipart_uploads_;
            co_return;
        } catch (...) {
            failure = std::current_exception();
        }
    }
    // No orphan parts: the upload is aborted whatever failed (S3 bills stored parts).
    try {
        auto abort = client_->abort_multipart_upload(state->bucket, state->key, upload_id);
        co_await std::move(abort);
    } catch (const std::exception& e) {
        log::warning("could not abort the multipart upload of " + state->bucket + "/" + state->key +
                     " (" + e.what() +
                     "); its parts may stay until a lifecycle "
                     "rule removes them");
    }
    std::rethrow_exception(failure);
}

asio::awaitable<std::unique_ptr<object_writer>> s3_storage::open_writer(object_key key,
                                                                        metadata meta) {
    require_valid_metadata(meta);
    std::string flat = key.key();
    for (char& c : flat)
        if (c == '/')
            c = '_';
    fs::path target = params_.staging_dir / (std::string(to_string(key.role())) + "_" + flat);
    auto make = [target, key] {
        std::error_code ignored;
        fs::create_directories(target.parent_path(), ignored);
        return detail::make_temp_file(target, key);
    };
    std::unique_ptr<detail::temp_file> temp = co_await net::run_on(files_, std::move(make));
    co_return std::make_unique<s3_writer>(*this, std::move(key), std::move(meta), files_,
                                          std::move(temp));
}

asio::awaitable<std::optional<object_info>> s3_storage::head(object_key key) {
    auto request = client_->head_object(bucket(key.role()), key.key());
    std::optional<s3_object_head> found = co_await std::move(request);
    if (!found)
        co_return std::nullopt;
    co_return object_info{.key = key,
                          .size = found->size,
                          .last_modified = found->last_modified,
                          .meta = std::move(found->meta)};
}

asio::awaitable<void> s3_storage::get_file(object_key key, fs::path target) {
    auto file = std::make_shared<atomic_file>(target);
    net::body_sink sink = [file](std::string_view chunk) { return write_chunk(file, chunk); };
    auto download = client_->get_object(bucket(key.role()), key.key(), std::move(sink));
    co_await std::move(download);
    auto publish = [file] { file->commit(); };
    co_await net::run_on(files_, std::move(publish));
}

asio::awaitable<std::unique_ptr<object_lister>> s3_storage::list(list_params params) {
    auto role = params.role;
    co_return std::make_unique<s3_lister>(*client_, bucket(role), role, std::move(params));
}

asio::awaitable<bool> s3_storage::remove(object_key key) {
    auto request = client_->delete_object(bucket(key.role()), key.key());
    co_await std::move(request);
    co_return true;
}

asio::awaitable<void> s3_storage::prepare_for_writes() {
    std::set<std::string> buckets;
    for (const auto& [role, name] : params_.buckets)
        buckets.insert(name);
    for (const auto& name : buckets) {
        auto check = client_->bucket_exists(name);
        if (co_await std::move(check))
            continue;
        log::info("creating bucket " + name);
        auto create = client_->create_bucket(name);
        co_await std::move(create);
    }
}

asio::awaitable<remove_many_result> s3_storage::remove_many(std::vector<object_key> keys) {
    remove_many_result result;
    std::size_t start = 0;
    while (start < keys.size()) {
        // One request: consecutive keys of one role, at most 1,000 of them.
        const bucket_role role = keys[start].role();
        std::size_t end = start;
        std::vector<std::string> names;
        while (end < keys.size() && keys[end].role() == role && names.size() < s3::max_delete_keys)
            names.push_back(keys[end++].key());
        auto request = client_->delete_objects(bucket(role), std::move(names));
        s3::delete_result answer = co_await std::move(request);
        std::map<std::string, std::string> errors;
        for (auto& failure : answer.errors)
            errors[failure.key] = failure.code + ": " + failure.message;
        // s3_client asks in quiet mode: the answer lists only the keys that failed. (S3
        // reports a key that did not exist as deleted.)
        for (std::size_t i = start; i < end; ++i) {
            if (auto found = errors.find(keys[i].key()); found != errors.end())
                result.failed.push_back({.key = keys[i], .message = found->second});
            else
                ++result.removed;
        }
        start = end;
    }
    co_return result;
}

std::string s3_storage::describe() const {
    return params_.description.empty()
               ? "s3 storage at " + client_->params().endpoint + " (buckets " +
                     bucket(bucket_role::raw) + ", " + bucket(bucket_role::meta) + ", " +
                     bucket(bucket_role::full) + ")"
               : params_.description;
}

std::string s3_storage::location(const object_key& key) const {
    return bucket(key.role()) + "/" + key.key();
}

} // namespace grin::storage
