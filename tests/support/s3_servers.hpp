#pragma once
// Real S3-compatible servers for tests (toolchain.md 3, 3b; second probe 3), each a child
// process killed when its s3_server object dies, with its log in a file:
//   - moto, plain: `python3.11 -m moto.server` on a free port; accepts any key pair and
//     checks no signature;
//   - moto, signature-checking: the same with INITIAL_NO_AUTH_ACTION_COUNT=3; those three
//     free requests create an IAM user allowed everything (s3_peer.py make-user) whose key
//     pair the server then demands, with real SigV4 verification;
//   - s3rver 3.7.1 (node, installed by scripts/setup.sh into <repo>/node_modules): keys
//     S3RVER/S3RVER, signatures not verified, but x-amz-meta-* names with '_' kept.
// Known server quirks (so that a test picks the right server and says why):
//   - moto's HTTP server (werkzeug) drops every request header whose name contains '_'
//     before moto sees it: x-amz-meta-encrypted_etag, acquisition_date and
//     original_filename (grin-transfer's names, kept on real S3) are lost on plain moto,
//     and on signature-checking moto a request carrying one fails with
//     SignatureDoesNotMatch (the header is signed but absent from what moto re-signs).
//     Check user metadata on s3rver.
//   - signature-checking moto rejects correct signatures when a query value contains '/'
//     (prefix=run/, delimiter=/) or a key contains + = ; ' ( ) * ~ or non-ASCII: such
//     cases run on plain moto (never bend the signer to moto).
//   - s3rver: ListMultipartUploads 501, ListParts/AbortMultipartUpload 405, multipart ETag
//     without the "-N" suffix, EntityTooSmall not enforced.
// A server that cannot start (no python3.11 with moto, no node, s3rver not installed)
// makes the test SKIP with the reason; with CI=true in the environment it FAILS instead
// (GRIN_START_S3_SERVER_OR_SKIP).
// Every helper call is a child process with a hard time cap.
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <netinet/in.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "child_process.hpp"
#include "test_support.hpp"

namespace grin::test {

// CI=true: a test server that cannot start fails the test instead of skipping it.
inline bool s3_servers_required() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string(ci) == "true";
}

// python3.11 (which has moto and boto3 on this image), else python3.
inline std::string s3_python() {
    static const std::string python = have_program("python3.11") ? "python3.11" : "python3";
    return python;
}

inline std::filesystem::path s3_support_script(const std::string& name) {
    return source_dir() / "tests" / "support" / name;
}

// A port that was free a moment ago (bind to 0, read it, close). The server binds it
// next; start_* retries with another port when that races.
inline int pick_free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        throw std::runtime_error("socket failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot bind a free port");
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

// True when something accepts TCP connections on 127.0.0.1:port. Sends nothing: an HTTP
// probe would use up one of signature-checking moto's free requests.
inline bool port_accepts(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

inline std::string shell_quote(const std::string& text) {
    std::string out = "'";
    for (char c : text)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

enum class s3_server_kind { moto, moto_signature_checking, s3rver };

class s3_server {
public:
    s3_server_kind kind = s3_server_kind::moto;
    std::string name; // for messages
    int port = 0;
    std::string endpoint; // http://127.0.0.1:PORT
    std::string access_key;
    std::string secret_key;
    std::filesystem::path log_file; // the server's stdout and stderr
    std::unique_ptr<child_process> process;

    // The server's log so far (moto: one werkzeug line per request, `"PUT /b/k HTTP/1.1"
    // 200`; s3rver: `Stored object "k" in bucket "b" successfully` per stored object).
    std::string log() const {
        std::ifstream in(log_file, std::ios::binary);
        std::ostringstream content;
        content << in.rdbuf();
        return content.str();
    }
    std::size_t count_in_log(const std::string& needle) const {
        std::string text = log();
        std::size_t count = 0;
        for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
            ++count;
        return count;
    }

    // The environment for a `grin` child: this server's key pair (with session token,
    // profile and endpoint variables that may be set around the test made empty, which
    // the credential chain treats as unset).
    std::map<std::string, std::string> grin_environment(const std::string& secret = {}) const {
        return {{"AWS_ACCESS_KEY_ID", access_key},
                {"AWS_SECRET_ACCESS_KEY", secret.empty() ? secret_key : secret},
                {"AWS_SESSION_TOKEN", ""},
                {"AWS_SECURITY_TOKEN", ""},
                {"AWS_PROFILE", ""},
                {"AWS_DEFAULT_PROFILE", ""},
                {"AWS_ENDPOINT_URL", ""},
                {"AWS_ENDPOINT_URL_S3", ""},
                {"AWS_REGION", "us-east-1"}};
    }

    // Runs tests/support/s3_peer.py (boto3, an independent client) against this server
    // and returns its JSON answer; throws std::runtime_error with its output on failure.
    nlohmann::json peer(const std::vector<std::string>& args,
                        std::chrono::seconds cap = std::chrono::seconds(120)) const {
        return run_peer(endpoint, access_key, secret_key, args, cap);
    }

    static nlohmann::json run_peer(const std::string& endpoint,
                                   const std::string& key,
                                   const std::string& secret,
                                   const std::vector<std::string>& args,
                                   std::chrono::seconds cap) {
        std::string command = s3_python() + " " +
                              shell_quote(s3_support_script("s3_peer.py").string()) +
                              " --endpoint " + shell_quote(endpoint) + " --key " +
                              shell_quote(key) + " --secret " + shell_quote(secret);
        for (const auto& arg : args)
            command += " " + shell_quote(arg);
        // stderr to a file of its own, so that warnings do not spoil the JSON.
        auto errors = std::filesystem::temp_directory_path() /
                      ("s3_peer-" + std::to_string(::getpid()) + ".err");
        auto result = run_command(command + " 2>" + shell_quote(errors.string()), cap);
        std::ifstream in(errors);
        std::ostringstream error_text;
        error_text << in.rdbuf();
        std::filesystem::remove(errors);
        if (result.exit_code != 0)
            throw std::runtime_error("s3_peer.py " + (args.empty() ? "" : args[0]) +
                                     " failed (exit " + std::to_string(result.exit_code) +
                                     "): " + error_text.str() + result.output);
        auto parsed = nlohmann::json::parse(result.output, nullptr, false);
        if (parsed.is_discarded())
            throw std::runtime_error("s3_peer.py printed no JSON: " + result.output);
        return parsed;
    }

    void create_buckets(const std::vector<std::string>& buckets) const {
        std::vector<std::string> args = {"create-buckets"};
        args.insert(args.end(), buckets.begin(), buckets.end());
        peer(args);
    }

    // bucket -> key -> {size, etag, last_modified[, sha256][, metadata, head_etag]}.
    nlohmann::json
    inventory(const std::vector<std::string>& buckets, bool hash = false, bool head = false) const {
        std::vector<std::string> args = {"inventory"};
        if (hash)
            args.push_back("--hash");
        if (head)
            args.push_back("--head");
        args.insert(args.end(), buckets.begin(), buckets.end());
        return peer(args);
    }

    // bucket -> [{key, upload_id}] of the multipart uploads in progress (moto only:
    // s3rver answers ListMultipartUploads with 501).
    nlohmann::json multipart_uploads(const std::vector<std::string>& buckets) const {
        std::vector<std::string> args = {"multipart-uploads"};
        args.insert(args.end(), buckets.begin(), buckets.end());
        return peer(args);
    }

    // Downloads bucket/key to `file` (gunzipped when `gunzip`).
    void download(const std::string& bucket,
                  const std::string& key,
                  const std::filesystem::path& file,
                  bool gunzip = false) const {
        std::vector<std::string> args = {"get", bucket, key, file.string()};
        if (gunzip)
            args.push_back("--gunzip");
        peer(args);
    }
};

struct s3_server_start {
    std::unique_ptr<s3_server> server;
    std::string unavailable; // why there is no server
};

namespace detail {

inline std::string tail_of(const std::string& text, std::size_t bytes = 2000) {
    return text.size() <= bytes ? text : "..." + text.substr(text.size() - bytes);
}

// Starts `argv` with output into `log_file` (through `sh -c 'exec "$@" >LOG 2>&1'`, so the
// server is the child itself and gets the signals) and waits until the port accepts
// connections. Returns the reason when it did not.
inline std::string launch(s3_server& server,
                          const std::vector<std::string>& argv,
                          std::map<std::string, std::string> env,
                          std::chrono::seconds cap) {
    std::vector<std::string> shell = {"/bin/sh", "-c", "exec \"$@\" >\"$GRIN_S3_SERVER_LOG\" 2>&1",
                                      "sh"};
    shell.insert(shell.end(), argv.begin(), argv.end());
    env["GRIN_S3_SERVER_LOG"] = server.log_file.string();
    server.process = std::make_unique<child_process>(shell, env);
    auto deadline = std::chrono::steady_clock::now() + cap;
    while (std::chrono::steady_clock::now() < deadline) {
        if (port_accepts(server.port))
            return {};
        int code = server.process->wait(std::chrono::seconds(0));
        if (code != -1) {
            server.process.reset();
            return server.name + " exited with code " + std::to_string(code) +
                   " before listening; its log:\n" + tail_of(server.log());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    server.process.reset();
    return server.name + " did not listen on port " + std::to_string(server.port) + " within " +
           std::to_string(cap.count()) + " s; its log:\n" + tail_of(server.log());
}

inline bool port_race(const std::string& reason) {
    return reason.find("Address already in use") != std::string::npos ||
           reason.find("EADDRINUSE") != std::string::npos;
}

} // namespace detail

// moto on 127.0.0.1, its log in work_dir. check_signatures: see the header comment; the
// server's access_key/secret_key are then the IAM user's.
inline s3_server_start start_moto(const std::filesystem::path& work_dir, bool check_signatures) {
    s3_server_start result;
    const std::string python = s3_python();
    if (!have_program(python)) {
        result.unavailable = "moto needs python3.11 (or python3), which is not on PATH";
        return result;
    }
    std::filesystem::create_directories(work_dir);
    for (int attempt = 1; attempt <= 3; ++attempt) {
        auto server = std::make_unique<s3_server>();
        server->kind =
            check_signatures ? s3_server_kind::moto_signature_checking : s3_server_kind::moto;
        server->name = check_signatures ? "moto (signature-checking)" : "moto";
        server->port = pick_free_port();
        server->endpoint = "http://127.0.0.1:" + std::to_string(server->port);
        server->access_key = "grin-test-key";
        server->secret_key = "grin-test-secret";
        server->log_file = work_dir / ("moto-" + std::to_string(server->port) +
                                       (check_signatures ? "-auth" : "") + ".log");
        std::map<std::string, std::string> env;
        if (check_signatures)
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = "3";
        std::string reason = detail::launch(
            *server,
            {python, "-m", "moto.server", "-H", "127.0.0.1", "-p", std::to_string(server->port)},
            env, std::chrono::seconds(60));
        if (!reason.empty()) {
            result.unavailable = reason;
            if (detail::port_race(reason))
                continue;
            if (reason.find("No module named") != std::string::npos)
                result.unavailable +=
                    "\n(" + python + " lacks moto[server]; scripts/setup.sh says what to install)";
            return result;
        }
        if (check_signatures) {
            try {
                auto user = s3_server::run_peer(server->endpoint, "bootstrap", "bootstrap",
                                                {"make-user"}, std::chrono::seconds(60));
                server->access_key = user.at("access_key").get<std::string>();
                server->secret_key = user.at("secret_key").get<std::string>();
            } catch (const std::exception& failed) {
                result.unavailable = "cannot create the IAM user on signature-checking moto: " +
                                     std::string(failed.what());
                return result;
            }
        }
        result.server = std::move(server);
        result.unavailable.clear();
        return result;
    }
    return result;
}

// s3rver from <repo>/node_modules, data under work_dir/s3rver-data, log (one line per
// request and a "Stored object" line per stored object) in work_dir.
inline s3_server_start start_s3rver(const std::filesystem::path& work_dir) {
    s3_server_start result;
    auto script = source_dir() / "node_modules" / "s3rver" / "bin" / "s3rver.js";
    if (!have_program("node")) {
        result.unavailable = "s3rver needs node, which is not on PATH (scripts/setup.sh)";
        return result;
    }
    if (!std::filesystem::exists(script)) {
        result.unavailable = "s3rver is not installed (" + script.string() +
                             " is missing): run scripts/setup.sh, which runs npm ci";
        return result;
    }
    auto data = work_dir / "s3rver-data";
    std::filesystem::create_directories(data);
    for (int attempt = 1; attempt <= 3; ++attempt) {
        auto server = std::make_unique<s3_server>();
        server->kind = s3_server_kind::s3rver;
        server->name = "s3rver";
        server->port = pick_free_port();
        server->endpoint = "http://127.0.0.1:" + std::to_string(server->port);
        server->access_key = "S3RVER";
        server->secret_key = "S3RVER";
        server->log_file = work_dir / ("s3rver-" + std::to_string(server->port) + ".log");
        // The legacy provider: s3rver's continuation tokens use DES, which node 20's
        // OpenSSL 3 refuses otherwise (paged listings answer 500).
        std::string reason = detail::launch(*server,
                                            {"node", script.string(), "-d", data.string(), "-a",
                                             "127.0.0.1", "-p", std::to_string(server->port)},
                                            {{"NODE_OPTIONS", "--openssl-legacy-provider"}},
                                            std::chrono::seconds(60));
        if (!reason.empty()) {
            result.unavailable = reason;
            if (detail::port_race(reason))
                continue;
            return result;
        }
        result.server = std::move(server);
        result.unavailable.clear();
        return result;
    }
    return result;
}

} // namespace grin::test

// target = the started server (a std::unique_ptr<s3_server>), or: SKIP the test with the
// reason, or FAIL it when CI=true. Use in a test body or SetUp (it returns from them).
#define GRIN_START_S3_SERVER_OR_SKIP(target, start_expression)                                     \
    do {                                                                                           \
        ::grin::test::s3_server_start grin_started_ = (start_expression);                          \
        if (!grin_started_.server) {                                                               \
            if (::grin::test::s3_servers_required())                                               \
                GTEST_FAIL() << "CI=true and the S3 test server is unavailable: "                  \
                             << grin_started_.unavailable;                                         \
            GTEST_SKIP() << "S3 test server unavailable: " << grin_started_.unavailable;           \
        }                                                                                          \
        (target) = std::move(grin_started_.server);                                                \
    } while (false)
