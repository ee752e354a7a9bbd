#pragma once
// Completion tokens written once (Boost 1.81 has no bare `as_tuple` and no default token).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace grin::net {

// For operations whose error code is an expected outcome, not an exception.
constexpr auto use_nothrow = boost::asio::as_tuple(boost::asio::use_awaitable);

} // namespace grin::net
