#include <grin/archive/book_processor.hpp>
#include <grin/archive/ocr_text.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace grin::archive {
namespace {

class digest {
public:
    explicit digest(const EVP_MD* md) : ctx_(EVP_MD_CTX_new()) {
        if (!ctx_ || EVP_DigestInit_ex(ctx_, md, nullptr) != 1) {
            EVP_MD_CTX_free(ctx_);
            throw std::bad_alloc();
        }
    }
    digest(const digest&) = delete;
    digest& operator=(const digest&) = delete;
    ~digest() { EVP_MD_CTX_free(ctx_); }

    void update(bytes_view data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }
    std::string hex() {
        std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
        unsigned int length = 0;
        EVP_DigestFinal_ex(ctx_, out.data(), &length);
        static constexpr char digits[] = "0123456789abcdef";
        std::string text;
        for (unsigned i = 0; i < length; ++i) {
            text += digits[out[i] >> 4];
            text += digits[out[i] & 15];
        }
        return text;
    }

private:
    EVP_MD_CTX* ctx_;
};

bool is_xml_member(std::string_view name) {
    auto base = base_name(name);
    return base.size() >= 4 && base.substr(base.size() - 4) == ".xml";
}

} // namespace

class book_processor::impl : public entry_handler {
public:
    impl(book_processor_options options, sink raw, sink ocr)
        : options_(std::move(options))
        , raw_(std::move(raw))
        , walker_(*this, options_.barcode, options_.walker) {
        if (options_.sha256) {
            sha256_.emplace(EVP_sha256());
        }
        if (options_.md5) {
            md5_.emplace(EVP_md5());
        }
        if (options_.extract_ocr) {
            sink out = std::move(ocr);
            if (!out) {
                out = [this](bytes_view data) {
                    result_.ocr.jsonl_gz.append(reinterpret_cast<const char*>(data.data()),
                                                data.size());
                };
            }
            ocr_.emplace(std::move(out), options_.barcode, options_.ocr, options_.ocr_gzip_level);
        }
    }

    void update(bytes_view data) {
        if (spent_) {
            throw std::logic_error("book_processor used after finish() or a sink failure");
        }
        try {
            result_.archive_bytes += data.size();
            if (sha256_) {
                sha256_->update(data);
            }
            if (md5_) {
                md5_->update(data);
            }
            if (raw_) {
                raw_(data);
            }
            if (!result_.unpack_error) {
                try {
                    walker_.update(data);
                } catch (const grin::error& e) {
                    if (e.context().step != "unpack") {
                        throw;
                    }
                    result_.unpack_error = e;
                }
            }
        } catch (...) {
            spent_ = true;
            throw;
        }
    }

    book_result finish() {
        if (spent_) {
            throw std::logic_error("book_processor used after finish() or a sink failure");
        }
        spent_ = true;
        if (!result_.unpack_error) {
            try {
                walker_.finish();
            } catch (const grin::error& e) {
                if (e.context().step != "unpack") {
                    throw;
                }
                result_.unpack_error = e;
            }
        }
        result_.members = walker_.entry_count();
        finish_ocr();
        finish_marc();
        if (sha256_) {
            result_.sha256_hex = sha256_->hex();
        }
        if (md5_) {
            result_.md5_hex = md5_->hex();
        }
        return std::move(result_);
    }

    std::size_t peak_buffered() const noexcept {
        return peak_member_ + (ocr_ ? ocr_->peak_pending_bytes() : 0);
    }

    // entry_handler
    void on_entry(const entry_info& entry) override {
        page_.reset();
        reading_xml_ = false;
        member_.clear();
        if (entry.type != entry_type::regular) {
            return;
        }
        if (ocr_ && !ocr_problem_ && is_text_member(entry.name)) {
            ++result_.ocr.text_members;
            page_ = page_number(entry.name);
            if (!page_) {
                ++result_.ocr.skipped_names;
            } else if (entry.size > options_.ocr.max_page_bytes) {
                ocr_problem_ = "page member " + entry.name + " too large (" +
                               std::to_string(entry.size) + " bytes)";
                page_.reset();
            }
        } else if (options_.extract_marc && !marc_found_ && is_xml_member(entry.name)) {
            ++xml_members_;
            if (entry.size > options_.max_xml_bytes) {
                note_marc_problem(entry.name + ": too large for METS (" +
                                  std::to_string(entry.size) + " bytes)");
            } else {
                reading_xml_ = true;
                xml_name_ = entry.name;
            }
        }
    }

    void on_data(bytes_view data) override {
        if (page_ || reading_xml_) {
            member_.append(reinterpret_cast<const char*>(data.data()), data.size());
            peak_member_ = std::max(peak_member_, member_.capacity());
        }
    }

    void on_entry_end() override {
        if (page_) {
            try {
                ocr_->add_page(*page_, member_);
            } catch (const grin::error& e) {
                ocr_problem_ = e.message();
            }
            ++pages_;
        } else if (reading_xml_) {
            auto marc = extract_marc(member_);
            if (marc.found) {
                marc_found_ = true;
                result_.marc.member = xml_name_;
                result_.marc.fields = std::move(marc.fields);
            } else {
                note_marc_problem(xml_name_ + ": " + marc.problem);
            }
        }
        page_.reset();
        reading_xml_ = false;
        member_.clear();
        if (member_.capacity() > 1024 * 1024) {
            member_.shrink_to_fit(); // one huge member must not pin its buffer
        }
    }

private:
    void note_marc_problem(std::string problem) {
        if (marc_problem_.empty()) {
            marc_problem_ = std::move(problem);
        }
    }

    void finish_ocr() {
        auto& out = result_.ocr;
        if (!ocr_) {
            return;
        }
        out.status = extraction_status::failed;
        if (result_.unpack_error) {
            out.problem = "archive unreadable: " + result_.unpack_error->message();
        } else if (ocr_problem_) {
            out.problem = *ocr_problem_;
        } else if (out.text_members == 0) {
            out.problem = "no .txt members in archive";
        } else if (pages_ == 0) {
            out.problem = "no page files named NNNNNNNN.txt in archive";
        } else {
            try {
                out.page_count = ocr_->finish();
                out.jsonl_bytes = ocr_->uncompressed_bytes();
                out.late_duplicates = ocr_->late_duplicates();
                out.status = extraction_status::ok;
            } catch (const grin::error& e) {
                out.problem = e.message();
            }
        }
        if (out.status != extraction_status::ok) {
            out.jsonl_gz.clear();
        }
    }

    void finish_marc() {
        auto& out = result_.marc;
        if (!options_.extract_marc) {
            return;
        }
        if (result_.unpack_error) {
            out.status = extraction_status::failed;
            out.problem = "archive unreadable: " + result_.unpack_error->message();
            out.fields.clear();
            out.member.clear();
        } else if (marc_found_) {
            out.status = extraction_status::ok;
        } else {
            out.status = extraction_status::failed;
            out.problem = xml_members_ == 0 ? "no .xml member (METS) in archive" : marc_problem_;
        }
        if (out.fields.empty()) {
            for (auto column : marc_columns()) {
                out.fields.push_back({std::string(column), std::nullopt});
            }
        }
    }

    book_processor_options options_;
    sink raw_;
    book_result result_;
    std::optional<digest> sha256_, md5_;
    std::optional<ocr_jsonl_writer> ocr_;
    tar_gz_walker walker_;
    bool spent_ = false;

    std::optional<std::uint32_t> page_; // the member being read is this page
    bool reading_xml_ = false;
    std::string xml_name_;
    std::string member_;
    std::size_t peak_member_ = 0;
    std::uint64_t pages_ = 0;
    std::optional<std::string> ocr_problem_;
    bool marc_found_ = false;
    std::uint64_t xml_members_ = 0;
    std::string marc_problem_;
};

book_processor::book_processor(book_processor_options options, sink raw, sink ocr)
    : impl_(std::make_unique<impl>(std::move(options), std::move(raw), std::move(ocr))) {}
book_processor::book_processor(book_processor&&) noexcept = default;
book_processor& book_processor::operator=(book_processor&&) noexcept = default;
book_processor::~book_processor() = default;

void book_processor::update(bytes_view plaintext) {
    impl_->update(plaintext);
}

book_result book_processor::finish() {
    return impl_->finish();
}

std::size_t book_processor::peak_buffered_bytes() const noexcept {
    return impl_->peak_buffered();
}

} // namespace grin::archive
