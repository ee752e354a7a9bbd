#include <grin/core/error.hpp>
#include <grin/storage/key_layout.hpp>

#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <fstream>
#include <future>
#include <thread>

#include "storage_fixture.hpp"

namespace grin::storage::test {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;

// Collects every key of a listing, page by page, recording the page sizes.
asio::awaitable<std::vector<std::size_t>>
list_all(storage& store, list_params params, std::set<std::string>& keys) {
    std::vector<std::size_t> pages;
    auto lister = co_await store.list(std::move(params));
    for (;;) {
        auto page = co_await lister->next_page();
        if (page.empty())
            break;
        pages.push_back(page.size());
        for (auto& info : page) {
            EXPECT_TRUE(keys.insert(info.key.key()).second) << "listed twice: " << info.key.key();
            EXPECT_TRUE(info.meta.empty());
        }
    }
    co_return pages;
}

TEST_F(storage_test, put_bytes_head_get_remove_round_trip) {
    key_layout layout({.run_name = "run1", .kind = layout_kind::local_directory});
    object_key key = layout.archive("B1234");
    fixture.run(store.put_bytes(key, "archive bytes", {}));

    // The reference's local layout: base/raw/<B>/<B>.tar.gz.
    fs::path file = base() / "raw" / "B1234" / "B1234.tar.gz";
    EXPECT_EQ(store.location(key), file.string());
    EXPECT_EQ(slurp(file), "archive bytes");
    EXPECT_EQ(files_under(base()), std::set<std::string>{"raw/B1234/B1234.tar.gz"});

    auto info = fixture.run(store.head(key));
    ASSERT_TRUE(info);
    EXPECT_EQ(info->size, 13u);
    EXPECT_EQ(info->key, key);
    EXPECT_TRUE(info->meta.empty());
    EXPECT_LT(std::chrono::system_clock::now() - info->last_modified, 1h);

    fixture.run(store.get_file(key, dir / "out" / "copy.tar.gz"));
    EXPECT_EQ(slurp(dir / "out" / "copy.tar.gz"), "archive bytes");

    EXPECT_TRUE(fixture.run(store.remove(key)));
    EXPECT_FALSE(fixture.run(store.head(key)));
    EXPECT_FALSE(fixture.run(store.remove(key)));
    EXPECT_FALSE(fs::exists(base() / "raw" / "B1234")) << "empty book directory is pruned";
    EXPECT_TRUE(fs::exists(base() / "raw"));
}

TEST_F(storage_test, remove_many_counts_removed_and_missing_keys_of_any_role) {
    key_layout layout({.run_name = "run1", .kind = layout_kind::local_directory});
    std::vector<object_key> keys = {layout.archive("B1234"), layout.ocr_text("B1234", true),
                                    layout.csv_latest(true), layout.archive("B5678")};
    for (std::size_t i = 0; i < 3; ++i)
        fixture.run(store.put_bytes(keys[i], "bytes", {{"barcode", "B1234"}}));
    fixture.run(store.put_bytes(object_key(bucket_role::full, "run2/B1234_ocr.jsonl.gz"), "x", {}));

    auto result = fixture.run(store.remove_many(keys)); // the last one was never stored
    EXPECT_EQ(result.removed, 3u);
    EXPECT_EQ(result.missing, 1u);
    EXPECT_TRUE(result.failed.empty());
    // Objects and their metadata sidecars are gone; the other key stays.
    EXPECT_EQ(files_under(base()), std::set<std::string>{"full/run2/B1234_ocr.jsonl.gz"});
    EXPECT_EQ(fixture.run(store.remove_many({})).removed, 0u);
}

TEST_F(storage_test, head_of_a_missing_object_is_nullopt_and_nothing_is_created) {
    object_key key(bucket_role::full, "run1/B1234_ocr.jsonl.gz");
    EXPECT_FALSE(fixture.run(store.head(key)));
    EXPECT_FALSE(fs::exists(base())) << "reads create nothing (dry-run)";
}

TEST_F(storage_test, put_file_keeps_metadata_and_source) {
    fs::path source = dir / "staging" / "B1234.tar.gz";
    std::string content(3 * 1024 * 1024 + 17, 'x');
    for (std::size_t i = 0; i < content.size(); i += 4093)
        content[i] = static_cast<char>('a' + i % 26);
    spit(source, content);
    metadata meta{{"barcode", "B1234"},
                  {"acquisition_date", "2025-01-02T03:04:05"},
                  {"encrypted_etag", "abc123def"},
                  {"original_filename", "B1234.tar.gz.gpg"}};
    object_key key(bucket_role::raw, "run1/B1234.tar.gz");
    fixture.run(store.put_file(key, source, meta));

    EXPECT_TRUE(fs::exists(source));
    auto info = fixture.run(store.head(key));
    ASSERT_TRUE(info);
    EXPECT_EQ(info->size, content.size());
    EXPECT_EQ(info->meta, meta);
    EXPECT_EQ(slurp(store.path_of(key)), content);
    // Metadata lives in a hidden sidecar, written atomically, no temporaries left.
    EXPECT_EQ(files_under(base() / "raw"),
              (std::set<std::string>{"run1/.B1234.tar.gz.meta.json", "run1/B1234.tar.gz"}));
}

TEST_F(storage_test, overwrite_never_keeps_old_metadata) {
    object_key key(bucket_role::raw, "run1/B1234.tar.gz");
    fixture.run(store.put_bytes(key, "v1", {{"encrypted_etag", "one"}}));
    fixture.run(store.put_bytes(key, "version 2", {}));
    auto info = fixture.run(store.head(key));
    ASSERT_TRUE(info);
    EXPECT_EQ(info->size, 9u);
    EXPECT_TRUE(info->meta.empty());
    fixture.run(store.put_bytes(key, "v3", {{"encrypted_etag", "three"}}));
    info = fixture.run(store.head(key));
    ASSERT_TRUE(info);
    EXPECT_EQ(info->meta.at("encrypted_etag"), "three");
    EXPECT_TRUE(fixture.run(store.remove(key)));
    EXPECT_EQ(files_under(base()), std::set<std::string>{});
}

TEST_F(storage_test, invalid_metadata_is_rejected_before_anything_is_written) {
    object_key key(bucket_role::raw, "run1/B1234.tar.gz");
    EXPECT_THROW(fixture.run(store.put_bytes(key, "x", {{"Encrypted-ETag", "a"}})), grin::error);
    EXPECT_THROW(fixture.run(store.put_bytes(key, "x", {{"etag", "a\r\nx-evil: 1"}})), grin::error);
    EXPECT_THROW(fixture.run(store.put_bytes(key, "x", {{"big", std::string(3000, 'a')}})),
                 grin::error);
    EXPECT_FALSE(fs::exists(base()));
}

asio::awaitable<void>
write_in_chunks(object_writer& writer, std::string content, std::size_t chunk) {
    for (std::size_t at = 0; at < content.size(); at += chunk) {
        std::string_view piece = std::string_view(content).substr(at, chunk);
        co_await writer.write(piece);
    }
}

TEST_F(storage_test, writer_commit_makes_the_object_visible) {
    object_key key(bucket_role::raw, "B1234/B1234.tar.gz");
    std::string content;
    for (int i = 0; i < 50000; ++i)
        content += std::to_string(i) + ",";
    auto writer = fixture.run(store.open_writer(key, {{"encrypted_etag", "e1"}}));
    fixture.run(write_in_chunks(*writer, content, 4096));
    EXPECT_EQ(writer->bytes_written(), content.size());

    // Not visible before commit, and invisible to list.
    EXPECT_FALSE(fixture.run(store.head(key)));
    std::set<std::string> keys;
    fixture.run(list_all(store, {.role = bucket_role::raw}, keys));
    EXPECT_TRUE(keys.empty());

    fixture.run(writer->commit());
    auto info = fixture.run(store.head(key));
    ASSERT_TRUE(info);
    EXPECT_EQ(info->size, content.size());
    EXPECT_EQ(info->meta.at("encrypted_etag"), "e1");
    EXPECT_EQ(slurp(store.path_of(key)), content);
    EXPECT_THROW(fixture.run(writer->write("more")), grin::error);
    EXPECT_THROW(fixture.run(writer->commit()), grin::error);
    EXPECT_EQ(files_under(base() / "raw"),
              (std::set<std::string>{"B1234/.B1234.tar.gz.meta.json", "B1234/B1234.tar.gz"}));
}

TEST_F(storage_test, writer_metadata_set_before_commit_is_what_is_stored) {
    object_key key(bucket_role::raw, "B77/B77.tar.gz");
    auto writer = fixture.run(store.open_writer(key, {{"encrypted_etag", "unknown"}}));
    fixture.run(writer->write("abc"));
    writer->set_metadata({{"encrypted_etag", "from-get"}, {"barcode", "B77"}});
    EXPECT_THROW(writer->set_metadata({{"Bad Name", "x"}}), grin::error);
    fixture.run(writer->commit());
    auto info = fixture.run(store.head(key));
    ASSERT_TRUE(info);
    EXPECT_EQ(info->meta, (metadata{{"barcode", "B77"}, {"encrypted_etag", "from-get"}}));
    EXPECT_THROW(writer->set_metadata({}), grin::error);
}

TEST_F(storage_test, a_put_removes_temporaries_a_killed_process_left_long_ago) {
    object_key key(bucket_role::raw, "B88/B88.tar.gz");
    auto dir = base() / "raw" / "B88";
    std::filesystem::create_directories(dir);
    auto stale = dir / ".B88.tar.gz.tmp.AbC123";
    auto fresh = dir / ".B88.tar.gz.tmp.XyZ789";
    auto other = dir / ".B99.tar.gz.tmp.QqQ111";
    for (const auto& file : {stale, fresh, other})
        std::ofstream(file) << "partial";
    auto old = std::filesystem::file_time_type::clock::now() - std::chrono::hours(2);
    std::filesystem::last_write_time(stale, old);
    std::filesystem::last_write_time(other, old);
    fixture.run(store.put_bytes(key, "whole", {{"barcode", "B88"}}));
    EXPECT_FALSE(std::filesystem::exists(stale));
    EXPECT_TRUE(std::filesystem::exists(fresh)); // may belong to a live writer
    EXPECT_TRUE(std::filesystem::exists(other)); // another key's
    EXPECT_EQ(slurp(store.path_of(key)), "whole");
}

TEST_F(storage_test, writer_abort_leaves_no_trace) {
    object_key key(bucket_role::raw, "B1234/B1234.tar.gz");
    auto writer = fixture.run(store.open_writer(key, {}));
    fixture.run(write_in_chunks(*writer, std::string(10000, 'z'), 1000));
    EXPECT_EQ(files_under(base()).size(), 1u) << "a temporary while writing";
    fixture.run(writer->abort());
    EXPECT_EQ(files_under(base()), std::set<std::string>{});
    EXPECT_FALSE(fs::exists(base() / "raw" / "B1234"));
    EXPECT_FALSE(fixture.run(store.head(key)));
    EXPECT_THROW(fixture.run(writer->commit()), grin::error);
}

TEST_F(storage_test, writer_destroyed_uncommitted_leaves_no_trace_and_keeps_old_object) {
    object_key key(bucket_role::raw, "B1234/B1234.tar.gz");
    fixture.run(store.put_bytes(key, "old", {{"encrypted_etag", "old"}}));
    {
        auto writer = fixture.run(store.open_writer(key, {{"encrypted_etag", "new"}}));
        fixture.run(write_in_chunks(*writer, "new content", 3));
    }
    auto info = fixture.run(store.head(key));
    ASSERT_TRUE(info);
    EXPECT_EQ(slurp(store.path_of(key)), "old");
    EXPECT_EQ(info->meta.at("encrypted_etag"), "old");
    EXPECT_EQ(files_under(base() / "raw"),
              (std::set<std::string>{"B1234/.B1234.tar.gz.meta.json", "B1234/B1234.tar.gz"}));
}

TEST_F(storage_test, temporary_left_by_a_crash_is_ignored_and_overwritten_cleanly) {
    // What a process killed between write and commit leaves behind.
    fs::path leftover = base() / "raw" / "B1234" / ".B1234.tar.gz.tmp.Ab12Cd";
    spit(leftover, "half an archive");
    object_key key(bucket_role::raw, "B1234/B1234.tar.gz");
    EXPECT_FALSE(fixture.run(store.head(key)));
    std::set<std::string> keys;
    fixture.run(list_all(store, {.role = bucket_role::raw}, keys));
    EXPECT_TRUE(keys.empty());

    fixture.run(store.put_bytes(key, "whole archive", {}));
    EXPECT_EQ(slurp(store.path_of(key)), "whole archive");
    fixture.run(list_all(store, {.role = bucket_role::raw}, keys));
    EXPECT_EQ(keys, std::set<std::string>{"B1234/B1234.tar.gz"});
}

TEST_F(storage_test, list_pages_through_ten_thousand_keys) {
    // Written directly: list does not care how objects got there, and 10,000 fsynced puts
    // would dominate the suite's time; on a tmpfs when possible, as creating 10,000 files
    // on this disk takes ~15 s.
    tmpfs_mount memory(base(), "64m");
    fs::path root = base() / "meta" / "run1";
    for (int d = 0; d < 100; ++d) {
        char dname[8];
        std::snprintf(dname, sizeof dname, "d%02d", d);
        fs::create_directories(root / dname);
        for (int k = 0; k < 100; ++k) {
            char kname[16];
            std::snprintf(kname, sizeof kname, "k%04d", d * 100 + k);
            std::ofstream(root / dname / kname) << k;
        }
    }
    spit(root / "d00" / ".k0000.meta.json", "{}"); // sidecars are not objects
    fs::create_directories(root / ".hidden");
    spit(root / ".hidden" / "k9999", "x");

    std::set<std::string> keys;
    auto pages = fixture.run(list_all(store, {.role = bucket_role::meta, .page_size = 1000}, keys));
    EXPECT_EQ(keys.size(), 10000u);
    EXPECT_EQ(pages, std::vector<std::size_t>(10, 1000));
    EXPECT_TRUE(keys.count("run1/d42/k4217"));

    std::set<std::string> one_dir;
    fixture.run(list_all(store, {.role = bucket_role::meta, .prefix = "run1/d07/", .page_size = 33},
                         one_dir));
    EXPECT_EQ(one_dir.size(), 100u);
    EXPECT_TRUE(one_dir.count("run1/d07/k0700"));

    std::set<std::string> partial;
    fixture.run(list_all(store, {.role = bucket_role::meta, .prefix = "run1/d0"}, partial));
    EXPECT_EQ(partial.size(), 1000u);

    std::set<std::string> cut_short; // a prefix is a string prefix, as on S3
    fixture.run(list_all(store, {.role = bucket_role::meta, .prefix = "run1/d99/k999"}, cut_short));
    EXPECT_EQ(cut_short.size(), 10u);
    EXPECT_TRUE(cut_short.count("run1/d99/k9990"));

    std::set<std::string> none;
    fixture.run(list_all(store, {.role = bucket_role::raw}, none));
    fixture.run(list_all(store, {.role = bucket_role::meta, .prefix = "run2/"}, none));
    EXPECT_TRUE(none.empty());
}

TEST_F(storage_test, list_rejects_traversal_prefixes) {
    spit(base() / "secret.txt", "x");
    std::set<std::string> keys;
    for (const char* bad : {"../", "..", "run1/../..", "/etc/"}) {
        list_params params{.role = bucket_role::meta, .prefix = bad};
        EXPECT_THROW(fixture.run(list_all(store, params, keys)), grin::error) << bad;
    }
    EXPECT_TRUE(keys.empty());
}

// Puts an object and records the thread the caller resumes on.
asio::awaitable<void> put_and_record(storage& store,
                                     object_key key,
                                     std::atomic<bool>& done,
                                     std::thread::id& resumed_on) {
    co_await store.put_bytes(std::move(key), "bytes", {});
    resumed_on = std::this_thread::get_id();
    done = true;
}

// With the file pool blocked, the put cannot finish and the caller's thread stays free.
asio::awaitable<void> check_put_runs_on_the_file_pool(storage& store,
                                                      fs::path file,
                                                      std::promise<void>& release,
                                                      std::thread::id& resumed_on) {
    auto executor = co_await asio::this_coro::executor;
    std::atomic<bool> done{false};
    auto put =
        put_and_record(store, object_key(bucket_role::meta, "run1/x.json"), done, resumed_on);
    asio::co_spawn(executor, std::move(put), asio::detached);
    asio::steady_timer timer(executor);
    timer.expires_after(200ms);
    co_await timer.async_wait(asio::use_awaitable); // the I/O thread keeps running
    EXPECT_FALSE(done.load());
    EXPECT_FALSE(fs::exists(file)) << "file work ran on the caller's thread";
    release.set_value();
    for (int i = 0; i < 500 && !done; ++i) {
        timer.expires_after(10ms);
        co_await timer.async_wait(asio::use_awaitable);
    }
    EXPECT_TRUE(done.load());
    EXPECT_TRUE(fs::exists(file));
}

TEST_F(storage_test, file_work_runs_on_the_file_pool_and_caller_resumes_on_its_executor) {
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::thread::id pool_thread;
    auto block = [released, &pool_thread] {
        pool_thread = std::this_thread::get_id();
        released.wait();
    };
    asio::post(files, block);
    std::thread::id resumed_on;
    fixture.run(check_put_runs_on_the_file_pool(store, base() / "meta" / "run1" / "x.json", release,
                                                resumed_on));
    EXPECT_EQ(resumed_on, std::this_thread::get_id()) << "resumed on the file pool";
    EXPECT_NE(pool_thread, std::this_thread::get_id());
}

// Records the thread each step of a streaming write resumes on.
asio::awaitable<void> writer_steps_resume_here(storage& store, std::vector<bool>& on_caller) {
    auto caller = std::this_thread::get_id();
    auto writer = co_await store.open_writer(object_key(bucket_role::full, "run1/t.jsonl"), {});
    on_caller.push_back(std::this_thread::get_id() == caller);
    co_await writer->write("line\n");
    on_caller.push_back(std::this_thread::get_id() == caller);
    co_await writer->commit();
    on_caller.push_back(std::this_thread::get_id() == caller);
    auto info = co_await store.head(object_key(bucket_role::full, "run1/t.jsonl"));
    on_caller.push_back(std::this_thread::get_id() == caller && info && info->size == 5);
}

TEST_F(storage_test, writer_and_head_resume_on_the_callers_executor) {
    std::vector<bool> on_caller;
    fixture.run(writer_steps_resume_here(store, on_caller));
    EXPECT_EQ(on_caller, std::vector<bool>(4, true));
}

} // namespace
} // namespace grin::storage::test

namespace grin::storage::test {
namespace {

asio::awaitable<void> put_version(storage& store, object_key key, int version) {
    std::string text = "version " + std::to_string(version);
    metadata meta{{"encrypted_etag", std::to_string(version)}};
    co_await store.put_bytes(std::move(key), std::move(text), std::move(meta));
}

TEST_F(storage_test, concurrent_puts_to_one_key_keep_bytes_and_metadata_together) {
    tmpfs_mount memory(base(), "8m"); // fsync-free when possible: the race is the point
    boost::asio::thread_pool many(4);
    local_storage shared(local_storage_params{.base_path = base()}, many.get_executor());
    object_key key(bucket_role::raw, "B1234/B1234.tar.gz");
    for (int round = 0; round < 10; ++round) {
        std::vector<asio::awaitable<void>> puts;
        for (int version = 0; version < 8; ++version)
            puts.push_back(put_version(shared, key, round * 100 + version));
        fixture.run_all(std::move(puts));
        auto info = fixture.run(shared.head(key));
        ASSERT_TRUE(info);
        EXPECT_EQ("version " + info->meta.at("encrypted_etag"), slurp(shared.path_of(key)));
    }
    many.join();
    EXPECT_EQ(files_under(base() / "raw"),
              (std::set<std::string>{"B1234/.B1234.tar.gz.meta.json", "B1234/B1234.tar.gz"}));
}

} // namespace
} // namespace grin::storage::test
