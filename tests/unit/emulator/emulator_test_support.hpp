#pragma once
// Shared fixture pieces for the emulator tests: a settable clock, a router with a
// token, and request helpers.
#include <grin/emulator/router.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace grin::emulator::test {

struct manual_clock {
    std::shared_ptr<std::chrono::system_clock::time_point> now =
        std::make_shared<std::chrono::system_clock::time_point>(
            std::chrono::sys_days{std::chrono::year{2026} / 1 / 15} + std::chrono::hours{12});
    clock_fn fn() const {
        auto p = now;
        return [p] { return *p; };
    }
    void advance(std::chrono::seconds by) { *now += by; }
};

inline router_params small_params(std::uint64_t books, std::uint64_t seed = 9) {
    router_params p;
    p.seed = seed;
    p.libraries.at(0).catalogue.seed = seed;
    p.libraries.at(0).catalogue.library = "Harvard";
    p.libraries.at(0).catalogue.book_count = books;
    p.libraries.at(0).catalogue.converted_fraction = 0.4;
    p.libraries.at(0).catalogue.failed_fraction = 0.2;
    p.public_origin = "https://127.0.0.1:9443";
    return p;
}

struct harness {
    manual_clock clock;
    router r;
    std::string token;

    explicit harness(router_params p, std::shared_ptr<archive_source> archives = nullptr)
        : r(std::move(p), std::move(archives), clock.fn()), token(r.tokens().issue()) {}

    response send(std::string method, std::string target, std::string body = {}, bool auth = true) {
        request req;
        req.method = std::move(method);
        req.target = std::move(target);
        req.body = std::move(body);
        req.headers.emplace_back("Host", "127.0.0.1:9443");
        if (auth) {
            req.headers.emplace_back("Authorization", "Bearer " + token);
        }
        return r.handle(req);
    }
    response get(std::string target) { return send("GET", std::move(target)); }
};

} // namespace grin::emulator::test
