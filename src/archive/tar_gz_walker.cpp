#include <grin/archive/tar_gz_walker.hpp>
#include <grin/core/error.hpp>

#include <zlib.h>

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

namespace grin::archive {
namespace {

constexpr std::size_t block_size = 512;

// A NUL-terminated field of at most `size` bytes.
std::string field_string(const std::uint8_t* field, std::size_t size) {
    const auto* end = std::find(field, field + size, std::uint8_t{0});
    return std::string(reinterpret_cast<const char*>(field), static_cast<std::size_t>(end - field));
}

// Octal (as tarfile's nti: up to the first NUL, surrounding spaces allowed, empty = 0) or
// GNU base-256 (high bit of the first byte set). nullopt when malformed or negative.
std::optional<std::uint64_t> parse_number(const std::uint8_t* field, std::size_t size) {
    if (field[0] & 0x80) {
        if (field[0] != 0x80) {
            return std::nullopt; // negative, or more than 63 bits in the first byte
        }
        std::uint64_t value = 0;
        for (std::size_t i = 1; i < size; ++i) {
            if (value >> 55) {
                return std::nullopt;
            }
            value = (value << 8) | field[i];
        }
        return value;
    }
    std::string text = field_string(field, size);
    auto first = text.find_first_not_of(" \t\n\r\v\f");
    if (first == std::string::npos) {
        return 0;
    }
    auto last = text.find_last_not_of(" \t\n\r\v\f");
    std::uint64_t value = 0;
    for (auto i = first; i <= last; ++i) {
        if (text[i] < '0' || text[i] > '7' || (value >> 60)) {
            return std::nullopt;
        }
        value = value * 8 + static_cast<std::uint64_t>(text[i] - '0');
    }
    return value;
}

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
    if (text.empty() || text.size() > 19) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value;
}

} // namespace

struct tar_gz_walker::impl {
    enum class gzip_state { in_member, between_members, done };
    enum class tar_state { header, data, extended, padding, ended };

    impl(entry_handler& h, std::string b, walker_limits l)
        : handler(h), barcode(std::move(b)), limits(l), out(inflate_buffer_size) {
        // 16 + 15: gzip wrapper only, 32 KiB window.
        if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
            throw std::bad_alloc();
        }
    }
    ~impl() { inflateEnd(&z); }

    [[noreturn]] void fail(const std::string& message) {
        throw grin::error(message, {.step = "unpack", .barcode = barcode});
    }

    void update(bytes_view input) {
        compressed += input.size();
        const std::uint8_t* p = input.data();
        std::size_t left = input.size();
        for (;;) {
            if (gz == gzip_state::done) {
                return;
            }
            if (gz == gzip_state::between_members) {
                // gzip readers skip zero padding between members; anything else must be
                // the next member's header, which inflate checks.
                while (left > 0 && *p == 0) {
                    ++p;
                    --left;
                }
                if (left == 0) {
                    return;
                }
                inflateReset(&z);
                gz = gzip_state::in_member;
            }
            z.next_in = const_cast<Bytef*>(p);
            z.avail_in = static_cast<uInt>(std::min<std::size_t>(left, 1u << 30));
            z.next_out = out.data();
            z.avail_out = static_cast<uInt>(out.size());
            int rc = inflate(&z, Z_NO_FLUSH);
            std::size_t consumed = static_cast<std::size_t>(z.next_in - p);
            p += consumed;
            left -= consumed;
            std::size_t produced = out.size() - z.avail_out;
            if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
                fail(std::string("corrupt gzip data: ") + (z.msg ? z.msg : "inflate error"));
            }
            inflated += produced;
            feed_tar(out.data(), produced);
            if (rc == Z_STREAM_END) {
                gz = tar == tar_state::ended ? gzip_state::done : gzip_state::between_members;
                continue;
            }
            if ((left == 0 && z.avail_out != 0) || (consumed == 0 && produced == 0)) {
                return; // all input taken and no output pending inside zlib
            }
        }
    }

    void finish() {
        if (compressed == 0) {
            fail("empty archive (0 bytes)");
        }
        if (gz == gzip_state::in_member) {
            fail("truncated gzip data (the stream ends before its end marker)");
        }
        if (tar == tar_state::ended) {
            return;
        }
        if (tar == tar_state::header && block_fill == 0 && !pending_path && !pending_size) {
            if (entries == 0) {
                fail("empty archive (no tar members)");
            }
            return; // no end blocks, but cut at a member boundary: accepted like tarfile
        }
        fail("truncated tar data (the archive ends inside a member)");
    }

    void feed_tar(const std::uint8_t* data, std::size_t size) {
        while (size > 0) {
            switch (tar) {
            case tar_state::ended:
                return;
            case tar_state::header: {
                std::size_t take = std::min(size, block_size - block_fill);
                std::copy_n(data, take, block.data() + block_fill);
                block_fill += take;
                data += take;
                size -= take;
                if (block_fill == block_size) {
                    block_fill = 0;
                    on_header();
                }
                break;
            }
            case tar_state::data: {
                auto take = static_cast<std::size_t>(std::min<std::uint64_t>(size, remaining));
                if (deliver) {
                    handler.on_data(bytes_view(data, take));
                }
                data += take;
                size -= take;
                remaining -= take;
                if (remaining == 0) {
                    end_member();
                }
                break;
            }
            case tar_state::extended: {
                auto take = static_cast<std::size_t>(std::min<std::uint64_t>(size, remaining));
                extended.append(reinterpret_cast<const char*>(data), take);
                data += take;
                size -= take;
                remaining -= take;
                if (remaining == 0) {
                    apply_extended();
                    end_member();
                }
                break;
            }
            case tar_state::padding: {
                auto take = static_cast<std::size_t>(std::min<std::uint64_t>(size, remaining));
                data += take;
                size -= take;
                remaining -= take;
                if (remaining == 0) {
                    tar = tar_state::header;
                }
                break;
            }
            }
        }
    }

    // After a member's data (or an extended header's): skip to the next block boundary.
    void end_member() {
        if (deliver) {
            deliver = false;
            handler.on_entry_end();
        }
        remaining = (block_size - member_size % block_size) % block_size;
        tar = remaining > 0 ? tar_state::padding : tar_state::header;
    }

    void on_header() {
        if (std::all_of(block.begin(), block.end(), [](std::uint8_t b) { return b == 0; })) {
            tar = tar_state::ended;
            return;
        }
        check_checksum();
        auto size = parse_number(block.data() + 124, 12);
        if (!size) {
            fail("bad tar size field in member " + std::to_string(entries + 1));
        }
        char type = static_cast<char>(block[156]);
        switch (type) {
        case 'x':
        case 'L':
            if (*size > limits.max_extended_header) {
                fail("pax/GNU extended header too large (" + std::to_string(*size) + " bytes)");
            }
            extended.clear();
            extended_type = type;
            member_size = *size;
            remaining = *size;
            peak_extended = std::max(peak_extended, static_cast<std::size_t>(*size));
            if (remaining == 0) {
                apply_extended();
                end_member();
            } else {
                tar = tar_state::extended;
            }
            return;
        case 'g':
        case 'K':
            // Global pax records and long link names do not change what we report.
            start_data(*size, false);
            return;
        default:
            break;
        }

        entry_info entry;
        std::string name = field_string(block.data(), 100);
        // POSIX ustar ("ustar\0"): the prefix field holds the leading directories. GNU
        // ("ustar  \0") uses those bytes for other things.
        if (std::equal(block.begin() + 257, block.begin() + 263, "ustar")) {
            std::string prefix = field_string(block.data() + 345, 155);
            if (!prefix.empty()) {
                name = prefix + "/" + name;
            }
        }
        entry.name = pending_path ? std::move(*pending_path) : std::move(name);
        std::uint64_t data_size = pending_size ? *pending_size : *size;
        pending_path.reset();
        pending_size.reset();
        bool has_data = true;
        switch (type) {
        case '0':
        case '\0':
        case '7':
            entry.type = entry_type::regular;
            break;
        case '1':
            entry.type = entry_type::hardlink;
            has_data = false;
            break;
        case '2':
            entry.type = entry_type::symlink;
            has_data = false;
            break;
        case '5':
            entry.type = entry_type::directory;
            has_data = false;
            break;
        case '3':
        case '4':
        case '6':
            entry.type = entry_type::other;
            has_data = false;
            break;
        case 'S':
            // Old GNU sparse: extension blocks between header and data would misalign the
            // stream; grin archives never contain sparse members.
            if (block[482] != 0) {
                fail("unsupported GNU sparse member with extension headers: " + entry.name);
            }
            entry.type = entry_type::other;
            break;
        default:
            entry.type = entry_type::other; // stored bytes follow (tarfile does the same)
            break;
        }
        entry.size = has_data ? data_size : 0;
        ++entries;
        handler.on_entry(entry);
        start_data(entry.size, true);
    }

    void start_data(std::uint64_t size, bool to_handler) {
        deliver = to_handler;
        member_size = size;
        remaining = size;
        if (size == 0) {
            end_member();
        } else {
            tar = tar_state::data;
        }
    }

    void check_checksum() {
        auto stored = parse_number(block.data() + 148, 8);
        std::uint64_t unsigned_sum = 0;
        std::int64_t signed_sum = 0;
        for (std::size_t i = 0; i < block_size; ++i) {
            bool in_field = i >= 148 && i < 156;
            std::uint8_t b = in_field ? std::uint8_t{' '} : block[i];
            unsigned_sum += b;
            signed_sum += static_cast<std::int8_t>(b);
        }
        if (!stored ||
            (*stored != unsigned_sum && static_cast<std::int64_t>(*stored) != signed_sum)) {
            fail("bad tar header checksum in member " + std::to_string(entries + 1));
        }
    }

    void apply_extended() {
        if (extended_type == 'L') {
            pending_path = field_string(reinterpret_cast<const std::uint8_t*>(extended.data()),
                                        extended.size());
        } else {
            parse_pax(extended);
        }
        extended.clear();
        extended.shrink_to_fit();
    }

    // Records are "<length> <key>=<value>\n", the length counting the whole record.
    void parse_pax(std::string_view records) {
        while (!records.empty()) {
            auto space = records.find(' ');
            auto length = space == std::string_view::npos ? std::nullopt
                                                          : parse_decimal(records.substr(0, space));
            if (!length || *length <= space + 1 || *length > records.size() ||
                records[*length - 1] != '\n') {
                fail("malformed pax header");
            }
            auto record = records.substr(space + 1, *length - space - 2);
            records.remove_prefix(*length);
            auto equals = record.find('=');
            if (equals == std::string_view::npos) {
                fail("malformed pax header");
            }
            auto key = record.substr(0, equals);
            auto value = record.substr(equals + 1);
            if (key == "path") {
                if (value.empty()) {
                    pending_path.reset();
                } else {
                    pending_path = std::string(value);
                }
            } else if (key == "size") {
                pending_size = parse_decimal(value);
                if (!pending_size) {
                    fail("malformed pax header (size)");
                }
            }
        }
    }

    entry_handler& handler;
    std::string barcode;
    walker_limits limits;
    z_stream z{};
    std::vector<std::uint8_t> out;
    gzip_state gz = gzip_state::in_member;

    tar_state tar = tar_state::header;
    std::array<std::uint8_t, block_size> block{};
    std::size_t block_fill = 0;
    std::uint64_t member_size = 0;
    std::uint64_t remaining = 0;
    bool deliver = false;
    char extended_type = 0;
    std::string extended;
    std::optional<std::string> pending_path;
    std::optional<std::uint64_t> pending_size;

    std::uint64_t compressed = 0;
    std::uint64_t inflated = 0;
    std::uint64_t entries = 0;
    std::size_t peak_extended = 0;
    bool spent = false;
};

tar_gz_walker::tar_gz_walker(entry_handler& handler, std::string barcode, walker_limits limits)
    : impl_(std::make_unique<impl>(handler, std::move(barcode), limits)) {}

tar_gz_walker::~tar_gz_walker() = default;

void tar_gz_walker::update(bytes_view gz) {
    if (impl_->spent) {
        impl_->fail("archive reader used after a failure");
    }
    try {
        impl_->update(gz);
    } catch (...) {
        impl_->spent = true;
        throw;
    }
}

void tar_gz_walker::finish() {
    if (impl_->spent) {
        impl_->fail("archive reader used after a failure");
    }
    impl_->spent = true;
    impl_->finish();
}

std::uint64_t tar_gz_walker::compressed_bytes() const noexcept {
    return impl_->compressed;
}
std::uint64_t tar_gz_walker::inflated_bytes() const noexcept {
    return impl_->inflated;
}
std::uint64_t tar_gz_walker::entry_count() const noexcept {
    return impl_->entries;
}
std::size_t tar_gz_walker::peak_extended_header() const noexcept {
    return impl_->peak_extended;
}

} // namespace grin::archive
