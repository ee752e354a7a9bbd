#include "rnp_fallback.hpp"

#include <openssl/crypto.h>
#include <rnp/rnp.h>
#include <rnp/rnp_err.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <vector>

#include "fail.hpp"

namespace grin::crypto::detail {

namespace {
constexpr std::size_t queue_limit = 4 * 1024 * 1024;
}

struct rnp_fallback::shared {
    const passphrase& key;
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::vector<std::uint8_t>> input;
    std::size_t input_offset = 0; // consumed bytes of input.front()
    std::size_t input_bytes = 0;
    bool input_done = false;
    std::deque<std::vector<std::uint8_t>> output;
    std::size_t output_bytes = 0;
    bool cancelled = false;
    bool worker_done = false;
    // Results, written by the worker before worker_done.
    rnp_result_t result = RNP_SUCCESS;
    std::string mode;
    std::string cipher;
    bool valid = false;
    std::thread worker;

    explicit shared(const passphrase& k) : key(k) {}

    static bool read(void* ctx, void* buf, size_t len, size_t* read) {
        auto& self = *static_cast<shared*>(ctx);
        std::unique_lock lock(self.mutex);
        self.changed.wait(lock,
                          [&] { return self.cancelled || !self.input.empty() || self.input_done; });
        if (self.cancelled)
            return false;
        std::size_t copied = 0;
        while (copied < len && !self.input.empty()) {
            auto& front = self.input.front();
            std::size_t n = std::min(len - copied, front.size() - self.input_offset);
            std::memcpy(static_cast<std::uint8_t*>(buf) + copied, front.data() + self.input_offset,
                        n);
            copied += n;
            self.input_offset += n;
            if (self.input_offset == front.size()) {
                self.input_bytes -= front.size();
                self.input.pop_front();
                self.input_offset = 0;
            }
        }
        *read = copied;
        self.changed.notify_all();
        return true;
    }

    static bool write(void* ctx, const void* buf, size_t len) {
        auto& self = *static_cast<shared*>(ctx);
        std::unique_lock lock(self.mutex);
        self.changed.wait(lock, [&] { return self.cancelled || self.output_bytes < queue_limit; });
        if (self.cancelled)
            return false;
        const auto* bytes = static_cast<const std::uint8_t*>(buf);
        self.output.emplace_back(bytes, bytes + len);
        self.output_bytes += len;
        self.changed.notify_all();
        return true;
    }

    static void close_output(void*, bool) {}

    static bool
    password(rnp_ffi_t, void* ctx, rnp_key_handle_t, const char*, char buf[], size_t buf_len) {
        auto& self = *static_cast<shared*>(ctx);
        auto text = self.key.view();
        if (text.size() + 1 > buf_len)
            return false;
        std::memcpy(buf, text.data(), text.size());
        buf[text.size()] = '\0';
        return true;
    }

    void run() {
        rnp_ffi_t ffi = nullptr;
        rnp_input_t in = nullptr;
        rnp_output_t out = nullptr;
        rnp_op_verify_t op = nullptr;
        int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        rnp_result_t rc = rnp_ffi_create(&ffi, "GPG", "GPG");
        if (rc == RNP_SUCCESS && null_fd >= 0)
            rc = rnp_ffi_set_log_fd(ffi, null_fd);
        if (rc == RNP_SUCCESS)
            rc = rnp_ffi_set_pass_provider(ffi, &shared::password, this);
        if (rc == RNP_SUCCESS)
            rc = rnp_input_from_callback(&in, &shared::read, nullptr, this);
        if (rc == RNP_SUCCESS)
            rc = rnp_output_to_callback(&out, &shared::write, &shared::close_output, this);
        if (rc == RNP_SUCCESS)
            rc = rnp_op_verify_create(&op, ffi, in, out);
        if (rc == RNP_SUCCESS)
            rc = rnp_op_verify_execute(op);
        std::string got_mode, got_cipher;
        bool got_valid = false;
        if (op) {
            char* m = nullptr;
            char* c = nullptr;
            if (rnp_op_verify_get_protection_info(op, &m, &c, &got_valid) == RNP_SUCCESS) {
                got_mode = m ? m : "";
                got_cipher = c ? c : "";
            }
            rnp_buffer_destroy(m);
            rnp_buffer_destroy(c);
            rnp_op_verify_destroy(op);
        }
        if (out)
            rnp_output_destroy(out);
        if (in)
            rnp_input_destroy(in);
        if (ffi)
            rnp_ffi_destroy(ffi);
        if (null_fd >= 0)
            ::close(null_fd);
        std::lock_guard lock(mutex);
        result = rc;
        mode = got_mode;
        cipher = got_cipher;
        valid = got_valid;
        worker_done = true;
        changed.notify_all();
    }
};

rnp_fallback::rnp_fallback(const passphrase& key, layer_context& context, bool allow_unprotected)
    : shared_(std::make_shared<shared>(key))
    , context_(context)
    , allow_unprotected_(allow_unprotected) {
    context_.info.engine = "librnp";
    context_.info.compression = "unknown";
    shared_->worker = std::thread([s = shared_.get()] { s->run(); });
}

rnp_fallback::~rnp_fallback() {
    {
        std::lock_guard lock(shared_->mutex);
        shared_->cancelled = true;
        shared_->changed.notify_all();
    }
    if (shared_->worker.joinable())
        shared_->worker.join();
}

void rnp_fallback::drain_output(std::unique_lock<std::mutex>& lock) {
    auto& s = *shared_;
    while (!s.output.empty()) {
        auto chunk = std::move(s.output.front());
        s.output.pop_front();
        s.output_bytes -= chunk.size();
        s.changed.notify_all();
        lock.unlock();
        context_.emit(chunk);
        lock.lock();
    }
}

void rnp_fallback::feed(bytes_view data) {
    auto& s = *shared_;
    std::unique_lock lock(s.mutex);
    for (;;) {
        // Drain output first so librnp never waits on us while we wait on it.
        drain_output(lock);
        if (data.empty() || s.worker_done)
            return;
        if (s.input_bytes < queue_limit) {
            s.input.emplace_back(data.begin(), data.end());
            s.input_bytes += data.size();
            s.changed.notify_all();
            data = {};
            continue;
        }
        s.changed.wait(lock);
    }
}

void rnp_fallback::finish() {
    auto& s = *shared_;
    {
        std::unique_lock lock(s.mutex);
        s.input_done = true;
        s.changed.notify_all();
        for (;;) {
            drain_output(lock);
            if (s.worker_done)
                break;
            s.changed.wait(lock);
        }
    }
    s.worker.join();
    context_.info.cipher = s.cipher;
    context_.info.protection = s.mode;
    if (s.result == RNP_ERROR_BAD_PASSWORD)
        fail("wrong passphrase");
    // With public-key session keys in the file, a wrong passphrase leaves librnp with no
    // usable session key at all, which it reports as one of these.
    if ((s.result == RNP_ERROR_NOT_SUPPORTED || s.result == RNP_ERROR_NO_SUITABLE_KEY ||
         s.result == RNP_ERROR_DECRYPT_FAILED) &&
        context_.info.plaintext_bytes == 0)
        fail(std::string("wrong passphrase or no usable session key (librnp: ") +
             rnp_result_to_string(s.result) + ")");
    if (s.result != RNP_SUCCESS)
        fail(std::string("decryption failed (librnp: ") + rnp_result_to_string(s.result) + ")");
    if (s.mode.empty() || s.mode == "none")
        fail("input is not encrypted");
    if (s.mode == "cfb" && !allow_unprotected_)
        fail("encrypted data without integrity protection (no MDC) refused; allow unprotected "
             "data explicitly to decrypt it anyway");
    if (!s.valid && s.mode != "cfb")
        fail("integrity check failed (librnp reports the protection as invalid)");
}

} // namespace grin::crypto::detail
