// token_source and authorized_send against a real HTTPS server that plays GRIN (Bearer
// check) and the OAuth token endpoint.
#include <grin/auth/token_source.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>

#include <nlohmann/json.hpp>

#include "server_fixture.hpp"

namespace asio = boost::asio;
using namespace grin;
using namespace std::chrono_literals;

namespace {

class token_server : public test::server_fixture {
public:
    std::string valid_token = "ya29.valid-0";
    std::string refresh_token = "1//refresh-secret";
    int token_requests = 0;
    bool login_redirect_instead_of_401 = false;
    bool refuse_refresh = false;
    bool forbid = false;

    void start() {
        respond = [this](const net::server_request& request, int) { return route(request); };
        start_server();
    }

    auth::stored_credentials credentials(std::string token) const {
        return {.token = std::move(token),
                .refresh_token = refresh_token,
                .token_uri = url("/token"),
                .client_id = "client-1",
                .client_secret = "GOCSPX-client-secret",
                .scopes = auth::required_scopes()};
    }

private:
    net::server_response route(const net::server_request& request) {
        net::server_response response;
        if (request.target == "/token") {
            ++token_requests;
            if (refuse_refresh ||
                request.body.find("refresh_token=" + net::encode_query_value(refresh_token)) ==
                    std::string::npos) {
                response.status = 400;
                response.body =
                    R"({"error":"invalid_grant","error_description":"Token has been expired or revoked."})";
                return response;
            }
            valid_token = "ya29.valid-" + std::to_string(token_requests);
            response.body = nlohmann::json{
                {"access_token", valid_token},
                {"expires_in", 3599},
                {"token_type",
                 "Bearer"}}.dump();
            return response;
        }
        if (request.target == "/libraries/Lib/moved") {
            response.status = 302;
            response.headers.emplace_back("Location", "/blob/Lib/target");
            return response;
        }
        if (forbid) {
            response.status = 403;
            return response;
        }
        if (request.header("Authorization") != "Bearer " + valid_token) {
            if (login_redirect_instead_of_401) {
                response.status = 302;
                response.headers.emplace_back(
                    "Location", "https://accounts.google.com/ServiceLogin?continue=x");
            } else {
                response.status = 401;
            }
            return response;
        }
        response.body = "ok";
        return response;
    }
};

asio::awaitable<void>
fetch_ok(net::https_pool& pool, auth::token_source& tokens, std::string url, int& good) {
    net::http_request request = test::get(url);
    net::retry_policy policy{.max_attempts = 1};
    net::http_response response = co_await auth::authorized_send(pool, tokens, request, policy);
    if (response.status == 200 && response.body == "ok")
        ++good;
}

} // namespace

TEST_F(token_server, hundred_concurrent_rejections_cause_exactly_one_refresh) {
    start();
    net::https_pool pool(io.get_executor(), trusting_pool_params());
    test::temp_dir dir;
    auth::token_source tokens(pool, credentials("ya29.expired"), dir / "credentials.json");
    std::vector<int> good(100, 0);
    std::vector<asio::awaitable<void>> workers;
    for (auto& counter : good)
        workers.push_back(fetch_ok(pool, tokens, url("/libraries/Lib/_all_books"), counter));
    run_all(std::move(workers), 60s);
    for (int count : good)
        EXPECT_EQ(count, 1);
    EXPECT_EQ(token_requests, 1);
    EXPECT_EQ(tokens.refresh_count(), 1u);
    // The refreshed token was persisted for the next run.
    EXPECT_EQ(auth::load_credentials(dir / "credentials.json").token, valid_token);
}

TEST_F(token_server, login_redirect_also_triggers_a_refresh) {
    login_redirect_instead_of_401 = true;
    start();
    net::https_pool pool(io.get_executor(), trusting_pool_params());
    auth::token_source tokens(pool, credentials("ya29.stale"), {});
    int good = 0;
    run(fetch_ok(pool, tokens, url("/libraries/Lib/"), good));
    EXPECT_EQ(good, 1);
    EXPECT_EQ(token_requests, 1);
}

TEST_F(token_server, invalid_grant_is_fatal_and_says_how_to_recover) {
    refuse_refresh = true;
    start();
    net::https_pool pool(io.get_executor(), trusting_pool_params());
    auth::token_source tokens(pool, credentials("ya29.stale"), {});
    int good = 0;
    try {
        run(fetch_ok(pool, tokens, url("/libraries/Lib/"), good));
        FAIL() << "expected grin::fatal";
    } catch (const grin::fatal& failure) {
        EXPECT_NE(std::string(failure.what()).find("invalid_grant"), std::string::npos);
        EXPECT_NE(std::string(failure.what()).find("grin auth setup"), std::string::npos);
    }
}

TEST_F(token_server, forbidden_library_is_a_clear_permission_error) {
    forbid = true;
    start();
    net::https_pool pool(io.get_executor(), trusting_pool_params());
    auth::token_source tokens(pool, credentials(valid_token), {});
    int good = 0;
    try {
        run(fetch_ok(pool, tokens, url("/libraries/Secret/"), good));
        FAIL() << "expected grin::error";
    } catch (const grin::error& failure) {
        EXPECT_EQ(failure.context().http_status, 403);
        EXPECT_NE(std::string(failure.what()).find("denied"), std::string::npos);
    }
}

TEST_F(token_server, tokens_never_reach_the_log) {
    start();
    std::vector<std::string> lines;
    auto previous =
        log::set_sink([&lines](log::level, std::string_view line) { lines.emplace_back(line); });
    auto before = log::current_level();
    log::set_level(log::level::debug);
    net::https_pool pool(io.get_executor(), trusting_pool_params());
    auth::token_source tokens(pool, credentials("ya29.expired-token"), {});
    int good = 0;
    run(fetch_ok(pool, tokens, url("/libraries/Lib/"), good));
    log::write(log::level::info, "Authorization: Bearer " + valid_token);
    log::set_level(before);
    log::set_sink(previous);
    EXPECT_EQ(good, 1);
    ASSERT_FALSE(lines.empty());
    for (const auto& line : lines) {
        EXPECT_EQ(line.find(valid_token), std::string::npos) << line;
        EXPECT_EQ(line.find(refresh_token), std::string::npos) << line;
        EXPECT_EQ(line.find("GOCSPX-client-secret"), std::string::npos) << line;
    }
}

TEST_F(token_server, redirects_are_followed_with_the_token_on_the_same_origin) {
    start();
    net::https_pool pool(io.get_executor(), trusting_pool_params());
    auth::token_source tokens(pool, credentials(valid_token), {});
    int good = 0;
    run(fetch_ok(pool, tokens, url("/libraries/Lib/moved"), good));
    EXPECT_EQ(good, 1);
    EXPECT_EQ(requests_seen, 2);
    EXPECT_EQ(token_requests, 0);
}
