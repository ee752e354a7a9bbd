#pragma once
// Plain request/response values at the module boundary: no Beast types here, so that the
// many files that talk HTTP do not pay Beast's compile cost.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace grin::net {

using header_list = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive lookup of the first header called `name`.
std::optional<std::string> find_header(const header_list& headers, std::string_view name);

// An immutable request body that copies as a pointer: a request is copied per attempt
// (retries, re-signing, token refresh), and an S3 part is 8-16 MiB. Copying the bytes
// each time cost three allocations and copies per part (measured on 50 MiB uploads).
class shared_body {
public:
    shared_body() = default;
    shared_body(std::string bytes) // NOLINT: implicit, so `request.body = "..."` reads well
        : bytes_(std::make_shared<const std::string>(std::move(bytes))) {}
    shared_body(const char* text) : shared_body(std::string(text)) {} // NOLINT: as above

    std::string_view view() const noexcept {
        return bytes_ ? std::string_view(*bytes_) : std::string_view();
    }
    const char* data() const noexcept { return view().data(); }
    std::size_t size() const noexcept { return view().size(); }
    bool empty() const noexcept { return size() == 0; }
    std::size_t find(std::string_view text) const noexcept { return view().find(text); }

private:
    std::shared_ptr<const std::string> bytes_;
};

// A body sent from a file, read in chunks while it is written: an upload then needs one
// chunk of memory however large the object or part (S3 PutObject and UploadPart).
struct file_range {
    std::filesystem::path path;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

struct http_request {
    std::string method = "GET";
    std::string url; // absolute: https://host[:port]/path?query
    header_list headers;
    shared_body body;
    std::optional<file_range> body_file; // when set, the body (and `body` must be empty)
};

struct http_response {
    int status = 0;
    header_list headers;
    std::string body; // empty for streamed downloads and HEAD

    std::optional<std::string> header(std::string_view name) const {
        return find_header(headers, name);
    }
    bool ok() const { return status >= 200 && status < 300; }
};

} // namespace grin::net
