#include <grin/core/progress.hpp>
#include <grin/core/time.hpp>
#include <grin/enrich/progress.hpp>

#include <cmath>
#include <cstdio>

namespace grin::enrich {

namespace {

std::string fixed1(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", std::isfinite(value) ? value : 0.0);
    return text;
}

std::string eta_text(double seconds) {
    if (seconds < 60) {
        char text[32];
        std::snprintf(text, sizeof text, "%.0fs", std::ceil(seconds));
        return text;
    }
    return format_duration(std::chrono::duration<double>(seconds));
}

} // namespace

std::string progress_line(const progress_figures& f) {
    std::string line = "Progress: " + with_thousands(f.processed) + "/" + with_thousands(f.total) +
                       " processed (" + fixed1(f.books_per_second) + " books/sec, " +
                       fixed1(f.requests_per_second) + " req/s)";
    if (f.books_per_second > 0 && f.processed < f.total)
        line += " ETA " + eta_text(static_cast<double>(f.total - f.processed) / f.books_per_second);
    return line;
}

std::string completed_line(const completed_figures& f) {
    const double seconds = f.elapsed.count();
    const double books = seconds > 0 ? static_cast<double>(f.processed) / seconds : 0.0;
    std::string failed = with_thousands(f.failed) + " failed";
    if (f.failed_batches > 0)
        failed += " (" + with_thousands(f.failed_batches) +
                  (f.failed_batches == 1 ? " request" : " requests") +
                  " failed after retries; rerun to retry them)";
    return "Completed: " + with_thousands(f.processed) + " processed, " +
           with_thousands(f.enriched) + " enriched, " + failed + " in " +
           format_duration(f.elapsed) + " (" + fixed1(books) + " books/sec, " +
           with_thousands(f.requests) + (f.requests == 1 ? " request" : " requests") + "; " +
           with_thousands(f.not_found) + " not known to GRIN)";
}

} // namespace grin::enrich
