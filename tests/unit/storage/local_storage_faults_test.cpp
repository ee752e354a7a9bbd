// Failures of the local backend: full disk, missing files, unusable base directory.
#include <grin/core/error.hpp>

#include <boost/asio/use_awaitable.hpp>

#include <optional>

#include "storage_fixture.hpp"

namespace grin::storage::test {
namespace {
namespace asio = boost::asio;

// A 64 KiB tmpfs as the storage base: writing more than that fails with ENOSPC.
class full_disk_test : public storage_test {
protected:
    void SetUp() override {
        disk_.emplace(base(), "64k");
        if (!disk_->mounted())
            GTEST_SKIP() << "cannot mount a tmpfs (needs root): " << disk_->error();
    }
    void TearDown() override { disk_.reset(); }

    std::optional<tmpfs_mount> disk_;
};

void expect_disk_full_error(const grin::error& e, const fs::path& target) {
    std::string message = e.what();
    EXPECT_EQ(e.context().step, "storage");
    EXPECT_EQ(e.context().url, target.string());
    EXPECT_NE(message.find(target.string()), std::string::npos) << message;
    EXPECT_NE(message.find("No space left on device"), std::string::npos) << message;
}

TEST_F(full_disk_test, put_fails_clearly_and_keeps_the_previous_object) {
    object_key key(bucket_role::raw, "B1234/B1234.tar.gz");
    fixture.run(store.put_bytes(key, "previous", {{"encrypted_etag", "old"}}));
    try {
        fixture.run(
            store.put_bytes(key, std::string(256 * 1024, 'n'), {{"encrypted_etag", "new"}}));
        FAIL() << "a 256 KiB put fit into a 64 KiB file system";
    } catch (const grin::error& e) {
        expect_disk_full_error(e, store.path_of(key));
    }
    auto info = fixture.run(store.head(key));
    ASSERT_TRUE(info);
    EXPECT_EQ(slurp(store.path_of(key)), "previous");
    EXPECT_EQ(info->meta.at("encrypted_etag"), "old");
    EXPECT_EQ(files_under(base() / "raw"),
              (std::set<std::string>{"B1234/.B1234.tar.gz.meta.json", "B1234/B1234.tar.gz"}));
}

asio::awaitable<void> write_until_full(object_writer& writer) {
    std::string chunk(16 * 1024, 'w');
    for (int i = 0; i < 64; ++i)
        co_await writer.write(chunk);
}

TEST_F(full_disk_test, streaming_writer_fails_clearly_and_leaves_nothing) {
    object_key key(bucket_role::full, "run1/B1234_ocr.jsonl.gz");
    fixture.run(store.put_bytes(key, "previous", {}));
    auto writer = fixture.run(store.open_writer(key, {}));
    try {
        fixture.run(write_until_full(*writer));
        FAIL() << "1 MiB fit into a 64 KiB file system";
    } catch (const grin::error& e) {
        expect_disk_full_error(e, store.path_of(key));
    }
    EXPECT_THROW(fixture.run(writer->commit()), grin::error);
    fixture.run(writer->abort());
    EXPECT_EQ(slurp(store.path_of(key)), "previous");
    EXPECT_EQ(files_under(base() / "full"), std::set<std::string>{"run1/B1234_ocr.jsonl.gz"});
    // Space is free again: the next put succeeds.
    fixture.run(store.put_bytes(key, "after", {}));
    EXPECT_EQ(slurp(store.path_of(key)), "after");
}

TEST_F(storage_test, get_of_a_missing_object_names_it) {
    object_key key(bucket_role::raw, "run1/B9999.tar.gz");
    try {
        fixture.run(store.get_file(key, dir / "out.tar.gz"));
        FAIL() << "no error";
    } catch (const grin::error& e) {
        EXPECT_NE(std::string(e.what()).find("raw/run1/B9999.tar.gz"), std::string::npos);
        EXPECT_EQ(e.context().step, "storage");
    }
    EXPECT_FALSE(fs::exists(dir / "out.tar.gz"));
}

TEST_F(storage_test, put_of_a_missing_source_names_it_and_stores_nothing) {
    object_key key(bucket_role::raw, "run1/B9999.tar.gz");
    try {
        fixture.run(store.put_file(key, dir / "nope.tar.gz", {}));
        FAIL() << "no error";
    } catch (const grin::error& e) {
        EXPECT_NE(std::string(e.what()).find((dir / "nope.tar.gz").string()), std::string::npos)
            << e.what();
    }
    EXPECT_FALSE(fixture.run(store.head(key)));
    EXPECT_EQ(files_under(base()), std::set<std::string>{});
}

TEST_F(storage_test, base_path_that_is_a_file_gives_a_clear_error) {
    spit(base(), "not a directory");
    try {
        fixture.run(store.put_bytes(object_key(bucket_role::meta, "run1/x.json"), "{}", {}));
        FAIL() << "no error";
    } catch (const grin::error& e) {
        EXPECT_NE(std::string(e.what()).find("not a directory"), std::string::npos) << e.what();
    }
}

TEST_F(storage_test, corrupt_metadata_sidecar_is_reported) {
    object_key key(bucket_role::raw, "run1/B1234.tar.gz");
    fixture.run(store.put_bytes(key, "x", {{"barcode", "B1234"}}));
    spit(base() / "raw" / "run1" / ".B1234.tar.gz.meta.json", "{not json");
    EXPECT_THROW(fixture.run(store.head(key)), grin::error);
}

} // namespace
} // namespace grin::storage::test
