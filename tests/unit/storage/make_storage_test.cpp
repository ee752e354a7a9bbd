#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/net/https_pool.hpp>
#include <grin/storage/local_storage.hpp>
#include <grin/storage/make_storage.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <gtest/gtest.h>

namespace {
using namespace grin::storage;

std::string fatal_message(const grin::run::storage_settings& settings) {
    boost::asio::thread_pool files(1);
    try {
        (void)make_storage(settings, files.get_executor());
    } catch (const grin::fatal& e) {
        return e.what();
    }
    return "no grin::fatal";
}

TEST(make_storage, local_uses_base_path) {
    boost::asio::thread_pool files(1);
    grin::run::storage_settings settings{.type = "local", .config = {{"base_path", "/data/x"}}};
    auto store = make_storage(settings, files.get_executor());
    ASSERT_TRUE(store);
    EXPECT_EQ(store->describe(), "local storage at /data/x");
    EXPECT_EQ(store->location(object_key(bucket_role::raw, "B123/B123.tar.gz")),
              "/data/x/raw/B123/B123.tar.gz");
    EXPECT_NE(dynamic_cast<local_storage*>(store.get()), nullptr);
}

TEST(make_storage, local_without_base_path_says_which_flag_to_pass) {
    grin::run::storage_settings settings{.type = "local"};
    EXPECT_NE(fatal_message(settings).find("--storage-path"), std::string::npos);
}

TEST(make_storage, object_stores_need_the_pool_and_say_what_is_missing) {
    for (const char* type : {"s3", "r2", "minio"}) {
        grin::run::storage_settings settings{.type = type};
        std::string message = fatal_message(settings); // the overload without a pool
        EXPECT_NE(message.find("connection pool"), std::string::npos) << message;
    }
}

TEST(make_storage, unknown_type_lists_the_choices) {
    grin::run::storage_settings settings{.type = "ftp"};
    std::string message = fatal_message(settings);
    EXPECT_NE(message.find("'ftp'"), std::string::npos) << message;
    EXPECT_NE(message.find("local, s3, r2 or minio"), std::string::npos) << message;
}

} // namespace

namespace {

std::string warnings_for_endpoint(const std::string& endpoint) {
    grin::run::storage_settings settings;
    settings.type = "minio";
    settings.config = {{"endpoint_url", endpoint}};
    boost::asio::io_context io;
    boost::asio::thread_pool files(1);
    grin::net::https_pool pool(io.get_executor(), {});
    std::string logged;
    auto old = grin::log::set_sink([&](grin::log::level value, std::string_view line) {
        if (value == grin::log::level::warning)
            logged += std::string(line) + "\n";
    });
    auto store = make_storage(
        settings,
        storage_services{.file_executor = files.get_executor(), .pool = &pool, .staging_dir = {}});
    grin::log::set_sink(old);
    return logged;
}

} // namespace

// Plain http to another host is announced like --insecure; loopback and https are quiet.
TEST(make_storage, plain_http_endpoint_to_another_host_is_warned_about) {
    auto remote = warnings_for_endpoint("http://10.1.2.3:9000");
    EXPECT_NE(remote.find("endpoint http://10.1.2.3:9000 is plain http"), std::string::npos)
        << remote;
    EXPECT_EQ(warnings_for_endpoint("http://127.0.0.1:9000").find("plain http"), std::string::npos);
    EXPECT_EQ(warnings_for_endpoint("http://localhost:9000").find("plain http"), std::string::npos);
    EXPECT_EQ(warnings_for_endpoint("https://10.1.2.3:9000").find("plain http"), std::string::npos);
}
