// The fault matrix (issue #8, part 1): per case one fault injected into one layer (GRIN's
// HTTP answers, the network, TLS, the token endpoint, S3, the disk, the database, the
// run directory), then the outcome the operator relies on: the command succeeds after
// retries, or fails the affected books/step with a recorded reason and a documented exit
// code; and a rerun without the fault ends with every book synced exactly once,
// byte-identical, integrity_check ok (books lost = 0).
#include <grin/storage/digest.hpp>

#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "reliability_fixture.hpp"
#include "s3_servers.hpp"

using namespace grin;
using namespace std::chrono_literals;

namespace {

class fault_matrix : public test::reliability_fixture {
public:
    // A small library: 12 converted books of ~16 KB.
    void small_library(std::vector<std::string> emulator_flags = {}) {
        shape.books = 12;
        start_emulator(std::move(emulator_flags));
        collect();
    }

    std::uint64_t requests(const char* route) {
        return emulator_stats()["requests"][route].get<std::uint64_t>();
    }

    // Every sync:<value> row's error text of the run, for "a clear recorded reason".
    std::vector<std::string> recorded_errors() {
        SQLite::Database db(database().string(), SQLite::OPEN_READONLY);
        SQLite::Statement query(db, "SELECT coalesce(metadata, '') FROM book_status_history "
                                    "WHERE status_type = 'sync' AND metadata LIKE '%error%'");
        std::vector<std::string> errors;
        while (query.executeStep())
            errors.push_back(query.getColumn(0).getString());
        return errors;
    }

    // Rewrites one top-level string field of the run's run_config.json (the documented
    // way to change a run's settings by hand).
    void edit_run_config(const std::string& field, const std::string& value) {
        auto file = run_dir() / "run_config.json";
        auto config = nlohmann::json::parse(slurp(file));
        config[field] = value;
        std::ofstream(file) << config.dump(2);
    }
    std::string run_config_field(const std::string& field) {
        return nlohmann::json::parse(slurp(run_dir() / "run_config.json"))[field]
            .get<std::string>();
    }
};

TEST_F(fault_matrix, http_5xx_bursts_are_retried) {
    describe_case("5xx burst", "list pages 503 x2 (collect); HEAD 502 x3, GET 503 x4 (sync)");
    shape.books = 12;
    start_emulator();
    add_fault("route=all_books,status=503,first=2");
    collect(); // asserts exit 0
    EXPECT_EQ(faults_injected(), 2u);
    add_fault("route=archive_head,status=502,first=3");
    add_fault("route=archive_get,status=503,first=4");
    auto before = faults_injected();
    auto result = sync({"--queue", "converted"}, 120s);
    EXPECT_EQ(result.exit_code, 0) << tail(result.output);
    EXPECT_EQ(faults_injected() - before, 7u) << "every injected status was met";
    EXPECT_EQ(completed_counts().size(), shape.books) << tail(result.output);
    outcome = "exit " + std::to_string(result.exit_code) + ", all retried, " +
              std::to_string(completed_counts().size()) + "/12 synced first run";
    rerun_and_verify();
}

TEST_F(fault_matrix, http_429_with_retry_after_is_honoured) {
    describe_case("429 Retry-After", "GET 429 x3 (Retry-After: 1)");
    small_library();
    add_fault("route=archive_get,status=429,first=3");
    auto result = sync({"--queue", "converted"}, 120s);
    ASSERT_TRUE(test::documented_exit(result.exit_code)) << tail(result.output);
    auto synced = completed_counts().size();
    if (result.exit_code == 0) {
        EXPECT_EQ(synced, shape.books);
        outcome = "exit 0, retried after Retry-After";
    } else {
        // A book GRIN throttled is failed with the status recorded, never half-stored.
        EXPECT_EQ(result.exit_code, 1) << tail(result.output);
        auto errors = recorded_errors();
        ASSERT_FALSE(errors.empty());
        EXPECT_NE(errors.front().find("429"), std::string::npos) << errors.front();
        outcome = "exit 1, " + std::to_string(shape.books - synced) + " failed with 429 recorded";
    }
    rerun_and_verify();
}

TEST_F(fault_matrix, connection_reset_mid_body_is_retried) {
    describe_case("reset mid-body", "GET: RST after 4000 body bytes x3");
    small_library();
    add_fault("route=archive_get,fault=reset_mid_body,after=4000,first=3");
    auto result = sync({"--queue", "converted"}, 120s);
    EXPECT_EQ(result.exit_code, 0) << tail(result.output);
    EXPECT_EQ(completed_counts().size(), shape.books);
    EXPECT_EQ(test::storage_temporaries(storage_root()).size(), 0u);
    outcome = "exit " + std::to_string(result.exit_code) + ", retried, no temporaries left";
    rerun_and_verify();
}

TEST_F(fault_matrix, stalled_body_hits_the_read_timeout_and_is_retried) {
    describe_case("stalled read", "GET: body stalls 30 s after 4000 bytes x2; --read-timeout 2");
    small_library();
    add_fault("route=archive_get,fault=stall_mid_body,after=4000,stall_ms=30000,first=2");
    auto started = std::chrono::steady_clock::now();
    auto result = sync({"--queue", "converted", "--read-timeout", "2"}, 120s);
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(result.exit_code, 0) << tail(result.output);
    EXPECT_EQ(completed_counts().size(), shape.books);
    // Not a throughput figure: a stall that was waited out would take 2 x 30 s.
    EXPECT_LT(took.count(), 30.0) << "the stalled reads were not cut by --read-timeout";
    outcome = "exit " + std::to_string(result.exit_code) + ", stall cut by the read timeout";
    rerun_and_verify();
}

TEST_F(fault_matrix, unresolvable_grin_host_fails_clearly) {
    describe_case("DNS failure", "GRIN base URL https://nonexistent.invalid/");
    small_library();
    const std::string good = run_config_field("grin_base_url");
    edit_run_config("grin_base_url", "https://nonexistent.invalid/libraries/");
    // Two books failing in a row stop the queue: the case need not wait for all twelve.
    auto result = sync({"--queue", "converted", "--max-sequential-failures", "2"}, 120s);
    EXPECT_TRUE(result.exit_code == 1 || result.exit_code == 2) << tail(result.output);
    EXPECT_NE(result.output.find("nonexistent.invalid"), std::string::npos) << tail(result.output);
    EXPECT_TRUE(completed_counts().empty());
    outcome =
        "sync exit " + std::to_string(result.exit_code) + ", host named in the error, 0 synced";
    edit_run_config("grin_base_url", good);
    rerun_and_verify();
}

TEST_F(fault_matrix, tls_handshake_failures_fail_clearly) {
    describe_case("TLS failure", "wrong CA file; plain-HTTP port");
    small_library();
    const std::string good_ca = run_config_field("ca_file");
    // 1. A CA that did not sign the emulator's certificate.
    auto other_ca = work / "other-ca.pem";
    auto made = test::run_command("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "
                                  "/CN=other -keyout " +
                                  (work / "other-ca.key").string() + " -out " + other_ca.string());
    ASSERT_EQ(made.exit_code, 0) << made.output;
    // 2. (at the same time, into a run of its own) a GRIN URL whose port speaks plain HTTP.
    test::child_process plain({"python3", "-m", "http.server", "--bind", "127.0.0.1", "0"});
    auto line = plain.wait_for_line("Serving HTTP", 20s);
    std::smatch port;
    ASSERT_TRUE(std::regex_search(line, port, std::regex("port ([0-9]+)"))) << line;
    auto plain_collect = start_grin(
        {"collect", "--run-name", "plain", "--output-root", output_root().string(),
         "--library-directory", shape.library, "--grin-base-url",
         "https://127.0.0.1:" + port[1].str() + "/libraries/", "--ca-file", emulator.ca_file,
         "--storage", "local", "--storage-path", (work / "plain-storage").string()});
    edit_run_config("ca_file", other_ca.string());
    auto wrong_ca = sync({"--queue", "converted", "--max-sequential-failures", "2"}, 120s);
    EXPECT_TRUE(wrong_ca.exit_code == 1 || wrong_ca.exit_code == 2) << tail(wrong_ca.output);
    EXPECT_NE(wrong_ca.output.find("certificate verify failed"), std::string::npos)
        << tail(wrong_ca.output);
    EXPECT_TRUE(completed_counts().empty());
    edit_run_config("ca_file", good_ca);
    int plain_http = plain_collect->wait(120s);
    EXPECT_TRUE(plain_http == 1 || plain_http == 2) << tail(plain_collect->output());
    EXPECT_NE(plain_collect->output().find("handshake"), std::string::npos)
        << tail(plain_collect->output());
    std::cout << "[wrong CA] " << test::lines_of(tail(wrong_ca.output, 300)).back() << "\n"
              << "[plain HTTP] " << test::lines_of(tail(plain_collect->output(), 300)).back()
              << std::endl;
    outcome = "wrong CA: sync exit " + std::to_string(wrong_ca.exit_code) +
              "; plain HTTP: collect exit " + std::to_string(plain_http) +
              "; handshake named, 0 synced";
    rerun_and_verify();
}

TEST_F(fault_matrix, token_expiry_storm_refreshes_once_per_expiry) {
    describe_case("token expiry storm",
                  "--token-lifetime 2 + every token revoked twice mid-run, 12 GETs in flight");
    shape.books = 48;
    // ~20 KB archives at 16 KB/s each, 12 at a time: the run spans several lifetimes.
    start_emulator({"--token-lifetime", "2", "--bandwidth", "16000"});
    collect();
    auto before = emulator_stats();
    auto grants_before = before["token_grants"].get<std::uint64_t>();
    auto started = std::chrono::steady_clock::now();
    auto grin = start_sync({"--queue", "converted", "--task-download-concurrency", "12",
                            "--task-check-concurrency", "6"});
    // Twice, revoke every token while a dozen requests are in flight: each request then
    // meets a 401, and the refreshes must collapse into one per revocation.
    constexpr int revocations = 2;
    grin->wait_for_line("Queue: converted", 30s);
    for (int i = 0; i < revocations; ++i) {
        std::this_thread::sleep_for(1200ms);
        control("expire_tokens", "");
    }
    int code = grin->wait(120s);
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    auto stats = emulator_stats();
    auto grants = stats["token_grants"].get<std::uint64_t>() - grants_before;
    auto rejected = stats["statuses"].value("401", 0ull) - before["statuses"].value("401", 0ull);
    EXPECT_EQ(code, 0) << tail(grin->output());
    // One refresh per lifetime at most (the client refreshes a quarter-lifetime early),
    // one per revocation, plus the first: without single-flight every request that met
    // the 401 would refresh on its own.
    const auto allowed = static_cast<std::uint64_t>(took.count() / 1.5) + 2 + revocations;
    ASSERT_GT(took.count(), 4.0) << "too short to span a token lifetime";
    EXPECT_GE(grants, static_cast<std::uint64_t>(revocations));
    EXPECT_LE(grants, allowed) << "took " << took.count() << " s: " << stats.dump();
    EXPECT_GT(rejected, 0u) << "no request met a revoked token";
    EXPECT_GT(stats["max_in_flight"]["archive_get"].get<std::uint64_t>(), 1u);
    outcome = "exit " + std::to_string(code) + ", " + std::to_string(rejected) + " x 401, " +
              std::to_string(grants) + " refreshes in " +
              std::to_string(static_cast<int>(took.count())) + " s (<= " + std::to_string(allowed) +
              ")";
    rerun_and_verify();
}

TEST_F(fault_matrix, disk_full_in_staging_fails_the_books_cleanly) {
    describe_case("disk full", "RLIMIT_FSIZE 512 KiB (writes fail EFBIG), 1 MiB archives");
    shape.books = 4;
    shape.archive_size = 1 << 20;
    start_emulator();
    collect();
    // An unprivileged "disk full": every file write past 512 KiB fails with EFBIG (SIGXFSZ
    // ignored, which exec keeps). The database stays far below it; archives do not.
    std::vector<std::string> args = {"/bin/sh", "-c", "trap '' XFSZ; ulimit -f 1024; exec \"$@\"",
                                     "sh", test::built_binary("grin").string()};
    for (auto& arg : sync_args({"--queue", "converted"}))
        args.push_back(arg);
    test::child_process limited(args, grin_env());
    int code = limited.wait(120s);
    EXPECT_EQ(code, 1) << tail(limited.output());
    EXPECT_TRUE(completed_counts().empty()) << tail(limited.output());
    auto errors = recorded_errors();
    ASSERT_FALSE(errors.empty()) << tail(limited.output());
    EXPECT_NE(errors.front().find("large"), std::string::npos) << errors.front();
    EXPECT_EQ(integrity_check(), "ok");
    EXPECT_EQ(test::storage_temporaries(storage_root()).size(), 0u);
    outcome = "exit " + std::to_string(code) + ", " + std::to_string(errors.size()) +
              " books failed with the write error recorded, no partial files";
    rerun_and_verify();
}

TEST_F(fault_matrix, database_locked_for_three_seconds_is_waited_out) {
    describe_case("database locked", "another process holds BEGIN EXCLUSIVE for 3 s");
    small_library();
    test::child_process locker(
        {"python3", "-c",
         "import sqlite3, sys, time\n"
         "db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)\n"
         "db.execute('BEGIN EXCLUSIVE')\n"
         "print('locked', flush=True)\n"
         "time.sleep(3)\n"
         "db.execute('COMMIT')\n"
         "print('released', flush=True)\n",
         database().string()});
    locker.wait_for_line("locked", 20s);
    auto result = sync({"--queue", "converted"}, 120s);
    EXPECT_EQ(locker.wait(10s), 0) << locker.output();
    EXPECT_EQ(result.exit_code, 0) << tail(result.output);
    EXPECT_EQ(completed_counts().size(), shape.books) << tail(result.output);
    outcome = "exit " + std::to_string(result.exit_code) + ", busy retried until released";
    rerun_and_verify();
}

TEST_F(fault_matrix, read_only_run_directory_is_a_clear_configuration_error) {
    describe_case("read-only run dir",
                  "run directory and its files read-only (chmod -R a-w; grin as a non-root user)");
    small_library();
    // root ignores permission bits: run grin as nobody then, on a tree nobody owns.
    const bool root = ::geteuid() == 0;
    if (root) {
        auto chown = test::run_command("chown -R 65534:65534 " + work.path().string() +
                                       " && chmod 0755 " + work.path().string());
        ASSERT_EQ(chown.exit_code, 0) << chown.output;
    }
    // Everything in it read-only too (the log file, the database, backups/, logs/).
    auto read_only = test::run_command("chmod -R a-w " + run_dir().string());
    ASSERT_EQ(read_only.exit_code, 0) << read_only.output;
    auto before = test::directory_state(run_dir());
    std::vector<std::string> args;
    if (root)
        args = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
    args.push_back(test::built_binary("grin").string());
    for (auto& arg : sync_args({"--queue", "converted"}))
        args.push_back(arg);
    test::child_process grin(args, grin_env());
    int code = grin.wait(60s);
    EXPECT_EQ(code, 2) << tail(grin.output());
    EXPECT_NE(grin.output().find(run_dir().string()), std::string::npos) << tail(grin.output());
    auto after = test::directory_state(run_dir());
    EXPECT_EQ(before, after) << "before:\n"
                             << test::describe(before) << "after:\n"
                             << test::describe(after);
    auto writable = test::run_command("chmod -R u+w " + run_dir().string());
    ASSERT_EQ(writable.exit_code, 0) << writable.output;
    std::string message;
    for (const auto& line : test::lines_of(grin.output()))
        if (line.find(run_dir().string()) != std::string::npos && message.empty())
            message = line.substr(0, 160);
    std::cout << "[read-only run dir] grin said: " << message << std::endl;
    outcome = "exit " + std::to_string(code) + ", clear error, run directory unchanged";
    rerun_and_verify();
}

// S3: a fault-injecting proxy (tests/support/s3_fault_proxy.py) in front of plain moto.
class s3_fault_matrix : public fault_matrix {
public:
    std::unique_ptr<test::s3_server> server;
    std::unique_ptr<test::child_process> proxy;
    std::filesystem::path proxy_log;
    const std::string bucket_raw = "grin-raw", bucket_meta = "grin-meta", bucket_full = "grin-full";

    void start_proxy(std::vector<std::string> fault_flags) {
        proxy_log = work / "proxy.log";
        std::vector<std::string> args = {
            test::s3_python(), test::s3_support_script("s3_fault_proxy.py").string(),
            "--upstream",      server->endpoint,
            "--log",           proxy_log.string()};
        args.insert(args.end(), fault_flags.begin(), fault_flags.end());
        proxy = std::make_unique<test::child_process>(args);
        std::string line = proxy->wait_for_line("listening on ", 30s);
        std::string url = "http://127.0.0.1:" + line.substr(line.find("on ") + 3);
        server->create_buckets({bucket_raw, bucket_meta, bucket_full});
        storage_args = {"--storage",        "s3",
                        "--bucket-raw",     bucket_raw,
                        "--bucket-meta",    bucket_meta,
                        "--bucket-full",    bucket_full,
                        "--storage-config", "endpoint_url=" + url};
        extra_env = server->grin_environment();
    }

    // S3's final check: every book exactly once in the database and its object in the raw
    // bucket has the plaintext's sha256 (read back by boto3, not through the proxy).
    void verify_s3_complete() {
        EXPECT_EQ(integrity_check(), "ok");
        auto completed = completed_counts();
        auto raw = server->inventory({bucket_raw}, /*hash=*/true);
        emulator::catalogue catalogue(shape.catalogue());
        std::size_t lost = 0;
        for (std::uint64_t i = 0; i < catalogue.size(); ++i) {
            const std::string barcode = catalogue.barcode_at(i);
            const std::string key = run_name + "/" + barcode + ".tar.gz";
            bool once = completed[barcode] == 1;
            bool identical = raw.at(bucket_raw).contains(key) &&
                             raw.at(bucket_raw).at(key).at("sha256").get<std::string>() ==
                                 storage::sha256_hex(expected_archive(i));
            EXPECT_TRUE(once) << barcode << ": " << completed[barcode] << " completions";
            EXPECT_TRUE(identical) << barcode << ": object missing or different";
            lost += (once && identical) ? 0 : 1;
        }
        books_lost = lost;
    }
};

TEST_F(s3_fault_matrix, slowdown_is_retried) {
    describe_case("S3 SlowDown", "503 SlowDown on the first 3 PUTs to the raw bucket");
    GRIN_START_S3_SERVER_OR_SKIP(server, test::start_moto(work / "moto", false));
    shape.books = 6;
    start_emulator();
    start_proxy({"--slowdown", "3", "--fail-path-contains", "/" + bucket_raw + "/"});
    collect();
    auto result = sync({"--queue", "converted"}, 120s);
    EXPECT_EQ(result.exit_code, 0) << tail(result.output);
    auto log = slurp(proxy_log);
    EXPECT_NE(log.find("-> 503 injected"), std::string::npos) << log;
    outcome = "exit " + std::to_string(result.exit_code) + ", SlowDown retried";
    auto rerun = sync({"--queue", "converted"}, 120s);
    EXPECT_EQ(rerun.exit_code, 0) << tail(rerun.output);
    verify_s3_complete();
}

TEST_F(s3_fault_matrix, complete_multipart_upload_500_is_retried_or_failed_cleanly) {
    describe_case("S3 Complete 500", "500 on the first CompleteMultipartUpload (~20 MiB archive)");
    GRIN_START_S3_SERVER_OR_SKIP(server, test::start_moto(work / "moto", false));
    shape.books = 1;
    shape.archive_size = 36ull << 20; // the plaintext must pass the 16 MiB multipart threshold
    start_emulator();
    start_proxy({"--fail-complete", "1", "--fail-path-contains", "/" + bucket_raw + "/"});
    ASSERT_GT(expected_archive(0).size(), 16ull << 20) << "no multipart upload would be made";
    collect();
    auto result = sync({"--queue", "converted"}, 120s);
    EXPECT_TRUE(result.exit_code == 0 || result.exit_code == 1) << tail(result.output);
    auto log = slurp(proxy_log);
    EXPECT_NE(log.find("-> 500 injected"), std::string::npos) << log;
    auto open = server->multipart_uploads({bucket_raw});
    EXPECT_TRUE(open.at(bucket_raw).empty()) << "orphan multipart uploads: " << open.dump();
    outcome = "exit " + std::to_string(result.exit_code) +
              (result.exit_code == 0 ? ", Complete retried" : ", book failed, upload aborted") +
              ", no orphan upload";
    auto rerun = sync({"--queue", "converted"}, 120s);
    EXPECT_EQ(rerun.exit_code, 0) << tail(rerun.output);
    verify_s3_complete();
}

} // namespace
