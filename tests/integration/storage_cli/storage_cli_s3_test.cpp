// `grin storage ls|rm|cp` against an S3 server: moto's (python3.11 -m moto.server), with
// objects put there by boto3, so that both the objects and the checks come from outside
// grin. Covers paging (more than 1,000 keys), DeleteObjects batches of 1,000, the run's
// prefix as the default scope, --all-runs, cp, and that the secret key never shows.
// Without moto the tests are skipped, with the reason; with CI=true they fail instead.
#include <gtest/gtest.h>

#include <algorithm>
#include <arpa/inet.h>
#include <fstream>
#include <netinet/in.h>
#include <set>
#include <sstream>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "child_process.hpp"
#include "test_support.hpp"

using namespace grin;
using namespace std::chrono_literals;

namespace {

constexpr const char* access_key = "AKIDSTORAGECLITEST";
constexpr const char* secret_key = "storage-cli-secret-never-printed";
constexpr int run_objects = 1100; // more than one page and one DeleteObjects batch
constexpr int other_objects = 7;

// The boto3 side: "setup" puts the objects, "keys BUCKET" prints a bucket's keys.
constexpr const char* boto_script = R"PY(
import sys, boto3
from concurrent.futures import ThreadPoolExecutor
endpoint, action = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id="AKIDSTORAGECLITEST",
                  aws_secret_access_key="storage-cli-secret-never-printed")
if action == "setup":
    for bucket in ("t-raw", "t-meta", "t-full"):
        s3.create_bucket(Bucket=bucket)
    puts = [("t-raw", "s3run/B%05d.tar.gz" % i, b"a" * (1 + i % 50)) for i in range(1100)]
    puts += [("t-raw", "other/B%05d.tar.gz" % i, b"o" * 3) for i in range(7)]
    puts += [("t-full", "s3run/B%05d_ocr.jsonl.gz" % i, ("ocr %d\n" % i).encode() * 100)
             for i in range(3)]
    puts += [("t-full", "other/B00000_ocr.jsonl.gz", b"other ocr")]
    puts += [("t-meta", "s3run/books_latest.csv.gz", b"csv"), ("t-meta", "other/x.csv", b"x")]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda p: s3.put_object(Bucket=p[0], Key=p[1], Body=p[2]), puts))
    print("setup done")
elif action == "keys":
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[3]):
        for item in page.get("Contents", []):
            print(item["Key"])
)PY";

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        if (fd >= 0)
            ::close(fd);
        return -1;
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (!line.empty())
            lines.push_back(line);
    return lines;
}

// "  <key>" / "  <size>  <time>  <key>" lines of a one-role `grin storage ls`.
std::map<std::string, std::uint64_t> listed(const std::string& output) {
    std::map<std::string, std::uint64_t> objects;
    bool inside = false;
    for (const auto& line : lines_of(output)) {
        if (line.rfind("raw: ", 0) == 0 || line.rfind("meta: ", 0) == 0 ||
            line.rfind("full: ", 0) == 0) {
            inside = true;
            continue;
        }
        if (!inside || line.rfind("  ", 0) != 0)
            continue;
        if (line.rfind("  Total: ", 0) == 0)
            break;
        std::istringstream fields(line);
        std::vector<std::string> words;
        for (std::string word; fields >> word;)
            words.push_back(word);
        if (words.size() == 3)
            objects[words[2]] = std::stoull(words[0]);
        else if (words.size() == 1)
            objects[words[0]] = 0;
    }
    return objects;
}

class storage_cli_s3 : public ::testing::Test {
public:
    test::temp_dir work;
    std::unique_ptr<test::child_process> moto;
    std::string endpoint;

    void SetUp() override {
        const bool ci = std::getenv("CI") && std::string(std::getenv("CI")) == "true";
        std::string problem = start_moto();
        if (!problem.empty()) {
            if (ci)
                FAIL() << "moto is required when CI=true: " << problem;
            GTEST_SKIP() << "no moto S3 server: " << problem;
        }
        std::ofstream(work / "boto.py") << boto_script;
        auto setup = boto("setup");
        ASSERT_EQ(setup.exit_code, 0) << setup.output;
        write_run_config();
    }

    // Empty when moto listens; else why not.
    std::string start_moto() {
        auto probe = test::run_command("python3.11 -c 'import moto.server, boto3' 2>&1", 60s);
        if (probe.exit_code != 0)
            return "python3.11 with moto[server] and boto3 is not available: " + probe.output;
        int port = free_port();
        if (port <= 0)
            return "no free port";
        endpoint = "http://127.0.0.1:" + std::to_string(port);
        // Its request log goes to a file: a pipe nobody reads would fill up and stall it.
        const auto log = work / "moto.log";
        moto = std::make_unique<test::child_process>(
            std::vector<std::string>{"sh", "-c",
                                     "exec python3.11 -m moto.server -H 127.0.0.1 -p " +
                                         std::to_string(port) + " >'" + log.string() + "' 2>&1"});
        for (auto deadline = std::chrono::steady_clock::now() + 60s;;) {
            auto ready = test::run_command("curl -s -o /dev/null " + endpoint + "/", 10s);
            if (ready.exit_code == 0)
                break;
            if (std::chrono::steady_clock::now() > deadline)
                return "moto did not answer on " + endpoint + " within 60 s: " + moto_log();
            std::this_thread::sleep_for(200ms);
        }
        return {};
    }

    std::string moto_log() {
        std::ifstream in(work / "moto.log");
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

    test::command_result boto(const std::string& args) {
        return test::run_command("python3.11 '" + (work / "boto.py").string() + "' " + endpoint +
                                     " " + args + " 2>&1",
                                 180s);
    }

    std::vector<std::string> bucket_keys(const std::string& bucket) {
        auto result = boto("keys " + bucket);
        EXPECT_EQ(result.exit_code, 0) << result.output;
        return lines_of(result.output);
    }

    // A run whose storage is moto's buckets (no database: ls, rm and cp of S3 need none).
    void write_run_config() {
        std::filesystem::create_directories(work / "output" / "s3run");
        std::ofstream(work / "output" / "s3run" / "run_config.json")
            << R"({"run_name": "s3run", "library_directory": "Harvard",
  "output_directory": "output/s3run", "sqlite_db_path": "output/s3run/books.db",
  "storage_config": {"type": "s3", "protocol": "s3", "prefix": "",
    "config": {"bucket_raw": "t-raw", "bucket_meta": "t-meta", "bucket_full": "t-full",
               "endpoint_url": ")"
            << endpoint << R"("}}})";
    }

    std::pair<int, std::string> grin(std::vector<std::string> args) {
        args.insert(args.begin(), {test::built_binary("grin").string(), "storage"});
        args.insert(args.end(),
                    {"--run-name", "s3run", "--output-root", (work / "output").string()});
        test::child_process process(args, {{"AWS_ACCESS_KEY_ID", access_key},
                                           {"AWS_SECRET_ACCESS_KEY", secret_key},
                                           {"AWS_REGION", "us-east-1"},
                                           {"AWS_PROFILE", "storage-cli-test-none"}});
        int code = process.wait(180s);
        EXPECT_EQ(process.output().find(secret_key), std::string::npos)
            << "the secret key was printed:\n"
            << process.output();
        return {code, process.output()};
    }
};

TEST_F(storage_cli_s3, ls_pages_and_rm_deletes_the_runs_objects_in_batches) {
    // ls: the run's prefix by default, over two pages.
    auto [ls_code, ls] = grin({"ls", "--bucket", "raw", "-l"});
    ASSERT_EQ(ls_code, 0) << ls;
    auto objects = listed(ls);
    ASSERT_EQ(objects.size(), static_cast<std::size_t>(run_objects)) << ls.substr(0, 2000);
    for (int i = 0; i < run_objects; ++i) {
        char key[64];
        std::snprintf(key, sizeof key, "s3run/B%05d.tar.gz", i);
        ASSERT_TRUE(objects.contains(key)) << key;
        EXPECT_EQ(objects[key], static_cast<std::uint64_t>(1 + i % 50)) << key;
    }
    EXPECT_NE(ls.find("bucket t-raw (keys under s3run/)"), std::string::npos) << ls.substr(0, 500);
    EXPECT_NE(ls.find("  Total: 1,100 objects"), std::string::npos);
    auto [all_code, all] = grin({"ls", "--bucket", "raw", "--all"});
    ASSERT_EQ(all_code, 0) << all;
    EXPECT_EQ(listed(all).size(), static_cast<std::size_t>(run_objects + other_objects));

    // --dry-run deletes nothing.
    auto [dry_code, dry] = grin({"rm", "raw", "--dry-run"});
    ASSERT_EQ(dry_code, 0) << dry;
    EXPECT_NE(dry.find("DRY RUN: would delete 1,100 objects"), std::string::npos)
        << dry.substr(dry.size() > 1000 ? dry.size() - 1000 : 0);
    EXPECT_EQ(bucket_keys("t-raw").size(), static_cast<std::size_t>(run_objects + other_objects));

    // --yes: the run's 1,100 objects go in two DeleteObjects batches; other/ stays.
    auto [rm_code, rm] = grin({"rm", "raw", "--yes"});
    ASSERT_EQ(rm_code, 0) << rm;
    EXPECT_NE(rm.find("  Deleted 1,000 objects (1,000 so far)"), std::string::npos) << rm;
    EXPECT_NE(rm.find("  Deleted 100 objects (1,100 so far)"), std::string::npos) << rm;
    EXPECT_NE(rm.find("Deleted 1,100 objects"), std::string::npos) << rm;
    // moto's request log: two DeleteObjects requests (1,000 + 100 keys), no single deletes.
    auto requests = lines_of(moto_log());
    auto count = [&requests](const std::string& needle) {
        return std::count_if(requests.begin(), requests.end(), [&](const std::string& line) {
            return line.find(needle) != std::string::npos;
        });
    };
    EXPECT_EQ(count("\"POST /t-raw?delete"), 2) << moto_log().substr(0, 3000);
    EXPECT_EQ(count("\"DELETE /t-raw/"), 0);
    auto left = bucket_keys("t-raw");
    EXPECT_EQ(left.size(), static_cast<std::size_t>(other_objects));
    for (const auto& key : left)
        EXPECT_TRUE(key.starts_with("other/")) << key;
    auto [after_code, after] = grin({"ls", "--bucket", "raw"});
    ASSERT_EQ(after_code, 0) << after;
    EXPECT_TRUE(listed(after).empty()) << after;
    EXPECT_NE(after.find("  Total: 0 objects"), std::string::npos) << after;
}

TEST_F(storage_cli_s3, cp_and_rm_all_runs) {
    // cp by the key relative to the run's prefix: the bytes boto3 put.
    auto into = work / "fetched";
    auto [cp_code, cp] = grin({"cp", "full", "B00002_ocr.jsonl.gz", into.string()});
    ASSERT_EQ(cp_code, 0) << cp;
    std::ifstream in(into / "B00002_ocr.jsonl.gz", std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    std::string expected;
    for (int i = 0; i < 100; ++i)
        expected += "ocr 2\n";
    EXPECT_EQ(content.str(), expected);
    auto [missing_code, missing] = grin({"cp", "full", "B09999_ocr.jsonl.gz", into.string()});
    EXPECT_EQ(missing_code, 2) << missing;

    // --all-runs: --yes is not enough; with the bucket's name every run's objects go.
    auto [refused_code, refused] =
        grin({"rm", "full", "--all-runs", "--yes", "--confirm-bucket", "t-raw"});
    EXPECT_EQ(refused_code, 2) << refused;
    EXPECT_EQ(bucket_keys("t-full").size(), 4u);
    auto [all_code, all] = grin({"rm", "full", "--all-runs", "--confirm-bucket", "t-full"});
    ASSERT_EQ(all_code, 0) << all;
    EXPECT_TRUE(bucket_keys("t-full").empty());
    EXPECT_EQ(bucket_keys("t-meta").size(), 2u);
    EXPECT_EQ(bucket_keys("t-raw").size(), static_cast<std::size_t>(run_objects + other_objects));
}

} // namespace
