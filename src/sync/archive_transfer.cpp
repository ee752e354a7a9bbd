#include <grin/core/error.hpp>
#include <grin/net/run_on.hpp>
#include <grin/sync/archive_transfer.hpp>
#include <grin/sync/failure_info.hpp>
#include <grin/sync/key_deriver.hpp>
#include <grin/sync/sync_metrics.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <atomic>
#include <chrono>

namespace grin::sync {
namespace asio = boost::asio;

std::string_view to_string(transfer_phase phase) noexcept {
    switch (phase) {
    case transfer_phase::download:
        return "download";
    case transfer_phase::decrypt:
        return "decrypt";
    case transfer_phase::store:
        return "upload";
    }
    return "download";
}

transfer_failure::transfer_failure(transfer_phase phase,
                                   std::exception_ptr cause,
                                   std::string message)
    : phase_(phase), cause_(std::move(cause)), message_(std::move(message)) {}

namespace {

archive::bytes_view as_bytes(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// The CPU work of one piece, started on the CPU pool while the I/O thread goes on
// receiving the next piece; the I/O thread waits for it (finish_piece) before the next
// one starts, so a book's pieces are decrypted in order. A plain posted function, not a
// coroutine: it cannot be cancelled halfway, and its completion is posted back to the
// I/O thread.
struct piece_job {
    explicit piece_job(asio::any_io_executor io)
        : wake(std::move(io), asio::steady_timer::time_point::max()) {}
    asio::steady_timer wake;
    bool done = false;
    std::exception_ptr error;
};

// Everything one attempt keeps between pieces; lives on the heap so that the sinks and
// the job on the CPU pool can point into it. Never destroyed while a job runs
// (settle_job).
struct transfer_state {
    explicit transfer_state(transfer_services services,
                            transfer_request& request,
                            asio::any_io_executor io)
        : services(services)
        , io(std::move(io))
        , processor(request.processing,
                    [this](archive::bytes_view data) {
                        plaintext.append(reinterpret_cast<const char*>(data.data()), data.size());
                    })
        , decryptor(services.key, [this](crypto::bytes_view data) { processor.update(data); }) {}

    transfer_services services;
    asio::any_io_executor io;
    std::string ciphertext; // received, not yet handed to the CPU pool
    std::string in_flight;  // being decrypted by `job`
    std::string plaintext;  // decrypted by the last job, not yet written
    archive::book_processor processor;
    crypto::decryptor decryptor;
    std::unique_ptr<storage::object_writer> writer;
    std::shared_ptr<piece_job> job;
    std::size_t piece_bytes = 256 * 1024;
    bool key_asked = false; // the S2K key was asked of services.keys (or need not be)
    // Set when the body sink failed, so that the error is not mistaken for a network one.
    std::exception_ptr sink_failure;
    transfer_phase sink_phase = transfer_phase::download;
    std::atomic<std::int64_t> cpu_ns{0}; // time of this book's jobs on the CPU pool
};

asio::awaitable<void> write_plaintext(transfer_state* state) {
    if (state->plaintext.empty())
        co_return;
    state->sink_phase = transfer_phase::store;
    co_await state->writer->write(state->plaintext);
    state->plaintext.clear();
}

// Waits until the running job (if any) has finished, whatever happens to the caller:
// the job uses this state. Returns the job's failure, if any.
asio::awaitable<std::exception_ptr> settle_job(transfer_state* state) {
    std::shared_ptr<piece_job> job = std::move(state->job);
    if (!job)
        co_return nullptr;
    const bool throwing = co_await asio::this_coro::throw_if_cancelled();
    co_await asio::this_coro::throw_if_cancelled(false);
    while (!job->done) {
        boost::system::error_code woken;
        co_await job->wake.async_wait(asio::redirect_error(asio::use_awaitable, woken));
    }
    co_await asio::this_coro::throw_if_cancelled(throwing);
    co_return job->error;
}

// Waits for the running job and writes the plaintext it produced.
asio::awaitable<void> finish_piece(transfer_state* state) {
    state->sink_phase = transfer_phase::decrypt;
    std::exception_ptr failure = co_await settle_job(state);
    if (failure)
        std::rethrow_exception(failure);
    co_await write_plaintext(state);
}

// Hands the gathered ciphertext to the CPU pool and returns at once.
void start_piece(transfer_state* state) {
    std::swap(state->in_flight, state->ciphertext);
    state->ciphertext.clear();
    auto job = std::make_shared<piece_job>(state->io);
    state->job = job;
    if (state->services.metrics)
        state->services.metrics->cpu_job_posted();
    asio::post(state->services.cpu, [state, job] {
        std::exception_ptr error;
        auto started = std::chrono::steady_clock::now();
        try {
            state->decryptor.update(as_bytes(state->in_flight));
        } catch (...) {
            error = std::current_exception();
        }
        state->cpu_ns += (std::chrono::steady_clock::now() - started).count();
        if (state->services.metrics)
            state->services.metrics->cpu_job_done();
        asio::post(job->wake.get_executor(), [job, error] {
            job->error = error;
            job->done = true;
            job->wake.cancel();
        });
    });
}

// Bytes enough for the passphrase packet at the start of an archive (gpg's is 13-60).
constexpr std::size_t s2k_prefix_bytes = 512;

// Once per transfer, before the first piece is decrypted: when the archive starts with a
// native passphrase packet, its key is derived by services.keys (in a batch with another
// book's when both wait) and handed to the decryptor. Otherwise, or without a deriver,
// the decryptor derives the key itself.
asio::awaitable<void> ask_for_key(transfer_state* state) {
    if (state->key_asked)
        co_return;
    state->key_asked = true;
    if (!state->services.keys)
        co_return;
    auto need = crypto::find_first_s2k(as_bytes(state->ciphertext));
    if (!need)
        co_return;
    state->sink_phase = transfer_phase::decrypt;
    auto derive = state->services.keys->derive(*need);
    derived_key_result derived = co_await std::move(derive);
    state->cpu_ns += derived.cpu_time.count();
    state->decryptor.use_derived_key(std::move(derived.key));
}

asio::awaitable<void> take_piece(transfer_state* state, std::string_view piece) {
    try {
        state->services.disk.note_bytes(piece.size());
        // Copied: the HTTP layer reuses its buffer for the next read, which overlaps with
        // the decryption of this piece.
        state->ciphertext.append(piece);
        if (!state->key_asked && state->ciphertext.size() >= s2k_prefix_bytes)
            co_await ask_for_key(state);
        if (state->ciphertext.size() >= state->piece_bytes) {
            co_await finish_piece(state);
            start_piece(state);
        }
    } catch (...) {
        state->sink_failure = std::current_exception();
        throw;
    }
}

struct finished_content {
    crypto::decrypt_info decryption;
    archive::book_result content;
};

[[noreturn]] void fail(transfer_phase phase, std::exception_ptr cause) {
    std::string message = message_of(cause);
    throw transfer_failure(phase, std::move(cause), std::move(message));
}

asio::awaitable<transfer_result> run_transfer(transfer_state* state, transfer_request request) {
    transfer_result result;
    try {
        auto opened = state->services.store.open_writer(request.target, request.meta);
        state->writer = co_await std::move(opened);
    } catch (...) {
        fail(transfer_phase::store, std::current_exception());
    }

    net::body_sink sink = [state](std::string_view piece) { return take_piece(state, piece); };
    try {
        auto download = state->services.grin.download_archive(request.barcode, std::move(sink));
        result.archive = co_await std::move(download);
    } catch (...) {
        auto failure = std::current_exception();
        if (state->sink_failure && !is_cancellation(failure))
            fail(state->sink_phase, state->sink_failure);
        fail(transfer_phase::download, failure);
    }

    try {
        co_await finish_piece(state);
        co_await ask_for_key(state);
        state->sink_phase = transfer_phase::decrypt;
        if (state->services.metrics)
            state->services.metrics->cpu_job_posted();
        auto finish = [state] {
            auto started = std::chrono::steady_clock::now();
            struct account {
                transfer_state* state;
                std::chrono::steady_clock::time_point started;
                ~account() {
                    state->cpu_ns += (std::chrono::steady_clock::now() - started).count();
                    if (state->services.metrics)
                        state->services.metrics->cpu_job_done();
                }
            } accounted{state, started};
            state->decryptor.update(as_bytes(state->ciphertext));
            state->ciphertext.clear();
            finished_content done;
            done.decryption = state->decryptor.finish(); // verifies the MDC
            done.content = state->processor.finish();
            return done;
        };
        auto finished = co_await net::run_on(state->services.cpu, std::move(finish));
        result.decryption = std::move(finished.decryption);
        result.content = std::move(finished.content);
        result.cpu_time = std::chrono::nanoseconds(state->cpu_ns.load());
        co_await write_plaintext(state);
    } catch (...) {
        fail(state->sink_phase, std::current_exception());
    }
    if (result.decryption.plaintext_bytes == 0)
        fail(transfer_phase::decrypt,
             std::make_exception_ptr(error("the archive decrypted to nothing",
                                           {.step = "decrypt", .barcode = request.barcode})));

    storage::metadata meta = request.meta;
    meta["encrypted_etag"] = result.archive.etag;
    try {
        state->writer->set_metadata(std::move(meta));
    } catch (...) {
        fail(transfer_phase::store, std::current_exception());
    }
    result.writer = std::move(state->writer);
    co_return result;
}

} // namespace

asio::awaitable<transfer_result> transfer_archive(transfer_services services,
                                                  transfer_request request) {
    auto io = co_await asio::this_coro::executor;
    auto state = std::make_unique<transfer_state>(services, request, io);
    state->piece_bytes = request.piece_bytes;
    std::exception_ptr failure;
    try {
        auto attempt = run_transfer(state.get(), std::move(request));
        co_return co_await std::move(attempt);
    } catch (...) {
        failure = std::current_exception();
    }
    // A piece may still be decrypting on the CPU pool: it uses the state.
    co_await settle_job(state.get());
    // The object must not appear: drop the temporary (or the multipart upload).
    if (state->writer) {
        try {
            auto abort = state->writer->abort();
            co_await std::move(abort);
        } catch (...) {
        }
    }
    std::rethrow_exception(failure);
}

} // namespace grin::sync
