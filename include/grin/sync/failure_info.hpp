#pragma once
// What the pipeline needs to know about a caught exception to record it: its text, the
// HTTP status it carries (grin::error), and whether it is a cancellation (the second
// Ctrl-C), which is never recorded as a book's failure.
#include <exception>
#include <optional>
#include <string>

namespace grin::sync {

std::string message_of(const std::exception_ptr& failure);
std::optional<int> http_status_of(const std::exception_ptr& failure);
bool is_cancellation(const std::exception_ptr& failure);

} // namespace grin::sync
