// SigV4 against the S3 examples of the AWS documentation ("Signature Calculations for the
// Authorization Header: Transferring Payload in a Single Chunk", section "Examples:
// Signature Calculations"), plus the S3 canonicalisation rules one by one.
// sigv4_botocore_test.cpp compares with botocore over many more requests.
#include <grin/core/error.hpp>
#include <grin/storage/sigv4.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace {
using namespace grin::storage;
using namespace std::chrono;

const aws_credentials example_credentials{"AKIAIOSFODNN7EXAMPLE",
                                          "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
const grin::system_time example_time = sys_days{2013y / May / 24};
constexpr std::string_view example_host = "examplebucket.s3.amazonaws.com";

sigv4_request example_request(std::string method, std::string path) {
    sigv4_request request;
    request.method = std::move(method);
    request.host = std::string(example_host);
    request.path = std::move(path);
    return request;
}

std::string header(const sigv4_result& result, std::string_view name) {
    for (const auto& [n, v] : result.headers)
        if (n == name)
            return v;
    return "<missing " + std::string(name) + ">";
}

std::string authorization(std::string_view signed_headers, std::string_view signature) {
    return "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
           "aws4_request, SignedHeaders=" +
           std::string(signed_headers) + ", Signature=" + std::string(signature);
}

TEST(sigv4_aws_examples, get_object_with_range) {
    auto request = example_request("GET", "/test.txt");
    request.headers = {{"Range", "bytes=0-9"}};
    auto result = sign_sigv4(request, example_credentials, "us-east-1", "s3", example_time);
    EXPECT_EQ(result.canonical_request,
              "GET\n/test.txt\n\n"
              "host:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
              "x-amz-content-sha256:"
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
              "x-amz-date:20130524T000000Z\n\n"
              "host;range;x-amz-content-sha256;x-amz-date\n"
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(result.string_to_sign,
              "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
              "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    EXPECT_EQ(result.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    EXPECT_EQ(header(result, "Authorization"),
              authorization("host;range;x-amz-content-sha256;x-amz-date",
                            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
    EXPECT_EQ(header(result, "x-amz-date"), "20130524T000000Z");
    EXPECT_EQ(header(result, "x-amz-content-sha256"), empty_payload_sha256);
    EXPECT_EQ(result.host, example_host);
    EXPECT_EQ(result.target, "/test.txt");
    EXPECT_EQ(result.headers.size(), 3u); // no x-amz-security-token without a session token
}

TEST(sigv4_aws_examples, put_object) {
    auto request = example_request("PUT", "/test$file.text");
    request.headers = {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                       {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
    request.payload_hash = sha256_hex("Welcome to Amazon S3.");
    auto result = sign_sigv4(request, example_credentials, "us-east-1", "s3", example_time);
    EXPECT_EQ(result.canonical_request,
              "PUT\n/test%24file.text\n\n"
              "date:Fri, 24 May 2013 00:00:00 GMT\n"
              "host:examplebucket.s3.amazonaws.com\n"
              "x-amz-content-sha256:"
              "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
              "x-amz-date:20130524T000000Z\n"
              "x-amz-storage-class:REDUCED_REDUNDANCY\n\n"
              "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
              "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    EXPECT_EQ(result.string_to_sign,
              "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
              "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
    EXPECT_EQ(header(result, "Authorization"),
              authorization("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"));
    EXPECT_EQ(header(result, "x-amz-content-sha256"),
              "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    EXPECT_EQ(result.target, "/test%24file.text");
}

TEST(sigv4_aws_examples, get_bucket_lifecycle) {
    auto request = example_request("GET", "/");
    request.query = {{"lifecycle", ""}};
    auto result = sign_sigv4(request, example_credentials, "us-east-1", "s3", example_time);
    EXPECT_EQ(result.canonical_request,
              "GET\n/\nlifecycle=\n"
              "host:examplebucket.s3.amazonaws.com\n"
              "x-amz-content-sha256:"
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
              "x-amz-date:20130524T000000Z\n\n"
              "host;x-amz-content-sha256;x-amz-date\n"
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(result.string_to_sign,
              "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
              "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
    EXPECT_EQ(header(result, "Authorization"),
              authorization("host;x-amz-content-sha256;x-amz-date",
                            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"));
    EXPECT_EQ(result.target, "/?lifecycle=");
}

TEST(sigv4_aws_examples, list_objects_max_keys_and_prefix) {
    auto request = example_request("GET", "/");
    request.query = {{"prefix", "J"}, {"max-keys", "2"}}; // out of order on purpose
    auto result = sign_sigv4(request, example_credentials, "us-east-1", "s3", example_time);
    EXPECT_EQ(result.canonical_request,
              "GET\n/\nmax-keys=2&prefix=J\n"
              "host:examplebucket.s3.amazonaws.com\n"
              "x-amz-content-sha256:"
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
              "x-amz-date:20130524T000000Z\n\n"
              "host;x-amz-content-sha256;x-amz-date\n"
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(result.string_to_sign,
              "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
              "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
    EXPECT_EQ(header(result, "Authorization"),
              authorization("host;x-amz-content-sha256;x-amz-date",
                            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
    EXPECT_EQ(result.target, "/?max-keys=2&prefix=J");
}

TEST(sigv4_aws_examples, signing_key_derivation) {
    // The key derivation example of the general SigV4 documentation (IAM, 2012-02-15).
    auto key = sigv4_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215",
                                 "us-east-1", "iam");
    EXPECT_EQ(hex_lower(as_chars(key)),
              "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(sigv4, canonical_uri_encodes_each_byte_once) {
    EXPECT_EQ(sigv4_canonical_uri("/"), "/");
    EXPECT_EQ(sigv4_canonical_uri("/bucket/run1/B1.tar.gz"), "/bucket/run1/B1.tar.gz");
    EXPECT_EQ(sigv4_canonical_uri("/b/a b+c=d*e"), "/b/a%20b%2Bc%3Dd%2Ae");
    EXPECT_EQ(sigv4_canonical_uri("/b/A-Z_a.z~0-9"), "/b/A-Z_a.z~0-9");
    EXPECT_EQ(sigv4_canonical_uri("/b/!'()$&,;:@#?[]"),
              "/b/%21%27%28%29%24%26%2C%3B%3A%40%23%3F%5B%5D");
    // An already-encoded-looking key is a key with '%' in it: encoded once more, as S3
    // expects (it does not double-encode the canonical URI itself).
    EXPECT_EQ(sigv4_canonical_uri("/b/100%/a%20b"), "/b/100%25/a%2520b");
    // UTF-8 bytes one by one, upper-case hex.
    EXPECT_EQ(sigv4_canonical_uri("/b/dir/\xc3\xbc \xc3\xb1/\xe6\x97\xa5\xe6\x9c\xac.txt"),
              "/b/dir/%C3%BC%20%C3%B1/%E6%97%A5%E6%9C%AC.txt");
    // No normalisation: these are S3 keys, not file paths.
    EXPECT_EQ(sigv4_canonical_uri("/b//a/./c/../d/"), "/b//a/./c/../d/");
    EXPECT_THROW(sigv4_canonical_uri(""), grin::error);
    EXPECT_THROW(sigv4_canonical_uri("b/key"), grin::error);
}

TEST(sigv4, canonical_query_encodes_slash_and_sorts_encoded_pairs) {
    EXPECT_EQ(sigv4_canonical_query({}), "");
    EXPECT_EQ(sigv4_canonical_query({{"uploads", ""}}), "uploads=");
    EXPECT_EQ(
        sigv4_canonical_query({{"prefix", "dir/sub/"}, {"list-type", "2"}, {"delimiter", "/"}}),
        "delimiter=%2F&list-type=2&prefix=dir%2Fsub%2F");
    EXPECT_EQ(sigv4_canonical_query({{"uploadId", "a+b=c/d"}, {"partNumber", "3"}}),
              "partNumber=3&uploadId=a%2Bb%3Dc%2Fd");
    // Repeated names sort by value; sorting is on the encoded form (byte order: upper
    // case before lower case, '%' before letters).
    EXPECT_EQ(sigv4_canonical_query({{"a", "2"}, {"a", "1"}, {"B", "x"}, {"a b", ""}}),
              "B=x&a=1&a=2&a%20b=");
    EXPECT_EQ(sigv4_canonical_query({{"prefix", "\xe6\x97\xa5 ~"}}), "prefix=%E6%97%A5%20~");
    EXPECT_THROW(sigv4_canonical_query({{"", "x"}}), grin::error);
}

TEST(sigv4, host_value_omits_default_ports) {
    EXPECT_EQ(sigv4_host("https", "s3.amazonaws.com", 0), "s3.amazonaws.com");
    EXPECT_EQ(sigv4_host("https", "s3.amazonaws.com", 443), "s3.amazonaws.com");
    EXPECT_EQ(sigv4_host("http", "127.0.0.1", 80), "127.0.0.1");
    EXPECT_EQ(sigv4_host("http", "127.0.0.1", 5000), "127.0.0.1:5000");
    EXPECT_EQ(sigv4_host("https", "minio", 80), "minio:80");
    EXPECT_EQ(sigv4_host("http", "::1", 9000), "[::1]:9000");
    EXPECT_EQ(sigv4_host("https", "::1", 443), "[::1]");
}

TEST(sigv4, timestamp_is_utc_and_truncated_to_seconds) {
    EXPECT_EQ(sigv4_timestamp(example_time), "20130524T000000Z");
    EXPECT_EQ(sigv4_timestamp(sys_days{2024y / February / 29} + 23h + 59min + 59s + 999ms),
              "20240229T235959Z");
    EXPECT_EQ(sigv4_timestamp(sys_days{1999y / December / 31} + 1s), "19991231T000001Z");
}

TEST(sigv4, headers_are_lowered_trimmed_collapsed_and_sorted) {
    auto request = example_request("PUT", "/b/k");
    request.headers = {{"X-Amz-Meta-Barcode", "  B1   and\t\tB2  "},
                       {"Content-Type", "application/octet-stream"},
                       {"x-amz-meta-multi", "one"},
                       {"User-Agent", "grin-sync/0.1"}, // sent, not signed
                       {"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="},
                       {"X-AMZ-META-MULTI", " two "},
                       {"x-amz-meta-empty", "   "}};
    auto result = sign_sigv4(request, example_credentials, "us-east-1", "s3", example_time);
    EXPECT_EQ(result.signed_headers,
              "content-md5;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-barcode;"
              "x-amz-meta-empty;x-amz-meta-multi");
    EXPECT_NE(result.canonical_request.find("\nx-amz-meta-barcode:B1 and B2\n"), std::string::npos)
        << result.canonical_request;
    EXPECT_NE(result.canonical_request.find("\nx-amz-meta-multi:one,two\n"), std::string::npos);
    EXPECT_NE(result.canonical_request.find("\nx-amz-meta-empty:\n"), std::string::npos);
    EXPECT_EQ(result.canonical_request.find("user-agent"), std::string::npos);
}

TEST(sigv4, session_token_is_sent_and_signed) {
    auto credentials = example_credentials;
    credentials.session_token = "FQoGZXIvYXdzEXAMPLE//token+=";
    auto result =
        sign_sigv4(example_request("GET", "/b/k"), credentials, "us-east-1", "s3", example_time);
    EXPECT_EQ(header(result, "x-amz-security-token"), "FQoGZXIvYXdzEXAMPLE//token+=");
    EXPECT_EQ(result.signed_headers, "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
    EXPECT_NE(
        result.canonical_request.find("\nx-amz-security-token:FQoGZXIvYXdzEXAMPLE//token+=\n"),
        std::string::npos);
}

TEST(sigv4, unsigned_payload_goes_into_header_and_canonical_request) {
    auto request = example_request("PUT", "/b/k");
    request.payload_hash = std::string(unsigned_payload);
    auto result = sign_sigv4(request, example_credentials, "us-east-1", "s3", example_time);
    EXPECT_EQ(header(result, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
    EXPECT_TRUE(result.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
}

TEST(sigv4, target_and_host_for_path_style_with_port) {
    sigv4_request request;
    request.method = "PUT";
    request.scheme = "http";
    request.host = "127.0.0.1";
    request.port = 5000;
    request.path = "/bucket/dir/a b+c.txt";
    request.query = {{"uploadId", "x/y+z="}, {"partNumber", "1"}};
    auto result = sign_sigv4(request, example_credentials, "us-east-1", "s3", example_time);
    EXPECT_EQ(result.host, "127.0.0.1:5000");
    EXPECT_EQ(result.target, "/bucket/dir/a%20b%2Bc.txt?partNumber=1&uploadId=x%2Fy%2Bz%3D");
    EXPECT_NE(result.canonical_request.find("\nhost:127.0.0.1:5000\n"), std::string::npos);
}

TEST(sigv4, every_input_changes_the_signature) {
    auto base = example_request("GET", "/b/k");
    auto signature = [](const sigv4_request& r, const aws_credentials& c = example_credentials,
                        std::string_view region = "us-east-1",
                        grin::system_time when = example_time) {
        return sign_sigv4(r, c, region, "s3", when).signature;
    };
    std::string reference = signature(base);
    auto changed = base;
    changed.method = "HEAD";
    EXPECT_NE(signature(changed), reference);
    changed = base;
    changed.path = "/b/K";
    EXPECT_NE(signature(changed), reference);
    changed = base;
    changed.query = {{"x", ""}};
    EXPECT_NE(signature(changed), reference);
    changed = base;
    changed.port = 8443;
    EXPECT_NE(signature(changed), reference);
    changed = base;
    changed.headers = {{"range", "bytes=0-1"}};
    EXPECT_NE(signature(changed), reference);
    changed = base;
    changed.payload_hash = sha256_hex("x");
    EXPECT_NE(signature(changed), reference);
    auto other_secret = example_credentials;
    other_secret.secret_access_key += "x";
    EXPECT_NE(signature(base, other_secret), reference);
    EXPECT_NE(signature(base, example_credentials, "eu-west-1"), reference);
    EXPECT_NE(signature(base, example_credentials, "us-east-1", example_time + 1s), reference);
    EXPECT_EQ(signature(base, example_credentials, "us-east-1", example_time + 999ms), reference);
}

TEST(sigv4, rejects_input_that_cannot_be_signed_safely) {
    auto expect_rejected = [](const sigv4_request& request,
                              const aws_credentials& credentials = example_credentials,
                              std::string_view region = "us-east-1") {
        try {
            sign_sigv4(request, credentials, region, "s3", example_time);
            ADD_FAILURE() << "accepted";
        } catch (const grin::error& e) {
            EXPECT_EQ(e.context().step, "storage");
            // Never the secret in a message.
            if (!credentials.secret_access_key.empty())
                EXPECT_EQ(std::string(e.what()).find(credentials.secret_access_key),
                          std::string::npos);
        }
    };
    auto base = example_request("GET", "/b/k");
    auto r = base;
    r.headers = {{"x-amz-meta-a", "v\r\nInjected: yes"}};
    expect_rejected(r);
    r.headers = {{"x-amz-meta-a", std::string("v\0w", 3)}};
    expect_rejected(r);
    r.headers = {{"bad name", "v"}};
    expect_rejected(r);
    r.headers = {{"", "v"}};
    expect_rejected(r);
    for (const char* owned :
         {"Host", "authorization", "X-Amz-Date", "x-amz-content-sha256", "x-amz-security-token"}) {
        r.headers = {{owned, "v"}};
        expect_rejected(r);
    }
    r = base;
    r.payload_hash = "ABC";
    expect_rejected(r);
    r.payload_hash = std::string(64, 'A'); // upper-case hex is not what S3 compares with
    expect_rejected(r);
    r = base;
    r.method = "get";
    expect_rejected(r);
    r.method = "";
    expect_rejected(r);
    r = base;
    r.path = "b/k";
    expect_rejected(r);
    r = base;
    r.scheme = "HTTPS";
    expect_rejected(r);
    r = base;
    r.host = "";
    expect_rejected(r);
    r.host = "evil.com/x";
    expect_rejected(r);
    r = base;
    r.query = {{"", "v"}};
    expect_rejected(r);
    expect_rejected(base, aws_credentials{"", "secret-1"});
    expect_rejected(base, aws_credentials{"AKID", ""});
    expect_rejected(base, aws_credentials{"AK/ID", "secret-2"});
    expect_rejected(base, aws_credentials{"AKID", "secret-3", std::string("tok\nen")});
    expect_rejected(base, example_credentials, "US-EAST-1");
    expect_rejected(base, example_credentials, "");
}

TEST(sigv4, signer_caches_the_key_per_day_and_secret) {
    sigv4_signer signer("us-east-1");
    auto request = example_request("GET", "/test.txt");
    request.headers = {{"Range", "bytes=0-9"}};
    auto first = signer.sign(request, example_credentials, example_time);
    EXPECT_EQ(first.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    EXPECT_EQ(signer.keys_derived(), 1u);
    signer.sign(request, example_credentials, example_time + 23h);
    EXPECT_EQ(signer.keys_derived(), 1u);
    auto next_day = signer.sign(request, example_credentials, example_time + 24h);
    EXPECT_EQ(signer.keys_derived(), 2u);
    EXPECT_EQ(
        next_day.signature,
        sign_sigv4(request, example_credentials, "us-east-1", "s3", example_time + 24h).signature);
    auto rotated = example_credentials;
    rotated.secret_access_key = "another-secret";
    auto with_rotated = signer.sign(request, rotated, example_time + 24h);
    EXPECT_EQ(signer.keys_derived(), 3u);
    EXPECT_EQ(with_rotated.signature,
              sign_sigv4(request, rotated, "us-east-1", "s3", example_time + 24h).signature);
}

TEST(sigv4, signer_is_safe_to_share_between_threads) {
    sigv4_signer signer("us-east-1");
    auto request = example_request("GET", "/test.txt");
    request.headers = {{"Range", "bytes=0-9"}};
    std::vector<std::string> signatures(4);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < signatures.size(); ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                auto when = example_time + hours(24 * (i % 3));
                auto result = signer.sign(request, example_credentials, when);
                if (i % 3 == 0)
                    signatures[t] = result.signature;
            }
        });
    for (auto& thread : threads)
        thread.join();
    for (const auto& signature : signatures)
        EXPECT_EQ(signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

} // namespace
