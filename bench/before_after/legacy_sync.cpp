// legacy_sync: the per-book work of `grin sync pipeline`, done the way the Python tool
// (grin-transfer) did it, inside our binary so that only those choices differ:
//   - a new HTTP session per request: a fresh https_pool each time, which loads the CA
//     store, connects, and does a full TLS handshake (no session resumption);
//   - a new SQLite connection per database operation (open, WAL pragma, one insert or
//     update, commit, close), as its per-call `aiosqlite.connect`;
//   - a `gpg --decrypt` process per book, on the archive written to a temporary file;
//   - then the same OCR extraction and storage write as ours (process::extract_ocr on the
//     decrypted file; a copy into the storage directory), so those costs cancel out.
// Books run one after another. Prints one line
//   RESULT books=N seconds=S cpu_s=C self_cpu_s=A children_cpu_s=B
// where cpu includes the gpg children (getrusage RUSAGE_CHILDREN).
//
//   legacy_sync --base-url https://127.0.0.1:PORT/libraries/Harvard --ca-file CA
//               --token-file credentials.json --passphrase-file P --db books.db
//               --storage-dir DIR --work-dir DIR BARCODE...
#include <grin/core/error.hpp>
#include <grin/net/http_client.hpp>
#include <grin/net/https_pool.hpp>
#include <grin/process/ocr_extract.hpp>

#include <SQLiteCpp/SQLiteCpp.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <spawn.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <vector>

extern char** environ;

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace grin;

namespace {

struct options {
    std::string base_url;
    std::string ca_file;
    std::string token;
    fs::path passphrase_file;
    fs::path db;
    fs::path storage_dir;
    fs::path work_dir;
    std::vector<std::string> barcodes;
};

asio::awaitable<net::http_response> send_once(net::https_pool& pool, net::http_request request) {
    co_return co_await net::send(pool, std::move(request));
}

asio::awaitable<net::http_response>
download_once(net::https_pool& pool, net::http_request request, net::body_sink sink) {
    co_return co_await net::download(pool, std::move(request), std::move(sink));
}

asio::awaitable<void> append_to(std::ofstream* out, std::string_view chunk) {
    out->write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    co_return;
}

// A new session: its own io_context and pool (CA store loaded, full handshake).
net::http_response request_in_new_session(const options& o,
                                          const std::string& method,
                                          const std::string& url,
                                          std::ofstream* body_out) {
    asio::io_context io;
    net::pool_params params;
    params.tls.ca_file = o.ca_file;
    params.tls.resume_sessions = false;
    net::https_pool pool(io.get_executor(), params);
    net::http_request request;
    request.method = method;
    request.url = url;
    request.headers.emplace_back("Authorization", "Bearer " + o.token);
    std::future<net::http_response> answer;
    if (body_out) {
        net::body_sink sink = [body_out](std::string_view chunk) {
            return append_to(body_out, chunk);
        };
        answer = asio::co_spawn(io, download_once(pool, request, sink), asio::use_future);
    } else {
        answer = asio::co_spawn(io, send_once(pool, request), asio::use_future);
    }
    io.run();
    auto response = answer.get();
    if (!response.ok())
        throw error(method + " answered " + std::to_string(response.status), {.url = url});
    return response;
}

// A new connection per database operation.
void record_status(const options& o, const std::string& barcode, const std::string& value) {
    SQLite::Database connection(o.db.string(), SQLite::OPEN_READWRITE);
    connection.exec("PRAGMA journal_mode = WAL");
    SQLite::Transaction transaction(connection);
    SQLite::Statement insert(connection,
                             "INSERT INTO book_status_history (barcode, status_type, "
                             "status_value, timestamp, session_id, metadata) VALUES (?, 'sync', "
                             "?, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), 'legacy', '{}')");
    insert.bind(1, barcode);
    insert.bind(2, value);
    insert.exec();
    transaction.commit();
}

void run_gpg(const options& o, const fs::path& in, const fs::path& out) {
    std::vector<std::string> args = {"gpg",
                                     "--batch",
                                     "--yes",
                                     "--quiet",
                                     "--pinentry-mode",
                                     "loopback",
                                     "--passphrase-file",
                                     o.passphrase_file.string(),
                                     "--decrypt",
                                     "-o",
                                     out.string(),
                                     in.string()};
    std::vector<char*> argv;
    for (auto& arg : args)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawnp(&pid, "gpg", nullptr, nullptr, argv.data(), environ) != 0)
        throw error("cannot start gpg", {.step = "decrypt"});
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw error("gpg failed on " + in.string(), {.step = "decrypt"});
}

void sync_book(const options& o, const std::string& barcode) {
    const std::string url = o.base_url + "/" + barcode + ".tar.gz.gpg";
    request_in_new_session(o, "HEAD", url, nullptr);
    record_status(o, barcode, "checked");
    const fs::path encrypted = o.work_dir / (barcode + ".tar.gz.gpg");
    {
        std::ofstream out(encrypted, std::ios::binary);
        request_in_new_session(o, "GET", url, &out);
    }
    record_status(o, barcode, "downloaded");
    const fs::path decrypted = o.work_dir / (barcode + ".tar.gz");
    run_gpg(o, encrypted, decrypted);
    record_status(o, barcode, "decrypted");
    auto ocr = process::extract_ocr(decrypted, nullptr);
    record_status(o, barcode, "unpacked");
    fs::create_directories(o.storage_dir / barcode);
    fs::copy_file(decrypted, o.storage_dir / barcode / (barcode + ".tar.gz"),
                  fs::copy_options::overwrite_existing);
    std::ofstream(o.storage_dir / barcode / (barcode + "_ocr.jsonl.gz"), std::ios::binary)
        << ocr.jsonl_gz;
    record_status(o, barcode, "uploaded");
    record_status(o, barcode, "text_extraction");
    record_status(o, barcode, "marc_extraction");
    record_status(o, barcode, "completed");
    fs::remove(encrypted);
    fs::remove(decrypted);
}

double seconds_of(const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                throw fatal(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--base-url")
            o.base_url = value();
        else if (arg == "--ca-file")
            o.ca_file = value();
        else if (arg == "--token-file")
            o.token = nlohmann::json::parse(std::ifstream(value())).at("token").get<std::string>();
        else if (arg == "--passphrase-file")
            o.passphrase_file = value();
        else if (arg == "--db")
            o.db = value();
        else if (arg == "--storage-dir")
            o.storage_dir = value();
        else if (arg == "--work-dir")
            o.work_dir = value();
        else
            o.barcodes.push_back(arg);
    }
    if (o.base_url.empty() || o.token.empty() || o.db.empty() || o.storage_dir.empty() ||
        o.work_dir.empty() || o.passphrase_file.empty() || o.barcodes.empty())
        throw fatal("usage: legacy_sync --base-url URL --ca-file CA --token-file JSON "
                    "--passphrase-file P --db DB --storage-dir DIR --work-dir DIR BARCODE...");
    return o;
}

} // namespace

int main(int argc, char** argv) {
    try {
        const options o = parse(argc, argv);
        fs::create_directories(o.work_dir);
        auto started = std::chrono::steady_clock::now();
        for (const auto& barcode : o.barcodes)
            sync_book(o, barcode);
        std::chrono::duration<double> wall = std::chrono::steady_clock::now() - started;
        rusage self{};
        rusage children{};
        getrusage(RUSAGE_SELF, &self);
        getrusage(RUSAGE_CHILDREN, &children);
        const double self_cpu = seconds_of(self.ru_utime) + seconds_of(self.ru_stime);
        const double children_cpu = seconds_of(children.ru_utime) + seconds_of(children.ru_stime);
        std::printf(
            "RESULT books=%zu seconds=%.2f cpu_s=%.3f self_cpu_s=%.3f children_cpu_s=%.3f\n",
            o.barcodes.size(), wall.count(), self_cpu + children_cpu, self_cpu, children_cpu);
        return 0;
    } catch (const std::exception& failure) {
        std::fprintf(stderr, "legacy_sync: %s\n", failure.what());
        return 1;
    }
}
