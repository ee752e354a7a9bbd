#include <grin/sync/key_deriver.hpp>
#include <grin/sync/sync_metrics.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <deque>
#include <vector>

namespace grin::sync {
namespace asio = boost::asio;

namespace {

struct pending {
    pending(crypto::s2k_need wanted, asio::any_io_executor io)
        : need(wanted), wake(std::move(io), asio::steady_timer::time_point::max()) {}
    crypto::s2k_need need;
    asio::steady_timer wake;
    bool abandoned = false; // its book was cancelled while it waited
    bool done = false;
    derived_key_result result;
    std::exception_ptr error;
};

using batch = std::vector<std::shared_ptr<pending>>;

} // namespace

struct key_deriver::state {
    asio::any_io_executor io;
    asio::any_io_executor cpu;
    const crypto::passphrase& passphrase;
    std::size_t max_running;
    sync_metrics* metrics;
    std::deque<std::shared_ptr<pending>> queue;
    std::size_t running = 0;
    std::uint64_t derived = 0;
    std::uint64_t derived_in_pairs = 0;
};

namespace {

// Runs on the CPU pool: derives the batch's keys together, then reports on the I/O thread.
void run_batch(const std::shared_ptr<key_deriver::state>& shared, batch jobs);

// Requests still waiting (a cancelled one is dropped when it reaches the front).
std::size_t waiting(const std::deque<std::shared_ptr<pending>>& queue) {
    std::size_t count = 0;
    for (const auto& request : queue)
        count += request->abandoned ? 0 : 1;
    return count;
}

// I/O thread: starts batches of up to two while slots are free. A lone request starts at
// once only when nothing runs; beside a running batch it waits for a partner (or for that
// batch to end), so that under load the keys go in pairs and the CPU thread left free
// meanwhile does the books' other work.
void pump(const std::shared_ptr<key_deriver::state>& shared) {
    while (shared->running < shared->max_running) {
        if (shared->running > 0 && waiting(shared->queue) < 2)
            return;
        batch jobs;
        while (jobs.size() < 2 && !shared->queue.empty()) {
            auto next = std::move(shared->queue.front());
            shared->queue.pop_front();
            if (!next->abandoned)
                jobs.push_back(std::move(next));
        }
        if (jobs.empty())
            return;
        ++shared->running;
        if (shared->metrics)
            shared->metrics->cpu_job_posted();
        asio::post(shared->cpu, [shared, jobs = std::move(jobs)]() mutable {
            run_batch(shared, std::move(jobs));
        });
    }
}

void run_batch(const std::shared_ptr<key_deriver::state>& shared, batch jobs) {
    std::vector<std::shared_ptr<crypto::derived_key>> keys;
    std::vector<crypto::key_request> requests;
    for (const auto& job : jobs) {
        auto key = std::make_shared<crypto::derived_key>();
        key->spec = job->need.spec;
        key->key.resize(job->need.key_size);
        requests.push_back({key->spec, shared->passphrase.view(), key->key});
        keys.push_back(std::move(key));
    }
    std::exception_ptr error;
    const auto started = std::chrono::steady_clock::now();
    try {
        crypto::derive_keys(requests);
    } catch (...) {
        error = std::current_exception();
    }
    const auto share = (std::chrono::steady_clock::now() - started) / jobs.size();
    asio::post(shared->io,
               [shared, jobs = std::move(jobs), keys = std::move(keys), error, share]() mutable {
                   --shared->running;
                   if (shared->metrics)
                       shared->metrics->cpu_job_done();
                   shared->derived += jobs.size();
                   if (jobs.size() == 2)
                       shared->derived_in_pairs += 2;
                   for (std::size_t i = 0; i < jobs.size(); ++i) {
                       jobs[i]->result = {
                           .key = std::move(keys[i]),
                           .cpu_time = std::chrono::duration_cast<std::chrono::nanoseconds>(share)};
                       jobs[i]->error = error;
                       jobs[i]->done = true;
                       jobs[i]->wake.cancel();
                   }
                   pump(shared);
               });
}

} // namespace

key_deriver::key_deriver(asio::any_io_executor io,
                         asio::any_io_executor cpu,
                         const crypto::passphrase& passphrase,
                         std::size_t max_running,
                         sync_metrics* metrics)
    : state_(std::make_shared<state>(state{.io = std::move(io),
                                           .cpu = std::move(cpu),
                                           .passphrase = passphrase,
                                           .max_running = std::max<std::size_t>(1, max_running),
                                           .metrics = metrics})) {}

key_deriver::~key_deriver() = default;

asio::awaitable<derived_key_result> key_deriver::derive(crypto::s2k_need need) {
    auto request = std::make_shared<pending>(need, state_->io);
    state_->queue.push_back(request);
    pump(state_);
    while (!request->done) {
        boost::system::error_code woken;
        co_await request->wake.async_wait(asio::redirect_error(asio::use_awaitable, woken));
        if (request->done)
            break;
        asio::cancellation_state cancelled = co_await asio::this_coro::cancellation_state;
        if (cancelled.cancelled() != asio::cancellation_type::none) {
            request->abandoned = true; // dropped if still queued; else its key is discarded
            throw boost::system::system_error(asio::error::operation_aborted);
        }
    }
    if (request->error)
        std::rethrow_exception(request->error);
    co_return std::move(request->result);
}

std::uint64_t key_deriver::keys_derived() const noexcept {
    return state_->derived;
}

std::uint64_t key_deriver::keys_derived_in_pairs() const noexcept {
    return state_->derived_in_pairs;
}

} // namespace grin::sync
