// key_deriver on a real CPU pool: keys equal crypto::derive_key's, requests that queue up
// behind a busy slot are derived in pairs, and a cancelled request is dropped.
#include <grin/sync/key_deriver.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/system/system_error.hpp>
#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace {
namespace asio = boost::asio;
using namespace grin;

crypto::s2k_need need_with_salt(std::uint8_t salt) {
    crypto::s2k_need need;
    need.spec = {.type = 3, .hash = 2, .salt = {salt, 2, 3, 4, 5, 6, 7, 8}, .count = 65536 * 3};
    need.key_size = 32;
    return need;
}

std::vector<std::uint8_t> reference_key(const crypto::s2k_need& need, std::string_view pass) {
    std::vector<std::uint8_t> key(need.key_size);
    crypto::derive_key(need.spec, pass, key);
    return key;
}

struct deriver_fixture : ::testing::Test {
    asio::io_context io;
    asio::thread_pool cpu{1};
    crypto::passphrase pass{"correct horse battery staple"};
    ~deriver_fixture() override { cpu.join(); }
};

class deriver_slots : public deriver_fixture, public ::testing::WithParamInterface<std::size_t> {};

// One slot: the first request starts alone, the four that queued behind it go in pairs.
// Two slots: the second request does not take the free slot alone but waits for the third.
TEST_P(deriver_slots, queued_requests_are_derived_in_pairs_with_the_right_keys) {
    sync::key_deriver keys(io.get_executor(), cpu.get_executor(), pass, GetParam());
    std::vector<std::optional<sync::derived_key_result>> results(5);
    for (std::size_t i = 0; i < results.size(); ++i) {
        asio::co_spawn(io, keys.derive(need_with_salt(static_cast<std::uint8_t>(i))),
                       [&results, i](std::exception_ptr failed, sync::derived_key_result got) {
                           if (!failed)
                               results[i] = std::move(got);
                       });
    }
    io.run();
    for (std::size_t i = 0; i < results.size(); ++i) {
        ASSERT_TRUE(results[i].has_value()) << i;
        auto need = need_with_salt(static_cast<std::uint8_t>(i));
        EXPECT_EQ(results[i]->key->spec, need.spec);
        EXPECT_EQ(results[i]->key->key, reference_key(need, pass.view())) << i;
        EXPECT_GT(results[i]->cpu_time.count(), 0) << i;
    }
    EXPECT_EQ(keys.keys_derived(), 5u);
    EXPECT_EQ(keys.keys_derived_in_pairs(), 4u);
}

INSTANTIATE_TEST_SUITE_P(slots, deriver_slots, ::testing::Values(1u, 2u));

TEST_F(deriver_fixture, a_cancelled_request_is_dropped_from_the_queue) {
    sync::key_deriver keys(io.get_executor(), cpu.get_executor(), pass, 1);
    asio::cancellation_signal cancel;
    int finished = 0;
    bool aborted = false;
    for (int i = 0; i < 2; ++i)
        asio::co_spawn(io, keys.derive(need_with_salt(static_cast<std::uint8_t>(i))),
                       [&finished](std::exception_ptr failed, sync::derived_key_result) {
                           finished += failed ? 0 : 1;
                       });
    asio::co_spawn(
        io, keys.derive(need_with_salt(9)),
        asio::bind_cancellation_slot(
            cancel.slot(), [&aborted](std::exception_ptr failed, sync::derived_key_result) {
                try {
                    if (failed)
                        std::rethrow_exception(failed);
                } catch (const boost::system::system_error& e) {
                    aborted = e.code() == asio::error::operation_aborted;
                }
            }));
    io.run_one(); // the first request starts; the others queue behind the busy slot
    io.run_one();
    io.run_one();
    cancel.emit(asio::cancellation_type::terminal);
    io.run();
    EXPECT_TRUE(aborted);
    EXPECT_EQ(finished, 2);
    EXPECT_EQ(keys.keys_derived(), 2u) << "the cancelled request was still derived";
}

} // namespace
