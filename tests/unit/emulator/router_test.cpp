#include <grin/core/atomic_file.hpp>
#include <grin/core/error.hpp>
#include <grin/emulator/archive_cache.hpp>
#include <grin/emulator/credentials_writer.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdio>
#include <test_support.hpp>
#include <thread>

#include "emulator_test_support.hpp"

using namespace grin::emulator;
using namespace grin::emulator::test;

namespace {

// Writes "<barcode>-v<version>" files; counts calls.
class fake_archives : public archive_source {
public:
    explicit fake_archives(std::filesystem::path dir) : dir_(std::move(dir)) {}
    archive_file get(const book& b, std::uint32_t version, archive_defect defect) override {
        ++calls;
        auto content = b.barcode + "-v" + std::to_string(version) +
                       (defect == archive_defect::none ? "" : "-" + std::string(to_string(defect)));
        auto path = dir_ / (content + ".gpg");
        grin::write_file_atomically(path, content);
        // Content-derived, like the real MD5: different bytes, different ETag.
        std::uint64_t h = 0xCBF29CE484222325ULL;
        for (unsigned char c : content) {
            h = (h ^ c) * 0x100000001B3ULL;
        }
        char etag[40];
        std::snprintf(etag, sizeof etag, "%016llx%016llx", static_cast<unsigned long long>(h),
                      static_cast<unsigned long long>(~h));
        return {path, content.size(), etag};
    }
    std::atomic<int> calls{0};

private:
    std::filesystem::path dir_;
};

std::string first_converted(router& r) {
    auto* lib = r.library("Harvard");
    for (std::uint64_t i = 0; i < lib->size(); ++i) {
        if (lib->books().is_converted(i)) {
            return lib->books().barcode_at(i);
        }
    }
    return {};
}

std::string first_unconverted(router& r) {
    auto* lib = r.library("Harvard");
    for (std::uint64_t i = 0; i < lib->size(); ++i) {
        if (!lib->books().is_converted(i)) {
            return lib->books().barcode_at(i);
        }
    }
    return {};
}

} // namespace

TEST(router_auth, missing_unknown_and_expired_tokens) {
    harness h(small_params(10));
    EXPECT_EQ(h.get("/libraries/Harvard/_all_books").status, 200);
    auto none = h.send("GET", "/libraries/Harvard/_all_books", {}, false);
    EXPECT_EQ(none.status, 401);
    EXPECT_NE(none.header("WWW-Authenticate"), nullptr);
    request bad{
        "GET", "/libraries/Harvard/_all_books", {{"Authorization", "Bearer ya29.nope"}}, {}};
    EXPECT_EQ(h.r.handle(bad).status, 401);
    h.clock.advance(std::chrono::seconds(3598));
    EXPECT_EQ(h.get("/libraries/Harvard/_all_books").status, 200);
    h.clock.advance(std::chrono::seconds(2));
    EXPECT_EQ(h.get("/libraries/Harvard/_all_books").status, 401);
}

TEST(router_auth, login_redirect_mode) {
    auto p = small_params(10);
    p.login_redirect = true;
    harness h(p);
    auto r = h.send("GET", "/libraries/Harvard/_in_process?format=text", {}, false);
    EXPECT_EQ(r.status, 302);
    ASSERT_NE(r.header("Location"), nullptr);
    EXPECT_EQ(
        r.header("Location")
            ->rfind("https://accounts.google.com/ServiceLogin?continue=https%3A%2F%2F127.0.0.1", 0),
        0u);
}

TEST(router_auth, token_endpoint_grants) {
    harness h(small_params(10));
    const auto& c = h.r.tokens().client();
    auto form = "grant_type=refresh_token&client_id=" + c.client_id +
                "&client_secret=" + c.client_secret +
                "&refresh_token=" + "1%2F%2Femulator-refresh-token" + "&scope=openid+x";
    auto ok = h.send("POST", "/token", form, false);
    ASSERT_EQ(ok.status, 200);
    auto json = nlohmann::json::parse(ok.body);
    EXPECT_EQ(json["token_type"], "Bearer");
    EXPECT_EQ(json["expires_in"], 3599);
    EXPECT_FALSE(json.contains("refresh_token"));
    // The new token works; the refresh is counted.
    request req{"GET",
                "/libraries/Harvard/_failed",
                {{"Authorization", "Bearer " + json["access_token"].get<std::string>()}},
                {}};
    EXPECT_EQ(h.r.handle(req).status, 200);
    EXPECT_EQ(h.r.tokens().refreshes(), 1u);

    auto revoked = h.send("POST", "/token",
                          "grant_type=refresh_token&client_id=" + c.client_id +
                              "&client_secret=" + c.client_secret + "&refresh_token=old",
                          false);
    EXPECT_EQ(revoked.status, 400);
    EXPECT_EQ(nlohmann::json::parse(revoked.body)["error"], "invalid_grant");
    auto wrong_client =
        h.send("POST", "/token", "grant_type=refresh_token&client_id=x&client_secret=y", false);
    EXPECT_EQ(wrong_client.status, 401);
    auto code =
        h.send("POST", "/token",
               "grant_type=authorization_code&code=4%2Femulator-authorization-code&client_id=" +
                   c.client_id + "&client_secret=" + c.client_secret +
                   "&redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob",
               false);
    ASSERT_EQ(code.status, 200);
    EXPECT_EQ(nlohmann::json::parse(code.body)["refresh_token"], c.refresh_token);
    EXPECT_EQ(h.send("POST", "/token", "grant_type=password", false).status, 400);
    EXPECT_EQ(h.send("GET", "/token", "", false).status, 405);
}

TEST(router_auth, expire_all_and_lifetime_controls) {
    harness h(small_params(10));
    EXPECT_EQ(h.send("POST", "/_emulator/expire_tokens").status, 200);
    EXPECT_EQ(h.get("/libraries/Harvard/_all_books").status, 401);
    EXPECT_EQ(h.send("POST", "/_emulator/token_lifetime?seconds=60").status, 200);
    h.token = h.r.tokens().issue();
    EXPECT_EQ(h.get("/libraries/Harvard/_all_books").status, 200);
    h.clock.advance(std::chrono::seconds(61));
    EXPECT_EQ(h.get("/libraries/Harvard/_all_books").status, 401);
}

TEST(router_routes, unknown_library_denied_library_and_unknown_paths) {
    auto p = small_params(10);
    library_params second;
    second.catalogue.library = "Secret";
    second.catalogue.book_count = 5;
    p.libraries.push_back(second);
    p.denied_libraries = {"Secret"};
    harness h(p);
    EXPECT_EQ(h.get("/libraries/Nope/_all_books").status, 403);
    EXPECT_EQ(h.get("/libraries/Secret/_all_books").status, 403);
    EXPECT_EQ(h.get("/libraries/Harvard/_whatever").status, 404);
    EXPECT_EQ(h.get("/elsewhere").status, 404);
    EXPECT_EQ(h.get("/libraries/Harvard").status, 404);
    EXPECT_EQ(h.send("POST", "/libraries/Harvard/_all_books").status, 405);
    EXPECT_EQ(h.send("POST", "/_emulator/acl?library=Harvard&deny=1").status, 200);
    EXPECT_EQ(h.get("/libraries/Harvard/_all_books").status, 403);
    EXPECT_EQ(h.send("POST", "/_emulator/acl?library=Secret&deny=0").status, 200);
    EXPECT_EQ(h.get("/libraries/Secret/_all_books").status, 200);
    EXPECT_EQ(h.send("POST", "/_emulator/acl?library=Nope&deny=0").status, 404);
}

TEST(router_archives, head_get_etag_and_reconversion) {
    grin::test::temp_dir dir;
    auto archives = std::make_shared<fake_archives>(dir.path());
    harness h(small_params(30), archives);
    auto barcode = first_converted(h.r);
    ASSERT_FALSE(barcode.empty());
    auto head = h.send("HEAD", "/libraries/Harvard/" + barcode + ".tar.gz.gpg");
    ASSERT_EQ(head.status, 200);
    EXPECT_TRUE(head.body.empty());
    EXPECT_FALSE(head.body_file);
    std::string v0 = barcode + "-v0";
    EXPECT_EQ(*head.header("Content-Length"), std::to_string(v0.size()));
    auto etag0 = *head.header("ETag");
    EXPECT_EQ(etag0.front(), '"');
    EXPECT_EQ(etag0.back(), '"');
    EXPECT_NE(head.header("Last-Modified"), nullptr);
    auto get = h.get("/libraries/Harvard/" + barcode + ".tar.gz.gpg");
    ASSERT_EQ(get.status, 200);
    ASSERT_TRUE(get.body_file);
    EXPECT_EQ(grin::read_file(*get.body_file), v0);
    EXPECT_EQ(*get.header("ETag"), etag0);
    EXPECT_EQ(*get.header("Content-Type"), "application/octet-stream");

    EXPECT_EQ(h.get("/libraries/Harvard/" + first_unconverted(h.r) + ".tar.gz.gpg").status, 404);
    EXPECT_EQ(h.get("/libraries/Harvard/ZZZZZZ9.tar.gz.gpg").status, 404);

    EXPECT_EQ(h.send("POST", "/_emulator/reconvert?library=Harvard&barcode=" + barcode).status,
              200);
    auto after = h.get("/libraries/Harvard/" + barcode + ".tar.gz.gpg");
    EXPECT_EQ(grin::read_file(*after.body_file), barcode + "-v1");
    EXPECT_NE(*after.header("ETag"), etag0);
    EXPECT_EQ(h.send("POST", "/_emulator/reconvert?barcode=" + first_unconverted(h.r)).status, 404);
}

TEST(router_archives, redirect_to_blob_keeps_bearer_requirement) {
    grin::test::temp_dir dir;
    auto p = small_params(30);
    p.redirect_archives = true;
    harness h(p, std::make_shared<fake_archives>(dir.path()));
    auto barcode = first_converted(h.r);
    auto r = h.get("/libraries/Harvard/" + barcode + ".tar.gz.gpg");
    ASSERT_EQ(r.status, 302);
    auto location = *r.header("Location");
    const std::string origin = "https://127.0.0.1:9443";
    ASSERT_EQ(location.rfind(origin + "/blob/Harvard/" + barcode, 0), 0u);
    auto target = location.substr(origin.size());
    auto blob = h.get(target);
    EXPECT_EQ(blob.status, 200);
    EXPECT_EQ(grin::read_file(*blob.body_file), barcode + "-v0");
    EXPECT_EQ(h.send("GET", target, {}, false).status, 401);
    // HEAD is answered directly (the client only redirects downloads).
    EXPECT_EQ(h.send("HEAD", "/libraries/Harvard/" + barcode + ".tar.gz.gpg").status, 200);
}

TEST(router_archives, no_archive_source_is_503) {
    harness h(small_params(30));
    EXPECT_EQ(h.get("/libraries/Harvard/" + first_converted(h.r) + ".tar.gz.gpg").status, 503);
}

TEST(router_faults, first_n_status_then_ok) {
    grin::test::temp_dir dir;
    harness h(small_params(30), std::make_shared<fake_archives>(dir.path()));
    fault_rule rule;
    rule.on = route::archive_get;
    rule.status = 503;
    rule.first_n = 2;
    auto id = h.r.faults().add(rule);
    auto target = "/libraries/Harvard/" + first_converted(h.r) + ".tar.gz.gpg";
    EXPECT_EQ(h.send("HEAD", target).status, 200); // other route: untouched
    auto first = h.get(target);
    EXPECT_EQ(first.status, 503);
    EXPECT_EQ(*first.header("Retry-After"), "1");
    EXPECT_EQ(h.get(target).status, 503);
    EXPECT_EQ(h.get(target).status, 200);
    EXPECT_EQ(h.r.faults().fired(id), 2u);
}

TEST(router_faults, auth_style_faults) {
    harness h(small_params(10));
    h.r.faults().add(parse_fault_rule("route=in_process,status=401,first=1"));
    h.r.faults().add(parse_fault_rule("route=failed,status=302,first=1"));
    h.r.faults().add(parse_fault_rule("route=process,status=429,first=1"));
    EXPECT_EQ(h.get("/libraries/Harvard/_in_process?format=text").status, 401);
    EXPECT_EQ(h.get("/libraries/Harvard/_in_process?format=text").status, 200);
    auto login = h.get("/libraries/Harvard/_failed?result_count=-1");
    EXPECT_EQ(login.status, 302);
    EXPECT_NE(login.header("Location")->find("ServiceLogin"), std::string::npos);
    EXPECT_EQ(h.get("/libraries/Harvard/_process?barcodes=ABCDEF").status, 429);
    h.r.faults().add(parse_fault_rule("route=token,status=503,first=1"));
    EXPECT_EQ(h.send("POST", "/token", "grant_type=refresh_token", false).status, 503);
    EXPECT_EQ(h.send("POST", "/token", "grant_type=refresh_token", false).status, 401);
}

TEST(router_faults, transport_faults_are_returned_as_data) {
    grin::test::temp_dir dir;
    harness h(small_params(30), std::make_shared<fake_archives>(dir.path()));
    auto target = "/libraries/Harvard/" + first_converted(h.r) + ".tar.gz.gpg";
    h.r.faults().add(parse_fault_rule("route=archive_get,fault=truncate,after=3,first=1"));
    h.r.faults().add(parse_fault_rule("route=archive_get,fault=no_etag,first=1"));
    h.r.faults().add(
        parse_fault_rule("route=archive_get,fault=stall_mid_body,after=2,stall_ms=40000,first=1"));
    auto truncated = h.get(target);
    EXPECT_EQ(truncated.status, 200);
    EXPECT_EQ(truncated.injected, fault::truncate);
    EXPECT_EQ(truncated.fault_after_bytes, 3u);
    // A cut beyond the end is moved inside the body.
    h.r.faults().add(
        parse_fault_rule("route=archive_head,fault=reset_mid_body,after=100000,first=1"));
    auto reset = h.send("HEAD", target);
    EXPECT_EQ(reset.injected, fault::reset_mid_body);
    EXPECT_EQ(reset.fault_after_bytes, std::stoull(*reset.header("Content-Length")) / 2);
    EXPECT_NE(truncated.header("ETag"), nullptr);
    auto no_etag = h.get(target);
    EXPECT_EQ(no_etag.injected, fault::no_etag);
    EXPECT_EQ(no_etag.header("ETag"), nullptr);
    EXPECT_TRUE(no_etag.body_file);
    auto stalled = h.get(target);
    EXPECT_EQ(stalled.injected, fault::stall_mid_body);
    EXPECT_EQ(stalled.stall_for, std::chrono::milliseconds(40000));
    EXPECT_EQ(stalled.fault_after_bytes, 2u);
    auto third = h.get(target);
    EXPECT_EQ(third.injected, fault::none);
    h.r.faults().add(parse_fault_rule("route=archive_get,fault=wrong_etag,first=1"));
    auto head = h.send("HEAD", target);
    auto mismatched = h.get(target);
    EXPECT_EQ(mismatched.injected, fault::wrong_etag);
    ASSERT_NE(mismatched.header("ETag"), nullptr);
    EXPECT_NE(*mismatched.header("ETag"), *head.header("ETag"));
    EXPECT_EQ(mismatched.header("ETag")->size(), head.header("ETag")->size());
    EXPECT_EQ(*h.get(target).header("ETag"), *head.header("ETag"));
    EXPECT_NE(third.header("ETag"), nullptr);
}

TEST(router_faults, garbage_body_and_huge_headers_replace_what_is_sent) {
    grin::test::temp_dir dir;
    harness h(small_params(30), std::make_shared<fake_archives>(dir.path()));
    auto target = "/libraries/Harvard/" + first_converted(h.r) + ".tar.gz.gpg";
    h.r.faults().add(parse_fault_rule("route=archive_get,fault=garbage_body,first=1"));
    h.r.faults().add(parse_fault_rule("route=all_books,fault=garbage_body,first=1"));
    h.r.faults().add(parse_fault_rule("route=archive_head,fault=huge_headers,first=1"));
    auto junk = h.get(target);
    EXPECT_EQ(junk.status, 200);
    EXPECT_EQ(junk.injected, fault::garbage_body);
    EXPECT_FALSE(junk.body_file);
    EXPECT_EQ(*junk.header("Content-Length"), std::to_string(junk.body.size()));
    EXPECT_NE(junk.body.find('\0'), std::string::npos);
    auto page = h.get("/libraries/Harvard/_all_books?result_count=10");
    EXPECT_EQ(page.injected, fault::garbage_body);
    EXPECT_EQ(page.body.find("Next"), std::string::npos);
    auto head = h.send("HEAD", target);
    EXPECT_EQ(head.injected, fault::huge_headers);
    std::size_t header_bytes = 0;
    for (const auto& [name, value] : head.headers)
        header_bytes += name.size() + value.size();
    EXPECT_GT(header_bytes, 90u * 1024);
    EXPECT_NE(head.header("ETag"), nullptr);
    EXPECT_EQ(h.get(target).injected, fault::none);
    // latin1_body: the UTF-8 titles' U+0080..U+00FF characters become single bytes.
    auto utf8 = h.get("/libraries/Harvard/_all_books?result_count=-1");
    h.r.faults().add(parse_fault_rule("route=all_books,fault=latin1_body,first=1"));
    auto latin1 = h.get("/libraries/Harvard/_all_books?result_count=-1");
    EXPECT_EQ(latin1.injected, fault::latin1_body);
    ASSERT_NE(utf8.body.find("\xC3"), std::string::npos) << "no non-ASCII title to re-encode";
    EXPECT_EQ(latin1.body.find("\xC3"), std::string::npos);
    EXPECT_LT(latin1.body.size(), utf8.body.size());
    EXPECT_EQ(*latin1.header("Content-Length"), std::to_string(latin1.body.size()));
}

TEST(router_faults, probabilistic_faults_repeat_under_a_seed) {
    auto run = [](std::uint64_t seed) {
        harness h(small_params(10, seed));
        h.r.faults().add(parse_fault_rule("route=all_books,status=500,p=0.3"));
        std::string pattern;
        for (int i = 0; i < 64; ++i) {
            // Requests to another route in between must not change the pattern.
            if (i % 5 == 0) {
                h.get("/libraries/Harvard/_failed");
            }
            pattern +=
                h.get("/libraries/Harvard/_all_books?result_count=1").status == 500 ? 'x' : '.';
        }
        return pattern;
    };
    auto a = run(4), b = run(4), c = run(5);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    auto hits = std::count(a.begin(), a.end(), 'x');
    EXPECT_GT(hits, 5);
    EXPECT_LT(hits, 40);
}

TEST(router_faults, rule_specs) {
    auto r = parse_fault_rule(
        "route=archive_get,library=Harvard,barcode=AB12CD,fault=reset_mid_body,after=1024,first=3");
    EXPECT_EQ(r.on, route::archive_get);
    EXPECT_EQ(r.barcode, "AB12CD");
    EXPECT_EQ(r.transport, fault::reset_mid_body);
    EXPECT_EQ(r.after_bytes, 1024u);
    EXPECT_EQ(r.first_n, 3u);
    for (auto bad : {"route=nowhere,status=500,first=1", "status=500", "route=probe,first=1",
                     "status=abc,first=1", "color=red,status=500,first=1", "status=500,p=2"}) {
        EXPECT_THROW(parse_fault_rule(bad), grin::fatal) << bad;
    }
    harness h(small_params(10));
    EXPECT_EQ(h.send("POST", "/_emulator/faults", "route=probe,status=503,first=1").status, 200);
    EXPECT_EQ(h.get("/libraries/Harvard/?format=text&result_count=1").status, 503);
    EXPECT_EQ(h.send("POST", "/_emulator/faults", "bogus").status, 400);
    EXPECT_EQ(h.send("POST", "/_emulator/clear_faults").status, 200);
}

TEST(router_stats, counts_per_endpoint_and_in_flight_high_water) {
    grin::test::temp_dir dir;
    harness h(small_params(30), std::make_shared<fake_archives>(dir.path()));
    auto target = "/libraries/Harvard/" + first_converted(h.r) + ".tar.gz.gpg";
    {
        // Two downloads whose bodies are still "being sent".
        auto a = h.get(target);
        auto b = h.get(target);
        EXPECT_EQ(a.status, 200);
    }
    h.get(target);
    h.send("HEAD", target);
    h.get("/libraries/Harvard/_all_books");
    h.send("GET", "/libraries/Harvard/_all_books", {}, false);
    auto stats = h.get("/_emulator/stats");
    ASSERT_EQ(stats.status, 200);
    auto json = nlohmann::json::parse(stats.body);
    EXPECT_EQ(json["requests"]["archive_get"], 3);
    EXPECT_EQ(json["requests"]["archive_head"], 1);
    EXPECT_EQ(json["requests"]["all_books"], 2);
    EXPECT_EQ(json["max_in_flight"]["archive_get"], 2);
    EXPECT_EQ(json["statuses"]["401"], 1);
    EXPECT_EQ(json["libraries"]["Harvard"]["books"], 30);
    EXPECT_EQ(h.r.requests(route::archive_get), 3u);

    auto log = h.r.request_log();
    ASSERT_EQ(log.size(), 7u);
    EXPECT_EQ(log[3].method, "HEAD");
    EXPECT_EQ(log[3].which, route::archive_head);
    EXPECT_EQ(log[3].token, h.token);
    EXPECT_EQ(log[5].token, "");
    EXPECT_EQ(log[5].status, 401);
    EXPECT_EQ(log[6].which, route::stats);
    auto log_json = nlohmann::json::parse(h.get("/_emulator/log").body);
    ASSERT_EQ(log_json.size(), 7u); // the log request itself is logged after it is answered
    EXPECT_EQ(log_json[4]["target"], "/libraries/Harvard/_all_books");
    EXPECT_EQ(log_json[4]["route"], "all_books");
}

TEST(router_control, queue_cap_control) {
    harness h(small_params(60));
    EXPECT_EQ(h.send("POST", "/_emulator/queue_cap?library=Harvard&value=0").status, 200);
    EXPECT_EQ(h.get("/libraries/Harvard/_process?barcodes=" + first_unconverted(h.r)).status, 429);
    EXPECT_EQ(h.send("POST", "/_emulator/queue_cap?library=Harvard&value=x").status, 400);
    EXPECT_EQ(h.get("/_emulator/advance").status, 405);
    EXPECT_EQ(h.send("POST", "/_emulator/nothing").status, 404);
}

TEST(router_threads, concurrent_requests_are_counted_exactly) {
    grin::test::temp_dir dir;
    harness h(small_params(50), std::make_shared<fake_archives>(dir.path()));
    h.r.faults().add(parse_fault_rule("route=all_books,status=503,p=0.5"));
    auto archive = "/libraries/Harvard/" + first_converted(h.r) + ".tar.gz.gpg";
    auto requestable = first_unconverted(h.r);
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                auto r = h.get(i % 2 ? archive
                                     : "/libraries/Harvard/_all_books?result_count=5&first=" +
                                           std::to_string(i));
                if (r.status != 200 && r.status != 503) {
                    ++errors;
                }
                if (t == 0 && i == 10) {
                    h.get("/libraries/Harvard/_process?barcodes=" + requestable);
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(h.r.requests(route::archive_get), 100u);
    EXPECT_EQ(h.r.requests(route::all_books), 100u);
    EXPECT_EQ(h.r.request_log().size(), 201u);
    auto stats = nlohmann::json::parse(h.r.stats_json());
    EXPECT_EQ(stats["statuses"]["200"].get<int>() + stats["statuses"]["503"].get<int>(), 201);
    EXPECT_EQ(stats["faults_injected"], stats["statuses"]["503"]);
}

TEST(router_archives, real_archive_cache_behind_the_router) {
    if (!grin::test::have_program("gpg")) {
        GTEST_SKIP() << "gpg not installed";
    }
    grin::test::temp_dir dir;
    archive_cache_params ap;
    ap.data_dir = dir.path();
    ap.seed = 9;
    ap.passphrase = default_passphrase(9);
    ap.s2k_count = min_s2k_count;
    ap.image_bytes_per_page = 512;
    auto cache = std::make_shared<archive_cache>(ap);
    harness h(small_params(30), cache);
    auto target = "/libraries/Harvard/" + first_converted(h.r) + ".tar.gz.gpg";
    auto head = h.send("HEAD", target);
    auto get = h.get(target);
    ASSERT_EQ(get.status, 200);
    EXPECT_EQ(*head.header("ETag"), *get.header("ETag"));
    EXPECT_EQ(*get.header("Content-Length"),
              std::to_string(std::filesystem::file_size(*get.body_file)));
    auto md5 = grin::test::run_command("md5sum '" + get.body_file->string() + "'");
    EXPECT_EQ("\"" + md5.output.substr(0, 32) + "\"", *get.header("ETag"));
    EXPECT_EQ(cache->gpg_runs(), 1u);
    h.send("POST", "/_emulator/reconvert?barcode=" + first_converted(h.r));
    auto after = h.get(target);
    EXPECT_NE(*after.header("ETag"), *get.header("ETag"));
    EXPECT_EQ(cache->gpg_runs(), 2u);
}

TEST(router_archives, defect_control_serves_a_broken_archive_with_a_new_etag) {
    grin::test::temp_dir dir;
    harness h(small_params(30), std::make_shared<fake_archives>(dir.path()));
    auto barcode = first_converted(h.r);
    auto target = "/libraries/Harvard/" + barcode + ".tar.gz.gpg";
    auto good = h.get(target);
    EXPECT_EQ(
        h.send("POST", "/_emulator/defect?barcode=" + barcode + "&kind=truncated_gzip").status,
        200);
    auto bad = h.get(target);
    EXPECT_EQ(grin::read_file(*bad.body_file), barcode + "-v0-truncated_gzip");
    EXPECT_NE(*bad.header("ETag"), *good.header("ETag"));
    EXPECT_EQ(h.send("POST", "/_emulator/defect?barcode=" + barcode + "&kind=bogus").status, 400);
    EXPECT_EQ(h.send("POST", "/_emulator/defect?barcode=NOPE99&kind=empty").status, 404);
    EXPECT_EQ(h.send("POST", "/_emulator/defect?barcode=" + barcode + "&kind=none").status, 200);
    EXPECT_EQ(*h.get(target).header("ETag"), *good.header("ETag"));
}
