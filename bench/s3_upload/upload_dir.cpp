// upload_dir: uploads every regular file under a directory to an S3-compatible store through
// our own upload path (storage::s3_storage::put_file over s3_client and one shared
// https_pool), N uploads in flight, the way `grin sync` does for its object-store backend:
// one I/O thread runs the coroutines and the pool; file reads run on a 2-thread file
// executor. Keys are <prefix>/<path relative to the directory>; all go to one bucket.
//
//   upload_dir --endpoint http://127.0.0.1:4568 --bucket bench [--prefix p] [--concurrency 8]
//              [--region us-east-1] [--multipart-threshold-mib 16] [--part-size-mib 0]
//              [--parallel-parts 4] DIR
//
// Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (S3RVER/S3RVER when unset: the
// local s3rver's keys). Prints a short human summary and one line
// "RESULT objects=N bytes=N seconds=S ..." for bench/s3_upload/run.sh. Exit 1 on the first
// failed upload (after its retries).
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/net/https_pool.hpp>
#include <grin/storage/s3_client.hpp>
#include <grin/storage/s3_storage.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace grin;
using clock_type = std::chrono::steady_clock;

namespace {

struct options {
    std::string endpoint;
    std::string bucket;
    std::string prefix;
    std::string region = "us-east-1";
    std::size_t concurrency = 8;
    std::uint64_t multipart_threshold_mib = 16;
    std::uint64_t part_size_mib = 0;
    std::size_t parallel_parts = 4;
    fs::path directory;
};

[[noreturn]] void usage(const std::string& problem) {
    std::fprintf(stderr,
                 "upload_dir: %s\nusage: upload_dir --endpoint URL --bucket NAME [--prefix P] "
                 "[--concurrency N] [--region R] [--multipart-threshold-mib N] "
                 "[--part-size-mib N] [--parallel-parts N] DIR\n",
                 problem.c_str());
    std::exit(2);
}

std::uint64_t number(const std::string& flag, const std::string& text) {
    char* end = nullptr;
    unsigned long long value = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0')
        usage(flag + " needs a number, got '" + text + "'");
    return value;
}

options parse(int argc, char** argv) {
    options out;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                usage(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--endpoint")
            out.endpoint = value();
        else if (arg == "--bucket")
            out.bucket = value();
        else if (arg == "--prefix")
            out.prefix = value();
        else if (arg == "--region")
            out.region = value();
        else if (arg == "--concurrency")
            out.concurrency = std::max<std::uint64_t>(1, number(arg, value()));
        else if (arg == "--multipart-threshold-mib")
            out.multipart_threshold_mib = number(arg, value());
        else if (arg == "--part-size-mib")
            out.part_size_mib = number(arg, value());
        else if (arg == "--parallel-parts")
            out.parallel_parts = std::max<std::uint64_t>(1, number(arg, value()));
        else if (!arg.empty() && arg[0] == '-')
            usage("unknown option " + arg);
        else if (out.directory.empty())
            out.directory = arg;
        else
            usage("one directory only");
    }
    if (out.endpoint.empty() || out.bucket.empty() || out.directory.empty())
        usage("--endpoint, --bucket and DIR are required");
    while (!out.prefix.empty() && out.prefix.back() == '/')
        out.prefix.pop_back();
    return out;
}

std::string env_or(const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : fallback;
}

struct job {
    std::string key;
    fs::path path;
    std::uint64_t size = 0;
};

// The work list shared by the upload workers (I/O thread only, no locking).
struct queue {
    std::vector<job> jobs;
    std::size_t next = 0;
    std::uint64_t uploaded_objects = 0;
    std::uint64_t uploaded_bytes = 0;
};

asio::awaitable<void> worker(storage::s3_storage& store, queue& work) {
    while (work.next < work.jobs.size()) {
        const job& item = work.jobs[work.next++];
        storage::object_key key(storage::bucket_role::raw, item.key);
        auto upload = store.put_file(std::move(key), item.path, storage::metadata{});
        co_await std::move(upload);
        ++work.uploaded_objects;
        work.uploaded_bytes += item.size;
    }
}

} // namespace

int main(int argc, char** argv) {
    options opts = parse(argc, argv);
    log::set_level(log::level::warning);

    queue work;
    std::error_code failed;
    for (fs::recursive_directory_iterator it(opts.directory, failed), end; !failed && it != end;
         it.increment(failed)) {
        if (!it->is_regular_file())
            continue;
        std::string relative = it->path().lexically_relative(opts.directory).generic_string();
        work.jobs.push_back({.key = opts.prefix.empty() ? relative : opts.prefix + "/" + relative,
                             .path = it->path(),
                             .size = it->file_size()});
    }
    if (failed) {
        std::fprintf(stderr, "upload_dir: cannot list %s: %s\n", opts.directory.c_str(),
                     failed.message().c_str());
        return 1;
    }
    // Largest first, so that a big file does not start last and run alone at the end.
    std::sort(work.jobs.begin(), work.jobs.end(),
              [](const job& a, const job& b) { return a.size > b.size; });

    asio::io_context io;
    asio::thread_pool files(2);
    net::pool_params pool_params;
    pool_params.max_connections_per_host = opts.concurrency;
    net::https_pool pool(io.get_executor(), pool_params);

    storage::s3_client_params client_params{
        .endpoint = opts.endpoint,
        .region = opts.region,
        .path_style = true,
        .credentials = {.access_key_id = env_or("AWS_ACCESS_KEY_ID", "S3RVER"),
                        .secret_access_key = env_or("AWS_SECRET_ACCESS_KEY", "S3RVER")}};
    storage::s3_storage_params store_params;
    store_params.buckets = {{storage::bucket_role::raw, opts.bucket},
                            {storage::bucket_role::meta, opts.bucket},
                            {storage::bucket_role::full, opts.bucket}};
    store_params.staging_dir = fs::temp_directory_path();
    store_params.multipart_threshold = opts.multipart_threshold_mib << 20;
    store_params.part_size = opts.part_size_mib << 20;
    store_params.parallel_parts = opts.parallel_parts;
    storage::s3_storage store(std::make_unique<storage::s3_client>(pool, client_params),
                              store_params, files.get_executor());

    std::exception_ptr failure;
    const auto started = clock_type::now();
    const std::size_t workers =
        std::min(opts.concurrency, std::max<std::size_t>(1, work.jobs.size()));
    for (std::size_t i = 0; i < workers; ++i)
        asio::co_spawn(io, worker(store, work), [&](std::exception_ptr error) {
            if (error && !failure) {
                failure = error;
                work.next = work.jobs.size(); // the other workers stop taking files
            }
        });
    io.run();
    const double seconds = std::chrono::duration<double>(clock_type::now() - started).count();
    files.join();

    if (failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "upload_dir: %s\n", e.what());
        }
        return 1;
    }
    const auto stats = pool.stats();
    std::printf("uploaded %llu objects, %llu bytes in %.2f s (%.1f objects/s, %.1f MB/s); "
                "%zu in flight, %llu connections opened, %llu multipart, %llu retries\n",
                static_cast<unsigned long long>(work.uploaded_objects),
                static_cast<unsigned long long>(work.uploaded_bytes), seconds,
                work.uploaded_objects / seconds, work.uploaded_bytes / 1e6 / seconds, workers,
                static_cast<unsigned long long>(stats.connections_opened),
                static_cast<unsigned long long>(store.multipart_uploads()),
                static_cast<unsigned long long>(store.client().retries()));
    std::printf("RESULT objects=%llu bytes=%llu seconds=%.3f in_flight=%zu connections=%llu "
                "requests=%llu multipart=%llu retries=%llu\n",
                static_cast<unsigned long long>(work.uploaded_objects),
                static_cast<unsigned long long>(work.uploaded_bytes), seconds, workers,
                static_cast<unsigned long long>(stats.connections_opened),
                static_cast<unsigned long long>(stats.requests),
                static_cast<unsigned long long>(store.multipart_uploads()),
                static_cast<unsigned long long>(store.client().retries()));
    return 0;
}
