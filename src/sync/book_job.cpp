#include <grin/api/barcode.hpp>
#include <grin/api/client.hpp>
#include <grin/archive/gunzip.hpp>
#include <grin/core/log.hpp>
#include <grin/core/time.hpp>
#include <grin/db/queries.hpp>
#include <grin/db/sync_queries.hpp>
#include <grin/sync/archive_transfer.hpp>
#include <grin/sync/book_job.hpp>
#include <grin/sync/conversion_record.hpp>
#include <grin/sync/failure_info.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <nlohmann/json.hpp>

#include <random>

namespace grin::sync {
namespace asio = boost::asio;
using db::queries::column_value;
using db::queries::status_update;
using nlohmann::json;

std::string_view to_string(book_outcome outcome) noexcept {
    switch (outcome) {
    case book_outcome::synced:
        return "synced";
    case book_outcome::skipped:
        return "skipped";
    case book_outcome::conversion_requested:
        return "conversion_requested";
    case book_outcome::conversion_failure_tracked:
        return "conversion_failure_tracked";
    case book_outcome::failed:
        return "failed";
    case book_outcome::cancelled:
        return "cancelled";
    }
    return "failed";
}

namespace {

status_update status(const std::string& barcode,
                     std::string type,
                     std::string value,
                     const json& meta = nullptr) {
    status_update update{
        .barcode = barcode, .status_type = std::move(type), .status_value = std::move(value)};
    if (!meta.is_null())
        update.metadata_json = meta.dump();
    return update;
}

// A download attempt is worth repeating after network trouble or a retryable status;
// not after a definite answer (404, 403) or a broken archive.
bool retryable_download(const std::exception_ptr& failure, const net::retry_policy& policy) {
    try {
        std::rethrow_exception(failure);
    } catch (const error& e) {
        auto code = e.context().http_status;
        if (!code || *code < 300)
            return policy.retry_network_errors; // connect, TLS, read errors, truncation
        return policy.retryable_statuses.contains(*code);
    } catch (...) {
        return false;
    }
}

// The wait a failed download's answer asked for (Retry-After on a 429 or 503), if any.
std::optional<net::duration> retry_after_of(const std::exception_ptr& failure) {
    try {
        std::rethrow_exception(failure);
    } catch (const api::status_error& e) {
        return e.retry_after();
    } catch (...) {
        return std::nullopt;
    }
}

double random_unit() {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

class book_job {
public:
    book_job(book_job_context& context, std::string barcode)
        : c_(context), barcode_(std::move(barcode)) {
        report_.barcode = barcode_;
    }

    asio::awaitable<book_report> run() {
        std::exception_ptr failure;
        try {
            co_await check_and_sync();
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure) {
            if (is_cancellation(failure)) {
                report_.outcome = book_outcome::cancelled;
                report_.reason = "cancelled";
            } else {
                // A failure outside the recorded steps (the database itself, mostly).
                report_.outcome = book_outcome::failed;
                report_.reason = message_of(failure);
                log::error(barcode_ + ": " + report_.reason);
            }
        }
        co_return report_;
    }

private:
    asio::awaitable<void> record(std::vector<status_update> updates,
                                 std::vector<column_value> fields = {}) {
        if (c_.options.dry_run)
            co_return;
        const auto started = std::chrono::steady_clock::now();
        auto write = db::queries::record_status(c_.database, std::move(updates), barcode_,
                                                std::move(fields));
        co_await std::move(write);
        observe(stage::record, started);
    }

    void observe(stage which, std::chrono::steady_clock::time_point started) {
        if (c_.metrics)
            c_.metrics->observe(which, std::chrono::steady_clock::now() - started);
    }

    void finish(book_outcome outcome, std::string reason = {}) {
        report_.outcome = outcome;
        report_.reason = std::move(reason);
    }

    void plan(const std::string& action) {
        if (c_.plan)
            c_.plan(barcode_ + ": " + action);
    }

    asio::awaitable<void> check_and_sync() {
        auto read = c_.database.read("sync_state", [barcode = barcode_](SQLite::Database& db) {
            return db::queries::sync_state(db, barcode);
        });
        db::queries::book_sync_state state = co_await std::move(read);

        std::optional<api::archive_info> head;
        std::exception_ptr head_failure;
        {
            auto acquire = c_.gates.check.acquire();
            gate_permit permit = co_await std::move(acquire);
            const auto started = std::chrono::steady_clock::now();
            try {
                auto request = c_.grin.head_archive(barcode_);
                head = co_await std::move(request);
            } catch (...) {
                head_failure = std::current_exception();
            }
            observe(stage::check, started);
        }
        const std::string checked_at = format_iso8601_utc(now_utc());
        if (head_failure) {
            if (is_cancellation(head_failure))
                std::rethrow_exception(head_failure);
            c_.tasks.add(task::check, task_result::failed);
            std::string message = message_of(head_failure);
            auto code = http_status_of(head_failure);
            json meta = {{"reason", "fail_unexpected_http_status_code"}, {"error", message}};
            if (code)
                meta["http_status_code"] = *code;
            plan("check failed: " + message);
            co_await record({status(barcode_, "sync", "check_failed", meta)},
                            {{"last_etag_check", checked_at}});
            finish(book_outcome::failed, "check: " + message);
            co_return;
        }
        if (!head) {
            co_await archive_missing(state, checked_at);
            co_return;
        }

        const std::string& etag = head->etag;
        if (!c_.options.force && state.completed && state.encrypted_etag == etag) {
            c_.tasks.add(task::check, task_result::skipped);
            plan("skip (synced, ETag unchanged)");
            co_await record({status(barcode_, "sync", "skipped", {{"reason", "skip_etag_match"}})},
                            {{"last_etag_check", checked_at}});
            finish(book_outcome::skipped, "skip_etag_match");
            co_return;
        }
        if (!c_.options.force) {
            auto reconciling = reconcile_from_storage(etag, checked_at);
            if (co_await std::move(reconciling))
                co_return;
        }
        c_.tasks.add(task::check, task_result::completed);
        if (c_.options.dry_run) {
            std::string size = head->size ? " (" + std::to_string(*head->size) + " bytes)" : "";
            plan(state.encrypted_etag && *state.encrypted_etag != etag
                     ? "download: the archive changed since the last sync" + size
                     : "download" + size);
            finish(book_outcome::synced, "dry run");
            co_return;
        }
        json checked = {{"etag", etag}};
        if (c_.options.force && state.encrypted_etag == etag)
            checked["reason"] = "completed_match_with_force";
        co_await record({status(barcode_, "sync", "checked", checked)},
                        {{"last_etag_check", checked_at}});
        co_await download_and_store();
    }

    // The database does not vouch for this book, but storage may already hold its archive
    // with this GRIN ETag in the object's metadata (a run killed between the upload and
    // its record, or a run of grin-transfer): then it is recorded as completed without a
    // download, as grin-transfer's CHECK skips it (which never recorded it, so it was
    // checked again on every run). The OCR file must be there too. MARC columns are not
    // re-extracted for such books.
    asio::awaitable<bool> reconcile_from_storage(const std::string& etag,
                                                 const std::string& checked_at) {
        const storage::object_key archive_key = c_.layout.archive(barcode_);
        auto head = c_.store.head(archive_key);
        std::optional<storage::object_info> stored = co_await std::move(head);
        if (!stored)
            co_return false;
        auto stored_etag = stored->meta.find("encrypted_etag");
        if (stored_etag == stored->meta.end() || stored_etag->second != etag)
            co_return false;
        if (c_.options.extract_ocr) {
            auto ocr = c_.store.head(c_.layout.ocr_text(barcode_, c_.options.compress_ocr));
            std::optional<storage::object_info> text = co_await std::move(ocr);
            if (!text)
                co_return false;
        }
        c_.tasks.add(task::check, task_result::skipped);
        plan("skip (archive already in storage with this ETag)");
        json meta = {
            {"reason", "skip_found_in_storage"}, {"reconciled_from_storage", true}, {"etag", etag}};
        co_await record({status(barcode_, "sync", "completed", meta)},
                        {{"last_etag_check", checked_at},
                         {"storage_path", c_.store.location(archive_key)},
                         {"is_decrypted", "1"},
                         {"encrypted_etag", etag},
                         {"sync_timestamp", format_iso8601_utc(now_utc())}});
        finish(book_outcome::skipped, "skip_found_in_storage");
        co_return true;
    }

    // HEAD said 404: the archive is not (or no longer) available from GRIN.
    asio::awaitable<void> archive_missing(const db::queries::book_sync_state& state,
                                          const std::string& checked_at) {
        if (state.completed) {
            auto head = c_.store.head(c_.layout.archive(barcode_));
            std::optional<storage::object_info> stored = co_await std::move(head);
            if (stored) {
                c_.tasks.add(task::check, task_result::skipped);
                plan("skip (in storage, no longer offered by GRIN)");
                json meta = {{"reason", "skip_found_in_storage_not_grin"},
                             {"reconciled_from_storage", true}};
                co_await record({status(barcode_, "sync", "completed", meta)},
                                {{"last_etag_check", checked_at}});
                finish(book_outcome::skipped, "skip_found_in_storage_not_grin");
                co_return;
            }
        }
        c_.tasks.add(task::check, task_result::needs_conversion);
        auto known = c_.failures.find(barcode_);
        if (known != c_.failures.end() && !c_.options.force) {
            c_.tasks.add(task::track_conversion_failure, task_result::completed);
            plan("known conversion failure: " + known->second.info);
            json meta = {{"grin_convert_failed_date", known->second.failed_date},
                         {"grin_convert_failed_info", known->second.info},
                         {"grin_detailed_convert_failed_info", known->second.detailed_info}};
            co_await record({status(barcode_, "conversion", "conversion_failed", meta)},
                            {{"last_etag_check", checked_at}});
            finish(book_outcome::conversion_failure_tracked, "fail_known_conversion_failure");
            co_return;
        }
        co_await request_conversion();
    }

    asio::awaitable<void> request_conversion() {
        auto& budget = c_.conversions;
        if (budget.queue_full || (budget.remaining && *budget.remaining == 0)) {
            c_.tasks.add(task::request_conversion, task_result::skipped);
            plan("not converted; not requested (GRIN's conversion queue is full)");
            finish(book_outcome::skipped, "conversion queue full");
            co_return;
        }
        if (c_.options.dry_run) {
            c_.tasks.add(task::request_conversion, task_result::completed);
            plan("request conversion");
            if (budget.remaining)
                --*budget.remaining;
            finish(book_outcome::conversion_requested, "dry run");
            co_return;
        }
        std::optional<api::process_entry> entry;
        std::exception_ptr failure;
        {
            auto acquire = c_.gates.conversion.acquire();
            gate_permit permit = co_await std::move(acquire);
            // Checked again: GRIN may have said 429, or the budget run out, while this book
            // waited for its turn. The budget is reserved now and given back below unless
            // the book was actually queued.
            if (budget.queue_full || (budget.remaining && *budget.remaining == 0)) {
                c_.tasks.add(task::request_conversion, task_result::skipped);
                finish(book_outcome::skipped, "conversion queue full");
                co_return;
            }
            if (budget.remaining)
                --*budget.remaining;
            try {
                auto request = c_.grin.request_conversion(barcode_);
                entry = co_await std::move(request);
            } catch (...) {
                failure = std::current_exception();
            }
        }
        const bool queued = !failure && entry && entry->outcome == api::process_outcome::requested;
        if (!queued && budget.remaining)
            ++*budget.remaining;
        if (failure) {
            if (is_cancellation(failure))
                std::rethrow_exception(failure);
            c_.tasks.add(task::request_conversion, task_result::failed);
            std::string message = message_of(failure);
            auto recording = record_conversion_of(conversion_error_record(barcode_, message));
            co_await std::move(recording);
            finish(book_outcome::failed, "request_conversion: " + message);
            co_return;
        }
        if (!entry) {
            budget.queue_full = true;
            c_.tasks.add(task::request_conversion, task_result::failed);
            log::warning("GRIN's conversion queue is full (HTTP 429): no more conversion "
                         "requests in this queue");
            auto recording = record_conversion_of(conversion_limit_record(barcode_));
            co_await std::move(recording);
            finish(book_outcome::failed, "request_conversion: GRIN queue limit reached (429)");
            co_return;
        }
        conversion_record answer = conversion_answer_record(barcode_, *entry);
        std::string reason = answer.reason;
        auto recording = record_conversion_of(std::move(answer));
        co_await std::move(recording);
        if (entry->outcome == api::process_outcome::requested) {
            c_.tasks.add(task::request_conversion, task_result::completed);
            finish(book_outcome::conversion_requested);
            co_return;
        }
        c_.tasks.add(task::request_conversion, task_result::skipped);
        finish(book_outcome::skipped, reason);
    }

    // The rows `grin process request` writes too (conversion_record.hpp).
    asio::awaitable<void> record_conversion_of(conversion_record rows) {
        auto writing = record(std::move(rows.updates), std::move(rows.fields));
        co_await std::move(writing);
    }

    storage::metadata archive_metadata() const {
        return {{"barcode", barcode_},
                {"acquisition_date", format_iso8601_utc(now_utc())},
                {"original_filename", barcode_ + ".tar.gz.gpg"}};
    }

    // The transfer, with download failures retried from the start. nullopt when it
    // failed for good (already recorded).
    asio::awaitable<std::optional<transfer_result>> transfer_with_retries() {
        const net::retry_policy& policy = c_.options.download_retry;
        for (int attempt = 1;; ++attempt) {
            report_.download_attempts = attempt;
            auto room = c_.disk.wait_until_below();
            co_await std::move(room);
            std::exception_ptr failure;
            transfer_phase phase = transfer_phase::download;
            {
                auto acquire = c_.gates.download.acquire();
                gate_permit permit = co_await std::move(acquire);
                transfer_request request{.barcode = barcode_,
                                         .target = c_.layout.archive(barcode_),
                                         .meta = archive_metadata(),
                                         .processing = {.barcode = barcode_,
                                                        .extract_ocr = c_.options.extract_ocr,
                                                        .extract_marc = c_.options.extract_marc},
                                         .piece_bytes = c_.options.piece_bytes};
                transfer_services services{c_.grin, c_.store,   c_.key, c_.cpu,
                                           c_.disk, c_.metrics, c_.keys};
                const auto started = std::chrono::steady_clock::now();
                try {
                    auto transfer = transfer_archive(services, std::move(request));
                    transfer_result done = co_await std::move(transfer);
                    observe(stage::download, started);
                    if (c_.metrics) {
                        c_.metrics->observe(stage::process, done.cpu_time);
                        c_.metrics->downloaded(done.decryption.ciphertext_bytes);
                    }
                    co_return std::move(done);
                } catch (const transfer_failure& failed) {
                    failure = failed.cause();
                    phase = failed.phase();
                }
                observe(stage::download, started);
            }
            if (is_cancellation(failure))
                std::rethrow_exception(failure);
            std::string message = message_of(failure);
            bool again = phase == transfer_phase::download && attempt < policy.max_attempts &&
                         retryable_download(failure, policy);
            if (again) {
                auto delay =
                    net::backoff_delay(policy, attempt, retry_after_of(failure), random_unit());
                log::warning(barcode_ + ": download attempt " + std::to_string(attempt) +
                             " failed (" + message + "); retrying in " + format_duration(delay));
                auto executor = co_await asio::this_coro::executor;
                asio::steady_timer timer(executor);
                timer.expires_after(delay);
                co_await timer.async_wait(asio::use_awaitable);
                continue;
            }
            co_await record_transfer_failure(phase, message);
            co_return std::nullopt;
        }
    }

    asio::awaitable<void> record_transfer_failure(transfer_phase phase,
                                                  const std::string& message) {
        std::vector<status_update> updates;
        switch (phase) {
        case transfer_phase::download:
            c_.tasks.add(task::download, task_result::failed);
            updates.push_back(status(barcode_, "sync", "download_failed", {{"error", message}}));
            break;
        case transfer_phase::decrypt:
            c_.tasks.add(task::download, task_result::completed);
            c_.tasks.add(task::decrypt, task_result::failed);
            updates.push_back(status(barcode_, "sync", "downloaded"));
            updates.push_back(status(barcode_, "sync", "decrypt_failed", {{"error", message}}));
            break;
        case transfer_phase::store:
            c_.tasks.add(task::download, task_result::completed);
            c_.tasks.add(task::upload, task_result::failed);
            updates.push_back(status(barcode_, "sync", "downloaded"));
            updates.push_back(status(barcode_, "sync", "upload_failed", {{"error", message}}));
            break;
        }
        co_await record(std::move(updates));
        finish(book_outcome::failed, std::string(to_string(phase)) + ": " + message);
    }

    asio::awaitable<void> download_and_store() {
        auto transferring = transfer_with_retries();
        std::optional<transfer_result> transfer = co_await std::move(transferring);
        if (!transfer)
            co_return;
        ++c_.processing;
        struct leave {
            std::size_t& count;
            ~leave() { --count; }
        } processing_done{c_.processing};

        const archive::book_result& content = transfer->content;
        const std::string etag = transfer->archive.etag;
        report_.downloaded_bytes = transfer->decryption.ciphertext_bytes;
        report_.archive_bytes = content.archive_bytes;
        c_.tasks.add(task::download, task_result::completed);
        c_.tasks.add(task::decrypt, task_result::completed);
        std::vector<status_update> progress = {
            status(barcode_, "sync", "downloaded", {{"etag", etag}}),
            status(barcode_, "sync", "decrypted",
                   {{"engine", transfer->decryption.engine},
                    {"bytes", content.archive_bytes},
                    {"sha256", content.sha256_hex}})};
        const bool extracting = c_.options.extract_ocr || c_.options.extract_marc;
        if (extracting) {
            if (content.unpack_error) {
                c_.tasks.add(task::unpack, task_result::failed);
                progress.push_back(status(barcode_, "sync", "unpack_failed",
                                          {{"error", content.unpack_error->what()}}));
            } else {
                c_.tasks.add(task::unpack, task_result::completed);
                progress.push_back(
                    status(barcode_, "sync", "unpacked", {{"members", content.members}}));
            }
        }
        co_await record(std::move(progress));

        auto acquire = c_.gates.upload.acquire();
        gate_permit upload_permit = co_await std::move(acquire);
        const storage::object_key archive_key = c_.layout.archive(barcode_);
        std::exception_ptr commit_failure;
        const auto upload_started = std::chrono::steady_clock::now();
        try {
            auto commit = transfer->writer->commit();
            co_await std::move(commit);
        } catch (...) {
            commit_failure = std::current_exception();
        }
        if (commit_failure) {
            if (is_cancellation(commit_failure))
                std::rethrow_exception(commit_failure);
            co_await record_upload_failure(message_of(commit_failure));
            co_return;
        }
        c_.tasks.add(task::upload, task_result::completed);
        if (c_.metrics)
            c_.metrics->uploaded(content.archive_bytes);

        std::vector<status_update> final_updates = {
            status(barcode_, "sync", "uploaded", {{"path", c_.store.location(archive_key)}})};
        std::vector<column_value> fields = {
            {"storage_path", c_.store.location(archive_key)},
            {"is_decrypted", "1"},
            {"encrypted_etag", etag},
        };
        if (c_.options.extract_ocr) {
            bool stored = co_await store_ocr(content, final_updates);
            if (!stored)
                co_return;
        }
        observe(stage::upload, upload_started);
        if (c_.options.extract_marc)
            add_marc(content, final_updates, fields);
        fields.push_back({"sync_timestamp", format_iso8601_utc(now_utc())});
        final_updates.push_back(status(barcode_, "sync", "completed"));
        co_await record(std::move(final_updates), std::move(fields));
        finish(book_outcome::synced);
    }

    asio::awaitable<void> record_upload_failure(const std::string& message) {
        c_.tasks.add(task::upload, task_result::failed);
        co_await record({status(barcode_, "sync", "upload_failed", {{"error", message}})});
        finish(book_outcome::failed, "upload: " + message);
    }

    // Stores <B>_ocr.jsonl[.gz]. False when storing failed (recorded; the book then stays
    // incomplete and is retried by the next run).
    asio::awaitable<bool> store_ocr(const archive::book_result& content,
                                    std::vector<status_update>& updates) {
        const archive::ocr_outcome& ocr = content.ocr;
        if (ocr.status != archive::extraction_status::ok) {
            c_.tasks.add(task::extract_ocr, task_result::failed);
            updates.push_back(
                status(barcode_, "text_extraction", "failed",
                       {{"error", ocr.problem.empty() ? "no OCR text" : ocr.problem}}));
            co_return true;
        }
        auto started = std::chrono::steady_clock::now();
        const bool compress = c_.options.compress_ocr;
        storage::object_key key = c_.layout.ocr_text(barcode_, compress);
        storage::metadata meta = {{"barcode", barcode_},
                                  {"acquisition_date", format_iso8601_utc(now_utc())},
                                  {"page_count", std::to_string(ocr.page_count)}};
        std::exception_ptr failure;
        try {
            std::string bytes = compress ? ocr.jsonl_gz : archive::gunzip(ocr.jsonl_gz);
            if (c_.metrics)
                c_.metrics->uploaded(bytes.size());
            auto put = c_.store.put_bytes(key, std::move(bytes), std::move(meta));
            co_await std::move(put);
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure) {
            if (is_cancellation(failure))
                std::rethrow_exception(failure);
            std::string message = message_of(failure);
            c_.tasks.add(task::extract_ocr, task_result::failed);
            updates.push_back(status(barcode_, "text_extraction", "failed", {{"error", message}}));
            updates.push_back(status(barcode_, "sync", "upload_failed", {{"error", message}}));
            co_await record(std::move(updates));
            finish(book_outcome::failed, "upload of OCR text: " + message);
            co_return false;
        }
        auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started);
        c_.tasks.add(task::extract_ocr, task_result::completed);
        updates.push_back(status(barcode_, "text_extraction", "completed",
                                 {{"page_count", ocr.page_count},
                                  {"extraction_time_ms", took.count()},
                                  {"path", c_.store.location(key)}}));
        co_return true;
    }

    void add_marc(const archive::book_result& content,
                  std::vector<status_update>& updates,
                  std::vector<column_value>& fields) {
        const archive::marc_outcome& marc = content.marc;
        if (marc.status != archive::extraction_status::ok) {
            c_.tasks.add(task::extract_marc, task_result::failed);
            updates.push_back(
                status(barcode_, "marc_extraction", "failed",
                       {{"error", marc.problem.empty() ? "fail_no_marc_metadata" : marc.problem}}));
            return;
        }
        std::size_t present = 0;
        for (const auto& field : marc.fields) {
            if (field.value)
                ++present;
            fields.push_back({field.column, field.value});
        }
        fields.push_back({"marc_extraction_timestamp", format_iso8601_utc(now_utc())});
        c_.tasks.add(task::extract_marc, task_result::completed);
        updates.push_back(status(barcode_, "marc_extraction", "completed",
                                 {{"field_count", present}, {"member", marc.member}}));
    }

    book_job_context& c_;
    std::string barcode_;
    book_report report_;
};

asio::awaitable<book_report> run_job(std::unique_ptr<book_job> job) {
    co_return co_await job->run();
}

} // namespace

asio::awaitable<book_report> sync_book(book_job_context& context, std::string barcode) {
    auto job = std::make_unique<book_job>(context, std::move(barcode));
    book_report report = co_await run_job(std::move(job));
    if (context.metrics)
        context.metrics->book_finished(report.outcome);
    co_return report;
}

} // namespace grin::sync
