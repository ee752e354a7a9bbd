#include <grin/core/error.hpp>
#include <grin/emulator/faults.hpp>

#include <array>
#include <charconv>

namespace grin::emulator {
namespace {

constexpr std::array<std::string_view, route_count> route_names{
    "probe",        "all_books",   "converted", "failed", "in_process", "process", "barcode_search",
    "archive_head", "archive_get", "blob",      "token",  "stats",      "control", "not_found"};

std::uint64_t mix(std::uint64_t x) noexcept {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

std::uint64_t parse_uint(std::string_view key, std::string_view value) {
    std::uint64_t out = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
    if (ec != std::errc() || ptr != value.data() + value.size()) {
        throw fatal("fault rule: '" + std::string(key) + "' needs a number, got '" +
                    std::string(value) + "'");
    }
    return out;
}

} // namespace

std::string_view to_string(route value) noexcept {
    return route_names[static_cast<std::size_t>(value)];
}

std::optional<route> parse_route(std::string_view name) noexcept {
    for (std::size_t i = 0; i < route_names.size(); ++i) {
        if (route_names[i] == name) {
            return static_cast<route>(i);
        }
    }
    return std::nullopt;
}

fault_rule parse_fault_rule(std::string_view spec) {
    fault_rule rule;
    std::size_t pos = 0;
    while (pos < spec.size()) {
        auto comma = spec.find(',', pos);
        auto part = spec.substr(pos, comma == std::string_view::npos ? spec.npos : comma - pos);
        pos = comma == std::string_view::npos ? spec.size() : comma + 1;
        if (part.empty()) {
            continue;
        }
        auto eq = part.find('=');
        if (eq == std::string_view::npos) {
            throw fatal("fault rule: expected key=value, got '" + std::string(part) + "'");
        }
        auto key = part.substr(0, eq);
        auto value = part.substr(eq + 1);
        if (key == "route") {
            rule.on = parse_route(value);
            if (!rule.on) {
                throw fatal("fault rule: unknown route '" + std::string(value) + "'");
            }
        } else if (key == "library") {
            rule.library = std::string(value);
        } else if (key == "barcode") {
            rule.barcode = std::string(value);
        } else if (key == "status") {
            rule.status = static_cast<int>(parse_uint(key, value));
        } else if (key == "fault") {
            bool known = false;
            for (auto f : {fault::reset_mid_body, fault::truncate, fault::stall_before_headers,
                           fault::stall_mid_body, fault::no_etag, fault::wrong_etag,
                           fault::garbage_body, fault::huge_headers, fault::latin1_body}) {
                if (to_string(f) == value) {
                    rule.transport = f;
                    known = true;
                }
            }
            if (!known) {
                throw fatal("fault rule: unknown fault '" + std::string(value) + "'");
            }
        } else if (key == "after") {
            rule.after_bytes = parse_uint(key, value);
        } else if (key == "stall_ms") {
            rule.stall_for = std::chrono::milliseconds(parse_uint(key, value));
        } else if (key == "first") {
            rule.first_n = parse_uint(key, value);
        } else if (key == "p") {
            try {
                rule.probability = std::stod(std::string(value));
            } catch (const std::exception&) {
                throw fatal("fault rule: bad probability '" + std::string(value) + "'");
            }
        } else {
            throw fatal("fault rule: unknown key '" + std::string(key) + "'");
        }
    }
    if (rule.status == 0 && rule.transport == fault::none) {
        throw fatal("fault rule: needs status= or fault=");
    }
    if (rule.first_n == 0 && !(rule.probability > 0 && rule.probability <= 1)) {
        throw fatal("fault rule: needs first=N or p in (0,1]");
    }
    return rule;
}

std::size_t fault_plan::add(fault_rule rule) {
    std::lock_guard lock(mutex_);
    rules_.push_back({std::move(rule), 0, 0});
    return rules_.size() - 1;
}

void fault_plan::clear() {
    std::lock_guard lock(mutex_);
    rules_.clear();
}

std::optional<fault_decision>
fault_plan::decide(route on, std::string_view library, std::string_view barcode) {
    std::lock_guard lock(mutex_);
    std::optional<fault_decision> decision;
    for (std::size_t i = 0; i < rules_.size(); ++i) {
        auto& e = rules_[i];
        const auto& r = e.rule;
        if ((r.on && *r.on != on) || (!r.library.empty() && r.library != library) ||
            (!r.barcode.empty() && r.barcode != barcode)) {
            continue;
        }
        auto n = e.matches++;
        bool fires;
        if (r.first_n > 0) {
            fires = n < r.first_n;
        } else {
            // Top 53 bits as a uniform double in [0,1).
            auto draw =
                static_cast<double>(mix(seed_ ^ mix(i + 1) ^ mix(n + 0x51ED)) >> 11) * 0x1.0p-53;
            fires = draw < r.probability;
        }
        if (fires) {
            ++e.fired;
            ++injected_;
            decision = fault_decision{r.status, r.transport, r.after_bytes, r.stall_for, i};
            break;
        }
    }
    return decision;
}

std::uint64_t fault_plan::injected() const {
    std::lock_guard lock(mutex_);
    return injected_;
}

std::uint64_t fault_plan::fired(std::size_t rule) const {
    std::lock_guard lock(mutex_);
    return rule < rules_.size() ? rules_[rule].fired : 0;
}

} // namespace grin::emulator
