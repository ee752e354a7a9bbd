#include <grin/core/error.hpp>
#include <grin/sync/failure_info.hpp>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

namespace grin::sync {

std::string message_of(const std::exception_ptr& failure) {
    try {
        std::rethrow_exception(failure);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown error";
    }
}

std::optional<int> http_status_of(const std::exception_ptr& failure) {
    try {
        std::rethrow_exception(failure);
    } catch (const error& e) {
        return e.context().http_status;
    } catch (...) {
        return std::nullopt;
    }
}

bool is_cancellation(const std::exception_ptr& failure) {
    try {
        std::rethrow_exception(failure);
    } catch (const boost::system::system_error& e) {
        return e.code() == boost::asio::error::operation_aborted;
    } catch (...) {
        return false;
    }
}

} // namespace grin::sync
