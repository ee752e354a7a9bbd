#pragma once
// sync::key_deriver: the books' OpenPGP key derivations (S2K), run on the CPU pool two at
// a time whenever more than one is waiting. gpg's default S2K is ~36 ms of SHA-1 per
// book, most of a small book's CPU, and two derived together (crypto::derive_keys) cost
// a third less CPU per key (54 ms for the pair against 39.5 ms for one). A request that finds
// nothing running starts at once, without waiting for a partner; beside a running batch, a second
// batch starts only as a pair (a lone request waits for a partner or for the running batch to end).
// So an idle run never waits, and under load, when it helps, the keys go in pairs.
//
// The transfer asks for the key as soon as the archive's first bytes name its S2K
// (crypto::find_first_s2k) and hands it to the decryptor; archives that do not start with
// a native passphrase packet are left to the decryptor, as before.
//
// Threads: derive() is called on the I/O thread (the `io` executor); the hashing runs on
// `cpu`. derive() honours cancellation: a cancelled request is dropped from the queue, or
// its result discarded if it is already running.
#include <grin/crypto/passphrase.hpp>
#include <grin/crypto/s2k.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>

namespace grin::sync {

class sync_metrics;

struct derived_key_result {
    std::shared_ptr<const crypto::derived_key> key;
    std::chrono::nanoseconds cpu_time{}; // this key's share of its batch's CPU time
};

class key_deriver {
public:
    // `passphrase` must outlive every job (the run's). `max_running`: batches on the CPU
    // pool at once (its thread count).
    key_deriver(boost::asio::any_io_executor io,
                boost::asio::any_io_executor cpu,
                const crypto::passphrase& passphrase,
                std::size_t max_running,
                sync_metrics* metrics = nullptr);
    ~key_deriver();
    key_deriver(const key_deriver&) = delete;
    key_deriver& operator=(const key_deriver&) = delete;

    // Throws grin::error (step "decrypt") when the S2K is not supported.
    boost::asio::awaitable<derived_key_result> derive(crypto::s2k_need need);

    std::uint64_t keys_derived() const noexcept;
    std::uint64_t keys_derived_in_pairs() const noexcept;

    struct state; // shared with the batches in flight, which may outlive this object

private:
    std::shared_ptr<state> state_;
};

} // namespace grin::sync
