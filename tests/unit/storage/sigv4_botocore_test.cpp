// Differential test: our SigV4 against botocore's S3SigV4Auth (an independent signer, the
// one boto3 and the AWS CLI use) over hand-picked and generated S3 requests.
// sigv4_botocore.py does botocore's side: it encodes the decoded path and query itself,
// hashes the body itself, and signs at the case's fixed time. Needs python3.11 (or
// python3) with botocore; without it the test fails when CI is set and is skipped, saying
// why, otherwise. GRIN_PYTHON names another interpreter.
#include <grin/storage/sigv4.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace {
using namespace grin::storage;
using namespace std::chrono;
using json = nlohmann::json;

struct signing_case {
    std::string id;
    sigv4_request request;
    std::string body;
    bool unsigned_body = false;
    aws_credentials credentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
    std::string region = "us-east-1";
    grin::system_time when = sys_days{2013y / May / 24};

    // Builder steps, so that the case table below reads as a list.
    signing_case& method(std::string m) {
        request.method = std::move(m);
        return *this;
    }
    signing_case& at(std::string scheme, std::string host, std::uint16_t port = 0) {
        request.scheme = std::move(scheme);
        request.host = std::move(host);
        request.port = port;
        return *this;
    }
    signing_case& path(std::string p) {
        request.path = std::move(p);
        return *this;
    }
    signing_case& query(query_list q) {
        request.query = std::move(q);
        return *this;
    }
    signing_case& headers(grin::net::header_list h) {
        request.headers = std::move(h);
        return *this;
    }
    signing_case& with_body(std::string b) {
        body = std::move(b);
        return *this;
    }
    signing_case& unsigned_hash() {
        unsigned_body = true;
        return *this;
    }
    signing_case& token(std::string t) {
        credentials.session_token = std::move(t);
        return *this;
    }
    signing_case& keys(std::string key_id, std::string secret) {
        credentials.access_key_id = std::move(key_id);
        credentials.secret_access_key = std::move(secret);
        return *this;
    }
    signing_case& in(std::string r) {
        region = std::move(r);
        return *this;
    }
    signing_case& time(grin::system_time t) {
        when = t;
        return *this;
    }
};

signing_case make(std::string id) {
    signing_case c;
    c.id = std::move(id);
    c.request.host = "examplebucket.s3.amazonaws.com";
    return c;
}

const std::string unicode_key =
    "dir/\xc3\xbc \xc3\xb1/\xe6\x97\xa5\xe6\x9c\xac.txt"; // dir/ü ñ/日本.txt

std::vector<signing_case> hand_picked_cases() {
    const std::string aws = "examplebucket.s3.amazonaws.com";
    const std::string path_style = "s3.us-west-2.amazonaws.com";
    std::vector<signing_case> cases;
    auto add = [&cases](signing_case c) { cases.push_back(std::move(c)); };

    add(make("aws-get-range").path("/test.txt").headers({{"Range", "bytes=0-9"}}));
    add(make("aws-lifecycle").path("/").query({{"lifecycle", ""}}));
    add(make("aws-list").path("/").query({{"max-keys", "2"}, {"prefix", "J"}}));
    add(make("put-key-with-spaces")
            .method("PUT")
            .path("/dir/a b  c.txt")
            .headers({{"Content-Type", "text/plain"}})
            .with_body("hello world"));
    add(make("put-unicode-key").method("PUT").path("/" + unicode_key).with_body("\xe6\x97\xa5"));
    add(make("get-unicode-key-path-style")
            .at("https", path_style)
            .in("us-west-2")
            .path("/examplebucket/" + unicode_key));
    add(make("plus-equals-key").method("PUT").path("/a+b=c.txt").with_body("x"));
    add(make("tilde-star-key").path("/~user/star*file~1"));
    add(make("bang-quote-parens").path("/bang!/it's (1).txt"));
    add(make("percent-key").path("/100%/a%20b%2Fc"));
    add(make("reserved-chars").path("/k/#?&;,:@$[]{}|^`\"<>\\"));
    add(make("no-normalisation").path("/examplebucket//a/./c/../d/"));
    add(make("list-v2-prefix-slash")
            .at("http", "127.0.0.1", 5000)
            .path("/bucket")
            .query({{"list-type", "2"}, {"prefix", "dir/sub/"}, {"delimiter", "/"}}));
    add(make("list-v2-continuation")
            .path("/")
            .query({{"list-type", "2"},
                    {"continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=+x"},
                    {"max-keys", "1000"},
                    {"prefix", "run1/"}}));
    add(make("list-v2-unicode-prefix")
            .path("/")
            .query({{"list-type", "2"}, {"prefix", "dir/\xc3\xbc \xc3\xb1/"}}));
    add(make("create-multipart-uploads")
            .method("POST")
            .path("/run1/B1.tar.gz")
            .query({{"uploads", ""}})
            .headers({{"x-amz-meta-barcode", "B1"},
                      {"x-amz-meta-encrypted_etag", "\"abc123\""},
                      {"x-amz-meta-acquisition_date", "2025-09-01T10:15:00"},
                      {"x-amz-meta-original_filename", "B1.tar.gz.gpg"}}));
    add(make("upload-part")
            .method("PUT")
            .path("/run1/B1.tar.gz")
            .query({{"uploadId", "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA+/="},
                    {"partNumber", "3"}})
            .with_body(std::string(10000, 'p')));
    add(make("complete-multipart")
            .method("POST")
            .path("/run1/B1.tar.gz")
            .query({{"uploadId", "abc+def/=ghi"}})
            .headers({{"Content-Type", "application/xml"}})
            .with_body("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"e\""
                       "</ETag></Part></CompleteMultipartUpload>"));
    add(make("abort-multipart")
            .method("DELETE")
            .path("/run1/B1.tar.gz")
            .query({{"uploadId", "u-1"}}));
    add(make("delete-objects")
            .method("POST")
            .path("/")
            .query({{"delete", ""}})
            .headers(
                {{"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="}, {"Content-Type", "application/xml"}})
            .with_body("<Delete><Quiet>true</Quiet><Object><Key>a&amp;b</Key></Object></Delete>"));
    add(make("session-token").token("IQoJb3JpZ2luX2VjEXAMPLE//+token=="));
    add(make("unsigned-payload-https")
            .method("PUT")
            .path("/big.bin")
            .with_body("some bytes")
            .unsigned_hash());
    add(make("unsigned-payload-token")
            .method("PUT")
            .path("/k")
            .with_body("b")
            .unsigned_hash()
            .token("tok"));
    add(make("head-object").method("HEAD").path("/run1/B1.tar.gz"));
    add(make("port-default-https-explicit").at("https", aws, 443).path("/k"));
    add(make("port-default-http-explicit").at("http", "127.0.0.1", 80).path("/b/k"));
    add(make("moto-path-style-port")
            .method("PUT")
            .at("http", "127.0.0.1", 5000)
            .path("/grin-raw/run1/B1.tar.gz")
            .with_body("archive bytes"));
    add(make("ipv6-host").at("http", "::1", 9000).path("/b/k"));
    add(make("r2-auto-region")
            .at("https", "acct123.r2.cloudflarestorage.com")
            .in("auto")
            .path("/lib-raw/run1/B1.tar.gz"));
    add(make("minio-https-port")
            .method("PUT")
            .at("https", "minio.local", 9000)
            .path("/grin-full/run1/B1_ocr.jsonl.gz")
            .with_body("{}\n"));
    add(make("header-whitespace")
            .headers({{"X-Amz-Meta-Note", "  several   spaces\tand\t\ttabs  "},
                      {"x-amz-meta-empty", ""}}));
    add(make("repeated-header")
            .headers({{"x-amz-meta-multi", "one"}, {"X-Amz-Meta-Multi", " two"}}));
    add(make("unsigned-headers-skipped")
            .headers({{"User-Agent", "grin-sync/0.1"},
                      {"Expect", "100-continue"},
                      {"X-Amzn-Trace-Id", "Root=1-abc"},
                      {"Range", "bytes=5-"}}));
    add(make("repeated-query-names")
            .path("/")
            .query({{"a", "2"}, {"a", "1"}, {"a-b", ""}, {"A", "x"}, {"a b", "c d"}}));
    add(make("leap-day-time").time(sys_days{2024y / February / 29} + 23h + 59min + 59s));
    add(make("secret-with-specials").keys("AKID12345", "s/e+c=r e\"t\\"));
    return cases;
}

// Seeded random keys, queries and bodies from the characters S3 keys trip on.
std::vector<signing_case> generated_cases(std::size_t count) {
    static const std::vector<std::string> pieces = {"a",
                                                    "Z",
                                                    "0",
                                                    "-",
                                                    "_",
                                                    ".",
                                                    "~",
                                                    " ",
                                                    "+",
                                                    "=",
                                                    "*",
                                                    "!",
                                                    "'",
                                                    "(",
                                                    ")",
                                                    "%",
                                                    "&",
                                                    "$",
                                                    ",",
                                                    ";",
                                                    ":",
                                                    "@",
                                                    "#",
                                                    "?",
                                                    "/",
                                                    "//",
                                                    "%2F",
                                                    "%20",
                                                    "\xc3\xbc",
                                                    "\xe6\x97\xa5",
                                                    "\xf0\x9f\x93\x9a",
                                                    "B1"};
    static const std::vector<std::string> methods = {"GET", "PUT", "POST", "HEAD", "DELETE"};
    std::mt19937 random(20130524);
    auto pick = [&](std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
    };
    auto text = [&](std::size_t max_pieces) {
        std::string out;
        for (std::size_t i = 0, n = 1 + pick(max_pieces); i < n; ++i)
            out += pieces[pick(pieces.size())];
        return out;
    };
    std::vector<signing_case> cases;
    for (std::size_t i = 0; i < count; ++i) {
        auto c = make("generated-" + std::to_string(i));
        c.method(methods[pick(methods.size())]);
        if (pick(2))
            c.at("http", "127.0.0.1", static_cast<std::uint16_t>(1024 + pick(60000)));
        c.path("/bucket/" + text(12));
        query_list query;
        for (std::size_t q = 0, n = pick(4); q < n; ++q)
            query.emplace_back(pick(3) ? std::string("prefix") : text(3), pick(4) ? text(6) : "");
        c.query(std::move(query));
        if (pick(2))
            c.headers({{"x-amz-meta-k" + std::to_string(i), " " + text(4) + "  v "}});
        if (pick(2))
            c.with_body(text(20));
        if (pick(4) == 0)
            c.unsigned_hash();
        if (pick(3) == 0)
            c.token("token/" + std::to_string(i) + "+=");
        c.time(sys_days{2020y / January / 1} + seconds(pick(200'000'000)));
        cases.push_back(std::move(c));
    }
    return cases;
}

std::string payload_hash(const signing_case& c) {
    return c.unsigned_body ? std::string(unsigned_payload) : sha256_hex(c.body);
}

json to_json(const signing_case& c) {
    json query = json::array(), headers = json::array();
    for (const auto& [name, value] : c.request.query)
        query.push_back({name, value});
    for (const auto& [name, value] : c.request.headers)
        headers.push_back({name, value});
    return {{"id", c.id},
            {"method", c.request.method},
            {"scheme", c.request.scheme},
            {"host", c.request.host},
            {"port", c.request.port},
            {"path", c.request.path},
            {"query", query},
            {"headers", headers},
            {"body", c.body},
            {"unsigned_payload", c.unsigned_body},
            {"access_key", c.credentials.access_key_id},
            {"secret_key", c.credentials.secret_access_key},
            {"session_token",
             c.credentials.session_token ? json(*c.credentials.session_token) : json(nullptr)},
            {"region", c.region},
            {"service", "s3"},
            {"timestamp", sigv4_timestamp(c.when)}};
}

std::string header(const sigv4_result& result, std::string_view name) {
    for (const auto& [n, v] : result.headers)
        if (n == name)
            return v;
    return {};
}

bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci && *ci && std::string_view(ci) != "false" && std::string_view(ci) != "0";
}

// An interpreter that can import botocore, or the reason there is none.
std::optional<std::string> find_python(std::string& why_not) {
    std::vector<std::string> candidates;
    if (const char* chosen = std::getenv("GRIN_PYTHON"); chosen && *chosen)
        candidates.push_back(chosen);
    else
        candidates = {"python3.11", "python3"};
    for (const auto& python : candidates) {
        if (!grin::test::have_program(python)) {
            why_not += python + " not found; ";
            continue;
        }
        auto probe = grin::test::run_command(python + " -c 'import botocore.auth'",
                                             std::chrono::seconds(60));
        if (probe.exit_code == 0)
            return python;
        why_not += python + " cannot import botocore (" + probe.output.substr(0, 200) + "); ";
    }
    return std::nullopt;
}

TEST(sigv4_botocore, agrees_with_botocore_on_every_case) {
    std::string why_not;
    auto python = find_python(why_not);
    if (!python) {
        if (in_ci())
            FAIL() << "CI requires botocore for the SigV4 differential test: " << why_not;
        GTEST_SKIP() << "botocore unavailable, SigV4 not compared with it: " << why_not;
    }

    auto cases = hand_picked_cases();
    for (auto& c : generated_cases(30))
        cases.push_back(std::move(c));
    ASSERT_GE(cases.size(), 60u);

    json input = {{"cases", json::array()}};
    for (const auto& c : cases)
        input["cases"].push_back(to_json(c));
    grin::test::temp_dir dir;
    {
        std::ofstream out(dir / "cases.json", std::ios::binary);
        out << input.dump();
    }
    std::filesystem::path script = GRIN_SIGV4_BOTOCORE_SCRIPT;
    ASSERT_TRUE(std::filesystem::exists(script)) << script;
    auto run = grin::test::run_command(*python + " " + script.string() + " < " +
                                           (dir / "cases.json").string() + " > " +
                                           (dir / "results.json").string(),
                                       std::chrono::seconds(90));
    ASSERT_EQ(run.exit_code, 0) << run.output;
    std::ifstream in(dir / "results.json", std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    json output = json::parse(text.str());
    const auto& results = output.at("results");
    ASSERT_EQ(results.size(), cases.size());

    std::size_t compared = 0;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const auto& c = cases[i];
        const auto& theirs = results[i];
        SCOPED_TRACE(c.id);
        ASSERT_EQ(theirs.at("id").get<std::string>(), c.id);
        auto request = c.request;
        request.payload_hash = payload_hash(c);
        auto ours = sign_sigv4(request, c.credentials, c.region, "s3", c.when);

        EXPECT_EQ(ours.canonical_request, theirs.at("canonical_request").get<std::string>());
        EXPECT_EQ(ours.string_to_sign, theirs.at("string_to_sign").get<std::string>());
        EXPECT_EQ(header(ours, "Authorization"), theirs.at("authorization").get<std::string>());
        EXPECT_EQ(header(ours, "x-amz-date"), theirs.at("x_amz_date").get<std::string>());
        EXPECT_EQ(header(ours, "x-amz-content-sha256"),
                  theirs.at("x_amz_content_sha256").get<std::string>());
        const auto& token = theirs.at("x_amz_security_token");
        EXPECT_EQ(header(ours, "x-amz-security-token"),
                  token.is_null() ? std::string{} : token.get<std::string>());
        // The path we send is the one botocore's serializer would put into the URL.
        auto target_path = ours.target.substr(0, ours.target.find('?'));
        EXPECT_EQ(target_path, theirs.at("path").get<std::string>());
        ++compared;
    }
    EXPECT_EQ(compared, cases.size());
    std::cout << "[ botocore ] " << compared << " requests compared with botocore "
              << output.value("botocore_version", "?") << " (" << *python << ")\n";
}

} // namespace
