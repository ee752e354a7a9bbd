#include <grin/sync/sync_progress.hpp>

namespace grin::sync {

std::string format_progress_line(std::uint64_t done,
                                 std::uint64_t total,
                                 double rate,
                                 std::chrono::duration<double> elapsed,
                                 const stage_snapshot& stages) {
    return progress_head(done, total, rate, elapsed) +
           " [downloads: " + std::to_string(stages.downloads_active) + "/" +
           std::to_string(stages.downloads_limit) +
           ", processing: " + std::to_string(stages.processing) +
           ", waiting to download: " + std::to_string(stages.waiting_to_download) +
           ", waiting to be processed: " + std::to_string(stages.waiting_to_be_processed) + "]";
}

progress_reporter::progress_reporter(std::uint64_t total,
                                     output print,
                                     std::uint64_t every_books,
                                     std::chrono::seconds every)
    : total_(total), print_(std::move(print)), every_books_(every_books), every_(every) {}

void progress_reporter::book_done(const stage_snapshot& stages) {
    ++done_;
    rate_.add(clock::now(), done_);
    if (done_ - printed_at_ >= every_books_ || done_ == total_)
        print(stages);
}

void progress_reporter::tick(const stage_snapshot& stages) {
    if (clock::now() - last_print_ >= every_)
        print(stages);
}

void progress_reporter::print(const stage_snapshot& stages) {
    auto now = clock::now();
    last_print_ = now;
    printed_at_ = done_;
    std::chrono::duration<double> elapsed = now - start_;
    print_(format_progress_line(done_, total_, rate_.rate(), elapsed, stages), done_ < total_);
}

} // namespace grin::sync
