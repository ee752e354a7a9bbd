#include <grin/core/log.hpp>
#include <grin/crypto/decryptor.hpp>

#include <optional>
#include <vector>

#include "fail.hpp"
#include "layer_context.hpp"
#include "rnp_fallback.hpp"
#include "seipd.hpp"
#include "skesk.hpp"

namespace grin::crypto {

using detail::fail;

namespace {
// The bytes kept for a possible hand-over to librnp: the session key packets and the
// start of the encrypted data, plus whatever else arrived in the same update() calls.
constexpr std::size_t replay_limit = 16 * 1024 * 1024;
constexpr std::size_t skesk_limit = 1024;
constexpr std::string_view armor_start = "-----BEGIN PGP";
} // namespace

// Outer packet sequence: (SKESK | marker)* SEIPD. Anything else is librnp's job or an error.
class decryptor::impl final : public packet_handler {
public:
    impl(const passphrase& key, sink output, decrypt_options options)
        : key_(key)
        , output_(std::move(output))
        , options_(options)
        , context_{output_, info_}
        , reader_(*this, "file") {
        info_.engine = "native";
        info_.compression = "none";
    }

    void use_derived_key(std::shared_ptr<const derived_key> key) {
        options_.derived = std::move(key);
    }

    void update(bytes_view data) {
        check_usable();
        try {
            info_.ciphertext_bytes += data.size();
            if (fallback_) {
                fallback_->feed(data);
                return;
            }
            if (!committed()) {
                if (replay_.size() + data.size() > replay_limit)
                    fail("too much data before the encrypted packet");
                replay_.insert(replay_.end(), data.begin(), data.end());
            }
            if (!start_checked_) {
                // Nothing has reached the packet reader yet: replay_ is the whole input.
                if (replay_.empty() || may_become_armor())
                    return;
                start_checked_ = true;
                check_armor();
                reader_.feed(replay_);
            } else {
                reader_.feed(data);
            }
            if (committed() && !replay_.empty()) {
                replay_.clear();
                replay_.shrink_to_fit();
            }
        } catch (const detail::fallback_signal& signal) {
            switch_to_fallback(signal.reason);
        } catch (...) {
            failed_ = true;
            throw;
        }
    }

    const decrypt_info& finish() {
        check_usable();
        try {
            if (fallback_) {
                fallback_->finish();
            } else {
                if (info_.ciphertext_bytes == 0)
                    fail("empty input: no OpenPGP data");
                if (!start_checked_) {
                    start_checked_ = true;
                    reader_.feed(replay_); // too short for armor: let the reader say what it is
                }
                reader_.finish();
                if (!done_)
                    fail(seipd_ ? "truncated input: the encrypted packet is incomplete"
                                : "truncated input: the file ends before the encrypted data");
            }
        } catch (const detail::fallback_signal& signal) {
            switch_to_fallback(signal.reason);
            return finish();
        } catch (...) {
            failed_ = true;
            throw;
        }
        finished_ = true;
        return info_;
    }

    const decrypt_info& info() const noexcept { return info_; }

    void on_packet_begin(int packet_tag, std::optional<std::uint64_t>) override {
        if (done_)
            fail("unexpected packet (tag " + std::to_string(packet_tag) +
                 ") after the encrypted data");
        current_tag_ = packet_tag;
        switch (packet_tag) {
        case tag::skesk:
            skesk_body_.clear();
            return;
        case tag::marker:
        case tag::padding:
            return;
        case tag::seipd:
            seipd_version_seen_ = false;
            return;
        case tag::pkesk:
            throw detail::fallback_signal{"public-key encrypted session key"};
        case tag::aead:
            throw detail::fallback_signal{"AEAD encrypted data packet"};
        case tag::sed:
            if (!options_.allow_unprotected)
                fail("encrypted data without integrity protection (no MDC) refused; allow "
                     "unprotected data explicitly to decrypt it anyway");
            throw detail::fallback_signal{"data without integrity protection"};
        case tag::literal:
        case tag::compressed:
        case tag::one_pass_signature:
        case tag::signature:
            fail("input is not encrypted (it starts with an unencrypted OpenPGP packet, tag " +
                 std::to_string(packet_tag) + ")");
        default:
            fail("unexpected OpenPGP packet (tag " + std::to_string(packet_tag) +
                 ") before the encrypted data");
        }
    }

    void on_packet_body(bytes_view data) override {
        if (current_tag_ == tag::skesk) {
            if (skesk_body_.size() + data.size() > skesk_limit)
                fail("session key packet (SKESK) too large");
            skesk_body_.insert(skesk_body_.end(), data.begin(), data.end());
        } else if (current_tag_ == tag::seipd) {
            if (!seipd_version_seen_) {
                seipd_version_seen_ = true;
                if (data[0] == 2)
                    throw detail::fallback_signal{"SEIPD version 2 (AEAD)"};
                if (data[0] != 1)
                    fail("unsupported encrypted data packet (SEIPD) version " +
                         std::to_string(data[0]));
                if (skesks_.empty())
                    throw detail::fallback_signal{"no passphrase session key packet"};
                seipd_ = std::make_unique<detail::seipd_layer>(std::move(skesks_), key_,
                                                               options_.derived, context_);
                data = data.subspan(1);
            }
            if (!data.empty())
                seipd_->feed(data);
        }
    }

    void on_packet_end() override {
        if (current_tag_ == tag::skesk) {
            auto packet = detail::parse_skesk(skesk_body_);
            if (packet.s2k.type == 3 && packet.s2k.count > options_.max_s2k_count)
                fail("S2K count " + std::to_string(packet.s2k.count) + " exceeds the limit of " +
                     std::to_string(options_.max_s2k_count));
            skesks_.push_back(std::move(packet));
        } else if (current_tag_ == tag::seipd) {
            if (!seipd_)
                fail("empty encrypted data packet");
            seipd_->finish();
            done_ = true;
        }
        current_tag_ = 0;
    }

private:
    bool committed() const noexcept { return seipd_ && seipd_->committed(); }

    void check_usable() const {
        if (failed_)
            fail("this decryptor already failed; start again with a new one");
        if (finished_)
            fail("this decryptor has already finished");
    }

    // Binary OpenPGP always starts with a byte with the top bit set; text that starts like
    // armor goes to librnp (which dearmors), anything else is left to the packet reader's
    // "not OpenPGP data" error. Until enough bytes are in, a prefix of the armor header
    // is held back rather than rejected.
    bool may_become_armor() const {
        std::size_t n = std::min(replay_.size(), armor_start.size());
        return (replay_[0] & 0x80) == 0 && n < armor_start.size() &&
               std::string_view(reinterpret_cast<const char*>(replay_.data()), n) ==
                   armor_start.substr(0, n);
    }

    void check_armor() const {
        if (replay_.size() < armor_start.size() ||
            std::string_view(reinterpret_cast<const char*>(replay_.data()), armor_start.size()) !=
                armor_start)
            return;
        if (!options_.allow_fallback)
            fail("ASCII-armored input is not supported without librnp; convert it with "
                 "`gpg --dearmor` first");
        throw detail::fallback_signal{"ASCII armor"};
    }

    void switch_to_fallback(const std::string& reason) {
        try {
            if (!options_.allow_fallback)
                fail("unsupported input (" + reason + ") and the librnp fallback is disabled");
            log::debug("decrypt: handing the file to librnp: " + reason);
            seipd_.reset();
            fallback_ =
                std::make_unique<detail::rnp_fallback>(key_, context_, options_.allow_unprotected);
            auto replay = std::move(replay_);
            replay_.clear();
            fallback_->feed(replay);
        } catch (...) {
            failed_ = true;
            throw;
        }
    }

    const passphrase& key_;
    sink output_;
    decrypt_options options_;
    decrypt_info info_;
    detail::layer_context context_;
    packet_reader reader_;
    std::vector<std::uint8_t> replay_;
    std::vector<std::uint8_t> skesk_body_;
    std::vector<detail::skesk> skesks_;
    std::unique_ptr<detail::seipd_layer> seipd_;
    std::unique_ptr<detail::rnp_fallback> fallback_;
    int current_tag_ = 0;
    bool seipd_version_seen_ = false;
    bool start_checked_ = false; // the armor test has run and the reader has had replay_
    bool done_ = false;
    bool failed_ = false;
    bool finished_ = false;
};

decryptor::decryptor(const passphrase& key, sink output, decrypt_options options)
    : impl_(std::make_unique<impl>(key, std::move(output), options)) {}
decryptor::decryptor(decryptor&&) noexcept = default;
decryptor& decryptor::operator=(decryptor&&) noexcept = default;
decryptor::~decryptor() = default;

void decryptor::use_derived_key(std::shared_ptr<const derived_key> key) {
    impl_->use_derived_key(std::move(key));
}

void decryptor::update(bytes_view ciphertext) {
    impl_->update(ciphertext);
}
const decrypt_info& decryptor::finish() {
    return impl_->finish();
}
const decrypt_info& decryptor::info() const noexcept {
    return impl_->info();
}

} // namespace grin::crypto
