#include <grin/api/barcode.hpp>
#include <grin/core/error.hpp>
#include <grin/emulator/catalogue.hpp>

#include <array>
#include <cstdio>
#include <stdexcept>

#include "hashing.hpp"

namespace grin::emulator {
namespace {

// A per-book stream of draws: the same (seed, library, index, purpose) always gives the
// same sequence, and different purposes are independent, so adding a field later does
// not reshuffle the others.
class draws {
public:
    draws(std::uint64_t key, std::uint64_t index, std::uint64_t purpose) noexcept
        : state_(
              detail::splitmix64(key ^ detail::splitmix64(index ^ detail::splitmix64(purpose)))) {}
    std::uint64_t next() noexcept { return state_ = detail::splitmix64(state_); }
    std::uint64_t below(std::uint64_t n) noexcept { return n == 0 ? 0 : next() % n; }
    bool chance(unsigned percent) noexcept { return below(100) < percent; }
    template <typename T, std::size_t N>
    const T& pick(const std::array<T, N>& items) noexcept {
        return items[below(N)];
    }

private:
    std::uint64_t state_;
};

enum purpose : std::uint64_t { p_class = 1, p_state, p_title, p_dates, p_google, p_enrich, p_marc };

// Both barcode domains are below 2^32, so a * b cannot overflow 64 bits.
std::uint64_t mulmod(std::uint64_t a, std::uint64_t b, std::uint64_t m) noexcept {
    return (a % m) * (b % m) % m;
}

// Modular inverse by extended Euclid; `a` is coprime to `m` by construction.
std::uint64_t inverse_mod(std::uint64_t a, std::uint64_t m) {
    std::int64_t t = 0, new_t = 1, r = static_cast<std::int64_t>(m),
                 new_r = static_cast<std::int64_t>(a);
    while (new_r != 0) {
        std::int64_t q = r / new_r;
        std::int64_t tmp = t - q * new_t;
        t = new_t;
        new_t = tmp;
        tmp = r - q * new_r;
        r = new_r;
        new_r = tmp;
    }
    if (t < 0) {
        t += static_cast<std::int64_t>(m);
    }
    return static_cast<std::uint64_t>(t);
}

std::uint64_t gcd(std::uint64_t a, std::uint64_t b) noexcept {
    while (b != 0) {
        auto t = a % b;
        a = b;
        b = t;
    }
    return a;
}

// Days since 1970-01-01 -> civil date (H. Hinnant's algorithm).
grin_time civil_from_days(std::int64_t z, int hour, int minute) noexcept {
    z += 719468;
    std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    auto doe = static_cast<unsigned>(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<int>(y + (m <= 2)), static_cast<int>(m), static_cast<int>(d), hour, minute};
}

constexpr std::int64_t days_2005 = 12784; // 2005-01-01
constexpr std::int64_t days_2024_11_18 = 20045;
constexpr std::int64_t days_2025_01_01 = 20089;

grin_time random_time(draws& d, std::int64_t first_day, std::int64_t span_days) {
    return civil_from_days(first_day + static_cast<std::int64_t>(d.below(span_days)),
                           static_cast<int>(d.below(24)), static_cast<int>(d.below(60)));
}

const std::array<std::string_view, 16> adjectives{
    "Annals of",    "Advanced",   "Collected", "Elementary",  "Zo\xC3\xB6logical", "Caf\xC3\xA9",
    "Na\xC3\xAFve", "Practical",  "Physical",  "Illustrated", "\xC5\x92uvres:",    "Those",
    "Selected",     "\"Modern\"", "Early",     "Complete"};
const std::array<std::string_view, 16> nouns{
    "Widgetry", "Review",  "Preston Twins",   "Essays",          "Fish & Chips", "Sermons",
    "Voyages",  "Methods", "Letters",         "Botany <Vol. 2>", "Proceedings",  "Poems",
    "Geometry", "Tables",  "M\xC3\xA9moires", "Chronicles"};
const std::array<std::string_view, 8> places{"New England", "the Rhine", "Z\xC3\xBCrich",
                                             "Lausanne",    "Boston",    "the Antipodes",
                                             "Peru",        "Kyoto"};
const std::array<std::string_view, 4> viewabilities{"VIEW_FULL", "VIEW_METADATA", "VIEW_NONE",
                                                    "VIEW_SNIPPET"};
const std::array<std::string_view, 3> methods{"NON_DESTRUCTIVE", "SHEETFED", "DIGIFEED"};
const std::array<std::string_view, 5> conditions{"11", "25", "3", "11,25", ""};
const std::array<std::string_view, 6> languages{"eng", "ger", "fre", "lat", "spa", "ita"};
const std::array<std::string_view, 5> failure_infos{
    "Error: Timeout", "Process exceeded 3600s limit", "Image quality below threshold",
    "Missing pages", "Other error"};
const char base36[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const char google_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

std::string digits(draws& d, int count) {
    std::string out;
    for (int i = 0; i < count; ++i) {
        out += static_cast<char>('0' + d.below(10));
    }
    return out;
}

std::string bool_text(draws& d, unsigned true_percent) {
    return d.chance(true_percent) ? "true" : "false";
}

} // namespace

std::string grin_time::full() const {
    std::array<char, 32> b{};
    std::snprintf(b.data(), b.size(), "%04d/%02d/%02d %02d:%02d", year, month, day, hour, minute);
    return b.data();
}

std::string grin_time::date_only() const {
    return full().substr(0, 10);
}

std::string book::google_books_link() const {
    return google_books_id.empty() ? std::string()
                                   : "https://books.google.com/books?id=" + google_books_id;
}

catalogue::catalogue(catalogue_params params) : params_(std::move(params)) {
    if (!api::is_valid_library_directory(params_.library)) {
        throw fatal("emulator: invalid library directory '" + params_.library + "'");
    }
    auto cf = params_.converted_fraction, ff = params_.failed_fraction;
    if (!(cf >= 0 && cf <= 1 && ff >= 0 && ff <= 1 && cf + ff <= 1.0 + 1e-9)) {
        throw fatal("emulator: converted and failed fractions must be in [0,1] and sum to <= 1");
    }
    if (params_.min_pages < 1 || params_.max_pages < params_.min_pages) {
        throw fatal("emulator: need 1 <= min_pages <= max_pages");
    }
    domain_ = params_.style == barcode_style::alphanumeric6 ? 2176782336ULL : 1000000000ULL;
    if (params_.book_count > domain_) {
        throw fatal("emulator: too many books for the barcode style");
    }
    library_key_ = detail::splitmix64(params_.seed ^ detail::fnv1a64(params_.library));
    // An affine bijection of the barcode space: book index <-> barcode in O(1) both ways.
    multiplier_ = (detail::splitmix64(library_key_ + 7) % domain_) | 1;
    while (gcd(multiplier_, domain_) != 1) {
        multiplier_ += 2;
    }
    multiplier_inverse_ = inverse_mod(multiplier_, domain_);
    offset_ = detail::splitmix64(library_key_ + 11) % domain_;
    converted_ppm_ = static_cast<std::uint64_t>(cf * 1'000'000 + 0.5);
    failed_ppm_ = static_cast<std::uint64_t>(ff * 1'000'000 + 0.5);
}

std::string catalogue::barcode_at(std::uint64_t index) const {
    if (index >= params_.book_count) {
        throw std::out_of_range("emulator catalogue: no book " + std::to_string(index));
    }
    std::uint64_t code = (mulmod(index, multiplier_, domain_) + offset_) % domain_;
    if (params_.style == barcode_style::numeric14) {
        std::array<char, 16> b{};
        std::snprintf(b.data(), b.size(), "33433%09llu", static_cast<unsigned long long>(code));
        return b.data();
    }
    std::string out(6, '0');
    for (int i = 5; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = base36[code % 36];
        code /= 36;
    }
    return out;
}

std::optional<std::uint64_t> catalogue::index_of(std::string_view barcode) const {
    std::uint64_t code = 0;
    if (params_.style == barcode_style::numeric14) {
        if (barcode.size() != 14 || barcode.substr(0, 5) != "33433") {
            return std::nullopt;
        }
        for (char c : barcode.substr(5)) {
            if (c < '0' || c > '9') {
                return std::nullopt;
            }
            code = code * 10 + static_cast<std::uint64_t>(c - '0');
        }
    } else {
        if (barcode.size() != 6) {
            return std::nullopt;
        }
        for (char c : barcode) {
            std::uint64_t v;
            if (c >= '0' && c <= '9') {
                v = static_cast<std::uint64_t>(c - '0');
            } else if (c >= 'A' && c <= 'Z') {
                v = static_cast<std::uint64_t>(c - 'A' + 10);
            } else {
                return std::nullopt;
            }
            code = code * 36 + v;
        }
    }
    std::uint64_t index =
        mulmod((code + domain_ - offset_) % domain_, multiplier_inverse_, domain_);
    if (index >= params_.book_count) {
        return std::nullopt;
    }
    return index;
}

std::uint64_t catalogue::class_draw(std::uint64_t index) const {
    return draws(library_key_, index, p_class).below(1'000'000);
}

bool catalogue::is_converted(std::uint64_t index) const {
    return class_draw(index) < converted_ppm_;
}

bool catalogue::is_failed(std::uint64_t index) const {
    auto c = class_draw(index);
    return c >= converted_ppm_ && c < converted_ppm_ + failed_ppm_;
}

book catalogue::at(std::uint64_t index) const {
    book b;
    b.library = params_.library;
    b.index = index;
    b.barcode = barcode_at(index);
    b.converted = is_converted(index);
    b.failed = is_failed(index);

    draws state(library_key_, index, p_state);
    if (b.converted) {
        b.state = state.chance(70) ? state_previously_downloaded : state_converted;
    } else if (b.failed) {
        b.state = state_available;
    } else {
        static const std::array<std::string_view, 5> others{
            state_new, state_available, state_available, state_checked_in, state_not_available};
        b.state = state.pick(others);
    }

    if (b.state != state_not_available) {
        draws t(library_key_, index, p_title);
        switch (t.below(4)) {
        case 0:
            b.title = std::string(t.pick(adjectives)) + " " + std::string(t.pick(nouns));
            break;
        case 1:
            b.title = "The " + std::string(t.pick(adjectives)) + " " + std::string(t.pick(nouns)) +
                      " of " + std::string(t.pick(places));
            break;
        case 2:
            b.title = std::string(t.pick(nouns)) + " & " + std::string(t.pick(nouns));
            break;
        default:
            b.title = std::string(t.pick(nouns)) + ", " + std::to_string(1800 + t.below(200));
        }
    }

    draws d(library_key_, index, p_dates);
    b.check_in = random_time(d, days_2005, 8 * 365);
    bool scanned = b.state != state_checked_in && b.state != state_new;
    if (scanned) {
        b.scanned = random_time(d, days_2005 + 8 * 365, 3 * 365);
        b.processed = random_time(d, days_2024_11_18, 2);
        b.analyzed = random_time(d, days_2024_11_18, 2);
        b.ocr = random_time(d, days_2024_11_18, 2);
    }
    if (b.converted) {
        b.converted_at = random_time(d, days_2025_01_01, 300);
        if (b.state == state_previously_downloaded) {
            b.downloaded = random_time(d, days_2025_01_01 + 300, 30);
        }
    }
    if (b.failed) {
        b.convert_failed = random_time(d, days_2025_01_01, 300);
        draws f(library_key_, index, p_state + 100);
        b.convert_failed_info = std::string(f.pick(failure_infos));
        b.detailed_convert_failed_info =
            "Conversion job " + digits(f, 8) + " failed at stage " + std::to_string(1 + f.below(5));
    }
    if (scanned) {
        draws g(library_key_, index, p_google);
        for (int i = 0; i < 4; ++i) {
            b.google_books_id += google_chars[g.below(sizeof google_chars - 1)];
        }
        b.google_books_id += "AAAAYAAJ";
    }

    draws e(library_key_, index, p_enrich);
    auto& en = b.enrichment;
    en.viewability = std::string(e.pick(viewabilities));
    en.conditions = std::string(e.pick(conditions));
    en.scannable = bool_text(e, 80);
    en.opted_out = bool_text(e, 3);
    en.tagging = bool_text(e, 60);
    en.claimed = bool_text(e, 10);
    en.rubbish = e.chance(50) ? "" : "false";
    en.audit = e.chance(80) ? "" : "5%";
    en.material_error = std::to_string(e.below(4)) + "%";
    en.overall_error = std::to_string(e.below(4)) + "%";
    en.ocr_gtd_score = std::to_string(70 + e.below(31));
    en.ocr_analysis_score = std::to_string(70 + e.below(31));
    en.digitization_method = std::string(e.pick(methods));
    en.source_library_bibkey = e.chance(70) ? digits(e, 18) : "";
    if (e.chance(50)) {
        en.allow_download_updated = random_time(e, days_2005 + 4 * 365, 15 * 365);
    }
    en.viewability_updated = random_time(e, days_2005 + 4 * 365, 15 * 365);

    draws m(library_key_, index, p_marc);
    b.pages = params_.min_pages +
              static_cast<std::uint32_t>(m.below(params_.max_pages - params_.min_pages + 1ULL));
    b.marc_control_number = "99" + digits(m, 16);
    b.lccn = digits(m, 8);
    b.oclc_number = std::to_string(100000 + m.below(90000000));
    b.language = std::string(m.pick(languages));
    b.publication_year = static_cast<int>(1750 + m.below(240));
    return b;
}

} // namespace grin::emulator
