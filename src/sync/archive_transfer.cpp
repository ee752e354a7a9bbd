#include <grin/core/error.hpp>
#include <grin/net/run_on.hpp>
#include <grin/sync/archive_transfer.hpp>
#include <grin/sync/failure_info.hpp>

#include <boost/system/system_error.hpp>

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

// Everything one attempt keeps between pieces; lives on the heap so that the sinks can
// point into it.
struct transfer_state {
    explicit transfer_state(transfer_services services, transfer_request& request)
        : services(services)
        , processor(request.processing,
                    [this](archive::bytes_view data) {
                        plaintext.append(reinterpret_cast<const char*>(data.data()), data.size());
                    })
        , decryptor(services.key, [this](crypto::bytes_view data) { processor.update(data); }) {}

    transfer_services services;
    std::string ciphertext; // received, not yet decrypted
    std::string plaintext;  // decrypted, not yet written
    archive::book_processor processor;
    crypto::decryptor decryptor;
    std::unique_ptr<storage::object_writer> writer;
    std::size_t piece_bytes = 256 * 1024;
    // Set when the body sink failed, so that the error is not mistaken for a network one.
    std::exception_ptr sink_failure;
    transfer_phase sink_phase = transfer_phase::download;
};

asio::awaitable<void> write_plaintext(transfer_state* state) {
    if (state->plaintext.empty())
        co_return;
    state->sink_phase = transfer_phase::store;
    co_await state->writer->write(state->plaintext);
    state->plaintext.clear();
}

// Decrypts (and processes) the buffered ciphertext on the CPU pool, then writes the
// plaintext it produced.
asio::awaitable<void> decrypt_buffered(transfer_state* state) {
    state->sink_phase = transfer_phase::decrypt;
    auto step = [state] {
        state->decryptor.update(as_bytes(state->ciphertext));
        state->ciphertext.clear();
    };
    co_await net::run_on(state->services.cpu, std::move(step));
    co_await write_plaintext(state);
}

// A whole piece from the network is decrypted where it lies (the view stays valid until
// this returns); small pieces are gathered first, so that each CPU hop has enough work.
asio::awaitable<void> decrypt_in_place(transfer_state* state, std::string_view piece) {
    state->sink_phase = transfer_phase::decrypt;
    auto step = [state, piece] { state->decryptor.update(as_bytes(piece)); };
    co_await net::run_on(state->services.cpu, std::move(step));
    co_await write_plaintext(state);
}

asio::awaitable<void> take_piece(transfer_state* state, std::string_view piece) {
    try {
        state->services.disk.note_bytes(piece.size());
        if (state->ciphertext.empty() && piece.size() >= state->piece_bytes) {
            co_await decrypt_in_place(state, piece);
            co_return;
        }
        state->ciphertext.append(piece);
        if (state->ciphertext.size() >= state->piece_bytes)
            co_await decrypt_buffered(state);
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
        state->sink_phase = transfer_phase::decrypt;
        auto finish = [state] {
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
    auto state = std::make_unique<transfer_state>(services, request);
    state->piece_bytes = request.piece_bytes;
    std::exception_ptr failure;
    try {
        auto attempt = run_transfer(state.get(), std::move(request));
        co_return co_await std::move(attempt);
    } catch (...) {
        failure = std::current_exception();
    }
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
