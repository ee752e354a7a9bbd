#include <grin/emulator/library_state.hpp>

#include <algorithm>
#include <ctime>

namespace grin::emulator {
namespace {

grin_time to_grin_time(std::chrono::system_clock::time_point when) {
    std::time_t t = std::chrono::system_clock::to_time_t(when);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min};
}

void insert_sorted(std::vector<std::uint64_t>& v, std::uint64_t value) {
    auto it = std::lower_bound(v.begin(), v.end(), value);
    if (it == v.end() || *it != value) {
        v.insert(it, value);
    }
}

void erase_sorted(std::vector<std::uint64_t>& v, std::uint64_t value) {
    auto it = std::lower_bound(v.begin(), v.end(), value);
    if (it != v.end() && *it == value) {
        v.erase(it);
    }
}

} // namespace

library_state::library_state(library_params params, clock_fn clock)
    : params_(std::move(params)), catalogue_(params_.catalogue), clock_(std::move(clock)) {
    if (!clock_) {
        clock_ = [] { return std::chrono::system_clock::now(); };
    }
}

book library_state::apply(book b) const {
    auto it = changes_.find(b.index);
    if (it == changes_.end()) {
        return b;
    }
    const auto& c = it->second;
    if (c.in_process) {
        b.state = state_in_process;
        b.failed = false;
    } else if (c.converted) {
        b.converted = true;
        b.failed = false;
        b.state = state_converted;
        if (c.converted_at) {
            b.converted_at = c.converted_at;
        }
        b.downloaded.reset();
    }
    return b;
}

void library_state::complete_locked(std::uint64_t index,
                                    change& c,
                                    std::chrono::system_clock::time_point when) const {
    c.in_process = false;
    c.converted = true;
    c.converted_at = to_grin_time(when);
    --queued_;
    if (indexed_) {
        insert_sorted(converted_index_, index);
        erase_sorted(failed_index_, index);
    }
}

void library_state::complete_due_locked() const {
    if (params_.conversion_delay.count() <= 0) {
        return;
    }
    // Every read calls this: skip the scan until the earliest pending conversion is due.
    auto now = clock_();
    if (!next_due_ || now < *next_due_) {
        return;
    }
    next_due_.reset();
    for (auto& [index, c] : changes_) {
        if (!c.in_process) {
            continue;
        }
        auto due = c.requested_at + params_.conversion_delay;
        if (now >= due) {
            // Converted when the delay ran out, not when somebody looked.
            complete_locked(index, c, due);
        } else if (!next_due_ || due < *next_due_) {
            next_due_ = due;
        }
    }
}

void library_state::build_index_locked() const {
    if (indexed_) {
        return;
    }
    for (std::uint64_t i = 0; i < catalogue_.size(); ++i) {
        auto ci = changes_.find(i);
        bool in_process = ci != changes_.end() && ci->second.in_process;
        bool converted = ci != changes_.end()
                             ? ci->second.converted || (!in_process && catalogue_.is_converted(i))
                             : catalogue_.is_converted(i);
        if (converted) {
            converted_index_.push_back(i);
        } else if (!in_process && ci == changes_.end() && catalogue_.is_failed(i)) {
            failed_index_.push_back(i);
        }
    }
    indexed_ = true;
}

book library_state::at(std::uint64_t index) const {
    auto b = catalogue_.at(index);
    std::lock_guard lock(mutex_);
    complete_due_locked();
    return apply(std::move(b));
}

std::optional<book> library_state::find(std::string_view barcode) const {
    auto index = catalogue_.index_of(barcode);
    if (!index) {
        return std::nullopt;
    }
    return at(*index);
}

std::uint32_t library_state::archive_version(std::uint64_t index) const {
    std::lock_guard lock(mutex_);
    auto it = changes_.find(index);
    return it == changes_.end() ? 0 : it->second.version;
}

std::uint64_t library_state::count(bool converted_list) const {
    std::lock_guard lock(mutex_);
    complete_due_locked();
    build_index_locked();
    return converted_list ? converted_index_.size() : failed_index_.size();
}

std::vector<book>
library_state::slice(bool converted_list, std::uint64_t begin, std::uint64_t end) const {
    std::vector<std::uint64_t> indices;
    {
        std::lock_guard lock(mutex_);
        complete_due_locked();
        build_index_locked();
        const auto& index = converted_list ? converted_index_ : failed_index_;
        end = std::min<std::uint64_t>(end, index.size());
        for (auto i = begin; i < end; ++i) {
            indices.push_back(index[i]);
        }
    }
    std::vector<book> out;
    out.reserve(indices.size());
    for (auto i : indices) {
        out.push_back(at(i));
    }
    return out;
}

std::vector<std::string> library_state::in_process() const {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> pending; // sequence, index
    {
        std::lock_guard lock(mutex_);
        complete_due_locked();
        for (const auto& [index, c] : changes_) {
            if (c.in_process) {
                pending.emplace_back(c.request_sequence, index);
            }
        }
    }
    std::sort(pending.begin(), pending.end());
    std::vector<std::string> out;
    for (const auto& p : pending) {
        out.push_back(catalogue_.barcode_at(p.second));
    }
    return out;
}

conversion_request_result
library_state::request_conversion(const std::vector<std::string>& barcodes) {
    conversion_request_result outcome;
    std::lock_guard lock(mutex_);
    complete_due_locked();
    if (queued_ >= params_.queue_cap) {
        outcome.queue_full = true;
        return outcome;
    }
    for (const auto& barcode : barcodes) {
        auto index = catalogue_.index_of(barcode);
        if (!index) {
            outcome.rows.emplace_back(barcode, "Not allowed to be downloaded");
            continue;
        }
        auto b = apply(catalogue_.at(*index));
        std::string status;
        if (b.state == state_in_process) {
            status = params_.legacy_in_process_wording ? "Already in process"
                                                       : "Already being converted";
        } else if (b.converted) {
            status = "Already available for download";
        } else if (b.state == state_not_available) {
            status = "Not allowed to be downloaded";
        } else if (b.state == state_checked_in) {
            status = "Other error";
        } else if (queued_ >= params_.queue_cap) {
            // The queue filled up during this call: GRIN answers per book.
            status = "Other error";
        } else {
            auto& c = changes_[*index];
            c.in_process = true;
            c.requested_at = clock_();
            c.request_sequence = ++sequence_;
            ++queued_;
            if (params_.conversion_delay.count() > 0) {
                auto due = c.requested_at + params_.conversion_delay;
                if (!next_due_ || due < *next_due_) {
                    next_due_ = due;
                }
            }
            if (indexed_) {
                erase_sorted(failed_index_, *index);
            }
            status = "Success";
        }
        outcome.rows.emplace_back(barcode, std::move(status));
    }
    return outcome;
}

std::size_t library_state::advance_conversions() {
    std::lock_guard lock(mutex_);
    std::size_t done = 0;
    for (auto& [index, c] : changes_) {
        if (c.in_process) {
            complete_locked(index, c, clock_());
            ++done;
        }
    }
    next_due_.reset();
    return done;
}

bool library_state::reconvert(std::string_view barcode) {
    auto index = catalogue_.index_of(barcode);
    if (!index) {
        return false;
    }
    std::lock_guard lock(mutex_);
    auto b = apply(catalogue_.at(*index));
    if (!b.converted) {
        return false;
    }
    auto& c = changes_[*index];
    ++c.version;
    c.converted = true;
    c.converted_at = to_grin_time(clock_());
    return true;
}

bool library_state::set_defect(std::string_view barcode, archive_defect defect) {
    auto index = catalogue_.index_of(barcode);
    if (!index) {
        return false;
    }
    std::lock_guard lock(mutex_);
    if (defect == archive_defect::none) {
        defects_.erase(*index);
    } else {
        defects_[*index] = defect;
    }
    return true;
}

archive_defect library_state::defect(std::uint64_t index) const {
    std::lock_guard lock(mutex_);
    auto it = defects_.find(index);
    return it == defects_.end() ? archive_defect::none : it->second;
}

void library_state::set_queue_cap(std::uint64_t cap) {
    std::lock_guard lock(mutex_);
    params_.queue_cap = cap;
}

} // namespace grin::emulator
