// `grin collect --storage s3` + `grin sync pipeline` end to end against real S3-compatible
// servers (moto, s3rver; tests/support/s3_servers.hpp): the real grin and grin-emulator
// binaries, every stored object read back by an independent client (boto3, s3_peer.py)
// and compared with what the emulator's archive builder makes, never with the pipeline's
// own output.
//
// Which server, and why:
//   - content, layout, multipart, reruns: plain moto. Signature-checking moto cannot take
//     the archive or OCR uploads: werkzeug drops the x-amz-meta-encrypted_etag /
//     acquisition_date / original_filename headers (names with '_', grin-transfer's, kept
//     by real S3) before moto re-signs the request, so moto answers SignatureDoesNotMatch
//     to a correctly signed PutObject. Signed calls are checked there by the wrong-secret
//     test below and by s3_storage_moto_test.cpp (every operation, metadata names without
//     '_').
//   - user metadata and the CHECK reconciliation that reads it: s3rver, which keeps the
//     '_' names (and checks no signature).
#include <grin/archive/gunzip.hpp>
#include <grin/archive/ocr_text.hpp>

#include <regex>
#include <set>
#include <thread>

#include "sync_s3_fixture.hpp"

using namespace grin;
using namespace std::chrono_literals;
using test::expect_ocr_matches;
using test::sync_s3_fixture;

namespace {

bool starts_with(const std::string& text, const std::string& prefix) {
    return text.rfind(prefix, 0) == 0;
}
bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Lines of a moto (werkzeug) log for requests `method` on paths under /bucket/.
std::size_t
moto_requests(const test::s3_server& server, const std::string& method, const std::string& bucket) {
    return server.count_in_log("\"" + method + " /" + bucket + "/");
}

} // namespace

// 200 small books into signature-free moto: every archive byte-identical (sha256 by boto3
// against the emulator's builder), every OCR file there, books.storage_path in
// grin-transfer's "<bucket_raw>/<run>/<B>.tar.gz" form, and the meta bucket holding the
// CSV and database copies (latest + timestamped), the database copy readable.
TEST_F(sync_s3_fixture, syncs_200_books_to_moto_with_every_object_verified) {
    GRIN_START_S3_SERVER_OR_SKIP(server, test::start_moto(work / "moto", false));
    shape.books = 200;
    start_emulator();
    use_server();
    collect();
    auto started = std::chrono::steady_clock::now();
    auto result = sync({"--queue", "converted"}, 120s);
    auto elapsed = std::chrono::steady_clock::now() - started;
    ASSERT_EQ(result.exit_code, 0) << result.output;
    std::cout << "[ timing   ] sync of 200 books to moto: "
              << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
    EXPECT_NE(result.output.find("200 synced"), std::string::npos) << result.output;

    auto raw = server->inventory({bucket_raw}, /*hash=*/true);
    auto rest = server->inventory({bucket_full, bucket_meta});
    ASSERT_EQ(raw.at(bucket_raw).size(), 200u) << raw.dump(1);
    ASSERT_EQ(rest.at(bucket_full).size(), 200u);
    auto paths = books_column("storage_path");
    auto completed = completed_counts();
    ASSERT_EQ(completed.size(), 200u);
    for (std::uint64_t i = 0; i < 200; ++i) {
        std::string b = barcode(i);
        ASSERT_TRUE(raw.at(bucket_raw).contains(archive_key(b))) << b;
        const auto& object = raw.at(bucket_raw).at(archive_key(b));
        std::string expected = expected_archive(i);
        EXPECT_EQ(object.at("size").get<std::uint64_t>(), expected.size()) << b;
        EXPECT_EQ(object.at("sha256").get<std::string>(), storage::sha256_hex(expected)) << b;
        ASSERT_TRUE(rest.at(bucket_full).contains(ocr_key(b))) << b;
        EXPECT_GT(rest.at(bucket_full).at(ocr_key(b)).at("size").get<std::uint64_t>(), 20u);
        EXPECT_EQ(paths[b], bucket_raw + "/" + run_name + "/" + b + ".tar.gz");
        EXPECT_EQ(completed[b], 1) << b;
    }
    // One OCR file read back in full.
    auto ocr_file = work / "ocr-0.jsonl";
    server->download(bucket_full, ocr_key(barcode(0)), ocr_file, /*gunzip=*/true);
    expect_ocr_matches(slurp(ocr_file), emulator::catalogue(shape.catalogue()).at(0), shape.seed);

    // Meta: latest copies plus timestamped ones, and nothing else of ours.
    auto meta = keys_of(rest, bucket_meta);
    std::set<std::string> meta_keys(meta.begin(), meta.end());
    EXPECT_TRUE(meta_keys.contains(run_name + "/books_latest.csv.gz")) << rest.dump(1);
    EXPECT_TRUE(meta_keys.contains(run_name + "/books_latest.db.gz")) << rest.dump(1);
    int timestamped_csv = 0, timestamped_db = 0;
    for (const auto& key : meta_keys) {
        if (!starts_with(key, run_name + "/timestamped/"))
            continue;
        timestamped_csv += ends_with(key, "_books.csv.gz");
        timestamped_db += ends_with(key, "_books_latest.db.gz");
    }
    // collect leaves an uncompressed CSV copy and a database copy; sync's teardown the .gz
    // CSV and another database copy (one per second at most: same-second copies coincide).
    EXPECT_EQ(timestamped_csv, 1) << rest.dump(1);
    EXPECT_GE(timestamped_db, 1) << rest.dump(1);
    EXPECT_LE(timestamped_db, 2) << rest.dump(1);
    auto db_copy = work / "books_latest.db";
    server->download(bucket_meta, run_name + "/books_latest.db.gz", db_copy, /*gunzip=*/true);
    SQLite::Database copy(db_copy.string(), SQLite::OPEN_READONLY);
    EXPECT_EQ(copy.execAndGet("SELECT count(*) FROM books WHERE storage_path LIKE '" + bucket_raw +
                              "/" + run_name + "/%.tar.gz'")
                  .getInt(),
              200);
    EXPECT_EQ(integrity_check(), "ok");
}

// The same sync against s3rver, which keeps x-amz-meta-* names with '_' (moto does not):
// every archive carries barcode, acquisition_date, encrypted_etag (the GRIN ETag, as
// books.encrypted_etag records it) and original_filename; every OCR file barcode,
// acquisition_date and page_count. boto3 runs with AWS_REQUEST_CHECKSUM_CALCULATION=
// when_required (s3_peer.py), else s3rver would store its aws-chunked framing.
TEST_F(sync_s3_fixture, syncs_200_books_to_s3rver_with_user_metadata) {
    GRIN_START_S3_SERVER_OR_SKIP(server, test::start_s3rver(work / "s3rver"));
    shape.books = 200;
    start_emulator();
    use_server();
    collect();
    auto before = std::chrono::system_clock::now() - 2s;
    auto started = std::chrono::steady_clock::now();
    auto result = sync({"--queue", "converted"}, 120s);
    auto elapsed = std::chrono::steady_clock::now() - started;
    ASSERT_EQ(result.exit_code, 0) << result.output;
    std::cout << "[ timing   ] sync of 200 books to s3rver: "
              << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";

    auto raw = server->inventory({bucket_raw}, /*hash=*/true, /*head=*/true);
    auto full = server->inventory({bucket_full}, /*hash=*/false, /*head=*/true);
    ASSERT_EQ(raw.at(bucket_raw).size(), 200u);
    ASSERT_EQ(full.at(bucket_full).size(), 200u);
    auto etags = books_column("encrypted_etag");
    auto paths = books_column("storage_path");
    // grin writes UTC with microseconds: 2026-11-23T17:06:05.484491+00:00.
    const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00))");
    const std::string year = std::to_string(static_cast<int>(
        std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(before)).year()));
    emulator::catalogue catalogue(shape.catalogue());
    for (std::uint64_t i = 0; i < 200; ++i) {
        std::string b = barcode(i);
        ASSERT_TRUE(raw.at(bucket_raw).contains(archive_key(b))) << b;
        const auto& object = raw.at(bucket_raw).at(archive_key(b));
        EXPECT_EQ(object.at("sha256").get<std::string>(), expected_sha256(i)) << b;
        const auto& meta = object.at("metadata");
        EXPECT_EQ(meta.value("barcode", ""), b);
        ASSERT_FALSE(etags[b].empty()) << b;
        EXPECT_EQ(meta.value("encrypted_etag", ""), etags[b]) << b << ": " << meta.dump();
        EXPECT_EQ(meta.value("original_filename", ""), b + ".tar.gz.gpg");
        std::string acquired = meta.value("acquisition_date", "");
        EXPECT_TRUE(std::regex_match(acquired, iso)) << acquired;
        EXPECT_TRUE(starts_with(acquired, year)) << acquired;
        EXPECT_EQ(paths[b], bucket_raw + "/" + run_name + "/" + b + ".tar.gz");

        ASSERT_TRUE(full.at(bucket_full).contains(ocr_key(b))) << b;
        const auto& ocr_meta = full.at(bucket_full).at(ocr_key(b)).at("metadata");
        EXPECT_EQ(ocr_meta.value("barcode", ""), b);
        EXPECT_TRUE(std::regex_match(ocr_meta.value("acquisition_date", ""), iso));
        EXPECT_EQ(ocr_meta.value("page_count", ""), std::to_string(catalogue.at(i).pages)) << b;
    }
    // Every 50th OCR file read back in full.
    for (std::uint64_t i = 0; i < 200; i += 50) {
        auto file = work / ("ocr-" + std::to_string(i) + ".jsonl");
        server->download(bucket_full, ocr_key(barcode(i)), file, /*gunzip=*/true);
        expect_ocr_matches(slurp(file), catalogue.at(i), shape.seed);
    }
}

// CHECK's reconciliation reads encrypted_etag back from the stored archive's metadata
// (s3rver: moto would have dropped it): books whose sync records are gone (a run killed
// between upload and record, or a grin-transfer run) are recorded as completed from
// storage, with no download and nothing stored again (s3rver logs every stored object).
TEST_F(sync_s3_fixture, check_reconciles_from_object_metadata_on_s3rver) {
    GRIN_START_S3_SERVER_OR_SKIP(server, test::start_s3rver(work / "s3rver"));
    shape.books = 20;
    start_emulator();
    use_server();
    collect();
    auto first = sync({"--queue", "converted"}, 90s);
    ASSERT_EQ(first.exit_code, 0) << first.output;
    ASSERT_EQ(completed_counts().size(), 20u);
    const std::string stored_raw = "in bucket \"" + bucket_raw + "\"";
    const std::string stored_full = "in bucket \"" + bucket_full + "\"";
    std::size_t raw_stores = server->count_in_log(stored_raw);
    std::size_t full_stores = server->count_in_log(stored_full);
    EXPECT_EQ(raw_stores, 20u) << server->log();
    EXPECT_EQ(full_stores, 20u);
    std::uint64_t downloads = archive_downloads();

    std::vector<std::string> forgotten = {barcode(0), barcode(7), barcode(19)};
    {
        SQLite::Database db(database().string(), SQLite::OPEN_READWRITE);
        for (const auto& b : forgotten) {
            db.exec("DELETE FROM book_status_history WHERE status_type = 'sync' AND barcode = '" +
                    b + "'");
            db.exec("UPDATE books SET encrypted_etag = NULL, storage_path = NULL, "
                    "is_decrypted = 0 WHERE barcode = '" +
                    b + "'");
        }
    }
    auto second = sync({"--queue", "converted"}, 90s);
    ASSERT_EQ(second.exit_code, 0) << second.output;
    EXPECT_EQ(archive_downloads(), downloads) << second.output;
    EXPECT_EQ(server->count_in_log(stored_raw), raw_stores);
    EXPECT_EQ(server->count_in_log(stored_full), full_stores);
    auto completed = completed_counts();
    auto paths = books_column("storage_path");
    auto etags = books_column("encrypted_etag");
    auto raw = server->inventory({bucket_raw}, /*hash=*/false, /*head=*/true);
    SQLite::Database db(database().string(), SQLite::OPEN_READONLY);
    for (const auto& b : forgotten) {
        EXPECT_EQ(completed[b], 1) << b;
        EXPECT_EQ(paths[b], bucket_raw + "/" + archive_key(b));
        EXPECT_EQ(
            etags[b],
            raw.at(bucket_raw).at(archive_key(b)).at("metadata").value("encrypted_etag", "-"));
        EXPECT_EQ(db.execAndGet("SELECT count(*) FROM book_status_history WHERE barcode = '" + b +
                                "' AND status_type = 'sync' AND status_value = 'completed' "
                                "AND metadata LIKE '%skip_found_in_storage%'")
                      .getInt(),
                  1)
            << b;
    }
}

// A second run uploads nothing to the raw and full buckets and downloads nothing from
// GRIN: no PUT/POST for them in moto's request log, every object's ETag and LastModified
// unchanged (the run waits 1.1 s first, so a rewrite would show even at 1 s resolution),
// the emulator's archive_get count unchanged. Only the meta bucket's teardown copies are
// written again.
TEST_F(sync_s3_fixture, rerun_uploads_nothing) {
    GRIN_START_S3_SERVER_OR_SKIP(server, test::start_moto(work / "moto", false));
    shape.books = 40;
    start_emulator();
    use_server();
    collect();
    auto first = sync({"--queue", "converted"}, 90s);
    ASSERT_EQ(first.exit_code, 0) << first.output;
    ASSERT_EQ(completed_counts().size(), 40u);
    auto before = server->inventory({bucket_raw, bucket_full});
    ASSERT_EQ(before.at(bucket_raw).size(), 40u);
    std::size_t puts =
        moto_requests(*server, "PUT", bucket_raw) + moto_requests(*server, "PUT", bucket_full) +
        moto_requests(*server, "POST", bucket_raw) + moto_requests(*server, "POST", bucket_full);
    EXPECT_EQ(puts, 80u) << "one PutObject per archive and OCR file";
    std::uint64_t downloads = archive_downloads();
    EXPECT_EQ(downloads, 40u);
    std::size_t meta_puts = moto_requests(*server, "PUT", bucket_meta);

    std::this_thread::sleep_for(1100ms);
    auto second = sync({"--queue", "converted"}, 90s);
    ASSERT_EQ(second.exit_code, 0) << second.output;
    EXPECT_EQ(archive_downloads(), downloads);
    EXPECT_EQ(moto_requests(*server, "PUT", bucket_raw) +
                  moto_requests(*server, "PUT", bucket_full) +
                  moto_requests(*server, "POST", bucket_raw) +
                  moto_requests(*server, "POST", bucket_full),
              puts)
        << server->log();
    auto after = server->inventory({bucket_raw, bucket_full});
    EXPECT_EQ(after, before);
    EXPECT_GT(moto_requests(*server, "PUT", bucket_meta), meta_puts)
        << "the teardown stores the CSV and database copies again";
    for (const auto& [b, count] : completed_counts())
        EXPECT_EQ(count, 1) << b;
}

// A wrong secret key against signature-checking moto: the run fails, its output names
// SignatureDoesNotMatch (S3's code, from the first request with an error body) and says
// what a bare HEAD 403 means; no book is recorded as synced and nothing is stored.
TEST_F(sync_s3_fixture, wrong_secret_fails_naming_signature_does_not_match) {
    GRIN_START_S3_SERVER_OR_SKIP(server, test::start_moto(work / "moto", true));
    shape.books = 20;
    start_emulator();
    use_server();
    collect();
    // Same run, wrong secret: the sync stops before any book, at the bucket check, with a
    // message that names the likely causes (a HEAD answer carries no error code).
    use_server({}, "not-the-secret-key");
    auto downloads = archive_downloads();
    auto result = sync({"--queue", "converted"}, 90s);
    EXPECT_NE(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("HeadBucket"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("SignatureDoesNotMatch"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("wrong secret key"), std::string::npos) << result.output;
    EXPECT_EQ(result.output.find("not-the-secret-key"), std::string::npos) << result.output;
    EXPECT_EQ(archive_downloads(), downloads) << "no book may be downloaded";
    EXPECT_TRUE(completed_counts().empty());
    for (const auto& [b, path] : books_column("storage_path"))
        EXPECT_EQ(path, "") << b;
    // Read back with the right keys: no archive or OCR text stored.
    auto stored = server->inventory({bucket_raw, bucket_full});
    EXPECT_TRUE(stored.at(bucket_raw).empty()) << stored.dump(1);
    EXPECT_TRUE(stored.at(bucket_full).empty()) << stored.dump(1);

    // A new run with the wrong secret stops at collect's bucket check the same way.
    run_name = "r2";
    auto collect_run = grin({"collect",
                             "--run-name",
                             "r2",
                             "--output-root",
                             output_root().string(),
                             "--library-directory",
                             shape.library,
                             "--grin-base-url",
                             emulator.url + "/libraries/",
                             "--ca-file",
                             emulator.ca_file,
                             "--storage",
                             "s3",
                             "--bucket-raw",
                             bucket_raw,
                             "--bucket-meta",
                             bucket_meta,
                             "--bucket-full",
                             bucket_full,
                             "--storage-config",
                             "endpoint_url=" + server->endpoint});
    EXPECT_NE(collect_run.exit_code, 0) << collect_run.output;
    EXPECT_NE(collect_run.output.find("HeadBucket"), std::string::npos) << collect_run.output;
}

// Archives of ~50 MiB go up as multipart uploads (threshold 16 MiB, 8 MiB parts): moto's
// ETag carries the "-N" part-count suffix, and the bytes are identical.
TEST_F(sync_s3_fixture, fifty_mib_archives_go_multipart_and_arrive_intact) {
    GRIN_START_S3_SERVER_OR_SKIP(server, test::start_moto(work / "moto", false));
    shape.books = 2;
    shape.archive_size = 50ull << 20;
    start_emulator();
    use_server();
    collect();
    auto result = sync({"--queue", "converted"}, 90s);
    ASSERT_EQ(result.exit_code, 0) << result.output;
    auto raw = server->inventory({bucket_raw}, /*hash=*/true);
    ASSERT_EQ(raw.at(bucket_raw).size(), 2u);
    for (std::uint64_t i = 0; i < 2; ++i) {
        std::string b = barcode(i);
        std::string expected = expected_archive(i);
        ASSERT_GT(expected.size(), 16ull << 20) << "the emulator made a smaller archive";
        const auto& object = raw.at(bucket_raw).at(archive_key(b));
        EXPECT_EQ(object.at("sha256").get<std::string>(), storage::sha256_hex(expected)) << b;
        std::uint64_t parts = (expected.size() + (8ull << 20) - 1) / (8ull << 20);
        std::string etag = object.at("etag").get<std::string>();
        EXPECT_TRUE(ends_with(etag, "-" + std::to_string(parts) + "\"")) << b << ": " << etag;
        EXPECT_EQ(server->count_in_log("\"POST /" + bucket_raw + "/" + archive_key(b) + "?uploads"),
                  1u);
    }
    EXPECT_EQ(completed_counts().size(), 2u);
    auto open = server->multipart_uploads({bucket_raw});
    EXPECT_TRUE(open.at(bucket_raw).empty()) << open.dump();
}

// A part that keeps failing (500 from a fault-injecting proxy in front of moto, for part 3
// of one book's archive) ends that book's multipart upload with AbortMultipartUpload:
// moto lists no upload in progress, so no orphan parts stay billed; that book is not
// recorded as synced and has no object; the other book, through the same proxy, is fine.
TEST_F(sync_s3_fixture, failing_part_aborts_the_multipart_upload) {
    GRIN_START_S3_SERVER_OR_SKIP(server, test::start_moto(work / "moto", false));
    shape.books = 2;
    shape.archive_size = 50ull << 20;
    start_emulator();
    const std::string victim = barcode(0);
    auto proxy_log = work / "proxy.log";
    test::child_process proxy({test::s3_python(),
                               test::s3_support_script("s3_fault_proxy.py").string(), "--upstream",
                               server->endpoint, "--log", proxy_log.string(), "--fail-part", "3",
                               "--fail-path-contains", "/" + victim + ".tar.gz"});
    std::string line = proxy.wait_for_line("listening on ", 30s);
    std::string proxy_url = "http://127.0.0.1:" + line.substr(line.find("on ") + 3);
    use_server(proxy_url);
    collect();
    auto started = std::chrono::steady_clock::now();
    auto result = sync({"--queue", "converted"}, 90s);
    auto elapsed = std::chrono::steady_clock::now() - started;
    std::cout << "[ timing   ] sync with a failing part (5 attempts): "
              << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
    std::string log = slurp(proxy_log);
    EXPECT_NE(result.output.find("InjectedFault"), std::string::npos) << result.output;
    EXPECT_NE(log.find("?partNumber=3&uploadId="), std::string::npos) << log;
    EXPECT_NE(log.find(" injected"), std::string::npos) << log;
    // The abort went through the proxy to moto.
    std::regex abort_line("DELETE /" + bucket_raw + "/" + run_name + "/" + victim +
                          R"(\.tar\.gz\?uploadId=\S+ -> 204)");
    EXPECT_TRUE(std::regex_search(log, abort_line)) << log;

    auto open = server->multipart_uploads({bucket_raw});
    EXPECT_TRUE(open.at(bucket_raw).empty()) << "orphan multipart uploads: " << open.dump();
    auto raw = server->inventory({bucket_raw});
    EXPECT_FALSE(raw.at(bucket_raw).contains(archive_key(victim))) << raw.dump(1);
    EXPECT_TRUE(raw.at(bucket_raw).contains(archive_key(barcode(1)))) << raw.dump(1);
    auto completed = completed_counts();
    EXPECT_FALSE(completed.contains(victim));
    EXPECT_EQ(completed[barcode(1)], 1);
    EXPECT_EQ(books_column("storage_path")[victim], "");
}
