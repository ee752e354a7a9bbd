#include <grin/api/barcode.hpp>
#include <grin/core/error.hpp>
#include <grin/emulator/query.hpp>
#include <grin/emulator/router.hpp>
#include <grin/net/url.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>

namespace grin::emulator {
namespace {

constexpr std::string_view archive_suffix = ".tar.gz.gpg";

struct classified {
    route which = route::not_found;
    std::string library;
    std::string rest;    // path after /libraries/<Dir>/ (or the control action)
    std::string barcode; // archive routes
};

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

classified classify(const std::string& method, std::string_view path) {
    classified c;
    if (path == "/token") {
        c.which = route::token;
    } else if (path == "/_emulator/stats" || path == "/_emulator/log") {
        c.which = route::stats;
        c.rest = std::string(path.substr(11));
    } else if (starts_with(path, "/_emulator/")) {
        c.which = route::control;
        c.rest = std::string(path.substr(11));
    } else if (starts_with(path, "/blob/")) {
        auto rest = path.substr(6);
        auto slash = rest.find('/');
        if (slash != std::string_view::npos && ends_with(rest, archive_suffix)) {
            c.which = route::blob;
            c.library = std::string(rest.substr(0, slash));
            auto name = rest.substr(slash + 1);
            c.barcode = std::string(name.substr(0, name.size() - archive_suffix.size()));
        }
    } else if (starts_with(path, "/libraries/")) {
        auto rest = path.substr(11);
        auto slash = rest.find('/');
        if (slash == std::string_view::npos) {
            return c;
        }
        c.library = std::string(rest.substr(0, slash));
        auto tail = rest.substr(slash + 1);
        c.rest = std::string(tail);
        if (tail.empty()) {
            c.which = route::probe;
        } else if (tail == "_all_books") {
            c.which = route::all_books;
        } else if (tail == "_converted") {
            c.which = route::converted;
        } else if (tail == "_failed") {
            c.which = route::failed;
        } else if (tail == "_in_process") {
            c.which = route::in_process;
        } else if (tail == "_process") {
            c.which = route::process;
        } else if (tail == "_barcode_search") {
            c.which = route::barcode_search;
        } else if (ends_with(tail, archive_suffix) && tail.find('/') == std::string_view::npos) {
            c.which = method == "HEAD" ? route::archive_head : route::archive_get;
            c.barcode = std::string(tail.substr(0, tail.size() - archive_suffix.size()));
        }
    }
    return c;
}

response text_response(int status,
                       std::string body,
                       std::string content_type = "text/plain; charset=utf-8") {
    response r;
    r.status = status;
    r.headers = {{"Content-Type", std::move(content_type)},
                 {"Content-Length", std::to_string(body.size())}};
    r.body = std::move(body);
    return r;
}

response json_response(int status, const nlohmann::json& body) {
    return text_response(status, body.dump(), "application/json");
}

std::optional<std::int64_t> parse_int(std::string_view text) {
    std::int64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

std::string http_date(const grin_time& t) {
    std::tm tm{};
    tm.tm_year = t.year - 1900;
    tm.tm_mon = t.month - 1;
    tm.tm_mday = t.day;
    tm.tm_hour = t.hour;
    tm.tm_min = t.minute;
    std::time_t seconds = timegm(&tm);
    std::tm norm{};
    gmtime_r(&seconds, &norm);
    std::array<char, 64> b{};
    std::strftime(b.data(), b.size(), "%a, %d %b %Y %H:%M:%S GMT", &norm);
    return b.data();
}

response status_fault(int status) {
    auto r = text_response(status, "Emulated error " + std::to_string(status) + "\n");
    if (status == 429 || status == 503) {
        r.headers.emplace_back("Retry-After", "1");
    }
    return r;
}

} // namespace

router::router(router_params params, std::shared_ptr<archive_source> archives, clock_fn clock)
    : params_(std::move(params))
    , archives_(std::move(archives))
    , clock_(clock ? std::move(clock) : clock_fn([] { return std::chrono::system_clock::now(); }))
    , faults_(params_.seed)
    , tokens_(
          [&] {
              auto t = params_.tokens;
              t.seed ^= params_.seed;
              return t;
          }(),
          clock_) {
    denied_ = params_.denied_libraries;
    for (const auto& lib : params_.libraries) {
        auto state = std::make_unique<library_state>(lib, clock_);
        auto name = state->name();
        if (!libraries_.emplace(name, std::move(state)).second) {
            throw fatal("emulator: library '" + name + "' configured twice");
        }
    }
}

bool router::denied(const std::string& library) const {
    std::lock_guard lock(status_mutex_);
    return denied_.count(library) > 0;
}

library_state* router::library(std::string_view name) {
    auto it = libraries_.find(name);
    return it == libraries_.end() ? nullptr : it->second.get();
}

std::uint64_t router::requests(route r) const noexcept {
    return counters_[static_cast<std::size_t>(r)].requests.load();
}

std::shared_ptr<void> router::enter(route r) {
    auto& c = counters_[static_cast<std::size_t>(r)];
    c.requests.fetch_add(1);
    {
        const auto now = std::chrono::steady_clock::now();
        std::lock_guard lock(timing_mutex_);
        auto& t = timing_[static_cast<std::size_t>(r)];
        if (t.seen++ == 0) {
            t.first = now;
        }
        t.last = now;
        t.last_second.push_back(now);
        while (t.last_second.front() <= now - std::chrono::seconds(1)) {
            t.last_second.pop_front();
        }
        t.max_per_second = std::max<std::uint64_t>(t.max_per_second, t.last_second.size());
    }
    auto now = c.in_flight.fetch_add(1) + 1;
    auto seen = c.max_in_flight.load();
    while (now > seen && !c.max_in_flight.compare_exchange_weak(seen, now)) {
    }
    auto* counter = &c.in_flight;
    return std::shared_ptr<void>(new char(0), [counter](void* p) {
        delete static_cast<char*>(p);
        counter->fetch_sub(1);
    });
}

std::string router::origin_for(const request& req) const {
    if (!params_.public_origin.empty()) {
        return params_.public_origin;
    }
    const auto* host = find_header(req.headers, "Host");
    return params_.scheme + "://" + (host ? *host : std::string("127.0.0.1"));
}

response router::auth_failure(const request& req, bool redirect) const {
    if (redirect) {
        response r = text_response(302, "");
        r.headers.emplace_back("Location",
                               "https://accounts.google.com/ServiceLogin?continue=" +
                                   net::encode_query_value(origin_for(req) + req.target));
        return r;
    }
    auto r = text_response(401, "Unauthorized\n");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"grin\"");
    return r;
}

response router::handle(const request& req) {
    response r;
    route which = route::not_found;
    std::string library, barcode;
    try {
        r = dispatch(req, which, library, barcode);
    } catch (const std::exception& e) {
        r = text_response(500, std::string("emulator error: ") + e.what() + "\n");
    }
    if (req.method == "HEAD") {
        r.body.clear();
        r.body_file.reset();
    }
    std::string token;
    if (const auto* auth = find_header(req.headers, "Authorization");
        auth && auth->rfind("Bearer ", 0) == 0) {
        token = auth->substr(7);
    }
    {
        std::lock_guard lock(status_mutex_);
        ++statuses_[r.status];
        if (log_.size() >= max_log_entries) {
            log_.pop_front();
        }
        log_.push_back(
            {clock_(), which, req.method, req.target, std::move(token), r.status, r.injected});
    }
    return r;
}

std::vector<request_record> router::request_log() const {
    std::lock_guard lock(status_mutex_);
    return {log_.begin(), log_.end()};
}

std::string router::log_json() const {
    auto entries = nlohmann::json::array();
    for (const auto& e : request_log()) {
        entries.push_back({{"at_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                         e.at.time_since_epoch())
                                         .count()},
                           {"route", to_string(e.which)},
                           {"method", e.method},
                           {"target", e.target},
                           {"token", e.token},
                           {"status", e.status},
                           {"fault", to_string(e.injected)}});
    }
    return entries.dump();
}

response
router::dispatch(const request& req, route& which, std::string& library, std::string& barcode) {
    auto [path, query] = split_target(req.target);
    auto c = classify(req.method, path);
    which = c.which;
    library = c.library;
    barcode = c.barcode;
    if (c.which == route::process || c.which == route::barcode_search) {
        auto params = parse_query(query);
        auto listed = split_barcode_list(first_value(params, "barcodes").value_or(""));
        if (!listed.empty()) {
            barcode = listed.front();
        }
    }
    auto in_flight = enter(c.which);

    std::optional<fault_decision> decision;
    if (c.which != route::stats && c.which != route::control && c.which != route::not_found) {
        decision = faults_.decide(c.which, c.library, barcode);
        if (decision && decision->status != 0) {
            auto r = decision->status == 302   ? auth_failure(req, true)
                     : decision->status == 401 ? auth_failure(req, false)
                                               : status_fault(decision->status);
            r.in_flight = std::move(in_flight);
            return r;
        }
    }

    response r;
    switch (c.which) {
    case route::token:
        r = tokens_.handle(req);
        break;
    case route::stats:
        r = req.method == "GET" || req.method == "HEAD"
                ? json_response(200,
                                nlohmann::json::parse(c.rest == "log" ? log_json() : stats_json()))
                : text_response(405, "GET only\n");
        break;
    case route::control:
        r = control_route(req, c.rest, query);
        break;
    case route::not_found:
        r = text_response(404, "Not Found\n");
        break;
    default: {
        if (tokens_.check(find_header(req.headers, "Authorization")) != token_verdict::ok) {
            r = auth_failure(req, params_.login_redirect);
            break;
        }
        auto* lib = this->library(c.library);
        if (lib == nullptr || denied(c.library)) {
            r = text_response(403, "Forbidden: no access to this library directory\n");
            break;
        }
        if (c.which == route::blob) {
            auto v = parse_int(first_value(parse_query(query), "v").value_or(""));
            r = archive_route(req, *lib, c.barcode,
                              v && *v >= 0
                                  ? std::optional<std::uint32_t>(static_cast<std::uint32_t>(*v))
                                  : std::nullopt,
                              true);
        } else {
            r = library_route(req, *lib, c.rest, query, c.which, c.barcode);
        }
    }
    }

    if (decision && decision->transport != fault::none) {
        if (decision->transport == fault::no_etag) {
            std::erase_if(r.headers, [](const auto& h) { return h.first == "ETag"; });
        } else if (decision->transport == fault::garbage_body) {
            // Same status and Content-Type, a body no parser should accept: markup cut off
            // mid-tag, NULs, bytes that are not UTF-8, a stray tab-separated row.
            std::string junk = "<html><body><table><tbody><tr class=\"heading\"><td>Bar\x00code"
                               "</td><tr><td>\xff\xfe\xc3\x28 <a href=\"\x80\"><<td\t\t\n";
            std::uint64_t state = params_.seed ^ 0x9e3779b97f4a7c15ull;
            for (int i = 0; i < 512; ++i) {
                state = state * 6364136223846793005ull + 1442695040888963407ull;
                junk.push_back(static_cast<char>(state >> 56));
            }
            r.body_file.reset();
            r.body = std::move(junk);
            for (auto& [name, value] : r.headers) {
                if (name == "Content-Length") {
                    value = std::to_string(r.body.size());
                }
            }
        } else if (decision->transport == fault::latin1_body) {
            // What a server configured for ISO-8859-1 sends: every 2-byte UTF-8 sequence
            // of U+0080..U+00FF becomes its single Latin-1 byte.
            std::string out;
            for (std::size_t i = 0; i < r.body.size(); ++i) {
                auto c = static_cast<unsigned char>(r.body[i]);
                auto next = i + 1 < r.body.size() ? static_cast<unsigned char>(r.body[i + 1]) : 0;
                if ((c == 0xC2 || c == 0xC3) && (next & 0xC0) == 0x80) {
                    out.push_back(static_cast<char>(((c & 0x03) << 6) | (next & 0x3F)));
                    ++i;
                } else {
                    out.push_back(static_cast<char>(c));
                }
            }
            r.body = std::move(out);
            for (auto& [name, value] : r.headers) {
                if (name == "Content-Length") {
                    value = std::to_string(r.body.size());
                }
            }
        } else if (decision->transport == fault::huge_headers) {
            // 96 headers of 1 KiB: over any sane client's header limit (Beast: 8 KiB).
            for (int i = 0; i < 96; ++i) {
                r.headers.emplace_back("X-Emulator-Padding-" + std::to_string(i),
                                       std::string(1024, 'a' + static_cast<char>(i % 26)));
            }
        } else if (decision->transport == fault::wrong_etag) {
            for (auto& [name, value] : r.headers) {
                if (name == "ETag" && value.size() > 2) {
                    // Same shape, different value: the hex reversed, nudged if symmetric.
                    std::string inner(value.rbegin() + 1, value.rend() - 1);
                    if ("\"" + inner + "\"" == value) {
                        inner[0] = inner[0] == '0' ? '1' : '0';
                    }
                    value = "\"" + inner + "\"";
                }
            }
        } else {
            r.fault_after_bytes = decision->after_bytes;
            r.stall_for = decision->stall_for;
            // A cut at or past the end would not be a cut: move it to the middle.
            const auto* length = r.header("Content-Length");
            auto size = length ? parse_int(*length).value_or(0) : 0;
            bool cuts = decision->transport == fault::reset_mid_body ||
                        decision->transport == fault::truncate;
            if (cuts && size > 0 && r.fault_after_bytes >= static_cast<std::uint64_t>(size)) {
                r.fault_after_bytes = static_cast<std::uint64_t>(size) / 2;
            }
        }
        r.injected = decision->transport;
    }
    r.in_flight = std::move(in_flight);
    return r;
}

response router::library_route(const request& req,
                               library_state& lib,
                               std::string_view rest,
                               std::string_view query,
                               route which,
                               const std::string& barcode) {
    bool is_get = req.method == "GET" || req.method == "HEAD";
    switch (which) {
    case route::probe:
        return is_get ? list_route(lib, list_kind::all_books, query, true) : text_response(405, "");
    case route::all_books:
    case route::converted:
    case route::failed: {
        if (!is_get) {
            return text_response(405, "");
        }
        auto kind = which == route::all_books   ? list_kind::all_books
                    : which == route::converted ? list_kind::converted
                                                : list_kind::failed;
        return list_route(lib, kind, query, false);
    }
    case route::in_process:
        return is_get ? text_response(
                            200, render_in_process(lib.in_process(), params_.in_process_bare_every))
                      : text_response(405, "");
    case route::process: {
        std::vector<std::string> barcodes;
        for (const auto& v : all_values(parse_query(query), "barcodes")) {
            for (auto& b : split_barcode_list(v)) {
                barcodes.push_back(std::move(b));
            }
        }
        if (req.method == "POST" && !req.body.empty()) {
            auto body =
                req.body.rfind("barcodes=", 0) == 0 ? percent_decode(req.body.substr(9)) : req.body;
            for (auto& b : split_barcode_list(body)) {
                barcodes.push_back(std::move(b));
            }
        }
        if (barcodes.empty()) {
            return text_response(400, "No barcodes given\n");
        }
        auto outcome = lib.request_conversion(barcodes);
        if (outcome.queue_full) {
            return status_fault(429);
        }
        return text_response(200, render_process_response(outcome.rows));
    }
    case route::barcode_search: {
        if (!is_get) {
            return text_response(405, "");
        }
        if (req.target.size() > params_.max_target_bytes) {
            return text_response(414, "Request-URI Too Large\n");
        }
        std::vector<book> rows;
        for (const auto& v : all_values(parse_query(query), "barcodes")) {
            for (const auto& b : split_barcode_list(v)) {
                if (auto found = lib.find(b)) {
                    rows.push_back(std::move(*found));
                }
            }
        }
        return text_response(200, render_barcode_search(rows));
    }
    case route::archive_head:
    case route::archive_get:
        if (!is_get) {
            return text_response(405, "");
        }
        return archive_route(req, lib, barcode, std::nullopt, false);
    default:
        (void)rest;
        return text_response(404, "Not Found\n");
    }
}

response
router::list_route(library_state& lib, list_kind kind, std::string_view query, bool probe) {
    auto params = parse_query(query);
    auto rc = parse_int(first_value(params, "result_count").value_or(""))
                  .value_or(params_.default_result_count);
    auto first = parse_int(first_value(params, "first").value_or("")).value_or(0);
    if (first < 0) {
        first = 0;
    }
    bool text = first_value(params, "format") == "text";
    bool mode_all = first_value(params, "mode") == "all";

    // Filters other clients use on _all_books ([ext] in grin-protocol.md 1.1). They need a
    // scan of the whole catalogue per request, which is fine for how rarely they are used.
    auto states = all_values(params, "book_state");
    auto scan_start = first_value(params, "last_scan_date_start");
    auto scan_end = first_value(params, "last_scan_date_end");
    bool filtered = kind == list_kind::all_books && (!states.empty() || scan_start || scan_end);
    std::vector<std::uint64_t> matching;
    std::string filter_query;
    if (filtered) {
        for (std::uint64_t i = 0; i < lib.size(); ++i) {
            auto b = lib.at(i);
            bool ok =
                states.empty() || std::find(states.begin(), states.end(), b.state) != states.end();
            if (ok && (scan_start || scan_end)) {
                auto day = b.scanned ? b.scanned->date_only() : std::string();
                std::replace(day.begin(), day.end(), '/', '-');
                ok = !day.empty() && (!scan_start || day >= *scan_start) &&
                     (!scan_end || day <= *scan_end);
            }
            if (ok) {
                matching.push_back(i);
            }
        }
        for (const auto& state : states) {
            filter_query += "&book_state=" + state;
        }
        if (scan_start) {
            filter_query += "&last_scan_date_start=" + *scan_start;
        }
        if (scan_end) {
            filter_query += "&last_scan_date_end=" + *scan_end;
        }
    }

    std::uint64_t total = filtered                       ? matching.size()
                          : kind == list_kind::all_books ? lib.size()
                                                         : lib.count(kind == list_kind::converted);
    auto window = paginate(total, rc, static_cast<std::uint64_t>(first), params_.pages);
    std::vector<book> rows;
    if (kind == list_kind::all_books) {
        for (auto i = window.begin; i < window.end; ++i) {
            rows.push_back(lib.at(filtered ? matching[i] : i));
        }
    } else {
        rows = lib.slice(kind == list_kind::converted, window.begin, window.end);
    }
    if (text) {
        return text_response(200, render_text_list(kind, rows, mode_all && !probe));
    }
    if (window.past_end && !params_.pages.empty_table_past_end) {
        return text_response(200, render_unavailable_page(), "text/html; charset=utf-8");
    }
    std::optional<std::string> next;
    if (window.next_first) {
        next = next_href(kind, rc, *window.next_first) + filter_query;
    }
    return text_response(200, render_html_list(kind, rows, next, params_.pages),
                         "text/html; charset=utf-8");
}

response router::archive_route(const request& req,
                               library_state& lib,
                               const std::string& barcode,
                               std::optional<std::uint32_t> version,
                               bool via_blob) {
    if (!api::is_valid_barcode(barcode)) {
        return text_response(404, "Not Found\n");
    }
    auto b = lib.find(barcode);
    if (!b || !b->converted) {
        return text_response(404, "Not Found\n");
    }
    auto current = lib.archive_version(b->index);
    if (version && *version != current) {
        return text_response(404, "Not Found (old archive version)\n");
    }
    if (req.method == "GET" && params_.redirect_archives && !via_blob) {
        auto r = text_response(302, "");
        r.headers.emplace_back("Location", origin_for(req) + "/blob/" + lib.name() + "/" + barcode +
                                               ".tar.gz.gpg?v=" + std::to_string(current));
        return r;
    }
    if (!archives_) {
        return text_response(503, "No archive source configured\n");
    }
    auto file = archives_->get(*b, current, lib.defect(b->index));
    response r;
    r.status = 200;
    r.headers = {{"Content-Type", "application/octet-stream"},
                 {"Content-Length", std::to_string(file.size)},
                 {"ETag", "\"" + file.etag + "\""}};
    if (b->converted_at) {
        r.headers.emplace_back("Last-Modified", http_date(*b->converted_at));
    }
    if (req.method == "GET") {
        r.body_file = file.path;
    }
    return r;
}

response
router::control_route(const request& req, std::string_view action, std::string_view query) {
    if (req.method != "POST") {
        return text_response(405, "POST only\n");
    }
    auto params = parse_query(query);
    auto lib_name = first_value(params, "library");
    auto pick = [&]() -> library_state* {
        if (lib_name) {
            return library(*lib_name);
        }
        return libraries_.empty() ? nullptr : libraries_.begin()->second.get();
    };
    if (action == "advance") {
        std::size_t done = 0;
        for (auto& [name, lib] : libraries_) {
            if (!lib_name || *lib_name == name) {
                done += lib->advance_conversions();
            }
        }
        return json_response(200, {{"completed", done}});
    }
    if (action == "reconvert") {
        auto* lib = pick();
        auto barcode = first_value(params, "barcode").value_or("");
        bool ok = lib != nullptr && lib->reconvert(barcode);
        return json_response(ok ? 200 : 404, {{"reconverted", ok}});
    }
    if (action == "queue_cap") {
        auto* lib = pick();
        auto value = parse_int(first_value(params, "value").value_or(""));
        if (lib == nullptr || !value || *value < 0) {
            return json_response(400, {{"error", "need library and value"}});
        }
        lib->set_queue_cap(static_cast<std::uint64_t>(*value));
        return json_response(200, {{"queue_cap", *value}});
    }
    if (action == "defect") {
        auto* lib = pick();
        auto kind = parse_archive_defect(first_value(params, "kind").value_or(""));
        if (lib == nullptr || !kind) {
            return json_response(400, {{"error", "need library and a known kind"}});
        }
        bool ok = lib->set_defect(first_value(params, "barcode").value_or(""), *kind);
        return json_response(ok ? 200 : 404, {{"defect", to_string(*kind)}});
    }
    if (action == "acl") {
        auto name = first_value(params, "library").value_or("");
        bool deny = first_value(params, "deny") == "1";
        if (library(name) == nullptr) {
            return json_response(404, {{"error", "unknown library"}});
        }
        std::lock_guard lock(status_mutex_);
        if (deny) {
            denied_.insert(name);
        } else {
            denied_.erase(name);
        }
        return json_response(200, {{"library", name}, {"denied", deny}});
    }
    if (action == "expire_tokens") {
        tokens_.expire_all();
        return json_response(200, {{"expired", true}});
    }
    if (action == "token_lifetime") {
        auto seconds = parse_int(first_value(params, "seconds").value_or(""));
        if (!seconds || *seconds < 0) {
            return json_response(400, {{"error", "need seconds"}});
        }
        tokens_.set_lifetime(std::chrono::seconds(*seconds));
        return json_response(200, {{"token_lifetime", *seconds}});
    }
    if (action == "faults") {
        try {
            auto rule = faults_.add(parse_fault_rule(req.body));
            return json_response(200, {{"rule", rule}});
        } catch (const fatal& e) {
            return json_response(400, {{"error", e.what()}});
        }
    }
    if (action == "clear_faults") {
        faults_.clear();
        return json_response(200, {{"cleared", true}});
    }
    return text_response(404, "Unknown control action\n");
}

std::string router::stats_json() const {
    nlohmann::json requests = nlohmann::json::object(), in_flight = nlohmann::json::object();
    for (std::size_t i = 0; i < route_count; ++i) {
        auto name = std::string(to_string(static_cast<route>(i)));
        requests[name] = counters_[i].requests.load();
        in_flight[name] = counters_[i].max_in_flight.load();
    }
    nlohmann::json statuses = nlohmann::json::object();
    {
        std::lock_guard lock(status_mutex_);
        for (const auto& [status, n] : statuses_) {
            statuses[std::to_string(status)] = n;
        }
    }
    nlohmann::json libs = nlohmann::json::object();
    for (const auto& [name, lib] : libraries_) {
        libs[name] = {{"books", lib->size()}, {"in_process", lib->in_process().size()}};
    }
    nlohmann::json timing = nlohmann::json::object();
    {
        std::lock_guard lock(timing_mutex_);
        auto ms = [this](std::chrono::steady_clock::time_point at) {
            return std::chrono::duration<double, std::milli>(at - started_).count();
        };
        for (std::size_t i = 0; i < route_count; ++i) {
            const auto& t = timing_[i];
            if (t.seen > 0) {
                timing[std::string(to_string(static_cast<route>(i)))] = {
                    {"first_ms", ms(t.first)},
                    {"last_ms", ms(t.last)},
                    {"max_per_second", t.max_per_second}};
            }
        }
    }
    return nlohmann::json{{"requests", requests},
                          {"max_in_flight", in_flight},
                          {"timing", timing},
                          {"statuses", statuses},
                          {"faults_injected", faults_.injected()},
                          {"token_grants", tokens_.refreshes()},
                          {"libraries", libs}}
        .dump();
}

} // namespace grin::emulator
